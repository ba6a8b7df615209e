//! One resolved model of each container's metrics server (SPEC section 14),
//! made once from the container's command line and env in the dialect its
//! image selects, and read by W3, W4, X3 and the injection.
//!
//! - **Address**: the readings of the dialect's `bindAddressFlags`, else
//!   the configuration file's `metrics.bindAddress` (SPEC 15), else the
//!   dialect's `env.bindAddress` variable; written `host:port` (`hostport`) or as a
//!   bare host with the port in `portFlag` (`host`). The default dialect
//!   reads a bare host when the container passes `--metrics-port`.
//! - **TLS**: the readings of `secureFlag`, else of `env.secure`; with
//!   neither, the dialect's `secureDefault` (for the default dialect, the
//!   `metricsSecureDefault` setting). [`MetricsServer::tls`] says which.
//! - **Certificate directory**: the readings of `certDirFlags`, else the
//!   configuration file's `metrics.certDir` (JobSet's), else `env.certDir`.
//!
//! An env var is read like a flag whose value is the var's: a literal is
//! known, a `valueFrom` (or a literal reading one) is unknown.

use super::cmdline::{CommandLine, Env, EnvValue, Setting, Takes, Val};
use super::config_file::ConfigFile;
use crate::dialect::{AddressForm, Dialect, Name};
use crate::flag::{Flag, FlagName};
use crate::report::FieldPath;
use std::borrow::Cow;

/// Where a server's TLS setting comes from when neither its secure flag
/// nor its env var sets it (or Go's reading leaves the flag unset); when
/// one does, [`MetricsServer::secure`] holds the readings, and
/// [`MetricsServer::secure_from_env`] says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TlsSource {
    /// The dialect's `secureDefault`.
    DialectDefault,
    /// The default dialect reads the container: the `metricsSecureDefault`
    /// setting.
    SecureDefaultSetting,
}

/// A container's metrics server, as its binary configures it.
#[derive(Clone, Debug)]
pub(crate) struct MetricsServer<'a> {
    /// `Some(i)` when `metricsServers[i]` reads the container.
    pub(crate) entry: Option<usize>,
    pub(crate) form: AddressForm,
    /// The listen address readings (flags, else env).
    pub(crate) bind: Vec<Setting<'a>>,
    /// The port readings, in the `host` form.
    pub(crate) port: Vec<Setting<'a>>,
    /// The secure flag's (or env var's) readings.
    pub(crate) secure: Vec<Setting<'a>>,
    /// Whether those readings come from the env var (whose value nothing
    /// checked when the line was read).
    pub(crate) secure_from_env: bool,
    /// Whether the secure flag is written only after Go's `flag` has
    /// stopped: Go's reading leaves it unset, so `secure_default` applies.
    pub(crate) secure_unset_for_go: bool,
    /// The dialect's secure flag (`None`: the binary has none).
    pub(crate) secure_flag: Option<FlagName>,
    pub(crate) secure_default: bool,
    /// The certificate directory readings (flags, else env).
    pub(crate) cert_dirs: Vec<Setting<'a>>,
    /// The flag an injection may add (`None`: never add one).
    pub(crate) inject_flag: Option<FlagName>,
    /// Flag names (no dashes) that configure this server: a wholly unknown
    /// token counts for W3 only in a container that names one (SPEC 13).
    pub(crate) names: Vec<FlagName>,
}

/// The flags the command-line reader must read for `d`, with how each
/// takes its value.
pub(crate) fn flags(d: &Dialect) -> impl Iterator<Item = (Flag<'_>, Takes)> {
    d.value_flags()
        .map(|f| (f, Takes::Value))
        .chain(d.secure_flag.iter().map(|f| (f.flag(), Takes::Bool)))
}

/// Every reading of any of `names`, in the order of the names.
fn readings<'a>(cmd: &CommandLine<'a>, names: &[FlagName]) -> Vec<Setting<'a>> {
    names
        .iter()
        .flat_map(|n| cmd.readings(n.flag()).iter().cloned())
        .collect()
}

/// Where a container's readings come from: its command line and env, and
/// whether what `envFrom` may hold counts.
struct Sources<'s, 'a> {
    cmd: &'s CommandLine<'a>,
    env: &'s Env<'a>,
    /// SPEC 13: a name `envFrom` may define is unknown, but counts only in a
    /// container that configures its metrics server somewhere else (a flag,
    /// an env var, its file), as a wholly unknown token counts for W3 only
    /// in one that names a W3 flag: every container with `envFrom` is not a
    /// metrics server.
    env_from: bool,
}

/// An env var read as a flag reading: unknown when the container's shell
/// script assigns it (`export METRICS_SECURE=false; exec /manager`), as the
/// binary it starts reads it.
fn env_reading<'a>(src: &Sources<'_, 'a>, name: Option<&Name>) -> Vec<Setting<'a>> {
    let Some(name) = name else {
        return Vec::new();
    };
    let unknown = |written: &'static str, path: &FieldPath| Setting {
        value: Val::Unknown(vec![name.to_string()]),
        written: Cow::Borrowed(written),
        spelled: Cow::Owned(format!("env {name}")),
        path: path.clone(),
        ips: Vec::new(),
    };
    let cmd = src.cmd;
    // An `env` launcher sets it over the container's env (the last wins),
    // or removes it (`-u NAME`, `-i`): then neither `env`, `envFrom` nor
    // what a script assigns before it reaches the binary.
    if let Some(launched) = cmd.launcher_env.get(name) {
        return launched.into_iter().cloned().collect();
    }
    if let Some((path, _)) = cmd.script_assigns.as_ref().filter(|(_, a)| a.name(name)) {
        return vec![unknown("(set by the shell script)", path)];
    }
    let Some(var) = src.env.set(name) else {
        // Not in `env`: an `envFrom` ConfigMap or Secret may hold it.
        return match src.env.env_from_may_define(name) {
            Some(path) if src.env_from => vec![unknown("(envFrom)", path)],
            _ => Vec::new(),
        };
    };
    let (value, written) = match &var.value {
        Some(EnvValue::Literal(v)) => (Val::Known(v.clone()), v.clone()),
        Some(EnvValue::Unknown(vars)) => (Val::Unknown(vars.clone()), Cow::Borrowed("(unknown)")),
        Some(EnvValue::From) => (
            Val::Unknown(vec![var.name.to_string()]),
            Cow::Borrowed("(valueFrom)"),
        ),
        None => return Vec::new(),
    };
    vec![Setting {
        value,
        written,
        spelled: Cow::Owned(format!("env {}", var.name)),
        path: var.value_path(),
        ips: Vec::new(),
    }]
}

