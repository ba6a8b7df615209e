//! A bounded YAML reader that reads a file as go-yaml v2 (`sigs.k8s.io/yaml`)
//! does where X4 needs it (SPEC sections 12, 13 and 15).
//!
//! Built on libyaml's event parser ([`libyaml`]), whose scanner and parser
//! go-yaml is a port of, so the text is split into nodes as Kueue splits it.
//! Nothing here expands an alias by copying it (a 1 KB alias bomb would cost
//! seconds and gigabytes): the nodes of a document live in an arena and an
//! alias is a reference to its anchored node, so reading costs one node per
//! event.
//!
//! The readings, as go-yaml v2 and `sigs.k8s.io/yaml` make them:
//!
//! - **Documents** are read in order; each complete document is handed to the
//!   caller before the next one is parsed, so a broken later document does
//!   not hide the ones before it. Anchors belong to their document.
//! - **Mappings**: the pairs are applied in document order and the last of
//!   repeated keys wins. A merge key (`<<: *a`, `<<: {..}`, `<<: [*a, *b]`)
//!   writes the merged mapping's keys at its place in that order; in a merge
//!   list earlier mappings take precedence over later ones. A merge whose
//!   value is not a mapping makes go-yaml refuse the document.
//! - **Scalars** resolve as YAML 1.1: a plain `yes`/`no`/`on`/`off`/`y`/`n`
//!   (and their `Yes`, `YES` forms) is a boolean, `~`/`null`/empty is null; a
//!   quoted scalar, `!!str` and an unknown tag are strings; `!!bool no` is
//!   false and `!!bool maybe` an error; `!!binary` is base64.
//! - **Aliases** are counted as go-yaml's decoder counts them: a document
//!   whose alias expansion is excessive (go-yaml's own ratio) is refused, as
//!   is an alias to a node that contains it or to an unknown anchor.
//!
//! The bounds, all per request (a [`Budget`]): [`MAX_EVENTS`] parser events
//! (so nodes), [`MAX_LOOKUP_STEPS`] pairs visited by key lookups through
//! merges, and merges nested at most [`MAX_MERGE_DEPTH`] deep. Past a bound
//! the reader reports what it could not read ([`Unread`]); the caller decides
//! (X4 fails closed).

// The one unsafe code of the workspace is `libyaml.rs`: each block says why it
// is sound, and no operation is unsafe without a block of its own.
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

use base64::Engine;
use libyaml::{Event, Parser};
use std::collections::BTreeMap;

/// libyaml's events, for a reader that builds values of its own (the
/// scanner reads whole manifests with it, as `kubectl` does).
pub mod libyaml;

/// Parser events read per request, over every value: one node per event, so
/// this bounds memory and time (a 3 MiB request holds about 1.5M events at
/// most). Past it the value being read is unknown.
pub const MAX_EVENTS: usize = 1_000_000;
/// Pairs of merged mappings visited by key lookups per request. A merge
/// list may name the same anchor many times over, so a lookup through nested
/// merges could otherwise take time exponential in the size. (A mapping's own
/// pairs are visited once per lookup, and X4 makes four lookups a document.)
pub const MAX_LOOKUP_STEPS: usize = 100_000;
/// Merges nested inside merges, as a lookup follows them.
pub const MAX_MERGE_DEPTH: usize = 64;

/// What is left of the request's reading budget.
pub struct Budget {
    events: usize,
    steps: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new()
    }
}

impl Budget {
    pub fn new() -> Self {
        Budget {
            events: MAX_EVENTS,
            steps: MAX_LOOKUP_STEPS,
        }
    }

    fn step(&mut self) -> Result<(), Unread> {
        match self.steps.checked_sub(1) {
            Some(left) => {
                self.steps = left;
                Ok(())
            }
            None => Err(Unread::new(format!(
                "a key lookup needs more than {MAX_LOOKUP_STEPS} steps through merge keys"
            ))),
        }
    }
}

/// Why a value, or a document of it, could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unread(pub String);

impl Unread {
    fn new(why: String) -> Self {
        Unread(why)
    }
}

pub type NodeId = u32;

const YAML_TAG: &str = "tag:yaml.org,2002:";

