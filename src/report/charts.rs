//! `dashboard.svg` and `dashboard.png`: a run as one picture, for the design review.
//!
//! ```text
//!  crash-sticky  seed 7 · in-memory sessions · 18 min measured after 2 min of warm-up    header
//!  One of four instances crashes; sticky in-memory sessions are logged out.
//!        ░warm-up░                ┆ crash instance 1                          event strip: labels
//!        ░░░░░░░░░                ┆ ┆ instance 1 marked down                  in lanes, no overlap
//!        Offered load and throughput          ── requests/s ── sessions/s    title and legend
//!   req/s│░░░░░░░░░│~~~~~~~~~~~~~~~┆┆~~~~~~~~~~~~~~~~~~~~│sessions/s         five panels, one
//!        └──────────────────────────────────────────────┘                    time axis: warm-up
//!         Latency · Instances · Utilization · Failures                       shaded, events dashed
//! ```
//!
//! One drawing function, generic over plotters' backend, renders both formats, so the SVG and the
//! PNG cannot disagree. Both are pure functions of the [`Report`] (bytes out, no files): the same
//! report gives the same bytes. Text is set in DejaVu Sans compiled into the binary, so charts
//! render on machines without fonts; colours are the Okabe–Ito palette, safe for colour-blind
//! readers. The header, the event strip and each panel's frame (warm-up shade, mesh, event lines)
//! are drawn by [`super::draw`], which the comparison and sweep charts use too.
//!
//! The report's rows are per window. Rates are counts divided by the window's width, taken from
//! consecutive window starts; the last window may be partial and ends with the run.

use std::borrow::Cow;
use std::ops::Range;

use anyhow::{Context, Result};
use plotters::chart::LabelAreaPosition;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::{
    ChartBuilder, DrawingArea, DrawingBackend, LineSeries, Polygon, Rectangle, Text,
};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, RGBColor, ShapeStyle, TextStyle};

use super::draw::{
    self, count_tick, fit, font, linear_top, number, number_tick, palette, text_width, EventStrip,
    Header, Scale, TimeAxis, YCoord, YLabels, AXIS_DESC_SIZE, LEGEND_SIZE, MARGIN, SUBHEADER_SIZE,
    TICK_SIZE, WIDTH,
};
use super::human::ms;
use super::summary::connections_only;
use super::timeline::describe;
use crate::metrics::{ConnWindowRow, Report, WindowRow};

/// Image height in pixels with the five request panels; the width is every chart's. A run with
/// connections has three panels more, each as high as these, and a taller image.
pub(crate) const HEIGHT: u32 = 1600;

const HEADER_HEIGHT: u32 = 84;
/// A panel's first row: title on the left, legend on the right.
const TITLE_HEIGHT: u32 = 34;
/// Left and right label areas are the same width on every panel, secondary axis or not, so every
/// panel (and the event strip) maps time to the same pixel columns.
const AXIS_WIDTH: u32 = 86;
const X_AXIS_HEIGHT: u32 = 52;
const PANEL_GAP: u32 = 8;

const TITLE_SIZE: f64 = 20.0;

/// The dashboard as an SVG document.
pub(crate) fn dashboard_svg(report: &Report) -> Result<String> {
    let plan = Plan::of(report)?;
    draw::svg((WIDTH, plan.layout.height), |root| {
        draw_dashboard(root, &plan).context("cannot draw the dashboard as SVG")
    })
}

/// The dashboard as a PNG file's bytes.
pub(crate) fn dashboard_png(report: &Report) -> Result<Vec<u8>> {
    let plan = Plan::of(report)?;
    draw::png((WIDTH, plan.layout.height), |root| {
        draw_dashboard(root, &plan).context("cannot draw the dashboard as PNG")
    })
}

// ----- what to draw --------------------------------------------------------------------------

/// Everything the drawing needs, computed from the report before any pixel is touched.
struct Plan {
    header: String,
    seed_line: String,
    description: String,
    axis: TimeAxis,
    /// The warm-up and the events, above the panels and as lines on them.
    strip: EventStrip,
    layout: Layout,
    panels: Vec<Panel>,
}

impl Plan {
    fn of(report: &Report) -> Result<Self> {
        draw::register_fonts()?;
        let axis = TimeAxis::of(report);
        let strip = EventStrip::new(
            axis,
            plot_columns(),
            report.timeline.iter().map(|e| (e.t_s, describe(&e.event))),
        )?;
        let panels = panels(report, &axis);
        Ok(Self {
            header: report.scenario.clone(),
            seed_line: if connections_only(report) {
                format!(
                    "seed {} · connections only · {}",
                    report.seed,
                    axis.span_text(report)
                )
            } else {
                format!(
                    "seed {} · {} sessions · {}",
                    report.seed,
                    report.session_store,
                    axis.span_text(report)
                )
            },
            description: fit(&report.description, &font(SUBHEADER_SIZE), content_width())?,
            layout: Layout::below_strip(strip.height(), panels.len() as u32),
            strip,
            panels,
            axis,
        })
    }
}

fn content_width() -> i32 {
    (WIDTH - 2 * MARGIN) as i32
}

/// Pixel rows of the parts of the image, top to bottom.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Layout {
    /// The image's height.
    pub(crate) height: u32,
    pub(crate) strip: Range<u32>,
    pub(crate) panels: Vec<Range<u32>>,
}

impl Layout {
    /// The strip, `strip_height` pixels under the header, and `count` panels under it. Panels are
    /// as high as five fill [`HEIGHT`]; more than five make the image taller.
    fn below_strip(strip_height: u32, count: u32) -> Self {
        let strip = HEADER_HEIGHT..HEADER_HEIGHT + strip_height;
        let base = PANEL_TITLES.len() as u32;
        let height = (HEIGHT - MARGIN - strip.end - PANEL_GAP * (base - 1)) / base;
        let panels = (0..count)
            .map(|i| {
                let top = strip.end + i * (height + PANEL_GAP);
                top..top + height
            })
            .collect();
        let extra = count.saturating_sub(base) * (height + PANEL_GAP);
        Self {
            height: HEIGHT + extra,
            strip,
            panels,
        }
    }
}

