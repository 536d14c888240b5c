//! `summary.json`: the Report as scripts read it.
//!
//! Field names come from the Report's serde derive and are a public interface (issue #2 lists
//! them); the test below pins every listed name so a rename fails here before it breaks a script.

use crate::metrics::Report;

/// The Report as pretty-printed JSON, ending with a newline. The per-window time series is not
/// included (it goes to `timeseries.csv`).
pub fn summary_json(report: &Report) -> Vec<u8> {
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

    fn parse(report: &Report) -> Value {
        serde_json::from_slice(&summary_json(report)).expect("summary.json is valid JSON")
    }

    #[test]
    fn every_field_name_promised_in_the_issue_is_present() {
        let json = parse(&fixtures::crash_sticky());
        let missing: Vec<&str> = PUBLIC_FIELDS
            .iter()
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
