//! What each command does: load scenarios, run the simulator, print and write reports.
//!
//! Kept apart from `main.rs` so that it returns errors instead of exiting, and from the library
//! proper so that the simulator and exporters stay free of terminal and file-system concerns
//! (apart from `report::write_run`). Every folder of results is rendered in memory, then written
//! all or nothing through `output`. Reports go to stdout; notes about files written go to
//! stderr, so `fleetsim run x --format json > x.json` captures clean JSON.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::{
    CheckArgs, Cli, Command, CompareArgs, InitArgs, InstanceArgs, LiveArgs, MergeArgs,
    ParallelArgs, PlanArgs, RunArgs, ScenarioArgs, SweepArgs,
};
use crate::live;
use crate::metrics::{self, Report};
use crate::model::{self, simulate};
use crate::output;
use crate::report::{self, human};
use crate::scenario::{self, Scenario, ScenarioError};
use crate::study::runner::{timed, Runner};
use crate::study::{self, compare, grid, sweep, Axis};

/// The scenario the showcase compares across session stores.
pub(crate) const SHOWCASE_SCENARIO: &str = "crash-sticky";

/// Where the showcase writes its comparison.
pub(crate) const SHOWCASE_DIR: &str = "output/showcase";

/// The showcase's axis: the three places a session can live.
pub(crate) const SHOWCASE_VARY: &str = "sessions.store=in-memory,redis,jwt";

/// Seeds per variant in the showcase: enough for intervals narrow enough to read.
pub(crate) const SHOWCASE_SEEDS: usize = 10;

/// Runs the command line's command.
pub fn run(cli: Cli) -> Result<()> {
    // Before anything is written: an interruption removes what is unfinished.
    output::clean_up_on_interrupt()?;
    match cli.command {
        None => showcase(Path::new(SHOWCASE_DIR)),
        Some(Command::Run(args)) => run_scenario(&args),
        Some(Command::Compare(args)) => compare(&args),
        Some(Command::Sweep(args)) => sweep(&args),
        Some(Command::Merge(args)) => merge(&args),
        Some(Command::Plan(args)) => plan(&args),
        Some(Command::Validate(args)) => validate(&args.scenario),
        Some(Command::Scenarios(args)) => match &args.show {
            Some(name) => show_scenario(name),
            None => list_scenarios(),
        },
        Some(Command::Init(args)) => init(&args),
        Some(Command::Schema(args)) => print(
            if args.markdown {
                scenario::reference_markdown()
            } else {
                scenario::schema_json()
            }
            .as_bytes(),
        ),
        Some(Command::Live(args)) => live(&args),
        Some(Command::Check(args)) => check(&args),
        Some(Command::LiveInstance(args)) => live_instance(&args),
    }
}

fn load(args: &ScenarioArgs) -> Result<Scenario, ScenarioError> {
    let mut scenario = scenario::load(&args.scenario, &args.set)?;
    add_objectives(&mut scenario, args);
    Ok(scenario)
}

/// Appends the `--objective` arguments to the scenario's own objectives.
pub(crate) fn add_objectives(scenario: &mut Scenario, args: &ScenarioArgs) {
    scenario.objectives.extend(args.objective.iter().cloned());
}

/// `fleetsim run`: nothing is written unless the scenario is valid and the run completes.
fn run_scenario(args: &RunArgs) -> Result<()> {
    let mut scenario = load(&args.scenario)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let estimate = check_budget(&args.scenario.scenario, &scenario, args.budget.force)?;
    let mut report = simulate_showing_progress(&scenario, &estimate);
    metrics::objectives::attach(&mut report, &scenario.objectives);
    let folder = report::write_run(
        &args.out,
        &report,
        &scenario.source,
        Some(&model::load(&scenario)),
        args.charts.charts(),
    )?;
    print(&report::render(&report, args.format))?;
    eprintln!("wrote {}", folder.display());
    Ok(())
}

