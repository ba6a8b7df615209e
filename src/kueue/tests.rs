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

fn settings(mode: CertManagement) -> Settings {
    Settings {
        cert_management: mode,
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
    review(&obj, &settings(mode), "kueue-system", lookups, &mut report);
    report
}

fn rules(r: &Report) -> Vec<(Rule, String)> {
    r.violations
        .iter()
        .map(|v| (v.rule, v.path.as_str().to_string()))
        .collect()
}

const PATH: &str = "data[controller_manager_config.yaml]";

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
