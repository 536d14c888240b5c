//! Everything that turns a [`Report`] into bytes: the terminal table, Markdown, `summary.json`,
//! `timeseries.csv`, the dashboard and `report.html`.
//!
//! Every format is a pure function of the Report, so each is snapshot-tested without touching the
//! disk; [`write_run`] is the one function that writes files, a run's folder all or nothing.
//! Nothing here simulates.
//!
//! Two conventions keep callers simple:
//! - functions returning `String` ([`table()`], [`markdown()`]) end without a newline, ready for
//!   `println!`;
//! - functions returning bytes ([`summary_json`], [`timeseries_csv`], [`render`]) end with one,
//!   ready to be written to a file or to stdout as they are.
//!
//! Human formats round for reading ([`table()`] shows milliseconds to three significant digits);
//! machine formats keep full precision (JSON) or a fixed, documented precision (CSV).

mod charts;
pub(crate) mod draw;
mod files;
#[cfg(test)]
pub(crate) mod fixtures;
pub(crate) mod html;
pub(crate) mod human;
mod json;
mod load;
mod markdown;
pub(crate) mod summary;
mod table;
mod timeline;
mod timeseries;

pub(crate) use charts::{dashboard_png, dashboard_svg};
pub(crate) use files::{folder_name, run_files, write_run};
pub(crate) use html::report_html;
pub(crate) use json::summary_json;
pub(crate) use load::load_text;
pub(crate) use markdown::markdown;
pub(crate) use table::table;
pub(crate) use table::{align_right_from, new_table};
pub(crate) use timeline::describe;
pub(crate) use timeseries::timeseries_csv;

use crate::metrics::Report;

/// How `fleetsim run` prints a run's summary on stdout (`--format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// A table for people.
    #[default]
    Table,
    /// `summary.json`, for scripts.
    Json,
    /// A GitHub Markdown table, for pull requests and issues.
    Markdown,
}

/// `report` in `format`, ending with a newline.
/// Whether a run's charts are drawn: `--no-charts` skips them for batch use (the dashboard is
/// most of a run's rendering time and of its folder's size).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Charts {
    Drawn,
    Skipped,
}

impl Charts {
    /// From the `--no-charts` flag.
    pub(crate) fn unless(skipped: bool) -> Self {
        if skipped {
            Charts::Skipped
        } else {
            Charts::Drawn
        }
    }
}

pub(crate) fn render(report: &Report, format: Format) -> Vec<u8> {
    match format {
        Format::Table => with_newline(table(report)),
        Format::Json => summary_json(report),
        Format::Markdown => with_newline(markdown(report)),
    }
}

fn with_newline(text: String) -> Vec<u8> {
    let mut bytes = text.into_bytes();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_format_ends_with_exactly_one_newline() {
        let report = fixtures::crash_sticky();
        for &format in Format::value_variants() {
            let bytes = render(&report, format);
            assert!(bytes.ends_with(b"\n"), "{format:?}");
            assert!(!bytes.ends_with(b"\n\n"), "{format:?}");
        }
    }

    #[test]
    fn render_is_the_named_exporter_plus_a_newline() {
        let report = fixtures::crash_sticky();
        assert_eq!(
            render(&report, Format::Table),
            format!("{}\n", table(&report)).into_bytes()
        );
        assert_eq!(render(&report, Format::Json), summary_json(&report));
        assert_eq!(
            render(&report, Format::Markdown),
            format!("{}\n", markdown(&report)).into_bytes()
        );
    }

    #[test]
    fn formats_are_named_in_lower_case_on_the_command_line() {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value())
            .map(|v| v.get_name().to_owned())
            .collect();
        assert_eq!(names, ["table", "json", "markdown"]);
    }
}
