//! The run loop, and where each part of the fleet's life is handled.
//!
//! ```text
//!   Arrival ─► clients::send ─► balancer.route ─► instance refuses (down, queue full, limit)
//!                 ▲                                   │ or queues ─► QueueTimer (timeout in queue)
//!                 │                                   ▼
//!   Send (think,  │                          service::start_service ─► session_checks
//!   retry)        │                            (store / token / cache / database cost)
//!                 │                                   ▼
//!   clients::client_result ◄── success / failure ── service::complete   (Timeout if it overruns)
//! ```
//!
//! A request is born when its session sends it (`clients::send`), is routed by the balancer, then
//! is refused (dead instance, full queue), queued, or served (`service::start_service`). It ends
//! exactly once for its client — success, failure by cause, or still in flight when the run ends
//! — which is the accounting invariant the tests check. The server side may outlive the client
//! side: a request whose client timed out is still served (wasted work), as real servers do.
//!
//! Timeouts cost no event per request. A request in service whose completion would overrun its
//! deadline gets a `Timeout` event; one that completes in time needs none. Queued requests time
//! out in queue order (same timeout, FIFO queue), so each instance keeps one `QueueTimer` armed at
//! its first waiting request's deadline; timed-out requests form a prefix of the queue.
//!
//! The parts, each an `impl Simulation` of its own:
//! - `clients`: arrivals, sending, retries and think times, and every way a client gives up;
//! - `service`: an instance's workers taking requests, session checks, completions;
//! - `lifecycle`: launching, booting, crashing, draining, terminating and reconciling the fleet,
//!   and the balancer's health checks;
//! - `faults`: the scenario's scheduled operations and faults, random crashes, victim picks;
//! - `scaler`: the autoscaler wired to the fleet;
//! - `connections`: long-lived connections, their rooms and messages, drops and reconnects.
//! - `jobs`: background jobs enqueued by requests, run by job workers apart from the request
//!   workers, from a queue in the instance's memory or in Redis;
//! - `files`: files uploaded by sessions and read back, on an instance's disk or shared;
//! - `tasks`: work other than requests (a connection's handshake, messages, deliveries) that
//!   waits in an instance's second line and takes its workers like requests do
//!   (`service::fill_workers` serves the two lines oldest first). A new kind of client work adds
//!   a task kind, not a request path.

mod census;
mod clients;
pub(crate) mod connections;
mod faults;
mod files;
mod groups;
pub(crate) mod jobs;
mod lifecycle;
mod scaler;
mod service;
mod tasks;

use hdrhistogram::Histogram;
use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use crate::engine::{stream, stream_key, EventQueue, Rng, SimDuration, SimTime, Streams};
use crate::metrics::{
    Cause, DemandModel, FleetSnapshot, JobRecorder, LaunchCause, LostCause, Recorder, Report,
    RunMeta, TerminateCause, TimelineEvent,
};
use crate::model::arrivals::Arrivals;
use crate::model::autoscaler::{Autoscaler, Observation, Policy};
use crate::model::balancer::{Balancer, AHEAD};
use crate::model::database::Database;
use crate::model::fleet::Fleet;
use crate::model::ids::{ConnRef, InstanceId, JobRef, MsgRef, RequestRef, SessionRef, TaskRef};
use crate::model::instance::{Instance, Life, Moment, Stop};
use crate::model::limits::RateLimiter;
use crate::model::redis::{Redis, RedisDown};
use crate::model::sampling::{CountSampler, DurationSampler};
use crate::model::scaling::{self, Metric, Sample, View};
use crate::model::slab::{SideTable, Slab};
use crate::scenario::{
    Action, AutoscalerConfig, GroupConfig, Pick, ScaleInPick, ScalingMetric, Scenario,
    SessionConfig, SessionStore,
};
use census::{Census, Mark};
use connections::Links;
use files::FileTier;
use groups::GroupStats;
use jobs::Jobs;
use scaler::Scaler;
use service::session_cost;
pub(crate) use tasks::Task;

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
    /// The next connection user arrives.
    ConnArrival,
    /// A connection user tries (again) to open its connection.
    ConnAttempt(ConnRef),
    /// A connection user's lifetime is over.
    ConnLeave(ConnRef),
    /// The server closes a connection it planned to close now (drain spread, max age).
    ConnClose(ConnRef),
    /// An open connection sends a message.
    ConnMessage(ConnRef),
    /// The client of a handshake stops waiting.
    HandshakeTimeout(TaskRef),
    /// A worker finishes a task.
    TaskDone(TaskRef),
    /// A message published to Redis reaches the subscribed instances.
    Publish(MsgRef),
    /// A job worker finishes a job.
    JobDone(JobRef),
    /// A job whose worker died is handed out again (Redis queue).
    JobVisible(JobRef),
    /// Redis is back after an outage: job workers take jobs again.
    JobsResume,
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
}

