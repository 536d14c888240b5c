//! Open connections per instance, and the index that lets least-connections pick in O(log n).
//!
//! Least-connections asks, for every request: among the routable instances, which is the first,
//! scanning in launch order from a rotating start and wrapping around, whose load is the
//! smallest? Scanning the routable set answers it in O(n), which at tens of thousands of
//! instances dominates the cost of a request. [`OpenConnections`] keeps the counts together with
//! a min-tree over instance ids that answers the same question in O(log n), and is the only way
//! to change a count, so no count can change without the tree following.

use crate::model::ids::InstanceId;

/// An instance's load as least-connections ranks it: `num / den`, compared exactly by
/// cross-multiplying (`num` < 2^33 and `den` < 2^32, so products fit in 64 bits).
///
/// Plain least-connections ranks `connections / 1`; the weighted one `(connections + 1) /
/// weight`. An instance out of rotation is [`Score::OUT`], `1 / 0`, above every real score, so
/// the tree can span every instance ever launched and never pick one that is not routable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Score {
    num: u64,
    den: u64,
}

/// What a [`MinTree`] ranks: a total order with a value above every real one for instances out
/// of rotation.
trait Rank: Copy + Eq {
    /// Out of rotation: above every real value.
    const OUT: Self;

    /// `self < other`.
    fn lt(self, other: Self) -> bool;

    /// `self <= other`.
    #[inline]
    fn le(self, other: Self) -> bool {
        !other.lt(self)
    }
}

impl Score {
    /// Weighted least connections' score: `(connections + 1) / weight`, the connection about to
    /// open counted, as HAProxy's weighted `leastconn` does.
    #[inline]
    fn weighted(connections: u32, weight: u32) -> Score {
        Score {
            num: u64::from(connections) + 1,
            den: u64::from(weight),
        }
    }
}

impl Rank for Score {
    const OUT: Score = Score { num: 1, den: 0 };

    #[inline]
    fn lt(self, other: Score) -> bool {
        self.num * other.den < other.num * self.den
    }
}

/// Plain least-connections ranks the count itself: a tree of 4-byte leaves instead of 16-byte
/// scores, a quarter of the memory to reach into on every count change and pick. A count is
/// below `u32::MAX` (each open connection is a live record of tens of bytes).
impl Rank for u32 {
    const OUT: u32 = u32::MAX;

    #[inline]
    fn lt(self, other: u32) -> bool {
        self < other
    }
}

/// A min-tree over instance ids: leaf `i` holds instance `i`'s rank (a count or a [`Score`]),
/// each inner node the smaller of its two children's (the left one among equals, though only
/// values matter).
///
/// Invariants: `nodes.len() == 2 * cap` with `cap` a power of two; leaf `i` is `nodes[cap + i]`;
/// every inner node `k` equals `min(nodes[2k], nodes[2k + 1])`; leaves past the last launched
/// instance and of instances out of rotation hold [`Rank::OUT`].
#[derive(Debug)]
struct MinTree<K> {
    cap: usize,
    nodes: Vec<K>,
}

impl<K: Rank> MinTree<K> {
    fn new() -> Self {
        MinTree {
            cap: 1,
            nodes: vec![K::OUT; 2],
        }
    }

    /// Makes room for leaf `i`, doubling the capacity as needed (amortised O(1) per instance).
    fn reserve(&mut self, i: usize) {
        if i < self.cap {
            return;
        }
        let mut cap = self.cap;
        while cap <= i {
            cap *= 2;
        }
        let mut nodes = vec![K::OUT; 2 * cap];
        nodes[cap..cap + self.cap].copy_from_slice(&self.nodes[self.cap..]);
        for k in (1..cap).rev() {
            nodes[k] = Self::smaller(nodes[2 * k], nodes[2 * k + 1]);
        }
        self.cap = cap;
        self.nodes = nodes;
    }

    #[inline]
    fn smaller(a: K, b: K) -> K {
        if b.lt(a) {
            b
        } else {
            a
        }
    }

