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
//! Two readings that close gaps in "non-loopback" (SPEC 9, "Fail closed"):
//!
//! - **An address W3 cannot place counts as every interface**, whatever W4,
//!   or an exception for W4, says: Go's `net.Listen` serves `:http` on port
//!   80 of every interface (a named port resolves through /etc/services),
//!   and W3 cannot tell what else garbage such as `:8080x` would do. Only a
//!   host that is itself loopback (`127.0.0.1:http`) keeps it loopback. X3
//!   reads [`exposed`], which leaves such an address to W4.
//! - **`hostNetwork: true` makes loopback the node's**: every process on the
//!   node reaches `127.0.0.1` of a host-network pod (kube-proxy and
//!   node-exporter style DaemonSets), so W3 applies to a loopback server too,
//!   and its message says so. X3 keeps SPEC 9's "loopback servers are not
//!   exposed": it is about where certificates come from, not exposure, and a
//!   server behind a TLS proxy sidecar is the same with or without the
//!   node's network.
//!
//! Paths: the token that holds the address flag (`...args[2]`); for an
//! insecure diagnostics endpoint on its default address, the token of
//! `--insecure-diagnostics`.
//!
//! Every reading of the resolved command line counts (SPEC 9): W4 checks the
//! known addresses only; W3 fails closed: an unknown address counts as
//! non-loopback, an unknown `--metrics-secure`/`--insecure-diagnostics` as
//! possibly insecure, a downward-API pod IP as non-loopback, and a wholly
//! unknown token (`$(EXTRA_FLAGS)`) as possibly setting either, in a
//! container that names one of the four flags. Messages name the flag and
//! the variable the policy could not see.

use super::cmdline::{parse_go_bool, Setting, UnknownToken, Val};
use super::listen::{
    describe, exposed, exposed_in, is_loopback_host, parse_bare_host, parse_host, parse_listen,
    Host, Listen,
};
use super::model::{Container, Workload};
use super::server::{MetricsServer, TlsSource};
use crate::context::Ctx;
use crate::dialect::AddressForm;
use crate::flag::{Flag, FlagName};
use crate::report::{FieldPath, Report};
use crate::rule::Rule;
use std::net::{IpAddr, Ipv6Addr};

const W3: Rule = Rule::W3;
const W4: Rule = Rule::W4;

