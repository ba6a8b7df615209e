//! Policy settings (SPEC section 1).
//!
//! Settings are read from untyped JSON by hand rather than by a derived
//! `Deserialize`, so that every problem (unknown key, wrong JSON type, bad
//! value) is reported with the key it concerns, and all of them at once.
//! `null` for a key means "use the default" (an empty YAML value).

use crate::names::{is_dns1123_label, is_dns1123_subdomain};
use kubewarden_policy_sdk::settings::Validatable;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CertManagement {
    /// Infer each workload's certificate mode from what it mounts.
    #[default]
    Auto,
    /// Metrics certificates come from an issuer such as cert-manager.
    External,
    /// Components issue their own (self-signed) metrics certificates.
    Internal,
}

impl fmt::Display for CertManagement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertManagement::Auto => "auto",
            CertManagement::External => "external",
            CertManagement::Internal => "internal",
        })
    }
}

/// An extra certificate/key pair for rule W1. A name starting with `-` is a
/// command-line flag, any other name an environment variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertKeyPair {
    pub cert: String,
    pub key: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub cert_management: CertManagement,
    pub metrics_cert_secret_name: String,
    pub metrics_cert_volume_name: String,
    pub metrics_cert_mount_path: String,
    pub webhook_cert_mount_path: String,
    pub metrics_container_name: String,
    pub inject_metrics_cert_mount: bool,
    pub allow_insecure_skip_verify: bool,
    pub require_https: bool,
    pub cert_key_pairs: Vec<CertKeyPair>,
    /// Look up related objects in the cluster (SPEC section 12): R1-R3 in
    /// every mode, X4 in `auto` mode.
    pub cross_object_checks: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            cert_management: CertManagement::Auto,
            metrics_cert_secret_name: "metrics-server-cert".into(),
            metrics_cert_volume_name: "metrics-certs".into(),
            metrics_cert_mount_path: "/tmp/k8s-metrics-server/metrics-certs".into(),
            webhook_cert_mount_path: "/tmp/k8s-webhook-server/serving-certs".into(),
            metrics_container_name: "manager".into(),
            inject_metrics_cert_mount: true,
            allow_insecure_skip_verify: false,
            require_https: false,
            cert_key_pairs: Vec::new(),
            cross_object_checks: true,
        }
    }
}

/// Every settings key, in the order of the README's settings table.
pub const KEYS: [&str; 11] = [
    "certManagement",
    "metricsCertSecretName",
    "metricsCertVolumeName",
    "metricsCertMountPath",
    "webhookCertMountPath",
    "metricsContainerName",
    "injectMetricsCertMount",
    "allowInsecureSkipVerify",
    "requireHttps",
    "certKeyPairs",
    "crossObjectChecks",
];

fn type_name(v: &Value) -> &'static str {
    crate::report::json_type(v)
}

struct Reader<'a> {
    map: &'a Map<String, Value>,
    errors: Vec<String>,
}

impl<'a> Reader<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &str, target: &mut String) {
        match self.get(key) {
            None => {}
            Some(Value::String(s)) => *target = s.clone(),
            Some(other) => self.errors.push(format!(
                "{key}: expected a string, got {}",
                type_name(other)
            )),
        }
    }

    fn boolean(&mut self, key: &str, target: &mut bool) {
        match self.get(key) {
            None => {}
            Some(Value::Bool(b)) => *target = *b,
            Some(other) => self.errors.push(format!(
                "{key}: expected a boolean (true or false), got {}",
                type_name(other)
            )),
        }
    }
}