    /// Sets leaf `i` and the inner nodes above it, stopping at the first one left as it was
    /// (its ancestors depend on nothing else that changed). O(log n).
    #[inline]
    fn set(&mut self, i: usize, score: K) {
        let mut k = self.cap + i;
        self.nodes[k] = score;
        while k > 1 {
            k /= 2;
            let m = Self::smaller(self.nodes[2 * k], self.nodes[2 * k + 1]);
            if self.nodes[k] == m {
                break;
            }
            self.nodes[k] = m;
        }
    }

    /// The smallest rank of all.
    #[inline]
    fn min(&self) -> K {
        self.nodes[1]
    }

    /// The first leaf at or after `from` whose score is at most `target`. O(log n): climb from
    /// the leaf to successive right neighbours until a subtree holds such a score, then descend
    /// into its leftmost such leaf.
    #[inline]
    fn first_at_most(&self, from: usize, target: K) -> Option<usize> {
        if from >= self.cap {
            return None;
        }
        let mut k = self.cap + from;
        loop {
            if self.nodes[k].le(target) {
                while k < self.cap {
                    k *= 2;
                    if !self.nodes[k].le(target) {
                        k += 1;
                    }
                }
                return Some(k - self.cap);
            }
            // Past a right child, the next range starts after the parent's: climb.
            while k & 1 == 1 {
                k /= 2;
            }
            if k == 0 {
                return None;
            }
            k += 1;
        }
    }
}

/// Which least-connections ranking the index keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ranking {
    /// No algorithm reads a count (round robin, random, hashing): none is kept, so that
    /// requests do not reach into a per-instance array for nothing.
    Unread,
    /// No algorithm ranks by load, but one reads counts (power of two): only the counts are
    /// kept.
    Counts,
    /// Fewest connections.
    Least,
    /// Fewest `(connections + 1) / weight`.
    WeightedLeast,
}

/// Open connections per instance (queued and in service requests, handshakes and open
/// long-lived connections), as the balancer sees them, indexed by [`InstanceId`].
///
/// With a [`Ranking`], a min-tree over every launched instance follows each count, the
/// instance's weight and whether it is in rotation, so that [`OpenConnections::least_from`]
/// answers least-connections' question in O(log n) per pick instead of a scan of the routable
/// set. Counts change only through [`inc`](Self::inc), [`dec`](Self::dec) and
/// [`set`](Self::set); rotation and weights only through the balancer (`set_routable`,
/// `set_weight`): every change reaches the tree.
#[derive(Debug)]
pub(crate) struct OpenConnections {
    counts: Vec<u32>,
    ranking: Ranking,
    /// Per instance: in rotation, and its weight (≥ 1), for its score.
    routable: Vec<bool>,
    weights: Vec<u32>,
    tree: Option<Index>,
}

/// The min-tree of a ranking: counts for least connections, scores for the weighted one.
#[derive(Debug)]
enum Index {
    Least(MinTree<u32>),
    WeightedLeast(MinTree<Score>),
}

impl OpenConnections {
    pub(crate) fn new(ranking: Ranking) -> Self {
        OpenConnections {
            counts: Vec::new(),
            ranking,
            routable: Vec::new(),
            weights: Vec::new(),
            tree: match ranking {
                Ranking::Unread | Ranking::Counts => None,
                Ranking::Least => Some(Index::Least(MinTree::new())),
                Ranking::WeightedLeast => Some(Index::WeightedLeast(MinTree::new())),
            },
        }
    }

    /// Open connections of `id` (zero for an instance never seen).
    #[inline]
    pub(crate) fn get(&self, id: InstanceId) -> u32 {
        debug_assert!(self.ranking != Ranking::Unread, "no count is kept");
        self.counts.get(id.index()).copied().unwrap_or(0)
    }

