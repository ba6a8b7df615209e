//! Scrape configuration rules (SPEC sections 3 and 10), for every scrape
//! kind in [`kinds::SCRAPE_KINDS`].
//!
//! Each scrape endpoint is read once into an [`endpoint::EndpointView`],
//! reporting wrong JSON types, with its effective TLS resolved against its
//! scrape class ([`classes`]); then every rule in [`rules`] judges that view.
//! All endpoints are checked; nothing stops early. Prometheus and
//! PrometheusAgent objects are checked at the source: their
//! `spec.scrapeClasses[i].tlsConfig`.
//!
//! Inside, the arrows point one way: `classes` -> `rules` -> `endpoint` ->
//! `tls` (the TLS view and the scrape class it may come from) and
//! `advice` (the `serverName` advice) -> `kinds` -> `relabel`; `sd` reads
//! `endpoint`, `tls` and `rules`. No submodule imports this one.

pub(crate) mod advice;
pub(crate) mod classes;
pub(crate) mod endpoint;
pub(crate) mod kinds;
pub(crate) mod relabel;
pub(crate) mod rules;
pub(crate) mod sd;
pub(crate) mod tls;

#[cfg(test)]
mod scrape_tests;
#[cfg(test)]
mod tests;

use crate::cluster::Lookups;
use crate::context::Ctx;
use crate::report::Report;
use crate::rule::Rule;
use crate::view::Obj;
use advice::ServerNameAdvice;
use kinds::{Endpoints, ScrapeKind, PO_TLS};
use rules::Scope;
use tls::read_tls;
use tls::ClassRef;

/// Checks every endpoint of a scrape object.
pub(crate) fn review<'a>(
    kind: &ScrapeKind,
    object: &Obj<'a>,
    ctx: &Ctx<'a>,
    lookups: Option<&'a Lookups<'a>>,
    report: &mut Report,
) {
    let meta = object.obj("metadata", report);
    // A name of the wrong type is reported; the advice does not use it.
    let _ = meta.as_ref().and_then(|m| m.str("name", report));
    let own_namespace = meta
        .as_ref()
        .and_then(|m| m.str("namespace", report))
        .filter(|ns| !ns.is_empty())
        .unwrap_or(ctx.request_namespace);
    let Some(spec) = object.obj("spec", report) else {
        return;
    };
    let selected = selected_namespaces(&spec);
    let system = kind.node_scrape
        || CONTROL_PLANE_NAMESPACES.contains(&own_namespace)
        || selected
            .as_deref()
            .is_some_and(|s| s.iter().any(|n| CONTROL_PLANE_NAMESPACES.contains(n)));
    let namespaces = match selected {
        None => Some(vec![own_namespace]),
        Some(v) if v.is_empty() => None,
        Some(v) => Some(v),
    };
    let scope = Scope {
        settings: ctx.settings,
        server_name: ServerNameAdvice::new(kind, &spec, namespaces, lookups),
        system,
    };
    let class = classes::resolve(&spec, kind, ctx.settings, report);
    if let ClassRef::Undeclared(n) = &class {
        report.warn(
            Rule::Settings,
            &spec.path_of("scrapeClass"),
            format!("scrape class {n} is not described in the scrapeClasses setting, so the TLS and authorization it adds could not be checked; add it to the setting as it is declared in the Prometheus object"),
        );
    }
    let mut done = CrossChecks::default();
    match kind.endpoints {
        Endpoints::Spec => {
            let view = endpoint::read(&spec, &spec, kind, &class, report);
            rules::check(&view, &scope, report);
            cross_check(&view, kind, own_namespace, ctx, lookups, &mut done, report);
        }
        Endpoints::List(key) => {
            let Some(endpoints) = spec.list(key, report) else {
                return;
            };
            for ep in endpoints.objs(report) {
                let view = endpoint::read(&ep, &spec, kind, &class, report);
                rules::check(&view, &scope, report);
                cross_check(&view, kind, own_namespace, ctx, lookups, &mut done, report);
            }
        }
    }
    if kind.sd_configs {
        sd_configs(&spec, kind, ctx, report);
    }
}

/// At most this many namespaces are looked up for the Secrets of one
/// monitor (each is a host call; GKE references may name any namespace);
/// past it R1 and R2 are skipped with the request's one warning.
const MAX_SECRET_NAMESPACES: usize = 4;

/// What the cross-object checks of one monitor have done so far: the
/// namespaces looked up, and whether the one
/// warning saying why checks were skipped was given (SPEC 12).
#[derive(Debug, Default)]
struct CrossChecks<'a> {
    namespaces: Vec<&'a str>,
    warned: bool,
}

impl CrossChecks<'_> {
    fn warn_once(&mut self, report: &mut Report, path: &crate::report::FieldPath, why: String) {
        if !self.warned {
            self.warned = true;
            report.warn(Rule::R2, path, why);
        }
    }
}

