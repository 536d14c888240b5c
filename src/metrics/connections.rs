//! What became of long-lived connections and their messages: exact counters, two latency
//! histograms and one row per report window.
//!
//! Two invariants hold for everything that starts after warm-up, and the tests check them:
//!
//! ```text
//!   attempts   = opened + Σ refused + handshaking at end
//!   recipients = delivered + Σ undelivered + in flight at end
//! ```
//!
//! A *recipient* is one (message, room member) pair: a message sent to a room of five open
//! connections has four recipients, the sender aside.

use hdrhistogram::Histogram;
use serde::Serialize;

use super::recorder::{latency_histogram, latency_of, to_us};
use super::report::Latency;
use crate::engine::{SimDuration, SimTime};

/// Why a connection attempt (the upgrade handshake) was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    BalancerDown,
    /// Nothing in rotation, or the instance picked was dead, draining or stopped meanwhile.
    InstanceDown,
    QueueFull,
    /// The instance already holds `max_per_instance` connections.
    OverLimit,
    /// The handshake's session lookup needed Redis, which was down.
    RedisDown,
    /// Not accepted within the handshake timeout.
    Timeout,
    /// The user's lifetime ended while it was handshaking.
    Abandoned,
}

/// Why an open connection was closed by something other than its user leaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Drop {
    Crash,
    ScaleIn,
    Deploy,
    /// The server closed it at `max_age`.
    MaxAge,
    /// The balancer it went through failed.
    BalancerDown,
}

/// Why a recipient never got a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Undelivery {
    /// `local` delivery, and the recipient is on another instance.
    NotLocal,
    /// The instance handling the message (the sender's, or the recipient's delivery) stopped
    /// before it was through.
    InstanceDown,
    /// The publish failed: Redis was down.
    RedisDown,
    /// The recipient disconnected between the send and the delivery.
    ReceiverGone,
}

/// Connection attempts after warm-up and what became of each, and the connections' life.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Connections {
    /// Users who connected for the first time.
    pub users: u64,
    /// Handshakes attempted: first connections and reconnects.
    pub attempts: u64,
    /// Attempts accepted.
    pub opened: u64,
    pub refused: Refused,
    /// Attempts still handshaking when the run ended.
    pub in_flight_at_end: u64,
    /// Attempts after a drop or a refusal (all attempts but each user's first).
    pub reconnects: u64,
    /// The most reconnect attempts within one second of simulated time.
    pub peak_reconnects_per_s: u64,
    /// Open connections closed by the server side, by cause.
    pub dropped: Dropped,
    /// Connections closed because their user was done.
    pub closed_by_client: u64,
    pub open_at_end: u64,
    pub peak_open: u64,
    /// Open connections on the most loaded instance in rotation over the mean, at the end.
    pub imbalance_at_end: f64,
    /// From the attempt to its acceptance, for accepted attempts, in milliseconds.
    pub handshake_ms: Latency,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Refused {
    pub balancer_down: u64,
    pub instance_down: u64,
    pub queue_full: u64,
    pub over_limit: u64,
    pub redis_down: u64,
    pub timeout: u64,
    pub abandoned: u64,
}

impl Refused {
    pub(crate) fn total(&self) -> u64 {
        self.balancer_down
            + self.instance_down
            + self.queue_full
            + self.over_limit
            + self.redis_down
            + self.timeout
            + self.abandoned
    }
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Dropped {
    pub crash: u64,
    pub scale_in: u64,
    pub deploy: u64,
    pub max_age: u64,
    pub balancer_down: u64,
}

impl Dropped {
    pub(crate) fn total(&self) -> u64 {
        self.crash + self.scale_in + self.deploy + self.max_age + self.balancer_down
    }
}

/// Messages sent after warm-up, and each (message, room member) pair's fate.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Messages {
    pub sent: u64,
    /// (message, other member of the sender's room) pairs at the send.
    pub recipients: u64,
    pub delivered: u64,
    pub undelivered: Undelivered,
    /// Recipients whose delivery was still on its way when the run ended.
    pub in_flight_at_end: u64,
    /// From the send to the recipient's instance forwarding it, in milliseconds.
    pub latency_ms: Latency,
    /// Publishes to Redis (pub/sub delivery): one per message handled.
    pub redis_ops: u64,
    /// Instances that handled each message: the sender's, plus every instance a publish reached.
    pub instance_deliveries: u64,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Undelivered {
    pub not_local: u64,
    pub instance_down: u64,
    pub redis_down: u64,
    pub receiver_gone: u64,
}

impl Undelivered {
    pub(crate) fn total(&self) -> u64 {
        self.not_local + self.instance_down + self.redis_down + self.receiver_gone
    }
}

/// One report window of connection activity (the whole run, warm-up included).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ConnWindowRow {
    /// Open connections at the end of the window.
    pub open: u64,
    pub attempts: u64,
    pub reconnects: u64,
    pub refused: u64,
    pub dropped: u64,
    /// Recipients who got a message in the window, and who definitely did not.
    pub delivered: u64,
    pub undelivered: u64,
    /// Open connections on the most and least loaded instance in rotation, at the end.
    pub max_per_instance: u64,
    pub min_per_instance: u64,
}

/// Counts connection activity while the run goes.
pub(crate) struct ConnRecorder {
    warmup: SimTime,
    connections: Connections,
    messages: Messages,
    handshake: Histogram<u64>,
    latency: Histogram<u64>,
    window: ConnWindowRow,
    rows: Vec<ConnWindowRow>,
    open: u64,
    /// The second of simulated time being counted, and its reconnects so far.
    second: u64,
    second_reconnects: u64,
}

