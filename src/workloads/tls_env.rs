//! W2 metrics mTLS env (SPEC sections 5 and 7): the `METRICS_PROMETHEUS_TLS_*`
//! environment of Knative-style metrics servers (seed 004, knative.dev/pkg
//! `observability/metrics/prometheus` and `network/tls.DefaultConfigFromEnv`).
//! Names below drop the `METRICS_PROMETHEUS_` prefix.
//!
//! - `TLS_CLIENT_AUTH` is `none`, `optional` or `require` (trimmed, any case);
//!   `optional`/`require` need `TLS_CLIENT_CA_FILE`.
//! - `TLS_CLIENT_CA_FILE` with `TLS_CLIENT_AUTH` unset or `none` is a CA that
//!   is never loaded: rejected.
//! - `TLS_CLIENT_AUTH` other than `none` (a `valueFrom` counts as set and not
//!   `none`; so does a value that is not one of the three), or
//!   `TLS_CLIENT_CA_FILE`, without both `TLS_CERT` and `TLS_KEY`: client
//!   certificates need a TLS server.
//! - `TLS_MIN_VERSION`/`TLS_MAX_VERSION` are exactly `1.2` or `1.3`, and the
//!   maximum is not below the minimum. An unset minimum is Knative's default,
//!   1.3, so `TLS_MAX_VERSION=1.2` alone leaves no usable version.
//! - `TLS_CURVE_PREFERENCES` and `TLS_CIPHER_SUITES` are comma-separated;
//!   entries are trimmed, empty ones ignored, names are case-sensitive (as
//!   Knative looks them up). Cipher suites must be in Go's
//!   `tls.CipherSuites()`; those of `tls.InsecureCipherSuites()` are called
//!   insecure.
//!
//! Only literal `value`s are checked; a `valueFrom` is trusted (it counts as
//! set). Path: the `value` of the env entry at fault
//! (`...containers[0].env[3].value`; `.valueFrom` when that is what is set).

use super::cmdline::env_names::{
    CIPHERS, CLIENT_AUTH, CLIENT_CA_FILE, CURVES, MAX_VERSION, MIN_VERSION, TLS_CERT as CERT,
    TLS_KEY as KEY,
};
use super::cmdline::{Env, EnvVar};
use super::model::{Container, Workload};
use crate::context::Ctx;
use crate::report::Report;
use crate::rule::Rule;

const W2: Rule = Rule::W2;

const CLIENT_AUTH_VALUES: [&str; 3] = ["none", "optional", "require"];
const VERSIONS: [&str; 2] = ["1.2", "1.3"];
/// Knative's minimum TLS version when `TLS_MIN_VERSION` is unset.
const DEFAULT_MIN_VERSION: &str = "1.3";

/// The curve names Knative's `network/tls` accepts.
pub(crate) const CURVE_NAMES: [&str; 8] = [
    "CurveP256",
    "CurveP384",
    "CurveP521",
    "X25519",
    "X25519MLKEM768",
    "P-256",
    "P-384",
    "P-521",
];

/// Go's `crypto/tls.CipherSuites()`: the secure suites, in Go's order.
pub(crate) const SECURE_CIPHER_SUITES: [&str; 13] = [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
];

/// Go's `crypto/tls.InsecureCipherSuites()` (legacy RSA key exchange, RC4,
/// 3DES, CBC-SHA256).
const INSECURE_CIPHER_SUITES: [&str; 12] = [
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
];

/// What `TLS_CLIENT_AUTH` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Auth {
    Unset,
    None,
    /// `optional` or `require`: client certificates are verified.
    Verify,
    /// A `valueFrom`: set and not `none`, content trusted.
    Reference,
    /// A literal that is none of the three (reported).
    Invalid,
}

fn client_auth(var: Option<&EnvVar>, report: &mut Report) -> Auth {
    let Some(var) = var else {
        return Auth::Unset;
    };
    let Some(raw) = var.literal() else {
        return Auth::Reference;
    };
    match raw.trim().to_ascii_lowercase().as_str() {
        "none" => Auth::None,
        "optional" | "require" => Auth::Verify,
        _ => {
            report.invalid(
                W2,
                var.value_path(),
                format!(
                    "{CLIENT_AUTH} is {raw:?}; accepted values: {}",
                    CLIENT_AUTH_VALUES.join(", ")
                ),
            );
            Auth::Invalid
        }
    }
}

