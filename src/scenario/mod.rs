//! Scenarios: YAML in, a validated [`Scenario`] out, with every problem reported by file, line
//! and field.
//!
//! ```text
//!  YAML text ──serde-saphyr──▶ RawScenario ──--set──▶ RawScenario ──validate──▶ Scenario
//!  (raw.rs: shape, defaults)   (overrides.rs)           (validate.rs: rules, units resolved)
//! ```
//! Errors at any step become one [`ScenarioError`] whose `Display` is the whole message; the
//! line index (`lines.rs`) maps field paths back to lines for the messages.

mod bundled;
mod duration;
mod error;
mod friendly;
mod hints;
mod lines;
mod objective;
mod overrides;
mod parse;
mod percent;
pub(crate) mod raw;
mod reference;
mod schema;
mod types;
mod validate;

pub use bundled::load;
pub(crate) use bundled::{Bundled, BUNDLED};
pub(crate) use duration::parse_duration;
pub use error::{ParseError, Problem, ScenarioError};
pub(crate) use hints::closest;
pub use overrides::Override;
pub use parse::parse_str;
pub use reference::reference_markdown;
pub use schema::{schema_json, MODELINE, STARTER};
pub use types::Scenario;
pub(crate) use types::*;
pub(crate) use validate::Z99;
