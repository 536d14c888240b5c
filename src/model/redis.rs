//! The Redis tier: one server shared by everything that uses it — the session store, pub/sub
//! fan-out of connection messages — with one capacity, one latency and one failure timeline.
//!
//! Every operation, whoever issues it, goes through [`Redis::operation`]. The tier is a single
//! FIFO server of capacity `max_ops` operations per second plus a network round trip: an
//! operation waits for the server to be free, holds it `1/max_ops`, then returns after the
//! sampled latency. Past its capacity the queue, and so the latency of everything using Redis,
//! grows. A scenario that uses no Redis never issues an operation, and the tier costs nothing.
//!
//! Faults apply to the whole tier:
//!
//! ```text
//!   outage    [from, until)  every operation fails (`RedisDown`); with data loss, every key
//!                            written before `from` is gone for good (no persistence, no replica)
//!   slowdown  [from, until)  operations *issued* inside the window take `factor` times longer:
//!                            both the server's time per op (so its capacity drops) and the trip
//! ```
//!
//! One outage window and one slowdown window are held at a time: registering a new one replaces
//! the previous (the timeline never overlaps them). Data loss is not forgotten with its window:
//! the latest wipe instant is kept, so a key written before *any* past data-loss outage stays
//! gone. Windows must be registered in chronological order (the scenario's events are sorted).
//!
//! The tier's busy time (operations × time per op) is accumulated for a utilisation series. It
//! is booked when an operation is issued, so a window that ends with a backlog can show a
//! utilisation above 1 and the next window correspondingly less.

use crate::engine::{Rng, SimDuration, SimTime};
use crate::model::sampling::DurationSampler;
use crate::scenario::RedisConfig;

/// Redis could not be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RedisDown;

pub(crate) struct Redis {
    latency: DurationSampler,
    /// Store time per operation: 1 / max_ops.
    op_time: SimDuration,
    /// When the store finishes the operations already queued on it.
    free_at: SimTime,
    rng: Rng,
    /// The current (or last, or next) outage.
    outage: Window,
    /// The outage's start if it loses data.
    outage_wipe: Option<SimTime>,
    /// The latest data-loss instant of the outages before `outage`.
    earlier_wipe: Option<SimTime>,
    /// The current (or last, or next) slowdown, and its factor.
    slowdown: Window,
    slow_factor: f64,
    /// Store busy time since the last `take_busy`.
    busy: SimDuration,
}

/// A half-open interval of simulated time `[from, until)`; empty by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Window {
    from: SimTime,
    until: SimTime,
}

impl Window {
    #[inline]
    fn contains(self, t: SimTime) -> bool {
        self.from <= t && t < self.until
    }
}

impl Redis {
    pub(crate) fn new(config: &RedisConfig, rng: Rng) -> Self {
        Redis::with(DurationSampler::new(&config.latency), config.max_ops, rng)
    }

    fn with(latency: DurationSampler, max_ops: f64, rng: Rng) -> Self {
        Redis {
            latency,
            op_time: SimDuration::from_secs_f64(1.0 / max_ops),
            free_at: SimTime::ZERO,
            rng,
            outage: Window::default(),
            outage_wipe: None,
            earlier_wipe: None,
            slowdown: Window::default(),
            slow_factor: 1.0,
            busy: SimDuration::ZERO,
        }
    }

    /// One store operation issued at `now`: queueing behind earlier operations, the store's own
    /// service time, and the network round trip (both scaled inside a slowdown). Nothing is
    /// queued, drawn or counted for an operation that fails in an outage.
    #[inline]
    pub(crate) fn operation(&mut self, now: SimTime) -> Result<SimDuration, RedisDown> {
        if self.outage.contains(now) {
            return Err(RedisDown);
        }
        let mut op_time = self.op_time;
        let mut rtt = self.latency.sample(&mut self.rng);
        if self.slowdown.contains(now) {
            op_time = scale(op_time, self.slow_factor);
            rtt = scale(rtt, self.slow_factor);
        }
        let start = self.free_at.max(now);
        self.free_at = start + op_time;
        self.busy = self.busy + op_time;
        Ok((start - now) + op_time + rtt)
    }

    /// Operations issued during [from, until) take `factor` times longer (both the server's own
    /// time per op and the round trip). Replaces the previous slowdown window.
    pub(crate) fn slowdown(&mut self, from: SimTime, until: SimTime, factor: f64) {
        self.slowdown = Window { from, until };
        self.slow_factor = factor;
    }

    /// Whether Redis is in an outage at `now`.
    #[cfg(test)]
    fn is_down(&self, now: SimTime) -> bool {
        self.outage.contains(now)
    }

