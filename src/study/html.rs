//! `compare.html`: a comparison as one self-contained page for a design review.
//!
//! It says what was compared and how (the same seeds for every variant, so the same users and
//! faults; mean ± 95 % confidence interval across seeds), gives the table, lists what the data
//! shows, most important first — objectives some variants meet and others fail, variants that
//! gave identical results, then metric by metric which variant is lowest and which highest, by
//! how much, whether that stands out from the noise of the seeds and whether it decides an
//! objective — then the chart and the variants with links to their own `report.html`. The findings are computed from the numbers, so they cannot drift from the
//! table. Same stylesheet as `report.html`, no script, nothing fetched.

use maud::{html, Markup, PreEscaped};

use super::compare::{Comparison, VariantSummary};
use super::objectives::{constraining, met_everywhere, worst_cell, ObjectiveFigures};
use super::outcome::{self, interval_cell, Estimate, Headline};
use crate::report::html::{document, inline_svg, NOT_DRAWN};
use crate::report::human::plural;

/// The footer of every study page.
pub(crate) fn written_by() -> Markup {
    html! { "Written by fleetsim " (env!("CARGO_PKG_VERSION")) "." }
}

/// `compare.html` for `c`, with `chart_svg` (an SVG document) inline, or a note that the charts
/// were not drawn.
///
/// `links` holds, per variant in order, the `report.html` of the run written for it, relative to
/// where the page is saved (`runs/crash-sticky+store=redis/report.html`). A variant without a run
/// (`None`, or no entry) gets no link.
pub(crate) fn compare_html(
    c: &Comparison,
    chart_svg: Option<&str>,
    links: &[Option<String>],
) -> String {
    let seeds = c.seeds.len();
    let title = format!(
        "{}: {} × {}",
        c.scenario,
        plural(c.variants.len(), "variant", "variants"),
        plural(seeds, "seed", "seeds")
    );
    let main = html! {
        header {
            h1 { (title) }
            p class="story" { (c.description) }
        }
        p { (method(&c.seeds)) }
        h2 id="table" { "Results" }
        (table(c))
        (objectives_section(c))
        h2 id="findings" { "Findings" }
        ul class="findings" {
            @for finding in findings(c) {
                li { (finding) }
            }
        }
        h2 id="chart" { "Chart" }
        @match chart_svg {
            Some(svg) => figure class="chart" {
                (PreEscaped(inline_svg(svg)))
                figcaption {
                    "Each variant's numbers averaged over its " (plural(seeds, "seed", "seeds")) "."
                }
            },
            None => (charts_not_drawn("compare.csv")),
        }
        h2 id="variants" { "Variants" }
        ul class="variants" {
            @for (i, v) in c.variants.iter().enumerate() {
                li { (variant(v, links.get(i).and_then(Option::as_deref), c.seeds.first())) }
            }
        }
    };
    document(&title, main, written_by())
}

/// The objectives, variant by variant: each one's worst value over the seeds and the seeds
/// meeting it, then the seeds meeting every objective and the verdict. Empty without objectives.
pub(crate) fn objectives_table<'a>(
    rows: impl Iterator<Item = (&'a str, &'a super::objectives::Verdict)>,
    first_column: &str,
) -> Markup {
    let rows: Vec<_> = rows.collect();
    let Some((_, first)) = rows.first() else {
        return html! {};
    };
    html! {
        table class="compare objectives" {
            thead {
                tr {
                    th { (first_column) }
                    @for f in &first.objectives {
                        th class="num" {
                            (f.objective)
                            br;
                            span class="unit" {
                                "worst "
                                (if f.scope == "window" { "window" } else { "run total" })
                                " · seeds meeting it"
                            }
                        }
                    }
                    th class="num" { "seeds meeting all" }
                    th { "verdict" }
                }
            }
            tbody {
                @for (label, v) in &rows {
                    tr {
                        td { (label) }
                        @for f in &v.objectives {
                            td class="num" {
                                (worst_cell(f).replace(" ± ", "\u{a0}±\u{a0}"))
                                " · " (f.seeds_met) "/" (v.seeds)
                            }
                        }
                        td class="num" { (v.seeds_meeting_all) "/" (v.seeds) }
                        @if v.pass {
                            td class="pass" { "pass" }
                        } @else {
                            td class="fail" { "FAIL" }
                        }
                    }
                }
            }
        }
    }
}

/// The comparison's objectives section, with what it means for the choice between variants.
fn objectives_section(c: &Comparison) -> Markup {
    let judged: Vec<(&str, &super::objectives::Verdict)> = c
        .variants
        .iter()
        .filter_map(|v| Some((v.label.as_str(), v.verdict.as_ref()?)))
        .collect();
    if judged.is_empty() {
        return html! {};
    }
    let passing: Vec<&str> = judged
        .iter()
        .filter(|(_, v)| v.pass)
        .map(|(l, _)| *l)
        .collect();
    html! {
        h2 id="objectives" { "Objectives" }
        (objectives_table(judged.iter().copied(), "variant"))
        p {
            @match passing.len() {
                0 => "No variant meets every objective in every seed.",
                n if n == judged.len() => {
                    "Every variant meets every objective in every seed: the objectives do not \
                     choose between them; the other metrics (cost first) do."
                }
                _ => {
                    "Only "
                    @for (i, label) in passing.iter().enumerate() {
                        @if i > 0 { ", " }
                        b { (label) }
                    }
                    " meet" (if passing.len() == 1 { "s" } else { "" })
                    " every objective in every seed; the others fail it in at least one seed, \
                     whatever their other numbers."
                }
            }
        }
    }
}

