//! `compare.svg`/`.png` and `sweep.svg`/`.png`: many runs of one scenario as one picture each.
//!
//! ```text
//!  crash-sticky   3 variants × 5 seeds · mean ± 95 % confidence interval        header
//!  ■ store=in-memory   ■ store=redis   ■ store=jwt                                legend (wraps)
//!  Headline metrics after warm-up
//!   lost sessions      failed requests     p50 latency                           one bar per
//!   │ ┬                │                   │  ┬   ┬                             variant, whisker
//!   │ █  ▁   ▁         │ █  ▁   ▁          │  █   █   █                         = 95 % interval
//!   p99 latency · instance-seconds · instance churn
//!  Over time, averaged over seeds
//!  ░warm-up░         ┆ crash instance 1                                         event strip
//!   requests/s │~~~~~~~┆~~~~~~~~│   p99 · instances ready · lost sessions       one line per
//!                                                                                variant, shared
//!                                                                                time axis
//! ```
//!
//! The sweep chart is a grid of the same six metrics, each a line chart over the first axis's
//! values, with one line per combination of the other axes' values.
//!
//! Like the dashboard, each chart is one drawing function generic over plotters' backend, so the
//! SVG and PNG cannot disagree, and each is a pure function of its input: the same comparison
//! gives the same bytes. Variants keep their colour everywhere (bar, line, legend); beyond the
//! palette's seven colours a variant repeats a colour with dashed lines and hollow bars. On the
//! time panels each variant's line also carries its own markers, staggered along the line, so
//! that variants with identical values stay visible where their lines coincide.
//!
//! A panel showing a metric that an objective constrains (p50 and p99 latency, lost sessions,
//! failed requests) carries the objective's threshold as a dashed dark-red line labelled with
//! the objective as written (`p99 < 250ms`); the panel's y range includes it.
//!
//! The header, the event strip, the time panels' frame (warm-up shade, mesh, event lines) and the
//! mesh of every grid cell come from `report::draw`, as the dashboard's do; what is particular to
//! many runs (legend, bars with whiskers, the sweep's axis) is drawn here.

use std::ops::Range;

use anyhow::{Context, Result};
use plotters::chart::{ChartContext, LabelAreaPosition};
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::{
    ChartBuilder, Circle, Cross, DashedLineSeries, DrawingArea, DrawingBackend, EmptyElement,
    PathElement, Rectangle, Text, TriangleMarker,
};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, RGBColor, ShapeStyle, TextStyle};

use super::compare::{Comparison, SeriesRow};
use super::objectives::{constraining, Verdict};
use super::outcome::{Estimate, Headline};
use super::sweep::SweepSummary;
use crate::report::describe;
use crate::report::draw::{
    self, bold, count_tick, fit, font, number, palette, text_width, EventStrip, Header, Scale,
    TimeAxis, YCoord, YLabels, LEGEND_SIZE, MARGIN, TICK_SIZE, WIDTH,
};
use crate::report::human::plural;

// Every chart is `WIDTH` wide; heights follow from what there is to draw.
const HEADER_HEIGHT: u32 = 88;
const LEGEND_ROW: u32 = 28;
const SECTION_HEIGHT: u32 = 40;
/// Bar and line charts of the headline metrics: three columns, as many rows as they need (two
/// for the six metrics of every study).
const GRID_COLUMNS: u32 = 3;
const GRID_GAP: u32 = 24;
const BAR_CELL_HEIGHT: u32 = 300;
const SWEEP_CELL_HEIGHT: u32 = 400;
const CELL_TITLE_HEIGHT: u32 = 32;
const CELL_AXIS_WIDTH: u32 = 76;
const CELL_RIGHT: u32 = 12;
const BAR_NAMES_HEIGHT: u32 = 34;
const SWEEP_X_AXIS_HEIGHT: u32 = 58;
const SECTION_GAP: u32 = 24;
/// Time-series panels: full width, one above the other, the same pixel columns for time.
const PANEL_HEIGHT: u32 = 236;
const PANEL_GAP: u32 = 8;
const PANEL_TITLE_HEIGHT: u32 = 32;
const PANEL_AXIS_WIDTH: u32 = 86;
const PANEL_RIGHT: u32 = 24;
const PANEL_X_AXIS_HEIGHT: u32 = 52;

const SECTION_SIZE: f64 = 21.0;
const TITLE_SIZE: f64 = 19.0;
/// Variant names under bars: a little smaller than ticks, so more of them fit.
const NAME_SIZE: f64 = 14.0;
const VALUE_SIZE: f64 = 14.0;

/// The comparison chart as an SVG document.
pub(crate) fn compare_svg(c: &Comparison) -> Result<String> {
    let plan = ComparePlan::of(c)?;
    draw::svg((WIDTH, plan.layout.height), |root| {
        draw_comparison(root, &plan).context("cannot draw the comparison as SVG")
    })
}

/// The comparison chart as a PNG file's bytes.
pub(crate) fn compare_png(c: &Comparison) -> Result<Vec<u8>> {
    let plan = ComparePlan::of(c)?;
    draw::png((WIDTH, plan.layout.height), |root| {
        draw_comparison(root, &plan).context("cannot draw the comparison as PNG")
    })
}

/// The sweep chart as an SVG document.
pub(crate) fn sweep_svg(s: &SweepSummary) -> Result<String> {
    let plan = SweepPlan::of(s)?;
    draw::svg((WIDTH, plan.height), |root| {
        draw_sweep(root, &plan).context("cannot draw the sweep as SVG")
    })
}

/// The sweep chart as a PNG file's bytes.
pub(crate) fn sweep_png(s: &SweepSummary) -> Result<Vec<u8>> {
    let plan = SweepPlan::of(s)?;
    draw::png((WIDTH, plan.height), |root| {
        draw_sweep(root, &plan).context("cannot draw the sweep as PNG")
    })
}

// ----- what every chart shares ---------------------------------------------------------------

/// The palette's colours in the order variants take them: the first three are the most distinct.
const COLOURS: [RGBColor; 7] = [
    palette::BLUE,
    palette::ORANGE,
    palette::GREEN,
    palette::VERMILLION,
    palette::PURPLE,
    palette::SKY_BLUE,
    palette::BLACK,
];

/// How one variant (or sweep line) is drawn, the same in bars, lines and the legend.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Look {
    color: RGBColor,
    /// Past the palette's size colours repeat: the second round is told apart by dashed lines
    /// and hollow bars.
    dashed: bool,
}

impl Look {
    fn of(index: usize) -> Self {
        Self {
            color: COLOURS[index % COLOURS.len()],
            dashed: (index / COLOURS.len()) % 2 == 1,
        }
    }

    fn line(&self) -> ShapeStyle {
        self.color.stroke_width(2)
    }
}

/// Objective thresholds: a dark red no variant takes, dashed shorter than the series' dashes.
const OBJECTIVE_COLOUR: RGBColor = RGBColor(0x9B, 0x11, 0x1E);
const OBJECTIVE_DASH: u32 = 6;
const OBJECTIVE_DASH_GAP: u32 = 4;

/// An objective's threshold across a panel of the metric it constrains.
#[derive(Clone, Debug, PartialEq)]
struct ObjectiveLine {
    /// The objective as written: `p99 < 250ms`.
    label: String,
    /// The threshold in the panel's unit.
    value: f64,
}

/// The lines of the objectives of `verdict` that constrain `metric`. Every variant (grid point)
/// is judged by the same objectives, so any one verdict gives them.
fn objective_lines(verdict: Option<&Verdict>, metric: Headline) -> Vec<ObjectiveLine> {
    constraining(verdict, metric)
        .filter_map(|f| {
            Some(ObjectiveLine {
                label: f.objective.clone(),
                value: finite(f.threshold)?,
            })
        })
        .collect()
}

/// The thresholds of `lines`, for y ranges that must include them.
fn thresholds(lines: &[ObjectiveLine]) -> impl Iterator<Item = f64> + '_ {
    lines.iter().map(|l| l.value)
}

/// Each of `lines` across the whole width of `chart`, its label above its right end.
fn draw_objective_lines<DB, X, Y>(
    chart: &mut ChartContext<DB, Cartesian2d<X, Y>>,
    lines: &[ObjectiveLine],
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let x = chart.x_range();
    let style = OBJECTIVE_COLOUR.stroke_width(2);
    let label_style = TextStyle::from(bold(VALUE_SIZE))
        .color(&OBJECTIVE_COLOUR)
        .pos(Pos::new(HPos::Right, VPos::Bottom));
    for line in lines {
        chart.draw_series(DashedLineSeries::new(
            [(x.start, line.value), (x.end, line.value)],
            OBJECTIVE_DASH,
            OBJECTIVE_DASH_GAP,
            style,
        ))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((x.end, line.value))
                + Text::new(line.label.clone(), (-4, -4), label_style.clone()),
        ))?;
    }
    Ok(())
}

/// A finite value, or nothing: a NaN or an infinity has no place on an axis.
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// A value printed on a chart: at most about five characters, so it fits over a narrow bar.
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e15 {
        // "3.2e15", "1e15"
        let text = format!("{v:.1e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, ""));
        return format!("{}e{exponent}", draw::trim(mantissa.to_owned()));
    }
    if a >= 1e4 {
        let (scale, suffix) = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
            .into_iter()
            .find(|&(scale, _)| a >= scale)
            .unwrap_or((1e3, "k"));
        return format!("{}{suffix}", three_digits(v / scale));
    }
    if a >= 100.0 {
        return format!("{v:.0}");
    }
    number(v)
}

fn three_digits(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        draw::trim(format!("{v:.1}"))
    } else {
        draw::trim(format!("{v:.2}"))
    }
}

