//! Hand-made reports for the exporters' tests: the crash story of the showcase (two instances,
//! one crashes at 600 s) under the three session stores.
//!
//! Numbers are invented but consistent: every report satisfies the accounting invariant and
//! `requests_per_instance` sums to `sent`, so the tests also show what a real Report looks like.

use crate::metrics::{
    Balance, ConnWindowRow, Connections, Dropped, Elasticity, Engine, Failed, Fleet, Latency,
    LaunchedBy, LostByCause, Messages, Refused, Report, Requests, Revocation, Sessions,
    TerminatedBy, TimelineEntry, TimelineEvent, Undelivered, WindowRow,
};

/// In-memory sessions with cookie affinity: the crash logs out everyone pinned to instance 1.
pub(crate) fn crash_sticky() -> Report {
    let failed = Failed {
        instance_down: 1_204,
        queue_full: 87,
        timeout: 12,
        store_unavailable: 0,
        session_lost: 3_240,
        killed: 0,
        rejected_by_rate_limit: 0,
        balancer_down: 0,
        file_not_found: 0,
    };
    // 1,234,567 − 4,543 failed − 35 in flight.
    let succeeded = 1_229_989;
    Report {
        scenario: "crash-sticky".to_owned(),
        description: "One of two instances crashes; sticky in-memory sessions are logged out."
            .to_owned(),
        seed: 7,
        simulated_seconds: 1_080.0,
        warmup_seconds: 120.0,
        session_store: "in-memory".to_owned(),
        requests: Requests {
            sent: 1_234_567,
            succeeded,
            in_flight_at_end: 35,
            failed,
            retries: 1_291,
        },
        sessions: Sessions {
            started: 61_728,
            completed: 61_650,
            lost: 3_217,
            relogins: 3_240,
            // Every one was on the crashed instance.
            lost_by_cause: LostByCause {
                crash: 3_217,
                ..LostByCause::default()
            },
        },
        latency_ms: Latency {
            mean: 23.4567,
            p50: 17.983,
            p90: 45.1,
            p95: 61.25,
            p99: 118.7,
            p999: 402.3,
            max: 4_987.1,
        },
        slo: None,
        objectives: None,
        fleet: Fleet {
            // Instance 0 lives the whole 1,080 s; instance 1 crashes 480 s after warm-up.
            instance_seconds: 1_560.0,
            launched: 2,
            terminated: 0,
            crashed: 1,
            peak: 2,
            mean: 1_560.0 / 1_080.0,
            r#final: 1,
            scale_actions: 0,
            reversals: 0,
            launched_by: LaunchedBy {
                initial: 2,
                ..LaunchedBy::default()
            },
            terminated_by: TerminatedBy::default(),
            // 108 measured windows of 10 s with a demand of 2. Instance 1 leaves the rotation at
            // 610 s: the 59 windows from then on have 1 ready of 2 needed.
            elasticity: Elasticity {
                // 59 × 10 s × (2 − 1) / 2 / 1,080 s
                under_accuracy: 295.0 / 1_080.0,
                over_accuracy: 0.0,
                // 590 s of 1,080 s
                under_timeshare: 590.0 / 1_080.0,
                over_timeshare: 0.0,
                // Supply fell while demand held, once in 107 window pairs.
                instability: 1.0 / 107.0,
            },
        },
        balance: Balance {
            imbalance: 748_210.0 / 617_283.5,
            requests_per_instance: vec![748_210, 486_357],
        },
        revocation: Revocation::default(),
        cache: None,
        rate_limit: None,
        engine: Engine {
            events: 9_876_543,
            wall_seconds: 1.234,
            events_per_second: 9_876_543.0 / 1.234,
        },
        connections: None,
        messages: None,
        groups: None,
        connection_timeseries: Vec::new(),
        jobs: None,
        files: None,
        job_timeseries: Vec::new(),
        timeline: vec![TimelineEntry {
            t_s: 600.0,
            event: TimelineEvent::Crash { instances: vec![1] },
            // Sessions pinned to instance 1; 3,217 of them come back and are logged out.
            sessions_affected: 3_305,
        }],
        timeseries: vec![
            WindowRow {
                t_s: 590.0,
                arrivals: 512,
                sent: 10_240,
                succeeded: 10_231,
                failed: 9,
                p50_ms: 17.9834,
                p99_ms: 97.25,
                instances_ready: 2,
                utilization: 0.41235,
                sessions_lost_total: 0,
                instances_desired: 2,
                instances_booting: 0,
                instances_draining: 0,
                store_utilization: 0.0,
                instances_demand: 2,
                ..WindowRow::default()
            },
            WindowRow {
                t_s: 600.0,
                arrivals: 498,
                sent: 10_187,
                succeeded: 8_950,
                failed: 1_237,
                p50_ms: 18.5,
                p99_ms: 4_987.1,
                // The crash is not detected yet: the balancer still routes to both.
                instances_ready: 2,
                utilization: 0.6,
                sessions_lost_total: 1_800,
                instances_desired: 2,
                instances_booting: 0,
                instances_draining: 0,
                store_utilization: 0.0,
                instances_demand: 2,
                ..WindowRow::default()
            },
            WindowRow {
                t_s: 612.5,
                arrivals: 505,
                sent: 10_310,
                succeeded: 9_002,
                failed: 1_308,
                p50_ms: 21.0,
                p99_ms: 160.125,
                instances_ready: 1,
                utilization: 0.8125,
                sessions_lost_total: 3_217,
                // Nothing replaces the crashed instance: desired stays 2 with 1 ready.
                instances_desired: 2,
                instances_booting: 0,
                instances_draining: 0,
                store_utilization: 0.0,
                instances_demand: 2,
                ..WindowRow::default()
            },
        ],
    }
}

