//! The client settings of service-discovery configs (ScrapeConfig and
//! VMScrapeConfig `spec.*SDConfigs[i]`, SPEC 10).
//!
//! Prometheus talks to a discovery server with the SD config's own HTTP
//! client, not the scrape's: its TLS config is checked by M1, M3, M7 (and
//! M9), as SPEC 10 says for `spec.*SDConfigs[i].tlsConfig`; its
//! credentials (`authorization`, `basicAuth`, `oauth2`, Consul's
//! `tokenRef`) sent in plaintext or to an unverified server are M5, read as
//! section 3 reads an endpoint's; its OAuth2 is checked as an endpoint's
//! (SPEC 10 "OAuth2"); and with `denyFileReferences` its file fields are
//! M10 (VictoriaMetrics' CRD has them; prometheus-operator's has none).
//!
//! Where the discovery server is reached over http: a `url`, `apiServer`,
//! `server` or `host` that starts with `http://`, or a Consul SD config
//! whose `scheme` is `http` or absent (Prometheus' Consul default is http).

use super::endpoint::{files_in_order, push_tls_files, read_client, Client};
use super::kinds::ScrapeKind;
use super::rules;
use super::tls::{read_tls, TlsView};
use crate::report::{FieldPath, Report};
use crate::rule::Rule;
use crate::settings::Settings;
use crate::view::Obj;

/// The fields of an SD config that send credentials to its server.
const SD_CREDENTIALS: [&str; 4] = ["authorization", "basicAuth", "oauth2", "tokenRef"];

/// The fields that hold the discovery server's URL.
const SD_URLS: [&str; 4] = ["url", "apiServer", "server", "host"];

/// One service-discovery config as the rules see it.
#[derive(Clone, Debug)]
pub(crate) struct SdView<'a> {
    pub(crate) path: FieldPath,
    pub(crate) tls: Option<TlsView<'a>>,
    pub(crate) client: Client<'a>,
    /// Where the config says the server is reached over http, and why.
    pub(crate) http: Option<(FieldPath, String)>,
}

/// Reads one SD config of the list `key` (`httpSDConfigs`, ...).
pub(crate) fn read<'a>(
    sd: &Obj<'a>,
    key: &str,
    kind: &ScrapeKind,
    report: &mut Report,
) -> SdView<'a> {
    let tls = sd
        .obj("tlsConfig", report)
        .map(|t| read_tls(&t, kind.tls_names, report));
    let mut client = read_client(sd, &SD_CREDENTIALS, kind, report);
    if let Some(t) = &tls {
        push_tls_files(&mut client.files, kind, t);
    }
    files_in_order(&mut client.files);
    let mut http = None;
    for field in SD_URLS {
        if let Some(url) = sd.str(field, report) {
            if http.is_none() && rules::is_http_url(url) {
                http = Some((sd.path_of(field), format!("{field} is {url}")));
            }
        }
    }
    if key == "consulSDConfigs" && http.is_none() {
        match sd.str("scheme", report) {
            None => {
                http = Some((
                    sd.path_of("scheme"),
                    "scheme is not set, which Consul discovery reads as http".to_string(),
                ))
            }
            Some(s) if s.eq_ignore_ascii_case("http") => {
                http = Some((sd.path_of("scheme"), format!("scheme is {s}")))
            }
            Some(_) => {}
        }
    }
    SdView {
        path: sd.path.clone(),
        tls,
        client,
        http,
    }
}

/// Every rule on one SD config's client settings.
pub(crate) fn check(sd: &SdView, settings: &Settings, report: &mut Report) {
    if let Some(t) = &sd.tls {
        rules::check_tls_source(t, settings, false, report);
    }
    m5_sd_credentials(sd, report);
    if let Some(o) = &sd.client.oauth2 {
        rules::oauth2_checks(o, settings, report);
    }
    rules::m10_files(&sd.client.files, settings, report);
}

/// M5: credentials sent to the discovery server over http, or to one whose
/// certificate is not verified. Never relaxed by `allowInsecureSkipVerify`.
fn m5_sd_credentials(sd: &SdView, report: &mut Report) {
    let skip = sd.tls.as_ref().is_some_and(|t| t.insecure_skip_verify);
    let why = match (&sd.http, skip) {
        (Some((_, why)), true) => format!("in plaintext ({why}) and without verifying the server"),
        (Some((_, why)), false) => {
            format!("in plaintext ({why}), readable by anyone on the network path")
        }
        (None, true) => "to a server whose certificate is not verified (tlsConfig.insecureSkipVerify: true), so whoever answers receives them".to_string(),
        (None, false) => return,
    };
    let todo = if sd.http.is_some() {
        "use the discovery server's https URL (and verify it), or remove the credentials if it does not need them"
    } else {
        "verify the discovery server (tlsConfig.ca) and remove insecureSkipVerify"
    };
    for c in &sd.client.credentials {
        report.forbidden(
            Rule::M5,
            sd.path.child(c.field),
            format!(
                "{} sends the service-discovery credentials {why}; {todo}",
                c.field
            ),
        );
    }
}
