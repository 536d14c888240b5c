//! The drawing kit every chart shares: the bundled font, the colour-blind-safe palette, text sizes,
//! number formatting for ticks, the parts the dashboard and the comparison charts both draw, and
//! rendering one drawing function to SVG text or PNG bytes.
//!
//! The shared parts are the header (title, grey subtitle, a line under them), the event strip
//! (warm-up span and event labels in lanes above time panels, with each event's dashed line
//! running down through every panel), the mesh every plot is drawn on, y scales, lines (solid or
//! dashed) and the note said over an empty plot. What differs between charts comes in as
//! parameters: the pixel columns a time axis spans, title sizes, whether the header cuts its text.
//!
//! Each chart is one function generic over plotters' backend; [`svg`] and [`png`] run it on the
//! two backends, so the SVG and the PNG of a chart cannot disagree. Both are pure: the same input
//! gives the same bytes.

use std::ops::Range;
use std::sync::OnceLock;

use anyhow::{ensure, Context, Result};
use image::codecs::png::PngEncoder;
use image::{ColorType, ImageEncoder};
use plotters::chart::{ChartContext, MeshStyle};
use plotters::coord::combinators::LogCoord;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::{cartesian::Cartesian2d, Shift};
use plotters::prelude::{
    BitMapBackend, DashedLineSeries, DrawingArea, DrawingBackend, EmptyElement, IntoDrawingArea,
    IntoLogRange, LineSeries, PathElement, Rectangle, SVGBackend, Text,
};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, Color, FontDesc, FontStyle, ShapeStyle, TextStyle};

/// The family every chart's text is set in: DejaVu Sans, compiled into the binary.
pub(crate) const FONT: &str = "sans-serif";

/// Width of every chart, pixels.
pub(crate) const WIDTH: u32 = 1400;
/// Pixels between the edge of every chart and what is drawn on it.
pub(crate) const MARGIN: u32 = 20;

/// Text sizes every chart shares, in pixels.
pub(crate) const HEADER_SIZE: f64 = 28.0;
pub(crate) const SUBHEADER_SIZE: f64 = 18.0;
pub(crate) const LEGEND_SIZE: f64 = 16.0;
pub(crate) const TICK_SIZE: f64 = 15.0;
pub(crate) const AXIS_DESC_SIZE: f64 = 16.0;
pub(crate) const EVENT_SIZE: f64 = 15.0;

/// The Okabe–Ito palette: distinguishable with every common colour-vision deficiency.
pub(crate) mod palette {
    use plotters::style::RGBColor;

    pub(crate) const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    pub(crate) const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    pub(crate) const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    pub(crate) const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    pub(crate) const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    pub(crate) const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    pub(crate) const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
    /// Not part of the palette: paper, grid, shading and secondary text.
    pub(crate) const WHITE: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);
    pub(crate) const GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);
}

/// plotters finds fonts by name in a process-wide table; without an entry every text fails with
/// `FontUnavailable`. Registering is idempotent, but once is enough.
pub(crate) fn register_fonts() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    ensure!(registered, "the bundled DejaVu Sans font cannot be loaded");
    Ok(())
}

pub(crate) fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FONT.into(), size, FontStyle::Normal)
}

pub(crate) fn bold(size: f64) -> FontDesc<'static> {
    FontDesc::new(FONT.into(), size, FontStyle::Bold)
}

/// Width of `text` in pixels, as plotters will lay it out.
pub(crate) fn text_width(text: &str, font: &FontDesc) -> Result<i32> {
    let (width, _) = font
        .box_size(text)
        .map_err(|e| anyhow::anyhow!("cannot measure the text {text:?}: {e}"))?;
    Ok(i32::try_from(width).unwrap_or(i32::MAX))
}

/// `text`, cut with an ellipsis to fit `width` pixels: its longest prefix that fits with `…` after
/// it, or nothing when not even `…` fits.
///
/// Measuring a candidate costs its length, so trying every prefix from the longest down costs the
/// square of the text's length (a 30,000-character description took most of a minute). A prefix
/// with `…` after it grows with every character added, so the longest one that fits is found by
/// galloping up from the shortest and then bisecting: O(log k) measurements of at most 2k
/// characters each, where k is the length of the answer, however long the text.
pub(crate) fn fit(text: &str, font: &FontDesc, width: i32) -> Result<String> {
    if text_width(text, font)? <= width {
        return Ok(text.to_owned());
    }
    // The byte offset where each prefix of k characters ends, for k < the text's length: every
    // prefix shorter than the text is a candidate.
    let ends: Vec<usize> = text.char_indices().map(|(at, _)| at).collect();
    let candidate = |k: usize| format!("{}…", &text[..ends[k]]);
    let fits = |k: usize| -> Result<bool> { Ok(text_width(&candidate(k), font)? <= width) };
    if ends.is_empty() || !fits(0)? {
        return Ok(String::new());
    }
    // Invariant: `fits(low)`, and `high` is past the last candidate or does not fit.
    let (mut low, mut step) = (0, 1);
    let mut high = loop {
        let probe = low + step;
        if probe >= ends.len() {
            break ends.len();
        }
        if !fits(probe)? {
            break probe;
        }
        low = probe;
        step *= 2;
    };
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if fits(middle)? {
            low = middle;
        } else {
            high = middle;
        }
    }
    Ok(candidate(low))
}

