//! Instance groups of different sizes and the weighted algorithms, through the binary: the two
//! scenarios' points in numbers, the per-group figures, the errors for bad groups, and the
//! excerpts of docs/instance-groups.md.

use serde_json::Value;

use crate::scenarios::{f, run, u};
use crate::support::*;

/// The `groups` entry called `name`.
fn group<'a>(s: &'a Value, name: &str) -> &'a Value {
    s["groups"]
        .as_array()
        .expect("summary.json has groups")
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no group {name}"))
}

#[test]
fn round_robin_overloads_the_small_instances_and_weighted_round_robin_balances_workers() {
    let ws = Workspace::new();
    let plain = run(&ws, "mixed-sizes", &[]);
    let ws = Workspace::new();
    let weighted = run(
        &ws,
        "mixed-sizes",
        &["--set", "balancer.algorithm=weighted-round-robin"],
    );
    // 60 sessions/s × 20 requests ≈ 1,150 requests/s measured. Round-robin gives each of the 8
    // instances 1/8 of it, ~144/s: 36 % of a large one (8 workers / 20 ms = 400/s), and 44/s
    // more than a small one serves (2 / 20 ms = 100/s): 4 × 44/s × 540 s ≈ 95,000 refused.
    let (large, small) = (group(&plain, "large"), group(&plain, "small"));
    let util = |g: &Value| f(g, "utilization");
    assert!((0.34..0.38).contains(&util(large)), "{large}");
    assert!(util(small) > 0.99, "{small}");
    let refused = u(small, "queue_full");
    assert!((90_000..100_000).contains(&refused), "refused {refused}");
    assert_eq!(u(large, "queue_full"), 0);
    assert_eq!(u(&plain, "requests.failed.queue_full"), refused);
    assert_eq!(u(large, "requests"), u(small, "requests"), "round-robin");
    // A full queue of 64 behind 2 workers is 64 × 10 ms = 640 ms of waiting: the p99 climbs.
    let p99 = |g: &Value| f(g, "latency_ms.p99");
    assert!(p99(small) > 600.0 && p99(large) < 150.0, "{small} {large}");
    assert!(f(&plain, "latency_ms.p99") > 600.0);

    // Weights 8 and 2: each large instance gets 4× a small one's share, every worker sees
    // 1,150 / 40 ≈ 29 requests/s, 57.5 % of its 50/s, and nothing is refused.
    let (large, small) = (group(&weighted, "large"), group(&weighted, "small"));
    for g in [large, small] {
        assert!((0.55..0.61).contains(&util(g)), "{g}");
    }
    assert!((util(large) - util(small)).abs() < 0.02);
    // (Exactly 4 × per 10-pick cycle; the measured span starts and ends mid-cycle.)
    let ratio = u(large, "requests") as f64 / u(small, "requests") as f64;
    assert!((ratio - 4.0).abs() < 0.001, "ratio {ratio}");
    assert_eq!(u(&weighted, "requests.failed.queue_full"), 0);
    assert!(f(&weighted, "latency_ms.p99") < 150.0);

    // The price is the same either way: 4 instances × 540 s = 2,160 instance-seconds a group,
    // at 0.40/hour 0.24 and at 0.10/hour 0.06.
    for s in [&plain, &weighted] {
        let (large, small) = (group(s, "large"), group(s, "small"));
        assert_eq!(f(large, "instance_seconds"), 2_160.0);
        assert!((f(large, "cost") - 0.24).abs() < 1e-9);
        assert!((f(small, "cost") - 0.06).abs() < 1e-9);
        assert_eq!(f(s, "fleet.instance_seconds"), 4_320.0);
    }
}

#[test]
fn weighted_least_connections_keeps_the_small_instances_out_of_their_queues_too() {
    let ws = Workspace::new();
    let s = run(
        &ws,
        "mixed-sizes",
        &["--set", "balancer.algorithm=weighted-least-connections"],
    );
    // (connections + 1) / weight sends more to the large instances while they are idle; no
    // queue ever fills.
    assert_eq!(u(&s, "requests.failed.queue_full"), 0);
    assert!(u(group(&s, "large"), "requests") > 4 * u(group(&s, "small"), "requests"));
}

/// The same budget as 16 small instances instead of 4 large ones.
const SCALE_OUT: [&str; 8] = [
    "--set",
    "instances.groups.0.name=small",
    "--set",
    "instances.groups.0.count=16",
    "--set",
    "instances.groups.0.workers=4",
    "--set",
    "instances.groups.0.cost_per_hour=0.20",
];

