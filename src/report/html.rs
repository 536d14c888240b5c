//! `report.html`: one run as a single page to open in a browser, print, or attach to a review.
//!
//! The page is self-contained: the stylesheet is inline, the dashboard is inline SVG, the
//! per-instance chart is drawn here as SVG, and there is no script and no URL to fetch, so it
//! reads the same offline, from a mail attachment, or years later. Top to bottom it holds what a
//! reviewer asks in order: what was run (the scenario and its story), what came of it (the same
//! summary rows as the terminal table), how it unfolded (the dashboard and the events), how even
//! the balancer was (requests per instance: an ip-hash imbalance shows as one tall bar), and
//! exactly what produced it (the scenario's YAML and the `--set` overrides).
//!
//! Like every exporter it is a pure function of its inputs: the same report gives the same bytes.

use anyhow::Result;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use plotters::style::RGBColor;

use super::draw::palette;
use super::human::{count, fixed, seconds};
use super::load::{load_rows, load_warnings};
use super::summary::{connections_only, sections, timeline, Section, WALL_CLOCK_ROWS};
use super::Charts;
use crate::metrics::Report;
use crate::model::Load;
use crate::scenario::Source;

/// How every page begins its note where `--no-charts` left out a chart; the note goes on to say
/// which file holds the same figures.
pub(crate) const NOT_DRAWN: &str = "Charts were not drawn (--no-charts): ";

/// The stylesheet of every fleetsim page (report, compare, sweep, plan and check). Colours are the
/// Okabe–Ito palette of the charts, black text and greys; sizes suit both a screen and a printed
/// A4 page.
pub(crate) const STYLESHEET: &str = "\
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #FFFFFF; color: #1A1A1A;
  font: 15px/1.5 system-ui, -apple-system, \"Segoe UI\", \"DejaVu Sans\", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 28px 20px 48px; }
h1 { font-size: 30px; line-height: 1.2; margin: 0 0 6px; }
h2 { font-size: 20px; margin: 40px 0 12px; padding-bottom: 4px; border-bottom: 2px solid #0072B2; }
p { margin: 0 0 10px; max-width: 80ch; }
a { color: #0072B2; }
.story { font-size: 18px; margin-bottom: 4px; }
.identity, .note, figcaption, footer { color: #555555; }
.warning { color: #D55E00; }
.ok { color: #009E73; }
.bad { color: #D55E00; font-weight: 700; }
table { border-collapse: collapse; margin: 0 0 12px; }
caption { text-align: left; font-weight: 700; padding: 0 0 4px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #E0E0E0; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #555555; vertical-align: bottom; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.sub { padding-left: 28px; color: #555555; }
.unit { font-weight: 400; color: #555555; font-size: 13px; }
.sections { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr));
  gap: 16px 36px; align-items: start; }
.sections table { width: 100%; }
.sections td:first-child { white-space: nowrap; }
table.compare { width: 100%; }
table.compare td.num { white-space: nowrap; }
figure { margin: 0 0 12px; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 14px; margin-top: 6px; }
pre { background: #F5F5F5; border: 1px solid #E0E0E0; padding: 12px 14px; overflow-x: auto;
  font: 13px/1.45 ui-monospace, \"DejaVu Sans Mono\", monospace; }
code { font-family: ui-monospace, \"DejaVu Sans Mono\", monospace; font-size: 0.92em; }
ul { padding-left: 22px; margin: 0 0 12px; }
li { margin-bottom: 4px; }
footer { margin-top: 44px; padding-top: 8px; border-top: 1px solid #E0E0E0; font-size: 13px; }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  table, figure { break-inside: avoid; }
  pre { white-space: pre-wrap; }
}
";

/// A whole page: the document head with the stylesheet inline, `main`, then `footer`.
pub(crate) fn document(title: &str, main: Markup, footer: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLESHEET)) }
            }
            body {
                main {
                    (main)
                    footer { (footer) }
                }
            }
        }
    }
    .into_string()
        + "\n"
}

/// An SVG document ready to sit inside HTML: without an XML declaration (meaningless there) and
/// without the namespace attributes on its root, which the HTML parser supplies itself, so that
/// a page carries no URL of any kind.
pub(crate) fn inline_svg(svg: &str) -> String {
    let svg = svg.trim();
    let svg = match svg.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(rest, |(_, body)| body).trim(),
        None => svg,
    };
    let Some(start) = svg.find("<svg") else {
        return svg.to_owned();
    };
    let Some(length) = svg[start..].find('>') else {
        return svg.to_owned();
    };
    let end = start + length;
    let mut tag = svg[start..end].to_owned();
    while let Some(at) = tag.find(" xmlns") {
        // ` xmlns="…"` or ` xmlns:xlink="…"`: up to the closing quote of its value.
        let value_end = tag[at..].find('"').and_then(|open| {
            tag[at + open + 1..]
                .find('"')
                .map(|close| at + open + close + 2)
        });
        match value_end {
            Some(value_end) => tag.replace_range(at..value_end, ""),
            None => break,
        }
    }
    format!("{}{tag}{}", &svg[..start], &svg[end..])
}

/// A palette colour as CSS and SVG write it, `#0072B2`.
pub(crate) fn hex(color: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2)
}

