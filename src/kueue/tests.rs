//! X4 tests: the reading of each controller's file, the modes, the fixtures.

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

/// Kueue's admin setting: its kustomize prefix makes the metrics Secret
/// `kueue-metrics-server-cert`, a metrics certificate Secret by the glob
/// (SPEC 14).
fn settings(mode: CertManagement) -> Settings {
    Settings {
        cert_management: mode,
        metrics_cert_secret_patterns: vec![
            "metrics-server-cert".into(),
            "*-metrics-server-cert".into(),
        ],
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
    let settings = settings(mode);
    let ctx = crate::context::Ctx::new(&settings, "kueue-system");
    review(&obj, &ctx, lookups, &mut report);
    report
}

fn rules(r: &Report) -> Vec<(Rule, String)> {
    r.violations
        .iter()
        .map(|v| (v.rule, v.path.as_str().to_string()))
        .collect()
}

const PATH: &str = "data[controller_manager_config.yaml]";

/// A billion laughs in 1.3 KB.
fn bomb() -> String {
    let mut s = format!("x0: &x0 [{}]\n", ["lol"; 9].join(", "));
    for i in 1..10 {
        let refs = vec![format!("*x{}", i - 1); 9].join(", ");
        s.push_str(&format!("x{i}: &x{i} [{refs}]\n"));
    }
    s
}

/// The readings of the Kueue Configurations in `text`.
fn readings(text: &str) -> Vec<Reading> {
    configurations(text, &mut Budget::new())
        .into_iter()
        .map(|f| {
            assert_eq!(f.controller, Controller::Kueue, "{text}");
            f.reading
        })
        .collect()
}

/// Stands for any `Unreadable` whose reason starts with `why`.
fn unreadable(why: &str) -> Reading {
    Reading::Unreadable(why.to_string())
}

/// `got` as `want`, an `Unreadable` compared by the start of its reason.
fn same(got: &[Reading], want: &[Reading]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| match (g, w) {
            (Reading::Unreadable(g), Reading::Unreadable(w)) => g.starts_with(w.as_str()),
            _ => g == w,
        })
}

