//! The background-jobs and local-disk scenarios, run through the binary: each story's point, in
//! numbers, and the accounting of jobs and file reads.

use serde_json::Value;

use crate::scenarios::{f, run, sum_of, u};
use crate::support::*;

/// Every job enqueued ends once: completed, lost by cause, or still waiting or running.
fn assert_jobs_accounted(name: &str, s: &Value) {
    assert_eq!(
        u(s, "jobs.enqueued"),
        u(s, "jobs.completed")
            + sum_of(&s["jobs"]["lost"])
            + u(s, "jobs.waiting_at_end")
            + u(s, "jobs.running_at_end"),
        "{name}: enqueued ≠ completed + lost + waiting + running"
    );
}

/// Every read succeeds or fails by cause, and each failed read is a failed request.
fn assert_reads_accounted(name: &str, s: &Value) {
    let failed = sum_of(&s["files"]["failed_reads"]);
    assert_eq!(
        u(s, "files.reads"),
        u(s, "files.found") + failed,
        "{name}: reads ≠ found + failed"
    );
    let not_found = s["requests"]["failed"]
        .get("file_not_found")
        .map_or(0, |v| v.as_u64().expect("a count"));
    assert_eq!(not_found, failed, "{name}: failed reads ≠ file_not_found");
}

fn run_set(scenario: &str, sets: &[&str]) -> Value {
    let ws = Workspace::new();
    let args: Vec<&str> = sets.iter().flat_map(|s| ["--set", *s]).collect();
    run(&ws, scenario, &args)
}

#[test]
fn a_crash_loses_in_process_jobs_and_a_redis_queue_runs_them_again() {
    const NAME: &str = "jobs-in-process-crash";
    let local = run_set(NAME, &["jobs.queue=in-process"]);
    let redis = run_set(NAME, &["jobs.queue=redis"]);
    for s in [&local, &redis] {
        assert_jobs_accounted(NAME, s);
        // ~214,700 requests after warm-up, 6 % of them enqueue a job: ~12,900 (a little less
        // reach a worker with their client waiting).
        let enqueued = u(s, "jobs.enqueued");
        assert!((12_000..13_800).contains(&enqueued), "enqueued {enqueued}");
    }
    // In-process: the crashed instance's waiting and running jobs are gone for good. It runs
    // ~6 of its 8 job workers (3 jobs/s × 2 s) and has few waiting: a handful, at most its 8
    // running and a short line.
    let lost = u(&local, "jobs.lost.crash");
    assert!((1..=40).contains(&lost), "lost {lost}");
    assert_eq!(
        sum_of(&local["jobs"]["lost"]),
        lost,
        "only the crash loses jobs"
    );
    assert_eq!(u(&local, "jobs.redelivered"), 0);
    assert_eq!(u(&local, "jobs.redis_ops"), 0);
    // Redis: nothing is lost; the victim's running jobs (at most its 8 job workers) are handed
    // out again after the visibility timeout and run a second time.
    assert_eq!(sum_of(&redis["jobs"]["lost"]), 0);
    let again = u(&redis, "jobs.redelivered");
    assert!((1..=8).contains(&again), "redelivered {again}");
    // Two Redis operations per run: the enqueue, and each take (one per run: completed,
    // running at the end, or killed and handed out again). Nothing waits at the end here.
    assert_eq!(u(&redis, "jobs.waiting_at_end"), 0);
    assert_eq!(
        u(&redis, "jobs.redis_ops"),
        u(&redis, "jobs.enqueued")
            + u(&redis, "jobs.completed")
            + u(&redis, "jobs.running_at_end")
            + again
    );
}

#[test]
fn local_disk_behind_round_robin_fails_three_reads_in_four_and_stickiness_only_after_the_crash() {
    const NAME: &str = "uploads-local-disk";
    let round_robin = run_set(NAME, &[]);
    let sticky = run_set(NAME, &["balancer.affinity=cookie"]);
    let shared = run_set(NAME, &["files.store=shared", "balancer.affinity=cookie"]);
    for s in [&round_robin, &sticky, &shared] {
        assert_reads_accounted(NAME, s);
        // 10 sessions/s for 18 measured minutes, 3 in 10 upload: ~3,240; the same sessions
        // upload in every variant.
        assert_eq!(u(s, "files.uploaded"), u(&round_robin, "files.uploaded"));
        let uploaded = u(s, "files.uploaded");
        assert!((3_000..3_500).contains(&uploaded), "uploaded {uploaded}");
    }
    // Round-robin over 4 instances: a read lands on the file's instance 1 time in 4, so
    // (N−1)/N = 3/4 of reads fail.
    let reads = u(&round_robin, "files.reads") as f64;
    let failed = sum_of(&round_robin["files"]["failed_reads"]) as f64;
    assert!(
        (0.70..0.80).contains(&(failed / reads)),
        "{failed} of {reads}"
    );
    assert!(u(&round_robin, "files.failed_reads.elsewhere") > 7_000);
    // Cookie stickiness: every read lands on its file's instance, until instance 0 crashes at
    // 10m; then the reads of its sessions fail as the file is gone with it.
    assert_eq!(u(&sticky, "files.failed_reads.elsewhere"), 0);
    let gone = u(&sticky, "files.failed_reads.instance_gone");
    assert!((50..1_000).contains(&gone), "gone {gone}");
    // Shared store: nothing fails, and each upload or read pays a 15 ms round trip on average.
    // About 13,500 of ~97,500 requests upload or read (14 %): + ~2.1 ms on the mean latency.
    assert_eq!(sum_of(&shared["files"]["failed_reads"]), 0);
    let extra = f(&shared, "latency_ms.mean") - f(&sticky, "latency_ms.mean");
    assert!((1.5..2.7).contains(&extra), "extra mean latency {extra} ms");
}

#[test]
fn a_jobs_block_with_both_triggers_is_refused_at_its_line() {
    let ws = Workspace::new();
    let yaml = format!("{CRASH_STICKY}jobs:\n  per_request: 0.1\n  every: 3\n");
    let path = ws.file("jobs.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_mentions(
        &stderr,
        &format!("jobs.yaml:{}: jobs.every", line_of(&yaml, "every: 3")),
    );
    assert_mentions(&stderr, "give either `per_request` or `every`, not both");
}

#[test]
fn an_upload_fraction_above_one_is_refused_at_its_line() {
    let ws = Workspace::new();
    let yaml = format!("{CRASH_STICKY}files:\n  uploads: 1.5\n");
    let path = ws.file("files.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_mentions(
        &stderr,
        &format!(
            "files.yaml:{}: files.uploads",
            line_of(&yaml, "uploads: 1.5")
        ),
    );
    assert_mentions(&stderr, "must be a fraction from 0 to 1, got 1.5");
}
