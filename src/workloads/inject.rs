//! The metrics-certificate injection (SPEC sections 6 and 7, "Injection order").
//!
//! [`super::certs`] finds what needs repairing; this module plans the edit,
//! refuses it on a conflict, applies it to a clone of the request's JSON (so
//! every field it does not touch, known to k8s-openapi or not, survives as
//! received), and re-runs the whole workload review on the result: an
//! injection that would leave the object breaking any rule, or still needing
//! a repair, is refused and reported instead.

use super::certs::{default_dir, Need, Pod, Trigger};
use super::mounts;
use super::{podspec, Workload, WorkloadKind};
use crate::context::Ctx;
use crate::report::{ErrorType, FieldPath, Report, Violation};
use crate::rule::Rule;
use crate::settings::Settings;
use serde_json::{json, Map, Value};
use std::cell::Cell;

pub const INJECT_ANNOTATION: &str = "secure-metrics/inject-metrics-certs";
pub const CONTAINER_ANNOTATION: &str = "secure-metrics/container";

/// Marks the findings that the re-check reports as still needing a repair.
pub const STILL_NEEDED: &str = "repair still needed: ";

thread_local! {
    static RECHECK: Cell<bool> = const { Cell::new(false) };
}

/// Whether the review is re-checking an object (its own result, or the
/// original for comparison): repairs are then reported, never attempted.
pub fn rechecking() -> bool {
    RECHECK.with(Cell::get)
}

/// The whole workload review of `object`, in re-check mode.
fn recheck(kind: WorkloadKind, object: &Value, ctx: &Ctx) -> Report {
    let mut report = Report::new();
    RECHECK.with(|c| c.set(true));
    super::review(kind, object, ctx, &mut report);
    RECHECK.with(|c| c.set(false));
    report
}

/// The container that receives an injection triggered by the annotation
/// (SPEC section 6), or why there is none.
fn target(pod: &Pod, by_annotation: Option<usize>, s: &Settings) -> Result<usize, String> {
    let names = |ix: &[usize]| {
        ix.iter()
            .map(|&i| pod.views[i].label())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let carriers: Vec<usize> = (0..pod.views.len())
        .filter(|&i| pod.views[i].carries_metrics_config())
        .collect();
    let by_setting = pod
        .views
        .iter()
        .position(|cv| cv.c.at.name == s.metrics_container_name);
    if carriers.len() == 1 {
        return Ok(carriers[0]);
    }
    if carriers.len() > 1 {
        return [by_annotation, by_setting]
            .into_iter()
            .flatten()
            .find(|i| carriers.contains(i))
            .ok_or_else(|| {
                format!(
                    "containers {} all carry metrics flags or env",
                    names(&carriers)
                )
            });
    }
    let regular: Vec<usize> = (0..pod.views.len())
        .filter(|&i| !pod.views[i].c.at.is_init())
        .collect();
    match (by_annotation, by_setting) {
        (Some(i), _) | (None, Some(i)) => Ok(i),
        _ if regular.len() == 1 => Ok(regular[0]),
        _ => Err(format!(
            "no container carries metrics flags or env, none is named {:?} (metricsContainerName), and the pod has {} containers",
            s.metrics_container_name, regular.len()
        )),
    }
}

/// Reads the injection annotations: reports a bad `secure-metrics/container`,
/// and for the opt-in adds a need for the target container unless it already
/// mounts metrics certificates. Returns the opt-in's path when it is `"true"`.
pub fn opt_in(
    w: &Workload,
    pod: &Pod,
    s: &Settings,
    report: &mut Report,
    needs: &mut Vec<Need>,
) -> Option<FieldPath> {
    let mut by_annotation = None;
    let mut bad_name = false;
    if let Some((path, name)) = w.pod.annotation(CONTAINER_ANNOTATION, report) {
        by_annotation = pod
            .views
            .iter()
            .position(|cv| !name.is_empty() && cv.c.at.name == name);
        if by_annotation.is_none() {
            bad_name = true;
            let all: Vec<String> = pod.views.iter().map(|cv| cv.label()).collect();
            report.invalid(Rule::Invalid, path, format!(
                "names container {name:?}, but the pod has no such container (it has {}); name one of its containers",
                all.join(", ")
            ));
        }
    }
    let (path, value) = w.pod.annotation(INJECT_ANNOTATION, report)?;
    match value.as_str() {
        "true" => {}
        "false" => return None,
        other => {
            report.invalid(
                Rule::Invalid,
                path,
                format!("{other:?} is not \"true\" or \"false\""),
            );
            return None;
        }
    }
    let i = match target(pod, by_annotation, s) {
        Ok(i) => i,
        // A misnamed container is reported above; do not pile on.
        Err(_) if bad_name => return Some(path),
        Err(why) => {
            report.required(Rule::Invalid, path.clone(), format!(
                "{INJECT_ANNOTATION} asks for the metrics certificate mount, but {why}; add the annotation {CONTAINER_ANNOTATION}: <container name> to say which container gets it"
            ));
            return Some(path);
        }
    };
    let cv = &pod.views[i];
    if pod.external_metrics(cv, s).is_none() {
        // The container mounts no metrics Secret, so the directory is the
        // one it names, else metricsCertMountPath.
        let dir = cv
            .named
            .first()
            .map_or_else(|| default_dir(s), |n| n.dir.clone());
        let why = format!(
            "the workload asks for it with {INJECT_ANNOTATION}: \"true\" and container {} mounts no metrics certificates",
            cv.label()
        );
        needs.push(Need {
            trigger: Trigger::Annotation,
            container: i,
            dir,
            append_flag: false,
            path: path.clone(),
            why,
        });
    }
    Some(path)
}

/// The edit of one container at one directory.
struct Edit<'n> {
    container: usize,
    dir: String,
    add_mount: bool,
    append_flag: bool,
    needs: Vec<&'n Need>,
}

