//! `--vary` and `--grid` arguments: a scenario field and the values it takes.
//!
//! `PATH=VALUES`, where VALUES is a comma-separated list (`in-memory,redis,jwt`), an inclusive
//! range (`2..16`), a stepped range (`2..16:2`, `0.5..2:0.25`) or a range of durations with its
//! step (`0s..2m:30s`). Commas inside brackets or braces belong to the value, so a YAML flow value
//! such as `{dist: constant, value: 5ms}` is one item. Each value is applied as `--set PATH=VALUE`
//! would be, so every scenario field can be varied and a wrong value is refused by the same
//! validation, naming the argument.
//!
//! Fields that must move together are coupled on one axis: `PATHS=VALUES` with the paths
//! separated by commas (`instances.count,autoscaler.min=2..8`) sets every path to the same value
//! at each point, so the axis has one value per point, not a product of them.

use std::str::FromStr;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::echo::echo;
use crate::engine::SimDuration;
use crate::scenario::{self, parse_duration, Override, Scenario};

/// Most values one axis may take: a typo like `1..1000000` should be an error, not a night of
/// simulation.
pub(crate) const MAX_AXIS_VALUES: usize = 10_000;

/// Most runs (grid points or variants × seeds) one sweep or comparison may ask for. Every point's
/// scenario is loaded and checked before the first run, and at a few milliseconds to minutes per
/// run, 100,000 runs is already hours to days of CPU: a bigger grid is far more likely a slip than
/// a plan, and is refused before anything loads. Split a truly bigger study into several sweeps.
pub(crate) const MAX_RUNS: usize = 100_000;

/// One grid axis: a scenario field and the values it takes, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Axis {
    /// A field path as `--set` takes it, e.g. `instances.count`; for coupled fields, their paths
    /// separated by commas, e.g. `instances.count,autoscaler.min`.
    pub(crate) path: String,
    /// The values as text, exactly as they go into `--set path=value`.
    pub(crate) values: Vec<String>,
}

impl FromStr for Axis {
    type Err = String;

    fn from_str(arg: &str) -> Result<Self, String> {
        let Some((path, values)) = arg.split_once('=') else {
            return Err(format!(
                "`{}` has no `=`; expected PATH=VALUES, like sessions.store=in-memory,redis \
                 or instances.count=2..16",
                echo(arg)
            ));
        };
        let paths: Vec<&str> = path.split(',').map(str::trim).collect();
        if paths.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "`{}` has an empty field path; couple fields as instances.count,autoscaler.min=2..8",
                echo(path)
            ));
        }
        for (i, p) in paths.iter().enumerate() {
            // Each path must be one `--set` accepts.
            Override::from_str(&format!("{p}=0"))?;
            if paths[..i].contains(p) {
                return Err(format!("`{}` names {} twice", echo(path), echo(p)));
            }
        }
        let path = paths.join(",");
        let values = match range(values.trim())? {
            Some(values) => values,
            None => list(values)?,
        };
        if values.len() > MAX_AXIS_VALUES {
            return Err(format!(
                "`{}` lists {} values; an axis takes at most {MAX_AXIS_VALUES}",
                echo(arg),
                values.len()
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = values.iter().find(|v| !seen.insert(v.as_str())) {
            return Err(format!(
                "`{}` lists the value `{}` twice",
                echo(arg),
                echo(twice)
            ));
        }
        Ok(Axis {
            path: path.to_owned(),
            values,
        })
    }
}

impl Axis {
    /// The fields this axis sets: one path, or several coupled ones.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        self.path.split(',')
    }

    /// The overrides that set this axis to its `index`-th value, one per path, each naming the
    /// axis in its errors.
    pub(crate) fn overrides_at(&self, index: usize) -> Vec<Override> {
        self.paths()
            .map(|path| {
                format!("{path}={}", self.values[index])
                    .parse::<Override>()
                    .expect("the path was checked when the axis was parsed")
                    .blamed_on_axis()
            })
            .collect()
    }

    /// The last segment of the path (`store` for `sessions.store`), for short labels; coupled
    /// fields keep their whole paths, which no short name would tell apart.
    pub(crate) fn short_name(&self) -> &str {
        if self.path.contains(',') {
            return &self.path;
        }
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }
}

