//! The load estimate: what `validate` prints and report.html opens with, before any simulation.

use crate::support::*;

fn validate(args: &[&str]) -> String {
    let output = succeeds(fleetsim().arg("validate").args(args));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn validate_prints_the_load_from_the_arithmetic() {
    // crash-sticky: 50 sessions/s × 20 requests = 1,000 requests/s; W = the 20 ms service time
    // (sessions in memory cost nothing); ρ = 1,000 × 0.020 / (4 × 8) = 0.625; a session lasts
    // 20 × 20 ms + 19 × 3 s = 57.4 s, so 50 × 57.4 = 2,870 are live at once.
    let out = validate(&["crash-sticky"]);
    for line in [
        "what it asks of the fleet (arithmetic, before any run):",
        "  requests per session     20.0",
        "  offered load             50.0 sessions/s → 1,000.0 requests/s throughout",
        "  worker time per request  20.0 ms",
        "  utilization per worker   0.62, on 4 instances × 8 workers",
        "  live sessions            about 2,870 (50.0 sessions/s × 57.4 s each, Little's law)",
        "  steady state             after about 57.4 s (one session); warm-up 120 s",
    ] {
        assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
    }
    assert!(!out.contains("warning"), "{out}");
}

#[test]
fn a_rate_read_as_requests_per_second_is_warned_about_but_not_refused() {
    // 1,000 "sessions"/s × 20 requests × 20 ms over 32 workers: ρ = 12.5.
    let out = validate(&["crash-sticky", "--set", "workload.arrivals.rate=1000"]);
    assert!(
        out.contains(
            "warning: utilization 12.50 throughout on 4 instances × 8 workers: the offered work \
             exceeds the fleet and queues grow without bound (is `workload.arrivals` in sessions \
             per second?)"
        ),
        "{out}"
    );
}

#[test]
fn redis_and_the_autoscaler_are_sized_too() {
    // flash-crowd-autoscale: the spike multiplies 40 sessions/s by 6; at 10 requests each and
    // W = 25 ms + a 0.5 ms Redis read, ρ = 2,400 × 0.0255 / 32 = 1.91 on the initial 4
    // instances; a CPU target of 0.6 over 8 workers needs ⌈2,400 × 0.0255 / 4.8⌉ = 13.
    let out = validate(&["flash-crowd-autoscale"]);
    for line in [
        "                           240.0 sessions/s → 2,400.0 requests/s in the spike at 600 s",
        "  worker time per request  25.5 ms (service 25.0 + Redis read 0.500)",
        "  autoscaler settles at    4 instances throughout · 13 instances in the spike at 600 s",
        "  Redis                    2,400 operations/s of 100,000 (2.40 %)",
    ] {
        assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
    }
}

#[test]
fn report_html_opens_with_the_load() {
    let ws = Workspace::new();
    succeeds(
        fleetsim()
            .args([
                "run",
                "crash-sticky",
                "--set",
                "duration=3m",
                "--set",
                "events=[]",
                "--out",
            ])
            .arg(ws.out()),
    );
    let html = std::fs::read_to_string(ws.out().join("crash-sticky/report.html")).expect("page");
    let load = html.find("<h2 id=\"load\">").expect("a load section");
    let summary = html.find("<h2 id=\"summary\">").expect("a summary");
    assert!(load < summary, "the load comes first");
    assert!(html.contains(
        "<tr><td>utilization per worker</td><td>0.62, on 4 instances × 8 workers</td></tr>"
    ));
}