/// The same crash with sessions in Redis: nobody is logged out, each request pays a round trip.
pub(crate) fn crash_redis() -> Report {
    let mut report = not_lost(crash_sticky());
    report.scenario = "crash-redis".to_owned();
    report.description = "The same crash; sessions live in Redis, so nobody is logged out.".into();
    report.session_store = "redis".to_owned();
    report.latency_ms = Latency {
        mean: 24.31,
        p50: 18.6,
        p90: 46.0,
        p95: 62.4,
        p99: 121.4,
        p999: 410.8,
        max: 5_001.3,
    };
    report
}

/// The same crash with JWT sessions: nobody is logged out, each request pays a verification.
pub(crate) fn crash_jwt() -> Report {
    let mut report = not_lost(crash_sticky());
    report.scenario = "crash-jwt".to_owned();
    report.description =
        "The same crash; sessions are signed tokens, so nobody is logged out.".to_owned();
    report.session_store = "jwt".to_owned();
    report.latency_ms = Latency {
        mean: 23.52,
        p50: 18.05,
        p90: 45.2,
        p95: 61.4,
        p99: 119.0,
        p999: 403.0,
        max: 4_990.0,
    };
    report
}

/// A store that survives the crash: no lost sessions, and none of the 3,240 re-login requests.
fn not_lost(mut report: Report) -> Report {
    let relogin_requests = report.requests.failed.session_lost;
    report.requests.sent -= relogin_requests;
    report.requests.failed.session_lost = 0;
    report.sessions.lost = 0;
    report.sessions.relogins = 0;
    report.sessions.lost_by_cause = LostByCause::default();
    report.balance.requests_per_instance[0] -= relogin_requests;
    let per_instance = &report.balance.requests_per_instance;
    let mean = report.requests.sent as f64 / per_instance.len() as f64;
    report.balance.imbalance = *per_instance.iter().max().unwrap_or(&0) as f64 / mean;
    report
}

#[test]
fn fixtures_satisfy_the_accounting_invariant() {
    for report in [crash_sticky(), crash_redis(), crash_jwt()] {
        assert!(report.requests.is_balanced(), "{}", report.scenario);
        let routed: u64 = report.balance.requests_per_instance.iter().sum();
        assert_eq!(routed, report.requests.sent, "{}", report.scenario);
        let lost = report.sessions.lost_by_cause.total();
        assert_eq!(lost, report.sessions.lost, "{}", report.scenario);
        let f = &report.fleet;
        assert_eq!(f.launched_by.initial, f.launched, "{}", report.scenario);
    }
}