/// Where [`dashboard_png`] puts each panel, for tests that look at pixels.
#[cfg(test)]
pub(crate) fn layout(report: &Report) -> Result<Layout> {
    Ok(Plan::of(report)?.layout)
}

impl TimeAxis {
    fn of(report: &Report) -> Self {
        Self::new(run_end_s(report), report.warmup_seconds)
    }

    /// "18 min measured after 2 min of warm-up".
    fn span_text(&self, report: &Report) -> String {
        let unit = if self.minutes { "min" } else { "s" };
        format!(
            "{} {unit} measured after {} {unit} of warm-up",
            number(self.x(report.simulated_seconds)),
            number(self.x(report.warmup_seconds)),
        )
    }
}

/// End of the run in seconds: the measured span follows the warm-up. A report whose rows run past
/// that (it should not happen) stretches the axis rather than hiding them.
pub(super) fn run_end_s(report: &Report) -> f64 {
    let end = report.warmup_seconds + report.simulated_seconds;
    let last = report.timeseries.last().map_or(0.0, |r| r.t_s);
    if end.is_finite() && end > last {
        end
    } else {
        last
    }
}

/// `(start, width)` of each window in seconds. A window ends where the next starts; the last one
/// ends with the run. A width that comes out as zero or negative borrows the previous one.
pub(super) fn windows(rows: &[WindowRow], run_end_s: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let end = rows.get(i + 1).map_or(run_end_s, |next| next.t_s);
        let width = end - row.t_s;
        let width = if width > 0.0 {
            width
        } else {
            out.last().map_or(0.0, |&(_, w)| w)
        };
        out.push((row.t_s, width));
    }
    out
}

// ----- panels --------------------------------------------------------------------------------

const PANEL_TITLES: [&str; 5] = [
    "Offered load and throughput",
    "Latency of successful requests",
    "Instances",
    "Utilization",
    "Failures",
];

/// The panels of runs with connections: after the request panels, or in their place (beside
/// instances and utilization) when the run has no HTTP traffic.
const CONNECTION_PANEL_TITLES: [&str; 3] = [
    "Open connections",
    "Connections per instance in rotation",
    "Messages",
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Side {
    Left,
    Right,
}

struct Series {
    label: Cow<'static, str>,
    color: RGBColor,
    side: Side,
    /// Unbroken runs of points; a window without a value breaks the line.
    segments: Vec<Vec<(f64, f64)>>,
    /// Drawn dashed, over the solid lines, so that a line it coincides with shows between dashes.
    dashed: bool,
}

impl Series {
    fn new(
        label: impl Into<Cow<'static, str>>,
        color: RGBColor,
        side: Side,
        points: impl IntoIterator<Item = Option<(f64, f64)>>,
    ) -> Self {
        Self {
            label: label.into(),
            color,
            side,
            segments: draw::segments(points),
            dashed: false,
        }
    }

    fn dashed(self) -> Self {
        Self {
            dashed: true,
            ..self
        }
    }

    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.segments.iter().flatten().map(|&(_, y)| y)
    }

    fn style(&self) -> ShapeStyle {
        self.color.stroke_width(2)
    }
}

/// A shaded area between two lines, on the left axis: unbroken runs of `(x, low, high)`.
struct Band {
    label: &'static str,
    color: RGBColor,
    segments: Vec<Vec<(f64, f64, f64)>>,
}

impl Band {
    /// Light enough for the lines over it to stay legible.
    fn style(&self) -> ShapeStyle {
        self.color.mix(0.35).filled()
    }
}

struct Panel {
    title: &'static str,
    y_desc: &'static str,
    scale: Scale,
    /// The right axis, when some series use it.
    right: Option<RightAxis>,
    series: Vec<Series>,
    /// Said over the plot when every value is zero, so a flat line reads as good news rather
    /// than as a missing series.
    all_zero: Option<&'static str>,
    /// Shaded under the series.
    bands: Vec<Band>,
}

struct RightAxis {
    desc: &'static str,
    /// Whole numbers only: no ticks at fractions of a session.
    counts: bool,
}

impl Panel {
    fn has_data(&self) -> bool {
        self.series.iter().any(|s| !s.segments.is_empty())
    }

    fn all_zero(&self) -> bool {
        self.series
            .iter()
            .flat_map(Series::values)
            .all(|v| v == 0.0)
    }

    fn max(&self, side: Side) -> f64 {
        let bands = self
            .bands
            .iter()
            .filter(|_| side == Side::Left)
            .flat_map(|b| b.segments.iter().flatten().map(|&(_, _, high)| high));
        self.series
            .iter()
            .filter(|s| s.side == side)
            .flat_map(Series::values)
            .chain(bands)
            .fold(0.0, f64::max)
    }

    fn min_positive(&self) -> Option<f64> {
        self.series
            .iter()
            .flat_map(Series::values)
            .filter(|&v| v > 0.0)
            .min_by(f64::total_cmp)
    }
}

