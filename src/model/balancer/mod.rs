//! The load balancer: which instances it routes to, and how it picks one for a request.
//!
//! The balancer's *belief* about instance health is separate from the truth. A crashed instance
//! stays routable until `unhealthy_threshold` consecutive health checks have failed; requests sent
//! to it meanwhile fail as `instance_down`. Affinity (sticky sessions) pins a session (cookie) or a
//! client IP (source-ip) to an instance; when the pinned instance leaves the routable set the
//! client is re-pinned, which for in-memory sessions means it lands where its state isn't.

mod algorithms;
mod hash_ring;
mod open;

pub(crate) use algorithms::{build as build_algorithm, Algorithm, Draw, PickContext};
use hash_ring::HashRing;
pub(crate) use open::OpenConnections;
use open::Ranking;

use std::collections::VecDeque;

use crate::engine::Rng;
use crate::model::ids::InstanceId;
use crate::scenario::{Affinity, Algorithm as AlgorithmKind, BalancerConfig};

pub(crate) struct Balancer {
    algorithm: Box<dyn Algorithm>,
    affinity: Affinity,
    /// Instances in rotation, in launch order.
    routable: Vec<InstanceId>,
    /// Per instance: open connections, whether it is in rotation, its weight (its group's), and
    /// the index least-connections picks from. Owned here so that rotation and weight changes
    /// reach the index with the counts.
    connections: OpenConnections,
    /// Source-IP affinity maps client IPs onto the routable set with minimal disruption.
    ip_ring: HashRing,
    /// `routable` changed since the algorithm and `ip_ring` last saw it: they catch up at the
    /// next request, once for any number of changes (a fleet of thousands entering rotation
    /// together rebuilds a hash ring once, not once per instance).
    stale: bool,
    /// How many times the algorithm and the ring caught up (tests count them).
    #[cfg(test)]
    refreshes: u32,
    /// The balancer's random stream, past the draws in `ahead`.
    rng: Rng,
    /// In a large fleet, the draws of the next [`AHEAD`] picks of a random algorithm, made
    /// ahead, oldest first, each with the stream as it was before it (see [`Drawn`]).
    ahead: VecDeque<Drawn>,
    /// Routable instances from which picks are drawn ahead: [`LOOK_AHEAD_FROM`] for a random
    /// algorithm (lower in tests), never for the others.
    look_ahead_from: usize,
}

/// Picks of a random algorithm (random, power of two) land anywhere in the fleet: in a large
/// one, the records they read (the routable list, the counts, the instance) are rarely in
/// cache, and each waited for costs more than the rest of routing a request. So the balancer
/// draws each pick [`AHEAD`] picks early and the records are loaded in stages while the picks
/// before it are made (see [`Balancer::drawn`]).
///
/// The draws depend on nothing but the number of routable instances, and a pick takes them in
/// the order they were drawn: the picks are those drawing at pick time would give. When that
/// number changes, the draws made for the old one are taken back: the stream returns to where
/// it was before the first of them ([`Balancer::take_back_draws`]), and they are drawn again.
#[derive(Clone, Debug)]
struct Drawn {
    /// The stream before this pick's draws.
    before: Rng,
    draw: Draw,
}

/// Fleets of at least this many routable instances have their random picks drawn ahead; in
/// smaller ones the records stay in cache and the look-ahead would only cost.
const LOOK_AHEAD_FROM: usize = 1024;

/// How many picks ahead a random pick is drawn; its position in the routable list starts
/// loading then.
pub(crate) const AHEAD: usize = 8;

