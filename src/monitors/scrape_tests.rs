//! Table tests for SPEC section 10: one table per kind (where its endpoints
//! and TLS fields are), and one per rule or reading section 10 adds (scrape
//! classes, OAuth2, `__scheme__` relabelings, M9, M10, advice that fits the
//! target). Each case names the kind, the object, the settings and the
//! expected `(rule, path)` of every violation.

use super::kinds::{by_kind, SCRAPE_KINDS};
use crate::report::Report;
use crate::review::{review, Target};
use crate::rule::Rule;
use crate::settings::Settings;
use crate::testing::findings;
use kubewarden_policy_sdk::request::{GroupVersionKind, KubernetesAdmissionRequest};
use serde_json::{json, Value};

fn settings(v: &Value) -> Settings {
    crate::review::validate_settings(v).expect("valid settings")
}

fn no() -> Value {
    json!({})
}

/// Evaluates `spec` as a `group/version` `kind` in namespace `apps`.
fn run_gvk(group: &str, version: &str, kind: &str, spec: Value, s: &Value) -> Report {
    let req = KubernetesAdmissionRequest {
        uid: "test".into(),
        kind: GroupVersionKind {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
        },
        operation: "CREATE".into(),
        namespace: "apps".into(),
        object: json!({
            "apiVersion": format!("{group}/{version}"),
            "kind": kind,
            "metadata": {"name": "app", "namespace": "apps"},
            "spec": spec
        }),
        ..Default::default()
    };
    review(&mut req.clone(), &settings(s)).report
}

/// Evaluates `spec` as `kind` in the first group of its row.
fn run(kind: &str, spec: Value, s: &Value) -> Report {
    let k = by_kind(kind);
    run_gvk(k.groups[0], k.version, kind, spec, s)
}

fn found(r: &Report) -> Vec<(String, String)> {
    findings(r)
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(r, p)| (r.to_string(), p.to_string()))
        .collect()
}

type Case<'a> = (&'a str, &'a str, Value, Value, &'a [(&'a str, &'a str)]);

fn table(cases: &[Case]) {
    for (name, kind, spec, s, expected) in cases {
        let r = run(kind, spec.clone(), s);
        assert_eq!(found(&r), pairs(expected), "case {name} ({kind}): {spec}");
    }
}

/// Every row is routed for each of its groups; nothing else is.
#[test]
fn every_scrape_kind_is_routed() {
    for k in &SCRAPE_KINDS {
        for g in k.groups {
            let gvk = GroupVersionKind {
                group: g.to_string(),
                version: k.version.into(),
                kind: k.kind.into(),
            };
            assert!(
                matches!(Target::of(&gvk), Some(Target::Scrape(_))),
                "{gvk:?}"
            );
        }
    }
    for (g, v, kind) in [
        ("monitoring.coreos.com", "v1", "Prometheus"),
        ("monitoring.rhobs", "v1alpha1", "PrometheusAgent"),
    ] {
        let gvk = GroupVersionKind {
            group: g.into(),
            version: v.into(),
            kind: kind.into(),
        };
        assert_eq!(Target::of(&gvk), Some(Target::ScrapeClassSource));
    }
    for (g, v, kind) in [
        ("monitoring.coreos.com", "v1beta1", "ServiceMonitor"),
        ("operator.victoriametrics.com", "v1beta1", "ServiceMonitor"),
        ("monitoring.coreos.com", "v1", "Alertmanager"),
        ("monitoring.googleapis.com", "v1", "ClusterRules"),
    ] {
        let gvk = GroupVersionKind {
            group: g.into(),
            version: v.into(),
            kind: kind.into(),
        };
        assert_eq!(Target::of(&gvk), None, "{gvk:?}");
    }
}

/// policy-metadata.yml lists every row of the kind table.
#[test]
fn metadata_lists_every_scrape_kind() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policy-metadata.yml"))
        .unwrap();
    let meta: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let listed = |group: &str, version: &str, resource: &str| {
        meta["rules"].as_sequence().unwrap().iter().any(|r| {
            let has = |key: &str, v: &str| {
                r[key]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .any(|x| x.as_str() == Some(v))
            };
            has("apiGroups", group) && has("apiVersions", version) && has("resources", resource)
        })
    };
    for k in &SCRAPE_KINDS {
        let lower = k.kind.to_ascii_lowercase();
        for g in k.groups {
            assert!(
                listed(g, k.version, &format!("{lower}s")),
                "{g}/{} {}",
                k.version,
                k.kind
            );
        }
    }
}