/// What the scenario asked of the fleet, from the arithmetic, and what looked wrong with it.
fn load_section(load: &Load) -> Markup {
    html! {
        h2 id="load" { "Load" }
        table class="summary load" {
            caption { "What the scenario asks of the fleet, from the arithmetic before any run" }
            tbody {
                @for (what, figure) in load_rows(load) {
                    tr { td { (what) } td { (figure) } }
                }
            }
        }
        @for warning in load_warnings(load) {
            p class="warning" { "Warning: " (warning) }
        }
    }
}

/// The files [`write_run`](super::write_run) puts beside `report.html`.
const SIBLINGS: [&str; 4] = [
    "summary.json",
    "timeseries.csv",
    "dashboard.svg",
    "dashboard.png",
];

/// `report.html` for `report`, run from `source`; it opens with `load`, what the scenario asked
/// of the fleet, when given. Without `charts` (`--no-charts`) the dashboard is left out.
pub(crate) fn report_html(
    report: &Report,
    source: &Source,
    load: Option<&Load>,
    charts: Charts,
) -> Result<String> {
    let dashboard = match charts {
        Charts::Drawn => Some(inline_svg(&super::dashboard_svg(report)?)),
        Charts::Skipped => None,
    };
    let counted = if connections_only(report) {
        "Connections and messages count"
    } else if report.connections.is_some() {
        "Requests, sessions, latency, connections and messages count"
    } else {
        "Requests, sessions and latency count"
    };
    let main = html! {
        header {
            h1 { (report.scenario) }
            p class="story" { (report.description) }
            p class="identity" {
                "seed " (report.seed) " · session store: " (report.session_store) " · "
                (seconds(report.simulated_seconds)) " measured after "
                (seconds(report.warmup_seconds)) " of warm-up"
            }
        }
        @if let Some(load) = load { (load_section(load)) }

        h2 id="summary" { "Summary" }
        div class="sections" {
            @for section in sections(report) { (summary_table(&section)) }
        }
        p class="note" {
            (counted) " what happened after the warm-up. The same scenario and seed give this \
            page byte for byte (the engine's wall time is in summary.json)."
        }

        h2 id="dashboard" { "Dashboard" }
        @match dashboard {
            Some(svg) => figure class="dashboard" {
                (PreEscaped(svg))
                figcaption {
                    "Time runs left to right over the whole run; the warm-up is shaded and each \
                    scenario event is a dashed vertical line. The same picture is in \
                    dashboard.svg and dashboard.png."
                }
            },
            None => p class="note" {
                (NOT_DRAWN) "timeseries.csv holds the same figures, window by window."
            },
        }

        h2 id="timeline" { "Events" }
        @match timeline(report) {
            Some(events) => table class="timeline" {
                thead { tr { th class="num" { "at" } th { "event" } } }
                tbody {
                    @for (when, what) in &events.rows {
                        tr { td class="num" { (when) } td { (what) } }
                    }
                }
            },
            None => p class="note" { "Nothing was scheduled: no events." },
        }

        h2 id="balance" { "Requests per instance" }
        @if connections_only(report) {
            p class="note" {
                "The scenario has connections only: no request was routed. How evenly the \
                connections were spread shows in the summary (imbalance at end) and on the \
                dashboard (most and least loaded instance)."
            }
        } @else {
            (balance_chart(&report.balance.requests_per_instance, charts))
        }

        h2 id="scenario" { "Scenario" }
        @if source.overrides.is_empty() {
            p { "Run as written below, with no " code { "--set" } " overrides." }
        } @else {
            p { "Run with these overrides applied on top of the text below:" }
            ul {
                @for set in &source.overrides { li { code { "--set " (set) } } }
            }
        }
        @if source.yaml.trim().is_empty() {
            p class="note" { "The scenario's text is not available." }
        } @else {
            pre class="scenario" { code { (source.yaml.trim_end()) } }
        }
        @if seed_was_changed(report.seed, &source.yaml) {
            p class="note" {
                "The run used seed " (report.seed) " in place of the seed written above."
            }
        }
    };
    let siblings: Vec<&str> = SIBLINGS
        .iter()
        .copied()
        .filter(|name| charts == Charts::Drawn || !name.starts_with("dashboard"))
        .collect();
    let footer = html! {
        "Written by fleetsim " (env!("CARGO_PKG_VERSION")) ". Beside this page: "
        @for (i, name) in siblings.iter().enumerate() {
            @if i > 0 { ", " }
            a href=(name) { (name) }
        }
        "."
    };
    Ok(document(
        &format!("{} · fleetsim report", report.scenario),
        main,
        footer,
    ))
}

