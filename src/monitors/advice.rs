//! The `serverName` advice of a monitor (SPEC 16): the Service a monitor's
//! selector matches, looked up through the request's lookups, for the words
//! of W-serverName and M1. A leaf of `monitors`: the rules read it.

use super::kinds::ScrapeKind;
use crate::cluster::Lookups;
use crate::report::FieldPath;
use crate::rule::Rule;
use crate::view::Obj;

/// At most this many namespaces are looked up for the `serverName` advice;
/// past it the advice is the generic one.
const MAX_ADVICE_NAMESPACES: usize = 4;

/// The `serverName` advice for a monitor (SPEC 16): with lookups available
/// and the monitor's `spec.selector` matching exactly one Service in the
/// namespaces it selects, `<that service>.<its namespace>.svc`; otherwise no
/// guessed Service ("a DNS name the target's certificate carries"). Only
/// kinds that select Services (ServiceMonitor, VMServiceScrape) look up;
/// `namespaceSelector.any: true` selects no single namespace and looks up
/// nothing. The lookup is made only when a message needs the advice, at
/// most once per namespace (the request's [`crate::cluster::Lookups`]
/// cache), and only for [`MAX_ADVICE_NAMESPACES`] namespaces.
#[derive(Clone, Debug)]
pub(crate) struct ServerNameAdvice<'a> {
    /// `spec.selector`, when the kind selects Services.
    selector: Option<Option<&'a serde_json::Value>>,
    /// The namespaces of the scraped Services; `None` for any namespace.
    namespaces: Option<Vec<&'a str>>,
    lookups: Option<&'a Lookups<'a>>,
    found: std::cell::OnceCell<Option<String>>,
}

impl<'a> ServerNameAdvice<'a> {
    pub(crate) fn new(
        kind: &ScrapeKind,
        spec: &Obj<'a>,
        namespaces: Option<Vec<&'a str>>,
        lookups: Option<&'a Lookups<'a>>,
    ) -> Self {
        let selects_services = matches!(kind.kind, "ServiceMonitor" | "VMServiceScrape");
        ServerNameAdvice {
            selector: selects_services.then(|| spec.get("selector")),
            namespaces,
            lookups,
            found: std::cell::OnceCell::new(),
        }
    }

    /// `<service>.<namespace>.svc` of the one Service the selector matches,
    /// if lookups can tell; `at` is the field that needs it (for the
    /// request's one warning when the lookup fails).
    pub(crate) fn service(&self, at: &FieldPath) -> Option<&str> {
        self.found.get_or_init(|| self.look_up(at)).as_deref()
    }

    fn look_up(&self, at: &FieldPath) -> Option<String> {
        let (Some(selector), Some(namespaces), Some(lookups)) =
            (self.selector, &self.namespaces, self.lookups)
        else {
            return None;
        };
        if namespaces.is_empty() || namespaces.len() > MAX_ADVICE_NAMESPACES {
            return None;
        }
        let mut matched = None;
        for (i, ns) in namespaces.iter().enumerate() {
            if namespaces[..i].contains(ns) {
                continue;
            }
            for svc in lookups.services(ns, (Rule::WServerName, at))? {
                if selector_matches(selector, &svc.labels)? {
                    if matched.is_some() {
                        return None;
                    }
                    matched = Some(format!("{}.{ns}.svc", svc.name));
                }
            }
        }
        matched
    }

    /// The step that sets `serverName`, for a message.
    pub(crate) fn step(&self, at: &FieldPath) -> String {
        match self.service(at) {
            Some(name) => format!("set serverName: {name}"),
            None => "set serverName to a DNS name the target's certificate carries".to_string(),
        }
    }
}

/// Whether a label selector (`matchLabels`, `matchExpressions` with `In`,
/// `NotIn`, `Exists`, `DoesNotExist`) matches `labels`; `None` when the
/// selector cannot be read (a wrong type, another operator): then the
/// advice names no Service. An absent or empty selector matches every
/// Service, as prometheus-operator reads it.
pub(crate) fn selector_matches(
    selector: Option<&serde_json::Value>,
    labels: &std::collections::BTreeMap<String, String>,
) -> Option<bool> {
    use serde_json::Value;
    let sel = match selector {
        None | Some(Value::Null) => return Some(true),
        Some(Value::Object(m)) => m,
        Some(_) => return None,
    };
    match sel.get("matchLabels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                if labels.get(k).map(String::as_str) != Some(v.as_str()?) {
                    return Some(false);
                }
            }
        }
        Some(_) => return None,
    }
    let exprs = match sel.get("matchExpressions") {
        None | Some(Value::Null) => return Some(true),
        Some(Value::Array(a)) => a,
        Some(_) => return None,
    };
    for e in exprs {
        let key = e.get("key")?.as_str()?;
        let values = || -> Option<Vec<&str>> {
            match e.get("values") {
                None | Some(Value::Null) => Some(Vec::new()),
                Some(Value::Array(a)) => a.iter().map(Value::as_str).collect(),
                Some(_) => None,
            }
        };
        let value = labels.get(key).map(String::as_str);
        let ok = match e.get("operator")?.as_str()? {
            "In" => value.is_some_and(|v| values().is_some_and(|vs| vs.contains(&v))),
            "NotIn" => {
                let vs = values()?;
                value.is_none_or(|v| !vs.contains(&v))
            }
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => return None,
        };
        if !ok {
            return Some(false);
        }
    }
    Some(true)
}