/// One table per kind: an endpoint that skips verification is found at the
/// kind's own place, with the kind's TLS field name; the verified form is
/// clean.
#[test]
fn m1_per_kind() {
    let skip = json!({"scheme": "https", "tlsConfig": {"insecureSkipVerify": true}});
    let verified = json!({"scheme": "https", "tlsConfig": {"serverName": "app.apps.svc", "ca": {"secret": {"name": "app-tls", "key": "ca.crt"}}}});
    type KindCase<'a> = (String, &'a str, Value, Value, Vec<(&'a str, String)>);
    let mut cases: Vec<KindCase> = Vec::new();
    let m1 = |p: &str| vec![("M1", format!("{p}.insecureSkipVerify"))];
    for (kind, list) in [
        ("ServiceMonitor", "endpoints"),
        ("PodMonitor", "podMetricsEndpoints"),
        ("VMServiceScrape", "endpoints"),
        ("VMPodScrape", "podMetricsEndpoints"),
        ("VMStaticScrape", "targetEndpoints"),
    ] {
        cases.push((
            format!("{kind} skip"),
            kind,
            json!({ list: [skip.clone()] }),
            no(),
            m1(&format!("spec.{list}[0].tlsConfig")),
        ));
        cases.push((
            format!("{kind} verified"),
            kind,
            json!({ list: [verified.clone()] }),
            no(),
            vec![],
        ));
    }
    for kind in ["ScrapeConfig", "VMNodeScrape", "VMScrapeConfig"] {
        cases.push((
            format!("{kind} skip"),
            kind,
            skip.clone(),
            no(),
            m1("spec.tlsConfig"),
        ));
        cases.push((
            format!("{kind} verified"),
            kind,
            verified.clone(),
            no(),
            vec![],
        ));
    }
    // Probe and VMProbe: the scheme is the prober's.
    for (kind, prober) in [("Probe", "prober"), ("VMProbe", "vmProberSpec")] {
        cases.push((
            format!("{kind} skip"),
            kind,
            json!({prober: {"url": "blackbox:9115", "scheme": "https"}, "tlsConfig": {"insecureSkipVerify": true}}),
            no(),
            m1("spec.tlsConfig"),
        ));
        cases.push((
            format!("{kind} tls over the prober's http"),
            kind,
            json!({prober: {"url": "blackbox:9115"}, "tlsConfig": {"serverName": "x.y.svc"}}),
            no(),
            vec![("M4", "spec.tlsConfig".to_string())],
        ));
        cases.push((
            format!("{kind} unknown prober scheme"),
            kind,
            json!({prober: {"url": "blackbox:9115", "scheme": "tcp"}}),
            no(),
            vec![("invalid", format!("spec.{prober}.scheme"))],
        ));
    }
    // VMProbe: `vmProberSpec.scheme` overrides `spec.scheme` (the inline
    // scrape parameters); either may say https (VictoriaMetrics operator,
    // config/examples/vmprobe.yaml with TLS and a token).
    let vm_probe = |prober: Value, scheme: Option<&str>| {
        let mut spec = json!({"jobName": "static-probe", "vmProberSpec": prober,
            "bearerTokenSecret": {"name": "tok", "key": "token"},
            "tlsConfig": {"ca": {"secret": {"name": "bb-ca", "key": "ca.crt"}}, "serverName": "prometheus-blackbox-exporter.default.svc"},
            "module": "http_2xx", "targets": {"static": {"targets": ["vmagent-example.default.svc:8429/health"]}}});
        if let Some(s) = scheme {
            spec["scheme"] = json!(s);
        }
        spec
    };
    let url = "prometheus-blackbox-exporter.default.svc:9115";
    cases.push((
        "VMProbe https in spec.scheme".to_string(),
        "VMProbe",
        vm_probe(json!({"url": url}), Some("https")),
        no(),
        vec![],
    ));
    cases.push((
        "VMProbe https in spec.scheme, empty vmProberSpec.scheme".to_string(),
        "VMProbe",
        vm_probe(json!({"url": url, "scheme": ""}), Some("https")),
        no(),
        vec![],
    ));
    cases.push((
        "VMProbe vmProberSpec.scheme http wins over spec.scheme https".to_string(),
        "VMProbe",
        vm_probe(json!({"url": url, "scheme": "http"}), Some("https")),
        no(),
        vec![
            ("M4", "spec.tlsConfig".to_string()),
            ("M5", "spec.bearerTokenSecret".to_string()),
        ],
    ));
    cases.push((
        "VMProbe spec.scheme http".to_string(),
        "VMProbe",
        vm_probe(json!({"url": url}), Some("http")),
        no(),
        vec![
            ("M4", "spec.tlsConfig".to_string()),
            ("M5", "spec.bearerTokenSecret".to_string()),
        ],
    ));
    cases.push((
        "VMProbe no scheme anywhere".to_string(),
        "VMProbe",
        vm_probe(json!({"url": url}), None),
        no(),
        vec![
            ("M4", "spec.tlsConfig".to_string()),
            ("M5", "spec.bearerTokenSecret".to_string()),
        ],
    ));
    // GKE: `tls`, not `tlsConfig`; `tlsConfig` is not a GKE field.
    for kind in ["PodMonitoring", "ClusterPodMonitoring"] {
        cases.push((
            format!("{kind} skip"),
            kind,
            json!({"endpoints": [{"port": "metrics", "scheme": "https", "tls": {"insecureSkipVerify": true}}]}),
            no(),
            m1("spec.endpoints[0].tls"),
        ));
        cases.push((
            format!("{kind} tlsConfig is not read"),
            kind,
            json!({"endpoints": [{"port": "metrics", "scheme": "https", "tlsConfig": {"insecureSkipVerify": true}}]}),
            no(),
            vec![],
        ));
    }
    for (name, kind, spec, s, expected) in cases {
        let r = run(kind, spec.clone(), &s);
        let want: Vec<(String, String)> = expected
            .into_iter()
            .map(|(r, p)| (r.to_string(), p))
            .collect();
        assert_eq!(found(&r), want, "case {name}: {spec}");
    }
    // The advice spells the kind's own field: GKE's `tls.ca.secret`.
    let r = run(
        "PodMonitoring",
        json!({"endpoints": [{"port": "metrics", "scheme": "https", "tls": {"insecureSkipVerify": true}}]}),
        &no(),
    );
    assert!(
        r.violations[0]
            .detail
            .contains("(tls.ca.secret: {name: metrics-server-cert"),
        "{}",
        r.violations[0].detail
    );
    // The monitoring.rhobs twins read the same.
    let r = run_gvk(
        "monitoring.rhobs",
        "v1",
        "ServiceMonitor",
        json!({"endpoints": [skip]}),
        &no(),
    );
    assert_eq!(
        found(&r),
        pairs(&[("M1", "spec.endpoints[0].tlsConfig.insecureSkipVerify")])
    );
}

/// Fields a kind's CRD does not have are not read (SPEC 10: "a kind without
/// a field that a rule reads is simply not subject to that part").
#[test]
fn fields_per_kind() {
    table(&[
        (
            "PodMonitor has no caFile (SafeTLSConfig)",
            "PodMonitor",
            json!({"podMetricsEndpoints": [{"scheme": "https", "tlsConfig": {"ca": {"secret": {"name": "a", "key": "ca.crt"}}, "caFile": "/x", "serverName": "a.b.svc"}}]}),
            no(),
            &[],
        ),
        (
            "ServiceMonitor has caFile",
            "ServiceMonitor",
            json!({"endpoints": [{"scheme": "https", "tlsConfig": {"ca": {"secret": {"name": "a", "key": "ca.crt"}}, "caFile": "/x", "serverName": "a.b.svc"}}]}),
            no(),
            &[("M3", "spec.endpoints[0].tlsConfig.caFile")],
        ),
        (
            "VictoriaMetrics TLS has no versions",
            "VMServiceScrape",
            json!({"endpoints": [{"scheme": "https", "tlsConfig": {"minVersion": "TLS10"}}]}),
            no(),
            &[],
        ),
        (
            "GKE TLS has versions",
            "PodMonitoring",
            json!({"endpoints": [{"port": 8443, "scheme": "https", "tls": {"minVersion": "TLS10"}}]}),
            no(),
            &[("M7", "spec.endpoints[0].tls.minVersion")],
        ),
        (
            "GKE client key under tls.key.secret",
            "PodMonitoring",
            json!({"endpoints": [{"port": 8443, "scheme": "https", "tls": {"cert": {"secret": {"name": "c", "key": "tls.crt"}}}}]}),
            no(),
            &[("M2", "spec.endpoints[0].tls.key")],
        ),
        (
            "GKE full client pair",
            "PodMonitoring",
            json!({"endpoints": [{"port": 8443, "scheme": "https", "tls": {"cert": {"secret": {"name": "c", "key": "tls.crt"}}, "key": {"secret": {"name": "c", "key": "tls.key"}}}}]}),
            no(),
            &[],
        ),
        (
            "VictoriaMetrics bearerTokenSecret over http",
            "VMPodScrape",
            json!({"podMetricsEndpoints": [{"port": "http", "bearerTokenSecret": {"name": "t", "key": "token"}}]}),
            no(),
            &[("M5", "spec.podMetricsEndpoints[0].bearerTokenSecret")],
        ),
        (
            "GKE has no bearerTokenSecret",
            "PodMonitoring",
            json!({"endpoints": [{"port": "http", "bearerTokenSecret": {"name": "t", "key": "token"}}]}),
            no(),
            &[],
        ),
        (
            "ScrapeConfig SD tlsConfig: M1, M3, M7 (in the object's order)",
            "ScrapeConfig",
            json!({"kubernetesSDConfigs": [{"role": "Pod", "tlsConfig": {"insecureSkipVerify": true, "maxVersion": "TLS11"}}],
                   "httpSDConfigs": [{"url": "https://sd", "tlsConfig": {"ca": {"secret": {"name": "a", "key": "k"}, "configMap": {"name": "b", "key": "k"}}}}]}),
            no(),
            &[
                (
                    "M1",
                    "spec.kubernetesSDConfigs[0].tlsConfig.insecureSkipVerify",
                ),
                ("M7", "spec.kubernetesSDConfigs[0].tlsConfig.maxVersion"),
                ("M3", "spec.httpSDConfigs[0].tlsConfig.ca.configMap"),
            ],
        ),
    ]);
}

fn classes(extra: Value) -> Value {
    let mut s = json!({"scrapeClasses": [
        {"name": "tls-client-certificate-auth", "tlsConfig": {
            "caFile": "/etc/prometheus/configmaps/serving-certs-ca-bundle/service-ca.crt",
            "certFile": "/etc/prometheus/secrets/metrics-client-certs/tls.crt",
            "keyFile": "/etc/prometheus/secrets/metrics-client-certs/tls.key"}},
        {"name": "bearer", "authorization": {"credentials": {"name": "scrape-token", "key": "token"}}}
    ]});
    if let (Value::Object(s), Value::Object(e)) = (&mut s, extra) {
        s.extend(e);
    }
    s
}

/// Scrape classes (SPEC 10 and 13): prometheus-operator's merge.
#[test]
fn scrape_classes_merge() {
    // A class with insecureSkipVerify is only possible in internal mode
    // with allowInsecureSkipVerify.
    let ext_allow = || {
        let mut s = classes(json!({"certManagement": "internal", "allowInsecureSkipVerify": true}));
        s["scrapeClasses"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "lenient", "tlsConfig": {"insecureSkipVerify": true}}));
        s
    };
    let external = || classes(json!({"certManagement": "external"}));
    table(&[
        (
            "empty tlsConfig takes the whole class: CA from the class satisfies M8",
            "ServiceMonitor",
            json!({"scrapeClass": "tls-client-certificate-auth", "endpoints": [{"port": "metrics", "scheme": "https", "tlsConfig": {}}]}),
            external(),
            &[],
        ),
        (
            "non-empty tlsConfig takes only the files",
            "ServiceMonitor",
            json!({"scrapeClass": "tls-client-certificate-auth", "endpoints": [{"port": "metrics", "scheme": "https", "tlsConfig": {"serverName": "server.openshift-monitoring.svc"}}]}),
            external(),
            &[],
        ),
        (
            "class files complete a half pair",
            "ServiceMonitor",
            json!({"scrapeClass": "tls-client-certificate-auth", "endpoints": [{"scheme": "https", "tlsConfig": {"serverName": "a.b.svc", "cert": {"secret": {"name": "c", "key": "tls.crt"}}}}]}),
            classes(no()),
            &[],
        ),
        (
            "without the class the same endpoint is a half pair",
            "ServiceMonitor",
            json!({"endpoints": [{"scheme": "https", "tlsConfig": {"serverName": "a.b.svc", "cert": {"secret": {"name": "c", "key": "tls.crt"}}}}]}),
            classes(no()),
            &[("M2", "spec.endpoints[0].tlsConfig.keySecret")],
        ),
        (
            "an endpoint's own CA wins over the class file",
            "PodMonitor",
            json!({"scrapeClass": "tls-client-certificate-auth", "podMetricsEndpoints": [{"scheme": "https", "tlsConfig": {"serverName": "a.b.svc", "ca": {"secret": {"name": "c", "key": "ca.crt"}}}}]}),
            external(),
            &[],
        ),
        (
            "no class named, no default: M8",
            "ServiceMonitor",
            json!({"endpoints": [{"scheme": "https"}]}),
            external(),
            &[("M8", "spec.endpoints[0].tlsConfig.ca")],
        ),
        (
            "class authorization over http: M5 names the endpoint",
            "ServiceMonitor",
            json!({"scrapeClass": "bearer", "endpoints": [{"port": "web"}]}),
            classes(no()),
            &[("M5", "spec.endpoints[0].authorization")],
        ),
        (
            "the endpoint's own authorization is not duplicated",
            "ServiceMonitor",
            json!({"scrapeClass": "bearer", "endpoints": [{"port": "web", "authorization": {"credentials": {"name": "t", "key": "k"}}}]}),
            classes(no()),
            &[("M5", "spec.endpoints[0].authorization")],
        ),
        (
            "classes apply to prometheus-operator kinds only",
            "VMServiceScrape",
            json!({"scrapeClass": "bearer", "endpoints": [{"port": "web"}]}),
            classes(no()),
            &[],
        ),
        (
            "a class's insecureSkipVerify with an own non-empty tlsConfig is not taken",
            "ServiceMonitor",
            json!({"scrapeClass": "lenient", "endpoints": [{"scheme": "https", "bearerTokenSecret": {"name": "t", "key": "k"}, "tlsConfig": {"serverName": "a.b.svc"}}]}),
            ext_allow(),
            &[],
        ),
        (
            "a class's insecureSkipVerify with an empty tlsConfig: M5 for credentials",
            "ServiceMonitor",
            json!({"scrapeClass": "lenient", "endpoints": [{"scheme": "https", "bearerTokenSecret": {"name": "t", "key": "k"}}]}),
            ext_allow(),
            &[("M5", "spec.endpoints[0].bearerTokenSecret")],
        ),
    ]);
    // The violation from the class names the endpoint and the class.
    let r = run(
        "ServiceMonitor",
        json!({"scrapeClass": "lenient", "endpoints": [{"scheme": "https", "bearerTokenSecret": {"name": "t", "key": "k"}}]}),
        &ext_allow(),
    );
    assert!(
        r.violations[0].detail.contains("from scrape class lenient"),
        "{}",
        r.violations[0]
    );
    assert!(
        r.warnings.iter().any(|w| crate::testing::warns(
            w,
            Rule::M1,
            "spec.endpoints[0].tlsConfig.insecureSkipVerify",
            ""
        ) && w.detail.contains("from scrape class lenient")),
        "{:?}",
        r.warnings
    );
    // The default class applies to monitors that name none.
    let s = json!({"certManagement": "external", "scrapeClasses": [{"name": "d", "default": true, "tlsConfig": {"caFile": "/ca.crt"}}]});
    let r = run(
        "ServiceMonitor",
        json!({"endpoints": [{"scheme": "https", "tlsConfig": {"serverName": "a.b.svc"}}]}),
        &s,
    );
    assert!(r.is_clean(), "{:?}", r.violations);
    // W-serverName from the class's verification names the class too.
    let r = run(
        "ServiceMonitor",
        json!({"endpoints": [{"scheme": "https"}]}),
        &s,
    );
    assert!(
        r.warnings.iter().any(|w| crate::testing::warns(
            w,
            Rule::WServerName,
            "spec.endpoints[0].tlsConfig.serverName",
            "the endpoint verifies the server certificate (from scrape class d) but sets no serverName"
        )),
        "{:?}",
        r.warnings
    );
}

/// An undeclared class: M8 and the judgements the class could change
/// become warnings; the endpoint's own violations stay rejections.
#[test]
fn undeclared_scrape_class() {
    let ext = json!({"certManagement": "external"});
    let spec = json!({"scrapeClass": "tls-client-certificate-auth", "endpoints": [
        {"port": "metrics", "scheme": "https", "tlsConfig": {"serverName": "server.openshift-monitoring.svc"}},
        {"port": "web", "scheme": "https", "tlsConfig": {"insecureSkipVerify": true}}
    ]});
    let r = run("ServiceMonitor", spec, &ext);
    assert_eq!(
        found(&r),
        pairs(&[("M1", "spec.endpoints[1].tlsConfig.insecureSkipVerify")])
    );
    assert!(
        crate::testing::warns(
            &r.warnings[0],
            Rule::Settings,
            "spec.scrapeClass",
            "scrape class tls-client-certificate-auth is not described"
        ),
        "{:?}",
        r.warnings
    );
    assert!(
        r.warnings.iter().any(|w| crate::testing::warns(
            w,
            Rule::M8,
            "spec.endpoints[0].tlsConfig.ca",
            ""
        )),
        "{:?}",
        r.warnings
    );
    // A half pair the class could complete is a warning too.
    let r = run(
        "ServiceMonitor",
        json!({"scrapeClass": "x", "endpoints": [{"scheme": "https", "tlsConfig": {"ca": {"secret": {"name": "a", "key": "ca.crt"}}, "serverName": "a.b.svc", "certFile": "/c"}}]}),
        &no(),
    );
    assert!(r.is_clean(), "{:?}", r.violations);
    assert!(
        r.warnings.iter().any(|w| crate::testing::warns(
            w,
            Rule::M2,
            "spec.endpoints[0].tlsConfig.keyFile",
            ""
        )),
        "{:?}",
        r.warnings
    );
}

