//! The fleet: clients, load balancer, instances and session tier, driven by the event engine.
//!
//! ```text
//!   sessions ──► balancer ──► instance: [queue] → workers ──► response
//!   (arrivals,   (algorithm,   (bounded FIFO,      │
//!    think,       affinity,     service time,      ├─ in-memory: state in this instance
//!    timeout,     health        crash)             ├─ redis: one op on the Redis tier
//!    retries)     checks)                          └─ jwt: token verify cost
//! ```
//!
//! Components live in vectors indexed by typed ids (`ids.rs`); the run loop in `sim/`
//! dispatches a closed `Event` enum. Nothing here writes files.

pub(crate) mod arrivals;
pub(crate) mod autoscaler;
pub(crate) mod balancer;
#[cfg(test)]
mod conn_tests;
mod database;
mod estimate;
mod fleet;
mod ids;
mod instance;
mod limits;
mod load;
#[cfg(test)]
mod proptests;
mod redis;
pub(crate) mod sampling;
pub(crate) mod scaling;
mod sim;
mod slab;

#[cfg(test)]
mod tests;

pub(crate) use estimate::{estimate, Estimate};
#[cfg(test)]
pub(crate) use load::Tier;
pub(crate) use load::{load, Level, Load, When};
pub(crate) use sim::Simulation;

use crate::metrics::Report;
use crate::scenario::Scenario;

/// Runs `scenario` to its end and returns the report. The model never reads the wall clock: the
/// report's wall-clock fields are zero until the caller, who timed the run, fills them in
/// (`Engine::record_wall_time`).
pub fn simulate(scenario: &Scenario) -> Report {
    Simulation::new(scenario).run()
}

/// [`simulate`], telling `progress` how far in simulated time the run has come, now and then.
pub(crate) fn simulate_with_progress(
    scenario: &Scenario,
    progress: &mut dyn FnMut(crate::engine::SimTime),
) -> Report {
    Simulation::new(scenario).run_with_progress(progress)
}
