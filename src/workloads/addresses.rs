//! W3 (plaintext exposure) and W4 (address syntax), SPEC sections 5 and 7.
//!
//! - **W4**: `--metrics-bind-address`, `--diagnostics-address` and
//!   `--health-probe-bind-address` are controller-runtime listen addresses:
//!   `0` (server off) or `host:port`, where the host is empty (every
//!   interface), an IPv4 address, a bracketed IPv6 address or a DNS name, and
//!   the port is 0-65535 in digits. `--bind-address` (kube-scheduler,
//!   kube-controller-manager, kube-proxy) is a bare IP address.
//! - **W3**: `--metrics-secure=false` with a non-loopback
//!   `--metrics-bind-address`, or `--insecure-diagnostics` (bare means true)
//!   with a non-loopback `--diagnostics-address` (default `:8443`), serves
//!   metrics in plaintext and without authentication to anything that reaches
//!   the pod (seed 002, EKS Anywhere: never expose metrics on all interfaces
//!   without TLS and authn/authz). Loopback (`127.0.0.0/8`, `::1`,
//!   `localhost`) and `0` are fine. W3 applies only when the address flag
//!   that enables the server is given, except that the diagnostics endpoint
//!   defaults to `:8443`.
//!
//! Paths: the token that holds the address flag (`...args[2]`); for an
//! insecure diagnostics endpoint on its default address, the token of
//! `--insecure-diagnostics`.
//!
//! Kubernetes expands `$(VAR)` in `command`/`args` from the container's env.
//! A reference to a literal env var is expanded before checking; a reference
//! whose value cannot be known here (`valueFrom`, `envFrom`, undefined) makes
//! the address unknown, and unknown addresses are trusted (not checked).

use super::args::{Env, FlagHit};
use super::{Container, Workload};
use crate::context::Ctx;
use crate::names;
use crate::report::Report;
use crate::rule::Rule;
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const W3: Rule = Rule::W3;
const W4: Rule = Rule::W4;

/// controller-runtime listen-address flags (`0` or `host:port`).
const LISTEN_FLAGS: [&str; 3] = [
    "metrics-bind-address",
    "diagnostics-address",
    "health-probe-bind-address",
];

/// Cluster API's default `--diagnostics-address`.
const DEFAULT_DIAGNOSTICS_ADDRESS: &str = ":8443";

const REMEDY: &str = "serve metrics over TLS or bind to 127.0.0.1 behind an \
authenticating proxy such as kube-rbac-proxy";

/// The host part of a `host:port` listen address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// An empty host: every interface.
    Any,
    Ip(IpAddr),
    /// A DNS name, in lower case.
    Name(String),
}

/// A controller-runtime listen address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listen {
    /// `0`: the server is off.
    Off,
    On(Host, u16),
}

/// Parses `host:port` as Go's `net.SplitHostPort` splits it, with the host
/// restricted to empty, IPv4, bracketed IPv6 or a DNS name and the port to
/// digits 0-65535. The error says what is wrong.
pub fn parse_host_port(addr: &str) -> Result<(Host, u16), String> {
    let (host, port) = if let Some(rest) = addr.strip_prefix('[') {
        let (inner, after) = rest
            .split_once(']')
            .ok_or_else(|| "it has a '[' without a matching ']'".to_string())?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| "it has no ':PORT' after the bracketed IPv6 address".to_string())?;
        let ip = inner.parse::<Ipv6Addr>().map_err(|_| {
            format!("{inner:?} in brackets is not an IPv6 address (brackets are for IPv6 only)")
        })?;
        (Host::Ip(IpAddr::V6(ip)), port)
    } else {
        let (host, port) = addr.rsplit_once(':').ok_or_else(|| {
            if !addr.is_empty() && addr.bytes().all(|b| b.is_ascii_digit()) {
                format!("it has no ':' before the port; write \":{addr}\"")
            } else {
                "it has no ':PORT'".to_string()
            }
        })?;
        (parse_host(host)?, port)
    };
    Ok((host, parse_port(port)?))
}

fn parse_host(host: &str) -> Result<Host, String> {
    if host.is_empty() {
        return Ok(Host::Any);
    }
    if host.contains(':') {
        return Err(format!(
            "the host {host:?} has a ':'; an IPv6 address must be in brackets, as in [::1]:8080"
        ));
    }
    if host.contains(['[', ']']) {
        return Err(format!("the host {host:?} has a stray bracket"));
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok(Host::Ip(IpAddr::V4(ip)));
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(format!("the host {host:?} is not a valid IPv4 address"));
    }
    let lower = host.to_ascii_lowercase();
    match names::dns_name_problem(&lower, false) {
        None => Ok(Host::Name(lower)),
        Some(why) => Err(format!(
            "the host {host:?} is neither an IP address nor a DNS name: {why}"
        )),
    }
}

