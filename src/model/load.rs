//! What a scenario asks of its fleet, from the arithmetic alone: the load estimate `validate`
//! prints and report.html opens with.
//!
//! Nothing here simulates. Each figure is a closed form over the scenario's means, so that a
//! reviewer can check it by hand and see *before* a run whether the load is even feasible:
//!
//! - **Offered load.** Requests per second = sessions per second × the mean requests per session,
//!   at each level of the arrival profile (a constant, each step, a diurnal cycle's trough and
//!   crest, a spike's peak).
//! - **Worker time per request** W = the mean service time + what the application waits for
//!   while holding its worker: the session read (a Redis round trip, or a token check), the
//!   database queries, and the local cache's expected miss penalty. The miss rate is `1 − hit`
//!   where the user's data is warm (a shared cache, or affinity keeping a user on one instance)
//!   and `1 − hit/N` over N instances otherwise (a request lands on the instance that cached its
//!   user one time in N).
//! - **Utilization** ρ = λ·W / (instances × workers), the offered work per worker (the M/M/c
//!   load). ρ ≥ 1 means the queues grow without bound: no fleet of that size can carry it.
//! - **Where an autoscaler settles**, at each level: the replicas that bring its metric to its
//!   target — ⌈λ·W / (workers·target)⌉ for `cpu`, ⌈λ/target⌉ for `rps`, ⌈λ·W/target⌉ for
//!   `concurrency` (by Little's law, requests in service = λ·W) — within `[min, max]`. Latency
//!   and queue-depth targets have no closed form and are not estimated.
//! - **Live sessions** by Little's law: L = sessions/s × session length, where a session lasts
//!   its requests and the thinking between them: n·(W + hop) + (n − 1)·think.
//! - **Shared tiers.** Redis operations per second (one session read per request, plus the
//!   connections' publishes and handshakes) against `redis.max_ops`; database queries per second
//!   against what its connections can execute, `min(max_connections, instances × pool) / query
//!   time`.
//! - **Steady state.** Sessions in the system reach their Little's-law level after about one
//!   session length; summary metrics are meaningful when the run's `warmup` covers it.
//!
//! The estimate warns — it never refuses — when ρ ≥ 1 (or ≥ 1 at the autoscaler's maximum), when
//! a shared tier is offered more than its capacity, when the warm-up is shorter than a session,
//! and when the service time's p99 alone exceeds the p99 objective.

use crate::engine::SimTime;
use crate::model::arrivals::Arrivals;
use crate::model::estimate::mean_requests;
use crate::model::sampling::DurationSampler;
use crate::scenario::{
    Action, Affinity, Delivery, Dist, JobQueue, JobTrigger, ObjectiveMetric, Percentile,
    RateProfile, ScalingMetric, Scenario, SessionStore, Threshold, Z99,
};

/// The figures of a scenario's load (see the module documentation for each formula).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Load {
    /// Mean requests per session.
    pub(crate) requests_per_session: f64,
    /// The arrival profile's levels, in time order.
    pub(crate) levels: Vec<Level>,
    /// Mean worker time per request, and its parts (name, seconds), largest first.
    pub(crate) worker_time: f64,
    pub(crate) worker_parts: Vec<(&'static str, f64)>,
    /// Worker seconds per second the connections ask at their peak (handshakes, messages and
    /// their deliveries), counted in every level's utilization.
    pub(crate) connection_work: f64,
    /// Instances and workers per instance the utilization is computed over (the initial fleet;
    /// with instance groups, `workers` is the first group's).
    pub(crate) instances: u32,
    /// The initial fleet's groups (one, `default`, without `instances.groups`).
    pub(crate) groups: Vec<GroupShape>,
    /// Background jobs: jobs per second at the busiest level and the job workers' utilization.
    pub(crate) jobs: Option<JobLoad>,
    /// The most instances the scenario runs without an autoscaler's help: the initial fleet or
    /// a `scale` event's target.
    pub(crate) largest_fleet: u32,
    pub(crate) workers: u32,
    /// Mean length of a session, seconds.
    pub(crate) session_seconds: f64,
    /// Sessions live at once at the busiest level (Little's law).
    pub(crate) live_sessions: f64,
    /// Open connections at the busiest level (arrivals × lifetime), when the scenario has any.
    pub(crate) live_connections: Option<f64>,
    /// Redis operations per second at the busiest level, and the capacity.
    pub(crate) redis: Option<Tier>,
    /// Database queries per second at the busiest level, and what the database can execute.
    pub(crate) database: Option<Tier>,
    /// Leading period excluded from summary metrics, seconds.
    pub(crate) warmup_seconds: f64,
    /// Whether an autoscaler acts, and its maximum.
    pub(crate) autoscaler_max: Option<u32>,
    /// The service time's p99 and the p99 objective, seconds, when the scenario has one.
    pub(crate) service_p99: f64,
    pub(crate) p99_objective: Option<f64>,
}

