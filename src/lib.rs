//! secure-metrics-policy: a Kubewarden policy that keeps Prometheus metrics
//! endpoints encrypted, verified and consistently configured.
//!
//! This file is wiring only: it registers the waPC functions and hands the
//! request to [`review`], which routes it to the module of its kind. The rules
//! live in [`monitors`], [`certificates`] and [`workloads`]; [`response`] turns
//! what they found into the admission response.

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
