//! Table tests, one per SPEC rule of section 3. Each case is one endpoint of a
//! ServiceMonitor in `kueue-system`, the settings, and the expected
//! `(rule, path)` of every violation; paths are relative to
//! `spec.endpoints[0]` unless they start with `spec.`.

use super::advice::selector_matches;
use super::*;
use crate::settings::Settings;
use crate::testing::{findings, fixture, report};
use serde_json::{json, Value};

const EP: &str = "spec.endpoints[0].";

fn settings(v: &Value) -> Settings {
    crate::review::validate_settings(v).expect("valid settings")
}

fn monitor(endpoints: Value) -> Value {
    json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "kueue-controller-manager-metrics-monitor", "namespace": "kueue-system"},
        "spec": {
            "endpoints": endpoints,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "kueue"}}
        }
    })
}

/// The report for a monitor with one endpoint.
fn run(endpoint: &Value, s: &Value) -> Report {
    report("ServiceMonitor", monitor(json!([endpoint])), &settings(s)).0
}

/// `(rule, path)` of every violation, paths relative to the endpoint.
fn found(endpoint: &Value, s: &Value) -> Vec<(String, String)> {
    findings(&run(endpoint, s))
        .into_iter()
        .map(|(r, p)| (r, p.strip_prefix(EP).map(str::to_string).unwrap_or(p)))
        .collect()
}

type Case<'a> = (&'a str, Value, Value, &'a [(&'a str, &'a str)]);

fn table(cases: &[Case]) {
    for (name, endpoint, s, expected) in cases {
        let got = found(endpoint, s);
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|(r, p)| (r.to_string(), p.to_string()))
            .collect();
        assert_eq!(got, want, "case {name}: {endpoint}");
    }
}

/// The endpoint of the KEP-4377 verified form, to start cases from.
fn verified() -> Value {
    json!({
        "path": "/metrics", "port": "https", "scheme": "https",
        "bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
        "tlsConfig": {
            "serverName": "kueue-controller-manager-metrics-service.kueue-system.svc",
            "insecureSkipVerify": false,
            "ca": {"secret": {"name": "metrics-server-cert", "key": "ca.crt"}},
            "cert": {"secret": {"name": "metrics-server-cert", "key": "tls.crt"}},
            "keySecret": {"name": "metrics-server-cert", "key": "tls.key"}
        }
    })
}

/// `verified()` with `tlsConfig` fields replaced (`null` removes one).
fn tls(fields: Value) -> Value {
    let mut ep = verified();
    if let (Some(t), Value::Object(f)) = (ep["tlsConfig"].as_object_mut(), fields) {
        for (k, v) in f {
            if v.is_null() {
                t.remove(&k);
            } else {
                t.insert(k, v);
            }
        }
    }
    ep
}

fn no() -> Value {
    json!({})
}

#[test]
fn scheme_must_be_http_or_https_in_any_case() {
    table(&[
        ("verified https", verified(), no(), &[]),
        (
            "upper case HTTPS",
            json!({"port": "https", "scheme": "HTTPS", "tlsConfig": {"ca": {"secret": {"name": "s", "key": "ca.crt"}}, "serverName": "a.b.svc"}}),
            no(),
            &[],
        ),
        (
            "mixed case Http",
            json!({"port": "web", "scheme": "Http"}),
            no(),
            &[],
        ),
        ("absent scheme is http", json!({"port": "web"}), no(), &[]),
        (
            "unknown scheme",
            json!({"port": "web", "scheme": "tcp"}),
            no(),
            &[("invalid", "scheme")],
        ),
        (
            "empty scheme",
            json!({"port": "web", "scheme": ""}),
            no(),
            &[("invalid", "scheme")],
        ),
        // The scheme-dependent rules (M4, M5 over http, M6, M8, warning) are skipped.
        (
            "unknown scheme skips M4 and M5-http",
            json!({"scheme": "tcp", "bearerTokenFile": "/t", "tlsConfig": {"caFile": "/ca"}}),
            json!({"requireHttps": true, "certManagement": "external"}),
            &[("invalid", "scheme")],
        ),
        (
            "unknown scheme keeps M1 and M5-skip-verify",
            json!({"scheme": "htps", "bearerTokenFile": "/t", "tlsConfig": {"insecureSkipVerify": true}}),
            no(),
            &[
                ("invalid", "scheme"),
                ("M1", "tlsConfig.insecureSkipVerify"),
                ("M5", "bearerTokenFile"),
            ],
        ),
        (
            "scheme of wrong type",
            json!({"scheme": 443, "tlsConfig": {"caFile": "/ca"}}),
            json!({"requireHttps": true}),
            &[("type", "scheme")],
        ),
    ]);
}

#[test]
fn m1_skip_verify() {
    let internal_allow = json!({"certManagement": "internal", "allowInsecureSkipVerify": true});
    table(&[
        (
            "kueue option 1",
            json!({"port": "https", "scheme": "https", "tlsConfig": {"insecureSkipVerify": true}}),
            no(),
            &[("M1", "tlsConfig.insecureSkipVerify")],
        ),
        (
            "with a CA as well",
            tls(json!({"insecureSkipVerify": true})),
            no(),
            &[
                ("M1", "tlsConfig.insecureSkipVerify"),
                ("M5", "bearerTokenFile"),
            ],
        ),
        ("fixed: verify", verified(), no(), &[]),
        (
            "false is fine",
            tls(json!({"insecureSkipVerify": false})),
            no(),
            &[],
        ),
        (
            "internal mode without allow",
            json!({"scheme": "https", "tlsConfig": {"insecureSkipVerify": true}}),
            json!({"certManagement": "internal"}),
            &[("M1", "tlsConfig.insecureSkipVerify")],
        ),
        (
            "allowed in internal mode: warning only",
            json!({"scheme": "https", "tlsConfig": {"insecureSkipVerify": true}}),
            internal_allow.clone(),
            &[],
        ),
        (
            "allowed, but M5 still rejects",
            json!({"scheme": "https", "bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token", "tlsConfig": {"insecureSkipVerify": true}}),
            internal_allow.clone(),
            &[("M5", "bearerTokenFile")],
        ),
        (
            "string, not boolean",
            json!({"scheme": "https", "tlsConfig": {"insecureSkipVerify": "true"}}),
            no(),
            &[("type", "tlsConfig.insecureSkipVerify")],
        ),
    ]);
    let ep = json!({"scheme": "https", "tlsConfig": {"insecureSkipVerify": true}});
    let r = run(&ep, &internal_allow);
    assert!(r.is_clean());
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        crate::testing::warns(
            &r.warnings[0],
            Rule::M1,
            "spec.endpoints[0].tlsConfig.insecureSkipVerify",
            "insecureSkipVerify: true is accepted because allowInsecureSkipVerify is set"
        ),
        "{:?}",
        r.warnings[0]
    );

    // The message says what to write; without lookups it names no Service.
    let r = run(&ep, &no());
    assert_eq!(
        r.violations[0].to_string(),
        "spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden: insecureSkipVerify: true turns off verification of the server's certificate, so anyone on the network path can impersonate the target; reference the CA from the metrics certificate Secret (tlsConfig.ca.secret: {name: metrics-server-cert, key: ca.crt}) and set serverName to a DNS name the target's certificate carries, then remove insecureSkipVerify [M1]"
    );
}

