//! The `fleetsim` binary: parse the command line, run it, print an error once.
//!
//! Exit codes: 0 success, 1 the command failed (a bad scenario, an unwritable output folder),
//! 2 a usage mistake (reported by clap), 128 + the signal's number when interrupted by SIGINT
//! (130), SIGTERM (143) or SIGHUP (129), after removing unfinished output.

use std::process::ExitCode;

use clap::Parser;
use fleetsim::app;
use fleetsim::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Scenario errors are complete messages that already start with `error:`; others
            // (I/O) get the prefix here. `{:#}` shows the context chain on one line.
            let message = format!("{e:#}");
            if message.starts_with("error:") {
                eprintln!("{message}");
            } else {
                eprintln!("error: {message}");
            }
            ExitCode::FAILURE
        }
    }
}
