//! Samplers for the scenario's distributions, with parameters precomputed once per run.
//!
//! Durations are drawn as `f64` nanoseconds and rounded to the integer clock. Sampling is pure
//! given the generator, so a component's draws depend only on its own stream (common random
//! numbers across variants).

use rand::RngExt;
use rand_distr::{Distribution, Exp1, StandardNormal};

use crate::engine::{Rng, SimDuration, NANOS_PER_SEC};
use crate::scenario::{CountDist, Dist};

/// A ready-to-draw duration distribution.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DurationSampler {
    Constant(SimDuration),
    /// Mean in nanoseconds.
    Exponential(f64),
    /// Lower bound and width in nanoseconds.
    Uniform(f64, f64),
    /// mu and sigma of ln(nanoseconds).
    LogNormal(f64, f64),
}

impl DurationSampler {
    pub(crate) fn new(dist: &Dist) -> Self {
        match *dist {
            Dist::Constant { value } => DurationSampler::Constant(value),
            Dist::Exponential { mean } => DurationSampler::Exponential(mean.as_nanos() as f64),
            Dist::Uniform { min, max } => DurationSampler::Uniform(
                min.as_nanos() as f64,
                (max.as_nanos() - min.as_nanos()) as f64,
            ),
            // The scenario gives mu in ln(seconds); shifting by ln(1e9) expresses it in ln(ns).
            Dist::LogNormal { mu, sigma } => {
                DurationSampler::LogNormal(mu + (NANOS_PER_SEC as f64).ln(), sigma)
            }
        }
    }

    /// The distribution's mean, for analytic checks and capacity estimates.
    pub(crate) fn mean(&self) -> SimDuration {
        let ns = match *self {
            DurationSampler::Constant(d) => return d,
            DurationSampler::Exponential(mean) => mean,
            DurationSampler::Uniform(lo, width) => lo + width / 2.0,
            DurationSampler::LogNormal(mu, sigma) => (mu + sigma * sigma / 2.0).exp(),
        };
        SimDuration::from_nanos_f64(ns)
    }

    #[inline]
    pub(crate) fn sample(&self, rng: &mut Rng) -> SimDuration {
        let ns = match *self {
            DurationSampler::Constant(d) => return d,
            DurationSampler::Exponential(mean) => {
                let e: f64 = Exp1.sample(rng);
                e * mean
            }
            DurationSampler::Uniform(lo, width) => lo + width * rng.random::<f64>(),
            DurationSampler::LogNormal(mu, sigma) => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
        };
        SimDuration::from_nanos_f64(ns)
    }
}

/// A ready-to-draw distribution of request counts (≥ 1).
#[derive(Clone, Copy, Debug)]
pub(crate) enum CountSampler {
    Constant(u32),
    Uniform(u32, u32),
    /// ln(1 − p) for a geometric on {1, 2, …} with success probability p = 1/mean.
    Geometric(f64),
}

impl CountSampler {
    pub(crate) fn new(dist: &CountDist) -> Self {
        match *dist {
            CountDist::Constant { value } => CountSampler::Constant(value.max(1)),
            CountDist::Uniform { min, max } => CountSampler::Uniform(min.max(1), max.max(1)),
            CountDist::Geometric { mean } if mean <= 1.0 => CountSampler::Constant(1),
            CountDist::Geometric { mean } => CountSampler::Geometric((1.0 - 1.0 / mean).ln()),
        }
    }

    #[inline]
    pub(crate) fn sample(&self, rng: &mut Rng) -> u32 {
        match *self {
            CountSampler::Constant(n) => n,
            CountSampler::Uniform(lo, hi) => rng.random_range(lo..=hi),
            CountSampler::Geometric(ln_q) => {
                // Inversion: the number of trials to the first success is 1 + ⌊ln U / ln(1−p)⌋.
                let u: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]
                let k = (u.ln() / ln_q).floor();
                1 + k.min(u32::MAX as f64 - 1.0) as u32
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{stream, stream_key};

    fn mean_of(n: usize, mut draw: impl FnMut() -> f64) -> f64 {
        (0..n).map(|_| draw()).sum::<f64>() / n as f64
    }

    #[test]
    fn exponential_mean_matches() {
        let s = DurationSampler::new(&Dist::Exponential {
            mean: SimDuration::from_millis(20),
        });
        let mut rng = stream(1, stream_key("t"), 0);
        let m = mean_of(200_000, || s.sample(&mut rng).as_millis_f64());
        assert!((m - 20.0).abs() < 0.2, "mean {m}");
    }

    #[test]
    fn lognormal_reproduces_mean_and_p99() {
        // mean 20 ms, p99 120 ms: sigma = z − sqrt(z² − 2 ln 6), mu = ln(0.02) − sigma²/2.
        let z = 2.326_347_874_040_840_8_f64;
        let sigma = z - (z * z - 2.0 * 6f64.ln()).sqrt();
        let mu = 0.02f64.ln() - sigma * sigma / 2.0;
        let s = DurationSampler::new(&Dist::LogNormal { mu, sigma });
        assert_eq!(s.mean(), SimDuration::from_millis(20));
        let mut rng = stream(2, stream_key("t"), 0);
        let mut xs: Vec<f64> = (0..400_000)
            .map(|_| s.sample(&mut rng).as_millis_f64())
            .collect();
        xs.sort_by(f64::total_cmp);
        let p99 = xs[(xs.len() as f64 * 0.99) as usize];
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 20.0).abs() < 0.3, "mean {mean}");
        assert!((p99 - 120.0).abs() < 3.0, "p99 {p99}");
    }

    #[test]
    fn geometric_has_the_requested_mean_and_support() {
        let s = CountSampler::new(&CountDist::Geometric { mean: 20.0 });
        let mut rng = stream(3, stream_key("t"), 0);
        let mut min = u32::MAX;
        let m = mean_of(200_000, || {
            let k = s.sample(&mut rng);
            min = min.min(k);
            k as f64
        });
        assert_eq!(min, 1);
        assert!((m - 20.0).abs() < 0.3, "mean {m}");
    }

    #[test]
    fn uniform_counts_stay_in_bounds() {
        let s = CountSampler::new(&CountDist::Uniform { min: 2, max: 4 });
        let mut rng = stream(4, stream_key("t"), 0);
        assert!((0..1000)
            .map(|_| s.sample(&mut rng))
            .all(|k| (2..=4).contains(&k)));
    }
}
