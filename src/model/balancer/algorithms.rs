//! Balancing algorithms: pure choices over a read-only view of the routable instances.
//!
//! Each algorithm sees the instances the balancer currently believes healthy and each one's open
//! connections (queued + in service). They never see the truth about dead instances; that is the
//! balancer's health checks' job, and the gap between the two is where requests fail.

use rand::RngExt;

use super::hash_ring::HashRing;
use super::open::OpenConnections;
use crate::engine::random::mix64;
use crate::engine::Rng;
use crate::model::ids::InstanceId;
use crate::scenario::Algorithm as AlgorithmKind;

/// What an algorithm may look at when choosing.
pub(crate) struct PickContext<'a> {
    /// Instances the balancer routes to, in launch order. Never empty when `pick` is called.
    pub(crate) routable: &'a [InstanceId],
    /// Open connections per instance, with the least-connections index.
    pub(crate) connections: &'a OpenConnections,
    /// Stable identity of the session (for consistent hashing).
    pub(crate) session_key: u64,
    /// The client's source IP (for IP hashing).
    pub(crate) client_ip: u32,
}

/// The random draws of one pick: one or two positions in the routable set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Draw {
    pub(crate) first: u32,
    /// [`Draw::NONE`] when the pick draws one position.
    pub(crate) second: u32,
}

impl Draw {
    pub(crate) const NONE: u32 = u32::MAX;

    /// The drawn positions.
    pub(crate) fn positions(self) -> impl Iterator<Item = usize> {
        [self.first, self.second]
            .into_iter()
            .filter(|&p| p != Self::NONE)
            .map(|p| p as usize)
    }
}

