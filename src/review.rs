//! Routes an admission request to the module of its kind (SPEC sections 2
//! and 8).
//!
//! Only CREATE and UPDATE of the kinds in `policy-metadata.yml` are evaluated;
//! every other operation, kind or subresource is accepted untouched. Dispatch
//! is by `kind`, never by `resource` (the audit scanner puts the kind's name
//! there). Admission as the API server applies it (section 8):
//!
//! - a CREATE is always evaluated, whatever its `metadata` says: the API server
//!   clears a client-sent `deletionTimestamp` only after mutating admission;
//! - an UPDATE whose `oldObject` is terminating is accepted untouched (removing
//!   finalizers must not strand the object);
//! - an UPDATE that changes neither `spec` (`data`/`binaryData` for a
//!   ConfigMap) nor a `secure-metrics/*` annotation is accepted untouched;
//! - an UPDATE of a Pod or a Job is never patched (their pod spec is
//!   immutable): what injection would repair is reported instead;
//! - of the subresources, only `pods/ephemeralcontainers` (`kubectl debug`)
//!   is evaluated: an UPDATE of the Pod, its ephemeral containers read like
//!   containers.

use crate::cluster::{Cluster, Lookups};
use crate::context::Ctx;
use crate::exceptions::{Applied, Subject};
use crate::report::{FieldPath, Report, Verdict};
use crate::settings::Settings;
use crate::view::Obj;
use crate::workloads::WorkloadKind;
use crate::{certificates, kueue, monitors, workloads};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use k8s_openapi::Resource;
use kubewarden_policy_sdk::request::{GroupVersionKind, KubernetesAdmissionRequest};
use serde_json::Value;

/// A scrape kind's row in the monitors' kind table (SPEC section 10).
#[derive(Clone, Copy, Debug)]
pub struct ScrapeTarget(pub(crate) &'static monitors::kinds::ScrapeKind);

impl PartialEq for ScrapeTarget {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for ScrapeTarget {}

/// The kinds of object the policy evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A scrape kind: ServiceMonitor, PodMonitor, Probe, ScrapeConfig and
    /// their `monitoring.rhobs`, VictoriaMetrics and GKE counterparts.
    Scrape(ScrapeTarget),
    /// Prometheus and PrometheusAgent: their scrape classes, at the source.
    ScrapeClassSource,
    Certificate,
    Workload(WorkloadKind),
    /// A ConfigMap that may hold a `Configuration` of Kueue, JobSet or
    /// LeaderWorkerSet (X4).
    ConfigMap,
}

const CERT_MANAGER_GROUP: &str = "cert-manager.io";

fn is<R: Resource>(gvk: &GroupVersionKind) -> bool {
    gvk.group == R::GROUP && gvk.version == R::VERSION && gvk.kind == R::KIND
}

impl Target {
    /// The target for a request's `kind`, or `None` for kinds the policy does
    /// not handle.
    pub fn of(gvk: &GroupVersionKind) -> Option<Target> {
        let (group, version, kind) = (gvk.group.as_str(), gvk.version.as_str(), gvk.kind.as_str());
        if let Some(k) = monitors::kinds::scrape_kind(group, version, kind) {
            return Some(Target::Scrape(ScrapeTarget(k)));
        }
        if monitors::kinds::is_class_source(group, version, kind) {
            return Some(Target::ScrapeClassSource);
        }
        let t = match (group, version, kind) {
            (CERT_MANAGER_GROUP, "v1", "Certificate") => Target::Certificate,
            _ if is::<ConfigMap>(gvk) => Target::ConfigMap,
            _ if is::<Pod>(gvk) => Target::Workload(WorkloadKind::Pod),
            _ if is::<Deployment>(gvk) => Target::Workload(WorkloadKind::Deployment),
            _ if is::<StatefulSet>(gvk) => Target::Workload(WorkloadKind::StatefulSet),
            _ if is::<DaemonSet>(gvk) => Target::Workload(WorkloadKind::DaemonSet),
            _ if is::<ReplicaSet>(gvk) => Target::Workload(WorkloadKind::ReplicaSet),
            _ if is::<Job>(gvk) => Target::Workload(WorkloadKind::Job),
            _ if is::<CronJob>(gvk) => Target::Workload(WorkloadKind::CronJob),
            _ => return None,
        };
        Some(t)
    }

    /// The top-level fields an UPDATE is compared on (SPEC sections 8 and 13).
    pub fn compared_fields(self) -> &'static [&'static str] {
        match self {
            Target::ConfigMap => &["data", "binaryData"],
            _ => &["spec"],
        }
    }

    /// Pods and Jobs: the API server refuses a change of their pod spec on
    /// UPDATE, so the policy must not patch it.
    pub fn has_immutable_pod_spec(self) -> bool {
        matches!(
            self,
            Target::Workload(WorkloadKind::Pod | WorkloadKind::Job)
        )
    }
}

