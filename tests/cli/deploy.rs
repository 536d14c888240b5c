//! The deployment files under `deploy/`: the Kubernetes Jobs and the Slurm scripts must run the
//! sweep they document, split it into the same number of shards everywhere, and merge every shard.
//!
//! A deployment mistake shows only on a cluster, after the image is built and pushed, and often
//! silently: a shard count changed in one file but not another drops or repeats a slice of the
//! grid, and a `$(NAME)` that Kubernetes cannot expand reaches the binary verbatim. These checks
//! read the files, pin their command lines to the documented sweep, and have the real binary
//! parse those command lines without running a simulation.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::Value;

use crate::support::*;

/// The sweep every deployment runs: the scenario, its grid and the seeds per grid point.
/// 15 instance counts × 3 stores × 5 seeds = 225 runs.
const SWEEP: [&str; 8] = [
    "sweep",
    "crash-sticky",
    "--grid",
    "instances.count=2..16",
    "--grid",
    "sessions.store=in-memory,redis,jwt",
    "--seeds",
    "5",
];

/// Shards, hence Kubernetes completions and Slurm array tasks.
const SHARDS: usize = 8;

/// `deploy/<rel>` as text.
fn read(rel: &str) -> String {
    let path = deploy_path(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn deploy_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(rel)
}

/// A Kubernetes manifest (one document) as a JSON tree.
fn manifest(rel: &str) -> Value {
    serde_saphyr::from_str::<Value>(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The only container of a Job's pod template.
fn container(job: &Value) -> &Value {
    let containers = job["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("a Job has containers");
    assert_eq!(containers.len(), 1, "one container per pod: {containers:?}");
    &containers[0]
}

/// The container's `args`, each of which must be a YAML string: Kubernetes refuses `5` where
/// it expects `"5"`.
fn args(job: &Value) -> Vec<String> {
    container(job)["args"]
        .as_array()
        .expect("the container has args")
        .iter()
        .map(|a| match a {
            Value::String(s) => s.clone(),
            other => panic!("every arg must be a string, not {other}"),
        })
        .collect()
}

/// The value following `flag` in `args`.
fn value_of<'a>(args: &'a [String], flag: &str) -> &'a str {
    let i = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{flag} is not in {args:?}"));
    args.get(i + 1)
        .unwrap_or_else(|| panic!("{flag} has no value"))
}

/// `K/N` of a `--shard` value: the index part as text, and N.
fn shard_of(args: &[String]) -> (&str, usize) {
    let shard = value_of(args, "--shard");
    let (index, count) = shard
        .split_once('/')
        .unwrap_or_else(|| panic!("--shard {shard} is not K/N"));
    let count = count
        .parse()
        .unwrap_or_else(|_| panic!("--shard {shard}: N is not a number"));
    (index, count)
}

/// Every `$(NAME)` that Kubernetes would expand in `text`.
fn expansions(text: &str) -> Vec<&str> {
    text.match_indices("$(")
        .filter_map(|(i, _)| text[i + 2..].split_once(')').map(|(name, _)| name))
        .collect()
}

/// The integer after `prefix` on the script line that starts with it.
fn script_number(script: &str, prefix: &str) -> usize {
    let line = script
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix:?}"));
    line[prefix.len()..]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{line:?} does not end in a number"))
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The sweep of shard `index` (as text) of `count`, writing to `out`, on `threads` threads.
fn sweep_args(index: &str, count: usize, out: &str, threads: &str) -> Vec<String> {
    let mut expected = strings(&SWEEP);
    expected.extend(strings(&[
        "--shard",
        &format!("{index}/{count}"),
        "--out",
        out,
        "--resume",
        "--quiet",
        "--threads",
        threads,
    ]));
    expected
}

/// `fleetsim merge <root>/shard-0 … <root>/shard-(count-1) --out <root>/merged`.
fn merge_args(root: &str, count: usize) -> Vec<String> {
    let mut expected = vec!["merge".to_string()];
    expected.extend((0..count).map(|k| format!("{root}/shard-{k}")));
    expected.extend(["--out".to_string(), format!("{root}/merged")]);
    expected
}

/// Checks that the binary accepts `args` as a command line, without running anything.
///
/// `--help` is appended: clap reads the arguments in order, checking each flag's name and value
/// as the next one arrives, and prints the help (exit 0) only on reaching `--help`. So help
/// on stdout means every deployed argument before it was accepted, and no simulation started.
fn assert_parses(args: &[String]) {
    let output = fleetsim()
        .args(args)
        .arg("--help")
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(&format!("Usage: fleetsim {}", args[0])),
        "fleetsim refuses {args:?}:\n{}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_sweep_job_runs_the_documented_sweep_one_shard_per_index() {
    let job = manifest("kubernetes/sweep-job.yaml");
    assert_eq!(
        args(&job),
        sweep_args(
            "$(JOB_COMPLETION_INDEX)",
            SHARDS,
            "/results/shard-$(JOB_COMPLETION_INDEX)",
            "$(FLEETSIM_THREADS)"
        )
    );
}

#[test]
fn the_sweep_job_is_indexed_with_one_completion_per_shard() {
    let job = manifest("kubernetes/sweep-job.yaml");
    let spec = &job["spec"];
    assert_eq!(job["kind"], "Job");
    assert_eq!(spec["completionMode"], "Indexed");
    let job_args = args(&job);
    let (index, count) = shard_of(&job_args);
    assert_eq!(index, "$(JOB_COMPLETION_INDEX)");
    // Indices run 0..completions, shards 0..N: the two ranges must be the same.
    assert_eq!(
        spec["completions"], count,
        "completions vs --shard K/{count}"
    );
    assert_eq!(spec["parallelism"], count, "every shard at once");
    assert!(spec["backoffLimitPerIndex"].is_u64(), "retries per index");
    // Two pods of one index must never write the same shard folder at once.
    assert_eq!(spec["podReplacementPolicy"], "Failed");
    assert_eq!(spec["template"]["spec"]["restartPolicy"], "Never");
}

#[test]
fn every_variable_the_sweep_job_expands_is_defined_in_its_pod() {
    // Kubernetes leaves an undefined `$(NAME)` as it is, so a typo reaches the binary as text.
    let job = manifest("kubernetes/sweep-job.yaml");
    let env = container(&job)["env"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let declared = |name: &str| env.iter().any(|e| e["name"] == name);
    let job_args = args(&job);
    let used: Vec<&str> = job_args.iter().flat_map(|a| expansions(a)).collect();
    assert!(used.contains(&"JOB_COMPLETION_INDEX"), "{job_args:?}");
    for name in used {
        // The Job controller adds JOB_COMPLETION_INDEX to the containers of an Indexed Job.
        let automatic =
            name == "JOB_COMPLETION_INDEX" && job["spec"]["completionMode"] == "Indexed";
        assert!(automatic || declared(name), "$({name}) is not defined");
    }
    // The thread count is the container's own CPU request, rounded up.
    let threads = env
        .iter()
        .find(|e| e["name"] == "FLEETSIM_THREADS")
        .expect("FLEETSIM_THREADS is declared");
    let field = &threads["valueFrom"]["resourceFieldRef"];
    assert_eq!(field["resource"], "requests.cpu");
    assert_eq!(field["containerName"], container(&job)["name"]);
    assert!(container(&job)["resources"]["requests"]["cpu"].is_string());
}

#[test]
fn the_merge_job_merges_every_shard_exactly_once_into_merged() {
    let sweep = manifest("kubernetes/sweep-job.yaml");
    let merge = manifest("kubernetes/merge-job.yaml");
    let sweep_args = args(&sweep);
    let (_, count) = shard_of(&sweep_args);
    // The folders the merge reads are the ones the shards write.
    assert_eq!(
        value_of(&sweep_args, "--out"),
        "/results/shard-$(JOB_COMPLETION_INDEX)"
    );
    assert_eq!(args(&merge), merge_args("/results", count));
    assert_eq!(merge["kind"], "Job");
    assert_eq!(merge["spec"]["template"]["spec"]["restartPolicy"], "Never");
}

#[test]
fn both_jobs_run_one_image_on_one_read_write_many_volume_at_results() {
    let pvc = manifest("kubernetes/results-pvc.yaml");
    assert_eq!(pvc["kind"], "PersistentVolumeClaim");
    assert!(
        pvc["spec"]["accessModes"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m == "ReadWriteMany")),
        "the shard pods share the volume across nodes"
    );
    let image = container(&manifest("kubernetes/sweep-job.yaml"))["image"].clone();
    for rel in ["kubernetes/sweep-job.yaml", "kubernetes/merge-job.yaml"] {
        let job = manifest(rel);
        let pod = &job["spec"]["template"]["spec"];
        assert_eq!(container(&job)["image"], image, "{rel}");
        let mount = container(&job)["volumeMounts"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["mountPath"] == "/results"))
            .unwrap_or_else(|| panic!("{rel} mounts nothing at /results"));
        let volume = pod["volumes"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["name"] == mount["name"]))
            .unwrap_or_else(|| panic!("{rel}: no volume {}", mount["name"]));
        assert_eq!(
            volume["persistentVolumeClaim"]["claimName"], pvc["metadata"]["name"],
            "{rel}"
        );
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{rel}");
    }
}

