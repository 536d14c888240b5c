//! `--vary` and `--grid` arguments: a scenario field and the values it takes.
//!
//! `PATH=VALUES`, where VALUES is a comma-separated list (`in-memory,redis,jwt`), an inclusive
//! range (`2..16`) or a stepped range (`2..16:2`, `0.5..2:0.25`). Commas inside brackets or braces
//! belong to the value, so a YAML flow value such as `{dist: constant, value: 5ms}` is one item.
//! Each value is applied as `--set PATH=VALUE` would be, so every scenario field can be varied and
//! a wrong value is refused by the same validation, naming the override.

use std::str::FromStr;

use super::sweep::Axis;
use crate::scenario::{self, Override, Scenario, ScenarioError};

/// Most values one range may expand to: a typo like `1..1000000` should be an error, not a
/// night of simulation.
const MAX_RANGE_VALUES: usize = 10_000;

impl FromStr for Axis {
    type Err = String;

    fn from_str(arg: &str) -> Result<Self, String> {
        let Some((path, values)) = arg.split_once('=') else {
            return Err(format!(
                "`{arg}` has no `=`; expected PATH=VALUES, like sessions.store=in-memory,redis \
                 or instances.count=2..16"
            ));
        };
        let path = path.trim();
        // The path must be one `--set` accepts.
        Override::from_str(&format!("{path}=0"))?;
        let values = match range(values.trim())? {
            Some(values) => values,
            None => list(values)?,
        };
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = values.iter().find(|v| !seen.insert(v.as_str())) {
            return Err(format!("`{arg}` lists the value `{twice}` twice"));
        }
        Ok(Axis {
            path: path.to_owned(),
            values,
        })
    }
}

impl Axis {
    /// The override that sets this axis to its `index`-th value.
    pub fn override_at(&self, index: usize) -> Override {
        format!("{}={}", self.path, self.values[index])
            .parse()
            .expect("the path was checked when the axis was parsed")
    }

    /// The last segment of the path (`store` for `sessions.store`), for short labels.
    pub fn short_name(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }
}

/// Refuses two axes on the same field: one would silently override the other.
pub fn check_distinct(axes: &[Axis], flag: &str) -> Result<(), String> {
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.path == a.path) {
            return Err(format!("{flag} {} is given twice", a.path));
        }
    }
    Ok(())
}

/// Every combination of the axes' value indices, the last axis varying fastest. No axes give
/// one empty combination (the scenario as it is).
pub fn combinations(axes: &[Axis]) -> Vec<Vec<usize>> {
    let mut all = vec![Vec::new()];
    for axis in axes {
        all = all
            .into_iter()
            .flat_map(|prefix| {
                (0..axis.values.len()).map(move |i| {
                    let mut next = prefix.clone();
                    next.push(i);
                    next
                })
            })
            .collect();
    }
    all
}

/// One combination of the axes' values and the scenario it makes.
pub struct Point {
    /// The index of the point's value on each axis.
    pub indices: Vec<usize>,
    /// The overrides applied: the base `--set`s, then one per axis.
    pub overrides: Vec<Override>,
    pub scenario: Scenario,
}

/// Loads `spec` once per combination of `axes` (in [`combinations`] order), with `sets` then the
/// combination's values applied: an invalid combination is reported before anything runs.
pub fn load_points(
    spec: &str,
    sets: &[Override],
    axes: &[Axis],
) -> Result<Vec<Point>, ScenarioError> {
    combinations(axes)
        .into_iter()
        .map(|indices| {
            let mut overrides = sets.to_vec();
            overrides.extend(axes.iter().zip(&indices).map(|(a, &i)| a.override_at(i)));
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
        return Err(format!("`{text}` has an empty value; list values as a,b,c"));
    }
    Ok(items)
}

/// `a..b` or `a..b:step`, inclusive of `b` when a step lands on it; `None` when `text` is not
/// a range at all.
fn range(text: &str) -> Result<Option<Vec<String>>, String> {
    let Some((from, rest)) = text.split_once("..") else {
        return Ok(None);
    };
    let (to, step) = match rest.split_once(':') {
        Some((to, step)) => (to, Some(step)),
        None => (rest, None),
    };
    let bad = || format!("`{text}` is not a range like 2..16 or 2..16:2");
    let integer = |s: &str| s.trim().parse::<i64>().ok();
    if let (Some(a), Some(b), Some(step)) =
        (integer(from), integer(to), step.map_or(Some(1), integer))
    {
        if step <= 0 {
            return Err(format!("`{text}`: the step must be > 0"));
        }
        if b < a {
            return Err(format!("`{text}`: the range ends before it starts"));
        }
        let count = ((b - a) / step) as usize + 1;
        if count > MAX_RANGE_VALUES {
            return Err(format!(
                "`{text}` expands to {count} values (at most {MAX_RANGE_VALUES})"
            ));
        }
        return Ok(Some(
            (0..count as i64)
                .map(|i| (a + i * step).to_string())
                .collect(),
        ));
    }
    let number = |s: &str| s.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    let (Some(a), Some(b)) = (number(from), number(to)) else {
        return Err(bad());
    };
    let Some(step) = step.map(|s| number(s).ok_or_else(bad)).transpose()? else {
        return Err(format!(
            "`{text}`: a range of decimals needs a step, like 0.5..2:0.25"
        ));
    };
    if step <= 0.0 {
        return Err(format!("`{text}`: the step must be > 0"));
    }
    if b < a {
        return Err(format!("`{text}`: the range ends before it starts"));
    }
    // Values are a + i·step (no accumulated rounding); b is included when within a millionth of
    // a step, so 0.1..0.3:0.1 has three values.
    let count = ((b - a) / step + 1e-6).floor() as usize + 1;
    if count > MAX_RANGE_VALUES {
        return Err(format!(
            "`{text}` expands to {count} values (at most {MAX_RANGE_VALUES})"
        ));
    }
    Ok(Some(
        (0..count).map(|i| decimal(a + i as f64 * step)).collect(),
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
        assert_eq!(axis.override_at(1).arg(), "balancer.affinity=none");
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
            ("instances.count=1..1000000", "expands to"),
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
        assert_eq!(
            combinations(&[a.clone(), b]),
            [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
        );
        assert_eq!(combinations(&[]), [Vec::<usize>::new()]);
        assert!(check_distinct(&[a.clone(), a], "--grid")
            .unwrap_err()
            .contains("twice"));
    }
}
