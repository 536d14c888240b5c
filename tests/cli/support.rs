//! Helpers shared by the CLI tests: the binary, scenario files in temporary folders, and the
//! checks every failure must pass.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The bundled crash scenario, the base that bad-input tests break one field of.
pub const CRASH_STICKY: &str = include_str!("../../scenarios/crash-sticky.yaml");

/// Every bundled scenario's name, as `fleetsim scenarios` must list them.
pub const BUNDLED: [&str; 30] = [
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

/// The binary under test, run from the package root.
pub fn fleetsim() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetsim"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    // A panic must not be dressed up as a clean failure by an inherited setting.
    cmd.env_remove("RUST_BACKTRACE");
    cmd
}

/// `CRASH_STICKY` with `from` replaced by `to` (which must occur exactly once).
pub fn crash_sticky_with(from: &str, to: &str) -> String {
    assert_eq!(
        CRASH_STICKY.matches(from).count(),
        1,
        "crash-sticky.yaml should contain {from:?} exactly once"
    );
    CRASH_STICKY.replacen(from, to, 1)
}

/// The 1-based line of `text` that contains `needle` (first match).
pub fn line_of(text: &str, needle: &str) -> usize {
    match text.lines().position(|l| l.contains(needle)) {
        Some(i) => i + 1,
        None => panic!("{needle:?} is not in the text"),
    }
}

/// A temporary folder with a scenario file and an (absent) output folder.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    /// Writes `yaml` to `<dir>/<name>` and returns its path.
    pub fn file(&self, name: &str, yaml: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, yaml).expect("write the scenario");
        path
    }

    /// Where `--out` points.
    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }
}

/// Runs `fleetsim run <scenario> --out <ws.out()> <extra…>`, checks that it failed the way a user
/// mistake must (exit code 1, one screen, no panic, nothing written) and returns stderr.
pub fn run_fails(ws: &Workspace, scenario: &Path, extra: &[&str]) -> String {
    let output = fleetsim()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(ws.out())
        .args(extra)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(1),
        "exit code; stderr:\n{stderr}"
    );
    assert_clean_failure(&stderr);
    assert!(
        !ws.out().exists(),
        "nothing may be written on failure, but {} exists",
        ws.out().display()
    );
    assert!(
        output.stdout.is_empty(),
        "stdout should be empty on failure"
    );
    stderr
}

/// One screen, no panic or backtrace, no Rust debug noise.
pub fn assert_clean_failure(stderr: &str) {
    let lines = stderr.lines().count();
    assert!(lines > 0 && lines < 40, "{lines} lines:\n{stderr}");
    for noise in [
        "panicked",
        "RUST_BACKTRACE",
        "Error {",
        "Os {",
        "Some(",
        "\\n",
    ] {
        assert!(
            !stderr.contains(noise),
            "stderr contains {noise:?}:\n{stderr}"
        );
    }
    assert!(stderr.starts_with("error: "), "stderr:\n{stderr}");
}

/// Runs `cmd`, asserts it succeeded (showing its stderr if not) and returns its output.
pub fn succeeds(cmd: &mut Command) -> std::process::Output {
    let output = cmd.output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Asserts `stderr` contains `what`, showing stderr if not.
pub fn assert_mentions(stderr: &str, what: &str) {
    assert!(stderr.contains(what), "expected {what:?} in:\n{stderr}");
}