/// R1 and R2 for one endpoint (SPEC sections 12 and 13), on its effective
/// TLS: every scrape kind that reads Secrets; the Certificates of a
/// Secret's namespace are looked up only when the endpoint reads any
/// Secret. The namespace is the one the reference names (GKE's
/// `namespace`), else the monitor's own; a cluster-scoped monitor
/// (ClusterPodMonitoring) has none of its own, so a reference without
/// `namespace` skips R1 and R2 with one warning saying why.
fn cross_check<'a>(
    view: &endpoint::EndpointView<'a>,
    kind: &ScrapeKind,
    namespace: &'a str,
    ctx: &Ctx,
    lookups: Option<&Lookups>,
    done: &mut CrossChecks<'a>,
    report: &mut Report,
) {
    use crate::crosscheck::{r1_server_name, r2_issued, ScrapeTls, SecretRef};
    let Some(lookups) = lookups else {
        return;
    };
    const HOLDS: [&str; 3] = ["CA", "client certificate", "client key"];
    let mut groups: Vec<(&'a str, Vec<endpoint::SecretUse<'a>>)> = Vec::new();
    for s in view.secrets() {
        let ns = match (s.namespace, kind.cluster_scoped) {
            (Some(ns), _) => ns,
            (None, false) => namespace,
            (None, true) => {
                done.warn_once(report, &s.namespace_path, format!(
                    "cross-object checks (R1, R2) skipped for Secret {:?}: {} is cluster-scoped and this reference names no namespace, so the Certificate that should issue the Secret cannot be looked up (and the operator cannot find the Secret either); set namespace to the Secret's namespace",
                    s.name, kind.kind
                ));
                continue;
            }
        };
        match groups.iter_mut().find(|(n, _)| *n == ns) {
            Some((_, g)) => g.push(s),
            None => groups.push((ns, vec![s])),
        }
    }
    for (ns, group) in groups {
        if !done.namespaces.contains(&ns) {
            if done.namespaces.len() == MAX_SECRET_NAMESPACES {
                done.warn_once(report, &group[0].path, format!(
                    "cross-object checks (R1, R2) skipped for Secret {:?} in namespace {ns:?}: this {} reads Secrets from more than {MAX_SECRET_NAMESPACES} namespaces, and only the first {MAX_SECRET_NAMESPACES} are looked up",
                    group[0].name, kind.kind
                ));
                continue;
            }
            done.namespaces.push(ns);
        }
        let scrape = ScrapeTls {
            ca_secret: group.iter().find(|s| s.slot == 0).map(|s| s.name),
            server_name: view
                .server_name()
                .map(|n| (view.tls_field("serverName"), n)),
            verifies: view.verifies(),
            secrets: group
                .iter()
                .map(|s| SecretRef {
                    path: s.path.clone(),
                    secret: s.name,
                    holds: HOLDS[s.slot],
                })
                .collect(),
        };
        let Some(needed) = scrape.lookup_for(ctx.settings) else {
            continue;
        };
        let Some(certs) = lookups.certificates(ns, needed) else {
            return;
        };
        r1_server_name(&scrape, &certs, ns, report);
        r2_issued(&scrape.secrets, &certs, ns, ctx.settings, report);
    }
}

/// `spec.*SDConfigs[i]`: their own client settings (SPEC 10, see [`sd`]).
fn sd_configs(spec: &Obj, kind: &ScrapeKind, ctx: &Ctx, report: &mut Report) {
    // In the object's own order (serde_json keeps it: `preserve_order`).
    let keys = spec.map.keys().filter(|k| k.ends_with("SDConfigs"));
    for key in keys {
        let Some(list) = spec.list(key, report) else {
            continue;
        };
        for i in 0..list.len() {
            if let Some(o) = list.obj(i, report) {
                let view = sd::read(&o, key, kind, report);
                sd::check(&view, ctx.settings, report);
            }
        }
    }
}

/// Prometheus and PrometheusAgent: each `spec.scrapeClasses[i].tlsConfig`
/// is checked by M1, M2, M3 and M7 at the source (a `default: true` class
/// with `insecureSkipVerify: true` would silently apply to every monitor).
pub(crate) fn review_class_source(object: &Obj, ctx: &Ctx, report: &mut Report) {
    let Some(spec) = object.obj("spec", report) else {
        return;
    };
    let Some(list) = spec.list("scrapeClasses", report) else {
        return;
    };
    for class in list.objs(report) {
        if let Some(t) = class.obj("tlsConfig", report) {
            let tls = read_tls(&t, PO_TLS, report);
            rules::check_tls_source(&tls, ctx.settings, true, report);
        }
    }
}

/// The namespaces of the scraped targets when `namespaceSelector` names
/// them (`matchNames`); `Some([])` when it selects any. `None` means the
/// monitor's own namespace.
fn selected_namespaces<'a>(spec: &Obj<'a>) -> Option<Vec<&'a str>> {
    // Read only to phrase advice (which Service `serverName` may name, and
    // whether to suggest one): not type-checked (SPEC 2).
    let report = &mut Report::new();
    let sel = spec.obj("namespaceSelector", report)?;
    let names = sel.list("matchNames", report).map(|l| l.strs(report));
    if sel.bool("any", report) == Some(true) {
        return Some(Vec::new());
    }
    match names {
        Some(n) if !n.is_empty() => Some(n.into_iter().map(|(_, s)| s).collect()),
        _ => None,
    }
}

/// The namespaces whose control-plane targets serve certificates that carry
/// IP addresses (OpenShift; SPEC 16): no `serverName` is suggested there.
pub(crate) const CONTROL_PLANE_NAMESPACES: [&str; 5] = [
    "kube-system",
    "openshift-etcd",
    "openshift-kube-apiserver",
    "openshift-kube-controller-manager",
    "openshift-kube-scheduler",
];