/// A y tick label: as the dashboard's up to a million, shorter beyond.
fn tick(v: &f64) -> String {
    if v.abs() < 1e6 {
        number(*v)
    } else {
        short(*v)
    }
}

/// A y tick label on an axis of whole things.
fn whole_tick(v: &f64) -> String {
    if v.abs() < 1e6 {
        count_tick(v)
    } else {
        short(*v)
    }
}

/// A linear axis with ticks exactly where given: under bars, at swept values.
struct Ticked {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(range: Range<f64>, ticks: Vec<f64>) -> Self {
        Self {
            linear: range.into(),
            ticks,
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    /// The given ticks as the bold points; no light ones.
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

/// One entry of a legend: a swatch, an optional bold number, a label.
#[derive(Clone, Debug, PartialEq)]
struct LegendItem {
    look: Look,
    number: Option<String>,
    text: String,
    /// Left edge of the swatch, pixels from the image's left edge.
    left: i32,
    row: usize,
}

const SWATCH: i32 = 30;

/// Legend entries laid out left to right, wrapping to a new row rather than overlapping; a label
/// wider than the image is cut with an ellipsis.
#[derive(Clone, Debug, PartialEq)]
struct Legend {
    items: Vec<LegendItem>,
    rows: usize,
}

impl Legend {
    fn of(entries: Vec<(Look, Option<String>, String)>) -> Result<Self> {
        const ENTRY_GAP: i32 = 28;
        let left = MARGIN as i32;
        let right = (WIDTH - MARGIN) as i32;
        let label_font = font(LEGEND_SIZE);
        let number_font = bold(LEGEND_SIZE);
        let mut items = Vec::with_capacity(entries.len());
        let (mut x, mut row) = (left, 0);
        for (look, number, text) in entries {
            let number_width = match &number {
                Some(n) => text_width(n, &number_font)? + 6,
                None => 0,
            };
            let room = right - left - SWATCH - 8 - number_width;
            let text = fit(&text, &label_font, room)?;
            let width = SWATCH + 8 + number_width + text_width(&text, &label_font)?;
            if x > left && x + width > right {
                x = left;
                row += 1;
            }
            items.push(LegendItem {
                look,
                number,
                text,
                left: x,
                row,
            });
            x += width + ENTRY_GAP;
        }
        let rows = if items.is_empty() { 0 } else { row + 1 };
        Ok(Self { items, rows })
    }

    fn height(&self) -> u32 {
        self.rows as u32 * LEGEND_ROW
    }
}

fn draw_legend<DB>(root: &DrawingArea<DB, Shift>, legend: &Legend, top: u32) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let label_font = font(LEGEND_SIZE);
    for item in &legend.items {
        let middle = (top + item.row as u32 * LEGEND_ROW + LEGEND_ROW / 2) as i32;
        draw_swatch(root, item.look, item.left, middle)?;
        let mut x = item.left + SWATCH + 8;
        if let Some(number) = &item.number {
            root.draw(&Text::new(
                number.clone(),
                (x, middle),
                TextStyle::from(bold(LEGEND_SIZE)).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += text_width(number, &bold(LEGEND_SIZE))? + 6;
        }
        root.draw(&Text::new(
            item.text.clone(),
            (x, middle),
            TextStyle::from(label_font.clone()).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// A line as the series draws it (two dashes when dashed) through a square as the bar is filled.
fn draw_swatch<DB>(root: &DrawingArea<DB, Shift>, look: Look, left: i32, middle: i32) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let style = look.color.stroke_width(3);
    draw::draw_legend_line(root, (left, middle), SWATCH, style, look.dashed)?;
    let square = [
        (left + SWATCH / 2 - 6, middle - 6),
        (left + SWATCH / 2 + 6, middle + 6),
    ];
    root.draw(&Rectangle::new(square, bar_fill(look)))?;
    if look.dashed {
        root.draw(&Rectangle::new(square, look.color.stroke_width(2)))?;
    }
    Ok(())
}

/// Solid bars in the first round of colours, light ones with an outline in the second.
fn bar_fill(look: Look) -> ShapeStyle {
    if look.dashed {
        look.color.mix(0.3).filled()
    } else {
        look.color.filled()
    }
}

/// The header of a comparison or sweep chart, every text cut to fit the image.
fn draw_header<DB>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    line: &str,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let header = Header {
        title,
        subtitle,
        line,
        line_below: 40,
        fit: true,
    };
    draw::draw_header(root, &header)
}

fn draw_section_title<DB>(root: &DrawingArea<DB, Shift>, text: &str, top: u32) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let at = (MARGIN as i32, (top + SECTION_HEIGHT / 2) as i32);
    draw::draw_title(root, text, at, SECTION_SIZE)
}

/// Pixel columns `(left, width)` of grid column `index`.
fn grid_column(index: u32) -> (u32, u32) {
    let width = (WIDTH - 2 * MARGIN - (GRID_COLUMNS - 1) * GRID_GAP) / GRID_COLUMNS;
    (MARGIN + index * (width + GRID_GAP), width)
}

/// Width in pixels of a grid cell's plotting area.
fn cell_plot_width() -> i32 {
    (grid_column(0).1 - CELL_AXIS_WIDTH - CELL_RIGHT) as i32
}

/// Cells of a grid of `count` headline metrics starting at pixel row `top`: `(x, y, w, h)`.
fn grid_cells(top: u32, cell_height: u32, count: usize) -> Vec<(u32, u32, u32, u32)> {
    (0..count as u32)
        .map(|i| {
            let (x, width) = grid_column(i % GRID_COLUMNS);
            let y = top + (i / GRID_COLUMNS) * (cell_height + GRID_GAP);
            (x, y, width, cell_height)
        })
        .collect()
}

fn grid_height(cell_height: u32, count: usize) -> u32 {
    let rows = (count as u32).div_ceil(GRID_COLUMNS).max(1);
    rows * cell_height + (rows - 1) * GRID_GAP
}

/// A y range that holds every value in `values` and zero, with headroom above for the values
/// printed over bars; a flat zero gets `0..1`.
fn value_range(values: impl IntoIterator<Item = f64>, headroom: f64) -> Range<f64> {
    let (mut low, mut high) = (0.0_f64, 0.0_f64);
    for v in values.into_iter().filter_map(finite) {
        low = low.min(v);
        high = high.max(v);
    }
    if high - low <= 0.0 {
        return 0.0..1.0;
    }
    let span = high - low;
    let low = if low < 0.0 { low - span * 0.05 } else { 0.0 };
    low..high + span * headroom
}

/// A grid cell of `metric`: its label in the title row over a chart of `x` against `y`, with
/// `x_axis_height` pixels under the plot for the x labels.
fn cell_chart<'c, DB>(
    cell: &DrawingArea<DB, Shift>,
    metric: Headline,
    x: Ticked,
    y: Range<f64>,
    x_axis_height: u32,
) -> Result<ChartContext<'c, DB, Cartesian2d<Ticked, RangedCoordf64>>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (title_row, body) = cell.split_vertically(CELL_TITLE_HEIGHT);
    let middle = CELL_TITLE_HEIGHT as i32 / 2;
    draw::draw_title(
        &title_row,
        metric.label(),
        (CELL_AXIS_WIDTH as i32, middle),
        TITLE_SIZE,
    )?;
    Ok(ChartBuilder::on(&body)
        .set_label_area_size(LabelAreaPosition::Left, CELL_AXIS_WIDTH)
        .set_label_area_size(LabelAreaPosition::Bottom, x_axis_height)
        .margin_right(CELL_RIGHT)
        .build_cartesian_2d(x, y)?)
}

/// The y axis of a grid cell of `metric` over `y`: its unit, whole-number ticks for counts from
/// zero.
fn metric_y_labels(metric: Headline, y: &Range<f64>) -> YLabels<'static> {
    YLabels {
        desc: metric.unit(),
        ticks: draw::y_ticks(metric.is_count() && y.start == 0.0, y.end),
        format: if metric.is_count() {
            &whole_tick
        } else {
            &tick
        },
    }
}

// ----- the comparison: what to draw ----------------------------------------------------------

/// Everything the comparison chart needs, computed before any pixel is touched.
struct ComparePlan {
    title: String,
    subtitle: String,
    description: String,
    legend: Legend,
    /// Under each bar: the variant's label when every label fits under its bar, else its number
    /// (and the legend numbers the variants).
    bar_names: Vec<String>,
    bars: Vec<BarChart>,
    axis: TimeAxis,
    /// The warm-up and the events, above the time panels and as lines on them.
    strip: EventStrip,
    panels: Vec<TimePanel>,
    layout: CompareLayout,
}

/// Pixel rows of the parts of the comparison chart, top to bottom.
#[derive(Clone, Debug, PartialEq)]
struct CompareLayout {
    height: u32,
    legend_top: u32,
    bars_title: u32,
    bar_cells: Vec<(u32, u32, u32, u32)>,
    series_title: u32,
    series_legend_top: u32,
    strip: Range<u32>,
    panels: Vec<Range<u32>>,
}

impl CompareLayout {
    /// The layout of a chart with `metrics` bar charts.
    fn new(legend_rows: u32, strip_height: u32, metrics: usize) -> Self {
        let legend_top = HEADER_HEIGHT;
        let bars_title = legend_top + legend_rows * LEGEND_ROW + 4;
        let grid_top = bars_title + SECTION_HEIGHT;
        let bar_cells = grid_cells(grid_top, BAR_CELL_HEIGHT, metrics);
        let series_title = grid_top + grid_height(BAR_CELL_HEIGHT, metrics) + SECTION_GAP;
        let series_legend_top = series_title + SECTION_HEIGHT;
        let strip_top = series_legend_top + legend_rows * LEGEND_ROW + 4;
        let strip = strip_top..strip_top + strip_height;
        let panels: Vec<Range<u32>> = (0..PANEL_TITLES.len() as u32)
            .map(|i| {
                let top = strip.end + i * (PANEL_HEIGHT + PANEL_GAP);
                top..top + PANEL_HEIGHT
            })
            .collect();
        let height = panels.last().map_or(strip.end, |p| p.end) + MARGIN;
        Self {
            height,
            legend_top,
            bars_title,
            bar_cells,
            series_title,
            series_legend_top,
            strip,
            panels,
        }
    }
}

/// One metric's bars.
struct BarChart {
    metric: Headline,
    bars: Vec<Bar>,
    objectives: Vec<ObjectiveLine>,
}

struct Bar {
    look: Look,
    /// `None` when the variant has no finite value for the metric.
    mean: Option<f64>,
    /// The 95 % interval, when there is one (more than one seed, some spread).
    interval: Option<(f64, f64)>,
}

impl Bar {
    fn of(look: Look, metric: Headline, estimate: Option<&Estimate>) -> Self {
        let mean = estimate.and_then(|e| finite(e.mean));
        let interval = estimate.and_then(|e| interval(e, metric));
        Self {
            look,
            mean,
            interval,
        }
    }