/// Rows as `(x in axis units at the window's middle, window)` with the window's width in seconds,
/// skipping windows without a width (a single-row report of a zero-length run).
fn per_window<'a>(
    rows: &'a [WindowRow],
    windows: &'a [(f64, f64)],
    axis: &'a TimeAxis,
) -> impl Iterator<Item = (f64, f64, &'a WindowRow)> + 'a {
    rows.iter()
        .zip(windows)
        .filter(|(_, &(_, width))| width > 0.0)
        .map(move |(row, &(start, width))| (axis.x(start + width / 2.0), width, row))
}

fn panels(report: &Report, axis: &TimeAxis) -> Vec<Panel> {
    let rows = &report.timeseries;
    let windows = windows(rows, run_end_s(report));
    let mid = || per_window(rows, &windows, axis);
    let rate = |f: fn(&WindowRow) -> u64| {
        mid()
            .map(move |(x, width, row)| Some((x, f(row) as f64 / width)))
            .collect::<Vec<_>>()
    };
    // A window with no successful request has no latency: a gap, not a zero.
    let latency = |f: fn(&WindowRow) -> f64| {
        mid()
            .map(move |(x, _, row)| (row.succeeded > 0 && f(row) > 0.0).then(|| (x, f(row))))
            .collect::<Vec<_>>()
    };
    // Counts are taken at the end of the window: a step held over the window, so that the drop
    // lines up with the failures that caused it.
    let step = |f: fn(&WindowRow) -> u32| {
        rows.iter()
            .zip(&windows)
            .filter(|(_, &(_, width))| width > 0.0)
            .flat_map(move |(row, &(start, width))| {
                let v = f64::from(f(row));
                [Some((axis.x(start), v)), Some((axis.x(start + width), v))]
            })
            .collect::<Vec<_>>()
    };
    // Booting instances stacked on the ready ones, as steps like the lines; no shade (a break)
    // where nothing boots.
    let mut booting: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new()];
    for (row, &(start, width)) in rows.iter().zip(&windows) {
        if width > 0.0 && row.instances_booting > 0 {
            let low = f64::from(row.instances_ready);
            let high = low + f64::from(row.instances_booting);
            let run = booting.last_mut().expect("never empty");
            run.push((axis.x(start), low, high));
            run.push((axis.x(start + width), low, high));
        } else if booting.last().is_some_and(|run| !run.is_empty()) {
            booting.push(Vec::new());
        }
    }
    booting.retain(|run| !run.is_empty());
    let lost = rows.iter().zip(&windows).map(|(row, &(start, width))| {
        Some((axis.x(start + width), row.sessions_lost_total as f64))
    });

    let load = Panel {
        title: PANEL_TITLES[0],
        y_desc: "requests/s",
        scale: Scale::Linear,
        right: Some(RightAxis {
            desc: "sessions/s",
            counts: false,
        }),
        all_zero: None,
        bands: Vec::new(),
        series: vec![
            Series::new(
                "requests succeeded/s",
                palette::BLUE,
                Side::Left,
                rate(|r| r.succeeded),
            ),
            Series::new(
                "sessions arriving/s (right axis)",
                palette::ORANGE,
                Side::Right,
                rate(|r| r.arrivals),
            ),
        ],
    };
    let mut latency = Panel {
        title: PANEL_TITLES[1],
        y_desc: "latency (ms)",
        scale: Scale::Linear,
        right: None,
        all_zero: None,
        bands: Vec::new(),
        series: vec![
            Series::new("p50", palette::BLUE, Side::Left, latency(|r| r.p50_ms)),
            Series::new(
                "p99",
                palette::VERMILLION,
                Side::Left,
                latency(|r| r.p99_ms),
            ),
        ],
    };
    // The objective across the whole run, so the reader sees which windows break it; part of the
    // panel's values, so the y range (and the choice of a log scale) makes room for it. Not drawn
    // over an empty panel, which says "no data" instead.
    if let Some(slo) = report.slo.as_ref().filter(|_| latency.has_data()) {
        latency.series.push(
            Series::new(
                format!("p99 objective {} ms", ms(slo.p99_ms)),
                palette::BLACK,
                Side::Left,
                [Some((0.0, slo.p99_ms)), Some((axis.end, slo.p99_ms))],
            )
            .dashed(),
        );
    }
    // A timeout-length spike would flatten everything else against the axis.
    if latency
        .min_positive()
        .is_some_and(|min| latency.max(Side::Left) / min > 100.0)
    {
        latency.scale = Scale::Log;
        latency.y_desc = "latency (ms, log scale)";
    }
    let instances = Panel {
        title: PANEL_TITLES[2],
        y_desc: "instances",
        scale: Scale::Count,
        right: None,
        all_zero: None,
        bands: vec![Band {
            label: "booting (shaded)",
            color: palette::ORANGE,
            segments: booting,
        }],
        series: vec![
            Series::new(
                "ready (routable)",
                palette::GREEN,
                Side::Left,
                step(|r| r.instances_ready),
            ),
            Series::new(
                "desired (dashed)",
                palette::BLUE,
                Side::Left,
                step(|r| r.instances_desired),
            )
            .dashed(),
        ],
    };
    let utilization = Panel {
        title: PANEL_TITLES[3],
        y_desc: "utilization (%)",
        scale: Scale::Percent,
        right: None,
        all_zero: None,
        bands: Vec::new(),
        series: vec![Series::new(
            "busy workers / all workers",
            palette::PURPLE,
            Side::Left,
            mid().map(|(x, _, row)| Some((x, row.utilization * 100.0))),
        )],
    };
    let failures = Panel {
        title: PANEL_TITLES[4],
        y_desc: "failed requests/s",
        scale: Scale::Linear,
        right: Some(RightAxis {
            desc: "sessions",
            counts: true,
        }),
        all_zero: Some("no failed requests, no lost sessions"),
        bands: Vec::new(),
        series: vec![
            Series::new(
                "failed requests/s",
                palette::VERMILLION,
                Side::Left,
                rate(|r| r.failed),
            ),
            Series::new(
                "lost sessions, cumulative (right axis)",
                palette::BLACK,
                Side::Right,
                lost,
            ),
        ],
    };
    let connections = connection_panels(report, &windows, axis);
    if connections.is_empty() {
        vec![load, latency, instances, utilization, failures]
    } else if connections_only(report) {
        // Nothing was requested: the request panels would be flat lines and "no data".
        connections
            .into_iter()
            .chain([instances, utilization])
            .collect()
    } else {
        [load, latency, instances, utilization, failures]
            .into_iter()
            .chain(connections)
            .collect()
    }
}

