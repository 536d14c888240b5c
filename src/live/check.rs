//! `fleetsim check`: the simulation over N seeds next to one live run, metric by metric, with a
//! verdict against stated tolerances.
//!
//! A simulated metric is summarised over its seeds by the study module's [`Estimate`] (mean,
//! 95 % interval of the mean, standard deviation). One live run is one draw, not a mean, so it is
//! compared with the 95 % *prediction* interval of a single run, `mean ± t·sd·√(1 + 1/n)`,
//! widened by a per-metric margin for what the model deliberately leaves out:
//!
//! | metric | margin | why |
//! |---|---|---|
//! | lost sessions, failed requests (by cause) | 25 % of the simulated mean + 5 | one live run; HAProxy's check phase and the instant the kill lands differ from the model's |
//! | p50 latency | 2 ms + 10 % | the real hop (two loopback TCP hops, HAProxy, thread wake-up, sleep overshoot) |
//! | p95, p99 latency | 5 ms + 25 % | the same, plus scheduler noise on 2 shared cores |
//! | time to detect a crash | one check interval | HAProxy's check phase is not the model's |
//! | time to finish a deploy | 2 check intervals per new instance + 20 % | each new instance waits for its `rise` checks and its predecessor's drain |
//! | peak instances | 1 | a decision is a ceiling of the measured metric: live CPU carries the real hop and thread wake-ups, so a value near a boundary may round one instance the other way |
//! | mean instances | one step held for one interval, over the run | a decision taken one evaluation earlier or later moves up to `max_step` instances for one `interval` |
//! | scale actions | 1 + 25 % | the same boundary: one decision more or less |
//!
//! The last three are compared only for a scenario that resizes its fleet (an autoscaler or a
//! `scale` event).

use std::fmt::Write as _;

use maud::{html, Markup};

use serde::Serialize;

use super::LiveRun;
use crate::metrics::{Report, TimelineEvent};
use crate::report::html::document;
use crate::scenario::{Action, Scenario};
use crate::study::html::written_by;
use crate::study::outcome::{t_975, Estimate};

/// One compared metric.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) metric: String,
    pub(crate) unit: &'static str,
    pub(crate) simulated_mean: f64,
    /// Half-width of the 95 % interval of the simulated mean.
    pub(crate) simulated_ci: f64,
    pub(crate) live: f64,
    pub(crate) difference: f64,
    /// The live value agrees if `|difference| ≤ tolerance`.
    pub(crate) tolerance: f64,
    pub(crate) agrees: bool,
}

/// The whole check.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Check {
    pub(crate) scenario: String,
    pub(crate) seeds: Vec<u64>,
    pub(crate) live_seed: u64,
    pub(crate) rows: Vec<Row>,
    pub(crate) agrees: bool,
}

struct Metric {
    name: &'static str,
    unit: &'static str,
    of: fn(&Report) -> Option<f64>,
    /// Margin from the simulated mean and the scenario.
    margin: fn(f64, &Scenario) -> f64,
    /// Whether the metric says anything about the scenario.
    applies: fn(&Scenario) -> bool,
}

fn always(_: &Scenario) -> bool {
    true
}

/// The fleet changes size by decision: an autoscaler or a `scale` event.
fn resizes(s: &Scenario) -> bool {
    s.autoscaler.is_some()
        || s.events
            .iter()
            .any(|e| matches!(e.action, Action::Scale { .. }))
}

/// One autoscaler step (or one `scale` event's) held for one evaluation interval, as a share
/// of the run: what a decision one interval earlier or later moves the mean fleet by.
fn one_step_one_interval(s: &Scenario) -> f64 {
    let Some(a) = &s.autoscaler else {
        return 1.0;
    };
    let step = a.scale_up.max_step.min(a.max.saturating_sub(a.min)).max(1);
    f64::from(step) * a.interval.as_secs_f64() / s.duration.as_secs_f64()
}

fn counts_margin(mean: f64, _: &Scenario) -> f64 {
    0.25 * mean + 5.0
}

fn first_gap(
    r: &Report,
    from: fn(&TimelineEvent) -> bool,
    to: fn(&TimelineEvent) -> bool,
) -> Option<f64> {
    let start = r.timeline.iter().find(|e| from(&e.event))?.t_s;
    let end = r
        .timeline
        .iter()
        .find(|e| e.t_s >= start && to(&e.event))?
        .t_s;
    Some(end - start)
}

