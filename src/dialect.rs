//! Metrics-server dialects (SPEC section 14): how one binary configures its
//! metrics server. A leaf: the settings read the `metricsServers` entries
//! into [`Dialect`]s, and the workload rules resolve each container's metrics
//! server in the dialect its image selects ([`Dialects::for_image`]).
//!
//! | field | default (controller-runtime, Kubebuilder v4) |
//! |---|---|
//! | `bindAddressFlags` | `[metrics-bind-address]` |
//! | `addressForm` | `hostport` (`host`: an IP or DNS name, the port in `portFlag`) |
//! | `portFlag` | none |
//! | `secureFlag` | `metrics-secure` (`""`: the binary has no such flag) |
//! | `secureDefault` | `true` |
//! | `certDirFlags` | `[metrics-cert-path]` |
//! | `injectFlag` | `metrics-cert-path` (`""`: never add a flag) |
//! | `env` | `{}` (`{bindAddress, secure, certDir}`: env vars read like the flags when the flag is absent) |
//!
//! The *default dialect* reads every container no entry's `images` glob
//! matches. It is controller-runtime's, plus the readings real binaries
//! need, with no setting: `--metrics-bind-addr` is read as
//! `--metrics-bind-address`; `--metrics-cert-dir` names the certificate
//! directory like `--metrics-cert-path` (and a container that passes it is
//! never given `--metrics-cert-path`); `--metrics-port` beside the bind
//! address makes the address a bare host (MetalLB's frr-k8s); env
//! `METRICS_ADDR`, `METRICS_SECURE` and `METRICS_CERT_DIR` stand for the
//! flags when the container has none of them (the OpenTelemetry operator,
//! CloudNativePG). Its `secureDefault` is the `metricsSecureDefault` setting.

use crate::flag::{Flag, FlagName};
use crate::report::{ErrorType, FieldPath, Report};
use crate::rule::Rule;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// An env var name: static for the default dialect, so that the
/// settings of every request (which hold it) allocate nothing for it.
pub(crate) type Name = Cow<'static, str>;
/// A list of flag names, static for the default dialect likewise.
pub(crate) type FlagNames = Cow<'static, [FlagName]>;

/// How a binary writes its metrics listen address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddressForm {
    /// `host:port` (or `0`, metrics off), as controller-runtime.
    HostPort,
    /// An IP address or DNS name; the port is in its own flag.
    Host,
}

/// Env vars a binary reads like its flags when the flag is absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DialectEnv {
    pub(crate) bind_address: Option<Name>,
    pub(crate) secure: Option<Name>,
    pub(crate) cert_dir: Option<Name>,
}

/// One binary's metrics server configuration (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dialect {
    /// Image globs (`*` matches any run of characters) over the image
    /// reference without tag and digest, each in all its [`spellings`] (made
    /// once, when the settings are read); empty for the default dialect.
    pub(crate) images: Vec<String>,
    pub(crate) bind_address_flags: FlagNames,
    pub(crate) address_form: AddressForm,
    pub(crate) port_flag: Option<FlagName>,
    /// `None` for a binary with no such flag (`secureFlag: ""`).
    pub(crate) secure_flag: Option<FlagName>,
    pub(crate) secure_default: bool,
    pub(crate) cert_dir_flags: FlagNames,
    /// `None`: never add a flag (`injectFlag: ""`).
    pub(crate) inject_flag: Option<FlagName>,
    pub(crate) env: DialectEnv,
    /// `Some(i)` for entry `metricsServers[i]`, `None` for the default.
    pub(crate) entry: Option<usize>,
}

const BIND: &[FlagName] = &[FlagName::builtin(Flag::METRICS_BIND_ADDRESS)];
const BIND_DEFAULT: &[FlagName] = &[
    FlagName::builtin(Flag::METRICS_BIND_ADDRESS),
    FlagName::builtin(Flag::METRICS_BIND_ADDR),
];
const CERT_DIR: &[FlagName] = &[FlagName::builtin(Flag::METRICS_CERT_PATH)];
const CERT_DIR_DEFAULT: &[FlagName] = &[
    FlagName::builtin(Flag::METRICS_CERT_PATH),
    FlagName::builtin(Flag::METRICS_CERT_DIR),
];
const SECURE: FlagName = FlagName::builtin(Flag::METRICS_SECURE);
const INJECT: FlagName = FlagName::builtin(Flag::METRICS_CERT_PATH);

