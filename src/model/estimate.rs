//! What a run will cost, from the scenario's arithmetic alone, before anything is simulated.
//!
//! A scenario that validates can still ask for a night of simulation or more memory than the
//! machine has: a rate of 10⁹ sessions per second, a health check every nanosecond, ten years of
//! simulated time, four billion instances. [`estimate`] sizes a run from its means and upper
//! bounds — no randomness, no simulation — and names the fields behind each part of the cost, so
//! that the caller can refuse a run beyond a budget with a message that says what to change.
//!
//! The figures are estimates, meant to be right within a small factor for ordinary scenarios and
//! never to miss an explosion:
//!
//! - **Work** is counted in events, the unit the run loop spends ~50–100 ns on. Steps that scan
//!   the fleet (an autoscaler evaluation, a window's close with connections or jobs, a
//!   scheduled crash that picks its victim) count one event per 16 instances scanned, about
//!   what a scan costs; a least-connections pick walks a min-tree, log2 of the fleet's size,
//!   and a crash goes through what its instance holds.
//! - **Retries** are counted at their worst: every attempt fails and is retried as soon as the
//!   backoff allows, up to `retries` times or as many as fit in the run. With no backoff and no
//!   balancer hop, a failure retries at the same instant: the run cannot end, and the estimate
//!   is infinite.
//! - **Reconnects** of long-lived connections are counted at their worst while attempts are
//!   refused: during an outage, or while instances are kept full (an overloaded fleet or tier, a
//!   slowed instance or store), every user who wants a connection retries at the reconnect
//!   pace. So do the users beyond what `max_per_instance` lets the instances in rotation hold,
//!   counted as a Poisson population against the fewest instances the timeline leaves in
//!   rotation (a deploy, a crash, a scale-in) — per instance for users pinned to one — each
//!   for as long as it waits for a place, its policy's delays growing meanwhile. Users
//!   whose connections drop together (a crash, a drain, a failover) come back as a herd that
//!   the fleet admits at its handshake rate; the rest of the herd retries meanwhile. On an
//!   overloaded fleet with immediate reconnects this overstates the work several times over,
//!   which is the side to err on.
//! - **Memory** is the peak of what the model holds: live sessions (Little's law at the peak
//!   rate), requests in flight (bounded by the fleet's workers and queues), instance records
//!   (every instance ever launched keeps one), the time series (one row per window) and the
//!   pending events, at the sizes of the model's own types.

use std::mem::size_of;

use statrs::distribution::{Continuous, ContinuousCDF, DiscreteCDF, Normal, Poisson};

use crate::engine::{SimDuration, SimTime, NANOS_PER_SEC};
use crate::metrics::WindowRow;
use crate::model::arrivals::Arrivals;
use crate::model::instance::Instance;
use crate::model::load::Load;
use crate::model::sampling::DurationSampler;
use crate::model::sim::connections::{Message, User};
use crate::model::sim::jobs::Job;
use crate::model::sim::Task;
use crate::model::sim::{Request, Session};
use crate::model::slab::Neighbours;
use crate::scenario::{
    Action, Affinity, Algorithm, BalancerConfig, Connections, CountDist, Delivery, JobTrigger,
    Pick, RateProfile, Reconnect, ReconnectPolicy, Scenario, Spike,
};

/// Instances a scan visits for the cost of one event.
const SCAN_PER_EVENT: f64 = 16.0;

/// Bytes held per instance besides its record: balancer and recorder entries, autoscaler marks,
/// a database pool entry or two. A rough allowance, not a measurement.
const PER_INSTANCE_EXTRA: f64 = 64.0;

/// Bytes per pending event in the queue (time, sequence number, event).
const PER_EVENT_ENTRY: f64 = 32.0;

/// Bytes of a record's place in its owner's list (`slab::Neighbours`).
const LINKS: f64 = size_of::<Neighbours>() as f64;

/// The fixed cost of a run: histograms (three of ~184 KiB) and the rest of the recorder.
const FIXED_BYTES: f64 = 1.0e6;

/// One part of a run's cost and the scenario fields that drive it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Driver {
    /// What costs, in words (`sessions and their requests`).
    pub(crate) what: &'static str,
    /// The fields to change to make it smaller, as written in a scenario (empty: a fixed cost).
    pub(crate) fields: &'static str,
    /// Events (work) it adds.
    pub(crate) events: f64,
    /// Bytes it holds at the peak.
    pub(crate) bytes: f64,
}

/// The size of a run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Estimate {
    /// Events the run loop will process (work), at most.
    pub(crate) events: f64,
    /// Bytes the model holds at its peak.
    pub(crate) bytes: f64,
    /// The parts, largest first by events then bytes; parts that cost nothing are left out.
    pub(crate) drivers: Vec<Driver>,
}

impl Estimate {
    /// The drivers that make up at least a tenth of the events or of the memory: what a refusal
    /// names.
    pub(crate) fn main_drivers(&self) -> impl Iterator<Item = &Driver> {
        self.drivers
            .iter()
            .filter(|d| d.events >= self.events / 10.0 || d.bytes >= self.bytes / 10.0)
    }
}

/// Sizes a run of `scenario` (see the module documentation for what is counted and how).
pub(crate) fn estimate(scenario: &Scenario) -> Estimate {
    let duration_s = scenario.duration.as_secs_f64();
    let per_s = |d: SimDuration| -> f64 {
        if d.is_zero() {
            f64::INFINITY
        } else {
            duration_s * NANOS_PER_SEC as f64 / d.as_nanos() as f64
        }
    };
    let mut drivers = Vec::new();

    // --- the fleet's size -------------------------------------------------------------------
    let instances = peak_instances(scenario);
    let launches = launches(scenario, instances, duration_s);

    // --- sessions and requests --------------------------------------------------------------
    let arrivals = Arrivals::new(
        &scenario.workload.arrivals,
        scenario.workload.spike.as_ref(),
    );
    let peak_rate = arrivals.peak();
    let mean_rate = mean_rate(
        &scenario.workload.arrivals,
        scenario.workload.spike.as_ref(),
        scenario,
    );
    let sessions = mean_rate * duration_s;
    let per_session = mean_requests(&scenario.workload.session.requests);
    let requests = sessions * per_session;
    let think = DurationSampler::new(&scenario.workload.session.think_time)
        .mean()
        .as_secs_f64();
    let service = DurationSampler::new(&scenario.instances.service_time)
        .mean()
        .as_secs_f64();
    let timeout = scenario.workload.timeout.as_secs_f64();
    // A session lives for its requests and the thinking between them (a request takes at most
    // its timeout); Little's law at the peak rate gives the sessions live at once.
    let lifetime = per_session * (think + service.min(timeout));
    let live_sessions = (peak_rate * lifetime).min(sessions.max(1.0));
    // The roomiest group's places: an upper bound on what one instance holds.
    let slots = scenario
        .instances
        .fleet_groups()
        .iter()
        .map(|g| f64::from(g.workers) + f64::from(g.queue))
        .fold(0.0, f64::max);
    let in_flight = live_sessions.min(instances * slots);
    // Thinning draws candidates at the peak rate; each request is a send and a completion.
    // A least-connections pick walks the balancer's min-tree over the fleet: about log2 of the
    // fleet's size in nodes, each about an instance of a scan.
    let routing_scan = match scenario.balancer.algorithm {
        Algorithm::LeastConnections | Algorithm::WeightedLeastConnections => {
            instances.log2().max(1.0) / SCAN_PER_EVENT
        }
        _ => 0.0,
    };
    // Requests are listed by the instance holding them, sessions by the one their cookie pins
    // them to; the lists' links live beside the records.
    let pin_links = if scenario.balancer.affinity == Affinity::Cookie {
        LINKS
    } else {
        0.0
    };
    drivers.push(Driver {
        what: "sessions and their requests",
        fields: "duration, workload.arrivals, workload.session.requests",
        events: peak_rate * duration_s + requests * 2.0,
        bytes: live_sessions * (size_of::<Session>() as f64 + pin_links + PER_EVENT_ENTRY)
            + in_flight * (size_of::<Request>() as f64 + LINKS + PER_EVENT_ENTRY),
    });

    let retries = worst_retries(scenario);
    if retries > 0.0 {
        drivers.push(Driver {
            what: "retries of failed requests (at worst)",
            fields: "workload.retries, workload.retry_backoff",
            events: requests * retries * 2.0,
            bytes: 0.0,
        });
    }
    if routing_scan > 0.0 {
        drivers.push(Driver {
            what: "least-connections routing (a walk down the fleet's min-tree per request)",
            fields: "balancer.algorithm, instances.count",
            events: requests * (1.0 + retries) * routing_scan,
            bytes: 0.0,
        });
    }

    if let Some(c) = &scenario.connections {
        connections(c, scenario, instances, duration_s, &mut drivers);
    }

    if let Some(j) = &scenario.jobs {
        // One completion per job, and as many again at worst for runs handed out again or
        // killed; the backlog by Little's law at the peak rate, four times over for queueing.
        let share = match j.trigger {
            JobTrigger::PerRequest(p) => p.clamp(0.0, 1.0),
            JobTrigger::Every(k) => 1.0 / f64::from(k.max(1)),
        };
        let jobs = requests * (1.0 + retries) * share;
        let job_time = DurationSampler::new(&j.service_time).mean().as_secs_f64();
        let peak_jobs = peak_rate * per_session * share;
        let held = (peak_jobs * job_time * 4.0).min(jobs);
        drivers.push(Driver {
            what: "background jobs",
            fields: "jobs.per_request, jobs.every, jobs.service_time",
            events: jobs * 2.0,
            bytes: held * (size_of::<Job>() as f64 + PER_EVENT_ENTRY),
        });
    }

    // --- the fleet --------------------------------------------------------------------------
    let instance_bytes = size_of::<Instance>() as f64 + PER_INSTANCE_EXTRA;
    drivers.push(Driver {
        what: "instances (every launch keeps a record)",
        fields: "instances.count, autoscaler.max, events (scale, crash)",
        events: launches * 4.0,
        bytes: launches * instance_bytes + instances * PER_EVENT_ENTRY,
    });
    drivers.push(Driver {
        what: "health checks",
        fields: "balancer.health_check.interval, instances.count",
        events: instances * per_s(scenario.balancer.health_check.interval),
        bytes: 0.0,
    });
    if let Some(a) = &scenario.autoscaler {
        drivers.push(Driver {
            what: "autoscaler evaluations",
            fields: "autoscaler.interval",
            events: per_s(a.interval) * (1.0 + instances / SCAN_PER_EVENT),
            bytes: 0.0,
        });
    }
    let windows = per_s(scenario.report.window).ceil();
    // The fleet's counts are kept as it changes; a window's close passes over the instances
    // only for the connections' spread and the jobs' waiting lines.
    let scanned = if scenario.connections.is_some() || scenario.jobs.is_some() {
        instances / SCAN_PER_EVENT
    } else {
        0.0
    };
    drivers.push(Driver {
        what: "report windows",
        fields: "report.window, duration",
        events: windows * (1.0 + scanned),
        bytes: windows * size_of::<WindowRow>() as f64,
    });
    if let Some(db) = &scenario.database {
        // Pool entries and execution slots are kept only while in use: at most one per request
        // in flight.
        let held = in_flight.min(f64::from(db.max_connections))
            + in_flight.min(instances * f64::from(db.pool_per_instance));
        drivers.push(Driver {
            what: "database connections in use",
            fields: "database.max_connections, database.pool_per_instance",
            events: 0.0,
            bytes: held * 16.0,
        });
    }
    if scenario.mtbf.is_some() || has_crashes(scenario) {
        // A crash goes through what its instance holds: its requests, and the sessions pinned to
        // it or keeping their state there. A scheduled crash that picks its victim by load or at
        // random looks through the fleet first.
        let crashes = (launches - f64::from(scenario.instances.count)).max(0.0);
        let held = (in_flight + live_sessions) / instances.max(1.0);
        let picks = crashes_picking_by_looking(scenario) * instances;
        drivers.push(Driver {
            what: "crashes (each goes through what its instance holds)",
            fields: "events (crash, mtbf)",
            events: (crashes * (1.0 + held) + picks) / SCAN_PER_EVENT,
            bytes: 0.0,
        });
    }
    drivers.push(Driver {
        what: "histograms and counters (fixed)",
        fields: "",
        events: 0.0,
        bytes: FIXED_BYTES,
    });

    drivers.retain(|d| d.events > 0.0 || d.bytes > 0.0);
    drivers.sort_by(|a, b| {
        b.events
            .total_cmp(&a.events)
            .then(b.bytes.total_cmp(&a.bytes))
    });
    Estimate {
        events: drivers.iter().map(|d| d.events).sum(),
        bytes: drivers.iter().map(|d| d.bytes).sum(),
        drivers,
    }
}

