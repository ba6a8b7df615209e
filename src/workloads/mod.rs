//! Workloads (SPEC sections 5, 6 and 9): Pods and everything with a pod
//! template.
//!
//! The workload is read once into a [`model::Workload`]: the pod spec and, for each
//! container, one resolved [`cmdline`] model of its command line and
//! environment. The rule groups run over it, then the repair runs as a
//! straight pipeline: analyse ([`analyse`]: violations and typed needs) ->
//! plan ([`inject::plan`]: edits or typed conflicts) -> apply
//! ([`inject::apply`]: JSON edits only) -> verify (the same [`analyse`] on the
//! patched object, compared by rule and path in [`inject::verify`]).

pub(crate) mod addresses;
pub(crate) mod certs;
pub(crate) mod cmdline;
pub(crate) mod config_file;
pub(crate) mod inject;
pub(crate) mod listen;
pub(crate) mod model;
pub(crate) mod mounts;
pub(crate) mod pairs;
pub(crate) mod podspec;
pub(crate) mod server;
pub(crate) mod tls_env;

pub(crate) use podspec::WorkloadKind;

use crate::cluster::Lookups;
use crate::context::Ctx;
use crate::report::Report;
use model::Workload;
use serde_json::Value;

/// The analysis of a workload: every rule group reports its violations; the
/// certificate rules also return what injection could repair.
fn analyse<'w, 'a>(
    w: &'w Workload<'a>,
    ctx: &Ctx,
    lookups: Option<&Lookups>,
    report: &mut Report,
) -> certs::Analysis<'w, 'a> {
    pairs::check(w, ctx, report);
    tls_env::check(w, ctx, report);
    addresses::check(w, ctx, report);
    certs::analyze(w, ctx, lookups, report)
}

/// Reviews a workload; `true` when the policy repaired it: `object`, the
/// request's own JSON, then holds the repaired workload.
///
/// One exit: the repair pipeline runs first, whichever way it ends, and the
/// cross-object checks then run once, on what will be admitted (the repaired
/// object, or the object as received): on the reading that judged it when
/// there is one ([`Admission`]), else on a reading made for them.
pub(crate) fn review(
    kind: WorkloadKind,
    object: &mut Value,
    ctx: &Ctx,
    lookups: Option<&Lookups>,
    report: &mut Report,
) -> bool {
    let mut admission = Admission {
        lookups,
        checked: false,
    };
    let repaired = repair(kind, object, ctx, &mut admission, report);
    admission.finish(kind, object, ctx, report);
    repaired
}

/// The cross-object checks of one review ([`cross_check`]), run once, on a
/// reading of the object as it will be admitted.
struct Admission<'l> {
    /// `None` when lookups are off: nothing to check.
    lookups: Option<&'l Lookups<'l>>,
    checked: bool,
}

impl Admission<'_> {
    /// Runs the checks on `pod`, a reading of `object` as it will be
    /// admitted (the pipeline's own reading: the object as received when
    /// nothing is repaired, the repaired object once verified).
    fn check(&mut self, pod: &certs::Pod, object: &Value, ctx: &Ctx, report: &mut Report) {
        if let (Some(lookups), false) = (self.lookups, self.checked) {
            self.checked = true;
            cross_check(pod, object, ctx, lookups, report);
        }
    }

    /// After the pipeline: the checks, on a reading made for them, when no
    /// reading of the pipeline could serve (the object could not be read,
    /// or a refused repair was taken back).
    fn finish(mut self, kind: WorkloadKind, object: &Value, ctx: &Ctx, report: &mut Report) {
        if self.lookups.is_none() || self.checked {
            return;
        }
        let mut scratch = Report::new();
        if let Some(w) = Workload::read(kind, object, ctx, self.lookups, &mut scratch) {
            let pod = certs::Pod::read(&w, &mut scratch);
            self.check(&pod, object, ctx, report);
        }
    }
}

/// analyse -> plan -> apply -> verify; `true` when the repair was applied
/// and verified. A refused repair is taken back edit by edit.
fn repair(
    kind: WorkloadKind,
    object: &mut Value,
    ctx: &Ctx,
    admission: &mut Admission,
    report: &mut Report,
) -> bool {
    let lookups = admission.lookups;
    let Some(repair) = analyse_and_plan(kind, object, ctx, admission, report) else {
        return false;
    };
    let Some(applied) = inject::apply(kind, &repair, object, ctx.settings) else {
        return false;
    };
    // Verify: the same analysis on the repaired object.
    let mut after = Report::new();
    let ok = match Workload::read(kind, object, ctx, lookups, &mut after) {
        Some(w) => {
            let analysis = analyse(&w, ctx, lookups, &mut after);
            let ok = inject::verify(repair, &after, &analysis.needs, report);
            if ok {
                admission.check(&analysis.pod, object, ctx, report);
            }
            ok
        }
        None => inject::verify(repair, &after, &[], report),
    };
    if !ok {
        inject::revert(kind, applied, object);
    }
    ok
}

