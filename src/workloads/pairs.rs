//! W1 half pair (SPEC section 5): a certificate without its key, or a key
//! without its certificate. A TLS server given only one half fails at start
//! (seed 004: Knative refuses `METRICS_PROMETHEUS_TLS_CERT` without
//! `METRICS_PROMETHEUS_TLS_KEY`; "both must be set or none").
//!
//! Pairs: env `METRICS_PROMETHEUS_TLS_CERT`/`METRICS_PROMETHEUS_TLS_KEY`,
//! flags `--tls-cert-file`/`--tls-private-key-file` (Kubernetes components,
//! kube-rbac-proxy), flags `--cert-file`/`--key-file` (etcd), and the
//! `certKeyPairs` setting (a name starting with `-` is a flag, any other name
//! an env var). A pair given twice (also in another order or spelling) is
//! checked once.
//!
//! Path: where the set half is, that is the token that holds the flag
//! (`...containers[0].args[3]`) or the env entry (`...containers[0].env[1]`).
//! "Set" is what `args` defines: a flag with a non-empty value, an env var
//! with a non-empty `value` or a `valueFrom`.

use super::cmdline::Source;
use super::model::{Container, Workload};
use crate::context::Ctx;
use crate::report::Report;
use crate::rule::Rule;

const W1: Rule = Rule::W1;

/// The built-in pairs, as `certKeyPairs` would name them.
const BUILT_IN: [(&str, &str); 3] = [
    ("METRICS_PROMETHEUS_TLS_CERT", "METRICS_PROMETHEUS_TLS_KEY"),
    ("--tls-cert-file", "--tls-private-key-file"),
    ("--cert-file", "--key-file"),
];

/// The pairs to check: built-in first, then the settings, each pair once.
fn pairs<'n>(ctx: &Ctx<'n>) -> Vec<(Source<'n>, Source<'n>)> {
    let extra = ctx
        .settings
        .cert_key_pairs
        .iter()
        .map(|p| (p.cert.as_str(), p.key.as_str()));
    let mut out: Vec<(Source, Source)> = Vec::new();
    for (cert, key) in BUILT_IN.into_iter().chain(extra) {
        let pair = (Source::parse(cert), Source::parse(key));
        let seen = out
            .iter()
            .any(|(c, k)| (*c == pair.0 && *k == pair.1) || (*c == pair.1 && *k == pair.0));
        if !seen && pair.0 != pair.1 {
            out.push(pair);
        }
    }
    out
}

fn check_container(c: &Container, pairs: &[(Source, Source)], report: &mut Report) {
    for (cert, key) in pairs {
        let found = (cert.lookup(&c.cmd, &c.env), key.lookup(&c.cmd, &c.env));
        let (path, detail) = match found {
            (Some(path), None) => (
                path,
                format!(
                    "{cert} is set but {key} is not; a server with a certificate and no key \
                     fails at start: set both or neither"
                ),
            ),
            (None, Some(path)) => (
                path,
                format!(
                    "{key} is set but {cert} is not; a server with a key and no certificate \
                     fails at start: set both or neither"
                ),
            ),
            _ => continue,
        };
        report.required(W1, path, detail);
    }
}

