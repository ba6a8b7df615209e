//! Reads one scrape endpoint into a view the rules work on, and resolves its
//! effective TLS once (SPEC section 10: after its scrape class).
//!
//! This is the only place that looks at the endpoint's JSON. Every field a
//! rule needs is read through [`Obj`], once, so a wrong JSON type becomes one
//! `type` violation naming the field; the view then holds "not set" for that
//! field and the rejection is already certain. Field names come from the
//! kind's row in [`super::kinds`]. Semantic checks (is the scheme known, is
//! the TLS version valid) are left to the rules.

use super::kinds::{FileRef, SchemeAt, ScrapeKind, StaticLabels};
use super::relabel::{scheme_rewrite_at, static_scheme, SchemeRewrite};
use super::tls::{non_empty, read_tls, sets_anything, Class, ClassRef, ClassUse, TlsView};
use crate::report::{FieldPath, Report};
use crate::view::Obj;
use serde_json::Value;

/// The endpoint's `scheme` as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme<'a> {
    /// Absent: Prometheus scrapes over `http`.
    Absent,
    /// A string, as written (compare case-insensitively).
    Given(&'a str),
    /// Not a string: already reported as a type error.
    WrongType,
}

/// What the scheme means for the scheme-dependent rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Http,
    Https,
    /// An unknown value or a wrong type: the scheme-dependent rules are skipped.
    Unknown,
}

impl Scheme<'_> {
    pub(crate) fn transport(self) -> Transport {
        match self {
            Scheme::Absent => Transport::Http,
            Scheme::Given(s) if s.eq_ignore_ascii_case("http") => Transport::Http,
            Scheme::Given(s) if s.eq_ignore_ascii_case("https") => Transport::Https,
            _ => Transport::Unknown,
        }
    }
}

/// What the effective TLS took from the scrape class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Inherited {
    /// The endpoint sets no TLS, so the class's whole `tlsConfig` applies.
    pub(crate) whole: bool,
    pub(crate) ca_file: bool,
    pub(crate) cert_file: bool,
    pub(crate) key_file: bool,
}

/// A credential field that sends something to the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Credential {
    pub(crate) field: &'static str,
    /// Taken from the scrape class (`authorization`).
    pub(crate) from_class: bool,
}

/// `oauth2` of an endpoint.
#[derive(Clone, Debug)]
pub(crate) struct OAuth2View<'a> {
    pub(crate) path: FieldPath,
    pub(crate) token_url_field: &'static str,
    pub(crate) token_url: Option<&'a str>,
    pub(crate) tls: Option<TlsView<'a>>,
}

/// A file the endpoint reads from the scraper's file system (M10).
#[derive(Clone, Debug)]
pub(crate) struct FileUse<'a> {
    pub(crate) path: FieldPath,
    pub(crate) value: &'a str,
    pub(crate) file: FileRef,
}

/// One scrape endpoint, as the rules see it: what it says, and its
/// effective TLS and credentials after its scrape class.
#[derive(Clone, Debug)]
pub(crate) struct EndpointView<'a> {
    pub(crate) path: FieldPath,
    /// The kind's TLS field (`tlsConfig`, GKE `tls`).
    pub(crate) tls_key: &'static str,
    /// Whether that field has `caFile`, `certFile` and `keyFile`.
    pub(crate) tls_files: bool,
    pub(crate) scheme: Scheme<'a>,
    /// Where the scheme is: `None` at the endpoint, `Some(object)` under
    /// that object of the endpoint (`prober`, `vmProberSpec`).
    pub(crate) scheme_under: Option<&'static str>,
    /// The endpoint's own TLS config, when present and an object.
    pub(crate) own_tls: Option<TlsView<'a>>,
    /// The TLS config merged with the scrape class, when a class changed
    /// it; [`EndpointView::tls`] is the effective one either way.
    pub(crate) merged_tls: Option<TlsView<'a>>,
    pub(crate) inherited: Inherited,
    pub(crate) class: ClassUse<'a>,
    pub(crate) credentials: Vec<Credential>,
    pub(crate) oauth2: Option<OAuth2View<'a>>,
    pub(crate) scheme_rewrite: Option<SchemeRewrite<'a>>,
    pub(crate) files: Vec<FileUse<'a>>,
    /// The endpoint's `port` when it is a name.
    pub(crate) port_name: Option<&'a str>,
    /// M9: the Secrets its credentials read (see [`Client::secret_names`]).
    pub(crate) secret_names: Vec<(FieldPath, &'a str)>,
    /// The operator sends the collector's service account token and
    /// verifies against its CA on every scrape (GKE ClusterNodeMonitoring).
    pub(crate) implicit_token: bool,
}

