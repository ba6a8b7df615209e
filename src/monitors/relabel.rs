//! Which target relabelings and static labels may set `__scheme__` to
//! something other than https (SPEC sections 10 and 13: "an endpoint whose
//! relabelings contain an action `replace` (the default) with `targetLabel:
//! __scheme__` and a `replacement` other than `https` (case-insensitive; a
//! replacement that uses a capture group counts as unknown) counts as
//! possibly `http` for M4, M5 and M6"; "the action is compared
//! case-insensitively; an absent `replacement` (which Prometheus defaults to
//! `$1`) counts as unknown").
//!
//! The scheme is a security reading, so whatever may write `__scheme__` and
//! is not known to write `https` counts (fail closed):
//!
//! - `replace` (also absent or empty: the default, for VictoriaMetrics too)
//!   whose target label is `__scheme__`, or holds a `$` (a template that may
//!   expand to `__scheme__`), with a replacement other than a literal `https`;
//! - `lowercase`, `uppercase` and VictoriaMetrics' `replace_all` writing
//!   such a target: the value comes from other labels;
//! - `labelmap` (and `labelmap_all`), which renames labels: a literal
//!   replacement `__scheme__`, or any template, except the one shape known
//!   safe: `__meta_kubernetes_<...>_label_(.+)` or `..._annotation_(.+)`
//!   with `$1`, whose result is a Kubernetes label or annotation key, which
//!   starts with a letter or digit and so is never `__scheme__`;
//! - VictoriaMetrics' `graphite` with a `labels` key `__scheme__` or a `$`;
//! - an action the policy does not know.
//!
//! `keep`, `drop`, `keepequal`, `dropequal`, `labeldrop`, `labelkeep` and
//! VictoriaMetrics' `keep_if_equal`, `drop_if_equal`, `keep_if_contains`,
//! `drop_if_contains`, `keep_metrics`, `drop_metrics` write no label;
//! `hashmod` writes a number, which is no scheme (the scrape fails, it does
//! not fall back to http). Dropping `__scheme__` leaves no scheme either.
//!
//! A static label `__scheme__` (ScrapeConfig and VMScrapeConfig
//! `staticConfigs[].labels`, VMStaticScrape `targetEndpoints[].labels`,
//! Probe and VMProbe `targets.staticConfig.labels`) overrides the configured
//! scheme, as Prometheus sets the scheme label only where the target has
//! none.
//!
//! VictoriaMetrics' operator reads both spellings of a relabel config's
//! target (`targetLabel` and `target_label`): both are read, and either
//! naming `__scheme__` counts. Each list is read once, element by element:
//! the work is linear in the request.

use crate::report::{FieldPath, Report};
use crate::view::{List, Obj};
use serde_json::Value;
use std::fmt;

/// How a kind's relabel configs are spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// prometheus-operator `RelabelConfig`: `targetLabel`.
    Prometheus,
    /// VictoriaMetrics `RelabelConfig`: `targetLabel` and `target_label`,
    /// `regex` a string or a list, `labels` for `graphite`.
    VictoriaMetrics,
}

