//! The fleet's lifecycle: launch, boot, rotation and health checks, crash, drain, termination,
//! and reconciling the fleet with its desired size (rolling deploys step forward here).

use super::*;

/// Where instance `n` stands in the scale-in order under `pick`: smaller keys go first. One
/// still booting (it never served) before any serving one, then by `pick`, then the higher
/// index (the key is distinct for every instance, so the order is total and deterministic).
fn scale_in_key(pick: ScaleInPick, n: usize, i: &Instance) -> (bool, u64, usize) {
    let serving = i.life != Life::Booting;
    let order = match pick {
        ScaleInPick::Newest => u64::MAX - i.launched_at.0,
        ScaleInPick::Oldest => i.launched_at.0,
        ScaleInPick::LeastLoaded => u64::from(i.load()),
    };
    (serving, order, usize::MAX - n)
}

impl Simulation<'_> {
    /// Adds an instance. It boots for `boot_time` unless it is part of the initial fleet, which
    /// was running before the run (`booting: false`: the caller brings it up at once).
    pub(super) fn launch(&mut self, group: u32, booting: bool, cause: LaunchCause) -> InstanceId {
        let now = self.now;
        let g = &self.groups[group as usize];
        let (id, slot) =
            self.instances
                .launch(Instance::new(now, self.version[group as usize], group, g));
        self.balancer.set_weight(id, g.weight);
        if self.census_kept {
            self.census.add(self.mark(id));
        }
        if booting {
            self.queue
                .push(now + self.scenario.instances.boot_time, Event::Booted(id));
        }
        if let Some(db) = &mut self.database {
            db.launched(slot);
        }
        if let Some(limiter) = &mut self.limiter {
            limiter.launched(slot);
        }
        if let Some(scaler) = &mut self.scaler {
            scaler.launched(slot);
        }
        if self.scenario.mtbf.as_ref().is_some_and(|m| now >= m.from) {
            self.schedule_failure(id);
        }
        self.alive += 1;
        self.recorder.instance_launched_by(cause);
        self.recorder.alive(now, self.alive);
        // Stagger health checks so that instances are not all probed at the same instant.
        // The phase is a thousandth-step fraction of the interval, computed wide: an interval
        // of thousands of hours times 999 does not fit in 64 bits.
        let interval = self.scenario.balancer.health_check.interval.as_nanos();
        let step = u128::from(u64::from(id.get()).wrapping_mul(0x9E37_79B9) % 1000);
        let phase = (step * u128::from(interval) / 1000) as u64;
        self.queue.push(
            now + SimDuration(interval.saturating_add(phase)),
            Event::HealthCheck(id),
        );
        id
    }

    /// The process of `id` is up; it joins the balancer once health checks pass.
    pub(super) fn booted(&mut self, id: InstanceId) {
        let Some(inst) = self.instances.get(id) else {
            return; // stopped while booting, and retired
        };
        if inst.life == Life::Booting {
            let before = self.mark_before(id);
            let inst = &mut self.instances[id];
            inst.life = Life::Up;
            inst.up_at = Moment::at(self.now);
            inst.warm_at = self.now + self.scenario.instances.warmup.duration;
            // Workers count as capacity from when they can serve.
            self.worker_capacity += u64::from(inst.workers);
            self.remark(id, before);
            self.recorder
                .workers(self.now, self.busy_workers, self.worker_capacity);
            self.jobs_booted(id);
        }
    }

    /// Kills `id`: its queue, in-flight requests and in-memory sessions are gone.
    pub(super) fn crash(&mut self, id: InstanceId) {
        if !self.instances.is_live(id) {
            return;
        }
        self.recorder.instance_crashed();
        self.stop(id, Life::Dead, Stop::Crash, Cause::InstanceDown);
        let inst = &self.instances[id];
        if !self.scenario.instances.replace {
            // Nobody restores the lost capacity (an autoscaler may still add some).
            let g = inst.group as usize;
            self.desired[g] = self.desired[g].saturating_sub(1);
        }
        // Health checks go on until the balancer detects the crash (its detection launches a
        // replacement); one that drained first has had its last check already.
        if !inst.checking {
            self.retiring.push(id);
        }
    }

    /// Ends `id` on purpose: anything it still holds is killed.
    pub(super) fn terminate(&mut self, id: InstanceId) {
        if !self.instances.is_live(id) {
            return;
        }
        let why = self.instances[id].stopped.unwrap_or(Stop::ScaleIn);
        self.recorder.instance_terminated_by(match why {
            Stop::Deploy => TerminateCause::Deploy,
            Stop::ScaleIn | Stop::Crash => TerminateCause::ScaleIn,
        });
        self.stop(id, Life::Terminated, why, Cause::Killed);
        self.retiring.push(id);
    }

    /// Frees the records of the instances stopped in the event just handled (`retiring`), once
    /// nothing can act on them: what the report needs of them is folded in, sessions pinned to
    /// them leave their lists (their cookie stays: the balancer sees it is not routable), and
    /// their per-instance tables are cleared.
    pub(super) fn retire_stopped(&mut self) {
        let start = SimTime::ZERO + self.scenario.warmup;
        let mut retiring = std::mem::take(&mut self.retiring);
        for &id in &retiring {
            let Some(slot) = self.instances.slot(id) else {
                continue;
            };
            debug_assert!(!self.balancer.is_routable(id));
            let inst = &mut self.instances[id];
            let routed = self.recorder.note_routed(id.index(), inst.routed);
            if let Some(stats) = self.group_stats.as_mut() {
                stats[inst.group as usize].retire(inst, routed, start, self.end);
            }
            self.sessions.unlink_all(&mut inst.pinned);
            if let Some(limiter) = &mut self.limiter {
                limiter.retired(slot);
            }
            self.census.remove(self.mark(id));
            self.instances.retire(id);
        }
        retiring.clear();
        self.retiring = retiring;
    }

    /// Takes `id` out of service for good; its requests fail with `cause` (the connection is
    /// reset, the client hears of it at once).
    pub(super) fn stop(&mut self, id: InstanceId, life: Life, why: Stop, cause: Cause) {
        let now = self.now;
        let before = self.mark_before(id);
        let inst = &mut self.instances[id];
        if inst.is_up() {
            self.worker_capacity -= u64::from(inst.workers);
        }
        inst.ended_at = Moment::at(now);
        inst.life = life;
        inst.stopped = Some(why);
        self.busy_workers -= u64::from(inst.busy);
        inst.set_busy(now, 0, SimTime::ZERO + self.scenario.warmup);
        self.alive -= 1;
        self.balancer.connections_mut().set(id, 0);
        self.recorder.alive(now, self.alive);
        self.recorder
            .workers(now, self.busy_workers, self.worker_capacity);
        // Every request it holds, queued or not, is in its list; they fail in slot order.
        let mut doomed = std::mem::take(&mut self.scratch);
        doomed.clear();
        inst.queue.clear();
        inst.timed_out = 0;
        doomed.extend(
            self.requests
                .chain(inst.requests)
                .map(|(slot, generation, _)| RequestRef { slot, generation }),
        );
        doomed.sort_unstable_by_key(|r| r.slot);
        self.remark(id, before);
        for &r in &doomed {
            let Some(req) = self.remove_request(r) else {
                continue;
            };
            if req.client_waiting {
                self.client_failed(req.session, req.counted, cause);
            }
        }
        self.scratch = doomed;
        debug_assert!(self.instances[id].requests.is_empty());
        self.stop_tasks(id);
        self.stop_links(id, why);
        self.stop_jobs(id, why);
    }

    /// Deregisters `id`: no new requests; it is terminated when empty, or when the shorter of
    /// the deregistration delay and the termination grace runs out.
    pub(super) fn drain(&mut self, id: InstanceId, why: Stop) {
        let Some(inst) = self.instances.get_mut(id).filter(|i| i.is_active()) else {
            return;
        };
        inst.stopped = Some(why);
        if inst.life == Life::Booting {
            // Never served, holds nothing: it just stops.
            return self.terminate(id);
        }
        let before = self.mark_before(id);
        self.instances[id].life = Life::Draining;
        self.remark(id, before);
        self.leave_rotation(id);
        self.drain_links(id, why);
        if self.instances[id].is_empty() {
            self.terminate(id);
        } else {
            let grace = self.scenario.instances.termination_grace;
            // Background jobs are not behind the balancer: the process keeps its job workers
            // for its whole grace period.
            let limit = if self.instances[id].holds_jobs() {
                grace
            } else {
                self.scenario.balancer.deregistration_delay.min(grace)
            };
            self.queue.push(self.now + limit, Event::Terminate(id));
        }
    }

    /// Launches or drains instances until the fleet matches the desired count, stepping a
    /// rolling deploy forward if one is in progress. `cause` names why instances are launched.
    ///
    /// A crashed instance the balancer has not yet noticed still holds its place (with
    /// `replace`), so nothing launches before the platform knows of the crash.
    /// Each group is reconciled on its own, in order, against its own desired count and its
    /// own deploy.
    pub(super) fn reconcile(&mut self, cause: LaunchCause) {
        for g in 0..self.groups.len() as u32 {
            self.reconcile_group(g, cause);
        }
    }

    fn reconcile_group(&mut self, group: u32, cause: LaunchCause) {
        let g = group as usize;
        loop {
            debug_assert_eq!(self.census, self.census_by_scan());
            let count = self.census.group(g);
            let (new, ready, old) = (count.current, count.ready, count.old());
            let desired = self.desired[g];
            let Some(deploy) = self.deploy[g].filter(|_| old > 0) else {
                // A fleet-wide deploy is finished when its last group is.
                if self.deploy[g].take().is_some() && self.deploy.iter().all(Option::is_none) {
                    self.recorder
                        .event(self.now, TimelineEvent::DeployFinished, 0);
                }
                let active = old + new;
                for _ in active..desired {
                    self.launch(group, true, cause);
                }
                // Draining one victim changes neither another's eligibility nor its place in the
                // order (a drain's consequences on others come later, as events): all the
                // victims are chosen in one pass, in the order one-at-a-time picks would take.
                let excess = active.saturating_sub(desired) as usize;
                for v in self.scale_in_victims(|i| i.group == group, excess) {
                    self.drain(v, Stop::ScaleIn);
                }
                return;
            };
            // Surge: new instances up to `desired`, never more than `max_surge` extra in all.
            if new < desired && old + new < desired + deploy.max_surge {
                self.launch(group, true, LaunchCause::Deploy);
                continue;
            }
            // An old instance that serves no one goes first; a serving one only while enough
            // others stay ready (`desired − max_unavailable`), or if the fleet is over its size.
            let version = self.version[g];
            // Searched for only when the census says there is one.
            let unready = if count.unready_old() > 0 {
                self.scale_in_victim(|i| {
                    i.group == group && i.version != version && i.ready_at.get().is_none()
                })
            } else {
                None
            };
            if let Some(v) = unready {
                self.drain(v, Stop::Deploy);
                continue;
            }
            let min_ready = desired.saturating_sub(deploy.max_unavailable);
            if ready > min_ready || old + new > desired + deploy.max_surge {
                if let Some(v) = self.oldest_old(group) {
                    self.drain(v, Stop::Deploy);
                    continue;
                }
            }
            return;
        }
    }

    /// The oldest active instance of `group` on an older release than the group's current one:
    /// the next a rolling deploy replaces while enough others stay ready.
    ///
    /// Ids follow launch order, and launch times never decrease with it, so the oldest is the
    /// first such instance in id order. The search starts where the previous one for this
    /// release stopped (`deploy_from`): what it passed over is of another group, on the current
    /// release, or stopping, and none of that becomes an active instance of an older release
    /// again before the next release resets the start. A deploy of N instances passes over the
    /// fleet once, not once per replaced instance.
    fn oldest_old(&mut self, group: u32) -> Option<InstanceId> {
        let g = group as usize;
        let version = self.version[g];
        let found = self
            .instances
            .iter_from(InstanceId::new(self.deploy_from[g]))
            .find(|(_, i)| i.is_active() && i.group == group && i.version != version)
            .map(|(id, _)| id);
        self.deploy_from[g] = found.map_or(self.instances.launched() as u32, InstanceId::get);
        debug_assert_eq!(
            found,
            self.instances
                .iter()
                .filter(|(_, i)| i.is_active() && i.group == group && i.version != version)
                .min_by_key(|(id, i)| (i.launched_at, *id))
                .map(|(id, _)| id),
            "the oldest instance of group {g} on an older release"
        );
        found
    }

    /// The census counted the slow way: every present instance's mark added to an empty one
    /// (debug builds check the census kept as instances change against it).
    pub(super) fn census_by_scan(&self) -> Census {
        let mut census = Census::new(self.groups.len());
        for (id, _) in self.instances.iter() {
            census.add(self.mark(id));
        }
        census
    }

    /// The census mark of `id` before a change that [`Self::remark`] then records, or `None`
    /// while the census is not kept (the initial fleet is being built, see
    /// [`Simulation::census_kept`]).
    pub(super) fn mark_before(&self, id: InstanceId) -> Option<Mark> {
        self.census_kept.then(|| self.mark(id))
    }

    /// The census mark of `id`, which must not be retired, as things stand now.
    pub(super) fn mark(&self, id: InstanceId) -> Mark {
        let inst = &self.instances[id];
        Mark::of(
            inst,
            self.balancer.is_routable(id),
            self.version[inst.group as usize],
            self.scenario.instances.replace,
        )
    }

    /// `id`, whose mark was `before` ([`Self::mark_before`]), has just changed: the census
    /// follows.
    pub(super) fn remark(&mut self, id: InstanceId, before: Option<Mark>) {
        if let Some(before) = before {
            self.census.change(before, self.mark(id));
        }
    }

    /// The active instance to remove first among those `eligible`: one still booting (it never
    /// served) before any serving one, then by the autoscaler's `scale_in_pick` (newest by
    /// default).
    pub(super) fn scale_in_victim(
        &self,
        eligible: impl Fn(&Instance) -> bool,
    ) -> Option<InstanceId> {
        self.scale_in_candidates(eligible)
            .min()
            .map(|(_, n)| InstanceId::new(n))
    }

    /// The first `k` instances [`Self::scale_in_victim`] would pick one after another among
    /// those `eligible`, in that order, if each pick left the others' eligibility and order
    /// alone, as draining does: one pass over the fleet and a partial sort, O(N + k log k),
    /// where `k` picks one at a time cost O(k·N); no pass at all for `k` = 0.
    pub(super) fn scale_in_victims(
        &self,
        eligible: impl Fn(&Instance) -> bool,
        k: usize,
    ) -> Vec<InstanceId> {
        if k == 0 {
            return Vec::new();
        }
        let mut keyed: Vec<_> = self.scale_in_candidates(eligible).collect();
        if keyed.len() > k {
            keyed.select_nth_unstable(k - 1);
            keyed.truncate(k);
        }
        // Keys are distinct (they end with the index): the order is total.
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, n)| InstanceId::new(n)).collect()
    }

    /// The active instances `eligible` for scale-in, each with its place in the order
    /// ([`scale_in_key`]).
    fn scale_in_candidates<'a>(
        &'a self,
        eligible: impl Fn(&Instance) -> bool + 'a,
    ) -> impl Iterator<Item = ((bool, u64, usize), u32)> + 'a {
        let pick = self.scale_in_pick();
        self.instances
            .iter()
            .filter(move |(_, i)| i.is_active() && eligible(i))
            .map(move |(id, i)| (scale_in_key(pick, id.index(), i), id.get()))
    }

    fn scale_in_pick(&self) -> ScaleInPick {
        self.scenario
            .autoscaler
            .as_ref()
            .map_or(ScaleInPick::Newest, |a| a.scale_in_pick)
    }

    /// The balancer starts routing to `id`.
    pub(super) fn enter_rotation(&mut self, id: InstanceId) {
        let before = self.mark_before(id);
        self.balancer.add(id);
        let inst = &mut self.instances[id];
        if inst.ready_at.get().is_none() {
            inst.ready_at = Moment::at(self.now);
        }
        self.remark(id, before);
        self.recorder
            .ready(self.now, self.balancer.routable().len() as u32);
    }

    /// The balancer stops routing to `id`.
    pub(super) fn leave_rotation(&mut self, id: InstanceId) {
        let before = self.mark_before(id);
        self.balancer.remove(id);
        self.remark(id, before);
        self.recorder
            .ready(self.now, self.balancer.routable().len() as u32);
    }

    pub(super) fn health_check(&mut self, id: InstanceId) {
        let hc = &self.scenario.balancer.health_check;
        let Some(inst) = self.instances.get_mut(id) else {
            return; // terminated, and retired
        };
        match inst.life {
            Life::Up => {
                inst.failed_checks = 0;
                inst.passed_checks += 1;
                if inst.passed_checks >= hc.healthy_threshold && !self.balancer.is_routable(id) {
                    self.enter_rotation(id);
                    if self.deploy.iter().any(Option::is_some) {
                        self.reconcile(LaunchCause::Deploy);
                    }
                }
            }
            // Not listening yet: fails, which matters to no one until it passes.
            Life::Booting => inst.passed_checks = 0,
            Life::Dead => {
                inst.passed_checks = 0;
                inst.failed_checks += 1;
                if inst.failed_checks < hc.unhealthy_threshold {
                    // Not detected yet: check again.
                } else {
                    inst.checking = false;
                    self.retiring.push(id);
                    // Detected. One that never joined rotation is noticed by the same checks
                    // (its readiness never came), only without leaving the balancer.
                    if self.balancer.is_routable(id) {
                        self.leave_rotation(id);
                        let down = TimelineEvent::MarkedDown {
                            instance: id.get(),
                            replaced: self.scenario.instances.replace,
                        };
                        self.recorder.event(self.now, down, 0);
                    }
                    self.reconcile(LaunchCause::Replacement);
                    return; // dead and out of rotation: no more checks
                }
            }
            Life::Draining | Life::Terminated => {
                inst.checking = false;
                return;
            }
        }
        self.queue
            .push(self.now + hc.interval, Event::HealthCheck(id));
    }
}
