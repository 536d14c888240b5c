//! The run loop and the life of a request.
//!
//! A request is born when its session sends it (`send`), is routed by the balancer, then is
//! refused (dead instance, full queue), queued, or served (`start_service`). It ends exactly once
//! for its client — success, failure by cause, or still in flight when the run ends — which is the
//! accounting invariant the tests check. The server side may outlive the client side: a request
//! whose client timed out is still served (wasted work), as real servers do.
//!
//! Timeouts cost no event per request. A request in service whose completion would overrun its
//! deadline gets a `Timeout` event; one that completes in time needs none. Queued requests time
//! out in queue order (same timeout, FIFO queue), so each instance keeps one `QueueTimer` armed at
//! its first waiting request's deadline; timed-out requests form a prefix of the queue.

use hdrhistogram::Histogram;
use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use crate::engine::{stream, stream_key, EventQueue, Rng, SimDuration, SimTime};
use crate::metrics::{
    Cause, DemandModel, FleetSnapshot, LaunchCause, LostCause, Recorder, Report, RunMeta,
    TerminateCause, TimelineEvent,
};
use crate::model::arrivals::Arrivals;
use crate::model::autoscaler::{Autoscaler, Behavior, Observation, Policy};
use crate::model::balancer::Balancer;
use crate::model::database::Database;
use crate::model::ids::{InstanceId, RequestRef, SessionRef};
use crate::model::instance::{Instance, Life, Stop};
use crate::model::limits::RateLimiter;
use crate::model::sampling::{CountSampler, DurationSampler};
use crate::model::scaling::{self, Metric, Sample, View};
use crate::model::slab::Slab;
use crate::model::store::SessionTier;
use crate::scenario::{
    Action, AutoscalerConfig, Pick, ScaleInPick, ScalingBehavior, ScalingMetric, Scenario,
    SessionStore,
};

/// Everything that can happen. Small and `Copy`: it travels through the heap by value.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The next session arrives.
    Arrival,
    /// A session sends its next request (after thinking) or a retry (after backing off).
    Send(SessionRef),
    /// An instance finishes serving a request.
    Complete(RequestRef),
    /// The client of a request in service gives up.
    Timeout(RequestRef),
    /// The first waiting request in an instance's queue may have reached its deadline.
    QueueTimer(InstanceId),
    /// The balancer health-checks an instance.
    HealthCheck(InstanceId),
    /// An instance's process is up (boot finished).
    Booted(InstanceId),
    /// A draining instance's time is up: whatever it still holds is killed.
    Terminate(InstanceId),
    /// The scenario's event with this index fires.
    Scheduled(u32),
    /// The autoscaler evaluates its metric.
    Autoscale,
    /// Random crashes begin (`mtbf` from a later time than zero).
    MtbfStart,
    /// An instance's time to failure has come.
    MtbfCrash(InstanceId),
    /// The standby balancer has taken over from the failed one.
    BalancerUp,
    /// A report window closes.
    WindowEnd,
}

/// A user's visit: a login followed by requests separated by think times.
pub(crate) struct Session {
    /// Arrival number: the session's identity, the same in every variant of a scenario.
    key: u64,
    /// The session's own random stream (request count, IP, service demands, think times).
    rng: Rng,
    /// Requests still to send, including the one in progress.
    remaining: u32,
    /// Retries spent on the request in progress.
    attempt: u32,
    ip: u32,
    /// Sticky-session cookie: the instance the balancer pinned this session to.
    pin: Option<InstanceId>,
    /// In-memory store: the instance holding this session's state.
    home: Option<InstanceId>,
    logged_in: bool,
    last_seen: SimTime,
    /// Has this session been lost at least once?
    lost: bool,
    /// Did it start after warm-up?
    counted: bool,
    /// When its server-side state was written (the login).
    state_at: SimTime,
    /// Jwt: when the current token expires (refreshed silently unless revoked).
    token_expiry: SimTime,
    /// Logged out or revoked: server-side state is gone; a token stays usable until it expires.
    revoked: bool,
    /// The instance that served its previous request: its local cache holds the user's data.
    last_instance: Option<InstanceId>,
    /// The user's fleet-wide rate-limit bucket (GCRA theoretical arrival time).
    tat: SimTime,
}

/// A request attempt that has reached an instance.
pub(crate) struct Request {
    session: SessionRef,
    instance: InstanceId,
    sent: SimTime,
    /// Service time drawn at send, so that it depends only on the session's stream.
    demand: SimDuration,
    /// False once the client has given up (timeout) or been told of a failure.
    client_waiting: bool,
    counted: bool,
}

/// What the client learns about an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Success,
    Failed(Cause),
}

/// Events between two progress reports: rare enough to cost nothing, often enough (a few per
/// second) for a bar to move smoothly.
pub(crate) const PROGRESS_EVERY: u64 = 1 << 20;

const SESSION_STREAM: u64 = stream_key("session");
const MTBF_STREAM: u64 = stream_key("mtbf");

/// Elasticity demand for metrics with no capacity meaning (latency, queue depth, or no
/// autoscaler): the instances that would run at this utilization.
const REFERENCE_UTILIZATION: f64 = 0.7;

/// A rolling deploy in progress.
#[derive(Clone, Copy, Debug)]
struct Deploy {
    max_surge: u32,
    max_unavailable: u32,
}

/// The autoscaler wired to the fleet: its policy, its memory, and what it measured last time.
struct Scaler {
    config: AutoscalerConfig,
    policy: Policy,
    controller: Autoscaler,
    metric: Box<dyn Metric>,
    /// Per instance: busy worker-nanoseconds and routed requests at the last evaluation.
    marks: Vec<(u128, u64)>,
    last_evaluation: SimTime,
    /// Response times (µs) completed by measured instances since the last evaluation, kept only
    /// for the p95-latency metric.
    latency: Option<Histogram<u64>>,
    samples: Vec<Sample>,
}

impl Scaler {
    fn new(config: &AutoscalerConfig) -> Self {
        let behavior = |b: &ScalingBehavior| Behavior {
            stabilization: b.stabilization,
            cooldown: b.cooldown,
            max_step: b.max_step,
        };
        Scaler {
            config: config.clone(),
            policy: Policy {
                target: config.target,
                min: config.min,
                max: config.max,
                tolerance: config.tolerance,
                scale_up: behavior(&config.scale_up),
                scale_down: behavior(&config.scale_down),
            },
            controller: Autoscaler::default(),
            metric: scaling::build(config.metric),
            marks: Vec::new(),
            last_evaluation: SimTime::ZERO,
            latency: (config.metric == ScalingMetric::P95Latency).then(|| {
                Histogram::new_with_bounds(1, 3_600_000_000, 3)
                    .expect("static histogram bounds are valid")
            }),
            samples: Vec::new(),
        }
    }
}