/// `sweep.html`: a sweep as one self-contained page: what was swept, the table of grid points
/// (mean ± 95 % interval per metric), their objectives when the scenario has any, and the chart
/// (`chart_svg`, an SVG document; empty for none) inline.
pub(crate) fn sweep_html(s: &super::sweep::SweepSummary, chart_svg: Option<&str>) -> String {
    let title = format!(
        "{}: {} × {}",
        s.scenario,
        plural(s.points.len(), "grid point", "grid points"),
        plural(s.seeds, "seed", "seeds")
    );
    let labels: Vec<String> = s.points.iter().map(|p| p.values.join(", ")).collect();
    let judged: Vec<(&str, &super::objectives::Verdict)> = labels
        .iter()
        .zip(&s.points)
        .filter_map(|(l, p)| Some((l.as_str(), p.verdict.as_ref()?)))
        .collect();
    let heading: Vec<&str> = s.axes.iter().map(|a| a.path.as_str()).collect();
    let main = html! {
        header {
            h1 { (title) }
            p class="story" {
                "Swept: "
                @for (i, a) in s.axes.iter().enumerate() {
                    @if i > 0 { "; " }
                    code { (a.path) } " over " (a.values.join(", "))
                }
                "."
            }
        }
        p {
            "Every grid point ran the same " (plural(s.seeds, "seed", "seeds")) ". Each number is \
             the mean across the seeds ± the half-width of its 95 % confidence interval \
             (Student's t), measured after the warm-up."
        }
        h2 id="table" { "Results" }
        table class="compare" {
            thead {
                tr {
                    @for a in &s.axes {
                        th { (a.path) }
                    }
                    @for &m in s.metrics {
                        th class="num" { (m.label()) br; span class="unit" { (m.unit()) } }
                    }
                }
            }
            tbody {
                @for p in &s.points {
                    tr {
                        @for v in &p.values {
                            td { (v) }
                        }
                        @for &m in s.metrics {
                            td class="num" {
                                (p.estimates.get(m.index()).map_or_else(|| "–".to_owned(), |e| cell(m, e)))
                            }
                        }
                    }
                }
            }
        }
        @if !judged.is_empty() {
            h2 id="objectives" { "Objectives" }
            (objectives_table(judged.iter().copied(), &heading.join(", ")))
            p {
                (judged.iter().filter(|(_, v)| v.pass).count()) " of "
                (plural(judged.len(), "grid point", "grid points"))
                " meet every objective in every seed."
            }
        }
        h2 id="chart" { "Chart" }
        @match chart_svg {
            Some(svg) => figure class="chart" { (PreEscaped(inline_svg(svg))) },
            None => (charts_not_drawn("sweep.csv")),
        }
    };
    document(&title, main, written_by())
}

/// What a page says in place of its chart under `--no-charts`.
fn charts_not_drawn(csv: &str) -> Markup {
    html! {
        p class="note" {
            (NOT_DRAWN) (csv) " holds the same figures."
        }
    }
}

/// The seeds, shortly: `7`, `7, 8, 9`, `7–26` when consecutive, or `7, 11, …, 91`.
fn seed_list(seeds: &[u64]) -> String {
    let listed = |seeds: &[u64]| {
        seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if seeds.len() <= 6 {
        return listed(seeds);
    }
    let (first, last) = (seeds[0], seeds[seeds.len() - 1]);
    if seeds.windows(2).all(|w| w[1] == w[0].wrapping_add(1)) {
        format!("{first}–{last}")
    } else {
        format!("{}, …, {last}", listed(&seeds[..2]))
    }
}

/// How the numbers were made, in plain words.
fn method(seeds: &[u64]) -> String {
    let list = seed_list(seeds);
    let same = "A seed fixes every random draw, so under every variant the same users arrived at \
                the same moments, asked for the same pages and met the same faults: differences \
                between the rows come from the variants, not from luck.";
    match seeds.len() {
        0 | 1 => format!(
            "Each variant ran once, with seed {list}. {same} With a single seed, though, no \
             confidence interval can be given: each number is that one run's value, and how much \
             it would move under other seeds is unknown. Run more seeds to measure that. Every \
             number is measured after the warm-up."
        ),
        n => format!(
            "Each variant ran with the same {n} seeds ({list}). {same} Each number is the mean \
             across the seeds ± the half-width of its 95 % confidence interval (Student's t). \
             Because the seeds are shared, the findings compare two variants seed by seed: the \
             interval of their difference tells whether the gap is more than the seeds' noise, \
             even when the two variants' own intervals overlap. Every number is measured after \
             the warm-up."
        ),
    }
}

/// `mean ± half-width` as the terminal table prints it, kept on one line.
fn cell(metric: Headline, e: &Estimate) -> String {
    outcome::cell(metric, e).replace(" ± ", "\u{a0}±\u{a0}")
}

fn table(c: &Comparison) -> Markup {
    html! {
        table class="compare" {
            thead {
                tr {
                    th { "variant" }
                    @for &metric in c.metrics() {
                        th class="num" { (metric.label()) br; span class="unit" { (metric.unit()) } }
                    }
                }
            }
            tbody {
                @for v in &c.variants {
                    tr {
                        td { (v.label) }
                        @for &metric in c.metrics() {
                            td class="num" {
                                (v.estimate(metric).map_or_else(|| "–".to_owned(), |e| cell(metric, e)))
                            }
                        }
                    }
                }
            }
        }
        @if c.seeds.len() == 1 {
            p class="note" {
                "One seed: each cell is that run's value; no confidence interval can be given."
            }
        }
    }
}

/// What the data shows (as HTML sentences), most important first: the objectives that some
/// variants meet and others fail; variants that gave identical results; then one sentence per
/// headline metric, those whose difference decides an objective first, then the large ones
/// beyond the seeds' noise, the small or noisy ones, and last the metrics every variant shares.
fn findings(c: &Comparison) -> Vec<Markup> {
    if c.variants.len() < 2 {
        return vec![html! { "One variant only: there is nothing to compare it with." }];
    }
    let mut found = objective_findings(c);
    found.extend(identical_variants(c));
    let seeds = c.seeds.len();
    let mut weighed: Vec<(Weight, Markup)> = c
        .metrics()
        .iter()
        .filter_map(|&metric| {
            let rows: Vec<(&VariantSummary, &Estimate)> = c
                .variants
                .iter()
                .filter_map(|v| Some((v, v.estimate(metric)?)))
                .collect();
            finding(metric, &rows, seeds)
        })
        .collect();
    // Stable: metrics of equal weight keep the table's order.
    weighed.sort_by_key(|(weight, _)| *weight);
    found.extend(weighed.into_iter().map(|(_, text)| text));
    found
}

/// How much a metric's finding matters, most first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Weight {
    /// The extremes fall on either side of an objective.
    DecidesObjective,
    /// A large difference, more than the seeds' noise (or with one seed, where noise is unknown).
    Large,
    /// A small difference, or one within the noise, or one every objective on it shrugs off.
    Small,
    /// Less than 1 % of the larger value, or below one whole thing of a count.
    Negligible,
    /// No difference to the precision shown.
    Same,
}

