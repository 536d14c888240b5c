//! The headline numbers of one run, and their mean ± 95 % confidence interval across seeds.
//!
//! A design review compares a handful of numbers; these are they. Each run gives one
//! [`Outcome`]; the seeds of one variant give a sample per metric, summarised as an
//! [`Estimate`]: the sample mean and the half-width of Student's t interval,
//! `t(0.975, n − 1) · s / √n`. [`cell`] writes an estimate as the comparison and sweep tables
//! show it.
//!
//! Runs with connections have more headline metrics (drops, reconnects, refused handshakes,
//! message delivery); a study shows them only when its runs have connections
//! ([`Headline::shown`]), so the tables, files and charts of other studies stay as they were.

use serde::Serialize;

use crate::metrics::Report;
use crate::report::human::{fixed, ms};

/// A headline metric of a comparison or sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Headline {
    SessionsLost,
    FailedRequests,
    P50,
    P99,
    InstanceSeconds,
    Churn,
    ConnectionsDropped,
    Reconnects,
    PeakReconnects,
    RefusedHandshakes,
    HandshakeP99,
    UndeliveredShare,
    DeliveryP99,
    RedisOps,
    ConnectionImbalance,
}

impl Headline {
    /// Every headline metric, in the order of tables, CSV columns and charts: those of every
    /// study first, then those of runs with connections.
    pub(crate) const ALL: [Headline; 15] = [
        Headline::SessionsLost,
        Headline::FailedRequests,
        Headline::P50,
        Headline::P99,
        Headline::InstanceSeconds,
        Headline::Churn,
        Headline::ConnectionsDropped,
        Headline::Reconnects,
        Headline::PeakReconnects,
        Headline::RefusedHandshakes,
        Headline::HandshakeP99,
        Headline::UndeliveredShare,
        Headline::DeliveryP99,
        Headline::RedisOps,
        Headline::ConnectionImbalance,
    ];

    /// How many of [`Headline::ALL`] every study shows; the rest need connections.
    const EVERY_STUDY: usize = 6;

    /// The metrics a study shows, in order: all of them when its runs have connections, else
    /// those every study has.
    pub(crate) fn shown(connections: bool) -> &'static [Headline] {
        if connections {
            &Self::ALL
        } else {
            &Self::ALL[..Self::EVERY_STUDY]
        }
    }

    /// Whether the metric exists only for runs with connections.
    #[cfg(test)]
    pub(crate) fn needs_connections(self) -> bool {
        self.index() >= Self::EVERY_STUDY
    }

    /// The column name in CSV and JSON.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Headline::SessionsLost => "sessions_lost",
            Headline::FailedRequests => "failed_requests",
            Headline::P50 => "p50_ms",
            Headline::P99 => "p99_ms",
            Headline::InstanceSeconds => "instance_seconds",
            Headline::Churn => "churn",
            Headline::ConnectionsDropped => "connections_dropped",
            Headline::Reconnects => "reconnects",
            Headline::PeakReconnects => "peak_reconnects_per_s",
            Headline::RefusedHandshakes => "refused_handshakes",
            Headline::HandshakeP99 => "handshake_p99_ms",
            Headline::UndeliveredShare => "messages_undelivered_pct",
            Headline::DeliveryP99 => "delivery_p99_ms",
            Headline::RedisOps => "redis_pubsub_ops",
            Headline::ConnectionImbalance => "connection_imbalance",
        }
    }

    /// The name people read, in tables and chart titles.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Headline::SessionsLost => "lost sessions",
            Headline::FailedRequests => "failed requests",
            Headline::P50 => "p50 latency",
            Headline::P99 => "p99 latency",
            Headline::InstanceSeconds => "instance-seconds",
            Headline::Churn => "instance churn",
            Headline::ConnectionsDropped => "connections dropped",
            Headline::Reconnects => "reconnects",
            Headline::PeakReconnects => "peak reconnects/s",
            Headline::RefusedHandshakes => "refused handshakes",
            Headline::HandshakeP99 => "handshake p99",
            Headline::UndeliveredShare => "messages undelivered",
            Headline::DeliveryP99 => "delivery p99",
            Headline::RedisOps => "Redis pub/sub ops",
            Headline::ConnectionImbalance => "connection imbalance",
        }
    }

    /// The unit, for axis descriptions.
    pub(crate) fn unit(self) -> &'static str {
        match self {
            Headline::SessionsLost => "sessions",
            Headline::FailedRequests => "requests",
            Headline::P50 | Headline::P99 => "ms",
            Headline::InstanceSeconds => "instance·s",
            Headline::Churn => "launches + terminations",
            Headline::ConnectionsDropped => "connections",
            Headline::Reconnects | Headline::RefusedHandshakes => "attempts",
            Headline::PeakReconnects => "reconnects/s",
            Headline::HandshakeP99 | Headline::DeliveryP99 => "ms",
            Headline::UndeliveredShare => "% of recipients",
            Headline::RedisOps => "publishes",
            Headline::ConnectionImbalance => "max / mean",
        }
    }

    /// The values the metric can take: none is below zero (they are counts, durations, costs and
    /// ratios), and a share is at most 100 %. An interval is clamped to them where it is shown
    /// ([`Estimate::bounded`]): `3 ± 5` lost sessions is `0–8`, not `−2–8`.
    pub(crate) fn bounds(self) -> (f64, f64) {
        match self {
            Headline::UndeliveredShare => (0.0, 100.0),
            _ => (0.0, f64::INFINITY),
        }
    }

    /// Whether values are whole counts (tables print them without decimals).
    pub(crate) fn is_count(self) -> bool {
        matches!(
            self,
            Headline::SessionsLost
                | Headline::FailedRequests
                | Headline::Churn
                | Headline::ConnectionsDropped
                | Headline::Reconnects
                | Headline::PeakReconnects
                | Headline::RefusedHandshakes
                | Headline::RedisOps
        )
    }

    /// The column header of tables: the label, with its unit when it is a short one.
    pub(crate) fn heading(self) -> String {
        match self.unit() {
            "ms" => format!("{} (ms)", self.label()),
            "% of recipients" => format!("{} (%)", self.label()),
            "max / mean" => format!("{} (max/mean)", self.label()),
            _ => self.label().to_owned(),
        }
    }

    /// The metric's place in [`Headline::ALL`] (and in every list of estimates).
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One run's headline numbers, all measured after warm-up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Outcome {
    /// In [`Headline::ALL`] order; the connection metrics are 0 for a run without connections.
    values: [f64; Headline::ALL.len()],
    /// Whether the run had connections (and its connection metrics mean something).
    connections: bool,
}