pub(super) fn mean_requests(dist: &CountDist) -> f64 {
    match *dist {
        CountDist::Constant { value } => f64::from(value.max(1)),
        CountDist::Uniform { min, max } => (f64::from(min.max(1)) + f64::from(max.max(1))) / 2.0,
        CountDist::Geometric { mean } => mean.max(1.0),
    }
}

/// The mean arrival rate over the run: the profile sampled at the middles of 4,096 equal slices
/// (exact for a constant rate; a spike is added from its own length, which sampling may miss).
fn mean_rate(profile: &RateProfile, spike: Option<&Spike>, scenario: &Scenario) -> f64 {
    const SLICES: u64 = 4096;
    let end = scenario.duration.as_nanos();
    if end == 0 {
        return 0.0;
    }
    let arrivals = Arrivals::new(profile, spike);
    let base = Arrivals::new(profile, None);
    let sampled = (0..SLICES)
        .map(|i| {
            let t = (u128::from(end) * u128::from(2 * i + 1) / u128::from(2 * SLICES)) as u64;
            base.rate_at(crate::engine::SimTime(t))
        })
        .sum::<f64>()
        / SLICES as f64;
    let spike = spike.map_or(0.0, |s| {
        let inside = s.duration.as_nanos().min(end.saturating_sub(s.at.0)) as f64;
        (s.multiplier - 1.0).max(0.0) * base.rate_at(s.at) * inside / end as f64
    });
    (sampled + spike).min(arrivals.peak())
}

/// Long-lived connections: each user's arrival, attempts, handshake and leaving, its
/// reconnects (one per `max_age`, and one per crash of its instance), and its messages with
/// their fan-out (a delivery per instance reached, each scanning its room's members).
fn connections(
    c: &Connections,
    scenario: &Scenario,
    instances: f64,
    duration_s: f64,
    drivers: &mut Vec<Driver>,
) {
    let peak_rate = Arrivals::new(&c.arrivals, c.spike.as_ref()).peak();
    let users = mean_rate(&c.arrivals, c.spike.as_ref(), scenario) * duration_s;
    let lifetime = DurationSampler::new(&c.lifetime).mean().as_secs_f64();
    let open = (peak_rate * lifetime).min(users.max(1.0));
    let stay = lifetime.min(duration_s);
    // Attempts per user without refusals: its first, one per `max_age`, one per crash of its
    // instance.
    let mut attempts = 1.0;
    if let Some(age) = c.max_age {
        attempts += stay / age.as_secs_f64().max(1e-9);
    }
    let crashes = if scenario.mtbf.is_some() || has_crashes(scenario) {
        (launches(scenario, instances, duration_s) - instances).max(1.0)
    } else {
        0.0
    };
    attempts += crashes / instances.max(1.0);
    // Refused attempts come back after a hop and the policy's first delay (full jitter: its
    // mean). With neither, a refusal retries at the same instant and a refused run never ends.
    let hop = scenario.balancer.hop_latency.as_secs_f64();
    let r = &c.reconnect;
    let first_delay = match r.policy {
        ReconnectPolicy::Immediate => 0.0,
        ReconnectPolicy::Fixed | ReconnectPolicy::Exponential => r.base.as_secs_f64(),
        ReconnectPolicy::ExponentialJitter => r.base.as_secs_f64() / 2.0,
    };
    let pace = hop + first_delay;
    let handshake = DurationSampler::new(&c.handshake).mean().as_secs_f64();
    let load = super::load::load(scenario);
    let (saturated, refusal_storms) = if pace > 0.0 {
        // An attempt refused by a busy instance is retried until a worker frees, a handshake
        // later. While the fleet refuses everyone it could reach — an outage, or instances kept
        // full by an overload — every user who wants a connection retries at the pace: at most
        // the users open at once (Little's law) for those seconds.
        //
        // With no instance in rotation — every one crashed and none replaced, say — everyone
        // is refused, and so while the instances left cannot carry the fleet's load; with
        // some, the users beyond what `max_per_instance` lets them hold retry for as long as
        // the fleet is that small.
        let floor = rotation_floor(scenario, duration_s);
        // (An autoscaler adds instances as the load asks: the floor, at its minimum, is not
        // what carries the load.)
        let carried = if scenario.autoscaler.is_some() {
            0.0
        } else {
            load.peak_utilization() * f64::from(load.instances)
        };
        let empty_s: f64 = floor
            .iter()
            .filter(|s| s.1 < 1.0 || carried >= s.1)
            .map(|s| s.0)
            .sum();
        let over_limit = c.max_per_instance.map_or(0.0, |m| {
            over_limit_attempts(scenario, &floor, open, m, lifetime, r, hop)
        });
        let refusing = refusing_seconds(scenario, &load, c, handshake, instances, duration_s);
        let refused_s = (refusing + empty_s).min(duration_s);
        // The exponential policies' delays grow while a user is refused, so its attempts grow
        // more slowly than the span: counted as if the refused seconds were split evenly over
        // as many spans as the timeline, the floor and the crashes could make, an upper bound
        // of the attempts over any split of them (fewer the longer the span).
        let spans = (scenario.events.len() + floor.len()) as f64 + crashes + 1.0;
        let storms = open * spans * refused_attempts(r, hop, refused_s / spans);
        (1.0 + handshake / pace, storms + over_limit)
    } else {
        (f64::INFINITY, f64::INFINITY)
    };
    let attempts = users * attempts * saturated + refusal_storms;
    // A herd's refused attempts cost one event each (the attempt; its retry is the next one).
    let herds = if pace > 0.0 {
        herd_user_seconds(
            scenario,
            &load,
            c,
            handshake,
            pace,
            peak_rate * lifetime,
            lifetime,
        ) / pace
    } else {
        0.0
    };
    drivers.push(Driver {
        what: "connection users, handshakes and reconnects",
        fields: "connections.arrivals, connections.lifetime, connections.max_age",
        // Arrival and leaving, and per attempt: the attempt, its timeout timer, the handshake.
        events: peak_rate * duration_s + users + 3.0 * attempts + herds,
        bytes: open * (size_of::<User>() as f64 + 2.0 * PER_EVENT_ENTRY)
            + f64::from(c.rooms.count) * 24.0,
    });
    // Open connections at the peak, each sending at its rate for the whole run: an upper
    // bound of the messages sent.
    let sent = open * c.message_rate * duration_s;
    if sent > 0.0 {
        let members = (open / f64::from(c.rooms.count)).max(1.0);
        let fanout = match c.delivery {
            Delivery::Local => 0.0,
            Delivery::RedisPubsub => instances,
            Delivery::ShardedPubsub => instances.min(members),
        };
        let handled = 1.0 + fanout;
        // A message: its timer, the sender's task, a publish, the deliveries; each handling
        // scans the room.
        let events = sent * (2.0 + fanout.min(1.0) + handled * (1.0 + members / SCAN_PER_EVENT));
        // Messages on their way: about a hundredth of a second's worth (handling times are
        // milliseconds), each with its tasks.
        let in_flight = sent / duration_s.max(1e-9) * 0.01;
        drivers.push(Driver {
            what: "messages and their deliveries",
            fields: "connections.messages.rate, connections.delivery, connections.rooms",
            events,
            bytes: in_flight * (size_of::<Message>() as f64 + handled * size_of::<Task>() as f64),
        });
    }
}

