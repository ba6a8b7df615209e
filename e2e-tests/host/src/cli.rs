//! Hand-written command-line parsing, modelled on the subset of `kwctl run`
//! that the e2e suite uses.

use std::path::PathBuf;

pub const USAGE: &str = "\
policy-host: minimal kwctl stand-in that runs a Kubewarden waPC policy under wasmtime

USAGE:
    policy-host run -r|--request-path FILE [--settings-json JSON | -s|--settings-path FILE]
                    [--allow-context-aware --replay-host-capabilities-interactions SESSION.yml] POLICY.wasm
    policy-host patched-request -r|--request-path FILE --response-path RESPONSE
    policy-host bench [--settings-json JSON | -s|--settings-path FILE] [--iterations N] [--warmup N]
                      [--max-ms MS] [--baseline BASELINE.wasm] [--json]
                      [--allow-context-aware --replay-host-capabilities-interactions SESSION.yml]
                      POLICY.wasm REQUEST_FILE...
    policy-host help

run              evaluate one request; print the AdmissionResponse as one JSON line (like kwctl run);
                 Kubernetes lookups are answered from SESSION.yml (kwctl's recorded-session format)
                 with --allow-context-aware, and refused otherwise
patched-request  apply the JSONPatch of a `run` response to the request's object and print the request
bench            time `validate` calls (defaults: --iterations 2000, --warmup 200); with
                 --baseline, both modules in turn, call by call, and the ratio of their medians;
                 --max-ms caps the timed calls of one request (at least 20); a request file
                 with a <name>.settings.json beside it gets those settings unless -s/--settings-*;
                 with a session, every call's lookups are answered from the whole session (kwctl
                 bench replays it once), and a request whose first call does not replay it exactly
                 is an error

Options accept both `--name VALUE` and `--name=VALUE`.
Set POLICY_HOST_LOG=1 to print the policy's log events on stderr.
";

pub const DEFAULT_ITERATIONS: u32 = 2000;
pub const DEFAULT_WARMUP: u32 = 200;

