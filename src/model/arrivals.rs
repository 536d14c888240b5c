//! The session arrival process: Poisson with a time-varying rate.
//!
//! The rate is the profile's (constant, steps and ramps, or a diurnal cosine) times an optional
//! flash-crowd spike: `rate(t) = profile(t) · (multiplier if t ∈ [at, at + duration) else 1)`.
//!
//! Non-homogeneous arrivals are drawn by thinning (Lewis & Shedler): candidates come at a peak
//! rate that bounds `rate(t)` over the whole run, and each is kept with probability
//! rate(t)/peak. It is exact for any rate function, so new profile shapes only need a `rate_at`
//! and a bound in `new`.

use std::f64::consts::TAU;

use rand::RngExt;
use rand_distr::{Distribution, Exp1};

use crate::engine::{Rng, SimDuration, SimTime, NANOS_PER_SEC};
use crate::scenario::{RatePoint, RateProfile, Spike};

#[derive(Debug)]
pub(crate) struct Arrivals {
    profile: RateProfile,
    spike: Option<Spike>,
    /// Sessions per second: an upper bound of the rate (spike included) over the whole run.
    peak: f64,
    /// The mean gap between candidates at the peak rate, in nanoseconds.
    mean_gap_ns: f64,
    /// The rate is the peak throughout (a constant profile, no spike): every candidate is an
    /// arrival, with no rate to look up.
    constant: bool,
}

impl Arrivals {
    pub(crate) fn new(profile: &RateProfile, spike: Option<&Spike>) -> Self {
        let profile_peak = match profile {
            RateProfile::Constant(rate) => *rate,
            RateProfile::Steps(points) => points.iter().map(|p| p.rate).fold(0.0, f64::max),
            RateProfile::Diurnal { min, max, .. } => min.max(*max),
        };
        // A spike below 1 (a dip) never raises the rate, so it leaves the bound alone.
        let boost = spike.map_or(1.0, |s| s.multiplier.max(1.0));
        let peak = profile_peak * boost;
        Arrivals {
            profile: profile.clone(),
            spike: spike.cloned(),
            peak,
            mean_gap_ns: NANOS_PER_SEC as f64 / peak,
            constant: matches!(profile, RateProfile::Constant(_)) && spike.is_none(),
        }
    }

    /// Sessions per second: an upper bound of the rate over the whole run.
    pub(crate) fn peak(&self) -> f64 {
        self.peak
    }

    /// Sessions per second at `t`.
    pub(crate) fn rate_at(&self, t: SimTime) -> f64 {
        let base = match &self.profile {
            RateProfile::Constant(rate) => *rate,
            RateProfile::Steps(points) => steps_rate_at(points, t),
            RateProfile::Diurnal { period, min, max } => diurnal_rate_at(*period, *min, *max, t),
        };
        match &self.spike {
            Some(s) if s.at <= t && t < s.at + s.duration => base * s.multiplier,
            _ => base,
        }
    }

    /// The next arrival strictly after `now`, or `None` if none comes before `end`.
    pub(crate) fn next_after(&self, now: SimTime, end: SimTime, rng: &mut Rng) -> Option<SimTime> {
        if self.peak <= 0.0 {
            return None;
        }
        let mut t = now;
        loop {
            let gap: f64 = Exp1.sample(rng);
            // At least 1 ns, so that time always advances.
            t += SimDuration::from_nanos_f64(gap * self.mean_gap_ns).max(SimDuration(1));
            if t >= end {
                return None;
            }
            if self.constant {
                return Some(t);
            }
            let rate = self.rate_at(t);
            if rate >= self.peak || rng.random::<f64>() * self.peak < rate {
                return Some(t);
            }
        }
    }
}

