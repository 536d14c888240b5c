//! The launched instances: a full record for each one that can still act, and a one-word trace
//! of each one that never will again.
//!
//! An autoscaled fleet launches and terminates instances all day; an instance id (its launch
//! number) is never reused, and outputs name instances by it. Keeping every record for the
//! whole run made memory grow with simulated time (a record is a few hundred bytes: queues,
//! lists, health-check state, counters). An instance is *retired* once nothing can reach its
//! record any more — terminated, or crashed and detected by the balancer's health checks — and
//! its slot goes to a later launch:
//!
//! ```text
//!   places (per id, 4 B)     records (per slot)          present (id order)
//!   id 0 ─► slot 0 ────────► [Instance, launched 1st]    (0, slot 0)
//!   id 1 ─► retired(crash)   [Instance, launched 3rd] ◄─ (2, slot 1)
//!   id 2 ─► slot 1 ──────────┘
//! ```
//!
//! A retired id keeps only how it stopped (`Stop`), which a session whose in-memory state was
//! there still needs to know why it is lost. Slots are private: everything outside addresses
//! instances by id, every iteration is in id order ([`Fleet::iter`]), so which slot a launch
//! gets changes no event order and no random stream. Side tables that are per instance but not
//! needed in outputs (the autoscaler's marks, database pools, rate-limit buckets) are indexed by
//! [`Fleet::slot`] and reset when a slot is reused.

use std::ops::{Index, IndexMut};

use crate::model::ids::InstanceId;
use crate::model::instance::{self, Instance, Life, Stop};

/// Where an id's record is: a slot, or, past [`Place::RETIRED`], the way a retired instance
/// stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place(u32);

impl Place {
    /// The first value that is not a slot: `RETIRED + stop code`.
    const RETIRED: u32 = u32::MAX - 2;

    fn retired(why: Stop) -> Place {
        Place(
            Self::RETIRED
                + match why {
                    Stop::Crash => 0,
                    Stop::ScaleIn => 1,
                    Stop::Deploy => 2,
                },
        )
    }

    fn slot(self) -> Option<usize> {
        (self.0 < Self::RETIRED).then_some(self.0 as usize)
    }

    fn stop(self) -> Option<Stop> {
        match self.0.checked_sub(Self::RETIRED)? {
            0 => Some(Stop::Crash),
            1 => Some(Stop::ScaleIn),
            _ => Some(Stop::Deploy),
        }
    }
}

/// Every launched instance, by id; records of retired ones reused.
///
/// Invariants: `places[id]` is a slot iff `id` is listed in `present` with that slot; the slots
/// of present ids are distinct and none of them is in `free`; `present` is sorted by id, and its
/// entries marked [`GONE`] (retired ids, `gone` of them) are never more than half.
#[derive(Debug, Default)]
pub(crate) struct Fleet {
    /// By slot: the record of the present instance there, or a retired one's, to be overwritten.
    records: Vec<Instance>,
    /// Slots of retired instances, for the next launches.
    free: Vec<u32>,
    /// By id: where its record is, or how it stopped.
    places: Vec<Place>,
    /// Ids not retired, in launch order, with their slots; and retired ones marked [`GONE`],
    /// until they are half the list and it is compacted. Taking an id out of the middle at
    /// once would shift everything after it: at 400,000 instances, 3 MB moved per retirement.
    present: Vec<(InstanceId, u32)>,
    /// Entries of `present` marked gone.
    gone: usize,
}

/// The slot of a retired id's entry in [`Fleet::present`].
const GONE: u32 = u32::MAX;

