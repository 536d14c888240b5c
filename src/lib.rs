//! fleetsim: a deterministic discrete-event simulator of horizontally scaled web fleets.
//!
//! Data flows one way: a YAML scenario is parsed and validated ([`scenario`]), the fleet
//! ([`model`]) runs on the event engine ([`engine`]), recorders ([`metrics`]) condense the run into
//! a [`metrics::Report`], and [`report`] turns that into tables, JSON and CSV, which [`output`]
//! writes to disk all or nothing.

pub mod app;
pub mod cli;
pub mod echo;
pub mod engine;
pub mod metrics;
pub mod model;
pub mod output;
pub mod report;
pub mod scenario;
pub mod study;
