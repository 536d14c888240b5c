//! The validated scenario: what the simulator runs.
//!
//! Everything here is resolved: durations are integer nanoseconds, distributions carry their
//! derived parameters, defaults are filled in, and cross-field rules (min ≤ max, events inside the
//! run) hold. The YAML-facing types live in `raw.rs`; `validate.rs` turns one into the other.

pub(crate) use super::objective::{
    Objective, ObjectiveMetric, Percentile, Threshold, PERCENT_SCALE,
};
use crate::engine::{SimDuration, SimTime};

/// A complete, valid scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub(crate) name: String,
    /// One line: the story this scenario tells.
    pub(crate) description: String,
    pub(crate) seed: u64,
    /// Length of the run.
    pub(crate) duration: SimDuration,
    /// Leading period excluded from summary metrics.
    pub(crate) warmup: SimDuration,
    pub(crate) report: ReportConfig,
    /// What a run must achieve: `report.slo` first (as `p99 <= slo`), then the scenario's
    /// `objectives`, then `--objective` arguments.
    pub(crate) objectives: Vec<Objective>,
    /// HTTP sessions. A scenario without a `workload` block has none: its arrival rate is zero.
    pub(crate) workload: Workload,
    /// Long-lived WebSocket connections sharing the fleet with the sessions, if any.
    pub(crate) connections: Option<Connections>,
    pub(crate) balancer: BalancerConfig,
    pub(crate) instances: InstanceConfig,
    pub(crate) sessions: SessionConfig,
    pub(crate) redis: RedisConfig,
    /// Background jobs enqueued by requests, if any.
    pub(crate) jobs: Option<JobsConfig>,
    /// Files uploaded and read back by sessions, if any.
    pub(crate) files: Option<FilesConfig>,
    /// An optional relational database behind the instances (a shared tier with a ceiling).
    pub(crate) database: Option<DatabaseConfig>,
    /// An optional in-process cache on each instance.
    pub(crate) local_cache: Option<LocalCacheConfig>,
    /// An optional per-user rate limit.
    pub(crate) rate_limit: Option<RateLimitConfig>,
    /// An optional target-tracking autoscaler.
    pub(crate) autoscaler: Option<AutoscalerConfig>,
    /// Scheduled operations and faults, sorted by time (stable for equal times).
    pub(crate) events: Vec<ScheduledEvent>,
    /// Random crashes: each live instance fails after an exponential time with this mean.
    pub(crate) mtbf: Option<Mtbf>,
    /// The text the scenario was read from and the overrides applied to it, for reports.
    pub(crate) source: Source,
}

/// Where a scenario came from: its YAML as read, and the `--set` overrides applied on top.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Source {
    pub(crate) yaml: String,
    /// The overrides as given on the command line (`sessions.store=redis`), in order.
    pub(crate) overrides: Vec<String>,
}

