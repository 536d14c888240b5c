//! The command line, declared with clap's derive API: what users can type, and its help text.
//!
//! Parsing only; `app.rs` does the work. Usage mistakes (unknown flag, `--set` without `=`) are
//! clap's to report, with exit code 2.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;
use crate::scenario::Override;

/// Deterministic discrete-event simulator of web fleets: load balancer, instances, session
/// store, faults.
///
/// Without a command, runs the showcase: the crash-sticky scenario with sessions in instance
/// memory, in Redis and in JWTs, side by side (reports under output/showcase/).
#[derive(Debug, Parser)]
#[command(name = "fleetsim", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario: print its summary and write summary.json and timeseries.csv.
    Run(RunArgs),
    /// Check a scenario and print what is wrong with it, or "ok".
    Validate(ValidateArgs),
    /// List the bundled scenarios with their one-line stories.
    Scenarios,
}

/// A scenario and the `--set` overrides to apply to it.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// A YAML file, or the name of a bundled scenario (see `fleetsim scenarios`).
    #[arg(value_name = "SCENARIO")]
    pub scenario: String,

    /// Override a scenario field before validation, e.g. `--set sessions.store=redis`
    /// or `--set events.0.at=5m`. The value is read as YAML. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<Override>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,

    /// Seed of every random stream (overrides the scenario's `seed`).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Directory to write `<name>/summary.json` and `<name>/timeseries.csv` into.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,

    /// How to print the summary on stdout (table, json = summary.json, markdown).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
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
}