fn interval_s(s: &Scenario) -> f64 {
    s.balancer.health_check.interval.as_secs_f64()
}

const METRICS: &[Metric] = &[
    Metric {
        name: "lost sessions",
        unit: "",
        of: |r| Some(r.sessions.lost as f64),
        margin: counts_margin,
        applies: always,
    },
    Metric {
        name: "failed requests",
        unit: "",
        of: |r| Some(r.requests.failed.total() as f64),
        margin: counts_margin,
        applies: always,
    },
    Metric {
        name: "failed: instance down",
        unit: "",
        of: |r| Some(r.requests.failed.instance_down as f64),
        margin: counts_margin,
        applies: always,
    },
    Metric {
        name: "failed: session lost",
        unit: "",
        of: |r| Some(r.requests.failed.session_lost as f64),
        margin: counts_margin,
        applies: always,
    },
    Metric {
        name: "failed: store unavailable",
        unit: "",
        of: |r| Some(r.requests.failed.store_unavailable as f64),
        margin: counts_margin,
        applies: always,
    },
    Metric {
        name: "failed: queue full or timeout",
        unit: "",
        of: |r| Some((r.requests.failed.queue_full + r.requests.failed.timeout) as f64),
        margin: counts_margin,
        applies: always,
    },
    Metric {
        name: "p50 latency",
        unit: "ms",
        of: |r| Some(r.latency_ms.p50),
        margin: |mean, _| 2.0 + 0.10 * mean,
        applies: always,
    },
    Metric {
        name: "p95 latency",
        unit: "ms",
        of: |r| Some(r.latency_ms.p95),
        margin: |mean, _| 5.0 + 0.25 * mean,
        applies: always,
    },
    Metric {
        name: "p99 latency",
        unit: "ms",
        of: |r| Some(r.latency_ms.p99),
        margin: |mean, _| 5.0 + 0.25 * mean,
        applies: always,
    },
    Metric {
        name: "time to detect a crash",
        unit: "s",
        of: |r| {
            first_gap(
                r,
                |e| matches!(e, TimelineEvent::Crash { .. }),
                |e| matches!(e, TimelineEvent::MarkedDown { .. }),
            )
        },
        margin: |_, s| interval_s(s),
        applies: always,
    },
    Metric {
        name: "time to finish a deploy",
        unit: "s",
        of: |r| {
            first_gap(
                r,
                |e| matches!(e, TimelineEvent::RollingDeploy { .. }),
                |e| matches!(e, TimelineEvent::DeployFinished),
            )
        },
        margin: |mean, s| 2.0 * interval_s(s) * f64::from(s.instances.count) + 0.2 * mean,
        applies: always,
    },
    Metric {
        name: "peak instances",
        unit: "",
        of: |r| Some(r.fleet.peak as f64),
        margin: |_, _| 1.0,
        applies: resizes,
    },
    Metric {
        name: "mean instances",
        unit: "",
        of: |r| Some(r.fleet.mean),
        margin: |_, s| one_step_one_interval(s),
        applies: resizes,
    },
    Metric {
        name: "scale actions",
        unit: "",
        of: |r| Some(r.fleet.scale_actions as f64),
        margin: |mean, _| 1.0 + 0.25 * mean,
        applies: resizes,
    },
];

/// Compares the simulated `reports` (one per seed) with the live run.
pub(crate) fn compare(
    scenario: &Scenario,
    seeds: &[u64],
    reports: &[Report],
    live: &LiveRun,
) -> Check {
    let mut rows = Vec::new();
    for m in METRICS.iter().filter(|m| (m.applies)(scenario)) {
        let simulated: Vec<f64> = reports.iter().filter_map(|r| (m.of)(r)).collect();
        let Some(live_value) = (m.of)(&live.report) else {
            continue;
        };
        if simulated.is_empty() {
            continue;
        }
        let e = Estimate::of(&simulated);
        let prediction = if e.n > 1 {
            t_975(e.n - 1) * e.std_dev * (1.0 + 1.0 / e.n as f64).sqrt()
        } else {
            0.0
        };
        let tolerance = prediction + (m.margin)(e.mean, scenario);
        let difference = live_value - e.mean;
        rows.push(Row {
            metric: m.name.to_owned(),
            unit: m.unit,
            simulated_mean: e.mean,
            simulated_ci: e.half_width,
            live: live_value,
            difference,
            tolerance,
            agrees: difference.abs() <= tolerance,
        });
    }
    Check {
        scenario: scenario.name.clone(),
        seeds: seeds.to_vec(),
        live_seed: scenario.seed,
        agrees: rows.iter().all(|r| r.agrees),
        rows,
    }
}

