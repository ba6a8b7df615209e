//! A manager's configuration file (SPEC section 15).
//!
//! A container that passes `--config=<file>` (or `--config <file>`) where
//! `<file>` lies in a volume mounted from a ConfigMap reads its metrics
//! address from that file. With lookups available, the policy reads the
//! ConfigMap (one lookup of the workload's namespace's ConfigMaps) and, when
//! the file's first document (the one `sigs.k8s.io/yaml` decodes) is a
//! Configuration of KEP-4377's family (Kueue, JobSet, LeaderWorkerSet) or
//! controller-runtime's `ControllerManagerConfiguration`, takes:
//!
//! - `metrics.bindAddress` as the container's `--metrics-bind-address` (a
//!   flag on the command line wins, as in the binaries);
//! - `internalCertManagement.enable` (a family Configuration only; absent
//!   means `true`) as the container's certificate mode for X1-X3: `false`
//!   expects external metrics certificates, `true` is internal;
//! - `metrics.certDir`, where the controller reads it (JobSet), as the
//!   container's metrics certificate directory, like a `certDirFlags` flag
//!   (SPEC 16, "Certificate directories no flag names": a directory named in
//!   the configuration file): W5 sees that it is mounted, X3 does not ask
//!   for a flag the binary does not have.
//!
//! Without lookups nothing is read from the file and nothing is said about
//! it. A file that cannot be read (not found, not YAML, past the reading's
//! bounds) is left unread too: what it would configure is functional, and
//! the ConfigMap itself is judged by X4 when it is written.

use super::cmdline::{CommandLine, Setting, Val};
use super::mounts;
use crate::cluster::{LookupKind, Lookups};
use crate::family::{self, Controller};
use crate::flag::Flag;
use crate::report::{FieldPath, Report};
use crate::rule::Rule;
use crate::settings::CertManagement;
use crate::view::Obj;
use serde_json::Value;
use std::borrow::Cow;
use yaml_reader::{self as yaml, Budget, Document, Value as YamlValue};

/// controller-runtime's `ControllerManagerConfiguration` group.
const CONTROLLER_RUNTIME_GROUP: &str = "controller-runtime.sigs.k8s.io/";

/// Kueue's metrics certificate directory when its certificates are external
/// (KEP-4377), where a mounted Secret counts as its certificates (SPEC 16).
pub(crate) const KUEUE_METRICS_CERT_DIR: &str = "/etc/kueue/metrics/certs";

/// What a container's configuration file says about its metrics server.
#[derive(Clone, Debug)]
pub(crate) struct ConfigFile {
    /// `metrics.bindAddress`, as a reading of the `--config` token.
    pub(crate) bind_address: Option<Setting<'static>>,
    /// `metrics.certDir` (JobSet), as a reading of the `--config` token.
    pub(crate) cert_dir: Option<Setting<'static>>,
    /// The certificate mode `internalCertManagement.enable` gives.
    pub(crate) mode: Option<CertManagement>,
    /// The family controller whose Configuration it is, if any.
    pub(crate) controller: Option<Controller>,
    /// Its ConfigMap does not exist yet: `bind_address` is unknown.
    pub(crate) missing: bool,
}

