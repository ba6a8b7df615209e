//! Violations and warnings: the one shared way every rule reports what it found.
//!
//! Modelled on Kubernetes' `field.ErrorList`: every violation carries the field
//! path in the API server's notation, a type (`Required value`, `Invalid value`,
//! `Forbidden`, ...), what to do about it, and the SPEC rule that raised it.
//! Rules append; nothing stops at the first problem. `crate::response` turns the
//! collected report into one admission response.

use crate::rule::Rule;
use std::fmt;

/// Appends `{:?}` of `s` to `out` (a quoted name in a message), without the
/// formatter for the usual plain name.
pub(crate) fn push_quoted(out: &mut String, s: &str) {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        use std::fmt::Write;
        let _ = write!(out, "{s:?}");
    }
}

/// A field path such as `spec.endpoints[2].tlsConfig.keySecret`.
///
/// Every [`Obj`](crate::view::Obj) and [`List`](crate::view::List) carries
/// one, so a path is built for each field the rules read, and almost none of
/// them is ever shown. Paths up to [`INLINE`] bytes (nearly all) live in the
/// value itself: building one copies a few bytes and allocates nothing; longer
/// paths spill to the heap.
#[derive(Clone)]
#[repr(align(8))]
pub struct FieldPath(Repr);

/// The longest path kept inline.
pub const INLINE: usize = 54;

// Sizes for WebAssembly (4-byte pointers): LLVM copies a value of up to 8
// aligned stores inline, so 8-byte alignment keeps a copy of up to 64 bytes
// inline where a 4-byte aligned one of more than 32 becomes `memory.copy`,
// which wasmtime runs as a call into the runtime. A view ([`Obj`],
// [`List`]: a reference and a path) is moved for every field a rule reads.
//
// [`Obj`]: crate::view::Obj
// [`List`]: crate::view::List
#[cfg(target_arch = "wasm32")]
const _: () = {
    assert!(std::mem::size_of::<FieldPath>() == 56);
    assert!(std::mem::size_of::<crate::view::Obj>() == 64);
    assert!(std::mem::size_of::<crate::view::List>() == 64);
};

#[derive(Clone)]
enum Repr {
    /// Always whole `&str`s and ASCII digits, so always valid UTF-8.
    Inline {
        len: u8,
        buf: [u8; INLINE],
    },
    Heap(String),
}

impl FieldPath {
    /// The root of an object: children of the root have no leading dot.
    pub fn root() -> Self {
        FieldPath(Repr::Inline {
            len: 0,
            buf: [0; INLINE],
        })
    }

    /// The concatenation of `parts`, each the bytes of a `str`.
    #[cfg(test)]
    fn joined(parts: &[&[u8]]) -> Self {
        Self::root().extended(parts)
    }

    /// This path followed by `parts`, each the bytes of a `str`. An inline
    /// path is extended in a copy of its whole buffer (a copy of fixed size,
    /// made with a few stores), so only the new parts are copied by length.
    fn extended(&self, parts: &[&[u8]]) -> Self {
        let added: usize = parts.iter().map(|p| p.len()).sum();
        if let Repr::Inline { len, buf } = &self.0 {
            let mut at = usize::from(*len);
            if at + added <= INLINE {
                let mut buf = *buf;
                for p in parts {
                    crate::bytes::copy_into(&mut buf[at..], p);
                    at += p.len();
                }
                return FieldPath(Repr::Inline { len: at as u8, buf });
            }
        }
        let mut bytes = Vec::with_capacity(self.bytes().len() + added);
        bytes.extend_from_slice(self.bytes());
        for p in parts {
            bytes.extend_from_slice(p);
        }
        FieldPath(Repr::Heap(String::from_utf8(bytes).unwrap_or_else(|e| {
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        })))
    }