impl Outcome {
    /// - lost sessions: `sessions.lost`;
    /// - failed requests: `requests.failed` summed over causes;
    /// - p50 / p99: latency of successful requests, ms;
    /// - instance-seconds: `fleet.instance_seconds` (the cost);
    /// - churn: instances launched after the initial fleet plus instances terminated or crashed;
    ///
    /// and with connections:
    /// - connections dropped: `connections.dropped` summed over causes;
    /// - reconnects, peak reconnects/s: `connections.reconnects`, `.peak_reconnects_per_s`;
    /// - refused handshakes: `connections.refused` summed over causes;
    /// - handshake p99: `connections.handshake_ms.p99`;
    /// - messages undelivered: `messages.undelivered` summed over causes, as a percentage of
    ///   `messages.recipients` (0 without recipients);
    /// - delivery p99: `messages.latency_ms.p99`;
    /// - Redis pub/sub ops: `messages.redis_ops`;
    /// - connection imbalance: `connections.imbalance_at_end`, open connections on the most
    ///   loaded instance in rotation over the mean.
    pub(crate) fn of(report: &Report) -> Self {
        let fleet = &report.fleet;
        let churn = fleet.launched - fleet.launched_by.initial + fleet.terminated + fleet.crashed;
        let mut outcome = Self::from_values([
            report.sessions.lost as f64,
            report.requests.failed.total() as f64,
            report.latency_ms.p50,
            report.latency_ms.p99,
            fleet.instance_seconds,
            churn as f64,
        ]);
        if let Some(c) = &report.connections {
            let m = report.messages.clone().unwrap_or_default();
            let undelivered = if m.recipients > 0 {
                m.undelivered.total() as f64 * 100.0 / m.recipients as f64
            } else {
                0.0
            };
            outcome.connections = true;
            outcome.values[Headline::EVERY_STUDY..].copy_from_slice(&[
                c.dropped.total() as f64,
                c.reconnects as f64,
                c.peak_reconnects_per_s as f64,
                c.refused.total() as f64,
                c.handshake_ms.p99,
                undelivered,
                m.latency_ms.p99,
                m.redis_ops as f64,
                c.imbalance_at_end,
            ]);
        }
        outcome
    }