/// `fleetsim validate`: the scenario is valid; what a run of it will cost.
fn validate(args: &ScenarioArgs) -> Result<()> {
    let scenario = load(args)?;
    let estimate = model::estimate(&scenario);
    let mut out = format!("ok: {} — {}\n", scenario.name, scenario.description);
    out.push_str(&format!(
        "a run takes {} and {} of memory{}\n",
        human::events(estimate.events),
        human::bytes(estimate.bytes),
        if within_budget(&estimate) {
            ""
        } else {
            " (beyond the budget: `run` refuses it without --force)"
        }
    ));
    out.push_str(&report::load_text(&model::load(&scenario)));
    print(out.as_bytes())
}

/// Events per run beyond which a run is refused without `--force`: at the simulator's usual
/// 10–20 million events per second, a few minutes.
pub(crate) const MAX_EVENTS: f64 = 2.0e9;

/// Bytes of model state per run beyond which a run is refused without `--force`.
pub(crate) const MAX_BYTES: f64 = 4.0 * (1u64 << 30) as f64;

/// Estimated events above which a single run shows a progress bar (on a terminal): a few
/// seconds of work.
const PROGRESS_EVENTS: f64 = 5.0e7;

fn within_budget(estimate: &model::Estimate) -> bool {
    estimate.events <= MAX_EVENTS && estimate.bytes <= MAX_BYTES
}

/// Refuses a run of `scenario` (given as `spec`) whose estimated cost is beyond the budget,
/// naming what drives it, unless `force`. Returns the estimate.
pub(crate) fn check_budget(
    spec: &str,
    scenario: &Scenario,
    force: bool,
) -> Result<model::Estimate> {
    let estimate = model::estimate(scenario);
    if within_budget(&estimate) {
        return Ok(estimate);
    }
    let headline = format!(
        "{spec}: this run is too large: {} and {} of memory (the budget is {} and {} per run)",
        human::events(estimate.events),
        human::bytes(estimate.bytes),
        human::events(MAX_EVENTS),
        human::bytes(MAX_BYTES),
    );
    if force {
        eprintln!("warning: {headline}");
        return Ok(estimate);
    }
    let mut message = format!("error: {headline}\n  what drives it:");
    for d in estimate.main_drivers() {
        let mut cost = Vec::new();
        if d.events > 0.0 {
            cost.push(human::events(d.events));
        }
        if d.bytes > 0.0 {
            cost.push(human::bytes(d.bytes));
        }
        message.push_str(&format!("\n    {}: {}", d.what, cost.join(", ")));
        if !d.fields.is_empty() {
            message.push_str(&format!(" (set by {})", d.fields));
        }
    }
    message.push_str("\n  make the run smaller, or pass --force to run it anyway");
    Err(anyhow::Error::msg(message))
}

/// Runs `scenario`, timed, with a progress bar in simulated time on a terminal when the estimate
/// says the run is long.
fn simulate_showing_progress(scenario: &Scenario, estimate: &model::Estimate) -> Report {
    use std::io::IsTerminal;
    if estimate.events < PROGRESS_EVENTS || !io::stderr().is_terminal() {
        return timed(|| simulate(scenario));
    }
    let end_ns = scenario.duration.as_nanos();
    let bar = indicatif::ProgressBar::new(end_ns);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{elapsed_precise}] {wide_bar} {percent}% of simulated time (eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar.set_message(scenario.name.clone());
    let report = timed(|| model::simulate_with_progress(scenario, &mut |t| bar.set_position(t.0)));
    bar.finish_and_clear();
    report
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

/// The bundled scenario `name`, or an error listing every name (with the closest as a hint).
fn bundled(name: &str) -> Result<&'static scenario::Bundled> {
    if let Some(b) = scenario::BUNDLED.iter().find(|b| b.name == name) {
        return Ok(b);
    }
    let names = scenario::BUNDLED.iter().map(|b| b.name);
    let hint = crate::scenario::closest(name, names.clone())
        .map(|h| format!("; did you mean `{h}`?"))
        .unwrap_or_default();
    anyhow::bail!(
        "error: `{}` is not a bundled scenario{hint}\n  bundled scenarios: {}",
        crate::echo::echo(name),
        names.collect::<Vec<_>>().join(", ")
    )
}

