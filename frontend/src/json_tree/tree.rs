//! JSON payloads as a collapsible tree: parsing that keeps the document as sent, flattened
//! into rows with depths so that collapsing a node hides a contiguous run of rows.
//!
//! `serde_json::Value` sorts object keys and keeps only the last of duplicate keys; on the wire
//! both matter (a duplicate key is a bug worth seeing), so objects here are parsed into an
//! ordered list of entries, with serde_json doing the parsing.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value with object entries in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

/// Parses a payload that is a JSON object or array; `None` for anything else (plain text,
/// a bare number, broken JSON), which the text view shows as it is.
pub fn parse_document(text: &str) -> Option<Json> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// What a tree row shows after its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeValue {
    /// An object with this many entries.
    Object(usize),
    /// An array with this many items.
    Array(usize),
    /// A scalar as JSON text, with its type for colouring: `string`, `number`, `bool`, `null`.
    Scalar { text: String, kind: &'static str },
}

/// One row of the flattened tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub depth: usize,
    /// The object key (quoted) or array index, `None` for the root.
    pub label: Option<String>,
    pub value: NodeValue,
    /// Index one past this node's last descendant: collapsing hides `index+1..end`.
    pub end: usize,
}

impl Node {
    pub fn has_children(&self, index: usize) -> bool {
        self.end > index + 1
    }
}

/// Flattens a document into rows, depth first; at most `limit` rows (the rest is summarised by
/// the caller from the returned flag).
pub fn flatten(doc: &Json, limit: usize) -> (Vec<Node>, bool) {
    let mut nodes = Vec::new();
    let complete = push(doc, None, 0, limit, &mut nodes);
    (nodes, !complete)
}

fn push(
    value: &Json,
    label: Option<String>,
    depth: usize,
    limit: usize,
    out: &mut Vec<Node>,
) -> bool {
    if out.len() >= limit {
        return false;
    }
    let at = out.len();
    let (node_value, children): (NodeValue, Vec<(String, &Json)>) = match value {
        Json::Object(entries) => (
            NodeValue::Object(entries.len()),
            entries
                .iter()
                .map(|(k, v)| (serde_json::to_string(k).unwrap_or_default(), v))
                .collect(),
        ),
        Json::Array(items) => (
            NodeValue::Array(items.len()),
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
        ),
        Json::Null => (scalar("null", "null"), Vec::new()),
        Json::Bool(b) => (scalar(&b.to_string(), "bool"), Vec::new()),
        Json::Number(n) => (scalar(&n.to_string(), "number"), Vec::new()),
        Json::String(s) => (
            scalar(&serde_json::to_string(s).unwrap_or_default(), "string"),
            Vec::new(),
        ),
    };
    out.push(Node {
        depth,
        label,
        value: node_value,
        end: at + 1,
    });
    let mut complete = true;
    for (key, child) in children {
        if !push(child, Some(key), depth + 1, limit, out) {
            complete = false;
            break;
        }
    }
    out[at].end = out.len();
    complete
}

fn scalar(text: &str, kind: &'static str) -> NodeValue {
    NodeValue::Scalar {
        text: text.to_string(),
        kind,
    }
}

/// The indexes of the rows to show when the nodes in `collapsed` are folded.
pub fn visible_rows(nodes: &[Node], collapsed: &BTreeSet<usize>) -> Vec<usize> {
    let mut out = Vec::with_capacity(nodes.len());
    let mut i = 0;
    while i < nodes.len() {
        out.push(i);
        i = if collapsed.contains(&i) {
            nodes[i].end
        } else {
            i + 1
        };
    }
    out
}

/// A folded node's summary, e.g. `{3}` or `[12]`.
pub fn fold_summary(value: &NodeValue) -> String {
    match value {
        NodeValue::Object(n) => format!("{{…}} {n} {}", if *n == 1 { "key" } else { "keys" }),
        NodeValue::Array(n) => format!("[…] {n} {}", if *n == 1 { "item" } else { "items" }),
        NodeValue::Scalar { text, .. } => text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_objects_and_arrays_become_trees() {
        assert!(parse_document("hai").is_none());
        assert!(parse_document("42").is_none());
        assert!(parse_document("{\"a\":").is_none());
        assert!(parse_document(" [1, 2]").is_some());
    }

    #[test]
    fn keys_keep_document_order_and_duplicates() {
        let doc = parse_document(r#"{"z":1,"a":[true,null,"x\n"],"z":2.5}"#).unwrap();
        let (nodes, cut) = flatten(&doc, 100);
        assert!(!cut);
        let rows: Vec<(usize, Option<&str>, &NodeValue)> = nodes
            .iter()
            .map(|n| (n.depth, n.label.as_deref(), &n.value))
            .collect();
        assert_eq!(rows[0], (0, None, &NodeValue::Object(3)));
        assert_eq!(rows[1], (1, Some("\"z\""), &scalar("1", "number")));
        assert_eq!(rows[2], (1, Some("\"a\""), &NodeValue::Array(3)));
        assert_eq!(rows[3], (2, Some("0"), &scalar("true", "bool")));
        assert_eq!(rows[4], (2, Some("1"), &scalar("null", "null")));
        assert_eq!(rows[5], (2, Some("2"), &scalar("\"x\\n\"", "string")));
        assert_eq!(rows[6], (1, Some("\"z\""), &scalar("2.5", "number")));
        assert_eq!(nodes[0].end, 7);
        assert_eq!(nodes[2].end, 6);
        assert!(nodes[2].has_children(2));
        assert!(!nodes[1].has_children(1));
    }

    #[test]
    fn collapsing_hides_descendants_only() {
        let doc = parse_document(r#"{"a":{"b":{"c":1}},"d":[]}"#).unwrap();
        let (nodes, _) = flatten(&doc, 100);
        // 0 root, 1 a, 2 b, 3 c, 4 d
        assert_eq!(visible_rows(&nodes, &BTreeSet::new()), vec![0, 1, 2, 3, 4]);
        assert_eq!(visible_rows(&nodes, &BTreeSet::from([1])), vec![0, 1, 4]);
        assert_eq!(visible_rows(&nodes, &BTreeSet::from([2, 1])), vec![0, 1, 4]);
        assert_eq!(visible_rows(&nodes, &BTreeSet::from([0])), vec![0]);
        assert_eq!(fold_summary(&nodes[1].value), "{…} 1 key");
        assert_eq!(fold_summary(&nodes[4].value), "[…] 0 items");
        assert!(!nodes[4].has_children(4));
    }

    #[test]
    fn huge_documents_are_cut_at_the_limit() {
        let text = format!("[{}]", vec!["1"; 50].join(","));
        let doc = parse_document(&text).unwrap();
        let (nodes, cut) = flatten(&doc, 10);
        assert!(cut);
        assert_eq!(nodes.len(), 10);
        assert_eq!(nodes[0].end, 10);
    }
}