impl Balancer {
    pub(crate) fn new(config: &BalancerConfig, rng: Rng) -> Self {
        // What the algorithm reads of the open connections. Every kind is named, so that a new
        // one is placed here on purpose: an algorithm reading counts that are not kept would
        // see zeros.
        let ranking = match config.algorithm {
            AlgorithmKind::LeastConnections => Ranking::Least,
            AlgorithmKind::WeightedLeastConnections => Ranking::WeightedLeast,
            AlgorithmKind::PowerOfTwo => Ranking::Counts,
            AlgorithmKind::RoundRobin
            | AlgorithmKind::Random
            | AlgorithmKind::ConsistentHash
            | AlgorithmKind::IpHash
            | AlgorithmKind::WeightedRoundRobin => Ranking::Unread,
        };
        Balancer {
            algorithm: build_algorithm(config.algorithm),
            affinity: config.affinity,
            routable: Vec::new(),
            connections: OpenConnections::new(ranking),
            ip_ring: HashRing::default(),
            stale: false,
            #[cfg(test)]
            refreshes: 0,
            rng,
            ahead: VecDeque::new(),
            look_ahead_from: match config.algorithm {
                AlgorithmKind::Random | AlgorithmKind::PowerOfTwo => LOOK_AHEAD_FROM,
                _ => usize::MAX,
            },
        }
    }

    pub(crate) fn routable(&self) -> &[InstanceId] {
        &self.routable
    }

    pub(crate) fn is_routable(&self, id: InstanceId) -> bool {
        self.connections.is_routable(id)
    }

    /// Open connections per instance.
    pub(crate) fn connections(&self) -> &OpenConnections {
        &self.connections
    }

    /// Open connections per instance, to count one opening or closing.
    pub(crate) fn connections_mut(&mut self) -> &mut OpenConnections {
        &mut self.connections
    }

    /// Records the weight of a launched instance (before it can enter rotation); it has no
    /// open connection yet.
    pub(crate) fn set_weight(&mut self, id: InstanceId, weight: u32) {
        self.connections.set_weight(id, weight);
    }

    /// Puts an instance into rotation (it passed its health checks).
    pub(crate) fn add(&mut self, id: InstanceId) {
        if !self.is_routable(id) {
            // Launches take increasing ids, so a new instance goes at the end: no search.
            if self.routable.last().is_none_or(|&last| last < id) {
                self.routable.push(id);
            } else {
                let at = self.routable.partition_point(|&r| r < id);
                self.routable.insert(at, id);
            }
            self.connections.set_routable(id, true);
            self.stale = true;
            self.take_back_draws();
        }
    }

    /// Takes an instance out of rotation (detected unhealthy, or deregistered).
    pub(crate) fn remove(&mut self, id: InstanceId) {
        if self.is_routable(id) {
            // `routable` is in id order (see `add`): find the entry, do not scan for it.
            if let Ok(at) = self.routable.binary_search(&id) {
                self.routable.remove(at);
            }
            self.connections.set_routable(id, false);
            self.stale = true;
            self.take_back_draws();
        }
    }

    /// Shows the algorithm and the source-IP ring the routable set as it is now. What they
    /// build from it depends only on the set and the weights of its members, which are fixed
    /// before an instance first enters rotation; so catching up at the next request gives the
    /// same picks as catching up at every change.
    #[cold]
    #[inline(never)]
    fn membership_changed(&mut self) {
        self.stale = false;
        #[cfg(test)]
        {
            self.refreshes += 1;
        }
        self.algorithm
            .membership_changed(&self.routable, self.connections.weights());
        if self.affinity == Affinity::SourceIp {
            self.ip_ring.rebuild(&self.routable);
        }
    }

    /// Chooses the instance for a request, honouring affinity. `pin` is the session's sticky
    /// cookie, updated when the balancer (re-)pins. `None` when nothing is routable.
    #[inline]
    pub(crate) fn route(
        &mut self,
        pin: &mut Option<InstanceId>,
        session_key: u64,
        client_ip: u32,
    ) -> Option<InstanceId> {
        if self.routable.is_empty() {
            return None;
        }
        if self.stale {
            self.membership_changed();
        }
        match self.affinity {
            Affinity::Cookie => {
                if let Some(p) = *pin {
                    if self.is_routable(p) {
                        return Some(p);
                    }
                }
                let chosen = self.pick(session_key, client_ip);
                *pin = Some(chosen);
                Some(chosen)
            }
            Affinity::SourceIp => self.ip_ring.lookup(u64::from(client_ip)),
            Affinity::None => Some(self.pick(session_key, client_ip)),
        }
    }

