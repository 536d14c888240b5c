//! `compare`, `sweep` and `merge` through the binary: the numbers they report, determinism
//! whatever the thread count, resuming a killed sweep, and shards merging into exactly the
//! unsharded sweep.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::{assert_clean_failure, assert_mentions, fleetsim, Workspace};

/// A short crash-sticky: 4 simulated minutes, the crash at 2 min.
const SHORT: [&str; 6] = [
    "--set",
    "duration=4m",
    "--set",
    "warmup=1m",
    "--set",
    "events.0.at=2m",
];

fn succeed(args: &[&str], out: &Path) -> String {
    let output = fleetsim()
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "fleetsim {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn fail(args: &[&str], out: &Path, code: i32) -> String {
    let output = fleetsim()
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    stderr
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("JSON")
}

/// `compare.json`'s estimate of `metric` for variant `v`.
fn metric<'a>(c: &'a Value, v: usize, metric: &str) -> &'a Value {
    c["variants"][v]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == metric)
        .unwrap_or_else(|| panic!("no {metric}"))
}

fn compare_args(threads: &str) -> Vec<&str> {
    let mut args = vec![
        "compare",
        "crash-sticky",
        "--vary",
        "sessions.store=in-memory,redis,jwt",
        "--seeds",
        "4",
        "--threads",
        threads,
    ];
    args.extend(SHORT);
    args
}

