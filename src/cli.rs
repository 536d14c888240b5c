//! The command line, declared with clap's derive API: what users can type, and its help text.
//!
//! Parsing only; `app.rs` does the work. Usage mistakes (unknown flag, `--set` without `=`) are
//! clap's to report, with exit code 2.

use std::ffi::OsStr;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::str::FromStr;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand};

use crate::report::Format;
use crate::scenario::{Objective, Override};
use crate::study::plan::{Minimize, Search};
use crate::study::sweep::Shard;
use crate::study::Axis;

/// Deterministic discrete-event simulator of web fleets: load balancer, instances, session
/// store, faults.
///
/// Without a command, runs the showcase: a comparison of the crash-sticky scenario with sessions
/// in instance memory, in Redis and in JWTs, over ten seeds (report: output/showcase/compare.html).
#[derive(Debug, Parser)]
#[command(name = "fleetsim", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a scenario: print its summary and write summary.json, timeseries.csv, the dashboard and
    /// report.html.
    Run(RunArgs),
    /// Run variants of a scenario over the same seeds and compare them, mean ± 95 % confidence
    /// interval.
    Compare(CompareArgs),
    /// Run a scenario over a grid of parameter values × seeds, streaming results to sweep.csv.
    Sweep(SweepArgs),
    /// Find the cheapest value of an integer parameter that meets the objectives in every seed
    /// (or a stated fraction of them), and write plan.json and plan.html.
    Plan(PlanArgs),
    /// Combine the shard folders of a sharded sweep into one sweep.
    Merge(MergeArgs),
    /// Check a scenario and print what is wrong with it, or "ok".
    Validate(ValidateArgs),
    /// List the bundled scenarios with their one-line stories, or print one with --show.
    Scenarios(ScenariosArgs),
    /// Write a commented starter scenario (every field, what it means, its default), or a copy
    /// of a bundled one with --from.
    Init(InitArgs),
    /// Print the JSON Schema (draft 2020-12) of the scenario format, for editors and checks,
    /// or with --markdown the field reference written from it.
    Schema(SchemaArgs),
    /// Run a scenario for real on this machine's loopback interface: HAProxy, redis-server and
    /// instance processes, driven by a load generator; writes the same files as `run`.
    Live(LiveArgs),
    /// Run a scenario in the simulator over several seeds and once live, and compare them
    /// metric by metric (check.html, check.json, check.csv).
    Check(CheckArgs),
    /// One instance process of a live fleet (started by `live` and `check`).
    #[command(hide = true)]
    LiveInstance(InstanceArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ScenariosArgs {
    /// Print this bundled scenario's YAML instead of the list.
    #[arg(long, value_name = "NAME")]
    pub(crate) show: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// Print the field reference (Markdown tables of every field: type, meaning, default)
    /// instead of the JSON Schema; docs/reference.md carries it.
    #[arg(long)]
    pub(crate) markdown: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The file to write (default: print to standard output). An existing file is left alone
    /// unless --force.
    #[arg(value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,

    /// Start from this bundled scenario (see `fleetsim scenarios`) instead of the template.
    #[arg(long, value_name = "BUNDLED")]
    pub(crate) from: Option<String>,

    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct LiveArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,

    /// Seed of every random stream (overrides the scenario's `seed`).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,

    /// Directory to write `<name>/summary.json`, ..., haproxy.cfg and haproxy.log into.
    #[arg(long, value_name = "DIR", default_value = "output/live")]
    pub(crate) out: PathBuf,

    /// Refuse scenarios longer than this many seconds (a live run takes real time).
    #[arg(long, value_name = "SECONDS", default_value_t = 180)]
    pub(crate) max_duration: u64,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,

    /// Simulated seeds (the live run uses the first).
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..=1_000))]
    pub(crate) seeds: u32,

    /// First seed (default: the scenario's `seed`).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,

    /// Folder for check.{html,json,csv} and the live run's files under `live/`
    /// (default: `output/check/<scenario>`).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,

    /// Refuse scenarios longer than this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 180)]
    pub(crate) max_duration: u64,
}

#[derive(Debug, Args)]
pub(crate) struct InstanceArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,

    #[arg(long)]
    pub(crate) seed: u64,

    /// Launch number of this instance.
    #[arg(long)]
    pub(crate) index: u32,

    /// Port to listen on (127.0.0.1).
    #[arg(long)]
    pub(crate) port: u16,

    /// Port of the run's redis-server.
    #[arg(long)]
    pub(crate) redis_port: Option<u16>,

    /// Part of the fleet at the start: no boot delay, no warm-up.
    #[arg(long)]
    pub(crate) initial: bool,
}

