//! Injection (SPEC sections 6 and 7): the exact edit, reuse, conflicts,
//! targeting, refusals and idempotence.

use crate::report::Report;
use crate::rule::Rule;
use crate::settings::Settings;
use crate::testing::{findings, report};
use crate::workloads::certs::tests::{
    deployment, manager, mount, run, secret_volume, settings, webhook_mount, webhook_volume, C0,
    METRICS_DIR, WEBHOOK_DIR,
};
use serde_json::{json, Value};

/// A flag that shows the binary knows `--metrics-cert-path` (SPEC 9).
const EVIDENCE: &str = "--webhook-cert-path=/tmp/k8s-webhook-server/serving-certs";

fn f(rule: &str, path: &str) -> (String, String) {
    (rule.to_string(), path.to_string())
}

/// Runs the review, expects a mutation, and checks that the policy applied
/// to its own output changes nothing and says nothing.
fn repaired(kind: &str, object: Value, s: &Settings) -> (Report, Value) {
    let (r, m) = report(kind, object, s);
    assert!(r.is_clean(), "{:?}", r.violations);
    let m = m.expect("a mutation");
    let (again, m2) = report(kind, m.clone(), s);
    assert!(
        again.is_clean() && again.warnings.is_empty(),
        "second pass: {again:?}"
    );
    assert!(m2.is_none(), "second pass mutated again");
    (r, m)
}

fn spec(m: &Value) -> &Value {
    &m["spec"]["template"]["spec"]
}

fn new_volume() -> Value {
    json!({"name": "metrics-certs", "secret": {"secretName": "metrics-server-cert", "optional": false}})
}

/// The Kubebuilder layout with webhooks from cert-manager and no metrics certificate.
fn webhooks_only(args: Value) -> Value {
    deployment(
        json!({"volumes": [webhook_volume()], "containers": [manager(args, json!([webhook_mount()]))]}),
    )
}

#[test]
fn inject_x3_adds_volume_mount_and_flag() {
    let obj = webhooks_only(json!([
        "--metrics-bind-address=:8443",
        "--leader-elect",
        EVIDENCE
    ]));
    let (r, m) = repaired("Deployment", obj, &Settings::default());
    let spec = spec(&m);
    assert_eq!(spec["volumes"], json!([webhook_volume(), new_volume()]));
    assert_eq!(
        spec["containers"][0]["volumeMounts"],
        json!([webhook_mount(), mount("metrics-certs", METRICS_DIR)])
    );
    assert_eq!(
        spec["containers"][0]["args"],
        json!([
            "--metrics-bind-address=:8443",
            "--leader-elect",
            EVIDENCE,
            format!("--metrics-cert-path={METRICS_DIR}")
        ])
    );
    assert_eq!(spec["containers"][0]["command"], json!(["/manager"]));
    assert_eq!(r.warnings.len(), 1);
    let w = &r.warnings[0];
    assert_eq!((w.rule, w.path.as_str()), (Rule::X3, C0));
    for part in [
        "volume \"metrics-certs\" from Secret \"metrics-server-cert\"",
        "read-only mount",
        METRICS_DIR,
        "container \"manager\"",
        "--metrics-cert-path=",
    ] {
        assert!(w.detail.contains(part), "{w:?} lacks {part}");
    }
}

#[test]
fn inject_x3_external_mode_on_the_plain_scaffold() {
    let mut obj = deployment(
        json!({"containers": [manager(json!(["--metrics-bind-address=:8443"]), json!(null))]}),
    );
    assert!(
        run(obj.clone(), &Settings::default()).1.is_none(),
        "auto: untouched"
    );
    let external = settings(json!({"certManagement": "external"}));
    let (r, m) = run(obj.clone(), &external);
    assert!(m.is_none(), "no evidence the binary knows the flag");
    assert_eq!(findings(&r), vec![f("X3", C0)]);
    // The opt-in annotation is that evidence.
    obj["metadata"]["annotations"] = json!({"secure-metrics/inject-metrics-certs": "true"});
    let (_, m) = repaired(
        "Deployment",
        obj,
        &settings(json!({"certManagement": "external"})),
    );
    assert_eq!(
        spec(&m)["containers"][0]["volumeMounts"],
        json!([mount("metrics-certs", METRICS_DIR)])
    );
}

#[test]
fn inject_x3_uses_the_directory_where_the_secret_is_already_mounted() {
    let obj = deployment(
        json!({"volumes": [webhook_volume(), secret_volume("m", "metrics-server-cert")],
        "containers": [manager(json!(["--metrics-bind-address=:8443", EVIDENCE]), json!([webhook_mount(), mount("m", "/etc/metrics")]))]}),
    );
    let (r, m) = repaired("Deployment", obj.clone(), &Settings::default());
    let mut expected = obj;
    expected["spec"]["template"]["spec"]["containers"][0]["args"] = json!([
        "--metrics-bind-address=:8443",
        EVIDENCE,
        "--metrics-cert-path=/etc/metrics"
    ]);
    assert_eq!(m, expected, "only the flag is added");
    assert!(
        !r.warnings[0].detail.contains("read-only mount"),
        "{:?}",
        r.warnings[0]
    );
}

/// A Secret one of metricsCertSecretName's globs matches, already mounted:
/// its directory is the one the flag names (the policy mounted a second
/// Secret over it before, and refused its own plan as a conflict), and the
/// warning names that Secret, not the first entry.
#[test]
fn inject_x3_uses_the_directory_of_a_secret_a_glob_matches() {
    let obj = deployment(
        json!({"volumes": [webhook_volume(), secret_volume("m", "foo-metrics-server-cert")],
        "containers": [manager(json!(["--metrics-bind-address=:8443", EVIDENCE]), json!([webhook_mount(), mount("m", "/mc")]))]}),
    );
    let s = settings(
        json!({"metricsCertSecretName": ["metrics-server-cert", "*-metrics-server-cert"]}),
    );
    let (r, m) = repaired("Deployment", obj.clone(), &s);
    let mut expected = obj;
    expected["spec"]["template"]["spec"]["containers"][0]["args"] = json!([
        "--metrics-bind-address=:8443",
        EVIDENCE,
        "--metrics-cert-path=/mc"
    ]);
    assert_eq!(m, expected, "only the flag is added");
    // The warning names the Secret mounted there.
    assert!(
        r.warnings[0]
            .detail
            .ends_with("Secret \"foo-metrics-server-cert\" must exist in the namespace before the pod can start"),
        "{:?}",
        r.warnings[0]
    );
}

