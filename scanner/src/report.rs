//! What a scan found, the exit code it makes, and its three outputs: a report
//! for people (`human`), `json`, and SARIF 2.1.0 (`sarif`) for code-scanning
//! dashboards.

use serde_json::{json, Value};

use crate::catalogue::{self, split_violation, split_warning};
use crate::diff;
use crate::input::{Document, InputError};
use crate::judge::{Judgement, Verdict};
use crate::review::Gvk;

/// One judged object.
#[derive(Debug)]
pub struct Entry {
    pub document: Document,
    pub gvk: Gvk,
    pub namespace: Option<String>,
    /// The object as the request carried it (namespace filled in).
    pub object: Value,
    pub judgement: Judgement,
}

impl Entry {
    fn name(&self) -> &str {
        self.object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("<unnamed>")
    }

    /// `Kind namespace/name` (or `Kind name`).
    pub fn subject(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.gvk.kind, self.name()),
            None => format!("{} {}", self.gvk.kind, self.name()),
        }
    }

    /// `file, document 3 (line 41)`, with the item of a List.
    pub fn location(&self) -> String {
        let d = &self.document;
        let item = d.item.map(|i| format!(", item {i}")).unwrap_or_default();
        format!(
            "{}, document {}{item} (line {})",
            d.file, d.document, d.line
        )
    }

    /// The problems of a rejection: the message's lines ending with a rule
    /// id (`- ` dropped from those of a list, the "has N problems:" header
    /// left out), or the whole message when no line does.
    fn violations(&self) -> Vec<&str> {
        let Verdict::Rejected { message } = &self.judgement.verdict else {
            return Vec::new();
        };
        let subject = format!("{}: ", self.subject());
        let lines: Vec<&str> = message
            .lines()
            .map(|l| l.strip_prefix("- ").unwrap_or(l))
            .map(|l| l.strip_prefix(subject.as_str()).unwrap_or(l))
            .filter(|l| l.trim_end().ends_with(']'))
            .collect();
        if lines.is_empty() {
            vec![message.as_str()]
        } else {
            lines
        }
    }
}

/// Everything a scan found.
#[derive(Debug, Default)]
pub struct Scan {
    pub entries: Vec<Entry>,
    /// Objects of kinds the policy's rules do not send it.
    pub skipped: usize,
    pub errors: Vec<InputError>,
}

/// When the scan fails (`--fail-on`): on rejections only, on rejections and
/// mutations, or on rejections, mutations and warnings (the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Reject,
    Mutate,
    Warn,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub judged: usize,
    pub admitted: usize,
    pub mutated: usize,
    pub rejected: usize,
    pub failed: usize,
    pub warned: usize,
}

impl Scan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            judged: self.entries.len(),
            ..Summary::default()
        };
        for e in &self.entries {
            match e.judgement.verdict {
                Verdict::Admitted => s.admitted += 1,
                Verdict::Mutated { .. } => s.mutated += 1,
                Verdict::Rejected { .. } => s.rejected += 1,
                Verdict::Failed { .. } => s.failed += 1,
            }
            if !e.judgement.warnings.is_empty() {
                s.warned += 1;
            }
        }
        s
    }

    /// 2: input that could not be read (whatever else was found);
    /// 1: an object rejected (or one the policy could not judge);
    /// 3: an object mutated (unless `--fail-on=reject`) or warned about
    /// (with `--fail-on=warn`, the default); 0 otherwise.
    pub fn exit_code(&self, fail_on: FailOn) -> u8 {
        let s = self.summary();
        if !self.errors.is_empty() {
            2
        } else if s.rejected + s.failed > 0 {
            1
        } else if (fail_on != FailOn::Reject && s.mutated > 0)
            || (fail_on == FailOn::Warn && s.warned > 0)
        {
            3
        } else {
            0
        }
    }
}

