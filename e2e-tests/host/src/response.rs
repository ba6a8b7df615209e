//! Guest answers (`ValidationResponse`, `SettingsValidationResponse`), the
//! AdmissionResponse printed by `run` (same shape and field order as kwctl's),
//! and applying such a response's patch for `patched-request`.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::request::RequestDocument;

/// What the guest's `validate_settings` answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SettingsValidationResponse {
    pub valid: bool,
    #[serde(default)]
    pub message: Option<String>,
}

/// What the guest's `validate` answers (kubewarden-policy-sdk's ValidationResponse).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ValidationResponse {
    pub accepted: bool,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<u16>,
    #[serde(default)]
    pub mutated_object: Option<Value>,
    #[serde(default)]
    pub audit_annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdmissionResponseStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
}

/// admission/v1 AdmissionResponse, as printed by `kwctl run`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AdmissionResponseStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_annotations: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

pub const MUTATION_WITHOUT_OBJECT: &str = "Incoming object is null, which happens only with DELETE operations, but the policy is attempting a mutation. This is not allowed";

impl AdmissionResponse {
    /// Builds the response the way kubewarden's policy-evaluator does: the
    /// mutated object becomes a base64 JSONPatch against the request's object.
    pub fn from_validation(uid: String, object: Option<&Value>, resp: ValidationResponse) -> Self {
        let (patch_type, patch) = match (&resp.mutated_object, object) {
            (None, _) => (None, None),
            (Some(_), None) => {
                // A mutation of a null object (DELETE) is refused, as kwctl does.
                return Self {
                    uid,
                    allowed: false,
                    status: Some(AdmissionResponseStatus {
                        message: Some(MUTATION_WITHOUT_OBJECT.to_string()),
                        code: None,
                    }),
                    ..Self::default()
                };
            }
            (Some(mutated), Some(original)) => {
                let diff = json_patch::diff(original, mutated);
                if diff.0.is_empty() {
                    (None, None)
                } else {
                    // Display of a Patch is its compact JSON array.
                    let encoded = STANDARD.encode(diff.to_string());
                    (Some("JSONPatch".to_string()), Some(encoded))
                }
            }
        };
        let status = if resp.message.is_some() || resp.code.is_some() {
            Some(AdmissionResponseStatus {
                message: resp.message,
                code: resp.code,
            })
        } else {
            None
        };
        Self {
            uid,
            allowed: resp.accepted,
            patch_type,
            patch,
            status,
            audit_annotations: resp.audit_annotations,
            warnings: resp.warnings,
        }
    }

    pub fn to_json_line(&self) -> String {
        // Serializing plain strings, bools and maps of strings cannot fail.
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// Reads the output of `run` (this host's or kwctl's). The whole text should
/// be one JSON object; failing that, the last line that is a JSON object is
/// used, so stray output before it is tolerated. An AdmissionReview wrapper
/// (`{"response": {...}}`) is unwrapped.
pub fn parse_admission_response(text: &str) -> Result<Value, String> {
    let value = match serde_json::from_str::<Value>(text) {
        Ok(v) if v.is_object() => v,
        _ => text
            .lines()
            .rev()
            .find_map(|line| {
                serde_json::from_str::<Value>(line.trim())
                    .ok()
                    .filter(Value::is_object)
            })
            .ok_or_else(|| "no JSON object found in the response".to_string())?,
    };
    match value.get("response") {
        Some(inner @ Value::Object(_)) => Ok(inner.clone()),
        _ => Ok(value),
    }
}

/// Decodes the response's JSONPatch; `None` when it carries no patch.
pub fn decode_patch(response: &Value) -> Result<Option<json_patch::Patch>, String> {
    let patch_b64 = match response.get("patch") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s,
        Some(other) => return Err(format!("`patch` must be a base64 string, got {other}")),
    };
    match response.get("patchType") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if t == "JSONPatch" => {}
        Some(other) => {
            return Err(format!(
                "unsupported patchType {other}, expected \"JSONPatch\""
            ))
        }
    }
    let bytes = STANDARD
        .decode(patch_b64.trim())
        .map_err(|e| format!("`patch` is not valid base64: {e}"))?;
    let patch = serde_json::from_slice(&bytes)
        .map_err(|e| format!("`patch` does not decode to a JSONPatch array: {e}"))?;
    Ok(Some(patch))
}