/// A tick label: no trailing zeros, thousands as `k` from ten thousand on.
pub(crate) fn number(v: f64) -> String {
    let v = v + 0.0; // -0.0 + 0.0 is 0.0: no "-0" label
    if v.abs() >= 10_000.0 {
        format!("{}k", trim(format!("{:.1}", v / 1000.0)))
    } else if v.abs() >= 10.0 {
        trim(format!("{v:.1}"))
    } else {
        trim(format!("{v:.2}"))
    }
}

/// Most y ticks per axis: enough to read values off, few enough for ~230 px.
pub(crate) const TICKS: usize = 6;

/// Tick count for an axis of whole things from 0 to `top`: no more ticks than whole numbers, so
/// that plotters' step never falls below one.
pub(crate) fn count_ticks(top: f64) -> usize {
    (top.floor().max(0.0) as usize + 1).min(TICKS)
}

/// A tick label on an axis of whole things: blank between whole numbers.
pub(crate) fn count_tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        number(*v)
    } else {
        String::new()
    }
}

pub(crate) fn trim(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// A y axis from zero with some headroom above `max`, so lines do not run along the frame.
pub(crate) fn linear_top(max: f64) -> f64 {
    if max > 0.0 {
        max * 1.12
    } else {
        1.0
    }
}

/// Whole decades around `[min, max]`.
pub(crate) fn log_range(min: f64, max: f64) -> Range<f64> {
    let low = 10_f64.powf(min.log10().floor());
    let high = 10_f64.powf(max.log10().ceil());
    low..if high > low { high } else { low * 10.0 }
}

/// Simulated time in minutes for runs of ten minutes or more, in seconds below.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct TimeAxis {
    pub(crate) minutes: bool,
    /// End of the run, in axis units.
    pub(crate) end: f64,
    /// End of the warm-up, in axis units.
    pub(crate) warmup: f64,
}

impl TimeAxis {
    /// The axis of a run that ends at `end_s` seconds, the first `warmup_s` of them warm-up.
    pub(crate) fn new(end_s: f64, warmup_s: f64) -> Self {
        let minutes = end_s >= 600.0;
        let unit = if minutes { 60.0 } else { 1.0 };
        let end = end_s / unit;
        Self {
            minutes,
            end: if end > 0.0 { end } else { 1.0 },
            warmup: (warmup_s.max(0.0) / unit).min(end.max(0.0)),
        }
    }

    /// Seconds → axis units.
    pub(crate) fn x(&self, seconds: f64) -> f64 {
        if self.minutes {
            seconds / 60.0
        } else {
            seconds
        }
    }

    pub(crate) fn range(&self) -> Range<f64> {
        0.0..self.end
    }

    /// Pixel column of `x` (axis units) on a plot whose time runs over the pixel columns
    /// `(left, right)`.
    pub(crate) fn px(&self, x: f64, (left, right): (i32, i32)) -> i32 {
        left + ((x / self.end) * f64::from(right - left)).round() as i32
    }

    pub(crate) fn desc(&self) -> &'static str {
        if self.minutes {
            "simulated time (min)"
        } else {
            "simulated time (s)"
        }
    }
}

/// Puts each `(left, right)` span in the first of at most `max_lanes` lanes where it starts after
/// the lane's last span ends (with a gap); `None` when no lane has room. A lane's last span is
/// also its rightmost, since a span only joins a lane to the right of everything in it.
pub(crate) fn assign_lanes(
    spans: impl IntoIterator<Item = (i32, i32)>,
    max_lanes: usize,
) -> Vec<Option<usize>> {
    const GAP: i32 = 10;
    let mut ends: Vec<i32> = Vec::new();
    spans
        .into_iter()
        .map(|(left, right)| {
            if let Some(lane) = ends.iter().position(|&end| end + GAP <= left) {
                ends[lane] = right;
                Some(lane)
            } else if ends.len() < max_lanes {
                ends.push(right);
                Some(ends.len() - 1)
            } else {
                None
            }
        })
        .collect()
}

