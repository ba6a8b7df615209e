//! Answers the policy's Kubernetes host calls from a recorded session, in the
//! format `kwctl run --replay-host-capabilities-interactions SESSION.yml`
//! reads (what `--record-host-capabilities-interactions` writes):
//!
//! ```yaml
//! - type: Exchange
//!   request: |
//!     !KubernetesListResourceNamespace
//!     api_version: cert-manager.io/v1
//!     kind: Certificate
//!     namespace: kueue-system
//!     label_selector: null
//!     field_selector: null
//!     field_masks: [metadata.name, spec.secretName]
//!   response:
//!     type: Success          # or: type: Error, message: ...
//!     payload: '{"items": [...]}'
//! ```
//!
//! Like kwctl, exchanges are replayed in order: each host call must equal
//! the next recorded request (fields compared as values, an absent optional
//! field as `null`, `field_masks` as a set), else the call fails.
//!
//! `policy-host bench` replays the whole session for every `validate` call
//! ([`Session::rewind`] before each), where kwctl replays it once and answers
//! every later lookup "the list of recorded responses is empty";
//! [`Session::replayed`] tells whether a call used the session exactly.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use yaml_rust2::{Yaml, YamlLoader};

/// One recorded exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The request's tag (`KubernetesListResourceNamespace`, ...).
    pub tag: String,
    /// The request's fields.
    pub fields: Map<String, Value>,
    /// The payload of a `Success`, or the message of an `Error`.
    pub response: Result<String, String>,
}

/// A recorded session and how far it has been replayed.
#[derive(Debug, Default)]
pub struct Session {
    exchanges: Vec<Exchange>,
    cursor: Mutex<Cursor>,
}

/// The next exchange to replay, the first call that did not match, and the
/// time spent answering since the last rewind.
#[derive(Debug, Default)]
struct Cursor {
    next: usize,
    failed: Option<String>,
    answering: Duration,
}

fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        _ => String::new(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Yaml::Alias(_) | Yaml::Null | Yaml::BadValue => Value::Null,
    }
}

/// The tag and fields of a recorded request (`!Tag` then a YAML mapping).
fn parse_request(text: &str) -> Result<(String, Map<String, Value>), String> {
    let text = text.trim_start();
    let rest = text
        .strip_prefix('!')
        .ok_or("a recorded request starts with its type tag, e.g. !KubernetesGetResource")?;
    let (tag, body) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let docs = YamlLoader::load_from_str(body).map_err(|e| format!("request of {tag}: {e}"))?;
    let fields = match docs.first().map(to_json) {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(format!("request of {tag}: expected a mapping of fields")),
    };
    Ok((tag.to_string(), fields))
}

fn parse_exchange(i: usize, y: &Yaml) -> Result<Exchange, String> {
    let at = |what: &str| format!("exchange {i}: {what}");
    if y["type"].as_str() != Some("Exchange") {
        return Err(at("type must be Exchange"));
    }
    let request = y["request"]
        .as_str()
        .ok_or_else(|| at("request must be a string"))?;
    let (tag, fields) = parse_request(request).map_err(|e| at(&e))?;
    let response = &y["response"];
    let response = match response["type"].as_str() {
        Some("Success") => Ok(response["payload"]
            .as_str()
            .ok_or_else(|| at("a Success response needs a payload string"))?
            .to_string()),
        Some("Error") => Err(response["message"].as_str().unwrap_or("").to_string()),
        _ => return Err(at("response type must be Success or Error")),
    };
    Ok(Exchange {
        tag,
        fields,
        response,
    })
}

impl Session {
    pub fn parse(text: &str) -> Result<Session, String> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
        let exchanges = match docs.first() {
            None | Some(Yaml::Null) => Vec::new(),
            Some(Yaml::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, y)| parse_exchange(i, y))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("a session is a list of exchanges".to_string()),
        };
        Ok(Session {
            exchanges,
            cursor: Mutex::default(),
        })
    }

    /// How many exchanges the session holds.
    pub fn len(&self) -> usize {
        self.exchanges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exchanges.is_empty()
    }

    /// Starts the replay again from the first exchange.
    pub fn rewind(&self) {
        let mut cursor = self.cursor.lock().unwrap_or_else(|e| e.into_inner());
        *cursor = Cursor::default();
    }

    /// The time the host spent answering lookups since the last rewind
    /// (reading each request, comparing it, copying the recorded payload).
    pub fn answering(&self) -> Duration {
        self.cursor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .answering
    }

    /// `Ok` when every host call since the last rewind matched its recorded
    /// request and every exchange was replayed; else what went wrong.
    pub fn replayed(&self) -> Result<(), String> {
        let cursor = self.cursor.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(failed) = &cursor.failed {
            return Err(failed.clone());
        }
        match self.exchanges.len() - cursor.next {
            0 => Ok(()),
            left => Err(format!(
                "{left} of the {} recorded exchanges not replayed (the policy made {} lookups)",
                self.exchanges.len(),
                cursor.next
            )),
        }
    }

    pub fn load(path: &Path) -> Result<Session, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read host capabilities interactions file {}: {e}",
                path.display()
            )
        })?;
        Session::parse(&text)
            .map_err(|e| format!("cannot deserialize contents of {}: {e}", path.display()))
    }

    /// Answers one `kubewarden/kubernetes/<operation>` call with the next
    /// recorded response (a recorded `Error` is an `Err` too); a call that
    /// does not match its exchange fails, and [`Session::replayed`] says so.
    pub fn answer(&self, operation: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
        let start = Instant::now();
        let mut cursor = self.cursor.lock().unwrap_or_else(|e| e.into_inner());
        let answer = match self.next_response(&mut cursor, operation, payload) {
            Ok(recorded) => recorded.clone().map(String::into_bytes),
            Err(error) => {
                cursor.failed.get_or_insert_with(|| error.clone());
                Err(error)
            }
        };
        cursor.answering += start.elapsed();
        answer
    }

    /// The recorded response to this call, or why the call does not match.
    fn next_response(
        &self,
        cursor: &mut Cursor,
        operation: &str,
        payload: &[u8],
    ) -> Result<&Result<String, String>, String> {
        let tag = match operation {
            "list_resources_by_namespace" => "KubernetesListResourceNamespace",
            "list_resources_all" => "KubernetesListResourceAll",
            "get_resource" => "KubernetesGetResource",
            "can_i" => "KubernetesCanI",
            other => return Err(format!("unknown kubernetes operation {other}")),
        };
        let request: Map<String, Value> = serde_json::from_slice(payload)
            .map_err(|e| format!("cannot read the {operation} request: {e}"))?;
        let next = self
            .exchanges
            .get(cursor.next)
            .ok_or("the list of recorded responses is empty")?;
        cursor.next += 1;
        if next.tag != tag || !same_fields(&next.fields, &request) {
            return Err(format!(
                "Replay error: unexpected request. Was expecting {} {}, got {tag} {}",
                next.tag,
                Value::Object(next.fields.clone()),
                Value::Object(request)
            ));
        }
        Ok(&next.response)
    }
}