/// One level of the offered load.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Level {
    /// Where in the run it holds.
    pub(crate) when: When,
    pub(crate) sessions_per_s: f64,
    pub(crate) requests_per_s: f64,
    /// ρ over the initial fleet.
    pub(crate) utilization: f64,
    /// Where the autoscaler would settle, if it has one with a closed form.
    pub(crate) settles_at: Option<u32>,
}

/// One group of the initial fleet, as the utilization counts it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GroupShape {
    pub(crate) name: String,
    pub(crate) count: u32,
    pub(crate) workers: u32,
    /// Service-time divisor: a worker of speed 2 does the work of two.
    pub(crate) speed: f64,
}

/// What background jobs ask of the job workers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct JobLoad {
    pub(crate) per_s: f64,
    /// Job work over the fleet's job workers (each group's speed counted).
    pub(crate) utilization: f64,
}

/// Where a level of the arrival profile holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum When {
    /// A constant rate: the whole run.
    Throughout,
    /// A step of the profile, from this instant on.
    From(SimTime),
    /// A diurnal cycle's lowest rate, at time zero.
    Trough,
    /// A diurnal cycle's highest rate, half a period in.
    Crest(SimTime),
    /// A flash crowd, from this instant.
    Spike(SimTime),
}

/// A shared tier's offered operations against its capacity (per second).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Tier {
    pub(crate) offered: f64,
    pub(crate) capacity: f64,
}

impl Load {
    /// The fleet's utilization at its busiest level of the arrival profile.
    pub(crate) fn peak_utilization(&self) -> f64 {
        self.levels
            .iter()
            .map(|l| l.utilization)
            .fold(0.0, f64::max)
    }
}

impl Tier {
    /// Offered over capacity: at 1 or more the tier's queue grows without bound.
    pub(crate) fn utilization(self) -> f64 {
        self.offered / self.capacity
    }
}

