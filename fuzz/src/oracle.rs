//! What every answer of the policy must satisfy, whatever it was sent. Shared
//! by the proptest suite (`tests/robustness.rs`, which includes this file by
//! path) and the cargo-fuzz target: a property that does not hold is an `Err`
//! with the reason, which the callers turn into a test failure or a crash.
//!
//! - `validate` and `validate_settings` return `Ok` (a panic is caught by the
//!   callers' harness), and the bytes decode as the SDK's response types.
//! - A rejection has a non-empty message and no mutated object; an invalid
//!   settings answer has a non-empty message.
//! - An acceptance with a mutated object keeps the received object: every JSON
//!   pointer of the original exists with the same value, except that a `null`
//!   may be filled in and `args` lists may gain entries ([`superset`]).
//! - Applying the policy to its own output changes nothing ([`reapply`]).
//! - A mutation is announced by a warning that starts with the rule that
//!   asked for it (`[W5]` or `[X3]`) and names the Secret that must exist
//!   before the pod can start (SPEC 9, "Warnings of repairs").

use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;
use serde_json::Value;

/// Calls `validate` and checks the answer against the received request.
pub fn validate(payload: &[u8]) -> Result<ValidationResponse, String> {
    let raw = secure_metrics_policy::validate(payload)
        .map_err(|e| format!("validate returned an error instead of a response: {e}"))?;
    let response: ValidationResponse = serde_json::from_slice(&raw).map_err(|e| {
        format!(
            "validate answered something that is not a ValidationResponse ({e}): {}",
            String::from_utf8_lossy(&raw)
        )
    })?;
    if !response.accepted {
        match &response.message {
            Some(m) if !m.trim().is_empty() => {}
            _ => return Err("a rejection without a message".to_string()),
        }
        if response.mutated_object.is_some() {
            return Err("a rejection with a mutated object".to_string());
        }
    }
    if let Some(w) = response
        .warnings
        .iter()
        .flatten()
        .find(|w| w.trim().is_empty())
    {
        return Err(format!("an empty warning {w:?}"));
    }
    if let (true, Some(mutated)) = (response.accepted, &response.mutated_object) {
        let announced = response.warnings.iter().flatten().any(|w| {
            (w.starts_with("[W5] ") || w.starts_with("[X3] ")) && w.contains("must exist")
        });
        if !announced {
            return Err(format!(
                "a mutation without a [W5]/[X3] warning naming the Secret: {:?}",
                response.warnings
            ));
        }
        if let Some(original) = received_object(payload) {
            superset(&original, mutated)
                .map_err(|e| format!("the mutated object drops or changes a field: {e}"))?;
        }
    }
    Ok(response)
}

/// Calls `validate_settings` and checks the answer.
pub fn validate_settings(payload: &[u8]) -> Result<SettingsValidationResponse, String> {
    let raw = secure_metrics_policy::validate_settings(payload)
        .map_err(|e| format!("validate_settings returned an error: {e}"))?;
    let response: SettingsValidationResponse = serde_json::from_slice(&raw).map_err(|e| {
        format!(
            "validate_settings answered something that is not a SettingsValidationResponse ({e}): {}",
            String::from_utf8_lossy(&raw)
        )
    })?;
    if !response.valid
        && response
            .message
            .as_deref()
            .is_none_or(|m| m.trim().is_empty())
    {
        return Err("invalid settings without a message".to_string());
    }
    Ok(response)
}

/// `request.object` of a `validate` payload, as the policy parsed it.
pub fn received_object(payload: &[u8]) -> Option<Value> {
    let mut envelope: Value = serde_json::from_slice(payload).ok()?;
    Some(envelope.get_mut("request")?.get_mut("object")?.take())
}