/// The client-auth, CA and cert/key rules.
fn check_client_auth(env: &Env, report: &mut Report) {
    let auth_var = env.set(CLIENT_AUTH);
    let auth = client_auth(auth_var, report);
    let ca = env.set(CLIENT_CA_FILE);
    if let (Auth::Verify, Some(var), None) = (auth, auth_var, ca) {
        report.required(
            W2,
            var.value_path(),
            format!(
                "{CLIENT_AUTH} is {:?} but {CLIENT_CA_FILE} is not set; client certificates \
                 cannot be verified without a CA: set {CLIENT_CA_FILE} to the CA bundle that \
                 signs the scrapers' client certificates",
                var.literal().unwrap_or_default()
            ),
        );
    }
    if let (Auth::Unset | Auth::None, Some(var)) = (auth, ca) {
        let state = if auth == Auth::Unset {
            "not set"
        } else {
            "\"none\""
        };
        report.invalid(
            W2,
            var.value_path(),
            format!(
                "{CLIENT_CA_FILE} is set but {CLIENT_AUTH} is {state}, so the CA is never loaded \
                 and clients are not verified: set {CLIENT_AUTH} to optional or require, or \
                 remove {CLIENT_CA_FILE}"
            ),
        );
    }
    let auth_wants_tls = matches!(auth, Auth::Verify | Auth::Reference | Auth::Invalid);
    let missing: Vec<&str> = [CERT, KEY]
        .into_iter()
        .filter(|n| env.set(n).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let trigger = match (auth_var.filter(|_| auth_wants_tls), ca) {
        (Some(a), Some(_)) => Some((a, format!("{CLIENT_AUTH} and {CLIENT_CA_FILE} configure"))),
        (Some(a), None) => Some((a, format!("{CLIENT_AUTH} configures"))),
        (None, Some(c)) => Some((c, format!("{CLIENT_CA_FILE} configures"))),
        (None, None) => None,
    };
    if let Some((var, what)) = trigger {
        report.required(
            W2,
            var.value_path(),
            format!(
                "{what} client certificate verification, which needs a TLS server, but {} \
                 {} not set: set both {CERT} and {KEY}",
                missing.join(" and "),
                if missing.len() == 1 { "is" } else { "are" }
            ),
        );
    }
}

/// A literal version: `Some(Some(v))` when valid, `Some(None)` when invalid
/// (reported), `None` when unset or a reference.
fn version<'e>(env: &'e Env, name: &str, report: &mut Report) -> Option<Option<&'e str>> {
    let var = env.set(name)?;
    let raw = var.literal()?;
    if VERSIONS.contains(&raw) {
        return Some(Some(raw));
    }
    report.invalid(
        W2,
        var.value_path(),
        format!(
            "{name} is {raw:?}; accepted values: {}",
            VERSIONS.join(", ")
        ),
    );
    Some(None)
}

fn check_versions(env: &Env, report: &mut Report) {
    let min = version(env, MIN_VERSION, report);
    let max = version(env, MAX_VERSION, report);
    let (Some(Some(max)), Some(var)) = (max, env.set(MAX_VERSION)) else {
        return;
    };
    match (min, env.set(MIN_VERSION)) {
        (Some(Some(min)), _) if max < min => report.invalid(
            W2,
            var.value_path(),
            format!(
                "{MAX_VERSION} {max} is below {MIN_VERSION} {min}: no TLS version is left and \
                 every scrape fails; raise {MAX_VERSION} or lower {MIN_VERSION} to 1.2"
            ),
        ),
        // SPEC W2 compares the two variables; with the minimum unset,
        // Knative's own default applies, which the policy only warns about.
        (None, None) if max < DEFAULT_MIN_VERSION => report.warn(
            W2,
            &var.value_path(),
            format!(
                "{MAX_VERSION} {max} is below Knative's default minimum {DEFAULT_MIN_VERSION} \
                 ({MIN_VERSION} is not set), which would leave no TLS version; set \
                 {MIN_VERSION}=1.2 as well, or remove {MAX_VERSION}"
            ),
        ),
        _ => {}
    }
}

/// The entries of a comma-separated list, trimmed, empty ones dropped.
fn entries(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|e| !e.is_empty())
}

/// " (names are case-sensitive: did you mean X?)" when `entry` differs from
/// an accepted name only in case.
fn case_hint(entry: &str, accepted: &[&str]) -> String {
    accepted
        .iter()
        .find(|a| a.eq_ignore_ascii_case(entry))
        .map(|a| format!(" (names are case-sensitive: did you mean {a}?)"))
        .unwrap_or_default()
}

