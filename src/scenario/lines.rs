//! Where each field of a scenario file was written: dotted path → line and column.
//!
//! Validation works on plain values, which no longer know where they came from, yet every error
//! must name its line. Rather than threading spans through every type, the same text is parsed a
//! second time into a generic tree whose nodes are [`Spanned`], and the tree is flattened into
//! this index. It also maps a serde error's position back to the field it is about.
//!
//! Paths use the notation of error messages: `instances.service_time.p99`, `events[2].at`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

/// Keys that tag the scenario's internally tagged enums (distributions, events).
const TAGS: [&str; 2] = ["dist", "action"];

/// A position in the file, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub(crate) line: u64,
    pub(crate) column: u64,
}

impl Pos {
    fn of(location: &Location) -> Option<Pos> {
        (location.line() > 0).then(|| Pos {
            line: location.line(),
            column: location.column(),
        })
    }
}

/// Where one field is: its key (for mapping entries) and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    /// The key's position; for list items, the item's own position.
    key: Pos,
    value: Pos,
    /// A list item, which has no key of its own.
    item: bool,
    /// A scalar value as written, to find the field an error quotes.
    text: Option<String>,
}

/// Dotted path → position, for one YAML text.
#[derive(Clone, Debug, Default)]
pub(crate) struct LineIndex {
    entries: BTreeMap<String, Entry>,
}

impl LineIndex {
    /// Indexes `text`. YAML that does not parse gives an empty index: the parse error itself
    /// then carries the position.
    pub(crate) fn build(text: &str) -> LineIndex {
        let mut index = LineIndex::default();
        // Untyped, a `.nan` is refused by default and the whole index would be lost: read
        // non-finite numbers as their canonical text (`.nan`, `.inf`, `-.inf`) instead.
        let options = serde_saphyr::options! {
            non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        };
        if let Ok(root) = serde_saphyr::from_str_with_options::<Spanned<Node>>(text, options) {
            if let Some(value) = Pos::of(&root.referenced) {
                let entry = Entry {
                    key: value,
                    value,
                    item: true,
                    text: None,
                };
                index.entries.insert(String::new(), entry);
            }
            index.walk(&root.value, "");
        }
        index
    }

