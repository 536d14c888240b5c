//! Counts of the fleet's instances by the states the platform and the report ask about, kept
//! up to date as instances change instead of counted by a scan of the fleet each time.
//!
//! The platform reconciles a group after every detected crash, scale action and deploy step, and
//! the report closes a window every `report.window`: each needs how many instances hold a place
//! in the group, run its current release, are ready, boot or drain. Counted by a scan, each such
//! moment cost a pass over every instance record — at 400,000 instances a few milliseconds, for
//! every window and every detected crash. Here each change of an instance's state moves it from
//! one count to another: the simulation computes an instance's [`Mark`] before and after
//! anything that can change it (its life, its place in rotation, its group's release) and the
//! census takes the difference. The initial fleet is the exception: each of its instances goes
//! through launch, boot and rotation before the run starts, so it is counted once by a scan
//! when it is complete rather than followed through those changes. Debug builds check the
//! counts against a scan at every use.

use crate::model::instance::{Instance, Life};

/// What one instance contributes to the census: its group, and one bit for each count it is
/// in. A change of mark then moves only the counts whose bit differs (usually one or two), and
/// two marks compare as one integer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Mark {
    group: u32,
    counts: u8,
}

/// Counts toward its group's desired size: booting or up, or crashed and not yet noticed by the
/// balancer when the platform replaces crashed instances (it still holds its place).
const HOLDS_PLACE: u8 = 1 << 0;
/// Holds its place and runs its group's current release.
const CURRENT: u8 = 1 << 1;
/// Up and in rotation.
const READY: u8 = 1 << 2;
/// Booting or up, and never in rotation yet.
const UNREADY: u8 = 1 << 3;
/// Unready and on its group's current release.
const UNREADY_CURRENT: u8 = 1 << 4;
const BOOTING: u8 = 1 << 5;
const DRAINING: u8 = 1 << 6;

impl Mark {
    /// The mark of `inst`, in rotation or not, in a group whose release is now `version`;
    /// `replace`: the platform replaces crashed instances.
    #[inline]
    pub(super) fn of(inst: &Instance, routable: bool, version: u32, replace: bool) -> Mark {
        let undetected = replace && inst.life == Life::Dead && routable;
        let holds_place = inst.is_active() || undetected;
        let unready = inst.is_active() && inst.ready_at.get().is_none();
        let on_current = inst.version == version;
        let bit = |on: bool, count: u8| if on { count } else { 0 };
        Mark {
            group: inst.group,
            counts: bit(holds_place, HOLDS_PLACE)
                | bit(holds_place && on_current, CURRENT)
                | bit(inst.life == Life::Up && routable, READY)
                | bit(unready, UNREADY)
                | bit(unready && on_current, UNREADY_CURRENT)
                | bit(inst.life == Life::Booting, BOOTING)
                | bit(inst.life == Life::Draining, DRAINING),
        }
    }

    #[cfg(test)]
    fn is(self, bit: u8) -> bool {
        self.counts & bit != 0
    }
}

/// One group's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct GroupCount {
    /// Instances holding a place in the group (see [`HOLDS_PLACE`]).
    pub(super) holding: u32,
    /// Of those, the ones on the group's current release.
    pub(super) current: u32,
    /// Instances up and in rotation.
    pub(super) ready: u32,
    /// Instances booting or up that have never been in rotation.
    pub(super) unready: u32,
    /// Of those, the ones on the group's current release.
    pub(super) unready_current: u32,
}

impl GroupCount {
    /// Instances holding a place on an older release than the group's current one.
    pub(super) fn old(&self) -> u32 {
        self.holding - self.current
    }

