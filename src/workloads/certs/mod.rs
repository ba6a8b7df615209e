//! W5, X1, X2, X3 (SPEC sections 5, 7 and 9): where a container's metrics and
//! webhook certificates come from, and what the policy may repair by
//! injecting the metrics-certificate mount. This is the *analyse* step of the
//! repair: pure, it reports violations and returns typed [`Need`]s; the plan
//! and the edit are [`super::inject`]'s.
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

//! - Every reading of the command line counts (SPEC 9). W5 is silent on an
//!   unknown path. X3 applies only to an exposed metrics server (a bind
//!   address known non-loopback, or unknown) and asks for `--metrics-cert-path`
//!   only with evidence the binary knows it (`--webhook-cert-path`,
//!   `--metrics-cert-name`, `--metrics-cert-key`, or the opt-in annotation);
//!   without it, X3 is a warning in `auto` mode (nothing injected) and a
//!   rejection in `external` mode.
//! - An excepted W5 or X3 (SPEC 11) is reported as a plain violation and
//!   triggers no injection; the exceptions layer turns it into a warning.
//! - Ephemeral containers (`kubectl debug`) are read like every container;
//!   what injection would repair in one is reported instead (nothing may
//!   change an ephemeral container), and none is ever an injection target.
//! - Lookups go through maps (volumes by name), so the cost stays linear in
//!   the number of volumes and mounts (SPEC 9, "Cost").

use super::cmdline::env_names::{TLS_CERT, TLS_KEY};
use super::cmdline::{EnvValue, Setting};
use super::config_file::KUEUE_METRICS_CERT_DIR;
use super::listen;
use super::model::{Container, Workload};
use super::mounts::{self, Mount, Volume};
use super::server::MetricsServer;
use crate::cluster::Lookups;
use crate::context::Ctx;
use crate::family::Controller;
use crate::flag::{Flag, FlagName};
use crate::report::{FieldPath, Report};
use crate::rule::Rule;
use crate::settings::{CertManagement, Settings};
use std::collections::HashMap;
use std::fmt;

#[cfg(test)]
pub(crate) mod tests;

/// The keys of the metrics Secret (SPEC section 1): the files its mount provides.
pub(crate) const SECRET_KEYS: [&str; 3] = ["tls.crt", "tls.key", "ca.crt"];
pub(crate) const INJECT_ANNOTATION: &str = "secure-metrics/inject-metrics-certs";
pub(crate) const CONTAINER_ANNOTATION: &str = "secure-metrics/container";

/// controller-runtime's default metrics certificate directory (SPEC 16).
const CONTROLLER_RUNTIME_CERT_DIR: &str = "/tmp/k8s-metrics-server/serving-certs";

/// The flags that show a binary knows `--metrics-cert-path` (SPEC 9,
/// "Repairs the binary understands").
const EVIDENCE_FLAGS: [Flag<'static>; 3] = [
    Flag::WEBHOOK_CERT_PATH,
    Flag::METRICS_CERT_NAME,
    Flag::METRICS_CERT_KEY,
];

/// A directory a container names for its metrics certificate.
#[derive(Clone, Debug)]
pub(crate) struct NamedDir {
    /// Cleaned, absolute.
    pub(crate) dir: String,
    /// `--metrics-cert-path` or the env var.
    pub(crate) source: String,
    pub(crate) value: String,
    pub(crate) path: FieldPath,
    /// What a mount must cover: the directory, or for env the file itself.
    pub(crate) needed: String,
    /// The files read from `dir`.
    pub(crate) files: Vec<String>,
}

/// A container as the certificate rules see it.
#[derive(Debug)]
pub(crate) struct CertView<'w, 'a> {
    pub(crate) c: &'w Container<'a>,
    pub(crate) mounts: Vec<Mount<'a>>,
    pub(crate) named: Vec<NamedDir>,
    pub(crate) webhook_port: bool,
    pub(crate) working_dir: Option<&'a str>,
}

impl CertView<'_, '_> {
    /// `"manager"`, or the path of a nameless container.
    pub(crate) fn label(&self) -> String {
        let mut out = String::new();
        self.push_label(&mut out);
        out
    }

    /// [`label`](Self::label), appended to `out`.
    pub(crate) fn push_label(&self, out: &mut String) {
        let name = self.c.at.name;
        if name.is_empty() {
            out.push_str("at ");
            out.push_str(self.c.path().as_str());
        } else {
            crate::report::push_quoted(out, name);
        }
    }