/// The `scrapeClasses` setting is validated like the classes' own rules.
#[test]
fn scrape_class_settings() {
    let check = |v: Value| crate::review::validate_settings(&v);
    let cases = [
        (
            json!({"scrapeClasses": {}}),
            "scrapeClasses: Invalid type: expected a list",
        ),
        (
            json!({"scrapeClasses": ["a"]}),
            "scrapeClasses[0]: Invalid type: expected an object",
        ),
        (
            json!({"scrapeClasses": [{}]}),
            "scrapeClasses[0].name: Required value: must not be empty",
        ),
        (
            json!({"scrapeClasses": [{"name": 1}]}),
            "scrapeClasses[0].name: Invalid type: expected a string",
        ),
        (
            json!({"scrapeClasses": [{"name": "a", "default": "yes"}]}),
            "scrapeClasses[0].default: Invalid type: expected a boolean",
        ),
        (
            json!({"scrapeClasses": [{"name": "a", "tlsConfig": []}]}),
            "scrapeClasses[0].tlsConfig: Invalid type: expected an object",
        ),
        (
            json!({"scrapeClasses": [{"name": "a"}, {"name": "a"}]}),
            "scrapeClasses[1].name: Invalid value: \"a\" is declared twice",
        ),
        (
            json!({"scrapeClasses": [{"name": "a", "default": true}, {"name": "b", "default": true}]}),
            "more than one default class (a, b)",
        ),
        (
            json!({"scrapeClasses": [{"name": "a", "tlsConfig": {"insecureSkipVerify": true}}]}),
            "scrapeClasses[0].tlsConfig.insecureSkipVerify: Forbidden",
        ),
        (
            json!({"scrapeClasses": [{"name": "a", "tlsConfig": {"certFile": "/c"}}]}),
            "scrapeClasses[0].tlsConfig.keySecret: Required value",
        ),
        (
            json!({"scrapeClasses": [{"name": "a", "tlsConfig": {"caFile": "/c", "ca": {"secret": {"name": "s", "key": "k"}}}}]}),
            "scrapeClasses[0].tlsConfig.caFile: Conflicting fields",
        ),
        (
            json!({"scrapeClasses": [{"name": "a", "tlsConfig": {"minVersion": "TLS11"}}]}),
            "scrapeClasses[0].tlsConfig.minVersion: Forbidden",
        ),
        (
            json!({"scrapeClasses": [{"name": "a", "tlsConfig": {"insecureSkipVerify": "yes"}}]}),
            "scrapeClasses[0].tlsConfig.insecureSkipVerify: Invalid type",
        ),
        (
            json!({"denyFileReferences": "true"}),
            "denyFileReferences: Invalid type: expected a boolean",
        ),
    ];
    for (input, expected) in cases {
        let err = check(input.clone()).expect_err(&input.to_string());
        assert!(
            err.contains(expected),
            "{input}: {err:?} lacks {expected:?}"
        );
    }
    let ok = check(json!({"certManagement": "internal", "allowInsecureSkipVerify": true,
        "scrapeClasses": [{"name": "a", "default": true, "tlsConfig": {"insecureSkipVerify": true}, "relabelings": [], "attachMetadata": {"node": true}}]}))
    .unwrap();
    assert_eq!(ok.scrape_classes.len(), 1);
    assert!(ok.scrape_classes[0].default);
    let ok = check(json!({"denyFileReferences": true})).unwrap();
    assert!(ok.deny_file_references);
}

/// Prometheus and PrometheusAgent: scrape classes checked at the source.
#[test]
fn scrape_classes_at_the_source() {
    let classes = json!({"scrapeClasses": [
        {"name": "default", "default": true, "tlsConfig": {"insecureSkipVerify": true}},
        {"name": "mtls", "tlsConfig": {"certFile": "/c", "minVersion": "TLS10"}},
        {"name": "ok", "tlsConfig": {"caFile": "/ca", "certFile": "/c", "keyFile": "/k"}}
    ]});
    let want = pairs(&[
        ("M1", "spec.scrapeClasses[0].tlsConfig.insecureSkipVerify"),
        ("M2", "spec.scrapeClasses[1].tlsConfig.keySecret"),
        ("M7", "spec.scrapeClasses[1].tlsConfig.minVersion"),
    ]);
    for (group, version, kind) in [
        ("monitoring.coreos.com", "v1", "Prometheus"),
        ("monitoring.coreos.com", "v1alpha1", "PrometheusAgent"),
        ("monitoring.rhobs", "v1", "Prometheus"),
    ] {
        let r = run_gvk(group, version, kind, classes.clone(), &no());
        assert_eq!(found(&r), want, "{kind}");
    }
    let r = run_gvk(
        "monitoring.coreos.com",
        "v1",
        "Prometheus",
        json!({"scrapeClasses": [{"name": "default", "default": true, "tlsConfig": {"insecureSkipVerify": true}}]}),
        &json!({"certManagement": "internal", "allowInsecureSkipVerify": true}),
    );
    assert!(r.is_clean());
    assert_eq!(r.warnings.len(), 1);
    let r = run_gvk(
        "monitoring.coreos.com",
        "v1",
        "Prometheus",
        json!({"replicas": 2}),
        &no(),
    );
    assert!(r.is_clean() && r.warnings.is_empty());
}

/// OAuth2 (SPEC 10): its TLS by M1, M3, M7; unverified or http token URL: M5.
#[test]
fn oauth2() {
    let o = |kind: &str, list: Option<&str>, oauth2: Value| {
        let ep = json!({"scheme": "https", "tlsConfig": {"ca": {"secret": {"name": "a", "key": "ca.crt"}}, "serverName": "a.b.svc"}, "tls": {"ca": {"secret": {"name": "a", "key": "ca.crt"}}, "serverName": "a.b.svc"}, "oauth2": oauth2});
        match list {
            Some(l) => run(kind, json!({ l: [ep] }), &no()),
            None => run(kind, ep, &no()),
        }
    };
    type OAuthCase<'a> = (&'a str, Option<&'a str>, Value, Vec<(&'a str, &'a str)>);
    let cases: Vec<OAuthCase> = vec![
        (
            "ServiceMonitor",
            Some("endpoints"),
            json!({"tokenUrl": "https://idp/token", "clientId": {"secret": {"name": "c", "key": "id"}}}),
            vec![],
        ),
        (
            "ServiceMonitor",
            Some("endpoints"),
            json!({"tokenUrl": "http://idp/token"}),
            vec![("M5", "spec.endpoints[0].oauth2.tokenUrl")],
        ),
        (
            "ServiceMonitor",
            Some("endpoints"),
            json!({"tokenUrl": "HTTP://idp/token"}),
            vec![("M5", "spec.endpoints[0].oauth2.tokenUrl")],
        ),
        (
            "ServiceMonitor",
            Some("endpoints"),
            json!({"tokenUrl": "https://idp/token", "tlsConfig": {"insecureSkipVerify": true}}),
            vec![
                (
                    "M1",
                    "spec.endpoints[0].oauth2.tlsConfig.insecureSkipVerify",
                ),
                (
                    "M5",
                    "spec.endpoints[0].oauth2.tlsConfig.insecureSkipVerify",
                ),
            ],
        ),
        (
            "PodMonitor",
            Some("podMetricsEndpoints"),
            json!({"tokenUrl": "https://idp/token", "tlsConfig": {"minVersion": "TLS11", "ca": {"secret": {"name": "a", "key": "k"}, "configMap": {"name": "b", "key": "k"}}}}),
            vec![
                (
                    "M3",
                    "spec.podMetricsEndpoints[0].oauth2.tlsConfig.ca.configMap",
                ),
                (
                    "M7",
                    "spec.podMetricsEndpoints[0].oauth2.tlsConfig.minVersion",
                ),
            ],
        ),
        (
            "VMServiceScrape",
            Some("endpoints"),
            json!({"token_url": "http://idp/token"}),
            vec![("M5", "spec.endpoints[0].oauth2.token_url")],
        ),
        (
            "VMServiceScrape",
            Some("endpoints"),
            json!({"token_url": "https://idp/token", "tls_config": {"insecureSkipVerify": true}}),
            vec![
                (
                    "M1",
                    "spec.endpoints[0].oauth2.tls_config.insecureSkipVerify",
                ),
                (
                    "M5",
                    "spec.endpoints[0].oauth2.tls_config.insecureSkipVerify",
                ),
            ],
        ),
        (
            "VMServiceScrape",
            Some("endpoints"),
            json!({"tokenUrl": "http://idp/token"}),
            vec![],
        ),
        (
            "PodMonitoring",
            Some("endpoints"),
            json!({"tokenURL": "http://idp/token"}),
            vec![("M5", "spec.endpoints[0].oauth2.tokenURL")],
        ),
        (
            "ScrapeConfig",
            None,
            json!({"tokenUrl": "http://idp/token"}),
            vec![("M5", "spec.oauth2.tokenUrl")],
        ),
    ];
    for (kind, list, oauth2, expected) in cases {
        let r = o(kind, list, oauth2.clone());
        assert_eq!(found(&r), pairs(&expected), "{kind}: {oauth2}");
    }
}

/// `__scheme__` rewritten by relabeling (SPEC 10 and 13).
#[test]
fn scheme_relabeling() {
    let ep = |relabel: Value| {
        json!({"endpoints": [{"port": "https", "scheme": "https", "bearerTokenSecret": {"name": "t", "key": "token"},
            "tlsConfig": {"ca": {"secret": {"name": "a", "key": "ca.crt"}}, "serverName": "a.b.svc"},
            "relabelings": [{"action": "keep", "sourceLabels": ["__meta_kubernetes_pod_ready"], "regex": "true"}, relabel]}]})
    };
    let exposed: &[(&str, &str)] = &[
        ("M4", "spec.endpoints[0].tlsConfig"),
        ("M5", "spec.endpoints[0].bearerTokenSecret"),
    ];
    table(&[
        (
            "replace to http",
            "ServiceMonitor",
            ep(json!({"targetLabel": "__scheme__", "replacement": "http"})),
            no(),
            exposed,
        ),
        (
            "action Replace in any case",
            "ServiceMonitor",
            ep(json!({"action": "Replace", "targetLabel": "__scheme__", "replacement": "http"})),
            no(),
            exposed,
        ),
        (
            "absent replacement is $1: unknown",
            "ServiceMonitor",
            ep(
                json!({"sourceLabels": ["__meta_kubernetes_pod_annotation_scheme"], "targetLabel": "__scheme__"}),
            ),
            no(),
            exposed,
        ),
        (
            "capture group: unknown",
            "ServiceMonitor",
            ep(json!({"sourceLabels": ["x"], "targetLabel": "__scheme__", "replacement": "${1}"})),
            no(),
            exposed,
        ),
        (
            "replace to HTTPS is fine",
            "ServiceMonitor",
            ep(json!({"targetLabel": "__scheme__", "replacement": "HTTPS"})),
            no(),
            &[],
        ),
        (
            "another target label",
            "ServiceMonitor",
            ep(json!({"targetLabel": "__metrics_path__", "replacement": "/m"})),
            no(),
            &[],
        ),
        (
            "labelmap is not replace",
            "ServiceMonitor",
            ep(json!({"action": "labelmap", "targetLabel": "__scheme__", "replacement": "http"})),
            no(),
            &[],
        ),
        (
            "requireHttps names the relabeling",
            "ServiceMonitor",
            ep(json!({"targetLabel": "__scheme__", "replacement": "http"})),
            json!({"requireHttps": true}),
            &[
                ("M4", "spec.endpoints[0].tlsConfig"),
                ("M5", "spec.endpoints[0].bearerTokenSecret"),
                ("M6", "spec.endpoints[0].relabelings[1]"),
            ],
        ),
        (
            "VictoriaMetrics relabelConfigs with target_label",
            "VMServiceScrape",
            json!({"endpoints": [{"port": "https", "scheme": "https", "bearerTokenSecret": {"name": "t", "key": "token"},
                "tlsConfig": {"ca": {"secret": {"name": "a", "key": "ca.crt"}}, "serverName": "a.b.svc"},
                "relabelConfigs": [{"target_label": "__scheme__", "replacement": "http"}]}]}),
            no(),
            exposed,
        ),
        (
            "VictoriaMetrics reads relabelConfigs, not relabelings",
            "VMServiceScrape",
            json!({"endpoints": [{"port": "https", "scheme": "https", "bearerTokenSecret": {"name": "t", "key": "token"},
                "tlsConfig": {"ca": {"secret": {"name": "a", "key": "ca.crt"}}, "serverName": "a.b.svc"},
                "relabelings": [{"targetLabel": "__scheme__", "replacement": "http"}]}]}),
            no(),
            &[],
        ),
        (
            "wrong type of targetLabel",
            "ServiceMonitor",
            ep(json!({"targetLabel": 1})),
            no(),
            &[("type", "spec.endpoints[0].relabelings[1].targetLabel")],
        ),
    ]);
    let r = run(
        "ServiceMonitor",
        ep(json!({"targetLabel": "__scheme__", "replacement": "http"})),
        &no(),
    );
    assert!(
        r.violations[1].detail.contains(
            "the relabeling at spec.endpoints[0].relabelings[1] rewrites __scheme__ to http"
        ),
        "{}",
        r.violations[1]
    );
}