/// Open connections and reconnects, the most and least loaded instance, and messages delivered
/// and not; none without connection rows.
fn connection_panels(report: &Report, windows: &[(f64, f64)], axis: &TimeAxis) -> Vec<Panel> {
    let rows = &report.connection_timeseries;
    if rows.is_empty() {
        return Vec::new();
    }
    let with_width = || {
        rows.iter()
            .zip(windows)
            .filter(|(_, &(_, width))| width > 0.0)
    };
    let rate = |f: fn(&ConnWindowRow) -> u64| {
        with_width()
            .map(|(row, &(start, width))| {
                Some((axis.x(start + width / 2.0), f(row) as f64 / width))
            })
            .collect::<Vec<_>>()
    };
    // Levels at the end of the window, held over it as steps (like the instances).
    let step = |f: fn(&ConnWindowRow) -> u64| {
        with_width()
            .flat_map(|(row, &(start, width))| {
                let v = f(row) as f64;
                [Some((axis.x(start), v)), Some((axis.x(start + width), v))]
            })
            .collect::<Vec<_>>()
    };
    let open = Panel {
        title: CONNECTION_PANEL_TITLES[0],
        y_desc: "connections",
        scale: Scale::Count,
        right: Some(RightAxis {
            desc: "reconnects/s",
            counts: false,
        }),
        all_zero: Some("no open connections, no reconnects"),
        bands: Vec::new(),
        series: vec![
            Series::new("open", palette::BLUE, Side::Left, step(|r| r.open)),
            Series::new(
                "reconnects/s (right axis)",
                palette::ORANGE,
                Side::Right,
                rate(|r| r.reconnects),
            ),
        ],
    };
    // After a scale-out the new instances start empty while the old ones keep their users: the
    // gap between these two lines is the imbalance.
    let per_instance = Panel {
        title: CONNECTION_PANEL_TITLES[1],
        y_desc: "connections",
        scale: Scale::Count,
        right: None,
        all_zero: Some("no open connections"),
        bands: Vec::new(),
        series: vec![
            Series::new(
                "most loaded",
                palette::VERMILLION,
                Side::Left,
                step(|r| r.max_per_instance),
            ),
            // Dashed over the solid line, so that an even fleet shows both.
            Series::new(
                "least loaded (dashed)",
                palette::GREEN,
                Side::Left,
                step(|r| r.min_per_instance),
            )
            .dashed(),
        ],
    };
    let messages = Panel {
        title: CONNECTION_PANEL_TITLES[2],
        y_desc: "recipients/s",
        scale: Scale::Linear,
        right: Some(RightAxis {
            desc: "undelivered/s",
            counts: false,
        }),
        all_zero: Some("no messages"),
        bands: Vec::new(),
        series: vec![
            Series::new(
                "delivered/s",
                palette::BLUE,
                Side::Left,
                rate(|r| r.delivered),
            ),
            Series::new(
                "undelivered/s (right axis)",
                palette::VERMILLION,
                Side::Right,
                rate(|r| r.undelivered),
            ),
        ],
    };
    vec![open, per_instance, messages]
}

/// Left and right pixel columns of the plotting area, shared by every panel and the strip.
fn plot_columns() -> (i32, i32) {
    draw::plot_columns(AXIS_WIDTH, AXIS_WIDTH)
}

// ----- drawing -------------------------------------------------------------------------------

fn draw_dashboard<DB>(root: &DrawingArea<DB, Shift>, plan: &Plan) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    root.fill(&palette::WHITE)?;
    draw::draw_header(
        root,
        &Header {
            title: &plan.header,
            subtitle: &plan.seed_line,
            line: &plan.description,
            line_below: 38,
            // The description is cut when planned; the title and the seed line are drawn whole.
            fit: false,
        },
    )?;
    plan.strip.draw(root, &plan.layout.strip)?;
    for (panel, rows) in plan.panels.iter().zip(&plan.layout.panels) {
        let area = draw::rows_area(root, rows);
        let y = panel
            .scale
            .coord(panel.max(Side::Left), panel.min_positive());
        match y {
            YCoord::Log(y) => draw_panel(&area, panel, plan, y)?,
            YCoord::Linear(y) => draw_panel(&area, panel, plan, y)?,
        }
    }
    Ok(())
}

fn draw_panel<DB, Y>(area: &DrawingArea<DB, Shift>, panel: &Panel, plan: &Plan, y: Y) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (title_row, chart_area) = area.split_vertically(TITLE_HEIGHT);
    draw_title_and_legend(&title_row, panel)?;

    let axis = &plan.axis;
    let right_top = linear_top(panel.max(Side::Right));
    let mut chart = ChartBuilder::on(&chart_area)
        .set_label_area_size(LabelAreaPosition::Left, AXIS_WIDTH)
        .set_label_area_size(LabelAreaPosition::Right, AXIS_WIDTH)
        .set_label_area_size(LabelAreaPosition::Bottom, X_AXIS_HEIGHT)
        .build_cartesian_2d(axis.range(), y)?
        // The right label area belongs to the secondary axis from here on, so the primary mesh
        // labels the left side only; panels without right-axis series leave it blank.
        .set_secondary_coord(axis.range(), 0.0..right_top);
    let counts = panel.scale == Scale::Count;
    let y_formatter: &dyn Fn(&f64) -> String = if counts { &count_tick } else { &number_tick };
    let y_labels = YLabels {
        desc: panel.y_desc,
        ticks: draw::y_ticks(counts, chart.y_range().end),
        format: y_formatter,
    };
    draw::draw_time_frame(&mut chart, &plan.strip, &y_labels)?;

    for band in &panel.bands {
        for run in &band.segments {
            // The upper edge left to right, then the lower edge back.
            let outline = run
                .iter()
                .map(|&(x, _, high)| (x, high))
                .chain(run.iter().rev().map(|&(x, low, _)| (x, low)));
            chart.draw_series(std::iter::once(Polygon::new(
                outline.collect::<Vec<_>>(),
                band.style(),
            )))?;
        }
    }
    // Solid lines first, dashed ones over them.
    let mut left: Vec<&Series> = panel
        .series
        .iter()
        .filter(|s| s.side == Side::Left)
        .collect();
    left.sort_by_key(|s| s.dashed);
    for series in left {
        for segment in &series.segments {
            draw::draw_line(&mut chart, segment, series.style(), series.dashed)?;
        }
    }
    if let Some(right) = &panel.right {
        let y_formatter: &dyn Fn(&f64) -> String = if right.counts {
            &count_tick
        } else {
            &number_tick
        };
        chart
            .configure_secondary_axes()
            .axis_style(palette::BLACK.mix(0.6))
            .y_labels(draw::y_ticks(right.counts, right_top))
            .y_label_formatter(y_formatter)
            .label_style(TextStyle::from(font(TICK_SIZE)))
            .axis_desc_style(TextStyle::from(font(AXIS_DESC_SIZE)))
            .y_desc(right.desc)
            .draw()?;
        for series in panel.series.iter().filter(|s| s.side == Side::Right) {
            for segment in &series.segments {
                chart.draw_secondary_series(LineSeries::new(
                    segment.iter().copied(),
                    series.style(),
                ))?;
            }
        }
    }

    draw::draw_event_numbers(&mut chart, &plan.strip)?;
    let note = draw::panel_note(panel.has_data(), panel.all_zero(), panel.all_zero);
    if let Some(note) = note {
        let plot = chart.plotting_area().get_pixel_range();
        draw::draw_note(area, plot, note, TITLE_SIZE)?;
    }
    Ok(())
}

