//! Model-level checks on hand-built scenarios: queueing theory, accounting, crash semantics.
//!
//! Each analytic expectation is derived in a comment beside its assertion.

use super::simulate;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Failed, Report, TimelineEvent};
use crate::scenario::*;

fn secs(s: u64) -> SimDuration {
    SimDuration::from_secs(s)
}
fn ms(v: u64) -> SimDuration {
    SimDuration::from_millis(v)
}

/// A plain scenario: `count` instances, Poisson sessions of one request, exponential service.
pub(super) fn open_system(
    count: u32,
    workers: u32,
    rate: f64,
    service_ms: u64,
    duration_s: u64,
) -> Scenario {
    Scenario {
        name: "theory".into(),
        description: String::new(),
        seed: 42,
        duration: secs(duration_s),
        warmup: secs(100),
        source: Default::default(),
        report: ReportConfig {
            window: secs(60),
            slo: None,
        },
        objectives: Vec::new(),
        workload: Workload {
            arrivals: RateProfile::Constant(rate),
            spike: None,
            session: SessionShape {
                requests: CountDist::Constant { value: 1 },
                think_time: Dist::Constant {
                    value: SimDuration::ZERO,
                },
            },
            client_ips: 1000,
            timeout: secs(3600),
            retries: 0,
            retry_backoff: ms(100),
        },
        connections: None,
        balancer: BalancerConfig {
            algorithm: Algorithm::Random,
            affinity: Affinity::None,
            hop_latency: SimDuration::ZERO,
            health_check: HealthCheck {
                interval: secs(5),
                unhealthy_threshold: 2,
                healthy_threshold: 2,
            },
            deregistration_delay: secs(30),
            standby: None,
        },
        instances: InstanceConfig {
            count,
            workers,
            groups: Vec::new(),
            queue: 100_000,
            service_time: Dist::Exponential {
                mean: ms(service_ms),
            },
            boot_time: secs(30),
            warmup: Warmup {
                duration: SimDuration::ZERO,
                slowdown: 1.0,
            },
            replace: true,
            termination_grace: secs(30),
        },
        sessions: SessionConfig {
            store: SessionStore::Jwt,
            ttl: secs(1800),
            jwt_verify: SimDuration::ZERO,
            token_ttl: secs(900),
        },
        redis: RedisConfig {
            latency: Dist::Exponential {
                mean: SimDuration::from_micros(500),
            },
            max_ops: 100_000.0,
        },
        jobs: None,
        files: None,
        database: None,
        local_cache: None,
        rate_limit: None,
        autoscaler: None,
        events: vec![],
        mtbf: None,
    }
}

/// Sessions of several requests with think times, for session semantics.
fn interactive(store: SessionStore, affinity: Affinity) -> Scenario {
    let mut s = open_system(4, 8, 20.0, 20, 1200);
    s.warmup = SimDuration::ZERO;
    s.workload.session = SessionShape {
        requests: CountDist::Geometric { mean: 20.0 },
        think_time: Dist::Exponential { mean: secs(3) },
    };
    s.workload.timeout = secs(5);
    s.workload.retries = 1;
    s.balancer.algorithm = Algorithm::RoundRobin;
    s.balancer.affinity = affinity;
    s.sessions.store = store;
    s.events = vec![ScheduledEvent {
        group: None,
        at: SimTime::ZERO + secs(600),
        action: Action::Crash {
            count: 1,
            pick: Pick::Busiest,
        },
    }];
    s
}

fn assert_within(what: &str, got: f64, expected: f64, rel: f64) {
    let err = (got - expected).abs() / expected;
    assert!(
        err <= rel,
        "{what}: got {got:.4}, expected {expected:.4} (error {:.2}% > {:.2}%)",
        err * 100.0,
        rel * 100.0
    );
}

/// Runs `s`, checks its accounting and its mean response against `expected_ms` within `rel`;
/// the report is for further checks.
fn mean_response_within(s: &Scenario, expected_ms: f64, rel: f64) -> Report {
    let report = simulate(s);
    assert_balanced(&report);
    assert_within("mean response", report.latency_ms.mean, expected_ms, rel);
    report
}

/// The share of the requests sent that ended in `count`.
fn share_of_sent(r: &Report, count: impl Fn(&Failed) -> u64) -> f64 {
    count(&r.requests.failed) as f64 / r.requests.sent as f64
}

/// A lognormal duration of mean `mean_s` seconds whose underlying normal has spread `sigma`:
/// mu = ln(mean) − sigma²/2.
fn lognormal(mean_s: f64, sigma: f64) -> Dist {
    Dist::LogNormal {
        mu: mean_s.ln() - sigma * sigma / 2.0,
        sigma,
    }
}

fn assert_balanced(r: &Report) {
    let q = &r.requests;
    assert_eq!(
        q.sent,
        q.succeeded + q.failed.total() + q.in_flight_at_end,
        "accounting: {q:?}"
    );
}

#[test]
fn random_routing_to_single_worker_instances_matches_mm1() {
    // 8 instances, random routing splits Poisson(560/s) into 8 Poisson(70/s) streams.
    // Each is M/M/1 with μ = 100/s: the response time is Exp(μ − λ) = Exp(30/s), so
    // mean = 1/30 s = 33.33 ms and p99 = ln(100)/30 s = 153.5 ms.
    let report = simulate(&open_system(8, 1, 560.0, 10, 3700));
    assert_balanced(&report);
    assert!(report.requests.succeeded > 1_900_000);
    assert_within("mean", report.latency_ms.mean, 1000.0 / 30.0, 0.03);
    assert_within(
        "p99",
        report.latency_ms.p99,
        1000.0 * 100f64.ln() / 30.0,
        0.04,
    );
    // p50 = ln 2 / 30 s = 23.1 ms
    assert_within(
        "p50",
        report.latency_ms.p50,
        1000.0 * 2f64.ln() / 30.0,
        0.03,
    );
}

