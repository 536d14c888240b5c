//! Property tests over generated scenarios: whatever mix of stores, balancers, faults, timeouts,
//! retries, saturation and long-lived connections a scenario asks for, every request the clients
//! send, every connection attempt and every (message, room member) pair is accounted for exactly
//! once, and the run's estimate never misses the real work by more than a small factor.
//!
//! Scenarios are generated as YAML text and go through the same parser and validation as a
//! user's file, so the generator cannot build a scenario users could not write.

use std::fmt::Write;

use proptest::prelude::*;
use proptest::sample::select;

use super::sim::PROGRESS_EVERY;
use super::{estimate, simulate, simulate_with_progress};
use crate::scenario::parse_str;

/// Cases per property: `default` in `cargo test`, or `PROPTEST_CASES` for a longer campaign
/// (`scripts/fuzz.sh`).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// One generated event, as a YAML flow mapping (without its time); scale targets come from
/// `scale`, within the autoscaler's bounds.
fn event(redis: bool, scale: std::ops::RangeInclusive<u32>) -> BoxedStrategy<String> {
    let mut kinds: Vec<BoxedStrategy<String>> = vec![
        (1u32..6, select(vec!["random", "busiest", "oldest"]))
            .prop_map(|(count, pick)| format!("action: crash, count: {count}, pick: {pick}"))
            .boxed(),
        Just("action: crash, pick: index, index: 0".to_owned()).boxed(),
        scale
            .prop_map(|to| format!("action: scale, to: {to}"))
            .boxed(),
        (0u32..3, 0u32..2)
            .prop_map(|(surge, unavailable)| {
                let surge = if surge == 0 && unavailable == 0 {
                    1
                } else {
                    surge
                };
                format!(
                    "action: rolling-deploy, max_surge: {surge}, max_unavailable: {unavailable}"
                )
            })
            .boxed(),
        (
            2u32..20,
            1u64..30,
            select(vec!["random", "busiest", "oldest"]),
        )
            .prop_map(|(factor, secs, pick)| {
                format!("action: slow-instance, factor: {factor}, duration: {secs}s, pick: {pick}")
            })
            .boxed(),
        Just("action: lb-failure".to_owned()).boxed(),
        (1u32..50)
            .prop_map(|n| format!("action: revoke, sessions: {n}"))
            .boxed(),
    ];
    if redis {
        kinds.push(
            (1u64..30, any::<bool>())
                .prop_map(|(secs, loss)| {
                    format!("action: redis-outage, duration: {secs}s, data_loss: {loss}")
                })
                .boxed(),
        );
        kinds.push(
            (2u32..50, 1u64..30)
                .prop_map(|(factor, secs)| {
                    format!("action: redis-slowdown, factor: {factor}, duration: {secs}s")
                })
                .boxed(),
        );
    }
    proptest::strategy::Union::new(kinds).boxed()
}