#[test]
fn fewer_bigger_instances_lose_more_per_crash_for_the_same_budget() {
    let ws = Workspace::new();
    let up = run(&ws, "scale-up-vs-out", &[]);
    let ws = Workspace::new();
    let out = run(&ws, "scale-up-vs-out", &SCALE_OUT);
    // Same users either way.
    assert_eq!(u(&up, "sessions.started"), u(&out, "sessions.started"));
    // Same budget: 64 workers at 3.20/hour, for 540 s less the 5 s between the crash and the
    // replacement's launch: (4 × 540 − 5) × 0.80 / 3600 ≈ (16 × 540 − 5) × 0.20 / 3600 ≈ 0.48.
    let cost = |s: &Value| f(&s["groups"][0], "cost");
    assert!((cost(&up) - 0.479).abs() < 0.001 && (cost(&out) - 0.480).abs() < 0.001);
    // ~130 sessions/s living ~60 s: ~7,800 live, pinned evenly. The crash logs out a quarter
    // of them with 4 instances, a sixteenth with 16.
    let affected = |s: &Value| u(&s["timeline"][0], "sessions_affected");
    assert!((1_600..2_200).contains(&affected(&up)), "{}", affected(&up));
    assert!((350..600).contains(&affected(&out)), "{}", affected(&out));
    assert!(u(&up, "sessions.lost") > 3 * u(&out, "sessions.lost"));
    // Until the replacement joins (60 s boot), 3 large survivors get ~2,600 requests/s for
    // 3 × 16 / 20 ms = 2,400/s: their queues overflow. 15 small ones have 3,000/s: none do.
    assert!(u(&up, "requests.failed.queue_full") > 20_000);
    assert_eq!(u(&out, "requests.failed.queue_full"), 0);
    let failed = |s: &Value| {
        s["requests"]["failed"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>()
    };
    assert!(
        failed(&up) > 10 * failed(&out),
        "{} {}",
        failed(&up),
        failed(&out)
    );
}

#[test]
fn a_scenario_without_groups_reports_none() {
    let ws = Workspace::new();
    let yaml = "name: plain\nduration: 1m\nworkload: { arrivals: { rate: 5 } }\n";
    let path = ws.file("plain.yaml", yaml);
    let s = run(&ws, path.to_str().unwrap(), &[]);
    assert!(s.get("groups").is_none(), "{s}");
}

/// The first line names `file:line: field`, which is what an editor jumps to.
fn assert_points_at(stderr: &str, file: &str, line: usize, field: &str) {
    assert_mentions(stderr, &format!("{file}:{line}: {field}"));
}

const GROUPED: &str = "name: grouped
duration: 10m
workload: { arrivals: { rate: 10 } }
instances:
  groups:
    - { name: large, count: 2, workers: 8 }
    - { name: small, count: 2, workers: 2 }
events:
  - { at: 1m, action: crash, group: small }
";

#[test]
fn fails_on_a_duplicate_group_name_with_its_line() {
    let ws = Workspace::new();
    let yaml = GROUPED.replace("name: small", "name: large");
    let path = ws.file("twice.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "twice.yaml",
        line_of(&yaml, "workers: 2"),
        "instances.groups[1].name",
    );
    assert_mentions(&stderr, "already the name of instances.groups[0]");
}

#[test]
fn fails_on_an_event_naming_an_unknown_group() {
    let ws = Workspace::new();
    let yaml = GROUPED.replace("group: small", "group: medium");
    let path = ws.file("medium.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "medium.yaml",
        line_of(&yaml, "group: medium"),
        "events[0].group",
    );
    assert_mentions(&stderr, "its groups are `large`, `small`");
}

#[test]
fn fails_on_a_count_beside_groups_and_on_zero_counts_and_weights() {
    let ws = Workspace::new();
    let yaml = GROUPED
        .replace("  groups:\n", "  count: 4\n  groups:\n")
        .replace("count: 2, workers: 2", "count: 0, workers: 2, weight: 0");
    let path = ws.file("counts.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "counts.yaml",
        line_of(&yaml, "count: 4"),
        "instances.count",
    );
    assert_mentions(&stderr, "does not apply with `groups`");
    let line = line_of(&yaml, "weight: 0");
    assert_points_at(&stderr, "counts.yaml", line, "instances.groups[1].count");
    assert_points_at(&stderr, "counts.yaml", line, "instances.groups[1].weight");
}

#[test]
fn fails_on_a_scale_without_a_group_in_a_fleet_of_several() {
    let ws = Workspace::new();
    let yaml = GROUPED.replace("action: crash, group: small", "action: scale, to: 3");
    let path = ws.file("scale.yaml", &yaml);
    let stderr = run_fails(&ws, &path, &[]);
    assert_points_at(
        &stderr,
        "scale.yaml",
        line_of(&yaml, "action: scale"),
        "events[0].group",
    );
    assert_mentions(&stderr, "is required: the fleet has several groups");
}

fn squeeze(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each `<!-- excerpt: ARGS -->` in docs/instance-groups.md is followed by a `text` block whose
/// lines `fleetsim ARGS` must print (runs of spaces compared as one).
#[test]
fn every_excerpt_in_the_instance_groups_page_is_what_the_binary_prints() {
    let page = include_str!("../../docs/instance-groups.md");
    let mut lines = page.lines();
    let mut checked = 0;
    while let Some(line) = lines.next() {
        let Some(args) = line
            .strip_prefix("<!-- excerpt: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        assert_eq!(lines.next(), Some("```text"), "excerpt `{args}`");
        let expected: Vec<String> = lines
            .by_ref()
            .take_while(|l| *l != "```")
            .map(squeeze)
            .collect();
        let ws = Workspace::new();
        let output = succeeds(fleetsim().args(args.split(' ')).arg("--out").arg(ws.out()));
        let printed: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(squeeze)
            .collect();
        for line in expected {
            assert!(
                printed.contains(&line),
                "`fleetsim {args}` no longer prints\n  {line}\nit prints:\n{}",
                printed.join("\n")
            );
        }
        checked += 1;
    }
    assert!(checked >= 3, "the page shows both scenarios' runs");
}