/// Refuses two axes on the same field (one would silently override the other) and an axis on
/// `seed`, which every run replaces with its own seed (`--seed`, `--seeds`).
pub(crate) fn check_distinct(axes: &[Axis], flag: &str) -> Result<(), String> {
    for (i, a) in axes.iter().enumerate() {
        if a.paths().any(|p| p == "seed") {
            return Err(format!(
                "{flag} {} would change nothing: every run gets its seed from --seed and \
                 --seeds (the same seeds for every variant); use those instead",
                echo(&a.path)
            ));
        }
        for p in a.paths() {
            if let Some(b) = axes[..i].iter().find(|b| b.paths().any(|q| q == p)) {
                return Err(if b.path == a.path {
                    format!("{flag} {} is given twice", echo(&a.path))
                } else {
                    format!(
                        "{flag} {} and {flag} {} both set {}: couple them on one axis or drop one",
                        echo(&b.path),
                        echo(&a.path),
                        echo(p)
                    )
                });
            }
        }
    }
    Ok(())
}

/// Grid points of `axes`: the product of their lengths (1 without axes), `None` if it overflows.
pub(crate) fn point_count(axes: &[Axis]) -> Option<usize> {
    axes.iter()
        .try_fold(1_usize, |n, a| n.checked_mul(a.values.len()))
}

/// Refuses a grid of more than [`MAX_RUNS`] runs (`seeds` per point), naming each axis and the
/// total; otherwise returns the number of points. Nothing is loaded or allocated per point, so
/// an absurd grid costs nothing to refuse.
pub(crate) fn check_size(axes: &[Axis], seeds: usize, flag: &str) -> Result<usize, String> {
    let total = axes
        .iter()
        .map(|a| a.values.len() as u128)
        .chain([seeds as u128])
        .try_fold(1_u128, u128::checked_mul);
    if let Some(points) = point_count(axes).filter(|_| total.is_some_and(|t| t <= MAX_RUNS as u128))
    {
        return Ok(points);
    }
    let mut factors: Vec<String> = axes
        .iter()
        .map(|a| format!("{flag} {} ({} values)", echo(&a.path), a.values.len()))
        .collect();
    factors.push(format!("{seeds} seeds"));
    let total = total.map_or_else(
        || "more runs than can be counted".to_owned(),
        |t| format!("{t} runs"),
    );
    Err(format!(
        "{} = {total}, more than the {MAX_RUNS} runs one study may ask for: narrow an axis, \
         use a coarser step or fewer seeds, or split the study into several",
        factors.join(" × ")
    ))
}

/// The `seeds` consecutive seeds starting at `first`, or why they do not fit in a u64 (seeds
/// never wrap around to 0). `from_flag` says whether `first` came from `--seed` or from the
/// scenario's `seed`.
pub(crate) fn seed_range(first: u64, seeds: usize, from_flag: bool) -> Result<Vec<u64>, String> {
    let count = u64::try_from(seeds).unwrap_or(u64::MAX);
    if count == 0 {
        return Ok(Vec::new());
    }
    match count.checked_sub(1).and_then(|n| first.checked_add(n)) {
        Some(_) => Ok((0..count).map(|i| first + i).collect()),
        None => {
            let start = if from_flag {
                format!("--seed {first}")
            } else {
                format!("the scenario's seed {first}")
            };
            let last = u128::from(first) + seeds as u128 - 1;
            Err(format!(
                "{start} with --seeds {seeds} needs seeds up to {last}, past the largest seed \
                 ({}): pass --seed {} or lower",
                u64::MAX,
                (u128::from(u64::MAX) + 1).saturating_sub(seeds as u128)
            ))
        }
    }
}

/// The value index on each axis of grid point `point`, the last axis varying fastest.
pub(crate) fn indices_of(axes: &[Axis], point: usize) -> Vec<usize> {
    let mut rest = point;
    let mut indices = vec![0; axes.len()];
    for (i, axis) in axes.iter().enumerate().rev() {
        indices[i] = rest % axis.values.len();
        rest /= axis.values.len();
    }
    indices
}

/// Every combination of the axes' value indices, the last axis varying fastest, made one at a
/// time. No axes give one empty combination (the scenario as it is). Call [`check_size`] first:
/// a grid too large to count gives no combinations.
pub(crate) fn combinations(axes: &[Axis]) -> impl Iterator<Item = Vec<usize>> + '_ {
    (0..point_count(axes).unwrap_or(0)).map(move |point| indices_of(axes, point))
}