enum Node {
    /// A scalar: its text (a `!!binary` one decoded), whether it was plain,
    /// and its tag in full (`tag:yaml.org,2002:bool`), if any.
    Scalar {
        text: String,
        plain: bool,
        tag: Option<String>,
    },
    Seq(Vec<NodeId>),
    /// Keys and values, alternating, in document order.
    Map(Vec<NodeId>),
    /// The anchored node an alias names (never itself an alias).
    Alias(NodeId),
}

/// A scalar resolved as go-yaml v2 resolves it (or a collection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int,
    Float,
    Str(&'a str),
    Seq,
    Map(NodeId),
    /// go-yaml refuses the scalar (`!!bool maybe`, bad `!!binary`).
    Invalid,
}

impl Value<'_> {
    /// The JSON type `sigs.k8s.io/yaml` hands to the decoder, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int => "integer",
            Value::Float => "number",
            Value::Str(_) => "string",
            Value::Seq => "list",
            Value::Map(_) => "object",
            Value::Invalid => "a scalar go-yaml refuses",
        }
    }
}

/// One complete document.
pub struct Document {
    nodes: Vec<Node>,
    root: Option<NodeId>,
}

/// YAML 1.1's plain booleans and nulls, as go-yaml v2's `resolveMap` has them.
fn plain_word(s: &str) -> Option<Value<'static>> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => Value::Float,
        _ => return None,
    })
}

/// Go's `strconv.ParseInt(s, 0, 64)` syntax after go-yaml drops `_`
/// (`0x`, `0o`, `0b`, a leading `0` for octal, a sign).
fn is_int(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits = |t: &str, ok: fn(u8) -> bool| {
        let t: Vec<u8> = t.bytes().filter(|&b| b != b'_').collect();
        !t.is_empty() && t.iter().all(|&b| ok(b))
    };
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        digits(h, |b| b.is_ascii_hexdigit())
    } else if let Some(b) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        digits(b, |b| b == b'0' || b == b'1')
    } else if let Some(o) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        digits(o, |b| (b'0'..=b'7').contains(&b))
    } else {
        !s.starts_with('_') && digits(s, |b| b.is_ascii_digit())
    }
}

/// go-yaml v2's float syntax: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac;
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        i += usize::from(matches!(b.get(i), Some(b'+' | b'-')));
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

/// A plain scalar without a tag, as go-yaml v2's `resolve("", s)`.
fn resolve_plain(s: &str) -> Value<'_> {
    if let Some(v) = plain_word(s) {
        return v;
    }
    let first = s.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.') {
        if is_int(s) {
            return Value::Int;
        }
        if is_float(s) {
            return Value::Float;
        }
    }
    Value::Str(s)
}

/// A scalar with tag `tag`: `resolve(tag, s)` and `d.scalar`'s checks.
fn resolve_tagged<'a>(tag: &str, s: &'a str) -> Value<'a> {
    let Some(short) = tag.strip_prefix(YAML_TAG) else {
        return Value::Str(s); // a local or unknown tag: the text as it is
    };
    let plain = resolve_plain(s);
    match (short, plain) {
        ("str" | "binary" | "merge" | "timestamp", _) => Value::Str(s),
        ("bool", Value::Bool(_)) | ("null", Value::Null) | ("int", Value::Int) => plain,
        ("float", Value::Int | Value::Float) => Value::Float,
        ("bool" | "null" | "int" | "float", _) => Value::Invalid,
        _ => Value::Str(s),
    }
}

impl Document {
    fn target(&self, id: NodeId) -> NodeId {
        match self.nodes[id as usize] {
            Node::Alias(t) => t,
            _ => id,
        }
    }