pub(crate) struct Simulation<'a> {
    scenario: &'a Scenario,
    now: SimTime,
    end: SimTime,
    queue: EventQueue<Event>,
    arrivals: Arrivals,
    arrival_rng: Rng,
    fault_rng: Rng,
    next_session_key: u64,
    request_count: CountSampler,
    think_time: DurationSampler,
    service_time: DurationSampler,
    sessions: Slab<Session>,
    requests: Slab<Request>,
    instances: Vec<Instance>,
    /// Open connections per instance, as the balancer sees them.
    connections: Vec<u32>,
    balancer: Balancer,
    tier: SessionTier,
    recorder: Recorder,
    busy_workers: u64,
    worker_capacity: u64,
    alive: u64,
    /// The instance count the platform maintains.
    desired: u32,
    /// The release new instances run; older ones are replaced by a rolling deploy.
    version: u32,
    deploy: Option<Deploy>,
    scaler: Option<Scaler>,
    database: Option<Database>,
    limiter: Option<RateLimiter>,
    /// The balancer is down until then (`SimTime::MAX`: for good).
    balancer_down_until: Option<SimTime>,
    events: u64,
    scratch: Vec<RequestRef>,
}

impl<'a> Simulation<'a> {
    pub(crate) fn new(scenario: &'a Scenario) -> Self {
        let seed = scenario.seed;
        let rng = |name: &str| stream(seed, stream_key(name), 0);
        let end = scenario.end();
        let workers = f64::from(scenario.instances.workers);
        let demand = match &scenario.autoscaler {
            Some(a) if a.metric == ScalingMetric::Cpu => DemandModel::Work {
                per_instance: workers * a.target,
            },
            Some(a) if a.metric == ScalingMetric::Concurrency => DemandModel::Work {
                per_instance: a.target,
            },
            Some(a) if a.metric == ScalingMetric::Rps => DemandModel::Rate {
                per_instance: a.target,
            },
            _ => DemandModel::Work {
                per_instance: workers * REFERENCE_UTILIZATION,
            },
        };
        let mut recorder =
            Recorder::new(SimTime::ZERO + scenario.warmup, scenario.report.window, end)
                .with_demand(demand);
        if scenario.local_cache.is_some() {
            recorder.enable_cache();
        }
        if scenario.rate_limit.is_some() {
            recorder.enable_rate_limit();
        }
        let mut sim = Simulation {
            scenario,
            now: SimTime::ZERO,
            end,
            queue: EventQueue::with_capacity(1024),
            arrivals: Arrivals::new(
                &scenario.workload.arrivals,
                scenario.workload.spike.as_ref(),
            ),
            arrival_rng: rng("arrivals"),
            fault_rng: rng("faults"),
            next_session_key: 0,
            request_count: CountSampler::new(&scenario.workload.session.requests),
            think_time: DurationSampler::new(&scenario.workload.session.think_time),
            service_time: DurationSampler::new(&scenario.instances.service_time),
            sessions: Slab::default(),
            requests: Slab::default(),
            instances: Vec::new(),
            connections: Vec::new(),
            balancer: Balancer::new(&scenario.balancer, rng("balancer")),
            tier: SessionTier::new(scenario, rng("store")),
            recorder,
            busy_workers: 0,
            worker_capacity: 0,
            alive: 0,
            desired: scenario.instances.count,
            version: 0,
            deploy: None,
            scaler: scenario.autoscaler.as_ref().map(Scaler::new),
            database: scenario
                .database
                .as_ref()
                .map(|d| Database::new(d, rng("database"))),
            limiter: scenario.rate_limit.as_ref().map(RateLimiter::new),
            balancer_down_until: None,
            events: 0,
            scratch: Vec::new(),
        };
        for _ in 0..scenario.instances.count {
            // The initial fleet was running before the run: up, warm, and in rotation.
            let id = sim.launch(false, LaunchCause::Initial);
            sim.booted(id);
            sim.instances[id.index()].warm_at = SimTime::ZERO;
            sim.enter_rotation(id);
        }
        if let Some(scaler) = &sim.scaler {
            sim.queue
                .push(SimTime::ZERO + scaler.config.interval, Event::Autoscale);
        }
        if let Some(m) = scenario.mtbf.as_ref().filter(|m| m.from > SimTime::ZERO) {
            sim.queue.push(m.from, Event::MtbfStart);
        }
        if let Some(t) = sim
            .arrivals
            .next_after(SimTime::ZERO, end, &mut sim.arrival_rng)
        {
            sim.queue.push(t, Event::Arrival);
        }
        for (i, e) in scenario.events.iter().enumerate() {
            sim.queue.push(e.at, Event::Scheduled(i as u32));
        }
        let window = scenario.report.window;
        if SimTime::ZERO + window < end {
            sim.queue.push(SimTime::ZERO + window, Event::WindowEnd);
        }
        sim
    }

    /// Runs to the end of the scenario and returns the report.
    pub(crate) fn run(self) -> Report {
        self.run_with_progress(&mut |_| {})
    }

    /// [`Simulation::run`], telling `progress` the simulated time reached every
    /// [`PROGRESS_EVERY`] events (for a progress bar: the model itself never looks at a clock).
    pub(crate) fn run_with_progress(mut self, progress: &mut dyn FnMut(SimTime)) -> Report {
        while let Some((t, e)) = self.queue.pop() {
            if t >= self.end {
                break;
            }
            self.now = t;
            self.events += 1;
            if self.events % PROGRESS_EVERY == 0 {
                progress(t);
            }
            self.dispatch(e);
        }
        self.now = self.end;
        let (fleet, store) = self.snapshot();
        self.recorder.close_window(self.end, fleet, store);
        let in_flight = self
            .requests
            .iter()
            .filter(|(_, _, r)| r.client_waiting && r.counted)
            .count() as u64;
        let scenario = self.scenario;
        let meta = RunMeta {
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            seed: scenario.seed,
            session_store: store_name(scenario.sessions.store).to_string(),
            instances_launched: self.instances.len(),
            events: self.events,
            slo: scenario.report.slo,
        };
        self.recorder.finish(self.end, in_flight, meta)
    }

