//! cert-manager Certificate rules (SPEC section 4).
//!
//! Only metrics certificates are judged: those whose `spec.secretName` is the
//! metrics certificate Secret (`metricsCertSecretName`) or that carry the
//! annotation `secure-metrics/metrics-certificate: "true"`. Every other
//! Certificate is accepted untouched. A metrics certificate is read once into
//! a [`CertificateView`]; the rules C1..C4 are pure functions over it.

use crate::cluster::Lookups;
use crate::context::Ctx;
use crate::names::{
    dns_name_problem, is_dns_name, label_placeholder, labels_of, service_namespace,
};
use crate::report::{FieldPath, Report};
use crate::rule::Rule;
use crate::settings::{CertManagement, Settings};
use crate::view::Obj;
use serde_json::Value;

/// The annotation that marks a Certificate as a metrics certificate.
pub(crate) const METRICS_CERT_ANNOTATION: &str = "secure-metrics/metrics-certificate";

/// A metrics certificate, read once for the rules.
#[derive(Clone, Debug)]
pub(crate) struct CertificateView<'a> {
    /// The field that made it a metrics certificate (where C1 points).
    pub recognised_at: FieldPath,
    /// Why it is a metrics certificate, for messages.
    pub recognised_why: String,
    /// `metadata.namespace`, else the request's namespace (may be empty).
    pub namespace: String,
    pub spec: FieldPath,
    /// `dnsNames` absent, `null` or `[]` (a wrong type is not "missing").
    pub dns_names_missing: bool,
    /// The string entries of `dnsNames` with their index.
    pub dns_names: Vec<(usize, &'a str)>,
    /// The string entries of `usages`; `None` when absent or `[]`.
    pub usages: Option<Vec<&'a str>>,
    pub is_ca: Option<bool>,
}

/// Reads `object` as a metrics certificate; `None` for any other Certificate.
/// Wrong JSON types of the fields read are reported.
pub(crate) fn read<'a>(
    object: &Obj<'a>,
    ctx: &Ctx,
    report: &mut Report,
) -> Option<CertificateView<'a>> {
    let spec = object.obj("spec", report);
    let metadata = object.obj("metadata", report);
    let secret_name = spec.as_ref().and_then(|s| s.str("secretName", report));
    let annotated = metadata.as_ref().and_then(|m| annotated(m, report));
    let (recognised_at, recognised_why) = match (&spec, secret_name, annotated) {
        (Some(s), Some(name), _) if ctx.settings.is_metrics_secret(name) => (
            s.path_of("secretName"),
            format!("its Secret {name:?} is the policy's metricsCertSecretName"),
        ),
        (_, _, Some(path)) => (
            path,
            format!("it is annotated {METRICS_CERT_ANNOTATION}: \"true\""),
        ),
        _ => return None,
    };
    let namespace = metadata
        .as_ref()
        .and_then(|m| m.str("namespace", report))
        .filter(|ns| !ns.is_empty())
        .unwrap_or(ctx.request_namespace)
        .to_string();
    let spec_path = object.path_of("spec");
    let dns_list = spec.as_ref().and_then(|s| s.list("dnsNames", report));
    // Absent, null or []; a spec or dnsNames of the wrong type is a type error only.
    let dns_names_missing = match &spec {
        Some(s) => !s.has("dnsNames") || dns_list.as_ref().is_some_and(|l| l.is_empty()),
        None => !object.has("spec"),
    };
    let dns_names = dns_list.map(|l| l.strs(report)).unwrap_or_default();
    let usages = spec
        .as_ref()
        .and_then(|s| s.list("usages", report))
        .filter(|l| !l.is_empty())
        .map(|l| l.strs(report).into_iter().map(|(_, u)| u).collect());
    let is_ca = spec.as_ref().and_then(|s| s.bool("isCA", report));
    Some(CertificateView {
        recognised_at,
        recognised_why,
        namespace,
        spec: spec_path,
        dns_names_missing,
        dns_names,
        usages,
        is_ca,
    })
}

