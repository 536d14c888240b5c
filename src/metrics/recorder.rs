//! The run's recorder: exact counters, HDR latency histograms and per-window rows.
//!
//! Memory is fixed up front (two histograms of ~184 KiB each, a few counters) plus one small row
//! per report window, so it does not grow with the number of requests simulated. Everything sent
//! before the warm-up ends is left out of the summary but still feeds the time series, so charts
//! show the whole run.

use hdrhistogram::Histogram;

use super::report::*;
use crate::engine::{SimDuration, SimTime};

/// Why a request attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    InstanceDown,
    QueueFull,
    Timeout,
    StoreUnavailable,
    SessionLost,
    /// Still running when its instance was terminated.
    Killed,
}

impl Cause {
    /// A failure the client retries (a lost session is a logout, not a transport error).
    pub fn is_retryable(self) -> bool {
        self != Cause::SessionLost
    }
}

/// Latencies are recorded in microseconds, from 1 µs to one hour, at 3 significant digits.
const LATENCY_MAX_US: u64 = 3_600_000_000;

fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_MAX_US, 3).expect("static histogram bounds are valid")
}

#[inline]
fn to_us(d: SimDuration) -> u64 {
    (d.as_nanos() / 1_000).clamp(1, LATENCY_MAX_US)
}

fn us_to_ms(us: u64) -> f64 {
    us as f64 / 1_000.0
}

/// Counts within the current report window.
#[derive(Default)]
struct Window {
    arrivals: u64,
    sent: u64,
    succeeded: u64,
    failed: u64,
    /// ∫ busy workers dt over the window, in worker-nanoseconds.
    busy_area: u128,
    /// ∫ worker capacity dt over the window.
    capacity_area: u128,
}

/// A piecewise-constant quantity integrated over time.
#[derive(Default)]
struct Level {
    value: u64,
    since: SimTime,
}

pub struct Recorder {
    warmup: SimTime,
    window_width: SimDuration,
    window_start: SimTime,
    requests: Requests,
    sessions: Sessions,
    lost_total: u64,
    latency: Histogram<u64>,
    window_latency: Histogram<u64>,
    window: Window,
    rows: Vec<WindowRow>,
    busy: Level,
    capacity: Level,
    alive: Level,
    /// ∫ alive instances dt over the measured span, in instance-nanoseconds.
    alive_area: u128,
    fleet: Fleet,
    routed: Vec<u64>,
    timeline: Vec<TimelineEntry>,
}

impl Recorder {
    pub fn new(warmup: SimTime, window: SimDuration, end: SimTime) -> Self {
        let windows = end.0.div_ceil(window.as_nanos().max(1)) as usize;
        Recorder {
            warmup,
            window_width: window,
            window_start: SimTime::ZERO,
            requests: Requests::default(),
            sessions: Sessions::default(),
            lost_total: 0,
            latency: latency_histogram(),
            window_latency: latency_histogram(),
            window: Window::default(),
            rows: Vec::with_capacity(windows.min(1 << 20)),
            busy: Level::default(),
            capacity: Level::default(),
            alive: Level::default(),
            alive_area: 0,
            fleet: Fleet::default(),
            routed: Vec::new(),
            timeline: Vec::new(),
        }
    }

    /// Whether something happening at `t` belongs to the summary.
    #[inline]
    pub fn measured(&self, t: SimTime) -> bool {
        t >= self.warmup
    }

    #[inline]
    pub fn session_arrived(&mut self, counted: bool) {
        self.window.arrivals += 1;
        self.sessions.started += u64::from(counted);
    }

    #[inline]
    pub fn session_completed(&mut self, counted: bool) {
        self.sessions.completed += u64::from(counted);
    }

    /// A session was found missing; `first` if this session had not been lost before.
    #[inline]
    pub fn session_lost(&mut self, counted: bool, first: bool) {
        if first {
            self.lost_total += 1;
        }
        if counted {
            self.sessions.lost += u64::from(first);
            self.sessions.relogins += 1;
        }
    }

    #[inline]
    pub fn sent(&mut self, counted: bool, retry: bool) {
        self.window.sent += 1;
        if counted {
            self.requests.sent += 1;
            self.requests.retries += u64::from(retry);
        }
    }

    #[inline]
    pub fn routed(&mut self, instance: usize, counted: bool) {
        if counted {
            if self.routed.len() <= instance {
                self.routed.resize(instance + 1, 0);
            }
            self.routed[instance] += 1;
        }
    }

