//! X4: Kueue certificate management (SPEC sections 12 and 13).
//!
//! A ConfigMap whose data holds a Kueue `Configuration` (a YAML document with
//! `apiVersion: config.kueue.x-k8s.io/<version>` and `kind: Configuration`,
//! under any data key, possibly one of several documents) is judged on its
//! `internalCertManagement.enable` (absent means `true`, Kueue's default):
//!
//! - `external` mode: `true` is rejected (Kueue would serve self-signed
//!   metrics and webhook certificates);
//! - `internal` mode: `false` is rejected;
//! - `auto` mode: `true` is rejected when a metrics Certificate exists in the
//!   ConfigMap's namespace (KEP-4377's unsupported mix). This needs a lookup,
//!   so it is skipped with `crossObjectChecks: false`.
//!
//! ConfigMaps are written often, so a value is parsed only when it can hold a
//! Configuration (it mentions both `config.kueue.x-k8s.io` and
//! `Configuration`); any other ConfigMap costs a substring search per value.
//! A value that does not parse as YAML is left alone: Kueue would not start
//! with it, which exposes nothing.
//!
//! Kueue decodes its file with `sigs.k8s.io/yaml` (YAML 1.1 booleans), so
//! `enable: yes`/`on`/`y` read as `true` and `no`/`off`/`n` as `false`; any
//! other value that is not a boolean is a `type` violation at `data[<key>]`.

use crate::cluster::Lookups;
use crate::report::{ErrorType, FieldPath, Report};
use crate::rule::Rule;
use crate::settings::{CertManagement, Settings};
use crate::view::Obj;
use yaml_rust2::{Yaml, YamlLoader};

const GROUP_PREFIX: &str = "config.kueue.x-k8s.io/";

/// What a data value says about Kueue's certificate management.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// `internalCertManagement.enable` (absent: `true`).
    Enable(bool),
    /// A field on the way to `enable` has the wrong type: the field and what
    /// was found.
    WrongType(&'static str, &'static str),
}

/// Whether a value can hold a Kueue Configuration (the cheap prefilter).
pub(crate) fn may_hold_configuration(value: &str) -> bool {
    value.contains("config.kueue.x-k8s.io") && value.contains("Configuration")
}

fn yaml_type(y: &Yaml) -> &'static str {
    match y {
        Yaml::Real(_) => "number",
        Yaml::Integer(_) => "integer",
        Yaml::String(_) => "string",
        Yaml::Boolean(_) => "boolean",
        Yaml::Array(_) => "list",
        Yaml::Hash(_) => "object",
        Yaml::Alias(_) | Yaml::BadValue => "invalid value",
        Yaml::Null => "null",
    }
}

/// A YAML 1.1 boolean as `sigs.k8s.io/yaml` reads it.
fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Some(false)
        }
        _ => None,
    }
}

fn is_configuration(doc: &Yaml) -> bool {
    doc["apiVersion"]
        .as_str()
        .is_some_and(|v| v.starts_with(GROUP_PREFIX) && v.len() > GROUP_PREFIX.len())
        && doc["kind"].as_str() == Some("Configuration")
}

/// Reads `internalCertManagement.enable` of one Configuration document.
fn enable_of(doc: &Yaml) -> Found {
    let icm = &doc["internalCertManagement"];
    match icm {
        Yaml::BadValue | Yaml::Null => return Found::Enable(true),
        Yaml::Hash(_) => {}
        other => return Found::WrongType("internalCertManagement", yaml_type(other)),
    }
    match &icm["enable"] {
        Yaml::BadValue | Yaml::Null => Found::Enable(true),
        Yaml::Boolean(b) => Found::Enable(*b),
        Yaml::String(s) => match yaml11_bool(s) {
            Some(b) => Found::Enable(b),
            None => Found::WrongType("internalCertManagement.enable", "string"),
        },
        other => Found::WrongType("internalCertManagement.enable", yaml_type(other)),
    }
}

/// Every Kueue Configuration in one data value (any number of documents).
pub(crate) fn configurations(value: &str) -> Vec<Found> {
    if !may_hold_configuration(value) {
        return Vec::new();
    }
    let Ok(docs) = YamlLoader::load_from_str(value) else {
        return Vec::new();
    };
    docs.iter()
        .filter(|d| is_configuration(d))
        .map(enable_of)
        .collect()
}

/// The metrics Certificates of the namespace (for `auto` mode), named.
fn metrics_certificates(
    lookups: &Lookups,
    namespace: &str,
    path: &FieldPath,
    settings: &Settings,
) -> Option<Vec<String>> {
    let certs = lookups.certificates(namespace, (Rule::X4, path))?;
    Some(
        certs
            .iter()
            .filter(|c| c.is_metrics(settings))
            .map(|c| format!("{} (Secret {:?})", c.name, c.secret_name))
            .collect(),
    )
}

