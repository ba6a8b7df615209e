//! Helpers for unit tests: evaluate fixtures from `test_data/` or inline
//! objects through the same `validate` entry point the host calls.

use crate::context::Ctx;
use crate::report::{Report, Warning};
use crate::review::review;
use crate::rule::Rule;
use crate::settings::Settings;
use crate::workloads::model::Workload;
use crate::workloads::WorkloadKind;
use kubewarden_policy_sdk::request::{GroupVersionKind, KubernetesAdmissionRequest};
use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::test::Testcase;
use serde_json::Value;

/// Evaluates `test_data/<fixture>` with `settings` through `validate`, using
/// the SDK's `Testcase`, and checks the expected verdict.
pub(crate) fn fixture(fixture: &str, settings: Value, accepted: bool) -> ValidationResponse {
    let tc = Testcase {
        name: fixture.to_string(),
        fixture_file: format!("{}/test_data/{fixture}", env!("CARGO_MANIFEST_DIR")),
        expected_validation_result: accepted,
        settings,
    };
    tc.eval(crate::validate).expect("fixture evaluates")
}

/// The group/version of each handled kind, for inline requests.
pub(crate) fn gvk(kind: &str) -> GroupVersionKind {
    let (group, version) = match kind {
        "ServiceMonitor" | "PodMonitor" => ("monitoring.coreos.com", "v1"),
        "Certificate" => ("cert-manager.io", "v1"),
        "Pod" => ("", "v1"),
        "Job" | "CronJob" => ("batch", "v1"),
        _ => ("apps", "v1"),
    };
    GroupVersionKind {
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
    }
}

/// A CREATE request for `object` of `kind` in namespace `ns`.
pub(crate) fn request(kind: &str, ns: &str, object: Value) -> KubernetesAdmissionRequest {
    KubernetesAdmissionRequest {
        uid: "test".into(),
        kind: gvk(kind),
        operation: "CREATE".into(),
        namespace: ns.into(),
        object,
        ..Default::default()
    }
}

/// Runs the review without building a response: the raw report and the
/// mutated object, for table tests that check rule ids and paths. The review
/// repairs the request's object in place; an object it does not repair must
/// be left exactly as received (a refused repair is taken back).
pub(crate) fn report(kind: &str, object: Value, settings: &Settings) -> (Report, Option<Value>) {
    let mut req = request(kind, "default", object);
    let received = req.object.clone();
    let v = review(&mut req, settings);
    assert_kept_unless_repaired(v.mutated.is_some(), &req.object, &received);
    (v.report, v.mutated)
}

/// The review edits the request's object in place: one it did not repair
/// must be exactly as received (a refused repair is taken back).
pub(crate) fn assert_kept_unless_repaired(repaired: bool, object: &Value, received: &Value) {
    if !repaired {
        assert_eq!(
            object, received,
            "an unrepaired object must stay as received"
        );
    }
}

/// A context for calling a rule function directly.
pub(crate) fn ctx(settings: &Settings) -> Ctx<'_> {
    Ctx::new(settings, "default")
}

/// The `(rule, path)` of every violation, for compact assertions.
pub(crate) fn findings(r: &Report) -> Vec<(String, String)> {
    r.violations
        .iter()
        .map(|v| (v.rule.to_string(), v.path.as_str().to_string()))
        .collect()
}

/// Runs one workload rule group (`check`) alone on `object`: its report.
pub(crate) fn workload_report(
    check: fn(&Workload, &Ctx, &mut Report),
    kind: WorkloadKind,
    object: &Value,
    settings: &Settings,
) -> Report {
    let mut report = Report::new();
    let ctx = ctx(settings);
    let w = Workload::read(kind, object, &ctx, None, &mut report).expect("a pod spec");
    check(&w, &ctx, &mut report);
    report
}

/// Runs one workload rule group (`check`) alone on `object`: its findings as
/// `rule@path` with `strip` cut from each path, joined by spaces, and the
/// details of its violations followed by its warnings.
pub(crate) fn workload_check(
    check: fn(&Workload, &Ctx, &mut Report),
    kind: WorkloadKind,
    object: &Value,
    settings: &Settings,
    strip: &str,
) -> (String, Vec<String>) {
    let report = workload_report(check, kind, object, settings);
    let found: Vec<String> = findings(&report)
        .into_iter()
        .map(|(rule, path)| format!("{rule}@{}", path.trim_start_matches(strip)))
        .collect();
    let details = report
        .violations
        .iter()
        .map(|v| v.detail.clone())
        .chain(report.warnings.iter().map(|w| w.detail.clone()))
        .collect();
    (found.join(" "), details)
}

/// Whether `w` is `rule`'s warning at `path` and its detail starts with
/// `detail`.
pub(crate) fn warns(w: &Warning, rule: Rule, path: &str, detail: &str) -> bool {
    w.rule == rule && w.path.as_str() == path && w.detail.starts_with(detail)
}