    #[inline]
    fn dispatch(&mut self, event: Event) {
        match event {
            Event::Arrival => self.arrival(),
            Event::Send(s) => self.send(s),
            Event::Complete(r) => self.complete(r),
            Event::Timeout(r) => self.timeout(r),
            Event::QueueTimer(i) => self.queue_timer(i),
            Event::HealthCheck(i) => self.health_check(i),
            Event::Booted(i) => self.booted(i),
            Event::Terminate(i) => self.terminate(i),
            Event::Scheduled(i) => self.scheduled(i as usize),
            Event::Autoscale => self.autoscale(),
            Event::MtbfStart => self.mtbf_start(),
            Event::MtbfCrash(i) => self.mtbf_crash(i),
            Event::BalancerUp => self.balancer_up(),
            Event::WindowEnd => self.window_end(),
        }
    }

    // ----- clients -------------------------------------------------------------------------

    fn arrival(&mut self) {
        let now = self.now;
        if let Some(t) = self
            .arrivals
            .next_after(now, self.end, &mut self.arrival_rng)
        {
            self.queue.push(t, Event::Arrival);
        }
        let key = self.next_session_key;
        self.next_session_key += 1;
        let mut rng = stream(self.scenario.seed, SESSION_STREAM, key);
        let remaining = self.request_count.sample(&mut rng);
        let ip = rng.random_range(0..self.scenario.workload.client_ips);
        let counted = self.recorder.measured(now);
        self.recorder.session_arrived(counted);
        let (slot, generation) = self.sessions.insert(Session {
            key,
            rng,
            remaining,
            attempt: 0,
            ip,
            pin: None,
            home: None,
            logged_in: false,
            last_seen: now,
            lost: false,
            counted,
            state_at: now,
            token_expiry: now,
            revoked: false,
            last_instance: None,
            tat: SimTime::ZERO,
        });
        self.send(SessionRef { slot, generation });
    }

    /// The session sends its current request (or a retry of it).
    fn send(&mut self, sref: SessionRef) {
        let now = self.now;
        let Some(s) = self.sessions.get_mut(sref.slot, sref.generation) else {
            return;
        };
        if s.revoked {
            // Logged out. Server-side state is gone, so the client is done; a signed token is
            // still accepted until it expires (the revocation exposure).
            let usable = self.scenario.sessions.store == SessionStore::Jwt && now < s.token_expiry;
            if !usable {
                self.sessions.remove(sref.slot, sref.generation);
                return;
            }
        }
        let counted = self.recorder.measured(now);
        self.recorder.sent(counted, s.attempt > 0);
        let demand = self.service_time.sample(&mut s.rng);
        if self.balancer_down_until.is_some_and(|t| now < t) {
            // No balancer answers: the connection is refused.
            return self.client_failed(sref, counted, Cause::BalancerDown);
        }
        let Some(id) = self
            .balancer
            .route(&mut s.pin, s.key, s.ip, &self.connections)
        else {
            // Nothing in rotation: the balancer answers 503 at once.
            return self.client_failed(sref, counted, Cause::InstanceDown);
        };
        self.recorder.routed(id.index(), counted);
        // Work offered to the fleet, for the elasticity demand (refusals by the balancer
        // itself never reach an instance and are not demand on it).
        self.recorder.offered(demand);
        let workers = self.scenario.instances.workers;
        let inst = &mut self.instances[id.index()];
        inst.routed += 1;
        if !inst.is_up() {
            return self.client_failed(sref, counted, Cause::InstanceDown);
        }
        if let Some(limiter) = &mut self.limiter {
            let verdict = limiter.admit(&mut s.tat, s.key, id.index(), now);
            if !verdict.admitted {
                return self.client_failed(sref, counted, Cause::RateLimited);
            }
            if !verdict.within_user_limit {
                self.recorder.rate_limit_excess(counted);
            }
        }
        if inst.busy >= workers && inst.queue.len() >= self.scenario.instances.queue as usize {
            return self.client_failed(sref, counted, Cause::QueueFull);
        }
        let (slot, generation) = self.requests.insert(Request {
            session: sref,
            instance: id,
            sent: now,
            demand,
            client_waiting: true,
            counted,
        });
        let r = RequestRef { slot, generation };
        self.connections[id.index()] += 1;
        if inst.busy < workers {
            self.start_service(id, r);
        } else {
            inst.queue.push_back(r);
            if inst.timer_at.is_none() {
                let deadline = now + self.scenario.workload.timeout;
                inst.timer_at = Some(deadline);
                self.queue.push(deadline, Event::QueueTimer(id));
            }
        }
    }

    /// The balancer or instance refused the attempt; the client hears of it one hop later.
    fn client_failed(&mut self, sref: SessionRef, counted: bool, cause: Cause) {
        let at = self.now + self.scenario.balancer.hop_latency;
        self.fail_attempt(sref, counted, cause, at);
    }

    /// Counts a failed attempt once and tells its client at `at`: the one path every failure
    /// takes, so that the accounting invariant cannot be broken by a new cause.
    fn fail_attempt(&mut self, sref: SessionRef, counted: bool, cause: Cause, at: SimTime) {
        self.recorder.failed(counted, cause);
        self.client_result(sref, at, Outcome::Failed(cause));
    }

    /// The client learns at `at` how its attempt ended, and decides what to do next.
    fn client_result(&mut self, sref: SessionRef, at: SimTime, outcome: Outcome) {
        let Some(s) = self.sessions.get_mut(sref.slot, sref.generation) else {
            return;
        };
        if let Outcome::Failed(cause) = outcome {
            if cause.is_retryable() && s.attempt < self.scenario.workload.retries {
                s.attempt += 1;
                let backoff =
                    self.scenario.workload.retry_backoff.as_nanos() << (s.attempt - 1).min(20);
                self.queue
                    .push(at + SimDuration(backoff), Event::Send(sref));
                return;
            }
        }
        s.attempt = 0;
        s.remaining -= 1;
        if s.remaining == 0 {
            let counted = s.counted;
            self.sessions.remove(sref.slot, sref.generation);
            self.recorder.session_completed(counted);
        } else {
            let think = self.think_time.sample(&mut s.rng);
            self.queue.push(at + think, Event::Send(sref));
        }
    }

