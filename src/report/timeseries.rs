//! `timeseries.csv`: one row per report window, for charts and spreadsheets.
//!
//! Floats have a fixed precision (milliseconds and utilisations to three decimals) so that two runs
//! with the same seed produce byte-identical files, and diffs show real changes only.
//!
//! Columns are a public interface: new ones are appended, never inserted or renamed, so scripts
//! that read columns by position keep working.

use crate::metrics::{Report, WindowRow};

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

/// A header row, then one row per entry of `report.timeseries`.
pub(crate) fn timeseries_csv(report: &Report) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(COLUMNS)
        .expect("writing CSV to memory cannot fail");
    for row in &report.timeseries {
        out.write_record(fields(row))
            .expect("writing CSV to memory cannot fail");
    }
    out.into_inner()
        .expect("flushing CSV to memory cannot fail")
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
}
