//! Keeps the packaging true to the code: the rules in policy-metadata.yml are
//! exactly the kinds the policy routes, artifacthub-pkg.yml repeats them, its
//! questions cover every setting, and the versions agree.

use kubewarden_policy_sdk::request::GroupVersionKind;
use secure_metrics_policy::Target;
use secure_metrics_policy::{setting_type, SettingType, KEYS};
use serde_yaml::Value;
use std::collections::BTreeSet;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .expect("a list")
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

/// (group, version, resource) -> the kind the API server sends for it.
fn kind_of(resource: &str) -> &'static str {
    match resource {
        "servicemonitors" => "ServiceMonitor",
        "podmonitors" => "PodMonitor",
        "probes" => "Probe",
        "scrapeconfigs" => "ScrapeConfig",
        "prometheuses" => "Prometheus",
        "prometheusagents" => "PrometheusAgent",
        "vmservicescrapes" => "VMServiceScrape",
        "vmpodscrapes" => "VMPodScrape",
        "vmstaticscrapes" => "VMStaticScrape",
        "vmnodescrapes" => "VMNodeScrape",
        "vmscrapeconfigs" => "VMScrapeConfig",
        "vmprobes" => "VMProbe",
        "podmonitorings" => "PodMonitoring",
        "clusterpodmonitorings" => "ClusterPodMonitoring",
        "clusternodemonitorings" => "ClusterNodeMonitoring",
        "certificates" => "Certificate",
        "pods" => "Pod",
        "deployments" => "Deployment",
        "statefulsets" => "StatefulSet",
        "daemonsets" => "DaemonSet",
        "replicasets" => "ReplicaSet",
        "jobs" => "Job",
        "cronjobs" => "CronJob",
        "configmaps" => "ConfigMap",
        other => panic!("policy-metadata.yml lists {other}, which the policy does not route"),
    }
}

#[test]
fn metadata_rules_are_the_routed_kinds() {
    let meta = yaml("policy-metadata.yml");
    assert_eq!(meta["mutating"], Value::Bool(true));
    assert_eq!(meta["backgroundAudit"], Value::Bool(true));
    assert_eq!(meta["executionMode"].as_str(), Some("kubewarden-wapc"));
    let mut kinds = BTreeSet::new();
    let mut subresources = Vec::new();
    for rule in meta["rules"].as_sequence().unwrap() {
        let operations = strings(&rule["operations"]);
        for group in strings(&rule["apiGroups"]) {
            for version in strings(&rule["apiVersions"]) {
                for resource in strings(&rule["resources"]) {
                    // `kubectl debug` adds ephemeral containers with an
                    // UPDATE of this subresource (its object is the Pod).
                    if let Some((resource, sub)) = resource.split_once('/') {
                        subresources.push(format!("{group}/{version}/{resource}/{sub}"));
                        assert_eq!(operations, vec!["UPDATE"], "{resource}/{sub}");
                        continue;
                    }
                    assert_eq!(operations, vec!["CREATE", "UPDATE"], "{resource}");
                    let gvk = GroupVersionKind {
                        group: group.clone(),
                        version: version.clone(),
                        kind: kind_of(&resource).to_string(),
                    };
                    assert!(Target::of(&gvk).is_some(), "{gvk:?} is not routed");
                    kinds.insert(gvk.kind);
                }
            }
        }
    }
    assert_eq!(
        kinds.len(),
        24,
        "every kind of SPEC sections 2, 10 and 12: {kinds:?}"
    );
    assert_eq!(subresources, vec!["/v1/pods/ephemeralcontainers"]);
}