/// Erlang C: probability that an arrival waits in an M/M/k queue with offered load `a` = λ/μ.
fn erlang_c(k: u32, a: f64) -> f64 {
    let mut term = 1.0; // a^n / n!
    let mut sum = 0.0;
    for n in 0..k {
        sum += term;
        term *= a / f64::from(n + 1);
    }
    // term is now a^k / k!
    let top = term * f64::from(k) / (f64::from(k) - a);
    top / (sum + top)
}

#[test]
fn one_instance_with_k_workers_matches_erlang_c() {
    // M/M/4 with λ = 300/s, μ = 100/s: a = 3, ρ = 0.75.
    // C(4, 3) = (81/24 · 4) / (1 + 3 + 4.5 + 4.5 + 81/24 · 4) = 13.5 / 26.5 = 0.5094,
    // Wq = C / (kμ − λ) = 0.5094 / 100 s = 5.094 ms, and the mean response is Wq + 10 ms.
    let c = erlang_c(4, 3.0);
    assert!((c - 13.5 / 26.5).abs() < 1e-12);
    let wq_ms = c / 100.0 * 1000.0;
    let report = mean_response_within(&open_system(1, 4, 300.0, 10, 7300), wq_ms + 10.0, 0.02);
    assert_within("mean wait", report.latency_ms.mean - 10.0, wq_ms, 0.05);
}

#[test]
fn round_robin_makes_each_instance_an_erlang_k_queue() {
    // Round robin over k = 4 instances hands each one every 4th arrival of Poisson(280/s): its
    // gaps are Erlang(4, 280/s), so each instance is E₄/M/1 at ρ = 0.7. For GI/M/1 the response
    // time is exponential with rate μ(1 − σ), where σ is the root in (0, 1) of
    // σ = A*(μ(1 − σ)), A* the gaps' Laplace transform (280 / (280 + s))⁴: σ = 0.5529, mean
    // 1 / (100 · 0.4471) s = 22.37 ms — two thirds of random routing's 33.3 ms, since regular
    // gaps queue less.
    let (k, lambda, mu) = (4, 280.0f64, 100.0f64);
    let mut sigma = 0.5;
    for _ in 0..200 {
        sigma = (lambda / (lambda + mu * (1.0 - sigma))).powi(k);
    }
    let mean_ms = 1000.0 / (mu * (1.0 - sigma));
    assert!((mean_ms - 22.367).abs() < 1e-3, "{mean_ms}");
    let mut s = open_system(4, 1, 280.0, 10, 7300);
    s.balancer.algorithm = Algorithm::RoundRobin;
    let report = mean_response_within(&s, mean_ms, 0.015);
    // p99 = ln(100) × the mean, for an exponential response time.
    assert_within("p99", report.latency_ms.p99, 100f64.ln() * mean_ms, 0.04);
}

#[test]
fn power_of_two_choices_approach_the_mean_field_limit() {
    // Mitzenmacher's limit for n → ∞ single-worker instances at load λ = 0.9 per instance
    // (exponential service): the share of instances with at least i requests is
    // λ^(2^i − 1), so the mean number per instance is Σ λ^(2^i − 1) = 2.353 and the mean
    // response, by Little's law, 2.353 / 0.9 = 2.614 service times: 26.14 ms, where random
    // routing gives M/M/1's 100 ms. A finite fleet sits a little above the limit (100
    // instances: 1 to 2 %, 50 instances: about 2.5 %).
    let lambda = 0.9f64;
    let in_system: f64 = (1..30).map(|i| lambda.powi((1 << i) - 1)).sum();
    let limit_ms = in_system / lambda * 10.0;
    assert!((limit_ms - 26.14).abs() < 0.01, "{limit_ms}");
    let mut s = open_system(100, 1, 9000.0, 10, 320);
    s.balancer.algorithm = Algorithm::PowerOfTwo;
    let mean = mean_response_within(&s, limit_ms, 0.03).latency_ms.mean;
    assert!(
        mean > limit_ms,
        "{mean} ms is below the limit {limit_ms} ms"
    );
}

/// The mean response of an M/G/1 queue (Pollaczek–Khinchine): the service mean plus the wait
/// Wq = λ·E[S²] / (2(1 − ρ)), all in seconds.
fn pollaczek_khinchine(lambda: f64, mean: f64, second_moment: f64) -> f64 {
    let rho = lambda * mean;
    mean + lambda * second_moment / (2.0 * (1.0 - rho))
}

#[test]
fn constant_service_matches_pollaczek_khinchine() {
    // 8 M/D/1 queues at λ = 70/s with S = 10 ms (ρ = 0.7): E[S²] = S², so
    // Wq = 70 · 10⁻⁴ / 0.6 s = 11.67 ms and the mean response is 21.67 ms: half the wait of
    // M/M/1 at the same load (23.3 of the 33.3 ms above), since a constant has no variance.
    let mut s = open_system(8, 1, 560.0, 10, 3700);
    s.instances.service_time = Dist::Constant { value: ms(10) };
    let expected = pollaczek_khinchine(70.0, 0.010, 1e-4) * 1000.0;
    assert!((expected - 21.667).abs() < 1e-3);
    let report = mean_response_within(&s, expected, 0.01);
    // No response is shorter than the service itself.
    assert!(report.latency_ms.p50 >= 10.0, "{:?}", report.latency_ms);
}

