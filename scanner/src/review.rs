//! The AdmissionRequest the API server would send the policy for
//! `kubectl apply -n NAMESPACE` creating an object, and which objects it
//! would send at all (the `rules` of `policy-metadata.yml`, which a
//! ClusterAdmissionPolicy copies).

use serde_json::{json, Value};

/// The policy's metadata, for its `rules`.
const METADATA: &str = include_str!("../../policy-metadata.yml");

/// The API server's guess of a kind's resource (Kubernetes'
/// `meta.UnsafeGuessKindToResource`): lower case, `es` after an `s`, `ies`
/// for a `y`, else `s` (`Prometheus` -> `prometheuses`).
pub fn resource_of(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s') {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

/// Kinds without a namespace (Kubernetes' own and those of the projects the
/// policy knows); every other kind is namespaced.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("networking.k8s.io", "IngressClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("cert-manager.io", "ClusterIssuer"),
    ("policies.kubewarden.io", "ClusterAdmissionPolicy"),
    ("policies.kubewarden.io", "ClusterAdmissionPolicyGroup"),
    ("policies.kubewarden.io", "PolicyServer"),
    ("monitoring.googleapis.com", "ClusterPodMonitoring"),
    ("monitoring.googleapis.com", "ClusterNodeMonitoring"),
    ("monitoring.googleapis.com", "ClusterRules"),
    ("monitoring.googleapis.com", "GlobalRules"),
    ("kueue.x-k8s.io", "ClusterQueue"),
    ("kueue.x-k8s.io", "ResourceFlavor"),
    ("kueue.x-k8s.io", "Cohort"),
];

/// An object's group, version and kind, from its `apiVersion` and `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    /// `None` when `apiVersion` or `kind` is missing (the input refuses those).
    pub fn of(object: &Value) -> Option<Gvk> {
        let api_version = object.get("apiVersion")?.as_str()?;
        let kind = object.get("kind")?.as_str()?;
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        Some(Gvk {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
        })
    }

    pub fn namespaced(&self) -> bool {
        !CLUSTER_SCOPED
            .iter()
            .any(|(g, k)| *g == self.group && *k == self.kind)
    }
}

/// One rule of `policy-metadata.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    groups: Vec<String>,
    versions: Vec<String>,
    resources: Vec<String>,
    operations: Vec<String>,
}

/// The resources the API server sends the policy, from its metadata's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    rules: Vec<Rule>,
}

impl Routes {
    pub fn from_metadata() -> Routes {
        Routes::parse(METADATA).expect("policy-metadata.yml has rules (tested)")
    }

