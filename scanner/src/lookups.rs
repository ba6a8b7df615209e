//! The cluster of a scan: the policy's Kubernetes lookups (SPEC section 12,
//! `kubewarden/kubernetes/list_resources_by_namespace` for cert-manager
//! Certificates and v1 Services, see `src/cluster.rs`) answered from the
//! objects being scanned, so that R1-R3 and X4 judge a chart against the
//! Certificates and Services it ships, with no cluster.
//!
//! An answer is what the policy server answers: a list whose `items` are the
//! objects of that `apiVersion` and `kind` in that namespace, pruned to the
//! `field_masks` asked for. Any other operation is refused with a message,
//! which the policy turns into its "cross-object checks skipped" warning.

use std::collections::HashMap;

use policy_host::engine::Kubernetes;
use serde_json::{json, Map, Value};

/// The scanned objects by `(apiVersion, kind, namespace)`.
#[derive(Debug, Default)]
pub struct Index {
    objects: HashMap<(String, String, String), Vec<Value>>,
}

impl Index {
    /// Adds an object created in `namespace` (objects without one, the
    /// cluster-scoped, are never listed by namespace).
    pub fn add(&mut self, object: &Value, namespace: Option<&str>) {
        let (Some(api_version), Some(kind), Some(ns)) = (
            object.get("apiVersion").and_then(Value::as_str),
            object.get("kind").and_then(Value::as_str),
            namespace,
        ) else {
            return;
        };
        self.objects
            .entry((api_version.to_string(), kind.to_string(), ns.to_string()))
            .or_default()
            .push(object.clone());
    }

    fn list(&self, request: &Value) -> Result<Value, String> {
        let field = |name: &str| {
            request
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("the list request has no {name}"))
        };
        let (api_version, kind, namespace) =
            (field("api_version")?, field("kind")?, field("namespace")?);
        let masks: Option<Vec<&str>> = match request.get("field_masks") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(a.iter().filter_map(Value::as_str).collect()),
            Some(_) => return Err("field_masks is not a list".into()),
        };
        for selector in ["label_selector", "field_selector"] {
            if !matches!(request.get(selector), None | Some(Value::Null)) {
                return Err(format!(
                    "secure-metrics-scan does not answer lists with a {selector}"
                ));
            }
        }
        let key = (
            api_version.to_string(),
            kind.to_string(),
            namespace.to_string(),
        );
        let items: Vec<Value> = self
            .objects
            .get(&key)
            .map(|objects| {
                objects
                    .iter()
                    .map(|o| match &masks {
                        Some(m) => pruned(o, m),
                        None => o.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(json!({"apiVersion": api_version, "kind": format!("{kind}List"), "items": items}))
    }
}

/// The object with only the fields at `masks` (dotted paths, as
/// Kubernetes field masks are written).
fn pruned(object: &Value, masks: &[&str]) -> Value {
    let mut out = Value::Object(Map::new());
    for mask in masks {
        let mut from = object;
        let mut found = true;
        for part in mask.split('.') {
            match from.get(part) {
                Some(v) => from = v,
                None => {
                    found = false;
                    break;
                }
            }
        }
        if !found {
            continue;
        }
        let mut to = &mut out;
        let parts: Vec<&str> = mask.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let Some(map) = to.as_object_mut() else {
                break;
            };
            if i + 1 == parts.len() {
                map.insert(part.to_string(), from.clone());
                break;
            }
            to = map
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }
    out
}

impl Kubernetes for Index {
    fn answer(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
        if operation != "list_resources_by_namespace" {
            return Err(format!(
                "secure-metrics-scan answers list_resources_by_namespace only, not {operation}"
            ));
        }
        let request: Value = serde_json::from_slice(payload)
            .map_err(|e| format!("cannot read the {operation} request: {e}"))?;
        let answer = self.list(&request)?;
        serde_json::to_vec(&answer).map_err(|e| e.to_string())
    }
}

/// The cluster of `--no-cross-object`: every lookup refused, saying why.
#[derive(Debug, Default)]
pub struct Off;

impl Kubernetes for Off {
    fn answer(&self, _: &str, _: &[u8]) -> Result<Vec<u8>, String> {
        Err("secure-metrics-scan: lookups not granted (--no-cross-object)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(index: &Index, request: Value) -> Result<Value, String> {
        index
            .answer(
                "list_resources_by_namespace",
                request.to_string().as_bytes(),
            )
            .map(|b| serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn lists_the_scanned_objects_of_a_namespace_pruned_to_the_masks() {
        let mut index = Index::default();
        let cert = json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": "kueue-metrics-cert", "namespace": "kueue-system", "labels": {"a": "b"}},
            "spec": {"secretName": "kueue-metrics-server-cert", "dnsNames": ["x.kueue-system.svc"], "issuerRef": {"name": "i"}}});
        index.add(&cert, Some("kueue-system"));
        index.add(&cert, None);
        let answer = ask(
            &index,
            json!({"api_version": "cert-manager.io/v1", "kind": "Certificate", "namespace": "kueue-system",
                   "label_selector": null, "field_selector": null,
                   "field_masks": ["metadata.name", "spec.secretName", "spec.dnsNames", "metadata.annotations"]}),
        )
        .unwrap();
        assert_eq!(
            answer["items"],
            json!([{"metadata": {"name": "kueue-metrics-cert"},
                    "spec": {"secretName": "kueue-metrics-server-cert", "dnsNames": ["x.kueue-system.svc"]}}])
        );
        let other = ask(
            &index,
            json!({"api_version": "cert-manager.io/v1", "kind": "Certificate", "namespace": "other"}),
        )
        .unwrap();
        assert_eq!(other["items"], json!([]));
    }

    #[test]
    fn other_operations_and_selectors_are_refused() {
        let index = Index::default();
        assert!(index
            .answer("get_resource", b"{}")
            .unwrap_err()
            .contains("list_resources_by_namespace only"));
        let e = ask(
            &index,
            json!({"api_version": "v1", "kind": "Service", "namespace": "n", "label_selector": "a=b"}),
        )
        .unwrap_err();
        assert!(e.contains("label_selector"), "{e}");
        assert!(index
            .answer("list_resources_by_namespace", b"not json")
            .is_err());
        assert!(Off
            .answer("list_resources_by_namespace", b"{}")
            .unwrap_err()
            .contains("--no-cross-object"));
    }
}
