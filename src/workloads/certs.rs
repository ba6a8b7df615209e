//! W5, X1, X2, X3 (SPEC sections 5 and 7): where a container's metrics and
//! webhook certificates come from, and what the policy repairs by injecting
//! the metrics-certificate mount (section 6, carried out by [`super::inject`]).
//!
//! Readings of the SPEC made here:
//! - A container's *metrics certificate directory* is its `--metrics-cert-path`,
//!   else the directory of `METRICS_PROMETHEUS_TLS_CERT`, else that of
//!   `METRICS_PROMETHEUS_TLS_KEY`, else `metricsCertMountPath` (where the
//!   policy would put the certificates). Its *webhook certificate directory*
//!   is its `--webhook-cert-path`, else `webhookCertMountPath`.
//! - A container *mounts external metrics certificates* when one of its
//!   mounts is a volume of the metrics Secret, or the mount through which it
//!   sees its metrics certificate directory is Secret-backed. A *Secret is
//!   mounted at* a directory when the deepest mount covering it is Secret-backed.
//! - Relative paths are resolved against an absolute `workingDir`; otherwise
//!   they cannot be checked and are skipped.
//! - W5: an env file also counts as mounted when a mount covers the file itself
//!   (a `subPath` mount of one file). Only files the metrics Secret provides
//!   (`tls.crt`, `tls.key`, `ca.crt`; for `--metrics-cert-path` the files of
//!   `--metrics-cert-name`/`--metrics-cert-key`) can be repaired by mounting it.

use super::args::{EnvValue, FlagHit, Flags};
use super::mounts::{self, Mount, Volume};
use super::{inject, Container, Workload};
use crate::context::Ctx;
use crate::report::{FieldPath, Report};
use crate::rule::Rule;
use crate::settings::{CertManagement, Settings};
use serde_json::Value;

/// The keys of the metrics Secret (SPEC section 1): the files its mount provides.
pub const SECRET_KEYS: [&str; 3] = ["tls.crt", "tls.key", "ca.crt"];
const TLS_CERT: &str = "METRICS_PROMETHEUS_TLS_CERT";
const TLS_KEY: &str = "METRICS_PROMETHEUS_TLS_KEY";

/// A directory a container names for its metrics certificate.
#[derive(Clone, Debug)]
pub struct NamedDir<'a> {
    /// Cleaned, absolute.
    pub dir: String,
    /// `--metrics-cert-path` or the env var.
    pub source: &'a str,
    pub value: &'a str,
    pub path: FieldPath,
    /// What a mount must cover: the directory, or for env the file itself.
    pub needed: String,
    /// The files read from `dir`.
    pub files: Vec<String>,
}

/// A container as the certificate rules see it.
#[derive(Debug)]
pub struct CertView<'w, 'a> {
    pub c: &'w Container<'a>,
    pub mounts: Vec<Mount<'a>>,
    pub named: Vec<NamedDir<'a>>,
    pub webhook_port: bool,
    pub working_dir: Option<&'a str>,
}

impl CertView<'_, '_> {
    /// `"manager"`, or the path of a nameless container.
    pub fn label(&self) -> String {
        if self.c.at.name.is_empty() {
            format!("at {}", self.c.path())
        } else {
            format!("{:?}", self.c.at.name)
        }
    }

    /// Whether the container carries metrics flags or env (the injection target).
    pub fn carries_metrics_config(&self) -> bool {
        let bind = self.c.flags.value("metrics-bind-address");
        bind.is_some_and(|b| b.value != "0")
            || self.c.flags.value("metrics-cert-path").is_some()
            || self.c.env.set(TLS_CERT).is_some()
            || self.c.env.set(TLS_KEY).is_some()
    }
}

/// The pod's volumes and every container's view.
#[derive(Debug)]
pub struct Pod<'w, 'a> {
    pub volumes: Vec<Volume<'a>>,
    pub views: Vec<CertView<'w, 'a>>,
}

fn named_dirs<'a>(c: &Container<'a>, wd: Option<&str>) -> Vec<NamedDir<'a>> {
    let mut out = Vec::new();
    if let Some(hit) = c.flags.value("metrics-cert-path") {
        if let Some(dir) = mounts::resolve(hit.value, wd) {
            let name = c
                .flags
                .value("metrics-cert-name")
                .map_or("tls.crt", |h| h.value);
            let key = c
                .flags
                .value("metrics-cert-key")
                .map_or("tls.key", |h| h.value);
            out.push(NamedDir {
                needed: dir.clone(),
                dir,
                source: hit.spelled,
                value: hit.value,
                path: hit.path,
                files: vec![name.to_string(), key.to_string()],
            });
        }
    }
    for var in [TLS_CERT, TLS_KEY] {
        let Some(env) = c.env.set(var) else { continue };
        let Some(EnvValue::Literal(literal)) = env.value else {
            continue;
        };
        let Some(file) = mounts::resolve(literal, wd) else {
            continue;
        };
        if let Some((dir, name)) = mounts::split_file(&file) {
            let name = name.to_string();
            out.push(NamedDir {
                dir,
                source: var,
                value: literal,
                path: env.value_path(),
                needed: file.clone(),
                files: vec![name],
            });
        }
    }
    out
}