/// Sends the mutated object of `first` (the answer to `payload`) through the
/// policy again: it must be accepted without another mutation, and with no
/// warning that the first answer did not give. Since the first answer
/// carried the injection warning and the second injects nothing, the second
/// has fewer warnings.
pub fn reapply(payload: &[u8], first: &ValidationResponse) -> Result<(), String> {
    let Some(mutated) = first.mutated_object.as_ref().filter(|_| first.accepted) else {
        return Ok(());
    };
    let Ok(mut envelope) = serde_json::from_slice::<Value>(payload) else {
        return Ok(());
    };
    if received_object(payload).as_ref() == Some(mutated) {
        return Ok(());
    }
    let first_warnings = first.warnings.clone().unwrap_or_default();
    if first_warnings.is_empty() {
        return Err("a mutation without a warning saying what was injected".to_string());
    }
    match envelope.get_mut("request") {
        Some(Value::Object(request)) => {
            request.insert("object".to_string(), mutated.clone());
        }
        _ => return Ok(()),
    }
    let again = serde_json::to_vec(&envelope).map_err(|e| e.to_string())?;
    let second = validate(&again)?;
    if !second.accepted {
        return Err(format!(
            "the policy rejects its own output: {}",
            second.message.unwrap_or_default()
        ));
    }
    if second.mutated_object.as_ref().is_some_and(|m| m != mutated) {
        return Err(format!(
            "a second mutation of the policy's own output: {}",
            serde_json::to_string(&second.mutated_object).unwrap_or_default()
        ));
    }
    let second_warnings = second.warnings.unwrap_or_default();
    if let Some(new) = second_warnings.iter().find(|w| !first_warnings.contains(w)) {
        return Err(format!("a new warning on the policy's own output: {new}"));
    }
    if second_warnings.len() >= first_warnings.len() {
        return Err(format!(
            "the injection warning is repeated on the policy's own output: {second_warnings:?}"
        ));
    }
    Ok(())
}

/// Whether `new` keeps everything of `original`: every JSON pointer of
/// `original` exists in `new` with the same value, except that a `null` (an
/// absent field to the API server) may be filled in, an array may gain
/// elements at its end, and an `args` list may gain elements anywhere (the
/// original entries stay in order). The error names the first pointer that
/// differs.
pub fn superset(original: &Value, new: &Value) -> Result<(), String> {
    let mut pointer = String::new();
    superset_at(original, new, &mut pointer, false)
}

fn superset_at(
    original: &Value,
    new: &Value,
    pointer: &mut String,
    is_args: bool,
) -> Result<(), String> {
    let at = |p: &str| {
        if p.is_empty() {
            "/".to_string()
        } else {
            p.to_string()
        }
    };
    match (original, new) {
        (Value::Null, _) => Ok(()),
        (Value::Object(o), Value::Object(n)) => {
            for (k, v) in o {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                match n.get(k) {
                    None if v.is_null() => {}
                    None => return Err(format!("{} is missing", at(pointer))),
                    Some(nv) => superset_at(v, nv, pointer, k == "args")?,
                }
                pointer.truncate(len);
            }
            Ok(())
        }
        (Value::Array(o), Value::Array(n)) if is_args => {
            let mut rest = n.iter();
            for (i, v) in o.iter().enumerate() {
                if !rest.any(|nv| nv == v) {
                    return Err(format!("{}/{i} ({v}) is missing or moved", at(pointer)));
                }
            }
            Ok(())
        }
        (Value::Array(o), Value::Array(n)) => {
            if n.len() < o.len() {
                return Err(format!(
                    "{} lost elements ({} -> {})",
                    at(pointer),
                    o.len(),
                    n.len()
                ));
            }
            for (i, (v, nv)) in o.iter().zip(n).enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                superset_at(v, nv, pointer, false)?;
                pointer.truncate(len);
            }
            Ok(())
        }
        (o, n) if o == n => Ok(()),
        (o, n) => Err(format!("{} changed from {o} to {n}", at(pointer))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn superset_allows_additions_only() {
        let original = json!({"a": {"args": ["--x", "--", "y"], "l": [1], "n": null}, "s": "v"});
        let fine = json!({"a": {"args": ["--x", "--z", "--", "y"], "l": [1, 2], "n": [3], "m": 1}, "s": "v"});
        assert_eq!(superset(&original, &fine), Ok(()));
        let dropped = json!({"a": {"args": ["--x", "--", "y"], "l": [1]}, "t": "v"});
        assert_eq!(superset(&original, &dropped), Err("/s is missing".into()));
        let changed = json!({"a": {"args": ["--x", "--", "y"], "l": [2]}, "s": "v"});
        assert_eq!(
            superset(&original, &changed),
            Err("/a/l/0 changed from 1 to 2".into())
        );
        let reordered = json!({"a": {"args": ["y", "--x", "--"], "l": [1]}, "s": "v"});
        assert!(superset(&original, &reordered).is_err());
        let escaped = json!({"a/b": {"c~d": 1}});
        assert_eq!(
            superset(&escaped, &json!({"a/b": {"c~d": 2}})),
            Err("/a~1b/c~0d changed from 1 to 2".into())
        );
    }
}
