//! The endpoint rules of SPEC section 3, one pure function each, named after
//! the rule id. Each takes the endpoint view and appends what it finds; none
//! stops another.

use super::endpoint::{EndpointView, Scheme, Transport};
use crate::report::Report;
use crate::rule::Rule;
use crate::settings::{CertManagement, Settings};

/// What the rules may consult besides the endpoint.
#[derive(Clone, Debug)]
pub struct Scope<'a> {
    pub settings: &'a Settings,
    /// The `serverName` to suggest, e.g. `<service>.kueue-system.svc`.
    pub server_name: String,
}

impl Scope<'_> {
    /// What to write so the scrape verifies the metrics certificate.
    fn verify_hint(&self, ep: &EndpointView) -> String {
        let tls = ep.tls.as_ref();
        let mut steps = Vec::new();
        if tls.is_none_or(|t| !t.has_trust_anchor()) {
            steps.push(format!(
                "reference the CA from the metrics certificate Secret (tlsConfig.ca.secret: {{name: {}, key: ca.crt}})",
                self.settings.metrics_cert_secret_name
            ));
        }
        if tls.is_none_or(|t| t.server_name.is_none()) {
            steps.push(format!("set serverName: {}", self.server_name));
        }
        steps.join(" and ")
    }
}

/// Runs every rule on one endpoint.
pub fn check(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    scheme_known(ep, report);
    m1_skip_verify(ep, scope, report);
    m2_half_client_pair(ep, scope, report);
    m3_conflicting_sources(ep, report);
    m4_tls_ignored(ep, report);
    m5_credentials_exposed(ep, scope, report);
    m6_plaintext(ep, scope, report);
    m7_tls_versions(ep, report);
    m8_trust_anchor(ep, scope, report);
    w_server_name(ep, scope, report);
}

/// `scheme` must be `http` or `https` (any case); otherwise the
/// scheme-dependent rules are skipped for the endpoint.
pub fn scheme_known(ep: &EndpointView, report: &mut Report) {
    if let Scheme::Given(s) = ep.scheme {
        if ep.transport() == Transport::Unknown {
            report.invalid(
                Rule::Invalid,
                ep.field("scheme"),
                format!("{s:?} is not a scrape scheme; use https (or http)"),
            );
        }
    }
}

/// M1: `insecureSkipVerify: true` is rejected, or accepted with a warning
/// when `allowInsecureSkipVerify` (only possible with internal certificates).
pub fn m1_skip_verify(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    if !ep.skips_verify() {
        return;
    }
    let path = ep.tls_field("insecureSkipVerify");
    let hint = scope.verify_hint(ep);
    let todo = if hint.is_empty() {
        "remove insecureSkipVerify".to_string()
    } else {
        format!("{hint}, then remove insecureSkipVerify")
    };
    let s = scope.settings;
    if s.allow_insecure_skip_verify && s.cert_management == CertManagement::Internal {
        report.warn(
            Rule::M1,
            &path,
            format!(
                "insecureSkipVerify: true is accepted because allowInsecureSkipVerify is set, but the scrape does not verify the metrics certificate; once the certificates are issued externally, {todo}"
            ),
        );
    } else {
        report.forbidden(
            Rule::M1,
            path,
            format!(
                "insecureSkipVerify: true turns off verification of the metrics certificate, so anyone on the network path can impersonate the target; {todo}"
            ),
        );
    }
}