/// One section of the summary as a table. The wall-clock rows would make two runs of one
/// scenario and seed differ: the page keeps only what the seed determines. Sub-rows, indented
/// with spaces in the terminal, are indented here with a class.
fn summary_table(section: &Section) -> Markup {
    let rows = section
        .rows
        .iter()
        .filter(|(metric, _)| !WALL_CLOCK_ROWS.contains(&metric.as_str()));
    html! {
        table class="summary" {
            caption { (section.title) }
            tbody {
                @for (metric, value) in rows {
                    @let trimmed = metric.trim_start();
                    tr {
                        td class=[(trimmed.len() < metric.len()).then_some("sub")] { (trimmed) }
                        td class="num" { (value) }
                    }
                }
            }
        }
    }
}

/// Whether the YAML names a top-level seed other than `seed` (as `fleetsim run --seed` does).
fn seed_was_changed(seed: u64, yaml: &str) -> bool {
    yaml.lines()
        .filter_map(|line| line.strip_prefix("seed:"))
        .filter_map(|value| value.split('#').next())
        .filter_map(|value| value.trim().parse::<u64>().ok())
        .any(|written| written != seed)
}

// ----- the per-instance chart ------------------------------------------------------------------

/// Size of the per-instance chart, in CSS pixels (it scales with the page).
const BAR_WIDTH: f64 = 1160.0;
const BAR_HEIGHT: f64 = 300.0;
/// Room for the y labels on the left, the x labels and title below.
const BAR_LEFT: f64 = 84.0;
const BAR_RIGHT: f64 = 16.0;
const BAR_TOP: f64 = 24.0;
const BAR_BOTTOM: f64 = 52.0;
/// More bars than this and only every k-th is labelled, so labels never overlap.
const MAX_BAR_LABELS: usize = 40;
/// Up to this many instances get one bar each; beyond, the chart is their distribution (a page
/// of 400,000 bars is neither readable nor small).
pub(crate) const MAX_INSTANCE_BARS: usize = 400;
/// Bins of that distribution.
const HISTOGRAM_BINS: u64 = 40;

/// A bar chart: bar heights, each bar's x label and tooltip, the axis titles, and an optional
/// dashed line with its legend.
struct Bars<'a> {
    heights: Vec<u64>,
    label: &'a dyn Fn(usize) -> String,
    tooltip: &'a dyn Fn(usize) -> String,
    aria: String,
    x_title: &'a str,
    y_title: &'a str,
    mean: Option<f64>,
}

