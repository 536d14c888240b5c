//! Hostile input that validates: runs too large for any machine are refused before they start,
//! naming the fields that drive their cost; counts stay exact however requests fail.

use serde_json::Value;

use crate::support::*;

/// Each case: a `--set` that makes `baseline` (or the scenario named) too large, and the field the
/// refusal must name as the cause.
const TOO_LARGE: [(&str, &[&str], &str); 9] = [
    (
        "baseline",
        &["workload.arrivals.rate=1e9"],
        "workload.arrivals",
    ),
    (
        "baseline",
        &["events=[{at: 1s, action: scale, to: 4294967295}]"],
        "instances.count, autoscaler.max, events (scale, crash)",
    ),
    ("baseline", &["report.window=1us"], "report.window"),
    ("baseline", &["duration=87600h"], "duration"),
    (
        "baseline",
        &["balancer.health_check.interval=1ns"],
        "balancer.health_check.interval",
    ),
    (
        "flash-crowd-autoscale",
        &["autoscaler.interval=1ns"],
        "autoscaler.interval",
    ),
    (
        "baseline",
        &[
            "workload.retries=4294967295",
            "workload.retry_backoff=0s",
            "balancer.hop_latency=0s",
        ],
        "workload.retries, workload.retry_backoff",
    ),
    (
        "baseline",
        &["instances.count=100000000"],
        "instances.count",
    ),
    (
        "baseline",
        &["events=[{action: crash, mtbf: 1ns}]"],
        "events (crash, mtbf)",
    ),
];

#[test]
fn runs_beyond_the_budget_are_refused_naming_what_drives_them_and_nothing_is_written() {
    for (scenario, sets, field) in TOO_LARGE {
        let ws = Workspace::new();
        let mut extra = Vec::new();
        for set in sets {
            extra.extend(["--set", set]);
        }
        let stderr = run_fails(&ws, scenario.as_ref(), &extra);
        assert_mentions(
            &stderr,
            &format!("error: {scenario}: this run is too large"),
        );
        assert_mentions(&stderr, field);
        assert_mentions(&stderr, "pass --force to run it anyway");
    }
}

#[test]
fn endless_retries_are_called_unbounded() {
    let ws = Workspace::new();
    let stderr = run_fails(
        &ws,
        "baseline".as_ref(),
        &[
            "--set",
            "workload.retries=4294967295",
            "--set",
            "workload.retry_backoff=0s",
            "--set",
            "balancer.hop_latency=0s",
        ],
    );
    assert_mentions(&stderr, "an unbounded number of events");
}

#[test]
fn force_runs_a_scenario_beyond_the_budget() {
    // 100,000 retries per request at worst, each a 1 ms hop apart (no backoff): ≈ 60,000
    // requests × 10⁵ retries × 2 events ≈ 10¹⁰ events, far beyond the budget. Nothing fails in
    // fact, so the run itself is ordinary.
    let ws = Workspace::new();
    let sets = [
        "--set",
        "workload.retries=100000",
        "--set",
        "workload.retry_backoff=0s",
        "--set",
        "balancer.hop_latency=1ms",
        "--set",
        "duration=3m",
    ];
    let refused = run_fails(&ws, "baseline".as_ref(), &sets);
    assert_mentions(&refused, "retries of failed requests (at worst)");
    let output = succeeds(
        fleetsim()
            .args(["run", "baseline", "--format", "json", "--force", "--out"])
            .arg(ws.out())
            .args(sets),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("warning: baseline: this run is too large"),
        "{stderr}"
    );
}

#[test]
fn a_configured_maximum_allocates_nothing_until_used() {
    // Four billion database connections and a million queue places per instance: a run of the
    // ordinary size it really is (this once asked for 34 GB at start).
    let output = fleetsim()
        .args(["validate", "baseline", "--set"])
        .arg("database={max_connections: 4294967295, pool_per_instance: 1000000}")
        .args(["--set", "instances.queue=1000000"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("a run takes about 2 million events"),
        "{stdout}"
    );
    assert!(stdout.contains("MiB of memory\n"), "{stdout}");
}

#[test]
fn a_balancer_failure_over_redis_timeouts_counts_every_request_once() {
    // The reproduction: with Redis saturated (16 operations/s) requests wait in instance queues
    // until the balancer dies at 10m; the reset ones were once failed a second time when their
    // queue deadline passed (sent 1,292,789, accounted for 1,292,829).
    let ws = Workspace::new();
    let output = succeeds(
        fleetsim()
            .args([
                "run",
                "lb-single-point",
                "--format",
                "json",
                "--set",
                "redis.max_ops=16",
            ])
            .arg("--out")
            .arg(ws.out()),
    );
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let r = &summary["requests"];
    let failed: u64 = r["failed"]
        .as_object()
        .expect("failed by cause")
        .values()
        .map(|v| v.as_u64().expect("a count"))
        .sum();
    let n = |k: &str| r[k].as_u64().expect("a count");
    assert!(r["failed"]["balancer_down"].as_u64() > Some(0), "{r}");
    assert!(r["failed"]["timeout"].as_u64() > Some(0), "{r}");
    assert_eq!(
        n("sent"),
        n("succeeded") + failed + n("in_flight_at_end"),
        "{r}"
    );
}

#[test]
fn a_folder_named_like_a_bundled_scenario_does_not_hide_it() {
    let ws = Workspace::new();
    std::fs::create_dir(ws.dir.path().join("baseline")).expect("a folder");
    let output = succeeds(
        fleetsim()
            .current_dir(ws.dir.path())
            .args(["validate", "baseline"]),
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("ok: baseline"));
}

#[test]
fn a_nan_in_a_file_is_refused_on_its_line_whatever_is_set() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with("rate: 50", "rate: .nan");
    let line = line_of(&yaml, "rate: .nan");
    let file = ws.file("nan.yaml", &yaml);
    let stderr = run_fails(&ws, &file, &["--set", "seed=9"]);
    assert_mentions(
        &stderr,
        &format!(
            "{}:{line}: workload.arrivals.rate: `.nan` is not a finite number",
            file.display()
        ),
    );
    assert!(!stderr.contains("seed=9"), "{stderr}");
}

#[test]
fn an_invalid_scenarios_lines_quote_a_set_escaped_and_short() {
    // A newline and 100,000 characters in a value: the message escapes the one (so it cannot
    // pass for a line of its own) and cuts the other.
    let ws = Workspace::new();
    let long = format!("name=x\ny{}", "z".repeat(100_000));
    let output = fleetsim()
        .args(["run", "baseline", "--out"])
        .arg(ws.out())
        .args(["--set", &long])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!ws.out().exists());
    assert_mentions(&stderr, "(from --set name=x\\nyzzz");
    assert_mentions(&stderr, "… (100008 characters))");
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(stderr.len() < 1_000, "{} bytes", stderr.len());
}

#[test]
fn the_guides_refusal_excerpt_is_what_the_binary_prints() {
    // docs/guide.md "When a run is too large" shows a real refusal: it must not drift from the binary.
    const COMMAND: &str = "$ fleetsim run baseline --set balancer.health_check.interval=1ns\n";
    let readme = include_str!("../../docs/guide.md");
    let start = readme.find(COMMAND).expect("the guide shows the command") + COMMAND.len();
    let shown = &readme[start..start + readme[start..].find("```").expect("a closed block")];
    let ws = Workspace::new();
    let stderr = run_fails(
        &ws,
        "baseline".as_ref(),
        &["--set", "balancer.health_check.interval=1ns"],
    );
    assert_eq!(shown, stderr);
}
