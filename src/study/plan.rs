//! `fleetsim plan`: the cheapest value of one integer parameter that meets the objectives.
//!
//! The question is a capacity planner's: "how many instances (workers, minimum replicas, ...)
//! do I need for p99 < 250 ms?". The answer assumes the objectives are monotone in the
//! parameter — once met, met at every value beyond — and searches the integer range by
//! bisection: both ends first (they give the direction: more capacity upwards, as for
//! `instances.count`, or downwards, as for an autoscaler's `target`), then halving the gap
//! between the last failing and the first passing value. A value *passes* when the share of its
//! seeds meeting every objective reaches `--fraction` (all seeds by default); every value runs
//! the same seeds.
//!
//! Bisection only ever samples where the answer could still be, so it cannot itself see the
//! assumption fail. After it, the search therefore also samples the value one step past the
//! answer and the midpoint between the answer and the far end: if a value on the passing side
//! fails, or the far end is the one failing, the objectives are not monotone where sampled, and
//! the output says so and lists every sampled point with its numbers.
//!
//! `--minimize instance_seconds` then looks among passing values (every one when there are at
//! most [`MINIMIZE_VALUES`], else that many spread evenly, the bisection's answer always among
//! them) for the one with the least mean instance-seconds: with an autoscaler, a higher
//! minimum can cost less than a lower one that scales out late and stays out.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use anyhow::{Context, Result};
use serde::Serialize;

use super::objectives::{judged, verdict, worst_cell, Judged, Verdict};
use super::outcome::Estimate;
use super::runner::{timed, Runner};
use crate::echo::echo;
use crate::model::simulate;
use crate::scenario::{self, Objective, Override, Scenario};

/// Most passing values `--minimize` runs.
pub(crate) const MINIMIZE_VALUES: usize = 16;

/// `--search PATH=LOW..HIGH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Search {
    pub(crate) path: String,
    pub(crate) low: i64,
    pub(crate) high: i64,
    arg: String,
}

impl FromStr for Search {
    type Err = String;

    fn from_str(arg: &str) -> Result<Self, String> {
        let Some((path, range)) = arg.split_once('=') else {
            return Err(format!(
                "`{}` has no `=`; expected PATH=LOW..HIGH, like instances.count=2..16",
                echo(arg)
            ));
        };
        let path = path.trim();
        // The path is checked like a --set's.
        format!("{path}=0").parse::<Override>()?;
        let Some((low, high)) = range.split_once("..") else {
            return Err(format!(
                "`{}` is not a range; expected LOW..HIGH with whole numbers, like 2..16",
                echo(range)
            ));
        };
        let number = |s: &str| {
            s.trim()
                .parse::<i64>()
                .map_err(|_| format!("`{}` is not a whole number", echo(s.trim())))
        };
        let (low, high) = (number(low)?, number(high)?);
        if low > high {
            return Err(format!(
                "the range {low}..{high} is empty: LOW is above HIGH"
            ));
        }
        Ok(Self {
            path: path.to_owned(),
            low,
            high,
            arg: arg.to_owned(),
        })
    }
}

impl fmt::Display for Search {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arg)
    }
}

/// What to minimise among passing values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Minimize {
    /// The mean of `fleet.instance_seconds` over the seeds.
    InstanceSeconds,
}

/// One sampled value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Point {
    pub(crate) value: i64,
    pub(crate) verdict: Verdict,
    pub(crate) instance_seconds: Estimate,
    /// Why it was sampled: `end`, `bisection`, `check` or `minimize`.
    pub(crate) role: &'static str,
}

/// The search's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct PlanResult {
    pub(crate) scenario: String,
    pub(crate) path: String,
    pub(crate) low: i64,
    pub(crate) high: i64,
    pub(crate) objectives: Vec<String>,
    pub(crate) seeds: Vec<u64>,
    pub(crate) required_fraction: f64,
    pub(crate) minimize: Option<Minimize>,
    /// `up` (more is safer, e.g. instances.count), `down` (less is safer, e.g. a scaling
    /// target), or `none` when no value passes.
    pub(crate) direction: &'static str,
    /// The cheapest passing value; `None` when no value in the range passes.
    pub(crate) answer: Option<i64>,
    /// The answer with its evidence, in one sentence.
    pub(crate) evidence: String,
    /// No sampled value contradicts monotonicity.
    pub(crate) monotone: bool,
    /// Each contradiction found, in words.
    pub(crate) violations: Vec<String>,
    /// Every sampled value, in value order.
    pub(crate) points: Vec<Point>,
}