fn verdict(agrees: bool) -> &'static str {
    if agrees {
        "agrees"
    } else {
        "DIFFERS"
    }
}

/// The check as a table for the terminal.
pub(crate) fn table(c: &Check) -> String {
    let mut out = format!(
        "{}: simulated over {} seeds vs one live run\n",
        c.scenario,
        c.seeds.len()
    );
    let _ = writeln!(
        out,
        "{:<30} {:>20} {:>10} {:>10} {:>10}  verdict",
        "metric", "simulated (95 % CI)", "live", "diff", "tolerance"
    );
    for r in &c.rows {
        let _ = writeln!(
            out,
            "{:<30} {:>20} {:>10} {:>10} {:>10}  {}",
            format!(
                "{} {}",
                r.metric,
                if r.unit.is_empty() { "" } else { r.unit }
            )
            .trim_end(),
            format!("{:.1} ± {:.1}", r.simulated_mean, r.simulated_ci),
            format!("{:.1}", r.live),
            format!("{:+.1}", r.difference),
            format!("±{:.1}", r.tolerance),
            verdict(r.agrees)
        );
    }
    out
}

/// check.csv: one row per metric.
pub(crate) fn csv(c: &Check) -> Vec<u8> {
    let mut out = String::from(
        "metric,unit,simulated_mean,simulated_ci95,live,difference,tolerance,verdict\n",
    );
    for r in &c.rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            r.metric,
            r.unit,
            r.simulated_mean,
            r.simulated_ci,
            r.live,
            r.difference,
            r.tolerance,
            verdict(r.agrees)
        );
    }
    out.into_bytes()
}

