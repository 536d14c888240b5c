//! The commands that need no simulation: `validate` and `scenarios`, and the help text.

use crate::support::*;

#[test]
fn validate_accepts_every_bundled_scenario_by_name() {
    for name in BUNDLED {
        let output = fleetsim().args(["validate", name]).output().expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.starts_with(&format!("ok: {name} — ")), "{stdout}");
    }
}

#[test]
fn validate_accepts_every_bundled_scenario_by_path() {
    for name in BUNDLED {
        let path = format!("scenarios/{name}.yaml");
        fleetsim().args(["validate", &path]).assert().success();
    }
}

#[test]
fn validate_applies_overrides() {
    let output = fleetsim()
        .args([
            "validate",
            "crash-sticky",
            "--set",
            "sessions.store=jwt",
            "--set",
            "instances.count=8",
        ])
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn scenarios_lists_all_bundled_ones_with_their_stories() {
    let output = fleetsim().arg("scenarios").output().expect("runs");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), BUNDLED.len(), "{stdout}");
    for (line, name) in lines.iter().zip(BUNDLED) {
        let (listed, story) = line.split_once(' ').unwrap_or((line, ""));
        assert_eq!(listed, name);
        assert!(
            story.trim().len() > 20,
            "{name} needs a one-line story: {line:?}"
        );
    }
}

#[test]
fn help_describes_every_command() {
    let output = fleetsim().arg("--help").output().expect("runs");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    for command in ["run", "compare", "sweep", "merge", "validate", "scenarios"] {
        assert_mentions(&stdout, command);
    }
}

#[test]
fn an_unknown_command_is_a_usage_error() {
    fleetsim().arg("simulate").assert().code(2);
}
