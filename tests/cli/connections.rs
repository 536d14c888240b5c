//! The four WebSocket scenarios, run through the binary: each story's point, in numbers, and
//! the accounting of attempts and (message, member) pairs.

use serde_json::Value;

use crate::scenarios::{assert_connections_accounted, f, run, sum_of, u};
use crate::support::Workspace;

fn run_with(scenario: &str, set: &str) -> Value {
    let ws = Workspace::new();
    let s = run(&ws, scenario, &["--set", set]);
    assert_connections_accounted(&format!("{scenario} {set}"), &s);
    s
}

#[test]
fn a_crash_with_immediate_reconnects_storms_the_survivors() {
    const NAME: &str = "websocket-crash-storm";
    let jitter = run_with(NAME, "connections.reconnect.policy=exponential-jitter");
    let immediate = run_with(NAME, "connections.reconnect.policy=immediate");
    for s in [&jitter, &immediate] {
        // 40 users/s staying 1000 s on average: 40,000 open, 5,000 on each of 8 instances;
        // the crash drops one instance's share.
        let open = u(s, "connections.peak_open");
        assert!((38_000..42_000).contains(&open), "open {open}");
        let dropped = u(s, "connections.dropped.crash");
        assert!((4_500..5_500).contains(&dropped), "dropped {dropped}");
        // The same users and the same crash: the storm does not change who ends connected.
        assert!(u(s, "connections.open_at_end") > 38_000);
    }
    // 5,000 handshakes of 10 ms at once on 7 × 4 workers is ~1.8 s of work against queues of
    // 256: immediate reconnects overflow them, and every refusal comes straight back.
    // Full jitter over [0, 2 s] offers ~2,500/s, under the survivors' ~2,800/s.
    let peak = |s: &Value| u(s, "connections.peak_reconnects_per_s");
    let refused = |s: &Value| sum_of(&s["connections"]["refused"]);
    let p99 = |s: &Value| f(s, "connections.handshake_ms.p99");
    assert!(peak(&immediate) > 10 * peak(&jitter), "peaks");
    assert!(refused(&immediate) > 10 * refused(&jitter), "refusals");
    assert!(u(&immediate, "connections.refused.queue_full") > 0);
    assert_eq!(u(&jitter, "connections.refused.queue_full"), 0);
    assert!(p99(&immediate) > 5.0 * p99(&jitter), "p99 handshake");
}

#[test]
fn scaling_out_leaves_pinned_connections_on_the_old_instances_unless_max_age_recycles_them() {
    const NAME: &str = "websocket-scale-out-imbalance";
    let pinned = run_with(NAME, "connections.max_age=~");
    let recycled = run_with(NAME, "connections.max_age=15m");
    // An hour after 4 → 8, users of the old four who have not left (e^{-70/60} ≈ 31 % of
    // them) are still there, on top of an even share of the new: max over mean well above 1.
    assert!(f(&pinned, "connections.imbalance_at_end") > 1.15);
    assert_eq!(u(&pinned, "connections.reconnects"), 0);
    // Closing connections at 15 minutes re-routes them all within 15 minutes, evenly.
    assert!(f(&recycled, "connections.imbalance_at_end") < 1.05);
    // The price: a reconnect per 15 minutes of connection (~18,000 connections × 80 min / 15).
    let reconnects = u(&recycled, "connections.reconnects");
    assert!(reconnects > 50_000, "reconnects {reconnects}");
    // Every close by age is followed by a reconnect, unless the user's lifetime ends within
    // the reconnect delay (under 500 ms of an hour): a handful.
    let closed = u(&recycled, "connections.dropped.max_age");
    assert!(
        reconnects <= closed && reconnects * 1000 >= closed * 999,
        "{reconnects} of {closed}"
    );
}

#[test]
fn chat_without_pubsub_loses_three_quarters_of_its_recipients() {
    const NAME: &str = "chat-without-pubsub";
    let local = run_with(NAME, "connections.delivery=local");
    let pubsub = run_with(NAME, "connections.delivery=redis-pubsub");
    let sharded = run_with(NAME, "connections.delivery=sharded-pubsub");
    // Least-connections spreads members evenly over 4 instances: a recipient shares its
    // sender's instance one time in four.
    let fraction =
        |s: &Value| u(s, "messages.delivered") as f64 / u(s, "messages.recipients") as f64;
    let local_fraction = fraction(&local);
    assert!(
        (0.22..0.28).contains(&local_fraction),
        "local {local_fraction}"
    );
    assert_eq!(u(&local, "messages.redis_ops"), 0);
    // Pub/sub reaches everyone still connected: only members who left meanwhile miss it.
    for s in [&pubsub, &sharded] {
        assert!(fraction(s) > 0.9999, "pub/sub {}", fraction(s));
        assert_eq!(
            sum_of(&s["messages"]["undelivered"]),
            u(s, "messages.undelivered.receiver_gone")
        );
        assert_eq!(u(s, "messages.redis_ops"), u(s, "messages.sent"));
    }
    // redis-pubsub: every publish reaches all four instances (a message still on its way at
    // the end has only its sender's handling counted).
    let ops = u(&pubsub, "messages.redis_ops");
    let deliveries = u(&pubsub, "messages.instance_deliveries");
    assert!(deliveries <= 4 * ops && deliveries + 3 * 100 >= 4 * ops);
    // Sharded: only instances holding a member of the room, fewer than all four.
    let sharded_deliveries = u(&sharded, "messages.instance_deliveries");
    assert!(sharded_deliveries < deliveries * 9 / 10);
    assert!(sharded_deliveries >= ops);
}

#[test]
fn a_rolling_deploy_moves_every_connection_and_close_over_flattens_the_reconnect_peak() {
    const NAME: &str = "websocket-rolling-deploy";
    let at_once = run_with(NAME, "connections.drain.close_over=0s");
    let spread = run_with(NAME, "connections.drain.close_over=30s");
    let slow = run_with(NAME, "connections.drain.close_over=2m");
    // Closing at once moves every connection of every old instance: about all 12,000.
    let moved = u(&at_once, "connections.dropped.deploy");
    let open = u(&at_once, "connections.peak_open");
    assert!(moved as f64 > 0.95 * open as f64, "moved {moved} of {open}");
    // Spreading the closes cuts the reconnect peak tenfold and more…
    let peak = |s: &Value| u(s, "connections.peak_reconnects_per_s");
    assert!(peak(&at_once) > 10 * peak(&spread), "peaks");
    assert!(peak(&spread) > peak(&slow));
    // …but old instances linger, closing, for longer: the deploy costs more instance time.
    let cost = |s: &Value| f(s, "fleet.instance_seconds");
    assert!(cost(&at_once) < cost(&spread) && cost(&spread) < cost(&slow));
}
