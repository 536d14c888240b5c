//! YAML text (+ `--set` overrides) → validated [`Scenario`], with errors for people.
//!
//! The steps are: strict typed parse (serde-saphyr, which knows line and column even inside
//! `dist:` maps and event lists) → overrides → validation. Only when something fails is the text
//! indexed a second time ([`LineIndex`]) to name the field and line of each problem.

use serde_saphyr::{MessageFormatter, RenderOptions};

use super::error::{Origin, ParseError, Problem, ScenarioError};
use super::friendly::Friendly;
use super::hints::{self, Failure};
use super::lines::{within, LineIndex, Pos};
use super::overrides::{self, Override};
use super::raw::RawScenario;
use super::types::{Scenario, Source};
use super::validate::validate;

/// Parses and validates `text`; `display_name` (a path, or `scenarios/<name>.yaml`) names the
/// scenario in messages.
pub fn parse_str(
    display_name: &str,
    text: &str,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    let raw: RawScenario =
        serde_saphyr::from_str(text).map_err(|e| parse_error(display_name, text, &e))?;
    let raw = overrides::apply(raw, overrides, display_name)?;
    let mut scenario = validate(&raw, &|_| Origin::Default).map_err(|_| {
        // Validate again, now paying for the line index to say where each problem is.
        let index = LineIndex::build(text);
        let locate = |path: &str| origin(path, &index, overrides);
        let mut problems = validate(&raw, &locate).err().unwrap_or_default();
        // File order reads best; command-line values and defaults come after the file's lines.
        problems.sort_by_key(|p: &Problem| match p.origin {
            Origin::Line(line) => (0, line),
            Origin::Override(_) => (1, 0),
            Origin::Default => (2, 0),
        });
        ScenarioError::Invalid {
            file: display_name.to_owned(),
            problems,
        }
    })?;
    scenario.source = Source {
        yaml: text.to_owned(),
        overrides: overrides.iter().map(|o| o.arg().to_owned()).collect(),
    };
    Ok(scenario)
}

/// Where the value at `path` came from: the last `--set` touching it (or a part of it), else the
/// line it (or its section) was written on.
fn origin(path: &str, index: &LineIndex, overrides: &[Override]) -> Origin {
    let touches = |o: &&Override| {
        let set = o.path();
        within(&set, path) || within(path, &set)
    };
    if let Some(o) = overrides.iter().rev().find(touches) {
        return Origin::Override(o.label());
    }
    index.line_near(path).map_or(Origin::Default, Origin::Line)
}

fn parse_error(file: &str, text: &str, e: &serde_saphyr::Error) -> ScenarioError {
    let message = Friendly.format_message(e.without_snippet()).into_owned();
    let mut options = RenderOptions::new(&Friendly);
    options.source_name = Some(file);
    let rendered = e.render_with_options(options);
    // The first rendered line repeats the message with the position; ours replaces it.
    let snippet = match rendered.split_once('\n') {
        Some((_, rest)) => rest.trim_end().to_owned(),
        None => String::new(),
    };
    let at = e.location().filter(|l| l.line() > 0).map(|l| Pos {
        line: l.line(),
        column: l.column(),
    });
    let index = LineIndex::build(text);
    let unknown = hints::parse_unknown(&message);
    let mut line = at.map(|pos| pos.line);
    let mut path = None;
    if let Some(pos) = at {
        if let Some(missing) = missing_field(&message) {
            path = index.mapping_at(pos).map(|m| match m {
                "" => missing.to_owned(),
                m => format!("{m}.{missing}"),
            });
        } else if let Some(found) = index.path_at(pos) {
            // Errors inside a `dist:` map or an event are reported at the mapping (or the key
            // holding it); the key or value the message quotes pins the field and its line.
            let from = pos.line;
            let pinned = match (&unknown, quoted_value(e)) {
                (Some(u), _) if u.kind == "field" => index.descendant_named(found, &u.given, from),
                (Some(u), _) => index.descendant_with_text(found, &u.given, from),
                (None, Some(value)) => index.descendant_with_text(found, &value, from),
                (None, None) => None,
            };
            line = pinned.as_deref().and_then(|p| index.line_of(p)).or(line);
            path = Some(pinned.unwrap_or_else(|| found.to_owned()));
        } else {
            // Not YAML at all, so there is no index: read the keys off the indentation.
            path = keys_above(text, pos.line);
        }
    }
    let suggestion = unknown
        .as_ref()
        .and_then(|u| u.suggestion())
        .map(|s| format!("did you mean `{s}`?"));
    // Without a better word for it, a mistake the indentation explains gets that explanation.
    let failure = if unknown.as_ref().is_some_and(|u| u.kind == "field") {
        Failure::UnknownField
    } else if [
        "while parsing",
        "while scanning",
        "did not find expected",
        "mapping values are not allowed",
        "tab",
    ]
    .iter()
    .any(|m| message.contains(m))
    {
        Failure::Syntax
    } else {
        Failure::Value
    };
    let hint = suggestion.or_else(|| {
        let at = at.map(|pos| pos.line)?;
        hints::indentation(text, at, failure).map(|(_, hint)| hint)
    });
    ScenarioError::Parse(Box::new(ParseError {
        file: file.to_owned(),
        line,
        path: path.filter(|p| !p.is_empty()),
        message,
        snippet,
        hint,
    }))
}

