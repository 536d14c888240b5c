//! The field reference of docs/reference.md, written from the JSON Schema.
//!
//! The schema is derived from the raw serde types, so their doc comments are the one place a
//! field's meaning, range and default are written. `fleetsim schema --markdown` renders them as
//! Markdown tables: one for the top-level fields, then one per section, each field by its dotted
//! path (`balancer.health_check.interval`), a list's items as `[i]`, and each kind of event as
//! its own rows. A test compares the page with this output, so the reference cannot drift from
//! the code.

use std::fmt::Write;

use serde_json::{Map, Value};

use super::schema::schema_json;

/// Definitions shown as a type, not expanded field by field: their forms are described once,
/// in the reference's own sections (durations, distributions).
const LEAVES: &[(&str, &str)] = &[
    ("Duration", "duration"),
    ("Dist", "duration distribution"),
    ("CountDist", "count distribution"),
    ("CountOrPercent", "count or percentage"),
    ("Share", "fraction or percentage"),
];

/// The field reference as Markdown, ending with a newline.
pub fn reference_markdown() -> String {
    let schema: Value = serde_json::from_str(&schema_json()).expect("the schema is JSON");
    let defs = schema["$defs"]
        .as_object()
        .expect("the schema has definitions");
    let walker = Walker { defs };
    let root = schema["properties"]
        .as_object()
        .expect("a scenario is a mapping");
    let required = required_of(&schema);

    let mut out = String::new();
    out.push_str("#### Top level\n\n");
    let mut rows = Vec::new();
    for (name, field) in root {
        if !walker.is_section(field) {
            walker.rows(name, field, required.contains(&name.as_str()), &mut rows);
        }
    }
    table(&mut out, &rows);
    for (name, field) in root {
        if !walker.is_section(field) {
            continue;
        }
        let _ = writeln!(out, "\n#### `{name}`\n");
        let mut rows = Vec::new();
        walker.rows(name, field, required.contains(&name.as_str()), &mut rows);
        table(&mut out, &rows);
    }
    out
}

/// One line of a table.
struct Row {
    path: String,
    kind: String,
    meaning: String,
}

struct Walker<'a> {
    defs: &'a Map<String, Value>,
}

impl Walker<'_> {
    /// `node` without its optionality: `X | null` is `X`, and a `$ref` is its definition.
    /// Returns the definition's name when there was one.
    fn resolve<'v>(&'v self, mut node: &'v Value) -> (&'v Value, Option<&'v str>) {
        if let Some(any) = node["anyOf"].as_array() {
            let not_null: Vec<&Value> = any.iter().filter(|v| v["type"] != "null").collect();
            if not_null.len() == 1 {
                node = not_null[0];
            }
        }
        match node["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/$defs/"))
        {
            Some(name) => (&self.defs[name], Some(name)),
            None => (node, None),
        }
    }

    /// The fields of a mapping (not of a leaf type), if `node` is one.
    fn fields_of<'v>(&'v self, node: &'v Value) -> Option<&'v Map<String, Value>> {
        let (node, name) = self.resolve(node);
        if name.is_some_and(|n| LEAVES.iter().any(|(leaf, _)| *leaf == n)) {
            return None;
        }
        node["properties"].as_object()
    }

    /// Whether `node` gets a table of its own: a mapping, or a list of mappings.
    fn is_section(&self, node: &Value) -> bool {
        self.fields_of(node).is_some()
            || self.items_of(node).is_some_and(|items| {
                self.fields_of(items).is_some() || self.variants_of(items).is_some()
            })
    }

    /// The variants of a tagged union (`oneOf` of mappings), if `node` is one.
    fn variants_of<'v>(&'v self, node: &'v Value) -> Option<&'v [Value]> {
        let (node, name) = self.resolve(node);
        if name.is_some_and(|n| LEAVES.iter().any(|(leaf, _)| *leaf == n)) {
            return None;
        }
        node["oneOf"]
            .as_array()
            .filter(|v| v.iter().all(|v| v["properties"].is_object()))
            .map(Vec::as_slice)
    }

    /// The rows of the field at `path` and of everything inside it.
    fn rows(&self, path: &str, field: &Value, required: bool, out: &mut Vec<Row>) {
        let (node, _) = self.resolve(field);
        let mut meaning = description(field).or_else(|| description(node));
        if required
            && !meaning
                .as_deref()
                .is_some_and(|m| m.starts_with("Required"))
        {
            meaning = Some(format!("Required. {}", meaning.unwrap_or_default()));
        }
        out.push(Row {
            path: format!("`{path}`"),
            kind: self.kind(field),
            meaning: meaning.unwrap_or_default(),
        });
        match self.items_of(field) {
            // A list's own row says what it holds; its items' fields follow.
            Some(items) if self.fields_of(field).is_none() => {
                self.inside(&format!("{path}[i]"), items, out);
            }
            _ => self.inside(path, field, out),
        }
    }

    /// The rows of what `node` holds, at `path`: a mapping's fields, or a union's variants.
    fn inside(&self, path: &str, node: &Value, out: &mut Vec<Row>) {
        if self.fields_of(node).is_some() {
            self.field_rows(
                self.resolve(node).0,
                None,
                |name| format!("{path}.{name}"),
                out,
            );
        } else if let Some(variants) = self.variants_of(node) {
            self.variant_rows(path, variants, out);
        }
    }

    /// The rows of the fields of mapping `owner` (but `skip`), each at `path(name)`.
    fn field_rows(
        &self,
        owner: &Value,
        skip: Option<&str>,
        path: impl Fn(&str) -> String,
        out: &mut Vec<Row>,
    ) {
        let required = required_of(owner);
        let fields = owner["properties"].as_object().into_iter().flatten();
        for (name, f) in fields.filter(|(name, _)| Some(name.as_str()) != skip) {
            self.rows(&path(name), f, required.contains(&name.as_str()), out);
        }
    }

    /// A tagged union: per variant, a row naming its tag, then its own fields.
    fn variant_rows(&self, path: &str, variants: &[Value], out: &mut Vec<Row>) {
        for variant in variants {
            let fields = variant["properties"].as_object().expect("a mapping");
            let Some((tag, value)) = fields
                .iter()
                .find_map(|(k, v)| v["const"].as_str().map(|c| (k.as_str(), c)))
            else {
                continue;
            };
            out.push(Row {
                path: format!("`{path}` with `{tag}: {value}`"),
                kind: "mapping".into(),
                meaning: description(variant).unwrap_or_default(),
            });
            self.field_rows(
                variant,
                Some(tag),
                |name| format!("{path}.{name} ({value})"),
                out,
            );
        }
    }

    /// What a list holds, if `node` is a list.
    fn items_of<'v>(&'v self, node: &'v Value) -> Option<&'v Value> {
        let (node, _) = self.resolve(node);
        node.get("items")
    }

    /// The type of a field in words: a leaf's name, the values of an enumeration, `mapping`,
    /// `list of …`, or the JSON type.
    fn kind(&self, field: &Value) -> String {
        let (node, name) = self.resolve(field);
        if let Some((_, words)) = name.and_then(|n| LEAVES.iter().find(|(leaf, _)| *leaf == n)) {
            return (*words).to_owned();
        }
        if let Some(values) = node["enum"].as_array() {
            return values
                .iter()
                .filter_map(Value::as_str)
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ");
        }
        if node["properties"].is_object() || self.variants_of(field).is_some() {
            return "mapping".into();
        }
        if let Some(items) = node.get("items") {
            return format!("list of {}", plural(&self.kind(items)));
        }
        let types: Vec<&str> = match &node["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let words: Vec<&str> = types
            .iter()
            .filter(|t| **t != "null")
            .map(|t| match *t {
                "integer" => "integer",
                "number" => "number",
                "boolean" => "`true`, `false`",
                "string" => "text",
                "object" => "mapping",
                other => other,
            })
            .collect();
        words.join(" or ")
    }
}