/// A whole scenario as YAML text.
fn scenario() -> impl Strategy<Value = String> {
    let shape = (
        select(vec!["in-memory", "redis", "jwt"]),
        select(vec![
            "round-robin",
            "random",
            "least-connections",
            "power-of-two",
            "consistent-hash",
            "ip-hash",
            "weighted-round-robin",
            "weighted-least-connections",
        ]),
        select(vec!["none", "cookie", "source-ip"]),
        1u32..5,                           // instances
        1u32..4,                           // workers
        0u32..6,                           // queue
        1u64..120,                         // service mean, ms
        1u32..40,                          // sessions per second
        1u64..6,                           // requests per session (geometric mean)
        (50u64..3000, 0u32..4, 0u64..300), // timeout ms, retries, backoff ms
    );
    let extras = (
        prop::option::of((1u64..15, any::<bool>())), // standby failover s; redis max_ops tight
        prop::option::of(10u32..200),                // redis max_ops
        prop::option::of((1u32..8, 1u32..3, 1u64..20)), // database: max_connections, pool, query ms
        prop::option::of((1u32..4, 0u32..5).prop_map(|(min, more)| (min, min + more))), // autoscaler min, max
        prop::option::of(30u64..120),                                                   // mtbf s
        any::<bool>(), // replace crashed instances
        0u64..60,      // warmup s
        60u64..150,    // duration s
    );
    // Sometimes a second group beside the first (`a`, of `count` and `workers`): its count,
    // workers, speed, weight, and whether fleet-wide deploys and crashes name a group.
    let second = prop::option::of((
        1u32..4,
        1u32..5,
        select(vec!["0.5", "1", "3"]),
        prop::option::of(1u32..10),
        any::<bool>(),
    ));
    (
        shape,
        extras,
        any::<u64>(),
        prop::option::of(links()),
        any::<bool>(),
        (prop::option::of(jobs()), prop::option::of(files())),
        second,
    )
        .prop_flat_map(|(shape, extras, seed, links, no_workload, work, second)| {
            let pubsub = links.as_ref().is_some_and(|l| l.contains("pubsub"));
            let redis_jobs = work.0.as_ref().is_some_and(|j| j.contains("queue: redis"));
            let redis = shape.0 == "redis" || pubsub || redis_jobs;
            let scale_max = extras.3.map_or(8, |(_, max)| max);
            let scale_min = extras.3.map_or(1, |(min, _)| min);
            let duration = extras.7;
            let events =
                prop::collection::vec((0..duration, event(redis, scale_min..=scale_max)), 0..6);
            (Just((shape, extras, seed, links, work, second)), events).prop_map(
                move |((shape, extras, seed, links, work, second), events)| {
                    let (
                        store,
                        algorithm,
                        affinity,
                        count,
                        workers,
                        queue,
                        service,
                        rate,
                        requests,
                        t,
                    ) = shape;
                    let (standby, max_ops, database, autoscaler, mtbf, replace, warmup, duration) =
                        extras;
                    let (timeout, retries, backoff) = t;
                    let count = match autoscaler {
                        Some((min, max)) => count.clamp(min, max),
                        None => count,
                    };
                    let mut y = String::new();
                    let _ = writeln!(y, "name: generated\nseed: {seed}\nduration: {duration}s");
                    let _ = writeln!(y, "warmup: {}s", warmup.min(duration / 2));
                    if let Some(block) = &links {
                        y.push_str(block);
                    }
                    if links.is_none() || !no_workload {
                        let _ = writeln!(
                y,
                "workload:\n  arrivals: {{ rate: {rate} }}\n  session:\n    requests: {{ dist: \
                 geometric, mean: {requests} }}\n    think_time: {{ dist: exponential, mean: \
                 500ms }}\n  timeout: {timeout}ms\n  retries: {retries}\n  retry_backoff: \
                 {backoff}ms"
            );
                    }
                    let _ = writeln!(
                y,
                "balancer:\n  algorithm: {algorithm}\n  affinity: {affinity}\n  hop_latency: \
                 1ms\n  health_check: {{ interval: 2s, unhealthy_threshold: 2, \
                 healthy_threshold: 1 }}\n  deregistration_delay: 5s"
            );
                    if let Some((failover, _)) = standby {
                        let _ = writeln!(y, "  standby: {{ failover: {failover}s }}");
                    }
                    let size = match second {
                        None => format!("count: {count}\n  workers: {workers}"),
                        Some((n, w, speed, weight, _)) => {
                            let weight =
                                weight.map(|x| format!(", weight: {x}")).unwrap_or_default();
                            format!(
                                "groups:\n    - {{ name: a, count: {count}, workers: {workers}, \
                                 cost_per_hour: 0.3 }}\n    - {{ name: b, count: {n}, workers: \
                                 {w}, speed: {speed}{weight} }}"
                            )
                        }
                    };
                    let _ = writeln!(
                        y,
                        "instances:\n  {size}\n  queue: {queue}\n  \
                 service_time: {{ dist: exponential, mean: {service}ms }}\n  boot_time: 3s\n  \
                 warmup: {{ duration: 5s, slowdown: 2 }}\n  replace: {replace}\n  \
                 termination_grace: 4s"
                    );
                    let _ = writeln!(y, "sessions:\n  store: {store}");
                    let (jobs, files) = &work;
                    for block in [jobs, files].into_iter().flatten() {
                        y.push_str(block);
                    }
                    if let Some(ops) = max_ops {
                        let _ = writeln!(y, "redis:\n  max_ops: {ops}");
                    }
                    if let Some((max, pool, query)) = database {
                        let _ = writeln!(
                            y,
                            "database:\n  max_connections: {max}\n  pool_per_instance: {pool}\n  \
                     query_time: {{ dist: exponential, mean: {query}ms }}"
                        );
                    }
                    if let Some((min, max)) = autoscaler {
                        let _ = writeln!(
                    y,
                    "autoscaler:\n  metric: cpu\n  target: 0.5\n  min: {min}\n  max: {max}\n  \
                     interval: 5s"
                );
                        if second.is_some() {
                            y.push_str("  group: a\n");
                        }
                    }
                    // With groups, a scale names the autoscaled group `a`; deploys and crashes
                    // sometimes name `b` (index 0 is `a`'s, so an index pick keeps no group).
                    let group = |e: &str| match second {
                        None => "",
                        Some(_) if e.starts_with("action: scale") => ", group: a",
                        Some((.., true))
                            if e.starts_with("action: rolling-deploy")
                                || e.starts_with("action: crash, count") =>
                        {
                            ", group: b"
                        }
                        Some(_) => "",
                    };
                    let mut lines: Vec<String> = events
                        .iter()
                        .map(|(at, e)| format!("  - {{ at: {at}s, {e}{} }}", group(e)))
                        .collect();
                    if let Some(m) = mtbf {
                        lines.push(format!("  - {{ action: crash, mtbf: {m}s }}"));
                    }
                    if !lines.is_empty() {
                        y.push_str("events:\n");
                        for l in lines {
                            y.push_str(&l);
                            y.push('\n');
                        }
                    }
                    y
                },
            )
        })
}