#[test]
fn lognormal_service_matches_pollaczek_khinchine() {
    // 8 M/G/1 queues at λ = 60/s, lognormal service with σ = 1 and mean m = 10 ms (ρ = 0.6):
    // E[S²] = m²·e^{σ²} = 2.718 · 10⁻⁴ s², so Wq = 60 · 2.718 · 10⁻⁴ / 0.8 s = 20.39 ms and the
    // mean response is 30.39 ms (M/M/1 at ρ = 0.6 would give 25 ms: E[S²] = 2m² there).
    let sigma: f64 = 1.0;
    let mut s = open_system(8, 1, 480.0, 10, 4300);
    s.instances.service_time = lognormal(0.010, sigma);
    let expected = pollaczek_khinchine(60.0, 0.010, 1e-4 * (sigma * sigma).exp()) * 1000.0;
    assert!((expected - 30.387).abs() < 1e-2, "{expected}");
    mean_response_within(&s, expected, 0.015);
}

#[test]
fn a_full_queue_refuses_as_mm1k_predicts() {
    // 8 M/M/1/K queues at ρ = 0.8 with K = 1 worker + 4 places = 5: the stationary probability
    // of n requests is (1 − ρ)ρⁿ / (1 − ρ^{K+1}), and by PASTA an arrival is refused with the
    // probability of K: 0.2 · 0.8⁵ / (1 − 0.8⁶) = 0.0888. The accepted ones spend
    // L / (λ(1 − P_K)) = 25.63 ms (Little's law, L = Σ n·Pₙ = 1.868).
    let (rho, k) = (0.8f64, 5);
    let p = |n: i32| (1.0 - rho) * rho.powi(n) / (1.0 - rho.powi(k + 1));
    let refused = p(k);
    let in_system: f64 = (0..=k).map(|n| f64::from(n) * p(n)).sum();
    let response_ms = in_system / (80.0 * (1.0 - refused)) * 1000.0;
    assert!((refused - 0.08882).abs() < 1e-5 && (response_ms - 25.631).abs() < 1e-3);

    let mut s = open_system(8, 1, 640.0, 10, 3200);
    s.instances.queue = 4;
    // The mean response is the accepted requests': the refused ones have none.
    let report = mean_response_within(&s, response_ms, 0.01);
    let got = share_of_sent(&report, |f| f.queue_full);
    assert_within("refused share", got, refused, 0.01);
    let q = &report.requests;
    assert_eq!(q.failed.total(), q.failed.queue_full, "{q:?}");
}

/// Erlang B: the probability that all `k` servers are busy in a loss system with offered load
/// `a`, by the recurrence B(0) = 1, B(n) = a·B(n−1) / (n + a·B(n−1)).
fn erlang_b(k: u32, a: f64) -> f64 {
    (1..=k).fold(1.0, |b, n| a * b / (f64::from(n) + a * b))
}

#[test]
fn without_a_queue_workers_refuse_as_erlang_b_predicts_whatever_the_service() {
    // 8 instances of 3 workers and no queue at λ = 200/s each, mean service 10 ms: a = 2, and
    // B(3, 2) = (2³/3!) / (1 + 2 + 2²/2! + 2³/3!) = 4/19 = 0.2105. Erlang's loss formula holds
    // for any service distribution with that mean, so a skewed lognormal must give it too.
    let b = erlang_b(3, 2.0);
    assert!((b - 4.0 / 19.0).abs() < 1e-12);
    let mut s = open_system(8, 3, 1600.0, 10, 1300);
    s.instances.queue = 0;
    s.instances.service_time = lognormal(0.010, 1.5);
    let report = simulate(&s);
    assert_balanced(&report);
    let got = share_of_sent(&report, |f| f.queue_full);
    assert_within("refused share", got, b, 0.01);
}

#[test]
fn the_redis_tier_is_one_m_d_1_server_shared_by_the_fleet() {
    // 4 instances with workers to spare send 800 operations/s (one per single-request session)
    // to a store of 1,000 operations/s with no round trip: one FIFO server with constant
    // service 1 ms at ρ = 0.8, so Wq = ρ / (2μ(1 − ρ)) = 0.8 / 400 s = 2 ms. With a constant
    // 1 ms of service after the store's answer, every response averages 2 + 1 + 1 = 4 ms.
    let mut s = open_system(4, 100, 800.0, 1, 1900);
    s.instances.service_time = Dist::Constant { value: ms(1) };
    s.sessions.store = SessionStore::Redis;
    s.redis = RedisConfig {
        latency: Dist::Constant {
            value: SimDuration::ZERO,
        },
        max_ops: 1000.0,
    };
    let expected = pollaczek_khinchine(800.0, 0.001, 1e-6) * 1000.0 + 1.0;
    assert!((expected - 4.0).abs() < 1e-9, "{expected}");
    mean_response_within(&s, expected, 0.01);
}

#[test]
fn the_database_is_an_m_m_c_queue_of_its_connections() {
    // 4 instances with pools and workers to spare, 300 requests/s of one exponential 10 ms
    // query and no other service: the database's 4 connections are M/M/4 at a = 3, the same
    // queue as the Erlang C test above, so the mean response is 5.094 + 10 ms however the
    // requests are spread over the instances.
    let mut s = open_system(4, 100, 300.0, 1, 3700);
    s.instances.service_time = Dist::Constant {
        value: SimDuration::ZERO,
    };
    s.database = Some(DatabaseConfig {
        max_connections: 4,
        pool_per_instance: 100,
        queries_per_request: 1,
        query_time: Dist::Exponential { mean: ms(10) },
    });
    let wq_ms = erlang_c(4, 3.0) / 100.0 * 1000.0;
    mean_response_within(&s, wq_ms + 10.0, 0.02);
}

