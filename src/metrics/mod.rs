//! Recorders that condense a run into a [`Report`] while it runs, in memory that does not grow
//! with simulated time.

mod recorder;
mod report;

pub use recorder::{Cause, Recorder, RunMeta};
pub use report::*;