/// A planning search ready to run.
pub(crate) struct Planner<'a> {
    pub(crate) spec: &'a str,
    pub(crate) sets: &'a [Override],
    pub(crate) extra_objectives: &'a [Objective],
    pub(crate) search: &'a Search,
    pub(crate) seeds: Vec<u64>,
    pub(crate) fraction: f64,
    pub(crate) minimize: Option<Minimize>,
}

impl Planner<'_> {
    /// The scenario at `value`, with the extra objectives; errors name `--search`.
    pub(crate) fn scenario_at(&self, value: i64) -> Result<Scenario> {
        let set: Override = format!("{}={value}", self.search.path)
            .parse()
            .map_err(anyhow::Error::msg)?;
        let mut sets = self.sets.to_vec();
        sets.push(set);
        let mut s = scenario::load(self.spec, &sets)
            .with_context(|| format!("--search {}: at {value}", echo(&self.search.arg)))?;
        s.objectives.extend(self.extra_objectives.iter().cloned());
        Ok(s)
    }

    /// Checks both ends load and that there is an objective to meet; returns the low end.
    pub(crate) fn check(&self) -> Result<Scenario> {
        let low = self.scenario_at(self.search.low)?;
        self.scenario_at(self.search.high)?;
        anyhow::ensure!(
            !low.objectives.is_empty(),
            "plan needs an objective: pass --objective EXPR (e.g. --objective 'p99 < 250ms') or \
             state `objectives:` in the scenario"
        );
        Ok(low)
    }

    fn evaluate(&self, value: i64, role: &'static str, runner: &Runner) -> Result<Point> {
        let scenario = self.scenario_at(value)?;
        let runs: Vec<(Vec<Judged>, f64)> = runner.map("plan", &self.seeds, |&seed| {
            let mut s = scenario.clone();
            s.seed = seed;
            let report = timed(|| simulate(&s));
            (
                judged(&report, &s.objectives),
                report.fleet.instance_seconds,
            )
        });
        let judged: Vec<Vec<Judged>> = runs.iter().map(|(j, _)| j.clone()).collect();
        let cost: Vec<f64> = runs.iter().map(|(_, c)| *c).collect();
        Ok(Point {
            value,
            verdict: verdict(&scenario.objectives, &judged, self.fraction),
            instance_seconds: Estimate::of(&cost),
            role,
        })
    }

    /// Runs the search.
    pub(crate) fn run(&self, runner: &Runner) -> Result<PlanResult> {
        let first = self.check()?;
        let (low, high) = (self.search.low, self.search.high);
        let mut points: BTreeMap<i64, Point> = BTreeMap::new();
        let sample = |points: &mut BTreeMap<i64, Point>, v: i64, role| -> Result<bool> {
            if let Some(p) = points.get(&v) {
                return Ok(p.verdict.pass);
            }
            let p = self.evaluate(v, role, runner)?;
            let pass = p.verdict.pass;
            points.insert(v, p);
            Ok(pass)
        };
        let low_pass = sample(&mut points, low, "end")?;
        let high_pass = sample(&mut points, high, "end")?;
        let mut violations = Vec::new();
        // Which way is "more capacity": towards the end that passes. With both ends passing,
        // the cheaper end (by instance-seconds) is where capacity is least.
        let up = match (low_pass, high_pass) {
            (false, true) => Some(true),
            (true, false) => Some(false),
            (true, true) => {
                let cost = |v: i64| points[&v].instance_seconds.mean;
                Some(cost(low) <= cost(high))
            }
            (false, false) => None,
        };
        let mut answer = None;
        if let Some(up) = up {
            // Invariant: `fail` fails (or is outside the range), `pass` passes.
            let (mut fail, mut pass) = if up { (low, high) } else { (high, low) };
            if low_pass && high_pass {
                pass = if up { low } else { high };
                fail = pass;
            }
            while (pass - fail).abs() > 1 {
                let mid = fail + (pass - fail) / 2;
                if sample(&mut points, mid, "bisection")? {
                    pass = mid;
                } else {
                    fail = mid;
                }
            }
            // Checks beyond the answer, on the passing side.
            let far = if up { high } else { low };
            let step = if up { 1 } else { -1 };
            for check in [pass + step, pass + (far - pass) / 2] {
                if (low..=high).contains(&check) && !sample(&mut points, check, "check")? {
                    violations.push(format!(
                        "{} = {check} fails although {} = {pass} passes",
                        self.search.path, self.search.path
                    ));
                }
            }
            answer = Some(pass);
            if self.minimize.is_some() {
                let passing: Vec<i64> = if up {
                    (pass..=high).collect()
                } else {
                    (low..=pass).collect()
                };
                let chosen = spread(&passing, MINIMIZE_VALUES);
                for v in chosen {
                    sample(&mut points, v, "minimize")?;
                }
                answer = points
                    .values()
                    .filter(|p| p.verdict.pass && passing.contains(&p.value))
                    .min_by(|a, b| {
                        a.instance_seconds
                            .mean
                            .total_cmp(&b.instance_seconds.mean)
                            .then(a.value.cmp(&b.value))
                    })
                    .map(|p| p.value)
                    .or(answer);
            }
        }
        // Any sampled failure on the passing side of a sampled pass contradicts monotonicity.
        if let Some(up) = up {
            let sampled: Vec<&Point> = points.values().collect();
            for p in &sampled {
                for q in &sampled {
                    let beyond = if up {
                        q.value > p.value
                    } else {
                        q.value < p.value
                    };
                    let text = format!(
                        "{} = {} fails although {} = {} passes",
                        self.search.path, q.value, self.search.path, p.value
                    );
                    if p.verdict.pass && !q.verdict.pass && beyond && !violations.contains(&text) {
                        violations.push(text);
                    }
                }
            }
        }
        let points: Vec<Point> = points.into_values().collect();
        let evidence = evidence(&self.search.path, answer, up, &points, self.seeds.len());
        Ok(PlanResult {
            scenario: first.name.clone(),
            path: self.search.path.clone(),
            low,
            high,
            objectives: first.objectives.iter().map(ToString::to_string).collect(),
            seeds: self.seeds.clone(),
            required_fraction: self.fraction,
            minimize: self.minimize,
            direction: match up {
                Some(true) => "up",
                Some(false) => "down",
                None => "none",
            },
            answer,
            evidence,
            monotone: violations.is_empty(),
            violations,
            points,
        })
    }
}