fn check_curves(env: &Env, report: &mut Report) {
    let Some(var) = env.set(CURVES) else { return };
    let Some(raw) = var.literal() else { return };
    let unknown: Vec<String> = entries(raw)
        .filter(|e| !CURVE_NAMES.contains(e))
        .map(|e| format!("{e:?}{}", case_hint(e, &CURVE_NAMES)))
        .collect();
    if !unknown.is_empty() {
        report.invalid(
            W2,
            var.value_path(),
            format!(
                "{CURVES} has unknown curves {}; accepted values: {}",
                unknown.join(", "),
                CURVE_NAMES.join(", ")
            ),
        );
    }
}

fn check_ciphers(env: &Env, report: &mut Report) {
    let Some(var) = env.set(CIPHERS) else { return };
    let Some(raw) = var.literal() else { return };
    let mut problems = Vec::new();
    for e in entries(raw).filter(|e| !SECURE_CIPHER_SUITES.contains(e)) {
        if INSECURE_CIPHER_SUITES.contains(&e) {
            problems.push(format!(
                "{e} is insecure (Go lists it in tls.InsecureCipherSuites)"
            ));
        } else {
            let hint = case_hint(e, &SECURE_CIPHER_SUITES);
            problems.push(format!("{e:?} is not a Go cipher suite name{hint}"));
        }
    }
    if !problems.is_empty() {
        report.invalid(
            W2,
            var.value_path(),
            format!(
                "{CIPHERS}: {}; accepted values (Go's secure cipher suites): {}",
                problems.join("; "),
                SECURE_CIPHER_SUITES.join(", ")
            ),
        );
    }
}

fn check_container(c: &Container, report: &mut Report) {
    check_client_auth(&c.env, report);
    check_versions(&c.env, report);
    check_curves(&c.env, report);
    check_ciphers(&c.env, report);
}

