//! `fleetsim sweep`: a grid of parameter values × seeds, streamed to `sweep.csv`.

use super::outcome::Estimate;

/// One grid axis: a scenario field and the values it takes, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    /// A field path as `--set` takes it, e.g. `instances.count`.
    pub path: String,
    /// The values as text, exactly as they go into `--set path=value`.
    pub values: Vec<String>,
}

/// A sweep's results, one entry per grid point, averaged over seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSummary {
    pub scenario: String,
    pub axes: Vec<Axis>,
    /// Seeds per point.
    pub seeds: usize,
    /// Grid points in grid order: the last axis varies fastest.
    pub points: Vec<SweepPoint>,
}

/// One grid point.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// The point's value on each axis, in the order of [`SweepSummary::axes`].
    pub values: Vec<String>,
    /// One estimate per metric of [`super::Headline::ALL`], over the seeds run at this point.
    pub estimates: Vec<Estimate>,
}
