//! The run's recorder: exact counters, HDR latency histograms and per-window rows.
//!
//! Memory is fixed up front (two histograms of ~184 KiB each, a few counters) plus one small row
//! per report window, so it does not grow with the number of requests simulated. Everything sent
//! before the warm-up ends is left out of the summary but still feeds the time series, so charts
//! show the whole run.
//!
//! Elasticity (how closely the ready fleet follows the load) is accumulated window by window as
//! each window closes, from two per-window quantities: the *supply*, ready instances
//! time-averaged over the window ([`Recorder::ready`]), and the *demand*, the instances the
//! window's offered load needed ([`DemandModel`]). See [`Elasticity`] for the definitions.

use hdrhistogram::Histogram;

use super::report::*;
use crate::engine::{SimDuration, SimTime};

/// Why a request attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    InstanceDown,
    QueueFull,
    Timeout,
    StoreUnavailable,
    SessionLost,
    /// Still running when its instance was terminated.
    Killed,
    /// Refused with 429 by the per-user rate limit. Not retried: retrying at once would be
    /// refused again.
    RateLimited,
    /// No load balancer was up: the connection was refused or reset. Retried.
    BalancerDown,
    /// A read of an uploaded file reached an instance without it. Not retried (a 404).
    FileNotFound,
}

impl Cause {
    /// A failure the client retries (a lost session is a logout and a 429 a refusal, not
    /// transport errors).
    pub(crate) fn is_retryable(self) -> bool {
        !matches!(
            self,
            Cause::SessionLost | Cause::RateLimited | Cause::FileNotFound
        )
    }
}

/// Why a session was lost (its user forced to log in again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LostCause {
    /// The instance holding the session crashed.
    Crash,
    /// The instance holding the session was drained and terminated by a scale-in.
    ScaleIn,
    /// The instance holding the session was replaced by a rolling deploy.
    Deploy,
    /// The balancer sent the session to an instance that does not hold it, the holder being up.
    Rerouting,
    /// The session store lost its data.
    StoreFailure,
    /// The session outlived its time to live.
    Expired,
}

/// Why an instance was launched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LaunchCause {
    /// Part of the fleet at the start of the run.
    Initial,
    /// The desired count went up (autoscaler or `scale` event).
    ScaleOut,
    /// Replaces a crashed instance.
    Replacement,
    /// A new-version instance of a rolling deploy.
    Deploy,
}

/// Why an instance was drained and terminated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TerminateCause {
    /// The desired count went down (autoscaler or `scale` event).
    ScaleIn,
    /// An old-version instance retired by a rolling deploy.
    Deploy,
}

/// The fleet's instance counts at the end of a report window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FleetSnapshot {
    /// In the balancer's rotation.
    pub(crate) ready: u32,
    /// The count the fleet is converging to (autoscaler decision or `scale` event).
    pub(crate) desired: u32,
    /// Launched, not yet in rotation.
    pub(crate) booting: u32,
    /// Out of rotation, finishing in-flight work before termination.
    pub(crate) draining: u32,
}

/// How elasticity demand (the instances a window's load needed) is derived from offered load.
///
/// Demand is `ceil(load per second / per_instance)`, at least 1 when anything was offered and 0
/// only when nothing was. The simulation sets the model from its scenario
/// ([`Recorder::with_demand`]); without it the recorder assumes `Work { per_instance: 1.0 }`,
/// one worker-second per second per instance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum DemandModel {
    /// Load is offered work, in worker-seconds per second (Σ service demand of the requests that
    /// reached an instance in the window, [`Recorder::offered`], over the window's length); `per_instance` is what
    /// one instance serves, in worker-seconds per second (e.g. workers × target utilization).
    Work { per_instance: f64 },
    /// Load is requests reaching an instance per second; `per_instance` is the requests per second one
    /// instance serves.
    Rate { per_instance: f64 },
}

impl DemandModel {
    /// Used until [`Recorder::with_demand`] says otherwise.
    pub(crate) const DEFAULT: DemandModel = DemandModel::Work { per_instance: 1.0 };

    fn per_instance(self) -> f64 {
        match self {
            DemandModel::Work { per_instance } | DemandModel::Rate { per_instance } => per_instance,
        }
    }
}

/// Two opposite scaling actions closer than this are a reversal (flapping).
pub(crate) const REVERSAL_WINDOW: SimDuration = SimDuration::from_secs(300);

/// Supply within this many instances of demand is neither under- nor over-provisioned: a
/// time-averaged 3.999 ready instances against a demand of 4 is not "under".
const PROVISIONING_TOLERANCE: f64 = 0.5;

/// Latencies are recorded in microseconds, from 1 µs to one hour, at 3 significant digits.
const LATENCY_MAX_US: u64 = 3_600_000_000;

/// The count at `index` of a table indexed by instance id, the table grown with zeros to cover
/// it.
#[inline]
pub(crate) fn grown_to(counts: &mut Vec<u64>, index: usize) -> &mut u64 {
    if counts.len() <= index {
        counts.resize(index + 1, 0);
    }
    &mut counts[index]
}

pub(crate) fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_MAX_US, 3).expect("static histogram bounds are valid")
}

#[inline]
pub(crate) fn to_us(d: SimDuration) -> u64 {
    (d.as_nanos() / 1_000).clamp(1, LATENCY_MAX_US)
}

/// The percentiles of a histogram of microseconds, in milliseconds (zeros when empty).
pub(crate) fn latency_of(h: &Histogram<u64>) -> Latency {
    if h.is_empty() {
        return Latency::default();
    }
    Latency {
        mean: h.mean() / 1_000.0,
        p50: us_to_ms(h.value_at_quantile(0.50)),
        p90: us_to_ms(h.value_at_quantile(0.90)),
        p95: us_to_ms(h.value_at_quantile(0.95)),
        p99: us_to_ms(h.value_at_quantile(0.99)),
        p999: us_to_ms(h.value_at_quantile(0.999)),
        max: us_to_ms(h.max()),
    }
}

fn us_to_ms(us: u64) -> f64 {
    us as f64 / 1_000.0
}

