//! Long-lived connections (WebSockets): users connect through the balancer, stay pinned to the
//! instance that accepted them, send messages to their room, and reconnect when dropped.
//!
//! ```text
//!   ConnArrival ─► attempt ─► balancer.route ─► refused (balancer down, instance down, limit,
//!                    ▲                      │              queue full) ─► retry_later
//!                    │                      ▼
//!   ConnAttempt ─────┤        Task::Handshake on the instance (queue, worker, session lookup)
//!   (backoff)        │                      ▼ accepted (or HandshakeTimeout ─► retry_later)
//!                    │                    Open: member of the instance and of its room
//!                    │                      │ ConnMessage every Exp(1/rate): Task::Message on
//!                    │                      │ the sender's instance ─► local members; pub/sub:
//!                    │                      │ publish ─► Publish ─► Task::Delivery elsewhere
//!                    └── drop (crash, drain close, max_age, balancer failure)
//!                        ConnLeave: the user's lifetime is over, wherever it is
//! ```
//!
//! A user is one slot of the connection table from its arrival to the end of its lifetime;
//! its reconnects reuse the slot. Its random stream (its room, lifetime, handshake and message
//! times, jitter) is keyed by its arrival number, so variants of a scenario see the same users.
//!
//! Accounting. An attempt ends once: accepted, refused by one cause, or still handshaking at
//! the end. A message's recipients are the other open members of its room at the send; each
//! ends once: delivered, undelivered by cause, or in flight. Recipients are not listed: a
//! recipient is a member whose current attachment began before the send (`since ≤ sent`), so
//! counting such members on the instance that delivers (or that fails) resolves each exactly
//! once, and whoever is left when a message's last delivery is through disconnected meanwhile.

use super::tasks::{Task, TaskKind};
use super::*;
use crate::metrics::{ConnRecorder, Drop, Refusal, Undelivery};
use crate::model::ids::{ConnRef, MsgRef, TaskRef};
use crate::scenario::{Connections, Delivery, ReconnectPolicy};

const CONN_STREAM: u64 = stream_key("connection");

/// The connection side of the fleet: users, rooms, messages and the work they put on
/// instances.
pub(crate) struct Links<'a> {
    /// The scenario's `connections` block.
    config: &'a Connections,
    arrivals: Arrivals,
    arrival_rng: Rng,
    /// Delivery work is drawn from its own stream (the sender may be gone by then).
    delivery_rng: Rng,
    next_key: u64,
    /// Each user's own stream, by its arrival number.
    user_streams: Streams,
    lifetime: DurationSampler,
    handshake: DurationSampler,
    message_time: DurationSampler,
    /// Cumulative room sizes: a user joins the room owning a uniformly drawn seat.
    seats: Vec<u64>,
    users: Slab<User>,
    /// Open members of each room.
    rooms: Vec<Vec<ConnRef>>,
    messages: Slab<Message>,
    pub(super) recorder: ConnRecorder,
    /// Scratch list of instances (sharded fan-out).
    targets: Vec<InstanceId>,
}

pub(crate) struct User {
    rng: Rng,
    key: u64,
    ip: u32,
    pin: Option<InstanceId>,
    room: u32,
    /// End of the user's lifetime: it leaves then, connected or not.
    leaves_at: SimTime,
    /// Consecutive refused attempts since it was last open (`k` of the backoff).
    failures: u32,
    /// Its next attempt is not its first.
    reconnecting: bool,
    link: Link,
    /// A message timer is pending.
    talking: bool,
    /// A close the server scheduled (drain spread, max age): it happens only if this is still
    /// the close planned for the current attachment.
    close_at: SimTime,
    close_why: Drop,
}

#[derive(Clone, Copy)]
enum Link {
    /// Between attempts (backing off), or not yet connected.
    Waiting,
    Handshaking(TaskRef),
    Open {
        instance: InstanceId,
        since: SimTime,
        /// Its index in the instance's and in the room's member lists.
        at_instance: u32,
        at_room: u32,
    },
}

