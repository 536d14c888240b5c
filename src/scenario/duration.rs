//! Human-written durations (`250us`, `20ms`, `1.5s`, `5m`, `1h`) in YAML and on the command line.
//!
//! Scenario files are read by people, so time is written with a unit; a bare number would be
//! ambiguous (seconds? milliseconds?) and is refused, except `0`, which means the same in every
//! unit. The value is parsed exactly (decimal arithmetic, no floating point) into integer
//! nanoseconds, and serialises back to a string that parses to the same value, which `--set`
//! relies on when it round-trips a scenario through JSON.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::engine::{SimDuration, NANOS_PER_SEC};

/// What every duration error says is expected.
pub(crate) const EXPECTED_DURATION: &str =
    "a duration like 250us, 20ms, 1.5s, 5m or 1h (units: ns, us, ms, s, m, h)";

/// Units in the order they are tried: longer suffixes first, so `ms` is not read as `m` + `s`.
const UNITS: [(&str, u64); 7] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", NANOS_PER_SEC),
    ("m", 60 * NANOS_PER_SEC),
    ("h", 3_600 * NANOS_PER_SEC),
];

/// Parses `text` as a duration. The error is a short sentence for the user; it starts with the
/// offending text in backticks, which lets the parser find the field inside a `dist:` map.
pub(crate) fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(SimDuration::ZERO);
    }
    if let Some(rest) = text.strip_prefix('-') {
        if parse_duration(rest).is_ok() {
            return Err(format!("`{text}` is negative; durations are ≥ 0"));
        }
    }
    let unit_start = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(unit_start);
    let unit = unit.trim_start();
    if number.is_empty() {
        return Err(format!("`{text}` is not {EXPECTED_DURATION}"));
    }
    if unit.is_empty() {
        return Err(format!(
            "`{text}` has no unit; write e.g. `{number}s` or `{number}ms`"
        ));
    }
    let Some(&(_, unit_ns)) = UNITS.iter().find(|(name, _)| *name == unit) else {
        return Err(format!(
            "`{text}` has an unknown unit `{unit}`; expected {EXPECTED_DURATION}"
        ));
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.contains('.')
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(format!("`{text}` is not {EXPECTED_DURATION}"));
    }
    // Exact decimal arithmetic: `digits` × unit / 10^len(fraction), in u128 so that only the
    // final value can overflow.
    let too_long = || format!("`{text}` is too long (the limit is about 584 years)");
    let digits: u128 = format!("{whole}{fraction}")
        .parse()
        .map_err(|_| too_long())?;
    let scale = 10u128
        .checked_pow(u32::try_from(fraction.len()).map_err(|_| too_long())?)
        .ok_or_else(too_long)?;
    let scaled = digits
        .checked_mul(u128::from(unit_ns))
        .ok_or_else(too_long)?;
    if scaled % scale != 0 {
        return Err(format!("`{text}` is not a whole number of nanoseconds"));
    }
    u64::try_from(scaled / scale)
        .map(SimDuration)
        .map_err(|_| too_long())
}

/// A duration as written in a scenario: deserialises from a string with a unit (or `0`), and
/// serialises to the canonical string of [`SimDuration`]'s `Display`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct HumanDuration(pub(crate) SimDuration);

impl HumanDuration {
    pub(crate) const fn new(d: SimDuration) -> Self {
        HumanDuration(d)
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl Visitor<'_> for DurationVisitor {
            type Value = HumanDuration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(EXPECTED_DURATION)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<HumanDuration, E> {
                parse_duration(v).map(HumanDuration).map_err(E::custom)
            }

            // YAML reads `0` and `30` as numbers, not strings: accept the one unambiguous number
            // and say what to write for the others.
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<HumanDuration, E> {
                match v {
                    0 => Ok(HumanDuration(SimDuration::ZERO)),
                    _ => Err(E::custom(format!(
                        "`{v}` has no unit; write e.g. `{v}s` or `{v}ms`"
                    ))),
                }
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<HumanDuration, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format!("`{v}` is negative; durations are ≥ 0"))),
                }
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<HumanDuration, E> {
                if v == 0.0 {
                    Ok(HumanDuration(SimDuration::ZERO))
                } else {
                    Err(E::custom(format!(
                        "`{v}` has no unit; write e.g. `{v}s` or `{v}ms`"
                    )))
                }
            }
        }

        deserializer.deserialize_any(DurationVisitor)
    }
}

