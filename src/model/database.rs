//! A shared relational database with a connection limit: the second shared tier that caps how
//! far scaling out helps.
//!
//! ```text
//!   instance 0: pool [c0 c1] ─┐
//!   instance 1: pool [c0 c1] ─┼─► database: max_connections slots (FIFO), query_time each
//!   instance 2: pool [c0 c1] ─┘
//! ```
//!
//! A request that starts service checks out one of its instance's `pool_per_instance`
//! connections (waiting, FIFO, for the earliest to come back if all are out) and holds it for its
//! whole database part: `queries_per_request` queries one after another, each waiting for one of
//! the database's `max_connections` execution slots and taking a sampled `query_time`. More
//! instances bring more pool connections, but not more slots: past `max_connections / query_time`
//! queries per second, scaling out raises latency instead of throughput.
//!
//! As the Redis store does, this is "free-at" bookkeeping rather than a queue of events: each
//! connection and each slot remembers when it is next free, and a request books its connection
//! and its queries when it starts service. Requests are therefore served in the order they start
//! service: one already booked is never overtaken by a later one's queries (true FIFO per query
//! would interleave them). Under that order a request's next query is ready exactly when the slot
//! running its previous query frees, so it runs there at once: the queries run back to back on
//! one slot. Putting it on any other slot could only idle that slot until the query is ready
//! (tried: at two exponential queries per request that lost nearly 30 % of the throughput); this
//! way no slot idles while a request waits, and saturation is served at exactly
//! `max_connections / query_time` queries per second. One slot pop and push per request:
//! O(log of the slots in use).
//!
//! Memory is one `SimTime` per pool connection and per slot in use, whatever the configured
//! maximum and the run's length.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::engine::{Rng, SimDuration, SimTime};
use crate::model::sampling::DurationSampler;
use crate::scenario::DatabaseConfig;

pub(crate) struct Database {
    /// Connections in each instance's pool.
    pool_per_instance: usize,
    /// The database's execution slots.
    max_connections: usize,
    /// Sequential queries per request.
    queries: u32,
    query_time: DurationSampler,
    /// Per instance slot, when each of its pool connections that may still be out is back.
    pools: Vec<Held>,
    /// When each execution slot that may still be busy is next free.
    slots: Held,
    /// Slot busy time since the last `take_busy`.
    busy: SimDuration,
    rng: Rng,
}

/// The "next free at" times of a set of interchangeable resources (connections, slots), kept
/// only for those in use. A resource free by `now` is as good as one never used (a request
/// starts at `max(now, free_at)`), so such entries are dropped when the next request looks:
/// memory follows the resources in use, not the configured maximum, and taking the earliest
/// entry is the same choice as taking the earliest of all `capacity` resources.
#[derive(Default)]
struct Held(BinaryHeap<Reverse<SimTime>>);

impl Held {
    /// Takes the resource that is free first (at `now` if one is free) out of `capacity`; the
    /// caller gives it back with [`Held::book`].
    fn take(&mut self, capacity: usize, now: SimTime) -> SimTime {
        // Each entry is pushed once and dropped once: amortised O(log n) per request.
        while self.0.peek().is_some_and(|&Reverse(t)| t <= now) {
            self.0.pop();
        }
        if self.0.len() < capacity {
            return now;
        }
        self.0.pop().map_or(now, |Reverse(t)| t)
    }

    /// The resource taken is busy until `until`.
    fn book(&mut self, until: SimTime) {
        self.0.push(Reverse(until));
    }
}

impl Database {
    pub(crate) fn new(config: &DatabaseConfig, rng: Rng) -> Self {
        // Validation guarantees ≥ 1 of each; clamping keeps a hand-built config from deadlocking.
        Database {
            pool_per_instance: config.pool_per_instance.max(1) as usize,
            max_connections: config.max_connections.max(1) as usize,
            queries: config.queries_per_request.max(1),
            query_time: DurationSampler::new(&config.query_time),
            pools: Vec::new(),
            slots: Held::default(),
            busy: SimDuration::ZERO,
            rng,
        }
    }

    /// Gives a newly launched instance, which takes `slot`, its pool, every connection free (a
    /// slot is an instance's place in per-instance tables, reused once its instance is
    /// retired).
    pub(crate) fn launched(&mut self, slot: usize) {
        if slot == self.pools.len() {
            self.pools.push(Held::default());
        } else {
            self.pools[slot] = Held::default();
        }
    }

    /// Time the database adds to a request that starts service at `now` on the instance in slot
    /// `instance`: the
    /// request waits for one of its instance's `pool_per_instance` connections (held for its
    /// whole database part), then runs `queries_per_request` queries one after another, each
    /// waiting for one of the database's `max_connections` execution slots (FIFO) and taking a
    /// sampled `query_time`. O(log of the resources in use).
    pub(crate) fn request_cost(&mut self, instance: usize, now: SimTime) -> SimDuration {
        let pool = &mut self.pools[instance];
        // The connection that comes back first.
        let back_at = pool.take(self.pool_per_instance, now);
        // The slot that frees first: FIFO among the requests that start service.
        let slot_free = self.slots.take(self.max_connections, now);
        let mut t = back_at.max(now).max(slot_free);
        for _ in 0..self.queries {
            let q = self.query_time.sample(&mut self.rng);
            t += q;
            self.busy = self.busy + q;
        }
        self.slots.book(t);
        pool.book(t);
        t - now
    }