// ----- styles --------------------------------------------------------------------------------

/// Dash and gap of event lines, pixels.
const EVENT_DASH: u32 = 6;
const EVENT_DASH_GAP: u32 = 4;
/// Dash and gap of dashed series: longer than event lines', so the two do not look alike.
const SERIES_DASH: u32 = 12;
const SERIES_DASH_GAP: u32 = 6;

/// An event's line: thin and grey, under the series.
fn event_style() -> ShapeStyle {
    palette::BLACK.mix(0.55).stroke_width(1)
}

/// The warm-up span: a light shade behind everything.
fn warmup_style() -> ShapeStyle {
    palette::BLACK.mix(0.07).filled()
}

// ----- the header ----------------------------------------------------------------------------

/// A chart's first lines: the title in bold, a grey subtitle after it, and a line under both.
pub(crate) struct Header<'a> {
    pub(crate) title: &'a str,
    pub(crate) subtitle: &'a str,
    pub(crate) line: &'a str,
    /// Top of `line`, pixels below the top of the title.
    pub(crate) line_below: i32,
    /// Whether texts too wide are cut with an ellipsis: the title to half the width inside the
    /// margins, the subtitle and the line at the right margin. Without, they are drawn whole.
    pub(crate) fit: bool,
}

/// Draws `header` in the top left corner of `root`, inside the margin.
pub(crate) fn draw_header<DB>(root: &DrawingArea<DB, Shift>, header: &Header) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (width, _) = root.dim_in_pixel();
    let (x, top) = (MARGIN as i32, MARGIN as i32);
    let content_width = (width - 2 * MARGIN) as i32;
    let cut = |text: &str, font: &FontDesc, room: i32| -> Result<String> {
        if header.fit {
            fit(text, font, room)
        } else {
            Ok(text.to_owned())
        }
    };
    let title_font = bold(HEADER_SIZE);
    let title = cut(header.title, &title_font, content_width / 2)?;
    root.draw(&Text::new(
        title.clone(),
        (x, top),
        TextStyle::from(title_font.clone()),
    ))?;
    let after = x + text_width(&title, &title_font)? + 18;
    let subtitle = cut(
        header.subtitle,
        &font(SUBHEADER_SIZE),
        (width - MARGIN) as i32 - after,
    )?;
    root.draw(&Text::new(
        subtitle,
        (after, top + 8),
        TextStyle::from(font(SUBHEADER_SIZE)).color(&palette::GREY),
    ))?;
    root.draw(&Text::new(
        cut(header.line, &font(SUBHEADER_SIZE), content_width)?,
        (x, top + header.line_below),
        TextStyle::from(font(SUBHEADER_SIZE)),
    ))?;
    Ok(())
}

/// A title in bold `size`, its left edge at `at.0`, centred on row `at.1`.
pub(crate) fn draw_title<DB>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    at: (i32, i32),
    size: f64,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    area.draw(&Text::new(
        text.to_owned(),
        at,
        TextStyle::from(bold(size)).pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    Ok(())
}

// ----- the event strip -----------------------------------------------------------------------

/// Height of a lane of event labels, pixels.
const LANE_HEIGHT: u32 = 22;
/// Event labels beyond this many lanes are left out (their lines stay): a chart full of
/// overlapping text says less than one with a note that some labels are missing.
pub(crate) const MAX_LANES: usize = 4;

/// A scenario event: a dashed line on every time panel, tagged with its number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Marker {
    /// Time in axis units.
    pub(crate) x: f64,
    /// The strip lane of its label; `None` when the label did not fit.
    pub(crate) lane: Option<usize>,
    /// The event's number, counting from 1 in time order: its label in the strip starts with
    /// it, and every panel shows it beside the line.
    pub(crate) number: usize,
    /// Whether its label (and so its tag on each panel) sits right of the line.
    pub(crate) right_of_line: bool,
}

/// A label in the strip above the time panels, in pixels.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StripLabel {
    /// The event's number, set in bold before the text (none for the warm-up label).
    pub(crate) tag: Option<String>,
    pub(crate) text: String,
    /// Left edge of the label (of its tag, when it has one).
    pub(crate) left: i32,
    pub(crate) lane: usize,
}

/// Pixels between an event's number and its label text in the strip.
const TAG_GAP: i32 = 6;