#[test]
fn a_timeout_fails_exactly_the_requests_whose_response_would_exceed_it() {
    // 8 M/M/1 queues at ρ = 0.7: the response time is Exp(θ = 30/s). A client that gives up
    // after T = 50 ms leaves its request in the queue (it is still served), so the queue is the
    // same and the share timed out is P(R > T) = e^{−θT} = e^{−1.5} = 0.2231. The successes are
    // R given R ≤ T: mean 1/θ − T·e^{−θT} / (1 − e^{−θT}) = 33.33 − 14.36 = 18.97 ms.
    let (theta, t) = (30.0f64, 0.050);
    let timed_out = (-theta * t).exp();
    let success_ms = (1.0 / theta - t * timed_out / (1.0 - timed_out)) * 1000.0;
    assert!((success_ms - 18.97).abs() < 0.01, "{success_ms}");

    let mut s = open_system(8, 1, 560.0, 10, 3700);
    s.workload.timeout = ms(50);
    // The mean response is the successes': a timed-out request has none.
    let report = mean_response_within(&s, success_ms, 0.01);
    let got = share_of_sent(&report, |f| f.timeout);
    assert_within("timed-out share", got, timed_out, 0.01);
    // No success took longer than T, to the histograms' three significant digits.
    assert!(
        report.latency_ms.max <= 50.0 * 1.001,
        "{:?}",
        report.latency_ms
    );
}

#[test]
fn every_request_is_accounted_for_once_under_faults() {
    for store in [
        SessionStore::InMemory,
        SessionStore::Redis,
        SessionStore::Jwt,
    ] {
        let mut s = interactive(store, Affinity::Cookie);
        // Overload and tight timeouts so that every failure cause occurs.
        s.instances.queue = 4;
        s.instances.workers = 2;
        s.workload.timeout = ms(150);
        s.workload.arrivals = RateProfile::Constant(40.0);
        let r = simulate(&s);
        assert_balanced(&r);
        assert!(
            r.requests.failed.queue_full > 0 && r.requests.failed.timeout > 0,
            "{:?}",
            r.requests
        );
        assert!(r.requests.failed.instance_down > 0, "{:?}", r.requests);
    }
}

#[test]
fn crash_with_a_shared_store_or_tokens_loses_no_session() {
    for store in [SessionStore::Redis, SessionStore::Jwt] {
        let r = simulate(&interactive(store, Affinity::Cookie));
        assert_balanced(&r);
        assert_eq!(r.fleet.crashed, 1);
        assert_eq!(r.sessions.lost, 0, "{store:?}");
        assert_eq!(r.requests.failed.session_lost, 0);
        assert!(
            r.requests.failed.instance_down > 0,
            "requests hit the dead instance before detection"
        );
    }
}

#[test]
fn crash_with_sticky_in_memory_sessions_logs_out_the_victims_users() {
    let r = simulate(&interactive(SessionStore::InMemory, Affinity::Cookie));
    assert_balanced(&r);
    let crash = r
        .timeline
        .iter()
        .find(|e| matches!(e.event, TimelineEvent::Crash { .. }))
        .expect("crash on the timeline");
    // Sessions pinned to the victim that send at least one more request are lost. With geometric
    // sessions (mean 20 requests) almost all of them have requests left; a few end within the
    // detection window, so lost ≤ pinned and close to it.
    let pinned = crash.sessions_affected as f64;
    assert!(pinned > 100.0, "{pinned}");
    let lost = r.sessions.lost as f64;
    assert!(
        lost <= pinned && lost >= 0.85 * pinned,
        "lost {lost} of {pinned} pinned"
    );
    // Without the crash nobody is lost.
    let mut calm = interactive(SessionStore::InMemory, Affinity::Cookie);
    calm.events.clear();
    assert_eq!(simulate(&calm).sessions.lost, 0);
}

#[test]
fn in_memory_sessions_without_affinity_are_mostly_lost() {
    let mut s = interactive(SessionStore::InMemory, Affinity::None);
    s.events.clear();
    let r = simulate(&s);
    assert_balanced(&r);
    // A session of n ≥ 2 requests survives only if every request lands on its login instance:
    // with round-robin over 4 instances and interleaved sessions that is rare. Single-request
    // sessions (1/20 of them under a geometric mean of 20) cannot be lost.
    let lost_share = r.sessions.lost as f64 / r.sessions.started as f64;
    assert!(lost_share > 0.85, "lost share {lost_share}");
}

#[test]
fn same_seed_same_report_and_common_random_numbers_across_stores() {
    let a = simulate(&interactive(SessionStore::InMemory, Affinity::Cookie));
    let b = simulate(&interactive(SessionStore::InMemory, Affinity::Cookie));
    // Nothing in a report depends on the wall clock: the model never reads it.
    assert_eq!(a, b);
    // Changing the store does not change who arrives.
    let c = simulate(&interactive(SessionStore::Jwt, Affinity::Cookie));
    assert_eq!(a.sessions.started, c.sessions.started);
    let arrivals = |r: &Report| r.timeseries.iter().map(|w| w.arrivals).collect::<Vec<_>>();
    assert_eq!(arrivals(&a), arrivals(&c));
}

#[test]
fn a_crash_is_detected_after_the_unhealthy_threshold() {
    let r = simulate(&interactive(SessionStore::Jwt, Affinity::Cookie));
    let crash = r
        .timeline
        .iter()
        .find(|e| matches!(e.event, TimelineEvent::Crash { .. }))
        .unwrap();
    let down = r
        .timeline
        .iter()
        .find(|e| matches!(e.event, TimelineEvent::MarkedDown { .. }))
        .unwrap();
    // Checks every 5 s, 2 consecutive failures needed: the first failing check comes within
    // [0, 5 s] of the crash, the second 5 s later, so detection takes between 5 and 10 s.
    let delay = down.t_s - crash.t_s;
    assert!((5.0..=10.0).contains(&delay), "detected after {delay} s");
}