#[test]
fn m2_half_client_pair() {
    table(&[
        ("fixed: full pair", verified(), no(), &[]),
        (
            "cert.secret without key",
            tls(json!({"keySecret": null})),
            no(),
            &[("M2", "tlsConfig.keySecret")],
        ),
        (
            "cert.configMap without key",
            tls(
                json!({"keySecret": null, "cert": {"configMap": {"name": "client", "key": "tls.crt"}}}),
            ),
            no(),
            &[("M2", "tlsConfig.keySecret")],
        ),
        (
            "certFile without key",
            tls(
                json!({"keySecret": null, "cert": null, "certFile": "/etc/prometheus/secrets/metrics-client-certs/tls.crt"}),
            ),
            no(),
            &[("M2", "tlsConfig.keyFile")],
        ),
        (
            "keySecret without cert",
            tls(json!({"cert": null})),
            no(),
            &[("M2", "tlsConfig.cert")],
        ),
        (
            "keyFile without cert",
            tls(
                json!({"cert": null, "keySecret": null, "keyFile": "/etc/prometheus/secrets/metrics-client-certs/tls.key"}),
            ),
            no(),
            &[("M2", "tlsConfig.certFile")],
        ),
        (
            "files pair",
            tls(
                json!({"cert": null, "keySecret": null, "certFile": "/c/tls.crt", "keyFile": "/c/tls.key"}),
            ),
            no(),
            &[],
        ),
        (
            "secret cert with file key",
            tls(json!({"keySecret": null, "keyFile": "/c/tls.key"})),
            no(),
            &[],
        ),
        (
            "cert: {} is not set",
            tls(json!({"cert": {}})),
            no(),
            &[("M2", "tlsConfig.cert")],
        ),
        (
            "cert.secret: {} is not set",
            tls(json!({"cert": {"secret": {}}})),
            no(),
            &[("M2", "tlsConfig.cert")],
        ),
        (
            "keySecret: {} is not set",
            tls(json!({"keySecret": {}})),
            no(),
            &[("M2", "tlsConfig.keySecret")],
        ),
        (
            "no client pair at all",
            tls(json!({"cert": {}, "keySecret": {}})),
            no(),
            &[],
        ),
        (
            "empty certFile is not set",
            tls(json!({"cert": null, "keySecret": null, "certFile": ""})),
            no(),
            &[],
        ),
        (
            "cert of wrong type",
            tls(json!({"cert": "metrics-server-cert"})),
            no(),
            &[("type", "tlsConfig.cert"), ("M2", "tlsConfig.cert")],
        ),
        (
            "keySecret of wrong type",
            tls(json!({"keySecret": ["tls.key"]})),
            no(),
            &[
                ("type", "tlsConfig.keySecret"),
                ("M2", "tlsConfig.keySecret"),
            ],
        ),
        (
            "certFile of wrong type",
            tls(json!({"cert": null, "certFile": true})),
            no(),
            &[("type", "tlsConfig.certFile"), ("M2", "tlsConfig.cert")],
        ),
    ]);
    let r = run(&tls(json!({"keySecret": null})), &no());
    assert_eq!(
        r.violations[0].to_string(),
        "spec.endpoints[0].tlsConfig.keySecret: Required value: the client certificate (cert.secret) is set but the client key is missing, so the scrape cannot present it; set keySecret: {name: metrics-server-cert, key: tls.key}, or remove the client certificate [M2]"
    );
}

#[test]
fn m3_conflicting_sources() {
    table(&[
        ("fixed", verified(), no(), &[]),
        (
            "ca and caFile",
            tls(json!({"caFile": "/etc/prometheus/ca.crt"})),
            no(),
            &[("M3", "tlsConfig.caFile")],
        ),
        (
            "cert and certFile",
            tls(json!({"certFile": "/etc/prometheus/tls.crt"})),
            no(),
            &[("M3", "tlsConfig.certFile")],
        ),
        (
            "keySecret and keyFile",
            tls(json!({"keyFile": "/etc/prometheus/tls.key"})),
            no(),
            &[("M3", "tlsConfig.keyFile")],
        ),
        (
            "ca secret and configMap",
            tls(
                json!({"ca": {"secret": {"name": "metrics-server-cert", "key": "ca.crt"}, "configMap": {"name": "kube-root-ca.crt", "key": "ca.crt"}}}),
            ),
            no(),
            &[("M3", "tlsConfig.ca.configMap")],
        ),
        (
            "cert secret and configMap",
            tls(
                json!({"cert": {"secret": {"name": "metrics-server-cert", "key": "tls.crt"}, "configMap": {"name": "client", "key": "tls.crt"}}}),
            ),
            no(),
            &[("M3", "tlsConfig.cert.configMap")],
        ),
        (
            "all three pairs",
            tls(json!({"caFile": "/a", "certFile": "/b", "keyFile": "/c"})),
            no(),
            &[
                ("M3", "tlsConfig.caFile"),
                ("M3", "tlsConfig.certFile"),
                ("M3", "tlsConfig.keyFile"),
            ],
        ),
        (
            "ca: {} with caFile",
            tls(json!({"ca": {}, "caFile": "/etc/prometheus/ca.crt"})),
            no(),
            &[],
        ),
        (
            "ca.configMap: {} with ca.secret",
            tls(json!({"ca": {"secret": {"name": "s", "key": "ca.crt"}, "configMap": {}}})),
            no(),
            &[],
        ),
        (
            "empty caFile with ca",
            tls(json!({"caFile": ""})),
            no(),
            &[],
        ),
        (
            "ca.secret of wrong type",
            tls(json!({"ca": {"secret": "metrics-server-cert"}})),
            no(),
            &[("type", "tlsConfig.ca.secret")],
        ),
    ]);
    let r = run(&tls(json!({"caFile": "/etc/prometheus/ca.crt"})), &no());
    assert!(r.violations[0]
        .to_string()
        .contains("tlsConfig.caFile: Conflicting fields: both ca and caFile are set"));
}

