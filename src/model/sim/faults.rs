//! Operations and faults from the scenario's timeline, and random crashes: scale, deploy,
//! crash, Redis outages and slowdowns, gray failure, balancer failure, revocation.

use super::*;

impl Simulation<'_> {
    pub(super) fn scheduled(&mut self, index: usize) {
        let action = self.scenario.events[index].action.clone();
        let group = self.scenario.events[index].group;
        match action {
            Action::Crash { count, pick } => {
                let mut victims = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    match self.pick_instance(pick, &victims, group) {
                        Some(id) => victims.push(id),
                        None => break,
                    }
                }
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
                let victim = self.pick_instance(pick, &[], group);
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

    /// Chooses a live instance not already in `taken`, of `group` if given.
    pub(super) fn pick_instance(
        &mut self,
        pick: Pick,
        taken: &[InstanceId],
        group: Option<u32>,
    ) -> Option<InstanceId> {
        let eligible = |id: &InstanceId, inst: &Instance| {
            inst.is_up() && group.is_none_or(|g| inst.group == g) && !taken.contains(id)
        };
        let mut candidates = self
            .instances
            .iter()
            .filter(|(id, inst)| eligible(id, inst));
        match pick {
            // Looked up, not searched for: a pick by index costs the same in any fleet.
            Pick::Index(n) => {
                let found = ((n as usize) < self.instances.launched())
                    .then(|| InstanceId::new(n))
                    .filter(|&id| self.instances.get(id).is_some_and(|i| eligible(&id, i)));
                debug_assert_eq!(found, candidates.find(|(id, _)| id.get() == n).map(|c| c.0));
                found
            }
            // Ids are launch numbers and time never goes back, so the first candidate in id
            // order was launched first.
            Pick::Oldest => {
                let first = candidates.next().map(|(id, inst)| (id, inst.launched_at));
                debug_assert!(first.is_none_or(|(id, at)| self
                    .instances
                    .iter()
                    .filter(|(i, inst)| eligible(i, inst))
                    .all(|(i, inst)| (at, id) <= (inst.launched_at, i))));
                first.map(|(id, _)| id)
            }
            // The first of equals wins, so ties go to the oldest.
            Pick::Busiest => candidates
                .fold(
                    None,
                    |best: Option<(InstanceId, u32)>, (id, inst)| match best {
                        Some((_, load)) if load >= inst.load() => best,
                        _ => Some((id, inst.load())),
                    },
                )
                .map(|(id, _)| id),
            Pick::Random => {
                let ids: Vec<InstanceId> = candidates.map(|(id, _)| id).collect();
                if ids.is_empty() {
                    None
                } else {
                    Some(ids[self.fault_rng.random_range(0..ids.len())])
                }
            }
        }
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
