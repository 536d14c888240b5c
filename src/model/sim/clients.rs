//! Clients: sessions arrive, send their requests (and retries, after backing off), think between
//! them, and learn of each attempt's end. Every failure of an attempt passes through
//! `fail_attempt`, once, so the accounting invariant cannot be broken by a new cause.

use super::*;

impl Simulation<'_> {
    pub(super) fn arrival(&mut self) {
        let now = self.now;
        if let Some(t) = self
            .arrivals
            .next_after(now, self.end, &mut self.arrival_rng)
        {
            self.queue.push(t, Event::Arrival);
        }
        let key = self.next_session_key;
        self.next_session_key += 1;
        let mut rng = self.session_streams.member(key);
        let remaining = self.request_count.sample(&mut rng);
        let ip = rng.random_range(0..self.scenario.workload.client_ips);
        let counted = self.recorder.measured(now);
        self.recorder.session_arrived(counted);
        let (slot, generation) = self.sessions.insert(Session {
            key,
            rng,
            remaining,
            attempt: 0,
            ip,
            pin: None,
            home: None,
            logged_in: false,
            last_seen: now,
            lost: false,
            counted,
            state_at: now,
            token_expiry: now,
            revoked: false,
            last_instance: None,
        });
        if let Some(files) = &mut self.files {
            files.arrived(slot, key);
        }
        if self.limiter.is_some() {
            // A new user's bucket is full.
            self.user_buckets.start(slot, SimTime::ZERO);
        }
        self.send(SessionRef { slot, generation });
    }

    /// The session sends its current request (or a retry of it).
    pub(super) fn send(&mut self, sref: SessionRef) {
        let now = self.now;
        self.prefetch_picks();
        let Some(s) = self.sessions.get_mut(sref.slot, sref.generation) else {
            return;
        };
        if s.revoked {
            // Logged out. Server-side state is gone, so the client is done; a signed token is
            // still accepted until it expires (the revocation exposure).
            let usable = self.scenario.sessions.store == SessionStore::Jwt && now < s.token_expiry;
            if !usable {
                self.remove_session(sref);
                return;
            }
        }
        let counted = self.recorder.measured(now);
        self.recorder.sent(counted, s.attempt > 0);
        let demand = self.service_time.sample(&mut s.rng);
        if self.balancer_down_until.is_some_and(|t| now < t) {
            // No balancer answers: the connection is refused.
            return self.client_failed(sref, counted, Cause::BalancerDown);
        }
        let pinned = s.pin;
        let Some(id) = self.balancer.route(&mut s.pin, s.key, s.ip) else {
            // Nothing in rotation: the balancer answers 503 at once.
            return self.client_failed(sref, counted, Cause::InstanceDown);
        };
        let s = if s.pin == pinned {
            s
        } else {
            let now_pinned = s.pin;
            self.repin(sref.slot, pinned, now_pinned);
            self.sessions
                .get_mut(sref.slot, sref.generation)
                .expect("the session sending")
        };
        if !counted {
            self.recorder.routed_in_warmup(id.index());
        }
        // Work offered to the fleet, for the elasticity demand (refusals by the balancer
        // itself never reach an instance and are not demand on it).
        self.recorder.offered(demand);
        let record = self
            .instances
            .slot(id)
            .expect("a routable instance is present");
        let inst = &mut self.instances[id];
        let workers = inst.workers;
        inst.routed += 1;
        if !inst.is_up() {
            return self.client_failed(sref, counted, Cause::InstanceDown);
        }
        if let Some(limiter) = &mut self.limiter {
            let verdict = limiter.admit(self.user_buckets.get_mut(sref.slot), s.key, record, now);
            if !verdict.admitted {
                return self.client_failed(sref, counted, Cause::RateLimited);
            }
            if !verdict.within_user_limit {
                self.recorder.rate_limit_excess(counted);
            }
        }
        if inst.busy >= workers && inst.waiting() >= inst.queue_cap as usize {
            if let Some(stats) = self.group_stats.as_mut().filter(|_| counted) {
                stats[inst.group as usize].queue_full += 1;
            }
            return self.client_failed(sref, counted, Cause::QueueFull);
        }
        let (slot, generation) = self.requests.insert(Request {
            session: sref,
            instance: id,
            record: record as u32,
            sent: now,
            demand,
            client_waiting: true,
            counted,
        });
        self.requests.link(&mut inst.requests, slot);
        let r = RequestRef { slot, generation };
        self.balancer.connections_mut().inc(id);
        if inst.busy < workers {
            self.start_service(id, r);
        } else {
            inst.queue.push_back(r);
            if !inst.timer_armed {
                let deadline = now + self.scenario.workload.timeout;
                inst.timer_armed = true;
                self.queue.push(deadline, Event::QueueTimer(id));
            }
        }
    }

    /// Ends session `sref`, taking it out of the count of the instance holding its state and
    /// out of the list of the one it is pinned to (a retired instance has neither).
    pub(super) fn remove_session(&mut self, sref: SessionRef) {
        let Some(s) = self.sessions.get(sref.slot, sref.generation) else {
            return;
        };
        let (home, pin) = (s.home, s.pin);
        if let Some(h) = home.and_then(|h| self.instances.get_mut(h)) {
            h.homes -= 1;
        }
        if let Some(p) = pin.and_then(|p| self.instances.get_mut(p)) {
            self.sessions.unlink(&mut p.pinned, sref.slot);
        }
        self.sessions.remove(sref.slot, sref.generation);
    }

    /// The session in `slot` was pinned to `from` and is now pinned to `to`.
    fn repin(&mut self, slot: u32, from: Option<InstanceId>, to: Option<InstanceId>) {
        if let Some(p) = from.and_then(|p| self.instances.get_mut(p)) {
            self.sessions.unlink(&mut p.pinned, slot);
        }
        if let Some(p) = to {
            self.sessions.link(&mut self.instances[p].pinned, slot);
        }
    }

    /// Removes live request `r`, taking it out of its instance's list.
    pub(super) fn remove_request(&mut self, r: RequestRef) -> Option<Request> {
        let id = self.requests.get(r.slot, r.generation)?.instance;
        self.requests
            .unlink(&mut self.instances[id].requests, r.slot);
        self.requests.remove(r.slot, r.generation)
    }

    /// The balancer or instance refused the attempt; the client hears of it one hop later.
    pub(super) fn client_failed(&mut self, sref: SessionRef, counted: bool, cause: Cause) {
        let at = self.now + self.scenario.balancer.hop_latency;
        self.fail_attempt(sref, counted, cause, at);
    }

    /// Counts a failed attempt once and tells its client at `at`: the one path every failure
    /// takes, so that the accounting invariant cannot be broken by a new cause.
    pub(super) fn fail_attempt(
        &mut self,
        sref: SessionRef,
        counted: bool,
        cause: Cause,
        at: SimTime,
    ) {
        self.recorder.failed(counted, cause);
        self.client_result(sref, at, Outcome::Failed(cause));
    }

    /// The client learns at `at` how its attempt ended, and decides what to do next.
    pub(super) fn client_result(&mut self, sref: SessionRef, at: SimTime, outcome: Outcome) {
        let Some(s) = self.sessions.get_mut(sref.slot, sref.generation) else {
            return;
        };
        if let Outcome::Failed(cause) = outcome {
            if cause.is_retryable() && s.attempt < self.scenario.workload.retries {
                s.attempt += 1;
                let backoff =
                    self.scenario.workload.retry_backoff.as_nanos() << (s.attempt - 1).min(20);
                self.queue
                    .push(at + SimDuration(backoff), Event::Send(sref));
                return;
            }
        }
        s.attempt = 0;
        s.remaining -= 1;
        if s.remaining == 0 {
            let counted = s.counted;
            self.remove_session(sref);
            self.recorder.session_completed(counted);
        } else {
            let think = self.think_time.sample(&mut s.rng);
            self.queue.push(at + think, Event::Send(sref));
        }
    }

    /// Times out the queued requests of `id` whose deadline has come, then re-arms the timer.
    pub(super) fn queue_timer(&mut self, id: InstanceId) {
        let now = self.now;
        let timeout = self.scenario.workload.timeout;
        let Some(inst) = self.instances.get_mut(id) else {
            return; // stopped (its queue went with it), and retired
        };
        inst.timer_armed = false;
        loop {
            let inst = &mut self.instances[id];
            let Some(&r) = inst.queue.get(inst.timed_out as usize) else {
                return; // nothing waiting: the next enqueue arms the timer
            };
            let req = self
                .requests
                .get(r.slot, r.generation)
                .expect("queued requests are live");
            let deadline = req.sent + timeout;
            if deadline > now {
                inst.timer_armed = true;
                self.queue.push(deadline, Event::QueueTimer(id));
                return;
            }
            inst.timed_out += 1;
            // Its client may have heard of a failure already (the balancer reset it).
            self.client_gives_up(r, Cause::Timeout);
        }
    }

    pub(super) fn timeout(&mut self, r: RequestRef) {
        self.client_gives_up(r, Cause::Timeout);
    }

    /// The client of live request `r` stops waiting for it now, failed by `cause`; the instance
    /// keeps serving it blind. Does nothing if the client stopped waiting earlier (or `r` has
    /// ended), so that an attempt is failed once whatever gives up on it first: the one path for
    /// every failure of a request that stays on its instance.
    pub(super) fn client_gives_up(&mut self, r: RequestRef, cause: Cause) {
        let Some(req) = self.requests.get_mut(r.slot, r.generation) else {
            return; // already finished
        };
        if !req.client_waiting {
            return;
        }
        req.client_waiting = false;
        let (session, counted) = (req.session, req.counted);
        self.fail_attempt(session, counted, cause, self.now);
    }
}