fn at(s: u64) -> SimTime {
    SimTime::ZERO + secs(s)
}

/// `interactive`, with the crash replaced by a scale-in from 4 to 2 at 10 minutes.
fn scale_in(store: SessionStore) -> Scenario {
    let mut s = interactive(store, Affinity::Cookie);
    s.events = vec![ScheduledEvent {
        group: None,
        at: at(600),
        action: Action::Scale { to: 2 },
    }];
    s
}

#[test]
fn scale_in_logs_out_sticky_in_memory_users_but_not_redis_ones() {
    let sticky = simulate(&scale_in(SessionStore::InMemory));
    assert_balanced(&sticky);
    assert_eq!(sticky.fleet.terminated, 2);
    assert_eq!(sticky.fleet.crashed, 0);
    // Half the fleet goes: roughly half the live sessions are re-pinned and lose their state.
    let scale = sticky
        .timeline
        .iter()
        .find(|e| e.event == TimelineEvent::Scale { to: 2 })
        .unwrap();
    assert_eq!(scale.t_s, 600.0);
    assert!(sticky.sessions.lost > 300, "{:?}", sticky.sessions);
    // Draining lets in-flight requests finish: nothing is killed, nothing hits a dead instance.
    assert_eq!(sticky.requests.failed.killed, 0);
    assert_eq!(sticky.requests.failed.instance_down, 0);
    let redis = simulate(&scale_in(SessionStore::Redis));
    assert_balanced(&redis);
    assert_eq!(redis.sessions.lost, 0);
    // Two instances for the last 10 minutes: 4 × 600 s + 2 × 600 s (+ the last drains' seconds).
    assert!(redis.fleet.instance_seconds >= 3600.0 && redis.fleet.instance_seconds < 3601.0);
}

#[test]
fn a_drain_shorter_than_the_work_kills_in_flight_requests() {
    // Long requests (2 s) and a termination grace of 100 ms: whatever runs at scale-in dies.
    let mut s = scale_in(SessionStore::Jwt);
    s.instances.service_time = Dist::Constant { value: secs(2) };
    s.instances.workers = 64;
    s.instances.termination_grace = ms(100);
    s.workload.timeout = secs(10);
    let short = simulate(&s);
    assert_balanced(&short);
    assert!(
        short.requests.failed.killed > 10,
        "{:?}",
        short.requests.failed
    );
    // A grace longer than the work lets the drain finish: nothing is killed.
    s.instances.termination_grace = secs(30);
    let long = simulate(&s);
    assert_balanced(&long);
    assert_eq!(long.requests.failed.killed, 0);
}

#[test]
fn a_crashed_instance_is_replaced_and_rejoins_after_boot_and_health_checks() {
    let mut s = interactive(SessionStore::Jwt, Affinity::Cookie);
    s.instances.boot_time = secs(30);
    s.report.window = secs(10);
    let r = simulate(&s);
    assert_balanced(&r);
    assert_eq!(r.fleet.launched, 5, "four initial + one replacement");
    assert_eq!(r.balance.requests_per_instance.len(), 5);
    let ready = |t: f64| {
        r.timeseries
            .iter()
            .find(|w| w.t_s == t)
            .map(|w| w.instances_ready)
            .unwrap()
    };
    // The victim (crashed at 600 s) is out of rotation by 610 s. Its replacement is launched
    // then, boots by 640 s and passes 2 checks 5 s apart by 650 s: at the end of the window
    // [620, 630) the fleet is 3, at the end of [660, 670) it is 4 again.
    assert_eq!(ready(620.0), 3);
    assert_eq!(ready(660.0), 4);
    // Without replacement the fleet stays at three.
    s.instances.replace = false;
    let r = simulate(&s);
    assert_eq!(r.fleet.launched, 4);
    assert_eq!(r.timeseries.last().unwrap().instances_ready, 3);
}

#[test]
fn warming_instances_serve_slower() {
    // Scale 4 → 8 with a 5× slowdown for 60 s: latency in the windows right after the new
    // instances join is higher than before, and back to normal after the warm-up.
    let mut s = interactive(SessionStore::Jwt, Affinity::None);
    s.events = vec![ScheduledEvent {
        group: None,
        at: at(300),
        action: Action::Scale { to: 8 },
    }];
    s.instances.boot_time = secs(10);
    s.instances.warmup = Warmup {
        duration: secs(60),
        slowdown: 5.0,
    };
    let r = simulate(&s);
    assert_balanced(&r);
    // 60 s windows. The new instances join by ≈ 325 s (boot 10 s + 2 checks of 5 s) and are
    // warm from ≈ 370 s: the window [300, 360) has them slow, [480, 540) does not.
    let p99 = |t: f64| r.timeseries.iter().find(|w| w.t_s == t).unwrap().p99_ms;
    assert!(
        p99(300.0) > 2.0 * p99(180.0),
        "{} vs {}",
        p99(300.0),
        p99(180.0)
    );
    assert!(
        p99(480.0) < 1.5 * p99(180.0),
        "{} vs {}",
        p99(480.0),
        p99(180.0)
    );
}

// ----- fleet dynamics ------------------------------------------------------------------------

fn autoscaled(metric: ScalingMetric, target: f64) -> Scenario {
    let mut s = interactive(SessionStore::Jwt, Affinity::None);
    s.events.clear();
    s.instances.boot_time = secs(30);
    s.autoscaler = Some(AutoscalerConfig {
        metric,
        target,
        min: 2,
        max: 40,
        interval: secs(15),
        tolerance: 0.1,
        scale_up: ScalingBehavior {
            stabilization: SimDuration::ZERO,
            cooldown: SimDuration::ZERO,
            max_step: 4,
        },
        scale_down: ScalingBehavior {
            stabilization: secs(300),
            cooldown: SimDuration::ZERO,
            max_step: 1,
        },
        instance_warmup: secs(30),
        scale_in_pick: ScaleInPick::Newest,
        group: None,
    });
    s
}

