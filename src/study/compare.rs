//! `fleetsim compare`: variants of one scenario over the same seeds.
//!
//! The variants are the cartesian product of the `--vary` axes; each runs once per seed, and seed
//! `i` is the same for every variant (common random numbers). A variant is summarised by the
//! mean ± 95 % confidence interval of each headline metric across its seeds, and by its time
//! series averaged window by window.
//!
//! Each variant's first seed is also kept as a full run report in its own folder under `runs/`,
//! named when the plan is made (before anything runs) so that no two variants share one.

use anyhow::Context;
use serde::Serialize;

use super::grid::{check_size, indices_of, load_points, seed_range, Axis};
use super::objectives::{judged, pass_cell, verdict, worst_cell, Judged, Verdict};
use super::outcome::{self, cell, Estimate, Headline, Outcome};
use super::runner::{timed, Runner};
use crate::metrics::{Report, TimelineEntry};
use crate::model::simulate;
use crate::scenario::{Override, Scenario};

/// A finished comparison: what the table, files and charts are made from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Comparison {
    pub(crate) scenario: String,
    pub(crate) description: String,
    /// The seeds every variant ran with, in order.
    pub(crate) seeds: Vec<u64>,
    /// End of warm-up, seconds (charts shade it).
    pub(crate) warmup_s: f64,
    /// The scenario's events as applied in the first variant's first seed (chart markers).
    pub(crate) timeline: Vec<TimelineEntry>,
    pub(crate) variants: Vec<VariantSummary>,
}

impl Comparison {
    /// The objectives every variant was judged by (those of the first variant), as written.
    pub(crate) fn objectives(&self) -> Vec<String> {
        self.variants
            .first()
            .and_then(|v| v.verdict.as_ref())
            .map(|v| v.objectives.iter().map(|o| o.objective.clone()).collect())
            .unwrap_or_default()
    }

    /// The verdict of its first judged variant: every variant is judged by the same objectives,
    /// so it gives their thresholds. `None` without objectives.
    pub(crate) fn verdict(&self) -> Option<&Verdict> {
        self.variants.iter().find_map(|v| v.verdict.as_ref())
    }

    /// The headline metrics its table, files and charts show: the connection ones too when its
    /// runs had connections.
    pub(crate) fn metrics(&self) -> &'static [Headline] {
        let connections = self
            .variants
            .iter()
            .flat_map(|v| &v.outcomes)
            .any(Outcome::has_connections);
        Headline::shown(connections)
    }
}

/// One variant: its overrides, its runs and their summary.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct VariantSummary {
    /// How tables and legends name it, e.g. `store=redis`.
    pub(crate) label: String,
    /// The overrides that make it, as `path=value`.
    pub(crate) overrides: Vec<String>,
    /// One outcome per seed, in the order of [`Comparison::seeds`].
    pub(crate) outcomes: Vec<Outcome>,
    /// One estimate per metric of [`super::outcome::Headline::ALL`], in that order.
    pub(crate) estimates: Vec<Estimate>,
    /// The time series averaged over seeds, window by window.
    pub(crate) series: Vec<SeriesRow>,
    /// Its objectives over its seeds; `None` when the scenario states none.
    pub(crate) verdict: Option<Verdict>,
}

impl VariantSummary {
    /// The estimate of `metric`, if it has one.
    pub(crate) fn estimate(&self, metric: Headline) -> Option<&Estimate> {
        self.estimates.get(metric.index())
    }
}

/// One report window of a variant, averaged over its seeds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct SeriesRow {
    /// Start of the window, seconds.
    pub(crate) t_s: f64,
    /// Successful requests per second.
    pub(crate) throughput: f64,
    /// Failed request attempts per second.
    pub(crate) failures: f64,
    pub(crate) p99_ms: f64,
    pub(crate) instances_ready: f64,
    /// Cumulative lost sessions since the start of the run.
    pub(crate) sessions_lost_total: f64,
}

/// A comparison ready to run: every variant's scenario, loaded and validated.
pub(crate) struct Plan {
    pub(crate) scenario: String,
    pub(crate) description: String,
    pub(crate) axes: Vec<Axis>,
    pub(crate) seeds: Vec<u64>,
    pub(crate) variants: Vec<Variant>,
}

