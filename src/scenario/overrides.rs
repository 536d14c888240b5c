//! `--set path=value`: change any scenario field from the command line, before validation.
//!
//! Variants of a scenario (another store, more instances) should not need copied files. The
//! parsed file is turned into a JSON tree, each override replaces one node (the value is read
//! as YAML, so `8` is a number, `redis` a string and `{dist: constant, value: 5ms}` a mapping),
//! and the tree is read back through the same strict serde types: an unknown path or a wrong
//! type is refused exactly as it would be in the file.
//!
//! Paths are dotted; list items are addressed as `events.0.at` or `events[0].at`. Setting a
//! field to `~` (null) removes it, e.g. `--set workload.arrivals.rate=~` before setting a
//! `profile`.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};
use serde_saphyr::MessageFormatter;

use super::error::ScenarioError;
use super::friendly::Friendly;
use super::hints;
use super::raw::RawScenario;
use crate::echo::{echo, echo_quoted};

/// One step of a path: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// One `--set path=value` argument, or one value of a `--grid`/`--vary` axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    path: Vec<Segment>,
    value: String,
    arg: String,
    /// The flag that gave it: `--set`, or [`AXIS_FLAG`] for a value of an axis.
    flag: &'static str,
}

/// How an axis's override names its flag until the command says which (`--grid` or `--vary`):
/// see [`ScenarioError::name_axis_flag`].
pub(crate) const AXIS_FLAG: &str = "--grid/--vary";

impl Override {
    /// The argument as given (`path=value`), for messages and records.
    pub(crate) fn arg(&self) -> &str {
        &self.arg
    }

    /// The argument with its flag, as messages blame it: `--set instances.count=0`.
    pub(crate) fn label(&self) -> String {
        format!("{} {}", self.flag, echo(&self.arg))
    }

    /// The same override, blamed on a `--grid` or `--vary` axis instead of `--set`.
    pub(crate) fn blamed_on_axis(mut self) -> Self {
        self.flag = AXIS_FLAG;
        self
    }

    /// The path in the notation of error messages (`events[0].at`).
    pub(crate) fn path(&self) -> String {
        render(&self.path)
    }

    /// The value text after `=`.
    #[cfg(test)]
    pub(crate) fn value(&self) -> &str {
        &self.value
    }
}

impl FromStr for Override {
    type Err = String;

    fn from_str(arg: &str) -> Result<Self, String> {
        let Some((path, value)) = arg.split_once('=') else {
            return Err(format!(
                "`{}` has no `=`; expected PATH=VALUE, like sessions.store=redis",
                echo(arg)
            ));
        };
        Ok(Override {
            path: parse_path(path.trim())?,
            value: value.to_owned(),
            arg: arg.to_owned(),
            flag: "--set",
        })
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arg)
    }
}

fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let bad = || {
        format!(
            "`{}` is not a field path like instances.count or events.0.at",
            echo(path)
        )
    };
    if path.is_empty() {
        return Err(bad());
    }
    let mut segments = Vec::new();
    for part in path.split('.') {
        // `events[0][1]` → key `events`, then the indices.
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() && rest.is_empty() {
            return Err(bad());
        }
        if !key.is_empty() {
            segments.push(match key.parse::<usize>() {
                Ok(i) => Segment::Index(i),
                Err(_) => Segment::Key(key.to_owned()),
            });
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']').ok_or_else(bad)?;
            segments.push(Segment::Index(inner[..close].parse().map_err(|_| bad())?));
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return Err(bad());
        }
    }
    Ok(segments)
}

fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(k) if out.is_empty() => out.push_str(k),
            Segment::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Applies `overrides` in order to `raw`. `file` names the scenario in messages.
