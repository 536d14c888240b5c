//! The live fleet's autoscaler: the simulator's own policy ([`crate::model::autoscaler`]) and
//! metrics ([`crate::model::scaling`]), fed by the instances' `/metrics` scraped at each
//! evaluation instead of the model's bookkeeping.
//!
//! Every `autoscaler.interval` (first at one interval, as in the model) the supervisor scrapes
//! each instance. The counters an instance keeps since it listened — busy worker-nanoseconds and
//! requests routed to it — are differenced against the previous evaluation's scrape into the
//! model's per-instance [`Sample`]; the gauges (waiting, busy + waiting) are read as they are at
//! the scrape. Only *measured* instances count, as in the model: in HAProxy's rotation and past
//! `instance_warmup` since they entered it. The decision is [`Autoscaler::evaluate`] on the same
//! [`Observation`]; the supervisor then launches or drains processes to the new desired count.
//!
//! For `p95-latency`, each instance hands over at every scrape (the supervisor's 500 ms polls
//! and the evaluations) the response times it answered since the previous one, as histogram
//! buckets; those of instances past `instance_warmup` over that whole span are merged into
//! one histogram per interval, whose 95th percentile is the model's `p95_ms`, as the
//! simulation merges the completions of measured instances.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::instance::Scrape;
use crate::engine::SimTime;
use crate::model::autoscaler::{Autoscaler, Observation, Policy};
use crate::model::scaling::{self, Metric, Sample, View};
use crate::scenario::{AutoscalerConfig, ScalingMetric};

/// One instance over an interval of `interval`, from its scrapes at the interval's start
/// (`before`) and end (`now`). Counters that went backwards (a new process) count from zero.
pub(crate) fn sample(before: &Scrape, now: &Scrape, interval: Duration) -> Sample {
    let (area, routed) = if now.busy_ns >= before.busy_ns && now.routed >= before.routed {
        (now.busy_ns - before.busy_ns, now.routed - before.routed)
    } else {
        (now.busy_ns, now.routed)
    };
    Sample {
        busy_workers: area as f64 / interval.as_nanos().max(1) as f64,
        routed,
        queued: u32::try_from(now.waiting).unwrap_or(u32::MAX),
        load: u32::try_from(now.busy + now.waiting).unwrap_or(u32::MAX),
    }
}

/// What the supervisor knows of one instance slot at an evaluation.
#[derive(Clone, Debug, Default)]
pub(crate) struct Seen {
    /// Its counters now; `None` if it is not running or did not answer.
    pub(crate) scrape: Option<Scrape>,
    /// In rotation and past its warm-up: its sample counts toward the metric.
    pub(crate) measured: bool,
}

/// The autoscaler wired to the live fleet: its policy, its memory, and the scrapes of the last
/// evaluation.
pub(crate) struct LiveScaler {
    pub(crate) config: AutoscalerConfig,
    policy: Policy,
    controller: Autoscaler,
    metric: Box<dyn Metric>,
    /// Per instance slot: its counters at the last evaluation.
    marks: Vec<Scrape>,
    /// Response times (µs) handed over since the last evaluation by instances past their
    /// warm-up; kept only for the p95-latency metric.
    latency: Option<Histogram<u64>>,
    last: Duration,
    /// When the next evaluation is due.
    pub(crate) next: Duration,
}

impl LiveScaler {
    pub(crate) fn new(config: &AutoscalerConfig, slots: usize) -> Self {
        let interval = Duration::from_nanos(config.interval.as_nanos());
        LiveScaler {
            config: config.clone(),
            policy: Policy::of(config),
            controller: Autoscaler::default(),
            metric: scaling::build(config.metric),
            marks: vec![Scrape::default(); slots],
            latency: (config.metric == ScalingMetric::P95Latency).then(scaling::latency_histogram),
            last: Duration::ZERO,
            next: interval,
        }
    }

    /// How long after entering rotation an instance starts to count.
    pub(crate) fn warmup(&self) -> Duration {
        Duration::from_nanos(self.config.instance_warmup.as_nanos())
    }