fn subject(req: &KubernetesAdmissionRequest) -> String {
    let meta = req.object.get("metadata");
    let field = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let name = match (field("name"), req.name.as_str(), field("generateName")) {
        (Some(n), _, _) => n.to_string(),
        (None, n, _) if !n.is_empty() => n.to_string(),
        (None, _, Some(g)) => format!("{g}<generated>"),
        _ => "<unnamed>".to_string(),
    };
    match field("namespace").or(Some(req.namespace.as_str()).filter(|s| !s.is_empty())) {
        Some(ns) => format!("{} {ns}/{name}", req.kind.kind),
        None => format!("{} {name}", req.kind.kind),
    }
}

/// Evaluates one admission request. In the policy (WebAssembly) related
/// objects are looked up through the Kubewarden host; a native build (unit
/// tests, fuzzing) has no host and runs the per-object rules only.
///
/// A repair is made on `req.object` itself and moved into the verdict
/// (`mutated`); the request is not read again afterwards.
pub(crate) fn review(req: &mut KubernetesAdmissionRequest, settings: &Settings) -> Verdict {
    #[cfg(target_arch = "wasm32")]
    let cluster: Option<&dyn Cluster> = Some(&crate::cluster::Host);
    #[cfg(not(target_arch = "wasm32"))]
    let cluster: Option<&dyn Cluster> = None;
    review_with(req, settings, cluster)
}

/// Evaluates one admission request with `cluster` answering the lookups of
/// the cross-object rules (SPEC section 12). With `crossObjectChecks: false`
/// (or no cluster) no lookup is made; a failed lookup becomes the request's
/// one warning.
pub(crate) fn review_with(
    req: &mut KubernetesAdmissionRequest,
    settings: &Settings,
    cluster: Option<&dyn Cluster>,
) -> Verdict {
    let (mut verdict, repaired) = judge(req, settings, cluster);
    // The subject only names the object in a rejection message: built then.
    if !verdict.report.is_clean() {
        verdict.subject = subject(req);
    }
    if repaired {
        verdict.mutated = Some(std::mem::take(&mut req.object));
    }
    verdict
}

/// The verdict, and whether `req.object` was repaired in place.
fn judge(
    req: &mut KubernetesAdmissionRequest,
    settings: &Settings,
    cluster: Option<&dyn Cluster>,
) -> (Verdict, bool) {
    let Some(target) = Target::of(&req.kind) else {
        return (Verdict::untouched(String::new()), false);
    };
    if !matches!(req.operation.as_str(), "CREATE" | "UPDATE")
        || !(req.sub_resource.is_empty() || adds_ephemeral_containers(target, req))
    {
        return (Verdict::untouched(String::new()), false);
    }
    let mut report = Report::for_answer();
    if Obj::at(&req.object, FieldPath::root(), &mut report).is_none() {
        if report.is_clean() {
            report.required(
                crate::rule::Rule::Type,
                FieldPath::root(),
                "the request carries no object",
            );
        }
        return (
            Verdict {
                subject: subject(req),
                report,
                mutated: None,
            },
            false,
        );
    }
    let update = req.operation == "UPDATE";
    if update && (terminating(&req.old_object) || unchanged(target, req)) {
        return (Verdict::untouched(String::new()), false);
    }
    // Matched only when there are exceptions: reading the subject costs
    // four map lookups that most policies never need.
    let applied = if settings.exceptions.is_empty() {
        Applied::default()
    } else {
        Applied::for_object(&settings.exceptions, &exception_subject(req))
    };
    let cache = cluster.map(Lookups::new);
    // The lookups, passed only to the families whose rules look up.
    let lookups = cache.as_ref().filter(|_| settings.cross_object_checks);
    let ctx = Ctx {
        may_patch: !(update && target.has_immutable_pod_spec()),
        excepted: applied.rules(),
        ..Ctx::new(settings, &req.namespace)
    };
    let repaired = route(target, &mut req.object, &ctx, lookups, &mut report);
    applied.apply(&mut report);
    if let Some(failure) = cache.as_ref().and_then(Lookups::failure) {
        report.warn(failure.rule, &failure.at, failure.to_string());
    }
    (
        Verdict {
            subject: String::new(),
            report,
            mutated: None,
        },
        repaired,
    )
}

