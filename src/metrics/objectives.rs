//! Judging a finished run against its objectives.
//!
//! Per-window objectives (`p50` … `p99.9`, `success`) are judged in each measured window — a
//! window starting at or after the end of warm-up, the windows `report.slo` always counted —
//! and are met only when no judged window fails. A window is judged for latency only when a
//! request succeeded in it (an empty window has no latency), and for `success` only when a
//! request finished in it. The worst window is the one with the largest value for `<`/`<=`,
//! the smallest for `>`/`>=`, the farthest from the threshold for `==`; the earliest wins a tie.
//! Whole-run objectives are judged once on the run's totals; their "worst" is that total.

use std::cmp::Ordering;

use serde::Serialize;

use super::{Report, WindowRow};
use crate::scenario::{Objective, ObjectiveMetric, Percentile, Threshold};

/// How a run fared against one objective (an entry of summary.json's `objectives`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ObjectiveResult {
    /// As written canonically: `p99 < 250ms`.
    pub objective: String,
    /// `p99`, `success`, `lost_sessions`, ...
    pub metric: &'static str,
    /// `window` (judged per measured window) or `run` (judged on the run's totals).
    pub scope: &'static str,
    /// Unit of `threshold` and `worst`: `ms`, `%`, `sessions`, `requests`.
    pub unit: &'static str,
    pub threshold: f64,
    /// Every judged window meets it (per-window), or the total does (whole-run).
    pub met: bool,
    /// The worst window's value (per-window; the threshold-side neutral value, 0 ms or 100 %,
    /// when no window was judged), or the run's total.
    pub worst: f64,
    /// Start of the worst window, seconds; absent for whole-run objectives and when no window
    /// was judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst_window_t_s: Option<f64>,
    /// Measured windows judged (per-window objectives only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows: Option<u64>,
    /// Judged windows that failed the objective (per-window objectives only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows_over: Option<u64>,
}

/// A value compared with a threshold exactly: latencies in microseconds against nanoseconds,
/// success shares as fractions of counts against millionths of a percent.
#[derive(Clone, Copy)]
enum Value {
    /// Milliseconds as the window histogram reported them (whole microseconds / 1000).
    Ms(f64),
    /// `part / whole`, a share of requests.
    Share {
        part: u64,
        whole: u64,
    },
    Count(u64),
}

impl Value {
    /// In the objective's unit: ms, %, or a count.
    fn number(self) -> f64 {
        match self {
            Value::Ms(ms) => ms,
            Value::Share { part, whole } => {
                if whole == 0 {
                    100.0
                } else {
                    part as f64 * 100.0 / whole as f64
                }
            }
            Value::Count(n) => n as f64,
        }
    }

    /// `self` against `threshold`, exactly.
    fn cmp(self, threshold: Threshold) -> Ordering {
        match (self, threshold) {
            (Value::Ms(ms), Threshold::Duration(d)) => {
                // Window values are whole microseconds; compare in nanoseconds.
                let ns = (ms * 1_000.0).round() as u128 * 1_000;
                ns.cmp(&u128::from(d.as_nanos()))
            }
            (Value::Share { part, whole }, Threshold::Percent(p)) => {
                // part / whole · 100 % against p / 10⁶ %: part · 10⁸ against p · whole.
                let whole = whole.max(1);
                (u128::from(part) * 100 * u128::from(crate::scenario::PERCENT_SCALE))
                    .cmp(&(u128::from(p) * u128::from(whole)))
            }
            (Value::Count(n), Threshold::Count(t)) => n.cmp(&t),
            // The parser pairs each metric with its kind of threshold.
            (v, t) => v.number().total_cmp(&t.value()),
        }
    }
}

/// The value of a per-window metric in `row`, `None` when the window has nothing to judge.
fn window_value(metric: ObjectiveMetric, row: &WindowRow) -> Option<Value> {
    match metric {
        ObjectiveMetric::Percentile(p) => (row.succeeded > 0).then_some(Value::Ms(match p {
            Percentile::P50 => row.p50_ms,
            Percentile::P90 => row.p90_ms,
            Percentile::P95 => row.p95_ms,
            Percentile::P99 => row.p99_ms,
            Percentile::P999 => row.p999_ms,
        })),
        ObjectiveMetric::Success => {
            let whole = row.succeeded + row.failed;
            (whole > 0).then_some(Value::Share {
                part: row.succeeded,
                whole,
            })
        }
        _ => None,
    }
}

