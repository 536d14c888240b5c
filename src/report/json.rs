//! `summary.json`: the Report as scripts read it.
//!
//! Field names come from the Report's serde derive and are a public interface (issue #2 lists
//! them); the test below pins every listed name so a rename fails here before it breaks a script.

use crate::metrics::Report;

/// The Report as pretty-printed JSON, ending with a newline. The per-window time series is not
/// included (it goes to `timeseries.csv`).
pub(crate) fn summary_json(report: &Report) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(report)
        .expect("a Report has only string keys, so it always serialises");
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;
    use serde_json::Value;

    /// Every name in issue #2's summary.json, as a JSON pointer.
    const PUBLIC_FIELDS: &[&str] = &[
        "/scenario",
        "/seed",
        "/simulated_seconds",
        "/requests",
        "/requests/sent",
        "/requests/succeeded",
        "/requests/in_flight_at_end",
        "/requests/failed",
        "/requests/failed/instance_down",
        "/requests/failed/queue_full",
        "/requests/failed/timeout",
        "/requests/failed/store_unavailable",
        "/requests/failed/session_lost",
        "/sessions",
        "/sessions/started",
        "/sessions/completed",
        "/sessions/lost",
        "/sessions/relogins",
        "/latency_ms",
        "/latency_ms/mean",
        "/latency_ms/p50",
        "/latency_ms/p90",
        "/latency_ms/p95",
        "/latency_ms/p99",
        "/latency_ms/p999",
        "/latency_ms/max",
        "/fleet",
        "/fleet/instance_seconds",
        "/fleet/launched",
        "/fleet/terminated",
        "/fleet/crashed",
        "/fleet/peak",
        "/fleet/mean",
        "/balance",
        "/balance/imbalance",
        "/balance/requests_per_instance",
        "/engine",
        "/engine/events",
        "/engine/wall_seconds",
        "/engine/events_per_second",
    ];

    /// Fields added since issue #2, pinned the same way: scripts may rely on them now.
    const ADDED_FIELDS: &[&str] = &[
        "/requests/failed/killed",
        "/requests/failed/rejected_by_rate_limit",
        "/requests/failed/balancer_down",
        "/sessions/lost_by_cause/crash",
        "/sessions/lost_by_cause/scale_in",
        "/sessions/lost_by_cause/deploy",
        "/sessions/lost_by_cause/rerouting",
        "/sessions/lost_by_cause/store_failure",
        "/sessions/lost_by_cause/expired",
        "/fleet/final",
        "/fleet/scale_actions",
        "/fleet/reversals",
        "/fleet/launched_by/initial",
        "/fleet/launched_by/scale_out",
        "/fleet/launched_by/replacement",
        "/fleet/launched_by/deploy",
        "/fleet/terminated_by/scale_in",
        "/fleet/terminated_by/deploy",
        "/fleet/elasticity/under_accuracy",
        "/fleet/elasticity/over_accuracy",
        "/fleet/elasticity/under_timeshare",
        "/fleet/elasticity/over_timeshare",
        "/fleet/elasticity/instability",
        "/revocation/revoked",
        "/revocation/exposure_seconds",
        "/revocation/mean_exposure_seconds",
        "/revocation/requests_after_revoke",
    ];

    fn parse(report: &Report) -> Value {
        serde_json::from_slice(&summary_json(report)).expect("summary.json is valid JSON")
    }

    #[test]
    fn every_field_name_promised_in_the_issue_is_present() {
        let json = parse(&fixtures::crash_sticky());
        let missing: Vec<&str> = PUBLIC_FIELDS
            .iter()
            .chain(ADDED_FIELDS)
            .copied()
            .filter(|pointer| json.pointer(pointer).is_none())
            .collect();
        assert!(missing.is_empty(), "missing from summary.json: {missing:?}");
    }

    #[test]
    fn promised_fields_have_the_promised_json_types() {
        let json = parse(&fixtures::crash_sticky());
        assert_eq!(json["scenario"], "crash-sticky");
        assert_eq!(json["seed"], 7);
        // Floats stay floats even when whole, as in the issue's example (`1200.0`).
        assert!(json["simulated_seconds"].is_f64());
        assert!(json["fleet"]["instance_seconds"].is_f64());
        assert!(json["requests"]["sent"].is_u64());
        assert_eq!(json["requests"]["failed"]["session_lost"], 3_240);
        assert_eq!(
            json["balance"]["requests_per_instance"],
            serde_json::json!([748_210, 486_357])
        );
    }

    #[test]
    fn added_fields_have_stable_json_types() {
        let json = parse(&fixtures::crash_sticky());
        assert_eq!(json["fleet"]["final"], 1);
        assert_eq!(json["sessions"]["lost_by_cause"]["crash"], 3_217);
        assert!(json["fleet"]["elasticity"]["over_accuracy"].is_f64());
        assert!(json["revocation"]["exposure_seconds"].is_f64());
        assert!(json["revocation"]["revoked"].is_u64());
    }

    #[test]
    fn cache_and_rate_limit_appear_only_when_the_run_has_them() {
        let mut report = fixtures::crash_sticky();
        let json = parse(&report);
        assert!(json.get("cache").is_none());
        assert!(json.get("rate_limit").is_none());
        report.cache = Some(crate::metrics::Cache {
            hits: 3,
            misses: 1,
            hit_ratio: 0.75,
        });
        report.rate_limit = Some(crate::metrics::RateLimit {
            rejected: 5,
            admitted_over_user_limit: 2,
        });
        let json = parse(&report);
        assert_eq!(
            json["cache"],
            serde_json::json!({ "hits": 3, "misses": 1, "hit_ratio": 0.75 })
        );
        assert_eq!(
            json["rate_limit"],
            serde_json::json!({ "rejected": 5, "admitted_over_user_limit": 2 })
        );
    }

    #[test]
    fn the_time_series_is_left_to_the_csv() {
        let json = parse(&fixtures::crash_sticky());
        assert!(json.get("timeseries").is_none());
    }

    #[test]
    fn ends_with_a_newline() {
        assert!(summary_json(&fixtures::crash_sticky()).ends_with(b"}\n"));
    }

    #[test]
    fn snapshot() {
        let json = String::from_utf8(summary_json(&fixtures::crash_sticky())).expect("UTF-8");
        insta::assert_snapshot!(json);
    }
}