impl<'w, 'a> Pod<'w, 'a> {
    pub fn read(w: &'w Workload<'a>, report: &mut Report) -> Pod<'w, 'a> {
        let volumes = mounts::volumes(&w.pod.spec, report);
        let views = w
            .containers
            .iter()
            .map(|c| {
                let working_dir = c.at.obj.str("workingDir", report);
                let mut webhook_port = false;
                if let Some(ports) = c.at.obj.list("ports", report) {
                    for (_, p) in ports.objs(report) {
                        webhook_port |= p.str("name", report) == Some("webhook-server");
                    }
                }
                CertView {
                    c,
                    mounts: mounts::mounts(&c.at.obj, report),
                    named: named_dirs(c, working_dir),
                    webhook_port,
                    working_dir,
                }
            })
            .collect();
        Pod { volumes, views }
    }

    pub fn volume(&self, name: &str) -> Option<&Volume<'a>> {
        self.volumes.iter().find(|v| v.name == name)
    }

    /// The first mount of `cv` whose volume holds Secret `secret`.
    pub fn secret_mount<'m>(
        &self,
        cv: &'m CertView<'w, 'a>,
        secret: &str,
    ) -> Option<&'m Mount<'a>> {
        cv.mounts
            .iter()
            .find(|m| self.volume(m.name).is_some_and(|v| v.uses_secret(secret)))
    }

    /// The Secret-backed mount through which `cv` sees `dir`, if it is one.
    pub fn secret_at<'m>(
        &self,
        cv: &'m CertView<'w, 'a>,
        dir: &str,
    ) -> Option<(&'m Mount<'a>, &Volume<'a>)> {
        let m = mounts::visible_at(&cv.mounts, dir)?;
        let v = self.volume(m.name).filter(|v| v.is_secret_backed())?;
        Some((m, v))
    }

    /// The container's metrics certificate directory (see the module docs).
    fn metrics_dir(&self, cv: &CertView, s: &Settings) -> String {
        cv.named
            .first()
            .map_or_else(|| default_dir(s), |n| n.dir.clone())
    }

    /// Evidence that `cv` mounts external metrics certificates.
    pub fn external_metrics(&self, cv: &CertView<'w, 'a>, s: &Settings) -> Option<String> {
        let secret = &s.metrics_cert_secret_name;
        if let Some(m) = self.secret_mount(cv, secret) {
            return Some(format!(
                "Secret {secret:?} (volume {:?}) at {}",
                m.name, m.mount_path
            ));
        }
        let dir = self.metrics_dir(cv, s);
        let (m, v) = self.secret_at(cv, &dir)?;
        Some(format!(
            "{} (volume {:?}) at {}",
            v.describe(),
            m.name,
            m.mount_path
        ))
    }

    /// The webhook certificate directory, `None` when it cannot be known.
    fn webhook_dir(&self, cv: &CertView, s: &Settings) -> Option<String> {
        match cv.c.flags.value("webhook-cert-path") {
            Some(hit) => mounts::resolve(hit.value, cv.working_dir),
            None => mounts::clean(&s.webhook_cert_mount_path),
        }
    }
}

/// `metricsCertMountPath`, cleaned.
pub fn default_dir(s: &Settings) -> String {
    mounts::clean(&s.metrics_cert_mount_path).unwrap_or_else(|| s.metrics_cert_mount_path.clone())
}

/// What triggered a repair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    W5,
    X3,
    /// The opt-in annotation.
    Annotation,
}

impl Trigger {
    /// The rule a repair of this trigger is reported under; the opt-in asks
    /// for what X3 repairs (issuer certificates for the metrics server).
    pub fn rule(self) -> Rule {
        match self {
            Trigger::W5 => Rule::W5,
            Trigger::X3 | Trigger::Annotation => Rule::X3,
        }
    }
}

/// A repairable finding: container `container` (index into [`Pod::views`])
/// needs the metrics Secret mounted at `dir` (and, for X3, the flag).
#[derive(Clone, Debug)]
pub struct Need {
    pub trigger: Trigger,
    pub container: usize,
    pub dir: String,
    pub append_flag: bool,
    /// Where the finding is reported.
    pub path: FieldPath,
    /// The finding, with its evidence.
    pub why: String,
}

