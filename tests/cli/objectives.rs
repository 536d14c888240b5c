//! Objectives through the binary: a run says which are met with the numbers of its own windows,
//! `compare` and `plan` judge every seed, and bad objectives are refused naming where they came
//! from.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::{
    assert_clean_failure, assert_mentions, crash_sticky_with, fleetsim, line_of, run_fails,
    succeeds, Workspace,
};

/// A short baseline: 2 measured minutes after 30 s of warm-up, windows of 10 s.
const SHORT: [&str; 4] = ["--set", "duration=150s", "--set", "warmup=30s"];

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("JSON")
}

/// `(t_s, succeeded, failed, p99_ms)` of each row of a timeseries.csv.
fn windows(path: &Path) -> Vec<(f64, u64, u64, f64)> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (t, s, f, p) = (col("t_s"), col("succeeded"), col("failed"), col("p99_ms"));
    lines
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            (
                v[t].parse().unwrap(),
                v[s].parse().unwrap(),
                v[f].parse().unwrap(),
                v[p].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_run_reports_each_objective_with_the_numbers_of_its_own_windows() {
    let ws = Workspace::new();
    let output = succeeds(
        fleetsim()
            .args(["run", "baseline", "--out"])
            .arg(ws.out())
            .args(SHORT)
            .args([
                "--objective",
                "p99 < 1ms",
                "--objective",
                "p99 <= 10s",
                "--objective",
                "lost_sessions == 0",
                "--objective",
                "success >= 99.9%",
            ]),
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let folder = ws.out().join("baseline");
    let summary = json(&folder.join("summary.json"));
    let objectives = summary["objectives"].as_array().expect("objectives");
    assert_eq!(objectives.len(), 4);

    // Recomputed from timeseries.csv: the measured windows start at or after the 30 s
    // warm-up; a window with a success has a p99. 2 min / 10 s = 12 measured windows.
    let rows = windows(&folder.join("timeseries.csv"));
    let measured: Vec<_> = rows.iter().filter(|r| r.0 >= 30.0).collect();
    assert_eq!(measured.len(), 12);
    let with_latency: Vec<_> = measured.iter().filter(|r| r.1 > 0).collect();
    let worst = with_latency.iter().map(|r| r.3).fold(0.0, f64::max);
    let worst_at = with_latency.iter().find(|r| r.3 == worst).unwrap().0;

    // `p99 < 1ms`: the service time alone is a lognormal of mean 25 ms, so every window is
    // over and the objective is not met; the worst window is timeseries.csv's largest p99.
    let tight = &objectives[0];
    assert_eq!(tight["objective"], "p99 < 1ms");
    assert_eq!(tight["met"], false);
    assert_eq!(tight["windows"], with_latency.len());
    assert_eq!(tight["windows_over"], with_latency.len());
    // The CSV rounds to 3 decimals (whole microseconds: exact).
    assert_eq!(tight["worst"].as_f64().unwrap(), worst);
    assert_eq!(tight["worst_window_t_s"].as_f64().unwrap(), worst_at);

    // `p99 <= 10s`: the client times out at 5 s, so no success is slower: met, 0 over.
    let loose = &objectives[1];
    assert_eq!(
        (&loose["met"], &loose["windows_over"]),
        (&Value::Bool(true), &Value::from(0))
    );
    // No faults, sessions in Redis: nothing is lost.
    assert_eq!(objectives[2]["met"], true);
    assert_eq!(objectives[2]["worst"], 0.0);
    assert_eq!(objectives[2]["scope"], "run");
    assert!(objectives[2].get("windows").is_none());

    // The worst window's success share, recomputed.
    let success = measured
        .iter()
        .filter(|r| r.1 + r.2 > 0)
        .map(|r| r.1 as f64 * 100.0 / (r.1 + r.2) as f64)
        .fold(100.0, f64::min);
    assert_eq!(objectives[3]["worst"].as_f64().unwrap(), success);
    assert_eq!(objectives[3]["met"], success >= 99.9);

    // The terminal table leads with them.
    assert_mentions(&stdout, "objectives");
    assert_mentions(&stdout, "p99 < 1ms");
    assert_mentions(
        &stdout,
        &format!("NOT met · worst window {} ms", ms3(worst)),
    );
    // So do report.html and the Markdown summary.
    let html = fs::read_to_string(folder.join("report.html")).unwrap();
    assert_mentions(&html, "<caption>objectives</caption>");
    assert_mentions(&html, "p99 &lt; 1ms");
}

/// Milliseconds to three significant digits, as the table prints them.
fn ms3(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[test]
fn a_run_without_objectives_has_no_objectives_field() {
    let ws = Workspace::new();
    succeeds(
        fleetsim()
            .args(["run", "baseline", "--out"])
            .arg(ws.out())
            .args(SHORT),
    );
    let summary = json(&ws.out().join("baseline/summary.json"));
    assert!(summary.get("objectives").is_none());
}

#[test]
fn a_bad_objective_argument_is_named_with_its_value() {
    let output = fleetsim()
        .args(["run", "baseline", "--objective", "p99 < 25x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_mentions(
        &stderr,
        "invalid value 'p99 < 25x' for '--objective <EXPR>': p99: `25x` has an unknown unit `x`",
    );
}

#[test]
fn a_bad_objective_in_a_file_is_named_with_its_line() {
    let ws = Workspace::new();
    let yaml = crash_sticky_with(
        "duration: ",
        "objectives:\n  - p99 < 250ms\n  - success >= 99.9\nduration: ",
    );
    let path = ws.file("bad.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_clean_failure(&stderr);
    assert_mentions(
        &stderr,
        &format!(
            "bad.yaml:{}: objectives[1]",
            line_of(&yaml, "success >= 99.9")
        ),
    );
    assert_mentions(&stderr, "write it with `%`");
}

/// The first value of `instances.count` in 1..=4 that meets `p99 < 300ms` in every seed, by
/// brute force: a comparison of every value.
fn brute_force(ws: &Workspace) -> (i64, Value) {
    let out = ws.dir.path().join("brute");
    succeeds(
        fleetsim()
            .args(["compare", "baseline", "--vary", "instances.count=1..4"])
            .args(["--objective", "p99 < 300ms", "--seeds", "3", "--quiet"])
            .args(SHORT)
            .arg("--out")
            .arg(&out),
    );
    let c = json(&out.join("compare.json"));
    let first = c["variants"]
        .as_array()
        .unwrap()
        .iter()
        .position(|v| v["objectives"]["pass"] == true)
        .expect("some value passes");
    (first as i64 + 1, c)
}

#[test]
fn plan_finds_the_value_a_brute_force_comparison_finds() {
    let ws = Workspace::new();
    let (expected, compare) = brute_force(&ws);
    // One instance of 8 workers: about 40 sessions/s × one request per 4 s think time over
    // ~60 s sessions ≈ 600 requests/s × 25 ms ≈ 15 busy workers: overloaded, its queue and p99
    // explode. Two instances (16 workers) already keep p99 near the service time's 150 ms.
    assert_eq!(expected, 2);
    let first = &compare["variants"][0]["objectives"];
    assert_eq!(
        (&first["seeds_meeting_all"], &first["pass"]),
        (&Value::from(0), &Value::Bool(false))
    );
    // Every value from the first passing one on passes: monotone here.
    for v in 1..4 {
        assert_eq!(compare["variants"][v]["objectives"]["seeds_meeting_all"], 3);
    }

    let out = ws.dir.path().join("plan");
    let output = succeeds(
        fleetsim()
            .args(["plan", "baseline", "--search", "instances.count=1..4"])
            .args(["--objective", "p99 < 300ms", "--seeds", "3", "--quiet"])
            .args(SHORT)
            .arg("--out")
            .arg(&out),
    );
    let plan = json(&out.join("plan.json"));
    assert_eq!(plan["answer"], expected);
    assert_eq!(plan["direction"], "up");
    assert_eq!(plan["monotone"], true);
    // The plan's numbers for the answer are the comparison's: the same seeds, the same runs.
    let point = plan["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["value"] == expected)
        .unwrap();
    assert_eq!(
        point["verdict"]["objectives"][0]["worst"]["mean"],
        compare["variants"][1]["objectives"]["objectives"][0]["worst"]["mean"]
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_mentions(&stdout, "answer: instances.count = 2");
    assert_mentions(&stdout, "1 fails in 3 of 3");
    let html = fs::read_to_string(out.join("plan.html")).unwrap();
    assert_mentions(&html, "instances.count = 2");
    assert!(!html.contains("<script"), "self-contained, no script");
}

#[test]
fn plan_refuses_bad_searches_naming_the_argument() {
    let refused = |args: &[&str], code: i32| {
        let output = fleetsim().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(code), "{args:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = refused(
        &[
            "plan",
            "baseline",
            "--objective",
            "p99 < 1s",
            "--search",
            "instances.count=9..3",
        ],
        2,
    );
    assert_mentions(
        &stderr,
        "'--search <PATH=LOW..HIGH>': the range 9..3 is empty",
    );
    let stderr = refused(
        &[
            "plan",
            "baseline",
            "--objective",
            "p99 < 1s",
            "--search",
            "instances.cuont=1..3",
        ],
        1,
    );
    assert_clean_failure(&stderr);
    assert_mentions(&stderr, "--search instances.cuont=1..3");
    let stderr = refused(
        &[
            "plan",
            "baseline",
            "--objective",
            "p99 < 1s",
            "--search",
            "sessions.store=1..3",
        ],
        1,
    );
    assert_mentions(&stderr, "--search sessions.store=1..3");
    let stderr = refused(&["plan", "baseline", "--search", "instances.count=1..3"], 1);
    assert_mentions(&stderr, "plan needs an objective");
}

#[test]
fn a_sweep_carries_each_points_pass_fraction_and_reads_it_back_on_merge() {
    let ws = Workspace::new();
    let out = ws.dir.path().join("sweep");
    let output = succeeds(
        fleetsim()
            .args(["sweep", "baseline", "--grid", "instances.count=1,2"])
            .args(["--objective", "p99 < 300ms", "--seeds", "3", "--quiet"])
            .args(SHORT)
            .arg("--out")
            .arg(&out),
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    // One instance is overloaded (see plan_finds_the_value_a_brute_force_comparison_finds):
    // no seed meets the objective; two instances meet it in every seed.
    assert_mentions(&stdout, "worst: p99 < 300ms");
    assert_mentions(&stdout, "0/3 FAIL");
    assert_mentions(&stdout, "3/3 pass");
    let csv = fs::read_to_string(out.join("sweep.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with(",p99 < 300ms: worst,p99 < 300ms: met"),
        "{header}"
    );
    // 2 points × 3 seeds; the `met` column is 0 for the three runs of one instance.
    let met: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(met, ["0", "0", "0", "1", "1", "1"]);
    let meta = json(&out.join("sweep.json"));
    assert_eq!(meta["objectives"][0], "p99 < 300ms");
    let html = fs::read_to_string(out.join("sweep.html")).unwrap();
    assert_mentions(
        &html,
        "1 of 2 grid points meet every objective in every seed.",
    );
}

#[test]
fn compare_findings_lead_with_the_objective_one_variant_fails() {
    let ws = Workspace::new();
    let out = ws.dir.path().join("compare");
    succeeds(
        fleetsim()
            .args(["compare", "baseline", "--vary", "instances.count=1,2"])
            .args(["--objective", "p99 < 300ms", "--seeds", "2", "--quiet"])
            .args(SHORT)
            .arg("--out")
            .arg(&out),
    );
    let html = fs::read_to_string(out.join("compare.html")).unwrap();
    let findings = html
        .split("<h2 id=\"findings\">Findings</h2>")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .expect("a findings list");
    // One overloaded instance fails the objective in every seed; two meet it: that comes first.
    let first = findings.split("<li>").nth(1).expect("a finding");
    assert!(
        first.starts_with("<strong>count=1</strong> (met in 0 of 2 seeds; worst window")
            && first.contains(
                "fails <code>p99 &lt; 300ms</code>, which <strong>count=2</strong> meets in \
                 every seed"
            ),
        "{findings}"
    );
    assert_mentions(findings, "the gap decides <code>p99 &lt; 300ms</code>");
    // The charts draw the threshold, labelled as written, on the p99 panels.
    let svg = fs::read_to_string(out.join("compare.svg")).unwrap();
    assert_mentions(&svg, "p99 &lt; 300ms\n");
}