    #[inline]
    fn pick(&mut self, session_key: u64, client_ip: u32) -> InstanceId {
        let ctx = PickContext {
            routable: &self.routable,
            connections: &self.connections,
            session_key,
            client_ip,
        };
        if self.routable.len() < self.look_ahead_from {
            return self.algorithm.pick(&ctx, &mut self.rng);
        }
        // The next pick and the AHEAD after it are drawn (one draw a pick once under way).
        while self.ahead.len() <= AHEAD {
            let before = self.rng.clone();
            let draw = self
                .algorithm
                .draw(self.routable.len(), &mut self.rng)
                .expect("only an algorithm that draws looks ahead");
            // First stage: where the candidates are listed.
            for p in draw.positions() {
                crate::engine::prefetch(self.routable.as_ptr().wrapping_add(p));
            }
            self.ahead.push_back(Drawn { before, draw });
        }
        let next = self.ahead.pop_front().expect("drawn ahead");
        // Second stage, half-way: the candidates' counts.
        for id in self.drawn(AHEAD / 2).into_iter().flatten() {
            self.connections.prefetch(id);
        }
        self.algorithm.choose(&ctx, next.draw)
    }

    /// The candidates of the pick `k` picks after the next one, if drawn yet (see [`Drawn`]):
    /// for the caller to start loading what that pick will read. `k` below [`AHEAD`].
    #[inline]
    pub(crate) fn drawn(&self, k: usize) -> [Option<InstanceId>; 2] {
        let mut candidates = [None, None];
        if let Some(drawn) = self.ahead.get(k) {
            for (c, p) in candidates.iter_mut().zip(drawn.draw.positions()) {
                *c = Some(self.routable[p]);
            }
        }
        candidates
    }

    /// What the pick `k` picks after the next one would choose, if drawn yet, were it made now:
    /// a hint, as the counts it compares may still change.
    #[inline]
    pub(crate) fn choice(&self, k: usize) -> Option<InstanceId> {
        let next = self.ahead.get(k)?;
        let ctx = PickContext {
            routable: &self.routable,
            connections: &self.connections,
            session_key: 0,
            client_ip: 0,
        };
        Some(self.algorithm.choose(&ctx, next.draw))
    }

