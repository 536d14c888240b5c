//! An application instance: a pool of workers in front of a bounded FIFO queue.
//!
//! A request is served by a free worker at once, waits in the queue if all are busy, and is
//! rejected if the queue is full. Everything an instance holds (queue, requests in service,
//! in-memory sessions) dies with it when it crashes.

use std::collections::VecDeque;

use crate::engine::SimTime;
use crate::model::ids::RequestRef;

/// Where an instance is in its life:
///
/// ```text
/// Booting ──boot_time──► Up ──(deregistered)──► Draining ──► Terminated
///    └────────────────────┴──────────────(crash)──────────────► Dead
/// ```
///
/// `Up` is not the same as *in rotation*: a booted instance joins the balancer only after
/// `healthy_threshold` passed health checks, and a dead one stays in rotation until detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    /// Launched; the process is not up yet.
    Booting,
    /// Running and able to serve.
    Up,
    /// Deregistered: finishes what it holds, accepts nothing new.
    Draining,
    /// Stopped on purpose.
    Terminated,
    /// Crashed: refuses connections until it is taken out of rotation.
    Dead,
}

/// Why an instance stopped serving, so that a session found missing can be attributed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Crash,
    ScaleIn,
}

#[derive(Debug)]
pub struct Instance {
    pub life: Life,
    pub launched_at: SimTime,
    /// Until when the instance serves slower (warm-up after boot).
    pub warm_at: SimTime,
    pub stopped: Option<Stop>,
    /// Workers serving a request right now.
    pub busy: u32,
    /// Requests waiting for a worker, oldest first.
    pub queue: VecDeque<RequestRef>,
    /// How many requests at the head of `queue` have already timed out (their clients left, but
    /// the instance does not know and will still serve them).
    pub timed_out: u32,
    /// When the queue's timeout timer fires, if armed.
    pub timer_at: Option<SimTime>,
    /// Consecutive failed health checks.
    pub failed_checks: u32,
    /// Consecutive passed health checks.
    pub passed_checks: u32,
}

impl Instance {
    pub fn new(launched_at: SimTime, queue_capacity: u32) -> Self {
        Instance {
            life: Life::Booting,
            launched_at,
            warm_at: launched_at,
            stopped: None,
            busy: 0,
            queue: VecDeque::with_capacity(queue_capacity as usize),
            timed_out: 0,
            timer_at: None,
            failed_checks: 0,
            passed_checks: 0,
        }
    }

    /// Serves requests it receives (draining ones still finish theirs).
    pub fn is_up(&self) -> bool {
        matches!(self.life, Life::Up | Life::Draining)
    }

    /// Counts toward the desired capacity: booting or serving, not on its way out.
    pub fn is_active(&self) -> bool {
        matches!(self.life, Life::Booting | Life::Up)
    }

    /// Exists and is billed.
    pub fn is_live(&self) -> bool {
        matches!(self.life, Life::Booting | Life::Up | Life::Draining)
    }

    /// Requests queued or in service: what the balancer sees as open connections.
    pub fn load(&self) -> u32 {
        self.busy + self.queue.len() as u32
    }
}
