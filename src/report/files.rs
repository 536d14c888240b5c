//! A run's files: `<dir>/<scenario>/summary.json`, `timeseries.csv`, the dashboard
//! (`dashboard.svg`, `dashboard.png`) and `report.html`, the page that shows them all.
//!
//! The only place in `report/` that touches the disk, through [`crate::output`]: every file is
//! rendered in memory first, then the folder is written whole or not at all, so a failed or
//! interrupted run never leaves files that a script would take for a result, and an earlier run's
//! folder stays as it was until replaced whole.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Result};

use super::{dashboard_png, dashboard_svg, report_html, summary_json, timeseries_csv, Charts};
use crate::metrics::Report;
use crate::model::Load;
use crate::output;
use crate::scenario::Source;

/// Writes the folder `dir/<report.scenario>/` with [`run_files`] in it and returns that folder.
/// Every error names the path it concerns.
pub(crate) fn write_run(
    dir: &Path,
    report: &Report,
    source: &Source,
    load: Option<&Load>,
    charts: Charts,
) -> Result<PathBuf> {
    let folder = dir.join(folder_name(&report.scenario)?);
    output::write_folder(&folder, &run_files(report, source, load, charts)?)?;
    Ok(folder)
}

/// A run's files by name: `summary.json`, `timeseries.csv`, `dashboard.svg` and `dashboard.png`
/// (unless the charts are skipped) and `report.html` (which shows `source`, the scenario the run
/// was made from, and opens with `load`, what it asked of the fleet).
pub(crate) fn run_files(
    report: &Report,
    source: &Source,
    load: Option<&Load>,
    charts: Charts,
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let mut files = vec![
        ("summary.json", summary_json(report)),
        ("timeseries.csv", timeseries_csv(report)),
    ];
    if charts == Charts::Drawn {
        files.push(("dashboard.svg", dashboard_svg(report)?.into_bytes()));
        files.push(("dashboard.png", dashboard_png(report)?));
    }
    files.push((
        "report.html",
        report_html(report, source, load, charts)?.into_bytes(),
    ));
    Ok(files)
}

/// The scenario name as a single folder name: a name like `../x` or `a/b` must not write outside
/// `dir` or into a nested folder.
pub(crate) fn folder_name(scenario: &str) -> Result<&str> {
    let mut components = Path::new(scenario).components();
    match (components.next(), components.next()) {
        (Some(Component::Normal(_)), None) if !scenario.contains(['/', '\\']) => Ok(scenario),
        _ => bail!("the scenario name {scenario:?} cannot be used as a folder name"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::{contents, fail_moves_after};
    use crate::report::fixtures;
    use serde_json::Value;
    use std::fs;

    fn source() -> Source {
        Source {
            yaml: "name: crash-sticky\nseed: 7\n".to_owned(),
            overrides: vec!["sessions.store=in-memory".to_owned()],
        }
    }

    #[test]
    fn writes_summary_timeseries_dashboard_and_page_in_a_folder_named_after_the_scenario() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let report = fixtures::crash_sticky();

        let folder = write_run(dir.path(), &report, &source(), None, Charts::Drawn)
            .expect("write_run succeeds");

        assert_eq!(folder, dir.path().join("crash-sticky"));
        let mut names: Vec<String> = fs::read_dir(&folder)
            .expect("the folder exists")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into()
            })
            .collect();
        names.sort();
        // No leftover `.partial` files.
        assert_eq!(
            names,
            [
                "dashboard.png",
                "dashboard.svg",
                "report.html",
                "summary.json",
                "timeseries.csv"
            ]
        );

        let json: Value =
            serde_json::from_slice(&fs::read(folder.join("summary.json")).expect("readable"))
                .expect("valid JSON");
        assert_eq!(json["scenario"], "crash-sticky");
        assert_eq!(json["seed"], 7);
        assert_eq!(json["requests"]["sent"], 1_234_567);
        assert_eq!(json["sessions"]["lost"], 3_217);
        assert_eq!(json["fleet"]["crashed"], 1);

        let csv = fs::read(folder.join("timeseries.csv")).expect("readable");
        assert_eq!(csv, timeseries_csv(&report));

        let svg = fs::read(folder.join("dashboard.svg")).expect("readable");
        assert_eq!(svg, dashboard_svg(&report).expect("renders").into_bytes());
        let png = fs::read(folder.join("dashboard.png")).expect("readable");
        assert_eq!(png, dashboard_png(&report).expect("renders"));
        let html = fs::read(folder.join("report.html")).expect("readable");
        assert_eq!(
            html,
            report_html(&report, &source(), None, Charts::Drawn)
                .expect("renders")
                .into_bytes()
        );
    }

    #[test]
    fn a_second_run_replaces_the_first_runs_files() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut report = fixtures::crash_sticky();
        write_run(dir.path(), &report, &source(), None, Charts::Drawn).expect("first run");
        report.seed = 8;
        let folder =
            write_run(dir.path(), &report, &source(), None, Charts::Drawn).expect("second run");
        let json: Value =
            serde_json::from_slice(&fs::read(folder.join("summary.json")).expect("readable"))
                .expect("valid JSON");
        assert_eq!(json["seed"], 8);
    }

    #[test]
    fn a_run_that_fails_half_way_leaves_the_earlier_runs_folder_as_it_was() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut report = fixtures::crash_sticky();
        write_run(dir.path(), &report, &source(), None, Charts::Drawn).expect("first run");
        let before = contents(dir.path());

        // Two of the five files move into place, then a move fails.
        report.seed = 8;
        let failing = fail_moves_after(2);
        let error =
            write_run(dir.path(), &report, &source(), None, Charts::Drawn).expect_err("must fail");
        drop(failing);

        assert!(format!("{error:#}").contains("into place"), "{error:#}");
        assert_eq!(
            contents(dir.path()),
            before,
            "the first run's files byte for byte, and nothing hidden left"
        );
    }

    #[test]
    fn fails_with_the_path_when_the_folder_cannot_be_created() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let blocker = dir.path().join("not-a-dir");
        fs::write(&blocker, b"").expect("a plain file");

        let error = write_run(
            &blocker,
            &fixtures::crash_sticky(),
            &source(),
            None,
            Charts::Drawn,
        )
        .expect_err("must fail");

        let message = format!("{error:#}");
        assert!(message.contains("not-a-dir"), "{message}");
        assert!(message.contains("crash-sticky"), "{message}");
    }

    #[test]
    fn fails_when_the_scenario_name_would_escape_the_output_folder() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for name in ["../escape", "a/b", "..", ".", "", "/abs"] {
            let mut report = fixtures::crash_sticky();
            report.scenario = name.to_owned();
            let error =
                write_run(dir.path(), &report, &source(), None, Charts::Drawn).expect_err(name);
            assert!(format!("{error:#}").contains("folder name"), "{name}");
        }
        assert_eq!(fs::read_dir(dir.path()).expect("readable").count(), 0);
    }
}
