//! Recorders that condense a run into a [`Report`] while it runs, in memory that does not grow
//! with simulated time.

mod recorder;
mod report;

pub use recorder::{
    Cause, DemandModel, FleetSnapshot, LaunchCause, LostCause, Recorder, RunMeta, TerminateCause,
    REVERSAL_WINDOW,
};
pub use report::*;