/// A balancing algorithm. `membership_changed` is called whenever the routable set changes,
/// with the routable instances and every instance's weight (indexed by `InstanceId`).
pub(crate) trait Algorithm {
    fn pick(&mut self, ctx: &PickContext<'_>, rng: &mut Rng) -> InstanceId;
    fn membership_changed(&mut self, _routable: &[InstanceId], _weights: &[u32]) {}
    /// For an algorithm whose pick is [`Algorithm::choose`] over random draws that depend on
    /// nothing but the number of routable instances `n` (random, power of two): a pick's
    /// draws, which the balancer can then make ahead of the pick. `None` for the others.
    fn draw(&self, _n: usize, _rng: &mut Rng) -> Option<Draw> {
        None
    }
    /// The pick for `draw` (see [`Algorithm::draw`]).
    fn choose(&self, ctx: &PickContext<'_>, draw: Draw) -> InstanceId {
        ctx.routable[draw.first as usize]
    }
}

/// The pick of an algorithm that draws (see [`Algorithm::draw`]): its choice over draws made
/// now. What `pick` is for such an algorithm, so that drawing at pick time and drawing ahead
/// cannot differ.
#[inline]
pub(crate) fn drawn_pick(
    algorithm: &(impl Algorithm + ?Sized),
    ctx: &PickContext<'_>,
    rng: &mut Rng,
) -> InstanceId {
    let draw = algorithm
        .draw(ctx.routable.len(), rng)
        .expect("the algorithm draws its picks");
    algorithm.choose(ctx, draw)
}

pub(crate) fn build(kind: AlgorithmKind) -> Box<dyn Algorithm> {
    match kind {
        AlgorithmKind::RoundRobin => Box::new(RoundRobin::default()),
        AlgorithmKind::Random => Box::new(Random),
        AlgorithmKind::LeastConnections => Box::new(LeastConnections::default()),
        AlgorithmKind::PowerOfTwo => Box::new(PowerOfTwo),
        AlgorithmKind::ConsistentHash => Box::new(ConsistentHash::default()),
        AlgorithmKind::IpHash => Box::new(IpHash),
        AlgorithmKind::WeightedRoundRobin => Box::new(WeightedRoundRobin::default()),
        // The weights are in the index's ranking: the same pick, over other scores.
        AlgorithmKind::WeightedLeastConnections => Box::new(LeastConnections::default()),
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
        drawn_pick(self, ctx, rng)
    }
    fn draw(&self, n: usize, rng: &mut Rng) -> Option<Draw> {
        Some(Draw {
            first: rng.random_range(0..n) as u32,
            second: Draw::NONE,
        })
    }
}

/// Fewest open connections; ties broken round-robin so that an idle fleet is still spread: the
/// start position in the routable set advances by one per pick, and the instance chosen is the
/// first of the least loaded found scanning from it in launch order, wrapping around. Weighted
/// least connections is the same pick over `(connections + 1) / weight` (see
/// [`OpenConnections`]'s ranking).
///
/// The scan is not done: [`OpenConnections::least_from`] answers the same question from its
/// min-tree in O(log n), so a pick costs about the same in a fleet of 4 or of 40,000.
#[derive(Default)]
pub(crate) struct LeastConnections {
    start: usize,
}

impl Algorithm for LeastConnections {
    fn pick(&mut self, ctx: &PickContext<'_>, _rng: &mut Rng) -> InstanceId {
        let n = ctx.routable.len();
        let start = self.start % n;
        self.start = start + 1;
        let open = ctx.connections;
        let best = open
            .least_from(ctx.routable[start])
            .unwrap_or_else(|| open.least_by_scan(ctx.routable, start));
        debug_assert_eq!(best, open.least_by_scan(ctx.routable, start));
        best
    }
}

/// Two distinct instances at random; the one with fewer connections wins (Mitzenmacher).
pub(crate) struct PowerOfTwo;

impl Algorithm for PowerOfTwo {
    #[inline]
    fn pick(&mut self, ctx: &PickContext<'_>, rng: &mut Rng) -> InstanceId {
        drawn_pick(self, ctx, rng)
    }
    #[inline]
    fn draw(&self, n: usize, rng: &mut Rng) -> Option<Draw> {
        if n == 1 {
            return Some(Draw {
                first: 0,
                second: Draw::NONE,
            });
        }
        let a = rng.random_range(0..n);
        let b = (a + rng.random_range(1..n)) % n;
        Some(Draw {
            first: a as u32,
            second: b as u32,
        })
    }
    #[inline]
    fn choose(&self, ctx: &PickContext<'_>, draw: Draw) -> InstanceId {
        let a = ctx.routable[draw.first as usize];
        if draw.second == Draw::NONE {
            return a;
        }
        let b = ctx.routable[draw.second as usize];
        if ctx.connections.get(b) < ctx.connections.get(a) {
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
    fn membership_changed(&mut self, routable: &[InstanceId], _weights: &[u32]) {
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

/// Cycles whose length (Σ weight / gcd) is at most this are computed once per membership
/// change and then replayed, one array read per pick; longer ones are stepped live.
const MAX_SCHEDULE: u64 = 1 << 16;

/// Smooth weighted round-robin, as nginx does it: every pick, each routable instance's
/// `current` grows by its weight; the largest `current` wins (the first in launch order among
/// equals) and gives back the sum of the weights. Over `Σ weight` picks each instance is chosen
/// exactly `weight` times, spread out (weights 5, 1, 1 give `a a b a c a a`, not `a a a a a b c`).
///
/// The sequence is periodic with period `Σ weight / gcd`; a short one (the usual case: a few
/// groups with small weights) is computed when membership changes and replayed, so a pick costs
/// the same whatever the fleet's size. A membership change starts the new cycle from its
/// beginning, as a configuration reload does in nginx.
#[derive(Default)]
pub(crate) struct WeightedRoundRobin {
    /// The precomputed cycle (empty when live stepping is used instead).
    schedule: Vec<InstanceId>,
    next: usize,
    /// Live stepping: the routable instances, their reduced weights and current values.
    live: Vec<(InstanceId, i64, i64)>,
}

impl WeightedRoundRobin {
    /// One step of the smooth algorithm over `peers` (id, weight, current): ties keep the
    /// earlier instance.
    fn step(peers: &mut [(InstanceId, i64, i64)]) -> InstanceId {
        let mut total = 0;
        let mut best = 0;
        for k in 0..peers.len() {
            peers[k].2 += peers[k].1;
            total += peers[k].1;
            if peers[k].2 > peers[best].2 {
                best = k;
            }
        }
        peers[best].2 -= total;
        peers[best].0
    }
}

impl Algorithm for WeightedRoundRobin {
    #[inline]
    fn pick(&mut self, ctx: &PickContext<'_>, _rng: &mut Rng) -> InstanceId {
        if !self.schedule.is_empty() {
            let i = self.next % self.schedule.len();
            self.next = i + 1;
            return self.schedule[i];
        }
        if self.live.is_empty() {
            // Not told of any member yet: plain round-robin over what is routable.
            let i = self.next % ctx.routable.len();
            self.next = i + 1;
            return ctx.routable[i];
        }
        Self::step(&mut self.live)
    }

    fn membership_changed(&mut self, routable: &[InstanceId], weights: &[u32]) {
        let weight =
            |id: InstanceId| u64::from(weights.get(id.index()).copied().unwrap_or(1).max(1));
        let g = routable.iter().fold(0, |g, &id| gcd(g, weight(id))).max(1);
        self.live = routable
            .iter()
            .map(|&id| (id, (weight(id) / g) as i64, 0))
            .collect();
        self.next = 0;
        self.schedule.clear();
        let period: u64 = self.live.iter().map(|p| p.1 as u64).sum();
        if period <= MAX_SCHEDULE {
            let mut peers = self.live.clone();
            self.schedule = (0..period).map(|_| Self::step(&mut peers)).collect();
        }
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::super::open::Ranking;
    use super::*;
    use crate::engine::{stream, stream_key};

    fn ids(n: u32) -> Vec<InstanceId> {
        (0..n).map(InstanceId::new).collect()
    }

    /// Counts for `routable` (and the instances before the last of them) under `ranking`.
    fn conns(
        ranking: Ranking,
        routable: &[InstanceId],
        counts: &[u32],
        weights: &[u32],
    ) -> OpenConnections {
        OpenConnections::with(ranking, counts, routable, weights)
    }

    fn ctx<'a>(routable: &'a [InstanceId], connections: &'a OpenConnections) -> PickContext<'a> {
        PickContext {
            routable,
            connections,
            session_key: 0,
            client_ip: 0,
        }
    }

    /// `n` picks of smooth weighted round-robin over instances 0.. with `weights`.
    fn wrr_picks(wrr: &mut WeightedRoundRobin, weights: &[u32], n: usize) -> Vec<u32> {
        let r = ids(weights.len() as u32);
        let c = conns(Ranking::Counts, &r, &vec![0; weights.len()], weights);
        let mut rng = stream(1, stream_key("lb"), 0);
        wrr.membership_changed(&r, weights);
        (0..n)
            .map(|_| wrr.pick(&ctx(&r, &c), &mut rng).get())
            .collect()
    }

    #[test]
    fn smooth_weighted_round_robin_interleaves_as_nginx_does() {
        // nginx's worked example, weights a=5, b=1, c=1: currents after adding the weights are
        // (5,1,1) → a, then (3,2,2) → a, (1,3,3) → b (first of equals), (6,-3,4) → a,
        // (4,-2,5) → c, (9,-1,-1) → a, (7,0,0) → a, and all are back at 0: the cycle repeats.
        let mut wrr = WeightedRoundRobin::default();
        assert_eq!(
            wrr_picks(&mut wrr, &[5, 1, 1], 14),
            [0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0]
        );
    }

    #[test]
    fn weighted_round_robin_gives_each_instance_its_weight_per_cycle() {
        // Weights 8, 8, 2, 2 reduce to 4, 4, 1, 1: a cycle of 10 picks, 4 + 4 + 1 + 1.
        let mut wrr = WeightedRoundRobin::default();
        let picks = wrr_picks(&mut wrr, &[8, 8, 2, 2], 100);
        let counts: Vec<usize> = (0..4)
            .map(|i| picks.iter().filter(|&&p| p == i).count())
            .collect();
        assert_eq!(counts, [40, 40, 10, 10]);
        assert_eq!(wrr.schedule.len(), 10);
    }

    #[test]
    fn weighted_round_robin_steps_live_past_the_schedule_limit_with_the_same_sequence() {
        // A period of 65,537 + 65,536 picks is too long to precompute: the live steps must
        // produce what the precomputed cycle would (checked against the same weights scaled
        // down, where the first picks agree: both favour the heavier instance alike).
        let mut live = WeightedRoundRobin::default();
        let long = wrr_picks(&mut live, &[65_537, 65_536], 6);
        assert!(live.schedule.is_empty(), "the cycle is stepped live");
        assert_eq!(long, [0, 1, 0, 1, 0, 1]);
        let mut equal = WeightedRoundRobin::default();
        assert_eq!(wrr_picks(&mut equal, &[3, 3], 6), [0, 1, 0, 1, 0, 1]);
    }

    #[test]
    fn equal_weights_make_weighted_round_robin_plain_round_robin() {
        let mut wrr = WeightedRoundRobin::default();
        assert_eq!(wrr_picks(&mut wrr, &[8, 8, 8], 6), [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn weighted_least_connections_compares_connections_per_weight() {
        let r = ids(2);
        let weights = [8, 2];
        let mut rng = stream(1, stream_key("lb"), 0);
        let mut wlc = LeastConnections::default();
        let mut pick = |counts: &[u32]| {
            let c = conns(Ranking::WeightedLeast, &r, counts, &weights);
            wlc.pick(&ctx(&r, &c), &mut rng).get()
        };
        // Idle: (0+1)/8 < (0+1)/2, the large one.
        assert_eq!(pick(&[0, 0]), 0);
        // (7+1)/8 = 1 > (0+1)/2: the small one.
        assert_eq!(pick(&[7, 0]), 1);
        // (6+1)/8 = 0.875 > (1+1)/2 = 1? No: 0.875 < 1, the large one.
        assert_eq!(pick(&[6, 1]), 0);
        // (3+1)/8 = 0.5 = (0+1)/2: a tie, spread by the rotating start like least-connections.
        let ties: Vec<u32> = (0..2).map(|_| pick(&[3, 0])).collect();
        let mut sorted = ties.clone();
        sorted.sort();
        assert_eq!(sorted, [0, 1], "ties were not spread: {ties:?}");
    }

    #[test]
    fn round_robin_cycles() {
        let r = ids(3);
        let c = conns(Ranking::Counts, &r, &[0; 3], &[]);
        let mut rng = stream(1, stream_key("lb"), 0);
        let mut rr = RoundRobin::default();
        let got: Vec<u32> = (0..6)
            .map(|_| rr.pick(&ctx(&r, &c), &mut rng).get())
            .collect();
        assert_eq!(got, [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn least_connections_prefers_the_idlest_and_spreads_ties() {
        let r = ids(3);
        let mut rng = stream(1, stream_key("lb"), 0);
        let mut lc = LeastConnections::default();
        let busy = conns(Ranking::Least, &r, &[5, 1, 3], &[]);
        assert_eq!(lc.pick(&ctx(&r, &busy), &mut rng), InstanceId::new(1));
        let idle = conns(Ranking::Least, &r, &[0, 0, 0], &[]);
        let ties: Vec<u32> = (0..3)
            .map(|_| lc.pick(&ctx(&r, &idle), &mut rng).get())
            .collect();
        let mut sorted = ties.clone();
        sorted.sort();
        assert_eq!(sorted, [0, 1, 2], "ties were not spread: {ties:?}");
    }

    #[test]
    fn power_of_two_never_picks_the_busiest_of_two() {
        let r = ids(2);
        let mut rng = stream(1, stream_key("lb"), 0);
        let c = conns(Ranking::Counts, &r, &[9, 2], &[]);
        for _ in 0..100 {
            assert_eq!(PowerOfTwo.pick(&ctx(&r, &c), &mut rng), InstanceId::new(1));
        }
    }

    #[test]
    fn random_covers_every_instance_evenly() {
        let r = ids(4);
        let c = conns(Ranking::Counts, &r, &[0; 4], &[]);
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
        let c = conns(Ranking::Counts, &r, &[0; 4], &[]);
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
