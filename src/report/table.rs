//! Terminal tables: one run's summary, and several runs side by side.
//!
//! Output is plain text with Unicode box drawing and never any colour or escape code, so it reads
//! the same in a terminal, a pipe, a log file or a README. Content is never wrapped to the terminal
//! width (comfy-table's default arrangement), which keeps the output identical everywhere.

use comfy_table::{presets::UTF8_FULL, CellAlignment, Table};

use super::human::{count, fixed, fraction, ms, seconds};
use super::summary::{lost_share, scale_actions, sections, success_rate, timeline, FAILURE_CAUSES};
use crate::metrics::Report;

/// One run's summary: who it is (scenario, description, seed, simulated time) on top, then a
/// table with one block per section (requests, sessions, latency, fleet, balance, engine), then the
/// scenario's events, if it had any.
pub fn table(report: &Report) -> String {
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

/// Several runs compared on their headline metrics: one column per labelled run.
///
/// Typically the same scenario under different session stores, so the reader sees at a glance
/// what a crash costs each. Rows come in blocks: identity, sessions, requests, latency, fleet.
pub fn side_by_side(runs: &[(String, Report)]) -> String {
    // (metric, its value in each run)
    let row = |metric: &str, value: &dyn Fn(&Report) -> String| -> (String, Vec<String>) {
        let values = runs.iter().map(|(_, report)| value(report)).collect();
        (metric.to_owned(), values)
    };
    let mut requests = vec![row("requests sent", &|r| count(r.requests.sent))];
    for (cause, failed) in FAILURE_CAUSES {
        let metric = format!("failed: {cause}");
        requests.push(row(&metric, &|r| count(failed(&r.requests.failed))));
    }
    requests.push(row("success rate", &success_rate));
    let blocks = [
        vec![
            row("scenario", &|r| r.scenario.clone()),
            row("session store", &|r| r.session_store.clone()),
        ],
        vec![
            row("sessions started", &|r| count(r.sessions.started)),
            row("sessions lost", &|r| count(r.sessions.lost)),
            row("sessions lost %", &lost_share),
        ],
        requests,
        vec![
            row("latency p50 (ms)", &|r| ms(r.latency_ms.p50)),
            row("latency p99 (ms)", &|r| ms(r.latency_ms.p99)),
            row("latency p99.9 (ms)", &|r| ms(r.latency_ms.p999)),
        ],
        vec![
            row("instance-seconds", &|r| fixed(r.fleet.instance_seconds, 1)),
            row("instances crashed", &|r| count(r.fleet.crashed)),
            row("scale actions (reversals)", &scale_actions),
            row("time under-provisioned", &|r| {
                fraction(r.fleet.elasticity.under_timeshare)
            }),
            row("time over-provisioned", &|r| {
                fraction(r.fleet.elasticity.over_timeshare)
            }),
            row("imbalance (max / mean)", &|r| fixed(r.balance.imbalance, 3)),
        ],
    ];

    let mut grid = new_table();
    let mut header = vec![String::new()];
    header.extend(runs.iter().map(|(label, _)| label.clone()));
    grid.set_header(header);
    // A block is one row of multi-line cells, so separators fall between blocks only.
    for block in &blocks {
        let metrics = block.iter().map(|(metric, _)| metric.as_str());
        let mut cells = vec![lines(metrics)];
        cells.extend((0..runs.len()).map(|run| lines(block.iter().map(|(_, v)| v[run].as_str()))));
        grid.add_row(cells);
    }
    align_right_from(&mut grid, 1);
    grid.to_string()
}

/// The lines of one multi-line cell.
fn lines<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    lines.collect::<Vec<_>>().join("\n")
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

    fn showcase() -> Vec<(String, Report)> {
        vec![
            ("in-memory + sticky".to_owned(), fixtures::crash_sticky()),
            ("redis".to_owned(), fixtures::crash_redis()),
            ("jwt".to_owned(), fixtures::crash_jwt()),
        ]
    }

    #[test]
    fn never_emits_escape_codes() {
        let text = table(&fixtures::crash_sticky()) + &side_by_side(&showcase());
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn side_by_side_has_one_column_per_run() {
        let text = side_by_side(&showcase());
        let header = text.lines().nth(1).expect("a header line");
        for label in ["in-memory + sticky", "redis", "jwt"] {
            assert!(header.contains(label), "{header}");
        }
    }

    #[test]
    fn side_by_side_of_nothing_is_an_empty_comparison_not_a_panic() {
        let text = side_by_side(&[]);
        assert!(text.contains("sessions lost"));
    }

    #[test]
    fn table_snapshot() {
        insta::assert_snapshot!(table(&fixtures::crash_sticky()));
    }

    #[test]
    fn side_by_side_snapshot() {
        insta::assert_snapshot!(side_by_side(&showcase()));
    }
}
