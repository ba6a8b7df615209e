//! Table tests for W5, X1, X2 and X3 (SPEC sections 5 and 7). Each case is
//! an inline Deployment run through the whole review.

use crate::report::Report;
use crate::rule::Rule;
use crate::settings::Settings;
use crate::testing::{findings, report};
use serde_json::{json, Value};

pub(crate) const C0: &str = "spec.template.spec.containers[0]";
pub(crate) const METRICS_DIR: &str = "/tmp/k8s-metrics-server/metrics-certs";
pub(crate) const WEBHOOK_DIR: &str = "/tmp/k8s-webhook-server/serving-certs";

pub(crate) fn settings(v: Value) -> Settings {
    crate::review::validate_settings(&v).expect("valid settings")
}

/// A Deployment with the given pod spec.
pub(crate) fn deployment(pod_spec: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "controller-manager", "namespace": "project-system"},
        "spec": {
            "selector": {"matchLabels": {"control-plane": "controller-manager"}},
            "template": {
                "metadata": {"labels": {"control-plane": "controller-manager"}},
                "spec": pod_spec
            }
        }
    })
}

/// The Kubebuilder manager container with `args` and `mounts`.
pub(crate) fn manager(args: Value, mounts: Value) -> Value {
    json!({"name": "manager", "image": "controller:latest", "command": ["/manager"],
           "args": args, "volumeMounts": mounts})
}

pub(crate) fn secret_volume(name: &str, secret: &str) -> Value {
    json!({"name": name, "secret": {"secretName": secret}})
}

pub(crate) fn mount(name: &str, path: &str) -> Value {
    json!({"name": name, "mountPath": path, "readOnly": true})
}

/// The webhook certificate volume and mount of the cert-manager layout.
pub(crate) fn webhook_volume() -> Value {
    secret_volume("webhook-certs", "webhook-server-cert")
}

pub(crate) fn webhook_mount() -> Value {
    mount("webhook-certs", WEBHOOK_DIR)
}

pub(crate) fn run(object: Value, s: &Settings) -> (Report, Option<Value>) {
    report("Deployment", object, s)
}

/// The (rule, path) findings with injection off, so repairable findings show.
fn no_inject(object: Value, mode: &str) -> Vec<(String, String)> {
    let s = settings(json!({"certManagement": mode, "injectMetricsCertMount": false}));
    let (r, m) = run(object, &s);
    assert!(m.is_none());
    // Only this module's rules: W1 to W4 have their own tables.
    findings(&r)
        .into_iter()
        .filter(|(rule, _)| !matches!(rule.as_str(), "W1" | "W2" | "W3" | "W4"))
        .collect()
}

/// `(rule, path)` of a finding.
type Finding = (String, String);

fn f(rule: &str, path: &str) -> Finding {
    (rule.to_string(), path.to_string())
}