#[test]
fn inject_x3_creates_args_when_the_flags_are_in_command() {
    let obj = deployment(
        json!({"volumes": [webhook_volume()], "containers": [{"name": "manager",
        "command": ["/manager", "--metrics-bind-address=:8443", EVIDENCE], "volumeMounts": [webhook_mount()]}]}),
    );
    let (_, m) = repaired("Deployment", obj, &Settings::default());
    let c = &spec(&m)["containers"][0];
    assert_eq!(
        c["command"],
        json!(["/manager", "--metrics-bind-address=:8443", EVIDENCE])
    );
    assert_eq!(
        c["args"],
        json!([format!("--metrics-cert-path={METRICS_DIR}")])
    );
}

#[test]
fn inject_x3_not_attempted_when_the_flag_would_not_be_read() {
    // After `--` or a positional, Go's flag reads no more flags: appending
    // cannot repair X3, so nothing is injected (a warning in auto mode, a
    // rejection in external mode).
    for tail in [
        json!(["--", "serve"]),
        json!(["serve"]),
        json!(["$(EXTRA_FLAGS)"]),
    ] {
        let mut args = vec![json!("--metrics-bind-address=:8443"), json!(EVIDENCE)];
        args.extend(tail.as_array().unwrap().iter().cloned());
        let obj = webhooks_only(Value::Array(args));
        let (r, m) = run(obj.clone(), &Settings::default());
        assert!(m.is_none() && r.is_clean(), "{tail}: {r:?}");
        assert!(
            r.warnings[0].detail.contains("is not read as a flag"),
            "{:?}",
            r.warnings[0]
        );
        let (r, m) = run(obj, &settings(json!({"certManagement": "external"})));
        assert!(m.is_none());
        assert_eq!(findings(&r), vec![f("X3", C0)], "{tail}");
    }
}

#[test]
fn inject_x3_refused_when_it_would_break_x2() {
    // external mode, webhooks served with internal certificates: mounting
    // metrics certificates would create KEP-4377's unsupported option.
    let obj = deployment(
        json!({"containers": [{"name": "manager", "args": ["--metrics-bind-address=:8443", "--metrics-cert-name=tls.crt"],
        "ports": [{"name": "webhook-server", "containerPort": 9443}]}]}),
    );
    let (r, m) = run(obj, &settings(json!({"certManagement": "external"})));
    assert!(m.is_none() && r.warnings.is_empty());
    assert_eq!(findings(&r), vec![f("X3", C0)]);
    let d = &r.violations[0].detail;
    assert!(d.contains("cannot repair") && d.contains("[X2]"), "{d}");
}

#[test]
fn inject_w5_mounts_the_named_directory_without_a_flag() {
    let obj = deployment(
        json!({"containers": [manager(json!(["--metrics-bind-address=:8443", "--metrics-cert-path=/certs/"]), json!([]))]}),
    );
    let (r, m) = repaired("Deployment", obj, &Settings::default());
    let c = &spec(&m)["containers"][0];
    assert_eq!(c["volumeMounts"], json!([mount("metrics-certs", "/certs")]));
    assert_eq!(
        c["args"],
        json!([
            "--metrics-bind-address=:8443",
            "--metrics-cert-path=/certs/"
        ])
    );
    assert_eq!(spec(&m)["volumes"], json!([new_volume()]));
    assert!(
        r.warnings[0].rule == Rule::W5
            && r.warnings[0]
                .detail
                .contains("because --metrics-cert-path names /certs/"),
        "{:?}",
        r.warnings[0]
    );
}

#[test]
fn inject_w5_knative_env_gets_one_mount() {
    let obj = deployment(json!({"containers": [{"name": "controller", "env": [
        {"name": "METRICS_PROMETHEUS_TLS_CERT", "value": "/etc/metrics-tls/tls.crt"},
        {"name": "METRICS_PROMETHEUS_TLS_KEY", "value": "/etc/metrics-tls/tls.key"}]}]}));
    let (r, m) = repaired("Deployment", obj, &Settings::default());
    assert_eq!(
        spec(&m)["containers"][0]["volumeMounts"],
        json!([mount("metrics-certs", "/etc/metrics-tls")])
    );
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0].detail.contains("METRICS_PROMETHEUS_TLS_CERT")
            && r.warnings[0].detail.contains("METRICS_PROMETHEUS_TLS_KEY")
    );
}

#[test]
fn inject_w5_into_an_init_container() {
    let obj = deployment(
        json!({"initContainers": [{"name": "init", "args": ["--metrics-cert-path=/certs"]}],
                                "containers": [{"name": "app"}]}),
    );
    let (r, m) = repaired("Deployment", obj, &Settings::default());
    assert_eq!(
        spec(&m)["initContainers"][0]["volumeMounts"],
        json!([mount("metrics-certs", "/certs")])
    );
    assert!(spec(&m)["containers"][0].get("volumeMounts").is_none());
    assert!(crate::testing::warns(
        &r.warnings[0],
        Rule::W5,
        "spec.template.spec.initContainers[0]",
        ""
    ));
}

#[test]
fn inject_w5_refused_in_internal_mode() {
    let obj = deployment(
        json!({"containers": [manager(json!(["--metrics-cert-path=/certs"]), json!([]))]}),
    );
    let (r, m) = run(obj, &settings(json!({"certManagement": "internal"})));
    assert!(m.is_none());
    assert_eq!(findings(&r), vec![f("W5", &format!("{C0}.args[0]"))]);
    assert!(
        r.violations[0].detail.contains("[X1]"),
        "{}",
        r.violations[0].detail
    );
}