    /// One more connection to `id`.
    #[inline]
    pub(crate) fn inc(&mut self, id: InstanceId) {
        if self.ranking == Ranking::Unread {
            return;
        }
        self.counts[id.index()] += 1;
        self.refresh(id);
    }

    /// One connection to `id` fewer.
    #[inline]
    pub(crate) fn dec(&mut self, id: InstanceId) {
        if self.ranking == Ranking::Unread {
            return;
        }
        self.counts[id.index()] -= 1;
        self.refresh(id);
    }

    /// Starts loading `id`'s count into cache (see [`crate::engine::prefetch`]).
    #[inline]
    pub(crate) fn prefetch(&self, id: InstanceId) {
        if self.ranking == Ranking::Unread {
            return;
        }
        crate::engine::prefetch(self.counts.as_ptr().wrapping_add(id.index()));
    }

    /// One connection to `id` fewer, if it has any.
    #[inline]
    pub(crate) fn dec_saturating(&mut self, id: InstanceId) {
        if self.ranking == Ranking::Unread {
            return;
        }
        let c = &mut self.counts[id.index()];
        *c = c.saturating_sub(1);
        self.refresh(id);
    }

    /// `id` has `count` open connections.
    #[inline]
    pub(crate) fn set(&mut self, id: InstanceId, count: u32) {
        if self.ranking == Ranking::Unread {
            return;
        }
        self.counts[id.index()] = count;
        self.refresh(id);
    }

    /// Makes room for `id` (launched: no connections, out of rotation, weight 1).
    pub(super) fn ensure(&mut self, id: InstanceId) {
        let n = id.index() + 1;
        if self.routable.len() < n {
            if self.ranking != Ranking::Unread {
                self.counts.resize(n, 0);
            }
            self.routable.resize(n, false);
            self.weights.resize(n, 1);
            match &mut self.tree {
                None => {}
                Some(Index::Least(tree)) => tree.reserve(id.index()),
                Some(Index::WeightedLeast(tree)) => tree.reserve(id.index()),
            }
        }
    }

    /// `id` enters (`true`) or leaves rotation.
    pub(super) fn set_routable(&mut self, id: InstanceId, routable: bool) {
        self.ensure(id);
        self.routable[id.index()] = routable;
        self.refresh(id);
    }

    /// `id`'s balancing weight (≥ 1 is used).
    pub(super) fn set_weight(&mut self, id: InstanceId, weight: u32) {
        self.ensure(id);
        self.weights[id.index()] = weight.max(1);
        self.refresh(id);
    }

    #[inline]
    fn refresh(&mut self, id: InstanceId) {
        let i = id.index();
        // Without a ranking, nothing follows the count: the rotation flag stays unread (at
        // hundreds of thousands of instances, a load from memory per count change).
        match &mut self.tree {
            None => {}
            Some(Index::Least(tree)) => {
                let count = if self.routable[i] {
                    self.counts[i]
                } else {
                    u32::OUT
                };
                tree.set(i, count);
            }
            Some(Index::WeightedLeast(tree)) => {
                let score = if self.routable[i] {
                    Score::weighted(self.counts[i], self.weights[i])
                } else {
                    Score::OUT
                };
                tree.set(i, score);
            }
        }
    }

    /// Instance `i`'s score under the ranking: its connections, or under
    /// [`Ranking::WeightedLeast`] `(connections + 1) / weight`, the connection about to open
    /// counted, as HAProxy's weighted `leastconn` does.
    #[inline]
    fn score(&self, i: usize) -> Score {
        match self.ranking {
            Ranking::WeightedLeast => Score::weighted(self.counts[i], self.weights[i]),
            Ranking::Least | Ranking::Counts | Ranking::Unread => Score {
                num: u64::from(self.counts[i]),
                den: 1,
            },
        }
    }

    /// Whether `id` is in rotation.
    #[inline]
    pub(crate) fn is_routable(&self, id: InstanceId) -> bool {
        self.routable.get(id.index()).copied().unwrap_or(false)
    }