    #[inline]
    pub fn succeeded(&mut self, counted: bool, latency: SimDuration) {
        let us = to_us(latency);
        self.window.succeeded += 1;
        self.window_latency.saturating_record(us);
        if counted {
            self.requests.succeeded += 1;
            self.latency.saturating_record(us);
        }
    }

    #[inline]
    pub fn failed(&mut self, counted: bool, cause: Cause) {
        self.window.failed += 1;
        if counted {
            let f = &mut self.requests.failed;
            *match cause {
                Cause::InstanceDown => &mut f.instance_down,
                Cause::QueueFull => &mut f.queue_full,
                Cause::Timeout => &mut f.timeout,
                Cause::StoreUnavailable => &mut f.store_unavailable,
                Cause::SessionLost => &mut f.session_lost,
                Cause::Killed => &mut f.killed,
            } += 1;
        }
    }

    /// Busy workers and worker capacity changed at `now`.
    #[inline]
    pub fn workers(&mut self, now: SimTime, busy: u64, capacity: u64) {
        self.window.busy_area += Self::advance(&mut self.busy, now, busy);
        self.window.capacity_area += Self::advance(&mut self.capacity, now, capacity);
    }

    /// Instances alive changed at `now`.
    pub fn alive(&mut self, now: SimTime, alive: u64) {
        self.integrate_alive(now);
        self.alive.value = alive;
        if self.measured(now) {
            self.fleet.peak = self.fleet.peak.max(alive);
        }
    }

    pub fn instance_launched(&mut self) {
        self.fleet.launched += 1;
    }

    pub fn instance_crashed(&mut self) {
        self.fleet.crashed += 1;
    }

    pub fn instance_terminated(&mut self) {
        self.fleet.terminated += 1;
    }

    pub fn event(&mut self, now: SimTime, label: String, sessions_affected: u64) {
        self.timeline.push(TimelineEntry {
            t_s: now.as_secs_f64(),
            label,
            sessions_affected,
        });
    }

    /// Closes the report window that ends at `now`.
    pub fn close_window(&mut self, now: SimTime, instances_ready: u32) {
        self.workers(now, self.busy.value, self.capacity.value);
        let w = std::mem::take(&mut self.window);
        let utilization = if w.capacity_area == 0 {
            0.0
        } else {
            w.busy_area as f64 / w.capacity_area as f64
        };
        let (p50_ms, p99_ms) = if self.window_latency.is_empty() {
            (0.0, 0.0)
        } else {
            (
                us_to_ms(self.window_latency.value_at_quantile(0.50)),
                us_to_ms(self.window_latency.value_at_quantile(0.99)),
            )
        };
        self.window_latency.reset();
        self.rows.push(WindowRow {
            t_s: self.window_start.as_secs_f64(),
            arrivals: w.arrivals,
            sent: w.sent,
            succeeded: w.succeeded,
            failed: w.failed,
            p50_ms,
            p99_ms,
            instances_ready,
            utilization,
            sessions_lost_total: self.lost_total,
        });
        self.window_start = now;
        // Fleet peak at the start of the measured span counts even if nothing changes after.
        if self.measured(now) {
            self.fleet.peak = self.fleet.peak.max(self.alive.value);
        }
    }

    pub fn window_width(&self) -> SimDuration {
        self.window_width
    }

    /// Adds `level · (now − since)` and moves the level's clock to `now`.
    #[inline]
    fn advance(level: &mut Level, now: SimTime, new_value: u64) -> u128 {
        let area =
            u128::from(level.value) * u128::from(now.saturating_since(level.since).as_nanos());
        level.value = new_value;
        level.since = now;
        area
    }

    fn integrate_alive(&mut self, now: SimTime) {
        let from = self.alive.since.max(self.warmup);
        if now > from {
            self.alive_area += u128::from(self.alive.value) * u128::from((now - from).as_nanos());
        }
        self.alive.since = now;
    }