/// Flag readings, else the configuration file's, else the env var's (SPEC
/// 15: a flag on the command line wins over the file, as in the binaries).
fn flags_else_file_else_env<'a>(
    src: &Sources<'_, 'a>,
    names: &[FlagName],
    file: Option<&Setting<'static>>,
    var: Option<&Name>,
) -> Vec<Setting<'a>> {
    match file {
        Some(file) if !names.iter().any(|n| src.cmd.mentions(n.flag())) => vec![file.clone()],
        _ => flags_else_env(src, names, var),
    }
}

/// Flag readings, else the env var's.
fn flags_else_env<'a>(
    src: &Sources<'_, 'a>,
    names: &[FlagName],
    var: Option<&Name>,
) -> Vec<Setting<'a>> {
    if names.iter().any(|n| src.cmd.mentions(n.flag())) {
        readings(src.cmd, names)
    } else {
        env_reading(src, var)
    }
}

/// Whether the container configures its metrics server in dialect `d`
/// anywhere but `envFrom`: a flag of the dialect, one of its env vars (in
/// `env`, from an `env` launcher or assigned by a script), or a
/// configuration file that gives the address.
fn configures(d: &Dialect, cmd: &CommandLine, env: &Env, config: Option<&ConfigFile>) -> bool {
    let flags = d
        .bind_address_flags
        .iter()
        .chain(&d.secure_flag)
        .chain(d.cert_dir_flags.iter())
        .chain(&d.port_flag);
    let vars = [&d.env.bind_address, &d.env.secure, &d.env.cert_dir];
    flags.into_iter().any(|f| cmd.mentions(f.flag()))
        || vars.into_iter().flatten().any(|n| {
            env.get(n).is_some()
                || cmd.launcher_env.set.iter().any(|(k, _)| k == n.as_ref())
                || cmd.script_assigns.as_ref().is_some_and(|(_, a)| a.name(n))
        })
        || config.is_some_and(|c| c.bind_address.is_some() && !c.missing)
}

/// Whether readings `secure` of the secure setting may turn TLS on: one is
/// true or unknown, or there is none and `default` is secure.
fn may_be_secure(secure: &[Setting], default: bool) -> bool {
    if secure.is_empty() {
        return default;
    }
    secure.iter().any(|s| match s.known() {
        Some(v) => super::cmdline::parse_go_bool(v) != Some(false),
        None => true,
    })
}

impl<'a> MetricsServer<'a> {
    /// Resolves the server of a container read in dialect `d`.
    pub(crate) fn resolve(
        d: &Dialect,
        cmd: &CommandLine<'a>,
        env: &Env<'a>,
        config: Option<&ConfigFile>,
    ) -> MetricsServer<'a> {
        let src = Sources {
            cmd,
            env,
            env_from: configures(d, cmd, env, config),
        };
        let secure_names = d.secure_flag.as_slice();
        let secure = flags_else_env(&src, secure_names, d.env.secure.as_ref());
        let secure_from_env =
            !secure_names.iter().any(|n| cmd.mentions(n.flag())) && !secure.is_empty();
        // Go's reading leaves the secure flag unset; it exposes the server
        // only where the same reading has an address: a bind flag written
        // before the stop, or none written (an env var's or a file's).
        let bind_flags = || {
            d.bind_address_flags
                .iter()
                .filter(|f| cmd.mentions(f.flag()))
        };
        let go_reads_bind =
            bind_flags().next().is_none() || bind_flags().any(|f| !cmd.unset_for_go(f.flag()));
        let secure_unset_for_go =
            go_reads_bind && secure_names.iter().any(|n| cmd.unset_for_go(n.flag()));
        // A file that does not exist yet gives an unknown address: it
        // matters only where TLS may be off (W3), not to X3 (SPEC 15 and Part
        // three: fail closed for exposure, silent for function).
        let file_bind = config
            .filter(|c| !c.missing || !may_be_secure(&secure, d.secure_default))
            .and_then(|c| c.bind_address.as_ref());
        let bind = flags_else_file_else_env(
            &src,
            &d.bind_address_flags,
            file_bind,
            d.env.bind_address.as_ref(),
        );
        let port: Vec<Setting<'a>> = d
            .port_flag
            .iter()
            .flat_map(|p| cmd.readings(p.flag()).iter().cloned())
            .collect();
        // A port in its own flag makes the address a bare host.
        let form = match d.address_form {
            AddressForm::HostPort if !port.is_empty() && !bind.is_empty() => AddressForm::Host,
            form => form,
        };
        let cert_dirs = flags_else_file_else_env(
            &src,
            &d.cert_dir_flags,
            config.and_then(|c| c.cert_dir.as_ref()),
            d.env.cert_dir.as_ref(),
        );
        let names = d
            .bind_address_flags
            .iter()
            .chain(&d.secure_flag)
            .cloned()
            .collect();
        MetricsServer {
            entry: d.entry,
            form,
            bind,
            port: if form == AddressForm::Host {
                port
            } else {
                Vec::new()
            },
            secure,
            secure_from_env,
            secure_unset_for_go,
            secure_flag: d.secure_flag.clone(),
            secure_default: d.secure_default,
            cert_dirs,
            inject_flag: d.inject_flag.clone(),
            names,
        }
    }

    /// Where the TLS setting comes from when it is unset (absent, or unset
    /// in Go's reading): the dialect's `secureDefault`, or the
    /// `metricsSecureDefault` setting for the default dialect.
    pub(crate) fn default_source(&self) -> TlsSource {
        match self.entry {
            Some(_) => TlsSource::DialectDefault,
            None => TlsSource::SecureDefaultSetting,
        }
    }

    /// The readings that set an address (a non-empty value, known or not).
    pub(crate) fn addresses(&self) -> impl Iterator<Item = &Setting<'a>> {
        self.bind
            .iter()
            .filter(|s| !matches!(&s.value, Val::Known(v) if v.is_empty()))
    }

    /// Whether some reading turns the server on: an address other than `0`
    /// (in the `hostport` form), known or not.
    pub(crate) fn may_be_on(&self) -> bool {
        self.addresses().any(|s| match (self.form, s.known()) {
            (AddressForm::HostPort, Some(v)) => v != "0",
            _ => true,
        })
    }

    /// Whether the server may serve TLS: some reading of the secure setting
    /// is true or unknown, or there is none and the default is secure.
    pub(crate) fn may_be_secure(&self) -> bool {
        may_be_secure(&self.secure, self.secure_default)
    }

    /// How to turn TLS on, for messages.
    pub(crate) fn secure_fix(&self) -> String {
        let sets_false = || {
            self.secure
                .iter()
                .any(|s| s.known().and_then(super::cmdline::parse_go_bool) == Some(false))
        };
        let set = match (self.secure_unset_for_go, self.secure.is_empty()) {
            _ if sets_false() => "drop --metrics-secure=false",
            (true, _) => {
                "pass --metrics-secure=true before the first positional argument or \"--\""
            }
            (false, true) => "pass --metrics-secure=true",
            (false, false) => "set --metrics-secure=true",
        };
        match (&self.secure_flag, self.entry) {
            (Some(_), None) => format!("{set} and mount a certificate with --metrics-cert-path"),
            (Some(f), Some(_)) => format!("set {}=true and mount a certificate", f.flag()),
            (None, _) => "configure the binary's own TLS".into(),
        }
    }

    /// The dialect, for messages.
    pub(crate) fn dialect(&self) -> String {
        match self.entry {
            Some(i) => format!("the dialect of metricsServers[{i}]"),
            None => "the default dialect (controller-runtime)".into(),
        }
    }
}