#[test]
fn w5_certificate_directories_must_be_mounted() {
    let tls_env = |cert: &str| {
        json!([{"name": "METRICS_PROMETHEUS_TLS_CERT", "value": cert},
               {"name": "METRICS_PROMETHEUS_TLS_KEY", "value": "/etc/metrics-tls/tls.key"}])
    };
    let knative = |mounts: Value, cert: &str| {
        json!({"containers": [{"name": "controller", "image": "ko://controller",
                               "env": tls_env(cert), "volumeMounts": mounts}]})
    };
    let cases: Vec<(&str, Value, Vec<Finding>)> = vec![
        (
            "flag without mount",
            json!({"containers": [manager(json!(["--metrics-bind-address=:8443", "--metrics-cert-path=/certs"]), json!([]))]}),
            vec![f("W5", &format!("{C0}.args[1]"))],
        ),
        (
            "flag in the `--flag value` form",
            json!({"containers": [manager(json!(["--metrics-cert-path", "/certs"]), json!([]))]}),
            vec![f("W5", &format!("{C0}.args[0]"))],
        ),
        (
            "flag mounted exactly",
            json!({"volumes": [secret_volume("c", "mine")],
                   "containers": [manager(json!(["--metrics-cert-path=/certs"]), json!([mount("c", "/certs")]))]}),
            vec![],
        ),
        (
            "trailing slashes are the same directory",
            json!({"volumes": [secret_volume("c", "mine")],
                   "containers": [manager(json!(["--metrics-cert-path=/certs/"]), json!([mount("c", "/certs//")]))]}),
            vec![],
        ),
        (
            "a parent mount covers",
            json!({"volumes": [{"name": "tmp", "emptyDir": {}}],
                   "containers": [manager(json!([format!("--metrics-cert-path={METRICS_DIR}")]), json!([mount("tmp", "/tmp")]))]}),
            vec![],
        ),
        (
            "a sibling with a common prefix does not cover",
            json!({"volumes": [secret_volume("c", "mine")],
                   "containers": [manager(json!(["--metrics-cert-path=/certs"]), json!([mount("c", "/cert")]))]}),
            vec![f("W5", &format!("{C0}.args[0]"))],
        ),
        (
            "Knative env without mount: both files reported",
            knative(json!([]), "/etc/metrics-tls/tls.crt"),
            vec![
                f("W5", &format!("{C0}.env[0].value")),
                f("W5", &format!("{C0}.env[1].value")),
            ],
        ),
        (
            "Knative env mounted",
            knative(
                json!([mount("tls", "/etc/metrics-tls")]),
                "/etc/metrics-tls/tls.crt",
            ),
            vec![],
        ),
        (
            "a subPath mount of the file itself covers it",
            knative(
                json!([
                    mount("tls", "/etc/metrics-tls/tls.crt"),
                    mount("tls", "/etc/metrics-tls/tls.key")
                ]),
                "/etc/metrics-tls/tls.crt",
            ),
            vec![],
        ),
        (
            "relative path without workingDir cannot be checked",
            json!({"containers": [manager(json!(["--metrics-cert-path=certs"]), json!([]))]}),
            vec![],
        ),
        (
            "relative path resolved against workingDir",
            json!({"containers": [{"name": "manager", "workingDir": "/app",
                                   "args": ["--metrics-cert-path=certs"]}]}),
            vec![f("W5", &format!("{C0}.args[0]"))],
        ),
        (
            "valueFrom is trusted",
            json!({"containers": [{"name": "c", "env": [{"name": "METRICS_PROMETHEUS_TLS_CERT",
                   "valueFrom": {"configMapKeyRef": {"name": "x", "key": "y"}}}]}]}),
            vec![],
        ),
        (
            "init containers are checked",
            json!({"initContainers": [{"name": "init", "args": ["--metrics-cert-path=/certs"]}],
                   "containers": [{"name": "app"}]}),
            vec![f("W5", "spec.template.spec.initContainers[0].args[0]")],
        ),
    ];
    for (name, pod, expected) in cases {
        for mode in ["auto", "external", "internal"] {
            let got: Vec<_> = no_inject(deployment(pod.clone()), mode)
                .into_iter()
                .filter(|(rule, _)| rule == "W5")
                .collect();
            assert_eq!(got, expected, "{name} ({mode})");
        }
    }
}

#[test]
fn w5_message_names_the_flag_directory_and_remedy() {
    let obj = deployment(
        json!({"containers": [manager(json!(["--metrics-cert-path=/certs"]), json!([]))]}),
    );
    let (r, _) = run(obj, &settings(json!({"injectMetricsCertMount": false})));
    let d = &r.violations[0].detail;
    for part in [
        "--metrics-cert-path names /certs",
        "container \"manager\"",
        "covers /certs",
        "mount Secret \"metrics-server-cert\" read-only at /certs",
        "injectMetricsCertMount: true",
    ] {
        assert!(d.contains(part), "{d} lacks {part}");
    }
}

#[test]
fn w5_files_the_secret_does_not_provide_are_not_repaired() {
    let cases = [
        json!({"containers": [{"name": "c", "env": [{"name": "METRICS_PROMETHEUS_TLS_CERT", "value": "/etc/tls/server.pem"}]}]}),
        json!({"containers": [manager(json!(["--metrics-cert-path=/certs", "--metrics-cert-name=cert.pem"]), json!([]))]}),
        json!({"containers": [{"name": "c", "env": [{"name": "METRICS_PROMETHEUS_TLS_CERT", "value": "/tls.crt"}]}]}),
    ];
    for pod in cases {
        let (mut r, m) = run(deployment(pod.clone()), &Settings::default());
        assert!(m.is_none(), "{pod}");
        // A certificate without its key also breaks W1; this test is about W5.
        r.violations.retain(|v| v.rule != "W1");
        assert_eq!(r.violations.len(), 1, "{pod}: {r:?}");
        assert_eq!(r.violations[0].rule, "W5");
        assert!(
            r.violations[0]
                .detail
                .contains("cannot repair this by injection"),
            "{:?}",
            r.violations[0]
        );
    }
}