#[test]
fn m4_tls_ignored() {
    table(&[
        (
            "http with a CA",
            json!({"port": "web", "scheme": "http", "tlsConfig": {"ca": {"secret": {"name": "s", "key": "ca.crt"}}}}),
            no(),
            &[("M4", "tlsConfig")],
        ),
        (
            "absent scheme with a CA",
            json!({"port": "web", "tlsConfig": {"caFile": "/ca.crt"}}),
            no(),
            &[("M4", "tlsConfig")],
        ),
        (
            "HTTP with serverName",
            json!({"scheme": "HTTP", "tlsConfig": {"serverName": "a.b.svc"}}),
            no(),
            &[("M4", "tlsConfig")],
        ),
        (
            "http with insecureSkipVerify false",
            json!({"scheme": "http", "tlsConfig": {"insecureSkipVerify": false}}),
            no(),
            &[("M4", "tlsConfig")],
        ),
        (
            "http with tlsConfig: {}",
            json!({"scheme": "http", "tlsConfig": {}}),
            no(),
            &[],
        ),
        (
            "http with empty sub-objects",
            json!({"scheme": "http", "tlsConfig": {"ca": {}, "cert": {}, "keySecret": {}, "serverName": ""}}),
            no(),
            &[],
        ),
        (
            "fixed: https",
            json!({"scheme": "https", "tlsConfig": {"caFile": "/ca.crt", "serverName": "a.b.svc"}}),
            no(),
            &[],
        ),
        (
            "tlsConfig list",
            json!({"scheme": "http", "tlsConfig": [{"caFile": "/ca.crt"}]}),
            no(),
            &[("type", "tlsConfig")],
        ),
    ]);
    let r = run(
        &json!({"port": "web", "tlsConfig": {"caFile": "/ca.crt"}}),
        &no(),
    );
    assert!(r.violations[0]
        .detail
        .contains("scheme is not set, which means http"));
    assert!(r.violations[0].detail.contains("set scheme: https"));
}

#[test]
fn m5_credentials_exposed() {
    let internal_allow = json!({"certManagement": "internal", "allowInsecureSkipVerify": true});
    let basic = json!({"username": {"name": "orders-metrics", "key": "user"}, "password": {"name": "orders-metrics", "key": "password"}});
    table(&[
        (
            "bearerTokenFile over http",
            json!({"port": "web", "scheme": "http", "bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"}),
            no(),
            &[("M5", "bearerTokenFile")],
        ),
        (
            "basicAuth, absent scheme",
            json!({"port": "web", "basicAuth": basic.clone()}),
            no(),
            &[("M5", "basicAuth")],
        ),
        (
            "bearerTokenSecret over http",
            json!({"scheme": "http", "bearerTokenSecret": {"name": "t", "key": "token"}}),
            no(),
            &[("M5", "bearerTokenSecret")],
        ),
        (
            "authorization over http",
            json!({"scheme": "http", "authorization": {"type": "Bearer", "credentials": {"name": "t", "key": "token"}}}),
            no(),
            &[("M5", "authorization")],
        ),
        (
            "oauth2 over http",
            json!({"scheme": "http", "oauth2": {"clientId": {"secret": {"name": "o", "key": "id"}}, "clientSecret": {"name": "o", "key": "secret"}, "tokenUrl": "https://sso.example.com/token"}}),
            no(),
            &[("M5", "oauth2")],
        ),
        (
            "two credentials, one each",
            json!({"scheme": "http", "bearerTokenFile": "/t", "basicAuth": basic.clone()}),
            no(),
            &[("M5", "bearerTokenFile"), ("M5", "basicAuth")],
        ),
        (
            "with insecureSkipVerify over https",
            json!({"scheme": "https", "bearerTokenFile": "/t", "tlsConfig": {"insecureSkipVerify": true}}),
            no(),
            &[
                ("M1", "tlsConfig.insecureSkipVerify"),
                ("M5", "bearerTokenFile"),
            ],
        ),
        (
            "both triggers",
            json!({"scheme": "http", "bearerTokenFile": "/t", "tlsConfig": {"insecureSkipVerify": true}}),
            no(),
            &[
                ("M1", "tlsConfig.insecureSkipVerify"),
                ("M4", "tlsConfig"),
                ("M5", "bearerTokenFile"),
            ],
        ),
        (
            "not relaxed by allowInsecureSkipVerify",
            json!({"scheme": "https", "authorization": {"credentials": {"name": "t", "key": "token"}}, "tlsConfig": {"insecureSkipVerify": true}}),
            internal_allow,
            &[("M5", "authorization")],
        ),
        ("fixed: https and verified", verified(), no(), &[]),
        (
            "https with system roots",
            json!({"scheme": "https", "bearerTokenFile": "/t"}),
            no(),
            &[],
        ),
        (
            "empty bearerTokenFile",
            json!({"scheme": "http", "bearerTokenFile": ""}),
            no(),
            &[],
        ),
        (
            "empty objects send nothing",
            json!({"scheme": "http", "basicAuth": {}, "bearerTokenSecret": {"key": ""}, "authorization": {"credentials": {}}, "oauth2": null}),
            no(),
            &[],
        ),
        (
            "no credentials over http",
            json!({"scheme": "http", "port": "metrics"}),
            no(),
            &[],
        ),
        (
            "bearerTokenFile of wrong type",
            json!({"scheme": "http", "bearerTokenFile": 1}),
            no(),
            &[("type", "bearerTokenFile")],
        ),
        (
            "basicAuth of wrong type",
            json!({"scheme": "http", "basicAuth": "user:password"}),
            no(),
            &[("type", "basicAuth")],
        ),
        (
            "bearerTokenSecret of wrong type",
            json!({"scheme": "http", "bearerTokenSecret": ["t"]}),
            no(),
            &[("type", "bearerTokenSecret")],
        ),
        (
            "authorization of wrong type",
            json!({"scheme": "http", "authorization": "Bearer x"}),
            no(),
            &[("type", "authorization")],
        ),
        (
            "oauth2 of wrong type",
            json!({"scheme": "http", "oauth2": true}),
            no(),
            &[("type", "oauth2")],
        ),
    ]);
    let r = run(&json!({"port": "web", "basicAuth": basic}), &no());
    assert!(r.violations[0].to_string().starts_with("spec.endpoints[0].basicAuth: Forbidden: basicAuth sends credentials in plaintext (scheme is not set, which means http)"), "{}", r.violations[0]);
    // Over http the advice is to drop the credentials or move to https.
    assert!(
        r.violations[0].detail.contains(
            "remove the credentials if the target does not need them, or scrape over https"
        ),
        "{}",
        r.violations[0]
    );
    let r = run(
        &json!({"scheme": "https", "bearerTokenFile": "/t", "tlsConfig": {"insecureSkipVerify": true}}),
        &json!({"certManagement": "internal", "allowInsecureSkipVerify": true}),
    );
    assert!(
        r.violations[0]
            .detail
            .contains("allowInsecureSkipVerify does not cover credentials"),
        "{}",
        r.violations[0]
    );
}