fn parse_port(port: &str) -> Result<u16, String> {
    if port.is_empty() {
        return Err("the port is empty".into());
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "the port {port:?} is not a number (service names are not accepted)"
        ));
    }
    match port.trim_start_matches('0') {
        "" => Ok(0),
        digits if digits.len() <= 5 => digits
            .parse::<u32>()
            .ok()
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| format!("the port {port} is above 65535")),
        _ => Err(format!("the port {port} is above 65535")),
    }
}

/// Parses a controller-runtime listen address: `0` or `host:port`.
pub fn parse_listen(addr: &str) -> Result<Listen, String> {
    if addr == "0" {
        return Ok(Listen::Off);
    }
    parse_host_port(addr).map(|(h, p)| Listen::On(h, p))
}

/// Whether a listen host is reachable only from inside the pod:
/// `127.0.0.0/8`, `::1` (also IPv4-mapped) or `localhost`.
pub fn is_loopback_host(host: &Host) -> bool {
    match host {
        Host::Any => false,
        Host::Ip(IpAddr::V4(ip)) => ip.is_loopback(),
        Host::Ip(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Host::Name(name) => name == "localhost",
    }
}

/// Where a host listens, for messages.
fn describe(host: &Host) -> String {
    match host {
        Host::Any => "on every interface".into(),
        Host::Ip(ip) if ip.is_unspecified() => format!("on every interface ({ip})"),
        Host::Ip(ip) => format!("on {ip}, which other pods can reach"),
        Host::Name(n) => format!("on {n}, which is not loopback"),
    }
}

/// `value` with Kubernetes `$(VAR)` references expanded from literal env
/// values; `None` when a reference cannot be resolved here.
fn expand<'v>(value: &'v str, env: &Env) -> Option<Cow<'v, str>> {
    if !value.contains('$') {
        return Some(Cow::Borrowed(value));
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((name, tail)) = after.strip_prefix('(').and_then(|a| a.split_once(')')) {
            let var = env.get(name)?;
            match (var.value, var.literal()) {
                (None, _) => {}
                (Some(_), Some(v)) if !v.contains("$(") => out.push_str(v),
                _ => return None,
            }
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Some(Cow::Owned(out))
}

/// A listen-address flag as given: its hit, and the parsed address when it
/// is known and valid (W4 reports the invalid ones).
fn listen_flag<'a>(c: &Container<'a>, name: &str, report: &mut Report) -> ListenFlag<'a> {
    let hit = c.flags.value(name)?;
    let Some(value) = expand(hit.value, &c.env) else {
        return Some((hit, None));
    };
    match parse_listen(&value) {
        Ok(listen) => Some((hit, Some(listen))),
        Err(why) => {
            report.invalid(
                W4,
                hit.path.clone(),
                format!(
                    "{} {:?} is not a listen address: {why}; use \"0\" (off) or host:port, \
                     such as \":8443\", \"127.0.0.1:8080\" or \"[::1]:8080\"",
                    hit.spelled, hit.value
                ),
            );
            Some((hit, None))
        }
    }
}

/// W4 for `--bind-address`: an IP address, unbracketed, without a port.
fn check_bind_address(c: &Container, report: &mut Report) {
    let Some(hit) = c.flags.value("bind-address") else {
        return;
    };
    let Some(value) = expand(hit.value, &c.env) else {
        return;
    };
    if value.parse::<IpAddr>().is_ok() {
        return;
    }
    let hint = match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        Some(inner) if inner.parse::<Ipv6Addr>().is_ok() => {
            format!("; write the IPv6 address without brackets ({inner})")
        }
        _ if value.contains(':') && !value.contains("::") => {
            "; it takes no port (the port is a separate flag such as --secure-port)".into()
        }
        _ => String::new(),
    };
    report.invalid(
        W4,
        hit.path.clone(),
        format!(
            "{} {:?} is not an IP address{hint}; use an IPv4 or IPv6 address such as 127.0.0.1, \
             0.0.0.0 or ::1",
            hit.spelled, hit.value
        ),
    );
}

/// A listen-address flag as [`listen_flag`] returns it.
type ListenFlag<'a> = Option<(FlagHit<'a>, Option<Listen>)>;

