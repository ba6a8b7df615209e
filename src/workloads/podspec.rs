//! The one place that knows where each workload kind keeps its pod spec
//! (SPEC section 5): `spec` for a Pod, `spec.template.spec` for Deployment,
//! StatefulSet, DaemonSet, ReplicaSet and Job, and
//! `spec.jobTemplate.spec.template.spec` for CronJob. Reading and editing use
//! the same table, so the paths in messages and the paths edited agree.
//!
//! A pod spec's containers are its `initContainers`, `containers` and
//! `ephemeralContainers`. Ephemeral containers are added to a running Pod by
//! `kubectl debug` through the `pods/ephemeralcontainers` subresource, and
//! the audit scanner replays them as part of the Pod; a pod template may
//! carry the field too (the API server refuses it there, after mutating
//! admission): wherever it appears, every workload rule reads them like
//! containers (a fail-closed reading). No repair ever edits one: the API
//! server lets nothing change an ephemeral container once added.

use crate::report::{FieldPath, Report};
use crate::view::Obj;
use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
}

impl WorkloadKind {
    /// The keys from the object root to the pod template (the object that has
    /// `metadata` and `spec`). For a Pod, the object itself.
    pub(crate) fn template_keys(self) -> &'static [&'static str] {
        match self {
            WorkloadKind::Pod => &[],
            WorkloadKind::CronJob => &["spec", "jobTemplate", "spec", "template"],
            _ => &["spec", "template"],
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }
}

/// A workload's pod spec with the metadata whose annotations steer injection.
#[derive(Clone, Debug)]
pub(crate) struct PodSpecView<'a> {
    /// The pod spec, with its path (`spec.template.spec`, ...).
    pub(crate) spec: Obj<'a>,
    /// `metadata` of the pod template (for a Pod: the Pod's own metadata).
    pub(crate) template_metadata: Option<Obj<'a>>,
    /// `metadata` of the workload object itself (for a Pod: `None`).
    pub(crate) workload_metadata: Option<Obj<'a>>,
}

impl PodSpecView<'_> {
    /// The annotation `key`: the pod template's wins over the workload's
    /// (SPEC section 7, injection order). Wrong types are reported.
    pub(crate) fn annotation(&self, key: &str, report: &mut Report) -> Option<(FieldPath, String)> {
        for meta in [&self.template_metadata, &self.workload_metadata]
            .into_iter()
            .flatten()
        {
            // The path is built only for an annotation that is there.
            let annotations = match meta.get("annotations") {
                Some(Value::Object(map)) => map,
                Some(other) => {
                    report.type_invalid(meta.path_of("annotations"), "object", other);
                    continue;
                }
                None => continue,
            };
            match annotations.get(key) {
                None | Some(Value::Null) => {}
                Some(v) => {
                    let path = meta.path_of("annotations").key(key);
                    match v {
                        Value::String(s) => return Some((path, s.clone())),
                        other => report.type_invalid(path, "string", other),
                    }
                }
            }
        }
        None
    }
}

/// One container or init container of a pod spec.
#[derive(Clone, Debug)]
pub(crate) struct ContainerRef<'a> {
    /// The container object; its path is `...spec.containers[0]` or
    /// `...spec.initContainers[0]`.
    pub(crate) obj: Obj<'a>,
    /// `containers`, `initContainers` or `ephemeralContainers`.
    pub(crate) list: &'static str,
    pub(crate) index: usize,
    /// The container's name (empty when missing or of the wrong type).
    pub(crate) name: &'a str,
}

impl ContainerRef<'_> {
    pub(crate) fn is_init(&self) -> bool {
        self.list == "initContainers"
    }

    /// An ephemeral container (`kubectl debug`): read by every rule, never
    /// edited.
    pub(crate) fn is_ephemeral(&self) -> bool {
        self.list == EPHEMERAL
    }
}

/// The list of ephemeral containers.
pub(crate) const EPHEMERAL: &str = "ephemeralContainers";

