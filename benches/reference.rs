//! The yardstick: a minimal hand-rolled event loop for the simplest fleet model.
//!
//! Poisson arrivals → uniformly random choice among 8 single-worker FIFO instances with
//! exponential service, on a binary heap of `(time, seq)` events — nothing else: no sessions, no
//! balancer abstraction, no metrics but a count and a latency sum. fleetsim's `simplest` bench
//! runs the same model with every feature compiled in; `scripts/bench.sh` prints the ratio.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::RngExt;
use rand_distr::{Distribution, Exp1};
use rand_pcg::Pcg64Mcg;

const INSTANCES: usize = 8;
const RATE: f64 = 560.0; // per second, ρ = 0.7 per instance
const SERVICE_NS: f64 = 10e6;

/// Simulates until `requests` have arrived; returns (completed, mean latency in ns).
fn run(requests: u64) -> (u64, f64) {
    let mut rng = Pcg64Mcg::new(0xcafe_f00d_d15e_a5e5);
    // Event: (time, seq, kind, instance); kind 0 = arrival, 1 = departure.
    let mut heap: BinaryHeap<Reverse<(u64, u64, u8, u8)>> = BinaryHeap::with_capacity(64);
    let mut queues: Vec<VecDeque<u64>> = (0..INSTANCES).map(|_| VecDeque::new()).collect();
    let mut busy = [false; INSTANCES];
    let (mut seq, mut arrived, mut done, mut latency_sum) = (0u64, 0u64, 0u64, 0f64);
    let exp = |rng: &mut Pcg64Mcg| -> f64 { Exp1.sample(rng) };
    let gap = |rng: &mut Pcg64Mcg| (exp(rng) * 1e9 / RATE) as u64;
    let service = |rng: &mut Pcg64Mcg| (exp(rng) * SERVICE_NS) as u64;
    heap.push(Reverse((gap(&mut rng), 0, 0, 0)));
    while let Some(Reverse((now, _, kind, i))) = heap.pop() {
        let i = i as usize;
        if kind == 0 {
            arrived += 1;
            if arrived < requests {
                seq += 1;
                heap.push(Reverse((now + gap(&mut rng), seq, 0, 0)));
            }
            let to = rng.random_range(0..INSTANCES);
            if !busy[to] {
                busy[to] = true;
                seq += 1;
                heap.push(Reverse((now + service(&mut rng), seq, 1, to as u8)));
            }
            queues[to].push_back(now);
        } else {
            let sent = queues[i].pop_front().expect("a departure has a request");
            latency_sum += (now - sent) as f64;
            done += 1;
            if queues[i].is_empty() {
                busy[i] = false;
            } else {
                seq += 1;
                heap.push(Reverse((now + service(&mut rng), seq, 1, i as u8)));
            }
        }
    }
    (done, latency_sum / done as f64)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("reference");
    group.sample_size(10);
    group.throughput(Throughput::Elements(2_000_000));
    group.bench_function("hand_rolled_2M_requests", |b| b.iter(|| run(2_000_000)));
    group.finish();
    // Sanity: M/M/1 at ρ = 0.7 with 10 ms service has mean response 1/(100 − 70) s = 33.3 ms.
    let (_, mean) = run(2_000_000);
    assert!(
        (mean / 1e6 - 33.3).abs() < 2.0,
        "reference model is wrong: {mean}"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