/// check.json.
pub(crate) fn json(c: &Check) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(c).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// An SVG of one time-series column, simulated (first seed) and live overlaid.
fn overlay(title: &str, sim: &[(f64, f64)], live: &[(f64, f64)]) -> Markup {
    let (w, h, pad) = (640.0, 200.0, 30.0);
    let t_max = sim.iter().chain(live).map(|p| p.0).fold(1.0, f64::max);
    let y_max = sim.iter().chain(live).map(|p| p.1).fold(1.0, f64::max);
    let points = |points: &[(f64, f64)]| {
        points
            .iter()
            .map(|(t, y)| {
                format!(
                    "{:.1},{:.1}",
                    pad + t / t_max * (w - 2.0 * pad),
                    h - pad - y / y_max * (h - 2.0 * pad)
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    html! {
        svg width=(w) height=(h) {
            text x=(pad) y="18" font-family="sans-serif" font-size="13" {
                (title) " (max " (format!("{y_max:.0}")) "; "
                tspan fill="#1f77b4" { "simulated" } ", "
                tspan fill="#d62728" { "live" } ")"
            }
            line x1=(pad) y1=(h - pad) x2=(w - pad) y2=(h - pad) stroke="#999" {}
            polyline fill="none" stroke="#1f77b4" stroke-width="2" points=(points(sim)) {}
            polyline fill="none" stroke="#d62728" stroke-width="2" points=(points(live)) {}
        }
    }
}

/// check.html: the table and the two runs' time series overlaid.
pub(crate) fn html(c: &Check, simulated: &Report, live: &Report) -> Vec<u8> {
    let series = |r: &Report, f: fn(&crate::metrics::WindowRow) -> f64| -> Vec<(f64, f64)> {
        r.timeseries.iter().map(|w| (w.t_s, f(w))).collect()
    };
    let charts = [
        overlay(
            "throughput (requests succeeded per window)",
            &series(simulated, |w| w.succeeded as f64),
            &series(live, |w| w.succeeded as f64),
        ),
        overlay(
            "failed requests per window",
            &series(simulated, |w| w.failed as f64),
            &series(live, |w| w.failed as f64),
        ),
        overlay(
            "instances ready",
            &series(simulated, |w| f64::from(w.instances_ready)),
            &series(live, |w| f64::from(w.instances_ready)),
        ),
        overlay(
            "sessions lost (cumulative)",
            &series(simulated, |w| w.sessions_lost_total as f64),
            &series(live, |w| w.sessions_lost_total as f64),
        ),
    ];
    let title = format!("check: {}", c.scenario);
    let main = html! {
        h1 { (title) }
        p {
            "Simulated over seeds " (format!("{:?}", c.seeds)) " (mean ± 95 % interval) against \
             one live run (seed " (c.live_seed) ") on HAProxy, redis-server and fleetsim \
             instance processes. Verdict: "
            b {
                (if c.agrees { "live and simulated agree" } else { "live and simulated differ" })
            }
            ". Tolerances: the 95 % prediction interval of one simulated run plus a margin per \
             metric (docs/live.md)."
        }
        table {
            tr {
                th { "metric" } th { "unit" } th { "simulated" } th { "live" }
                th { "difference" } th { "tolerance" } th { "verdict" }
            }
            @for r in &c.rows {
                tr {
                    td { (r.metric) }
                    td { (r.unit) }
                    td { (format!("{:.1} ± {:.1}", r.simulated_mean, r.simulated_ci)) }
                    td { (format!("{:.1}", r.live)) }
                    td { (format!("{:+.1}", r.difference)) }
                    td { (format!("±{:.1}", r.tolerance)) }
                    td class=(if r.agrees { "ok" } else { "bad" }) { (verdict(r.agrees)) }
                }
            }
        }
        @for chart in &charts {
            (chart)
        }
        p {
            "The live run's own report: " a href="live/report.html" { "live/report.html" } "."
        }
    };
    document(&title, main, written_by()).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn check(scenario: &str, metric: &str) -> Check {
        Check {
            scenario: scenario.to_owned(),
            seeds: vec![7, 8, 9],
            live_seed: 7,
            rows: vec![Row {
                metric: metric.to_owned(),
                unit: "sessions",
                simulated_mean: 3_200.0,
                simulated_ci: 248.4,
                live: 3_100.0,
                difference: -100.0,
                tolerance: 805.0,
                agrees: true,
            }],
            agrees: true,
        }
    }

    fn page(c: &Check) -> String {
        let report = fixtures::crash_sticky_with_windows();
        String::from_utf8(html(c, &report, &report)).unwrap()
    }

    #[test]
    fn the_page_has_the_verdict_the_table_and_four_overlays() {
        let html = page(&check("crash-sticky", "lost sessions"));
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<title>check: crash-sticky</title>"));
        assert!(html.contains("<b>live and simulated agree</b>"));
        assert!(html.contains(
            "<tr><td>lost sessions</td><td>sessions</td><td>3200.0 ± 248.4</td><td>3100.0</td>\
             <td>-100.0</td><td>±805.0</td><td class=\"ok\">"
        ));
        assert_eq!(html.matches("<svg ").count(), 4);
        assert_eq!(html.matches("<polyline ").count(), 8);
        // SVG elements inside HTML are closed explicitly.
        assert_eq!(
            html.matches("<line ").count(),
            html.matches("</line>").count()
        );
        assert_eq!(
            html.matches("<polyline ").count(),
            html.matches("</polyline>").count()
        );
        assert!(html.contains("<a href=\"live/report.html\">live/report.html</a>"));
    }

    #[test]
    fn the_page_fetches_nothing_and_runs_nothing() {
        let html = page(&check("crash-sticky", "lost sessions"));
        for forbidden in ["http:", "https:", "<script", "src=", "url(", "@import"] {
            assert!(!html.contains(forbidden), "{forbidden:?}");
        }
    }

    #[test]
    fn text_from_the_scenario_cannot_inject_markup() {
        let html = page(&check("<script>x</script>", "<b>lost</b> & \"more\""));
        assert!(!html.contains("<script"));
        assert!(!html.contains("<b>lost"));
        assert!(html.contains("check: &lt;script&gt;x&lt;/script&gt;"));
        assert!(html.contains("&lt;b&gt;lost&lt;/b&gt; &amp; &quot;more&quot;"));
    }

    #[test]
    fn the_same_check_gives_the_same_bytes() {
        let c = check("crash-sticky", "lost sessions");
        assert_eq!(page(&c), page(&c));
    }
}