fn plural(kind: &str) -> String {
    match kind {
        "mapping" => "mappings".into(),
        "text" => "texts".into(),
        "duration" => "durations".into(),
        other => other.to_owned(),
    }
}

/// The fields a mapping requires.
fn required_of(node: &Value) -> Vec<&str> {
    node["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A doc comment as one line of a table cell.
fn description(node: &Value) -> Option<String> {
    let text = node["description"].as_str()?;
    Some(
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace('|', "\\|"),
    )
}

fn table(out: &mut String, rows: &[Row]) {
    out.push_str("| Field | Type | Meaning |\n| --- | --- | --- |\n");
    for r in rows {
        let _ = writeln!(out, "| {} | {} | {} |", r.path, r.kind, r.meaning);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(md: &'a str, path: &str) -> &'a str {
        let cell = format!("| `{path}` |");
        md.lines()
            .find(|l| l.starts_with(&cell))
            .unwrap_or_else(|| panic!("no row for {path}"))
    }

    #[test]
    fn nested_fields_are_rows_with_their_dotted_path_type_and_doc_comment() {
        let md = reference_markdown();
        let interval = row(&md, "balancer.health_check.interval");
        assert!(interval.contains("| duration |"), "{interval}");
        assert!(interval.contains("Default: `5s`"), "{interval}");
        let algorithm = row(&md, "balancer.algorithm");
        assert!(
            algorithm.contains("`round-robin`, `random`, `least-connections`"),
            "{algorithm}"
        );
    }

    #[test]
    fn required_fields_say_so_and_leaves_are_not_expanded() {
        let md = reference_markdown();
        assert!(row(&md, "name").contains("Required"));
        assert!(row(&md, "instances.service_time").contains("| duration distribution |"));
        assert!(
            !md.contains("service_time.dist"),
            "a distribution is a leaf"
        );
    }

    #[test]
    fn every_kind_of_event_has_its_rows() {
        let md = reference_markdown();
        for action in [
            "crash",
            "scale",
            "rolling-deploy",
            "slow-instance",
            "lb-failure",
        ] {
            let tag = format!("| `events[i]` with `action: {action}` |");
            assert!(md.contains(&tag), "{action}");
        }
        assert!(md.contains("| `events[i].mtbf (crash)` |"));
    }

    #[test]
    fn every_section_of_the_format_has_a_table() {
        let md = reference_markdown();
        let schema: Value = serde_json::from_str(&schema_json()).unwrap();
        for (name, _) in schema["properties"].as_object().unwrap() {
            assert!(md.contains(&format!("| `{name}` |")), "{name}");
        }
    }
}