    /// Takes the response times one instance handed over at a scrape: they count if it was
    /// `past_warmup` over the whole span they cover (the model checks at each completion).
    pub(crate) fn record_latencies(&mut self, scrape: &Scrape, past_warmup: bool) {
        if let Some(h) = self.latency.as_mut().filter(|_| past_warmup) {
            for &(us, n) in &scrape.latency_us {
                h.saturating_record_n(us, n);
            }
        }
    }

    /// The 95th percentile (ms) of the response times taken since the last evaluation, which
    /// are then forgotten; `None` if there were none (or the metric is not p95-latency).
    fn take_p95_ms(&mut self) -> Option<f64> {
        let h = self.latency.as_mut()?;
        let p = scaling::p95_ms(h);
        h.reset();
        p
    }

    /// One evaluation at `now`: the desired instance count given `current` (the desired count
    /// so far, as the model's) and what was `seen` of each slot.
    pub(crate) fn evaluate(
        &mut self,
        now: Duration,
        current: u32,
        seen: &[Seen],
        workers: u32,
    ) -> u32 {
        let interval = now.saturating_sub(self.last);
        self.last = now;
        self.next += Duration::from_nanos(self.config.interval.as_nanos());
        let mut samples = Vec::new();
        for (mark, s) in self.marks.iter_mut().zip(seen) {
            let Some(scrape) = &s.scrape else { continue };
            let before = std::mem::replace(mark, scrape.clone());
            if s.measured {
                samples.push(sample(&before, scrape, interval));
            }
        }
        let view = View {
            samples: &samples,
            workers,
            interval_s: interval.as_secs_f64(),
            p95_ms: self.take_p95_ms(),
        };
        let observation = Observation {
            current,
            measured: samples.len() as u32,
            metric: self.metric.value(&view),
        };
        let at = SimTime(now.as_nanos() as u64);
        self.controller.evaluate(&self.policy, at, observation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrape(busy_ns: u128, routed: u64, busy: u64, waiting: u64) -> Scrape {
        Scrape {
            busy,
            waiting,
            busy_ns,
            routed,
            ..Scrape::default()
        }
    }

    #[test]
    fn a_sample_differences_the_counters_and_reads_the_gauges() {
        // 10 s apart: 60 busy worker-seconds more is 6 busy workers on average; 500 routed.
        let s = sample(
            &scrape(40_000_000_000, 1_000, 3, 0),
            &scrape(100_000_000_000, 1_500, 7, 2),
            Duration::from_secs(10),
        );
        assert_eq!(
            s,
            Sample {
                busy_workers: 6.0,
                routed: 500,
                queued: 2,
                load: 9,
            }
        );
        // Counters that went backwards belong to a new process: counted from zero.
        let s = sample(
            &scrape(90_000_000_000, 900, 0, 0),
            &scrape(5_000_000_000, 50, 1, 0),
            Duration::from_secs(10),
        );
        assert_eq!((s.busy_workers, s.routed), (0.5, 50));
    }

    fn config(yaml: &str) -> AutoscalerConfig {
        let text = format!(
            "name: t\nduration: 2m\nworkload: {{ arrivals: {{ rate: 1 }} }}\n\
             instances: {{ count: 2, workers: 4 }}\nautoscaler: {yaml}\n"
        );
        crate::scenario::parse_str("t.yaml", &text, &[])
            .unwrap()
            .autoscaler
            .unwrap()
    }

    /// What an instance hands over after answering `n` requests in `ms` milliseconds, for each
    /// `(ms, n)`.
    fn answered(times: &[(u64, u64)]) -> Scrape {
        let mut h = scaling::latency_histogram();
        for &(ms, n) in times {
            h.record_n(ms * 1_000, n).unwrap();
        }
        Scrape {
            latency_us: super::super::instance::buckets(&h),
            ..Scrape::default()
        }
    }

    #[test]
    fn the_fleets_p95_merges_what_instances_past_their_warm_up_answered() {
        let c = config("{ metric: p95-latency, target: 100, min: 2, max: 8 }");
        let mut a = LiveScaler::new(&c, 3);
        // Instance 0 answered 60 requests in 10 ms (over two scrapes), instance 1 35 in 20 ms
        // and 5 in 125 ms; instance 2, still warming up, 50 in 900 ms, which do not count.
        a.record_latencies(&answered(&[(10, 40)]), true);
        a.record_latencies(&answered(&[(10, 20)]), true);
        a.record_latencies(&answered(&[(20, 35), (125, 5)]), true);
        a.record_latencies(&answered(&[(900, 50)]), false);
        // 100 response times; the 95th smallest is the last of the 20 ms ones. 20 000 µs lies
        // in [16 384, 32 768) µs, where 3 significant digits give buckets 16 µs wide: it is
        // read back as its bucket's highest value, 20 015 µs.
        assert_eq!(a.take_p95_ms(), Some(20.015));
        // Taken once: the next interval starts empty.
        assert_eq!(a.take_p95_ms(), None);
        // A metric other than p95-latency keeps no response times.
        let mut cpu = LiveScaler::new(&config("{ metric: cpu, target: 50% }"), 3);
        cpu.record_latencies(&answered(&[(10, 40)]), true);
        assert_eq!(cpu.take_p95_ms(), None);
    }

    #[test]
    fn a_slow_p95_scales_out_as_the_model_would() {
        let c = config(
            "{ metric: p95-latency, target: 100, min: 2, max: 8, interval: 10s, \
             scale_up: { max_step: 4 } }",
        );
        let mut a = LiveScaler::new(&c, 2);
        a.record_latencies(&answered(&[(10, 50)]), true);
        a.record_latencies(&answered(&[(10, 40), (125, 10)]), true);
        let measured = Seen {
            scrape: Some(Scrape::default()),
            measured: true,
        };
        // p95 of 90 × 10 ms and 10 × 125 ms is 125 ms, read back as 125.055 ms (125 000 µs in
        // [65 536, 131 072), buckets 64 µs wide: [124 992, 125 055]). Two measured instances
        // against a 100 ms target: ceil(2 × 125.055 / 100) = ceil(2.501) = 3.
        let seen = [measured.clone(), measured.clone()];
        assert_eq!(a.evaluate(Duration::from_secs(10), 2, &seen, 4), 3);
        // Nothing answered in the next interval: no value, the size is kept.
        assert_eq!(a.evaluate(Duration::from_secs(20), 3, &seen, 4), 3);
    }

    #[test]
    fn scraped_cpu_drives_the_models_policy() {
        let c = config(
            "{ metric: cpu, target: 50%, min: 2, max: 8, interval: 10s, \
             scale_up: { max_step: 4 } }",
        );
        let mut a = LiveScaler::new(&c, 4);
        assert_eq!(a.next, Duration::from_secs(10));
        let measured = |busy_ns, routed| Seen {
            scrape: Some(scrape(busy_ns, routed, 0, 0)),
            measured: true,
        };
        // Two instances of 4 workers, each 3 busy on average over 10 s: 75 % against 50 %,
        // ceil(2 × 0.75 / 0.5) = 3.
        let seen = [
            measured(30_000_000_000, 100),
            measured(30_000_000_000, 100),
            Seen::default(),
            Seen::default(),
        ];
        assert_eq!(a.evaluate(Duration::from_secs(10), 2, &seen, 4), 3);
        assert_eq!(a.next, Duration::from_secs(20));
        // The third, not measured yet (warming up), is scraped but not averaged: the two others
        // now run all 4 workers: ceil(2 × 1.0 / 0.5) = 4.
        let seen = [
            measured(70_000_000_000, 200),
            measured(70_000_000_000, 200),
            Seen {
                scrape: Some(scrape(40_000_000_000, 90, 0, 0)),
                measured: false,
            },
            Seen::default(),
        ];
        assert_eq!(a.evaluate(Duration::from_secs(20), 3, &seen, 4), 4);
    }
}
