//! The scenario file exactly as written: serde types that mirror the YAML.
//!
//! These types only decide *shape*: which keys exist, their types, and their defaults. Whether
//! the values make sense together (a positive rate, an event before the end) is decided by
//! `validate.rs`, which collects every problem at once instead of stopping at the first.
//!
//! Conventions that keep errors precise:
//! - every struct and enum denies unknown fields, so a typo is an error naming the key, never a
//!   silently ignored setting; `#[serde(flatten)]` is never used because it turns that off;
//! - enum values are kebab-case (`round-robin`, `in-memory`);
//! - distributions are tagged by `dist:`, events by `action:`;
//! - durations are strings with a unit ([`HumanDuration`]).
//!
//! The doc comment on each field states its default; the README's field reference is built from
//! them. Everything also serialises back (for `--set`, which edits a scenario as JSON).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::HumanDuration;
use super::percent::{CountOrPercent, Share};
use crate::engine::SimDuration;

const fn ms(n: u64) -> HumanDuration {
    HumanDuration::new(SimDuration::from_millis(n))
}
const fn us(n: u64) -> HumanDuration {
    HumanDuration::new(SimDuration::from_micros(n))
}
const fn secs(n: u64) -> HumanDuration {
    HumanDuration::new(SimDuration::from_secs(n))
}

/// A scenario file. Only `name`, `duration` and `workload.arrivals` or `connections` (or both)
/// are required.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a scenario (a mapping with name, duration, workload or connections, ...)"
)]
pub(crate) struct RawScenario {
    /// Required. Also the name of the output folder: letters, digits, `-`, `_`, `.`, `+`.
    pub(crate) name: String,
    /// One line: the story this scenario tells. Default: empty.
    #[serde(default)]
    pub(crate) description: String,
    /// Seed of every random stream. Default: `1`.
    #[serde(default = "default_seed")]
    pub(crate) seed: u64,
    /// Required. Length of the run, e.g. `20m`.
    pub(crate) duration: HumanDuration,
    /// Leading period excluded from summary metrics; must be shorter than `duration`.
    /// Default: `0s`.
    #[serde(default)]
    pub(crate) warmup: HumanDuration,
    #[serde(default)]
    pub(crate) report: RawReport,
    /// What a run must achieve, each `METRIC OP VALUE`: `p99 < 250ms` (per-window latency
    /// percentiles p50, p90, p95, p99, p99.9), `success >= 99.9%` (per-window success rate),
    /// `availability >= 99.95%` (whole-run success rate), `lost_sessions == 0`,
    /// `failed_requests <= 100` (whole run). Reports say which are met; `compare`, `sweep` and
    /// `plan` judge variants by them. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) objectives: Vec<String>,
    /// HTTP sessions. Default: none (no sessions arrive); a scenario needs `workload` or
    /// `connections`, or both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) workload: Option<RawWorkload>,
    /// Long-lived WebSocket connections sharing the fleet with the sessions. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) connections: Option<RawConnections>,
    #[serde(default)]
    pub(crate) balancer: RawBalancer,
    #[serde(default)]
    pub(crate) instances: RawInstances,
    #[serde(default)]
    pub(crate) sessions: RawSessions,
    #[serde(default)]
    pub(crate) redis: RawRedis,
    /// Background jobs that requests enqueue, run by job workers apart from the request
    /// workers, in the instance's memory or in a Redis queue. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) jobs: Option<RawJobs>,
    /// Files that sessions upload and read back, on the instance's disk or in a shared store.
    /// Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) files: Option<RawFiles>,
    /// A database with a connection limit behind the instances. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) database: Option<RawDatabase>,
    /// An in-process cache on each instance. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) local_cache: Option<RawLocalCache>,
    /// A per-user rate limit. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rate_limit: Option<RawRateLimit>,
    /// A target-tracking autoscaler. Default: none (the fleet changes only by events and
    /// crash replacement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) autoscaler: Option<RawAutoscaler>,
    /// Scheduled operations and faults, in any order. Default: none.
    #[serde(default)]
    pub(crate) events: Vec<RawEvent>,
}

fn default_seed() -> u64 {
    1
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `report` mapping (window, slo)"
)]
pub(crate) struct RawReport {
    /// Width of one time-series window (one row of timeseries.csv). Default: `10s`.
    pub(crate) window: HumanDuration,
    /// The p99 latency objective: drawn on the dashboard's latency panel, and the report counts
    /// the measured windows whose p99 exceeded it. Default: none.
    pub(crate) slo: Option<HumanDuration>,
}

