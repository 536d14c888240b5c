//! Number formatting for people: thousands separators for counts, three significant digits for
//! milliseconds, percentages that never round a failure away.
//!
//! Machine formats (JSON, CSV) do not use these: they print full-precision values for scripts.

/// Shown where a value is undefined (a rate over zero, a NaN percentile).
pub(crate) const NONE: &str = "–";

/// `1234567` → `1,234,567`.
pub(crate) fn count(n: u64) -> String {
    group_digits(&n.to_string())
}

/// A count and its noun: `(1, "seed", "seeds")` → `1 seed`, `(5, …)` → `5 seeds`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A float with `decimals` places and grouped thousands: `(1680.5, 1)` → `1,680.5`.
pub(crate) fn fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return NONE.to_owned();
    }
    let text = format!("{v:.decimals$}");
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let mut out = format!("{sign}{}", group_digits(int));
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// Milliseconds to three significant digits, so that columns of very different latencies stay
/// readable: `0.0523` → `0.052`, `4.271` → `4.27`, `17.98` → `18.0`, `4987.1` → `4,987`.
pub(crate) fn ms(v: f64) -> String {
    significant(v)
}

/// Three significant digits (whole numbers from 100 on), grouped: what [`ms`] and [`bytes`] show.
fn significant(v: f64) -> String {
    let magnitude = v.abs();
    let decimals = if magnitude == 0.0 || magnitude >= 100.0 {
        0
    } else if magnitude >= 10.0 {
        1
    } else if magnitude >= 1.0 {
        2
    } else {
        3
    };
    fixed(v, decimals)
}

/// A run's work in words, to its order of magnitude: `about 350 thousand events`, `about 3
/// million events`, `about 2.4e12 events`.
pub(crate) fn events(events: f64) -> String {
    if events.is_infinite() {
        return "an unbounded number of events (it may never end)".to_owned();
    }
    match events {
        e if e < 1e6 => format!("about {:.0} thousand events", (e / 1e3).max(1.0)),
        e if e < 1e9 => format!("about {:.0} million events", e / 1e6),
        e => format!("about {e:.1e} events"),
    }
}

/// Bytes in binary units to three significant digits: `977 KiB`, `1.29 MiB`, `4.00 GiB`.
pub(crate) fn bytes(bytes: f64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes.is_infinite() {
        return "unbounded memory".to_owned();
    }
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value >= 1024.0 {
        return format!("{bytes:.1e} bytes");
    }
    format!("{} {}", significant(value), UNITS[unit])
}

/// Seconds, whole when they are whole (`1080.0` → `1,080 s`), else to the millisecond with trailing
/// zeros dropped (`2.5` → `2.5 s`).
pub(crate) fn seconds(v: f64) -> String {
    if !v.is_finite() {
        return NONE.to_owned();
    }
    let text = if v.fract() == 0.0 {
        fixed(v, 0)
    } else {
        let text = fixed(v, 3);
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    format!("{text} s")
}

/// `part / whole` as a percentage with two decimals, or [`NONE`] when `whole` is zero.
///
/// Rounding never hides a difference: 1 failure in a million is `99.99 %` succeeded, not
/// `100.00 %`, and 1 lost session in a million is `0.01 %`, not `0.00 %`, because a reader
/// comparing runs asks "were there any?" before "how many?".
pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return NONE.to_owned();
    }
    shown_percent(part as f64 * 100.0 / whole as f64, part > 0, part < whole)
}

/// A fraction (`0.25`) as a percentage with two decimals (`25.00 %`), rounded like [`percent`]:
/// a non-zero fraction never shows as `0.00 %`, nor one below 1 as `100.00 %`. Fractions above 1
/// are shown as they are (`over_accuracy` can exceed 100 %).
pub(crate) fn fraction(v: f64) -> String {
    if !v.is_finite() {
        return NONE.to_owned();
    }
    shown_percent(v * 100.0, v > 0.0, v < 1.0)
}

fn shown_percent(pct: f64, some: bool, not_all: bool) -> String {
    let smallest = 0.01;
    let shown = if some && pct < smallest {
        smallest
    } else if not_all && pct > 100.0 - smallest && pct < 100.0 {
        100.0 - smallest
    } else {
        pct
    };
    format!("{shown:.2} %")
}

/// Inserts a comma every three digits from the right of a run of ASCII digits.
fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn fixed_groups_the_integer_part_only() {
        assert_eq!(fixed(1680.5, 1), "1,680.5");
        assert_eq!(fixed(-1234.5678, 2), "-1,234.57");
        assert_eq!(fixed(0.5, 0), "0"); // round half to even, as `format!` does
        assert_eq!(fixed(f64::NAN, 2), NONE);
    }

    #[test]
    fn milliseconds_keep_three_significant_digits() {
        assert_eq!(ms(0.0), "0");
        assert_eq!(ms(0.0523), "0.052");
        assert_eq!(ms(4.271), "4.27");
        assert_eq!(ms(17.98), "18.0");
        assert_eq!(ms(118.7), "119");
        assert_eq!(ms(4987.1), "4,987");
        assert_eq!(ms(f64::INFINITY), NONE);
    }

    #[test]
    fn seconds_drop_needless_decimals() {
        assert_eq!(seconds(1080.0), "1,080 s");
        assert_eq!(seconds(2.5), "2.5 s");
        assert_eq!(seconds(1.2344), "1.234 s");
    }

    #[test]
    fn percentages_never_round_a_difference_away() {
        assert_eq!(percent(1, 4), "25.00 %");
        assert_eq!(percent(0, 0), NONE);
        assert_eq!(percent(7, 7), "100.00 %");
        assert_eq!(percent(0, 7), "0.00 %");
        // 999,999 / 1,000,000 = 99.9999 % would print as 100.00 %.
        assert_eq!(percent(999_999, 1_000_000), "99.99 %");
        // 1 / 1,000,000 = 0.0001 % would print as 0.00 %.
        assert_eq!(percent(1, 1_000_000), "0.01 %");
    }

    #[test]
    fn fractions_read_as_percentages_that_never_round_a_difference_away() {
        assert_eq!(fraction(0.25), "25.00 %");
        assert_eq!(fraction(0.0), "0.00 %");
        assert_eq!(fraction(1.0), "100.00 %");
        assert_eq!(fraction(0.000_001), "0.01 %");
        assert_eq!(fraction(0.999_999), "99.99 %");
        // Over-provisioning can exceed the demand several times.
        assert_eq!(fraction(2.5), "250.00 %");
        assert_eq!(fraction(f64::NAN), NONE);
    }

    #[test]
    fn work_and_memory_read_at_a_glance() {
        assert_eq!(events(3.2e6), "about 3 million events");
        assert_eq!(events(350e3), "about 350 thousand events");
        assert_eq!(events(12.0), "about 1 thousand events");
        assert_eq!(events(5.4e12), "about 5.4e12 events");
        assert!(events(f64::INFINITY).contains("unbounded"));
        assert_eq!(bytes(1_000_000.0), "977 KiB");
        assert_eq!(bytes(1_350_000.0), "1.29 MiB");
        assert_eq!(bytes(4.0 * 1024.0 * 1024.0 * 1024.0), "4.00 GiB");
        assert_eq!(bytes(512.0), "512 B");
        // 3·10¹⁸ B = 3·10¹⁸ / 2⁶⁰ ≈ 2.60 EiB; a thousand times more has no unit left.
        assert_eq!(bytes(3e18), "2.60 EiB");
        assert_eq!(bytes(3e21), "3.0e21 bytes");
    }
}