    fn parse(text: &str) -> Result<Routes, String> {
        let meta = crate::yaml::parse(text).map_err(|(_, e)| e)?;
        let strings = |v: &Value, key: &str| -> Vec<String> {
            v.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let rules: Vec<Rule> = meta
            .get("rules")
            .and_then(Value::as_array)
            .ok_or("no rules")?
            .iter()
            .map(|r| Rule {
                groups: strings(r, "apiGroups"),
                versions: strings(r, "apiVersions"),
                resources: strings(r, "resources"),
                operations: strings(r, "operations"),
            })
            .collect();
        if rules.is_empty() {
            return Err("no rules".into());
        }
        Ok(Routes { rules })
    }

    /// Whether a CREATE of this kind reaches the policy.
    pub fn handles(&self, gvk: &Gvk) -> bool {
        let resource = resource_of(&gvk.kind);
        let has = |list: &[String], v: &str| list.iter().any(|x| x == "*" || x == v);
        self.rules.iter().any(|r| {
            has(&r.groups, &gvk.group)
                && has(&r.versions, &gvk.version)
                && has(&r.resources, &resource)
                && has(&r.operations, "CREATE")
        })
    }
}

/// The namespace the object is created in: its own, else the default one
/// (`kubectl apply -n`); none for a cluster-scoped kind. An explicit
/// `--namespace` that differs from the object's is an error, as in kubectl.
pub fn namespace_of(
    object: &Value,
    gvk: &Gvk,
    default: &str,
    explicit: bool,
) -> Result<Option<String>, String> {
    if !gvk.namespaced() {
        return Ok(None);
    }
    match object.pointer("/metadata/namespace") {
        Some(Value::String(ns)) if !ns.is_empty() => {
            if explicit && ns != default {
                Err(format!(
                    "the namespace from the provided object {ns:?} does not match the namespace {default:?} (--namespace)"
                ))
            } else {
                Ok(Some(ns.clone()))
            }
        }
        None | Some(Value::Null) | Some(Value::String(_)) => Ok(Some(default.to_string())),
        Some(_) => Err("metadata.namespace is not a string".into()),
    }
}

/// The object as the API server stores it: `metadata.namespace` filled in.
pub fn with_namespace(mut object: Value, namespace: Option<&str>) -> Value {
    if let (Some(ns), Some(map)) = (namespace, object.as_object_mut()) {
        let metadata = map
            .entry("metadata")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(m) = metadata.as_object_mut() {
            m.insert("namespace".into(), Value::String(ns.to_string()));
        }
    }
    object
}

/// The AdmissionRequest of a CREATE (the shape of the fixtures in test_data/).
pub fn admission_request(uid: &str, gvk: &Gvk, namespace: Option<&str>, object: &Value) -> Value {
    let kind = json!({"group": gvk.group, "version": gvk.version, "kind": gvk.kind});
    let resource =
        json!({"group": gvk.group, "version": gvk.version, "resource": resource_of(&gvk.kind)});
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut request = json!({
        "uid": uid,
        "kind": kind,
        "resource": resource,
        "requestKind": kind,
        "requestResource": resource,
        "name": name,
        "operation": "CREATE",
        "userInfo": {"username": "secure-metrics-scan", "groups": ["system:authenticated"]},
        "object": object,
        "oldObject": null,
        "dryRun": false,
        "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}
    });
    if let Some(ns) = namespace {
        request["namespace"] = Value::String(ns.to_string());
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gvk(api_version: &str, kind: &str) -> Gvk {
        Gvk::of(&json!({"apiVersion": api_version, "kind": kind})).unwrap()
    }

    #[test]
    fn resources_are_guessed_as_the_api_server_does() {
        assert_eq!(resource_of("Prometheus"), "prometheuses");
        assert_eq!(resource_of("ServiceMonitor"), "servicemonitors");
        assert_eq!(resource_of("NetworkPolicy"), "networkpolicies");
        assert_eq!(resource_of("ConfigMap"), "configmaps");
    }

    #[test]
    fn the_metadata_routes_every_resource_it_lists() {
        let routes = Routes::from_metadata();
        for (api, kind) in [
            ("monitoring.coreos.com/v1", "ServiceMonitor"),
            ("monitoring.coreos.com/v1", "Prometheus"),
            ("monitoring.rhobs/v1alpha1", "ScrapeConfig"),
            ("operator.victoriametrics.com/v1beta1", "VMServiceScrape"),
            ("monitoring.googleapis.com/v1", "ClusterPodMonitoring"),
            ("cert-manager.io/v1", "Certificate"),
            ("v1", "Pod"),
            ("v1", "ConfigMap"),
            ("apps/v1", "Deployment"),
            ("batch/v1", "CronJob"),
        ] {
            assert!(routes.handles(&gvk(api, kind)), "{api} {kind}");
        }
        for (api, kind) in [
            ("v1", "Service"),
            ("v1", "Secret"),
            ("apps/v1beta1", "Deployment"),
            ("cert-manager.io/v1", "Issuer"),
        ] {
            assert!(!routes.handles(&gvk(api, kind)), "{api} {kind}");
        }
        // Every resource the metadata names is reached by the kind that guesses it.
        for rule in &routes.rules {
            assert!(rule.resources.iter().all(|r| r.ends_with('s')));
        }
    }

    #[test]
    fn namespaces_default_as_kubectl_apply_n() {
        let sm = gvk("monitoring.coreos.com/v1", "ServiceMonitor");
        let bare = json!({"metadata": {"name": "a"}});
        let own = json!({"metadata": {"name": "a", "namespace": "obs"}});
        assert_eq!(
            namespace_of(&bare, &sm, "default", false),
            Ok(Some("default".into()))
        );
        assert_eq!(
            namespace_of(&own, &sm, "default", false),
            Ok(Some("obs".into()))
        );
        let e = namespace_of(&own, &sm, "team", true).unwrap_err();
        assert!(e.contains("does not match"), "{e}");
        let cpm = gvk("monitoring.googleapis.com/v1", "ClusterPodMonitoring");
        assert_eq!(namespace_of(&own, &cpm, "team", true), Ok(None));
        let bad = json!({"metadata": {"namespace": 3}});
        assert!(namespace_of(&bad, &sm, "d", false).is_err());
        assert_eq!(
            with_namespace(bare, Some("obs"))["metadata"],
            json!({"name": "a", "namespace": "obs"})
        );
    }

    #[test]
    fn the_request_is_a_create_with_kind_resource_and_namespace() {
        let obj = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "m"}});
        let r = admission_request("u", &Gvk::of(&obj).unwrap(), Some("ns"), &obj);
        assert_eq!(
            r["kind"],
            json!({"group": "apps", "version": "v1", "kind": "Deployment"})
        );
        assert_eq!(r["resource"]["resource"], "deployments");
        assert_eq!(
            (&r["name"], &r["namespace"], &r["operation"]),
            (&json!("m"), &json!("ns"), &json!("CREATE"))
        );
        assert_eq!(r["object"], obj);
        let r = admission_request("u", &Gvk::of(&obj).unwrap(), None, &obj);
        assert!(r.get("namespace").is_none());
    }
}