/// W3 for `--metrics-secure=false` with a public `--metrics-bind-address`.
fn plaintext_metrics(c: &Container, metrics: &ListenFlag, report: &mut Report) {
    // Read first: a value Go cannot parse is reported even without an address.
    let secure = c.flags.boolean("metrics-secure", report);
    let Some(secure) = secure.filter(|b| !b.value) else {
        return;
    };
    let Some((hit, Some(Listen::On(host, _)))) = metrics else {
        return;
    };
    if is_loopback_host(host) {
        return;
    }
    let (flag, off) = (hit.spelled, secure.spelled);
    report.forbidden(
        W3,
        hit.path.clone(),
        format!(
            "{flag}={} with {off}=false serves metrics in plaintext and without authentication \
             {}: {REMEDY} (drop {off}=false and mount a certificate with --metrics-cert-path, \
             or use {flag}=127.0.0.1:PORT)",
            hit.value,
            describe(host),
        ),
    );
}

/// W3 for `--insecure-diagnostics` with a public `--diagnostics-address`.
fn plaintext_diagnostics(c: &Container, diagnostics: ListenFlag, report: &mut Report) {
    let insecure = c.flags.boolean("insecure-diagnostics", report);
    let Some(insecure) = insecure.filter(|b| b.value) else {
        return;
    };
    let (path, shown, host) = match diagnostics {
        Some((hit, Some(Listen::On(host, _)))) => {
            (hit.path, format!("{}={}", hit.spelled, hit.value), host)
        }
        // Off, invalid (W4) or unknown.
        Some(_) => return,
        None => (
            insecure.path.clone(),
            format!("the default --diagnostics-address={DEFAULT_DIAGNOSTICS_ADDRESS}"),
            Host::Any,
        ),
    };
    if is_loopback_host(&host) {
        return;
    }
    let flag = insecure.spelled;
    report.forbidden(
        W3,
        path,
        format!(
            "{flag} with {shown} serves the diagnostics endpoint (metrics) in plaintext and \
             without authentication {}: {REMEDY} (set {flag}=false, the default, or use \
             --diagnostics-address=127.0.0.1:8443)",
            describe(&host),
        ),
    );
}

fn check_container(c: &Container, report: &mut Report) {
    let [metrics, diagnostics, _] = LISTEN_FLAGS.map(|name| listen_flag(c, name, report));
    check_bind_address(c, report);
    plaintext_metrics(c, &metrics, report);
    plaintext_diagnostics(c, diagnostics, report);
}

