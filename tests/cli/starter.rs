//! Starting a scenario: `init`, `scenarios --show`, `schema` and the bundled modeline,
//! percentages, duration ranges and coupled axes, errors that name their argument, and hints
//! about indentation.

use std::fs;

use crate::support::{assert_clean_failure, fleetsim, succeeds, Workspace, BUNDLED};

const STARTER: &str = include_str!("../../src/scenario/starter.yaml");
const SCHEMA_FILE: &str = include_str!("../../docs/scenario.schema.json");
const MODELINE: &str = "# yaml-language-server: $schema=../docs/scenario.schema.json";

/// Runs `fleetsim ARGS`, asserts it failed as a user mistake (exit 1, one clean screen, empty
/// stdout) and returns stderr.
fn fails(args: &[&str]) -> String {
    let output = fleetsim().args(args).output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(output.stdout.is_empty(), "{args:?}: stdout on failure");
    assert_clean_failure(&stderr);
    stderr
}

fn stdout(args: &[&str]) -> String {
    String::from_utf8(succeeds(fleetsim().args(args)).stdout).expect("UTF-8")
}

const NAMES: &str = "bundled scenarios: baseline, crash-sticky, crash-redis, \
    round-robin-in-memory, ip-hash-nat, redis-bottleneck, flash-crowd-autoscale, scale-in-sticky, \
    rolling-deploy-sticky, rolling-deploy-redis, drain-shorter-than-grace, redis-outage, \
    database-ceiling, autoscaler-flapping, gray-failure, lb-single-point, jwt-revocation, \
    diurnal-day, mixed-sizes, scale-up-vs-out, websocket-crash-storm, \
    websocket-scale-out-imbalance, chat-without-pubsub, websocket-rolling-deploy, \
    jobs-in-process-crash, uploads-local-disk, live-crash-sticky, live-rolling-deploy, \
    live-redis-outage, live-autoscaled-step";

// --- init -------------------------------------------------------------------------------------

#[test]
fn init_writes_the_commented_template_which_validates_and_runs() {
    let ws = Workspace::new();
    let file = ws.dir.path().join("my-fleet.yaml");
    let out = succeeds(fleetsim().arg("init").arg(&file));
    assert_eq!(fs::read_to_string(&file).unwrap(), STARTER);
    let note = String::from_utf8_lossy(&out.stderr);
    assert!(
        note.starts_with(&format!("wrote {}", file.display())),
        "{note}"
    );
    // Validates as written…
    let ok = String::from_utf8(succeeds(fleetsim().arg("validate").arg(&file)).stdout).unwrap();
    assert!(
        ok.starts_with(
            "ok: my-fleet — Four instances with sessions in Redis; one crashes halfway through.\n"
        ),
        "{ok}"
    );
    // …and runs: 10 minutes of 20 sessions/s, one crash at 5m.
    succeeds(
        fleetsim()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(ws.out())
            .arg("--format")
            .arg("json"),
    );
    let summary = fs::read_to_string(ws.out().join("my-fleet/summary.json")).unwrap();
    assert!(summary.contains("\"scenario\": \"my-fleet\""), "{summary}");
}

#[test]
fn init_documents_every_top_level_field_of_the_schema() {
    // A field added to the format without a line in the template fails here.
    let schema: serde_json::Value = serde_json::from_str(SCHEMA_FILE).unwrap();
    for field in schema["properties"].as_object().unwrap().keys() {
        assert!(
            STARTER.contains(&format!("{field}:")),
            "the template does not mention `{field}`"
        );
    }
}

#[test]
fn init_without_a_file_prints_the_template() {
    assert_eq!(stdout(&["init"]), STARTER);
}