    /// Execution-slot busy time accumulated since the last call (for utilisation =
    /// busy / (window × max_connections)). Booked when a request starts service, so a window
    /// ending with a backlog can exceed 1 and the next show correspondingly less.
    pub(crate) fn take_busy(&mut self) -> SimDuration {
        std::mem::take(&mut self.busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream, stream_key};
    use crate::scenario::Dist;

    /// `queries` constant queries of `query_ms` per request.
    fn db(max_connections: u32, pool: u32, queries: u32, query_ms: u64) -> Database {
        let config = DatabaseConfig {
            max_connections,
            pool_per_instance: pool,
            queries_per_request: queries,
            query_time: Dist::Constant {
                value: SimDuration::from_millis(query_ms),
            },
        };
        Database::new(&config, stream(1, stream_key("database"), 0))
    }

    fn with_instances(mut d: Database, n: usize) -> Database {
        for _ in 0..n {
            d.launched(d.pools.len());
        }
        d
    }

    fn ms(ms: u64) -> SimDuration {
        SimDuration::from_millis(ms)
    }

    fn at_ms(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }

    #[test]
    fn an_idle_database_costs_queries_times_query_time() {
        // 3 queries of 4 ms, nothing else running: 12 ms.
        let mut d = with_instances(db(10, 5, 3, 4), 1);
        assert_eq!(d.request_cost(0, at_ms(1_000)), ms(12));
    }

    #[test]
    fn a_pool_of_one_serialises_two_concurrent_requests_on_one_instance() {
        // One connection, 2 queries of 5 ms: the first request holds it for [0, 10 ms), the
        // second waits 10 ms for it, then runs its 10 ms: 20 ms.
        let mut d = with_instances(db(10, 1, 2, 5), 1);
        assert_eq!(d.request_cost(0, at_ms(0)), ms(10));
        assert_eq!(d.request_cost(0, at_ms(0)), ms(20));
        // A request arriving once the connection is back does not wait: 10 ms.
        assert_eq!(d.request_cost(0, at_ms(50)), ms(10));
    }

    #[test]
    fn pools_are_per_instance() {
        // The same two requests on two instances each find a free connection: 10 ms each.
        let mut d = with_instances(db(10, 1, 2, 5), 2);
        assert_eq!(d.request_cost(0, at_ms(0)), ms(10));
        assert_eq!(d.request_cost(1, at_ms(0)), ms(10));
    }

    #[test]
    fn a_pool_waits_for_the_connection_that_comes_back_first() {
        // Pool of 2, one 10 ms query per request (free DB). At 0 ms: A takes c0 until 10 ms.
        // At 5 ms: B takes c1 until 15 ms. At 6 ms: C waits for c0 (back at 10 ms): 4 + 10 ms.
        let mut d = with_instances(db(10, 2, 1, 10), 1);
        assert_eq!(d.request_cost(0, at_ms(0)), ms(10));
        assert_eq!(d.request_cost(0, at_ms(5)), ms(10));
        assert_eq!(d.request_cost(0, at_ms(6)), ms(14));
    }

    #[test]
    fn instances_launched_later_get_their_own_pool() {
        let mut d = with_instances(db(10, 1, 1, 10), 1);
        assert_eq!(d.request_cost(0, at_ms(0)), ms(10));
        d.launched(d.pools.len());
        // Instance 1's connection is fresh, instance 0's still out until 10 ms.
        assert_eq!(d.request_cost(1, at_ms(0)), ms(10));
        assert_eq!(d.request_cost(0, at_ms(0)), ms(20));
    }

    #[test]
    fn with_one_database_connection_requests_of_two_instances_queue_on_the_database() {
        // max_connections 1, 2 queries of 5 ms. Instance 0's request books [0, 5) and [5, 10);
        // instance 1's request has its own pool connection but waits for the slot: its queries
        // run [10, 15) and [15, 20): 20 ms.
        let mut d = with_instances(db(1, 4, 2, 5), 2);
        assert_eq!(d.request_cost(0, at_ms(0)), ms(10));
        assert_eq!(d.request_cost(1, at_ms(0)), ms(20));
    }

    #[test]
    fn single_query_throughput_is_capped_by_the_slots() {
        // N = 10 requests at once, 1 query of q = 10 ms each, c = 4 slots, pools never the limit
        // (one instance per request). Request i (from 0) takes the slot freed by request i − 4,
        // so it ends at (⌊i/4⌋ + 1)·q: 10, 10, 10, 10, 20, 20, 20, 20, 30, 30 ms. The last ends at
        // ⌈N/c⌉·q = ⌈10/4⌉·10 = 30 ms: 100 queries per second, whatever the instance count.
        let mut d = with_instances(db(4, 1, 1, 10), 10);
        let ends: Vec<u64> = (0..10)
            .map(|i| d.request_cost(i, SimTime::ZERO).as_nanos() / 1_000_000)
            .collect();
        assert_eq!(ends, [10, 10, 10, 10, 20, 20, 20, 20, 30, 30]);
    }

    #[test]
    fn one_slot_runs_every_query_back_to_back() {
        // c = 1, k = 3 queries of q = 2 ms, N = 5 requests at once: strictly sequential, the
        // last ends at N·k·q = ⌈N·k/c⌉·q = 30 ms, and request i ends at (i + 1)·k·q.
        let mut d = with_instances(db(1, 1, 3, 2), 5);
        let ends: Vec<u64> = (0..5)
            .map(|i| d.request_cost(i, SimTime::ZERO).as_nanos() / 1_000_000)
            .collect();
        assert_eq!(ends, [6, 12, 18, 24, 30]);
    }

    #[test]
    fn multi_query_throughput_is_capped_by_the_slots() {
        // c = 2 slots, k = 2 queries of q = 10 ms, N = 5 requests at once on 5 instances.
        // Booking each request in turn (slot free times in braces):
        //   R0: slot free at 0 → queries [0, 10), [10, 20).   {0, 20}   ends 20
        //   R1: slot free at 0 → [0, 10), [10, 20).           {20, 20}  ends 20
        //   R2: slot free at 20 → [20, 30), [30, 40).         {20, 40}  ends 40
        //   R3: slot free at 20 → [20, 40).                   {40, 40}  ends 40
        //   R4: slot free at 40 → [40, 60).                             ends 60
        // Request i ends at (⌊i/c⌋ + 1)·k·q: both slots stay busy, c/(k·q) = 100 requests per
        // second. A request's queries are sequential, so the last one cannot spread over the
        // idle slot: the makespan is ⌈N/c⌉·k·q = 60 ms, which is ⌈N·k/c⌉·q = 50 ms only when c
        // divides N (as for N = 4: 40 ms).
        let mut d = with_instances(db(2, 1, 2, 10), 5);
        let ends: Vec<u64> = (0..5)
            .map(|i| d.request_cost(i, SimTime::ZERO).as_nanos() / 1_000_000)
            .collect();
        assert_eq!(ends, [20, 20, 40, 40, 60]);
    }

    #[test]
    fn a_request_starts_when_both_its_connection_and_a_slot_are_free() {
        // c = 1, pool of 1 per instance, one 10 ms query. At 0: R0 on instance 0 holds the
        // connection and the slot until 10. At 0: R1 on instance 0 waits for the connection
        // (back at 10), then the slot is free: [10, 20), 20 ms. At 5: R2 on instance 1 has a
        // connection but the slot is booked until 20: [20, 30), 25 ms.
        let mut d = with_instances(db(1, 1, 1, 10), 2);
        assert_eq!(d.request_cost(0, at_ms(0)), ms(10));
        assert_eq!(d.request_cost(0, at_ms(0)), ms(20));
        assert_eq!(d.request_cost(1, at_ms(5)), ms(25));
    }

    #[test]
    fn busy_time_is_queries_times_query_time_and_resets_when_taken() {
        // 3 requests × 2 queries × 5 ms = 30 ms, however they queue.
        let mut d = with_instances(db(1, 1, 2, 5), 1);
        for _ in 0..3 {
            d.request_cost(0, SimTime::ZERO);
        }
        assert_eq!(d.take_busy(), ms(30));
        assert_eq!(d.take_busy(), SimDuration::ZERO);
    }

    #[test]
    fn sustained_overload_is_served_at_the_database_ceiling() {
        // Exponential queries (mean 10 ms), c = 8 slots, k = 2: the ceiling is
        // c/(k·q) = 8/(2·0.01) = 400 requests per second. Offer 800 per second (one request
        // every 1.25 ms, one instance each) for 10 s: the slots never idle, so the last of the
        // 8000 requests completes after 8000 requests × 20 ms / 8 slots ≈ 20 s. The sum of 16 000
        // exponential query times has a relative σ of 1/√16 000 ≈ 0.8 %: allow 4 σ ≈ 3 %.
        let config = DatabaseConfig {
            max_connections: 8,
            pool_per_instance: 1,
            queries_per_request: 2,
            query_time: Dist::Exponential {
                mean: SimDuration::from_millis(10),
            },
        };
        let mut d = Database::new(&config, stream(2, stream_key("database"), 0));
        let n = 8000;
        let mut last = SimTime::ZERO;
        for i in 0..n {
            d.launched(d.pools.len());
            let now = SimTime::ZERO + SimDuration::from_micros(1_250 * i as u64);
            last = last.max(now + d.request_cost(i, now));
        }
        let throughput = n as f64 / last.as_secs_f64();
        assert!(
            (throughput - 400.0).abs() < 400.0 * 0.03,
            "{throughput} requests per second"
        );
    }
}