/// What the rules found besides the violations they reported.
#[derive(Debug, Default)]
pub struct Analysis {
    pub needs: Vec<Need>,
    /// The path of the opt-in annotation when it is `"true"`.
    pub opt_in: Option<FieldPath>,
}

/// `Flags::boolean` without reporting a problem twice (W3 reads the same flag).
fn boolean_once<'a>(
    flags: &Flags<'a>,
    name: &str,
    report: &mut Report,
) -> Result<Option<bool>, ()> {
    let mut scratch = Report::new();
    let hit = flags.boolean(name, &mut scratch);
    let bad = !scratch.is_clean();
    for v in scratch.violations {
        if !report.violations.contains(&v) {
            report.violations.push(v);
        }
    }
    if bad {
        Err(())
    } else {
        Ok(hit.map(|h| h.value))
    }
}

fn w5(pod: &Pod, i: usize, s: &Settings, report: &mut Report, needs: &mut Vec<Need>) {
    let cv = &pod.views[i];
    for n in &cv.named {
        if cv
            .mounts
            .iter()
            .any(|m| mounts::covers(m.mount_path, &n.needed))
        {
            continue;
        }
        let why = format!(
            "{} names {}, but no volume mount of container {} covers {}, so the component cannot read its metrics certificate and fails at start",
            n.source, n.value, cv.label(), n.dir
        );
        let foreign: Vec<&str> = n
            .files
            .iter()
            .map(String::as_str)
            .filter(|f| !SECRET_KEYS.contains(f))
            .collect();
        let obstacle = if n.dir == "/" {
            "a volume cannot be mounted at /".to_string()
        } else if !foreign.is_empty() {
            format!(
                "Secret {:?} provides tls.crt, tls.key and ca.crt, not {}",
                s.metrics_cert_secret_name,
                foreign.join(" or ")
            )
        } else {
            String::new()
        };
        if !obstacle.is_empty() {
            report.required(Rule::W5, n.path.clone(), format!(
                "{why}; the policy cannot repair this by injection ({obstacle}): mount the volume that holds {} at {} yourself",
                n.files.join(" and "), n.dir
            ));
            continue;
        }
        needs.push(Need {
            trigger: Trigger::W5,
            container: i,
            dir: n.dir.clone(),
            append_flag: false,
            path: n.path.clone(),
            why,
        });
    }
}

fn x1(pod: &Pod, cv: &CertView, s: &Settings, report: &mut Report) {
    let secret = &s.metrics_cert_secret_name;
    let (path, what) = if let Some(m) = pod.secret_mount(cv, secret) {
        (
            m.path.clone(),
            format!(
                "mounts Secret {secret:?} (volume {:?}) at {}",
                m.name, m.mount_path
            ),
        )
    } else if let Some((m, v)) = pod.secret_at(cv, &pod.metrics_dir(cv, s)) {
        (
            m.path.clone(),
            format!(
                "mounts {} (volume {:?}) at {}, over its metrics certificate directory {}",
                v.describe(),
                m.name,
                m.mount_path,
                pod.metrics_dir(cv, s)
            ),
        )
    } else {
        return;
    };
    report.forbidden(Rule::X1, path, format!(
        "container {} {what}: with certManagement: internal the components issue their own metrics certificates, and issuer-provided metrics certificates alongside internal certificate management are the unsupported combination of KEP-4377; remove this mount (and any --metrics-cert-path), or set certManagement to external or auto",
        cv.label()
    ));
}

fn x2(pod: &Pod, cv: &CertView, s: &Settings, report: &mut Report) {
    let Some(metrics) = pod.external_metrics(cv, s) else {
        return;
    };
    let serves = match cv.c.flags.value("webhook-cert-path") {
        Some(hit) => format!("{}={}", hit.spelled, hit.value),
        None if cv.webhook_port => "port webhook-server".to_string(),
        None => return,
    };
    let Some(dir) = pod.webhook_dir(cv, s) else {
        return;
    };
    if pod.secret_at(cv, &dir).is_some() {
        return;
    }
    report.forbidden(Rule::X2, cv.c.path().clone(), format!(
        "container {} mounts external metrics certificates ({metrics}) and serves webhooks ({serves}), but no Secret is mounted at its webhook certificate directory {dir}, so its webhooks use internal certificates: external metrics with internal webhook certificates is KEP-4377's unsupported option; mount the webhook certificate Secret (for example from cert-manager) at {dir}, or remove the metrics certificate mount",
        cv.label()
    ));
}

