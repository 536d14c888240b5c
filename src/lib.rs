//! fleetsim: a deterministic discrete-event simulator of horizontally scaled web fleets.
//!
//! Data flows one way: a YAML scenario is parsed and validated ([`scenario`]), the fleet
//! ([`model`]) runs on the event engine ([`engine`]), recorders ([`metrics`]) condense the run into
//! a [`metrics::Report`], and `report` turns that into tables, JSON and CSV, which `output`
//! writes to disk all or nothing.
//!
//! The library's public API is what the binary and the benchmarks use: [`app::run`] with
//! [`cli::Cli`], [`model::simulate`], [`scenario::load`] and [`scenario::parse_str`], and the types
//! in their signatures ([`scenario::Scenario`], [`metrics::Report`], ...). Everything else is
//! `pub(crate)`, which `unreachable_pub` keeps honest and which lets the compiler find dead code.

#![warn(unreachable_pub)]

pub mod app;
pub mod cli;
mod echo;
pub mod engine;
mod live;
pub mod metrics;
pub mod model;
mod output;
mod report;
pub mod scenario;
mod study;

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    /// Every `.rs` file under `dir`, with its text.
    fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
        let mut files = Vec::new();
        for entry in fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                files.extend(sources(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).expect("a source file");
                files.push((path, text));
            }
        }
        files
    }

    /// Whether `word` occurs in `text` as a whole identifier.
    fn mentions(text: &str, word: &str) -> bool {
        let identifier = |c: char| c.is_alphanumeric() || c == '_';
        text.match_indices(word).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            !before.is_some_and(identifier) && !after.is_some_and(identifier)
        })
    }

    #[test]
    fn the_model_and_the_engine_never_read_the_wall_clock() {
        // A run is a function of its scenario alone; wall-clock time is measured by callers.
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for dir in ["model", "engine"] {
            let files = sources(&src.join(dir));
            assert!(!files.is_empty(), "no sources under src/{dir}");
            for (path, text) in files {
                for clock in ["Instant", "SystemTime"] {
                    assert!(
                        !mentions(&text, clock),
                        "{} mentions `{clock}`",
                        path.display()
                    );
                }
            }
        }
        assert!(mentions("let t = Instant::now();", "Instant"));
        assert!(!mentions("an instant, Instantly", "Instant"));
    }
}