impl<'a> EndpointView<'a> {
    /// The effective TLS config (own merged with the scrape class).
    pub(crate) fn tls(&self) -> Option<&TlsView<'a>> {
        self.merged_tls.as_ref().or(self.own_tls.as_ref())
    }

    /// The path of the scheme (built only for a message).
    pub(crate) fn scheme_path(&self) -> FieldPath {
        match self.scheme_under {
            None => self.path.child("scheme"),
            Some(o) => self.path.child(o).child("scheme"),
        }
    }

    pub(crate) fn transport(&self) -> Transport {
        self.scheme.transport()
    }

    /// The scrape may go over plain http: the scheme says so, or a
    /// relabeling may rewrite it (SPEC 10).
    pub(crate) fn may_be_http(&self) -> bool {
        self.transport() == Transport::Http
            || (self.transport() == Transport::Https && self.scheme_rewrite.is_some())
    }

    pub(crate) fn skips_verify(&self) -> bool {
        self.tls().is_some_and(|t| t.insecure_skip_verify)
    }

    /// The effective TLS names a trust anchor, or the operator adds one.
    pub(crate) fn has_trust_anchor(&self) -> bool {
        self.implicit_token || self.tls().is_some_and(|t| t.has_trust_anchor())
    }

    /// The endpoint verifies the server: it has a trust anchor and does not
    /// turn verification off.
    pub(crate) fn verifies(&self) -> bool {
        self.has_trust_anchor() && !self.skips_verify()
    }

    pub(crate) fn field(&self, name: &str) -> FieldPath {
        self.path.child(name)
    }

    /// The path of a TLS field (also when the TLS config is absent).
    pub(crate) fn tls_field(&self, name: &str) -> FieldPath {
        self.path.child(self.tls_key).child(name)
    }

    /// The scrape class a TLS field of the effective config came from.
    pub(crate) fn class_of(&self, field: &str) -> Option<&'a str> {
        let i = self.inherited;
        let from = match field {
            "caFile" => i.ca_file,
            "certFile" => i.cert_file,
            "keyFile" => i.key_file,
            _ => false,
        };
        (i.whole || from).then_some(self.class.name()).flatten()
    }

    /// For cross-object checks: the Secret the effective TLS reads its CA from.
    #[allow(dead_code)]
    pub(crate) fn ca_secret(&self) -> Option<&'a str> {
        self.tls().and_then(|t| t.ca.secret_name)
    }

    /// For cross-object checks: the effective `serverName`.
    pub(crate) fn server_name(&self) -> Option<&'a str> {
        self.tls().and_then(|t| t.server_name)
    }

    /// For cross-object checks: every Secret the effective TLS reads a CA
    /// (slot 0), certificate (1) or key (2) from, with the path of the
    /// reference and the namespace it names (GKE).
    pub(crate) fn secrets(&self) -> Vec<SecretUse<'a>> {
        let Some(t) = self.tls() else {
            return Vec::new();
        };
        let key = t.names.key_field();
        let mut out = Vec::new();
        for (slot, (field, src)) in [("ca", t.ca), ("cert", t.cert), (key, t.key)]
            .into_iter()
            .enumerate()
        {
            if let Some(name) = src.secret_name {
                // The reference's `name`: `keySecret.name`, else
                // `<field>.secret.name` (GKE's `tls.key.secret.name` too).
                let at = match field {
                    "keySecret" => self.tls_field(field),
                    _ => self.tls_field(field).child("secret"),
                };
                out.push(SecretUse {
                    slot,
                    path: at.child("name"),
                    namespace_path: at.child("namespace"),
                    name,
                    namespace: src.secret_namespace,
                });
            }
        }
        out
    }
}

