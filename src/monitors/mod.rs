//! ServiceMonitor and PodMonitor rules (SPEC section 3).
//!
//! Each scrape endpoint (`spec.endpoints[i]` of a ServiceMonitor,
//! `spec.podMetricsEndpoints[i]` of a PodMonitor) is read once into an
//! [`endpoint::EndpointView`], reporting wrong JSON types, and then checked by
//! every rule in [`rules`]. All endpoints are checked; nothing stops early.

pub mod endpoint;
pub mod rules;

#[cfg(test)]
mod tests;

use crate::context::Ctx;
use crate::report::Report;
use crate::view::Obj;
use rules::Scope;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorKind {
    ServiceMonitor,
    PodMonitor,
}

impl MonitorKind {
    /// The list of scrape endpoints under `spec`.
    pub fn endpoints_key(self) -> &'static str {
        match self {
            MonitorKind::ServiceMonitor => "endpoints",
            MonitorKind::PodMonitor => "podMetricsEndpoints",
        }
    }
}

/// Checks every endpoint of a monitor.
pub fn review(kind: MonitorKind, object: &Obj, ctx: &Ctx, report: &mut Report) {
    let meta = object.obj("metadata", report);
    let name = meta.as_ref().and_then(|m| m.str("name", report));
    let own_namespace = meta
        .as_ref()
        .and_then(|m| m.str("namespace", report))
        .filter(|ns| !ns.is_empty())
        .unwrap_or(ctx.request_namespace);
    let Some(spec) = object.obj("spec", report) else {
        return;
    };
    let namespace = selected_namespace(&spec, report).unwrap_or(own_namespace);
    let scope = Scope {
        settings: ctx.settings,
        server_name: suggest_server_name(kind, name, namespace),
    };
    let Some(endpoints) = spec.list(kind.endpoints_key(), report) else {
        return;
    };
    for (_, ep) in endpoints.objs(report) {
        let view = endpoint::read(&ep, report);
        rules::check(&view, &scope, report);
        cross_check(&view, own_namespace, ctx, report);
    }
}

/// R1 and R2 for one endpoint (SPEC section 12): the Secrets it reads are
/// looked up only when it reads any.
fn cross_check(view: &endpoint::EndpointView, namespace: &str, ctx: &Ctx, report: &mut Report) {
    use crate::crosscheck::{r1_server_name, r2_issued, ScrapeTls, SecretRef};
    let (Some(lookups), Some(tls)) = (ctx.lookups, &view.tls) else {
        return;
    };
    let refs = [
        ("ca.secret", tls.ca.secret_name, "CA"),
        ("cert.secret", tls.cert.secret_name, "client certificate"),
        ("keySecret", tls.key_secret.flatten(), "client key"),
    ];
    let secrets: Vec<SecretRef> = refs
        .into_iter()
        .filter_map(|(field, name, holds)| {
            name.map(|secret| SecretRef {
                path: tls.path.child(field).child("name"),
                secret,
                holds,
            })
        })
        .collect();
    let scrape = ScrapeTls {
        ca_secret: tls.ca.secret_name,
        server_name: tls.server_name.map(|n| (tls.path.child("serverName"), n)),
        verifies: view.verifies(),
        secrets,
    };
    if !scrape.needs_lookup() {
        return;
    }
    let Some(certs) =
        lookups.certificates(namespace, (crate::rule::Rule::R2, &scrape.secrets[0].path))
    else {
        return;
    };
    r1_server_name(&scrape, &certs, namespace, report);
    r2_issued(
        &scrape.secrets,
        &certs,
        namespace,
        &ctx.settings.metrics_cert_secret_name,
        report,
    );
}

/// The namespace of the scraped targets when `namespaceSelector` says it:
/// its only `matchNames` entry, or `""` (unknown) when it selects several.
/// `None` means the monitor's own namespace.
fn selected_namespace<'a>(spec: &Obj<'a>, report: &mut Report) -> Option<&'a str> {
    let sel = spec.obj("namespaceSelector", report)?;
    let names = sel.list("matchNames", report).map(|l| l.strs(report));
    if sel.bool("any", report) == Some(true) {
        return Some("");
    }
    match names.as_deref() {
        Some([(_, only)]) => Some(only),
        Some([_, _, ..]) => Some(""),
        _ => None,
    }
}

/// The `serverName` to suggest: `<service>.<namespace>.svc` with what the
/// monitor tells. A Kubebuilder monitor `<p>-metrics-monitor` scrapes the
/// Service `<p>-metrics-service`; other ServiceMonitors are commonly named
/// like their Service (kube-prometheus, Helm charts), which the suggestion
/// says is a guess. A PodMonitor names no Service.
pub fn suggest_server_name(kind: MonitorKind, name: Option<&str>, namespace: &str) -> String {
    let ns = if namespace.is_empty() {
        "<namespace>"
    } else {
        namespace
    };
    let name = name.filter(|n| !n.is_empty());
    match (kind, name) {
        (MonitorKind::ServiceMonitor, Some(n)) => match n.strip_suffix("-metrics-monitor") {
            Some(prefix) if !prefix.is_empty() => format!("{prefix}-metrics-service.{ns}.svc"),
            _ => format!("{n}.{ns}.svc (if {n} is the name of the Service it scrapes)"),
        },
        _ => format!("<service>.{ns}.svc"),
    }
}