/// Rate of a diurnal profile: `min + (max − min)·(1 − cos 2πt/period)/2`, so `min` at time zero
/// and `max` half a period later. The phase is reduced modulo the period in integer nanoseconds
/// first, so that it stays exact however long the run. A zero period (rejected by validation)
/// degenerates to the constant `min`.
fn diurnal_rate_at(period: SimDuration, min: f64, max: f64, t: SimTime) -> f64 {
    if period.is_zero() {
        return min;
    }
    let phase = (t.0 % period.as_nanos()) as f64 / period.as_nanos() as f64;
    min + (max - min) * (1.0 - (TAU * phase).cos()) / 2.0
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
        let a = Arrivals::new(
            &RateProfile::Steps(vec![point(0, 10.0, 0), point(1000, 40.0, 0)]),
            None,
        );
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

    fn secs(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    fn diurnal(period_s: u64, min: f64, max: f64) -> RateProfile {
        RateProfile::Diurnal {
            period: SimDuration::from_secs(period_s),
            min,
            max,
        }
    }

    fn spike(at_s: u64, duration_s: u64, multiplier: f64) -> Spike {
        Spike {
            at: secs(at_s),
            duration: SimDuration::from_secs(duration_s),
            multiplier,
        }
    }

    /// Every arrival in `[0, end_s)`, in order.
    fn arrivals(a: &Arrivals, end_s: u64, seed: u64) -> Vec<SimTime> {
        let mut rng = stream(seed, stream_key("arrivals"), 0);
        let mut out = Vec::new();
        let mut t = SimTime::ZERO;
        while let Some(next) = a.next_after(t, secs(end_s), &mut rng) {
            out.push(next);
            t = next;
        }
        out
    }

    #[test]
    fn a_constant_rate_skips_the_thinning_and_draws_the_same_arrivals() {
        // A single step from time zero has the same rate throughout, but goes through the
        // thinning: each candidate is kept (rate = peak) without a draw, so both processes
        // take the same numbers from the stream and give the same arrivals.
        let constant = Arrivals::new(&RateProfile::Constant(25.0), None);
        let step = Arrivals::new(&RateProfile::Steps(vec![point(0, 25.0, 0)]), None);
        assert!(constant.constant && !step.constant);
        let want = arrivals(&step, 200, 4);
        assert_eq!(arrivals(&constant, 200, 4), want);
        assert!((4_000..6_000).contains(&want.len()), "{}", want.len());
        // A spike makes the rate vary: the thinning is back.
        let spiked = Arrivals::new(&RateProfile::Constant(25.0), Some(&spike(50, 10, 3.0)));
        assert!(!spiked.constant);
    }

    #[test]
    fn diurnal_starts_at_min_peaks_at_half_period_and_repeats() {
        // rate(t) = 10 + 40·(1 − cos 2πt/P)/2 with P = 1000 s:
        //   t = 0     → cos 0 = 1   → 10
        //   t = P/4   → cos π/2 = 0 → 10 + 40/2 = 30
        //   t = P/2   → cos π = −1  → 10 + 40 = 50
        //   t = 3P/4  → 30 again, t = P → 10 again (the cycle repeats).
        let a = Arrivals::new(&diurnal(1000, 10.0, 50.0), None);
        let close = |t: u64, want: f64| {
            let got = a.rate_at(secs(t));
            assert!(
                (got - want).abs() < 1e-9,
                "rate at {t}s: {got}, want {want}"
            );
        };
        close(0, 10.0);
        close(250, 30.0);
        close(500, 50.0);
        close(750, 30.0);
        close(1000, 10.0);
        close(7500, 50.0);
        assert_eq!(a.peak, 50.0);
    }

    #[test]
    fn diurnal_counts_follow_the_integral_of_the_rate() {
        // P = 1000 s, min 10/s, max 50/s, 4 periods. Over the first quarter of each period,
        //   ∫₀^{P/4} (1 − cos 2πt/P)/2 dt = P/8 − P/(4π) = 125 − 79.577 = 45.423 s,
        // so a quarter brings 10·250 + 40·45.423 = 4316.9 sessions; the second quarter
        // (∫ = P/8 + P/(4π) = 204.577 s) brings 10·250 + 40·204.577 = 10 683.1. The second half
        // mirrors the first. Over 4 periods: 17 267.6 in first quarters, 42 732.4 in second
        // quarters, and 4·1000·(10 + 50)/2 = 120 000 in all.
        let a = Arrivals::new(&diurnal(1000, 10.0, 50.0), None);
        let mut quarters = [0u32; 4];
        let all = arrivals(&a, 4000, 11);
        for t in &all {
            quarters[((t.as_secs_f64() % 1000.0) / 250.0) as usize] += 1;
        }
        // Poisson: allow 4 σ = 4·√expected.
        let within = |got: u32, want: f64| {
            assert!(
                (got as f64 - want).abs() < 4.0 * want.sqrt(),
                "{got} vs {want}"
            )
        };
        within(quarters[0], 17_267.6);
        within(quarters[1], 42_732.4);
        within(quarters[2], 42_732.4);
        within(quarters[3], 17_267.6);
        within(all.len() as u32, 120_000.0);
    }

    #[test]
    fn a_spike_multiplies_the_rate_only_inside_its_window() {
        // 10/s, ×3 during [100 s, 130 s): 30/s from 100 s inclusive to 130 s exclusive.
        let a = Arrivals::new(&RateProfile::Constant(10.0), Some(&spike(100, 30, 3.0)));
        assert_eq!(a.rate_at(secs(99)), 10.0);
        assert_eq!(a.rate_at(SimTime(secs(100).0 - 1)), 10.0);
        assert_eq!(a.rate_at(secs(100)), 30.0);
        assert_eq!(a.rate_at(SimTime(secs(130).0 - 1)), 30.0);
        assert_eq!(a.rate_at(secs(130)), 10.0);
        // The thinning bound covers the spike.
        assert_eq!(a.peak, 30.0);
    }

    #[test]
    fn a_spike_multiplies_a_varying_profile() {
        // Diurnal at P/4 is 30/s (see above); doubled inside the spike.
        let a = Arrivals::new(&diurnal(1000, 10.0, 50.0), Some(&spike(200, 100, 2.0)));
        assert!((a.rate_at(secs(250)) - 60.0).abs() < 1e-9);
        assert_eq!(a.peak, 100.0);
    }

    #[test]
    fn a_dip_below_one_keeps_the_profile_peak_as_the_bound() {
        // Multiplier 0.5: the rate halves inside the window, the bound stays 10 (not 5).
        let a = Arrivals::new(&RateProfile::Constant(10.0), Some(&spike(100, 100, 0.5)));
        assert_eq!(a.rate_at(secs(150)), 5.0);
        assert_eq!(a.peak, 10.0);
    }

    #[test]
    fn spike_counts_follow_the_integral_of_the_rate() {
        // 10/s for 3000 s with ×3 during [1000 s, 2000 s): expect 10 000, 30 000 and 10 000
        // arrivals in the three thousand-second thirds (σ = 100, 173, 100; allow 4 σ).
        let a = Arrivals::new(&RateProfile::Constant(10.0), Some(&spike(1000, 1000, 3.0)));
        let mut thirds = [0u32; 3];
        for t in arrivals(&a, 3000, 12) {
            thirds[(t.as_secs_f64() / 1000.0) as usize] += 1;
        }
        assert!((thirds[0] as f64 - 10_000.0).abs() < 400.0, "{thirds:?}");
        assert!((thirds[1] as f64 - 30_000.0).abs() < 693.0, "{thirds:?}");
        assert!((thirds[2] as f64 - 10_000.0).abs() < 400.0, "{thirds:?}");
    }

    #[test]
    fn zero_rate_means_no_arrivals() {
        let a = Arrivals::new(&RateProfile::Constant(0.0), None);
        let mut rng = stream(1, stream_key("arrivals"), 0);
        assert_eq!(
            a.next_after(SimTime::ZERO, SimTime(1_000_000_000), &mut rng),
            None
        );
    }
}
