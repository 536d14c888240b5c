//! From the file's shape ([`RawScenario`]) to a scenario the simulator can trust ([`Scenario`]).
//!
//! Every rule is checked and every failure collected, so one run of `fleetsim validate` shows all
//! that is wrong, each with its field path. Where a value came from (a line, a `--set`, a
//! default) is not known here: the caller supplies `locate`, keeping this module about rules.
//!
//! Besides checking, validation resolves: durations become integer nanoseconds, a lognormal
//! given as (mean, p99) becomes (mu, sigma), a profile gets its implicit zero point, events are
//! sorted by time, and a crash event with `mtbf` becomes [`Scenario::mtbf`] instead of an event.

use super::duration::HumanDuration;
use super::error::{Origin, Problem};
use super::percent::{CountOrPercent, Rounding, Share};
use super::raw::*;
use super::types::*;
use crate::engine::{SimDuration, SimTime};

/// The standard normal quantile of 0.99: a lognormal's p99 is `exp(mu + Z99 * sigma)`.
pub(crate) const Z99: f64 = 2.3263478740408408;

/// Checks `raw` against every rule. `locate` says where a field path came from.
pub(crate) fn validate(
    raw: &RawScenario,
    locate: &dyn Fn(&str) -> Origin,
) -> Result<Scenario, Vec<Problem>> {
    let mut c = Checker {
        problems: Vec::new(),
        locate,
    };
    let scenario = c.scenario(raw);
    if c.problems.is_empty() {
        Ok(scenario)
    } else {
        Err(c.problems)
    }
}

/// Parameters (mu, sigma) of the normal underlying a lognormal, in ln(seconds), such that its
/// mean is `mean_s` and its 99th percentile `p99_s`.
///
/// With `ln X ~ N(mu, sigma²)`: mean = exp(mu + sigma²/2) and p99 = exp(mu + z·sigma), so
/// r = ln(p99/mean) = z·sigma − sigma²/2, i.e. sigma² − 2z·sigma + 2r = 0, whose smaller root is
/// sigma = z − sqrt(z² − 2r) (the larger one gives a distribution whose mean is dominated by a
/// far tail). Real roots need r ≤ z²/2, i.e. p99/mean ≤ exp(z²/2) ≈ 14.97; sigma > 0 needs
/// p99 > mean. Returns `None` outside those bounds.
pub(crate) fn lognormal_params(mean_s: f64, p99_s: f64) -> Option<(f64, f64)> {
    if !(mean_s > 0.0 && p99_s > mean_s && mean_s.is_finite() && p99_s.is_finite()) {
        return None;
    }
    let r = (p99_s / mean_s).ln();
    let discriminant = Z99 * Z99 - 2.0 * r;
    if discriminant < 0.0 {
        return None;
    }
    let sigma = Z99 - discriminant.sqrt();
    let mu = mean_s.ln() - sigma * sigma / 2.0;
    Some((mu, sigma))
}

/// The heaviest tail a lognormal can have for a given mean: p99/mean ≤ exp(z²/2).
pub(crate) fn max_lognormal_ratio() -> f64 {
    (Z99 * Z99 / 2.0).exp()
}

struct Checker<'a> {
    problems: Vec<Problem>,
    locate: &'a dyn Fn(&str) -> Origin,
}

/// `a.b` + `c` → `a.b.c`.
fn at(path: &str, field: &str) -> String {
    format!("{path}.{field}")
}

/// Whose arrivals a rate profile gives, for paths and messages.
#[derive(Clone, Copy)]
struct Arrivals {
    /// `workload.arrivals` or `connections.arrivals`.
    path: &'static str,
    /// The unit of its rates, in messages: `sessions/s` or `users/s`.
    unit: &'static str,
}

const SESSIONS: Arrivals = Arrivals {
    path: "workload.arrivals",
    unit: "sessions/s",
};
const USERS: Arrivals = Arrivals {
    path: "connections.arrivals",
    unit: "users/s",
};

/// What the rules for events need to know about the rest of the scenario.
struct EventContext {
    duration: SimDuration,
    instance_count: u32,
    /// The fleet's groups (the one `default` group without `instances.groups`), in order.
    groups: Vec<GroupConfig>,
    /// The group the autoscaler resizes, when there is an autoscaler.
    autoscaled: Option<u32>,
    store: RawStore,
    /// How connections deliver messages, when there are connections.
    delivery: Option<RawDelivery>,
    /// Whether jobs wait in a Redis queue.
    redis_jobs: bool,
    /// The autoscaler's `[min, max]`, when there is one.
    autoscaler: Option<(u32, u32)>,
}

/// The instance count desired at the time of event `i`: `instance_count`, as changed by the
/// `scale` events before it (events at the same time count in the order they are written, as
/// they run). A rolling deploy's percentages are shares of it.
fn desired_count(raw: &[RawEvent], i: usize, instance_count: u32) -> u32 {
    let Some(when) = raw[i].at() else {
        return instance_count;
    };
    let mut latest: Option<(HumanDuration, usize, u32)> = None;
    for (j, e) in raw.iter().enumerate() {
        if let RawEvent::Scale { at, to, .. } = *e {
            let before = at < when || (at == when && j < i);
            if before && latest.is_none_or(|(t, k, _)| (at, j) > (t, k)) {
                latest = Some((at, j, to));
            }
        }
    }
    latest.map_or(instance_count, |(_, _, to)| to)
}

/// A store as written in the file, for messages.
fn store_name(store: RawStore) -> &'static str {
    match store {
        RawStore::InMemory => "in-memory",
        RawStore::Redis => "redis",
        RawStore::Jwt => "jwt",
    }
}