/// A Secret the effective TLS reads (for cross-object checks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SecretUse<'a> {
    /// CA (0), client certificate (1) or client key (2).
    pub(crate) slot: usize,
    /// The path of the reference's `name`.
    pub(crate) path: FieldPath,
    /// The path of its `namespace` (for messages).
    pub(crate) namespace_path: FieldPath,
    pub(crate) name: &'a str,
    /// The namespace the reference names (GKE's `namespace`).
    pub(crate) namespace: Option<&'a str>,
}

fn read_scheme<'a>(o: &Obj<'a>, report: &mut Report) -> Scheme<'a> {
    if !o.has("scheme") {
        return Scheme::Absent;
    }
    match o.str("scheme", report) {
        Some(s) => Scheme::Given(s),
        None => Scheme::WrongType,
    }
}

fn read_oauth2<'a>(o: &Obj<'a>, kind: &ScrapeKind, report: &mut Report) -> OAuth2View<'a> {
    let names = kind.oauth2;
    OAuth2View {
        path: o.path.clone(),
        token_url_field: names.token_url,
        token_url: non_empty(o, names.token_url, report),
        tls: o
            .obj(names.tls, report)
            .map(|t| read_tls(&t, names.tls_names, report)),
    }
}

/// Reads an endpoint with the field names of its kind, reporting every field
/// of the wrong JSON type, and resolves its effective TLS with `class`.
pub(crate) fn read<'a>(
    ep: &Obj<'a>,
    spec: &Obj<'a>,
    kind: &ScrapeKind,
    class: &ClassRef<'a>,
    report: &mut Report,
) -> EndpointView<'a> {
    // A kind with the scheme under an object has its endpoint at `spec`.
    let (scheme, scheme_under) = match kind.scheme {
        SchemeAt::Endpoint => (read_scheme(ep, report), None),
        SchemeAt::Under(object) => {
            let scheme = match spec.obj(object, report) {
                Some(o) => read_scheme(&o, report),
                None => Scheme::Absent,
            };
            (scheme, Some(object))
        }
        SchemeAt::UnderElseEndpoint(object) => {
            let under = match spec.obj(object, report) {
                Some(o) => read_scheme(&o, report),
                None => Scheme::Absent,
            };
            match under {
                Scheme::Absent | Scheme::Given("") => match read_scheme(ep, report) {
                    // Set nowhere: the advice names the object's field.
                    Scheme::Absent => (under, Some(object)),
                    own => (own, None),
                },
                _ => (under, Some(object)),
            }
        }
    };
    let own_tls = ep
        .obj(kind.tls, report)
        .map(|t| read_tls(&t, kind.tls_names, report));
    let Client {
        credentials,
        oauth2,
        mut files,
        secret_names,
    } = read_client(ep, kind.credentials, kind, report);
    if let Some(t) = &own_tls {
        push_tls_files(&mut files, kind, t);
    }
    let scheme_rewrite = read_scheme_rewrites(ep, spec, kind, report);
    let port_name = match ep.get("port") {
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let mut view = EndpointView {
        path: ep.path.clone(),
        tls_key: kind.tls,
        tls_files: kind.tls_names.files,
        scheme,
        scheme_under,
        merged_tls: None,
        own_tls,
        inherited: Inherited::default(),
        class: class.usage(),
        credentials,
        oauth2,
        scheme_rewrite,
        files,
        port_name,
        secret_names,
        implicit_token: kind.implicit_token,
    };
    if let ClassRef::Declared(c) = class {
        apply_class(&mut view, c);
        if view.scheme_rewrite.is_none() {
            view.scheme_rewrite = c.scheme_rewrite.clone();
        }
    }
    files_in_order(&mut view.files);
    view
}