    /// Whether the container carries metrics flags or env (the injection target).
    pub(crate) fn carries_metrics_config(&self) -> bool {
        let server = &self.c.server;
        server.may_be_on()
            || server.cert_dirs.iter().any(|d| d.known() != Some(""))
            || self.c.env.set(TLS_CERT).is_some()
            || self.c.env.set(TLS_KEY).is_some()
    }
}

/// Up to this many volumes, [`Pod::volume`] scans them.
const SCANNED_VOLUMES: usize = 16;

/// The pod's volumes and every container's view.
#[derive(Debug)]
pub(crate) struct Pod<'w, 'a> {
    pub(crate) volumes: Vec<Volume<'a>>,
    /// Volume name -> index of its first entry in `volumes`, for a pod with
    /// many volumes (a scan finds one among a few faster than hashing).
    by_name: Option<HashMap<&'a str, usize>>,
    pub(crate) views: Vec<CertView<'w, 'a>>,
}

fn named_dirs(c: &Container, wd: Option<&str>) -> Vec<NamedDir> {
    let mut out = Vec::new();
    let first_known = |flag: Flag, default: &str| {
        c.cmd
            .values(flag)
            .find_map(|s| s.known().map(str::to_string))
            .unwrap_or_else(|| default.to_string())
    };
    for hit in &c.server.cert_dirs {
        // Silent on an unknown path (SPEC 9, "Fail closed": W5).
        let Some(value) = hit.known().filter(|v| !v.is_empty()) else {
            continue;
        };
        if let Some(dir) = mounts::resolve(value, wd) {
            out.push(NamedDir {
                needed: dir.clone(),
                dir,
                source: hit.spelled.to_string(),
                value: hit.written.to_string(),
                path: hit.path.clone(),
                files: vec![
                    first_known(Flag::METRICS_CERT_NAME, "tls.crt"),
                    first_known(Flag::METRICS_CERT_KEY, "tls.key"),
                ],
            });
        }
    }
    for var in [TLS_CERT, TLS_KEY] {
        let Some(env) = c.env.set(var) else { continue };
        let Some(EnvValue::Literal(literal)) = &env.value else {
            continue;
        };
        let Some(file) = mounts::resolve(literal, wd) else {
            continue;
        };
        if let Some((dir, name)) = mounts::split_file(&file) {
            out.push(NamedDir {
                dir,
                source: var.to_string(),
                value: literal.to_string(),
                path: env.value_path(),
                files: vec![name.to_string()],
                needed: file,
            });
        }
    }
    out
}

impl<'w, 'a> Pod<'w, 'a> {
    pub(crate) fn read(w: &'w Workload<'a>, report: &mut Report) -> Pod<'w, 'a> {
        let volumes = mounts::volumes(&w.pod.spec, report);
        let by_name = (volumes.len() > SCANNED_VOLUMES).then(|| {
            let mut by_name = HashMap::with_capacity(volumes.len());
            for (i, v) in volumes.iter().enumerate() {
                by_name.entry(v.name).or_insert(i);
            }
            by_name
        });
        let views = w
            .containers
            .iter()
            .map(|c| {
                let working_dir = c.at.obj.str("workingDir", report);
                let mut webhook_port = false;
                if let Some(ports) = c.at.obj.list("ports", report) {
                    for i in 0..ports.len() {
                        if let Some(p) = ports.obj(i, report) {
                            webhook_port |= p.str("name", report) == Some("webhook-server");
                        }
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
        Pod {
            volumes,
            by_name,
            views,
        }
    }

    pub(crate) fn volume(&self, name: &str) -> Option<&Volume<'a>> {
        match &self.by_name {
            Some(by_name) => by_name.get(name).map(|&i| &self.volumes[i]),
            None => self
                .volumes
                .iter()
                .find(|v| crate::bytes::same(v.name, name)),
        }
    }

    /// The first mount of `cv` whose volume holds a metrics certificate
    /// Secret (`metricsCertSecretName`, or one matching its globs), with
    /// that Secret.
    pub(crate) fn metrics_secret_mount<'m>(
        &self,
        cv: &'m CertView<'w, 'a>,
        s: &Settings,
    ) -> Option<(&'m Mount<'a>, &'a str)> {
        cv.mounts.iter().find_map(|m| {
            let v = self.volume(m.name)?;
            let secret = v.secrets().iter().find(|n| s.is_metrics_secret(n))?;
            Some((m, *secret))
        })
    }

    /// The Secret-backed mount through which `cv` sees `dir`, if it is one.
    pub(crate) fn secret_at<'m>(
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

    /// Evidence that `cv` mounts external metrics certificates: the mount and
    /// its volume (described only for a message, see [`MetricsMount`]).
    pub(crate) fn external_metrics<'m>(
        &'m self,
        cv: &'m CertView<'w, 'a>,
        s: &'m Settings,
    ) -> Option<MetricsMount<'m, 'a>> {
        if cv.mounts.is_empty() {
            return None;
        }
        if let Some((m, secret)) = self.metrics_secret_mount(cv, s) {
            return Some(MetricsMount::Named(secret, m));
        }
        let dir = self.metrics_dir(cv, s);
        let (m, v) = self.secret_at(cv, &dir)?;
        Some(MetricsMount::AtDir(v, m))
    }

    /// The webhook certificate directory, `None` when it cannot be known.
    fn webhook_dir(&self, cv: &CertView, s: &Settings) -> Option<String> {
        match cv.c.cmd.value(Flag::WEBHOOK_CERT_PATH) {
            Some(hit) => mounts::resolve(hit.known()?, cv.working_dir),
            None => mounts::clean(&s.webhook_cert_mount_path),
        }
    }
}

/// A container's external metrics certificates: the mount of Secret
/// `metricsCertSecretName`, or a Secret-backed mount at its metrics
/// certificate directory.
pub(crate) enum MetricsMount<'m, 'a> {
    Named(&'m str, &'m Mount<'a>),
    AtDir(&'m Volume<'a>, &'m Mount<'a>),
}

impl fmt::Display for MetricsMount<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricsMount::Named(secret, m) => {
                write!(
                    f,
                    "Secret {secret:?} (volume {:?}) at {}",
                    m.name, m.mount_path
                )
            }
            MetricsMount::AtDir(v, m) => write!(
                f,
                "{} (volume {:?}) at {}",
                v.describe(),
                m.name,
                m.mount_path
            ),
        }
    }
}