/// A request attempt that has reached an instance.
pub(crate) struct Request {
    session: SessionRef,
    instance: InstanceId,
    /// Where the instance's record is ([`Fleet::slot`]): it stays there while the request lives,
    /// since an instance holding requests is never retired.
    record: u32,
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

/// The upcoming completions (by place, 0 for the next event) whose request record the run loop
/// reads to start loading the records it leads to; those further ahead only have their request
/// record loaded (see [`Simulation::prefetch_for`]).
const READ_AHEAD: usize = 2;

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

pub(crate) struct Simulation<'a> {
    scenario: &'a Scenario,
    now: SimTime,
    end: SimTime,
    queue: EventQueue<Event>,
    arrivals: Arrivals,
    arrival_rng: Rng,
    fault_rng: Rng,
    next_session_key: u64,
    /// Each session's own stream, by its arrival number.
    session_streams: Streams,
    request_count: CountSampler,
    think_time: DurationSampler,
    service_time: DurationSampler,
    sessions: Slab<Session>,
    requests: Slab<Request>,
    /// Every launched instance by id; records of retired ones reused (`fleet.rs`).
    instances: Fleet,
    /// Instances stopped in the event being handled whose records can go once it is through
    /// (nothing holds their ids then but sessions, files and stale events, which ask the fleet).
    retiring: Vec<InstanceId>,
    balancer: Balancer,
    /// The Redis tier, shared by the session store and pub/sub (idle if neither uses it).
    redis: Redis,
    recorder: Recorder,
    busy_workers: u64,
    worker_capacity: u64,
    alive: u64,
    /// The fleet's groups (one, `default`, without `instances.groups`), in launch order.
    groups: Vec<GroupConfig>,
    /// Per group: the instance count the platform maintains.
    desired: Vec<u32>,
    /// Per group: the release new instances run; older ones are replaced by a rolling deploy.
    version: Vec<u32>,
    /// Per group: its rolling deploy in progress.
    deploy: Vec<Option<Deploy>>,
    /// How many instances hold a place, run the current release, are ready, boot or drain.
    census: Census,
    /// The census follows every change of an instance's state. Not while the initial fleet is
    /// built: each of its instances would be marked five times on its way into rotation
    /// (launched, booted, put into rotation), so it is counted once when the fleet is complete.
    census_kept: bool,
    /// Per group: the launch number from which to look for the oldest instance a rolling
    /// deploy replaces next ([`Simulation::oldest_old`]).
    deploy_from: Vec<u32>,
    /// Per-group figures for the report, kept only when the scenario declares groups.
    group_stats: Option<Vec<GroupStats>>,
    scaler: Option<Scaler>,
    database: Option<Database>,
    limiter: Option<RateLimiter>,
    /// With a rate limit, per session slot: the user's fleet-wide bucket (GCRA theoretical
    /// arrival time). Outside the session record, which runs without a limit keep smaller.
    user_buckets: SideTable<SimTime>,
    /// The balancer is down until then (`SimTime::MAX`: for good).
    balancer_down_until: Option<SimTime>,
    events: u64,
    scratch: Vec<RequestRef>,
    /// Per instance slot, zero between uses: which instances a count of sessions is about.
    marks: Vec<u8>,
    /// Long-lived connections, if the scenario has them.
    links: Option<Links<'a>>,
    /// Work other than requests held by instances (handshakes, messages, deliveries).
    tasks: Slab<tasks::Task>,
    /// Background jobs, if the scenario has them.
    jobs: Option<Jobs<'a>>,
    /// Uploaded files, if the scenario has them.
    files: Option<FileTier<'a>>,
    /// What became of jobs and files (present if either is).
    job_recorder: Option<JobRecorder>,
}