/// Counts within the current report window.
#[derive(Default)]
struct Window {
    arrivals: u64,
    sent: u64,
    succeeded: u64,
    failed: u64,
    /// ∫ busy workers dt over the window, in worker-nanoseconds.
    busy_area: u128,
    /// ∫ worker capacity dt over the window.
    capacity_area: u128,
    /// ∫ ready instances dt over the window, in instance-nanoseconds.
    ready_area: u128,
    /// Σ service demand of the requests that reached an instance in the window, in
    /// worker-nanoseconds.
    offered_ns: u128,
    /// Requests that reached an instance in the window.
    offered_requests: u64,
}

/// A piecewise-constant quantity integrated over time.
#[derive(Default)]
struct Level {
    value: u64,
    since: SimTime,
}

/// Running sums of the elasticity metrics over the measured windows.
#[derive(Default)]
struct ElasticityAcc {
    /// T: Σ Δt, seconds.
    seconds: f64,
    /// Σ max(d − s, 0) / max(d, 1) · Δt.
    under_area: f64,
    /// Σ max(s − d, 0) / max(d, 1) · Δt.
    over_area: f64,
    /// Σ Δt over windows with s < d − tolerance.
    under_seconds: f64,
    /// Σ Δt over windows with s > d + tolerance.
    over_seconds: f64,
    /// Consecutive measured window pairs, and those whose supply and demand moved differently.
    pairs: u64,
    unstable_pairs: u64,
    /// The previous measured window's rounded supply and demand.
    previous: Option<(i64, i64)>,
}

impl ElasticityAcc {
    fn add(&mut self, seconds: f64, supply: f64, demand: u32) {
        let d = f64::from(demand);
        let base = d.max(1.0);
        self.seconds += seconds;
        self.under_area += (d - supply).max(0.0) / base * seconds;
        self.over_area += (supply - d).max(0.0) / base * seconds;
        if supply < d - PROVISIONING_TOLERANCE {
            self.under_seconds += seconds;
        } else if supply > d + PROVISIONING_TOLERANCE {
            self.over_seconds += seconds;
        }
        let now = (supply.round() as i64, i64::from(demand));
        if let Some(before) = self.previous {
            self.pairs += 1;
            let moved = |a: i64, b: i64| (b - a).signum();
            if moved(before.0, now.0) != moved(before.1, now.1) {
                self.unstable_pairs += 1;
            }
        }
        self.previous = Some(now);
    }

    fn finish(&self) -> Elasticity {
        let over_time = |x: f64| {
            if self.seconds > 0.0 {
                x / self.seconds
            } else {
                0.0
            }
        };
        Elasticity {
            under_accuracy: over_time(self.under_area),
            over_accuracy: over_time(self.over_area),
            under_timeshare: over_time(self.under_seconds),
            over_timeshare: over_time(self.over_seconds),
            instability: if self.pairs > 0 {
                self.unstable_pairs as f64 / self.pairs as f64
            } else {
                0.0
            },
        }
    }
}

pub(crate) struct Recorder {
    warmup: SimTime,
    window_width: SimDuration,
    window_start: SimTime,
    demand: DemandModel,
    requests: Requests,
    sessions: Sessions,
    lost_total: u64,
    latency: Histogram<u64>,
    window_latency: Histogram<u64>,
    window: Window,
    rows: Vec<WindowRow>,
    busy: Level,
    capacity: Level,
    alive: Level,
    ready: Level,
    /// Whether [`Recorder::ready`] was ever called; if not, a window's supply is the ready count
    /// at its end.
    ready_tracked: bool,
    /// ∫ alive instances dt over the measured span, in instance-nanoseconds.
    alive_area: u128,
    fleet: Fleet,
    /// Time and direction (up?) of the last scaling action.
    last_action: Option<(SimTime, bool)>,
    elasticity: ElasticityAcc,
    revocation: Revocation,
    /// Σ exposure of revoked sessions, nanoseconds.
    exposure_ns: u128,
    /// Present once enabled (or used).
    cache: Option<Cache>,
    rate_limit: Option<RateLimit>,
    /// Per instance id: requests routed to it during the warm-up (instances launched after it
    /// have no entry).
    routed_in_warmup: Vec<u64>,
    /// Per instance id: measured requests routed to it over its life, noted when it retires
    /// or the run ends ([`Recorder::note_routed`]).
    routed: Vec<u64>,
    timeline: Vec<TimelineEntry>,
}

impl Recorder {
    pub(crate) fn new(warmup: SimTime, window: SimDuration, end: SimTime) -> Self {
        let windows = end.0.div_ceil(window.as_nanos().max(1)) as usize;
        Recorder {
            warmup,
            window_width: window,
            window_start: SimTime::ZERO,
            demand: DemandModel::DEFAULT,
            requests: Requests::default(),
            sessions: Sessions::default(),
            lost_total: 0,
            latency: latency_histogram(),
            window_latency: latency_histogram(),
            window: Window::default(),
            rows: Vec::with_capacity(windows.min(1 << 20)),
            busy: Level::default(),
            capacity: Level::default(),
            alive: Level::default(),
            ready: Level::default(),
            ready_tracked: false,
            alive_area: 0,
            fleet: Fleet::default(),
            last_action: None,
            elasticity: ElasticityAcc::default(),
            revocation: Revocation::default(),
            exposure_ns: 0,
            cache: None,
            rate_limit: None,
            routed_in_warmup: Vec::new(),
            routed: Vec::new(),
            timeline: Vec::new(),
        }
    }

    /// How elasticity demand is derived from offered load (default [`DemandModel::DEFAULT`]).
    ///
    /// # Panics
    /// If `per_instance` is not a positive finite number.
    pub(crate) fn with_demand(mut self, model: DemandModel) -> Self {
        let per_instance = model.per_instance();
        assert!(
            per_instance.is_finite() && per_instance > 0.0,
            "demand per instance must be positive, not {per_instance}"
        );
        self.demand = model;
        self
    }

    /// The run has a local cache: the report gets a `cache` section (zeros if never used).
    pub(crate) fn enable_cache(&mut self) {
        self.cache.get_or_insert_with(Cache::default);
    }