impl Settings {
    /// Reads settings from JSON, collecting every type and key problem.
    /// Value checks live in [`Validatable::validate`].
    pub fn from_value(value: &Value) -> Result<Settings, Vec<String>> {
        let empty = Map::new();
        let map = match value {
            Value::Object(m) => m,
            Value::Null => &empty,
            other => {
                return Err(vec![format!(
                    "settings: expected an object, got {}",
                    type_name(other)
                )])
            }
        };
        let mut s = Settings::default();
        let mut r = Reader {
            map,
            errors: Vec::new(),
        };
        for key in map.keys() {
            if !KEYS.contains(&key.as_str()) {
                r.errors.push(format!(
                    "{key}: unknown setting; the settings are {}",
                    KEYS.join(", ")
                ));
            }
        }
        match r.get("certManagement") {
            None => {}
            Some(Value::String(v)) => match v.as_str() {
                "auto" => s.cert_management = CertManagement::Auto,
                "external" => s.cert_management = CertManagement::External,
                "internal" => s.cert_management = CertManagement::Internal,
                other => r.errors.push(format!(
                    "certManagement: unknown value {other:?}; use auto, external or internal"
                )),
            },
            Some(other) => r.errors.push(format!(
                "certManagement: expected a string (auto, external or internal), got {}",
                type_name(other)
            )),
        }
        r.string("metricsCertSecretName", &mut s.metrics_cert_secret_name);
        r.string("metricsCertVolumeName", &mut s.metrics_cert_volume_name);
        r.string("metricsCertMountPath", &mut s.metrics_cert_mount_path);
        r.string("webhookCertMountPath", &mut s.webhook_cert_mount_path);
        r.string("metricsContainerName", &mut s.metrics_container_name);
        r.boolean("injectMetricsCertMount", &mut s.inject_metrics_cert_mount);
        r.boolean("allowInsecureSkipVerify", &mut s.allow_insecure_skip_verify);
        r.boolean("requireHttps", &mut s.require_https);
        r.boolean("crossObjectChecks", &mut s.cross_object_checks);
        match r.get("certKeyPairs") {
            None => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    match read_pair(i, item) {
                        Ok(p) => s.cert_key_pairs.push(p),
                        Err(mut e) => r.errors.append(&mut e),
                    }
                }
            }
            Some(other) => r.errors.push(format!(
                "certKeyPairs: expected a list of {{cert, key}} objects, got {}",
                type_name(other)
            )),
        }
        if r.errors.is_empty() {
            Ok(s)
        } else {
            Err(r.errors)
        }
    }

    /// Reads and validates settings: the whole of `validate_settings`.
    pub fn parse_and_validate(value: &Value) -> Result<Settings, String> {
        let s = Settings::from_value(value).map_err(|e| e.join("; "))?;
        s.validate()?;
        Ok(s)
    }
}

fn read_pair(i: usize, item: &Value) -> Result<CertKeyPair, Vec<String>> {
    let Value::Object(m) = item else {
        return Err(vec![format!(
            "certKeyPairs[{i}]: expected an object with keys cert and key, got {}",
            type_name(item)
        )]);
    };
    let mut errors = Vec::new();
    for k in m.keys() {
        if k != "cert" && k != "key" {
            errors.push(format!(
                "certKeyPairs[{i}].{k}: unknown key; an entry has only cert and key"
            ));
        }
    }
    let mut field = |name: &str| match m.get(name) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            errors.push(format!(
                "certKeyPairs[{i}].{name}: expected a string, got {}",
                type_name(other)
            ));
            String::new()
        }
    };
    let pair = CertKeyPair {
        cert: field("cert"),
        key: field("key"),
    };
    if errors.is_empty() {
        Ok(pair)
    } else {
        Err(errors)
    }
}

