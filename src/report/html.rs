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
use plotters::style::RGBColor;

use super::draw::palette;
use super::human::{count, fixed, seconds};
use super::load::{load_rows, load_warnings};
use super::summary::{connections_only, sections, timeline, WALL_CLOCK_ROWS};
use crate::metrics::Report;
use crate::model::Load;
use crate::scenario::Source;

/// The stylesheet of every fleetsim page (`report.html`, `compare.html`). Colours are the
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

/// `text` safe anywhere in an HTML document, in text and in quoted attribute values alike.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
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

/// The opening of a page, up to and including `<main>`.
pub(crate) fn page_start(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLESHEET}</style>\n</head>\n<body>\n<main>\n",
        escape(title)
    )
}

/// The end of a page: `footer` (HTML, escaped by the caller), then the closing tags.
pub(crate) fn page_end(footer: &str) -> String {
    format!("<footer>{footer}</footer>\n</main>\n</body>\n</html>\n")
}

/// What the scenario asked of the fleet, from the arithmetic, and what looked wrong with it.
fn load_section(load: &Load) -> String {
    let mut html = String::from(
        "\n<h2 id=\"load\">Load</h2>\n<table class=\"summary load\">\n<caption>What the \
         scenario asks of the fleet, from the arithmetic before any run</caption>\n<tbody>\n",
    );
    for (what, figure) in load_rows(load) {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>\n",
            escape(what),
            escape(&figure)
        ));
    }
    html.push_str("</tbody>\n</table>\n");
    for warning in load_warnings(load) {
        html.push_str(&format!(
            "<p class=\"warning\">Warning: {}</p>\n",
            escape(&warning)
        ));
    }
    html
}

/// The files [`write_run`](super::write_run) puts beside `report.html`.
const SIBLINGS: [&str; 4] = [
    "summary.json",
    "timeseries.csv",
    "dashboard.svg",
    "dashboard.png",
];