    /// Unready instances on an older release.
    pub(super) fn unready_old(&self) -> u32 {
        self.unready - self.unready_current
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(super) struct Census {
    groups: Vec<GroupCount>,
    booting: u32,
    draining: u32,
}

impl Census {
    pub(super) fn new(groups: usize) -> Census {
        Census {
            groups: vec![GroupCount::default(); groups],
            booting: 0,
            draining: 0,
        }
    }

    pub(super) fn group(&self, g: usize) -> GroupCount {
        self.groups[g]
    }

    pub(super) fn booting(&self) -> u32 {
        self.booting
    }

    pub(super) fn draining(&self) -> u32 {
        self.draining
    }

    /// An instance with `mark` joins the fleet.
    pub(super) fn add(&mut self, mark: Mark) {
        self.apply(mark.group, mark.counts, 1);
    }

    /// An instance with `mark` leaves the fleet.
    pub(super) fn remove(&mut self, mark: Mark) {
        self.apply(mark.group, mark.counts, -1);
    }

    /// An instance's mark changed from `before` to `after`: within a group, only the counts
    /// it entered or left move.
    #[inline]
    pub(super) fn change(&mut self, before: Mark, after: Mark) {
        if before.group == after.group {
            let moved = before.counts ^ after.counts;
            if moved != 0 {
                self.apply(before.group, before.counts & moved, -1);
                self.apply(after.group, after.counts & moved, 1);
            }
        } else {
            self.remove(before);
            self.add(after);
        }
    }

    /// Group `g` moves to a release no instance runs yet.
    pub(super) fn new_release(&mut self, g: usize) {
        self.groups[g].current = 0;
        self.groups[g].unready_current = 0;
    }

    /// Moves each count of group `group` whose bit is set in `counts` by `by`.
    #[inline]
    fn apply(&mut self, group: u32, mut counts: u8, by: i32) {
        let Census {
            groups,
            booting,
            draining,
        } = self;
        let g = &mut groups[group as usize];
        while counts != 0 {
            let bit = counts & counts.wrapping_neg();
            counts ^= bit;
            let count = match bit {
                HOLDS_PLACE => &mut g.holding,
                CURRENT => &mut g.current,
                READY => &mut g.ready,
                UNREADY => &mut g.unready,
                UNREADY_CURRENT => &mut g.unready_current,
                BOOTING => &mut *booting,
                _ => &mut *draining,
            };
            *count = count
                .checked_add_signed(by)
                .expect("a census count stays within 0..2^32");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;
    use crate::model::instance::Moment;
    use crate::scenario::GroupConfig;

    fn instance(group: u32, version: u32, life: Life) -> Instance {
        let config = GroupConfig::plain(1, 1, 0);
        let mut inst = Instance::new(SimTime::ZERO, version, group, &config);
        inst.life = life;
        inst
    }

    #[test]
    fn a_crashed_instance_holds_its_place_only_until_the_balancer_notices_and_only_if_replaced() {
        let dead = instance(0, 0, Life::Dead);
        assert!(Mark::of(&dead, true, 0, true).is(HOLDS_PLACE));
        assert!(!Mark::of(&dead, false, 0, true).is(HOLDS_PLACE));
        assert!(!Mark::of(&dead, true, 0, false).is(HOLDS_PLACE));
        let draining = instance(0, 0, Life::Draining);
        assert!(!Mark::of(&draining, true, 0, true).is(HOLDS_PLACE));
        assert!(Mark::of(&draining, false, 0, true).is(DRAINING));
    }

    #[test]
    fn a_change_of_mark_leaves_the_counts_of_removing_one_and_adding_the_other() {
        // Every pair of marks, within a group and across two: moving only the counts whose bit
        // differs must come to what taking the first out and putting the second in does.
        let all = DRAINING << 1;
        for (from, to) in [(0, 0), (0, 1)] {
            for a in 0..all {
                for b in 0..all {
                    let before = Mark {
                        group: from,
                        counts: a,
                    };
                    let after = Mark {
                        group: to,
                        counts: b,
                    };
                    let mut changed = Census::new(2);
                    changed.add(before);
                    changed.change(before, after);
                    let mut fresh = Census::new(2);
                    fresh.add(after);
                    assert_eq!(changed, fresh, "{before:?} → {after:?}");
                }
            }
        }
    }

    #[test]
    fn counts_follow_each_change_of_mark() {
        let mut census = Census::new(2);
        let booting = Mark::of(&instance(1, 3, Life::Booting), false, 3, true);
        census.add(booting);
        assert_eq!(census.booting(), 1);
        let expected = GroupCount {
            holding: 1,
            current: 1,
            ready: 0,
            unready: 1,
            unready_current: 1,
        };
        assert_eq!(census.group(1), expected);
        // Up, then in rotation for the first time.
        let mut inst = instance(1, 3, Life::Up);
        let up = Mark::of(&inst, false, 3, true);
        census.change(booting, up);
        assert_eq!((census.booting(), census.group(1)), (0, expected));
        inst.ready_at = Moment::at(SimTime(5));
        let ready = Mark::of(&inst, true, 3, true);
        census.change(up, ready);
        let expected = GroupCount {
            ready: 1,
            unready: 0,
            unready_current: 0,
            ..expected
        };
        assert_eq!(census.group(1), expected);
        assert_eq!(census.group(0), GroupCount::default());
        // A deploy: no instance runs the new release, and every mark is taken against it.
        census.new_release(1);
        let old = Mark::of(&inst, true, 4, true);
        assert!(!old.is(CURRENT));
        assert_eq!(
            (census.group(1).old(), census.group(1).unready_old()),
            (1, 0)
        );
        inst.life = Life::Draining;
        let draining = Mark::of(&inst, false, 4, true);
        census.change(old, draining);
        assert_eq!(census.draining(), 1);
        assert_eq!(census.group(1).old(), 0);
        census.remove(draining);
        assert_eq!(census.draining(), 0);
        assert_eq!(census.group(1), GroupCount::default());
    }
}
