//! Simulated time: an integer count of nanoseconds.
//!
//! A floating-point clock drifts and makes event order depend on rounding; an integer clock makes
//! "same scenario, same seed ⇒ same bytes" hold by construction. `SimTime` is an instant since the
//! start of the run, `SimDuration` a span between two instants.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds per second.
pub(crate) const NANOS_PER_SEC: u64 = 1_000_000_000;

/// An instant of simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SimTime(pub(crate) u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub(crate) u64);

impl SimTime {
    pub(crate) const ZERO: SimTime = SimTime(0);
    pub(crate) const MAX: SimTime = SimTime(u64::MAX);

    /// Seconds since the start, for reports.
    pub(crate) fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// The span from `earlier` to `self`, zero if `earlier` is later.
    pub(crate) fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub(crate) const ZERO: SimDuration = SimDuration(0);

    pub(crate) const fn from_micros(us: u64) -> Self {
        SimDuration(us * 1_000)
    }
    pub(crate) const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000_000)
    }
    pub(crate) const fn from_secs(s: u64) -> Self {
        SimDuration(s * NANOS_PER_SEC)
    }
    /// Rounds to the nearest nanosecond; negative or NaN inputs become zero.
    pub(crate) fn from_secs_f64(s: f64) -> Self {
        if s.is_finite() && s > 0.0 {
            SimDuration::from_nanos_f64(s * NANOS_PER_SEC as f64)
        } else {
            SimDuration(0)
        }
    }

    /// `ns` rounded to the nearest nanosecond, halves away from zero: exactly `ns.round() as
    /// u64` (so negative and NaN give zero, and too large saturates), without a call.
    ///
    /// Every sampled delay goes through here. On baseline x86-64 `f64::round` is a library call
    /// (the instruction that rounds came with SSE4.1). Below 2^52 ns (52 days), where nearly
    /// every sampled delay falls, truncating and comparing the fraction is exact: the truncation
    /// is an integer below 2^53, so it converts back exactly, and a float's distance to its
    /// truncation is exactly representable. From 2^52 on, every float is an integer already.
    #[inline]
    pub(crate) fn from_nanos_f64(ns: f64) -> Self {
        const EVERY_FLOAT_IS_WHOLE: f64 = 4_503_599_627_370_496.0; // 2^52
        if (0.0..EVERY_FLOAT_IS_WHOLE).contains(&ns) {
            // Through i64, whose conversions are single instructions (u64's are not).
            let whole = ns as i64;
            let fraction = ns - whole as f64;
            SimDuration(whole as u64 + u64::from(fraction >= 0.5))
        } else {
            SimDuration(ns.round() as u64)
        }
    }

    pub(crate) fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    #[cfg(test)]
    pub(crate) fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    pub(crate) const fn as_nanos(self) -> u64 {
        self.0
    }
    pub(crate) fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    #[inline]
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    #[inline]
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    #[inline]
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// Panics in debug builds if `rhs` is later: callers compare instants they ordered themselves.
    #[inline]
    fn sub(self, rhs: SimTime) -> SimDuration {
        debug_assert!(rhs <= self, "time went backwards: {rhs:?} > {self:?}");
        SimDuration(self.0 - rhs.0)
    }
}

impl fmt::Display for SimDuration {
    /// The largest unit that represents the span exactly (`1h`, `90s`, `250ms`, `7ns`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u64); 6] = [
            ("h", 3_600 * NANOS_PER_SEC),
            ("m", 60 * NANOS_PER_SEC),
            ("s", NANOS_PER_SEC),
            ("ms", 1_000_000),
            ("us", 1_000),
            ("ns", 1),
        ];
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let (unit, size) = UNITS
            .iter()
            .copied()
            .find(|&(_, size)| self.0.is_multiple_of(size))
            .unwrap_or(("ns", 1));
        write!(f, "{}{}", self.0 / size, unit)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        SimDuration(self.0).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `from_nanos_f64` must equal, for every input.
    fn rounded(ns: f64) -> u64 {
        ns.round() as u64
    }

    #[test]
    fn nanoseconds_round_half_away_from_zero_like_the_library() {
        let below_half = 0.5 - f64::EPSILON / 4.0; // 0.49999999999999994
        let last_fraction = 4_503_599_627_370_495.5; // 2^52 - 0.5
        for ns in [
            0.0,
            -0.0,
            0.5,
            below_half,
            1.5,
            2.5,
            1e9 + 0.5,
            last_fraction,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            1e300,
            f64::INFINITY,
            -0.4,
            -3.7,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            assert_eq!(SimDuration::from_nanos_f64(ns).0, rounded(ns), "{ns}");
        }
        assert_eq!(SimDuration::from_nanos_f64(below_half).0, 0);
        assert_eq!(
            SimDuration::from_nanos_f64(last_fraction).0,
            4_503_599_627_370_496
        );
    }

    proptest! {
        #[test]
        fn nanoseconds_round_like_the_library_for_any_float(bits in any::<u64>()) {
            let ns = f64::from_bits(bits);
            prop_assert_eq!(SimDuration::from_nanos_f64(ns).0, rounded(ns));
        }

        #[test]
        fn nanoseconds_round_like_the_library_for_any_delay(ns in 0.0..1e16f64) {
            prop_assert_eq!(SimDuration::from_nanos_f64(ns).0, rounded(ns));
        }
    }

    #[test]
    fn displays_in_the_largest_exact_unit() {
        assert_eq!(SimDuration::from_secs(3600).to_string(), "1h");
        assert_eq!(SimDuration::from_secs(90).to_string(), "90s");
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimDuration::from_micros(50).to_string(), "50us");
        assert_eq!(SimDuration(7).to_string(), "7ns");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
    }

    #[test]
    fn float_seconds_round_to_the_nearest_nanosecond() {
        assert_eq!(
            SimDuration::from_secs_f64(0.0200000004),
            SimDuration(20_000_000)
        );
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
    }
}
