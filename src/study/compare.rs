//! `fleetsim compare`: variants of one scenario over the same seeds.

use crate::metrics::TimelineEntry;

use super::outcome::{Estimate, Outcome};

/// A finished comparison: what the table, files and charts are made from.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub scenario: String,
    pub description: String,
    /// The seeds every variant ran with, in order.
    pub seeds: Vec<u64>,
    /// End of warm-up, seconds (charts shade it).
    pub warmup_s: f64,
    /// The scenario's events as applied in the first variant's first seed (chart markers).
    pub timeline: Vec<TimelineEntry>,
    pub variants: Vec<VariantSummary>,
}

/// One variant: its overrides, its runs and their summary.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantSummary {
    /// How tables and legends name it, e.g. `store=redis`.
    pub label: String,
    /// The overrides that make it, as `path=value`.
    pub overrides: Vec<String>,
    /// One outcome per seed, in the order of [`Comparison::seeds`].
    pub outcomes: Vec<Outcome>,
    /// One estimate per metric of [`super::Headline::ALL`], in that order.
    pub estimates: Vec<Estimate>,
    /// The time series averaged over seeds, window by window.
    pub series: Vec<SeriesRow>,
}

/// One report window of a variant, averaged over its seeds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SeriesRow {
    /// Start of the window, seconds.
    pub t_s: f64,
    /// Successful requests per second.
    pub throughput: f64,
    /// Failed request attempts per second.
    pub failures: f64,
    pub p99_ms: f64,
    pub instances_ready: f64,
    /// Cumulative lost sessions since the start of the run.
    pub sessions_lost_total: f64,
}
