//! The endpoint rules of SPEC sections 3 and 10, one pure function each,
//! named after the rule id. Each takes the endpoint view (its effective TLS
//! already resolved) and appends what it finds; none stops another.
//!
//! M1, M2, M5, M8 and W-serverName judge the effective configuration (after
//! the scrape class); M3, M4, M7 and M9 judge what the endpoint writes itself.
//! A violation that comes from a class names the endpoint's field and the
//! class.

use super::advice::ServerNameAdvice;
use super::endpoint::{EndpointView, FileUse, OAuth2View, Scheme, Transport};
use super::relabel::Writes;
use super::tls::{ClassUse, TlsView};
use crate::names::placeholders;
use crate::report::{FieldPath, Report};
use crate::rule::Rule;
use crate::settings::{CertManagement, Settings};

/// What the rules may consult besides the endpoint.
#[derive(Clone, Debug)]
pub(crate) struct Scope<'a> {
    pub(crate) settings: &'a Settings,
    /// The `serverName` to suggest: the one Service the monitor's selector
    /// matches, looked up, else no guessed Service (SPEC 16).
    pub(crate) server_name: ServerNameAdvice<'a>,
    /// The monitor scrapes the kubelet, control-plane components or Istio
    /// workloads (a node scrape kind, or the namespace `kube-system` or an
    /// OpenShift control-plane namespace, its own or selected): the metrics
    /// certificate Secret and a `serverName` are never the right advice.
    pub(crate) system: bool,
}

/// Port names kube-prometheus gives the kubelet and control-plane components.
const SYSTEM_PORTS: [&str; 2] = ["https-metrics", "http-metrics"];
/// Where Istio mounts its workload certificates into Prometheus.
const ISTIO_CERTS: &str = "/etc/prom-certs";

impl Scope<'_> {
    /// Whether this endpoint scrapes a well-known system target (SPEC 10 and
    /// 16): also a port whose name contains `etcd` (OpenShift's
    /// `etcd-metrics`).
    pub(crate) fn is_system(&self, ep: &EndpointView) -> bool {
        self.system
            || ep
                .port_name
                .is_some_and(|p| SYSTEM_PORTS.contains(&p) || p.contains("etcd"))
            || ep.tls().is_some_and(|t| {
                [t.ca_file, t.cert_file, t.key_file]
                    .iter()
                    .flatten()
                    .any(|f| f.starts_with(ISTIO_CERTS))
            })
    }

    /// What to write so the scrape verifies the target's certificate.
    fn verify_hint(&self, ep: &EndpointView) -> String {
        let tls = ep.tls();
        if ep.implicit_token {
            let lead = match ep.skips_verify() {
                true => "remove insecureSkipVerify: the collector then verifies",
                false => "the collector verifies",
            };
            return format!("{lead} the kubelet against the cluster CA (its service account ca.crt), which works when the kubelets' serving certificates are signed by it (serverTLSBootstrap); admit kubelets with only self-signed certificates through an exception (the exceptions setting) instead");
        }
        if self.is_system(ep) {
            return "verify against the CA that signed the target's serving certificate (for the kubelet and control-plane components usually the cluster CA, e.g. ca.configMap: {name: kube-root-ca.crt, key: ca.crt}, when their serving certificates are signed by it; for Istio workload certificates the mesh's root CA); a target with only a self-signed certificate is admitted through an exception (the exceptions setting), not insecureSkipVerify".to_string();
        }
        let mut steps = Vec::new();
        if tls.is_none_or(|t| !t.has_trust_anchor()) {
            // The kind's own spelling: GKE's is `tls`.
            steps.push(format!(
                "reference the CA from the metrics certificate Secret ({}.ca.secret: {{name: {}, key: ca.crt}})",
                ep.tls_key, self.settings.metrics_cert_secret_name
            ));
        }
        if tls.is_none_or(|t| t.server_name.is_none()) {
            steps.push(self.server_name.step(&ep.tls_field("serverName")));
        }
        steps.join(" and ")
    }
}

