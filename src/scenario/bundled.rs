//! The scenarios shipped with fleetsim, compiled into the binary.
//!
//! `fleetsim run crash-sticky` must work from any directory, and a fresh user should find a
//! story to start from without writing YAML. The files in `scenarios/` are the source of truth
//! (documented, tested); this module embeds them and resolves a name or a path to a scenario.

use std::io;
use std::path::Path;

use super::error::ScenarioError;
use super::hints;
use super::overrides::Override;
use super::parse::parse_str;
use super::types::Scenario;

/// One bundled scenario: its name (the file's stem) and its YAML text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bundled {
    pub(crate) name: &'static str,
    pub(crate) yaml: &'static str,
}

impl Bundled {
    /// How messages name it: the file it was compiled from.
    pub(crate) fn display_name(&self) -> String {
        format!("scenarios/{}.yaml", self.name)
    }

    /// Parses and validates it with `overrides`.
    pub(crate) fn load(&self, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
        parse_str(&self.display_name(), self.yaml, overrides)
    }
}

macro_rules! bundled {
    ($($name:literal),* $(,)?) => {
        &[$(Bundled { name: $name, yaml: include_str!(concat!("../../scenarios/", $name, ".yaml")) }),*]
    };
}

/// Every bundled scenario, in the order `fleetsim scenarios` lists them.
pub(crate) const BUNDLED: &[Bundled] = bundled![
    "baseline",
    "crash-sticky",
    "crash-redis",
    "round-robin-in-memory",
    "ip-hash-nat",
    "redis-bottleneck",
    "flash-crowd-autoscale",
    "scale-in-sticky",
    "rolling-deploy-sticky",
    "rolling-deploy-redis",
    "drain-shorter-than-grace",
    "redis-outage",
    "database-ceiling",
    "autoscaler-flapping",
    "gray-failure",
    "lb-single-point",
    "jwt-revocation",
    "diurnal-day",
    "mixed-sizes",
    "scale-up-vs-out",
    "websocket-crash-storm",
    "websocket-scale-out-imbalance",
    "chat-without-pubsub",
    "websocket-rolling-deploy",
    "jobs-in-process-crash",
    "uploads-local-disk",
    "live-crash-sticky",
    "live-rolling-deploy",
    "live-redis-outage",
    "live-autoscaled-step",
];

/// The bundled scenario called `name`.
pub(crate) fn bundled(name: &str) -> Option<&'static Bundled> {
    BUNDLED.iter().find(|b| b.name == name)
}

/// Loads `spec`: a path to a YAML file if one exists there, else the name of a bundled scenario.
/// A folder is never a scenario: one named like a bundled scenario (`baseline/` in the working
/// folder) does not hide it.
pub fn load(spec: &str, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let path = Path::new(spec);
    if path.exists() && !(path.is_dir() && bundled(spec).is_some()) {
        let text = read(path).map_err(|reason| ScenarioError::Read {
            file: spec.to_owned(),
            reason,
        })?;
        return parse_str(spec, &text, overrides);
    }
    if let Some(b) = bundled(spec) {
        return b.load(overrides);
    }
    let looks_like_path =
        spec.contains(['/', '\\']) || spec.ends_with(".yaml") || spec.ends_with(".yml");
    if looks_like_path {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or(spec);
        let reason = match bundled(stem) {
            Some(b) => format!(
                "no such file (to run the bundled scenario, name it: `{}`)",
                b.name
            ),
            None => "no such file".to_owned(),
        };
        return Err(ScenarioError::Read {
            file: spec.to_owned(),
            reason,
        });
    }
    let names = BUNDLED.iter().map(|b| b.name);
    Err(ScenarioError::NotFound {
        spec: spec.to_owned(),
        hint: hints::closest(spec, names.clone()).map(str::to_owned),
        bundled: names.map(str::to_owned).collect(),
    })
}

/// Reads a scenario file; the error is a short reason, without OS error numbers.
fn read(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory, not a scenario file".to_owned(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_owned(),
                None => text,
            }
        }
    })?;
    String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_scenario_is_valid_and_named_after_its_file() {
        for b in BUNDLED {
            let s = b.load(&[]).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.name, b.name);
            assert!(!s.description.is_empty(), "{} has no description", b.name);
            assert!(!s.description.contains('\n'), "{}: one line", b.name);
            assert!(b.yaml.starts_with('#'), "{} starts with its story", b.name);
        }
    }

    #[test]
    fn unknown_names_list_the_bundled_ones_with_a_hint() {
        let e = load("crash-stiky", &[]).unwrap_err().to_string();
        assert!(e.contains("did you mean `crash-sticky`?"), "{e}");
        assert!(
            e.contains("bundled scenarios: baseline, crash-sticky"),
            "{e}"
        );
    }

    #[test]
    fn missing_files_are_named() {
        let e = load("no/such/file.yaml", &[]).unwrap_err().to_string();
        assert!(
            e.starts_with("error: no/such/file.yaml: no such file"),
            "{e}"
        );
    }

    #[test]
    fn a_directory_is_not_a_scenario() {
        let e = load("src", &[]).unwrap_err().to_string();
        assert!(e.starts_with("error: src: "), "{e}");
        assert!(!e.contains("os error"), "{e}");
    }

    #[test]
    fn files_load_by_path() {
        let s = load("scenarios/baseline.yaml", &[]).unwrap();
        assert_eq!(s.name, "baseline");
    }
}
