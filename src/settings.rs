//! Policy settings (SPEC sections 1 and 11).
//!
//! Settings are read from untyped JSON by hand rather than by a derived
//! `Deserialize`, so that every problem (unknown key, wrong JSON type, bad
//! value) is reported at once, each as a [`Violation`] of rule `settings`
//! with its field path (`certKeyPairs[1].cert`, `exceptions[2].rules[0]`) and
//! the same error types as the rules use. `null` for a key means "use the
//! default" (an empty YAML value).
//!
//! The keys are listed once, in [`TABLE`]: it drives parsing, unknown-key
//! detection and [`KEYS`], which the packaging tests compare with the README
//! and Artifact Hub questions.

use crate::dialect::{self, Dialect, Dialects};
use crate::exceptions::{self, Exception};
use crate::names::{is_dns1123_label, is_dns1123_subdomain};
use crate::report::{ErrorType, FieldPath, Report, Violation};
use crate::rule::Rule;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum CertManagement {
    /// Infer each workload's certificate mode from what it mounts.
    #[default]
    Auto,
    /// Metrics certificates come from an issuer such as cert-manager.
    External,
    /// Components issue their own (self-signed) metrics certificates.
    Internal,
}

impl CertManagement {
    const ALL: [CertManagement; 3] = [
        CertManagement::Auto,
        CertManagement::External,
        CertManagement::Internal,
    ];

    fn as_str(self) -> &'static str {
        match self {
            CertManagement::Auto => "auto",
            CertManagement::External => "external",
            CertManagement::Internal => "internal",
        }
    }
}

impl fmt::Display for CertManagement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An extra certificate/key pair for rule W1. A name starting with `-` is a
/// command-line flag, any other name an environment variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CertKeyPair {
    pub cert: String,
    pub key: String,
}

/// A name or path setting: the default is a static string, so reading the
/// settings of a request allocates nothing for the keys it does not set.
pub(crate) type Name = Cow<'static, str>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    pub cert_management: CertManagement,
    /// The Secret injection mounts: the first entry of `metricsCertSecretName`.
    pub metrics_cert_secret_name: Name,
    /// Every entry of `metricsCertSecretName` (names and globs), when it is a
    /// list; empty when it is the one name above (SPEC 14).
    pub(crate) metrics_cert_secret_patterns: Vec<String>,
    pub metrics_cert_volume_name: Name,
    pub metrics_cert_mount_path: Name,
    pub webhook_cert_mount_path: Name,
    pub metrics_container_name: Name,
    pub inject_metrics_cert_mount: bool,
    pub allow_insecure_skip_verify: bool,
    pub require_https: bool,
    pub cert_key_pairs: Vec<CertKeyPair>,
    /// The cluster's scrape classes (SPEC section 10); their `tlsConfig`s are
    /// checked by `monitors::classes::validate` when the settings are loaded.
    pub(crate) scrape_classes: Vec<ScrapeClassSetting>,
    /// M10: reject monitors that read files from the Prometheus file system.
    pub(crate) deny_file_references: bool,
    /// Scoped, reasoned exceptions (SPEC section 11).
    pub(crate) exceptions: Vec<Exception>,
    /// Look up related objects in the cluster (SPEC section 12): R1-R3 in
    /// every mode, X4 in `auto` mode. Off by default (SPEC 16, "Lookups are
    /// opt-in"): a policy deployed without `contextAwareResources` and
    /// `hostCapabilities` makes no host call at all.
    pub(crate) cross_object_checks: bool,
    /// The metrics-server dialects: `metricsServers`, then the default
    /// dialect with `metricsSecureDefault` (SPEC 14).
    pub(crate) dialects: Dialects,
}

/// One entry of the `scrapeClasses` setting: a class of the cluster's
/// Prometheus/PrometheusAgent `spec.scrapeClasses` (other fields ignored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScrapeClassSetting {
    pub(crate) name: String,
    pub(crate) default: bool,
    pub(crate) tls_config: Option<Value>,
    pub(crate) authorization: Option<Value>,
    /// The class's target `relabelings` (a list), which may rewrite
    /// `__scheme__` for every monitor of the class (SPEC 10).
    pub(crate) relabelings: Option<Value>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            cert_management: CertManagement::Auto,
            metrics_cert_secret_name: Cow::Borrowed("metrics-server-cert"),
            metrics_cert_secret_patterns: Vec::new(),
            metrics_cert_volume_name: Cow::Borrowed("metrics-certs"),
            metrics_cert_mount_path: Cow::Borrowed(DEFAULT_METRICS_CERT_MOUNT_PATH),
            webhook_cert_mount_path: Cow::Borrowed(DEFAULT_WEBHOOK_CERT_MOUNT_PATH),
            metrics_container_name: Cow::Borrowed("manager"),
            inject_metrics_cert_mount: true,
            allow_insecure_skip_verify: false,
            require_https: false,
            cert_key_pairs: Vec::new(),
            scrape_classes: Vec::new(),
            deny_file_references: false,
            exceptions: Vec::new(),
            cross_object_checks: false,
            dialects: Dialects::default(),
        }
    }
}

