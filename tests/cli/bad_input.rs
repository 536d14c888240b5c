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