/// Groups the findings by container and directory, in order.
fn plan(needs: &[Need]) -> Vec<Edit<'_>> {
    let mut edits: Vec<Edit> = Vec::new();
    for n in needs {
        match edits
            .iter_mut()
            .find(|e| e.container == n.container && mounts::same_dir(&e.dir, &n.dir))
        {
            Some(e) => {
                e.append_flag |= n.append_flag;
                e.needs.push(n);
            }
            None => edits.push(Edit {
                container: n.container,
                dir: n.dir.clone(),
                add_mount: false,
                append_flag: n.append_flag,
                needs: vec![n],
            }),
        }
    }
    edits
}

fn reasons(needs: &[&Need]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for n in needs {
        if !seen.contains(&n.why.as_str()) {
            seen.push(&n.why);
        }
    }
    seen.join("; ")
}

/// Appends `value` to the list `key` of `map`, creating it when absent.
fn push_to(map: &mut Map<String, Value>, key: &str, value: Value) -> Option<()> {
    let slot = map.entry(key).or_insert(Value::Null);
    if slot.is_null() {
        *slot = Value::Array(Vec::new());
    }
    slot.as_array_mut()?.push(value);
    Some(())
}

/// Applies the plan to a clone of `object`; `None` if its shape is not what
/// the reading side saw (then a type violation is already reported).
fn apply(
    w: &Workload,
    pod: &Pod,
    edits: &[Edit],
    volume: &str,
    new: bool,
    object: &Value,
    ctx: &Ctx,
) -> Option<Value> {
    let mut out = object.clone();
    let spec = podspec::find_mut(w.kind, &mut out)?;
    if new {
        let secret = &ctx.settings.metrics_cert_secret_name;
        push_to(
            spec,
            "volumes",
            json!({"name": volume, "secret": {"secretName": secret, "optional": false}}),
        )?;
    }
    for e in edits {
        let at = &pod.views[e.container].c.at;
        let c = spec
            .get_mut(at.list)?
            .as_array_mut()?
            .get_mut(at.index)?
            .as_object_mut()?;
        if e.add_mount {
            push_to(
                c,
                "volumeMounts",
                json!({"name": volume, "mountPath": e.dir, "readOnly": true}),
            )?;
        }
        if e.append_flag {
            push_to(
                c,
                "args",
                Value::String(format!("--metrics-cert-path={}", e.dir)),
            )?;
        }
    }
    Some(out)
}