/// controller-runtime listen-address flags (`0` or `host:port`) besides the
/// metrics server's, which its dialect reads ([`check_metrics_address`]).
const LISTEN_FLAGS: [Flag<'static>; 2] =
    [Flag::DIAGNOSTICS_ADDRESS, Flag::HEALTH_PROBE_BIND_ADDRESS];

/// Cluster API's default `--diagnostics-address`.
const DEFAULT_DIAGNOSTICS_ADDRESS: &str = ":8443";

const REMEDY_DIAGNOSTICS: &str = "serve metrics over TLS or bind to 127.0.0.1 behind an \
authenticating proxy such as kube-rbac-proxy (set --insecure-diagnostics=false, the \
default, or use --diagnostics-address=127.0.0.1:8443)";

/// The host of an address [`parse_listen`] refuses, when it is loopback
/// (`127.0.0.1:http`, `[::1]:8080x`): Go's `net.Listen` then listens on
/// loopback or not at all (a named port resolves through /etc/services).
fn loopback_of_unplaceable(addr: &str) -> Option<Host> {
    let host = match addr.strip_prefix('[') {
        Some(rest) => Host::Ip(IpAddr::V6(rest.split_once(']')?.0.parse().ok()?)),
        None => parse_host(addr.rsplit_once(':')?.0).ok()?,
    };
    is_loopback_host(&host).then_some(host)
}

/// Why the pod's network matters to W3: with `hostNetwork: true` every
/// address is the node's, and its loopback is shared by every process on
/// the node.
const NODE: &str = " (the node's network, because the pod sets hostNetwork: true)";

/// W3's reading of a listen address (SPEC 9 "Fail closed"): where it may
/// expose its server, `None` when it cannot (`0`, or loopback in the pod's
/// own network namespace). Unlike [`exposed`], which X3 reads, an address
/// W3 cannot place (a named port such as `:http`, which Go serves on port 80
/// on every interface; garbage such as `:8080x`) counts as every interface
/// whatever W4 (or an exception for it) says; with `hostNetwork: true`
/// loopback is the node's loopback, which every process on the node reaches.
fn w3_exposed(s: &Setting, host_network: bool) -> Option<String> {
    let node = if host_network { NODE } else { "" };
    let Val::Known(v) = &s.value else {
        return exposed(s).map(|w| w + node);
    };
    let loopback = match parse_listen(v) {
        Ok(Listen::Off) => return None,
        Ok(Listen::On(host, _)) if is_loopback_host(&host) => host,
        Ok(Listen::On(host, _)) => return Some(describe(&host, &s.ips) + node),
        Err(why) => match loopback_of_unplaceable(v) {
            Some(host) => host,
            None => {
                return Some(format!(
                    "on an address the policy cannot place ({why}), so counted as every interface{node}"
                ))
            }
        },
    };
    host_network.then(|| {
        let shown = match loopback {
            Host::Name(name) => format!("{name}, "),
            _ => String::new(),
        };
        format!(
            "on {shown}the node's loopback (because the pod sets hostNetwork: true: every process on the node can reach it)"
        )
    })
}

/// W4 for the listen-address flags: every known reading.
fn check_listen(c: &Container, flag: Flag, report: &mut Report) {
    for s in c.cmd.values(flag) {
        let Some(value) = s.known() else { continue };
        if let Err(why) = parse_listen(value) {
            report.invalid(
                W4,
                s.path.clone(),
                format!(
                    "{} {:?} is not a listen address: {why}; use \"0\" (off) or host:port, \
                     such as \":8443\", \"127.0.0.1:8080\" or \"[::1]:8080\"",
                    s.spelled, s.written
                ),
            );
        }
    }
}

/// W3's reading of a metrics address in the server's form: `host:port` as
/// [`w3_exposed`] reads it; a bare host (beside a port flag) that is not
/// loopback, that cannot be placed, or that is loopback on the node's
/// network (`hostNetwork: true`).
fn w3_exposed_in(server: &MetricsServer, s: &Setting, host_network: bool) -> Option<String> {
    let AddressForm::Host = server.form else {
        return w3_exposed(s, host_network);
    };
    let node = if host_network { NODE } else { "" };
    match (&s.value, s.known().map(parse_bare_host)) {
        (_, Some(Ok(host))) if is_loopback_host(&host) => host_network.then(|| {
            "on the node's loopback (because the pod sets hostNetwork: true: every process on the node can reach it)".to_string()
        }),
        _ => exposed_in(server.form, s).map(|w| w + node),
    }
}

/// W4 for the metrics server's address, in its dialect's form (SPEC 16, "W4
/// is functional"): `0` or `host:port`, or a bare IP address or DNS name
/// beside a port flag. A flag no dialect of the container names is not
/// checked.
fn check_metrics_address(server: &MetricsServer, report: &mut Report) {
    for s in server.addresses() {
        let Some(value) = s.known() else { continue };
        let problem = match server.form {
            AddressForm::HostPort => parse_listen(value).err().map(|why| {
                format!(
                    "{} {:?} is not a listen address: {why}; use \"0\" (off) or host:port, \
                     such as \":8443\", \"127.0.0.1:8080\" or \"[::1]:8080\"",
                    s.spelled, s.written
                )
            }),
            AddressForm::Host => parse_bare_host(value).err().map(|why| {
                format!(
                    "{} {:?} is not a listen host: {why}; the port is in its own flag ({}), \
                     so write an IP address or DNS name, such as 0.0.0.0 or 127.0.0.1",
                    s.spelled,
                    s.written,
                    server
                        .port
                        .first()
                        .map_or("the port flag", |p| p.spelled.as_ref())
                )
            }),
        };
        if let Some(detail) = problem {
            report.invalid(W4, s.path.clone(), detail);
        }
    }
}

/// W4 for `--bind-address`: an IP address, unbracketed, without a port.
fn check_bind_address(c: &Container, report: &mut Report) {
    for s in c.cmd.values(Flag::BIND_ADDRESS) {
        let Some(value) = s.known() else { continue };
        if value.parse::<IpAddr>().is_ok() {
            continue;
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
            s.path.clone(),
            format!(
                "{} {:?} is not an IP address{hint}; use an IPv4 or IPv6 address such as 127.0.0.1, \
                 0.0.0.0 or ::1",
                s.spelled, s.written
            ),
        );
    }
}

/// Whether the text of the container's `command`, `args` or a literal env
/// value spells `flag` (`--name` or `-name`, as a word of its own): a shell
/// script that assigns the flag to a variable (`A='--metrics-secure=false';
/// exec /manager $A`) or an env value a script expands names it, though no
/// token is read as the flag. A shell comment (from a `#` that begins a
/// word to the end of its line) names nothing, nor does a longer flag
/// (`--proxy-metrics-bind-address`).
fn text_names(c: &Container, flag: Flag) -> bool {
    let strings = |key: &str| {
        c.at.obj
            .get(key)
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
    };
    strings("command")
        .chain(strings("args"))
        .filter_map(serde_json::Value::as_str)
        .chain(strings("env").filter_map(|e| e.get("value").and_then(serde_json::Value::as_str)))
        .any(|text| {
            text.lines()
                .any(|line| spells(uncommented(line), flag.name()))
        })
}

/// `line` up to a `#` that begins a word (a shell comment).
fn uncommented(line: &str) -> &str {
    let mut prev = ' ';
    for (k, ch) in line.char_indices() {
        if ch == '#' && prev.is_whitespace() {
            return &line[..k];
        }
        prev = ch;
    }
    line
}

/// Whether `text` holds `-name` or `--name` as a word: after the start,
/// white space, a quote, `=` or `(`, and before the end, white space, a
/// quote, `=` or `;`.
fn spells(text: &str, name: &str) -> bool {
    let starts = |ch: Option<char>| {
        ch.is_none_or(|ch| ch.is_whitespace() || matches!(ch, '"' | '\'' | '=' | '(' | '`'))
    };
    text.match_indices(name).any(|(k, _)| {
        let before = &text[..k];
        let Some(dashed) = before.strip_suffix('-') else {
            return false;
        };
        let dashed = dashed.strip_suffix('-').unwrap_or(dashed);
        let after = text[k + name.len()..].chars().next();
        starts(dashed.chars().next_back())
            && after.is_none_or(|ch| ch.is_whitespace() || matches!(ch, '=' | '"' | '\'' | ';'))
    })
}

/// The flags whose presence makes a wholly unknown token count for W3
/// (SPEC 13, "Unknown tokens").
const W3_FLAGS: [Flag<'static>; 4] = [
    Flag::METRICS_BIND_ADDRESS,
    Flag::METRICS_SECURE,
    Flag::DIAGNOSTICS_ADDRESS,
    Flag::INSECURE_DIAGNOSTICS,
];

/// Where a W3 finding comes from: its path and words for the message.
struct Evidence {
    path: FieldPath,
    text: String,
}

/// An address flag given an empty value. Other rules read it as unset
/// (SPEC 7), but the binary receives `""`, and controller-runtime's metrics
/// server (Cluster API's diagnostics too) then listens on its default
/// `:8080`, every interface (in the `host` form, `:PORT`): W3 counts it as
/// exposed (fail closed for exposure).
fn empty_address(s: &Setting, host_network: bool) -> Option<Evidence> {
    let node = if host_network { NODE } else { "" };
    matches!(&s.value, Val::Known(v) if v.is_empty()).then(|| Evidence {
        path: s.path.clone(),
        text: format!(
            "{} (an empty address: controller-runtime's metrics server then listens on its default :8080, every interface{node})",
            s.shown()
        ),
    })
}

/// The first reading of a server's address that may expose it, else an
/// unknown token that may set it.
fn exposed_address(
    c: &Container,
    flag: Flag,
    default: Option<&str>,
    unknown: Option<&UnknownToken>,
    host_network: bool,
) -> Option<Evidence> {
    for s in c.cmd.values(flag) {
        if let Some(where_) = w3_exposed(s, host_network) {
            return Some(Evidence {
                path: s.path.clone(),
                text: format!("{} {where_}", s.shown()),
            });
        }
    }
    if let Some(e) = c
        .cmd
        .readings(flag)
        .iter()
        .find_map(|s| empty_address(s, host_network))
    {
        return Some(e);
    }
    if let (Some(d), false) = (default, c.cmd.mentions(flag)) {
        let node = if host_network { NODE } else { "" };
        return Some(Evidence {
            path: FieldPath::root(),
            text: format!("the default {flag}={d} on every interface{node}"),
        });
    }
    unknown.map(|u| Evidence {
        path: u.path.clone(),
        text: format!(
            "{:?}, which reads {} that the policy cannot see and may set {flag} to a non-loopback address",
            u.written,
            u.unseen()
        ),
    })
}

/// The first reading of a boolean flag that may be `insecure`, else an
/// unknown token that may set it.
fn insecure_value(
    c: &Container,
    flag: Flag,
    insecure: bool,
    unknown: Option<&UnknownToken>,
) -> Option<Evidence> {
    for b in c.cmd.booleans(flag) {
        match b.value {
            Some(v) if v == insecure => {
                return Some(Evidence {
                    path: b.setting.path.clone(),
                    text: b.setting.shown(),
                })
            }
            Some(_) => {}
            None => {
                return Some(Evidence {
                    path: b.setting.path.clone(),
                    text: format!(
                        "{} (it reads {}, which the policy cannot see, so it may be {insecure})",
                        b.setting.shown(),
                        b.setting.unseen()
                    ),
                })
            }
        }
    }
    unknown.map(|u| Evidence {
        path: u.path.clone(),
        text: format!(
            "{:?} (it reads {}, which the policy cannot see, and may set {flag}={insecure})",
            u.written,
            u.unseen()
        ),
    })
}

/// The first reading of the metrics server's TLS setting that may be off
/// (SPEC 14: `false`, unknown, or absent with `secureDefault: false`), else
/// an unknown token that may set it; `None` when TLS is on.
fn metrics_plaintext(server: &MetricsServer, unknown: Option<&UnknownToken>) -> Option<Evidence> {
    for s in &server.secure {
        let value = s.known().map(parse_go_bool);
        match value {
            Some(Some(true)) => {}
            Some(Some(false)) => {
                return Some(Evidence {
                    path: s.path.clone(),
                    text: s.shown(),
                })
            }
            // A flag value Go cannot parse was reported as `invalid` (the
            // binary refuses to start); an env var's is not checked, and
            // the binary may read it as false.
            Some(None) if !server.secure_from_env => {}
            Some(None) => {
                return Some(Evidence {
                    path: s.path.clone(),
                    text: format!(
                        "{} (not a boolean Go can parse, so the binary may read it as false)",
                        s.shown()
                    ),
                })
            }
            None => {
                return Some(Evidence {
                    path: s.path.clone(),
                    text: format!(
                        "{} (it reads {}, which the policy cannot see, so it may be false)",
                        s.shown(),
                        s.unseen()
                    ),
                })
            }
        }
    }
    // A binary with no TLS flag (`secureFlag: ""`): its dialect's default
    // is all there is, and no token can change it.
    let Some(flag) = &server.secure_flag else {
        return (server.secure.is_empty() && !server.secure_default).then(|| Evidence {
            path: FieldPath::root(),
            text: format!(
                "no TLS ({} says the binary serves plaintext and has no flag that turns TLS on: secureDefault: false, secureFlag: \"\")",
                server.dialect()
            ),
        });
    };
    if server.secure.is_empty() && !server.secure_default {
        return Some(Evidence {
            path: FieldPath::root(),
            text: format!("no {}=true ({})", flag.flag(), plaintext_default(server)),
        });
    }
    // Go's `flag` stops at a positional argument or `--`: a secure flag
    // written only after one is unset in that reading (SPEC 9, "Flags").
    if let (true, false, Some(s)) = (
        server.secure_unset_for_go,
        server.secure_default,
        server.secure.first(),
    ) {
        return Some(Evidence {
            path: s.path.clone(),
            text: format!(
                "{} only after a positional argument or \"--\", where Go's flag package stops reading flags, so that it may be unset ({})",
                s.shown(),
                plaintext_default(server)
            ),
        });
    }
    unknown.map(|u| Evidence {
        path: u.path.clone(),
        text: format!(
            "{:?} (it reads {}, which the policy cannot see, and may set {}=false)",
            u.written,
            u.unseen(),
            flag.flag(),
        ),
    })
}

/// Why an unset secure flag means plaintext: the dialect's `secureDefault`,
/// or `metricsSecureDefault` for a binary no entry declares.
fn plaintext_default(server: &MetricsServer) -> String {
    match server.default_source() {
        TlsSource::SecureDefaultSetting => METRICS_SECURE_DEFAULT.to_string(),
        _ => format!(
            "{} says the binary serves plaintext without it (secureDefault: false)",
            server.dialect()
        ),
    }
}

const METRICS_SECURE_DEFAULT: &str = "metricsSecureDefault: false says that a binary not declared in metricsServers serves plaintext without it; declare the binary in metricsServers if it serves TLS by default";

/// The first reading of the metrics server's address that may expose it,
/// else an unknown token that may set it.
fn metrics_exposed(
    server: &MetricsServer,
    unknown: Option<&UnknownToken>,
    host_network: bool,
) -> Option<Evidence> {
    for s in server.addresses() {
        if let Some(where_) = w3_exposed_in(server, s, host_network) {
            let port = match server.port.first() {
                Some(p) => format!(" (port {})", p.shown()),
                None => String::new(),
            };
            return Some(Evidence {
                path: s.path.clone(),
                text: format!("{}{port} {where_}", s.shown()),
            });
        }
    }
    if let Some(e) = server
        .bind
        .iter()
        .find_map(|s| empty_address(s, host_network))
    {
        return Some(e);
    }
    unknown.map(|u| Evidence {
        path: u.path.clone(),
        text: format!(
            "{:?}, which reads {} that the policy cannot see and may set the metrics address to a non-loopback one",
            u.written,
            u.unseen()
        ),
    })
}

/// What to do about metrics served in plaintext on an exposed address, in
/// the server's dialect.
fn metrics_remedy(server: &MetricsServer, host_network: bool) -> String {
    let bind = server
        .bind
        .first()
        .map_or("the metrics address", |b| b.spelled.as_ref());
    match (&server.secure_flag, server.entry) {
        (_, _) if host_network => format!(
            "serve metrics over TLS ({}), or run the pod without hostNetwork: true and \
             bind to 127.0.0.1 behind an authenticating proxy such as kube-rbac-proxy",
            server.secure_fix()
        ),
        (Some(_), None) => format!(
            "serve metrics over TLS or bind to 127.0.0.1 behind an authenticating proxy \
             such as kube-rbac-proxy ({}, or use --metrics-bind-address=127.0.0.1:PORT)",
            server.secure_fix()
        ),
        (Some(f), Some(_)) => format!(
            "serve metrics over TLS or bind to 127.0.0.1 behind an authenticating proxy \
             such as kube-rbac-proxy (set {}=true and mount a certificate, or bind \
             {bind} to 127.0.0.1; read in {})",
            f.flag(),
            server.dialect()
        ),
        (None, _) => format!(
            "bind {bind} to 127.0.0.1 behind an authenticating proxy such as \
             kube-rbac-proxy (read in {}, whose binary has no TLS flag)",
            server.dialect()
        ),
    }
}

/// The first token the policy cannot read, when it counts for W3 (SPEC 13):
/// in a container that "names" a W3 flag on its command line, or in the
/// text of its command, args or an env value (a script's variable that holds
/// the flags, or a `$FLAGS` the reading could not expand past a bound, is an
/// unknown token whose flags are in that text), or through its dialect's
/// env or configuration file (`METRICS_ADDR` is read as
/// --metrics-bind-address, SPEC 14). The text is read only for a container
/// with such a token.
fn w3_unknown<'c>(c: &'c Container) -> Option<&'c UnknownToken> {
    let server = &c.server;
    let names = || {
        W3_FLAGS
            .iter()
            .copied()
            .chain(server.names.iter().map(FlagName::flag))
    };
    let named = || {
        names().any(|f| c.cmd.mentions(f))
            || !server.bind.is_empty()
            || !server.secure.is_empty()
            || names().any(|f| text_names(c, f))
    };
    c.cmd.unknown_tokens().first().filter(|_| named())
}