fn x3(pod: &Pod, i: usize, s: &Settings, report: &mut Report, needs: &mut Vec<Need>) {
    let cv = &pod.views[i];
    let flags = &cv.c.flags;
    let Some(bind): Option<FlagHit> = flags.value("metrics-bind-address") else {
        return;
    };
    if bind.value == "0" || flags.value("metrics-cert-path").is_some() {
        return;
    }
    if !matches!(
        boolean_once(flags, "metrics-secure", report),
        Ok(None | Some(true))
    ) {
        return;
    }
    let because = match s.cert_management {
        CertManagement::External => "certManagement is external".to_string(),
        _ => {
            let Some(dir) = pod.webhook_dir(cv, s) else {
                return;
            };
            let Some((_, v)) = pod.secret_at(cv, &dir) else {
                return;
            };
            format!(
                "its webhook certificates come from {} mounted at {dir} (certManagement: auto)",
                v.describe()
            )
        }
    };
    let dir = pod
        .secret_mount(cv, &s.metrics_cert_secret_name)
        .and_then(|m| mounts::clean(m.mount_path))
        .unwrap_or_else(|| default_dir(s));
    let why = format!(
        "container {} serves secure metrics ({}={}) with internal self-signed certificates: it has no --metrics-cert-path while {because}",
        cv.label(), bind.spelled, bind.value
    );
    needs.push(Need {
        trigger: Trigger::X3,
        container: i,
        dir,
        append_flag: true,
        path: cv.c.path().clone(),
        why,
    });
}

/// Runs W5, X1, X2, X3 and reads the opt-in annotation. Violations go to
/// `report`; repairable findings are returned.
pub fn analyze(w: &Workload, pod: &Pod, ctx: &Ctx, report: &mut Report) -> Analysis {
    let s = ctx.settings;
    let mut needs = Vec::new();
    for i in 0..pod.views.len() {
        w5(pod, i, s, report, &mut needs);
        match s.cert_management {
            CertManagement::Internal => x1(pod, &pod.views[i], s, report),
            CertManagement::Auto | CertManagement::External => {
                x2(pod, &pod.views[i], s, report);
                x3(pod, i, s, report, &mut needs);
            }
        }
    }
    let opt_in = inject::opt_in(w, pod, s, report, &mut needs);
    Analysis { needs, opt_in }
}

/// What a repairable finding asks of the user when the policy does not repair it.
fn remedy(n: &Need, s: &Settings) -> String {
    let flag = if n.append_flag {
        format!(" and add --metrics-cert-path={} to its args", n.dir)
    } else {
        String::new()
    };
    format!(
        "{}; mount Secret {:?} read-only at {} in that container{flag}, or set injectMetricsCertMount: true to let the policy add it",
        n.why, s.metrics_cert_secret_name, n.dir
    )
}

/// Reviews a workload's certificate mounts; returns the repaired object
/// when the policy injected the metrics-certificate mount.
pub fn review(
    workload: &Workload,
    object: &Value,
    ctx: &Ctx,
    report: &mut Report,
) -> Option<Value> {
    let s = ctx.settings;
    let pod = Pod::read(workload, report);
    let analysis = analyze(workload, &pod, ctx, report);
    if inject::rechecking() {
        for n in &analysis.needs {
            report.required(
                n.trigger.rule(),
                n.path.clone(),
                format!("{}{}", inject::STILL_NEEDED, n.why),
            );
        }
        return None;
    }
    if !ctx.may_patch {
        // UPDATE of a Pod or a Job: the API server refuses a changed pod spec,
        // so every repair becomes a violation (SPEC section 8).
        for n in &analysis.needs {
            report.required(n.trigger.rule(), n.path.clone(), format!(
                "{}; the pod spec of a {} cannot change on update, so the policy does not repair it here: it injects Secret {:?} when the object is recreated (delete and create it again), or mount that Secret read-only at {} yourself",
                n.why, workload.kind.name(), s.metrics_cert_secret_name, n.dir
            ));
        }
        return None;
    }
    if !s.inject_metrics_cert_mount {
        if let Some(path) = analysis.opt_in {
            report.forbidden(Rule::Invalid, path, format!(
                "{}: \"true\" asks the policy to inject the metrics certificate mount, but the policy is configured with injectMetricsCertMount: false; remove the annotation and mount Secret {:?} yourself",
                inject::INJECT_ANNOTATION, s.metrics_cert_secret_name
            ));
        }
        for n in analysis
            .needs
            .iter()
            .filter(|n| n.trigger != Trigger::Annotation)
        {
            report.required(n.trigger.rule(), n.path.clone(), remedy(n, s));
        }
        return None;
    }
    if analysis.needs.is_empty() {
        return None;
    }
    inject::repair(workload, &pod, &analysis.needs, object, ctx, report)
}

#[cfg(test)]
#[path = "certs_tests.rs"]
pub(crate) mod tests;