/// Reconnect attempts a user makes while refused for `span` seconds, after its first: one per
/// hop and delay that fits, the exponential policies' delays doubling from `base` up to `cap`
/// (with full jitter, half of that on average), the last one in part. `span / pace` for the
/// policies whose delay is fixed.
fn refused_attempts(r: &Reconnect, hop: f64, span: f64) -> f64 {
    let base = r.base.as_secs_f64();
    let cap = r.cap.as_secs_f64();
    let jitter = match r.policy {
        ReconnectPolicy::Immediate => return span / hop,
        ReconnectPolicy::Fixed => return span / (hop + base),
        ReconnectPolicy::Exponential => 1.0,
        ReconnectPolicy::ExponentialJitter => 0.5,
    };
    let (mut delay, mut at, mut attempts) = (base.min(cap), 0.0, 0.0);
    loop {
        let pace = hop + delay * jitter;
        if pace <= 0.0 {
            return f64::INFINITY;
        }
        // At the cap (or a delay of zero, which never grows) the pace stays as it is.
        if delay >= cap || delay <= 0.0 || at + pace >= span {
            return attempts + (span - at) / pace;
        }
        at += pace;
        attempts += 1.0;
        delay = (delay * 2.0).min(cap);
    }
}

/// User-seconds spent in reconnect herds, each retried at the reconnect pace.
///
/// Connections dropped together — by a crash, a deploy's or a scale-in's drain, a balancer's
/// failover — all ask again at once, and the instances in rotation admit them only as fast as
/// their free workers finish handshakes; the others are refused (every worker busy, the queue
/// full) and try again. `D` users arriving evenly over `C` seconds at a fleet that admits `H`
/// per second build a backlog `B = D − H·C` (if positive) over those seconds, which drains in
/// `B/H`: ½·B·(C + B/H) user-seconds of waiting, ½·D²/H for a drop all at once. A drain closes
/// its connections over `connections.drain.close_over`, at most until the instance stops.
///
/// Each instance is taken to hold its share of the connections open when the herd starts —
/// `open × (1 − e^(−t/lifetime))` at `t` seconds into the run, the M/G/∞ population's mean
/// for exponential lifetimes and close for others — and to admit
/// `workers × speed × (1 − utilization) / handshake` per second, the utilization being the
/// fleet's load shared by the instances left; instances a deploy or a replacement launches
/// are still warming up, slowed by the warm-up's factor, and one slowed by a `slow-instance`
/// running then admits `factor` times fewer, with `factor` times less room. Steps of one
/// deploy come a boot apart and are counted as separate herds. Reconnects without jitter keep
/// a herd dropped at once in step: it comes back whole at every reconnect pace `p`, and the
/// instances admit at most their free places (idle workers and queue) each time, `places / p`
/// per second, however fast their handshakes.
fn herd_user_seconds(
    scenario: &Scenario,
    load: &Load,
    c: &Connections,
    handshake: f64,
    pace: f64,
    open: f64,
    lifetime: f64,
) -> f64 {
    if handshake <= 0.0 || open <= 0.0 {
        return 0.0;
    }
    let groups = scenario.instances.fleet_groups();
    let total: f64 = groups
        .iter()
        .map(|g| f64::from(g.count))
        .sum::<f64>()
        .max(1.0);
    let open_at = |at: SimTime| {
        if lifetime <= 0.0 {
            0.0
        } else {
            open * (1.0 - (-at.as_secs_f64() / lifetime).exp())
        }
    };
    let busiest = load.peak_utilization();
    // Handshakes an instance finishes per second with every worker free.
    let per_instance_rate = groups
        .iter()
        .map(|g| f64::from(g.count) * f64::from(g.workers) * g.speed)
        .sum::<f64>()
        / total
        / handshake;
    let warming = if scenario.instances.warmup.duration.is_zero() {
        1.0
    } else {
        scenario.instances.warmup.slowdown.max(1.0)
    };
    // The most a `slow-instance` slows one instance at `at`.
    let slowed_at = |at: SimTime| {
        scenario
            .events
            .iter()
            .filter_map(|e| match e.action {
                Action::SlowInstance {
                    factor, duration, ..
                } if e.at <= at && at < e.at + duration => Some(factor.max(1.0)),
                _ => None,
            })
            .fold(1.0, f64::max)
    };
    // Admissions per second of `n` instances in rotation at `at` (warming up if `fresh`): the
    // workers the fleet's load leaves free, its load now shared by `n` (a saturated fleet is
    // counted whole elsewhere; a sliver keeps the herd finite), one of them slowed by a
    // `slow-instance` running then.
    let admits = |n: f64, at: SimTime, fresh: bool| -> f64 {
        if n < 1.0 {
            return 0.0;
        }
        let each = per_instance_rate / if fresh { warming } else { 1.0 };
        let shared = busiest * total / n;
        let slowed = slowed_at(at);
        let free = |factor: f64| (1.0 - shared * factor).max(0.05) / factor;
        each * ((n - 1.0) * free(1.0) + free(slowed))
    };
    let deregistration = scenario.balancer.deregistration_delay;
    let spread = c
        .close_over
        .min(deregistration.min(scenario.instances.termination_grace))
        .as_secs_f64();
    // Places an instance has free at an instant: the workers the load leaves idle, and its
    // queue.
    let (workers, queue) = groups.iter().fold((0.0, 0.0), |(w, q), g| {
        let n = f64::from(g.count) / total;
        (w + n * f64::from(g.workers), q + n * f64::from(g.queue))
    });
    let in_step = !matches!(c.reconnect.policy, ReconnectPolicy::ExponentialJitter);
    // ½·B·(C + B/H) for `dropped` users over `over` seconds into `rate` admissions per second,
    // `n` instances admitting them. Retries without jitter stay in step: users dropped within
    // one reconnect pace come back together, pace after pace, and each time the instances take
    // no more than the places they have free, whatever their handshake rate.
    let herd = |dropped: f64, over: f64, n: f64, rate: f64| -> f64 {
        let rate = if in_step && over < pace {
            let free = (1.0 - busiest * total / n.max(1.0)).max(0.05);
            rate.min(n * (workers * free + queue) / pace)
        } else {
            rate
        };
        if rate <= 0.0 {
            return 0.0;
        }
        let backlog = (dropped - rate * over).max(0.0);
        0.5 * backlog * (over + backlog / rate)
    };
    let mut total_s = 0.0;
    for e in &scenario.events {
        let per_instance = open_at(e.at) / total;
        total_s += match e.action {
            Action::Crash { count, .. } => {
                let n = f64::from(count).min(total);
                let survivors = total - n;
                let (admitting, rate) = if survivors >= 1.0 {
                    (survivors, admits(survivors, e.at, false))
                } else if scenario.instances.replace {
                    (n, admits(n, e.at, true))
                } else {
                    (0.0, 0.0)
                };
                herd(n * per_instance, 0.0, admitting, rate)
            }
            Action::RollingDeploy {
                max_surge,
                max_unavailable,
            } => {
                let per_step = f64::from(max_surge.saturating_add(max_unavailable).max(1));
                let admitting = (total - f64::from(max_unavailable)).max(1.0);
                let rate = admits(admitting, e.at, true);
                groups
                    .iter()
                    .enumerate()
                    .filter(|&(g, _)| e.group.is_none_or(|only| only as usize == g))
                    .map(|(_, g)| {
                        let n = f64::from(g.count);
                        let k = per_step.min(n);
                        (n / k).ceil() * herd(k * per_instance, spread, admitting, rate)
                    })
                    .sum()
            }
            Action::Scale { to } if f64::from(to) < total => {
                let to = f64::from(to);
                let rate = admits(to, e.at, false);
                herd((total - to) * per_instance, spread, to, rate)
            }
            Action::LbFailure if scenario.balancer.standby.is_some() => {
                herd(open_at(e.at), 0.0, total, admits(total, e.at, false))
            }
            _ => 0.0,
        };
    }
    if let Some(m) = &scenario.mtbf {
        let duration_s = scenario.duration.as_secs_f64();
        let from = m.from.as_secs_f64();
        let crashes = total * ((duration_s - from).max(0.0) / m.mean.as_secs_f64().max(1e-9));
        let at = m.from;
        let (admitting, rate) = if total >= 2.0 {
            (total - 1.0, admits(total - 1.0, at, false))
        } else {
            (1.0, admits(1.0, at, true))
        };
        total_s += crashes * herd(open / total, 0.0, admitting, rate);
    }
    total_s
}