/// `metricsCertMountPath`, cleaned.
pub(crate) fn default_dir(s: &Settings) -> String {
    mounts::clean(&s.metrics_cert_mount_path)
        .unwrap_or_else(|| s.metrics_cert_mount_path.to_string())
}

/// What triggered a repair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trigger {
    W5,
    X3,
    /// The opt-in annotation.
    Annotation,
}

impl Trigger {
    /// The rule a repair of this trigger is reported under; the opt-in asks
    /// for what X3 repairs (issuer certificates for the metrics server).
    pub(crate) fn rule(self) -> Rule {
        match self {
            Trigger::W5 => Rule::W5,
            Trigger::X3 | Trigger::Annotation => Rule::X3,
        }
    }
}

/// A repairable finding: container `container` (index into [`Pod::views`])
/// needs the metrics Secret mounted at `dir` (and, for X3, the flag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Need {
    pub(crate) trigger: Trigger,
    pub(crate) container: usize,
    pub(crate) dir: String,
    /// The flag to append with the directory (no dashes), for X3.
    pub(crate) append_flag: Option<String>,
    /// Where the finding is reported.
    pub(crate) path: FieldPath,
    /// The finding, with its evidence.
    pub(crate) why: String,
}

/// What the analysis found besides the violations it reported.
#[derive(Debug)]
pub(crate) struct Analysis<'w, 'a> {
    pub(crate) pod: Pod<'w, 'a>,
    pub(crate) needs: Vec<Need>,
    /// The path of the opt-in annotation when it is `"true"`.
    pub(crate) opt_in: Option<FieldPath>,
}

/// An excepted W5/X3 triggers no injection: it is reported as a plain
/// violation, which the exceptions layer turns into a warning (SPEC 11).
fn excepted(ctx: &Ctx, rule: Rule) -> bool {
    ctx.excepted.contains(rule)
}

