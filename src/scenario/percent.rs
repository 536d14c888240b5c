//! Fractions and counts that people write as percentages: `target: 60%`, `max_surge: 25%`.
//!
//! A CPU target of "sixty percent" is written `60%` as often as `0.6`, and Kubernetes users write
//! a rolling deploy's surge as `25%`. Both spellings are accepted where they cannot be confused:
//! - [`Share`] is a fraction in YAML: a number (`0.6`) or a percentage (`60%`, which is `0.6`);
//! - [`CountOrPercent`] is a number of instances (`1`) or a percentage of the desired count
//!   (`25%`), turned into instances the way Kubernetes does (validate.rs: surge rounds up,
//!   unavailable rounds down).
//!
//! Both serialise back to what was written (`0.6` stays a number, `60%` a string), which `--set`
//! relies on when it round-trips a scenario through JSON.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The pattern of a percentage in the JSON Schema: digits, an optional decimal part, `%`.
const PERCENT_PATTERN: &str = r"^\s*[0-9]+(\.[0-9]+)?\s*%\s*$";

/// Reads `text` as a percentage (`60%`, `12.5 %`): the number before the `%`, or why it is not
/// one. `None` when `text` does not end with `%` at all. The error starts with the text in
/// backticks, which lets the parser find the field it belongs to.
fn percent(text: &str) -> Option<Result<f64, String>> {
    let number = text.trim().strip_suffix('%')?.trim_end();
    let is_decimal = !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit() || c == '.')
        && number.matches('.').count() <= 1
        && number != ".";
    Some(match number.parse::<f64>() {
        Ok(value) if is_decimal && value.is_finite() => Ok(value),
        _ => Err(format!(
            "`{}` is not a percentage like 60% (a number ≥ 0 followed by %)",
            text.trim()
        )),
    })
}

/// A fraction written as a number (`0.6`) or as a percentage (`60%`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Share {
    /// Written as a plain number: the value itself.
    Number(f64),
    /// Written as a percentage: the number before `%` (60 for `60%`).
    Percent(f64),
}

impl Share {
    /// The value as a fraction: `60%` is 0.6; a plain number is itself.
    pub(crate) fn value(self) -> f64 {
        match self {
            Share::Number(x) => x,
            Share::Percent(p) => p / 100.0,
        }
    }

    /// Whether it was written with `%`.
    pub(crate) fn is_percent(self) -> bool {
        matches!(self, Share::Percent(_))
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Share::Number(x) => write!(f, "{x}"),
            Share::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl Serialize for Share {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Share::Number(x) => serializer.serialize_f64(*x),
            Share::Percent(_) => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ShareVisitor;

        impl Visitor<'_> for ShareVisitor {
            type Value = Share;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number like 0.6 or a percentage like 60%")
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Share, E> {
                super::raw::check_finite(v).map(Share::Number)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Share, E> {
                Ok(Share::Number(v as f64))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Share, E> {
                Ok(Share::Number(v as f64))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Share, E> {
                match percent(v) {
                    Some(p) => p.map(Share::Percent).map_err(E::custom),
                    None => Err(E::custom(format_args!(
                        "`{}` is not a number like 0.6 or a percentage like 60%",
                        v.trim()
                    ))),
                }
            }
        }

        deserializer.deserialize_any(ShareVisitor)
    }
}

impl JsonSchema for Share {
    fn schema_name() -> Cow<'static, str> {
        "Share".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A fraction: a number like 0.6, or a percentage like \"60%\" (= 0.6).",
            "anyOf": [
                { "type": "number" },
                { "type": "string", "pattern": PERCENT_PATTERN }
            ]
        })
    }
}

/// A number of instances (`1`) or a percentage of the desired count (`25%`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CountOrPercent {
    Count(u32),
    /// The number before `%`.
    Percent(f64),
}

/// How a percentage of instances becomes a whole number of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rounding {
    Up,
    Down,
}

impl CountOrPercent {
    /// The number of instances out of `desired`: a count as written, a percentage rounded as
    /// Kubernetes rounds it (`maxSurge` up, `maxUnavailable` down). The tiny tolerance keeps
    /// `30%` of 10 at 3 although 0.3 × 10 is 3.0000000000000004 in floating point.
    pub(crate) fn resolve(self, desired: u32, rounding: Rounding) -> u32 {
        match self {
            CountOrPercent::Count(n) => n,
            CountOrPercent::Percent(p) => {
                let exact = p * f64::from(desired) / 100.0;
                let whole = match rounding {
                    Rounding::Up => (exact - 1e-9).ceil(),
                    Rounding::Down => (exact + 1e-9).floor(),
                };
                // Saturating: a percentage is checked to be at most a few hundred.
                whole.clamp(0.0, f64::from(u32::MAX)) as u32
            }
        }
    }
}

impl Default for CountOrPercent {
    fn default() -> Self {
        CountOrPercent::Count(0)
    }
}