/// ` (from scrape class X)` when a field came from the class.
fn from_class(class: Option<&str>) -> String {
    match class {
        Some(c) => format!(" (from scrape class {c})"),
        None => String::new(),
    }
}

/// Runs every rule on one endpoint.
pub(crate) fn check(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    scheme_known(ep, report);
    m1_skip_verify(ep, scope, report);
    m2_half_client_pair(ep, scope, report);
    if let Some(tls) = &ep.own_tls {
        m3_conflicting_sources(tls, report);
        m7_tls_versions(tls, report);
        m9_placeholders(tls, report);
    }
    m9_secret_names(&ep.secret_names, report);
    m4_tls_ignored(ep, report);
    m5_credentials_exposed(ep, scope, report);
    m6_plaintext(ep, scope, report);
    m8_trust_anchor(ep, scope, report);
    m10_file_references(ep, scope, report);
    w_server_name(ep, scope, report);
    oauth2(ep, scope, report);
}

/// The checks of a TLS config that is not an endpoint's own (OAuth2,
/// service discovery, a scrape class at its source or in the settings): M1,
/// M3, M7 and M9, and M2 for scrape classes.
pub(crate) fn check_tls_source(
    tls: &TlsView,
    settings: &Settings,
    with_m2: bool,
    report: &mut Report,
) {
    if tls.insecure_skip_verify {
        m1_at(
            tls.field("insecureSkipVerify"),
            None,
            || {
                "set ca (or caFile) to the CA that signed the server's certificate, then remove insecureSkipVerify".to_string()
            },
            settings,
            report,
        );
    }
    if with_m2 {
        m2_tls(tls, report);
    }
    m3_conflicting_sources(tls, report);
    m7_tls_versions(tls, report);
    m9_placeholders(tls, report);
}

/// `scheme` must be `http` or `https` (any case); otherwise the
/// scheme-dependent rules are skipped for the endpoint.
pub(crate) fn scheme_known(ep: &EndpointView, report: &mut Report) {
    if let Scheme::Given(s) = ep.scheme {
        if ep.transport() == Transport::Unknown {
            report.invalid(
                Rule::Invalid,
                ep.scheme_path(),
                format!("{s:?} is not a scrape scheme; use https (or http)"),
            );
        }
    }
}

/// `todo` writes what to do, only for a violation an answer lists.
fn m1_at(
    path: FieldPath,
    class: Option<&str>,
    todo: impl FnOnce() -> String,
    settings: &Settings,
    report: &mut Report,
) {
    let origin = from_class(class);
    if settings.allow_insecure_skip_verify && settings.cert_management == CertManagement::Internal {
        report.warn(Rule::M1, &path, || {
            format!(
                "insecureSkipVerify: true{origin} is accepted because allowInsecureSkipVerify is set, but the scrape does not verify the server's certificate; once the certificates are issued externally, {}",
                todo()
            )
        });
    } else {
        report.forbidden(Rule::M1, path, || {
            format!(
                "insecureSkipVerify: true{origin} turns off verification of the server's certificate, so anyone on the network path can impersonate the target; {}",
                todo()
            )
        });
    }
}

/// M1: `insecureSkipVerify: true` (in the effective TLS) is rejected, or
/// accepted with a warning when `allowInsecureSkipVerify` (only possible
/// with internal certificates).
pub(crate) fn m1_skip_verify(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    if !ep.skips_verify() {
        return;
    }
    let class = ep.class_of("insecureSkipVerify");
    m1_at(
        ep.tls_field("insecureSkipVerify"),
        class,
        || remove_skip_verify(ep, scope),
        scope.settings,
        report,
    );
}

/// What to do instead of `insecureSkipVerify`, ending with its removal.
fn remove_skip_verify(ep: &EndpointView, scope: &Scope) -> String {
    let hint = scope.verify_hint(ep);
    if hint.is_empty() {
        "remove insecureSkipVerify".to_string()
    } else if ep.implicit_token {
        hint
    } else {
        format!("{hint}, then remove insecureSkipVerify")
    }
}

