//! Operations and faults from the scenario's timeline, and random crashes: scale, deploy,
//! crash, Redis outages and slowdowns, gray failure, balancer failure, revocation.

use std::cmp::Reverse;

use super::*;

impl Simulation<'_> {
    pub(super) fn scheduled(&mut self, index: usize) {
        let action = self.scenario.events[index].action.clone();
        let group = self.scenario.events[index].group;
        match action {
            Action::Crash { count, pick } => {
                let victims = self.pick_instances(pick, count, group);
                let affected = self.sessions_on(&victims);
                let instances = victims.iter().map(|v| v.get()).collect();
                self.recorder
                    .event(self.now, TimelineEvent::Crash { instances }, affected);
                for id in victims {
                    self.crash(id);
                }
            }
            Action::Scale { to } => {
                let before: Vec<InstanceId> = self.active_ids().collect();
                self.set_desired(group.unwrap_or(0), to);
                // Sessions whose state or pin was on an instance this scale-in drained.
                let drained: Vec<InstanceId> = before
                    .into_iter()
                    .filter(|&id| !self.instances[id].is_active())
                    .collect();
                let affected = self.sessions_on(&drained);
                self.recorder
                    .event(self.now, TimelineEvent::Scale { to }, affected);
            }
            Action::RollingDeploy {
                max_surge,
                max_unavailable,
            } => {
                let old: Vec<InstanceId> = self
                    .active_ids()
                    .filter(|&id| group.is_none_or(|g| self.instances[id].group == g))
                    .collect();
                let affected = self.sessions_on(&old);
                self.recorder.event(
                    self.now,
                    TimelineEvent::RollingDeploy {
                        max_surge,
                        max_unavailable,
                    },
                    affected,
                );
                for g in 0..self.groups.len() {
                    if group.is_none_or(|only| only as usize == g) {
                        self.version[g] += 1;
                        self.census.new_release(g);
                        self.deploy_from[g] = 0;
                        self.deploy[g] = Some(Deploy {
                            max_surge,
                            max_unavailable,
                        });
                    }
                }
                self.reconcile(LaunchCause::Deploy);
            }
            Action::RedisOutage {
                duration,
                data_loss,
            } => {
                let affected = self.sessions.len() as u64;
                self.recorder.event(
                    self.now,
                    TimelineEvent::RedisOutage {
                        duration,
                        data_loss,
                    },
                    affected,
                );
                self.redis.outage(self.now, self.now + duration, data_loss);
                self.jobs_outage(self.now + duration, data_loss);
            }
            Action::RedisSlowdown { factor, duration } => {
                self.recorder.event(
                    self.now,
                    TimelineEvent::RedisSlowdown { factor, duration },
                    0,
                );
                self.redis.slowdown(self.now, self.now + duration, factor);
            }
            Action::SlowInstance {
                factor,
                duration,
                pick,
            } => {
                let victim = self.pick_instances(pick, 1, group).pop();
                let affected = victim.map_or(0, |v| self.sessions_on(&[v]));
                let slow = TimelineEvent::SlowInstance {
                    instance: victim.map(|id| id.get()),
                    factor,
                    duration,
                };
                self.recorder.event(self.now, slow, affected);
                if let Some(id) = victim {
                    let inst = &mut self.instances[id];
                    let x = inst.extra_mut();
                    x.slow_until = self.now + duration;
                    x.slow_factor = factor;
                }
            }
            Action::LbFailure => self.balancer_failure(),
            Action::Revoke { sessions } => self.revoke(sessions),
        }
    }

    /// The desired count of `group` changes (a `scale` event or the autoscaler).
    pub(super) fn set_desired(&mut self, group: u32, to: u32) {
        let g = group as usize;
        if to != self.desired[g] {
            self.recorder.scale_action(self.now, self.desired[g], to);
        }
        let cause = if to > self.desired[g] {
            LaunchCause::ScaleOut
        } else {
            LaunchCause::Replacement
        };
        self.desired[g] = to;
        self.reconcile(cause);
    }

    pub(super) fn active_ids(&self) -> impl Iterator<Item = InstanceId> + '_ {
        self.instances
            .iter()
            .filter(|(_, i)| i.is_active())
            .map(|(id, _)| id)
    }

    /// The active balancer dies. Connections through it are reset; traffic resumes when the
    /// standby has taken over, or never without one.
    pub(super) fn balancer_failure(&mut self) {
        let now = self.now;
        let until = match &self.scenario.balancer.standby {
            Some(standby) => {
                let t = now + standby.failover;
                if t < self.end {
                    self.queue.push(t, Event::BalancerUp);
                }
                t
            }
            None => SimTime::MAX,
        };
        let fails = TimelineEvent::BalancerFails {
            standby: self.scenario.balancer.standby.as_ref().map(|s| s.failover),
        };
        self.recorder.event(now, fails, self.sessions.len() as u64);
        self.balancer_down_until = Some(until);
        let mut reset = std::mem::take(&mut self.scratch);
        reset.clear();
        reset.extend(
            self.requests
                .iter()
                .filter(|(_, _, r)| r.client_waiting)
                .map(|(slot, generation, _)| RequestRef { slot, generation }),
        );
        for &r in &reset {
            // The instance does not know and serves it anyway; the client has lost it.
            self.client_gives_up(r, Cause::BalancerDown);
        }
        self.scratch = reset;
        self.reset_links();
    }

    pub(super) fn balancer_up(&mut self) {
        self.balancer_down_until = None;
        self.recorder
            .event(self.now, TimelineEvent::StandbyServing, 0);
    }

    /// `count` logged-in sessions, chosen at random, log out (or have their credentials
    /// revoked). Server-side state is deleted at once; a signed token stays valid until it
    /// expires, which is the exposure reported.
    pub(super) fn revoke(&mut self, count: u32) {
        let now = self.now;
        let mut candidates: Vec<SessionRef> = self
            .sessions
            .iter()
            .filter(|(_, _, s)| s.logged_in && !s.revoked)
            .map(|(slot, generation, _)| SessionRef { slot, generation })
            .collect();
        let n = (count as usize).min(candidates.len());
        // A partial Fisher–Yates shuffle: the first `n` are a uniform sample.
        for i in 0..n {
            let j = self.fault_rng.random_range(i..candidates.len());
            candidates.swap(i, j);
        }
        let jwt = self.scenario.sessions.store == SessionStore::Jwt;
        for r in &candidates[..n] {
            let s = self
                .sessions
                .get_mut(r.slot, r.generation)
                .expect("collected from the live set");
            s.revoked = true;
            let exposure = if jwt {
                s.token_expiry.saturating_since(now)
            } else {
                SimDuration::ZERO
            };
            self.recorder.revoked(exposure);
        }
        let sessions = n as u64;
        self.recorder
            .event(now, TimelineEvent::Revoke { sessions }, sessions);
    }

    /// Random crashes begin: every live instance gets its time to failure.
    pub(super) fn mtbf_start(&mut self) {
        let live: Vec<InstanceId> = self
            .instances
            .iter()
            .filter(|(_, i)| i.is_live())
            .map(|(id, _)| id)
            .collect();
        for id in live {
            self.schedule_failure(id);
        }
    }

    /// Draws when `id` will crash: exponential with mean `mtbf`, from the instance's own
    /// stream, so a fleet's size does not change the others' failure times.
    pub(super) fn schedule_failure(&mut self, id: InstanceId) {
        let Some(mtbf) = &self.scenario.mtbf else {
            return;
        };
        let mut rng = stream(self.scenario.seed, MTBF_STREAM, u64::from(id.get()));
        let draw: f64 = Exp1.sample(&mut rng);
        let after = SimDuration::from_nanos_f64(draw * mtbf.mean.as_nanos() as f64);
        let at = self.now + after;
        if at < self.end {
            self.queue.push(at, Event::MtbfCrash(id));
        }
    }

    pub(super) fn mtbf_crash(&mut self, id: InstanceId) {
        if !self.instances.is_live(id) {
            return;
        }
        let affected = self.sessions_on(&[id]);
        self.recorder.event(
            self.now,
            TimelineEvent::RandomCrash { instance: id.get() },
            affected,
        );
        self.crash(id);
    }

    /// Chooses up to `count` live instances, of `group` if given: each pick among the live
    /// instances the picks before it left, the victims in the order they are picked.
    ///
    /// One pass over the fleet for the whole event, not one per victim: the picks change no
    /// instance, so the busiest `count` are the first `count` by load (the oldest first among
    /// equals), the oldest are the first `count` in id order, and random picks draw, one after
    /// another, from the list of live instances with the picked ones taken out (an
    /// order-statistics tree: O(log n) a pick, the same draws and victims as drawing from the
    /// shortened list). O(n + count·log n) for a fleet of `n`, where picking each victim with
    /// a pass over the fleet that skipped the ones already picked cost O(count²·n).
    pub(super) fn pick_instances(
        &mut self,
        pick: Pick,
        count: u32,
        group: Option<u32>,
    ) -> Vec<InstanceId> {
        #[cfg(debug_assertions)]
        let expected = self.pick_one_by_one(pick, count, group);
        let victims = self.pick_in_one_pass(pick, count, group);
        #[cfg(debug_assertions)]
        assert_eq!(victims, expected, "{pick:?} × {count}, group {group:?}");
        victims
    }

    /// [`Simulation::pick_instances`] itself.
    fn pick_in_one_pass(&mut self, pick: Pick, count: u32, group: Option<u32>) -> Vec<InstanceId> {
        let eligible = |inst: &Instance| inst.is_up() && group.is_none_or(|g| inst.group == g);
        let count = count as usize;
        let mut candidates = self
            .instances
            .iter()
            .filter(|(_, inst)| eligible(inst))
            .map(|(id, _)| id);
        match pick {
            // Looked up, not searched for: a pick by index costs the same in any fleet. It
            // names one instance, which a second pick finds taken.
            Pick::Index(n) => {
                let found = ((n as usize) < self.instances.launched())
                    .then(|| InstanceId::new(n))
                    .filter(|&id| self.instances.get(id).is_some_and(eligible));
                debug_assert_eq!(found, candidates.find(|id| id.get() == n));
                found.into_iter().take(count).collect()
            }
            // Ids are launch numbers and time never goes back: id order is launch order.
            Pick::Oldest => candidates.take(count).collect(),
            // The first of equals wins, so ties go to the oldest.
            Pick::Busiest => {
                let mut loads: Vec<(Reverse<u32>, InstanceId)> = candidates
                    .map(|id| (Reverse(self.instances[id].load()), id))
                    .collect();
                if loads.len() > count {
                    loads.select_nth_unstable(count);
                    loads.truncate(count);
                }
                loads.sort_unstable();
                loads.into_iter().map(|(_, id)| id).collect()
            }
            Pick::Random => {
                let ids: Vec<InstanceId> = candidates.collect();
                let mut left = Remaining::new(ids.len());
                let mut victims = Vec::with_capacity(count.min(ids.len()));
                while victims.len() < count && left.len() > 0 {
                    let nth = self.fault_rng.random_range(0..left.len());
                    victims.push(ids[left.take(nth)]);
                }
                victims
            }
        }
    }

    /// The victims as picked one at a time, each by a pass over the fleet that skips those
    /// picked before it, from a copy of the faults' stream (debug builds check
    /// [`Simulation::pick_instances`] against it).
    #[cfg(debug_assertions)]
    fn pick_one_by_one(&self, pick: Pick, count: u32, group: Option<u32>) -> Vec<InstanceId> {
        let mut rng = self.fault_rng.clone();
        let mut victims: Vec<InstanceId> = Vec::new();
        for _ in 0..count {
            let mut candidates = self.instances.iter().filter(|(id, inst)| {
                inst.is_up() && group.is_none_or(|g| inst.group == g) && !victims.contains(id)
            });
            let found = match pick {
                Pick::Index(n) => candidates.find(|(id, _)| id.get() == n).map(|c| c.0),
                // By definition: the earliest launched, ties to the lowest index.
                Pick::Oldest => candidates
                    .min_by_key(|(id, inst)| (inst.launched_at, *id))
                    .map(|c| c.0),
                Pick::Busiest => candidates
                    .fold(None, |best, (id, inst)| match best {
                        Some((_, b)) if b >= inst.load() => best,
                        _ => Some((id, inst.load())),
                    })
                    .map(|c| c.0),
                Pick::Random => {
                    let ids: Vec<InstanceId> = candidates.map(|c| c.0).collect();
                    (!ids.is_empty()).then(|| ids[rng.random_range(0..ids.len())])
                }
            };
            match found {
                Some(id) => victims.push(id),
                None => break,
            }
        }
        victims
    }

    /// Live sessions whose state or sticky pin is on one of `ids`: those whose state is there
    /// (counted per instance), and those pinned there whose state is elsewhere (from each
    /// instance's list of pinned sessions). Costs what these instances hold, not a scan of every
    /// session.
    pub(super) fn sessions_on(&mut self, ids: &[InstanceId]) -> u64 {
        // 0: not one of `ids`; 1: one of them; 2: one of them, already counted.
        let mut marks = std::mem::take(&mut self.marks);
        marks.resize(self.instances.slots(), 0);
        let slot = |id: InstanceId| self.instances.slot(id).expect("a live instance is present");
        for &id in ids {
            marks[slot(id)] = 1;
        }
        let mut count = 0;
        for &id in ids {
            if marks[slot(id)] != 1 {
                continue;
            }
            marks[slot(id)] = 2;
            let inst = &self.instances[id];
            // A retired instance is none of `ids`.
            let elsewhere = |s: &Session| {
                s.home
                    .is_none_or(|h| self.instances.slot(h).is_none_or(|k| marks[k] == 0))
            };
            count += u64::from(inst.homes);
            count += self
                .sessions
                .chain(inst.pinned)
                .filter(|(_, _, s)| elsewhere(s))
                .count() as u64;
        }
        for &id in ids {
            marks[slot(id)] = 0;
        }
        self.marks = marks;
        count
    }
}

