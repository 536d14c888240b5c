//! `timeseries.csv`: one row per report window, for charts and spreadsheets.
//!
//! Floats have a fixed precision (milliseconds and utilisations to three decimals) so that two runs
//! with the same seed produce byte-identical files, and diffs show real changes only.
//!
//! Columns are a public interface: new ones are appended, never inserted or renamed, so scripts
//! that read columns by position keep working. A run with connections has
//! [`CONNECTION_COLUMNS`] after the others; a run without has none of them.

use super::charts::{run_end_s, windows};
use crate::metrics::{ConnWindowRow, Report, WindowRow};

/// Column names, in order.
pub(crate) const COLUMNS: [&str; 15] = [
    "t_s",
    "arrivals",
    "sent",
    "succeeded",
    "failed",
    "p50_ms",
    "p99_ms",
    "instances_ready",
    "utilization",
    "sessions_lost_total",
    "instances_desired",
    "instances_booting",
    "instances_draining",
    "store_utilization",
    "instances_demand",
];

/// Columns of runs with connections, after [`COLUMNS`]: open connections and the per-instance
/// extremes at the end of the window, the rest counted within it (reconnects as a rate, like the
/// dashboard's, over the window's width).
pub(crate) const CONNECTION_COLUMNS: [&str; 9] = [
    "connections_open",
    "connection_attempts",
    "reconnects_per_s",
    "connections_refused",
    "connections_dropped",
    "messages_delivered",
    "messages_undelivered",
    "connections_max_per_instance",
    "connections_min_per_instance",
];

/// Columns of runs with jobs, after the others: jobs waiting in queues at the end of the
/// window, and jobs completed and lost within it.
pub(crate) const JOB_COLUMNS: [&str; 3] = ["jobs_waiting", "jobs_completed", "jobs_lost"];

/// A header row, then one row per entry of `report.timeseries`, with the connection columns when
/// `report.connection_timeseries` has rows.
pub(crate) fn timeseries_csv(report: &Report) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let connections = !report.connection_timeseries.is_empty();
    let mut header = COLUMNS.to_vec();
    if connections {
        header.extend(CONNECTION_COLUMNS);
    }
    let jobs = !report.job_timeseries.is_empty();
    if jobs {
        header.extend(JOB_COLUMNS);
    }
    out.write_record(header)
        .expect("writing CSV to memory cannot fail");
    let widths = windows(&report.timeseries, run_end_s(report));
    for (i, row) in report.timeseries.iter().enumerate() {
        let mut record = fields(row).to_vec();
        if connections {
            // Rows are aligned; a missing one (it should not happen) reads as zeros.
            let conn = report
                .connection_timeseries
                .get(i)
                .cloned()
                .unwrap_or_default();
            let width = widths.get(i).map_or(0.0, |&(_, width)| width);
            record.extend(connection_fields(&conn, width));
        }
        if jobs {
            let row = report.job_timeseries.get(i).cloned().unwrap_or_default();
            record.extend([
                row.waiting.to_string(),
                row.completed.to_string(),
                row.lost.to_string(),
            ]);
        }
        out.write_record(record)
            .expect("writing CSV to memory cannot fail");
    }
    out.into_inner()
        .expect("flushing CSV to memory cannot fail")
}

/// A window's connection columns; `width` is the window's length in seconds.
fn connection_fields(row: &ConnWindowRow, width: f64) -> [String; 9] {
    // A window without a width has no rate: 0, as the window holds no time.
    let per_s = if width > 0.0 {
        row.reconnects as f64 / width
    } else {
        0.0
    };
    [
        row.open.to_string(),
        row.attempts.to_string(),
        format!("{per_s:.3}"),
        row.refused.to_string(),
        row.dropped.to_string(),
        row.delivered.to_string(),
        row.undelivered.to_string(),
        row.max_per_instance.to_string(),
        row.min_per_instance.to_string(),
    ]
}

