//! The metrics-certificate injection (SPEC sections 6, 7 "Injection order",
//! 8 and 9): the *plan* and *apply* steps of the repair pipeline, and the
//! comparison that *verifies* the result.
//!
//! [`super::certs::analyze`] says what is needed ([`Need`]); [`plan`] turns
//! the needs into edits or typed [`Conflict`]s (pure), made into an owned
//! [`Repair`]; [`apply`] makes the edits on the request's own JSON (so every
//! field it does not touch, known to k8s-openapi or not, survives as
//! received, and nothing is copied), [`revert`] takes them back; [`verify`] compares
//! the same analysis run on the result with the original's findings by rule
//! and path: an injection that would leave the object breaking a rule, or
//! still needing a repair, is refused and reported instead.

use super::certs::{Need, Pod, Trigger};
use super::mounts;
use super::podspec::{self, WorkloadKind};
use crate::context::Ctx;
use crate::report::{push_quoted, ErrorType, FieldPath, Report};
use crate::rule::Rule;
use crate::settings::Settings;
use serde_json::{json, Map, Value};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

#[cfg(test)]
mod tests;

/// The edit of one container at one directory.
#[derive(Debug)]
pub(crate) struct Edit<'n> {
    container: usize,
    dir: String,
    add_mount: bool,
    /// The flag to append (no dashes), with the directory as its value.
    append_flag: Option<String>,
    needs: Vec<&'n Need>,
}

/// What to inject: the edits and the volume they mount.
#[derive(Debug)]
pub(crate) struct Plan<'n> {
    edits: Vec<Edit<'n>>,
    /// The volume's name, and whether it is added.
    volume: String,
    new_volume: bool,
}

/// Why a plan cannot be made.
#[derive(Debug)]
pub(crate) enum Conflict {
    /// Another volume is mounted where the Secret would go.
    Mount {
        rule: Rule,
        at: FieldPath,
        volume: String,
        source: String,
        dir: String,
        container: String,
        reasons: String,
    },
    /// A volume of the configured name exists with another source.
    Volume {
        rule: Rule,
        at: FieldPath,
        volume: String,
        source: String,
        reasons: String,
    },
}

impl Conflict {
    fn report(self, secret: &str, report: &mut Report) {
        match self {
            Conflict::Mount { rule, at, volume, source, dir, container, reasons } => report.conflict(rule, at, format!(
                "volume {volume:?} ({source}) is already mounted at {dir} in container {container}, where the policy would mount Secret {secret:?} because {reasons}; the policy never replaces a mount: mount the metrics certificate at another directory (and point the component at it), or remove this mount"
            )),
            Conflict::Volume { rule, at, volume, source, reasons } => report.conflict(rule, at, format!(
                "volume {volume:?} already exists with source {source}, and the policy never overwrites it; it would add it from Secret {secret:?} because {reasons}: rename that volume, or set metricsCertVolumeName to a free name, or mount Secret {secret:?} yourself"
            )),
        }
    }
}

/// Why the needs of one edit ask for it: each finding once (a finding is
/// its trigger and the field it was found at).
fn reasons<'n>(needs: &[&'n Need]) -> Cow<'n, str> {
    let mut found: Vec<(Trigger, &FieldPath)> = Vec::with_capacity(needs.len());
    let mut seen: Vec<&str> = Vec::with_capacity(needs.len());
    for n in needs {
        if !found.contains(&(n.trigger, &n.path)) {
            found.push((n.trigger, &n.path));
            seen.push(&n.why);
        }
    }
    match seen.as_slice() {
        [one] => Cow::Borrowed(one),
        _ => Cow::Owned(seen.join("; ")),
    }
}

