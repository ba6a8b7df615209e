//! Violations and warnings: the one shared way every rule reports what it found.
//!
//! Modelled on Kubernetes' `field.ErrorList`: every violation carries the field
//! path in the API server's notation, a type (`Required value`, `Invalid value`,
//! `Forbidden`, ...), what to do about it, and the SPEC rule that raised it.
//! Rules append; nothing stops at the first problem. `crate::response` turns the
//! collected report into one admission response.

use crate::rule::Rule;
use std::fmt;

/// A field path such as `spec.endpoints[2].tlsConfig.keySecret`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(String);

impl FieldPath {
    /// The root of an object: children of the root have no leading dot.
    pub fn root() -> Self {
        FieldPath(String::new())
    }

    /// `spec` -> `spec.endpoints`
    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            FieldPath(name.to_string())
        } else {
            let mut s = String::with_capacity(self.0.len() + 1 + name.len());
            s.push_str(&self.0);
            s.push('.');
            s.push_str(name);
            FieldPath(s)
        }
    }

    /// `spec.endpoints` -> `spec.endpoints[2]`
    pub fn index(&self, i: usize) -> Self {
        FieldPath(format!("{}[{}]", self.0, i))
    }

    /// `metadata.annotations` -> `metadata.annotations[secure-metrics/container]`
    pub fn key(&self, key: &str) -> Self {
        FieldPath(format!("{}[{}]", self.0, key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Orders paths as they appear in the document: `a[2]` before `a[10]`,
    /// a parent before its children.
    pub fn document_order(&self, other: &FieldPath) -> std::cmp::Ordering {
        let (mut a, mut b) = (self.0.as_bytes(), other.0.as_bytes());
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

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("<object>")
        } else {
            f.write_str(&self.0)
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
        self.push(
            Rule::Type,
            path,
            ErrorType::TypeInvalid,
            format!("expected {expected}, got {}", json_type(found)),
        );
    }

    /// A warning returned with the response (accepted or not). It starts
    /// with the rule id in brackets (SPEC section 13): `[X3] spec...: ...`.
    pub fn warn(&mut self, rule: Rule, path: &FieldPath, detail: impl fmt::Display) {
        self.warnings.push(format!("[{rule}] {path}: {detail}"));
    }

    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// Whether a violation of `rule` is present (used by tests and by the
    /// injection logic to tell repairable findings from the rest).
    pub fn has_rule(&self, rule: Rule) -> bool {
        self.violations.iter().any(|v| v.rule == rule)
    }

    /// Puts the violations in document order (stable for equal paths), so a
    /// message lists them as a reader meets them in the manifest.
    pub fn sort(&mut self) {
        self.violations
            .sort_by(|a, b| a.path.document_order(&b.path));
    }

    /// Appends another report.
    pub fn extend(&mut self, other: Report) {
        self.violations.extend(other.violations);
        self.warnings.extend(other.warnings);
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
    }

    #[test]
    fn document_order_is_numeric_and_parents_first() {
        let mut paths: Vec<FieldPath> = ["a[10].x", "a[2].y", "a[2]", "a[1]", "b", "a[2].b"]
            .iter()
            .map(|s| FieldPath(s.to_string()))
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