impl<'a> PodSpecView<'a> {
    /// Every init container, container and ephemeral container, in the
    /// order the kubelet starts them. Entries of the wrong type are reported.
    pub(crate) fn containers(&self, report: &mut Report) -> Vec<ContainerRef<'a>> {
        let mut out = Vec::new();
        for list in ["initContainers", "containers", EPHEMERAL] {
            if let Some(items) = self.spec.list(list, report) {
                for index in 0..items.len() {
                    let Some(obj) = items.obj(index, report) else {
                        continue;
                    };
                    let name = obj.str("name", report).unwrap_or("");
                    out.push(ContainerRef {
                        obj,
                        list,
                        index,
                        name,
                    });
                }
            }
        }
        out
    }
}

/// Finds the pod spec of `root`. Missing levels mean there is nothing to
/// check (`None`); levels of the wrong type are reported.
pub(crate) fn find<'a>(
    kind: WorkloadKind,
    root: &Obj<'a>,
    report: &mut Report,
) -> Option<PodSpecView<'a>> {
    let mut template = root.clone();
    for key in kind.template_keys() {
        template = template.obj(key, report)?;
    }
    let workload_metadata = if kind == WorkloadKind::Pod {
        None
    } else {
        root.obj("metadata", report)
    };
    let template_metadata = template.obj("metadata", report);
    let spec = template.obj("spec", report)?;
    Some(PodSpecView {
        spec,
        template_metadata,
        workload_metadata,
    })
}

