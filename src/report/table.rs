//! The terminal table of one run's summary (and the table style `compare` and `sweep` share).
//!
//! Output is plain text with Unicode box drawing and never any colour or escape code, so it reads
//! the same in a terminal, a pipe, a log file or a README. Content is never wrapped to the terminal
//! width (comfy-table's default arrangement), which keeps the output identical everywhere.

use comfy_table::{presets::UTF8_FULL, CellAlignment, Table};

use super::human::seconds;
use super::summary::{sections, timeline};
use crate::metrics::Report;

/// One run's summary: who it is (scenario, description, seed, simulated time) on top, then a
/// table with one block per section (requests, sessions, latency, fleet, balance, engine), then the
/// scenario's events, if it had any.
pub(crate) fn table(report: &Report) -> String {
    let mut out = format!(
        "{}: {}\nseed {} · {} simulated after {} warm-up · session store: {}\n\n",
        report.scenario,
        report.description,
        report.seed,
        seconds(report.simulated_seconds),
        seconds(report.warmup_seconds),
        report.session_store,
    );

    let mut grid = new_table();
    // A section is one row of multi-line cells, so separators fall between sections only.
    for section in sections(report) {
        let (metrics, values): (Vec<String>, Vec<String>) = section.rows.into_iter().unzip();
        grid.add_row(vec![
            section.title.to_owned(),
            metrics.join("\n"),
            values.join("\n"),
        ]);
    }
    align_right_from(&mut grid, 2);
    out.push_str(&grid.to_string());

    if let Some(timeline) = timeline(report) {
        let width = timeline
            .rows
            .iter()
            .map(|(when, _)| when.chars().count())
            .max()
            .unwrap_or(0);
        out.push_str(&format!("\n{}:", timeline.title));
        for (when, what) in &timeline.rows {
            out.push_str(&format!("\n  {when:>width$}  {what}"));
        }
    }
    out
}

pub(crate) fn new_table() -> Table {
    let mut table = Table::new();
    // Never probe the terminal: the output must not depend on where it is printed.
    table.force_no_tty().load_style(UTF8_FULL);
    table
}

/// Numbers line up on their last digit.
pub(crate) fn align_right_from(table: &mut Table, first_column: usize) {
    for column in table.column_iter_mut().skip(first_column) {
        column.set_cell_alignment(CellAlignment::Right);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    #[test]
    fn never_emits_escape_codes() {
        let text = table(&fixtures::crash_sticky());
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn table_snapshot() {
        insta::assert_snapshot!(table(&fixtures::crash_sticky()));
    }

    #[test]
    fn table_with_connections_snapshot() {
        insta::assert_snapshot!(table(&fixtures::crash_sticky_with_connections()));
    }

    #[test]
    fn table_of_connections_only_snapshot() {
        insta::assert_snapshot!(table(&fixtures::chat_only()));
    }
}