/// The value an error quotes: `x` from serde's `string "x"` or ``integer `5` ``, or the
/// leading `` `text` `` of our own messages (durations).
fn quoted_value(e: &serde_saphyr::Error) -> Option<String> {
    let unexpected = match e.without_snippet() {
        serde_saphyr::Error::SerdeInvalidType { unexpected, .. }
        | serde_saphyr::Error::SerdeInvalidValue { unexpected, .. } => unexpected.as_str(),
        serde_saphyr::Error::Message { msg, .. } => {
            let rest = msg.strip_prefix('`')?;
            return rest.split_once('`').map(|(quoted, _)| quoted.to_owned());
        }
        _ => return None,
    };
    let (open, close) = if unexpected.starts_with("string ") {
        ('"', '"')
    } else {
        ('`', '`')
    };
    let start = unexpected.find(open)? + 1;
    let len = unexpected[start..].rfind(close)?;
    Some(unexpected[start..start + len].to_owned())
}

/// The dotted path of block-mapping keys leading to `line`, from indentation alone: a best guess
/// for text that does not parse (list items are not numbered).
fn keys_above(text: &str, line: u64) -> Option<String> {
    let upto = usize::try_from(line).ok()?;
    let mut keys = Vec::new();
    let mut indent = usize::MAX;
    for l in text
        .lines()
        .take(upto)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        let body = l.trim_start();
        let depth = l.len() - body.len();
        if body.is_empty() || body.starts_with('#') || depth >= indent {
            continue;
        }
        let body = body.trim_start_matches("- ");
        let key = body.split_once(':').map(|(k, _)| k.trim());
        if let Some(key) = key.filter(|k| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        }) {
            keys.push(key);
            indent = depth;
        }
        if depth == 0 {
            break;
        }
    }
    keys.reverse();
    (!keys.is_empty()).then(|| keys.join("."))
}

fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_err(text: &str) -> ScenarioError {
        match parse_str("t.yaml", text, &[]) {
            Ok(s) => panic!("parsed: {s:?}"),
            Err(e) => e,
        }
    }

    fn first_line(e: &ScenarioError) -> String {
        e.to_string().lines().next().unwrap_or("").to_owned()
    }

    const HEAD: &str = "name: t\nduration: 20m\nworkload: { arrivals: { rate: 10 } }\n";

    #[test]
    fn nan_and_infinity_are_refused_on_their_line_wherever_a_number_is_expected() {
        for (yaml, line, field) in [
            (
                "workload: { arrivals: { rate: .nan } }\n",
                3,
                "workload.arrivals.rate",
            ),
            (
                "workload:\n  arrivals:\n    rate: .inf\n",
                5,
                "workload.arrivals.rate",
            ),
            (
                "workload: { arrivals: { rate: 1 } }\nevents:\n  - { at: 1m, action: \
                 slow-instance, factor: -.inf, duration: 1m }\n",
                5,
                "events[0].factor",
            ),
            (
                "workload:\n  arrivals: { rate: 1 }\n  session:\n    requests: { dist: \
                 geometric, mean: .NaN }\n",
                6,
                "workload.session.requests.mean",
            ),
        ] {
            let e = parse_err(&format!("name: t\nduration: 20m\n{yaml}"));
            let first = first_line(&e);
            assert!(
                first.starts_with(&format!("error: t.yaml:{line}: {field}: ")),
                "{e}"
            );
            assert!(first.contains("is not a finite number"), "{e}");
        }
    }

    #[test]
    fn a_nan_in_the_file_does_not_move_the_blame_onto_a_set() {
        // Once, a NaN became a JSON null on the way through `--set` and the error blamed the
        // innocent argument; now the file's line is named whatever is set.
        let text = "name: t\nduration: 20m\nworkload: { arrivals: { rate: .nan } }\n";
        let sets = ["seed=9".parse().expect("an override")];
        let e = parse_str("t.yaml", text, &sets).expect_err("NaN is refused");
        assert!(
            first_line(&e).starts_with("error: t.yaml:3: workload.arrivals.rate"),
            "{e}"
        );
        assert!(!e.to_string().contains("seed=9"), "{e}");
    }

    #[test]
    fn unknown_keys_name_line_field_and_fix() {
        let e = parse_err(&format!("{HEAD}instances:\n  count: 2\n  wrkers: 3\n"));
        assert_eq!(
            first_line(&e),
            "error: t.yaml:6: instances.wrkers: unknown field `wrkers`, expected one of count, workers, queue, service_time, boot_time, warmup, replace, termination_grace, groups"
        );
        assert!(
            e.to_string().contains("help: did you mean `workers`?"),
            "{e}"
        );
        assert!(e.to_string().contains("t.yaml:6:3"), "{e}");
    }

    #[test]
    fn unknown_keys_inside_a_block_dist_point_at_their_own_line() {
        let e = parse_err(&format!(
            "{HEAD}instances:\n  service_time:\n    dist: lognormal\n    mean: 20ms\n    p9: 80ms\n"
        ));
        assert!(
            first_line(&e)
                .starts_with("error: t.yaml:8: instances.service_time.p9: unknown field `p9`"),
            "{e}"
        );
        assert!(e.to_string().contains("did you mean `p99`?"), "{e}");
    }

    #[test]
    fn errors_inside_events_name_the_key_or_value_they_quote() {
        let e = parse_err(&format!(
            "{HEAD}events:\n  - {{ at: 1m, action: crash }}\n  - at: 2m\n    action: crash\n    pick: biggest\n"
        ));
        assert!(
            first_line(&e)
                .starts_with("error: t.yaml:8: events[1].pick: unknown variant `biggest`"),
            "{e}"
        );
        let e = parse_err(&format!(
            "{HEAD}events:\n  - {{ at: 1m, action: crash, count: x }}\n"
        ));
        assert!(
            first_line(&e).starts_with("error: t.yaml:5: events[0].count: expected a whole number"),
            "{e}"
        );
        let e = parse_err(&format!("{HEAD}events:\n  - at: 2m\n    count: 2\n"));
        assert!(
            first_line(&e).starts_with("error: t.yaml:6: events[0].action: missing field `action`"),
            "{e}"
        );
    }

    #[test]
    fn errors_inside_a_distribution_name_its_field() {
        let e = parse_err(&format!(
            "{HEAD}instances:\n  service_time:\n    dist: constant\n    value: soon\n"
        ));
        assert!(
            first_line(&e).starts_with(
                "error: t.yaml:7: instances.service_time.value: `soon` is not a duration"
            ),
            "{e}"
        );
        let e = parse_err(&format!(
            "{HEAD}instances:\n  count: 2\n  service_time: {{ dist: constant }}\n"
        ));
        assert!(
            first_line(&e).starts_with(
                "error: t.yaml:6: instances.service_time.value: missing field `value`"
            ),
            "{e}"
        );
        let e = parse_err(&format!(
            "{HEAD}instances: {{ service_time: {{ dist: expo, mean: 1s }} }}\n"
        ));
        assert!(
            first_line(&e).contains("instances.service_time.dist: unknown variant `expo`"),
            "{e}"
        );
        assert!(e.to_string().contains("did you mean `exponential`?"), "{e}");
    }

    #[test]
    fn wrong_types_are_put_in_words() {
        let e = parse_err(&format!("{HEAD}instances:\n  workers: many\n"));
        assert_eq!(
            first_line(&e),
            "error: t.yaml:5: instances.workers: expected a whole number ≥ 0"
        );
    }

    #[test]
    fn missing_fields_are_named_by_path() {
        let e = parse_err("name: t\nworkload: { arrivals: { rate: 10 } }\n");
        assert!(
            first_line(&e).contains("duration: missing field `duration`"),
            "{e}"
        );
        let e = parse_err(&format!(
            "{HEAD}redis: {{ latency: {{ dist: uniform, min: 1ms }} }}\n"
        ));
        assert!(
            first_line(&e).contains("redis.latency.max: missing field `max`"),
            "{e}"
        );
    }

    #[test]
    fn bad_durations_say_what_is_expected() {
        let e = parse_err(&format!("{HEAD}warmup: 30\n"));
        assert!(
            first_line(&e).starts_with("error: t.yaml:4: warmup: `30` has no unit"),
            "{e}"
        );
    }

    #[test]
    fn malformed_yaml_has_a_line_and_a_best_guess_of_the_field() {
        let e = parse_err("name: t\ninstances: [\n");
        assert!(
            first_line(&e).starts_with("error: t.yaml:2: instances: "),
            "{e}"
        );
        let e = parse_err("name: t\ninstances:\n  count: 2\n  workers: : 3\n");
        assert!(
            first_line(&e).starts_with("error: t.yaml:4: instances.workers: "),
            "{e}"
        );
        assert_eq!(
            keys_above("a:\n  # c\n  b:\n    - c: [\n", 4).as_deref(),
            Some("a.b.c")
        );
        let e = parse_err("");
        assert!(first_line(&e).starts_with("error: t.yaml"), "{e}");
    }

    #[test]
    fn validation_problems_carry_lines_in_file_order() {
        let e = parse_err(&format!(
            "{HEAD}instances:\n  count: 2\n  workers: 0\nevents:\n  - {{ at: 30m, action: crash }}\n"
        ));
        assert_eq!(
            e.to_string(),
            "error: t.yaml: invalid scenario (2 problems)\n\
             \x20 t.yaml:6: instances.workers: must be ≥ 1, got 0\n\
             \x20 t.yaml:8: events[0].at: 30m is not before the end of the run (20m)"
        );
    }

    #[test]
    fn overridden_values_are_blamed_on_the_set_argument() {
        let set: Override = "instances.workers=0".parse().unwrap();
        let e = parse_str("t.yaml", HEAD, &[set]).unwrap_err();
        assert_eq!(
            e.problems()[0].origin,
            Origin::Override("--set instances.workers=0".into())
        );
        assert!(
            e.to_string()
                .contains("instances.workers: must be ≥ 1, got 0 (from --set instances.workers=0)"),
            "{e}"
        );
    }

    /// A scenario with connections and no workload, written in block style.
    const CONNECTED: &str = "name: t\nduration: 20m\nconnections:\n  arrivals: { rate: 5 }\n  \
                             lifetime: { dist: constant, value: 1m }\n";

    #[test]
    fn connections_problems_carry_their_path_and_line() {
        let e = parse_err(&format!(
            "{CONNECTED}  rooms:\n    count: 0\n    size: {{ dist: geometric, mean: 0.5 }}\n  \
             reconnect: {{ policy: exponential, base: 2s, cap: 1s }}\n  max_age: 0s\n"
        ));
        assert_eq!(
            e.to_string(),
            "error: t.yaml: invalid scenario (4 problems)\n\
             \x20 t.yaml:7: connections.rooms.count: must be ≥ 1, got 0\n\
             \x20 t.yaml:8: connections.rooms.size.mean: must be a number ≥ 1 (a room has at \
             least one member), got 0.5\n\
             \x20 t.yaml:9: connections.reconnect.cap: must be ≥ base (2s), got 1s\n\
             \x20 t.yaml:10: connections.max_age: must be > 0"
        );
        let e = parse_err(
            "name: t\nduration: 20m\nconnections:\n  arrivals:\n    rate: -1\n  \
             lifetime: { dist: constant, value: 1m }\n",
        );
        assert_eq!(
            first_line(&e),
            "error: t.yaml: invalid scenario (1 problem)",
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("t.yaml:5: connections.arrivals.rate: must be a number ≥ 0, got -1"),
            "{e}"
        );
    }

    #[test]
    fn connections_shape_errors_name_the_field() {
        let e = parse_err(&format!("{CONNECTED}  messages: {{ rate: .nan }}\n"));
        assert!(
            first_line(&e).starts_with(
                "error: t.yaml:6: connections.messages.rate: `.nan` is not a finite number"
            ),
            "{e}"
        );
        let e = parse_err(&format!("{CONNECTED}  delivery: redis\n"));
        assert!(
            first_line(&e)
                .starts_with("error: t.yaml:6: connections.delivery: unknown variant `redis`"),
            "{e}"
        );
        assert!(
            e.to_string().contains("did you mean `redis-pubsub`?"),
            "{e}"
        );
        let e = parse_err(&format!("{CONNECTED}  reconect: {{ policy: fixed }}\n"));
        assert!(
            first_line(&e)
                .starts_with("error: t.yaml:6: connections.reconect: unknown field `reconect`"),
            "{e}"
        );
        assert!(e.to_string().contains("did you mean `reconnect`?"), "{e}");
        let e = parse_err(&format!(
            "{CONNECTED}  reconnect: {{ policy: exponential-jiter }}\n"
        ));
        assert!(
            e.to_string().contains("did you mean `exponential-jitter`?"),
            "{e}"
        );
        let e = parse_err("name: t\nduration: 20m\nconnections:\n  arrivals: { rate: 5 }\n");
        assert!(
            first_line(&e).contains("connections.lifetime: missing field `lifetime`"),
            "{e}"
        );
        let e = parse_err("name: t\nduration: 20m\nconection: {}\n");
        assert!(e.to_string().contains("did you mean `connections`?"), "{e}");
    }

    #[test]
    fn a_scenario_without_workload_or_connections_says_so() {
        let e = parse_err("name: t\nduration: 20m\n");
        assert_eq!(
            e.to_string(),
            "error: t.yaml: invalid scenario (1 problem)\n\
             \x20 t.yaml: workload: a scenario needs `workload` (HTTP sessions) or \
             `connections` (WebSockets), or both (default)"
        );
        assert!(parse_str("t.yaml", CONNECTED, &[]).is_ok());
        // Removing the only block is blamed on the argument that removed it.
        let set: Override = "workload=~".parse().unwrap();
        let e = parse_str("t.yaml", HEAD, &[set]).unwrap_err();
        assert!(
            e.to_string().contains(
                "workload: a scenario needs `workload` (HTTP sessions) or `connections` \
                 (WebSockets), or both (from --set workload=~)"
            ),
            "{e}"
        );
    }

    #[test]
    fn sessions_can_be_added_to_a_connections_only_file_from_the_command_line() {
        use crate::scenario::RateProfile;
        let s = parse_str("t.yaml", CONNECTED, &[]).unwrap();
        assert_eq!(s.workload.arrivals, RateProfile::Constant(0.0));
        let set: Override = "workload.arrivals.rate=5".parse().unwrap();
        let s = parse_str("t.yaml", CONNECTED, &[set]).unwrap();
        assert_eq!(s.workload.arrivals, RateProfile::Constant(5.0));
        assert!(s.connections.is_some());
    }

    #[test]
    fn a_valid_text_parses() {
        let s = parse_str("t.yaml", HEAD, &[]).unwrap();
        assert_eq!(s.name, "t");
    }
}