/// One combination of the axes' values and the scenario it makes.
pub(crate) struct Point {
    /// The index of the point's value on each axis.
    pub(crate) indices: Vec<usize>,
    /// The overrides applied: the base `--set`s, then one per axis.
    pub(crate) overrides: Vec<Override>,
    pub(crate) scenario: Scenario,
}

/// Loads `spec` once per combination of `axes` (in [`combinations`] order), with `sets` then the
/// combination's values applied: an invalid combination is reported before anything runs.
/// Call [`check_size`] first.
pub(crate) fn load_points(
    spec: &str,
    sets: &[Override],
    axes: &[Axis],
) -> anyhow::Result<Vec<Point>> {
    point_count(axes).context("internal: the grid was not checked for size")?;
    combinations(axes)
        .map(|indices| {
            let mut overrides = sets.to_vec();
            overrides.extend(
                axes.iter()
                    .zip(&indices)
                    .flat_map(|(a, &i)| a.overrides_at(i)),
            );
            let scenario = scenario::load(spec, &overrides)?;
            Ok(Point {
                indices,
                overrides,
                scenario,
            })
        })
        .collect()
}

/// Comma-separated items, commas inside `[]`/`{}` excluded.
fn list(text: &str) -> Result<Vec<String>, String> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0_i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    let items: Vec<String> = items.iter().map(|s| s.trim().to_owned()).collect();
    if items.iter().any(String::is_empty) {
        return Err(format!(
            "`{}` has an empty value; list values as a,b,c",
            echo(text)
        ));
    }
    Ok(items)
}

/// `a..b` or `a..b:step`, inclusive of `b` when a step lands on it; `None` when `text` is not
/// a range at all. The number of values is worked out without overflow (in i128 for integers,
/// refusing infinite spans for decimals) and checked against [`MAX_AXIS_VALUES`] before any value
/// is made.
fn range(text: &str) -> Result<Option<Vec<String>>, String> {
    let Some((from, rest)) = text.split_once("..") else {
        return Ok(None);
    };
    let (to, step) = match rest.split_once(':') {
        Some((to, step)) => (to, Some(step)),
        None => (rest, None),
    };
    let shown = echo(text);
    let bad = || format!("`{shown}` is not a range like 2..16, 2..16:2 or 0s..2m:30s");
    let too_many = |count: &str| {
        format!("`{shown}` expands to {count} values; an axis takes at most {MAX_AXIS_VALUES}")
    };
    let integer = |s: &str| s.trim().parse::<i64>().ok();
    if let (Some(a), Some(b), Some(step)) =
        (integer(from), integer(to), step.map_or(Some(1), integer))
    {
        if step <= 0 {
            return Err(format!("`{shown}`: the step must be > 0"));
        }
        if b < a {
            return Err(format!("`{shown}`: the range ends before it starts"));
        }
        // In i128, b − a and the count cannot overflow: |b − a| < 2⁶⁴.
        let (a, b, step) = (i128::from(a), i128::from(b), i128::from(step));
        let count = (b - a) / step + 1;
        if count > MAX_AXIS_VALUES as i128 {
            return Err(too_many(&count.to_string()));
        }
        return Ok(Some(
            (0..count).map(|i| (a + i * step).to_string()).collect(),
        ));
    }
    let whole = |s: &str| {
        let s = s.trim();
        let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    };
    if let Some(huge) = [Some(from), Some(to), step]
        .into_iter()
        .flatten()
        .find(|&s| whole(s) && integer(s).is_none())
    {
        return Err(format!(
            "`{shown}`: {} is outside the whole numbers a range can count ({}..{})",
            echo(huge.trim()),
            i64::MIN,
            i64::MAX
        ));
    }
    let number = |s: &str| s.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    let (Some(a), Some(b)) = (number(from), number(to)) else {
        return durations(from, to, step, &shown);
    };
    let Some(step) = step.map(|s| number(s).ok_or_else(bad)).transpose()? else {
        return Err(format!(
            "`{shown}`: a range of decimals needs a step, like 0.5..2:0.25"
        ));
    };
    if step <= 0.0 {
        return Err(format!("`{shown}`: the step must be > 0"));
    }
    if b < a {
        return Err(format!("`{shown}`: the range ends before it starts"));
    }
    // b − a overflows to infinity for bounds near ±f64::MAX, and a tiny step can make the
    // quotient infinite too: both are refused before the count is turned into an integer.
    let steps = (b - a) / step;
    if !steps.is_finite() {
        return Err(format!(
            "`{shown}` expands to more values than can be counted; an axis takes at most \
             {MAX_AXIS_VALUES}"
        ));
    }
    if steps > MAX_AXIS_VALUES as f64 {
        // As counted below: b is included when within a millionth of a step.
        let count = (steps + 1e-6).floor() + 1.0;
        return Err(too_many(&if count < 1e15 {
            format!("{count:.0}")
        } else {
            format!("about {count:e}")
        }));
    }
    // Values are a + i·step (no accumulated rounding); b is included when within a millionth of
    // a step, so 0.1..0.3:0.1 has three values.
    let count = (steps + 1e-6).floor() as usize + 1;
    if count > MAX_AXIS_VALUES {
        return Err(too_many(&count.to_string()));
    }
    let values: Vec<String> = (0..count).map(|i| decimal(a + i as f64 * step)).collect();
    if let Some(pair) = values.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!(
            "`{shown}`: the step is too small for these values: {} would appear twice (values \
             are written with at most nine decimal places)",
            pair[0]
        ));
    }
    Ok(Some(values))
}