#[test]
fn m6_plaintext() {
    let https = json!({"requireHttps": true});
    table(&[
        (
            "http",
            json!({"port": "web", "scheme": "http"}),
            https.clone(),
            &[("M6", "scheme")],
        ),
        (
            "absent scheme",
            json!({"port": "web"}),
            https.clone(),
            &[("M6", "scheme")],
        ),
        (
            "HTTP",
            json!({"port": "web", "scheme": "HTTP"}),
            https.clone(),
            &[("M6", "scheme")],
        ),
        ("fixed: https", verified(), https.clone(), &[]),
        (
            "fixed: HTTPS",
            json!({"scheme": "HTTPS", "tlsConfig": {"caFile": "/ca", "serverName": "a.b.svc"}}),
            https.clone(),
            &[],
        ),
        (
            "http allowed without requireHttps",
            json!({"port": "web", "scheme": "http"}),
            no(),
            &[],
        ),
        (
            "unknown scheme is only invalid",
            json!({"scheme": "ftp"}),
            https,
            &[("invalid", "scheme")],
        ),
    ]);
}

#[test]
fn m7_tls_versions() {
    table(&[
        (
            "fixed: TLS12..TLS13",
            tls(json!({"minVersion": "TLS12", "maxVersion": "TLS13"})),
            no(),
            &[],
        ),
        (
            "TLS13 only",
            tls(json!({"minVersion": "TLS13", "maxVersion": "TLS13"})),
            no(),
            &[],
        ),
        (
            "minVersion TLS10",
            tls(json!({"minVersion": "TLS10"})),
            no(),
            &[("M7", "tlsConfig.minVersion")],
        ),
        (
            "maxVersion TLS11",
            tls(json!({"maxVersion": "TLS11"})),
            no(),
            &[("M7", "tlsConfig.maxVersion")],
        ),
        (
            "min above max",
            tls(json!({"minVersion": "TLS13", "maxVersion": "TLS12"})),
            no(),
            &[("M7", "tlsConfig.minVersion")],
        ),
        (
            "min above deprecated max",
            tls(json!({"minVersion": "TLS12", "maxVersion": "TLS11"})),
            no(),
            &[
                ("M7", "tlsConfig.maxVersion"),
                ("M7", "tlsConfig.minVersion"),
            ],
        ),
        (
            "lower case",
            tls(json!({"minVersion": "tls12"})),
            no(),
            &[("M7", "tlsConfig.minVersion")],
        ),
        (
            "dotted",
            tls(json!({"maxVersion": "1.3"})),
            no(),
            &[("M7", "tlsConfig.maxVersion")],
        ),
        (
            "number",
            tls(json!({"minVersion": 1.2})),
            no(),
            &[("type", "tlsConfig.minVersion")],
        ),
    ]);
    let r = run(&tls(json!({"minVersion": "tls12"})), &no());
    assert!(r.violations[0].detail.contains("write it as TLS12"));
    let r = run(&tls(json!({"maxVersion": "TLS11"})), &no());
    assert!(r.violations[0]
        .detail
        .contains("deprecated by RFC 8996; use TLS12 or TLS13"));
}

#[test]
fn m8_trust_anchor() {
    let ext = json!({"certManagement": "external"});
    table(&[
        (
            "https without CA",
            json!({"scheme": "https", "bearerTokenFile": "/t", "tlsConfig": {"serverName": "a.b.svc"}}),
            ext.clone(),
            &[("M8", "tlsConfig.ca")],
        ),
        (
            "https without tlsConfig",
            json!({"scheme": "HTTPS"}),
            ext.clone(),
            &[("M8", "tlsConfig.ca")],
        ),
        (
            "ca: {} is no CA",
            tls(json!({"ca": {}})),
            ext.clone(),
            &[("M8", "tlsConfig.ca")],
        ),
        (
            "skip verify without CA",
            json!({"scheme": "https", "tlsConfig": {"insecureSkipVerify": true}}),
            ext.clone(),
            &[
                ("M1", "tlsConfig.insecureSkipVerify"),
                ("M8", "tlsConfig.ca"),
            ],
        ),
        ("fixed: ca", verified(), ext.clone(), &[]),
        (
            "fixed: caFile",
            json!({"scheme": "https", "tlsConfig": {"caFile": "/etc/prometheus/configmaps/serving-certs-ca-bundle/service-ca.crt", "serverName": "a.b.svc"}}),
            ext.clone(),
            &[],
        ),
        (
            "http is M4/M6 territory",
            json!({"scheme": "http"}),
            ext.clone(),
            &[],
        ),
        ("auto mode", json!({"scheme": "https"}), no(), &[]),
        (
            "internal mode",
            json!({"scheme": "https"}),
            json!({"certManagement": "internal"}),
            &[],
        ),
    ]);
    let r = run(&json!({"scheme": "https"}), &ext);
    assert!(r.violations[0]
        .detail
        .contains("tlsConfig.ca.secret: {name: metrics-server-cert, key: ca.crt}"));
}