/// Attempts refused for want of room: the users the fleet has no place for retry, each at its
/// reconnect policy's pace, until a place frees or their lifetime ends.
///
/// The users wanting a connection at once are an M/G/∞ population: Poisson with mean `open`.
/// While the instances in rotation hold `c = limit × ready` connections, the users left over
/// number E[(N − c)⁺] on average — a mean-based `open` compared with `c` would miss the storms
/// of an ordinary fluctuation above it. `ready` is the fewest instances the timeline can leave in
/// rotation ([`rotation_floor`]); spans with none count as outages instead.
///
/// A refused attempt goes back to the balancer, which spreads it anew; but a user pinned to an
/// instance — by a cookie, by hashing its key or its address — retries that instance until a
/// place frees there, so the users pinned to each of the `k` instances they spread over are a
/// population of their own, of mean `open / k`, beside `limit` places. Weighted least
/// connections ranks a full instance by its connections over its weight, which a refusal leaves
/// as they were: once the heaviest instances are full, it keeps choosing them while the lighter
/// ones hold `limit × weight / heaviest`, and the fleet holds that share of its places.
///
/// A population of `E` users left over beside `c` full places is left, on average, by
/// `(c + E) / lifetime` users a second: holders whose lifetime ends free a place, waiting users
/// whose lifetime ends stop trying. Each waits `W = E · lifetime / (c + E)` (Little's law), and
/// `E / W` a second start waiting. A user refused for `W` seconds makes
/// [`refused_attempts`]`(W)` attempts; that count grows ever more slowly with `W` (linearly for
/// a fixed delay, more slowly as exponential delays double), so the mean wait gives at least
/// the mean count, and a `W` taken too short only adds attempts. For a fixed delay the product
/// is `E / pace` attempts a second whatever `W`.
fn over_limit_attempts(
    scenario: &Scenario,
    floor: &[(f64, f64)],
    open: f64,
    limit: u32,
    lifetime: f64,
    reconnect: &Reconnect,
    hop: f64,
) -> f64 {
    // Attempts a second of `excess` users waiting beside `places` full ones: `E / W` of them
    // start waiting a second, `(c + E) / lifetime`.
    let refused_per_second = |excess: f64, places: f64| {
        if excess <= 0.0 || lifetime <= 0.0 {
            return 0.0;
        }
        let wait = excess * lifetime / (places + excess);
        (places + excess) / lifetime * refused_attempts(reconnect, hop, wait)
    };
    let balancer = &scenario.balancer;
    let share = if balancer.algorithm == Algorithm::WeightedLeastConnections {
        let groups = scenario.instances.fleet_groups();
        let heaviest = groups.iter().map(|g| g.weight).max().unwrap_or(1).max(1);
        let (weights, count) = groups.iter().fold((0.0, 0.0), |(w, n), g| {
            let c = f64::from(g.count);
            (w + c * f64::from(g.weight), n + c)
        });
        weights / (count * f64::from(heaviest)).max(1.0)
    } else {
        1.0
    };
    let by_address =
        balancer.affinity == Affinity::SourceIp || balancer.algorithm == Algorithm::IpHash;
    let by_key = !by_address
        && (balancer.affinity == Affinity::Cookie
            || balancer.algorithm == Algorithm::ConsistentHash);
    let addresses = f64::from(scenario.workload.client_ips.max(1));
    floor
        .iter()
        .filter(|&&(_, ready)| ready >= 1.0)
        .map(|&(seconds, ready)| {
            let ready = ready.floor();
            let attempts = if by_address || by_key {
                let k = if by_address {
                    ready.min(addresses)
                } else {
                    ready
                };
                k * refused_per_second(
                    expected_excess(open / k, u64::from(limit)),
                    f64::from(limit),
                )
            } else {
                // A float-to-integer cast saturates: a fleet beyond u64 places holds everyone.
                let places = (f64::from(limit) * ready * share) as u64;
                refused_per_second(expected_excess(open, places), places as f64)
            };
            seconds * attempts
        })
        .sum()
}

/// E[(N − c)⁺] for N ~ Poisson(`mean`) and `c = places`: λ·P(N ≥ c) − c·P(N ≥ c + 1), exactly
/// up to a mean of 10⁴; beyond, the normal approximation (with continuity correction), which is
/// as close there and costs no series of √λ terms.
fn expected_excess(mean: f64, places: u64) -> f64 {
    if mean.is_nan() || mean <= 0.0 {
        return 0.0;
    }
    if places == 0 || mean.is_infinite() {
        return mean;
    }
    let c = places as f64;
    if mean <= 1e4 {
        let n = Poisson::new(mean).expect("a positive, finite mean");
        return (mean * n.sf(places - 1) - c * n.sf(places)).max(0.0);
    }
    let sigma = mean.sqrt();
    let z = (c + 0.5 - mean) / sigma;
    let unit = Normal::standard();
    (sigma * (unit.pdf(z) - z * unit.sf(z))).max(0.0)
}

/// The fewest instances the timeline can leave in rotation, as `(seconds, instances)` spans
/// covering the run. From the initial groups (an autoscaled group at its minimum, where the
/// autoscaler may take it), each step lowers or raises the floor:
///
/// - `scale` to a smaller size lowers it at once; to a larger one raises it once the new
///   instances have booted and passed their health checks.
/// - A `rolling-deploy` takes up to `max_unavailable` of each group it rolls out of rotation, for
///   as many steps as the group needs (`count / (max_surge + max_unavailable)`), each a boot and
///   the health checks that put the new instance in rotation. A deploy started while another
///   runs replaces it without giving back what it took: the two hold the floor down by the
///   most either takes, to the end of the later one.
/// - A scheduled `crash` takes its instances until a replacement is in rotation, or for the
///   rest of the run without `replace`.
/// - Random crashes (`mtbf`) take their expected share: with `replace`, the instances a crash
///   rate keeps down at once; without, the fleet thins out as `e^(−t/mtbf)`.
fn rotation_floor(scenario: &Scenario, duration_s: f64) -> Vec<(f64, f64)> {
    let groups = scenario.instances.fleet_groups();
    let hc = &scenario.balancer.health_check;
    let boot = scenario.instances.boot_time.as_secs_f64();
    let to_rotation = boot + hc.interval.as_secs_f64() * f64::from(hc.healthy_threshold);
    let detection = hc.interval.as_secs_f64() * f64::from(hc.unhealthy_threshold + 1);
    let autoscaled = scenario
        .autoscaler
        .as_ref()
        .map(|a| (a.group.unwrap_or(0), a.min));
    let mut count: Vec<f64> = groups
        .iter()
        .enumerate()
        .map(|(g, group)| match autoscaled {
            Some((scaled, min)) if scaled as usize == g => f64::from(group.count.min(min)),
            _ => f64::from(group.count),
        })
        .collect();
    let start: f64 = count.iter().sum();
    // Changes of the floor: (from, by).
    let mut changes: Vec<(f64, f64)> = Vec::new();
    let mut deploys: Vec<(f64, f64, f64)> = Vec::new(); // (from, to, instances taken)
    let mut events: Vec<_> = scenario.events.iter().collect();
    events.sort_by_key(|e| e.at);
    for e in events {
        let at = e.at.as_secs_f64();
        match e.action {
            Action::Scale { to } => {
                let g = e.group.unwrap_or(0) as usize;
                let by = f64::from(to) - count[g];
                count[g] = f64::from(to);
                changes.push((if by > 0.0 { at + to_rotation } else { at }, by));
            }
            Action::RollingDeploy {
                max_surge,
                max_unavailable,
            } => {
                let per_step = f64::from(max_surge.saturating_add(max_unavailable).max(1));
                let (mut taken, mut steps) = (0.0_f64, 0.0_f64);
                for (g, &n) in count.iter().enumerate() {
                    if e.group.is_none_or(|only| only as usize == g) {
                        taken += n.min(f64::from(max_unavailable));
                        steps = steps.max((n / per_step).ceil());
                    }
                }
                deploys.push((at, at + steps * to_rotation, taken));
            }
            Action::Crash { count: n, .. } => {
                changes.push((at, -f64::from(n)));
                if scenario.instances.replace {
                    changes.push((at + detection + to_rotation, f64::from(n)));
                }
            }
            _ => {}
        }
    }
    // Overlapping deploys hold the floor down together, by the most either takes.
    let mut chain: Option<(f64, f64, f64)> = None;
    for (from, to, taken) in deploys {
        chain = match chain {
            Some((f, t, k)) if from <= t => Some((f, t.max(to), k.max(taken))),
            done => {
                if let Some((f, t, k)) = done {
                    changes.extend([(f, -k), (t, k)]);
                }
                Some((from, to, taken))
            }
        };
    }
    if let Some((f, t, k)) = chain {
        changes.extend([(f, -k), (t, k)]);
    }
    // Random crashes: replaced, a steady share down from their start; not, a share that grows,
    // taken in sixteenths of the rest of the run, each at its end (the most it reaches).
    if let Some(m) = &scenario.mtbf {
        let from = m.from.as_secs_f64();
        let mean = m.mean.as_secs_f64().max(1e-9);
        if scenario.instances.replace {
            changes.push((from, -start * ((detection + to_rotation) / mean).min(1.0)));
        } else {
            let slice = (duration_s - from).max(0.0) / 16.0;
            let mut down = 0.0;
            for k in 1..=16 {
                let t = from + slice * f64::from(k);
                let now = start * (1.0 - (-(t - from) / mean).exp());
                changes.push((t - slice, down - now));
                down = now;
            }
        }
    }
    changes.retain(|&(at, _)| at < duration_s);
    changes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut spans = Vec::with_capacity(changes.len() + 1);
    let (mut at, mut ready) = (0.0_f64, start);
    for (when, by) in changes {
        let when = when.max(0.0);
        if when > at {
            spans.push((when - at, ready.max(0.0)));
            at = when;
        }
        ready += by;
    }
    spans.push((duration_s - at, ready.max(0.0)));
    spans
}

/// Seconds of the run during which attempts are refused, each weighted by the share of them
/// refused, at most the whole run: the outages ([`outage_seconds`]) and the spans in which
/// instances are kept full ([`saturated_seconds`]).
fn refusing_seconds(
    scenario: &Scenario,
    load: &Load,
    c: &Connections,
    handshake: f64,
    instances: f64,
    duration_s: f64,
) -> f64 {
    let outage = outage_seconds(scenario, instances, duration_s);
    (outage + saturated_seconds(scenario, load, c, handshake, duration_s)).min(duration_s)
}