/// Every place that may write `__scheme__` (SPEC 10), per kind: target
/// relabelings in each kind's spelling, Probe target relabelings, static
/// labels, and a scrape class's relabelings. The fixed form is clean.
#[test]
fn scheme_writers_per_kind() {
    let ca = json!({"ca": {"secret": {"name": "a", "key": "ca.crt"}}, "serverName": "a.b.svc"});
    let secret = json!({"name": "t", "key": "token"});
    let vm_ep = |relabel: Value| {
        json!({"endpoints": [{"port": "https", "scheme": "https", "bearerTokenSecret": secret, "tlsConfig": ca,
            "relabelConfigs": [relabel]}]})
    };
    let vm_exposed: &[(&str, &str)] = &[
        ("M4", "spec.endpoints[0].tlsConfig"),
        ("M5", "spec.endpoints[0].bearerTokenSecret"),
    ];
    let probe = |targets: Value| {
        json!({"prober": {"url": "blackbox-exporter.monitoring.svc:19115", "scheme": "https"}, "module": "http_2xx",
            "tlsConfig": ca, "basicAuth": {"username": secret, "password": secret}, "targets": targets})
    };
    let probe_exposed: &[(&str, &str)] = &[("M4", "spec.tlsConfig"), ("M5", "spec.basicAuth")];
    let sc = |labels: Value| {
        json!({"scheme": "HTTPS", "tlsConfig": ca, "authorization": {"credentials": secret},
            "staticConfigs": [{"targets": ["node-exporter.monitoring.svc:9100"]}, {"targets": ["10.0.0.1:9100"], "labels": labels}]})
    };
    let class = |relabel: Value| json!({"scrapeClasses": [{"name": "default", "default": true, "relabelings": [relabel]}]});
    let sm = json!({"endpoints": [{"port": "https", "scheme": "https", "bearerTokenSecret": secret, "tlsConfig": ca}]});
    table(&[
        (
            "VictoriaMetrics targetLabel empty beside target_label",
            "VMServiceScrape",
            vm_ep(json!({"targetLabel": "", "target_label": "__scheme__", "replacement": "http"})),
            no(),
            vm_exposed,
        ),
        (
            "VictoriaMetrics empty action is replace",
            "VMPodScrape",
            json!({"podMetricsEndpoints": [{"port": "https", "scheme": "https", "bearerTokenSecret": secret, "tlsConfig": ca,
                "relabelConfigs": [{"action": "", "target_label": "__scheme__", "replacement": "http"}]}]}),
            no(),
            &[
                ("M4", "spec.podMetricsEndpoints[0].tlsConfig"),
                ("M5", "spec.podMetricsEndpoints[0].bearerTokenSecret"),
            ],
        ),
        (
            "VictoriaMetrics fixed: https",
            "VMServiceScrape",
            vm_ep(json!({"targetLabel": "", "target_label": "__scheme__", "replacement": "https"})),
            no(),
            &[],
        ),
        (
            "target label template",
            "ServiceMonitor",
            json!({"endpoints": [{"port": "https", "scheme": "https", "bearerTokenSecret": secret, "tlsConfig": ca,
                "relabelings": [{"sourceLabels": ["__meta_kubernetes_service_annotation_label"], "regex": "(.+)", "targetLabel": "$1", "replacement": "http"}]}]}),
            no(),
            &[
                ("M4", "spec.endpoints[0].tlsConfig"),
                ("M5", "spec.endpoints[0].bearerTokenSecret"),
            ],
        ),
        (
            "lowercase on __scheme__",
            "ServiceMonitor",
            json!({"endpoints": [{"port": "https", "scheme": "https", "bearerTokenSecret": secret, "tlsConfig": ca,
                "relabelings": [{"action": "lowercase", "sourceLabels": ["__meta_kubernetes_service_annotation_scheme"], "targetLabel": "__scheme__"}]}]}),
            json!({"requireHttps": true}),
            &[
                ("M4", "spec.endpoints[0].tlsConfig"),
                ("M5", "spec.endpoints[0].bearerTokenSecret"),
                ("M6", "spec.endpoints[0].relabelings[0]"),
            ],
        ),
        (
            "Probe static target relabeling",
            "Probe",
            probe(
                json!({"staticConfig": {"static": ["https://example.com"], "relabelingConfigs": [{"targetLabel": "__scheme__", "replacement": "http"}]}}),
            ),
            no(),
            probe_exposed,
        ),
        (
            "Probe ingress target relabeling",
            "Probe",
            probe(
                json!({"ingress": {"selector": {}, "relabelingConfigs": [{"targetLabel": "__scheme__"}]}}),
            ),
            no(),
            probe_exposed,
        ),
        (
            "Probe static label",
            "Probe",
            probe(
                json!({"staticConfig": {"static": ["https://example.com"], "labels": {"__scheme__": "http"}}}),
            ),
            json!({"requireHttps": true}),
            &[
                ("M4", "spec.tlsConfig"),
                ("M5", "spec.basicAuth"),
                ("M6", "spec.targets.staticConfig.labels[__scheme__]"),
            ],
        ),
        (
            "Probe fixed",
            "Probe",
            probe(
                json!({"staticConfig": {"static": ["https://example.com"], "labels": {"env": "prod"}, "relabelingConfigs": [{"targetLabel": "instance", "sourceLabels": ["__param_target"]}]}}),
            ),
            no(),
            &[],
        ),
        (
            "VMProbe static target relabeling",
            "VMProbe",
            json!({"vmProberSpec": {"url": "blackbox:9115", "scheme": "https"}, "tlsConfig": ca, "bearerTokenSecret": secret,
                "targets": {"staticConfig": {"targets": ["https://example.com"], "relabelingConfigs": [{"target_label": "__scheme__", "replacement": "http"}]}}}),
            no(),
            &[("M4", "spec.tlsConfig"), ("M5", "spec.bearerTokenSecret")],
        ),
        (
            "VMProbe static target relabeling, targets.static (VictoriaMetrics operator's name since v0.68)",
            "VMProbe",
            json!({"vmProberSpec": {"url": "blackbox:9115", "scheme": "https"}, "tlsConfig": ca, "bearerTokenSecret": secret,
                "targets": {"static": {"targets": ["https://example.com"], "relabelingConfigs": [{"target_label": "__scheme__", "replacement": "http"}]}}}),
            no(),
            &[("M4", "spec.tlsConfig"), ("M5", "spec.bearerTokenSecret")],
        ),
        (
            "VMProbe static target label, targets.static",
            "VMProbe",
            json!({"vmProberSpec": {"url": "blackbox:9115", "scheme": "https"}, "tlsConfig": ca, "bearerTokenSecret": secret,
                "targets": {"static": {"targets": ["https://example.com"], "labels": {"__scheme__": "http"}}}}),
            no(),
            &[("M4", "spec.tlsConfig"), ("M5", "spec.bearerTokenSecret")],
        ),
        (
            "VMProbe kubernetes targets relabeling",
            "VMProbe",
            json!({"vmProberSpec": {"url": "blackbox:9115", "scheme": "https"}, "tlsConfig": ca, "bearerTokenSecret": secret,
                "targets": {"kubernetes": [{"role": "service"}, {"role": "ingress", "relabelingConfigs": [{"targetLabel": "__scheme__", "replacement": "http"}]}]}}),
            no(),
            &[("M4", "spec.tlsConfig"), ("M5", "spec.bearerTokenSecret")],
        ),
        (
            "VMProbe targets fixed",
            "VMProbe",
            json!({"vmProberSpec": {"url": "blackbox:9115", "scheme": "https"}, "tlsConfig": ca, "bearerTokenSecret": secret,
                "targets": {"static": {"targets": ["https://example.com"], "labels": {"env": "prod"}},
                            "kubernetes": [{"role": "service", "relabelingConfigs": [{"targetLabel": "instance", "sourceLabels": ["__param_target"]}]}]}}),
            no(),
            &[],
        ),
        (
            "ScrapeConfig static label",
            "ScrapeConfig",
            sc(json!({"__scheme__": "http", "env": "prod"})),
            no(),
            &[("M4", "spec.tlsConfig"), ("M5", "spec.authorization")],
        ),
        (
            "ScrapeConfig fixed",
            "ScrapeConfig",
            sc(json!({"env": "prod"})),
            no(),
            &[],
        ),
        (
            "VMStaticScrape endpoint label",
            "VMStaticScrape",
            json!({"targetEndpoints": [{"targets": ["10.0.0.1:9100"], "scheme": "https", "tlsConfig": ca, "bearerTokenSecret": secret, "labels": {"__scheme__": "http"}}]}),
            no(),
            &[
                ("M4", "spec.targetEndpoints[0].tlsConfig"),
                ("M5", "spec.targetEndpoints[0].bearerTokenSecret"),
            ],
        ),
        (
            "VMScrapeConfig static label",
            "VMScrapeConfig",
            json!({"scheme": "https", "tlsConfig": ca, "bearerTokenSecret": secret, "staticConfigs": [{"targets": ["10.0.0.1:9100"], "labels": {"__scheme__": "HTTP"}}]}),
            no(),
            &[("M4", "spec.tlsConfig"), ("M5", "spec.bearerTokenSecret")],
        ),
        (
            "scrape class relabeling",
            "ServiceMonitor",
            sm.clone(),
            class(json!({"targetLabel": "__scheme__", "replacement": "http"})),
            &[
                ("M4", "spec.endpoints[0].tlsConfig"),
                ("M5", "spec.endpoints[0].bearerTokenSecret"),
            ],
        ),
        (
            "scrape class relabeling, requireHttps names the scheme",
            "ServiceMonitor",
            sm.clone(),
            json!({"requireHttps": true, "scrapeClasses": [{"name": "default", "default": true, "relabelings": [{"action": "labelmap", "regex": "__tmp_(.+)"}]}]}),
            &[
                ("M4", "spec.endpoints[0].tlsConfig"),
                ("M5", "spec.endpoints[0].bearerTokenSecret"),
                ("M6", "spec.endpoints[0].scheme"),
            ],
        ),
        (
            "scrape class relabeling fixed",
            "ServiceMonitor",
            sm.clone(),
            class(json!({"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"})),
            &[],
        ),
    ]);
    let r = run(
        "ServiceMonitor",
        sm,
        &class(json!({"targetLabel": "__scheme__", "replacement": "http"})),
    );
    assert!(
        r.violations[0].detail.contains("the relabeling at scrapeClasses[default].relabelings[0] (from scrape class default) rewrites __scheme__ to http")
            && r.violations[0].detail.contains("make the scrape class's relabeling set https"),
        "{}",
        r.violations[0]
    );
    let r = run("ScrapeConfig", sc(json!({"__scheme__": "http"})), &no());
    assert!(
        r.violations[0].detail.contains(
            "the static label at spec.staticConfigs[1].labels[__scheme__] sets __scheme__ to http"
        ) && r.violations[0]
            .detail
            .contains("set the static label __scheme__ to https"),
        "{}",
        r.violations[0]
    );
    // The class's relabelings are validated with the settings.
    let e = crate::review::validate_settings(
        &json!({"scrapeClasses": [{"name": "a", "relabelings": [{"targetLabel": 1}]}]}),
    )
    .unwrap_err();
    assert!(
        e.contains("scrapeClasses[0].relabelings[0].targetLabel"),
        "{e}"
    );
    let e = crate::review::validate_settings(
        &json!({"scrapeClasses": [{"name": "a", "relabelings": {}}]}),
    )
    .unwrap_err();
    assert!(e.contains("scrapeClasses[0].relabelings"), "{e}");
}