#[test]
fn init_refuses_to_overwrite_a_file_unless_forced() {
    let ws = Workspace::new();
    let file = ws.file("mine.yaml", "name: precious\n");
    let path = file.to_str().unwrap();
    let stderr = fails(&["init", path]);
    assert_eq!(
        stderr,
        format!("error: {path}: already exists; pass --force to overwrite it\n")
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), "name: precious\n");
    succeeds(fleetsim().args(["init", path, "--force"]));
    assert_eq!(fs::read_to_string(&file).unwrap(), STARTER);
    // Written whole under a temporary name and renamed: nothing else is left in the folder.
    let names: Vec<_> = fs::read_dir(ws.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["mine.yaml"]);
}

#[test]
fn init_from_a_bundled_scenario_copies_its_text() {
    let ws = Workspace::new();
    let file = ws.dir.path().join("copy.yaml");
    succeeds(
        fleetsim()
            .arg("init")
            .arg(&file)
            .args(["--from", "crash-sticky"]),
    );
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        include_str!("../../scenarios/crash-sticky.yaml")
    );
    let stderr = fails(&["init", "--from", "crash-stiky"]);
    assert_eq!(
        stderr,
        format!(
            "error: `crash-stiky` is not a bundled scenario; did you mean `crash-sticky`?\n  \
             {NAMES}\n"
        )
    );
}

// --- scenarios --show ---------------------------------------------------------------------------

#[test]
fn scenarios_show_prints_a_bundled_scenario_as_shipped() {
    assert_eq!(
        stdout(&["scenarios", "--show", "baseline"]),
        include_str!("../../scenarios/baseline.yaml")
    );
    let stderr = fails(&["scenarios", "--show", "nope"]);
    assert_eq!(
        stderr,
        format!("error: `nope` is not a bundled scenario\n  {NAMES}\n")
    );
}

// --- schema -------------------------------------------------------------------------------------

#[test]
fn the_committed_schema_is_what_fleetsim_schema_prints() {
    // Regenerate with `fleetsim schema > docs/scenario.schema.json`.
    assert_eq!(stdout(&["schema"]), SCHEMA_FILE);
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA_FILE).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid draft 2020-12 schema")
}

fn as_json(yaml: &str) -> serde_json::Value {
    serde_saphyr::from_str(yaml).expect("YAML")
}

fn schema_errors(yaml: &str) -> Vec<String> {
    validator()
        .iter_errors(&as_json(yaml))
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn every_bundled_scenario_and_the_template_match_the_schema_and_carry_the_modeline() {
    let validator = validator();
    for name in BUNDLED {
        let yaml = stdout(&["scenarios", "--show", name]);
        assert_eq!(yaml.lines().next(), Some(MODELINE), "{name}");
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&yaml))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    assert_eq!(schema_errors(STARTER), Vec::<String>::new());
}

#[test]
fn the_schema_refuses_what_validate_refuses_by_shape() {
    let head = "name: t\nduration: 10m\nworkload: { arrivals: { rate: 5 } }\n";
    // Each of these must be refused, or the check above could not fail.
    for bad in [
        "instances: { wrkers: 3 }\n",
        "instances: { workers: many }\n",
        "warmup: 30\n",
        "warmup: 30 sec\n",
        "instances: { service_time: { dist: expo, mean: 1s } }\n",
        "events: [ { at: 1m, action: explode } ]\n",
        "autoscaler: { target: sixty% }\n",
    ] {
        assert!(
            !schema_errors(&format!("{head}{bad}")).is_empty(),
            "the schema accepts {bad:?}"
        );
    }
    for good in [
        "warmup: 0\n",
        "warmup: 1.5s\n",
        "autoscaler: { target: 60%, tolerance: 0.1 }\n",
        "events: [ { at: 1m, action: rolling-deploy, max_surge: 25%, max_unavailable: 0 } ]\n",
    ] {
        assert_eq!(
            schema_errors(&format!("{head}{good}")),
            Vec::<String>::new(),
            "{good}"
        );
    }
}

// --- percentages --------------------------------------------------------------------------------