impl Fleet {
    /// Makes room for `additional` more launches without retiring any: a fleet launched whole
    /// grows its arrays once instead of doubling them (copying each time) on the way.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.records.reserve(additional);
        self.places.reserve(additional);
        self.present.reserve(additional);
    }

    /// Adds `record` as the next launch; returns its id and slot (a retired one's if any).
    pub(crate) fn launch(&mut self, record: Instance) -> (InstanceId, usize) {
        let id =
            InstanceId::new(u32::try_from(self.places.len()).expect("fewer than 2^32 launches"));
        let slot = match self.free.pop() {
            Some(slot) => {
                self.records[slot as usize] = record;
                slot
            }
            None => {
                let slot = u32::try_from(self.records.len())
                    .ok()
                    .filter(|&s| s < Place::RETIRED)
                    .expect("fewer than 2^32 - 2 instances at once");
                self.records.push(record);
                slot
            }
        };
        self.places.push(Place(slot));
        self.present.push((id, slot));
        (id, slot as usize)
    }

    /// Frees the record of `id`, which must be stopped and unreachable (nothing will look at
    /// its queues, lists or counters again), keeping only how it stopped.
    pub(crate) fn retire(&mut self, id: InstanceId) {
        let Some(slot) = self.slot(id) else {
            return;
        };
        let record = &mut self.records[slot];
        debug_assert!(matches!(record.life, Life::Terminated | Life::Dead));
        let why = record.stopped.unwrap_or(Stop::Crash);
        // Its buffers go now, not when the slot is next used.
        record.release_buffers();
        self.places[id.index()] = Place::retired(why);
        let at = self
            .present
            .binary_search_by_key(&id, |&(i, _)| i)
            .expect("a present id is listed");
        self.present[at].1 = GONE;
        self.gone += 1;
        if self.gone * 2 > self.present.len() {
            self.present.retain(|&(_, slot)| slot != GONE);
            self.gone = 0;
        }
        self.free.push(slot as u32);
    }

    /// The slot of `id`'s record, `None` once retired.
    #[inline]
    pub(crate) fn slot(&self, id: InstanceId) -> Option<usize> {
        self.places[id.index()].slot()
    }

    /// Starts loading into cache what looking up `id`, whose record is in `slot`, reads for a
    /// request: its place and the part of its record a request touches ([`instance::HOT`]
    /// bytes; see [`crate::engine::prefetch`]). Knowing the slot, the loads overlap instead of
    /// one waiting for the other.
    #[inline]
    pub(crate) fn prefetch(&self, id: InstanceId, slot: u32) {
        debug_assert_eq!(self.slot(id), Some(slot as usize));
        crate::engine::prefetch(self.places.as_ptr().wrapping_add(id.index()));
        crate::engine::prefetch_first(
            self.records.as_ptr().wrapping_add(slot as usize),
            instance::HOT,
        );
    }

    /// Starts loading `id`'s place, the first of the lookups of its record.
    #[inline]
    pub(crate) fn prefetch_place(&self, id: InstanceId) {
        crate::engine::prefetch(self.places.as_ptr().wrapping_add(id.index()));
    }

    /// `id`'s record, `None` once retired.
    #[inline]
    pub(crate) fn get(&self, id: InstanceId) -> Option<&Instance> {
        self.slot(id).map(|s| &self.records[s])
    }

    /// `id`'s record, `None` once retired.
    #[inline]
    pub(crate) fn get_mut(&mut self, id: InstanceId) -> Option<&mut Instance> {
        self.slot(id).map(|s| &mut self.records[s])
    }

    /// Why `id` stopped serving, retired or not (`None`: it has not).
    #[inline]
    pub(crate) fn stopped(&self, id: InstanceId) -> Option<Stop> {
        let place = self.places[id.index()];
        match place.slot() {
            Some(s) => self.records[s].stopped,
            None => place.stop(),
        }
    }

    /// Exists and is billed (a retired instance is not).
    pub(crate) fn is_live(&self, id: InstanceId) -> bool {
        self.get(id).is_some_and(Instance::is_live)
    }

    /// Instances launched so far, retired ones included.
    pub(crate) fn launched(&self) -> usize {
        self.places.len()
    }

    /// Slots in use or free: the size of a side table indexed by [`Fleet::slot`].
    pub(crate) fn slots(&self) -> usize {
        self.records.len()
    }

    /// The instances not retired from `from` on (its id and later ones), in id order.
    pub(crate) fn iter_from(
        &self,
        from: InstanceId,
    ) -> impl Iterator<Item = (InstanceId, &Instance)> + '_ {
        let start = self.present.partition_point(|&(id, _)| id < from);
        listed(&self.present[start..]).map(|(id, slot)| (id, &self.records[slot]))
    }

    /// The instances not retired, in id (launch) order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (InstanceId, &Instance)> + '_ {
        self.iter_slots().map(|(id, _, inst)| (id, inst))
    }

    /// [`Fleet::iter`] with each one's slot.
    pub(crate) fn iter_slots(&self) -> impl Iterator<Item = (InstanceId, usize, &Instance)> + '_ {
        listed(&self.present).map(|(id, slot)| (id, slot, &self.records[slot]))
    }
}

/// The ids of `present` not marked gone, with their slots.
fn listed(present: &[(InstanceId, u32)]) -> impl Iterator<Item = (InstanceId, usize)> + '_ {
    present
        .iter()
        .filter(|&&(_, slot)| slot != GONE)
        .map(|&(id, slot)| (id, slot as usize))
}

impl Index<InstanceId> for Fleet {
    type Output = Instance;

    /// The record of `id`, which must not be retired.
    #[inline]
    fn index(&self, id: InstanceId) -> &Instance {
        match self.slot(id) {
            Some(s) => &self.records[s],
            None => panic!("instance {} is retired", id.get()),
        }
    }
}

