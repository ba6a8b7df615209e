//! Where each scrape kind keeps its endpoints and what it calls their fields
//! (SPEC section 10). One row per group/version/kind; adding a kind is a row.
//!
//! The rows were checked against the projects' own Go types:
//! prometheus-operator `pkg/apis/monitoring/v1{,alpha1}` (ServiceMonitor
//! endpoints carry `TLSConfig` with files and `bearerTokenFile`; PodMonitor,
//! Probe and ScrapeConfig carry `SafeTLSConfig`, without files; every
//! `authorization` of a monitor is a `SafeAuthorization`, without
//! `credentialsFile`), VictoriaMetrics operator `api/operator/v1beta1`
//! (`EndpointAuth`: `tlsConfig` with files and no TLS versions,
//! `basicAuth.password_file`, `authorization.credentialsFile`, OAuth2
//! `token_url` and `tls_config`, relabelings under `relabelConfigs`) and GKE
//! prometheus-engine `pkg/operator/apis/monitoring/v1` (`tls` with
//! `ca`/`cert`/`key` each `{secret: ...}`, OAuth2 `tokenURL` and `tlsConfig`,
//! no file fields, no target relabeling; ClusterNodeMonitoring's
//! `ScrapeNodeEndpoint` has only `scheme` and `tls.insecureSkipVerify`, and
//! the operator always adds the collector's service account token and CA).

pub(crate) use super::relabel::Dialect;

/// Where the endpoints of a kind are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoints {
    /// A list under `spec`.
    List(&'static str),
    /// `spec` itself is the one endpoint.
    Spec,
}

/// Where the scheme of an endpoint is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SchemeAt {
    /// The endpoint's own `scheme`.
    Endpoint,
    /// `spec.<object>.scheme` (Probe's `prober`).
    Under(&'static str),
    /// `spec.<object>.scheme` when it is set and not empty, else the
    /// endpoint's own `scheme`: VMProbe's `vmProberSpec.scheme` overrides
    /// the `spec.scheme` of its inline scrape parameters (the operator's
    /// `if len(spec.VMProberSpec.Scheme) > 0 { spec.Scheme = ... }`).
    UnderElseEndpoint(&'static str),
}

/// Where a probe kind keeps its targets: each may rewrite `__scheme__` by its
/// `relabelingConfigs`, and a static one by its `labels`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ProbeTargets {
    /// The field under `spec.targets`.
    pub(crate) field: &'static str,
    /// A list of target sets rather than one.
    pub(crate) list: bool,
    /// Static targets, whose `labels` are target labels.
    pub(crate) labels: bool,
}

const fn targets(field: &'static str, list: bool, labels: bool) -> ProbeTargets {
    ProbeTargets {
        field,
        list,
        labels,
    }
}

/// prometheus-operator's Probe: `targets.staticConfig` and `targets.ingress`.
const PO_PROBE_TARGETS: &[ProbeTargets] = &[
    targets("staticConfig", false, true),
    targets("ingress", false, false),
];

/// VictoriaMetrics' VMProbe: `targets.static` (and `staticConfig`, the
/// deprecated name the operator still reads when `static` is absent),
/// `targets.kubernetes[i]`, and the deprecated `targets.ingress`.
const VM_PROBE_TARGETS: &[ProbeTargets] = &[
    targets("static", false, true),
    targets("staticConfig", false, true),
    targets("kubernetes", true, false),
    targets("ingress", false, false),
];

/// How a TLS config spells the client key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyForm {
    /// `keySecret: {name, key}` (prometheus-operator, VictoriaMetrics).
    KeySecret,
    /// `key: {secret: {name, key}}` (GKE).
    KeySource,
}

/// The fields of one kind's TLS config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TlsNames {
    pub(crate) key: KeyForm,
    /// `caFile`, `certFile`, `keyFile` exist.
    pub(crate) files: bool,
    /// `minVersion`, `maxVersion` exist.
    pub(crate) versions: bool,
    /// `ca`, `cert`, the client key and `serverName` exist (GKE's
    /// `ClusterNodeTLS` has only `insecureSkipVerify`).
    pub(crate) sources: bool,
}

impl TlsNames {
    /// The client key field's name.
    pub(crate) fn key_field(self) -> &'static str {
        match self.key {
            KeyForm::KeySecret => "keySecret",
            KeyForm::KeySource => "key",
        }
    }
}

