//! `fleetsim check` against the real thing: HAProxy, redis-server and the instance processes on
//! loopback. Each test runs one bundled live scenario (50 to 90 s of real time) in the simulator
//! over five seeds and live, asserts that every headline metric agrees within its stated
//! tolerance, and that nothing the run started is left: no port of its haproxy.cfg answers and
//! no process mentions its working folder.
//!
//! Live runs take real time and share the machine, so they run one at a time. Without HAProxy
//! or redis-server the tests print a notice and pass, except under CI (`CI` set), where
//! `.ci/run` installs them and their absence is a failure.

use std::net::TcpStream;
use std::path::Path;
use std::sync::Mutex;

use serde_json::Value;

use crate::support::{fleetsim, Workspace};

/// One live fleet at a time: two would compete for the two cores and disturb latencies.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Whether HAProxy and redis-server are installed; panics under CI when they are not.
fn tools_present() -> bool {
    let found = |name: &str| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain(["/usr/sbin".into(), "/usr/bin".into()])
            .any(|dir| dir.join(name).is_file())
    };
    let missing: Vec<&str> = ["haproxy", "redis-server"]
        .into_iter()
        .filter(|n| !found(n))
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} not found, and CI is set: .ci/run must install them \
         (apt-get install haproxy redis-server)",
        missing.join(" and ")
    );
    eprintln!(
        "skipping: {} not found; apt-get install haproxy redis-server",
        missing.join(" and ")
    );
    false
}

/// Runs `fleetsim check name --seeds 5 <sets>`, asserts it agreed, and returns check.json and
/// the live run's haproxy.cfg.
fn check(ws: &Workspace, name: &str, sets: &[&str]) -> (Value, String) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = fleetsim();
    cmd.args(["check", name, "--seeds", "5", "--out"])
        .arg(ws.out());
    for set in sets {
        cmd.args(["--set", set]);
    }
    let output = cmd.output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "check {name} {sets:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = std::fs::read_to_string(ws.out().join("check.json")).expect("check.json");
    let cfg = std::fs::read_to_string(ws.out().join("live/haproxy.cfg")).expect("haproxy.cfg");
    assert_nothing_left(&cfg);
    (serde_json::from_str(&json).expect("valid JSON"), cfg)
}

/// No port of the run answers, and no process refers to its working folder.
fn assert_nothing_left(cfg: &str) {
    let ports: Vec<&str> = cfg
        .lines()
        .filter_map(|l| l.split("127.0.0.1:").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap_or(""))
        .collect();
    assert!(ports.len() >= 5, "the frontend and four servers: {ports:?}");
    for port in &ports {
        assert!(
            TcpStream::connect(format!("127.0.0.1:{port}")).is_err(),
            "something still listens on 127.0.0.1:{port} after the run"
        );
    }
    let socket = cfg
        .lines()
        .find_map(|l| l.trim().strip_prefix("stats socket "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the admin socket");
    let work = Path::new(socket).parent().expect("the working folder");
    let work = work.to_string_lossy();
    for entry in std::fs::read_dir("/proc").expect("/proc") {
        let cmdline = entry
            .map(|e| e.path().join("cmdline"))
            .and_then(std::fs::read);
        if let Ok(bytes) = cmdline {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(work.as_ref()),
                "a process of the run is still alive: {text}"
            );
        }
    }
}

fn row<'a>(check: &'a Value, metric: &str) -> &'a Value {
    check["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["metric"] == metric)
        .unwrap_or_else(|| panic!("no row {metric} in {check}"))
}