/// The edits `needs` ask for, one per container and directory.
fn group<'n>(pod: &Pod, needs: &'n [Need]) -> Vec<Edit<'n>> {
    let mut edits: Vec<Edit> = Vec::new();
    let mut index: HashMap<(usize, String), usize> = HashMap::new();
    for n in needs {
        // The analysis reports these instead (nothing may edit one).
        debug_assert!(
            !pod.views[n.container].c.at.is_ephemeral(),
            "a need of an ephemeral container"
        );
        let key = (
            n.container,
            mounts::clean(&n.dir).unwrap_or_else(|| n.dir.clone()),
        );
        match index.get(&key) {
            Some(&i) => {
                if edits[i].append_flag.is_none() {
                    edits[i].append_flag.clone_from(&n.append_flag);
                }
                edits[i].needs.push(n);
            }
            None => {
                index.insert(key, edits.len());
                edits.push(Edit {
                    container: n.container,
                    dir: n.dir.clone(),
                    add_mount: false,
                    append_flag: n.append_flag.clone(),
                    needs: vec![n],
                });
            }
        }
    }
    edits
}

/// Plans the edits for `needs`: grouped by container and directory, each
/// mount added only where none is, the volume reused when one already holds
/// the Secret. Pure.
pub(crate) fn plan<'n>(
    pod: &Pod,
    needs: &'n [Need],
    claims: &[&str],
    s: &Settings,
) -> Result<Plan<'n>, Vec<Conflict>> {
    let secret = &*s.metrics_cert_secret_name;
    let mut edits = group(pod, needs);
    let mut conflicts = Vec::new();
    for e in &mut edits {
        let cv = &pod.views[e.container];
        // A metrics certificate Secret already mounted at the directory (the
        // first entry of metricsCertSecretName, or one its globs match) is
        // the mount the need asks for.
        let holds_metrics_cert = |v: &mounts::Volume| {
            v.secrets()
                .iter()
                .any(|n| *n == secret || s.is_metrics_secret(n))
        };
        match cv.mounts.iter().find(|m| m.is_at(&e.dir)) {
            Some(m) if pod.volume(m.name).is_some_and(holds_metrics_cert) => {}
            Some(m) => conflicts.push(Conflict::Mount {
                rule: e.needs[0].trigger.rule(),
                at: m.path.clone(),
                volume: m.name.to_string(),
                source: pod
                    .volume(m.name)
                    .map_or("an undeclared volume".into(), |v| v.describe()),
                dir: e.dir.clone(),
                container: cv.label(),
                reasons: reasons(&e.needs).into_owned(),
            }),
            None => e.add_mount = true,
        }
    }
    let volume = volume_for(pod, &edits, claims, s, &mut conflicts);
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    Ok(Plan {
        edits,
        volume: volume.0,
        new_volume: volume.1,
    })
}

/// The volume the added mounts use, and whether it is added: one that
/// already holds the Secret, else `metricsCertVolumeName` when that name is
/// free (no volume of another source, no StatefulSet claim template).
fn volume_for(
    pod: &Pod,
    edits: &[Edit],
    claims: &[&str],
    s: &Settings,
    conflicts: &mut Vec<Conflict>,
) -> (String, bool) {
    let secret = &*s.metrics_cert_secret_name;
    let mut volume = (s.metrics_cert_volume_name.to_string(), false);
    if !edits.iter().any(|e| e.add_mount) {
        return volume;
    }
    let named = pod.volume(&volume.0);
    let reuse = named
        .filter(|v| v.uses_secret(secret))
        .or_else(|| pod.volumes.iter().find(|v| v.uses_secret(secret)));
    // A StatefulSet's claim template of the name would take the added
    // volume's place in every pod (SPEC 6: never overwritten).
    let claimed = claims.iter().position(|c| *c == volume.0);
    let taken = match (reuse, named, claimed) {
            (Some(v), ..) => {
                volume.0 = v.name.to_string();
                None
            }
            (None, _, Some(i)) => Some((
                FieldPath::root()
                    .child("spec")
                    .child("volumeClaimTemplates")
                    .index(i)
                    .child("metadata")
                    .child("name"),
                "a volumeClaimTemplate, whose claim the StatefulSet controller mounts under that name in every pod".to_string(),
            )),
            (None, Some(v), None) => Some((v.path.clone(), v.describe())),
            (None, None, None) => {
                volume.1 = true;
                None
            }
        };
    if let Some((at, source)) = taken {
        let why: Vec<&Need> = edits
            .iter()
            .filter(|e| e.add_mount)
            .flat_map(|e| e.needs.iter().copied())
            .collect();
        conflicts.push(Conflict::Volume {
            rule: why[0].trigger.rule(),
            at,
            volume: volume.0.clone(),
            source,
            reasons: reasons(&why).into_owned(),
        });
    }
    volume
}