/// `a..b:step` of durations (`0s..2m:30s`), each value written as the scenario writes durations
/// (`0s`, `30s`, `1m`, `90s`, `2m`). Integer nanoseconds, so no rounding: `b` is included when a
/// step lands on it exactly.
fn durations(
    from: &str,
    to: &str,
    step: Option<&str>,
    shown: &str,
) -> Result<Option<Vec<String>>, String> {
    let duration = |s: &str| parse_duration(s).map(|d| d.as_nanos());
    // A range of durations has a unit on at least one end (a bare `0` is also a number).
    let with_unit = |s: &str| s.trim() != "0" && duration(s).is_ok();
    if !(with_unit(from) || with_unit(to)) {
        return Err(format!(
            "`{shown}` is not a range like 2..16, 2..16:2 or 0s..2m:30s"
        ));
    }
    let bad_end = |e: String| format!("`{shown}`: {e}");
    let (a, b) = match (duration(from), duration(to)) {
        (Ok(a), Ok(b)) => (a, b),
        // Neither end is a duration: not a range of durations at all.
        (Err(_), Err(_)) => {
            return Err(format!(
                "`{shown}` is not a range like 2..16, 2..16:2 or 0s..2m:30s"
            ))
        }
        (Err(e), _) | (_, Err(e)) => return Err(bad_end(e)),
    };
    let Some(step) = step else {
        return Err(format!(
            "`{shown}`: a range of durations needs a step, like 0s..2m:30s"
        ));
    };
    let step = duration(step).map_err(bad_end)?;
    if step == 0 {
        return Err(format!("`{shown}`: the step must be > 0"));
    }
    if b < a {
        return Err(format!("`{shown}`: the range ends before it starts"));
    }
    let count = (b - a) / step + 1;
    if count > MAX_AXIS_VALUES as u64 {
        return Err(format!(
            "`{shown}` expands to {count} values; an axis takes at most {MAX_AXIS_VALUES}"
        ));
    }
    Ok(Some(
        (0..count)
            .map(|i| SimDuration(a + i * step).to_string())
            .collect(),
    ))
}