/// One variant of a comparison, loaded and validated.
pub(crate) struct Variant {
    /// How tables and legends name it, e.g. `store=redis`.
    pub(crate) label: String,
    /// The overrides that make it, as `path=value`.
    pub(crate) overrides: Vec<String>,
    pub(crate) scenario: Scenario,
    /// The folder of its first-seed report under `runs/`: see [`folder_names`].
    pub(crate) folder: String,
}

impl Plan {
    /// Loads `spec` once per variant, with `sets` then the variant's values applied: an invalid
    /// combination is reported before anything runs. `seeds` consecutive seeds start at `seed`,
    /// or at the scenario's own seed.
    pub(crate) fn new(
        spec: &str,
        sets: &[Override],
        axes: Vec<Axis>,
        seeds: usize,
        seed: Option<u64>,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(seeds >= 1, "--seeds must be at least 1");
        // Everything that can be checked without loading a scenario is checked first.
        check_size(&axes, seeds, "--vary").map_err(anyhow::Error::msg)?;
        if let Some(first) = seed {
            seed_range(first, seeds, true).map_err(anyhow::Error::msg)?;
        }
        let mut variants: Vec<_> = load_points(spec, sets, &axes)?
            .into_iter()
            .map(|p| Variant {
                label: label(&axes, &p.indices).unwrap_or_else(|| p.scenario.name.clone()),
                overrides: p.overrides.iter().map(|o| o.arg().to_owned()).collect(),
                scenario: p.scenario,
                folder: String::new(),
            })
            .collect();
        let folders = folder_names(
            variants
                .iter()
                .map(|v| (v.scenario.name.as_str(), v.label.as_str())),
        );
        for (variant, folder) in variants.iter_mut().zip(folders) {
            variant.folder = folder;
        }
        let first = &variants
            .first()
            .context("internal: a comparison has a variant")?
            .scenario;
        let seeds = seed_range(seed.unwrap_or(first.seed), seeds, seed.is_some())
            .map_err(anyhow::Error::msg)?;
        Ok(Self {
            scenario: first.name.clone(),
            description: first.description.clone(),
            seeds,
            axes,
            variants,
        })
    }

    /// Runs every variant × seed on `runner`. Also returns each variant's report for the first
    /// seed, for the per-variant report folders.
    pub(crate) fn run(&self, runner: &Runner) -> (Comparison, Vec<Report>) {
        let jobs: Vec<(usize, u64)> = (0..self.variants.len())
            .flat_map(|v| self.seeds.iter().map(move |&seed| (v, seed)))
            .collect();
        let first_seed = self.seeds[0];
        let results = runner.map("compare", &jobs, |&(v, seed)| {
            let mut scenario = self.variants[v].scenario.clone();
            scenario.seed = seed;
            let mut report = timed(|| simulate(&scenario));
            crate::metrics::objectives::attach(&mut report, &scenario.objectives);
            // Only the first seed's report is kept whole (for the variant's report folder).
            let outcome = (
                Outcome::of(&report),
                series(&report),
                judged(&report, &scenario.objectives),
            );
            (outcome, (seed == first_seed).then_some(report))
        });
        let mut results = results.into_iter();
        let mut variants = Vec::with_capacity(self.variants.len());
        let mut first_reports = Vec::with_capacity(self.variants.len());
        let mut timeline = Vec::new();
        let mut warmup_s = 0.0;
        for (v, variant) in self.variants.iter().enumerate() {
            let mut runs: Vec<_> = results.by_ref().take(self.seeds.len()).collect();
            let outcomes: Vec<Outcome> = runs.iter().map(|((o, _, _), _)| *o).collect();
            let series = average(runs.iter().map(|((_, s, _), _)| s.as_slice()));
            let objectives = &variant.scenario.objectives;
            let judged: Vec<Vec<Judged>> = runs.iter().map(|((_, _, j), _)| j.clone()).collect();
            let verdict = (!objectives.is_empty()).then(|| verdict(objectives, &judged, 1.0));
            let report = runs[0].1.take().expect("the first seed's report is kept");
            if v == 0 {
                timeline.clone_from(&report.timeline);
                warmup_s = report.warmup_seconds;
            }
            first_reports.push(report);
            variants.push(VariantSummary {
                label: variant.label.clone(),
                overrides: variant.overrides.clone(),
                estimates: outcome::estimates(&outcomes),
                outcomes,
                series,
                verdict,
            });
        }
        let comparison = Comparison {
            scenario: self.scenario.clone(),
            description: self.description.clone(),
            seeds: self.seeds.clone(),
            warmup_s,
            timeline,
            variants,
        };
        (comparison, first_reports)
    }
}

