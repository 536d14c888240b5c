//! Objectives across seeds: what `compare`, `sweep` and `plan` say about a variant, a grid point
//! or a searched value.
//!
//! Each run is judged on its own (`metrics::objectives`): per objective, its worst value (the
//! worst window's, or the whole-run total) and whether it was met. Across the seeds of one
//! variant that gives, per objective, the mean ± 95 % interval of the worst value and the seeds
//! meeting it; and the seeds meeting *every* objective. A variant passes when the share of
//! seeds meeting every objective reaches the required fraction (all of them by default).

use serde::Serialize;

use super::outcome::{interval_cell, Estimate, Headline};
use crate::metrics::objectives::judge;
use crate::metrics::Report;
use crate::report::summary::objective_value;
use crate::scenario::{Objective, ObjectiveMetric, Percentile};

/// One run against one objective.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Judged {
    /// The worst window's value, or the whole-run total, in the objective's unit.
    pub(crate) worst: f64,
    pub(crate) met: bool,
}

/// `report` against each of `objectives`, in order.
pub(crate) fn judged(report: &Report, objectives: &[Objective]) -> Vec<Judged> {
    objectives
        .iter()
        .map(|o| {
            let r = judge(report, o);
            Judged {
                worst: r.worst,
                met: r.met,
            }
        })
        .collect()
}

/// One objective over the seeds of a variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct ObjectiveFigures {
    /// As written canonically: `p99 < 250ms`.
    pub(crate) objective: String,
    /// What it measures: which chart panel shows it (see [`headline`]). Not written to files:
    /// `objective` says it.
    #[serde(skip)]
    pub(crate) metric: ObjectiveMetric,
    /// `ms`, `%`, `sessions`, `requests`.
    pub(crate) unit: &'static str,
    /// `window` or `run`.
    pub(crate) scope: &'static str,
    pub(crate) threshold: f64,
    /// The worst value per seed, across seeds.
    pub(crate) worst: Estimate,
    /// Seeds that met this objective.
    pub(crate) seeds_met: usize,
}

/// A variant (grid point, searched value) against all its objectives, over its seeds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Verdict {
    pub(crate) objectives: Vec<ObjectiveFigures>,
    pub(crate) seeds: usize,
    /// Seeds that met every objective.
    pub(crate) seeds_meeting_all: usize,
    /// `seeds_meeting_all / seeds`.
    pub(crate) fraction_meeting_all: f64,
    /// The share of seeds a pass needs (1 = every seed).
    pub(crate) required_fraction: f64,
    /// `fraction_meeting_all ≥ required_fraction`.
    pub(crate) pass: bool,
}

/// The verdict over `runs` (one `Vec<Judged>` per seed, each in the order of `objectives`).
pub(crate) fn verdict(objectives: &[Objective], runs: &[Vec<Judged>], required: f64) -> Verdict {
    let seeds = runs.len();
    let figures = objectives
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let worst: Vec<f64> = runs.iter().map(|r| r[i].worst).collect();
            ObjectiveFigures {
                objective: o.to_string(),
                metric: o.metric,
                unit: o.metric.unit(),
                scope: if o.metric.per_window() {
                    "window"
                } else {
                    "run"
                },
                threshold: o.threshold.value(),
                worst: Estimate::of(&worst),
                seeds_met: runs.iter().filter(|r| r[i].met).count(),
            }
        })
        .collect();
    let seeds_meeting_all = runs.iter().filter(|r| r.iter().all(|j| j.met)).count();
    let fraction = if seeds == 0 {
        0.0
    } else {
        seeds_meeting_all as f64 / seeds as f64
    };
    Verdict {
        objectives: figures,
        seeds,
        seeds_meeting_all,
        fraction_meeting_all: fraction,
        required_fraction: required,
        // Compared on counts, so 0.9 × 10 seeds needs 9 exactly, not 9.000000000000002.
        pass: seeds > 0 && seeds_meeting_all as f64 >= (required * seeds as f64 - 1e-9),
    }
}

/// What a worst value can take: counts and latencies are never below 0, percentages never
/// outside 0–100.
pub(crate) fn bounds(f: &ObjectiveFigures) -> (f64, f64) {
    if f.unit == "%" {
        (0.0, 100.0)
    } else {
        (0.0, f64::INFINITY)
    }
}

/// `231 ± 6 ms` (one seed, or no spread: `231 ms`); a percentage or count interval that would
/// cross its bounds is written as the range `0–4.2 sessions`.
pub(crate) fn worst_cell(f: &ObjectiveFigures) -> String {
    let e = &f.worst;
    if e.half_width == 0.0 {
        return objective_value(f.unit, e.mean);
    }
    let number = |v: f64| {
        let text = objective_value(f.unit, v);
        text.split_once(' ')
            .map_or(text.clone(), |(n, _)| n.to_owned())
    };
    let text = interval_cell(e, bounds(f), number);
    format!("{text} {}", f.unit)
}