    /// The document's root, resolved.
    pub fn root(&self) -> Option<Value<'_>> {
        self.root.map(|r| self.value(r))
    }

    /// A node resolved as go-yaml v2 resolves it (through an alias).
    pub fn value(&self, id: NodeId) -> Value<'_> {
        let id = self.target(id);
        match &self.nodes[id as usize] {
            Node::Scalar { text, plain, tag } => match (tag, plain) {
                (Some(t), _) => resolve_tagged(t, text),
                (None, true) => resolve_plain(text),
                (None, false) => Value::Str(text),
            },
            Node::Seq(_) => Value::Seq,
            Node::Map(_) => Value::Map(id),
            Node::Alias(_) => Value::Invalid, // not built: an alias names an anchored node
        }
    }

    /// A merge key: a plain `<<` or `!!merge <<` (not an alias, not quoted).
    fn is_merge(&self, key: NodeId) -> bool {
        match &self.nodes[key as usize] {
            Node::Scalar { text, plain, tag } => {
                text == "<<"
                    && match tag {
                        None => *plain,
                        Some(t) => t == "tag:yaml.org,2002:merge",
                    }
            }
            _ => false,
        }
    }

    /// The mappings a merge value writes, in the order go-yaml applies them
    /// (a list backwards, so that its earlier mappings win).
    fn merged(&self, value: NodeId) -> Result<Vec<NodeId>, Unread> {
        let not_a_map =
            || Unread::new("a merge key (<<) names something other than a mapping".into());
        let map = |id: NodeId| match self.nodes[self.target(id) as usize] {
            Node::Map(_) => Ok(self.target(id)),
            _ => Err(not_a_map()),
        };
        match &self.nodes[value as usize] {
            Node::Seq(items) => items.iter().rev().map(|&i| map(i)).collect(),
            _ => Ok(vec![map(value)?]),
        }
    }

    /// The value go-yaml v2 leaves under `key` in the mapping `map`: pairs
    /// and merges applied in document order, the last assignment winning.
    pub fn get(
        &self,
        map: NodeId,
        key: &str,
        budget: &mut Budget,
    ) -> Result<Option<NodeId>, Unread> {
        self.get_at(map, key, 0, budget)
    }

    fn get_at(
        &self,
        map: NodeId,
        key: &str,
        depth: usize,
        budget: &mut Budget,
    ) -> Result<Option<NodeId>, Unread> {
        let Node::Map(pairs) = &self.nodes[self.target(map) as usize] else {
            return Ok(None);
        };
        let mut found = None;
        for pair in pairs.chunks_exact(2) {
            // The document's own pairs are visited once per lookup (linear);
            // only merged ones can be visited many times over.
            if depth > 0 {
                budget.step()?;
            }
            let (k, v) = (pair[0], pair[1]);
            if self.is_merge(k) {
                if depth >= MAX_MERGE_DEPTH {
                    return Err(Unread::new(format!(
                        "merge keys are nested more than {MAX_MERGE_DEPTH} deep"
                    )));
                }
                for m in self.merged(v)? {
                    if let Some(x) = self.get_at(m, key, depth + 1, budget)? {
                        found = Some(x);
                    }
                }
            } else if self.value(k) == Value::Str(key) {
                found = Some(v);
            }
        }
        Ok(found)
    }
}