/// Seconds during which instances are kept full, weighted by the share of attempts that meet a
/// full one. A full instance refuses every attempt until a place frees; retried at once, such
/// attempts are the storms the estimate must not miss.
///
/// - The whole run, for everyone, when the fleet's utilization (connection work included)
///   reaches 1 at its busiest level, or when a tier its workers wait on (Redis, the database)
///   is offered more than it serves: the tier's backlog grows, and with it the time every
///   worker is held.
/// - A `slow-instance` whose slowed utilization reaches 1, or whose slowed handshakes take at
///   least half the connections' timeout (many time out, and the abandoned handshakes keep its
///   workers), for its duration: a load-aware balancer (least connections, power of two) sends
///   it every attempt — its count of open connections falls as it refuses — other algorithms
///   its `1/instances` share.
/// - A `redis-slowdown` that takes the fleet past 1 with sessions read from Redis, for everyone:
///   for its duration, and past it while the backlog it left drains (the store serves `factor`
///   times fewer operations meanwhile).
fn saturated_seconds(
    scenario: &Scenario,
    load: &Load,
    c: &Connections,
    handshake: f64,
    duration_s: f64,
) -> f64 {
    let utilization = load.peak_utilization();
    let overloaded_tier = [load.redis, load.database]
        .into_iter()
        .flatten()
        .any(|tier| tier.utilization() >= 1.0);
    if utilization >= 1.0 || overloaded_tier {
        return duration_s;
    }
    let patience = c.timeout.as_secs_f64();
    let one_instance = match scenario.balancer.algorithm {
        Algorithm::LeastConnections
        | Algorithm::WeightedLeastConnections
        | Algorithm::PowerOfTwo => 1.0,
        _ => 1.0 / f64::from(load.instances.max(1)),
    };
    let redis_read = load
        .worker_parts
        .iter()
        .find(|(part, _)| *part == "Redis read")
        .map_or(0.0, |&(_, s)| s);
    let left = |at: SimTime| (duration_s - at.as_secs_f64()).max(0.0);
    scenario
        .events
        .iter()
        .map(|e| {
            // The slowed worker time, for how long, and the share of attempts that meet it.
            let (slowed, span, share) = match e.action {
                Action::SlowInstance {
                    factor, duration, ..
                } => {
                    // Handshakes slowed past half the clients' patience: many time out, the
                    // abandoned ones keep the workers, and the instance stays full for the
                    // users who reach it, retrying.
                    let stalled = handshake > 0.0 && handshake * factor >= patience / 2.0;
                    if stalled {
                        return one_instance * duration.as_secs_f64().min(left(e.at));
                    }
                    (
                        factor * load.worker_time,
                        duration.as_secs_f64(),
                        one_instance,
                    )
                }
                Action::RedisSlowdown { factor, duration } => {
                    let d = duration.as_secs_f64();
                    let backlog = load.redis.map_or(0.0, |tier| {
                        (tier.offered - tier.capacity / factor.max(1.0)).max(0.0) * d
                    });
                    if backlog > 0.0 {
                        // The store falls behind: everyone waits until its backlog drains.
                        let tier = load.redis.expect("a backlog is the store's");
                        let span = d + backlog / (tier.capacity - tier.offered);
                        return span.min(left(e.at));
                    }
                    let slowed = load.worker_time + (factor - 1.0).max(0.0) * redis_read;
                    (slowed, d, 1.0)
                }
                _ => return 0.0,
            };
            if load.worker_time <= 0.0 || utilization * slowed / load.worker_time < 1.0 {
                return 0.0;
            }
            share * span.min(left(e.at))
        })
        .sum()
}

/// Seconds during which the balancer refuses everyone a user could reach, summed over the
/// timeline, weighted by the share of users affected: a balancer failure until its standby
/// serves (or the end), a crash until health checks take the instance out of rotation (a
/// `1/instances` share per crash, where the users' retries keep reaching it: see
/// [`retries_stay`]), a Redis outage when sessions live in Redis.
fn outage_seconds(scenario: &Scenario, instances: f64, duration_s: f64) -> f64 {
    let hc = &scenario.balancer.health_check;
    let detection = hc.interval.as_secs_f64() * f64::from(hc.unhealthy_threshold + 1);
    let share = 1.0 / instances.max(1.0);
    let crash_share = if retries_stay(&scenario.balancer) {
        share
    } else {
        0.0
    };
    let mut total = 0.0;
    for e in &scenario.events {
        let left = (duration_s - e.at.as_secs_f64()).max(0.0);
        total += match &e.action {
            Action::LbFailure => scenario
                .balancer
                .standby
                .as_ref()
                .map_or(left, |s| s.failover.as_secs_f64().min(left)),
            Action::Crash { count, .. } => f64::from(*count) * crash_share * detection.min(left),
            Action::RedisOutage { duration, .. }
                if scenario.sessions.store == crate::scenario::SessionStore::Redis =>
            {
                duration.as_secs_f64().min(left)
            }
            _ => 0.0,
        };
    }
    if scenario.mtbf.is_some() {
        let crashes = (launches(scenario, instances, duration_s) - instances).max(1.0);
        total += crashes * share * detection;
    }
    total
}

/// Whether a user refused by a crashed instance the balancer still routes to keeps being sent
/// there until health checks take it out of rotation: pinned to it by a cookie or by a hash of
/// its key or address, or ranked first by a load-aware balancer (least connections, plain or
/// weighted, and power of two), for which the crash dropped its count of open connections to
/// nothing. Round robin, random and weighted round robin spread each attempt anew: a refused
/// user tries another instance next, the users the crash dropped reconnect as a herd
/// ([`herd_user_seconds`]), and a crash that leaves no live instance is an empty rotation
/// ([`rotation_floor`]). Random crashes (`mtbf`) are counted either way.
fn retries_stay(balancer: &BalancerConfig) -> bool {
    balancer.affinity != Affinity::None
        || matches!(
            balancer.algorithm,
            Algorithm::LeastConnections
                | Algorithm::WeightedLeastConnections
                | Algorithm::PowerOfTwo
                | Algorithm::ConsistentHash
                | Algorithm::IpHash
        )
}

/// The most instances alive at once: per group, its initial count, any scale target and the
/// autoscaler's maximum if it resizes that group; summed, plus a deploy's surge (per group it
/// rolls).
fn peak_instances(scenario: &Scenario) -> f64 {
    let groups = scenario.instances.fleet_groups();
    let mut peak: Vec<f64> = groups.iter().map(|g| f64::from(g.count)).collect();
    if let Some(a) = &scenario.autoscaler {
        let g = a.group.unwrap_or(0) as usize;
        peak[g] = peak[g].max(f64::from(a.max));
    }
    let mut surge = 0.0_f64;
    for e in &scenario.events {
        match e.action {
            Action::Scale { to } => {
                let g = e.group.unwrap_or(0) as usize;
                peak[g] = peak[g].max(f64::from(to));
            }
            Action::RollingDeploy { max_surge, .. } => {
                let rolled = if e.group.is_some() {
                    1.0
                } else {
                    groups.len() as f64
                };
                surge = surge.max(f64::from(max_surge) * rolled);
            }
            _ => {}
        }
    }
    peak.iter().sum::<f64>() + surge
}

/// Instances launched over the run: the initial fleet, scale targets and deploys, and a
/// replacement for every random crash.
fn launches(scenario: &Scenario, instances: f64, duration_s: f64) -> f64 {
    let mut launches = instances;
    for e in &scenario.events {
        match e.action {
            Action::RollingDeploy { .. } => launches += instances,
            Action::Crash { count, .. } => launches += f64::from(count),
            _ => {}
        }
    }
    if let Some(m) = &scenario.mtbf {
        let exposed_s = duration_s - m.from.as_secs_f64();
        let mtbf_s = m.mean.as_secs_f64();
        launches += if mtbf_s > 0.0 {
            instances * exposed_s.max(0.0) / mtbf_s
        } else {
            f64::INFINITY
        };
    }
    launches
}

fn has_crashes(scenario: &Scenario) -> bool {
    scheduled_crashes(scenario) > 0.0
}

/// The crash entries among the scenario's events.
fn scheduled_crashes(scenario: &Scenario) -> f64 {
    crash_entries(scenario, |_| true)
}

/// The crash entries that look through the fleet for their victim (the busiest, or one at
/// random); one naming its victim by index, or taking the oldest, goes straight to it.
fn crashes_picking_by_looking(scenario: &Scenario) -> f64 {
    crash_entries(scenario, |pick| {
        matches!(pick, Pick::Busiest | Pick::Random)
    })
}

fn crash_entries(scenario: &Scenario, counted: impl Fn(&Pick) -> bool) -> f64 {
    scenario
        .events
        .iter()
        .filter(|e| matches!(&e.action, Action::Crash { pick, .. } if counted(pick)))
        .count() as f64
}

/// Retries one request can make within the run if every attempt fails at once: up to
/// `retries`, each waiting a balancer hop plus the doubling backoff (capped at 2²⁰ × backoff, as
/// the model caps it).
fn worst_retries(scenario: &Scenario) -> f64 {
    let retries = scenario.workload.retries;
    if retries == 0 {
        return 0.0;
    }
    let hop = scenario.balancer.hop_latency.as_nanos() as f64;
    let backoff = scenario.workload.retry_backoff.as_nanos() as f64;
    let end = scenario.duration.as_nanos() as f64;
    let mut spent = 0.0;
    for k in 0..retries.min(21) {
        spent += hop + backoff * f64::from(1u32 << k.min(20));
        if spent > end {
            return f64::from(k);
        }
    }
    if retries <= 21 {
        return f64::from(retries);
    }
    // From the 21st retry on each waits the same: hop + 2²⁰ × backoff.
    let step = hop + backoff * f64::from(1u32 << 20);
    if step == 0.0 {
        return f64::INFINITY;
    }
    (21.0 + ((end - spent) / step).floor()).min(f64::from(retries))
}

#[cfg(test)]
mod tests {
    use statrs::distribution::Discrete;

    use super::*;
    use crate::scenario;

    fn bundled(name: &str, sets: &[&str]) -> Scenario {
        let sets: Vec<_> = sets.iter().map(|s| s.parse().expect("override")).collect();
        scenario::load(name, &sets).expect("valid")
    }

    #[test]
    fn a_constant_rate_gives_sessions_times_requests_times_two_events() {
        // baseline: find the rate, requests and duration, then the arithmetic:
        // events ≥ rate × duration (arrivals) + sessions × requests × 2.
        let s = bundled("baseline", &["workload.retries=0"]);
        let e = estimate(&s);
        let main = &e.drivers[0];
        assert_eq!(main.what, "sessions and their requests");
        let duration_s = s.duration.as_nanos() as f64 / 1e9;
        let CountDist::Geometric { mean } = s.workload.session.requests else {
            panic!("baseline's requests are geometric");
        };
        let crate::scenario::RateProfile::Constant(rate) = s.workload.arrivals else {
            panic!("baseline's rate is constant");
        };
        let expected = rate * duration_s * (1.0 + mean * 2.0);
        assert!(
            (main.events - expected).abs() < 1e-6 * expected,
            "{} vs {expected}",
            main.events
        );
    }

