//! Cross-object rules R1, R2 and R3 (SPEC section 12): the scrape, its
//! certificate and its Service agree.
//!
//! Pure functions over small inputs (what a monitor endpoint or a workload
//! references, what a Certificate names) and the looked-up objects; the
//! callers read their object and make the lookups through
//! [`crate::cluster::Lookups`] only when one of these rules has something to
//! check.
//!
//! - **R1** an endpoint that verifies with `ca.secret.name: S` and a
//!   `serverName: N`, where a Certificate of the monitor's namespace writes
//!   `S`: `N` must be one of its `dnsNames` (or `ipAddresses`), or match a
//!   wildcard one, as Go's `x509.VerifyHostname` reads them (case-insensitive,
//!   a trailing dot ignored, `*.x` matching exactly one label). Rejected
//!   otherwise: the scrape would fail with an x509 name mismatch.
//! - **R2** (warning) a Secret read by an endpoint (CA, client certificate or
//!   key) or mounted as a workload's metrics certificate that no Certificate
//!   of the namespace writes; when a metrics Certificate writes another
//!   Secret, the warning asks "did you mean ...".
//! - **R3** (warning) a metrics Certificate's `<svc>.<ns>.svc` (or
//!   `.svc.cluster.local`) name whose Service does not exist.

use crate::cluster::CertInfo;
use crate::report::{FieldPath, Report};
use crate::rule::Rule;
use crate::settings::{CertManagement, Settings};
use std::net::IpAddr;

/// What an endpoint's TLS configuration tells R1 and R2.
#[derive(Clone, Debug, Default)]
pub(crate) struct ScrapeTls<'a> {
    /// The Secret of the trust anchor (`ca.secret.name`, GKE `tls.ca.secret`).
    pub(crate) ca_secret: Option<&'a str>,
    /// `serverName` and its path.
    pub(crate) server_name: Option<(FieldPath, &'a str)>,
    /// The endpoint verifies the server (a trust anchor, no insecureSkipVerify).
    pub(crate) verifies: bool,
    /// Every Secret the endpoint reads, with the field and what it holds.
    pub(crate) secrets: Vec<SecretRef<'a>>,
}

impl ScrapeTls<'_> {
    /// The rule whose check needs the Certificates of the namespace, and the
    /// field a failed lookup is reported at; `None` when neither R1 (a
    /// verified scrape with a CA Secret and a `serverName`) nor R2 (only in
    /// `external` mode, SPEC 16) has anything to check: then no lookup is
    /// made and no lookup warning given (SPEC 13).
    pub(crate) fn lookup_for(&self, settings: &Settings) -> Option<(Rule, &FieldPath)> {
        if settings.cert_management == CertManagement::External {
            if let Some(first) = self.secrets.first() {
                return Some((Rule::R2, &first.path));
            }
        }
        match (self.ca_secret, &self.server_name, self.verifies) {
            (Some(_), Some((path, _)), true) => Some((Rule::R1, path)),
            _ => None,
        }
    }
}

/// A Secret read by a monitor endpoint or mounted by a workload.
#[derive(Clone, Debug)]
pub(crate) struct SecretRef<'a> {
    pub(crate) path: FieldPath,
    pub(crate) secret: &'a str,
    /// "CA", "client certificate", "metrics certificate", ...
    pub(crate) holds: &'static str,
}

/// Go's `x509` host name matching for one certified name (RFC 6125 as Go
/// applies it): case-insensitive, trailing dots ignored, a wildcard only as
/// the whole leftmost label, matching exactly one non-empty label.
pub(crate) fn name_matches(certified: &str, host: &str) -> bool {
    let certified = certified.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || certified.is_empty() {
        return false;
    }
    match certified.strip_prefix("*.") {
        Some(rest) if !rest.is_empty() && !rest.contains('*') => match host.split_once('.') {
            Some((label, host_rest)) => !label.is_empty() && host_rest == rest,
            None => false,
        },
        _ => certified == host,
    }
}

/// Whether `cert` certifies `server_name` (a DNS name or an IP address).
pub(crate) fn certifies(cert: &CertInfo, server_name: &str) -> bool {
    let bare = server_name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return cert
            .ip_addresses
            .iter()
            .any(|a| a.parse::<IpAddr>().ok() == Some(ip));
    }
    cert.dns_names.iter().any(|n| name_matches(n, server_name))
}