/// The positions `0..n` of a list, with some taken out: which one is the `k`-th of those left,
/// in O(log n), without shifting the list (a Fenwick tree of counts, searched from the top).
///
/// Invariant: `tree[i]` (1-based) counts the positions left in `(i − lowbit(i), i]`.
struct Remaining {
    tree: Vec<u32>,
    left: usize,
}

impl Remaining {
    /// All of `0..n` left. O(n).
    fn new(n: usize) -> Remaining {
        let mut tree = vec![0u32; n + 1];
        for i in 1..=n {
            tree[i] += 1;
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                tree[parent] += tree[i];
            }
        }
        Remaining { tree, left: n }
    }

    fn len(&self) -> usize {
        self.left
    }

    /// Takes out the `k`-th position left (from 0) and returns it; `k < len()`.
    fn take(&mut self, k: usize) -> usize {
        assert!(k < self.left, "position {k} of {} left", self.left);
        let n = self.tree.len() - 1;
        // Descend: find the largest prefix end `at` holding at most `k` positions left; the
        // position wanted is the next one.
        let mut at = 0;
        let mut rest = k as u32;
        let mut step = n.checked_ilog2().map_or(0, |b| 1usize << b);
        while step > 0 {
            let next = at + step;
            if next <= n && self.tree[next] <= rest {
                at = next;
                rest -= self.tree[next];
            }
            step /= 2;
        }
        let found = at + 1;
        let mut i = found;
        while i <= n {
            self.tree[i] -= 1;
            i += i & i.wrapping_neg();
        }
        self.left -= 1;
        found - 1
    }
}

#[cfg(test)]
mod tests {
    use super::Remaining;
    use proptest::prelude::*;

    proptest! {
        /// Taking positions out of the tree gives what removing them from a list gives.
        #[test]
        fn remaining_takes_what_a_shrinking_list_would(
            n in 0usize..300,
            draws in proptest::collection::vec(any::<prop::sample::Index>(), 0..300),
        ) {
            let mut list: Vec<usize> = (0..n).collect();
            let mut tree = Remaining::new(n);
            for d in draws {
                if list.is_empty() {
                    break;
                }
                let k = d.index(list.len());
                prop_assert_eq!(tree.take(k), list.remove(k));
                prop_assert_eq!(tree.len(), list.len());
            }
        }
    }
}