impl Default for RawReport {
    fn default() -> Self {
        RawReport {
            window: secs(10),
            slo: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the `workload` mapping (arrivals, session, client_ips, ...)"
)]
pub(crate) struct RawWorkload {
    /// Required. New sessions per second: `rate:`, `profile:` or `diurnal:`, optionally with a
    /// `spike:`.
    pub(crate) arrivals: RawArrivals,
    #[serde(default)]
    pub(crate) session: RawSession,
    /// Size of the client IP pool; clients behind one NAT share an IP, which skews `source-ip`
    /// affinity and `ip-hash`. Default: `10000`.
    #[serde(default = "default_client_ips")]
    pub(crate) client_ips: u32,
    /// Client-side request timeout. Default: `5s`.
    #[serde(default = "default_timeout")]
    pub(crate) timeout: HumanDuration,
    /// Retries of a failed request (not of a lost session). Default: `1`.
    #[serde(default = "default_retries")]
    pub(crate) retries: u32,
    /// Delay before the first retry; doubles on each further retry. Default: `100ms`.
    #[serde(default = "default_retry_backoff")]
    pub(crate) retry_backoff: HumanDuration,
}

impl RawWorkload {
    /// The workload of a scenario written without a `workload` block: every default, and an
    /// arrival rate of zero, so no session ever arrives.
    pub(crate) fn no_sessions() -> Self {
        RawWorkload {
            arrivals: RawArrivals {
                rate: Some(0.0),
                profile: None,
                diurnal: None,
                spike: None,
            },
            session: RawSession::default(),
            client_ips: default_client_ips(),
            timeout: default_timeout(),
            retries: default_retries(),
            retry_backoff: default_retry_backoff(),
        }
    }
}

fn default_client_ips() -> u32 {
    10_000
}
fn default_timeout() -> HumanDuration {
    secs(5)
}
fn default_retries() -> u32 {
    1
}
fn default_retry_backoff() -> HumanDuration {
    ms(100)
}

/// Exactly one of `rate`, `profile` and `diurnal`; `spike` combines with any of them.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the `arrivals` mapping (rate, profile or diurnal; spike)"
)]
pub(crate) struct RawArrivals {
    /// A constant rate, in sessions per second (≥ 0).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "finite_opt"
    )]
    pub(crate) rate: Option<f64>,
    /// Steps and linear ramps: `[ { at: 0s, rate: 20 }, { at: 5m, rate: 80, ramp: 1m } ]`.
    /// Points are sorted by `at`, inside the run. Before the first point the rate is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) profile: Option<Vec<RawRatePoint>>,
    /// A daily cycle: `{ period: 24h, min: 10, max: 1000 }`, `min` at time zero and `max` half a
    /// period later, following a cosine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) diurnal: Option<RawDiurnal>,
    /// A flash crowd: `{ at: 5m, duration: 2m, multiplier: 4 }` multiplies the rate (whichever
    /// of `rate`, `profile`, `diurnal` gives it) during `[at, at + duration)`. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) spike: Option<RawSpike>,
}

/// `rate(t) = min + (max − min)·(1 − cos 2πt/period)/2`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the `diurnal` mapping (period, min, max)"
)]
pub(crate) struct RawDiurnal {
    /// Required. Length of one cycle (> 0), e.g. `24h`.
    pub(crate) period: HumanDuration,
    /// Required. Sessions per second at the trough, at time zero (≥ 0).
    #[serde(deserialize_with = "finite")]
    pub(crate) min: f64,
    /// Required. Sessions per second at the peak, half a period in (≥ `min`, > 0).
    #[serde(deserialize_with = "finite")]
    pub(crate) max: f64,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the `spike` mapping (at, duration, multiplier)"
)]
pub(crate) struct RawSpike {
    /// Required. When the spike starts; must be before the end of the run.
    pub(crate) at: HumanDuration,
    /// Required. How long it lasts (> 0); it may run past the end of the run.
    pub(crate) duration: HumanDuration,
    /// Required. Factor on the arrival rate (≥ 0): above 1 for a flash crowd, below 1 for a
    /// lull.
    #[serde(deserialize_with = "finite")]
    pub(crate) multiplier: f64,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a profile point (at, rate, ramp)")]
pub(crate) struct RawRatePoint {
    /// When this level starts.
    pub(crate) at: HumanDuration,
    /// Sessions per second (≥ 0).
    #[serde(deserialize_with = "finite")]
    pub(crate) rate: f64,
    /// The rate moves linearly from the previous level to `rate` over `[at, at + ramp]`; the
    /// ramp must end by the next point. Default: `0s` (a step).
    #[serde(default)]
    pub(crate) ramp: HumanDuration,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `session` mapping (requests, think_time)"
)]
pub(crate) struct RawSession {
    /// Requests per session, the login being the first (constant, uniform or geometric; ≥ 1).
    /// Default: `{ dist: geometric, mean: 10 }`.
    pub(crate) requests: RawCountDist,
    /// Pause between a response and the next request.
    /// Default: `{ dist: exponential, mean: 5s }`.
    pub(crate) think_time: RawDist,
}

impl Default for RawSession {
    fn default() -> Self {
        RawSession {
            requests: RawCountDist::Geometric { mean: 10.0 },
            think_time: RawDist::Exponential { mean: secs(5) },
        }
    }
}

