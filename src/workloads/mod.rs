//! Workloads (SPEC sections 5 and 6): Pods and everything with a pod template.
//!
//! The workload is read once into a [`Workload`] (pod spec, containers with
//! their flags and env); the rule groups then run over it and the injection
//! edits the JSON of the original object.

pub mod addresses;
pub mod args;
pub mod certs;
pub mod inject;
pub mod mounts;
pub mod pairs;
pub mod podspec;
pub mod tls_env;

pub use podspec::WorkloadKind;

use crate::context::Ctx;
use crate::report::{FieldPath, Report};
use crate::view::Obj;
use args::{Env, Flags};
use podspec::{ContainerRef, PodSpecView};
use serde_json::Value;

/// A container with its command line and environment read once.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    pub at: ContainerRef<'a>,
    pub flags: Flags<'a>,
    pub env: Env<'a>,
}

impl<'a> Container<'a> {
    pub fn path(&self) -> &FieldPath {
        &self.at.obj.path
    }
}

/// A workload read for the rules.
#[derive(Clone, Debug)]
pub struct Workload<'a> {
    pub kind: WorkloadKind,
    pub pod: PodSpecView<'a>,
    pub containers: Vec<Container<'a>>,
}

impl<'a> Workload<'a> {
    /// Reads the workload; `None` when it has no pod spec to check.
    pub fn read(
        kind: WorkloadKind,
        object: &'a Value,
        report: &mut Report,
    ) -> Option<Workload<'a>> {
        let root = Obj::at(object, FieldPath::root(), report)?;
        let pod = podspec::find(kind, &root, report)?;
        let containers = pod
            .containers(report)
            .into_iter()
            .map(|at| {
                let flags = Flags::read(&at.obj, report);
                let env = Env::read(&at.obj, report);
                Container { at, flags, env }
            })
            .collect();
        Some(Workload {
            kind,
            pod,
            containers,
        })
    }
}

/// Reviews a workload; returns the mutated object when the policy repaired it.
pub fn review(kind: WorkloadKind, object: &Value, ctx: &Ctx, report: &mut Report) -> Option<Value> {
    let workload = Workload::read(kind, object, report)?;
    pairs::check(&workload, ctx, report);
    tls_env::check(&workload, ctx, report);
    addresses::check(&workload, ctx, report);
    let mutated = certs::review(&workload, object, ctx, report);
    cross_check(kind, mutated.as_ref().unwrap_or(object), ctx, report);
    mutated
}

/// R2 (SPEC section 12): the metrics certificate Secrets the workload mounts
/// (`metricsCertSecretName`, or any Secret mounted at a container's metrics
/// certificate directory; including one the policy injects) are written by a
/// Certificate of its namespace. Looked up only when it mounts one.
fn cross_check(kind: WorkloadKind, object: &Value, ctx: &Ctx, report: &mut Report) {
    use crate::crosscheck::{r2_issued, SecretRef};
    use mounts::VolumeSource;
    let Some(lookups) = ctx.lookups else {
        return;
    };
    // The object was read (and its types reported) already.
    let mut scratch = Report::new();
    let Some(w) = Workload::read(kind, object, &mut scratch) else {
        return;
    };
    let pod = certs::Pod::read(&w, &mut scratch);
    let settings = ctx.settings;
    let mut found: Vec<(&mounts::Volume, &str)> = Vec::new();
    for cv in &pod.views {
        let metrics = &settings.metrics_cert_secret_name;
        if let Some(v) = pod
            .secret_mount(cv, metrics)
            .and_then(|m| pod.volume(m.name))
        {
            found.extend(
                volume_secrets(v)
                    .into_iter()
                    .filter(|s| s == metrics)
                    .map(|s| (v, s)),
            );
        }
        let dir = cv
            .named
            .first()
            .map_or_else(|| certs::default_dir(settings), |n| n.dir.clone());
        if let Some((_, v)) = pod.secret_at(cv, &dir) {
            found.extend(volume_secrets(v).into_iter().map(|s| (v, s)));
        }
    }
    let mut refs: Vec<SecretRef> = Vec::new();
    for (v, secret) in found {
        if refs.iter().any(|r| r.secret == secret) {
            continue;
        }
        let path = match v.source {
            VolumeSource::Secret(_) => v.path.child("secret").child("secretName"),
            _ => v.path.clone(),
        };
        refs.push(SecretRef {
            path,
            secret,
            holds: "the metrics certificate",
        });
    }
    if refs.is_empty() {
        return;
    }
    let namespace = object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|ns| !ns.is_empty())
        .unwrap_or(ctx.request_namespace);
    if let Some(found) = lookups.certificates(namespace, (crate::rule::Rule::R2, &refs[0].path)) {
        r2_issued(
            &refs,
            &found,
            namespace,
            &settings.metrics_cert_secret_name,
            report,
        );
    }
}

/// The Secrets a volume carries.
fn volume_secrets<'a>(v: &mounts::Volume<'a>) -> Vec<&'a str> {
    match &v.source {
        mounts::VolumeSource::Secret(Some(name)) => vec![name],
        mounts::VolumeSource::Projected { secrets, .. } => secrets.clone(),
        _ => Vec::new(),
    }
}