    /// Where the printed value goes: above the bar and its whisker.
    fn top(&self) -> f64 {
        let mean = self.mean.unwrap_or(0.0);
        self.interval
            .map_or(mean, |(_, high)| high.max(mean))
            .max(0.0)
    }
}

impl BarChart {
    fn y_range(&self) -> Range<f64> {
        let values = self.bars.iter().flat_map(|b| {
            let (low, high) = b.interval.unwrap_or((0.0, 0.0));
            [b.mean.unwrap_or(0.0), low, high]
        });
        value_range(values.chain(thresholds(&self.objectives)), 0.16)
    }
}

const PANEL_TITLES: [&str; 4] = [
    "Successful requests",
    "p99 latency of successful requests",
    "Instances ready",
    "Lost sessions, cumulative",
];

struct TimePanel {
    title: &'static str,
    y_desc: &'static str,
    scale: Scale,
    lines: Vec<TimeLine>,
    /// Said over the plot when every value is zero.
    all_zero: Option<&'static str>,
    /// Drawn only over data: a threshold alone does not make a panel.
    objectives: Vec<ObjectiveLine>,
}

struct TimeLine {
    look: Look,
    /// Unbroken runs of `(x in axis units, y)`.
    segments: Vec<Vec<(f64, f64)>>,
}

impl TimeLine {
    fn new(look: Look, points: impl IntoIterator<Item = Option<(f64, f64)>>) -> Self {
        Self {
            look,
            segments: draw::segments(points),
        }
    }
}

impl TimePanel {
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.lines
            .iter()
            .flat_map(|l| l.segments.iter().flatten().map(|&(_, y)| y))
    }

    fn has_data(&self) -> bool {
        self.lines.iter().any(|l| !l.segments.is_empty())
    }

    /// The values the y axis must hold: the lines', and the thresholds drawn over them.
    fn extent(&self) -> impl Iterator<Item = f64> + '_ {
        let drawn: &[ObjectiveLine] = if self.has_data() {
            &self.objectives
        } else {
            &[]
        };
        self.values().chain(thresholds(drawn))
    }

    fn max(&self) -> f64 {
        self.extent().fold(0.0, f64::max)
    }

    fn min_positive(&self) -> Option<f64> {
        self.extent().filter(|&v| v > 0.0).min_by(f64::total_cmp)
    }
}

impl ComparePlan {
    fn of(c: &Comparison) -> Result<Self> {
        draw::register_fonts()?;
        let looks: Vec<Look> = (0..c.variants.len()).map(Look::of).collect();
        let names = bar_names(c)?;
        let numbered = names.iter().zip(&c.variants).any(|(n, v)| *n != v.label);
        let legend = Legend::of(
            c.variants
                .iter()
                .zip(&looks)
                .zip(&names)
                .map(|((v, &look), name)| (look, numbered.then(|| name.clone()), v.label.clone()))
                .collect(),
        )?;
        let bars: Vec<BarChart> = c
            .metrics()
            .iter()
            .map(|&metric| BarChart {
                metric,
                bars: c
                    .variants
                    .iter()
                    .zip(&looks)
                    .map(|(v, &look)| Bar::of(look, metric, v.estimate(metric)))
                    .collect(),
                objectives: objective_lines(c.verdict(), metric),
            })
            .collect();

        let axis = TimeAxis::new(comparison_end_s(c), c.warmup_s);
        let strip = EventStrip::new(
            axis,
            plot_columns(),
            c.timeline.iter().map(|e| (e.t_s, describe(&e.event))),
        )?;

        let seeds = c.seeds.len();
        let subtitle = format!(
            "{} × {} · {}",
            plural(c.variants.len(), "variant", "variants"),
            plural(seeds, "seed", "seeds"),
            if seeds > 1 {
                "mean ± 95 % confidence interval"
            } else {
                "one seed: no confidence interval"
            }
        );
        Ok(Self {
            title: c.scenario.clone(),
            subtitle,
            description: c.description.clone(),
            layout: CompareLayout::new(legend.rows as u32, strip.height(), bars.len()),
            legend,
            bar_names: names,
            bars,
            panels: time_panels(c, &axis, &looks),
            strip,
            axis,
        })
    }
}

/// The variants' labels under their bars if every one fits there, else their numbers from 1.
fn bar_names(c: &Comparison) -> Result<Vec<String>> {
    let slot = cell_plot_width() / c.variants.len().max(1) as i32;
    let name_font = font(NAME_SIZE);
    let mut fits = true;
    for v in &c.variants {
        fits &= text_width(&v.label, &name_font)? + 6 <= slot;
    }
    Ok(c.variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if fits {
                v.label.clone()
            } else {
                (i + 1).to_string()
            }
        })
        .collect())
}

/// `(start, width)` of each row's window in seconds: a window ends where the next starts; the
/// last is as wide as the one before it (a lone window has no width).
fn windows(rows: &[SeriesRow]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let width = match rows.get(i + 1) {
            Some(next) => next.t_s - row.t_s,
            None => out.last().map_or(0.0, |&(_, w)| w),
        };
        out.push((row.t_s, if width > 0.0 { width } else { 0.0 }));
    }
    out
}

/// End of the runs in seconds: the end of the last window of any variant; without any windows,
/// a little past the warm-up and the last event, so that its label has room.
fn comparison_end_s(c: &Comparison) -> f64 {
    let series_end = c
        .variants
        .iter()
        .flat_map(|v| {
            windows(&v.series)
                .last()
                .map(|&(start, width)| start + width)
        })
        .filter_map(finite)
        .fold(0.0, f64::max);
    if series_end > 0.0 {
        return series_end;
    }
    c.timeline
        .iter()
        .map(|e| e.t_s)
        .chain([c.warmup_s])
        .filter_map(finite)
        .fold(0.0, f64::max)
        * 1.1
}

/// A variant's points on one panel from its rows and their windows; `None` breaks the line.
type PointsOf<'a> = dyn Fn(&[SeriesRow], &[(f64, f64)]) -> Vec<Option<(f64, f64)>> + 'a;

fn time_panels(c: &Comparison, axis: &TimeAxis, looks: &[Look]) -> Vec<TimePanel> {
    let lines = |points: &PointsOf| {
        c.variants
            .iter()
            .zip(looks)
            .map(|(v, &look)| TimeLine::new(look, points(&v.series, &windows(&v.series))))
            .collect::<Vec<_>>()
    };
    // Rates and latencies belong to the middle of their window.
    let middle = |f: fn(&SeriesRow) -> Option<f64>| {
        move |rows: &[SeriesRow], windows: &[(f64, f64)]| {
            rows.iter()
                .zip(windows)
                .map(|(row, &(start, width))| Some((axis.x(start + width / 2.0), f(row)?)))
                .collect::<Vec<_>>()
        }
    };
    let throughput = lines(&middle(|r| Some(r.throughput)));
    // A window without a success has no latency: a gap, not a zero.
    let p99 = lines(&middle(|r| (r.p99_ms > 0.0).then_some(r.p99_ms)));
    // Instances are held over their window, as steps.
    let ready = lines(&|rows, windows| {
        rows.iter()
            .zip(windows)
            .flat_map(|(row, &(start, width))| {
                let v = row.instances_ready;
                [Some((axis.x(start), v)), Some((axis.x(start + width), v))]
            })
            .collect()
    });
    // A cumulative count stands at the end of its window.
    let lost = lines(&|rows, windows| {
        rows.iter()
            .zip(windows)
            .map(|(row, &(start, width))| Some((axis.x(start + width), row.sessions_lost_total)))
            .collect()
    });
    let mut latency = TimePanel {
        title: PANEL_TITLES[1],
        y_desc: "p99 (ms)",
        scale: Scale::Linear,
        lines: p99,
        all_zero: None,
        objectives: objective_lines(c.verdict(), Headline::P99),
    };
    // A timeout-length spike would flatten every other line against the axis.
    if latency
        .min_positive()
        .is_some_and(|min| latency.max() / min > 20.0)
    {
        latency.scale = Scale::Log;
        latency.y_desc = "p99 (ms, log scale)";
    }
    vec![
        TimePanel {
            title: PANEL_TITLES[0],
            y_desc: "requests/s",
            scale: Scale::Linear,
            lines: throughput,
            all_zero: None,
            objectives: Vec::new(),
        },
        latency,
        TimePanel {
            title: PANEL_TITLES[2],
            y_desc: "instances",
            scale: Scale::Count,
            lines: ready,
            all_zero: None,
            objectives: Vec::new(),
        },
        TimePanel {
            title: PANEL_TITLES[3],
            y_desc: "sessions",
            scale: Scale::Count,
            lines: lost,
            all_zero: Some("no lost sessions"),
            objectives: Vec::new(),
        },
    ]
}

