//! Workloads (SPEC sections 5 and 6): Pods and everything with a pod template.
//!
//! The workload is read once into a [`Workload`] (pod spec, containers with
//! their flags and env); the rule groups then run over it and the injection
//! edits the JSON of the original object.

pub mod addresses;
pub mod args;
pub mod certs;
pub mod inject;
pub mod mounts;
pub mod pairs;
pub mod podspec;
pub mod tls_env;

pub use podspec::WorkloadKind;

use crate::context::Ctx;
use crate::report::{FieldPath, Report};
use crate::view::Obj;
use args::{Env, Flags};
use podspec::{ContainerRef, PodSpecView};
use serde_json::Value;

/// A container with its command line and environment read once.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    pub at: ContainerRef<'a>,
    pub flags: Flags<'a>,
    pub env: Env<'a>,
}

impl<'a> Container<'a> {
    pub fn path(&self) -> &FieldPath {
        &self.at.obj.path
    }
}

/// A workload read for the rules.
#[derive(Clone, Debug)]
pub struct Workload<'a> {
    pub kind: WorkloadKind,
    pub pod: PodSpecView<'a>,
    pub containers: Vec<Container<'a>>,
}

impl<'a> Workload<'a> {
    /// Reads the workload; `None` when it has no pod spec to check.
    pub fn read(
        kind: WorkloadKind,
        object: &'a Value,
        report: &mut Report,
    ) -> Option<Workload<'a>> {
        let root = Obj::at(object, FieldPath::root(), report)?;
        let pod = podspec::find(kind, &root, report)?;
        let containers = pod
            .containers(report)
            .into_iter()
            .map(|at| {
                let flags = Flags::read(&at.obj, report);
                let env = Env::read(&at.obj, report);
                Container { at, flags, env }
            })
            .collect();
        Some(Workload {
            kind,
            pod,
            containers,
        })
    }
}

/// Reviews a workload; returns the mutated object when the policy repaired it.
pub fn review(kind: WorkloadKind, object: &Value, ctx: &Ctx, report: &mut Report) -> Option<Value> {
    let workload = Workload::read(kind, object, report)?;
    pairs::check(&workload, ctx, report);
    tls_env::check(&workload, ctx, report);
    addresses::check(&workload, ctx, report);
    certs::review(&workload, object, ctx, report)
}
