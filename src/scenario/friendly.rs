//! serde-saphyr's messages in the words of a scenario's author: `expected a whole number ≥ 0`
//! rather than `expected u32`.
//!
//! Used when parsing a scenario file and when reading `--set` values, so both say the same thing
//! about the same mistake. It depends on neither, so the two can depend on it.

use std::borrow::Cow;

use serde_saphyr::{MessageFormatter, UserMessageFormatter};

/// serde-saphyr's user-facing wording, with Rust type names (`u32`, `f64`) put in words.
pub(super) struct Friendly;

fn friendly_type(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number ≥ 0",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" | "floating point" => "a number",
        "bool" | "boolean" => "true or false",
        "string" | "a string" => "text",
        _ => return None,
    })
}

impl MessageFormatter for Friendly {
    fn format_message<'a>(&self, err: &'a serde_saphyr::Error) -> Cow<'a, str> {
        match err {
            serde_saphyr::Error::InvalidScalar { ty, .. } => match friendly_type(ty) {
                Some(words) => Cow::Owned(format!("expected {words}")),
                None => UserMessageFormatter.format_message(err),
            },
            serde_saphyr::Error::SerdeInvalidType {
                unexpected,
                expected,
                ..
            } => Cow::Owned(format!(
                "expected {}, got {unexpected}",
                friendly_type(expected).unwrap_or(expected)
            )),
            _ => UserMessageFormatter.format_message(err),
        }
    }
}