/// Judges one Configuration found at `path` (`data[<key>]`).
pub(crate) fn x4_mode(
    found: &Found,
    path: &FieldPath,
    namespace: &str,
    settings: &Settings,
    lookups: Option<&Lookups>,
    report: &mut Report,
) {
    let enable = match found {
        Found::WrongType(field, got) => {
            report.push(
                Rule::Type,
                path.clone(),
                ErrorType::TypeInvalid,
                format!(
                    "the Kueue Configuration's {field}: expected {}, got {got}",
                    if field.ends_with("enable") {
                        "boolean"
                    } else {
                        "object"
                    }
                ),
            );
            return;
        }
        Found::Enable(b) => *b,
    };
    match (settings.cert_management, enable) {
        (CertManagement::External, true) => report.invalid(
            Rule::X4,
            path.clone(),
            "the Kueue Configuration has internalCertManagement.enable true (absent means true): \
             Kueue would serve self-signed metrics and webhook certificates, but the policy's \
             certManagement is external; set internalCertManagement: {enable: false} and issue \
             Kueue's certificates with cert-manager",
        ),
        (CertManagement::Internal, false) => report.invalid(
            Rule::X4,
            path.clone(),
            "the Kueue Configuration has internalCertManagement.enable false, but the policy's \
             certManagement is internal, where components issue their own certificates; remove \
             internalCertManagement (or set enable: true)",
        ),
        (CertManagement::Auto, true) => {
            let Some(lookups) = lookups else { return };
            let Some(certs) = metrics_certificates(lookups, namespace, path, settings) else {
                return;
            };
            if certs.is_empty() {
                return;
            }
            report.invalid(
                Rule::X4,
                path.clone(),
                format!(
                    "the Kueue Configuration has internalCertManagement.enable true (absent means \
                     true) while cert-manager issues metrics certificates in namespace \
                     {namespace:?} ({}): internal certificate management together with \
                     cert-manager metrics certificates is the unsupported combination of \
                     KEP-4377; set internalCertManagement: {{enable: false}}, or delete those \
                     Certificates",
                    certs.join(", ")
                ),
            );
        }
        _ => {}
    }
}