/// The first place that may leave a scheme other than https (SPEC 10, see
/// [`super::relabel`]): the endpoint's relabelings, a Probe's target
/// relabelings and static labels, static labels of static configs. Every
/// place is read, so every wrong type is reported; the scrape class's
/// relabelings are read once per monitor, with the class.
fn read_scheme_rewrites<'a>(
    ep: &Obj<'a>,
    spec: &Obj<'a>,
    kind: &ScrapeKind,
    report: &mut Report,
) -> Option<SchemeRewrite<'a>> {
    let mut found = Vec::new();
    if let Some(key) = kind.relabelings {
        found.push(scheme_rewrite_at(ep, key, kind.dialect, report));
    }
    if let (false, Some(targets)) = (kind.probe_targets.is_empty(), spec.obj("targets", report)) {
        for at in kind.probe_targets {
            let sets = match at.list {
                false => targets.obj(at.field, report).into_iter().collect(),
                true => targets
                    .list(at.field, report)
                    .map_or_else(Vec::new, |l| l.objs(report)),
            };
            for t in sets {
                found.push(scheme_rewrite_at(
                    &t,
                    "relabelingConfigs",
                    kind.dialect,
                    report,
                ));
                if at.labels {
                    found.push(static_scheme(&t, report));
                }
            }
        }
    }
    match kind.static_labels {
        StaticLabels::None => {}
        StaticLabels::Endpoint => found.push(static_scheme(ep, report)),
        StaticLabels::StaticConfigs => {
            if let Some(list) = spec.list("staticConfigs", report) {
                for i in 0..list.len() {
                    if let Some(sc) = list.obj(i, report) {
                        found.push(static_scheme(&sc, report));
                    }
                }
            }
        }
    }
    found.into_iter().flatten().next()
}

/// The credentials, OAuth2 settings and files of a client: an endpoint,
/// or a service-discovery config (SPEC 10).
#[derive(Clone, Debug, Default)]
pub(crate) struct Client<'a> {
    pub(crate) credentials: Vec<Credential>,
    pub(crate) oauth2: Option<OAuth2View<'a>>,
    /// M10: the files it reads (its TLS config's are added by the caller).
    pub(crate) files: Vec<FileUse<'a>>,
    /// M9: the names of the Secrets its credentials read
    /// (`bearerTokenSecret`, `authorization.credentials`, `basicAuth`'s,
    /// OAuth2's `clientId.secret` and `clientSecret`), with their paths.
    pub(crate) secret_names: Vec<(FieldPath, &'a str)>,
}

/// The Secret selectors (`{name, key}`) of a credential object: itself, its
/// fields, and their `secret` (OAuth2 `clientId.secret`, GKE's
/// `credentials.secret`); TLS configs and ConfigMaps are not Secrets here.
fn credential_secrets<'a>(c: &Obj<'a>, out: &mut Vec<(FieldPath, &'a str)>) {
    let selector = |map: &'a serde_json::Map<String, Value>| match (map.get("name"), map.get("key"))
    {
        (Some(Value::String(n)), Some(_)) if !n.is_empty() => Some(n.as_str()),
        _ => None,
    };
    if let Some(n) = selector(c.map) {
        out.push((c.path_of("name"), n));
        return;
    }
    for (k, v) in c.map {
        let Value::Object(m) = v else { continue };
        if k.eq_ignore_ascii_case("tlsConfig") || k == "tls_config" || k == "configMap" {
            continue;
        }
        let at = c.path_of(k);
        if let Some(n) = selector(m) {
            out.push((at.child("name"), n));
        } else if let Some(Value::Object(inner)) = m.get("secret") {
            if let Some(n) = selector(inner) {
                out.push((at.child("secret").child("name"), n));
            }
        }
    }
}