/// Reports conflicts.
pub(crate) fn report_conflicts(conflicts: Vec<Conflict>, s: &Settings, report: &mut Report) {
    for c in conflicts {
        c.report(&s.metrics_cert_secret_name, report);
    }
}

/// A plan made independent of the reading it came from: what to edit, where,
/// and every word the verdict will need. Built before the edits, so that the
/// edits can be made on the request's own object (no copy of it): the reading
/// borrows the object, the repair does not.
#[derive(Debug)]
pub(crate) struct Repair {
    volume: String,
    new_volume: bool,
    edits: Vec<Target>,
    /// On success: one warning per edit that injects something.
    injected: Vec<(Rule, FieldPath, String)>,
    /// On failure: each need, once per rule and path, with its finding.
    refused: Vec<(Rule, FieldPath, String)>,
    /// What the repair injects, in words.
    summary: String,
}

/// One container's edit.
#[derive(Debug)]
struct Target {
    list: &'static str,
    index: usize,
    dir: String,
    add_mount: bool,
    append_flag: Option<String>,
}

/// A name as a warning's last clause shows it: the first 32 bytes of a long
/// one, then `...` (a Secret name may hold 253).
fn short_name(name: &str) -> std::borrow::Cow<'_, str> {
    const SHOWN: usize = 32;
    if name.len() <= SHOWN {
        return std::borrow::Cow::Borrowed(name);
    }
    let mut end = SHOWN;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!("{}...", &name[..end]))
}

impl Repair {
    pub(crate) fn new(pod: &Pod, plan: &Plan, needs: &[Need], s: &Settings) -> Repair {
        let secret = &s.metrics_cert_secret_name;
        let what = summarize(pod, plan, s);
        let mut injected = Vec::new();
        let mut refused = Vec::new();
        for n in needs {
            let rule = n.trigger.rule();
            // A few needs: a look along the list is cheaper than a hash set.
            if !refused.iter().any(|(r, p, _)| *r == rule && *p == n.path) {
                refused.push((rule, n.path.clone(), n.why.clone()));
            }
        }
        for (e, what) in plan.edits.iter().zip(&what) {
            if !what.is_empty() {
                let because = reasons(&e.needs);
                let mut text = String::with_capacity(what.len() + because.len() + 128);
                text.push_str("injected ");
                text.push_str(what);
                text.push_str(", because ");
                text.push_str(&because);
                // The last clause, which the warning keeps when the API
                // server's limit shortens it: short even for a long name. An
                // edit that only appends the flag names the Secret the pod
                // already mounts there (a glob of metricsCertSecretName may
                // have matched it).
                let mounted = (!e.add_mount)
                    .then(|| pod.secret_at(&pod.views[e.container], &e.dir))
                    .flatten()
                    .and_then(|(_, v)| v.secrets().first().copied());
                text.push_str("; Secret ");
                push_quoted(&mut text, &short_name(mounted.unwrap_or(secret)));
                text.push_str(" must exist in the namespace before the pod can start");
                injected.push((
                    e.needs[0].trigger.rule(),
                    pod.views[e.container].c.path().clone(),
                    text,
                ));
            }
        }
        Repair {
            volume: plan.volume.clone(),
            new_volume: plan.new_volume,
            edits: plan
                .edits
                .iter()
                .map(|e| {
                    let at = &pod.views[e.container].c.at;
                    Target {
                        list: at.list,
                        index: at.index,
                        dir: e.dir.clone(),
                        add_mount: e.add_mount,
                        append_flag: e.append_flag.clone(),
                    }
                })
                .collect(),
            injected,
            refused,
            summary: what.join("; "),
        }
    }

    /// Whether applying the repair changes the object at all.
    pub(crate) fn changes(&self) -> bool {
        self.new_volume
            || self
                .edits
                .iter()
                .any(|e| e.add_mount || e.append_flag.is_some())
    }
}