/// At most `n` of `values` spread evenly, the first always included.
fn spread(values: &[i64], n: usize) -> Vec<i64> {
    if values.len() <= n {
        return values.to_vec();
    }
    (0..n)
        .map(|i| values[i * (values.len() - 1) / (n - 1)])
        .collect()
}

/// "instances.count = 12: worst p99 < 250ms 231 ± 6 ms; 10 of 10 seeds meet every objective;
/// 11 fails in 3 of 10".
fn evidence(
    path: &str,
    answer: Option<i64>,
    up: Option<bool>,
    points: &[Point],
    seeds: usize,
) -> String {
    let Some(answer) = answer else {
        return format!(
            "no value of {path} in the range meets every objective (in the required share of \
             {seeds} seeds)"
        );
    };
    let p = points
        .iter()
        .find(|p| p.value == answer)
        .expect("the answer was sampled");
    let figures: Vec<String> = p
        .verdict
        .objectives
        .iter()
        .map(|f| {
            let what = if f.scope == "window" {
                "worst window"
            } else {
                "run"
            };
            format!("{} ({what} {})", f.objective, worst_cell(f))
        })
        .collect();
    let mut text = format!(
        "{path} = {answer}: {} over {seeds} seeds, {} of {seeds} meeting every objective; \
         {} instance-seconds",
        figures.join(", "),
        p.verdict.seeds_meeting_all,
        crate::report::human::fixed(p.instance_seconds.mean, 0)
    );
    let step = if up == Some(false) { 1 } else { -1 };
    if let Some(q) = points.iter().find(|q| q.value == answer + step) {
        text.push_str(&format!(
            "; {} fails in {} of {seeds}",
            q.value,
            seeds - q.verdict.seeds_meeting_all
        ));
    }
    text
}

