//! Service: an instance's workers take requests in FIFO order, check the session (store round
//! trip, token, cache, database), serve, and complete.

use super::*;

impl Simulation<'_> {
    /// A worker of `id` takes request `r`. Session checks happen here, when the application
    /// first looks at the request.
    pub(super) fn start_service(&mut self, id: InstanceId, r: RequestRef) {
        let now = self.now;
        let Some(req) = self.requests.get(r.slot, r.generation) else {
            return;
        };
        let (sref, counted, waiting, sent) =
            (req.session, req.counted, req.client_waiting, req.sent);
        let mut service = self.instances[id].service_time(
            req.demand,
            now,
            self.scenario.instances.warmup.slowdown,
        );
        // A request whose client already left is served blind: it only burns a worker.
        if waiting {
            let checked = self
                .session_checks(sref, id)
                .and_then(|extra| Ok(extra + self.file_request(sref, id, counted)?))
                .and_then(|extra| Ok(extra + self.enqueue_job(sref, id, counted)?));
            match checked {
                Ok(extra) => service = service + extra,
                Err(cause) => {
                    self.remove_request(r);
                    self.balancer.connections_mut().dec(id);
                    self.client_failed(sref, counted, cause);
                    return self.fill_workers(id);
                }
            }
        }
        if let Some(db) = &mut self.database {
            let slot = self
                .instances
                .slot(id)
                .expect("a serving instance is present");
            service = service + db.request_cost(slot, now);
        }
        self.take_worker(id);
        let done = now + service;
        self.queue.push(done, Event::Complete(r));
        if waiting {
            let deadline = sent + self.scenario.workload.timeout;
            if done > deadline {
                self.queue.push(deadline, Event::Timeout(r));
            }
        }
    }

    /// What the application does with the session of a request starting on `id`: read its
    /// state (store round trip, token check), notice a lost session, consult the local cache.
    /// Returns the time this adds to the service, or why the request fails.
    pub(super) fn session_checks(
        &mut self,
        sref: SessionRef,
        id: InstanceId,
    ) -> Result<SimDuration, Cause> {
        let now = self.now;
        let Some(s) = self.sessions.get_mut(sref.slot, sref.generation) else {
            return Ok(SimDuration::ZERO);
        };
        let sessions = &self.scenario.sessions;
        let mut extra =
            session_cost(sessions, &mut self.redis, now).map_err(|_| Cause::StoreUnavailable)?;
        // Server-side sessions expire when idle; a token is refreshed instead (see below).
        let expired = s.logged_in
            && sessions.store != SessionStore::Jwt
            && now.saturating_since(s.last_seen) > sessions.ttl;
        s.last_seen = now;
        let lost = if !s.logged_in || s.revoked {
            None
        } else if expired {
            Some(LostCause::Expired)
        } else {
            match sessions.store {
                SessionStore::InMemory => match s.home {
                    Some(home) if home != id => Some(match self.instances.stopped(home) {
                        Some(Stop::Crash) => LostCause::Crash,
                        Some(Stop::ScaleIn) => LostCause::ScaleIn,
                        Some(Stop::Deploy) => LostCause::Deploy,
                        None => LostCause::Rerouting,
                    }),
                    _ => None,
                },
                SessionStore::Redis => {
                    (!self.redis.holds(s.state_at, now)).then_some(LostCause::StoreFailure)
                }
                SessionStore::Jwt => None,
            }
        };
        if let Some(cause) = lost {
            // The user is logged out and logs in again right here.
            let first = !s.lost;
            s.lost = true;
            set_home(&mut self.instances, &mut s.home, id);
            s.state_at = now;
            s.token_expiry = now + sessions.token_ttl;
            self.recorder.session_lost_by(s.counted, first, cause);
            return Err(Cause::SessionLost);
        }
        if !s.logged_in {
            s.logged_in = true;
            set_home(&mut self.instances, &mut s.home, id);
            s.state_at = now;
            s.token_expiry = now + sessions.token_ttl;
        } else if sessions.store == SessionStore::Jwt {
            if s.revoked {
                self.recorder.request_after_revoke(s.counted);
            } else if now >= s.token_expiry {
                s.token_expiry = now + sessions.token_ttl;
            }
        }
        if let Some(cache) = &self.scenario.local_cache {
            // The login fills the cache; later requests hit where the user's data was cached.
            if let Some(previous) = s.last_instance {
                let warm = cache.shared || previous == id;
                let hit = warm && s.rng.random::<f64>() < cache.hit_ratio_one_instance;
                self.recorder.cache(s.counted, hit);
                if !hit {
                    extra = extra + cache.miss_penalty;
                }
            }
        }
        s.last_instance = Some(id);
        Ok(extra)
    }

    /// Hands waiting work to free workers of `id`, oldest first: requests, and the tasks of
    /// other kinds of client work (which wait in a line of their own, `tasks`).
    pub(super) fn fill_workers(&mut self, id: InstanceId) {
        loop {
            let inst = &mut self.instances[id];
            if inst.busy >= inst.workers {
                return;
            }
            let task_first = match (
                inst.queue.front(),
                inst.extra().and_then(|x| x.tasks.front()),
            ) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(r), Some(t)) => {
                    let request_since = self.requests.get(r.slot, r.generation).map(|r| r.sent);
                    let task_since = self.tasks.enqueued(*t);
                    task_since < request_since
                }
            };
            if task_first {
                let Some(next) = inst.extra_mut().tasks.pop_front() else {
                    return;
                };
                self.start_task(id, next);
            } else {
                let Some(next) = inst.queue.pop_front() else {
                    return;
                };
                inst.timed_out = inst.timed_out.saturating_sub(1);
                self.start_service(id, next);
            }
        }
    }

    /// A worker of `id` starts on something.
    pub(super) fn take_worker(&mut self, id: InstanceId) {
        let now = self.now;
        let inst = &mut self.instances[id];
        inst.set_busy(now, inst.busy + 1, SimTime::ZERO + self.scenario.warmup);
        self.busy_workers += 1;
        self.recorder.busy_workers(now, self.busy_workers);
    }

    /// A worker of `id` is through with what it held.
    pub(super) fn release_worker(&mut self, id: InstanceId) {
        let now = self.now;
        let inst = &mut self.instances[id];
        inst.set_busy(now, inst.busy - 1, SimTime::ZERO + self.scenario.warmup);
        self.busy_workers -= 1;
        self.recorder.busy_workers(now, self.busy_workers);
    }

    /// A draining instance that holds nothing any more ends.
    #[inline]
    pub(super) fn finish_drain_if_empty(&mut self, id: InstanceId) {
        let inst = &self.instances[id];
        if inst.life == Life::Draining && inst.is_empty() {
            self.terminate(id);
        }
    }

    /// Starts loading what the picks the balancer drew ahead will read (see
    /// [`Balancer::drawn`]), the next pick being about to be made: for the one half-way, where
    /// its candidates' records are; for the one after the next, the record of the instance it
    /// would choose now.
    #[inline]
    pub(super) fn prefetch_picks(&self) {
        for id in self.balancer.drawn(AHEAD / 2).into_iter().flatten() {
            self.instances.prefetch_place(id);
        }
        if let Some(id) = self.balancer.choice(1) {
            if let Some(slot) = self.instances.slot(id) {
                self.instances.prefetch(id, slot as u32);
            }
        }
    }

    /// Starts loading every record the completion of `req` (at `r`) touches, together rather
    /// than one after another.
    #[inline]
    pub(super) fn prefetch_completion(&self, r: RequestRef, req: &Request) {
        self.instances.prefetch(req.instance, req.record);
        self.balancer.connections().prefetch(req.instance);
        self.sessions.prefetch(req.session.slot);
        self.requests.prefetch_neighbours(r.slot);
    }

    pub(super) fn complete(&mut self, r: RequestRef) {
        if let Some(req) = self.requests.get(r.slot, r.generation) {
            self.prefetch_completion(r, req);
        }
        let Some(req) = self.remove_request(r) else {
            return; // the instance crashed while serving it
        };
        let now = self.now;
        let id = req.instance;
        self.balancer.connections_mut().dec(id);
        self.release_worker(id);
        self.fill_workers(id);
        self.finish_drain_if_empty(id);
        if req.client_waiting {
            let deadline = req.sent + self.scenario.workload.timeout;
            let seen = now + self.scenario.balancer.hop_latency;
            if seen <= deadline {
                self.recorder.succeeded(req.counted, seen - req.sent);
                if let Some(stats) = self.group_stats.as_mut().filter(|_| req.counted) {
                    let g = self.instances[id].group as usize;
                    stats[g].record(seen - req.sent);
                }
                if let Some(scaler) = self.scaler.as_mut() {
                    let warmup = scaler.config.instance_warmup;
                    let inst = &self.instances[id];
                    let measured = inst.ready_at.get().is_some_and(|t| t + warmup <= now);
                    if let Some(h) = scaler.latency.as_mut().filter(|_| measured) {
                        h.saturating_record(((seen - req.sent).as_nanos() / 1_000).max(1));
                    }
                }
                self.client_result(req.session, seen, Outcome::Success);
            } else {
                self.fail_attempt(req.session, req.counted, Cause::Timeout, deadline);
            }
        }
    }
}

/// The session whose state is in `home` has it written on `id` now: the per-instance counts of
/// sessions held ([`Instance::homes`]) follow.
#[inline]
fn set_home(instances: &mut Fleet, home: &mut Option<InstanceId>, id: InstanceId) {
    if let Some(h) = home.replace(id).and_then(|h| instances.get_mut(h)) {
        h.homes -= 1;
    }
    instances[id].homes += 1;
}

/// What reading a session costs where it lives: a Redis round trip, a token check, or nothing
/// for in-process memory.
#[inline]
pub(super) fn session_cost(
    sessions: &SessionConfig,
    redis: &mut Redis,
    now: SimTime,
) -> Result<SimDuration, RedisDown> {
    match sessions.store {
        SessionStore::InMemory => Ok(SimDuration::ZERO),
        SessionStore::Jwt => Ok(sessions.jwt_verify),
        SessionStore::Redis => redis.operation(now),
    }
}