/// A StatefulSet's volume claim template named like the volume the policy
/// would add: the controller would mount the claim in its place in every
/// pod, and the container would still have no certificate (SPEC 6: a volume
/// of that name with another source is a rejection).
#[test]
fn inject_refuses_a_volume_name_a_statefulset_claim_template_takes() {
    let mut obj = deployment(
        json!({"containers": [manager(json!(["--metrics-cert-path=/certs"]), json!([]))]}),
    );
    obj["kind"] = json!("StatefulSet");
    obj["spec"]["volumeClaimTemplates"] = json!([{"metadata": {"name": "metrics-certs"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]);
    let (r, m) = report("StatefulSet", obj.clone(), &Settings::default());
    assert!(m.is_none());
    assert_eq!(
        findings(&r),
        vec![f("W5", "spec.volumeClaimTemplates[0].metadata.name")]
    );
    assert!(
        r.violations[0].detail.contains("volumeClaimTemplate"),
        "{}",
        r.violations[0].detail
    );
    // Another name is free: the volume is added.
    obj["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] = json!("data");
    repaired("StatefulSet", obj, &Settings::default());
}

#[test]
fn inject_reuses_an_existing_volume_of_the_secret_first() {
    for existing in [
        secret_volume("my-metrics", "metrics-server-cert"),
        json!({"name": "my-metrics", "projected": {"sources": [{"secret": {"name": "metrics-server-cert"}}]}}),
    ] {
        // A configMap under the configured name does not matter: reuse comes first.
        let obj = deployment(
            json!({"volumes": [{"name": "metrics-certs", "configMap": {"name": "x"}}, existing.clone()],
            "containers": [manager(json!(["--metrics-cert-path=/certs"]), json!([]))]}),
        );
        let (r, m) = repaired("Deployment", obj, &Settings::default());
        assert_eq!(
            spec(&m)["volumes"].as_array().unwrap().len(),
            2,
            "no volume added"
        );
        assert_eq!(
            spec(&m)["containers"][0]["volumeMounts"],
            json!([mount("my-metrics", "/certs")])
        );
        assert!(
            r.warnings[0]
                .detail
                .contains("volume \"my-metrics\" (Secret \"metrics-server-cert\")"),
            "{:?}",
            r.warnings[0]
        );
    }
}

#[test]
fn inject_conflicts_are_rejections() {
    let args = json!(["--metrics-cert-path=/certs"]);
    let taken = deployment(
        json!({"volumes": [{"name": "metrics-certs", "configMap": {"name": "manager-config"}}],
        "containers": [manager(args.clone(), json!([]))]}),
    );
    let (r, m) = run(taken, &Settings::default());
    assert!(m.is_none() && r.warnings.is_empty());
    assert_eq!(findings(&r), vec![f("W5", "spec.template.spec.volumes[0]")]);
    assert!(
        r.violations[0].detail.contains("source configMap")
            && r.violations[0].detail.contains("never overwrites")
    );

    // X3 at metricsCertMountPath, where another volume is mounted.
    let occupied = deployment(
        json!({"volumes": [webhook_volume(), {"name": "scratch", "emptyDir": {}}],
        "containers": [manager(json!(["--metrics-bind-address=:8443", EVIDENCE]), json!([webhook_mount(), mount("scratch", METRICS_DIR)]))]}),
    );
    let (r, m) = run(occupied, &Settings::default());
    assert!(m.is_none());
    assert_eq!(
        findings(&r),
        vec![f("X3", &format!("{C0}.volumeMounts[1]"))]
    );
    assert!(
        r.violations[0]
            .detail
            .contains("volume \"scratch\" (emptyDir) is already mounted"),
        "{}",
        r.violations[0].detail
    );
}

#[test]
fn inject_off_reports_repairable_findings() {
    let s = settings(json!({"injectMetricsCertMount": false}));
    let obj = webhooks_only(json!(["--metrics-bind-address=:8443", EVIDENCE]));
    let (r, m) = run(obj, &s);
    assert!(m.is_none());
    assert_eq!(findings(&r), vec![f("X3", C0)]);
}

fn annotated(workload: Option<Value>, template: Option<Value>, containers: Value) -> Value {
    let mut obj = deployment(json!({"containers": containers}));
    if let Some(a) = workload {
        obj["metadata"]["annotations"] = a;
    }
    if let Some(a) = template {
        obj["spec"]["template"]["metadata"]["annotations"] = a;
    }
    obj
}

#[test]
fn inject_opt_in_annotation() {
    let opt_in = json!({"secure-metrics/inject-metrics-certs": "true"});
    // The only container, on the workload or on the template.
    for (w, t) in [(Some(opt_in.clone()), None), (None, Some(opt_in.clone()))] {
        let obj = annotated(w, t, json!([{"name": "app"}]));
        let (r, m) = repaired("Deployment", obj, &Settings::default());
        assert_eq!(
            spec(&m)["containers"][0]["volumeMounts"],
            json!([mount("metrics-certs", METRICS_DIR)])
        );
        assert!(
            spec(&m)["containers"][0].get("args").is_none(),
            "no flag without X3"
        );
        assert!(r.warnings[0]
            .detail
            .contains("secure-metrics/inject-metrics-certs"));
    }
    // metricsContainerName among several.
    let obj = annotated(
        Some(opt_in.clone()),
        None,
        json!([{"name": "sidecar"}, {"name": "manager"}]),
    );
    let (_, m) = repaired("Deployment", obj, &Settings::default());
    assert!(spec(&m)["containers"][1].get("volumeMounts").is_some());
    // The container carrying metrics flags wins over the annotation.
    let obj = annotated(
        Some(
            json!({"secure-metrics/inject-metrics-certs": "true", "secure-metrics/container": "sidecar"}),
        ),
        None,
        json!([{"name": "sidecar"}, {"name": "exporter", "args": ["--metrics-bind-address=:9443"]}]),
    );
    let (_, m) = repaired("Deployment", obj, &Settings::default());
    assert!(spec(&m)["containers"][1].get("volumeMounts").is_some());
    // Already mounted: nothing to do.
    let obj = deployment(
        json!({"volumes": [secret_volume("m", "metrics-server-cert")],
        "containers": [{"name": "kueue", "volumeMounts": [mount("m", "/etc/kueue/metrics-certs")]}]}),
    );
    let mut obj = obj;
    obj["metadata"]["annotations"] = opt_in;
    let (r, m) = run(obj, &Settings::default());
    assert!(r.is_clean() && r.warnings.is_empty() && m.is_none());
}

#[test]
fn inject_annotation_targeting_template_wins() {
    let obj = annotated(
        Some(
            json!({"secure-metrics/inject-metrics-certs": "true", "secure-metrics/container": "a"}),
        ),
        Some(json!({"secure-metrics/container": "b"})),
        json!([{"name": "a"}, {"name": "b"}]),
    );
    let (_, m) = repaired("Deployment", obj, &Settings::default());
    assert!(spec(&m)["containers"][0].get("volumeMounts").is_none());
    assert_eq!(
        spec(&m)["containers"][1]["volumeMounts"],
        json!([mount("metrics-certs", METRICS_DIR)])
    );
}

#[test]
fn inject_annotation_rejections() {
    let ann = "spec.template.metadata.annotations";
    let cases = [
        // names no container
        (
            json!({"secure-metrics/inject-metrics-certs": "true", "secure-metrics/container": "nope"}),
            json!([{"name": "a"}]),
            Settings::default(),
            vec![f("invalid", &format!("{ann}[secure-metrics/container]"))],
            "no such container",
        ),
        // nothing picks a container
        (
            json!({"secure-metrics/inject-metrics-certs": "true"}),
            json!([{"name": "a"}, {"name": "b"}]),
            Settings::default(),
            vec![f(
                "invalid",
                &format!("{ann}[secure-metrics/inject-metrics-certs]"),
            )],
            "secure-metrics/container: <container name>",
        ),
        // opt-in with injection off
        (
            json!({"secure-metrics/inject-metrics-certs": "true"}),
            json!([{"name": "a"}]),
            settings(json!({"injectMetricsCertMount": false})),
            vec![f(
                "invalid",
                &format!("{ann}[secure-metrics/inject-metrics-certs]"),
            )],
            "injectMetricsCertMount: false",
        ),
        // not a boolean string
        (
            json!({"secure-metrics/inject-metrics-certs": "yes"}),
            json!([{"name": "a"}]),
            Settings::default(),
            vec![f(
                "invalid",
                &format!("{ann}[secure-metrics/inject-metrics-certs]"),
            )],
            "not \"true\" or \"false\"",
        ),
        // opt-in in internal mode would break X1
        (
            json!({"secure-metrics/inject-metrics-certs": "true"}),
            json!([{"name": "a"}]),
            settings(json!({"certManagement": "internal"})),
            vec![f(
                "X3",
                &format!("{ann}[secure-metrics/inject-metrics-certs]"),
            )],
            "[X1]",
        ),
    ];
    for (annotations, containers, s, expected, text) in cases {
        let obj = annotated(None, Some(annotations.clone()), containers);
        let (r, m) = run(obj, &s);
        assert!(m.is_none(), "{annotations}");
        assert_eq!(findings(&r), expected, "{annotations}");
        assert!(
            r.violations[0].detail.contains(text),
            "{annotations}: {}",
            r.violations[0].detail
        );
    }
    let obj = annotated(
        None,
        Some(json!({"secure-metrics/inject-metrics-certs": "false"})),
        json!([{"name": "a"}]),
    );
    let (r, m) = run(obj, &Settings::default());
    assert!(r.is_clean() && m.is_none());
}

#[test]
fn inject_on_every_workload_kind() {
    let pod = json!({"volumes": [webhook_volume()],
        "containers": [manager(json!(["--metrics-bind-address=:8443", EVIDENCE]), json!([webhook_mount()]))]});
    let template = json!({"metadata": {"labels": {"app": "m"}}, "spec": pod.clone()});
    let cases = [
        (
            "Pod",
            json!({"metadata": {"name": "m"}, "spec": pod.clone()}),
            vec!["spec"],
        ),
        (
            "StatefulSet",
            json!({"spec": {"serviceName": "m", "template": template.clone()}}),
            vec!["spec", "template", "spec"],
        ),
        (
            "DaemonSet",
            json!({"spec": {"template": template.clone()}}),
            vec!["spec", "template", "spec"],
        ),
        (
            "Job",
            json!({"spec": {"template": template.clone()}}),
            vec!["spec", "template", "spec"],
        ),
        (
            "CronJob",
            json!({"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}}),
            vec!["spec", "jobTemplate", "spec", "template", "spec"],
        ),
    ];
    for (kind, obj, keys) in cases {
        let (r, m) = repaired(kind, obj, &Settings::default());
        let spec = keys.iter().fold(&m, |v, k| &v[*k]);
        assert_eq!(spec["volumes"][1], new_volume(), "{kind}");
        assert_eq!(
            spec["containers"][0]["volumeMounts"][1],
            mount("metrics-certs", METRICS_DIR),
            "{kind}"
        );
        assert_eq!(
            spec["containers"][0]["args"][2],
            json!(format!("--metrics-cert-path={METRICS_DIR}")),
            "{kind}"
        );
        assert!(
            crate::testing::warns(
                &r.warnings[0],
                Rule::X3,
                &format!("{}.containers[0]", keys.join(".")),
                ""
            ),
            "{kind}: {:?}",
            r.warnings[0]
        );
    }
}

#[test]
fn inject_keeps_unknown_fields_and_key_order() {
    let obj = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "m", "namespace": "ns", "x-unknown": {"a": [1, 2]}},
        "spec": {"replicas": 1, "template": {"metadata": {}, "spec": {
            "futureField": {"nested": {"z": 1, "a": null}},
            "containers": [{"name": "manager", "x-vendor-ext": {"b": 2, "a": 1}, "image": "controller:latest",
                            "args": ["--metrics-bind-address=:8443", EVIDENCE], "volumeMounts": [webhook_mount()],
                            "resources": {"limits": {"cpu": "500m"}}}],
            "volumes": [webhook_volume()],
            "zLast": true
        }}, "strategy": {}}
    });
    let (_, m) = repaired("Deployment", obj.clone(), &Settings::default());
    let mut expected = obj;
    {
        let spec = &mut expected["spec"]["template"]["spec"];
        spec["containers"][0]["args"]
            .as_array_mut()
            .unwrap()
            .push(json!(format!("--metrics-cert-path={METRICS_DIR}")));
        spec["containers"][0]["volumeMounts"]
            .as_array_mut()
            .unwrap()
            .push(mount("metrics-certs", METRICS_DIR));
        spec["volumes"].as_array_mut().unwrap().push(new_volume());
    }
    assert_eq!(
        m.to_string(),
        expected.to_string(),
        "same keys in the same order"
    );
}

#[test]
fn inject_is_silent_when_other_rules_reject() {
    // A type error elsewhere: the X3 repair is neither listed nor warned about.
    let obj = deployment(json!({"volumes": [webhook_volume()], "containers": [
        manager(json!(["--metrics-bind-address=:8443", EVIDENCE]), json!([webhook_mount()])),
        {"name": "sidecar", "volumeMounts": [{"name": "x", "mountPath": "/x", "readOnly": "yes"}]}]}));
    let (r, m) = run(obj, &Settings::default());
    assert_eq!(
        findings(&r),
        vec![f(
            "type",
            "spec.template.spec.containers[1].volumeMounts[0].readOnly"
        )]
    );
    assert!(r.warnings.is_empty());
    assert!(m.is_none());
    // X2 on one container, a repairable X3 on another: only X2 is listed.
    let obj = deployment(
        json!({"volumes": [webhook_volume(), secret_volume("m", "metrics-server-cert")], "containers": [
        manager(json!(["--metrics-bind-address=:8443", EVIDENCE]), json!([webhook_mount()])),
        {"name": "other", "volumeMounts": [mount("m", "/m")], "ports": [{"name": "webhook-server", "containerPort": 9443}]}]}),
    );
    let (r, m) = run(obj, &Settings::default());
    assert_eq!(
        findings(&r),
        vec![f("X2", "spec.template.spec.containers[1]")]
    );
    assert!(r.warnings.is_empty() && m.is_none());
}

#[test]
fn inject_full_cert_manager_layout_is_untouched() {
    let obj = deployment(
        json!({"volumes": [webhook_volume(), secret_volume("metrics-certs", "metrics-server-cert")],
        "containers": [{"name": "manager", "args": ["--metrics-bind-address=:8443", "--leader-elect",
            format!("--metrics-cert-path={METRICS_DIR}"), format!("--webhook-cert-path={WEBHOOK_DIR}")],
            "ports": [{"name": "webhook-server", "containerPort": 9443}],
            "volumeMounts": [webhook_mount(), mount("metrics-certs", METRICS_DIR)]}]}),
    );
    for mode in ["auto", "external"] {
        let (r, m) = run(obj.clone(), &settings(json!({"certManagement": mode})));
        assert!(
            r.is_clean() && r.warnings.is_empty() && m.is_none(),
            "{mode}: {r:?}"
        );
    }
}

/// The fixtures of `test_data/workloads/` for W5, X1-X3 and injection, through
/// `validate` as the policy server calls it: (fixture, settings, accepted,
/// mutated).
#[test]
fn inject_and_cert_mode_fixtures() {
    let kueue = json!({"metricsCertSecretName": "kueue-metrics-server-cert"});
    let internal = json!({"certManagement": "internal"});
    let external = json!({"certManagement": "external"});
    let cases = [
        ("kubebuilder-scaffold.json", json!({}), true, false),
        // No evidence the binary knows --metrics-cert-path (SPEC 9).
        ("kubebuilder-scaffold.json", external.clone(), false, false),
        ("kubebuilder-cert-manager.json", json!({}), true, false),
        (
            "kubebuilder-cert-manager.json",
            internal.clone(),
            false,
            false,
        ),
        (
            "kubebuilder-webhooks-without-metrics-cert.json",
            json!({}),
            true,
            true,
        ),
        (
            "kubebuilder-webhooks-without-metrics-cert.json",
            internal.clone(),
            true,
            false,
        ),
        ("kueue-external-metrics.json", kueue.clone(), true, false),
        (
            "kueue-external-metrics.json",
            json!({"metricsCertSecretName": "kueue-metrics-server-cert", "certManagement": "internal"}),
            false,
            false,
        ),
        (
            "kueue-metrics-certs-internal-webhooks.json",
            kueue.clone(),
            false,
            false,
        ),
        ("kueue-internal-metrics.json", kueue, true, false),
        (
            "w5-metrics-cert-path-not-mounted.json",
            json!({}),
            true,
            true,
        ),
        (
            "w5-metrics-cert-path-not-mounted.json",
            json!({"injectMetricsCertMount": false}),
            false,
            false,
        ),
        (
            "w5-metrics-cert-path-not-mounted.json",
            internal.clone(),
            false,
            false,
        ),
        ("w5-knative-tls-env-not-mounted.json", json!({}), true, true),
        (
            "w5-knative-pem-files-not-mounted.json",
            json!({}),
            false,
            false,
        ),
        ("w5-knative-tls-env-mounted.json", json!({}), true, false),
        ("x1-projected-metrics-secret.json", internal, false, false),
        (
            "x2-metrics-certs-internal-webhooks.json",
            json!({}),
            false,
            false,
        ),
        (
            "x3-external-internal-webhooks.json",
            external.clone(),
            false,
            false,
        ),
        (
            "x3-insecure-metrics-not-applicable.json",
            external.clone(),
            true,
            false,
        ),
        (
            "x3-metrics-secret-mounted-without-flag.json",
            json!({}),
            true,
            true,
        ),
        ("inject-statefulset.json", json!({}), true, true),
        // X3 without evidence the binary knows --metrics-cert-path: rejected.
        ("inject-daemonset.json", external, false, false),
        ("inject-cronjob.json", json!({}), true, true),
        (
            "inject-cronjob.json",
            json!({"injectMetricsCertMount": false}),
            false,
            false,
        ),
        ("inject-volume-name-conflict.json", json!({}), false, false),
        ("inject-mount-path-conflict.json", json!({}), false, false),
        ("inject-reuse-secret-volume.json", json!({}), true, true),
        ("inject-opt-in-annotation.json", json!({}), true, true),
        (
            "inject-opt-in-unknown-container.json",
            json!({}),
            false,
            false,
        ),
        ("inject-unknown-fields.json", json!({}), true, true),
    ];
    for (name, s, accepted, mutated) in cases {
        let resp = crate::testing::fixture(&format!("workloads/{name}"), s.clone(), accepted);
        assert_eq!(
            resp.mutated_object.is_some(),
            mutated,
            "{name} with {s}: {resp:?}"
        );
        assert_eq!(
            resp.warnings.as_ref().is_some_and(|w| !w.is_empty()),
            mutated,
            "{name} with {s}: a mutation comes with a warning, nothing else does"
        );
    }
}

#[test]
fn inject_two_containers_share_one_new_volume() {
    let obj = deployment(json!({"containers": [
        {"name": "a", "args": ["--metrics-cert-path=/a"]},
        {"name": "b", "args": ["--metrics-cert-path=/b"]}]}));
    let (r, m) = repaired("Deployment", obj, &Settings::default());
    assert_eq!(spec(&m)["volumes"], json!([new_volume()]));
    assert_eq!(
        spec(&m)["containers"][0]["volumeMounts"],
        json!([mount("metrics-certs", "/a")])
    );
    assert_eq!(
        spec(&m)["containers"][1]["volumeMounts"],
        json!([mount("metrics-certs", "/b")])
    );
    assert_eq!(r.warnings.len(), 2);
    assert!(r.warnings[0]
        .detail
        .contains("volume \"metrics-certs\" from Secret"));
    assert!(
        !r.warnings[1].detail.contains("from Secret"),
        "the volume is told once"
    );
}

/// Runs the workload review directly with a context the router would build.
fn review_with(
    object: &Value,
    s: &Settings,
    edit: impl Fn(&mut crate::context::Ctx),
) -> (Report, Option<Value>) {
    let mut ctx = crate::testing::ctx(s);
    edit(&mut ctx);
    let mut r = Report::new();
    let mut patched = object.clone();
    let repaired = crate::workloads::review(
        crate::workloads::WorkloadKind::Deployment,
        &mut patched,
        &ctx,
        None,
        &mut r,
    );
    crate::testing::assert_kept_unless_repaired(repaired, &patched, object);
    (r, repaired.then_some(patched))
}

#[test]
fn inject_nothing_for_an_excepted_w5_or_x3() {
    use crate::rule::Rule;
    let x3 = webhooks_only(json!(["--metrics-bind-address=:8443", EVIDENCE]));
    let w5 = deployment(
        json!({"containers": [manager(json!(["--metrics-cert-path=/certs"]), json!([]))]}),
    );
    for (obj, rule, path) in [
        (x3, Rule::X3, C0.to_string()),
        (w5, Rule::W5, format!("{C0}.args[0]")),
    ] {
        let (r, m) = review_with(&obj, &Settings::default(), |c| c.excepted.insert(rule));
        assert!(m.is_none(), "{rule}: an excepted finding injects nothing");
        assert_eq!(findings(&r), vec![f(rule.id(), &path)], "{rule}");
        assert!(r.warnings.is_empty());
        // Not excepted: repaired.
        let (_, m) = review_with(&obj, &Settings::default(), |_| {});
        assert!(m.is_some(), "{rule}");
    }
}

#[test]
fn inject_reported_not_patched_when_the_pod_spec_cannot_change() {
    let obj = webhooks_only(json!(["--metrics-bind-address=:8443", EVIDENCE]));
    let (r, m) = review_with(&obj, &Settings::default(), |c| c.may_patch = false);
    assert!(m.is_none());
    assert_eq!(findings(&r), vec![f("X3", C0)]);
    assert!(
        r.violations[0]
            .detail
            .contains("when the object is recreated"),
        "{}",
        r.violations[0].detail
    );
}

#[test]
fn inject_excepted_violations_elsewhere_do_not_block_the_repair() {
    use crate::rule::Rule;
    // A W5 repair on the manager, a W1 half pair on the proxy sidecar.
    let obj = deployment(json!({"containers": [
        manager(json!(["--metrics-cert-path=/certs"]), json!([])),
        {"name": "kube-rbac-proxy", "args": ["--tls-cert-file=/etc/tls/tls.crt"]}]}));
    let (r, m) = review_with(&obj, &Settings::default(), |_| {});
    assert!(m.is_none(), "rejected for W1: nothing repaired");
    assert_eq!(
        findings(&r),
        vec![f("W1", "spec.template.spec.containers[1].args[0]")]
    );
    let (r, m) = review_with(&obj, &Settings::default(), |c| c.excepted.insert(Rule::W1));
    assert!(
        m.is_some(),
        "the excepted W1 becomes a warning: the W5 repair is made"
    );
    assert!(r.warnings.iter().any(|w| w.rule == Rule::W5), "{r:?}");
}

#[test]
fn apply_edits_in_place_and_revert_takes_them_back() {
    use super::{apply, revert, Repair, Target};
    use crate::workloads::WorkloadKind::Deployment;
    let repair = |new_volume| Repair {
        volume: "metrics-certs".into(),
        new_volume,
        edits: vec![Target {
            list: "containers",
            index: 0,
            dir: "/certs".into(),
            add_mount: true,
            append_flag: Some("metrics-cert-path".into()),
        }],
        injected: Vec::new(),
        refused: Vec::new(),
        summary: String::new(),
    };
    let s = Settings::default();
    // The shape the reading side saw: edits made, then taken back exactly
    // (a list that existed is popped, a list the edit created is removed).
    let mut obj = json!({"spec": {"template": {"spec": {"volumes": [],
        "containers": [{"name": "manager", "args": ["--leader-elect"]}]}}}});
    let received = obj.clone();
    let done = apply(Deployment, &repair(true), &mut obj, &s).unwrap();
    let c = &obj["spec"]["template"]["spec"];
    assert_eq!(
        c["volumes"][0]["secret"]["secretName"],
        "metrics-server-cert"
    );
    assert_eq!(c["containers"][0]["volumeMounts"][0]["mountPath"], "/certs");
    assert_eq!(c["containers"][0]["args"][1], "--metrics-cert-path=/certs");
    revert(Deployment, done, &mut obj);
    assert_eq!(obj, received);
    // Another shape (args is not a list): nothing is left half-edited.
    let mut obj = json!({"spec": {"template": {"spec": {
        "containers": [{"name": "manager", "args": "--leader-elect"}]}}}});
    let received = obj.clone();
    assert!(apply(Deployment, &repair(true), &mut obj, &s).is_none());
    assert_eq!(obj, received);
    // A repair that changes nothing says so.
    let mut nothing = repair(false);
    nothing.edits[0].add_mount = false;
    nothing.edits[0].append_flag = None;
    assert!(!nothing.changes() && repair(false).changes());
}

/// A Pod as the audit scanner replays it after `kubectl debug`: the manager
/// and an ephemeral copy of it started with other flags.
fn debugged_pod(manager_args: Value, debugger: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "controller-manager-6d9f7c8b5-x2x7q", "namespace": "project-system"},
        "spec": {
            "volumes": [webhook_volume()],
            "containers": [manager(manager_args, json!([webhook_mount()]))],
            "ephemeralContainers": [debugger]
        }
    })
}

