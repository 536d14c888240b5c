//! Bad scenarios fail with a one-screen message naming the file, the line and the field, exit
//! code 1, no panic, and nothing written to the output folder.

use crate::support::*;

/// The first line names `file:line: field`, which is what an editor jumps to.
fn assert_points_at(stderr: &str, file: &str, line: usize, field: &str) {
    assert_mentions(stderr, &format!("{file}:{line}: {field}"));
}

#[test]
fn fails_on_malformed_yaml_with_its_line() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with("instances:\n", "instances: [\n");
    let path = ws.file("malformed.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    let line = line_of(&yaml, "instances: [");
    assert_points_at(&stderr, "malformed.yaml", line, "instances");
    // serde-saphyr's snippet shows the line, with a caret.
    assert_mentions(&stderr, &format!("{line} | instances: ["));
}

#[test]
fn fails_on_an_unknown_field_with_a_did_you_mean_hint() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with("  workers: 8", "  wrkers: 8");
    let path = ws.file("typo.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "typo.yaml",
        line_of(&yaml, "wrkers"),
        "instances.wrkers",
    );
    assert_mentions(&stderr, "unknown field `wrkers`");
    assert_mentions(&stderr, "did you mean `workers`?");
}

#[test]
fn fails_on_a_wrong_type() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with("  workers: 8", "  workers: many");
    let path = ws.file("type.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "type.yaml",
        line_of(&yaml, "workers: many"),
        "instances.workers",
    );
    assert_mentions(&stderr, "expected a whole number");
}

#[test]
fn fails_on_a_negative_rate() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with("    rate: 50", "    rate: -5");
    let path = ws.file("rate.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "rate.yaml",
        line_of(&yaml, "rate: -5"),
        "workload.arrivals.rate",
    );
    assert_mentions(&stderr, "must be a number ≥ 0, got -5");
}

#[test]
fn fails_on_zero_workers() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with("  workers: 8", "  workers: 0");
    let path = ws.file("workers.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "workers.yaml",
        line_of(&yaml, "workers: 0"),
        "instances.workers",
    );
    assert_mentions(&stderr, "must be ≥ 1, got 0");
}

#[test]
fn fails_on_an_event_after_the_end_of_the_run() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with("at: 10m", "at: 25m");
    let path = ws.file("late.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "late.yaml",
        line_of(&yaml, "at: 25m"),
        "events[0].at",
    );
    assert_mentions(&stderr, "25m is not before the end of the run (20m)");
}

#[test]
fn fails_on_an_unknown_distribution_inside_service_time() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with("dist: lognormal", "dist: log-normal");
    let path = ws.file("dist.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "dist.yaml",
        line_of(&yaml, "log-normal"),
        "instances.service_time",
    );
    assert_mentions(&stderr, "unknown variant `log-normal`");
    assert_mentions(&stderr, "did you mean `lognormal`?");
}

#[test]
fn fails_on_a_bad_field_inside_a_block_style_distribution() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with(
        "  service_time: { dist: lognormal, mean: 20ms, p99: 120ms }",
        "  service_time:\n    dist: lognormal\n    mean: 20ms\n    p95: 120ms",
    );
    let path = ws.file("block.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "block.yaml",
        line_of(&yaml, "p95"),
        "instances.service_time.p95",
    );
    assert_mentions(&stderr, "did you mean `p99`?");
}

#[test]
fn fails_on_an_error_inside_an_event_list_entry() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with(
        "  - { at: 10m, action: crash, count: 1, pick: busiest }",
        "  - { at: 5m, action: crash }\n  - at: 10m\n    action: crash\n    pick: biggest",
    );
    let path = ws.file("event.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "event.yaml",
        line_of(&yaml, "biggest"),
        "events[1].pick",
    );
    assert_mentions(&stderr, "unknown variant `biggest`");
}

#[test]
fn lists_every_validation_problem_at_once() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with("  workers: 8", "  workers: 0")
        .replacen("    rate: 50", "    rate: -5", 1)
        .replacen("at: 10m", "at: 1h", 1);
    let path = ws.file("many.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_mentions(&stderr, "many.yaml: invalid scenario (3 problems)");
    assert_points_at(
        &stderr,
        "many.yaml",
        line_of(&yaml, "rate: -5"),
        "workload.arrivals.rate",
    );
    assert_points_at(
        &stderr,
        "many.yaml",
        line_of(&yaml, "workers: 0"),
        "instances.workers",
    );
    assert_points_at(
        &stderr,
        "many.yaml",
        line_of(&yaml, "at: 1h"),
        "events[0].at",
    );
}

#[test]
fn fails_on_a_bad_set_path_naming_the_argument() {
    let ws = Workspace::new();
    let stderr = run_fails(
        &ws,
        "crash-sticky".as_ref(),
        &[
            "--set",
            "sessions.store=redis",
            "--set",
            "instances.wrkers=3",
        ],
    );
    assert_mentions(&stderr, "scenarios/crash-sticky.yaml");
    assert_mentions(&stderr, "--set instances.wrkers=3: unknown field `wrkers`");
    assert_mentions(&stderr, "did you mean `instances.workers`?");
}

#[test]
fn blames_a_bad_set_value_on_the_argument() {
    let ws = Workspace::new();
    let stderr = run_fails(
        &ws,
        "crash-sticky".as_ref(),
        &["--set", "instances.workers=0"],
    );
    assert_mentions(
        &stderr,
        "instances.workers: must be ≥ 1, got 0 (from --set instances.workers=0)",
    );
}

