//! The discrete-event engine: simulated time, the future-event list and random streams.
//!
//! It knows nothing of HTTP, balancers or sessions; `model/` builds the fleet on top of it.

mod prefetch;
mod queue;
pub(crate) mod random;
mod time;

pub(crate) use prefetch::{prefetch, prefetch_all, prefetch_first};
pub(crate) use queue::EventQueue;
pub(crate) use random::{stream, stream_key, Rng, Streams};
pub use time::SimDuration;
pub(crate) use time::{SimTime, NANOS_PER_SEC};