/// M2: a client certificate without a client key, or the reverse.
pub fn m2_half_client_pair(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    let Some(tls) = &ep.tls else { return };
    let secret = scope.settings.metrics_cert_secret_name.as_str();
    let (cert, key) = (tls.has_client_cert(), tls.has_client_key());
    if cert && !key {
        let (have, missing, fix) = match tls.cert_file {
            Some(file) => (
                format!("certFile {file}"),
                "keyFile",
                "set keyFile to the key file that belongs to it".to_string(),
            ),
            None => {
                let which = if tls.cert.secret {
                    "secret"
                } else {
                    "configMap"
                };
                let name = tls.cert.secret_name.unwrap_or(secret);
                (
                    format!("cert.{which}"),
                    "keySecret",
                    format!("set keySecret: {{name: {name}, key: tls.key}}"),
                )
            }
        };
        report.required(
            Rule::M2,
            ep.tls_field(missing),
            format!("the client certificate ({have}) is set but the client key is missing, so the scrape cannot present it; {fix}, or remove the client certificate"),
        );
    }
    if key && !cert {
        let (have, missing, fix) = match tls.key_file {
            Some(file) => (
                format!("keyFile {file}"),
                "certFile",
                "set certFile to the certificate file that belongs to it".to_string(),
            ),
            None => {
                let name = tls.key_secret.flatten().unwrap_or(secret);
                (
                    "keySecret".to_string(),
                    "cert",
                    format!("set cert.secret: {{name: {name}, key: tls.crt}}"),
                )
            }
        };
        report.required(
            Rule::M2,
            ep.tls_field(missing),
            format!("the client key ({have}) is set but the client certificate is missing, so the scrape cannot present it; {fix}, or remove the client key"),
        );
    }
}

/// M3: two sources for the same thing.
pub fn m3_conflicting_sources(ep: &EndpointView, report: &mut Report) {
    let Some(tls) = &ep.tls else { return };
    let pairs = [
        ("ca", tls.ca.is_set(), "caFile", tls.ca_file.is_some()),
        (
            "cert",
            tls.cert.is_set(),
            "certFile",
            tls.cert_file.is_some(),
        ),
        (
            "keySecret",
            tls.key_secret.is_some(),
            "keyFile",
            tls.key_file.is_some(),
        ),
    ];
    for (object, object_set, file, file_set) in pairs {
        if object_set && file_set {
            report.conflict(
                Rule::M3,
                ep.tls_field(file),
                format!("both {object} and {file} are set; the Prometheus operator refuses a TLS config with two sources for the same thing, so keep only one of them"),
            );
        }
    }
    for (name, src) in [("ca", &tls.ca), ("cert", &tls.cert)] {
        if src.secret && src.config_map {
            report.conflict(
                Rule::M3,
                ep.tls_field(name).child("configMap"),
                format!("{name} sets both secret and configMap; keep only one of them"),
            );
        }
    }
}

/// M4: a TLS config over `http` is silently unused.
pub fn m4_tls_ignored(ep: &EndpointView, report: &mut Report) {
    let Some(tls) = &ep.tls else { return };
    if ep.transport() != Transport::Http || !tls.sets_anything {
        return;
    }
    let scheme = match ep.scheme {
        Scheme::Given(s) => format!("scheme is {s}"),
        _ => "scheme is not set, which means http".to_string(),
    };
    report.invalid(
        Rule::M4,
        tls.path.clone(),
        format!("tlsConfig is set but {scheme}, so the TLS settings are ignored and metrics travel in plaintext; set scheme: https"),
    );
}

/// M5: credentials sent over `http` or to an unverified server. Never
/// relaxed by `allowInsecureSkipVerify`.
pub fn m5_credentials_exposed(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    let http = ep.transport() == Transport::Http;
    let skip = ep.skips_verify();
    if !(http || skip) {
        return;
    }
    let why = match (http, skip) {
        (true, true) => "in plaintext over http and without verifying the server",
        (true, false) => "in plaintext over http, readable by anyone on the network path",
        _ => "to a server whose certificate is not verified (insecureSkipVerify: true), so whoever answers receives them",
    };
    let mut todo = Vec::new();
    if http {
        todo.push("set scheme: https".to_string());
    }
    if skip {
        let hint = scope.verify_hint(ep);
        todo.push(if hint.is_empty() {
            "remove insecureSkipVerify".to_string()
        } else {
            format!("{hint}, then remove insecureSkipVerify")
        });
        if scope.settings.allow_insecure_skip_verify {
            todo.push("allowInsecureSkipVerify does not cover credentials".to_string());
        }
    } else if ep.tls.as_ref().is_none_or(|t| !t.has_trust_anchor()) {
        todo.push(scope.verify_hint(ep));
    }
    todo.retain(|t| !t.is_empty());
    for field in &ep.credentials {
        report.forbidden(
            Rule::M5,
            ep.field(field),
            format!("{field} sends credentials {why}; {}", todo.join("; ")),
        );
    }
}

