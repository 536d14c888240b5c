//! The autoscaler wired to the fleet: what it measures each interval and what it decides.

use super::*;

/// The autoscaler wired to the fleet: its policy, its memory, and what it measured last time.
pub(super) struct Scaler {
    pub(super) config: AutoscalerConfig,
    pub(super) policy: Policy,
    pub(super) controller: Autoscaler,
    pub(super) metric: Box<dyn Metric>,
    /// Per instance slot (`Fleet::slot`): busy worker-nanoseconds and routed requests at the
    /// last evaluation.
    pub(super) marks: Vec<(u128, u64)>,
    pub(super) last_evaluation: SimTime,
    /// Response times (µs) completed by measured instances since the last evaluation, kept only
    /// for the p95-latency metric.
    pub(super) latency: Option<Histogram<u64>>,
    pub(super) samples: Vec<Sample>,
}

impl Scaler {
    pub(super) fn new(config: &AutoscalerConfig) -> Self {
        Scaler {
            config: config.clone(),
            policy: Policy::of(config),
            controller: Autoscaler::default(),
            metric: scaling::build(config.metric),
            marks: Vec::new(),
            last_evaluation: SimTime::ZERO,
            latency: (config.metric == ScalingMetric::P95Latency).then(scaling::latency_histogram),
            samples: Vec::new(),
        }
    }
}

impl Scaler {
    /// A launched instance takes `slot`: nothing measured yet.
    pub(super) fn launched(&mut self, slot: usize) {
        if slot == self.marks.len() {
            self.marks.push((0, 0));
        } else {
            self.marks[slot] = (0, 0);
        }
    }
}

impl Simulation<'_> {
    /// One evaluation of the autoscaler: measure, decide, act.
    pub(super) fn autoscale(&mut self) {
        let now = self.now;
        let Some(scaler) = &mut self.scaler else {
            return;
        };
        let interval = now.saturating_since(scaler.last_evaluation);
        scaler.last_evaluation = now;
        scaler.samples.clear();
        let warmup = scaler.config.instance_warmup;
        let group = scaler.config.group.unwrap_or(0);
        // In id order: the metric sums floating-point samples.
        for (id, slot, inst) in self.instances.iter_slots() {
            let area = inst.busy_area_at(now);
            let (area_mark, routed_mark) =
                std::mem::replace(&mut scaler.marks[slot], (area, inst.routed));
            let measured = inst.group == group
                && inst.life == Life::Up
                && self.balancer.is_routable(id)
                && inst.ready_at.get().is_some_and(|t| t + warmup <= now);
            if measured {
                scaler.samples.push(Sample {
                    busy_workers: (area - area_mark) as f64 / interval.as_nanos().max(1) as f64,
                    routed: inst.routed - routed_mark,
                    queued: inst.waiting() as u32,
                    load: inst.load(),
                });
            }
        }
        let p95_ms = scaler.latency.as_mut().and_then(|h| {
            let p = scaling::p95_ms(h);
            h.reset();
            p
        });
        let view = View {
            samples: &scaler.samples,
            workers: self.groups[group as usize].workers,
            interval_s: interval.as_secs_f64(),
            p95_ms,
        };
        let observation = Observation {
            current: self.desired[group as usize],
            measured: scaler.samples.len() as u32,
            metric: scaler.metric.value(&view),
        };
        let desired = scaler.controller.evaluate(&scaler.policy, now, observation);
        let next = now + scaler.config.interval;
        if next < self.end {
            self.queue.push(next, Event::Autoscale);
        }
        if desired != self.desired[group as usize] {
            self.set_desired(group, desired);
        }
    }
}
