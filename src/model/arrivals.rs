//! The session arrival process: Poisson with a time-varying rate.
//!
//! Non-homogeneous arrivals are drawn by thinning (Lewis & Shedler): candidates come at the
//! profile's peak rate and each is kept with probability rate(t)/peak. It is exact for any rate
//! function, so new profile shapes only need a `rate_at`.

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use crate::engine::{Rng, SimDuration, SimTime, NANOS_PER_SEC};
use crate::scenario::{RatePoint, RateProfile};

#[derive(Debug)]
pub struct Arrivals {
    profile: RateProfile,
    /// Sessions per second: an upper bound of the rate over the whole run.
    peak: f64,
}

impl Arrivals {
    pub fn new(profile: &RateProfile) -> Self {
        let peak = match profile {
            RateProfile::Constant(rate) => *rate,
            RateProfile::Steps(points) => points.iter().map(|p| p.rate).fold(0.0, f64::max),
        };
        Arrivals {
            profile: profile.clone(),
            peak,
        }
    }

    /// Sessions per second at `t`.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        match &self.profile {
            RateProfile::Constant(rate) => *rate,
            RateProfile::Steps(points) => steps_rate_at(points, t),
        }
    }

    /// The next arrival strictly after `now`, or `None` if none comes before `end`.
    pub fn next_after(&self, now: SimTime, end: SimTime, rng: &mut Rng) -> Option<SimTime> {
        if self.peak <= 0.0 {
            return None;
        }
        let mean_gap_ns = NANOS_PER_SEC as f64 / self.peak;
        let mut t = now;
        loop {
            let gap: f64 = Exp1.sample(rng);
            // At least 1 ns, so that time always advances.
            t += SimDuration(((gap * mean_gap_ns).round() as u64).max(1));
            if t >= end {
                return None;
            }
            let rate = self.rate_at(t);
            if rate >= self.peak || rng.random::<f64>() * self.peak < rate {
                return Some(t);
            }
        }
    }
}

/// Rate of a step/ramp profile: each point's rate holds from `at + ramp` on, approached linearly
/// from the previous level during `[at, at + ramp)`.
fn steps_rate_at(points: &[RatePoint], t: SimTime) -> f64 {
    let idx = points.partition_point(|p| p.at <= t);
    if idx == 0 {
        return 0.0;
    }
    let p = &points[idx - 1];
    let before = if idx >= 2 { points[idx - 2].rate } else { 0.0 };
    let into = t.saturating_since(p.at);
    if into >= p.ramp || p.ramp.is_zero() {
        p.rate
    } else {
        let f = into.as_nanos() as f64 / p.ramp.as_nanos() as f64;
        before + (p.rate - before) * f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream, stream_key};

    fn point(at_s: u64, rate: f64, ramp_s: u64) -> RatePoint {
        RatePoint {
            at: SimTime::ZERO + SimDuration::from_secs(at_s),
            rate,
            ramp: SimDuration::from_secs(ramp_s),
        }
    }

    #[test]
    fn steps_hold_and_ramps_interpolate() {
        let pts = vec![point(0, 20.0, 0), point(300, 80.0, 60)];
        let at = |s: u64| steps_rate_at(&pts, SimTime::ZERO + SimDuration::from_secs(s));
        assert_eq!(at(0), 20.0);
        assert_eq!(at(299), 20.0);
        assert_eq!(at(300), 20.0);
        assert_eq!(at(330), 50.0);
        assert_eq!(at(360), 80.0);
        assert_eq!(at(10_000), 80.0);
    }

    #[test]
    fn counts_follow_the_profile() {
        // 10/s for 1000 s then 40/s for 1000 s: expect ≈ 10 000 and ≈ 40 000 arrivals.
        let a = Arrivals::new(&RateProfile::Steps(vec![
            point(0, 10.0, 0),
            point(1000, 40.0, 0),
        ]));
        let mut rng = stream(9, stream_key("arrivals"), 0);
        let end = SimTime::ZERO + SimDuration::from_secs(2000);
        let (mut first, mut second) = (0u32, 0u32);
        let mut t = SimTime::ZERO;
        while let Some(next) = a.next_after(t, end, &mut rng) {
            if next.as_secs_f64() < 1000.0 {
                first += 1;
            } else {
                second += 1;
            }
            t = next;
        }
        // Poisson standard deviations are 100 and 200; allow 4 of them.
        assert!((first as f64 - 10_000.0).abs() < 400.0, "{first}");
        assert!((second as f64 - 40_000.0).abs() < 800.0, "{second}");
    }

    #[test]
    fn zero_rate_means_no_arrivals() {
        let a = Arrivals::new(&RateProfile::Constant(0.0));
        let mut rng = stream(1, stream_key("arrivals"), 0);
        assert_eq!(
            a.next_after(SimTime::ZERO, SimTime(1_000_000_000), &mut rng),
            None
        );
    }
}