/// The warm-up span and a run's events over time panels that share their pixel columns for time:
/// labels in a strip above the panels, each in the first lane where it does not overlap an
/// earlier one, and each event's dashed line from its label down through every panel.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EventStrip {
    axis: TimeAxis,
    /// Pixel columns of the panels' plotting area: where the time axis starts and ends.
    columns: (i32, i32),
    /// Events on the time axis, in time order.
    pub(crate) markers: Vec<Marker>,
    /// The warm-up label and the event labels that fit.
    pub(crate) labels: Vec<StripLabel>,
    /// Labels that did not fit in [`MAX_LANES`] lanes.
    pub(crate) labels_left_out: usize,
}

impl EventStrip {
    /// The strip of `events`, `(time in seconds, label)` in any order, over panels of `axis`
    /// whose plotting area spans the pixel `columns`. Events outside the run are left out: there
    /// is nothing to mark them on.
    pub(crate) fn new<L: AsRef<str>>(
        axis: TimeAxis,
        columns: (i32, i32),
        events: impl IntoIterator<Item = (f64, L)>,
    ) -> Result<Self> {
        let mut events: Vec<(f64, L)> = events
            .into_iter()
            .map(|(t_s, label)| (axis.x(t_s), label))
            .filter(|(x, _)| (0.0..=axis.end).contains(x))
            .collect();
        events.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (_, right) = columns;
        let label_font = font(EVENT_SIZE);
        let tag_font = bold(EVENT_SIZE);
        // (tag, text, left, width)
        let mut wanted: Vec<(Option<String>, String, i32, i32)> =
            Vec::with_capacity(events.len() + 1);
        if axis.warmup > 0.0 {
            let text = "warm-up";
            let width = text_width(text, &label_font)?;
            let (start, end) = (axis.px(0.0, columns), axis.px(axis.warmup, columns));
            // Centred over the shaded span when it is wide enough; else from its start rather
            // than spilling out on both sides.
            let left = if end - start >= width + 8 {
                (start + end - width) / 2
            } else {
                start + 4
            };
            wanted.push((None, text.to_owned(), left, width));
        }
        let mut sides = Vec::with_capacity(events.len());
        for (i, (x, label)) in events.iter().enumerate() {
            let (x, label) = (*x, label.as_ref());
            let tag = (i + 1).to_string();
            let width = text_width(&tag, &tag_font)? + TAG_GAP + text_width(label, &label_font)?;
            let line = axis.px(x, columns);
            // Right of its line, unless that runs off the plot.
            let right_of_line = line + 5 + width <= right;
            let left = if right_of_line {
                line + 5
            } else {
                line - 5 - width
            };
            sides.push(right_of_line);
            wanted.push((Some(tag), label.to_owned(), left, width));
        }
        let lanes = assign_lanes(
            wanted
                .iter()
                .map(|&(_, _, left, width)| (left, left + width)),
            MAX_LANES,
        );
        let markers: Vec<Marker> = events
            .iter()
            .zip(&lanes[lanes.len() - events.len()..])
            .zip(sides)
            .enumerate()
            .map(|(i, ((&(x, _), &lane), right_of_line))| Marker {
                x,
                lane,
                number: i + 1,
                right_of_line,
            })
            .collect();
        let labels = wanted
            .into_iter()
            .zip(lanes)
            .filter_map(|((tag, text, left, _), lane)| {
                Some(StripLabel {
                    tag,
                    text,
                    left,
                    lane: lane?,
                })
            })
            .collect();
        Ok(Self {
            axis,
            columns,
            labels_left_out: markers.iter().filter(|m| m.lane.is_none()).count(),
            markers,
            labels,
        })
    }

    /// Height of the strip in pixels: its lanes, at least one.
    pub(crate) fn height(&self) -> u32 {
        let lanes = self.labels.iter().map(|l| l.lane + 1).max().unwrap_or(1);
        lanes.clamp(1, MAX_LANES) as u32 * LANE_HEIGHT + 6
    }

