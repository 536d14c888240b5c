//! The discrete-event engine: simulated time, the future-event list and random streams.
//!
//! It knows nothing of HTTP, balancers or sessions; `model/` builds the fleet on top of it.

mod queue;
pub mod random;
mod time;

pub use queue::EventQueue;
pub use random::{stream, stream_key, Rng};
pub use time::{SimDuration, SimTime, NANOS_PER_SEC};