/// Reads one key's (non-null) value into the settings, reporting every
/// problem under the key's path.
type ReadFn = fn(&mut Settings, &Value, &FieldPath, &mut Report);

/// The JSON type a settings key takes (besides `null`, which means the
/// default). The readers check it with their own messages; the tests hold
/// the declaration to them, to the Artifact Hub questions and to the
/// property tests' generators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingType {
    Boolean,
    String,
    List,
    /// A string, or a list of strings.
    StringOrList,
}

impl SettingType {
    /// Whether `v` is of this type.
    pub fn accepts(self, v: &Value) -> bool {
        match self {
            SettingType::Boolean => v.is_boolean(),
            SettingType::String => v.is_string(),
            SettingType::List => v.is_array(),
            SettingType::StringOrList => v.is_string() || v.is_array(),
        }
    }
}

/// A settings key: its name, its JSON type and how its value is read.
struct Key {
    name: &'static str,
    ty: SettingType,
    read: ReadFn,
}

/// The index of `certManagement` in [`TABLE`], which other keys' readings
/// depend on.
const CERT_MANAGEMENT: usize = 0;

/// Every settings key, in the order of the README's settings table.
const TABLE: [Key; 16] = [
    Key {
        name: "certManagement",
        ty: SettingType::String,
        read: |s, v, p, r| {
            if let Some(m) = read_cert_management(v, p, r) {
                s.cert_management = m;
            }
        },
    },
    Key {
        name: "metricsCertSecretName",
        ty: SettingType::StringOrList,
        read: read_metrics_secret,
    },
    Key {
        name: "metricsCertVolumeName",
        ty: SettingType::String,
        read: |s, v, p, r| {
            if let Some(name) = read_name(v, p, r) {
                if !is_dns1123_label(&name) {
                    r.push(Rule::Settings, p.clone(), ErrorType::Invalid, format!(
                        "{name:?} is not a valid volume name (a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters)"
                    ));
                }
                s.metrics_cert_volume_name = name.into();
            }
        },
    },
    Key {
        name: "metricsCertMountPath",
        ty: SettingType::String,
        read: |s, v, p, r| {
            if let Some(path) = read_mount_path(v, p, r, DEFAULT_METRICS_CERT_MOUNT_PATH) {
                s.metrics_cert_mount_path = path.into();
            }
        },
    },
    Key {
        name: "webhookCertMountPath",
        ty: SettingType::String,
        read: |s, v, p, r| {
            if let Some(path) = read_mount_path(v, p, r, DEFAULT_WEBHOOK_CERT_MOUNT_PATH) {
                s.webhook_cert_mount_path = path.into();
            }
        },
    },
    Key {
        name: "metricsContainerName",
        ty: SettingType::String,
        read: |s, v, p, r| {
            if let Some(name) = read_name(v, p, r) {
                s.metrics_container_name = name.into();
            }
        },
    },
    Key {
        name: "injectMetricsCertMount",
        ty: SettingType::Boolean,
        read: |s, v, p, r| {
            if let Some(b) = read_bool(v, p, r) {
                s.inject_metrics_cert_mount = b;
            }
        },
    },
    Key {
        name: "allowInsecureSkipVerify",
        ty: SettingType::Boolean,
        read: |s, v, p, r| {
            if let Some(b) = read_bool(v, p, r) {
                s.allow_insecure_skip_verify = b;
            }
        },
    },
    Key {
        name: "requireHttps",
        ty: SettingType::Boolean,
        read: |s, v, p, r| {
            if let Some(b) = read_bool(v, p, r) {
                s.require_https = b;
            }
        },
    },
    Key {
        name: "certKeyPairs",
        ty: SettingType::List,
        read: |s, v, p, r| s.cert_key_pairs = read_pairs(v, p, r),
    },
    Key {
        name: "scrapeClasses",
        ty: SettingType::List,
        read: |s, v, p, r| s.scrape_classes = read_scrape_classes(v, p, r),
    },
    Key {
        name: "denyFileReferences",
        ty: SettingType::Boolean,
        read: |s, v, p, r| {
            if let Some(b) = read_bool(v, p, r) {
                s.deny_file_references = b;
            }
        },
    },
    Key {
        name: "exceptions",
        ty: SettingType::List,
        read: |s, v, p, r| s.exceptions = exceptions::read(v, p, r),
    },
    Key {
        name: "crossObjectChecks",
        ty: SettingType::Boolean,
        read: |s, v, p, r| {
            if let Some(b) = read_bool(v, p, r) {
                s.cross_object_checks = b;
            }
        },
    },
    Key {
        name: "metricsServers",
        ty: SettingType::List,
        read: |s, v, p, r| s.dialects.declared = dialect::read(v, p, r),
    },
    Key {
        name: "metricsSecureDefault",
        ty: SettingType::Boolean,
        read: |s, v, p, r| {
            if let Some(b) = read_bool(v, p, r) {
                s.dialects.default = Dialect::default_with(b);
            }
        },
    },
];