/// `store=redis, affinity=none`: each axis by the last part of its path, or by its whole path
/// when two axes end alike. `None` without axes.
fn label(axes: &[Axis], indices: &[usize]) -> Option<String> {
    if axes.is_empty() {
        return None;
    }
    let parts: Vec<String> = axes
        .iter()
        .zip(indices)
        .map(|(axis, &i)| {
            let short = axis.short_name();
            let clash = axes
                .iter()
                .filter(|other| other.short_name() == short)
                .count()
                > 1;
            let name = if clash { axis.path.as_str() } else { short };
            format!("{name}={}", axis.values[i])
        })
        .collect();
    Some(parts.join(", "))
}

/// Most characters of a variant's label kept in its folder name. With the scenario's name (at
/// most 100 characters, by validation) the name stays far below the 255 bytes file systems allow.
pub(crate) const MAX_LABEL_IN_FOLDER: usize = 80;

/// The folder under `runs/` of each variant's first-seed report: `<scenario>+<label>`, with each
/// `, ` of the label turned into `_`, every other character but ASCII letters, digits, `=`, `.`
/// and `-` into `_`, and the label cut to [`MAX_LABEL_IN_FOLDER`] characters. Names that would
/// still coincide (compared ignoring case, as macOS and Windows do) get `~` and the variant's
/// number (from 1) appended: the base names hold no `~`, so the results are always distinct,
/// and they depend only on the variants and their order.
pub(crate) fn folder_names<'a>(variants: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let bases: Vec<String> = variants
        .map(|(scenario, label)| {
            let slug: String = folder_slug(label)
                .chars()
                .take(MAX_LABEL_IN_FOLDER)
                .collect();
            format!("{scenario}+{slug}")
        })
        .collect();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for base in &bases {
        *seen.entry(base.to_lowercase()).or_default() += 1;
    }
    bases
        .iter()
        .enumerate()
        .map(|(i, base)| {
            if seen[&base.to_lowercase()] > 1 {
                format!("{base}~{}", i + 1)
            } else {
                base.clone()
            }
        })
        .collect()
}

/// A variant label as part of a folder name: `store=redis, affinity=none` → `store=redis_affinity=none`.
fn folder_slug(label: &str) -> String {
    label
        .split(", ")
        .map(|part| {
            part.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "=.-".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("_")
}

/// A run's windows as rates and levels.
fn series(report: &Report) -> Vec<SeriesRow> {
    let end = report.warmup_seconds + report.simulated_seconds;
    let rows = &report.timeseries;
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let next = rows.get(i + 1).map_or(end, |r| r.t_s);
            let width = (next - row.t_s).max(f64::MIN_POSITIVE);
            SeriesRow {
                t_s: row.t_s,
                throughput: row.succeeded as f64 / width,
                failures: row.failed as f64 / width,
                p99_ms: row.p99_ms,
                instances_ready: f64::from(row.instances_ready),
                sessions_lost_total: row.sessions_lost_total as f64,
            }
        })
        .collect()
}

/// The window-by-window mean of runs with the same windows (runs of one scenario do).
fn average<'a>(runs: impl Iterator<Item = &'a [SeriesRow]>) -> Vec<SeriesRow> {
    let runs: Vec<&[SeriesRow]> = runs.collect();
    let windows = runs.iter().map(|r| r.len()).min().unwrap_or(0);
    let n = runs.len().max(1) as f64;
    (0..windows)
        .map(|w| {
            let mean = |f: fn(&SeriesRow) -> f64| runs.iter().map(|r| f(&r[w])).sum::<f64>() / n;
            SeriesRow {
                t_s: runs[0][w].t_s,
                throughput: mean(|r| r.throughput),
                failures: mean(|r| r.failures),
                p99_ms: mean(|r| r.p99_ms),
                instances_ready: mean(|r| r.instances_ready),
                sessions_lost_total: mean(|r| r.sessions_lost_total),
            }
        })
        .collect()
}

