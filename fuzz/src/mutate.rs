//! Structural mutations of a JSON document, shared by the proptest suite
//! (`tests/robustness.rs`, which includes this file by path) and the cargo-fuzz
//! target (`fuzz/fuzz_targets/validate.rs`).
//!
//! A mutation picks a node by its [`Path`] and replaces, deletes, nests,
//! repeats or duplicates it. Duplicate keys cannot exist in a
//! `serde_json::Value`, so they are written as marker keys and turned into
//! real duplicates by [`Mutated::render`], which produces the JSON text the
//! policy receives.
//!
//! Self-contained on purpose (only `serde_json`): it is compiled into two
//! crates.

use serde_json::{Map, Value};

/// One step from a node to a child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// The steps from the root to a node.
pub type Path = Vec<Seg>;

/// At most this many nodes are listed by [`paths`]; beyond it a document is
/// already large enough and listing it would make every mutation slow.
pub const MAX_LISTED_NODES: usize = 20_000;

/// Every node of `doc` under `prefix` (the node at `prefix` included), in
/// document order, up to [`MAX_LISTED_NODES`].
pub fn paths_under(doc: &Value, prefix: &[Seg]) -> Vec<Path> {
    let mut out = Vec::new();
    if let Some(node) = get(doc, prefix) {
        let mut path = prefix.to_vec();
        walk(node, &mut path, &mut out);
    }
    out
}

fn walk(node: &Value, path: &mut Path, out: &mut Vec<Path>) {
    if out.len() >= MAX_LISTED_NODES {
        return;
    }
    out.push(path.clone());
    match node {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(Seg::Key(k.clone()));
                walk(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

pub fn get<'a>(doc: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(doc, |node, seg| match (node, seg) {
        (Value::Object(m), Seg::Key(k)) => m.get(k),
        (Value::Array(a), Seg::Index(i)) => a.get(*i),
        _ => None,
    })
}

