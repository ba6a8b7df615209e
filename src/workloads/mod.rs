//! Workloads (SPEC sections 5 and 6): Pods and everything with a pod template.

pub mod podspec;

pub use podspec::WorkloadKind;

use crate::report::{FieldPath, Report};
use crate::review::Ctx;
use crate::view::Obj;
use serde_json::Value;

/// Reviews a workload; returns the mutated object when the policy repaired it.
pub fn review(kind: WorkloadKind, object: &Value, _ctx: &Ctx, report: &mut Report) -> Option<Value> {
    let root = Obj::at(object, FieldPath::root(), report)?;
    let _pod = podspec::find(kind, &root, report)?;
    None
}
