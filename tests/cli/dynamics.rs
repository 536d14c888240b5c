//! The fleet-dynamics scenarios, each run through the binary with the point of its story
//! asserted in numbers: autoscaling, scale-in, deploys, drains, outages, ceilings, gray
//! failure, the balancer as a single point of failure, revocation and a whole day.

use std::collections::HashMap;

use serde_json::Value;

use crate::scenarios::{deterministic_summary, f, run, u};
use crate::support::Workspace;

/// Runs a scenario and returns its summary and its time series (one map per window).
fn run_with_series(scenario: &str, extra: &[&str]) -> (Value, Vec<HashMap<String, f64>>) {
    let ws = Workspace::new();
    let summary = run(&ws, scenario, extra);
    let name = summary["scenario"].as_str().unwrap().to_owned();
    let mut reader = csv::Reader::from_path(ws.out().join(name).join("timeseries.csv"))
        .expect("timeseries.csv is written");
    let headers = reader.headers().unwrap().clone();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.parse::<f64>().unwrap()))
                .collect()
        })
        .collect();
    (summary, rows)
}

/// Windows starting in `[from_s, to_s)`.
fn between(rows: &[HashMap<String, f64>], from_s: f64, to_s: f64) -> Vec<&HashMap<String, f64>> {
    rows.iter()
        .filter(|w| w["t_s"] >= from_s && w["t_s"] < to_s)
        .collect()
}

fn mean(rows: &[&HashMap<String, f64>], column: &str) -> f64 {
    rows.iter().map(|w| w[column]).sum::<f64>() / rows.len() as f64
}

fn max(rows: &[&HashMap<String, f64>], column: &str) -> f64 {
    rows.iter().map(|w| w[column]).fold(f64::MIN, f64::max)
}

#[test]
fn flash_crowd_outruns_the_autoscaler_until_new_instances_are_warm() {
    let (s, rows) = run_with_series("flash-crowd-autoscale", &[]);
    // The autoscaler reacts: the fleet grows well past its 4 instances, then shrinks back.
    assert!(u(&s, "fleet.peak") >= 12, "peak {}", u(&s, "fleet.peak"));
    assert!(u(&s, "fleet.launched_by.scale_out") >= 8);
    assert!(u(&s, "fleet.terminated_by.scale_in") >= 4);
    // During the first minutes of the spike supply lags demand…
    let early = between(&rows, 600.0, 720.0);
    assert!(early
        .iter()
        .any(|w| w["instances_demand"] > w["instances_ready"]));
    assert!(f(&s, "fleet.elasticity.under_timeshare") > 0.02);
    // …and the lag costs: errors and latency in the spike's first two minutes, against a
    // calm minute before it and a late minute of the spike once capacity has caught up.
    let p99_before = mean(&between(&rows, 480.0, 600.0), "p99_ms");
    let p99_early = max(&early, "p99_ms");
    let p99_late = mean(&between(&rows, 840.0, 960.0), "p99_ms");
    assert!(p99_early > 3.0 * p99_before, "{p99_early} vs {p99_before}");
    assert!(p99_late < p99_early / 2.0, "{p99_late} vs {p99_early}");
    // Redis keeps every session through all that churn.
    assert_eq!(u(&s, "sessions.lost"), 0);
}

#[test]
fn scale_in_logs_out_sticky_in_memory_users_but_not_redis_users() {
    let (sticky, _) = run_with_series("scale-in-sticky", &[]);
    assert_eq!(u(&sticky, "fleet.terminated_by.scale_in"), 4);
    let lost = u(&sticky, "sessions.lost_by_cause.scale_in");
    assert!(lost > 1000, "{lost} sessions lost to scale-in");
    assert_eq!(u(&sticky, "requests.failed.killed"), 0);
    assert_eq!(u(&sticky, "requests.failed.instance_down"), 0);
    let (redis, _) = run_with_series("scale-in-sticky", &["--set", "sessions.store=redis"]);
    assert_eq!(u(&redis, "fleet.terminated_by.scale_in"), 4);
    assert_eq!(u(&redis, "sessions.lost"), 0);
}