/// Random crashes from `from` on (the `{ action: crash, mtbf: 2h }` event).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mtbf {
    pub(crate) from: SimTime,
    /// Mean time between failures of one instance.
    pub(crate) mean: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ReportConfig {
    /// Width of one time-series window.
    pub(crate) window: SimDuration,
    /// The p99 latency objective, if any.
    pub(crate) slo: Option<SimDuration>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Workload {
    /// New sessions per second over time.
    pub(crate) arrivals: RateProfile,
    /// A flash crowd multiplying the rate for a while (`arrivals.spike`).
    pub(crate) spike: Option<Spike>,
    pub(crate) session: SessionShape,
    /// Size of the client IP pool (clients behind one NAT share an IP).
    pub(crate) client_ips: u32,
    /// Client-side request timeout.
    pub(crate) timeout: SimDuration,
    /// Retries of a failed request (not of a lost session).
    pub(crate) retries: u32,
    /// Delay before the first retry; doubles on each further retry.
    pub(crate) retry_backoff: SimDuration,
}

/// Long-lived connections (WebSockets): each is accepted by one instance through the balancer
/// and stays on it for its whole life; its messages reach the members of its room.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Connections {
    /// New users connecting per second over time (reconnects are not arrivals).
    pub(crate) arrivals: RateProfile,
    pub(crate) spike: Option<Spike>,
    /// How long a user stays connected, from its first attempt; reconnects happen within it.
    pub(crate) lifetime: Dist,
    /// Worker time to accept an upgrade (authentication, session lookup).
    pub(crate) handshake: Dist,
    /// A handshake not accepted within this is abandoned by its client (and retried under
    /// `reconnect`).
    pub(crate) timeout: SimDuration,
    /// Messages each open connection sends per second (Poisson); 0 for none.
    pub(crate) message_rate: f64,
    /// Worker time to handle one message on its sender's instance, or one delivery.
    pub(crate) message_time: Dist,
    pub(crate) rooms: Rooms,
    pub(crate) delivery: Delivery,
    /// Upgrades beyond this many open connections on one instance are refused; `None`: no limit.
    pub(crate) max_per_instance: Option<u32>,
    pub(crate) reconnect: Reconnect,
    /// The server closes a connection this old (its client reconnects), so load rebalances.
    pub(crate) max_age: Option<SimDuration>,
    /// A draining instance closes its connections spread evenly over this span (zero: at once).
    pub(crate) close_over: SimDuration,
}

/// Background jobs: requests enqueue them, job workers (apart from the request workers) run
/// them.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JobsConfig {
    pub(crate) trigger: JobTrigger,
    /// Job-worker time of one job, before the instance's slowdowns.
    pub(crate) service_time: Dist,
    /// Job workers per instance (≥ 1).
    pub(crate) workers: u32,
    pub(crate) queue: JobQueue,
    /// Redis: a job whose worker died is handed out again this long after it was taken.
    pub(crate) visibility_timeout: SimDuration,
}

/// Which requests enqueue a job.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum JobTrigger {
    /// Each request with this probability (a draw fixed by the session and the request's place
    /// in it, so every variant of a scenario enqueues the same jobs).
    PerRequest(f64),
    /// The requests of a session whose count of requests left is a multiple of `k`.
    Every(u32),
}

/// Where waiting jobs live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobQueue {
    /// In the enqueuing instance's memory: its own job workers run them; lost with it.
    InProcess,
    /// One queue in the Redis tier: any instance's job workers take from it (at least once).
    Redis,
}

/// Files some sessions upload at their first request and read back later.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FilesConfig {
    /// Fraction of sessions that upload (0 to 1).
    pub(crate) uploads: f64,
    /// How many later requests of an uploading session read its file.
    pub(crate) reads: CountDist,
    pub(crate) store: FileStore,
    /// Shared store: the round trip added to every upload and read.
    pub(crate) shared_latency: Dist,
}

/// Where uploaded files are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileStore {
    /// The disk of the instance that handled the upload.
    Local,
    /// An object store every instance reaches.
    Shared,
}

/// Every connection is a member of one room; a message goes to the room's other members.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rooms {
    /// Rooms in the run (≥ 1).
    pub(crate) count: u32,
    /// Each room's size, drawn once per run: a user joins a room with probability proportional
    /// to its size.
    pub(crate) size: CountDist,
}

/// How a message reaches room members connected to other instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Only to members on the sender's instance; the others never get it.
    Local,
    /// One publish to Redis; every live instance receives it.
    RedisPubsub,
    /// One publish to Redis; only instances holding a member of the room receive it.
    ShardedPubsub,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Reconnect {
    pub(crate) policy: ReconnectPolicy,
    pub(crate) base: SimDuration,
    /// Upper bound of the exponential policies' delay.
    pub(crate) cap: SimDuration,
}