    /// Every launched instance's balancing weight (≥ 1), indexed by `InstanceId`.
    pub(crate) fn weights(&self) -> &[u32] {
        &self.weights
    }

    /// What [`Self::least_from`] answers, by a scan of `routable` (launch order) from position
    /// `start`, wrapping around: the first of the smallest scores. O(n): the reference the index
    /// is checked against.
    pub(crate) fn least_by_scan(&self, routable: &[InstanceId], start: usize) -> InstanceId {
        let n = routable.len();
        let mut best = routable[start];
        let mut best_score = self.score(best.index());
        for k in 1..n {
            let id = routable[(start + k) % n];
            let score = self.score(id.index());
            if score.lt(best_score) {
                best = id;
                best_score = score;
            }
        }
        best
    }

    /// The routable instance with the smallest score, the first found scanning in id order from
    /// `from` (itself routable) and wrapping around: the first at or after `from` whose score is
    /// the minimum, else the first before it. `None` without a ranking or with nothing
    /// routable. O(log n).
    #[inline]
    pub(crate) fn least_from(&self, from: InstanceId) -> Option<InstanceId> {
        let i = match self.tree.as_ref()? {
            Index::Least(tree) => least_from(tree, from.index()),
            Index::WeightedLeast(tree) => least_from(tree, from.index()),
        };
        i.map(|i| InstanceId::new(i as u32))
    }

    /// An index with `ranking` over instances `0..counts.len()` with these counts, of which
    /// `routable` are in rotation, weighted by `weights` (1 where absent).
    #[cfg(test)]
    pub(crate) fn with(
        ranking: Ranking,
        counts: &[u32],
        routable: &[InstanceId],
        weights: &[u32],
    ) -> Self {
        let mut open = OpenConnections::new(ranking);
        for (i, &c) in counts.iter().enumerate() {
            let id = InstanceId::new(i as u32);
            open.ensure(id);
            open.set_weight(id, weights.get(i).copied().unwrap_or(1));
            open.set(id, c);
        }
        for &id in routable {
            open.set_routable(id, true);
        }
        open
    }
}