impl<'a> Simulation<'a> {
    pub(crate) fn new(scenario: &'a Scenario) -> Self {
        let seed = scenario.seed;
        let rng = |name: &str| stream(seed, stream_key(name), 0);
        let end = scenario.end();
        let groups = scenario.instances.fleet_groups();
        let workers = match &scenario.autoscaler {
            Some(a) => f64::from(groups[a.group.unwrap_or(0) as usize].workers),
            None => groups::mean_workers(&groups),
        };
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
            session_streams: Streams::new(seed, SESSION_STREAM),
            request_count: CountSampler::new(&scenario.workload.session.requests),
            think_time: DurationSampler::new(&scenario.workload.session.think_time),
            service_time: DurationSampler::new(&scenario.instances.service_time),
            sessions: Slab::default(),
            requests: Slab::default(),
            instances: Fleet::default(),
            retiring: Vec::new(),
            balancer: Balancer::new(&scenario.balancer, rng("balancer")),
            redis: Redis::new(&scenario.redis, rng("store")),
            recorder,
            busy_workers: 0,
            worker_capacity: 0,
            alive: 0,
            desired: groups.iter().map(|g| g.count).collect(),
            version: vec![0; groups.len()],
            deploy: vec![None; groups.len()],
            census: Census::new(groups.len()),
            census_kept: false,
            deploy_from: vec![0; groups.len()],
            group_stats: (!scenario.instances.groups.is_empty())
                .then(|| groups.iter().map(|_| GroupStats::default()).collect()),
            groups,
            scaler: scenario.autoscaler.as_ref().map(Scaler::new),
            database: scenario
                .database
                .as_ref()
                .map(|d| Database::new(d, rng("database"))),
            limiter: scenario.rate_limit.as_ref().map(RateLimiter::new),
            user_buckets: SideTable::default(),
            balancer_down_until: None,
            events: 0,
            scratch: Vec::new(),
            marks: Vec::new(),
            links: scenario
                .connections
                .as_ref()
                .map(|c| Links::new(c, seed, SimTime::ZERO + scenario.warmup)),
            tasks: Slab::default(),
            jobs: scenario.jobs.as_ref().map(|j| Jobs::new(j, seed)),
            files: scenario.files.as_ref().map(|f| FileTier::new(f, seed)),
            job_recorder: (scenario.jobs.is_some() || scenario.files.is_some()).then(|| {
                JobRecorder::new(
                    scenario
                        .jobs
                        .as_ref()
                        .map_or("", |j| job_queue_name(j.queue)),
                    scenario
                        .files
                        .as_ref()
                        .map_or("", |f| file_store_name(f.store)),
                )
            }),
        };
        let initial: usize = sim.groups.iter().map(|g| g.count as usize).sum();
        sim.instances.reserve(initial);
        for g in 0..sim.groups.len() {
            for _ in 0..sim.groups[g].count {
                // The initial fleet was running before the run: up, warm, and in rotation.
                let id = sim.launch(g as u32, false, LaunchCause::Initial);
                sim.booted(id);
                sim.instances[id].warm_at = SimTime::ZERO;
                sim.enter_rotation(id);
            }
        }
        sim.census = sim.census_by_scan();
        sim.census_kept = true;
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
        if let Some(t) = sim.links.as_mut().and_then(|l| l.first_arrival(end)) {
            sim.queue.push(t, Event::ConnArrival);
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
            if self.events.is_multiple_of(PROGRESS_EVERY) {
                progress(t);
            }
            self.queue
                .upcoming(|next, place| self.prefetch_for(next, place));
            self.dispatch(e);
            if !self.retiring.is_empty() {
                self.retire_stopped();
            }
        }
        self.now = self.end;
        let (fleet, store) = self.snapshot();
        self.recorder.close_window(self.end, fleet, store);
        self.close_links_window();
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
            instances_launched: self.instances.launched(),
            events: self.events,
            slo: scenario.report.slo,
        };
        for (id, inst) in self.instances.iter() {
            self.recorder.note_routed(id.index(), inst.routed);
        }
        // Only connections are members of instances: without them, no pass over the fleet.
        let imbalance = self.links.is_some().then(|| self.members_imbalance());
        let links = self.links.take();
        let open_jobs = self.jobs.as_ref().map_or((0, 0), |j| j.unresolved());
        let job_recorder = self.job_recorder.take();
        let group_stats = self.group_stats.take();
        let instances = std::mem::take(&mut self.instances);
        let groups = std::mem::take(&mut self.groups);
        let mut report = self.recorder.finish(self.end, in_flight, meta);
        if let Some(stats) = group_stats {
            report.groups = Some(groups::report(
                &groups,
                stats,
                &instances,
                &report.balance.requests_per_instance,
                SimTime::ZERO + scenario.warmup,
                self.end,
            ));
        }
        if let Some(l) = links {
            let (handshaking, recipients) = l.unresolved(&self.tasks);
            let (connections, messages, rows) =
                l.recorder
                    .finish(handshaking, recipients, imbalance.unwrap_or_default());
            report.connections = Some(connections);
            report.messages = Some(messages);
            report.connection_timeseries = rows;
        }
        if let Some(r) = job_recorder {
            let (jobs, files, rows) = r.finish(open_jobs.0, open_jobs.1);
            if scenario.jobs.is_some() {
                report.jobs = Some(jobs);
                report.job_timeseries = rows;
            }
            if scenario.files.is_some() {
                report.files = Some(files);
            }
        }
        report
    }

    /// Starts loading what `event` will read while the events before it are handled (see
    /// [`EventQueue::upcoming`]), in two stages: for a completion further ahead (`place` at
    /// least [`READ_AHEAD`]), its request record; for one nearer, whose request record started
    /// loading a few events earlier, the records that one leads to as well.
    #[inline]
    fn prefetch_for(&self, event: &Event, place: usize) {
        match *event {
            Event::Send(s) => self.sessions.prefetch(s.slot),
            Event::Complete(r) if place < READ_AHEAD => {
                if let Some(req) = self.requests.get(r.slot, r.generation) {
                    self.prefetch_completion(r, req);
                }
            }
            Event::Complete(r) | Event::Timeout(r) => self.requests.prefetch(r.slot),
            _ => {}
        }
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
            Event::ConnArrival => self.conn_arrival(),
            Event::ConnAttempt(u) => self.conn_attempt(u),
            Event::ConnLeave(u) => self.conn_leave(u),
            Event::ConnClose(u) => self.conn_close(u),
            Event::ConnMessage(u) => self.conn_message(u),
            Event::HandshakeTimeout(t) => self.handshake_timeout(t),
            Event::TaskDone(t) => self.task_done(t),
            Event::Publish(m) => self.publish_arrives(m),
            Event::JobDone(j) => self.job_done(j),
            Event::JobVisible(j) => self.job_visible(j),
            Event::JobsResume => self.jobs_resume(),
        }
    }

    /// The fleet at this instant for the time series, and the shared tier's utilization over
    /// the window that ends now.
    fn snapshot(&mut self) -> (FleetSnapshot, f64) {
        let fleet = FleetSnapshot {
            ready: self.balancer.routable().len() as u32,
            desired: self.desired.iter().sum(),
            booting: self.census.booting(),
            draining: self.census.draining(),
        };
        debug_assert_eq!(self.census, self.census_by_scan());
        let window = self.recorder.window_width().as_nanos().max(1) as f64;
        let store = if uses_redis(self.scenario) {
            self.redis.take_busy().as_nanos() as f64 / window
        } else if let (Some(db), Some(config)) = (&mut self.database, &self.scenario.database) {
            db.take_busy().as_nanos() as f64 / (window * f64::from(config.max_connections))
        } else {
            0.0
        };
        (fleet, store)
    }

    /// Closes the connections' and the jobs' report windows at the same instant as the
    /// recorder's.
    fn close_links_window(&mut self) {
        if self.jobs.is_some() {
            let waiting = self.jobs_waiting();
            if let Some(r) = self.job_recorder.as_mut() {
                r.close_window(waiting);
            }
        }
        if self.links.is_some() {
            let spread = self.members_spread();
            if let Some(l) = self.links.as_mut() {
                l.recorder.close_window(spread);
            }
        }
    }

    fn window_end(&mut self) {
        let (fleet, store) = self.snapshot();
        self.recorder.close_window(self.now, fleet, store);
        self.close_links_window();
        if let Some(limiter) = &mut self.limiter {
            limiter.prune(self.now);
        }
        let next = self.now + self.recorder.window_width();
        if next < self.end {
            self.queue.push(next, Event::WindowEnd);
        }
    }
}