pub(crate) fn apply(
    raw: RawScenario,
    overrides: &[Override],
    file: &str,
) -> Result<RawScenario, ScenarioError> {
    let Some(last) = overrides.last() else {
        return Ok(raw);
    };
    let error = |o: &Override, message: String, hint: Option<String>| ScenarioError::Override {
        file: file.to_owned(),
        arg: o.label(),
        message: echo_quoted(&message),
        hint,
    };
    let base = serde_json::to_value(&raw).map_err(|e| ScenarioError::Read {
        file: file.to_owned(),
        reason: format!("cannot apply --set: {e}"),
    })?;
    let mut edited = base.clone();
    let mut values = Vec::with_capacity(overrides.len());
    for o in overrides {
        let value = yaml_value(&o.value).map_err(|m| error(o, m, None))?;
        set(&mut edited, &o.path, value.clone()).map_err(|m| error(o, m, None))?;
        values.push(value);
    }
    let combined = match serde_json::from_value::<RawScenario>(edited) {
        Ok(raw) => return Ok(raw),
        Err(e) => e,
    };
    // Blame the first override that fails on its own; if each is fine alone, the combination is
    // at fault and the last one is named.
    let culprit = overrides.iter().zip(&values).find_map(|(o, v)| {
        let mut alone = base.clone();
        set(&mut alone, &o.path, v.clone()).ok()?;
        serde_json::from_value::<RawScenario>(alone)
            .err()
            .map(|e| (o, e))
    });
    let (o, e) = culprit.unwrap_or((last, combined));
    let message = e.to_string();
    let hint = hints::parse_unknown(&message).and_then(|u| {
        let better = u.suggestion()?;
        let mut path = o.path.clone();
        let last_match = path
            .iter_mut()
            .rev()
            .find(|s| matches!(s, Segment::Key(k) if *k == u.given));
        match last_match {
            Some(segment) if u.kind == "field" => {
                *segment = Segment::Key(better.to_owned());
                Some(format!("did you mean `{}`?", render(&path)))
            }
            _ => Some(format!("did you mean `{better}`?")),
        }
    });
    let hint = hint.or_else(|| started_block(&base, o, &message));
    Err(error(o, message, hint))
}

/// When a `--set` reaches into a top-level block the scenario does not have (`workload` in a
/// connections-only file, `autoscaler`), the block it starts holds only the value set: a
/// "missing field" is then about the block's required fields, which deserves saying.
fn started_block(base: &Value, o: &Override, message: &str) -> Option<String> {
    if !message.starts_with("missing field") || o.path.len() < 2 {
        return None;
    }
    let Some(Segment::Key(block)) = o.path.first() else {
        return None;
    };
    if base.get(block).is_some_and(|v| !v.is_null()) {
        return None;
    }
    Some(format!(
        "the scenario has no `{block}`, so this --set starts one, which needs its required \
         fields too (or set the whole block: --set '{block}={{...}}')"
    ))
}

/// Reads an override's value as a YAML scalar or flow collection.
fn yaml_value(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        format!(
            "`{text}` is not a YAML value: {}",
            Friendly.format_message(e.without_snippet())
        )
    })
}

