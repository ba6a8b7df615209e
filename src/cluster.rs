//! Lookups of related objects in the cluster (SPEC section 12).
//!
//! The policy reads cert-manager `Certificate`s and `Service`s of one
//! namespace through Kubewarden's Kubernetes host capability
//! (`kubewarden/kubernetes/list_resources_by_namespace`, the request of the
//! SDK's `ListResourcesByNamespaceRequest`, answered with a JSON list). No
//! Secret is ever read.
//!
//! Rules never call the host themselves: they ask a [`Lookups`], which holds
//! a [`Cluster`] (the host in the policy, a fake in unit tests), asks it at
//! most once per namespace and kind in a request, and remembers the first
//! failure. The router turns that failure into the request's one warning
//! (SPEC 12: the cross-object rules are skipped, per-object rules still
//! apply). A request that no cross-object rule needs makes no lookup at all.

use crate::report::FieldPath;
use crate::rule::Rule;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

/// The kinds the policy looks up (`contextAwareResources` in
/// `policy-metadata.yml` lists exactly these).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LookupKind {
    Certificate,
    Service,
    /// A manager's configuration file (SPEC 15).
    ConfigMap,
}

impl LookupKind {
    pub(crate) fn api_version(self) -> &'static str {
        match self {
            LookupKind::Certificate => "cert-manager.io/v1",
            LookupKind::Service | LookupKind::ConfigMap => "v1",
        }
    }

    pub(crate) fn kind(self) -> &'static str {
        match self {
            LookupKind::Certificate => "Certificate",
            LookupKind::Service => "Service",
            LookupKind::ConfigMap => "ConfigMap",
        }
    }

    /// Only the fields the rules read are asked for (the host prunes the rest).
    pub(crate) fn field_masks(self) -> &'static [&'static str] {
        match self {
            LookupKind::Certificate => &[
                "metadata.annotations",
                "metadata.name",
                "spec.dnsNames",
                "spec.ipAddresses",
                "spec.secretName",
            ],
            LookupKind::Service => &["metadata.labels", "metadata.name"],
            LookupKind::ConfigMap => &["binaryData", "data", "metadata.name"],
        }
    }
}

/// Where related objects come from: the objects of `kind` in `namespace`
/// (the `items` of the list), or why they could not be read.
pub(crate) trait Cluster {
    fn list(&self, kind: LookupKind, namespace: &str) -> Result<Vec<Value>, String>;
}

/// A cert-manager Certificate as the cross-object rules read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CertInfo {
    pub(crate) name: String,
    pub(crate) secret_name: String,
    pub(crate) dns_names: Vec<String>,
    pub(crate) ip_addresses: Vec<String>,
    /// Carries `secure-metrics/metrics-certificate: "true"`.
    pub(crate) annotated_metrics: bool,
}

/// The annotation that marks a Certificate as a metrics certificate.
const METRICS_CERT_ANNOTATION: &str = "secure-metrics/metrics-certificate";

impl CertInfo {
    /// Reads a listed Certificate; `None` when it names no Secret (it issues
    /// nothing any rule could match). Fields of the wrong type count as absent:
    /// the API server validated the stored object.
    pub(crate) fn from_value(v: &Value) -> Option<CertInfo> {
        let str_at = |p: &str| v.pointer(p).and_then(Value::as_str);
        let strs = |p: &str| -> Vec<String> {
            v.pointer(p)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let secret_name = str_at("/spec/secretName").filter(|s| !s.is_empty())?;
        Some(CertInfo {
            name: str_at("/metadata/name").unwrap_or("<unnamed>").to_string(),
            secret_name: secret_name.to_string(),
            dns_names: strs("/spec/dnsNames"),
            ip_addresses: strs("/spec/ipAddresses"),
            annotated_metrics: v
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(METRICS_CERT_ANNOTATION))
                .and_then(Value::as_str)
                == Some("true"),
        })
    }