/// Runs the rules of `target`'s family on `object` (a JSON object); `true`
/// when a workload was repaired in place.
fn route<'a>(
    target: Target,
    object: &'a mut Value,
    ctx: &Ctx<'a>,
    lookups: Option<&'a Lookups<'a>>,
    report: &mut Report,
) -> bool {
    if let Target::Workload(kind) = target {
        return workloads::review(kind, object, ctx, lookups, report);
    }
    let object: &'a Value = object;
    let Some(object) = Obj::at(object, FieldPath::root(), report) else {
        return false;
    };
    match target {
        Target::Scrape(ScrapeTarget(kind)) => {
            monitors::review(kind, &object, ctx, lookups, report);
        }
        Target::ScrapeClassSource => monitors::review_class_source(&object, ctx, report),
        Target::Certificate => certificates::review(&object, ctx, lookups, report),
        Target::ConfigMap => kueue::review(&object, ctx, lookups, report),
        Target::Workload(_) => {}
    }
    false
}

/// `kubectl debug` adds ephemeral containers to a running Pod with an UPDATE
/// of the `pods/ephemeralcontainers` subresource whose object is the whole
/// Pod: judged like an UPDATE of the Pod (never patched, SPEC 8), so that an
/// ephemeral container cannot bring in what a container may not. Every other
/// subresource (`status`, `binding`, `exec`, ...) is accepted untouched.
fn adds_ephemeral_containers(target: Target, req: &KubernetesAdmissionRequest) -> bool {
    target == Target::Workload(WorkloadKind::Pod)
        && req.operation == "UPDATE"
        && req.sub_resource == "ephemeralcontainers"
}

/// What the `exceptions` setting matches an object on (SPEC section 11): its
/// kind, its namespace (`metadata.namespace`, else the request's) and its name
/// (`metadata.name`, else the request's).
fn exception_subject(req: &KubernetesAdmissionRequest) -> Subject<'_> {
    let meta = |k: &str| {
        req.object
            .get("metadata")
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    Subject {
        kind: &req.kind.kind,
        namespace: meta("namespace").unwrap_or(&req.namespace),
        name: meta("name").unwrap_or(&req.name),
    }
}

/// Reads and validates settings: the whole of `validate_settings`. The keys
/// are read by [`Settings::read`]; the scrape classes' `tlsConfig`s are
/// checked here as the monitor rules read them (SPEC 10), so the settings
/// module stays a leaf. The error lists every problem, each with its path.
pub(crate) fn validate_settings(value: &Value) -> Result<Settings, String> {
    let settings = Settings::read(value).map_err(|v| crate::settings::message(&v))?;
    let mut report = Report::new();
    monitors::classes::validate(&settings, &mut report);
    if report.is_clean() {
        Ok(settings)
    } else {
        Err(crate::settings::message(&report.violations))
    }
}

/// Whether `oldObject` is on its way out (`metadata.deletionTimestamp` set).
/// Only the stored object counts: a client can write anything in `object`.
fn terminating(old: &Value) -> bool {
    old.pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
}

/// Whether an UPDATE leaves everything the rules judge as it was: the
/// compared fields (`spec`, or a ConfigMap's `data` and `binaryData`) and
/// every `secure-metrics/*` annotation. A pod template's annotations live
/// under `spec`, so comparing `spec` covers them. Without `oldObject` the
/// update is evaluated.
fn unchanged(target: Target, req: &KubernetesAdmissionRequest) -> bool {
    let (new, old) = (&req.object, &req.old_object);
    if !old.is_object() {
        return false;
    }
    let same = |key: &str| new.get(key) == old.get(key);
    let fields_same = match target.compared_fields() {
        [] => false,
        keys => keys.iter().all(|k| same(k)),
    };
    fields_same && policy_annotations(new) == policy_annotations(old)
}

/// The object's `secure-metrics/*` annotations (raw values, in key order).
fn policy_annotations(object: &Value) -> Vec<(&String, &Value)> {
    object
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.starts_with(ANNOTATION_PREFIX))
                .collect()
        })
        .unwrap_or_default()
}