/// The ConfigMap and key that hold `file`, from the container's mounts:
/// a `subPath` mount of the file itself, or a mount of the ConfigMap's
/// directory (with its `items`, if any).
fn source<'a>(
    container: &Obj<'a>,
    pod_spec: &Obj<'a>,
    file: &str,
    report: &mut Report,
) -> Option<(&'a str, String)> {
    let list = container.list("volumeMounts", report)?;
    let mut best: Option<(usize, &'a str, String)> = None;
    for i in 0..list.len() {
        let Some(m) = list.obj(i, report) else {
            continue;
        };
        let (Some(name), Some(path)) = (m.str("name", report), m.str("mountPath", report)) else {
            continue;
        };
        let Some(path) = mounts::clean(path) else {
            continue;
        };
        let sub_path = m.str("subPath", report).filter(|s| !s.is_empty());
        let item = match sub_path {
            Some(sub) if path == file => sub.to_string(),
            Some(_) => continue,
            None => match file.strip_prefix(&path) {
                Some(rest) if path == "/" => rest.to_string(),
                Some(rest) => match rest.strip_prefix('/') {
                    Some(rel) if !rel.is_empty() => rel.to_string(),
                    _ => continue,
                },
                None => continue,
            },
        };
        // The deepest mount wins, as the kubelet stacks them.
        if best.as_ref().is_none_or(|(len, ..)| path.len() >= *len) {
            best = Some((path.len(), name, item));
        }
    }
    let (_, volume, item) = best?;
    let volumes = pod_spec.list("volumes", report)?;
    for i in 0..volumes.len() {
        let Some(v) = volumes.obj(i, report) else {
            continue;
        };
        if v.str("name", report) != Some(volume) {
            continue;
        }
        if let Some(cm) = v.obj("configMap", report) {
            return configmap_key(&cm, &item, report);
        }
        // A projected volume: the first ConfigMap source that projects the
        // file (SPEC 15, "a volume mounted from a ConfigMap").
        let sources = v.obj("projected", report)?.list("sources", report)?;
        for k in 0..sources.len() {
            let Some(cm) = sources
                .obj(k, report)
                .and_then(|s| s.obj("configMap", report))
            else {
                continue;
            };
            if let Some(found) = configmap_key(&cm, &item, report) {
                return Some(found);
            }
        }
        return None;
    }
    None
}

/// The name and key of the ConfigMap source `cm` (a volume's `configMap`, or
/// a projected source) that projects `item`, the file's path in the volume:
/// with `items` the key whose `path` it is, else the key of that name.
fn configmap_key<'a>(cm: &Obj<'a>, item: &str, report: &mut Report) -> Option<(&'a str, String)> {
    let name = cm.str("name", report)?;
    let key = match cm.list("items", report) {
        Some(items) => (0..items.len())
            .filter_map(|k| items.obj(k, report))
            .find(|it| it.get("path").and_then(Value::as_str) == Some(item))
            .and_then(|it| it.get("key").and_then(Value::as_str))
            .map(str::to_string)?,
        None if !item.contains('/') => item.to_string(),
        None => return None,
    };
    Some((name, key))
}

/// The text of key `key` of ConfigMap `name` among `items` (a list answer).
fn text_of(items: &[Value], name: &str, key: &str) -> Option<String> {
    let cm = items
        .iter()
        .find(|cm| cm.pointer("/metadata/name").and_then(Value::as_str) == Some(name))?;
    if let Some(text) = cm
        .get("data")
        .and_then(|d| d.get(key))
        .and_then(Value::as_str)
    {
        return Some(text.to_string());
    }
    let encoded = cm.get("binaryData")?.get(key)?.as_str()?;
    family::binary_text(encoded).and_then(|(text, problem)| problem.is_none().then_some(text))
}

/// The string at `path` (keys) of the document's root mapping.
fn string_at<'d>(doc: &'d Document, keys: &[&str], budget: &mut Budget) -> Option<YamlValue<'d>> {
    let mut node = match doc.root()? {
        YamlValue::Map(root) => root,
        _ => return None,
    };
    let (last, parents) = keys.split_last()?;
    for k in parents {
        match doc.get(node, k, budget).ok()?.map(|n| doc.value(n)) {
            Some(YamlValue::Map(m)) => node = m,
            _ => return None,
        }
    }
    doc.get(node, last, budget).ok()?.map(|n| doc.value(n))
}