fn check_container(c: &Container, host_network: bool, report: &mut Report) {
    let server = &c.server;
    // A flag the container's dialect reads as its metrics address is
    // checked once, in the dialect's form (metrics-server declared with
    // `bind-address` beside `secure-port`), not again as a generic flag.
    let metrics_address = |flag: Flag| server.names.iter().any(|n| n.flag() == flag);
    for flag in LISTEN_FLAGS {
        if !metrics_address(flag) {
            check_listen(c, flag, report);
        }
    }
    check_metrics_address(server, report);
    if !metrics_address(Flag::BIND_ADDRESS) {
        check_bind_address(c, report);
    }
    let unknown = w3_unknown(c);
    // Metrics: only when the bind address is given, or may be (SPEC 7, 13).
    // The plaintext half first: the address evidence is written only when
    // both are found (a secure server on every interface is the common case).
    if !server.bind.is_empty() || unknown.is_some() {
        let plain = metrics_plaintext(server, unknown);
        let address = plain
            .as_ref()
            .and_then(|_| metrics_exposed(server, unknown, host_network));
        if let (Some(address), Some(plain)) = (address, plain) {
            let remedy = metrics_remedy(server, host_network);
            report.forbidden(
                W3,
                address.path,
                format!(
                    "{} with {} serves metrics in plaintext and without authentication: {remedy}",
                    address.text, plain.text
                ),
            );
        }
    }
    let open = insecure_value(c, Flag::INSECURE_DIAGNOSTICS, true, unknown);
    if let Some(open) = open {
        let default = Some(DEFAULT_DIAGNOSTICS_ADDRESS);
        if let Some(mut address) =
            exposed_address(c, Flag::DIAGNOSTICS_ADDRESS, default, unknown, host_network)
        {
            if address.path == FieldPath::root() {
                address.path = open.path.clone();
            }
            let remedy = if host_network {
                "set --insecure-diagnostics=false (the default), or run the pod without \
                 hostNetwork: true and use --diagnostics-address=127.0.0.1:8443"
            } else {
                REMEDY_DIAGNOSTICS
            };
            report.forbidden(
                W3,
                address.path,
                format!(
                    "{} with {} serves the diagnostics endpoint (metrics) in plaintext and \
                     without authentication: {remedy}",
                    open.text, address.text
                ),
            );
        }
    }
}

