//! Reads one scrape endpoint into a small view the rules work on.
//!
//! This is the only place that looks at the endpoint's JSON. Every field a
//! rule needs is read through [`Obj`], so a wrong JSON type becomes a `type`
//! violation naming the field; the view then holds "not set" for that field
//! and the rejection is already certain. Semantic checks (is the scheme known,
//! is the TLS version valid) are left to the rules.

use crate::report::{FieldPath, Report};
use crate::view::Obj;
use serde_json::Value;

/// The endpoint's `scheme` as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme<'a> {
    /// Absent: Prometheus scrapes over `http`.
    Absent,
    /// A string, as written (compare case-insensitively).
    Given(&'a str),
    /// Not a string: already reported as a type error.
    WrongType,
}

/// What the scheme means for the scheme-dependent rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Http,
    Https,
    /// An unknown value or a wrong type: the scheme-dependent rules are skipped.
    Unknown,
}

impl Scheme<'_> {
    pub fn transport(self) -> Transport {
        match self {
            Scheme::Absent => Transport::Http,
            Scheme::Given(s) if s.eq_ignore_ascii_case("http") => Transport::Http,
            Scheme::Given(s) if s.eq_ignore_ascii_case("https") => Transport::Https,
            _ => Transport::Unknown,
        }
    }
}

/// A `ca` or `cert` of a TLS config: a reference to a Secret or a ConfigMap.
/// A sub-object counts only when it is present and sets something.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Source<'a> {
    pub secret: bool,
    pub config_map: bool,
    /// `secret.name`, for messages.
    pub secret_name: Option<&'a str>,
}

impl Source<'_> {
    pub fn is_set(&self) -> bool {
        self.secret || self.config_map
    }
}

/// The fields of `tlsConfig` the rules read.
#[derive(Clone, Debug, Default)]
pub struct TlsView<'a> {
    pub path: FieldPath,
    /// Whether the TLS config sets anything at all (`{}`, `ca: {}` and empty
    /// strings set nothing).
    pub sets_anything: bool,
    pub ca: Source<'a>,
    pub ca_file: Option<&'a str>,
    pub cert: Source<'a>,
    pub cert_file: Option<&'a str>,
    /// `keySecret`, when it sets something; holds its `name` if given.
    pub key_secret: Option<Option<&'a str>>,
    pub key_file: Option<&'a str>,
    pub server_name: Option<&'a str>,
    pub insecure_skip_verify: bool,
    pub min_version: Option<&'a str>,
    pub max_version: Option<&'a str>,
}

impl TlsView<'_> {
    /// The endpoint checks the server certificate against a trust anchor.
    pub fn has_trust_anchor(&self) -> bool {
        self.ca.is_set() || self.ca_file.is_some()
    }

    pub fn has_client_cert(&self) -> bool {
        self.cert.is_set() || self.cert_file.is_some()
    }

    pub fn has_client_key(&self) -> bool {
        self.key_secret.is_some() || self.key_file.is_some()
    }
}

/// The credential fields of an endpoint, in the order they are checked.
pub const CREDENTIAL_FIELDS: [&str; 5] = [
    "bearerTokenFile",
    "bearerTokenSecret",
    "authorization",
    "basicAuth",
    "oauth2",
];

/// One scrape endpoint, as the rules see it.
#[derive(Clone, Debug)]
pub struct EndpointView<'a> {
    pub path: FieldPath,
    pub scheme: Scheme<'a>,
    /// `tlsConfig`, when present and an object.
    pub tls: Option<TlsView<'a>>,
    /// The credential fields that send something to the target.
    pub credentials: Vec<&'static str>,
}

impl EndpointView<'_> {
    pub fn transport(&self) -> Transport {
        self.scheme.transport()
    }

    pub fn skips_verify(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.insecure_skip_verify)
    }

    /// The endpoint verifies the server: it names a trust anchor and does not
    /// turn verification off.
    pub fn verifies(&self) -> bool {
        self.tls
            .as_ref()
            .is_some_and(|t| t.has_trust_anchor() && !t.insecure_skip_verify)
    }

    pub fn field(&self, name: &str) -> FieldPath {
        self.path.child(name)
    }

    /// The path of a `tlsConfig` field (also when `tlsConfig` is absent).
    pub fn tls_field(&self, name: &str) -> FieldPath {
        self.path.child("tlsConfig").child(name)
    }
}

/// Whether a JSON value sets anything: `null`, `""`, `[]` and objects that
/// set nothing do not (Go clients serialize unset structs as `{}`).
pub fn sets_anything(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => m.values().any(sets_anything),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// A string field that is present and not empty.
fn non_empty<'a>(o: &Obj<'a>, key: &str, report: &mut Report) -> Option<&'a str> {
    o.str(key, report).filter(|s| !s.is_empty())
}

/// An object field that sets something, or `None`; its `name`, if any, is
/// read too (for messages).
fn set_ref<'a>(o: &Obj<'a>, key: &str, report: &mut Report) -> Option<Option<&'a str>> {
    let r = o.obj(key, report)?;
    let name = non_empty(&r, "name", report);
    sets_anything(o.get(key)?).then_some(name)
}

fn read_source<'a>(tls: &Obj<'a>, key: &str, report: &mut Report) -> Source<'a> {
    let Some(src) = tls.obj(key, report) else {
        return Source::default();
    };
    let secret = set_ref(&src, "secret", report);
    let config_map = set_ref(&src, "configMap", report);
    Source {
        secret: secret.is_some(),
        config_map: config_map.is_some(),
        secret_name: secret.flatten(),
    }
}

fn read_tls<'a>(tls: &Obj<'a>, report: &mut Report) -> TlsView<'a> {
    TlsView {
        path: tls.path.clone(),
        sets_anything: tls.map.values().any(sets_anything),
        ca: read_source(tls, "ca", report),
        ca_file: non_empty(tls, "caFile", report),
        cert: read_source(tls, "cert", report),
        cert_file: non_empty(tls, "certFile", report),
        key_secret: set_ref(tls, "keySecret", report),
        key_file: non_empty(tls, "keyFile", report),
        server_name: non_empty(tls, "serverName", report),
        insecure_skip_verify: tls.bool("insecureSkipVerify", report) == Some(true),
        min_version: tls.str("minVersion", report),
        max_version: tls.str("maxVersion", report),
    }
}

fn read_scheme<'a>(ep: &Obj<'a>, report: &mut Report) -> Scheme<'a> {
    if !ep.has("scheme") {
        return Scheme::Absent;
    }
    match ep.str("scheme", report) {
        Some(s) => Scheme::Given(s),
        None => Scheme::WrongType,
    }
}

fn read_credentials(ep: &Obj, report: &mut Report) -> Vec<&'static str> {
    let mut found = Vec::new();
    for key in CREDENTIAL_FIELDS {
        let set = if key == "bearerTokenFile" {
            non_empty(ep, key, report).is_some()
        } else {
            ep.obj(key, report).is_some() && ep.get(key).is_some_and(sets_anything)
        };
        if set {
            found.push(key);
        }
    }
    found
}

/// Reads an endpoint, reporting every field of the wrong JSON type.
pub fn read<'a>(ep: &Obj<'a>, report: &mut Report) -> EndpointView<'a> {
    EndpointView {
        path: ep.path.clone(),
        scheme: read_scheme(ep, report),
        tls: ep.obj("tlsConfig", report).map(|t| read_tls(&t, report)),
        credentials: read_credentials(ep, report),
    }
}
