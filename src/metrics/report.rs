//! The result of one run: plain data, serialisable as `summary.json`.
//!
//! Field names are a public interface (scripts read summary.json): add fields, never rename.

use serde::Serialize;

use crate::engine::SimDuration;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    /// Measured span: duration minus warm-up.
    pub simulated_seconds: f64,
    pub warmup_seconds: f64,
    pub session_store: String,
    pub requests: Requests,
    pub sessions: Sessions,
    pub latency_ms: Latency,
    /// The p99 latency objective (`report.slo`); present only when the scenario sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slo: Option<Slo>,
    /// Each objective judged (`metrics::objectives`); present only when the scenario states
    /// `objectives` or the command line `--objective` (a `report.slo` alone keeps to `slo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objectives: Option<Vec<super::ObjectiveResult>>,
    pub fleet: Fleet,
    pub balance: Balance,
    /// Sessions whose credentials were revoked (always present; zeros when none were).
    pub revocation: Revocation,
    /// The local cache; present only when the run has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<Cache>,
    /// The per-user rate limit; present only when the run has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Long-lived connections; present only when the scenario has `connections`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<super::Connections>,
    /// Their messages; present only when the scenario has `connections`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<super::Messages>,
    /// Background jobs; present only when the scenario has `jobs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobs: Option<super::Jobs>,
    /// Uploaded files and their reads; present only when the scenario has `files`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<super::Files>,
    /// Per instance group; present only when the scenario declares `instances.groups`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Group>>,
    pub engine: Engine,
    /// Scenario events as they were applied (also during warm-up).
    pub timeline: Vec<TimelineEntry>,
    /// One row per report window, over the whole run (warm-up included, so charts show it).
    #[serde(skip)]
    pub timeseries: Vec<WindowRow>,
    /// Connection activity per report window, aligned with `timeseries` (empty without
    /// connections).
    #[serde(skip)]
    pub connection_timeseries: Vec<super::ConnWindowRow>,
    /// Job activity per report window, aligned with `timeseries` (empty without jobs).
    #[serde(skip)]
    pub job_timeseries: Vec<super::JobWindowRow>,
}

/// Request attempts sent after warm-up and what became of each. Every attempt is counted once:
/// `sent = succeeded + Σ failed + in_flight_at_end`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Requests {
    pub sent: u64,
    pub succeeded: u64,
    pub in_flight_at_end: u64,
    pub failed: Failed,
    /// Attempts that were retries of an earlier failed attempt (included in `sent`).
    pub retries: u64,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Failed {
    /// Routed to an instance that was dead but not yet detected by health checks.
    pub instance_down: u64,
    /// Rejected because the instance's queue was full.
    pub queue_full: u64,
    /// The client gave up after `workload.timeout`.
    pub timeout: u64,
    /// The session store was unreachable.
    pub store_unavailable: u64,
    /// Reached an instance that does not hold the session: the user was logged out.
    pub session_lost: u64,
    /// Still running when its instance was terminated (drain shorter than the work).
    pub killed: u64,
    /// Refused with 429 by the per-user rate limit (not retried).
    pub rejected_by_rate_limit: u64,
    /// No load balancer was up: the connection was refused or reset (retried).
    pub balancer_down: u64,
    /// A read of an uploaded file reached an instance without it (`files.store: local`). Not
    /// retried (a 404). Written only when non-zero: runs without files read as they always did.
    #[serde(skip_serializing_if = "is_zero")]
    pub file_not_found: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Failed {
    pub(crate) fn total(&self) -> u64 {
        self.instance_down
            + self.queue_full
            + self.timeout
            + self.store_unavailable
            + self.session_lost
            + self.killed
            + self.rejected_by_rate_limit
            + self.balancer_down
            + self.file_not_found
    }
}

impl Requests {
    /// The accounting invariant every run must satisfy.
    #[cfg(test)]
    pub(crate) fn is_balanced(&self) -> bool {
        self.sent == self.succeeded + self.failed.total() + self.in_flight_at_end
    }
}

/// Sessions that started after warm-up.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Sessions {
    pub started: u64,
    /// Sent all their requests and received the last response (success or failure).
    pub completed: u64,
    /// Distinct sessions forced to log in again at least once.
    pub lost: u64,
    /// Log-ins beyond the first (one per lost-session event).
    pub relogins: u64,
    /// `lost` split by the cause of each session's first loss (the causes add up to `lost`).
    pub lost_by_cause: LostByCause,
}

