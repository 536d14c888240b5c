//! What the autoscaler measures: one metric per `autoscaler.metric`, each a pure function of a
//! read-only view of the fleet at an evaluation.
//!
//! The simulation builds the view from the *measured* instances only — ready (in rotation) and
//! past `instance_warmup` — so a booting or warming instance neither dilutes nor inflates the
//! average, as Kubernetes' HPA ignores not-yet-ready pods. Averages are per measured instance:
//! `desired = ceil(measured × metric / target)` then holds the per-instance value at the target.

use hdrhistogram::Histogram;

use crate::scenario::ScalingMetric;

/// The response times the p95-latency metric reads: whole microseconds from 1 µs to 1 h, at 3
/// significant digits. The simulation and the live fleet both record into one of these.
pub(crate) fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("static histogram bounds are valid")
}

/// The 95th percentile of response times recorded in microseconds, in milliseconds; `None` if
/// nothing was recorded.
pub(crate) fn p95_ms(latency_us: &Histogram<u64>) -> Option<f64> {
    (!latency_us.is_empty()).then(|| latency_us.value_at_quantile(0.95) as f64 / 1_000.0)
}

/// One measured instance over the last evaluation interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Sample {
    /// Mean busy workers over the interval (worker-seconds / interval seconds).
    pub(crate) busy_workers: f64,
    /// Requests routed to it during the interval.
    pub(crate) routed: u64,
    /// Requests waiting for a worker now.
    pub(crate) queued: u32,
    /// Requests waiting or in service now.
    pub(crate) load: u32,
}

/// The fleet as the autoscaler sees it at one evaluation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View<'a> {
    pub(crate) samples: &'a [Sample],
    /// Workers per instance.
    pub(crate) workers: u32,
    /// Length of the interval the samples cover, in seconds.
    pub(crate) interval_s: f64,
    /// 95th percentile of response times completed by measured instances in the interval, in
    /// milliseconds; `None` if nothing completed.
    pub(crate) p95_ms: Option<f64>,
}

/// A scaling metric: its per-instance value, or `None` when there is nothing to measure (the
/// controller then keeps the current size, as HPA does with missing metrics).
pub(crate) trait Metric {
    fn value(&self, view: &View) -> Option<f64>;
}

/// Busy workers / all workers, averaged over measured instances and the interval.
struct Cpu;
/// Requests routed per measured instance per second.
struct Rps;
/// The fleet's p95 response time (ms): a latency does not average over instances.
struct P95Latency;
/// Requests waiting per measured instance, sampled now (a gauge).
struct QueueDepth;
/// Requests waiting or in service per measured instance, sampled now (a gauge).
struct Concurrency;

fn mean(view: &View, f: impl Fn(&Sample) -> f64) -> Option<f64> {
    if view.samples.is_empty() {
        return None;
    }
    Some(view.samples.iter().map(f).sum::<f64>() / view.samples.len() as f64)
}

impl Metric for Cpu {
    fn value(&self, view: &View) -> Option<f64> {
        let workers = f64::from(view.workers.max(1));
        mean(view, |s| s.busy_workers / workers)
    }
}

impl Metric for Rps {
    fn value(&self, view: &View) -> Option<f64> {
        if view.interval_s <= 0.0 {
            return None;
        }
        mean(view, |s| s.routed as f64 / view.interval_s)
    }
}

impl Metric for P95Latency {
    fn value(&self, view: &View) -> Option<f64> {
        view.p95_ms.filter(|_| !view.samples.is_empty())
    }
}

impl Metric for QueueDepth {
    fn value(&self, view: &View) -> Option<f64> {
        mean(view, |s| f64::from(s.queued))
    }
}

impl Metric for Concurrency {
    fn value(&self, view: &View) -> Option<f64> {
        mean(view, |s| f64::from(s.load))
    }
}

pub(crate) fn build(metric: ScalingMetric) -> Box<dyn Metric> {
    match metric {
        ScalingMetric::Cpu => Box::new(Cpu),
        ScalingMetric::Rps => Box::new(Rps),
        ScalingMetric::P95Latency => Box::new(P95Latency),
        ScalingMetric::QueueDepth => Box::new(QueueDepth),
        ScalingMetric::Concurrency => Box::new(Concurrency),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(samples: &[Sample]) -> View<'_> {
        View {
            samples,
            workers: 8,
            interval_s: 15.0,
            p95_ms: Some(250.0),
        }
    }

    fn sample(busy_workers: f64, routed: u64, queued: u32, load: u32) -> Sample {
        Sample {
            busy_workers,
            routed,
            queued,
            load,
        }
    }

    #[test]
    fn each_metric_averages_over_measured_instances() {
        let s = [sample(4.0, 300, 2, 6), sample(8.0, 600, 10, 18)];
        let v = view(&s);
        // CPU: (4/8 + 8/8) / 2 = 0.75.
        assert_eq!(build(ScalingMetric::Cpu).value(&v), Some(0.75));
        // RPS: (300/15 + 600/15) / 2 = (20 + 40) / 2 = 30.
        assert_eq!(build(ScalingMetric::Rps).value(&v), Some(30.0));
        // Gauges: (2 + 10) / 2 = 6 waiting, (6 + 18) / 2 = 12 in flight.
        assert_eq!(build(ScalingMetric::QueueDepth).value(&v), Some(6.0));
        assert_eq!(build(ScalingMetric::Concurrency).value(&v), Some(12.0));
        // Latency is the fleet's percentile, not an average.
        assert_eq!(build(ScalingMetric::P95Latency).value(&v), Some(250.0));
    }

    #[test]
    fn nothing_measured_means_no_value() {
        let v = view(&[]);
        for m in [
            ScalingMetric::Cpu,
            ScalingMetric::Rps,
            ScalingMetric::P95Latency,
            ScalingMetric::QueueDepth,
            ScalingMetric::Concurrency,
        ] {
            assert_eq!(build(m).value(&v), None, "{m:?}");
        }
        let s = [sample(1.0, 1, 0, 0)];
        let quiet = View {
            p95_ms: None,
            ..view(&s)
        };
        assert_eq!(build(ScalingMetric::P95Latency).value(&quiet), None);
    }
}
