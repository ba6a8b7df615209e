//! The monitors' TLS view: a TLS config as the rules read it ([`TlsView`],
//! read once with the field names of its kind by [`read_tls`]), and the
//! scrape class an endpoint's effective TLS may come from ([`Class`],
//! [`ClassRef`], [`ClassUse`]). A leaf of `monitors`: the endpoint reading,
//! the scrape classes and the rules all read it, and it reads none of them.

use super::kinds::{KeyForm, TlsNames};
use super::relabel::SchemeRewrite;
use crate::report::{FieldPath, Report};
use crate::view::Obj;
use serde_json::Value;

/// A `ca`, `cert` or client key of a TLS config: a reference to a Secret or
/// a ConfigMap. A sub-object counts only when it is present and sets
/// something.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Source<'a> {
    pub(crate) secret: bool,
    pub(crate) config_map: bool,
    /// `secret.name` (`keySecret.name` for a client key).
    pub(crate) secret_name: Option<&'a str>,
    /// GKE: `secret.namespace`, the Secret's namespace (a cluster-scoped
    /// monitor has none of its own; SPEC 12).
    pub(crate) secret_namespace: Option<&'a str>,
}

impl Source<'_> {
    pub(crate) fn is_set(&self) -> bool {
        self.secret || self.config_map
    }
}

/// The fields of a TLS config the rules read.
#[derive(Clone, Debug)]
pub(crate) struct TlsView<'a> {
    pub(crate) path: FieldPath,
    pub(crate) names: TlsNames,
    /// Whether the TLS config sets anything at all (`{}`, `ca: {}` and empty
    /// strings set nothing).
    pub(crate) sets_anything: bool,
    pub(crate) ca: Source<'a>,
    pub(crate) ca_file: Option<&'a str>,
    pub(crate) cert: Source<'a>,
    pub(crate) cert_file: Option<&'a str>,
    /// `keySecret` (GKE: `key.secret`), when it sets something.
    pub(crate) key: Source<'a>,
    pub(crate) key_file: Option<&'a str>,
    pub(crate) server_name: Option<&'a str>,
    pub(crate) insecure_skip_verify: bool,
    pub(crate) min_version: Option<&'a str>,
    pub(crate) max_version: Option<&'a str>,
}

impl<'a> TlsView<'a> {
    /// The TLS config checks the server certificate against a trust anchor.
    pub(crate) fn has_trust_anchor(&self) -> bool {
        self.ca.is_set() || self.ca_file.is_some()
    }

    pub(crate) fn has_client_cert(&self) -> bool {
        self.cert.is_set() || self.cert_file.is_some()
    }

    pub(crate) fn has_client_key(&self) -> bool {
        self.key.is_set() || self.key_file.is_some()
    }

    pub(crate) fn field(&self, name: &str) -> FieldPath {
        self.path.child(name)
    }

    /// M9: the Secrets it reads (`ca.secret`, `cert.secret`, the client
    /// key), with the path of each `name`.
    pub(crate) fn secret_names(&self) -> Vec<(FieldPath, &'a str)> {
        let key = self.names.key_field();
        [("ca", self.ca), ("cert", self.cert), (key, self.key)]
            .into_iter()
            .filter_map(|(field, src)| {
                let at = match field {
                    "keySecret" => self.field(field),
                    _ => self.field(field).child("secret"),
                };
                src.secret_name.map(|n| (at.child("name"), n))
            })
            .collect()
    }
}

/// A declared class, read for one request.
#[derive(Clone, Debug)]
pub(crate) struct Class<'a> {
    pub(crate) name: &'a str,
    pub(crate) tls: Option<TlsView<'a>>,
    /// The class sets an `authorization` (credentials for every target).
    pub(crate) authorization: bool,
    /// The first of the class's `relabelings` that may leave a scheme other
    /// than https: prometheus-operator adds them to every monitor of the
    /// class (SPEC 10), so they count for each endpoint. Read once.
    pub(crate) scheme_rewrite: Option<SchemeRewrite<'a>>,
}