/// W1 for every container and init container.
pub(crate) fn check(workload: &Workload, ctx: &Ctx, report: &mut Report) {
    let pairs = pairs(ctx);
    for c in &workload.containers {
        check_container(c, &pairs, report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{CertKeyPair, Settings};
    use crate::testing;
    use crate::workloads::WorkloadKind;
    use serde_json::{json, Value};

    fn run(kind: WorkloadKind, object: &Value, settings: &Settings, strip: &str) -> String {
        testing::workload_check(check, kind, object, settings, strip).0
    }

    /// A manager and a kube-rbac-proxy sidecar (container 1) with the given
    /// tokens: `$NAME=value` (or `$NAME=@ref`, a `valueFrom`) is an env entry,
    /// anything else an argument.
    fn proxy(tokens: &str) -> Value {
        let (mut args, mut env) = (Vec::new(), Vec::new());
        for t in tokens.split_whitespace() {
            match t.strip_prefix('$').and_then(|e| e.split_once('=')) {
                Some((name, "@ref")) => env.push(json!({"name": name,
                    "valueFrom": {"secretKeyRef": {"name": "proxy-tls", "key": "path"}}})),
                Some((name, value)) => env.push(json!({"name": name, "value": value})),
                None => args.push(t),
            }
        }
        json!({"spec": {"template": {"spec": {"containers": [
            {"name": "manager", "image": "controller:latest"},
            {"name": "kube-rbac-proxy", "image": "quay.io/brancz/kube-rbac-proxy:v0.18.1",
             "args": args, "env": env}]}}}})
    }

    /// One case a line: `TOKENS => FINDINGS` (see [`proxy`]); `#` comments.
    fn table(settings: &Settings, cases: &str) {
        for line in cases.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (tokens, expected) = line.split_once("=>").expect("TOKENS => FINDINGS");
            let strip = "spec.template.spec.containers[1].";
            let found = run(WorkloadKind::Deployment, &proxy(tokens), settings, strip);
            assert_eq!(found, expected.trim(), "{line}");
        }
    }

    #[test]
    fn w1_half_pair() {
        table(
            &Settings::default(),
            "# Flags in every form, the certificate or the key alone.
             --tls-cert-file=/certs/tls.crt => W1@args[0]
             --secure-listen-address=0.0.0.0:8443 --tls-cert-file /certs/tls.crt => W1@args[1]
             -tls-cert-file=/certs/tls.crt => W1@args[0]
             -tls-private-key-file /certs/tls.key => W1@args[0]
             --key-file=/etc/etcd/pki/server.key => W1@args[0]
             --cert-file /etc/etcd/pki/server.crt => W1@args[0]
             # An empty value is unset.
             --tls-cert-file=/certs/tls.crt --tls-private-key-file= => W1@args[0]
             # Env: a non-empty value or a valueFrom is set.
             $METRICS_PROMETHEUS_TLS_CERT=/c/tls.crt $METRICS_PROMETHEUS_TLS_KEY= => W1@env[0]
             $METRICS_PROMETHEUS_TLS_KEY=@ref => W1@env[0]
             # Two pairs, each half.
             --tls-cert-file=/a --key-file=/b => W1@args[0] W1@args[1]
             # Fixed forms.
             --tls-cert-file=/certs/tls.crt --tls-private-key-file=/certs/tls.key =>
             -cert-file /pki/server.crt -key-file /pki/server.key =>
             $METRICS_PROMETHEUS_TLS_CERT=/c/tls.crt $METRICS_PROMETHEUS_TLS_KEY=@ref =>
             --tls-cert-file= --tls-private-key-file= =>
             --tls-cert-file=/c --tls-private-key-file=/k --cert-file=/c --key-file=/k =>",
        );
    }

    #[test]
    fn w1_messages_name_both_sides() {
        let mut report = Report::new();
        let object = proxy("--tls-cert-file=/certs/tls.crt $METRICS_PROMETHEUS_TLS_KEY=/k");
        let settings = Settings::default();
        let ctx = testing::ctx(&settings);
        let w = Workload::read(WorkloadKind::Deployment, &object, &ctx, None, &mut report).unwrap();
        check(&w, &ctx, &mut report);
        let details: Vec<&str> = report
            .violations
            .iter()
            .map(|v| v.detail.as_str())
            .collect();
        assert_eq!(
            details,
            vec![
                "env METRICS_PROMETHEUS_TLS_KEY is set but env METRICS_PROMETHEUS_TLS_CERT is not; \
                 a server with a key and no certificate fails at start: set both or neither",
                "flag --tls-cert-file is set but flag --tls-private-key-file is not; a server with \
                 a certificate and no key fails at start: set both or neither",
            ]
        );
    }

    #[test]
    fn w1_cert_key_pairs_from_settings() {
        let pair = |cert: &str, key: &str| CertKeyPair {
            cert: cert.into(),
            key: key.into(),
        };
        let settings = Settings {
            cert_key_pairs: vec![
                pair("--client-cert", "--client-key"),
                pair("GRPC_TLS_CERT", "GRPC_TLS_KEY"),
                pair("--web-cert", "WEB_KEY"),
                // A built-in pair again, reversed and with one dash: checked once.
                pair("-tls-private-key-file", "--tls-cert-file"),
            ],
            ..Settings::default()
        };
        table(
            &settings,
            "--client-cert=/c => W1@args[0]
             -client-key /k => W1@args[0]
             $GRPC_TLS_KEY=/k => W1@env[0]
             --web-cert=/c => W1@args[0]
             $WEB_KEY=/k => W1@env[0]
             --tls-cert-file=/c => W1@args[0]
             --client-cert=/c --client-key=/k --web-cert=/w $WEB_KEY=/w =>
             $GRPC_TLS_CERT=/c $GRPC_TLS_KEY=@ref =>",
        );
        // Without the setting, custom names are not checked.
        table(&Settings::default(), "--client-cert=/c =>");
    }

    #[test]
    fn w1_every_container_and_init_container() {
        let object = json!({"spec": {
        "initContainers": [{"name": "init", "command": ["etcdctl", "--cert-file=/pki/c.crt"]}],
        "containers": [
            {"name": "etcd", "command": ["etcd", "--key-file=/pki/server.key"]},
            {"name": "ok", "command": ["etcd", "--cert-file=/a", "--key-file=/b"]}
        ]}});
        let found = run(WorkloadKind::Pod, &object, &Settings::default(), "spec.");
        assert_eq!(
            found,
            "W1@initContainers[0].command[1] W1@containers[0].command[1]"
        );
    }

    /// The W1-W4 fixtures through the three checks (the full pipeline,
    /// with W5 and X1-X3, runs in e2e-tests/workloads-rules.bats).
    #[test]
    fn w1_to_w4_fixtures() {
        let cases = [
            ("w1-kube-rbac-proxy-half-pair", "W1@spec.template.spec.containers[0].args[4]"),
            ("w1-kube-rbac-proxy-pair", ""),
            ("w1-etcd-half-pair", "W1@spec.containers[0].command[7]"),
            ("w1-etcd-pair", ""),
            ("w1-custom-pairs-half", "W1@spec.template.spec.containers[0].args[2] W1@spec.template.spec.containers[0].env[1]"),
            ("w1-custom-pairs", ""),
            ("w2-knative-activator-mtls-bad", "W2@spec.template.spec.containers[0].env[8].value W2@spec.template.spec.containers[0].env[9].value W2@spec.template.spec.containers[0].env[11].value W2@spec.template.spec.containers[0].env[12].value"),
            ("w2-knative-activator-mtls", ""),
            ("w2-knative-controller-ca-without-auth", "W2@spec.template.spec.containers[0].env[5].value W2@spec.template.spec.containers[0].env[5].value"),
            ("w2-knative-controller-half-pair", "W1@spec.template.spec.containers[0].env[5] W2@spec.template.spec.containers[0].env[6].value"),
            ("w3-kubebuilder-metrics-plaintext", "W3@spec.template.spec.containers[0].args[0]"),
            ("w3-kubebuilder-metrics-loopback", ""),
            ("w3-capi-insecure-diagnostics", "W3@spec.template.spec.containers[0].args[1]"),
            ("w3-capi-diagnostics", ""),
            ("w4-kube-scheduler-bind-address-port", "W4@spec.containers[0].command[3]"),
            ("w4-kube-scheduler", ""),
            ("w4-cronjob-listen-addresses", "W4@spec.jobTemplate.spec.template.spec.containers[0].args[1] W4@spec.jobTemplate.spec.template.spec.containers[0].args[2]"),
            ("w4-cronjob", ""),
        ];
        let settings = Settings {
            cert_key_pairs: vec![
                CertKeyPair {
                    cert: "--client-cert".into(),
                    key: "--client-key".into(),
                },
                CertKeyPair {
                    cert: "GRPC_TLS_CERT".into(),
                    key: "GRPC_TLS_KEY".into(),
                },
            ],
            ..Settings::default()
        };
        for (name, expected) in cases {
            let file = format!(
                "{}/test_data/workloads/{name}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let request: Value =
                serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
            let kind = match request["kind"]["kind"].as_str().unwrap() {
                "Pod" => WorkloadKind::Pod,
                "DaemonSet" => WorkloadKind::DaemonSet,
                "CronJob" => WorkloadKind::CronJob,
                _ => WorkloadKind::Deployment,
            };
            let mut report = Report::new();
            let ctx = testing::ctx(&settings);
            let w = Workload::read(kind, &request["object"], &ctx, None, &mut report).expect(name);
            check(&w, &ctx, &mut report);
            super::super::tls_env::check(&w, &ctx, &mut report);
            super::super::addresses::check(&w, &ctx, &mut report);
            report.sort();
            let found: Vec<String> = testing::findings(&report)
                .into_iter()
                .map(|(rule, path)| format!("{rule}@{path}"))
                .collect();
            assert_eq!(found.join(" "), expected, "{name}");
        }
    }
}
