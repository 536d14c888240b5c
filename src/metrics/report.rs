//! The result of one run: plain data, serialisable as `summary.json`.
//!
//! Field names are a public interface (scripts read summary.json): add fields, never rename.

use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    /// Measured span: duration minus warm-up.
    pub simulated_seconds: f64,
    pub warmup_seconds: f64,
    pub session_store: String,
    pub requests: Requests,
    pub sessions: Sessions,
    pub latency_ms: Latency,
    pub fleet: Fleet,
    pub balance: Balance,
    pub engine: Engine,
    /// Scenario events as they were applied (also during warm-up).
    pub timeline: Vec<TimelineEntry>,
    /// One row per report window, over the whole run (warm-up included, so charts show it).
    #[serde(skip)]
    pub timeseries: Vec<WindowRow>,
}

/// Request attempts sent after warm-up and what became of each. Every attempt is counted once:
/// `sent = succeeded + Σ failed + in_flight_at_end`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Requests {
    pub sent: u64,
    pub succeeded: u64,
    pub in_flight_at_end: u64,
    pub failed: Failed,
    /// Attempts that were retries of an earlier failed attempt (included in `sent`).
    pub retries: u64,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Failed {
    /// Routed to an instance that was dead but not yet detected by health checks.
    pub instance_down: u64,
    /// Rejected because the instance's queue was full.
    pub queue_full: u64,
    /// The client gave up after `workload.timeout`.
    pub timeout: u64,
    /// The session store was unreachable.
    pub store_unavailable: u64,
    /// Reached an instance that does not hold the session: the user was logged out.
    pub session_lost: u64,
    /// Still running when its instance was terminated (drain shorter than the work).
    pub killed: u64,
}

impl Failed {
    pub fn total(&self) -> u64 {
        self.instance_down
            + self.queue_full
            + self.timeout
            + self.store_unavailable
            + self.session_lost
            + self.killed
    }
}

impl Requests {
    /// The accounting invariant every run must satisfy.
    pub fn is_balanced(&self) -> bool {
        self.sent == self.succeeded + self.failed.total() + self.in_flight_at_end
    }
}

/// Sessions that started after warm-up.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Sessions {
    pub started: u64,
    /// Sent all their requests and received the last response (success or failure).
    pub completed: u64,
    /// Distinct sessions forced to log in again at least once.
    pub lost: u64,
    /// Log-ins beyond the first (one per lost-session event).
    pub relogins: u64,
}

/// Response times of successful requests after warm-up, in milliseconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Latency {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// Instances over the measured span.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Fleet {
    /// Σ over instances of seconds alive (launch to termination or crash): the cost.
    pub instance_seconds: f64,
    pub launched: u64,
    pub terminated: u64,
    pub crashed: u64,
    /// Most instances alive at once.
    pub peak: u64,
    /// Time-averaged instances alive.
    pub mean: f64,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Balance {
    /// max / mean of `requests_per_instance` (1.0 = perfectly even).
    pub imbalance: f64,
    /// Request attempts routed to each instance, in launch order.
    pub requests_per_instance: Vec<u64>,
}

/// How hard the engine worked. Wall-clock fields vary between runs; everything else is exact.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Engine {
    pub events: u64,
    pub wall_seconds: f64,
    pub events_per_second: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TimelineEntry {
    pub t_s: f64,
    pub label: String,
    /// Live sessions whose state or pin was on the instances the event hit.
    pub sessions_affected: u64,
}

/// One report window. Counts are of things that happened within the window.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct WindowRow {
    /// Start of the window, seconds.
    pub t_s: f64,
    /// Sessions that arrived.
    pub arrivals: u64,
    /// Request attempts sent.
    pub sent: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Instances the balancer routes to, at the end of the window.
    pub instances_ready: u32,
    /// Busy workers / all workers of live instances, time-averaged over the window.
    pub utilization: f64,
    /// Cumulative distinct lost sessions since the start of the run.
    pub sessions_lost_total: u64,
}
