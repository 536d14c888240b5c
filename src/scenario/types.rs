//! The validated scenario: what the simulator runs.
//!
//! Everything here is resolved: durations are integer nanoseconds, distributions carry their
//! derived parameters, defaults are filled in, and cross-field rules (min ≤ max, events inside the
//! run) hold. The YAML-facing types live in `raw.rs`; `validate.rs` turns one into the other.

use crate::engine::{SimDuration, SimTime};

/// A complete, valid scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    /// One line: the story this scenario tells.
    pub description: String,
    pub seed: u64,
    /// Length of the run.
    pub duration: SimDuration,
    /// Leading period excluded from summary metrics.
    pub warmup: SimDuration,
    pub report: ReportConfig,
    pub workload: Workload,
    pub balancer: BalancerConfig,
    pub instances: InstanceConfig,
    pub sessions: SessionConfig,
    pub redis: RedisConfig,
    /// Scheduled operations and faults, sorted by time (stable for equal times).
    pub events: Vec<ScheduledEvent>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReportConfig {
    /// Width of one time-series window.
    pub window: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// New sessions per second over time.
    pub arrivals: RateProfile,
    pub session: SessionShape,
    /// Size of the client IP pool (clients behind one NAT share an IP).
    pub client_ips: u32,
    /// Client-side request timeout.
    pub timeout: SimDuration,
    /// Retries of a failed request (not of a lost session).
    pub retries: u32,
    /// Delay before the first retry; doubles on each further retry.
    pub retry_backoff: SimDuration,
}

/// Session arrival rate (sessions per second) as a function of time.
#[derive(Clone, Debug, PartialEq)]
pub enum RateProfile {
    Constant(f64),
    /// Piecewise: each point sets the rate from `at` on, reached by a linear ramp of `ramp` from
    /// the previous level. Sorted by `at`; the first point is at time zero.
    Steps(Vec<RatePoint>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct RatePoint {
    pub at: SimTime,
    /// Sessions per second.
    pub rate: f64,
    pub ramp: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SessionShape {
    /// Requests per session, the login being the first. Always ≥ 1.
    pub requests: CountDist,
    /// Pause between a response and the next request.
    pub think_time: Dist,
}

/// A distribution of non-negative durations.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Constant {
        value: SimDuration,
    },
    Exponential {
        mean: SimDuration,
    },
    Uniform {
        min: SimDuration,
        max: SimDuration,
    },
    /// Parameters of the underlying normal, in ln(seconds): derived from a mean and a p99.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
}

/// A distribution of counts (≥ 1).
#[derive(Clone, Debug, PartialEq)]
pub enum CountDist {
    Constant {
        value: u32,
    },
    Uniform {
        min: u32,
        max: u32,
    },
    /// Geometric on {1, 2, …} with the given mean (≥ 1).
    Geometric {
        mean: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    RoundRobin,
    Random,
    LeastConnections,
    PowerOfTwo,
    ConsistentHash,
    IpHash,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Affinity {
    None,
    Cookie,
    SourceIp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BalancerConfig {
    pub algorithm: Algorithm,
    pub affinity: Affinity,
    /// Added to every request's response time.
    pub hop_latency: SimDuration,
    pub health_check: HealthCheck,
    /// How long a draining instance may finish in-flight requests before the balancer closes them.
    pub deregistration_delay: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HealthCheck {
    pub interval: SimDuration,
    /// Consecutive failed checks before an instance is marked down (≥ 1).
    pub unhealthy_threshold: u32,
    /// Consecutive passed checks before an instance is marked up (≥ 1).
    pub healthy_threshold: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InstanceConfig {
    /// Instances at the start of the run (≥ 1).
    pub count: u32,
    /// Concurrent requests per instance (≥ 1).
    pub workers: u32,
    /// Waiting room per instance; a request arriving to a full queue is rejected.
    pub queue: u32,
    pub service_time: Dist,
    /// From launch to the process being up.
    pub boot_time: SimDuration,
    pub warmup: Warmup,
    /// Replace crashed instances once the balancer marks them down.
    pub replace: bool,
    /// How long a stopping instance may finish in-flight work before it is killed.
    pub termination_grace: SimDuration,
}

/// A new instance's slow start.
#[derive(Clone, Debug, PartialEq)]
pub struct Warmup {
    pub duration: SimDuration,
    /// Service-time multiplier while warming up (≥ 1).
    pub slowdown: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStore {
    InMemory,
    Redis,
    Jwt,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SessionConfig {
    pub store: SessionStore,
    /// Idle time after which a session expires.
    pub ttl: SimDuration,
    /// CPU time to verify a token (jwt only), added to the service time.
    pub jwt_verify: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RedisConfig {
    /// Round-trip latency of one operation, excluding queueing.
    pub latency: Dist,
    /// Operations per second the store can serve; beyond that operations queue.
    pub max_ops: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledEvent {
    pub at: SimTime,
    pub action: Action,
}

/// What happens at a scheduled event. New operations and faults are new variants here.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `count` instances die at once: queue, in-flight work and memory are lost.
    Crash { count: u32, pick: Pick },
    /// Sets the desired instance count: launch the missing ones, drain the surplus (newest first).
    Scale { to: u32 },
}

impl Action {
    /// A short label for timelines and charts.
    pub fn label(&self) -> String {
        match self {
            Action::Crash { count, .. } => format!("crash ×{count}"),
            Action::Scale { to } => format!("scale to {to}"),
        }
    }
}

/// How a fault chooses its victims among live instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    Random,
    /// Most requests queued or in service.
    Busiest,
    /// Earliest launched.
    Oldest,
    /// The instance with this launch index (0 = first launched).
    Index(u32),
}

impl Scenario {
    /// End of the run as an instant.
    pub fn end(&self) -> SimTime {
        SimTime::ZERO + self.duration
    }
}
