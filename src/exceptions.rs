//! Scoped, reasoned exceptions (SPEC sections 11 and 13).
//!
//! An entry `{rules, kinds, namespaces, names, reason}` of the `exceptions`
//! setting names rules that, for the objects it matches, report a warning
//! instead of a rejection. An object matches when its kind, namespace
//! (`metadata.namespace`, else the request's) and name (`metadata.name`,
//! else the request's) match every list the entry gives; an empty list counts
//! as not given; `namespaces` and `names` are exact names or globs where `*`
//! matches any run of characters. An entry needs `namespaces` or `names`: a
//! cluster-wide switch belongs in the policy's own selectors.
//!
//! A leaf module: settings read entries with [`read`]; the router computes the
//! [`Applied`] exceptions of an object before the rules run (their
//! [`RuleSet`] goes into the rule context, so an excepted W5 or X3 injects
//! nothing) and, after they ran, turns the violations of excepted rules into
//! warnings with [`Applied::apply`]. Nothing else changes.

use crate::report::{ErrorType, Excepted, FieldPath, Report, Warning};
use crate::rule::{Rule, RuleSet};
use serde_json::Value;

/// One entry of the `exceptions` setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Exception {
    /// The rules it excepts, in the order given.
    pub(crate) rules: Vec<Rule>,
    /// Exact kind names (`ServiceMonitor`); empty: every kind.
    pub(crate) kinds: Vec<String>,
    /// Namespace globs; empty: every namespace.
    pub(crate) namespaces: Vec<String>,
    /// Name globs; empty: every name.
    pub(crate) names: Vec<String>,
    pub(crate) reason: String,
}

/// What an entry is matched on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subject<'a> {
    pub(crate) kind: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) name: &'a str,
}

impl Exception {
    pub(crate) fn matches(&self, s: &Subject) -> bool {
        let any = |list: &[String], value: &str, is: fn(&str, &str) -> bool| {
            list.is_empty() || list.iter().any(|p| is(p, value))
        };
        any(&self.kinds, s.kind, |k, v| k == v)
            && any(&self.namespaces, s.namespace, glob)
            && any(&self.names, s.name, glob)
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters
/// (the empty one too) and every other character only itself.
///
/// Linear in practice: on a mismatch it only retries from the last `*`
/// (the classic wildcard matcher; a later `*` subsumes an earlier one).
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut i, mut j) = (0, 0);
    // The position after the last `*` seen, and where in `text` it resumed.
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i + 1, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((after, resumed)) = star {
            // Let the last `*` swallow one more byte.
            i = after;
            j = resumed + 1;
            star = Some((after, resumed + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == b'*')
}

/// The exceptions that apply to one object.
#[derive(Debug, Default)]
pub(crate) struct Applied<'a> {
    entries: Vec<&'a Exception>,
}

impl<'a> Applied<'a> {
    pub(crate) fn for_object(all: &'a [Exception], subject: &Subject) -> Applied<'a> {
        Applied {
            entries: all.iter().filter(|e| e.matches(subject)).collect(),
        }
    }

    /// Every rule these exceptions except.
    pub(crate) fn rules(&self) -> RuleSet {
        self.entries
            .iter()
            .flat_map(|e| e.rules.iter().copied())
            .collect()
    }

    /// The reason of the first entry that excepts `rule`.
    fn reason(&self, rule: Rule) -> Option<&'a str> {
        self.entries
            .iter()
            .find(|e| e.rules.contains(&rule))
            .map(|e| e.reason.as_str())
    }