/// M2 on a TLS config alone (scrape classes).
fn m2_tls(tls: &TlsView, report: &mut Report) {
    let key = tls.names.key_field();
    if tls.has_client_cert() && !tls.has_client_key() {
        report.required(
            Rule::M2,
            tls.field(key),
            format!("the client certificate is set but the client key ({key} or keyFile) is missing, so the scrape cannot present it; set the key that belongs to it, or remove the client certificate"),
        );
    }
    if tls.has_client_key() && !tls.has_client_cert() {
        report.required(
            Rule::M2,
            tls.field("cert"),
            "the client key is set but the client certificate (cert or certFile) is missing, so the scrape cannot present it; set the certificate that belongs to it, or remove the client key",
        );
    }
}

/// M2: a client certificate without a client key, or the reverse, in the
/// effective TLS. With a class the setting does not describe, a half pair
/// the class could complete is a warning.
pub(crate) fn m2_half_client_pair(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    let Some(tls) = ep.tls() else { return };
    let secret = &*scope.settings.metrics_cert_secret_name;
    let key_field = tls.names.key_field();
    let undeclared = match &ep.class {
        ClassUse::Undeclared(n) => Some(n),
        _ => None,
    };
    let emit = |path: FieldPath, detail: String, report: &mut Report| {
        match undeclared {
        Some(class) => report.warn(
            Rule::M2,
            &path,
            format!("{detail}; the monitor's scrape class {class} is not described in the scrapeClasses setting and may supply it, so this could not be checked"),
        ),
        None => report.required(Rule::M2, path, detail),
    }
    };
    let (cert, key) = (tls.has_client_cert(), tls.has_client_key());
    if cert && !key {
        let (have, missing, fix) = match tls.cert_file {
            Some(file) => (
                format!("certFile {file}{}", from_class(ep.class_of("certFile"))),
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
                let fix = match tls.names.key {
                    super::kinds::KeyForm::KeySecret => {
                        format!("set keySecret: {{name: {name}, key: tls.key}}")
                    }
                    super::kinds::KeyForm::KeySource => {
                        format!("set key.secret: {{name: {name}, key: tls.key}}")
                    }
                };
                (
                    format!("cert.{which}{}", from_class(ep.class_of("cert"))),
                    key_field,
                    fix,
                )
            }
        };
        emit(
            ep.tls_field(missing),
            format!("the client certificate ({have}) is set but the client key is missing, so the scrape cannot present it; {fix}, or remove the client certificate"),
            report,
        );
    }
    if key && !cert {
        let (have, missing, fix) = match tls.key_file {
            Some(file) => (
                format!("keyFile {file}{}", from_class(ep.class_of("keyFile"))),
                "certFile",
                "set certFile to the certificate file that belongs to it".to_string(),
            ),
            None => {
                let name = tls.key.secret_name.unwrap_or(secret);
                (
                    format!("{key_field}{}", from_class(ep.class_of(key_field))),
                    "cert",
                    format!("set cert.secret: {{name: {name}, key: tls.crt}}"),
                )
            }
        };
        emit(
            ep.tls_field(missing),
            format!("the client key ({have}) is set but the client certificate is missing, so the scrape cannot present it; {fix}, or remove the client key"),
            report,
        );
    }
}

/// M3: two sources for the same thing.
pub(crate) fn m3_conflicting_sources(tls: &TlsView, report: &mut Report) {
    let key = tls.names.key_field();
    let pairs = [
        ("ca", tls.ca.is_set(), "caFile", tls.ca_file.is_some()),
        (
            "cert",
            tls.cert.is_set(),
            "certFile",
            tls.cert_file.is_some(),
        ),
        (key, tls.key.is_set(), "keyFile", tls.key_file.is_some()),
    ];
    for (object, object_set, file, file_set) in pairs {
        if object_set && file_set {
            report.conflict(
                Rule::M3,
                tls.field(file),
                format!("both {object} and {file} are set; the Prometheus operator refuses a TLS config with two sources for the same thing, so keep only one of them"),
            );
        }
    }
    for (name, src) in [("ca", &tls.ca), ("cert", &tls.cert)] {
        if src.secret && src.config_map {
            report.conflict(
                Rule::M3,
                tls.field(name).child("configMap"),
                format!("{name} sets both secret and configMap; keep only one of them"),
            );
        }
    }
}

