//! secure-metrics-scan: the secure-metrics policy's admission verdicts on
//! manifests (`helm template`, `kubectl kustomize` output), before
//! `kubectl apply`, from the same engine as kwctl and the policy server
//! (wapc + wasmtime-provider, through `policy-host`'s library).
//!
//! Each object the policy's rules would send it is wrapped in the
//! AdmissionRequest of a CREATE in its namespace (`--namespace` as
//! `kubectl apply -n`), the cross-object lookups (SPEC section 12) are
//! answered from the scanned objects, and the answers are reported.

mod catalogue;
mod diff;
mod input;
mod judge;
mod lookups;
mod report;
mod review;
mod yaml;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use policy_host::engine::{Compiled, Kubernetes};
use serde_json::{Map, Value};

use report::{Entry, FailOn, Scan};
use review::{Gvk, Routes};

const USAGE: &str = "\
secure-metrics-scan: judge Kubernetes manifests with the secure-metrics policy

USAGE:
    secure-metrics-scan [OPTIONS] PATH...

PATH is a file (multi-document YAML or JSON, `List` kinds included), a
directory (its *.yaml, *.yml and *.json files, recursively) or - (stdin).

OPTIONS:
    --policy FILE          the policy module (default: ./policy.wasm, else the
                           policy.wasm of the repository the binary was built in)
    --settings FILE        the policy's settings, YAML or JSON (the `settings` of
                           the ClusterAdmissionPolicy, or the policy itself)
    -n, --namespace NS     the namespace of objects that name none (default: default)
    --no-cross-object      do not answer the policy's lookups from the scanned objects
                           and leave crossObjectChecks as the settings say
    --format FORMAT        human (default), json or sarif
    --fail-on LEVEL        reject, mutate or warn (default): what makes the exit code
                           non-zero besides bad input
    -j, --jobs N           threads judging objects (default: the cores, at most 4)
    -h, --help             this help

EXIT CODES:
    0  every object admitted unchanged (or only what --fail-on ignores)
    1  an object rejected
    2  bad input or settings (what could be read is still judged and reported)
    3  no rejection, but an object the policy would change (unless --fail-on=reject)
       or a warning (with --fail-on=warn)
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    Sarif,
}

#[derive(Debug)]
struct Args {
    paths: Vec<String>,
    policy: Option<PathBuf>,
    settings: Option<PathBuf>,
    namespace: Option<String>,
    cross_object: bool,
    format: Format,
    fail_on: FailOn,
    jobs: Option<usize>,
}

fn parse_args(raw: &[String]) -> Result<Option<Args>, String> {
    let mut args = Args {
        paths: Vec::new(),
        policy: None,
        settings: None,
        namespace: None,
        cross_object: true,
        format: Format::Human,
        fail_on: FailOn::Warn,
        jobs: None,
    };
    let mut it = raw.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("option '{name}' needs a value"))
        };
        match name {
            "-h" | "--help" => return Ok(None),
            "--policy" => args.policy = Some(PathBuf::from(value()?)),
            "--settings" => args.settings = Some(PathBuf::from(value()?)),
            "-n" | "--namespace" => args.namespace = Some(value()?),
            "--no-cross-object" => args.cross_object = false,
            "--format" => {
                args.format = match value()?.as_str() {
                    "human" => Format::Human,
                    "json" => Format::Json,
                    "sarif" => Format::Sarif,
                    other => {
                        return Err(format!("unknown --format '{other}' (human, json, sarif)"))
                    }
                }
            }
            "--fail-on" => {
                args.fail_on = match value()?.as_str() {
                    "reject" => FailOn::Reject,
                    "mutate" => FailOn::Mutate,
                    "warn" => FailOn::Warn,
                    other => {
                        return Err(format!(
                            "unknown --fail-on '{other}' (reject, mutate, warn)"
                        ))
                    }
                }
            }
            "-j" | "--jobs" => {
                let v = value()?;
                let n: usize = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--jobs expects a positive number, got '{v}'"))?;
                args.jobs = Some(n);
            }
            "-" => args.paths.push(arg.clone()),
            _ if arg.starts_with('-') => return Err(format!("unknown option '{arg}'")),
            _ => args.paths.push(arg.clone()),
        }
    }
    if args.paths.is_empty() {
        return Err("no manifest given (a file, a directory or - for stdin)".into());
    }
    Ok(Some(args))
}