/// M6: with `requireHttps`, a scheme other than `https`.
pub fn m6_plaintext(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    if !scope.settings.require_https || ep.transport() != Transport::Http {
        return;
    }
    let scheme = match ep.scheme {
        Scheme::Given(s) => format!("scheme {s}"),
        _ => "an absent scheme (which means http)".to_string(),
    };
    let mut todo = vec!["set scheme: https".to_string(), scope.verify_hint(ep)];
    todo.retain(|t| !t.is_empty());
    report.forbidden(
        Rule::M6,
        ep.field("scheme"),
        format!(
            "requireHttps is set and {scheme} scrapes in plaintext; {}",
            todo.join("; ")
        ),
    );
}

const TLS_VERSIONS: [&str; 4] = ["TLS10", "TLS11", "TLS12", "TLS13"];

/// M7: unknown or deprecated TLS versions, and `minVersion` above `maxVersion`.
pub fn m7_tls_versions(ep: &EndpointView, report: &mut Report) {
    let Some(tls) = &ep.tls else { return };
    let mut rank = |field: &str, value: Option<&str>| -> Option<usize> {
        let v = value?;
        let path = tls.path.child(field);
        match TLS_VERSIONS.iter().position(|t| *t == v) {
            Some(i @ (0 | 1)) => {
                report.forbidden(
                    Rule::M7,
                    path,
                    format!("{v} is deprecated by RFC 8996; use TLS12 or TLS13"),
                );
                Some(i)
            }
            Some(i) => Some(i),
            None => {
                let hint = match TLS_VERSIONS.iter().find(|t| t.eq_ignore_ascii_case(v)) {
                    Some(t) => format!("write it as {t}"),
                    None => "use TLS12 or TLS13 (the values are TLS10, TLS11, TLS12, TLS13)".into(),
                };
                report.invalid(
                    Rule::M7,
                    path,
                    format!("{v:?} is not a TLS version; {hint}"),
                );
                None
            }
        }
    };
    let min = rank("minVersion", tls.min_version);
    let max = rank("maxVersion", tls.max_version);
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            report.invalid(
                Rule::M7,
                tls.path.child("minVersion"),
                format!("minVersion {} is above maxVersion {}, so no TLS version can be negotiated; lower minVersion or raise maxVersion", TLS_VERSIONS[lo], TLS_VERSIONS[hi]),
            );
        }
    }
}

/// M8: with external certificates, an `https` endpoint must name a CA.
pub fn m8_trust_anchor(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    if scope.settings.cert_management != CertManagement::External
        || ep.transport() != Transport::Https
        || ep.tls.as_ref().is_some_and(|t| t.has_trust_anchor())
    {
        return;
    }
    report.required(
        Rule::M8,
        ep.tls_field("ca"),
        format!("with certManagement: external the metrics certificate is issued externally and every scrape must verify it; {}; a caFile naming a CA bundle mounted into Prometheus works too", scope.verify_hint(ep)),
    );
}

/// W-serverName: a verifying `https` endpoint without `serverName`.
pub fn w_server_name(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    let Some(tls) = &ep.tls else { return };
    if ep.transport() != Transport::Https || !ep.verifies() || tls.server_name.is_some() {
        return;
    }
    report.warn(
        Rule::WServerName,
        &ep.tls_field("serverName"),
        format!("the endpoint verifies the server certificate but sets no serverName; Prometheus scrapes targets by IP, so verification fails unless the certificate carries the pod IP; set serverName: {}", scope.server_name),
    );
}