/// SPEC sections 12 and 15: the policy reads Certificates, Services and
/// ConfigMaps (a manager's configuration file), never Secrets, through the
/// one host capability it uses; artifacthub repeats it.
#[test]
fn metadata_declares_the_context_aware_resources() {
    let meta = yaml("policy-metadata.yml");
    let resources: Vec<(String, String)> = meta["contextAwareResources"]
        .as_sequence()
        .expect("contextAwareResources")
        .iter()
        .map(|r| {
            (
                r["apiVersion"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        resources,
        vec![
            ("cert-manager.io/v1".to_string(), "Certificate".to_string()),
            ("v1".to_string(), "Service".to_string()),
            ("v1".to_string(), "ConfigMap".to_string())
        ]
    );
    assert!(!resources.iter().any(|(_, k)| k == "Secret"));
    assert_eq!(
        strings(&meta["hostCapabilities"]),
        vec!["kubernetes/list_resources_by_namespace"]
    );
    let pkg = yaml("artifacthub-pkg.yml");
    let listed: Value = serde_yaml::from_str(
        pkg["annotations"]["kubewarden/contextAwareResources"]
            .as_str()
            .expect("kubewarden/contextAwareResources"),
    )
    .unwrap();
    assert_eq!(listed, meta["contextAwareResources"]);
}

#[test]
fn artifacthub_package_matches_metadata_and_settings() {
    let meta = yaml("policy-metadata.yml");
    let pkg = yaml("artifacthub-pkg.yml");
    let annotations = &pkg["annotations"];
    let rules: Value =
        serde_yaml::from_str(annotations["kubewarden/rules"].as_str().unwrap()).unwrap();
    assert_eq!(
        rules, meta["rules"],
        "kubewarden/rules repeats policy-metadata.yml"
    );
    assert_eq!(annotations["kubewarden/mutation"].as_str(), Some("true"));
    let questions: Value =
        serde_yaml::from_str(annotations["kubewarden/questions-ui"].as_str().unwrap()).unwrap();
    let variables: Vec<&str> = questions["questions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|q| q["variable"].as_str().unwrap())
        .collect();
    assert_eq!(
        variables,
        KEYS.to_vec(),
        "one question per setting, in order"
    );
    for q in questions["questions"].as_sequence().unwrap() {
        let key = q["variable"].as_str().unwrap();
        let shown = q["type"].as_str().unwrap_or_default();
        let declared = match setting_type(key) {
            Some(SettingType::Boolean) => shown == "boolean",
            Some(SettingType::String) => shown == "string" || shown == "enum",
            // A name, or a list of names: the question asks for the name.
            Some(SettingType::StringOrList) => shown == "string",
            Some(SettingType::List) => {
                shown.starts_with("sequence[") || shown.starts_with("array[")
            }
            None => false,
        };
        assert!(
            declared,
            "question {key} has type {shown:?}, the policy reads {:?}",
            setting_type(key)
        );
    }
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(pkg["version"].as_str(), Some(version));
    assert_eq!(
        meta["annotations"]["io.kubewarden.policy.version"].as_str(),
        Some(version)
    );
    let image = pkg["containersImages"][0]["image"].as_str().unwrap();
    assert!(image.ends_with(&format!(":v{version}")), "{image}");
}

#[test]
fn readme_settings_table_lists_every_setting() {
    let readme = std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR")))
        .expect("README.md");
    for key in KEYS {
        assert!(
            readme.contains(&format!("| `{key}` |")),
            "README settings table lacks {key}"
        );
    }
}

/// The rollout exceptions exist three times for three readers: the README's
/// ready-to-copy block, the example ClusterAdmissionPolicy, and the settings
/// file `make demo` and e2e-tests/exceptions.bats evaluate. They must agree.
#[test]
fn rollout_exceptions_agree_in_readme_example_and_settings_file() {
    let from_file = yaml("examples/rollout.settings.json");
    let policy = yaml("examples/cluster-admission-policy-rollout.yaml");
    assert_eq!(policy["kind"].as_str(), Some("ClusterAdmissionPolicy"));
    assert_eq!(
        policy["spec"]["mode"].as_str(),
        Some("monitor"),
        "the rollout starts in monitor mode"
    );
    assert_eq!(policy["spec"]["backgroundAudit"], Value::Bool(true));
    assert_eq!(policy["spec"]["settings"], from_file);

    let readme = std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR")))
        .expect("README.md");
    let section = readme
        .split_once("### Ready-to-copy entries: kube-prometheus and Istio")
        .expect("README section with the rollout entries")
        .1;
    let block = section
        .split_once("```yaml\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a yaml block in the section")
        .0;
    let shown: Value = serde_yaml::from_str(block).expect("the README block is YAML");
    assert_eq!(shown["settings"], from_file);
    let entries = from_file["exceptions"].as_sequence().expect("entries");
    assert!(entries.len() >= 6, "kube-prometheus and Istio entries");
    for e in entries {
        assert!(
            !e["reason"].as_str().unwrap_or_default().trim().is_empty(),
            "{e:?}"
        );
    }
}

/// Every YAML document of `path`.
fn documents(path: &str) -> Vec<Value> {
    use serde::Deserialize;
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}

/// The (group, version, resource, operation) rows a list of rules admits.
fn admitted(rules: &Value) -> BTreeSet<(String, String, String, String)> {
    let mut rows = BTreeSet::new();
    for rule in rules.as_sequence().expect("rules is a list") {
        for g in strings(&rule["apiGroups"]) {
            for v in strings(&rule["apiVersions"]) {
                for r in strings(&rule["resources"]) {
                    for o in strings(&rule["operations"]) {
                        rows.insert((g.clone(), v.clone(), r.clone(), o));
                    }
                }
            }
        }
    }
    rows
}

const EXAMPLE_POLICIES: [&str; 3] = [
    "examples/cluster-admission-policy.yaml",
    "examples/cluster-admission-policy-rollout.yaml",
    "examples/context-aware.yaml",
];

/// The ClusterAdmissionPolicy of an example file (its first document).
fn example_policy(path: &str) -> Value {
    let policy = documents(path).remove(0);
    assert_eq!(
        policy["kind"].as_str(),
        Some("ClusterAdmissionPolicy"),
        "{path}"
    );
    policy
}

/// Each example deploys the policy for exactly the resources and operations
/// policy-metadata.yml lists: compared row by row, whatever rows the
/// metadata gains.
#[test]
fn every_example_policy_lists_exactly_the_metadata_rules() {
    let want = admitted(&yaml("policy-metadata.yml")["rules"]);
    for path in EXAMPLE_POLICIES {
        let got = admitted(&example_policy(path)["spec"]["rules"]);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{path}: rules differ from policy-metadata.yml; missing {missing:?}, extra {extra:?}"
        );
    }
}

/// The context-aware example and the policy server's policies.yml grant what
/// the metadata declares (contextAwareResources; the one host capability),
/// the plain example grants nothing, and each policies.yml entry carries the
/// settings of its example: the README's deployments are what the smoke test
/// runs.
#[test]
fn example_deployments_grant_what_the_lookups_need() {
    let meta = yaml("policy-metadata.yml");
    let plain = example_policy("examples/cluster-admission-policy.yaml");
    let aware = example_policy("examples/context-aware.yaml");
    assert!(plain["spec"].get("contextAwareResources").is_none());
    assert_eq!(
        plain["spec"]["settings"].get("crossObjectChecks"),
        None,
        "the plain example keeps the default (no lookups)"
    );
    assert_eq!(
        aware["spec"]["contextAwareResources"],
        meta["contextAwareResources"]
    );
    assert_eq!(
        aware["spec"]["settings"]["crossObjectChecks"],
        Value::Bool(true)
    );
    let rbac = documents("examples/context-aware.yaml");
    assert!(
        rbac.iter()
            .any(|d| d["kind"].as_str() == Some("ClusterRole")),
        "the context-aware example lets the policy server list the kinds"
    );
    let servers = yaml("examples/policies.yml");
    let entry = |name: &str| servers[name].clone();
    assert_eq!(
        entry("secure-metrics")["settings"],
        plain["spec"]["settings"]
    );
    assert!(entry("secure-metrics")
        .get("contextAwareResources")
        .is_none());
    assert!(entry("secure-metrics").get("hostCapabilities").is_none());
    let aware_entry = entry("secure-metrics-context-aware");
    assert_eq!(aware_entry["settings"], aware["spec"]["settings"]);
    assert_eq!(
        aware_entry["contextAwareResources"],
        meta["contextAwareResources"]
    );
    assert_eq!(aware_entry["hostCapabilities"], meta["hostCapabilities"]);
    for e in [entry("secure-metrics"), aware_entry] {
        assert_eq!(e["module"], plain["spec"]["module"]);
        assert_eq!(e["allowedToMutate"], Value::Bool(true));
    }
}
