//! The live fleet: the same scenario run on real parts on this machine's loopback interface —
//! HAProxy as the balancer, redis-server as the session store, processes of fleetsim's own as
//! the instances, and a load generator replaying the scenario's users — and the check of the
//! simulation against it.
//!
//! ```text
//!   load generator ──► HAProxy (generated haproxy.cfg) ──► instance processes ──► redis-server
//!   (sessions as        127.0.0.1:free port               `fleetsim live-instance`
//!    threads)                 ▲ admin socket                     ▲ /metrics
//!                             └──────── supervisor (events, health, drains) ┘
//! ```
//!
//! Nothing of the simulator depends on this module: `run`, `compare` and `sweep` never start a
//! process, and the real programs are looked up only by `live` and `check`. See docs/live.md for
//! the mapping of every scenario field, what is refused, and how live and simulated results
//! compare.

mod autoscale;
pub(crate) mod check;
mod children;
mod fleet;
mod haproxy;
mod http;
pub(crate) mod instance;
mod jwt;
mod load;
mod observe;
mod store;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::metrics::Report;
use crate::scenario::{Action, CountDist, Scenario, SessionStore};

pub(crate) use fleet::{HAPROXY, REDIS};

/// What a live run of `scenario` starts, one line each.
pub(crate) fn plan(scenario: &Scenario) -> Vec<String> {
    fleet::Fleet::plan(scenario)
}

/// Attempts a live run may send at most.
pub(crate) const MAX_REQUESTS: u64 = 200_000;

/// The request rate the load generator sustains on this machine (2 cores, shared with HAProxy
/// and the instances), measured: see docs/live.md.
pub(crate) const GENERATOR_REQUESTS_PER_S: f64 = 600.0;

/// Sessions the generator keeps open at once (one thread each).
pub(crate) const GENERATOR_SESSIONS: f64 = 1_500.0;

/// Scenario fields the live fleet cannot run for real, each with the reason.
pub(crate) fn refusals(s: &Scenario) -> Vec<String> {
    let mut no = Vec::new();
    let mut refuse = |field: &str, why: &str| no.push(format!("{field}: {why}"));
    if s.connections.is_some() {
        refuse("connections", "WebSocket connections are simulated only");
    }
    if s.database.is_some() {
        refuse("database", "there is no real database in the live fleet");
    }
    if !s.instances.groups.is_empty() {
        refuse("instances.groups", "the live instances are all of one size");
    }
    if s.jobs.is_some() {
        refuse("jobs", "the live instances run no background jobs");
    }
    if s.files.is_some() {
        refuse("files", "the live instances keep no files");
    }
    if s.local_cache.is_some() {
        refuse("local_cache", "the live instances have no cache");
    }
    if s.rate_limit.is_some() {
        refuse("rate_limit", "the live instances have no rate limiter");
    }
    if s.mtbf.is_some() {
        refuse(
            "events (crash with mtbf)",
            "random crashes are simulated only",
        );
    }
    if s.balancer.standby.is_some() {
        refuse("balancer.standby", "the live fleet runs one HAProxy");
    }
    if !s.balancer.hop_latency.is_zero() {
        refuse(
            "balancer.hop_latency",
            "the real hop is what loopback gives; set it to 0ms",
        );
    }
    // The model plans a deploy and a resize together; the live fleet would count a deploy's
    // surge processes as fleet and could drain the old instances it is about to replace.
    let resizes = s.autoscaler.is_some()
        || s.events
            .iter()
            .any(|e| matches!(e.action, Action::Scale { .. }));
    for (i, e) in s.events.iter().enumerate() {
        let what = match e.action {
            Action::RollingDeploy { .. } if resizes => {
                refuse(
                    &format!("events.{i}.action"),
                    "a `rolling-deploy` in a fleet that also resizes (an autoscaler or `scale` \
                     events) is simulated only: the live fleet does not reconcile the two",
                );
                continue;
            }
            Action::Crash { .. }
            | Action::RollingDeploy { .. }
            | Action::RedisOutage { .. }
            | Action::Scale { .. } => continue,
            Action::RedisSlowdown { .. } => "redis-slowdown",
            Action::SlowInstance { .. } => "slow-instance",
            Action::LbFailure => "lb-failure",
            Action::Revoke { .. } => "revoke",
        };
        refuse(
            &format!("events.{i}.action"),
            &format!("`{what}` is not applied to the live fleet yet"),
        );
    }
    no
}