#[test]
fn compare_reports_each_store_over_the_same_seeds_with_intervals() {
    let ws = Workspace::new();
    let stdout = succeed(&compare_args("2"), &ws.out());
    for text in [
        "store=in-memory",
        "store=redis",
        "store=jwt",
        "±",
        "4 seeds",
    ] {
        assert_mentions(&stdout, text);
    }
    for file in [
        "compare.csv",
        "compare.json",
        "compare.svg",
        "compare.png",
        "compare.html",
    ] {
        assert!(ws.out().join(file).is_file(), "{file}");
    }
    let c = json(&ws.out().join("compare.json"));
    assert_eq!(c["seeds"], serde_json::json!([7, 8, 9, 10]));
    let lost = metric(&c, 0, "sessions_lost");
    let values: Vec<f64> = lost["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(values.len(), 4);
    assert!(values.iter().all(|&v| v > 50.0), "{values:?}");
    // The interval is the one computed from the values: mean ± t(0.975, 3) · s / √4.
    let mean = values.iter().sum::<f64>() / 4.0;
    let s = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
    let half = 3.182446 * s / 2.0;
    assert!((lost["mean"].as_f64().unwrap() - mean).abs() < 1e-9);
    assert!((lost["half_width"].as_f64().unwrap() - half).abs() < 1e-6);
    // Stateless stores lose nothing in the same crash.
    for v in [1, 2] {
        assert_eq!(metric(&c, v, "sessions_lost")["mean"], 0.0);
    }
    // Redis pays for its round trips in latency.
    assert!(metric(&c, 1, "p50_ms")["mean"].as_f64() > metric(&c, 0, "p50_ms")["mean"].as_f64());
    // The CSV has one row per variant, the axis value in its own column.
    let csv = fs::read_to_string(ws.out().join("compare.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("variant,sessions.store,seeds,sessions_lost_mean,"));
    assert!(
        lines[2].starts_with("store=redis,redis,4,0,0,0,0,0,"),
        "{}",
        lines[2]
    );
    // Each variant's first seed is a full run report, linked from compare.html.
    let html = fs::read_to_string(ws.out().join("compare.html")).unwrap();
    for folder in ["crash-sticky+store=in-memory", "crash-sticky+store=jwt"] {
        assert!(ws
            .out()
            .join("runs")
            .join(folder)
            .join("report.html")
            .is_file());
        assert_mentions(&html, &format!("runs/{folder}/report.html"));
    }
}

#[test]
fn the_thread_count_does_not_change_a_comparison() {
    let one = Workspace::new();
    let two = Workspace::new();
    succeed(&compare_args("1"), &one.out());
    succeed(&compare_args("3"), &two.out());
    for file in ["compare.csv", "compare.json", "compare.svg", "compare.html"] {
        assert!(
            fs::read(one.out().join(file)).unwrap() == fs::read(two.out().join(file)).unwrap(),
            "{file} differs between 1 and 3 threads"
        );
    }
}

fn sweep_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "sweep",
        "crash-sticky",
        "--grid",
        "instances.count=3..5",
        "--grid",
        "sessions.store=in-memory,redis",
        "--seeds",
        "2",
    ];
    args.extend(SHORT);
    args.extend_from_slice(extra);
    args
}

const SWEEP_FILES: [&str; 4] = ["sweep.csv", "sweep.json", "sweep.svg", "sweep.png"];

#[test]
fn shards_merge_into_exactly_the_unsharded_sweep() {
    let ws = Workspace::new();
    let whole = ws.dir.path().join("whole");
    let stdout = succeed(&sweep_args(&["--threads", "2"]), &whole);
    assert_mentions(&stdout, "6 points × 2 seeds");
    let csv = fs::read_to_string(whole.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 12);
    assert_eq!(
        lines[0],
        "run,point,seed,instances.count,sessions.store,sessions_lost,failed_requests,p50_ms,\
         p99_ms,instance_seconds,churn"
    );
    assert!(lines[1].starts_with("0,0,7,3,in-memory,"), "{}", lines[1]);
    assert!(lines[12].starts_with("11,5,8,5,redis,"), "{}", lines[12]);

    let mut shards = Vec::new();
    for k in 0..3 {
        let dir = ws.dir.path().join(format!("shard-{k}"));
        let shard = format!("{k}/3");
        let stdout = succeed(&sweep_args(&["--shard", &shard, "--threads", "1"]), &dir);
        assert_mentions(&stdout, &format!("shard {k}/3: 4 runs"));
        assert!(!dir.join("sweep.svg").exists(), "a shard draws no charts");
        shards.push(dir);
    }
    let merged = ws.dir.path().join("merged");
    let output = fleetsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for file in SWEEP_FILES {
        assert!(
            fs::read(whole.join(file)).unwrap() == fs::read(merged.join(file)).unwrap(),
            "merged {file} differs from the unsharded one"
        );
    }

    // A missing shard is named.
    let output = fleetsim()
        .arg("merge")
        .args(&shards[..2])
        .arg("--out")
        .arg(ws.dir.path().join("partial"))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert_clean_failure(&stderr);
    assert_mentions(&stderr, "shard 2/3 is missing");
}

#[test]
fn a_killed_sweep_resumes_where_it_stopped() {
    let ws = Workspace::new();
    let whole = ws.dir.path().join("whole");
    succeed(&sweep_args(&[]), &whole);
    let full = fs::read_to_string(whole.join("sweep.csv")).unwrap();

    // What a kill leaves: the description, some rows in finishing order and half a line.
    let killed = ws.dir.path().join("killed");
    fs::create_dir_all(&killed).unwrap();
    fs::copy(whole.join("sweep.json"), killed.join("sweep.json")).unwrap();
    let lines: Vec<&str> = full.lines().collect();
    let partial = format!(
        "{}\n{}\n{}\n{}",
        lines[0],
        lines[5],
        lines[2],
        &lines[7][..9]
    );
    fs::write(killed.join("sweep.csv"), partial).unwrap();

    // Without --resume the folder is left alone.
    let stderr = fail(&sweep_args(&[]), &killed, 1);
    assert_clean_failure(&stderr);
    assert_mentions(&stderr, "--resume");

    // With different arguments it is refused.
    let mut other = sweep_args(&["--resume"]);
    other[7] = "3";
    let stderr = fail(&other, &killed, 1);
    assert_mentions(&stderr, "different arguments (seeds)");

    succeed(&sweep_args(&["--resume"]), &killed);
    for file in SWEEP_FILES {
        assert!(
            fs::read(whole.join(file)).unwrap() == fs::read(killed.join(file)).unwrap(),
            "resumed {file} differs"
        );
    }
}

#[test]
fn bad_grids_and_shards_are_refused_before_anything_runs() {
    let ws = Workspace::new();
    for (args, code, says) in [
        (
            vec!["sweep", "crash-sticky", "--grid", "instances.count=5..2"],
            2,
            "ends before it starts",
        ),
        (
            vec![
                "sweep",
                "crash-sticky",
                "--grid",
                "instances.count=3",
                "--shard",
                "3/3",
            ],
            2,
            "not a shard",
        ),
        (vec!["sweep", "crash-sticky"], 2, "--grid"),
        (
            vec![
                "compare",
                "crash-sticky",
                "--vary",
                "sessions.store=redis",
                "--seeds",
                "0",
            ],
            2,
            "seeds",
        ),
        (
            vec!["sweep", "crash-sticky", "--grid", "instances.count=0,2"],
            1,
            "instances.count=0",
        ),
        (
            vec![
                "compare",
                "crash-sticky",
                "--vary",
                "sessions.store=redis,memcached",
            ],
            1,
            "memcached",
        ),
        (
            vec![
                "compare",
                "crash-sticky",
                "--vary",
                "instances.count=2",
                "--vary",
                "instances.count=3",
            ],
            1,
            "given twice",
        ),
    ] {
        let stderr = fail(&args, &ws.out(), code);
        assert_mentions(&stderr, says);
        if code == 1 {
            assert_clean_failure(&stderr);
        }
        assert!(!ws.out().exists(), "{args:?} wrote {}", ws.out().display());
    }
}

#[test]
fn without_arguments_the_showcase_compares_the_three_session_stores() {
    let ws = Workspace::new();
    let output = fleetsim()
        .current_dir(ws.dir.path())
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    for text in [
        "store=in-memory",
        "store=redis",
        "store=jwt",
        "lost sessions",
        "10 seeds",
    ] {
        assert_mentions(&stdout, text);
    }
    let out = ws.dir.path().join("output/showcase");
    assert_mentions(&stdout, "output/showcase/compare.html");
    let c = json(&out.join("compare.json"));
    assert!(metric(&c, 0, "sessions_lost")["ci95_low"].as_f64().unwrap() > 300.0);
    assert_eq!(metric(&c, 1, "sessions_lost")["mean"], 0.0);
    assert_eq!(metric(&c, 2, "sessions_lost")["mean"], 0.0);
    assert!(out
        .join("runs/crash-sticky+store=redis/report.html")
        .is_file());
}

// ----- refusals and awkward values (found by fuzzing) ------------------------------------------

/// A 2-minute round-robin-in-memory: the quickest bundled story to run many times.
const QUICK: [&str; 4] = ["--set", "duration=2m", "--set", "warmup=30s"];

/// Runs fleetsim with `args` (and `--out` when given), expects exit code `code` with a clean
/// one-screen message, and returns stderr.
fn refused(args: &[&str], out: Option<&Path>, code: i32) -> String {
    let mut cmd = fleetsim();
    cmd.args(args);
    if let Some(out) = out {
        cmd.arg("--out").arg(out);
    }
    let output = cmd
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{args:?}:\n{stderr}");
    assert_clean_failure(&stderr);
    assert!(output.stdout.is_empty(), "{args:?} printed to stdout");
    stderr
}

/// Every file under `dir`, with its bytes, to show that a refused command changed nothing.
fn snapshot(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.push((path.clone(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn fails_with_the_value_count_when_a_range_overflows() {
    let ws = Workspace::new();
    for (args, says) in [
        (
            // i64::MAX − i64::MIN + 1 = 2⁶⁴ values, which used to wrap around to 0.
            vec![
                "sweep",
                "baseline",
                "--grid",
                "seed=-9223372036854775808..9223372036854775807",
            ],
            "expands to 18446744073709551616 values; an axis takes at most 10000",
        ),
        (
            // 1e308 / 1e-308 is infinite in f64.
            vec![
                "sweep",
                "baseline",
                "--grid",
                "workload.arrivals.rate=0..1e308:1e-308",
            ],
            "expands to more values than can be counted; an axis takes at most 10000",
        ),
        (
            vec![
                "compare",
                "baseline",
                "--vary",
                "seed=-9223372036854775808..9223372036854775807",
            ],
            "expands to 18446744073709551616 values",
        ),
    ] {
        let stderr = refused(&args, Some(&ws.out()), 2);
        assert_mentions(&stderr, says);
        assert!(!ws.out().exists(), "{args:?} wrote {}", ws.out().display());
    }
}

#[test]
fn fails_before_loading_anything_when_a_grid_has_too_many_runs() {
    let ws = Workspace::new();
    // 10,000 × 10,000 points × 3 seeds: refused at once, not after loading 10⁸ scenarios (the
    // 60 s timeout of `refused` would catch that).
    let stderr = refused(
        &[
            "sweep",
            "baseline",
            "--grid",
            "instances.count=1..10000",
            "--grid",
            "workload.arrivals.rate=1..10000",
        ],
        Some(&ws.out()),
        1,
    );
    assert_mentions(
        &stderr,
        "error: --grid instances.count (10000 values) × --grid workload.arrivals.rate (10000 \
         values) × 3 seeds = 300000000 runs, more than the 100000 runs one study may ask for",
    );
    // A compare counts its variants × seeds the same way: 10,000 × 5 × 5 = 250,000 runs.
    let stderr = refused(
        &[
            "compare",
            "baseline",
            "--vary",
            "instances.count=1..10000",
            "--vary",
            "workload.arrivals.rate=1..5",
        ],
        Some(&ws.out()),
        1,
    );
    assert_mentions(&stderr, "× 5 seeds = 250000 runs");
    // An axis over `seed` would only be overwritten by each run's own seed.
    let stderr = refused(
        &[
            "sweep",
            "baseline",
            "--grid",
            "instances.count=1..10000",
            "--grid",
            "seed=1..10000",
        ],
        Some(&ws.out()),
        1,
    );
    assert_mentions(&stderr, "--grid seed would change nothing");
    assert!(!ws.out().exists());
}

#[test]
fn fails_when_the_seeds_would_pass_the_largest_seed() {
    let ws = Workspace::new();
    for command in [
        vec!["compare", "baseline", "--vary", "instances.count=2,3"],
        vec!["sweep", "baseline", "--grid", "instances.count=2,3"],
    ] {
        let mut args = command.clone();
        args.extend(["--seed", "18446744073709551615", "--seeds", "2"]);
        let stderr = refused(&args, Some(&ws.out()), 1);
        // 18446744073709551615 + 2 − 1 = 2⁶⁴: the second seed used to wrap around to 0.
        assert_mentions(
            &stderr,
            "error: --seed 18446744073709551615 with --seeds 2 needs seeds up to \
             18446744073709551616, past the largest seed (18446744073709551615): pass --seed \
             18446744073709551614 or lower",
        );
        assert!(!ws.out().exists());
    }
}

#[test]
fn variants_whose_folder_names_would_coincide_get_their_own_report_folders() {
    let ws = Workspace::new();
    let long = format!("description={}", "a".repeat(300));
    let mut args = vec![
        "compare",
        "round-robin-in-memory",
        "--vary",
        "description=a/b,a_b",
        "--seeds",
        "1",
    ];
    args.extend(QUICK);
    succeed(&args, &ws.out());
    // `a/b` and `a_b` both make `description=a_b`: each variant gets its number.
    let runs = ws.out().join("runs");
    let html = fs::read_to_string(ws.out().join("compare.html")).unwrap();
    for folder in [
        "round-robin-in-memory+description=a_b~1",
        "round-robin-in-memory+description=a_b~2",
    ] {
        assert!(runs.join(folder).join("report.html").is_file(), "{folder}");
        assert_mentions(&html, &format!("runs/{folder}/report.html"));
    }
    assert_eq!(fs::read_dir(&runs).unwrap().count(), 2);

    // A 300-character value runs and is written under a name cut to 80 characters of label.
    let other = Workspace::new();
    let mut args = vec![
        "compare",
        "round-robin-in-memory",
        "--vary",
        long.as_str(),
        "--seeds",
        "1",
    ];
    args.extend(QUICK);
    succeed(&args, &other.out());
    let folder = format!("round-robin-in-memory+description={}", "a".repeat(68));
    assert!(other
        .out()
        .join("runs")
        .join(folder)
        .join("report.html")
        .is_file());
}

#[test]
fn values_with_newlines_commas_and_quotes_survive_resume_shards_and_merge() {
    let ws = Workspace::new();
    // Three descriptions: `a⏎b`, `c{,}d` (the comma is inside braces, so one value) and `e"f`.
    let grid = "description=a\nb,c{,}d,e\"f";
    let sweep = |extra: &[&str], out: &Path| {
        let mut args = vec![
            "sweep",
            "round-robin-in-memory",
            "--grid",
            grid,
            "--seeds",
            "2",
        ];
        args.extend(QUICK);
        args.extend_from_slice(extra);
        succeed(&args, out)
    };
    let whole = ws.dir.path().join("whole");
    sweep(&[], &whole);
    let csv = fs::read_to_string(whole.join("sweep.csv")).unwrap();
    assert!(csv.contains("\n0,0,3,\"a\nb\","), "{csv}");
    assert!(csv.contains("\n5,2,4,\"e\"\"f\","), "{csv}");
    let before = snapshot(&whole);
    // Resuming a finished sweep reads it back and changes nothing.
    sweep(&["--resume"], &whole);
    assert!(snapshot(&whole) == before, "--resume changed the sweep");

    let shards: Vec<_> = (0..2)
        .map(|k| {
            let dir = ws.dir.path().join(format!("shard-{k}"));
            sweep(&["--shard", &format!("{k}/2")], &dir);
            dir
        })
        .collect();
    let merged = ws.dir.path().join("merged");
    let output = fleetsim()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for file in SWEEP_FILES {
        assert!(
            fs::read(whole.join(file)).unwrap() == fs::read(merged.join(file)).unwrap(),
            "merged {file} differs"
        );
    }
}

/// `fleetsim merge <dirs> --out <out>`.
fn merge_into(dirs: &[std::path::PathBuf], out: &Path) -> std::process::Output {
    fleetsim()
        .arg("merge")
        .args(dirs)
        .arg("--out")
        .arg(out)
        .output()
        .expect("the binary runs")
}

#[test]
fn merge_refuses_to_overwrite_a_shard_or_another_sweep_and_checks_each_shards_rows() {
    let ws = Workspace::new();
    let sweep = |extra: &[&str], out: &Path| {
        let mut args = vec![
            "sweep",
            "round-robin-in-memory",
            "--grid",
            "instances.count=3,4",
            "--seeds",
            "1",
        ];
        args.extend(QUICK);
        args.extend_from_slice(extra);
        succeed(&args, out)
    };
    let shards: Vec<_> = (0..2)
        .map(|k| {
            let dir = ws.dir.path().join(format!("shard-{k}"));
            sweep(&["--shard", &format!("{k}/2")], &dir);
            dir
        })
        .collect();
    let before = snapshot(ws.dir.path());

    // Onto one of the shards.
    let output = merge_into(&shards, &shards[0]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_clean_failure(&stderr);
    assert_mentions(&stderr, "is the shard folder");
    assert_mentions(&stderr, "would overwrite that shard");

    // Onto another sweep (here a whole sweep with other instance counts).
    let other = ws.dir.path().join("other");
    let mut args = vec![
        "sweep",
        "round-robin-in-memory",
        "--grid",
        "instances.count=5,6",
        "--seeds",
        "1",
    ];
    args.extend(QUICK);
    succeed(&args, &other);
    let other_before = snapshot(&other);
    let output = merge_into(&shards, &other);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_clean_failure(&stderr);
    assert_mentions(
        &stderr,
        "already holds a sweep: merge does not overwrite one",
    );
    assert!(
        snapshot(&other) == other_before,
        "the other sweep was changed"
    );
    fs::remove_dir_all(&other).unwrap();
    assert!(
        snapshot(ws.dir.path()) == before,
        "a refused merge wrote files"
    );

    // The same merge twice is fine (a retried merge job), and writes the same bytes.
    let merged = ws.dir.path().join("merged");
    assert!(merge_into(&shards, &merged).status.success());
    let first = snapshot(&merged);
    assert!(merge_into(&shards, &merged).status.success());
    assert!(snapshot(&merged) == first);

    // A shard edited by hand after it finished: the row still parses, the checksum differs.
    let csv_path = shards[1].join("sweep.csv");
    let csv = fs::read_to_string(&csv_path).unwrap();
    let (kept, last) = csv.trim_end().rsplit_once(',').unwrap();
    assert_ne!(last, "12345");
    fs::write(&csv_path, format!("{kept},12345\n")).unwrap();
    let fresh = ws.dir.path().join("fresh");
    let output = merge_into(&shards, &fresh);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_clean_failure(&stderr);
    assert_mentions(
        &stderr,
        &format!(
            "{} does not match the checksum its sweep.json recorded",
            csv_path.display()
        ),
    );
    assert!(
        !fresh.exists(),
        "a refused merge created {}",
        fresh.display()
    );
}

#[test]
fn resuming_a_folder_without_sweep_json_says_what_is_wrong() {
    let ws = Workspace::new();
    let mut args = vec![
        "sweep",
        "round-robin-in-memory",
        "--grid",
        "instances.count=3,4",
        "--seeds",
        "1",
    ];
    args.extend(QUICK);
    succeed(&args, &ws.out());
    fs::remove_file(ws.out().join("sweep.json")).unwrap();
    let before = snapshot(&ws.out());
    for extra in [&["--resume"][..], &[][..]] {
        let mut again = args.clone();
        again.extend_from_slice(extra);
        let stderr = refused(&again, Some(&ws.out()), 1);
        assert_mentions(
            &stderr,
            "has a sweep.csv but no sweep.json: it is not a sweep folder, or its sweep.json was \
             removed",
        );
        assert!(!stderr.contains("pass --resume"), "{stderr}");
    }
    assert!(snapshot(&ws.out()) == before);
}

#[test]
fn echoed_values_are_escaped_and_shortened_in_error_messages() {
    let ws = Workspace::new();
    // A 100,000-character value that fails validation: the message quotes 80 characters of it.
    let huge = format!("instances.count={}", "9".repeat(100_000));
    let stderr = refused(
        &[
            "compare",
            "baseline",
            "--vary",
            &format!("workload.arrivals.rate=1,{}", "x".repeat(100_000)),
        ],
        Some(&ws.out()),
        1,
    );
    assert!(stderr.len() < 2_000, "{} bytes of stderr", stderr.len());
    assert_mentions(&stderr, "… (100023 characters)");
    let stderr = refused(&["validate", "baseline", "--set", &huge], None, 1);
    assert!(stderr.len() < 2_000, "{} bytes of stderr", stderr.len());
    // Control characters come out escaped, never raw (an ESC would repaint the terminal). The
    // escaped newline is a literal `\n`, which `assert_clean_failure` would take for debug
    // output, so this one is checked by hand.
    let output = fleetsim()
        .args([
            "sweep",
            "baseline",
            "--grid",
            "sessions.store=redis,\u{1b}[2Jred\nis",
        ])
        .arg("--out")
        .arg(ws.out())
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert_mentions(&stderr, "sessions.store=\\u{1b}[2Jred\\nis");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!ws.out().exists());
}

/// The files under `dir` whose names end in `.svg` or `.png`, relative to `dir`.
fn chart_files(dir: &Path) -> Vec<std::path::PathBuf> {
    snapshot(dir)
        .into_iter()
        .map(|(path, _)| path.strip_prefix(dir).unwrap().to_path_buf())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("svg" | "png")))
        .collect()
}

#[test]
fn no_charts_leaves_out_every_chart_and_nothing_else() {
    // The same runs with and without charts: the figures are the same bytes, only the pictures
    // (and their places in the pages) are gone.
    let ws = Workspace::new();
    let cases: [(Vec<&str>, &[&str]); 3] = [
        (
            ["run", "crash-sticky"].into_iter().chain(SHORT).collect(),
            &["crash-sticky/summary.json", "crash-sticky/timeseries.csv"],
        ),
        (compare_args("2"), &["compare.csv", "compare.json"]),
        (
            sweep_args(&["--threads", "2"]),
            &["sweep.csv", "sweep.json"],
        ),
    ];
    for (i, (args, figures)) in cases.iter().enumerate() {
        let drawn = ws.dir.path().join(format!("drawn-{i}"));
        let skipped = ws.dir.path().join(format!("skipped-{i}"));
        // `run` has no progress bar to quiet.
        let go = |args: &[&str], out: &Path| match args[0] {
            "run" => {
                let output = fleetsim()
                    .args(args)
                    .arg("--out")
                    .arg(out)
                    .output()
                    .unwrap();
                assert!(output.status.success(), "{args:?}");
                String::from_utf8(output.stdout).unwrap()
            }
            _ => succeed(args, out),
        };
        go(args, &drawn);
        let with_flag: Vec<&str> = args.iter().copied().chain(["--no-charts"]).collect();
        let stdout = go(&with_flag, &skipped);
        assert!(!chart_files(&drawn).is_empty(), "{args:?} drew no chart");
        assert_eq!(
            chart_files(&skipped),
            Vec::<std::path::PathBuf>::new(),
            "{args:?}"
        );
        assert!(
            !stdout.contains(".svg"),
            "{args:?} lists a chart:\n{stdout}"
        );
        for file in *figures {
            let (a, b) = (drawn.join(file), skipped.join(file));
            let (a, b) = (fs::read(&a).unwrap(), fs::read(&b).unwrap());
            // summary.json holds the engine's wall time, which no two runs share.
            if file.ends_with("summary.json") {
                let strip = |bytes: &[u8]| {
                    let mut v: Value = serde_json::from_slice(bytes).unwrap();
                    let engine = v["engine"].as_object_mut().unwrap();
                    engine.retain(|k, _| k != "wall_seconds" && k != "events_per_second");
                    v
                };
                assert_eq!(strip(&a), strip(&b), "{file}");
            } else {
                assert!(a == b, "{file} differs with --no-charts");
            }
        }
        let pages: Vec<_> = snapshot(&skipped)
            .into_iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "html"))
            .collect();
        assert!(!pages.is_empty());
        for (page, bytes) in pages {
            let html = String::from_utf8(bytes).unwrap();
            assert_mentions(&html, "Charts were not drawn (--no-charts)");
            assert!(
                !html.contains("<svg"),
                "{} still has a chart",
                page.display()
            );
        }
    }
}
