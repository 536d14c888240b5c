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

use std::time::Instant;

use rand::RngExt;

use crate::engine::{stream, stream_key, EventQueue, Rng, SimDuration, SimTime};
use crate::metrics::{Cause, Recorder, Report, RunMeta};
use crate::model::arrivals::Arrivals;
use crate::model::balancer::Balancer;
use crate::model::ids::{InstanceId, RequestRef, SessionRef};
use crate::model::instance::{Instance, Life, Stop};
use crate::model::sampling::{CountSampler, DurationSampler};
use crate::model::slab::Slab;
use crate::model::store::SessionTier;
use crate::scenario::{Action, Pick, Scenario, SessionStore};

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
    /// A report window closes.
    WindowEnd,
}

/// A user's visit: a login followed by requests separated by think times.
struct Session {
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
}

/// A request attempt that has reached an instance.
struct Request {
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

const SESSION_STREAM: u64 = stream_key("session");

pub struct Simulation<'a> {
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
    events: u64,
    scratch: Vec<RequestRef>,
}

impl<'a> Simulation<'a> {
    pub fn new(scenario: &'a Scenario) -> Self {
        let seed = scenario.seed;
        let rng = |name: &str| stream(seed, stream_key(name), 0);
        let end = scenario.end();
        let mut sim = Simulation {
            scenario,
            now: SimTime::ZERO,
            end,
            queue: EventQueue::with_capacity(1024),
            arrivals: Arrivals::new(&scenario.workload.arrivals),
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
            recorder: Recorder::new(SimTime::ZERO + scenario.warmup, scenario.report.window, end),
            busy_workers: 0,
            worker_capacity: 0,
            alive: 0,
            desired: scenario.instances.count,
            events: 0,
            scratch: Vec::new(),
        };
        for _ in 0..scenario.instances.count {
            // The initial fleet was running before the run: up, warm, and in rotation.
            let id = sim.launch(false);
            sim.booted(id);
            sim.instances[id.index()].warm_at = SimTime::ZERO;
            sim.balancer.add(id);
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
    pub fn run(mut self) -> Report {
        let started = Instant::now();
        while let Some((t, e)) = self.queue.pop() {
            if t >= self.end {
                break;
            }
            self.now = t;
            self.events += 1;
            self.dispatch(e);
        }
        self.now = self.end;
        self.recorder
            .close_window(self.end, self.balancer.routable().len() as u32);
        let in_flight = self
            .requests
            .iter()
            .filter(|(_, _, r)| r.client_waiting && r.counted)
            .count() as u64;
        let wall_seconds = started.elapsed().as_secs_f64();
        let scenario = self.scenario;
        let meta = RunMeta {
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            seed: scenario.seed,
            session_store: store_name(scenario.sessions.store).to_string(),
            instances_launched: self.instances.len(),
            events: self.events,
            wall_seconds,
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
        });
        self.send(SessionRef { slot, generation });
    }

    /// The session sends its current request (or a retry of it).
    fn send(&mut self, sref: SessionRef) {
        let now = self.now;
        let Some(s) = self.sessions.get_mut(sref.slot, sref.generation) else {
            return;
        };
        let counted = self.recorder.measured(now);
        self.recorder.sent(counted, s.attempt > 0);
        let demand = self.service_time.sample(&mut s.rng);
        let Some(id) = self
            .balancer
            .route(&mut s.pin, s.key, s.ip, &self.connections)
        else {
            // Nothing in rotation: the balancer answers 503 at once.
            return self.client_failed(sref, counted, Cause::InstanceDown);
        };
        self.recorder.routed(id.index(), counted);
        let workers = self.scenario.instances.workers;
        let inst = &mut self.instances[id.index()];
        if !inst.is_up() {
            return self.client_failed(sref, counted, Cause::InstanceDown);
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
                .get_mut(r.slot, r.generation)
                .expect("queued requests are live");
            let deadline = req.sent + timeout;
            if deadline > now {
                inst.timer_at = Some(deadline);
                self.queue.push(deadline, Event::QueueTimer(id));
                return;
            }
            inst.timed_out += 1;
            req.client_waiting = false;
            let (session, counted) = (req.session, req.counted);
            self.fail_attempt(session, counted, Cause::Timeout, now);
        }
    }

    fn timeout(&mut self, r: RequestRef) {
        let Some(req) = self.requests.get_mut(r.slot, r.generation) else {
            return; // already finished
        };
        if !req.client_waiting {
            return;
        }
        req.client_waiting = false;
        let (session, counted) = (req.session, req.counted);
        self.fail_attempt(session, counted, Cause::Timeout, self.now);
    }

    // ----- instances -----------------------------------------------------------------------

    /// Adds an instance. It boots for `boot_time` unless it is part of the initial fleet, which
    /// was running before the run (`booting: false`: the caller brings it up at once).
    fn launch(&mut self, booting: bool) -> InstanceId {
        let id = InstanceId(self.instances.len() as u32);
        let now = self.now;
        self.instances
            .push(Instance::new(now, self.scenario.instances.queue));
        if booting {
            self.queue
                .push(now + self.scenario.instances.boot_time, Event::Booted(id));
        }
        self.connections.push(0);
        self.alive += 1;
        self.recorder.instance_launched();
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
        let mut service = req.demand;
        if now < self.instances[id.index()].warm_at {
            let slowed = service.as_nanos() as f64 * self.scenario.instances.warmup.slowdown;
            service = SimDuration(slowed.round() as u64);
        }
        // A request whose client already left is served blind: it only burns a worker.
        if let Some(s) = self
            .sessions
            .get_mut(sref.slot, sref.generation)
            .filter(|_| waiting)
        {
            let expired =
                s.logged_in && now.saturating_since(s.last_seen) > self.scenario.sessions.ttl;
            s.last_seen = now;
            let lost = match self.scenario.sessions.store {
                SessionStore::InMemory => s.logged_in && (expired || s.home != Some(id)),
                SessionStore::Redis => expired,
                SessionStore::Jwt => false,
            };
            if lost {
                // The user is logged out and logs in again right here.
                let first = !s.lost;
                s.lost = true;
                s.home = Some(id);
                let session_counted = s.counted;
                self.recorder.session_lost(session_counted, first);
                self.requests.remove(r.slot, r.generation);
                self.connections[id.index()] -= 1;
                self.client_failed(sref, counted, Cause::SessionLost);
                return self.fill_workers(id);
            }
            if !s.logged_in {
                s.logged_in = true;
                s.home = Some(id);
            }
            service = service + self.tier.request_cost(now);
        }
        self.instances[id.index()].busy += 1;
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
        self.instances[id.index()].busy -= 1;
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
    }

    /// Ends `id` on purpose: anything it still holds is killed.
    fn terminate(&mut self, id: InstanceId) {
        if !self.instances[id.index()].is_live() {
            return;
        }
        self.recorder.instance_terminated();
        let cause = self.instances[id.index()].stopped.unwrap_or(Stop::ScaleIn);
        self.stop(id, Life::Terminated, cause, Cause::Killed);
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
        inst.busy = 0;
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
        self.balancer.remove(id);
        if inst.load() == 0 {
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

    /// Launches or drains instances until as many are active as desired. Surplus instances go
    /// newest first (those still booting before any serving one).
    fn reconcile(&mut self) {
        let active = self.instances.iter().filter(|i| i.is_active()).count() as u32;
        for _ in active..self.desired {
            self.launch(true);
        }
        for _ in self.desired..active {
            let victim = self
                .instances
                .iter()
                .enumerate()
                .filter(|(_, i)| i.is_active())
                .max_by_key(|(n, i)| (i.life == Life::Booting, i.launched_at, *n))
                .map(|(n, _)| InstanceId(n as u32));
            if let Some(v) = victim {
                self.drain(v, Stop::ScaleIn);
            }
        }
    }

    fn health_check(&mut self, id: InstanceId) {
        let hc = &self.scenario.balancer.health_check;
        let inst = &mut self.instances[id.index()];
        match inst.life {
            Life::Up => {
                inst.failed_checks = 0;
                inst.passed_checks += 1;
                if inst.passed_checks >= hc.healthy_threshold && !self.balancer.is_routable(id) {
                    self.balancer.add(id);
                }
            }
            // Not listening yet: fails, which matters to no one until it passes.
            Life::Booting => inst.passed_checks = 0,
            Life::Dead => {
                inst.passed_checks = 0;
                inst.failed_checks += 1;
                if inst.failed_checks >= hc.unhealthy_threshold && self.balancer.is_routable(id) {
                    self.balancer.remove(id);
                    self.recorder
                        .event(self.now, format!("instance {} marked down", id.0), 0);
                    if self.scenario.instances.replace {
                        self.reconcile();
                    }
                }
                if !self.balancer.is_routable(id) {
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
                let names: Vec<String> = victims.iter().map(|v| v.0.to_string()).collect();
                let label = format!(
                    "crash {}",
                    if names.is_empty() {
                        "(no live instance)".into()
                    } else {
                        format!("instance {}", names.join(", "))
                    }
                );
                self.recorder.event(self.now, label, affected);
                for id in victims {
                    self.crash(id);
                }
            }
            Action::Scale { to } => {
                self.recorder.event(self.now, format!("scale to {to}"), 0);
                self.desired = to;
                self.reconcile();
            }
        }
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

    fn window_end(&mut self) {
        self.recorder
            .close_window(self.now, self.balancer.routable().len() as u32);
        let next = self.now + self.recorder.window_width();
        if next < self.end {
            self.queue.push(next, Event::WindowEnd);
        }
    }
}

pub fn store_name(store: SessionStore) -> &'static str {
    match store {
        SessionStore::InMemory => "in-memory",
        SessionStore::Redis => "redis",
        SessionStore::Jwt => "jwt",
    }
}
