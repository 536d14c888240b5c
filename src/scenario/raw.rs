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

use serde::{Deserialize, Serialize};

use super::duration::HumanDuration;
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

/// A scenario file. Only `name`, `duration` and `workload.arrivals` are required.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a scenario (a mapping with name, duration, workload, ...)"
)]
pub struct RawScenario {
    /// Required. Also the name of the output folder: letters, digits, `-`, `_`, `.`, `+`.
    pub name: String,
    /// One line: the story this scenario tells. Default: empty.
    #[serde(default)]
    pub description: String,
    /// Seed of every random stream. Default: `1`.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Required. Length of the run, e.g. `20m`.
    pub duration: HumanDuration,
    /// Leading period excluded from summary metrics; must be shorter than `duration`.
    /// Default: `0s`.
    #[serde(default)]
    pub warmup: HumanDuration,
    #[serde(default)]
    pub report: RawReport,
    pub workload: RawWorkload,
    #[serde(default)]
    pub balancer: RawBalancer,
    #[serde(default)]
    pub instances: RawInstances,
    #[serde(default)]
    pub sessions: RawSessions,
    #[serde(default)]
    pub redis: RawRedis,
    /// Scheduled operations and faults, in any order. Default: none.
    #[serde(default)]
    pub events: Vec<RawEvent>,
}

fn default_seed() -> u64 {
    1
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `report` mapping (window)"
)]
pub struct RawReport {
    /// Width of one time-series window (one row of timeseries.csv). Default: `10s`.
    pub window: HumanDuration,
}

impl Default for RawReport {
    fn default() -> Self {
        RawReport { window: secs(10) }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    expecting = "the `workload` mapping (arrivals, session, client_ips, ...)"
)]
pub struct RawWorkload {
    /// Required. New sessions per second: `rate:` or `profile:`.
    pub arrivals: RawArrivals,
    #[serde(default)]
    pub session: RawSession,
    /// Size of the client IP pool; clients behind one NAT share an IP, which skews `source-ip`
    /// affinity and `ip-hash`. Default: `10000`.
    #[serde(default = "default_client_ips")]
    pub client_ips: u32,
    /// Client-side request timeout. Default: `5s`.
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// Retries of a failed request (not of a lost session). Default: `1`.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Delay before the first retry; doubles on each further retry. Default: `100ms`.
    #[serde(default = "default_retry_backoff")]
    pub retry_backoff: HumanDuration,
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

/// Exactly one of `rate` and `profile`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    expecting = "the `arrivals` mapping (rate or profile)"
)]
pub struct RawArrivals {
    /// A constant rate, in sessions per second (≥ 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Steps and linear ramps: `[ { at: 0s, rate: 20 }, { at: 5m, rate: 80, ramp: 1m } ]`.
    /// Points are sorted by `at`, inside the run. Before the first point the rate is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Vec<RawRatePoint>>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, expecting = "a profile point (at, rate, ramp)")]
pub struct RawRatePoint {
    /// When this level starts.
    pub at: HumanDuration,
    /// Sessions per second (≥ 0).
    pub rate: f64,
    /// The rate moves linearly from the previous level to `rate` over `[at, at + ramp]`; the
    /// ramp must end by the next point. Default: `0s` (a step).
    #[serde(default)]
    pub ramp: HumanDuration,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `session` mapping (requests, think_time)"
)]
pub struct RawSession {
    /// Requests per session, the login being the first (constant, uniform or geometric; ≥ 1).
    /// Default: `{ dist: geometric, mean: 10 }`.
    pub requests: RawCountDist,
    /// Pause between a response and the next request.
    /// Default: `{ dist: exponential, mean: 5s }`.
    pub think_time: RawDist,
}

impl Default for RawSession {
    fn default() -> Self {
        RawSession {
            requests: RawCountDist::Geometric { mean: 10.0 },
            think_time: RawDist::Exponential { mean: secs(5) },
        }
    }
}

/// A distribution of durations, tagged by `dist:`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    tag = "dist",
    rename_all = "kebab-case",
    deny_unknown_fields,
    expecting = "a duration distribution like { dist: exponential, mean: 20ms }"
)]
pub enum RawDist {
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
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    tag = "dist",
    rename_all = "kebab-case",
    deny_unknown_fields,
    expecting = "a count distribution like { dist: geometric, mean: 10 }"
)]
pub enum RawCountDist {
    /// `{ dist: constant, value: 5 }` (≥ 1).
    Constant { value: u32 },
    /// `{ dist: uniform, min: 1, max: 9 }`, both ends included (1 ≤ min ≤ max).
    Uniform { min: u32, max: u32 },
    /// `{ dist: geometric, mean: 10 }` on 1, 2, 3, … (mean ≥ 1).
    Geometric { mean: f64 },
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `balancer` mapping (algorithm, affinity, hop_latency, health_check)"
)]
pub struct RawBalancer {
    /// `round-robin`, `random`, `least-connections`, `power-of-two`, `consistent-hash` or
    /// `ip-hash`. Default: `round-robin`.
    pub algorithm: RawAlgorithm,
    /// `none`, `cookie` or `source-ip`: sticky sessions. Default: `none`.
    pub affinity: RawAffinity,
    /// Added to every request's response time. Default: `0s`.
    pub hop_latency: HumanDuration,
    /// Default: `{ interval: 5s, unhealthy_threshold: 2, healthy_threshold: 2 }`.
    pub health_check: RawHealthCheck,
    /// How long a deregistered (draining) instance may finish in-flight requests before the
    /// balancer closes them. Default: `30s`.
    pub deregistration_delay: HumanDuration,
}