#[test]
fn w_server_name() {
    let warnings = |ep: Value, s: Value| run(&ep, &s).warnings;
    let w = warnings(tls(json!({"serverName": null})), no());
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        crate::testing::warns(
            &w[0],
            Rule::WServerName,
            "spec.endpoints[0].tlsConfig.serverName",
            "the endpoint verifies the server certificate but sets no serverName"
        ),
        "{:?}",
        w[0]
    );
    assert!(
        w[0].detail
            .ends_with("set serverName to a DNS name the target's certificate carries"),
        "{:?}",
        w[0]
    );

    assert_eq!(
        warnings(
            json!({"scheme": "HTTPS", "tlsConfig": {"caFile": "/ca"}}),
            no()
        )
        .len(),
        1
    );
    // Not when serverName is set, verification is off, there is no CA, or http.
    assert!(warnings(verified(), no()).is_empty());
    assert!(warnings(
        tls(json!({"serverName": null, "insecureSkipVerify": true})),
        no()
    )
    .iter()
    .all(|w| w.rule != Rule::WServerName));
    assert!(warnings(json!({"scheme": "https", "tlsConfig": {}}), no()).is_empty());
    assert!(warnings(
        json!({"scheme": "http", "tlsConfig": {"caFile": "/ca"}}),
        no()
    )
    .is_empty());
    assert!(warnings(
        json!({"scheme": "tcp", "tlsConfig": {"caFile": "/ca"}}),
        no()
    )
    .is_empty());
    // A warning is not a rejection.
    assert!(run(&tls(json!({"serverName": null})), &no()).is_clean());
}

#[test]
fn wrong_types_are_named_with_their_path() {
    let s = Settings::default();
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (json!({"spec": []}), vec![("type", "spec")]),
        (
            json!({"spec": {"endpoints": {"port": "https"}}}),
            vec![("type", "spec.endpoints")],
        ),
        (
            json!({"spec": {"endpoints": ["https", null, {"port": "web"}]}}),
            vec![("type", "spec.endpoints[0]")],
        ),
        (
            json!({"metadata": {"name": 7, "namespace": ["x"]}, "spec": {"endpoints": []}}),
            vec![("type", "metadata.name"), ("type", "metadata.namespace")],
        ),
        (
            json!({"metadata": "kueue", "spec": {"endpoints": []}}),
            vec![("type", "metadata")],
        ),
        (
            json!({"spec": {"endpoints": [{"scheme": "https", "tlsConfig": {
                "ca": "ca.crt", "caFile": 1, "cert": {"secret": [], "configMap": 2}, "certFile": {},
                "keySecret": "tls.key", "keyFile": false, "serverName": 3, "insecureSkipVerify": "false",
                "minVersion": 12, "maxVersion": ["TLS13"]}}]}}),
            vec![
                ("type", "spec.endpoints[0].tlsConfig.ca"),
                ("type", "spec.endpoints[0].tlsConfig.caFile"),
                ("type", "spec.endpoints[0].tlsConfig.cert.secret"),
                ("type", "spec.endpoints[0].tlsConfig.cert.configMap"),
                ("type", "spec.endpoints[0].tlsConfig.certFile"),
                ("type", "spec.endpoints[0].tlsConfig.keySecret"),
                ("type", "spec.endpoints[0].tlsConfig.keyFile"),
                ("type", "spec.endpoints[0].tlsConfig.serverName"),
                ("type", "spec.endpoints[0].tlsConfig.insecureSkipVerify"),
                ("type", "spec.endpoints[0].tlsConfig.minVersion"),
                ("type", "spec.endpoints[0].tlsConfig.maxVersion"),
            ],
        ),
        (
            json!({"spec": {"endpoints": [{"scheme": "https", "tlsConfig": {"ca": {"secret": {"name": 5, "key": "ca.crt"}}, "serverName": "a.b.svc"}}]}}),
            vec![("type", "spec.endpoints[0].tlsConfig.ca.secret.name")],
        ),
    ];
    for (object, expected) in cases {
        let (r, _) = report("ServiceMonitor", object.clone(), &s);
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(findings(&r), want, "{object}");
    }
    let (r, _) = report(
        "ServiceMonitor",
        monitor(json!([{"scheme": "https", "tlsConfig": {"insecureSkipVerify": "true"}}])),
        &s,
    );
    assert_eq!(
        r.violations[0].to_string(),
        "spec.endpoints[0].tlsConfig.insecureSkipVerify: Invalid type: expected boolean, got string [type]"
    );
}

#[test]
fn every_endpoint_is_checked() {
    let eps = json!([
        verified(),
        {"port": "https", "scheme": "https", "tlsConfig": {"insecureSkipVerify": true}},
        tls(json!({"keySecret": null})),
        {"port": "web", "bearerTokenFile": "/t", "tlsConfig": {"caFile": "/ca"}},
        "not-an-endpoint",
    ]);
    let (r, _) = report("ServiceMonitor", monitor(eps), &Settings::default());
    let got = findings(&r);
    let want = [
        ("M1", "spec.endpoints[1].tlsConfig.insecureSkipVerify"),
        ("M2", "spec.endpoints[2].tlsConfig.keySecret"),
        ("M4", "spec.endpoints[3].tlsConfig"),
        ("M5", "spec.endpoints[3].bearerTokenFile"),
        ("type", "spec.endpoints[4]"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    // The type error of element 4 is found while listing the endpoints.
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted);
}

#[test]
fn pod_monitors_use_pod_metrics_endpoints() {
    let pm = json!({
        "metadata": {"name": "payments-worker", "namespace": "payments"},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": "payments-worker"}},
            "podMetricsEndpoints": [
                {"port": "metrics", "scheme": "https", "tlsConfig": {"insecureSkipVerify": true}},
                {"port": "metrics", "scheme": "HTTPS", "tlsConfig": {"ca": {"configMap": {"name": "trusted-ca", "key": "ca.crt"}}, "serverName": "payments-worker.payments.svc"}},
            ]
        }
    });
    let (r, _) = report("PodMonitor", pm, &Settings::default());
    assert_eq!(
        findings(&r),
        vec![(
            "M1".to_string(),
            "spec.podMetricsEndpoints[0].tlsConfig.insecureSkipVerify".to_string()
        )]
    );
    // PodMonitors select pods, not Services: no Service is named.
    assert!(r.violations[0]
        .detail
        .contains("set serverName to a DNS name the target's certificate carries"));
}