    fn bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
            Repr::Heap(s) => s.as_bytes(),
        }
    }

    /// `spec` -> `spec.endpoints`
    pub fn child(&self, name: &str) -> Self {
        match self.bytes() {
            [] => self.extended(&[name.as_bytes()]),
            _ => self.extended(&[b".", name.as_bytes()]),
        }
    }

    /// `spec.endpoints` -> `spec.endpoints[2]`
    pub fn index(&self, i: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = i;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.extended(&[b"[", &digits[at..], b"]"])
    }

    /// `metadata.annotations` -> `metadata.annotations[secure-metrics/container]`
    pub fn key(&self, key: &str) -> Self {
        self.extended(&[b"[", key.as_bytes(), b"]"])
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Built from whole `str`s only: the check cannot fail.
            Repr::Inline { len, buf } => {
                std::str::from_utf8(&buf[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Heap(s) => s,
        }
    }

    /// Orders paths as they appear in the document: `a[2]` before `a[10]`,
    /// a parent before its children.
    pub fn document_order(&self, other: &FieldPath) -> std::cmp::Ordering {
        let (mut a, mut b) = (self.bytes(), other.bytes());
        loop {
            match (a.first(), b.first()) {
                (None, None) => return std::cmp::Ordering::Equal,
                (None, Some(_)) => return std::cmp::Ordering::Less,
                (Some(_), None) => return std::cmp::Ordering::Greater,
                (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                    let na = a.iter().take_while(|c| c.is_ascii_digit()).count();
                    let nb = b.iter().take_while(|c| c.is_ascii_digit()).count();
                    // Compare numbers by length first, then digit by digit.
                    let ord = na.cmp(&nb).then_with(|| a[..na].cmp(&b[..nb]));
                    if ord != std::cmp::Ordering::Equal {
                        return ord;
                    }
                    a = &a[na..];
                    b = &b[nb..];
                }
                (Some(x), Some(y)) => {
                    if x != y {
                        return x.cmp(y);
                    }
                    a = &a[1..];
                    b = &b[1..];
                }
            }
        }
    }
}

impl Default for FieldPath {
    fn default() -> Self {
        Self::root()
    }
}

impl PartialEq for FieldPath {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for FieldPath {}

impl std::hash::Hash for FieldPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes().hash(state);
    }
}

impl fmt::Debug for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FieldPath").field(&self.as_str()).finish()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bytes().is_empty() {
            f.write_str("<object>")
        } else {
            f.write_str(self.as_str())
        }
    }
}

/// The kind of a violation, rendered like `field.ErrorType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    /// A field that must be set is missing.
    Required,
    /// A value is present but not acceptable.
    Invalid,
    /// A value is well-formed but not allowed by policy.
    Forbidden,
    /// A value has the wrong JSON type.
    TypeInvalid,
    /// Two fields that exclude each other are both set.
    Conflict,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Required => "Required value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TypeInvalid => "Invalid type",
            ErrorType::Conflict => "Conflicting fields",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The SPEC rule that raised it.
    pub rule: Rule,
    pub path: FieldPath,
    pub kind: ErrorType,
    /// What is wrong and what to do about it.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {} [{}]",
            self.path,
            self.kind.as_str(),
            self.detail,
            self.rule
        )
    }
}

/// Everything the rules found in one object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub violations: Vec<Violation>,
    pub warnings: Vec<String>,
}

impl Report {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(
        &mut self,
        rule: Rule,
        path: FieldPath,
        kind: ErrorType,
        detail: impl Into<String>,
    ) {
        self.violations.push(Violation {
            rule,
            path,
            kind,
            detail: detail.into(),
        });
    }

    pub fn required(&mut self, rule: Rule, path: FieldPath, detail: impl Into<String>) {
        self.push(rule, path, ErrorType::Required, detail);
    }

    pub fn invalid(&mut self, rule: Rule, path: FieldPath, detail: impl Into<String>) {
        self.push(rule, path, ErrorType::Invalid, detail);
    }

    pub fn forbidden(&mut self, rule: Rule, path: FieldPath, detail: impl Into<String>) {
        self.push(rule, path, ErrorType::Forbidden, detail);
    }

    pub fn conflict(&mut self, rule: Rule, path: FieldPath, detail: impl Into<String>) {
        self.push(rule, path, ErrorType::Conflict, detail);
    }

    /// A field of the wrong JSON type. `expected` reads like "string" or
    /// "list of objects"; `found` is the JSON type actually received.
    pub fn type_invalid(&mut self, path: FieldPath, expected: &str, found: &serde_json::Value) {
        self.type_invalid_for(Rule::Type, path, expected, found);
    }

    /// A value of the wrong JSON type, under `rule` (`settings` for the
    /// policy's own settings).
    pub fn type_invalid_for(
        &mut self,
        rule: Rule,
        path: FieldPath,
        expected: &str,
        found: &serde_json::Value,
    ) {
        self.push(
            rule,
            path,
            ErrorType::TypeInvalid,
            format!("expected {expected}, got {}", json_type(found)),
        );
    }

