//! The `fleetsim` binary, exercised as a user would: through its command line.
//!
//! One integration-test binary (faster to link than one per file), one module per concern.

mod bad_input;
mod browser;
mod commands;
mod connections;
mod deploy;
mod docs;
mod dynamics;
mod groups;
mod jobs_files;
mod limits;
mod live;
mod load;
mod objectives;
mod output;
mod scenarios;
mod starter;
mod study;
mod support;