pub(crate) struct Message {
    sent: SimTime,
    counted: bool,
    room: u32,
    sender: ConnRef,
    sender_instance: InstanceId,
    /// Recipients on the sender's instance at the send.
    local: u64,
    /// Recipients not yet resolved.
    outstanding: u64,
    /// Publishes and deliveries still on their way.
    pending: u32,
}

impl<'a> Links<'a> {
    pub(super) fn new(config: &'a Connections, seed: u64, warmup: SimTime) -> Self {
        let rng = |name: &str| stream(seed, stream_key(name), 0);
        let mut size_rng = rng("rooms");
        let sizes = CountSampler::new(&config.rooms.size);
        let mut total = 0u64;
        let seats = (0..config.rooms.count)
            .map(|_| {
                total += u64::from(sizes.sample(&mut size_rng));
                total
            })
            .collect();
        Links {
            config,
            arrivals: Arrivals::new(&config.arrivals, config.spike.as_ref()),
            arrival_rng: rng("connection-arrivals"),
            delivery_rng: rng("deliveries"),
            next_key: 0,
            user_streams: Streams::new(seed, CONN_STREAM),
            lifetime: DurationSampler::new(&config.lifetime),
            handshake: DurationSampler::new(&config.handshake),
            message_time: DurationSampler::new(&config.message_time),
            seats,
            users: Slab::default(),
            rooms: vec![Vec::new(); config.rooms.count as usize],
            messages: Slab::default(),
            recorder: ConnRecorder::new(warmup),
            targets: Vec::new(),
        }
    }

    /// The first arrival, if any before `end`.
    pub(super) fn first_arrival(&mut self, end: SimTime) -> Option<SimTime> {
        self.arrivals
            .next_after(SimTime::ZERO, end, &mut self.arrival_rng)
    }

    /// Recipients of `msg` attached to `instance` since before its send.
    fn recipients_on(&self, msg: &Message, instance: InstanceId) -> u64 {
        self.rooms[msg.room as usize]
            .iter()
            .filter(|&&m| m != msg.sender)
            .filter(|m| {
                self.users.get(m.slot, m.generation).is_some_and(|u| {
                    matches!(u.link, Link::Open { instance: i, since, .. }
                        if i == instance && since <= msg.sent)
                })
            })
            .count() as u64
    }

    /// Attempts still handshaking for their client (among `tasks`), and recipients still in
    /// flight, among those counted: what the run leaves unresolved.
    pub(super) fn unresolved(&self, tasks: &Slab<Task>) -> (u64, u64) {
        let handshaking = tasks
            .iter()
            .filter(|(_, _, t)| {
                matches!(
                    t.kind,
                    TaskKind::Handshake {
                        counted: true,
                        waiting: true,
                        ..
                    }
                )
            })
            .count() as u64;
        let recipients = self
            .messages
            .iter()
            .filter(|(_, _, m)| m.counted)
            .map(|(_, _, m)| m.outstanding)
            .sum();
        (handshaking, recipients)
    }
}

/// The delay before attempt `k` of a row (`k = 0`: the first after a drop).
fn backoff(config: &Connections, k: u32, rng: &mut Rng) -> SimDuration {
    let r = &config.reconnect;
    let exponential = || {
        let grown = r.base.as_nanos().saturating_mul(1u64 << k.min(63));
        SimDuration(grown.min(r.cap.as_nanos()))
    };
    match r.policy {
        ReconnectPolicy::Immediate => SimDuration::ZERO,
        ReconnectPolicy::Fixed => r.base,
        ReconnectPolicy::Exponential => exponential(),
        ReconnectPolicy::ExponentialJitter => {
            SimDuration(rng.random_range(0..=exponential().as_nanos()))
        }
    }
}