#[test]
fn x1_internal_mode_rejects_issuer_certificates() {
    let internal = |pod: Value| no_inject(deployment(pod), "internal");
    let layout = json!({"volumes": [secret_volume("metrics-certs", "metrics-server-cert")],
        "containers": [manager(json!(["--metrics-bind-address=:8443", format!("--metrics-cert-path={METRICS_DIR}")]),
                               json!([mount("metrics-certs", METRICS_DIR)]))]});
    assert_eq!(
        internal(layout.clone()),
        vec![f("X1", &format!("{C0}.volumeMounts[0]"))]
    );
    for mode in ["auto", "external"] {
        assert!(
            no_inject(deployment(layout.clone()), mode).is_empty(),
            "{mode}"
        );
    }
    // The metrics Secret mounted anywhere, even without flags.
    let anywhere = json!({"volumes": [secret_volume("m", "metrics-server-cert")],
        "containers": [{"name": "kueue", "volumeMounts": [mount("m", "/etc/kueue/metrics-certs")]}]});
    assert_eq!(
        internal(anywhere),
        vec![f("X1", &format!("{C0}.volumeMounts[0]"))]
    );
    // Another Secret at the container's metrics certificate directory.
    let other = json!({"volumes": [{"name": "x", "emptyDir": {}}, secret_volume("mine", "my-cert")],
        "containers": [manager(json!(["--metrics-cert-path=/certs"]), json!([mount("x", "/tmp"), mount("mine", "/certs")]))]});
    assert_eq!(
        internal(other),
        vec![f("X1", &format!("{C0}.volumeMounts[1]"))]
    );
    // A projected volume with the Secret as a source.
    let projected = json!({"volumes": [{"name": "p", "projected": {"sources": [{"secret": {"name": "metrics-server-cert"}}]}}],
        "containers": [{"name": "c", "volumeMounts": [mount("p", "/anywhere")]}]});
    assert_eq!(
        internal(projected),
        vec![f("X1", &format!("{C0}.volumeMounts[0]"))]
    );
    // Without flags the directory is metricsCertMountPath.
    let default_dir = json!({"volumes": [secret_volume("mine", "my-cert")],
        "containers": [{"name": "c", "volumeMounts": [mount("mine", METRICS_DIR)]}]});
    assert_eq!(
        internal(default_dir),
        vec![f("X1", &format!("{C0}.volumeMounts[0]"))]
    );
    // A non-Secret volume at the directory, or a Secret elsewhere, is fine.
    let fine = json!({"volumes": [{"name": "e", "emptyDir": {}}, webhook_volume()],
        "containers": [manager(json!(["--metrics-cert-path=/certs", "--metrics-bind-address=:8443"]),
                               json!([mount("e", "/certs"), webhook_mount()]))]});
    assert!(internal(fine).is_empty());
}

#[test]
fn x1_message_names_the_secret_and_the_remedy() {
    let obj = deployment(
        json!({"volumes": [secret_volume("metrics-certs", "metrics-server-cert")],
        "containers": [manager(json!([]), json!([mount("metrics-certs", METRICS_DIR)]))]}),
    );
    let (r, _) = run(obj, &settings(json!({"certManagement": "internal"})));
    let d = &r.violations[0].detail;
    assert!(
        d.contains("mounts Secret \"metrics-server-cert\" (volume \"metrics-certs\")"),
        "{d}"
    );
    assert!(
        d.contains("KEP-4377") && d.contains("certManagement to external or auto"),
        "{d}"
    );
}

