//! Request files: an `AdmissionReview` or a bare `AdmissionRequest`, as `kwctl run`
//! accepts, plus the settings and the `validate` payload built from them.

use std::path::Path;

use serde_json::{Map, Value};

/// A parsed request file. The original shape is kept so that `patched-request`
/// prints a review when given a review and a bare request otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDocument {
    root: Value,
    is_review: bool,
}

impl RequestDocument {
    /// Detects a review by its top-level `request` object (or `kind: AdmissionReview`).
    pub fn from_value(root: Value) -> Result<Self, String> {
        let Value::Object(map) = &root else {
            return Err(
                "the request must be a JSON object (an AdmissionReview or an AdmissionRequest)"
                    .to_string(),
            );
        };
        let is_review = match map.get("request") {
            Some(Value::Object(_)) => true,
            _ if map.get("kind").and_then(Value::as_str) == Some("AdmissionReview") => {
                return Err("invalid AdmissionReview: it has no `request` object".to_string());
            }
            _ => false,
        };
        Ok(Self { root, is_review })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        Self::from_value(value)
    }

    pub fn load(path: &Path) -> Result<Self, String> {
        let text = read_file(path, "request")?;
        Self::parse(&text).map_err(|e| format!("request file {}: {e}", path.display()))
    }

    #[cfg(test)]
    pub fn is_review(&self) -> bool {
        self.is_review
    }

    /// The AdmissionRequest (the review's `request`, or the whole document).
    pub fn request(&self) -> &Value {
        if self.is_review {
            &self.root["request"]
        } else {
            &self.root
        }
    }

    fn request_mut(&mut self) -> &mut Map<String, Value> {
        let request = if self.is_review {
            &mut self.root["request"]
        } else {
            &mut self.root
        };
        match request {
            Value::Object(map) => map,
            // from_value guarantees an object; keep this total anyway.
            other => {
                *other = Value::Object(Map::new());
                other.as_object_mut().expect("just set to an object")
            }
        }
    }

    /// The request's `uid`, or "" when absent.
    pub fn uid(&self) -> String {
        self.request()
            .get("uid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// `kind.kind` of the request, or "?" when absent.
    pub fn kind(&self) -> String {
        self.request()
            .pointer("/kind/kind")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    }

    /// The object under review; `None` when absent or null (DELETE requests).
    pub fn object(&self) -> Option<&Value> {
        self.request().get("object").filter(|o| !o.is_null())
    }

    pub fn replace_object(&mut self, object: Value) {
        self.request_mut().insert("object".to_string(), object);
    }

    pub fn into_value(self) -> Value {
        self.root
    }

    /// The payload of the guest `validate` call.
    pub fn validate_payload(&self, settings: &Value) -> Result<Vec<u8>, String> {
        let payload = serde_json::json!({ "request": self.request(), "settings": settings });
        serde_json::to_vec(&payload).map_err(|e| format!("cannot serialize validate payload: {e}"))
    }
}

pub fn read_file(path: &Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {what} file {}: {e}", path.display()))
}

/// Settings must be a JSON object; `null` counts as `{}`.
pub fn parse_settings(text: &str, origin: &str) -> Result<Value, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        format!("{origin} is not valid JSON (policy-host reads JSON settings only, not YAML): {e}")
    })?;
    match value {
        Value::Null => Ok(Value::Object(Map::new())),
        Value::Object(_) => Ok(value),
        _ => Err(format!("{origin} must be a JSON object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bare() -> Value {
        json!({
            "uid": "abc-123",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "operation": "CREATE",
            "object": {"metadata": {"name": "p"}}
        })
    }

    #[test]
    fn detects_bare_request() {
        let doc = RequestDocument::from_value(bare()).unwrap();
        assert!(!doc.is_review());
        assert_eq!(doc.uid(), "abc-123");
        assert_eq!(doc.kind(), "Pod");
        assert_eq!(doc.object(), Some(&json!({"metadata": {"name": "p"}})));
    }

    #[test]
    fn detects_review() {
        let review = json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": bare()
        });
        let doc = RequestDocument::from_value(review).unwrap();
        assert!(doc.is_review());
        assert_eq!(doc.request(), &bare());
        assert_eq!(doc.uid(), "abc-123");
        assert_eq!(doc.kind(), "Pod");
    }

    #[test]
    fn review_without_kind_still_detected_by_request_object() {
        let doc = RequestDocument::from_value(json!({"request": bare()})).unwrap();
        assert!(doc.is_review());
    }

    #[test]
    fn rejects_malformed_documents() {
        let e = RequestDocument::from_value(json!({"kind": "AdmissionReview"})).unwrap_err();
        assert!(e.contains("no `request` object"), "{e}");
        let e = RequestDocument::from_value(json!([1, 2])).unwrap_err();
        assert!(e.contains("JSON object"), "{e}");
        let e = RequestDocument::parse("{not json").unwrap_err();
        assert!(e.contains("not valid JSON"), "{e}");
    }

    #[test]
    fn missing_fields_have_defaults() {
        let doc =
            RequestDocument::from_value(json!({"operation": "DELETE", "object": null})).unwrap();
        assert_eq!(doc.uid(), "");
        assert_eq!(doc.kind(), "?");
        assert_eq!(doc.object(), None);
    }

    #[test]
    fn replace_object_keeps_shape() {
        let mut doc =
            RequestDocument::from_value(json!({"kind": "AdmissionReview", "request": bare()}))
                .unwrap();
        doc.replace_object(json!({"x": 1}));
        let v = doc.into_value();
        assert_eq!(v["kind"], "AdmissionReview");
        assert_eq!(v["request"]["object"], json!({"x": 1}));
        assert_eq!(v["request"]["uid"], "abc-123");
    }

    #[test]
    fn validate_payload_wraps_request_and_settings() {
        let doc = RequestDocument::from_value(json!({"request": bare()})).unwrap();
        let payload = doc.validate_payload(&json!({"k": true})).unwrap();
        let v: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(v, json!({"request": bare(), "settings": {"k": true}}));
    }

    #[test]
    fn settings_parsing() {
        assert_eq!(parse_settings("{\"a\":1}", "x").unwrap(), json!({"a": 1}));
        assert_eq!(parse_settings("null", "x").unwrap(), json!({}));
        assert!(parse_settings("[1]", "x")
            .unwrap_err()
            .contains("JSON object"));
        assert!(parse_settings("a: 1", "settings file s.yaml")
            .unwrap_err()
            .contains("not valid JSON"));
    }
}