impl Dialect {
    /// The table's defaults: what a `metricsServers` entry does not say.
    fn table_defaults(entry: usize) -> Dialect {
        Dialect {
            images: Vec::new(),
            bind_address_flags: Cow::Borrowed(BIND),
            address_form: AddressForm::HostPort,
            port_flag: None,
            secure_flag: Some(SECURE),
            secure_default: true,
            cert_dir_flags: Cow::Borrowed(CERT_DIR),
            inject_flag: Some(INJECT),
            env: DialectEnv::default(),
            entry: Some(entry),
        }
    }

    /// The default dialect, with its built-in readings.
    pub(crate) fn default_with(secure_default: bool) -> Dialect {
        Dialect {
            images: Vec::new(),
            bind_address_flags: Cow::Borrowed(BIND_DEFAULT),
            address_form: AddressForm::HostPort,
            port_flag: Some(FlagName::builtin(Flag::METRICS_PORT)),
            secure_flag: Some(SECURE),
            secure_default,
            cert_dir_flags: Cow::Borrowed(CERT_DIR_DEFAULT),
            inject_flag: Some(INJECT),
            env: DialectEnv {
                bind_address: Some(Cow::Borrowed("METRICS_ADDR")),
                secure: Some(Cow::Borrowed("METRICS_SECURE")),
                cert_dir: Some(Cow::Borrowed("METRICS_CERT_DIR")),
            },
            entry: None,
        }
    }

    /// The value flags of this dialect (the command-line reader reads them).
    pub(crate) fn value_flags(&self) -> impl Iterator<Item = Flag<'_>> {
        self.bind_address_flags
            .iter()
            .chain(&self.port_flag)
            .chain(self.cert_dir_flags.iter())
            .chain(&self.inject_flag)
            .map(FlagName::flag)
    }
}

