//! The load estimate in words: what `validate` prints and report.html opens with.
//!
//! The figures come from [`crate::model::load`]; this module words them and says what looks
//! wrong. Warnings never refuse a run: a reviewer may want to see a fleet drown.

use crate::model::{Level, Load, When};

use super::human::{fixed, fraction, ms, plural, seconds};

/// The estimate as (what, figure) rows, in reading order.
pub(crate) fn load_rows(load: &Load) -> Vec<(&'static str, String)> {
    let sessions = load.levels.iter().any(|l| l.sessions_per_s > 0.0);
    let mut rows = Vec::new();
    if sessions {
        rows.push(("requests per session", fixed(load.requests_per_session, 1)));
    }
    for (i, l) in load.levels.iter().enumerate().filter(|_| sessions) {
        rows.push((
            if i == 0 { "offered load" } else { "" },
            format!(
                "{} sessions/s → {} requests/s {}",
                fixed(l.sessions_per_s, 1),
                fixed(l.requests_per_s, 1),
                when(l)
            ),
        ));
    }
    let parts: Vec<String> = load
        .worker_parts
        .iter()
        .map(|(name, s)| format!("{name} {}", ms(s * 1e3)))
        .collect();
    if sessions {
        rows.push((
            "worker time per request",
            if parts.len() > 1 {
                format!("{} ms ({})", ms(load.worker_time * 1e3), parts.join(" + "))
            } else {
                format!("{} ms", ms(load.worker_time * 1e3))
            },
        ));
    }
    if load.connection_work > 0.0 {
        rows.push((
            "connection work",
            format!(
                "{} worker-seconds per second (handshakes, messages, deliveries)",
                fixed(load.connection_work, 2)
            ),
        ));
    }
    rows.push((
        "utilization per worker",
        format!(
            "{}, on {}",
            per_level(load, |l| fixed(l.utilization, 2)),
            fleet(load)
        ),
    ));
    if let Some(j) = load.jobs {
        rows.push((
            "background jobs",
            format!(
                "{} per second; job workers' utilization {}",
                fixed(j.per_s, 1),
                fixed(j.utilization, 2)
            ),
        ));
    }
    if load.levels.iter().any(|l| l.settles_at.is_some()) {
        rows.push((
            "autoscaler settles at",
            per_level(load, |l| {
                l.settles_at.map_or("–".into(), |n| {
                    plural(n as usize, "instance", "instances")
                })
            }),
        ));
    }
    let busiest = load
        .levels
        .iter()
        .map(|l| l.sessions_per_s)
        .fold(0.0, f64::max);
    if sessions {
        rows.push((
            "live sessions",
            format!(
                "about {} ({} sessions/s × {} each, Little's law)",
                fixed(load.live_sessions.round(), 0),
                fixed(busiest, 1),
                seconds_about(load.session_seconds)
            ),
        ));
    }
    if let Some(open) = load.live_connections {
        rows.push((
            "open connections",
            format!("about {}", fixed(open.round(), 0)),
        ));
    }
    for (name, tier, unit) in [
        ("Redis", load.redis, "operations/s"),
        ("database", load.database, "queries/s"),
    ] {
        if let Some(t) = tier {
            rows.push((
                name,
                format!(
                    "{} {unit} of {} ({})",
                    fixed(t.offered, 0),
                    fixed(t.capacity, 0),
                    fraction(t.utilization())
                ),
            ));
        }
    }
    if sessions {
        rows.push((
            "steady state",
            format!(
                "after about {} (one session); warm-up {}",
                seconds_about(load.session_seconds),
                seconds(load.warmup_seconds)
            ),
        ));
    }
    rows
}

