//! The workload model the rule groups read: the pod spec and, for each
//! container, its command line, environment, metrics server and
//! configuration file, each resolved once ([`Workload::read`]).

use super::cmdline::{self, CommandLine, Env, PodEnv, Takes};
use super::config_file::{self, ConfigFile};
use super::podspec::{self, ContainerRef, PodSpecView, WorkloadKind};
use super::server::{self, MetricsServer};
use crate::cluster::Lookups;
use crate::context::Ctx;
use crate::flag::Flag;
use crate::report::{FieldPath, Report};
use crate::view::Obj;
use serde_json::Value;

/// A container with its command line and environment resolved once.
#[derive(Clone, Debug)]
pub(crate) struct Container<'a> {
    pub(crate) at: ContainerRef<'a>,
    pub(crate) cmd: CommandLine<'a>,
    pub(crate) env: Env<'a>,
    /// Its metrics server, in its binary's dialect (SPEC 14).
    pub(crate) server: MetricsServer<'a>,
    /// Its configuration file, when lookups could read it (SPEC 15).
    pub(crate) config: Option<ConfigFile>,
}

impl Container<'_> {
    pub(crate) fn path(&self) -> &FieldPath {
        &self.at.obj.path
    }
}

/// A workload read for the rules.
#[derive(Clone, Debug)]
pub(crate) struct Workload<'a> {
    pub(crate) pod: PodSpecView<'a>,
    pub(crate) containers: Vec<Container<'a>>,
    /// `hostNetwork: true`: the pod shares the node's network, loopback
    /// included (W3).
    pub(crate) host_network: bool,
}

impl<'a> Workload<'a> {
    /// Reads the workload; `None` when it has no pod spec to check. With
    /// `lookups`, a manager's configuration file is read from its ConfigMap.
    pub(crate) fn read(
        kind: WorkloadKind,
        object: &'a Value,
        ctx: &Ctx,
        lookups: Option<&Lookups>,
        report: &mut Report,
    ) -> Option<Workload<'a>> {
        let root = Obj::at(object, FieldPath::root(), report)?;
        let pod = podspec::find(kind, &root, report)?;
        let host_network = pod.spec.bool("hostNetwork", report) == Some(true);
        let namespace = root
            .get("metadata")
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .filter(|ns| !ns.is_empty())
            .unwrap_or(ctx.request_namespace);
        let name = root
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let pod_env = PodEnv {
            service_links: pod.spec.bool("enableServiceLinks", report) != Some(false),
            namespace,
            name,
        };
        let pairs = ctx
            .settings
            .cert_key_pairs
            .iter()
            .flat_map(|p| [p.cert.as_str(), p.key.as_str()])
            .filter(|n| n.starts_with('-'))
            .map(|n| (Flag::declared(n), Takes::Value));
        let pairs: Vec<(Flag, Takes)> = pairs.collect();
        let budget = cmdline::expand::Budget::new();
        let containers = pod
            .containers(report)
            .into_iter()
            .map(|at| {
                let image = at.obj.str("image", report);
                let dialect = ctx.settings.dialects.for_image(image);
                let mut extra = pairs.clone();
                extra.extend(server::flags(dialect));
                let (cmd, env) = cmdline::read(&at.obj, pod_env, &extra, &budget, report);
                // SPEC 15: the manager's configuration file, with lookups only.
                let config = lookups.and_then(|l| {
                    config_file::read(&at.obj, &pod.spec, &cmd, namespace, l, report)
                });
                let server = MetricsServer::resolve(dialect, &cmd, &env, config.as_ref());
                Container {
                    at,
                    cmd,
                    env,
                    server,
                    config,
                }
            })
            .collect();
        Some(Workload {
            pod,
            containers,
            host_network,
        })
    }
}
