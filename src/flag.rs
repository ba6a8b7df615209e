//! Flag names as typed ids (SPEC sections 5, 9 and 14). A leaf.
//!
//! The command-line model ([`crate::workloads::cmdline`]) answers for a
//! [`Flag`], never for a string. Every flag the SPEC names is a constant
//! here, so a misspelt name in a rule does not compile; the only other
//! flags are those the settings declare (`certKeyPairs`, `metricsServers`),
//! made into a [`Flag`] by [`Flag::declared`] or kept as a [`FlagName`]
//! where the settings are read.
//! A constant the reader was not given (missing from its table) still reads
//! as absent at run time, so in tests asking the model for it panics.

use std::borrow::Cow;
use std::fmt;

/// A command-line flag's name, without dashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Flag<'n>(&'n str);

impl Flag<'static> {
    /// controller-runtime's metrics listen address (W3, W4, X3).
    pub(crate) const METRICS_BIND_ADDRESS: Flag<'static> = Flag("metrics-bind-address");
    /// Older managers' spelling of it (read by the default dialect).
    pub(crate) const METRICS_BIND_ADDR: Flag<'static> = Flag("metrics-bind-addr");
    /// The port, when the address flag holds a bare host (MetalLB's frr-k8s).
    pub(crate) const METRICS_PORT: Flag<'static> = Flag("metrics-port");
    /// `--metrics-secure` (Kubebuilder v4: default `true`).
    pub(crate) const METRICS_SECURE: Flag<'static> = Flag("metrics-secure");
    /// The metrics certificate directory and file names.
    pub(crate) const METRICS_CERT_PATH: Flag<'static> = Flag("metrics-cert-path");
    pub(crate) const METRICS_CERT_DIR: Flag<'static> = Flag("metrics-cert-dir");
    pub(crate) const METRICS_CERT_NAME: Flag<'static> = Flag("metrics-cert-name");
    pub(crate) const METRICS_CERT_KEY: Flag<'static> = Flag("metrics-cert-key");
    /// The webhook server's certificate directory.
    pub(crate) const WEBHOOK_CERT_PATH: Flag<'static> = Flag("webhook-cert-path");
    /// The diagnostics server (Cluster API providers) and its opt-out of TLS.
    pub(crate) const DIAGNOSTICS_ADDRESS: Flag<'static> = Flag("diagnostics-address");
    pub(crate) const INSECURE_DIAGNOSTICS: Flag<'static> = Flag("insecure-diagnostics");
    /// The health probes' listen address (plaintext by design, W4 only).
    pub(crate) const HEALTH_PROBE_BIND_ADDRESS: Flag<'static> = Flag("health-probe-bind-address");
    /// kube-rbac-proxy's and component-base's listen address.
    pub(crate) const BIND_ADDRESS: Flag<'static> = Flag("bind-address");
    /// Serving certificate flags of component-base and kube-rbac-proxy.
    pub(crate) const TLS_CERT_FILE: Flag<'static> = Flag("tls-cert-file");
    pub(crate) const TLS_PRIVATE_KEY_FILE: Flag<'static> = Flag("tls-private-key-file");
    pub(crate) const CERT_FILE: Flag<'static> = Flag("cert-file");
    pub(crate) const KEY_FILE: Flag<'static> = Flag("key-file");
    /// A manager's configuration file (SPEC 15).
    pub(crate) const CONFIG: Flag<'static> = Flag("config");
}

impl<'n> Flag<'n> {
    /// A flag the settings name (`certKeyPairs`' `-NAME`, a `metricsServers`
    /// entry's flags), leading dashes dropped.
    pub(crate) fn declared(name: &'n str) -> Flag<'n> {
        Flag(name.trim_start_matches('-'))
    }

    /// The name, without dashes.
    pub(crate) fn name(self) -> &'n str {
        self.0
    }
}

/// A flag's name kept in the settings (a dialect's flags): a built-in
/// [`Flag`] without a copy, or a declared name. Read it with [`FlagName::flag`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FlagName(Cow<'static, str>);

impl FlagName {
    pub(crate) const fn builtin(flag: Flag<'static>) -> FlagName {
        FlagName(Cow::Borrowed(flag.0))
    }

    /// A name from the settings, leading dashes dropped.
    pub(crate) fn declared(name: &str) -> FlagName {
        FlagName(Cow::Owned(name.trim_start_matches('-').to_string()))
    }

    pub(crate) fn flag(&self) -> Flag<'_> {
        Flag(&self.0)
    }
}

impl fmt::Display for Flag<'_> {
    /// `--name`, as a message shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--{}", self.0)
    }
}
