//! Simulated requests per second: the figure the README reports.
//!
//! `simplest`: Poisson arrivals → random balancer → 8 single-worker instances, exponential
//! service, one request per session, JWT with zero verify cost: the model a minimal hand-rolled
//! event loop can also run, for comparison. `baseline`: the bundled healthy-fleet scenario with
//! every feature in play (sessions of many requests, think times, Redis, health checks).
//!
//! Run with `cargo bench --bench engine`; `scripts/bench.sh` prints the figures as a table.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fleetsim::model::simulate;
use fleetsim::scenario;

/// The simplest model at ρ = 0.7 per instance (see the file): 2 M requests.
const SIMPLEST: &str = include_str!("simplest.yaml");

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);

    let s = scenario::parse_str("benches/simplest.yaml", SIMPLEST, &[]).expect("valid");
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