impl Checker<'_> {
    fn report(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_owned(),
            message: message.into(),
            origin: (self.locate)(path),
        });
    }

    fn positive(&mut self, path: &str, d: HumanDuration) -> SimDuration {
        if d.0.is_zero() {
            self.report(path, "must be > 0");
        }
        d.0
    }

    fn at_least_one(&mut self, path: &str, n: u32) -> u32 {
        if n < 1 {
            self.report(path, format!("must be ≥ 1, got {n}"));
        }
        n
    }

    fn rate(&mut self, path: &str, rate: f64) -> f64 {
        if !rate.is_finite() || rate < 0.0 {
            self.report(path, format!("must be a number ≥ 0, got {rate}"));
        }
        rate
    }

    fn positive_number(&mut self, path: &str, x: f64) -> f64 {
        if !(x.is_finite() && x > 0.0) {
            self.report(path, format!("must be a number > 0, got {x}"));
        }
        x
    }

    /// A multiplier of time (a slowdown): 1 means no change.
    fn factor(&mut self, path: &str, f: f64) -> f64 {
        if !(f.is_finite() && f >= 1.0) {
            self.report(
                path,
                format!("must be a number ≥ 1 (1 = no slowdown), got {f}"),
            );
        }
        f
    }

    /// A point in time of the run: must be before its end.
    fn instant(&mut self, path: &str, t: HumanDuration, duration: SimDuration) -> SimTime {
        if !duration.is_zero() && t.0 >= duration {
            self.report(
                path,
                format!("{t} is not before the end of the run ({duration})"),
            );
        }
        SimTime(t.0.as_nanos())
    }

    /// `report.slo` as an objective, then each of `objectives` parsed.
    fn objectives(&mut self, slo: Option<SimDuration>, texts: &[String]) -> Vec<Objective> {
        let mut objectives: Vec<Objective> = slo.into_iter().map(Objective::from_slo).collect();
        for (i, text) in texts.iter().enumerate() {
            match text.parse() {
                Ok(o) => objectives.push(o),
                Err(e) => self.report(&format!("objectives[{i}]"), e),
            }
        }
        objectives
    }

    fn scenario(&mut self, raw: &RawScenario) -> Scenario {
        self.name(&raw.name);
        let duration = self.positive("duration", raw.duration);
        if !duration.is_zero() && raw.warmup.0 >= duration {
            self.report(
                "warmup",
                format!(
                    "must be shorter than duration ({duration}), got {}",
                    raw.warmup
                ),
            );
        }
        let instances = self.instances(&raw.instances);
        let groups = instances.fleet_groups();
        let autoscaler = raw.autoscaler.as_ref().map(|a| self.autoscaler(a, &groups));
        let context = EventContext {
            duration,
            instance_count: instances.count,
            autoscaled: autoscaler.as_ref().map(|a| a.group.unwrap_or(0)),
            groups,
            store: raw.sessions.store,
            delivery: raw.connections.as_ref().map(|c| c.delivery),
            redis_jobs: raw
                .jobs
                .as_ref()
                .is_some_and(|j| j.queue == RawJobQueue::Redis),
            // Bounds that are themselves wrong are reported once, at the autoscaler.
            autoscaler: autoscaler
                .as_ref()
                .map(|a| (a.min, a.max))
                .filter(|(min, max)| min <= max),
        };
        let (events, mtbf) = self.events(&raw.events, &context);
        let slo = raw.report.slo.map(|slo| self.positive("report.slo", slo));
        let objectives = self.objectives(slo, &raw.objectives);
        Scenario {
            name: raw.name.clone(),
            description: raw.description.clone(),
            seed: raw.seed,
            duration,
            warmup: raw.warmup.0,
            report: ReportConfig {
                window: self.positive("report.window", raw.report.window),
                slo,
            },
            objectives,
            workload: self.workload_or_none(raw, duration),
            connections: raw
                .connections
                .as_ref()
                .map(|c| self.connections(c, duration)),
            balancer: self.balancer(&raw.balancer),
            instances,
            sessions: SessionConfig {
                store: match raw.sessions.store {
                    RawStore::InMemory => SessionStore::InMemory,
                    RawStore::Redis => SessionStore::Redis,
                    RawStore::Jwt => SessionStore::Jwt,
                },
                ttl: self.positive("sessions.ttl", raw.sessions.ttl),
                jwt_verify: raw.sessions.jwt_verify.0,
                token_ttl: self.positive("sessions.token_ttl", raw.sessions.token_ttl),
            },
            redis: RedisConfig {
                latency: self.dist("redis.latency", &raw.redis.latency),
                max_ops: {
                    let m = raw.redis.max_ops;
                    if !(m.is_finite() && m > 0.0) {
                        self.report("redis.max_ops", format!("must be a number > 0, got {m}"));
                    }
                    m
                },
            },
            jobs: raw.jobs.as_ref().map(|j| self.jobs(j)),
            files: raw.files.as_ref().map(|f| self.files(f)),
            database: raw.database.as_ref().map(|d| self.database(d)),
            local_cache: raw.local_cache.as_ref().map(|c| self.local_cache(c)),
            rate_limit: raw.rate_limit.as_ref().map(|r| self.rate_limit(r)),
            autoscaler,
            events,
            mtbf,
            source: Source::default(),
        }
    }

    /// The name is also a folder under the output directory: keep it a plain file name.
    fn name(&mut self, name: &str) {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || "-_.+".contains(c);
        if name.is_empty() {
            self.report("name", "must not be empty");
        } else if name.starts_with('.') || !name.chars().all(ok_char) {
            self.report(
                "name",
                format!(
                    "`{}` names the output folder: use letters, digits, `-`, `_`, `.`, `+` \
                     (not first)",
                    crate::echo::echo(name)
                ),
            );
        } else if name.len() > 100 {
            self.report("name", "must be at most 100 characters");
        }
    }

    /// The scenario's sessions: its `workload`, or without one a workload where none arrive.
    /// A scenario with neither sessions nor connections would simulate nothing.
    fn workload_or_none(&mut self, raw: &RawScenario, duration: SimDuration) -> Workload {
        match &raw.workload {
            Some(w) => self.workload(w, duration),
            None => {
                if raw.connections.is_none() {
                    self.report(
                        "workload",
                        "a scenario needs `workload` (HTTP sessions) or `connections` \
                         (WebSockets), or both",
                    );
                }
                self.workload(&RawWorkload::no_sessions(), duration)
            }
        }
    }

    fn workload(&mut self, w: &RawWorkload, duration: SimDuration) -> Workload {
        let (arrivals, spike) = self.arrival_process(SESSIONS, &w.arrivals, duration);
        Workload {
            arrivals,
            spike,
            session: SessionShape {
                requests: self.count_dist(
                    "workload.session.requests",
                    &w.session.requests,
                    "a session has at least its login",
                ),
                think_time: self.dist("workload.session.think_time", &w.session.think_time),
            },
            client_ips: self.at_least_one("workload.client_ips", w.client_ips),
            timeout: self.positive("workload.timeout", w.timeout),
            retries: w.retries,
            retry_backoff: w.retry_backoff.0,
        }
    }

    /// A rate over time and its optional spike: `workload.arrivals` or `connections.arrivals`.
    fn arrival_process(
        &mut self,
        of: Arrivals,
        a: &RawArrivals,
        duration: SimDuration,
    ) -> (RateProfile, Option<Spike>) {
        let rate = self.arrivals(of, a, duration);
        let spike = a
            .spike
            .as_ref()
            .map(|spike| self.spike(of, spike, duration));
        (rate, spike)
    }

    fn arrivals(&mut self, of: Arrivals, a: &RawArrivals, duration: SimDuration) -> RateProfile {
        let (path, unit) = (of.path, of.unit);
        let given: Vec<&str> = [
            ("rate", a.rate.is_some()),
            ("profile", a.profile.is_some()),
            ("diurnal", a.diurnal.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, present)| present.then_some(key))
        .collect();
        match (a.rate, &a.profile, &a.diurnal) {
            (Some(rate), None, None) => RateProfile::Constant(self.rate(&at(path, "rate"), rate)),
            (None, Some(points), None) => RateProfile::Steps(self.profile(of, points, duration)),
            (None, None, Some(d)) => self.diurnal(of, d),
            (None, None, None) => {
                self.report(
                    path,
                    format!(
                        "needs `rate: <{unit}>`, `profile: [ {{ at: 0s, rate: <{unit}> }} ]` \
                         or `diurnal: {{ period: 24h, min: <{unit}>, max: <{unit}> }}`"
                    ),
                );
                RateProfile::Constant(0.0)
            }
            _ => {
                let given: Vec<String> = given.iter().map(|k| format!("`{k}`")).collect();
                self.report(
                    path,
                    format!(
                        "give one of `rate`, `profile` and `diurnal`, not several (found {})",
                        given.join(" and ")
                    ),
                );
                RateProfile::Constant(0.0)
            }
        }
    }

    fn diurnal(&mut self, of: Arrivals, d: &RawDiurnal) -> RateProfile {
        let path = &at(of.path, "diurnal");
        let period = self.positive(&at(path, "period"), d.period);
        let min = self.rate(&at(path, "min"), d.min);
        if !d.max.is_finite() {
            self.report(
                &at(path, "max"),
                format!("must be a number > 0, got {}", d.max),
            );
        } else if min.is_finite() && d.max < min {
            self.report(
                &at(path, "max"),
                format!("must be ≥ min ({min}), got {}", d.max),
            );
        } else if d.max <= 0.0 {
            self.report(
                &at(path, "max"),
                format!("must be > 0, got {} (for no arrivals use `rate: 0`)", d.max),
            );
        }
        RateProfile::Diurnal {
            period,
            min,
            max: d.max,
        }
    }

    /// The spike may run past the end of the run, but must start inside it.
    fn spike(&mut self, of: Arrivals, s: &RawSpike, duration: SimDuration) -> Spike {
        let path = &at(of.path, "spike");
        let multiplier = s.multiplier;
        if !(multiplier.is_finite() && multiplier >= 0.0) {
            self.report(
                &at(path, "multiplier"),
                format!("must be a number ≥ 0 (above 1 for a flash crowd), got {multiplier}"),
            );
        }
        Spike {
            at: self.instant(&at(path, "at"), s.at, duration),
            duration: self.positive(&at(path, "duration"), s.duration),
            multiplier,
        }
    }

    /// Points must be in order and inside the run; a ramp must end by the next point (the rate
    /// moves from the previous level to the point's over `[at, at + ramp]`). Before the first
    /// point nothing arrives: a profile starting later gets an explicit `{ at: 0s, rate: 0 }`.
    fn profile(
        &mut self,
        of: Arrivals,
        points: &[RawRatePoint],
        duration: SimDuration,
    ) -> Vec<RatePoint> {
        let profile = &at(of.path, "profile");
        if points.is_empty() {
            self.report(
                profile,
                "needs at least one point, like `{ at: 0s, rate: 20 }`",
            );
        }
        let mut out = Vec::with_capacity(points.len() + 1);
        for (i, p) in points.iter().enumerate() {
            let path = format!("{profile}[{i}]");
            let rate = self.rate(&at(&path, "rate"), p.rate);
            let when = self.instant(&at(&path, "at"), p.at, duration);
            if let Some(prev) = i.checked_sub(1).map(|j| &points[j]) {
                if p.at <= prev.at {
                    self.report(
                        &at(&path, "at"),
                        format!("{} must be after the previous point's {}", p.at, prev.at),
                    );
                } else if prev.at.0 + prev.ramp.0 > p.at.0 {
                    self.report(
                        &format!("{profile}[{}].ramp", i - 1),
                        format!(
                            "a ramp of {} from {} runs past the next point at {}",
                            prev.ramp, prev.at, p.at
                        ),
                    );
                }
            }
            out.push(RatePoint {
                at: when,
                rate,
                ramp: p.ramp.0,
            });
        }
        if out.first().is_some_and(|p| p.at > SimTime::ZERO) {
            out.insert(
                0,
                RatePoint {
                    at: SimTime::ZERO,
                    rate: 0.0,
                    ramp: SimDuration::ZERO,
                },
            );
        }
        out
    }

    fn connections(&mut self, c: &RawConnections, duration: SimDuration) -> Connections {
        const PATH: &str = "connections";
        let (arrivals, spike) = self.arrival_process(USERS, &c.arrivals, duration);
        Connections {
            arrivals,
            spike,
            lifetime: self.dist(&at(PATH, "lifetime"), &c.lifetime),
            handshake: self.dist(&at(PATH, "handshake"), &c.handshake),
            timeout: self.positive(&at(PATH, "timeout"), c.timeout),
            message_rate: self.rate("connections.messages.rate", c.messages.rate),
            message_time: self.dist(&at(PATH, "message_time"), &c.message_time),
            rooms: Rooms {
                count: self.at_least_one("connections.rooms.count", c.rooms.count),
                size: self.count_dist(
                    "connections.rooms.size",
                    &c.rooms.size,
                    "a room has at least one member",
                ),
            },
            delivery: match c.delivery {
                RawDelivery::Local => Delivery::Local,
                RawDelivery::RedisPubsub => Delivery::RedisPubsub,
                RawDelivery::ShardedPubsub => Delivery::ShardedPubsub,
            },
            max_per_instance: c
                .max_per_instance
                .map(|n| self.at_least_one(&at(PATH, "max_per_instance"), n)),
            reconnect: self.reconnect(&c.reconnect),
            max_age: c.max_age.map(|d| self.positive(&at(PATH, "max_age"), d)),
            close_over: c.drain.close_over.0,
        }
    }

    fn jobs(&mut self, j: &RawJobs) -> JobsConfig {
        const PATH: &str = "jobs";
        let trigger = match (j.per_request, j.every) {
            (Some(p), None) => {
                if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                    self.report(
                        &at(PATH, "per_request"),
                        format!("must be a probability from 0 to 1, got {p}"),
                    );
                }
                JobTrigger::PerRequest(p)
            }
            (None, Some(k)) => JobTrigger::Every(self.at_least_one(&at(PATH, "every"), k)),
            (Some(_), Some(_)) => {
                self.report(
                    &at(PATH, "every"),
                    "give either `per_request` or `every`, not both",
                );
                JobTrigger::Every(1)
            }
            (None, None) => {
                self.report(
                    &at(PATH, "per_request"),
                    "`jobs` needs `per_request: P` (a probability per request) or `every: K` \
                     (one per K requests of a session)",
                );
                JobTrigger::Every(1)
            }
        };
        JobsConfig {
            trigger,
            service_time: self.dist(&at(PATH, "service_time"), &j.service_time),
            workers: self.at_least_one(&at(PATH, "workers"), j.workers),
            queue: match j.queue {
                RawJobQueue::InProcess => JobQueue::InProcess,
                RawJobQueue::Redis => JobQueue::Redis,
            },
            visibility_timeout: self
                .positive(&at(PATH, "visibility_timeout"), j.visibility_timeout),
        }
    }

    fn files(&mut self, f: &RawFiles) -> FilesConfig {
        const PATH: &str = "files";
        if !(f.uploads.is_finite() && (0.0..=1.0).contains(&f.uploads)) {
            self.report(
                &at(PATH, "uploads"),
                format!("must be a fraction from 0 to 1, got {}", f.uploads),
            );
        }
        FilesConfig {
            uploads: f.uploads,
            reads: self.count_dist(
                &at(PATH, "reads"),
                &f.reads,
                "an uploaded file is read at least once",
            ),
            store: match f.store {
                RawFileStore::Local => FileStore::Local,
                RawFileStore::Shared => FileStore::Shared,
            },
            shared_latency: self.dist(&at(PATH, "shared_latency"), &f.shared_latency),
        }
    }

    /// `base` is the delay of every policy but `immediate`, and the exponential ones grow it up
    /// to `cap`.
    fn reconnect(&mut self, r: &RawReconnect) -> Reconnect {
        const PATH: &str = "connections.reconnect";
        let policy = match r.policy {
            RawReconnectPolicy::Immediate => ReconnectPolicy::Immediate,
            RawReconnectPolicy::Fixed => ReconnectPolicy::Fixed,
            RawReconnectPolicy::Exponential => ReconnectPolicy::Exponential,
            RawReconnectPolicy::ExponentialJitter => ReconnectPolicy::ExponentialJitter,
        };
        if policy != ReconnectPolicy::Immediate && r.base.0.is_zero() {
            self.report(
                &at(PATH, "base"),
                "must be > 0 (for no delay use `policy: immediate`)",
            );
        }
        let exponential = matches!(
            policy,
            ReconnectPolicy::Exponential | ReconnectPolicy::ExponentialJitter
        );
        if exponential && r.cap < r.base {
            self.report(
                &at(PATH, "cap"),
                format!("must be ≥ base ({}), got {}", r.base, r.cap),
            );
        }
        Reconnect {
            policy,
            base: r.base.0,
            cap: r.cap.0,
        }
    }

    fn dist(&mut self, path: &str, d: &RawDist) -> Dist {
        match *d {
            RawDist::Exponential { mean } => {
                if mean.0.is_zero() {
                    self.report(
                        &at(path, "mean"),
                        "must be > 0 (for no delay use `{ dist: constant, value: 0s }`)",
                    );
                }
                Dist::Exponential { mean: mean.0 }
            }
            RawDist::Constant { value } => Dist::Constant { value: value.0 },
            RawDist::Uniform { min, max } => {
                if min > max {
                    self.report(
                        &at(path, "min"),
                        format!("must be ≤ max ({max}), got {min}"),
                    );
                }
                Dist::Uniform {
                    min: min.0,
                    max: max.0,
                }
            }
            RawDist::Lognormal { mean, p99 } => {
                let (mean_s, p99_s) = (mean.0.as_secs_f64(), p99.0.as_secs_f64());
                if mean.0.is_zero() {
                    self.report(&at(path, "mean"), "must be > 0");
                } else if p99 <= mean {
                    self.report(
                        &at(path, "p99"),
                        format!("must be above the mean ({mean}), got {p99}"),
                    );
                } else if p99_s / mean_s > max_lognormal_ratio() {
                    self.report(
                        &at(path, "p99"),
                        format!(
                            "{p99} is {:.1} × the mean; a lognormal allows at most {:.2} × \
                             (raise the mean or lower p99)",
                            p99_s / mean_s,
                            max_lognormal_ratio()
                        ),
                    );
                }
                let (mu, sigma) = lognormal_params(mean_s, p99_s).unwrap_or((0.0, 0.0));
                Dist::LogNormal { mu, sigma }
            }
        }
    }

    /// `least` says why a count is at least 1, for the geometric mean's message.
    fn count_dist(&mut self, path: &str, d: &RawCountDist, least: &str) -> CountDist {
        match *d {
            RawCountDist::Constant { value } => CountDist::Constant {
                value: self.at_least_one(&at(path, "value"), value),
            },
            RawCountDist::Uniform { min, max } => {
                self.at_least_one(&at(path, "min"), min);
                if min > max {
                    self.report(
                        &at(path, "min"),
                        format!("must be ≤ max ({max}), got {min}"),
                    );
                }
                CountDist::Uniform { min, max }
            }
            RawCountDist::Geometric { mean } => {
                if !(mean.is_finite() && mean >= 1.0) {
                    self.report(
                        &at(path, "mean"),
                        format!("must be a number ≥ 1 ({least}), got {mean}"),
                    );
                }
                CountDist::Geometric { mean }
            }
        }
    }

    fn balancer(&mut self, b: &RawBalancer) -> BalancerConfig {
        const HC: &str = "balancer.health_check";
        BalancerConfig {
            algorithm: match b.algorithm {
                RawAlgorithm::RoundRobin => Algorithm::RoundRobin,
                RawAlgorithm::Random => Algorithm::Random,
                RawAlgorithm::LeastConnections => Algorithm::LeastConnections,
                RawAlgorithm::PowerOfTwo => Algorithm::PowerOfTwo,
                RawAlgorithm::ConsistentHash => Algorithm::ConsistentHash,
                RawAlgorithm::IpHash => Algorithm::IpHash,
                RawAlgorithm::WeightedRoundRobin => Algorithm::WeightedRoundRobin,
                RawAlgorithm::WeightedLeastConnections => Algorithm::WeightedLeastConnections,
            },
            affinity: match b.affinity {
                RawAffinity::None => Affinity::None,
                RawAffinity::Cookie => Affinity::Cookie,
                RawAffinity::SourceIp => Affinity::SourceIp,
            },
            hop_latency: b.hop_latency.0,
            deregistration_delay: b.deregistration_delay.0,
            standby: b.standby.as_ref().map(|s| Standby {
                failover: s.failover.0,
            }),
            health_check: HealthCheck {
                interval: self.positive(&at(HC, "interval"), b.health_check.interval),
                unhealthy_threshold: self.at_least_one(
                    &at(HC, "unhealthy_threshold"),
                    b.health_check.unhealthy_threshold,
                ),
                healthy_threshold: self.at_least_one(
                    &at(HC, "healthy_threshold"),
                    b.health_check.healthy_threshold,
                ),
            },
        }
    }

    fn instances(&mut self, i: &RawInstances) -> InstanceConfig {
        let count = i
            .groups
            .is_empty()
            .then(|| self.at_least_one("instances.count", i.count.unwrap_or(2)));
        let workers = self.at_least_one("instances.workers", i.workers.unwrap_or(8));
        let groups = self.groups(i, workers);
        let count = if let Some(count) = count {
            count
        } else {
            if i.count.is_some() {
                self.report(
                    "instances.count",
                    "does not apply with `groups`: each group has its own `count` (the fleet \
                     starts with their sum)",
                );
            }
            groups
                .iter()
                .map(|g| g.count)
                .fold(0u32, u32::saturating_add)
        };
        InstanceConfig {
            count,
            workers,
            groups,
            queue: i.queue,
            service_time: self.dist("instances.service_time", &i.service_time),
            boot_time: i.boot_time.0,
            warmup: Warmup {
                duration: i.warmup.duration.0,
                slowdown: {
                    let f = i.warmup.slowdown;
                    if !(f.is_finite() && f >= 1.0) {
                        self.report(
                            "instances.warmup.slowdown",
                            format!("must be a number ≥ 1 (1 = no slowdown), got {f}"),
                        );
                    }
                    f
                },
            },
            replace: i.replace,
            termination_grace: i.termination_grace.0,
        }
    }

    /// `instances.groups`: unique names, sizes that make sense, defaults from the top level.
    fn groups(&mut self, i: &RawInstances, workers: u32) -> Vec<GroupConfig> {
        let mut groups: Vec<GroupConfig> = Vec::with_capacity(i.groups.len());
        for (n, g) in i.groups.iter().enumerate() {
            let path = format!("instances.groups[{n}]");
            let ok_char = |c: char| c.is_ascii_alphanumeric() || "-_".contains(c);
            if g.name.is_empty() || !g.name.chars().all(ok_char) {
                self.report(
                    &at(&path, "name"),
                    format!(
                        "`{}` is not a group name: use letters, digits, `-` and `_`",
                        crate::echo::echo(&g.name)
                    ),
                );
            } else if let Some(first) = groups.iter().position(|other| other.name == g.name) {
                self.report(
                    &at(&path, "name"),
                    format!(
                        "`{}` is already the name of instances.groups[{first}]: group names \
                         must be unique",
                        g.name
                    ),
                );
            }
            let group_workers = match g.workers {
                Some(w) => self.at_least_one(&at(&path, "workers"), w),
                None => workers,
            };
            let weight = match g.weight {
                Some(w) => {
                    if w == 0 {
                        self.report(
                            &at(&path, "weight"),
                            "must be ≥ 1, got 0 (to send a group no traffic, leave it out)",
                        );
                    }
                    w
                }
                None => group_workers.max(1),
            };
            let cost = g.cost_per_hour;
            if !(cost.is_finite() && cost >= 0.0) {
                self.report(
                    &at(&path, "cost_per_hour"),
                    format!("must be a number ≥ 0, got {cost}"),
                );
            }
            groups.push(GroupConfig {
                name: g.name.clone(),
                count: self.at_least_one(&at(&path, "count"), g.count),
                workers: group_workers,
                queue: g.queue.unwrap_or(i.queue),
                speed: self.positive_number(&at(&path, "speed"), g.speed),
                weight,
                cost_per_hour: cost,
            });
        }
        groups
    }

    /// Resolves an event's or the autoscaler's `group: NAME` to an index into `groups`.
    /// `required` (several groups and an action that must know which) makes a missing name an
    /// error; otherwise a missing name is `None`.
    fn group_ref(
        &mut self,
        path: &str,
        name: Option<&str>,
        groups: &[GroupConfig],
        required: bool,
    ) -> Option<u32> {
        let names = || {
            groups
                .iter()
                .map(|g| format!("`{}`", g.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match name {
            Some(name) => {
                let found = groups.iter().position(|g| g.name == name);
                if found.is_none() {
                    self.report(
                        &at(path, "group"),
                        format!(
                            "`{}` is not a group of this fleet; its groups are {}",
                            crate::echo::echo(name),
                            names()
                        ),
                    );
                }
                found.map(|n| n as u32)
            }
            None if required && groups.len() > 1 => {
                self.report(
                    &at(path, "group"),
                    format!(
                        "is required: the fleet has several groups ({}), say which one",
                        names()
                    ),
                );
                None
            }
            None => None,
        }
    }

    fn database(&mut self, d: &RawDatabase) -> DatabaseConfig {
        const PATH: &str = "database";
        DatabaseConfig {
            max_connections: self.at_least_one(&at(PATH, "max_connections"), d.max_connections),
            pool_per_instance: self
                .at_least_one(&at(PATH, "pool_per_instance"), d.pool_per_instance),
            queries_per_request: self
                .at_least_one(&at(PATH, "queries_per_request"), d.queries_per_request),
            query_time: self.dist(&at(PATH, "query_time"), &d.query_time),
        }
    }

    fn local_cache(&mut self, c: &RawLocalCache) -> LocalCacheConfig {
        let written = c.hit_ratio_one_instance;
        let ratio = written.value();
        if !(0.0..=1.0).contains(&ratio) {
            self.report(
                "local_cache.hit_ratio_one_instance",
                format!("must be a fraction in [0, 1] (or 0% to 100%), got {written}"),
            );
        }
        LocalCacheConfig {
            hit_ratio_one_instance: ratio,
            miss_penalty: c.miss_penalty.0,
            shared: c.shared,
        }
    }

    fn rate_limit(&mut self, r: &RawRateLimit) -> RateLimitConfig {
        RateLimitConfig {
            per_user_per_s: self.positive_number("rate_limit.per_user_per_s", r.per_user_per_s),
            scope: match r.scope {
                RawLimitScope::Instance => LimitScope::Instance,
                RawLimitScope::Shared => LimitScope::Shared,
            },
        }
    }

    /// Also checks that the initial fleet lies in `[min, max]`: the autoscaler would otherwise
    /// resize it at its first evaluation, which is surely not what the scenario means.
    fn autoscaler(&mut self, a: &RawAutoscaler, groups: &[GroupConfig]) -> AutoscalerConfig {
        const PATH: &str = "autoscaler";
        let group = self.group_ref(PATH, a.group.as_deref(), groups, true);
        // The count the autoscaler starts from: its group's (the fleet's without groups).
        let (count_path, instance_count) = match group {
            Some(g) if groups.len() > 1 || a.group.is_some() => (
                format!("instances.groups[{g}].count"),
                groups[g as usize].count,
            ),
            _ => (
                "instances.count".to_owned(),
                groups.iter().map(|g| g.count).sum(),
            ),
        };
        let metric = match a.metric {
            RawScalingMetric::Cpu => ScalingMetric::Cpu,
            RawScalingMetric::Rps => ScalingMetric::Rps,
            RawScalingMetric::P95Latency => ScalingMetric::P95Latency,
            RawScalingMetric::QueueDepth => ScalingMetric::QueueDepth,
            RawScalingMetric::Concurrency => ScalingMetric::Concurrency,
        };
        let target = if a.target.is_percent() && metric != ScalingMetric::Cpu {
            self.report(
                &at(PATH, "target"),
                format!(
                    "a percentage is a share of busy workers, which only `metric: cpu` \
                     measures; with this metric write a number, got {}",
                    a.target
                ),
            );
            a.target.value()
        } else {
            self.positive_number(&at(PATH, "target"), a.target.value())
        };
        if metric == ScalingMetric::Cpu && target.is_finite() && target > 1.0 {
            let hint = match a.target {
                Share::Number(t) if t <= 100.0 => {
                    format!(" (for {t} % write {t}% or {})", t / 100.0)
                }
                _ => String::new(),
            };
            self.report(
                &at(PATH, "target"),
                format!(
                    "is the fraction of busy workers with `metric: cpu`: must be ≤ 1, \
                     got {}{hint}",
                    a.target
                ),
            );
        }
        let min = self.at_least_one(&at(PATH, "min"), a.min);
        if a.min > a.max {
            self.report(
                &at(PATH, "min"),
                format!("must be ≤ max ({}), got {}", a.max, a.min),
            );
        } else if a.min >= 1 && !(a.min..=a.max).contains(&instance_count) {
            self.report(
                &count_path,
                format!(
                    "must be within the autoscaler's [min, max] = [{}, {}], got {instance_count}",
                    a.min, a.max
                ),
            );
        }
        let tolerance = a.tolerance.value();
        if !(0.0..1.0).contains(&tolerance) {
            self.report(
                &at(PATH, "tolerance"),
                format!(
                    "must be a fraction in [0, 1) (or 0% up to 100%), got {}",
                    a.tolerance
                ),
            );
        }
        AutoscalerConfig {
            metric,
            target,
            min,
            max: a.max,
            interval: self.positive(&at(PATH, "interval"), a.interval),
            tolerance,
            scale_up: ScalingBehavior {
                stabilization: a.scale_up.stabilization.0,
                cooldown: a.scale_up.cooldown.0,
                max_step: self.at_least_one("autoscaler.scale_up.max_step", a.scale_up.max_step),
            },
            scale_down: ScalingBehavior {
                stabilization: a.scale_down.stabilization.0,
                cooldown: a.scale_down.cooldown.0,
                max_step: self
                    .at_least_one("autoscaler.scale_down.max_step", a.scale_down.max_step),
            },
            instance_warmup: a.instance_warmup.0,
            scale_in_pick: match a.scale_in_pick {
                RawScaleInPick::Newest => ScaleInPick::Newest,
                RawScaleInPick::Oldest => ScaleInPick::Oldest,
                RawScaleInPick::LeastLoaded => ScaleInPick::LeastLoaded,
            },
            group,
        }
    }

    /// Scheduled events, sorted by time, and the random crashes of an `mtbf` crash event (which
    /// is not scheduled: it is a rate, not a moment).
    fn events(
        &mut self,
        raw: &[RawEvent],
        context: &EventContext,
    ) -> (Vec<ScheduledEvent>, Option<Mtbf>) {
        let mut events = Vec::with_capacity(raw.len());
        // The random crashes, and which event gave them.
        let mut mtbf: Option<(usize, Mtbf)> = None;
        for (i, e) in raw.iter().enumerate() {
            let path = format!("events[{i}]");
            let when = e
                .at()
                .map(|t| self.instant(&at(&path, "at"), t, context.duration));
            if let RawEvent::Crash {
                mtbf: Some(mean),
                count,
                pick,
                index,
                ref group,
                ..
            } = *e
            {
                let mean = self.positive(&at(&path, "mtbf"), mean);
                for (field, written) in [
                    ("count", count.is_some()),
                    ("pick", pick.is_some()),
                    ("index", index.is_some()),
                    ("group", group.is_some()),
                ] {
                    if written {
                        self.report(
                            &at(&path, field),
                            "does not apply with `mtbf` (random crashes take any live \
                             instance, one at a time); write a separate crash event for a \
                             scheduled one",
                        );
                    }
                }
                match &mtbf {
                    Some((first, _)) => self.report(
                        &at(&path, "mtbf"),
                        format!(
                            "only one crash event may have `mtbf`, and events[{first}] already \
                             does"
                        ),
                    ),
                    None => {
                        let from = when.unwrap_or(SimTime::ZERO);
                        mtbf = Some((i, Mtbf { from, mean }));
                    }
                }
                continue;
            }
            let Some(when) = when else {
                self.report(
                    &at(&path, "at"),
                    "a crash needs `at: <time>`, or `mtbf: <duration>` for random crashes",
                );
                continue;
            };
            let group = self.event_group(&path, e, context);
            let desired = desired_count(raw, i, context.instance_count);
            events.push(ScheduledEvent {
                at: when,
                action: self.action(&path, e, group, context, desired),
                group,
            });
        }
        // Stable: events at the same time keep the order they were written in.
        events.sort_by_key(|e| e.at);
        (events, mtbf.map(|(_, m)| m))
    }

    /// The group an event acts on. A `scale` must name one when there are several; the others
    /// act on the whole fleet without a name.
    fn event_group(&mut self, path: &str, e: &RawEvent, context: &EventContext) -> Option<u32> {
        let (name, required) = match e {
            RawEvent::Crash { group, .. }
            | RawEvent::RollingDeploy { group, .. }
            | RawEvent::SlowInstance { group, .. } => (group.as_deref(), false),
            RawEvent::Scale { group, .. } => (group.as_deref(), true),
            _ => return None,
        };
        let group = self.group_ref(path, name, &context.groups, required);
        // One group and no name: the group is the fleet.
        group.or((required && context.groups.len() == 1).then_some(0))
    }

    /// One arm per event kind (a crash with `mtbf` is handled by `events`).
    /// `desired` is the instance count the file's `scale` events have set by the time of `e`.
    fn action(
        &mut self,
        path: &str,
        e: &RawEvent,
        group: Option<u32>,
        context: &EventContext,
        desired: u32,
    ) -> Action {
        match *e {
            RawEvent::Crash {
                count, pick, index, ..
            } => Action::Crash {
                count: self.at_least_one(&at(path, "count"), count.unwrap_or(1)),
                pick: self.pick(path, pick.unwrap_or_default(), index, group, context),
            },
            RawEvent::Scale { to, .. } => {
                let to = self.at_least_one(&at(path, "to"), to);
                let same_group = group.unwrap_or(0) == context.autoscaled.unwrap_or(0);
                if let Some((min, max)) = context.autoscaler.filter(|_| same_group) {
                    if to >= 1 && !(min..=max).contains(&to) {
                        self.report(
                            &at(path, "to"),
                            format!(
                                "must be within the autoscaler's [min, max] = [{min}, {max}], \
                                 got {to}"
                            ),
                        );
                    }
                }
                Action::Scale { to }
            }
            RawEvent::RollingDeploy {
                max_surge: surge_written,
                max_unavailable: unavailable_written,
                ..
            } => {
                let percent = [
                    ("max_surge", surge_written),
                    ("max_unavailable", unavailable_written),
                ]
                .into_iter()
                .filter(|(_, v)| matches!(v, CountOrPercent::Percent(_)));
                for (field, value) in percent {
                    if context.groups.len() > 1 {
                        self.report(
                            &at(path, field),
                            format!(
                                "{value} is a share of the desired count, and each instance \
                                 group has its own; write a number of instances"
                            ),
                        );
                    } else if context.autoscaler.is_some() {
                        self.report(
                            &at(path, field),
                            format!(
                                "{value} is a share of the desired count, which the autoscaler \
                                 sets during the run; write a number of instances"
                            ),
                        );
                    } else if let CountOrPercent::Percent(p) = value {
                        if field == "max_unavailable" && p > 100.0 {
                            self.report(
                                &at(path, field),
                                format!("must be at most 100%, got {value}"),
                            );
                        }
                    }
                }
                // Kubernetes' rounding: a surge rounds up, so that 25% of 3 still lets one
                // new instance start; unavailability rounds down, so that it never exceeds the
                // share allowed.
                let max_surge = surge_written.resolve(desired, Rounding::Up);
                let max_unavailable = unavailable_written.resolve(desired, Rounding::Down);
                let any_percent = [surge_written, unavailable_written]
                    .iter()
                    .any(|v| matches!(v, CountOrPercent::Percent(_)));
                // With an autoscaler or groups a percentage is already refused above.
                if max_surge == 0
                    && max_unavailable == 0
                    && !(any_percent && (context.autoscaler.is_some() || context.groups.len() > 1))
                {
                    let rounded = if any_percent {
                        format!(
                            " ({surge_written} and {unavailable_written} of {desired} instances \
                             round to {max_surge} and {max_unavailable})"
                        )
                    } else {
                        String::new()
                    };
                    self.report(
                        &at(path, "max_surge"),
                        format!(
                            "and max_unavailable are both 0, so the deploy could never replace \
                             an instance: allow max_surge ≥ 1 or max_unavailable ≥ 1{rounded}"
                        ),
                    );
                }
                Action::RollingDeploy {
                    max_surge,
                    max_unavailable,
                }
            }
            RawEvent::RedisOutage {
                duration,
                data_loss,
                ..
            } => {
                self.needs_redis(path, "redis-outage", context);
                Action::RedisOutage {
                    duration: self.positive(&at(path, "duration"), duration),
                    data_loss,
                }
            }
            RawEvent::RedisSlowdown {
                factor, duration, ..
            } => {
                self.needs_redis(path, "redis-slowdown", context);
                Action::RedisSlowdown {
                    factor: self.factor(&at(path, "factor"), factor),
                    duration: self.positive(&at(path, "duration"), duration),
                }
            }
            RawEvent::SlowInstance {
                factor,
                duration,
                pick,
                index,
                ..
            } => Action::SlowInstance {
                factor: self.factor(&at(path, "factor"), factor),
                duration: self.positive(&at(path, "duration"), duration),
                pick: self.pick(path, pick, index, group, context),
            },
            RawEvent::LbFailure { .. } => Action::LbFailure,
            RawEvent::Revoke { sessions, .. } => Action::Revoke {
                sessions: self.at_least_one(&at(path, "sessions"), sessions),
            },
        }
    }

    /// A victim choice (`pick`, with `index` only for `pick: index`). With a `group`, the
    /// index must be one of that group's initial instances (launched in group order).
    fn pick(
        &mut self,
        path: &str,
        pick: RawPick,
        index: Option<u32>,
        group: Option<u32>,
        context: &EventContext,
    ) -> Pick {
        let instance_count = context.instance_count;
        match (pick, index) {
            (RawPick::Index, Some(n)) if group.is_some() && context.groups.len() > 1 => {
                let g = group.unwrap_or(0) as usize;
                let first: u32 = context.groups[..g].iter().map(|g| g.count).sum();
                let last = first + context.groups[g].count;
                if !(first..last).contains(&n) {
                    self.report(
                        &at(path, "index"),
                        format!(
                            "must be the launch index of one of group `{}`'s initial instances \
                             ({first}..{}), got {n}",
                            context.groups[g].name,
                            last - 1
                        ),
                    );
                }
                Pick::Index(n)
            }
            (RawPick::Index, Some(n)) => {
                if n >= instance_count {
                    self.report(
                        &at(path, "index"),
                        format!(
                            "must be < instances.count ({instance_count}), got {n} \
                             (indices start at 0)"
                        ),
                    );
                }
                Pick::Index(n)
            }
            (RawPick::Index, None) => {
                self.report(&at(path, "pick"), "`pick: index` needs `index: N`");
                Pick::Index(0)
            }
            (_, Some(_)) => {
                self.report(&at(path, "index"), "only applies with `pick: index`");
                Pick::Random
            }
            (RawPick::Random, None) => Pick::Random,
            (RawPick::Busiest, None) => Pick::Busiest,
            (RawPick::Oldest, None) => Pick::Oldest,
        }
    }

    /// Redis faults only make sense when something uses Redis: the session store, or the
    /// connections' pubsub delivery.
    fn needs_redis(&mut self, path: &str, action: &str, context: &EventContext) {
        let pubsub = matches!(
            context.delivery,
            Some(RawDelivery::RedisPubsub | RawDelivery::ShardedPubsub)
        );
        if context.store != RawStore::Redis && !pubsub && !context.redis_jobs {
            let delivery = match context.delivery {
                Some(_) => "connections are delivered `local`",
                None => "there are no `connections`",
            };
            self.report(
                &at(path, "action"),
                format!(
                    "`{action}` needs `sessions.store: redis`, but the store is `{}`, or \
                     `connections.delivery: redis-pubsub` or `sharded-pubsub`, but {delivery}: \
                     nothing in this scenario uses Redis",
                    store_name(context.store)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "name: t\nduration: 20m\nworkload: { arrivals: { rate: 10 } }\n";

    fn raw(extra: &str) -> RawScenario {
        let text = format!("{MINIMAL}{extra}");
        match serde_saphyr::from_str(&text) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    fn check(r: &RawScenario) -> Result<Scenario, Vec<Problem>> {
        validate(r, &|_| Origin::Default)
    }

    /// The paths of every problem, with their messages for failing asserts.
    fn problems(r: &RawScenario) -> Vec<(String, String)> {
        match check(r) {
            Ok(_) => Vec::new(),
            Err(p) => p.into_iter().map(|p| (p.path, p.message)).collect(),
        }
    }

    fn fails_at(r: &RawScenario, path: &str, words: &str) {
        let ps = problems(r);
        assert!(
            ps.iter().any(|(p, m)| p == path && m.contains(words)),
            "expected a problem at {path} saying {words:?}, got {ps:?}"
        );
    }

    #[test]
    fn a_minimal_scenario_gets_every_default() {
        let s = check(&raw("")).unwrap();
        assert_eq!(s.seed, 1);
        assert_eq!(s.warmup, SimDuration::ZERO);
        assert_eq!(s.report.window, SimDuration::from_secs(10));
        assert_eq!(s.workload.arrivals, RateProfile::Constant(10.0));
        assert_eq!(
            s.workload.session.requests,
            CountDist::Geometric { mean: 10.0 }
        );
        assert_eq!(
            s.workload.session.think_time,
            Dist::Exponential {
                mean: SimDuration::from_secs(5)
            }
        );
        assert_eq!(s.workload.client_ips, 10_000);
        assert_eq!(s.workload.timeout, SimDuration::from_secs(5));
        assert_eq!(s.workload.retries, 1);
        assert_eq!(s.workload.retry_backoff, SimDuration::from_millis(100));
        assert_eq!(s.balancer.algorithm, Algorithm::RoundRobin);
        assert_eq!(s.balancer.affinity, Affinity::None);
        assert_eq!(s.balancer.hop_latency, SimDuration::ZERO);
        assert_eq!(
            s.balancer.health_check,
            HealthCheck {
                interval: SimDuration::from_secs(5),
                unhealthy_threshold: 2,
                healthy_threshold: 2
            }
        );
        assert_eq!(s.instances.count, 2);
        assert_eq!(s.instances.workers, 8);
        assert_eq!(s.instances.queue, 64);
        assert_eq!(
            s.instances.service_time,
            Dist::Exponential {
                mean: SimDuration::from_millis(20)
            }
        );
        assert_eq!(s.sessions.store, SessionStore::InMemory);
        assert_eq!(s.sessions.ttl, SimDuration::from_secs(1800));
        assert_eq!(s.sessions.jwt_verify, SimDuration::from_micros(50));
        assert_eq!(
            s.redis.latency,
            Dist::Exponential {
                mean: SimDuration::from_micros(500)
            }
        );
        assert_eq!(s.redis.max_ops, 100_000.0);
        assert!(s.events.is_empty());
        assert_eq!(s.workload.spike, None);
        assert_eq!(s.balancer.standby, None);
        assert_eq!(s.balancer.deregistration_delay, SimDuration::from_secs(30));
        assert_eq!(s.sessions.token_ttl, SimDuration::from_secs(15 * 60));
        assert_eq!(s.database, None);
        assert_eq!(s.local_cache, None);
        assert_eq!(s.rate_limit, None);
        assert_eq!(s.autoscaler, None);
        assert_eq!(s.mtbf, None);
    }

    #[test]
    fn lognormal_parameters_reproduce_mean_and_p99() {
        for (mean, p99) in [(0.020, 0.120), (0.001, 0.002), (1.0, 14.0), (0.5, 0.5001)] {
            let (mu, sigma) = lognormal_params(mean, p99).unwrap();
            // E[X] = exp(mu + sigma²/2); P99 = exp(mu + z·sigma).
            let got_mean = (mu + sigma * sigma / 2.0).exp();
            let got_p99 = (mu + Z99 * sigma).exp();
            assert!(
                (got_mean / mean - 1.0).abs() < 1e-12,
                "{mean} {p99}: mean {got_mean}"
            );
            assert!(
                (got_p99 / p99 - 1.0).abs() < 1e-12,
                "{mean} {p99}: p99 {got_p99}"
            );
            assert!(sigma > 0.0 && sigma < Z99);
        }
        // The bound: p99/mean ≤ exp(z²/2) ≈ 14.97.
        assert!((max_lognormal_ratio() - 14.97).abs() < 0.01);
        assert!(lognormal_params(1.0, 15.0).is_none());
        assert!(lognormal_params(1.0, 1.0).is_none());
        assert!(lognormal_params(0.0, 1.0).is_none());
    }

    #[test]
    fn lognormal_rules_name_the_field() {
        let s = "instances: { service_time: { dist: lognormal, mean: 20ms, p99: 120ms } }\n";
        assert!(matches!(
            check(&raw(s)).unwrap().instances.service_time,
            Dist::LogNormal { sigma, .. } if sigma > 0.0
        ));
        let s = "instances: { service_time: { dist: lognormal, mean: 20ms, p99: 10ms } }\n";
        fails_at(&raw(s), "instances.service_time.p99", "above the mean");
        let s = "instances: { service_time: { dist: lognormal, mean: 10ms, p99: 1s } }\n";
        fails_at(&raw(s), "instances.service_time.p99", "at most 14.97");
        let s = "instances: { service_time: { dist: lognormal, mean: 0s, p99: 1s } }\n";
        fails_at(&raw(s), "instances.service_time.mean", "> 0");
    }

    #[test]
    fn distribution_rules() {
        let s = "redis: { latency: { dist: uniform, min: 2ms, max: 1ms } }\n";
        fails_at(&raw(s), "redis.latency.min", "≤ max (1ms)");
        let r = with_workload(
            "{ arrivals: { rate: 1 }, session: { think_time: { dist: exponential, mean: 0s } } }",
        );
        fails_at(&r, "workload.session.think_time.mean", "> 0");
        let r = with_workload(
            "{ arrivals: { rate: 1 }, session: { think_time: { dist: constant, value: 0s } } }",
        );
        assert!(check(&r).is_ok());
    }

    fn with_workload(workload: &str) -> RawScenario {
        let text = format!("name: t\nduration: 20m\nworkload: {workload}\n");
        match serde_saphyr::from_str(&text) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn count_distribution_rules() {
        let w = |requests: &str| {
            with_workload(&format!(
                "{{ arrivals: {{ rate: 1 }}, session: {{ requests: {requests} }} }}"
            ))
        };
        fails_at(
            &w("{ dist: constant, value: 0 }"),
            "workload.session.requests.value",
            "≥ 1",
        );
        fails_at(
            &w("{ dist: uniform, min: 0, max: 3 }"),
            "workload.session.requests.min",
            "≥ 1",
        );
        fails_at(
            &w("{ dist: uniform, min: 4, max: 3 }"),
            "workload.session.requests.min",
            "≤ max",
        );
        fails_at(
            &w("{ dist: geometric, mean: 0.5 }"),
            "workload.session.requests.mean",
            "≥ 1",
        );
        assert!(check(&w("{ dist: geometric, mean: 1 }")).is_ok());
        assert!(check(&w("{ dist: uniform, min: 3, max: 3 }")).is_ok());
    }

    #[test]
    fn rates_must_not_be_negative() {
        fails_at(
            &with_workload("{ arrivals: { rate: -5 } }"),
            "workload.arrivals.rate",
            "≥ 0, got -5",
        );
        assert!(check(&with_workload("{ arrivals: { rate: 0 } }")).is_ok());
    }

    #[test]
    fn arrivals_need_exactly_one_of_rate_and_profile() {
        fails_at(
            &with_workload("{ arrivals: { rate: 1, profile: [ { at: 0s, rate: 1 } ] } }"),
            "workload.arrivals",
            "not several (found `rate` and `profile`)",
        );
        fails_at(
            &with_workload(
                "{ arrivals: { rate: 1, diurnal: { period: 1h, min: 1, max: 2 }, \
                 profile: [ { at: 0s, rate: 1 } ] } }",
            ),
            "workload.arrivals",
            "found `rate` and `profile` and `diurnal`",
        );
        fails_at(
            &with_workload("{ arrivals: {} }"),
            "workload.arrivals",
            "needs `rate: <sessions/s>`, `profile: [",
        );
        fails_at(
            &with_workload("{ arrivals: { profile: [] } }"),
            "workload.arrivals.profile",
            "at least one point",
        );
    }

    #[test]
    fn profiles_are_ordered_inside_the_run_and_start_at_zero() {
        let p = |points: &str| with_workload(&format!("{{ arrivals: {{ profile: {points} }} }}"));
        let s = check(&p(
            "[ { at: 0s, rate: 20 }, { at: 5m, rate: 80, ramp: 1m } ]",
        ))
        .unwrap();
        assert_eq!(
            s.workload.arrivals,
            RateProfile::Steps(vec![
                RatePoint {
                    at: SimTime::ZERO,
                    rate: 20.0,
                    ramp: SimDuration::ZERO
                },
                RatePoint {
                    at: SimTime(300_000_000_000),
                    rate: 80.0,
                    ramp: SimDuration::from_secs(60)
                },
            ])
        );
        // A late first point: nothing arrives before it, made explicit.
        let s = check(&p("[ { at: 1m, rate: 20 } ]")).unwrap();
        let RateProfile::Steps(points) = s.workload.arrivals else {
            panic!()
        };
        assert_eq!(points.len(), 2);
        assert_eq!((points[0].at, points[0].rate), (SimTime::ZERO, 0.0));

        fails_at(
            &p("[ { at: 5m, rate: 1 }, { at: 1m, rate: 2 } ]"),
            "workload.arrivals.profile[1].at",
            "after the previous",
        );
        fails_at(
            &p("[ { at: 0s, rate: 1 }, { at: 20m, rate: 2 } ]"),
            "workload.arrivals.profile[1].at",
            "not before the end",
        );
        fails_at(
            &p("[ { at: 0s, rate: 1, ramp: 2m }, { at: 1m, rate: 2 } ]"),
            "workload.arrivals.profile[0].ramp",
            "runs past the next point",
        );
        fails_at(
            &p("[ { at: 0s, rate: -1 } ]"),
            "workload.arrivals.profile[0].rate",
            "≥ 0",
        );
    }

    #[test]
    fn durations_and_counts_that_must_be_positive() {
        fails_at(
            &raw("warmup: 20m\n"),
            "warmup",
            "shorter than duration (20m)",
        );
        fails_at(&raw("report: { window: 0s }\n"), "report.window", "> 0");
        fails_at(&raw("instances: { count: 0 }\n"), "instances.count", "≥ 1");
        fails_at(
            &raw("instances: { workers: 0 }\n"),
            "instances.workers",
            "≥ 1, got 0",
        );
        fails_at(&raw("sessions: { ttl: 0s }\n"), "sessions.ttl", "> 0");
        fails_at(&raw("redis: { max_ops: 0 }\n"), "redis.max_ops", "> 0");
        fails_at(
            &raw("balancer: { health_check: { interval: 0s, unhealthy_threshold: 0, healthy_threshold: 0 } }\n"),
            "balancer.health_check.interval",
            "> 0",
        );
        fails_at(
            &raw("balancer: { health_check: { unhealthy_threshold: 0 } }\n"),
            "balancer.health_check.unhealthy_threshold",
            "≥ 1",
        );
        fails_at(
            &raw("balancer: { health_check: { healthy_threshold: 0 } }\n"),
            "balancer.health_check.healthy_threshold",
            "≥ 1",
        );
        let r = with_workload("{ arrivals: { rate: 1 }, client_ips: 0, timeout: 0s }");
        fails_at(&r, "workload.client_ips", "≥ 1");
        fails_at(&r, "workload.timeout", "> 0");
        let r: RawScenario =
            serde_saphyr::from_str("name: t\nduration: 0s\nworkload: { arrivals: { rate: 1 } }\n")
                .unwrap();
        fails_at(&r, "duration", "> 0");
    }

    #[test]
    fn names_are_safe_folder_names() {
        let named = |name: &str| {
            let mut r = raw("");
            r.name = name.to_owned();
            r
        };
        assert!(check(&named("crash-sticky+redis_v1.2")).is_ok());
        fails_at(&named(""), "name", "empty");
        fails_at(&named("../etc"), "name", "output folder");
        fails_at(&named("a b"), "name", "output folder");
        fails_at(&named(".hidden"), "name", "output folder");
    }

    #[test]
    fn events_are_inside_the_run_and_sorted_stably() {
        let r = raw("instances: { count: 4 }\nevents:\n\
             \x20 - { at: 10m, action: crash, pick: busiest }\n\
             \x20 - { at: 5m, action: crash, pick: oldest }\n\
             \x20 - { at: 10m, action: crash, pick: index, index: 3, count: 2 }\n");
        let s = check(&r).unwrap();
        let summary: Vec<(u64, &Action)> = s
            .events
            .iter()
            .map(|e| (e.at.0 / 60_000_000_000, &e.action))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    5,
                    &Action::Crash {
                        count: 1,
                        pick: Pick::Oldest
                    }
                ),
                (
                    10,
                    &Action::Crash {
                        count: 1,
                        pick: Pick::Busiest
                    }
                ),
                (
                    10,
                    &Action::Crash {
                        count: 2,
                        pick: Pick::Index(3)
                    }
                ),
            ]
        );
        assert_eq!(
            check(&raw("events: [ { at: 1m, action: crash } ]\n"))
                .unwrap()
                .events[0]
                .action,
            Action::Crash {
                count: 1,
                pick: Pick::Random
            }
        );
    }

    #[test]
    fn event_rules() {
        let e = |event: &str| {
            raw(&format!(
                "events: [ {{ at: 1m, action: crash }}, {event} ]\n"
            ))
        };
        fails_at(
            &e("{ at: 20m, action: crash }"),
            "events[1].at",
            "not before the end of the run (20m)",
        );
        fails_at(
            &e("{ at: 1m, action: crash, count: 0 }"),
            "events[1].count",
            "≥ 1",
        );
        fails_at(
            &e("{ at: 1m, action: crash, pick: index, index: 2 }"),
            "events[1].index",
            "< instances.count (2)",
        );
        fails_at(
            &e("{ at: 1m, action: crash, pick: index }"),
            "events[1].pick",
            "needs `index: N`",
        );
        fails_at(
            &e("{ at: 1m, action: crash, index: 0 }"),
            "events[1].index",
            "only applies",
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let r = raw("warmup: 30m\ninstances: { count: 0, workers: 0 }\nevents: [ { at: 1h, action: crash } ]\n");
        let paths: Vec<String> = problems(&r).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "warmup",
                "instances.count",
                "instances.workers",
                "events[0].at"
            ]
        );
    }

    #[test]
    fn problems_carry_the_origin_given_by_the_caller() {
        let r = raw("instances: { workers: 0 }\n");
        let err = validate(&r, &|path| Origin::Override(format!("{path}=0"))).unwrap_err();
        assert_eq!(
            err[0].origin,
            Origin::Override("instances.workers=0".into())
        );
    }

    // ----- arrivals: diurnal and spike ------------------------------------------------------

    #[test]
    fn a_diurnal_profile_is_resolved() {
        let s = check(&with_workload(
            "{ arrivals: { diurnal: { period: 24h, min: 10, max: 1000 } } }",
        ))
        .unwrap();
        assert_eq!(
            s.workload.arrivals,
            RateProfile::Diurnal {
                period: SimDuration::from_secs(24 * 3600),
                min: 10.0,
                max: 1000.0
            }
        );
        // A flat cycle is allowed (min = max > 0).
        assert!(check(&with_workload(
            "{ arrivals: { diurnal: { period: 1h, min: 5, max: 5 } } }"
        ))
        .is_ok());
    }

    #[test]
    fn diurnal_rules() {
        let d = |diurnal: &str| with_workload(&format!("{{ arrivals: {{ diurnal: {diurnal} }} }}"));
        const PATH: &str = "workload.arrivals.diurnal";
        fails_at(
            &d("{ period: 0s, min: 1, max: 2 }"),
            &at(PATH, "period"),
            "> 0",
        );
        fails_at(
            &d("{ period: 1h, min: -1, max: 2 }"),
            &at(PATH, "min"),
            "≥ 0, got -1",
        );
        fails_at(
            &d("{ period: 1h, min: 5, max: 2 }"),
            &at(PATH, "max"),
            "must be ≥ min (5), got 2",
        );
        fails_at(
            &d("{ period: 1h, min: 0, max: 0 }"),
            &at(PATH, "max"),
            "must be > 0, got 0 (for no arrivals use `rate: 0`)",
        );
    }

    #[test]
    fn a_spike_combines_with_any_rate_and_may_outlast_the_run() {
        for arrivals in [
            "rate: 10",
            "profile: [ { at: 0s, rate: 10 } ]",
            "diurnal: { period: 1h, min: 1, max: 10 }",
        ] {
            let s = check(&with_workload(&format!(
                "{{ arrivals: {{ {arrivals}, spike: {{ at: 15m, duration: 10m, multiplier: 4 }} }} }}"
            )))
            .unwrap();
            assert_eq!(
                s.workload.spike,
                Some(Spike {
                    at: SimTime(15 * 60 * 1_000_000_000),
                    duration: SimDuration::from_secs(600),
                    multiplier: 4.0
                }),
                "{arrivals}"
            );
        }
        // A lull is a spike below 1.
        assert!(check(&with_workload(
            "{ arrivals: { rate: 10, spike: { at: 1m, duration: 1m, multiplier: 0 } } }"
        ))
        .is_ok());
    }

    #[test]
    fn spike_rules() {
        let s =
            |spike: &str| with_workload(&format!("{{ arrivals: {{ rate: 10, spike: {spike} }} }}"));
        const PATH: &str = "workload.arrivals.spike";
        fails_at(
            &s("{ at: 1m, duration: 1m, multiplier: -2 }"),
            &at(PATH, "multiplier"),
            "≥ 0 (above 1 for a flash crowd), got -2",
        );
        fails_at(
            &s("{ at: 20m, duration: 1m, multiplier: 2 }"),
            &at(PATH, "at"),
            "20m is not before the end of the run (20m)",
        );
        fails_at(
            &s("{ at: 1m, duration: 0s, multiplier: 2 }"),
            &at(PATH, "duration"),
            "> 0",
        );
    }

    // ----- connections ---------------------------------------------------------------------

    /// A scenario with connections (with `fields`, and a one-minute lifetime unless they give
    /// one) and no workload.
    fn connected(fields: &str) -> RawScenario {
        let mut written = vec!["arrivals: { rate: 5 }", fields];
        if !fields.contains("lifetime:") {
            written.push("lifetime: { dist: constant, value: 1m }");
        }
        written.retain(|f| !f.is_empty());
        let text = format!(
            "name: t\nduration: 20m\nconnections: {{ {} }}\n",
            written.join(", ")
        );
        match serde_saphyr::from_str(&text) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_minimal_connections_block_gets_every_default() {
        let s = check(&connected("")).unwrap();
        assert_eq!(
            s.connections,
            Some(Connections {
                arrivals: RateProfile::Constant(5.0),
                spike: None,
                lifetime: Dist::Constant {
                    value: SimDuration::from_secs(60)
                },
                handshake: Dist::Exponential {
                    mean: SimDuration::from_millis(5)
                },
                timeout: SimDuration::from_secs(10),
                message_rate: 0.0,
                message_time: Dist::Exponential {
                    mean: SimDuration::from_millis(1)
                },
                rooms: Rooms {
                    count: 1000,
                    size: CountDist::Constant { value: 1 }
                },
                delivery: Delivery::Local,
                max_per_instance: None,
                reconnect: Reconnect {
                    policy: ReconnectPolicy::ExponentialJitter,
                    base: SimDuration::from_millis(500),
                    cap: SimDuration::from_secs(30)
                },
                max_age: None,
                close_over: SimDuration::ZERO,
            })
        );
    }

    #[test]
    fn without_a_workload_no_session_arrives_and_the_rest_is_the_default_workload() {
        let s = check(&connected("")).unwrap();
        let defaults = check(&raw("")).unwrap().workload;
        assert_eq!(
            s.workload,
            Workload {
                arrivals: RateProfile::Constant(0.0),
                spike: None,
                ..defaults
            }
        );
    }

    #[test]
    fn a_scenario_needs_a_workload_or_connections() {
        let r: RawScenario = serde_saphyr::from_str("name: t\nduration: 20m\n").unwrap();
        assert_eq!(
            problems(&r),
            [(
                "workload".to_owned(),
                "a scenario needs `workload` (HTTP sessions) or `connections` (WebSockets), \
                 or both"
                    .to_owned()
            )]
        );
        // Both together are fine, and each keeps its own arrivals.
        let s = check(&raw(
            "connections: { arrivals: { rate: 5 }, lifetime: { dist: exponential, mean: 1m } }\n",
        ))
        .unwrap();
        assert_eq!(s.workload.arrivals, RateProfile::Constant(10.0));
        assert_eq!(
            s.connections.map(|c| c.arrivals),
            Some(RateProfile::Constant(5.0))
        );
    }

    #[test]
    fn every_connections_field_is_read() {
        let s = check(&connected(
            "handshake: { dist: uniform, min: 1ms, max: 3ms }, timeout: 2s, \
             messages: { rate: 0.2 }, message_time: { dist: constant, value: 2ms }, \
             rooms: { count: 5000, size: { dist: geometric, mean: 4 } }, \
             delivery: sharded-pubsub, max_per_instance: 10000, \
             reconnect: { policy: exponential, base: 1s, cap: 1m }, max_age: 1h, \
             drain: { close_over: 30s }",
        ))
        .unwrap();
        let c = s.connections.unwrap();
        assert_eq!(
            c.handshake,
            Dist::Uniform {
                min: SimDuration::from_millis(1),
                max: SimDuration::from_millis(3)
            }
        );
        assert_eq!(c.timeout, SimDuration::from_secs(2));
        assert_eq!(c.message_rate, 0.2);
        assert_eq!(
            c.message_time,
            Dist::Constant {
                value: SimDuration::from_millis(2)
            }
        );
        assert_eq!(
            c.rooms,
            Rooms {
                count: 5000,
                size: CountDist::Geometric { mean: 4.0 }
            }
        );
        assert_eq!(c.delivery, Delivery::ShardedPubsub);
        assert_eq!(c.max_per_instance, Some(10_000));
        assert_eq!(
            c.reconnect,
            Reconnect {
                policy: ReconnectPolicy::Exponential,
                base: SimDuration::from_secs(1),
                cap: SimDuration::from_secs(60)
            }
        );
        assert_eq!(c.max_age, Some(SimDuration::from_secs(3600)));
        assert_eq!(c.close_over, SimDuration::from_secs(30));
        for (written, delivery) in [
            ("local", Delivery::Local),
            ("redis-pubsub", Delivery::RedisPubsub),
        ] {
            let s = check(&connected(&format!("delivery: {written}"))).unwrap();
            assert_eq!(s.connections.map(|c| c.delivery), Some(delivery));
        }
        for (written, policy) in [
            ("immediate", ReconnectPolicy::Immediate),
            ("fixed", ReconnectPolicy::Fixed),
            ("exponential-jitter", ReconnectPolicy::ExponentialJitter),
        ] {
            let s = check(&connected(&format!("reconnect: {{ policy: {written} }}"))).unwrap();
            assert_eq!(s.connections.map(|c| c.reconnect.policy), Some(policy));
        }
        // Written as null, the optional fields are absent.
        let s = check(&connected("max_age: ~, max_per_instance: ~")).unwrap();
        let c = s.connections.unwrap();
        assert_eq!((c.max_age, c.max_per_instance), (None, None));
    }

    #[test]
    fn connections_arrivals_take_every_form_of_workload_arrivals() {
        let r: RawScenario = serde_saphyr::from_str(
            "name: t\nduration: 20m\nconnections:\n  arrivals:\n    profile: [ { at: 1m, rate: \
             20 }, { at: 5m, rate: 80, ramp: 1m } ]\n    spike: { at: 10m, duration: 1m, \
             multiplier: 3 }\n  lifetime: { dist: lognormal, mean: 20m, p99: 2h }\n",
        )
        .unwrap();
        let c = check(&r).unwrap().connections.unwrap();
        assert_eq!(
            c.arrivals,
            RateProfile::Steps(vec![
                RatePoint {
                    at: SimTime::ZERO,
                    rate: 0.0,
                    ramp: SimDuration::ZERO
                },
                RatePoint {
                    at: SimTime(60_000_000_000),
                    rate: 20.0,
                    ramp: SimDuration::ZERO
                },
                RatePoint {
                    at: SimTime(300_000_000_000),
                    rate: 80.0,
                    ramp: SimDuration::from_secs(60)
                },
            ])
        );
        assert_eq!(
            c.spike,
            Some(Spike {
                at: SimTime(600_000_000_000),
                duration: SimDuration::from_secs(60),
                multiplier: 3.0
            })
        );
        assert!(matches!(c.lifetime, Dist::LogNormal { sigma, .. } if sigma > 0.0));
        let r = |arrivals: &str| {
            serde_saphyr::from_str::<RawScenario>(&format!(
                "name: t\nduration: 20m\nconnections: {{ arrivals: {arrivals}, \
                 lifetime: {{ dist: exponential, mean: 1m }} }}\n"
            ))
            .unwrap()
        };
        let c = check(&r("{ diurnal: { period: 24h, min: 1, max: 9 } }"))
            .unwrap()
            .connections
            .unwrap();
        assert!(matches!(c.arrivals, RateProfile::Diurnal { max, .. } if max == 9.0));
        // The arrival rules apply, under this block's path.
        const PATH: &str = "connections.arrivals";
        fails_at(&r("{ rate: -1 }"), &at(PATH, "rate"), "≥ 0, got -1");
        fails_at(&r("{}"), PATH, "needs `rate: <users/s>`");
        fails_at(
            &r("{ rate: 1, diurnal: { period: 1h, min: 1, max: 2 } }"),
            PATH,
            "not several (found `rate` and `diurnal`)",
        );
        fails_at(
            &r("{ profile: [] }"),
            &at(PATH, "profile"),
            "at least one point",
        );
        fails_at(
            &r("{ profile: [ { at: 5m, rate: 1 }, { at: 1m, rate: 2 } ] }"),
            "connections.arrivals.profile[1].at",
            "after the previous",
        );
        fails_at(
            &r("{ diurnal: { period: 0s, min: 1, max: 2 } }"),
            "connections.arrivals.diurnal.period",
            "> 0",
        );
        fails_at(
            &r("{ rate: 1, spike: { at: 20m, duration: 1m, multiplier: 2 } }"),
            "connections.arrivals.spike.at",
            "not before the end of the run",
        );
    }

    #[test]
    fn connections_rules() {
        let c = connected;
        fails_at(&c("timeout: 0s"), "connections.timeout", "must be > 0");
        fails_at(
            &c("messages: { rate: -0.5 }"),
            "connections.messages.rate",
            "≥ 0, got -0.5",
        );
        fails_at(
            &c("rooms: { count: 0 }"),
            "connections.rooms.count",
            "≥ 1, got 0",
        );
        fails_at(
            &c("rooms: { size: { dist: constant, value: 0 } }"),
            "connections.rooms.size.value",
            "≥ 1, got 0",
        );
        fails_at(
            &c("rooms: { size: { dist: uniform, min: 0, max: 3 } }"),
            "connections.rooms.size.min",
            "≥ 1, got 0",
        );
        fails_at(
            &c("rooms: { size: { dist: geometric, mean: 0.5 } }"),
            "connections.rooms.size.mean",
            "must be a number ≥ 1 (a room has at least one member), got 0.5",
        );
        fails_at(
            &c("max_per_instance: 0"),
            "connections.max_per_instance",
            "≥ 1, got 0",
        );
        fails_at(&c("max_age: 0s"), "connections.max_age", "must be > 0");
        fails_at(
            &c("lifetime: { dist: exponential, mean: 0s }"),
            "connections.lifetime.mean",
            "> 0",
        );
        fails_at(
            &c("handshake: { dist: uniform, min: 2ms, max: 1ms }"),
            "connections.handshake.min",
            "≤ max (1ms)",
        );
        fails_at(
            &c("message_time: { dist: lognormal, mean: 1ms, p99: 1ms }"),
            "connections.message_time.p99",
            "above the mean",
        );
        // A zero close_over (all at once) and zero messages are fine.
        assert!(check(&c("messages: { rate: 0 }, drain: { close_over: 0s }")).is_ok());
    }

    #[test]
    fn reconnect_rules() {
        let r = |reconnect: &str| connected(&format!("reconnect: {reconnect}"));
        const PATH: &str = "connections.reconnect";
        for policy in ["fixed", "exponential", "exponential-jitter"] {
            fails_at(
                &r(&format!("{{ policy: {policy}, base: 0s }}")),
                &at(PATH, "base"),
                "must be > 0 (for no delay use `policy: immediate`)",
            );
        }
        for policy in ["exponential", "exponential-jitter"] {
            fails_at(
                &r(&format!("{{ policy: {policy}, base: 2s, cap: 1s }}")),
                &at(PATH, "cap"),
                "must be ≥ base (2s), got 1s",
            );
            assert!(check(&r(&format!("{{ policy: {policy}, base: 1s, cap: 1s }}"))).is_ok());
        }
        // The default cap (30s) applies to the default policy.
        fails_at(&r("{ base: 1m }"), &at(PATH, "cap"), "≥ base (1m), got 30s");
        // `immediate` has no delay and `fixed` no cap: neither is checked.
        assert!(check(&r("{ policy: immediate, base: 0s, cap: 0s }")).is_ok());
        assert!(check(&r("{ policy: fixed, base: 1m, cap: 1s }")).is_ok());
    }

    // ----- balancer, sessions, shared tiers -------------------------------------------------

    #[test]
    fn a_standby_balancer_defaults_to_a_ten_second_failover() {
        let s = check(&raw("balancer: { standby: {} }\n")).unwrap();
        assert_eq!(
            s.balancer.standby,
            Some(Standby {
                failover: SimDuration::from_secs(10)
            })
        );
        let s = check(&raw("balancer: { standby: { failover: 0s } }\n")).unwrap();
        assert_eq!(
            s.balancer.standby.map(|s| s.failover),
            Some(SimDuration::ZERO)
        );
    }

    #[test]
    fn token_ttl_is_read_and_must_be_positive() {
        let s = check(&raw("sessions: { store: jwt, token_ttl: 2m }\n")).unwrap();
        assert_eq!(s.sessions.token_ttl, SimDuration::from_secs(120));
        fails_at(
            &raw("sessions: { token_ttl: 0s }\n"),
            "sessions.token_ttl",
            "> 0",
        );
    }

    #[test]
    fn a_database_block_gets_its_defaults() {
        let s = check(&raw("database: {}\n")).unwrap();
        assert_eq!(
            s.database,
            Some(DatabaseConfig {
                max_connections: 100,
                pool_per_instance: 10,
                queries_per_request: 1,
                query_time: Dist::Exponential {
                    mean: SimDuration::from_millis(5)
                },
            })
        );
        let s = check(&raw(
            "database: { max_connections: 20, pool_per_instance: 5, queries_per_request: 3, \
             query_time: { dist: constant, value: 2ms } }\n",
        ))
        .unwrap();
        assert_eq!(
            s.database,
            Some(DatabaseConfig {
                max_connections: 20,
                pool_per_instance: 5,
                queries_per_request: 3,
                query_time: Dist::Constant {
                    value: SimDuration::from_millis(2)
                },
            })
        );
    }

    #[test]
    fn database_rules() {
        let r =
            raw("database: { max_connections: 0, pool_per_instance: 0, queries_per_request: 0 }\n");
        fails_at(&r, "database.max_connections", "≥ 1, got 0");
        fails_at(&r, "database.pool_per_instance", "≥ 1, got 0");
        fails_at(&r, "database.queries_per_request", "≥ 1, got 0");
        fails_at(
            &raw("database: { query_time: { dist: exponential, mean: 0s } }\n"),
            "database.query_time.mean",
            "> 0",
        );
    }

    #[test]
    fn a_local_cache_needs_a_ratio_in_zero_one() {
        let s = check(&raw(
            "local_cache: { hit_ratio_one_instance: 0.9, miss_penalty: 20ms }\n",
        ))
        .unwrap();
        assert_eq!(
            s.local_cache,
            Some(LocalCacheConfig {
                hit_ratio_one_instance: 0.9,
                miss_penalty: SimDuration::from_millis(20),
                shared: false
            })
        );
        for ratio in ["0", "1"] {
            let r = raw(&format!(
                "local_cache: {{ hit_ratio_one_instance: {ratio}, miss_penalty: 20ms, shared: true }}\n"
            ));
            assert!(check(&r).is_ok(), "{ratio}");
        }
        for ratio in ["1.5", "-0.1"] {
            fails_at(
                &raw(&format!(
                    "local_cache: {{ hit_ratio_one_instance: {ratio}, miss_penalty: 20ms }}\n"
                )),
                "local_cache.hit_ratio_one_instance",
                "must be a fraction in [0, 1]",
            );
        }
    }

    #[test]
    fn a_rate_limit_needs_a_positive_rate() {
        let s = check(&raw("rate_limit: { per_user_per_s: 5 }\n")).unwrap();
        assert_eq!(
            s.rate_limit,
            Some(RateLimitConfig {
                per_user_per_s: 5.0,
                scope: LimitScope::Instance
            })
        );
        let s = check(&raw("rate_limit: { per_user_per_s: 0.5, scope: shared }\n")).unwrap();
        assert_eq!(s.rate_limit.map(|r| r.scope), Some(LimitScope::Shared));
        for rate in ["0", "-1"] {
            fails_at(
                &raw(&format!("rate_limit: {{ per_user_per_s: {rate} }}\n")),
                "rate_limit.per_user_per_s",
                "must be a number > 0",
            );
        }
    }

    // ----- autoscaler -----------------------------------------------------------------------

    #[test]
    fn an_autoscaler_gets_hpa_like_defaults() {
        let s = check(&raw("autoscaler: { target: 0.6 }\n")).unwrap();
        assert_eq!(
            s.autoscaler,
            Some(AutoscalerConfig {
                metric: ScalingMetric::Cpu,
                target: 0.6,
                min: 1,
                max: 10,
                interval: SimDuration::from_secs(15),
                tolerance: 0.1,
                scale_up: ScalingBehavior {
                    stabilization: SimDuration::ZERO,
                    cooldown: SimDuration::ZERO,
                    max_step: 4
                },
                scale_down: ScalingBehavior {
                    stabilization: SimDuration::from_secs(300),
                    cooldown: SimDuration::ZERO,
                    max_step: 1
                },
                instance_warmup: SimDuration::from_secs(60),
                scale_in_pick: ScaleInPick::Newest,
                group: None,
            })
        );
    }

    #[test]
    fn autoscaler_fields_are_read_and_each_direction_keeps_its_own_defaults() {
        let s = check(&raw("instances: { count: 3 }\n\
             autoscaler:\n\
             \x20 metric: p95-latency\n\
             \x20 target: 250\n\
             \x20 min: 2\n\
             \x20 max: 20\n\
             \x20 interval: 30s\n\
             \x20 tolerance: 0\n\
             \x20 scale_up: { cooldown: 1m }\n\
             \x20 scale_down: { max_step: 2 }\n\
             \x20 instance_warmup: 0s\n\
             \x20 scale_in_pick: least-loaded\n"))
        .unwrap();
        let a = s.autoscaler.unwrap();
        assert_eq!(a.metric, ScalingMetric::P95Latency);
        assert_eq!((a.target, a.min, a.max), (250.0, 2, 20));
        assert_eq!(a.interval, SimDuration::from_secs(30));
        assert_eq!(a.tolerance, 0.0);
        // Setting one field of a direction leaves that direction's other defaults alone.
        assert_eq!(
            a.scale_up,
            ScalingBehavior {
                stabilization: SimDuration::ZERO,
                cooldown: SimDuration::from_secs(60),
                max_step: 4
            }
        );
        assert_eq!(
            a.scale_down,
            ScalingBehavior {
                stabilization: SimDuration::from_secs(300),
                cooldown: SimDuration::ZERO,
                max_step: 2
            }
        );
        assert_eq!(a.instance_warmup, SimDuration::ZERO);
        assert_eq!(a.scale_in_pick, ScaleInPick::LeastLoaded);
        for (written, metric) in [
            ("cpu", ScalingMetric::Cpu),
            ("rps", ScalingMetric::Rps),
            ("queue-depth", ScalingMetric::QueueDepth),
            ("concurrency", ScalingMetric::Concurrency),
        ] {
            let s = check(&raw(&format!(
                "autoscaler: {{ metric: {written}, target: 0.5, scale_in_pick: oldest }}\n"
            )))
            .unwrap();
            let a = s.autoscaler.unwrap();
            assert_eq!((a.metric, a.scale_in_pick), (metric, ScaleInPick::Oldest));
        }
    }

    #[test]
    fn autoscaler_target_rules() {
        let a = |fields: &str| raw(&format!("autoscaler: {{ {fields} }}\n"));
        for target in ["0", "-1"] {
            fails_at(
                &a(&format!("metric: rps, target: {target}")),
                "autoscaler.target",
                "must be a number > 0",
            );
        }
        fails_at(
            &a("target: 60"),
            "autoscaler.target",
            "fraction of busy workers with `metric: cpu`: must be ≤ 1, got 60 (for 60 % write 60% or 0.6)",
        );
        fails_at(&a("target: 1.5"), "autoscaler.target", "must be ≤ 1");
        assert!(check(&a("target: 1")).is_ok());
        // Other metrics have their own units: 60 requests/s, 60 ms.
        assert!(check(&a("metric: rps, target: 60")).is_ok());
        assert!(check(&a("metric: p95-latency, target: 60")).is_ok());
    }

    #[test]
    fn autoscaler_bounds_rules() {
        let a = |fields: &str| raw(&format!("autoscaler: {{ target: 0.5, {fields} }}\n"));
        fails_at(&a("min: 0"), "autoscaler.min", "≥ 1, got 0");
        fails_at(
            &a("min: 5, max: 3"),
            "autoscaler.min",
            "must be ≤ max (3), got 5",
        );
        // The default max is 10.
        fails_at(
            &a("min: 12"),
            "autoscaler.min",
            "must be ≤ max (10), got 12",
        );
        // The initial fleet (2 by default) must lie in [min, max].
        fails_at(
            &a("min: 3, max: 6"),
            "instances.count",
            "must be within the autoscaler's [min, max] = [3, 6], got 2",
        );
        fails_at(
            &raw("instances: { count: 12 }\nautoscaler: { target: 0.5 }\n"),
            "instances.count",
            "[1, 10], got 12",
        );
        // One problem for one mistake: min > max does not also blame instances.count.
        assert_eq!(
            problems(&a("min: 5, max: 3")).len(),
            1,
            "{:?}",
            problems(&a("min: 5, max: 3"))
        );
    }

    #[test]
    fn autoscaler_timing_and_step_rules() {
        let a = |fields: &str| raw(&format!("autoscaler: {{ target: 0.5, {fields} }}\n"));
        fails_at(&a("interval: 0s"), "autoscaler.interval", "> 0");
        for tolerance in ["1", "-0.1", "1.5"] {
            fails_at(
                &a(&format!("tolerance: {tolerance}")),
                "autoscaler.tolerance",
                "must be a fraction in [0, 1)",
            );
        }
        fails_at(
            &a("scale_up: { max_step: 0 }"),
            "autoscaler.scale_up.max_step",
            "≥ 1, got 0",
        );
        fails_at(
            &a("scale_down: { max_step: 0 }"),
            "autoscaler.scale_down.max_step",
            "≥ 1, got 0",
        );
    }

    // ----- events ---------------------------------------------------------------------------

    /// A scenario with `events: [ event ]` (and `extra` before it).
    fn with_event(extra: &str, event: &str) -> RawScenario {
        raw(&format!("{extra}events: [ {event} ]\n"))
    }

    fn only_action(r: &RawScenario) -> Action {
        let s = check(r).unwrap();
        assert_eq!(s.events.len(), 1);
        s.events[0].action.clone()
    }

    #[test]
    fn every_action_is_read_with_its_defaults() {
        let redis = "sessions: { store: redis }\n";
        assert_eq!(
            only_action(&with_event("", "{ at: 1m, action: rolling-deploy }")),
            Action::RollingDeploy {
                max_surge: 1,
                max_unavailable: 0
            }
        );
        assert_eq!(
            only_action(&with_event(
                "",
                "{ at: 1m, action: rolling-deploy, max_surge: 0, max_unavailable: 2 }"
            )),
            Action::RollingDeploy {
                max_surge: 0,
                max_unavailable: 2
            }
        );
        assert_eq!(
            only_action(&with_event(
                redis,
                "{ at: 1m, action: redis-outage, duration: 1m }"
            )),
            Action::RedisOutage {
                duration: SimDuration::from_secs(60),
                data_loss: false
            }
        );
        assert_eq!(
            only_action(&with_event(
                redis,
                "{ at: 1m, action: redis-outage, duration: 30s, data_loss: true }"
            )),
            Action::RedisOutage {
                duration: SimDuration::from_secs(30),
                data_loss: true
            }
        );
        assert_eq!(
            only_action(&with_event(
                redis,
                "{ at: 1m, action: redis-slowdown, factor: 5, duration: 2m }"
            )),
            Action::RedisSlowdown {
                factor: 5.0,
                duration: SimDuration::from_secs(120)
            }
        );
        assert_eq!(
            only_action(&with_event(
                "",
                "{ at: 1m, action: slow-instance, factor: 10, duration: 3m }"
            )),
            Action::SlowInstance {
                factor: 10.0,
                duration: SimDuration::from_secs(180),
                pick: Pick::Random
            }
        );
        assert_eq!(
            only_action(&with_event(
                "",
                "{ at: 1m, action: slow-instance, factor: 1, duration: 3m, pick: index, index: 1 }"
            )),
            Action::SlowInstance {
                factor: 1.0,
                duration: SimDuration::from_secs(180),
                pick: Pick::Index(1)
            }
        );
        assert_eq!(
            only_action(&with_event("", "{ at: 1m, action: lb-failure }")),
            Action::LbFailure
        );
        assert_eq!(
            only_action(&with_event("", "{ at: 1m, action: revoke, sessions: 100 }")),
            Action::Revoke { sessions: 100 }
        );
        assert_eq!(
            only_action(&with_event("", "{ at: 1m, action: scale, to: 8 }")),
            Action::Scale { to: 8 }
        );
    }

    #[test]
    fn the_end_of_run_rule_applies_to_every_action() {
        for event in [
            "{ at: 20m, action: scale, to: 3 }",
            "{ at: 20m, action: rolling-deploy }",
            "{ at: 20m, action: redis-outage, duration: 1m }",
            "{ at: 20m, action: redis-slowdown, factor: 2, duration: 1m }",
            "{ at: 20m, action: slow-instance, factor: 2, duration: 1m }",
            "{ at: 20m, action: lb-failure }",
            "{ at: 20m, action: revoke, sessions: 1 }",
            "{ at: 20m, action: crash, mtbf: 1h }",
        ] {
            fails_at(
                &with_event("sessions: { store: redis }\n", event),
                "events[0].at",
                "20m is not before the end of the run (20m)",
            );
        }
    }

    #[test]
    fn scale_rules() {
        fails_at(
            &with_event("", "{ at: 1m, action: scale, to: 0 }"),
            "events[0].to",
            "≥ 1, got 0",
        );
        let autoscaled = "autoscaler: { target: 0.5, min: 2, max: 6 }\n";
        fails_at(
            &with_event(autoscaled, "{ at: 1m, action: scale, to: 8 }"),
            "events[0].to",
            "must be within the autoscaler's [min, max] = [2, 6], got 8",
        );
        fails_at(
            &with_event(autoscaled, "{ at: 1m, action: scale, to: 1 }"),
            "events[0].to",
            "[2, 6], got 1",
        );
        assert!(check(&with_event(autoscaled, "{ at: 1m, action: scale, to: 6 }")).is_ok());
        // Without an autoscaler any count ≥ 1 goes.
        assert!(check(&with_event("", "{ at: 1m, action: scale, to: 50 }")).is_ok());
    }

    #[test]
    fn a_rolling_deploy_must_be_able_to_progress() {
        fails_at(
            &with_event(
                "",
                "{ at: 1m, action: rolling-deploy, max_surge: 0, max_unavailable: 0 }",
            ),
            "events[0].max_surge",
            "and max_unavailable are both 0, so the deploy could never replace an instance",
        );
        // max_unavailable defaults to 0.
        fails_at(
            &with_event("", "{ at: 1m, action: rolling-deploy, max_surge: 0 }"),
            "events[0].max_surge",
            "both 0",
        );
    }

    #[test]
    fn store_faults_need_the_redis_store() {
        for (store, event) in [
            ("jwt", "{ at: 1m, action: redis-outage, duration: 1m }"),
            (
                "in-memory",
                "{ at: 1m, action: redis-slowdown, factor: 2, duration: 1m }",
            ),
        ] {
            let action = if event.contains("outage") {
                "redis-outage"
            } else {
                "redis-slowdown"
            };
            fails_at(
                &with_event(&format!("sessions: {{ store: {store} }}\n"), event),
                "events[0].action",
                &format!("`{action}` needs `sessions.store: redis`, but the store is `{store}`"),
            );
        }
    }

    #[test]
    fn redis_faults_are_also_valid_with_pubsub_delivery() {
        let connections = |delivery: &str| {
            format!(
                "connections: {{ arrivals: {{ rate: 1 }}, lifetime: {{ dist: constant, value: \
                 1m }}, delivery: {delivery} }}\n"
            )
        };
        for event in [
            "{ at: 1m, action: redis-outage, duration: 1m }",
            "{ at: 1m, action: redis-slowdown, factor: 2, duration: 1m }",
        ] {
            for delivery in ["redis-pubsub", "sharded-pubsub"] {
                let r = with_event(&connections(delivery), event);
                assert!(check(&r).is_ok(), "{delivery} {event}: {:?}", problems(&r));
            }
            fails_at(
                &with_event(&connections("local"), event),
                "events[0].action",
                "needs `sessions.store: redis`, but the store is `in-memory`, or \
                 `connections.delivery: redis-pubsub` or `sharded-pubsub`, but connections are \
                 delivered `local`: nothing in this scenario uses Redis",
            );
            fails_at(
                &with_event("", event),
                "events[0].action",
                "or `sharded-pubsub`, but there are no `connections`",
            );
        }
    }

    #[test]
    fn store_fault_rules() {
        let redis = "sessions: { store: redis }\n";
        fails_at(
            &with_event(redis, "{ at: 1m, action: redis-outage, duration: 0s }"),
            "events[0].duration",
            "> 0",
        );
        fails_at(
            &with_event(
                redis,
                "{ at: 1m, action: redis-slowdown, factor: 0.5, duration: 1m }",
            ),
            "events[0].factor",
            "≥ 1 (1 = no slowdown), got 0.5",
        );
        fails_at(
            &with_event(
                redis,
                "{ at: 1m, action: redis-slowdown, factor: 0, duration: 1m }",
            ),
            "events[0].factor",
            "≥ 1",
        );
        fails_at(
            &with_event(
                redis,
                "{ at: 1m, action: redis-slowdown, factor: 2, duration: 0s }",
            ),
            "events[0].duration",
            "> 0",
        );
    }

    #[test]
    fn slow_instance_rules() {
        let e = |event: &str| with_event("", event);
        fails_at(
            &e("{ at: 1m, action: slow-instance, factor: 0.5, duration: 1m }"),
            "events[0].factor",
            "≥ 1",
        );
        fails_at(
            &e("{ at: 1m, action: slow-instance, factor: 2, duration: 0s }"),
            "events[0].duration",
            "> 0",
        );
        // `pick` as for a crash.
        fails_at(
            &e("{ at: 1m, action: slow-instance, factor: 2, duration: 1m, pick: index }"),
            "events[0].pick",
            "needs `index: N`",
        );
        fails_at(
            &e("{ at: 1m, action: slow-instance, factor: 2, duration: 1m, pick: index, index: 2 }"),
            "events[0].index",
            "< instances.count (2)",
        );
        fails_at(
            &e("{ at: 1m, action: slow-instance, factor: 2, duration: 1m, pick: busiest, index: 0 }"),
            "events[0].index",
            "only applies",
        );
    }

    #[test]
    fn revoke_needs_at_least_one_session() {
        fails_at(
            &with_event("", "{ at: 1m, action: revoke, sessions: 0 }"),
            "events[0].sessions",
            "≥ 1, got 0",
        );
    }

    // ----- crashes by MTBF ------------------------------------------------------------------

    #[test]
    fn an_mtbf_crash_becomes_random_crashes_not_an_event() {
        let s = check(&raw("events:\n\
             \x20 - { at: 5m, action: scale, to: 3 }\n\
             \x20 - { action: crash, mtbf: 2h }\n"))
        .unwrap();
        assert_eq!(
            s.mtbf,
            Some(Mtbf {
                from: SimTime::ZERO,
                mean: SimDuration::from_secs(7200)
            })
        );
        assert_eq!(s.events.len(), 1);
        assert_eq!(s.events[0].action, Action::Scale { to: 3 });
        let s = check(&with_event("", "{ at: 5m, action: crash, mtbf: 30m }")).unwrap();
        assert_eq!(
            s.mtbf,
            Some(Mtbf {
                from: SimTime(300_000_000_000),
                mean: SimDuration::from_secs(1800)
            })
        );
        assert!(s.events.is_empty());
    }

    #[test]
    fn mtbf_rules() {
        fails_at(
            &with_event("", "{ action: crash, mtbf: 0s }"),
            "events[0].mtbf",
            "> 0",
        );
        for field in ["count: 2", "pick: busiest", "index: 0"] {
            let key = field.split(':').next().unwrap();
            fails_at(
                &with_event("", &format!("{{ action: crash, mtbf: 1h, {field} }}")),
                &format!("events[0].{key}"),
                "does not apply with `mtbf`",
            );
        }
        let two = raw("events:\n\
             \x20 - { action: crash, mtbf: 1h }\n\
             \x20 - { at: 1m, action: crash }\n\
             \x20 - { at: 2m, action: crash, mtbf: 2h }\n");
        fails_at(
            &two,
            "events[2].mtbf",
            "only one crash event may have `mtbf`, and events[0] already does",
        );
        assert_eq!(problems(&two).len(), 1, "{:?}", problems(&two));
    }

    #[test]
    fn a_crash_without_mtbf_still_needs_at() {
        fails_at(
            &with_event("", "{ action: crash, count: 2 }"),
            "events[0].at",
            "a crash needs `at: <time>`, or `mtbf: <duration>` for random crashes",
        );
    }

    // ----- instance groups ---------------------------------------------------------------

    const TWO_GROUPS: &str = "instances:\n  groups:\n    - { name: large, count: 4, workers: 8, speed: 2, cost_per_hour: 0.4 }\n    - { name: small, count: 4, workers: 2 }\n";

    #[test]
    fn groups_resolve_with_defaults_from_the_top_level() {
        let s = check(&raw(TWO_GROUPS)).unwrap();
        assert_eq!(s.instances.count, 8, "the fleet starts with the sum");
        let [large, small] = &s.instances.groups[..] else {
            panic!("two groups: {:?}", s.instances.groups)
        };
        assert_eq!((large.workers, large.speed, large.weight), (8, 2.0, 8));
        assert_eq!(large.cost_per_hour, 0.4);
        // Unset: queue from instances.queue (64), speed 1, weight = workers, no price.
        assert_eq!((small.workers, small.queue, small.speed), (2, 64, 1.0));
        assert_eq!((small.weight, small.cost_per_hour), (2, 0.0));
    }

    #[test]
    fn a_fleet_without_groups_is_one_default_group() {
        let s = check(&raw("instances: { count: 3, workers: 4 }\n")).unwrap();
        assert!(s.instances.groups.is_empty());
        let groups = s.instances.fleet_groups();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].name, "default");
        assert_eq!(
            (groups[0].count, groups[0].workers, groups[0].weight),
            (3, 4, 4)
        );
    }

    #[test]
    fn fails_with_bad_groups() {
        let g = |groups: &str| raw(&format!("instances:\n  groups: {groups}\n"));
        fails_at(
            &g("[ { name: a, count: 1 }, { name: a, count: 2 } ]"),
            "instances.groups[1].name",
            "already the name of instances.groups[0]",
        );
        fails_at(
            &g("[ { name: a, count: 0 } ]"),
            "instances.groups[0].count",
            "≥ 1, got 0",
        );
        fails_at(
            &g("[ { name: a, count: 1, weight: 0 } ]"),
            "instances.groups[0].weight",
            "must be ≥ 1, got 0",
        );
        fails_at(
            &g("[ { name: a, count: 1, speed: 0 } ]"),
            "instances.groups[0].speed",
            "> 0, got 0",
        );
        fails_at(
            &g("[ { name: a, count: 1, workers: 0 } ]"),
            "instances.groups[0].workers",
            "≥ 1, got 0",
        );
        fails_at(
            &g("[ { name: a, count: 1, cost_per_hour: -1 } ]"),
            "instances.groups[0].cost_per_hour",
            "≥ 0, got -1",
        );
        fails_at(
            &g("[ { name: 'a b', count: 1 } ]"),
            "instances.groups[0].name",
            "not a group name",
        );
        fails_at(
            &raw("instances:\n  count: 3\n  groups: [ { name: a, count: 1 } ]\n"),
            "instances.count",
            "does not apply with `groups`",
        );
    }

    #[test]
    fn fails_with_events_on_unknown_or_unnamed_groups() {
        let with = |event: &str| raw(&format!("{TWO_GROUPS}events: [ {event} ]\n"));
        fails_at(
            &with("{ at: 1m, action: crash, group: medium }"),
            "events[0].group",
            "`medium` is not a group of this fleet; its groups are `large`, `small`",
        );
        fails_at(
            &with("{ at: 1m, action: scale, to: 3 }"),
            "events[0].group",
            "is required: the fleet has several groups",
        );
        fails_at(
            &with("{ at: 1m, action: crash, pick: index, index: 1, group: small }"),
            "events[0].index",
            "one of group `small`'s initial instances (4..7), got 1",
        );
        fails_at(
            &with("{ action: crash, mtbf: 1h, group: small }"),
            "events[0].group",
            "does not apply with `mtbf`",
        );
        fails_at(
            &raw(&format!("{TWO_GROUPS}autoscaler: {{ target: 0.5 }}\n")),
            "autoscaler.group",
            "is required",
        );
        fails_at(
            &raw(&format!(
                "{TWO_GROUPS}autoscaler: {{ target: 0.5, group: small, min: 5, max: 9 }}\n"
            )),
            "instances.groups[1].count",
            "within the autoscaler's [min, max] = [5, 9], got 4",
        );
    }

    #[test]
    fn events_and_the_autoscaler_resolve_their_group() {
        let r = raw(&format!(
            "{TWO_GROUPS}autoscaler: {{ target: 0.5, group: small, min: 2, max: 9 }}\n\
             events:\n  - {{ at: 1m, action: scale, to: 12, group: large }}\n  \
             - {{ at: 2m, action: crash, group: small }}\n  - {{ at: 3m, action: rolling-deploy }}\n"
        ));
        let s = check(&r).unwrap();
        assert_eq!(s.autoscaler.unwrap().group, Some(1));
        // `to: 12` is outside the autoscaler's [2, 9], but it resizes another group.
        let groups: Vec<Option<u32>> = s.events.iter().map(|e| e.group).collect();
        assert_eq!(groups, [Some(0), Some(1), None]);
    }

    #[test]
    fn one_group_needs_no_name_and_default_names_the_ungrouped_fleet() {
        let s = check(&raw("events: [ { at: 1m, action: scale, to: 3 } ]\n")).unwrap();
        assert_eq!(s.events[0].group, Some(0));
        let s = check(&raw(
            "events: [ { at: 1m, action: crash, group: default } ]\n",
        ))
        .unwrap();
        assert_eq!(s.events[0].group, Some(0));
    }
}
