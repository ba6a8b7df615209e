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
//!   immutable): what injection would repair is reported instead.

use crate::cluster::{Cluster, Lookups};
use crate::context::Ctx;
use crate::report::{FieldPath, Report};
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

/// The kinds of object the policy evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    ServiceMonitor,
    PodMonitor,
    Certificate,
    Workload(WorkloadKind),
    /// A ConfigMap that may hold a Kueue `Configuration` (X4).
    ConfigMap,
}

const MONITORING_GROUP: &str = "monitoring.coreos.com";
const CERT_MANAGER_GROUP: &str = "cert-manager.io";

fn is<R: Resource>(gvk: &GroupVersionKind) -> bool {
    gvk.group == R::GROUP && gvk.version == R::VERSION && gvk.kind == R::KIND
}

impl Target {
    /// The target for a request's `kind`, or `None` for kinds the policy does
    /// not handle.
    pub fn of(gvk: &GroupVersionKind) -> Option<Target> {
        let t = match (gvk.group.as_str(), gvk.version.as_str(), gvk.kind.as_str()) {
            (MONITORING_GROUP, "v1", "ServiceMonitor") => Target::ServiceMonitor,
            (MONITORING_GROUP, "v1", "PodMonitor") => Target::PodMonitor,
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

/// The outcome of one review: what was found, and the mutated object when
/// the policy repaired the request.
#[derive(Debug)]
pub struct Verdict {
    /// `Kind namespace/name`, the subject of the rejection message; built
    /// only when there is something to reject (empty otherwise: every
    /// request pays for it, and a plain ConfigMap must stay near the
    /// parse-only baseline).
    pub subject: String,
    pub report: Report,
    pub mutated: Option<Value>,
}

impl Verdict {
    fn untouched(subject: String) -> Verdict {
        Verdict {
            subject,
            report: Report::new(),
            mutated: None,
        }
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
pub fn review(req: &KubernetesAdmissionRequest, settings: &Settings) -> Verdict {
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
    req: &KubernetesAdmissionRequest,
    settings: &Settings,
    cluster: Option<&dyn Cluster>,
) -> Verdict {
    let Some(target) = Target::of(&req.kind) else {
        return Verdict::untouched(String::new());
    };
    if !matches!(req.operation.as_str(), "CREATE" | "UPDATE") || !req.sub_resource.is_empty() {
        return Verdict::untouched(String::new());
    }
    let mut report = Report::new();
    let Some(object) = Obj::at(&req.object, FieldPath::root(), &mut report) else {
        if report.is_clean() {
            report.required(
                crate::rule::Rule::Type,
                FieldPath::root(),
                "the request carries no object",
            );
        }
        return Verdict {
            subject: subject(req),
            report,
            mutated: None,
        };
    };
    let update = req.operation == "UPDATE";
    if update && (terminating(&req.old_object) || unchanged(target, req)) {
        return Verdict::untouched(String::new());
    }
    let lookups = cluster.map(Lookups::new);
    let ctx = Ctx {
        may_patch: !(update && target.has_immutable_pod_spec()),
        lookups: lookups.as_ref().filter(|_| settings.cross_object_checks),
        ..Ctx::new(settings, &req.namespace)
    };
    let mutated = match target {
        Target::ServiceMonitor => {
            monitors::review(
                monitors::MonitorKind::ServiceMonitor,
                &object,
                &ctx,
                &mut report,
            );
            None
        }
        Target::PodMonitor => {
            monitors::review(
                monitors::MonitorKind::PodMonitor,
                &object,
                &ctx,
                &mut report,
            );
            None
        }
        Target::Certificate => {
            certificates::review(&object, &ctx, &mut report);
            None
        }
        Target::Workload(kind) => workloads::review(kind, &req.object, &ctx, &mut report),
        Target::ConfigMap => {
            kueue::review(&object, settings, &req.namespace, ctx.lookups, &mut report);
            None
        }
    };
    if let Some(failure) = lookups.as_ref().and_then(Lookups::failure) {
        report.warn(failure.rule, &failure.at, &failure);
    }
    Verdict {
        subject: if report.is_clean() {
            String::new()
        } else {
            subject(req)
        },
        report,
        mutated,
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
pub const ANNOTATION_PREFIX: &str = "secure-metrics/";