    fn walk(&mut self, node: &Node, path: &str) {
        match node {
            Node::Map(entries) => {
                for (key, value) in entries {
                    let child = join(path, &key.text);
                    if let (Some(k), Some(v)) = (key.pos, Pos::of(&value.referenced)) {
                        // A duplicate key is a parse error anyway; keep the first.
                        self.entries.entry(child.clone()).or_insert(Entry {
                            key: k,
                            value: v,
                            item: false,
                            text: value.value.text(),
                        });
                    }
                    self.walk(&value.value, &child);
                }
            }
            Node::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    let child = format!("{path}[{i}]");
                    if let Some(v) = Pos::of(&item.referenced) {
                        let entry = Entry {
                            key: v,
                            value: v,
                            item: true,
                            text: item.value.text(),
                        };
                        self.entries.insert(child.clone(), entry);
                    }
                    self.walk(&item.value, &child);
                }
            }
            Node::Leaf(_) => {}
        }
    }

    /// The line where `path` was written, if it was.
    pub(crate) fn line_of(&self, path: &str) -> Option<u64> {
        self.entries.get(path).map(|e| e.key.line)
    }

    /// The line of `path`, or of its nearest written ancestor (a default-filled field points at
    /// the section it belongs to). The root does not count: line 1 says nothing.
    pub(crate) fn line_near(&self, path: &str) -> Option<u64> {
        let mut p = path;
        loop {
            if p.is_empty() {
                return None;
            }
            if let Some(line) = self.line_of(p) {
                return Some(line);
            }
            p = parent(p)?;
        }
    }

    /// The field a parse error at `at` is about.
    ///
    /// serde reports a problem with a mapping at the mapping's start, which for a block mapping
    /// is also its first key: there the mapping wins, except that serde reports errors inside an
    /// internally tagged enum (a `dist:` map, an event) at the key holding the enum, so a key
    /// whose mapping has a tag wins. Otherwise: the last field written on that line before the
    /// column, else the last field before the line.
    pub(crate) fn path_at(&self, at: Pos) -> Option<&str> {
        let (by_value, by_key) = self.at(at);
        match (by_value, by_key) {
            (_, Some(k)) if self.tagged(k) => return Some(k),
            (Some(v), _) | (None, Some(v)) => return Some(v),
            (None, None) => {}
        }
        let on_line = self
            .entries
            .iter()
            .filter(|(_, e)| e.key.line == at.line && e.key.column <= at.column)
            .max_by_key(|(_, e)| e.key.column);
        if let Some((p, _)) = on_line {
            return Some(p);
        }
        self.entries
            .iter()
            .filter(|(p, e)| !p.is_empty() && e.key.line < at.line)
            .max_by_key(|(_, e)| e.key)
            .map(|(p, _)| p.as_str())
    }

    /// The mapping a "missing field" error at `at` is about. serde reports it at the mapping's
    /// last key read (the key holding it, for a tagged enum), or at the mapping itself.
    pub(crate) fn mapping_at(&self, at: Pos) -> Option<&str> {
        match self.at(at) {
            (_, Some(k)) if self.tagged(k) => Some(k),
            (_, Some(k)) => parent(k),
            (Some(v), None) => Some(v),
            (None, None) => None,
        }
    }

    /// The field whose value starts at `at`, and the mapping key written at `at`.
    fn at(&self, at: Pos) -> (Option<&str>, Option<&str>) {
        let by_value = self.entries.iter().find(|(_, e)| e.value == at);
        let by_key = self.entries.iter().find(|(_, e)| !e.item && e.key == at);
        (
            by_value.map(|(p, _)| p.as_str()),
            by_key.map(|(p, _)| p.as_str()),
        )
    }

    /// Whether `path` holds an internally tagged enum (its mapping has a tag key).
    fn tagged(&self, path: &str) -> bool {
        TAGS.iter().any(|tag| self.child(path, tag).is_some())
    }

    /// The written child of `path` named `key`, if any (used to pin an unknown field).
    pub(crate) fn child(&self, path: &str, key: &str) -> Option<String> {
        let child = join(path, key);
        self.entries.contains_key(&child).then_some(child)
    }

    /// The first key named `key` under `path` written on or after `from_line`: where an unknown
    /// field reported at its enclosing mapping really is.
    pub(crate) fn descendant_named(&self, path: &str, key: &str, from_line: u64) -> Option<String> {
        self.first_under(path, from_line, |p, _| {
            p == key || p.ends_with(&format!(".{key}"))
        })
    }

    /// The first field under `path`, on or after `from_line`, whose value is written as `text`:
    /// where a bad value quoted by an error inside a tagged enum really is.
    pub(crate) fn descendant_with_text(
        &self,
        path: &str,
        text: &str,
        from_line: u64,
    ) -> Option<String> {
        self.first_under(path, from_line, |_, e| e.text.as_deref() == Some(text))
    }

    fn first_under(
        &self,
        path: &str,
        from_line: u64,
        wanted: impl Fn(&str, &Entry) -> bool,
    ) -> Option<String> {
        self.entries
            .iter()
            .filter(|(p, e)| {
                e.key.line >= from_line && p.as_str() != path && within(path, p) && wanted(p, e)
            })
            .min_by_key(|(_, e)| e.key)
            .map(|(p, _)| p.clone())
    }
}

/// Whether `inner` is `outer` or lies under it (`a.b` is under `a`, `a.bc` is not).
pub(crate) fn within(outer: &str, inner: &str) -> bool {
    outer.is_empty()
        || inner == outer
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with(['.', '[']))
}

/// The parent of a dotted path (`a.b[2]` → `a.b`, `a.b` → `a`, `a` → ``).
pub(crate) fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A YAML tree that remembers positions, and scalars as text.
#[derive(Debug)]
enum Node {
    Map(Vec<(MapKey, Spanned<Node>)>),
    Seq(Vec<Spanned<Node>>),
    Leaf(Option<String>),
}

impl Node {
    fn text(&self) -> Option<String> {
        match self {
            Node::Leaf(text) => text.clone(),
            _ => None,
        }
    }
}

/// A mapping key as text (non-string keys, rare in a scenario, are rendered as written).
#[derive(Debug)]
struct MapKey {
    text: String,
    pos: Option<Pos>,
}

impl<'de> Deserialize<'de> for MapKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = Spanned::<KeyText>::deserialize(deserializer)?;
        Ok(MapKey {
            text: key.value.0,
            pos: Pos::of(&key.referenced),
        })
    }
}

struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
                Ok(KeyText("~".to_owned()))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<MapKey>()? {
                    entries.push((key, map.next_value::<Spanned<Node>>()?));
                }
                Ok(Node::Map(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Node>>()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Leaf(Some(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Leaf(Some(v.to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Leaf(Some(v.to_string())))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
                Ok(Node::Leaf(Some(v.to_string())))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
                Ok(Node::Leaf(Some(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Leaf(Some(v.to_string())))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Leaf(Some(v.to_owned())))
            }
            fn visit_bytes<E>(self, _: &[u8]) -> Result<Node, E> {
                Ok(Node::Leaf(None))
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Leaf(None))
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Leaf(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                d.deserialize_any(NodeVisitor)
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                d.deserialize_any(NodeVisitor)
            }
            fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Node, A::Error> {
                // YAML has no enums of its own; a tagged node is indexed as a leaf.
                let (IgnoredAny, variant) = data.variant::<IgnoredAny>()?;
                de::VariantAccess::newtype_variant::<IgnoredAny>(variant)?;
                Ok(Node::Leaf(None))
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "\
name: x
instances:
  count: 2
  service_time:
    dist: lognormal
    mean: 3ms
events:
  - { at: 1s, action: crash }
  - at: 2s
    action: crash
";

    #[test]
    fn indexes_keys_nested_maps_and_list_items() {
        let index = LineIndex::build(YAML);
        assert_eq!(index.line_of("name"), Some(1));
        assert_eq!(index.line_of("instances"), Some(2));
        assert_eq!(index.line_of("instances.count"), Some(3));
        assert_eq!(index.line_of("instances.service_time"), Some(4));
        assert_eq!(index.line_of("instances.service_time.mean"), Some(6));
        assert_eq!(index.line_of("events[0]"), Some(8));
        assert_eq!(index.line_of("events[0].at"), Some(8));
        assert_eq!(index.line_of("events[1]"), Some(9));
        assert_eq!(index.line_of("events[1].action"), Some(10));
        assert_eq!(index.line_of("events[2]"), None);
    }

    #[test]
    fn defaulted_fields_point_at_their_section() {
        let index = LineIndex::build(YAML);
        assert_eq!(index.line_near("instances.workers"), Some(2));
        assert_eq!(index.line_near("instances.service_time.p99"), Some(4));
        assert_eq!(index.line_near("redis.max_ops"), None);
    }

    #[test]
    fn maps_error_positions_to_fields() {
        let index = LineIndex::build(YAML);
        // A value's own position.
        assert_eq!(
            index.path_at(Pos {
                line: 3,
                column: 10
            }),
            Some("instances.count")
        );
        // A key's position (serde reports unknown fields there).
        assert_eq!(
            index.path_at(Pos {
                line: 10,
                column: 5
            }),
            Some("events[1].action")
        );
        // A block mapping starts at its first key: the mapping wins...
        assert_eq!(index.path_at(Pos { line: 3, column: 3 }), Some("instances"));
        // ... unless the key holds a tagged enum, whose errors serde reports at the key.
        assert_eq!(
            index.path_at(Pos { line: 4, column: 3 }),
            Some("instances.service_time")
        );
        let first = LineIndex::build("instances:\n  service_time:\n    dist: constant\n");
        assert_eq!(
            first.path_at(Pos { line: 2, column: 3 }),
            Some("instances.service_time")
        );
        // The start of a flow mapping in a list: the list item.
        assert_eq!(index.path_at(Pos { line: 8, column: 5 }), Some("events[0]"));
        assert_eq!(
            index.path_at(Pos { line: 5, column: 5 }),
            Some("instances.service_time")
        );
        assert_eq!(index.path_at(Pos { line: 1, column: 1 }), Some(""));
    }

    #[test]
    fn finds_written_children_and_parents() {
        let index = LineIndex::build(YAML);
        assert_eq!(
            index.child("instances", "count").as_deref(),
            Some("instances.count")
        );
        assert_eq!(index.child("instances", "queue"), None);
        assert_eq!(parent("events[2].at"), Some("events[2]"));
        assert_eq!(parent("events[2]"), Some("events"));
        assert_eq!(parent("events"), Some(""));
        assert_eq!(parent(""), None);
    }

    #[test]
    fn malformed_yaml_gives_an_empty_index() {
        let index = LineIndex::build("a: [\n");
        assert_eq!(index.line_of("a"), None);
    }
}
