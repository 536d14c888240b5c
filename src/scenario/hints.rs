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

/// What kind of error an indentation hint is sought for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The text is not YAML (the scanner or parser gave up at the line).
    Syntax,
    /// The line's key is not a field of the mapping it sits in.
    UnknownField,
    /// The line's value has the wrong type or form.
    Value,
}

/// A hint about indentation for an error reported at `line` (1-based): the line really at fault
/// (sometimes the next one) and what to do about it. YAML's own messages ("did not find expected
/// key", a value that swallowed the next line) rarely say that the cause is a tab or a field
/// indented one space too far or too little.
pub(crate) fn indentation(text: &str, line: u64, failure: Failure) -> Option<(u64, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let at = usize::try_from(line).ok()?.checked_sub(1)?;
    let content = |i: usize| {
        let l = lines.get(i)?;
        let body = l.trim_start_matches([' ', '\t']);
        (!body.is_empty() && !body.starts_with('#')).then(|| (l.len() - body.len(), body))
    };
    // A tab in the indentation, up to the line after the error.
    if let Some(i) = (0..lines.len().min(at + 2))
        .find(|&i| content(i).is_some_and(|(indent, _)| lines[i][..indent].contains('\t')))
    {
        let n = i + 1;
        return Some((
            n as u64,
            format!("line {n} is indented with a tab; YAML indents with spaces only"),
        ));
    }
    // The key a line sets (after any `- `), the column it starts at, and whether a value
    // follows on the same line.
    let key_of = |i: usize| -> Option<(usize, &str, bool)> {
        let (indent, body) = content(i)?;
        let (column, body) = match body.strip_prefix("- ") {
            Some(rest) => {
                let item = rest.trim_start();
                (indent + body.len() - item.len(), item)
            }
            None => (indent, body),
        };
        let (key, value) = body.split_once(':')?;
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let value = value.trim();
        let inline = !value.is_empty() && !value.starts_with('#');
        plain.then_some((column, key, inline))
    };
    let previous = |i: usize| (0..i).rev().find(|&j| content(j).is_some());
    let spaces = |n: usize| {
        if n == 1 {
            "1 space".to_owned()
        } else {
            format!("{n} spaces")
        }
    };
    let n = at + 1;
    match failure {
        // `count: 4` followed by a line indented deeper: YAML reads that line as more of the
        // value, and the error is reported on the value's line.
        Failure::Value => {
            let (column, key, true) = key_of(at)? else {
                return None;
            };
            let value = lines[at].split_once(':')?.1;
            if value.contains(['{', '[', '|', '>', '"', '\'']) {
                return None;
            }
            let next = (at + 1..lines.len()).find(|&j| content(j).is_some())?;
            let (indent, _) = content(next)?;
            (indent > column).then(|| {
                (
                    next as u64 + 1,
                    format!(
                        "line {} is indented deeper than `{key}` on line {n}, so YAML reads it \
                         as more of `{key}`'s value: indent it {}, like `{key}`",
                        next + 1,
                        spaces(column)
                    ),
                )
            })
        }
        // A key at the top of a section that belongs to the section above it: `workers` after
        // `instances:`'s fields but written at column 0.
        Failure::UnknownField => {
            let (column, key, _) = key_of(at)?;
            let p = previous(at)?;
            let (p_column, p_key, _) = key_of(p)?;
            if p_column <= column {
                return None;
            }
            let parent = (0..p)
                .rev()
                .find(|&j| key_of(j).is_some_and(|(c, _, _)| c < p_column))?;
            let (_, parent_key, _) = key_of(parent)?;
            Some((
                n as u64,
                format!(
                    "if `{key}` belongs in `{parent_key}` (line {}), indent it {}, like \
                     `{p_key}` on line {}",
                    parent + 1,
                    spaces(p_column),
                    p + 1
                ),
            ))
        }
        // The line sits at a column that nothing around it uses.
        Failure::Syntax => {
            let (indent, body) = content(at)?;
            let item = body.starts_with("- ");
            // Columns of keys above (or of dashes, for a list item), nearest line first.
            let columns = (0..at).rev().filter_map(|j| {
                let (j_indent, j_body) = content(j)?;
                if item {
                    j_body
                        .starts_with("- ")
                        .then_some((j, j_indent, "the list item"))
                } else {
                    key_of(j).map(|(c, k, _)| (j, c, k))
                }
            });
            let (j, near, what) = columns
                .take(8)
                .filter(|&(_, c, _)| c != indent && c.abs_diff(indent) <= 2)
                .min_by_key(|&(_, c, _)| c.abs_diff(indent))?;
            let what = if item {
                what.to_owned()
            } else {
                format!("`{what}`")
            };
            let direction = if indent > near { "more" } else { "less" };
            Some((
                n as u64,
                format!(
                    "line {n} is indented {} {direction} than {what} on line {}: to line up \
                     with it, indent it {}",
                    spaces(indent.abs_diff(near)),
                    j + 1,
                    spaces(near)
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(text: &str, line: u64, failure: Failure) -> Option<(u64, String)> {
        indentation(text, line, failure)
    }

    #[test]
    fn a_tab_is_found_on_the_error_line_or_the_next() {
        let text = "a:\n  b: 1\n\tc: 2\n";
        assert_eq!(
            hint(text, 2, Failure::Syntax),
            Some((
                3,
                "line 3 is indented with a tab; YAML indents with spaces only".into()
            ))
        );
        // A tab after the text, or on a blank line, is not indentation.
        assert_eq!(hint("a:\n  b: 1\t\n\t\n  c: 2\n", 3, Failure::Syntax), None);
    }

    #[test]
    fn a_value_that_swallowed_the_next_line_blames_the_next_line() {
        let text = "a:\n  b: 1\n   c: 2\n";
        assert_eq!(hint(text, 2, Failure::Value).map(|h| h.0), Some(3));
        // A flow mapping continued on the next line is not an indentation slip.
        assert_eq!(
            hint("a:\n  b: { x: 1,\n    y: 2 }\n", 2, Failure::Value),
            None
        );
        // Nor is a value followed by a line at the same column.
        assert_eq!(hint("a:\n  b: 1\n  c: x\n", 2, Failure::Value), None);
    }

    #[test]
    fn a_line_off_by_more_than_two_columns_gets_no_guess() {
        assert_eq!(
            hint("a:\n        b: 1\n    c: 2\n", 3, Failure::Syntax),
            None
        );
        assert_eq!(
            hint("a:\n  b: 1\n c: 2\n", 3, Failure::Syntax).map(|h| h.1),
            Some(
                "line 3 is indented 1 space less than `b` on line 2: to line up with it, indent \
                 it 2 spaces"
                    .into()
            )
        );
    }

    #[test]
    fn an_unknown_key_below_a_deeper_line_is_pointed_into_its_section() {
        let text = "a:\n  b:\n    c: 1\n  d: 2\n";
        assert_eq!(
            hint(text, 4, Failure::UnknownField).map(|h| h.1),
            Some("if `d` belongs in `b` (line 2), indent it 4 spaces, like `c` on line 3".into())
        );
        // Beside a sibling at the same depth there is nothing to say.
        assert_eq!(hint("a:\n  b: 1\n  d: 2\n", 3, Failure::UnknownField), None);
    }

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