    /// The run has a per-user rate limit: the report gets a `rate_limit` section.
    pub(crate) fn enable_rate_limit(&mut self) {
        self.rate_limit.get_or_insert_with(RateLimit::default);
    }

    /// Whether something happening at `t` belongs to the summary.
    #[inline]
    pub(crate) fn measured(&self, t: SimTime) -> bool {
        t >= self.warmup
    }

    #[inline]
    pub(crate) fn session_arrived(&mut self, counted: bool) {
        self.window.arrivals += 1;
        self.sessions.started += u64::from(counted);
    }

    #[inline]
    pub(crate) fn session_completed(&mut self, counted: bool) {
        self.sessions.completed += u64::from(counted);
    }

    /// A session was found missing because of `cause`; `first` if this session had not been lost
    /// before. A session is filed under the cause of its first loss only, so the causes add up
    /// to `sessions.lost`.
    #[inline]
    pub(crate) fn session_lost_by(&mut self, counted: bool, first: bool, cause: LostCause) {
        if first {
            self.lost_total += 1;
        }
        if counted {
            self.sessions.lost += u64::from(first);
            self.sessions.relogins += 1;
            if first {
                let c = &mut self.sessions.lost_by_cause;
                *match cause {
                    LostCause::Crash => &mut c.crash,
                    LostCause::ScaleIn => &mut c.scale_in,
                    LostCause::Deploy => &mut c.deploy,
                    LostCause::Rerouting => &mut c.rerouting,
                    LostCause::StoreFailure => &mut c.store_failure,
                    LostCause::Expired => &mut c.expired,
                } += 1;
            }
        }
    }

    #[inline]
    pub(crate) fn sent(&mut self, counted: bool, retry: bool) {
        self.window.sent += 1;
        if counted {
            self.requests.sent += 1;
            self.requests.retries += u64::from(retry);
        }
    }

    /// A request reached an instance with this service demand: counted into the window's
    /// offered load.
    #[inline]
    pub(crate) fn offered(&mut self, demand: SimDuration) {
        self.window.offered_ns += u128::from(demand.as_nanos());
        self.window.offered_requests += 1;
    }

    /// A request was routed to `instance` during the warm-up. Requests routed after it are
    /// counted by the instance itself (`Instance::routed`, which a request touches anyway, where
    /// a table of the recorder's would be one more trip to memory in a large fleet) and noted
    /// here once, by [`Recorder::note_routed`].
    #[inline]
    pub(crate) fn routed_in_warmup(&mut self, instance: usize) {
        *grown_to(&mut self.routed_in_warmup, instance) += 1;
    }

    /// `instance`, retiring or still there at the end of the run, had `routed` requests routed
    /// to it since its launch: notes the measured ones for the report, and returns their count.
    pub(crate) fn note_routed(&mut self, instance: usize, routed: u64) -> u64 {
        let in_warmup = self.routed_in_warmup.get(instance).copied().unwrap_or(0);
        let measured = routed - in_warmup;
        if measured > 0 {
            *grown_to(&mut self.routed, instance) = measured;
        }
        measured
    }

    #[inline]
    pub(crate) fn succeeded(&mut self, counted: bool, latency: SimDuration) {
        let us = to_us(latency);
        self.window.succeeded += 1;
        self.window_latency.saturating_record(us);
        if counted {
            self.requests.succeeded += 1;
            self.latency.saturating_record(us);
        }
    }

    #[inline]
    pub(crate) fn failed(&mut self, counted: bool, cause: Cause) {
        self.window.failed += 1;
        if cause == Cause::RateLimited {
            self.enable_rate_limit();
        }
        if counted {
            let f = &mut self.requests.failed;
            *match cause {
                Cause::InstanceDown => &mut f.instance_down,
                Cause::QueueFull => &mut f.queue_full,
                Cause::Timeout => &mut f.timeout,
                Cause::StoreUnavailable => &mut f.store_unavailable,
                Cause::SessionLost => &mut f.session_lost,
                Cause::Killed => &mut f.killed,
                Cause::RateLimited => &mut f.rejected_by_rate_limit,
                Cause::BalancerDown => &mut f.balancer_down,
                Cause::FileNotFound => &mut f.file_not_found,
            } += 1;
        }
    }

    /// A request looked up the local cache.
    #[inline]
    pub(crate) fn cache(&mut self, counted: bool, hit: bool) {
        let cache = self.cache.get_or_insert_with(Cache::default);
        if counted {
            if hit {
                cache.hits += 1;
            } else {
                cache.misses += 1;
            }
        }
    }

    /// A request was admitted by a per-instance limiter although its user was over the
    /// fleet-wide limit (each instance counting on its own lets a user through more often).
    #[inline]
    pub(crate) fn rate_limit_excess(&mut self, counted: bool) {
        let limit = self.rate_limit.get_or_insert_with(RateLimit::default);
        limit.admitted_over_user_limit += u64::from(counted);
    }

    /// Busy workers changed at `now` (a worker took or finished something). Worker capacity did
    /// not: its level is integrated only when it changes ([`Recorder::workers`]) and when a
    /// window closes, which sums the same piecewise-constant area with two multiplications a
    /// request fewer.
    #[inline]
    pub(crate) fn busy_workers(&mut self, now: SimTime, busy: u64) {
        self.window.busy_area += Self::advance(&mut self.busy, now, busy);
    }

    /// Busy workers and worker capacity changed at `now` (an instance booted or stopped).
    #[inline]
    pub(crate) fn workers(&mut self, now: SimTime, busy: u64, capacity: u64) {
        self.busy_workers(now, busy);
        self.window.capacity_area += Self::advance(&mut self.capacity, now, capacity);
    }

    /// Ready (routable) instances changed at `now`: the supply side of elasticity.
    pub(crate) fn ready(&mut self, now: SimTime, ready: u32) {
        self.ready_tracked = true;
        self.window.ready_area += Self::advance(&mut self.ready, now, u64::from(ready));
    }