/// Where the policy settings come from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SettingsSource {
    /// No settings given: `{}`.
    #[default]
    Empty,
    Json(String),
    Path(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunArgs {
    pub request_path: PathBuf,
    pub settings: SettingsSource,
    pub policy: PathBuf,
    /// `--allow-context-aware`: the policy may use the Kubernetes capability.
    pub allow_context_aware: bool,
    /// `--replay-host-capabilities-interactions`: a recorded session.
    pub replay: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchedRequestArgs {
    pub request_path: PathBuf,
    pub response_path: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchArgs {
    pub settings: SettingsSource,
    pub iterations: u32,
    pub warmup: u32,
    /// Cap on the time of one request's timed calls, in milliseconds.
    pub max_ms: Option<u32>,
    /// The module to time against, call by call.
    pub baseline: Option<PathBuf>,
    pub json: bool,
    /// `--allow-context-aware`, as for `run`.
    pub allow_context_aware: bool,
    /// `--replay-host-capabilities-interactions`, as for `run`.
    pub replay: Option<PathBuf>,
    pub policy: PathBuf,
    pub requests: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Run(RunArgs),
    PatchedRequest(PatchedRequestArgs),
    Bench(BenchArgs),
}

/// Options and positionals of one subcommand, before interpretation.
#[derive(Debug, Default)]
struct Parsed {
    options: Vec<(&'static str, String)>,
    flags: Vec<&'static str>,
    positionals: Vec<String>,
}

impl Parsed {
    fn take(&mut self, name: &str) -> Option<String> {
        let idx = self.options.iter().position(|(n, _)| *n == name)?;
        Some(self.options.remove(idx).1)
    }

    fn flag(&self, name: &str) -> bool {
        self.flags.contains(&name)
    }
}

/// `(long name, short name, takes a value)`
type Spec = (&'static str, Option<char>, bool);

const REQUEST_PATH: Spec = ("request-path", Some('r'), true);
const SETTINGS_PATH: Spec = ("settings-path", Some('s'), true);
const SETTINGS_JSON: Spec = ("settings-json", None, true);
const RESPONSE_PATH: Spec = ("response-path", None, true);
const ITERATIONS: Spec = ("iterations", None, true);
const WARMUP: Spec = ("warmup", None, true);
const JSON: Spec = ("json", None, false);
const MAX_MS: Spec = ("max-ms", None, true);
const BASELINE: Spec = ("baseline", None, true);
const ALLOW_CONTEXT_AWARE: Spec = ("allow-context-aware", None, false);
const REPLAY: Spec = ("replay-host-capabilities-interactions", None, true);

fn split_options(cmd: &str, args: &[String], specs: &[Spec]) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            parsed.positionals.extend(iter.by_ref().cloned());
            break;
        }
        let (spec, inline) = if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let spec = specs.iter().find(|s| s.0 == name);
            (spec, inline)
        } else if arg.len() == 2 && arg.starts_with('-') {
            let c = arg.chars().nth(1);
            (specs.iter().find(|s| s.1.is_some() && s.1 == c), None)
        } else {
            parsed.positionals.push(arg.clone());
            continue;
        };
        let Some(&(name, _, takes_value)) = spec else {
            return Err(format!("unknown option '{arg}' for '{cmd}'"));
        };
        if parsed.flags.contains(&name) || parsed.options.iter().any(|(n, _)| *n == name) {
            return Err(format!("option '--{name}' given more than once"));
        }
        if !takes_value {
            if inline.is_some() {
                return Err(format!("option '--{name}' takes no value"));
            }
            parsed.flags.push(name);
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => iter
                .next()
                .cloned()
                .ok_or_else(|| format!("option '--{name}' needs a value"))?,
        };
        parsed.options.push((name, value));
    }
    Ok(parsed)
}

fn settings_source(parsed: &mut Parsed) -> Result<SettingsSource, String> {
    match (parsed.take("settings-json"), parsed.take("settings-path")) {
        (Some(_), Some(_)) => {
            Err("'--settings-json' and '--settings-path' cannot be used together".to_string())
        }
        (Some(json), None) => Ok(SettingsSource::Json(json)),
        (None, Some(path)) => Ok(SettingsSource::Path(PathBuf::from(path))),
        (None, None) => Ok(SettingsSource::Empty),
    }
}

fn required(parsed: &mut Parsed, cmd: &str, name: &str) -> Result<String, String> {
    parsed
        .take(name)
        .ok_or_else(|| format!("'{cmd}' needs '--{name}'"))
}

fn count(parsed: &mut Parsed, name: &str, default: u32, min: u32) -> Result<u32, String> {
    let Some(raw) = parsed.take(name) else {
        return Ok(default);
    };
    let n: u32 = raw
        .parse()
        .map_err(|_| format!("'--{name}' expects a whole number, got '{raw}'"))?;
    if n < min {
        return Err(format!("'--{name}' must be at least {min}, got {n}"));
    }
    Ok(n)
}

/// Accepts `file://` URIs like kwctl does; anything else with a scheme is refused.
fn policy_path(raw: &str) -> Result<PathBuf, String> {
    if let Some(path) = raw.strip_prefix("file://") {
        return Ok(PathBuf::from(path));
    }
    if let Some((scheme, _)) = raw.split_once("://") {
        return Err(format!(
            "policy-host only runs local wasm files, cannot fetch '{scheme}://' policies"
        ));
    }
    Ok(PathBuf::from(raw))
}

/// Parses the arguments that follow the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err("no subcommand given".to_string());
    };
    match cmd.as_str() {
        "help" | "--help" | "-h" => Ok(Command::Help),
        "run" => {
            let specs = [
                REQUEST_PATH,
                SETTINGS_PATH,
                SETTINGS_JSON,
                ALLOW_CONTEXT_AWARE,
                REPLAY,
            ];
            let mut p = split_options(cmd, rest, &specs)?;
            let request_path = PathBuf::from(required(&mut p, cmd, "request-path")?);
            let settings = settings_source(&mut p)?;
            let allow_context_aware = p.flag("allow-context-aware");
            let replay = p
                .take("replay-host-capabilities-interactions")
                .map(PathBuf::from);
            let policy = match p.positionals.as_slice() {
                [one] => policy_path(one)?,
                [] => return Err("'run' needs the policy wasm file".to_string()),
                more => return Err(format!("'run' takes one policy, got {}", more.len())),
            };
            Ok(Command::Run(RunArgs {
                request_path,
                settings,
                policy,
                allow_context_aware,
                replay,
            }))
        }
        "patched-request" => {
            let mut p = split_options(cmd, rest, &[REQUEST_PATH, RESPONSE_PATH])?;
            let request_path = PathBuf::from(required(&mut p, cmd, "request-path")?);
            let response_path = PathBuf::from(required(&mut p, cmd, "response-path")?);
            if let Some(extra) = p.positionals.first() {
                return Err(format!("unexpected argument '{extra}' for '{cmd}'"));
            }
            Ok(Command::PatchedRequest(PatchedRequestArgs {
                request_path,
                response_path,
            }))
        }
        "bench" => {
            let specs = [
                SETTINGS_PATH,
                SETTINGS_JSON,
                ITERATIONS,
                WARMUP,
                JSON,
                MAX_MS,
                BASELINE,
                ALLOW_CONTEXT_AWARE,
                REPLAY,
            ];
            let mut p = split_options(cmd, rest, &specs)?;
            let settings = settings_source(&mut p)?;
            let iterations = count(&mut p, "iterations", DEFAULT_ITERATIONS, 1)?;
            let warmup = count(&mut p, "warmup", DEFAULT_WARMUP, 0)?;
            // 0 (the default, not accepted on the command line): no cap.
            let max_ms = Some(count(&mut p, "max-ms", 0, 1)?).filter(|&ms| ms > 0);
            let baseline = p.take("baseline").map(|b| policy_path(&b)).transpose()?;
            let json = p.flag("json");
            let allow_context_aware = p.flag("allow-context-aware");
            let replay = p
                .take("replay-host-capabilities-interactions")
                .map(PathBuf::from);
            // kwctl would refuse every lookup and time that: say so instead.
            if replay.is_some() && !allow_context_aware {
                return Err(
                    "'bench' replays a session only with '--allow-context-aware'".to_string(),
                );
            }
            let Some((policy, requests)) = p.positionals.split_first() else {
                return Err("'bench' needs the policy wasm file and request files".to_string());
            };
            if requests.is_empty() {
                return Err("'bench' needs at least one request file".to_string());
            }
            Ok(Command::Bench(BenchArgs {
                settings,
                iterations,
                warmup,
                max_ms,
                baseline,
                json,
                allow_context_aware,
                replay,
                policy: policy_path(policy)?,
                requests: requests.iter().map(PathBuf::from).collect(),
            }))
        }
        other => Err(format!("unknown subcommand '{other}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    fn err(s: &[&str]) -> String {
        parse(&args(s)).expect_err("expected a parse error")
    }

    #[test]
    fn run_like_kwctl() {
        let cmd = parse(&args(&[
            "run",
            "--request-path",
            "req.json",
            "--settings-json",
            r#"{"a":1}"#,
            "policy.wasm",
        ]))
        .unwrap();
        assert_eq!(
            cmd,
            Command::Run(RunArgs {
                request_path: "req.json".into(),
                settings: SettingsSource::Json(r#"{"a":1}"#.into()),
                policy: "policy.wasm".into(),
                allow_context_aware: false,
                replay: None,
            })
        );
    }

    #[test]
    fn run_short_and_inline_forms() {
        let cmd = parse(&args(&[
            "run",
            "file:///tmp/p.wasm",
            "-r",
            "req.json",
            "--settings-path=s.json",
        ]))
        .unwrap();
        assert_eq!(
            cmd,
            Command::Run(RunArgs {
                request_path: "req.json".into(),
                settings: SettingsSource::Path("s.json".into()),
                policy: "/tmp/p.wasm".into(),
                allow_context_aware: false,
                replay: None,
            })
        );
        let Command::Run(run) = parse(&args(&["run", "-r", "r.json", "p.wasm"])).unwrap() else {
            panic!("not a run command");
        };
        assert_eq!(run.settings, SettingsSource::Empty);
    }

    #[test]
    fn run_errors() {
        assert!(err(&["run", "p.wasm"]).contains("--request-path"));
        assert!(err(&["run", "-r", "r.json"]).contains("policy wasm"));
        assert!(err(&["run", "-r", "r.json", "a.wasm", "b.wasm"]).contains("one policy"));
        assert!(err(&["run", "p.wasm", "--request-path"]).contains("needs a value"));
        assert!(err(&["run", "-r", "r", "--bogus", "p.wasm"]).contains("unknown option '--bogus'"));
        assert!(err(&["run", "-r", "a", "-r", "b", "p.wasm"]).contains("more than once"));
        assert!(err(&[
            "run",
            "-r",
            "r",
            "--settings-json",
            "{}",
            "-s",
            "s.json",
            "p.wasm"
        ])
        .contains("cannot be used together"));
        assert!(err(&["run", "-r", "r", "registry://ghcr.io/x/y:v1"]).contains("local wasm"));
    }

    #[test]
    fn top_level_errors_and_help() {
        assert!(err(&[]).contains("no subcommand"));
        assert!(err(&["frobnicate"]).contains("unknown subcommand 'frobnicate'"));
        assert_eq!(parse(&args(&["--help"])).unwrap(), Command::Help);
        assert_eq!(parse(&args(&["help"])).unwrap(), Command::Help);
    }

    #[test]
    fn patched_request() {
        let cmd = parse(&args(&[
            "patched-request",
            "--response-path",
            "resp.json",
            "-r",
            "req.json",
        ]))
        .unwrap();
        assert_eq!(
            cmd,
            Command::PatchedRequest(PatchedRequestArgs {
                request_path: "req.json".into(),
                response_path: "resp.json".into(),
            })
        );
        assert!(err(&["patched-request", "-r", "req.json"]).contains("--response-path"));
        assert!(err(&[
            "patched-request",
            "-r",
            "a",
            "--response-path",
            "b",
            "extra"
        ])
        .contains("unexpected argument 'extra'"));
        assert!(err(&[
            "patched-request",
            "-r",
            "a",
            "--response-path",
            "b",
            "-s",
            "x"
        ])
        .contains("unknown option '-s'"));
    }

    #[test]
    fn bench_defaults_and_options() {
        let Command::Bench(b) = parse(&args(&["bench", "p.wasm", "a.json", "b.json"])).unwrap()
        else {
            panic!("not a bench command");
        };
        assert_eq!(b.iterations, DEFAULT_ITERATIONS);
        assert_eq!(b.warmup, DEFAULT_WARMUP);
        assert!(!b.json);
        assert_eq!(b.policy, PathBuf::from("p.wasm"));
        assert_eq!(b.requests, vec![PathBuf::from("a.json"), "b.json".into()]);

        let Command::Bench(b) = parse(&args(&[
            "bench",
            "--iterations=10",
            "--warmup",
            "0",
            "--json",
            "--settings-json",
            "{}",
            "p.wasm",
            "a.json",
        ]))
        .unwrap() else {
            panic!("not a bench command");
        };
        assert_eq!((b.iterations, b.warmup, b.json), (10, 0, true));
        assert_eq!(b.settings, SettingsSource::Json("{}".into()));
        assert_eq!((b.max_ms, b.baseline), (None, None));

        let Command::Bench(b) = parse(&args(&[
            "bench",
            "--baseline",
            "file:///b.wasm",
            "--max-ms=500",
            "p.wasm",
            "a.json",
        ]))
        .unwrap() else {
            panic!("not a bench command");
        };
        assert_eq!(b.max_ms, Some(500));
        assert_eq!(b.baseline, Some(PathBuf::from("/b.wasm")));
        assert_eq!((b.allow_context_aware, b.replay), (false, None));

        let Command::Bench(b) = parse(&args(&[
            "bench",
            "--allow-context-aware",
            "--replay-host-capabilities-interactions=s.yml",
            "p.wasm",
            "a.json",
        ]))
        .unwrap() else {
            panic!("not a bench command");
        };
        assert!(b.allow_context_aware);
        assert_eq!(b.replay, Some(PathBuf::from("s.yml")));
    }

    #[test]
    fn bench_errors() {
        assert!(err(&["bench", "p.wasm"]).contains("at least one request"));
        assert!(err(&["bench"]).contains("policy wasm"));
        assert!(err(&["bench", "--iterations", "0", "p", "a"]).contains("at least 1"));
        assert!(err(&["bench", "--iterations", "many", "p", "a"]).contains("whole number"));
        assert!(err(&["bench", "--warmup", "-3", "p", "a"]).contains("whole number"));
        assert!(err(&["bench", "--json=yes", "p", "a"]).contains("takes no value"));
        assert!(err(&["bench", "--max-ms", "0", "p", "a"]).contains("at least 1"));
        assert!(err(&["bench", "--baseline", "oci://x/y", "p", "a"]).contains("local wasm"));
        assert!(err(&["bench", "p", "a", "--baseline"]).contains("needs a value"));
        assert!(err(&[
            "bench",
            "--replay-host-capabilities-interactions",
            "s.yml",
            "p",
            "a"
        ])
        .contains("only with '--allow-context-aware'"));
    }
}