fn debugger(args: Value, mounts: Value) -> Value {
    json!({"name": "debugger-x7k2p", "image": "controller:latest", "command": ["/manager"],
           "args": args, "volumeMounts": mounts, "targetContainerName": "manager",
           "stdin": true, "tty": true})
}

/// No patch ever targets an ephemeral container: what injection would repair
/// there (W5, X3) is reported instead, with its path.
#[test]
fn inject_never_edits_an_ephemeral_container() {
    const E0: &str = "spec.ephemeralContainers[0]";
    let secure = json!([
        "--metrics-bind-address=:8443",
        EVIDENCE,
        format!("--metrics-cert-path={METRICS_DIR}")
    ]);
    let with_certs = json!([webhook_mount(), mount("metrics-certs", METRICS_DIR)]);
    let cases = [
        // W5: the directory it names is not mounted in it.
        (
            debugger(
                json!([format!("--metrics-cert-path={METRICS_DIR}")]),
                json!([]),
            ),
            "W5",
            format!("{E0}.args[0]"),
        ),
        // X3 with evidence: would get the mount and the flag.
        (
            debugger(
                json!(["--metrics-bind-address=:8443", EVIDENCE]),
                json!([webhook_mount()]),
            ),
            "X3",
            E0.to_string(),
        ),
    ];
    let pod_volumes = json!([
        webhook_volume(),
        secret_volume("metrics-certs", "metrics-server-cert")
    ]);
    for (debugger, rule, path) in cases {
        let mut obj = debugged_pod(secure.clone(), debugger.clone());
        obj["spec"]["volumes"] = pod_volumes.clone();
        obj["spec"]["containers"][0]["volumeMounts"] = with_certs.clone();
        let (r, m) = report("Pod", obj, &Settings::default());
        assert!(m.is_none(), "{rule}: patched {m:?}");
        assert_eq!(findings(&r), vec![f(rule, &path)], "{rule}");
        let detail = &r.violations[0].detail;
        assert!(
            detail.contains("container \"debugger-x7k2p\" is an ephemeral container (kubectl debug), which nothing may change once it is added, so the policy does not repair it"),
            "{detail}"
        );
        assert!(detail.contains(METRICS_DIR), "{detail}");
        // Fixed: the ephemeral container mounts the pod's metrics volume.
        let mut fixed = debugged_pod(secure.clone(), debugger);
        fixed["spec"]["volumes"] = pod_volumes.clone();
        fixed["spec"]["containers"][0]["volumeMounts"] = with_certs.clone();
        fixed["spec"]["ephemeralContainers"][0]["volumeMounts"] = with_certs.clone();
        if rule == "X3" {
            fixed["spec"]["ephemeralContainers"][0]["args"]
                .as_array_mut()
                .unwrap()
                .push(json!(format!("--metrics-cert-path={METRICS_DIR}")));
        }
        let (r, m) = report("Pod", fixed, &Settings::default());
        assert!(r.is_clean() && m.is_none(), "{rule}: {:?}", r.violations);
    }
}