    /// Instances alive changed at `now`.
    pub(crate) fn alive(&mut self, now: SimTime, alive: u64) {
        self.integrate_alive(now);
        self.alive.value = alive;
        if self.measured(now) {
            self.fleet.peak = self.fleet.peak.max(alive);
        }
    }

    pub(crate) fn instance_launched_by(&mut self, cause: LaunchCause) {
        self.fleet.launched += 1;
        let by = &mut self.fleet.launched_by;
        *match cause {
            LaunchCause::Initial => &mut by.initial,
            LaunchCause::ScaleOut => &mut by.scale_out,
            LaunchCause::Replacement => &mut by.replacement,
            LaunchCause::Deploy => &mut by.deploy,
        } += 1;
    }

    pub(crate) fn instance_crashed(&mut self) {
        self.fleet.crashed += 1;
    }

    pub(crate) fn instance_terminated_by(&mut self, cause: TerminateCause) {
        self.fleet.terminated += 1;
        let by = &mut self.fleet.terminated_by;
        *match cause {
            TerminateCause::ScaleIn => &mut by.scale_in,
            TerminateCause::Deploy => &mut by.deploy,
        } += 1;
    }

    /// The desired instance count changed from `from` to `to` (an autoscaler decision or a
    /// `scale` event). No change is no action. An action in the opposite direction to the
    /// previous one, at most [`REVERSAL_WINDOW`] after it, is a reversal.
    pub(crate) fn scale_action(&mut self, now: SimTime, from: u32, to: u32) {
        if from == to {
            return;
        }
        let up = to > from;
        self.fleet.scale_actions += 1;
        if let Some((at, was_up)) = self.last_action {
            if was_up != up && now.saturating_since(at) <= REVERSAL_WINDOW {
                self.fleet.reversals += 1;
            }
        }
        self.last_action = Some((now, up));
    }

    /// A session's credential was revoked; it stays usable for `exposure` afterwards (until a
    /// signed token expires; zero for server-side stores).
    pub(crate) fn revoked(&mut self, exposure: SimDuration) {
        let r = &mut self.revocation;
        r.revoked += 1;
        r.exposure_seconds = r.exposure_seconds.max(exposure.as_secs_f64());
        self.exposure_ns += u128::from(exposure.as_nanos());
    }

    /// A request was accepted on a revoked credential.
    #[inline]
    pub(crate) fn request_after_revoke(&mut self, counted: bool) {
        self.revocation.requests_after_revoke += u64::from(counted);
    }

    /// `event` happened at `now`, touching `sessions_affected` live sessions.
    pub(crate) fn event(&mut self, now: SimTime, event: TimelineEvent, sessions_affected: u64) {
        self.timeline.push(TimelineEntry {
            t_s: now.as_secs_f64(),
            event,
            sessions_affected,
        });
    }

    /// Closes the report window that ends at `now`. `fleet` is the fleet at `now`;
    /// `store_utilization` is the session store's busy fraction over the window.
    pub(crate) fn close_window(
        &mut self,
        now: SimTime,
        fleet: FleetSnapshot,
        store_utilization: f64,
    ) {
        self.workers(now, self.busy.value, self.capacity.value);
        let ready = self.ready.value;
        self.window.ready_area += Self::advance(&mut self.ready, now, ready);
        let w = std::mem::take(&mut self.window);
        let width = now.saturating_since(self.window_start);
        let utilization = if w.capacity_area == 0 {
            0.0
        } else {
            w.busy_area as f64 / w.capacity_area as f64
        };
        let [p50_ms, p90_ms, p95_ms, p99_ms, p999_ms] = if self.window_latency.is_empty() {
            [0.0; 5]
        } else {
            [0.50, 0.90, 0.95, 0.99, 0.999]
                .map(|q| us_to_ms(self.window_latency.value_at_quantile(q)))
        };
        self.window_latency.reset();
        let demand = self.demand_of(&w, width);
        if self.measured(self.window_start) && !width.is_zero() {
            let supply = if self.ready_tracked {
                w.ready_area as f64 / width.as_nanos() as f64
            } else {
                f64::from(fleet.ready)
            };
            self.elasticity.add(width.as_secs_f64(), supply, demand);
        }
        self.rows.push(WindowRow {
            t_s: self.window_start.as_secs_f64(),
            arrivals: w.arrivals,
            sent: w.sent,
            succeeded: w.succeeded,
            failed: w.failed,
            p50_ms,
            p99_ms,
            p90_ms,
            p95_ms,
            p999_ms,
            instances_ready: fleet.ready,
            utilization,
            sessions_lost_total: self.lost_total,
            instances_desired: fleet.desired,
            instances_booting: fleet.booting,
            instances_draining: fleet.draining,
            store_utilization,
            instances_demand: demand,
        });
        self.window_start = now;
        // Fleet peak at the start of the measured span counts even if nothing changes after.
        if self.measured(now) {
            self.fleet.peak = self.fleet.peak.max(self.alive.value);
        }
    }

    pub(crate) fn window_width(&self) -> SimDuration {
        self.window_width
    }

    /// Instances the window's offered load needed: `ceil(load per second / per_instance)`, at
    /// least 1 when anything was offered, 0 when nothing was.
    fn demand_of(&self, w: &Window, width: SimDuration) -> u32 {
        let load = match self.demand {
            DemandModel::Work { .. } => w.offered_ns as f64 / 1e9,
            DemandModel::Rate { .. } => w.offered_requests as f64,
        };
        if load <= 0.0 {
            return 0;
        }
        let seconds = width.as_secs_f64();
        if seconds <= 0.0 {
            return 1;
        }
        let instances = load / (seconds * self.demand.per_instance());
        // A hair below the next integer, so that float noise on an exact multiple (4 × 10 s of
        // work summed from many requests) does not ask for one more instance.
        (instances - 1e-9).ceil().clamp(1.0, f64::from(u32::MAX)) as u32
    }

    /// Adds `level · (now − since)` and moves the level's clock to `now`.
    #[inline]
    fn advance(level: &mut Level, now: SimTime, new_value: u64) -> u128 {
        let area =
            u128::from(level.value) * u128::from(now.saturating_since(level.since).as_nanos());
        level.value = new_value;
        level.since = now;
        area
    }