/// `requests_per_instance` as a figure: one bar per instance with the mean as a dashed line, or,
/// beyond [`MAX_INSTANCE_BARS`] instances, how many instances took each range of requests;
/// under `--no-charts`, the same figures in a sentence.
fn balance_chart(counts: &[u64], charts: Charts) -> Markup {
    if counts.is_empty() {
        return html! { p class="note" { "No instance received a request after the warm-up." } };
    }
    let n = counts.len();
    let max = counts.iter().copied().max().unwrap_or(0);
    let min = counts.iter().copied().min().unwrap_or(0);
    let mean = counts.iter().sum::<u64>() as f64 / n as f64;
    let imbalance = fixed(if mean > 0.0 { max as f64 / mean } else { 0.0 }, 2);
    if charts == Charts::Skipped {
        return html! {
            p class="note" {
                (count(n as u64)) " instances took from " (count(min)) " to " (count(max))
                " request attempts after the warm-up, " (count(mean.round() as u64))
                " on average: the busiest took " (imbalance) " × the mean (1 is perfectly \
                even). " (NOT_DRAWN) "summary.json lists each instance's count."
            }
        };
    }
    if n <= MAX_INSTANCE_BARS {
        let svg = bar_svg(&Bars {
            heights: counts.to_vec(),
            label: &|i| i.to_string(),
            tooltip: &|i| format!("instance {i}: {} requests", count(counts[i])),
            aria: format!("Requests routed to each of {n} instances"),
            x_title: "instance, in launch order",
            y_title: "requests",
            mean: Some(mean),
        });
        return html! {
            figure class="balance" {
                (svg)
                figcaption {
                    "Request attempts routed to each instance after the warm-up; the dashed \
                    line is the mean. The busiest instance took " (imbalance) " × the mean (1 \
                    is perfectly even)."
                }
            }
        };
    }
    let bins = histogram(counts, min, max);
    let lower = |i: usize| min + bins.width * i as u64;
    let svg = bar_svg(&Bars {
        heights: bins.instances.clone(),
        label: &|i| count(lower(i)),
        tooltip: &|i| {
            format!(
                "{} instances took {} to {} requests",
                count(bins.instances[i]),
                count(lower(i)),
                count(lower(i) + bins.width - 1)
            )
        },
        aria: format!("How many of {n} instances took each range of requests"),
        x_title: "requests routed to an instance (lower end of each range)",
        y_title: "instances",
        mean: None,
    });
    html! {
        figure class="balance" {
            (svg)
            figcaption {
                (count(n as u64)) " instances are too many for one bar each: each bar counts the \
                instances that took a range of " (count(bins.width)) " request attempts after the \
                warm-up. Fewest " (count(min)) ", mean " (count(mean.round() as u64)) ", most "
                (count(max)) ": the busiest instance took " (imbalance) " × the mean (1 is \
                perfectly even)."
            }
        }
    }
}

/// Instances per range of requests: [`HISTOGRAM_BINS`] ranges of equal whole width from `min`.
struct Histogram {
    width: u64,
    instances: Vec<u64>,
}

fn histogram(counts: &[u64], min: u64, max: u64) -> Histogram {
    let width = (max - min + 1).div_ceil(HISTOGRAM_BINS).max(1);
    let bins = ((max - min) / width + 1) as usize;
    let mut instances = vec![0; bins];
    for &c in counts {
        instances[((c - min) / width) as usize] += 1;
    }
    Histogram { width, instances }
}

