//! Objectives: what a run must achieve, written as people write service-level objectives
//! (`p99 < 250ms`, `success >= 99.9%`, `lost_sessions == 0`).
//!
//! An objective is a metric, a comparison and a threshold in the metric's unit. It is parsed
//! here, from a scenario's `objectives:` list or a `--objective` argument, and judged against a
//! finished run by `metrics::objectives`. The threshold is kept exactly as written (integer
//! nanoseconds, millionths of a percent, whole counts), so `success >= 99.9%` judges 999 of 1000
//! as met without floating-point doubt.
//!
//! Per-window metrics are judged in every measured report window and met only when no window
//! fails; whole-run metrics are judged once on the run's totals.

use std::fmt;
use std::str::FromStr;

use super::duration::parse_duration;
use crate::engine::SimDuration;

/// What an objective measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ObjectiveMetric {
    /// A latency percentile of the successful requests that finished in each measured window.
    Percentile(Percentile),
    /// Per window: succeeded / (succeeded + failed) of the requests that finished in the window,
    /// in percent.
    Success,
    /// Whole run: `requests.succeeded / (requests.succeeded + Σ requests.failed)`, in percent.
    Availability,
    /// Whole run: `sessions.lost`, distinct sessions forced to log in again.
    LostSessions,
    /// Whole run: failed request attempts, summed over causes.
    FailedRequests,
}

/// The per-window latency percentiles the report's windows compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Percentile {
    P50,
    P90,
    P95,
    P99,
    P999,
}

impl ObjectiveMetric {
    /// Every metric with the name it is written with.
    const NAMES: [(&'static str, ObjectiveMetric); 9] = [
        ("p50", ObjectiveMetric::Percentile(Percentile::P50)),
        ("p90", ObjectiveMetric::Percentile(Percentile::P90)),
        ("p95", ObjectiveMetric::Percentile(Percentile::P95)),
        ("p99", ObjectiveMetric::Percentile(Percentile::P99)),
        ("p99.9", ObjectiveMetric::Percentile(Percentile::P999)),
        ("success", ObjectiveMetric::Success),
        ("availability", ObjectiveMetric::Availability),
        ("lost_sessions", ObjectiveMetric::LostSessions),
        ("failed_requests", ObjectiveMetric::FailedRequests),
    ];

    /// The name it is written with (`p99.9` also reads as `p999`).
    pub(crate) fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("?", |(n, _)| n)
    }

    fn parse(name: &str) -> Option<Self> {
        let name = if name == "p999" { "p99.9" } else { name };
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| *m)
    }

    /// Judged window by window (else once, on the run's totals).
    pub(crate) fn per_window(self) -> bool {
        matches!(
            self,
            ObjectiveMetric::Percentile(_) | ObjectiveMetric::Success
        )
    }

    /// The unit of its values and threshold.
    pub(crate) fn unit(self) -> &'static str {
        match self {
            ObjectiveMetric::Percentile(_) => "ms",
            ObjectiveMetric::Success | ObjectiveMetric::Availability => "%",
            ObjectiveMetric::LostSessions => "sessions",
            ObjectiveMetric::FailedRequests => "requests",
        }
    }
}

/// How a value is compared with the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
}

impl Comparison {
    /// Longer operators first, so `<=` is not read as `<` followed by `=`.
    const SYMBOLS: [(&'static str, Comparison); 5] = [
        ("<=", Comparison::LessOrEqual),
        (">=", Comparison::GreaterOrEqual),
        ("==", Comparison::Equal),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
    ];

    pub(crate) fn symbol(self) -> &'static str {
        Self::SYMBOLS
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("?", |(s, _)| s)
    }

    /// Whether `value` compared with `threshold` holds; `ordering` is `value` against the
    /// threshold, computed exactly by the caller.
    pub(crate) fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Comparison::Less => ordering == Less,
            Comparison::LessOrEqual => ordering != Greater,
            Comparison::Greater => ordering == Greater,
            Comparison::GreaterOrEqual => ordering != Less,
            Comparison::Equal => ordering == Equal,
        }
    }

    /// Whether a larger value is the worse one (`<`, `<=`); for `>`, `>=` a smaller one is; for
    /// `==` the one farthest from the threshold is.
    pub(crate) fn higher_is_worse(self) -> Option<bool> {
        match self {
            Comparison::Less | Comparison::LessOrEqual => Some(true),
            Comparison::Greater | Comparison::GreaterOrEqual => Some(false),
            Comparison::Equal => None,
        }
    }
}

