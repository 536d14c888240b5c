//! The drawing kit every chart shares: the bundled font, the colour-blind-safe palette, number
//! formatting for ticks, and rendering one drawing function to SVG text or PNG bytes.
//!
//! Each chart is one function generic over plotters' backend; [`svg`] and [`png`] run it on the
//! two backends, so the SVG and the PNG of a chart cannot disagree. Both are pure: the same input
//! gives the same bytes.

use std::ops::Range;
use std::sync::OnceLock;

use anyhow::{ensure, Context, Result};
use image::codecs::png::PngEncoder;
use image::{ColorType, ImageEncoder};
use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, IntoDrawingArea, SVGBackend};
use plotters::style::{register_font, FontDesc, FontStyle};

/// The family every chart's text is set in: DejaVu Sans, compiled into the binary.
pub(crate) const FONT: &str = "sans-serif";

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

/// `text`, cut with an ellipsis to fit `width` pixels.
pub(crate) fn fit(text: &str, font: &FontDesc, width: i32) -> Result<String> {
    if text_width(text, font)? <= width {
        return Ok(text.to_owned());
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if text_width(&candidate, font)? <= width {
            return Ok(candidate);
        }
    }
    Ok(String::new())
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