fn fields(row: &WindowRow) -> [String; 15] {
    [
        // Window starts are multiples of the window length: shortest exact form (`600`, `612.5`).
        row.t_s.to_string(),
        row.arrivals.to_string(),
        row.sent.to_string(),
        row.succeeded.to_string(),
        row.failed.to_string(),
        format!("{:.3}", row.p50_ms),
        format!("{:.3}", row.p99_ms),
        row.instances_ready.to_string(),
        format!("{:.3}", row.utilization),
        row.sessions_lost_total.to_string(),
        row.instances_desired.to_string(),
        row.instances_booting.to_string(),
        row.instances_draining.to_string(),
        format!("{:.3}", row.store_utilization),
        row.instances_demand.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn text(report: &Report) -> String {
        String::from_utf8(timeseries_csv(report)).expect("UTF-8")
    }

    #[test]
    fn the_header_names_the_columns_in_order() {
        let csv = text(&fixtures::crash_sticky());
        assert_eq!(
            csv.lines().next(),
            Some(
                "t_s,arrivals,sent,succeeded,failed,p50_ms,p99_ms,instances_ready,utilization,\
                 sessions_lost_total,instances_desired,instances_booting,instances_draining,\
                 store_utilization,instances_demand"
            )
        );
    }

    #[test]
    fn new_columns_come_after_the_original_ten() {
        // The first ten columns, in the order scripts already read them by position.
        let original = [
            "t_s",
            "arrivals",
            "sent",
            "succeeded",
            "failed",
            "p50_ms",
            "p99_ms",
            "instances_ready",
            "utilization",
            "sessions_lost_total",
        ];
        assert_eq!(COLUMNS[..original.len()], original);
    }

    #[test]
    fn fleet_store_and_demand_columns_hold_the_rows_values() {
        let mut report = fixtures::crash_sticky();
        report.timeseries.truncate(1);
        let row = &mut report.timeseries[0];
        row.instances_desired = 5;
        row.instances_booting = 3;
        row.instances_draining = 1;
        row.store_utilization = 0.123_456;
        row.instances_demand = 4;
        let csv = text(&report);
        let last = csv.lines().nth(1).expect("one row");
        assert!(last.ends_with(",5,3,1,0.123,4"), "{last}");
    }

    #[test]
    fn one_row_per_window() {
        let report = fixtures::crash_sticky();
        assert_eq!(text(&report).lines().count(), 1 + report.timeseries.len());
    }

    #[test]
    fn an_empty_series_is_just_the_header() {
        let mut report = fixtures::crash_sticky();
        report.timeseries.clear();
        assert_eq!(text(&report).lines().count(), 1);
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(text(&fixtures::crash_sticky()));
    }

    #[test]
    fn runs_without_connections_have_no_connection_columns() {
        let csv = text(&fixtures::crash_sticky());
        assert!(!csv.contains("connections_open"));
        assert!(csv.lines().all(|l| l.split(',').count() == COLUMNS.len()));
    }

    #[test]
    fn connection_columns_follow_the_original_ones() {
        let csv = text(&fixtures::crash_sticky_with_connections());
        let header = csv.lines().next().expect("a header");
        assert!(
            header.ends_with(
                ",store_utilization,instances_demand,connections_open,connection_attempts,\
                 reconnects_per_s,connections_refused,connections_dropped,messages_delivered,\
                 messages_undelivered,connections_max_per_instance,connections_min_per_instance"
            ),
            "{header}"
        );
        assert!(csv
            .lines()
            .all(|l| l.split(',').count() == COLUMNS.len() + CONNECTION_COLUMNS.len()));
    }

    #[test]
    fn connection_columns_hold_the_windows_values_and_reconnects_per_second() {
        let csv = text(&fixtures::crash_sticky_with_connections());
        let rows: Vec<&str> = csv.lines().skip(1).collect();
        // The crash window runs from 600 s to 612.5 s: 990 reconnects / 12.5 s = 79.2/s.
        assert!(
            rows[1].ends_with(",2,1020,1020,79.200,95,1000,1900,1830,1020,0"),
            "{}",
            rows[1]
        );
        // The first window is 10 s wide: no reconnects.
        assert!(
            rows[0].ends_with(",2,2000,40,0.000,0,0,2200,0,1010,990"),
            "{}",
            rows[0]
        );
        // The last window ends with the run, at 1,200 s: 930 / 587.5 s.
        assert!(rows[2].contains(",1950,950,1.583,10,0,"), "{}", rows[2]);
    }
}