fn w5(pod: &Pod, i: usize, ctx: &Ctx, report: &mut Report, needs: &mut Vec<Need>) {
    let s = ctx.settings;
    let cv = &pod.views[i];
    for n in &cv.named {
        if cv.mounts.iter().any(|m| m.covers(&n.needed)) {
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
        if excepted(ctx, Rule::W5) {
            report.required(
                Rule::W5,
                n.path.clone(),
                format!(
                    "{why}; mount Secret {:?} read-only at {} in that container",
                    s.metrics_cert_secret_name, n.dir
                ),
            );
            continue;
        }
        needs.push(Need {
            trigger: Trigger::W5,
            container: i,
            dir: n.dir.clone(),
            append_flag: None,
            path: n.path.clone(),
            why,
        });
    }
}

fn x1(pod: &Pod, cv: &CertView, s: &Settings, report: &mut Report) {
    let (path, what) = if let Some((m, secret)) = pod.metrics_secret_mount(cv, s) {
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
    // The mode is the configuration file's when it gives one (SPEC 15).
    let (mode, change) = match cv.c.config.as_ref().and_then(|c| c.mode) {
        Some(_) => (
            "its configuration file sets internalCertManagement.enable: true (absent means true), so it issues its own metrics certificates",
            "set internalCertManagement.enable: false in that file",
        ),
        None => (
            "with certManagement: internal the components issue their own metrics certificates",
            "set certManagement to external or auto",
        ),
    };
    report.forbidden(Rule::X1, path, format!(
        "container {} {what}: {mode}, and issuer-provided metrics certificates alongside internal certificate management are the unsupported combination of KEP-4377; remove this mount (and any --metrics-cert-path), or {change}",
        cv.label()
    ));
}

fn x2(pod: &Pod, cv: &CertView, s: &Settings, report: &mut Report) {
    let Some(metrics) = pod.external_metrics(cv, s) else {
        return;
    };
    let webhook_flag = cv.c.cmd.value(Flag::WEBHOOK_CERT_PATH);
    if webhook_flag.is_none() && !cv.webhook_port {
        return;
    }
    let Some(dir) = pod.webhook_dir(cv, s) else {
        return;
    };
    if pod.secret_at(cv, &dir).is_some() {
        return;
    }
    let serves = match webhook_flag {
        Some(hit) => hit.shown(),
        None => "port webhook-server".to_string(),
    };
    report.forbidden(Rule::X2, cv.c.path().clone(), format!(
        "container {} mounts external metrics certificates ({metrics}) and serves webhooks ({serves}), but no Secret is mounted at its webhook certificate directory {dir}, so its webhooks use internal certificates: external metrics with internal webhook certificates is KEP-4377's unsupported option; mount the webhook certificate Secret (for example from cert-manager) at {dir}, or remove the metrics certificate mount",
        cv.label()
    ));
}

/// The exposed address of a secure metrics server, and where it listens:
/// where X3 may apply.
fn x3_exposed<'s>(server: &'s MetricsServer) -> Option<(&'s Setting<'s>, String)> {
    // Only an exposed server (SPEC 9, "Loopback servers are not exposed").
    let exposed = server
        .addresses()
        .find_map(|b| listen::exposed_in(server.form, b).map(|w| (b, w)))?;
    // TLS on in its dialect (an unknown value may be on).
    server.may_be_secure().then_some(exposed)
}

/// SPEC 16: with no directory named, a Secret at metricsCertMountPath or at
/// controller-runtime's default directory (Kueue's too, for Kueue) is its
/// certificates.
fn has_default_secret(pod: &Pod, cv: &CertView, s: &Settings, kueue: bool) -> bool {
    let metrics_dir = default_dir(s);
    let default_dirs = [
        Some(metrics_dir.as_str()),
        Some(CONTROLLER_RUNTIME_CERT_DIR),
        kueue.then_some(KUEUE_METRICS_CERT_DIR),
    ];
    default_dirs
        .iter()
        .flatten()
        .any(|dir| pod.secret_at(cv, dir).is_some())
}

/// The webhook certificates the binary is given (auto mode): their Secret
/// volume and directory; `None` when it is given none.
fn x3_webhook<'p, 'w, 'a>(
    pod: &'p Pod<'w, 'a>,
    cv: &CertView<'w, 'a>,
    s: &Settings,
) -> Option<(&'p Volume<'a>, String)> {
    let dir = pod.webhook_dir(cv, s)?;
    let (_, v) = pod.secret_at(cv, &dir)?;
    Some((v, dir))
}

/// Where X3's repair mounts the metrics Secret: where it is mounted already,
/// else Kueue's own directory for Kueue (with external certificates it reads
/// them there, with no flag: KEP-4377), else the configured one.
fn x3_dir(pod: &Pod, cv: &CertView, s: &Settings, kueue: bool) -> String {
    match pod.metrics_secret_mount(cv, s) {
        Some((m, _)) => mounts::clean(m.mount_path),
        None if kueue => Some(KUEUE_METRICS_CERT_DIR.to_string()),
        None => None,
    }
    .unwrap_or_else(|| default_dir(s))
}