#[test]
fn percentages_are_accepted_where_people_write_them() {
    let ws = Workspace::new();
    let file = ws.file(
        "p.yaml",
        "name: p\nduration: 10m\nworkload: { arrivals: { rate: 5 } }\ninstances: { count: 4 }\n\
         autoscaler: { target: 60%, tolerance: 10%, min: 2, max: 8 }\n\
         local_cache: { hit_ratio_one_instance: 90%, miss_penalty: 5ms }\n",
    );
    succeeds(fleetsim().arg("validate").arg(&file));
    // A deploy's surge rounds up: 25 % of 3 instances = 0.75 → 1, so the deploy can progress.
    succeeds(fleetsim().args([
        "validate",
        "crash-sticky",
        "--set",
        "instances.count=3",
        "--set",
        "events=[{at: 1m, action: rolling-deploy, max_surge: 25%, max_unavailable: 0}]",
    ]));
}

#[test]
fn percentages_of_instances_that_round_to_nothing_are_refused_with_the_rounding() {
    // 25 % of 3 = 0.75 rounds down to 0 unavailable; 0 % surge is 0: the deploy cannot start.
    let set = "events=[{at: 1m, action: rolling-deploy, max_surge: 0%, max_unavailable: 25%}]";
    let stderr = fails(&[
        "validate",
        "crash-sticky",
        "--set",
        "instances.count=3",
        "--set",
        set,
    ]);
    assert_eq!(
        stderr,
        format!(
            "error: scenarios/crash-sticky.yaml: invalid scenario (1 problem)\n  \
             events[0].max_surge: and max_unavailable are both 0, so the deploy could never \
             replace an instance: allow max_surge ≥ 1 or max_unavailable ≥ 1 (0% and 25% of 3 \
             instances round to 0 and 0) (from --set {set})\n"
        )
    );
}

#[test]
fn percentages_are_refused_where_they_would_be_ambiguous() {
    let ws = Workspace::new();
    let file = ws.file(
        "rps.yaml",
        "name: p\nduration: 10m\nworkload: { arrivals: { rate: 5 } }\nautoscaler:\n  metric: rps\n  \
         target: 60%\n",
    );
    let path = file.to_str().unwrap();
    assert_eq!(
        fails(&["validate", path]),
        format!(
            "error: {path}: invalid scenario (1 problem)\n  {path}:6: autoscaler.target: a \
             percentage is a share of busy workers, which only `metric: cpu` measures; with this \
             metric write a number, got 60%\n"
        )
    );
    let set = "events=[{at: 1m, action: rolling-deploy, max_surge: 0.25}]";
    assert_eq!(
        fails(&["validate", "crash-sticky", "--set", set]),
        format!(
            "error: scenarios/crash-sticky.yaml: --set {set}: `0.25` is not a whole number of \
             instances like 1 or a percentage like 25% (for a share of the instances write 25%)\n"
        )
    );
    // With an autoscaler the desired count at the deploy is not known before the run.
    let set = "events=[{at: 1m, action: rolling-deploy, max_surge: 25%}]";
    assert_eq!(
        fails(&["validate", "flash-crowd-autoscale", "--set", set]),
        format!(
            "error: scenarios/flash-crowd-autoscale.yaml: invalid scenario (1 problem)\n  \
             events[0].max_surge: 25% is a share of the desired count, which the autoscaler sets \
             during the run; write a number of instances (from --set {set})\n"
        )
    );
    assert_eq!(
        fails(&[
            "validate",
            "crash-sticky",
            "--set",
            "autoscaler={target: 60, min: 1}"
        ]),
        "error: scenarios/crash-sticky.yaml: invalid scenario (1 problem)\n  autoscaler.target: \
         is the fraction of busy workers with `metric: cpu`: must be ≤ 1, got 60 (for 60 % write \
         60% or 0.6) (from --set autoscaler={target: 60, min: 1})\n"
    );
}

// --- grids --------------------------------------------------------------------------------------