/// The advice a monitor gets without lookups (the default): no guessed
/// Service, whatever the monitor's name or namespaceSelector (SPEC 16).
#[test]
fn server_name_advice_without_lookups_names_no_service() {
    const GENERIC: &str = "set serverName to a DNS name the target's certificate carries";
    let suggestion = |sel: Value| {
        let mut m =
            monitor(json!([{"scheme": "https", "tlsConfig": {"insecureSkipVerify": true}}]));
        m["spec"]["namespaceSelector"] = sel;
        let (r, _) = report("ServiceMonitor", m, &Settings::default());
        (
            findings(&r),
            r.violations
                .last()
                .map(|v| v.detail.clone())
                .unwrap_or_default(),
        )
    };
    for sel in [
        json!(null),
        json!({"matchNames": ["kueue-prod"]}),
        json!({"matchNames": ["a", "b"]}),
        json!({"any": true}),
        json!({"matchNames": []}),
    ] {
        let (_, d) = suggestion(sel.clone());
        assert!(d.contains(GENERIC), "{sel}: {d}");
        // The old guess from the monitor's name is gone.
        assert!(
            !d.contains("kueue-controller-manager-metrics-service"),
            "{sel}: {d}"
        );
    }
    // Read only to phrase the advice: not type-checked (SPEC 2).
    for sel in [
        json!({"matchNames": "kueue-prod", "any": "yes"}),
        json!("team-a"),
    ] {
        let (f, d) = suggestion(sel.clone());
        assert_eq!(
            f,
            vec![(
                "M1".to_string(),
                "spec.endpoints[0].tlsConfig.insecureSkipVerify".to_string()
            )],
            "{sel}"
        );
        assert!(d.contains(GENERIC), "{sel}: {d}");
    }
}

/// Label selectors as prometheus-operator reads them; unreadable ones are
/// unknown (`None`), so the advice names no Service.
#[test]
fn selectors_match_service_labels() {
    use std::collections::BTreeMap;
    let labels = BTreeMap::from([
        (
            "app.kubernetes.io/name".to_string(),
            "kube-state-metrics".to_string(),
        ),
        (
            "app.kubernetes.io/component".to_string(),
            "exporter".to_string(),
        ),
    ]);
    for (sel, want) in [
        (None, Some(true)),
        (Some(json!({})), Some(true)),
        (
            Some(json!({"matchLabels": {"app.kubernetes.io/name": "kube-state-metrics"}})),
            Some(true),
        ),
        (
            Some(json!({"matchLabels": {"app.kubernetes.io/name": "node-exporter"}})),
            Some(false),
        ),
        (Some(json!({"matchLabels": {"missing": "x"}})), Some(false)),
        (
            Some(
                json!({"matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In", "values": ["exporter", "x"]}]}),
            ),
            Some(true),
        ),
        (
            Some(
                json!({"matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In", "values": ["x"]}]}),
            ),
            Some(false),
        ),
        (
            Some(
                json!({"matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "NotIn", "values": ["exporter"]}]}),
            ),
            Some(false),
        ),
        (
            Some(
                json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}),
            ),
            Some(true),
        ),
        (
            Some(
                json!({"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "Exists"}]}),
            ),
            Some(true),
        ),
        (
            Some(
                json!({"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "DoesNotExist"}]}),
            ),
            Some(false),
        ),
        (
            Some(json!({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]})),
            Some(true),
        ),
        (
            Some(json!({"matchExpressions": [{"key": "tier", "operator": "Gt", "values": ["1"]}]})),
            None,
        ),
        (
            Some(json!({"matchLabels": {"app.kubernetes.io/name": 3}})),
            None,
        ),
        (Some(json!({"matchLabels": "app"})), None),
        (Some(json!("app")), None),
    ] {
        assert_eq!(selector_matches(sel.as_ref(), &labels), want, "{sel:?}");
    }
}

/// With lookups, the advice names the one Service the selector matches in
/// the namespaces it selects; with none or two matching, or any namespace,
/// the generic advice; for node and control-plane targets no serverName
/// at all (SPEC 16).
#[test]
fn server_name_advice_names_the_looked_up_service() {
    use crate::cluster::{fake::FakeCluster, LookupKind};
    use crate::review::review_with;
    let ksm_labels = json!({"app.kubernetes.io/component": "exporter", "app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/part-of": "kube-prometheus"});
    let svc = |name: &str, labels: &Value| json!({"metadata": {"name": name, "labels": labels}});
    let monitoring = |services: Vec<Value>| {
        FakeCluster::default().with(LookupKind::Service, "monitoring", services)
    };
    let sm = |ns: &str, sel: Value, ns_sel: Value, port: &str| {
        json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": {"name": "kube-state-metrics", "namespace": ns},
            "spec": {
                "endpoints": [{"port": port, "scheme": "https", "tlsConfig": {"ca": {"secret": {"name": "metrics-ca", "key": "ca.crt"}}}}],
                "selector": sel,
                "namespaceSelector": ns_sel
            }
        })
    };
    let ksm_sel = json!({"matchLabels": ksm_labels});
    let s = settings(&json!({"crossObjectChecks": true}));
    let warnings = |object: Value, cluster: &FakeCluster| {
        let ns = object["metadata"]["namespace"]
            .as_str()
            .unwrap()
            .to_string();
        let mut req = crate::testing::request("ServiceMonitor", &ns, object);
        let v = review_with(&mut req, &s, Some(cluster));
        assert!(v.report.violations.is_empty(), "{:?}", v.report.violations);
        v.report.warnings
    };
    let one = monitoring(vec![
        svc("kube-state-metrics", &ksm_labels),
        svc(
            "node-exporter",
            &json!({"app.kubernetes.io/name": "node-exporter"}),
        ),
    ]);
    let w = warnings(
        sm("monitoring", ksm_sel.clone(), json!(null), "https-main"),
        &one,
    );
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        crate::testing::warns(
            &w[0],
            Rule::WServerName,
            "spec.endpoints[0].tlsConfig.serverName",
            ""
        ),
        "{:?}",
        w[0]
    );
    assert!(
        w[0].detail
            .ends_with("set serverName: kube-state-metrics.monitoring.svc"),
        "{:?}",
        w[0]
    );
    // One Service lookup (R2 looks up the Certificates of the CA Secret).
    let services = |c: &FakeCluster| {
        c.calls
            .borrow()
            .iter()
            .filter(|(k, _)| *k == LookupKind::Service)
            .count()
    };
    assert_eq!(services(&one), 1);
    // The namespace comes from namespaceSelector.matchNames.
    let w = warnings(
        sm(
            "apps",
            ksm_sel.clone(),
            json!({"matchNames": ["monitoring", "monitoring"]}),
            "https-main",
        ),
        &one,
    );
    assert!(
        w[0].detail
            .ends_with("set serverName: kube-state-metrics.monitoring.svc"),
        "{:?}",
        w[0]
    );
    // Two matching Services (the selector matches both): no guess.
    let two = monitoring(vec![
        svc("kube-state-metrics", &ksm_labels),
        svc("kube-state-metrics-shard-1", &ksm_labels),
    ]);
    let w = warnings(
        sm("monitoring", ksm_sel.clone(), json!(null), "https-main"),
        &two,
    );
    assert!(
        w[0].detail
            .contains("set serverName to a DNS name the target's certificate carries"),
        "{:?}",
        w[0]
    );
    assert!(!w[0].detail.contains(".monitoring.svc"), "{:?}", w[0]);
    // None matching.
    let none = monitoring(vec![svc(
        "node-exporter",
        &json!({"app.kubernetes.io/name": "node-exporter"}),
    )]);
    let w = warnings(
        sm("monitoring", ksm_sel.clone(), json!(null), "https-main"),
        &none,
    );
    assert!(
        w[0].detail
            .contains("a DNS name the target's certificate carries"),
        "{:?}",
        w[0]
    );
    // Any namespace: no lookup, generic advice.
    let any = monitoring(vec![svc("kube-state-metrics", &ksm_labels)]);
    let w = warnings(
        sm(
            "monitoring",
            ksm_sel.clone(),
            json!({"any": true}),
            "https-main",
        ),
        &any,
    );
    assert!(
        w[0].detail
            .contains("a DNS name the target's certificate carries"),
        "{:?}",
        w[0]
    );
    assert_eq!(services(&any), 0);
    // Node and control-plane targets: no serverName suggested at all, and
    // nothing looked up.
    let etcd = FakeCluster::default().with(
        LookupKind::Service,
        "openshift-etcd",
        vec![svc("etcd", &json!({"k8s-app": "etcd"}))],
    );
    for object in [
        sm(
            "openshift-etcd",
            json!({"matchLabels": {"k8s-app": "etcd"}}),
            json!(null),
            "etcd-metrics",
        ),
        sm(
            "monitoring",
            json!({"matchLabels": {"k8s-app": "etcd"}}),
            json!({"matchNames": ["openshift-etcd"]}),
            "metrics",
        ),
        sm(
            "monitoring",
            json!({"matchLabels": {"component": "etcd"}}),
            json!(null),
            "etcd-metrics",
        ),
        sm(
            "kube-system",
            json!({"matchLabels": {"k8s-app": "kube-controller-manager"}}),
            json!(null),
            "https-metrics",
        ),
        sm("openshift-kube-scheduler", json!({}), json!(null), "https"),
    ] {
        let w = warnings(object.clone(), &etcd);
        assert!(
            w.iter().all(|w| !w.detail.contains("serverName")),
            "{object}: {w:?}"
        );
    }
    assert_eq!(services(&etcd), 0);
    // A refused lookup: the request's one warning, and the generic advice.
    let refused = FakeCluster::refusing("forbidden");
    let w = warnings(
        sm("monitoring", ksm_sel, json!(null), "https-main"),
        &refused,
    );
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w.iter().any(|w| w
            .detail
            .contains("a DNS name the target's certificate carries")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| w.rule == Rule::WServerName
            && w.detail
                .contains("cannot list v1 Services in namespace \"monitoring\"")),
        "{w:?}"
    );
}

