//! Per-user rate limiting: a token bucket per user, counted either fleet-wide or per instance.
//!
//! The bucket refills at `per_user_per_s` requests per second and holds one second's worth
//! (capacity = max(1, per_user_per_s) requests), implemented as GCRA (the generic cell rate
//! algorithm), which needs one instant per bucket instead of a token count and a refill time:
//!
//! ```text
//!   T = 1 / rate                      emission interval
//!   τ = (capacity − 1) · T            burst tolerance
//!   admit at `now`  ⇔  tat ≤ now + τ,  then  tat = max(tat, now) + T
//! ```
//!
//! `tat` (the theoretical arrival time) starts at zero: a fresh bucket is full. A rejected
//! request does not touch it.
//!
//! The point of the model is the audit-table warning about in-process limiters: with scope
//! `instance` each instance counts on its own, so a user whose requests spread over `n` instances
//! gets up to `n` times the limit. Every decision therefore also reports what one fleet-wide
//! limiter would have decided (`within_user_limit`), from a shadow bucket the caller keeps in the
//! user's session record, so a run can show how many requests a per-instance limit let through
//! that the intended limit would have refused.

use std::collections::BTreeMap;

use crate::engine::{SimDuration, SimTime, NANOS_PER_SEC};
use crate::scenario::{LimitScope, RateLimitConfig};

pub(crate) struct RateLimiter {
    scope: LimitScope,
    /// Emission interval T = 1 / rate.
    interval: SimDuration,
    /// Burst tolerance τ = (capacity − 1) · T.
    tolerance: SimDuration,
    /// Per instance slot, the tat of each user (by session key) that has a bucket there; a user
    /// without an entry has a full bucket. Used with scope `Instance` only (empty maps else).
    buckets: Vec<BTreeMap<u64, SimTime>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Admission {
    pub(crate) admitted: bool,
    /// What one fleet-wide limit would have decided.
    pub(crate) within_user_limit: bool,
}

impl RateLimiter {
    pub(crate) fn new(config: &RateLimitConfig) -> Self {
        let rate = config.per_user_per_s;
        let (interval, tolerance) = if rate.is_finite() && rate > 0.0 {
            let t_ns = NANOS_PER_SEC as f64 / rate;
            let capacity = rate.max(1.0);
            (
                SimDuration::from_nanos_f64(t_ns).max(SimDuration(1)),
                SimDuration::from_nanos_f64((capacity - 1.0) * t_ns),
            )
        } else {
            // Validation requires a positive rate. A zero rate admits one request, then nothing:
            // the interval saturates every tat at the end of time.
            (SimDuration(u64::MAX), SimDuration::ZERO)
        };
        RateLimiter {
            scope: config.scope,
            interval,
            tolerance,
            buckets: Vec::new(),
        }
    }

    /// Gives a newly launched instance, which takes `slot`, its empty buckets (a slot is an
    /// instance's place in per-instance tables, reused once its instance is retired).
    pub(crate) fn launched(&mut self, slot: usize) {
        // An empty BTreeMap does not allocate; with scope `Shared` it stays empty.
        if slot == self.buckets.len() {
            self.buckets.push(BTreeMap::new());
        } else {
            self.buckets[slot] = BTreeMap::new();
        }
    }

    /// The instance in `slot` is retired: its buckets go.
    pub(crate) fn retired(&mut self, slot: usize) {
        self.buckets[slot] = BTreeMap::new();
    }

    /// A request of the user with session key `user` reaches the instance in slot `instance` at
    /// `now`. `user_tat` is
    /// the user's fleet-wide bucket (kept in the caller's session record, start at
    /// `SimTime::ZERO`); it is always updated as a fleet-wide limiter would (so it also serves as
    /// the shadow used to report what a per-instance limit lets through). With scope `Shared` the
    /// decision is the fleet-wide one; with scope `Instance` the decision uses a bucket per
    /// (user, instance) kept here.
    ///
    /// Allocation-free except when a user is first admitted on an instance and the map needs a
    /// new node (amortised, bounded by the active users thanks to `prune`).
    #[inline]
    pub(crate) fn admit(
        &mut self,
        user_tat: &mut SimTime,
        user: u64,
        instance: usize,
        now: SimTime,
    ) -> Admission {
        let within_user_limit = gcra(user_tat, now, self.interval, self.tolerance);
        let admitted = match self.scope {
            LimitScope::Shared => within_user_limit,
            LimitScope::Instance => {
                let buckets = &mut self.buckets[instance];
                match buckets.get_mut(&user) {
                    Some(tat) => gcra(tat, now, self.interval, self.tolerance),
                    None => {
                        // A fresh bucket is full: it admits, and only then needs remembering.
                        let mut tat = SimTime::ZERO;
                        let admitted = gcra(&mut tat, now, self.interval, self.tolerance);
                        buckets.insert(user, tat);
                        admitted
                    }
                }
            }
        };
        Admission {
            admitted,
            within_user_limit,
        }
    }