/// `sweep.csv` of a one-minute sweep of `scenario` over `grid`, one seed, with `sets` too.
fn sweep_csv(ws: &Workspace, scenario: &str, grid: &str, sets: &[&str]) -> String {
    let mut cmd = fleetsim();
    cmd.args(["sweep", scenario, "--grid", grid, "--seeds", "1", "--quiet"])
        .args(["--set", "duration=1m", "--set", "warmup=0s"]);
    for set in sets {
        cmd.args(["--set", set]);
    }
    succeeds(cmd.arg("--out").arg(ws.out()));
    fs::read_to_string(ws.out().join("sweep.csv")).unwrap()
}

/// The header and values of `sweep.csv`'s fourth column: the first axis, after run, point, seed.
fn first_column(csv: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes());
    reader
        .records()
        .map(|r| r.expect("a CSV row")[3].to_owned())
        .collect()
}

#[test]
fn a_grid_takes_a_range_of_durations_with_its_step() {
    let ws = Workspace::new();
    // (90 − 30) / 30 + 1 = 3 points, written as scenarios write durations: 30s, 1m, 90s.
    let csv = sweep_csv(&ws, "baseline", "workload.timeout=30s..90s:30s", &[]);
    assert_eq!(first_column(&csv), ["workload.timeout", "30s", "1m", "90s"]);
}

#[test]
fn fails_when_a_range_of_durations_has_no_step_or_a_bad_end() {
    let stderr = String::from_utf8(
        fleetsim()
            .args(["sweep", "baseline", "--grid", "workload.timeout=0s..2m"])
            .output()
            .unwrap()
            .stderr,
    )
    .unwrap();
    assert_eq!(
        stderr.lines().next().unwrap(),
        "error: invalid value 'workload.timeout=0s..2m' for '--grid <PATH=VALUES>': `0s..2m`: a \
         range of durations needs a step, like 0s..2m:30s"
    );
    let stderr = String::from_utf8(
        fleetsim()
            .args(["sweep", "baseline", "--grid", "workload.timeout=0s..2x:1s"])
            .output()
            .unwrap()
            .stderr,
    )
    .unwrap();
    assert_eq!(
        stderr.lines().next().unwrap(),
        "error: invalid value 'workload.timeout=0s..2x:1s' for '--grid <PATH=VALUES>': \
         `0s..2x:1s`: `2x` has an unknown unit `x`; expected a duration like 250us, 20ms, 1.5s, 5m \
         or 1h (units: ns, us, ms, s, m, h)"
    );
}

#[test]
fn coupled_fields_move_together_on_one_axis() {
    let ws = Workspace::new();
    // Alone, autoscaler.min=5 is refused: the initial 4 instances lie below it.
    fails(&[
        "sweep",
        "flash-crowd-autoscale",
        "--grid",
        "autoscaler.min=5..6",
    ]);
    // Coupled with instances.count, each point sets both to 5, then both to 6.
    let csv = sweep_csv(
        &ws,
        "flash-crowd-autoscale",
        "instances.count,autoscaler.min=5..6",
        // The spike at 10m lies beyond a one-minute run.
        &["workload.arrivals.spike=~"],
    );
    assert_eq!(
        first_column(&csv),
        ["instances.count,autoscaler.min", "5", "6"]
    );
}

#[test]
fn fails_when_two_axes_set_the_same_field() {
    let stderr = fails(&[
        "sweep",
        "baseline",
        "--grid",
        "instances.count=1",
        "--grid",
        "instances.workers,instances.count=2",
    ]);
    assert_eq!(
        stderr,
        "error: --grid instances.count and --grid instances.workers,instances.count both set \
         instances.count: couple them on one axis or drop one\n"
    );
}

// --- errors name the argument -------------------------------------------------------------------