/// Why the endpoint may scrape over http: its scheme, or a relabeling.
fn http_reason(ep: &EndpointView) -> String {
    match (&ep.scheme, &ep.scheme_rewrite) {
        (_, Some(rw)) if ep.transport() == Transport::Https => rw.to_string(),
        (Scheme::Given(s), _) => format!("scheme is {s}"),
        _ => "scheme is not set, which means http".to_string(),
    }
}

/// What to do about a rewrite of `__scheme__` (M4).
fn fix_rewrite(ep: &EndpointView) -> &'static str {
    match &ep.scheme_rewrite {
        Some(rw) if rw.class.is_some() => {
            "make the scrape class's relabeling set https (or not touch __scheme__), or remove it"
        }
        Some(rw) if matches!(rw.writes, Writes::Static(_)) => {
            "set the static label __scheme__ to https, or remove it"
        }
        _ => "make the relabeling set https (or not touch __scheme__), or remove it",
    }
}

/// M4: a TLS config over `http` is silently unused.
pub(crate) fn m4_tls_ignored(ep: &EndpointView, report: &mut Report) {
    let Some(tls) = &ep.own_tls else { return };
    if !ep.may_be_http() || !tls.sets_anything {
        return;
    }
    let fix = if ep.transport() == Transport::Https {
        fix_rewrite(ep)
    } else {
        "set scheme: https"
    };
    report.invalid(
        Rule::M4,
        tls.path.clone(),
        format!(
            "the TLS config is set but {}, so the TLS settings are ignored and metrics travel in plaintext; {fix}",
            http_reason(ep)
        ),
    );
}

/// M5: credentials sent over `http` or to an unverified server. Never
/// relaxed by `allowInsecureSkipVerify`.
pub(crate) fn m5_credentials_exposed(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    let http = ep.may_be_http();
    let skip = ep.skips_verify();
    if !(http || skip) || (ep.credentials.is_empty() && !ep.implicit_token) {
        return;
    }
    // How and what to do, written only for a violation an answer lists.
    let why = || {
        match (http, skip) {
        (true, true) => format!(
            "in plaintext ({}) and without verifying the server",
            http_reason(ep)
        ),
        (true, false) => format!(
            "in plaintext ({}), readable by anyone on the network path",
            http_reason(ep)
        ),
        _ => format!(
            "to a server whose certificate is not verified (insecureSkipVerify: true{}), so whoever answers receives them",
            from_class(ep.class_of("insecureSkipVerify"))
        ),
    }
    };
    let todo = || {
        let mut todo = Vec::new();
        if http {
            todo.push(
                "remove the credentials if the target does not need them, or scrape over https and verify the server".to_string(),
            );
        }
        if skip {
            todo.push(remove_skip_verify(ep, scope));
            if scope.settings.allow_insecure_skip_verify {
                todo.push("allowInsecureSkipVerify does not cover credentials".to_string());
            }
        }
        todo.retain(|t| !t.is_empty());
        todo.join("; ")
    };
    if ep.implicit_token {
        let path = if http {
            ep.scheme_path()
        } else {
            ep.tls_field("insecureSkipVerify")
        };
        report.forbidden(Rule::M5, path, || {
            format!(
                "the operator adds the collector's service account token to every scrape of this kind, so credentials are sent {}; {}",
                why(),
                if http { "set scheme: https (the kubelet serves its metrics over https)".to_string() } else { todo() }
            )
        });
    }
    for c in &ep.credentials {
        report.forbidden(Rule::M5, ep.field(c.field), || {
            let origin = if c.from_class {
                from_class(ep.class.name())
            } else {
                String::new()
            };
            format!(
                "{}{origin} sends credentials {}; {}",
                c.field,
                why(),
                todo()
            )
        });
    }
}