/// SPEC 14 on containers shaped on the real binaries the dialects were
/// written for, through the whole review.
#[cfg(test)]
mod tests {
    use crate::report::Warning;
    use crate::rule::Rule;
    use crate::testing::{findings, report};
    use crate::workloads::certs::tests::{deployment, mount, secret_volume, settings, C0};
    use serde_json::{json, Value};

    /// `(rule, path)` of every violation, the warnings, the violations'
    /// details, and whether the object was repaired.
    type Outcome = (Vec<(String, String)>, Vec<Warning>, Vec<String>, bool);

    fn run(container: Value, volumes: Value, s: Value) -> Outcome {
        let object = deployment(json!({"containers": [container], "volumes": volumes}));
        let (r, patched) = report("Deployment", object, &settings(s));
        let details = r.violations.iter().map(|v| v.detail.clone()).collect();
        (findings(&r), r.warnings.clone(), details, patched.is_some())
    }

    fn f(rule: &str, path: &str) -> (String, String) {
        (rule.to_string(), format!("{C0}.{path}"))
    }

    /// node-readiness-controller (kubernetes-sigs): its main.go declares
    /// `--metrics-secure` with default false, and names its certificate
    /// directory with `--metrics-cert-dir`.
    fn node_readiness(args: Value) -> Value {
        json!({"name": "manager", "image": "registry.k8s.io/node-readiness-controller/node-readiness-controller:v0.1.1",
               "command": ["/manager"], "args": args})
    }

    const NODE_READINESS: &str = r#"{"metricsServers": [{"images": ["registry.k8s.io/node-readiness-controller/*"], "secureDefault": false}]}"#;

    fn declared() -> Value {
        serde_json::from_str(NODE_READINESS).unwrap()
    }