/// The bold labels of `variants`, joined by "and".
fn names(variants: &[&VariantSummary]) -> Markup {
    html! {
        @for (i, v) in variants.iter().enumerate() {
            @if i > 0 { " and " }
            strong { (v.label) }
        }
    }
}

/// `<code>p99 &lt; 250ms</code>`.
fn code(objective: &str) -> Markup {
    html! { code { (objective) } }
}

/// `worst window 312 ± 20 ms` or `total 3 sessions`: an objective's worst value over the seeds.
fn worst_text(f: &ObjectiveFigures) -> String {
    let what = if f.scope == "window" {
        "worst window"
    } else {
        "total"
    };
    format!("{what} {}", worst_cell(f).replace(" ± ", "\u{a0}±\u{a0}"))
}

/// One sentence per objective that does not judge every variant alike: those failing it (in at
/// least one seed) first, with how often and how badly, then those meeting it in every seed. An
/// objective no variant meets is said too; one every variant meets is left to the objectives
/// section, as it does not choose between them.
fn objective_findings(c: &Comparison) -> Vec<Markup> {
    let Some(first) = c.verdict() else {
        return Vec::new();
    };
    let mut split = Vec::new();
    let mut none = Vec::new();
    for (j, objective) in first.objectives.iter().enumerate() {
        let judged: Vec<(&VariantSummary, &ObjectiveFigures)> = c
            .variants
            .iter()
            .filter_map(|v| Some((v, v.verdict.as_ref()?.objectives.get(j)?)))
            .collect();
        let (meeting, failing): (Vec<_>, Vec<_>) =
            judged.iter().partition(|(_, f)| met_everywhere(f));
        if failing.is_empty() {
            continue;
        }
        let failing_text = html! {
            @for (i, (v, f)) in failing.iter().enumerate() {
                @if i > 0 { " and " }
                (names(&[v])) " (met in " (f.seeds_met) " of "
                (plural(f.worst.n, "seed", "seeds")) "; " (worst_text(f)) ")"
            }
        };
        if meeting.is_empty() {
            none.push(html! {
                "No variant meets " (code(&objective.objective)) " in every seed: "
                (failing_text) "."
            });
            continue;
        }
        let met: Vec<&VariantSummary> = meeting.iter().map(|(v, _)| *v).collect();
        let met_worst: Vec<String> = meeting.iter().map(|(_, f)| worst_text(f)).collect();
        split.push(html! {
            (failing_text) " " (if failing.len() == 1 { "fails" } else { "fail" }) " "
            (code(&objective.objective)) ", which " (names(&met)) " "
            (if met.len() == 1 { "meets" } else { "meet" }) " in every seed ("
            (met_worst.join("; ")) "): whatever the other numbers say, this is the difference \
             that matters."
        });
    }
    split.extend(none);
    split
}

/// A sentence per group of variants whose runs gave identical results on every metric, seed
/// by seed: their bars are equal and their lines coincide, and the reader should know that
/// this is not a drawing fault.
fn identical_variants(c: &Comparison) -> Vec<Markup> {
    let mut groups: Vec<Vec<&VariantSummary>> = Vec::new();
    for v in &c.variants {
        match groups
            .iter_mut()
            .find(|g| !v.outcomes.is_empty() && g[0].outcomes == v.outcomes)
        {
            Some(group) => group.push(v),
            None => groups.push(vec![v]),
        }
    }
    if groups.len() == 1 {
        return vec![html! {
            "Every variant gave identical results on every metric, seed by seed: what was varied \
             made no difference here. In the chart their bars are equal and their lines lie one \
             over the other; each line's markers show where it runs."
        }];
    }
    groups
        .iter()
        .filter(|g| g.len() > 1)
        .map(|g| {
            html! {
                (names(g)) " gave identical results on every metric, seed by seed: in the chart \
                 their bars are equal and their lines lie one over the other; each line's \
                 markers show where it runs."
            }
        })
        .collect()
}