    /// Condenses the run into a report. `in_flight` counts measured requests whose client was
    /// still waiting at `end`.
    pub fn finish(mut self, end: SimTime, in_flight: u64, meta: RunMeta) -> Report {
        self.integrate_alive(end);
        let measured_s = end.saturating_since(self.warmup).as_secs_f64();
        self.requests.in_flight_at_end = in_flight;
        self.fleet.instance_seconds = self.alive_area as f64 / 1e9;
        self.fleet.mean = if measured_s > 0.0 {
            self.fleet.instance_seconds / measured_s
        } else {
            0.0
        };
        let h = &self.latency;
        let latency_ms = if h.is_empty() {
            Latency::default()
        } else {
            Latency {
                mean: h.mean() / 1_000.0,
                p50: us_to_ms(h.value_at_quantile(0.50)),
                p90: us_to_ms(h.value_at_quantile(0.90)),
                p95: us_to_ms(h.value_at_quantile(0.95)),
                p99: us_to_ms(h.value_at_quantile(0.99)),
                p999: us_to_ms(h.value_at_quantile(0.999)),
                max: us_to_ms(h.max()),
            }
        };
        let mut routed = self.routed;
        routed.resize(meta.instances_launched, 0);
        let mean = routed.iter().sum::<u64>() as f64 / routed.len().max(1) as f64;
        let max = routed.iter().copied().max().unwrap_or(0) as f64;
        Report {
            scenario: meta.scenario,
            description: meta.description,
            seed: meta.seed,
            simulated_seconds: measured_s,
            warmup_seconds: self.warmup.as_secs_f64(),
            session_store: meta.session_store,
            requests: self.requests,
            sessions: self.sessions,
            latency_ms,
            fleet: self.fleet,
            balance: Balance {
                imbalance: if mean > 0.0 { max / mean } else { 0.0 },
                requests_per_instance: routed,
            },
            engine: Engine {
                events: meta.events,
                wall_seconds: meta.wall_seconds,
                events_per_second: if meta.wall_seconds > 0.0 {
                    meta.events as f64 / meta.wall_seconds
                } else {
                    0.0
                },
            },
            timeline: self.timeline,
            timeseries: self.rows,
        }
    }
}

/// What the recorder cannot know by itself.
pub struct RunMeta {
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub session_store: String,
    pub instances_launched: usize,
    pub events: u64,
    pub wall_seconds: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    fn meta() -> RunMeta {
        RunMeta {
            scenario: "t".into(),
            description: String::new(),
            seed: 1,
            session_store: "jwt".into(),
            instances_launched: 2,
            events: 0,
            wall_seconds: 0.0,
        }
    }

    #[test]
    fn warmup_is_excluded_from_the_summary_but_not_the_series() {
        let mut r = Recorder::new(t(10), SimDuration::from_secs(10), t(20));
        r.sent(r.measured(t(5)), false);
        r.succeeded(r.measured(t(5)), SimDuration::from_millis(3));
        r.close_window(t(10), 2);
        r.sent(r.measured(t(15)), true);
        r.failed(r.measured(t(15)), Cause::QueueFull);
        r.close_window(t(20), 2);
        let rep = r.finish(t(20), 0, meta());
        assert_eq!(rep.requests.sent, 1);
        assert_eq!(rep.requests.retries, 1);
        assert_eq!(rep.requests.failed.queue_full, 1);
        assert_eq!(rep.requests.succeeded, 0);
        assert!(rep.requests.is_balanced());
        assert_eq!(rep.timeseries.len(), 2);
        assert_eq!(rep.timeseries[0].succeeded, 1);
        // HDR reports the highest value equivalent to 3 ms at 3 significant digits.
        assert!((rep.timeseries[0].p50_ms - 3.0).abs() <= 0.003);
        assert_eq!(rep.timeseries[1].failed, 1);
    }

    #[test]
    fn utilization_and_instance_seconds_are_time_averages() {
        let mut r = Recorder::new(t(0), SimDuration::from_secs(10), t(10));
        r.alive(t(0), 2);
        r.workers(t(0), 0, 4);
        r.workers(t(5), 4, 4); // idle for 5 s, fully busy for 5 s
        r.alive(t(5), 1);
        r.close_window(t(10), 1);
        let rep = r.finish(t(10), 0, meta());
        assert!((rep.timeseries[0].utilization - 0.5).abs() < 1e-12);
        // 2 instances × 5 s + 1 × 5 s
        assert!((rep.fleet.instance_seconds - 15.0).abs() < 1e-9);
        assert!((rep.fleet.mean - 1.5).abs() < 1e-9);
        assert_eq!(rep.fleet.peak, 2);
    }
}