/// Long-lived connections (WebSockets): each user connects through the balancer to one
/// instance and stays on it, sending messages to the other members of its room, until its
/// lifetime ends.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the `connections` mapping (arrivals, lifetime, handshake, timeout, messages, \
                 message_time, rooms, delivery, max_per_instance, reconnect, max_age, drain)"
)]
pub(crate) struct RawConnections {
    /// Required. New users connecting per second, as for `workload.arrivals`: `rate:`,
    /// `profile:` or `diurnal:`, optionally with a `spike:`. Reconnects are not arrivals.
    pub(crate) arrivals: RawArrivals,
    /// Required. How long a user stays connected, from its first attempt; its reconnects happen
    /// within it. Any duration distribution, e.g. `{ dist: lognormal, mean: 20m, p99: 2h }`.
    pub(crate) lifetime: RawDist,
    /// Worker time to accept an upgrade (authentication, session lookup).
    /// Default: `{ dist: exponential, mean: 5ms }`.
    #[serde(default = "default_handshake")]
    pub(crate) handshake: RawDist,
    /// A handshake not accepted within this is abandoned by its client and retried under
    /// `reconnect` (> 0). Default: `10s`.
    #[serde(default = "default_handshake_timeout")]
    pub(crate) timeout: HumanDuration,
    /// Messages each open connection sends: `{ rate: 0.2 }` per second (Poisson).
    /// Default: `{ rate: 0 }` (none).
    #[serde(default)]
    pub(crate) messages: RawMessages,
    /// Worker time to handle one message on its sender's instance, or one delivery.
    /// Default: `{ dist: exponential, mean: 1ms }`.
    #[serde(default = "default_message_time")]
    pub(crate) message_time: RawDist,
    /// Every connection joins one room; a message goes to the room's other members.
    /// Default: `{ count: 1000, size: { dist: constant, value: 1 } }`.
    #[serde(default)]
    pub(crate) rooms: RawRooms,
    /// How a message reaches room members on other instances: `local` (it does not),
    /// `redis-pubsub` (one publish, every live instance receives it) or `sharded-pubsub` (one
    /// publish, only instances holding a member of the room receive it). The pubsub modes use
    /// the `redis` tier. Default: `local`.
    #[serde(default)]
    pub(crate) delivery: RawDelivery,
    /// Upgrades beyond this many open connections on one instance are refused (≥ 1).
    /// Default: none (no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_per_instance: Option<u32>,
    /// The delay before each consecutive reconnect attempt.
    /// Default: `{ policy: exponential-jitter, base: 500ms, cap: 30s }`.
    #[serde(default)]
    pub(crate) reconnect: RawReconnect,
    /// The server closes a connection this old (> 0) and its client reconnects, so load
    /// rebalances. Default: none (connections live as long as their users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_age: Option<HumanDuration>,
    /// How a draining instance closes its connections. Default: `{ close_over: 0s }` (all at
    /// once).
    #[serde(default)]
    pub(crate) drain: RawDrain,
}

fn default_handshake() -> RawDist {
    RawDist::Exponential { mean: ms(5) }
}
fn default_handshake_timeout() -> HumanDuration {
    secs(10)
}
fn default_message_time() -> RawDist {
    RawDist::Exponential { mean: ms(1) }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `messages` mapping (rate)"
)]
pub(crate) struct RawMessages {
    /// Messages each open connection sends per second (≥ 0). Default: `0`.
    #[serde(deserialize_with = "finite")]
    pub(crate) rate: f64,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `rooms` mapping (count, size)"
)]
pub(crate) struct RawRooms {
    /// Rooms in the run (≥ 1). Default: `1000`.
    pub(crate) count: u32,
    /// Each room's size, drawn once per run (constant, uniform or geometric; ≥ 1): a user joins
    /// a room with probability proportional to its size. Default: `{ dist: constant, value: 1 }`.
    pub(crate) size: RawCountDist,
}

impl Default for RawRooms {
    fn default() -> Self {
        RawRooms {
            count: 1000,
            size: RawCountDist::Constant { value: 1 },
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", expecting = "a delivery mode")]
pub(crate) enum RawDelivery {
    #[default]
    Local,
    RedisPubsub,
    ShardedPubsub,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `reconnect` mapping (policy, base, cap)"
)]
pub(crate) struct RawReconnect {
    /// The delay before the k-th consecutive attempt (k = 0 first): `immediate` (none), `fixed`
    /// (`base`), `exponential` (`min(cap, base·2^k)`) or `exponential-jitter` (uniform in
    /// `[0, min(cap, base·2^k)]`). Default: `exponential-jitter`.
    pub(crate) policy: RawReconnectPolicy,
    /// The first delay (> 0 except with `immediate`). Default: `500ms`.
    pub(crate) base: HumanDuration,
    /// Upper bound of the exponential policies' delay (≥ `base`). Default: `30s`.
    pub(crate) cap: HumanDuration,
}

impl Default for RawReconnect {
    fn default() -> Self {
        RawReconnect {
            policy: RawReconnectPolicy::ExponentialJitter,
            base: ms(500),
            cap: secs(30),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", expecting = "a reconnect policy")]
pub(crate) enum RawReconnectPolicy {
    Immediate,
    Fixed,
    Exponential,
    ExponentialJitter,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `drain` mapping (close_over)"
)]
pub(crate) struct RawDrain {
    /// A draining instance closes its connections spread evenly over this span. Default: `0s`
    /// (all at once).
    pub(crate) close_over: HumanDuration,
}

/// Background jobs: a request may enqueue one; job workers on the instances run them.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the `jobs` mapping (per_request or every, service_time, workers, queue, \
                 visibility_timeout)"
)]
pub(crate) struct RawJobs {
    /// The probability (0 to 1) that a request enqueues a job. Give this or `every`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "finite_opt"
    )]
    pub(crate) per_request: Option<f64>,
    /// One job per `every` requests of a session (≥ 1): the requests whose count of requests
    /// left, itself included, is a multiple of `every`. Give this or `per_request`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) every: Option<u32>,
    /// Job-worker time of one job. Default: `{ dist: exponential, mean: 200ms }`.
    #[serde(default = "default_job_time")]
    pub(crate) service_time: RawDist,
    /// Job workers per instance, apart from the request workers (≥ 1). Default: `2`.
    #[serde(default = "default_job_workers")]
    pub(crate) workers: u32,
    /// Where waiting jobs live: `in-process` (the enqueuing instance's memory, run by its own
    /// job workers) or `redis` (one queue in the `redis` tier, taken by any instance's job
    /// workers). Default: `in-process`.
    #[serde(default)]
    pub(crate) queue: RawJobQueue,
    /// `redis`: a job taken by a worker that dies is handed out again this long after it was
    /// taken (> 0). Default: `30s`.
    #[serde(default = "default_visibility_timeout")]
    pub(crate) visibility_timeout: HumanDuration,
}