/// The variants of `rows` whose value of `metric` prints as `target`'s.
fn printed_as<'a>(
    metric: Headline,
    rows: &[(&'a VariantSummary, &'a Estimate)],
    target: f64,
) -> Vec<(&'a VariantSummary, &'a Estimate)> {
    let shown = outcome::value(metric, target);
    rows.iter()
        .filter(|(_, e)| outcome::value(metric, e.mean) == shown)
        .copied()
        .collect()
}

/// `+20 %` or `2.5 times as much`: how `high` compares with `low`; nothing from zero.
fn relative(low: f64, high: f64) -> Option<String> {
    if low <= 0.0 {
        return None;
    }
    let ratio = high / low;
    Some(if ratio >= 2.0 {
        format!("{} times as much", crate::report::human::fixed(ratio, 1))
    } else {
        let pct = (ratio - 1.0) * 100.0;
        format!(
            "+{} %",
            crate::report::human::fixed(pct, if pct < 10.0 { 1 } else { 0 })
        )
    })
}

/// How large a gap of `gap` between `low` and `high` is: against the larger value, and for
/// counts and latencies against one whole thing or one millisecond, below which it is small
/// however large a share it is.
fn size(metric: Headline, low: f64, high: f64) -> Weight {
    let gap = high - low;
    let share = gap / high.abs().max(low.abs()).max(f64::MIN_POSITIVE);
    let tiny = gap < 1.0 && (metric.is_count() || metric.unit() == "ms");
    if share < 0.01 {
        Weight::Negligible
    } else if share < 0.10 || tiny {
        Weight::Small
    } else {
        Weight::Large
    }
}