/// Replaces the node at `path`, creating missing mappings on the way.
fn set(root: &mut Value, path: &[Segment], value: Value) -> Result<(), String> {
    let mut node = root;
    for (depth, segment) in path.iter().enumerate() {
        let here = || render(&path[..depth]);
        let last = depth + 1 == path.len();
        match segment {
            Segment::Key(key) => {
                if node.is_null() {
                    *node = Value::Object(Map::new());
                }
                let Value::Object(map) = node else {
                    return Err(format!(
                        "`{}` is not a mapping, so it has no `{key}`",
                        here()
                    ));
                };
                if last {
                    map.insert(key.clone(), value);
                    return Ok(());
                }
                node = map.entry(key.clone()).or_insert(Value::Null);
            }
            Segment::Index(i) => {
                let Value::Array(items) = node else {
                    return Err(format!("`{}` is not a list, so it has no item {i}", here()));
                };
                let len = items.len();
                let Some(item) = items.get_mut(*i) else {
                    return Err(format!(
                        "`{}` has {len} item{}, so there is no item {i}",
                        here(),
                        if len == 1 { "" } else { "s" }
                    ));
                };
                if last {
                    *item = value;
                    return Ok(());
                }
                node = item;
            }
        }
    }
    *node = value;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::percent::CountOrPercent;
    use crate::scenario::raw::{RawDist, RawEvent, RawStore};

    const BASE: &str = "\
name: t
duration: 20m
workload: { arrivals: { rate: 10 } }
events: [ { at: 1m, action: crash } ]
";

    fn base() -> RawScenario {
        serde_saphyr::from_str(BASE).unwrap()
    }

    fn sets(args: &[&str]) -> Result<RawScenario, ScenarioError> {
        let overrides: Vec<Override> = args.iter().map(|a| a.parse().unwrap()).collect();
        apply(base(), &overrides, "t.yaml")
    }

    #[test]
    fn parses_dotted_paths_with_indices() {
        let o: Override = "events.0.at=5m".parse().unwrap();
        assert_eq!(o.path(), "events[0].at");
        let o: Override = "events[0].at=5m".parse().unwrap();
        assert_eq!(
            o.path,
            [
                Segment::Key("events".into()),
                Segment::Index(0),
                Segment::Key("at".into())
            ]
        );
        assert_eq!(o.value(), "5m");
        let o: Override = "description=a=b".parse().unwrap();
        assert_eq!(o.value(), "a=b");
    }

    #[test]
    fn refuses_arguments_without_a_path_and_value() {
        assert!("sessions.store"
            .parse::<Override>()
            .unwrap_err()
            .contains("no `=`"));
        assert!("=redis".parse::<Override>().is_err());
        assert!("a..b=1".parse::<Override>().is_err());
        assert!("a[x]=1".parse::<Override>().is_err());
        assert!("a[1=1".parse::<Override>().is_err());
    }

    #[test]
    fn values_are_typed_like_yaml() {
        let r = sets(&[
            "sessions.store=redis",
            "instances.count=8",
            "instances.service_time={dist: constant, value: 5ms}",
            "redis.max_ops=2.5e3",
            "events.0.at=5m",
        ])
        .unwrap();
        assert_eq!(r.sessions.store, RawStore::Redis);
        assert_eq!(r.instances.count, Some(8));
        assert!(
            matches!(r.instances.service_time, RawDist::Constant { value } if value.0.as_nanos() == 5_000_000)
        );
        assert_eq!(r.redis.max_ops, 2500.0);
        assert_eq!(
            r.events[0].at().map(|t| t.0.as_nanos()),
            Some(300_000_000_000)
        );
        // Untouched fields keep their values.
        assert_eq!(r.workload.unwrap().arrivals.rate, Some(10.0));
    }

    #[test]
    fn fields_of_a_default_distribution_can_be_set_one_by_one() {
        let r = sets(&["instances.service_time.mean=30ms"]).unwrap();
        assert!(
            matches!(r.instances.service_time, RawDist::Exponential { mean } if mean.0.as_nanos() == 30_000_000)
        );
    }

    #[test]
    fn null_removes_a_field_so_rate_can_become_a_profile() {
        let r = sets(&[
            "workload.arrivals.rate=~",
            "workload.arrivals.profile=[{at: 0s, rate: 5}]",
        ])
        .unwrap();
        let arrivals = r.workload.unwrap().arrivals;
        assert_eq!(arrivals.rate, None);
        assert_eq!(arrivals.profile.map(|p| p.len()), Some(1));
    }

    #[test]
    fn an_unknown_path_names_the_argument_and_suggests_a_fix() {
        let e = sets(&["sessions.store=redis", "instances.wrkers=3"]).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("error: t.yaml: --set instances.wrkers=3: unknown field `wrkers`"),
            "{text}"
        );
        assert!(text.contains("did you mean `instances.workers`?"), "{text}");
        let e = sets(&["instancs.count=3"]).unwrap_err();
        assert!(
            e.to_string().contains("did you mean `instances.count`?"),
            "{e}"
        );
    }

    #[test]
    fn a_wrong_type_or_value_names_the_argument() {
        let e = sets(&["instances.workers=many"]).unwrap_err().to_string();
        assert!(
            e.contains("--set instances.workers=many") && e.contains("u32"),
            "{e}"
        );
        let e = sets(&["sessions.store=reddis"]).unwrap_err().to_string();
        assert!(e.contains("did you mean `redis`?"), "{e}");
        let e = sets(&["instances.count={"]).unwrap_err().to_string();
        assert!(e.contains("not a YAML value"), "{e}");
    }

    #[test]
    fn impossible_paths_are_explained() {
        let e = sets(&["events.3.at=1m"]).unwrap_err().to_string();
        assert!(
            e.contains("`events` has 1 item, so there is no item 3"),
            "{e}"
        );
        let e = sets(&["name.first=x"]).unwrap_err().to_string();
        assert!(e.contains("`name` is not a mapping"), "{e}");
        let e = sets(&["instances.0=x"]).unwrap_err().to_string();
        assert!(e.contains("`instances` is not a list"), "{e}");
    }

    /// A scenario using the optional blocks, to check they survive the JSON round trip.
    const BLOCKS: &str = "\
name: t
duration: 20m
workload:
  arrivals:
    diurnal: { period: 24h, min: 10, max: 100 }
    spike: { at: 5m, duration: 2m, multiplier: 4 }