/// Distinct lost sessions by the cause of their first loss.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LostByCause {
    /// The instance holding the session crashed.
    pub crash: u64,
    /// The instance holding the session was removed by a scale-in.
    pub scale_in: u64,
    /// The instance holding the session was replaced by a rolling deploy.
    pub deploy: u64,
    /// The balancer sent the session to an instance that does not hold it, its holder being up.
    pub rerouting: u64,
    /// The session store lost its data.
    pub store_failure: u64,
    /// The session outlived its time to live.
    pub expired: u64,
}

impl LostByCause {
    #[cfg(test)]
    pub(crate) fn total(&self) -> u64 {
        self.crash
            + self.scale_in
            + self.deploy
            + self.rerouting
            + self.store_failure
            + self.expired
    }
}

/// Response times of successful requests after warm-up, in milliseconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Latency {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// Instances over the measured span.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Fleet {
    /// Σ over instances of seconds alive (launch to termination or crash): the cost.
    pub instance_seconds: f64,
    pub launched: u64,
    pub terminated: u64,
    pub crashed: u64,
    /// Most instances alive at once.
    pub peak: u64,
    /// Time-averaged instances alive.
    pub mean: f64,
    /// Instances alive when the run ended.
    pub r#final: u64,
    /// Changes of the desired instance count (autoscaler decisions and `scale` events), over the
    /// whole run.
    pub scale_actions: u64,
    /// Scale actions in the opposite direction to the previous action and at most 5 minutes
    /// after it: flapping.
    pub reversals: u64,
    /// `launched` split by why.
    pub launched_by: LaunchedBy,
    /// `terminated` split by why.
    pub terminated_by: TerminatedBy,
    /// How closely the ready fleet followed the load, over the measured windows.
    pub elasticity: Elasticity,
}

/// Launches by cause, over the whole run (they add up to `fleet.launched`).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LaunchedBy {
    /// The fleet at the start of the run.
    pub initial: u64,
    /// The desired count went up.
    pub scale_out: u64,
    /// Replacements of crashed instances.
    pub replacement: u64,
    /// New-version instances of rolling deploys.
    pub deploy: u64,
}

/// Terminations by cause, over the whole run (they add up to `fleet.terminated`).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct TerminatedBy {
    /// The desired count went down.
    pub scale_in: u64,
    /// Old-version instances retired by rolling deploys.
    pub deploy: u64,
}

/// The SPEC Research Group's elasticity metrics (Herbst et al., "Ready for Rain? A View from
/// SPEC Research on the Future of Cloud Metrics", 2016; the metrics of SPEC RG's BUNGEE), as
/// fractions (0.25 is 25 %).
///
/// Computed over the measured report windows (those starting at or after the end of warm-up).
/// For window `t` of length `Δt` seconds, over `T = Σ Δt`:
/// - supply `s_t`: ready (routable) instances, time-averaged over the window;
/// - demand `d_t`: the instances the window's offered load needed,
///   `ceil(load per second / per_instance)` (see `DemandModel`: offered work in worker-seconds,
///   or requests sent), at least 1 when anything was offered and 0 only when nothing was
///   (the `instances_demand` column of `timeseries.csv`).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Elasticity {
    /// `(1/T) · Σ max(d_t − s_t, 0) / max(d_t, 1) · Δt`: the average share of demand missing.
    pub under_accuracy: f64,
    /// `(1/T) · Σ max(s_t − d_t, 0) / max(d_t, 1) · Δt`: the average surplus, relative to demand.
    pub over_accuracy: f64,
    /// Share of time with `s_t < d_t − 0.5` (under-provisioned; the half-instance tolerance
    /// keeps a time-averaged 3.999 against 4 from counting).
    pub under_timeshare: f64,
    /// Share of time with `s_t > d_t + 0.5` (over-provisioned).
    pub over_timeshare: f64,
    /// Share of consecutive window pairs in which supply and demand did not move the same way:
    /// `sgn(Δs) ≠ sgn(Δd)`, with `Δs` taken on `s_t` rounded to whole instances. 0 with fewer
    /// than two measured windows.
    pub instability: f64,
}