/// Reads the first document of a configuration file.
fn parse(text: &str, origin: &str, at: &FieldPath) -> Option<ConfigFile> {
    let mut budget = Budget::new();
    let mut out: Option<ConfigFile> = None;
    let mut first = true;
    let mut each = |doc: Result<&Document, yaml::Unread>, budget: &mut Budget| {
        if !std::mem::take(&mut first) {
            return;
        }
        let Ok(doc) = doc else { return };
        let text_at = |keys: &[&str], budget: &mut Budget| match string_at(doc, keys, budget) {
            Some(YamlValue::Str(s)) => Some(s.to_string()),
            _ => None,
        };
        let (Some(api_version), Some(kind)) =
            (text_at(&["apiVersion"], budget), text_at(&["kind"], budget))
        else {
            return;
        };
        let controller = match kind.as_str() {
            "Configuration" => match Controller::of_api_version(&api_version) {
                Some(c) => Some(c),
                None => return,
            },
            "ControllerManagerConfiguration"
                if api_version.starts_with(CONTROLLER_RUNTIME_GROUP) =>
            {
                None
            }
            _ => return,
        };
        let reading = |key: &str, v: String| Setting {
            written: Cow::Owned(v.clone()),
            value: Val::Known(Cow::Owned(v)),
            spelled: Cow::Owned(format!("metrics.{key} in {origin}")),
            path: at.clone(),
            ips: Vec::new(),
        };
        let bind_address =
            text_at(&["metrics", "bindAddress"], budget).map(|v| reading("bindAddress", v));
        let cert_dir = match controller {
            Some(c) if c.names_metrics_cert_dir() => text_at(&["metrics", "certDir"], budget)
                .filter(|v| !v.is_empty())
                .map(|v| reading("certDir", v)),
            _ => None,
        };
        let mode = controller.map(|_| {
            let enable = match string_at(doc, &["internalCertManagement", "enable"], budget) {
                Some(YamlValue::Bool(b)) => b,
                _ => true,
            };
            if enable {
                CertManagement::Internal
            } else {
                CertManagement::External
            }
        });
        out = Some(ConfigFile {
            bind_address,
            cert_dir,
            mode,
            controller,
            missing: false,
        });
    };
    let _ = yaml::read(text, &mut budget, &mut |_| {}, &mut each);
    out
}