/// Where an edit was made, to take it back.
#[derive(Debug)]
enum Undo {
    /// An item was appended to the list `key` of the pod spec (`None`) or of
    /// a container; `created` when the list itself was added.
    Pushed {
        container: Option<(&'static str, usize)>,
        key: &'static str,
        created: bool,
    },
}

/// The edits made by [`apply`], newest last.
#[derive(Debug, Default)]
pub(crate) struct Applied(Vec<Undo>);

/// Appends `value` to the list `key` of `map`, creating it when absent
/// (`Some(true)`); `None`, changing nothing, when `key` holds something else.
fn push_to(map: &mut Map<String, Value>, key: &str, value: Value) -> Option<bool> {
    match map.get_mut(key) {
        Some(Value::Array(list)) => {
            list.push(value);
            Some(false)
        }
        Some(Value::Null) | None => {
            map.insert(key.to_string(), Value::Array(vec![value]));
            Some(true)
        }
        Some(_) => None,
    }
}

fn container_mut<'v>(
    spec: &'v mut Map<String, Value>,
    (list, index): (&str, usize),
) -> Option<&'v mut Map<String, Value>> {
    spec.get_mut(list)?
        .as_array_mut()?
        .get_mut(index)?
        .as_object_mut()
}

/// Makes the repair's edits on `object`, the request's own JSON (JSON edits
/// only: every field it does not touch, known to k8s-openapi or not, stays as
/// received). `None` when the object's shape is not what the reading side saw
/// (a type violation is then already reported); the edits made so far are
/// taken back first.
pub(crate) fn apply(
    kind: WorkloadKind,
    repair: &Repair,
    object: &mut Value,
    s: &Settings,
) -> Option<Applied> {
    let mut done = Applied::default();
    if edit(kind, repair, object, s, &mut done).is_none() {
        revert(kind, done, object);
        return None;
    }
    Some(done)
}

fn edit(
    kind: WorkloadKind,
    repair: &Repair,
    object: &mut Value,
    s: &Settings,
    done: &mut Applied,
) -> Option<()> {
    let spec = podspec::find_mut(kind, object)?;
    if repair.new_volume {
        let volume = json!({"name": repair.volume, "secret": {"secretName": s.metrics_cert_secret_name, "optional": false}});
        let created = push_to(spec, "volumes", volume)?;
        done.0.push(Undo::Pushed {
            container: None,
            key: "volumes",
            created,
        });
    }
    for e in &repair.edits {
        let at = (e.list, e.index);
        if e.add_mount {
            let mount = json!({"name": repair.volume, "mountPath": e.dir, "readOnly": true});
            let created = push_to(container_mut(spec, at)?, "volumeMounts", mount)?;
            done.0.push(Undo::Pushed {
                container: Some(at),
                key: "volumeMounts",
                created,
            });
        }
        if let Some(name) = &e.append_flag {
            let flag = Value::String(["--", name, "=", &e.dir].concat());
            let created = push_to(container_mut(spec, at)?, "args", flag)?;
            done.0.push(Undo::Pushed {
                container: Some(at),
                key: "args",
                created,
            });
        }
    }
    Some(())
}

/// Takes back the edits of [`apply`], newest first: `object` is again as
/// received.
pub(crate) fn revert(kind: WorkloadKind, done: Applied, object: &mut Value) {
    let Some(spec) = podspec::find_mut(kind, object) else {
        return;
    };
    for undo in done.0.into_iter().rev() {
        let Undo::Pushed {
            container,
            key,
            created,
        } = undo;
        let map = match container {
            None => Some(&mut *spec),
            Some(at) => container_mut(spec, at),
        };
        let Some(map) = map else { continue };
        if created {
            map.remove(key);
        } else if let Some(Value::Array(list)) = map.get_mut(key) {
            list.pop();
        }
    }
}