/// A threshold, exactly as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Threshold {
    /// A latency.
    Duration(SimDuration),
    /// A percentage in millionths of a percent: `99.9%` is 99 900 000.
    Percent(u64),
    /// A whole count.
    Count(u64),
}

/// Millionths of a percent in one percent.
pub(crate) const PERCENT_SCALE: u64 = 1_000_000;

impl Threshold {
    /// The threshold in the metric's unit (ms, %, or a count).
    pub(crate) fn value(self) -> f64 {
        match self {
            Threshold::Duration(d) => d.as_nanos() as f64 / 1e6,
            Threshold::Percent(p) => p as f64 / PERCENT_SCALE as f64,
            Threshold::Count(n) => n as f64,
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Threshold::Duration(d) => write!(f, "{d}"),
            Threshold::Percent(p) => {
                let whole = p / PERCENT_SCALE;
                let fraction = p % PERCENT_SCALE;
                if fraction == 0 {
                    write!(f, "{whole}%")
                } else {
                    let digits = format!("{fraction:06}");
                    write!(f, "{whole}.{}%", digits.trim_end_matches('0'))
                }
            }
            Threshold::Count(n) => write!(f, "{n}"),
        }
    }
}

/// One objective: `metric comparison threshold`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Objective {
    pub(crate) metric: ObjectiveMetric,
    pub(crate) comparison: Comparison,
    pub(crate) threshold: Threshold,
    /// Stated as `report.slo` (the p99 objective of older scenario files), not as an objective:
    /// a run's summary then keeps its old `slo` block and shows no `objectives`.
    pub(crate) from_slo: bool,
}

impl Objective {
    /// `report.slo: X` read as an objective: the windows it counts over are those whose p99
    /// exceeds X, so it holds while p99 ≤ X.
    pub(crate) fn from_slo(slo: SimDuration) -> Self {
        Self {
            metric: ObjectiveMetric::Percentile(Percentile::P99),
            comparison: Comparison::LessOrEqual,
            threshold: Threshold::Duration(slo),
            from_slo: true,
        }
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.metric.name(),
            self.comparison.symbol(),
            self.threshold
        )
    }
}

/// What every objective error says is expected.
pub(crate) const EXPECTED_OBJECTIVE: &str = "METRIC OP VALUE, e.g. `p99 < 250ms`, \
     `success >= 99.9%` or `lost_sessions == 0` (metrics: p50, p90, p95, p99, p99.9, success, \
     availability, lost_sessions, failed_requests; operators: <, <=, >, >=, ==)";

impl FromStr for Objective {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let name_end = trimmed
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(trimmed.len());
        let (name, rest) = trimmed.split_at(name_end);
        if name.is_empty() {
            return Err(format!("`{trimmed}` is not {EXPECTED_OBJECTIVE}"));
        }
        let metric = ObjectiveMetric::parse(name).ok_or_else(|| {
            format!(
                "unknown metric `{name}`; the metrics are p50, p90, p95, p99, p99.9, success, \
                 availability, lost_sessions, failed_requests"
            )
        })?;
        let rest = rest.trim_start();
        let (comparison, value) = Comparison::SYMBOLS
            .iter()
            .find_map(|(s, c)| rest.strip_prefix(s).map(|v| (*c, v.trim())))
            .ok_or_else(|| {
                format!(
                    "`{trimmed}` has no comparison after `{name}`; write one of <, <=, >, >=, =="
                )
            })?;
        if value.is_empty() {
            return Err(format!(
                "`{trimmed}` has no value after `{}`",
                comparison.symbol()
            ));
        }
        let threshold = match metric {
            ObjectiveMetric::Percentile(_) => {
                Threshold::Duration(parse_duration(value).map_err(|e| format!("{name}: {e}"))?)
            }
            ObjectiveMetric::Success | ObjectiveMetric::Availability => {
                Threshold::Percent(parse_percent(value).map_err(|e| format!("{name}: {e}"))?)
            }
            ObjectiveMetric::LostSessions | ObjectiveMetric::FailedRequests => Threshold::Count(
                value
                    .parse::<u64>()
                    .map_err(|_| format!("{name}: `{value}` is not a whole number ≥ 0"))?,
            ),
        };
        Ok(Self {
            metric,
            comparison,
            threshold,
            from_slo: false,
        })
    }
}