    fn integrate_alive(&mut self, now: SimTime) {
        let from = self.alive.since.max(self.warmup);
        if now > from {
            self.alive_area += u128::from(self.alive.value) * u128::from((now - from).as_nanos());
        }
        self.alive.since = now;
    }

    /// How the measured windows fared against a p99 objective.
    fn slo(&self, objective: SimDuration) -> Slo {
        let p99_ms = objective.as_secs_f64() * 1e3;
        let warmup_s = self.warmup.as_secs_f64();
        let measured = self.rows.iter().filter(|r| r.t_s >= warmup_s);
        let (windows, windows_over) = measured.fold((0, 0), |(n, over), r| {
            (n + 1, over + u64::from(r.p99_ms > p99_ms))
        });
        Slo {
            p99_ms,
            windows,
            windows_over,
        }
    }

    /// Condenses the run into a report. `in_flight` counts measured requests whose client was
    /// still waiting at `end`.
    pub(crate) fn finish(mut self, end: SimTime, in_flight: u64, meta: RunMeta) -> Report {
        self.integrate_alive(end);
        let measured_s = end.saturating_since(self.warmup).as_secs_f64();
        self.requests.in_flight_at_end = in_flight;
        self.fleet.instance_seconds = self.alive_area as f64 / 1e9;
        self.fleet.mean = if measured_s > 0.0 {
            self.fleet.instance_seconds / measured_s
        } else {
            0.0
        };
        self.fleet.r#final = self.alive.value;
        self.fleet.elasticity = self.elasticity.finish();
        if self.revocation.revoked > 0 {
            self.revocation.mean_exposure_seconds =
                self.exposure_ns as f64 / 1e9 / self.revocation.revoked as f64;
        }
        if let Some(cache) = &mut self.cache {
            let lookups = cache.hits + cache.misses;
            cache.hit_ratio = if lookups > 0 {
                cache.hits as f64 / lookups as f64
            } else {
                0.0
            };
        }
        if let Some(limit) = &mut self.rate_limit {
            limit.rejected = self.requests.failed.rejected_by_rate_limit;
        }
        let latency_ms = latency_of(&self.latency);
        let slo = meta.slo.map(|objective| self.slo(objective));
        let mut routed = self.routed;
        routed.resize(meta.instances_launched, 0);
        let mean = routed.iter().sum::<u64>() as f64 / routed.len().max(1) as f64;
        let max = routed.iter().copied().max().unwrap_or(0) as f64;
        Report {
            scenario: meta.scenario,
            description: meta.description,
            seed: meta.seed,
            simulated_seconds: measured_s,
            warmup_seconds: self.warmup.as_secs_f64(),
            session_store: meta.session_store,
            requests: self.requests,
            sessions: self.sessions,
            latency_ms,
            slo,
            objectives: None,
            fleet: self.fleet,
            balance: Balance {
                imbalance: if mean > 0.0 { max / mean } else { 0.0 },
                requests_per_instance: routed,
            },
            revocation: self.revocation,
            cache: self.cache,
            rate_limit: self.rate_limit,
            // The run's caller times it and fills in the wall-clock fields.
            engine: Engine {
                events: meta.events,
                ..Engine::default()
            },
            timeline: self.timeline,
            timeseries: self.rows,
            connections: None,
            messages: None,
            groups: None,
            connection_timeseries: Vec::new(),
            jobs: None,
            files: None,
            job_timeseries: Vec::new(),
        }
    }
}

/// What the recorder cannot know by itself.
pub(crate) struct RunMeta {
    pub(crate) scenario: String,
    pub(crate) description: String,
    pub(crate) seed: u64,
    pub(crate) session_store: String,
    pub(crate) instances_launched: usize,
    pub(crate) events: u64,
    /// The p99 latency objective, if the scenario sets one.
    pub(crate) slo: Option<SimDuration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    fn ms(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }

    fn meta() -> RunMeta {
        RunMeta {
            scenario: "t".into(),
            description: String::new(),
            seed: 1,
            session_store: "jwt".into(),
            instances_launched: 2,
            events: 0,
            slo: None,
        }
    }

    fn close(r: &mut Recorder, now: SimTime, ready: u32) {
        let fleet = FleetSnapshot {
            ready,
            desired: ready,
            ..FleetSnapshot::default()
        };
        r.close_window(now, fleet, 0.0);
    }

    #[test]
    fn warmup_is_excluded_from_the_summary_but_not_the_series() {
        let mut r = Recorder::new(t(10), SimDuration::from_secs(10), t(20));
        r.sent(r.measured(t(5)), false);
        r.succeeded(r.measured(t(5)), SimDuration::from_millis(3));
        close(&mut r, t(10), 2);
        r.sent(r.measured(t(15)), true);
        r.failed(r.measured(t(15)), Cause::QueueFull);
        close(&mut r, t(20), 2);
        let rep = r.finish(t(20), 0, meta());
        assert_eq!(rep.requests.sent, 1);
        assert_eq!(rep.requests.retries, 1);
        assert_eq!(rep.requests.failed.queue_full, 1);
        assert_eq!(rep.requests.succeeded, 0);
        assert!(rep.requests.is_balanced());
        assert_eq!(rep.timeseries.len(), 2);
        assert_eq!(rep.timeseries[0].succeeded, 1);
        // HDR reports the highest value equivalent to 3 ms at 3 significant digits.
        assert!((rep.timeseries[0].p50_ms - 3.0).abs() <= 0.003);
        assert_eq!(rep.timeseries[1].failed, 1);
    }

