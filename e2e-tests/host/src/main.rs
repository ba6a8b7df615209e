//! policy-host: a minimal stand-in for `kwctl run`, built on the same engine
//! stack (wapc + wasmtime-provider), for the e2e suite and benchmarks.

mod bench;
mod cli;

// The library modules, reachable as `crate::engine`, ... from `bench` and `cli`.
use policy_host::{engine, replay, request, response};

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use cli::{BenchArgs, Command, PatchedRequestArgs, RunArgs, SettingsSource};
use engine::Policy;
use request::{parse_settings, read_file, RequestDocument};
use response::{apply_response, parse_admission_response, AdmissionResponse};

fn load_settings(source: &SettingsSource) -> Result<Value, String> {
    match source {
        SettingsSource::Empty => Ok(Value::Object(Map::new())),
        SettingsSource::Json(json) => parse_settings(json, "--settings-json"),
        SettingsSource::Path(path) => parse_settings(
            &read_file(path, "settings")?,
            &format!("settings file {}", path.display()),
        ),
    }
}

fn run(args: &RunArgs) -> Result<(), String> {
    // Inputs are checked before the (slower) module compilation.
    let doc = RequestDocument::load(&args.request_path)?;
    let settings = load_settings(&args.settings)?;
    let session = load_session(args.replay.as_deref(), args.allow_context_aware)?;
    let policy = Policy::load_with(&args.policy, session.map(|s| s as _))?;
    policy.require_valid_settings(&settings)?;

    let verdict = policy.validate(&doc.validate_payload(&settings)?)?;
    let response = AdmissionResponse::from_validation(doc.uid(), doc.object(), verdict);
    println!("{}", response.to_json_line());
    Ok(())
}

/// The recorded session that answers the policy's lookups: like kwctl, only
/// with `--allow-context-aware` (without it every lookup is refused).
fn load_session(
    replay: Option<&Path>,
    allow_context_aware: bool,
) -> Result<Option<Arc<replay::Session>>, String> {
    match (replay, allow_context_aware) {
        (Some(path), true) => Ok(Some(Arc::new(replay::Session::load(path)?))),
        _ => Ok(None),
    }
}

fn patched_request(args: &PatchedRequestArgs) -> Result<(), String> {
    let mut doc = RequestDocument::load(&args.request_path)?;
    let response_text = read_file(&args.response_path, "response")?;
    let response = parse_admission_response(&response_text)
        .map_err(|e| format!("response file {}: {e}", args.response_path.display()))?;
    apply_response(&mut doc, &response)?;
    let out = serde_json::to_string(&doc.into_value())
        .map_err(|e| format!("cannot serialize the patched request: {e}"))?;
    println!("{out}");
    Ok(())
}

/// The settings of one benchmarked request: those given on the command
/// line, else a `<name>.settings.json` beside the request, else `{}`.
fn bench_settings(source: &SettingsSource, request: &Path) -> Result<Value, String> {
    let beside = request.with_extension("settings.json");
    match source {
        SettingsSource::Empty if beside.is_file() => load_settings(&SettingsSource::Path(beside)),
        other => load_settings(other),
    }
}

fn bench(args: &BenchArgs) -> Result<(), String> {
    let size = |path: &Path| {
        std::fs::metadata(path)
            .map(|m| m.len())
            .map_err(|e| format!("cannot read policy module {}: {e}", path.display()))
    };
    let wasm_bytes = size(&args.policy)?;
    // Both modules get the session; the bench replays it for every call.
    let session = load_session(args.replay.as_deref(), args.allow_context_aware)?;
    let kubernetes = || session.clone().map(|s| s as _);
    let policy = Policy::load_with(&args.policy, kubernetes())?;
    let baseline = args
        .baseline
        .as_deref()
        .map(|b| Policy::load_with(b, kubernetes()))
        .transpose()?;
    let budget = bench::Budget {
        iterations: args.iterations,
        warmup: args.warmup,
        max: args.max_ms.map(|ms| Duration::from_millis(u64::from(ms))),
    };

    let mut rows = Vec::with_capacity(args.requests.len());
    for path in &args.requests {
        let settings = bench_settings(&args.settings, path)?;
        policy.require_valid_settings(&settings)?;
        if let Some(b) = &baseline {
            b.require_valid_settings(&settings)?;
        }
        rows.push(bench::bench_request(
            &policy,
            baseline.as_ref(),
            session.as_deref(),
            &settings,
            path,
            budget,
            wasm_bytes,
        )?);
    }
    if args.json {
        let json = serde_json::to_string_pretty(&rows)
            .map_err(|e| format!("cannot serialize bench results: {e}"))?;
        println!("{json}");
    } else {
        print!("{}", bench::render_table(&args.policy, wasm_bytes, &rows));
        if let Some(b) = &args.baseline {
            println!("baseline: {} ({} bytes)", b.display(), size(b)?);
        }
        println!(
            "(up to {} timed calls per request after up to {} warm-up calls)",
            args.iterations, args.warmup
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("Error: {e}\n\n{}", cli::USAGE);
            return ExitCode::FAILURE;
        }
    };
    let result = match &command {
        Command::Help => {
            print!("{}", cli::USAGE);
            Ok(())
        }
        Command::Run(args) => run(args),
        Command::PatchedRequest(args) => patched_request(args),
        Command::Bench(args) => bench(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}