/// The SVG of a bar chart, scaled to its tallest bar.
fn bar_svg(b: &Bars<'_>) -> Markup {
    let n = b.heights.len();
    let (top, step) = nice_axis(b.heights.iter().copied().max().unwrap_or(0) as f64);
    let plot_width = BAR_WIDTH - BAR_LEFT - BAR_RIGHT;
    let plot_height = BAR_HEIGHT - BAR_TOP - BAR_BOTTOM;
    let bottom = BAR_TOP + plot_height;
    let right = BAR_LEFT + plot_width;
    let y = |v: f64| BAR_TOP + plot_height * (1.0 - v / top);
    let slot = plot_width / n as f64;
    let width = (slot * 0.8).max(1.0);
    let label_every = n.div_ceil(MAX_BAR_LABELS);
    let ticks = (top / step).round() as u64;
    let (grey, blue, black) = (hex(palette::GREY), hex(palette::BLUE), hex(palette::BLACK));
    let px = |v: f64| format!("{v:.1}");
    html! {
        svg class="balance" width=(BAR_WIDTH) height=(BAR_HEIGHT)
            viewBox={ "0 0 " (BAR_WIDTH) " " (BAR_HEIGHT) } role="img" aria-label=(b.aria)
            font-size="13" fill=(grey) {
            @for i in 0..=ticks {
                @let v = step * i as f64;
                line x1=(BAR_LEFT) x2=(px(right)) y1=(px(y(v))) y2=(px(y(v))) stroke="#E0E0E0" {}
                text x=(px(BAR_LEFT - 8.0)) y=(px(y(v))) text-anchor="end"
                    dominant-baseline="middle" { (tick(v)) }
            }
            @for (i, &h) in b.heights.iter().enumerate() {
                @let top_y = y(h as f64);
                rect x=(px(BAR_LEFT + slot * i as f64 + (slot - width) / 2.0)) y=(px(top_y))
                    width=(px(width)) height=(px(bottom - top_y)) fill=(blue) {
                    title { ((b.tooltip)(i)) }
                }
                @if i % label_every == 0 {
                    text x=(px(BAR_LEFT + slot * (i as f64 + 0.5))) y=(px(bottom + 18.0))
                        text-anchor="middle" { ((b.label)(i)) }
                }
            }
            @if let Some(mean) = b.mean {
                // A legend above the plot: a label on the line would hide a bar.
                line x1=(BAR_LEFT) x2=(px(right)) y1=(px(y(mean))) y2=(px(y(mean)))
                    stroke=(black) stroke-width="2" stroke-dasharray="10 6" {}
                line x1=(px(right - 26.0)) x2=(px(right)) y1=(px(BAR_TOP - 12.0))
                    y2=(px(BAR_TOP - 12.0)) stroke=(black) stroke-width="2"
                    stroke-dasharray="10 6" {}
                text x=(px(right - 34.0)) y=(px(BAR_TOP - 12.0)) text-anchor="end"
                    dominant-baseline="middle" fill=(black) {
                    "mean " (count(mean.round() as u64))
                }
            }
            line x1=(BAR_LEFT) x2=(BAR_LEFT) y1=(BAR_TOP) y2=(px(bottom)) stroke=(grey) {}
            line x1=(BAR_LEFT) x2=(px(right)) y1=(px(bottom)) y2=(px(bottom)) stroke=(grey) {}
            text x=(px(BAR_LEFT + plot_width / 2.0)) y=(px(BAR_HEIGHT - 8.0))
                text-anchor="middle" { (b.x_title) }
            text transform={ "translate(14 " (px(BAR_TOP + plot_height / 2.0)) ") rotate(-90)" }
                text-anchor="middle" { (b.y_title) }
        }
    }
}

/// A y axis for values up to `max`: its top and tick step, a step of 1, 2 or 5 × 10ᵏ (at least
/// 1, since the values are whole requests) giving at most five intervals.
fn nice_axis(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (1.0, 1.0);
    }
    let raw = max / 5.0;
    let magnitude = 10_f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude)
        .max(1.0);
    ((max / step).ceil() * step, step)
}