/// The scrape class of a monitor.
#[derive(Clone, Debug, Default)]
pub(crate) enum ClassRef<'a> {
    /// No class applies (another kind, or no class named and no default).
    #[default]
    None,
    /// A class the `scrapeClasses` setting describes.
    Declared(Box<Class<'a>>),
    /// A class the monitor names but the setting does not describe.
    Undeclared(&'a str),
}

/// Which class an endpoint's view came from, for messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ClassUse<'a> {
    #[default]
    None,
    Declared(&'a str),
    Undeclared(&'a str),
}

impl<'a> ClassUse<'a> {
    pub(crate) fn name(self) -> Option<&'a str> {
        match self {
            ClassUse::None => None,
            ClassUse::Declared(n) | ClassUse::Undeclared(n) => Some(n),
        }
    }
}

impl<'a> ClassRef<'a> {
    pub(crate) fn usage(&self) -> ClassUse<'a> {
        match self {
            ClassRef::None => ClassUse::None,
            ClassRef::Declared(c) => ClassUse::Declared(c.name),
            ClassRef::Undeclared(n) => ClassUse::Undeclared(n),
        }
    }
}

/// Whether a JSON value sets anything: `null`, `""`, `[]` and objects that
/// set nothing do not (Go clients serialize unset structs as `{}`).
pub(crate) fn sets_anything(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => m.values().any(sets_anything),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// A string field that is present and not empty.
pub(crate) fn non_empty<'a>(o: &Obj<'a>, key: &str, report: &mut Report) -> Option<&'a str> {
    o.str(key, report).filter(|s| !s.is_empty())
}

/// A `{name, key}` selector that sets something, as a Secret source; GKE's
/// selectors also carry a `namespace` (`with_namespace`).
fn selector<'a>(o: &Obj<'a>, key: &str, with_namespace: bool, report: &mut Report) -> Source<'a> {
    let Some(r) = o.obj(key, report) else {
        return Source::default();
    };
    let name = non_empty(&r, "name", report);
    Source {
        secret: o.get(key).is_some_and(sets_anything),
        config_map: false,
        secret_name: name,
        secret_namespace: if with_namespace {
            non_empty(&r, "namespace", report)
        } else {
            None
        },
    }
}

fn read_source<'a>(tls: &Obj<'a>, key: &str, names: TlsNames, report: &mut Report) -> Source<'a> {
    let Some(src) = tls.obj(key, report) else {
        return Source::default();
    };
    let gke = names.key == KeyForm::KeySource;
    let secret = selector(&src, "secret", gke, report);
    let config_map = selector(&src, "configMap", false, report);
    Source {
        secret: secret.secret,
        config_map: config_map.secret,
        secret_name: secret.secret.then_some(secret.secret_name).flatten(),
        secret_namespace: secret.secret.then_some(secret.secret_namespace).flatten(),
    }
}

/// Reads a TLS config with the field names of its kind.
pub(crate) fn read_tls<'a>(tls: &Obj<'a>, names: TlsNames, report: &mut Report) -> TlsView<'a> {
    let file = |key: &str, report: &mut Report| {
        if names.files {
            non_empty(tls, key, report)
        } else {
            None
        }
    };
    let version = |key: &str, report: &mut Report| {
        if names.versions {
            tls.str(key, report)
        } else {
            None
        }
    };
    let source = |key: &str, report: &mut Report| {
        if names.sources {
            read_source(tls, key, names, report)
        } else {
            Source::default()
        }
    };
    TlsView {
        path: tls.path.clone(),
        names,
        sets_anything: tls.map.values().any(sets_anything),
        ca: source("ca", report),
        ca_file: file("caFile", report),
        cert: source("cert", report),
        cert_file: file("certFile", report),
        key: match names.key {
            _ if !names.sources => Source::default(),
            KeyForm::KeySecret => selector(tls, "keySecret", false, report),
            KeyForm::KeySource => read_source(tls, "key", names, report),
        },
        key_file: file("keyFile", report),
        server_name: if names.sources {
            non_empty(tls, "serverName", report)
        } else {
            None
        },
        insecure_skip_verify: tls.bool("insecureSkipVerify", report) == Some(true),
        min_version: version("minVersion", report),
        max_version: version("maxVersion", report),
    }
}
