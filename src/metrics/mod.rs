//! Recorders that condense a run into a [`Report`] while it runs, in memory that does not grow
//! with simulated time.

mod connections;
pub mod objectives;
mod recorder;
mod report;

pub(crate) use connections::{ConnRecorder, Drop, Refusal, Undelivery};
pub use connections::{ConnWindowRow, Connections, Dropped, Messages, Refused, Undelivered};
pub use objectives::ObjectiveResult;
pub(crate) use recorder::{
    Cause, DemandModel, FleetSnapshot, LaunchCause, LostCause, Recorder, RunMeta, TerminateCause,
};
pub use report::*;