    /// An outcome of a run without connections from the values of
    /// [`Headline::shown(false)`](Headline::shown), in order.
    pub(crate) fn from_values(values: [f64; Headline::EVERY_STUDY]) -> Self {
        Self::from_shown(&values, false)
    }

    /// An outcome from the values of [`Headline::shown(connections)`](Headline::shown), in order
    /// (as read back from a CSV row).
    pub(crate) fn from_shown(values: &[f64], connections: bool) -> Self {
        let mut outcome = Self {
            values: [0.0; Headline::ALL.len()],
            connections,
        };
        for (&metric, &v) in Headline::shown(connections).iter().zip(values) {
            outcome.values[metric.index()] = v;
        }
        outcome
    }

    pub(crate) fn get(&self, metric: Headline) -> f64 {
        self.values[metric.index()]
    }

    /// Whether the run had connections.
    pub(crate) fn has_connections(&self) -> bool {
        self.connections
    }
}

/// The estimates of every metric of [`Headline::ALL`] over `outcomes`, in that order.
pub(crate) fn estimates(outcomes: &[Outcome]) -> Vec<Estimate> {
    Headline::ALL
        .iter()
        .map(|&m| Estimate::of_metric(outcomes, m))
        .collect()
}

/// Mean and 95 % confidence interval of one metric over `n` seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub(crate) struct Estimate {
    pub(crate) mean: f64,
    /// Half-width of the 95 % interval: the interval is `mean ± half_width`. 0 with one seed
    /// (no spread can be estimated from one run; tables say so).
    pub(crate) half_width: f64,
    /// Sample standard deviation (0 with one seed).
    pub(crate) std_dev: f64,
    pub(crate) n: usize,
}

impl Estimate {
    /// The estimate of `samples`' mean. An empty sample gives zeros with `n = 0`.
    pub(crate) fn of(samples: &[f64]) -> Self {
        let n = samples.len();
        if n == 0 {
            return Self {
                mean: 0.0,
                half_width: 0.0,
                std_dev: 0.0,
                n,
            };
        }
        let mean = samples.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Self {
                mean,
                half_width: 0.0,
                std_dev: 0.0,
                n,
            };
        }
        let squares: f64 = samples.iter().map(|x| (x - mean).powi(2)).sum();
        let std_dev = (squares / (n - 1) as f64).sqrt();
        Self {
            mean,
            half_width: t_975(n - 1) * std_dev / (n as f64).sqrt(),
            std_dev,
            n,
        }
    }

    pub(crate) fn low(&self) -> f64 {
        self.mean - self.half_width
    }

    pub(crate) fn high(&self) -> f64 {
        self.mean + self.half_width
    }

    /// The 95 % interval clamped to `(floor, ceiling)`: a symmetric interval around a small
    /// mean of counts would otherwise reach below zero, where no value can be.
    pub(crate) fn bounded(&self, (floor, ceiling): (f64, f64)) -> (f64, f64) {
        (self.low().max(floor), self.high().min(ceiling))
    }

    /// The estimate of `metric` over `outcomes`.
    pub(crate) fn of_metric(outcomes: &[Outcome], metric: Headline) -> Self {
        let samples: Vec<f64> = outcomes.iter().map(|o| o.get(metric)).collect();
        Self::of(&samples)
    }
}

/// A value of `metric` for people: counts whole (a mean of counts to one decimal below 100),
/// instance-seconds whole, milliseconds and percentages to three significant digits.
pub(crate) fn value(metric: Headline, v: f64) -> String {
    if metric.is_count() {
        fixed(
            v,
            if v.fract() == 0.0 || v.abs() >= 100.0 {
                0
            } else {
                1
            },
        )
    } else if metric == Headline::InstanceSeconds {
        fixed(v, 0)
    } else {
        ms(v)
    }
}

/// `mean ± half-width` for people; the mean alone from one seed; the range `0–8` when the
/// interval reaches past what the metric can take (see [`Headline::bounds`]).
pub(crate) fn cell(metric: Headline, e: &Estimate) -> String {
    interval_cell(e, metric.bounds(), |v| value(metric, v))
}