    #[test]
    fn w3_a_declared_binary_whose_metrics_are_plaintext_by_default() {
        let (found, _, details, _) = run(
            node_readiness(json!(["--metrics-bind-address=:8443", "--leader-elect"])),
            json!([]),
            declared(),
        );
        assert_eq!(found, [f("W3", "args[0]")]);
        assert!(
            details[0].contains("metricsServers[0]") && details[0].contains("secureDefault: false"),
            "{}",
            details[0]
        );
        // Fixed: TLS turned on, or the server on loopback.
        for args in [
            json!(["--metrics-bind-address=:8443", "--metrics-secure=true"]),
            json!(["--metrics-bind-address=127.0.0.1:8443"]),
        ] {
            let (found, ..) = run(node_readiness(args), json!([]), declared());
            assert!(found.is_empty(), "{found:?}");
        }
        // Undeclared, the default dialect reads it as controller-runtime's.
        let (found, ..) = run(
            node_readiness(json!(["--metrics-bind-address=:8443"])),
            json!([]),
            json!({}),
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn w3_metrics_secure_default_false_fails_closed_for_undeclared_binaries() {
        let s = json!({"metricsSecureDefault": false});
        let (found, _, details, _) = run(
            node_readiness(json!(["--metrics-bind-address=:8443"])),
            json!([]),
            s.clone(),
        );
        assert_eq!(found, [f("W3", "args[0]")]);
        assert!(
            details[0].contains("metricsSecureDefault: false")
                && details[0].contains("metricsServers"),
            "{}",
            details[0]
        );
        let (found, ..) = run(
            node_readiness(json!(["--metrics-bind-address=:8443", "--metrics-secure"])),
            json!([]),
            s,
        );
        assert!(found.is_empty(), "{found:?}");
    }

    /// Go's `flag` stops at a positional argument or `--`: a
    /// `--metrics-secure=true` written only after one is unset in that
    /// reading, and the binary then serves what its default says (SPEC 9,
    /// "Flags"; 14, `secureDefault`).
    #[test]
    fn w3_a_secure_flag_after_go_stops_is_unset_for_go() {
        let after = |args: Value, s: Value| run(node_readiness(args), json!([]), s);
        for args in [
            json!([
                "--metrics-bind-address=:8443",
                "run",
                "--metrics-secure=true"
            ]),
            json!(["--metrics-bind-address=:8443", "--", "--metrics-secure"]),
        ] {
            let (found, _, details, _) = after(args.clone(), declared());
            assert_eq!(found, [f("W3", "args[0]")], "{args}");
            assert!(
                details[0].contains("only after a positional argument")
                    && details[0].contains("secureDefault: false")
                    && details[0].contains("set --metrics-secure=true"),
                "{}",
                details[0]
            );
            let (found, _, details, _) =
                after(args.clone(), json!({"metricsSecureDefault": false}));
            assert_eq!(found, [f("W3", "args[0]")], "{args}");
            assert!(
                details[0].contains("metricsSecureDefault: false")
                    && details[0].contains(
                        "pass --metrics-secure=true before the first positional argument"
                    ),
                "{}",
                details[0]
            );
            // Secure by default: unset is TLS on.
            assert!(after(args.clone(), json!({})).0.is_empty(), "{args}");
        }
        // Both after the stop: Go reads no address either (the server is
        // off in that reading), pflag reads TLS on (redis-operator's
        // `/operator manager --metrics-bind-address=:8443 --metrics-secure`).
        let both = json!([
            "manager",
            "--metrics-bind-address=:8443",
            "--metrics-secure"
        ]);
        // Before the stop, every reading sees it.
        let fixed = json!([
            "--metrics-bind-address=:8443",
            "--metrics-secure=true",
            "run"
        ]);
        for args in [both, fixed] {
            for s in [declared(), json!({"metricsSecureDefault": false})] {
                assert!(after(args.clone(), s).0.is_empty(), "{args}");
            }
        }
    }

    /// The same readings inside a shell script, command by command: Go's
    /// stop in the command that runs the binary, and the `env` launcher
    /// before it (`-u` removes the container's `METRICS_SECURE=true`).
    #[test]
    fn w3_go_stops_and_env_launchers_inside_a_script() {
        let sdf = || json!({"metricsSecureDefault": false});
        let script = |s: &str, env: Value| json!({"name": "manager", "image": "controller:latest", "command": ["sh", "-c", s], "env": env});
        let none = || json!([]);
        let secure_env = || json!([{"name": "METRICS_SECURE", "value": "true"}]);
        for (s, env) in [
            ("mkdir -p /x; exec /manager --metrics-bind-address=:8443 start --metrics-secure=true", none()),
            ("exec env -u METRICS_SECURE /manager --metrics-bind-address=:8443", secure_env()),
            ("exec env -i /manager --metrics-bind-address=:8443", secure_env()),
        ] {
            let (found, _, details, _) = run(script(s, env.clone()), json!([]), sdf());
            assert_eq!(found, [f("W3", "command[2]")], "{s}: {details:?}");
            assert!(run(script(s, env), json!([]), json!({})).0.is_empty(), "{s}");
        }
        for (s, env) in [
            ("mkdir -p /x; exec /manager --metrics-bind-address=:8443 --metrics-secure=true start", none()),
            ("exec env /manager --metrics-bind-address=:8443", secure_env()),
            ("exec env -u OTHER /manager --metrics-bind-address=:8443", secure_env()),
        ] {
            assert!(run(script(s, env), json!([]), sdf()).0.is_empty(), "{s}");
        }
        // GNU env reads on from the words of `-S`: the flag after the string
        // is the program's, and the string's assignment its env.
        let s = "exec env -S 'METRICS_SECURE=false /manager' --metrics-bind-address=:8443";
        let (found, _, details, _) = run(script(s, none()), json!([]), json!({}));
        assert_eq!(found, [f("W3", "command[2]")], "{details:?}");
    }

    /// An address flag given `""`: unset for W4 and X3 (SPEC 7), but the
    /// binary receives the empty string, on which controller-runtime's
    /// metrics server (and Cluster API's diagnostics) listens on `:8080`,
    /// every interface; the last occurrence wins (SPEC 13).
    #[test]
    fn w3_an_empty_address_is_every_interface() {
        let kubebuilder = |args: Value| json!({"name": "manager", "image": "controller:latest", "command": ["/manager"], "args": args});
        for (args, path) in [
            (
                json!(["--metrics-bind-address=", "--metrics-secure=false"]),
                "args[0]",
            ),
            (
                json!([
                    "--metrics-bind-address=127.0.0.1:8080",
                    "--metrics-bind-address=",
                    "--metrics-secure=false"
                ]),
                "args[1]",
            ),
            (
                json!(["--metrics-bind-address", "", "--metrics-secure=false"]),
                "args[0]",
            ),
            (
                json!([
                    "--metrics-bind-address=",
                    "--metrics-port=8080",
                    "--metrics-secure=false"
                ]),
                "args[0]",
            ),
            (
                json!(["--diagnostics-address=", "--insecure-diagnostics"]),
                "args[0]",
            ),
        ] {
            let (found, _, details, _) = run(kubebuilder(args.clone()), json!([]), json!({}));
            assert_eq!(found, [f("W3", path)], "{args}");
            assert!(details[0].contains("an empty address"), "{}", details[0]);
        }
        // TLS on, or the last occurrence on loopback: fine.
        for args in [
            json!(["--metrics-bind-address="]),
            json!([
                "--metrics-bind-address=",
                "--metrics-bind-address=127.0.0.1:8080",
                "--metrics-secure=false"
            ]),
            json!(["--diagnostics-address=", "--insecure-diagnostics=false"]),
        ] {
            assert!(
                run(kubebuilder(args.clone()), json!([]), json!({}))
                    .0
                    .is_empty(),
                "{args}"
            );
        }
    }

    /// MetalLB's frr-k8s metrics container: a bare IP and the port in
    /// `--metrics-port`.
    fn frr_k8s(host: &str) -> Value {
        json!({"name": "kube-rbac-proxy-frr", "image": "quay.io/metallb/frr-k8s:v0.0.17", "command": ["/frr-metrics"],
               "args": [format!("--metrics-bind-address={host}"), "--metrics-port=9141"]})
    }

    #[test]
    fn w4_the_host_form_beside_metrics_port() {
        let (found, ..) = run(frr_k8s("0.0.0.0"), json!([]), json!({}));
        assert!(found.is_empty(), "{found:?}");
        let (found, _, details, _) = run(frr_k8s("0.0.0.0:9141"), json!([]), json!({}));
        assert_eq!(found, [f("W4", "args[0]")], "{details:?}");
        // 0.0.0.0 is a valid, non-loopback host: W3 when TLS is off.
        let mut plain = frr_k8s("0.0.0.0");
        plain["args"]
            .as_array_mut()
            .unwrap()
            .push(json!("--metrics-secure=false"));
        let (found, _, details, _) = run(plain, json!([]), json!({}));
        assert_eq!(found, [f("W3", "args[0]")]);
        assert!(details[0].contains("--metrics-port=9141"), "{}", details[0]);
        // An IPv6 address is an IP address too, bracketed or not: `::1` and
        // `[::1]` are loopback, `::` every interface.
        let insecure = |host: &str| {
            let mut c = frr_k8s(host);
            c["args"]
                .as_array_mut()
                .unwrap()
                .push(json!("--metrics-secure=false"));
            run(c, json!([]), json!({})).0
        };
        for host in ["::1", "[::1]"] {
            assert!(
                run(frr_k8s(host), json!([]), json!({})).0.is_empty(),
                "{host}"
            );
            assert!(insecure(host).is_empty(), "{host}");
        }
        assert_eq!(insecure("::"), [f("W3", "args[0]")]);
        assert_eq!(
            run(frr_k8s("[::1"), json!([]), json!({})).0,
            [f("W4", "args[0]")]
        );
    }

    /// The OpenTelemetry operator and CloudNativePG configure metrics through env.
    #[test]
    fn w3_env_read_like_the_flags() {
        let otel = |secure: &str| {
            json!({"name": "manager", "image": "ghcr.io/open-telemetry/opentelemetry-operator/opentelemetry-operator:0.120.0",
            "args": ["--zap-log-level=info"],
            "env": [{"name": "METRICS_ADDR", "value": ":8443"}, {"name": "METRICS_SECURE", "value": secure}]})
        };
        let (found, ..) = run(otel("false"), json!([]), json!({}));
        assert_eq!(found, [f("W3", "env[0].value")]);
        let (found, ..) = run(otel("true"), json!([]), json!({}));
        assert!(found.is_empty(), "{found:?}");
        // A flag on the command line wins over the env var.
        let mut flagged = otel("false");
        flagged["args"] = json!(["--metrics-secure=true"]);
        let (found, ..) = run(flagged, json!([]), json!({}));
        assert!(found.is_empty(), "{found:?}");
        // METRICS_ADDR names --metrics-bind-address (SPEC 13, "Unknown
        // tokens"): a token the policy cannot read may set
        // --metrics-secure=false.
        let mut unknown = otel("true");
        unknown["env"] = json!([{"name": "METRICS_ADDR", "value": ":8443"},
            {"name": "EXTRA", "valueFrom": {"configMapKeyRef": {"name": "flags", "key": "extra"}}}]);
        unknown["args"] = json!(["$(EXTRA)"]);
        let (found, ..) = run(unknown, json!([]), json!({}));
        assert!(found.contains(&f("W3", "args[0]")), "{found:?}");
        // `--metrics-bind-addr` is read as `--metrics-bind-address`.
        let old = json!({"name": "manager", "image": "example.com/operator:v1", "args": ["--metrics-bind-addr=:8080", "--metrics-secure=false"]});
        let (found, ..) = run(old, json!([]), json!({}));
        assert_eq!(found, [f("W3", "args[0]")]);
    }

    /// `envFrom` may define the dialect's env vars (SPEC 9: unknown), unless
    /// its prefix rules them out.
    #[test]
    fn w3_env_from_may_set_the_dialect_env() {
        let manager = |env_from: Value, args: Value| {
            json!({"name": "manager", "image": "example.com/operator:v1", "args": args,
                   "envFrom": env_from})
        };
        let cm = |prefix: Option<&str>| {
            let mut e = json!({"configMapRef": {"name": "manager-config"}});
            if let Some(p) = prefix {
                e["prefix"] = json!(p);
            }
            json!([e])
        };
        // METRICS_SECURE may be false.
        for env_from in [cm(None), cm(Some("METRICS_")), cm(Some(""))] {
            let (found, _, details, _) = run(
                manager(env_from.clone(), json!(["--metrics-bind-address=:8443"])),
                json!([]),
                json!({}),
            );
            assert_eq!(found, [f("W3", "args[0]")], "{env_from}");
            assert!(details[0].contains("env METRICS_SECURE"), "{details:?}");
        }
        // METRICS_ADDR may be any address.
        let (found, ..) = run(
            manager(cm(None), json!(["--metrics-secure=false"])),
            json!([]),
            json!({}),
        );
        assert_eq!(found, [f("W3", "envFrom[0]")]);
        // Fixed: the flags win over env; a prefix that cannot spell the
        // names; env that sets them.
        for c in [
            manager(
                cm(None),
                json!(["--metrics-bind-address=:8443", "--metrics-secure=true"]),
            ),
            manager(cm(Some("APP_")), json!(["--metrics-bind-address=:8443"])),
            manager(cm(Some("APP_")), json!(["--metrics-secure=false"])),
        ] {
            let (found, ..) = run(c.clone(), json!([]), json!({}));
            assert!(found.is_empty(), "{c}: {found:?}");
        }
        let mut set = manager(cm(None), json!(["--metrics-bind-address=:8443"]));
        set["env"] = json!([{"name": "METRICS_SECURE", "value": "true"}]);
        let (found, ..) = run(set, json!([]), json!({}));
        assert!(found.is_empty(), "{found:?}");
        // A container that configures no metrics server anywhere else
        // (aquasecurity/trivy-operator's, with its envFrom ConfigMap): what
        // envFrom may hold does not count (SPEC 13, as for unknown tokens).
        let trivy = json!({"name": "trivy-operator", "image": "mirror.gcr.io/aquasec/trivy-operator:0.29.0",
            "envFrom": [{"configMapRef": {"name": "trivy-operator-config"}}],
            "env": [{"name": "OPERATOR_METRICS_BIND_ADDRESS", "value": ":8080"}]});
        for s in [json!({}), json!({"certManagement": "external"})] {
            let (found, warnings, ..) = run(trivy.clone(), json!([]), s.clone());
            assert!(
                found.is_empty() && warnings.is_empty(),
                "{s}: {found:?} {warnings:?}"
            );
        }
    }

    /// An `env` launcher sets the program's env: its `NAME=value` words are
    /// read like the container's env (over it), as the dialect reads env.
    #[test]
    fn w3_env_launcher_sets_the_dialect_env() {
        let launched = |command: Value| {
            json!({"name": "manager", "image": "example.com/operator:v1", "command": command,
                   "args": ["--metrics-bind-address=:8443"],
                   "env": [{"name": "METRICS_SECURE", "value": "true"}]})
        };
        for command in [
            json!(["env", "METRICS_SECURE=false", "/manager"]),
            json!([
                "tini",
                "--",
                "env",
                "-u",
                "X",
                "METRICS_SECURE=false",
                "/manager"
            ]),
            json!(["env", "METRICS_SECURE=true", "METRICS_SECURE=0", "/manager"]),
        ] {
            let (found, _, details, _) = run(launched(command.clone()), json!([]), json!({}));
            assert_eq!(found, [f("W3", "args[0]")], "{command}");
            assert!(
                details[0].contains("with env METRICS_SECURE=")
                    && !details[0].contains("METRICS_SECURE=METRICS_SECURE"),
                "{command}: {details:?}"
            );
        }
        // `-u NAME` and `-i` remove what the container's env sets: the
        // binary's default decides (here metricsSecureDefault: false).
        let open = |command: Value, env: Value| json!({"name": "manager", "image": "example.com/operator:v1", "command": command, "env": env});
        let sdf = json!({"metricsSecureDefault": false});
        let secure_env = json!([{"name": "METRICS_ADDR", "value": ":8443"}, {"name": "METRICS_SECURE", "value": "true"}]);
        for (command, env) in [
            (
                json!(["env", "-u", "METRICS_SECURE", "/manager"]),
                secure_env.clone(),
            ),
            (
                json!(["env", "--unset=METRICS_SECURE", "/manager"]),
                secure_env.clone(),
            ),
            (
                json!(["env", "-i", "METRICS_ADDR=:8443", "/manager"]),
                secure_env.clone(),
            ),
        ] {
            let (found, ..) = run(open(command.clone(), env), json!([]), sdf.clone());
            assert_eq!(found.len(), 1, "{command}: {found:?}");
            assert_eq!(found[0].0, "W3", "{command}: {found:?}");
        }
        let plaintext_env = json!([{"name": "METRICS_ADDR", "value": ":8443"}, {"name": "METRICS_SECURE", "value": "false"}]);
        for command in [
            json!(["env", "-i", "PATH=/bin", "/manager"]),
            json!(["env", "-u", "METRICS_ADDR", "/manager"]),
        ] {
            let (found, ..) = run(
                open(command.clone(), plaintext_env.clone()),
                json!([]),
                json!({}),
            );
            assert!(found.is_empty(), "{command}: {found:?}");
        }
        // `env -S STRING`: the string may hold any flag (not split here).
        let (found, _, details, _) = run(
            open(
                json!([
                    "env",
                    "-S",
                    "/manager --metrics-secure=false --metrics-bind-address=:8443"
                ]),
                json!([]),
            ),
            json!([]),
            json!({}),
        );
        assert!(found.contains(&f("W3", "command[2]")), "{found:?}");
        assert!(details[0].contains("env -S"), "{details:?}");
        // Fixed: the launcher turns TLS on, or sets nothing the dialect reads.
        for command in [
            json!(["env", "METRICS_SECURE=true", "/manager"]),
            json!(["env", "GOGC=50", "/manager"]),
            json!(["/manager", "METRICS_SECURE=false"]),
        ] {
            let (found, ..) = run(launched(command.clone()), json!([]), json!({}));
            assert!(found.is_empty(), "{command}: {found:?}");
        }
    }

    /// OpenShift's cluster-ingress-operator and node-readiness-controller
    /// name their directory with `--metrics-cert-dir`: no X3 and no
    /// `--metrics-cert-path` (Go's flag package would exit on it).
    #[test]
    fn x3_metrics_cert_dir_is_a_certificate_directory() {
        let c = json!({"name": "ingress-operator", "image": "quay.io/openshift/origin-cluster-ingress-operator:4.18",
            "command": ["ingress-operator"],
            "args": ["start", "--metrics-bind-address=:60000", "--metrics-cert-dir=/etc/tls/private", "--webhook-cert-path=/tmp/wh"],
            "volumeMounts": [{"name": "metrics-tls", "mountPath": "/etc/tls/private", "readOnly": true}, mount("webhook", "/tmp/wh")]});
        let volumes = json!([
            secret_volume("metrics-tls", "metrics-tls"),
            secret_volume("webhook", "webhook-server-cert")
        ]);
        let (found, warnings, _, patched) = run(
            c.clone(),
            volumes.clone(),
            json!({"certManagement": "external"}),
        );
        assert!(
            found.is_empty() && warnings.is_empty() && !patched,
            "{found:?} {warnings:?}"
        );
        // Not mounted: W5 mounts the metrics Secret at that directory, and
        // adds no flag.
        let mut unmounted = c;
        unmounted["volumeMounts"] = json!([mount("webhook", "/tmp/wh")]);
        let object = deployment(
            json!({"containers": [unmounted], "volumes": [secret_volume("webhook", "webhook-server-cert")]}),
        );
        let (r, patched) = report(
            "Deployment",
            object,
            &settings(json!({"certManagement": "external"})),
        );
        let patched = patched.expect("W5 injects the mount");
        let args = &patched["spec"]["template"]["spec"]["containers"][0]["args"];
        assert_eq!(args.as_array().unwrap().len(), 4, "{args}");
        assert!(
            r.warnings.iter().any(|w| w.rule == Rule::W5),
            "{:?}",
            r.warnings
        );
    }

    /// SPEC 14 (which wins over section 7's "no --metrics-cert-path"): a
    /// named directory "has certificates" only when a mounted Secret covers
    /// it. Kubebuilder v4's manager (testdata/project-v4) with its
    /// --metrics-cert-path on an emptyDir: X3, and the repair would mount
    /// over that volume, so a rejection; an emptyDir at /tmp only (a
    /// read-only root file system) leaves room for the Secret's mount, with
    /// no flag added.
    #[test]
    fn x3_a_named_directory_needs_a_mounted_secret() {
        let c = |mounts: Value| {
            json!({"name": "manager", "image": "controller:latest", "command": ["/manager"],
                   "args": ["--metrics-bind-address=:8443", "--metrics-cert-path=/tmp/k8s-metrics-server/metrics-certs"],
                   "volumeMounts": mounts})
        };
        let external = json!({"certManagement": "external"});
        let exact =
            c(json!([{"name": "scratch", "mountPath": "/tmp/k8s-metrics-server/metrics-certs"}]));
        let (found, _, details, patched) = run(
            exact,
            json!([{"name": "scratch", "emptyDir": {}}]),
            external.clone(),
        );
        assert_eq!(found, [f("X3", "volumeMounts[0]")], "{details:?}");
        assert!(!patched);
        let tmp = c(json!([{"name": "tmp", "mountPath": "/tmp"}]));
        let object =
            deployment(json!({"containers": [tmp], "volumes": [{"name": "tmp", "emptyDir": {}}]}));
        let (r, patched) = report("Deployment", object, &settings(external.clone()));
        let patched = patched.expect("X3 mounts the Secret under the emptyDir");
        let c0 = &patched["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            c0["args"].as_array().unwrap().len(),
            2,
            "no flag added: {c0}"
        );
        assert_eq!(
            c0["volumeMounts"][1]["mountPath"],
            json!("/tmp/k8s-metrics-server/metrics-certs"),
            "{c0}"
        );
        assert!(
            r.warnings
                .iter()
                .any(|w| w.rule == Rule::X3 && w.detail.contains("holds emptyDir")),
            "{:?}",
            r.warnings
        );
        // The Secret mounted there: it has certificates.
        let ok = c(json!([mount(
            "certs",
            "/tmp/k8s-metrics-server/metrics-certs"
        )]));
        let (found, warnings, _, patched) = run(
            ok,
            json!([secret_volume("certs", "metrics-server-cert")]),
            external,
        );
        assert!(
            found.is_empty() && warnings.is_empty() && !patched,
            "{found:?} {warnings:?}"
        );
    }

    /// KubeRay's operator (ray-project/kuberay ray-operator/config/manager)
    /// declared as what it is: `--metrics-addr`, plaintext, no TLS flag. W3
    /// says so in words, with no flag to set.
    #[test]
    fn w3_for_a_binary_without_a_tls_flag() {
        let s = json!({"metricsServers": [{"images": ["quay.io/kuberay/operator"],
            "bindAddressFlags": ["metrics-addr"], "secureFlag": "", "secureDefault": false,
            "certDirFlags": [], "injectFlag": ""}]});
        let c = |addr: &str| {
            json!({"name": "kuberay-operator", "image": "quay.io/kuberay/operator:v1.4.2",
                   "command": ["/manager"], "args": ["--feature-gates=RayClusterStatusConditions=true", format!("--metrics-addr={addr}")]})
        };
        let (found, _, details, _) = run(c(":8080"), json!([]), s.clone());
        assert_eq!(found, [f("W3", "args[1]")], "{details:?}");
        assert!(
            details[0].contains("with no TLS (the dialect of metricsServers[0] says the binary serves plaintext and has no flag that turns TLS on")
                && !details[0].contains("=true"),
            "{details:?}"
        );
        let (found, ..) = run(c("127.0.0.1:8080"), json!([]), s.clone());
        assert!(found.is_empty(), "{found:?}");
        // With TLS always on (secureDefault true), nothing a token says can
        // turn it off: an unknown token is no evidence against the metrics
        // server (only against Cluster API's diagnostics, SPEC 13).
        let mut on = s.clone();
        on["metricsServers"][0]["secureDefault"] = json!(true);
        let mut unknown = c(":8443");
        unknown["args"][0] = json!("$(EXTRA)");
        unknown["envFrom"] = json!([{"configMapRef": {"name": "extra"}}]);
        let (_, _, details, _) = run(unknown, json!([]), on);
        assert!(
            details.iter().all(|d| !d.contains("--metrics-addr")),
            "{details:?}"
        );
    }

    /// metrics-server (kubernetes-sigs/metrics-server manifests/base) declared
    /// with its own flags: `--bind-address` is its metrics host, beside
    /// `--secure-port`. A port written into the host is one W4, in the
    /// dialect's words, not a second one from the generic `--bind-address`
    /// check.
    #[test]
    fn w4_checks_a_declared_address_flag_once() {
        let s = json!({"metricsServers": [{"images": ["registry.k8s.io/metrics-server/*"],
            "bindAddressFlags": ["bind-address"], "addressForm": "host", "portFlag": "secure-port",
            "secureFlag": "", "certDirFlags": ["cert-dir"], "injectFlag": ""}]});
        let c = |bind: &str| {
            json!({"name": "metrics-server", "image": "registry.k8s.io/metrics-server/metrics-server:v0.8.0",
                   "args": ["--cert-dir=/tmp", format!("--bind-address={bind}"), "--secure-port=10250",
                            "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname"],
                   "volumeMounts": [mount("tmp-dir", "/tmp")]})
        };
        let volumes = json!([{"name": "tmp-dir", "emptyDir": {}}]);
        let (found, _, details, _) = run(c("0.0.0.0:443"), volumes.clone(), s.clone());
        assert_eq!(found, [f("W4", "args[1]")], "{details:?}");
        assert!(
            details[0].contains("its own flag (--secure-port)"),
            "{details:?}"
        );
        let (found, ..) = run(c("0.0.0.0"), volumes.clone(), s.clone());
        assert!(found.is_empty(), "{found:?}");
        // Undeclared, `--bind-address` keeps the generic check.
        let (found, _, details, _) = run(c("0.0.0.0:443"), volumes, json!({}));
        assert_eq!(found, [f("W4", "args[1]")], "{details:?}");
        assert!(details[0].contains("takes no port"), "{details:?}");
    }

    /// A declared dialect that names no flag to add: X3 is reported, never
    /// repaired with `--metrics-cert-path`.
    #[test]
    fn x3_injects_the_dialects_flag_or_none() {
        let c = json!({"name": "manager", "image": "ghcr.io/example/operator:v1", "command": ["/manager"],
            "args": ["--metrics-addr=:8443", "--webhook-cert-path=/tmp/wh"],
            "volumeMounts": [mount("webhook", "/tmp/wh")]});
        let volumes = json!([secret_volume("webhook", "webhook-server-cert")]);
        let s = |inject: &str| {
            json!({"certManagement": "external", "metricsServers": [
            {"images": ["ghcr.io/example/*"], "bindAddressFlags": ["metrics-addr"], "certDirFlags": ["tls-dir"], "injectFlag": inject}]})
        };
        let (found, ..) = run(c.clone(), volumes.clone(), s(""));
        assert_eq!(found, [(String::from("X3"), C0.to_string())]);
        let object = deployment(json!({"containers": [c], "volumes": volumes}));
        let (_, patched) = report("Deployment", object, &settings(s("tls-dir")));
        let patched = patched.expect("X3 repaired");
        let args = &patched["spec"]["template"]["spec"]["containers"][0]["args"];
        assert_eq!(
            args[2],
            json!("--tls-dir=/tmp/k8s-metrics-server/metrics-certs"),
            "{args}"
        );
    }

    #[test]
    fn metrics_secret_globs_name_the_secrets_x1_sees() {
        let c = json!({"name": "manager", "image": "controller:latest", "command": ["/manager"],
            "args": ["--metrics-bind-address=:8443"],
            "volumeMounts": [mount("certs", "/certs")]});
        let volumes = json!([secret_volume("certs", "kueue-metrics-server-cert")]);
        let s = json!({"certManagement": "internal", "metricsCertSecretName": ["metrics-server-cert", "*-metrics-server-cert"]});
        let (found, ..) = run(c.clone(), volumes.clone(), s);
        assert_eq!(found, [f("X1", "volumeMounts[0]")]);
        let (found, ..) = run(c, volumes, json!({"certManagement": "internal"}));
        assert!(found.is_empty(), "{found:?}");
    }

    /// SPEC 14, "No mount of a Secret nothing writes": with lookups, X3
    /// mounts the metrics Secret only when a Certificate of the namespace
    /// writes it; otherwise it reports, naming the missing Certificate.
    #[test]
    fn x3_mounts_no_secret_that_no_certificate_writes() {
        use crate::cluster::fake::FakeCluster;
        use crate::cluster::LookupKind;
        use crate::workloads::certs::tests::{webhook_mount, webhook_volume};
        // octopus-permissions-controller's manager, Kubebuilder layout.
        let c = json!({"name": "manager", "image": "ghcr.io/example/octopus-permissions-controller:v0.1.0",
            "command": ["/manager"],
            "args": ["--metrics-bind-address=:8443", "--webhook-cert-path=/tmp/k8s-webhook-server/serving-certs"],
            "volumeMounts": [webhook_mount()]});
        let object = deployment(json!({"containers": [c], "volumes": [webhook_volume()]}));
        let run_with = |cluster: &FakeCluster, mode: &str| {
            let s = settings(json!({"certManagement": mode, "crossObjectChecks": true}));
            let mut req = crate::testing::request("Deployment", "project-system", object.clone());
            crate::review::review_with(&mut req, &s, Some(cluster))
        };
        let nothing =
            FakeCluster::default().with(LookupKind::Certificate, "project-system", vec![]);
        let v = run_with(&nothing, "external");
        assert!(v.mutated.is_none());
        let found = findings(&v.report);
        assert_eq!(found, [(String::from("X3"), C0.to_string())]);
        assert!(v.report.violations[0].detail.contains("no cert-manager Certificate in namespace \"project-system\" writes Secret \"metrics-server-cert\""), "{}", v.report.violations[0].detail);
        // auto mode: a warning, nothing injected.
        let v = run_with(&nothing, "auto");
        assert!(v.mutated.is_none() && v.report.violations.is_empty());
        assert!(
            v.report.warnings.iter().any(|w| w.rule == Rule::X3),
            "{:?}",
            v.report.warnings
        );
        // The fixed form: a Certificate writes the Secret, the policy mounts it.
        let issued = FakeCluster::default().with(LookupKind::Certificate, "project-system", vec![
            json!({"metadata": {"name": "metrics-certs"}, "spec": {"secretName": "metrics-server-cert", "dnsNames": ["x.project-system.svc"]}})]);
        let v = run_with(&issued, "external");
        assert!(v.report.violations.is_empty(), "{:?}", v.report.violations);
        assert!(v.mutated.is_some());
    }

    /// SPEC 16, "Known downward-API values": the namespace and name from
    /// `fieldRef` are known, so a token built from them may set no flag.
    #[test]
    fn downward_api_namespace_and_name_are_known() {
        let c = |field: &str| {
            json!({"name": "manager", "image": "ghcr.io/cloudnative-pg/cloudnative-pg:1.25.1",
            "command": ["/manager"],
            "args": ["controller", "--metrics-bind-address=:8443", "--watch-namespace", "$(OPERATOR_NAMESPACE)"],
            "env": [{"name": "OPERATOR_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": field}}}]})
        };
        let (found, ..) = run(c("metadata.namespace"), json!([]), json!({}));
        assert!(found.is_empty(), "{found:?}");
        let (found, ..) = run(c("metadata.name"), json!([]), json!({}));
        assert!(found.is_empty(), "{found:?}");
        // Another field is unknown: the token may set --metrics-secure=false
        // or --insecure-diagnostics.
        let (found, ..) = run(c("spec.serviceAccountName"), json!([]), json!({}));
        assert_eq!(found, [f("W3", "args[1]"), f("W3", "args[3]")]);
    }

    /// A script's `$FLAGS` the reading cannot pay to copy is unknown; its
    /// text in the env value names W3's flags, so W3 fails closed on it.
    #[test]
    fn w3_fails_closed_on_flags_a_script_could_not_expand() {
        let flags = format!(
            "--metrics-bind-address=:8080 --metrics-secure=false --x={}",
            "y".repeat(20 << 10)
        );
        let c = json!({"name": "manager", "image": "controller:latest",
            "command": ["/bin/sh", "-c"], "args": ["exec /manager $FLAGS"],
            "env": [{"name": "FLAGS", "value": flags}]});
        let (found, ..) = run(c, json!([]), json!({}));
        assert!(found.contains(&f("W3", "args[0]")), "{found:?}");
    }
}