    /// Moves every violation of an excepted rule to a warning that starts
    /// with the rule id and quotes the reason (SPEC section 13):
    /// `[M1] excepted ("<reason>"): <path>: <type>: <detail>`.
    pub(crate) fn apply(&self, report: &mut Report) {
        if self.entries.is_empty() {
            return;
        }
        let (mut excepted, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut report.violations)
            .into_iter()
            .partition(|v| self.reason(v.rule).is_some());
        report.violations = kept;
        // The first of each rule in document order, where the warnings
        // list them (`crate::warnings` lists the first of each rule).
        crate::report::listed_first(&mut excepted);
        for v in excepted {
            let reason = self.reason(v.rule).unwrap_or_default();
            report.warnings.push(Warning {
                rule: v.rule,
                path: v.path,
                detail: v.detail,
                excepted: Some(Excepted {
                    reason: reason.to_string(),
                    kind: v.kind,
                }),
            });
        }
    }
}

const ENTRY_KEYS: [&str; 5] = ["rules", "kinds", "namespaces", "names", "reason"];

/// Reads the `exceptions` setting at `path`, reporting every problem as a
/// `settings` violation with its path (`exceptions[2].rules[0]`). Only
/// entries without problems are returned.
pub(crate) fn read(v: &Value, path: &FieldPath, report: &mut Report) -> Vec<Exception> {
    let Value::Array(items) = v else {
        report.type_invalid_for(
            Rule::Settings,
            path.clone(),
            "a list of exception entries",
            v,
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let before = report.violations.len();
        let entry = read_entry(item, &path.index(i), report);
        if report.violations.len() == before {
            out.extend(entry);
        }
    }
    out
}

fn read_entry(item: &Value, at: &FieldPath, report: &mut Report) -> Option<Exception> {
    let Value::Object(m) = item else {
        report.type_invalid_for(
            Rule::Settings,
            at.clone(),
            "an object {rules, kinds, namespaces, names, reason}",
            item,
        );
        return None;
    };
    for k in m.keys() {
        if !ENTRY_KEYS.contains(&k.as_str()) {
            report.push(
                Rule::Settings,
                at.child(k),
                ErrorType::Forbidden,
                format!("unknown key; an entry has {}", ENTRY_KEYS.join(", ")),
            );
        }
    }
    let get = |k: &str| m.get(k).filter(|v| !v.is_null());
    let rules = read_rules(get("rules"), &at.child("rules"), report);
    let kinds = read_list(get("kinds"), &at.child("kinds"), report);
    for (j, kind) in kinds.iter().enumerate() {
        if kind.contains('*') {
            report.invalid(
                Rule::Settings,
                at.child("kinds").index(j),
                format!("{kind:?}: kinds are exact kind names (ServiceMonitor, Deployment); leave kinds out to match every kind"),
            );
        }
    }
    let namespaces = read_list(get("namespaces"), &at.child("namespaces"), report);
    let names = read_list(get("names"), &at.child("names"), report);
    // Given: present and not an empty list (a wrong type is reported above).
    let given = |k: &str| get(k).is_some_and(|v| v.as_array().is_none_or(|l| !l.is_empty()));
    if !given("namespaces") && !given("names") {
        report.required(
            Rule::Settings,
            at.clone(),
            "an entry needs namespaces or names (or both); to turn a rule off for a whole cluster, use the policy's selectors instead",
        );
    }
    let reason = match get("reason") {
        None => String::new(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(other) => {
            report.type_invalid_for(Rule::Settings, at.child("reason"), "a string", other);
            return None;
        }
    };
    if reason.is_empty() {
        report.required(
            Rule::Settings,
            at.child("reason"),
            "say why these rules do not apply here; the reason is quoted in every warning",
        );
    }
    Some(Exception {
        rules,
        kinds,
        namespaces,
        names,
        reason,
    })
}

fn read_rules(v: Option<&Value>, path: &FieldPath, report: &mut Report) -> Vec<Rule> {
    let items: &[Value] = match v {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(other) => {
            report.type_invalid_for(Rule::Settings, path.clone(), "a list of rule ids", other);
            return Vec::new();
        }
    };
    if items.is_empty() {
        report.required(
            Rule::Settings,
            path.clone(),
            "list at least one rule id (M1, W5, ...)",
        );
    }
    let mut rules = Vec::new();
    for (j, item) in items.iter().enumerate() {
        let at = path.index(j);
        let Value::String(id) = item else {
            report.type_invalid_for(Rule::Settings, at.clone(), "a rule id (a string)", item);
            continue;
        };
        match Rule::from_id(id) {
            Some(rule) if rule.is_exceptable() => rules.push(rule),
            Some(rule) => report.forbidden(
                Rule::Settings,
                at,
                format!(
                    "{id:?} is not a rule an exception may list: a `{rule}` problem means the object or the settings cannot be read as intended"
                ),
            ),
            None => report.invalid(
                Rule::Settings,
                at,
                format!("unknown rule id {id:?}; the ids are {}", exceptable_ids()),
            ),
        }
    }
    rules
}

fn exceptable_ids() -> String {
    Rule::ALL
        .iter()
        .filter(|r| r.is_exceptable())
        .map(|r| r.id())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An optional list of non-empty strings.
fn read_list(v: Option<&Value>, path: &FieldPath, report: &mut Report) -> Vec<String> {
    let items = match v {
        None => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            report.type_invalid_for(Rule::Settings, path.clone(), "a list of strings", other);
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (j, item) in items.iter().enumerate() {
        match item {
            Value::String(s) if !s.is_empty() => out.push(s.clone()),
            Value::String(_) => report.required(
                Rule::Settings,
                path.index(j),
                "must not be empty (leave the key out to match every value)",
            ),
            other => report.type_invalid_for(Rule::Settings, path.index(j), "a string", other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use serde_json::json;

    fn entry(v: Value) -> Exception {
        let settings = crate::review::validate_settings(&json!({ "exceptions": [v] }))
            .unwrap_or_else(|e| panic!("{e}"));
        settings.exceptions.into_iter().next().expect("one entry")
    }

    fn subject<'a>(kind: &'a str, namespace: &'a str, name: &'a str) -> Subject<'a> {
        Subject {
            kind,
            namespace,
            name,
        }
    }

    #[test]
    fn glob_matches_runs_of_characters() {
        let cases = [
            ("monitoring", "monitoring", true),
            ("monitoring", "monitoring-2", false),
            ("monitoring", "", false),
            ("*", "", true),
            ("*", "anything", true),
            ("kube-*", "kube-system", true),
            ("kube-*", "kube-", true),
            ("kube-*", "kube", false),
            ("*-system", "kube-system", true),
            ("*-system", "kube-system-2", false),
            ("istio-*-gateway", "istio-ingress-gateway", true),
            ("istio-*-gateway", "istio-gateway", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "axxbyybzc", true),
            ("a*b*c", "axxbyyc-", false),
            ("**", "x", true),
            ("a*a*a", "aaaa", true),
            ("a*a*a", "aa", false),
            ("node-exporter", "Node-exporter", false),
            ("?", "x", false),
            ("?", "?", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob(pattern, text), expected, "{pattern:?} vs {text:?}");
        }
    }

    /// SPEC 11: kind, namespace and name must each match every list given;
    /// an empty list counts as not given.
    #[test]
    fn matching_on_kind_namespace_and_name() {
        let kube_prometheus = entry(json!({
            "rules": ["M1"],
            "kinds": ["ServiceMonitor"],
            "namespaces": ["monitoring"],
            "names": ["kubelet", "kube-*"],
            "reason": "self-signed kubelet serving certificates"
        }));
        let only_namespaces = entry(json!({
            "rules": ["M1"], "namespaces": ["istio-*"], "names": [], "kinds": [],
            "reason": "Istio workload certificates"
        }));
        let only_names = entry(json!({
            "rules": ["W5"], "names": ["legacy-*"], "reason": "migrating"
        }));
        let cases = [
            (
                &kube_prometheus,
                subject("ServiceMonitor", "monitoring", "kubelet"),
                true,
            ),
            (
                &kube_prometheus,
                subject("ServiceMonitor", "monitoring", "kube-apiserver"),
                true,
            ),
            (
                &kube_prometheus,
                subject("ServiceMonitor", "monitoring", "node-exporter"),
                false,
            ),
            (
                &kube_prometheus,
                subject("PodMonitor", "monitoring", "kubelet"),
                false,
            ),
            (
                &kube_prometheus,
                subject("servicemonitor", "monitoring", "kubelet"),
                false,
            ),
            (
                &kube_prometheus,
                subject("ServiceMonitor", "default", "kubelet"),
                false,
            ),
            (
                &kube_prometheus,
                subject("ServiceMonitor", "monitoring-2", "kubelet"),
                false,
            ),
            (
                &kube_prometheus,
                subject("ServiceMonitor", "", "kubelet"),
                false,
            ),
            (
                &only_namespaces,
                subject("PodMonitor", "istio-system", "envoy-stats"),
                true,
            ),
            (
                &only_namespaces,
                subject("ServiceMonitor", "istio-ingress", "x"),
                true,
            ),
            (
                &only_namespaces,
                subject("ServiceMonitor", "bookinfo", "x"),
                false,
            ),
            (
                &only_names,
                subject("Deployment", "team-a", "legacy-api"),
                true,
            ),
            (
                &only_names,
                subject("Deployment", "team-b", "legacy-"),
                true,
            ),
            (&only_names, subject("Deployment", "team-a", "api"), false),
            (&only_names, subject("Deployment", "team-a", ""), false),
        ];
        for (e, s, expected) in cases {
            assert_eq!(e.matches(&s), expected, "{s:?} against {e:?}");
        }
    }

    #[test]
    fn applied_collects_the_rules_of_every_matching_entry() {
        let all = [
            entry(json!({"rules": ["M1"], "namespaces": ["monitoring"], "reason": "one"})),
            entry(json!({"rules": ["M1", "M5"], "names": ["kubelet"], "reason": "two"})),
            entry(json!({"rules": ["W5"], "namespaces": ["other"], "reason": "three"})),
        ];
        let s = subject("ServiceMonitor", "monitoring", "kubelet");
        let applied = Applied::for_object(&all, &s);
        let rules = applied.rules();
        assert!(rules.contains(Rule::M1) && rules.contains(Rule::M5));
        assert!(!rules.contains(Rule::W5) && !rules.contains(Rule::M2));
        assert_eq!(
            applied.reason(Rule::M1),
            Some("one"),
            "the first entry wins"
        );
        assert_eq!(applied.reason(Rule::M5), Some("two"));
        let none = Applied::for_object(&all, &subject("ServiceMonitor", "default", "x"));
        assert!(none.rules().is_empty());
    }

    #[test]
    fn apply_moves_excepted_violations_to_warnings_quoting_the_reason() {
        let all = [entry(json!({
            "rules": ["M1"], "namespaces": ["monitoring"],
            "reason": "kubelet serves a \"self-signed\" certificate"
        }))];
        let applied =
            Applied::for_object(&all, &subject("ServiceMonitor", "monitoring", "kubelet"));
        let mut r = Report::new();
        let ep = |i: usize| FieldPath::root().child("spec").child("endpoints").index(i);
        r.forbidden(Rule::M1, ep(10).child("tlsConfig"), "verify it");
        r.forbidden(Rule::M1, ep(2).child("tlsConfig"), "verify it");
        r.required(
            Rule::M2,
            ep(0).child("tlsConfig").child("keySecret"),
            "add a key",
        );
        r.type_invalid(ep(1), "object", &json!(1));
        r.warn(Rule::WServerName, &ep(3), "careful");
        applied.apply(&mut r);
        let kept: Vec<Rule> = r.violations.iter().map(|v| v.rule).collect();
        assert_eq!(kept, vec![Rule::M2, Rule::Type], "only M1 is excepted");
        let excepted: Vec<(Rule, &str, Option<&str>)> = r
            .warnings
            .iter()
            .map(|w| {
                let reason = w.excepted.as_ref().map(|e| e.reason.as_str());
                (w.rule, w.path.as_str(), reason)
            })
            .collect();
        let reason = Some("kubelet serves a \"self-signed\" certificate");
        assert_eq!(
            excepted,
            vec![
                (Rule::WServerName, "spec.endpoints[3]", None),
                (Rule::M1, "spec.endpoints[2].tlsConfig", reason),
                (Rule::M1, "spec.endpoints[10].tlsConfig", reason),
            ]
        );
        // As the response shows them (SPEC 13).
        assert_eq!(
            crate::warnings::shape(r.warnings),
            vec![
                "[W-serverName] spec.endpoints[3]: careful".to_string(),
                "[M1] excepted (\"kubelet serves a \\\"self-signed\\\" certificate\"): spec.endpoints[2].tlsConfig: Forbidden: verify it".to_string(),
                "[M1] excepted (\"kubelet serves a \\\"self-signed\\\" certificate\"): spec.endpoints[10].tlsConfig: Forbidden: verify it".to_string(),
            ]
        );
    }

    #[test]
    fn entries_are_read_with_every_field() {
        let e = entry(json!({
            "rules": ["M1", "W-serverName", "X4"],
            "kinds": ["ServiceMonitor", "PodMonitor"],
            "namespaces": ["monitoring"],
            "names": ["kubelet"],
            "reason": "  self-signed kubelet certificates  "
        }));
        assert_eq!(e.rules, vec![Rule::M1, Rule::WServerName, Rule::X4]);
        assert_eq!(e.kinds, vec!["ServiceMonitor", "PodMonitor"]);
        assert_eq!(e.namespaces, vec!["monitoring"]);
        assert_eq!(e.names, vec!["kubelet"]);
        assert_eq!(e.reason, "self-signed kubelet certificates");
        let e = entry(
            json!({"rules": ["M1"], "namespaces": ["a"], "names": null, "kinds": null, "reason": "r"}),
        );
        assert!(e.names.is_empty() && e.kinds.is_empty());
    }

    /// SPEC 11 and 13: every refusal names its path.
    #[test]
    fn exceptions_refusals_name_the_path() {
        use ErrorType::{Forbidden, Invalid, Required, TypeInvalid};
        let ok = json!({"rules": ["M1"], "namespaces": ["monitoring"], "reason": "r"});
        let cases = [
            (
                json!({"rules": ["M99"], "namespaces": ["a"], "reason": "r"}),
                "exceptions[1].rules[0]",
                Invalid,
                "unknown rule id \"M99\"",
            ),
            (
                json!({"rules": ["M1", "m1"], "namespaces": ["a"], "reason": "r"}),
                "exceptions[1].rules[1]",
                Invalid,
                "unknown rule id \"m1\"",
            ),
            (
                json!({"rules": ["type"], "namespaces": ["a"], "reason": "r"}),
                "exceptions[1].rules[0]",
                Forbidden,
                "not a rule an exception may list",
            ),
            (
                json!({"rules": ["invalid"], "namespaces": ["a"], "reason": "r"}),
                "exceptions[1].rules[0]",
                Forbidden,
                "not a rule an exception may list",
            ),
            (
                json!({"rules": ["settings"], "namespaces": ["a"], "reason": "r"}),
                "exceptions[1].rules[0]",
                Forbidden,
                "not a rule an exception may list",
            ),
            (
                json!({"rules": [], "namespaces": ["a"], "reason": "r"}),
                "exceptions[1].rules",
                Required,
                "at least one rule id",
            ),
            (
                json!({"namespaces": ["a"], "reason": "r"}),
                "exceptions[1].rules",
                Required,
                "at least one rule id",
            ),
            (
                json!({"rules": "M1", "namespaces": ["a"], "reason": "r"}),
                "exceptions[1].rules",
                TypeInvalid,
                "expected a list of rule ids, got string",
            ),
            (
                json!({"rules": [1], "namespaces": ["a"], "reason": "r"}),
                "exceptions[1].rules[0]",
                TypeInvalid,
                "got number",
            ),
            (
                json!({"rules": ["M1"], "namespaces": ["a"], "reason": ""}),
                "exceptions[1].reason",
                Required,
                "say why",
            ),
            (
                json!({"rules": ["M1"], "namespaces": ["a"], "reason": "  "}),
                "exceptions[1].reason",
                Required,
                "say why",
            ),
            (
                json!({"rules": ["M1"], "namespaces": ["a"]}),
                "exceptions[1].reason",
                Required,
                "say why",
            ),
            (
                json!({"rules": ["M1"], "namespaces": ["a"], "reason": ["r"]}),
                "exceptions[1].reason",
                TypeInvalid,
                "expected a string, got list",
            ),
            (
                json!({"rules": ["M1"], "reason": "r"}),
                "exceptions[1]",
                Required,
                "needs namespaces or names",
            ),
            (
                json!({"rules": ["M1"], "namespaces": [], "names": [], "reason": "r"}),
                "exceptions[1]",
                Required,
                "needs namespaces or names",
            ),
            (
                json!({"rules": ["M1"], "kinds": ["ServiceMonitor"], "reason": "r"}),
                "exceptions[1]",
                Required,
                "needs namespaces or names",
            ),
            (
                json!({"rules": ["M1"], "namespaces": "monitoring", "reason": "r"}),
                "exceptions[1].namespaces",
                TypeInvalid,
                "expected a list of strings, got string",
            ),
            (
                json!({"rules": ["M1"], "names": [{"a": 1}], "reason": "r"}),
                "exceptions[1].names[0]",
                TypeInvalid,
                "got object",
            ),
            (
                json!({"rules": ["M1"], "names": ["a", ""], "reason": "r"}),
                "exceptions[1].names[1]",
                Required,
                "must not be empty",
            ),
            (
                json!({"rules": ["M1"], "names": ["a"], "kinds": ["*"], "reason": "r"}),
                "exceptions[1].kinds[0]",
                Invalid,
                "exact kind names",
            ),
            (
                json!({"rules": ["M1"], "names": ["a"], "kinds": "ServiceMonitor", "reason": "r"}),
                "exceptions[1].kinds",
                TypeInvalid,
                "expected a list of strings",
            ),
            (
                json!({"rules": ["M1"], "names": ["a"], "reason": "r", "namespace": ["b"]}),
                "exceptions[1].namespace",
                Forbidden,
                "unknown key",
            ),
            (
                json!("M1"),
                "exceptions[1]",
                TypeInvalid,
                "expected an object",
            ),
        ];
        for (bad, path, kind, detail) in cases {
            let input = json!({ "exceptions": [ok.clone(), bad] });
            let violations = Settings::read(&input).expect_err(&input.to_string());
            assert_eq!(violations.len(), 1, "{input}: {violations:?}");
            let v = &violations[0];
            assert_eq!(v.rule, Rule::Settings);
            assert_eq!((v.path.as_str(), v.kind), (path, kind), "{input}: {v}");
            assert!(v.detail.contains(detail), "{input}: {v} lacks {detail:?}");
        }
    }

    #[test]
    fn every_problem_of_an_entry_is_reported() {
        let input = json!({"exceptions": [{"rules": ["M99", "type"], "reason": "", "kinds": 1}]});
        let violations = Settings::read(&input).unwrap_err();
        let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "exceptions[0].rules[0]",
                "exceptions[0].rules[1]",
                "exceptions[0].kinds",
                "exceptions[0]",
                "exceptions[0].reason"
            ]
        );
    }
}