/// The opt-in picks a target among the containers that may be edited: an
/// ephemeral container carrying metrics flags is not a candidate, and the
/// `secure-metrics/container` annotation cannot name one.
#[test]
fn inject_opt_in_never_targets_an_ephemeral_container() {
    let opt_in = |container: Option<&str>| {
        let mut a = json!({"secure-metrics/inject-metrics-certs": "true"});
        if let Some(c) = container {
            a["secure-metrics/container"] = json!(c);
        }
        a
    };
    // The only carrier of metrics flags is ephemeral: the manager is the target.
    let mut obj = debugged_pod(
        json!(["--leader-elect"]),
        debugger(json!(["--metrics-bind-address=127.0.0.1:8080"]), json!([])),
    );
    obj["metadata"]["annotations"] = opt_in(None);
    let (r, m) = report("Pod", obj.clone(), &Settings::default());
    assert!(r.is_clean(), "{:?}", r.violations);
    let m = m.expect("the manager is repaired");
    assert_eq!(
        m["spec"]["containers"][0]["volumeMounts"],
        json!([webhook_mount(), mount("metrics-certs", METRICS_DIR)])
    );
    assert_eq!(
        m["spec"]["ephemeralContainers"],
        obj["spec"]["ephemeralContainers"]
    );
    // Named by the annotation: refused, with the reason.
    obj["metadata"]["annotations"] = opt_in(Some("debugger-x7k2p"));
    let (r, m) = report("Pod", obj, &Settings::default());
    assert!(m.is_none());
    assert_eq!(
        findings(&r),
        vec![f(
            "invalid",
            "metadata.annotations[secure-metrics/inject-metrics-certs]"
        )]
    );
    assert!(
        r.violations[0].detail.contains(
            "secure-metrics/container names container \"debugger-x7k2p\", an ephemeral container (kubectl debug), which the policy never edits"
        ),
        "{}",
        r.violations[0].detail
    );
}