/// The terminal output: the answer, any warning, and the sampled points.
pub(crate) fn table(r: &PlanResult) -> String {
    let mut grid = crate::report::new_table();
    let mut header = vec![r.path.clone(), "sampled as".to_owned()];
    header.extend(r.objectives.iter().map(|o| format!("worst: {o}")));
    header.extend([
        "seeds meeting all".to_owned(),
        "instance-seconds".to_owned(),
    ]);
    grid.set_header(header);
    for p in &r.points {
        let mut row = vec![p.value.to_string(), p.role.to_owned()];
        row.extend(p.verdict.objectives.iter().map(worst_cell));
        row.push(super::objectives::pass_cell(&p.verdict));
        row.push(crate::report::human::fixed(p.instance_seconds.mean, 0));
        grid.add_row(row);
    }
    crate::report::align_right_from(&mut grid, 1);
    let mut out = format!("{}: plan {} in {}..{}\n", r.scenario, r.path, r.low, r.high);
    match r.answer {
        Some(a) => out.push_str(&format!("answer: {} = {a}\n", r.path)),
        None => out.push_str("answer: none in the range\n"),
    }
    out.push_str(&format!("{}\n", r.evidence));
    if !r.monotone {
        out.push_str(&format!(
            "warning: the objectives are not monotone in {} where sampled ({}); the answer \
             assumes they are — read the sampled points below\n",
            r.path,
            r.violations.join("; ")
        ));
    }
    out.push_str(&format!("{grid}\n"));
    out
}

/// `plan.json`.
pub(crate) fn json(r: &PlanResult) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(r).expect("plain data serialises");
    bytes.push(b'\n');
    bytes
}

/// `plan.html`: the answer, the evidence, and every sampled point; self-contained.
pub(crate) fn html(r: &PlanResult) -> String {
    use maud::html;
    let title = format!("{}: plan {}", r.scenario, r.path);
    let labels: Vec<String> = r
        .points
        .iter()
        .map(|p| format!("{} ({})", p.value, p.role))
        .collect();
    let seeds = r
        .seeds
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let main = html! {
        header {
            h1 { (title) }
            p class="story" {
                "The cheapest " (r.path) " in " (r.low) ".." (r.high) " meeting "
                (r.objectives.join(", ")) " in "
                @if r.required_fraction >= 1.0 {
                    "every one"
                } @else {
                    (r.required_fraction * 100.0) " %"
                }
                " of " (r.seeds.len()) " seeds."
            }
        }
        h2 id="answer" { "Answer" }
        p class="answer" {
            b {
                @match r.answer {
                    Some(a) => { (r.path) " = " (a) }
                    None => "no value in the range",
                }
            }
        }
        p { (r.evidence) }
        @if !r.monotone {
            p class="warning" {
                "The objectives are not monotone in " (r.path) " where sampled: "
                (r.violations.join("; ")) ". The search assumes they are; read the sampled points."
            }
        }
        h2 id="points" { "Sampled values" }
        (super::html::objectives_table(
            labels
                .iter()
                .map(String::as_str)
                .zip(r.points.iter().map(|p| &p.verdict)),
            &r.path,
        ))
        p class="note" {
            "Bisection over the integers of " (r.low) ".." (r.high) ", both ends first; then \
             checks past the answer. Every value ran the same seeds (" (seeds) ")."
        }
    };
    crate::report::html::document(&title, main, super::html::written_by())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_names_a_path_and_an_integer_range() {
        let s: Search = "instances.count=2..16".parse().unwrap();
        assert_eq!((s.path.as_str(), s.low, s.high), ("instances.count", 2, 16));
        let error = |arg: &str| arg.parse::<Search>().unwrap_err();
        assert!(error("instances.count").contains("has no `=`"));
        assert!(error("instances.count=2-16").contains("is not a range"));
        assert!(error("instances.count=2..x").contains("`x` is not a whole number"));
        assert!(error("instances.count=9..3").contains("LOW is above HIGH"));
        assert!(error("=1..3").contains("is not a field path"));
    }

    #[test]
    fn spread_keeps_both_ends_and_at_most_n_values() {
        assert_eq!(spread(&[1, 2, 3], 16), [1, 2, 3]);
        let values: Vec<i64> = (0..100).collect();
        let s = spread(&values, 4);
        assert_eq!(s, [0, 33, 66, 99]);
    }
}