/// Left and right pixel columns of the time panels' plotting area, shared by the strip.
fn plot_columns() -> (i32, i32) {
    draw::plot_columns(PANEL_AXIS_WIDTH, PANEL_RIGHT)
}

// ----- the comparison: drawing ---------------------------------------------------------------

fn draw_comparison<DB>(root: &DrawingArea<DB, Shift>, plan: &ComparePlan) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    root.fill(&palette::WHITE)?;
    let layout = &plan.layout;
    draw_header(root, &plan.title, &plan.subtitle, &plan.description)?;
    draw_legend(root, &plan.legend, layout.legend_top)?;
    draw_section_title(root, "Headline metrics after warm-up", layout.bars_title)?;
    for (chart, &(x, y, w, h)) in plan.bars.iter().zip(&layout.bar_cells) {
        let cell = root.clone().shrink((x, y), (w, h));
        draw_bar_chart(&cell, chart, &plan.bar_names)?;
    }
    draw_section_title(root, "Over time, averaged over seeds", layout.series_title)?;
    draw_legend(root, &plan.legend, layout.series_legend_top)?;
    plan.strip.draw(root, &layout.strip)?;
    for (panel, rows) in plan.panels.iter().zip(&layout.panels) {
        let area = draw::rows_area(root, rows);
        match panel.scale.coord(panel.max(), panel.min_positive()) {
            YCoord::Log(y) => draw_time_panel(&area, panel, plan, y)?,
            YCoord::Linear(y) => draw_time_panel(&area, panel, plan, y)?,
        }
    }
    Ok(())
}

fn draw_bar_chart<DB>(
    cell: &DrawingArea<DB, Shift>,
    chart: &BarChart,
    names: &[String],
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let n = chart.bars.len();
    let y = chart.y_range();
    let keys: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
    let x = Ticked::new(0.0..n.max(1) as f64, keys);
    let mut ctx = cell_chart(cell, chart.metric, x, y.clone(), BAR_NAMES_HEIGHT)?;
    let name = |v: &f64| names.get(v.floor() as usize).cloned().unwrap_or_default();
    let y_labels = metric_y_labels(chart.metric, &y);
    draw::house_mesh(&mut ctx.configure_mesh(), &y_labels)
        .disable_x_mesh()
        .x_label_formatter(&name)
        .x_label_style(TextStyle::from(font(NAME_SIZE)))
        .draw()?;

    let slot_px = cell_plot_width() / n.max(1) as i32;
    let value_font = if slot_px >= 60 {
        font(VALUE_SIZE)
    } else {
        font(VALUE_SIZE - 2.0)
    };
    for (i, bar) in chart.bars.iter().enumerate() {
        let x = i as f64;
        let Some(mean) = bar.mean else {
            continue;
        };
        let (low, high) = if mean >= 0.0 {
            (0.0, mean)
        } else {
            (mean, 0.0)
        };
        let corners = [(x + 0.18, high), (x + 0.82, low)];
        ctx.draw_series(std::iter::once(Rectangle::new(corners, bar_fill(bar.look))))?;
        if bar.look.dashed {
            ctx.draw_series(std::iter::once(Rectangle::new(
                corners,
                bar.look.color.stroke_width(2),
            )))?;
        }
        if let Some((low, high)) = bar.interval {
            // A black whisker with a white halo reads on every bar colour, black included.
            let centre = x + 0.5;
            let whisker = [
                vec![(centre, low), (centre, high)],
                vec![(centre - 0.1, low), (centre + 0.1, low)],
                vec![(centre - 0.1, high), (centre + 0.1, high)],
            ];
            for (colour, width) in [(palette::WHITE, 5), (palette::BLACK, 2)] {
                for path in &whisker {
                    ctx.draw_series(std::iter::once(PathElement::new(
                        path.clone(),
                        colour.stroke_width(width),
                    )))?;
                }
            }
        }
        let text = short(mean);
        if text_width(&text, &value_font)? <= slot_px - 2 {
            ctx.draw_series(std::iter::once(
                EmptyElement::at((x + 0.5, bar.top()))
                    + Text::new(
                        text,
                        (0, -5),
                        TextStyle::from(value_font.clone())
                            .pos(Pos::new(HPos::Center, VPos::Bottom)),
                    ),
            ))?;
        }
    }
    draw_objective_lines(&mut ctx, &chart.objectives)?;
    if n == 0 {
        let plot = ctx.plotting_area().get_pixel_range();
        draw::draw_note(cell, plot, "no variants", TITLE_SIZE)?;
    }
    Ok(())
}

/// Stroke width of line `index` of `count`: from 6 px for the first down to 2 px for the last.
fn line_width(index: usize, count: usize) -> u32 {
    if count <= 1 {
        return 2;
    }
    let rank = (count - 1 - index.min(count - 1)) as u32;
    2 + rank * 4 / (count as u32 - 1)
}

fn draw_time_panel<DB, Y>(
    area: &DrawingArea<DB, Shift>,
    panel: &TimePanel,
    plan: &ComparePlan,
    y: Y,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (title_row, body) = area.split_vertically(PANEL_TITLE_HEIGHT);
    let middle = PANEL_TITLE_HEIGHT as i32 / 2;
    draw::draw_title(
        &title_row,
        panel.title,
        (PANEL_AXIS_WIDTH as i32, middle),
        TITLE_SIZE,
    )?;
    let mut chart = ChartBuilder::on(&body)
        .set_label_area_size(LabelAreaPosition::Left, PANEL_AXIS_WIDTH)
        .margin_right(PANEL_RIGHT)
        .set_label_area_size(LabelAreaPosition::Bottom, PANEL_X_AXIS_HEIGHT)
        .build_cartesian_2d(plan.axis.range(), y)?;
    let counts = panel.scale == Scale::Count;
    let y_labels = YLabels {
        desc: panel.y_desc,
        ticks: draw::y_ticks(counts, chart.y_range().end),
        format: if counts { &whole_tick } else { &tick },
    };
    draw::draw_time_frame(&mut chart, &plan.strip, &y_labels)?;
    // Variants often coincide (the same seeds, the same load): each is drawn a little thinner
    // than the one before it, so coinciding lines show as stripes of every colour rather than
    // as the last one alone. Dashed lines go over solid ones, showing them between the dashes.
    let mut lines: Vec<(u32, &TimeLine)> = panel
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| (line_width(i, panel.lines.len()), line))
        .collect();
    lines.sort_by_key(|(_, l)| l.look.dashed);
    for (width, line) in lines {
        let style = line.look.color.stroke_width(width);
        for segment in &line.segments {
            draw::draw_line(&mut chart, segment, style, line.look.dashed)?;
        }
    }
    for (i, line) in panel.lines.iter().enumerate() {
        draw_markers(&mut chart, line, i, panel.lines.len())?;
    }
    if panel.has_data() {
        draw_objective_lines(&mut chart, &panel.objectives)?;
    }
    draw::draw_event_numbers(&mut chart, &plan.strip)?;
    let every_value_zero = panel.values().all(|v| v == 0.0);
    let note = draw::panel_note(panel.has_data(), every_value_zero, panel.all_zero);
    if let Some(note) = note {
        let plot = chart.plotting_area().get_pixel_range();
        draw::draw_note(area, plot, note, TITLE_SIZE)?;
    }
    Ok(())
}

/// Markers along a line, about this many per line.
const MARKERS_PER_LINE: usize = 12;

/// The points of a line of `points` points that carry line `index` of `count`'s markers: every
/// `step`-th, starting `index · step / count` in, so that coinciding lines put their markers at
/// different places and each shows along the line.
fn marker_points(points: usize, index: usize, count: usize) -> impl Iterator<Item = usize> {
    let count = count.max(1);
    let step = (points / MARKERS_PER_LINE).max(count).max(1);
    let offset = index.min(count - 1) * step / count;
    (offset..points).step_by(step)
}

/// Line `index`'s markers in its colour, in the shape of its index (circle, square, triangle,
/// cross): with the marker placement of [`marker_points`], variants whose values are identical
/// still show, each with its own markers, where their lines lie one over the other.
fn draw_markers<DB, Y>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, Y>>,
    line: &TimeLine,
    index: usize,
    count: usize,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    let points: Vec<(f64, f64)> = line.segments.iter().flatten().copied().collect();
    let fill = line.look.color.filled();
    for i in marker_points(points.len(), index, count) {
        let p = points[i];
        match index % 4 {
            0 => chart.draw_series(std::iter::once(Circle::new(p, 5, fill)))?,
            1 => chart.draw_series(std::iter::once(
                EmptyElement::at(p) + Rectangle::new([(-4, -4), (4, 4)], fill),
            ))?,
            2 => chart.draw_series(std::iter::once(TriangleMarker::new(p, 6, fill)))?,
            _ => chart.draw_series(std::iter::once(Cross::new(
                p,
                5,
                line.look.color.stroke_width(3),
            )))?,
        };
    }
    Ok(())
}

// ----- the sweep -----------------------------------------------------------------------------

/// Everything the sweep chart needs.
struct SweepPlan {
    title: String,
    subtitle: String,
    axes_line: String,
    /// Only when there is more than one line to tell apart.
    legend: Legend,
    x: SweepAxis,
    charts: Vec<SweepChart>,
    grid_top: u32,
    height: u32,
}

/// The first axis: numbers on a numeric axis, anything else evenly spaced.
#[derive(Clone, Debug, PartialEq)]
struct SweepAxis {
    desc: String,
    range: Range<f64>,
    /// Tick positions and their labels.
    ticks: Vec<(f64, String)>,
}