    /// Times out the queued requests of `id` whose deadline has come, then re-arms the timer.
    fn queue_timer(&mut self, id: InstanceId) {
        let now = self.now;
        let timeout = self.scenario.workload.timeout;
        self.instances[id.index()].timer_at = None;
        loop {
            let inst = &mut self.instances[id.index()];
            let Some(&r) = inst.queue.get(inst.timed_out as usize) else {
                return; // nothing waiting: the next enqueue arms the timer
            };
            let req = self
                .requests
                .get(r.slot, r.generation)
                .expect("queued requests are live");
            let deadline = req.sent + timeout;
            if deadline > now {
                inst.timer_at = Some(deadline);
                self.queue.push(deadline, Event::QueueTimer(id));
                return;
            }
            inst.timed_out += 1;
            // Its client may have heard of a failure already (the balancer reset it).
            self.client_gives_up(r, Cause::Timeout);
        }
    }

    fn timeout(&mut self, r: RequestRef) {
        self.client_gives_up(r, Cause::Timeout);
    }

    /// The client of live request `r` stops waiting for it now, failed by `cause`; the instance
    /// keeps serving it blind. Does nothing if the client stopped waiting earlier (or `r` has
    /// ended), so that an attempt is failed once whatever gives up on it first: the one path for
    /// every failure of a request that stays on its instance.
    fn client_gives_up(&mut self, r: RequestRef, cause: Cause) {
        let Some(req) = self.requests.get_mut(r.slot, r.generation) else {
            return; // already finished
        };
        if !req.client_waiting {
            return;
        }
        req.client_waiting = false;
        let (session, counted) = (req.session, req.counted);
        self.fail_attempt(session, counted, cause, self.now);
    }

    // ----- instances -----------------------------------------------------------------------

    /// Adds an instance. It boots for `boot_time` unless it is part of the initial fleet, which
    /// was running before the run (`booting: false`: the caller brings it up at once).
    fn launch(&mut self, booting: bool, cause: LaunchCause) -> InstanceId {
        let id = InstanceId(self.instances.len() as u32);
        let now = self.now;
        self.instances.push(Instance::new(now, self.version));
        if booting {
            self.queue
                .push(now + self.scenario.instances.boot_time, Event::Booted(id));
        }
        self.connections.push(0);
        if let Some(db) = &mut self.database {
            db.add_instance();
        }
        if let Some(limiter) = &mut self.limiter {
            limiter.add_instance();
        }
        if let Some(scaler) = &mut self.scaler {
            scaler.marks.push((0, 0));
        }
        if self.scenario.mtbf.as_ref().is_some_and(|m| now >= m.from) {
            self.schedule_failure(id);
        }
        self.alive += 1;
        self.recorder.instance_launched_by(cause);
        self.recorder.alive(now, self.alive);
        // Stagger health checks so that instances are not all probed at the same instant.
        let interval = self.scenario.balancer.health_check.interval.as_nanos();
        let phase = (u64::from(id.0).wrapping_mul(0x9E37_79B9) % 1000) * interval / 1000;
        self.queue
            .push(now + SimDuration(interval + phase), Event::HealthCheck(id));
        id
    }

    /// A worker of `id` takes request `r`. Session checks happen here, when the application
    /// first looks at the request.
    fn start_service(&mut self, id: InstanceId, r: RequestRef) {
        let now = self.now;
        let Some(req) = self.requests.get(r.slot, r.generation) else {
            return;
        };
        let (sref, counted, waiting, sent) =
            (req.session, req.counted, req.client_waiting, req.sent);
        let inst = &self.instances[id.index()];
        let mut factor = 1.0;
        if now < inst.warm_at {
            factor *= self.scenario.instances.warmup.slowdown;
        }
        if now < inst.slow_until {
            factor *= inst.slow_factor;
        }
        let mut service = req.demand;
        if factor != 1.0 {
            service = SimDuration((service.as_nanos() as f64 * factor).round() as u64);
        }
        // A request whose client already left is served blind: it only burns a worker.
        if waiting {
            match self.session_checks(sref, id) {
                Ok(extra) => service = service + extra,
                Err(cause) => {
                    self.requests.remove(r.slot, r.generation);
                    self.connections[id.index()] -= 1;
                    self.client_failed(sref, counted, cause);
                    return self.fill_workers(id);
                }
            }
        }
        if let Some(db) = &mut self.database {
            service = service + db.request_cost(id.index(), now);
        }
        let inst = &mut self.instances[id.index()];
        inst.set_busy(now, inst.busy + 1);
        self.busy_workers += 1;
        self.recorder
            .workers(now, self.busy_workers, self.worker_capacity);
        let done = now + service;
        self.queue.push(done, Event::Complete(r));
        if waiting {
            let deadline = sent + self.scenario.workload.timeout;
            if done > deadline {
                self.queue.push(deadline, Event::Timeout(r));
            }
        }
    }