    /// A metrics Certificate (SPEC 4; the only "did you mean" candidates,
    /// and what X4 looks for in `auto` mode): it writes a Secret that
    /// `metricsCertSecretName` names (a name or a glob: Kueue's
    /// `kueue-metrics-server-cert` is one with `*-metrics-server-cert`), or
    /// it is annotated as one. A name that merely says "metrics" is not.
    pub(crate) fn is_metrics(&self, settings: &crate::settings::Settings) -> bool {
        self.annotated_metrics || settings.is_metrics_secret(&self.secret_name)
    }
}

/// Why a lookup failed, as a class: the host's own error text is never
/// shown (SPEC 16: it is long, names the host's internals and, with
/// `RUST_BACKTRACE=1`, carries a backtrace).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailureClass {
    /// The policy server refused the call: the capability
    /// (`hostCapabilities`) or the kind (`contextAwareResources`) is not
    /// granted, or the cluster's RBAC forbids the list.
    NotGranted,
    /// The call passed the gate but there is no cluster to ask (a policy
    /// server or kwctl started without a kubeconfig, a test host).
    NoCluster,
    /// The cluster did not answer in time.
    Timeout,
    /// Anything else the host said.
    HostError,
}

impl FailureClass {
    /// Classifies the host's error text (Kubewarden's policy-evaluator:
    /// "Policy has not been granted access to ...", "kube::Client was not
    /// initialized properly", "... callback channel not provided").
    pub(crate) fn of(text: &str) -> FailureClass {
        let t = text.to_ascii_lowercase();
        let any = |words: &[&str]| words.iter().any(|w| t.contains(w));
        if any(&[
            "not granted",
            "not been granted",
            "doesn't have access",
            "forbidden",
            "not allowed",
        ]) {
            FailureClass::NotGranted
        } else if any(&["timed out", "timeout", "deadline"]) {
            FailureClass::Timeout
        } else if any(&[
            "not initialized",
            "callback channel not provided",
            "no kubewarden host",
            "kubeconfig",
            "connection refused",
        ]) {
            FailureClass::NoCluster
        } else {
            FailureClass::HostError
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FailureClass::NotGranted => "not granted",
            FailureClass::NoCluster => "no cluster",
            FailureClass::Timeout => "timeout",
            FailureClass::HostError => "host error",
        }
    }
}

/// A Service as the policy reads it: its name (R3) and its labels (the
/// `serverName` advice matches a monitor's selector against them, SPEC 16).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServiceInfo {
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
}

impl ServiceInfo {
    /// Reads a listed Service; `None` without a name. Labels that are not
    /// strings are left out (the API server validated the stored object).
    pub(crate) fn from_value(v: &Value) -> Option<ServiceInfo> {
        let name = v.pointer("/metadata/name").and_then(Value::as_str)?;
        let labels = v
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Some(ServiceInfo {
            name: name.to_string(),
            labels,
        })
    }
}

/// Why the cross-object rules were skipped for a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LookupFailure {
    /// The rule that needed the lookup (the warning starts with its id).
    pub(crate) rule: Rule,
    /// The field whose check needed it (where the warning points).
    pub(crate) at: FieldPath,
    pub(crate) kind: LookupKind,
    pub(crate) namespace: String,
    pub(crate) class: FailureClass,
}

/// The longest namespace quoted in the warning (a namespace is a DNS-1123
/// label; the request's namespace field is not checked by the policy).
const NAMESPACE_SHOWN: usize = 63;

impl fmt::Display for LookupFailure {
    /// One line of bounded length: which lookup failed, its class, where to
    /// read more. The rest (what to grant) is in the README section the
    /// anchor names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ns = self.namespace.as_str();
        if ns.len() > NAMESPACE_SHOWN {
            let mut end = NAMESPACE_SHOWN;
            while !ns.is_char_boundary(end) {
                end -= 1;
            }
            ns = &ns[..end];
        }
        write!(
            f,
            "cross-object checks (R1-R3, X4) skipped: cannot list {} {}s in namespace {:?} ({}); \
             see README#deploying-it-context-aware",
            self.kind.api_version(),
            self.kind.kind(),
            ns,
            self.class.as_str(),
        )
    }
}