/// go-yaml v2's `allowedAliasRatio`: the share of decoded nodes that may come
/// from alias expansion, 99% up to 400,000 nodes, falling to 10% at 4M.
fn allowed_alias_ratio(decoded: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decoded <= LOW {
        0.99
    } else if decoded >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decoded - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// Builds one document from the events, node by node.
struct Builder {
    nodes: Vec<Node>,
    /// Per node: (nodes go-yaml decodes for it, of which through aliases);
    /// `None` while a collection is open.
    cost: Vec<Option<(u64, u64)>>,
    /// Anchors and their nodes, this document's only (a name defined again
    /// names the later node from there on, as in go-yaml).
    anchors: BTreeMap<String, NodeId>,
    open: Vec<NodeId>,
    root: Option<NodeId>,
    /// Why go-yaml would refuse this document.
    refused: Option<Unread>,
}

impl Builder {
    fn new() -> Self {
        Builder {
            nodes: Vec::new(),
            cost: Vec::new(),
            anchors: BTreeMap::new(),
            open: Vec::new(),
            root: None,
            refused: None,
        }
    }

    fn refuse(&mut self, why: String) {
        if self.refused.is_none() {
            self.refused = Some(Unread::new(why));
        }
    }

    fn add(&mut self, node: Node, anchor: Option<String>, cost: Option<(u64, u64)>) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(node);
        self.cost.push(cost);
        if let Some(name) = anchor {
            self.anchors.insert(name, id);
        }
        match self.open.last() {
            Some(&parent) => match &mut self.nodes[parent as usize] {
                Node::Seq(children) | Node::Map(children) => children.push(id),
                _ => {}
            },
            None => {
                if self.root.is_none() {
                    self.root = Some(id);
                }
            }
        }
        id
    }

    fn scalar(&mut self, text: String, plain: bool, anchor: Option<String>, tag: Option<String>) {
        let mut text = text;
        if tag.as_deref() == Some("tag:yaml.org,2002:binary") {
            // Go's base64.StdEncoding skips line breaks; any other fault is
            // go-yaml's "!!binary value contains invalid base64 data".
            let compact: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
            match base64::engine::general_purpose::STANDARD.decode(compact) {
                Ok(bytes) if !bytes.is_empty() => match String::from_utf8(bytes) {
                    Ok(s) => text = s,
                    Err(e) => text = String::from_utf8_lossy(e.as_bytes()).into_owned(),
                },
                Ok(_) => text = String::new(),
                Err(_) => {
                    text = String::new();
                    self.refuse("a !!binary scalar is not valid base64".into());
                }
            }
        }
        self.add(Node::Scalar { text, plain, tag }, anchor, Some((1, 0)));
    }

    /// Refuses the document for an alias it cannot resolve, and stands an
    /// empty scalar in the alias' place so that the tree stays whole.
    fn refuse_alias(&mut self, why: &str) {
        self.refuse(why.into());
        self.add(
            Node::Scalar {
                text: String::new(),
                plain: false,
                tag: None,
            },
            None,
            Some((1, 0)),
        );
    }

    fn alias(&mut self, anchor: &str) {
        let Some(&target) = self.anchors.get(anchor) else {
            // go-yaml: "unknown anchor 'x' referenced".
            self.refuse_alias("an alias names an anchor this document does not define before it");
            return;
        };
        let Some((decoded, _)) = self.cost[target as usize] else {
            self.refuse_alias("an alias names a node that contains it");
            return;
        };
        self.add(
            Node::Alias(target),
            None,
            Some((decoded.saturating_add(1), decoded)),
        );
    }

    fn start(&mut self, node: Node, anchor: Option<String>) {
        let id = self.add(node, anchor, None);
        self.open.push(id);
    }

    fn end(&mut self) {
        let Some(id) = self.open.pop() else { return };
        let (Node::Seq(children) | Node::Map(children)) = &self.nodes[id as usize] else {
            return;
        };
        let (mut decoded, mut aliased) = (1u64, 0u64);
        for &c in children {
            let (d, a) = self.cost[c as usize].unwrap_or((1, 0));
            decoded = decoded.saturating_add(d);
            aliased = aliased.saturating_add(a);
        }
        self.cost[id as usize] = Some((decoded, aliased));
    }

    fn finish(mut self) -> Result<Document, Unread> {
        if let Some((decoded, aliased)) = self.root.and_then(|r| self.cost[r as usize]) {
            // go-yaml's check, on the document's totals.
            let decoded = decoded.saturating_add(1);
            if aliased > 100
                && decoded > 1000
                && aliased as f64 / decoded as f64 > allowed_alias_ratio(decoded)
            {
                self.refuse(format!(
                    "the document contains excessive aliasing ({aliased} of {decoded} nodes \
                     through aliases; go-yaml refuses it)"
                ));
            }
        }
        match self.refused {
            Some(why) => Err(why),
            None => Ok(Document {
                nodes: self.nodes,
                root: self.root,
            }),
        }
    }
}

