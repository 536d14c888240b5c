//! Recorders that condense a run into a [`Report`] while it runs, in memory that does not grow
//! with simulated time.

mod connections;
mod jobs;
pub mod objectives;
mod recorder;
mod report;

pub(crate) use connections::{ConnRecorder, Drop, Refusal, Undelivery};
pub use connections::{ConnWindowRow, Connections, Dropped, Messages, Refused, Undelivered};
pub use jobs::{FailedReads, Files, JobWindowRow, Jobs, JobsLost};
pub(crate) use jobs::{JobLoss, JobRecorder, ReadFailure};
pub use objectives::ObjectiveResult;
pub(crate) use recorder::{
    grown_to, latency_histogram, latency_of, to_us, Cause, DemandModel, FleetSnapshot, LaunchCause,
    LostCause, Recorder, RunMeta, TerminateCause,
};
pub use report::*;