/// Reads the credential `fields` of a client with the names of its kind,
/// and the files they read: `bearerTokenFile`, the files under
/// `authorization`, `basicAuth` and `oauth2` (VictoriaMetrics'
/// `client_secret_file`), and the files of the OAuth2 TLS config.
pub(crate) fn read_client<'a>(
    o: &Obj<'a>,
    fields: &[&'static str],
    kind: &ScrapeKind,
    report: &mut Report,
) -> Client<'a> {
    let mut client = Client::default();
    for &field in fields {
        let set = if field == "bearerTokenFile" {
            let f = non_empty(o, field, report);
            if let Some(value) = f {
                push_file(
                    &mut client.files,
                    kind,
                    None,
                    field,
                    o.path_of(field),
                    value,
                );
            }
            f.is_some()
        } else {
            let Some(c) = o.obj(field, report) else {
                continue;
            };
            credential_secrets(&c, &mut client.secret_names);
            for f in kind.files.iter().filter(|f| f.under == Some(field)) {
                if let Some(value) = non_empty(&c, f.field, report) {
                    client.files.push(FileUse {
                        path: c.path_of(f.field),
                        value,
                        file: *f,
                    });
                }
            }
            if field == "oauth2" {
                let view = read_oauth2(&c, kind, report);
                if let Some(t) = &view.tls {
                    push_tls_files(&mut client.files, kind, t);
                }
                client.oauth2 = Some(view);
            }
            o.get(field).is_some_and(sets_anything)
        };
        if set {
            client.credentials.push(Credential {
                field,
                from_class: false,
            });
        }
    }
    client
}

/// The `caFile`, `certFile` and `keyFile` of a TLS config, when the kind's
/// CRD has them (M10).
pub(crate) fn push_tls_files<'a>(files: &mut Vec<FileUse<'a>>, kind: &ScrapeKind, t: &TlsView<'a>) {
    for (field, value) in [
        ("caFile", t.ca_file),
        ("certFile", t.cert_file),
        ("keyFile", t.key_file),
    ] {
        if let Some(value) = value {
            push_file(files, kind, Some("tlsConfig"), field, t.field(field), value);
        }
    }
}

fn push_file<'a>(
    files: &mut Vec<FileUse<'a>>,
    kind: &ScrapeKind,
    under: Option<&str>,
    field: &str,
    path: FieldPath,
    value: &'a str,
) {
    if let Some(f) = kind
        .files
        .iter()
        .find(|f| f.field == field && f.under == under)
    {
        files.push(FileUse {
            path,
            value,
            file: *f,
        });
    }
}

/// File references in document order. They are a handful (one per file
/// field of the kind's table, never a list the object sizes), so they are
/// sorted by insertion, stably: the standard sort would add a copy of itself
/// to `policy.wasm` (about 6 KB).
pub(crate) fn files_in_order(files: &mut [FileUse]) {
    for i in 1..files.len() {
        let mut j = i;
        while j > 0 && files[j - 1].path.document_order(&files[j].path).is_gt() {
            files.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// prometheus-operator's merge (SPEC 10): an endpoint TLS config that is
/// absent or sets nothing takes the class's whole `tlsConfig`; otherwise
/// only `caFile`, `certFile` and `keyFile` are taken from the class, each
/// where the endpoint has neither the file nor the Secret/ConfigMap form. An
/// endpoint without `authorization` takes the class's.
fn apply_class<'a>(view: &mut EndpointView<'a>, class: &Class<'a>) {
    if let Some(ctls) = &class.tls {
        match &view.own_tls {
            Some(own) if own.sets_anything => {
                let mut own = own.clone();
                if !own.ca.is_set() && own.ca_file.is_none() && ctls.ca_file.is_some() {
                    own.ca_file = ctls.ca_file;
                    view.inherited.ca_file = true;
                }
                if !own.cert.is_set() && own.cert_file.is_none() && ctls.cert_file.is_some() {
                    own.cert_file = ctls.cert_file;
                    view.inherited.cert_file = true;
                }
                if !own.key.is_set() && own.key_file.is_none() && ctls.key_file.is_some() {
                    own.key_file = ctls.key_file;
                    view.inherited.key_file = true;
                }
                view.merged_tls = Some(own);
            }
            _ => {
                let mut whole = ctls.clone();
                whole.path = view.path.child(view.tls_key);
                view.merged_tls = Some(whole);
                view.inherited.whole = true;
            }
        }
    }
    if class.authorization && !view.credentials.iter().any(|c| c.field == "authorization") {
        view.credentials.push(Credential {
            field: "authorization",
            from_class: true,
        });
    }
}