/// Service-discovery configs' own client settings (SPEC 10): M1 and M3 on
/// their TLS, M5 on credentials over an http server URL or to an
/// unverified server, OAuth2 as an endpoint's, M10 on VictoriaMetrics' files.
#[test]
fn sd_client_settings() {
    let secret = json!({"name": "sd", "key": "password"});
    let ca = json!({"ca": {"secret": {"name": "sd-ca", "key": "ca.crt"}}});
    let sc = |sd: Value| {
        let mut spec = json!({"scheme": "HTTPS", "tlsConfig": {"ca": {"secret": {"name": "a", "key": "ca.crt"}}, "serverName": "a.b.svc"}});
        for (k, v) in sd.as_object().unwrap() {
            spec[k] = v.clone();
        }
        spec
    };
    let deny = json!({"denyFileReferences": true});
    table(&[
        (
            "basicAuth over an http SD URL",
            "ScrapeConfig",
            sc(
                json!({"httpSDConfigs": [{"url": "http://sd.example.com/targets", "basicAuth": {"username": secret, "password": secret}}]}),
            ),
            no(),
            &[("M5", "spec.httpSDConfigs[0].basicAuth")],
        ),
        (
            "basicAuth over an https SD URL",
            "ScrapeConfig",
            sc(
                json!({"httpSDConfigs": [{"url": "https://sd.example.com/targets", "basicAuth": {"username": secret, "password": secret}, "tlsConfig": ca}]}),
            ),
            no(),
            &[],
        ),
        (
            "authorization to an unverified SD server",
            "ScrapeConfig",
            sc(
                json!({"httpSDConfigs": [{"url": "https://sd.example.com/targets", "authorization": {"credentials": secret}, "tlsConfig": {"insecureSkipVerify": true}}]}),
            ),
            no(),
            &[
                ("M1", "spec.httpSDConfigs[0].tlsConfig.insecureSkipVerify"),
                ("M5", "spec.httpSDConfigs[0].authorization"),
            ],
        ),
        (
            "SD OAuth2 token URL over http",
            "ScrapeConfig",
            sc(
                json!({"httpSDConfigs": [{"url": "https://sd.example.com/targets", "oauth2": {"clientId": {"secret": secret}, "clientSecret": secret, "tokenUrl": "http://idp.example.com/token"}}]}),
            ),
            no(),
            &[("M5", "spec.httpSDConfigs[0].oauth2.tokenUrl")],
        ),
        (
            "SD OAuth2 TLS skips verification",
            "ScrapeConfig",
            sc(
                json!({"httpSDConfigs": [{"url": "https://sd.example.com/targets", "oauth2": {"clientId": {"secret": secret}, "clientSecret": secret, "tokenUrl": "https://idp.example.com/token", "tlsConfig": {"insecureSkipVerify": true}}}]}),
            ),
            no(),
            &[
                (
                    "M1",
                    "spec.httpSDConfigs[0].oauth2.tlsConfig.insecureSkipVerify",
                ),
                (
                    "M5",
                    "spec.httpSDConfigs[0].oauth2.tlsConfig.insecureSkipVerify",
                ),
            ],
        ),
        (
            "Consul token without a scheme (http)",
            "ScrapeConfig",
            sc(
                json!({"consulSDConfigs": [{"server": "consul.service.consul:8500", "tokenRef": {"name": "consul", "key": "token"}}]}),
            ),
            no(),
            &[("M5", "spec.consulSDConfigs[0].tokenRef")],
        ),
        (
            "Consul token over https",
            "ScrapeConfig",
            sc(
                json!({"consulSDConfigs": [{"server": "consul.service.consul:8501", "scheme": "https", "tokenRef": {"name": "consul", "key": "token"}, "tlsConfig": ca}]}),
            ),
            no(),
            &[],
        ),
        (
            "Kubernetes API server over http",
            "ScrapeConfig",
            sc(
                json!({"kubernetesSDConfigs": [{"role": "Pod", "apiServer": "http://remote-cluster:8080", "authorization": {"credentials": secret}}]}),
            ),
            no(),
            &[("M5", "spec.kubernetesSDConfigs[0].authorization")],
        ),
        (
            "in-cluster Kubernetes SD sends nothing",
            "ScrapeConfig",
            sc(json!({"kubernetesSDConfigs": [{"role": "Pod"}]})),
            no(),
            &[],
        ),
        (
            "VMScrapeConfig SD files",
            "VMScrapeConfig",
            json!({"scheme": "https", "httpSDConfigs": [{"url": "https://sd.example.com/targets",
                "basicAuth": {"username": {"name": "sd", "key": "user"}, "password_file": "/etc/sd/password"},
                "tlsConfig": {"caFile": "/etc/sd/ca.crt"}}]}),
            deny.clone(),
            &[
                ("M10", "spec.httpSDConfigs[0].basicAuth.password_file"),
                ("M10", "spec.httpSDConfigs[0].tlsConfig.caFile"),
            ],
        ),
        (
            "VMScrapeConfig SD basicAuth over http",
            "VMScrapeConfig",
            json!({"scheme": "https", "httpSDConfigs": [{"url": "http://sd.example.com/targets",
                "basicAuth": {"username": {"name": "sd", "key": "user"}, "password": {"name": "sd", "key": "password"}}}]}),
            no(),
            &[("M5", "spec.httpSDConfigs[0].basicAuth")],
        ),
        (
            "VMScrapeConfig SD fixed",
            "VMScrapeConfig",
            json!({"scheme": "https", "httpSDConfigs": [{"url": "https://sd.example.com/targets",
                "basicAuth": {"username": {"name": "sd", "key": "user"}, "password": {"name": "sd", "key": "password"}},
                "tlsConfig": {"ca": {"secret": {"name": "sd-ca", "key": "ca.crt"}}}}]}),
            deny.clone(),
            &[],
        ),
    ]);
    let r = run(
        "ScrapeConfig",
        sc(
            json!({"httpSDConfigs": [{"url": "http://sd.example.com/targets", "basicAuth": {"username": secret, "password": secret}}]}),
        ),
        &no(),
    );
    assert!(
        r.violations[0].detail.contains("basicAuth sends the service-discovery credentials in plaintext (url is http://sd.example.com/targets)"),
        "{}",
        r.violations[0]
    );
}

/// M10 over OAuth2: VictoriaMetrics' `client_secret_file` and the files of
/// its OAuth2 `tls_config`; prometheus-operator's OAuth2 has no files.
#[test]
fn m10_oauth2_files() {
    let deny = json!({"denyFileReferences": true});
    let vm = |oauth2: Value| json!({"endpoints": [{"port": "https", "scheme": "https", "tlsConfig": {"ca": {"secret": {"name": "a", "key": "ca.crt"}}, "serverName": "a.b.svc"}, "oauth2": oauth2}]});
    table(&[
        (
            "client_secret_file and tls_config files",
            "VMServiceScrape",
            vm(
                json!({"client_id": {"secret": {"name": "c", "key": "id"}}, "client_secret_file": "/etc/oauth/secret", "token_url": "https://idp/token",
                "tls_config": {"caFile": "/etc/oauth/ca.crt", "certFile": "/etc/oauth/tls.crt", "keyFile": "/etc/oauth/tls.key"}}),
            ),
            deny.clone(),
            &[
                ("M10", "spec.endpoints[0].oauth2.client_secret_file"),
                ("M10", "spec.endpoints[0].oauth2.tls_config.caFile"),
                ("M10", "spec.endpoints[0].oauth2.tls_config.certFile"),
                ("M10", "spec.endpoints[0].oauth2.tls_config.keyFile"),
            ],
        ),
        (
            "from Secrets",
            "VMServiceScrape",
            vm(
                json!({"client_id": {"secret": {"name": "c", "key": "id"}}, "client_secret": {"name": "c", "key": "secret"}, "token_url": "https://idp/token",
                "tls_config": {"ca": {"secret": {"name": "idp-ca", "key": "ca.crt"}}}}),
            ),
            deny.clone(),
            &[],
        ),
        (
            "prometheus-operator OAuth2 has no file fields",
            "ServiceMonitor",
            vm(
                json!({"clientId": {"secret": {"name": "c", "key": "id"}}, "clientSecretFile": "/x", "tokenUrl": "https://idp/token", "tlsConfig": {"caFile": "/ca"}}),
            ),
            deny.clone(),
            &[],
        ),
    ]);
    let r = run(
        "VMServiceScrape",
        vm(json!({"client_secret_file": "/etc/oauth/secret", "token_url": "https://idp/token"})),
        &deny,
    );
    assert!(
        r.violations[0]
            .detail
            .contains("use oauth2.client_secret from a Secret instead"),
        "{}",
        r.violations[0]
    );
}

/// GKE ClusterNodeMonitoring (SPEC 10): cluster-scoped node scrapes whose
/// `tls` has only `insecureSkipVerify`; prometheus-engine adds the
/// collector's service account token and CA to every scrape, so an http or
/// unverified scrape sends that token (M5), a verified one needs no CA (M8)
/// and no serverName advice is given.
#[test]
fn cluster_node_monitoring() {
    let cnm = |ep: Value| json!({"selector": {"matchLabels": {}}, "endpoints": [ep]});
    let ext = json!({"certManagement": "external"});
    let run_cnm = |spec: Value, s: &Value| {
        run_gvk(
            "monitoring.googleapis.com",
            "v1",
            "ClusterNodeMonitoring",
            spec,
            s,
        )
    };
    type CnmCase<'a> = (&'a str, Value, Value, Vec<(&'a str, &'a str)>);
    let cases: Vec<CnmCase> = vec![
        (
            "GKE docs: cAdvisor without verification",
            cnm(
                json!({"path": "/metrics/cadvisor", "scheme": "https", "interval": "30s", "tls": {"insecureSkipVerify": true}}),
            ),
            no(),
            vec![
                ("M1", "spec.endpoints[0].tls.insecureSkipVerify"),
                ("M5", "spec.endpoints[0].tls.insecureSkipVerify"),
            ],
        ),
        (
            "no scheme: http with the token",
            cnm(json!({"path": "/metrics", "interval": "30s"})),
            no(),
            vec![("M5", "spec.endpoints[0].scheme")],
        ),
        (
            "http requested",
            cnm(json!({"path": "/metrics", "scheme": "http"})),
            json!({"requireHttps": true}),
            vec![
                ("M5", "spec.endpoints[0].scheme"),
                ("M6", "spec.endpoints[0].scheme"),
            ],
        ),
        (
            "verified https: no M8, no serverName advice",
            cnm(json!({"path": "/metrics/cadvisor", "scheme": "https", "interval": "30s"})),
            ext.clone(),
            vec![],
        ),
        (
            "fields ClusterNodeTLS does not have are not read",
            cnm(
                json!({"scheme": "https", "tls": {"serverName": "SERVICE_NAME", "ca": {"secret": 1}, "minVersion": "TLS10"}}),
            ),
            ext.clone(),
            vec![],
        ),
    ];
    for (name, spec, s, expected) in cases {
        let r = run_cnm(spec.clone(), &s);
        assert_eq!(found(&r), pairs(&expected), "case {name}: {spec}");
        assert!(r.warnings.is_empty(), "case {name}: {:?}", r.warnings);
    }
    let r = run_cnm(
        cnm(
            json!({"path": "/metrics/cadvisor", "scheme": "https", "tls": {"insecureSkipVerify": true}}),
        ),
        &no(),
    );
    let text = r
        .violations
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    for want in ["service account token", "cluster CA", "exception"] {
        assert!(text.contains(want), "lacks {want:?}: {text}");
    }
    for never in ["metrics-server-cert", "serverName: <service>", ".svc"] {
        assert!(!text.contains(never), "has {never:?}: {text}");
    }
    // M6 over http with no insecureSkipVerify: nothing to remove.
    let r = run_cnm(
        cnm(json!({"path": "/metrics", "scheme": "http"})),
        &json!({"requireHttps": true}),
    );
    let m6 = r.violations.iter().find(|v| v.rule == Rule::M6).unwrap();
    assert!(
        m6.detail.contains("the collector verifies the kubelet")
            && !m6.detail.contains("insecureSkipVerify"),
        "{m6}"
    );
}