    /// What the application does with the session of a request starting on `id`: read its
    /// state (store round trip, token check), notice a lost session, consult the local cache.
    /// Returns the time this adds to the service, or why the request fails.
    fn session_checks(&mut self, sref: SessionRef, id: InstanceId) -> Result<SimDuration, Cause> {
        let now = self.now;
        let Some(s) = self.sessions.get_mut(sref.slot, sref.generation) else {
            return Ok(SimDuration::ZERO);
        };
        let sessions = &self.scenario.sessions;
        let mut extra = self
            .tier
            .request_cost(now)
            .map_err(|_| Cause::StoreUnavailable)?;
        // Server-side sessions expire when idle; a token is refreshed instead (see below).
        let expired = s.logged_in
            && sessions.store != SessionStore::Jwt
            && now.saturating_since(s.last_seen) > sessions.ttl;
        s.last_seen = now;
        let lost = if !s.logged_in || s.revoked {
            None
        } else if expired {
            Some(LostCause::Expired)
        } else {
            match sessions.store {
                SessionStore::InMemory => match s.home {
                    Some(home) if home != id => Some(match self.instances[home.index()].stopped {
                        Some(Stop::Crash) => LostCause::Crash,
                        Some(Stop::ScaleIn) => LostCause::ScaleIn,
                        Some(Stop::Deploy) => LostCause::Deploy,
                        None => LostCause::Rerouting,
                    }),
                    _ => None,
                },
                SessionStore::Redis => {
                    (!self.tier.holds(s.state_at, now)).then_some(LostCause::StoreFailure)
                }
                SessionStore::Jwt => None,
            }
        };
        if let Some(cause) = lost {
            // The user is logged out and logs in again right here.
            let first = !s.lost;
            s.lost = true;
            s.home = Some(id);
            s.state_at = now;
            s.token_expiry = now + sessions.token_ttl;
            self.recorder.session_lost_by(s.counted, first, cause);
            return Err(Cause::SessionLost);
        }
        if !s.logged_in {
            s.logged_in = true;
            s.home = Some(id);
            s.state_at = now;
            s.token_expiry = now + sessions.token_ttl;
        } else if sessions.store == SessionStore::Jwt {
            if s.revoked {
                self.recorder.request_after_revoke(s.counted);
            } else if now >= s.token_expiry {
                s.token_expiry = now + sessions.token_ttl;
            }
        }
        if let Some(cache) = &self.scenario.local_cache {
            // The login fills the cache; later requests hit where the user's data was cached.
            if let Some(previous) = s.last_instance {
                let warm = cache.shared || previous == id;
                let hit = warm && s.rng.random::<f64>() < cache.hit_ratio_one_instance;
                self.recorder.cache(s.counted, hit);
                if !hit {
                    extra = extra + cache.miss_penalty;
                }
            }
        }
        s.last_instance = Some(id);
        Ok(extra)
    }

    /// Hands queued requests to free workers of `id`.
    fn fill_workers(&mut self, id: InstanceId) {
        let workers = self.scenario.instances.workers;
        loop {
            let inst = &mut self.instances[id.index()];
            if inst.busy >= workers {
                return;
            }
            let Some(next) = inst.queue.pop_front() else {
                return;
            };
            inst.timed_out = inst.timed_out.saturating_sub(1);
            self.start_service(id, next);
        }
    }

    fn complete(&mut self, r: RequestRef) {
        let Some(req) = self.requests.remove(r.slot, r.generation) else {
            return; // the instance crashed while serving it
        };
        let now = self.now;
        let id = req.instance;
        let inst = &mut self.instances[id.index()];
        inst.set_busy(now, inst.busy - 1);
        self.connections[id.index()] -= 1;
        self.busy_workers -= 1;
        self.recorder
            .workers(now, self.busy_workers, self.worker_capacity);
        self.fill_workers(id);
        let inst = &self.instances[id.index()];
        if inst.life == Life::Draining && inst.load() == 0 {
            self.terminate(id);
        }
        if req.client_waiting {
            let deadline = req.sent + self.scenario.workload.timeout;
            let seen = now + self.scenario.balancer.hop_latency;
            if seen <= deadline {
                self.recorder.succeeded(req.counted, seen - req.sent);
                if let Some(scaler) = self.scaler.as_mut() {
                    let warmup = scaler.config.instance_warmup;
                    let inst = &self.instances[id.index()];
                    let measured = inst.ready_at.is_some_and(|t| t + warmup <= now);
                    if let Some(h) = scaler.latency.as_mut().filter(|_| measured) {
                        h.saturating_record(((seen - req.sent).as_nanos() / 1_000).max(1));
                    }
                }
                self.client_result(req.session, seen, Outcome::Success);
            } else {
                self.fail_attempt(req.session, req.counted, Cause::Timeout, deadline);
            }
        }
    }

    /// The process of `id` is up; it joins the balancer once health checks pass.
    fn booted(&mut self, id: InstanceId) {
        let inst = &mut self.instances[id.index()];
        if inst.life == Life::Booting {
            inst.life = Life::Up;
            inst.warm_at = self.now + self.scenario.instances.warmup.duration;
            // Workers count as capacity from when they can serve.
            self.worker_capacity += u64::from(self.scenario.instances.workers);
            self.recorder
                .workers(self.now, self.busy_workers, self.worker_capacity);
        }
    }

    /// Kills `id`: its queue, in-flight requests and in-memory sessions are gone.
    fn crash(&mut self, id: InstanceId) {
        if !self.instances[id.index()].is_live() {
            return;
        }
        self.recorder.instance_crashed();
        self.stop(id, Life::Dead, Stop::Crash, Cause::InstanceDown);
        if !self.scenario.instances.replace {
            // Nobody restores the lost capacity (an autoscaler may still add some).
            self.desired = self.desired.saturating_sub(1);
        }
    }

    /// Ends `id` on purpose: anything it still holds is killed.
    fn terminate(&mut self, id: InstanceId) {
        if !self.instances[id.index()].is_live() {
            return;
        }
        let why = self.instances[id.index()].stopped.unwrap_or(Stop::ScaleIn);
        self.recorder.instance_terminated_by(match why {
            Stop::Deploy => TerminateCause::Deploy,
            Stop::ScaleIn | Stop::Crash => TerminateCause::ScaleIn,
        });
        self.stop(id, Life::Terminated, why, Cause::Killed);
    }

    /// Takes `id` out of service for good; its requests fail with `cause` (the connection is
    /// reset, the client hears of it at once).
    fn stop(&mut self, id: InstanceId, life: Life, why: Stop, cause: Cause) {
        let now = self.now;
        let inst = &mut self.instances[id.index()];
        if inst.is_up() {
            self.worker_capacity -= u64::from(self.scenario.instances.workers);
        }
        inst.life = life;
        inst.stopped = Some(why);
        self.busy_workers -= u64::from(inst.busy);
        inst.set_busy(now, 0);
        self.alive -= 1;
        self.connections[id.index()] = 0;
        self.recorder.alive(now, self.alive);
        self.recorder
            .workers(now, self.busy_workers, self.worker_capacity);
        let mut doomed = std::mem::take(&mut self.scratch);
        doomed.clear();
        doomed.extend(inst.queue.drain(..));
        inst.timed_out = 0;
        doomed.extend(
            self.requests
                .iter()
                .filter(|(_, _, q)| q.instance == id)
                .map(|(slot, generation, _)| RequestRef { slot, generation }),
        );
        doomed.sort_unstable_by_key(|r| r.slot);
        doomed.dedup();
        for &r in &doomed {
            let Some(req) = self.requests.remove(r.slot, r.generation) else {
                continue;
            };
            if req.client_waiting {
                self.client_failed(req.session, req.counted, cause);
            }
        }
        self.scratch = doomed;
    }