#[test]
fn x4_reading() {
    let cases: Vec<(&str, String, Vec<Reading>)> = vec![
        (
            "absent: true",
            KUEUE_CONFIG.into(),
            vec![Reading::Enable(true)],
        ),
        (
            "false",
            with_icm("  enable: false"),
            vec![Reading::Enable(false)],
        ),
        (
            "true",
            with_icm("  enable: true"),
            vec![Reading::Enable(true)],
        ),
        (
            "yaml 1.1 no",
            with_icm("  enable: no"),
            vec![Reading::Enable(false)],
        ),
        (
            "yaml 1.1 On",
            with_icm("  enable: On"),
            vec![Reading::Enable(true)],
        ),
        (
            "empty section",
            with_icm("  enable:"),
            vec![Reading::Enable(true)],
        ),
        (
            "string",
            with_icm("  enable: \"disabled\""),
            vec![Reading::WrongType(
                "internalCertManagement.enable",
                "string",
            )],
        ),
        (
            "integer",
            with_icm("  enable: 0"),
            vec![Reading::WrongType(
                "internalCertManagement.enable",
                "integer",
            )],
        ),
        (
            "section not an object",
            format!("{KUEUE_CONFIG}internalCertManagement: false\n"),
            vec![Reading::WrongType("internalCertManagement", "boolean")],
        ),
        (
            "second document",
            format!(
                "apiVersion: v1\nkind: Other\n---\n{}",
                with_icm("  enable: false")
            ),
            vec![Reading::Enable(false)],
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
            "not YAML: fails closed",
            format!("{KUEUE_CONFIG}\n  - : [unbalanced"),
            vec![unreadable("YAML syntax error")],
        ),
        ("plain text", "just some text".into(), vec![]),
        (
            "only a look-alike group",
            KUEUE_CONFIG.replace("config.kueue.x-k8s.io", "config.kueue.x-k8s.iq"),
            vec![],
        ),
        (
            "merge key after enable: go-yaml v2 applies it last",
            with_icm("  enable: false\n  <<: {enable: true}"),
            vec![Reading::Enable(true)],
        ),
        (
            "merge key before enable",
            with_icm("  <<: {enable: true}\n  enable: false"),
            vec![Reading::Enable(false)],
        ),
        (
            "a merged section through an anchor",
            format!(
                "{KUEUE_CONFIG}x-certs: &certs {{enable: false}}\ninternalCertManagement: *certs\n"
            ),
            vec![Reading::Enable(false)],
        ),
        (
            "last of repeated keys",
            with_icm("  enable: false\n  enable: true"),
            vec![Reading::Enable(true)],
        ),
        (
            "repeated sections",
            format!(
                "{}internalCertManagement: {{enable: true}}\n",
                with_icm("  enable: false")
            ),
            vec![Reading::Enable(true)],
        ),
        (
            "!!bool no",
            with_icm("  enable: !!bool no"),
            vec![Reading::Enable(false)],
        ),
        (
            "quoted true is a string",
            with_icm("  enable: \"true\""),
            vec![Reading::WrongType(
                "internalCertManagement.enable",
                "string",
            )],
        ),
        (
            "!!str true is a string",
            with_icm("  enable: !!str true"),
            vec![Reading::WrongType(
                "internalCertManagement.enable",
                "string",
            )],
        ),
        (
            "escapes in apiVersion and kind",
            KUEUE_CONFIG
                .replace(
                    "config.kueue.x-k8s.io/v1beta1",
                    "\"config.kueue.x\\x2dk8s.io/v1beta1\"",
                )
                .replace("kind: Configuration", "kind: \"Configur\\u0061tion\""),
            vec![Reading::Enable(true)],
        ),
        (
            "a double-quoted line continuation",
            KUEUE_CONFIG.replace(
                "config.kueue.x-k8s.io/v1beta1",
                "\"config.kueue.\\\n  x-k8s.io/v1beta1\"",
            ),
            vec![Reading::Enable(true)],
        ),
        (
            "!!binary kind and apiVersion",
            KUEUE_CONFIG
                .replace(
                    "config.kueue.x-k8s.io/v1beta1",
                    "!!binary Y29uZmlnLmt1ZXVlLngtazhzLmlvL3YxYmV0YTE=",
                )
                .replace("kind: Configuration", "kind: !!binary Q29uZmlndXJhdGlvbg=="),
            vec![Reading::Enable(true)],
        ),
        (
            "another version",
            KUEUE_CONFIG.replace("/v1beta1", "/v1beta2"),
            vec![Reading::Enable(true)],
        ),
        ("no version", KUEUE_CONFIG.replace("/v1beta1", "/"), vec![]),
        (
            "a broken later document hides nothing before it",
            format!("{}---\nkind: [unclosed\n", with_icm("  enable: false")),
            vec![Reading::Enable(false)],
        ),
        (
            "every document is judged",
            format!("{}---\n{KUEUE_CONFIG}", with_icm("  enable: false")),
            vec![Reading::Enable(false), Reading::Enable(true)],
        ),
        (
            "an alias bomb fails closed",
            format!("{}{}", with_icm("  enable: false"), bomb()),
            vec![unreadable("the document contains excessive aliasing")],
        ),
        (
            "a cycle fails closed",
            format!("{KUEUE_CONFIG}x: &x [*x]\n"),
            vec![unreadable("an alias names a node that contains it")],
        ),
        (
            "a merge of a scalar fails closed",
            with_icm("  <<: 1"),
            vec![unreadable("a merge key (<<) names")],
        ),
        (
            "escaped and broken: fails closed",
            KUEUE_CONFIG
                .replace(
                    "config.kueue.x-k8s.io/v1beta1",
                    "\"config.kueue.x\\x2dk8s.io/v1beta1\"",
                )
                .replace("kind: Configuration", "kind: \"Configur\\u0061tion\"")
                + "x: [unclosed\n",
            vec![unreadable("YAML syntax error")],
        ),
        (
            "a broken script with backslashes that names nothing",
            "#!/bin/sh\necho \"a\\tb\" | grep -v '\\\\' : [x\n".into(),
            vec![],
        ),
        (
            "a broken value that names the family only in a comment",
            "# config.kueue.x-k8s.io Configuration\nx: [unclosed\n".into(),
            vec![unreadable("YAML syntax error")],
        ),
    ];
    for (name, text, want) in cases {
        let got = readings(&text);
        assert!(same(&got, &want), "{name}: {got:?}");
    }
}