/// A `jobs` block: either trigger, short and long jobs, both queues, short visibility timeouts
/// (so that redeliveries happen within the run).
fn jobs() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            select(vec![0.0, 0.1, 0.5, 1.0]).prop_map(|p| format!("per_request: {p}")),
            (1u32..5).prop_map(|k| format!("every: {k}")),
        ],
        1u64..3000, // service mean, ms
        1u32..4,    // workers
        select(vec!["in-process", "redis"]),
        1u64..20, // visibility timeout, s
    )
        .prop_map(|(trigger, service, workers, queue, visibility)| {
            format!(
                "jobs:\n  {trigger}\n  service_time: {{ dist: exponential, mean: {service}ms }}\n  \
                 workers: {workers}\n  queue: {queue}\n  visibility_timeout: {visibility}s\n"
            )
        })
}

/// A `files` block: no, some or every session uploading, to local disk or a shared store.
fn files() -> impl Strategy<Value = String> {
    (
        select(vec![0.0, 0.3, 1.0]),
        1u32..6, // reads, geometric mean
        select(vec!["local", "shared"]),
        0u64..30, // shared latency, ms
    )
        .prop_map(|(uploads, reads, store, latency)| {
            format!(
                "files:\n  uploads: {uploads}\n  reads: {{ dist: geometric, mean: {reads} }}\n  \
                 store: {store}\n  shared_latency: {{ dist: constant, value: {latency}ms }}\n"
            )
        })
}