/// prometheus-operator `TLSConfig` (ServiceMonitor endpoints, scrape classes).
pub(crate) const PO_TLS: TlsNames = TlsNames {
    key: KeyForm::KeySecret,
    files: true,
    versions: true,
    sources: true,
};
/// prometheus-operator `SafeTLSConfig` (no files).
pub(crate) const PO_SAFE_TLS: TlsNames = TlsNames {
    key: KeyForm::KeySecret,
    files: false,
    versions: true,
    sources: true,
};
/// VictoriaMetrics `TLSConfig` (files, no versions).
pub(crate) const VM_TLS: TlsNames = TlsNames {
    key: KeyForm::KeySecret,
    files: true,
    versions: false,
    sources: true,
};
/// GKE `TLS`.
pub(crate) const GMP_TLS: TlsNames = TlsNames {
    key: KeyForm::KeySource,
    files: false,
    versions: true,
    sources: true,
};
/// GKE `ClusterNodeTLS`: `insecureSkipVerify` alone.
pub(crate) const GMP_NODE_TLS: TlsNames = TlsNames {
    key: KeyForm::KeySource,
    files: false,
    versions: false,
    sources: false,
};

/// The OAuth2 fields of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OAuth2Names {
    pub(crate) token_url: &'static str,
    pub(crate) tls: &'static str,
    pub(crate) tls_names: TlsNames,
}

const PO_OAUTH2: OAuth2Names = OAuth2Names {
    token_url: "tokenUrl",
    tls: "tlsConfig",
    tls_names: PO_SAFE_TLS,
};
const VM_OAUTH2: OAuth2Names = OAuth2Names {
    token_url: "token_url",
    tls: "tls_config",
    tls_names: VM_TLS,
};
const GMP_OAUTH2: OAuth2Names = OAuth2Names {
    token_url: "tokenURL",
    tls: "tlsConfig",
    tls_names: GMP_TLS,
};

/// A field that reads a file from the scraper's file system (M10), relative
/// to the endpoint, and the Secret-based field to use instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileRef {
    /// `None`: at the endpoint; `Some(object)`: inside that object (the TLS
    /// config is named by the kind's TLS field).
    pub(crate) under: Option<&'static str>,
    pub(crate) field: &'static str,
    pub(crate) instead: &'static str,
}

const BEARER_FILE: FileRef = FileRef {
    under: None,
    field: "bearerTokenFile",
    instead: "authorization with credentials from a Secret (authorization: {type: Bearer, credentials: {name: <secret>, key: token}})",
};
const CA_FILE: FileRef = FileRef {
    under: Some("tlsConfig"),
    field: "caFile",
    instead: "ca.secret (or ca.configMap) naming the Secret that holds the CA",
};
const CERT_FILE: FileRef = FileRef {
    under: Some("tlsConfig"),
    field: "certFile",
    instead: "cert.secret naming the Secret that holds the client certificate",
};
const KEY_FILE: FileRef = FileRef {
    under: Some("tlsConfig"),
    field: "keyFile",
    instead: "keySecret naming the Secret that holds the client key",
};
const CREDENTIALS_FILE: FileRef = FileRef {
    under: Some("authorization"),
    field: "credentialsFile",
    instead: "authorization.credentials from a Secret",
};
const VM_PASSWORD_FILE: FileRef = FileRef {
    under: Some("basicAuth"),
    field: "password_file",
    instead: "basicAuth.password from a Secret",
};

const VM_CLIENT_SECRET_FILE: FileRef = FileRef {
    under: Some("oauth2"),
    field: "client_secret_file",
    instead: "oauth2.client_secret from a Secret",
};

const SM_FILES: &[FileRef] = &[BEARER_FILE, CA_FILE, CERT_FILE, KEY_FILE];
const VM_FILES: &[FileRef] = &[
    BEARER_FILE,
    CA_FILE,
    CERT_FILE,
    KEY_FILE,
    CREDENTIALS_FILE,
    VM_PASSWORD_FILE,
    VM_CLIENT_SECRET_FILE,
];

const ALL_CREDENTIALS: &[&str] = &[
    "bearerTokenFile",
    "bearerTokenSecret",
    "authorization",
    "basicAuth",
    "oauth2",
];
const SECRET_CREDENTIALS: &[&str] = &["bearerTokenSecret", "authorization", "basicAuth", "oauth2"];
const HTTP_CLIENT_CREDENTIALS: &[&str] = &["authorization", "basicAuth", "oauth2"];

/// Where a kind keeps static target labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StaticLabels {
    None,
    /// `spec.staticConfigs[i].labels` (ScrapeConfig, VMScrapeConfig).
    StaticConfigs,
    /// The endpoint's own `labels` (VMStaticScrape `targetEndpoints[i]`).
    Endpoint,
}