/// Who needs a lookup: the rule and the field it checks.
pub(crate) type Need<'n> = (Rule, &'n FieldPath);

type Cache = BTreeMap<(LookupKind, String), Option<Vec<Value>>>;

/// The lookups of one request: cached, and stopped after the first failure.
pub(crate) struct Lookups<'c> {
    cluster: &'c dyn Cluster,
    cache: RefCell<Cache>,
    failure: RefCell<Option<LookupFailure>>,
}

impl fmt::Debug for Lookups<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lookups")
            .field("failure", &self.failure.borrow())
            .finish_non_exhaustive()
    }
}

impl<'c> Lookups<'c> {
    pub(crate) fn new(cluster: &'c dyn Cluster) -> Lookups<'c> {
        Lookups {
            cluster,
            cache: RefCell::new(BTreeMap::new()),
            failure: RefCell::new(None),
        }
    }

    /// The objects of `kind` in `namespace`, or `None` when they cannot be
    /// read (then every later lookup of the request is skipped too, and
    /// [`Lookups::failure`] says why).
    pub(crate) fn list(&self, kind: LookupKind, namespace: &str, need: Need) -> Option<Vec<Value>> {
        if self.failure.borrow().is_some() || namespace.is_empty() {
            return None;
        }
        let key = (kind, namespace.to_string());
        if let Some(hit) = self.cache.borrow().get(&key) {
            return hit.clone();
        }
        let answer = match self.cluster.list(kind, namespace) {
            Ok(items) => Some(items),
            Err(reason) => {
                *self.failure.borrow_mut() = Some(LookupFailure {
                    rule: need.0,
                    at: need.1.clone(),
                    kind,
                    namespace: namespace.to_string(),
                    class: FailureClass::of(&reason),
                });
                None
            }
        };
        self.cache.borrow_mut().insert(key, answer.clone());
        answer
    }

    /// The Certificates of `namespace` that name a Secret.
    pub(crate) fn certificates(&self, namespace: &str, need: Need) -> Option<Vec<CertInfo>> {
        let items = self.list(LookupKind::Certificate, namespace, need)?;
        Some(items.iter().filter_map(CertInfo::from_value).collect())
    }

    /// The Services of `namespace`, with their labels.
    pub(crate) fn services(&self, namespace: &str, need: Need) -> Option<Vec<ServiceInfo>> {
        let items = self.list(LookupKind::Service, namespace, need)?;
        Some(items.iter().filter_map(ServiceInfo::from_value).collect())
    }

    /// The first failed lookup of the request, if any.
    pub(crate) fn failure(&self) -> Option<LookupFailure> {
        self.failure.borrow().clone()
    }
}

/// The `items` of a list answer.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn items(answer: &[u8]) -> Result<Vec<Value>, String> {
    let list: Value = serde_json::from_slice(answer)
        .map_err(|e| format!("the host answered with something that is not JSON: {e}"))?;
    match list.get("items") {
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(Value::Null) | None => Ok(Vec::new()),
        Some(_) => Err("the host answered with a list whose items are not a list".into()),
    }
}

/// The Kubewarden host: `kubewarden/kubernetes/list_resources_by_namespace`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Host;

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
impl Host {
    fn request(kind: LookupKind, namespace: &str) -> Result<Vec<u8>, String> {
        use kubewarden_policy_sdk::host_capabilities::kubernetes::ListResourcesByNamespaceRequest;
        let req = ListResourcesByNamespaceRequest {
            api_version: kind.api_version().to_string(),
            kind: kind.kind().to_string(),
            namespace: namespace.to_string(),
            label_selector: None,
            field_selector: None,
            field_masks: Some(kind.field_masks().iter().map(|s| s.to_string()).collect()),
        };
        serde_json::to_vec(&req).map_err(|e| e.to_string())
    }
}