/// Revoked credentials (e.g. a `revoke` event). A server-side session is gone at once; a signed
/// token stays usable until it expires.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Revocation {
    /// Sessions revoked, over the whole run.
    pub revoked: u64,
    /// The longest time a revoked credential stayed usable, seconds.
    pub exposure_seconds: f64,
    /// The mean of that time over revoked sessions, seconds (0 when none were revoked).
    pub mean_exposure_seconds: f64,
    /// Requests after warm-up accepted on a revoked credential.
    pub requests_after_revoke: u64,
}

/// Lookups of the instances' local cache by requests sent after warm-up.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Cache {
    pub hits: u64,
    pub misses: u64,
    /// `hits / (hits + misses)`; 0 without lookups.
    pub hit_ratio: f64,
}

/// The per-user rate limit, over requests sent after warm-up.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct RateLimit {
    /// Refused with 429 (the same count as `requests.failed.rejected_by_rate_limit`).
    pub rejected: u64,
    /// Admitted by a per-instance limiter although the user was over the limit fleet-wide.
    pub admitted_over_user_limit: u64,
}

/// The p99 latency objective, checked window by window over the measured windows.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Slo {
    /// The objective, milliseconds.
    pub p99_ms: f64,
    /// Measured windows (starting at or after the end of warm-up).
    pub windows: u64,
    /// Measured windows whose p99 latency exceeded the objective.
    pub windows_over: u64,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Balance {
    /// max / mean of `requests_per_instance` (1.0 = perfectly even).
    pub imbalance: f64,
    /// Request attempts routed to each instance, in launch order.
    pub requests_per_instance: Vec<u64>,
}

/// How hard the engine worked. Wall-clock fields vary between runs; everything else is exact.
///
/// The simulation never reads the wall clock, so its report leaves the wall-clock fields at zero;
/// whoever runs it times it and fills them in (`Engine::record_wall_time`).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Engine {
    pub events: u64,
    pub wall_seconds: f64,
    pub events_per_second: f64,
}

impl Engine {
    /// Sets the wall-clock fields for a run that took `wall_seconds`.
    pub(crate) fn record_wall_time(&mut self, wall_seconds: f64) {
        self.wall_seconds = wall_seconds;
        self.events_per_second = if wall_seconds > 0.0 {
            self.events as f64 / wall_seconds
        } else {
            0.0
        };
    }
}

/// Something that happened to the fleet, and when.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TimelineEntry {
    pub t_s: f64,
    /// What happened. `summary.json` names it in words, as `label`.
    #[serde(rename = "label")]
    pub event: TimelineEvent,
    /// Live sessions whose state or pin was on the instances the event hit.
    pub sessions_affected: u64,
}