    #[test]
    fn a_least_connections_pick_costs_the_log_of_the_fleet() {
        // The min-tree walk: requests × log2(instances) / 16 events, so a fleet 100 times as
        // large costs log2(400,000) / log2(4,000) ≈ 1.56 times as much routing, not 100 times.
        let routing = |n: u32| {
            let count = format!("instances.count={n}");
            let s = bundled(
                "baseline",
                &[
                    "workload.retries=0",
                    "balancer.algorithm=least-connections",
                    &count,
                ],
            );
            let e = estimate(&s);
            let events = e.drivers[0].events; // arrivals + 2 events per request
            let d = e
                .drivers
                .iter()
                .find(|d| d.what.starts_with("least-connections routing"))
                .expect("a routing driver");
            (d.events, events)
        };
        let (small, _) = routing(4_000);
        let (large, events) = routing(400_000);
        let ratio = large / small;
        let expected = 400_000f64.log2() / 4_000f64.log2();
        assert!((ratio - expected).abs() < 1e-9, "{ratio} vs {expected}");
        assert!(
            large < events,
            "routing {large:.3e} vs requests {events:.3e}"
        );
    }

    #[test]
    fn retries_without_backoff_or_hop_can_never_end() {
        let s = bundled(
            "baseline",
            &[
                "workload.retries=4294967295",
                "workload.retry_backoff=0s",
                "balancer.hop_latency=0s",
            ],
        );
        assert!(estimate(&s).events.is_infinite());
    }

    #[test]
    fn retries_are_bounded_by_the_time_they_need() {
        // 1 ms backoff, doubling, no hop: retry k (from 0) waits 2^k ms. Retries 0..=19 take
        // 2^20 − 1 ms ≈ 17.5 min in all; the next would end at ≈ 35 min, past the 20-minute
        // run. So 20 retries at most, whatever `retries` says.
        let s = bundled(
            "baseline",
            &[
                "workload.retries=4294967295",
                "workload.retry_backoff=1ms",
                "balancer.hop_latency=0s",
                "duration=20m",
            ],
        );
        let r = worst_retries(&s);
        assert_eq!(r, 20.0);
    }

    #[test]
    fn the_drivers_of_an_explosion_are_named() {
        let s = bundled("baseline", &["balancer.health_check.interval=1ns"]);
        let e = estimate(&s);
        assert_eq!(e.drivers[0].what, "health checks");
        assert!(e.drivers[0]
            .fields
            .contains("balancer.health_check.interval"));
        let s = bundled("baseline", &["report.window=1us"]);
        let e = estimate(&s);
        assert!(e.main_drivers().any(|d| d.fields.contains("report.window")));
        let s = bundled(
            "baseline",
            &["events=[{at: 1s, action: scale, to: 4294967295}]"],
        );
        let e = estimate(&s);
        assert!(e.bytes > 1e11, "{}", e.bytes);
        assert!(e
            .main_drivers()
            .any(|d| d.fields.contains("instances.count")));
    }

    /// Three single-worker instances at ρ ≈ 0.99 (31 requests/s × 76 ms, plus handshakes and
    /// messages) and WebSocket clients reconnecting at once (a 1 ms pace); `sets` add a fault.
    fn near_full(algorithm: &str, sets: &[&str]) -> Scenario {
        let yaml = format!(
            "name: slowed\nseed: 15116801423961726279\nduration: 84s\n\
             connections:\n  arrivals: {{ rate: 29 }}\n  \
             lifetime: {{ dist: exponential, mean: 12s }}\n  \
             handshake: {{ dist: exponential, mean: 14ms }}\n  messages: {{ rate: 0.2 }}\n  \
             rooms: {{ count: 3, size: {{ dist: geometric, mean: 3 }} }}\n  \
             delivery: redis-pubsub\n  reconnect: {{ policy: immediate }}\n  max_age: 60s\n\
             workload:\n  arrivals: {{ rate: 31 }}\n  \
             session: {{ requests: {{ dist: geometric, mean: 1 }} }}\n  retries: 3\n\
             balancer: {{ algorithm: {algorithm}, hop_latency: 1ms }}\n\
             instances:\n  count: 3\n  workers: 1\n  queue: 2\n  \
             service_time: {{ dist: exponential, mean: 60ms }}\n\
             database: {{ query_time: {{ dist: exponential, mean: 16ms }} }}\n"
        );
        let sets: Vec<_> = sets.iter().map(|s| s.parse().expect("override")).collect();
        scenario::parse_str("slowed.yaml", &yaml, &sets).expect("valid")
    }

    /// The estimate of `s`'s events, after checking that it is not below a quarter of the run's.
    fn estimated_at_least_a_quarter_of_what_runs(s: &Scenario) -> f64 {
        let e = estimate(s);
        let real = crate::model::simulate(s).engine.events as f64;
        assert!(
            e.events * 4.0 >= real,
            "estimated {:.3e}, ran {real:.3e}",
            e.events
        );
        e.events
    }

    #[test]
    fn a_slowed_instance_behind_least_connections_draws_every_reconnect() {
        // One instance slowed ×13 for 16 s is full; as it refuses, its count of open
        // connections falls below the others', so least connections sends it every attempt
        // again and again (1.61·10⁶ events ran): the estimate lets every user wanting a
        // connection (≈ 350) retry at the 1 ms pace for the 16 s. Round robin sends the slowed
        // instance a third of the attempts, and the estimate a third of those seconds.
        let slow = "events=[{ at: 0s, action: slow-instance, factor: 13, duration: 16s }]";
        let least =
            estimated_at_least_a_quarter_of_what_runs(&near_full("least-connections", &[slow]));
        let round = estimated_at_least_a_quarter_of_what_runs(&near_full("round-robin", &[slow]));
        assert!(least > 2.0 * round, "{least:.3e} vs {round:.3e}");
    }

    #[test]
    fn a_redis_slowdown_fills_every_instance_that_reads_sessions_from_it() {
        // 20 requests/s with sessions in Redis (2 ms a read) keep the fleet at ρ ≈ 0.7
        // (20 × 78 ms / 3 workers, plus connection work). Slowed ×50 for 16 s, a request's
        // worker time goes from 78 ms to 176 ms, past what the fleet can carry, and every
        // instance is full for those 16 s: ≈ 350 users × 16 s / 1 ms ≈ 5.6·10⁶ attempts at most.
        let s = near_full(
            "round-robin",
            &[
                "workload.arrivals.rate=20",
                "sessions.store=redis",
                "redis.latency={ dist: exponential, mean: 2ms }",
                "events=[{ at: 10s, action: redis-slowdown, factor: 50, duration: 16s }]",
            ],
        );
        let slowed = estimated_at_least_a_quarter_of_what_runs(&s);
        let mut calm = s.clone();
        calm.events.clear();
        assert!(slowed > estimate(&calm).events + 3e5, "{slowed:.3e}");
    }

    #[test]
    fn a_redis_slowdown_past_the_stores_capacity_leaves_a_backlog_to_drain() {
        // Sessions in a Redis of 182 operations/s, slowed ×21 for 5 s: it serves 8.7
        // operations/s while about 100 are offered, so a backlog of some 450 operations builds
        // and takes seconds to drain after the slowdown; every instance is full behind it, and
        // reconnects at a 1 ms pace are refused all that time (1.07·10⁶ events ran).
        let s = near_full(
            "round-robin",
            &[
                "sessions.store=redis",
                "redis.max_ops=182",
                "instances.count=2",
                "instances.queue=1",
                "events=[{ at: 6s, action: redis-slowdown, factor: 21, duration: 5s }]",
            ],
        );
        estimated_at_least_a_quarter_of_what_runs(&s);
    }

    #[test]
    fn a_tier_offered_more_than_it_serves_keeps_the_fleet_full_all_run() {
        // Pub/sub publishes alone offer Redis ≈ 350 × 0.2 = 70 operations/s; at 20 it falls
        // behind for good, workers wait ever longer on it, and reconnects are refused for the
        // whole run (compare the same fleet with a store that keeps up).
        let s = near_full("round-robin", &["redis.max_ops=20"]);
        let behind = estimated_at_least_a_quarter_of_what_runs(&s);
        let keeping_up = estimate(&near_full("round-robin", &["redis.max_ops=100000"])).events;
        assert!(
            behind > 10.0 * keeping_up,
            "{behind:.3e} vs {keeping_up:.3e}"
        );
    }

    #[test]
    fn the_expected_excess_of_a_poisson_population_is_its_tail_summed() {
        // E[(N − c)⁺] = Σ_{k > c} (k − c)·P(N = k), summed term by term from the pmf.
        for (mean, c) in [(49.0, 54), (3.0, 0), (3.0, 1), (400.0, 380), (0.5, 4)] {
            let n = Poisson::new(mean).unwrap();
            let summed: f64 = (c..2000).map(|k| (k - c) as f64 * n.pmf(k)).sum();
            let got = expected_excess(mean, c);
            assert!(
                (got - summed).abs() < 1e-9 * summed.max(1.0),
                "{mean}, {c}: {got} vs {summed}"
            );
        }
        // Beyond 10⁴ the normal approximation takes over without a jump.
        let (below, above) = (
            expected_excess(1e4, 10_000),
            expected_excess(1e4 + 1e-6, 10_000),
        );
        assert!((below - above).abs() < 0.01 * below, "{below} vs {above}");
        assert_eq!(expected_excess(0.0, 3), 0.0);
        assert_eq!(expected_excess(7.0, 0), 7.0);
    }

    /// Groups of 1 and 3 instances, a 3 s boot and one passed check every 2 s: 5 s from
    /// launch to rotation; `events` is the timeline.
    fn two_groups(events: &str) -> Scenario {
        let yaml = format!(
            "name: groups\nduration: 84s\nworkload: {{ arrivals: {{ rate: 1 }} }}\n\
             balancer: {{ health_check: {{ interval: 2s, healthy_threshold: 1 }} }}\n\
             instances:\n  groups:\n    - {{ name: a, count: 1 }}\n    \
             - {{ name: b, count: 3 }}\n  boot_time: 3s\n  replace: false\n\
             events:\n{events}"
        );
        scenario::parse_str("groups.yaml", &yaml, &[]).expect("valid")
    }