/// M6: with `requireHttps`, a scheme other than `https` (or a relabeling
/// that may rewrite it).
pub(crate) fn m6_plaintext(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    if !scope.settings.require_https || !ep.may_be_http() {
        return;
    }
    // A class's relabeling lives in the settings: the endpoint's scheme is
    // named instead.
    let path = match &ep.scheme_rewrite {
        Some(rw) if ep.transport() == Transport::Https && rw.class.is_none() => rw.path.clone(),
        _ => ep.scheme_path(),
    };
    report.forbidden(Rule::M6, path, || {
        let mut todo = vec!["scrape over https".to_string(), scope.verify_hint(ep)];
        todo.retain(|t| !t.is_empty());
        format!(
            "requireHttps is set and the endpoint scrapes in plaintext ({}); {}",
            http_reason(ep),
            todo.join("; ")
        )
    });
}

const TLS_VERSIONS: [&str; 4] = ["TLS10", "TLS11", "TLS12", "TLS13"];

/// M7: unknown or deprecated TLS versions, and `minVersion` above `maxVersion`.
pub(crate) fn m7_tls_versions(tls: &TlsView, report: &mut Report) {
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

/// M8: with external certificates, an `https` endpoint must name a CA (in
/// its effective TLS). With a class the setting does not describe, a
/// warning: the class may supply `caFile`.
pub(crate) fn m8_trust_anchor(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    if scope.settings.cert_management != CertManagement::External
        || ep.transport() != Transport::Https
        || ep.has_trust_anchor()
    {
        return;
    }
    let path = ep.tls_field("ca");
    if let ClassUse::Undeclared(class) = ep.class {
        report.warn(
            Rule::M8,
            &path,
            format!("the endpoint names no CA and its scrape class {class} is not described in the scrapeClasses setting, so whether the scrape verifies the target could not be checked; describe the class in the setting"),
        );
        return;
    }
    // A file only where the kind's TLS config has one (SafeTLSConfig and
    // GKE's TLS have none).
    let also = if scope.is_system(ep) || !ep.tls_files {
        ""
    } else {
        "; a caFile naming a CA bundle mounted into Prometheus works too"
    };
    report.required(
        Rule::M8,
        path,
        format!("with certManagement: external every scrape must verify the target's certificate; {}{also}", scope.verify_hint(ep)),
    );
}

/// M9 (SPEC sections 10, 13 and 16): a `serverName` that still holds an
/// unreplaced placeholder: a label of capitals, digits and underscores
/// (`SERVICE_NAME.SERVICE_NAMESPACE.svc`), a kustomize var `$(NAME)`, or an
/// envsubst form `${NAME}`, `${NAME:=default}`, `${NAME:-default}`
/// (clusterctl, JobSet's `monitor_tls_patch.yaml`); and a placeholder in the
/// name of a Secret the TLS config reads (`ca`, `cert`, the client key): the
/// scrape would read a Secret that cannot exist.
pub(crate) fn m9_placeholders(tls: &TlsView, report: &mut Report) {
    if let Some(name) = tls.server_name {
        let found = placeholders(name);
        if !found.is_empty() {
            report.invalid(
                Rule::M9,
                tls.field("serverName"),
                if name.contains("${") {
                    format!(
                        "{name:?} still holds the envsubst placeholder{} {}: the variables were not set when the manifest was rendered (clusterctl, envsubst), so verification fails with a name mismatch; render it with the variables set, or write the real DNS name the target's certificate carries",
                        plural(&found),
                        found.join(", ")
                    )
                } else {
                    format!(
                        "{name:?} still holds the kustomize placeholder{} {}: the replacements of Kubebuilder's TLS patch (config/default/kustomization.yaml) were not applied, so verification fails with a name mismatch; enable them and build with kustomize, or write the real DNS name the target's certificate carries",
                        plural(&found),
                        found.join(", ")
                    )
                },
            );
        }
    }
    m9_secret_names(&tls.secret_names(), report);
}

/// M9 on the names of Secrets an endpoint reads (TLS, credentials, OAuth2).
pub(crate) fn m9_secret_names(names: &[(FieldPath, &str)], report: &mut Report) {
    for (path, name) in names {
        let found = placeholders(name);
        if found.is_empty() {
            continue;
        }
        report.invalid(
            Rule::M9,
            path.clone(),
            format!(
                "the Secret name {name:?} still holds the placeholder{} {}: no Secret can have this name, so the scrape would read a Secret that cannot exist; render the manifest with its variables set, or write the real Secret name",
                plural(&found),
                found.join(", ")
            ),
        );
    }
}

fn plural(found: &[&str]) -> &'static str {
    if found.len() > 1 {
        "s"
    } else {
        ""
    }
}