/// `99.9%` → 99 900 000 millionths of a percent, exactly; at most 6 decimals, 0 to 100.
fn parse_percent(text: &str) -> Result<u64, String> {
    let Some(number) = text.strip_suffix('%').map(str::trim_end) else {
        return Err(format!(
            "`{text}` is not a percentage; write it with `%`, e.g. `99.9%`"
        ));
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 6 {
        return Err(format!(
            "`{text}` is not a percentage like `99.9%` (at most six decimals)"
        ));
    }
    let whole: u64 = whole
        .parse()
        .map_err(|_| format!("`{text}` is more than 100%"))?;
    let fraction: u64 = format!("{fraction:0<6}").parse().unwrap_or(0);
    let value = whole
        .checked_mul(PERCENT_SCALE)
        .and_then(|w| w.checked_add(fraction))
        .filter(|&v| v <= 100 * PERCENT_SCALE)
        .ok_or_else(|| format!("`{text}` is more than 100%"))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Objective {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn reads_each_kind_of_threshold_exactly() {
        let o = parse("p99 < 250ms");
        assert_eq!(o.metric, ObjectiveMetric::Percentile(Percentile::P99));
        assert_eq!(o.comparison, Comparison::Less);
        assert_eq!(
            o.threshold,
            Threshold::Duration(SimDuration::from_millis(250))
        );
        assert_eq!(o.threshold.value(), 250.0);
        let o = parse("success>=99.9%");
        assert_eq!(o.threshold, Threshold::Percent(99_900_000));
        assert_eq!(o.to_string(), "success >= 99.9%");
        let o = parse("  lost_sessions == 0 ");
        assert_eq!(o.threshold, Threshold::Count(0));
        assert_eq!(o.to_string(), "lost_sessions == 0");
        assert_eq!(parse("p999 <= 1.5s").to_string(), "p99.9 <= 1500ms");
        assert_eq!(parse("availability > 100%").threshold.value(), 100.0);
        assert_eq!(
            parse("success >= 99.000001%").to_string(),
            "success >= 99.000001%"
        );
    }

    #[test]
    fn says_what_is_wrong_with_each_part() {
        let error = |text: &str| text.parse::<Objective>().unwrap_err();
        assert!(
            error("p98 < 2s").starts_with("unknown metric `p98`"),
            "{}",
            error("p98 < 2s")
        );
        assert!(error("p99 ~ 2s").contains("has no comparison"));
        assert!(error("p99 <").contains("has no value"));
        assert_eq!(
            error("p99 < 25x"),
            "p99: `25x` has an unknown unit `x`; expected a duration like 250us, 20ms, 1.5s, 5m \
             or 1h (units: ns, us, ms, s, m, h)"
        );
        assert!(error("p99 < 250").contains("has no unit"));
        assert!(error("success >= 99.9").contains("write it with `%`"));
        assert!(error("success >= 100.1%").contains("more than 100%"));
        assert!(error("success >= 9.1234567%").contains("at most six decimals"));
        assert!(error("lost_sessions <= -1").contains("not a whole number"));
        assert!(error("< 3").contains("is not METRIC OP VALUE"));
    }

    #[test]
    fn comparisons_hold_as_their_symbols_say() {
        use std::cmp::Ordering::*;
        let cases = [
            (Comparison::Less, [true, false, false]),
            (Comparison::LessOrEqual, [true, true, false]),
            (Comparison::Greater, [false, false, true]),
            (Comparison::GreaterOrEqual, [false, true, true]),
            (Comparison::Equal, [false, true, false]),
        ];
        for (c, expected) in cases {
            let got = [Less, Equal, Greater].map(|o| c.holds(o));
            assert_eq!(got, expected, "{c:?}");
        }
    }

    #[test]
    fn a_report_slo_is_the_p99_objective_it_always_counted() {
        let o = Objective::from_slo(SimDuration::from_millis(300));
        assert_eq!(o.to_string(), "p99 <= 300ms");
        assert!(o.from_slo);
    }
}