    /// Forgets per-instance buckets that are full again (tat ≤ now): they are equivalent to a
    /// fresh bucket. The simulation calls this once per report window so memory stays bounded by
    /// active users.
    pub(crate) fn prune(&mut self, now: SimTime) {
        for buckets in &mut self.buckets {
            buckets.retain(|_, tat| *tat > now);
        }
    }

    /// Per-instance buckets currently remembered.
    #[cfg(test)]
    fn tracked_buckets(&self) -> usize {
        self.buckets.iter().map(BTreeMap::len).sum()
    }
}

/// One GCRA decision: admits iff `tat ≤ now + τ`, and then moves `tat` one interval on from
/// `max(tat, now)`. A rejected request leaves the bucket as it was.
#[inline]
fn gcra(tat: &mut SimTime, now: SimTime, interval: SimDuration, tolerance: SimDuration) -> bool {
    if *tat <= now + tolerance {
        *tat = (*tat).max(now) + interval;
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_user_per_s: f64, scope: LimitScope, instances: usize) -> RateLimiter {
        let mut l = RateLimiter::new(&RateLimitConfig {
            per_user_per_s,
            scope,
        });
        for _ in 0..instances {
            l.launched(l.buckets.len());
        }
        l
    }

    fn at_ms(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }

    #[test]
    fn the_bucket_parameters_follow_the_rate() {
        // 5/s: T = 200 ms, capacity 5, τ = 4 × 200 ms = 800 ms.
        let l = limiter(5.0, LimitScope::Shared, 0);
        assert_eq!(l.interval, SimDuration::from_millis(200));
        assert_eq!(l.tolerance, SimDuration::from_millis(800));
        // 0.5/s: T = 2 s, capacity max(1, 0.5) = 1, so no burst: τ = 0.
        let l = limiter(0.5, LimitScope::Shared, 0);
        assert_eq!(l.interval, SimDuration::from_secs(2));
        assert_eq!(l.tolerance, SimDuration::ZERO);
    }

    #[test]
    fn a_fresh_bucket_admits_a_burst_of_its_capacity() {
        // 5/s: five requests at the same instant pass (tat 0 → 200 → … → 1000 ms; the fifth sees
        // tat 800 ≤ 0 + 800), the sixth sees tat 1000 > 800 and is refused.
        let mut l = limiter(5.0, LimitScope::Shared, 1);
        let mut tat = SimTime::ZERO;
        let admitted: Vec<bool> = (0..6)
            .map(|_| l.admit(&mut tat, 7, 0, at_ms(0)).admitted)
            .collect();
        assert_eq!(admitted, [true, true, true, true, true, false]);
        // A refusal leaves the bucket alone: 1000 ms, one interval per admission.
        assert_eq!(tat, at_ms(1000));
        // 200 ms later one token is back (tat 1000 ≤ 200 + 800).
        assert!(l.admit(&mut tat, 7, 0, at_ms(200)).admitted);
    }

    /// A user sending every 100 ms (10/s) for 100 s, request `m` at `100·m` ms, to the instance
    /// `instance_of(m)`.
    fn ten_per_second(l: &mut RateLimiter, instance_of: impl Fn(u64) -> usize) -> Vec<Admission> {
        let mut tat = SimTime::ZERO;
        (0..1000)
            .map(|m| l.admit(&mut tat, 42, instance_of(m), at_ms(100 * m)))
            .collect()
    }

    #[test]
    fn a_shared_limit_admits_about_half_of_a_user_at_twice_the_rate() {
        // 5/s shared limit (T = 200 ms, τ = 800 ms), requests at t = 100·m ms, m = 0..999.
        // While all are admitted, tat before request m is 200·m, admitted iff
        // 200·m ≤ 100·m + 800 ⇔ m ≤ 8: the burst passes m = 0..8 (9 requests), m = 9 sees 1800 >
        // 1700. From m = 10 on tat sits at now + τ + T after each admission, so exactly every
        // other request passes: even m in 10..=998, 495 requests. Total 9 + 495 = 504 of 1000
        // (≈ capacity + rate × 100 s = 505).
        let mut l = limiter(5.0, LimitScope::Shared, 2);
        let decisions = ten_per_second(&mut l, |m| (m % 2) as usize);
        let admitted = decisions.iter().filter(|a| a.admitted).count();
        assert_eq!(admitted, 504);
        assert!(decisions[..9].iter().all(|a| a.admitted));
        assert!(!decisions[9].admitted);
        assert!(decisions[10..]
            .iter()
            .enumerate()
            .all(|(i, a)| a.admitted == (i % 2 == 0)));
        // Shared: the decision is the fleet-wide one.
        assert!(decisions.iter().all(|a| a.admitted == a.within_user_limit));
        // No per-instance state is kept.
        assert_eq!(l.tracked_buckets(), 0);
    }

    #[test]
    fn a_per_instance_limit_multiplies_by_the_instances_a_user_reaches() {
        // Same user, same 5/s limit, but scope instance and requests alternating over 2
        // instances: each instance sees one request every 200 ms = T, so each of its buckets
        // (tat = now + 200 ms after each admission, next request at now + 200 ms) always admits.
        // The fleet-wide shadow is the shared case above: 504 within the limit, 496 beyond.
        let mut l = limiter(5.0, LimitScope::Instance, 2);
        let decisions = ten_per_second(&mut l, |m| (m % 2) as usize);
        assert!(decisions.iter().all(|a| a.admitted));
        let beyond = decisions.iter().filter(|a| !a.within_user_limit).count();
        assert_eq!(beyond, 496);
        assert_eq!(l.tracked_buckets(), 2);
    }

    #[test]
    fn a_per_instance_limit_still_limits_a_user_on_one_instance() {
        // All requests to instance 0: the per-instance bucket is the fleet-wide one: 504.
        let mut l = limiter(5.0, LimitScope::Instance, 2);
        let decisions = ten_per_second(&mut l, |_| 0);
        assert_eq!(decisions.iter().filter(|a| a.admitted).count(), 504);
        assert!(decisions.iter().all(|a| a.admitted == a.within_user_limit));
    }

    #[test]
    fn users_have_separate_buckets() {
        // 1/s, no burst: a second request of user 1 at the same instant is refused, user 2's
        // first request is not.
        let mut l = limiter(1.0, LimitScope::Instance, 1);
        let (mut tat1, mut tat2) = (SimTime::ZERO, SimTime::ZERO);
        assert!(l.admit(&mut tat1, 1, 0, at_ms(0)).admitted);
        assert!(!l.admit(&mut tat1, 1, 0, at_ms(0)).admitted);
        assert!(l.admit(&mut tat2, 2, 0, at_ms(0)).admitted);
    }

    #[test]
    fn prune_drops_only_buckets_that_are_full_again() {
        // 1/s (T = 1 s, τ = 0). User 1 at 0 s → tat 1 s; user 2 at 1.5 s → tat 2.5 s.
        let mut l = limiter(1.0, LimitScope::Instance, 2);
        let (mut tat1, mut tat2) = (SimTime::ZERO, SimTime::ZERO);
        l.admit(&mut tat1, 1, 0, at_ms(0));
        l.admit(&mut tat2, 2, 1, at_ms(1500));
        assert_eq!(l.tracked_buckets(), 2);
        // At 0.999 s neither bucket is full yet.
        l.prune(at_ms(999));
        assert_eq!(l.tracked_buckets(), 2);
        // At 2 s user 1's tat (1 s) ≤ 2 s: full again, dropped; user 2's (2.5 s) stays.
        l.prune(at_ms(2000));
        assert_eq!(l.tracked_buckets(), 1);
        // Exactly at tat it is full too.
        l.prune(at_ms(2500));
        assert_eq!(l.tracked_buckets(), 0);
    }

    #[test]
    fn prune_does_not_change_decisions() {
        // Three users over 3 instances at 0.5/s (T = 2 s, no burst), random users, instances and
        // gaps of 0..300 ms: each (user, instance) bucket sees ≈ 0.74 requests per second, so
        // some are refused and some buckets fill up again between visits. One limiter is pruned
        // every 700 ms of simulated time, one never: the decisions are identical.
        use crate::engine::{stream, stream_key};
        use rand::RngExt;

        let mut rng = stream(3, stream_key("limits"), 0);
        let mut pruned = limiter(0.5, LimitScope::Instance, 3);
        let mut kept = limiter(0.5, LimitScope::Instance, 3);
        let mut tats_p = [SimTime::ZERO; 3];
        let mut tats_k = [SimTime::ZERO; 3];
        let mut next_prune = at_ms(700);
        let mut now = SimTime::ZERO;
        let (mut refused, mut dropped) = (0u32, 0usize);
        for step in 0..3000 {
            now += SimDuration::from_millis(rng.random_range(0..300));
            let user = rng.random_range(0..3usize);
            let instance = rng.random_range(0..3usize);
            while next_prune <= now {
                let before = pruned.tracked_buckets();
                pruned.prune(next_prune);
                dropped += before - pruned.tracked_buckets();
                next_prune += SimDuration::from_millis(700);
            }
            let a = pruned.admit(&mut tats_p[user], user as u64, instance, now);
            let b = kept.admit(&mut tats_k[user], user as u64, instance, now);
            assert_eq!(a, b, "step {step}");
            refused += u32::from(!a.admitted);
        }
        // The run exercised both outcomes and pruning.
        assert!(refused > 100 && refused < 2900, "refused {refused}");
        assert!(dropped > 100, "dropped {dropped}");
    }
}