impl ConnRecorder {
    pub(crate) fn new(warmup: SimTime) -> Self {
        ConnRecorder {
            warmup,
            connections: Connections::default(),
            messages: Messages::default(),
            handshake: latency_histogram(),
            latency: latency_histogram(),
            window: ConnWindowRow::default(),
            rows: Vec::new(),
            open: 0,
            second: 0,
            second_reconnects: 0,
        }
    }

    #[inline]
    fn measured(&self, t: SimTime) -> bool {
        t >= self.warmup
    }

    pub(crate) fn user_arrived(&mut self, now: SimTime) {
        if self.measured(now) {
            self.connections.users += 1;
        }
    }

    /// An attempt begins; `reconnect` unless it is the user's first.
    pub(crate) fn attempt(&mut self, counted: bool, reconnect: bool, now: SimTime) {
        self.window.attempts += 1;
        if reconnect {
            self.window.reconnects += 1;
            let second = now.0 / 1_000_000_000;
            if second != self.second {
                self.second = second;
                self.second_reconnects = 0;
            }
            self.second_reconnects += 1;
            if counted {
                self.connections.peak_reconnects_per_s = self
                    .connections
                    .peak_reconnects_per_s
                    .max(self.second_reconnects);
            }
        }
        if counted {
            self.connections.attempts += 1;
            self.connections.reconnects += u64::from(reconnect);
        }
    }

    pub(crate) fn opened(&mut self, counted: bool, handshake: SimDuration, now: SimTime) {
        self.open += 1;
        if self.measured(now) {
            self.connections.peak_open = self.connections.peak_open.max(self.open);
        }
        if counted {
            self.connections.opened += 1;
            self.handshake.saturating_record(to_us(handshake));
        }
    }

    pub(crate) fn refused(&mut self, counted: bool, why: Refusal) {
        self.window.refused += 1;
        if !counted {
            return;
        }
        let r = &mut self.connections.refused;
        *match why {
            Refusal::BalancerDown => &mut r.balancer_down,
            Refusal::InstanceDown => &mut r.instance_down,
            Refusal::QueueFull => &mut r.queue_full,
            Refusal::OverLimit => &mut r.over_limit,
            Refusal::RedisDown => &mut r.redis_down,
            Refusal::Timeout => &mut r.timeout,
            Refusal::Abandoned => &mut r.abandoned,
        } += 1;
    }

    /// An open connection ends: dropped by the server side (`Some`), or closed by its user.
    pub(crate) fn closed(&mut self, now: SimTime, why: Option<Drop>) {
        self.open -= 1;
        let counted = self.measured(now);
        match why {
            None => self.connections.closed_by_client += u64::from(counted),
            Some(why) => {
                self.window.dropped += 1;
                if counted {
                    let d = &mut self.connections.dropped;
                    *match why {
                        Drop::Crash => &mut d.crash,
                        Drop::ScaleIn => &mut d.scale_in,
                        Drop::Deploy => &mut d.deploy,
                        Drop::MaxAge => &mut d.max_age,
                        Drop::BalancerDown => &mut d.balancer_down,
                    } += 1;
                }
            }
        }
    }

    /// A message is sent to `recipients` other members of its room.
    pub(crate) fn message_sent(&mut self, counted: bool, recipients: u64) {
        if counted {
            self.messages.sent += 1;
            self.messages.recipients += recipients;
        }
    }

    pub(crate) fn delivered(&mut self, counted: bool, recipients: u64, latency: SimDuration) {
        if recipients == 0 {
            return;
        }
        self.window.delivered += recipients;
        if counted {
            self.messages.delivered += recipients;
            self.latency.saturating_record_n(to_us(latency), recipients);
        }
    }

    pub(crate) fn undelivered(&mut self, counted: bool, recipients: u64, why: Undelivery) {
        if recipients == 0 {
            return;
        }
        self.window.undelivered += recipients;
        if counted {
            let u = &mut self.messages.undelivered;
            *match why {
                Undelivery::NotLocal => &mut u.not_local,
                Undelivery::InstanceDown => &mut u.instance_down,
                Undelivery::RedisDown => &mut u.redis_down,
                Undelivery::ReceiverGone => &mut u.receiver_gone,
            } += recipients;
        }
    }

    /// A message handled: published to Redis (`published`) and handled by `instances`.
    pub(crate) fn fanout(&mut self, counted: bool, published: bool, instances: u64) {
        if counted {
            self.messages.redis_ops += u64::from(published);
            self.messages.instance_deliveries += instances;
        }
    }

    /// Closes the window; `per_instance` is (max, min) open connections over instances in
    /// rotation.
    pub(crate) fn close_window(&mut self, per_instance: (u64, u64)) {
        let mut row = std::mem::take(&mut self.window);
        row.open = self.open;
        (row.max_per_instance, row.min_per_instance) = per_instance;
        self.rows.push(row);
    }

    /// The run's connection and message sections, and the per-window rows.
    pub(crate) fn finish(
        mut self,
        handshaking: u64,
        in_flight_recipients: u64,
        imbalance: f64,
    ) -> (Connections, Messages, Vec<ConnWindowRow>) {
        self.connections.in_flight_at_end = handshaking;
        self.connections.open_at_end = self.open;
        self.connections.imbalance_at_end = imbalance;
        self.connections.handshake_ms = latency_of(&self.handshake);
        self.messages.in_flight_at_end = in_flight_recipients;
        self.messages.latency_ms = latency_of(&self.latency);
        (self.connections, self.messages, self.rows)
    }
}