#[test]
fn a_rolling_deploy_logs_out_sticky_users_and_nobody_with_redis() {
    let (sticky, rows) = run_with_series("rolling-deploy-sticky", &[]);
    assert_eq!(u(&sticky, "fleet.launched_by.deploy"), 4);
    assert_eq!(u(&sticky, "fleet.terminated_by.deploy"), 4);
    assert_eq!(u(&sticky, "fleet.final"), 4);
    let lost = u(&sticky, "sessions.lost_by_cause.deploy");
    assert!(lost > 1000, "{lost} sessions lost to the deploy");
    // max_unavailable 0, max_surge 1: never fewer than 4 ready, never more than 5 live.
    for w in &rows {
        assert!(w["instances_ready"] >= 4.0, "{w:?}");
        assert!(
            w["instances_ready"] + w["instances_booting"] <= 5.0,
            "{w:?}"
        );
    }
    let (redis, _) = run_with_series("rolling-deploy-redis", &[]);
    assert_eq!(u(&redis, "fleet.launched_by.deploy"), 4);
    assert_eq!(u(&redis, "sessions.lost"), 0);
    assert_eq!(u(&redis, "requests.failed.killed"), 0);
    assert_eq!(u(&redis, "requests.failed.instance_down"), 0);
}

#[test]
fn a_grace_shorter_than_the_drain_kills_in_flight_requests() {
    let (short, _) = run_with_series("drain-shorter-than-grace", &[]);
    let killed = u(&short, "requests.failed.killed");
    assert!(killed >= 10, "{killed} killed");
    let (long, _) = run_with_series(
        "drain-shorter-than-grace",
        &["--set", "instances.termination_grace=300s"],
    );
    assert_eq!(u(&long, "requests.failed.killed"), 0);
    assert_eq!(u(&long, "fleet.terminated_by.scale_in"), 4);
}

#[test]
fn a_redis_outage_fails_requests_and_a_data_loss_logs_users_out() {
    let (s, rows) = run_with_series("redis-outage", &[]);
    // Requests fail in both outages and only then.
    assert!(u(&s, "requests.failed.store_unavailable") > 1000);
    let calm = between(&rows, 120.0, 480.0);
    assert_eq!(calm.iter().map(|w| w["failed"]).sum::<f64>(), 0.0);
    // The first outage keeps the data: nobody is logged out before 15m.
    let before_wipe = between(&rows, 470.0, 900.0);
    let lost_at_900 = before_wipe.last().unwrap()["sessions_lost_total"];
    assert_eq!(lost_at_900, 0.0);
    // The second wipes it: active users are logged out once, attributed to the store.
    let lost = u(&s, "sessions.lost_by_cause.store_failure");
    assert!(lost > 1000, "{lost}");
    assert_eq!(u(&s, "sessions.lost"), lost);
}

#[test]
fn scaling_past_the_database_raises_latency_not_throughput() {
    let (s, rows) = run_with_series("database-ceiling", &[]);
    let before = between(&rows, 300.0, 600.0);
    let after = between(&rows, 720.0, 1200.0);
    let throughput = |w: &[&HashMap<String, f64>]| mean(w, "succeeded") / 10.0;
    let (t0, t1) = (throughput(&before), throughput(&after));
    // Three times the instances, at most a few percent more throughput…
    assert!(t1 < 1.1 * t0, "throughput {t0:.0} → {t1:.0} req/s");
    // …which sits at the database's ceiling of 20 / (2 × 10 ms) = 1000 req/s…
    assert!(t1 > 850.0 && t1 < 1050.0, "{t1}");
    // …while latency climbs.
    let (p0, p1) = (mean(&before, "p50_ms"), mean(&after, "p50_ms"));
    assert!(p1 > 2.0 * p0, "p50 {p0:.1} → {p1:.1} ms");
    assert!(mean(&after, "store_utilization") > 0.9);
    assert_eq!(u(&s, "fleet.peak"), 12);
}

#[test]
fn without_stabilization_the_autoscaler_flaps_and_with_it_it_does_not() {
    let (flappy, _) = run_with_series("autoscaler-flapping", &[]);
    let (stable, _) = run_with_series(
        "autoscaler-flapping",
        &["--set", "autoscaler.scale_down.stabilization=5m"],
    );
    let r_flappy = u(&flappy, "fleet.reversals");
    let r_stable = u(&stable, "fleet.reversals");
    assert!(r_flappy >= 10, "{r_flappy} reversals");
    assert!(r_stable * 4 <= r_flappy, "{r_stable} vs {r_flappy}");
    assert!(u(&flappy, "fleet.launched") > 2 * u(&stable, "fleet.launched"));
}