/// `--policy`, else `policy.wasm` in the working directory, else in the
/// repository the binary sits in (`target/release/` of a clone).
fn policy_path(given: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let cwd = PathBuf::from("policy.wasm");
    if cwd.is_file() {
        return Ok(cwd);
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            let candidate = dir.join("policy.wasm");
            if dir.join("Cargo.toml").is_file() && candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err("no policy.wasm in the working directory nor in the repository of this binary: build it (`make policy.wasm`) or give --policy".into())
}

/// The settings file: YAML or JSON, a mapping (or nothing, `{}`), or a
/// ClusterAdmissionPolicy / AdmissionPolicy whose `spec.settings` is used.
fn load_settings(path: Option<&Path>) -> Result<Map<String, Value>, String> {
    let Some(path) = path else {
        return Ok(Map::new());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the settings file {}: {e}", path.display()))?;
    let value: Value = yaml::parse(&text).map_err(|(line, e)| {
        let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
        format!(
            "settings file {}{at}: not valid YAML or JSON: {e}",
            path.display()
        )
    })?;
    let value = match value.get("kind").and_then(Value::as_str) {
        Some("ClusterAdmissionPolicy" | "AdmissionPolicy") => value
            .pointer("/spec/settings")
            .cloned()
            .unwrap_or(Value::Null),
        _ => value,
    };
    match value {
        Value::Null => Ok(Map::new()),
        Value::Object(m) => Ok(m),
        _ => Err(format!(
            "settings file {}: the settings must be a mapping",
            path.display()
        )),
    }
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&raw) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("secure-metrics-scan: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match scan(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("secure-metrics-scan: {e}");
            ExitCode::from(2)
        }
    }
}

/// The whole run; `Err` for what stops it before any object is judged
/// (settings, policy), with exit code 2.
fn scan(args: &Args) -> Result<u8, String> {
    let mut settings = load_settings(args.settings.as_deref())?;
    // The settings as written are the policy server's to refuse; the scan's
    // own crossObjectChecks is set only after the policy has read them.
    let given = Value::Object(settings.clone());
    if args.cross_object {
        settings.insert("crossObjectChecks".into(), Value::Bool(true));
    }
    let settings = Value::Object(settings);
    let policy_file = policy_path(args.policy.as_deref())?;
    let bytes = std::fs::read(&policy_file)
        .map_err(|e| format!("cannot read the policy {}: {e}", policy_file.display()))?;

    let input = input::read_paths(&args.paths);
    let routes = Routes::from_metadata();
    let default_ns = args.namespace.as_deref().unwrap_or("default");
    let mut scan = Scan {
        errors: input.errors,
        ..Scan::default()
    };
    let mut index = lookups::Index::default();
    let mut pending = Vec::new();
    for doc in input.documents {
        let Some(gvk) = Gvk::of(&doc.object) else {
            continue; // refused by the input already
        };
        let namespace =
            match review::namespace_of(&doc.object, &gvk, default_ns, args.namespace.is_some()) {
                Ok(ns) => ns,
                Err(message) => {
                    scan.errors.push(input::InputError {
                        file: doc.file.clone(),
                        document: Some(doc.document),
                        line: Some(doc.line),
                        message,
                    });
                    continue;
                }
            };
        let object = review::with_namespace(doc.object.clone(), namespace.as_deref());
        index.add(&object, namespace.as_deref());
        if routes.handles(&gvk) {
            pending.push((doc, gvk, namespace, object));
        } else {
            scan.skipped += 1;
        }
    }

    let kubernetes: Arc<dyn Kubernetes> = if args.cross_object {
        Arc::new(index)
    } else {
        Arc::new(lookups::Off)
    };
    let compiled = Compiled::new(&bytes, Some(kubernetes))
        .map_err(|e| format!("cannot load the policy {}: {e}", policy_file.display()))?;
    let instance = compiled.instantiate()?;
    instance.require_valid_settings(&given)?;
    instance.require_valid_settings(&settings)?;

    let mut payloads = Vec::with_capacity(pending.len());
    for (i, (doc, gvk, namespace, object)) in pending.iter().enumerate() {
        let uid = format!("secure-metrics-scan-{i}-{}-{}", doc.file, doc.document);
        let request = review::admission_request(&uid, gvk, namespace.as_deref(), object);
        let payload =
            serde_json::to_vec(&serde_json::json!({"request": request, "settings": settings}))
                .map_err(|e| format!("cannot serialize a request: {e}"))?;
        payloads.push((payload, object.clone()));
    }
    let threads = judge::threads_for(payloads.len(), args.jobs);
    let judgements = judge::judge_all(&compiled, &payloads, threads)?;
    drop(payloads);
    scan.entries = pending
        .into_iter()
        .zip(judgements)
        .map(|((document, gvk, namespace, object), judgement)| Entry {
            document,
            gvk,
            namespace,
            object,
            judgement,
        })
        .collect();

    let out = match args.format {
        Format::Human => report::human(&scan, args.fail_on),
        Format::Json => pretty(&report::json(&scan, args.fail_on)),
        Format::Sarif => pretty(&report::sarif(&scan)),
    };
    print!("{out}");
    if args.format != Format::Human {
        for e in &scan.errors {
            eprintln!("secure-metrics-scan: error: {e}");
        }
    }
    Ok(scan.exit_code(args.fail_on))
}

