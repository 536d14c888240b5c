//! Balancing algorithms: pure choices over a read-only view of the routable instances.
//!
//! Each algorithm sees the instances the balancer currently believes healthy and each one's open
//! connections (queued + in service). They never see the truth about dead instances; that is the
//! balancer's health checks' job, and the gap between the two is where requests fail.

use rand::RngExt;

use super::hash_ring::HashRing;
use crate::engine::random::mix64;
use crate::engine::Rng;
use crate::model::ids::InstanceId;
use crate::scenario::Algorithm as AlgorithmKind;

/// What an algorithm may look at when choosing.
pub(crate) struct PickContext<'a> {
    /// Instances the balancer routes to, in launch order. Never empty when `pick` is called.
    pub(crate) routable: &'a [InstanceId],
    /// Open connections per instance, indexed by `InstanceId`.
    pub(crate) connections: &'a [u32],
    /// Stable identity of the session (for consistent hashing).
    pub(crate) session_key: u64,
    /// The client's source IP (for IP hashing).
    pub(crate) client_ip: u32,
}

/// A balancing algorithm. `membership_changed` is called whenever the routable set changes.
pub(crate) trait Algorithm {
    fn pick(&mut self, ctx: &PickContext<'_>, rng: &mut Rng) -> InstanceId;
    fn membership_changed(&mut self, _routable: &[InstanceId]) {}
}

pub(crate) fn build(kind: AlgorithmKind) -> Box<dyn Algorithm> {
    match kind {
        AlgorithmKind::RoundRobin => Box::new(RoundRobin::default()),
        AlgorithmKind::Random => Box::new(Random),
        AlgorithmKind::LeastConnections => Box::new(LeastConnections::default()),
        AlgorithmKind::PowerOfTwo => Box::new(PowerOfTwo),
        AlgorithmKind::ConsistentHash => Box::new(ConsistentHash::default()),
        AlgorithmKind::IpHash => Box::new(IpHash),
    }
}

/// Cycles through the routable instances.
#[derive(Default)]
pub(crate) struct RoundRobin {
    next: usize,
}

impl Algorithm for RoundRobin {
    #[inline]
    fn pick(&mut self, ctx: &PickContext<'_>, _rng: &mut Rng) -> InstanceId {
        let i = self.next % ctx.routable.len();
        self.next = i + 1;
        ctx.routable[i]
    }
}

/// Uniformly at random.
pub(crate) struct Random;

impl Algorithm for Random {
    #[inline]
    fn pick(&mut self, ctx: &PickContext<'_>, rng: &mut Rng) -> InstanceId {
        ctx.routable[rng.random_range(0..ctx.routable.len())]
    }
}

/// Fewest open connections; ties broken round-robin so that an idle fleet is still spread.
#[derive(Default)]
pub(crate) struct LeastConnections {
    start: usize,
}

impl Algorithm for LeastConnections {
    fn pick(&mut self, ctx: &PickContext<'_>, _rng: &mut Rng) -> InstanceId {
        let n = ctx.routable.len();
        let start = self.start % n;
        self.start = start + 1;
        let mut best = ctx.routable[start];
        let mut best_load = ctx.connections[best.index()];
        for k in 1..n {
            let id = ctx.routable[(start + k) % n];
            let load = ctx.connections[id.index()];
            if load < best_load {
                best = id;
                best_load = load;
            }
        }
        best
    }
}

/// Two distinct instances at random; the one with fewer connections wins (Mitzenmacher).
pub(crate) struct PowerOfTwo;

impl Algorithm for PowerOfTwo {
    #[inline]
    fn pick(&mut self, ctx: &PickContext<'_>, rng: &mut Rng) -> InstanceId {
        let n = ctx.routable.len();
        if n == 1 {
            return ctx.routable[0];
        }
        let a = rng.random_range(0..n);
        let b = (a + rng.random_range(1..n)) % n;
        let (a, b) = (ctx.routable[a], ctx.routable[b]);
        if ctx.connections[b.index()] < ctx.connections[a.index()] {
            b
        } else {
            a
        }
    }
}

/// A consistent-hash ring keyed by session.
#[derive(Default)]
pub(crate) struct ConsistentHash {
    ring: HashRing,
}

impl Algorithm for ConsistentHash {
    #[inline]
    fn pick(&mut self, ctx: &PickContext<'_>, _rng: &mut Rng) -> InstanceId {
        self.ring.lookup(ctx.session_key).unwrap_or(ctx.routable[0])
    }
    fn membership_changed(&mut self, routable: &[InstanceId]) {
        self.ring.rebuild(routable);
    }
}

/// `hash(source IP) mod n`, as naive IP hashing does: a membership change reshuffles most clients.
pub(crate) struct IpHash;

impl Algorithm for IpHash {
    #[inline]
    fn pick(&mut self, ctx: &PickContext<'_>, _rng: &mut Rng) -> InstanceId {
        let h = mix64(u64::from(ctx.client_ip) ^ 0x1F00_D5EE_D000_0001);
        ctx.routable[(h % ctx.routable.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream, stream_key};

    fn ids(n: u32) -> Vec<InstanceId> {
        (0..n).map(InstanceId).collect()
    }

    fn ctx<'a>(routable: &'a [InstanceId], connections: &'a [u32]) -> PickContext<'a> {
        PickContext {
            routable,
            connections,
            session_key: 0,
            client_ip: 0,
        }
    }

    #[test]
    fn round_robin_cycles() {
        let r = ids(3);
        let c = [0; 3];
        let mut rng = stream(1, stream_key("lb"), 0);
        let mut rr = RoundRobin::default();
        let got: Vec<u32> = (0..6).map(|_| rr.pick(&ctx(&r, &c), &mut rng).0).collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn least_connections_prefers_the_idlest_and_spreads_ties() {
        let r = ids(3);
        let mut rng = stream(1, stream_key("lb"), 0);
        let mut lc = LeastConnections::default();
        assert_eq!(lc.pick(&ctx(&r, &[5, 1, 3]), &mut rng), InstanceId(1));
        let ties: Vec<u32> = (0..3)
            .map(|_| lc.pick(&ctx(&r, &[0, 0, 0]), &mut rng).0)
            .collect();
        let mut sorted = ties.clone();
        sorted.sort();
        assert_eq!(sorted, [0, 1, 2], "ties were not spread: {ties:?}");
    }

    #[test]
    fn power_of_two_never_picks_the_busiest_of_two() {
        let r = ids(2);
        let mut rng = stream(1, stream_key("lb"), 0);
        for _ in 0..100 {
            assert_eq!(PowerOfTwo.pick(&ctx(&r, &[9, 2]), &mut rng), InstanceId(1));
        }
    }

    #[test]
    fn random_covers_every_instance_evenly() {
        let r = ids(4);
        let c = [0; 4];
        let mut rng = stream(1, stream_key("lb"), 0);
        let mut counts = [0u32; 4];
        for _ in 0..40_000 {
            counts[Random.pick(&ctx(&r, &c), &mut rng).index()] += 1;
        }
        assert!(
            counts.iter().all(|&k| (9_500..10_500).contains(&k)),
            "{counts:?}"
        );
    }

    #[test]
    fn ip_hash_is_a_function_of_the_ip() {
        let r = ids(4);
        let c = [0; 4];
        let mut rng = stream(1, stream_key("lb"), 0);
        let mut pick = |ip| {
            IpHash.pick(
                &PickContext {
                    client_ip: ip,
                    ..ctx(&r, &c)
                },
                &mut rng,
            )
        };
        assert_eq!(pick(7), pick(7));
        let distinct: std::collections::BTreeSet<_> = (0..100).map(&mut pick).collect();
        assert_eq!(distinct.len(), 4);
    }
}
