//! Scenarios: YAML in, a validated [`Scenario`] out, with every problem reported by file, line
//! and field.

mod types;

pub use types::*;