/// A `connections` block: users, rooms, messages, every delivery and reconnect policy, limits,
/// ages and drain spreads, sized so that runs stay small.
fn links() -> impl Strategy<Value = String> {
    (
        (1u32..30, 2u64..60, 1u64..20, 100u64..3000), // users/s, lifetime s, handshake ms, timeout ms
        (select(vec![0.0, 0.2, 1.0, 3.0]), 1u32..20, 1u32..4), // messages/s, rooms, room size
        select(vec!["local", "redis-pubsub", "sharded-pubsub"]),
        prop::option::of(1u32..40), // max_per_instance
        (
            select(vec![
                "immediate",
                "fixed",
                "exponential",
                "exponential-jitter",
            ]),
            1u64..500, // base ms
            0u64..3,   // cap = base × 2^this
        ),
        prop::option::of(3u64..40), // max_age s
        0u64..10,                   // close_over s
    )
        .prop_map(
            |(users, (messages, rooms, size), delivery, limit, reconnect, age, close)| {
                let (rate, lifetime, handshake, timeout) = users;
                let (policy, base, cap) = reconnect;
                let mut y = String::new();
                let _ = writeln!(
                    y,
                    "connections:\n  arrivals: {{ rate: {rate} }}\n  lifetime: {{ dist: \
                     exponential, mean: {lifetime}s }}\n  handshake: {{ dist: exponential, \
                     mean: {handshake}ms }}\n  timeout: {timeout}ms\n  messages: {{ rate: \
                     {messages} }}\n  rooms: {{ count: {rooms}, size: {{ dist: geometric, \
                     mean: {size} }} }}\n  delivery: {delivery}\n  reconnect: {{ policy: \
                     {policy}, base: {base}ms, cap: {}ms }}\n  drain: {{ close_over: \
                     {close}s }}",
                    base << cap
                );
                if let Some(limit) = limit {
                    let _ = writeln!(y, "  max_per_instance: {limit}");
                }
                if let Some(age) = age {
                    let _ = writeln!(y, "  max_age: {age}s");
                }
                y
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(96)))]

    #[test]
    fn every_request_is_accounted_for_once_in_any_scenario(yaml in scenario()) {
        let s = parse_str("generated.yaml", &yaml, &[])
            .unwrap_or_else(|e| panic!("the generator wrote an invalid scenario: {e}\n{yaml}"));
        // Runs estimated beyond a few seconds of work are left to the budget check (and to
        // `scripts/fuzz.sh`): the estimate is compared with what runs below.
        let e = estimate(&s);
        prop_assume!(e.events <= 3e7);
        // A run far beyond its estimate fails as soon as it passes four times the estimate
        // (checked every `PROGRESS_EVERY` events) rather than running on for minutes.
        let mut ran = 0u64;
        let r = simulate_with_progress(&s, &mut |_| {
            ran += PROGRESS_EVERY;
            assert!(
                e.events * 4.0 >= ran as f64,
                "estimated {:.3e} events, ran past {ran}\n{yaml}",
                e.events
            );
        });
        let q = &r.requests;
        prop_assert!(
            q.is_balanced(),
            "sent {} ≠ succeeded {} + failed {} + in flight {}\n{yaml}",
            q.sent, q.succeeded, q.failed.total(), q.in_flight_at_end
        );
        prop_assert_eq!(r.connections.is_some(), s.connections.is_some());
        prop_assert_eq!(r.groups.is_some(), !s.instances.groups.is_empty());
        if let Some(groups) = &r.groups {
            // The groups split the fleet's figures exactly (instance-seconds up to rounding).
            let routed: u64 = r.balance.requests_per_instance.iter().sum();
            prop_assert_eq!(groups.iter().map(|g| g.requests).sum::<u64>(), routed);
            prop_assert_eq!(
                groups.iter().map(|g| g.queue_full).sum::<u64>(),
                q.failed.queue_full
            );
            prop_assert_eq!(groups.iter().map(|g| g.launched).sum::<u64>(), r.fleet.launched);
            let seconds: f64 = groups.iter().map(|g| g.instance_seconds).sum();
            prop_assert!(
                (seconds - r.fleet.instance_seconds).abs() <= 1e-6 * seconds.max(1.0),
                "groups {seconds} s ≠ fleet {} s\n{yaml}", r.fleet.instance_seconds
            );
            for g in groups {
                prop_assert!((0.0..=1.0 + 1e-9).contains(&g.utilization), "{g:?}\n{yaml}");
            }
        }
        if let (Some(c), Some(m)) = (&r.connections, &r.messages) {
            prop_assert_eq!(
                c.attempts,
                c.opened + c.refused.total() + c.in_flight_at_end,
                "attempts: {:?}\n{}", c, yaml
            );
            prop_assert_eq!(
                m.recipients,
                m.delivered + m.undelivered.total() + m.in_flight_at_end,
                "recipients: {:?}\n{}", m, yaml
            );
        }
        prop_assert_eq!(r.jobs.is_some(), s.jobs.is_some());
        prop_assert_eq!(r.files.is_some(), s.files.is_some());
        if let Some(j) = &r.jobs {
            prop_assert!(j.is_balanced(), "jobs: {:?}\n{}", j, yaml);
        }
        if let Some(f) = &r.files {
            prop_assert!(f.is_balanced(), "files: {:?}\n{}", f, yaml);
            prop_assert_eq!(f.failed_reads.total(), q.failed.file_not_found, "{}", yaml);
        }
        // The estimate's work is an upper estimate: it never falls far below what ran.
        prop_assert!(
            e.events * 4.0 >= r.engine.events as f64,
            "estimated {:.3e} events, ran {}\n{yaml}", e.events, r.engine.events
        );
    }
}