    #[test]
    fn a_latency_lands_in_its_window_and_in_the_run_only_if_measured() {
        // Successes over three 10 s windows, the warm-up ending mid-way through the second, a
        // quarter of those after it sent in the warm-up (so unmeasured). A window's percentiles
        // are those of all its successes; the run's, those of the measured ones alone.
        use rand::RngExt;
        let mut r = Recorder::new(t(15), SimDuration::from_secs(10), t(30));
        let mut rng = crate::engine::stream(5, crate::engine::stream_key("latencies"), 0);
        let mut run = latency_histogram();
        for end in [10, 20, 30] {
            let mut window = latency_histogram();
            for i in 0..2_000u64 {
                let now = SimTime((end - 10) * 1_000_000_000 + i * 5_000_000);
                let counted = r.measured(now) && !rng.random_bool(0.25);
                let latency = SimDuration::from_micros(rng.random_range(1..2_000_000));
                r.succeeded(counted, latency);
                window.saturating_record(to_us(latency));
                if counted {
                    run.saturating_record(to_us(latency));
                }
            }
            close(&mut r, t(end), 1);
            let row = r.rows.last().expect("a row per window");
            assert_eq!(row.succeeded, 2_000);
            assert_eq!(row.p50_ms, us_to_ms(window.value_at_quantile(0.5)));
            assert_eq!(row.p999_ms, us_to_ms(window.value_at_quantile(0.999)));
        }
        let rep = r.finish(t(30), 0, meta());
        assert_eq!(rep.requests.succeeded, run.len());
        assert!(run.len() > 1_500 && run.len() < 2_500, "{}", run.len());
        let expected = latency_of(&run);
        assert_eq!(rep.latency_ms.p50, expected.p50);
        assert_eq!(rep.latency_ms.p99, expected.p99);
        assert_eq!(rep.latency_ms.max, expected.max);
        assert_eq!(rep.latency_ms.mean, expected.mean);
    }

    #[test]
    fn requests_per_instance_count_what_was_routed_after_the_warm_up() {
        // Instance 0 had 5 requests routed to it, 2 of them in the warm-up, and retired; instance
        // 1 had 4, none in the warm-up, and was there at the end; instance 2 had only warm-up
        // requests. Each notes its total once; the report counts the measured ones.
        let mut r = Recorder::new(t(10), SimDuration::from_secs(20), t(20));
        r.routed_in_warmup(0);
        r.routed_in_warmup(0);
        r.routed_in_warmup(2);
        assert_eq!(r.note_routed(0, 5), 3);
        assert_eq!(r.note_routed(1, 4), 4);
        assert_eq!(r.note_routed(2, 1), 0);
        close(&mut r, t(20), 3);
        let mut m = meta();
        m.instances_launched = 4;
        let rep = r.finish(t(20), 0, m);
        assert_eq!(rep.balance.requests_per_instance, [3, 4, 0, 0]);
    }