fn mean_requests(d: &CountDist) -> f64 {
    match *d {
        CountDist::Constant { value } => f64::from(value),
        CountDist::Uniform { min, max } => f64::from(min + max) / 2.0,
        CountDist::Geometric { mean } => mean,
    }
}

/// Peak requests per second and concurrent sessions the workload asks of the generator.
pub(crate) fn demand(s: &Scenario) -> (f64, f64) {
    let rate =
        crate::model::arrivals::Arrivals::new(&s.workload.arrivals, s.workload.spike.as_ref())
            .peak();
    let n = mean_requests(&s.workload.session.requests);
    let think = crate::model::sampling::DurationSampler::new(&s.workload.session.think_time)
        .mean()
        .as_secs_f64();
    let service = crate::model::sampling::DurationSampler::new(&s.instances.service_time)
        .mean()
        .as_secs_f64();
    (rate * n, rate * n * (think + service))
}

/// Refuses what the live fleet cannot run: unmappable fields, runs longer than `max_duration`,
/// more load than the generator sustains, missing programs.
pub(crate) fn admit(spec: &str, s: &Scenario, max_duration: Duration) -> Result<()> {
    let mut problems = refusals(s);
    let length = Duration::from_nanos(s.duration.as_nanos());
    if length > max_duration {
        problems.push(format!(
            "duration: {} s is longer than --max-duration ({} s); a live run takes real time",
            length.as_secs(),
            max_duration.as_secs()
        ));
    }
    let (rps, sessions) = demand(s);
    if rps > GENERATOR_REQUESTS_PER_S {
        problems.push(format!(
            "workload: about {rps:.0} requests/s at the peak; the load generator sustains \
             {GENERATOR_REQUESTS_PER_S:.0} requests/s on this machine (measured, see docs/live.md)"
        ));
    }
    if sessions > GENERATOR_SESSIONS {
        problems.push(format!(
            "workload: about {sessions:.0} sessions open at once; the load generator runs at most \
             {GENERATOR_SESSIONS:.0}"
        ));
    }
    let mut needed = vec![HAPROXY];
    if s.sessions.store == SessionStore::Redis {
        needed.push(REDIS);
    }
    for program in needed {
        if find_program(program).is_none() {
            problems.push(format!(
                "{program} is not installed (apt-get install haproxy redis-server)"
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    bail!(
        "error: {spec}: cannot run this scenario live:\n  {}",
        problems.join("\n  ")
    )
}

/// The program's path in PATH (or /usr/sbin, where Debian puts HAProxy), if installed.
pub(crate) fn find_program(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A finished live run: its report and the extra files of its folder.
pub(crate) struct LiveRun {
    pub(crate) report: Report,
    pub(crate) config: String,
    pub(crate) haproxy_log: String,
}

/// Runs `scenario` on the real fleet (after [`admit`]). `sets` are the overrides the instances
/// apply to the scenario's YAML.
pub(crate) fn run(scenario: &Scenario, sets: &[String]) -> Result<LiveRun> {
    let work = tempfile::Builder::new()
        .prefix("fleetsim-live-")
        .tempdir()
        .context("cannot create a working folder")?;
    let spec = work.path().join("scenario.yaml");
    std::fs::write(&spec, &scenario.source.yaml)
        .with_context(|| format!("cannot write {}", spec.display()))?;
    let fleet = fleet::Fleet::start(scenario, &spec, sets, work.path())?;
    let balancer = fleet.balancer;
    let config = fleet.config.clone();
    let start = Instant::now();
    let load_scenario = scenario.clone();
    let generator = std::thread::Builder::new()
        .name("load".to_owned())
        .spawn(move || load::generate(&load_scenario, balancer, start, MAX_REQUESTS))
        .context("cannot start the load generator")?;
    let (log, children, haproxy_log) = fleet.supervise(start, || generator.is_finished())?;
    drop(children); // every process stopped before the report is built
    let observed = generator
        .join()
        .map_err(|_| anyhow::anyhow!("the load generator failed"))?;
    let mut report = observe::report(scenario, &observed, &log);
    report
        .engine
        .record_wall_time(start.elapsed().as_secs_f64());
    Ok(LiveRun {
        report,
        config,
        haproxy_log,
    })
}

/// `summary.json` of a live run: the simulator's, marked `"mode": "live"`.
pub(crate) fn mark_live(summary: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(summary);
    match text.strip_prefix("{\n") {
        Some(rest) => format!("{{\n  \"mode\": \"live\",\n{rest}").into_bytes(),
        None => summary.to_vec(),
    }
}

/// The files of a live run's folder: the run's, plus haproxy.cfg and haproxy.log.
pub(crate) fn files(run: &LiveRun, scenario: &Scenario) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let mut files = crate::report::run_files(
        &run.report,
        &scenario.source,
        Some(&crate::model::load(scenario)),
        crate::report::Charts::Drawn,
    )?;
    for (name, bytes) in files.iter_mut() {
        if *name == "summary.json" {
            *bytes = mark_live(bytes);
        }
    }
    files.push(("haproxy.cfg", run.config.clone().into_bytes()));
    files.push(("haproxy.log", run.haproxy_log.clone().into_bytes()));
    Ok(files)
}

/// Where `fleetsim live` writes a run of `name` under `out`.
pub(crate) fn folder(out: &Path, name: &str) -> Result<std::path::PathBuf> {
    Ok(out.join(crate::report::folder_name(name)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(spec: &str, sets: &[&str]) -> Scenario {
        let sets: Vec<_> = sets.iter().map(|s| s.parse().unwrap()).collect();
        crate::scenario::load(spec, &sets).unwrap()
    }

    #[test]
    fn crash_sticky_maps_and_unmappable_fields_are_named() {
        assert!(refusals(&load("crash-sticky", &[])).is_empty());
        assert!(refusals(&load("flash-crowd-autoscale", &[])).is_empty());
        assert!(refusals(&load("crash-sticky", &["balancer.affinity=source-ip"])).is_empty());
        // Every scaling metric runs live, p95-latency included.
        assert!(refusals(&load(
            "flash-crowd-autoscale",
            &["autoscaler.metric=p95-latency", "autoscaler.target=200"],
        ))
        .is_empty());
        let no = refusals(&load("crash-sticky", &["balancer.hop_latency=5ms"]));
        assert!(
            no.iter().any(|p| p.starts_with("balancer.hop_latency:")),
            "{no:?}"
        );
    }

    #[test]
    fn a_deploy_runs_live_unless_the_fleet_also_resizes() {
        let deploy = "events=[{at: 20s, action: rolling-deploy}]";
        assert!(refusals(&load("live-rolling-deploy", &[])).is_empty());
        let scaled = refusals(&load(
            "live-rolling-deploy",
            &["events=[{at: 20s, action: rolling-deploy}, {at: 30s, action: scale, to: 8}]"],
        ));
        assert_eq!(scaled.len(), 1, "{scaled:?}");
        assert!(
            scaled[0].starts_with("events.0.action: a `rolling-deploy`"),
            "{scaled:?}"
        );
        let autoscaled = refusals(&load("live-autoscaled-step", &[deploy]));
        assert_eq!(autoscaled.len(), 1, "{autoscaled:?}");
        assert!(
            autoscaled[0].contains("does not reconcile"),
            "{autoscaled:?}"
        );
    }

    #[test]
    fn a_run_longer_than_the_bound_or_heavier_than_the_generator_is_refused() {
        // crash-sticky: 20 minutes; 50 sessions/s × 20 requests = 1000 requests/s.
        let e = admit(
            "crash-sticky",
            &load("crash-sticky", &[]),
            Duration::from_secs(300),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("duration: 1200 s is longer than --max-duration (300 s)"),
            "{e}"
        );
        assert!(e.contains("about 1000 requests/s"), "{e}");
    }

    #[test]
    fn summary_json_is_marked_live() {
        assert_eq!(
            mark_live(b"{\n  \"scenario\": \"x\"\n}"),
            b"{\n  \"mode\": \"live\",\n  \"scenario\": \"x\"\n}"
        );
    }
}