/// `mean ± half-width` with numbers written by `number`: the mean alone from fewer than two
/// seeds, and the clamped range `low–high` when the interval crosses `bounds` (so an interval is
/// never printed with a value the quantity cannot take). Unbounded, `(−∞, ∞)`, for differences.
pub(crate) fn interval_cell(
    e: &Estimate,
    bounds: (f64, f64),
    number: impl Fn(f64) -> String,
) -> String {
    if e.n < 2 {
        return number(e.mean);
    }
    let (low, high) = e.bounded(bounds);
    if low > e.low() || high < e.high() {
        format!("{}–{}", number(low), number(high))
    } else {
        format!("{} ± {}", number(e.mean), number(e.half_width))
    }
}

/// Student's t quantile at 0.975 (two-sided 95 %) for `df` degrees of freedom (`df ≥ 1`).
///
/// Exact to six decimals from a table up to 30 degrees of freedom; beyond, the Cornish–Fisher
/// expansion of the t quantile around the normal one (Abramowitz & Stegun 26.7.5), whose error
/// at 31 degrees of freedom is below 1e-5 and shrinks from there.
pub(crate) fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
        2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
        2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
        2.048407, 2.045230, 2.042272,
    ];
    assert!(df >= 1, "a t quantile needs at least one degree of freedom");
    if let Some(&t) = TABLE.get(df - 1) {
        return t;
    }
    let z = 1.959_963_984_540_054_f64;
    let v = df as f64;
    let (z2, z3) = (z * z, z * z * z);
    let (z5, z7) = (z3 * z2, z3 * z2 * z2);
    z + (z3 + z) / (4.0 * v)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * v * v * v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn a_run_without_connections_shows_the_six_metrics_of_every_study() {
        let outcome = Outcome::of(&fixtures::crash_sticky());
        assert!(!outcome.has_connections());
        assert_eq!(
            Headline::shown(false),
            [
                Headline::SessionsLost,
                Headline::FailedRequests,
                Headline::P50,
                Headline::P99,
                Headline::InstanceSeconds,
                Headline::Churn
            ]
        );
        assert!(Headline::shown(false)
            .iter()
            .all(|m| !m.needs_connections()));
        assert_eq!(outcome.get(Headline::Reconnects), 0.0);
    }

    #[test]
    fn a_run_with_connections_has_their_metrics_too() {
        let outcome = Outcome::of(&fixtures::crash_sticky_with_connections());
        assert!(outcome.has_connections());
        assert_eq!(Headline::shown(true), Headline::ALL);
        let expected = [
            (Headline::SessionsLost, 3_217.0),
            (Headline::ConnectionsDropped, 1_200.0),
            (Headline::Reconnects, 1_262.0),
            (Headline::PeakReconnects, 412.0),
            (Headline::RefusedHandshakes, 110.0),
            (Headline::HandshakeP99, 18.7),
            // 2,242 of 240,000 recipients.
            (Headline::UndeliveredShare, 2_242.0 * 100.0 / 240_000.0),
            (Headline::DeliveryP99, 9.87),
            (Headline::RedisOps, 47_950.0),
        ];
        for (metric, value) in expected {
            assert_eq!(outcome.get(metric), value, "{metric:?}");
        }
        // Read back from the values a CSV row holds, it is the same outcome.
        let values: Vec<f64> = Headline::ALL.iter().map(|&m| outcome.get(m)).collect();
        assert_eq!(Outcome::from_shown(&values, true), outcome);
    }

    #[test]
    fn keys_are_distinct_and_connection_metrics_read_as_people_say_them() {
        let mut keys: Vec<&str> = Headline::ALL.iter().map(|m| m.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), Headline::ALL.len());
        assert_eq!(
            Headline::UndeliveredShare.heading(),
            "messages undelivered (%)"
        );
        assert_eq!(Headline::DeliveryP99.heading(), "delivery p99 (ms)");
        assert_eq!(Headline::PeakReconnects.heading(), "peak reconnects/s");
        assert_eq!(value(Headline::UndeliveredShare, 0.934_166), "0.934");
        assert_eq!(value(Headline::RedisOps, 47_950.0), "47,950");
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn cells_show_the_interval_only_with_two_seeds_or_more() {
        let two = Estimate::of(&[600.0, 620.0]);
        assert_eq!(
            cell(Headline::SessionsLost, &two),
            format!("610 ± {}", fixed(two.half_width, 0))
        );
        let one = Estimate::of(&[12.345]);
        assert_eq!(cell(Headline::P99, &one), "12.3");
    }

    #[test]
    fn count_intervals_are_clamped_at_zero() {
        // A count interval 3 ± 5 reaches −2: it prints as the range 0–8.
        let e = Estimate {
            mean: 3.0,
            half_width: 5.0,
            std_dev: 1.0,
            n: 4,
        };
        assert_eq!(e.bounded(Headline::SessionsLost.bounds()), (0.0, 8.0));
        assert_eq!(cell(Headline::SessionsLost, &e), "0–8");
        assert_eq!(cell(Headline::Churn, &e), "0–8");
        // Inside its bounds it stays mean ± half-width; a share stops at 100 %.
        let inside = Estimate { mean: 30.0, ..e };
        assert_eq!(cell(Headline::FailedRequests, &inside), "30 ± 5");
        let share = Estimate { mean: 98.0, ..e };
        assert_eq!(cell(Headline::UndeliveredShare, &share), "93.0–100");
    }

    #[test]
    fn five_samples_by_hand() {
        // mean 3; s² = (4 + 1 + 0 + 1 + 4) / 4 = 2.5; s/√5 = 0.707107; t(0.975, 4) = 2.776445.
        let e = Estimate::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(e.n, 5);
        assert!(close(e.mean, 3.0, 1e-12));
        assert!(close(e.std_dev, 2.5_f64.sqrt(), 1e-12));
        assert!(
            close(e.half_width, 2.776445 * (0.5_f64).sqrt(), 1e-6),
            "{e:?}"
        );
        assert!(close(e.low(), 3.0 - 1.963_243, 1e-5));
        assert!(close(e.high(), 3.0 + 1.963_243, 1e-5));
    }

    #[test]
    fn two_samples_use_the_wide_one_degree_of_freedom_quantile() {
        // mean 15, s = √50, s/√2 = 5, t(0.975, 1) = 12.706205.
        let e = Estimate::of(&[10.0, 20.0]);
        assert!(close(e.half_width, 12.706205 * 5.0, 1e-9), "{e:?}");
    }

    #[test]
    fn identical_samples_have_no_spread() {
        let e = Estimate::of(&[7.0; 10]);
        assert_eq!((e.mean, e.half_width, e.std_dev), (7.0, 0.0, 0.0));
    }

    #[test]
    fn one_sample_gives_its_value_and_no_interval() {
        let e = Estimate::of(&[42.0]);
        assert_eq!((e.mean, e.half_width, e.n), (42.0, 0.0, 1));
        assert_eq!(Estimate::of(&[]).n, 0);
    }

    #[test]
    fn the_t_quantile_joins_its_table_smoothly_and_tends_to_the_normal_one() {
        // Published values: t(0.975, 40) = 2.021075, t(0.975, 60) = 2.000298,
        // t(0.975, 120) = 1.979930.
        assert!(close(t_975(40), 2.021075, 2e-6), "{}", t_975(40));
        assert!(close(t_975(60), 2.000298, 2e-6), "{}", t_975(60));
        assert!(close(t_975(120), 1.979930, 2e-6), "{}", t_975(120));
        // Past the table, the expansion at 31 continues the table's descent.
        assert!(t_975(31) < t_975(30) && t_975(31) > t_975(40));
        assert!(close(t_975(1_000_000), 1.959964, 1e-5));
        // Decreasing in the degrees of freedom throughout.
        for df in 1..200 {
            assert!(t_975(df + 1) < t_975(df), "df {df}");
        }
    }

    #[test]
    fn the_interval_covers_the_true_mean_about_95_percent_of_the_time() {
        // Normal samples of 8 from a fixed-seed generator: coverage of a correct 95 % interval
        // over 4,000 trials falls within 93.5–96.5 % (±4.4 standard errors of a binomial).
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let normal = Normal::new(10.0, 3.0).unwrap();
        let trials = 4_000;
        let covered = (0..trials)
            .filter(|_| {
                let samples: Vec<f64> = (0..8).map(|_| normal.sample(&mut rng)).collect();
                let e = Estimate::of(&samples);
                e.low() <= 10.0 && 10.0 <= e.high()
            })
            .count();
        let share = covered as f64 / trials as f64;
        assert!((0.935..=0.965).contains(&share), "coverage {share}");
    }
}