/// One scrape kind.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ScrapeKind {
    pub(crate) groups: &'static [&'static str],
    pub(crate) version: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) endpoints: Endpoints,
    pub(crate) scheme: SchemeAt,
    /// The TLS field of an endpoint (`tlsConfig`, GKE `tls`) and its fields.
    pub(crate) tls: &'static str,
    pub(crate) tls_names: TlsNames,
    pub(crate) oauth2: OAuth2Names,
    /// The endpoint fields that send credentials to the target.
    pub(crate) credentials: &'static [&'static str],
    /// The target relabelings of an endpoint (which may rewrite `__scheme__`).
    pub(crate) relabelings: Option<&'static str>,
    /// How its relabel configs are spelled.
    pub(crate) dialect: Dialect,
    /// The targets of a probe kind (Probe, VMProbe), under `spec.targets`.
    pub(crate) probe_targets: &'static [ProbeTargets],
    /// Where static target labels are (which may set `__scheme__`).
    pub(crate) static_labels: StaticLabels,
    /// M10: the file fields this kind's CRD has.
    pub(crate) files: &'static [FileRef],
    /// `spec.*SDConfigs[i].tlsConfig` exist (checked by M1, M3, M7).
    pub(crate) sd_configs: bool,
    /// prometheus-operator scrape classes apply (`spec.scrapeClass`).
    pub(crate) scrape_classes: bool,
    /// A node scrape: the targets are kubelets (advice, SPEC 10).
    pub(crate) node_scrape: bool,
    /// The operator adds credentials and a trust anchor to every scrape:
    /// GKE's ClusterNodeMonitoring sends the collector's service account
    /// token (`authorization.credentialsFile`) and verifies against its
    /// service account CA, whatever the object says.
    pub(crate) implicit_token: bool,
    /// Cluster-scoped: no namespace of its own; a Secret it reads names
    /// its namespace (GKE `ClusterPodMonitoring`, SPEC 12).
    pub(crate) cluster_scoped: bool,
}

const PO_GROUPS: &[&str] = &["monitoring.coreos.com", "monitoring.rhobs"];
const VM_GROUPS: &[&str] = &["operator.victoriametrics.com"];
const GMP_GROUPS: &[&str] = &["monitoring.googleapis.com"];

/// The row for a VictoriaMetrics kind (they share `EndpointAuth`).
const fn vm(kind: &'static str, endpoints: Endpoints, scheme: SchemeAt) -> ScrapeKind {
    ScrapeKind {
        groups: VM_GROUPS,
        version: "v1beta1",
        kind,
        endpoints,
        scheme,
        tls: "tlsConfig",
        tls_names: VM_TLS,
        oauth2: VM_OAUTH2,
        credentials: ALL_CREDENTIALS,
        relabelings: Some("relabelConfigs"),
        dialect: Dialect::VictoriaMetrics,
        probe_targets: &[],
        static_labels: StaticLabels::None,
        files: VM_FILES,
        sd_configs: false,
        scrape_classes: false,
        node_scrape: false,
        implicit_token: false,
        cluster_scoped: false,
    }
}

const fn gmp(kind: &'static str) -> ScrapeKind {
    ScrapeKind {
        groups: GMP_GROUPS,
        version: "v1",
        kind,
        endpoints: Endpoints::List("endpoints"),
        scheme: SchemeAt::Endpoint,
        tls: "tls",
        tls_names: GMP_TLS,
        oauth2: GMP_OAUTH2,
        credentials: HTTP_CLIENT_CREDENTIALS,
        relabelings: None,
        dialect: Dialect::Prometheus,
        probe_targets: &[],
        static_labels: StaticLabels::None,
        files: &[],
        sd_configs: false,
        scrape_classes: false,
        node_scrape: false,
        implicit_token: false,
        cluster_scoped: false,
    }
}