/// Reads and analyses the workload (the one reading of the request's object)
/// and plans its repair; `None` when there is nothing to repair, or the repair
/// is not allowed, or a violation rejects the object anyway: the object is
/// then admitted (or refused) as received, and this reading is the one the
/// cross-object checks run on.
fn analyse_and_plan(
    kind: WorkloadKind,
    object: &Value,
    ctx: &Ctx,
    admission: &mut Admission,
    report: &mut Report,
) -> Option<inject::Repair> {
    let workload = Workload::read(kind, object, ctx, admission.lookups, report)?;
    let analysis = analyse(&workload, ctx, admission.lookups, report);
    let repair = plan(&analysis, kind, object, ctx, report);
    if repair.is_none() {
        admission.check(&analysis.pod, object, ctx, report);
    }
    repair
}

/// Plans the repair of what `analysis` found; `None` when there is nothing
/// to repair, or the repair is not allowed, or a violation rejects the
/// object anyway.
fn plan(
    analysis: &certs::Analysis,
    kind: WorkloadKind,
    object: &Value,
    ctx: &Ctx,
    report: &mut Report,
) -> Option<inject::Repair> {
    let s = ctx.settings;
    if !ctx.may_patch || !s.inject_metrics_cert_mount {
        if let (Some(path), true) = (&analysis.opt_in, ctx.may_patch) {
            report.forbidden(crate::rule::Rule::Invalid, path.clone(), format!(
                "{}: \"true\" asks the policy to inject the metrics certificate mount, but the policy is configured with injectMetricsCertMount: false; remove the annotation and mount Secret {:?} yourself",
                certs::INJECT_ANNOTATION, s.metrics_cert_secret_name
            ));
        }
        inject::report_unrepaired(&analysis.needs, kind, ctx, report);
        return None;
    }
    if analysis.needs.is_empty() {
        return None;
    }
    let plan = match inject::plan(&analysis.pod, &analysis.needs, &claims(kind, object), s) {
        Ok(plan) => plan,
        Err(conflicts) => {
            inject::report_conflicts(conflicts, s, report);
            return None;
        }
    };
    // Rejected for other reasons: what would be repaired is not listed
    // (SPEC 7). Excepted violations become warnings and do not block.
    if report
        .violations
        .iter()
        .any(|v| !ctx.excepted.contains(v.rule))
    {
        return None;
    }
    let repair = inject::Repair::new(&analysis.pod, &plan, &analysis.needs, s);
    if !repair.changes() {
        return None;
    }
    Some(repair)
}

/// A StatefulSet's volume claim templates: the controller gives each pod a
/// volume of each one's name, in place of a template volume of that name.
fn claims(kind: WorkloadKind, object: &Value) -> Vec<&str> {
    if kind != WorkloadKind::StatefulSet {
        return Vec::new();
    }
    let templates = object
        .pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array);
    templates
        .into_iter()
        .flatten()
        .filter_map(|t| t.pointer("/metadata/name").and_then(Value::as_str))
        .collect()
}

/// R2 (SPEC section 12): the metrics certificate Secrets the workload mounts
/// (`metricsCertSecretName`, or any Secret mounted at a container's metrics
/// certificate directory; including one the policy injects) are written by a
/// Certificate of its namespace. Looked up only when it mounts one.
/// `pod` is the certificate reading of what will be admitted (read again,
/// only when lookups are on, after the repair pipeline has ended).
fn cross_check(
    pod: &certs::Pod,
    object: &Value,
    ctx: &Ctx,
    lookups: &Lookups,
    report: &mut Report,
) {
    use crate::crosscheck::{r2_issued, SecretRef};
    use mounts::VolumeSource;
    let settings = ctx.settings;
    // R2, the only check here, warns only in external mode (SPEC 16): in
    // the others no lookup is made, and no lookup warning given.
    if settings.cert_management != crate::settings::CertManagement::External {
        return;
    }
    let mut found: Vec<(&mounts::Volume, &str)> = Vec::new();
    for cv in &pod.views {
        if let Some(v) = pod
            .metrics_secret_mount(cv, settings)
            .and_then(|(m, _)| pod.volume(m.name))
        {
            found.extend(
                volume_secrets(v)
                    .into_iter()
                    .filter(|s| settings.is_metrics_secret(s))
                    .map(|s| (v, s)),
            );
        }
        let dir = cv
            .named
            .first()
            .map_or_else(|| certs::default_dir(settings), |n| n.dir.clone());
        if let Some((_, v)) = pod.secret_at(cv, &dir) {
            found.extend(volume_secrets(v).into_iter().map(|s| (v, s)));
        }
    }
    let mut refs: Vec<SecretRef> = Vec::new();
    for (v, secret) in found {
        if refs.iter().any(|r| r.secret == secret) {
            continue;
        }
        let path = match v.source {
            VolumeSource::Secret(_) => v.path.child("secret").child("secretName"),
            _ => v.path.clone(),
        };
        refs.push(SecretRef {
            path,
            secret,
            holds: "the metrics certificate",
        });
    }
    if refs.is_empty() {
        return;
    }
    let namespace = object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|ns| !ns.is_empty())
        .unwrap_or(ctx.request_namespace);
    if let Some(found) = lookups.certificates(namespace, (crate::rule::Rule::R2, &refs[0].path)) {
        r2_issued(&refs, &found, namespace, settings, report);
    }
}

/// The Secrets a volume carries.
fn volume_secrets<'a>(v: &mounts::Volume<'a>) -> Vec<&'a str> {
    match &v.source {
        mounts::VolumeSource::Secret(Some(name)) => vec![name],
        mounts::VolumeSource::Projected { secrets, .. } => secrets.clone(),
        _ => Vec::new(),
    }
}