fn default_job_time() -> RawDist {
    RawDist::Exponential { mean: ms(200) }
}
fn default_job_workers() -> u32 {
    2
}
fn default_visibility_timeout() -> HumanDuration {
    secs(30)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(
    rename_all = "kebab-case",
    expecting = "a job queue (in-process or redis)"
)]
pub(crate) enum RawJobQueue {
    #[default]
    InProcess,
    Redis,
}

/// Files: some sessions upload one at their first request and read it back later.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the `files` mapping (uploads, reads, store, shared_latency)"
)]
pub(crate) struct RawFiles {
    /// Required. The fraction of sessions (0 to 1) that upload a file at their first request.
    #[serde(deserialize_with = "finite")]
    pub(crate) uploads: f64,
    /// How many of the session's later requests read the file (a count distribution, ≥ 1).
    /// Default: `{ dist: geometric, mean: 3 }`.
    #[serde(default = "default_reads")]
    pub(crate) reads: RawCountDist,
    /// Where files are written: `local` (the disk of the instance that handled the upload) or
    /// `shared` (an object store every instance reaches). Default: `local`.
    #[serde(default)]
    pub(crate) store: RawFileStore,
    /// `shared`: the object store's round trip, added to every upload and read.
    /// Default: `{ dist: exponential, mean: 15ms }`.
    #[serde(default = "default_shared_latency")]
    pub(crate) shared_latency: RawDist,
}

fn default_reads() -> RawCountDist {
    RawCountDist::Geometric { mean: 3.0 }
}
fn default_shared_latency() -> RawDist {
    RawDist::Exponential { mean: ms(15) }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(
    rename_all = "kebab-case",
    expecting = "a file store (local or shared)"
)]
pub(crate) enum RawFileStore {
    #[default]
    Local,
    Shared,
}

/// A distribution of durations, tagged by `dist:`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    tag = "dist",
    rename_all = "kebab-case",
    deny_unknown_fields,
    expecting = "a duration distribution like { dist: exponential, mean: 20ms }"
)]
pub(crate) enum RawDist {
    /// `{ dist: exponential, mean: 20ms }` (mean > 0).
    Exponential { mean: HumanDuration },
    /// `{ dist: constant, value: 20ms }`.
    Constant { value: HumanDuration },
    /// `{ dist: uniform, min: 10ms, max: 30ms }` (min ≤ max).
    Uniform {
        min: HumanDuration,
        max: HumanDuration,
    },
    /// `{ dist: lognormal, mean: 20ms, p99: 120ms }`: a heavy tail from two numbers people
    /// know. Needs 0 < mean < p99 ≤ about 15 × mean.
    Lognormal {
        mean: HumanDuration,
        p99: HumanDuration,
    },
}

/// A distribution of counts, tagged by `dist:`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    tag = "dist",
    rename_all = "kebab-case",
    deny_unknown_fields,
    expecting = "a count distribution like { dist: geometric, mean: 10 }"
)]
pub(crate) enum RawCountDist {
    /// `{ dist: constant, value: 5 }` (≥ 1).
    Constant { value: u32 },
    /// `{ dist: uniform, min: 1, max: 9 }`, both ends included (1 ≤ min ≤ max).
    Uniform { min: u32, max: u32 },
    /// `{ dist: geometric, mean: 10 }` on 1, 2, 3, … (mean ≥ 1).
    Geometric {
        #[serde(deserialize_with = "finite")]
        mean: f64,
    },
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `balancer` mapping (algorithm, affinity, hop_latency, health_check, \
                 deregistration_delay, standby)"
)]
pub(crate) struct RawBalancer {
    /// `round-robin`, `random`, `least-connections`, `power-of-two`, `consistent-hash`,
    /// `ip-hash`, `weighted-round-robin` or `weighted-least-connections` (the weighted ones use
    /// `instances.groups[].weight`). Default: `round-robin`.
    pub(crate) algorithm: RawAlgorithm,
    /// `none`, `cookie` or `source-ip`: sticky sessions. Default: `none`.
    pub(crate) affinity: RawAffinity,
    /// Added to every request's response time. Default: `0s`.
    pub(crate) hop_latency: HumanDuration,
    /// Default: `{ interval: 5s, unhealthy_threshold: 2, healthy_threshold: 2 }`.
    pub(crate) health_check: RawHealthCheck,
    /// How long a deregistered (draining) instance may finish in-flight requests before the
    /// balancer closes them. Default: `30s`.
    pub(crate) deregistration_delay: HumanDuration,
    /// A standby balancer that takes over when the active one fails (`lb-failure`):
    /// `{ failover: 10s }`. Default: none (a failed balancer stays down).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) standby: Option<RawStandby>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `standby` mapping (failover)"
)]
pub(crate) struct RawStandby {
    /// From the active balancer's failure to the standby serving traffic. Default: `10s`.
    pub(crate) failover: HumanDuration,
}