/// Advice names only fields the kind has: M8 offers a `caFile` where the
/// TLS config has one (ServiceMonitor's `TLSConfig`), not for
/// `SafeTLSConfig` (PodMonitor, Probe, ScrapeConfig) or GKE's `TLS`; an
/// empty value written into `__scheme__` is shown as `""`.
#[test]
fn advice_names_only_fields_the_kind_has() {
    let ext = json!({"certManagement": "external"});
    let m8 = |kind: &str, spec: Value| {
        let r = run(kind, spec, &ext);
        let v = r.violations.iter().find(|v| v.rule == Rule::M8).unwrap();
        v.detail.contains("caFile")
    };
    let ep = json!({"port": "https", "scheme": "https"});
    assert!(m8("ServiceMonitor", json!({"endpoints": [ep.clone()]})));
    assert!(!m8(
        "PodMonitor",
        json!({"podMetricsEndpoints": [ep.clone()]})
    ));
    assert!(!m8(
        "Probe",
        json!({"prober": {"url": "blackbox:9115", "scheme": "https"}, "targets": {"staticConfig": {"static": ["x"]}}})
    ));
    let r = run(
        "ServiceMonitor",
        json!({"endpoints": [{"port": "https", "scheme": "https", "bearerTokenSecret": {"name": "t", "key": "k"},
               "relabelings": [{"targetLabel": "__scheme__", "replacement": ""}]}]}),
        &no(),
    );
    let text: Vec<String> = r.violations.iter().map(|v| v.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("rewrites __scheme__ to \"\" (empty)")),
        "{text:?}"
    );
}

/// M9: kustomize placeholders in serverName.
#[test]
fn m9_placeholders() {
    let sm = |name: &str| json!({"endpoints": [{"scheme": "https", "tlsConfig": {"ca": {"secret": {"name": "metrics-server-cert", "key": "ca.crt"}}, "serverName": name}}]});
    let m9: &[(&str, &str)] = &[("M9", "spec.endpoints[0].tlsConfig.serverName")];
    table(&[
        (
            "Kubebuilder's patch without replacements",
            "ServiceMonitor",
            sm("SERVICE_NAME.SERVICE_NAMESPACE.svc"),
            no(),
            m9,
        ),
        (
            "old-style vars",
            "ServiceMonitor",
            sm("$(SERVICE_NAME).$(SERVICE_NAMESPACE).svc"),
            no(),
            m9,
        ),
        (
            "one placeholder",
            "ServiceMonitor",
            sm("controller-manager-metrics-service.SERVICE_NAMESPACE.svc"),
            no(),
            m9,
        ),
        (
            "replaced",
            "ServiceMonitor",
            sm("controller-manager-metrics-service.project-system.svc"),
            no(),
            &[],
        ),
        (
            "GKE tls.serverName",
            "PodMonitoring",
            json!({"endpoints": [{"port": 8443, "scheme": "https", "tls": {"serverName": "SERVICE_NAME.ns.svc"}}]}),
            no(),
            &[("M9", "spec.endpoints[0].tls.serverName")],
        ),
        // SPEC 16: envsubst forms (JobSet's monitor_tls_patch.yaml, clusterctl).
        (
            "envsubst ${NAMESPACE}",
            "ServiceMonitor",
            sm("jobset-controller-manager-metrics-service.${NAMESPACE}.svc"),
            no(),
            m9,
        ),
        (
            "envsubst ${VAR:=default} with a dotted default",
            "ServiceMonitor",
            sm("${METRICS_SERVER_NAME:=metrics.capi-system.svc}"),
            no(),
            m9,
        ),
        (
            "envsubst ${VAR:-default}",
            "ServiceMonitor",
            sm("capi-controller-manager-metrics-service.${NAMESPACE:-capi-system}.svc"),
            no(),
            m9,
        ),
        (
            "envsubst rendered",
            "ServiceMonitor",
            sm("jobset-controller-manager-metrics-service.jobset-system.svc"),
            no(),
            &[],
        ),
    ]);
    let r = run(
        "ServiceMonitor",
        sm("SERVICE_NAME.SERVICE_NAMESPACE.svc"),
        &no(),
    );
    assert!(
        r.violations[0]
            .detail
            .contains("placeholders SERVICE_NAME, SERVICE_NAMESPACE"),
        "{}",
        r.violations[0]
    );
}

/// M9 (SPEC 16): a placeholder in the name of a Secret an endpoint reads.
#[test]
fn m9_placeholder_secret_names() {
    let tls = |ca: &str, cert: &str, key: &str| {
        json!({"endpoints": [{"scheme": "https", "tlsConfig": {
        "ca": {"secret": {"name": ca, "key": "ca.crt"}},
        "cert": {"secret": {"name": cert, "key": "tls.crt"}},
        "keySecret": {"name": key, "key": "tls.key"},
        "serverName": "metrics.apps.svc"}}]})
    };
    let creds = |name: &str| {
        json!({"endpoints": [{"scheme": "https",
        "tlsConfig": {"ca": {"secret": {"name": "metrics-server-cert", "key": "ca.crt"}}, "serverName": "metrics.apps.svc"},
        "authorization": {"type": "Bearer", "credentials": {"name": name, "key": "token"}},
        "basicAuth": {"username": {"name": name, "key": "user"}, "password": {"name": "ok", "key": "password"}},
        "bearerTokenSecret": {"name": name, "key": "token"},
        "oauth2": {"clientId": {"secret": {"name": name, "key": "id"}}, "clientSecret": {"name": name, "key": "secret"},
                   "tokenUrl": "https://auth.example.com/token",
                   "tlsConfig": {"ca": {"secret": {"name": name, "key": "ca.crt"}}}}}]})
    };
    let e = "spec.endpoints[0]";
    table(&[
        (
            "kustomize, $(NAME) and envsubst in ca, cert and keySecret",
            "ServiceMonitor",
            tls(
                "SECRET_NAME",
                "$(CERT_SECRET)",
                "${CLUSTER_NAME}-metrics-key",
            ),
            no(),
            &[
                ("M9", "spec.endpoints[0].tlsConfig.ca.secret.name"),
                ("M9", "spec.endpoints[0].tlsConfig.cert.secret.name"),
                ("M9", "spec.endpoints[0].tlsConfig.keySecret.name"),
            ],
        ),
        (
            "real Secret names",
            "ServiceMonitor",
            tls("metrics-server-cert", "metrics-client", "metrics-client"),
            no(),
            &[],
        ),
        (
            "credentials and OAuth2 Secrets",
            "ServiceMonitor",
            creds("${CREDENTIALS_SECRET:=metrics-auth}"),
            no(),
            &[
                ("M9", "spec.endpoints[0].bearerTokenSecret.name"),
                ("M9", "spec.endpoints[0].authorization.credentials.name"),
                ("M9", "spec.endpoints[0].basicAuth.username.name"),
                ("M9", "spec.endpoints[0].oauth2.clientId.secret.name"),
                ("M9", "spec.endpoints[0].oauth2.clientSecret.name"),
                ("M9", "spec.endpoints[0].oauth2.tlsConfig.ca.secret.name"),
            ],
        ),
        (
            "credentials from real Secrets",
            "ServiceMonitor",
            creds("metrics-auth"),
            no(),
            &[],
        ),
    ]);
    let r = run("ServiceMonitor", tls("SECRET_NAME", "a", "a"), &no());
    let v = &r.violations[0];
    assert_eq!(v.path.to_string(), format!("{e}.tlsConfig.ca.secret.name"));
    assert!(
        v.detail
            .contains("Secret name \"SECRET_NAME\" still holds the placeholder SECRET_NAME")
            && v.detail.contains("cannot exist"),
        "{v}"
    );
}

/// M10: file references, only with denyFileReferences and only where the
/// kind's CRD has the field.
#[test]
fn m10_file_references() {
    let deny = json!({"denyFileReferences": true});
    let sm = json!({"endpoints": [{"scheme": "https", "bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
        "tlsConfig": {"caFile": "/etc/prom-certs/root-cert.pem", "certFile": "/etc/prom-certs/cert-chain.pem", "keyFile": "/etc/prom-certs/key.pem", "insecureSkipVerify": false}}]});
    let vm = json!({"endpoints": [{"port": "http", "scheme": "https", "tlsConfig": {"caFile": "/ca"},
        "authorization": {"credentialsFile": "/token"}, "basicAuth": {"username": {"name": "u", "key": "u"}, "password_file": "/pw"}}]});
    table(&[
        ("off by default", "ServiceMonitor", sm.clone(), no(), &[]),
        (
            "ServiceMonitor",
            "ServiceMonitor",
            sm.clone(),
            deny.clone(),
            &[
                ("M10", "spec.endpoints[0].bearerTokenFile"),
                ("M10", "spec.endpoints[0].tlsConfig.caFile"),
                ("M10", "spec.endpoints[0].tlsConfig.certFile"),
                ("M10", "spec.endpoints[0].tlsConfig.keyFile"),
            ],
        ),
        (
            "PodMonitor has no file fields",
            "PodMonitor",
            json!({"podMetricsEndpoints": [{"scheme": "https", "bearerTokenFile": "/t", "tlsConfig": {"caFile": "/ca"}}]}),
            deny.clone(),
            &[],
        ),
        (
            "VictoriaMetrics",
            "VMServiceScrape",
            vm.clone(),
            deny.clone(),
            &[
                ("M10", "spec.endpoints[0].authorization.credentialsFile"),
                ("M10", "spec.endpoints[0].basicAuth.password_file"),
                ("M10", "spec.endpoints[0].tlsConfig.caFile"),
            ],
        ),
        (
            "files from a scrape class are not M10's concern",
            "ServiceMonitor",
            json!({"scrapeClass": "c", "endpoints": [{"scheme": "https", "tlsConfig": {}}]}),
            json!({"denyFileReferences": true, "scrapeClasses": [{"name": "c", "tlsConfig": {"caFile": "/ca"}}]}),
            &[],
        ),
    ]);
    let r = run("ServiceMonitor", sm, &deny);
    assert!(
        r.violations[0]
            .detail
            .contains("use authorization with credentials from a Secret"),
        "{}",
        r.violations[0]
    );
}