    /// Takes back the picks drawn ahead, which drew for a routable set of another size: the
    /// stream returns to where it was before the first of them.
    fn take_back_draws(&mut self) {
        if let Some(first) = self.ahead.front() {
            self.rng = first.before.clone();
            self.ahead.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream, stream_key, SimDuration};
    use crate::scenario::{Algorithm as Kind, HealthCheck};

    fn balancer(algorithm: Kind, affinity: Affinity, n: u32) -> Balancer {
        let config = BalancerConfig {
            algorithm,
            affinity,
            hop_latency: SimDuration::ZERO,
            health_check: HealthCheck {
                interval: SimDuration::from_secs(5),
                unhealthy_threshold: 2,
                healthy_threshold: 2,
            },
            deregistration_delay: SimDuration::from_secs(30),
            standby: None,
        };
        let mut b = Balancer::new(&config, stream(1, stream_key("balancer"), 0));
        for i in 0..n {
            b.set_weight(InstanceId::new(i), 1);
            b.add(InstanceId::new(i));
        }
        b
    }

    #[test]
    fn a_fleet_entering_rotation_together_is_shown_to_the_algorithm_once() {
        let mut b = balancer(Kind::ConsistentHash, Affinity::SourceIp, 1_000);
        assert_eq!(b.refreshes, 0, "nothing built before a request needs it");
        b.route(&mut None, 1, 1);
        b.route(&mut None, 2, 2);
        assert_eq!(
            b.refreshes, 1,
            "1,000 instances entered rotation: one rebuild"
        );
        b.remove(InstanceId::new(3));
        b.remove(InstanceId::new(4));
        b.add(InstanceId::new(3));
        assert_eq!(b.refreshes, 1);
        b.route(&mut None, 3, 3);
        assert_eq!(b.refreshes, 2, "three changes, then a request: one rebuild");
    }

    #[test]
    fn catching_up_at_the_next_request_picks_as_catching_up_at_every_change() {
        let cases = [
            (Kind::ConsistentHash, Affinity::None),
            (Kind::WeightedRoundRobin, Affinity::None),
            (Kind::RoundRobin, Affinity::SourceIp),
        ];
        for (kind, affinity) in cases {
            // A balancer that saw its fleet change after routing for a while ...
            let mut changed = balancer(kind, affinity, 40);
            for key in 0..100 {
                changed.route(&mut None, key, key as u32);
            }
            for i in [5, 17, 30] {
                changed.remove(InstanceId::new(i));
            }
            for i in 40..45 {
                changed.set_weight(InstanceId::new(i), 1);
                changed.add(InstanceId::new(i));
            }
            // ... routes as one that had the new fleet from the start, which saw each of its
            // instances enter rotation (set up by hand: `membership_changed` at every add).
            let mut fresh = balancer(kind, affinity, 0);
            for i in (0..45).filter(|i| ![5, 17, 30].contains(i)) {
                fresh.set_weight(InstanceId::new(i), 1);
                fresh.add(InstanceId::new(i));
                fresh.membership_changed();
            }
            assert_eq!(changed.routable(), fresh.routable());
            for key in 0..500 {
                assert_eq!(
                    changed.route(&mut None, key, key as u32 * 7),
                    fresh.route(&mut None, key, key as u32 * 7),
                    "{kind:?} {affinity:?}, key {key}"
                );
            }
        }
    }

    #[test]
    fn least_connections_follows_counts_and_rotation() {
        let mut b = balancer(Kind::LeastConnections, Affinity::None, 3);
        let (i0, i1, i2) = (InstanceId::new(0), InstanceId::new(1), InstanceId::new(2));
        b.connections_mut().inc(i0);
        b.connections_mut().inc(i2);
        assert_eq!(b.route(&mut None, 1, 1), Some(i1));
        b.connections_mut().inc(i1);
        b.connections_mut().inc(i1);
        b.connections_mut().dec(i2);
        assert_eq!(b.route(&mut None, 1, 1), Some(i2));
        b.remove(i2);
        assert_eq!(
            b.route(&mut None, 1, 1),
            Some(i0),
            "out of rotation, never picked"
        );
        b.connections_mut().set(i1, 0);
        assert_eq!(b.route(&mut None, 1, 1), Some(i1));
    }

    #[test]
    fn cookie_affinity_sticks_until_the_instance_leaves_rotation() {
        let mut b = balancer(Kind::RoundRobin, Affinity::Cookie, 3);
        let mut pin = None;
        let first = b.route(&mut pin, 1, 1).unwrap();
        for _ in 0..5 {
            assert_eq!(b.route(&mut pin, 1, 1), Some(first));
        }
        b.remove(first);
        let second = b.route(&mut pin, 1, 1).unwrap();
        assert_ne!(second, first);
        assert_eq!(pin, Some(second), "the client is re-pinned");
    }

    #[test]
    fn source_ip_affinity_depends_only_on_the_ip() {
        let mut b = balancer(Kind::RoundRobin, Affinity::SourceIp, 4);
        let mut pin = None;
        let a = b.route(&mut pin, 1, 77);
        let c = b.route(&mut pin, 2, 77);
        assert_eq!(a, c);
        assert_eq!(pin, None, "source-ip affinity sets no cookie");
    }

    #[test]
    fn nothing_routable_means_no_route() {
        let mut b = balancer(Kind::Random, Affinity::None, 1);
        b.remove(InstanceId::new(0));
        assert_eq!(b.route(&mut None, 1, 1), None);
        b.add(InstanceId::new(0));
        b.add(InstanceId::new(0));
        assert_eq!(b.routable(), &[InstanceId::new(0)]);
    }

    /// What a balancer is asked to do, in the property test below.
    #[derive(Clone, Debug)]
    enum Op {
        Route,
        Add(u32),
        Remove(u32),
        Count(u32, bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => Just(Op::Route),
            1 => (0..24u32).prop_map(Op::Add),
            1 => (0..24u32).prop_map(Op::Remove),
            2 => (0..24u32, any::<bool>()).prop_map(|(i, up)| Op::Count(i, up)),
        ]
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Drawing picks ahead changes no pick: a balancer drawing ahead from a fleet of 2
        /// routes every request as one drawing at pick time, through instances entering and
        /// leaving rotation (which take draws back) and counts changing under the draws.
        #[test]
        fn drawing_ahead_picks_as_drawing_at_pick_time(
            kind in prop_oneof![Just(Kind::Random), Just(Kind::PowerOfTwo)],
            cookie in any::<bool>(),
            ops in proptest::collection::vec(op(), 1..300),
        ) {
            let affinity = if cookie { Affinity::Cookie } else { Affinity::None };
            let mut ahead = balancer(kind, affinity, 12);
            ahead.look_ahead_from = 2;
            let mut direct = balancer(kind, affinity, 12);
            direct.look_ahead_from = usize::MAX;
            for b in [&mut ahead, &mut direct] {
                for i in 12..24 {
                    b.set_weight(InstanceId::new(i), 1);
                }
            }
            let (mut pin_ahead, mut pin_direct) = (None, None);
            let (mut picked_ahead, mut drew_ahead) = (false, false);
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Route => {
                        // Every third request is a new session, without a pin.
                        if n % 3 == 0 {
                            (pin_ahead, pin_direct) = (None, None);
                        }
                        picked_ahead |= pin_ahead.is_none() && ahead.routable().len() >= 2;
                        prop_assert_eq!(
                            ahead.route(&mut pin_ahead, n as u64, 1),
                            direct.route(&mut pin_direct, n as u64, 1)
                        );
                        drew_ahead |= !ahead.ahead.is_empty();
                    }
                    Op::Add(i) => {
                        ahead.add(InstanceId::new(i));
                        direct.add(InstanceId::new(i));
                    }
                    Op::Remove(i) => {
                        ahead.remove(InstanceId::new(i));
                        direct.remove(InstanceId::new(i));
                    }
                    Op::Count(i, up) => {
                        for b in [&mut ahead, &mut direct] {
                            let open = b.connections_mut();
                            if up {
                                open.inc(InstanceId::new(i));
                            } else {
                                open.dec_saturating(InstanceId::new(i));
                            }
                        }
                    }
                }
            }
            prop_assert!(!picked_ahead || drew_ahead, "picks were drawn ahead");
        }
    }

    #[test]
    fn a_large_fleet_draws_random_picks_ahead_and_takes_them_back_when_it_changes() {
        let mut b = balancer(Kind::PowerOfTwo, Affinity::None, 2_000);
        b.route(&mut None, 1, 1);
        assert_eq!(b.ahead.len(), AHEAD, "drawn ahead");
        assert!(b.drawn(0).iter().all(Option::is_some), "two candidates");
        b.remove(InstanceId::new(7));
        assert!(b.ahead.is_empty(), "taken back");
        let mut small = balancer(Kind::PowerOfTwo, Affinity::None, 1_000);
        small.route(&mut None, 1, 1);
        assert!(small.ahead.is_empty(), "a small fleet draws at pick time");
        let mut rr = balancer(Kind::RoundRobin, Affinity::None, 2_000);
        rr.route(&mut None, 1, 1);
        assert!(rr.ahead.is_empty(), "round robin draws nothing");
    }
}