/// `fleetsim scenarios --show NAME`: the bundled file as it is.
fn show_scenario(name: &str) -> Result<()> {
    print(bundled(name)?.yaml.as_bytes())
}

/// `fleetsim init [FILE] [--from NAME] [--force]`: the starter template (or a bundled scenario)
/// to stdout or into FILE, written whole or not at all.
fn init(args: &InitArgs) -> Result<()> {
    let text = match &args.from {
        Some(name) => bundled(name)?.yaml,
        None => scenario::STARTER,
    };
    let Some(file) = &args.file else {
        return print(text.as_bytes());
    };
    if file.is_dir() {
        anyhow::bail!(
            "error: {}: is a directory; name a file to write",
            file.display()
        );
    }
    if file.exists() && !args.force {
        anyhow::bail!(
            "error: {}: already exists; pass --force to overwrite it",
            file.display()
        );
    }
    output::write_atomically(file, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("error: {}: {e:#}", file.display()))?;
    eprintln!(
        "wrote {}: check it with `fleetsim validate {0}`, run it with `fleetsim run {0}`",
        file.display()
    );
    Ok(())
}

/// The showcase's comparison, ready to run: `crash-sticky` under each session store.
pub(crate) fn showcase_plan() -> Result<compare::Plan> {
    let vary: Axis = SHOWCASE_VARY.parse().map_err(anyhow::Error::msg)?;
    compare::Plan::new(SHOWCASE_SCENARIO, &[], vec![vary], SHOWCASE_SEEDS, None)
}

/// No command: the three session stores through the same crash, over the same seeds.
fn showcase(out_dir: &Path) -> Result<()> {
    let runner = Runner::new(None, false)?;
    write_comparison(&showcase_plan()?, out_dir, &runner, report::Charts::Drawn)
}