/// A scenario and the `--set` overrides to apply to it.
#[derive(Debug, Args)]
pub(crate) struct ScenarioArgs {
    /// A YAML file, or the name of a bundled scenario (see `fleetsim scenarios`).
    #[arg(value_name = "SCENARIO")]
    pub(crate) scenario: String,

    /// Override a scenario field before validation, e.g. `--set sessions.store=redis`
    /// or `--set events.0.at=5m`. The value is read as YAML. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Echoed::<Override>::new())]
    pub(crate) set: Vec<Override>,

    /// An objective the run must meet, added to the scenario's `objectives`, e.g.
    /// `--objective 'p99 < 250ms'`, `'success >= 99.9%'`, `'lost_sessions == 0'`. Repeatable.
    #[arg(long = "objective", value_name = "EXPR", value_parser = Echoed::<Objective>::new())]
    pub(crate) objective: Vec<Objective>,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,

    /// Seed of every random stream (overrides the scenario's `seed`).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,

    /// Directory to write `<name>/summary.json` and `<name>/timeseries.csv` into.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub(crate) out: PathBuf,

    /// How to print the summary on stdout (table, json = summary.json, markdown).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,

    #[command(flatten)]
    pub(crate) charts: ChartsArgs,

    #[command(flatten)]
    pub(crate) budget: BudgetArgs,
}

/// Whether charts are drawn, for every command that writes them.
#[derive(Debug, Args)]
pub(crate) struct ChartsArgs {
    /// Skip the charts (their .svg and .png files and their copies in the HTML pages), for
    /// batch use: every figure stays in the CSV and JSON files.
    #[arg(long)]
    pub(crate) no_charts: bool,
}

impl ChartsArgs {
    pub(crate) fn charts(&self) -> crate::report::Charts {
        crate::report::Charts::unless(self.no_charts)
    }
}

/// The size check every simulating command makes before it starts.
#[derive(Debug, Args)]
pub(crate) struct BudgetArgs {
    /// Run even when the estimated cost is beyond fleetsim's budget (about 2·10⁹ events or
    /// 4 GiB of memory per run); the estimate is still printed.
    #[arg(long)]
    pub(crate) force: bool,
}

/// How many runs at once, and whether to show progress.
#[derive(Debug, Args)]
pub(crate) struct ParallelArgs {
    /// Worker threads (default: one per core, or RAYON_NUM_THREADS). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,

    /// No progress bar (it is only drawn on a terminal anyway).
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,

    /// A field and the values to compare, e.g. `sessions.store=in-memory,redis,jwt` or
    /// `instances.count=4..8:2`. Repeatable: variants are every combination.
    #[arg(long = "vary", value_name = "PATH=VALUES", value_parser = Echoed::<Axis>::new())]
    pub(crate) vary: Vec<Axis>,

    /// Seeds per variant; every variant runs the same seeds.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) seeds: u32,

    /// First seed (default: the scenario's `seed`); the others follow it.
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,

    /// Folder for compare.{csv,json,svg,png,html} and the per-variant reports
    /// (default: `output/compare/<scenario>`).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) charts: ChartsArgs,

    #[command(flatten)]
    pub(crate) budget: BudgetArgs,

    #[command(flatten)]
    pub(crate) parallel: ParallelArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,

    /// A field and its values: a list `in-memory,redis`, a range `2..16` or `2..16:2`.
    /// Repeatable: the grid is every combination; charts put the first axis on x.
    #[arg(long = "grid", value_name = "PATH=VALUES", required = true, value_parser = Echoed::<Axis>::new())]
    pub(crate) grid: Vec<Axis>,

    /// Seeds per grid point; every point runs the same seeds.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) seeds: u32,

    /// First seed (default: the scenario's `seed`); the others follow it.
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,

    /// Run only slice K of N (0 ≤ K < N) of the runs, for one machine of a cluster; combine
    /// the slices with `fleetsim merge`.
    #[arg(long, value_name = "K/N", value_parser = Echoed::<Shard>::new())]
    pub(crate) shard: Option<Shard>,

    /// Continue the sweep already in --out, skipping the runs it finished.
    #[arg(long)]
    pub(crate) resume: bool,

    /// Folder for sweep.csv, sweep.json and the charts (default: `output/sweep/<scenario>`, or
    /// `output/sweep/<scenario>/shard-K-of-N` with --shard).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) charts: ChartsArgs,

    #[command(flatten)]
    pub(crate) budget: BudgetArgs,

    #[command(flatten)]
    pub(crate) parallel: ParallelArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,

    /// The parameter and the integer range to search, e.g. `instances.count=2..16` or
    /// `autoscaler.min=1..10`. Objectives must be monotone in it.
    #[arg(long, value_name = "PATH=LOW..HIGH", required = true, value_parser = Echoed::<Search>::new())]
    pub(crate) search: Search,

