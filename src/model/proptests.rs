//! Property tests over generated scenarios: whatever mix of stores, balancers, faults, timeouts,
//! retries and saturation a scenario asks for, every request the clients send is accounted for
//! exactly once, and the run's estimate never misses the real work by more than a small factor.
//!
//! Scenarios are generated as YAML text and go through the same parser and validation as a
//! user's file, so the generator cannot build a scenario users could not write.

use std::fmt::Write;

use proptest::prelude::*;
use proptest::sample::select;

use super::{estimate, simulate};
use crate::scenario::parse_str;

/// One generated event, as a YAML flow mapping (without its time).
fn event(redis: bool, scale_max: u32) -> BoxedStrategy<String> {
    let mut kinds: Vec<BoxedStrategy<String>> = vec![
        (1u32..3, select(vec!["random", "busiest", "oldest"]))
            .prop_map(|(count, pick)| format!("action: crash, count: {count}, pick: {pick}"))
            .boxed(),
        Just("action: crash, pick: index, index: 0".to_owned()).boxed(),
        (1..=scale_max)
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
    (shape, extras, any::<u64>()).prop_flat_map(|(shape, extras, seed)| {
        let redis = shape.0 == "redis";
        let scale_max = extras.3.map_or(8, |(_, max)| max);
        let scale_min = extras.3.map_or(1, |(min, _)| min);
        let duration = extras.7;
        let events = prop::collection::vec((0..duration, event(redis, scale_max)), 0..6);
        (Just((shape, extras, seed)), events).prop_map(move |((shape, extras, seed), events)| {
            let (store, algorithm, affinity, count, workers, queue, service, rate, requests, t) =
                shape;
            let (standby, max_ops, database, autoscaler, mtbf, replace, warmup, duration) = extras;
            let (timeout, retries, backoff) = t;
            let count = match autoscaler {
                Some((min, max)) => count.clamp(min, max),
                None => count,
            };
            let mut y = String::new();
            let _ = writeln!(y, "name: generated\nseed: {seed}\nduration: {duration}s");
            let _ = writeln!(y, "warmup: {}s", warmup.min(duration / 2));
            let _ = writeln!(
                y,
                "workload:\n  arrivals: {{ rate: {rate} }}\n  session:\n    requests: {{ dist: \
                 geometric, mean: {requests} }}\n    think_time: {{ dist: exponential, mean: \
                 500ms }}\n  timeout: {timeout}ms\n  retries: {retries}\n  retry_backoff: \
                 {backoff}ms"
            );
            let _ = writeln!(
                y,
                "balancer:\n  algorithm: {algorithm}\n  affinity: {affinity}\n  hop_latency: \
                 1ms\n  health_check: {{ interval: 2s, unhealthy_threshold: 2, \
                 healthy_threshold: 1 }}\n  deregistration_delay: 5s"
            );
            if let Some((failover, _)) = standby {
                let _ = writeln!(y, "  standby: {{ failover: {failover}s }}");
            }
            let _ = writeln!(
                y,
                "instances:\n  count: {count}\n  workers: {workers}\n  queue: {queue}\n  \
                 service_time: {{ dist: exponential, mean: {service}ms }}\n  boot_time: 3s\n  \
                 warmup: {{ duration: 5s, slowdown: 2 }}\n  replace: {replace}\n  \
                 termination_grace: 4s"
            );
            let _ = writeln!(y, "sessions:\n  store: {store}");
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
            }
            let mut lines: Vec<String> = events
                .iter()
                .map(|(at, e)| format!("  - {{ at: {at}s, {e} }}"))
                .collect();
            // Scale targets must respect the autoscaler's bounds.
            lines.retain(|l| {
                !l.contains("action: scale,")
                    || l.split("to: ")
                        .nth(1)
                        .and_then(|v| v.trim_end_matches(" }").parse::<u32>().ok())
                        .is_some_and(|to| to >= scale_min)
            });
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
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_request_is_accounted_for_once_in_any_scenario(yaml in scenario()) {
        let s = parse_str("generated.yaml", &yaml, &[])
            .unwrap_or_else(|e| panic!("the generator wrote an invalid scenario: {e}\n{yaml}"));
        let r = simulate(&s);
        let q = &r.requests;
        prop_assert!(
            q.is_balanced(),
            "sent {} ≠ succeeded {} + failed {} + in flight {}\n{yaml}",
            q.sent, q.succeeded, q.failed.total(), q.in_flight_at_end
        );
        // The estimate's work is an upper estimate: it never falls far below what ran.
        let e = estimate(&s);
        prop_assert!(
            e.events * 4.0 >= r.engine.events as f64,
            "estimated {:.3e} events, ran {}\n{yaml}", e.events, r.engine.events
        );
    }
}