/// The prefix of every annotation the policy reads.
pub(crate) const ANNOTATION_PREFIX: &str = "secure-metrics/";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Rule;
    use crate::testing::request;
    use serde_json::json;

    fn insecure_monitor() -> Value {
        json!({"metadata": {"name": "m", "namespace": "ns"},
               "spec": {"endpoints": [{"port": "https", "scheme": "https",
                                        "tlsConfig": {"insecureSkipVerify": true}}]}})
    }

    fn with(mut v: Value, pointer: &str, x: Value) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        v.pointer_mut(parent).unwrap()[key] = x;
        v
    }

    /// (operation, object, oldObject) -> evaluated (the M1 violation found)?
    #[test]
    fn admission_as_the_api_server_applies_it() {
        let bad = insecure_monitor();
        let ts = json!("2026-11-23T10:00:00Z");
        let dying = with(bad.clone(), "/metadata/deletionTimestamp", ts.clone());
        let relabelled = with(bad.clone(), "/metadata/labels", json!({"team": "a"}));
        let annotated = with(
            bad.clone(),
            "/metadata/annotations",
            json!({"secure-metrics/container": "x"}),
        );
        let other_annotation = with(
            bad.clone(),
            "/metadata/annotations",
            json!({"example.com/owner": "x"}),
        );
        let respecced = with(bad.clone(), "/spec/endpoints/0/port", json!("metrics"));
        let cases: Vec<(&str, &str, Value, Value, bool)> = vec![
            ("create", "CREATE", bad.clone(), Value::Null, true),
            (
                "create with a client-set deletionTimestamp",
                "CREATE",
                dying.clone(),
                Value::Null,
                true,
            ),
            (
                "update of a terminating object",
                "UPDATE",
                dying.clone(),
                dying.clone(),
                false,
            ),
            (
                "update that sets deletionTimestamp itself",
                "UPDATE",
                dying.clone(),
                respecced.clone(),
                true,
            ),
            (
                "labels only",
                "UPDATE",
                relabelled.clone(),
                bad.clone(),
                false,
            ),
            (
                "another annotation only",
                "UPDATE",
                other_annotation,
                bad.clone(),
                false,
            ),
            (
                "a secure-metrics annotation",
                "UPDATE",
                annotated,
                bad.clone(),
                true,
            ),
            ("spec changed", "UPDATE", respecced, bad.clone(), true),
            ("no oldObject", "UPDATE", bad.clone(), Value::Null, true),
        ];
        let settings = Settings::default();
        for (name, op, object, old, evaluated) in cases {
            let mut req = request("ServiceMonitor", "ns", object);
            req.operation = op.into();
            req.old_object = old;
            let v = review(&mut req.clone(), &settings);
            assert_eq!(
                v.report.has_rule(Rule::M1),
                evaluated,
                "{name}: {:?}",
                v.report
            );
            if !evaluated {
                assert!(
                    v.report.warnings.is_empty() && v.mutated.is_none(),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn pods_and_jobs_have_immutable_pod_specs() {
        let immutable: Vec<&str> = [
            WorkloadKind::Pod,
            WorkloadKind::Deployment,
            WorkloadKind::StatefulSet,
            WorkloadKind::DaemonSet,
            WorkloadKind::ReplicaSet,
            WorkloadKind::Job,
            WorkloadKind::CronJob,
        ]
        .into_iter()
        .filter(|k| Target::Workload(*k).has_immutable_pod_spec())
        .map(WorkloadKind::name)
        .collect();
        assert_eq!(immutable, vec!["Pod", "Job"]);
        assert!(!Target::ScrapeClassSource.has_immutable_pod_spec());
    }

    /// `kubectl debug`: an UPDATE of `pods/ephemeralcontainers` is judged
    /// (never patched); other subresources and other kinds are not.
    #[test]
    fn the_ephemeral_containers_subresource_is_judged() {
        let manager = json!({"name": "manager", "image": "example.com/guestbook:v0.0.1",
            "args": ["--metrics-bind-address=127.0.0.1:8080", "--metrics-secure=false"]});
        let old = json!({"metadata": {"name": "guestbook-controller-manager-7d4b9", "namespace": "guestbook-system"},
            "spec": {"containers": [manager]}});
        let debugged = with(
            old.clone(),
            "/spec/ephemeralContainers",
            json!([{"name": "debugger-x7k2p", "image": "example.com/guestbook:v0.0.1",
                    "targetContainerName": "manager",
                    "command": ["/manager", "--metrics-bind-address=:8081", "--metrics-secure=false"]}]),
        );
        let cases = [
            ("Pod", "UPDATE", "ephemeralcontainers", true),
            ("Pod", "UPDATE", "status", false),
            ("Pod", "CREATE", "ephemeralcontainers", false),
            ("Deployment", "UPDATE", "ephemeralcontainers", false),
        ];
        for (kind, op, sub, judged) in cases {
            let mut req = request(kind, "guestbook-system", debugged.clone());
            req.operation = op.into();
            req.sub_resource = sub.into();
            req.old_object = old.clone();
            let v = review(&mut req, &Settings::default());
            let found: Vec<(String, String)> = crate::testing::findings(&v.report);
            let expected = if judged {
                vec![(
                    "W3".to_string(),
                    "spec.ephemeralContainers[0].command[1]".to_string(),
                )]
            } else {
                vec![]
            };
            assert_eq!(found, expected, "{kind} {op} {sub}");
            assert!(v.mutated.is_none());
        }
    }

    #[test]
    fn dispatch_is_by_kind_not_resource() {
        let mut req = request("ServiceMonitor", "ns", insecure_monitor());
        req.resource.kind = "ServiceMonitor".into();
        req.user_info = Default::default();
        assert!(review(&mut req.clone(), &Settings::default())
            .report
            .has_rule(Rule::M1));
    }

    fn kubelet_monitor(metadata: Value) -> Value {
        json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": metadata,
            "spec": {
                "endpoints": [{
                    "port": "https-metrics",
                    "scheme": "https",
                    "tlsConfig": {"insecureSkipVerify": true}
                }],
                "selector": {"matchLabels": {"app.kubernetes.io/name": "kubelet"}}
            }
        })
    }

    fn settings(exceptions: Value) -> Settings {
        crate::review::validate_settings(&json!({ "exceptions": exceptions })).unwrap()
    }

    /// SPEC 11: the namespace comes from `metadata.namespace`, else the
    /// request's; the name from `metadata.name`, else the request's.
    #[test]
    fn exceptions_match_with_the_request_as_fallback() {
        let s = settings(json!([{
            "rules": ["M1"], "kinds": ["ServiceMonitor"],
            "namespaces": ["monitoring"], "names": ["kubelet"],
            "reason": "kubelet serving certificates are self-signed"
        }]));
        let cases = [
            // (metadata, request namespace, request name, excepted)
            (
                json!({"name": "kubelet", "namespace": "monitoring"}),
                "default",
                "",
                true,
            ),
            (json!({"name": "kubelet"}), "monitoring", "", true),
            (json!({}), "monitoring", "kubelet", true),
            (
                json!({"name": "kubelet", "namespace": ""}),
                "monitoring",
                "",
                true,
            ),
            (
                json!({"name": "kubelet", "namespace": "default"}),
                "monitoring",
                "",
                false,
            ),
            (json!({"name": "kubelet"}), "default", "", false),
            (json!({"name": "other"}), "monitoring", "kubelet", false),
            (json!({"generateName": "kubelet-"}), "monitoring", "", false),
        ];
        for (meta, ns, name, excepted) in cases {
            let mut req = request("ServiceMonitor", ns, kubelet_monitor(meta.clone()));
            req.name = name.to_string();
            let v = review(&mut req.clone(), &s);
            let rules: Vec<Rule> = v.report.violations.iter().map(|v| v.rule).collect();
            if excepted {
                assert!(rules.is_empty(), "{meta} in {ns}: {rules:?}");
                let reason = "kubelet serving certificates are self-signed";
                assert!(
                    v.report.warnings.iter().any(|w| w.rule == Rule::M1
                        && w.path.as_str().starts_with("spec.endpoints[0].tlsConfig")
                        && w.excepted.as_ref().is_some_and(|e| e.reason == reason)),
                    "{meta} in {ns}: {:?}",
                    v.report.warnings
                );
                assert_eq!(
                    v.report.warnings.len(),
                    1,
                    "{meta}: {:?}",
                    v.report.warnings
                );
            } else {
                assert_eq!(rules, vec![Rule::M1], "{meta} in {ns}/{name}");
                assert!(v.report.warnings.is_empty());
            }
        }
    }
}
