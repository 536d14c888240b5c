//! "Did you mean …?" for misspelt keys, values and scenario names.
//!
//! serde already lists what it expected ("unknown field `wrkers`, expected one of count,
//! workers, …"); picking the closest candidate turns that list into a one-word fix. The list is
//! read from the message text so the same code serves YAML (serde-saphyr) and `--set` (JSON)
//! errors, which word it slightly differently.

/// Edit distance (insertions, deletions, substitutions), case-insensitive.
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    // One row of the dynamic-programming table at a time.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The candidate closest to `given`, if it is close enough to be a plausible typo (or `given`
/// is an abbreviation of it, like `expo` for `exponential`). Ties go to a candidate that starts
/// like `given` (`rat` → `rate`, not `at`).
pub(crate) fn closest<'a, I>(given: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let length = given.chars().count();
    // Short words are one edit away from many others: only allow one edit there.
    let limit = if length <= 4 { 1 } else { (length / 3).max(2) };
    let lower = given.to_lowercase();
    candidates
        .into_iter()
        .filter_map(|c| {
            let d = levenshtein(given, c);
            let c_lower = c.to_lowercase();
            let abbreviation = lower.len() >= 3 && c_lower.starts_with(&lower);
            let same_start = c_lower.chars().next() == lower.chars().next();
            (d <= limit || abbreviation).then_some(((d, !abbreviation, !same_start), c))
        })
        .min_by_key(|&(rank, _)| rank)
        .map(|(_, c)| c)
}

/// What an "unknown field/variant" message was about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unknown {
    /// `field` or `variant`.
    pub(crate) kind: &'static str,
    /// What was written.
    pub(crate) given: String,
    /// What would have been accepted.
    pub(crate) expected: Vec<String>,
}

/// Reads "unknown field `x`, expected one of a, b" (serde-saphyr), "... one of `a`, `b`",
/// "... expected `a` or `b`" (serde) and "... there are no fields".
pub(crate) fn parse_unknown(message: &str) -> Option<Unknown> {
    let (kind, rest) = ["field", "variant"].iter().find_map(|kind| {
        let marker = format!("unknown {kind} `");
        message
            .find(&marker)
            .map(|i| (*kind, &message[i + marker.len()..]))
    })?;
    let end = rest.find('`')?;
    let given = rest[..end].to_owned();
    let after = &rest[end + 1..];
    let expected = match after.find("expected ") {
        Some(i) => {
            let list = after[i + "expected ".len()..].lines().next().unwrap_or("");
            let list = list.strip_prefix("one of ").unwrap_or(list);
            // serde-saphyr may append " at line L, column C" when rendered without a snippet.
            let list = list.split(" at line ").next().unwrap_or(list);
            list.split(", ")
                .flat_map(|s| s.split(" or "))
                .map(|s| s.trim().trim_matches('`').to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        }
        None => Vec::new(),
    };
    Some(Unknown {
        kind,
        given,
        expected,
    })
}

impl Unknown {
    /// The expected name closest to what was written.
    pub(crate) fn suggestion(&self) -> Option<&str> {
        closest(&self.given, self.expected.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_counts_single_edits() {
        assert_eq!(levenshtein("", ""), 0);
        assert_eq!(levenshtein("abc", ""), 3);
        assert_eq!(levenshtein("wrkers", "workers"), 1);
        assert_eq!(levenshtein("servce_time", "service_time"), 1);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("Workers", "workers"), 0);
    }

    #[test]
    fn suggests_close_names_and_abbreviations_only() {
        let fields = ["count", "workers", "queue", "service_time"];
        assert_eq!(closest("wrkers", fields), Some("workers"));
        assert_eq!(closest("service-time", fields), Some("service_time"));
        assert_eq!(closest("serviceTime", fields), Some("service_time"));
        assert_eq!(closest("colour", fields), None);
        assert_eq!(closest("rat", ["at", "rate", "ramp"]), Some("rate"));
        assert_eq!(closest("base", ["name", "seed", "events"]), None);
        assert_eq!(closest("sed", ["name", "seed", "events"]), Some("seed"));
        let dists = ["exponential", "constant", "uniform", "lognormal"];
        assert_eq!(closest("expo", dists), Some("exponential"));
        assert_eq!(closest("log-normal", dists), Some("lognormal"));
        assert_eq!(closest("xyz", dists), None);
    }

    #[test]
    fn reads_serde_saphyr_lists() {
        let u =
            parse_unknown("unknown field `wrkers`, expected one of count, workers, queue").unwrap();
        assert_eq!(u.kind, "field");
        assert_eq!(u.given, "wrkers");
        assert_eq!(u.expected, ["count", "workers", "queue"]);
        assert_eq!(u.suggestion(), Some("workers"));
    }

    #[test]
    fn reads_serde_json_lists() {
        let u =
            parse_unknown("unknown variant `reddis`, expected one of `in-memory`, `redis`, `jwt`")
                .unwrap();
        assert_eq!(u.kind, "variant");
        assert_eq!(u.suggestion(), Some("redis"));
        let u = parse_unknown("unknown field `x`, expected `count` or `pick`").unwrap();
        assert_eq!(u.expected, ["count", "pick"]);
        let u = parse_unknown("unknown field `x`, there are no fields").unwrap();
        assert!(u.expected.is_empty());
        assert_eq!(parse_unknown("missing field `name`"), None);
    }
}