    /// Busy time (operations × time per op, slowdown included) accumulated since the last call,
    /// for a per-window utilisation = busy / window.
    pub(crate) fn take_busy(&mut self) -> SimDuration {
        std::mem::take(&mut self.busy)
    }

    /// Redis is unreachable during [from, until). With `data_loss`, every key written before
    /// `from` is gone. Replaces the previous outage window (a data loss it had is remembered).
    pub(crate) fn outage(&mut self, from: SimTime, until: SimTime, data_loss: bool) {
        // The replaced window's wipe still happened: keep the latest one.
        if let Some(wipe) = self.outage_wipe.take() {
            self.earlier_wipe = Some(self.earlier_wipe.map_or(wipe, |w| w.max(wipe)));
        }
        self.outage = Window { from, until };
        self.outage_wipe = data_loss.then_some(from);
    }

    /// Whether a key written at `written` is still there at `now`. State written at `written` is gone if a wipe at `w` with `written < w ≤ now` exists. Wipes
    /// are registered in time order, so among the earlier ones only the latest can decide.
    #[inline]
    pub(crate) fn holds(&self, written: SimTime, now: SimTime) -> bool {
        let wiped = |wipe: Option<SimTime>| wipe.is_some_and(|w| written < w && w <= now);
        !wiped(self.outage_wipe) && !wiped(self.earlier_wipe)
    }
}