fn quoted(names: &[String]) -> String {
    if names.is_empty() {
        return "none".to_string();
    }
    let q: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    q.join(", ")
}

/// R1: the endpoint's `serverName` is certified by the Certificate that
/// writes its CA Secret.
pub(crate) fn r1_server_name(
    tls: &ScrapeTls,
    certs: &[CertInfo],
    namespace: &str,
    report: &mut Report,
) {
    let (Some(ca), Some((path, server_name)), true) =
        (tls.ca_secret, &tls.server_name, tls.verifies)
    else {
        return;
    };
    let issuers: Vec<&CertInfo> = certs.iter().filter(|c| c.secret_name == ca).collect();
    if issuers.is_empty() || issuers.iter().any(|c| certifies(c, server_name)) {
        return;
    }
    for cert in issuers {
        let mut names = cert.dns_names.clone();
        names.extend(cert.ip_addresses.iter().cloned());
        report.invalid(
            Rule::R1,
            path.clone(),
            format!(
                "serverName {server_name:?} is not certified by Certificate {namespace}/{} \
                 (it writes the CA Secret {ca:?}), whose names are {}: the scrape would fail \
                 with \"x509: certificate is valid for ..., not {server_name}\"; set serverName \
                 to one of those names, or add {server_name:?} to the Certificate's dnsNames",
                cert.name,
                quoted(&names)
            ),
        );
    }
}

/// R2: every Secret referenced is written by a Certificate of the namespace.
/// Only in `external` mode (SPEC 16): there the admin declared cert-manager
/// the metrics issuer; elsewhere operators (CloudNativePG), Jobs
/// (kube-webhook-certgen) and OpenShift's service CA write such Secrets.
pub(crate) fn r2_issued(
    refs: &[SecretRef],
    certs: &[CertInfo],
    namespace: &str,
    settings: &crate::settings::Settings,
    report: &mut Report,
) {
    if settings.cert_management != crate::settings::CertManagement::External {
        return;
    }
    for r in refs {
        if certs.iter().any(|c| c.secret_name == r.secret) {
            continue;
        }
        let mut candidates: Vec<String> = certs
            .iter()
            .filter(|c| c.is_metrics(settings))
            .map(|c| format!("{:?} (written by Certificate {})", c.secret_name, c.name))
            .collect();
        candidates.dedup();
        let hint = if candidates.is_empty() {
            // Short: the Secret is named before, and a warning has 256 bytes.
            "create a cert-manager Certificate that writes it (spec.secretName), or fix the name"
                .to_string()
        } else {
            format!("did you mean {}?", candidates.join(" or "))
        };
        report.warn(
            Rule::R2,
            &r.path,
            format!(
                // What is wrong first, the Secret's name in it: a warning
                // cut to its room (long names) keeps "no Certificate writes
                // Secret ..." and the hint.
                "no Certificate writes Secret {:?} ({}) in namespace \
                 {namespace:?}, so nothing issues or renews it; {hint}",
                r.secret, r.holds
            ),
        );
    }
}

