//! User values repeated in error messages, made safe to print.
//!
//! A message quotes what was typed so the reader can find it, but a value can hold a newline
//! (which would break the message into lines that look like other messages), a terminal escape
//! sequence (which would repaint the screen), or 100 kB of text (which would bury the message).
//! [`echo`] escapes control characters the way Rust string literals write them (`\n`, `\t`,
//! `\u{1b}`) and keeps the first [`MAX_ECHO`] characters of a long value, saying how long it was.

use std::fmt::Write;

/// Characters of a value shown in a message; longer values are cut here.
pub(crate) const MAX_ECHO: usize = 80;

/// `value` for a message: control characters (and the invisible characters that reorder text)
/// escaped, and at most [`MAX_ECHO`] characters of it followed by `… (N characters)`.
pub(crate) fn echo(value: &str) -> String {
    let mut out = String::new();
    for (shown, c) in value.chars().enumerate() {
        if shown == MAX_ECHO {
            let _ = write!(out, "… ({} characters)", value.chars().count());
            return out;
        }
        escape_into(&mut out, c);
    }
    out
}

/// A whole message that quotes values (a serde message like ``unknown variant `x` ``): control
/// characters escaped everywhere, and each quoted span (between backticks or double quotes)
/// longer than [`MAX_ECHO`] shortened as [`echo`] does.
pub(crate) fn echo_quoted(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest[open..].chars().next().expect("found above");
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote) else {
            break;
        };
        out.push_str(&echo_all(&rest[..open]));
        out.push(quote);
        out.push_str(&echo(&after[..close]));
        out.push(quote);
        rest = &after[close + 1..];
    }
    out.push_str(&echo_all(rest));
    out
}

/// `text` with control characters escaped, whatever its length.
fn echo_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        escape_into(&mut out, c);
    }
    out
}

fn escape_into(out: &mut String, c: char) {
    // U+200E/F and U+202A–U+202E, U+2066–U+2069 reorder the text around them on screen.
    let reorders =
        matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if c.is_control() || reorders {
        out.extend(c.escape_default());
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_are_shown_as_they_are() {
        assert_eq!(echo("sessions.store=redis"), "sessions.store=redis");
        assert_eq!(echo("é {a: 1} \\n"), "é {a: 1} \\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(echo("a\nb\tc\r\u{1b}[2J"), "a\\nb\\tc\\r\\u{1b}[2J");
        assert_eq!(echo("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn long_values_are_cut_and_their_length_given() {
        let long = "a".repeat(100_000);
        // 80 characters kept, then the note.
        assert_eq!(
            echo(&long),
            format!("{}… (100000 characters)", "a".repeat(80))
        );
        assert_eq!(echo(&"b".repeat(80)), "b".repeat(80));
        // Characters, not bytes: 81 two-byte characters are cut after 80.
        assert_eq!(
            echo(&"é".repeat(81)),
            format!("{}… (81 characters)", "é".repeat(80))
        );
    }

    #[test]
    fn quoted_spans_of_a_message_are_shortened_and_the_rest_kept() {
        let long = "x".repeat(200);
        let message = format!("unknown variant `{long}`, expected one of `redis`, `jwt`");
        assert_eq!(
            echo_quoted(&message),
            format!(
                "unknown variant `{}… (200 characters)`, expected one of `redis`, `jwt`",
                "x".repeat(80)
            )
        );
        assert_eq!(
            echo_quoted("invalid type: string \"a\nb\", expected u32\n"),
            "invalid type: string \"a\\nb\", expected u32\\n"
        );
        assert_eq!(echo_quoted("an `unclosed\nquote"), "an `unclosed\\nquote");
    }
}