/// `fleetsim compare`.
fn compare(args: &CompareArgs) -> Result<()> {
    grid::check_distinct(&args.vary, "--vary").map_err(anyhow::Error::msg)?;
    let mut plan = compare::Plan::new(
        &args.scenario.scenario,
        &args.scenario.set,
        args.vary.clone(),
        args.seeds as usize,
        args.seed,
    )
    .map_err(|e| blame_axis_flag(e, "--vary"))?;
    for variant in &mut plan.variants {
        add_objectives(&mut variant.scenario, &args.scenario);
    }
    for variant in &plan.variants {
        let spec = format!("{} ({})", args.scenario.scenario, variant.label);
        check_budget(&spec, &variant.scenario, args.budget.force)?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output/compare").join(&plan.scenario));
    write_comparison(&plan, &out, &runner(&args.parallel)?, args.charts.charts())
}

fn runner(args: &ParallelArgs) -> Result<Runner> {
    Runner::new(args.threads.map(usize::from), args.quiet)
}

/// Runs a comparison and writes compare.{csv,json,svg,png,html} into `out` (the charts unless
/// `charts` says otherwise), with the first seed of each variant as a full report under
/// `out/runs/`, all or nothing; prints the table and where it all is.
fn write_comparison(
    plan: &compare::Plan,
    out: &Path,
    runner: &Runner,
    charts: report::Charts,
) -> Result<()> {
    let (comparison, first_runs) = plan.run(runner);
    let runs_dir = Path::new("runs");
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut links = Vec::with_capacity(first_runs.len());
    for (variant, mut report) in plan.variants.iter().zip(first_runs) {
        // Named (distinct, short, plain) when the plan was made, before anything ran.
        report.scenario.clone_from(&variant.folder);
        let folder = runs_dir.join(report::folder_name(&report.scenario)?);
        for (name, bytes) in report::run_files(
            &report,
            &variant.scenario.source,
            Some(&model::load(&variant.scenario)),
            charts,
        )? {
            files.push((folder.join(name), bytes));
        }
        links.push(Some(format!("{}/report.html", folder.display())));
    }
    let svg = match charts {
        report::Charts::Drawn => Some(study::charts::compare_svg(&comparison)?),
        report::Charts::Skipped => None,
    };
    let html = study::html::compare_html(&comparison, svg.as_deref(), &links);
    files.extend([
        ("compare.csv".into(), compare::csv(&comparison, &plan.axes)),
        (
            "compare.json".into(),
            compare::json(&comparison, &plan.axes),
        ),
        ("compare.html".into(), html.into_bytes()),
    ]);
    if let Some(svg) = svg {
        files.push(("compare.svg".into(), svg.into_bytes()));
        files.push((
            "compare.png".into(),
            study::charts::compare_png(&comparison)?,
        ));
    }
    output::write_folder(out, &files)?;
    print(
        format!(
            "{}\n\nReport: {}\n(also compare.csv, compare.json{}; the first seed of each variant \
             as a full report under {})\n",
            compare::table(&comparison),
            out.join("compare.html").display(),
            chart_files("compare", charts),
            out.join(runs_dir).display()
        )
        .as_bytes(),
    )
}

/// `fleetsim sweep`.
fn sweep(args: &SweepArgs) -> Result<()> {
    grid::check_distinct(&args.grid, "--grid").map_err(anyhow::Error::msg)?;
    let mut plan = sweep::Plan::new(
        &args.scenario.scenario,
        &args.scenario.set,
        args.grid.clone(),
        args.seeds as usize,
        args.seed,
        args.shard,
    )
    .map_err(|e| blame_axis_flag(e, "--grid"))?;
    plan.add_objectives(&args.scenario.objective);
    for (point, scenario) in plan.points().iter().enumerate() {
        let spec = format!("{} (grid point {point})", args.scenario.scenario);
        check_budget(&spec, scenario, args.budget.force)?;
    }
    let out = args.out.clone().unwrap_or_else(|| {
        let base = Path::new("output/sweep").join(&plan.meta.scenario);
        match args.shard {
            Some(s) => base.join(format!("shard-{}-of-{}", s.index, s.count)),
            None => base,
        }
    });
    let rows = plan.run(&out, args.resume, &runner(&args.parallel)?)?;
    match args.shard {
        Some(shard) => print(
            format!(
                "shard {shard}: {} runs in {}
combine all {} shards with: fleetsim merge DIR...
",
                rows.len(),
                out.join(sweep::CSV_FILE).display(),
                shard.count
            )
            .as_bytes(),
        ),
        None => finish_sweep(&plan.meta, &rows, &out, Vec::new(), args.charts.charts()),
    }
}

/// `fleetsim plan`: the search, its table on stdout, plan.json and plan.html into `--out`.
fn plan(args: &PlanArgs) -> Result<()> {
    let planner_for = |seeds: Vec<u64>| study::plan::Planner {
        spec: &args.scenario.scenario,
        sets: &args.scenario.set,
        extra_objectives: &args.scenario.objective,
        search: &args.search,
        seeds,
        fraction: args.fraction,
        minimize: args.minimize,
    };
    let first = planner_for(Vec::new()).check()?;
    let seeds = grid::seed_range(
        args.seed.unwrap_or(first.seed),
        args.seeds as usize,
        args.seed.is_some(),
    )
    .map_err(anyhow::Error::msg)?;
    let planner = planner_for(seeds);
    for value in [args.search.low, args.search.high] {
        let spec = format!("{} ({}={value})", args.scenario.scenario, args.search.path);
        check_budget(&spec, &planner.scenario_at(value)?, args.budget.force)?;
    }
    let result = planner.run(&runner(&args.parallel)?)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output/plan").join(&result.scenario));
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("plan.json", study::plan::json(&result)),
        ("plan.html", study::plan::html(&result).into_bytes()),
    ];
    output::write_folder(&out, &files)?;
    print(
        format!(
            "{}Report: {} (also plan.json)\n",
            study::plan::table(&result),
            out.join("plan.html").display()
        )
        .as_bytes(),
    )
}