#[test]
fn a_gray_failure_hurts_round_robin_and_least_connections_routes_around_it() {
    let (rr, _) = run_with_series("gray-failure", &[]);
    let (lc, _) = run_with_series(
        "gray-failure",
        &["--set", "balancer.algorithm=least-connections"],
    );
    let timeouts = |s: &Value| u(s, "requests.failed.timeout");
    assert!(
        timeouts(&rr) > 10 * timeouts(&lc).max(1),
        "{} vs {}",
        timeouts(&rr),
        timeouts(&lc)
    );
    // Round-robin's slow quarter mostly fails (its queue fills, then what waits times out):
    // about a tenth of all requests.
    let failed = |s: &Value| u(s, "requests.failed.timeout") + u(s, "requests.failed.queue_full");
    assert!(
        failed(&rr) * 20 > u(&rr, "requests.sent"),
        "{}",
        failed(&rr)
    );
    // Nothing was detected: the slow instance stays in rotation and nothing crashes.
    assert_eq!(u(&rr, "fleet.crashed"), 0);
    assert_eq!(u(&rr, "requests.failed.instance_down"), 0);
}

#[test]
fn one_balancer_is_a_single_point_of_failure_and_a_standby_makes_it_a_blip() {
    let (single, rows) = run_with_series("lb-single-point", &[]);
    let after = between(&rows, 600.0, 1200.0);
    assert_eq!(after.iter().map(|w| w["succeeded"]).sum::<f64>(), 0.0);
    assert!(u(&single, "requests.failed.balancer_down") > 10_000);
    let (standby, rows) = run_with_series(
        "lb-single-point",
        &["--set", "balancer.standby.failover=10s"],
    );
    let down = u(&standby, "requests.failed.balancer_down");
    let total = u(&single, "requests.failed.balancer_down");
    assert!(down > 0 && down * 20 < total, "{down} vs {total}");
    assert!(between(&rows, 620.0, 1200.0)
        .iter()
        .all(|w| w["succeeded"] > 0.0));
}

#[test]
fn revoked_jwts_are_accepted_until_they_expire() {
    let (jwt, _) = run_with_series("jwt-revocation", &[]);
    assert_eq!(u(&jwt, "revocation.revoked"), 100);
    let exposure = f(&jwt, "revocation.exposure_seconds");
    assert!(exposure > 60.0 && exposure <= 900.0, "{exposure}");
    assert!(u(&jwt, "revocation.requests_after_revoke") > 500);
    // A shorter token lifetime bounds the exposure.
    let (short, _) = run_with_series("jwt-revocation", &["--set", "sessions.token_ttl=2m"]);
    assert!(f(&short, "revocation.exposure_seconds") <= 120.0);
    assert!(
        u(&short, "revocation.requests_after_revoke")
            < u(&jwt, "revocation.requests_after_revoke") / 2
    );
    // Server-side sessions are revoked at once.
    let (redis, _) = run_with_series("jwt-revocation", &["--set", "sessions.store=redis"]);
    assert_eq!(u(&redis, "revocation.revoked"), 100);
    assert_eq!(u(&redis, "revocation.requests_after_revoke"), 0);
    assert_eq!(f(&redis, "revocation.exposure_seconds"), 0.0);
}

#[test]
fn a_whole_day_grows_the_fleet_past_a_thousand_and_back() {
    let (s, rows) = run_with_series("diurnal-day", &[]);
    assert!(u(&s, "fleet.peak") >= 1000, "peak {}", u(&s, "fleet.peak"));
    assert!(u(&s, "requests.sent") > 3_000_000);
    // Small at night, large at noon, small again.
    let at = |t: f64| rows.iter().find(|w| w["t_s"] == t).unwrap()["instances_ready"];
    assert!(at(3600.0) < 50.0);
    assert!(at(43_200.0) >= 900.0);
    assert!(at(84_000.0) < 200.0);
    // Autoscaled within its target: utilization at noon near 0.6.
    let noon = between(&rows, 39_600.0, 46_800.0);
    let util = mean(&noon, "utilization");
    assert!((0.45..=0.7).contains(&util), "{util}");
}

#[test]
fn an_autoscaled_run_with_faults_is_reproducible_byte_for_byte() {
    let (a, b) = (Workspace::new(), Workspace::new());
    let extra = ["--set", "autoscaler.scale_in_pick=least-loaded"];
    run(&a, "flash-crowd-autoscale", &extra);
    run(&b, "flash-crowd-autoscale", &extra);
    let read = |ws: &Workspace, file: &str| {
        std::fs::read(ws.out().join("flash-crowd-autoscale").join(file)).unwrap()
    };
    assert_eq!(read(&a, "timeseries.csv"), read(&b, "timeseries.csv"));
    assert_eq!(
        deterministic_summary(&a, "flash-crowd-autoscale"),
        deterministic_summary(&b, "flash-crowd-autoscale")
    );
}
