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
//! census takes the difference. Debug builds check the counts against a scan at every use.

use crate::model::instance::{Instance, Life};

/// What one instance contributes to the census.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Mark {
    group: u32,
    /// Counts toward its group's desired size: booting or up, or crashed and not yet noticed by
    /// the balancer when the platform replaces crashed instances (it still holds its place).
    holds_place: bool,
    /// Holds its place and runs its group's current release.
    current: bool,
    /// Up and in rotation.
    ready: bool,
    /// Booting or up, and never in rotation yet.
    unready: bool,
    /// Unready and on its group's current release.
    unready_current: bool,
    booting: bool,
    draining: bool,
}

impl Mark {
    /// The mark of `inst`, in rotation or not, in a group whose release is now `version`;
    /// `replace`: the platform replaces crashed instances.
    pub(super) fn of(inst: &Instance, routable: bool, version: u32, replace: bool) -> Mark {
        let undetected = replace && inst.life == Life::Dead && routable;
        let holds_place = inst.is_active() || undetected;
        let unready = inst.is_active() && inst.ready_at.get().is_none();
        Mark {
            group: inst.group,
            holds_place,
            current: holds_place && inst.version == version,
            ready: inst.life == Life::Up && routable,
            unready,
            unready_current: unready && inst.version == version,
            booting: inst.life == Life::Booting,
            draining: inst.life == Life::Draining,
        }
    }
}

/// One group's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct GroupCount {
    /// Instances holding a place in the group (see [`Mark`]).
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
        self.apply(mark, 1);
    }

    /// An instance with `mark` leaves the fleet.
    pub(super) fn remove(&mut self, mark: Mark) {
        self.apply(mark, -1);
    }

    /// An instance's mark changed from `before` to `after`.
    pub(super) fn change(&mut self, before: Mark, after: Mark) {
        if before != after {
            self.remove(before);
            self.add(after);
        }
    }

    /// Group `g` moves to a release no instance runs yet.
    pub(super) fn new_release(&mut self, g: usize) {
        self.groups[g].current = 0;
        self.groups[g].unready_current = 0;
    }

    fn apply(&mut self, mark: Mark, by: i32) {
        let step = |count: &mut u32, on: bool| {
            if on {
                *count = count
                    .checked_add_signed(by)
                    .expect("a census count stays within 0..2^32");
            }
        };
        let g = &mut self.groups[mark.group as usize];
        step(&mut g.holding, mark.holds_place);
        step(&mut g.current, mark.current);
        step(&mut g.ready, mark.ready);
        step(&mut g.unready, mark.unready);
        step(&mut g.unready_current, mark.unready_current);
        step(&mut self.booting, mark.booting);
        step(&mut self.draining, mark.draining);
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
        assert!(Mark::of(&dead, true, 0, true).holds_place);
        assert!(!Mark::of(&dead, false, 0, true).holds_place);
        assert!(!Mark::of(&dead, true, 0, false).holds_place);
        let draining = instance(0, 0, Life::Draining);
        assert!(!Mark::of(&draining, true, 0, true).holds_place);
        assert!(Mark::of(&draining, false, 0, true).draining);
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
        assert!(!old.current);
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