/// Reviews a ConfigMap: every data value that holds a Kueue Configuration.
pub(crate) fn review(
    object: &Obj,
    settings: &Settings,
    request_namespace: &str,
    lookups: Option<&Lookups>,
    report: &mut Report,
) {
    let Some(data) = object.get("data").and_then(|d| d.as_object()) else {
        return;
    };
    let mut found = Vec::new();
    for (key, value) in data {
        // Only a value that can hold a Configuration is read (and type-checked).
        let Some(text) = value.as_str() else {
            continue;
        };
        for f in configurations(text) {
            found.push((object.path_of("data").key(key), f));
        }
    }
    if found.is_empty() {
        return;
    }
    let mut scratch = Report::new();
    let namespace = object
        .obj("metadata", &mut scratch)
        .and_then(|m| m.str("namespace", &mut scratch))
        .filter(|ns| !ns.is_empty())
        .unwrap_or(request_namespace);
    for (path, f) in &found {
        x4_mode(f, path, namespace, settings, lookups, report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::fake::FakeCluster;
    use crate::cluster::LookupKind;
    use serde_json::{json, Value};

    /// Kueue's `controller_manager_config.yaml` as its manifests ship it.
    const KUEUE_CONFIG: &str = "apiVersion: config.kueue.x-k8s.io/v1beta1
kind: Configuration
health:
  healthProbeBindAddress: :8081
metrics:
  bindAddress: :8443
webhook:
  port: 9443
leaderElection:
  leaderElect: true
  resourceName: c1f6bfd2.kueue.x-k8s.io
controller:
  groupKindConcurrency:
    Job.batch: 5
";

    fn with_icm(icm: &str) -> String {
        format!("{KUEUE_CONFIG}internalCertManagement:\n{icm}\n")
    }

    fn settings(mode: CertManagement) -> Settings {
        Settings {
            cert_management: mode,
            ..Settings::default()
        }
    }

    fn config_map(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "kueue-manager-config", "namespace": "kueue-system"},
               "data": data})
    }

    fn metrics_cert() -> Value {
        json!({"metadata": {"name": "kueue-metrics-cert"},
               "spec": {"secretName": "kueue-metrics-server-cert",
                        "dnsNames": ["kueue-controller-manager-metrics-service.kueue-system.svc"]}})
    }

    fn run(object: &Value, mode: CertManagement, lookups: Option<&Lookups>) -> Report {
        let mut report = Report::new();
        let obj = Obj::at(object, FieldPath::root(), &mut report).unwrap();
        review(&obj, &settings(mode), "kueue-system", lookups, &mut report);
        report
    }

    fn rules(r: &Report) -> Vec<(Rule, String)> {
        r.violations
            .iter()
            .map(|v| (v.rule, v.path.as_str().to_string()))
            .collect()
    }

    const PATH: &str = "data[controller_manager_config.yaml]";

    #[test]
    fn x4_reading() {
        let cases: Vec<(&str, String, Vec<Found>)> = vec![
            (
                "absent: true",
                KUEUE_CONFIG.into(),
                vec![Found::Enable(true)],
            ),
            (
                "false",
                with_icm("  enable: false"),
                vec![Found::Enable(false)],
            ),
            (
                "true",
                with_icm("  enable: true"),
                vec![Found::Enable(true)],
            ),
            (
                "yaml 1.1 no",
                with_icm("  enable: no"),
                vec![Found::Enable(false)],
            ),
            (
                "yaml 1.1 On",
                with_icm("  enable: On"),
                vec![Found::Enable(true)],
            ),
            (
                "empty section",
                with_icm("  enable:"),
                vec![Found::Enable(true)],
            ),
            (
                "string",
                with_icm("  enable: \"disabled\""),
                vec![Found::WrongType("internalCertManagement.enable", "string")],
            ),
            (
                "integer",
                with_icm("  enable: 0"),
                vec![Found::WrongType("internalCertManagement.enable", "integer")],
            ),
            (
                "section not an object",
                format!("{KUEUE_CONFIG}internalCertManagement: false\n"),
                vec![Found::WrongType("internalCertManagement", "boolean")],
            ),
            (
                "second document",
                format!(
                    "apiVersion: v1\nkind: Other\n---\n{}",
                    with_icm("  enable: false")
                ),
                vec![Found::Enable(false)],
            ),
            (
                "another kind",
                KUEUE_CONFIG.replace("kind: Configuration", "kind: Other"),
                vec![],
            ),
            (
                "another group",
                "apiVersion: config.example.com/v1\nkind: Configuration\n# config.kueue.x-k8s.io\n"
                    .into(),
                vec![],
            ),
            (
                "not YAML",
                format!("{KUEUE_CONFIG}\n  - : [unbalanced"),
                vec![],
            ),
            ("plain text", "just some text".into(), vec![]),
            (
                "only a look-alike group",
                KUEUE_CONFIG.replace("config.kueue.x-k8s.io", "config.kueue.x-k8s.iq"),
                vec![],
            ),
        ];
        for (name, text, want) in cases {
            assert_eq!(configurations(&text), want, "{name}");
        }
    }

    #[test]
    fn x4_external_and_internal() {
        let absent = config_map(json!({"controller_manager_config.yaml": KUEUE_CONFIG}));
        let off =
            config_map(json!({"controller_manager_config.yaml": with_icm("  enable: false")}));
        let x4 = vec![(Rule::X4, PATH.to_string())];
        assert_eq!(rules(&run(&absent, CertManagement::External, None)), x4);
        assert_eq!(rules(&run(&off, CertManagement::External, None)), vec![]);
        assert_eq!(rules(&run(&off, CertManagement::Internal, None)), x4);
        assert_eq!(rules(&run(&absent, CertManagement::Internal, None)), vec![]);
        let bad = config_map(json!({"controller_manager_config.yaml": with_icm("  enable: 3")}));
        let r = run(&bad, CertManagement::External, None);
        assert_eq!(rules(&r), vec![(Rule::Type, PATH.to_string())]);
        assert!(r.violations[0]
            .detail
            .contains("expected boolean, got integer"));
    }

    #[test]
    fn x4_auto_needs_a_metrics_certificate() {
        let absent = config_map(json!({"controller_manager_config.yaml": KUEUE_CONFIG}));
        let off =
            config_map(json!({"controller_manager_config.yaml": with_icm("  enable: false")}));
        let with_cert = FakeCluster::default().with(
            LookupKind::Certificate,
            "kueue-system",
            vec![metrics_cert()],
        );
        let webhook_only = FakeCluster::default().with(
            LookupKind::Certificate,
            "kueue-system",
            vec![json!({"metadata": {"name": "kueue-serving-cert"},
                        "spec": {"secretName": "kueue-webhook-server-cert"}})],
        );
        let l = Lookups::new(&with_cert);
        let r = run(&absent, CertManagement::Auto, Some(&l));
        assert_eq!(rules(&r), vec![(Rule::X4, PATH.to_string())]);
        assert!(r.violations[0].detail.contains("kueue-metrics-cert"));
        assert!(r.violations[0].detail.contains("KEP-4377"));
        assert_eq!(
            rules(&run(
                &off,
                CertManagement::Auto,
                Some(&Lookups::new(&with_cert))
            )),
            vec![]
        );
        assert_eq!(
            rules(&run(
                &absent,
                CertManagement::Auto,
                Some(&Lookups::new(&webhook_only))
            )),
            vec![]
        );
        // crossObjectChecks: false (no lookups): nothing to judge, no lookup made.
        assert_eq!(rules(&run(&absent, CertManagement::Auto, None)), vec![]);
        // Refused: no violation; the failure is left for the router's one warning.
        let refused = FakeCluster::refusing("not granted");
        let l = Lookups::new(&refused);
        let r = run(&absent, CertManagement::Auto, Some(&l));
        assert!(r.is_clean() && l.failure().is_some_and(|f| f.rule == Rule::X4));
    }

    #[test]
    fn x4_plain_config_maps_make_no_lookup() {
        let cluster = FakeCluster::default();
        let l = Lookups::new(&cluster);
        let plain = config_map(json!({"a": "b", "n": 3, "kueue": "kind: Configuration"}));
        assert!(run(&plain, CertManagement::Auto, Some(&l)).is_clean());
        assert!(cluster.calls.borrow().is_empty());
    }
}