/// Reads the documents of `text` in order, handing each complete one (or why
/// go-yaml would refuse it) to `each`, and every scalar's text, as decoded,
/// to `scalars`. Stops at the first syntax error or when the budget's events
/// run out, and says why.
pub fn read(
    text: &str,
    budget: &mut Budget,
    scalars: &mut dyn FnMut(&str),
    each: &mut dyn FnMut(Result<&Document, Unread>, &mut Budget),
) -> Result<(), Unread> {
    let mut parser = Parser::new(text);
    let mut doc: Option<Builder> = None;
    loop {
        let Some(left) = budget.events.checked_sub(1) else {
            return Err(Unread::new(format!(
                "the request holds more than {MAX_EVENTS} YAML events"
            )));
        };
        budget.events = left;
        let (event, _) = parser.next_event().map_err(|e| match e.bound {
            true => Unread::new(format!("the YAML {}", e.message)),
            false => Unread::new(format!("YAML syntax error: {}", e.message)),
        })?;
        match event {
            Event::StreamEnd => return Ok(()),
            Event::DocumentStart => doc = Some(Builder::new()),
            Event::DocumentEnd => {
                if let Some(b) = doc.take() {
                    match b.finish() {
                        Ok(d) => each(Ok(&d), budget),
                        Err(why) => each(Err(why), budget),
                    }
                }
            }
            Event::Scalar {
                value,
                plain,
                anchor,
                tag,
            } => {
                if let Some(b) = doc.as_mut() {
                    b.scalar(value, plain, anchor, tag);
                    if let Some(Node::Scalar { text, .. }) = b.nodes.last() {
                        scalars(text);
                    }
                }
            }
            Event::Alias(anchor) => {
                if let Some(b) = doc.as_mut() {
                    b.alias(&anchor);
                }
            }
            Event::SequenceStart(anchor) => {
                if let Some(b) = doc.as_mut() {
                    b.start(Node::Seq(Vec::new()), anchor);
                }
            }
            Event::MappingStart(anchor) => {
                if let Some(b) = doc.as_mut() {
                    b.start(Node::Map(Vec::new()), anchor);
                }
            }
            Event::End => {
                if let Some(b) = doc.as_mut() {
                    b.end();
                }
            }
            Event::Other => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// The documents of `text` (or why each was refused) and how the read
    /// ended.
    fn docs(
        text: &str,
        budget: &mut Budget,
    ) -> (Vec<Result<Document, Unread>>, Result<(), Unread>) {
        let mut out = Vec::new();
        let mut each = |d: Result<&Document, Unread>, _: &mut Budget| {
            out.push(d.map(|d| {
                Document {
                    nodes: d
                        .nodes
                        .iter()
                        .map(|n| match n {
                            Node::Scalar { text, plain, tag } => Node::Scalar {
                                text: text.clone(),
                                plain: *plain,
                                tag: tag.clone(),
                            },
                            Node::Seq(c) => Node::Seq(c.clone()),
                            Node::Map(c) => Node::Map(c.clone()),
                            Node::Alias(t) => Node::Alias(*t),
                        })
                        .collect(),
                    root: d.root,
                }
            }))
        };
        let end = read(text, budget, &mut |_| {}, &mut each);
        (out, end)
    }

    fn one(text: &str) -> Document {
        let (mut d, end) = docs(text, &mut Budget::new());
        assert_eq!(end, Ok(()), "{text}");
        assert_eq!(d.len(), 1, "{text}");
        d.remove(0).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    /// The resolved value at a dotted path of `text`'s only document.
    fn at(text: &str, path: &str) -> String {
        let d = one(text);
        let mut budget = Budget::new();
        let mut v = d.root().expect("a root");
        for key in path.split('.') {
            let Value::Map(m) = v else {
                return format!("not a map at {key}");
            };
            match d.get(m, key, &mut budget) {
                Ok(Some(n)) => v = d.value(n),
                Ok(None) => return "absent".into(),
                Err(e) => return format!("unread: {}", e.0),
            }
        }
        match v {
            Value::Str(s) => format!("str {s}"),
            Value::Bool(b) => format!("bool {b}"),
            other => other.type_name().into(),
        }
    }

    #[test]
    fn x4_scalars_resolve_as_go_yaml_v2() {
        let cases = [
            ("e: yes", "bool true"),
            ("e: No", "bool false"),
            ("e: OFF", "bool false"),
            ("e: y", "bool true"),
            ("e: n", "bool false"),
            ("e: TRUE", "bool true"),
            ("e: tRUE", "str tRUE"),
            ("e: \"true\"", "str true"),
            ("e: 'yes'", "str yes"),
            ("e: !!str true", "str true"),
            ("e: !!bool no", "bool false"),
            ("e: !!bool \"on\"", "bool true"),
            ("e: !!bool maybe", "a scalar go-yaml refuses"),
            ("e: !<tag:yaml.org,2002:bool> false", "bool false"),
            ("e: !custom true", "str true"),
            ("e: ! true", "str true"),
            ("e: !!binary dHJ1ZQ==", "str true"),
            ("e: |\n  true\n", "str true\n"),
            // At the end of the text, go-yaml (like libyaml) has no line
            // break to keep.
            ("e: |\n  true", "str true"),
            ("e:", "null"),
            ("e: ~", "null"),
            ("e: Null", "null"),
            ("e: 0", "integer"),
            ("e: 0x1F", "integer"),
            ("e: 1_000", "integer"),
            ("e: -0b101", "integer"),
            ("e: 1.5e3", "number"),
            ("e: .5", "number"),
            ("e: .inf", "number"),
            ("e: !!float 1", "number"),
            ("e: 1.2.3", "str 1.2.3"),
            ("e: [true]", "list"),
            ("e: {a: 1}", "object"),
            ("\"e\": on", "bool true"),
            ("!!binary ZQ==: on", "bool true"),
        ];
        for (text, want) in cases {
            assert_eq!(at(text, "e"), want, "{text}");
        }
    }

    /// What go-yaml reads, read the same (libyaml's scanner): a YAML 1.2
    /// parser refuses these, and X4 would then fail closed on a file Kueue
    /// starts with. The first is how Tekton's `controller.yaml` writes its
    /// arguments.
    #[test]
    fn x4_reads_the_text_as_go_yaml_does() {
        let cases = [
            ("e: [\n  \"a\",\n]\n", "e", "list"),
            (
                "m:\n  f: [\n    \"batch/job\",\n  ]\n  e: true\n",
                "m.e",
                "bool true",
            ),
            ("m:\n  f: {\n  a: 1 }\n  e: on\n", "m.e", "bool true"),
        ];
        for (text, path, want) in cases {
            assert_eq!(at(text, path), want, "{text}");
        }
    }

    #[test]
    fn x4_mappings_apply_pairs_and_merges_in_document_order() {
        let cases = [
            // The last of repeated keys wins.
            ("e: false\ne: true", "bool true"),
            ("e: true\ne: false", "bool false"),
            // A merge writes its keys where it stands.
            ("e: false\n<<: {e: true}", "bool true"),
            ("<<: {e: true}\ne: false", "bool false"),
            ("a: &a {e: true}\nm:\n  e: false\n  <<: *a", "bool true"),
            // In a list, earlier mappings take precedence.
            (
                "a: &a {e: true}\nb: &b {e: false}\nm: {<<: [*a, *b]}",
                "bool true",
            ),
            (
                "a: &a {e: true}\nb: &b {e: false}\nm: {<<: [*b, *a]}",
                "bool false",
            ),
            // Merges inside merged mappings.
            (
                "a: &a {e: true}\nb: &b {<<: *a}\nm: {e: false, <<: *b}",
                "bool true",
            ),
            // A quoted or aliased `<<` is an ordinary key.
            ("m: {e: false, \"<<\": {e: true}}", "bool false"),
            ("m: {e: false, !!merge <<: {e: true}}", "bool true"),
            // An alias to a scalar.
            ("a: &t true\nm: {e: *t}", "bool true"),
            ("k: &k e\nm: {*k : false}", "bool false"),
        ];
        for (text, want) in cases {
            let path = if text.contains("m:") || text.contains("m: ") {
                "m.e"
            } else {
                "e"
            };
            assert_eq!(at(text, path), want, "{text}");
        }
        assert!(at("m: {<<: [1], e: true}", "m.e").starts_with("unread: a merge key"));
        assert!(at("s: &s x\nm: {<<: *s}", "m.e").starts_with("unread: a merge key"));
    }

    #[test]
    fn x4_documents_are_read_in_order_and_anchors_stay_in_theirs() {
        let (d, end) = docs("a: 1\n---\nb: 2\n---\nc: [unclosed\n", &mut Budget::new());
        assert_eq!(d.len(), 2);
        assert!(d.iter().all(|d| d.is_ok()));
        assert!(end.unwrap_err().0.starts_with("YAML syntax error"));
        let (d, end) = docs("a: &x 1\n---\nb: *x\n", &mut Budget::new());
        assert_eq!(end, Ok(()));
        assert!(d[0].is_ok());
        assert!(d[1].as_ref().err().unwrap().0.contains("does not define"));
        // An anchor defined again names the later node from there on.
        let text = "a: &x one\nb: *x\nc: &x two\nd: *x\n";
        assert_eq!(
            (at(text, "b"), at(text, "d")),
            ("str one".into(), "str two".into())
        );
        let (d, _) = docs("a: &x [1, *x]\n", &mut Budget::new());
        assert!(d[0].as_ref().err().unwrap().0.contains("contains it"));
    }

    /// libyaml's costs that grow faster than the text: flow collections
    /// nested deep (each token checks every level) and many directives.
    #[test]
    fn x4_nesting_and_directives_are_bounded() {
        let start = Instant::now();
        for opener in ["[", "{", "[{"] {
            let text = format!("e: {}", opener.repeat(1_000_000));
            let (_, end) = docs(&text, &mut Budget::new());
            let why = end.unwrap_err().0;
            assert!(why.contains("deeper than 100 flow levels"), "{why}");
        }
        // Block collections nest as deep as go-yaml allows, at a cost linear
        // in the text.
        let deep: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert_eq!(docs(&deep, &mut Budget::new()).1, Ok(()));
        let text = "%TAG !a! tag:a,2000:\n".repeat(40_000) + "---\ne: 1\n";
        let why = docs(&text, &mut Budget::new()).1.unwrap_err().0;
        assert!(why.contains("more than 32 lines"), "{why}");
        assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
    }

    /// A billion-laugh bomb in 1.3 KB: read at once, refused as go-yaml
    /// refuses it, never expanded.
    fn bomb(levels: usize, width: usize) -> String {
        let mut s = format!("x0: &x0 [{}]\n", vec!["lol"; width].join(", "));
        for i in 1..levels {
            let refs = vec![format!("*x{}", i - 1); width].join(", ");
            s.push_str(&format!("x{i}: &x{i} [{refs}]\n"));
        }
        s
    }

    #[test]
    fn x4_alias_bombs_are_refused_without_expanding() {
        let start = Instant::now();
        let (d, end) = docs(&bomb(10, 9), &mut Budget::new());
        assert_eq!(end, Ok(()));
        let why = d[0].as_ref().err().expect("refused").0.clone();
        assert!(why.contains("excessive aliasing"), "{why}");
        // Exponential in the levels: saturates, never overflows.
        let (d, _) = docs(&bomb(40, 9), &mut Budget::new());
        assert!(d[0].is_err());
        assert!(start.elapsed().as_secs() < 5);
        // A few aliases are fine (go-yaml's ratio allows them).
        let (d, _) = docs("a: &a {x: 1}\nb: *a\nc: *a\n", &mut Budget::new());
        assert!(d[0].is_ok());
    }

    #[test]
    fn x4_bounds_make_the_value_unknown() {
        // Events: shared by every value of the request.
        let mut budget = Budget::new();
        budget.events = 10;
        let (_, end) = docs("a: [1, 2, 3, 4, 5, 6, 7, 8, 9]\n", &mut budget);
        assert!(end.unwrap_err().0.contains("YAML events"));
        // Lookup steps: a merge list that names one anchor many times over,
        // nested, costs 10^5 steps without a bound; enough plain pairs around
        // it that go-yaml's aliasing ratio allows it.
        let padding: String = (0..30_000).map(|i| format!("p{i}: {i}\n")).collect();
        let mut s = format!("{padding}l0: &l0 {{a: 1}}\n");
        for i in 1..6 {
            let refs = vec![format!("*l{}", i - 1); 10].join(", ");
            s.push_str(&format!("l{i}: &l{i} {{<<: [{refs}]}}\n"));
        }
        let start = Instant::now();
        assert!(at(&s, "l5.e").contains("steps through merge keys"));
        assert!(start.elapsed().as_secs() < 5);
        // A large mapping of its own is no merge: no step bound (regression:
        // a 120,000-key mapping was failed closed).
        let large: String = (0..MAX_LOOKUP_STEPS + 20_000)
            .map(|i| format!("k{i}: v\n"))
            .collect();
        assert_eq!(at(&format!("{large}e: on\n"), "e"), "bool true");
        // Merge depth.
        let mut s = format!("{padding}l0: &l0 {{a: 1}}\n");
        for i in 1..=MAX_MERGE_DEPTH + 1 {
            s.push_str(&format!("l{i}: &l{i} {{<<: *l{}}}\n", i - 1));
        }
        s.push_str(&format!("m: {{<<: *l{}}}\n", MAX_MERGE_DEPTH + 1));
        assert!(at(&s, "m.e").contains("nested more than"));
    }
}