/// W2 for every container and init container.
pub(crate) fn check(workload: &Workload, _ctx: &Ctx, report: &mut Report) {
    for c in &workload.containers {
        check_container(c, report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use crate::testing;
    use crate::workloads::WorkloadKind;
    use serde_json::{json, Value};

    fn run(kind: WorkloadKind, object: &Value, strip: &str) -> (String, Vec<String>) {
        testing::workload_check(check, kind, object, &Settings::default(), strip)
    }

    /// Env entries from `NAME=value | NAME=@ref | ...` (names without the
    /// `METRICS_PROMETHEUS_` prefix; `@ref` is a `valueFrom`). A leading `+`
    /// adds TLS_CERT and TLS_KEY as entries 0 and 1.
    fn env(spec: &str) -> Vec<Value> {
        let (tls, spec) = match spec.trim().strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        let mut out = Vec::new();
        if tls {
            out.push(json!({"name": CERT, "value": "/etc/metrics-certs/tls.crt"}));
            out.push(json!({"name": KEY, "value": "/etc/metrics-certs/tls.key"}));
        }
        for entry in spec.split('|').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, value) = entry.split_once('=').expect("NAME=value");
            let name = format!("METRICS_PROMETHEUS_{name}");
            out.push(match value {
                "@ref" => json!({"name": name, "valueFrom":
                    {"configMapKeyRef": {"name": "config-observability", "key": "k"}}}),
                v => json!({"name": name, "value": v}),
            });
        }
        out
    }

    /// W2 on the Knative activator with `env`: findings relative to `env`.
    fn activator_object(spec: &str) -> Value {
        json!({"spec": {"template": {"spec": {"containers": [
            {"name": "activator", "env": env(spec),
             "image": "gcr.io/knative-releases/knative.dev/serving/cmd/activator:v1.17.0"}]}}}})
    }

    fn activator(spec: &str) -> (String, Vec<String>) {
        run(
            WorkloadKind::Deployment,
            &activator_object(spec),
            "spec.template.spec.containers[0].env",
        )
    }

    /// One case a line: `ENV => FINDINGS` (see [`env`]); `#` comments.
    fn table(cases: &str) {
        for line in cases.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (spec, expected) = line.split_once("=>").expect("ENV => FINDINGS");
            assert_eq!(activator(spec).0, expected.trim(), "{line}");
        }
    }

    #[test]
    fn w2_client_auth() {
        table(
            "+ TLS_CLIENT_AUTH=require | TLS_CLIENT_CA_FILE=/ca/ca.crt =>
             + TLS_CLIENT_AUTH=  Optional | TLS_CLIENT_CA_FILE=/ca/ca.crt =>
             + TLS_CLIENT_AUTH=none =>
             + TLS_CLIENT_AUTH=NONE =>
             TLS_CLIENT_AUTH=none =>
             + TLS_CLIENT_AUTH=mutual => W2@[2].value
             # A valueFrom is trusted: set, not none, content unknown.
             + TLS_CLIENT_AUTH=@ref =>
             + TLS_CLIENT_AUTH=@ref | TLS_CLIENT_CA_FILE=/ca/ca.crt =>",
        );
        let (_, details) = activator("+ TLS_CLIENT_AUTH=mutual");
        assert_eq!(
            details[0],
            "METRICS_PROMETHEUS_TLS_CLIENT_AUTH is \"mutual\"; accepted values: none, optional, require"
        );
    }

    #[test]
    fn w2_client_ca_file() {
        table(
            "# optional/require need a CA.
             + TLS_CLIENT_AUTH=require => W2@[2].value
             + TLS_CLIENT_AUTH=optional | TLS_CLIENT_CA_FILE= => W2@[2].value
             # A CA without client auth is never loaded.
             + TLS_CLIENT_CA_FILE=/ca/ca.crt => W2@[2].value
             + TLS_CLIENT_AUTH=None | TLS_CLIENT_CA_FILE=/ca/ca.crt => W2@[3].value
             + TLS_CLIENT_CA_FILE=@ref => W2@[2].valueFrom",
        );
        let (_, details) = activator("+ TLS_CLIENT_AUTH=require");
        assert!(details[0].starts_with(
            "METRICS_PROMETHEUS_TLS_CLIENT_AUTH is \"require\" but \
             METRICS_PROMETHEUS_TLS_CLIENT_CA_FILE is not set"
        ));
        let (_, details) = activator("+ TLS_CLIENT_CA_FILE=/ca");
        assert!(details[0].contains("TLS_CLIENT_AUTH is not set, so the CA is never loaded"));
    }

    #[test]
    fn w2_client_auth_needs_cert_and_key() {
        table(
            "TLS_CLIENT_AUTH=require | TLS_CLIENT_CA_FILE=/ca/ca.crt => W2@[0].value
             TLS_CERT=/c | TLS_CLIENT_AUTH=require | TLS_CLIENT_CA_FILE=/ca => W2@[1].value
             TLS_CLIENT_AUTH=@ref | TLS_CLIENT_CA_FILE=/ca/ca.crt => W2@[0].valueFrom
             TLS_CLIENT_AUTH=@ref => W2@[0].valueFrom
             # A CA alone: never loaded, and no TLS server either.
             TLS_CLIENT_CA_FILE=/ca/ca.crt => W2@[0].value W2@[0].value
             # Cert and key from references count as set.
             TLS_CERT=@ref | TLS_KEY=@ref | TLS_CLIENT_AUTH=require | TLS_CLIENT_CA_FILE=/ca =>",
        );
        let (_, details) = activator("TLS_CLIENT_AUTH=require | TLS_CLIENT_CA_FILE=/ca");
        assert_eq!(
            details[0],
            "METRICS_PROMETHEUS_TLS_CLIENT_AUTH and METRICS_PROMETHEUS_TLS_CLIENT_CA_FILE configure \
             client certificate verification, which needs a TLS server, but \
             METRICS_PROMETHEUS_TLS_CERT and METRICS_PROMETHEUS_TLS_KEY are not set: set both \
             METRICS_PROMETHEUS_TLS_CERT and METRICS_PROMETHEUS_TLS_KEY"
        );
    }

    #[test]
    fn w2_tls_versions() {
        table(
            "+ TLS_MIN_VERSION=1.2 | TLS_MAX_VERSION=1.3 =>
             + TLS_MIN_VERSION=1.2 | TLS_MAX_VERSION=1.2 =>
             + TLS_MIN_VERSION=1.3 =>
             + TLS_MAX_VERSION=1.3 =>
             + TLS_MIN_VERSION=1.1 => W2@[2].value
             + TLS_MAX_VERSION=TLS13 => W2@[2].value
             + TLS_MIN_VERSION=1.3 | TLS_MAX_VERSION=1.2 => W2@[3].value
             # An unset minimum is Knative's default, 1.3: a warning only.
             + TLS_MAX_VERSION=1.2 =>
             + TLS_MIN_VERSION=@ref | TLS_MAX_VERSION=1.2 =>
             + TLS_MIN_VERSION=1.0 | TLS_MAX_VERSION=1.2 => W2@[2].value",
        );
        let (found, _) = activator("+ TLS_MIN_VERSION= 1.2");
        assert_eq!(found, "W2@[2].value", "compared exactly, as Knative does");
        let object = activator_object("+ TLS_MAX_VERSION=1.2");
        let r = testing::workload_report(
            check,
            WorkloadKind::Deployment,
            &object,
            &Settings::default(),
        );
        assert!(r.is_clean(), "{r:?}");
        let w = &r.warnings[0];
        assert!(
            w.rule == Rule::W2 && w.detail.contains("below Knative's default minimum 1.3"),
            "{w:?}"
        );
        let (_, details) = activator("+ TLS_MIN_VERSION=1.1");
        assert_eq!(
            details[0],
            "METRICS_PROMETHEUS_TLS_MIN_VERSION is \"1.1\"; accepted values: 1.2, 1.3"
        );
    }

    #[test]
    fn w2_curve_preferences() {
        table(
            "+ TLS_CURVE_PREFERENCES=X25519MLKEM768, X25519,CurveP256 =>
             + TLS_CURVE_PREFERENCES=P-256,,P-384, ,P-521,CurveP384,CurveP521 =>
             + TLS_CURVE_PREFERENCES=secp256r1 => W2@[2].value
             + TLS_CURVE_PREFERENCES=X25519,x25519mlkem768 => W2@[2].value
             + TLS_CURVE_PREFERENCES=@ref =>",
        );
        let (_, details) = activator("+ TLS_CURVE_PREFERENCES=X25519,x25519mlkem768,secp256r1");
        assert_eq!(
            details[0],
            "METRICS_PROMETHEUS_TLS_CURVE_PREFERENCES has unknown curves \"x25519mlkem768\" \
             (names are case-sensitive: did you mean X25519MLKEM768?), \"secp256r1\"; accepted \
             values: CurveP256, CurveP384, CurveP521, X25519, X25519MLKEM768, P-256, P-384, P-521"
        );
    }

    #[test]
    fn w2_cipher_suites() {
        let all = SECURE_CIPHER_SUITES.join(" , ");
        table(&format!(
            "+ TLS_CIPHER_SUITES=TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 =>
             + TLS_CIPHER_SUITES={all} =>
             + TLS_CIPHER_SUITES=TLS_RSA_WITH_AES_128_CBC_SHA => W2@[2].value
             + TLS_CIPHER_SUITES=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_FOO => W2@[2].value
             + TLS_CIPHER_SUITES=@ref =>"
        ));
        for insecure in INSECURE_CIPHER_SUITES {
            let (found, details) = activator(&format!("+ TLS_CIPHER_SUITES={insecure}"));
            assert_eq!(found, "W2@[2].value");
            assert!(
                details[0].contains(&format!("{insecure} is insecure")),
                "{details:?}"
            );
        }
        let (_, details) =
            activator("+ TLS_CIPHER_SUITES=TLS_RSA_WITH_AES_128_CBC_SHA,tls_aes_128_gcm_sha256");
        assert!(details[0].starts_with(
            "METRICS_PROMETHEUS_TLS_CIPHER_SUITES: TLS_RSA_WITH_AES_128_CBC_SHA is insecure (Go \
             lists it in tls.InsecureCipherSuites); \"tls_aes_128_gcm_sha256\" is not a Go cipher \
             suite name (names are case-sensitive: did you mean TLS_AES_128_GCM_SHA256?); accepted \
             values (Go's secure cipher suites): TLS_AES_128_GCM_SHA256, "
        ));
    }

    #[test]
    fn w2_every_container_and_init_container() {
        let object = json!({"spec": {
        "initContainers": [{"name": "init", "env": env("TLS_MIN_VERSION=1.0")}],
        "containers": [
            {"name": "ok", "env": env("+ TLS_MIN_VERSION=1.2")},
            {"name": "controller", "env": env("TLS_CLIENT_CA_FILE=/ca | TLS_CLIENT_AUTH=require")}
        ]}});
        let found = run(WorkloadKind::Pod, &object, "spec.").0;
        assert_eq!(
            found,
            "W2@initContainers[0].env[0].value W2@containers[1].env[1].value"
        );
    }
}