// ----- output --------------------------------------------------------------------------------

/// The terminal table: one row per variant, a column per headline metric.
pub(crate) fn table(c: &Comparison) -> String {
    let metrics = c.metrics();
    let mut grid = crate::report::new_table();
    let mut header = vec!["variant".to_owned()];
    header.extend(metrics.iter().map(|m| m.heading()));
    let objectives = c.objectives();
    header.extend(objectives.iter().map(|o| format!("worst: {o}")));
    if !objectives.is_empty() {
        header.push("seeds meeting all".to_owned());
    }
    grid.set_header(header);
    for v in &c.variants {
        let mut row = vec![v.label.clone()];
        row.extend(metrics.iter().map(|&m| {
            v.estimate(m)
                .map_or_else(|| crate::report::human::NONE.to_owned(), |e| cell(m, e))
        }));
        if let Some(verdict) = &v.verdict {
            row.extend(verdict.objectives.iter().map(worst_cell));
            row.push(pass_cell(verdict));
        }
        grid.add_row(row);
    }
    crate::report::align_right_from(&mut grid, 1);
    let seeds = c.seeds.len();
    let note = if seeds > 1 {
        format!(
            "mean ± 95 % confidence interval over {seeds} seeds ({}–{}), the same seeds for every \
             variant",
            c.seeds[0],
            c.seeds[seeds - 1]
        )
    } else {
        format!(
            "one seed ({}): no confidence interval; use --seeds to get one",
            c.seeds.first().copied().unwrap_or_default()
        )
    };
    format!("{}: {}\n{grid}\n{note}", c.scenario, c.description)
}

/// `compare.csv`: one row per variant; per metric its mean, the interval's half-width and bounds.
pub(crate) fn csv(c: &Comparison, axes: &[Axis]) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["variant".to_owned()];
    header.extend(axes.iter().map(|a| a.path.clone()));
    header.push("seeds".to_owned());
    let metrics = c.metrics();
    for m in metrics {
        for suffix in [
            "mean",
            "ci95_half_width",
            "ci95_low",
            "ci95_high",
            "std_dev",
        ] {
            header.push(format!("{}_{suffix}", m.key()));
        }
    }
    for o in c.objectives() {
        for suffix in ["worst_mean", "worst_ci95_half_width", "seeds_met"] {
            header.push(format!("{o}: {suffix}"));
        }
    }
    if !c.objectives().is_empty() {
        header.extend(["seeds_meeting_all".to_owned(), "pass".to_owned()]);
    }
    out.write_record(&header).expect("writing to memory");
    for (i, v) in c.variants.iter().enumerate() {
        let mut row = vec![v.label.clone()];
        let indices = indices_of(axes, i);
        row.extend(axes.iter().zip(indices).map(|(a, j)| a.values[j].clone()));
        row.push(c.seeds.len().to_string());
        for (m, e) in metrics
            .iter()
            .map(|&m| (m, v.estimate(m).copied().unwrap_or(Estimate::of(&[]))))
        {
            let (low, high) = e.bounded(m.bounds());
            for x in [e.mean, e.half_width, low, high, e.std_dev] {
                row.push(x.to_string());
            }
        }
        if let Some(verdict) = &v.verdict {
            for f in &verdict.objectives {
                row.push(f.worst.mean.to_string());
                row.push(f.worst.half_width.to_string());
                row.push(f.seeds_met.to_string());
            }
            row.push(verdict.seeds_meeting_all.to_string());
            row.push(verdict.pass.to_string());
        }
        out.write_record(&row).expect("writing to memory");
    }
    out.into_inner().expect("flushing to memory")
}

