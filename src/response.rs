//! Turns a [`Verdict`](crate::review::Verdict) into the Kubewarden response:
//! one rejection listing every violation, or an acceptance (possibly with a
//! mutated object), with warnings either way.

use crate::review::Verdict;
use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::wapc_guest::CallResult;

/// The response to a request the policy could not read at all.
pub fn unreadable(error: &str) -> CallResult {
    let message = format!("secure-metrics-policy could not read the admission request: {error}");
    encode(ValidationResponse {
        accepted: false,
        message: Some(message),
        code: Some(400),
        mutated_object: None,
        audit_annotations: None,
        warnings: None,
    })
}

/// `request_len` is the size of the request's payload: a repaired object is
/// most of the response and about as large as the object received, so its
/// buffer is reserved once instead of doubling up to that size.
pub fn respond(verdict: Verdict, request_len: usize) -> CallResult {
    let response = build(verdict);
    let capacity = match response.mutated_object {
        Some(_) => request_len.saturating_add(1024),
        None => 128,
    };
    encode_into(Vec::with_capacity(capacity), &response)
}

/// Builds the response (separate from encoding for tests).
pub fn build(verdict: Verdict) -> ValidationResponse {
    let Verdict {
        subject,
        mut report,
        mutated,
    } = verdict;
    report.sort();
    let warnings = if report.warnings.is_empty() {
        None
    } else {
        Some(report.warnings)
    };
    if !report.violations.is_empty() {
        let message = if report.violations.len() == 1 {
            format!("{subject}: {}", report.violations[0])
        } else {
            let mut m = format!("{subject} has {} problems:", report.violations.len());
            for v in &report.violations {
                m.push_str("\n- ");
                m.push_str(&v.to_string());
            }
            m
        };
        return ValidationResponse {
            accepted: false,
            message: Some(message),
            code: None,
            mutated_object: None,
            audit_annotations: None,
            warnings,
        };
    }
    ValidationResponse {
        accepted: true,
        message: None,
        code: None,
        mutated_object: mutated,
        audit_annotations: None,
        warnings,
    }
}

fn encode(r: ValidationResponse) -> CallResult {
    encode_into(Vec::with_capacity(128), &r)
}

fn encode_into(mut out: Vec<u8>, r: &ValidationResponse) -> CallResult {
    serde_json::to_writer(&mut out, r)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FieldPath, Report};
    use crate::rule::Rule;
    use serde_json::json;

    fn verdict(report: Report, mutated: Option<serde_json::Value>) -> Verdict {
        Verdict {
            subject: "ServiceMonitor monitoring/kueue".into(),
            report,
            mutated,
        }
    }

    #[test]
    fn one_violation_is_one_line() {
        let mut r = Report::new();
        r.forbidden(Rule::M1, FieldPath::root().child("spec"), "no");
        let resp = build(verdict(r, None));
        assert!(!resp.accepted);
        assert_eq!(
            resp.message.unwrap(),
            "ServiceMonitor monitoring/kueue: spec: Forbidden: no [M1]"
        );
    }

    #[test]
    fn every_violation_is_listed_and_warnings_kept() {
        let mut r = Report::new();
        r.forbidden(Rule::M1, FieldPath::root().child("a"), "one");
        r.required(Rule::M2, FieldPath::root().child("b"), "two");
        r.warn(Rule::WServerName, &FieldPath::root().child("c"), "careful");
        let resp = build(verdict(r, Some(json!({}))));
        assert!(!resp.accepted);
        assert!(resp.mutated_object.is_none(), "a rejection never mutates");
        assert_eq!(
            resp.message.unwrap(),
            "ServiceMonitor monitoring/kueue has 2 problems:\n- a: Forbidden: one [M1]\n- b: Required value: two [M2]"
        );
        assert_eq!(resp.warnings.unwrap(), vec!["[W-serverName] c: careful"]);
    }

    #[test]
    fn clean_reports_accept_with_mutation_and_warnings() {
        let mut r = Report::new();
        r.warn(Rule::X3, &FieldPath::root().child("spec"), "added a mount");
        let resp = build(verdict(r, Some(json!({"a": 1}))));
        assert!(resp.accepted);
        assert_eq!(resp.mutated_object, Some(json!({"a": 1})));
        assert_eq!(resp.warnings.unwrap().len(), 1);
        let resp = build(verdict(Report::new(), None));
        assert!(resp.accepted && resp.warnings.is_none() && resp.mutated_object.is_none());
    }
}