/// M10: with `denyFileReferences`, fields that read files from the
/// scraper's file system (only those the kind's CRD has; files inherited
/// from a scrape class are not M10's concern).
pub(crate) fn m10_file_references(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    m10_files(&ep.files, scope.settings, report);
}

/// M10 on the files of an endpoint or a service-discovery config.
pub(crate) fn m10_files(files: &[FileUse], settings: &Settings, report: &mut Report) {
    if !settings.deny_file_references {
        return;
    }
    for f in files {
        report.forbidden(
            Rule::M10,
            f.path.clone(),
            format!(
                "{} reads {} from the Prometheus file system, which Prometheus with arbitraryFSAccessThroughSMs.deny, Grafana Alloy and the OpenTelemetry target allocator drop silently (denyFileReferences is set); use {} instead",
                f.file.field, f.value, f.file.instead
            ),
        );
    }
}

/// W-serverName: a verifying `https` endpoint without `serverName`.
pub(crate) fn w_server_name(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    let Some(tls) = ep.tls() else { return };
    // A kind without serverName (GKE node scrapes) gets no advice on it.
    if ep.transport() != Transport::Https
        || !ep.verifies()
        || tls.server_name.is_some()
        || !tls.names.sources
    {
        return;
    }
    // Node and control-plane targets serve certificates that carry their IP
    // addresses: no serverName to suggest (SPEC 16).
    if scope.is_system(ep) {
        return;
    }
    let path = ep.tls_field("serverName");
    let advice = scope.server_name.step(&path);
    // Verification that comes from the scrape class names it (SPEC 10).
    let origin = from_class(ep.class_of("caFile"));
    report.warn(
        Rule::WServerName,
        &path,
        format!("the endpoint verifies the server certificate{origin} but sets no serverName; Prometheus scrapes targets by IP, so verification fails unless the certificate carries the pod IP; {advice}"),
    );
}

/// OAuth2 (SPEC 10): its TLS config is checked by M1, M3, M7 (and M9); an
/// unverified or `http://` token endpoint receives the client secret: M5.
pub(crate) fn oauth2(ep: &EndpointView, scope: &Scope, report: &mut Report) {
    if let Some(o) = &ep.oauth2 {
        oauth2_checks(o, scope.settings, report);
    }
}

/// [`oauth2`] on one OAuth2 config (an endpoint's or a service-discovery
/// config's).
pub(crate) fn oauth2_checks(o: &OAuth2View, settings: &Settings, report: &mut Report) {
    if let Some(tls) = &o.tls {
        check_tls_source(tls, settings, false, report);
        if tls.insecure_skip_verify {
            report.forbidden(
                Rule::M5,
                tls.field("insecureSkipVerify"),
                "the OAuth2 client secret is sent to a token endpoint whose certificate is not verified, so whoever answers receives it; verify the token endpoint (ca) and remove insecureSkipVerify",
            );
        }
    }
    if let Some(url) = o.token_url {
        if is_http_url(url) {
            report.forbidden(
                Rule::M5,
                o.path.child(o.token_url_field),
                format!("{url} sends the OAuth2 client secret in plaintext; use the token endpoint's https URL"),
            );
        }
    }
}

/// A URL that starts with `http://` (any case).
pub(crate) fn is_http_url(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("http://"))
}