    /// Draws the strip on `root` between the pixel `rows`: warm-up span and labels, with each
    /// event's dashed line running down from its label to the panels.
    pub(crate) fn draw<DB>(&self, root: &DrawingArea<DB, Shift>, rows: &Range<u32>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (left, right) = self.columns;
        let (top, bottom) = (rows.start as i32, rows.end as i32);
        let axis = &self.axis;
        if axis.warmup > 0.0 {
            root.draw(&Rectangle::new(
                [(left, top), (axis.px(axis.warmup, self.columns), bottom)],
                warmup_style(),
            ))?;
        }
        let lane_middle =
            |lane: usize| top + 3 + (lane as i32) * LANE_HEIGHT as i32 + LANE_HEIGHT as i32 / 2;
        let at_left = Pos::new(HPos::Left, VPos::Center);
        let style = TextStyle::from(font(EVENT_SIZE)).pos(at_left);
        let tag_style = TextStyle::from(bold(EVENT_SIZE)).pos(at_left);
        for label in &self.labels {
            let y = lane_middle(label.lane);
            let mut left = label.left;
            if let Some(tag) = &label.tag {
                root.draw(&Text::new(tag.clone(), (left, y), tag_style.clone()))?;
                left += text_width(tag, &bold(EVENT_SIZE))? + TAG_GAP;
            }
            root.draw(&Text::new(label.text.clone(), (left, y), style.clone()))?;
        }
        // Each line starts at its label's lane; one without a label runs the whole strip.
        for marker in &self.markers {
            let x = axis.px(marker.x, self.columns);
            let mut y = lane_middle(marker.lane.unwrap_or(0)) - LANE_HEIGHT as i32 / 2 + 2;
            while y < bottom {
                let end = (y + EVENT_DASH as i32).min(bottom);
                root.draw(&PathElement::new(vec![(x, y), (x, end)], event_style()))?;
                y += (EVENT_DASH + EVENT_DASH_GAP) as i32;
            }
        }
        if self.labels_left_out > 0 {
            root.draw(&Text::new(
                format!("+{} more events (labels left out)", self.labels_left_out),
                (right, top - 2),
                TextStyle::from(font(EVENT_SIZE))
                    .color(&palette::GREY)
                    .pos(Pos::new(HPos::Right, VPos::Bottom)),
            ))?;
        }
        Ok(())
    }
}

// ----- plots ---------------------------------------------------------------------------------

/// How a y axis runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Scale {
    /// From zero to a little above the largest value.
    Linear,
    /// Decades from below the smallest value to above the largest.
    Log,
    /// 0–100 %.
    Percent,
    /// Counts: from zero, integer ticks.
    Count,
}

/// A y axis as plotters builds it.
pub(crate) enum YCoord {
    Linear(RangedCoordf64),
    Log(LogCoord<f64>),
}

impl Scale {
    /// The y axis of values up to `max`, the smallest positive one `min_positive`.
    pub(crate) fn coord(self, max: f64, min_positive: Option<f64>) -> YCoord {
        match self {
            Scale::Log => {
                let min = min_positive.unwrap_or(1.0);
                YCoord::Log(LogCoord::from(log_range(min, max.max(min)).log_scale()))
            }
            Scale::Percent => YCoord::Linear((0.0..105.0).into()),
            Scale::Count => YCoord::Linear((0.0..(max * 1.15).max(max + 1.0)).into()),
            Scale::Linear => YCoord::Linear((0.0..linear_top(max)).into()),
        }
    }
}

/// Left and right pixel columns of the plotting area of a full-width panel that keeps `left` and
/// `right` pixels free beside it (for labels or a margin), inside the chart's margins.
pub(crate) fn plot_columns(left: u32, right: u32) -> (i32, i32) {
    ((MARGIN + left) as i32, (WIDTH - MARGIN - right) as i32)
}

/// The area of `root` between the pixel `rows`, inside the left and right margins.
pub(crate) fn rows_area<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &Range<u32>,
) -> DrawingArea<DB, Shift> {
    let (width, _) = root.dim_in_pixel();
    root.clone().shrink(
        (MARGIN, rows.start),
        (width - 2 * MARGIN, rows.end - rows.start),
    )
}

/// Unbroken runs of `points`: a missing or non-finite point breaks the line.
pub(crate) fn segments(
    points: impl IntoIterator<Item = Option<(f64, f64)>>,
) -> Vec<Vec<(f64, f64)>> {
    let mut segments = vec![Vec::new()];
    for point in points {
        match point {
            Some((x, y)) if x.is_finite() && y.is_finite() => {
                segments.last_mut().expect("never empty").push((x, y));
            }
            _ => {
                if segments.last().is_some_and(|s| !s.is_empty()) {
                    segments.push(Vec::new());
                }
            }
        }
    }
    segments.retain(|s| !s.is_empty());
    segments
}

/// How a y axis is labelled: its description, how many ticks at most, and their text.
pub(crate) struct YLabels<'a> {
    pub(crate) desc: &'a str,
    pub(crate) ticks: usize,
    pub(crate) format: &'a dyn Fn(&f64) -> String,
}

