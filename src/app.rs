//! What each command does: load scenarios, run the simulator, print and write reports.
//!
//! Kept apart from `main.rs` so that it returns errors instead of exiting, and from the library
//! proper so that the simulator and exporters stay free of terminal and file-system concerns
//! (apart from `report::write_run`). Reports go to stdout; notes about files written go to stderr,
//! so `fleetsim run x --format json > x.json` captures clean JSON.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::{Cli, Command, RunArgs, ScenarioArgs};
use crate::metrics::Report;
use crate::model::simulate;
use crate::report;
use crate::scenario::{self, Override, Scenario, ScenarioError};

/// The scenario the showcase runs under each session store.
pub const SHOWCASE_SCENARIO: &str = "crash-sticky";

/// Where the showcase writes its reports.
pub const SHOWCASE_DIR: &str = "output/showcase";

/// The showcase's variants: (suffix of the scenario name, column label, overrides).
const SHOWCASE_VARIANTS: [(&str, &str, &[&str]); 3] = [
    (
        "",
        "in-memory + sticky",
        &["sessions.store=in-memory", "balancer.affinity=cookie"],
    ),
    ("+redis", "redis", &["sessions.store=redis"]),
    ("+jwt", "jwt", &["sessions.store=jwt"]),
];

/// Runs the command line's command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        None => showcase(Path::new(SHOWCASE_DIR)),
        Some(Command::Run(args)) => run_scenario(&args),
        Some(Command::Validate(args)) => validate(&args.scenario),
        Some(Command::Scenarios) => list_scenarios(),
    }
}

fn load(args: &ScenarioArgs) -> Result<Scenario, ScenarioError> {
    scenario::load(&args.scenario, &args.set)
}

/// `fleetsim run`: nothing is written unless the scenario is valid and the run completes.
fn run_scenario(args: &RunArgs) -> Result<()> {
    let mut scenario = load(&args.scenario)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let report = simulate(&scenario);
    let folder = report::write_run(&args.out, &report)?;
    print(&report::render(&report, args.format))?;
    eprintln!("wrote {}", folder.display());
    Ok(())
}

/// `fleetsim validate`.
fn validate(args: &ScenarioArgs) -> Result<()> {
    let scenario = load(args)?;
    print(format!("ok: {} — {}\n", scenario.name, scenario.description).as_bytes())
}

/// `fleetsim scenarios`: names and stories, aligned.
fn list_scenarios() -> Result<()> {
    let width = scenario::BUNDLED
        .iter()
        .map(|b| b.name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for b in scenario::BUNDLED {
        let description = b.load(&[]).map(|s| s.description)?;
        out.push_str(&format!("{:width$}  {description}\n", b.name));
    }
    print(out.as_bytes())
}

/// The showcase's three scenarios, each with its column label: `crash-sticky` as bundled
/// (in-memory, sticky), then with Redis, then with JWT. Names are suffixed (`crash-sticky+redis`)
/// so each run writes its own folder.
pub fn showcase_scenarios() -> Result<Vec<(String, Scenario)>, ScenarioError> {
    SHOWCASE_VARIANTS
        .iter()
        .map(|&(suffix, label, sets)| {
            let overrides = sets
                .iter()
                .map(|s| s.parse::<Override>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|reason| ScenarioError::Read {
                    file: SHOWCASE_SCENARIO.to_owned(),
                    reason,
                })?;
            let mut scenario = scenario::load(SHOWCASE_SCENARIO, &overrides)?;
            scenario.name.push_str(suffix);
            Ok((label.to_owned(), scenario))
        })
        .collect()
}

/// No command: the three session stores through the same crash, side by side.
fn showcase(out_dir: &Path) -> Result<()> {
    let scenarios = showcase_scenarios()?;
    // The runs are independent and deterministic each, so they can run on separate threads.
    let reports: Vec<(String, Report)> = std::thread::scope(|scope| {
        let runs: Vec<_> = scenarios
            .iter()
            .map(|(label, s)| (label.clone(), scope.spawn(move || simulate(s))))
            .collect();
        runs.into_iter()
            .map(|(label, run)| match run.join() {
                Ok(report) => (label, report),
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    let mut folders: Vec<PathBuf> = Vec::with_capacity(reports.len());
    for ((_, report), (_, s)) in reports.iter().zip(&scenarios) {
        let mut report = report.clone();
        // The folder is named after the report's scenario: make sure it carries the suffix.
        report.scenario.clone_from(&s.name);
        folders.push(report::write_run(out_dir, &report)?);
    }
    let mut out = format!("{}\n\n", report::side_by_side(&reports));
    out.push_str(&format!(
        "{}: {}\nReports (summary.json, timeseries.csv, dashboard.svg, dashboard.png):\n",
        SHOWCASE_SCENARIO,
        scenarios
            .first()
            .map(|(_, s)| s.description.as_str())
            .unwrap_or_default()
    ));
    for folder in &folders {
        out.push_str(&format!("  {}\n", folder.display()));
    }
    print(out.as_bytes())
}

/// Writes to stdout; a closed pipe (`fleetsim scenarios | head -1`) is not an error.
fn print(bytes: &[u8]) -> Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to standard output")
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SessionStore;

    #[test]
    fn the_showcase_compares_three_stores_on_the_same_crash() {
        let runs = showcase_scenarios().unwrap();
        let names: Vec<&str> = runs.iter().map(|(_, s)| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["crash-sticky", "crash-sticky+redis", "crash-sticky+jwt"]
        );
        let stores: Vec<SessionStore> = runs.iter().map(|(_, s)| s.sessions.store).collect();
        assert_eq!(
            stores,
            [
                SessionStore::InMemory,
                SessionStore::Redis,
                SessionStore::Jwt
            ]
        );
        // Everything but the store (and the name) is the same scenario.
        for (_, s) in &runs[1..] {
            assert_eq!(s.events, runs[0].1.events);
            assert_eq!(s.workload, runs[0].1.workload);
            assert_eq!(s.seed, runs[0].1.seed);
        }
    }
}