/// The delay before the k-th consecutive reconnect attempt (k = 0 first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReconnectPolicy {
    /// No delay.
    Immediate,
    /// `base`.
    Fixed,
    /// `min(cap, base·2^k)`.
    Exponential,
    /// Uniform in `[0, min(cap, base·2^k)]` ("full jitter").
    ExponentialJitter,
}

/// Session arrival rate (sessions per second) as a function of time.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RateProfile {
    Constant(f64),
    /// Piecewise: each point sets the rate from `at` on, reached by a linear ramp of `ramp` from
    /// the previous level. Sorted by `at`; the first point is at time zero.
    Steps(Vec<RatePoint>),
    /// A daily cycle: `min` at time zero, `max` half a period later,
    /// `rate(t) = min + (max − min)·(1 − cos 2πt/period)/2`.
    Diurnal {
        period: SimDuration,
        min: f64,
        max: f64,
    },
}

/// The arrival rate is multiplied by `multiplier` during `[at, at + duration)`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Spike {
    pub(crate) at: SimTime,
    pub(crate) duration: SimDuration,
    /// ≥ 0; above 1 for a flash crowd.
    pub(crate) multiplier: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RatePoint {
    pub(crate) at: SimTime,
    /// Sessions per second.
    pub(crate) rate: f64,
    pub(crate) ramp: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SessionShape {
    /// Requests per session, the login being the first. Always ≥ 1.
    pub(crate) requests: CountDist,
    /// Pause between a response and the next request.
    pub(crate) think_time: Dist,
}

/// A distribution of non-negative durations.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Dist {
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
pub(crate) enum CountDist {
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
pub(crate) enum Algorithm {
    RoundRobin,
    Random,
    LeastConnections,
    PowerOfTwo,
    ConsistentHash,
    IpHash,
    /// Smooth weighted round-robin (nginx's): each instance gets its weight's share of picks,
    /// interleaved rather than in bursts.
    WeightedRoundRobin,
    /// Fewest open connections per unit of weight; ties spread as `LeastConnections` does.
    WeightedLeastConnections,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Affinity {
    None,
    Cookie,
    SourceIp,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BalancerConfig {
    pub(crate) algorithm: Algorithm,
    pub(crate) affinity: Affinity,
    /// Added to every request's response time.
    pub(crate) hop_latency: SimDuration,
    pub(crate) health_check: HealthCheck,
    /// How long a draining instance may finish in-flight requests before the balancer closes them.
    pub(crate) deregistration_delay: SimDuration,
    /// A standby balancer that takes over when the active one fails.
    pub(crate) standby: Option<Standby>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Standby {
    /// From the active balancer's failure to the standby serving traffic.
    pub(crate) failover: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct HealthCheck {
    pub(crate) interval: SimDuration,
    /// Consecutive failed checks before an instance is marked down (≥ 1).
    pub(crate) unhealthy_threshold: u32,
    /// Consecutive passed checks before an instance is marked up (≥ 1).
    pub(crate) healthy_threshold: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct InstanceConfig {
    /// Instances at the start of the run (≥ 1): with `groups`, the sum of their counts.
    pub(crate) count: u32,
    /// Concurrent requests per instance (≥ 1): with `groups`, the default of a group's.
    pub(crate) workers: u32,
    /// Waiting room per instance; a request arriving to a full queue is rejected. With
    /// `groups`, the default of a group's.
    pub(crate) queue: u32,
    /// Named groups of instances of different sizes, in the order written. Empty when the
    /// scenario declares none: the fleet is then one group, `default`, of `count` instances of
    /// `workers` workers and `queue` places (see [`InstanceConfig::fleet_groups`]).
    pub(crate) groups: Vec<GroupConfig>,
    pub(crate) service_time: Dist,
    /// From launch to the process being up.
    pub(crate) boot_time: SimDuration,
    pub(crate) warmup: Warmup,
    /// Replace crashed instances once the balancer marks them down.
    pub(crate) replace: bool,
    /// How long a stopping instance may finish in-flight work before it is killed.
    pub(crate) termination_grace: SimDuration,
}

/// One group of identical instances (`instances.groups[i]`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GroupConfig {
    pub(crate) name: String,
    /// Instances of this group at the start of the run (≥ 1).
    pub(crate) count: u32,
    /// Concurrent requests per instance (≥ 1).
    pub(crate) workers: u32,
    /// Waiting room per instance.
    pub(crate) queue: u32,
    /// Service-time divisor (> 0): an instance of speed 2 serves a request in half the time.
    pub(crate) speed: f64,
    /// The weighted algorithms' share of this group's instances (≥ 1).
    pub(crate) weight: u32,
    /// Price of one instance-hour, in the scenario's currency (≥ 0).
    pub(crate) cost_per_hour: f64,
}

#[cfg(test)]
impl GroupConfig {
    /// A group `g` of `count` instances of `workers` workers and `queue` waiting places, at
    /// speed 1, weight 1 and no cost: what tests of one mechanism need of a group.
    pub(crate) fn plain(count: u32, workers: u32, queue: u32) -> GroupConfig {
        GroupConfig {
            name: "g".into(),
            count,
            workers,
            queue,
            speed: 1.0,
            weight: 1,
            cost_per_hour: 0.0,
        }
    }
}

/// The name of the one group of a fleet that declares none.
pub(crate) const DEFAULT_GROUP: &str = "default";

impl InstanceConfig {
    /// The fleet's groups: those declared, or the one `default` group made of the top-level
    /// fields (weight = workers, speed 1, no price).
    pub(crate) fn fleet_groups(&self) -> Vec<GroupConfig> {
        if !self.groups.is_empty() {
            return self.groups.clone();
        }
        vec![GroupConfig {
            name: DEFAULT_GROUP.to_owned(),
            count: self.count,
            workers: self.workers,
            queue: self.queue,
            speed: 1.0,
            weight: self.workers.max(1),
            cost_per_hour: 0.0,
        }]
    }
}

/// A new instance's slow start.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Warmup {
    pub(crate) duration: SimDuration,
    /// Service-time multiplier while warming up (≥ 1).
    pub(crate) slowdown: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SessionStore {
    InMemory,
    Redis,
    Jwt,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SessionConfig {
    pub(crate) store: SessionStore,
    /// Idle time after which a session expires.
    pub(crate) ttl: SimDuration,
    /// CPU time to verify a token (jwt only), added to the service time.
    pub(crate) jwt_verify: SimDuration,
    /// Lifetime of a signed token (jwt only): a revoked token stays usable until it expires.
    /// Tokens of sessions in good standing are refreshed silently when they expire.
    pub(crate) token_ttl: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RedisConfig {
    /// Round-trip latency of one operation, excluding queueing.
    pub(crate) latency: Dist,
    /// Operations per second the store can serve; beyond that operations queue.
    pub(crate) max_ops: f64,
}

/// A database with a connection limit: each instance holds a pool; a request checks out a pool
/// connection, then runs its queries one after another on the database, which executes at most
/// `max_connections` queries at once (FIFO beyond that).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DatabaseConfig {
    /// Queries the database runs concurrently (≥ 1).
    pub(crate) max_connections: u32,
    /// Connections in each instance's pool (≥ 1).
    pub(crate) pool_per_instance: u32,
    /// Sequential queries per request (≥ 1).
    pub(crate) queries_per_request: u32,
    pub(crate) query_time: Dist,
}

/// An in-process cache. With one instance a request hits with `hit_ratio_one_instance`; across
/// a fleet a request hits only if it lands where the user's previous request was served (the
/// data is cached there), unless the cache is shared.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LocalCacheConfig {
    /// In [0, 1].
    pub(crate) hit_ratio_one_instance: f64,
    /// Service time added on a miss.
    pub(crate) miss_penalty: SimDuration,
    /// A shared cache (e.g. Redis or Memcached) keeps the single-instance hit ratio.
    pub(crate) shared: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LimitScope {
    /// Each instance counts on its own: the effective limit multiplies by the instances a user
    /// reaches.
    Instance,
    /// One counter for the fleet (in a shared store).
    Shared,
}

/// A per-user token bucket: `per_user_per_s` requests per second, bursts up to one second's worth.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RateLimitConfig {
    pub(crate) per_user_per_s: f64,
    pub(crate) scope: LimitScope,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScalingMetric {
    /// Busy workers / all workers of the measured instances, time-averaged over the interval.
    Cpu,
    /// Requests routed per measured instance per second over the interval.
    Rps,
    /// 95th percentile of response times completed by measured instances in the interval (ms).
    P95Latency,
    /// Requests waiting per measured instance, sampled at evaluation.
    QueueDepth,
    /// Requests in service or waiting per measured instance, sampled at evaluation.
    Concurrency,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScaleInPick {
    Newest,
    Oldest,
    LeastLoaded,
}

/// Target tracking with Kubernetes HPA semantics (see `model::autoscaler`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct AutoscalerConfig {
    pub(crate) metric: ScalingMetric,
    /// In the metric's unit (p95-latency: milliseconds); > 0.
    pub(crate) target: f64,
    pub(crate) min: u32,
    pub(crate) max: u32,
    pub(crate) interval: SimDuration,
    pub(crate) tolerance: f64,
    pub(crate) scale_up: ScalingBehavior,
    pub(crate) scale_down: ScalingBehavior,
    /// A new instance's metrics are ignored this long after it becomes ready.
    pub(crate) instance_warmup: SimDuration,
    pub(crate) scale_in_pick: ScaleInPick,
    /// The group it measures and resizes (an index into `instances.groups`); `None`: the whole
    /// fleet of a scenario without groups.
    pub(crate) group: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ScalingBehavior {
    pub(crate) stabilization: SimDuration,
    pub(crate) cooldown: SimDuration,
    /// ≥ 1.
    pub(crate) max_step: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ScheduledEvent {
    pub(crate) at: SimTime,
    pub(crate) action: Action,
    /// The group a crash, scale, rolling deploy or slow instance acts on (an index into
    /// `instances.groups`); `None`: any instance of the fleet (a rolling deploy: all of them).
    pub(crate) group: Option<u32>,
}

/// What happens at a scheduled event. New operations and faults are new variants here.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Action {
    /// `count` instances die at once: queue, in-flight work and memory are lost.
    Crash { count: u32, pick: Pick },
    /// Sets the desired instance count: launch the missing ones, drain the surplus (picked by
    /// the autoscaler's `scale_in_pick`, newest first without one).
    Scale { to: u32 },
    /// Replaces every instance by one of a new version, at most `max_surge` above the desired
    /// count and at most `max_unavailable` below it; old instances drain once new ones are ready.
    RollingDeploy {
        max_surge: u32,
        max_unavailable: u32,
    },
    /// The session store is unreachable for `duration`; with `data_loss` every session in it is
    /// gone when it comes back.
    RedisOutage {
        duration: SimDuration,
        data_loss: bool,
    },
    /// Store operations take `factor` times longer for `duration`.
    RedisSlowdown { factor: f64, duration: SimDuration },
    /// Gray failure: one instance serves `factor` times slower for `duration` but still passes
    /// health checks.
    SlowInstance {
        factor: f64,
        duration: SimDuration,
        pick: Pick,
    },
    /// The active balancer dies: connections through it are reset; with a standby, traffic
    /// resumes after its failover delay, else never.
    LbFailure,
    /// `sessions` live sessions are logged out (or their credentials revoked).
    Revoke { sessions: u32 },
}

/// How a fault chooses its victims among live instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pick {
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
    pub(crate) fn end(&self) -> SimTime {
        SimTime::ZERO + self.duration
    }
}