/// What looks wrong with the load, one sentence each.
pub(crate) fn load_warnings(load: &Load) -> Vec<String> {
    let mut out = Vec::new();
    for l in &load.levels {
        if l.utilization < 1.0 {
            continue;
        }
        match load.autoscaler_max {
            Some(max) => {
                let at_max = l.utilization * f64::from(load.instances) / f64::from(max.max(1));
                if at_max >= 1.0 {
                    out.push(format!(
                        "utilization {} {} even at the autoscaler's maximum of {max} \
                         instances: queues grow without bound",
                        fixed(at_max, 2),
                        when(l)
                    ));
                }
            }
            None => {
                let largest = l.utilization * f64::from(load.instances)
                    / f64::from(load.largest_fleet.max(1));
                if largest >= 1.0 {
                    out.push(format!(
                        "utilization {} {} on {} × {}: the offered work exceeds the fleet \
                         and queues grow without bound (is `workload.arrivals` in sessions per \
                         second?)",
                        fixed(largest, 2),
                        when(l),
                        plural(load.largest_fleet as usize, "instance", "instances"),
                        plural(load.workers as usize, "worker", "workers")
                    ));
                }
            }
        }
    }
    if let Some(j) = load.jobs.filter(|j| j.utilization >= 1.0) {
        out.push(format!(
            "the job workers' utilization is {}: jobs arrive faster than they run and the job \
             queues grow without bound (jobs.workers)",
            fixed(j.utilization, 2)
        ));
    }
    for (name, tier, field) in [
        ("Redis", load.redis, "redis.max_ops"),
        ("the database", load.database, "database.max_connections"),
    ] {
        if let Some(t) = tier.filter(|t| t.utilization() >= 1.0) {
            out.push(format!(
                "{name} is offered {} operations/s, {}× what it can serve ({field})",
                fixed(t.offered, 0),
                fixed(t.utilization(), 2)
            ));
        }
    }
    let sessions = load.levels.iter().any(|l| l.sessions_per_s > 0.0);
    if sessions && load.warmup_seconds < load.session_seconds {
        out.push(format!(
            "the warm-up ({}) is shorter than a session ({}): summary metrics include the \
             fleet filling up",
            seconds(load.warmup_seconds),
            seconds_about(load.session_seconds)
        ));
    }
    if let Some(objective) = load.p99_objective {
        if load.service_p99 > objective {
            out.push(format!(
                "the service time's p99 alone ({} ms) exceeds the p99 objective ({} ms)",
                ms(load.service_p99 * 1e3),
                ms(objective * 1e3)
            ));
        }
    }
    out
}

