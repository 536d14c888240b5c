//! Many runs of one scenario, for questions a single run cannot settle: `fleetsim compare`
//! (variants side by side, each over the same seeds) and `fleetsim sweep` (a grid of parameter
//! values), with the spread across seeds as 95 % confidence intervals.
//!
//! Every run is an ordinary deterministic [`simulate`](crate::model::simulate) call, so runs
//! execute in parallel and in any order while the results, gathered by index, stay the same.
//! Seed `i` is the same for every variant: the same users arrive at the same times and meet the
//! same faults (common random numbers), so differences between variants are the design's, not
//! the dice's.

pub(crate) mod charts;
pub(crate) mod compare;
pub(crate) mod grid;
pub(crate) mod html;
pub(crate) mod objectives;
pub(crate) mod outcome;
pub(crate) mod plan;
pub(crate) mod runner;
pub(crate) mod sweep;

pub(crate) use grid::Axis;
