//! Instance groups: per-group figures kept while the run goes (only when the scenario declares
//! groups, so a fleet without them pays nothing), and the per-group section of the report.
//!
//! Everything else about groups lives where it acts: an instance carries its group's size
//! (`Instance::workers`, `queue_cap`, `speed`), the balancer its weight, and `reconcile`,
//! the autoscaler and the events work per group.

use hdrhistogram::Histogram;

use crate::engine::{SimDuration, SimTime};
use crate::metrics::{latency_histogram, latency_of, to_us, Group};
use crate::model::fleet::Fleet;
use crate::model::instance::{Instance, Life};
use crate::scenario::GroupConfig;

/// What a group's instances did that the recorder does not split by group.
pub(crate) struct GroupStats {
    /// Measured requests refused by a full queue of one of its instances.
    pub(crate) queue_full: u64,
    /// Response times of measured requests its instances served (µs).
    latency: Histogram<u64>,
    /// Its retired instances' part of the report, folded in as each one retires.
    retired: Totals,
}

impl Default for GroupStats {
    fn default() -> Self {
        GroupStats {
            queue_full: 0,
            latency: latency_histogram(),
            retired: Totals::default(),
        }
    }
}

impl GroupStats {
    #[inline]
    pub(crate) fn record(&mut self, latency: SimDuration) {
        self.latency.saturating_record(to_us(latency));
    }

    /// Folds in `inst`, which retires having had `routed` measured requests routed to it, over
    /// the measured span `[start, end)`.
    pub(crate) fn retire(&mut self, inst: &Instance, routed: u64, start: SimTime, end: SimTime) {
        self.retired.add(inst, routed, start, end);
    }
}

/// A group's instances summed: integers only, so the order they are added in does not matter.
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    launched: u64,
    crashed: u64,
    requests: u64,
    /// Instance-nanoseconds alive in the measured span.
    alive_ns: u128,
    /// Worker-nanoseconds busy in the measured span.
    busy_ns: u128,
    /// Worker-nanoseconds up in the measured span.
    capacity_ns: u128,
}

impl Totals {
    fn add(&mut self, inst: &Instance, routed: u64, start: SimTime, end: SimTime) {
        let stopped = inst.ended_at.get().unwrap_or(end);
        self.launched += 1;
        self.crashed += u64::from(inst.life == Life::Dead);
        self.requests += routed;
        self.alive_ns += overlap(inst.launched_at, stopped, start, end);
        if let Some(up) = inst.up_at.get() {
            self.capacity_ns += u128::from(inst.workers) * overlap(up, stopped, start, end);
        }
        self.busy_ns += inst.busy_measured_at(end, start);
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

/// The report's `groups` section. `stats` hold the retired instances, `instances` the others;
/// `routed` is the measured requests routed per instance; `[start, end)` the measured span.
pub(crate) fn report(
    groups: &[GroupConfig],
    stats: Vec<GroupStats>,
    instances: &Fleet,
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
    let mut totals: Vec<Totals> = stats.iter().map(|s| s.retired).collect();
    for (id, inst) in instances.iter() {
        let requests = routed.get(id.index()).copied().unwrap_or(0);
        totals[inst.group as usize].add(inst, requests, start, end);
    }
    for (group, t) in out.iter_mut().zip(&totals) {
        group.launched = t.launched;
        group.crashed = t.crashed;
        group.requests = t.requests;
        group.instance_seconds = t.alive_ns as f64 / 1e9;
        group.cost = group.instance_seconds / 3600.0 * group.cost_per_hour;
        group.utilization = if t.capacity_ns > 0 {
            t.busy_ns as f64 / t.capacity_ns as f64
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
        let g = |count, workers| GroupConfig::plain(count, workers, 0);
        // (4·8 + 4·2) / 8 = 5.
        assert_eq!(mean_workers(&[g(4, 8), g(4, 2)]), 5.0);
        assert_eq!(mean_workers(&[g(3, 8)]), 8.0);
    }
}