/// The pod spec of `root` for editing, created along the way only where the
/// reading side found it (callers edit only what [`find`] returned).
pub(crate) fn find_mut(kind: WorkloadKind, root: &mut Value) -> Option<&mut Map<String, Value>> {
    let mut node = root;
    for key in kind.template_keys().iter().chain(std::iter::once(&"spec")) {
        node = node.as_object_mut()?.get_mut(*key)?;
    }
    node.as_object_mut()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec_path(kind: WorkloadKind, v: &Value) -> Option<String> {
        let mut r = Report::new();
        let root = Obj::at(v, FieldPath::root(), &mut r).unwrap();
        find(kind, &root, &mut r).map(|p| p.spec.path.as_str().to_string())
    }

    #[test]
    fn finds_the_pod_spec_of_every_kind() {
        let pod = json!({"metadata": {}, "spec": {"containers": []}});
        let templated = json!({"spec": {"template": {"spec": {"containers": []}}}});
        let cron = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}});
        assert_eq!(spec_path(WorkloadKind::Pod, &pod).unwrap(), "spec");
        for k in [
            WorkloadKind::Deployment,
            WorkloadKind::StatefulSet,
            WorkloadKind::DaemonSet,
            WorkloadKind::ReplicaSet,
            WorkloadKind::Job,
        ] {
            assert_eq!(spec_path(k, &templated).unwrap(), "spec.template.spec");
        }
        assert_eq!(
            spec_path(WorkloadKind::CronJob, &cron).unwrap(),
            "spec.jobTemplate.spec.template.spec"
        );
        assert!(spec_path(WorkloadKind::CronJob, &templated).is_none());
    }

    #[test]
    fn wrong_types_on_the_way_are_reported() {
        let v = json!({"spec": {"template": []}});
        let mut r = Report::new();
        let root = Obj::at(&v, FieldPath::root(), &mut r).unwrap();
        assert!(find(WorkloadKind::Deployment, &root, &mut r).is_none());
        assert_eq!(r.violations[0].path.as_str(), "spec.template");
    }

    #[test]
    fn template_annotations_win_over_workload_annotations() {
        let v = json!({
            "metadata": {"annotations": {"secure-metrics/container": "outer", "only-outer": "x"}},
            "spec": {"template": {
                "metadata": {"annotations": {"secure-metrics/container": "inner"}},
                "spec": {}
            }}
        });
        let mut r = Report::new();
        let root = Obj::at(&v, FieldPath::root(), &mut r).unwrap();
        let p = find(WorkloadKind::Deployment, &root, &mut r).unwrap();
        let (path, value) = p.annotation("secure-metrics/container", &mut r).unwrap();
        assert_eq!(value, "inner");
        assert_eq!(
            path.as_str(),
            "spec.template.metadata.annotations[secure-metrics/container]"
        );
        assert_eq!(p.annotation("only-outer", &mut r).unwrap().1, "x");
        assert!(p.annotation("absent", &mut r).is_none());
    }

    #[test]
    fn wrong_annotation_types_are_reported_and_null_is_absent() {
        let v = json!({
            "metadata": {"annotations": "not-a-map"},
            "spec": {"template": {
                "metadata": {"annotations": {"a": null, "b": 3}},
                "spec": {}
            }}
        });
        let mut r = Report::new();
        let root = Obj::at(&v, FieldPath::root(), &mut r).unwrap();
        let p = find(WorkloadKind::Deployment, &root, &mut r).unwrap();
        assert!(p.annotation("a", &mut r).is_none());
        assert!(p.annotation("b", &mut r).is_none());
        let found: Vec<&str> = r.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            found,
            [
                "metadata.annotations",
                "spec.template.metadata.annotations[b]",
                "metadata.annotations"
            ]
        );
    }

    #[test]
    fn lists_init_containers_and_containers_with_paths() {
        let v = json!({"spec": {"initContainers": [{"name": "init"}],
                                "containers": [{"name": "manager"}, {"name": 3}, "x"]}});
        let mut r = Report::new();
        let root = Obj::at(&v, FieldPath::root(), &mut r).unwrap();
        let p = find(WorkloadKind::Pod, &root, &mut r).unwrap();
        let cs = p.containers(&mut r);
        let seen: Vec<(&str, &str, bool)> = cs
            .iter()
            .map(|c| (c.obj.path.as_str(), c.name, c.is_init()))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("spec.initContainers[0]", "init", true),
                ("spec.containers[0]", "manager", false),
                ("spec.containers[1]", "", false),
            ]
        );
        // In the order of the elements.
        let bad: Vec<&str> = r.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(bad, vec!["spec.containers[1].name", "spec.containers[2]"]);
    }

    #[test]
    fn lists_ephemeral_containers_last_wherever_they_appear() {
        // A Pod after `kubectl debug`, and a template that carries the field
        // (the API server refuses it there, after admission: read anyway).
        let pod = json!({"spec": {"containers": [{"name": "manager"}],
            "ephemeralContainers": [{"name": "debugger-x7k2p", "targetContainerName": "manager"}, 3]}});
        let templated = json!({"spec": {"template": {"spec": {
            "ephemeralContainers": [{"name": "debugger"}]}}}});
        for (kind, v, expected) in [
            (
                WorkloadKind::Pod,
                &pod,
                vec![
                    ("spec.containers[0]", false),
                    ("spec.ephemeralContainers[0]", true),
                ],
            ),
            (
                WorkloadKind::Deployment,
                &templated,
                vec![("spec.template.spec.ephemeralContainers[0]", true)],
            ),
        ] {
            let mut r = Report::new();
            let root = Obj::at(v, FieldPath::root(), &mut r).unwrap();
            let p = find(kind, &root, &mut r).unwrap();
            let cs = p.containers(&mut r);
            let seen: Vec<(&str, bool)> = cs
                .iter()
                .map(|c| (c.obj.path.as_str(), c.is_ephemeral()))
                .collect();
            assert_eq!(seen, expected);
            let bad: Vec<&str> = r.violations.iter().map(|v| v.path.as_str()).collect();
            let expected_bad: &[&str] = match kind {
                WorkloadKind::Pod => &["spec.ephemeralContainers[1]"],
                _ => &[],
            };
            assert_eq!(bad, expected_bad);
        }
    }

    #[test]
    fn find_mut_reaches_the_same_spec() {
        let mut v = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"a": 1}}}}}});
        let spec = find_mut(WorkloadKind::CronJob, &mut v).unwrap();
        spec.insert("b".into(), json!(2));
        assert_eq!(v["spec"]["jobTemplate"]["spec"]["template"]["spec"]["b"], 2);
    }
}