/// The value of a whole-run metric.
fn run_value(metric: ObjectiveMetric, report: &Report) -> Value {
    let r = &report.requests;
    match metric {
        ObjectiveMetric::LostSessions => Value::Count(report.sessions.lost),
        ObjectiveMetric::FailedRequests => Value::Count(r.failed.total()),
        _ => Value::Share {
            part: r.succeeded,
            whole: r.succeeded + r.failed.total(),
        },
    }
}

/// Whether `a` is worse than `b` under `objective` (strictly, so the earliest of equals wins).
fn worse(objective: &Objective, a: Value, b: Value) -> bool {
    let (a, b) = (a.number(), b.number());
    match objective.comparison.higher_is_worse() {
        Some(true) => a > b,
        Some(false) => a < b,
        None => {
            let t = objective.threshold.value();
            (a - t).abs() > (b - t).abs()
        }
    }
}

/// Judges `report` against one objective.
pub(crate) fn judge(report: &Report, objective: &Objective) -> ObjectiveResult {
    let metric = objective.metric;
    let holds = |v: Value| objective.comparison.holds(v.cmp(objective.threshold));
    let base = ObjectiveResult {
        objective: objective.to_string(),
        metric: metric.name(),
        scope: if metric.per_window() { "window" } else { "run" },
        unit: metric.unit(),
        threshold: objective.threshold.value(),
        met: true,
        worst: 0.0,
        worst_window_t_s: None,
        windows: None,
        windows_over: None,
    };
    if !metric.per_window() {
        let v = run_value(metric, report);
        return ObjectiveResult {
            met: holds(v),
            worst: v.number(),
            ..base
        };
    }
    let warmup_s = report.warmup_seconds;
    let (mut windows, mut over) = (0u64, 0u64);
    let mut worst: Option<(Value, f64)> = None;
    for row in report.timeseries.iter().filter(|r| r.t_s >= warmup_s) {
        let Some(v) = window_value(metric, row) else {
            continue;
        };
        windows += 1;
        over += u64::from(!holds(v));
        if worst.is_none_or(|(w, _)| worse(objective, v, w)) {
            worst = Some((v, row.t_s));
        }
    }
    let neutral = match metric {
        ObjectiveMetric::Success => 100.0,
        _ => 0.0,
    };
    ObjectiveResult {
        met: over == 0,
        worst: worst.map_or(neutral, |(v, _)| v.number()),
        worst_window_t_s: worst.map(|(_, t)| t),
        windows: Some(windows),
        windows_over: Some(over),
        ..base
    }
}

/// Judges `report` against every objective, in order.
pub(crate) fn judge_all(report: &Report, objectives: &[Objective]) -> Vec<ObjectiveResult> {
    objectives.iter().map(|o| judge(report, o)).collect()
}