    /// Deregisters `id`: no new requests; it is terminated when empty, or when the shorter of
    /// the deregistration delay and the termination grace runs out.
    fn drain(&mut self, id: InstanceId, why: Stop) {
        let inst = &mut self.instances[id.index()];
        if !inst.is_active() {
            return;
        }
        inst.stopped = Some(why);
        if inst.life == Life::Booting {
            // Never served, holds nothing: it just stops.
            return self.terminate(id);
        }
        inst.life = Life::Draining;
        let idle = inst.load() == 0;
        self.leave_rotation(id);
        if idle {
            self.terminate(id);
        } else {
            let limit = self
                .scenario
                .balancer
                .deregistration_delay
                .min(self.scenario.instances.termination_grace);
            self.queue.push(self.now + limit, Event::Terminate(id));
        }
    }

    /// Launches or drains instances until the fleet matches the desired count, stepping a
    /// rolling deploy forward if one is in progress. `cause` names why instances are launched.
    ///
    /// A crashed instance the balancer has not yet noticed still holds its place (with
    /// `replace`), so nothing launches before the platform knows of the crash.
    fn reconcile(&mut self, cause: LaunchCause) {
        loop {
            let (mut old, mut new, mut ready) = (0u32, 0u32, 0u32);
            for (n, inst) in self.instances.iter().enumerate() {
                let id = InstanceId(n as u32);
                let undetected = self.scenario.instances.replace
                    && inst.life == Life::Dead
                    && self.balancer.is_routable(id);
                if inst.is_active() || undetected {
                    if inst.version == self.version {
                        new += 1;
                    } else {
                        old += 1;
                    }
                }
                ready += u32::from(inst.life == Life::Up && self.balancer.is_routable(id));
            }
            let desired = self.desired;
            let Some(deploy) = self.deploy.filter(|_| old > 0) else {
                if self.deploy.take().is_some() {
                    self.recorder
                        .event(self.now, TimelineEvent::DeployFinished, 0);
                }
                let active = old + new;
                for _ in active..desired {
                    self.launch(true, cause);
                }
                for _ in desired..active {
                    match self.scale_in_victim(|_| true) {
                        Some(v) => self.drain(v, Stop::ScaleIn),
                        None => break,
                    }
                }
                return;
            };
            // Surge: new instances up to `desired`, never more than `max_surge` extra in all.
            if new < desired && old + new < desired + deploy.max_surge {
                self.launch(true, LaunchCause::Deploy);
                continue;
            }
            // An old instance that serves no one goes first; a serving one only while enough
            // others stay ready (`desired − max_unavailable`), or if the fleet is over its size.
            let version = self.version;
            let unready = self.scale_in_victim(|i| i.version != version && i.ready_at.is_none());
            if let Some(v) = unready {
                self.drain(v, Stop::Deploy);
                continue;
            }
            let min_ready = desired.saturating_sub(deploy.max_unavailable);
            if ready > min_ready || old + new > desired + deploy.max_surge {
                let oldest = self
                    .instances
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| i.is_active() && i.version != version)
                    .min_by_key(|(n, i)| (i.launched_at, *n))
                    .map(|(n, _)| InstanceId(n as u32));
                if let Some(v) = oldest {
                    self.drain(v, Stop::Deploy);
                    continue;
                }
            }
            return;
        }
    }

    /// The active instance to remove first among those `eligible`: one still booting (it never
    /// served) before any serving one, then by the autoscaler's `scale_in_pick` (newest by
    /// default).
    fn scale_in_victim(&self, eligible: impl Fn(&Instance) -> bool) -> Option<InstanceId> {
        let pick = self
            .scenario
            .autoscaler
            .as_ref()
            .map_or(ScaleInPick::Newest, |a| a.scale_in_pick);
        self.instances
            .iter()
            .enumerate()
            .filter(|(_, i)| i.is_active() && eligible(i))
            .min_by_key(|(n, i)| {
                let serving = i.life != Life::Booting;
                // Smaller keys go first; indices break ties deterministically.
                let order = match pick {
                    ScaleInPick::Newest => u64::MAX - i.launched_at.0,
                    ScaleInPick::Oldest => i.launched_at.0,
                    ScaleInPick::LeastLoaded => u64::from(i.load()),
                };
                (serving, order, usize::MAX - *n)
            })
            .map(|(n, _)| InstanceId(n as u32))
    }

    /// The balancer starts routing to `id`.
    fn enter_rotation(&mut self, id: InstanceId) {
        self.balancer.add(id);
        let inst = &mut self.instances[id.index()];
        if inst.ready_at.is_none() {
            inst.ready_at = Some(self.now);
        }
        self.recorder
            .ready(self.now, self.balancer.routable().len() as u32);
    }

    /// The balancer stops routing to `id`.
    fn leave_rotation(&mut self, id: InstanceId) {
        self.balancer.remove(id);
        self.recorder
            .ready(self.now, self.balancer.routable().len() as u32);
    }

    fn health_check(&mut self, id: InstanceId) {
        let hc = &self.scenario.balancer.health_check;
        let inst = &mut self.instances[id.index()];
        match inst.life {
            Life::Up => {
                inst.failed_checks = 0;
                inst.passed_checks += 1;
                if inst.passed_checks >= hc.healthy_threshold && !self.balancer.is_routable(id) {
                    self.enter_rotation(id);
                    if self.deploy.is_some() {
                        self.reconcile(LaunchCause::Deploy);
                    }
                }
            }
            // Not listening yet: fails, which matters to no one until it passes.
            Life::Booting => inst.passed_checks = 0,
            Life::Dead => {
                inst.passed_checks = 0;
                inst.failed_checks += 1;
                if inst.failed_checks < hc.unhealthy_threshold {
                    // Not detected yet: check again.
                } else {
                    // Detected. One that never joined rotation is noticed by the same checks
                    // (its readiness never came), only without leaving the balancer.
                    if self.balancer.is_routable(id) {
                        self.leave_rotation(id);
                        let down = TimelineEvent::MarkedDown {
                            instance: id.0,
                            replaced: self.scenario.instances.replace,
                        };
                        self.recorder.event(self.now, down, 0);
                    }
                    self.reconcile(LaunchCause::Replacement);
                    return; // dead and out of rotation: no more checks
                }
            }
            Life::Draining | Life::Terminated => return,
        }
        self.queue
            .push(self.now + hc.interval, Event::HealthCheck(id));
    }

    // ----- scenario events -----------------------------------------------------------------

    fn scheduled(&mut self, index: usize) {
        let action = self.scenario.events[index].action.clone();
        match action {
            Action::Crash { count, pick } => {
                let mut victims = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    match self.pick_instance(pick, &victims) {
                        Some(id) => victims.push(id),
                        None => break,
                    }
                }
                let affected = self.sessions_on(&victims);
                let instances = victims.iter().map(|v| v.0).collect();
                self.recorder
                    .event(self.now, TimelineEvent::Crash { instances }, affected);
                for id in victims {
                    self.crash(id);
                }
            }
            Action::Scale { to } => {
                let before: Vec<InstanceId> = self.active_ids().collect();
                self.set_desired(to);
                // Sessions whose state or pin was on an instance this scale-in drained.
                let drained: Vec<InstanceId> = before
                    .into_iter()
                    .filter(|id| !self.instances[id.index()].is_active())
                    .collect();
                let affected = self.sessions_on(&drained);
                self.recorder
                    .event(self.now, TimelineEvent::Scale { to }, affected);
            }
            Action::RollingDeploy {
                max_surge,
                max_unavailable,
            } => {
                let old: Vec<InstanceId> = self.active_ids().collect();
                let affected = self.sessions_on(&old);
                self.recorder.event(
                    self.now,
                    TimelineEvent::RollingDeploy {
                        max_surge,
                        max_unavailable,
                    },
                    affected,
                );
                self.version += 1;
                self.deploy = Some(Deploy {
                    max_surge,
                    max_unavailable,
                });
                self.reconcile(LaunchCause::Deploy);
            }
            Action::RedisOutage {
                duration,
                data_loss,
            } => {
                let affected = self.sessions.len() as u64;
                self.recorder.event(
                    self.now,
                    TimelineEvent::RedisOutage {
                        duration,
                        data_loss,
                    },
                    affected,
                );
                self.tier.outage(self.now, self.now + duration, data_loss);
            }
            Action::RedisSlowdown { factor, duration } => {
                self.recorder.event(
                    self.now,
                    TimelineEvent::RedisSlowdown { factor, duration },
                    0,
                );
                self.tier.slowdown(self.now, self.now + duration, factor);
            }
            Action::SlowInstance {
                factor,
                duration,
                pick,
            } => {
                let victim = self.pick_instance(pick, &[]);
                let affected = victim.map_or(0, |v| self.sessions_on(&[v]));
                let slow = TimelineEvent::SlowInstance {
                    instance: victim.map(|id| id.0),
                    factor,
                    duration,
                };
                self.recorder.event(self.now, slow, affected);
                if let Some(id) = victim {
                    let inst = &mut self.instances[id.index()];
                    inst.slow_until = self.now + duration;
                    inst.slow_factor = factor;
                }
            }
            Action::LbFailure => self.balancer_failure(),
            Action::Revoke { sessions } => self.revoke(sessions),
        }
    }

    /// The desired count changes (a `scale` event or the autoscaler).
    fn set_desired(&mut self, to: u32) {
        if to != self.desired {
            self.recorder.scale_action(self.now, self.desired, to);
        }
        let cause = if to > self.desired {
            LaunchCause::ScaleOut
        } else {
            LaunchCause::Replacement
        };
        self.desired = to;
        self.reconcile(cause);
    }

    fn active_ids(&self) -> impl Iterator<Item = InstanceId> + '_ {
        self.instances
            .iter()
            .enumerate()
            .filter(|(_, i)| i.is_active())
            .map(|(n, _)| InstanceId(n as u32))
    }

    /// The active balancer dies. Connections through it are reset; traffic resumes when the
    /// standby has taken over, or never without one.
    fn balancer_failure(&mut self) {
        let now = self.now;
        let until = match &self.scenario.balancer.standby {
            Some(standby) => {
                let t = now + standby.failover;
                if t < self.end {
                    self.queue.push(t, Event::BalancerUp);
                }
                t
            }
            None => SimTime::MAX,
        };
        let fails = TimelineEvent::BalancerFails {
            standby: self.scenario.balancer.standby.as_ref().map(|s| s.failover),
        };
        self.recorder.event(now, fails, self.sessions.len() as u64);
        self.balancer_down_until = Some(until);
        let mut reset = std::mem::take(&mut self.scratch);
        reset.clear();
        reset.extend(
            self.requests
                .iter()
                .filter(|(_, _, r)| r.client_waiting)
                .map(|(slot, generation, _)| RequestRef { slot, generation }),
        );
        for &r in &reset {
            // The instance does not know and serves it anyway; the client has lost it.
            self.client_gives_up(r, Cause::BalancerDown);
        }
        self.scratch = reset;
    }

    fn balancer_up(&mut self) {
        self.balancer_down_until = None;
        self.recorder
            .event(self.now, TimelineEvent::StandbyServing, 0);
    }

    /// `count` logged-in sessions, chosen at random, log out (or have their credentials
    /// revoked). Server-side state is deleted at once; a signed token stays valid until it
    /// expires, which is the exposure reported.
    fn revoke(&mut self, count: u32) {
        let now = self.now;
        let mut candidates: Vec<SessionRef> = self
            .sessions
            .iter()
            .filter(|(_, _, s)| s.logged_in && !s.revoked)
            .map(|(slot, generation, _)| SessionRef { slot, generation })
            .collect();
        let n = (count as usize).min(candidates.len());
        // A partial Fisher–Yates shuffle: the first `n` are a uniform sample.
        for i in 0..n {
            let j = self.fault_rng.random_range(i..candidates.len());
            candidates.swap(i, j);
        }
        let jwt = self.scenario.sessions.store == SessionStore::Jwt;
        for r in &candidates[..n] {
            let s = self
                .sessions
                .get_mut(r.slot, r.generation)
                .expect("collected from the live set");
            s.revoked = true;
            let exposure = if jwt {
                s.token_expiry.saturating_since(now)
            } else {
                SimDuration::ZERO
            };
            self.recorder.revoked(exposure);
        }
        let sessions = n as u64;
        self.recorder
            .event(now, TimelineEvent::Revoke { sessions }, sessions);
    }

    // ----- autoscaler and random failures ---------------------------------------------------

    /// One evaluation of the autoscaler: measure, decide, act.
    fn autoscale(&mut self) {
        let now = self.now;
        let Some(scaler) = &mut self.scaler else {
            return;
        };
        let interval = now.saturating_since(scaler.last_evaluation);
        scaler.last_evaluation = now;
        scaler.samples.clear();
        let warmup = scaler.config.instance_warmup;
        for (n, inst) in self.instances.iter().enumerate() {
            let area = inst.busy_area_at(now);
            let (area_mark, routed_mark) =
                std::mem::replace(&mut scaler.marks[n], (area, inst.routed));
            let measured = inst.life == Life::Up
                && self.balancer.is_routable(InstanceId(n as u32))
                && inst.ready_at.is_some_and(|t| t + warmup <= now);
            if measured {
                scaler.samples.push(Sample {
                    busy_workers: (area - area_mark) as f64 / interval.as_nanos().max(1) as f64,
                    routed: inst.routed - routed_mark,
                    queued: inst.queue.len() as u32,
                    load: inst.load(),
                });
            }
        }
        let p95_ms = scaler.latency.as_mut().and_then(|h| {
            let p = (!h.is_empty()).then(|| h.value_at_quantile(0.95) as f64 / 1_000.0);
            h.reset();
            p
        });
        let view = View {
            samples: &scaler.samples,
            workers: self.scenario.instances.workers,
            interval_s: interval.as_secs_f64(),
            p95_ms,
        };
        let observation = Observation {
            current: self.desired,
            measured: scaler.samples.len() as u32,
            metric: scaler.metric.value(&view),
        };
        let desired = scaler.controller.evaluate(&scaler.policy, now, observation);
        let next = now + scaler.config.interval;
        if next < self.end {
            self.queue.push(next, Event::Autoscale);
        }
        if desired != self.desired {
            self.set_desired(desired);
        }
    }

    /// Random crashes begin: every live instance gets its time to failure.
    fn mtbf_start(&mut self) {
        for n in 0..self.instances.len() {
            if self.instances[n].is_live() {
                self.schedule_failure(InstanceId(n as u32));
            }
        }
    }

    /// Draws when `id` will crash: exponential with mean `mtbf`, from the instance's own
    /// stream, so a fleet's size does not change the others' failure times.
    fn schedule_failure(&mut self, id: InstanceId) {
        let Some(mtbf) = &self.scenario.mtbf else {
            return;
        };
        let mut rng = stream(self.scenario.seed, MTBF_STREAM, u64::from(id.0));
        let draw: f64 = Exp1.sample(&mut rng);
        let after = SimDuration((draw * mtbf.mean.as_nanos() as f64).round() as u64);
        let at = self.now + after;
        if at < self.end {
            self.queue.push(at, Event::MtbfCrash(id));
        }
    }

    fn mtbf_crash(&mut self, id: InstanceId) {
        if !self.instances[id.index()].is_live() {
            return;
        }
        let affected = self.sessions_on(&[id]);
        self.recorder.event(
            self.now,
            TimelineEvent::RandomCrash { instance: id.0 },
            affected,
        );
        self.crash(id);
    }

    /// Chooses a live instance not already in `taken`.
    fn pick_instance(&mut self, pick: Pick, taken: &[InstanceId]) -> Option<InstanceId> {
        let candidates = self
            .instances
            .iter()
            .enumerate()
            .filter(|(i, inst)| inst.is_up() && !taken.contains(&InstanceId(*i as u32)))
            .map(|(i, inst)| (InstanceId(i as u32), inst));
        match pick {
            Pick::Index(n) => candidates.map(|(id, _)| id).find(|id| id.0 == n),
            Pick::Oldest => candidates
                .min_by_key(|(id, inst)| (inst.launched_at, *id))
                .map(|(id, _)| id),
            // The first of equals wins, so ties go to the oldest.
            Pick::Busiest => candidates
                .fold(
                    None,
                    |best: Option<(InstanceId, u32)>, (id, inst)| match best {
                        Some((_, load)) if load >= inst.load() => best,
                        _ => Some((id, inst.load())),
                    },
                )
                .map(|(id, _)| id),
            Pick::Random => {
                let ids: Vec<InstanceId> = candidates.map(|(id, _)| id).collect();
                if ids.is_empty() {
                    None
                } else {
                    Some(ids[self.fault_rng.random_range(0..ids.len())])
                }
            }
        }
    }

    /// Live sessions whose state or sticky pin is on one of `ids`.
    fn sessions_on(&self, ids: &[InstanceId]) -> u64 {
        let on = |x: Option<InstanceId>| x.is_some_and(|i| ids.contains(&i));
        self.sessions
            .iter()
            .filter(|(_, _, s)| on(s.home) || on(s.pin))
            .count() as u64
    }

    /// The fleet at this instant for the time series, and the shared tier's utilization over
    /// the window that ends now.
    fn snapshot(&mut self) -> (FleetSnapshot, f64) {
        let mut fleet = FleetSnapshot {
            ready: self.balancer.routable().len() as u32,
            desired: self.desired,
            booting: 0,
            draining: 0,
        };
        for inst in &self.instances {
            fleet.booting += u32::from(inst.life == Life::Booting);
            fleet.draining += u32::from(inst.life == Life::Draining);
        }
        let window = self.recorder.window_width().as_nanos().max(1) as f64;
        let store = if self.scenario.sessions.store == SessionStore::Redis {
            self.tier.take_busy().as_nanos() as f64 / window
        } else if let (Some(db), Some(config)) = (&mut self.database, &self.scenario.database) {
            db.take_busy().as_nanos() as f64 / (window * f64::from(config.max_connections))
        } else {
            0.0
        };
        (fleet, store)
    }

    fn window_end(&mut self) {
        let (fleet, store) = self.snapshot();
        self.recorder.close_window(self.now, fleet, store);
        if let Some(limiter) = &mut self.limiter {
            limiter.prune(self.now);
        }
        let next = self.now + self.recorder.window_width();
        if next < self.end {
            self.queue.push(next, Event::WindowEnd);
        }
    }
}

pub(crate) fn store_name(store: SessionStore) -> &'static str {
    match store {
        SessionStore::InMemory => "in-memory",
        SessionStore::Redis => "redis",
        SessionStore::Jwt => "jwt",
    }
}