impl Default for RawStandby {
    fn default() -> Self {
        RawStandby { failover: secs(10) }
    }
}

impl Default for RawBalancer {
    fn default() -> Self {
        RawBalancer {
            algorithm: RawAlgorithm::RoundRobin,
            affinity: RawAffinity::None,
            hop_latency: HumanDuration::default(),
            health_check: RawHealthCheck::default(),
            deregistration_delay: secs(30),
            standby: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", expecting = "a balancing algorithm")]
pub(crate) enum RawAlgorithm {
    RoundRobin,
    Random,
    LeastConnections,
    PowerOfTwo,
    ConsistentHash,
    IpHash,
    WeightedRoundRobin,
    WeightedLeastConnections,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", expecting = "an affinity mode")]
pub(crate) enum RawAffinity {
    None,
    Cookie,
    SourceIp,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `health_check` mapping (interval, unhealthy_threshold, healthy_threshold)"
)]
pub(crate) struct RawHealthCheck {
    /// Time between two checks of an instance (> 0). Default: `5s`.
    pub(crate) interval: HumanDuration,
    /// Consecutive failed checks before an instance is taken out of rotation (≥ 1). Default: `2`.
    pub(crate) unhealthy_threshold: u32,
    /// Consecutive passed checks before it is put back (≥ 1). Default: `2`.
    pub(crate) healthy_threshold: u32,
}

impl Default for RawHealthCheck {
    fn default() -> Self {
        RawHealthCheck {
            interval: secs(5),
            unhealthy_threshold: 2,
            healthy_threshold: 2,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `instances` mapping (count, workers, queue, service_time, boot_time, \
                 warmup, replace, termination_grace, groups)"
)]
pub(crate) struct RawInstances {
    /// Instances at the start of the run (≥ 1). Default: `2`. Not with `groups` (each group
    /// has its own count).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 2))]
    pub(crate) count: Option<u32>,
    /// Concurrent requests per instance (≥ 1); with `groups`, the default of a group's
    /// `workers`. Default: `8`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = 8))]
    pub(crate) workers: Option<u32>,
    /// Waiting room per instance; a request arriving to a full queue is rejected (0 = no
    /// waiting). Default: `64`.
    pub(crate) queue: u32,
    /// Time a worker spends on one request. Default: `{ dist: exponential, mean: 20ms }`.
    pub(crate) service_time: RawDist,
    /// From launch to the process being up (instances launched during the run; the initial
    /// fleet starts up and ready). Default: `30s`.
    pub(crate) boot_time: HumanDuration,
    /// A new instance's first period, when it serves slower (cold caches, JIT).
    /// Default: `{ duration: 0s, slowdown: 1 }` (none).
    pub(crate) warmup: RawWarmup,
    /// Whether the platform replaces a crashed instance (once the balancer has marked it down),
    /// paying boot time again. Default: `true`.
    pub(crate) replace: bool,
    /// After a terminating instance is told to stop, how long it may finish in-flight work before
    /// it is killed. Default: `30s`.
    pub(crate) termination_grace: HumanDuration,
    /// Named groups of instances of different sizes, e.g.
    /// `[{ name: large, count: 4, workers: 8, speed: 2 }, { name: small, count: 4, workers: 2 }]`.
    /// The other `instances` fields apply to every group. Default: none (one group, `default`,
    /// of `count` instances).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) groups: Vec<RawGroup>,
}

/// One group of identical instances (`instances.groups[i]`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a group mapping (name, count, workers, queue, speed, weight, cost_per_hour)"
)]
pub(crate) struct RawGroup {
    /// Required. Unique; events and the autoscaler name it (`group: small`). Letters, digits,
    /// `-`, `_`.
    pub(crate) name: String,
    /// Required. Instances of this group at the start of the run (≥ 1).
    pub(crate) count: u32,
    /// Concurrent requests per instance (≥ 1). Default: `instances.workers` (`8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) workers: Option<u32>,
    /// Waiting room per instance. Default: `instances.queue` (`64`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) queue: Option<u32>,
    /// Service-time divisor (> 0): speed `2` serves a request in half the time. Default: `1`.
    #[serde(default = "default_speed", deserialize_with = "finite")]
    pub(crate) speed: f64,
    /// Share of the weighted balancing algorithms (≥ 1, a whole number). Default: `workers`
    /// (traffic proportional to workers; ignoring speed, as nginx and HAProxy do unless told).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) weight: Option<u32>,
    /// Price of one instance-hour (≥ 0), for the per-group cost in the report. Default: `0`.
    #[serde(default, deserialize_with = "finite")]
    pub(crate) cost_per_hour: f64,
}

fn default_speed() -> f64 {
    1.0
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `warmup` mapping (duration, slowdown)"
)]
pub(crate) struct RawWarmup {
    /// How long after the process is up the instance is slow. Default: `0s`.
    pub(crate) duration: HumanDuration,
    /// Service-time multiplier while warming up (≥ 1). Default: `1`.
    #[serde(deserialize_with = "finite")]
    pub(crate) slowdown: f64,
}

impl Default for RawWarmup {
    fn default() -> Self {
        RawWarmup {
            duration: HumanDuration::default(),
            slowdown: 1.0,
        }
    }
}

impl Default for RawInstances {
    fn default() -> Self {
        RawInstances {
            count: None,
            workers: None,
            queue: 64,
            service_time: RawDist::Exponential { mean: ms(20) },
            boot_time: secs(30),
            warmup: RawWarmup::default(),
            replace: true,
            termination_grace: secs(30),
            groups: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `sessions` mapping (store, ttl, jwt_verify, token_ttl)"
)]
pub(crate) struct RawSessions {
    /// Where session state lives: `in-memory`, `redis` or `jwt`. Default: `in-memory`.
    pub(crate) store: RawStore,
    /// Idle time after which a session expires (> 0). Default: `30m`.
    pub(crate) ttl: HumanDuration,
    /// CPU time to verify a token, added to each request's service time (jwt only).
    /// Default: `50us`.
    pub(crate) jwt_verify: HumanDuration,
    /// Lifetime of a signed token (jwt only, > 0): a revoked token stays usable until it
    /// expires; tokens of sessions in good standing are refreshed silently. Default: `15m`.
    pub(crate) token_ttl: HumanDuration,
}

impl Default for RawSessions {
    fn default() -> Self {
        RawSessions {
            store: RawStore::InMemory,
            ttl: secs(30 * 60),
            jwt_verify: us(50),
            token_ttl: secs(15 * 60),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", expecting = "a session store")]
pub(crate) enum RawStore {
    InMemory,
    Redis,
    Jwt,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `redis` mapping (latency, max_ops)"
)]
pub(crate) struct RawRedis {
    /// Round trip of one operation, excluding queueing.
    /// Default: `{ dist: exponential, mean: 500us }`.
    pub(crate) latency: RawDist,
    /// Operations per second the store can serve (> 0); beyond that, operations queue.
    /// Default: `100000`.
    #[serde(deserialize_with = "finite")]
    pub(crate) max_ops: f64,
}

impl Default for RawRedis {
    fn default() -> Self {
        RawRedis {
            latency: RawDist::Exponential { mean: us(500) },
            max_ops: 100_000.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `database` mapping (max_connections, pool_per_instance, \
                 queries_per_request, query_time)"
)]
pub(crate) struct RawDatabase {
    /// Queries the database runs at once (≥ 1); beyond that, queries wait in FIFO order.
    /// Default: `100`.
    pub(crate) max_connections: u32,
    /// Connections in each instance's pool (≥ 1); a request waits for a free one.
    /// Default: `10`.
    pub(crate) pool_per_instance: u32,
    /// Queries a request runs one after another (≥ 1). Default: `1`.
    pub(crate) queries_per_request: u32,
    /// Time the database spends on one query.
    /// Default: `{ dist: exponential, mean: 5ms }`.
    pub(crate) query_time: RawDist,
}

impl Default for RawDatabase {
    fn default() -> Self {
        RawDatabase {
            max_connections: 100,
            pool_per_instance: 10,
            queries_per_request: 1,
            query_time: RawDist::Exponential { mean: ms(5) },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the `local_cache` mapping (hit_ratio_one_instance, miss_penalty, shared)"
)]
pub(crate) struct RawLocalCache {
    /// Required. Fraction of requests that hit the cache when there is one instance, in
    /// [0, 1]. Across a fleet a request hits only where the user's previous request was served.
    pub(crate) hit_ratio_one_instance: Share,
    /// Required. Service time added to a request that misses.
    pub(crate) miss_penalty: HumanDuration,
    /// A shared cache (Redis, Memcached) keeps the single-instance hit ratio at any fleet size.
    /// Default: `false`.
    #[serde(default)]
    pub(crate) shared: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the `rate_limit` mapping (per_user_per_s, scope)"
)]
pub(crate) struct RawRateLimit {
    /// Required. Requests per second each user may make (> 0), with bursts up to one second's
    /// worth.
    #[serde(deserialize_with = "finite")]
    pub(crate) per_user_per_s: f64,
    /// `instance` (each instance counts on its own, so the effective limit grows with the
    /// instances a user reaches) or `shared` (one counter for the fleet). Default: `instance`.
    #[serde(default)]
    pub(crate) scope: RawLimitScope,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", expecting = "a rate-limit scope")]
pub(crate) enum RawLimitScope {
    #[default]
    Instance,
    Shared,
}

/// Target tracking as Kubernetes HPA does it: `desired = ceil(current × metric / target)`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "the `autoscaler` mapping (metric, target, min, max, interval, tolerance, \
                 scale_up, scale_down, instance_warmup, scale_in_pick)"
)]
pub(crate) struct RawAutoscaler {
    /// `cpu`, `rps`, `p95-latency`, `queue-depth` or `concurrency`. Default: `cpu`.
    #[serde(default)]
    pub(crate) metric: RawScalingMetric,
    /// Required. The metric's target value per instance (> 0): a fraction of busy workers for
    /// `cpu` (≤ 1), requests per second for `rps`, milliseconds for `p95-latency`, requests for
    /// `queue-depth` and `concurrency`.
    pub(crate) target: Share,
    /// Fewest instances (≥ 1). Default: `1`.
    #[serde(default = "default_autoscaler_min")]
    pub(crate) min: u32,
    /// Most instances (≥ `min`); `instances.count` must lie in `[min, max]`. Default: `10`.
    #[serde(default = "default_autoscaler_max")]
    pub(crate) max: u32,
    /// Time between two evaluations (> 0). Default: `15s`.
    #[serde(default = "default_autoscaler_interval")]
    pub(crate) interval: HumanDuration,
    /// No change while metric/target is within `1 ± tolerance`, in [0, 1). Default: `0.1`.
    #[serde(default = "default_tolerance")]
    pub(crate) tolerance: Share,
    /// Default: `{ stabilization: 0s, cooldown: 0s, max_step: 4 }`.
    #[serde(default)]
    pub(crate) scale_up: RawScaleUp,
    /// Default: `{ stabilization: 5m, cooldown: 0s, max_step: 1 }`.
    #[serde(default)]
    pub(crate) scale_down: RawScaleDown,
    /// A new instance's metrics are ignored this long after it becomes ready. Default: `60s`.
    #[serde(default = "default_instance_warmup")]
    pub(crate) instance_warmup: HumanDuration,
    /// Which instance a scale-in drains: `newest`, `oldest` or `least-loaded`.
    /// Default: `newest`.
    #[serde(default)]
    pub(crate) scale_in_pick: RawScaleInPick,
    /// With `instances.groups`: the group it measures and resizes (`min`, `max` and the
    /// initial count are that group's). Required when there are several groups. Default: the
    /// only group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) group: Option<String>,
}

fn default_autoscaler_min() -> u32 {
    1
}
fn default_autoscaler_max() -> u32 {
    10
}
fn default_autoscaler_interval() -> HumanDuration {
    secs(15)
}
fn default_tolerance() -> Share {
    Share::Number(0.1)
}
fn default_instance_warmup() -> HumanDuration {
    secs(60)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", expecting = "a scaling metric")]
pub(crate) enum RawScalingMetric {
    #[default]
    Cpu,
    Rps,
    P95Latency,
    QueueDepth,
    Concurrency,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", expecting = "a scale-in choice")]
pub(crate) enum RawScaleInPick {
    #[default]
    Newest,
    Oldest,
    LeastLoaded,
}

/// How fast the autoscaler adds instances. The two directions are separate types only because
/// their defaults differ.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `scale_up` mapping (stabilization, cooldown, max_step)"
)]
pub(crate) struct RawScaleUp {
    /// Scale up only to the lowest recommendation within this window. Default: `0s`.
    pub(crate) stabilization: HumanDuration,
    /// No further scale-up this long after the last one. Default: `0s`.
    pub(crate) cooldown: HumanDuration,
    /// Most instances added by one action (≥ 1). Default: `4`.
    pub(crate) max_step: u32,
}

impl Default for RawScaleUp {
    fn default() -> Self {
        RawScaleUp {
            stabilization: HumanDuration::default(),
            cooldown: HumanDuration::default(),
            max_step: 4,
        }
    }
}

/// How fast the autoscaler removes instances.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `scale_down` mapping (stabilization, cooldown, max_step)"
)]
pub(crate) struct RawScaleDown {
    /// Scale down only to the highest recommendation within this window. Default: `5m`.
    pub(crate) stabilization: HumanDuration,
    /// No further scale-down this long after the last one. Default: `0s`.
    pub(crate) cooldown: HumanDuration,
    /// Most instances removed by one action (≥ 1). Default: `1`.
    pub(crate) max_step: u32,
}

impl Default for RawScaleDown {
    fn default() -> Self {
        RawScaleDown {
            stabilization: secs(5 * 60),
            cooldown: HumanDuration::default(),
            max_step: 1,
        }
    }
}

/// One scheduled event, tagged by `action:`. A new kind of event is a new variant here plus its
/// arm in `Checker::action` (validate.rs). `at` is required, except for a crash with `mtbf`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(
    tag = "action",
    rename_all = "kebab-case",
    deny_unknown_fields,
    expecting = "an event like { at: 10m, action: crash }"
)]
pub(crate) enum RawEvent {
    /// `{ at: 10m, action: crash, count: 1, pick: busiest }`: instances die at once, losing their
    /// queue, in-flight work and memory. `{ action: crash, mtbf: 2h }`: random crashes instead.
    Crash {
        /// When; must be before the end of the run. Required without `mtbf`; with it, when the
        /// random crashes start (default `0s`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<HumanDuration>,
        /// How many instances die (≥ 1). Default: `1`. Not with `mtbf`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
        /// `random`, `busiest`, `oldest` or `index` (with `index: N`). Default: `random`.
        /// Not with `mtbf`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pick: Option<RawPick>,
        /// With `pick: index`: the launch index of the victim (0 = first launched).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<u32>,
        /// Mean time between failures of one instance (> 0): from `at` on, each live instance
        /// crashes after an exponentially distributed time with this mean. At most one event
        /// may have it. Default: none (one crash at `at`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtbf: Option<HumanDuration>,
        /// With `instances.groups`: the victims are picked among this group's instances.
        /// Default: any instance. Not with `mtbf`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// `{ at: 9m, action: scale, to: 8 }`: sets the desired instance count. New instances boot
    /// and join after passing health checks; surplus ones (picked by the autoscaler's
    /// `scale_in_pick`, newest first without one) drain and terminate.
    Scale {
        /// When; must be before the end of the run.
        at: HumanDuration,
        /// The desired number of instances (≥ 1; within `[autoscaler.min, autoscaler.max]` when
        /// the autoscaler resizes the same group).
        to: u32,
        /// With `instances.groups`: the group resized (`to` is its count). Required when there
        /// are several groups. Default: the only group.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// `{ at: 8m, action: rolling-deploy, max_surge: 1, max_unavailable: 0 }`: replaces every
    /// instance by a new one; old ones drain once their replacements are ready.
    RollingDeploy {
        /// When; must be before the end of the run.
        at: HumanDuration,
        /// Instances allowed above the desired count during the deploy. Default: `1`.
        #[serde(default = "default_max_surge")]
        max_surge: CountOrPercent,
        /// Instances allowed below the desired count during the deploy. Default: `0`. Not both
        /// `0`: the deploy could never progress.
        #[serde(default)]
        max_unavailable: CountOrPercent,
        /// With `instances.groups`: only this group's instances are replaced. Default: every
        /// group, each within its own `max_surge` and `max_unavailable`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// `{ at: 10m, action: redis-outage, duration: 1m, data_loss: false }`: the session store is
    /// unreachable (with `sessions.store: redis` or a pubsub `connections.delivery` only).
    RedisOutage {
        /// When; must be before the end of the run.
        at: HumanDuration,
        /// Required. How long the store is down (> 0).
        duration: HumanDuration,
        /// Whether every session in the store is gone when it comes back. Default: `false`.
        #[serde(default)]
        data_loss: bool,
    },
    /// `{ at: 11m, action: redis-slowdown, factor: 5, duration: 2m }`: store operations take
    /// `factor` times longer (with `sessions.store: redis` or a pubsub `connections.delivery`
    /// only).
    RedisSlowdown {
        /// When; must be before the end of the run.
        at: HumanDuration,
        /// Required. Latency multiplier (≥ 1).
        #[serde(deserialize_with = "finite")]
        factor: f64,
        /// Required. How long it lasts (> 0).
        duration: HumanDuration,
    },
    /// `{ at: 12m, action: slow-instance, factor: 10, duration: 3m, pick: random }`: a gray
    /// failure; the instance serves slower but still passes health checks.
    SlowInstance {
        /// When; must be before the end of the run.
        at: HumanDuration,
        /// Required. Service-time multiplier (≥ 1).
        #[serde(deserialize_with = "finite")]
        factor: f64,
        /// Required. How long it lasts (> 0).
        duration: HumanDuration,
        /// `random`, `busiest`, `oldest` or `index` (with `index: N`). Default: `random`.
        #[serde(default)]
        pick: RawPick,
        /// With `pick: index`: the launch index of the victim (0 = first launched).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<u32>,
        /// With `instances.groups`: the victim is picked among this group's instances.
        /// Default: any instance.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// `{ at: 13m, action: lb-failure }`: the active balancer dies; a `balancer.standby` takes
    /// over after its failover delay.
    LbFailure {
        /// When; must be before the end of the run.
        at: HumanDuration,
    },
    /// `{ at: 14m, action: revoke, sessions: 100 }`: live sessions are logged out (with `jwt`,
    /// their tokens revoked, and still accepted until they expire).
    Revoke {
        /// When; must be before the end of the run.
        at: HumanDuration,
        /// Required. How many live sessions (≥ 1); if fewer are live, all of them.
        sessions: u32,
    },
}

impl RawEvent {
    /// When the event happens, whatever its kind (events are sorted by it). `None` only for a
    /// crash written without `at` (allowed with `mtbf`).
    pub(crate) fn at(&self) -> Option<HumanDuration> {
        match self {
            RawEvent::Crash { at, .. } => *at,
            RawEvent::Scale { at, .. }
            | RawEvent::RollingDeploy { at, .. }
            | RawEvent::RedisOutage { at, .. }
            | RawEvent::RedisSlowdown { at, .. }
            | RawEvent::SlowInstance { at, .. }
            | RawEvent::LbFailure { at }
            | RawEvent::Revoke { at, .. } => Some(*at),
        }
    }
}

fn default_max_surge() -> CountOrPercent {
    CountOrPercent::Count(1)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", expecting = "a victim choice")]
pub(crate) enum RawPick {
    #[default]
    Random,
    Busiest,
    Oldest,
    Index,
}

/// A number that must be finite: YAML's `.nan` and `.inf` are refused where they are written,
/// with their line (the message starts with the value in backticks, which lets the parser find
/// the field inside a flow mapping or a tagged enum), rather than reaching validation (and the `--set` tree, where JSON has no
/// NaN and would turn it into a null that blames an innocent argument).
fn finite<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    check_finite(f64::deserialize(deserializer)?)
}

/// [`finite`] for an optional number.
fn finite_opt<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    Option::<f64>::deserialize(deserializer)?
        .map(check_finite)
        .transpose()
}

pub(super) fn check_finite<E: serde::de::Error>(value: f64) -> Result<f64, E> {
    if value.is_finite() {
        return Ok(value);
    }
    // YAML's canonical spelling, which is also how the line index records the value.
    let written = match value {
        v if v.is_nan() => ".nan",
        v if v > 0.0 => ".inf",
        _ => "-.inf",
    };
    Err(E::custom(format_args!(
        "`{written}` is not a finite number; expected a number"
    )))
}