impl Cluster for Host {
    #[cfg(target_arch = "wasm32")]
    fn list(&self, kind: LookupKind, namespace: &str) -> Result<Vec<Value>, String> {
        let payload = Host::request(kind, namespace)?;
        let answer = kubewarden_policy_sdk::wapc_guest::host_call(
            "kubewarden",
            "kubernetes",
            "list_resources_by_namespace",
            &payload,
        )
        .map_err(|e| e.to_string())?;
        items(&answer)
    }

    /// Outside WebAssembly there is no Kubewarden host to ask.
    #[cfg(not(target_arch = "wasm32"))]
    fn list(&self, _: LookupKind, _: &str) -> Result<Vec<Value>, String> {
        Err("no Kubewarden host (not running as a WebAssembly policy)".into())
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! A cluster for unit tests: fixed objects per (kind, namespace), or a refusal.
    use super::*;

    #[derive(Default)]
    pub(crate) struct FakeCluster {
        pub(crate) objects: BTreeMap<(LookupKind, String), Vec<Value>>,
        /// When set, every lookup fails with this reason.
        pub(crate) refuse: Option<String>,
        pub(crate) calls: RefCell<Vec<(LookupKind, String)>>,
    }

    impl FakeCluster {
        pub(crate) fn with(mut self, kind: LookupKind, ns: &str, items: Vec<Value>) -> Self {
            self.objects.insert((kind, ns.to_string()), items);
            self
        }

        pub(crate) fn refusing(reason: &str) -> Self {
            FakeCluster {
                refuse: Some(reason.to_string()),
                ..Default::default()
            }
        }
    }

    impl Cluster for FakeCluster {
        fn list(&self, kind: LookupKind, namespace: &str) -> Result<Vec<Value>, String> {
            self.calls.borrow_mut().push((kind, namespace.to_string()));
            if let Some(r) = &self.refuse {
                return Err(r.clone());
            }
            Ok(self
                .objects
                .get(&(kind, namespace.to_string()))
                .cloned()
                .unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakeCluster;
    use super::*;
    use serde_json::json;

    #[test]
    fn certificates_are_read_and_cached_per_namespace() {
        let cluster = FakeCluster::default().with(
            LookupKind::Certificate,
            "kueue-system",
            vec![
                json!({"metadata": {"name": "kueue-metrics-cert"},
                       "spec": {"secretName": "kueue-metrics-server-cert", "dnsNames": ["a.kueue-system.svc"]}}),
                json!({"metadata": {"name": "no-secret"}, "spec": {}}),
            ],
        );
        let l = Lookups::new(&cluster);
        let certs = l
            .certificates("kueue-system", (Rule::R2, &FieldPath::root()))
            .unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].secret_name, "kueue-metrics-server-cert");
        // A metrics Certificate by its Secret (SPEC 4): Kueue's prefixed
        // one only when metricsCertSecretName says so.
        assert!(!certs[0].is_metrics(&crate::settings::Settings::default()));
        let globs = crate::review::validate_settings(
            &serde_json::json!({"metricsCertSecretName": ["metrics-server-cert", "*-metrics-server-cert"]}),
        )
        .unwrap();
        assert!(certs[0].is_metrics(&globs));
        l.certificates("kueue-system", (Rule::R1, &FieldPath::root()))
            .unwrap();
        assert_eq!(cluster.calls.borrow().len(), 1);
        assert_eq!(l.failure(), None);
    }

    #[test]
    fn a_refused_lookup_is_remembered_once() {
        let cluster = FakeCluster::refusing("not granted");
        let l = Lookups::new(&cluster);
        let at = FieldPath::root().child("spec");
        assert_eq!(l.certificates("ns", (Rule::R1, &at)), None);
        assert_eq!(l.services("other", (Rule::R3, &at)), None);
        assert_eq!(cluster.calls.borrow().len(), 1, "no lookup after a failure");
        let f = l.failure().unwrap();
        assert_eq!(
            (f.rule, f.kind, &f.at),
            (Rule::R1, LookupKind::Certificate, &at)
        );
        assert_eq!(
            f.to_string(),
            "cross-object checks (R1-R3, X4) skipped: cannot list cert-manager.io/v1 \
             Certificates in namespace \"ns\" (not granted); see README#deploying-it-context-aware"
        );
    }

    /// The errors of Kubewarden's policy-evaluator (runtimes/callback.rs,
    /// callback_handler/kubernetes.rs), kwctl's and the bundled host's.
    #[test]
    fn host_errors_are_classified_never_quoted() {
        for (text, class) in [
            ("Host error: Policy has not been granted access to Kubernetes cert-manager.io/v1/Certificate resources. The violation has been reported.", FailureClass::NotGranted),
            ("Policy has not been granted access to the 'kubernetes/list_resources_by_namespace' host capability. The violation has been reported.", FailureClass::NotGranted),
            ("services is forbidden: User \"system:serviceaccount:kubewarden:policy-server-default\" cannot list resource", FailureClass::NotGranted),
            ("Callback evaluation failure: kube::Client was not initialized properly\n\nStack backtrace:\n   0: anyhow::error", FailureClass::NoCluster),
            ("Cannot process Wasm guest request: callback channel not provided", FailureClass::NoCluster),
            ("no Kubewarden host (not running as a WebAssembly policy)", FailureClass::NoCluster),
            ("Callback evaluation failure: operation timed out", FailureClass::Timeout),
            ("something else entirely", FailureClass::HostError),
        ] {
            assert_eq!(FailureClass::of(text), class, "{text}");
            let cluster = FakeCluster::refusing(text);
            let l = Lookups::new(&cluster);
            assert_eq!(l.services(&"n".repeat(300), (Rule::R3, &FieldPath::root())), None);
            let warning = l.failure().unwrap().to_string();
            assert!(warning.ends_with(&format!("({}); see README#deploying-it-context-aware", class.as_str())));
            assert!(!warning.contains('\n') && warning.len() < 200, "{warning}");
            assert!(!warning.contains("Policy") && !warning.contains("backtrace"), "{warning}");
        }
    }

    #[test]
    fn host_answers_are_read_leniently() {
        assert_eq!(items(br#"{"items": null}"#).unwrap(), Vec::<Value>::new());
        assert_eq!(items(br#"{"kind": "List"}"#).unwrap(), Vec::<Value>::new());
        assert!(items(b"not json").is_err());
        assert!(items(br#"{"items": 3}"#).is_err());
        assert!(Host.list(LookupKind::Service, "ns").is_err());
    }

    #[test]
    fn the_host_request_is_the_sdk_request() {
        let req: Value =
            serde_json::from_slice(&Host::request(LookupKind::Service, "ns").unwrap()).unwrap();
        assert_eq!(
            req,
            json!({"api_version": "v1", "kind": "Service", "namespace": "ns",
                   "label_selector": null, "field_selector": null,
                   "field_masks": ["metadata.labels", "metadata.name"]})
        );
    }

    #[test]
    fn services_are_read_with_their_labels() {
        let cluster = FakeCluster::default().with(
            LookupKind::Service,
            "monitoring",
            vec![
                json!({"metadata": {"name": "node-exporter",
                       "labels": {"app.kubernetes.io/name": "node-exporter", "odd": 3}}}),
                json!({"metadata": {"name": "plain"}}),
                json!({"metadata": {"labels": {"a": "b"}}}),
            ],
        );
        let l = Lookups::new(&cluster);
        let got = l
            .services("monitoring", (Rule::WServerName, &FieldPath::root()))
            .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "node-exporter");
        assert_eq!(
            got[0].labels,
            BTreeMap::from([("app.kubernetes.io/name".into(), "node-exporter".into())])
        );
        assert!(got[1].labels.is_empty());
    }
}