#[test]
fn the_autoscaler_holds_cpu_near_its_target_after_a_step_in_load() {
    // 20 sessions/s of 20 requests 3 s apart ≈ 20 × 20 / (20 × 3.02 s) ... in steady state the
    // offered work is λ_req × 20 ms. Quadrupling the session rate at 300 s quadruples it; the
    // autoscaler must end near ceil(work / (8 workers × 0.5)) instances, with utilization
    // near 0.5 in the last windows.
    let mut s = autoscaled(ScalingMetric::Cpu, 0.5);
    s.workload.arrivals = RateProfile::Steps(vec![
        RatePoint {
            at: SimTime::ZERO,
            rate: 20.0,
            ramp: SimDuration::ZERO,
        },
        RatePoint {
            at: at(300),
            rate: 80.0,
            ramp: SimDuration::ZERO,
        },
    ]);
    let r = simulate(&s);
    assert_balanced(&r);
    assert!(r.fleet.scale_actions >= 2, "{:?}", r.fleet);
    assert!(r.fleet.launched_by.scale_out >= 4, "{:?}", r.fleet);
    let last: Vec<_> = r.timeseries.iter().rev().take(10).collect();
    let util = last.iter().map(|w| w.utilization).sum::<f64>() / last.len() as f64;
    assert!((0.35..=0.6).contains(&util), "utilization {util}");
    // Desired is what the series reports, and ready catches up with it.
    let w = last[0];
    assert_eq!(w.instances_desired, w.instances_ready, "{w:?}");
}

#[test]
fn rps_and_concurrency_metrics_size_the_fleet_by_littles_law() {
    // Offered ≈ 20 sessions/s × 20 requests / (20 × 3 s think) ... measure it from the run:
    // the final fleet must be within one instance of ceil(rps / target).
    let s = autoscaled(ScalingMetric::Rps, 20.0);
    let r = simulate(&s);
    assert_balanced(&r);
    let tail = &r.timeseries[r.timeseries.len() - 8..];
    let rps = tail.iter().map(|w| w.sent as f64).sum::<f64>() / (tail.len() as f64 * 60.0);
    let expected = (rps / 20.0).ceil();
    let size = f64::from(tail.last().unwrap().instances_desired);
    assert!(
        (size - expected).abs() <= 1.0 || size == 2.0 && expected <= 2.0,
        "{size} instances for {rps:.1} req/s"
    );
}