#[test]
fn x4_external_and_internal() {
    let absent = config_map(json!({"controller_manager_config.yaml": KUEUE_CONFIG}));
    let off = config_map(json!({"controller_manager_config.yaml": with_icm("  enable: false")}));
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
    let off = config_map(json!({"controller_manager_config.yaml": with_icm("  enable: false")}));
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
    // A metrics Certificate is one that writes a metrics certificate
    // Secret (or is annotated, SPEC 4): with the default
    // metricsCertSecretName, Kueue's prefixed one is not, and a name that
    // merely says "metrics" never is.
    let mut report = Report::new();
    let obj = Obj::at(&absent, FieldPath::root(), &mut report).unwrap();
    let default = Settings {
        cert_management: CertManagement::Auto,
        ..Settings::default()
    };
    let ctx = crate::context::Ctx::new(&default, "kueue-system");
    review(&obj, &ctx, Some(&Lookups::new(&with_cert)), &mut report);
    assert!(report.is_clean(), "{report:?}");
    let named_metrics = FakeCluster::default().with(
        LookupKind::Certificate,
        "kueue-system",
        vec![json!({"metadata": {"name": "grafana-metrics-dashboard"},
                    "spec": {"secretName": "grafana-tls"}})],
    );
    assert!(run(
        &absent,
        CertManagement::Auto,
        Some(&Lookups::new(&named_metrics))
    )
    .is_clean());
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

/// The object of the AdmissionRequest `test_data/cross-object/<name>.json`.
fn fixture_object(name: &str) -> Value {
    let path = format!(
        "{}/test_data/cross-object/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let request: Value = serde_json::from_str(&text).expect("a JSON request");
    request["object"].clone()
}

/// Each X4 fixture in a mode: its violations as (rule, path) and a part of
/// each one's message.
#[test]
fn x4_fixtures() {
    use CertManagement::{External, Internal};
    const DATA: &str = "data[controller_manager_config.yaml]";
    const BINARY: &str = "binaryData[controller_manager_config.yaml]";
    let self_signed = |name: &str| format!("{name} would serve self-signed");
    type Want<'a> = Vec<(Rule, &'a str, String)>;
    let cases: Vec<(&str, CertManagement, Want)> = vec![
        (
            "x4-kueue-manager-config-alias-bomb",
            External,
            vec![(Rule::X4, DATA, "contains excessive aliasing".into())],
        ),
        ("x4-kueue-manager-config-alias-bomb-fixed", External, vec![]),
        (
            "x4-kueue-manager-config-merge-key-enables",
            External,
            vec![(Rule::X4, DATA, self_signed("Kueue"))],
        ),
        ("x4-kueue-manager-config-merge-key-fixed", External, vec![]),
        (
            "x4-kueue-manager-config-last-key-wins",
            External,
            vec![(Rule::X4, DATA, self_signed("Kueue"))],
        ),
        ("x4-kueue-manager-config-last-key-fixed", External, vec![]),
        // Read as go-yaml reads it (libyaml's scanner), not refused as a
        // syntax error: judged on its `enable`.
        (
            "x4-kueue-manager-config-flow-list-enables",
            External,
            vec![(Rule::X4, DATA, self_signed("Kueue"))],
        ),
        ("x4-kueue-manager-config-flow-list-fixed", External, vec![]),
        (
            "x4-kueue-manager-config-bool-tag-no",
            Internal,
            vec![(Rule::X4, DATA, "enable false".into())],
        ),
        ("x4-kueue-manager-config-bool-tag-no", External, vec![]),
        ("x4-kueue-manager-config-bool-tag-yes", Internal, vec![]),
        (
            "x4-kueue-manager-config-quoted-false",
            External,
            vec![(Rule::Type, DATA, "expected boolean, got string".into())],
        ),
        ("kueue-manager-config-cert-manager", External, vec![]),
        (
            "x4-kueue-manager-config-broken-second-document",
            External,
            vec![(Rule::X4, DATA, self_signed("Kueue"))],
        ),
        (
            "x4-kueue-manager-config-broken-second-document-fixed",
            External,
            vec![],
        ),
        (
            "x4-kueue-manager-config-escaped-api-version",
            External,
            vec![(Rule::X4, DATA, self_signed("Kueue"))],
        ),
        (
            "x4-kueue-manager-config-escaped-api-version-fixed",
            External,
            vec![],
        ),
        (
            "x4-kueue-manager-config-binary-data",
            External,
            vec![(Rule::X4, BINARY, self_signed("Kueue"))],
        ),
        (
            "x4-kueue-manager-config-binary-data-fixed",
            External,
            vec![],
        ),
        (
            "x4-jobset-manager-config",
            External,
            vec![(Rule::X4, DATA, self_signed("JobSet"))],
        ),
        ("x4-jobset-manager-config-cert-manager", External, vec![]),
        (
            "x4-jobset-manager-config-cert-manager",
            Internal,
            vec![(
                Rule::X4,
                DATA,
                "JobSet Configuration has internalCertManagement.enable false".into(),
            )],
        ),
        (
            "x4-lws-manager-config",
            External,
            vec![(Rule::X4, DATA, self_signed("LeaderWorkerSet"))],
        ),
        ("x4-lws-manager-config-cert-manager", External, vec![]),
    ];
    for (name, mode, want) in cases {
        let start = std::time::Instant::now();
        let r = run(&fixture_object(name), mode, None);
        assert!(
            start.elapsed().as_secs() < 2,
            "{name}: {:?}",
            start.elapsed()
        );
        assert_eq!(
            rules(&r),
            want.iter()
                .map(|(rule, path, _)| (*rule, path.to_string()))
                .collect::<Vec<_>>(),
            "{name} ({mode:?})"
        );
        for (v, (_, _, part)) in r.violations.iter().zip(&want) {
            assert!(v.detail.contains(part.as_str()), "{name}: {}", v.detail);
        }
    }
}

/// Unknown `enable` in `auto` mode: rejected only next to a metrics Certificate.
#[test]
fn x4_auto_unreadable() {
    let bomb = fixture_object("x4-kueue-manager-config-alias-bomb");
    let with_cert = FakeCluster::default().with(
        LookupKind::Certificate,
        "kueue-system",
        vec![metrics_cert()],
    );
    let r = run(&bomb, CertManagement::Auto, Some(&Lookups::new(&with_cert)));
    assert_eq!(rules(&r), vec![(Rule::X4, PATH.to_string())]);
    assert!(r.violations[0].detail.contains("KEP-4377"));
    assert!(r.violations[0].detail.contains("excessive aliasing"));
    let none = FakeCluster::default().with(LookupKind::Certificate, "kueue-system", vec![]);
    assert!(run(&bomb, CertManagement::Auto, Some(&Lookups::new(&none))).is_clean());
    assert!(run(&bomb, CertManagement::Auto, None).is_clean());
}

/// binaryData: base64 of UTF-8 or of UTF-16 with a byte order mark; bytes
/// that are neither, naming the family, fail closed.
#[test]
fn x4_binary_data() {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(KUEUE_CONFIG.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let mut latin1 = KUEUE_CONFIG.as_bytes().to_vec();
    latin1.extend_from_slice(b"# caf\xe9\n");
    let cases = [
        (b64(KUEUE_CONFIG.as_bytes()), vec![Reading::Enable(true)]),
        (b64(&utf16), vec![Reading::Enable(true)]),
        (b64(&latin1), vec![unreadable("the value is not UTF-8")]),
        (b64(b"\xff\xfeplain"), vec![]),
        ("not base64!".into(), vec![]),
    ];
    for (encoded, want) in cases {
        let got: Vec<Reading> = binary_configurations(&encoded, &mut Budget::new())
            .into_iter()
            .map(|f| f.reading)
            .collect();
        assert!(same(&got, &want), "{encoded}: {got:?}");
    }
}

/// The family: each controller named by its group, any version.
#[test]
fn x4_family() {
    for (group, controller) in [
        ("config.kueue.x-k8s.io/v1beta1", Controller::Kueue),
        ("config.jobset.x-k8s.io/v1alpha1", Controller::JobSet),
        ("config.lws.x-k8s.io/v1alpha1", Controller::LeaderWorkerSet),
    ] {
        let text = format!(
            "apiVersion: {group}\nkind: Configuration\ninternalCertManagement:\n  enable: false\n"
        );
        assert_eq!(
            configurations(&text, &mut Budget::new()),
            vec![Found {
                controller,
                reading: Reading::Enable(false)
            }]
        );
    }
    let other = "apiVersion: config.example.x-k8s.io/v1\nkind: Configuration\n";
    assert!(configurations(other, &mut Budget::new()).is_empty());
}

/// The prefilter's escape and tag clauses: what may spell a Configuration
/// otherwise than as written is parsed; PromQL, scripts and Windows paths
/// are not.
#[test]
fn x4_prefilter() {
    for text in [
        "kind: !!binary Q29uZmlndXJhdGlvbg==",
        "kind: &k !!str Configuration",
        "kind: &k\t!custom x",
        "- !!binary eA==",
        "[!!binary eA==]",
        "{a: 1,!x b}",
        "!!binary a2luZA==: x",
        "  !!str kind: x",
        "--- !!map\na: b",
        "a!! b",
        "kind: \"Configur\\u0061tion\"",
        "x: \"a\\\n  b\"",
    ] {
        assert!(may_be_spelled(text), "{text:?} must be parsed");
    }
    for text in [
        "expr: sum(rate(x[5m])) != 0",
        "expr: up{job!=\"kueue\"} == 0",
        "#!/bin/sh\nif ! true; then exit 1; fi\n",
        "path: C:\\dir\\file",
        "re: 'a\\d+'",
        "x!y!z !w",
        "",
    ] {
        assert!(!may_be_spelled(text), "{text:?} need not be parsed");
    }
    // Linear: a megabyte of `!`s inside tokens, and of spaced ones.
    let start = std::time::Instant::now();
    assert!(!may_be_spelled(&"x!".repeat(1 << 19)));
    assert!(!may_be_spelled(&"x ! ".repeat(1 << 18)));
    assert!(!may_be_spelled(
        &format!("{} !", "a".repeat(1000)).repeat(1000)
    ));
    assert!(start.elapsed().as_secs() < 2);
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 500,
        failure_persistence: None,
        ..Default::default()
    })]

    /// Any text the prefilter lets through is read without a panic, within
    /// the budget: YAML punctuation, tags, anchors and escapes around the
    /// family's words.
    #[test]
    fn x4_any_text_is_read(text in "([-:?,&*!|>'\"\\[\\]{}<#%@` \\t\\n\\\\]|a|&a|\\*a|<<|!!binary|!!bool|no|Configuration|config.kueue.x-k8s.io/v1|apiVersion|kind|internalCertManagement|enable|---|\\.\\.\\.){0,40}") {
        let mut budget = Budget::new();
        for f in configurations(&text, &mut budget) {
            if let Reading::Unreadable(why) = &f.reading {
                proptest::prop_assert!(!why.is_empty());
            }
        }
    }
}