/// The path of the metrics certificate annotation when it is `"true"`.
fn annotated(metadata: &Obj, report: &mut Report) -> Option<FieldPath> {
    let annotations = metadata.obj("annotations", report)?;
    let path = annotations.path.key(METRICS_CERT_ANNOTATION);
    match annotations.get(METRICS_CERT_ANNOTATION)? {
        Value::String(v) => (v == "true").then_some(path),
        other => {
            report.type_invalid(path, "string (\"true\")", other);
            None
        }
    }
}

/// Reviews a Certificate: metrics certificates against C1..C4, all findings
/// collected.
pub(crate) fn review(object: &Obj, ctx: &Ctx, lookups: Option<&Lookups>, report: &mut Report) {
    let Some(cert) = read(object, ctx, report) else {
        return;
    };
    c1_mode(&cert, ctx.settings, report);
    c2_names(&cert, report);
    c3_usages(&cert, report);
    c4_not_ca(&cert, report);
    r3_services(&cert, lookups, report);
}

/// R3 (SPEC section 12): the Services the metrics certificate names in its
/// namespace exist; looked up only when it names one.
fn r3_services(cert: &CertificateView, lookups: Option<&Lookups>, report: &mut Report) {
    use crate::crosscheck::{r3_missing_services, r3_services};
    let Some(lookups) = lookups else {
        return;
    };
    let names: Vec<(FieldPath, &str)> = cert
        .dns_names
        .iter()
        .map(|(i, n)| (cert.spec.child("dnsNames").index(*i), *n))
        .collect();
    let wanted = r3_services(&names, &cert.namespace);
    let Some((first, _)) = wanted.first() else {
        return;
    };
    if let Some(services) = lookups.services(&cert.namespace, (Rule::R3, first)) {
        let names: Vec<String> = services.into_iter().map(|s| s.name).collect();
        r3_missing_services(&wanted, &names, &cert.namespace, report);
    }
}

/// C1: with `certManagement: internal`, a cert-manager metrics certificate is
/// KEP-4377's unsupported combination.
pub(crate) fn c1_mode(cert: &CertificateView, settings: &Settings, report: &mut Report) {
    if settings.cert_management != CertManagement::Internal {
        return;
    }
    report.forbidden(
        Rule::C1,
        cert.recognised_at.clone(),
        format!(
            "this Certificate issues the metrics certificate ({}), but the policy's certManagement is internal, where components issue their own self-signed metrics certificates; internal certificate management together with cert-manager metrics certificates is the unsupported combination of KEP-4377. Set the policy's certManagement to external (or auto), or delete this Certificate and let the component issue its own",
            cert.recognised_why
        ),
    );
}

/// The namespace for messages: the real one, or a placeholder when unknown.
fn ns_or_hint<'v>(cert: &'v CertificateView) -> &'v str {
    if cert.namespace.is_empty() {
        "<namespace>"
    } else {
        &cert.namespace
    }
}

/// C2: the names must be present, valid, filled in, and in this namespace.
pub(crate) fn c2_names(cert: &CertificateView, report: &mut Report) {
    let path = cert.spec.child("dnsNames");
    let ns = ns_or_hint(cert);
    if cert.dns_names_missing {
        report.required(
            Rule::C2,
            path.clone(),
            format!(
                "a metrics serving certificate needs the names Prometheus connects to; list the metrics Service, e.g. \"<service>.{ns}.svc\" and \"<service>.{ns}.svc.cluster.local\""
            ),
        );
    }
    for &(i, name) in &cert.dns_names {
        if let Some(detail) = c2_name(name, &cert.namespace, ns) {
            report.invalid(Rule::C2, path.index(i), detail);
        }
    }
}