#[test]
fn a_crash_logs_out_sticky_in_memory_sessions_live_as_simulated_and_redis_keeps_them() {
    if !tools_present() {
        return;
    }
    let ws = Workspace::new();
    let (sticky, cfg) = check(&ws, "live-crash-sticky", &[]);
    assert_eq!(sticky["agrees"], true, "{sticky}");
    assert!(cfg.contains("cookie SRV insert indirect nocache"), "{cfg}");
    // 30 sessions/s × 10 requests over 50 s, one of four instances killed at 20 s: about a
    // quarter of the sessions open then (30 × (10 × 1 s) ≈ 300 open, ~75 on it) were pinned
    // to it and come back; the simulation says ~49 lost, and so must the real fleet.
    let lost = row(&sticky, "lost sessions");
    assert!(lost["live"].as_f64().unwrap() >= 10.0, "{lost}");
    let detect = row(&sticky, "time to detect a crash");
    // Two failed checks 1 s apart: between 1 and 2 s (plus the 0.5 s poll).
    let live_detect = detect["live"].as_f64().unwrap();
    assert!((0.5..=3.0).contains(&live_detect), "{detect}");

    let ws = Workspace::new();
    let (redis, _) = check(&ws, "live-crash-sticky", &["sessions.store=redis"]);
    assert_eq!(redis["agrees"], true, "{redis}");
    // The same crash: sessions live in Redis, nobody is logged out.
    assert_eq!(row(&redis, "lost sessions")["live"], 0.0, "{redis}");
    assert!(
        row(&redis, "failed: instance down")["live"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[test]
fn a_rolling_deploy_through_haproxy_drains_logs_out_sticky_users_as_simulated() {
    if !tools_present() {
        return;
    }
    let ws = Workspace::new();
    let (deploy, _) = check(&ws, "live-rolling-deploy", &[]);
    assert_eq!(deploy["agrees"], true, "{deploy}");
    // Draining through HAProxy's maintenance state: no request fails for lack of an instance.
    assert_eq!(
        row(&deploy, "failed: instance down")["live"],
        0.0,
        "{deploy}"
    );
    assert!(row(&deploy, "lost sessions")["live"].as_f64().unwrap() > 50.0);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.out().join("live/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["mode"], "live");
    // Four old instances retired, four new ones launched by the deploy.
    assert_eq!(summary["fleet"]["launched_by"]["deploy"], 4, "{summary}");
    assert_eq!(summary["fleet"]["terminated_by"]["deploy"], 4, "{summary}");
}

#[test]
fn a_step_in_load_is_answered_by_the_models_autoscaler_launching_real_instances() {
    if !tools_present() {
        return;
    }
    let ws = Workspace::new();
    let (step, _) = check(&ws, "live-autoscaled-step", &[]);
    assert_eq!(step["agrees"], true, "{step}");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.out().join("live/summary.json")).unwrap())
            .unwrap();
    // Two instances at the start; the sixfold step at 30 s makes the scraped CPU (~75 % against
    // a 40 % target) call for more, and real processes are launched and join HAProxy.
    let fleet = &summary["fleet"];
    assert_eq!(fleet["launched_by"]["initial"], 2, "{summary}");
    assert!(fleet["launched"].as_u64().unwrap() > 2, "{summary}");
    assert!(
        fleet["launched_by"]["scale_out"].as_u64().unwrap() >= 1,
        "{summary}"
    );
    assert!(fleet["scale_actions"].as_u64().unwrap() >= 1, "{summary}");
    assert!(row(&step, "peak instances")["live"].as_f64().unwrap() >= 3.0);
    // Scaling out logs nobody out: sessions stay pinned where their state is.
    assert_eq!(row(&step, "lost sessions")["live"], 0.0, "{step}");
}

/// `live-autoscaled-step` scaled on p95 latency, shortened to 40 s with its step brought to 15 s
/// and sharpened: sessions of 4 requests 0.5 s apart reach the new load within seconds, and
/// 90 sessions/s × 4 requests × 20 ms keep the two instances' 8 workers ~90 % busy.
const P95_STEP: &[&str] = &[
    "autoscaler.metric=p95-latency",
    "autoscaler.target=80",
    "duration=40s",
    "workload.arrivals.profile=[{at: 0s, rate: 12}, {at: 15s, rate: 90}]",
    "workload.session.requests={dist: geometric, mean: 4}",
    "workload.session.think_time={dist: exponential, mean: 500ms}",
];

#[test]
fn a_step_in_load_scales_out_on_the_p95_latency_the_instances_measure() {
    if !tools_present() {
        return;
    }
    let ws = Workspace::new();
    let (step, _) = check(&ws, "live-autoscaled-step", P95_STEP);
    assert_eq!(step["agrees"], true, "{step}");
    let csv = std::fs::read_to_string(ws.out().join("live/timeseries.csv")).expect("csv");
    let header: Vec<&str> = csv.lines().next().expect("header").split(',').collect();
    let column = header
        .iter()
        .position(|c| *c == "instances_desired")
        .expect("instances_desired");
    // (window start in s, desired instances) per 5 s window.
    let desired: Vec<(f64, u64)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].parse().unwrap(), cells[column].parse().unwrap())
        })
        .collect();
    // Before the step the p95 is the service time's own (about 60 ms of a lognormal of mean
    // 20 ms and p99 120 ms), inside the tolerance band of the 80 ms target: the evaluation at
    // 10 s keeps two instances. A p95 read in the wrong unit would scale out there.
    assert!(
        desired
            .iter()
            .filter(|(t, _)| *t < 15.0)
            .all(|&(_, d)| d == 2),
        "{csv}"
    );
    // After it, waiting for a worker lifts the p95 past the target: more instances.
    assert!(desired.iter().any(|&(_, d)| d > 2), "{csv}");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.out().join("live/summary.json")).unwrap())
            .unwrap();
    assert!(
        summary["fleet"]["launched_by"]["scale_out"]
            .as_u64()
            .unwrap()
            >= 1,
        "{summary}"
    );
}

#[test]
fn live_refuses_what_it_cannot_run_naming_the_field() {
    let output = fleetsim()
        .args([
            "live",
            "flash-crowd-autoscale",
            "--set",
            "balancer.hop_latency=5ms",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("balancer.hop_latency: "), "{stderr}");
    // flash-crowd-autoscale runs for an hour.
    assert!(
        stderr.contains("longer than --max-duration (180 s)"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