/// The Services a metrics Certificate's names point to in its own
/// namespace: `(path, service)` for each `<svc>.<ns>.svc` or
/// `<svc>.<ns>.svc.cluster.local`.
pub(crate) fn r3_services<'a>(
    dns_names: &[(FieldPath, &'a str)],
    namespace: &str,
) -> Vec<(FieldPath, &'a str)> {
    dns_names
        .iter()
        .filter_map(|(path, name)| {
            let rest = name
                .strip_suffix(".svc.cluster.local")
                .or_else(|| name.strip_suffix(".svc"))?;
            let (svc, ns) = rest.split_once('.')?;
            // A name no Service can have (a placeholder, upper case) is C2's:
            // "create the Service" would be no advice.
            (ns == namespace && crate::names::is_dns1123_label(svc)).then(|| (path.clone(), svc))
        })
        .collect()
}

/// R3: the Services a metrics Certificate names exist.
pub(crate) fn r3_missing_services(
    wanted: &[(FieldPath, &str)],
    services: &[String],
    namespace: &str,
    report: &mut Report,
) {
    for (path, svc) in wanted {
        if services.iter().any(|s| s == svc) {
            continue;
        }
        report.warn(
            Rule::R3,
            path,
            format!(
                "the Service {svc:?} does not exist in namespace {namespace:?}: Prometheus \
                 reaches the metrics endpoint through a Service, and no scrape will use this \
                 name; name the metrics Service here (or create it)"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(name: &str, secret: &str, dns: &[&str]) -> CertInfo {
        CertInfo {
            name: name.into(),
            secret_name: secret.into(),
            dns_names: dns.iter().map(|s| s.to_string()).collect(),
            ip_addresses: vec![],
            annotated_metrics: false,
        }
    }

    const SN: &str = "spec.endpoints[0].tlsConfig.serverName";

    fn tls<'a>(ca: &'a str, server_name: &'a str, verifies: bool) -> ScrapeTls<'a> {
        let base = FieldPath::root().child("spec").child("endpoints").index(0);
        ScrapeTls {
            ca_secret: Some(ca),
            server_name: Some((base.child("tlsConfig").child("serverName"), server_name)),
            verifies,
            secrets: vec![SecretRef {
                path: base.child("tlsConfig.ca.secret.name"),
                secret: ca,
                holds: "CA",
            }],
        }
    }

    fn r1(t: &ScrapeTls, certs: &[CertInfo]) -> Report {
        let mut r = Report::new();
        r1_server_name(t, certs, "project-system", &mut r);
        r
    }

    #[test]
    fn r1_server_name_table() {
        let kubebuilder = cert(
            "project-metrics-certs",
            "metrics-server-cert",
            &[
                "project-controller-manager-metrics-service.project-system.svc",
                "project-controller-manager-metrics-service.project-system.svc.cluster.local",
            ],
        );
        let wildcard = cert("wild", "metrics-server-cert", &["*.project-system.svc"]);
        let svc = "project-controller-manager-metrics-service.project-system.svc";
        let cases: Vec<(&str, ScrapeTls, Vec<CertInfo>, bool)> = vec![
            (
                "match",
                tls("metrics-server-cert", svc, true),
                vec![kubebuilder.clone()],
                true,
            ),
            (
                "match, case and trailing dot",
                tls(
                    "metrics-server-cert",
                    "Project-Controller-Manager-Metrics-Service.project-system.svc.",
                    true,
                ),
                vec![kubebuilder.clone()],
                true,
            ),
            (
                "mismatch",
                tls(
                    "metrics-server-cert",
                    "controller-manager-metrics-service.project-system.svc",
                    true,
                ),
                vec![kubebuilder.clone()],
                false,
            ),
            (
                "wildcard, one label",
                tls("metrics-server-cert", "metrics.project-system.svc", true),
                vec![wildcard.clone()],
                true,
            ),
            (
                "wildcard, two labels",
                tls("metrics-server-cert", "a.metrics.project-system.svc", true),
                vec![wildcard.clone()],
                false,
            ),
            (
                "wildcard, bare domain",
                tls("metrics-server-cert", "project-system.svc", true),
                vec![wildcard.clone()],
                false,
            ),
            (
                "no Certificate writes the CA",
                tls("other-ca", "x.y.svc", true),
                vec![kubebuilder.clone()],
                true,
            ),
            (
                "no Certificate at all",
                tls("metrics-server-cert", "x.y.svc", true),
                vec![],
                true,
            ),
            (
                "not verifying",
                tls("metrics-server-cert", "x.y.svc", false),
                vec![kubebuilder.clone()],
                true,
            ),
            (
                "one of two Certificates writing the Secret certifies it",
                tls("metrics-server-cert", "metrics.project-system.svc", true),
                vec![kubebuilder.clone(), wildcard.clone()],
                true,
            ),
        ];
        for (name, t, certs, ok) in cases {
            let r = r1(&t, &certs);
            assert_eq!(r.is_clean(), ok, "{name}: {:?}", r.violations);
            if !ok {
                let v = &r.violations[0];
                assert_eq!((v.rule, v.path.as_str()), (Rule::R1, SN), "{name}");
                assert!(
                    v.detail.contains("Certificate project-system/"),
                    "{name}: {}",
                    v.detail
                );
                assert!(v.detail.contains("x509"), "{name}");
            }
        }
    }

    #[test]
    fn r1_ip_server_name() {
        let mut c = cert("ip", "s", &[]);
        c.ip_addresses = vec!["10.0.0.1".into()];
        assert!(certifies(&c, "10.0.0.1"));
        assert!(!certifies(&c, "10.0.0.2"));
        assert!(!certifies(&cert("dns", "s", &["10.0.0.1"]), "10.0.0.1"));
    }

    /// R2 in `external` mode, the only mode it warns in (SPEC 16).
    /// R2 in external mode, with Kueue's metrics Secret a metrics
    /// certificate Secret (`*-metrics-server-cert`).
    fn r2(refs: &[SecretRef], certs: &[CertInfo]) -> Report {
        let mut r = Report::new();
        let external =
            crate::review::validate_settings(&serde_json::json!({"certManagement": "external",
            "metricsCertSecretName": ["metrics-server-cert", "*-metrics-server-cert"]}))
            .unwrap();
        r2_issued(refs, certs, "kueue-system", &external, &mut r);
        r
    }

    #[test]
    fn r2_issued_table() {
        let path = FieldPath::root().child("spec.endpoints[0].tlsConfig.ca.secret.name");
        let refs = |s: &'static str| {
            vec![SecretRef {
                path: path.clone(),
                secret: s,
                holds: "CA",
            }]
        };
        let kueue_metrics = cert(
            "kueue-metrics-cert",
            "kueue-metrics-server-cert",
            &["kueue-controller-manager-metrics-service.kueue-system.svc"],
        );
        let kueue_webhook = cert("kueue-serving-cert", "kueue-webhook-server-cert", &[]);
        // Kueue: the monitor reads metrics-server-cert, the Certificate writes kueue-metrics-server-cert.
        let r = r2(
            &refs("metrics-server-cert"),
            &[kueue_webhook.clone(), kueue_metrics.clone()],
        );
        assert_eq!(r.warnings.len(), 1);
        let w = &r.warnings[0];
        assert!(
            crate::testing::warns(
                w,
                Rule::R2,
                "spec.endpoints[0].tlsConfig.ca.secret.name",
                ""
            ),
            "{w:?}"
        );
        assert!(w.detail.contains("did you mean \"kueue-metrics-server-cert\" (written by Certificate kueue-metrics-cert)"), "{w:?}");
        assert!(
            !w.detail.contains("kueue-webhook-server-cert"),
            "only metrics Certificates are candidates: {w:?}"
        );
        // Issued: nothing to say.
        assert!(r2(
            &refs("kueue-metrics-server-cert"),
            std::slice::from_ref(&kueue_metrics)
        )
        .warnings
        .is_empty());
        // Not in auto or internal mode, where operators, Jobs and
        // OpenShift's service CA write such Secrets themselves.
        for mode in [
            crate::settings::CertManagement::Auto,
            crate::settings::CertManagement::Internal,
        ] {
            let mut r = Report::new();
            let s = crate::settings::Settings {
                cert_management: mode,
                ..Default::default()
            };
            r2_issued(
                &refs("metrics-server-cert"),
                std::slice::from_ref(&kueue_webhook),
                "kueue-system",
                &s,
                &mut r,
            );
            assert!(r.warnings.is_empty(), "{mode}: {:?}", r.warnings);
        }
        // No metrics Certificate: no guess, advice to create one.
        let r = r2(&refs("metrics-server-cert"), &[kueue_webhook]);
        assert!(
            !r.warnings[0].detail.contains("did you mean"),
            "{:?}",
            r.warnings
        );
        assert!(r.warnings[0].detail.starts_with(
            "no Certificate writes Secret \"metrics-server-cert\" (CA) in namespace \"kueue-system\""
        ));
        assert!(r.warnings[0]
            .detail
            .contains("create a cert-manager Certificate that writes it (spec.secretName)"));
        // Never a rejection.
        assert!(r.is_clean());
    }

    #[test]
    fn r3_missing_service_table() {
        let p = |i| FieldPath::root().child("spec").child("dnsNames").index(i);
        let names = vec![
            (p(0), "metrics-svc.project-system.svc"),
            (p(1), "metrics-svc.project-system.svc.cluster.local"),
            (p(2), "gone.project-system.svc"),
            (p(3), "other.elsewhere.svc"),
            (p(4), "metrics.example.com"),
            (p(5), "*.project-system.svc"),
        ];
        // Not Service names: C2 rejects them, R3 says nothing.
        for bad in [
            "${SVC:-capi-metrics}.project-system.svc",
            "METRICS.project-system.svc",
            "*.project-system.svc",
        ] {
            assert!(
                r3_services(&[(FieldPath::root(), bad)], "project-system").is_empty(),
                "{bad}"
            );
        }
        let wanted = r3_services(&names, "project-system");
        assert_eq!(wanted.len(), 3, "{wanted:?}");
        let mut r = Report::new();
        r3_missing_services(&wanted, &["metrics-svc".into()], "project-system", &mut r);
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(crate::testing::warns(
            &r.warnings[0],
            Rule::R3,
            "spec.dnsNames[2]",
            "the Service \"gone\""
        ));
        assert!(r.is_clean());
    }
}

/// The rules through the router, on the fixtures of `test_data/cross-object/`,
/// with a fake cluster: lookups only when a rule needs them, one warning when
/// they fail, none with `crossObjectChecks: false`.
#[cfg(test)]
mod review_tests {
    use crate::cluster::fake::FakeCluster;
    use crate::cluster::LookupKind;
    use crate::review::{review_with, Target};
    use crate::rule::Rule;
    use crate::settings::Settings;
    use kubewarden_policy_sdk::request::KubernetesAdmissionRequest;
    use serde_json::{json, Value};

    fn fixture(name: &str) -> KubernetesAdmissionRequest {
        let path = format!("{}/test_data/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The settings `v`, with `crossObjectChecks: true` unless `v` sets it
    /// (the default is `false`, SPEC 16: these tests need the lookups).
    fn settings(mut v: Value) -> Settings {
        if let Value::Object(map) = &mut v {
            map.entry("crossObjectChecks").or_insert(Value::Bool(true));
        }
        crate::review::validate_settings(&v).unwrap()
    }

    /// Kueue's metrics certificate Secret names: its kustomize prefix makes
    /// the Secret `kueue-metrics-server-cert` (SPEC 14's example).
    const KUEUE_SECRETS: [&str; 2] = ["metrics-server-cert", "*-metrics-server-cert"];

    /// Kueue's Certificates (the replay session kueue-certificates.yml).
    fn kueue() -> FakeCluster {
        FakeCluster::default().with(
            LookupKind::Certificate,
            "kueue-system",
            vec![
                json!({"metadata": {"name": "kueue-metrics-cert"},
                       "spec": {"secretName": "kueue-metrics-server-cert", "dnsNames": [
                           "kueue-controller-manager-metrics-service.kueue-system.svc",
                           "kueue-controller-manager-metrics-service.kueue-system.svc.cluster.local"]}}),
                json!({"metadata": {"name": "kueue-serving-cert"},
                       "spec": {"secretName": "kueue-webhook-server-cert"}}),
            ],
        )
    }

    fn ids(v: &crate::report::Verdict) -> Vec<(Rule, &str)> {
        v.report
            .violations
            .iter()
            .map(|x| (x.rule, x.path.as_str()))
            .collect()
    }

    #[test]
    fn r1_fixtures() {
        let c = kueue();
        let s = settings(json!({}));
        let v = review_with(
            &mut fixture("cross-object/kueue-servicemonitor-servername-mismatch.json"),
            &s,
            Some(&c),
        );
        assert_eq!(
            ids(&v),
            vec![(Rule::R1, "spec.endpoints[0].tlsConfig.serverName")]
        );
        assert!(v.report.warnings.is_empty(), "{:?}", v.report.warnings);
        let v = review_with(
            &mut fixture("cross-object/kueue-servicemonitor-verified.json"),
            &s,
            Some(&c),
        );
        assert!(v.report.is_clean() && v.report.warnings.is_empty(), "{v:?}");
        assert_eq!(c.calls.borrow().len(), 2, "one lookup per request");
    }

    #[test]
    fn r2_fixture_kueue_did_you_mean() {
        let c = kueue();
        let v = review_with(
            &mut fixture("cross-object/kueue-servicemonitor-reads-metrics-server-cert.json"),
            &settings(
                json!({"certManagement": "external", "metricsCertSecretName": KUEUE_SECRETS}),
            ),
            Some(&c),
        );
        assert!(v.report.is_clean());
        assert_eq!(v.report.warnings.len(), 3, "CA, certificate and key");
        assert!(v.report.warnings[0]
            .detail
            .contains("did you mean \"kueue-metrics-server-cert\""));
        // With the default name, Kueue's prefixed Certificate is not a
        // metrics Certificate (SPEC 4): no candidate.
        let v = review_with(
            &mut fixture("cross-object/kueue-servicemonitor-reads-metrics-server-cert.json"),
            &settings(json!({"certManagement": "external"})),
            Some(&kueue()),
        );
        assert_eq!(v.report.warnings.len(), 3, "CA, certificate and key");
        assert!(
            !v.report.warnings[0].detail.contains("did you mean"),
            "{:?}",
            v.report.warnings[0]
        );
    }

    /// One exit (issue: R2 depended on which exit the workload review
    /// took): R2 is reported when another violation rejects the object and
    /// when the repair's plan conflicts, as when nothing is repaired.
    #[test]
    fn r2_runs_on_every_exit_of_the_workload_review() {
        let deployment = |containers: Value, volumes: Value| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "guestbook-controller-manager", "namespace": "guestbook-system"},
                   "spec": {"template": {"spec": {"containers": containers, "volumes": volumes}}}})
        };
        let external = settings(json!({"certManagement": "external"}));
        let run = |object: Value| {
            let c =
                FakeCluster::default().with(LookupKind::Certificate, "guestbook-system", vec![]);
            let mut req = crate::testing::request("Deployment", "guestbook-system", object);
            review_with(&mut req, &external, Some(&c))
        };
        let r2 = |v: &crate::report::Verdict| {
            v.report
                .warnings
                .iter()
                .filter(|w| w.rule == Rule::R2)
                .count()
        };
        let metrics_volume =
            json!({"name": "metrics-certs", "secret": {"secretName": "metrics-server-cert"}});
        let proxy = json!({"name": "kube-rbac-proxy", "image": "quay.io/brancz/kube-rbac-proxy:v0.19.1",
            "args": ["--secure-listen-address=0.0.0.0:8443", "--upstream=http://127.0.0.1:8080/"],
            "volumeMounts": [{"name": "proxy-tls", "mountPath": "/tmp/k8s-metrics-server/metrics-certs", "readOnly": true}]});
        let proxy_volume = json!({"name": "proxy-tls", "secret": {"secretName": "proxy-tls"}});
        // Rejected by W3 while W5 would repair: the review stops after the plan.
        let plaintext = deployment(
            json!([{"name": "manager", "image": "controller:latest",
                    "args": ["--metrics-bind-address=:8443", "--metrics-secure=false", "--metrics-cert-path=/certs"]},
                   proxy.clone()]),
            json!([metrics_volume, proxy_volume.clone()]),
        );
        let v = run(plaintext);
        assert!(v.report.has_rule(Rule::W3) && v.mutated.is_none(), "{v:?}");
        assert_eq!(r2(&v), 1, "{:?}", v.report.warnings);
        // The plan conflicts: W5 needs the metrics Secret's volume, and a
        // volume of that name holds something else.
        let conflict = deployment(
            json!([{"name": "manager", "image": "controller:latest",
                    "args": ["--metrics-bind-address=127.0.0.1:8443", "--metrics-cert-path=/certs"]},
                   proxy]),
            json!([{"name": "metrics-certs", "emptyDir": {}}, proxy_volume]),
        );
        let v = run(conflict);
        assert!(
            v.mutated.is_none() && !v.report.violations.is_empty(),
            "{v:?}"
        );
        assert_eq!(r2(&v), 1, "{v:?}");
        // Repaired (W5 mounts the metrics Secret; a Certificate writes it):
        // R2 runs on verify's reading of the repaired object, and still
        // finds the proxy's unissued Secret.
        let repaired = deployment(
            json!([{"name": "manager", "image": "controller:latest",
                    "args": ["--metrics-bind-address=127.0.0.1:8443", "--metrics-cert-path=/certs"]},
                   proxy]),
            json!([proxy_volume]),
        );
        let c = FakeCluster::default().with(
            LookupKind::Certificate,
            "guestbook-system",
            vec![json!({"metadata": {"name": "metrics-certs"},
                        "spec": {"secretName": "metrics-server-cert"}})],
        );
        let mut req = crate::testing::request("Deployment", "guestbook-system", repaired);
        let v = review_with(&mut req, &external, Some(&c));
        assert!(v.mutated.is_some() && v.report.is_clean(), "{v:?}");
        assert_eq!(r2(&v), 1, "{:?}", v.report.warnings);
        assert!(
            v.report
                .warnings
                .iter()
                .any(|w| w.rule == Rule::R2 && w.detail.contains("proxy-tls")),
            "{:?}",
            v.report.warnings
        );
    }

    #[test]
    fn x3_injects_no_mount_of_a_secret_no_certificate_writes() {
        // Kubebuilder with cert-manager webhooks (and --webhook-cert-path,
        // the evidence SPEC 9 asks for): with lookups and no Certificate of
        // its namespace writing metrics-server-cert, nothing is injected
        // (SPEC 14) and X3 warns in auto mode; R2 stays silent (SPEC 16).
        let c = FakeCluster::default();
        let v = review_with(
            &mut fixture("workloads/kubebuilder-webhooks-without-metrics-cert.json"),
            &settings(json!({})),
            Some(&c),
        );
        assert!(v.mutated.is_none(), "{v:?}");
        assert_eq!(v.report.warnings.len(), 1, "{:?}", v.report.warnings);
        let w = &v.report.warnings[0];
        assert!(
            crate::testing::warns(w, Rule::X3, "spec.template.spec.containers[0]", ""),
            "{w:?}"
        );
        assert!(w.detail.contains("no cert-manager Certificate in namespace \"guestbook-system\" writes Secret \"metrics-server-cert\""), "{w:?}");
    }

    #[test]
    fn r3_fixture() {
        let services = |names: &[&str]| {
            FakeCluster::default().with(
                LookupKind::Service,
                "project-system",
                names
                    .iter()
                    .map(|n| json!({"metadata": {"name": n}}))
                    .collect(),
            )
        };
        let req = fixture("certificates/kubebuilder-metrics-certs.json");
        let s = settings(json!({}));
        let v = review_with(
            &mut req.clone(),
            &s,
            Some(&services(&["project-webhook-service"])),
        );
        assert_eq!(v.report.warnings.len(), 2, "{:?}", v.report.warnings);
        assert!(crate::testing::warns(
            &v.report.warnings[0],
            Rule::R3,
            "spec.dnsNames[0]",
            ""
        ));
        let ok = services(&["project-controller-manager-metrics-service"]);
        assert!(review_with(&mut req.clone(), &s, Some(&ok))
            .report
            .warnings
            .is_empty());
    }

    #[test]
    fn x4_fixtures_in_every_mode() {
        let internal = fixture("cross-object/kueue-manager-config-internal-certs.json");
        let external = fixture("cross-object/kueue-manager-config-cert-manager.json");
        let path = "data[controller_manager_config.yaml]";
        let cases = [
            ("external", &internal, kueue(), vec![(Rule::X4, path)]),
            ("external", &external, kueue(), vec![]),
            ("internal", &external, kueue(), vec![(Rule::X4, path)]),
            ("internal", &internal, kueue(), vec![]),
            ("auto", &internal, kueue(), vec![(Rule::X4, path)]),
            ("auto", &internal, FakeCluster::default(), vec![]),
            ("auto", &external, kueue(), vec![]),
        ];
        for (mode, req, cluster, want) in cases {
            let v = review_with(
                &mut req.clone(),
                &settings(
                    json!({ "certManagement": mode, "metricsCertSecretName": KUEUE_SECRETS }),
                ),
                Some(&cluster),
            );
            assert_eq!(ids(&v), want, "{mode}");
            let lookups = cluster.calls.borrow().len();
            assert_eq!(
                lookups,
                usize::from(mode == "auto" && std::ptr::eq(req, &internal)),
                "{mode}"
            );
        }
        let v = review_with(
            &mut fixture("cross-object/kueue-manager-config-enable-string.json"),
            &settings(json!({"certManagement": "external"})),
            None,
        );
        assert_eq!(ids(&v), vec![(Rule::Type, path)]);
    }

    /// SPEC 16: R2 only in external mode, and SPEC 13: a request no
    /// cross-object rule needs makes no lookup. A verified ServiceMonitor
    /// of etcd without serverName (nothing for R1, and no serverName advice
    /// for a control-plane namespace) and the Kubebuilder Deployment with
    /// its metrics Secret mounted look nothing up in auto and internal mode,
    /// and get no lookup warning even from a cluster that refuses.
    #[test]
    fn no_lookup_where_no_rule_needs_one() {
        let mut monitor = fixture("cross-object/kueue-servicemonitor-verified.json");
        if let Some(tls) = monitor.object.pointer_mut("/spec/endpoints/0/tlsConfig") {
            tls.as_object_mut().map(|t| t.remove("serverName"));
        }
        monitor.object["metadata"]["namespace"] = json!("openshift-etcd");
        monitor.namespace = "openshift-etcd".into();
        let deployment = fixture("workloads/kubebuilder-cert-manager.json");
        for mode in ["auto", "internal", "external"] {
            for request in [&monitor, &deployment] {
                let c = FakeCluster::refusing("Policy has not been granted access");
                let v = review_with(
                    &mut request.clone(),
                    &settings(json!({"certManagement": mode})),
                    Some(&c),
                );
                let looked_up = !c.calls.borrow().is_empty();
                assert_eq!(
                    looked_up,
                    mode == "external",
                    "{mode} {}",
                    request.kind.kind
                );
                assert_eq!(v.report.warnings.is_empty(), mode != "external", "{mode}");
            }
        }
    }

    #[test]
    fn lookups_refused_give_one_warning() {
        let c = FakeCluster::refusing("Policy has not been granted access");
        let v = review_with(
            &mut fixture("cross-object/kueue-servicemonitor-servername-mismatch.json"),
            &settings(json!({})),
            Some(&c),
        );
        assert!(v.report.is_clean());
        assert_eq!(v.report.warnings.len(), 1, "{:?}", v.report.warnings);
        // In auto mode the lookup is R1's (R2 warns only in external mode).
        assert!(crate::testing::warns(
            &v.report.warnings[0],
            Rule::R1,
            "spec.endpoints[0].tlsConfig.serverName",
            "cross-object checks"
        ));
        assert!(v.report.warnings[0].detail.contains("(not granted)"));
        assert!(
            !v.report.warnings[0].detail.contains("Policy has"),
            "never the host's text"
        );
    }

    #[test]
    fn cross_object_checks_false_makes_no_lookup() {
        let c = FakeCluster::refusing("must not be asked");
        let s = settings(json!({"crossObjectChecks": false}));
        for name in [
            "cross-object/kueue-servicemonitor-servername-mismatch.json",
            "cross-object/kueue-manager-config-internal-certs.json",
            "certificates/kubebuilder-metrics-certs.json",
            "workloads/kubebuilder-cert-manager.json",
        ] {
            let v = review_with(&mut fixture(name), &s, Some(&c));
            assert!(
                v.report.warnings.is_empty(),
                "{name}: {:?}",
                v.report.warnings
            );
            assert!(v.report.is_clean(), "{name}: {:?}", v.report.violations);
        }
        assert!(c.calls.borrow().is_empty());
    }

    #[test]
    fn requests_no_rule_needs_make_no_lookup() {
        let c = FakeCluster::refusing("must not be asked");
        let s = settings(json!({}));
        for name in [
            "cross-object/grafana-configmap-plain.json",
            "routing/deployment-clean.json",
            "monitors/plain-http.json",
            "certificates/webhook-serving-cert.json",
        ] {
            let v = review_with(&mut fixture(name), &s, Some(&c));
            assert!(
                !v.report
                    .warnings
                    .iter()
                    .any(|w| w.detail.contains("cross-object")),
                "{name}: {:?}",
                v.report.warnings
            );
        }
        assert!(c.calls.borrow().is_empty(), "{:?}", c.calls.borrow());
    }

    #[test]
    fn config_maps_are_routed_and_compared_on_their_data() {
        let mut req = fixture("cross-object/kueue-manager-config-internal-certs.json");
        assert_eq!(Target::of(&req.kind), Some(Target::ConfigMap));
        assert_eq!(Target::ConfigMap.compared_fields(), ["data", "binaryData"]);
        let s = settings(json!({"certManagement": "external"}));
        // An UPDATE that changes only a label is accepted untouched...
        req.operation = "UPDATE".into();
        req.old_object = req.object.clone();
        req.object["metadata"]["labels"]["team"] = json!("batch");
        assert!(review_with(&mut req.clone(), &s, None).report.is_clean());
        // ... one that changes the data is judged.
        req.object["data"]["extra"] = json!("x");
        assert_eq!(
            ids(&review_with(&mut req.clone(), &s, None)),
            vec![(Rule::X4, "data[controller_manager_config.yaml]")]
        );
    }
}