/// Every scrape kind of SPEC section 10.
pub(crate) static SCRAPE_KINDS: [ScrapeKind; 13] = [
    ScrapeKind {
        groups: PO_GROUPS,
        version: "v1",
        kind: "ServiceMonitor",
        endpoints: Endpoints::List("endpoints"),
        scheme: SchemeAt::Endpoint,
        tls: "tlsConfig",
        tls_names: PO_TLS,
        oauth2: PO_OAUTH2,
        credentials: ALL_CREDENTIALS,
        relabelings: Some("relabelings"),
        dialect: Dialect::Prometheus,
        probe_targets: &[],
        static_labels: StaticLabels::None,
        files: SM_FILES,
        sd_configs: false,
        scrape_classes: true,
        node_scrape: false,
        implicit_token: false,
        cluster_scoped: false,
    },
    ScrapeKind {
        groups: PO_GROUPS,
        version: "v1",
        kind: "PodMonitor",
        endpoints: Endpoints::List("podMetricsEndpoints"),
        scheme: SchemeAt::Endpoint,
        tls: "tlsConfig",
        tls_names: PO_SAFE_TLS,
        oauth2: PO_OAUTH2,
        credentials: SECRET_CREDENTIALS,
        relabelings: Some("relabelings"),
        dialect: Dialect::Prometheus,
        probe_targets: &[],
        static_labels: StaticLabels::None,
        files: &[],
        sd_configs: false,
        scrape_classes: true,
        node_scrape: false,
        implicit_token: false,
        cluster_scoped: false,
    },
    ScrapeKind {
        groups: PO_GROUPS,
        version: "v1",
        kind: "Probe",
        endpoints: Endpoints::Spec,
        scheme: SchemeAt::Under("prober"),
        tls: "tlsConfig",
        tls_names: PO_SAFE_TLS,
        oauth2: PO_OAUTH2,
        credentials: SECRET_CREDENTIALS,
        relabelings: None,
        dialect: Dialect::Prometheus,
        probe_targets: PO_PROBE_TARGETS,
        static_labels: StaticLabels::None,
        files: &[],
        sd_configs: false,
        scrape_classes: true,
        node_scrape: false,
        implicit_token: false,
        cluster_scoped: false,
    },
    ScrapeKind {
        groups: PO_GROUPS,
        version: "v1alpha1",
        kind: "ScrapeConfig",
        endpoints: Endpoints::Spec,
        scheme: SchemeAt::Endpoint,
        tls: "tlsConfig",
        tls_names: PO_SAFE_TLS,
        oauth2: PO_OAUTH2,
        credentials: HTTP_CLIENT_CREDENTIALS,
        relabelings: Some("relabelings"),
        dialect: Dialect::Prometheus,
        probe_targets: &[],
        static_labels: StaticLabels::StaticConfigs,
        files: &[],
        sd_configs: true,
        scrape_classes: true,
        node_scrape: false,
        implicit_token: false,
        cluster_scoped: false,
    },
    vm(
        "VMServiceScrape",
        Endpoints::List("endpoints"),
        SchemeAt::Endpoint,
    ),
    vm(
        "VMPodScrape",
        Endpoints::List("podMetricsEndpoints"),
        SchemeAt::Endpoint,
    ),
    ScrapeKind {
        static_labels: StaticLabels::Endpoint,
        ..vm(
            "VMStaticScrape",
            Endpoints::List("targetEndpoints"),
            SchemeAt::Endpoint,
        )
    },
    ScrapeKind {
        node_scrape: true,
        ..vm("VMNodeScrape", Endpoints::Spec, SchemeAt::Endpoint)
    },
    ScrapeKind {
        sd_configs: true,
        static_labels: StaticLabels::StaticConfigs,
        ..vm("VMScrapeConfig", Endpoints::Spec, SchemeAt::Endpoint)
    },
    ScrapeKind {
        relabelings: None,
        probe_targets: VM_PROBE_TARGETS,
        ..vm(
            "VMProbe",
            Endpoints::Spec,
            SchemeAt::UnderElseEndpoint("vmProberSpec"),
        )
    },
    gmp("PodMonitoring"),
    ScrapeKind {
        cluster_scoped: true,
        ..gmp("ClusterPodMonitoring")
    },
    ScrapeKind {
        tls_names: GMP_NODE_TLS,
        credentials: &[],
        node_scrape: true,
        implicit_token: true,
        cluster_scoped: true,
        ..gmp("ClusterNodeMonitoring")
    },
];

/// The kinds whose `spec.scrapeClasses[i].tlsConfig` is checked at the
/// source (SPEC 10): Prometheus (v1) and PrometheusAgent (v1alpha1).
pub(crate) const CLASS_SOURCES: [(&str, &str); 2] =
    [("v1", "Prometheus"), ("v1alpha1", "PrometheusAgent")];

/// The row for a group/version/kind.
pub(crate) fn scrape_kind(group: &str, version: &str, kind: &str) -> Option<&'static ScrapeKind> {
    SCRAPE_KINDS
        .iter()
        .find(|k| k.kind == kind && k.version == version && k.groups.contains(&group))
}

/// Whether a group/version/kind is a Prometheus or PrometheusAgent.
pub(crate) fn is_class_source(group: &str, version: &str, kind: &str) -> bool {
    PO_GROUPS.contains(&group) && CLASS_SOURCES.contains(&(version, kind))
}

/// A kind's row by name (tests).
#[cfg(test)]
pub(crate) fn by_kind(kind: &str) -> &'static ScrapeKind {
    SCRAPE_KINDS
        .iter()
        .find(|k| k.kind == kind)
        .expect("a scrape kind")
}
