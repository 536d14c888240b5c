//! The timeline in words: how each [`TimelineEvent`] reads in the summary, `summary.json`, the
//! dashboard and `report.html`.
//!
//! The model records what happened as data; the sentences live here, with the other formats, so
//! that rewording an event touches no simulation code and every output says it the same way.

use serde::{Serialize, Serializer};

use crate::metrics::TimelineEvent;

/// `event` as people read it, e.g. `crash instance 1` or `redis outage for 2m, data lost`.
pub(crate) fn describe(event: &TimelineEvent) -> String {
    match event {
        TimelineEvent::Crash { instances } if instances.is_empty() => {
            "crash (no live instance)".to_owned()
        }
        TimelineEvent::Crash { instances } => {
            let names: Vec<String> = instances.iter().map(u32::to_string).collect();
            format!("crash instance {}", names.join(", "))
        }
        TimelineEvent::RandomCrash { instance } => format!("crash instance {instance} (mtbf)"),
        TimelineEvent::MarkedDown {
            instance,
            replaced: true,
        } => format!("instance {instance} marked down; replacement launched"),
        TimelineEvent::MarkedDown {
            instance,
            replaced: false,
        } => format!("instance {instance} marked down"),
        TimelineEvent::Scale { to } => format!("scale to {to}"),
        TimelineEvent::RollingDeploy {
            max_surge,
            max_unavailable,
        } => format!("rolling deploy (max_surge {max_surge}, max_unavailable {max_unavailable})"),
        TimelineEvent::DeployFinished => "rolling deploy: old version drained".to_owned(),
        TimelineEvent::RedisOutage {
            duration,
            data_loss: true,
        } => format!("redis outage for {duration}, data lost"),
        TimelineEvent::RedisOutage {
            duration,
            data_loss: false,
        } => format!("redis outage for {duration}"),
        TimelineEvent::RedisSlowdown { factor, duration } => {
            format!("redis slowdown ×{factor} for {duration}")
        }
        TimelineEvent::SlowInstance {
            instance: Some(instance),
            factor,
            duration,
        } => format!("instance {instance} slows ×{factor} for {duration}"),
        TimelineEvent::SlowInstance { instance: None, .. } => {
            "slow instance (no live instance)".to_owned()
        }
        TimelineEvent::BalancerFails {
            standby: Some(failover),
        } => format!("balancer fails; standby takes over in {failover}"),
        TimelineEvent::BalancerFails { standby: None } => "balancer fails; no standby".to_owned(),
        TimelineEvent::StandbyServing => "standby balancer serving".to_owned(),
        TimelineEvent::Revoke { sessions } => format!("revoke {sessions} sessions"),
    }
}

/// `summary.json` gives an event as its words (the `label` of a timeline entry), as scripts have
/// always read it.
impl Serialize for TimelineEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&describe(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    #[test]
    fn every_event_reads_as_it_always_has() {
        let secs = SimDuration::from_secs;
        for (event, words) in [
            (
                TimelineEvent::Crash { instances: vec![1] },
                "crash instance 1",
            ),
            (
                TimelineEvent::Crash {
                    instances: vec![0, 2, 3],
                },
                "crash instance 0, 2, 3",
            ),
            (
                TimelineEvent::Crash { instances: vec![] },
                "crash (no live instance)",
            ),
            (
                TimelineEvent::RandomCrash { instance: 4 },
                "crash instance 4 (mtbf)",
            ),
            (
                TimelineEvent::MarkedDown {
                    instance: 1,
                    replaced: true,
                },
                "instance 1 marked down; replacement launched",
            ),
            (
                TimelineEvent::MarkedDown {
                    instance: 1,
                    replaced: false,
                },
                "instance 1 marked down",
            ),
            (TimelineEvent::Scale { to: 2 }, "scale to 2"),
            (
                TimelineEvent::RollingDeploy {
                    max_surge: 1,
                    max_unavailable: 0,
                },
                "rolling deploy (max_surge 1, max_unavailable 0)",
            ),
            (
                TimelineEvent::DeployFinished,
                "rolling deploy: old version drained",
            ),
            (
                TimelineEvent::RedisOutage {
                    duration: secs(120),
                    data_loss: true,
                },
                "redis outage for 2m, data lost",
            ),
            (
                TimelineEvent::RedisOutage {
                    duration: secs(90),
                    data_loss: false,
                },
                "redis outage for 90s",
            ),
            (
                TimelineEvent::RedisSlowdown {
                    factor: 2.5,
                    duration: secs(60),
                },
                "redis slowdown ×2.5 for 1m",
            ),
            (
                TimelineEvent::SlowInstance {
                    instance: Some(3),
                    factor: 10.0,
                    duration: secs(300),
                },
                "instance 3 slows ×10 for 5m",
            ),
            (
                TimelineEvent::SlowInstance {
                    instance: None,
                    factor: 10.0,
                    duration: secs(300),
                },
                "slow instance (no live instance)",
            ),
            (
                TimelineEvent::BalancerFails {
                    standby: Some(secs(30)),
                },
                "balancer fails; standby takes over in 30s",
            ),
            (
                TimelineEvent::BalancerFails { standby: None },
                "balancer fails; no standby",
            ),
            (TimelineEvent::StandbyServing, "standby balancer serving"),
            (TimelineEvent::Revoke { sessions: 50 }, "revoke 50 sessions"),
        ] {
            assert_eq!(describe(&event), words, "{event:?}");
            assert_eq!(
                serde_json::to_value(&event).expect("serialises"),
                serde_json::Value::from(words)
            );
        }
    }
}