balancer: { standby: { failover: 5s } }
sessions: { store: redis, token_ttl: 10m }
database: { max_connections: 20 }
local_cache: { hit_ratio_one_instance: 0.9, miss_penalty: 20ms }
rate_limit: { per_user_per_s: 5, scope: shared }
autoscaler: { metric: p95-latency, target: 200, min: 2, max: 20, scale_down: { max_step: 2 } }
events:
  - { action: crash, mtbf: 2h }
  - { at: 8m, action: rolling-deploy, max_unavailable: 1 }
  - { at: 10m, action: redis-outage, duration: 1m, data_loss: true }
  - { at: 11m, action: redis-slowdown, factor: 5, duration: 2m }
  - { at: 12m, action: slow-instance, factor: 10, duration: 3m, pick: index, index: 1 }
  - { at: 13m, action: lb-failure }
  - { at: 14m, action: revoke, sessions: 100 }
";

    fn blocks(args: &[&str]) -> Result<RawScenario, ScenarioError> {
        let overrides: Vec<Override> = args.iter().map(|a| a.parse().unwrap()).collect();
        apply(
            serde_saphyr::from_str(BLOCKS).unwrap(),
            &overrides,
            "t.yaml",
        )
    }

    #[test]
    fn fields_of_the_optional_blocks_can_be_set() {
        let before: RawScenario = serde_saphyr::from_str(BLOCKS).unwrap();
        // An untouched round trip through JSON loses nothing.
        assert_eq!(blocks(&["seed=1"]).unwrap(), before);
        let r = blocks(&[
            "autoscaler.max=30",
            "workload.arrivals.spike.multiplier=3",
            "autoscaler.scale_up.max_step=8",
            "events.1.max_surge=2",
        ])
        .unwrap();
        let a = r.autoscaler.as_ref().unwrap();
        assert_eq!((a.min, a.max, a.target.value()), (2, 30, 200.0));
        assert_eq!((a.scale_up.max_step, a.scale_down.max_step), (8, 2));
        let spike = r.workload.as_ref().and_then(|w| w.arrivals.spike.as_ref());
        assert_eq!(spike.unwrap().multiplier, 3.0);
        assert!(matches!(
            r.events[1],
            RawEvent::RollingDeploy {
                max_surge: CountOrPercent::Count(2),
                max_unavailable: CountOrPercent::Count(1),
                ..
            }
        ));
        // Everything else is as written.
        assert_eq!(r.events[0], before.events[0]);
        assert_eq!(r.database, before.database);
    }

    #[test]
    fn a_standby_can_be_added_from_the_command_line() {
        let r = sets(&["balancer.standby.failover=10s"]).unwrap();
        assert_eq!(
            r.balancer.standby.map(|s| s.failover.0.as_nanos()),
            Some(10_000_000_000)
        );
        let r = sets(&["balancer.standby={}"]).unwrap();
        assert!(r.balancer.standby.is_some());
    }

    #[test]
    fn an_unknown_autoscaler_field_suggests_a_fix() {
        let e = blocks(&["autoscaler.mx=30"]).unwrap_err().to_string();
        assert!(e.contains("did you mean `autoscaler.max`?"), "{e}");
    }

    /// A scenario with connections only, every field written.
    const CONNECTED: &str = "\
name: t
duration: 20m
connections:
  arrivals: { rate: 50, spike: { at: 5m, duration: 1m, multiplier: 2 } }
  lifetime: { dist: lognormal, mean: 20m, p99: 2h }
  handshake: { dist: exponential, mean: 5ms }
  timeout: 10s
  messages: { rate: 0.2 }
  message_time: { dist: exponential, mean: 1ms }
  rooms: { count: 5000, size: { dist: geometric, mean: 4 } }
  delivery: redis-pubsub
  max_per_instance: 10000
  reconnect: { policy: exponential-jitter, base: 500ms, cap: 30s }
  max_age: 1h
  drain: { close_over: 30s }