/// What is wrong with one DNS name, if anything.
fn c2_name(name: &str, namespace: &str, ns: &str) -> Option<String> {
    // A valid name holds no placeholder (one needs a capital or a `$`):
    // only its namespace is left to check.
    if !is_dns_name(name, true) {
        if let Some(detail) = c2_syntax(name, ns) {
            return Some(detail);
        }
    }
    let (i, other) = service_namespace(name)?;
    if namespace.is_empty() || other == namespace {
        return None;
    }
    let fixed: Vec<&str> = labels_of(name)
        .into_iter()
        .enumerate()
        .map(|(j, l)| if j == i { namespace } else { l })
        .collect();
    Some(format!(
        "{name:?} names a Service in namespace {other:?}, expected namespace {namespace:?} (the Certificate's own): the metrics Secret, and the workload and Service that use it, live there, so Prometheus reaches the metrics endpoint as {:?}",
        fixed.join(".")
    ))
}

/// What is wrong with a name that is not a DNS name: the placeholders it
/// still holds, or its syntax.
fn c2_syntax(name: &str, ns: &str) -> Option<String> {
    // Dots inside an envsubst `${NAME:=a.b}` do not split (SPEC 16).
    let labels = labels_of(name);
    let found: Vec<&str> = labels.iter().filter_map(|l| label_placeholder(l)).collect();
    if !found.is_empty() {
        let ns_index = service_namespace(name).map(|(i, _)| i);
        let fixed: Vec<String> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| match label_placeholder(l) {
                Some(_) if Some(i) == ns_index => ns.to_string(),
                Some(p) => format!("<{}>", p.to_ascii_lowercase().replace('_', "-")),
                None => l.to_string(),
            })
            .collect();
        let s = if found.len() == 1 { "" } else { "s" };
        if name.contains("${") {
            return Some(format!(
                "{name:?} still holds the envsubst placeholder{s} {}: the variables were not set when the manifest was rendered (clusterctl, envsubst), so the certificate would not carry the name Prometheus connects to; render it with the variables set, or write the real name, e.g. {:?}",
                found.join(", "),
                fixed.join(".")
            ));
        }
        return Some(format!(
            "{name:?} still holds the kustomize placeholder{s} {}: the kustomize replacements (the replacements section of config/default/kustomization.yaml) were not applied; enable them and build with kustomize, or write the real name, e.g. {:?}",
            found.join(", "),
            fixed.join(".")
        ));
    }
    if let Some(problem) = dns_name_problem(name, true) {
        let lower = name.to_ascii_lowercase();
        let hint = if is_dns_name(&lower, true) {
            format!("; use {lower:?}")
        } else {
            String::new()
        };
        return Some(format!(
            "{name:?} is not a valid DNS name (RFC 1123, lower case, a leading \"*.\" allowed): {problem}{hint}"
        ));
    }
    None
}

/// C3: explicit usages must allow serving TLS.
pub(crate) fn c3_usages(cert: &CertificateView, report: &mut Report) {
    let Some(usages) = &cert.usages else {
        return;
    };
    if usages.contains(&"server auth") {
        return;
    }
    report.invalid(
        Rule::C3,
        cert.spec.child("usages"),
        format!(
            "usages {usages:?} lack \"server auth\": the metrics server presents this certificate to Prometheus, which refuses a serving certificate whose extended key usage does not allow server authentication; add \"server auth\" (keep \"client auth\" if Prometheus also uses it as its client certificate), or remove usages to take cert-manager's defaults"
        ),
    );
}

/// C4: a serving certificate must not be a CA.
pub(crate) fn c4_not_ca(cert: &CertificateView, report: &mut Report) {
    if cert.is_ca != Some(true) {
        return;
    }
    report.forbidden(
        Rule::C4,
        cert.spec.child("isCA"),
        "a metrics serving certificate must not be a CA: its key sits in the metrics Secret mounted into the workload, and whoever reads it can sign certificates that Prometheus trusts; remove isCA (or set it to false) and issue the serving certificate from a CA Issuer",
    );
}