#[test]
fn fails_on_a_missing_file_naming_it() {
    let ws = Workspace::new();
    let missing = ws.dir.path().join("nowhere.yaml");
    let stderr = run_fails(&ws, &missing, &[]);
    assert_mentions(
        &stderr,
        &format!("error: {}: no such file", missing.display()),
    );
}

#[test]
fn fails_on_an_unknown_scenario_name_listing_the_bundled_ones() {
    let ws = Workspace::new();
    let stderr = run_fails(&ws, "crash-stiky".as_ref(), &[]);
    assert_mentions(&stderr, "did you mean `crash-sticky`?");
    for name in BUNDLED {
        assert_mentions(&stderr, name);
    }
}

#[test]
fn a_set_without_equals_is_a_usage_error() {
    let ws = Workspace::new();
    let output = fleetsim()
        .args(["run", "crash-sticky", "--set", "sessions.store", "--out"])
        .arg(ws.out())
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_mentions(&stderr, "expected PATH=VALUE");
    assert!(!ws.out().exists());
}

#[test]
fn validate_reports_the_same_errors() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with("  workers: 8", "  workers: 0");
    let path = ws.file("workers.yaml", &yaml);
    let output = fleetsim()
        .arg("validate")
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_clean_failure(&stderr);
    assert_points_at(
        &stderr,
        "workers.yaml",
        line_of(&yaml, "workers: 0"),
        "instances.workers",
    );
}

// ----- the optional blocks and the newer events ---------------------------------------------

/// The crash event of crash-sticky, which these tests replace by other events.
const CRASH_EVENT: &str = "  - { at: 10m, action: crash, count: 1, pick: busiest }";

#[test]
fn fails_on_an_autoscaler_whose_min_exceeds_its_max() {
    let ws = Workspace::new();
    let yaml = format!("{CRASH_STICKY}autoscaler:\n  target: 0.6\n  min: 8\n  max: 4\n");
    let path = ws.file("bounds.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "bounds.yaml",
        line_of(&yaml, "min: 8"),
        "autoscaler.min",
    );
    assert_mentions(&stderr, "must be ≤ max (4), got 8");
}

#[test]
fn fails_on_an_unknown_autoscaler_field_with_a_did_you_mean_hint() {
    let ws = Workspace::new();
    let yaml = format!("{CRASH_STICKY}autoscaler:\n  target: 0.6\n  mx: 20\n");
    let path = ws.file("mx.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "mx.yaml",
        line_of(&yaml, "mx: 20"),
        "autoscaler.mx",
    );
    assert_mentions(&stderr, "unknown field `mx`");
    assert_mentions(&stderr, "did you mean `max`?");
}

#[test]
fn fails_on_a_redis_outage_without_the_redis_store() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with("  store: in-memory", "  store: jwt").replacen(
        CRASH_EVENT,
        "  - { at: 12m, action: redis-outage, duration: 1m }",
        1,
    );
    let path = ws.file("outage.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "outage.yaml",
        line_of(&yaml, "redis-outage"),
        "events[0].action",
    );
    assert_mentions(
        &stderr,
        "`redis-outage` needs `sessions.store: redis`, but the store is `jwt`",
    );
}

#[test]
fn fails_on_a_second_mtbf_crash_event() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with(
        CRASH_EVENT,
        "  - { action: crash, mtbf: 2h }\n  - at: 5m\n    action: crash\n    mtbf: 1h",
    );
    let path = ws.file("mtbf.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "mtbf.yaml",
        line_of(&yaml, "mtbf: 1h"),
        "events[1].mtbf",
    );
    assert_mentions(
        &stderr,
        "only one crash event may have `mtbf`, and events[0] already does",
    );
}

#[test]
fn fails_on_a_spike_with_a_negative_multiplier() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with(
        "    rate: 50",
        "    rate: 50\n    spike: { at: 5m, duration: 2m, multiplier: -4 }",
    );
    let path = ws.file("spike.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "spike.yaml",
        line_of(&yaml, "multiplier: -4"),
        "workload.arrivals.spike.multiplier",
    );
    assert_mentions(
        &stderr,
        "must be a number ≥ 0 (above 1 for a flash crowd), got -4",
    );
}

#[test]
fn fails_on_a_rolling_deploy_that_could_never_progress() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with(
        CRASH_EVENT,
        "  - at: 8m\n    action: rolling-deploy\n    max_surge: 0\n    max_unavailable: 0",
    );
    let path = ws.file("deploy.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "deploy.yaml",
        line_of(&yaml, "max_surge: 0"),
        "events[0].max_surge",
    );
    assert_mentions(&stderr, "and max_unavailable are both 0");
}

#[test]
fn fails_on_a_crash_with_neither_at_nor_mtbf() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with(
        CRASH_EVENT,
        "  - { action: crash, count: 1, pick: busiest }",
    );
    let path = ws.file("when.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "when.yaml",
        line_of(&yaml, "action: crash"),
        "events[0].at",
    );
    assert_mentions(
        &stderr,
        "a crash needs `at: <time>`, or `mtbf: <duration>` for random crashes",
    );
}

#[test]
fn fails_when_a_set_leaves_the_initial_fleet_outside_the_autoscaler_range() {
    let ws = Workspace::new();
    let yaml = format!("{CRASH_STICKY}autoscaler:\n  target: 0.6\n  min: 2\n  max: 8\n");
    let path = ws.file("autoscaled.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &["--set", "autoscaler.max=3"]);
    // crash-sticky starts with 4 instances, now above the autoscaler's max.
    assert_points_at(
        &stderr,
        "autoscaled.yaml",
        line_of(&yaml, "  count: 4"),
        "instances.count",
    );
    assert_mentions(
        &stderr,
        "must be within the autoscaler's [min, max] = [2, 3], got 4",
    );
}