/// A decimal with at most nine places and no trailing zeros (0.30000000000000004 is `0.3`).
fn decimal(x: f64) -> String {
    let text = format!("{x:.9}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(arg: &str) -> Vec<String> {
        arg.parse::<Axis>().unwrap().values
    }

    #[test]
    fn lists_ranges_and_steps() {
        assert_eq!(
            values("sessions.store=in-memory, redis,jwt"),
            ["in-memory", "redis", "jwt"]
        );
        assert_eq!(values("instances.count=2..5"), ["2", "3", "4", "5"]);
        assert_eq!(values("instances.count=2..16:4"), ["2", "6", "10", "14"]);
        assert_eq!(values("instances.count=3..3"), ["3"]);
        assert_eq!(values("redis.max_ops=0.1..0.3:0.1"), ["0.1", "0.2", "0.3"]);
        assert_eq!(values("x.y=0.5..2:0.5"), ["0.5", "1", "1.5", "2"]);
    }

    #[test]
    fn durations_range_in_integer_nanoseconds_and_read_as_scenarios_write_them() {
        // (120 − 0) / 30 + 1 = 5 values.
        assert_eq!(
            values("workload.timeout=0s..2m:30s"),
            ["0s", "30s", "1m", "90s", "2m"]
        );
        // Mixed units: 500 ms, 750 ms, …, 2 s: (2000 − 500) / 250 + 1 = 7 values.
        assert_eq!(
            values("workload.timeout=500ms..2s:250ms"),
            ["500ms", "750ms", "1s", "1250ms", "1500ms", "1750ms", "2s"]
        );
        // A bare 0 is a duration too; the end is left out when no step lands on it.
        assert_eq!(values("workload.timeout=0..1m:25s"), ["0s", "25s", "50s"]);
        for (arg, says) in [
            (
                "workload.timeout=0s..2m",
                "a range of durations needs a step",
            ),
            ("workload.timeout=2m..0s:1s", "ends before it starts"),
            ("workload.timeout=0s..2m:0s", "step must be > 0"),
            ("workload.timeout=0s..2x:1s", "`2x` has an unknown unit `x`"),
            (
                "workload.timeout=0s..1h:1ns",
                "expands to 3600000000001 values",
            ),
        ] {
            let e = arg.parse::<Axis>().unwrap_err();
            assert!(e.contains(says), "{arg}: {e}");
        }
    }

    #[test]
    fn coupled_paths_share_one_axis_of_values() {
        let axis: Axis = "instances.count, autoscaler.min=2..4".parse().unwrap();
        assert_eq!(axis.path, "instances.count,autoscaler.min");
        assert_eq!(axis.values, ["2", "3", "4"]);
        assert_eq!(axis.short_name(), "instances.count,autoscaler.min");
        let args: Vec<String> = axis
            .overrides_at(1)
            .iter()
            .map(|o| o.arg().to_owned())
            .collect();
        assert_eq!(args, ["instances.count=3", "autoscaler.min=3"]);
        assert!(error("a.b,=1").contains("empty field path"));
        assert!(error("a.b,a.b=1").contains("names a.b twice"));
        let other: Axis = "autoscaler.min=1".parse().unwrap();
        let e = check_distinct(&[other, axis], "--grid").unwrap_err();
        assert_eq!(
            e,
            "--grid autoscaler.min and --grid instances.count,autoscaler.min both set \
             autoscaler.min: couple them on one axis or drop one"
        );
        let seeded: Axis = "instances.count,seed=1".parse().unwrap();
        assert!(check_distinct(&[seeded], "--vary")
            .unwrap_err()
            .contains("would change nothing"));
    }

    #[test]
    fn commas_inside_flow_values_do_not_split_them() {
        assert_eq!(
            values("instances.service_time={dist: constant, value: 5ms},{dist: exponential, mean: 5ms}"),
            ["{dist: constant, value: 5ms}", "{dist: exponential, mean: 5ms}"]
        );
    }

    #[test]
    fn durations_and_words_are_lists_not_ranges() {
        assert_eq!(values("instances.boot_time=30s,2m"), ["30s", "2m"]);
        let axis: Axis = "balancer.affinity=cookie,none".parse().unwrap();
        assert_eq!(axis.path, "balancer.affinity");
        assert_eq!(axis.short_name(), "affinity");
        assert_eq!(axis.overrides_at(1)[0].arg(), "balancer.affinity=none");
    }

    #[test]
    fn mistakes_are_explained() {
        for (arg, says) in [
            ("instances.count", "no `=`"),
            ("instances.count=", "empty value"),
            ("instances.count=2,,3", "empty value"),
            ("instances.count=5..2", "ends before it starts"),
            ("instances.count=2..8:0", "step must be > 0"),
            ("instances.count=2..x", "not a range"),
            ("redis.max_ops=0.5..2", "needs a step"),
            ("instances.count=1..1000000", "expands to 1000000 values"),
            ("sessions.store=redis,redis", "twice"),
            ("..bad=1", "field path"),
        ] {
            let e = arg.parse::<Axis>().unwrap_err();
            assert!(e.contains(says), "{arg}: {e}");
        }
    }

    #[test]
    fn combinations_vary_the_last_axis_fastest() {
        let a: Axis = "a.x=1,2".parse().unwrap();
        let b: Axis = "b.y=p,q,r".parse().unwrap();
        let both = [a.clone(), b];
        assert_eq!(
            combinations(&both).collect::<Vec<_>>(),
            [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
        );
        assert_eq!(indices_of(&both, 4), [1, 1]);
        assert_eq!(combinations(&[]).collect::<Vec<_>>(), [Vec::<usize>::new()]);
        assert!(check_distinct(&[a.clone(), a], "--grid")
            .unwrap_err()
            .contains("twice"));
    }

    fn error(arg: &str) -> String {
        arg.parse::<Axis>().unwrap_err()
    }

    #[test]
    fn fails_with_a_count_when_a_range_spans_all_of_i64() {
        // (i64::MAX − i64::MIN) / 1 + 1 = 2⁶⁴ values: counted in i128, where it cannot wrap
        // around to a small number and slip under the cap.
        let e = error("seed=-9223372036854775808..9223372036854775807");
        assert!(
            e.contains("expands to 18446744073709551616 values; an axis takes at most 10000"),
            "{e}"
        );
        // The same span with a step of 2⁶² still has 4 values (−2⁶³, −2⁶², 0, 2⁶²).
        assert_eq!(
            values("seed=-9223372036854775808..9223372036854775807:4611686018427387904").len(),
            4
        );
        let e = error("seed=0..99999999999999999999");
        assert!(e.contains("outside the whole numbers"), "{e}");
    }

    #[test]
    fn fails_when_a_decimal_range_has_infinitely_or_absurdly_many_values() {
        // 1e308 / 1e-308 overflows to infinity.
        let e = error("workload.arrivals.rate=0..1e308:1e-308");
        assert!(
            e.contains("expands to more values than can be counted"),
            "{e}"
        );
        // −1e308..1e308 spans 2e308, which is infinite in f64.
        let e = error("workload.arrivals.rate=-1e308..1e308:1e300");
        assert!(
            e.contains("expands to more values than can be counted"),
            "{e}"
        );
        // 1 / 1e-9 + 1 = 1,000,000,001 values.
        let e = error("workload.arrivals.rate=0..1:0.000000001");
        assert!(e.contains("expands to 1000000001 values"), "{e}");
        for bad in ["0..1:NaN", "0..inf:1", "NaN..1:0.5", "0..1:-inf"] {
            let e = error(&format!("workload.arrivals.rate={bad}"));
            assert!(e.contains("not a range"), "{bad}: {e}");
        }
        // A step below the ninth decimal place would write the same value twice.
        let e = error("workload.arrivals.rate=1..1.000000001:0.0000000001");
        assert!(e.contains("step is too small"), "{e}");
    }

    #[test]
    fn fails_when_a_list_has_more_values_than_an_axis_takes() {
        let many: Vec<String> = (0..=MAX_AXIS_VALUES).map(|i| i.to_string()).collect();
        let e = error(&format!("instances.count={}", many.join(",")));
        assert!(e.contains("lists 10001 values"), "{e}");
        // The argument itself is cut to 80 characters in the message.
        assert!(e.contains("characters)"), "{e}");
        assert!(e.len() < 300, "{e}");
    }

    #[test]
    fn echoed_values_are_escaped_and_shortened() {
        let e = error("instances.count=2..x\n\u{1b}[2J");
        assert!(e.contains("`2..x\\n\\u{1b}[2J` is not a range"), "{e}");
        let long = format!("description=a,{},a", "b".repeat(5000));
        let e = error(&long);
        assert!(
            e.contains("… (5016 characters)` lists the value `a` twice"),
            "{e}"
        );
    }

    fn axis(arg: &str) -> Axis {
        arg.parse().unwrap()
    }

    #[test]
    fn fails_with_every_axis_and_the_total_when_a_grid_is_too_large() {
        let count = axis("instances.count=1..10000");
        let rate = axis("workload.arrivals.rate=1..10000");
        // 10,000 × 10,000 × 3 = 300,000,000 runs.
        let e = check_size(&[count.clone(), rate.clone()], 3, "--grid").unwrap_err();
        assert_eq!(
            e,
            "--grid instances.count (10000 values) × --grid workload.arrivals.rate (10000 \
             values) × 3 seeds = 300000000 runs, more than the 100000 runs one study may ask \
             for: narrow an axis, use a coarser step or fewer seeds, or split the study into \
             several"
        );
        // 10,000 × 10 = 100,000 runs: exactly the cap.
        assert_eq!(
            check_size(std::slice::from_ref(&count), 10, "--grid"),
            Ok(10_000)
        );
        assert!(check_size(std::slice::from_ref(&count), 11, "--grid").is_err());
        // 10,000⁵ × 10,000 = 10²⁴ overflows usize but not u128; 10,000¹⁰ overflows both.
        let five = vec![count.clone(); 5];
        assert!(check_size(&five, 10_000, "--grid")
            .unwrap_err()
            .contains("= 1000000000000000000000000 runs"));
        let ten = vec![count; 10];
        assert!(check_size(&ten, 1, "--grid")
            .unwrap_err()
            .contains("= more runs than can be counted"));
        assert_eq!(check_size(&[], 5, "--vary"), Ok(1));
    }

    #[test]
    fn fails_when_the_last_seed_would_pass_u64_max() {
        assert_eq!(seed_range(7, 3, false), Ok(vec![7, 8, 9]));
        assert_eq!(seed_range(u64::MAX, 1, true), Ok(vec![u64::MAX]));
        assert_eq!(
            seed_range(u64::MAX - 1, 2, true),
            Ok(vec![u64::MAX - 1, u64::MAX])
        );
        // 18446744073709551615 + 2 − 1 = 18446744073709551616 = 2⁶⁴, one past u64::MAX.
        assert_eq!(
            seed_range(u64::MAX, 2, true).unwrap_err(),
            "--seed 18446744073709551615 with --seeds 2 needs seeds up to \
             18446744073709551616, past the largest seed (18446744073709551615): pass --seed \
             18446744073709551614 or lower"
        );
        assert!(seed_range(u64::MAX - 5, 10, false)
            .unwrap_err()
            .starts_with("the scenario's seed 18446744073709551610 with --seeds 10"));
    }

    #[test]
    fn an_axis_on_the_seed_is_refused() {
        let e = check_distinct(&[axis("seed=1,2")], "--vary").unwrap_err();
        assert!(e.contains("--vary seed would change nothing"), "{e}");
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        /// Range bounds and steps as a user (or a fuzzer) might type them: extreme integers,
        /// integers beyond i64, extreme, subnormal and non-finite floats, ordinary small numbers.
        fn number() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                prop::sample::select(vec![i64::MIN, i64::MIN + 1, i64::MAX, 0, 1, -1, 10_000])
                    .prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|x| x.to_string()),
                any::<f64>().prop_map(|x| format!("{x:e}")),
                prop::sample::select(vec![
                    "1e308",
                    "-1e308",
                    "1e-308",
                    "5e-324",
                    "NaN",
                    "inf",
                    "-inf",
                    "99999999999999999999",
                    "-99999999999999999999",
                    "0.1",
                    "1e-9",
                    "1e-10",
                    "",
                    " 3 ",
                ])
                .prop_map(str::to_owned),
                (-30_i64..30).prop_map(|n| n.to_string()),
                (-30.0_f64..30.0).prop_map(|x| x.to_string()),
            ]
        }

        proptest! {
            #[test]
            fn ranges_never_panic_and_stay_under_the_cap(
                path in prop::sample::select(vec!["seed", "workload.arrivals.rate"]),
                low in number(),
                high in number(),
                step in prop::option::of(number()),
            ) {
                let arg = match &step {
                    Some(step) => format!("{path}={low}..{high}:{step}"),
                    None => format!("{path}={low}..{high}"),
                };
                match arg.parse::<Axis>() {
                    Ok(axis) => {
                        prop_assert!(!axis.values.is_empty(), "{arg}");
                        prop_assert!(axis.values.len() <= MAX_AXIS_VALUES, "{arg}");
                        let distinct: std::collections::BTreeSet<_> = axis.values.iter().collect();
                        prop_assert_eq!(distinct.len(), axis.values.len(), "{}", arg);
                    }
                    Err(e) => prop_assert!(!e.is_empty()),
                }
            }
        }
    }
}