/// A y label: whole requests with thousands separators.
fn tick(v: f64) -> String {
    count(v.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    /// `text` as the page writes it: escaped by maud.
    fn escaped(text: &str) -> String {
        html! { (text) }.into_string()
    }

    fn source() -> Source {
        Source {
            yaml: "name: crash-sticky\nseed: 7\nduration: 20m\n".to_owned(),
            overrides: vec!["sessions.store=in-memory".to_owned()],
        }
    }

    fn page() -> String {
        report_html(
            &fixtures::crash_sticky_with_windows(),
            &source(),
            None,
            Charts::Drawn,
        )
        .expect("renders")
    }

    #[test]
    fn the_page_does_not_depend_on_the_wall_clock() {
        let mut report = fixtures::crash_sticky_with_windows();
        let first = report_html(&report, &source(), None, Charts::Drawn).expect("renders");
        report.engine.wall_seconds *= 3.0;
        report.engine.events_per_second /= 3.0;
        assert_eq!(
            report_html(&report, &source(), None, Charts::Drawn).expect("renders"),
            first
        );
        assert!(first.contains("events"));
    }

    #[test]
    fn the_page_is_one_html5_document_with_its_stylesheet_inline() {
        let html = page();
        assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\">"));
        assert!(html.ends_with("</html>\n"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains(STYLESHEET));
        assert_eq!(html.matches("<main>").count(), 1);
        assert_eq!(html.matches("</main>").count(), 1);
    }

    #[test]
    fn the_page_fetches_nothing_and_runs_nothing() {
        let html = page();
        for forbidden in [
            "http:",
            "https:",
            "//",
            "<script",
            "<link",
            "<img",
            "<iframe",
            "src=",
            "url(",
            "@import",
            "onload",
            "javascript:",
        ] {
            assert!(!html.contains(forbidden), "the page contains {forbidden:?}");
        }
    }

    #[test]
    fn the_page_reads_top_to_bottom_story_summary_dashboard_events_balance_scenario() {
        let html = page();
        let at = |needle: &str| {
            html.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} is not in the page"))
        };
        let order = [
            "<h1>crash-sticky</h1>",
            "One of two instances crashes; sticky in-memory sessions are logged out.",
            "seed 7 · session store: in-memory · 1,080 s measured after 120 s of warm-up",
            "id=\"summary\"",
            "id=\"dashboard\"",
            "<svg width=\"1400\"",
            "id=\"timeline\"",
            "id=\"balance\"",
            "<svg class=\"balance\"",
            "id=\"scenario\"",
            "<code>--set sessions.store=in-memory</code>",
            "<pre class=\"scenario\"><code>name: crash-sticky\nseed: 7\nduration: 20m</code></pre>",
        ];
        for pair in order.windows(2) {
            assert!(
                at(pair[0]) < at(pair[1]),
                "{:?} before {:?}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn the_summary_has_every_row_of_the_terminal_table() {
        let report = fixtures::crash_sticky_with_windows();
        let html = report_html(&report, &source(), None, Charts::Drawn).expect("renders");
        for section in sections(&report) {
            assert!(html.contains(&format!("<caption>{}</caption>", escaped(section.title))));
            // The wall-clock rows would make two runs of one scenario and seed differ: the page
            // keeps only what the seed determines.
            let rows = section
                .rows
                .iter()
                .filter(|(metric, _)| !WALL_CLOCK_ROWS.contains(&metric.as_str()));
            for (metric, value) in rows {
                let row = format!("</td><td class=\"num\">{}</td></tr>", escaped(value));
                assert!(
                    html.contains(&format!("{}{row}", escaped(metric.trim()))),
                    "{metric}"
                );
            }
        }
        // Sub-rows keep their indentation as a class.
        assert!(html.contains("<tr><td class=\"sub\">instance down</td>"));
        // The same rows, so a p99 objective appears here exactly as in the terminal.
        let mut report = report;
        report.slo = Some(crate::metrics::Slo {
            p99_ms: 250.0,
            windows: 108,
            windows_over: 3,
        });
        let html = report_html(&report, &source(), None, Charts::Drawn).expect("renders");
        assert!(html.contains(
            "<tr><td>p99 objective</td><td class=\"num\">250 ms · exceeded in 3 of 108 \
             windows</td></tr>"
        ));
    }

    #[test]
    fn connections_and_messages_are_summary_tables_after_requests_and_sessions() {
        let report = fixtures::crash_sticky_with_connections_and_windows();
        let html = report_html(&report, &source(), None, Charts::Drawn).expect("renders");
        let at = |needle: &str| {
            html.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} is not in the page"))
        };
        let order = [
            "<caption>requests</caption>",
            "<caption>sessions</caption>",
            "<caption>connections</caption>",
            "<caption>messages</caption>",
            "<caption>latency (ms)</caption>",
            "id=\"dashboard\"",
        ];
        for pair in order.windows(2) {
            assert!(at(pair[0]) < at(pair[1]), "{pair:?}");
        }
        for row in [
            "<tr><td>reconnects</td><td class=\"num\">1,262</td></tr>",
            "<tr><td class=\"sub\">by cause</td><td class=\"num\">crash 1,150 · max age \
             50</td></tr>",
            "<tr><td>delivery p50 / p99 / p99.9 (ms)</td><td class=\"num\">1.20 / 9.87 / \
             45.6</td></tr>",
            "<tr><td>Redis pub/sub ops</td><td class=\"num\">47,950</td></tr>",
        ] {
            assert!(html.contains(row), "{row}");
        }
        assert!(html.contains("Requests, sessions, latency, connections and messages count"));
        assert!(html.contains("Open connections"));
        // Without connections, the page says what it always said.
        assert!(page().contains("Requests, sessions and latency count what happened"));
        assert!(!page().contains("<caption>connections</caption>"));
    }

    #[test]
    fn a_page_of_connections_only_draws_no_request_bars() {
        let html =
            report_html(&fixtures::chat_only(), &source(), None, Charts::Drawn).expect("renders");
        assert!(html.contains("Connections and messages count what happened"));
        assert!(html.contains("The scenario has connections only"));
        assert!(!html.contains("<svg class=\"balance\""));
        assert!(!html.contains("<caption>latency (ms)</caption>"));
    }

    #[test]
    fn the_events_are_a_table_and_a_quiet_run_says_it_had_none() {
        let html = page();
        assert!(html.contains(
            "<tr><td class=\"num\">600 s</td><td>crash instance 1: 3,305 sessions \
             affected</td></tr>"
        ));
        let mut report = fixtures::crash_sticky_with_windows();
        report.timeline.clear();
        let html = report_html(&report, &source(), None, Charts::Drawn).expect("renders");
        assert!(!html.contains("<table class=\"timeline\">"));
        assert!(html.contains("no events"));
    }

    #[test]
    fn text_from_the_scenario_cannot_inject_markup() {
        let mut report = fixtures::crash_sticky();
        report.description = "<script>alert(1)</script> & \"friends\"".to_owned();
        let source = Source {
            yaml: "description: \"</code></pre><img src=x>\"\n".to_owned(),
            overrides: vec!["description=<b>".to_owned()],
        };
        let html = report_html(&report, &source, None, Charts::Drawn).expect("renders");
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;"));
    }

    #[test]
    fn the_same_report_gives_the_same_bytes() {
        assert_eq!(page(), page());
    }

    #[test]
    fn one_bar_per_instance_scaled_to_the_busiest() {
        let chart = balance_chart(&[100, 300, 50], Charts::Drawn).into_string();
        assert_eq!(chart.matches("<rect ").count(), 3);
        // Max 300: steps of 100 (300 / 5 = 60 → 100), top 300. The plot is 300 − 24 − 52 = 224
        // px high, so 100 requests are 74.7 px and 300 the full 224 px.
        assert_eq!(nice_axis(300.0), (300.0, 100.0));
        assert!(chart.contains("height=\"74.7\" fill=\"#0072B2\"><title>instance 0: 100 requests"));
        assert!(chart.contains("y=\"24.0\" width="), "{chart}");
        assert!(chart.contains("height=\"224.0\""));
        // Mean 150; 300 / 150 = 2.
        assert!(chart.contains(">mean 150</text>"));
        assert!(chart.contains("took 2.00 × the mean"));
        assert!(balance_chart(&[], Charts::Drawn)
            .into_string()
            .contains("No instance received a request"));
    }

    #[test]
    fn many_instances_are_labelled_sparsely() {
        let counts: Vec<u64> = (0..100).map(|i| 1_000 + i).collect();
        let chart = balance_chart(&counts, Charts::Drawn).into_string();
        assert_eq!(chart.matches("<rect ").count(), 100);
        // Every third of 100: 0, 3, …, 99 is 34 labels.
        let labels = chart.matches("text-anchor=\"middle\">").count();
        assert_eq!(labels, 34 + 2, "34 instance labels and the two axis titles");
    }

    #[test]
    fn beyond_a_few_hundred_instances_the_chart_is_their_distribution() {
        // 1,000 instances taking 1,000 … 1,999 requests: a range of 1,000 in 40 bins of
        // ceil(1,000 / 40) = 25 requests, 25 instances each.
        let counts: Vec<u64> = (0..1_000).map(|i| 1_000 + i).collect();
        let chart = balance_chart(&counts, Charts::Drawn).into_string();
        assert_eq!(chart.matches("<rect ").count(), 40);
        assert!(chart.contains("<title>25 instances took 1,000 to 1,024 requests</title>"));
        assert!(chart.contains("<title>25 instances took 1,975 to 1,999 requests</title>"));
        assert!(chart.contains("1,000 instances are too many for one bar each"));
        assert!(chart.contains("Fewest 1,000, mean 1,500, most 1,999"));
        // One bin when every instance took the same.
        let flat = balance_chart(&vec![7; 500], Charts::Drawn).into_string();
        assert_eq!(flat.matches("<rect ").count(), 1);
        assert!(flat.contains("<title>500 instances took 7 to 7 requests</title>"));
        // Exactly the limit still draws one bar per instance.
        let limit = vec![1; MAX_INSTANCE_BARS];
        assert_eq!(
            balance_chart(&limit, Charts::Drawn)
                .into_string()
                .matches("<rect ")
                .count(),
            MAX_INSTANCE_BARS
        );
    }

    #[test]
    fn without_charts_the_page_says_where_the_figures_are() {
        let report = fixtures::crash_sticky_with_windows();
        let html = report_html(&report, &source(), None, Charts::Skipped).expect("renders");
        assert!(!html.contains("<svg"), "no chart at all");
        assert!(html.contains("Charts were not drawn (--no-charts)"));
        // The balance figure's numbers stay, in words: crash_sticky_with_windows routes
        // requests_per_instance as the fixture gives them.
        let counts = &report.balance.requests_per_instance;
        let most = *counts.iter().max().unwrap();
        assert!(
            html.contains(&format!("to {} request attempts", count(most))),
            "{html}"
        );
        assert!(!html.contains("dashboard.png"));
        assert!(html.contains("<a href=\"timeseries.csv\">"));
    }

    #[test]
    fn axes_step_by_one_two_or_five_and_never_below_one_request() {
        assert_eq!(nice_axis(0.0), (1.0, 1.0));
        assert_eq!(nice_axis(3.0), (3.0, 1.0));
        assert_eq!(nice_axis(12_345.0), (15_000.0, 5_000.0));
        assert_eq!(nice_axis(80_000.0), (80_000.0, 20_000.0));
    }

    #[test]
    fn inline_svg_drops_the_declaration_and_namespaces_but_nothing_else() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"10\" xmlns=\"http://www.w3.org/2000/svg\" \
                   xmlns:xlink=\"http://www.w3.org/1999/xlink\" height=\"5\">\n<text>a</text>\n</svg>\n";
        assert_eq!(
            inline_svg(svg),
            "<svg width=\"10\" height=\"5\">\n<text>a</text>\n</svg>"
        );
        assert_eq!(inline_svg("<svg><g/></svg>"), "<svg><g/></svg>");
    }

    #[test]
    fn a_seed_given_on_the_command_line_is_pointed_out() {
        assert!(!seed_was_changed(7, "name: x\nseed: 7\n"));
        assert!(seed_was_changed(8, "name: x\nseed: 7 # the story's seed\n"));
        assert!(!seed_was_changed(8, "name: x\n"));
        let mut report = fixtures::crash_sticky();
        report.seed = 8;
        let html = report_html(&report, &source(), None, Charts::Drawn).expect("renders");
        assert!(html.contains("The run used seed 8"));
    }

    #[test]
    fn the_stylesheet_uses_the_palette_and_greys_only() {
        let palette: Vec<String> = [
            palette::BLUE,
            palette::ORANGE,
            palette::GREEN,
            palette::VERMILLION,
            palette::PURPLE,
            palette::BLACK,
            palette::WHITE,
            palette::GREY,
        ]
        .into_iter()
        .map(hex)
        .collect();
        let colours: Vec<&str> = STYLESHEET
            .match_indices('#')
            .map(|(at, _)| &STYLESHEET[at..at + 7])
            .collect();
        assert!(colours.contains(&"#0072B2"));
        for colour in colours {
            let grey = colour[1..3] == colour[3..5] && colour[3..5] == colour[5..7];
            assert!(
                grey || palette.iter().any(|p| p == colour),
                "{colour} is neither a palette colour nor a grey"
            );
        }
        assert!(STYLESHEET.contains("max-width: 1200px"));
    }
}