/// W3 and W4 for every container and init container.
pub fn check(workload: &Workload, _ctx: &Ctx, report: &mut Report) {
    for c in &workload.containers {
        check_container(c, report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use crate::testing;
    use crate::workloads::WorkloadKind;
    use serde_json::{json, Value};

    /// W3/W4 on `object`: findings as `rule@path` and the details.
    fn run(kind: WorkloadKind, object: &Value, strip: &str) -> (String, Vec<String>) {
        testing::workload_check(check, kind, object, &Settings::default(), strip)
    }

    /// A Kubebuilder manager with `args` and `env`; paths relative to `args`.
    fn manager(args: &[&str], env: Value) -> (String, Vec<String>) {
        let object = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "manager", "command": ["/manager"], "args": args, "env": env}]}}}});
        run(
            WorkloadKind::Deployment,
            &object,
            "spec.template.spec.containers[0].args",
        )
    }

    /// One case a line: `ARGS => FINDINGS`, args space-separated; `#` comments.
    fn table(cases: &str) {
        for line in cases.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (args, expected) = line.split_once("=>").expect("ARGS => FINDINGS");
            let args: Vec<&str> = args.split_whitespace().collect();
            assert_eq!(manager(&args, json!([])).0, expected.trim(), "{line}");
        }
    }

    #[test]
    fn w4_parse_host_port() {
        let ip = |s: &str| Host::Ip(s.parse().unwrap());
        let name = |s: &str| Host::Name(s.into());
        let ok = [
            (":8080", Host::Any, 8080),
            ("0.0.0.0:8080", ip("0.0.0.0"), 8080),
            ("[::]:8080", ip("::"), 8080),
            ("[::1]:8443", ip("::1"), 8443),
            ("127.0.0.1:8080", ip("127.0.0.1"), 8080),
            ("10.244.1.17:8080", ip("10.244.1.17"), 8080),
            ("localhost:8080", name("localhost"), 8080),
            ("LocalHost:8080", name("localhost"), 8080),
            ("metrics.ns.svc:8443", name("metrics.ns.svc"), 8443),
            (":0", Host::Any, 0),
            (":65535", Host::Any, 65535),
            (":008080", Host::Any, 8080),
        ];
        for (addr, host, port) in ok {
            assert_eq!(parse_host_port(addr), Ok((host, port)), "{addr}");
        }
        let bad = [
            (":99999", "above 65535"),
            (":1000000", "above 65535"),
            (":http", "not a number"),
            (":-1", "not a number"),
            (":+80", "not a number"),
            (":", "port is empty"),
            ("localhost:", "port is empty"),
            ("8080", "write \":8080\""),
            ("", "no ':PORT'"),
            ("localhost", "no ':PORT'"),
            ("::1:8080", "must be in brackets"),
            ("[::1]", "no ':PORT'"),
            ("[::1]8080", "no ':PORT'"),
            ("[::1:8080", "without a matching"),
            ("[127.0.0.1]:80", "IPv6 only"),
            ("256.1.1.1:80", "not a valid IPv4"),
            ("my_host:80", "neither an IP address nor a DNS name"),
            ("a]:80", "stray bracket"),
        ];
        for (addr, why) in bad {
            let err = parse_host_port(addr).expect_err(addr);
            assert!(err.contains(why), "{addr}: {err}");
        }
        assert_eq!(parse_listen("0"), Ok(Listen::Off));
        assert!(parse_listen("00").is_err());
    }

    #[test]
    fn w3_is_loopback_host() {
        let ip = |s: &str| Host::Ip(s.parse().unwrap());
        for (host, loopback) in [
            (Host::Any, false),
            (ip("0.0.0.0"), false),
            (ip("::"), false),
            (ip("10.244.0.12"), false),
            (ip("fd00::12"), false),
            (ip("127.0.0.1"), true),
            (ip("127.1.2.3"), true),
            (ip("::1"), true),
            (ip("::ffff:127.0.0.1"), true),
            (Host::Name("localhost".into()), true),
            (Host::Name("metrics.ns.svc".into()), false),
        ] {
            assert_eq!(is_loopback_host(&host), loopback, "{host:?}");
        }
    }

    #[test]
    fn w3_metrics_secure_false() {
        table(
            "--metrics-bind-address=:8080 --metrics-secure=false => W3@[0]
             --metrics-bind-address :8080 --metrics-secure=false => W3@[0]
             -metrics-bind-address=0.0.0.0:8080 -metrics-secure=false => W3@[0]
             --metrics-secure=false -metrics-bind-address [::]:8080 => W3@[1]
             --metrics-bind-address=10.244.0.12:8080 --metrics-secure=0 => W3@[0]
             --metrics-bind-address=metrics.example.com:8080 --metrics-secure=false => W3@[0]
             # Fixed: loopback, metrics off, or secure.
             --metrics-bind-address=127.0.0.1:8080 --metrics-secure=false =>
             --metrics-bind-address=127.0.0.2:8080 --metrics-secure=false =>
             --metrics-bind-address=localhost:8080 --metrics-secure=false =>
             --metrics-bind-address=[::1]:8080 --metrics-secure=false =>
             --metrics-bind-address=0 --metrics-secure=false =>
             --metrics-bind-address=:8443 =>
             --metrics-bind-address=:8443 --metrics-secure =>
             --metrics-bind-address=:8443 --metrics-secure=true =>
             # A boolean flag takes its value only with '=': 'false' is an argument.
             --metrics-bind-address=:8443 --metrics-secure false =>
             # W3 applies only when the bind address is given (default 0).
             --metrics-secure=false =>
             # A bad address is W4 only; a bad boolean is reported, not guessed.
             --metrics-bind-address=8080 --metrics-secure=false => W4@[0]
             --metrics-bind-address=:8080 --metrics-secure=no => invalid@[1]
             --metrics-secure=no => invalid@[0]
             --insecure-diagnostics=yes --diagnostics-address=:8443 => invalid@[0]",
        );
    }

    #[test]
    fn w3_insecure_diagnostics() {
        table(
            "-v=2 --diagnostics-address=:8443 --insecure-diagnostics=true => W3@[1]
             --diagnostics-address 0.0.0.0:8443 --insecure-diagnostics => W3@[0]
             -diagnostics-address=[::]:8443 -insecure-diagnostics=1 => W3@[0]
             # The default address is :8443: the path is the flag that opens it.
             --leader-elect --insecure-diagnostics => W3@[1]
             # Fixed forms.
             --diagnostics-address=:8443 --insecure-diagnostics=false =>
             --diagnostics-address=:8443 =>
             --diagnostics-address=127.0.0.1:8443 --insecure-diagnostics =>
             --diagnostics-address=localhost:8443 --insecure-diagnostics=true =>
             --diagnostics-address=0 --insecure-diagnostics =>
             --diagnostics-address=:http --insecure-diagnostics => W4@[0]",
        );
    }

    #[test]
    fn w3_messages_name_the_flags_and_the_remedy() {
        let args = "--metrics-bind-address=:8080 --metrics-secure=false --insecure-diagnostics";
        let (found, details) = manager(&args.split(' ').collect::<Vec<_>>(), json!([]));
        assert_eq!(found, "W3@[0] W3@[2]");
        assert!(details[0].starts_with("--metrics-bind-address=:8080 with --metrics-secure=false"));
        assert!(details[0].contains("on every interface"));
        assert!(details[0].contains("kube-rbac-proxy"));
        assert!(details[1].contains("the default --diagnostics-address=:8443"));
        assert!(details[1].contains("--insecure-diagnostics=false"));
    }

    #[test]
    fn w3_every_container_and_init_container() {
        let object = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "initContainers": [{"name": "warmup", "args": ["--insecure-diagnostics"]}],
        "containers": [
            {"name": "sidecar", "args": ["--metrics-bind-address=127.0.0.1:8080"]},
            {"name": "job", "args": ["--metrics-bind-address=:9090", "--metrics-secure=false"]}
        ]}}}}}});
        let base = "spec.jobTemplate.spec.template.spec.";
        let found = run(WorkloadKind::CronJob, &object, base).0;
        assert_eq!(
            found,
            "W3@initContainers[0].args[0] W3@containers[1].args[0]"
        );
    }

    #[test]
    fn w4_listen_addresses() {
        let bad = ":99999 :http 8080 ::1:8080 [::1] 0.0.0.0 my_host:80";
        let good = "0 :8081 [::]:8081 127.0.0.1:8081 localhost:8081 10.0.0.5:0";
        for flag in LISTEN_FLAGS {
            for addr in bad.split(' ') {
                table(&format!(
                    "--{flag}={addr} => W4@[0]\n-{flag} {addr} => W4@[0]"
                ));
            }
            for addr in good.split(' ') {
                table(&format!("--{flag}={addr} =>"));
            }
        }
        let (_, details) = manager(&["--health-probe-bind-address=8081"], json!([]));
        assert_eq!(
            details[0],
            "--health-probe-bind-address \"8081\" is not a listen address: it has no ':' before \
             the port; write \":8081\"; use \"0\" (off) or host:port, such as \":8443\", \
             \"127.0.0.1:8080\" or \"[::1]:8080\""
        );
    }

    #[test]
    fn w4_bind_address() {
        let cases = [
            ("--bind-address=:8080", "W4@[1]", "takes no port"),
            ("--bind-address 0.0.0.0:10259", "W4@[1]", "takes no port"),
            ("-bind-address=[::1]", "W4@[1]", "without brackets (::1)"),
            ("-bind-address localhost", "W4@[1]", "not an IP address"),
            ("--bind-address=127.0.0.01", "W4@[1]", "not an IP address"),
            ("--bind-address=0.0.0.0", "", ""),
            ("--bind-address 127.0.0.1", "", ""),
            ("--bind-address=::", "", ""),
            ("-bind-address=::1", "", ""),
            ("--bind-address=fd00:10:244::5", "", ""),
        ];
        for (flags, expected, why) in cases {
            let command: Vec<&str> = format!("kube-scheduler {flags}")
                .leak()
                .split(' ')
                .collect();
            let pod = json!({"spec": {"containers": [{"name": "s", "command": command}]}});
            let (found, details) = run(WorkloadKind::Pod, &pod, "spec.containers[0].command");
            assert_eq!(found, expected, "{flags}");
            assert!(details.iter().all(|d| d.contains(why)), "{details:?}");
        }
    }

    #[test]
    fn w3_w4_expand_env_references_or_trust_them() {
        let env = json!([
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "METRICS_HOST", "value": "0.0.0.0"},
            {"name": "METRICS_PORT", "value": "http"}
        ]);
        let cases = [
            (
                "--metrics-bind-address=$(POD_IP):8080 --metrics-secure=false",
                "",
            ),
            ("--bind-address=$(POD_IP)", ""),
            ("--metrics-bind-address=$(UNDEFINED):8080", ""),
            (
                "--metrics-bind-address=$(METRICS_HOST):8080 --metrics-secure=false",
                "W3@[0]",
            ),
            ("--metrics-bind-address=127.0.0.1:$(METRICS_PORT)", "W4@[0]"),
            ("--metrics-bind-address=$$(METRICS_HOST):8080", "W4@[0]"),
        ];
        for (args, expected) in cases {
            let args: Vec<&str> = args.split(' ').collect();
            assert_eq!(manager(&args, env.clone()).0, expected, "{args:?}");
        }
    }
}