/// A cluster answering Service lookups from a recorded session of
/// test_data/cross-object/sessions/ (the format `kwctl run
/// --replay-host-capabilities-interactions` reads); each request must ask
/// for exactly the field masks the policy asks for.
fn session_cluster(name: &str) -> crate::cluster::fake::FakeCluster {
    use crate::cluster::LookupKind;
    let text = std::fs::read_to_string(format!("test_data/cross-object/sessions/{name}")).unwrap();
    let exchanges: Vec<serde_yaml::Value> = serde_yaml::from_str(&text).unwrap();
    let mut cluster = crate::cluster::fake::FakeCluster::default();
    for e in exchanges {
        let request = e["request"].as_str().unwrap();
        let (tag, body) = request.split_once('\n').unwrap();
        assert_eq!(tag, "!KubernetesListResourceNamespace", "{name}");
        let req: serde_yaml::Value = serde_yaml::from_str(body).unwrap();
        assert_eq!(req["kind"].as_str(), Some("Service"), "{name}");
        let masks: Vec<&str> = req["field_masks"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        assert_eq!(masks, LookupKind::Service.field_masks(), "{name}");
        let payload: Value =
            serde_json::from_str(e["response"]["payload"].as_str().unwrap()).unwrap();
        cluster = cluster.with(
            LookupKind::Service,
            req["namespace"].as_str().unwrap(),
            payload["items"].as_array().unwrap().clone(),
        );
    }
    cluster
}

/// SPEC 16 on real manifests: kube-prometheus' kube-state-metrics monitor
/// verifying without serverName gets the one Service its selector matches
/// (one lookup for both endpoints); with two matching Services, or without
/// lookups, no Service is named; OpenShift's etcd monitor gets no
/// serverName advice at all.
#[test]
fn server_name_advice_fixtures() {
    use crate::review::review_with;
    let on = settings(&json!({"crossObjectChecks": true}));
    let verdict = |file: &str, session: &str| {
        let c = session_cluster(session);
        let text = std::fs::read_to_string(format!("test_data/{file}")).unwrap();
        let mut req: kubewarden_policy_sdk::request::KubernetesAdmissionRequest =
            serde_json::from_str(&text).unwrap();
        let v = review_with(&mut req, &on, Some(&c));
        assert!(v.report.is_clean(), "{file}: {:?}", v.report.violations);
        // Service lookups (R2 may look up Certificates too).
        let calls = c
            .calls
            .borrow()
            .iter()
            .filter(|(k, _)| *k == crate::cluster::LookupKind::Service)
            .count();
        (v.report.warnings, calls)
    };
    let ksm = "cross-object/kube-prometheus-kube-state-metrics-no-servername.json";
    let (w, calls) = verdict(ksm, "kube-prometheus-services.yml");
    assert_eq!(calls, 1);
    let said = "the endpoint verifies the server certificate but sets no serverName; Prometheus scrapes targets by IP, so verification fails unless the certificate carries the pod IP; set serverName: kube-state-metrics.monitoring.svc";
    let found: Vec<(Rule, &str, &str)> = w
        .iter()
        .map(|w| (w.rule, w.path.as_str(), w.detail.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                Rule::WServerName,
                "spec.endpoints[0].tlsConfig.serverName",
                said
            ),
            (
                Rule::WServerName,
                "spec.endpoints[1].tlsConfig.serverName",
                said
            ),
        ]
    );
    let (w, _) = verdict(ksm, "kube-prometheus-services-sharded.yml");
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w.iter().all(|w| w
            .detail
            .ends_with("; set serverName to a DNS name the target's certificate carries")),
        "{w:?}"
    );
    // Fixed as suggested: nothing to say.
    let (w, _) = verdict(
        "cross-object/kube-prometheus-kube-state-metrics-servername.json",
        "kube-prometheus-services.yml",
    );
    assert!(w.is_empty(), "{w:?}");
    // Without lookups (crossObjectChecks: false): no Service named.
    let off = fixture(
        "cross-object/kube-prometheus-kube-state-metrics-no-servername.json",
        json!({"crossObjectChecks": false}),
        true,
    )
    .warnings
    .unwrap_or_default();
    assert_eq!(off.len(), 2, "{off:?}");
    assert!(off.iter().all(|w| !w.contains(".svc")), "{off:?}");
    // OpenShift's etcd monitor: its targets' certificates carry IPs.
    let (w, calls) = verdict(
        "monitors/openshift-etcd-servicemonitor.json",
        "kube-prometheus-services.yml",
    );
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(calls, 0);
}