struct SweepChart {
    metric: Headline,
    lines: Vec<SweepLine>,
    objectives: Vec<ObjectiveLine>,
}

struct SweepLine {
    look: Look,
    /// `(x, estimate)` in the order of x.
    points: Vec<(f64, Estimate)>,
}

impl SweepChart {
    fn y_range(&self) -> Range<f64> {
        let values = self.lines.iter().flat_map(|l| {
            l.points.iter().flat_map(|(_, e)| {
                let (low, high) = interval(e, self.metric).unwrap_or((e.mean, e.mean));
                [e.mean, low, high]
            })
        });
        value_range(values.chain(thresholds(&self.objectives)), 0.12)
    }

    fn has_data(&self) -> bool {
        self.lines.iter().any(|l| !l.points.is_empty())
    }
}

/// An estimate's 95 % interval, when it has one, clamped to what `metric` can take (a whisker
/// of lost sessions stops at zero, as the tables' intervals do).
fn interval(e: &Estimate, metric: Headline) -> Option<(f64, f64)> {
    if e.n > 1 && e.half_width > 0.0 {
        let (low, high) = e.bounded(metric.bounds());
        Some((finite(low)?, finite(high)?))
    } else {
        None
    }
}

impl SweepPlan {
    fn of(s: &SweepSummary) -> Result<Self> {
        draw::register_fonts()?;
        let first = s.axes.first();
        let values: &[String] = first.map_or(&[], |a| a.values.as_slice());
        let numbers: Option<Vec<f64>> = values
            .iter()
            .map(|v| v.trim().parse::<f64>().ok().and_then(finite))
            .collect();
        let numbers = numbers.filter(|n| !n.is_empty());
        let position = |value: &str| -> Option<f64> {
            let index = values.iter().position(|v| v == value)?;
            match &numbers {
                Some(numbers) => Some(numbers[index]),
                None => Some(index as f64),
            }
        };
        let x = sweep_axis(first.map_or("", |a| a.path.as_str()), values, &numbers)?;

        // One line per combination of the other axes' values, in grid order.
        let mut keys: Vec<&[String]> = Vec::new();
        for point in &s.points {
            let key = point.values.get(1..).unwrap_or(&[]);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let charts: Vec<SweepChart> = s
            .metrics
            .iter()
            .map(|&metric| SweepChart {
                metric,
                lines: keys
                    .iter()
                    .enumerate()
                    .map(|(i, key)| {
                        let mut points: Vec<(f64, Estimate)> = s
                            .points
                            .iter()
                            .filter(|p| p.values.get(1..).unwrap_or(&[]) == *key)
                            .filter_map(|p| {
                                let x = position(p.values.first()?)?;
                                let e = *p.estimates.get(metric.index())?;
                                finite(e.mean).map(|_| (x, e))
                            })
                            .collect();
                        points.sort_by(|a, b| a.0.total_cmp(&b.0));
                        SweepLine {
                            look: Look::of(i),
                            points,
                        }
                    })
                    .collect(),
                objectives: objective_lines(
                    s.points.iter().find_map(|p| p.verdict.as_ref()),
                    metric,
                ),
            })
            .collect();
        let legend = if keys.len() > 1 {
            Legend::of(
                keys.iter()
                    .enumerate()
                    .map(|(i, key)| {
                        let text = s
                            .axes
                            .iter()
                            .skip(1)
                            .zip(key.iter())
                            .map(|(axis, value)| format!("{}={value}", axis.path))
                            .collect::<Vec<_>>()
                            .join(", ");
                        (Look::of(i), None, text)
                    })
                    .collect(),
            )?
        } else {
            Legend {
                items: Vec::new(),
                rows: 0,
            }
        };

        let subtitle = format!(
            "{} · {} per point · {}",
            if s.axes.is_empty() {
                "no axes".to_owned()
            } else {
                s.axes
                    .iter()
                    .map(|a| a.path.as_str())
                    .collect::<Vec<_>>()
                    .join(" × ")
            },
            plural(s.seeds, "seed", "seeds"),
            if s.seeds > 1 {
                "mean ± 95 % confidence interval"
            } else {
                "one seed: no confidence interval"
            }
        );
        let axes_line = s
            .axes
            .iter()
            .map(|a| format!("{}: {}", a.path, a.values.join(", ")))
            .collect::<Vec<_>>()
            .join(" · ");
        let grid_top = HEADER_HEIGHT + legend.height() + if legend.rows > 0 { 8 } else { 0 };
        Ok(Self {
            title: s.scenario.clone(),
            subtitle,
            axes_line,
            height: grid_top + grid_height(SWEEP_CELL_HEIGHT, charts.len()) + MARGIN,
            legend,
            x,
            charts,
            grid_top,
        })
    }
}

/// The x axis of a sweep: its values as numbers when they all are, else as evenly spaced names.
fn sweep_axis(path: &str, values: &[String], numbers: &Option<Vec<f64>>) -> Result<SweepAxis> {
    let tick_font = font(TICK_SIZE);
    let width = f64::from(cell_plot_width());
    if let Some(numbers) = numbers {
        let (min, max) = numbers
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let pad = if max > min {
            (max - min) * 0.06
        } else {
            (min.abs() * 0.1).max(1.0)
        };
        let range = min - pad..max + pad;
        // Ticks at the swept values, if their labels do not collide; else plotters' round ones.
        let mut at_values: Vec<f64> = numbers.clone();
        at_values.sort_by(f64::total_cmp);
        at_values.dedup();
        let px = |v: f64| (v - range.start) / (range.end - range.start) * width;
        let mut fits = at_values.len() <= 16;
        for pair in at_values.windows(2) {
            let half = |v: f64| -> Result<f64> {
                Ok(f64::from(text_width(&number(v), &tick_font)?) / 2.0)
            };
            fits &= px(pair[1]) - px(pair[0]) >= half(pair[0])? + half(pair[1])? + 8.0;
        }
        let ticks = if fits {
            at_values
        } else {
            RangedCoordf64::from(range.clone()).key_points(8)
        };
        return Ok(SweepAxis {
            desc: path.to_owned(),
            ticks: ticks.into_iter().map(|v| (v, number(v))).collect(),
            range,
        });
    }
    let n = values.len().max(1);
    let slot = (width / n as f64) as i32 - 6;
    let mut ticks = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        ticks.push((i as f64, fit(value, &tick_font, slot)?));
    }
    Ok(SweepAxis {
        desc: path.to_owned(),
        range: -0.5..n as f64 - 0.5,
        ticks,
    })
}

fn draw_sweep<DB>(root: &DrawingArea<DB, Shift>, plan: &SweepPlan) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    root.fill(&palette::WHITE)?;
    draw_header(root, &plan.title, &plan.subtitle, &plan.axes_line)?;
    draw_legend(root, &plan.legend, HEADER_HEIGHT)?;
    for (chart, (x, y, w, h)) in plan.charts.iter().zip(grid_cells(
        plan.grid_top,
        SWEEP_CELL_HEIGHT,
        plan.charts.len(),
    )) {
        let cell = root.clone().shrink((x, y), (w, h));
        draw_sweep_chart(&cell, chart, &plan.x)?;
    }
    Ok(())
}