/// W3 and W4 for every container, init container and ephemeral container.
pub(crate) fn check(workload: &Workload, _ctx: &Ctx, report: &mut Report) {
    for c in &workload.containers {
        check_container(c, workload.host_network, report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use crate::testing;
    use crate::workloads::listen::parse_host_port;
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
             # A bad address is W4, and W3 cannot place it: every interface.
             # A bad boolean is reported, not guessed.
             --metrics-bind-address=8080 --metrics-secure=false => W4@[0] W3@[0]
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
             --diagnostics-address=:http --insecure-diagnostics => W4@[0] W3@[0]
             --diagnostics-address=:http --insecure-diagnostics=false => W4@[0]",
        );
    }

    #[test]
    fn w3_messages_name_the_flags_and_the_remedy() {
        let args = "--metrics-bind-address=:8080 --metrics-secure=false --insecure-diagnostics";
        let (found, details) = manager(&args.split(' ').collect::<Vec<_>>(), json!([]));
        assert_eq!(found, "W3@[0] W3@[2]");
        assert!(details[0].starts_with(
            "--metrics-bind-address=:8080 on every interface with --metrics-secure=false"
        ));
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
        for flag in LISTEN_FLAGS.map(Flag::name) {
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

    /// W3 fails closed on an address it cannot place, whatever W4 says: Go's
    /// `net.Listen` serves `:http` on port 80 of every interface (named ports
    /// resolve through /etc/services). A loopback host stays loopback.
    #[test]
    fn w3_unplaceable_addresses_count_as_every_interface() {
        table(
            "--metrics-bind-address=:http --metrics-secure=false => W4@[0] W3@[0]
             --metrics-bind-address=metrics-host:http --metrics-secure=false => W4@[0] W3@[0]
             --metrics-bind-address=:8080x --metrics-secure=false => W4@[0] W3@[0]
             --metrics-bind-address=0.0.0.0:99999 --metrics-secure=false => W4@[0] W3@[0]
             --metrics-bind-address=[::1:8080 --metrics-secure=false => W4@[0] W3@[0]
             --metrics-bind-address=my_host:8080 --metrics-secure=false => W4@[0] W3@[0]
             --diagnostics-address=:https --insecure-diagnostics => W4@[0] W3@[0]
             # Loopback hosts with a port Go may resolve: still loopback.
             --metrics-bind-address=127.0.0.1:http --metrics-secure=false => W4@[0]
             --metrics-bind-address=localhost:8080x --metrics-secure=false => W4@[0]
             --metrics-bind-address=[::1]:metrics --metrics-secure=false => W4@[0]
             # Secure, or off: W4 alone.
             --metrics-bind-address=:http => W4@[0]
             --metrics-bind-address=:http --metrics-secure=true => W4@[0]",
        );
        let (_, details) = manager(
            &["--metrics-bind-address=:http", "--metrics-secure=false"],
            json!([]),
        );
        assert!(
            details[1].starts_with(
                "--metrics-bind-address=:http on an address the policy cannot place (the port \"http\" \
                 is not a number (service names are not accepted)), so counted as every interface \
                 with --metrics-secure=false serves metrics in plaintext"
            ),
            "{details:?}"
        );
    }

    /// An exception for W4 does not switch W3 off: through the whole review,
    /// W4 becomes the excepted warning and W3 still rejects.
    #[test]
    fn w3_is_not_excepted_with_w4() {
        let object = |address: &str, secure: &str| {
            json!({"metadata": {"name": "controller-manager", "namespace": "system"},
                "spec": {"template": {"spec": {"containers": [{"name": "manager",
                "command": ["/manager"], "args": [address, secure]}]}}}})
        };
        let settings = Settings::read(&json!({"exceptions": [{"rules": ["W4"],
            "namespaces": ["system"], "reason": "named ports are resolved by our base image"}]}))
        .unwrap();
        let args = "spec.template.spec.containers[0].args[0]";
        let (r, _) = testing::report(
            "Deployment",
            object("--metrics-bind-address=:http", "--metrics-secure=false"),
            &settings,
        );
        assert_eq!(
            testing::findings(&r),
            [("W3".to_string(), args.to_string())]
        );
        assert!(r.violations[0].detail.contains("cannot place"), "{r:?}");
        assert!(
            r.warnings[0].rule == Rule::W4 && r.warnings[0].excepted.is_some(),
            "{:?}",
            r.warnings
        );
        // Fixed: TLS on; W4 stays the excepted warning.
        let (r, _) = testing::report(
            "Deployment",
            object("--metrics-bind-address=:http", "--metrics-secure=true"),
            &settings,
        );
        assert!(r.is_clean(), "{:?}", r.violations);
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    }

    /// A hostNetwork pod (kube-proxy, node-exporter): its loopback is the
    /// node's, so W3 applies to loopback addresses too.
    #[test]
    fn w3_host_network_loopback_is_the_nodes() {
        let pod = |host_network: Value, args: &[&str]| {
            let object = json!({"spec": {"template": {"spec": {"hostNetwork": host_network,
                "containers": [{"name": "manager", "command": ["/manager"], "args": args}]}}}});
            run(
                WorkloadKind::DaemonSet,
                &object,
                "spec.template.spec.containers[0].args",
            )
        };
        let insecure_loopback = [
            "--metrics-bind-address=127.0.0.1:8080",
            "--metrics-secure=false",
        ];
        let cases: [(Value, &[&str], &str); 10] = [
            (json!(true), &insecure_loopback, "W3@[0]"),
            (
                json!(true),
                &[
                    "--metrics-bind-address=localhost:8080",
                    "--metrics-secure=false",
                ],
                "W3@[0]",
            ),
            (
                json!(true),
                &["--metrics-bind-address=[::1]:8080", "--metrics-secure=0"],
                "W3@[0]",
            ),
            (
                json!(true),
                &[
                    "--metrics-bind-address=127.0.0.1:http",
                    "--metrics-secure=false",
                ],
                "W4@[0] W3@[0]",
            ),
            (
                json!(true),
                &[
                    "--diagnostics-address=127.0.0.1:8443",
                    "--insecure-diagnostics",
                ],
                "W3@[0]",
            ),
            (
                json!(true),
                &["--metrics-bind-address=:8080", "--metrics-secure=false"],
                "W3@[0]",
            ),
            // Fixed: secure, or off.
            (json!(true), &["--metrics-bind-address=127.0.0.1:8443"], ""),
            (
                json!(true),
                &["--metrics-bind-address=0", "--metrics-secure=false"],
                "",
            ),
            // Without hostNetwork, loopback is the pod's own.
            (json!(false), &insecure_loopback, ""),
            (Value::Null, &insecure_loopback, ""),
        ];
        for (host_network, args, expected) in cases {
            assert_eq!(
                pod(host_network.clone(), args).0,
                expected,
                "{host_network} {args:?}"
            );
        }
        let (_, details) = pod(json!(true), &insecure_loopback);
        assert!(
            details[0].starts_with(
                "--metrics-bind-address=127.0.0.1:8080 on the node's loopback (because \
                 the pod sets hostNetwork: true: every process on the node can reach it) with \
                 --metrics-secure=false serves metrics in plaintext"
            ),
            "{details:?}"
        );
        assert!(
            details[0].contains("without hostNetwork: true"),
            "{details:?}"
        );
        let (_, details) = pod(
            json!(true),
            &["--metrics-bind-address=:8080", "--metrics-secure=false"],
        );
        assert!(
            details[0].contains(
                "on every interface (the node's network, because the pod sets hostNetwork: true)"
            ),
            "{details:?}"
        );
        // A hostNetwork of the wrong type is reported, and read as not set.
        let (found, _) = pod(json!("true"), &insecure_loopback);
        assert_eq!(found, "type@spec.template.spec.hostNetwork");
    }

    /// The W3 fixtures of the unplaceable and hostNetwork readings, and the
    /// `kubectl debug` ephemeral containers, through the whole review: the
    /// findings as `rule@path`, and whether the object was patched.
    #[test]
    fn w3_fixtures_through_the_review() {
        let w4_excepted = json!({"exceptions": [{"rules": ["W4"], "namespaces": ["guestbook-system"],
            "reason": "the base image resolves named ports"}]});
        let cases = [
            ("w3-kubebuilder-named-port-plaintext", json!({}), "W4@spec.template.spec.containers[0].args[0] W3@spec.template.spec.containers[0].args[0]"),
            ("w3-kubebuilder-named-port-plaintext", w4_excepted.clone(), "W3@spec.template.spec.containers[0].args[0]"),
            ("w3-kubebuilder-named-port-secure", w4_excepted, ""),
            ("w3-host-network-node-exporter-style-loopback-plaintext", json!({}), "W3@spec.template.spec.containers[0].args[0]"),
            ("w3-host-network-node-exporter-style-loopback-secure", json!({}), ""),
            ("ephemeral-kubectl-debug-manager-plaintext", json!({}), "W3@spec.ephemeralContainers[0].command[1]"),
            ("ephemeral-kubectl-debug-busybox", json!({}), ""),
            ("ephemeral-audit-debugged-pod-cert-path-not-mounted", json!({}), "W5@spec.ephemeralContainers[0].command[2]"),
        ];
        for (name, settings, expected) in cases {
            let file = format!(
                "{}/test_data/workloads/{name}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let mut req: kubewarden_policy_sdk::request::KubernetesAdmissionRequest =
                serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
            let settings = crate::review::validate_settings(&settings).unwrap();
            let v = crate::review::review(&mut req, &settings);
            let found: Vec<String> = testing::findings(&v.report)
                .into_iter()
                .map(|(rule, path)| format!("{rule}@{path}"))
                .collect();
            assert_eq!(found.join(" "), expected, "{name}");
            assert!(v.mutated.is_none(), "{name}: patched");
        }
    }

    /// Env of the SPEC 9 cases: a downward-API pod IP, a ConfigMap value,
    /// literals, a chain, and a whole flag from a ConfigMap.
    fn spec9_env() -> Value {
        json!([
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "ADDR", "valueFrom": {"configMapKeyRef": {"name": "manager-config", "key": "addr"}}},
            {"name": "EXTRA_FLAGS", "valueFrom": {"configMapKeyRef": {"name": "manager-config", "key": "flags"}}},
            {"name": "METRICS_HOST", "value": "0.0.0.0"},
            {"name": "METRICS_PORT", "value": "http"},
            {"name": "LISTEN", "value": "$(METRICS_HOST):8080"},
            {"name": "LOOPBACK", "value": "127.0.0.1:8080"},
            {"name": "SECURE", "value": "true"},
            {"name": "INSECURE", "value": "false"},
            {"name": "SECURE_FROM", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
        ])
    }

    #[test]
    fn w3_w4_read_the_resolved_command_line() {
        let cases = [
            // Downward-API pod and host IPs are known non-loopback (SPEC 9).
            ("--metrics-bind-address=$(POD_IP):8080 --metrics-secure=false", "W3@[0]"),
            ("--metrics-bind-address=$(HOST_IP):8080 --metrics-secure=false", "W3@[0]"),
            ("--bind-address=$(POD_IP)", ""),
            ("--metrics-bind-address=$(POD_IP):8443", ""),
            // Unknown addresses count as non-loopback for W3, are not checked by W4.
            ("--metrics-bind-address=$(ADDR) --metrics-secure=false", "W3@[0]"),
            ("--metrics-bind-address=$(NODE):8080 --metrics-secure=false", "W3@[0]"),
            ("--metrics-bind-address=$(ADDR)", ""),
            ("--health-probe-bind-address=$(ADDR)", ""),
            // Chained literals are known.
            ("--metrics-bind-address=$(LISTEN) --metrics-secure=false", "W3@[0]"),
            ("--metrics-bind-address=$(LOOPBACK) --metrics-secure=false", ""),
            ("--metrics-bind-address=$(METRICS_HOST):8080 --metrics-secure=false", "W3@[0]"),
            ("--metrics-bind-address=127.0.0.1:$(METRICS_PORT)", "W4@[0]"),
            // `$$` is a literal `$`; an undefined name stays as written.
            ("--metrics-bind-address=$$(METRICS_HOST):8080", "W4@[0]"),
            ("--metrics-bind-address=$(UNDEFINED):8080", "W4@[0]"),
            // Booleans: known values read as Go reads them; unknown is possibly false.
            ("--metrics-bind-address=:8080 --metrics-secure=$(SECURE)", ""),
            ("--metrics-bind-address=:8080 --metrics-secure=$(INSECURE)", "W3@[0]"),
            ("--metrics-bind-address=:8080 --metrics-secure=$(SECURE_FROM)", "W3@[0]"),
            ("--metrics-bind-address=127.0.0.1:8080 --metrics-secure=$(SECURE_FROM)", ""),
            ("--metrics-bind-address=:8080 --metrics-secure=", "invalid@[1]"),
            ("--metrics-bind-address=:8080 --metrics-secure=yes", "invalid@[1]"),
            // A whole flag from an unknown variable may set any flag, once
            // the container names one of the W3 flags.
            // (it may also be --insecure-diagnostics=true on the default :8443)
            ("--metrics-bind-address=:8080 $(EXTRA_FLAGS)", "W3@[0] W3@[1]"),
            ("--metrics-secure=false $(EXTRA_FLAGS)", "W3@[1] W3@[1]"),
            ("--leader-elect $(EXTRA_FLAGS)", ""),
            ("--metrics-bind-address=127.0.0.1:8080 --metrics-secure=false --diagnostics-address=127.0.0.1:8443 $(EXTRA_FLAGS)", "W3@[3] W3@[3]"),
            // A value flag without `=` consumes the next token, whatever it is.
            ("--metrics-secure=false --metrics-bind-address :8080", "W3@[1]"),
            ("--metrics-secure=false --metrics-bind-address --leader-elect", "W4@[1] W3@[1]"),
            ("--metrics-secure=false --metrics-bind-address", "invalid@[1]"),
            // Neither `--` nor a positional ends the reading; every reading counts.
            ("--metrics-secure=false -- --metrics-bind-address=:8080", "W3@[2]"),
            ("--metrics-secure=false run --metrics-bind-address=:8080", "W3@[2]"),
            ("--metrics-bind-address=:8080 run --metrics-bind-address=127.0.0.1:8080 --metrics-secure=false", "W3@[0]"),
            ("--metrics-bind-address=127.0.0.1:8080 --metrics-bind-address=:8080 --metrics-secure=false", "W3@[1]"),
            ("--metrics-bind-address=:8080 --metrics-bind-address=127.0.0.1:8080 --metrics-secure=false", ""),
            ("--metrics-secure=false run --metrics-secure=true --metrics-bind-address=:8080", "W3@[3]"),
            // One dash or two: the same flag.
            ("-metrics-secure=false -metrics-bind-address :8080", "W3@[1]"),
        ];
        for (args, expected) in cases {
            let args: Vec<&str> = args.split(' ').collect();
            assert_eq!(manager(&args, spec9_env()).0, expected, "{args:?}");
        }
    }

    #[test]
    fn w3_messages_name_the_variable_not_seen() {
        let cases = [
            (
                "--metrics-bind-address=$(ADDR) --metrics-secure=false",
                "$(ADDR)",
            ),
            (
                "--metrics-bind-address=$(POD_IP):8080 --metrics-secure=false",
                "pod's IP (from $(POD_IP))",
            ),
            (
                "--metrics-bind-address=:8080 --metrics-secure=$(SECURE_FROM)",
                "$(SECURE_FROM)",
            ),
            (
                "--metrics-bind-address=:8080 $(EXTRA_FLAGS)",
                "$(EXTRA_FLAGS)",
            ),
        ];
        for (args, shown) in cases {
            let args: Vec<&str> = args.split(' ').collect();
            let (_, details) = manager(&args, spec9_env());
            assert!(details[0].contains(shown), "{args:?}: {details:?}");
            assert!(details[0].contains("--metrics-"), "{details:?}");
        }
    }

    /// What "names" a W3 flag in text: a word of its own, not a comment,
    /// not a longer flag.
    #[test]
    fn text_spells_a_flag_as_a_word() {
        let name = "metrics-bind-address";
        for yes in [
            "--metrics-bind-address=:8443",
            "A='--metrics-bind-address=:1'",
            "x -metrics-bind-address :1",
            "F=--metrics-bind-address",
            "exec /m \"--metrics-bind-address\"",
        ] {
            assert!(spells(uncommented(yes), name), "{yes}");
        }
        for no in [
            "--proxy-metrics-bind-address=:9090",
            "--metrics-bind-address-v2=1",
            "# see --metrics-bind-address",
            "exec /app # --metrics-bind-address",
            "metrics-bind-address=:1",
        ] {
            assert!(!spells(uncommented(no), name), "{no}");
        }
        // A builtin's words are no binary's flags; a function may wrap one.
        let (found, _) = w3_through(
            json!(["/bin/sh", "-c"]),
            "NS=$(cat /etc/ns); if [ -n \"$NS\" ]; then echo watching $NS; fi; exec /manager --metrics-bind-address=:8443",
            false,
        );
        assert_eq!(found, "");
        let (found, _) = w3_through(
            json!(["/bin/sh", "-c"]),
            "echo() { /manager \"$@\"; }; echo --metrics-secure=false --metrics-bind-address=:8443",
            false,
        );
        assert!(found.starts_with("W3@args[0]"), "{found}");
        // An unknown token in a container that only mentions the flag in a
        // comment does not count.
        let (found, _) = w3_through(
            json!(["/bin/sh", "-c"]),
            "# see --metrics-bind-address in the chart\nexec /app --proxy-metrics-bind-address=:9090 $EXTRA",
            true,
        );
        assert_eq!(found, "");
    }

    #[test]
    fn w3_shell_scripts_are_read() {
        let script = |s: &str| {
            let object = json!({"spec": {"template": {"spec": {"containers": [
                {"name": "manager", "command": ["/bin/sh", "-c"], "args": [s],
                 "env": spec9_env()}]}}}});
            run(
                WorkloadKind::Deployment,
                &object,
                "spec.template.spec.containers[0].",
            )
        };
        let cases = [
            ("exec /manager --metrics-bind-address=:8080 --metrics-secure=false", "W3@args[0]"),
            ("set -e; exec /manager --metrics-bind-address=\"$POD_IP:8080\" --metrics-secure=false", "W3@args[0]"),
            ("GOGC=50 /manager --metrics-bind-address=${METRICS_HOST}:8080 --metrics-secure=false", "W3@args[0]"),
            // An unquoted unknown `$ADDR` may split into further words, which
            // may set any flag: diagnostics too (SPEC 13, "Unknown tokens").
            ("/manager --metrics-bind-address=$ADDR --metrics-secure=false", "W3@args[0] W3@args[0]"),
            ("/manager --metrics-bind-address=\"$ADDR\" --metrics-secure=false", "W3@args[0]"),
            ("ADDR=127.0.0.1:8080; /manager --metrics-bind-address=$ADDR --metrics-secure=false", "W3@args[0] W3@args[0]"),
            ("/manager --metrics-bind-address=127.0.0.1:8080 --metrics-secure=false # --metrics-bind-address=:8080", ""),
            ("/manager --metrics-bind-address='$LISTEN' --metrics-secure=false", "W4@args[0] W3@args[0]"),
            ("/manager --metrics-bind-address=127.0.0.1:8080 --metrics-secure=false && echo done", ""),
            // No operand after the script: "$@" is empty.
            ("/manager --metrics-bind-address=:8443 \"$@\"", ""),
            // After `shift` the positional parameters are unknown.
            ("shift; /manager --metrics-bind-address=:8443 \"$@\"", "W3@args[0] W3@args[0]"),
        ];
        for (s, expected) in cases {
            assert_eq!(script(s).0, expected, "{s}");
        }
        let (found, details) =
            script("/manager --metrics-bind-address=':8080 --metrics-secure=false");
        // Unreadable, and it names W3's flags: fails closed (for the
        // metrics server and, as with any unknown token, diagnostics).
        assert_eq!(found, "W3@args[0] W3@args[0]");
        assert!(
            details[0].contains("a shell script that cannot be read (an unbalanced quote)"),
            "{details:?}"
        );
    }

    /// W3 through a shell: `command` runs `script` (`args[0]`), with
    /// `envFrom` when asked; findings relative to the container.
    fn w3_through(command: Value, script: &str, env_from: bool) -> (String, Vec<String>) {
        let mut c = json!({"name": "manager", "command": command, "args": [script],
                           "env": spec9_env()});
        if env_from {
            c["envFrom"] = json!([{"configMapRef": {"name": "manager-config"}}]);
        }
        let object = json!({"spec": {"template": {"spec": {"containers": [c]}}}});
        run(
            WorkloadKind::Deployment,
            &object,
            "spec.template.spec.containers[0].",
        )
    }

    #[test]
    fn w3_shells_read_to_the_end() {
        let plain = "exec /manager --metrics-bind-address=:8080 --metrics-secure=false";
        let fixed = "exec /manager --metrics-bind-address=127.0.0.1:8080 --metrics-secure=false";
        let sh = || json!(["/bin/sh", "-c"]);
        // (command, rejected script, fixed script, envFrom)
        let cases = [
            // Launchers before the shell.
            (json!(["tini", "--", "sh", "-c"]), plain.to_string(), fixed.to_string(), false),
            (json!(["/sbin/tini", "-s", "--", "sh", "-c"]), plain.into(), fixed.into(), false),
            (json!(["env", "X=1", "sh", "-c"]), plain.into(), fixed.into(), false),
            (json!(["dumb-init", "--", "bash", "-c"]), plain.into(), fixed.into(), false),
            (json!(["tini", "--", "env", "X=1", "sh", "-c"]), plain.into(), fixed.into(), false),
            (json!(["gosu", "app", "busybox", "sh", "-c"]), plain.into(), fixed.into(), false),
            (json!(["timeout", "-s", "TERM", "1h", "nice", "-n", "5", "sh", "-c"]), plain.into(), fixed.into(), false),
            // Options before the script.
            (json!(["bash", "-O", "extglob", "-c"]), plain.into(), fixed.into(), false),
            (json!(["bash", "-o", "pipefail", "-c"]), plain.into(), fixed.into(), false),
            (json!(["sh", "-e", "-u", "-c"]), plain.into(), fixed.into(), false),
            (json!(["bash", "--norc", "-c"]), plain.into(), fixed.into(), false),
            (json!(["bash", "-xc"]), plain.into(), fixed.into(), false),
            // Nested shells and eval.
            (sh(), format!("bash -c '{plain}'"), format!("bash -c '{fixed}'"), false),
            (sh(), format!("sh -c \"bash -c '{plain}'\""), format!("sh -c \"bash -c '{fixed}'\""), false),
            (sh(), "eval /manager --metrics-bind-address=:8080 --metrics-secure=false".into(),
             "eval /manager --metrics-bind-address=127.0.0.1:8080 --metrics-secure=false".into(), false),
            (sh(), "eval \"/manager --metrics-bind-address=$METRICS_HOST:8080 --metrics-secure=false\"".into(),
             "eval \"/manager --metrics-bind-address=$LOOPBACK --metrics-secure=false\"".into(), false),
            // $'...' and brace expansion build the flags.
            (json!(["bash", "-c"]), "exec /manager --metrics-bind-address=:8080 $'--metrics-secure\\x3dfalse'".into(),
             "exec /manager --metrics-bind-address=127.0.0.1:8080 $'--metrics-secure\\x3dfalse'".into(), false),
            (sh(), "exec /manager --metrics-{secure=false,bind-address=:8080}".into(),
             "exec /manager --metrics-{secure=false,bind-address=127.0.0.1:8080}".into(), false),
            // An unquoted $VAR from envFrom.
            (sh(), "exec /manager --metrics-bind-address=$METRICS_ADDR --metrics-secure=false".into(),
             "exec /manager --metrics-bind-address=127.0.0.1:8080 --metrics-secure=false".into(), true),
            // A script that cannot be read, naming a W3 flag.
            (sh(), "exec /manager --metrics-bind-address=':8080 --metrics-secure=false".into(),
             "exec /manager --metrics-bind-address=':8080' --metrics-secure=true".into(), false),
            // A variable the script assigns holds the flags (SPEC 13: unknown),
            // split by the shell into words the binary reads as flags.
            (sh(), "A='--metrics-secure=false --metrics-bind-address=:8443'; exec /manager $A".into(),
             "exec /manager --metrics-secure=false --metrics-bind-address=127.0.0.1:8443".into(), false),
            (sh(), "export FLAGS='--metrics-bind-address=:8443 --metrics-secure=false'; exec /manager $FLAGS".into(),
             "export GOGC=50; exec /manager --metrics-bind-address=:8443".into(), false),
            // An unquoted unknown value splits into further words: here
            // `--metrics-secure=false --metrics-bind-address=:8443`.
            (sh(), "A='false --metrics-bind-address=:8443'; exec /manager --metrics-secure=$A".into(),
             "A='false --metrics-bind-address=:8443'; exec /manager --metrics-secure=\"$A\"".into(), false),
            (sh(), "exec /manager --metrics-bind-address $METRICS_ADDR --metrics-secure=true".into(),
             "exec /manager --metrics-bind-address \"$METRICS_ADDR\" --metrics-secure=true".into(), true),
        ];
        for (command, rejected, accepted, env_from) in cases {
            let (found, details) = w3_through(command.clone(), &rejected, env_from);
            assert!(
                found.starts_with("W3@args[0]") && found.split(' ').all(|f| f == "W3@args[0]"),
                "{command} {rejected}: {found} {details:?}"
            );
            let (found, details) = w3_through(command.clone(), &accepted, env_from);
            assert_eq!(found, "", "{command} {accepted}: {details:?}");
        }
        // The messages name what the policy could not see.
        let (_, details) = w3_through(
            sh(),
            "exec /manager --metrics-bind-address=$METRICS_ADDR --metrics-secure=false",
            true,
        );
        assert!(
            details[0].contains("it reads $(METRICS_ADDR), whose value"),
            "{details:?}"
        );
        let (_, details) = w3_through(
            sh(),
            "exec /manager --metrics-bind-address=':8080 --metrics-secure=false",
            false,
        );
        assert!(
            details[0].starts_with(
                "--metrics-bind-address=<unread> on an address the policy cannot see (it reads \
                 a shell script that cannot be read (an unbalanced quote), whose value"
            ),
            "{details:?}"
        );
        // An unreadable script in a container that names no W3 flag only warns.
        let (found, details) = w3_through(sh(), "exec /manager --leader-elect='", false);
        assert_eq!(found, "");
        assert!(
            details[0].starts_with("the shell script is not read: "),
            "{details:?}"
        );
        let object = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "manager", "command": sh(), "args": ["exec /manager --leader-elect='"]}]}}}});
        let r = testing::workload_report(
            check,
            WorkloadKind::Deployment,
            &object,
            &Settings::default(),
        );
        let rules: Vec<Rule> = r.warnings.iter().map(|w| w.rule).collect();
        assert_eq!(rules, [Rule::Invalid], "{r:?}");
    }
}