/// Fields `--set` can reach, in every section of a scenario, each with values of its type.
const FIELDS: [(&str, &[&str]); 54] = [
    ("seed", &["0", "7", "18446744073709551615"]),
    ("duration", &["1m", "3m", "1s", "1ns"]),
    ("warmup", &["0s", "30s", "2m"]),
    ("report.window", &["1s", "10s", "1m"]),
    ("report.slo", &["100ms", "1ms", "~"]),
    ("workload.arrivals.rate", &["0", "5", "40", "0.01"]),
    (
        "workload.arrivals.diurnal",
        &[
            "{period: 1m, min: 1, max: 30}",
            "{period: 1ns, min: 0, max: 5}",
        ],
    ),
    (
        "workload.arrivals.spike",
        &[
            "{at: 10s, duration: 20s, multiplier: 4}",
            "{at: 0s, duration: 1s, multiplier: 0}",
        ],
    ),
    (
        "workload.session.requests",
        &[
            "{dist: geometric, mean: 4}",
            "{dist: constant, value: 1}",
            "{dist: uniform, min: 1, max: 30}",
        ],
    ),
    (
        "workload.session.think_time",
        &[
            "{dist: exponential, mean: 1s}",
            "{dist: constant, value: 0s}",
        ],
    ),
    ("workload.client_ips", &["1", "3", "100000"]),
    ("workload.timeout", &["50ms", "2s", "1ns"]),
    ("workload.retries", &["0", "3", "30"]),
    ("workload.retry_backoff", &["0s", "10ms", "1s"]),
    (
        "balancer.algorithm",
        &[
            "round-robin",
            "random",
            "least-connections",
            "power-of-two",
            "consistent-hash",
            "ip-hash",
        ],
    ),
    ("balancer.affinity", &["none", "cookie", "source-ip"]),
    ("balancer.hop_latency", &["0s", "1ms", "1s"]),
    ("balancer.health_check.interval", &["1s", "5s", "1m"]),
    ("balancer.health_check.unhealthy_threshold", &["1", "3"]),
    ("balancer.deregistration_delay", &["0s", "5s", "1m"]),
    ("balancer.standby", &["{failover: 5s}", "~"]),
    ("instances.count", &["1", "2", "12"]),
    ("instances.workers", &["1", "4", "64"]),
    ("instances.queue", &["0", "2", "1000000"]),
    (
        "instances.service_time",
        &[
            "{dist: exponential, mean: 30ms}",
            "{dist: lognormal, mean: 20ms, p99: 200ms}",
            "{dist: constant, value: 0s}",
        ],
    ),
    ("instances.boot_time", &["0s", "10s"]),
    (
        "instances.warmup",
        &[
            "{duration: 30s, slowdown: 3}",
            "{duration: 0s, slowdown: 1}",
        ],
    ),
    ("instances.termination_grace", &["0s", "5s"]),
    ("sessions.store", &["in-memory", "redis", "jwt"]),
    ("sessions.ttl", &["1s", "30m"]),
    ("redis.max_ops", &["5", "100", "1000000"]),
    (
        "redis.latency",
        &[
            "{dist: exponential, mean: 1ms}",
            "{dist: constant, value: 0s}",
        ],
    ),
    (
        "database",
        &[
            "{max_connections: 2}",
            "{max_connections: 4294967295, pool_per_instance: 1000000}",
        ],
    ),
    (
        "local_cache",
        &["{hit_ratio_one_instance: 0.9, miss_penalty: 10ms}"],
    ),
    (
        "rate_limit",
        &[
            "{per_user_per_s: 2}",
            "{per_user_per_s: 1, scope: instance}",
        ],
    ),
    (
        "autoscaler",
        &[
            "{metric: cpu, target: 0.5, min: 1, max: 12}",
            "{metric: rps, target: 20, min: 2, max: 8, interval: 1s}",
        ],
    ),
    (
        "events",
        &[
            "[{at: 20s, action: crash, count: 2}]",
            "[{at: 30s, action: lb-failure}, {at: 10s, action: rolling-deploy}]",
            "[{action: crash, mtbf: 20s}]",
            "[{at: 5s, action: scale, to: 9}, {at: 50s, action: revoke, sessions: 50}]",
            "[{at: 5s, action: slow-instance, factor: 20, duration: 30s, pick: busiest}]",
            "[{at: 5s, action: redis-outage, duration: 20s, data_loss: true}]",
        ],
    ),
    ("events.0.at", &["1s", "59s"]),
    ("workload", &["~"]),
    (
        "connections",
        &[
            "{arrivals: {rate: 5}, lifetime: {dist: exponential, mean: 30s}}",
            "{arrivals: {rate: 50}, lifetime: {dist: lognormal, mean: 20s, p99: 2m}, \
             messages: {rate: 0.2}, rooms: {count: 50, size: {dist: geometric, mean: 4}}, \
             delivery: redis-pubsub, max_per_instance: 100, max_age: 30s}",
            "~",
        ],
    ),
    (
        "connections.arrivals",
        &[
            "{rate: 20}",
            "{profile: [{at: 0s, rate: 5}, {at: 30s, rate: 50, ramp: 10s}]}",
            "{diurnal: {period: 1m, min: 1, max: 30}, spike: {at: 10s, duration: 20s, \
             multiplier: 4}}",
        ],
    ),
    (
        "connections.lifetime",
        &[
            "{dist: exponential, mean: 1m}",
            "{dist: constant, value: 0s}",
            "{dist: uniform, min: 1s, max: 1h}",
        ],
    ),
    (
        "connections.handshake",
        &[
            "{dist: exponential, mean: 5ms}",
            "{dist: constant, value: 0s}",
        ],
    ),
    ("connections.timeout", &["1ns", "10s", "1h"]),
    ("connections.messages.rate", &["0", "0.2", "100"]),
    (
        "connections.message_time",
        &[
            "{dist: exponential, mean: 1ms}",
            "{dist: lognormal, mean: 1ms, p99: 10ms}",
        ],
    ),
    ("connections.rooms.count", &["1", "1000", "4294967295"]),
    (
        "connections.rooms.size",
        &[
            "{dist: constant, value: 1}",
            "{dist: geometric, mean: 4}",
            "{dist: uniform, min: 1, max: 1000}",
        ],
    ),
    (
        "connections.delivery",
        &["local", "redis-pubsub", "sharded-pubsub"],
    ),
    ("connections.max_per_instance", &["1", "10000", "~"]),
    (
        "connections.reconnect",
        &[
            "{policy: immediate}",
            "{policy: fixed, base: 1s}",
            "{policy: exponential, base: 100ms, cap: 10s}",
            "{policy: exponential-jitter, base: 1ns, cap: 87600h}",
        ],
    ),
    ("connections.reconnect.cap", &["1s", "30s"]),
    ("connections.max_age", &["1ns", "1m", "~"]),
    ("connections.drain.close_over", &["0s", "30s", "1h"]),
];