/// The finding of `metric`: which variants are lowest and highest (only between values that
/// print differently: a tie is said as one), by how much in its unit and relatively, whether the
/// gap is more than the seeds' noise, and what it means for the objectives on the metric. The
/// seeds are common to the variants, so the noise test is paired: the 95 % interval of the
/// seed-by-seed difference, which excludes 0 when the gap is more than the seeds' noise. (It is
/// sharper than comparing the two variants' own intervals, which common seeds make move
/// together.)
fn finding(
    metric: Headline,
    rows: &[(&VariantSummary, &Estimate)],
    seeds: usize,
) -> Option<(Weight, Markup)> {
    let (_, first) = rows.first()?;
    let low = rows.iter().map(|(_, e)| e.mean).fold(first.mean, f64::min);
    let high = rows.iter().map(|(_, e)| e.mean).fold(first.mean, f64::max);
    let name = capitalised(metric.label());
    let with_unit = |e: &Estimate| format!("{} {}", cell(metric, e), metric.unit());
    if outcome::value(metric, low) == outcome::value(metric, high) {
        let same = if low == high {
            "the same in every variant"
        } else {
            "the same in every variant to the precision shown"
        };
        return Some((
            Weight::Same,
            html! { (name) ": " (same) " (" (with_unit(first)) ")." },
        ));
    }
    // Variants tied at an extreme are named together; the first of them stands for them.
    let lowest = printed_as(metric, rows, low);
    let highest = printed_as(metric, rows, high);
    let (low_variant, low_estimate) = lowest[0];
    let (high_variant, high_estimate) = highest[0];
    let group = |tied: &[(&VariantSummary, &Estimate)]| {
        let variants: Vec<&VariantSummary> = tied.iter().map(|(v, _)| *v).collect();
        names(&variants)
    };
    let (lower, higher) = if rows.len() == 2 {
        ("lower with ", ") than with ")
    } else {
        ("lowest with ", "), highest with ")
    };
    let extremes = html! {
        (lower) (group(&lowest)) " (" (with_unit(low_estimate)) (higher)
        (group(&highest)) " (" (with_unit(high_estimate)) ")"
    };
    let gap_size = size(metric, low_estimate.mean, high_estimate.mean);
    let by = format!(
        "{} {}{}",
        outcome::value(metric, high_estimate.mean - low_estimate.mean),
        metric.unit(),
        relative(low_estimate.mean, high_estimate.mean).map_or(String::new(), |r| format!(", {r}"))
    );
    let differences: Vec<f64> = high_variant
        .outcomes
        .iter()
        .zip(&low_variant.outcomes)
        .map(|(h, l)| h.get(metric) - l.get(metric))
        .collect();
    let gap = Estimate::of(&differences);
    let (noise, beyond_noise) = if seeds < 2 || gap.n < 2 {
        (
            "with one seed, whether this is more than luck cannot be told".to_owned(),
            true,
        )
    } else {
        let beyond = gap.low() > 0.0;
        // A difference may be below zero in some seeds: its interval is not clamped.
        let text = interval_cell(&gap, (f64::NEG_INFINITY, f64::INFINITY), |v| {
            outcome::value(metric, v)
        });
        (
            format!(
                "seed by seed the difference is {} {}: {} the noise of {}",
                text.replace(" ± ", "\u{a0}±\u{a0}"),
                metric.unit(),
                if beyond { "larger than" } else { "within" },
                plural(seeds, "seed", "seeds")
            ),
            beyond,
        )
    };
    let mut weight = match gap_size {
        Weight::Large if beyond_noise => Weight::Large,
        Weight::Negligible => Weight::Negligible,
        _ => Weight::Small,
    };
    let mut against = Vec::new();
    let (low_verdict, high_verdict) = (low_variant.verdict.as_ref(), high_variant.verdict.as_ref());
    for (l, h) in constraining(low_verdict, metric).zip(constraining(high_verdict, metric)) {
        let objective = code(&l.objective);
        let text = match (met_everywhere(l), met_everywhere(h)) {
            (true, false) | (false, true) => {
                weight = Weight::DecidesObjective;
                let (met, failed) = if met_everywhere(l) {
                    (group(&lowest), group(&highest))
                } else {
                    (group(&highest), group(&lowest))
                };
                html! {
                    "the gap decides " (objective) ": " (met) " meets it in every seed, "
                    (failed) " does not"
                }
            }
            (true, true) => {
                if weight == Weight::Large {
                    weight = Weight::Small;
                }
                html! { "both meet " (objective) ", so the gap does not change the verdict" }
            }
            (false, false) => html! { "both fail " (objective) },
        };
        against.push(text);
    }

    let adjective = match gap_size {
        Weight::Large => "a large",
        Weight::Negligible => "a negligible",
        _ => "a small",
    };
    Some((
        weight,
        html! {
            (name) ": " (extremes) ", " (adjective) " difference (" (by) "); " (noise)
            @for text in &against {
                "; " (text)
            }
            "."
        },
    ))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A variant's list entry: its label, its overrides and the link to its run's `report.html`.
fn variant(v: &VariantSummary, page: Option<&str>, first_seed: Option<&u64>) -> Markup {
    html! {
        strong { (v.label) } ": "
        @if v.overrides.is_empty() {
            "the scenario as written"
        } @else {
            @for (i, set) in v.overrides.iter().enumerate() {
                @if i > 0 { " " }
                code { "--set " (set) }
            }
        }
        @if let Some(page) = page {
            " · "
            a href=(path_for_url(page)) {
                "its run"
                @if let Some(seed) = first_seed { " (seed " (seed) ")" }
            }
        }
    }
}

/// A relative path as a URL path: bytes that mean something in a URL (`#`, `?`, `%`, spaces, …)
/// are percent-encoded; letters, digits, `/` and the harmless `-._~=,+` are kept.
fn path_for_url(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~=,+".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::html::STYLESHEET;
    use crate::study::outcome::Outcome;

    /// The findings of `c` as the HTML they render to.
    fn sentences(c: &Comparison) -> Vec<String> {
        findings(c).into_iter().map(Markup::into_string).collect()
    }

    /// A variant from one outcome per seed, each as [lost, failed, p50, p99, instance-s, churn].
    fn summary(label: &str, overrides: &[&str], runs: &[[f64; 6]]) -> VariantSummary {
        let outcomes: Vec<Outcome> = runs.iter().map(|&v| Outcome::from_values(v)).collect();
        VariantSummary {
            label: label.to_owned(),
            overrides: overrides.iter().map(|s| (*s).to_owned()).collect(),
            estimates: Headline::ALL
                .iter()
                .map(|&m| Estimate::of_metric(&outcomes, m))
                .collect(),
            outcomes,
            series: Vec::new(),
            verdict: None,
        }
    }

    /// Two stores over three seeds. In-memory loses ~3,200 sessions, Redis none; p50 differs by
    /// less than the seeds' spread; instance-seconds and churn are identical.
    fn comparison() -> Comparison {
        Comparison {
            scenario: "crash-sticky".to_owned(),
            description: "One of four instances crashes.".to_owned(),
            seeds: vec![7, 8, 9],
            warmup_s: 120.0,
            timeline: Vec::new(),
            variants: vec![
                summary(
                    "store=in-memory",
                    &["sessions.store=in-memory"],
                    &[
                        [3_100.0, 4_500.0, 18.0, 120.0, 4_320.0, 1.0],
                        [3_200.0, 4_600.0, 19.0, 125.0, 4_320.0, 1.0],
                        [3_300.0, 4_700.0, 20.0, 130.0, 4_320.0, 1.0],
                    ],
                ),
                summary(
                    "store=redis",
                    &["sessions.store=redis"],
                    &[
                        [0.0, 1_200.0, 18.5, 140.0, 4_320.0, 1.0],
                        [0.0, 1_300.0, 19.5, 150.0, 4_320.0, 1.0],
                        [0.0, 1_400.0, 20.5, 160.0, 4_320.0, 1.0],
                    ],
                ),
            ],
        }
    }

    fn links() -> Vec<Option<String>> {
        vec![
            Some("runs/crash-sticky+store=in-memory/report.html".to_owned()),
            None,
        ]
    }

    #[test]
    fn the_title_names_the_scenario_the_variants_and_the_seeds() {
        let html = compare_html(&comparison(), None, &links());
        assert!(html.contains("<title>crash-sticky: 2 variants × 3 seeds</title>"));
        assert!(html.contains("<h1>crash-sticky: 2 variants × 3 seeds</h1>"));
        assert!(html.contains("<p class=\"story\">One of four instances crashes.</p>"));
    }

    #[test]
    fn the_page_shares_the_report_stylesheet_and_fetches_nothing() {
        let chart = "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>";
        let html = compare_html(&comparison(), Some(chart), &links());
        assert!(html.contains(STYLESHEET));
        assert!(html.contains("<svg><g/></svg>"));
        for forbidden in ["http:", "https:", "<script", "src=", "url(", "@import"] {
            assert!(!html.contains(forbidden), "{forbidden:?}");
        }
    }

    #[test]
    fn the_method_is_explained_in_plain_words() {
        let html = compare_html(&comparison(), None, &links());
        assert!(html.contains("Each variant ran with the same 3 seeds (7, 8, 9)."));
        assert!(html.contains("the same users arrived at the same moments"));
        assert!(html.contains("met the same faults"));
        assert!(html.contains("mean across the seeds ± the half-width of its 95 % confidence"));
    }

    #[test]
    fn cells_are_mean_plus_minus_half_width_as_in_the_terminal_table() {
        let html = compare_html(&comparison(), None, &links());
        // Lost sessions 3,100 / 3,200 / 3,300: mean 3,200, s = 100, half-width
        // t(0.975, 2) · 100 / √3 = 4.302653 · 57.735 = 248.4 → 248.
        // p50 18 / 19 / 20 ms: mean 19.0, s = 1, half-width 2.484 → 2.48 (three digits).
        assert!(
            html.contains(
                "<tr><td>store=in-memory</td><td class=\"num\">3,200\u{a0}±\u{a0}248</td>\
             <td class=\"num\">4,600\u{a0}±\u{a0}248</td>\
             <td class=\"num\">19.0\u{a0}±\u{a0}2.48</td>\
             <td class=\"num\">125\u{a0}±\u{a0}12.4</td>\
             <td class=\"num\">4,320\u{a0}±\u{a0}0</td>\
             <td class=\"num\">1\u{a0}±\u{a0}0</td></tr>"
            ),
            "{html}"
        );
        for metric in Headline::shown(false) {
            assert!(html.contains(&format!(
                "<th class=\"num\">{}<br><span class=\"unit\">{}</span></th>",
                metric.label(),
                metric.unit()
            )));
        }
    }

    #[test]
    fn a_comparison_with_connections_tabulates_and_weighs_their_metrics_too() {
        let chat = crate::study::compare::tests::comparison_of(
            &crate::report::fixtures::crash_sticky_with_connections(),
        );
        let found = sentences(&chat);
        assert_eq!(found.len(), Headline::ALL.len());
        assert!(found
            .iter()
            .any(|f| f.starts_with("Reconnects: lower with <strong>a</strong>")));
        let html = table(&chat).into_string();
        assert!(html.contains(
            "<th class=\"num\">messages undelivered<br><span class=\"unit\">% of \
             recipients</span></th>"
        ));
        assert!(!table(&comparison()).into_string().contains("reconnects"));
    }

    #[test]
    fn findings_weigh_differences_by_size_and_against_the_noise() {
        let found = sentences(&comparison());
        assert_eq!(found.len(), Headline::shown(false).len());
        // 0 ± 0 against 3,200 ± 248: differences 3,100 / 3,200 / 3,300, as spread as the
        // in-memory values themselves. From zero there is no ratio to give.
        assert_eq!(
            found[0],
            "Lost sessions: lower with <strong>store=redis</strong> (0\u{a0}±\u{a0}0 sessions) \
             than with <strong>store=in-memory</strong> (3,200\u{a0}±\u{a0}248 sessions), a \
             large difference (3,200 sessions); seed by seed the difference is \
             3,200\u{a0}±\u{a0}248 sessions: larger than the noise of 3 seeds."
        );
        // Failed requests 1,300 against 4,600: 3,300 more, 3.54 times as many.
        assert!(
            found[1].contains("a large difference (3,300 requests, 3.5 times as much)"),
            "{}",
            found[1]
        );
        // p99 125 ± 12.4 against 150 ± 24.8: 25 ms is 1/6 of 150, +20 % of 125, large;
        // differences 20 / 25 / 30 ms, 25 ± 12.4.
        assert!(found[2].starts_with("P99 latency: lower with <strong>store=in-memory"));
        assert!(
            found[2].contains("a large difference (25.0 ms, +20 %)"),
            "{}",
            found[2]
        );
        assert!(
            found[2].ends_with(
                "seed by seed the difference is 25.0\u{a0}±\u{a0}12.4 ms: larger than the noise \
                 of 3 seeds."
            ),
            "{}",
            found[2]
        );
        // p50 19.0 ± 2.48 against 19.5 ± 2.48: the intervals overlap, but Redis is 0.5 ms slower
        // under every seed: more than noise, yet half a millisecond (+2.6 %) is small, so it
        // comes after the large ones.
        assert!(found[3].starts_with("P50 latency: lower with <strong>store=in-memory"));
        assert!(
            found[3].contains(
                "a small difference (0.500 ms, +2.6 %); seed by seed the difference is \
                 0.500\u{a0}±\u{a0}0 ms: larger than the noise of 3 seeds."
            ),
            "{}",
            found[3]
        );
        // What every variant shares comes last.
        assert_eq!(
            found[4],
            "Instance-seconds: the same in every variant (4,320\u{a0}±\u{a0}0 instance·s)."
        );
    }

    /// `comparison()` judged by `lost_sessions == 0` (in-memory fails it in every seed, Redis
    /// meets it) and `p99 < 250ms` (both meet it in every seed).
    fn judged_comparison() -> Comparison {
        use crate::study::objectives::{verdict, Judged};
        let objectives: Vec<crate::scenario::Objective> = ["lost_sessions == 0", "p99 < 250ms"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        let mut c = comparison();
        for v in &mut c.variants {
            let runs: Vec<Vec<Judged>> = v
                .outcomes
                .iter()
                .map(|o| {
                    let (lost, p99) = (o.get(Headline::SessionsLost), o.get(Headline::P99));
                    vec![
                        Judged {
                            worst: lost,
                            met: lost == 0.0,
                        },
                        Judged {
                            worst: p99,
                            met: p99 < 250.0,
                        },
                    ]
                })
                .collect();
            v.verdict = Some(verdict(&objectives, &runs, 1.0));
        }
        c
    }

    #[test]
    fn a_variant_failing_an_objective_another_meets_is_the_first_finding() {
        let found = sentences(&judged_comparison());
        assert_eq!(
            found[0],
            "<strong>store=in-memory</strong> (met in 0 of 3 seeds; total \
             3,200\u{a0}±\u{a0}248.4 sessions) fails <code>lost_sessions == 0</code>, which \
             <strong>store=redis</strong> meets in every seed (total 0 sessions): whatever the \
             other numbers say, this is the difference that matters."
        );
        // The metric behind it comes next, saying the gap decides the objective.
        assert!(found[1].starts_with("Lost sessions: lower with <strong>store=redis"));
        assert!(
            found[1].ends_with(
                "; the gap decides <code>lost_sessions == 0</code>: <strong>store=redis</strong> \
                 meets it in every seed, <strong>store=in-memory</strong> does not."
            ),
            "{}",
            found[1]
        );
        // p99 differs by more than noise, but both meet their objective: it no longer counts
        // as large and comes after failed requests, in the table's order among the small ones.
        assert!(found[2].starts_with("Failed requests:"), "{}", found[2]);
        assert!(found[3].starts_with("P50 latency:"), "{}", found[3]);
        assert!(
            found[4].starts_with("P99 latency:")
                && found[4].ends_with(
                    "; both meet <code>p99 &lt; 250ms</code>, so the gap does not change the \
                     verdict."
                ),
            "{}",
            found[4]
        );
        // An objective every variant meets does not choose between them: no sentence of its own.
        assert!(!found
            .iter()
            .any(|f| f.starts_with("<strong>store=redis</strong> (met")));
    }

    #[test]
    fn an_objective_no_variant_meets_is_said_after_those_that_split_them() {
        let mut c = judged_comparison();
        for v in &mut c.variants {
            let f = &mut v.verdict.as_mut().unwrap().objectives[1];
            f.seeds_met = 1;
        }
        let found = sentences(&c);
        assert!(found[0].contains("fails <code>lost_sessions == 0</code>"));
        assert!(
            found[1].starts_with(
                "No variant meets <code>p99 &lt; 250ms</code> in every seed: \
                 <strong>store=in-memory</strong> (met in 1 of 3 seeds; worst window"
            ),
            "{}",
            found[1]
        );
        assert!(found
            .iter()
            .any(|f| f.ends_with("; both fail <code>p99 &lt; 250ms</code>.")));
    }

    #[test]
    fn equal_values_are_never_called_lowest_or_highest() {
        let mut c = comparison();
        // p99 125.0001 against 125.0004 ms: the same to the precision shown.
        for (v, p99) in c.variants.iter_mut().zip([125.0001, 125.0004]) {
            *v = summary(&v.label, &[], &[[0.0, 1.0, 1.0, p99, 1.0, 1.0]; 3]);
        }
        let found = sentences(&c);
        let p99 = found.iter().find(|f| f.starts_with("P99")).unwrap();
        assert!(
            p99.starts_with("P99 latency: the same in every variant to the precision shown (125"),
            "{p99}"
        );
        assert!(!found
            .iter()
            .any(|f| f.contains("lowe") || f.contains("highe")));
        // Three variants, two tied at the top: the tie is named together, neither alone.
        c.variants
            .push(summary("c", &[], &[[0.0, 1.0, 1.0, 100.0, 1.0, 1.0]; 3]));
        let found = sentences(&c);
        let p99 = found.iter().find(|f| f.starts_with("P99")).unwrap();
        assert!(
            p99.starts_with(
                "P99 latency: lowest with <strong>c</strong> (100\u{a0}±\u{a0}0 ms), highest \
                 with <strong>store=in-memory</strong> and <strong>store=redis</strong>"
            ),
            "{p99}"
        );
    }

    #[test]
    fn variants_with_identical_results_are_said_to_be_identical() {
        let mut c = comparison();
        let mut twin = c.variants[0].clone();
        twin.label = "store=memcached".to_owned();
        c.variants.push(twin);
        let found = sentences(&c);
        assert!(
            found[0].starts_with(
                "<strong>store=in-memory</strong> and <strong>store=memcached</strong> gave \
                 identical results on every metric, seed by seed"
            ),
            "{}",
            found[0]
        );
        // Every variant alike: one sentence says so, and every metric is the same.
        c.variants = vec![c.variants[0].clone(), c.variants[2].clone()];
        let found = sentences(&c);
        assert!(found[0].starts_with("Every variant gave identical results on every metric"));
        assert!(found[1..]
            .iter()
            .all(|f| f.contains("the same in every variant")));
    }

    #[test]
    fn count_intervals_reaching_below_zero_are_shown_from_zero() {
        let mut c = comparison();
        // Lost sessions 0 / 0 / 9: mean 3, s = 5.196, half-width 4.302653 · 3 = 12.9: the
        // interval −9.9 … 15.9 shows as 0–15.9.
        c.variants[1] = summary(
            "store=redis",
            &[],
            &[
                [0.0, 1.0, 1.0, 1.0, 1.0, 1.0],
                [0.0, 1.0, 1.0, 1.0, 1.0, 1.0],
                [9.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            ],
        );
        let html = compare_html(&c, None, &[]);
        assert!(
            html.contains("<tr><td>store=redis</td><td class=\"num\">0–15.9</td>"),
            "{html}"
        );
    }

    #[test]
    fn a_gap_that_changes_sign_between_seeds_is_within_the_noise() {
        let mut c = comparison();
        // Failed requests 10 / 20 / 30 against 12 / 18 / 33: differences 2, −2, 3.
        c.variants[0] = summary(
            "a",
            &[],
            &[
                [0.0, 10.0, 1.0, 1.0, 1.0, 1.0],
                [0.0, 20.0, 1.0, 1.0, 1.0, 1.0],
                [0.0, 30.0, 1.0, 1.0, 1.0, 1.0],
            ],
        );
        c.variants[1] = summary(
            "b",
            &[],
            &[
                [0.0, 12.0, 1.0, 1.0, 1.0, 1.0],
                [0.0, 18.0, 1.0, 1.0, 1.0, 1.0],
                [0.0, 33.0, 1.0, 1.0, 1.0, 1.0],
            ],
        );
        let found = sentences(&c);
        // The only metric that differs comes first.
        assert!(
            found[0].starts_with("Failed requests: lower with <strong>a</strong>"),
            "{}",
            found[0]
        );
        // The difference's own interval may reach below zero: it is not clamped.
        assert!(
            found[0].ends_with(": within the noise of 3 seeds."),
            "{}",
            found[0]
        );
    }

    #[test]
    fn findings_follow_the_data_not_the_order_of_the_variants() {
        let mut c = comparison();
        c.variants.reverse();
        let found = sentences(&c);
        assert!(found[0].starts_with("Lost sessions: lower with <strong>store=redis</strong>"));
        // Ties at an extreme are named together.
        c.variants.push(summary(
            "store=jwt",
            &["sessions.store=jwt"],
            &[[0.0, 1.0, 1.0, 1.0, 1.0, 1.0]; 3],
        ));
        let found = sentences(&c);
        assert!(found[0].starts_with(
            "Lost sessions: lowest with <strong>store=redis</strong> and <strong>store=jwt</strong>"
        ));
    }

    #[test]
    fn one_seed_prints_the_value_alone_and_says_no_interval_can_be_given() {
        let mut c = comparison();
        c.seeds.truncate(1);
        for v in &mut c.variants {
            *v = summary(&v.label, &[], &[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]);
        }
        c.variants[1].estimates[0] = Estimate::of(&[3_217.0]);
        let html = compare_html(&c, None, &[]);
        assert!(html.contains("crash-sticky: 2 variants × 1 seed"));
        assert!(!html.contains('±'));
        assert!(html.contains("no confidence interval can be given"));
        assert!(html.contains("<td class=\"num\">3,217</td>"));
        assert!(html.contains("<td class=\"num\">3.00</td>"));
        let found = sentences(&c);
        let lost = found
            .iter()
            .find(|f| f.starts_with("Lost sessions"))
            .unwrap();
        assert!(lost.ends_with("with one seed, whether this is more than luck cannot be told."));
    }

    #[test]
    fn variants_list_their_overrides_and_link_to_their_run_when_it_has_one() {
        let html = compare_html(&comparison(), None, &links());
        assert!(html.contains(
            "<li><strong>store=in-memory</strong>: <code>--set sessions.store=in-memory</code> · \
             <a href=\"runs/crash-sticky+store=in-memory/report.html\">its run (seed 7)</a></li>"
        ));
        assert!(html.contains(
            "<li><strong>store=redis</strong>: <code>--set sessions.store=redis</code></li>"
        ));
        // Fewer links than variants: the rest have none.
        let html = compare_html(&comparison(), None, &[]);
        assert!(!html.contains("<a href"));
    }

    #[test]
    fn link_targets_are_encoded_and_labels_escaped() {
        assert_eq!(
            path_for_url("runs/a=1, b=x y#2?%"),
            "runs/a=1,%20b=x%20y%232%3F%25"
        );
        assert_eq!(path_for_url("runs\\ü"), "runs/%C3%BC");
        let mut c = comparison();
        c.variants[0].label = "<b>bold</b> & \"quoted\"".to_owned();
        let links = [Some("a\"b".to_owned()), None];
        let html = compare_html(&c, None, &links);
        assert!(!html.contains("<b>"));
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"));
        assert!(html.contains("href=\"a%22b\""));
    }

    #[test]
    fn seeds_are_listed_shortly() {
        assert_eq!(seed_list(&[7]), "7");
        assert_eq!(seed_list(&[7, 8, 9]), "7, 8, 9");
        assert_eq!(seed_list(&(1..=20).collect::<Vec<_>>()), "1–20");
        assert_eq!(seed_list(&[1, 5, 9, 13, 17, 21, 25]), "1, 5, …, 25");
    }

    #[test]
    fn the_same_comparison_gives_the_same_bytes() {
        assert_eq!(
            compare_html(&comparison(), Some("<svg/>"), &links()),
            compare_html(&comparison(), Some("<svg/>"), &links())
        );
    }
}