/// The load `scenario` offers (see the module documentation).
pub(crate) fn load(scenario: &Scenario) -> Load {
    let n = mean_requests(&scenario.workload.session.requests);
    let inst = &scenario.instances;
    let groups: Vec<GroupShape> = inst
        .fleet_groups()
        .into_iter()
        .map(|g| GroupShape {
            name: g.name,
            count: g.count,
            workers: g.workers,
            speed: g.speed,
        })
        .collect();
    let count = inst.count.max(1);
    let workers = groups.first().map_or(inst.workers, |g| g.workers).max(1);

    // --- worker time per request -------------------------------------------------------------
    let mut parts: Vec<(&'static str, f64)> = vec![("service", mean(&inst.service_time))];
    match scenario.sessions.store {
        SessionStore::Redis => parts.push(("Redis read", mean(&scenario.redis.latency))),
        SessionStore::Jwt => {
            parts.push(("token check", scenario.sessions.jwt_verify.as_secs_f64()))
        }
        SessionStore::InMemory => {}
    }
    if let Some(db) = &scenario.database {
        parts.push((
            "database",
            f64::from(db.queries_per_request) * mean(&db.query_time),
        ));
    }
    if let Some(cache) = &scenario.local_cache {
        let warm = cache.shared || scenario.balancer.affinity != Affinity::None;
        let hit = if warm {
            cache.hit_ratio_one_instance
        } else {
            cache.hit_ratio_one_instance / f64::from(count)
        };
        parts.push((
            "cache misses",
            (1.0 - hit) * cache.miss_penalty.as_secs_f64(),
        ));
    }
    parts.retain(|&(_, s)| s > 0.0);
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    let w: f64 = parts.iter().map(|p| p.1).sum();

    let conn = ConnectionLoad::of(scenario, count);

    // --- levels ------------------------------------------------------------------------------
    // Worker-seconds per second the fleet can give, a faster worker counting for more.
    let capacity = groups
        .iter()
        .map(|g| f64::from(g.count) * f64::from(g.workers) * g.speed)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let level = |when: When, sessions_per_s: f64| {
        let requests_per_s = sessions_per_s * n;
        let work = requests_per_s * w + conn.work;
        Level {
            when,
            sessions_per_s,
            requests_per_s,
            utilization: work / capacity,
            settles_at: scenario.autoscaler.as_ref().and_then(|a| {
                let needed = match a.metric {
                    ScalingMetric::Cpu => work / (f64::from(workers) * a.target),
                    ScalingMetric::Rps => requests_per_s / a.target,
                    ScalingMetric::Concurrency => work / a.target,
                    ScalingMetric::P95Latency | ScalingMetric::QueueDepth => return None,
                };
                Some((needed.ceil().max(0.0) as u32).clamp(a.min, a.max))
            }),
        }
    };
    let mut levels: Vec<Level> = match &scenario.workload.arrivals {
        RateProfile::Constant(rate) => vec![level(When::Throughout, *rate)],
        RateProfile::Steps(points) => points
            .iter()
            .map(|p| level(When::From(p.at), p.rate))
            .collect(),
        RateProfile::Diurnal { period, min, max } => vec![
            level(When::Trough, *min),
            level(When::Crest(SimTime(period.as_nanos() / 2)), *max),
        ],
    };
    if let Some(s) = &scenario.workload.spike {
        let arrivals = Arrivals::new(&scenario.workload.arrivals, Some(s));
        levels.push(level(When::Spike(s.at), arrivals.rate_at(s.at)));
    }
    let busiest = levels.iter().map(|l| l.sessions_per_s).fold(0.0, f64::max);

    // --- sessions, connections and tiers -------------------------------------------------------
    let think = mean(&scenario.workload.session.think_time);
    let hop = scenario.balancer.hop_latency.as_secs_f64();
    let session_seconds = n * (w + hop) + (n - 1.0) * think;
    let live_sessions = busiest * session_seconds;
    let requests_peak = busiest * n;
    let mut redis_ops = conn.redis_ops;
    if scenario.sessions.store == SessionStore::Redis {
        redis_ops += requests_peak;
    }
    // A request enqueues a job with probability p, or one in every k of a session's requests.
    let jobs = scenario.jobs.as_ref().map(|j| {
        let share = match j.trigger {
            JobTrigger::PerRequest(p) => p,
            JobTrigger::Every(k) => (n / f64::from(k.max(1))).floor() / n,
        };
        let per_s = requests_peak * share;
        let job_capacity: f64 = groups
            .iter()
            .map(|g| f64::from(g.count) * f64::from(j.workers) * g.speed)
            .sum();
        if j.queue == JobQueue::Redis {
            // Enqueueing and taking are one Redis operation each.
            redis_ops += 2.0 * per_s;
        }
        JobLoad {
            per_s,
            utilization: per_s * mean(&j.service_time) / job_capacity.max(f64::MIN_POSITIVE),
        }
    });
    let redis = (redis_ops > 0.0).then_some(Tier {
        offered: redis_ops,
        capacity: scenario.redis.max_ops,
    });
    let database = scenario.database.as_ref().map(|db| {
        let fleet_pool = f64::from(count) * f64::from(db.pool_per_instance);
        let connections = f64::from(db.max_connections).min(fleet_pool);
        Tier {
            offered: requests_peak * f64::from(db.queries_per_request),
            capacity: connections / mean(&db.query_time),
        }
    });

    Load {
        requests_per_session: n,
        levels,
        worker_time: w,
        worker_parts: parts,
        connection_work: conn.work,
        instances: count,
        groups,
        jobs,
        largest_fleet: scenario
            .events
            .iter()
            .filter_map(|e| match e.action {
                Action::Scale { to } => Some(to),
                _ => None,
            })
            .fold(count, u32::max),
        workers,
        session_seconds,
        live_sessions,
        live_connections: conn.open,
        redis,
        database,
        warmup_seconds: scenario.warmup.as_secs_f64(),
        autoscaler_max: scenario.autoscaler.as_ref().map(|a| a.max),
        service_p99: p99(&inst.service_time),
        // The tightest p99 objective (`report.slo` is one, written as `p99 <= slo`).
        p99_objective: scenario
            .objectives
            .iter()
            .filter_map(|o| match (o.metric, o.threshold) {
                (ObjectiveMetric::Percentile(Percentile::P99), Threshold::Duration(d)) => {
                    Some(d.as_secs_f64())
                }
                _ => None,
            })
            .reduce(f64::min),
    }
}

/// What the connections ask of the fleet and of Redis, at their peak.
#[derive(Default)]
struct ConnectionLoad {
    open: Option<f64>,
    /// Worker seconds per second.
    work: f64,
    redis_ops: f64,
}

impl ConnectionLoad {
    /// Connecting users at the peak rate each do a handshake (a Redis read with sessions in
    /// Redis), and so does every open connection again each `max_age`; the open ones (arrivals × lifetime) send `message_rate` messages per second, each
    /// handled on its sender's instance and, through pub/sub, published once and delivered to
    /// every other instance (`redis-pubsub`) or to those holding a member of its room, at most
    /// the room's other members (`sharded-pubsub`).
    fn of(scenario: &Scenario, instances: u32) -> Self {
        let Some(c) = &scenario.connections else {
            return ConnectionLoad::default();
        };
        let connecting = Arrivals::new(&c.arrivals, c.spike.as_ref()).peak();
        let open = connecting * mean(&c.lifetime);
        let messages = open * c.message_rate;
        let others = f64::from(instances.saturating_sub(1));
        let deliveries = match c.delivery {
            Delivery::Local => 0.0,
            Delivery::RedisPubsub => others,
            Delivery::ShardedPubsub => others.min(mean_requests(&c.rooms.size) - 1.0),
        };
        let recycled = c.max_age.map_or(0.0, |age| {
            connecting * recycles_per_life(&c.lifetime, age.as_secs_f64().max(1e-9))
        });
        let handshakes = connecting + recycled;
        let mut redis_ops = 0.0;
        if scenario.sessions.store == SessionStore::Redis {
            redis_ops += handshakes;
        }
        if c.delivery != Delivery::Local {
            redis_ops += messages;
        }
        ConnectionLoad {
            open: Some(open),
            work: handshakes * mean(&c.handshake)
                + messages * (1.0 + deliveries) * mean(&c.message_time),
            redis_ops,
        }
    }
}

/// How many times a connection living a duration drawn from `lifetime` is closed by a
/// `max_age` of `age` seconds, on average: E[⌊L / age⌋], the sum over k ≥ 1 of P(L ≥ k·age) —
/// q / (1 − q) with q = e^(−age/mean) for an exponential lifetime, at most mean / age for any.
fn recycles_per_life(lifetime: &Dist, age: f64) -> f64 {
    match *lifetime {
        Dist::Constant { value } => (value.as_secs_f64() / age).floor(),
        Dist::Exponential { mean } => {
            let q = (-age / mean.as_secs_f64().max(1e-12)).exp();
            q / (1.0 - q)
        }
        _ => self::mean(lifetime) / age,
    }
}

fn mean(d: &Dist) -> f64 {
    DurationSampler::new(d).mean().as_secs_f64()
}

/// The 99th percentile of `d`, in seconds (closed forms).
fn p99(d: &Dist) -> f64 {
    match *d {
        Dist::Constant { value } => value.as_secs_f64(),
        Dist::Exponential { mean } => mean.as_secs_f64() * 100f64.ln(),
        Dist::Uniform { min, max } => {
            min.as_secs_f64() + 0.99 * (max.as_secs_f64() - min.as_secs_f64())
        }
        // mu and sigma are those of ln(seconds).
        Dist::LogNormal { mu, sigma } => (mu + Z99 * sigma).exp(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    fn bundled(name: &str, sets: &[&str]) -> Scenario {
        let sets: Vec<_> = sets.iter().map(|s| s.parse().expect("override")).collect();
        scenario::load(name, &sets).expect("valid")
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn crash_sticky_by_hand() {
        // 50 sessions/s × 20 requests = 1,000 requests/s; in-memory sessions add nothing to the
        // 20 ms service time, so ρ = 1,000 × 0.020 / (4 × 8) = 0.625. A session lasts
        // 20 × 20 ms + 19 × 3 s = 57.4 s; Little: 50 × 57.4 = 2,870 live sessions.
        let l = load(&bundled("crash-sticky", &[]));
        assert_eq!(l.levels.len(), 1);
        let level = &l.levels[0];
        assert_eq!(level.when, When::Throughout);
        assert!(close(level.requests_per_s, 1000.0));
        assert!(close(l.worker_time, 0.020), "{}", l.worker_time);
        assert!(close(level.utilization, 0.625), "{}", level.utilization);
        assert!(close(l.session_seconds, 57.4), "{}", l.session_seconds);
        assert!(close(l.live_sessions, 2870.0), "{}", l.live_sessions);
        assert_eq!(l.redis, None);
        assert_eq!(l.database, None);
    }

    #[test]
    fn redis_sessions_add_a_round_trip_and_an_operation_per_request() {
        // The same load with sessions in Redis: W = 20 ms + 0.5 ms; 1,000 ops/s of 100,000.
        let l = load(&bundled("crash-sticky", &["sessions.store=redis"]));
        assert!(close(l.worker_time, 0.0205), "{}", l.worker_time);
        assert_eq!(l.worker_parts[1].0, "Redis read");
        let redis = l.redis.expect("Redis is used");
        assert!(close(redis.offered, 1000.0));
        assert!(close(redis.capacity, 100_000.0));
    }

    #[test]
    fn each_step_is_a_level_and_the_autoscaler_settles_where_cpu_meets_its_target() {
        // Steps of 20 and 100 sessions/s × 10 requests, W = 10 ms, 2 instances × 4 workers:
        // ρ = 200 × 0.01 / 8 = 0.25, then 1,000 × 0.01 / 8 = 1.25. At a CPU target of 0.5 the
        // autoscaler needs ⌈1,000 × 0.01 / (4 × 0.5)⌉ = 5 instances, and ⌈0.1 / 2⌉ = 1 → min 2.
        let s = bundled(
            "crash-sticky",
            &[
                "workload.arrivals={profile: [{at: 0s, rate: 20}, {at: 5m, rate: 100}]}",
                "workload.session.requests={dist: constant, value: 10}",
                "instances.service_time={dist: constant, value: 10ms}",
                "instances.count=2",
                "instances.workers=4",
                "autoscaler={metric: cpu, target: 0.5, min: 2, max: 10}",
            ],
        );
        let l = load(&s);
        let rho: Vec<f64> = l.levels.iter().map(|l| l.utilization).collect();
        assert_eq!(l.levels[1].when, When::From(SimTime(300_000_000_000)));
        assert!(close(rho[0], 0.25) && close(rho[1], 1.25), "{rho:?}");
        let settles: Vec<_> = l.levels.iter().map(|l| l.settles_at).collect();
        assert_eq!(settles, [Some(2), Some(5)]);
    }

    #[test]
    fn a_lognormal_p99_is_the_one_the_scenario_gave() {
        // crash-sticky's service time is given as { mean: 20ms, p99: 120ms }.
        let l = load(&bundled("crash-sticky", &[]));
        assert!((l.service_p99 - 0.120).abs() < 1e-9, "{}", l.service_p99);
    }

    #[test]
    fn the_database_executes_what_its_connections_allow() {
        // database-ceiling: the ceiling is min(max_connections, instances × pool) / query time.
        let s = bundled("database-ceiling", &[]);
        let db = s.database.clone().expect("a database");
        let l = load(&s);
        let t = l.database.expect("a database tier");
        let connections = f64::from(db.max_connections)
            .min(f64::from(s.instances.count) * f64::from(db.pool_per_instance));
        let query = DurationSampler::new(&db.query_time).mean().as_secs_f64();
        assert!(close(t.capacity, connections / query));
        assert!(close(
            t.offered,
            l.levels[0].requests_per_s * f64::from(db.queries_per_request)
        ));
    }

    #[test]
    fn connections_count_their_work_and_their_open_sockets() {
        // Open connections = arrivals × mean lifetime (Little's law).
        let s = bundled("websocket-crash-storm", &[]);
        let c = s.connections.clone().expect("connections");
        let l = load(&s);
        let open = Arrivals::new(&c.arrivals, c.spike.as_ref()).peak()
            * DurationSampler::new(&c.lifetime).mean().as_secs_f64();
        assert!(close(l.live_connections.expect("open"), open));
        assert!(l.connection_work > 0.0);
    }

    #[test]
    fn connections_recycled_by_max_age_handshake_again() {
        // 10 users/s, each for 600 s on average (exponential). A 5 ms handshake each, and with
        // sessions in Redis one operation each: 10/s from arrivals, plus with a 60 s max_age
        // 10 × q / (1 − q), q = e^(−60/600), recycled connections a second (≈ 95.1). Work:
        // 10 × 0.005 = 0.05 worker-s/s, then (10 + 95.1) × 0.005 ≈ 0.53.
        let sets = [
            "connections.arrivals={rate: 10}",
            "connections.lifetime={dist: exponential, mean: 600s}",
            "connections.handshake={dist: constant, value: 5ms}",
            "connections.messages={rate: 0}",
            "sessions.store=redis",
        ];
        let kept = load(&bundled("websocket-crash-storm", &sets));
        assert!(
            close(kept.connection_work, 0.05),
            "{}",
            kept.connection_work
        );
        assert!(close(kept.redis.expect("redis").offered, 10.0));
        let mut with_age = sets.to_vec();
        with_age.push("connections.max_age=60s");
        let recycled = load(&bundled("websocket-crash-storm", &with_age));
        let q = (-0.1_f64).exp();
        let handshakes = 10.0 + 10.0 * q / (1.0 - q);
        assert!((handshakes - 105.1).abs() < 0.05, "{handshakes}");
        assert!(close(recycled.connection_work, handshakes * 0.005));
        assert!(close(recycled.redis.expect("redis").offered, handshakes));
    }
}