/// `metricsCertSecretName`: a Secret name, or a list of names and globs
/// whose first entry is a plain name (the Secret injection mounts).
fn read_metrics_secret(s: &mut Settings, v: &Value, p: &FieldPath, r: &mut Report) {
    // A glob's literal parts are checked as a name would be (each `*` read
    // as one letter); the message quotes the entry as written.
    let secret_name = |name: &str, path: &FieldPath, r: &mut Report| {
        if !is_dns1123_subdomain(&name.replace('*', "x")) {
            let what = if name.contains('*') {
                "is not a valid Secret name glob (with each * read as a letter, it must be"
            } else {
                "is not a valid Secret name (it must be"
            };
            r.push(Rule::Settings, path.clone(), ErrorType::Invalid, format!(
                "{name:?} {what} a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', at most 253 characters)"
            ));
        }
    };
    match v {
        Value::Array(items) => {
            if items.is_empty() {
                r.push(
                    Rule::Settings,
                    p.clone(),
                    ErrorType::Required,
                    "must not be empty",
                );
                return;
            }
            let mut patterns = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let at = p.index(i);
                let Some(name) = read_name(item, &at, r) else {
                    continue;
                };
                if i == 0 && name.contains('*') {
                    r.push(Rule::Settings, at, ErrorType::Invalid, format!(
                        "{name:?} is a glob, but the first entry is the Secret the policy mounts when it injects: make it a plain name"
                    ));
                    continue;
                }
                secret_name(&name, &at, r);
                patterns.push(name);
            }
            if let Some(first) = patterns.first() {
                s.metrics_cert_secret_name = first.clone().into();
            }
            s.metrics_cert_secret_patterns = patterns;
        }
        Value::String(_) => {
            if let Some(name) = read_name(v, p, r) {
                secret_name(&name, p, r);
                s.metrics_cert_secret_name = name.into();
            }
        }
        other => r.type_invalid_for(
            Rule::Settings,
            p.clone(),
            "a Secret name, or a list of Secret names and globs",
            other,
        ),
    }
}

const fn names<const N: usize>(table: &[Key; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = table[i].name;
        i += 1;
    }
    out
}

/// Every settings key, in the order of the README's settings table.
pub const KEYS: [&str; TABLE.len()] = names(&TABLE);

/// The JSON type of a settings key; `None` for a key that is not one.
pub fn setting_type(key: &str) -> Option<SettingType> {
    TABLE.iter().find(|k| k.name == key).map(|k| k.ty)
}

/// A string value, or a type problem.
fn read_string(v: &Value, path: &FieldPath, report: &mut Report) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        other => {
            report.type_invalid_for(Rule::Settings, path.clone(), "a string", other);
            None
        }
    }
}

fn read_bool(v: &Value, path: &FieldPath, report: &mut Report) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        other => {
            report.type_invalid_for(
                Rule::Settings,
                path.clone(),
                "a boolean (true or false)",
                other,
            );
            None
        }
    }
}

/// A non-empty string.
fn read_name(v: &Value, path: &FieldPath, report: &mut Report) -> Option<String> {
    let s = read_string(v, path, report)?;
    if s.is_empty() {
        report.push(
            Rule::Settings,
            path.clone(),
            ErrorType::Required,
            "must not be empty",
        );
        return None;
    }
    Some(s)
}

const DEFAULT_METRICS_CERT_MOUNT_PATH: &str = "/tmp/k8s-metrics-server/metrics-certs";
const DEFAULT_WEBHOOK_CERT_MOUNT_PATH: &str = "/tmp/k8s-webhook-server/serving-certs";