/// How a relabeling or static label may write `__scheme__`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Writes<'a> {
    /// `replace` with a literal replacement other than https.
    Literal(&'a str),
    /// `replace` with an absent replacement or one with a capture group.
    Unknown,
    /// A target label with `$`, which may expand to `__scheme__`.
    Template(&'a str),
    /// An action that writes a value taken from other labels (`lowercase`,
    /// `uppercase`, `replace_all`, `graphite`).
    FromLabels(&'a str),
    /// `labelmap`: may rename a label to `__scheme__`.
    Rename(&'a str),
    /// An action the policy does not know.
    UnknownAction(&'a str),
    /// A static label `__scheme__`.
    Static(&'a str),
}

/// A relabeling or static label that may leave a scheme other than https.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SchemeRewrite<'a> {
    pub(crate) path: FieldPath,
    pub(crate) writes: Writes<'a>,
    /// The scrape class whose relabelings hold it.
    pub(crate) class: Option<&'a str>,
}

impl fmt::Display for SchemeRewrite<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.path;
        let what = if matches!(self.writes, Writes::Static(_)) {
            "static label"
        } else {
            "relabeling"
        };
        write!(f, "the {what} at {p}")?;
        if let Some(c) = self.class {
            write!(f, " (from scrape class {c})")?;
        }
        match self.writes {
            Writes::Literal(r) => write!(f, " rewrites __scheme__ to {}", value(r)),
            Writes::Unknown => write!(
                f,
                " may rewrite __scheme__ (its replacement is not a literal https)"
            ),
            Writes::Template(t) => write!(
                f,
                " may write __scheme__ (its target label {t} is a template that may expand to __scheme__, and its replacement is not a literal https)"
            ),
            Writes::FromLabels(a) => write!(
                f,
                " may rewrite __scheme__ (action {a} writes a value taken from other labels)"
            ),
            Writes::Rename(a) => write!(
                f,
                " may rename a label to __scheme__ (action {a} with a replacement that may produce __scheme__)"
            ),
            Writes::UnknownAction(a) => write!(
                f,
                " may write __scheme__ (action {a} is not one the policy knows)"
            ),
            Writes::Static(v) => write!(f, " sets __scheme__ to {}", value(v)),
        }
    }
}

/// Actions that write no label, or none that can be a scheme (SPEC 10).
const NO_SCHEME_WRITE: [&str; 13] = [
    "keep",
    "drop",
    "keepequal",
    "dropequal",
    "labeldrop",
    "labelkeep",
    "hashmod",
    "keep_if_equal",
    "drop_if_equal",
    "keep_if_contains",
    "drop_if_contains",
    "keep_metrics",
    "drop_metrics",
];

/// Actions that write their target label with a value from other labels.
const FROM_LABELS: [&str; 3] = ["lowercase", "uppercase", "replace_all"];

fn is_one_of(action: &str, set: &[&str]) -> bool {
    set.iter().any(|a| a.eq_ignore_ascii_case(action))
}

/// A value written into `__scheme__`, for messages: an empty one shown as
/// `""`, not as nothing.
fn value(v: &str) -> &str {
    match v {
        "" => "\"\" (empty)",
        v => v,
    }
}

/// A target label that is, or may expand to, `__scheme__`.
fn may_name_scheme(label: &str) -> bool {
    label == "__scheme__" || label.contains('$')
}

/// `replacement` is a literal (no capture group) `https`, any case.
fn literal_https(replacement: Option<&str>) -> bool {
    replacement.is_some_and(|r| !r.contains('$') && r.eq_ignore_ascii_case("https"))
}

/// Kubernetes SD roles whose objects' labels and annotations become
/// `__meta_kubernetes_<role>_label_<key>` and `..._annotation_<key>`.
const KUBE_ROLES: [&str; 7] = [
    "pod",
    "service",
    "node",
    "namespace",
    "endpoints",
    "endpointslice",
    "ingress",
];

/// The labelmap shape whose result is the tail of a Kubernetes label or
/// annotation key (`__meta_kubernetes_pod_label_(.+)` with `$1`, also with
/// a literal key prefix such as `..._annotation_prometheus_io_(.+)`). A key
/// ends with a letter or digit (Kubernetes' key syntax; Prometheus turns
/// other characters into `_`), so every tail does too and is never
/// `__scheme__`, which ends with `_`.
fn kubernetes_key_map(regex: Option<&str>, replacement: Option<&str>) -> bool {
    let (Some(regex), Some("$1" | "${1}") | None) = (regex, replacement) else {
        return false;
    };
    let Some(rest) = regex
        .strip_prefix("__meta_kubernetes_")
        .and_then(|r| r.strip_suffix("(.+)").or_else(|| r.strip_suffix("(.*)")))
    else {
        return false;
    };
    let family = KUBE_ROLES.iter().find_map(|role| {
        let r = rest.strip_prefix(role)?;
        r.strip_prefix("_label_")
            .or_else(|| r.strip_prefix("_annotation_"))
    });
    family.is_some_and(|key_prefix| {
        key_prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// How one relabel config may write `__scheme__`, or `None` when it cannot
/// leave anything but https there.
fn read_one<'a>(rc: &Obj<'a>, dialect: Dialect, report: &mut Report) -> Option<Writes<'a>> {
    let action = rc
        .str("action", report)
        .filter(|a| !a.is_empty())
        .unwrap_or("replace");
    let mut targets: [Option<&'a str>; 2] = [rc.str("targetLabel", report), None];
    if dialect == Dialect::VictoriaMetrics {
        targets[1] = rc.str("target_label", report);
    }
    let replacement = rc.str("replacement", report);
    let target = targets.into_iter().flatten().find(|t| may_name_scheme(t));
    if is_one_of(action, &NO_SCHEME_WRITE) {
        return None;
    }
    if action.eq_ignore_ascii_case("replace") {
        let target = target?;
        if literal_https(replacement) {
            return None;
        }
        return Some(match (target, replacement) {
            ("__scheme__", Some(r)) if !r.contains('$') => Writes::Literal(r),
            ("__scheme__", _) => Writes::Unknown,
            (t, _) => Writes::Template(t),
        });
    }
    if is_one_of(action, &FROM_LABELS) {
        return target.map(|_| Writes::FromLabels(action));
    }
    if action.eq_ignore_ascii_case("labelmap") {
        // Read only here: no other action's judgement depends on it.
        let regex = match (rc.get("regex"), dialect) {
            // VictoriaMetrics also takes a list of regexes (joined by `|`).
            (Some(Value::Array(_)), Dialect::VictoriaMetrics) => None,
            _ => rc.str("regex", report),
        };
        let r = replacement.unwrap_or("$1");
        let may = if r.contains('$') {
            !kubernetes_key_map(regex, replacement)
        } else {
            r == "__scheme__"
        };
        return may.then_some(Writes::Rename(action));
    }
    if action.eq_ignore_ascii_case("labelmap_all") && dialect == Dialect::VictoriaMetrics {
        return Some(Writes::Rename(action));
    }
    if action.eq_ignore_ascii_case("graphite") && dialect == Dialect::VictoriaMetrics {
        let labels = rc.obj("labels", report)?;
        return labels
            .map
            .keys()
            .any(|k| may_name_scheme(k))
            .then_some(Writes::FromLabels(action));
    }
    Some(Writes::UnknownAction(action))
}

/// The first relabel config of `list` that may leave a scheme other than
/// https. Every element is read (so every wrong type is reported).
pub(crate) fn scheme_rewrite<'a>(
    list: &List<'a>,
    dialect: Dialect,
    class: Option<&'a str>,
    report: &mut Report,
) -> Option<SchemeRewrite<'a>> {
    let mut found = None;
    for i in 0..list.len() {
        let Some(rc) = list.obj(i, report) else {
            continue;
        };
        let writes = read_one(&rc, dialect, report);
        if found.is_none() {
            found = writes.map(|writes| SchemeRewrite {
                path: rc.path.clone(),
                writes,
                class,
            });
        }
    }
    found
}

/// The relabel list at `key` of `o`, read as [`scheme_rewrite`] reads it.
pub(crate) fn scheme_rewrite_at<'a>(
    o: &Obj<'a>,
    key: &str,
    dialect: Dialect,
    report: &mut Report,
) -> Option<SchemeRewrite<'a>> {
    let list = o.list(key, report)?;
    scheme_rewrite(&list, dialect, None, report)
}