impl IndexMut<InstanceId> for Fleet {
    #[inline]
    fn index_mut(&mut self, id: InstanceId) -> &mut Instance {
        match self.slot(id) {
            Some(s) => &mut self.records[s],
            None => panic!("instance {} is retired", id.get()),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::engine::SimTime;
    use crate::scenario::GroupConfig;

    /// A record tagged with `tag` (its launch time, which nothing here changes).
    fn record(tag: u64) -> Instance {
        Instance::new(SimTime(tag), 0, 0, &GroupConfig::plain(1, 1, 0))
    }

    fn stop(fleet: &mut Fleet, id: InstanceId, why: Stop) {
        let r = &mut fleet[id];
        r.life = if why == Stop::Crash {
            Life::Dead
        } else {
            Life::Terminated
        };
        r.stopped = Some(why);
    }

    #[test]
    fn a_retired_id_keeps_how_it_stopped_and_its_slot_goes_to_the_next_launch() {
        let mut fleet = Fleet::default();
        let (a, slot_a) = fleet.launch(record(10));
        let (b, _) = fleet.launch(record(11));
        stop(&mut fleet, a, Stop::Deploy);
        fleet.retire(a);
        assert!(fleet.get(a).is_none());
        assert_eq!(fleet.stopped(a), Some(Stop::Deploy));
        assert!(!fleet.is_live(a));
        let (c, slot_c) = fleet.launch(record(12));
        assert_eq!(
            (a.get(), b.get(), c.get()),
            (0, 1, 2),
            "ids are launch numbers, never reused"
        );
        assert_eq!(slot_c, slot_a, "the retired slot is reused");
        assert_eq!(fleet[c].launched_at, SimTime(12));
        assert_eq!(fleet.stopped(c), None);
        let order: Vec<u32> = fleet.iter().map(|(id, _)| id.get()).collect();
        assert_eq!(order, [1, 2]);
        assert_eq!((fleet.launched(), fleet.slots()), (3, 2));
        let from = |n: u32| -> Vec<u32> {
            let start = InstanceId::new(n);
            fleet.iter_from(start).map(|(id, _)| id.get()).collect()
        };
        assert_eq!(
            from(0),
            [1, 2],
            "a retired start begins at the next present id"
        );
        assert_eq!(from(2), [2]);
        assert_eq!(from(3), [] as [u32; 0], "past the last launch: nothing");
    }

    #[derive(Clone, Debug)]
    enum Op {
        Launch,
        /// Retire the n-th present instance (modulo how many there are), stopped this way.
        Retire(usize, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => Just(Op::Launch),
            2 => (0usize..64, 0u8..3).prop_map(|(n, why)| Op::Retire(n, why)),
        ]
    }

    proptest! {
        /// Whatever the launches and retirements, a present id resolves to the record launched
        /// under it (never to a later launch in its reused slot), a retired id to nothing but
        /// how it stopped, present slots are distinct, iteration is in id order, and there are
        /// never more records than instances were ever present at once.
        #[test]
        fn slot_reuse_never_aliases_a_live_id(ops in proptest::collection::vec(op(), 1..200)) {
            let mut fleet = Fleet::default();
            // By id: how it stopped once retired.
            let mut model: Vec<Option<Stop>> = Vec::new();
            let mut peak = 0;
            for op in ops {
                match op {
                    Op::Launch => {
                        let (id, _) = fleet.launch(record(model.len() as u64));
                        prop_assert_eq!(id.index(), model.len());
                        model.push(None);
                    }
                    Op::Retire(n, why) => {
                        let present: Vec<usize> =
                            (0..model.len()).filter(|&i| model[i].is_none()).collect();
                        if present.is_empty() {
                            continue;
                        }
                        let id = InstanceId::new(present[n % present.len()] as u32);
                        let why = [Stop::Crash, Stop::ScaleIn, Stop::Deploy][why as usize];
                        stop(&mut fleet, id, why);
                        fleet.retire(id);
                        model[id.index()] = Some(why);
                    }
                }
                prop_assert_eq!(fleet.launched(), model.len());
                let mut slots = Vec::new();
                for (i, gone) in model.iter().enumerate() {
                    let id = InstanceId::new(i as u32);
                    match gone {
                        None => {
                            prop_assert_eq!(fleet[id].launched_at, SimTime(i as u64));
                            slots.push(fleet.slot(id).unwrap());
                        }
                        Some(why) => {
                            prop_assert!(fleet.get(id).is_none());
                            prop_assert_eq!(fleet.stopped(id), Some(*why));
                        }
                    }
                }
                let listed: Vec<usize> = fleet.iter().map(|(id, _)| id.index()).collect();
                let expected: Vec<usize> =
                    (0..model.len()).filter(|&i| model[i].is_none()).collect();
                prop_assert_eq!(listed, expected);
                let n = slots.len();
                slots.sort_unstable();
                slots.dedup();
                prop_assert_eq!(slots.len(), n, "two present ids share a slot");
                peak = peak.max(n);
                prop_assert_eq!(fleet.slots(), peak, "records grow only with the peak present");
            }
        }
    }
}