/// `report.html` for `report`, run from `source`; it opens with `load`, what the scenario asked
/// of the fleet, when given.
pub(crate) fn report_html(report: &Report, source: &Source, load: Option<&Load>) -> Result<String> {
    let dashboard = inline_svg(&super::dashboard_svg(report)?);
    let mut html = page_start(&format!("{} · fleetsim report", report.scenario));

    html.push_str(&format!(
        "<header>\n<h1>{}</h1>\n<p class=\"story\">{}</p>\n<p class=\"identity\">seed {} · \
         session store: {} · {} measured after {} of warm-up</p>\n</header>\n",
        escape(&report.scenario),
        escape(&report.description),
        report.seed,
        escape(&report.session_store),
        seconds(report.simulated_seconds),
        seconds(report.warmup_seconds),
    ));

    if let Some(load) = load {
        html.push_str(&load_section(load));
    }

    html.push_str("\n<h2 id=\"summary\">Summary</h2>\n<div class=\"sections\">\n");
    for section in sections(report) {
        html.push_str(&format!(
            "<table class=\"summary\">\n<caption>{}</caption>\n<tbody>\n",
            escape(section.title)
        ));
        // The wall-clock rows would make two runs of one scenario and seed differ: the page
        // keeps only what the seed determines.
        let rows = section
            .rows
            .iter()
            .filter(|(metric, _)| !WALL_CLOCK_ROWS.contains(&metric.as_str()));
        for (metric, value) in rows {
            // Sub-rows are indented with spaces in the terminal; here with a class.
            let trimmed = metric.trim_start();
            let class = if trimmed.len() < metric.len() {
                " class=\"sub\""
            } else {
                ""
            };
            html.push_str(&format!(
                "<tr><td{class}>{}</td><td class=\"num\">{}</td></tr>\n",
                escape(trimmed),
                escape(value)
            ));
        }
        html.push_str("</tbody>\n</table>\n");
    }
    let counted = if connections_only(report) {
        "Connections and messages count"
    } else if report.connections.is_some() {
        "Requests, sessions, latency, connections and messages count"
    } else {
        "Requests, sessions and latency count"
    };
    html.push_str(&format!(
        "</div>\n<p class=\"note\">{counted} what happened after the warm-up. The same \
         scenario and seed give this page byte for byte (the engine's wall time is in \
         summary.json).</p>\n"
    ));

    html.push_str("\n<h2 id=\"dashboard\">Dashboard</h2>\n<figure class=\"dashboard\">\n");
    html.push_str(&dashboard);
    html.push_str(
        "\n<figcaption>Time runs left to right over the whole run; the warm-up is shaded and \
         each scenario event is a dashed vertical line. The same picture is in dashboard.svg \
         and dashboard.png.</figcaption>\n</figure>\n",
    );

    html.push_str("\n<h2 id=\"timeline\">Events</h2>\n");
    match timeline(report) {
        Some(events) => {
            html.push_str(
                "<table class=\"timeline\">\n<thead><tr><th class=\"num\">at</th>\
                 <th>event</th></tr></thead>\n<tbody>\n",
            );
            for (when, what) in &events.rows {
                html.push_str(&format!(
                    "<tr><td class=\"num\">{}</td><td>{}</td></tr>\n",
                    escape(when),
                    escape(what)
                ));
            }
            html.push_str("</tbody>\n</table>\n");
        }
        None => html.push_str("<p class=\"note\">Nothing was scheduled: no events.</p>\n"),
    }

    html.push_str("\n<h2 id=\"balance\">Requests per instance</h2>\n");
    if connections_only(report) {
        html.push_str(
            "<p class=\"note\">The scenario has connections only: no request was routed. How \
             evenly the connections were spread shows in the summary (imbalance at end) and on \
             the dashboard (most and least loaded instance).</p>\n",
        );
    } else {
        html.push_str(&balance_chart(&report.balance.requests_per_instance));
    }

    html.push_str("\n<h2 id=\"scenario\">Scenario</h2>\n");
    if source.overrides.is_empty() {
        html.push_str("<p>Run as written below, with no <code>--set</code> overrides.</p>\n");
    } else {
        html.push_str("<p>Run with these overrides applied on top of the text below:</p>\n<ul>\n");
        for set in &source.overrides {
            html.push_str(&format!("<li><code>--set {}</code></li>\n", escape(set)));
        }
        html.push_str("</ul>\n");
    }
    if source.yaml.trim().is_empty() {
        html.push_str("<p class=\"note\">The scenario's text is not available.</p>\n");
    } else {
        html.push_str(&format!(
            "<pre class=\"scenario\"><code>{}</code></pre>\n",
            escape(source.yaml.trim_end())
        ));
    }
    if seed_was_changed(report.seed, &source.yaml) {
        html.push_str(&format!(
            "<p class=\"note\">The run used seed {} in place of the seed written above.</p>\n",
            report.seed
        ));
    }

    let files: Vec<String> = SIBLINGS
        .iter()
        .map(|name| format!("<a href=\"{name}\">{name}</a>"))
        .collect();
    html.push_str(&page_end(&format!(
        "Written by fleetsim {}. Beside this page: {}.",
        env!("CARGO_PKG_VERSION"),
        files.join(", ")
    )));
    Ok(html)
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
/// More instances than this and only every k-th is labelled, so labels never overlap.
const MAX_BAR_LABELS: usize = 40;

/// `requests_per_instance` as an SVG bar chart with the mean as a dashed line, in a figure.
fn balance_chart(counts: &[u64]) -> String {
    if counts.is_empty() {
        return "<p class=\"note\">No instance received a request after the warm-up.</p>\n"
            .to_owned();
    }
    let n = counts.len();
    let max = counts.iter().copied().max().unwrap_or(0) as f64;
    let mean = counts.iter().sum::<u64>() as f64 / n as f64;
    let (top, step) = nice_axis(max);
    let plot_width = BAR_WIDTH - BAR_LEFT - BAR_RIGHT;
    let plot_height = BAR_HEIGHT - BAR_TOP - BAR_BOTTOM;
    let y = |v: f64| BAR_TOP + plot_height * (1.0 - v / top);
    let slot = plot_width / n as f64;
    let grey = hex(palette::GREY);

    let mut svg = format!(
        "<svg class=\"balance\" width=\"{BAR_WIDTH}\" height=\"{BAR_HEIGHT}\" \
         viewBox=\"0 0 {BAR_WIDTH} {BAR_HEIGHT}\" role=\"img\" aria-label=\"Requests routed to \
         each of {n} instances\" font-size=\"13\" fill=\"{grey}\">\n"
    );
    // Grid lines and y labels.
    let ticks = (top / step).round() as u64;
    for i in 0..=ticks {
        let v = step * i as f64;
        svg.push_str(&format!(
            "<line x1=\"{BAR_LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#E0E0E0\"/>\n\
             <text x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>\n",
            BAR_LEFT + plot_width,
            BAR_LEFT - 8.0,
            tick(v),
            y = y(v),
        ));
    }
    let blue = hex(palette::BLUE);
    let label_every = n.div_ceil(MAX_BAR_LABELS);
    for (i, &requests) in counts.iter().enumerate() {
        let width = (slot * 0.8).max(1.0);
        let x = BAR_LEFT + slot * i as f64 + (slot - width) / 2.0;
        let top_y = y(requests as f64);
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{top_y:.1}\" width=\"{width:.1}\" height=\"{:.1}\" \
             fill=\"{blue}\"><title>instance {i}: {} requests</title></rect>\n",
            BAR_TOP + plot_height - top_y,
            count(requests),
        ));
        if i % label_every == 0 {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{i}</text>\n",
                BAR_LEFT + slot * (i as f64 + 0.5),
                BAR_TOP + plot_height + 18.0,
            ));
        }
    }
    let black = hex(palette::BLACK);
    svg.push_str(&format!(
        "<line x1=\"{BAR_LEFT}\" x2=\"{right:.1}\" y1=\"{mean_y:.1}\" y2=\"{mean_y:.1}\" \
         stroke=\"{black}\" stroke-width=\"2\" stroke-dasharray=\"10 6\"/>\n\
         <line x1=\"{swatch:.1}\" x2=\"{right:.1}\" y1=\"{legend_y:.1}\" y2=\"{legend_y:.1}\" \
         stroke=\"{black}\" stroke-width=\"2\" stroke-dasharray=\"10 6\"/>\n\
         <text x=\"{:.1}\" y=\"{legend_y:.1}\" text-anchor=\"end\" dominant-baseline=\"middle\" \
         fill=\"{black}\">mean {}</text>\n\
         <line x1=\"{BAR_LEFT}\" x2=\"{BAR_LEFT}\" y1=\"{BAR_TOP}\" y2=\"{bottom:.1}\" \
         stroke=\"{grey}\"/>\n\
         <line x1=\"{BAR_LEFT}\" x2=\"{right:.1}\" y1=\"{bottom:.1}\" y2=\"{bottom:.1}\" \
         stroke=\"{grey}\"/>\n\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">instance, in launch order</text>\n\
         <text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">requests</text>\n\
         </svg>\n",
        BAR_LEFT + plot_width - 34.0,
        count(mean.round() as u64),
        BAR_LEFT + plot_width / 2.0,
        BAR_HEIGHT - 8.0,
        BAR_TOP + plot_height / 2.0,
        right = BAR_LEFT + plot_width,
        mean_y = y(mean),
        // A legend above the plot: a label on the line would hide a bar.
        swatch = BAR_LEFT + plot_width - 26.0,
        legend_y = BAR_TOP - 12.0,
        bottom = BAR_TOP + plot_height,
    ));
    let imbalance = if mean > 0.0 { max / mean } else { 0.0 };
    format!(
        "<figure class=\"balance\">\n{svg}<figcaption>Request attempts routed to each instance \
         after the warm-up; the dashed line is the mean. The busiest instance took {} × the \
         mean (1 is perfectly even).</figcaption>\n</figure>\n",
        fixed(imbalance, 2)
    )
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

    fn source() -> Source {
        Source {
            yaml: "name: crash-sticky\nseed: 7\nduration: 20m\n".to_owned(),
            overrides: vec!["sessions.store=in-memory".to_owned()],
        }
    }

    fn page() -> String {
        report_html(&fixtures::crash_sticky_with_windows(), &source(), None).expect("renders")
    }

    #[test]
    fn the_page_does_not_depend_on_the_wall_clock() {
        let mut report = fixtures::crash_sticky_with_windows();
        let first = report_html(&report, &source(), None).expect("renders");
        report.engine.wall_seconds *= 3.0;
        report.engine.events_per_second /= 3.0;
        assert_eq!(
            report_html(&report, &source(), None).expect("renders"),
            first
        );
        assert!(first.contains("events"));
    }

    #[test]
    fn escaping_neutralises_every_character_that_means_something_in_html() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&amp;</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(escape("plain · text ±"), "plain · text ±");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn the_page_is_one_html5_document_with_its_stylesheet_inline() {
        let html = page();
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
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
        let html = report_html(&report, &source(), None).expect("renders");
        for section in sections(&report) {
            assert!(html.contains(&format!("<caption>{}</caption>", escape(section.title))));
            // The wall-clock rows would make two runs of one scenario and seed differ: the page
            // keeps only what the seed determines.
            let rows = section
                .rows
                .iter()
                .filter(|(metric, _)| !WALL_CLOCK_ROWS.contains(&metric.as_str()));
            for (metric, value) in rows {
                let row = format!("</td><td class=\"num\">{}</td></tr>", escape(value));
                assert!(
                    html.contains(&format!("{}{row}", escape(metric.trim()))),
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
        let html = report_html(&report, &source(), None).expect("renders");
        assert!(html.contains(
            "<tr><td>p99 objective</td><td class=\"num\">250 ms · exceeded in 3 of 108 \
             windows</td></tr>"
        ));
    }

    #[test]
    fn connections_and_messages_are_summary_tables_after_requests_and_sessions() {
        let report = fixtures::crash_sticky_with_connections_and_windows();
        let html = report_html(&report, &source(), None).expect("renders");
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
        let html = report_html(&fixtures::chat_only(), &source(), None).expect("renders");
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
        let html = report_html(&report, &source(), None).expect("renders");
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
        let html = report_html(&report, &source, None).expect("renders");
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
        let chart = balance_chart(&[100, 300, 50]);
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
        assert!(balance_chart(&[]).contains("No instance received a request"));
    }

    #[test]
    fn many_instances_are_labelled_sparsely() {
        let counts: Vec<u64> = (0..100).map(|i| 1_000 + i).collect();
        let chart = balance_chart(&counts);
        assert_eq!(chart.matches("<rect ").count(), 100);
        // Every third of 100: 0, 3, …, 99 is 34 labels.
        let labels = chart.matches("text-anchor=\"middle\">").count();
        assert_eq!(labels, 34 + 2, "34 instance labels and the two axis titles");
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
        let html = report_html(&report, &source(), None).expect("renders");
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