/// Advice that fits the target (SPEC 10): no metrics-server-cert and no
/// `<svc>.<ns>.svc` for the kubelet, control-plane components or Istio.
#[test]
fn advice_fits_the_target() {
    let ext = json!({"certManagement": "external"});
    let detail = |kind: &str, spec: Value, ns: &str| {
        let k = by_kind(kind);
        let req = KubernetesAdmissionRequest {
            uid: "t".into(),
            kind: GroupVersionKind {
                group: k.groups[0].into(),
                version: k.version.into(),
                kind: kind.into(),
            },
            operation: "CREATE".into(),
            namespace: ns.into(),
            object: json!({"metadata": {"name": "kubelet", "namespace": ns}, "spec": spec}),
            ..Default::default()
        };
        let r = review(&mut req.clone(), &settings(&ext)).report;
        r.violations
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let system = [
        detail(
            "ServiceMonitor",
            json!({"endpoints": [{"port": "https-metrics", "scheme": "https"}]}),
            "monitoring",
        ),
        detail(
            "ServiceMonitor",
            json!({"endpoints": [{"port": "metrics", "scheme": "https"}]}),
            "kube-system",
        ),
        detail(
            "ServiceMonitor",
            json!({"namespaceSelector": {"matchNames": ["kube-system"]}, "endpoints": [{"port": "metrics", "scheme": "https"}]}),
            "monitoring",
        ),
        detail(
            "VMNodeScrape",
            json!({"port": "10250", "scheme": "https"}),
            "monitoring",
        ),
        // SPEC 16: etcd ports and OpenShift's control-plane namespaces.
        detail(
            "ServiceMonitor",
            json!({"endpoints": [{"port": "etcd-metrics", "scheme": "https"}]}),
            "monitoring",
        ),
        detail(
            "ServiceMonitor",
            json!({"endpoints": [{"port": "metrics", "scheme": "https"}]}),
            "openshift-etcd",
        ),
        detail(
            "ServiceMonitor",
            json!({"namespaceSelector": {"matchNames": ["openshift-kube-apiserver"]}, "endpoints": [{"port": "https", "scheme": "https"}]}),
            "monitoring",
        ),
        detail(
            "ServiceMonitor",
            json!({"endpoints": [{"port": "https", "scheme": "https"}]}),
            "openshift-kube-controller-manager",
        ),
        detail(
            "ServiceMonitor",
            json!({"endpoints": [{"port": "https", "scheme": "https"}]}),
            "openshift-kube-scheduler",
        ),
    ];
    for d in &system {
        assert!(d.contains("[M8]"), "{d}");
        assert!(!d.contains("metrics-server-cert"), "{d}");
        assert!(!d.contains(".svc"), "{d}");
        assert!(!d.contains("serverName"), "{d}");
        assert!(d.contains("kube-root-ca.crt"), "{d}");
    }
    // Istio: recognised by its /etc/prom-certs files.
    let istio = detail(
        "ServiceMonitor",
        json!({"endpoints": [{"port": "http-envoy-prom", "scheme": "https", "tlsConfig": {"caFile": "/etc/prom-certs/root-cert.pem", "certFile": "/etc/prom-certs/cert-chain.pem", "keyFile": "/etc/prom-certs/key.pem", "insecureSkipVerify": true}}]}),
        "istio-system",
    );
    assert!(
        istio.contains("[M1]") && !istio.contains("metrics-server-cert") && !istio.contains(".svc"),
        "{istio}"
    );
    // An ordinary workload still gets the metrics certificate advice.
    let app = detail(
        "ServiceMonitor",
        json!({"endpoints": [{"port": "metrics", "scheme": "https"}]}),
        "apps",
    );
    assert!(
        app.contains("metrics-server-cert")
            && app.contains("set serverName to a DNS name the target's certificate carries"),
        "{app}"
    );
}

/// What cross-object rules read from the resolved view.
#[test]
fn resolved_view_exposes_secrets() {
    use super::endpoint::read;
    use super::tls::ClassRef;
    use crate::report::FieldPath;
    use crate::view::Obj;
    let spec = json!({"endpoints": [{"scheme": "https", "tls": {"serverName": "a.b.svc", "ca": {"secret": {"name": "ca-s", "key": "ca.crt"}},
        "cert": {"secret": {"name": "client", "key": "tls.crt"}}, "key": {"secret": {"name": "client", "key": "tls.key"}}}}]});
    let mut r = Report::new();
    let o = Obj::at(&spec, FieldPath::root().child("spec"), &mut r).unwrap();
    let eps = o.list("endpoints", &mut r).unwrap().objs(&mut r);
    let v = read(
        &eps[0],
        &o,
        by_kind("PodMonitoring"),
        &ClassRef::None,
        &mut r,
    );
    assert_eq!(v.ca_secret(), Some("ca-s"));
    assert_eq!(v.server_name(), Some("a.b.svc"));
    let secrets: Vec<(String, &str)> = v
        .secrets()
        .into_iter()
        .map(|s| (s.path.as_str().to_string(), s.name))
        .collect();
    assert_eq!(
        secrets,
        vec![
            ("spec.endpoints[0].tls.ca.secret.name".to_string(), "ca-s"),
            (
                "spec.endpoints[0].tls.cert.secret.name".to_string(),
                "client"
            ),
            (
                "spec.endpoints[0].tls.key.secret.name".to_string(),
                "client"
            ),
        ]
    );
    assert_eq!(v.path.as_str(), "spec.endpoints[0]");
    assert!(r.is_clean());
}

/// Fixtures shaped on real manifests, through the `validate` entry point:
/// the expected verdict, texts the message must hold, and texts it must not.
#[test]
fn real_manifests() {
    use crate::testing::fixture;
    let ext = json!({"certManagement": "external"});
    let ocp_class = json!({"certManagement": "external", "scrapeClasses": [{"name": "tls-client-certificate-auth", "tlsConfig": {
        "caFile": "/etc/prometheus/configmaps/serving-certs-ca-bundle/service-ca.crt",
        "certFile": "/etc/prometheus/secrets/metrics-client-certs/tls.crt",
        "keyFile": "/etc/prometheus/secrets/metrics-client-certs/tls.key"}}]});
    type Fixture<'a> = (&'a str, Value, bool, Vec<&'a str>, Vec<&'a str>);
    let cases: Vec<Fixture> = vec![
        ("kube-prometheus-kubelet.json", no(), false,
            vec!["spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden", "spec.endpoints[2].bearerTokenFile: Forbidden", "kube-root-ca.crt", "[M1]", "[M5]"],
            vec!["metrics-server-cert", "kubelet.kube-system.svc"]),
        ("kube-prometheus-kubelet.json", json!({"denyFileReferences": true}), false,
            vec!["spec.endpoints[1].bearerTokenFile: Forbidden: bearerTokenFile reads /var/run/secrets/kubernetes.io/serviceaccount/token", "[M10]"], vec![]),
        ("kube-prometheus-kubelet-fixed.json", json!({"certManagement": "external", "denyFileReferences": true}), true, vec![], vec![]),
        ("openshift-kube-state-metrics-scrape-class.json", ocp_class.clone(), true, vec![], vec![]),
        ("openshift-kube-state-metrics-scrape-class.json", ext.clone(), true, vec![], vec![]),
        ("openshift-kube-state-metrics-scrape-class.json", ocp_class.clone(), true, vec![], vec![]),
        ("openshift-prometheus-k8s-scrape-classes.json", ext.clone(), true, vec![], vec![]),
        ("prometheus-default-class-insecure.json", no(), false,
            vec!["spec.scrapeClasses[1].tlsConfig.insecureSkipVerify: Forbidden", "[M1]"], vec![]),
        ("probe-blackbox.json", no(), true, vec![], vec![]),
        ("probe-blackbox-insecure.json", no(), false,
            vec!["spec.tlsConfig.insecureSkipVerify: Forbidden", "spec.basicAuth: Forbidden", "[M5]"], vec![]),
        ("scrapeconfig-static.json", ext.clone(), true, vec![], vec![]),
        ("scrapeconfig-http-sd-insecure.json", no(), false,
            vec!["spec.tlsConfig.insecureSkipVerify: Forbidden", "spec.basicAuth: Forbidden", "spec.httpSDConfigs[0].tlsConfig.insecureSkipVerify: Forbidden"], vec![]),
        ("vmservicescrape-example-app.json", no(), true, vec![], vec![]),
        ("vmservicescrape-insecure.json", no(), false,
            vec!["spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden", "spec.endpoints[0].bearerTokenFile: Forbidden", "the relabeling at spec.endpoints[0].relabelConfigs[0] rewrites __scheme__ to http", "spec.endpoints[0].tlsConfig: Invalid value"], vec![]),
        ("gmp-pod-monitoring.json", ext.clone(), true, vec![], vec![]),
        ("gmp-pod-monitoring-insecure.json", no(), false,
            vec!["spec.endpoints[0].tls.insecureSkipVerify: Forbidden", "spec.endpoints[0].authorization: Forbidden", "spec.endpoints[0].tls.serverName: Invalid value", "[M9]"], vec![]),
        ("kubebuilder-tls-patch-placeholders.json", no(), false,
            vec!["spec.endpoints[0].tlsConfig.serverName: Invalid value: \"SERVICE_NAME.SERVICE_NAMESPACE.svc\" still holds the kustomize placeholders SERVICE_NAME, SERVICE_NAMESPACE", "[M9]"], vec![]),
        // JobSet's config/components/prometheus/monitor_tls_patch.yaml (SPEC 16).
        ("jobset-monitor-tls-patch-unrendered.json", no(), false,
            vec!["has 3 problems",
                 "spec.endpoints[0].tlsConfig.serverName: Invalid value: \"$(METRICS_SERVICE_NAME).$(METRICS_SERVICE_NAMESPACE).svc\" still holds the kustomize placeholders METRICS_SERVICE_NAME, METRICS_SERVICE_NAMESPACE",
                 "spec.endpoints[0].tlsConfig.cert.secret.name: Invalid value: the Secret name \"$(CLIENT_CERT_NAME)\" still holds the placeholder CLIENT_CERT_NAME",
                 "spec.endpoints[0].tlsConfig.keySecret.name: Invalid value", "[M9]"], vec![]),
        ("jobset-monitor-tls-patch.json", no(), true, vec![], vec![]),
        // clusterctl's `${VAR:=default}` (SPEC 16).
        ("clusterctl-monitor-envsubst.json", no(), false,
            vec!["spec.endpoints[0].tlsConfig.serverName: Invalid value: \"capi-controller-manager-metrics-service.${CAPI_NAMESPACE:=capi-system}.svc\" still holds the envsubst placeholder CAPI_NAMESPACE",
                 "spec.endpoints[0].authorization.credentials.name: Invalid value: the Secret name", "[M9]"], vec![]),
    ];
    for (file, s, accepted, has, lacks) in cases {
        let resp = fixture(&format!("monitors/{file}"), s.clone(), accepted);
        let msg = resp.message.unwrap_or_default();
        for t in has {
            assert!(
                msg.contains(t),
                "{file} with {s}: message lacks {t:?}: {msg}"
            );
        }
        for t in lacks {
            assert!(
                !msg.contains(t),
                "{file} with {s}: message has {t:?}: {msg}"
            );
        }
        assert!(resp.mutated_object.is_none(), "{file}");
    }
    // The OpenShift monitor with its class undeclared: accepted, with the
    // warning that the class could not be checked, and M8 as a warning.
    let w = fixture(
        "monitors/openshift-kube-state-metrics-scrape-class.json",
        ext,
        true,
    )
    .warnings
    .unwrap_or_default();
    assert!(w[0].starts_with("[settings] spec.scrapeClass: scrape class tls-client-certificate-auth is not described"), "{w:?}");
    assert!(
        w.iter()
            .any(|x| x.starts_with("[M8] spec.endpoints[0].tlsConfig.ca:")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|x| x.starts_with("[M8] spec.endpoints[1].tlsConfig.ca:")),
        "{w:?}"
    );
    let w = fixture(
        "monitors/openshift-kube-state-metrics-scrape-class.json",
        ocp_class,
        true,
    )
    .warnings
    .unwrap_or_default();
    assert!(w.is_empty(), "{w:?}");
}

/// Settings problems are reported under `settings`, naming the rule read.
#[test]
fn scrape_class_settings_use_the_settings_id() {
    let err = crate::review::validate_settings(
        &json!({"scrapeClasses": [{"name": "a", "tlsConfig": {"insecureSkipVerify": true}}]}),
    )
    .unwrap_err();
    assert!(err.contains("(as M1 reads it) [settings]"), "{err}");
}