/// [`crash_sticky`] with a full time series for the charts: 120 windows of 10 s over the 20-minute
/// run (2 minutes of warm-up), the crash at 600 s and its detection at 610 s.
///
/// Rows are shaped like a real run (a warm-up ramp, a failure spike and a timeout-length p99 in the
/// crash window, one instance fewer afterwards) but do not add up to the summary's totals; the
/// summary-based exporters use [`crash_sticky`] and their snapshots are unaffected.
pub(crate) fn crash_sticky_with_windows() -> Report {
    let mut report = crash_sticky();
    report.timeline.push(TimelineEntry {
        t_s: 610.0,
        event: TimelineEvent::MarkedDown {
            instance: 1,
            replaced: false,
        },
        sessions_affected: 0,
    });
    report.timeseries = (0..120_u32)
        .map(|i| {
            // A deterministic wiggle in 0..=22, so lines are not ruler-straight.
            let wiggle = u64::from((i * 37) % 23);
            // Clients ramp up over the first two minutes.
            let ramp = u64::from(i.min(12));
            let crashed = i >= 60;
            let (failed, p99_ms, lost) = match i {
                60 => (1_237, 4_987.1, 1_800),
                61 => (1_308, 160.125, 3_217),
                _ if crashed => (10 + wiggle, 150.0 + wiggle as f64, 3_217),
                _ => (wiggle / 4, 95.0 + wiggle as f64, 0),
            };
            let sent = 4_000 + 500 * ramp + 10 * wiggle;
            WindowRow {
                t_s: f64::from(i) * 10.0,
                arrivals: 480 + wiggle,
                sent,
                succeeded: sent - failed,
                failed,
                p50_ms: if crashed { 21.0 } else { 17.9834 } + wiggle as f64 / 10.0,
                p99_ms,
                // Health checks take the crashed instance out of rotation at 610 s.
                instances_ready: if i > 60 { 1 } else { 2 },
                utilization: if crashed {
                    0.8125
                } else {
                    0.05 + 0.03 * ramp as f64
                },
                sessions_lost_total: lost,
                // Nothing replaces the crashed instance.
                instances_desired: 2,
                instances_booting: 0,
                instances_draining: 0,
                store_utilization: 0.0,
                // The load needs both instances once clients have ramped up.
                instances_demand: if ramp < 6 { 1 } else { 2 },
                ..WindowRow::default()
            }
        })
        .collect();
    report
}

/// [`crash_sticky`] with a chat beside the sessions: users hold WebSocket connections to the two
/// instances and talk in rooms through Redis pub/sub. The crash at 600 s drops the connections
/// held by instance 1; their users reconnect to the survivor, and the messages instance 1 was
/// handling are lost.
///
/// Numbers are consistent: `attempts = opened + Σ refused + in flight` and
/// `recipients = delivered + Σ undelivered + in flight`; every attempt but each user's first is a
/// reconnect. The connection rows are aligned with [`crash_sticky`]'s three windows.
pub(crate) fn crash_sticky_with_connections() -> Report {
    let mut report = crash_sticky();
    report.connections = Some(chat_connections());
    report.messages = Some(chat_messages());
    report.connection_timeseries = vec![
        ConnWindowRow {
            open: 2_000,
            attempts: 40,
            reconnects: 0,
            refused: 0,
            dropped: 0,
            delivered: 2_200,
            undelivered: 0,
            max_per_instance: 1_010,
            min_per_instance: 990,
        },
        // The crash: instance 1's 1,000 connections drop and most reconnect at once; instance 1
        // is still in rotation (not detected yet) and holds none.
        ConnWindowRow {
            open: 1_020,
            attempts: 1_020,
            reconnects: 990,
            refused: 95,
            dropped: 1_000,
            delivered: 1_900,
            undelivered: 1_830,
            max_per_instance: 1_020,
            min_per_instance: 0,
        },
        ConnWindowRow {
            open: 1_950,
            attempts: 950,
            reconnects: 930,
            refused: 10,
            dropped: 0,
            delivered: 2_150,
            undelivered: 20,
            max_per_instance: 1_950,
            min_per_instance: 1_950,
        },
    ];
    report
}

fn chat_connections() -> Connections {
    let refused = Refused {
        instance_down: 95,
        timeout: 12,
        abandoned: 3,
        ..Refused::default()
    };
    let dropped = Dropped {
        crash: 1_150,
        max_age: 50,
        ..Dropped::default()
    };
    let users = 4_000;
    let (opened, in_flight_at_end) = (5_150, 2);
    // 5,150 opened + 110 refused + 2 handshaking.
    let attempts = opened + refused.total() + in_flight_at_end;
    let closed_by_client = 2_310;
    Connections {
        users,
        attempts,
        opened,
        in_flight_at_end,
        // Every attempt but each user's first.
        reconnects: attempts - users,
        peak_reconnects_per_s: 412,
        // 5,150 opened − 1,200 dropped − 2,310 closed.
        open_at_end: opened - dropped.total() - closed_by_client,
        refused,
        dropped,
        closed_by_client,
        peak_open: 2_050,
        // One instance is left: it holds them all.
        imbalance_at_end: 1.0,
        handshake_ms: Latency {
            mean: 3.2,
            p50: 2.41,
            p90: 5.0,
            p95: 7.2,
            p99: 18.7,
            p999: 120.5,
            max: 1_003.0,
        },
    }
}