/// A scenario error caused by an axis's value names the axis's flag (`--grid` or `--vary`).
fn blame_axis_flag(e: anyhow::Error, flag: &str) -> anyhow::Error {
    match e.downcast::<ScenarioError>() {
        Ok(mut e) => {
            e.name_axis_flag(flag);
            e.into()
        }
        Err(e) => e,
    }
}

/// `fleetsim merge`.
fn merge(args: &MergeArgs) -> Result<()> {
    let out = match (&args.out, args.dirs.first()) {
        (Some(out), _) => out.clone(),
        (None, None) => anyhow::bail!("merge needs at least one folder"),
        (None, Some(first)) => Path::new("output/sweep").join(sweep::Meta::read(first)?.scenario),
    };
    let (meta, rows) = sweep::merge(&args.dirs, &out)?;
    let files = sweep::files(&meta, &rows);
    finish_sweep(&meta, &rows, &out, files, args.charts.charts())
}

/// `, NAME.svg, NAME.png` when the charts are drawn, for the lists of files written.
fn chart_files(name: &str, charts: report::Charts) -> String {
    match charts {
        report::Charts::Drawn => format!(", {name}.svg, {name}.png"),
        report::Charts::Skipped => String::new(),
    }
}

/// A complete sweep: sweep.html and the charts (unless `charts` says otherwise) beside
/// sweep.csv, written with `files` (what else the folder needs) all or nothing, and the
/// per-point table on stdout.
fn finish_sweep(
    meta: &sweep::Meta,
    rows: &[sweep::Row],
    out: &Path,
    mut files: Vec<(&str, Vec<u8>)>,
    charts: report::Charts,
) -> Result<()> {
    let summary = sweep::summarize(meta, rows);
    let svg = match charts {
        report::Charts::Drawn => Some(study::charts::sweep_svg(&summary)?),
        report::Charts::Skipped => None,
    };
    files.push((
        "sweep.html",
        study::html::sweep_html(&summary, svg.as_deref()).into_bytes(),
    ));
    if let Some(svg) = svg {
        files.push(("sweep.svg", svg.into_bytes()));
        files.push(("sweep.png", study::charts::sweep_png(&summary)?));
    }
    output::write_folder(out, &files)?;
    print(
        format!(
            "{}: {} points × {} seeds\n{}\nwrote {} (and sweep.json, sweep.html{})\n",
            meta.scenario,
            summary.points.len(),
            meta.seeds,
            sweep::table(&summary),
            out.join(sweep::CSV_FILE).display(),
            chart_files("sweep", charts)
        )
        .as_bytes(),
    )
}

/// The overrides as the instance processes of a live run receive them.
fn set_args(args: &ScenarioArgs) -> Vec<String> {
    args.set.iter().map(|o| o.arg().to_owned()).collect()
}

/// `fleetsim live`: refuses what it cannot run, lists what it starts, runs, writes the folder.
fn live(args: &LiveArgs) -> Result<()> {
    let mut scenario = load(&args.scenario)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let bound = std::time::Duration::from_secs(args.max_duration);
    live::admit(&args.scenario.scenario, &scenario, bound)?;
    let folder = live::folder(&args.out, &scenario.name)?;
    eprintln!(
        "live run of {} ({} s), starting:",
        scenario.name,
        scenario.duration.as_secs_f64()
    );
    for line in live::plan(&scenario) {
        eprintln!("  {line}");
    }
    let run = live::run(&scenario, &set_args(&args.scenario))?;
    output::write_folder(&folder, &live::files(&run, &scenario)?)?;
    print(&report::render(&run.report, report::Format::Table))?;
    eprintln!("wrote {}", folder.display());
    Ok(())
}