#[test]
fn x2_external_metrics_with_internal_webhooks() {
    let metrics = || {
        (
            secret_volume("metrics-certs", "metrics-server-cert"),
            mount("metrics-certs", METRICS_DIR),
        )
    };
    let (mv, mm) = metrics();
    let by_port = json!({"volumes": [mv], "containers": [{"name": "manager",
        "args": [format!("--metrics-cert-path={METRICS_DIR}")], "volumeMounts": [mm],
        "ports": [{"name": "webhook-server", "containerPort": 9443}]}]});
    let (mv, mm) = metrics();
    let by_flag = json!({"volumes": [mv], "containers": [manager(
        json!([format!("--metrics-cert-path={METRICS_DIR}"), "--webhook-cert-path=/webhook"]), json!([mm]))]});
    let (mv, mm) = metrics();
    let with_webhook_secret = json!({"volumes": [mv, webhook_volume()], "containers": [{"name": "manager",
        "args": [format!("--metrics-cert-path={METRICS_DIR}"), format!("--webhook-cert-path={WEBHOOK_DIR}")],
        "volumeMounts": [mm, webhook_mount()], "ports": [{"name": "webhook-server", "containerPort": 9443}]}]});
    let (mv, mm) = metrics();
    let webhook_flag_elsewhere = json!({"volumes": [mv, webhook_volume()], "containers": [manager(
        json!(["--webhook-cert-path=/webhook"]), json!([mm, webhook_mount()]))]});
    let (mv, mm) = metrics();
    let no_webhooks = json!({"volumes": [mv], "containers": [manager(json!([]), json!([mm]))]});
    let webhooks_only = json!({"containers": [{"name": "manager", "ports": [{"name": "webhook-server", "containerPort": 9443}]}]});
    for mode in ["auto", "external"] {
        let x2 = |pod: &Value| {
            no_inject(deployment(pod.clone()), mode)
                .into_iter()
                .filter(|(r, _)| r == "X2")
                .collect::<Vec<_>>()
        };
        assert_eq!(x2(&by_port), vec![f("X2", C0)], "{mode}");
        assert_eq!(x2(&by_flag), vec![f("X2", C0)], "{mode}");
        assert!(x2(&with_webhook_secret).is_empty(), "{mode}");
        assert_eq!(x2(&webhook_flag_elsewhere), vec![f("X2", C0)], "{mode}");
        assert!(x2(&no_webhooks).is_empty(), "{mode}");
        assert!(x2(&webhooks_only).is_empty(), "{mode}");
    }
    assert_eq!(
        no_inject(deployment(by_port), "internal"),
        vec![f("X1", &format!("{C0}.volumeMounts[0]"))]
    );
}

#[test]
fn x2_message_names_the_evidence() {
    let obj = deployment(
        json!({"volumes": [secret_volume("metrics-certs", "metrics-server-cert")],
        "containers": [{"name": "manager", "volumeMounts": [mount("metrics-certs", "/etc/kueue/metrics-certs")],
                        "ports": [{"name": "webhook-server", "containerPort": 9443}]}]}),
    );
    let (r, m) = run(obj, &Settings::default());
    assert!(m.is_none());
    let d = &r.violations[0].detail;
    assert!(
        d.contains(
            "Secret \"metrics-server-cert\" (volume \"metrics-certs\") at /etc/kueue/metrics-certs"
        ),
        "{d}"
    );
    assert!(
        d.contains("port webhook-server") && d.contains(WEBHOOK_DIR) && d.contains("unsupported"),
        "{d}"
    );
}

/// X3 with injection off: `X3` (a violation), `warn` (an X3 warning only)
/// or `` (nothing).
fn x3_outcome(pod: &Value, mode: &str) -> &'static str {
    let s = settings(json!({"certManagement": mode, "injectMetricsCertMount": false}));
    let (r, m) = run(deployment(pod.clone()), &s);
    assert!(m.is_none());
    let violation = r.violations.iter().any(|v| v.rule == crate::rule::Rule::X3);
    let warned = r.warnings.iter().any(|w| w.rule == Rule::X3);
    match (violation, warned) {
        (true, false) => "X3",
        (false, true) => "warn",
        (false, false) => "",
        (true, true) => "both",
    }
}

