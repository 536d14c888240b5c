//! From the file's shape ([`RawScenario`]) to a scenario the simulator can trust ([`Scenario`]).
//!
//! Every rule is checked and every failure collected, so one run of `fleetsim validate` shows all
//! that is wrong, each with its field path. Where a value came from (a line, a `--set`, a
//! default) is not known here: the caller supplies `locate`, keeping this module about rules.
//!
//! Besides checking, validation resolves: durations become integer nanoseconds, a lognormal
//! given as (mean, p99) becomes (mu, sigma), a profile gets its implicit zero point, events are
//! sorted by time.

use super::duration::HumanDuration;
use super::error::{Origin, Problem};
use super::raw::*;
use super::types::*;
use crate::engine::{SimDuration, SimTime};

/// The standard normal quantile of 0.99: a lognormal's p99 is `exp(mu + Z99 * sigma)`.
pub const Z99: f64 = 2.3263478740408408;

/// Checks `raw` against every rule. `locate` says where a field path came from.
pub fn validate(
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
pub fn lognormal_params(mean_s: f64, p99_s: f64) -> Option<(f64, f64)> {
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
pub fn max_lognormal_ratio() -> f64 {
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
        let events = self.events(&raw.events, duration, instances.count);
        Scenario {
            name: raw.name.clone(),
            description: raw.description.clone(),
            seed: raw.seed,
            duration,
            warmup: raw.warmup.0,
            report: ReportConfig {
                window: self.positive("report.window", raw.report.window),
            },
            workload: self.workload(&raw.workload, duration),
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
            events,
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
                    "`{name}` names the output folder: use letters, digits, `-`, `_`, `.`, `+` \
                     (not first)"
                ),
            );
        } else if name.len() > 100 {
            self.report("name", "must be at most 100 characters");
        }
    }

    fn workload(&mut self, w: &RawWorkload, duration: SimDuration) -> Workload {
        Workload {
            arrivals: self.arrivals(&w.arrivals, duration),
            session: SessionShape {
                requests: self.count_dist("workload.session.requests", &w.session.requests),
                think_time: self.dist("workload.session.think_time", &w.session.think_time),
            },
            client_ips: self.at_least_one("workload.client_ips", w.client_ips),
            timeout: self.positive("workload.timeout", w.timeout),
            retries: w.retries,
            retry_backoff: w.retry_backoff.0,
        }
    }

    fn arrivals(&mut self, a: &RawArrivals, duration: SimDuration) -> RateProfile {
        const PATH: &str = "workload.arrivals";
        match (a.rate, &a.profile) {
            (Some(rate), None) => RateProfile::Constant(self.rate(&at(PATH, "rate"), rate)),
            (None, Some(points)) => RateProfile::Steps(self.profile(points, duration)),
            (Some(_), Some(_)) => {
                self.report(PATH, "give either `rate` or `profile`, not both");
                RateProfile::Constant(0.0)
            }
            (None, None) => {
                self.report(
                    PATH,
                    "needs `rate: <sessions/s>` or `profile: [ { at: 0s, rate: <sessions/s> } ]`",
                );
                RateProfile::Constant(0.0)
            }
        }
    }

    /// Points must be in order and inside the run; a ramp must end by the next point (the rate
    /// moves from the previous level to the point's over `[at, at + ramp]`). Before the first
    /// point nothing arrives: a profile starting later gets an explicit `{ at: 0s, rate: 0 }`.
    fn profile(&mut self, points: &[RawRatePoint], duration: SimDuration) -> Vec<RatePoint> {
        const PATH: &str = "workload.arrivals.profile";
        if points.is_empty() {
            self.report(
                PATH,
                "needs at least one point, like `{ at: 0s, rate: 20 }`",
            );
        }
        let mut out = Vec::with_capacity(points.len() + 1);
        for (i, p) in points.iter().enumerate() {
            let path = format!("{PATH}[{i}]");
            let rate = self.rate(&at(&path, "rate"), p.rate);
            if !duration.is_zero() && p.at.0 >= duration {
                self.report(
                    &at(&path, "at"),
                    format!("{} is not before the end of the run ({duration})", p.at),
                );
            }
            if let Some(prev) = i.checked_sub(1).map(|j| &points[j]) {
                if p.at <= prev.at {
                    self.report(
                        &at(&path, "at"),
                        format!("{} must be after the previous point's {}", p.at, prev.at),
                    );
                } else if prev.at.0 + prev.ramp.0 > p.at.0 {
                    self.report(
                        &format!("{PATH}[{}].ramp", i - 1),
                        format!(
                            "a ramp of {} from {} runs past the next point at {}",
                            prev.ramp, prev.at, p.at
                        ),
                    );
                }
            }
            out.push(RatePoint {
                at: SimTime(p.at.0.as_nanos()),
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

    fn count_dist(&mut self, path: &str, d: &RawCountDist) -> CountDist {
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
                        format!(
                            "must be a number ≥ 1 (a session has at least its login), got {mean}"
                        ),
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
            },
            affinity: match b.affinity {
                RawAffinity::None => Affinity::None,
                RawAffinity::Cookie => Affinity::Cookie,
                RawAffinity::SourceIp => Affinity::SourceIp,
            },
            hop_latency: b.hop_latency.0,
            deregistration_delay: b.deregistration_delay.0,
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
        InstanceConfig {
            count: self.at_least_one("instances.count", i.count),
            workers: self.at_least_one("instances.workers", i.workers),
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

    fn events(
        &mut self,
        raw: &[RawEvent],
        duration: SimDuration,
        instance_count: u32,
    ) -> Vec<ScheduledEvent> {
        let mut events: Vec<ScheduledEvent> = raw
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let path = format!("events[{i}]");
                if !duration.is_zero() && e.at().0 >= duration {
                    self.report(
                        &at(&path, "at"),
                        format!("{} is not before the end of the run ({duration})", e.at()),
                    );
                }
                ScheduledEvent {
                    at: SimTime(e.at().0.as_nanos()),
                    action: self.action(&path, e, instance_count),
                }
            })
            .collect();
        // Stable: events at the same time keep the order they were written in.
        events.sort_by_key(|e| e.at);
        events
    }

    /// One arm per event kind.
    fn action(&mut self, path: &str, e: &RawEvent, instance_count: u32) -> Action {
        match *e {
            RawEvent::Crash {
                at: _,
                count,
                pick,
                index,
            } => {
                let count = self.at_least_one(&at(path, "count"), count);
                let pick = match (pick, index) {
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
                };
                Action::Crash { count, pick }
            }
            RawEvent::Scale { at: _, to } => Action::Scale { to },
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
    fn rates_must_be_finite_and_not_negative() {
        fails_at(
            &with_workload("{ arrivals: { rate: -5 } }"),
            "workload.arrivals.rate",
            "≥ 0, got -5",
        );
        fails_at(
            &with_workload("{ arrivals: { rate: .inf } }"),
            "workload.arrivals.rate",
            "≥ 0",
        );
        assert!(check(&with_workload("{ arrivals: { rate: 0 } }")).is_ok());
    }

    #[test]
    fn arrivals_need_exactly_one_of_rate_and_profile() {
        fails_at(
            &with_workload("{ arrivals: { rate: 1, profile: [ { at: 0s, rate: 1 } ] } }"),
            "workload.arrivals",
            "not both",
        );
        fails_at(
            &with_workload("{ arrivals: {} }"),
            "workload.arrivals",
            "needs `rate",
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
}
