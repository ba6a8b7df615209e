//! KEP-4377's family, Kueue, JobSet and LeaderWorkerSet (SPEC 15): which
//! controller a `Configuration` belongs to, and the text of a ConfigMap's
//! `binaryData` as the controllers read it. A leaf: X4 (`kueue`, the
//! ConfigMap) and a manager's configuration file (`workloads::config_file`)
//! both read the family here, neither from the other.

use base64::Engine;
use yaml_reader::Unread;

/// A controller of KEP-4377's family (SPEC 15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Controller {
    Kueue,
    JobSet,
    LeaderWorkerSet,
}

const FAMILY: [Controller; 3] = [
    Controller::Kueue,
    Controller::JobSet,
    Controller::LeaderWorkerSet,
];

impl Controller {
    /// The API group of its `Configuration`.
    pub(crate) fn group(self) -> &'static str {
        match self {
            Controller::Kueue => "config.kueue.x-k8s.io",
            Controller::JobSet => "config.jobset.x-k8s.io",
            Controller::LeaderWorkerSet => "config.lws.x-k8s.io",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Controller::Kueue => "Kueue",
            Controller::JobSet => "JobSet",
            Controller::LeaderWorkerSet => "LeaderWorkerSet",
        }
    }

    /// Whether its Configuration names the metrics certificate directory
    /// (`metrics.certDir`): JobSet's does (its manager has no flag for
    /// it); Kueue's directory is fixed (`/etc/kueue/metrics/certs`) and
    /// LeaderWorkerSet's `metrics` has no such field.
    pub(crate) fn names_metrics_cert_dir(self) -> bool {
        matches!(self, Controller::JobSet)
    }

    /// The controller whose Configuration has this `apiVersion` (any version).
    pub(crate) fn of_api_version(api_version: &str) -> Option<Controller> {
        FAMILY.into_iter().find(|c| {
            api_version
                .strip_prefix(c.group())
                .and_then(|v| v.strip_prefix('/'))
                .is_some_and(|v| !v.is_empty())
        })
    }

    /// The first controller whose group `text` mentions.
    pub(crate) fn mentioned_in(text: &str) -> Option<Controller> {
        FAMILY.into_iter().find(|c| text.contains(c.group()))
    }
}

/// The text of a `binaryData` value (base64, as the API server stores it):
/// UTF-8, or UTF-16 with a byte order mark (go-yaml reads both). Bytes that
/// are neither are returned lossily with the reason go-yaml refuses them.
pub(crate) fn binary_text(encoded: &str) -> Option<(String, Option<Unread>)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let utf16 = |be: bool| {
        let units = bytes[2..].chunks_exact(2).map(|p| {
            if be {
                u16::from_be_bytes([p[0], p[1]])
            } else {
                u16::from_le_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    Some(match bytes.get(..2) {
        Some([0xfe, 0xff]) => (utf16(true), None),
        Some([0xff, 0xfe]) => (utf16(false), None),
        _ => match String::from_utf8(bytes) {
            Ok(s) => (s, None),
            Err(e) => (
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
                Some(Unread("the value is not UTF-8 text".into())),
            ),
        },
    })
}