    #[test]
    fn the_rotation_floor_follows_deploys_crashes_and_scaling() {
        // A deploy at 16 s taking one instance of each group (three 5 s steps for group b)
        // holds the floor at 2 until 31 s; another at 19 s, by surge alone, stretches that to
        // 34 s.
        let s = two_groups(
            "  - { at: 16s, action: rolling-deploy, max_surge: 0, max_unavailable: 1 }\n  \
             - { at: 19s, action: rolling-deploy, max_surge: 1, max_unavailable: 0 }\n",
        );
        assert_eq!(
            rotation_floor(&s, 84.0),
            vec![(16.0, 4.0), (18.0, 2.0), (50.0, 4.0)]
        );
        // Group b scaled to 1 at 40 s and back to 3 at 60 s (in rotation 5 s later); a crash at
        // 70 s without replacement takes one for good.
        let s = two_groups(
            "  - { at: 40s, action: scale, to: 1, group: b }\n  \
             - { at: 60s, action: scale, to: 3, group: b }\n  \
             - { at: 70s, action: crash, pick: oldest }\n",
        );
        assert_eq!(
            rotation_floor(&s, 84.0),
            vec![(40.0, 4.0), (25.0, 2.0), (5.0, 4.0), (14.0, 3.0)]
        );
    }

    /// Users arriving at `rate` a second for 7 s each, opening a connection with a 2 ms
    /// handshake and reconnecting at once, behind a 1 ms hop and `algorithm`, to instances that
    /// hold 27 connections each; `fleet` is the rest of the scenario (instances, events).
    fn limited(seed: u64, duration: &str, rate: u32, algorithm: &str, fleet: &str) -> Scenario {
        let yaml = format!(
            "name: limited\nseed: {seed}\nduration: {duration}\n\
             connections:\n  arrivals: {{ rate: {rate} }}\n  \
             lifetime: {{ dist: exponential, mean: 7s }}\n  \
             handshake: {{ dist: exponential, mean: 2ms }}\n  timeout: 156ms\n  \
             reconnect: {{ policy: immediate }}\n  drain: {{ close_over: 7s }}\n  \
             max_per_instance: 27\n  max_age: 35s\n\
             balancer: {{ algorithm: {algorithm}, hop_latency: 1ms }}\n{fleet}"
        );
        scenario::parse_str("limited.yaml", &yaml, &[]).expect("valid")
    }

    #[test]
    fn a_deploy_that_leaves_too_few_places_draws_a_reconnect_storm() {
        // 7 users/s for 7 s each: 49 want a connection on average, the fleet holds 27 each on
        // 4 instances (108). A deploy taking one instance of each group leaves 2 in rotation,
        // 54 places, for about 15 s; the users above 54 — about one on average, ten at a peak —
        // retry at the 1 ms hop for those seconds (2.5·10⁴ events ran where the fleet's steady
        // state is a few thousand).
        let s = limited(
            0,
            "60s",
            7,
            "round-robin",
            "instances:\n  groups:\n    - { name: a, count: 1, workers: 1 }\n    \
             - { name: b, count: 3, workers: 2, weight: 5 }\n  queue: 0\n  \
             service_time: { dist: exponential, mean: 1ms }\n  boot_time: 3s\n  \
             replace: false\n\
             events:\n  - { at: 19s, action: rolling-deploy, max_surge: 1, max_unavailable: 0 }\n  \
             - { at: 16s, action: rolling-deploy, max_surge: 0, max_unavailable: 1 }\n",
        );
        let storm = estimated_at_least_a_quarter_of_what_runs(&s);
        let mut calm = s.clone();
        calm.events.clear();
        assert!(storm > 4.0 * estimate(&calm).events, "{storm:.3e}");
    }

    /// 17 users/s for 50 s each (about 510 open 46 s in) with a 16 ms handshake, reconnecting
    /// at once behind a 1 ms hop, on `count` instances of 3 workers and 5 waiting places; at
    /// 46 s, `event`.
    fn herd(count: u32, event: &str) -> Scenario {
        let yaml = format!(
            "name: herd\nseed: 1024281439586779453\nduration: 100s\n\
             connections:\n  arrivals: {{ rate: 17 }}\n  \
             lifetime: {{ dist: exponential, mean: 50s }}\n  \
             handshake: {{ dist: exponential, mean: 16ms }}\n  timeout: 1s\n  \
             reconnect: {{ policy: immediate }}\n\
             balancer: {{ algorithm: round-robin, hop_latency: 1ms }}\n\
             instances:\n  count: {count}\n  workers: 3\n  queue: 5\n  \
             boot_time: 3s\n  warmup: {{ duration: 5s, slowdown: 2 }}\n  \
             service_time: {{ dist: exponential, mean: 7ms }}\n\
             events:\n  - {{ at: 46s, {event} }}\n"
        );
        scenario::parse_str("herd.yaml", &yaml, &[]).expect("valid")
    }

    #[test]
    fn connections_dropped_together_come_back_as_a_herd() {
        // A deploy drains the lone instance: its ~510 users reconnect at once to the
        // replacement, which admits 3 × (1 − 0.09) / 16 ms ≈ 171 a second, halved while it
        // warms up; the backlog takes some 6 s to clear, and the users in it retry at the 1 ms
        // hop: ½ · 511² / 85 ≈ 1.5·10³ user-seconds, 1.5·10⁶ refused attempts (1.1·10⁶ events
        // ran; 6·10³ without the deploy, estimated 9·10⁴).
        let s = herd(
            1,
            "action: rolling-deploy, max_surge: 1, max_unavailable: 0",
        );
        let herded = estimated_at_least_a_quarter_of_what_runs(&s);
        let mut calm = s.clone();
        calm.events.clear();
        let calm = estimate(&calm).events;
        assert!(herded > 10.0 * calm, "{herded:.3e} vs {calm:.3e}");

        // A crash of one of two instances sends its half (~256) to the other, warm, which now
        // carries the load of both: it admits 3 × (1 − 2 × 0.045) / 16 ms ≈ 171 a second,
        // ½ · 256² / 171 ≈ 191 user-seconds (1.9·10⁵ attempts were refused in the run).
        let s = herd(2, "action: crash, pick: oldest");
        estimated_at_least_a_quarter_of_what_runs(&s);
        let c = s.connections.as_ref().expect("connections");
        let load = super::super::load::load(&s);
        let utilization = load.levels[0].utilization;
        let open = 17.0 * 50.0;
        let dropped = open * (1.0 - (-46.0_f64 / 50.0).exp()) / 2.0;
        let admits = 3.0 * (1.0 - 2.0 * utilization) / 0.016;
        let expected = 0.5 * dropped * dropped / admits;
        let counted = herd_user_seconds(&s, &load, c, 0.016, 0.001, open, 50.0);
        assert!(
            (counted - expected).abs() < 1e-9 * expected && (150.0..220.0).contains(&counted),
            "{counted} vs {expected}"
        );
    }

    #[test]
    fn a_crash_is_an_outage_only_for_users_whose_retries_return_to_it() {
        // One of two instances crashes under round robin: a user it refuses tries the survivor
        // next, and only the ~256 users it dropped wait, as a herd (1.96·10⁵ events ran). Taken
        // for an outage of half the 850 users for the 15 s until health checks notice, retried
        // at the 1 ms hop, it was estimated at 1.9·10⁷.
        let rr = herd(2, "action: crash, pick: oldest");
        let estimated = estimated_at_least_a_quarter_of_what_runs(&rr);
        assert!(estimated < 1e6, "{estimated:.3e}");
        // Least connections ranks the crashed instance first (its count fell to nothing) and
        // sends it every attempt until then (3.2·10⁶ events ran).
        let mut lc = rr.clone();
        lc.balancer.algorithm = Algorithm::LeastConnections;
        let estimated = estimated_at_least_a_quarter_of_what_runs(&lc);
        assert!(estimated > 1e7, "{estimated:.3e}");
    }

    #[test]
    fn a_refused_user_backs_off_as_its_policy_says() {
        let policy = |policy, base: u64, cap: u64| Reconnect {
            policy,
            base: SimDuration::from_millis(base),
            cap: SimDuration::from_millis(cap),
        };
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9 * b.max(1.0);
        // Fixed and immediate: one attempt per pace.
        let fixed = refused_attempts(&policy(ReconnectPolicy::Fixed, 10, 0), 0.002, 60.0);
        assert!(close(fixed, 60.0 / 0.012), "{fixed}");
        let now = refused_attempts(&policy(ReconnectPolicy::Immediate, 10, 0), 0.002, 60.0);
        assert!(close(now, 30_000.0), "{now}");
        // Exponential from 10 ms to a 1 s cap, no hop: 10, 20, …, 640 ms (7 attempts in 1.27 s),
        // then one a second for the 98.73 s left.
        let grown = policy(ReconnectPolicy::Exponential, 10, 1000);
        let attempts = refused_attempts(&grown, 0.0, 100.0);
        assert!(close(attempts, 7.0 + 98.73), "{attempts}");
        // Inside the doubling: 10 + 20 + 40 ms, and 30 of the next 80.
        assert!(close(refused_attempts(&grown, 0.0, 0.1), 3.0 + 30.0 / 80.0));
        // Full jitter waits half as long on average: 5, 10, …, 320 ms, then 0.5 s.
        let jittered = policy(ReconnectPolicy::ExponentialJitter, 10, 1000);
        let attempts = refused_attempts(&jittered, 0.0, 100.0);
        assert!(close(attempts, 7.0 + (100.0 - 0.635) / 0.5), "{attempts}");
        // A cap below the base is the delay from the first attempt on.
        let capped = refused_attempts(&policy(ReconnectPolicy::Exponential, 50, 20), 0.0, 1.0);
        assert!(close(capped, 50.0), "{capped}");
    }

