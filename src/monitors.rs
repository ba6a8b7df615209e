//! ServiceMonitor and PodMonitor rules (SPEC section 3).

use crate::report::Report;
use crate::review::Ctx;
use crate::view::Obj;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorKind {
    ServiceMonitor,
    PodMonitor,
}

impl MonitorKind {
    /// The list of scrape endpoints under `spec`.
    pub fn endpoints_key(self) -> &'static str {
        match self {
            MonitorKind::ServiceMonitor => "endpoints",
            MonitorKind::PodMonitor => "podMetricsEndpoints",
        }
    }
}

pub fn review(kind: MonitorKind, object: &Obj, _ctx: &Ctx, report: &mut Report) {
    let Some(spec) = object.obj("spec", report) else {
        return;
    };
    let Some(endpoints) = spec.list(kind.endpoints_key(), report) else {
        return;
    };
    let _ = endpoints.objs(report);
}