/// What each edit injects, in words (empty when it injects nothing).
fn summarize(pod: &Pod, plan: &Plan, s: &Settings) -> Vec<String> {
    // Piece by piece rather than with `format!` (as is the repair's warning
    // in `Repair::new` and `Report::warn`): with `format!` in the three,
    // make bench read the mutated Kubebuilder Deployment 2.15-2.20x against
    // 2.09-2.13x (budget 2.00), same runs.
    let secret = &*s.metrics_cert_secret_name;
    let mut volume_told = false;
    plan.edits
        .iter()
        .map(|e| {
            let cv = &pod.views[e.container];
            let mut out = String::new();
            if e.add_mount {
                if plan.new_volume && !volume_told {
                    volume_told = true;
                    out.push_str("volume ");
                    push_quoted(&mut out, &plan.volume);
                    out.push_str(" from Secret ");
                    push_quoted(&mut out, secret);
                    out.push_str(" (optional: false), ");
                }
                out.push_str("a read-only mount of volume ");
                push_quoted(&mut out, &plan.volume);
                if !plan.new_volume {
                    out.push_str(" (Secret ");
                    push_quoted(&mut out, secret);
                    out.push(')');
                }
                out.push_str(" at ");
                out.push_str(&e.dir);
                out.push_str(" into container ");
                cv.push_label(&mut out);
            }
            if let Some(name) = &e.append_flag {
                if !out.is_empty() {
                    out.push_str(", ");
                }
                out.push_str("--");
                out.push_str(name);
                out.push('=');
                out.push_str(&e.dir);
                out.push_str(" into the args of container ");
                cv.push_label(&mut out);
            }
            out
        })
        .collect()
}

/// Reports every need as a violation that says why it is not repaired here.
pub(crate) fn report_unrepaired(
    needs: &[Need],
    kind: WorkloadKind,
    ctx: &Ctx,
    report: &mut Report,
) {
    let s = ctx.settings;
    let secret = &s.metrics_cert_secret_name;
    for n in needs {
        let flag = if let Some(name) = &n.append_flag {
            format!(" and add --{name}={} to its args", n.dir)
        } else {
            String::new()
        };
        if !ctx.may_patch {
            // UPDATE of a Pod or a Job: the API server refuses a changed pod
            // spec, so every repair becomes a violation (SPEC section 8).
            report.required(n.trigger.rule(), n.path.clone(), format!(
                "{}; the pod spec of a {} cannot change on update, so the policy does not repair it here: it injects Secret {secret:?} when the object is recreated (delete and create it again), or mount that Secret read-only at {} yourself{flag}",
                n.why, kind.name(), n.dir
            ));
        } else if n.trigger != super::certs::Trigger::Annotation {
            report.required(n.trigger.rule(), n.path.clone(), format!(
                "{}; mount Secret {secret:?} read-only at {} in that container{flag}, or set injectMetricsCertMount: true to let the policy add it",
                n.why, n.dir
            ));
        }
    }
}

/// Compares the analysis of the patched object (`after`, and the needs it
/// still has) with the original's findings (the violations already in
/// `report`) by rule and path. On success, adds the warnings that say what was
/// injected; otherwise reports each need as a violation that names what the
/// injection would break.
pub(crate) fn verify(
    repair: Repair,
    after: &Report,
    needs_after: &[Need],
    report: &mut Report,
) -> bool {
    let before: HashSet<(Rule, &str)> = report
        .violations
        .iter()
        .map(|v| (v.rule, v.path.as_str()))
        .collect();
    let mut broken: Vec<String> = after
        .violations
        .iter()
        .filter(|v| !before.contains(&(v.rule, v.path.as_str())))
        .map(|v| v.to_string())
        .collect();
    broken.extend(needs_after.iter().map(|n| {
        format!(
            "{}: {} still needs a repair [{}]",
            n.path,
            n.why,
            n.trigger.rule()
        )
    }));
    if !broken.is_empty() {
        let broken = broken.join("; ");
        for (rule, path, why) in repair.refused {
            report.push(rule, path, ErrorType::Forbidden, format!(
                "{why}; the policy cannot repair this: injecting {} would leave the workload with: {broken}; configure the certificates yourself",
                repair.summary
            ));
        }
        return false;
    }
    for (rule, path, text) in repair.injected {
        report.warn(rule, &path, text);
    }
    true
}