/// `compare.json`: the whole comparison, per-seed values included.
pub(crate) fn json(c: &Comparison, axes: &[Axis]) -> Vec<u8> {
    #[derive(Serialize)]
    struct File<'a> {
        scenario: &'a str,
        description: &'a str,
        seeds: &'a [u64],
        axes: Vec<AxisJson<'a>>,
        variants: Vec<VariantJson<'a>>,
    }
    #[derive(Serialize)]
    struct AxisJson<'a> {
        path: &'a str,
        values: &'a [String],
    }
    #[derive(Serialize)]
    struct VariantJson<'a> {
        label: &'a str,
        overrides: &'a [String],
        metrics: Vec<MetricJson>,
        /// Present only when the scenario has objectives.
        #[serde(skip_serializing_if = "Option::is_none")]
        objectives: Option<&'a Verdict>,
    }
    #[derive(Serialize)]
    struct MetricJson {
        metric: &'static str,
        unit: &'static str,
        #[serde(flatten)]
        estimate: Estimate,
        /// The interval's bounds, clamped to what the metric can take (never below 0).
        ci95_low: f64,
        ci95_high: f64,
        /// One value per seed, in seed order.
        values: Vec<f64>,
    }
    let file = File {
        scenario: &c.scenario,
        description: &c.description,
        seeds: &c.seeds,
        axes: axes
            .iter()
            .map(|a| AxisJson {
                path: &a.path,
                values: &a.values,
            })
            .collect(),
        variants: c
            .variants
            .iter()
            .map(|v| VariantJson {
                label: &v.label,
                overrides: &v.overrides,
                metrics: c
                    .metrics()
                    .iter()
                    .filter_map(|&m| Some((m, *v.estimate(m)?)))
                    .map(|(m, e)| MetricJson {
                        metric: m.key(),
                        unit: m.unit(),
                        estimate: e,
                        ci95_low: e.bounded(m.bounds()).0,
                        ci95_high: e.bounded(m.bounds()).1,
                        values: v.outcomes.iter().map(|o| o.get(m)).collect(),
                    })
                    .collect(),
                objectives: v.verdict.as_ref(),
            })
            .collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&file).expect("plain data serialises");
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn axis(arg: &str) -> Axis {
        arg.parse().unwrap()
    }

    #[test]
    fn labels_use_short_names_unless_two_axes_end_alike() {
        let axes = [
            axis("sessions.store=redis,jwt"),
            axis("balancer.affinity=none"),
        ];
        assert_eq!(label(&axes, &[1, 0]).unwrap(), "store=jwt, affinity=none");
        let clash = [axis("a.count=1"), axis("b.count=2")];
        assert_eq!(label(&clash, &[0, 0]).unwrap(), "a.count=1, b.count=2");
        assert_eq!(label(&[], &[]), None);
    }

    #[test]
    fn series_turns_counts_into_rates_and_averages_runs() {
        let run = |succeeded: u64| SeriesRow {
            t_s: 0.0,
            throughput: succeeded as f64,
            ..SeriesRow::default()
        };
        let a = [run(10), run(20)];
        let b = [run(30), run(40)];
        let mean = average([a.as_slice(), b.as_slice()].into_iter());
        assert_eq!(mean[0].throughput, 20.0);
        assert_eq!(mean[1].throughput, 30.0);
    }

    /// Two variants over two seeds, from a report each: with connections or without.
    pub(crate) fn comparison_of(report: &Report) -> Comparison {
        let variant = |label: &str, scale: f64| {
            let outcomes: Vec<Outcome> = [1.0, 1.1]
                .iter()
                .map(|k| {
                    let mut r = report.clone();
                    r.sessions.lost = (r.sessions.lost as f64 * k * scale) as u64;
                    if let Some(c) = r.connections.as_mut() {
                        c.reconnects = (c.reconnects as f64 * k * scale) as u64;
                    }
                    Outcome::of(&r)
                })
                .collect();
            VariantSummary {
                label: label.to_owned(),
                overrides: Vec::new(),
                estimates: outcome::estimates(&outcomes),
                outcomes,
                series: series(report),
                verdict: None,
            }
        };
        Comparison {
            scenario: report.scenario.clone(),
            description: report.description.clone(),
            seeds: vec![1, 2],
            warmup_s: report.warmup_seconds,
            timeline: report.timeline.clone(),
            variants: vec![variant("a", 1.0), variant("b", 2.0)],
        }
    }

    #[test]
    fn connection_metrics_are_shown_only_when_the_runs_have_connections() {
        let axes = [axis("sessions.store=in-memory,redis")];
        let plain = comparison_of(&crate::report::fixtures::crash_sticky());
        assert_eq!(plain.metrics(), Headline::shown(false));
        let text = table(&plain);
        assert!(!text.contains("reconnects"), "{text}");
        let csv_text = String::from_utf8(csv(&plain, &axes)).unwrap();
        let header = csv_text.lines().next().unwrap();
        assert!(header.ends_with(",churn_std_dev"), "{header}");
        assert!(!String::from_utf8(json(&plain, &axes))
            .unwrap()
            .contains("reconnects"));

        let chat = comparison_of(&crate::report::fixtures::crash_sticky_with_connections());
        assert_eq!(chat.metrics(), Headline::ALL);
        let text = table(&chat);
        for heading in [
            "connections dropped",
            "reconnects",
            "peak reconnects/s",
            "refused handshakes",
            "handshake p99 (ms)",
            "messages undelivered (%)",
            "delivery p99 (ms)",
            "Redis pub/sub ops",
        ] {
            assert!(text.contains(heading), "{heading}: {text}");
        }
        let csv_text = String::from_utf8(csv(&chat, &axes)).unwrap();
        let header = csv_text.lines().next().unwrap();
        assert!(
            header.contains(",churn_std_dev,connections_dropped_mean,"),
            "{header}"
        );
        assert!(
            header.ends_with(",connection_imbalance_std_dev"),
            "{header}"
        );
        // Every row has a value per column.
        let columns = header.split(',').count();
        assert!(csv_text.lines().all(|l| l.split(',').count() == columns));
        let json_text = String::from_utf8(json(&chat, &axes)).unwrap();
        assert!(json_text.contains("\"metric\": \"messages_undelivered_pct\""));
        assert!(json_text.contains("\"unit\": \"% of recipients\""));
    }

    #[test]
    fn count_intervals_in_files_are_clamped_at_zero() {
        // Lost sessions 3 ± 5: the files give the interval as 0 … 8, mean and half-width as
        // they are.
        let mut c = comparison_of(&crate::report::fixtures::crash_sticky());
        c.variants[0].estimates[Headline::SessionsLost.index()] = Estimate {
            mean: 3.0,
            half_width: 5.0,
            std_dev: 4.0,
            n: 2,
        };
        let axes = [axis("sessions.store=in-memory,redis")];
        let csv_text = String::from_utf8(csv(&c, &axes)).unwrap();
        let row = csv_text.lines().nth(1).unwrap();
        assert!(row.contains(",2,3,5,0,8,4,"), "{row}");
        let json_text = String::from_utf8(json(&c, &axes)).unwrap();
        assert!(
            json_text.contains("\"ci95_low\": 0.0,\n          \"ci95_high\": 8.0"),
            "{json_text}"
        );
        assert!(table(&c).contains(" 0–8 "), "{}", table(&c));
    }

    #[test]
    fn variant_labels_become_plain_folder_names() {
        assert_eq!(folder_slug("store=redis"), "store=redis");
        assert_eq!(
            folder_slug("store=redis, affinity=none"),
            "store=redis_affinity=none"
        );
        assert_eq!(folder_slug("x={a: 1}"), "x=_a__1_");
    }

    fn folders(variants: &[(&str, &str)]) -> Vec<String> {
        folder_names(variants.iter().copied())
    }

    #[test]
    fn variants_whose_folder_names_would_coincide_are_numbered() {
        // `a/b` and `a_b` both slug to `a_b`; `A_b` matches them ignoring case. The third
        // variant's name is unique and stays as it is.
        assert_eq!(
            folders(&[
                ("s", "description=a/b"),
                ("s", "description=a_b"),
                ("s", "description=c"),
                ("s", "description=A_b"),
            ]),
            [
                "s+description=a_b~1",
                "s+description=a_b~2",
                "s+description=c",
                "s+description=A_b~4"
            ]
        );
        assert_eq!(
            folders(&[
                ("crash-sticky", "store=redis"),
                ("crash-sticky", "store=jwt")
            ]),
            ["crash-sticky+store=redis", "crash-sticky+store=jwt"]
        );
    }

    #[test]
    fn long_labels_are_cut_in_folder_names_and_still_kept_apart() {
        let (x, y) = (
            format!("description={}x", "a".repeat(300)),
            format!("description={}y", "a".repeat(300)),
        );
        let names = folders(&[("s", &x), ("s", &y)]);
        // "s+" then 80 characters of the label, then "~1" / "~2": 84 characters.
        assert_eq!(names[0], format!("s+description={}~1", "a".repeat(68)));
        assert_eq!(names[1].len(), 84);
        assert_ne!(names[0], names[1]);
    }
}
