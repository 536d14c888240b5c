//! The session tier: where a logged-in user's state lives, and what each request pays for it.
//!
//! - `in-memory`: state lives in the instance that served the login. No per-request cost, but a
//!   request that reaches any other instance finds no session (checked in `sim.rs`).
//! - `redis`: every request makes one store operation (a read; the login a write). The store is a
//!   single FIFO server of capacity `max_ops` operations per second plus a network round trip:
//!   an operation waits for the store to be free, holds it `1/max_ops`, then returns after the
//!   sampled latency. Past its capacity the store's queue, and so request latency, grows.
//! - `jwt`: the session travels in a signed token; each request pays `jwt_verify` of CPU.

use crate::engine::{Rng, SimDuration, SimTime};
use crate::model::sampling::DurationSampler;
use crate::scenario::{Scenario, SessionStore};

pub enum SessionTier {
    InMemory,
    Redis(Redis),
    Jwt { verify: SimDuration },
}

pub struct Redis {
    latency: DurationSampler,
    /// Store time per operation: 1 / max_ops.
    op_time: SimDuration,
    /// When the store finishes the operations already queued on it.
    free_at: SimTime,
    rng: Rng,
}

impl SessionTier {
    pub fn new(scenario: &Scenario, rng: Rng) -> Self {
        match scenario.sessions.store {
            SessionStore::InMemory => SessionTier::InMemory,
            SessionStore::Jwt => SessionTier::Jwt {
                verify: scenario.sessions.jwt_verify,
            },
            SessionStore::Redis => SessionTier::Redis(Redis {
                latency: DurationSampler::new(&scenario.redis.latency),
                op_time: SimDuration::from_secs_f64(1.0 / scenario.redis.max_ops),
                free_at: SimTime::ZERO,
                rng,
            }),
        }
    }

    /// Time the session tier adds to a request that starts service at `now`.
    #[inline]
    pub fn request_cost(&mut self, now: SimTime) -> SimDuration {
        match self {
            SessionTier::InMemory => SimDuration::ZERO,
            SessionTier::Jwt { verify } => *verify,
            SessionTier::Redis(redis) => redis.operation(now),
        }
    }
}

impl Redis {
    /// One store operation issued at `now`: queueing behind earlier operations, the store's own
    /// service time, and the network round trip.
    #[inline]
    fn operation(&mut self, now: SimTime) -> SimDuration {
        let start = self.free_at.max(now);
        self.free_at = start + self.op_time;
        let rtt = self.latency.sample(&mut self.rng);
        (start - now) + self.op_time + rtt
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream, stream_key};

    fn redis(max_ops: f64) -> Redis {
        Redis {
            latency: DurationSampler::Constant(SimDuration::from_micros(500)),
            op_time: SimDuration::from_secs_f64(1.0 / max_ops),
            free_at: SimTime::ZERO,
            rng: stream(1, stream_key("redis"), 0),
        }
    }

    #[test]
    fn an_idle_store_costs_service_plus_round_trip() {
        let mut r = redis(1000.0); // 1 ms per operation
        let t = SimTime::ZERO + SimDuration::from_secs(1);
        assert_eq!(r.operation(t), SimDuration::from_micros(1_500));
    }

    #[test]
    fn a_saturated_store_queues_operations() {
        let mut r = redis(1000.0);
        let t = SimTime::ZERO + SimDuration::from_secs(1);
        // Three operations at the same instant: the third waits for two others (2 ms).
        r.operation(t);
        r.operation(t);
        assert_eq!(r.operation(t), SimDuration::from_micros(3_500));
    }
}