/// Values that belong to no field in particular, as a fuzzer might type them after `=`.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "0",
            "-1",
            "4294967295",
            "4294967296",
            "18446744073709551615",
            "-9223372036854775808",
            "1e308",
            "-1e-308",
            "-0.0",
            ".nan",
            ".inf",
            "~",
            "''",
            "'40'",
            "1ns",
            "87600h",
            "99999999h",
            "1.5ns",
            "5 s",
            "!!foo 3",
            "[]",
            "{}",
            "[1, 2]",
            "{dist: geometric, mean: 1e9}",
            "{dist: lognormal, mean: 1ms, p99: 1h}",
            "{max_connections: 4294967295, pool_per_instance: 4294967295}",
            "[{at: 1s, action: crash, count: 4294967295}]",
            "{at: 0s, duration: 1s, multiplier: 1e300}",
        ])
        .prop_map(str::to_owned),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| v.to_string()),
        (0u64..100_000, select(vec!["ns", "us", "ms", "s", "m", "h"]))
            .prop_map(|(n, unit)| format!("{n}{unit}")),
        "\\PC{0,12}",
    ]
}

/// One `--set`: a field with a value of its type most of the time, a hostile one otherwise.
fn set() -> impl Strategy<Value = String> {
    (
        select(FIELDS.to_vec()),
        any::<prop::sample::Index>(),
        prop::bool::weighted(0.2),
        hostile(),
    )
        .prop_map(|((path, values), pick, wild, other)| {
            let value = if wild {
                other
            } else {
                values[pick.index(values.len())].to_owned()
            };
            format!("{path}={value}")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn no_set_value_panics_and_every_accepted_one_runs_exactly(
        sets in prop::collection::vec(set(), 1..6)
    ) {
        // Two minutes of `baseline` (unless a set says otherwise), to keep the runs quick.
        let overrides: Vec<crate::scenario::Override> = ["duration=2m", "warmup=10s"]
            .iter()
            .copied()
            .chain(sets.iter().map(String::as_str))
            .filter_map(|arg| arg.parse().ok())
            .collect();
        // Loading either refuses with a message or gives a valid scenario: never a panic.
        let Ok(s) = crate::scenario::load("baseline", &overrides) else {
            return Ok(());
        };
        // An accepted scenario is estimated; those small enough are run, and must account for
        // every request.
        let e = estimate(&s);
        prop_assert!(e.events >= 0.0 && e.bytes > 0.0);
        if e.events < 2e7 && e.bytes < 2e8 {
            let r = simulate(&s);
            prop_assert!(r.requests.is_balanced(), "{:?} with {sets:?}", r.requests);
            prop_assert!(
                e.events * 4.0 >= r.engine.events as f64,
                "estimated {:.3e} events, ran {} with {sets:?}", e.events, r.engine.events
            );
        }
    }
}