/// Applies the response's patch (if any) to the request's `object`.
pub fn apply_response(doc: &mut RequestDocument, response: &Value) -> Result<(), String> {
    let Some(patch) = decode_patch(response)? else {
        return Ok(());
    };
    let mut object = doc.object().cloned().unwrap_or(Value::Null);
    json_patch::patch(&mut object, &patch)
        .map_err(|e| format!("cannot apply the patch to the request object: {e}"))?;
    doc.replace_object(object);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Value {
        json!({"metadata": {"name": "p", "labels": {"app": "a"}}, "spec": {"containers": []}})
    }

    fn decode(b64: &str) -> Value {
        serde_json::from_slice(&STANDARD.decode(b64).unwrap()).unwrap()
    }

    #[test]
    fn accept_has_only_uid_and_allowed() {
        let resp = ValidationResponse {
            accepted: true,
            ..Default::default()
        };
        let out = AdmissionResponse::from_validation("u1".into(), Some(&pod()), resp);
        assert_eq!(out.to_json_line(), r#"{"uid":"u1","allowed":true}"#);
    }

    #[test]
    fn reject_with_message_code_warnings_annotations() {
        let resp: ValidationResponse = serde_json::from_value(json!({
            "accepted": false,
            "message": "no",
            "code": 403,
            "mutated_object": null,
            "audit_annotations": {"b": "2", "a": "1"},
            "warnings": ["careful"]
        }))
        .unwrap();
        let out = AdmissionResponse::from_validation("u2".into(), Some(&pod()), resp);
        assert_eq!(
            out.to_json_line(),
            r#"{"uid":"u2","allowed":false,"status":{"message":"no","code":403},"auditAnnotations":{"a":"1","b":"2"},"warnings":["careful"]}"#
        );
    }

    #[test]
    fn status_with_only_code() {
        let resp = ValidationResponse {
            accepted: false,
            code: Some(418),
            ..Default::default()
        };
        let out = AdmissionResponse::from_validation("u".into(), Some(&pod()), resp);
        let v: Value = serde_json::from_str(&out.to_json_line()).unwrap();
        assert_eq!(v["status"], json!({"code": 418}));
    }

    #[test]
    fn mutation_becomes_base64_json_patch() {
        let mut mutated = pod();
        mutated["metadata"]["labels"]["mutated"] = json!("yes");
        let resp = ValidationResponse {
            accepted: true,
            mutated_object: Some(mutated.clone()),
            ..Default::default()
        };
        let out = AdmissionResponse::from_validation("u3".into(), Some(&pod()), resp);
        assert_eq!(out.patch_type.as_deref(), Some("JSONPatch"));
        let patch = decode(out.patch.as_deref().unwrap());
        assert_eq!(
            patch,
            json!([{"op": "add", "path": "/metadata/labels/mutated", "value": "yes"}])
        );
        let line = out.to_json_line();
        assert!(line.starts_with(r#"{"uid":"u3","allowed":true,"patchType":"JSONPatch","patch":""#));
        assert!(!line.contains("status"));
    }

    #[test]
    fn identical_mutated_object_gives_no_patch() {
        let resp = ValidationResponse {
            accepted: true,
            mutated_object: Some(pod()),
            ..Default::default()
        };
        let out = AdmissionResponse::from_validation("u".into(), Some(&pod()), resp);
        assert_eq!(out.to_json_line(), r#"{"uid":"u","allowed":true}"#);
    }

    #[test]
    fn mutation_without_object_is_rejected() {
        let resp = ValidationResponse {
            accepted: true,
            mutated_object: Some(pod()),
            ..Default::default()
        };
        let out = AdmissionResponse::from_validation("u".into(), None, resp);
        assert!(!out.allowed);
        assert_eq!(out.patch, None);
        assert_eq!(
            out.status.unwrap().message.as_deref(),
            Some(MUTATION_WITHOUT_OBJECT)
        );
    }

    #[test]
    fn guest_response_needs_accepted() {
        assert!(serde_json::from_str::<ValidationResponse>(r#"{"message":"x"}"#).is_err());
        let s: SettingsValidationResponse = serde_json::from_str(r#"{"valid":true}"#).unwrap();
        assert_eq!(s.message, None);
    }

    fn review_doc() -> RequestDocument {
        RequestDocument::from_value(json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {"uid": "u", "object": pod()}
        }))
        .unwrap()
    }

    #[test]
    fn round_trip_patch_application() {
        let mut mutated = pod();
        mutated["metadata"]["labels"]["mutated"] = json!("yes");
        mutated["spec"]["containers"] = json!([{"name": "c"}]);
        let resp = ValidationResponse {
            accepted: true,
            mutated_object: Some(mutated.clone()),
            ..Default::default()
        };
        let out = AdmissionResponse::from_validation("u".into(), Some(&pod()), resp);
        let response = parse_admission_response(&out.to_json_line()).unwrap();

        let mut doc = review_doc();
        apply_response(&mut doc, &response).unwrap();
        assert!(doc.is_review());
        assert_eq!(doc.object(), Some(&mutated));
        let v = doc.into_value();
        assert_eq!(v["kind"], "AdmissionReview");
        assert_eq!(v["request"]["uid"], "u");
    }

    #[test]
    fn no_patch_leaves_request_unchanged() {
        let mut doc = review_doc();
        let before = doc.clone();
        // kwctl may print null for absent optional fields.
        let response = parse_admission_response(
            r#"{"uid":"u","allowed":false,"status":{"message":"no"},"auditAnnotations":null,"warnings":null}"#,
        )
        .unwrap();
        apply_response(&mut doc, &response).unwrap();
        assert_eq!(doc, before);
    }

    #[test]
    fn response_parsing_is_lenient_but_not_blind() {
        let v =
            parse_admission_response("some log line\n{\"uid\":\"u\",\"allowed\":true}\n").unwrap();
        assert_eq!(v["allowed"], true);
        let v = parse_admission_response(
            r#"{"kind":"AdmissionReview","response":{"uid":"x","allowed":true}}"#,
        )
        .unwrap();
        assert_eq!(v["uid"], "x");
        assert!(parse_admission_response("nothing here").is_err());
    }

    #[test]
    fn bad_patches_are_errors() {
        let mut doc = review_doc();
        let e = apply_response(&mut doc, &json!({"patch": "%%%"})).unwrap_err();
        assert!(e.contains("base64"), "{e}");
        let not_patch = STANDARD.encode(r#"{"op":"add"}"#);
        let e = apply_response(&mut doc, &json!({"patch": not_patch})).unwrap_err();
        assert!(e.contains("JSONPatch array"), "{e}");
        let e = apply_response(&mut doc, &json!({"patch": 3})).unwrap_err();
        assert!(e.contains("base64 string"), "{e}");
        let e = apply_response(&mut doc, &json!({"patch": "", "patchType": "Merge"})).unwrap_err();
        assert!(e.contains("unsupported patchType"), "{e}");
        let bad_path = STANDARD.encode(r#"[{"op":"remove","path":"/nope/x"}]"#);
        let e = apply_response(&mut doc, &json!({"patch": bad_path})).unwrap_err();
        assert!(e.contains("cannot apply"), "{e}");
        assert_eq!(doc, review_doc());
    }
}
