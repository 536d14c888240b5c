//! Simulated requests per second: the figure the README reports.
//!
//! `simplest`: Poisson arrivals → random balancer → 8 single-worker instances, exponential
//! service, one request per session, JWT with zero verify cost: the model a minimal hand-rolled
//! event loop can also run, for comparison. `baseline`: the bundled healthy-fleet scenario with
//! every feature in play (sessions of many requests, think times, Redis, health checks).
//!
//! Run with `cargo bench --bench engine`; `scripts/compare.sh` prints the figures as a table.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fleetsim::model::simulate;
use fleetsim::scenario::{self, Scenario};

/// The simplest model at ρ = 0.7 per instance: 8 × 70 = 560 sessions/s.
fn simplest(requests: u64) -> Scenario {
    let yaml = format!(
        r#"
name: simplest
duration: {}s
workload:
  arrivals: {{ rate: 560 }}
  session:
    requests: {{ dist: constant, value: 1 }}
  timeout: 1h
  retries: 0
balancer: {{ algorithm: random }}
instances:
  count: 8
  workers: 1
  queue: 100000
  service_time: {{ dist: exponential, mean: 10ms }}
sessions: {{ store: jwt, jwt_verify: 0us }}
"#,
        requests / 560
    );
    scenario::parse_str("simplest.yaml", &yaml, &[]).expect("bench scenario is valid")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);

    let s = simplest(2_000_000);
    let sent = simulate(&s).requests.sent;
    group.throughput(Throughput::Elements(sent));
    group.bench_function("simplest_2M_requests", |b| b.iter(|| simulate(&s)));

    let s = scenario::load("baseline", &[]).expect("bundled baseline is valid");
    let sent = simulate(&s).requests.sent;
    group.throughput(Throughput::Elements(sent));
    group.bench_function("baseline", |b| b.iter(|| simulate(&s)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
