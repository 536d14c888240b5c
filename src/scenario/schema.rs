//! The scenario format as a JSON Schema, and the starter scenario `fleetsim init` writes.
//!
//! The schema is derived from the raw serde types (raw.rs) with schemars, so their doc comments
//! become the descriptions an editor shows, their defaults its defaults, and `deny_unknown_fields`
//! its `additionalProperties: false`: the file format has one definition. Types with their own
//! deserialisers (durations, percentages) carry hand-written schemas beside them. YAML editors
//! (with yaml-language-server) use it through the modeline every bundled scenario starts with:
//! `# yaml-language-server: $schema=../docs/scenario.schema.json`.

use serde_json::{Map, Value};

use super::raw::RawScenario;

/// The starter scenario: every field with what it means and its default.
pub const STARTER: &str = include_str!("starter.yaml");

/// The modeline bundled scenarios start with: the schema committed in `docs/`, relative to
/// `scenarios/`, so it works in any checkout without a network.
pub const MODELINE: &str = "# yaml-language-server: $schema=../docs/scenario.schema.json";

/// The JSON Schema (draft 2020-12) of a scenario file, pretty-printed, with a final newline.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(RawScenario);
    let mut value = schema.to_value();
    if let Value::Object(root) = &mut value {
        root.insert("title".into(), "fleetsim scenario".into());
        if let Some(Value::Object(defs)) = root.remove("$defs") {
            // `RawDist` is the Rust name; the file knows it as a distribution: drop the prefix.
            let defs: Map<String, Value> = defs
                .into_iter()
                .map(|(k, v)| (plain_name(&k).to_owned(), v))
                .collect();
            root.insert("$defs".into(), Value::Object(defs));
        }
    }
    rename_refs(&mut value);
    let mut text = serde_json::to_string_pretty(&value).expect("a JSON value serialises");
    text.push('\n');
    text
}

fn plain_name(name: &str) -> &str {
    name.strip_prefix("Raw").unwrap_or(name)
}

fn rename_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(target) if k == "$ref" => {
                        if let Some(name) = target.strip_prefix("#/$defs/") {
                            *target = format!("#/$defs/{}", plain_name(name));
                        }
                    }
                    _ => rename_refs(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rename_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        serde_json::from_str(&schema_json()).unwrap()
    }

    #[test]
    fn the_schema_is_draft_2020_12_and_closed() {
        let s = schema();
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(s["title"], "fleetsim scenario");
        assert_eq!(s["additionalProperties"], false);
        let required: Vec<&str> = s["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(required, ["name", "duration"]);
    }

    #[test]
    fn doc_comments_become_descriptions_and_defaults_are_given() {
        let s = schema();
        let instances = &s["$defs"]["Instances"]["properties"];
        assert!(instances["workers"]["description"]
            .as_str()
            .unwrap()
            .starts_with("Concurrent requests per instance"));
        assert_eq!(instances["workers"]["default"], 8);
        assert_eq!(s["properties"]["seed"]["default"], 1);
        assert_eq!(s["$defs"]["Duration"]["anyOf"][1]["const"], 0);
    }

    #[test]
    fn references_point_at_definitions_that_exist() {
        let s = schema();
        let text = serde_json::to_string(&s).unwrap();
        let defs = s["$defs"].as_object().unwrap();
        for piece in text.split("\"$ref\":\"#/$defs/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(defs.contains_key(name), "{name} is not defined");
        }
        assert!(!text.contains("#/$defs/Raw"), "Rust names leak");
    }

    #[test]
    fn the_starter_scenario_is_valid() {
        let s = super::super::parse_str("starter.yaml", STARTER, &[]).unwrap();
        assert_eq!(s.name, "my-fleet");
    }
}
