//! Listen addresses as the binaries read them (SPEC 9, "Fail closed" and
//! "Loopback servers are not exposed"): `host:port` as Go's
//! `net.SplitHostPort` splits it, a bare host, and whether a reading of the
//! command line may expose its server beyond the pod ([`exposed`],
//! [`exposed_in`]). The command-line model's reading of an address: W3, W4
//! and X3 read it.

use super::cmdline::{Setting, Val};
use crate::dialect::AddressForm;
use crate::names;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The host part of a `host:port` listen address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Host {
    /// An empty host: every interface.
    Any,
    Ip(IpAddr),
    /// A DNS name, in lower case.
    Name(String),
}

/// A controller-runtime listen address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Listen {
    /// `0`: the server is off.
    Off,
    On(Host, u16),
}

/// Parses `host:port` as Go's `net.SplitHostPort` splits it, with the host
/// restricted to empty, IPv4, bracketed IPv6 or a DNS name and the port to
/// digits 0-65535. The error says what is wrong.
pub(crate) fn parse_host_port(addr: &str) -> Result<(Host, u16), String> {
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

pub(crate) fn parse_host(host: &str) -> Result<Host, String> {
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

/// A bare host (the `host` address form, its port in a flag of its own):
/// `parse_host`'s, and an IPv6 address with or without brackets (`::1`,
/// `[::]`), which is an IP address too (SPEC 16, "W4 is functional").
pub(crate) fn parse_bare_host(host: &str) -> Result<Host, String> {
    let inner = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match inner.parse::<Ipv6Addr>() {
        Ok(ip) => Ok(Host::Ip(IpAddr::V6(ip))),
        Err(_) => parse_host(host),
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
pub(crate) fn parse_listen(addr: &str) -> Result<Listen, String> {
    if addr == "0" {
        return Ok(Listen::Off);
    }
    parse_host_port(addr).map(|(h, p)| Listen::On(h, p))
}

/// Whether a listen host is reachable only from inside the pod:
/// `127.0.0.0/8`, `::1` (also IPv4-mapped) or `localhost`.
pub(crate) fn is_loopback_host(host: &Host) -> bool {
    match host {
        Host::Any => false,
        Host::Ip(IpAddr::V4(ip)) => ip.is_loopback(),
        Host::Ip(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Host::Name(name) => name == "localhost",
    }
}

/// Where a host listens, for messages; `ips` are the downward-API variables
/// the address reads (then the host is the pod's or node's IP).
pub(crate) fn describe(host: &Host, ips: &[String]) -> String {
    match host {
        _ if !ips.is_empty() => format!(
            "on the pod's IP (from $({})), which other pods can reach",
            ips.join("), $(")
        ),
        Host::Any => "on every interface".into(),
        Host::Ip(ip) if ip.is_unspecified() => "on every interface".into(),
        Host::Ip(_) => "on an address other pods can reach".into(),
        Host::Name(n) => format!("on {n}, which is not loopback"),
    }
}

/// Whether a listen-address reading may expose its server beyond the pod
/// (SPEC 9, "Fail closed" and "Loopback servers are not exposed"): a known
/// non-loopback address, or an unknown one. `None` for loopback, `0`, or an
/// address W4 refuses. The text says where it listens.
pub(crate) fn exposed(s: &Setting) -> Option<String> {
    match &s.value {
        Val::Unknown(_) => Some(format!(
            "on an address the policy cannot see (it reads {}, whose value is not in the object), counted as non-loopback",
            s.unseen()
        )),
        Val::Known(v) => match parse_listen(v) {
            Ok(Listen::On(host, _)) if !is_loopback_host(&host) => Some(describe(&host, &s.ips)),
            _ => None,
        },
    }
}

/// Whether a metrics address reading may expose its server, in the
/// server's address form `form` (see [`exposed`]); a bare host that cannot be
/// placed counts as every interface.
pub(crate) fn exposed_in(form: AddressForm, s: &Setting) -> Option<String> {
    match (form, &s.value) {
        (AddressForm::HostPort, _) | (_, Val::Unknown(_)) => exposed(s),
        (AddressForm::Host, Val::Known(v)) => match parse_bare_host(v) {
            Ok(host) if is_loopback_host(&host) => None,
            Ok(host) => Some(describe(&host, &s.ips)),
            Err(_) => Some(format!(
                "on {v:?}, which the policy cannot place, counted as every interface"
            )),
        },
    }
}