/// Whether anything in `scenario` issues Redis operations: the tier's utilisation is then the
/// shared tier's column of the time series.
fn uses_redis(scenario: &Scenario) -> bool {
    scenario.sessions.store == SessionStore::Redis
        || scenario
            .connections
            .as_ref()
            .is_some_and(|c| c.delivery != crate::scenario::Delivery::Local)
        || scenario
            .jobs
            .as_ref()
            .is_some_and(|j| j.queue == crate::scenario::JobQueue::Redis)
}

pub(crate) fn job_queue_name(queue: crate::scenario::JobQueue) -> &'static str {
    match queue {
        crate::scenario::JobQueue::InProcess => "in-process",
        crate::scenario::JobQueue::Redis => "redis",
    }
}

pub(crate) fn file_store_name(store: crate::scenario::FileStore) -> &'static str {
    match store {
        crate::scenario::FileStore::Local => "local",
        crate::scenario::FileStore::Shared => "shared",
    }
}

pub(crate) fn store_name(store: SessionStore) -> &'static str {
    match store {
        SessionStore::InMemory => "in-memory",
        SessionStore::Redis => "redis",
        SessionStore::Jwt => "jwt",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_session_stays_small() {
        // A million live sessions should fit in well under 200 MB: each is a slab slot and one
        // pending event. Instance ids are 4-byte options; a rate-limit bucket, a file and the
        // place in a sticky instance's list live in side tables of their own, taken only by the
        // runs that use them.
        assert_eq!(size_of::<Option<InstanceId>>(), 4);
        let slot = Slab::<Session>::SLOT_BYTES;
        assert!(slot <= 96, "{slot} bytes");
        let request = Slab::<Request>::SLOT_BYTES;
        assert!(request <= 48, "{request} bytes");
        assert!(size_of::<Event>() <= 12, "{} bytes", size_of::<Event>());
    }

    #[test]
    fn the_initial_fleet_is_counted_once_built_and_every_change_is_followed_after() {
        let scenario = crate::model::tests::open_system(5, 2, 10.0, 100, 60);
        let mut sim = Simulation::new(&scenario);
        // Five instances up, on the current release, in rotation; none booting or draining.
        assert!(sim.census_kept);
        assert_eq!(sim.census, sim.census_by_scan());
        let g = sim.census.group(0);
        assert_eq!((g.holding, g.current, g.ready, g.unready), (5, 5, 5, 0));
        assert_eq!((sim.census.booting(), sim.census.draining()), (0, 0));
        // A launch during the run is followed: one more holds a place, boots, is not ready.
        let id = sim.launch(0, true, LaunchCause::ScaleOut);
        let g = sim.census.group(0);
        assert_eq!(
            (g.holding, g.ready, g.unready, sim.census.booting()),
            (6, 5, 1, 1)
        );
        // So is its boot and its entry into rotation.
        sim.booted(id);
        assert_eq!(sim.census.booting(), 0);
        sim.enter_rotation(id);
        let g = sim.census.group(0);
        assert_eq!((g.holding, g.ready, g.unready), (6, 6, 0));
        assert_eq!(sim.census, sim.census_by_scan());
    }
}
