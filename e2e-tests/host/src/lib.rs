//! The engine of `policy-host` as a library: a Kubewarden waPC policy run on
//! wasmtime through `wapc` and `wasmtime-provider` (the stack of kwctl and the
//! policy server), the recorded-session replay of Kubernetes lookups, and the
//! request and response handling. The `policy-host` binary and the manifest
//! scanner (`scanner/`, `secure-metrics-scan`) both judge through it.

pub mod engine;
pub mod replay;
pub mod request;
pub mod response;