events:
  - { at: 10m, action: redis-outage, duration: 1m }
";

    fn connected(args: &[&str]) -> Result<RawScenario, ScenarioError> {
        let overrides: Vec<Override> = args.iter().map(|a| a.parse().unwrap()).collect();
        apply(
            serde_saphyr::from_str(CONNECTED).unwrap(),
            &overrides,
            "t.yaml",
        )
    }

    #[test]
    fn connections_survive_the_round_trip_and_their_fields_can_be_set() {
        use crate::scenario::raw::{RawDelivery, RawReconnectPolicy};
        let before: RawScenario = serde_saphyr::from_str(CONNECTED).unwrap();
        assert_eq!(connected(&["seed=1"]).unwrap(), before);
        let r = connected(&[
            "connections.rooms.count=10",
            "connections.delivery=sharded-pubsub",
            "connections.reconnect.policy=fixed",
            "connections.messages.rate=3",
            "connections.max_age=~",
            "connections.drain.close_over=1m",
        ])
        .unwrap();
        let c = r.connections.unwrap();
        assert_eq!(c.rooms.count, 10);
        assert_eq!(c.delivery, RawDelivery::ShardedPubsub);
        assert_eq!(c.reconnect.policy, RawReconnectPolicy::Fixed);
        assert_eq!(c.messages.rate, 3.0);
        assert_eq!(c.max_age, None);
        assert_eq!(c.drain.close_over.0.as_nanos(), 60_000_000_000);
        // Everything else is as written.
        let was = before.connections.unwrap();
        assert_eq!(
            (c.lifetime, c.max_per_instance),
            (was.lifetime, was.max_per_instance)
        );
        let e = connected(&["connections.delivery=redis-pub-sub"]).unwrap_err();
        assert!(
            e.to_string().contains("did you mean `redis-pubsub`?"),
            "{e}"
        );
        let e = connected(&["connections.rooms.cuont=3"]).unwrap_err();
        assert!(
            e.to_string()
                .contains("did you mean `connections.rooms.count`?"),
            "{e}"
        );
    }

    #[test]
    fn a_workload_can_be_added_to_a_connections_only_file_by_its_arrivals() {
        let r = connected(&["workload.arrivals.rate=5"]).unwrap();
        let w = r.workload.unwrap();
        assert_eq!(w.arrivals.rate, Some(5.0));
        assert_eq!(w.client_ips, 10_000);
        // Any other field alone starts a workload without its required arrivals: refused, and
        // the message says why.
        let e = connected(&["workload.timeout=3s"]).unwrap_err().to_string();
        assert!(
            e.starts_with("error: t.yaml: --set workload.timeout=3s: missing field `arrivals`"),
            "{e}"
        );
        assert!(
            e.contains("help: the scenario has no `workload`, so this --set starts one"),
            "{e}"
        );
        let r = connected(&["workload.arrivals.rate=5", "workload.timeout=3s"]).unwrap();
        assert_eq!(
            r.workload.map(|w| w.timeout.0.as_nanos()),
            Some(3_000_000_000)
        );
        // The same for connections in a file without them.
        let e = sets(&["connections.rooms.count=3"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field `arrivals`"), "{e}");
        assert!(e.contains("the scenario has no `connections`"), "{e}");
        let r = sets(&[
            "connections={arrivals: {rate: 1}, lifetime: {dist: constant, value: 1m}}",
            "connections.rooms.count=3",
        ])
        .unwrap();
        assert_eq!(r.connections.map(|c| c.rooms.count), Some(3));
        // A block the file has gets the plain message.
        let e = sets(&["events.0.action=redis-outage"])
            .unwrap_err()
            .to_string();
        assert!(!e.contains("starts one"), "{e}");
    }

    #[test]
    fn the_workload_can_be_removed() {
        let both = "connections={arrivals: {rate: 1}, lifetime: {dist: constant, value: 1m}}";
        let r = sets(&[both, "workload=~"]).unwrap();
        assert_eq!(r.workload, None);
        assert!(r.connections.is_some());
    }

    #[test]
    fn no_overrides_is_the_identity() {
        assert_eq!(apply(base(), &[], "t.yaml").unwrap(), base());
    }
}