/// A field as compared: `field_masks` (a set) sorted.
fn normal(key: &str, v: Option<&Value>) -> Value {
    match (key, v) {
        (_, None) => Value::Null,
        ("field_masks", Some(Value::Array(items))) => {
            let mut items = items.clone();
            items.sort_by_key(|v| v.to_string());
            items.dedup();
            Value::Array(items)
        }
        (_, Some(v)) => v.clone(),
    }
}

fn same_fields(recorded: &Map<String, Value>, request: &Map<String, Value>) -> bool {
    recorded
        .keys()
        .chain(request.keys())
        .all(|k| normal(k, recorded.get(k)) == normal(k, request.get(k)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SESSION: &str = r#"
- type: Exchange
  request: |
    !KubernetesListResourceNamespace
    api_version: v1
    kind: Service
    namespace: ns
    label_selector: null
    field_selector: null
    field_masks:
    - metadata.name
  response:
    type: Success
    payload: '{"items": [{"metadata": {"name": "svc"}}]}'
- type: Exchange
  request: |
    !KubernetesGetResource
    api_version: v1
    kind: Namespace
    name: x
  response:
    type: Error
    message: not found
"#;

    fn list(ns: &str) -> Vec<u8> {
        json!({"api_version": "v1", "kind": "Service", "namespace": ns,
               "label_selector": null, "field_selector": null, "field_masks": ["metadata.name"]})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn replays_in_order() {
        let s = Session::parse(SESSION).unwrap();
        let a = s
            .answer("list_resources_by_namespace", &list("ns"))
            .unwrap();
        assert!(String::from_utf8(a).unwrap().contains("svc"));
        let get = json!({"api_version": "v1", "kind": "Namespace", "name": "x",
                         "namespace": null, "disable_cache": null, "field_masks": null});
        let err = s
            .answer("get_resource", get.to_string().as_bytes())
            .unwrap_err();
        assert_eq!(err, "not found");
        let err = s
            .answer("list_resources_by_namespace", &list("ns"))
            .unwrap_err();
        assert!(err.contains("empty"), "{err}");
        assert_eq!(
            s.replayed().unwrap_err(),
            "the list of recorded responses is empty"
        );
    }

    #[test]
    fn rewind_replays_the_session_again_and_replayed_checks_it() {
        let s = Session::parse(SESSION).unwrap();
        assert_eq!(s.len(), 2);
        for _ in 0..3 {
            s.rewind();
            let err = s.replayed().unwrap_err();
            assert_eq!(
                err,
                "2 of the 2 recorded exchanges not replayed (the policy made 0 lookups)"
            );
            let a = s
                .answer("list_resources_by_namespace", &list("ns"))
                .unwrap();
            assert!(String::from_utf8(a).unwrap().contains("svc"));
            assert!(s.replayed().unwrap_err().starts_with("1 of the 2"));
            let get = json!({"api_version": "v1", "kind": "Namespace", "name": "x"});
            assert!(s
                .answer("get_resource", get.to_string().as_bytes())
                .is_err());
            // A recorded Error is an answer replayed as recorded.
            assert_eq!(s.replayed(), Ok(()));
            assert!(s.answering() > Duration::ZERO);
        }
        // A call that does not match is remembered until the next rewind.
        s.rewind();
        assert!(s
            .answer("list_resources_by_namespace", &list("other"))
            .is_err());
        assert!(s.answer("get_resource", b"{}").is_err());
        assert!(s
            .replayed()
            .unwrap_err()
            .starts_with("Replay error: unexpected request"));
        s.rewind();
        assert_eq!(s.answering(), Duration::ZERO);
        let empty = Session::parse("[]").unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.replayed(), Ok(()));
    }

    #[test]
    fn an_unexpected_request_fails() {
        let s = Session::parse(SESSION).unwrap();
        let err = s
            .answer("list_resources_by_namespace", &list("other"))
            .unwrap_err();
        assert!(err.starts_with("Replay error: unexpected request"), "{err}");
    }

    #[test]
    fn bad_sessions_are_refused() {
        assert!(Session::parse("- type: Other").is_err());
        assert!(Session::parse(
            "- type: Exchange\n  request: 'no tag'\n  response: {type: Success, payload: ''}"
        )
        .is_err());
        assert!(Session::parse("{}").is_err());
        assert!(Session::parse("").is_ok());
    }
}
