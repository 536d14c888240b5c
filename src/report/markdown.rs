//! The summary as a GitHub Markdown table, to paste into issues, pull requests and the README.
//!
//! Same rows as the terminal [`table`](super::table()), with section titles as bold rows.

use super::summary::{identity, sections, timeline};
use crate::metrics::Report;

/// A two-column `metric | value` table: the run's identity first, then one bold row per section,
/// then the scenario's events (if any) with their times.
pub(crate) fn markdown(report: &Report) -> String {
    let mut lines = vec!["| metric | value |".to_owned(), "| --- | --- |".to_owned()];
    for (metric, value) in identity(report) {
        lines.push(row(metric, &value));
    }
    for section in sections(report).into_iter().chain(timeline(report)) {
        lines.push(row(&format!("**{}**", section.title), ""));
        for (metric, value) in &section.rows {
            lines.push(row(metric, value));
        }
    }
    lines.join("\n")
}

fn row(metric: &str, value: &str) -> String {
    format!("| {} | {} |", cell(metric), cell(value))
}

/// Text safe inside a table cell: a `|` would end the cell, a newline the row, and Markdown trims
/// leading spaces, so the indentation of sub-rows becomes non-breaking spaces.
fn cell(text: &str) -> String {
    let trimmed = text.trim_start_matches(' ');
    let indent = "&nbsp;".repeat(text.len() - trimmed.len());
    let escaped = trimmed.replace('|', "\\|").replace(['\r', '\n'], " ");
    format!("{indent}{escaped}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn pipes_and_newlines_cannot_break_the_table() {
        let mut report = fixtures::crash_sticky();
        report.description = "a | b\nc".to_owned();
        let md = markdown(&report);
        assert!(md.contains("| description | a \\| b c |"), "{md}");
    }

    #[test]
    fn every_line_is_a_table_row() {
        let md = markdown(&fixtures::crash_sticky());
        assert!(md.lines().all(|l| l.starts_with("| ") && l.ends_with(" |")));
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(markdown(&fixtures::crash_sticky()));
    }

    #[test]
    fn with_connections_snapshot() {
        insta::assert_snapshot!(markdown(&fixtures::crash_sticky_with_connections()));
    }

    #[test]
    fn connections_and_messages_are_bold_sections_after_sessions() {
        let md = markdown(&fixtures::crash_sticky_with_connections());
        let at = |needle: &str| md.find(needle).unwrap_or_else(|| panic!("{needle}"));
        assert!(at("| **sessions** |") < at("| **connections** |"));
        assert!(at("| **connections** |") < at("| **messages** |"));
        assert!(at("| **messages** |") < at("| **latency (ms)** |"));
        assert!(md.contains("| &nbsp;&nbsp;by cause | crash 1,150 · max age 50 |"));
        assert!(md.contains("| delivered | 237,741 (99.06 %) |"));
    }
}
