//! waPC host creation on wasmtime (WASI enabled, as the policy targets
//! wasm32-wasip1) and the host-callback handler.

use std::error::Error;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use wapc::{WapcHost, WasiParams};
use wasmtime_provider::{WasmtimeEngineProviderBuilder, WasmtimeEngineProviderPre};

use crate::replay::Session;
use crate::response::{SettingsValidationResponse, ValidationResponse};

/// Environment variable that turns on printing of the policy's log events.
pub const LOG_ENV: &str = "POLICY_HOST_LOG";

type CallbackResult = Result<Vec<u8>, Box<dyn Error + Send + Sync>>;

/// What answers the guest's `kubewarden/kubernetes/<operation>` calls: a
/// recorded session (`policy-host run` and `bench` with `--replay-...`) or
/// the objects of a manifest scan (`secure-metrics-scan`).
pub trait Kubernetes: Send + Sync {
    fn answer(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, String>;
}

impl Kubernetes for Session {
    fn answer(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
        Session::answer(self, operation, payload)
    }
}

/// Answers the guest's `host_call`s. `kubewarden/tracing/log` always
/// succeeds, since the SDK's log drain panics the guest otherwise;
/// `kubewarden/kubernetes/*` is answered from a recorded session when the run
/// has one (`--allow-context-aware --replay-host-capabilities-interactions`),
/// and refused otherwise, as kwctl refuses a policy it was not allowed to
/// run context-aware.
pub fn host_callback(
    binding: &str,
    namespace: &str,
    operation: &str,
    payload: &[u8],
    print_logs: bool,
    session: Option<&dyn Kubernetes>,
) -> CallbackResult {
    match (binding, namespace, operation) {
        ("kubewarden", "tracing", "log") => {
            if print_logs {
                eprintln!("{}", String::from_utf8_lossy(payload));
            }
            Ok(Vec::new())
        }
        ("kubewarden", "kubernetes", op) if session.is_some() => session
            .map_or(Ok(Vec::new()), |s| s.answer(op, payload))
            .map_err(Into::into),
        _ => Err(format!(
            "policy-host does not provide host capability {binding}/{namespace}/{operation}"
        )
        .into()),
    }
}

/// A compiled policy module, from which waPC hosts are instantiated without
/// compiling again (one per thread: a host serves one call at a time).
#[derive(Clone)]
pub struct Compiled {
    pre: WasmtimeEngineProviderPre,
    kubernetes: Option<Arc<dyn Kubernetes>>,
}

impl Compiled {
    /// Compiles `bytes`; the Kubernetes host calls of every instance are
    /// answered by `kubernetes`, and refused when it is `None`.
    pub fn new(bytes: &[u8], kubernetes: Option<Arc<dyn Kubernetes>>) -> Result<Self, String> {
        // wasmtime would also try the text format; a policy is always binary.
        if !bytes.starts_with(b"\0asm") {
            return Err("not a WebAssembly module (no \\0asm header)".to_string());
        }
        let pre = WasmtimeEngineProviderBuilder::new()
            .module_bytes(bytes)
            .wasi_params(WasiParams::default())
            .build_pre()
            .map_err(|e| format!("cannot compile the wasm module: {e}"))?;
        Ok(Self { pre, kubernetes })
    }

    /// A fresh instance of the module, with its own waPC host.
    pub fn instantiate(&self) -> Result<Policy, String> {
        let engine = self
            .pre
            .rehydrate(None)
            .map_err(|e| format!("cannot instantiate the wasm module: {e}"))?;
        let print_logs = std::env::var_os(LOG_ENV).is_some();
        let kubernetes = self.kubernetes.clone();
        let callback = move |_id: u64, binding: &str, ns: &str, op: &str, payload: &[u8]| {
            host_callback(binding, ns, op, payload, print_logs, kubernetes.as_deref())
        };
        let host = WapcHost::new(Box::new(engine), Some(Box::new(callback)))
            .map_err(|e| format!("cannot initialize the waPC guest: {e}"))?;
        Ok(Policy { host })
    }
}

/// A loaded policy module.
pub struct Policy {
    host: WapcHost,
}

impl Policy {
    pub fn load(path: &Path) -> Result<Self, String> {
        Self::load_with(path, None)
    }