/// The headline metric an objective constrains, when a study shows one: the p50 and p99
/// objectives constrain the latency columns (whose whole-run value the worst window can only
/// exceed), `lost_sessions` and `failed_requests` the columns of the same name. Success and
/// availability, and the other percentiles, have no column of their own.
pub(crate) fn headline(metric: ObjectiveMetric) -> Option<Headline> {
    match metric {
        ObjectiveMetric::Percentile(Percentile::P50) => Some(Headline::P50),
        ObjectiveMetric::Percentile(Percentile::P99) => Some(Headline::P99),
        ObjectiveMetric::LostSessions => Some(Headline::SessionsLost),
        ObjectiveMetric::FailedRequests => Some(Headline::FailedRequests),
        _ => None,
    }
}

/// The objectives of `verdict` that constrain `metric`.
pub(crate) fn constraining(
    verdict: Option<&Verdict>,
    metric: Headline,
) -> impl Iterator<Item = &ObjectiveFigures> {
    verdict
        .into_iter()
        .flat_map(|v| &v.objectives)
        .filter(move |f| headline(f.metric) == Some(metric))
}

/// Whether every seed met `f`.
pub(crate) fn met_everywhere(f: &ObjectiveFigures) -> bool {
    f.seeds_met == f.worst.n && f.worst.n > 0
}

/// `10/10 ✓` or `7/10 ✗`: seeds meeting every objective and whether that is a pass.
pub(crate) fn pass_cell(v: &Verdict) -> String {
    format!(
        "{}/{} {}",
        v.seeds_meeting_all,
        v.seeds,
        if v.pass { "pass" } else { "FAIL" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objectives() -> Vec<Objective> {
        ["p99 < 250ms", "lost_sessions == 0"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect()
    }

    fn run(p99: f64, lost: f64) -> Vec<Judged> {
        vec![
            Judged {
                worst: p99,
                met: p99 < 250.0,
            },
            Judged {
                worst: lost,
                met: lost == 0.0,
            },
        ]
    }

    #[test]
    fn a_variant_passes_when_enough_seeds_meet_every_objective() {
        // Seeds: (240, 0) meets both; (260, 0) fails p99; (230, 2) fails lost sessions;
        // (200, 0) meets both. 2 of 4 meet every objective.
        let runs = [
            run(240.0, 0.0),
            run(260.0, 0.0),
            run(230.0, 2.0),
            run(200.0, 0.0),
        ];
        let v = verdict(&objectives(), &runs, 1.0);
        assert_eq!((v.seeds, v.seeds_meeting_all), (4, 2));
        assert_eq!(v.fraction_meeting_all, 0.5);
        assert!(!v.pass);
        assert!(verdict(&objectives(), &runs, 0.5).pass);
        assert!(!verdict(&objectives(), &runs, 0.75).pass);
        // p99 worst values 240, 260, 230, 200: mean 232.5; met by 3 of 4.
        assert_eq!(v.objectives[0].worst.mean, 232.5);
        assert_eq!(v.objectives[0].seeds_met, 3);
        assert_eq!(v.objectives[1].seeds_met, 3);
        assert_eq!(pass_cell(&v), "2/4 FAIL");
    }

    #[test]
    fn a_fraction_is_compared_on_whole_seeds() {
        // 9 of 10 seeds against 0.9: a pass, whatever 0.9 × 10 is in floating point.
        let mut runs = vec![run(100.0, 0.0); 9];
        runs.push(run(300.0, 0.0));
        assert!(verdict(&objectives(), &runs, 0.9).pass);
    }

    #[test]
    fn intervals_of_counts_never_go_below_zero() {
        // Lost sessions 0, 0, 0, 6: mean 1.5, s = 3, half-width t(3) · 3 / 2 = 4.77: the
        // interval −3.27 … 6.27 is shown as 0–6.3 sessions.
        let runs = [run(1.0, 0.0), run(1.0, 0.0), run(1.0, 0.0), run(1.0, 6.0)];
        let v = verdict(&objectives(), &runs, 1.0);
        let f = &v.objectives[1];
        assert_eq!(f.worst.bounded(bounds(f)).0, 0.0);
        assert_eq!(worst_cell(f), "0–6.3 sessions");
        // Identical values have no interval.
        assert_eq!(worst_cell(&v.objectives[0]), "1.00 ms");
    }
}