pub fn get_mut<'a>(doc: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(doc, |node, seg| match (node, seg) {
        (Value::Object(m), Seg::Key(k)) => m.get_mut(k),
        (Value::Array(a), Seg::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

/// What to do at the chosen node.
#[derive(Clone, Debug)]
pub enum Op {
    /// Replace the node by a value (any JSON type).
    Replace(Value),
    /// Remove the node from its object or array.
    Delete,
    /// Set a key of the node (an object; other nodes become one).
    InsertKey(String, Value),
    /// Append to the node (an array; other nodes become one).
    Append(Value),
    /// Replace the node by an array of `times` copies of `value`.
    Repeat { value: Value, times: usize },
    /// Wrap the node in `depth` levels of objects and arrays.
    Nest { depth: usize },
    /// Replace the node by a string of `unit` repeated up to `len` bytes.
    LongString { unit: String, len: usize },
    /// Repeat a key of the node's object (or of the object holding the node)
    /// with another value: the text has the key twice.
    DuplicateKey(Value),
}

/// A mutated document and the duplicate keys still to write.
#[derive(Clone, Debug)]
pub struct Mutated {
    pub doc: Value,
    /// (marker key in `doc`, the real key it stands for)
    duplicates: Vec<(String, String)>,
}

const MARKER: &str = "\u{1}\u{2}duplicate-key-";

impl Mutated {
    pub fn new(doc: Value) -> Self {
        Mutated {
            doc,
            duplicates: Vec::new(),
        }
    }

    /// Applies `op` at `path`; a path that no longer exists (an earlier
    /// mutation removed it) is ignored.
    pub fn apply(&mut self, path: &[Seg], op: Op) {
        match op {
            Op::Delete => {
                let Some((last, parent)) = path.split_last() else {
                    self.doc = Value::Null;
                    return;
                };
                match (get_mut(&mut self.doc, parent), last) {
                    (Some(Value::Object(m)), Seg::Key(k)) => {
                        m.remove(k);
                    }
                    (Some(Value::Array(a)), Seg::Index(i)) if *i < a.len() => {
                        a.remove(*i);
                    }
                    _ => {}
                }
            }
            Op::DuplicateKey(value) => {
                // The object to hold the duplicate: the node itself, else its parent.
                let (object_path, key) = match get(&self.doc, path) {
                    Some(Value::Object(m)) if !m.is_empty() => {
                        let key = m.keys().next().cloned().unwrap_or_default();
                        (path.to_vec(), key)
                    }
                    _ => match path.split_last() {
                        Some((Seg::Key(k), parent)) => (parent.to_vec(), k.clone()),
                        _ => return,
                    },
                };
                let marker = format!("{MARKER}{}\u{2}\u{1}", self.duplicates.len());
                if let Some(Value::Object(m)) = get_mut(&mut self.doc, &object_path) {
                    m.insert(marker.clone(), value);
                    self.duplicates.push((marker, key));
                }
            }
            op => {
                let Some(node) = get_mut(&mut self.doc, path) else {
                    return;
                };
                let old = std::mem::take(node);
                *node = match op {
                    Op::Replace(v) => v,
                    Op::InsertKey(k, v) => {
                        let mut m = match old {
                            Value::Object(m) => m,
                            _ => Map::new(),
                        };
                        m.insert(k, v);
                        Value::Object(m)
                    }
                    Op::Append(v) => {
                        let mut a = match old {
                            Value::Array(a) => a,
                            Value::Null => Vec::new(),
                            other => vec![other],
                        };
                        a.push(v);
                        Value::Array(a)
                    }
                    Op::Repeat { value, times } => Value::Array(vec![value; times]),
                    Op::Nest { depth } => nest(old, depth),
                    Op::LongString { unit, len } => Value::String(long_string(&unit, len)),
                    // Handled above.
                    Op::Delete | Op::DuplicateKey(_) => old,
                };
            }
        }
    }

    /// The JSON text, with every duplicate key written twice.
    pub fn render(&self) -> Vec<u8> {
        let mut text = serde_json::to_string(&self.doc).unwrap_or_default();
        for (marker, key) in &self.duplicates {
            let from = format!("{}:", Value::String(marker.clone()));
            let to = format!("{}:", Value::String(key.clone()));
            text = text.replacen(&from, &to, 1);
        }
        text.into_bytes()
    }
}

/// `value` wrapped in `depth` levels, alternating objects and arrays.
pub fn nest(value: Value, depth: usize) -> Value {
    (0..depth).fold(value, |inner, level| {
        if level % 2 == 0 {
            let mut m = Map::new();
            m.insert("nested".to_string(), inner);
            Value::Object(m)
        } else {
            Value::Array(vec![inner])
        }
    })
}

/// `unit` repeated until the string is `len` bytes (or just under, to stay on
/// a character boundary); `x` when `unit` is empty.
pub fn long_string(unit: &str, len: usize) -> String {
    let unit = if unit.is_empty() { "x" } else { unit };
    let mut s = unit.repeat(len / unit.len() + 1);
    let mut cut = len.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> Seg {
        Seg::Key(k.to_string())
    }

    #[test]
    fn lists_every_node_in_document_order() {
        let doc = json!({"a": [1, {"b": 2}], "c": null});
        let ps = paths_under(&doc, &[]);
        assert_eq!(ps.len(), 6);
        assert_eq!(ps[3], vec![key("a"), Seg::Index(1)]);
        assert_eq!(paths_under(&doc, &[key("a")]).len(), 4);
        assert!(paths_under(&doc, &[key("zzz")]).is_empty());
    }

    #[test]
    fn operations_edit_the_chosen_node() {
        let mut m = Mutated::new(json!({"a": [1, 2], "b": {"c": 1}}));
        m.apply(&[key("a"), Seg::Index(0)], Op::Delete);
        m.apply(&[key("b")], Op::InsertKey("d".into(), json!(true)));
        m.apply(&[key("b"), key("c")], Op::Append(json!("x")));
        m.apply(&[key("nope")], Op::Replace(json!(1)));
        assert_eq!(m.doc, json!({"a": [2], "b": {"c": [1, "x"], "d": true}}));
        m.apply(&[key("a")], Op::Nest { depth: 3 });
        assert_eq!(m.doc["a"], json!({"nested": [{"nested": [2]}]}));
        m.apply(
            &[key("a")],
            Op::Repeat {
                value: json!(0),
                times: 3,
            },
        );
        assert_eq!(m.doc["a"], json!([0, 0, 0]));
        m.apply(
            &[key("a")],
            Op::LongString {
                unit: "é".into(),
                len: 5,
            },
        );
        assert_eq!(m.doc["a"], json!("éé"));
    }

    #[test]
    fn duplicate_keys_are_written_twice() {
        let mut m = Mutated::new(json!({"kind": "Pod", "spec": {"x": 1}}));
        m.apply(&[key("kind")], Op::DuplicateKey(json!("Deployment")));
        m.apply(&[key("spec")], Op::DuplicateKey(json!(2)));
        let text = String::from_utf8(m.render()).unwrap();
        assert_eq!(text.matches("\"kind\":").count(), 2, "{text}");
        assert_eq!(text.matches("\"x\":").count(), 2, "{text}");
        assert!(!text.contains("duplicate-key"));
    }
}