/// `fleetsim check`: the simulation over the seeds, one live run, and the comparison.
fn check(args: &CheckArgs) -> Result<()> {
    let mut scenario = load(&args.scenario)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let bound = std::time::Duration::from_secs(args.max_duration);
    live::admit(&args.scenario.scenario, &scenario, bound)?;
    let seeds: Vec<u64> = (0..u64::from(args.seeds))
        .map(|i| scenario.seed.wrapping_add(i))
        .collect();
    let runner = Runner::new(None, true)?;
    let simulated: Vec<Report> = runner.map("simulating", &seeds, |&seed| {
        let mut s = scenario.clone();
        s.seed = seed;
        simulate(&s)
    });
    eprintln!(
        "simulated {} over {} seeds; live run ({} s), starting:",
        scenario.name,
        seeds.len(),
        scenario.duration.as_secs_f64()
    );
    for line in live::plan(&scenario) {
        eprintln!("  {line}");
    }
    let run = live::run(&scenario, &set_args(&args.scenario))?;
    let result = live::check::compare(&scenario, &seeds, &simulated, &run);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output/check").join(&scenario.name));
    let mut files: Vec<(PathBuf, Vec<u8>)> = live::files(&run, &scenario)?
        .into_iter()
        .map(|(name, bytes)| (Path::new("live").join(name), bytes))
        .collect();
    files.push(("check.json".into(), live::check::json(&result)));
    files.push(("check.csv".into(), live::check::csv(&result)));
    files.push((
        "check.html".into(),
        live::check::html(&result, &simulated[0], &run.report),
    ));
    output::write_folder(&out, &files)?;
    print(live::check::table(&result).as_bytes())?;
    eprintln!("wrote {}", out.join("check.html").display());
    if !result.agrees {
        let differ: Vec<&str> = result
            .rows
            .iter()
            .filter(|r| !r.agrees)
            .map(|r| r.metric.as_str())
            .collect();
        anyhow::bail!(
            "{}: live and simulated differ beyond the tolerances on: {}",
            scenario.name,
            differ.join(", ")
        );
    }
    Ok(())
}

/// `fleetsim live-instance`: one process of a live fleet, until it is killed.
fn live_instance(args: &InstanceArgs) -> Result<()> {
    let mut scenario = load(&args.scenario)?;
    scenario.seed = args.seed;
    live::instance::serve(
        &scenario,
        &live::instance::Setup {
            index: args.index,
            port: args.port,
            redis_port: args.redis_port,
            initial: args.initial,
        },
    )
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
        let plan = showcase_plan().unwrap();
        assert_eq!(plan.scenario, "crash-sticky");
        assert_eq!(plan.seeds.len(), SHOWCASE_SEEDS);
        let labels: Vec<&str> = plan.variants.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(labels, ["store=in-memory", "store=redis", "store=jwt"]);
        let stores: Vec<SessionStore> = plan
            .variants
            .iter()
            .map(|v| v.scenario.sessions.store)
            .collect();
        assert_eq!(
            stores,
            [
                SessionStore::InMemory,
                SessionStore::Redis,
                SessionStore::Jwt
            ]
        );
        // Everything but the store is the same scenario.
        let first = &plan.variants[0].scenario;
        for s in plan.variants[1..].iter().map(|v| &v.scenario) {
            assert_eq!(s.events, first.events);
            assert_eq!(s.workload, first.workload);
            assert_eq!(s.balancer, first.balancer);
        }
    }

    #[test]
    fn a_sweeps_charts_are_written_together_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let sets = [
            "duration=2m".parse().unwrap(),
            "warmup=30s".parse().unwrap(),
        ];
        let axis: Axis = "instances.count=2,3".parse().unwrap();
        let plan = sweep::Plan::new("baseline", &sets, vec![axis], 1, None, None).unwrap();
        let rows = plan
            .run(dir.path(), false, &Runner::new(Some(1), true).unwrap())
            .unwrap();
        let streamed = output::tests::contents(dir.path());

        // sweep.png moves into place, then sweep.svg cannot.
        let failing = output::tests::fail_moves_after(1);
        finish_sweep(
            &plan.meta,
            &rows,
            dir.path(),
            Vec::new(),
            report::Charts::Drawn,
        )
        .expect_err("must fail");
        drop(failing);
        assert_eq!(
            output::tests::contents(dir.path()),
            streamed,
            "sweep.json and sweep.csv as they were, no chart, nothing hidden"
        );
    }
}
