//! A yardstick for `scripts/bench-fleet.sh`: a minimal hand-rolled simulator of its load, at any
//! fleet size.
//!
//!     cargo run --release --example minimal_fleet -- INSTANCES REQUESTS [round-robin|random]
//!
//! Poisson arrivals at 120 requests/s per instance → round robin (or a uniformly random pick) →
//! instances of 2 workers with exponential 10 ms service and an unbounded FIFO queue (ρ = 0.6:
//! `bench-fleet.sh`'s load) — on a binary heap of `(time, seq)` events, like `benches/reference.rs`
//! and nothing else: no sessions, no health checks, no metrics but a count and a latency sum.
//! Prints the nanoseconds per request of building the fleet and simulating until REQUESTS have
//! arrived, and the mean response: with random picks each instance is an M/M/2 queue at ρ = 0.6,
//! whose mean response is 15.625 ms (a test below checks it); round robin spreads the arrivals
//! more evenly, so requests wait less, and a run of few requests per instance ends before its
//! queues have filled.
//!
//! It shows how the cost of a request grows with the fleet in a simulator with nothing in it, on
//! the same machine and beside fleetsim's figures. It is not a lower bound: its binary heap holds
//! a pending completion per busy worker (about 480,000 at 400,000 instances), so its pushes and
//! pops grow with the fleet, where fleetsim's radix heap does not.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Instant;

use rand::RngExt;
use rand_distr::{Distribution, Exp1};
use rand_pcg::Pcg64Mcg;

const RATE_PER_INSTANCE: f64 = 120.0;
const WORKERS: u8 = 2;
const SERVICE_NS: f64 = 10e6;
/// The instance field of an arrival event.
const ARRIVAL: u32 = u32::MAX;

/// Simulates until `requests` have arrived at `instances` instances; returns (completed, mean
/// response in ns).
fn run(instances: usize, requests: u64, random: bool) -> (u64, f64) {
    let mut rng = Pcg64Mcg::new(0xcafe_f00d_d15e_a5e5);
    let rate = RATE_PER_INSTANCE * instances as f64;
    // Event: (time, seq, instance or ARRIVAL, when its request was sent).
    let mut heap: BinaryHeap<Reverse<(u64, u64, u32, u64)>> = BinaryHeap::with_capacity(64);
    let mut waiting: Vec<VecDeque<u64>> = (0..instances).map(|_| VecDeque::new()).collect();
    let mut busy = vec![0u8; instances];
    let (mut seq, mut arrived, mut done, mut latency_sum, mut next) = (0u64, 0u64, 0u64, 0f64, 0);
    let exp = |rng: &mut Pcg64Mcg| -> f64 { Exp1.sample(rng) };
    let gap = |rng: &mut Pcg64Mcg| (exp(rng) * 1e9 / rate) as u64;
    let service = |rng: &mut Pcg64Mcg| (exp(rng) * SERVICE_NS) as u64;
    heap.push(Reverse((gap(&mut rng), 0, ARRIVAL, 0)));
    while let Some(Reverse((now, _, at, sent))) = heap.pop() {
        if at == ARRIVAL {
            arrived += 1;
            if arrived < requests {
                seq += 1;
                heap.push(Reverse((now + gap(&mut rng), seq, ARRIVAL, 0)));
            }
            let to = if random {
                rng.random_range(0..instances)
            } else {
                next = (next + 1) % instances;
                next
            };
            if busy[to] < WORKERS {
                busy[to] += 1;
                seq += 1;
                heap.push(Reverse((now + service(&mut rng), seq, to as u32, now)));
            } else {
                waiting[to].push_back(now);
            }
        } else {
            latency_sum += (now - sent) as f64;
            done += 1;
            let i = at as usize;
            match waiting[i].pop_front() {
                Some(sent) => {
                    seq += 1;
                    heap.push(Reverse((now + service(&mut rng), seq, at, sent)));
                }
                None => busy[i] -= 1,
            }
        }
    }
    (done, latency_sum / done as f64)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: minimal_fleet INSTANCES REQUESTS [round-robin|random]";
    let (Some(instances), Some(requests)) = (
        args.first().and_then(|a| a.parse::<usize>().ok()),
        args.get(1).and_then(|a| a.parse::<u64>().ok()),
    ) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let random = match args.get(2).map(String::as_str) {
        None | Some("round-robin") => false,
        Some("random") => true,
        Some(other) => {
            eprintln!("unknown balancer {other:?}; {usage}");
            std::process::exit(2);
        }
    };
    if instances == 0 || instances >= ARRIVAL as usize || requests == 0 {
        eprintln!(
            "INSTANCES must be 1 to {}, REQUESTS at least 1",
            ARRIVAL - 1
        );
        std::process::exit(2);
    }
    let start = Instant::now();
    let (done, mean) = run(instances, requests, random);
    let ns = start.elapsed().as_nanos() as f64 / requests as f64;
    println!(
        "{ns:.1} ns/request, {done} completed, mean response {:.3} ms",
        mean / 1e6
    );
}

#[cfg(test)]
mod tests {
    use super::run;

    /// With random picks each instance is M/M/2: λ = 120/s, μ = 100/s, offered load a = 1.2,
    /// ρ = 0.6. Erlang C: C = (a²/2)/(1 − ρ) / (1 + a + (a²/2)/(1 − ρ)) = 1.8 / 4 = 0.45, so
    /// W = 1/μ + C/(2μ − λ) = 10 ms + 0.45/80 s = 15.625 ms.
    #[test]
    fn random_picks_make_each_instance_an_m_m_2_queue() {
        let (done, mean) = run(4, 400_000, true);
        assert_eq!(done, 400_000, "every request that arrived completes");
        let ms = mean / 1e6;
        assert!(
            (ms / 15.625 - 1.0).abs() < 0.02,
            "mean response {ms} ms, M/M/2 gives 15.625"
        );
    }
}