fn chat_messages() -> Messages {
    let undelivered = Undelivered {
        instance_down: 1_830,
        receiver_gone: 412,
        ..Undelivered::default()
    };
    // Rooms of six: five recipients per message.
    let (sent, recipients, in_flight_at_end) = (48_000, 240_000, 17);
    Messages {
        sent,
        recipients,
        // 240,000 − 2,242 undelivered − 17 in flight.
        delivered: recipients - undelivered.total() - in_flight_at_end,
        undelivered,
        in_flight_at_end,
        latency_ms: Latency {
            mean: 2.1,
            p50: 1.2,
            p90: 3.4,
            p95: 4.8,
            p99: 9.87,
            p999: 45.6,
            max: 1_210.0,
        },
        // A publish per message handled; the 50 messages instance 1 took down never were.
        redis_ops: 47_950,
        // The sender's instance and the other one, which holds members of most rooms.
        instance_deliveries: 95_900,
    }
}

/// A chat with no HTTP sessions at all: [`crash_sticky_with_connections`] without requests,
/// sessions or their latency, so nothing about requests means anything.
pub(crate) fn chat_only() -> Report {
    let mut report = crash_sticky_with_connections();
    report.scenario = "chat-crash".to_owned();
    report.description = "One of two chat instances crashes; its users reconnect.".to_owned();
    report.requests = Requests::default();
    report.sessions = Sessions::default();
    report.latency_ms = Latency::default();
    report.balance = Balance {
        imbalance: 0.0,
        requests_per_instance: vec![0, 0],
    };
    report.timeline[0].sessions_affected = 0;
    for row in &mut report.timeseries {
        row.arrivals = 0;
        row.sent = 0;
        row.succeeded = 0;
        row.failed = 0;
        row.p50_ms = 0.0;
        row.p99_ms = 0.0;
        row.sessions_lost_total = 0;
    }
    report
}

/// [`crash_sticky_with_windows`] with connections: 120 connection rows aligned with its windows,
/// shaped like the chat of [`crash_sticky_with_connections`] (users connecting over the warm-up,
/// the crash dropping half of them, the survivor taking them all).
pub(crate) fn crash_sticky_with_connections_and_windows() -> Report {
    let mut report = crash_sticky_with_windows();
    report.connections = Some(chat_connections());
    report.messages = Some(chat_messages());
    report.connection_timeseries = (0..120_u64)
        .map(|i| {
            let wiggle = (i * 37) % 23;
            let ramp = i.min(12);
            let open = 160 * ramp + 10 * wiggle;
            let (attempts, reconnects, refused, dropped, undelivered) = match i {
                60 => (1_020, 990, 95, 1_000, 1_830),
                61 => (950, 930, 10, 0, 20),
                _ => (40 + wiggle, wiggle / 4, 0, wiggle / 10, wiggle / 5),
            };
            let (max, min) = match i {
                // The crashed instance holds nothing but is still in rotation until 610 s.
                60 => (open, 0),
                _ if i > 60 => (open, open),
                _ => (open / 2 + wiggle, open / 2 - wiggle.min(open / 2)),
            };
            ConnWindowRow {
                open,
                attempts,
                reconnects,
                refused,
                dropped,
                delivered: 11 * open,
                undelivered,
                max_per_instance: max,
                min_per_instance: min,
            }
        })
        .collect();
    report
}

#[test]
fn connection_fixtures_satisfy_their_invariants() {
    for report in [
        crash_sticky_with_connections(),
        chat_only(),
        crash_sticky_with_connections_and_windows(),
    ] {
        let c = report.connections.as_ref().expect("connections");
        assert_eq!(
            c.attempts,
            c.opened + c.refused.total() + c.in_flight_at_end,
            "{}",
            report.scenario
        );
        let m = report.messages.as_ref().expect("messages");
        assert_eq!(
            m.recipients,
            m.delivered + m.undelivered.total() + m.in_flight_at_end,
            "{}",
            report.scenario
        );
        assert_eq!(report.connection_timeseries.len(), report.timeseries.len());
    }
}