impl Validatable for Settings {
    fn validate(&self) -> Result<(), String> {
        let mut errors: Vec<String> = Vec::new();
        let names = [
            ("metricsCertSecretName", &self.metrics_cert_secret_name),
            ("metricsCertVolumeName", &self.metrics_cert_volume_name),
            ("metricsCertMountPath", &self.metrics_cert_mount_path),
            ("webhookCertMountPath", &self.webhook_cert_mount_path),
            ("metricsContainerName", &self.metrics_container_name),
        ];
        for (key, value) in names {
            if value.is_empty() {
                errors.push(format!("{key}: must not be empty"));
            }
        }
        let secret = &self.metrics_cert_secret_name;
        if !secret.is_empty() && !is_dns1123_subdomain(secret) {
            errors.push(format!(
                "metricsCertSecretName: {secret:?} is not a valid Secret name (a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most 253 characters)"
            ));
        }
        let volume = &self.metrics_cert_volume_name;
        if !volume.is_empty() && !is_dns1123_label(volume) {
            errors.push(format!(
                "metricsCertVolumeName: {volume:?} is not a valid volume name (a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters)"
            ));
        }
        for (key, path) in [
            ("metricsCertMountPath", &self.metrics_cert_mount_path),
            ("webhookCertMountPath", &self.webhook_cert_mount_path),
        ] {
            if !path.is_empty() && !path.starts_with('/') {
                errors.push(format!(
                    "{key}: {path:?} is not an absolute path; use a path starting with '/'"
                ));
            }
        }
        if self.allow_insecure_skip_verify && self.cert_management != CertManagement::Internal {
            errors.push(format!(
                "allowInsecureSkipVerify: only allowed with certManagement: internal (is {}); with externally issued certificates every scrape can verify them",
                self.cert_management
            ));
        }
        for (i, pair) in self.cert_key_pairs.iter().enumerate() {
            if pair.cert.is_empty() {
                errors.push(format!("certKeyPairs[{i}].cert: must not be empty"));
            }
            if pair.key.is_empty() {
                errors.push(format!("certKeyPairs[{i}].key: must not be empty"));
            }
            if !pair.cert.is_empty() && pair.cert == pair.key {
                errors.push(format!(
                    "certKeyPairs[{i}]: cert and key are both {:?}; a pair names two different flags or env vars",
                    pair.cert
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

impl<'de> serde::Deserialize<'de> for Settings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Settings::from_value(&v).map_err(|e| serde::de::Error::custom(e.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Result<Settings, String> {
        Settings::parse_and_validate(&v)
    }

    #[test]
    fn defaults_match_the_spec() {
        let s = check(json!({})).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.cert_management, CertManagement::Auto);
        assert_eq!(s.metrics_cert_secret_name, "metrics-server-cert");
        assert_eq!(s.metrics_cert_volume_name, "metrics-certs");
        assert_eq!(
            s.metrics_cert_mount_path,
            "/tmp/k8s-metrics-server/metrics-certs"
        );
        assert_eq!(
            s.webhook_cert_mount_path,
            "/tmp/k8s-webhook-server/serving-certs"
        );
        assert_eq!(s.metrics_container_name, "manager");
        assert!(s.inject_metrics_cert_mount);
        assert!(!s.allow_insecure_skip_verify);
        assert!(!s.require_https);
        assert!(s.cert_key_pairs.is_empty());
        assert_eq!(check(Value::Null).unwrap(), Settings::default());
        assert_eq!(
            check(json!({"requireHttps": null})).unwrap(),
            Settings::default()
        );
    }

    #[test]
    fn every_key_is_read() {
        let s = check(json!({
            "certManagement": "internal",
            "metricsCertSecretName": "kueue-metrics-cert",
            "metricsCertVolumeName": "metrics-tls",
            "metricsCertMountPath": "/etc/metrics",
            "webhookCertMountPath": "/etc/webhook",
            "metricsContainerName": "kueue",
            "injectMetricsCertMount": false,
            "allowInsecureSkipVerify": true,
            "requireHttps": true,
            "certKeyPairs": [{"cert": "--client-cert", "key": "--client-key"}]
        }))
        .unwrap();
        assert_eq!(s.cert_management, CertManagement::Internal);
        assert_eq!(s.metrics_cert_secret_name, "kueue-metrics-cert");
        assert_eq!(s.metrics_cert_volume_name, "metrics-tls");
        assert_eq!(s.metrics_cert_mount_path, "/etc/metrics");
        assert_eq!(s.webhook_cert_mount_path, "/etc/webhook");
        assert_eq!(s.metrics_container_name, "kueue");
        assert!(!s.inject_metrics_cert_mount);
        assert!(s.allow_insecure_skip_verify);
        assert!(s.require_https);
        assert_eq!(
            s.cert_key_pairs,
            vec![CertKeyPair {
                cert: "--client-cert".into(),
                key: "--client-key".into()
            }]
        );
    }

    /// Each settings rule of SPEC section 1: the input and the key the
    /// message must name.
    #[test]
    fn invalid_settings_name_the_key() {
        let cases = [
            (
                json!({"certManagment": "auto"}),
                "certManagment: unknown setting",
            ),
            (
                json!({"certManagement": "manual"}),
                "certManagement: unknown value",
            ),
            (
                json!({"certManagement": 1}),
                "certManagement: expected a string",
            ),
            (
                json!({"metricsCertSecretName": ""}),
                "metricsCertSecretName: must not be empty",
            ),
            (
                json!({"metricsContainerName": ""}),
                "metricsContainerName: must not be empty",
            ),
            (
                json!({"metricsCertVolumeName": ""}),
                "metricsCertVolumeName: must not be empty",
            ),
            (
                json!({"metricsCertMountPath": ""}),
                "metricsCertMountPath: must not be empty",
            ),
            (
                json!({"webhookCertMountPath": ""}),
                "webhookCertMountPath: must not be empty",
            ),
            (
                json!({"metricsCertMountPath": "tmp/certs"}),
                "metricsCertMountPath: \"tmp/certs\" is not an absolute path",
            ),
            (
                json!({"webhookCertMountPath": "certs"}),
                "webhookCertMountPath: \"certs\" is not an absolute path",
            ),
            (
                json!({"metricsCertVolumeName": "Metrics_Certs"}),
                "metricsCertVolumeName: \"Metrics_Certs\" is not a valid volume name",
            ),
            (
                json!({"metricsCertVolumeName": "metrics.certs"}),
                "metricsCertVolumeName: \"metrics.certs\" is not a valid volume name",
            ),
            (
                json!({"metricsCertSecretName": "Metrics_Cert"}),
                "metricsCertSecretName: \"Metrics_Cert\" is not a valid Secret name",
            ),
            (
                json!({"allowInsecureSkipVerify": true}),
                "allowInsecureSkipVerify: only allowed with certManagement: internal (is auto)",
            ),
            (
                json!({"allowInsecureSkipVerify": true, "certManagement": "external"}),
                "allowInsecureSkipVerify: only allowed with certManagement: internal (is external)",
            ),
            (
                json!({"certKeyPairs": [{"cert": "", "key": "TLS_KEY"}]}),
                "certKeyPairs[0].cert: must not be empty",
            ),
            (
                json!({"certKeyPairs": [{"cert": "TLS_CERT"}]}),
                "certKeyPairs[0].key: must not be empty",
            ),
            (
                json!({"certKeyPairs": [{"cert": "--cert", "key": "--cert"}]}),
                "certKeyPairs[0]: cert and key are both \"--cert\"",
            ),
            (
                json!({"certKeyPairs": [{"cert": "A", "key": "B", "ca": "C"}]}),
                "certKeyPairs[0].ca: unknown key",
            ),
            (
                json!({"certKeyPairs": ["--cert"]}),
                "certKeyPairs[0]: expected an object",
            ),
            (
                json!({"certKeyPairs": {"cert": "A", "key": "B"}}),
                "certKeyPairs: expected a list",
            ),
            (
                json!({"certKeyPairs": [{"cert": 1, "key": "B"}]}),
                "certKeyPairs[0].cert: expected a string, got number",
            ),
            (
                json!({"requireHttps": "true"}),
                "requireHttps: expected a boolean (true or false), got string",
            ),
            (
                json!({"injectMetricsCertMount": 0}),
                "injectMetricsCertMount: expected a boolean (true or false), got number",
            ),
            (
                json!({"metricsCertMountPath": ["/a"]}),
                "metricsCertMountPath: expected a string, got list",
            ),
            (json!([]), "settings: expected an object, got list"),
        ];
        for (input, expected) in cases {
            let err = check(input.clone()).expect_err(&input.to_string());
            assert!(
                err.contains(expected),
                "{input}: {err:?} lacks {expected:?}"
            );
        }
    }

    #[test]
    fn all_problems_are_reported_together() {
        let err = check(json!({"requireHttps": "yes", "typo": 1})).unwrap_err();
        assert!(err.contains("typo: unknown setting"), "{err}");
        assert!(err.contains("requireHttps: expected a boolean"), "{err}");
        let err =
            check(json!({"metricsCertMountPath": "a", "webhookCertMountPath": "b"})).unwrap_err();
        assert!(err.contains("metricsCertMountPath") && err.contains("webhookCertMountPath"));
    }

    #[test]
    fn internal_mode_may_allow_skip_verify() {
        let s =
            check(json!({"certManagement": "internal", "allowInsecureSkipVerify": true})).unwrap();
        assert!(s.allow_insecure_skip_verify);
    }

    #[test]
    fn deserialize_uses_the_same_reader() {
        let s: Settings = serde_json::from_value(json!({"requireHttps": true})).unwrap();
        assert!(s.require_https);
        assert!(serde_json::from_value::<Settings>(json!({"nope": 1})).is_err());
    }

    #[test]
    fn cross_object_checks_setting() {
        assert!(check(json!({})).unwrap().cross_object_checks);
        assert!(
            !check(json!({"crossObjectChecks": false}))
                .unwrap()
                .cross_object_checks
        );
        let err = check(json!({"crossObjectChecks": "no"})).unwrap_err();
        assert!(
            err.contains("crossObjectChecks: expected a boolean"),
            "{err}"
        );
    }
}