    /// Loads a policy whose Kubernetes host calls `kubernetes` answers
    /// (refused when `None`).
    pub fn load_with(path: &Path, kubernetes: Option<Arc<dyn Kubernetes>>) -> Result<Self, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read policy module {}: {e}", path.display()))?;
        Compiled::new(&bytes, kubernetes)
            .and_then(|compiled| compiled.instantiate())
            .map_err(|e| format!("cannot load policy {}: {e}", path.display()))
    }

    #[cfg(test)]
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        Compiled::new(bytes, None)?.instantiate()
    }

    /// One raw guest call; errors (guest errors, traps, panics) become strings.
    pub fn call(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
        self.host
            .call(operation, payload)
            .map_err(|e| e.to_string())
    }

    /// Like kwctl, a failing `validate_settings` call counts as invalid settings.
    pub fn validate_settings(&self, settings: &Value) -> SettingsValidationResponse {
        let invalid = |message: String| SettingsValidationResponse {
            valid: false,
            message: Some(message),
        };
        let payload = match serde_json::to_vec(settings) {
            Ok(p) => p,
            Err(e) => return invalid(format!("cannot serialize settings: {e}")),
        };
        match self.call("validate_settings", &payload) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                invalid(format!(
                    "cannot decode the settings validation response: {e}"
                ))
            }),
            Err(e) => invalid(format!("Error invoking settings validation callback: {e}")),
        }
    }

    pub fn validate(&self, payload: &[u8]) -> Result<ValidationResponse, String> {
        let bytes = self
            .call("validate", payload)
            .map_err(|e| format!("policy evaluation failed: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "policy evaluation failed: invalid ValidationResponse from the policy ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    }

    /// Settings validated or an error with kwctl's wording.
    pub fn require_valid_settings(&self, settings: &Value) -> Result<(), String> {
        let response = self.validate_settings(settings);
        if response.valid {
            Ok(())
        } else {
            Err(format!(
                "Provided settings are not valid: {}",
                response.message.unwrap_or_default()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_callback_always_succeeds() {
        let payload = br#"{"level":"info","message":"hi"}"#;
        assert_eq!(
            host_callback("kubewarden", "tracing", "log", payload, false, None).unwrap(),
            Vec::<u8>::new()
        );
        assert!(
            host_callback("kubewarden", "tracing", "log", b"\xff not utf8", true, None).is_ok()
        );
    }

    #[test]
    fn other_capabilities_are_refused_by_name() {
        let err = host_callback(
            "kubewarden",
            "kubernetes",
            "list_resources_by_namespace",
            b"{}",
            false,
            None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "policy-host does not provide host capability kubewarden/kubernetes/list_resources_by_namespace"
        );
        assert!(host_callback("other", "tracing", "log", b"", false, None).is_err());
    }

    struct Echo;
    impl Kubernetes for Echo {
        fn answer(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
            Ok([operation.as_bytes(), b":", payload].concat())
        }
    }

    #[test]
    fn kubernetes_calls_go_to_the_given_answerer() {
        let answer = host_callback(
            "kubewarden",
            "kubernetes",
            "list_resources_by_namespace",
            b"{}",
            false,
            Some(&Echo),
        )
        .unwrap();
        assert_eq!(answer, b"list_resources_by_namespace:{}");
        // Only the kubernetes namespace reaches it.
        assert!(host_callback("kubewarden", "oci", "verify", b"", false, Some(&Echo)).is_err());
        assert!(Compiled::new(b"not wasm", Some(Arc::new(Echo)))
            .err()
            .unwrap()
            .contains("not a WebAssembly module"));
    }

    #[test]
    fn garbage_module_is_an_error() {
        let err = Policy::from_bytes(b"{\"not\": \"wasm\"}").err().unwrap();
        assert!(err.contains("not a WebAssembly module"), "{err}");
        let err = Policy::from_bytes(b"\0asm\x01\0\0\0\xff").err().unwrap();
        assert!(err.contains("cannot compile"), "{err}");
    }
}
