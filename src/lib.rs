//! secure-metrics-policy: a Kubewarden policy that keeps Prometheus metrics
//! endpoints encrypted, verified and consistently configured.
//!
//! This file is wiring only: it registers the waPC functions and hands the
//! request to [`review`], which routes it to the module of its kind. The rules
//! live in [`monitors`], [`certificates`], [`workloads`] and [`kueue`];
//! [`response`] turns what they found into the admission response.
//!
//! # The module graph
//!
//! Arrows point down and never back up: no module names one of its
//! ancestors, the modules form no cycle, and no family of objects reads
//! another (`tests/layout.rs` checks the three, and that no shipped function
//! is over 80 lines).
//!
//! ```text
//! lib ─> review ─────────────> response ─> warnings ─> report
//!          │ (routing; builds the Ctx and the request's Lookups)
//!          ├─> monitors      classes ─> rules ─> endpoint ─> tls ─> kinds ─> relabel
//!          │                 rules ─> advice (serverName, looks up);  sd ─> endpoint, tls, rules
//!          ├─> certificates
//!          ├─> workloads     (the pipeline: analyse ─> plan ─> apply ─> verify, then R2)
//!          │                 pairs, tls_env, addresses, certs ─> model ─> cmdline, server,
//!          │                 config_file, podspec;  inject ─> certs, mounts, podspec;
//!          │                 addresses, certs ─> listen ─> cmdline;  cmdline ─> shell ─> expand
//!          ├─> kueue         (X4; its YAML through yaml)
//!          └─> crosscheck    (R1, R2, R3 as pure functions; the families call it)
//! leaves:  context (Ctx), settings ─> dialect, exceptions, names;  cluster (Lookups),
//!          view, report (Report, Violation, Warning, Verdict), rule, names, yaml, bytes,
//!          family (KEP-4377's controllers, binaryData text: kueue and config_file read it)
//! ```
//!
//! # One signature shape per rule family
//!
//! - **A family's review**, as the router calls it:
//!   `review([kind,] object, &Ctx, [lookups,] &mut Report)`. `Ctx` is what
//!   every rule may consult besides the object (settings, request namespace,
//!   whether it may patch, excepted rules). `lookups:
//!   Option<&cluster::Lookups>` is passed only to the families whose rules
//!   look up related objects (monitors, certificates, workloads, kueue; not
//!   the scrape classes of a Prometheus object), and inside a family only to
//!   the rules that look up. A workload's review takes the request's own
//!   `&mut Value`, which it may repair, and returns whether it did.
//! - **A rule**: `(view, [what it consults,] &mut Report)`: the view it
//!   judges (`EndpointView` or `TlsView`, `CertificateView`, `Workload`),
//!   then what it reads beyond the object (the family's `Scope`, the
//!   `Settings`, the `Ctx`, the lookups), then the report it appends to.
//!   A workload rule group is `check(&Workload, &Ctx, &mut Report)`; the
//!   certificate group is the repair's analysis step,
//!   `certs::analyze(&Workload, &Ctx, lookups, &mut Report) -> Analysis`.
//! - **A finding** is typed: a `report::Violation` or a `report::Warning`,
//!   each with its `Rule` and field path; `response` and `warnings` are the
//!   only places that write them as text.
#![deny(unsafe_code)]

use guest::prelude::*;
use kubewarden_policy_sdk::request::ValidationRequest;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;
use kubewarden_policy_sdk::{protocol_version_guest, wapc_guest as guest};

mod bytes;
mod certificates;
mod cluster;
mod context;
mod crosscheck;
mod dialect;
mod exceptions;
mod family;
mod flag;
mod kueue;
mod monitors;
mod names;
mod report;
mod response;
mod review;
pub mod rule;

/// The deliberate surface for `tests/` and `fuzz/` besides the waPC entry
/// points: the settings keys (packaging tests) and the routed kinds.
pub use review::Target;
pub use settings::{setting_type, SettingType, KEYS};
mod settings;
mod view;
mod warnings;
mod workloads;

#[cfg(test)]
pub(crate) mod testing;

use settings::Settings;

/// The waPC host calls this export by name: the one attribute the compiler
/// counts as unsafe code, and the crate holds no other (`deny(unsafe_code)`).
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version_guest);
}

/// `validate`: evaluates one admission request.
///
/// A payload that cannot be read is answered with a rejection that says why,
/// not with a failed call, so the API server shows the reason.
pub fn validate(payload: &[u8]) -> CallResult {
    let mut request = match ValidationRequest::<Settings>::new(payload) {
        Ok(r) => r,
        Err(e) => return response::unreadable(&unreadable_reason(&e)),
    };
    let answer = review::review(&mut request.request, &request.settings);
    response::respond(answer, payload.len())
}

/// Why a payload could not be read: the parser's own error, which names the
/// line and column. The SDK's error also quotes the whole payload, so a
/// 4 MB request came back as a 4 MB message repeating everything it carried
/// (env values included).
fn unreadable_reason(e: &kubewarden_policy_sdk::error::Error) -> String {
    match e {
        kubewarden_policy_sdk::error::Error::Deserialization { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// `validate_settings`: checks the settings when the policy is loaded. Every
/// problem is reported, each naming its key.
pub fn validate_settings(payload: &[u8]) -> CallResult {
    let answer = match serde_json::from_slice::<serde_json::Value>(payload) {
        Err(e) => SettingsValidationResponse {
            valid: false,
            message: Some(format!("settings are not valid JSON: {e}")),
        },
        Ok(value) => match crate::review::validate_settings(&value) {
            Ok(_) => SettingsValidationResponse {
                valid: true,
                message: None,
            },
            Err(message) => SettingsValidationResponse {
                valid: false,
                message: Some(message),
            },
        },
    };
    Ok(serde_json::to_vec(&answer)?)
}
