//! Turns what a live run observed into the same [`Report`] a simulated run produces.
//!
//! The load generator's attempts and sessions and the supervisor's fleet log are merged into
//! one time-ordered stream and replayed into the simulator's own [`Recorder`], window by
//! window, so that summary.json, timeseries.csv, the dashboard and report.html of a live run
//! are computed by the same code as a simulated one. Times are nanoseconds since the load
//! started, read from the monotonic clock.
//!
//! What the live run cannot see is left as the recorder's zero: the work offered to the fleet is
//! taken as the service time's mean per request an instance answered (the elasticity demand),
//! `sessions_affected` of timeline entries is 0, and a request refused by HAProxy for a dead
//! server is not attributed to an instance in `balance`.

use std::collections::HashSet;

use super::fleet::{FleetLog, Happened, Sample, Stop};
use super::load::Observed;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::{Cause, FleetSnapshot, LostCause, Recorder, Report, RunMeta};
use crate::model::sampling::DurationSampler;
use crate::scenario::{Scenario, SessionStore};

enum Ev<'a> {
    Arrived,
    Completed {
        counted: bool,
    },
    Sent {
        counted: bool,
        retry: bool,
        instance: Option<u32>,
    },
    Result {
        counted: bool,
        failure: Option<Cause>,
        latency_ns: u64,
    },
    Lost {
        counted: bool,
        first: bool,
        cause: LostCause,
    },
    Fleet(&'a Happened),
    Sample(&'a Sample),
}

/// The report of a live run of `scenario`.
pub(crate) fn report(scenario: &Scenario, observed: &Observed, log: &FleetLog) -> Report {
    let end = scenario.end();
    let warmup = SimTime::ZERO + scenario.warmup;
    let counted = |t: u64| t >= warmup.0;
    let mut evs: Vec<(u64, u32, Ev)> = Vec::new();
    // The second key orders equal times: fleet changes, then sessions, then requests.
    for s in &observed.sessions {
        evs.push((s.arrived_ns, 1, Ev::Arrived));
        if let Some(done) = s.completed_ns.filter(|&t| t <= end.0) {
            evs.push((
                done,
                3,
                Ev::Completed {
                    counted: counted(s.arrived_ns),
                },
            ));
        }
    }
    let arrived = |key: u32| {
        observed
            .sessions
            .iter()
            .find(|s| s.key == key)
            .map_or(0, |s| s.arrived_ns)
    };
    let mut lost_before: HashSet<u32> = HashSet::new();
    let mut in_flight = 0;
    for a in &observed.attempts {
        let c = counted(a.sent_ns);
        evs.push((
            a.sent_ns,
            2,
            Ev::Sent {
                counted: c,
                retry: a.retry,
                instance: a.instance,
            },
        ));
        if a.done_ns > end.0 {
            in_flight += u64::from(c);
            continue;
        }
        evs.push((
            a.done_ns,
            2,
            Ev::Result {
                counted: c,
                failure: a.failure,
                latency_ns: a.done_ns - a.sent_ns,
            },
        ));
        if a.failure == Some(Cause::SessionLost) {
            let cause = match scenario.sessions.store {
                SessionStore::Redis => LostCause::StoreFailure,
                _ => match a
                    .home
                    .and_then(|h| log.stops.get(h as usize).copied().flatten())
                {
                    Some((t, Stop::Crash)) if t <= a.sent_ns => LostCause::Crash,
                    Some((t, Stop::Deploy)) if t <= a.sent_ns => LostCause::Deploy,
                    Some((t, Stop::ScaleIn)) if t <= a.sent_ns => LostCause::ScaleIn,
                    _ => LostCause::Rerouting,
                },
            };
            evs.push((
                a.done_ns,
                2,
                Ev::Lost {
                    counted: counted(arrived(a.session)),
                    first: lost_before.insert(a.session),
                    cause,
                },
            ));
        }
    }
    for (t, h) in &log.happened {
        evs.push((*t, 0, Ev::Fleet(h)));
    }
    for s in &log.samples {
        evs.push((s.t_ns, 0, Ev::Sample(s)));
    }
    evs.sort_by_key(|(t, order, _)| (*t, *order));

    let offered = DurationSampler::new(&scenario.instances.service_time).mean();
    let window = scenario.report.window;
    let mut rec = Recorder::new(warmup, window, end);
    let mut snapshot = FleetSnapshot {
        ready: scenario.instances.count,
        desired: scenario.instances.count,
        ..FleetSnapshot::default()
    };
    let mut next_close = SimTime::ZERO + window;
    let mut alive = 0u64;
    // Per instance: the measured requests routed to it, noted once at the end.
    let mut routed: Vec<u64> = Vec::new();
    for (t, _, ev) in evs.iter().filter(|(t, _, _)| *t <= end.0) {
        let now = SimTime(*t);
        while next_close <= now && next_close < end {
            rec.close_window(next_close, snapshot, 0.0);
            next_close += window;
        }
        match ev {
            Ev::Arrived => rec.session_arrived(rec.measured(now)),
            Ev::Completed { counted } => rec.session_completed(*counted),
            Ev::Sent {
                counted,
                retry,
                instance,
            } => {
                rec.sent(*counted, *retry);
                if let Some(i) = instance.map(|i| i as usize) {
                    if *counted {
                        *crate::metrics::grown_to(&mut routed, i) += 1;
                    }
                    rec.offered(offered);
                }
            }
            Ev::Result {
                counted,
                failure,
                latency_ns,
            } => match failure {
                None => rec.succeeded(*counted, SimDuration(*latency_ns)),
                Some(cause) => rec.failed(*counted, *cause),
            },
            Ev::Lost {
                counted,
                first,
                cause,
            } => rec.session_lost_by(*counted, *first, *cause),
            Ev::Fleet(h) => match h {
                Happened::Launched(cause) => {
                    rec.instance_launched_by(*cause);
                    alive += 1;
                    rec.alive(now, alive);
                }
                Happened::Crashed => {
                    rec.instance_crashed();
                    alive = alive.saturating_sub(1);
                    rec.alive(now, alive);
                }
                Happened::Terminated(cause) => {
                    rec.instance_terminated_by(*cause);
                    alive = alive.saturating_sub(1);
                    rec.alive(now, alive);
                }
                Happened::Timeline(event) => rec.event(now, event.clone(), 0),
                Happened::Scaled { from, to } => rec.scale_action(now, *from, *to),
            },
            Ev::Sample(s) => {
                rec.ready(now, s.ready);
                rec.workers(now, s.busy, s.capacity);
                snapshot = FleetSnapshot {
                    ready: s.ready,
                    desired: s.desired,
                    booting: s.booting,
                    draining: s.draining,
                };
            }
        }
    }
    while next_close <= end {
        rec.close_window(next_close, snapshot, 0.0);
        next_close += window;
    }
    let meta = RunMeta {
        scenario: scenario.name.clone(),
        description: scenario.description.clone(),
        seed: scenario.seed,
        session_store: match scenario.sessions.store {
            SessionStore::InMemory => "in-memory",
            SessionStore::Redis => "redis",
            SessionStore::Jwt => "jwt",
        }
        .to_owned(),
        instances_launched: log.launched,
        events: evs.len() as u64,
        slo: scenario.report.slo,
    };
    for (i, &n) in routed.iter().enumerate() {
        rec.note_routed(i, n);
    }
    rec.finish(end, in_flight, meta)
}

#[cfg(test)]
mod tests {
    use super::super::load::{Attempt, SessionLog};
    use super::*;
    use crate::metrics::LaunchCause;

    /// A 1-minute run, 30 s warm-up: a session at 40 s sends three attempts.
    #[test]
    fn attempts_are_counted_once_by_outcome_and_lost_sessions_by_cause() {
        let s = crate::scenario::parse_str(
            "t.yaml",
            "name: t\nduration: 1m\nwarmup: 30s\nreport: { window: 10s }\n\
             workload: { arrivals: { rate: 1 } }\n",
            &[],
        )
        .unwrap();
        let sec = 1_000_000_000u64;
        let attempt = |sent: u64, done: u64, failure| Attempt {
            sent_ns: sent,
            done_ns: done,
            retry: false,
            failure,
            instance: Some(1),
            home: Some(0),
            session: 0,
        };
        let observed = Observed {
            sessions: vec![SessionLog {
                key: 0,
                arrived_ns: 40 * sec,
                completed_ns: None,
            }],
            attempts: vec![
                attempt(40 * sec, 40 * sec + 20_000_000, None),
                attempt(45 * sec, 45 * sec + 1_000_000, Some(Cause::SessionLost)),
                // Sent before the end, answered after it: in flight at the end.
                attempt(59 * sec, 61 * sec, None),
            ],
        };
        let mut log = FleetLog {
            launched: 2,
            stops: vec![Some((42 * sec, Stop::Crash)), None],
            ..FleetLog::default()
        };
        log.happened
            .push((0, Happened::Launched(LaunchCause::Initial)));
        let r = report(&s, &observed, &log);
        assert_eq!(r.requests.sent, 3);
        assert_eq!(r.requests.succeeded, 1);
        assert_eq!(r.requests.failed.session_lost, 1);
        assert_eq!(r.requests.in_flight_at_end, 1);
        assert!(r.requests.is_balanced());
        // Its home, instance 0, crashed at 42 s, before the attempt at 45 s.
        assert_eq!(r.sessions.lost, 1);
        assert_eq!(r.sessions.lost_by_cause.crash, 1);
        assert_eq!(r.sessions.started, 1);
        // 20 ms to 3 significant digits of the histogram.
        assert!(
            (r.latency_ms.p50 - 20.0).abs() < 0.05,
            "{}",
            r.latency_ms.p50
        );
        // Six windows of 10 s over the minute.
        assert_eq!(r.timeseries.len(), 6);
    }

    /// Requests per instance count what instances answered after the warm-up (30 s), as the
    /// simulator's do: instance 0 answered one request at 10 s, instance 1 two at 40 s and 45 s,
    /// and a refusal nobody answered belongs to no instance.
    #[test]
    fn requests_per_instance_count_the_answers_after_the_warm_up() {
        let s = crate::scenario::parse_str(
            "t.yaml",
            "name: t\nduration: 1m\nwarmup: 30s\nworkload: { arrivals: { rate: 1 } }\n",
            &[],
        )
        .unwrap();
        let sec = 1_000_000_000u64;
        let attempt = |sent: u64, instance: Option<u32>| Attempt {
            sent_ns: sent,
            done_ns: sent + 1_000_000,
            retry: false,
            failure: instance.is_none().then_some(Cause::InstanceDown),
            instance,
            home: None,
            session: 0,
        };
        let observed = Observed {
            sessions: vec![SessionLog {
                key: 0,
                arrived_ns: 10 * sec,
                completed_ns: None,
            }],
            attempts: vec![
                attempt(10 * sec, Some(0)),
                attempt(40 * sec, Some(1)),
                attempt(45 * sec, Some(1)),
                attempt(50 * sec, None),
            ],
        };
        let log = FleetLog {
            launched: 3,
            stops: vec![None; 3],
            ..FleetLog::default()
        };
        let r = report(&s, &observed, &log);
        assert_eq!(r.balance.requests_per_instance, [0, 2, 0]);
    }
}