#[test]
fn the_slurm_array_has_one_task_per_shard_like_the_kubernetes_job() {
    let sweep = read("slurm/sweep.sbatch");
    let merge = read("slurm/merge.sbatch");
    let shards = script_number(&sweep, "SHARDS=");
    // `--array=0-M` runs tasks 0..=M, one per shard.
    let last_task = script_number(&sweep, "#SBATCH --array=0-");
    assert_eq!(
        last_task + 1,
        shards,
        "--array=0-{last_task} vs SHARDS={shards}"
    );
    assert_eq!(script_number(&merge, "SHARDS="), shards, "merge.sbatch");
    assert_eq!(
        manifest("kubernetes/sweep-job.yaml")["spec"]["completions"],
        shards,
        "sweep-job.yaml completions vs SHARDS"
    );
    assert!(
        sweep.contains("\n#SBATCH --cpus-per-task="),
        "threads follow the CPUs"
    );
}

/// A stand-in for the binary that prints its arguments, one per line.
#[cfg(unix)]
fn echo_binary(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fleetsim-echo");
    std::fs::write(&path, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n").expect("write the stand-in");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Runs `deploy/slurm/<script>` as Slurm would, with `env`, and returns the exit code and the
/// command line it gave the binary.
#[cfg(unix)]
fn run_script(script: &str, env: &[(&str, &str)]) -> (Option<i32>, Vec<String>) {
    let output = Process::new("bash")
        .arg(deploy_path(script))
        .env_remove("SLURM_SUBMIT_DIR")
        .envs(env.iter().copied())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    (
        output.status.code(),
        stdout.lines().map(str::to_string).collect(),
    )
}

#[cfg(unix)]
#[test]
fn the_slurm_scripts_run_the_same_sweep_and_merge_as_kubernetes() {
    let ws = Workspace::new();
    let binary = echo_binary(ws.dir.path());
    let results = ws.out();
    let (binary, results) = (binary.to_str().unwrap(), results.to_str().unwrap());
    for task in [0, SHARDS - 1] {
        let task = task.to_string();
        let (code, line) = run_script(
            "slurm/sweep.sbatch",
            &[
                ("FLEETSIM", binary),
                ("RESULTS", results),
                ("SLURM_ARRAY_TASK_ID", &task),
                ("SLURM_CPUS_PER_TASK", "2"),
            ],
        );
        assert_eq!(code, Some(0), "task {task}");
        let out = format!("{results}/shard-{task}");
        assert_eq!(line, sweep_args(&task, SHARDS, &out, "2"), "task {task}");
    }
    let (code, line) = run_script(
        "slurm/merge.sbatch",
        &[("FLEETSIM", binary), ("RESULTS", results)],
    );
    assert_eq!(code, Some(0));
    assert_eq!(line, merge_args(results, SHARDS));
}

#[cfg(unix)]
#[test]
fn a_slurm_task_beyond_the_shard_count_fails_without_running() {
    // An --array longer than SHARDS must not run a shard K/N with K ≥ N.
    let ws = Workspace::new();
    let binary = echo_binary(ws.dir.path());
    let beyond = SHARDS.to_string();
    let (code, line) = run_script(
        "slurm/sweep.sbatch",
        &[
            ("FLEETSIM", binary.to_str().unwrap()),
            ("RESULTS", ws.out().to_str().unwrap()),
            ("SLURM_ARRAY_TASK_ID", &beyond),
        ],
    );
    assert_eq!(code, Some(2));
    assert!(line.is_empty(), "the binary ran: {line:?}");
}

#[test]
fn the_binary_accepts_every_deployed_command_line() {
    let sweep = args(&manifest("kubernetes/sweep-job.yaml"));
    let (_, count) = shard_of(&sweep);
    for index in [0, count - 1] {
        // What the kubelet hands the container of pod `index`, with 2 CPUs requested.
        let expanded: Vec<String> = sweep
            .iter()
            .map(|a| {
                a.replace("$(JOB_COMPLETION_INDEX)", &index.to_string())
                    .replace("$(FLEETSIM_THREADS)", "2")
            })
            .collect();
        assert_parses(&expanded);
    }
    assert_parses(&args(&manifest("kubernetes/merge-job.yaml")));
}

/// The values of one `--grid PATH=VALUES` axis worth validating: every listed value, or both
/// ends of a range `A..B` / `A..B:STEP` (for whole numbers, the last value reached, which a step
/// may keep below B).
fn grid_corners(values: &str) -> Vec<String> {
    let Some((first, rest)) = values.split_once("..") else {
        return values.split(',').map(str::to_string).collect();
    };
    let (last, step) = rest.split_once(':').unwrap_or((rest, "1"));
    match (
        first.parse::<i64>(),
        last.parse::<i64>(),
        step.parse::<i64>(),
    ) {
        (Ok(a), Ok(b), Ok(step)) => vec![a.to_string(), (a + (b - a) / step * step).to_string()],
        _ => vec![first.to_string(), last.to_string()],
    }
}

#[test]
fn every_grid_value_at_its_ends_is_a_valid_scenario() {
    // The scenario and grid are checked by `sweep` only once it starts; `validate` checks each
    // axis's values now, the other axes at their first value.
    let axes: Vec<(&str, Vec<String>)> = SWEEP
        .windows(2)
        .filter(|w| w[0] == "--grid")
        .map(|w| {
            let (path, values) = w[1].split_once('=').expect("PATH=VALUES");
            (path, grid_corners(values))
        })
        .collect();
    assert_eq!(
        grid_corners("2..16:3"),
        ["2", "14"],
        "a step may stop short of B"
    );
    for (axis, (_, values)) in axes.iter().enumerate() {
        for value in values {
            let mut cmd = fleetsim();
            cmd.args(["validate", SWEEP[1]]);
            for (other, (path, others)) in axes.iter().enumerate() {
                let v = if other == axis { value } else { &others[0] };
                cmd.args(["--set", &format!("{path}={v}")]);
            }
            let output = cmd.output().expect("the binary runs");
            assert!(
                output.status.success(),
                "{value}: {}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
    }
}

#[test]
fn the_image_builds_the_locked_release_binary_and_runs_it_unprivileged() {
    let file = read("Containerfile");
    let lines: Vec<&str> = file
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(
        has("FROM docker.io/library/rust:1.95"),
        "the toolchain is pinned"
    );
    assert!(has("cargo build --release --locked"));
    // Cargo reads these before it builds anything: the manifest's declared bench and test
    // targets must exist, and the bundled scenarios are compiled in.
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "src",
        "scenarios",
        "benches",
        "tests",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("COPY ") && l.split_whitespace().any(|w| w == needed)),
            "the build stage copies {needed}"
        );
    }
    assert!(
        !Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("build.rs")
            .exists()
            || has("build.rs"),
        "the build stage copies build.rs"
    );
    let user = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER");
    let uid = user.split(':').next().unwrap_or(user);
    assert!(uid != "0" && uid != "root", "USER {user}");
    assert!(has("WORKDIR /results"));
    assert!(has(r#"ENTRYPOINT ["/usr/local/bin/fleetsim"]"#));
}