/// A static label `__scheme__` in `o.labels` other than https.
pub(crate) fn static_scheme<'a>(o: &Obj<'a>, report: &mut Report) -> Option<SchemeRewrite<'a>> {
    let labels = o.obj("labels", report)?;
    // An empty label is no label: Prometheus then sets the configured scheme.
    let value = labels.str("__scheme__", report).filter(|v| !v.is_empty())?;
    if value.eq_ignore_ascii_case("https") {
        return None;
    }
    Some(SchemeRewrite {
        path: labels.path.key("__scheme__"),
        writes: Writes::Static(value),
        class: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// One relabel config, in the given dialect.
    fn writes(rc: Value, dialect: Dialect) -> (Option<String>, Report) {
        let mut report = Report::new();
        let items = vec![rc];
        let list = List {
            items: &items,
            path: FieldPath::root().child("relabelings"),
        };
        let found = scheme_rewrite(&list, dialect, None, &mut report);
        (found.map(|f| f.to_string()), report)
    }

    /// SPEC 10 and 13: every action that may leave a scheme other than
    /// https counts; the ones that cannot, do not.
    #[test]
    fn m4_m5_m6_relabel_actions() {
        use Dialect::{Prometheus as P, VictoriaMetrics as V};
        let cases: Vec<(Value, Dialect, Option<&str>)> = vec![
            (
                json!({"targetLabel": "__scheme__", "replacement": "http"}),
                P,
                Some("rewrites __scheme__ to http"),
            ),
            (
                json!({"action": "REPLACE", "targetLabel": "__scheme__", "replacement": "http"}),
                P,
                Some("rewrites __scheme__ to http"),
            ),
            (
                json!({"action": "", "targetLabel": "__scheme__", "replacement": "http"}),
                P,
                Some("rewrites __scheme__ to http"),
            ),
            (
                json!({"targetLabel": "__scheme__", "replacement": "HTTPS"}),
                P,
                None,
            ),
            (
                json!({"targetLabel": "__scheme__"}),
                P,
                Some("its replacement is not a literal https"),
            ),
            (
                json!({"targetLabel": "__scheme__", "replacement": "$1"}),
                P,
                Some("its replacement is not a literal https"),
            ),
            (
                json!({"sourceLabels": ["__meta_kubernetes_service_annotation_target"], "regex": "(.+);(.+)", "targetLabel": "$1", "replacement": "$2"}),
                P,
                Some("its target label $1 is a template"),
            ),
            (
                json!({"targetLabel": "${1}", "replacement": "https"}),
                P,
                None,
            ),
            (
                json!({"targetLabel": "__SCHEME__", "replacement": "http"}),
                P,
                None,
            ),
            (
                json!({"action": "lowercase", "sourceLabels": ["__meta_kubernetes_pod_annotation_scheme"], "targetLabel": "__scheme__"}),
                P,
                Some("action lowercase writes a value"),
            ),
            (
                json!({"action": "Uppercase", "sourceLabels": ["x"], "targetLabel": "__scheme__"}),
                P,
                Some("action Uppercase writes a value"),
            ),
            (
                json!({"action": "lowercase", "sourceLabels": ["x"], "targetLabel": "scheme"}),
                P,
                None,
            ),
            (
                json!({"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"}),
                P,
                None,
            ),
            (
                json!({"action": "labelmap", "regex": "__meta_kubernetes_service_annotation_prometheus_io_(.+)", "replacement": "${1}"}),
                P,
                None,
            ),
            (
                json!({"action": "labelmap", "regex": "__tmp_(.+)"}),
                P,
                Some("may rename a label to __scheme__"),
            ),
            (
                json!({"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)", "replacement": "__$1"}),
                P,
                Some("may rename a label to __scheme__"),
            ),
            (
                json!({"action": "labelmap", "regex": "custom_scheme", "replacement": "__scheme__"}),
                P,
                Some("may rename a label to __scheme__"),
            ),
            (
                json!({"action": "labelmap", "regex": "x", "replacement": "http"}),
                P,
                None,
            ),
            (
                json!({"action": "keep", "sourceLabels": ["__scheme__"], "regex": "https"}),
                P,
                None,
            ),
            (
                json!({"action": "labeldrop", "regex": "__scheme__"}),
                P,
                None,
            ),
            (
                json!({"action": "hashmod", "sourceLabels": ["__address__"], "modulus": 2, "targetLabel": "__scheme__"}),
                P,
                None,
            ),
            (
                json!({"action": "rewrite", "targetLabel": "__scheme__"}),
                P,
                Some("action rewrite is not one the policy knows"),
            ),
            // VictoriaMetrics: both spellings, the empty action.
            (
                json!({"targetLabel": "", "target_label": "__scheme__", "replacement": "http"}),
                V,
                Some("rewrites __scheme__ to http"),
            ),
            (
                json!({"action": "", "target_label": "__scheme__", "replacement": "http"}),
                V,
                Some("rewrites __scheme__ to http"),
            ),
            (
                json!({"targetLabel": "__scheme__", "target_label": "", "replacement": "http"}),
                V,
                Some("rewrites __scheme__ to http"),
            ),
            (
                json!({"target_label": "__scheme__", "replacement": "http"}),
                P,
                None,
            ),
            (
                json!({"action": "replace_all", "source_labels": ["__scheme__"], "target_label": "__scheme__", "regex": "s$", "replacement": ""}),
                V,
                Some("action replace_all"),
            ),
            (
                json!({"action": "labelmap_all", "regex": "-", "replacement": "_"}),
                V,
                Some("may rename a label"),
            ),
            (
                json!({"action": "graphite", "match": "*.*", "labels": {"__scheme__": "$1"}}),
                V,
                Some("action graphite"),
            ),
            (
                json!({"action": "graphite", "match": "*.*", "labels": {"job": "$1"}}),
                V,
                None,
            ),
            (
                json!({"action": "labelmap", "regex": ["a_(.+)", "b_(.+)"]}),
                V,
                Some("may rename a label"),
            ),
            (
                json!({"action": "keep_if_equal", "source_labels": ["a", "b"]}),
                V,
                None,
            ),
        ];
        for (rc, dialect, want) in cases {
            let (got, report) = writes(rc.clone(), dialect);
            assert!(report.is_clean(), "{rc}: {:?}", report.violations);
            match (want, &got) {
                (None, None) => {}
                (Some(w), Some(g)) => {
                    assert!(
                        g.starts_with("the relabeling at relabelings[0]"),
                        "{rc}: {g}"
                    );
                    assert!(g.contains(w), "{rc}: {g} lacks {w:?}");
                }
                _ => panic!("{rc} ({dialect:?}): expected {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn relabel_wrong_types_are_reported() {
        let (_, r) = writes(
            json!({"action": 1, "target_label": 2, "replacement": []}),
            Dialect::VictoriaMetrics,
        );
        let paths: Vec<String> = r.violations.iter().map(|v| v.path.to_string()).collect();
        assert_eq!(
            paths,
            [
                "relabelings[0].action",
                "relabelings[0].target_label",
                "relabelings[0].replacement"
            ]
        );
    }

    #[test]
    fn static_labels() {
        let mut r = Report::new();
        let v = json!({"labels": {"__scheme__": "http", "env": "prod"}});
        let o = Obj::at(
            &v,
            FieldPath::root().child("staticConfigs").index(0),
            &mut r,
        )
        .unwrap();
        let found = static_scheme(&o, &mut r).unwrap();
        assert_eq!(found.path.as_str(), "staticConfigs[0].labels[__scheme__]");
        assert_eq!(
            found.to_string(),
            "the static label at staticConfigs[0].labels[__scheme__] sets __scheme__ to http"
        );
        for fine in [
            json!({"labels": {"__scheme__": "HTTPS"}}),
            json!({"labels": {"__scheme__": ""}}),
            json!({"labels": {}}),
        ] {
            let o = Obj::at(&fine, FieldPath::root(), &mut r).unwrap();
            assert_eq!(static_scheme(&o, &mut r), None, "{fine}");
        }
        assert!(r.is_clean());
    }
}