/// Directories a certificate mount path may not clean to: `/`, the top-level
/// directories of the Filesystem Hierarchy Standard, and the system
/// directories below them that images and the kubelet fill (binaries and
/// libraries, the CA bundle, the service-account token). The policy mounts a
/// Secret at `metricsCertMountPath` (X3, W5, the opt-in) and judges webhook
/// certificates at `webhookCertMountPath`: a Secret mounted at one of these
/// hides what the image or the kubelet put there, and the container breaks.
/// A directory of its own below them (`/etc/kueue/metrics/certs`,
/// `/tmp/k8s-metrics-server/metrics-certs`) is fine.
const SYSTEM_DIRS: [&str; 35] = [
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/etc/pki",
    "/etc/pki/tls",
    "/etc/ssl",
    "/etc/ssl/certs",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/run/secrets",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/bin",
    "/usr/lib",
    "/usr/local",
    "/usr/sbin",
    "/var",
    "/var/run",
    "/var/run/secrets",
    "/var/run/secrets/kubernetes.io",
    "/var/run/secrets/kubernetes.io/serviceaccount",
];

/// `path` cleaned lexically, as Go's `path.Clean` and the kubelet read a
/// mount path: empty and `.` components dropped, `..` takes back the
/// component before it (`/..` is `/`). Linear in the path's length.
fn clean_lexically(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for part in &parts {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// An absolute mount path that does not clean to `/` or a system directory
/// ([`SYSTEM_DIRS`]); `example` is the key's default, for the advice.
fn read_mount_path(
    v: &Value,
    path: &FieldPath,
    report: &mut Report,
    example: &str,
) -> Option<String> {
    let s = read_name(v, path, report)?;
    if !s.starts_with('/') {
        report.push(
            Rule::Settings,
            path.clone(),
            ErrorType::Invalid,
            format!("{s:?} is not an absolute path; use a path starting with '/'"),
        );
        return Some(s);
    }
    let clean = clean_lexically(&s);
    if SYSTEM_DIRS.contains(&clean.as_str()) {
        let cleaned = if clean == s {
            String::new()
        } else {
            format!(" cleans to {clean}, which")
        };
        report.push(
            Rule::Settings,
            path.clone(),
            ErrorType::Invalid,
            format!(
                "{s:?}{cleaned} is {}: a Secret mounted there would hide what the image or the kubelet put there; use a directory of its own, such as {example}",
                if clean == "/" { "the root directory" } else { "a system directory" }
            ),
        );
    }
    Some(s)
}

fn read_cert_management(
    v: &Value,
    path: &FieldPath,
    report: &mut Report,
) -> Option<CertManagement> {
    let Value::String(s) = v else {
        report.type_invalid_for(
            Rule::Settings,
            path.clone(),
            "a string (auto, external or internal)",
            v,
        );
        return None;
    };
    let found = CertManagement::ALL.into_iter().find(|m| m.as_str() == s);
    if found.is_none() {
        report.push(
            Rule::Settings,
            path.clone(),
            ErrorType::Invalid,
            format!("unknown value {s:?}; use auto, external or internal"),
        );
    }
    found
}

/// Whether a `certKeyPairs` name names something: a flag (`-NAME`, `--NAME`)
/// needs a NAME without white space or `=`, an env var a name that is not blank.
fn pair_name(name: &str, path: &FieldPath, report: &mut Report) -> bool {
    let flag = name.strip_prefix('-').map(|n| n.trim_start_matches('-'));
    let problem = match flag {
        Some("") => "names no flag (a flag is -NAME or --NAME)",
        Some(f) if f.contains('=') || f.chars().any(char::is_whitespace) => {
            "is not a flag name (it holds '=' or white space)"
        }
        None if name.trim().is_empty() => "is blank (an env var name has no white space)",
        _ => return true,
    };
    report.push(
        Rule::Settings,
        path.clone(),
        ErrorType::Invalid,
        format!("{name:?} {problem}"),
    );
    false
}

fn read_pairs(v: &Value, path: &FieldPath, report: &mut Report) -> Vec<CertKeyPair> {
    let Value::Array(items) = v else {
        report.type_invalid_for(
            Rule::Settings,
            path.clone(),
            "a list of {cert, key} objects",
            v,
        );
        return Vec::new();
    };
    let mut pairs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let Value::Object(m) = item else {
            report.type_invalid_for(
                Rule::Settings,
                at.clone(),
                "an object with keys cert and key",
                item,
            );
            continue;
        };
        unknown_keys(m, &["cert", "key"], &at, report);
        let mut field = |name: &str| {
            let p = at.child(name);
            match m.get(name) {
                None | Some(Value::Null) => {
                    report.push(Rule::Settings, p, ErrorType::Required, "must not be empty");
                    None
                }
                Some(v) => read_name(v, &p, report).filter(|n| pair_name(n, &p, report)),
            }
        };
        let (cert, key) = (field("cert"), field("key"));
        let (Some(cert), Some(key)) = (cert, key) else {
            continue;
        };
        // One or two dashes are the same flag (SPEC 9): `--a` and `-a` too.
        let source = |n: &str| match n.strip_prefix('-') {
            Some(flag) => (true, flag.trim_start_matches('-').to_string()),
            None => (false, n.to_string()),
        };
        if source(&cert) == source(&key) {
            report.push(
                Rule::Settings,
                at,
                ErrorType::Invalid,
                format!(
                    "cert {cert:?} and key {key:?} name the same {}; a pair names two different flags or env vars (one or two dashes are the same flag)",
                    if cert.starts_with('-') { "flag" } else { "env var" }
                ),
            );
            continue;
        }
        pairs.push(CertKeyPair { cert, key });
    }
    pairs
}

/// The `scrapeClasses` list: each `{name, default, tlsConfig, authorization}`
/// with a non-empty name; other keys are the Prometheus object's and ignored.
fn read_scrape_classes(
    v: &Value,
    path: &FieldPath,
    report: &mut Report,
) -> Vec<ScrapeClassSetting> {
    let Value::Array(items) = v else {
        report.type_invalid_for(
            Rule::Settings,
            path.clone(),
            "a list of {name, default, tlsConfig, authorization} objects",
            v,
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let Value::Object(m) = item else {
            report.type_invalid_for(Rule::Settings, at.clone(), "an object with a name", item);
            continue;
        };
        let get = |k: &str| m.get(k).filter(|v| !v.is_null());
        let name = match get("name") {
            Some(v) => read_name(v, &at.child("name"), report).unwrap_or_default(),
            None => {
                report.push(
                    Rule::Settings,
                    at.child("name"),
                    ErrorType::Required,
                    "must not be empty",
                );
                String::new()
            }
        };
        let default = get("default")
            .and_then(|v| read_bool(v, &at.child("default"), report))
            .unwrap_or(false);
        let mut object = |key: &str| match get(key) {
            None => None,
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(other) => {
                report.type_invalid_for(Rule::Settings, at.child(key), "an object", other);
                None
            }
        };
        let tls_config = object("tlsConfig");
        let authorization = object("authorization");
        let relabelings = match get("relabelings") {
            None => None,
            Some(v @ Value::Array(_)) => Some(v.clone()),
            Some(other) => {
                report.type_invalid_for(Rule::Settings, at.child("relabelings"), "a list", other);
                None
            }
        };
        out.push(ScrapeClassSetting {
            name,
            default,
            tls_config,
            authorization,
            relabelings,
        });
    }
    out
}

/// Reports every key of `m` that is not in `known`, naming the known ones.
fn unknown_keys(m: &Map<String, Value>, known: &[&str], path: &FieldPath, report: &mut Report) {
    for k in m.keys() {
        if !known.contains(&k.as_str()) {
            report.push(
                Rule::Settings,
                path.child(k),
                ErrorType::Forbidden,
                format!("unknown key; the keys are {}", known.join(", ")),
            );
        }
    }
}

impl Settings {
    /// Whether Secret `name` holds metrics certificates: it is
    /// `metricsCertSecretName`, or matches one of its entries (SPEC 14).
    pub(crate) fn is_metrics_secret(&self, name: &str) -> bool {
        if self.metrics_cert_secret_patterns.is_empty() {
            return name == self.metrics_cert_secret_name;
        }
        self.metrics_cert_secret_patterns
            .iter()
            .any(|g| dialect::glob_matches(g, name))
    }

    /// Reads settings from JSON: every problem, each as a `settings`
    /// violation with its path.
    pub(crate) fn read(value: &Value) -> Result<Settings, Vec<Violation>> {
        let empty = Map::new();
        let mut report = Report::new();
        let map = match value {
            Value::Object(m) => m,
            Value::Null => &empty,
            other => {
                report.type_invalid_for(Rule::Settings, FieldPath::root(), "an object", other);
                return Err(report.violations);
            }
        };
        // One pass over the keys given (usually none or a few): each is found
        // in the table or reported as unknown; the values are then read in
        // the table's order, so problems are listed in the README's order.
        let mut given: [Option<&Value>; TABLE.len()] = [None; TABLE.len()];
        for (key, v) in map {
            match KEYS.iter().position(|k| *k == key.as_str()) {
                Some(i) => given[i] = Some(v).filter(|v| !v.is_null()),
                None => report.push(
                    Rule::Settings,
                    FieldPath::root().child(key),
                    ErrorType::Forbidden,
                    format!("unknown setting; the settings are {}", KEYS.join(", ")),
                ),
            }
        }
        let mut s = Settings::default();
        let mut unreadable = [false; TABLE.len()];
        for ((key, v), unreadable) in TABLE.iter().zip(given).zip(&mut unreadable) {
            if let Some(v) = v {
                let problems = report.violations.len();
                (key.read)(&mut s, v, &FieldPath::root().child(key.name), &mut report);
                *unreadable = report.violations.len() > problems;
            }
        }
        // Across keys: only when certManagement itself was readable.
        let mode_ok = !unreadable[CERT_MANAGEMENT];
        if mode_ok && s.allow_insecure_skip_verify && s.cert_management != CertManagement::Internal
        {
            report.forbidden(
                Rule::Settings,
                FieldPath::root().child("allowInsecureSkipVerify"),
                format!(
                    "only allowed with certManagement: internal (is {}); with externally issued certificates every scrape can verify them",
                    s.cert_management
                ),
            );
        }
        if report.is_clean() {
            Ok(s)
        } else {
            Err(report.violations)
        }
    }
}

/// The message of refused settings: one problem on one line, several as a
/// list (the shape of a rejection, SPEC section 13).
pub(crate) fn message(violations: &[Violation]) -> String {
    match violations {
        [one] => format!("invalid settings: {one}"),
        many => {
            let mut m = format!("invalid settings, {} problems:", many.len());
            for v in many {
                m.push_str("\n- ");
                m.push_str(&v.to_string());
            }
            m
        }
    }
}

impl<'de> serde::Deserialize<'de> for Settings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Settings::read(&v).map_err(|e| serde::de::Error::custom(message(&e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Result<Settings, String> {
        Settings::read(&v).map_err(|e| message(&e))
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
        assert!(!s.cross_object_checks, "lookups are opt-in (SPEC 16)");
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

    /// The problems of `input`, as (path, error type, detail) triples.
    fn problems(input: &Value) -> Vec<(String, ErrorType, String)> {
        let violations = Settings::read(input).expect_err(&input.to_string());
        violations
            .into_iter()
            .map(|v| {
                assert_eq!(v.rule, Rule::Settings, "{v}");
                (v.path.as_str().to_string(), v.kind, v.detail)
            })
            .collect()
    }

    /// Each settings rule of SPEC section 1: the input, the path and type of
    /// the one problem it has, and a fragment of its detail.
    #[test]
    fn settings_refusals_name_the_path() {
        use ErrorType::{Forbidden, Invalid, Required, TypeInvalid};
        let cases = [
            (
                json!({"certManagment": "auto"}),
                "certManagment",
                Forbidden,
                "unknown setting",
            ),
            (
                json!({"certManagement": "manual"}),
                "certManagement",
                Invalid,
                "unknown value \"manual\"",
            ),
            (
                json!({"certManagement": 1}),
                "certManagement",
                TypeInvalid,
                "expected a string",
            ),
            (
                json!({"metricsCertSecretName": ""}),
                "metricsCertSecretName",
                Required,
                "must not be empty",
            ),
            (
                json!({"metricsContainerName": ""}),
                "metricsContainerName",
                Required,
                "must not be empty",
            ),
            (
                json!({"metricsCertVolumeName": ""}),
                "metricsCertVolumeName",
                Required,
                "must not be empty",
            ),
            (
                json!({"metricsCertMountPath": ""}),
                "metricsCertMountPath",
                Required,
                "must not be empty",
            ),
            (
                json!({"webhookCertMountPath": ""}),
                "webhookCertMountPath",
                Required,
                "must not be empty",
            ),
            (
                json!({"metricsCertMountPath": "tmp/certs"}),
                "metricsCertMountPath",
                Invalid,
                "\"tmp/certs\" is not an absolute path",
            ),
            (
                json!({"webhookCertMountPath": "certs"}),
                "webhookCertMountPath",
                Invalid,
                "\"certs\" is not an absolute path",
            ),
            (
                json!({"metricsCertMountPath": "/tmp/.."}),
                "metricsCertMountPath",
                Invalid,
                "\"/tmp/..\" cleans to /, which is the root directory",
            ),
            (
                json!({"metricsCertMountPath": "//"}),
                "metricsCertMountPath",
                Invalid,
                "\"//\" cleans to /, which is the root directory",
            ),
            (
                json!({"metricsCertMountPath": "/tmp"}),
                "metricsCertMountPath",
                Invalid,
                "\"/tmp\" is a system directory",
            ),
            (
                json!({"webhookCertMountPath": "/etc/./"}),
                "webhookCertMountPath",
                Invalid,
                "\"/etc/./\" cleans to /etc, which is a system directory: a Secret mounted there would hide what the image or the kubelet put there; use a directory of its own, such as /tmp/k8s-webhook-server/serving-certs",
            ),
            (
                json!({"webhookCertMountPath": "/var/run/secrets/kubernetes.io/serviceaccount/x/.."}),
                "webhookCertMountPath",
                Invalid,
                "cleans to /var/run/secrets/kubernetes.io/serviceaccount, which is a system directory",
            ),
            (
                json!({"metricsCertMountPath": "/usr//lib/"}),
                "metricsCertMountPath",
                Invalid,
                "such as /tmp/k8s-metrics-server/metrics-certs",
            ),
            (
                json!({"metricsCertVolumeName": "Metrics_Certs"}),
                "metricsCertVolumeName",
                Invalid,
                "\"Metrics_Certs\" is not a valid volume name",
            ),
            (
                json!({"metricsCertVolumeName": "metrics.certs"}),
                "metricsCertVolumeName",
                Invalid,
                "\"metrics.certs\" is not a valid volume name",
            ),
            (
                json!({"metricsCertSecretName": "Metrics_Cert"}),
                "metricsCertSecretName",
                Invalid,
                "\"Metrics_Cert\" is not a valid Secret name",
            ),
            (
                json!({"metricsCertSecretName": ["metrics-server-cert", "*_bad"]}),
                "metricsCertSecretName[1]",
                Invalid,
                "\"*_bad\" is not a valid Secret name glob",
            ),
            (
                json!({"allowInsecureSkipVerify": true}),
                "allowInsecureSkipVerify",
                Forbidden,
                "only allowed with certManagement: internal (is auto)",
            ),
            (
                json!({"allowInsecureSkipVerify": true, "certManagement": "external"}),
                "allowInsecureSkipVerify",
                Forbidden,
                "only allowed with certManagement: internal (is external)",
            ),
            (
                json!({"certKeyPairs": [{"cert": "", "key": "TLS_KEY"}]}),
                "certKeyPairs[0].cert",
                Required,
                "must not be empty",
            ),
            (
                json!({"certKeyPairs": [{"cert": "TLS_CERT"}]}),
                "certKeyPairs[0].key",
                Required,
                "must not be empty",
            ),
            (
                json!({"certKeyPairs": [{"cert": "A", "key": "B"}, {"cert": "--cert", "key": "--cert"}]}),
                "certKeyPairs[1]",
                Invalid,
                "cert \"--cert\" and key \"--cert\" name the same flag",
            ),
            (
                json!({"certKeyPairs": [{"cert": "--client-cert", "key": "-client-cert"}]}),
                "certKeyPairs[0]",
                Invalid,
                "name the same flag; a pair names two different flags or env vars (one or two dashes",
            ),
            (
                json!({"certKeyPairs": [{"cert": "--", "key": "TLS_KEY"}]}),
                "certKeyPairs[0].cert",
                Invalid,
                "\"--\" names no flag",
            ),
            (
                json!({"certKeyPairs": [{"cert": "--client-cert=x", "key": "TLS_KEY"}]}),
                "certKeyPairs[0].cert",
                Invalid,
                "is not a flag name",
            ),
            (
                json!({"certKeyPairs": [{"cert": "TLS_CERT", "key": " "}]}),
                "certKeyPairs[0].key",
                Invalid,
                "is blank",
            ),
            (
                json!({"certKeyPairs": [{"cert": "A", "key": "B", "ca": "C"}]}),
                "certKeyPairs[0].ca",
                Forbidden,
                "unknown key",
            ),
            (
                json!({"certKeyPairs": ["--cert"]}),
                "certKeyPairs[0]",
                TypeInvalid,
                "expected an object",
            ),
            (
                json!({"certKeyPairs": {"cert": "A", "key": "B"}}),
                "certKeyPairs",
                TypeInvalid,
                "expected a list",
            ),
            (
                json!({"certKeyPairs": [{"cert": 1, "key": "B"}]}),
                "certKeyPairs[0].cert",
                TypeInvalid,
                "expected a string, got number",
            ),
            (
                json!({"requireHttps": "true"}),
                "requireHttps",
                TypeInvalid,
                "expected a boolean (true or false), got string",
            ),
            (
                json!({"injectMetricsCertMount": 0}),
                "injectMetricsCertMount",
                TypeInvalid,
                "expected a boolean (true or false), got number",
            ),
            (
                json!({"metricsCertMountPath": ["/a"]}),
                "metricsCertMountPath",
                TypeInvalid,
                "expected a string, got list",
            ),
            (
                json!({"exceptions": {}}),
                "exceptions",
                TypeInvalid,
                "expected a list",
            ),
            (json!([]), "", TypeInvalid, "expected an object, got list"),
        ];
        for (input, path, kind, detail) in cases {
            let got = problems(&input);
            assert_eq!(got.len(), 1, "{input}: {got:?}");
            let (p, k, d) = &got[0];
            assert_eq!((p.as_str(), *k), (path, kind), "{input}: {d}");
            assert!(d.contains(detail), "{input}: {d:?} lacks {detail:?}");
        }
    }

    /// Mount paths are judged cleaned: a directory of its own below a system
    /// directory is fine, the system directory itself (however written) is not.
    #[test]
    fn mount_paths_clean_to_a_directory_of_their_own() {
        for (written, clean) in [
            ("/", "/"),
            ("//", "/"),
            ("/tmp/..", "/"),
            ("/../..", "/"),
            ("/etc/./", "/etc"),
            ("/a/./b//c/../d", "/a/b/d"),
            (
                "/tmp/k8s-metrics-server/metrics-certs",
                "/tmp/k8s-metrics-server/metrics-certs",
            ),
        ] {
            assert_eq!(clean_lexically(written), clean, "{written}");
        }
        for fine in [
            "/tmp/k8s-metrics-server/metrics-certs",
            "/tmp/k8s-metrics-server/serving-certs/",
            "/etc/kueue/metrics/certs",
            "/etc/metrics",
            "/var/run/certs",
            "/tmp/../certs",
        ] {
            for key in ["metricsCertMountPath", "webhookCertMountPath"] {
                let s = check(json!({ key: fine })).unwrap_or_else(|e| panic!("{fine}: {e}"));
                let got = match key {
                    "metricsCertMountPath" => &s.metrics_cert_mount_path,
                    _ => &s.webhook_cert_mount_path,
                };
                assert_eq!(got, fine);
            }
        }
        for dir in SYSTEM_DIRS {
            for written in [dir.to_string(), format!("{dir}/"), format!("{dir}/x/..")] {
                for key in ["metricsCertMountPath", "webhookCertMountPath"] {
                    let got = problems(&json!({ key: written }));
                    assert_eq!(got.len(), 1, "{written}");
                    assert_eq!((got[0].0.as_str(), got[0].1), (key, ErrorType::Invalid));
                }
            }
        }
    }

    #[test]
    fn the_message_lists_every_problem_with_its_path() {
        let err = check(json!({"certManagment": "auto"})).unwrap_err();
        assert!(
            err.starts_with("invalid settings: certManagment: Forbidden: unknown setting; the settings are certManagement, "),
            "{err}"
        );
        assert!(err.ends_with(" [settings]"), "{err}");
        let err = check(json!({
            "requireHttps": "yes",
            "typo": 1,
            "certKeyPairs": [{"cert": "A", "key": "B"}, {"cert": "", "key": "K"}]
        }))
        .unwrap_err();
        assert!(
            err.starts_with("invalid settings, 3 problems:\n- "),
            "{err}"
        );
        assert!(
            err.contains("\n- typo: Forbidden: unknown setting"),
            "{err}"
        );
        assert!(
            err.contains("\n- requireHttps: Invalid type: expected a boolean (true or false), got string [settings]"),
            "{err}"
        );
        assert!(
            err.contains("\n- certKeyPairs[1].cert: Required value: must not be empty [settings]"),
            "{err}"
        );
        let err =
            check(json!({"metricsCertMountPath": "a", "webhookCertMountPath": "b"})).unwrap_err();
        assert!(err.contains("metricsCertMountPath") && err.contains("webhookCertMountPath"));
    }

    /// An unreadable certManagement is one problem, not also a spurious
    /// allowInsecureSkipVerify conflict with the default mode.
    #[test]
    fn a_bad_mode_is_not_judged_again() {
        let got = problems(&json!({"certManagement": "Internal", "allowInsecureSkipVerify": true}));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "certManagement");
    }

    #[test]
    fn keys_come_from_the_table() {
        assert_eq!(KEYS.len(), TABLE.len());
        assert_eq!(KEYS[CERT_MANAGEMENT], "certManagement");
        assert!(KEYS.contains(&"exceptions"));
        let mut sorted = KEYS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), KEYS.len(), "a key is listed once");
    }

    /// Each key's declared type is the one its reader takes: a value of
    /// every other type is refused as `TypeInvalid` at the key's path, a
    /// value of the declared type never is.
    #[test]
    fn declared_types_are_the_readers_types() {
        let samples = [
            (SettingType::Boolean, json!(true)),
            (SettingType::String, json!("x")),
            (SettingType::List, json!([])),
        ];
        let others = [json!(1), json!({"a": 1})];
        for key in KEYS {
            let ty = setting_type(key).expect(key);
            let type_problem = |v: &Value| {
                Settings::read(&json!({ key: v })).err().is_some_and(|vs| {
                    vs.iter()
                        .any(|p| p.path.as_str() == key && p.kind == ErrorType::TypeInvalid)
                })
            };
            for (t, v) in &samples {
                assert_eq!(
                    type_problem(v),
                    !ty.accepts(v),
                    "{key} declared {ty:?}, value {v} of {t:?}"
                );
            }
            for v in &others {
                assert!(type_problem(v), "{key} took {v}");
            }
        }
        assert_eq!(setting_type("nope"), None);
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
}