/// Every workload rule reads an ephemeral container like a container, with
/// its own path (SPEC 5 and 9; `kubectl debug` adds them to a running Pod).
#[test]
fn ephemeral_containers_are_read_by_every_rule() {
    const E0: &str = "spec.ephemeralContainers[0]";
    let plain = json!(["--leader-elect"]);
    let metrics_volume = secret_volume("metrics-certs", "metrics-server-cert");
    let cases: Vec<(&str, Value, Value, &str, String)> = vec![
        // W1: half a pair.
        (
            "auto",
            debugger(json!(["--tls-cert-file=/certs/tls.crt"]), json!([])),
            json!([]),
            "W1",
            format!("{E0}.args[0]"),
        ),
        // W2: a TLS version below 1.2.
        (
            "auto",
            {
                let mut d = debugger(json!([]), json!([]));
                d["env"] = json!([{"name": "METRICS_PROMETHEUS_TLS_MIN_VERSION", "value": "1.0"}]);
                d
            },
            json!([]),
            "W2",
            format!("{E0}.env[0].value"),
        ),
        // W3 and W4.
        (
            "auto",
            debugger(
                json!(["--metrics-bind-address=:8080", "--metrics-secure=false"]),
                json!([]),
            ),
            json!([]),
            "W3",
            format!("{E0}.args[0]"),
        ),
        (
            "auto",
            debugger(json!(["--health-probe-bind-address=8081"]), json!([])),
            json!([]),
            "W4",
            format!("{E0}.args[0]"),
        ),
        // X1: internal mode, the metrics Secret mounted in it.
        (
            "internal",
            debugger(json!([]), json!([mount("metrics-certs", "/certs")])),
            json!([metrics_volume.clone()]),
            "X1",
            format!("{E0}.volumeMounts[0]"),
        ),
        // X2: external metrics certificates, webhooks without their Secret.
        (
            "auto",
            debugger(
                json!(["--webhook-cert-path=/tmp/webhook-certs"]),
                json!([mount("metrics-certs", METRICS_DIR)]),
            ),
            json!([metrics_volume]),
            "X2",
            E0.to_string(),
        ),
    ];
    for (mode, debugger, volumes, rule, path) in cases {
        let mut obj = debugged_pod(plain.clone(), debugger);
        obj["spec"]["volumes"]
            .as_array_mut()
            .unwrap()
            .extend(volumes.as_array().unwrap().iter().cloned());
        let s = settings(json!({"certManagement": mode}));
        let (r, m) = report("Pod", obj, &s);
        assert!(m.is_none(), "{rule}");
        let found: Vec<(String, String)> = findings(&r);
        assert_eq!(found, vec![f(rule, &path)], "{rule}: {:?}", r.violations);
    }
}

