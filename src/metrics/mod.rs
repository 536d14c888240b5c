//! Recorders that condense a run into a [`Report`] while it runs, in memory that does not grow
//! with simulated time.

mod recorder;
mod report;

pub(crate) use recorder::{
    Cause, DemandModel, FleetSnapshot, LaunchCause, LostCause, Recorder, RunMeta, TerminateCause,
};
pub use report::*;
