//! The benchmark baseline for `make bench`: a Kubewarden policy that does the
//! least any policy must do. It registers the same three waPC functions as
//! secure-metrics-policy, parses the request with the SDK exactly as every
//! policy does (`ValidationRequest::<serde_json::Value>::new`, which parses
//! the whole object) and accepts it. The time a real policy spends above this
//! baseline is the cost of its rules and of its response.

use kubewarden_policy_sdk::request::ValidationRequest;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;
use kubewarden_policy_sdk::wapc_guest::{self as guest, CallResult};
use kubewarden_policy_sdk::{accept_request, protocol_version_guest, reject_request};

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    guest::register_function("validate", validate);
    guest::register_function("validate_settings", validate_settings);
    guest::register_function("protocol_version", protocol_version_guest);
}

/// Parses the request (object and settings) and accepts it.
pub fn validate(payload: &[u8]) -> CallResult {
    match ValidationRequest::<serde_json::Value>::new(payload) {
        Ok(_) => accept_request(),
        Err(e) => reject_request(Some(e.to_string()), Some(400), None, None),
    }
}

/// Any JSON settings are valid.
pub fn validate_settings(payload: &[u8]) -> CallResult {
    let valid = serde_json::from_slice::<serde_json::Value>(payload).is_ok();
    let response = SettingsValidationResponse {
        valid,
        message: (!valid).then(|| "settings are not valid JSON".to_string()),
    };
    Ok(serde_json::to_vec(&response)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubewarden_policy_sdk::response::ValidationResponse;

    #[test]
    fn accepts_any_request_and_rejects_garbage() {
        let payload =
            br#"{"request": {"uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "operation": "CREATE", "object": {"metadata": {"name": "p"}}}, "settings": {}}"#;
        let r: ValidationResponse = serde_json::from_slice(&validate(payload).unwrap()).unwrap();
        assert!(r.accepted);
        let r: ValidationResponse = serde_json::from_slice(&validate(b"nope").unwrap()).unwrap();
        assert!(!r.accepted);
        let s: SettingsValidationResponse =
            serde_json::from_slice(&validate_settings(b"{}").unwrap()).unwrap();
        assert!(s.valid);
    }
}