/// The configuration file of a container, read through `lookups` from the
/// ConfigMap of `namespace` it is mounted from; `None` without `--config`,
/// without such a mount, or when the file cannot be read.
pub(crate) fn read(
    container: &Obj,
    pod_spec: &Obj,
    cmd: &CommandLine,
    namespace: &str,
    lookups: &Lookups,
    report: &mut Report,
) -> Option<ConfigFile> {
    let flag = cmd.value(Flag::CONFIG)?;
    // A relative path is read from the working directory; without
    // `workingDir`, from the image's WORKDIR, which the policy cannot see:
    // `/`, Kubebuilder's (`--config=controller_manager_config.yaml` beside a
    // `subPath` mount at `/controller_manager_config.yaml`).
    let file = mounts::resolve(
        flag.known()?,
        Some(
            container
                .get("workingDir")
                .and_then(Value::as_str)
                .unwrap_or("/"),
        ),
    )?;
    let (name, key) = source(container, pod_spec, &file, report)?;
    let items = lookups.list(LookupKind::ConfigMap, namespace, (Rule::W3, &flag.path))?;
    if !items
        .iter()
        .any(|cm| cm.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
    {
        // The pod waits for the ConfigMap, whose file is never judged when
        // it comes: its metrics address is unknown (fail closed).
        return Some(ConfigFile {
            bind_address: Some(Setting {
                value: Val::Unknown(vec![format!(
                    "ConfigMap {name:?}, which does not exist yet"
                )]),
                written: Cow::Borrowed("(file not yet written)"),
                spelled: Cow::Owned(format!(
                    "metrics.bindAddress in ConfigMap {name:?} key {key:?}"
                )),
                path: flag.path.clone(),
                ips: Vec::new(),
            }),
            cert_dir: None,
            mode: None,
            controller: None,
            missing: true,
        });
    }
    let text = text_of(&items, name, &key)?;
    let origin = format!("ConfigMap {name:?} key {key:?}");
    parse(&text, &origin, &flag.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUEUE: &str = "apiVersion: config.kueue.x-k8s.io/v1beta1
kind: Configuration
health:
  healthProbeBindAddress: :8081
metrics:
  bindAddress: :8443
webhook:
  port: 9443
internalCertManagement:
  enable: false
";

    #[test]
    fn reads_the_first_document_of_the_family_and_controller_runtime() {
        let at = FieldPath::root();
        let k = parse(KUEUE, "cm", &at).expect("a Kueue Configuration");
        assert_eq!(k.controller, Some(Controller::Kueue));
        assert_eq!(k.mode, Some(CertManagement::External));
        assert_eq!(k.bind_address.unwrap().known(), Some(":8443"));
        // Absent internalCertManagement: Kueue manages its own certificates.
        let internal = parse(&KUEUE.replace("  enable: false\n", ""), "cm", &at).unwrap();
        assert_eq!(internal.mode, Some(CertManagement::Internal));
        let cr = "apiVersion: controller-runtime.sigs.k8s.io/v1alpha1\nkind: ControllerManagerConfiguration\nmetrics:\n  bindAddress: 127.0.0.1:8080\n";
        let cr = parse(cr, "cm", &at).unwrap();
        assert_eq!((cr.controller, cr.mode), (None, None));
        assert_eq!(cr.bind_address.unwrap().known(), Some("127.0.0.1:8080"));
        // Only the first document counts; another kind says nothing.
        assert!(parse(&format!("kind: Other\n---\n{KUEUE}"), "cm", &at).is_none());
        assert!(parse("a: [", "cm", &at).is_none());
        // Aliases are resolved, never copied.
        let aliased = "apiVersion: config.kueue.x-k8s.io/v1beta1\nkind: Configuration\nx: &m {bindAddress: ':9090'}\nmetrics: *m\n";
        assert_eq!(
            parse(aliased, "cm", &at)
                .unwrap()
                .bind_address
                .unwrap()
                .known(),
            Some(":9090")
        );
    }

    /// JobSet's manager configuration (config/components/manager of
    /// kubernetes-sigs/jobset) with external metrics certificates in a
    /// directory of its own.
    const JOBSET: &str = "apiVersion: config.jobset.x-k8s.io/v1alpha1
kind: Configuration
leaderElection:
  leaderElect: true
metrics:
  bindAddress: :8443
  certDir: /etc/jobset/metrics-certs
internalCertManagement:
  enable: false
";

    #[test]
    fn reads_metrics_cert_dir_where_the_controller_reads_it() {
        let at = FieldPath::root();
        let j = parse(JOBSET, "cm", &at).expect("a JobSet Configuration");
        assert_eq!(j.controller, Some(Controller::JobSet));
        assert_eq!(
            j.cert_dir.unwrap().known(),
            Some("/etc/jobset/metrics-certs")
        );
        // LeaderWorkerSet's and Kueue's metrics have no certDir: the binary
        // ignores it, so does the policy.
        let lws = JOBSET.replace("config.jobset.x-k8s.io", "config.lws.x-k8s.io");
        assert!(parse(&lws, "cm", &at).unwrap().cert_dir.is_none());
        let kueue = JOBSET.replace(
            "config.jobset.x-k8s.io/v1alpha1",
            "config.kueue.x-k8s.io/v1beta1",
        );
        assert!(parse(&kueue, "cm", &at).unwrap().cert_dir.is_none());
        let empty = JOBSET.replace("/etc/jobset/metrics-certs", "\"\"");
        assert!(parse(&empty, "cm", &at).unwrap().cert_dir.is_none());
    }

    /// JobSet's manager (`test_data/workloads/jobset-manager-config-file-cert-dir.json`,
    /// shaped on its config/default with the metrics Secret mounted at
    /// /etc/jobset/metrics-certs) through the whole review.
    fn jobset_review(config: &str, settings: serde_json::Value) -> crate::report::Verdict {
        use crate::cluster::fake::FakeCluster;
        let cluster = FakeCluster::default()
            .with(
                LookupKind::ConfigMap,
                "jobset-system",
                vec![serde_json::json!({
                "metadata": {"name": "jobset-manager-config"},
                "data": {"controller_manager_config.yaml": config}})],
            )
            .with(
                LookupKind::Certificate,
                "jobset-system",
                vec![serde_json::json!({"metadata": {"name": "metrics-certs"},
                    "spec": {"secretName": "metrics-server-cert"}})],
            );
        let s = crate::review::validate_settings(&settings).expect("valid settings");
        let text =
            std::fs::read_to_string("test_data/workloads/jobset-manager-config-file-cert-dir.json")
                .unwrap();
        let mut req = serde_json::from_str(&text).unwrap();
        crate::review::review_with(&mut req, &s, Some(&cluster))
    }

    #[test]
    fn x3_reads_jobsets_metrics_cert_dir_from_the_configuration_file() {
        let external = serde_json::json!({"crossObjectChecks": true, "certManagement": "external"});
        // The file names the directory where the Secret is mounted: the
        // container has its certificates (JobSet has no --metrics-cert-path,
        // which Go's flag package would refuse).
        let v = jobset_review(JOBSET, external.clone());
        assert!(v.report.is_clean() && v.mutated.is_none(), "{v:?}");
        assert!(v.report.warnings.is_empty(), "{:?}", v.report.warnings);
        // Without certDir, JobSet serves from controller-runtime's default
        // directory, where nothing is mounted: X3, as before.
        let v = jobset_review(
            &JOBSET.replace("  certDir: /etc/jobset/metrics-certs\n", ""),
            external.clone(),
        );
        assert_eq!(
            rules(&v),
            [(
                "X3".to_string(),
                "spec.template.spec.containers[0]".to_string()
            )],
            "{v:?}"
        );
        // A directory the file names but nothing mounts: W5 mounts the
        // Secret there, and adds no flag.
        let v = jobset_review(
            &JOBSET.replace("/etc/jobset/metrics-certs", "/etc/jobset/other"),
            external,
        );
        let patched = serde_json::to_string(&v.mutated.expect("repaired")).unwrap();
        assert!(
            patched.contains("\"mountPath\":\"/etc/jobset/other\""),
            "{patched}"
        );
        assert!(!patched.contains("--metrics-cert-path"), "{patched}");
    }

    /// The file's ConfigMap and key, through each kind of mount: a
    /// `configMap` volume (its `items` too), `subPath`, and a `projected`
    /// volume's ConfigMap sources (SPEC 15, "a volume mounted from a
    /// ConfigMap"; the review found a projected one never read).
    #[test]
    fn the_file_is_found_through_every_configmap_mount() {
        use serde_json::json;
        let file = "/etc/kueue/controller_manager_config.yaml";
        let cases = [
            (
                json!({"name": "c", "configMap": {"name": "kueue-manager-config"}}),
                None,
                Some("controller_manager_config.yaml"),
            ),
            (
                json!({"name": "c", "configMap": {"name": "kueue-manager-config", "items": [{"key": "cfg", "path": "controller_manager_config.yaml"}]}}),
                None,
                Some("cfg"),
            ),
            (
                json!({"name": "c", "configMap": {"name": "kueue-manager-config"}}),
                Some("controller_manager_config.yaml"),
                Some("controller_manager_config.yaml"),
            ),
            (
                json!({"name": "c", "projected": {"sources": [{"secret": {"name": "s"}}, {"configMap": {"name": "kueue-manager-config"}}]}}),
                None,
                Some("controller_manager_config.yaml"),
            ),
            (
                json!({"name": "c", "projected": {"sources": [{"configMap": {"name": "other", "items": [{"key": "a", "path": "a.yaml"}]}}, {"configMap": {"name": "kueue-manager-config", "items": [{"key": "cfg", "path": "controller_manager_config.yaml"}]}}]}}),
                None,
                Some("cfg"),
            ),
            (json!({"name": "c", "emptyDir": {}}), None, None),
        ];
        for (volume, sub_path, want) in cases {
            let mount = match sub_path {
                Some(sub) => json!({"name": "c", "mountPath": file, "subPath": sub}),
                None => json!({"name": "c", "mountPath": "/etc/kueue"}),
            };
            let container = json!({"name": "manager", "volumeMounts": [mount]});
            let pod = json!({"volumes": [volume.clone()], "containers": [container.clone()]});
            let mut r = Report::new();
            let c = Obj::at(&container, FieldPath::root(), &mut r).unwrap();
            let p = Obj::at(&pod, FieldPath::root(), &mut r).unwrap();
            let found = source(&c, &p, file, &mut r);
            let name = want.map(|_| "kueue-manager-config");
            assert_eq!(
                found.as_ref().map(|(n, k)| (*n, k.as_str())),
                name.zip(want),
                "{volume}"
            );
        }
    }

    /// X1 says where the internal mode came from: the file, not the
    /// certManagement setting (which is auto here).
    #[test]
    fn x1_names_the_configuration_file_that_sets_internal_certificates() {
        let auto = serde_json::json!({"crossObjectChecks": true});
        let v = jobset_review(&JOBSET.replace("enable: false", "enable: true"), auto);
        assert_eq!(
            rules(&v),
            [(
                "X1".to_string(),
                "spec.template.spec.containers[0].volumeMounts[1]".to_string()
            )],
            "{v:?}"
        );
        let detail = &v.report.violations[0].detail;
        assert!(
            detail.contains("its configuration file sets internalCertManagement.enable: true")
                && detail.contains("set internalCertManagement.enable: false in that file")
                && !detail.contains("certManagement: internal"),
            "{detail}"
        );
    }

    /// The Kueue manager of `test_data/workloads/kueue-manager-config-file.json`
    /// through the whole review, its ConfigMap answered by a fake cluster.
    fn kueue_review(
        config: &str,
        settings: serde_json::Value,
        certs: Vec<Value>,
    ) -> crate::report::Verdict {
        use crate::cluster::fake::FakeCluster;
        let cluster = FakeCluster::default()
            .with(
                LookupKind::ConfigMap,
                "kueue-system",
                vec![serde_json::json!({
                "metadata": {"name": "kueue-manager-config"},
                "data": {"controller_manager_config.yaml": config}})],
            )
            .with(LookupKind::Certificate, "kueue-system", certs);
        let s = crate::review::validate_settings(&settings).expect("valid settings");
        let text =
            std::fs::read_to_string("test_data/workloads/kueue-manager-config-file.json").unwrap();
        let mut req = serde_json::from_str(&text).unwrap();
        crate::review::review_with(&mut req, &s, Some(&cluster))
    }

    /// The Kueue manager of `kueue_review`, its request edited first, with
    /// its ConfigMap (holding `config`) in the cluster, or none.
    fn kueue_review_edited(
        config: Option<&str>,
        settings: serde_json::Value,
        edit: impl Fn(&mut Value),
    ) -> crate::report::Verdict {
        use crate::cluster::fake::FakeCluster;
        let configmaps = config.map_or_else(Vec::new, |c| {
            vec![
                serde_json::json!({"metadata": {"name": "kueue-manager-config"},
                "data": {"controller_manager_config.yaml": c}}),
            ]
        });
        let cluster = FakeCluster::default()
            .with(LookupKind::ConfigMap, "kueue-system", configmaps)
            .with(LookupKind::Certificate, "kueue-system", vec![]);
        let s = crate::review::validate_settings(&settings).expect("valid settings");
        let text =
            std::fs::read_to_string("test_data/workloads/kueue-manager-config-file.json").unwrap();
        let mut req: Value = serde_json::from_str(&text).unwrap();
        edit(&mut req);
        let mut req = serde_json::from_value(req).unwrap();
        crate::review::review_with(&mut req, &s, Some(&cluster))
    }

    /// A relative `--config` without `workingDir` is read from `/`
    /// (Kubebuilder v3's `--config=controller_manager_config.yaml`); a
    /// ConfigMap that does not exist yet holds an unknown address (its file
    /// is never judged when it comes).
    #[test]
    fn w3_fails_closed_on_a_configuration_file_it_cannot_read_yet() {
        let settings =
            serde_json::json!({"crossObjectChecks": true, "metricsSecureDefault": false});
        let config = KUEUE.replace(":8443", ":8080");
        let relative = |req: &mut Value| {
            req["object"]["spec"]["template"]["spec"]["containers"][0]["args"][0] =
                serde_json::json!("--config=controller_manager_config.yaml");
        };
        let v = kueue_review_edited(Some(&config), settings.clone(), relative);
        assert_eq!(
            rules(&v),
            [(
                "W3".to_string(),
                "spec.template.spec.containers[0].args[0]".to_string()
            )]
        );
        // Elsewhere than `/`: the file is not at the mount, nothing is read.
        let v = kueue_review_edited(Some(&config), settings.clone(), |req| {
            relative(req);
            req["object"]["spec"]["template"]["spec"]["containers"][0]["workingDir"] =
                serde_json::json!("/app");
        });
        assert!(v.report.violations.is_empty(), "{:?}", v.report.violations);
        // The ConfigMap does not exist yet.
        let v = kueue_review_edited(None, settings.clone(), |_| {});
        assert_eq!(
            rules(&v),
            [(
                "W3".to_string(),
                "spec.template.spec.containers[0].args[0]".to_string()
            )]
        );
        let detail = &v.report.violations[0].detail;
        assert!(
            detail.contains("ConfigMap \"kueue-manager-config\", which does not exist yet"),
            "{detail}"
        );
        // Where TLS is on, the unknown address is not an exposure, and X3
        // (functional) does not judge a file that does not exist yet.
        for s in [
            serde_json::json!({"crossObjectChecks": true}),
            serde_json::json!({"crossObjectChecks": true, "certManagement": "external"}),
        ] {
            let v = kueue_review_edited(None, s.clone(), |_| {});
            assert!(
                v.report.violations.is_empty() && v.report.warnings.is_empty(),
                "{s}: {v:?}"
            );
        }
        // Fixed: the flag on the command line wins over the file.
        let v = kueue_review_edited(None, settings, |req| {
            let args = &mut req["object"]["spec"]["template"]["spec"]["containers"][0]["args"];
            args.as_array_mut()
                .unwrap()
                .push(serde_json::json!("--metrics-bind-address=127.0.0.1:8080"));
        });
        assert!(v.report.violations.is_empty(), "{:?}", v.report.violations);
    }

    fn rules(v: &crate::report::Verdict) -> Vec<(String, String)> {
        crate::testing::findings(&v.report)
    }

    #[test]
    fn w3_reads_metrics_bind_address_from_the_configuration_file() {
        let settings =
            serde_json::json!({"crossObjectChecks": true, "metricsSecureDefault": false});
        let v = kueue_review(&KUEUE.replace(":8443", ":8080"), settings.clone(), vec![]);
        assert_eq!(
            rules(&v),
            [(
                "W3".to_string(),
                "spec.template.spec.containers[0].args[0]".to_string()
            )]
        );
        let detail = &v.report.violations[0].detail;
        assert!(detail.contains("metrics.bindAddress in ConfigMap \"kueue-manager-config\" key \"controller_manager_config.yaml\"=:8080"), "{detail}");
        // Fixed: the file binds to loopback.
        let v = kueue_review(&KUEUE.replace(":8443", "127.0.0.1:8080"), settings, vec![]);
        assert!(v.report.violations.is_empty(), "{:?}", v.report.violations);
        // Without lookups nothing is read from the file.
        let s =
            crate::review::validate_settings(&serde_json::json!({"metricsSecureDefault": false}))
                .unwrap();
        let text =
            std::fs::read_to_string("test_data/workloads/kueue-manager-config-file.json").unwrap();
        let mut req = serde_json::from_str(&text).unwrap();
        let v = crate::review::review_with(&mut req, &s, None);
        assert!(
            v.report.violations.is_empty() && v.report.warnings.is_empty(),
            "{v:?}"
        );
    }

    #[test]
    fn internal_cert_management_is_the_containers_mode() {
        // enable: false expects external metrics certificates at Kueue's
        // directory: without them X3, in auto mode too; with a Certificate
        // writing the metrics Secret, the mount is injected there, no flag.
        let external = serde_json::json!({"crossObjectChecks": true});
        let metrics_cert = serde_json::json!({"metadata": {"name": "kueue-metrics-cert"},
            "spec": {"secretName": "metrics-server-cert", "dnsNames": ["kueue-controller-manager-metrics-service.kueue-system.svc"]}});
        let v = kueue_review(KUEUE, external.clone(), vec![]);
        assert_eq!(
            rules(&v),
            [(
                "X3".to_string(),
                "spec.template.spec.containers[0]".to_string()
            )]
        );
        assert!(
            v.report.violations[0]
                .detail
                .contains("internalCertManagement.enable: false"),
            "{:?}",
            v.report.violations
        );
        let v = kueue_review(KUEUE, external, vec![metrics_cert]);
        assert!(v.report.violations.is_empty(), "{:?}", v.report.violations);
        let patched = v.mutated.expect("the mount is injected");
        let c = &patched["spec"]["template"]["spec"]["containers"][0];
        assert!(
            c["volumeMounts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["mountPath"] == KUEUE_METRICS_CERT_DIR),
            "{c}"
        );
        assert_eq!(c["args"].as_array().unwrap().len(), 2, "no flag added: {c}");
        // enable: true (the default) is internal: a mounted metrics Secret is X1.
        let internal = KUEUE.replace("  enable: false\n", "");
        let v = kueue_review(
            &internal,
            serde_json::json!({"crossObjectChecks": true}),
            vec![],
        );
        assert!(v.report.violations.is_empty(), "{:?}", v.report.violations);
    }
}