    /// Seeds per value; every value runs the same seeds.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) seeds: u32,

    /// First seed (default: the scenario's `seed`); the others follow it.
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,

    /// Share of seeds that must meet every objective for a value to pass (0 < F ≤ 1).
    #[arg(long, value_name = "F", default_value_t = 1.0, value_parser = fraction)]
    pub(crate) fraction: f64,

    /// Among passing values, choose the one with the least mean of this (else the cheapest
    /// passing value found by the search).
    #[arg(long, value_enum, value_name = "WHAT")]
    pub(crate) minimize: Option<Minimize>,

    /// Folder for plan.json and plan.html (default: `output/plan/<scenario>`).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) budget: BudgetArgs,

    #[command(flatten)]
    pub(crate) parallel: ParallelArgs,
}

/// A share in (0, 1].
fn fraction(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(f) if f > 0.0 && f <= 1.0 => Ok(f),
        _ => Err(format!(
            "`{}` is not a fraction in (0, 1], like 0.9",
            crate::echo::echo(text)
        )),
    }
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The shard folders (every shard of one sweep, once).
    #[arg(value_name = "DIR", required = true)]
    pub(crate) dirs: Vec<PathBuf>,

    /// Folder for the merged sweep (default: `output/sweep/<scenario>`).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) charts: ChartsArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub(crate) scenario: ScenarioArgs,
}

/// Parses a `T` from its `FromStr`, and when that refuses the argument, repeats the argument
/// escaped and shortened ([`crate::echo::echo`]): clap's own message would repeat it verbatim,
/// newlines, terminal escapes and 100 kB included. Exit code 2, like clap's usage errors.
#[derive(Clone)]
pub(crate) struct Echoed<T>(PhantomData<fn() -> T>);

impl<T> Echoed<T> {
    pub(crate) fn new() -> Self {
        Echoed(PhantomData)
    }
}

impl<T> Default for Echoed<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> TypedValueParser for Echoed<T>
where
    T: FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    type Value = T;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let refuse = |reason: &str| {
            let flag = arg.map_or_else(|| "an argument".to_owned(), |a| format!("'{a}'"));
            clap::Error::raw(
                ErrorKind::ValueValidation,
                format!(
                    "invalid value '{}' for {flag}: {reason}\n",
                    crate::echo::echo(&value.to_string_lossy())
                ),
            )
        };
        let text = value.to_str().ok_or_else(|| refuse("not valid UTF-8"))?;
        text.parse().map_err(|reason: String| refuse(&reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_arguments_means_the_showcase() {
        let cli = Cli::try_parse_from(["fleetsim"]).unwrap();
        assert!(cli.command.is_none());
    }

    #[test]
    fn run_takes_repeated_sets_a_seed_an_out_dir_and_a_format() {
        let cli = Cli::try_parse_from([
            "fleetsim",
            "run",
            "crash-sticky",
            "--seed",
            "9",
            "--set",
            "sessions.store=redis",
            "--set",
            "instances.count=8",
            "--out",
            "/tmp/x",
            "--format",
            "json",
        ])
        .unwrap();
        let Some(Command::Run(run)) = cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!(run.scenario.scenario, "crash-sticky");
        assert_eq!(run.seed, Some(9));
        assert_eq!(run.scenario.set.len(), 2);
        assert_eq!(run.scenario.set[1].arg(), "instances.count=8");
        assert_eq!(run.out, PathBuf::from("/tmp/x"));
        assert_eq!(run.format, crate::report::Format::Json);
    }

    #[test]
    fn a_set_without_equals_is_a_usage_error() {
        let e = Cli::try_parse_from(["fleetsim", "validate", "x", "--set", "sessions.store"])
            .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("expected PATH=VALUE"), "{e}");
    }

    #[test]
    fn fails_with_the_refused_value_escaped_and_shortened() {
        let long = format!("sessions.store{}", "x".repeat(100_000));
        let e = Cli::try_parse_from(["fleetsim", "validate", "x", "--set", &long]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let text = e.to_string();
        assert!(text.contains("… (100014 characters)"), "{text}");
        assert!(text.len() < 500, "{} bytes", text.len());
        let e = Cli::try_parse_from([
            "fleetsim",
            "validate",
            "x",
            "--set",
            "sessions.store\n\u{1b}[31m",
        ])
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(
                "error: invalid value 'sessions.store\\n\\u{1b}[31m' for \
                 '--set <PATH=VALUE>': `sessions.store\\n\\u{1b}[31m` has no `=`"
            ),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1, "{text}");
    }
}