/// Most ticks on a y axis from 0 to `top`: on an axis of whole things (`counts`), no more than
/// there are whole numbers.
pub(crate) fn y_ticks(counts: bool, top: f64) -> usize {
    if counts {
        count_ticks(top)
    } else {
        TICKS
    }
}

/// `mesh` in the house style, labelled on the left as `y` says: a light grid at the ticks, grey
/// axes, text in the shared sizes.
pub(crate) fn house_mesh<'m, 'a, 'b, X, Y, DB>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
    y: &YLabels<'b>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    DB: DrawingBackend,
{
    mesh.bold_line_style(palette::BLACK.mix(0.10))
        .max_light_lines(0)
        .axis_style(palette::BLACK.mix(0.6))
        .y_labels(y.ticks)
        .y_label_formatter(y.format)
        .label_style(TextStyle::from(font(TICK_SIZE)))
        .axis_desc_style(TextStyle::from(font(AXIS_DESC_SIZE)))
        .y_desc(y.desc)
}

/// [`number`] as plotters' label formatters take it.
pub(crate) fn number_tick(v: &f64) -> String {
    number(*v)
}

/// A time panel's backdrop, under its series: the warm-up shaded, the house mesh with simulated
/// time along the bottom and `y` on the left, and the strip's events as dashed lines.
pub(crate) fn draw_time_frame<DB, Y>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, Y>>,
    strip: &EventStrip,
    y: &YLabels,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let axis = &strip.axis;
    let y_range = chart.y_range();
    let (y_low, y_high) = (y_range.start, y_range.end);
    if axis.warmup > 0.0 {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y_low), (axis.warmup, y_high)],
            warmup_style(),
        )))?;
    }
    house_mesh(&mut chart.configure_mesh(), y)
        .x_labels(12)
        .x_label_formatter(&number_tick)
        .x_desc(axis.desc())
        .draw()?;
    for marker in &strip.markers {
        chart.draw_series(DashedLineSeries::new(
            [(marker.x, y_low), (marker.x, y_high)],
            EVENT_DASH,
            EVENT_DASH_GAP,
            event_style(),
        ))?;
    }
    Ok(())
}

/// Each labelled event's number at the top of a time panel, on the side and in the lane of its
/// strip label, so that no two numbers overlap where no two labels do. Drawn after the panel's
/// series, so that no line hides them.
pub(crate) fn draw_event_numbers<DB, Y>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, Y>>,
    strip: &EventStrip,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let y_high = chart.y_range().end;
    let tag_font = bold(TAG_SIZE);
    for marker in &strip.markers {
        let Some(lane) = marker.lane else { continue };
        let text = marker.number.to_string();
        let width = text_width(&text, &tag_font)?;
        // On a white patch, so that a series passing under it does not blur it.
        let left = if marker.right_of_line { 3 } else { -3 - width };
        let top = 2 + lane as i32 * TAG_LANE;
        let patch = Rectangle::new(
            [(left - 1, top), (left + width + 1, top + TAG_LANE - 1)],
            palette::WHITE.filled(),
        );
        let style = TextStyle::from(tag_font.clone())
            .color(&palette::GREY)
            .pos(Pos::new(HPos::Left, VPos::Top));
        chart.draw_series(std::iter::once(
            EmptyElement::at((marker.x, y_high)) + patch + Text::new(text, (left, top), style),
        ))?;
    }
    Ok(())
}

/// Size of an event's number on a panel, and the pixels between lanes of numbers.
const TAG_SIZE: f64 = 13.0;
const TAG_LANE: i32 = 14;

/// A legend's sample of a line, `width` pixels from `left` at height `middle`: solid, or two
/// dashes with a gap between them when the series is dashed.
pub(crate) fn draw_legend_line<DB>(
    area: &DrawingArea<DB, Shift>,
    (left, middle): (i32, i32),
    width: i32,
    style: ShapeStyle,
    dashed: bool,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    if dashed {
        let gap = width / 4;
        let dash = (width - gap) / 2;
        for start in [left, left + width - dash] {
            area.draw(&PathElement::new(
                vec![(start, middle), (start + dash, middle)],
                style,
            ))?;
        }
    } else {
        area.draw(&PathElement::new(
            vec![(left, middle), (left + width, middle)],
            style,
        ))?;
    }
    Ok(())
}

/// One unbroken line through `points`: solid, or dashed as series are.
pub(crate) fn draw_line<DB, X, Y>(
    chart: &mut ChartContext<DB, Cartesian2d<X, Y>>,
    points: &[(f64, f64)],
    style: ShapeStyle,
    dashed: bool,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    if dashed {
        chart.draw_series(DashedLineSeries::new(
            points.iter().copied(),
            SERIES_DASH,
            SERIES_DASH_GAP,
            style,
        ))?;
    } else {
        chart.draw_series(LineSeries::new(points.iter().copied(), style))?;
    }
    Ok(())
}