#[cfg(test)]
mod tests {
    use crate::settings::{CertManagement, Settings};
    use crate::testing::{findings, fixture, report};
    use serde_json::{json, Value};

    const SVC: &str = "project-controller-manager-metrics-service";
    const ANNOTATION_PATH: &str = "metadata.annotations[secure-metrics/metrics-certificate]";

    /// Kubebuilder's metrics Certificate, rendered for namespace
    /// `project-system`, with `spec` fields overridden (`null` removes one).
    fn metrics(overrides: Value) -> Value {
        let mut spec = json!({
            "dnsNames": [format!("{SVC}.project-system.svc"), format!("{SVC}.project-system.svc.cluster.local")],
            "issuerRef": {"kind": "Issuer", "name": "project-selfsigned-issuer"},
            "secretName": "metrics-server-cert",
        });
        if let (Some(s), Some(o)) = (spec.as_object_mut(), overrides.as_object()) {
            for (k, v) in o {
                if v.is_null() {
                    s.remove(k);
                } else {
                    s.insert(k.clone(), v.clone());
                }
            }
        }
        json!({
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "project-metrics-certs", "namespace": "project-system"},
            "spec": spec,
        })
    }

    fn names(names: Value) -> Value {
        metrics(json!({ "dnsNames": names }))
    }

    fn with_metadata(mut object: Value, metadata: Value) -> Value {
        object["metadata"] = metadata;
        object
    }

    fn annotated(value: Value, overrides: Value) -> Value {
        let mut o = metrics(overrides);
        o["spec"]["secretName"] = json!("my-operator-metrics-tls");
        o["metadata"]["annotations"] = json!({ "secure-metrics/metrics-certificate": value });
        o
    }

    fn mode(m: CertManagement) -> Settings {
        Settings {
            cert_management: m,
            ..Settings::default()
        }
    }

    type Case = (
        &'static str,
        Value,
        Settings,
        Vec<(&'static str, &'static str)>,
    );

    fn check(cases: Vec<Case>) {
        for (name, object, settings, expected) in cases {
            let (r, mutated) = report("Certificate", object, &settings);
            let expected: Vec<(String, String)> = expected
                .into_iter()
                .map(|(rule, path)| (rule.to_string(), path.to_string()))
                .collect();
            assert_eq!(findings(&r), expected, "{name}: {:#?}", r.violations);
            assert!(mutated.is_none(), "{name}: a Certificate is never mutated");
        }
    }

    #[test]
    fn recognition() {
        use CertManagement::Internal;
        let webhook = metrics(json!({"secretName": "webhook-server-cert", "isCA": true,
            "dnsNames": ["SERVICE_NAME.SERVICE_NAMESPACE.svc", "Odd_Name"], "usages": ["client auth"]}));
        let kueue = Settings {
            metrics_cert_secret_name: "kueue-metrics-server-cert".into(),
            ..mode(Internal)
        };
        check(vec![
            (
                "other certificates are untouched",
                webhook.clone(),
                mode(Internal),
                vec![],
            ),
            (
                "annotation not \"true\"",
                annotated(json!("True"), json!({"isCA": true})),
                mode(Internal),
                vec![],
            ),
            (
                "annotation false",
                annotated(json!("false"), json!({})),
                mode(Internal),
                vec![],
            ),
            (
                "annotation recognises",
                annotated(json!("true"), json!({})),
                mode(Internal),
                vec![("C1", ANNOTATION_PATH)],
            ),
            (
                "secretName wins over annotation",
                with_metadata(
                    metrics(json!({})),
                    json!({"namespace": "project-system", "annotations": {"secure-metrics/metrics-certificate": "true"}}),
                ),
                mode(Internal),
                vec![("C1", "spec.secretName")],
            ),
            (
                "metricsCertSecretName is a setting",
                metrics(json!({"secretName": "kueue-metrics-server-cert"})),
                kueue.clone(),
                vec![("C1", "spec.secretName")],
            ),
            (
                "the default name is then another Secret",
                metrics(json!({})),
                kueue,
                vec![],
            ),
            (
                "secretName of the wrong type",
                metrics(json!({"secretName": 7, "isCA": true})),
                mode(Internal),
                vec![("type", "spec.secretName")],
            ),
            (
                "annotation of the wrong type",
                annotated(json!(true), json!({"isCA": true})),
                mode(Internal),
                vec![("type", ANNOTATION_PATH)],
            ),
            (
                "annotations of the wrong type",
                with_metadata(webhook, json!({"annotations": []})),
                mode(Internal),
                vec![("type", "metadata.annotations")],
            ),
            (
                "spec of the wrong type, recognised by annotation",
                with_metadata(
                    json!({"spec": "metrics-server-cert"}),
                    json!({"annotations": {"secure-metrics/metrics-certificate": "true"}}),
                ),
                Settings::default(),
                vec![("type", "spec")],
            ),
            (
                "no spec at all",
                with_metadata(
                    json!({}),
                    json!({"annotations": {"secure-metrics/metrics-certificate": "true"}}),
                ),
                Settings::default(),
                vec![("C2", "spec.dnsNames")],
            ),
        ]);
    }

    #[test]
    fn c1_mode_mismatch() {
        use CertManagement::{Auto, External, Internal};
        check(vec![
            (
                "internal",
                metrics(json!({})),
                mode(Internal),
                vec![("C1", "spec.secretName")],
            ),
            (
                "internal, annotated",
                annotated(json!("true"), json!({})),
                mode(Internal),
                vec![("C1", ANNOTATION_PATH)],
            ),
            ("auto", metrics(json!({})), mode(Auto), vec![]),
            ("external", metrics(json!({})), mode(External), vec![]),
            (
                "external, annotated",
                annotated(json!("true"), json!({})),
                mode(External),
                vec![],
            ),
        ]);
    }

    #[test]
    fn c2_dns_names() {
        let s = Settings::default;
        check(vec![
            (
                "rendered Kubebuilder names",
                metrics(json!({})),
                s(),
                vec![],
            ),
            (
                "svc only",
                names(json!([format!("{SVC}.project-system.svc")])),
                s(),
                vec![],
            ),
            (
                "cluster.local only",
                names(json!([format!("{SVC}.project-system.svc.cluster.local")])),
                s(),
                vec![],
            ),
            (
                "wildcard in namespace",
                names(json!([
                    "*.project-system.svc",
                    "*.project-system.svc.cluster.local"
                ])),
                s(),
                vec![],
            ),
            (
                "names outside the cluster are not namespace-checked",
                names(json!(["metrics.example.com", "pod.m.other.svc"])),
                s(),
                vec![],
            ),
            (
                "placeholders",
                names(json!([
                    "SERVICE_NAME.SERVICE_NAMESPACE.svc",
                    "SERVICE_NAME.SERVICE_NAMESPACE.svc.cluster.local"
                ])),
                s(),
                vec![("C2", "spec.dnsNames[0]"), ("C2", "spec.dnsNames[1]")],
            ),
            (
                "one placeholder",
                names(json!([format!("{SVC}.SERVICE_NAMESPACE.svc")])),
                s(),
                vec![("C2", "spec.dnsNames[0]")],
            ),
            (
                "kustomize vars",
                names(json!([
                    "$(METRICS_SERVICE_NAME).$(METRICS_SERVICE_NAMESPACE).svc"
                ])),
                s(),
                vec![("C2", "spec.dnsNames[0]")],
            ),
            (
                "wildcard placeholder",
                names(json!(["*.SERVICE_NAMESPACE.svc"])),
                s(),
                vec![("C2", "spec.dnsNames[0]")],
            ),
            (
                "envsubst placeholders (clusterctl templates, SPEC 16)",
                names(json!([
                    "${SERVICE_NAME:=capi-webhook-service}.${NAMESPACE}.svc",
                    format!("{SVC}.${{NAMESPACE:-project-system}}.svc.cluster.local"),
                    "${METRICS_DNS_NAME:=metrics.project-system.svc}"
                ])),
                s(),
                vec![
                    ("C2", "spec.dnsNames[0]"),
                    ("C2", "spec.dnsNames[1]"),
                    ("C2", "spec.dnsNames[2]"),
                ],
            ),
            (
                "envsubst rendered",
                names(json!([format!("{SVC}.project-system.svc")])),
                s(),
                vec![],
            ),
            (
                "wrong namespace",
                names(json!([
                    format!("{SVC}.system.svc"),
                    format!("{SVC}.project-system.svc")
                ])),
                s(),
                vec![("C2", "spec.dnsNames[0]")],
            ),
            (
                "wrong namespace, cluster.local",
                names(json!([
                    format!("{SVC}.project-system.svc"),
                    format!("{SVC}.default.svc.cluster.local")
                ])),
                s(),
                vec![("C2", "spec.dnsNames[1]")],
            ),
            (
                "wildcard in another namespace",
                names(json!(["*.kueue-system.svc"])),
                s(),
                vec![("C2", "spec.dnsNames[0]")],
            ),
            (
                "namespace from the request",
                with_metadata(
                    names(json!(["m.default.svc", "m.project-system.svc"])),
                    json!({"name": "c"}),
                ),
                s(),
                vec![("C2", "spec.dnsNames[1]")],
            ),
            (
                "empty namespace falls back to the request",
                with_metadata(names(json!(["m.default.svc"])), json!({"namespace": ""})),
                s(),
                vec![],
            ),
            (
                "invalid names",
                names(json!([
                    "Metrics.project-system.svc",
                    "metrics_svc.project-system.svc",
                    "a..svc",
                    "",
                    "a.*.svc",
                    "m.project-system.svc."
                ])),
                s(),
                vec![
                    ("C2", "spec.dnsNames[0]"),
                    ("C2", "spec.dnsNames[1]"),
                    ("C2", "spec.dnsNames[2]"),
                    ("C2", "spec.dnsNames[3]"),
                    ("C2", "spec.dnsNames[4]"),
                    ("C2", "spec.dnsNames[5]"),
                ],
            ),
            (
                "empty",
                names(json!([])),
                s(),
                vec![("C2", "spec.dnsNames")],
            ),
            (
                "null",
                names(Value::Null),
                s(),
                vec![("C2", "spec.dnsNames")],
            ),
            (
                "absent",
                metrics(json!({"dnsNames": null, "commonName": "metrics"})),
                s(),
                vec![("C2", "spec.dnsNames")],
            ),
            (
                "a string, not a list",
                names(json!(format!("{SVC}.project-system.svc"))),
                s(),
                vec![("type", "spec.dnsNames")],
            ),
            (
                "an element not a string",
                names(json!([5, format!("{SVC}.project-system.svc")])),
                s(),
                vec![("type", "spec.dnsNames[0]")],
            ),
            (
                "metadata.namespace of the wrong type",
                with_metadata(names(json!(["m.default.svc"])), json!({"namespace": 1})),
                s(),
                vec![("type", "metadata.namespace")],
            ),
        ]);
    }

    #[test]
    fn c3_usages() {
        let s = Settings::default;
        let u = |usages: Value| metrics(json!({ "usages": usages }));
        check(vec![
            ("absent", metrics(json!({})), s(), vec![]),
            ("empty counts as not given", u(json!([])), s(), vec![]),
            (
                "server auth",
                u(json!([
                    "digital signature",
                    "key encipherment",
                    "server auth"
                ])),
                s(),
                vec![],
            ),
            (
                "server and client auth",
                u(json!(["server auth", "client auth"])),
                s(),
                vec![],
            ),
            (
                "client auth only",
                u(json!([
                    "digital signature",
                    "key encipherment",
                    "client auth"
                ])),
                s(),
                vec![("C3", "spec.usages")],
            ),
            (
                "an object",
                u(json!({"server auth": true})),
                s(),
                vec![("type", "spec.usages")],
            ),
            (
                "an element not a string",
                u(json!(["server auth", 5])),
                s(),
                vec![("type", "spec.usages[1]")],
            ),
            (
                "no string element",
                u(json!([5])),
                s(),
                vec![("type", "spec.usages[0]"), ("C3", "spec.usages")],
            ),
        ]);
    }

    #[test]
    fn c4_not_a_ca() {
        let s = Settings::default;
        check(vec![
            (
                "isCA true",
                metrics(json!({"isCA": true})),
                s(),
                vec![("C4", "spec.isCA")],
            ),
            ("isCA false", metrics(json!({"isCA": false})), s(), vec![]),
            (
                "isCA a string",
                metrics(json!({"isCA": "true"})),
                s(),
                vec![("type", "spec.isCA")],
            ),
            (
                "a CA that is not the metrics certificate",
                metrics(json!({"isCA": true, "secretName": "root-ca"})),
                s(),
                vec![],
            ),
        ]);
    }

    #[test]
    fn every_violation_is_collected() {
        let object = metrics(json!({
            "dnsNames": ["SERVICE_NAME.SERVICE_NAMESPACE.svc", "m.default.svc", 3],
            "usages": ["client auth"],
            "isCA": true,
        }));
        check(vec![(
            "all rules",
            object,
            mode(CertManagement::Internal),
            vec![
                ("type", "spec.dnsNames[2]"),
                ("C1", "spec.secretName"),
                ("C2", "spec.dnsNames[0]"),
                ("C2", "spec.dnsNames[1]"),
                ("C3", "spec.usages"),
                ("C4", "spec.isCA"),
            ],
        )]);
    }

    fn message(name: &str, settings: Value) -> String {
        let r = fixture(&format!("certificates/{name}"), settings, false);
        r.message.unwrap_or_default()
    }

    fn assert_has(message: &str, parts: &[&str]) {
        for p in parts {
            assert!(message.contains(p), "{message:?} lacks {p:?}");
        }
    }

    #[test]
    fn fixtures_accepted() {
        for (name, settings) in [
            ("kubebuilder-metrics-certs.json", json!({})),
            (
                "kubebuilder-metrics-certs.json",
                json!({"certManagement": "external"}),
            ),
            (
                "kueue-metrics-cert.json",
                json!({"metricsCertSecretName": "kueue-metrics-server-cert"}),
            ),
            (
                "kueue-metrics-cert.json",
                json!({"certManagement": "internal"}),
            ),
            (
                "webhook-serving-cert.json",
                json!({"certManagement": "internal"}),
            ),
            ("annotated-metrics-cert.json", json!({})),
            ("server-auth-usages.json", json!({})),
            ("wildcard-metrics-cert.json", json!({})),
            (
                "delete-metrics-certs.json",
                json!({"certManagement": "internal"}),
            ),
        ] {
            let r = fixture(&format!("certificates/{name}"), settings, true);
            assert!(r.message.is_none() && r.mutated_object.is_none(), "{name}");
        }
    }

    #[test]
    fn fixture_messages() {
        let m = message(
            "kubebuilder-metrics-certs.json",
            json!({"certManagement": "internal"}),
        );
        assert_has(
            &m,
            &[
                "Certificate project-system/project-metrics-certs: spec.secretName: Forbidden",
                "KEP-4377",
                "certManagement to external",
                "delete this Certificate",
                "[C1]",
            ],
        );
        let m = message(
            "annotated-metrics-cert.json",
            json!({"certManagement": "internal"}),
        );
        assert_has(
            &m,
            &[
                ANNOTATION_PATH,
                "annotated secure-metrics/metrics-certificate",
                "[C1]",
            ],
        );
        let m = message(
            "kueue-metrics-cert.json",
            json!({"certManagement": "internal", "metricsCertSecretName": "kueue-metrics-server-cert"}),
        );
        assert_has(
            &m,
            &[
                "Certificate kueue-system/kueue-metrics-cert: spec.secretName",
                "[C1]",
            ],
        );
        let m = message("kubebuilder-metrics-certs-unrendered.json", json!({}));
        assert_has(
            &m,
            &[
                "has 2 problems",
                "spec.dnsNames[0]: Invalid value",
                "spec.dnsNames[1]",
                "placeholders SERVICE_NAME, SERVICE_NAMESPACE",
                "config/default/kustomization.yaml",
                "\"<service-name>.project-system.svc\"",
                "\"<service-name>.project-system.svc.cluster.local\"",
            ],
        );
        assert!(!m.contains("not a valid DNS name"), "{m}");
        // clusterctl renders `${VAR:=default}`; applied unrendered (SPEC 16).
        let m = message(
            "clusterctl-metrics-cert-envsubst.json",
            json!({"metricsCertSecretName": "capi-metrics-server-cert"}),
        );
        assert_has(
            &m,
            &[
                "has 2 problems",
                "spec.dnsNames[0]: Invalid value",
                "spec.dnsNames[1]",
                "envsubst placeholder CAPI_NAMESPACE",
                "\"capi-controller-manager-metrics-service.capi-system.svc\"",
                "[C2]",
            ],
        );
        assert!(!m.contains("not a valid DNS name"), "{m}");
        fixture(
            "certificates/clusterctl-metrics-cert-rendered.json",
            json!({"metricsCertSecretName": "capi-metrics-server-cert"}),
            true,
        );
        let m = message("wrong-namespace.json", json!({}));
        assert_has(
            &m,
            &[
                "spec.dnsNames[0]: Invalid value",
                "namespace \"system\"",
                "expected namespace \"project-system\"",
                "\"project-controller-manager-metrics-service.project-system.svc\"",
                "[C2]",
            ],
        );
        let m = message("no-dns-names.json", json!({}));
        assert_has(
            &m,
            &[
                "spec.dnsNames: Required value",
                "\"<service>.project-system.svc\"",
                "\"<service>.project-system.svc.cluster.local\"",
                "[C2]",
            ],
        );
        let m = message("client-auth-usages.json", json!({}));
        assert_has(
            &m,
            &["spec.usages: Invalid value", "lack \"server auth\"", "[C3]"],
        );
        let m = message("ca-certificate.json", json!({}));
        assert_has(&m, &["spec.isCA: Forbidden", "must not be a CA", "[C4]"]);
        let m = message("type-errors.json", json!({}));
        assert_has(
            &m,
            &[
                "has 3 problems",
                "spec.dnsNames: Invalid type: expected list, got string",
                "spec.usages: Invalid type: expected list, got object",
                "spec.isCA: Invalid type: expected boolean, got string",
            ],
        );
        let m = message("all-problems.json", json!({"certManagement": "internal"}));
        assert_has(
            &m,
            &[
                "has 5 problems",
                "[C1]",
                "spec.dnsNames[0]",
                "spec.dnsNames[1]",
                "[C3]",
                "[C4]",
            ],
        );
    }

    #[test]
    fn invalid_names_say_why() {
        let (r, _) = report(
            "Certificate",
            names(json!(["Metrics.project-system.svc", "a.*.svc"])),
            &Settings::default(),
        );
        let details: Vec<&str> = r.violations.iter().map(|v| v.detail.as_str()).collect();
        assert!(
            details[0].contains("upper-case")
                && details[0].contains("use \"metrics.project-system.svc\""),
            "{details:?}"
        );
        assert!(details[1].contains("whole first label"), "{details:?}");
    }
}