/// Whether `glob` (`*` matches any run of characters, nothing else is
/// special) matches all of `text`. Linear in `text` times the number of `*`
/// segments, with no backtracking beyond the last `*`.
pub(crate) fn glob_matches(glob: &str, text: &str) -> bool {
    let mut parts = glob.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: the whole text.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(k) => rest = &rest[k + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// An image reference without its digest (`@sha256:...`) and tag (`:v1`
/// after the last `/`).
pub(crate) fn image_name(image: &str) -> &str {
    let image = image.split_once('@').map_or(image, |(name, _)| name);
    let slash = image.rfind('/').map_or(0, |k| k + 1);
    match image[slash..].find(':') {
        Some(k) => &image[..slash + k],
        None => image,
    }
}

/// The dialects of the settings: the declared ones in order, then the default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dialects {
    pub(crate) declared: Vec<Dialect>,
    pub(crate) default: Dialect,
}

impl Default for Dialects {
    fn default() -> Self {
        Dialects {
            declared: Vec::new(),
            default: Dialect::default_with(true),
        }
    }
}

impl Dialects {
    /// The dialect that reads a container with this image: the first entry
    /// whose glob matches, else the default.
    pub(crate) fn for_image(&self, image: Option<&str>) -> &Dialect {
        if self.declared.is_empty() {
            return &self.default;
        }
        let Some(name) = image.map(image_name) else {
            return &self.default;
        };
        let names = spellings(name);
        self.declared
            .iter()
            .find(|d| {
                d.images
                    .iter()
                    .any(|g| names.iter().any(|n| glob_matches(g, n)))
            })
            .unwrap_or(&self.default)
    }
}

/// The spellings of one Docker Hub image the kubelet pulls alike: as
/// written, in full (`docker.io/library/busybox`, `docker.io/acme/exporter`)
/// and familiar (`busybox`, `acme/exporter`); `index.docker.io` is
/// `docker.io`. An image and a glob are each read in all their spellings, so
/// a glob written in one matches the others, and an image cannot leave its
/// declared dialect by its spelling.
fn spellings(name: &str) -> Vec<String> {
    let mut out = vec![name.to_string()];
    let (first, rest) = name.split_once('/').unwrap_or(("", name));
    let is_registry = first.contains(['.', ':']) || first == "localhost";
    let path = match first {
        "docker.io" | "index.docker.io" => rest,
        _ if is_registry => return out,
        _ => name,
    };
    let full = match path.contains('/') {
        true => format!("docker.io/{path}"),
        false => format!("docker.io/library/{path}"),
    };
    let familiar = path.strip_prefix("library/").unwrap_or(path);
    // A glob's familiar form that begins with `*` (`docker.io/*` is `*`)
    // would match every registry: only its full form is Docker Hub's.
    let familiar =
        (!familiar.split('/').next().unwrap_or("").contains('*')).then(|| familiar.to_string());
    for n in std::iter::once(full).chain(familiar) {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// The keys of a `metricsServers` entry.
const ENTRY_KEYS: [&str; 9] = [
    "images",
    "bindAddressFlags",
    "addressForm",
    "portFlag",
    "secureFlag",
    "secureDefault",
    "certDirFlags",
    "injectFlag",
    "env",
];

const ENV_KEYS: [&str; 3] = ["bindAddress", "secure", "certDir"];

fn settings_problem(
    report: &mut Report,
    path: FieldPath,
    ty: ErrorType,
    detail: impl crate::report::Detail,
) {
    report.push(Rule::Settings, path, ty, detail);
}

fn unknown_keys(m: &Map<String, Value>, known: &[&str], path: &FieldPath, report: &mut Report) {
    for k in m.keys() {
        if !known.contains(&k.as_str()) {
            settings_problem(
                report,
                path.child(k),
                ErrorType::Forbidden,
                format!("unknown key; the keys are {}", known.join(", ")),
            );
        }
    }
}

/// A flag name: not empty (unless `may_be_empty`, then `None`), not starting
/// with `-` (the name is written without dashes).
fn flag_name(
    v: &Value,
    may_be_empty: bool,
    path: &FieldPath,
    report: &mut Report,
) -> Option<Option<FlagName>> {
    let Value::String(s) = v else {
        report.type_invalid_for(
            Rule::Settings,
            path.clone(),
            "a string (a flag name without dashes)",
            v,
        );
        return None;
    };
    if s.is_empty() {
        if may_be_empty {
            return Some(None);
        }
        settings_problem(
            report,
            path.clone(),
            ErrorType::Required,
            "must not be empty",
        );
        return None;
    }
    if s.starts_with('-') {
        settings_problem(
            report,
            path.clone(),
            ErrorType::Invalid,
            format!(
                "{s:?} starts with '-'; write the flag name without dashes ({:?})",
                s.trim_start_matches('-')
            ),
        );
        return None;
    }
    if s.contains('=') || s.chars().any(char::is_whitespace) {
        settings_problem(
            report,
            path.clone(),
            ErrorType::Invalid,
            format!("{s:?} is not a flag name (it holds '=' or white space)"),
        );
        return None;
    }
    Some(Some(FlagName::declared(s)))
}

fn flag_list(v: &Value, path: &FieldPath, report: &mut Report) -> Option<Vec<FlagName>> {
    let Value::Array(items) = v else {
        report.type_invalid_for(Rule::Settings, path.clone(), "a list of flag names", v);
        return None;
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(Some(name)) = flag_name(item, false, &path.index(i), report) {
            out.push(name);
        }
    }
    Some(out)
}

fn env_name(v: &Value, path: &FieldPath, report: &mut Report) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::String(_) => {
            settings_problem(
                report,
                path.clone(),
                ErrorType::Required,
                "must not be empty",
            );
            None
        }
        other => {
            report.type_invalid_for(
                Rule::Settings,
                path.clone(),
                "a string (an env var name)",
                other,
            );
            None
        }
    }
}

/// Whether an image reference names a tag (`:` after its last `/`, past a
/// registry's port) or a digest (`@`).
fn has_tag_or_digest(image: &str) -> bool {
    image.contains('@')
        || image
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
}

/// An entry's `images`: a non-empty list of non-empty image globs.
fn read_images(images: Option<&Value>, at: &FieldPath, d: &mut Dialect, report: &mut Report) {
    match images {
        None => settings_problem(
            report,
            at.child("images"),
            ErrorType::Required,
            "an entry needs a non-empty list of image globs, such as [\"registry.k8s.io/node-readiness-controller/*\"]",
        ),
        Some(Value::Array(globs)) if globs.is_empty() => settings_problem(
            report,
            at.child("images"),
            ErrorType::Required,
            "must not be empty",
        ),
        Some(Value::Array(globs)) => {
            for (k, g) in globs.iter().enumerate() {
                match g {
                    // Matched against the image without its tag and digest:
                    // a glob with either never matches (a silent default).
                    Value::String(s) if has_tag_or_digest(s) => settings_problem(
                        report,
                        at.child("images").index(k),
                        ErrorType::Invalid,
                        "a glob matches the image without its tag and digest; write the repository, such as \"quay.io/acme/exporter\" or \"quay.io/acme/*\"",
                    ),
                    Value::String(s) if !s.is_empty() => d.images.extend(spellings(s)),
                    Value::String(_) => settings_problem(
                        report,
                        at.child("images").index(k),
                        ErrorType::Required,
                        "must not be empty",
                    ),
                    other => report.type_invalid_for(
                        Rule::Settings,
                        at.child("images").index(k),
                        "a string (an image glob)",
                        other,
                    ),
                }
            }
        }
        Some(other) => report.type_invalid_for(Rule::Settings, at.child("images"), "a list of image globs", other),
    }
}

/// An entry's `addressForm`: `hostport` or `host`.
fn read_address_form(v: &Value, at: &FieldPath, d: &mut Dialect, report: &mut Report) {
    match v.as_str() {
        Some("hostport") => d.address_form = AddressForm::HostPort,
        Some("host") => d.address_form = AddressForm::Host,
        Some(other) => settings_problem(
            report,
            at.child("addressForm"),
            ErrorType::Invalid,
            format!("unknown value {other:?}; use hostport or host"),
        ),
        None => report.type_invalid_for(
            Rule::Settings,
            at.child("addressForm"),
            "a string (hostport or host)",
            v,
        ),
    }
}

/// An entry's `env`: the env var names of its address, TLS switch and
/// certificate directory; `None` when it is not an object (reported).
fn read_dialect_env(v: &Value, p: &FieldPath, report: &mut Report) -> Option<DialectEnv> {
    match v {
        Value::Object(env) => {
            unknown_keys(env, &ENV_KEYS, p, report);
            let mut read = |k: &str| {
                env.get(k)
                    .filter(|v| !v.is_null())
                    .and_then(|v| env_name(v, &p.child(k), report))
                    .map(Cow::Owned)
            };
            Some(DialectEnv {
                bind_address: read("bindAddress"),
                secure: read("secure"),
                cert_dir: read("certDir"),
            })
        }
        other => {
            report.type_invalid_for(
                Rule::Settings,
                p.clone(),
                "an object {bindAddress, secure, certDir} of env var names",
                other,
            );
            None
        }
    }
}

/// Reads one `metricsServers` entry.
fn read_entry(i: usize, item: &Value, at: &FieldPath, report: &mut Report) -> Option<Dialect> {
    let Value::Object(m) = item else {
        report.type_invalid_for(
            Rule::Settings,
            at.clone(),
            "an object with images and dialect fields",
            item,
        );
        return None;
    };
    unknown_keys(m, &ENTRY_KEYS, at, report);
    let mut d = Dialect::table_defaults(i);
    let get = |k: &str| m.get(k).filter(|v| !v.is_null());
    read_images(get("images"), at, &mut d, report);
    if let Some(v) = get("bindAddressFlags") {
        if let Some(list) = flag_list(v, &at.child("bindAddressFlags"), report) {
            d.bind_address_flags = Cow::Owned(list);
        }
    }
    if let Some(v) = get("certDirFlags") {
        if let Some(list) = flag_list(v, &at.child("certDirFlags"), report) {
            d.cert_dir_flags = Cow::Owned(list);
        }
    }
    if let Some(v) = get("addressForm") {
        read_address_form(v, at, &mut d, report);
    }
    if let Some(v) = get("portFlag") {
        if let Some(name) = flag_name(v, false, &at.child("portFlag"), report) {
            d.port_flag = name;
        }
    }
    if let Some(v) = get("secureFlag") {
        if let Some(name) = flag_name(v, true, &at.child("secureFlag"), report) {
            d.secure_flag = name;
        }
    }
    if let Some(v) = get("injectFlag") {
        if let Some(name) = flag_name(v, true, &at.child("injectFlag"), report) {
            d.inject_flag = name;
        }
    }
    if let Some(v) = get("secureDefault") {
        match v {
            Value::Bool(b) => d.secure_default = *b,
            other => report.type_invalid_for(
                Rule::Settings,
                at.child("secureDefault"),
                "a boolean (true or false)",
                other,
            ),
        }
    }
    if let Some(v) = get("env") {
        d.env = read_dialect_env(v, &at.child("env"), report).unwrap_or(d.env);
    }
    // Only when no portFlag is given: a given one that is refused has its
    // own problem.
    if d.address_form == AddressForm::Host && get("portFlag").is_none() {
        settings_problem(
            report,
            at.child("portFlag"),
            ErrorType::Required,
            "addressForm: host needs the flag that holds the port (portFlag)",
        );
    }
    Some(d)
}

/// Reads the `metricsServers` setting.
pub(crate) fn read(v: &Value, path: &FieldPath, report: &mut Report) -> Vec<Dialect> {
    let Value::Array(items) = v else {
        report.type_invalid_for(
            Rule::Settings,
            path.clone(),
            "a list of {images, bindAddressFlags, addressForm, portFlag, secureFlag, secureDefault, certDirFlags, injectFlag, env} objects",
            v,
        );
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| read_entry(i, item, &path.index(i), report))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs_match_whole_names() {
        for (glob, text, want) in [
            (
                "registry.k8s.io/node-readiness-controller/*",
                "registry.k8s.io/node-readiness-controller/controller",
                true,
            ),
            (
                "registry.k8s.io/node-readiness-controller/*",
                "registry.k8s.io/other/controller",
                false,
            ),
            ("*/frr-k8s", "quay.io/metallb/frr-k8s", true),
            ("*/frr-k8s", "quay.io/metallb/frr-k8s-extra", false),
            ("quay.io/*/manager", "quay.io/a/b/manager", true),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("*", "", true),
            ("a*a", "a", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "acb", false),
        ] {
            assert_eq!(glob_matches(glob, text), want, "{glob} ~ {text}");
        }
    }

    #[test]
    fn image_names_drop_tag_and_digest() {
        for (image, want) in [
            (
                "registry.k8s.io/node-readiness-controller/controller:v0.1.0",
                "registry.k8s.io/node-readiness-controller/controller",
            ),
            ("localhost:5000/manager", "localhost:5000/manager"),
            ("localhost:5000/manager:v1", "localhost:5000/manager"),
            (
                "ghcr.io/cloudnative-pg/cloudnative-pg:1.25@sha256:abc",
                "ghcr.io/cloudnative-pg/cloudnative-pg",
            ),
            ("busybox", "busybox"),
        ] {
            assert_eq!(image_name(image), want);
        }
    }

    fn problems(v: Value) -> Vec<String> {
        let mut r = Report::new();
        read(&v, &FieldPath::root().child("metricsServers"), &mut r);
        r.violations
            .iter()
            .map(|v| v.path.as_str().to_string())
            .collect()
    }

    #[test]
    fn settings_validation_names_the_path_of_every_problem() {
        assert!(problems(json!([{"images": ["quay.io/metallb/frr-k8s"], "addressForm": "host", "portFlag": "metrics-port"}])).is_empty());
        assert_eq!(
            problems(json!([{"secureDefault": false}])),
            ["metricsServers[0].images"]
        );
        // A refused portFlag is one problem, not also a missing one.
        assert_eq!(
            problems(
                json!([{"images": ["quay.io/metallb/frr-k8s"], "addressForm": "host", "portFlag": "-p"}])
            ),
            ["metricsServers[0].portFlag"]
        );
        assert_eq!(
            problems(json!([{"images": ["quay.io/metallb/frr-k8s"], "addressForm": "host"}])),
            ["metricsServers[0].portFlag"]
        );
        assert_eq!(
            problems(json!([{"images": []}])),
            ["metricsServers[0].images"]
        );
        // A tag or a digest: the glob could never match.
        assert_eq!(
            problems(
                json!([{"images": ["registry.local:5000/acme/*", "quay.io/acme/exporter:v1.2.0", "quay.io/acme/x@sha256:abc"]}])
            ),
            ["metricsServers[0].images[1]", "metricsServers[0].images[2]"]
        );
        assert_eq!(
            problems(json!([{"images": ["x"], "bogus": 1}])),
            ["metricsServers[0].bogus"]
        );
        assert_eq!(
            problems(json!([{"images": ["x"], "addressForm": "url"}])),
            ["metricsServers[0].addressForm"]
        );
        assert_eq!(
            problems(json!([{"images": ["x"], "addressForm": "host"}])),
            ["metricsServers[0].portFlag"]
        );
        assert_eq!(
            problems(json!([{"images": ["x"], "bindAddressFlags": [""]}])),
            ["metricsServers[0].bindAddressFlags[0]"]
        );
        assert_eq!(
            problems(json!([{"images": ["x"], "certDirFlags": ["--cert-dir"]}])),
            ["metricsServers[0].certDirFlags[0]"]
        );
        assert_eq!(
            problems(json!([{"images": ["x"], "portFlag": ""}])),
            ["metricsServers[0].portFlag"]
        );
        assert!(
            problems(json!([{"images": ["x"], "secureFlag": "", "injectFlag": ""}])).is_empty()
        );
        assert_eq!(
            problems(json!([{"images": ["x"], "secureDefault": "no"}])),
            ["metricsServers[0].secureDefault"]
        );
        assert_eq!(
            problems(json!([{"images": "x"}])),
            ["metricsServers[0].images"]
        );
        assert_eq!(
            problems(json!([{"images": ["x"], "env": {"addr": "A"}}])),
            ["metricsServers[0].env.addr"]
        );
        assert_eq!(problems(json!({"images": ["x"]})), ["metricsServers"]);
    }

    /// The dialects of a `metricsServers` value that has no problems.
    fn from_settings(v: Value) -> Dialects {
        let mut r = Report::new();
        let declared = read(&v, &FieldPath::root(), &mut r);
        assert!(r.violations.is_empty(), "{r:?}");
        Dialects {
            declared,
            default: Dialect::default_with(true),
        }
    }

    #[test]
    fn the_first_matching_entry_reads_the_container() {
        let dialects = from_settings(json!([
            {"images": ["quay.io/metallb/*"], "secureDefault": false},
            {"images": ["quay.io/metallb/frr-k8s"], "addressForm": "host", "portFlag": "metrics-port"}
        ]));
        assert_eq!(
            dialects
                .for_image(Some("quay.io/metallb/frr-k8s:v0.0.14"))
                .entry,
            Some(0)
        );
        assert_eq!(
            dialects.for_image(Some("quay.io/other/frr-k8s:v1")).entry,
            None
        );
        assert_eq!(dialects.for_image(None).entry, None);
    }

    /// A Docker Hub image cannot leave its declared dialect by its spelling:
    /// the kubelet pulls `acme/exporter`, `docker.io/acme/exporter` and
    /// `index.docker.io/acme/exporter` alike (`busybox` is
    /// `docker.io/library/busybox`).
    #[test]
    fn docker_hub_spellings_select_the_same_dialect() {
        for globs in [
            json!(["docker.io/acme/exporter"]),
            json!(["acme/exporter"]),
            json!(["docker.io/acme/*"]),
        ] {
            let dialects = from_settings(json!([{"images": globs, "secureDefault": false}]));
            for image in [
                "acme/exporter:v1",
                "docker.io/acme/exporter:v1",
                "index.docker.io/acme/exporter@sha256:00",
            ] {
                assert_eq!(
                    dialects.for_image(Some(image)).entry,
                    Some(0),
                    "{globs} {image}"
                );
            }
            assert_eq!(
                dialects.for_image(Some("quay.io/acme/exporter:v1")).entry,
                None,
                "{globs}"
            );
        }
        let dialects = from_settings(
            json!([{"images": ["docker.io/library/busybox"], "secureDefault": false}]),
        );
        for image in ["busybox", "library/busybox:1.36", "docker.io/busybox"] {
            assert_eq!(dialects.for_image(Some(image)).entry, Some(0), "{image}");
        }
        // A glob over all of Docker Hub is not one over every registry.
        let dialects = from_settings(json!([{"images": ["docker.io/*"], "secureDefault": false}]));
        assert_eq!(dialects.for_image(Some("acme/exporter:v1")).entry, Some(0));
        assert_eq!(
            dialects.for_image(Some("quay.io/acme/exporter:v1")).entry,
            None
        );
        // The glob in any spelling too.
        for glob in [
            "index.docker.io/acme/exporter",
            "library/busybox",
            "index.docker.io/library/busybox",
        ] {
            let dialects = from_settings(json!([{"images": [glob], "secureDefault": false}]));
            let image = if glob.contains("busybox") {
                "busybox:1.36"
            } else {
                "acme/exporter:v1"
            };
            assert_eq!(dialects.for_image(Some(image)).entry, Some(0), "{glob}");
            let other = if glob.contains("busybox") {
                "quay.io/busybox"
            } else {
                "quay.io/acme/exporter"
            };
            assert_eq!(dialects.for_image(Some(other)).entry, None, "{glob}");
        }
    }
}