impl fmt::Display for CountOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CountOrPercent::Count(n) => write!(f, "{n}"),
            CountOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl Serialize for CountOrPercent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            CountOrPercent::Count(n) => serializer.serialize_u32(*n),
            CountOrPercent::Percent(_) => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for CountOrPercent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;

        const EXPECTED: &str = "a whole number of instances like 1 or a percentage like 25%";

        impl Visitor<'_> for CountVisitor {
            type Value = CountOrPercent;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(EXPECTED)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<CountOrPercent, E> {
                u32::try_from(v)
                    .map(CountOrPercent::Count)
                    .map_err(|_| E::custom(format_args!("`{v}` is too large; expected {EXPECTED}")))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<CountOrPercent, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format_args!(
                        "`{v}` is negative; expected {EXPECTED}"
                    ))),
                }
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<CountOrPercent, E> {
                let hint = if v > 0.0 && v < 1.0 {
                    format!(" (for a share of the instances write {}%)", v * 100.0)
                } else {
                    String::new()
                };
                Err(E::custom(format_args!("`{v}` is not {EXPECTED}{hint}")))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<CountOrPercent, E> {
                match percent(v) {
                    Some(p) => p.map(CountOrPercent::Percent).map_err(E::custom),
                    None => Err(E::custom(format_args!("`{}` is not {EXPECTED}", v.trim()))),
                }
            }
        }

        deserializer.deserialize_any(CountVisitor)
    }
}

impl JsonSchema for CountOrPercent {
    fn schema_name() -> Cow<'static, str> {
        "CountOrPercent".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number of instances like 1, or a percentage of the desired count \
                            like \"25%\".",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": PERCENT_PATTERN }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(yaml: &str) -> Result<Share, String> {
        serde_saphyr::from_str(yaml).map_err(|e| e.to_string())
    }

    fn count(yaml: &str) -> Result<CountOrPercent, String> {
        serde_saphyr::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn a_share_is_a_number_or_a_percentage() {
        assert_eq!(share("0.6").unwrap().value(), 0.6);
        assert_eq!(share("1").unwrap().value(), 1.0);
        assert_eq!(share("60%").unwrap(), Share::Percent(60.0));
        assert_eq!(share("60%").unwrap().value(), 0.6);
        assert_eq!(share("12.5 %").unwrap().value(), 0.125);
        assert!(share("60%").unwrap().is_percent());
        let e = share("sixty%").unwrap_err();
        assert!(e.contains("`sixty%` is not a percentage like 60%"), "{e}");
        let e = share("-5%").unwrap_err();
        assert!(e.contains("`-5%` is not a percentage"), "{e}");
        let e = share("high").unwrap_err();
        assert!(
            e.contains("`high` is not a number like 0.6 or a percentage"),
            "{e}"
        );
        assert!(share(".nan").is_err());
    }

    #[test]
    fn a_count_is_a_whole_number_or_a_percentage() {
        assert_eq!(count("2").unwrap(), CountOrPercent::Count(2));
        assert_eq!(count("25%").unwrap(), CountOrPercent::Percent(25.0));
        let e = count("0.25").unwrap_err();
        assert!(
            e.contains("(for a share of the instances write 25%)"),
            "{e}"
        );
        assert!(count("-1").unwrap_err().contains("`-1` is negative"));
    }

    #[test]
    fn percentages_of_instances_round_as_kubernetes_rounds_them() {
        let p = |x| CountOrPercent::Percent(x);
        // 25 % of 10 = 2.5: surge rounds up to 3, unavailable down to 2.
        assert_eq!(p(25.0).resolve(10, Rounding::Up), 3);
        assert_eq!(p(25.0).resolve(10, Rounding::Down), 2);
        // 30 % of 10 = 3 exactly (3.0000000000000004 in floating point): 3 both ways.
        assert_eq!(p(30.0).resolve(10, Rounding::Up), 3);
        assert_eq!(p(30.0).resolve(10, Rounding::Down), 3);
        // 25 % of 3 = 0.75: 1 up, 0 down.
        assert_eq!(p(25.0).resolve(3, Rounding::Up), 1);
        assert_eq!(p(25.0).resolve(3, Rounding::Down), 0);
        assert_eq!(CountOrPercent::Count(4).resolve(10, Rounding::Down), 4);
    }

    #[test]
    fn both_serialise_back_to_what_was_written() {
        for yaml in ["0.6", "60%"] {
            let s = share(yaml).unwrap();
            let back: Share = serde_json::from_value(serde_json::to_value(s).unwrap()).unwrap();
            assert_eq!(back, s);
        }
        for yaml in ["3", "25%"] {
            let c = count(yaml).unwrap();
            let back: CountOrPercent =
                serde_json::from_value(serde_json::to_value(c).unwrap()).unwrap();
            assert_eq!(back, c);
        }
        assert_eq!(serde_json::to_value(Share::Percent(60.0)).unwrap(), "60%");
    }
}