impl Default for RawBalancer {
    fn default() -> Self {
        RawBalancer {
            algorithm: RawAlgorithm::RoundRobin,
            affinity: RawAffinity::None,
            hop_latency: HumanDuration::default(),
            health_check: RawHealthCheck::default(),
            deregistration_delay: secs(30),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", expecting = "a balancing algorithm")]
pub enum RawAlgorithm {
    RoundRobin,
    Random,
    LeastConnections,
    PowerOfTwo,
    ConsistentHash,
    IpHash,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", expecting = "an affinity mode")]
pub enum RawAffinity {
    None,
    Cookie,
    SourceIp,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `health_check` mapping (interval, unhealthy_threshold, healthy_threshold)"
)]
pub struct RawHealthCheck {
    /// Time between two checks of an instance (> 0). Default: `5s`.
    pub interval: HumanDuration,
    /// Consecutive failed checks before an instance is taken out of rotation (≥ 1). Default: `2`.
    pub unhealthy_threshold: u32,
    /// Consecutive passed checks before it is put back (≥ 1). Default: `2`.
    pub healthy_threshold: u32,
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

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `instances` mapping (count, workers, queue, service_time)"
)]
pub struct RawInstances {
    /// Instances at the start of the run (≥ 1). Default: `2`.
    pub count: u32,
    /// Concurrent requests per instance (≥ 1). Default: `8`.
    pub workers: u32,
    /// Waiting room per instance; a request arriving to a full queue is rejected (0 = no
    /// waiting). Default: `64`.
    pub queue: u32,
    /// Time a worker spends on one request. Default: `{ dist: exponential, mean: 20ms }`.
    pub service_time: RawDist,
    /// From launch to the process being up (instances launched during the run; the initial
    /// fleet starts up and ready). Default: `30s`.
    pub boot_time: HumanDuration,
    /// A new instance's first period, when it serves slower (cold caches, JIT).
    /// Default: `{ duration: 0s, slowdown: 1 }` (none).
    pub warmup: RawWarmup,
    /// Whether the platform replaces a crashed instance (once the balancer has marked it down),
    /// paying boot time again. Default: `true`.
    pub replace: bool,
    /// After a terminating instance is told to stop, how long it may finish in-flight work before
    /// it is killed. Default: `30s`.
    pub termination_grace: HumanDuration,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `warmup` mapping (duration, slowdown)"
)]
pub struct RawWarmup {
    /// How long after the process is up the instance is slow. Default: `0s`.
    pub duration: HumanDuration,
    /// Service-time multiplier while warming up (≥ 1). Default: `1`.
    pub slowdown: f64,
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
            count: 2,
            workers: 8,
            queue: 64,
            service_time: RawDist::Exponential { mean: ms(20) },
            boot_time: secs(30),
            warmup: RawWarmup::default(),
            replace: true,
            termination_grace: secs(30),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `sessions` mapping (store, ttl, jwt_verify)"
)]
pub struct RawSessions {
    /// Where session state lives: `in-memory`, `redis` or `jwt`. Default: `in-memory`.
    pub store: RawStore,
    /// Idle time after which a session expires (> 0). Default: `30m`.
    pub ttl: HumanDuration,
    /// CPU time to verify a token, added to each request's service time (jwt only).
    /// Default: `50us`.
    pub jwt_verify: HumanDuration,
}

impl Default for RawSessions {
    fn default() -> Self {
        RawSessions {
            store: RawStore::InMemory,
            ttl: secs(30 * 60),
            jwt_verify: us(50),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", expecting = "a session store")]
pub enum RawStore {
    InMemory,
    Redis,
    Jwt,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    default,
    deny_unknown_fields,
    expecting = "the `redis` mapping (latency, max_ops)"
)]
pub struct RawRedis {
    /// Round trip of one operation, excluding queueing.
    /// Default: `{ dist: exponential, mean: 500us }`.
    pub latency: RawDist,
    /// Operations per second the store can serve (> 0); beyond that, operations queue.
    /// Default: `100000`.
    pub max_ops: f64,
}

impl Default for RawRedis {
    fn default() -> Self {
        RawRedis {
            latency: RawDist::Exponential { mean: us(500) },
            max_ops: 100_000.0,
        }
    }
}

/// One scheduled event, tagged by `action:`. A new kind of event is a new variant here plus its
/// arm in `validate::event`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(
    tag = "action",
    rename_all = "kebab-case",
    deny_unknown_fields,
    expecting = "an event like { at: 10m, action: crash }"
)]
pub enum RawEvent {
    /// `{ at: 10m, action: crash, count: 1, pick: busiest }`: instances die at once, losing their
    /// queue, in-flight work and memory.
    Crash {
        /// When; must be before the end of the run.
        at: HumanDuration,
        /// How many instances die (≥ 1). Default: `1`.
        #[serde(default = "default_crash_count")]
        count: u32,
        /// `random`, `busiest`, `oldest` or `index` (with `index: N`). Default: `random`.
        #[serde(default)]
        pick: RawPick,
        /// With `pick: index`: the launch index of the victim (0 = first launched).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<u32>,
    },
    /// `{ at: 9m, action: scale, to: 8 }`: sets the desired instance count. New instances boot
    /// and join after passing health checks; surplus ones (newest first) drain and terminate.
    Scale {
        /// When; must be before the end of the run.
        at: HumanDuration,
        /// The desired number of instances (≥ 0).
        to: u32,
    },
}

impl RawEvent {
    /// When the event happens, whatever its kind (events are sorted by it).
    pub fn at(&self) -> HumanDuration {
        match self {
            RawEvent::Crash { at, .. } | RawEvent::Scale { at, .. } => *at,
        }
    }
}

fn default_crash_count() -> u32 {
    1
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", expecting = "a victim choice")]
pub enum RawPick {
    #[default]
    Random,
    Busiest,
    Oldest,
    Index,
}