/// A repair's warning keeps "must exist" within the API server's 256
/// characters even for a Secret name of 200 bytes (found by the fuzzer:
/// the shortened warning had lost it).
#[test]
fn the_repair_warning_keeps_must_exist_for_a_long_secret_name() {
    let name = vec!["a".repeat(50); 4].join(".");
    let s = crate::review::validate_settings(&serde_json::json!({"metricsCertSecretName": name}))
        .expect("valid settings");
    let text = std::fs::read_to_string(
        "examples/requests/kubebuilder-controller-missing-metrics-cert.json",
    )
    .unwrap();
    let envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
    let req = envelope.get("request").cloned().unwrap_or(envelope);
    let mut req: kubewarden_policy_sdk::request::KubernetesAdmissionRequest =
        serde_json::from_value(req).unwrap();
    let verdict = crate::review::review_with(&mut req, &s, None);
    assert!(verdict.mutated.is_some(), "{verdict:?}");
    let warnings = crate::response::build(verdict).warnings.unwrap_or_default();
    assert!(
        warnings
            .iter()
            .any(|w| (w.starts_with("[X3]") || w.starts_with("[W5]"))
                && w.contains("must exist")
                && w.len() <= 256),
        "{warnings:?}"
    );
}

/// A repair's warning keeps "must exist" when a long directory (no quotes
/// to cut) takes it past the 2 KiB a detail may hold (found by the fuzzer).
#[test]
fn the_repair_warning_keeps_must_exist_for_a_long_directory() {
    let dir = format!("/certs/{}", "d".repeat(3000));
    let object = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "manager", "namespace": "project-system"},
        "spec": {"template": {"spec": {"containers": [{"name": "manager", "image": "controller:latest",
            "args": ["--metrics-bind-address=127.0.0.1:8443", format!("--metrics-cert-path={dir}")]}]}}}});
    let s = crate::review::validate_settings(&serde_json::json!({})).unwrap();
    let mut req = crate::testing::request("Deployment", "project-system", object);
    let verdict = crate::review::review_with(&mut req, &s, None);
    assert!(verdict.mutated.is_some(), "{verdict:?}");
    let warnings = crate::response::build(verdict).warnings.unwrap_or_default();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("[W5]") && w.contains("must exist") && w.len() <= 256),
        "{warnings:?}"
    );
}