/// Fills `report.objectives` when some objective was stated as one (not only as `report.slo`,
/// whose runs keep the summary they always had).
pub(crate) fn attach(report: &mut Report, objectives: &[Objective]) {
    if objectives.iter().any(|o| !o.from_slo) {
        report.objectives = Some(judge_all(report, objectives));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Requests;

    fn objective(text: &str) -> Objective {
        text.parse().unwrap()
    }

    /// Windows of 10 s from t = 0 with a 10 s warm-up: the first is not measured.
    fn report(rows: &[(u64, u64, f64)]) -> Report {
        let mut r = crate::report::fixtures::crash_sticky();
        r.warmup_seconds = 10.0;
        r.timeseries = rows
            .iter()
            .enumerate()
            .map(|(i, &(succeeded, failed, p99_ms))| WindowRow {
                t_s: i as f64 * 10.0,
                succeeded,
                failed,
                p99_ms,
                p50_ms: p99_ms / 2.0,
                ..WindowRow::default()
            })
            .collect();
        r
    }

    #[test]
    fn a_latency_objective_counts_the_measured_windows_over_and_keeps_the_worst() {
        // Window 0 is warm-up (900 ms is ignored); window 3 had no success (no latency).
        // Judged: windows 1, 2, 4, 5 with p99 200, 250, 260, 240 ms. `p99 < 250ms` fails at
        // 250 (not below) and 260: 2 of 4 over; the worst is 260 ms at t = 40 s.
        let r = report(&[
            (5, 0, 900.0),
            (5, 0, 200.0),
            (5, 0, 250.0),
            (0, 3, 0.0),
            (5, 0, 260.0),
            (5, 0, 240.0),
        ]);
        let got = judge(&r, &objective("p99 < 250ms"));
        assert_eq!(
            (got.met, got.windows, got.windows_over),
            (false, Some(4), Some(2))
        );
        assert_eq!((got.worst, got.worst_window_t_s), (260.0, Some(40.0)));
        // `<=` lets 250 pass: only 260 is over.
        let got = judge(&r, &objective("p99 <= 250ms"));
        assert_eq!(got.windows_over, Some(1));
        // p50 is half of p99 here: the worst is 130 ms, under 200 ms everywhere.
        let got = judge(&r, &objective("p50 < 200ms"));
        assert!(got.met);
        assert_eq!(got.worst, 130.0);
    }

    #[test]
    fn success_is_judged_per_window_exactly_and_availability_on_the_totals() {
        // Measured windows: 999/1000 = 99.9 % (meets >= 99.9 % exactly), 1998/2000 = 99.9 %,
        // 997/1000 = 99.7 % (fails), and an empty one (not judged).
        let mut r = report(&[
            (0, 5, 0.0),
            (999, 1, 10.0),
            (1998, 2, 10.0),
            (997, 3, 10.0),
            (0, 0, 0.0),
        ]);
        let got = judge(&r, &objective("success >= 99.9%"));
        assert_eq!(
            (got.met, got.windows, got.windows_over),
            (false, Some(3), Some(1))
        );
        assert!((got.worst - 99.7).abs() < 1e-12);
        assert_eq!(got.worst_window_t_s, Some(30.0));
        // Availability on the run's totals: 9 990 succeeded, 10 failed → 99.9 % exactly.
        r.requests = Requests {
            sent: 10_000,
            succeeded: 9_990,
            ..Requests::default()
        };
        r.requests.failed.timeout = 10;
        let got = judge(&r, &objective("availability >= 99.9%"));
        assert!(got.met);
        assert_eq!(got.windows, None);
        assert!(!judge(&r, &objective("availability > 99.9%")).met);
    }

    #[test]
    fn counts_are_judged_on_the_run() {
        let mut r = report(&[]);
        r.sessions.lost = 3;
        r.requests.failed = Default::default();
        r.requests.failed.queue_full = 7;
        r.requests.failed.session_lost = 5;
        assert!(!judge(&r, &objective("lost_sessions == 0")).met);
        assert_eq!(judge(&r, &objective("lost_sessions == 0")).worst, 3.0);
        // 7 + 5 = 12 failed attempts.
        assert!(judge(&r, &objective("failed_requests <= 12")).met);
        assert!(!judge(&r, &objective("failed_requests < 12")).met);
    }

    #[test]
    fn the_summary_gets_objectives_only_when_some_were_stated_as_such() {
        let mut r = report(&[(1, 0, 5.0), (1, 0, 5.0)]);
        let slo = Objective::from_slo(crate::engine::SimDuration::from_millis(10));
        attach(&mut r, std::slice::from_ref(&slo));
        assert_eq!(r.objectives, None);
        attach(&mut r, &[slo, objective("p99 < 1ms")]);
        let results = r.objectives.unwrap();
        assert_eq!(results[0].objective, "p99 <= 10ms");
        assert!(results[0].met && !results[1].met);
    }

    #[test]
    fn no_judged_window_meets_the_objective_with_a_neutral_worst() {
        let r = report(&[(0, 0, 0.0), (0, 4, 0.0)]);
        let got = judge(&r, &objective("p99 < 1ms"));
        assert_eq!((got.met, got.windows, got.worst), (true, Some(0), 0.0));
        assert_eq!(got.worst_window_t_s, None);
        let got = judge(&r, &objective("success >= 50%"));
        // The one measured window had 4 failures and no success: 0 %.
        assert_eq!((got.met, got.windows, got.worst), (false, Some(1), 0.0));
    }
}