#[test]
fn a_rolling_deploy_replaces_every_instance_within_its_surge_and_availability() {
    let mut s = interactive(SessionStore::InMemory, Affinity::Cookie);
    s.instances.boot_time = secs(20);
    s.report.window = secs(5);
    s.events = vec![ScheduledEvent {
        group: None,
        at: at(300),
        action: Action::RollingDeploy {
            max_surge: 1,
            max_unavailable: 0,
        },
    }];
    let r = simulate(&s);
    assert_balanced(&r);
    assert_eq!(r.fleet.launched_by.deploy, 4);
    assert_eq!(r.fleet.terminated_by.deploy, 4);
    assert_eq!(r.fleet.r#final, 4);
    // Never more than desired + surge live, never fewer than desired ready after the start.
    for w in r.timeseries.iter().filter(|w| w.t_s >= 5.0) {
        assert!(w.instances_ready >= 4, "{w:?}");
        assert!(w.instances_ready + w.instances_booting <= 5, "{w:?}");
    }
    // Sticky in-memory users lose their sessions to the deploy, and nobody hits a dead one.
    assert!(r.sessions.lost_by_cause.deploy > 100, "{:?}", r.sessions);
    assert_eq!(r.requests.failed.instance_down, 0);
    assert!(r
        .timeline
        .iter()
        .any(|e| e.event == TimelineEvent::DeployFinished));
}

#[test]
fn a_deploy_with_max_unavailable_drains_before_it_launches() {
    let mut s = interactive(SessionStore::Redis, Affinity::None);
    s.instances.boot_time = secs(20);
    s.report.window = secs(5);
    s.events = vec![ScheduledEvent {
        group: None,
        at: at(300),
        action: Action::RollingDeploy {
            max_surge: 0,
            max_unavailable: 2,
        },
    }];
    let r = simulate(&s);
    assert_balanced(&r);
    assert_eq!(r.fleet.launched_by.deploy, 4);
    assert_eq!(r.sessions.lost, 0);
    let during: Vec<_> = r.timeseries.iter().filter(|w| w.t_s >= 300.0).collect();
    assert!(during.iter().all(|w| w.instances_ready >= 2));
    assert!(during.iter().any(|w| w.instances_ready == 2));
    assert!(during
        .iter()
        .all(|w| w.instances_ready + w.instances_booting <= 4));
}

#[test]
fn a_balancer_failure_without_standby_is_a_total_outage() {
    let mut s = interactive(SessionStore::Jwt, Affinity::None);
    s.events = vec![ScheduledEvent {
        group: None,
        at: at(600),
        action: Action::LbFailure,
    }];
    let r = simulate(&s);
    assert_balanced(&r);
    let after: Vec<_> = r.timeseries.iter().filter(|w| w.t_s >= 600.0).collect();
    assert!(after.iter().all(|w| w.succeeded == 0), "{after:?}");
    let total_outage = r.requests.failed.balancer_down;
    assert!(total_outage > 10_000);
    // With a standby, 10 s of failures and then business as usual.
    s.balancer.standby = Some(Standby { failover: secs(10) });
    let r = simulate(&s);
    assert_balanced(&r);
    assert!(r
        .timeseries
        .iter()
        .filter(|w| w.t_s >= 660.0)
        .all(|w| w.succeeded > 0));
    let blip = r.requests.failed.balancer_down;
    assert!(blip > 0);
    // 10 s of failures against 600 s of them.
    assert!(blip * 20 < total_outage, "{blip} vs {total_outage}");
}

#[test]
fn random_crashes_follow_the_mtbf() {
    // 4 instances for 1200 s with an MTBF of 1200 s: about 4 crashes expected (each replaced
    // instance is exposed again); the count is Poisson-like, so accept a wide band.
    let mut s = interactive(SessionStore::Jwt, Affinity::None);
    s.events.clear();
    s.mtbf = Some(Mtbf {
        from: SimTime::ZERO,
        mean: secs(1200),
    });
    let r = simulate(&s);
    assert_balanced(&r);
    assert!((1..=10).contains(&r.fleet.crashed), "{:?}", r.fleet);
    assert_eq!(
        r.fleet.launched_by.replacement,
        r.fleet.crashed.min(r.fleet.launched_by.replacement)
    );
    // Same seed, same crashes.
    assert_eq!(simulate(&s).fleet, r.fleet);
}

#[test]
fn revoked_tokens_stay_usable_until_they_expire_but_store_sessions_do_not() {
    let mut s = interactive(SessionStore::Jwt, Affinity::None);
    s.workload.session.requests = CountDist::Geometric { mean: 200.0 };
    s.sessions.token_ttl = secs(300);
    s.events = vec![ScheduledEvent {
        group: None,
        at: at(600),
        action: Action::Revoke { sessions: 50 },
    }];
    let jwt = simulate(&s);
    assert_balanced(&jwt);
    assert_eq!(jwt.revocation.revoked, 50);
    assert!(jwt.revocation.exposure_seconds <= 300.0);
    assert!(jwt.revocation.exposure_seconds > 0.0);
    assert!(jwt.revocation.requests_after_revoke > 50);
    s.sessions.store = SessionStore::Redis;
    let redis = simulate(&s);
    assert_eq!(redis.revocation.revoked, 50);
    assert_eq!(redis.revocation.exposure_seconds, 0.0);
    assert_eq!(redis.revocation.requests_after_revoke, 0);
}

#[test]
fn a_redis_outage_fails_requests_and_data_loss_logs_users_out() {
    let mut s = interactive(SessionStore::Redis, Affinity::None);
    s.events = vec![ScheduledEvent {
        group: None,
        at: at(600),
        action: Action::RedisOutage {
            duration: secs(30),
            data_loss: false,
        },
    }];
    let kept = simulate(&s);
    assert_balanced(&kept);
    assert!(kept.requests.failed.store_unavailable > 100);
    assert_eq!(kept.sessions.lost, 0);
    s.events[0].action = Action::RedisOutage {
        duration: secs(30),
        data_loss: true,
    };
    let wiped = simulate(&s);
    assert_balanced(&wiped);
    assert!(
        wiped.sessions.lost_by_cause.store_failure > 100,
        "{:?}",
        wiped.sessions
    );
    assert_eq!(
        wiped.sessions.lost,
        wiped.sessions.lost_by_cause.store_failure
    );
}

#[test]
fn a_slow_instance_hurts_round_robin_more_than_least_connections() {
    let mut s = interactive(SessionStore::Jwt, Affinity::None);
    s.workload.timeout = secs(1);
    s.workload.retries = 0;
    s.events = vec![ScheduledEvent {
        group: None,
        at: at(300),
        action: Action::SlowInstance {
            factor: 20.0,
            duration: secs(600),
            pick: Pick::Index(0),
        },
    }];
    let rr = simulate(&s);
    assert_balanced(&rr);
    s.balancer.algorithm = Algorithm::LeastConnections;
    let lc = simulate(&s);
    assert_balanced(&lc);
    // Round-robin keeps sending the slow instance a quarter of the traffic, far more than it
    // can serve: those requests time out. Least-connections sees its connections pile up.
    let (rr_failed, lc_failed) = (rr.requests.failed.timeout, lc.requests.failed.timeout);
    assert!(
        rr_failed > 10 * lc_failed.max(1),
        "{rr_failed} vs {lc_failed}"
    );
    assert!(
        rr_failed * 10 > rr.requests.sent,
        "{rr_failed} of {}",
        rr.requests.sent
    );
}

#[test]
fn a_per_instance_rate_limit_lets_users_exceed_their_limit() {
    // Users send a request every 100 ms (10/s) against a 5/s limit.
    let mut s = interactive(SessionStore::Jwt, Affinity::None);
    s.events.clear();
    s.workload.arrivals = RateProfile::Constant(2.0);
    s.workload.session.think_time = Dist::Constant { value: ms(100) };
    s.rate_limit = Some(RateLimitConfig {
        per_user_per_s: 5.0,
        scope: LimitScope::Shared,
    });
    let shared = simulate(&s);
    assert_balanced(&shared);
    assert!(shared.requests.failed.rejected_by_rate_limit > 1000);
    s.rate_limit = Some(RateLimitConfig {
        per_user_per_s: 5.0,
        scope: LimitScope::Instance,
    });
    let local = simulate(&s);
    assert_balanced(&local);
    // Spread over four instances, each sees 2.5/s per user: nothing is rejected, and what a
    // fleet-wide limit would have stopped leaks through.
    assert!(
        local.requests.failed.rejected_by_rate_limit
            < shared.requests.failed.rejected_by_rate_limit / 10
    );
    let leaked = local.rate_limit.as_ref().unwrap().admitted_over_user_limit;
    assert!(leaked > 1000, "{leaked}");
}

#[test]
fn a_local_cache_loses_hits_as_requests_spread_unless_sticky_or_shared() {
    let mut s = interactive(SessionStore::Jwt, Affinity::None);
    s.events.clear();
    s.local_cache = Some(LocalCacheConfig {
        hit_ratio_one_instance: 0.9,
        miss_penalty: ms(30),
        shared: false,
    });
    let spread = simulate(&s);
    let ratio = |r: &Report| r.cache.as_ref().unwrap().hit_ratio;
    // Round-robin over 4 instances: the previous request was on the same instance 1/4 of the
    // time, so the hit ratio is ≈ 0.9 / 4 = 0.225.
    assert!((ratio(&spread) - 0.225).abs() < 0.03, "{}", ratio(&spread));
    s.balancer.affinity = Affinity::Cookie;
    let sticky = simulate(&s);
    assert!((ratio(&sticky) - 0.9).abs() < 0.02, "{}", ratio(&sticky));
    s.balancer.affinity = Affinity::None;
    s.local_cache.as_mut().unwrap().shared = true;
    let shared = simulate(&s);
    assert!((ratio(&shared) - 0.9).abs() < 0.02, "{}", ratio(&shared));
    assert!(spread.latency_ms.mean > shared.latency_ms.mean);
}

#[test]
fn a_database_past_its_connections_caps_throughput() {
    // 2 queries of 10 ms on 4 connections: at most 4 / 0.02 = 200 requests/s. Offered 300/s;
    // without instance queues at most 64 requests are inside, so the database's backlog stays
    // bounded (64 × 2 × 10 ms / 4 = 320 ms) and nothing times out.
    let mut s = open_system(8, 8, 300.0, 1, 600);
    s.workload.timeout = secs(10);
    s.instances.queue = 0;
    s.database = Some(DatabaseConfig {
        max_connections: 4,
        pool_per_instance: 4,
        queries_per_request: 2,
        query_time: Dist::Constant { value: ms(10) },
    });
    let r = simulate(&s);
    assert_balanced(&r);
    let throughput = r.requests.succeeded as f64 / r.simulated_seconds;
    assert!(throughput < 205.0, "{throughput}");
    assert!(throughput > 150.0, "{throughput}");
}

#[test]
fn an_instance_that_crashes_before_joining_rotation_is_replaced_too() {
    // Scale 4 → 6 at 300 s; the new instances are up at 310 s and need two passed checks 5 s
    // apart to join, so instance 4 crashing at 311 s has never been in rotation. Its failed
    // checks still reveal it, and the platform replaces it.
    let mut s = interactive(SessionStore::Jwt, Affinity::None);
    s.instances.boot_time = secs(10);
    s.events = vec![
        ScheduledEvent {
            group: None,
            at: at(300),
            action: Action::Scale { to: 6 },
        },
        ScheduledEvent {
            group: None,
            at: at(311),
            action: Action::Crash {
                count: 1,
                pick: Pick::Index(4),
            },
        },
    ];
    let r = simulate(&s);
    assert_balanced(&r);
    assert_eq!(r.fleet.crashed, 1);
    assert_eq!(r.fleet.launched_by.replacement, 1, "{:?}", r.fleet);
    assert_eq!(r.fleet.r#final, 6);
    assert_eq!(r.timeseries.last().unwrap().instances_ready, 6);
}

#[test]
fn a_health_check_interval_of_thousands_of_hours_staggers_without_overflow() {
    // The stagger is up to 999/1000 of the interval; instance 1 staggers by 769/1000, and
    // 769 × 8000 h in nanoseconds exceeds 2⁶⁴.
    let mut s = open_system(4, 2, 10.0, 10, 60);
    s.warmup = SimDuration::ZERO;
    s.balancer.health_check.interval = secs(8000 * 3600);
    let r = simulate(&s);
    assert_balanced(&r);
    assert!(r.requests.sent > 0);
}

#[test]
fn a_crash_of_many_picks_that_many_distinct_live_instances() {
    // 20 busy instances (ρ = 0.9 on 2 workers each: queues of every length), crashed 7 at a
    // time by load, then at random, then 30 oldest: more than are live then, so every live
    // one goes, in launch order. Debug builds also check each event's victims against picking
    // them one by one with a pass over the fleet each.
    let mut s = open_system(20, 2, 360.0, 100, 300);
    s.instances.boot_time = secs(100);
    let crash = |at: u64, count: u32, pick: Pick| ScheduledEvent {
        group: None,
        at: SimTime::ZERO + secs(at),
        action: Action::Crash { count, pick },
    };
    s.events = vec![
        crash(60, 7, Pick::Busiest),
        crash(90, 7, Pick::Random),
        crash(120, 30, Pick::Oldest),
    ];
    let r = simulate(&s);
    assert_balanced(&r);
    let victims: Vec<&Vec<u32>> = r
        .timeline
        .iter()
        .filter_map(|e| match &e.event {
            TimelineEvent::Crash { instances } => Some(instances),
            _ => None,
        })
        .collect();
    assert_eq!(victims.len(), 3);
    let distinct = |v: &[u32]| v.iter().collect::<std::collections::BTreeSet<_>>().len();
    assert_eq!((victims[0].len(), distinct(victims[0])), (7, 7));
    assert_eq!((victims[1].len(), distinct(victims[1])), (7, 7));
    assert!(victims[1].iter().all(|v| !victims[0].contains(v)));
    // At 120 s the 6 survivors of the first 20 are live; the 14 replacements, launched once
    // health checks noticed the crashes (about 10 s after each), boot for 100 s and are not.
    let third = victims[2];
    assert_eq!(third.len(), 6, "{third:?}");
    assert!(third.windows(2).all(|w| w[0] < w[1]), "{third:?}");
    assert!(third.iter().all(|&v| v < 20 && !victims[0].contains(&v)));
}