    #[test]
    fn users_waiting_for_a_place_back_off_while_they_wait() {
        // 50 users/s for 10 s each want ~500 connections; three instances hold 100 each. The
        // ~200 left over wait W = 200 · 10 / (300 + 200) = 4 s each on average (holders and
        // waiters alike leave at 50/s), 50 starting to wait a second. Retrying every 11 ms
        // (hop and delay) they make 200 / 0.011 ≈ 1.8·10⁴ attempts a second; doubling from
        // 10 ms to a 5 s cap, 8.6 attempts in 4 s each (8 by 2.56 s, then part of a 2.56 s
        // wait), 50 · 8.6 ≈ 430 a second.
        let at = |policy: &str| {
            let yaml = format!(
                "name: waiting\nseed: 7\nduration: 60s\n\
                 connections:\n  arrivals: {{ rate: 50 }}\n  \
                 lifetime: {{ dist: exponential, mean: 10s }}\n  \
                 handshake: {{ dist: exponential, mean: 2ms }}\n  timeout: 1s\n  \
                 max_per_instance: 100\n  \
                 reconnect: {{ policy: {policy}, base: 10ms, cap: 5s }}\n\
                 balancer: {{ algorithm: round-robin, hop_latency: 1ms }}\n\
                 instances:\n  count: 3\n  workers: 4\n  \
                 service_time: {{ dist: exponential, mean: 7ms }}\n"
            );
            scenario::parse_str("waiting.yaml", &yaml, &[]).expect("valid")
        };
        let fixed = estimated_at_least_a_quarter_of_what_runs(&at("fixed"));
        let growing = estimated_at_least_a_quarter_of_what_runs(&at("exponential"));
        assert!(growing * 10.0 < fixed, "{growing:.3e} vs {fixed:.3e}");
    }

    #[test]
    fn a_herd_without_jitter_comes_back_in_step_and_meets_only_the_free_places() {
        // Three of four instances crash 46 s in under round robin, dropping ~1,130 of the
        // ~1,500 users then open. They reconnect every 100 ms, together: the survivor, with no
        // queue, takes its ~2.9 idle workers' worth each time, 29 a second, though its 2 ms
        // handshakes could admit 1,450: ½ · 1130² / 29 ≈ 2.2·10⁴ user-seconds, 2.2·10⁵
        // attempts (1.5·10⁵ ran; 4·10⁴ estimated at the handshake rate).
        let yaml = "name: in-step\nseed: 241993510\nduration: 100s\n\
             connections:\n  arrivals: { rate: 50 }\n  \
             lifetime: { dist: exponential, mean: 50s }\n  \
             handshake: { dist: exponential, mean: 2ms }\n  timeout: 1s\n  \
             reconnect: { policy: fixed, base: 100ms }\n\
             balancer: { algorithm: round-robin, health_check: { interval: 10s } }\n\
             instances:\n  count: 4\n  workers: 3\n  queue: 0\n  boot_time: 3s\n  \
             service_time: { dist: exponential, mean: 7ms }\n\
             events:\n  - { at: 46s, action: crash, count: 3, pick: random }\n";
        let s = scenario::parse_str("in-step.yaml", yaml, &[]).expect("valid");
        let in_step = estimated_at_least_a_quarter_of_what_runs(&s);
        assert!((2e5..6e5).contains(&in_step), "{in_step:.3e}");
        // With full jitter the same users come back spread out, at the handshake rate.
        let mut jittered = s.clone();
        if let Some(c) = jittered.connections.as_mut() {
            c.reconnect.policy = ReconnectPolicy::ExponentialJitter;
        }
        let spread = estimated_at_least_a_quarter_of_what_runs(&jittered);
        assert!(spread < in_step / 2.0, "{spread:.3e} vs {in_step:.3e}");
    }

    #[test]
    fn an_instance_slowed_past_the_handshake_timeout_stays_full_for_its_pinned_users() {
        // Slowed ×18, the instance's 17 ms handshakes take 306 ms on average against a 317 ms
        // timeout: a third time out, the abandoned ones keep its 2 workers and its one waiting
        // place, and the users pinned to it by their cookie — new ones, and those a rolling
        // deploy drops and re-pins — retry it at the 1 ms hop for its 10 s (9.3·10⁴ events ran,
        // 9.1·10⁴ of them refusals; about 2·10³ without the slowdown). Slowed ×9 (153 ms,
        // under half the timeout) it keeps up, and nothing is added.
        let slowed = |factor: u32| {
            let yaml = format!(
                "name: stalled\nseed: 8709818549189918862\nduration: 135s\n\
                 connections:\n  arrivals: {{ rate: 3 }}\n  \
                 lifetime: {{ dist: exponential, mean: 35s }}\n  \
                 handshake: {{ dist: exponential, mean: 17ms }}\n  timeout: 317ms\n  \
                 rooms: {{ count: 9, size: {{ dist: geometric, mean: 3 }} }}\n  \
                 delivery: sharded-pubsub\n  reconnect: {{ policy: immediate }}\n  \
                 drain: {{ close_over: 4s }}\n\
                 balancer:\n  algorithm: random\n  affinity: cookie\n  hop_latency: 1ms\n  \
                 health_check: {{ interval: 2s, unhealthy_threshold: 2, healthy_threshold: 1 }}\n\
                 instances:\n  count: 4\n  workers: 2\n  queue: 1\n  \
                 service_time: {{ dist: exponential, mean: 7ms }}\n  boot_time: 3s\n  \
                 warmup: {{ duration: 5s, slowdown: 2 }}\n  termination_grace: 4s\n\
                 events:\n  \
                 - {{ at: 15s, action: slow-instance, factor: {factor}, duration: 10s, \
                 pick: random }}\n  \
                 - {{ at: 10s, action: rolling-deploy, max_surge: 0, max_unavailable: 1 }}\n"
            );
            scenario::parse_str("stalled.yaml", &yaml, &[]).expect("valid")
        };
        let stalled = estimated_at_least_a_quarter_of_what_runs(&slowed(18));
        let keeping_up = estimate(&slowed(9)).events;
        assert!(
            stalled > 10.0 * keeping_up,
            "{stalled:.3e} vs {keeping_up:.3e}"
        );
    }

    #[test]
    fn users_pinned_to_full_instances_retry_them_while_others_have_room() {
        // 18 users/s for 7 s each: 126 want a connection on average, 21 an instance, and six
        // instances hold 162. Spread anew at each attempt, the 126 nearly always fit; hashed by
        // their key, each instance's own users pass its 27 places now and then and retry it at
        // the 1 ms hop (7.8·10⁴ events ran, 5.6·10³ with round robin).
        let fleet = |algorithm| {
            limited(
                13795886411679498012,
                "73s",
                18,
                algorithm,
                "instances:\n  groups:\n    - { name: a, count: 3, workers: 1 }\n    \
                 - { name: b, count: 3, workers: 2, weight: 5 }\n  queue: 0\n  \
                 service_time: { dist: exponential, mean: 1ms }\n",
            )
        };
        let hashed = estimated_at_least_a_quarter_of_what_runs(&fleet("consistent-hash"));
        let spread = estimated_at_least_a_quarter_of_what_runs(&fleet("round-robin"));
        assert!(hashed > 4.0 * spread, "{hashed:.3e} vs {spread:.3e}");
    }

    #[test]
    fn weighted_least_connections_keeps_choosing_its_full_heaviest_instances() {
        // 126 users want a connection on average; five instances hold 27 each (135). Weighted
        // 2, 2, 5, 5, 5, the heavy ones fill first and, their score unchanged by a refusal, are
        // chosen again while the light ones hold 27 × 2/5: the fleet holds about 103, and the
        // users above that retry at the 1 ms hop all run (2.2·10⁶ events ran).
        let s = limited(
            13795886411679498012,
            "112s",
            18,
            "weighted-least-connections",
            "instances:\n  groups:\n    - { name: a, count: 2, workers: 2 }\n    \
             - { name: b, count: 3, workers: 2, weight: 5 }\n  queue: 3\n  \
             service_time: { dist: exponential, mean: 12ms }\n",
        );
        let weighted = estimated_at_least_a_quarter_of_what_runs(&s);
        let mut plain = s.clone();
        plain.balancer.algorithm = Algorithm::LeastConnections;
        assert!(weighted > 10.0 * estimate(&plain).events, "{weighted:.3e}");
    }

    #[test]
    fn a_fleet_crashed_whole_and_not_replaced_refuses_everyone_until_it_returns() {
        // The only instance crashes at once and is not replaced: nothing serves until a deploy
        // launches a new one at 47 s, and the 980 users wanting a connection (28/s × 35 s)
        // retry every 160 ms or so until then (4.4·10⁵ events ran). The floor counts the
        // crash for the rest of the run, which is the side to err on.
        let s = scenario::parse_str(
            "crashed.yaml",
            "name: crashed\nseed: 16007451384172922663\nduration: 104s\n\
             connections:\n  arrivals: { rate: 28 }\n  \
             lifetime: { dist: exponential, mean: 35s }\n  \
             handshake: { dist: exponential, mean: 7ms }\n  timeout: 182ms\n  \
             reconnect: { policy: exponential-jitter, base: 318ms, cap: 318ms }\n\
             balancer: { algorithm: round-robin, hop_latency: 1ms }\n\
             instances:\n  count: 1\n  workers: 1\n  queue: 0\n  \
             service_time: { dist: exponential, mean: 1ms }\n  replace: false\n\
             events:\n  - { at: 47s, action: rolling-deploy, max_surge: 2, max_unavailable: 0 }\n  \
             - { at: 0s, action: crash, count: 1, pick: random }\n",
            &[],
        )
        .expect("valid");
        let crashed = estimated_at_least_a_quarter_of_what_runs(&s);
        let mut replaced = s.clone();
        replaced.instances.replace = true;
        // Replaced, an instance serves again 11 s after the crash (detection, boot, a check).
        let back = estimate(&replaced).events;
        assert!(crashed > back, "{crashed:.3e} vs {back:.3e}");
    }

    #[test]
    fn every_bundled_scenario_is_estimated_within_a_small_factor_of_its_events() {
        // The estimate must not miss the real work, nor overstate it wildly: at least half the
        // events the run really processes, at most ten times (it counts retries at their worst
        // and an autoscaled fleet at its maximum).
        for b in scenario::BUNDLED {
            let s = b.load(&[]).expect("bundled scenarios are valid");
            let e = estimate(&s);
            let r = crate::model::simulate(&s);
            let real = r.engine.events as f64;
            assert!(
                e.events >= real / 2.0 && e.events <= real * 10.0,
                "{}: estimated {:.3e}, ran {real:.3e}",
                b.name,
                e.events
            );
        }
    }
}