    #[test]
    fn utilization_and_instance_seconds_are_time_averages() {
        let mut r = Recorder::new(t(0), SimDuration::from_secs(10), t(10));
        r.alive(t(0), 2);
        r.workers(t(0), 0, 4);
        r.workers(t(5), 4, 4); // idle for 5 s, fully busy for 5 s
        r.alive(t(5), 1);
        close(&mut r, t(10), 1);
        let rep = r.finish(t(10), 0, meta());
        assert!((rep.timeseries[0].utilization - 0.5).abs() < 1e-12);
        // 2 instances × 5 s + 1 × 5 s
        assert!((rep.fleet.instance_seconds - 15.0).abs() < 1e-9);
        assert!((rep.fleet.mean - 1.5).abs() < 1e-9);
        assert_eq!(rep.fleet.peak, 2);
        // One instance is alive when the run ends.
        assert_eq!(rep.fleet.r#final, 1);
    }

    #[test]
    fn closing_a_window_records_the_fleet_snapshot_and_store_load() {
        let mut r = Recorder::new(t(0), SimDuration::from_secs(10), t(10));
        let fleet = FleetSnapshot {
            ready: 2,
            desired: 5,
            booting: 3,
            draining: 1,
        };
        r.close_window(t(10), fleet, 0.75);
        let row = &r.finish(t(10), 0, meta()).timeseries[0];
        assert_eq!(
            (
                row.instances_ready,
                row.instances_desired,
                row.instances_booting,
                row.instances_draining
            ),
            (2, 5, 3, 1)
        );
        assert_eq!(row.store_utilization, 0.75);
    }

    #[test]
    fn lost_sessions_by_cause_count_each_session_once_by_its_first_loss() {
        let mut r = Recorder::new(t(10), SimDuration::from_secs(10), t(20));
        // During warm-up: counted in the series' running total, not in the summary.
        r.session_lost_by(false, true, LostCause::Crash);
        // Session A: lost to a crash, then again to re-routing (a re-login, not a new loss).
        r.session_lost_by(true, true, LostCause::Crash);
        r.session_lost_by(true, false, LostCause::Rerouting);
        // Session B: lost to a scale-in; C to a deploy; D to re-routing.
        r.session_lost_by(true, true, LostCause::ScaleIn);
        r.session_lost_by(true, true, LostCause::Deploy);
        r.session_lost_by(true, true, LostCause::Rerouting);
        // E: the store lost it; F: it expired, then lost again to a crash.
        r.session_lost_by(true, true, LostCause::StoreFailure);
        r.session_lost_by(true, true, LostCause::Expired);
        r.session_lost_by(true, false, LostCause::Crash);
        close(&mut r, t(20), 1);
        let rep = r.finish(t(20), 0, meta());
        let by = &rep.sessions.lost_by_cause;
        assert_eq!(
            by,
            &LostByCause {
                crash: 1,
                scale_in: 1,
                deploy: 1,
                rerouting: 1,
                store_failure: 1,
                expired: 1,
            }
        );
        assert_eq!(by.total(), rep.sessions.lost);
        // Six distinct sessions, eight losses in all.
        assert_eq!((rep.sessions.lost, rep.sessions.relogins), (6, 8));
        assert_eq!(rep.timeseries[0].sessions_lost_total, 7);
    }

    #[test]
    fn launches_and_terminations_are_counted_by_cause() {
        let mut r = Recorder::new(t(0), SimDuration::from_secs(10), t(10));
        r.instance_launched_by(LaunchCause::Initial);
        r.instance_launched_by(LaunchCause::Initial);
        r.instance_launched_by(LaunchCause::ScaleOut);
        r.instance_launched_by(LaunchCause::Replacement);
        r.instance_launched_by(LaunchCause::Deploy);
        r.instance_terminated_by(TerminateCause::ScaleIn);
        r.instance_terminated_by(TerminateCause::Deploy);
        let fleet = r.finish(t(10), 0, meta()).fleet;
        assert_eq!(fleet.launched, 5);
        assert_eq!(
            fleet.launched_by,
            LaunchedBy {
                initial: 2,
                scale_out: 1,
                replacement: 1,
                deploy: 1
            }
        );
        assert_eq!(fleet.terminated, 2);
        assert_eq!(
            fleet.terminated_by,
            TerminatedBy {
                scale_in: 1,
                deploy: 1
            }
        );
    }

    /// Scale actions at `(seconds, from, to)`: (actions, reversals).
    fn actions(steps: &[(u64, u32, u32)]) -> (u64, u64) {
        let mut r = Recorder::new(t(0), SimDuration::from_secs(10), t(3600));
        for &(s, from, to) in steps {
            r.scale_action(t(s), from, to);
        }
        let fleet = r.finish(t(3600), 0, meta()).fleet;
        (fleet.scale_actions, fleet.reversals)
    }

    #[test]
    fn a_scale_down_within_five_minutes_of_a_scale_up_is_a_reversal() {
        // Up at 100 s, down 240 s later.
        assert_eq!(actions(&[(100, 2, 4), (340, 4, 3)]), (2, 1));
        // Exactly five minutes apart still counts.
        assert_eq!(actions(&[(100, 2, 4), (400, 4, 3)]), (2, 1));
    }

    #[test]
    fn a_scale_down_six_minutes_after_a_scale_up_is_not_a_reversal() {
        assert_eq!(actions(&[(100, 2, 4), (460, 4, 3)]), (2, 0));
    }

    #[test]
    fn two_scale_ups_in_a_row_are_not_a_reversal() {
        assert_eq!(actions(&[(100, 2, 4), (130, 4, 6)]), (2, 0));
    }

    #[test]
    fn flapping_counts_every_change_of_direction_and_no_change_is_no_action() {
        // up, down, up, down a minute apart: three reversals; 5 → 5 is not an action.
        let steps = [
            (60, 2, 5),
            (120, 5, 3),
            (150, 3, 3),
            (180, 3, 5),
            (240, 5, 2),
        ];
        assert_eq!(actions(&steps), (4, 3));
    }

    #[test]
    fn elasticity_follows_the_spec_research_definitions() {
        // Warm-up 10 s, windows of 10 s, run of 50 s; demand = ceil(work / (10 s × 2)): each
        // instance serves 2 worker-seconds per second.
        let mut r = Recorder::new(t(10), SimDuration::from_secs(10), t(50))
            .with_demand(DemandModel::Work { per_instance: 2.0 });
        let work = |r: &mut Recorder, worker_seconds: u64| {
            // Many small requests, as a run sends them.
            for _ in 0..worker_seconds * 10 {
                r.offered(SimDuration::from_millis(100));
            }
        };
        // [0, 10) warm-up: nothing ready, 1,000 worker-seconds offered (d = 50). Left out.
        r.ready(t(0), 0);
        work(&mut r, 1_000);
        close(&mut r, t(10), 0);
        // [10, 20): s = 2, d = 40 / 20 = 2. Balanced.
        r.ready(t(10), 2);
        work(&mut r, 40);
        close(&mut r, t(20), 2);
        // [20, 30): 2 ready until 25 s, then 4: s = 3; d = 100 / 20 = 5. Under-provisioned:
        // (5 − 3) / 5 · 10 s = 4 s.
        r.ready(t(25), 4);
        work(&mut r, 100);
        close(&mut r, t(30), 4);
        // [30, 40): s = 4; d = ceil(41 / 20) = ceil(2.05) = 3. Over-provisioned:
        // (4 − 3) / 3 · 10 s = 10/3 s.
        work(&mut r, 41);
        close(&mut r, t(40), 4);
        // [40, 50): 4 ready until 49.99 s, then 3: s = (4 · 9.99 + 3 · 0.01) / 10 = 3.999;
        // d = 80 / 20 = 4. Under by 0.001 / 4 · 10 s = 0.0025 s, but within the 0.5-instance
        // tolerance, so not time under-provisioned.
        r.ready(ms(49_990), 3);
        work(&mut r, 80);
        close(&mut r, t(50), 3);
        let rep = r.finish(t(50), 0, meta());

        let demand: Vec<u32> = rep.timeseries.iter().map(|w| w.instances_demand).collect();
        assert_eq!(demand, [50, 2, 5, 3, 4]);
        let e = &rep.fleet.elasticity;
        let close_to = |a: f64, b: f64| (a - b).abs() < 1e-9;
        // T = 40 s (four measured windows).
        // under: (0 + 4 + 0 + 0.0025) / 40 = 0.1000625
        assert!(close_to(e.under_accuracy, 0.100_062_5), "{e:?}");
        // over: (10/3) / 40 = 1/12
        assert!(close_to(e.over_accuracy, 1.0 / 12.0), "{e:?}");
        // One window of four each under and over.
        assert!(close_to(e.under_timeshare, 0.25), "{e:?}");
        assert!(close_to(e.over_timeshare, 0.25), "{e:?}");
        // Rounded supply 2, 3, 4, 4 against demand 2, 5, 3, 4:
        // (+1, +3) agree; (+1, −2) disagree; (0, +1) disagree → 2 of 3 pairs.
        assert!(close_to(e.instability, 2.0 / 3.0), "{e:?}");
    }

    #[test]
    fn demand_is_zero_only_when_nothing_was_offered() {
        let mut r = Recorder::new(t(0), SimDuration::from_secs(10), t(30));
        close(&mut r, t(10), 1);
        // 1 ms of work in 10 s: 0.0001 instances, rounded up to one.
        r.offered(SimDuration::from_millis(1));
        close(&mut r, t(20), 1);
        // Exactly 4 instances' worth, summed from a thousand requests: 4, not 5.
        for _ in 0..1_000 {
            r.offered(SimDuration::from_millis(40));
        }
        close(&mut r, t(30), 1);
        let demand: Vec<u32> = r
            .finish(t(30), 0, meta())
            .timeseries
            .iter()
            .map(|w| w.instances_demand)
            .collect();
        assert_eq!(demand, [0, 1, 4]);
    }

    #[test]
    fn rate_demand_counts_requests_offered_per_second() {
        let mut r = Recorder::new(t(0), SimDuration::from_secs(10), t(10))
            .with_demand(DemandModel::Rate { per_instance: 1.0 });
        for _ in 0..25 {
            r.sent(true, false);
            r.offered(SimDuration::from_millis(1));
        }
        close(&mut r, t(10), 3);
        let rep = r.finish(t(10), 0, meta());
        // 25 requests / 10 s = 2.5/s at 1/s per instance: 3 instances; 3 were ready.
        assert_eq!(rep.timeseries[0].instances_demand, 3);
        assert_eq!(rep.fleet.elasticity, Elasticity::default());
    }

    #[test]
    fn without_ready_calls_supply_is_the_ready_count_at_each_window_end() {
        let mut r = Recorder::new(t(0), SimDuration::from_secs(10), t(10))
            .with_demand(DemandModel::Rate { per_instance: 1.0 });
        for _ in 0..40 {
            r.sent(true, false);
            r.offered(SimDuration::from_millis(1));
        }
        close(&mut r, t(10), 2);
        let e = r.finish(t(10), 0, meta()).fleet.elasticity;
        // d = 4, s = 2: under by (4 − 2) / 4 over the whole measured time.
        assert_eq!((e.under_accuracy, e.under_timeshare), (0.5, 1.0));
    }

    #[test]
    fn revocation_reports_the_longest_and_the_mean_exposure() {
        let mut r = Recorder::new(t(10), SimDuration::from_secs(10), t(20));
        // Tokens revoked with 15 min, 5 min and 0 s left to live.
        r.revoked(SimDuration::from_secs(900));
        r.revoked(SimDuration::from_secs(300));
        r.revoked(SimDuration::ZERO);
        r.request_after_revoke(true);
        r.request_after_revoke(true);
        r.request_after_revoke(false);
        let rev = r.finish(t(20), 0, meta()).revocation;
        assert_eq!(rev.revoked, 3);
        assert_eq!(rev.exposure_seconds, 900.0);
        // (900 + 300 + 0) / 3
        assert_eq!(rev.mean_exposure_seconds, 400.0);
        assert_eq!(rev.requests_after_revoke, 2);
    }

    #[test]
    fn nothing_revoked_is_all_zeros() {
        let r = Recorder::new(t(0), SimDuration::from_secs(10), t(10));
        assert_eq!(r.finish(t(10), 0, meta()).revocation, Revocation::default());
    }

    #[test]
    fn every_request_is_accounted_for_once_with_the_new_causes() {
        let mut r = Recorder::new(t(0), SimDuration::from_secs(10), t(10));
        r.enable_rate_limit();
        let causes = [
            Cause::InstanceDown,
            Cause::QueueFull,
            Cause::Timeout,
            Cause::StoreUnavailable,
            Cause::SessionLost,
            Cause::Killed,
            Cause::RateLimited,
            Cause::BalancerDown,
        ];
        for (i, &cause) in causes.iter().enumerate() {
            // i + 1 failures of the i-th cause.
            for _ in 0..=i {
                r.sent(true, false);
                r.failed(true, cause);
            }
        }
        for _ in 0..5 {
            r.sent(true, false);
            r.succeeded(true, SimDuration::from_millis(1));
        }
        r.sent(true, false); // still in flight
        close(&mut r, t(10), 1);
        let rep = r.finish(t(10), 1, meta());
        let f = &rep.requests.failed;
        assert_eq!((f.rejected_by_rate_limit, f.balancer_down), (7, 8));
        // 1 + 2 + … + 8 = 36 failures, 5 successes, 1 in flight.
        assert_eq!(f.total(), 36);
        assert_eq!(rep.requests.sent, 42);
        assert!(rep.requests.is_balanced());
        assert_eq!(rep.rate_limit.map(|l| l.rejected), Some(7));
    }

    #[test]
    fn a_rate_limited_request_is_not_retried_but_a_balancer_outage_is() {
        assert!(!Cause::RateLimited.is_retryable());
        assert!(Cause::BalancerDown.is_retryable());
        assert!(!Cause::SessionLost.is_retryable());
        assert!(Cause::Timeout.is_retryable());
    }

    #[test]
    fn cache_and_rate_limit_sections_appear_only_when_enabled() {
        let off = Recorder::new(t(0), SimDuration::from_secs(10), t(10)).finish(t(10), 0, meta());
        assert_eq!((off.cache, off.rate_limit), (None, None));

        let mut r = Recorder::new(t(5), SimDuration::from_secs(10), t(10));
        r.enable_cache();
        r.enable_rate_limit();
        r.cache(false, true); // warm-up: not counted
        r.cache(true, true);
        r.cache(true, true);
        r.cache(true, true);
        r.cache(true, false);
        r.rate_limit_excess(true);
        r.rate_limit_excess(false);
        let on = r.finish(t(10), 0, meta());
        assert_eq!(
            on.cache,
            Some(Cache {
                hits: 3,
                misses: 1,
                hit_ratio: 0.75
            })
        );
        assert_eq!(
            on.rate_limit,
            Some(RateLimit {
                rejected: 0,
                admitted_over_user_limit: 1
            })
        );
    }

    #[test]
    fn an_enabled_but_unused_cache_reports_zeros() {
        let mut r = Recorder::new(t(0), SimDuration::from_secs(10), t(10));
        r.enable_cache();
        assert_eq!(r.finish(t(10), 0, meta()).cache, Some(Cache::default()));
    }

    #[test]
    #[should_panic(expected = "demand per instance must be positive")]
    fn fails_with_a_message_on_a_zero_demand_per_instance() {
        let _ = Recorder::new(t(0), SimDuration::from_secs(10), t(10))
            .with_demand(DemandModel::Rate { per_instance: 0.0 });
    }
}