/// `d × factor`, rounded to the nanosecond; a negative or NaN factor gives zero.
#[inline]
fn scale(d: SimDuration, factor: f64) -> SimDuration {
    let ns = d.as_nanos() as f64 * factor;
    if ns.is_finite() && ns > 0.0 {
        SimDuration::from_nanos_f64(ns)
    } else {
        SimDuration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream, stream_key};

    /// A store of `max_ops` operations per second with a constant 500 µs round trip.
    fn redis(max_ops: f64) -> Redis {
        Redis::with(
            DurationSampler::Constant(SimDuration::from_micros(500)),
            max_ops,
            stream(1, stream_key("redis"), 0),
        )
    }

    fn tier(max_ops: f64) -> Redis {
        redis(max_ops)
    }

    fn secs(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    fn ms(ms: u64) -> SimDuration {
        SimDuration::from_millis(ms)
    }

    fn us(us: u64) -> SimDuration {
        SimDuration::from_micros(us)
    }

    #[test]
    fn an_idle_store_costs_service_plus_round_trip() {
        let mut r = redis(1000.0); // 1 ms per operation
        assert_eq!(r.operation(secs(1)), Ok(us(1_500)));
    }

    #[test]
    fn a_saturated_store_queues_operations() {
        let mut r = redis(1000.0);
        // Three operations at the same instant: the third waits for two others (2 ms).
        let _ = r.operation(secs(1));
        let _ = r.operation(secs(1));
        assert_eq!(r.operation(secs(1)), Ok(us(3_500)));
    }

    #[test]
    fn an_outage_fails_operations_inside_its_window_only() {
        let mut t = tier(1000.0);
        t.outage(secs(10), secs(20), false);
        // [10 s, 20 s): down from 10 s inclusive to 20 s exclusive.
        assert!(!t.is_down(SimTime(secs(10).0 - 1)));
        assert!(t.is_down(secs(10)));
        assert!(t.is_down(SimTime(secs(20).0 - 1)));
        assert!(!t.is_down(secs(20)));
        assert_eq!(t.operation(secs(9)), Ok(us(1_500)));
        assert_eq!(t.operation(secs(10)), Err(RedisDown));
        assert_eq!(t.operation(secs(15)), Err(RedisDown));
        assert_eq!(t.operation(secs(20)), Ok(us(1_500)));
    }

    #[test]
    fn a_failed_operation_neither_queues_nor_counts_as_busy() {
        let mut t = tier(1000.0);
        t.outage(secs(10), secs(20), false);
        for _ in 0..100 {
            assert_eq!(t.operation(secs(19)), Err(RedisDown));
        }
        assert_eq!(t.take_busy(), SimDuration::ZERO);
        // Right after the outage the store is idle: 1 ms + 0.5 ms.
        assert_eq!(t.operation(secs(20)), Ok(us(1_500)));
    }

    #[test]
    fn an_outage_without_data_loss_keeps_every_session() {
        let mut t = tier(1000.0);
        t.outage(secs(10), secs(20), false);
        assert!(t.holds(secs(5), secs(15)));
        assert!(t.holds(secs(5), secs(30)));
    }

    #[test]
    fn data_loss_wipes_sessions_written_before_the_outage_began() {
        let mut t = tier(1000.0);
        t.outage(secs(10), secs(20), true);
        // Written at 5 s: there until the wipe at 10 s, gone from 10 s on, for good.
        assert!(t.holds(secs(5), secs(9)));
        assert!(!t.holds(secs(5), secs(10)));
        assert!(!t.holds(secs(5), secs(15)));
        assert!(!t.holds(secs(5), secs(1000)));
        // Written after the wipe (a re-login once the store is back): kept.
        assert!(t.holds(secs(20), secs(30)));
    }

    #[test]
    fn a_later_outage_does_not_resurrect_sessions_lost_in_an_earlier_one() {
        let mut t = tier(1000.0);
        t.outage(secs(10), secs(20), true);
        t.outage(secs(100), secs(110), false);
        // Written at 5 s, wiped at 10 s; the second outage loses nothing but must not forget.
        assert!(!t.holds(secs(5), secs(50)));
        assert!(!t.holds(secs(5), secs(200)));
        // Written at 30 s: survives the second outage (no data loss).
        assert!(t.holds(secs(30), secs(200)));
        // A third, lossy outage at 300 s wipes everything written before it.
        t.outage(secs(300), secs(310), true);
        assert!(t.holds(secs(30), secs(299)));
        assert!(!t.holds(secs(30), secs(300)));
        assert!(!t.holds(secs(5), secs(400)));
        assert!(t.holds(secs(310), secs(400)));
    }

    #[test]
    fn a_new_outage_replaces_the_previous_window() {
        let mut t = tier(1000.0);
        t.outage(secs(10), secs(20), false);
        t.outage(secs(100), secs(110), false);
        assert!(!t.is_down(secs(15)));
        assert!(t.is_down(secs(105)));
    }

    #[test]
    fn a_slowdown_scales_store_time_and_round_trip_of_operations_issued_inside_it() {
        let mut t = tier(1000.0);
        t.slowdown(secs(10), secs(20), 4.0);
        // Outside: 1 ms + 0.5 ms. Inside: 4 × 1 ms + 4 × 0.5 ms = 6 ms.
        assert_eq!(t.operation(secs(5)), Ok(us(1_500)));
        assert_eq!(t.operation(secs(10)), Ok(ms(6)));
        assert_eq!(t.operation(SimTime(secs(20).0 - 1)), Ok(ms(6)));
        // Issued at 20 s: ordinary again, once the slowed operation ahead of it (4 ms on the
        // store from 1 ns before) is through: 4 ms − 1 ns of queueing + 1.5 ms.
        assert_eq!(
            t.operation(secs(20)),
            Ok(SimDuration(ms(4).as_nanos() - 1) + us(1_500))
        );
        assert_eq!(t.operation(secs(21)), Ok(us(1_500)));
    }

    #[test]
    fn a_slowdown_cuts_the_store_capacity() {
        let mut t = tier(1000.0);
        t.slowdown(secs(10), secs(20), 4.0);
        // Three operations at 10 s, 4 ms each on the store: the third waits 8 ms, then
        // 4 ms + 2 ms of its own = 14 ms.
        let _ = t.operation(secs(10));
        let _ = t.operation(secs(10));
        assert_eq!(t.operation(secs(10)), Ok(ms(14)));
    }

    #[test]
    fn a_new_slowdown_replaces_the_previous_window() {
        let mut t = tier(1000.0);
        t.slowdown(secs(10), secs(20), 4.0);
        t.slowdown(secs(100), secs(110), 2.0);
        assert_eq!(t.operation(secs(15)), Ok(us(1_500)));
        // 2 × 1 ms + 2 × 0.5 ms.
        assert_eq!(t.operation(secs(105)), Ok(ms(3)));
    }

    #[test]
    fn busy_time_counts_operations_times_op_time_and_resets_when_taken() {
        let mut t = tier(1000.0);
        t.slowdown(secs(10), secs(20), 4.0);
        // Five ordinary operations (5 × 1 ms) and two slowed ones (2 × 4 ms) = 13 ms.
        for s in [1, 2, 3, 4, 5, 11, 12] {
            t.operation(secs(s)).unwrap();
        }
        assert_eq!(t.take_busy(), ms(13));
        assert_eq!(t.take_busy(), SimDuration::ZERO);
        t.operation(secs(30)).unwrap();
        assert_eq!(t.take_busy(), ms(1));
    }

    #[test]
    fn scaling_rounds_to_the_nanosecond() {
        assert_eq!(scale(SimDuration(3), 0.5), SimDuration(2));
        assert_eq!(scale(ms(1), 1.5), us(1_500));
        assert_eq!(scale(ms(1), -1.0), SimDuration::ZERO);
    }
}