impl Simulation<'_> {
    /// A new user arrives and makes its first attempt.
    pub(super) fn conn_arrival(&mut self) {
        let (now, end) = (self.now, self.end);
        let client_ips = self.scenario.workload.client_ips;
        let Some(l) = self.links.as_mut() else { return };
        if let Some(t) = l.arrivals.next_after(now, end, &mut l.arrival_rng) {
            self.queue.push(t, Event::ConnArrival);
        }
        let key = l.next_key;
        l.next_key += 1;
        let mut rng = l.user_streams.member(key);
        let total = l.seats.last().copied().unwrap_or(0);
        let seat = rng.random_range(0..total.max(1));
        let room = l.seats.partition_point(|&s| s <= seat) as u32;
        let ip = rng.random_range(0..client_ips);
        let leaves_at = now + l.lifetime.sample(&mut rng);
        l.recorder.user_arrived(now);
        let (slot, generation) = l.users.insert(User {
            rng,
            key,
            ip,
            pin: None,
            room,
            leaves_at,
            failures: 0,
            reconnecting: false,
            link: Link::Waiting,
            talking: false,
            close_at: SimTime::MAX,
            close_why: Drop::MaxAge,
        });
        let user = ConnRef { slot, generation };
        if leaves_at < end {
            self.queue.push(leaves_at, Event::ConnLeave(user));
        }
        self.conn_attempt(user);
    }

    /// The user tries to open its connection: the upgrade is routed like a request.
    pub(super) fn conn_attempt(&mut self, user: ConnRef) {
        let now = self.now;
        let counted = self.recorder.measured(now);
        let Some(l) = self.links.as_mut() else { return };
        let config = l.config;
        let Some(u) = l.users.get_mut(user.slot, user.generation) else {
            return;
        };
        if !matches!(u.link, Link::Waiting) {
            return;
        }
        l.recorder.attempt(counted, u.reconnecting, now);
        u.reconnecting = true;
        let refusal = if self.balancer_down_until.is_some_and(|t| now < t) {
            Err(Refusal::BalancerDown)
        } else {
            match self.balancer.route(&mut u.pin, u.key, u.ip) {
                None => Err(Refusal::InstanceDown),
                Some(id) => {
                    let inst = &self.instances[id];
                    let limit = config.max_per_instance.unwrap_or(u32::MAX) as usize;
                    if !inst.is_up() {
                        Err(Refusal::InstanceDown)
                    } else if inst.members().len() + inst.handshaking() as usize >= limit {
                        Err(Refusal::OverLimit)
                    } else if inst.busy >= inst.workers && inst.waiting() >= inst.queue_cap as usize
                    {
                        Err(Refusal::QueueFull)
                    } else {
                        Ok(id)
                    }
                }
            }
        };
        let id = match refusal {
            Ok(id) => id,
            Err(why) => {
                let at = now + self.scenario.balancer.hop_latency;
                return self.conn_refused(user, counted, why, at);
            }
        };
        let work = l.handshake.sample(&mut u.rng);
        let kind = TaskKind::Handshake {
            user,
            started: now,
            counted,
            waiting: true,
        };
        let task = self
            .tasks
            .insert_held(&mut self.instances, Task::new(id, now, work, kind));
        u.link = Link::Handshaking(task);
        self.instances[id].extra_mut().handshaking += 1;
        self.balancer.connections_mut().inc(id);
        self.queue
            .push(now + config.timeout, Event::HandshakeTimeout(task));
        self.enqueue_task(id, task, work);
    }

    /// An attempt failed; the client hears of it at `at` and tries again after its backoff.
    fn conn_refused(&mut self, user: ConnRef, counted: bool, why: Refusal, at: SimTime) {
        let Some(l) = self.links.as_mut() else { return };
        l.recorder.refused(counted, why);
        let Some(u) = l.users.get_mut(user.slot, user.generation) else {
            return;
        };
        u.link = Link::Waiting;
        u.failures = u.failures.saturating_add(1);
        self.retry_later(user, at);
    }

    /// Schedules the user's next attempt from `at`, after the reconnect policy's delay, unless
    /// its lifetime is over by then.
    fn retry_later(&mut self, user: ConnRef, at: SimTime) {
        let Some(l) = self.links.as_mut() else { return };
        let config = l.config;
        let Some(u) = l.users.get_mut(user.slot, user.generation) else {
            return;
        };
        let k = u.failures;
        let when = at + backoff(config, k, &mut u.rng);
        if when < u.leaves_at && when < self.end {
            self.queue.push(when, Event::ConnAttempt(user));
        }
    }

    /// The client of a handshake gives up waiting.
    pub(super) fn handshake_timeout(&mut self, task: TaskRef) {
        let Some(t) = self.tasks.get_mut(task.slot, task.generation) else {
            return; // already done
        };
        let TaskKind::Handshake {
            user,
            counted,
            waiting: ref mut waiting @ true,
            ..
        } = t.kind
        else {
            return;
        };
        *waiting = false;
        self.conn_refused(user, counted, Refusal::Timeout, self.now);
    }

    /// A worker is about to accept `user`'s upgrade on `id`: the session is read where it
    /// lives. Returns the extra work, or `None` when the read failed (Redis down) and the attempt
    /// is refused: the task is then gone.
    pub(super) fn handshake_starts(
        &mut self,
        id: InstanceId,
        task: TaskRef,
        user: ConnRef,
        counted: bool,
    ) -> Option<SimDuration> {
        let now = self.now;
        match session_cost(&self.scenario.sessions, &mut self.redis, now) {
            Ok(extra) => Some(extra),
            Err(RedisDown) => {
                self.tasks.remove_held(&mut self.instances, task);
                self.instances[id].extra_mut().handshaking -= 1;
                self.balancer.connections_mut().dec(id);
                let at = now + self.scenario.balancer.hop_latency;
                self.conn_refused(user, counted, Refusal::RedisDown, at);
                None
            }
        }
    }

    /// A worker of `id` has accepted `user`'s upgrade, begun at `started`: the connection opens
    /// (unless its client left, or the instance is going away).
    pub(super) fn handshake_done(
        &mut self,
        id: InstanceId,
        user: ConnRef,
        started: SimTime,
        counted: bool,
        waiting: bool,
    ) {
        let now = self.now;
        self.instances[id].extra_mut().handshaking -= 1;
        self.balancer.connections_mut().dec(id);
        if !waiting {
            return;
        }
        let hop = self.scenario.balancer.hop_latency;
        if self.instances[id].life == Life::Draining {
            // Going away: the server answers 503 instead of upgrading.
            self.conn_refused(user, counted, Refusal::InstanceDown, now + hop);
        } else {
            self.attach(user, id);
            if let Some(l) = self.links.as_mut() {
                l.recorder.opened(counted, now + hop - started, now);
            }
        }
    }

    /// `id` stopped while holding `kind`: a handshake is refused, a message is lost for all its
    /// recipients, a delivery for those on `id`.
    pub(super) fn task_killed(&mut self, id: InstanceId, kind: TaskKind) {
        let now = self.now;
        let Some(l) = self.links.as_mut() else { return };
        match kind {
            TaskKind::Handshake {
                user,
                counted,
                waiting: true,
                ..
            } => self.conn_refused(user, counted, Refusal::InstanceDown, now),
            TaskKind::Handshake { .. } => {}
            TaskKind::Message(msg) => {
                if let Some(m) = l.messages.remove(msg.slot, msg.generation) {
                    l.recorder
                        .undelivered(m.counted, m.outstanding, Undelivery::InstanceDown);
                }
            }
            TaskKind::Delivery(msg) => {
                let n = l
                    .messages
                    .get(msg.slot, msg.generation)
                    .map_or(0, |m| l.recipients_on(m, id));
                self.settle(msg, n, Some(Undelivery::InstanceDown));
            }
        }
    }

    /// The user's connection is open on `id`.
    fn attach(&mut self, user: ConnRef, id: InstanceId) {
        let now = self.now;
        let Some(l) = self.links.as_mut() else { return };
        let config = l.config;
        let Some(u) = l.users.get_mut(user.slot, user.generation) else {
            return;
        };
        let members = &mut self.instances[id].extra_mut().members;
        let room = &mut l.rooms[u.room as usize];
        u.link = Link::Open {
            instance: id,
            since: now,
            at_instance: members.len() as u32,
            at_room: room.len() as u32,
        };
        members.push(user);
        room.push(user);
        u.failures = 0;
        self.balancer.connections_mut().inc(id);
        u.close_at = SimTime::MAX;
        if let Some(age) = config.max_age {
            u.close_at = now + age;
            u.close_why = Drop::MaxAge;
            if u.close_at < self.end {
                self.queue.push(u.close_at, Event::ConnClose(user));
            }
        }
        if config.message_rate > 0.0 && !u.talking {
            u.talking = true;
            let gap =
                SimDuration::from_secs_f64(u.rng.sample::<f64, _>(Exp1) / config.message_rate);
            self.queue.push(now + gap, Event::ConnMessage(user));
        }
    }

    /// The user's open connection ends; it leaves its instance and its room.
    fn detach(&mut self, user: ConnRef) -> Option<InstanceId> {
        let l = self.links.as_mut()?;
        let u = l.users.get_mut(user.slot, user.generation)?;
        let Link::Open {
            instance,
            at_instance,
            at_room,
            ..
        } = u.link
        else {
            return None;
        };
        u.link = Link::Waiting;
        u.close_at = SimTime::MAX;
        let room = u.room as usize;
        let members = &mut self.instances[instance].extra_mut().members;
        members.swap_remove(at_instance as usize);
        if let Some(&moved) = members.get(at_instance as usize) {
            if let Some(Link::Open { at_instance: a, .. }) = l
                .users
                .get_mut(moved.slot, moved.generation)
                .map(|m| &mut m.link)
            {
                *a = at_instance;
            }
        }
        let list = &mut l.rooms[room];
        list.swap_remove(at_room as usize);
        if let Some(&moved) = list.get(at_room as usize) {
            if let Some(Link::Open { at_room: a, .. }) = l
                .users
                .get_mut(moved.slot, moved.generation)
                .map(|m| &mut m.link)
            {
                *a = at_room;
            }
        }
        self.balancer.connections_mut().dec_saturating(instance);
        Some(instance)
    }

    /// The server side closes an open connection (`why`); its client reconnects.
    fn drop_connection(&mut self, user: ConnRef, why: Drop) {
        if self.detach(user).is_none() {
            return;
        }
        let now = self.now;
        let Some(l) = self.links.as_mut() else { return };
        l.recorder.closed(now, Some(why));
        if let Some(u) = l.users.get_mut(user.slot, user.generation) {
            u.failures = 0;
        }
        self.retry_later(user, now);
    }

    /// A close the server planned for this instant (drain spread, max age).
    pub(super) fn conn_close(&mut self, user: ConnRef) {
        let Some(u) = self
            .links
            .as_ref()
            .and_then(|l| l.users.get(user.slot, user.generation))
        else {
            return;
        };
        if u.close_at != self.now {
            return; // planned for an earlier attachment
        }
        let (why, instance) = match u.link {
            Link::Open { instance, .. } => (u.close_why, instance),
            _ => return,
        };
        self.drop_connection(user, why);
        self.finish_drain_if_empty(instance);
    }

    /// The user's lifetime is over: it closes its connection (or stops trying) and is gone.
    pub(super) fn conn_leave(&mut self, user: ConnRef) {
        let now = self.now;
        let link = match self
            .links
            .as_ref()
            .and_then(|l| l.users.get(user.slot, user.generation))
        {
            Some(u) => u.link,
            None => return,
        };
        match link {
            Link::Open { instance, .. } => {
                self.detach(user);
                if let Some(l) = self.links.as_mut() {
                    l.recorder.closed(now, None);
                }
                self.finish_drain_if_empty(instance);
            }
            Link::Handshaking(task) => {
                // The user stops waiting; the instance still does the work.
                let Some(l) = self.links.as_mut() else { return };
                if let Some(t) = self.tasks.get_mut(task.slot, task.generation) {
                    if let TaskKind::Handshake {
                        counted,
                        ref mut waiting,
                        ..
                    } = t.kind
                    {
                        if *waiting {
                            *waiting = false;
                            l.recorder.refused(counted, Refusal::Abandoned);
                        }
                    }
                }
            }
            Link::Waiting => {}
        }
        if let Some(l) = self.links.as_mut() {
            l.users.remove(user.slot, user.generation);
        }
    }

    /// An open connection sends a message to its room.
    pub(super) fn conn_message(&mut self, user: ConnRef) {
        let now = self.now;
        let counted = self.recorder.measured(now);
        let Some(l) = self.links.as_mut() else { return };
        let config = l.config;
        let Some(u) = l.users.get_mut(user.slot, user.generation) else {
            return;
        };
        let Link::Open { instance, .. } = u.link else {
            u.talking = false; // reconnecting: the next attach starts a new timer
            return;
        };
        let gap = SimDuration::from_secs_f64(u.rng.sample::<f64, _>(Exp1) / config.message_rate);
        self.queue.push(now + gap, Event::ConnMessage(user));
        let work = l.message_time.sample(&mut u.rng);
        let room = u.room;
        let mut msg = Message {
            sent: now,
            counted,
            room,
            sender: user,
            sender_instance: instance,
            local: 0,
            outstanding: 0,
            pending: 0,
        };
        let members = l.rooms[room as usize].len() as u64;
        let recipients = members.saturating_sub(1);
        msg.local = l.recipients_on(&msg, instance);
        l.recorder.message_sent(counted, recipients);
        msg.outstanding = if config.delivery == Delivery::Local {
            l.recorder
                .undelivered(counted, recipients - msg.local, Undelivery::NotLocal);
            msg.local
        } else {
            recipients
        };
        let (slot, generation) = l.messages.insert(msg);
        let kind = TaskKind::Message(MsgRef { slot, generation });
        let task = self
            .tasks
            .insert_held(&mut self.instances, Task::new(instance, now, work, kind));
        self.enqueue_task(instance, task, work);
    }

    /// The sender's instance has handled `msg`: it forwards it to its own members and, under
    /// pub/sub, publishes it.
    pub(super) fn message_handled(&mut self, msg: MsgRef) {
        let now = self.now;
        let Some(l) = self.links.as_mut() else { return };
        let config = l.config;
        let Some(m) = l.messages.get(msg.slot, msg.generation) else {
            return;
        };
        let delivered = l.recipients_on(m, m.sender_instance);
        let (counted, sent, local) = (m.counted, m.sent, m.local);
        l.recorder.delivered(counted, delivered, now - sent);
        l.recorder
            .undelivered(counted, local - delivered, Undelivery::ReceiverGone);
        let Some(m) = l.messages.get_mut(msg.slot, msg.generation) else {
            return;
        };
        m.outstanding -= local;
        if config.delivery == Delivery::Local {
            l.recorder.fanout(counted, false, 1);
            l.messages.remove(msg.slot, msg.generation);
            return;
        }
        match self.redis.operation(now) {
            Err(RedisDown) => {
                l.recorder.fanout(counted, false, 1);
                l.recorder
                    .undelivered(counted, m.outstanding, Undelivery::RedisDown);
                l.messages.remove(msg.slot, msg.generation);
            }
            Ok(cost) => {
                l.recorder.fanout(counted, true, 1);
                m.pending = 1;
                self.queue.push(now + cost, Event::Publish(msg));
            }
        }
    }

    /// A publish reaches the subscribed instances: each gets a delivery to handle.
    pub(super) fn publish_arrives(&mut self, msg: MsgRef) {
        let now = self.now;
        let Some(l) = self.links.as_mut() else { return };
        let config = l.config;
        let Some(m) = l.messages.get(msg.slot, msg.generation) else {
            return;
        };
        let (sender, counted, room) = (m.sender_instance, m.counted, m.room);
        let mut targets = std::mem::take(&mut l.targets);
        targets.clear();
        match config.delivery {
            Delivery::RedisPubsub => targets.extend(
                self.instances
                    .iter()
                    .filter(|(_, inst)| inst.is_up())
                    .map(|(id, _)| id),
            ),
            Delivery::ShardedPubsub | Delivery::Local => {
                for member in &l.rooms[room as usize] {
                    if let Some(Link::Open { instance, .. }) =
                        l.users.get(member.slot, member.generation).map(|u| u.link)
                    {
                        targets.push(instance);
                    }
                }
                targets.sort_unstable();
                targets.dedup();
            }
        }
        targets.retain(|&t| t != sender && self.instances[t].is_up());
        l.recorder.fanout(counted, false, targets.len() as u64);
        if let Some(m) = l.messages.get_mut(msg.slot, msg.generation) {
            m.pending += targets.len() as u32;
        }
        for &id in &targets {
            let Some(l) = self.links.as_mut() else { break };
            let work = l.message_time.sample(&mut l.delivery_rng);
            let task = self.tasks.insert_held(
                &mut self.instances,
                Task::new(id, now, work, TaskKind::Delivery(msg)),
            );
            self.enqueue_task(id, task, work);
        }
        if let Some(l) = self.links.as_mut() {
            l.targets = targets;
        }
        self.settle(msg, 0, None);
    }

    /// `id` has forwarded `msg` to its members.
    pub(super) fn delivery_done(&mut self, msg: MsgRef, id: InstanceId) {
        let Some(l) = self.links.as_mut() else { return };
        let Some(m) = l.messages.get(msg.slot, msg.generation) else {
            return;
        };
        let n = l.recipients_on(m, id);
        l.recorder.delivered(m.counted, n, self.now - m.sent);
        self.settle(msg, n, None);
    }

    /// One publish or delivery of `msg` is through, having resolved `resolved` recipients
    /// (undelivered for `why`, if given: the recorder has them delivered otherwise). When the
    /// last is through, whoever is left disconnected before their delivery.
    fn settle(&mut self, msg: MsgRef, resolved: u64, why: Option<Undelivery>) {
        let Some(l) = self.links.as_mut() else { return };
        let Some(m) = l.messages.get_mut(msg.slot, msg.generation) else {
            return;
        };
        if let Some(why) = why {
            l.recorder.undelivered(m.counted, resolved, why);
        }
        m.outstanding -= resolved;
        m.pending -= 1;
        if m.pending == 0 {
            let (counted, left) = (m.counted, m.outstanding);
            l.recorder
                .undelivered(counted, left, Undelivery::ReceiverGone);
            l.messages.remove(msg.slot, msg.generation);
        }
    }

    /// `id` stops: every connection on it drops for `why` (its tasks died first, in
    /// `stop_tasks`: a delivery's loss is counted among the members still there).
    pub(super) fn stop_links(&mut self, id: InstanceId, why: Stop) {
        if let Some(x) = self.instances[id].extra.as_deref_mut() {
            x.handshaking = 0;
        }
        let cause = match why {
            Stop::Crash => Drop::Crash,
            Stop::ScaleIn => Drop::ScaleIn,
            Stop::Deploy => Drop::Deploy,
        };
        while let Some(&user) = self.instances[id].members().last() {
            self.drop_connection(user, cause);
        }
    }

    /// A draining instance closes its connections, spread evenly over `close_over`.
    pub(super) fn drain_links(&mut self, id: InstanceId, why: Stop) {
        let Some(config) = self.links.as_ref().map(|l| l.config) else {
            return;
        };
        let cause = match why {
            Stop::Crash | Stop::ScaleIn => Drop::ScaleIn,
            Stop::Deploy => Drop::Deploy,
        };
        let spread = config.close_over.as_nanos();
        if spread == 0 {
            while let Some(&user) = self.instances[id].members().last() {
                self.drop_connection(user, cause);
            }
            return;
        }
        let Some(l) = self.links.as_mut() else { return };
        let members = self.instances[id].members();
        let n = members.len() as u128;
        for (k, &user) in members.iter().enumerate() {
            let Some(u) = l.users.get_mut(user.slot, user.generation) else {
                continue;
            };
            let offset = (u128::from(spread) * (k as u128 + 1) / n) as u64;
            u.close_at = self.now + SimDuration(offset);
            u.close_why = cause;
            if u.close_at < self.end {
                self.queue.push(u.close_at, Event::ConnClose(user));
            }
        }
    }

    /// The balancer failed: every connection through it is reset.
    pub(super) fn reset_links(&mut self) {
        let Some(l) = self.links.as_ref() else { return };
        let open: Vec<ConnRef> = l
            .users
            .iter()
            .filter(|(_, _, u)| matches!(u.link, Link::Open { .. }))
            .map(|(slot, generation, _)| ConnRef { slot, generation })
            .collect();
        for user in open {
            self.drop_connection(user, Drop::BalancerDown);
        }
    }

    /// Open connections on the most and least loaded instance in rotation.
    pub(super) fn members_spread(&self) -> (u64, u64) {
        let routable = self.balancer.routable();
        let counts = routable
            .iter()
            .map(|&id| self.instances[id].members().len() as u64);
        let max = counts.clone().max().unwrap_or(0);
        let min = counts.min().unwrap_or(0);
        (max, min)
    }

    /// Max over mean open connections per instance in rotation.
    pub(super) fn members_imbalance(&self) -> f64 {
        let routable = self.balancer.routable();
        let total: u64 = routable
            .iter()
            .map(|&id| self.instances[id].members().len() as u64)
            .sum();
        if total == 0 {
            return 0.0;
        }
        let mean = total as f64 / routable.len() as f64;
        self.members_spread().0 as f64 / mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Reconnect;

    fn policy(policy: ReconnectPolicy) -> Connections {
        let mut c = crate::model::conn_tests::chat_config();
        c.reconnect = Reconnect {
            policy,
            base: SimDuration::from_millis(500),
            cap: SimDuration::from_secs(30),
        };
        c
    }

    #[test]
    fn each_reconnect_policy_waits_as_documented() {
        let mut rng = stream(7, stream_key("test"), 0);
        let ms = SimDuration::from_millis;
        let immediate = policy(ReconnectPolicy::Immediate);
        let fixed = policy(ReconnectPolicy::Fixed);
        let exponential = policy(ReconnectPolicy::Exponential);
        for k in [0, 1, 5, 40, 1_000] {
            assert_eq!(backoff(&immediate, k, &mut rng), SimDuration::ZERO);
            assert_eq!(backoff(&fixed, k, &mut rng), ms(500));
        }
        // base·2^k: 500 ms, 1 s, 2 s, 4 s, 8 s, 16 s, then the 30 s cap (and no overflow).
        let grown: Vec<u64> = (0..8)
            .map(|k| backoff(&exponential, k, &mut rng).as_nanos() / 1_000_000)
            .collect();
        assert_eq!(
            grown,
            [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]
        );
        assert_eq!(backoff(&exponential, u32::MAX, &mut rng), ms(30_000));
    }

    #[test]
    fn full_jitter_is_uniform_below_the_exponential_delay() {
        // Uniform in [0, min(cap, base·2^k)]: for k = 2 the bound is 2 s, so the mean of many
        // draws is 1 s (standard error 2/√12/√20000 s ≈ 4 ms) and no draw exceeds 2 s.
        let jitter = policy(ReconnectPolicy::ExponentialJitter);
        let mut rng = stream(7, stream_key("test"), 0);
        let draws: Vec<f64> = (0..20_000)
            .map(|_| backoff(&jitter, 2, &mut rng).as_secs_f64())
            .collect();
        assert!(draws.iter().all(|&d| (0.0..=2.0).contains(&d)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((mean - 1.0).abs() < 0.02, "mean {mean}");
        // Past the cap, the bound stays 30 s.
        assert!((0..1000).all(|_| backoff(&jitter, 60, &mut rng) <= SimDuration::from_secs(30)));
    }
}
