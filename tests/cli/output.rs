//! What a run leaves on disk when it does not complete: nothing new, and an earlier run's folder
//! byte for byte as it was. Interrupted by SIGINT or SIGTERM, a run or a comparison removes what
//! it had begun, says so on one line and exits with 128 + the signal's number; on a full disk, it
//! fails like any unwritable folder.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::Duration;

use crate::support::{assert_clean_failure, assert_mentions, fleetsim, Workspace};

/// A day of simulated time: tens of seconds of work, far longer than the wait before the signal.
const LONG: [&str; 2] = ["--set", "duration=24h"];

/// Every path under `folder`, hidden ones included, with the bytes of the files.
fn contents(folder: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut todo = vec![folder.to_owned()];
    while let Some(dir) = todo.pop() {
        for entry in fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("an entry").path();
            let relative = path.strip_prefix(folder).unwrap().to_owned();
            if path.is_dir() {
                found.insert(relative, Vec::new());
                todo.push(path);
            } else {
                found.insert(relative, fs::read(&path).expect("readable"));
            }
        }
    }
    found
}

/// Starts `fleetsim <args>`, sends it `signal` (a name `kill -s` takes) a second later, while it
/// is still simulating, and returns what it did.
fn interrupted(args: &[&str], signal: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    thread::sleep(Duration::from_secs(1));
    assert!(
        child.try_wait().expect("waitable").is_none(),
        "fleetsim {args:?} ended before it could be interrupted"
    );
    let sent = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -s {signal}");
    child.wait_with_output().expect("the binary ends")
}

/// Exit code 128 + the signal's number, one line on stderr, nothing on stdout.
fn assert_interrupted(output: &Output, signal: &str, code: i32) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr:\n{stderr}");
    assert_eq!(
        stderr,
        format!("error: interrupted ({signal}); unfinished output removed\n")
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn an_interrupted_run_writes_nothing_and_exits_with_130() {
    let ws = Workspace::new();
    let out = ws.out();
    let mut args = vec!["run", "baseline", "--out", out.to_str().unwrap()];
    args.extend(LONG);

    let output = interrupted(&args, "INT");

    assert_interrupted(&output, "SIGINT", 130);
    assert!(
        contents(ws.dir.path()).is_empty(),
        "no folder and no hidden temporary: {:?}",
        contents(ws.dir.path()).keys()
    );
}

#[test]
fn a_terminated_run_leaves_the_earlier_runs_folder_as_it_was_and_exits_with_143() {
    let ws = Workspace::new();
    let out = ws.out();
    let earlier = fleetsim()
        .args(["run", "baseline", "--out"])
        .arg(&out)
        .output()
        .expect("the binary runs");
    assert!(earlier.status.success());
    let before = contents(ws.dir.path());

    let mut args = vec![
        "run",
        "baseline",
        "--seed",
        "8",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(LONG);
    let output = interrupted(&args, "TERM");

    assert_interrupted(&output, "SIGTERM", 143);
    assert_eq!(
        contents(ws.dir.path()),
        before,
        "the earlier run's files byte for byte, and nothing hidden left"
    );
}

#[test]
fn an_interrupted_comparison_leaves_no_folder() {
    let ws = Workspace::new();
    let out = ws.out();
    let mut args = vec![
        "compare",
        "baseline",
        "--vary",
        "instances.count=4,6",
        "--seeds",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(LONG);

    let output = interrupted(&args, "INT");

    assert_interrupted(&output, "SIGINT", 130);
    assert!(contents(ws.dir.path()).is_empty());
}

/// On a 512 KiB file system (a tmpfs mounted in a user and mount namespace of its own), a first
/// run of `baseline` (~340 KB) fits and a second does not: the second fails with the disk's error
/// and leaves the first run's folder as it was, and a run into a new folder leaves nothing. The
/// shell inside the namespace prints each exit code and whether the file system is unchanged.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_fails_the_run_and_leaves_the_earlier_folder_as_it_was() {
    const SCRIPT: &str = r#"
        set -u
        out=$1; bin=$2; logs=$3
        mount -t tmpfs -o size=512k tmpfs "$out" || exit 99
        "$bin" run baseline --out "$out" > /dev/null || exit 98
        state() { cd "$out" && find . | sort && find . -type f | sort | xargs cksum; }
        before=$(state)
        "$bin" run baseline --seed 8 --out "$out" > /dev/null 2> "$logs/again.txt"
        echo "again: $?"
        "$bin" run baseline --seed 8 --out "$out/fresh" > /dev/null 2> "$logs/fresh.txt"
        echo "fresh: $?"
        after=$(state)
        if [ "$before" = "$after" ]; then echo unchanged; else echo "$before"; echo "$after"; fi
    "#;
    let ws = Workspace::new();
    let (mount_point, logs) = (ws.dir.path().join("disk"), ws.dir.path().join("logs"));
    fs::create_dir_all(&mount_point).unwrap();
    fs::create_dir_all(&logs).unwrap();
    let output = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            SCRIPT,
            "sh",
        ])
        .args([
            &mount_point,
            Path::new(env!("CARGO_BIN_EXE_fleetsim")),
            &logs,
        ])
        .output();
    let output = match output {
        Ok(output) if output.status.code() != Some(99) && output.status.code() != Some(1) => output,
        // No `unshare`, no user namespaces, or no tmpfs in them: nothing to fill here.
        _ => {
            eprintln!("skipped: cannot mount a small tmpfs in a user namespace here");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout, "again: 1\nfresh: 1\nunchanged\n");
    for log in ["again.txt", "fresh.txt"] {
        let stderr = fs::read_to_string(logs.join(log)).unwrap();
        assert_clean_failure(&stderr);
        assert_mentions(&stderr, "No space left on device");
    }
}