/// Fixtures from test_data/monitors through the `validate` entry point.
#[test]
fn fixtures() {
    let internal_allow = json!({"certManagement": "internal", "allowInsecureSkipVerify": true});
    let ext = json!({"certManagement": "external"});
    let cases: Vec<(&str, Value, bool, Vec<&str>)> = vec![
        ("kueue-insecure.json", no(), false, vec!["spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden", "spec.endpoints[0].bearerTokenFile: Forbidden", "set serverName to a DNS name the target's certificate carries"]),
        ("kueue-insecure.json", internal_allow.clone(), false, vec!["spec.endpoints[0].bearerTokenFile: Forbidden", "allowInsecureSkipVerify does not cover credentials"]),
        ("kueue-verified.json", ext.clone(), true, vec![]),
        ("kubebuilder-insecure.json", no(), false, vec!["ServiceMonitor project-system/controller-manager-metrics-monitor has 2 problems", "set serverName to a DNS name the target's certificate carries"]),
        ("kubebuilder-tls-patch.json", ext.clone(), true, vec![]),
        ("kubebuilder-update-to-verified.json", no(), true, vec![]),
        ("kubelet-https-bearer-ca.json", ext.clone(), true, vec![]),
        ("node-exporter-insecure.json", no(), false, vec!["spec.endpoints[0].tlsConfig.insecureSkipVerify", "spec.endpoints[0].bearerTokenFile"]),
        ("kube-state-metrics-verified.json", ext.clone(), true, vec![]),
        ("openshift-client-cert.json", ext.clone(), true, vec![]),
        ("openshift-client-cert-half.json", no(), false, vec!["spec.endpoints[0].tlsConfig.keyFile: Required value"]),
        ("client-cert-skip-verify.json", no(), false, vec!["spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden"]),
        ("client-cert-skip-verify.json", internal_allow.clone(), true, vec![]),
        ("http-basic-auth.json", no(), false, vec!["spec.endpoints[0].basicAuth: Forbidden"]),
        ("tls-without-scheme.json", no(), false, vec!["spec.endpoints[0].tlsConfig: Invalid value", "set scheme: https"]),
        ("plain-http.json", no(), true, vec![]),
        ("plain-http.json", json!({"requireHttps": true}), false, vec!["spec.endpoints[0].scheme: Forbidden"]),
        ("https-system-roots.json", no(), true, vec![]),
        ("https-system-roots.json", ext.clone(), false, vec!["spec.endpoints[0].tlsConfig.ca: Required value"]),
        ("tls-versions.json", no(), false, vec!["spec.endpoints[0].tlsConfig.minVersion", "spec.endpoints[1].tlsConfig.maxVersion"]),
        ("ca-and-cafile.json", no(), false, vec!["spec.endpoints[0].tlsConfig.caFile: Conflicting fields"]),
        ("podmonitor-insecure.json", no(), false, vec!["spec.podMetricsEndpoints[0].tlsConfig.insecureSkipVerify", "spec.podMetricsEndpoints[0].authorization"]),
        ("podmonitor-verified.json", ext.clone(), true, vec![]),
        ("multi-endpoint.json", no(), false, vec!["spec.endpoints[1].", "spec.endpoints[2].", "spec.endpoints[3].", "spec.endpoints[4].", "spec.endpoints[5]."]),
        ("wrong-types.json", no(), false, vec!["spec.endpoints[0].tlsConfig.insecureSkipVerify: Invalid type: expected boolean, got string", "spec.endpoints[1].scheme: Invalid type: expected string, got number", "spec.endpoints[2].tlsConfig: Invalid type: expected object, got list"]),
    ];
    for (file, s, accepted, texts) in cases {
        let resp = fixture(&format!("monitors/{file}"), s.clone(), accepted);
        let msg = resp.message.unwrap_or_default();
        for t in texts {
            assert!(
                msg.contains(t),
                "{file} with {s}: message lacks {t:?}: {msg}"
            );
        }
        assert!(
            resp.mutated_object.is_none(),
            "{file}: monitors are never mutated"
        );
    }
}

#[test]
fn fixture_warnings() {
    let w = |file: &str, s: Value| {
        fixture(&format!("monitors/{file}"), s, true)
            .warnings
            .unwrap_or_default()
    };
    // The kubelet's certificate carries its IP addresses: no serverName is
    // suggested for node and control-plane targets, so no W-serverName
    // (SPEC 16).
    let kubelet = w("kubelet-https-bearer-ca.json", no());
    assert!(kubelet.is_empty(), "{kubelet:?}");
    let skip = w(
        "client-cert-skip-verify.json",
        json!({"certManagement": "internal", "allowInsecureSkipVerify": true}),
    );
    assert_eq!(skip.len(), 1, "{skip:?}");
    assert!(skip[0].contains("[M1]"));
    assert!(w("kueue-verified.json", no()).is_empty());
}