/// M5 and M8 per kind: credentials over http, and an https endpoint without
/// a CA in external mode, found at each kind's place with its TLS field.
#[test]
fn m5_m8_per_kind() {
    let ext = json!({"certManagement": "external"});
    // (kind, where the endpoint is, where its scheme is, its TLS field, a credential it has)
    type Row<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str, &'a str);
    let rows: [Row; 12] = [
        (
            "ServiceMonitor",
            Some("endpoints"),
            None,
            "tlsConfig",
            "bearerTokenSecret",
        ),
        (
            "PodMonitor",
            Some("podMetricsEndpoints"),
            None,
            "tlsConfig",
            "bearerTokenSecret",
        ),
        (
            "Probe",
            None,
            Some("prober"),
            "tlsConfig",
            "bearerTokenSecret",
        ),
        ("ScrapeConfig", None, None, "tlsConfig", "basicAuth"),
        (
            "VMServiceScrape",
            Some("endpoints"),
            None,
            "tlsConfig",
            "bearerTokenSecret",
        ),
        (
            "VMPodScrape",
            Some("podMetricsEndpoints"),
            None,
            "tlsConfig",
            "bearerTokenSecret",
        ),
        (
            "VMStaticScrape",
            Some("targetEndpoints"),
            None,
            "tlsConfig",
            "bearerTokenSecret",
        ),
        ("VMNodeScrape", None, None, "tlsConfig", "bearerTokenSecret"),
        ("VMScrapeConfig", None, None, "tlsConfig", "basicAuth"),
        (
            "VMProbe",
            None,
            Some("vmProberSpec"),
            "tlsConfig",
            "bearerTokenSecret",
        ),
        ("PodMonitoring", Some("endpoints"), None, "tls", "basicAuth"),
        (
            "ClusterPodMonitoring",
            Some("endpoints"),
            None,
            "tls",
            "basicAuth",
        ),
    ];
    // ClusterNodeMonitoring has no credential field and no CA field: the
    // operator adds both (see `cluster_node_monitoring`).
    assert_eq!(rows.len() + 1, SCRAPE_KINDS.len(), "a row per kind");
    for (kind, list, prober, tls, credential) in rows {
        let make = |scheme: &str, with_credential: bool| {
            let mut ep = json!({"port": "metrics"});
            if with_credential {
                ep[credential] = json!({"name": "s", "key": "k"});
            }
            let mut spec = match list {
                Some(l) => json!({ l: [ep.clone()] }),
                None => ep.clone(),
            };
            let target = match list {
                Some(l) => &mut spec[l][0],
                None => &mut spec,
            };
            match prober {
                Some(p) => {
                    spec[p] = json!({"url": "blackbox:9115", "scheme": scheme});
                }
                None => target["scheme"] = json!(scheme),
            }
            spec
        };
        let at = match list {
            Some(l) => format!("spec.{l}[0]."),
            None => "spec.".to_string(),
        };
        let r = run(kind, make("http", true), &no());
        assert_eq!(
            found(&r),
            vec![("M5".to_string(), format!("{at}{credential}"))],
            "{kind} M5"
        );
        let r = run(kind, make("https", false), &ext);
        assert_eq!(
            found(&r),
            vec![("M8".to_string(), format!("{at}{tls}.ca"))],
            "{kind} M8"
        );
    }
}

/// SPEC 12 for cluster-scoped monitors: a ClusterPodMonitoring has no
/// namespace of its own, so R1 and R2 look the Certificates up in the
/// namespace the Secret reference names (GKE's `namespace`); a reference
/// without one skips them with one warning saying why, and no lookup.
#[test]
fn cluster_scoped_cross_checks() {
    use crate::cluster::fake::FakeCluster;
    use crate::cluster::LookupKind;
    use crate::review::review_with;
    let load_request = |name: &str| -> KubernetesAdmissionRequest {
        let path = format!("{}/test_data/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let kueue = || {
        FakeCluster::default().with(
            LookupKind::Certificate,
            "kueue-system",
            vec![json!({"metadata": {"name": "kueue-metrics-cert"},
                "spec": {"secretName": "kueue-metrics-server-cert", "dnsNames": [
                    "kueue-controller-manager-metrics-service.kueue-system.svc"]}})],
        )
    };
    let s = settings(&json!({"crossObjectChecks": true}));
    let run_with = |file: &str, cluster: &FakeCluster| {
        let mut req = load_request(&format!("cross-object/{file}"));
        review_with(&mut req, &s, Some(cluster)).report
    };
    // The namespace named: looked up there once, R1 checked.
    let c = kueue();
    let r = run_with("gmp-cluster-pod-monitoring-kueue-secret-namespace.json", &c);
    assert!(r.is_clean() && r.warnings.is_empty(), "{r:?}");
    assert_eq!(
        *c.calls.borrow(),
        vec![(LookupKind::Certificate, "kueue-system".to_string())]
    );
    let c = kueue();
    let r = run_with(
        "gmp-cluster-pod-monitoring-kueue-servername-mismatch.json",
        &c,
    );
    assert_eq!(
        found(&r),
        pairs(&[("R1", "spec.endpoints[0].tls.serverName")])
    );
    assert!(
        r.violations[0]
            .detail
            .contains("Certificate kueue-system/kueue-metrics-cert"),
        "{}",
        r.violations[0]
    );
    // No namespace: one warning, no lookup.
    let c = kueue();
    let r = run_with(
        "gmp-cluster-pod-monitoring-kueue-no-secret-namespace.json",
        &c,
    );
    assert!(r.is_clean(), "{r:?}");
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        crate::testing::warns(&r.warnings[0], Rule::R2, "spec.endpoints[0].tls.ca.secret.namespace", "cross-object checks (R1, R2) skipped for Secret \"kueue-metrics-server-cert\": ClusterPodMonitoring is cluster-scoped"),
        "{:?}",
        r.warnings[0]
    );
    assert!(c.calls.borrow().is_empty());
    // Without crossObjectChecks: no warning at all.
    let mut req =
        load_request("cross-object/gmp-cluster-pod-monitoring-kueue-no-secret-namespace.json");
    let r = review_with(
        &mut req,
        &settings(&json!({"crossObjectChecks": false})),
        Some(&kueue()),
    )
    .report;
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    // Secrets in more namespaces than are looked up: the rest are skipped
    // with the one warning.
    let ep = |ns: &str| {
        json!({"port": "https", "scheme": "https", "tls": {"serverName": "a.b.svc",
            "ca": {"secret": {"name": "ca", "key": "ca.crt", "namespace": ns}}}})
    };
    let spec = json!({"endpoints": (0..6).map(|i| ep(&format!("ns{i}"))).collect::<Vec<_>>()});
    for (kind, ns) in [("ClusterPodMonitoring", ""), ("PodMonitoring", "apps")] {
        let mut req = KubernetesAdmissionRequest {
            uid: "t".into(),
            kind: GroupVersionKind {
                group: "monitoring.googleapis.com".into(),
                version: "v1".into(),
                kind: kind.into(),
            },
            operation: "CREATE".into(),
            namespace: ns.into(),
            object: json!({"metadata": {"name": "many", "namespace": ns}, "spec": spec}),
            ..Default::default()
        };
        let c = FakeCluster::default();
        let r = review_with(&mut req, &s, Some(&c)).report;
        assert_eq!(c.calls.borrow().len(), 4, "{kind}");
        let skipped: Vec<_> = r
            .warnings
            .iter()
            .filter(|w| w.detail.contains("skipped"))
            .collect();
        assert_eq!(skipped.len(), 1, "{kind}: {:?}", r.warnings);
        assert!(
            crate::testing::warns(
                skipped[0],
                Rule::R2,
                "spec.endpoints[4].tls.ca.secret.name",
                ""
            ),
            "{kind}: {:?}",
            skipped[0]
        );
    }
}

/// The fixtures of this section's readings, shaped on real manifests: each
/// rejected one with its paths and rule ids, and its fixed form accepted.
#[test]
fn real_manifests_scheme_writers_and_clients() {
    use crate::testing::fixture;
    let deny = json!({"denyFileReferences": true});
    let ext = json!({"certManagement": "external"});
    type Fixture<'a> = (&'a str, Value, bool, Vec<&'a str>);
    let cases: Vec<Fixture> = vec![
        ("scheme-relabel-victoriametrics-target-label-spellings.json", no(), false, vec![
            "spec.endpoints[0].tlsConfig: Invalid value: the TLS config is set but the relabeling at spec.endpoints[0].relabelConfigs[0] rewrites __scheme__ to http", "[M4]",
            "spec.endpoints[0].bearerTokenSecret: Forbidden", "[M5]"]),
        ("scheme-relabel-victoriametrics-target-label-spellings-fixed.json", no(), true, vec![]),
        ("scheme-relabel-openshift-kube-state-metrics.json", no(), false, vec![
            "the relabeling at spec.endpoints[0].relabelings[1] may rewrite __scheme__ (action lowercase writes a value taken from other labels)",
            "the relabeling at spec.endpoints[1].relabelings[0] may write __scheme__ (its target label $1 is a template",
            "spec.endpoints[0].bearerTokenFile: Forbidden", "spec.endpoints[1].bearerTokenFile: Forbidden", "[M4]", "[M5]"]),
        ("scheme-relabel-openshift-kube-state-metrics-fixed.json", ext.clone(), true, vec![]),
        ("scrapeconfig-static-scheme-label.json", json!({"requireHttps": true}), false, vec![
            "spec.staticConfigs[0].labels[__scheme__]: Forbidden: requireHttps is set and the endpoint scrapes in plaintext (the static label at spec.staticConfigs[0].labels[__scheme__] sets __scheme__ to http", "[M6]",
            "spec.basicAuth: Forbidden", "[M5]", "spec.tlsConfig: Invalid value", "[M4]"]),
        ("scrapeconfig-static-https.json", json!({"requireHttps": true, "certManagement": "external"}), true, vec![]),
        ("probe-blackbox-scheme-relabel.json", no(), false, vec![
            "the relabeling at spec.targets.staticConfig.relabelingConfigs[0] rewrites __scheme__ to http",
            "spec.bearerTokenSecret: Forbidden", "[M5]", "spec.tlsConfig: Invalid value", "[M4]"]),
        ("probe-blackbox-scheme-relabel-fixed.json", ext.clone(), true, vec![]),
        ("vmservicescrape-oauth2-client-secret-file.json", deny.clone(), false, vec![
            "spec.endpoints[0].oauth2.client_secret_file: Forbidden: client_secret_file reads /etc/vmagent/oauth2/client-secret", "use oauth2.client_secret from a Secret instead",
            "spec.endpoints[0].oauth2.tls_config.caFile: Forbidden", "[M10]"]),
        ("vmservicescrape-oauth2-client-secret-file.json", no(), true, vec![]),
        ("vmservicescrape-oauth2-client-secret.json", deny.clone(), true, vec![]),
        ("scrapeconfig-http-sd-basic-auth-over-http.json", no(), false, vec![
            "spec.httpSDConfigs[0].basicAuth: Forbidden: basicAuth sends the service-discovery credentials in plaintext (url is http://my-external-api/discovery)", "[M5]"]),
        ("scrapeconfig-http-sd-basic-auth.json", no(), true, vec![]),
        ("gmp-cluster-node-monitoring-kubelet-insecure.json", no(), false, vec![
            "spec.endpoints[0].tls.insecureSkipVerify: Forbidden: insecureSkipVerify: true turns off verification", "[M1]",
            "service account token", "[M5]", "exception"]),
        ("gmp-cluster-node-monitoring-kubelet.json", ext.clone(), true, vec![]),
    ];
    for (file, s, accepted, has) in cases {
        let resp = fixture(&format!("monitors/{file}"), s.clone(), accepted);
        let msg = resp.message.unwrap_or_default();
        for t in has {
            assert!(
                msg.contains(t),
                "{file} with {s}: message lacks {t:?}: {msg}"
            );
        }
        if accepted {
            assert!(
                resp.warnings.unwrap_or_default().is_empty(),
                "{file} with {s}"
            );
        }
        assert!(resp.mutated_object.is_none(), "{file}");
    }
}