/// The first leaf of `tree` with the smallest rank, scanning from `from` and wrapping around;
/// `None` when every leaf is out of rotation.
#[inline]
fn least_from<K: Rank>(tree: &MinTree<K>, from: usize) -> Option<usize> {
    let min = tree.min();
    if min == K::OUT {
        return None;
    }
    tree.first_at_most(from, min)
        .or_else(|| tree.first_at_most(0, min))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[derive(Clone, Debug)]
    enum Op {
        Launch(u32),
        Inc(usize),
        Dec(usize),
        Set(usize, u32),
        Enter(usize),
        Leave(usize),
        Pick(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1u32..9).prop_map(Op::Launch),
            any::<usize>().prop_map(Op::Inc),
            any::<usize>().prop_map(Op::Dec),
            (any::<usize>(), 0u32..4).prop_map(|(i, c)| Op::Set(i, c)),
            any::<usize>().prop_map(Op::Enter),
            any::<usize>().prop_map(Op::Leave),
            any::<usize>().prop_map(Op::Pick),
            any::<usize>().prop_map(Op::Pick),
        ]
    }

    /// Runs `ops` against the index and checks every pick against the scan.
    fn agrees_with_the_scan(ranking: Ranking, ops: &[Op]) -> Result<(), TestCaseError> {
        let mut open = OpenConnections::new(ranking);
        let mut routable: Vec<InstanceId> = Vec::new();
        let mut launched = 0u32;
        let mut start = 0usize;
        for op in ops {
            let n = launched.max(1) as usize;
            let pick_id = move |i: usize| InstanceId::new((i % n) as u32);
            match *op {
                Op::Launch(weight) => {
                    let id = InstanceId::new(launched);
                    launched += 1;
                    open.ensure(id);
                    open.set_weight(id, weight);
                }
                _ if launched == 0 => {}
                Op::Inc(i) => open.inc(pick_id(i)),
                Op::Dec(i) if open.get(pick_id(i)) > 0 => open.dec(pick_id(i)),
                Op::Dec(i) => open.dec_saturating(pick_id(i)),
                Op::Set(i, c) => open.set(pick_id(i), c),
                Op::Enter(i) => {
                    let id = pick_id(i);
                    if let Err(at) = routable.binary_search(&id) {
                        routable.insert(at, id);
                    }
                    open.set_routable(id, true);
                }
                Op::Leave(i) => {
                    let id = pick_id(i);
                    routable.retain(|&r| r != id);
                    open.set_routable(id, false);
                }
                Op::Pick(_) if routable.is_empty() => {
                    prop_assert_eq!(open.least_from(InstanceId::new(0)), None);
                }
                Op::Pick(advance) => {
                    start = (start + advance % 3) % routable.len();
                    let want = open.least_by_scan(&routable, start);
                    prop_assert_eq!(open.least_from(routable[start]), Some(want));
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn least_connections_index_picks_what_the_scan_picks(
            ops in prop::collection::vec(op(), 1..300),
        ) {
            agrees_with_the_scan(Ranking::Least, &ops)?;
        }

        #[test]
        fn weighted_least_connections_index_picks_what_the_scan_picks(
            ops in prop::collection::vec(op(), 1..300),
        ) {
            agrees_with_the_scan(Ranking::WeightedLeast, &ops)?;
        }
    }

    #[test]
    fn ties_go_to_the_first_at_or_after_the_start_then_wrap() {
        let ids: Vec<InstanceId> = (0..6).map(InstanceId::new).collect();
        // Instances 1 and 4 share the least load; 3 is out of rotation with less.
        let routable = [ids[0], ids[1], ids[2], ids[4], ids[5]];
        let open = OpenConnections::with(Ranking::Least, &[3, 1, 2, 0, 1, 5], &routable, &[]);
        assert_eq!(open.least_from(ids[0]), Some(ids[1]));
        assert_eq!(open.least_from(ids[1]), Some(ids[1]));
        assert_eq!(open.least_from(ids[2]), Some(ids[4]));
        assert_eq!(open.least_from(ids[5]), Some(ids[1]), "wraps around");
    }

    #[test]
    fn weighted_scores_count_the_connection_about_to_open() {
        let ids: Vec<InstanceId> = (0..2).map(InstanceId::new).collect();
        // (7 + 1) / 8 = 1 > (0 + 1) / 2: the small one; (6 + 1) / 8 < (1 + 1) / 2: the large.
        let open = OpenConnections::with(Ranking::WeightedLeast, &[7, 0], &ids, &[8, 2]);
        assert_eq!(open.least_from(ids[0]), Some(ids[1]));
        let open = OpenConnections::with(Ranking::WeightedLeast, &[6, 1], &ids, &[8, 2]);
        assert_eq!(open.least_from(ids[1]), Some(ids[0]));
    }

    #[test]
    fn counts_are_kept_only_for_an_algorithm_that_reads_them() {
        let ids: Vec<InstanceId> = (0..3).map(InstanceId::new).collect();
        let kept = OpenConnections::with(Ranking::Counts, &[2, 0, 5], &ids, &[]);
        assert_eq!(
            ids.iter().map(|&id| kept.get(id)).collect::<Vec<_>>(),
            [2, 0, 5]
        );
        let unread = OpenConnections::with(Ranking::Unread, &[2, 0, 5], &ids, &[]);
        assert!(unread.counts.is_empty(), "{:?}", unread.counts);
        assert!(ids.iter().all(|&id| unread.is_routable(id)));
    }

    #[test]
    fn nothing_routable_has_no_least() {
        let open = OpenConnections::with(Ranking::Least, &[0, 0], &[], &[]);
        assert_eq!(open.least_from(InstanceId::new(0)), None);
    }
}