/// The report for people: one block per object with something to say, the
/// input errors, and a summary line.
pub fn human(scan: &Scan, fail_on: FailOn) -> String {
    let mut out = String::new();
    for e in &scan.entries {
        let j = &e.judgement;
        if matches!(j.verdict, Verdict::Admitted) && j.warnings.is_empty() {
            continue;
        }
        let verdict = match &j.verdict {
            Verdict::Admitted => "admitted, with warnings",
            Verdict::Mutated { .. } => "admitted with changes",
            Verdict::Rejected { .. } => "REJECTED",
            Verdict::Failed { .. } => "REJECTED (the policy failed)",
        };
        out.push_str(&format!("{}: {}: {verdict}\n", e.location(), e.subject()));
        if let Verdict::Rejected { message } = &j.verdict {
            for line in message.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        if let Verdict::Failed { error } = &j.verdict {
            out.push_str(&format!("  {error}\n"));
        }
        for w in &j.warnings {
            out.push_str(&format!("  warning: {w}\n"));
        }
        if let Verdict::Mutated { mutated, .. } = &j.verdict {
            out.push_str("  the policy would change the object to (YAML; - removed, + added):\n");
            out.push_str(&diff::yaml_diff(&e.object, mutated, "    "));
        }
        out.push('\n');
    }
    for err in &scan.errors {
        out.push_str(&format!("error: {err}\n"));
    }
    let s = scan.summary();
    out.push_str(&format!(
        "{} objects judged: {} rejected, {} admitted with changes, {} admitted unchanged; {} with warnings",
        s.judged,
        s.rejected + s.failed,
        s.mutated,
        s.admitted,
        s.warned
    ));
    out.push_str(&format!(
        "; {} of kinds the policy does not receive; {} input errors; exit {}\n",
        scan.skipped,
        scan.errors.len(),
        scan.exit_code(fail_on)
    ));
    out
}

fn finding(rule: Option<String>, path: Option<String>, message: &str) -> Value {
    json!({"rule": rule, "path": path, "message": message})
}

/// `--format json`.
pub fn json(scan: &Scan, fail_on: FailOn) -> Value {
    let objects: Vec<Value> = scan
        .entries
        .iter()
        .map(|e| {
            let j = &e.judgement;
            let verdict = match j.verdict {
                Verdict::Admitted => "admitted",
                Verdict::Mutated { .. } => "mutated",
                Verdict::Rejected { .. } => "rejected",
                Verdict::Failed { .. } => "failed",
            };
            let violations: Vec<Value> = e
                .violations()
                .into_iter()
                .map(|l| {
                    let (rule, path) = split_violation(l);
                    finding(rule, path, l)
                })
                .collect();
            let warnings: Vec<Value> = j
                .warnings
                .iter()
                .map(|w| {
                    let (rule, path) = split_warning(w);
                    finding(rule, path, w)
                })
                .collect();
            let mut o = json!({
                "file": e.document.file,
                "document": e.document.document,
                "line": e.document.line,
                "item": e.document.item,
                "apiVersion": e.object.get("apiVersion"),
                "kind": e.gvk.kind,
                "namespace": e.namespace,
                "name": e.name(),
                "verdict": verdict,
                "violations": violations,
                "warnings": warnings,
            });
            match &j.verdict {
                Verdict::Mutated { patch, mutated } => {
                    o["patch"] = patch.clone();
                    o["mutatedObject"] = mutated.clone();
                }
                Verdict::Failed { error } => o["error"] = json!(error),
                _ => {}
            }
            o
        })
        .collect();
    let errors: Vec<Value> = scan
        .errors
        .iter()
        .map(|e| json!({"file": e.file, "document": e.document, "line": e.line, "message": e.message}))
        .collect();
    let s = scan.summary();
    json!({
        "objects": objects,
        "errors": errors,
        "summary": {
            "judged": s.judged, "admitted": s.admitted, "mutated": s.mutated,
            "rejected": s.rejected, "failed": s.failed, "warned": s.warned,
            "skipped": scan.skipped, "errors": scan.errors.len(),
        },
        "exitCode": scan.exit_code(fail_on),
    })
}

fn sarif_location(file: &str, line: Option<usize>, document: Option<usize>) -> Value {
    let mut physical = json!({"artifactLocation": {"uri": file}});
    if let Some(l) = line {
        physical["region"] = json!({"startLine": l});
    }
    let mut location = json!({"physicalLocation": physical});
    if let Some(d) = document {
        location["properties"] = json!({"document": d});
    }
    location
}

/// `--format sarif`: SARIF 2.1.0, one run; the README's rule table as the
/// tool's rules (each with its README anchor); a result per violation
/// (`error`), per warning (`warning`) and per change the policy would make
/// (`note`, the JSONPatch in its properties), located by file, line and
/// document; input errors as the invocation's notifications.
pub fn sarif(scan: &Scan) -> Value {
    let rules = catalogue::rules();
    let rule_index = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| rules.iter().position(|r| &r.id == id))
    };
    let mut results = Vec::new();
    for e in &scan.entries {
        let d = &e.document;
        let mut location = sarif_location(&d.file, Some(d.line), Some(d.document));
        location["logicalLocations"] = json!([{
            "name": e.name(),
            "fullyQualifiedName": e.subject(),
            "kind": "object",
        }]);
        if let Some(i) = d.item {
            location["properties"]["item"] = json!(i);
        }
        let mut push = |level: &str, rule: Option<String>, text: &str, extra: Option<Value>| {
            let mut r = json!({
                "level": level,
                "message": {"text": format!("{}: {text}", e.subject())},
                "locations": [location.clone()],
            });
            if let Some(i) = rule_index(&rule) {
                r["ruleId"] = json!(rule);
                r["ruleIndex"] = json!(i);
            }
            if let Some(p) = extra {
                r["properties"] = p;
            }
            results.push(r);
        };
        for line in e.violations() {
            let (rule, _) = split_violation(line);
            push("error", rule, line, None);
        }
        if let Verdict::Failed { error } = &e.judgement.verdict {
            push("error", None, error, None);
        }
        for w in &e.judgement.warnings {
            let (rule, _) = split_warning(w);
            push("warning", rule, w, None);
        }
        if let Verdict::Mutated { patch, .. } = &e.judgement.verdict {
            let ops = patch.as_array().map_or(0, Vec::len);
            push(
                "note",
                None,
                &format!("the policy would change this object ({ops} JSONPatch operations)"),
                Some(json!({"patch": patch})),
            );
        }
    }
    let notifications: Vec<Value> = scan
        .errors
        .iter()
        .map(|err| {
            json!({
                "level": "error",
                "message": {"text": err.to_string()},
                "locations": [sarif_location(&err.file, err.line, err.document)],
            })
        })
        .collect();
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "shortDescription": {"text": format!("{}: {}", r.objects, r.summary)},
                "helpUri": r.help_uri(),
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "secure-metrics-scan",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": catalogue::README_URL,
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": scan.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(verdict: Verdict, warnings: &[&str]) -> Entry {
        let object = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}});
        Entry {
            document: Document {
                file: "f.yaml".into(),
                document: 2,
                line: 7,
                item: None,
                object: object.clone(),
            },
            gvk: Gvk::of(&object).unwrap(),
            namespace: Some("ns".into()),
            object,
            judgement: Judgement {
                verdict,
                warnings: warnings.iter().map(|w| w.to_string()).collect(),
            },
        }
    }

    fn scan(entries: Vec<Entry>, errors: usize) -> Scan {
        Scan {
            entries,
            skipped: 0,
            errors: (0..errors)
                .map(|_| InputError {
                    file: "f.yaml".into(),
                    document: Some(1),
                    line: Some(1),
                    message: "not valid YAML".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_list_of_problems_is_split_into_violations() {
        let e = entry(
            Verdict::Rejected {
                message:
                    "Pod ns/p has 2 problems:\n- a.b: Invalid value: x [C2]\n- c: Forbidden: y [M1]"
                        .into(),
            },
            &[],
        );
        assert_eq!(
            e.violations(),
            ["a.b: Invalid value: x [C2]", "c: Forbidden: y [M1]"]
        );
        let one = entry(
            Verdict::Rejected {
                message: "Pod ns/p: a.b: Invalid value: x [C2]".into(),
            },
            &[],
        );
        assert_eq!(one.violations(), ["a.b: Invalid value: x [C2]"]);
        let odd = entry(
            Verdict::Rejected {
                message: "no rule id here".into(),
            },
            &[],
        );
        assert_eq!(odd.violations(), ["no rule id here"]);
    }

    fn rejected() -> Verdict {
        Verdict::Rejected {
            message: "spec.x: Forbidden: no [M1]".into(),
        }
    }

    fn mutated() -> Verdict {
        Verdict::Mutated {
            patch: json!([{"op": "add", "path": "/spec", "value": {}}]),
            mutated: json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}, "spec": {}}),
        }
    }

    #[test]
    fn exit_codes_follow_fail_on() {
        use FailOn::*;
        let all = [Reject, Mutate, Warn];
        let code = |s: &Scan| all.map(|f| s.exit_code(f));
        assert_eq!(
            code(&scan(vec![entry(Verdict::Admitted, &[])], 0)),
            [0, 0, 0]
        );
        assert_eq!(
            code(&scan(vec![entry(Verdict::Admitted, &["[R2] x: y"])], 0)),
            [0, 0, 3]
        );
        assert_eq!(code(&scan(vec![entry(mutated(), &[])], 0)), [0, 3, 3]);
        assert_eq!(
            code(&scan(
                vec![entry(rejected(), &[]), entry(mutated(), &[])],
                0
            )),
            [1, 1, 1]
        );
        let failed = Verdict::Failed {
            error: "trap".into(),
        };
        assert_eq!(code(&scan(vec![entry(failed, &[])], 0)), [1, 1, 1]);
        assert_eq!(code(&scan(vec![entry(rejected(), &[])], 1)), [2, 2, 2]);
        assert_eq!(code(&scan(vec![], 0)), [0, 0, 0]);
    }

    #[test]
    fn the_human_report_names_location_rule_and_change() {
        let s = scan(
            vec![
                entry(rejected(), &["[R2] spec.y: no Certificate"]),
                entry(mutated(), &[]),
                entry(Verdict::Admitted, &[]),
            ],
            1,
        );
        let text = human(&s, FailOn::Warn);
        assert!(text.contains("f.yaml, document 2 (line 7): Pod ns/p: REJECTED\n  spec.x: Forbidden: no [M1]\n  warning: [R2] spec.y: no Certificate\n"), "{text}");
        assert!(
            text.contains("admitted with changes\n  the policy would change the object to"),
            "{text}"
        );
        assert!(text.contains("  + spec: {}\n"), "{text}");
        assert!(
            text.contains("error: f.yaml: document 1 (line 1): not valid YAML\n"),
            "{text}"
        );
        assert!(text.ends_with("3 objects judged: 1 rejected, 1 admitted with changes, 1 admitted unchanged; 1 with warnings; 0 of kinds the policy does not receive; 1 input errors; exit 2\n"), "{text}");
    }

    #[test]
    fn json_and_sarif_carry_rule_path_and_location() {
        let s = scan(
            vec![
                entry(rejected(), &["[R2] spec.y: no Certificate"]),
                entry(mutated(), &[]),
            ],
            0,
        );
        let j = json(&s, FailOn::Warn);
        assert_eq!(
            j["objects"][0]["violations"][0],
            json!({"rule": "M1", "path": "spec.x", "message": "spec.x: Forbidden: no [M1]"})
        );
        assert_eq!(j["objects"][1]["patch"][0]["op"], "add");
        assert_eq!(j["exitCode"], 1);
        let sarif = sarif(&s);
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        assert_eq!(
            (&results[0]["ruleId"], &results[0]["level"]),
            (&json!("M1"), &json!("error"))
        );
        assert_eq!(results[0]["ruleIndex"], 0);
        assert_eq!(results[1]["ruleId"], "R2");
        assert_eq!(results[2]["level"], "note");
        let loc = &results[0]["locations"][0];
        assert_eq!(loc["physicalLocation"]["artifactLocation"]["uri"], "f.yaml");
        assert_eq!(loc["physicalLocation"]["region"]["startLine"], 7);
        assert_eq!(loc["properties"]["document"], 2);
        let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(
            rules[0]["helpUri"],
            format!("{}#m1-no-insecureskipverify", catalogue::README_URL)
        );
    }
}