/// X3's reason, for a warning or a message: a paragraph, built in place.
/// `webhook` is the Secret volume and directory of the webhook
/// certificates, in auto mode.
fn x3_why(
    cv: &CertView,
    bind: &Setting,
    where_: &str,
    lacks: &str,
    webhook: Option<&(&Volume, String)>,
) -> String {
    let from_file = cv.c.config.as_ref().is_some_and(|c| c.mode.is_some());
    let mut why = String::with_capacity(384);
    why.push_str("container ");
    cv.push_label(&mut why);
    for piece in [
        " serves secure metrics (",
        &bind.spelled,
        "=",
        &bind.written,
        " ",
        where_,
    ] {
        why.push_str(piece);
    }
    why.push_str(") with internal self-signed certificates: ");
    why.push_str(lacks);
    why.push_str(" while ");
    match webhook {
        None if from_file => why.push_str(
            "its configuration file sets internalCertManagement.enable: false (external certificates)",
        ),
        None => why.push_str("certManagement is external"),
        Some((v, dir)) => {
            why.push_str("its webhook certificates come from ");
            v.push_description(&mut why);
            for piece in [" mounted at ", dir, " (certManagement: auto)"] {
                why.push_str(piece);
            }
        }
    }
    why
}

/// What X3's advice asks about the Secret at `dir`: to mount `secret`
/// there, or nothing when a metrics Secret is mounted there already (only
/// the flag is missing).
enum X3Mount<'s> {
    Mount(&'s str),
    Mounted(&'s str),
}

impl<'s> X3Mount<'s> {
    /// A metrics Secret mounted at `dir` already (only the flag is missing),
    /// else the Secret to mount.
    fn at(pod: &Pod<'_, 's>, cv: &CertView<'_, 's>, s: &'s Settings, dir: &str) -> X3Mount<'s> {
        match pod.metrics_secret_mount(cv, s) {
            Some((m, mounted)) if mounts::clean(m.mount_path).as_deref() == Some(dir) => {
                X3Mount::Mounted(mounted)
            }
            _ => X3Mount::Mount(&s.metrics_cert_secret_name),
        }
    }

    /// What to do, for the rejection of an excepted X3: the mount and
    /// `add_flag` (`" and add --flag=DIR to its args"`), or the flag alone.
    fn fix(&self, dir: &str, add_flag: &str) -> String {
        match self {
            X3Mount::Mount(secret) => {
                format!("mount Secret {secret:?} read-only at {dir}{add_flag}")
            }
            X3Mount::Mounted(m) => format!(
                "{} (Secret {m:?} is mounted there already)",
                add_flag.trim_start_matches(" and ")
            ),
        }
    }

    /// `" and mount Secret ... at DIR (...)"`, or `" (Secret ... is mounted there)"`.
    fn and_mount(&self, dir: &str) -> String {
        match self {
            X3Mount::Mount(secret) => format!(
                " and mount Secret {secret:?} read-only at {dir} (Secret {secret:?} must exist before the pod can start)"
            ),
            X3Mount::Mounted(secret) => format!(" (Secret {secret:?} is mounted there already)"),
        }
    }
}

/// What to do when the policy injects nothing for X3: the container `c`
/// needs its certificates at `dir`.
fn x3_advice(c: &Container, dir: &str, mount: &X3Mount) -> String {
    let (server, cmd) = (&c.server, &c.cmd);
    let and_mount = mount.and_mount(dir);
    if server.inject_flag.is_none() {
        let from = match mount {
            X3Mount::Mount(secret) => format!("Secret {secret:?} mounted read-only at {dir} (Secret {secret:?} must exist before the pod can start)"),
            X3Mount::Mounted(secret) => format!("{dir}, where Secret {secret:?} is mounted"),
        };
        format!(
            "{} names no flag the policy may add, so it injected nothing: configure the binary to read its serving certificate from {from}, or, if it reads it from flags of its own, declare the binary in metricsServers (certDirFlags)",
            server.dialect()
        )
    } else if !cmd.appendable {
        let why = if cmd.script {
            "the container starts its binary from a shell script, where an appended --metrics-cert-path would not reach it"
        } else {
            "an argument appended after a positional argument, `--` or a token the policy cannot read is not read as a flag by Go's flag package"
        };
        format!("{why}, so the policy injected nothing: add --metrics-cert-path={dir} to the binary's flags{and_mount}")
    } else {
        let both = match mount {
            X3Mount::Mount(_) => "both",
            X3Mount::Mounted(_) => "it",
        };
        format!(
        "the policy adds --metrics-cert-path only to a binary that shows it knows the flag (it passes --webhook-cert-path, --metrics-cert-name or --metrics-cert-key), so it injected nothing: once the binary supports it, add --metrics-cert-path={dir}{and_mount}, or annotate the workload {INJECT_ANNOTATION}: \"true\" to let the policy add {both}; if the binary serves its metrics certificate from flags of its own, declare it in metricsServers (certDirFlags, injectFlag: \"\")"
    )
    }
}

#[allow(clippy::too_many_arguments)]
fn x3(
    pod: &Pod,
    i: usize,
    ctx: &Ctx,
    lookups: Option<&Lookups>,
    mode: CertManagement,
    opt_in: bool,
    report: &mut Report,
    needs: &mut Vec<Need>,
) {
    let s = ctx.settings;
    let cv = &pod.views[i];
    let cmd = &cv.c.cmd;
    let server = &cv.c.server;
    let Some((bind, where_)) = x3_exposed(server) else {
        return;
    };
    let kueue = cv.c.config.as_ref().and_then(|c| c.controller) == Some(Controller::Kueue);
    let Some(named) = x3_uncertified(pod, cv, s, kueue) else {
        return;
    };
    // In auto mode, the webhook certificates the binary is given.
    let webhook = match mode {
        CertManagement::External => None,
        _ => match x3_webhook(pod, cv, s) {
            Some(found) => Some(found),
            None => return,
        },
    };
    let secret = &s.metrics_cert_secret_name;
    let (dir, inject_flag, lacks) = x3_target(pod, cv, s, kueue, named.as_ref());
    let why = x3_why(cv, bind, &where_, &lacks, webhook.as_ref());
    let path = cv.c.path().clone();
    let evidence = kueue
        || named.is_some()
        || ((EVIDENCE_FLAGS.iter().any(|f| cmd.mentions(*f)) || opt_in)
            && cmd.appendable
            && inject_flag.is_some());
    // What to add: the mount, and the flag when the binary is not told the
    // directory.
    let add_flag = match &inject_flag {
        Some(f) => format!(" and add {}={dir} to its args", f.flag()),
        None => String::new(),
    };
    let mount = X3Mount::at(pod, cv, s, &dir);
    if excepted(ctx, Rule::X3) {
        report.required(
            Rule::X3,
            path,
            format!("{why}; {}", mount.fix(&dir, &add_flag)),
        );
        return;
    }
    // SPEC 14, "No mount of a Secret nothing writes": with lookups, a new
    // volume only of a Secret a Certificate of the namespace writes.
    if evidence
        && pod.metrics_secret_mount(cv, s).is_none()
        && unwritten(ctx, lookups, secret, &path)
    {
        let detail = format!(
            "no cert-manager Certificate in namespace {:?} writes Secret {secret:?}, so the policy injected nothing (the pod would wait for the Secret): {why}; create a Certificate with spec.secretName: {secret:?}, then mount it read-only at {dir}{add_flag}, or let the policy do it once the Certificate exists",
            ctx.request_namespace,
        );
        x3_finding(mode, path, detail, report);
        return;
    }
    if evidence {
        needs.push(Need {
            trigger: Trigger::X3,
            container: i,
            dir,
            append_flag: inject_flag.map(|f| f.flag().name().to_string()),
            path,
            why,
        });
        return;
    }
    let advice = x3_advice(cv.c, &dir, &mount);
    x3_finding(mode, path, format!("{why}; {advice}"), report);
}

/// Whether the container lacks mounted metrics certificates (X3's case),
/// with the other volume that covers the directory it names, if it names
/// one; `None` when it has them. A directory the binary is told (SPEC 14:
/// its certDirFlags, its configuration file or env) "has certificates" when
/// a mounted Secret covers it; one no volume covers is W5's, an unknown one
/// is not judged. With none named, a Secret at a default directory counts
/// (SPEC 16).
fn x3_uncertified<'m, 'a>(
    pod: &'m Pod<'_, 'a>,
    cv: &'m CertView<'_, 'a>,
    s: &Settings,
    kueue: bool,
) -> Option<Option<(String, &'m Mount<'a>, &'m Volume<'a>)>> {
    match named_dir(pod, cv) {
        NamedDir3::None => (!has_default_secret(pod, cv, s, kueue)).then_some(None),
        NamedDir3::Other(dir, m, v) => Some(Some((dir, m, v))),
        NamedDir3::Certified | NamedDir3::Uncovered | NamedDir3::Unknown => None,
    }
}

/// Where X3's repair mounts the Secret, the flag it adds (none for a
/// directory the binary is told, whose repair is the mount alone, nor for
/// Kueue's fixed directory), and what the container lacks, in words.
fn x3_target(
    pod: &Pod,
    cv: &CertView,
    s: &Settings,
    kueue: bool,
    named: Option<&(String, &Mount, &Volume)>,
) -> (String, Option<FlagName>, String) {
    if let Some((dir, m, v)) = named {
        let lacks = format!(
            "its metrics certificate directory {dir} holds {} (volume {:?} at {}), not a mounted Secret,",
            v.describe(),
            m.name,
            m.mount_path
        );
        return (dir.clone(), None, lacks);
    }
    let flag = if kueue {
        None
    } else {
        cv.c.server.inject_flag.clone()
    };
    let lacks = match &flag {
        Some(f) => format!("it has no {}", f.flag()),
        None => "it has no metrics certificate directory".to_string(),
    };
    (x3_dir(pod, cv, s, kueue), flag, lacks)
}

/// What covers the metrics certificate directory a container names
/// (SPEC 14: "has certificates" when a mounted Secret covers one).
enum NamedDir3<'m, 'a> {
    /// It names none.
    None,
    /// A mounted Secret covers one: it has certificates.
    Certified,
    /// No volume covers one: W5's (the binary would not start).
    Uncovered,
    /// Its value is unknown: not judged.
    Unknown,
    /// Another volume covers it: the directory, the mount and its volume.
    Other(String, &'m Mount<'a>, &'m Volume<'a>),
}

fn named_dir<'m, 'a>(pod: &'m Pod<'_, 'a>, cv: &'m CertView<'_, 'a>) -> NamedDir3<'m, 'a> {
    let server = &cv.c.server;
    if server.cert_dirs.is_empty() {
        return NamedDir3::None;
    }
    let dirs: Vec<String> = server
        .cert_dirs
        .iter()
        .filter_map(|d| d.known().filter(|v| !v.is_empty()))
        .filter_map(|v| mounts::resolve(v, cv.working_dir))
        .collect();
    if dirs.is_empty() {
        return NamedDir3::Unknown;
    }
    if dirs.iter().any(|d| pod.secret_at(cv, d).is_some()) {
        return NamedDir3::Certified;
    }
    for d in &dirs {
        if let Some(m) = mounts::visible_at(&cv.mounts, d) {
            if let Some(v) = pod.volume(m.name) {
                return NamedDir3::Other(d.clone(), m, v);
            }
        }
    }
    NamedDir3::Uncovered
}

/// An X3 finding the policy does not repair: a violation with external
/// certificates, a warning in auto mode.
fn x3_finding(mode: CertManagement, path: FieldPath, detail: String, report: &mut Report) {
    match mode {
        CertManagement::External => report.required(Rule::X3, path, detail),
        _ => report.warn(Rule::X3, &path, detail),
    }
}

/// Whether, with lookups available, no Certificate of the request's
/// namespace writes Secret `secret` (a failed lookup says nothing: the
/// review then warns that the cross-object checks were skipped).
fn unwritten(ctx: &Ctx, lookups: Option<&Lookups>, secret: &str, path: &FieldPath) -> bool {
    let Some(lookups) = lookups else {
        return false;
    };
    match lookups.certificates(ctx.request_namespace, (Rule::X3, path)) {
        Some(certs) => !certs.iter().any(|c| c.secret_name == secret),
        None => false,
    }
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
    // An ephemeral container is never a target: nothing may edit one.
    let editable = |i: &usize| !pod.views[*i].c.at.is_ephemeral();
    let carriers: Vec<usize> = (0..pod.views.len())
        .filter(|&i| pod.views[i].carries_metrics_config())
        .filter(editable)
        .collect();
    let by_setting = pod
        .views
        .iter()
        .position(|cv| cv.c.at.name == s.metrics_container_name && !cv.c.at.is_ephemeral());
    if carriers.len() == 1 {
        return Ok(carriers[0]);
    }
    if let Some(i) = by_annotation.filter(|i| !editable(i)) {
        return Err(format!(
            "{CONTAINER_ANNOTATION} names container {}, an ephemeral container (kubectl debug), which the policy never edits",
            pod.views[i].label()
        ));
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
        .filter(editable)
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

/// The injection annotations: `secure-metrics/container` (reported when it
/// names no container) and the opt-in's path when it is `"true"`.
fn annotations(
    w: &Workload,
    pod: &Pod,
    report: &mut Report,
) -> (Option<usize>, bool, Option<FieldPath>) {
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
    let opt_in = match w.pod.annotation(INJECT_ANNOTATION, report) {
        Some((path, value)) => match value.as_str() {
            "true" => Some(path),
            "false" => None,
            other => {
                report.invalid(
                    Rule::Invalid,
                    path,
                    format!("{other:?} is not \"true\" or \"false\""),
                );
                None
            }
        },
        None => None,
    };
    (by_annotation, bad_name, opt_in)
}

/// The opt-in's need for the target container, unless it already mounts
/// metrics certificates.
fn opt_in_need(
    pod: &Pod,
    path: &FieldPath,
    by_annotation: Option<usize>,
    bad_name: bool,
    s: &Settings,
    report: &mut Report,
    needs: &mut Vec<Need>,
) {
    let i = match target(pod, by_annotation, s) {
        Ok(i) => i,
        // A misnamed container is reported already; do not pile on.
        Err(_) if bad_name => return,
        Err(why) => {
            report.required(Rule::Invalid, path.clone(), format!(
                "{INJECT_ANNOTATION} asks for the metrics certificate mount, but {why}; add the annotation {CONTAINER_ANNOTATION}: <container name> to say which container gets it"
            ));
            return;
        }
    };
    let cv = &pod.views[i];
    if pod.external_metrics(cv, s).is_some() || needs.iter().any(|n| n.container == i) {
        return;
    }
    // The container mounts no metrics Secret: the directory is the one it
    // names, else metricsCertMountPath.
    let dir = cv
        .named
        .first()
        .map_or_else(|| default_dir(s), |n| n.dir.clone());
    needs.push(Need {
        trigger: Trigger::Annotation,
        container: i,
        dir,
        append_flag: None,
        path: path.clone(),
        why: format!(
            "the workload asks for it with {INJECT_ANNOTATION}: \"true\" and container {} mounts no metrics certificates",
            cv.label()
        ),
    });
}

/// The analysis: runs W5, X1, X2, X3 and reads the injection annotations.
/// Violations go to `report`; repairable findings are returned as needs.
pub(crate) fn analyze<'w, 'a>(
    w: &'w Workload<'a>,
    ctx: &Ctx,
    lookups: Option<&Lookups>,
    report: &mut Report,
) -> Analysis<'w, 'a> {
    let s = ctx.settings;
    let pod = Pod::read(w, report);
    let (by_annotation, bad_name, opt_in) = annotations(w, &pod, report);
    let mut needs = Vec::new();
    for i in 0..pod.views.len() {
        w5(&pod, i, ctx, report, &mut needs);
        // A configuration file's internalCertManagement is the container's
        // certificate mode (SPEC 15).
        let mode = pod.views[i]
            .c
            .config
            .as_ref()
            .and_then(|c| c.mode)
            .unwrap_or(s.cert_management);
        match mode {
            CertManagement::Internal => x1(&pod, &pod.views[i], s, report),
            CertManagement::Auto | CertManagement::External => {
                x2(&pod, &pod.views[i], s, report);
                let opt_in = opt_in.is_some();
                x3(&pod, i, ctx, lookups, mode, opt_in, report, &mut needs);
            }
        }
    }
    if let Some(path) = &opt_in {
        opt_in_need(&pod, path, by_annotation, bad_name, s, report, &mut needs);
    }
    needs.retain(|n| !ephemeral_unrepaired(&pod, n, s, report));
    Analysis { pod, needs, opt_in }
}

/// A need of an ephemeral container is reported, never repaired: the API
/// server lets nothing change an ephemeral container once added, and a Pod
/// (the only object that has them) is never patched on UPDATE (SPEC 8).
/// `true` when `n` was such a need.
fn ephemeral_unrepaired(pod: &Pod, n: &Need, s: &Settings, report: &mut Report) -> bool {
    let cv = &pod.views[n.container];
    if !cv.c.at.is_ephemeral() {
        return false;
    }
    let flag = match &n.append_flag {
        Some(name) => format!(" and --{name}={} in its args", n.dir),
        None => String::new(),
    };
    report.required(n.trigger.rule(), n.path.clone(), format!(
        "{}; container {} is an ephemeral container (kubectl debug), which nothing may change once it is added, so the policy does not repair it: add it with a read-only volume mount of Secret {:?} at {} (from a volume the pod already has){flag}, or without the metrics configuration",
        n.why, cv.label(), s.metrics_cert_secret_name, n.dir
    ));
    true
}
