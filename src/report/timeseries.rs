//! `timeseries.csv`: one row per report window, for charts and spreadsheets.
//!
//! Floats have a fixed precision (milliseconds and utilisation to three decimals) so that two runs
//! with the same seed produce byte-identical files, and diffs show real changes only.

use crate::metrics::{Report, WindowRow};

/// Column names, in order.
pub(crate) const COLUMNS: [&str; 10] = [
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

/// A header row, then one row per entry of `report.timeseries`.
pub fn timeseries_csv(report: &Report) -> Vec<u8> {
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

fn fields(row: &WindowRow) -> [String; 10] {
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
                 sessions_lost_total"
            )
        );
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