/// The estimate as `validate` prints it: a heading, aligned rows, then the warnings.
pub(crate) fn load_text(load: &Load) -> String {
    let rows = load_rows(load);
    let width = rows.iter().map(|(what, _)| what.len()).max().unwrap_or(0);
    let mut out = String::from("what it asks of the fleet (arithmetic, before any run):\n");
    for (what, figure) in rows {
        out.push_str(&format!("  {what:<width$}  {figure}\n"));
    }
    for w in load_warnings(load) {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// The initial fleet: `4 instances × 8 workers`, or its groups
/// (`4 large × 8 workers at speed 2 + 4 small × 2 workers`).
fn fleet(load: &Load) -> String {
    match load.groups.as_slice() {
        [] | [_] => format!(
            "{} × {}",
            plural(load.instances as usize, "instance", "instances"),
            plural(load.workers as usize, "worker", "workers")
        ),
        groups => groups
            .iter()
            .map(|g| {
                let speed = if g.speed == 1.0 {
                    String::new()
                } else {
                    format!(" at speed {}", fixed(g.speed, 1))
                };
                format!(
                    "{} {} × {}{speed}",
                    g.count,
                    g.name,
                    plural(g.workers as usize, "worker", "workers")
                )
            })
            .collect::<Vec<_>>()
            .join(" + "),
    }
}

fn when(l: &Level) -> String {
    match l.when {
        When::Throughout => "throughout".into(),
        When::From(t) => format!("from {}", seconds(t.as_secs_f64())),
        When::Trough => "at the trough (t = 0)".into(),
        When::Crest(t) => format!("at the crest (t = {})", seconds(t.as_secs_f64())),
        When::Spike(t) => format!("in the spike at {}", seconds(t.as_secs_f64())),
    }
}

/// `figure(level)` for each level: one figure alone, or `a from 0 s · b from 300 s`.
fn per_level(load: &Load, figure: impl Fn(&Level) -> String) -> String {
    match load.levels.as_slice() {
        [only] => figure(only),
        levels => levels
            .iter()
            .map(|l| format!("{} {}", figure(l), when(l)))
            .collect::<Vec<_>>()
            .join(" · "),
    }
}

/// A length of time to three significant digits (`30.9 s`, `4.2 min`): an estimate, not a count.
fn seconds_about(s: f64) -> String {
    if s < 120.0 {
        format!("{} s", ms(s))
    } else if s < 7200.0 {
        format!("{} min", ms(s / 60.0))
    } else {
        format!("{} h", ms(s / 3600.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;
    use crate::model::Tier;

    /// 100 sessions/s × 10 requests, W = 20 ms, 2 instances × 4 workers: ρ = 1,000 × 0.02 / 8.
    fn overloaded() -> Load {
        Load {
            requests_per_session: 10.0,
            levels: vec![Level {
                when: When::Throughout,
                sessions_per_s: 100.0,
                requests_per_s: 1000.0,
                utilization: 2.5,
                settles_at: None,
            }],
            worker_time: 0.02,
            worker_parts: vec![("service", 0.02)],
            connection_work: 0.0,
            instances: 2,
            groups: Vec::new(),
            jobs: None,
            largest_fleet: 2,
            workers: 4,
            session_seconds: 10.0,
            live_sessions: 1000.0,
            live_connections: None,
            redis: None,
            database: None,
            warmup_seconds: 60.0,
            autoscaler_max: None,
            service_p99: 0.1,
            p99_objective: None,
        }
    }

    #[test]
    fn an_overloaded_fleet_is_warned_about_and_the_rate_unit_questioned() {
        let warnings = load_warnings(&overloaded());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("utilization 2.50 throughout on 2 instances × 4 workers"));
        assert!(warnings[0].contains("sessions per second?"));
    }

    #[test]
    fn a_scale_event_or_an_autoscaler_large_enough_silences_the_overload() {
        // ρ = 2.5 on 2 instances is 0.83 on 6 and 0.5 on 10.
        let scaled = Load {
            largest_fleet: 6,
            ..overloaded()
        };
        assert!(load_warnings(&scaled).is_empty());
        let autoscaled = Load {
            autoscaler_max: Some(10),
            ..overloaded()
        };
        assert!(load_warnings(&autoscaled).is_empty());
        let too_small = Load {
            autoscaler_max: Some(4),
            ..overloaded()
        };
        // 2.5 × 2 / 4 = 1.25.
        assert_eq!(
            load_warnings(&too_small),
            [
                "utilization 1.25 throughout even at the autoscaler's maximum of 4 instances: \
              queues grow without bound"
            ]
        );
    }

    #[test]
    fn tiers_past_capacity_short_warm_ups_and_slow_services_are_warned_about() {
        let load = Load {
            largest_fleet: 10,
            redis: Some(Tier {
                offered: 1500.0,
                capacity: 1000.0,
            }),
            warmup_seconds: 5.0,
            p99_objective: Some(0.05),
            ..overloaded()
        };
        assert_eq!(
            load_warnings(&load),
            [
                "Redis is offered 1,500 operations/s, 1.50× what it can serve (redis.max_ops)",
                "the warm-up (5 s) is shorter than a session (10.0 s): summary metrics include \
                 the fleet filling up",
                "the service time's p99 alone (100 ms) exceeds the p99 objective (50.0 ms)",
            ]
        );
    }

    #[test]
    fn levels_are_listed_in_order_with_their_figures() {
        let mut load = overloaded();
        load.levels.push(Level {
            when: When::Spike(SimTime(600_000_000_000)),
            sessions_per_s: 300.0,
            requests_per_s: 3000.0,
            utilization: 7.5,
            settles_at: None,
        });
        let text = load_text(&load);
        assert!(
            text.contains(
                "offered load             100.0 sessions/s → 1,000.0 requests/s throughout\n"
            ),
            "{text}"
        );
        assert!(text.contains("                         300.0 sessions/s → 3,000.0 requests/s in the spike at 600 s\n"), "{text}");
        assert!(
            text.contains(
                "2.50 throughout · 7.50 in the spike at 600 s, on 2 instances × 4 workers"
            ),
            "{text}"
        );
    }
}