fn pretty(v: &Value) -> String {
    let mut s =
        serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Result<Option<Args>, String> {
        parse_args(&s.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options_and_their_errors() {
        let a = args(&[
            "--format=sarif",
            "--fail-on",
            "reject",
            "-n",
            "team",
            "-j",
            "2",
            "--no-cross-object",
            "a.yaml",
            "-",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(a.format, Format::Sarif);
        assert_eq!(a.fail_on, FailOn::Reject);
        assert_eq!(a.namespace.as_deref(), Some("team"));
        assert_eq!(a.jobs, Some(2));
        assert!(!a.cross_object);
        assert_eq!(a.paths, ["a.yaml", "-"]);
        assert!(args(&["-h"]).unwrap().is_none());
        assert!(args(&[]).unwrap_err().contains("no manifest"));
        assert!(args(&["--format", "xml", "a"])
            .unwrap_err()
            .contains("unknown --format"));
        assert!(args(&["--fail-on=never", "a"])
            .unwrap_err()
            .contains("unknown --fail-on"));
        assert!(args(&["--jobs", "0", "a"])
            .unwrap_err()
            .contains("positive"));
        assert!(args(&["--bogus", "a"])
            .unwrap_err()
            .contains("unknown option"));
        assert!(args(&["a", "--settings"])
            .unwrap_err()
            .contains("needs a value"));
    }

    #[test]
    fn settings_come_from_yaml_json_or_the_policy_resource() {
        let dir = std::env::temp_dir().join(format!("sms-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let yaml = write("s.yaml", "certManagement: external\nrequireHttps: true\n");
        assert_eq!(
            load_settings(Some(&yaml)).unwrap()["certManagement"],
            "external"
        );
        let json = write("s.json", r#"{"requireHttps": false}"#);
        assert_eq!(load_settings(Some(&json)).unwrap()["requireHttps"], false);
        let cap = write("cap.yaml", "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nspec:\n  settings:\n    denyFileReferences: true\n");
        assert_eq!(
            load_settings(Some(&cap)).unwrap()["denyFileReferences"],
            true
        );
        let list = write("l.yaml", "- a\n");
        assert!(load_settings(Some(&list))
            .unwrap_err()
            .contains("must be a mapping"));
        assert!(load_settings(Some(&dir.join("none.yaml")))
            .unwrap_err()
            .contains("cannot read"));
        assert!(load_settings(None).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