fn draw_sweep_chart<DB>(
    cell: &DrawingArea<DB, Shift>,
    chart: &SweepChart,
    x: &SweepAxis,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let y = chart.y_range();
    let keys: Vec<f64> = x.ticks.iter().map(|&(v, _)| v).collect();
    let ticked = Ticked::new(x.range.clone(), keys);
    let mut ctx = cell_chart(cell, chart.metric, ticked, y.clone(), SWEEP_X_AXIS_HEIGHT)?;
    let x_formatter = |v: &f64| {
        x.ticks
            .iter()
            .find(|(t, _)| (t - v).abs() < 1e-9)
            .map(|(_, label)| label.clone())
            .unwrap_or_default()
    };
    let y_labels = metric_y_labels(chart.metric, &y);
    draw::house_mesh(&mut ctx.configure_mesh(), &y_labels)
        .x_label_formatter(&x_formatter)
        .x_desc(x.desc.as_str())
        .draw()?;

    // Lines at the same x are nudged apart by a few pixels, so their whiskers do not hide one
    // another.
    let (columns, _) = ctx.plotting_area().get_pixel_range();
    let units_per_px =
        (x.range.end - x.range.start) / f64::from((columns.end - columns.start).max(1));
    let count = chart.lines.len();
    let step_px = if count > 1 {
        (24.0 / count as f64).min(5.0)
    } else {
        0.0
    };
    for (i, line) in chart.lines.iter().enumerate() {
        let nudge = (i as f64 - (count as f64 - 1.0) / 2.0) * step_px * units_per_px;
        let points: Vec<(f64, f64)> = line
            .points
            .iter()
            .map(|(x, e)| (x + nudge, e.mean))
            .collect();
        // One width for all: the nudge already shows lines with equal values apart at their
        // markers, and a sweep's lines seldom coincide all along as time series do.
        draw::draw_line(&mut ctx, &points, line.look.line(), line.look.dashed)?;
        let cap = 5.0 * units_per_px;
        for (&(x, _), (_, e)) in points.iter().zip(&line.points) {
            if let Some((low, high)) = interval(e, chart.metric) {
                for path in [
                    vec![(x, low), (x, high)],
                    vec![(x - cap, low), (x + cap, low)],
                    vec![(x - cap, high), (x + cap, high)],
                ] {
                    ctx.draw_series(std::iter::once(PathElement::new(path, line.look.line())))?;
                }
            }
        }
        let marker = if line.look.dashed {
            palette::WHITE.filled()
        } else {
            line.look.color.filled()
        };
        let radius = 4;
        for &point in &points {
            ctx.draw_series(std::iter::once(Circle::new(point, radius, marker)))?;
            if line.look.dashed {
                ctx.draw_series(std::iter::once(Circle::new(
                    point,
                    radius,
                    line.look.line(),
                )))?;
            }
        }
    }
    if chart.has_data() {
        draw_objective_lines(&mut ctx, &chart.objectives)?;
    } else {
        draw::draw_note(
            cell,
            ctx.plotting_area().get_pixel_range(),
            "no data",
            TITLE_SIZE,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{TimelineEntry, TimelineEvent};
    use crate::report::draw::pixels::{decode, rgb, PNG_SIGNATURE};
    use crate::study::compare::VariantSummary;
    use crate::study::grid::Axis;
    use crate::study::outcome::Outcome;
    use crate::study::sweep::SweepPoint;
    use image::{Rgb, RgbImage};

    /// A variant of the crash story: 120 windows of 10 s, one instance of two crashing at 600 s.
    /// `lost` sessions go with it (all of them at once), the p99 peaks at `spike_ms` in the crash
    /// window, and a replacement is ready at 700 s.
    fn series(lost: f64, spike_ms: f64) -> Vec<SeriesRow> {
        (0..120)
            .map(|i| {
                let t_s = f64::from(i) * 10.0;
                // A gentle daily-traffic wiggle so the lines are not ruler-straight.
                let wiggle = (f64::from(i) / 7.0).sin();
                let ready = if (61..70).contains(&i) { 1.0 } else { 2.0 };
                SeriesRow {
                    t_s,
                    throughput: 1_100.0 + 40.0 * wiggle - if i == 60 { 300.0 } else { 0.0 },
                    failures: if i == 60 { 120.0 } else { 0.0 },
                    p99_ms: if i == 60 {
                        spike_ms
                    } else if (61..70).contains(&i) {
                        95.0 + 5.0 * wiggle
                    } else {
                        60.0 + 4.0 * wiggle
                    },
                    instances_ready: ready,
                    sessions_lost_total: if i >= 60 { lost } else { 0.0 },
                }
            })
            .collect()
    }

    /// Outcomes over `seeds` seeds, spread around the given means by a seed-dependent amount.
    fn variant(label: &str, means: [f64; 6], seeds: usize, rows: Vec<SeriesRow>) -> VariantSummary {
        let outcomes: Vec<Outcome> = (0..seeds)
            .map(|seed| {
                let spread = [-0.08, 0.05, -0.02, 0.07, -0.03][seed % 5];
                Outcome::from_values(means.map(|m| m * (1.0 + spread)))
            })
            .collect();
        VariantSummary {
            label: label.to_owned(),
            overrides: vec![format!("sessions.{label}")],
            estimates: Headline::ALL
                .iter()
                .map(|&metric| Estimate::of_metric(&outcomes, metric))
                .collect(),
            outcomes,
            series: rows,
            verdict: None,
        }
    }

    /// In-memory sessions lose everyone on the crashed instance; Redis and JWT lose nobody.
    fn comparison(seeds: usize) -> Comparison {
        Comparison {
            scenario: "crash-sticky".to_owned(),
            description: "One of two instances crashes; where do the sessions live?".to_owned(),
            seeds: (1..=seeds as u64).collect(),
            warmup_s: 120.0,
            timeline: vec![
                TimelineEntry {
                    t_s: 600.0,
                    event: TimelineEvent::Crash { instances: vec![1] },
                    sessions_affected: 3_217,
                },
                TimelineEntry {
                    t_s: 610.0,
                    event: TimelineEvent::MarkedDown {
                        instance: 1,
                        replaced: false,
                    },
                    sessions_affected: 0,
                },
            ],
            variants: vec![
                variant(
                    "store=in-memory",
                    [3_217.0, 4_543.0, 18.0, 118.7, 1_560.0, 2.0],
                    seeds,
                    series(3_217.0, 4_987.0),
                ),
                variant(
                    "store=redis",
                    [0.0, 1_310.0, 19.5, 96.0, 1_560.0, 2.0],
                    seeds,
                    series(0.0, 250.0),
                ),
                variant(
                    "store=jwt",
                    [0.0, 1_290.0, 18.4, 91.0, 1_560.0, 2.0],
                    seeds,
                    series(0.0, 180.0),
                ),
            ],
        }
    }

    /// instances.count × sessions.store, five seeds a point: more instances, fewer lost sessions.
    fn sweep() -> SweepSummary {
        let counts = ["2", "4", "8", "16"];
        let stores = ["in-memory", "redis"];
        let mut points = Vec::new();
        for count in counts {
            for store in stores {
                let n: f64 = count.parse().expect("a number");
                let lost = if store == "redis" { 0.0 } else { 6_400.0 / n };
                let samples = |mean: f64| -> Estimate {
                    Estimate::of(&[mean * 0.9, mean, mean * 1.1, mean * 0.95, mean * 1.05])
                };
                points.push(SweepPoint {
                    values: vec![count.to_owned(), store.to_owned()],
                    estimates: vec![
                        samples(lost),
                        samples(lost * 1.4 + 200.0),
                        samples(18.0 + 40.0 / n),
                        samples(90.0 + 400.0 / n + if store == "redis" { 6.0 } else { 0.0 }),
                        samples(780.0 * n),
                        samples(2.0),
                    ],
                    verdict: None,
                });
            }
        }
        SweepSummary {
            scenario: "crash-sticky".to_owned(),
            axes: vec![
                Axis {
                    path: "instances.count".to_owned(),
                    values: counts.map(str::to_owned).to_vec(),
                },
                Axis {
                    path: "sessions.store".to_owned(),
                    values: stores.map(str::to_owned).to_vec(),
                },
            ],
            seeds: 5,
            metrics: Headline::shown(false),
            points,
        }
    }

    /// Pixels of `image` in the rectangle `(x, y, w, h)` below its title row for which `keep`
    /// holds.
    fn count_in(
        image: &RgbImage,
        cell: (u32, u32, u32, u32),
        keep: impl Fn(Rgb<u8>) -> bool,
    ) -> usize {
        let (x, y, w, h) = cell;
        (y + CELL_TITLE_HEIGHT..y + h)
            .flat_map(|py| (x..x + w).map(move |px| (px, py)))
            .filter(|&(px, py)| keep(*image.get_pixel(px, py)))
            .count()
    }

    #[test]
    fn the_comparison_svg_names_every_variant_metric_panel_and_event() {
        let svg = compare_svg(&comparison(5)).expect("renders");
        for text in [
            "crash-sticky",
            "3 variants × 5 seeds · mean ± 95 % confidence interval",
            "store=in-memory",
            "store=redis",
            "store=jwt",
            "crash instance 1",
            "instance 1 marked down",
            "warm-up",
            "simulated time (min)",
            "p99 (ms, log scale)",
            "requests/s",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        for metric in Headline::shown(false) {
            assert!(svg.contains(metric.label()), "{}", metric.label());
            assert!(svg.contains(metric.unit()), "{}", metric.unit());
        }
        // No run had connections: no chart of theirs.
        for metric in Headline::ALL.iter().filter(|m| m.needs_connections()) {
            assert!(!svg.contains(metric.label()), "{}", metric.label());
        }
        for title in PANEL_TITLES {
            assert!(svg.contains(title), "{title}");
        }
        assert!(!svg.contains("no data"));
    }

    #[test]
    fn a_comparison_with_connections_has_a_bar_chart_per_connection_metric_too() {
        let plain = comparison(5);
        let chat = crate::study::compare::tests::comparison_of(
            &crate::report::fixtures::crash_sticky_with_connections(),
        );
        let (plain_plan, chat_plan) = (
            ComparePlan::of(&plain).expect("a plan"),
            ComparePlan::of(&chat).expect("a plan"),
        );
        assert_eq!(plain_plan.bars.len(), 6);
        assert_eq!(plain_plan.layout.bar_cells.len(), 6);
        assert_eq!(chat_plan.bars.len(), Headline::ALL.len());
        // 15 charts in rows of three: five rows, three more than the six metrics' two.
        assert_eq!(chat_plan.layout.bar_cells.len(), 15);
        assert_eq!(
            grid_height(BAR_CELL_HEIGHT, 15) - grid_height(BAR_CELL_HEIGHT, 6),
            3 * (BAR_CELL_HEIGHT + GRID_GAP)
        );
        let svg = compare_svg(&chat).expect("renders");
        for metric in Headline::ALL {
            assert!(svg.contains(metric.label()), "{}", metric.label());
        }
        let png = compare_png(&chat).expect("renders");
        assert_eq!(decode(&png).dimensions(), (WIDTH, chat_plan.layout.height));
    }

    #[test]
    fn a_sweep_with_connections_draws_their_metrics_too() {
        let mut s = sweep();
        s.metrics = Headline::shown(true);
        for p in &mut s.points {
            let extra: Vec<Estimate> = (0..9)
                .map(|i| Estimate::of(&[f64::from(i) + 1.0, f64::from(i) + 2.0]))
                .collect();
            p.estimates.extend(extra);
        }
        let plan = SweepPlan::of(&s).expect("a plan");
        assert_eq!(plan.charts.len(), 15);
        assert_eq!(
            plan.height,
            plan.grid_top + grid_height(SWEEP_CELL_HEIGHT, 15) + MARGIN
        );
        let svg = sweep_svg(&s).expect("renders");
        assert!(svg.contains("Redis pub/sub ops"));
        assert!(!svg.contains("no data"));
    }

    #[test]
    fn the_comparison_png_is_a_png_of_the_planned_size() {
        let c = comparison(5);
        let png = compare_png(&c).expect("renders");
        assert!(png.starts_with(PNG_SIGNATURE));
        let height = ComparePlan::of(&c).expect("a plan").layout.height;
        assert_eq!(decode(&png).dimensions(), (WIDTH, height));
    }

    #[test]
    fn every_variant_draws_its_bars_in_its_own_colour() {
        let c = comparison(5);
        let plan = ComparePlan::of(&c).expect("a plan");
        let image = decode(&compare_png(&c).expect("renders"));
        for (chart, &cell) in plan.bars.iter().zip(&plan.layout.bar_cells) {
            let top = chart.y_range().end;
            for bar in &chart.bars {
                let mean = bar.mean.expect("a value");
                // A bar a twentieth of the axis tall is at least ~10 px × ~70 px.
                if mean < top / 20.0 {
                    continue;
                }
                let drawn = count_in(&image, cell, |p| p == rgb(bar.look.color));
                assert!(drawn > 500, "{}: {drawn} pixels", chart.metric.label());
            }
        }
    }

    /// A verdict over `seeds` seeds against `objectives`, every seed meeting every one: what
    /// the charts read from a verdict is its objectives and thresholds.
    fn judged_by(objectives: &[&str], seeds: usize) -> Verdict {
        use crate::study::objectives::{verdict, Judged};
        let objectives: Vec<crate::scenario::Objective> =
            objectives.iter().map(|t| t.parse().unwrap()).collect();
        let run: Vec<Judged> = objectives
            .iter()
            .map(|_| Judged {
                worst: 1.0,
                met: true,
            })
            .collect();
        verdict(&objectives, &vec![run; seeds], 1.0)
    }

    #[test]
    fn an_objective_is_a_labelled_line_on_the_panels_of_the_metric_it_constrains() {
        let mut c = comparison(5);
        let objectives = ["p99 < 250ms", "lost_sessions == 0", "success >= 99.9%"];
        for v in &mut c.variants {
            v.verdict = Some(judged_by(&objectives, 5));
        }
        let plan = ComparePlan::of(&c).expect("plans");
        let on = |metric: Headline| -> Vec<(String, f64)> {
            let chart = plan.bars.iter().find(|b| b.metric == metric).unwrap();
            chart
                .objectives
                .iter()
                .map(|o| (o.label.clone(), o.value))
                .collect()
        };
        assert_eq!(on(Headline::P99), [("p99 < 250ms".to_owned(), 250.0)]);
        assert_eq!(
            on(Headline::SessionsLost),
            [("lost_sessions == 0".to_owned(), 0.0)]
        );
        // Success has no panel of its own; failed requests have no objective here.
        assert!(on(Headline::FailedRequests).is_empty());
        // The p99 bars reach 127 ms at most: the range stretches to hold the line at 250.
        let p99 = plan
            .bars
            .iter()
            .find(|b| b.metric == Headline::P99)
            .unwrap();
        assert!(p99.y_range().end > 250.0, "{:?}", p99.y_range());
        // Over time, the p99 panel carries it too, and only it.
        let with: Vec<&str> = plan
            .panels
            .iter()
            .filter(|p| !p.objectives.is_empty())
            .map(|p| p.title)
            .collect();
        assert_eq!(with, [PANEL_TITLES[1]]);
        let svg = compare_svg(&c).expect("renders");
        assert_eq!(
            svg.matches("p99 &lt; 250ms\n").count(),
            2,
            "bar and time panel"
        );
        assert!(svg.contains("lost_sessions == 0\n"));
        assert!(!svg.contains("99.9%"));
        // Dark red, dashed: in the PNG its pixels are there, and nowhere without objectives.
        let colour = rgb(OBJECTIVE_COLOUR);
        let red = |c: &Comparison| {
            decode(&compare_png(c).expect("renders"))
                .pixels()
                .filter(|&&p| p == colour)
                .count()
        };
        assert!(red(&c) > 500, "{}", red(&c));
        assert_eq!(red(&comparison(5)), 0);
        assert!(!compare_svg(&comparison(5)).unwrap().contains("250ms"));
        // Still a pure function of its input.
        assert_eq!(svg, compare_svg(&c.clone()).unwrap());
    }

    #[test]
    fn a_sweep_draws_its_objectives_on_the_charts_of_their_metrics() {
        let mut s = sweep();
        for p in &mut s.points {
            p.verdict = Some(judged_by(&["p99 < 1s", "failed_requests <= 100"], 5));
        }
        let plan = SweepPlan::of(&s).expect("plans");
        let p99 = plan
            .charts
            .iter()
            .find(|c| c.metric == Headline::P99)
            .unwrap();
        assert!(p99.y_range().end > 1_000.0, "{:?}", p99.y_range());
        let svg = sweep_svg(&s).expect("renders");
        assert!(svg.contains("p99 &lt; 1s\n"), "the label as written");
        assert!(svg.contains("failed_requests &lt;= 100\n"));
        assert_eq!(svg, sweep_svg(&s.clone()).unwrap());
    }

    #[test]
    fn coinciding_lines_put_their_markers_at_different_windows() {
        // 120 windows, three variants: every 10th window, offset 0, 3 and 6.
        let marks: Vec<Vec<usize>> = (0..3).map(|i| marker_points(120, i, 3).collect()).collect();
        assert_eq!(marks[0][..3], [0, 10, 20]);
        assert_eq!(marks[1][..3], [3, 13, 23]);
        assert_eq!(marks[2][..3], [6, 16, 26]);
        assert!(marks.iter().all(|m| m.len() == 12));
        // Few points: every variant still gets its own.
        let few: Vec<Vec<usize>> = (0..2).map(|i| marker_points(4, i, 2).collect()).collect();
        assert_eq!(few, [vec![0, 2], vec![1, 3]]);
        assert_eq!(marker_points(0, 0, 1).count(), 0);
    }

    #[test]
    fn the_same_comparison_gives_the_same_bytes() {
        let c = comparison(5);
        assert_eq!(
            compare_svg(&c).expect("renders"),
            compare_svg(&c.clone()).expect("renders")
        );
        assert_eq!(
            compare_png(&c).expect("renders"),
            compare_png(&c.clone()).expect("renders")
        );
    }

    #[test]
    fn whiskers_span_the_interval_only_with_more_than_one_seed() {
        let plan = ComparePlan::of(&comparison(5)).expect("a plan");
        let lost = &plan.bars[0].bars[0];
        let (low, high) = lost.interval.expect("an interval");
        // Five seeds at 3,217 × (0.92, 1.05, 0.98, 1.07, 0.97): mean 3,217 × 0.998 = 3,210.566.
        assert!((lost.mean.expect("a mean") - 3_210.566).abs() < 1e-9);
        assert!(low < 3_210.0 && high > 3_211.0);
        // No spread among zeros: no whisker.
        assert!(plan.bars[0].bars[1].interval.is_none());

        let one_seed = comparison(1);
        let plan = ComparePlan::of(&one_seed).expect("a plan");
        assert!(plan
            .bars
            .iter()
            .flat_map(|c| &c.bars)
            .all(|b| b.interval.is_none()));
        let svg = compare_svg(&one_seed).expect("renders");
        assert!(svg.contains("3 variants × 1 seed · one seed: no confidence interval"));
        assert!(compare_png(&one_seed).is_ok());
    }

    #[test]
    fn one_variant_renders_with_its_label_under_its_bar() {
        let mut c = comparison(1);
        c.variants.truncate(1);
        let plan = ComparePlan::of(&c).expect("a plan");
        assert_eq!(plan.bar_names, ["store=in-memory"]);
        assert_eq!(plan.legend.items[0].number, None);
        assert!(compare_svg(&c)
            .expect("renders")
            .contains("1 variant × 1 seed"));
        assert!(compare_png(&c).is_ok());
    }

    #[test]
    fn all_zero_metrics_render_and_say_nothing_was_lost() {
        let mut c = comparison(3);
        for v in &mut c.variants {
            v.outcomes = vec![Outcome::from_values([0.0; 6]); 3];
            v.estimates = vec![Estimate::of(&[0.0, 0.0, 0.0]); 6];
            for row in &mut v.series {
                *row = SeriesRow {
                    t_s: row.t_s,
                    ..SeriesRow::default()
                };
            }
        }
        let svg = compare_svg(&c).expect("renders");
        assert!(svg.contains("no lost sessions"));
        assert!(compare_png(&c).is_ok());
    }

    #[test]
    fn huge_values_get_short_labels() {
        let mut c = comparison(5);
        for v in &mut c.variants {
            for e in &mut v.estimates {
                e.mean *= 1e12;
                e.half_width *= 1e12;
            }
            for row in &mut v.series {
                row.throughput *= 1e12;
                row.sessions_lost_total *= 1e12;
            }
        }
        let svg = compare_svg(&c).expect("renders");
        // 3,210.566 × 10¹² sessions.
        assert!(svg.contains("3.2e15"), "the value over the bar");
        assert!(compare_png(&c).is_ok());
    }

    #[test]
    fn empty_series_leave_every_time_panel_saying_no_data() {
        let mut c = comparison(5);
        for v in &mut c.variants {
            v.series.clear();
        }
        let svg = compare_svg(&c).expect("renders");
        assert_eq!(svg.matches("no data").count(), PANEL_TITLES.len());
        // The events still have a time axis to stand on.
        assert!(svg.contains("instance 1 marked down"));
        assert!(compare_png(&c).is_ok());

        c.variants.clear();
        c.timeline.clear();
        c.seeds.clear();
        assert!(compare_svg(&c).expect("renders").contains("no variants"));
        assert!(compare_png(&c).is_ok());
    }

    /// Four stores × two affinities: eight variants with long labels.
    fn eight_variants() -> Comparison {
        let mut c = comparison(5);
        let stores = ["in-memory", "redis", "jwt", "sql"];
        let affinities = ["cookie", "none"];
        c.variants = stores
            .iter()
            .flat_map(|s| {
                affinities
                    .iter()
                    .map(move |a| format!("store={s}, affinity={a}"))
            })
            .enumerate()
            .map(|(i, label)| {
                let k = i as f64;
                variant(
                    &label,
                    [
                        100.0 * k,
                        50.0 + k,
                        18.0 + k,
                        90.0 + 5.0 * k,
                        1_560.0,
                        2.0 + k,
                    ],
                    5,
                    series(100.0 * k, 200.0 + 10.0 * k),
                )
            })
            .collect();
        c
    }

    #[test]
    fn eight_variants_with_long_labels_get_numbers_and_a_wrapped_legend() {
        let c = eight_variants();
        let plan = ComparePlan::of(&c).expect("a plan");
        assert_eq!(plan.bar_names, ["1", "2", "3", "4", "5", "6", "7", "8"]);
        assert!(plan.legend.rows >= 2, "{} rows", plan.legend.rows);
        assert_legend_fits(&plan.legend);
        // Seven colours, then the first again, dashed.
        assert_eq!(Look::of(7).color, Look::of(0).color);
        assert!(Look::of(7).dashed && !Look::of(6).dashed);
        let svg = compare_svg(&c).expect("renders");
        assert!(svg.contains("store=sql, affinity=none"));
        let image = decode(&compare_png(&c).expect("renders"));
        // Every colour shows in the instance-seconds bars, all 1,560 tall.
        for look in (0..8).map(Look::of) {
            let drawn = count_in(&image, plan.layout.bar_cells[4], |p| p == rgb(look.color));
            assert!(drawn > 100, "{look:?}: {drawn} pixels");
        }
    }

    /// No two legend entries of a row overlap, and every entry ends inside the image.
    fn assert_legend_fits(legend: &Legend) {
        let spans: Vec<(usize, i32, i32)> = legend
            .items
            .iter()
            .map(|item| {
                let label = text_width(&item.text, &font(LEGEND_SIZE)).expect("measurable");
                let number = item.number.as_ref().map_or(0, |n| {
                    text_width(n, &bold(LEGEND_SIZE)).expect("measurable") + 6
                });
                (item.row, item.left, item.left + SWATCH + 8 + number + label)
            })
            .collect();
        for &(row, left, right) in &spans {
            assert!(left >= MARGIN as i32 && right <= (WIDTH - MARGIN) as i32);
            for &(other_row, other_left, other_right) in &spans {
                if row == other_row && (left, right) != (other_left, other_right) {
                    assert!(right <= other_left || other_right <= left);
                }
            }
        }
    }

    #[test]
    fn a_label_wider_than_the_image_is_cut_to_fit() {
        draw::register_fonts().expect("the bundled font");
        let legend =
            Legend::of(vec![(Look::of(0), None, "store=redis, ".repeat(40))]).expect("a legend");
        assert!(legend.items[0].text.ends_with('…'));
        assert_eq!(legend.rows, 1);
        assert_legend_fits(&legend);
    }

    #[test]
    fn the_time_axis_ends_with_the_last_window_and_is_in_minutes_from_ten() {
        let c = comparison(5);
        // 120 windows of 10 s.
        assert_eq!(comparison_end_s(&c), 1_200.0);
        // Without windows: a tenth past the last event (610 s), so its label has room.
        let mut bare = c.clone();
        for v in &mut bare.variants {
            v.series.clear();
        }
        assert!((comparison_end_s(&bare) - 671.0).abs() < 1e-9);
        let axis = TimeAxis::new(comparison_end_s(&c), c.warmup_s);
        assert_eq!((axis.minutes, axis.end, axis.warmup), (true, 20.0, 2.0));
        let rows = &c.variants[0].series[..3];
        assert_eq!(windows(rows), [(0.0, 10.0), (10.0, 10.0), (20.0, 10.0)]);
        assert_eq!(windows(&rows[..1]), [(0.0, 0.0)]);
    }

    #[test]
    fn earlier_lines_are_wider_so_coinciding_lines_show_every_colour() {
        assert_eq!([0, 1, 2].map(|i| line_width(i, 3)), [6, 4, 2]);
        assert_eq!(line_width(0, 1), 2);
        assert_eq!((0..8).map(|i| line_width(i, 8)).max(), Some(6));
        assert_eq!(line_width(7, 8), 2);
    }

    #[test]
    fn values_over_bars_are_at_most_five_characters() {
        for (v, text) in [
            (0.0, "0"),
            (0.25, "0.25"),
            (18.27, "18.3"),
            (118.7, "119"),
            (4_987.1, "4987"),
            (12_500.0, "12.5k"),
            (123_456.0, "123k"),
            (1.5e6, "1.5M"),
            (2.25e9, "2.25G"),
            (3.2e15, "3.2e15"),
            (1e15, "1e15"),
            (-2.5e18, "-2.5e18"),
        ] {
            assert_eq!(short(v), text, "{v}");
        }
        assert_eq!(tick(&12_000.0), "12k");
        assert_eq!(tick(&2.5e6), "2.5M");
        assert_eq!(whole_tick(&2.5), "");
    }

    #[test]
    fn the_sweep_svg_names_every_metric_axis_and_line() {
        let svg = sweep_svg(&sweep()).expect("renders");
        for text in [
            "crash-sticky",
            "instances.count × sessions.store · 5 seeds per point",
            "sessions.store=in-memory",
            "sessions.store=redis",
            "instances.count",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        for metric in Headline::shown(false) {
            assert!(svg.contains(metric.label()), "{}", metric.label());
        }
        assert!(!svg.contains("reconnects"));
        assert!(!svg.contains("no data"));
    }

    #[test]
    fn a_numeric_first_axis_ticks_at_the_swept_values_with_one_line_per_other_value() {
        let s = sweep();
        let plan = SweepPlan::of(&s).expect("a plan");
        let ticks: Vec<&str> = plan.x.ticks.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(ticks, ["2", "4", "8", "16"]);
        assert_eq!(plan.x.ticks[3].0, 16.0);
        let lost = &plan.charts[0];
        assert_eq!(lost.lines.len(), 2);
        let xs: Vec<f64> = lost.lines[0].points.iter().map(|&(x, _)| x).collect();
        assert_eq!(xs, [2.0, 4.0, 8.0, 16.0]);
        // 6,400 / 8 lost sessions at 8 instances, in-memory.
        assert!((lost.lines[0].points[2].1.mean - 800.0).abs() < 1e-9);
        let png = sweep_png(&s).expect("renders");
        assert_eq!(decode(&png).dimensions(), (WIDTH, plan.height));
    }

    #[test]
    fn a_sweep_over_one_axis_draws_one_line_and_no_legend() {
        let mut s = sweep();
        s.axes.truncate(1);
        s.points.retain(|p| p.values[1] == "redis");
        for p in &mut s.points {
            p.values.truncate(1);
        }
        let plan = SweepPlan::of(&s).expect("a plan");
        assert_eq!(plan.legend.rows, 0);
        assert!(plan.charts.iter().all(|c| c.lines.len() == 1));
        let image = decode(&sweep_png(&s).expect("renders"));
        let cells = grid_cells(plan.grid_top, SWEEP_CELL_HEIGHT, plan.charts.len());
        let blue = count_in(&image, cells[3], |p| p == rgb(palette::BLUE));
        assert!(blue > 200, "{blue} pixels");
    }

    #[test]
    fn a_categorical_first_axis_is_evenly_spaced_with_its_values_as_ticks() {
        let mut s = sweep();
        s.axes.swap(0, 1);
        for p in &mut s.points {
            p.values.swap(0, 1);
        }
        let plan = SweepPlan::of(&s).expect("a plan");
        assert_eq!(
            plan.x.ticks,
            [(0.0, "in-memory".to_owned()), (1.0, "redis".to_owned())]
        );
        assert_eq!(plan.charts[0].lines.len(), 4);
        let svg = sweep_svg(&s).expect("renders");
        assert!(svg.contains("instances.count=16"));
        assert!(svg.contains("in-memory"));
        assert!(sweep_png(&s).is_ok());
    }

    #[test]
    fn the_same_sweep_gives_the_same_bytes() {
        let s = sweep();
        assert_eq!(
            sweep_svg(&s).expect("renders"),
            sweep_svg(&s.clone()).expect("renders")
        );
        assert_eq!(
            sweep_png(&s).expect("renders"),
            sweep_png(&s.clone()).expect("renders")
        );
    }

    #[test]
    fn degenerate_sweeps_render() {
        let mut s = sweep();
        s.seeds = 1;
        for p in &mut s.points {
            for e in &mut p.estimates {
                *e = Estimate::of(&[e.mean]);
            }
        }
        assert!(sweep_svg(&s)
            .expect("renders")
            .contains("one seed: no confidence interval"));
        // One value on a numeric axis.
        let mut one = sweep();
        one.axes[0].values.truncate(1);
        one.points.retain(|p| p.values[0] == "2");
        assert!(sweep_png(&one).is_ok());
        // Nothing at all.
        let empty = SweepSummary {
            scenario: "empty".to_owned(),
            axes: Vec::new(),
            seeds: 0,
            metrics: Headline::shown(false),
            points: Vec::new(),
        };
        assert_eq!(
            sweep_svg(&empty)
                .expect("renders")
                .matches("no data")
                .count(),
            Headline::shown(false).len()
        );
        assert!(sweep_png(&empty).is_ok());
        // Huge and all-zero values.
        let mut huge = sweep();
        for p in &mut huge.points {
            for e in &mut p.estimates {
                e.mean *= 1e13;
                e.half_width *= 1e13;
            }
        }
        assert!(sweep_png(&huge).is_ok());
        let mut zero = sweep();
        for p in &mut zero.points {
            p.estimates = vec![Estimate::of(&[0.0; 5]); 6];
        }
        assert!(sweep_png(&zero).is_ok());
    }
}