#[test]
fn x3_secure_metrics_without_issuer_certificates() {
    let webhooks = |args: Value| json!({"volumes": [webhook_volume()], "containers": [manager(args, json!([webhook_mount()]))]});
    let scaffold = |args: Value| json!({"containers": [manager(args, json!([]))]});
    let evidence = "--webhook-cert-path=/tmp/k8s-webhook-server/serving-certs";
    let pod_ip = json!({"volumes": [webhook_volume()], "containers": [{"name": "manager",
        "command": ["/manager"], "args": ["--metrics-bind-address=$(POD_IP):8443", evidence],
        "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        "volumeMounts": [webhook_mount()]}]});
    // (name, pod, auto, external)
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        // With evidence that the binary knows --metrics-cert-path: repairable.
        (
            "webhooks from a Secret, --webhook-cert-path",
            webhooks(json!(["--metrics-bind-address=:8443", evidence])),
            "X3",
            "X3",
        ),
        (
            "--metrics-cert-name",
            webhooks(json!([
                "--metrics-bind-address=:8443",
                "--metrics-cert-name=tls.crt"
            ])),
            "X3",
            "X3",
        ),
        (
            "bare --metrics-secure",
            webhooks(json!([
                "--metrics-bind-address=:8443",
                "--metrics-secure",
                evidence
            ])),
            "X3",
            "X3",
        ),
        (
            "webhook secret at --webhook-cert-path",
            json!({"volumes": [webhook_volume()], "containers": [manager(
            json!(["--metrics-bind-address=:8443", "--webhook-cert-path=/w"]), json!([mount("webhook-certs", "/w")]))]}),
            "X3",
            "X3",
        ),
        ("pod IP from the downward API", pod_ip, "X3", "X3"),
        // Without evidence: a warning in auto mode, a rejection in external mode.
        (
            "webhooks from a Secret, no evidence",
            webhooks(json!(["--metrics-bind-address=:8443", "--leader-elect"])),
            "warn",
            "X3",
        ),
        (
            "scaffold without cert-manager",
            scaffold(json!(["--metrics-bind-address=:8443", "--leader-elect"])),
            "",
            "X3",
        ),
        (
            "webhook dir not a Secret",
            json!({"volumes": [{"name": "e", "emptyDir": {}}], "containers": [manager(
            json!(["--metrics-bind-address=:8443"]), json!([mount("e", WEBHOOK_DIR)]))]}),
            "",
            "X3",
        ),
        // Not an exposed secure server.
        (
            "loopback behind kube-rbac-proxy",
            webhooks(json!(["--metrics-bind-address=127.0.0.1:8080", evidence])),
            "",
            "",
        ),
        (
            "localhost",
            webhooks(json!(["--metrics-bind-address=localhost:8443", evidence])),
            "",
            "",
        ),
        (
            "--metrics-secure=false",
            webhooks(json!([
                "--metrics-bind-address=127.0.0.1:8443",
                "--metrics-secure=false"
            ])),
            "",
            "",
        ),
        (
            "metrics off",
            webhooks(json!(["--metrics-bind-address=0", evidence])),
            "",
            "",
        ),
        (
            "no bind address",
            webhooks(json!(["--leader-elect", evidence])),
            "",
            "",
        ),
        (
            "already has --metrics-cert-path",
            json!({"volumes": [webhook_volume(), secret_volume("m", "metrics-server-cert")],
            "containers": [manager(json!(["--metrics-bind-address=:8443", "--metrics-cert-path=/certs"]),
                                   json!([webhook_mount(), mount("m", "/certs")]))]}),
            "",
            "",
        ),
        // Every reading counts: one parser reads an exposed address.
        // (the positional also stops Go's flag: no flag can be appended)
        (
            "exposed in one reading",
            webhooks(json!([
                "--metrics-bind-address=:8443",
                "run",
                "--metrics-bind-address=127.0.0.1:8443",
                evidence
            ])),
            "warn",
            "X3",
        ),
        // A shell script: an appended flag would not reach the binary.
        (
            "sh -c",
            json!({"volumes": [webhook_volume()], "containers": [{"name": "manager",
            "command": ["/bin/sh", "-c"], "args": [format!("exec /manager --metrics-bind-address=:8443 {evidence}")],
            "volumeMounts": [webhook_mount()]}]}),
            "warn",
            "X3",
        ),
    ];
    for (name, pod, auto, external) in cases {
        assert_eq!(x3_outcome(&pod, "auto"), auto, "{name} (auto)");
        assert_eq!(x3_outcome(&pod, "external"), external, "{name} (external)");
        assert_eq!(x3_outcome(&pod, "internal"), "", "{name} (internal)");
    }
}

#[test]
fn x3_message_says_why_and_what_to_add() {
    let obj = deployment(json!({"volumes": [webhook_volume()],
        "containers": [manager(json!(["--metrics-bind-address=:8443", "--webhook-cert-path=/tmp/k8s-webhook-server/serving-certs"]), json!([webhook_mount()]))]}));
    let (r, _) = run(obj, &settings(json!({"injectMetricsCertMount": false})));
    let d = &r.violations[0].detail;
    for part in [
        "--metrics-bind-address=:8443 on every interface",
        "no --metrics-cert-path",
        "Secret \"webhook-server-cert\" mounted at /tmp/k8s-webhook-server/serving-certs",
        "add --metrics-cert-path=/tmp/k8s-metrics-server/metrics-certs",
        "Secret \"metrics-server-cert\"",
    ] {
        assert!(d.contains(part), "{d} lacks {part}");
    }
}

#[test]
fn x3_without_evidence_names_the_flag_to_add() {
    let obj = deployment(json!({"volumes": [webhook_volume()],
        "containers": [manager(json!(["--metrics-bind-address=:8443"]), json!([webhook_mount()]))]}));
    let (r, m) = run(obj.clone(), &settings(json!({})));
    assert!(
        m.is_none(),
        "auto mode without evidence injects nothing at all"
    );
    assert!(r.is_clean());
    let w = &r.warnings[0];
    assert_eq!((w.rule, w.path.as_str()), (Rule::X3, C0));
    for part in [
        "--metrics-cert-path=/tmp/k8s-metrics-server/metrics-certs",
        "once the binary supports it",
        "Secret \"metrics-server-cert\" must exist",
    ] {
        assert!(w.detail.contains(part), "{w:?} lacks {part}");
    }
    let (r, m) = run(obj, &settings(json!({"certManagement": "external"})));
    assert!(m.is_none());
    assert_eq!(findings(&r), vec![f("X3", C0)]);
}

/// Without evidence, and a Secret one of metricsCertSecretName's globs
/// matches already mounted at a directory: the advice asks only for the
/// flag, naming that Secret (not the first entry, which is not mounted).
#[test]
fn x3_advice_for_a_mounted_glob_secret_asks_only_for_the_flag() {
    let obj = deployment(
        json!({"volumes": [webhook_volume(), secret_volume("m", "other-metrics-server-cert")],
        "containers": [manager(json!(["--metrics-bind-address=:8443"]), json!([webhook_mount(), mount("m", "/srv/x")]))]}),
    );
    let s = settings(json!({"certManagement": "external",
        "metricsCertSecretName": ["metrics-server-cert", "*-metrics-server-cert"]}));
    let (r, m) = run(obj, &s);
    assert!(m.is_none());
    assert_eq!(findings(&r), vec![f("X3", C0)]);
    let d = &r.violations[0].detail;
    assert!(
        d.contains("add --metrics-cert-path=/srv/x (Secret \"other-metrics-server-cert\" is mounted there already)")
            && d.contains("to let the policy add it;")
            && !d.contains("Secret \"metrics-server-cert\""),
        "{d}"
    );
}

#[test]
fn x3_invalid_metrics_secure_is_reported_once() {
    let obj = deployment(json!({"volumes": [webhook_volume()],
        "containers": [manager(json!(["--metrics-bind-address=:8443", "--metrics-secure=no"]), json!([webhook_mount()]))]}));
    let (r, m) = run(obj, &Settings::default());
    assert!(m.is_none());
    assert_eq!(findings(&r), vec![f("invalid", &format!("{C0}.args[1]"))]);
}

#[test]
fn wrong_types_are_reported_not_accepted() {
    let obj = deployment(json!({"volumes": {"name": "x"},
        "containers": [{"name": "manager", "args": ["--metrics-cert-path=/certs"],
                        "volumeMounts": [{"name": "a", "mountPath": 3}], "ports": "webhook-server"}]}));
    let (r, m) = run(obj, &Settings::default());
    assert!(m.is_none());
    let got = findings(&r);
    assert!(
        got.contains(&f("type", "spec.template.spec.volumes")),
        "{got:?}"
    );
    assert!(
        got.contains(&f("type", &format!("{C0}.volumeMounts[0].mountPath"))),
        "{got:?}"
    );
    assert!(got.contains(&f("type", &format!("{C0}.ports"))), "{got:?}");
    assert!(
        !got.iter().any(|(rule, _)| rule == "W5"),
        "repairable findings are not listed: {got:?}"
    );
    assert!(r.warnings.is_empty());
}