#[test]
fn a_value_from_set_grid_or_vary_is_blamed_on_its_argument() {
    for (flag, args) in [
        (
            "--set",
            ["validate", "baseline", "--set", "instances.workers=0"],
        ),
        (
            "--vary",
            ["compare", "baseline", "--vary", "instances.workers=0,1"],
        ),
        (
            "--grid",
            ["sweep", "baseline", "--grid", "instances.workers=0,1"],
        ),
    ] {
        assert_eq!(
            fails(&args),
            format!(
                "error: scenarios/baseline.yaml: invalid scenario (1 problem)\n  \
                 instances.workers: must be ≥ 1, got 0 (from {flag} instances.workers=0)\n"
            ),
            "{flag}"
        );
    }
    for (flag, command) in [("--vary", "compare"), ("--grid", "sweep")] {
        let stderr = fails(&[command, "baseline", flag, "instances.workers=x,1"]);
        assert_eq!(
            stderr,
            format!(
                "error: scenarios/baseline.yaml: {flag} instances.workers=x: invalid type: \
                 string \"x\", expected u32\n"
            ),
            "{flag}"
        );
    }
}

// --- indentation --------------------------------------------------------------------------------

const HEAD: &str = "name: t\nduration: 10m\nworkload: { arrivals: { rate: 5 } }\n";

/// The `help:` line of the error for `HEAD` + `body`.
fn help(body: &str) -> String {
    let ws = Workspace::new();
    let file = ws.file("t.yaml", &format!("{HEAD}{body}"));
    let stderr = fails(&["validate", file.to_str().unwrap()]);
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("  help: "))
        .unwrap_or_else(|| panic!("no help in:\n{stderr}"))
        .to_owned()
}

#[test]
fn a_field_indented_one_space_too_far_is_named_on_its_own_line() {
    // YAML reads line 6 as more of line 5's value and reports line 5.
    assert_eq!(
        help("instances:\n  count: 4\n   workers: 8\n"),
        "line 6 is indented deeper than `count` on line 5, so YAML reads it as more of \
         `count`'s value: indent it 2 spaces, like `count`"
    );
}

#[test]
fn a_field_indented_one_space_too_little_is_named() {
    assert_eq!(
        help("instances:\n  count: 4\n workers: 8\n  queue: 3\n"),
        "line 6 is indented 1 space less than `count` on line 5: to line up with it, indent it \
         2 spaces"
    );
    assert_eq!(
        help("events:\n  - at: 5m\n    action: crash\n  - at: 6m\n     action: crash\n"),
        "line 8 is indented 1 space more than `at` on line 7: to line up with it, indent it 4 \
         spaces"
    );
}

#[test]
fn a_tab_in_the_indentation_is_named_even_on_the_next_line() {
    assert_eq!(
        help("instances:\n\tcount: 4\n"),
        "line 5 is indented with a tab; YAML indents with spaces only"
    );
    // The error is reported on line 5; the tab is on line 6.
    assert_eq!(
        help("instances:\n  count: 4\n\tworkers: 8\n"),
        "line 6 is indented with a tab; YAML indents with spaces only"
    );
}

#[test]
fn a_misaligned_list_item_is_named() {
    assert_eq!(
        help("events:\n  - { at: 5m, action: crash }\n   - { at: 6m, action: crash }\n"),
        "line 6 is indented 1 space more than the list item on line 5: to line up with it, \
         indent it 2 spaces"
    );
    assert_eq!(
        help("events:\n  - at: 5m\n    action: crash\n - at: 6m\n   action: crash\n"),
        "line 7 is indented 1 space less than the list item on line 5: to line up with it, \
         indent it 2 spaces"
    );
}

#[test]
fn a_field_that_fell_out_of_its_section_is_pointed_back_into_it() {
    assert_eq!(
        help("instances:\n  count: 4\nworkers: 8\n"),
        "if `workers` belongs in `instances` (line 4), indent it 2 spaces, like `count` on line 5"
    );
    assert_eq!(
        help("balancer:\n  health_check:\n    interval: 5s\n  unhealthy_threshold: 3\n"),
        "if `unhealthy_threshold` belongs in `health_check` (line 5), indent it 4 spaces, like \
         `interval` on line 6"
    );
    // A misspelling is still a misspelling.
    assert_eq!(
        help("instances:\n  count: 4\n  wrkers: 8\n"),
        "did you mean `workers`?"
    );
}