/// Repairs the findings by injection, or reports why it cannot. Returns the
/// repaired object only when nothing else rejects the request.
pub fn repair(
    w: &Workload,
    pod: &Pod,
    needs: &[Need],
    object: &Value,
    ctx: &Ctx,
    report: &mut Report,
) -> Option<Value> {
    let s = ctx.settings;
    let secret = s.metrics_cert_secret_name.as_str();
    let mut edits = plan(needs);
    let mut conflicts = false;
    for e in &mut edits {
        let cv = &pod.views[e.container];
        match cv
            .mounts
            .iter()
            .find(|m| mounts::same_dir(m.mount_path, &e.dir))
        {
            Some(m) if pod.volume(m.name).is_some_and(|v| v.uses_secret(secret)) => {}
            Some(m) => {
                conflicts = true;
                let what = pod
                    .volume(m.name)
                    .map_or("an undeclared volume".into(), |v| v.describe());
                report.conflict(e.needs[0].trigger.rule(), m.path.clone(), format!(
                    "volume {:?} ({what}) is already mounted at {} in container {}, where the policy would mount Secret {secret:?} because {}; the policy never replaces a mount: mount the metrics certificate at another directory (and point the component at it), or remove this mount",
                    m.name, e.dir, cv.label(), reasons(&e.needs)
                ));
            }
            None => e.add_mount = true,
        }
    }
    let mut volume = (s.metrics_cert_volume_name.as_str(), false);
    if edits.iter().any(|e| e.add_mount) {
        let of_secret = pod.volumes.iter().filter(|v| v.uses_secret(secret));
        let reuse = of_secret
            .clone()
            .find(|v| v.name == volume.0)
            .or(of_secret.clone().next());
        match (reuse, pod.volume(volume.0)) {
            (Some(v), _) => volume.0 = v.name,
            (None, Some(v)) => {
                conflicts = true;
                let why: Vec<&Need> = edits
                    .iter()
                    .filter(|e| e.add_mount)
                    .flat_map(|e| e.needs.iter().copied())
                    .collect();
                report.conflict(why[0].trigger.rule(), v.path.clone(), format!(
                    "volume {:?} already exists with source {}, and the policy never overwrites it; it would add it from Secret {secret:?} because {}: rename that volume, or set metricsCertVolumeName to a free name, or mount Secret {secret:?} yourself",
                    v.name, v.describe(), reasons(&why)
                ));
            }
            (None, None) => volume.1 = true,
        }
    }
    if conflicts {
        return None;
    }
    let mutated = apply(w, pod, &edits, volume.0, volume.1, object, ctx)?;
    if mutated == *object {
        return None;
    }
    let before = recheck(w.kind, object, ctx);
    let after = recheck(w.kind, &mutated, ctx);
    let broken: Vec<&Violation> = after
        .violations
        .iter()
        .filter(|v| v.detail.starts_with(STILL_NEEDED) || !before.violations.contains(v))
        .collect();
    let summary = summarize(pod, &edits, volume, s);
    if !broken.is_empty() {
        let found: Vec<String> = broken.iter().map(|v| v.to_string()).collect();
        let mut listed: Vec<(Rule, &str)> = Vec::new();
        for n in needs {
            if listed.contains(&(n.trigger.rule(), n.path.as_str())) {
                continue;
            }
            listed.push((n.trigger.rule(), n.path.as_str()));
            report.push(n.trigger.rule(), n.path.clone(), ErrorType::Forbidden, format!(
                "{}; the policy cannot repair this: injecting {} would leave the workload with: {}; configure the certificates yourself",
                n.why, summary.join("; "), found.join("; ")
            ));
        }
        return None;
    }
    let others = before
        .violations
        .iter()
        .any(|v| !v.detail.starts_with(STILL_NEEDED));
    if !report.is_clean() || others {
        // Rejected for other reasons: what would be repaired is not listed.
        return None;
    }
    for (e, what) in edits.iter().zip(summary) {
        if !what.is_empty() {
            let cv = &pod.views[e.container];
            report.warn(
                e.needs[0].trigger.rule(),
                cv.c.path(),
                format!("injected {what}, because {}", reasons(&e.needs)),
            );
        }
    }
    Some(mutated)
}

/// What each edit injects, in words (empty when it injects nothing).
fn summarize(
    pod: &Pod,
    edits: &[Edit],
    volume: (&str, bool),
    s: &crate::settings::Settings,
) -> Vec<String> {
    let secret = &s.metrics_cert_secret_name;
    let mut volume_told = false;
    edits
        .iter()
        .map(|e| {
            let cv = &pod.views[e.container];
            let mut parts = Vec::new();
            if e.add_mount {
                if volume.1 && !volume_told {
                    volume_told = true;
                    parts.push(format!(
                        "volume {:?} from Secret {secret:?} (optional: false)",
                        volume.0
                    ));
                }
                let of = if volume.1 {
                    String::new()
                } else {
                    format!(" (Secret {secret:?})")
                };
                parts.push(format!(
                    "a read-only mount of volume {:?}{of} at {} into container {}",
                    volume.0,
                    e.dir,
                    cv.label()
                ));
            }
            if e.append_flag {
                parts.push(format!(
                    "--metrics-cert-path={} into the args of container {}",
                    e.dir,
                    cv.label()
                ));
            }
            parts.join(", ")
        })
        .collect()
}

#[cfg(test)]
#[path = "inject_tests.rs"]
mod tests;