    /// A warning returned with the response (accepted or not). It starts
    /// with the rule id in brackets (SPEC section 13): `[X3] spec...: ...`,
    /// and is built at its length (a repair's warning is a paragraph, which
    /// `format!` would grow several times).
    pub fn warn(&mut self, rule: Rule, path: &FieldPath, detail: impl AsRef<str>) {
        let (rule, path, detail) = (rule.id(), path.as_str(), detail.as_ref());
        let mut warning = String::with_capacity(rule.len() + path.len() + detail.len() + 5);
        for piece in ["[", rule, "] ", path, ": ", detail] {
            warning.push_str(piece);
        }
        self.warnings.push(warning);
    }

    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// Whether a violation of `rule` is present (for tests).
    #[cfg(test)]
    pub fn has_rule(&self, rule: Rule) -> bool {
        self.violations.iter().any(|v| v.rule == rule)
    }

    /// Puts the violations in document order (stable for equal paths), so a
    /// message lists them as a reader meets them in the manifest.
    pub fn sort(&mut self) {
        self.violations
            .sort_by(|a, b| a.path.document_order(&b.path));
    }
}

/// The JSON type name of a value, for type errors.
pub fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "list",
        serde_json::Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn push_quoted_is_the_debug_form_of_a_string() {
        for s in [
            "metrics-certs",
            "",
            "a b",
            "quo\"te",
            "back\\slash",
            "tab\t",
            "ünï",
            "\u{7f}",
            "\u{e000}",
        ] {
            let mut out = String::new();
            push_quoted(&mut out, s);
            assert_eq!(out, format!("{s:?}"), "{s}");
        }
    }

    #[test]
    fn paths_render_in_api_server_notation() {
        let p = FieldPath::root()
            .child("spec")
            .child("endpoints")
            .index(2)
            .child("tlsConfig")
            .child("keySecret");
        assert_eq!(p.as_str(), "spec.endpoints[2].tlsConfig.keySecret");
        let a = FieldPath::root()
            .child("metadata")
            .child("annotations")
            .key("secure-metrics/container");
        assert_eq!(a.as_str(), "metadata.annotations[secure-metrics/container]");
        assert_eq!(FieldPath::root().to_string(), "<object>");
        assert_eq!(FieldPath::default(), FieldPath::root());
        assert_eq!(
            format!("{a:?}"),
            "FieldPath(\"metadata.annotations[secure-metrics/container]\")"
        );
    }

    #[test]
    fn long_paths_spill_to_the_heap_and_compare_by_text() {
        let inline = FieldPath::root().child(&"a".repeat(INLINE));
        assert!(matches!(inline.0, Repr::Inline { .. }));
        let long = inline.index(12_345).key("ü/x").child("y");
        assert!(matches!(long.0, Repr::Heap(_)));
        let expected = format!("{}[12345][ü/x].y", "a".repeat(INLINE));
        assert_eq!(long.as_str(), expected);
        assert_eq!(long, FieldPath::joined(&[expected.as_bytes()]));
        assert_ne!(long, inline);
        assert_eq!(FieldPath::root().index(0).as_str(), "[0]");
        assert_eq!(
            FieldPath::root().child("l").index(usize::MAX).as_str(),
            format!("l[{}]", usize::MAX)
        );
        use std::collections::HashSet;
        let set: HashSet<FieldPath> = [long.clone(), long, inline].into_iter().collect();
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn document_order_is_numeric_and_parents_first() {
        let mut paths: Vec<FieldPath> = ["a[10].x", "a[2].y", "a[2]", "a[1]", "b", "a[2].b"]
            .iter()
            .map(|s| FieldPath::joined(&[s.as_bytes()]))
            .collect();
        paths.sort_by(|a, b| a.document_order(b));
        let got: Vec<&str> = paths.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            got,
            vec!["a[1]", "a[2]", "a[2].b", "a[2].y", "a[10].x", "b"]
        );
    }

    #[test]
    fn violations_render_path_type_detail_and_rule() {
        let mut r = Report::new();
        r.required(
            Rule::M2,
            FieldPath::root().child("spec").child("keySecret"),
            "client key is missing",
        );
        r.type_invalid(FieldPath::root().child("spec"), "object", &json!([]));
        assert_eq!(
            r.violations[0].to_string(),
            "spec.keySecret: Required value: client key is missing [M2]"
        );
        assert_eq!(
            r.violations[1].to_string(),
            "spec: Invalid type: expected object, got list [type]"
        );
        assert!(r.has_rule(Rule::M2));
        assert!(!r.has_rule(Rule::M1));
        assert!(!r.is_clean());
    }
}