/// What happened at a point of the timeline: a scenario event as it was applied, or what the
/// fleet did about one. Instances are named by launch number (0 = first launched).
///
/// Plain data: putting it in words is the report's business (`report::describe`, which also
/// serialises it for `summary.json`), so the model never builds sentences.
#[derive(Clone, Debug, PartialEq)]
pub enum TimelineEvent {
    /// A `crash` event killed these instances; none when no instance was live.
    Crash { instances: Vec<u32> },
    /// An instance's random time to failure (`mtbf`) came.
    RandomCrash { instance: u32 },
    /// Health checks took a dead instance out of rotation; `replaced` when the platform launches
    /// a replacement.
    MarkedDown { instance: u32, replaced: bool },
    /// A `scale` event set the desired instance count.
    Scale { to: u32 },
    /// A rolling deploy began.
    RollingDeploy {
        max_surge: u32,
        max_unavailable: u32,
    },
    /// The last old-version instance of a rolling deploy is gone.
    DeployFinished,
    /// The session store became unreachable for `duration`; with `data_loss` its data is gone.
    RedisOutage {
        duration: SimDuration,
        data_loss: bool,
    },
    /// Store operations take `factor` times longer for `duration`.
    RedisSlowdown { factor: f64, duration: SimDuration },
    /// A gray failure: `instance` serves `factor` times slower for `duration`; `None` when no
    /// instance was live to slow down.
    SlowInstance {
        instance: Option<u32>,
        factor: f64,
        duration: SimDuration,
    },
    /// The active balancer died; a standby, if any, takes over after this failover delay.
    BalancerFails { standby: Option<SimDuration> },
    /// The standby balancer took over and traffic flows again.
    StandbyServing,
    /// This many live sessions were logged out (or their credentials revoked).
    Revoke { sessions: u64 },
}

/// One report window. Counts are of things that happened within the window.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct WindowRow {
    /// Start of the window, seconds.
    pub t_s: f64,
    /// Sessions that arrived.
    pub arrivals: u64,
    /// Request attempts sent.
    pub sent: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The window's p90, p95 and p99.9 latency of successful requests, ms (0 without any), for
    /// objectives; not columns of timeseries.csv.
    #[serde(skip)]
    pub p90_ms: f64,
    #[serde(skip)]
    pub p95_ms: f64,
    #[serde(skip)]
    pub p999_ms: f64,
    /// Instances the balancer routes to, at the end of the window.
    pub instances_ready: u32,
    /// Busy workers / all workers of live instances, time-averaged over the window.
    pub utilization: f64,
    /// Cumulative distinct lost sessions since the start of the run.
    pub sessions_lost_total: u64,
    /// The instance count the fleet converges to, at the end of the window.
    pub instances_desired: u32,
    /// Instances launched and not yet in rotation, at the end of the window.
    pub instances_booting: u32,
    /// Instances out of rotation finishing their work, at the end of the window.
    pub instances_draining: u32,
    /// The session store's busy fraction over the window (0 for stores without a capacity).
    pub store_utilization: f64,
    /// The instances the window's offered load needed (elasticity demand; see [`Elasticity`]).
    pub instances_demand: u32,
}

/// One instance group over the measured span (`instances.groups`).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Group {
    pub name: String,
    /// Its instances' size and balancing weight, as configured.
    pub workers: u32,
    pub speed: f64,
    pub weight: u32,
    pub cost_per_hour: f64,
    /// Instances of this group launched over the whole run (initial ones included).
    pub launched: u64,
    /// Of those, how many crashed.
    pub crashed: u64,
    /// Σ over its instances of seconds alive in the measured span (they add up to
    /// `fleet.instance_seconds`).
    pub instance_seconds: f64,
    /// `instance_seconds / 3600 × cost_per_hour`.
    pub cost: f64,
    /// Requests routed to its instances (they add up to Σ `balance.requests_per_instance`).
    pub requests: u64,
    /// Requests refused by its instances' full queues (part of `requests.failed.queue_full`).
    pub queue_full: u64,
    /// Busy worker-seconds over worker-seconds of its instances while up: utilization per
    /// worker, 0 to 1.
    pub utilization: f64,
    /// Response times of the requests its instances served successfully.
    pub latency_ms: Latency,
}