/// What to say over a panel instead of its lines, if anything: "no data" when it has none, and
/// `all_zero` when every value is zero, so that a flat line reads as good news rather than as a
/// missing series.
pub(crate) fn panel_note(
    has_data: bool,
    every_value_zero: bool,
    all_zero: Option<&str>,
) -> Option<&str> {
    if !has_data {
        Some("no data")
    } else if every_value_zero {
        all_zero
    } else {
        None
    }
}

/// Says `note` in `size` in the middle of a plot whose pixel range is `plot`, on a white box so
/// that event lines and grid do not run through the words.
pub(crate) fn draw_note<DB>(
    area: &DrawingArea<DB, Shift>,
    plot: (Range<i32>, Range<i32>),
    note: &str,
    size: f64,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (columns, rows) = plot;
    let (base_x, base_y) = area.get_base_pixel();
    let centre = (
        (columns.start + columns.end) / 2 - base_x,
        (rows.start + rows.end) / 2 - base_y,
    );
    let note_font = font(size);
    let half_width = text_width(note, &note_font)? / 2 + 10;
    let half_height = size as i32 / 2 + 6;
    area.draw(&Rectangle::new(
        [
            (centre.0 - half_width, centre.1 - half_height),
            (centre.0 + half_width, centre.1 + half_height),
        ],
        palette::WHITE.filled(),
    ))?;
    area.draw(&Text::new(
        note.to_owned(),
        centre,
        TextStyle::from(note_font)
            .color(&palette::GREY)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

// ----- rendering ------------------------------------------------------------------------------

/// Runs `draw` on an SVG canvas of `size` pixels and returns the document.
pub(crate) fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
) -> Result<String> {
    register_fonts()?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        draw(&root)?;
        root.present().context("cannot finish the SVG")?;
    }
    Ok(text)
}

/// Runs `draw` on an RGB canvas of `size` pixels and returns it encoded as PNG.
pub(crate) fn png(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<()>,
) -> Result<Vec<u8>> {
    register_fonts()?;
    let (width, height) = size;
    let mut rgb = vec![0_u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(&root)?;
        root.present().context("cannot finish the PNG")?;
    }
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(&rgb, width, height, ColorType::Rgb8)
        .context("cannot encode the PNG")?;
    Ok(bytes)
}

/// For tests that look at a chart's pixels.
#[cfg(test)]
pub(crate) mod pixels {
    use image::{ImageFormat, Rgb, RgbImage};
    use plotters::style::RGBColor;

    pub(crate) const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

    pub(crate) fn decode(png: &[u8]) -> RgbImage {
        image::load_from_memory_with_format(png, ImageFormat::Png)
            .expect("a decodable PNG")
            .to_rgb8()
    }

    pub(crate) fn rgb(color: RGBColor) -> Rgb<u8> {
        Rgb([color.0, color.1, color.2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_go_to_the_first_lane_with_room_and_beyond_the_last_are_left_out() {
        let spans = [(0, 100), (50, 150), (120, 200), (60, 70), (65, 75)];
        // (120, 200) fits after (0, 100) with the 10 px gap; the last overlaps all three lanes.
        assert_eq!(
            assign_lanes(spans, 3),
            [Some(0), Some(1), Some(0), Some(2), None]
        );
    }

    /// The crash story's strip: 20 minutes, 2 of them warm-up, the dashboard's plot columns.
    fn crash_strip(events: &[(f64, &str)]) -> EventStrip {
        register_fonts().expect("the bundled font");
        let axis = TimeAxis::new(1_200.0, 120.0);
        EventStrip::new(axis, plot_columns(86, 86), events.iter().copied()).expect("a strip")
    }

    #[test]
    fn close_events_get_their_labels_in_separate_lanes() {
        // The crash at 600 s and its detection 10 s later: 1,188 px for 1,200 s puts the second
        // line ~10 px right of the first, inside the first label.
        let strip = crash_strip(&[
            (610.0, "instance 1 marked down"),
            (600.0, "crash instance 1 (busiest)"),
        ]);
        let lanes: Vec<(&str, usize)> = strip
            .labels
            .iter()
            .map(|l| (l.text.as_str(), l.lane))
            .collect();
        assert_eq!(
            lanes,
            [
                ("warm-up", 0),
                ("crash instance 1 (busiest)", 0),
                ("instance 1 marked down", 1)
            ]
        );
        // Markers in time order, in minutes.
        assert_eq!(
            strip.markers,
            [
                Marker {
                    x: 10.0,
                    lane: Some(0),
                    number: 1,
                    right_of_line: true,
                },
                Marker {
                    x: 610.0 / 60.0,
                    lane: Some(1),
                    number: 2,
                    right_of_line: true,
                }
            ]
        );
        assert_eq!(strip.labels_left_out, 0);
        assert_eq!(strip.height(), 2 * LANE_HEIGHT + 6);
        // Labels carry their event's number, in time order; the warm-up has none.
        let tags: Vec<Option<&str>> = strip.labels.iter().map(|l| l.tag.as_deref()).collect();
        assert_eq!(tags, [None, Some("1"), Some("2")]);
    }

    #[test]
    fn a_label_that_would_run_off_the_plot_goes_left_of_its_line() {
        let strip = crash_strip(&[
            (1_190.0, "scale in to 3 instances"),
            (1_500.0, "after the run"),
        ]);
        let (_, right) = plot_columns(86, 86);
        let label = &strip.labels[1];
        assert_eq!(label.text, "scale in to 3 instances");
        assert_eq!(label.tag.as_deref(), Some("1"));
        let width = text_width("1", &bold(EVENT_SIZE)).expect("measurable")
            + TAG_GAP
            + text_width(&label.text, &font(EVENT_SIZE)).expect("measurable");
        // 5 px left of the line at 1,190 s.
        let line = TimeAxis::new(1_200.0, 120.0).px(1_190.0 / 60.0, plot_columns(86, 86));
        assert_eq!(label.left + width, line - 5);
        assert!(line < right);
        // An event after the end of the run has nothing to be marked on.
        assert_eq!(strip.markers.len(), 1);
        assert!(!strip.markers[0].right_of_line);
    }

    /// The longest prefix that fits, found the slow way: every length, from the longest down.
    fn fit_by_trying_every_length(text: &str, font: &FontDesc, width: i32) -> String {
        if text_width(text, font).expect("measurable") <= width {
            return text.to_owned();
        }
        let mut chars: Vec<char> = text.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let candidate: String = chars.iter().collect::<String>() + "…";
            if text_width(&candidate, font).expect("measurable") <= width {
                return candidate;
            }
        }
        String::new()
    }

    #[test]
    fn fitting_cuts_labels_exactly_where_trying_every_length_does() {
        register_fonts().expect("the bundled font");
        let texts = [
            "",
            "x",
            "warm-up",
            "crash instance 1 (busiest)",
            "store=redis, affinity=cookie, algorithm=least-connections",
            "Sticky sessions kept in instance memory; one instance crashes at 10 min — WAVE AT Tj.",
            "ünïcödé — ÀÉÎÕÜ ñ ß 日本語 ✓ …",
        ];
        for size in [TICK_SIZE, SUBHEADER_SIZE, HEADER_SIZE] {
            for font in [font(size), bold(size)] {
                for text in texts {
                    for width in [-1, 0, 5, 12, 40, 97, 150, 333, 640, 1360] {
                        assert_eq!(
                            fit(text, &font, width).expect("fits"),
                            fit_by_trying_every_length(text, &font, width),
                            "{text:?} in {width} px at {size} px"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_label_of_any_length_is_cut_to_the_longest_prefix_that_fits() {
        register_fonts().expect("the bundled font");
        let font = font(SUBHEADER_SIZE);
        let width = (WIDTH - 2 * MARGIN) as i32;
        // 100,000 characters: trying every length would measure ~5·10⁹ characters.
        let text = "fuzzed description, ".repeat(5_000);
        assert_eq!(text.chars().count(), 100_000);

        let cut = fit(&text, &font, width).expect("fits");

        assert!(cut.ends_with('…'), "{cut}");
        assert!(text_width(&cut, &font).expect("measurable") <= width);
        // One character more would not fit.
        let kept = cut.chars().count() - 1;
        let longer: String = text.chars().take(kept + 1).collect::<String>() + "…";
        assert!(text_width(&longer, &font).expect("measurable") > width);
    }

    #[test]
    fn lines_break_at_missing_and_non_finite_points() {
        let points = [
            Some((0.0, 1.0)),
            Some((1.0, 2.0)),
            None,
            None,
            Some((3.0, f64::NAN)),
            Some((4.0, 5.0)),
        ];
        assert_eq!(
            segments(points),
            [vec![(0.0, 1.0), (1.0, 2.0)], vec![(4.0, 5.0)]]
        );
        assert!(segments([None, None]).is_empty());
    }
}