/// The title on the left and, right-aligned with the plot, one swatch and label per series.
fn draw_title_and_legend<DB>(row: &DrawingArea<DB, Shift>, panel: &Panel) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    const SWATCH: i32 = 26;
    let middle = TITLE_HEIGHT as i32 / 2;
    let (left, right) = plot_columns();
    // The row starts at MARGIN.
    let (left, right) = (left - MARGIN as i32, right - MARGIN as i32);
    draw::draw_title(row, panel.title, (left, middle), TITLE_SIZE)?;
    let legend_font = font(LEGEND_SIZE);
    let mut x = right;
    let label = |x: &mut i32, text: &str| -> Result<()> {
        *x -= text_width(text, &legend_font)?;
        row.draw(&Text::new(
            text,
            (*x, middle),
            TextStyle::from(legend_font.clone()).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        *x -= 6 + SWATCH;
        Ok(())
    };
    for series in panel.series.iter().rev() {
        label(&mut x, &series.label)?;
        let style = series.color.stroke_width(3);
        draw::draw_legend_line(row, (x, middle), SWATCH, style, series.dashed)?;
        x -= 24;
    }
    // A band in the legend only when there is some shading to explain.
    for band in panel.bands.iter().rev().filter(|b| !b.segments.is_empty()) {
        label(&mut x, band.label)?;
        row.draw(&Rectangle::new(
            [(x, middle - 7), (x + SWATCH, middle + 7)],
            band.style(),
        ))?;
        x -= 24;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{TimelineEntry, TimelineEvent};
    use crate::report::draw::pixels::{decode, rgb, PNG_SIGNATURE};
    use crate::report::draw::{log_range, MAX_LANES};
    use crate::report::fixtures;
    use image::{Rgb, RgbImage};

    fn empty() -> Report {
        let mut report = fixtures::crash_sticky();
        report.timeseries.clear();
        report.timeline.clear();
        report
    }

    /// Pixels of `image` inside panel `index`'s plotting area (title row and axes excluded) for
    /// which `keep` holds.
    fn count_in_plot(
        image: &RgbImage,
        layout: &Layout,
        index: usize,
        keep: impl Fn(Rgb<u8>) -> bool,
    ) -> usize {
        let (left, right) = plot_columns();
        let rows = &layout.panels[index];
        let (top, bottom) = (rows.start + TITLE_HEIGHT + 2, rows.end - X_AXIS_HEIGHT - 2);
        (top..bottom)
            .flat_map(|y| (left as u32 + 2..right as u32 - 2).map(move |x| (x, y)))
            .filter(|&(x, y)| keep(*image.get_pixel(x, y)))
            .count()
    }

    #[test]
    fn the_svg_names_every_panel_the_events_and_the_warm_up() {
        let svg = dashboard_svg(&fixtures::crash_sticky_with_windows()).expect("renders");
        for title in PANEL_TITLES {
            assert!(svg.contains(title), "{title}");
        }
        for text in [
            "crash instance 1",
            "instance 1 marked down",
            "warm-up",
            "crash-sticky",
            "seed 7",
            "simulated time (min)",
            "latency (ms, log scale)",
            "requests succeeded/s",
            "lost sessions, cumulative (right axis)",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        assert!(!svg.contains("no data"));
    }

    #[test]
    fn every_panel_numbers_the_events_of_the_strip() {
        let svg = dashboard_svg(&fixtures::crash_sticky_with_windows()).expect("renders");
        // The numbers are the only grey bold text: two events on each of the five panels.
        let tags: Vec<&str> = svg
            .split("<text")
            .filter(|t| t.contains("fill=\"#555555\" font-weight=\"bold\""))
            .filter_map(|t| t.split('>').nth(1)?.split('<').next())
            .map(str::trim)
            .collect();
        let expected: Vec<&str> = (0..PANEL_TITLES.len()).flat_map(|_| ["1", "2"]).collect();
        assert_eq!(tags, expected);
    }

    #[test]
    fn the_same_report_gives_the_same_svg_and_png_bytes() {
        let report = fixtures::crash_sticky_with_windows();
        assert_eq!(
            dashboard_svg(&report).expect("renders"),
            dashboard_svg(&report.clone()).expect("renders")
        );
        assert_eq!(
            dashboard_png(&report).expect("renders"),
            dashboard_png(&report.clone()).expect("renders")
        );
    }

    #[test]
    fn the_png_is_a_png_of_the_stated_size() {
        let png = dashboard_png(&fixtures::crash_sticky_with_windows()).expect("renders");
        assert!(png.starts_with(PNG_SIGNATURE));
        assert_eq!(decode(&png).dimensions(), (WIDTH, HEIGHT));
    }

    #[test]
    fn every_panel_of_the_png_draws_its_series_in_its_colour() {
        let report = fixtures::crash_sticky_with_windows();
        let image = decode(&dashboard_png(&report).expect("renders"));
        let layout = layout(&report).expect("a layout");
        assert_eq!(layout.panels.len(), 5);
        let panels = panels(&report, &TimeAxis::of(&report));
        for (index, panel) in panels.iter().enumerate() {
            let ink = count_in_plot(&image, &layout, index, |p| p != rgb(palette::WHITE));
            assert!(ink > 2_000, "panel {index} is nearly blank: {ink} pixels");
            for series in &panel.series {
                let drawn = count_in_plot(&image, &layout, index, |p| p == rgb(series.color));
                // 120 windows across ~1,200 columns, 2 px wide: far more than 200 pixels.
                assert!(drawn > 200, "{}: {drawn} pixels", series.label);
            }
        }
    }

    #[test]
    fn the_instances_panel_draws_desired_as_a_dashed_line_beside_ready() {
        let mut report = fixtures::crash_sticky_with_windows();
        // A scale-out to 4 at 300 s that never becomes ready: desired apart from ready.
        for row in &mut report.timeseries[30..] {
            row.instances_desired = 4;
        }
        let axis = TimeAxis::of(&report);
        let instances = &panels(&report, &axis)[2];
        let desired = instances
            .series
            .iter()
            .find(|s| s.label == "desired (dashed)")
            .expect("a desired series");
        assert!(desired.dashed);
        // A step per window: the first window is held at 2 from 0 to 10 s (1/6 min).
        assert_eq!(desired.segments[0][..2], [(0.0, 2.0), (10.0 / 60.0, 2.0)]);
        assert_eq!(desired.values().fold(0.0, f64::max), 4.0);

        let image = decode(&dashboard_png(&report).expect("renders"));
        let layout = layout(&report).expect("a layout");
        let blue = count_in_plot(&image, &layout, 2, |p| p == rgb(palette::BLUE));
        let green = count_in_plot(&image, &layout, 2, |p| p == rgb(palette::GREEN));
        // 90 windows of dashes (2/3 ink) at 4, ~900 columns, 2 px wide; ready stays solid.
        assert!(blue > 1_000, "desired: {blue} pixels");
        assert!(green > 1_000, "ready: {green} pixels");
        let svg = dashboard_svg(&report).expect("renders");
        assert!(svg.contains("desired (dashed)"));
        assert!(svg.contains("ready (routable)"));
    }

    #[test]
    fn booting_instances_are_shaded_above_the_ready_line_only_when_some_boot() {
        // Orange at 35 % over white: (246, 221, 166).
        let shaded =
            |p: Rgb<u8>| p[0] > 235 && (200..240).contains(&p[1]) && (140..190).contains(&p[2]);
        let mut report = fixtures::crash_sticky_with_windows();
        let image = decode(&dashboard_png(&report).expect("renders"));
        let layout = layout(&report).expect("a layout");
        assert_eq!(count_in_plot(&image, &layout, 2, shaded), 0);
        assert!(!dashboard_svg(&report).expect("renders").contains("booting"));

        // A replacement boots from 610 s to 700 s.
        for row in &mut report.timeseries[61..70] {
            row.instances_booting = 1;
        }
        let instances = &panels(&report, &TimeAxis::of(&report))[2];
        assert_eq!(instances.bands[0].segments.len(), 1);
        // Stacked on the one ready instance: from 1 to 2.
        assert_eq!(
            instances.bands[0].segments[0][0].1..instances.bands[0].segments[0][0].2,
            1.0..2.0
        );
        let image = decode(&dashboard_png(&report).expect("renders"));
        assert!(count_in_plot(&image, &layout, 2, shaded) > 1_000);
        assert!(dashboard_svg(&report)
            .expect("renders")
            .contains("booting (shaded)"));
    }

    #[test]
    fn a_run_without_connections_keeps_its_five_panels_and_its_height() {
        let report = fixtures::crash_sticky_with_windows();
        let layout = layout(&report).expect("a layout");
        assert_eq!((layout.panels.len(), layout.height), (5, HEIGHT));
        let svg = dashboard_svg(&report).expect("renders");
        for title in CONNECTION_PANEL_TITLES {
            assert!(!svg.contains(title), "{title}");
        }
    }

    #[test]
    fn connections_add_three_panels_below_the_request_ones_in_a_taller_image() {
        let report = fixtures::crash_sticky_with_connections_and_windows();
        let layout = layout(&report).expect("a layout");
        assert_eq!(layout.panels.len(), 8);
        let plain = Layout::below_strip(layout.strip.len() as u32, 5);
        // The same panels at the same rows, then three more as high.
        assert_eq!(layout.panels[..5], plain.panels[..]);
        let panel = plain.panels[0].len() as u32;
        assert_eq!(layout.height, HEIGHT + 3 * (panel + PANEL_GAP));
        assert!(layout.panels[7].end <= layout.height - MARGIN);

        let titles: Vec<&str> = panels(&report, &TimeAxis::of(&report))
            .iter()
            .map(|p| p.title)
            .collect();
        assert_eq!(titles[..5], PANEL_TITLES);
        assert_eq!(titles[5..], CONNECTION_PANEL_TITLES);

        let svg = dashboard_svg(&report).expect("renders");
        for text in [
            "Open connections",
            "reconnects/s (right axis)",
            "most loaded",
            "least loaded (dashed)",
            "delivered/s",
            "undelivered/s (right axis)",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        let png = dashboard_png(&report).expect("renders");
        assert_eq!(decode(&png).dimensions(), (WIDTH, layout.height));
    }

    #[test]
    fn every_connection_panel_of_the_png_draws_its_series_in_its_colour() {
        let report = fixtures::crash_sticky_with_connections_and_windows();
        let image = decode(&dashboard_png(&report).expect("renders"));
        let layout = layout(&report).expect("a layout");
        let panels = panels(&report, &TimeAxis::of(&report));
        for (index, panel) in panels.iter().enumerate().skip(5) {
            for series in &panel.series {
                let drawn = count_in_plot(&image, &layout, index, |p| p == rgb(series.color));
                assert!(drawn > 200, "{}: {drawn} pixels", series.label);
            }
        }
    }

    #[test]
    fn connection_series_are_levels_held_over_windows_and_rates_at_their_middle() {
        let mut report = fixtures::crash_sticky_with_connections_and_windows();
        report.timeseries.truncate(3);
        report.connection_timeseries.truncate(3);
        report.simulated_seconds = 25.0 - report.warmup_seconds;
        report.connection_timeseries[2].open = 300;
        report.connection_timeseries[2].reconnects = 40;
        report.connection_timeseries[2].undelivered = 15;
        let axis = TimeAxis::of(&report);
        let panels = panels(&report, &axis);
        let (open, messages) = (&panels[5], &panels[7]);
        // The last window is 20..25 s: 300 open held across it; 40 reconnects / 5 s at 22.5 s.
        assert_eq!(
            open.series[0].segments[0][4..],
            [(20.0, 300.0), (25.0, 300.0)]
        );
        assert_eq!(open.series[1].segments[0][2], (22.5, 8.0));
        assert_eq!(messages.series[1].segments[0][2], (22.5, 3.0));
    }

    #[test]
    fn a_run_of_connections_only_leads_with_them_instead_of_empty_request_panels() {
        let report = fixtures::chat_only();
        let titles: Vec<&str> = panels(&report, &TimeAxis::of(&report))
            .iter()
            .map(|p| p.title)
            .collect();
        assert_eq!(
            titles,
            [
                CONNECTION_PANEL_TITLES[0],
                CONNECTION_PANEL_TITLES[1],
                CONNECTION_PANEL_TITLES[2],
                "Instances",
                "Utilization"
            ]
        );
        let layout = layout(&report).expect("a layout");
        assert_eq!(layout.height, HEIGHT);
        let svg = dashboard_svg(&report).expect("renders");
        assert!(!svg.contains("Latency of successful requests"));
        assert!(!svg.contains("no failed requests"));
        assert!(svg.contains("seed 7 · connections only · 18 min measured"));
        assert!(!svg.contains("in-memory sessions"));
    }

    #[test]
    fn an_empty_time_series_renders_every_panel_with_no_data() {
        let report = empty();
        let svg = dashboard_svg(&report).expect("renders");
        assert_eq!(svg.matches("no data").count(), 5);
        for title in PANEL_TITLES {
            assert!(svg.contains(title), "{title}");
        }
        let png = dashboard_png(&report).expect("renders");
        assert_eq!(decode(&png).dimensions(), (WIDTH, HEIGHT));
    }

    #[test]
    fn a_report_of_nothing_at_all_renders() {
        let mut report = empty();
        report.simulated_seconds = 0.0;
        report.warmup_seconds = 0.0;
        report.description.clear();
        assert!(dashboard_svg(&report).is_ok());
        assert!(dashboard_png(&report).is_ok());
        // An event with no time series still gets its line and label.
        report.timeline.push(TimelineEntry {
            t_s: 0.0,
            event: TimelineEvent::Crash { instances: vec![0] },
            sessions_affected: 0,
        });
        assert!(dashboard_svg(&report)
            .expect("renders")
            .contains("crash instance 0"));
    }

    #[test]
    fn a_run_without_failures_says_so_instead_of_a_bare_axis() {
        let mut report = fixtures::crash_sticky_with_windows();
        for row in &mut report.timeseries {
            row.succeeded += row.failed;
            row.failed = 0;
            row.sessions_lost_total = 0;
        }
        let svg = dashboard_svg(&report).expect("renders");
        assert!(svg.contains("no failed requests, no lost sessions"));
    }

    #[test]
    fn the_last_window_ends_with_the_run() {
        let rows: Vec<WindowRow> = [0.0, 10.0, 20.0]
            .into_iter()
            .map(|t_s| WindowRow {
                t_s,
                ..WindowRow::default()
            })
            .collect();
        // Windows of 10 s; the run ends at 25 s, so the last one is 5 s long.
        assert_eq!(
            windows(&rows, 25.0),
            [(0.0, 10.0), (10.0, 10.0), (20.0, 5.0)]
        );
        // A run that ends where the last window starts: borrow the previous width.
        assert_eq!(windows(&rows, 20.0)[2], (20.0, 10.0));
    }

    #[test]
    fn rates_are_counts_over_the_window_width_at_the_window_middle() {
        let mut report = fixtures::crash_sticky_with_windows();
        report.timeseries.truncate(3);
        report.simulated_seconds = 25.0 - report.warmup_seconds;
        report.timeseries[2].succeeded = 500;
        report.timeseries[2].arrivals = 40;
        let axis = TimeAxis::of(&report);
        assert!(!axis.minutes, "a 25 s run is drawn in seconds");
        let load = &panels(&report, &axis)[0];
        // The last window is 20..25 s: 500 requests / 5 s = 100/s at 22.5 s; 40 sessions / 5 s.
        assert_eq!(load.series[0].segments[0][2], (22.5, 100.0));
        assert_eq!(load.series[1].segments[0][2], (22.5, 8.0));
    }

    #[test]
    fn runs_of_ten_minutes_or_more_are_drawn_in_minutes() {
        let mut report = empty();
        report.warmup_seconds = 60.0;
        report.simulated_seconds = 539.0;
        assert_eq!(TimeAxis::of(&report).desc(), "simulated time (s)");
        report.simulated_seconds = 540.0;
        let axis = TimeAxis::of(&report);
        assert_eq!(axis.desc(), "simulated time (min)");
        assert_eq!((axis.end, axis.warmup), (10.0, 1.0));
    }

    #[test]
    fn latency_is_drawn_on_a_log_scale_when_it_spans_more_than_two_decades() {
        let mut report = fixtures::crash_sticky_with_windows();
        // p50 ≈ 18 ms and a 4,987 ms p99 in the crash window: 277×.
        let latency = |r: &Report| panels(r, &TimeAxis::of(r)).swap_remove(1).scale;
        assert_eq!(latency(&report), Scale::Log);
        report.timeseries[60].p99_ms = 160.0;
        assert_eq!(latency(&report), Scale::Linear);
        assert_eq!(log_range(17.9, 4_987.1), 10.0..10_000.0);
    }

    fn with_objective(mut report: Report, p99_ms: f64) -> Report {
        report.slo = Some(crate::metrics::Slo {
            p99_ms,
            windows: 108,
            windows_over: 3,
        });
        report
    }

    #[test]
    fn a_p99_objective_is_a_dashed_line_across_the_latency_panel_named_in_the_legend() {
        let report = with_objective(fixtures::crash_sticky_with_windows(), 250.0);
        let axis = TimeAxis::of(&report);
        let latency = panels(&report, &axis).swap_remove(1);
        let objective = latency
            .series
            .iter()
            .find(|s| s.label == "p99 objective 250 ms")
            .expect("an objective series");
        assert!(objective.dashed);
        // From the start of the run to its end (20 min), level at 250 ms.
        assert_eq!(objective.segments, [vec![(0.0, 250.0), (20.0, 250.0)]]);
        // Between the data's 18 ms and 4,987 ms: the log scale still spans 10..10,000 ms.
        assert_eq!(latency.scale, Scale::Log);
        assert!(dashboard_svg(&report)
            .expect("renders")
            .contains("p99 objective 250 ms"));
        // Without an objective, no such line.
        let plain = fixtures::crash_sticky_with_windows();
        assert!(!dashboard_svg(&plain)
            .expect("renders")
            .contains("objective"));
    }

    #[test]
    fn the_latency_range_makes_room_for_an_objective_above_every_window() {
        let mut report = fixtures::crash_sticky_with_windows();
        // No spike: p99 at most 172 ms, p50 from 18 ms, so a linear scale.
        report.timeseries[60].p99_ms = 160.0;
        let report = with_objective(report, 1_000.0);
        let latency = panels(&report, &TimeAxis::of(&report)).swap_remove(1);
        // 1,000 / 17.98 ≈ 56 < 100: still linear, and its top (1.12 × max) is above 1,000.
        assert_eq!(latency.scale, Scale::Linear);
        assert_eq!(latency.max(Side::Left), 1_000.0);

        // In the PNG the objective is the only pure black in the plot: one horizontal line,
        // 2 px thick, dashed 12 on 6 off across ~1,200 columns (≈ 1,600 pixels), near the top at
        // 1,000 / 1,120 of the height.
        let image = decode(&dashboard_png(&report).expect("renders"));
        let layout = layout(&report).expect("a layout");
        let black = count_in_plot(&image, &layout, 1, |p| p == rgb(palette::BLACK));
        assert!(black > 1_000, "objective: {black} pixels");
        let (left, right) = plot_columns();
        let rows = &layout.panels[1];
        let (top, bottom) = (rows.start + TITLE_HEIGHT, rows.end - X_AXIS_HEIGHT);
        let black_rows: Vec<u32> = (top..bottom)
            .filter(|&y| {
                (left as u32 + 2..right as u32 - 2)
                    .any(|x| *image.get_pixel(x, y) == rgb(palette::BLACK))
            })
            .collect();
        assert!(black_rows.len() <= 3, "rows {black_rows:?}");
        let at = f64::from(black_rows[0] - top) / f64::from(bottom - top);
        assert!(at < 0.2, "the line sits {at:.2} of the way down");

        let without = fixtures::crash_sticky_with_windows();
        let image = decode(&dashboard_png(&without).expect("renders"));
        assert_eq!(
            count_in_plot(&image, &layout, 1, |p| p == rgb(palette::BLACK)),
            0
        );
    }

    #[test]
    fn an_objective_alone_does_not_hide_that_there_is_no_data() {
        let report = with_objective(empty(), 250.0);
        let svg = dashboard_svg(&report).expect("renders");
        assert_eq!(svg.matches("no data").count(), 5);
        assert!(!svg.contains("objective"));
    }

    #[test]
    fn windows_without_successes_leave_a_gap_in_the_latency_line() {
        let mut report = fixtures::crash_sticky_with_windows();
        report.timeseries[30].succeeded = 0;
        report.timeseries[30].p50_ms = 0.0;
        report.timeseries[30].p99_ms = 0.0;
        let panels = panels(&report, &TimeAxis::of(&report));
        let p50 = &panels[1].series[0];
        assert_eq!(p50.segments.len(), 2);
        assert_eq!(p50.segments[0].len() + p50.segments[1].len(), 119);
    }

    #[test]
    fn many_events_leave_some_labels_out_and_say_how_many() {
        let mut report = fixtures::crash_sticky_with_windows();
        report.timeline = (0..12)
            .map(|i| TimelineEntry {
                t_s: 600.0 + f64::from(i),
                event: TimelineEvent::Scale { to: i },
                sessions_affected: 0,
            })
            .collect();
        let plan = Plan::of(&report).expect("a plan");
        assert_eq!(plan.strip.labels_left_out, 12 - MAX_LANES);
        assert_eq!(plan.strip.markers.len(), 12);
        let svg = dashboard_svg(&report).expect("renders");
        assert!(svg.contains(&format!("+{} more events", 12 - MAX_LANES)));
    }

    #[test]
    fn long_descriptions_are_cut_to_the_width_of_the_image() {
        let mut report = empty();
        report.description = "a very long description ".repeat(20);
        let plan = Plan::of(&report).expect("a plan");
        assert!(plan.description.ends_with('…'));
        let width = text_width(&plan.description, &font(SUBHEADER_SIZE)).expect("measurable");
        assert!(width <= content_width());
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(1_000.0), "1000");
        assert_eq!(number(12_000.0), "12k");
        assert_eq!(number(12_500.0), "12.5k");
        assert_eq!(count_tick(&2.0), "2");
        assert_eq!(count_tick(&2.5), "");
    }
}
