//! Instance groups: per-group figures kept while the run goes (only when the scenario declares
//! groups, so a fleet without them pays nothing), and the per-group section of the report.
//!
//! Everything else about groups lives where it acts: an instance carries its group's size
//! (`Instance::workers`, `queue_cap`, `speed`), the balancer its weight, and `reconcile`,
//! the autoscaler and the events work per group.

use hdrhistogram::Histogram;

use crate::engine::{SimDuration, SimTime};
use crate::metrics::{latency_histogram, latency_of, to_us, Group};
use crate::model::instance::{Instance, Life};
use crate::scenario::GroupConfig;

/// What a group's instances did that the recorder does not split by group.
pub(crate) struct GroupStats {
    /// Measured requests refused by a full queue of one of its instances.
    pub(crate) queue_full: u64,
    /// Response times of measured requests its instances served (µs).
    latency: Histogram<u64>,
}

impl Default for GroupStats {
    fn default() -> Self {
        GroupStats {
            queue_full: 0,
            latency: latency_histogram(),
        }
    }
}

impl GroupStats {
    #[inline]
    pub(crate) fn record(&mut self, latency: SimDuration) {
        self.latency.saturating_record(to_us(latency));
    }
}

/// Workers per instance of the initial fleet, on average (the elasticity demand model's
/// instance size when no autoscaler names one). Exact for a single group.
pub(crate) fn mean_workers(groups: &[GroupConfig]) -> f64 {
    let instances: u64 = groups.iter().map(|g| u64::from(g.count)).sum();
    let workers: u64 = groups
        .iter()
        .map(|g| u64::from(g.count) * u64::from(g.workers))
        .sum();
    workers as f64 / instances.max(1) as f64
}

/// Nanoseconds of `[from, to)` inside `[start, end)`.
fn overlap(from: SimTime, to: SimTime, start: SimTime, end: SimTime) -> u128 {
    let a = from.max(start);
    let b = to.min(end);
    u128::from(b.saturating_since(a).as_nanos())
}

/// The report's `groups` section. `routed` is the measured requests routed per instance;
/// `[start, end)` the measured span.
pub(crate) fn report(
    groups: &[GroupConfig],
    stats: Vec<GroupStats>,
    instances: &[Instance],
    routed: &[u64],
    start: SimTime,
    end: SimTime,
) -> Vec<Group> {
    let mut out: Vec<Group> = groups
        .iter()
        .zip(&stats)
        .map(|(g, s)| Group {
            name: g.name.clone(),
            workers: g.workers,
            speed: g.speed,
            weight: g.weight,
            cost_per_hour: g.cost_per_hour,
            queue_full: s.queue_full,
            latency_ms: latency_of(&s.latency),
            ..Group::default()
        })
        .collect();
    let mut alive_ns = vec![0u128; groups.len()];
    let mut busy_ns = vec![0u128; groups.len()];
    let mut capacity_ns = vec![0u128; groups.len()];
    for (n, inst) in instances.iter().enumerate() {
        let g = inst.group as usize;
        let stopped = inst.ended_at.unwrap_or(end);
        out[g].launched += 1;
        out[g].crashed += u64::from(inst.life == Life::Dead);
        out[g].requests += routed.get(n).copied().unwrap_or(0);
        alive_ns[g] += overlap(inst.launched_at, stopped, start, end);
        if let Some(up) = inst.up_at {
            capacity_ns[g] += u128::from(inst.workers) * overlap(up, stopped, start, end);
        }
        busy_ns[g] += inst.busy_measured + inst.busy_measured_to(end);
    }
    for (g, group) in out.iter_mut().enumerate() {
        group.instance_seconds = alive_ns[g] as f64 / 1e9;
        group.cost = group.instance_seconds / 3600.0 * group.cost_per_hour;
        group.utilization = if capacity_ns[g] > 0 {
            busy_ns[g] as f64 / capacity_ns[g] as f64
        } else {
            0.0
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_clips_to_the_measured_span() {
        let s = |x: u64| SimTime(x * 1_000_000_000);
        // Alive 0–50 s, measured 20–100 s: 30 s count.
        assert_eq!(overlap(s(0), s(50), s(20), s(100)), 30_000_000_000);
        // Ended before the span began: nothing.
        assert_eq!(overlap(s(0), s(10), s(20), s(100)), 0);
    }

    #[test]
    fn mean_workers_weighs_groups_by_their_counts() {
        let g = |count, workers| GroupConfig {
            name: "g".into(),
            count,
            workers,
            queue: 0,
            speed: 1.0,
            weight: 1,
            cost_per_hour: 0.0,
        };
        // (4·8 + 4·2) / 8 = 5.
        assert_eq!(mean_workers(&[g(4, 8), g(4, 2)]), 5.0);
        assert_eq!(mean_workers(&[g(3, 8)]), 8.0);
    }
}