/// A JSON Schema for what [`parse_duration`] accepts: a decimal number with a unit, or `0`.
pub(crate) const DURATION_PATTERN: &str =
    r"^\s*(0|([0-9]+\.?[0-9]*|\.[0-9]+)\s*(ns|us|µs|ms|s|m|h))\s*$";

impl JsonSchema for HumanDuration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration with a unit, like 250us, 20ms, 1.5s, 5m or 1h (units: ns, \
                            us, ms, s, m, h); 0 needs no unit.",
            "anyOf": [
                { "type": "string", "pattern": DURATION_PATTERN },
                { "const": 0 }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> u64 {
        match parse_duration(text) {
            Ok(d) => d.as_nanos(),
            Err(e) => panic!("{text}: {e}"),
        }
    }

    fn err(text: &str) -> String {
        match parse_duration(text) {
            Ok(d) => panic!("{text} parsed as {d:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn every_unit_scales_to_nanoseconds() {
        assert_eq!(ok("7ns"), 7);
        assert_eq!(ok("250us"), 250_000);
        assert_eq!(ok("250µs"), 250_000);
        assert_eq!(ok("20ms"), 20_000_000);
        assert_eq!(ok("30s"), 30_000_000_000);
        assert_eq!(ok("5m"), 300_000_000_000);
        assert_eq!(ok("1h"), 3_600_000_000_000);
    }

    #[test]
    fn fractions_are_exact_and_zero_needs_no_unit() {
        assert_eq!(ok("1.5s"), 1_500_000_000);
        assert_eq!(ok("0.1ms"), 100_000);
        assert_eq!(ok(".5s"), 500_000_000);
        assert_eq!(ok("2.s"), 2_000_000_000);
        assert_eq!(ok("0"), 0);
        assert_eq!(ok("0s"), 0);
        assert_eq!(ok(" 20 ms "), 20_000_000);
    }

    #[test]
    fn bad_durations_say_what_is_expected() {
        assert!(err("30").contains("no unit"), "{}", err("30"));
        assert!(err("30 sec").contains("unknown unit `sec`"));
        assert!(err("-5s").contains("negative"));
        assert!(err("fast").contains("like 250us"));
        assert!(err("").contains("like 250us"));
        assert!(err("s").contains("like 250us"));
        assert!(err("1.2.3s").contains("like 250us"));
        assert!(err("1.5ns").contains("whole number of nanoseconds"));
        assert!(err("10000000h").contains("too long"));
        assert!(err("99999999999999999999999999999999999999999s").contains("too long"));
    }

    #[test]
    fn display_round_trips_through_the_parser() {
        for ns in [
            0,
            1,
            999,
            1_000,
            1_500_000,
            20_000_000,
            90_000_000_000,
            3_600_000_000_000,
        ] {
            let d = SimDuration(ns);
            assert_eq!(parse_duration(&d.to_string()), Ok(d), "{d}");
        }
    }

    #[test]
    fn deserialises_strings_and_a_bare_zero_from_yaml() {
        let d: HumanDuration = serde_saphyr::from_str("1.5s").unwrap();
        assert_eq!(d.0, SimDuration::from_millis(1500));
        let d: HumanDuration = serde_saphyr::from_str("0").unwrap();
        assert_eq!(d.0, SimDuration::ZERO);
        let e = serde_saphyr::from_str::<HumanDuration>("30").unwrap_err();
        assert!(e.to_string().contains("has no unit"), "{e}");
    }

    #[test]
    fn serialises_to_a_string_that_parses_back() {
        let d = HumanDuration(SimDuration::from_micros(250));
        let json = serde_json::to_value(d).unwrap();
        assert_eq!(json, serde_json::json!("250us"));
        let back: HumanDuration = serde_json::from_value(json).unwrap();
        assert_eq!(back, d);
    }
}
