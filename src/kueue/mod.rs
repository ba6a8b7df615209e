//! X4: certificate management of KEP-4377's family, Kueue, JobSet and
//! LeaderWorkerSet (SPEC sections 12, 13 and 15).
//!
//! A ConfigMap whose `data` (or base64 `binaryData`) holds a `Configuration`
//! of the family (a YAML document with `kind: Configuration` and `apiVersion`
//! `config.kueue.x-k8s.io/<v>`, `config.jobset.x-k8s.io/<v>` or
//! `config.lws.x-k8s.io/<v>`, any version, under any key, possibly one of
//! several documents) is judged on its `internalCertManagement.enable`
//! (absent means `true`, the controllers' default):
//!
//! - `external` mode: `true` is rejected (the controller would serve
//!   self-signed metrics and webhook certificates);
//! - `internal` mode: `false` is rejected;
//! - `auto` mode: `true` is rejected when a metrics Certificate exists in the
//!   ConfigMap's namespace (KEP-4377's unsupported mix). This needs a lookup,
//!   so it is skipped with `crossObjectChecks: false`.
//!
//! The controllers decode the file with `sigs.k8s.io/yaml` (go-yaml v2):
//! `yaml_reader` reads it the same way (documents in order, the last of
//! repeated keys, merge keys, YAML 1.1 booleans: `enable: yes` is `true`, a
//! quoted `"true"` is a string, so a `type` violation at `data[<key>]`),
//! bounded per request. SPEC 13: every document that parses is judged.
//!
//! **The prefilter.** ConfigMaps are written often, so a value is parsed only
//! when it can hold a Configuration: when both a family group and
//! `Configuration` appear in it as written (`names_family`), or when a
//! scalar's text may differ from its source (`may_be_spelled`). The text of
//! a YAML scalar differs from its source only through a double-quoted
//! escape (`\x2d`, `\u0061`, a `\` line continuation: any character can be
//! spelled so, so no substring is guaranteed to remain, only the `\` and the
//! quote) or a tag (`!!binary` is base64; a `%TAG` directive is used through
//! a `!` handle; a tag stands where a node begins, see `may_hold_tag`).
//! Line folding only ever inserts spaces or line breaks, and single quotes
//! only double a `'`. So a value without both `\` and `"`, and without a `!`
//! where a node begins, holds a family Configuration only if both words
//! appear as written. Any other ConfigMap costs a few byte searches per
//! value; PromQL's `!=` and a script's `#!` do not make it parsed.
//!
//! **Fail closed.** When a value names a family Configuration (as written,
//! or in the text of its decoded scalars) but no Configuration could be
//! decoded from it, because of a syntax error, a document go-yaml refuses
//! (excessive aliasing, an alias cycle, a merge of a non-mapping) or a
//! bound, X4 treats `enable` as unknown: it could be either, so the value is
//! rejected in `external` and `internal` mode, and in `auto` mode when a
//! metrics Certificate exists, saying what could not be read. A value the
//! prefilter does not match is never parsed.

use crate::cluster::Lookups;
use crate::context::Ctx;
use crate::family::{binary_text, Controller};
use crate::report::{ErrorType, FieldPath, Report};
use crate::rule::Rule;
use crate::settings::{CertManagement, Settings};
use crate::view::Obj;
use yaml_reader::{self as yaml, Budget, Document, NodeId, Unread, Value};

/// What one Configuration says about certificate management.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reading {
    /// `internalCertManagement.enable` (absent: `true`).
    Enable(bool),
    /// A field on the way to `enable` has the wrong type: the field and what
    /// was found.
    WrongType(&'static str, &'static str),
    /// The value names a Configuration that could not be read, and why:
    /// `enable` is unknown.
    Unreadable(String),
}

/// A Configuration of the family found in a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) controller: Controller,
    pub(crate) reading: Reading,
}

/// Both a family group and `Configuration` appear as written.
fn names_family(text: &str) -> Option<Controller> {
    // Each `C`, found by memchr: every ConfigMap of the cluster comes
    // here, and `str::contains` sets up a general substring search each
    // time (2,100 of a plain ConfigMap's 6,000 instructions over its parse;
    // `memchr::memmem` more).
    let b = text.as_bytes();
    if !memchr::memchr_iter(b'C', b).any(|i| b[i..].starts_with(b"Configuration")) {
        return None;
    }
    Controller::mentioned_in(text)
}

/// A scalar's text may differ from its source: a `\` escape (only a
/// double-quoted scalar has them, so with a `"` too) or a `!` that may be a
/// tag (`may_hold_tag`).
fn may_be_spelled(text: &str) -> bool {
    let b = text.as_bytes();
    (crate::bytes::find(b, b'\\').is_some() && crate::bytes::find(b, b'"').is_some())
        || may_hold_tag(b)
}

/// Whether a `!` may begin a tag: a tag is a node's property, so it stands
/// where a node begins, after (spaces and) a line start, `:`, `-`, `?`, `[`,
/// `{` or `,`, or after the node's other property, an anchor `&name`. A `!`
/// after anything else (`a != b`, `{x!="y"}`, `#!/bin/sh`) is text. A `!`
/// right after another `!` counts as a tag (`!!binary`, conservatively
/// `a!!`). Linear: each `!` looks back over its spaces and over its token
/// only as far as the token's previous `!`.
fn may_hold_tag(b: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = crate::bytes::find(&b[from..], b'!') {
        let at = from + i;
        from = at + 1;
        let mut j = at;
        while j > 0 && matches!(b[j - 1], b' ' | b'\t') {
            j -= 1;
        }
        if j == 0
            || matches!(
                b[j - 1],
                b'\n' | b'\r' | b':' | b'-' | b'?' | b'[' | b'{' | b',' | b'!'
            )
        {
            return true;
        }
        if j == at {
            continue; // `x!`: inside a token that does not end in spaces
        }
        // The token before the spaces: an anchor `&name`?
        while j > 0 && !matches!(b[j - 1], b' ' | b'\t' | b'\n' | b'\r' | b'!') {
            j -= 1;
        }
        if b[j] == b'&' {
            return true;
        }
    }
    false
}

/// `internalCertManagement.enable` of a Configuration document whose root
/// mapping is `root`.
fn read_enable(doc: &Document, root: NodeId, budget: &mut Budget) -> Result<Reading, Unread> {
    let section = match doc.get(root, "internalCertManagement", budget)? {
        None => return Ok(Reading::Enable(true)),
        Some(n) => doc.value(n),
    };
    let section = match section {
        Value::Null => return Ok(Reading::Enable(true)),
        Value::Map(m) => m,
        other => {
            return Ok(Reading::WrongType(
                "internalCertManagement",
                other.type_name(),
            ))
        }
    };
    Ok(
        match doc.get(section, "enable", budget)?.map(|n| doc.value(n)) {
            None | Some(Value::Null) => Reading::Enable(true),
            Some(Value::Bool(b)) => Reading::Enable(b),
            Some(other) => Reading::WrongType("internalCertManagement.enable", other.type_name()),
        },
    )
}

/// The Configuration one document holds, if any.
fn configuration(doc: &Document, budget: &mut Budget) -> Result<Option<Found>, Unread> {
    let Some(Value::Map(root)) = doc.root() else {
        return Ok(None);
    };
    let text = |n: Option<NodeId>| match n.map(|n| doc.value(n)) {
        Some(Value::Str(s)) => Some(s),
        _ => None,
    };
    let api_version = text(doc.get(root, "apiVersion", budget)?);
    let Some(controller) = api_version.and_then(Controller::of_api_version) else {
        return Ok(None);
    };
    if text(doc.get(root, "kind", budget)?) != Some("Configuration") {
        return Ok(None);
    }
    let reading = read_enable(doc, root, budget).unwrap_or_else(|why| Reading::Unreadable(why.0));
    Ok(Some(Found {
        controller,
        reading,
    }))
}

/// Every Configuration of the family in one value (any number of
/// documents), read within the request's `budget`.
pub(crate) fn configurations(text: &str, budget: &mut Budget) -> Vec<Found> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let written = names_family(text);
    if written.is_none() && !may_be_spelled(text) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut problem: Option<Unread> = None;
    // Whether the decoded scalars name the family (only looked at when the
    // text as written does not).
    let (mut group, mut kind) = (None, false);
    let mut scalars = |s: &str| {
        if written.is_none() {
            group = group.or_else(|| Controller::mentioned_in(s));
            kind = kind || s.contains("Configuration");
        }
    };
    let mut each = |doc: Result<&Document, Unread>, budget: &mut Budget| match doc
        .and_then(|d| configuration(d, budget))
    {
        Ok(Some(f)) => found.push(f),
        Ok(None) => {}
        Err(why) => {
            problem.get_or_insert(why);
        }
    };
    if let Err(why) = yaml::read(text, budget, &mut scalars, &mut each) {
        problem.get_or_insert(why);
    }
    let named = written.or(group.filter(|_| kind));
    if let (true, Some(why), Some(controller)) = (found.is_empty(), problem, named) {
        found.push(Found {
            controller,
            reading: Reading::Unreadable(why.0),
        });
    }
    found
}

/// The Configurations of a `binaryData` value.
fn binary_configurations(encoded: &str, budget: &mut Budget) -> Vec<Found> {
    match binary_text(encoded) {
        None => Vec::new(), // not base64: the API server refuses it
        Some((text, None)) => configurations(&text, budget),
        Some((text, Some(why))) => names_family(&text)
            .map(|controller| Found {
                controller,
                reading: Reading::Unreadable(why.0),
            })
            .into_iter()
            .collect(),
    }
}

/// The metrics Certificates of the namespace (for `auto` mode), named.
fn metrics_certificates(
    lookups: &Lookups,
    namespace: &str,
    path: &FieldPath,
    settings: &Settings,
) -> Option<Vec<String>> {
    let certs = lookups.certificates(namespace, (Rule::X4, path))?;
    Some(
        certs
            .iter()
            .filter(|c| c.is_metrics(settings))
            .map(|c| format!("{} (Secret {:?})", c.name, c.secret_name))
            .collect(),
    )
}

/// Judges one Configuration found at `path` (`data[<key>]`, `binaryData[<key>]`).
pub(crate) fn x4_mode(
    found: &Found,
    path: &FieldPath,
    namespace: &str,
    settings: &Settings,
    lookups: Option<&Lookups>,
    report: &mut Report,
) {
    let name = found.controller.name();
    let Some(enable) = known_enable(found, path, report) else {
        return;
    };
    let unreadable = |consequence: &str| unreadable(found, consequence);
    match (settings.cert_management, enable) {
        (CertManagement::External, Some(true)) => report.invalid(
            Rule::X4,
            path.clone(),
            format!(
                "the {name} Configuration has internalCertManagement.enable true (absent means \
                 true): {name} would serve self-signed metrics and webhook certificates, but \
                 the policy's certManagement is external; set internalCertManagement: {{enable: \
                 false}} and issue {name}'s certificates with cert-manager"
            ),
        ),
        (CertManagement::External, None) => report.invalid(
            Rule::X4,
            path.clone(),
            unreadable(
                "true would serve self-signed certificates where certManagement is external",
            ),
        ),
        (CertManagement::Internal, Some(false)) => report.invalid(
            Rule::X4,
            path.clone(),
            format!(
                "the {name} Configuration has internalCertManagement.enable false, but the \
                 policy's certManagement is internal, where components issue their own \
                 certificates; remove internalCertManagement (or set enable: true)"
            ),
        ),
        (CertManagement::Internal, None) => report.invalid(
            Rule::X4,
            path.clone(),
            unreadable("false would expect external certificates where certManagement is internal"),
        ),
        (CertManagement::Auto, Some(true) | None) => {
            x4_auto(found, enable, path, namespace, settings, lookups, report);
        }
        _ => {}
    }
}

/// `enable` as far as it is known: `Some(None)` when it could be either;
/// `None` when a field has the wrong type (reported).
fn known_enable(found: &Found, path: &FieldPath, report: &mut Report) -> Option<Option<bool>> {
    let name = found.controller.name();
    match &found.reading {
        Reading::WrongType(field, got) => {
            report.push(
                Rule::Type,
                path.clone(),
                ErrorType::TypeInvalid,
                format!(
                    "the {name} Configuration's {field}: expected {}, got {got}",
                    if field.ends_with("enable") {
                        "boolean"
                    } else {
                        "object"
                    }
                ),
            );
            None
        }
        Reading::Enable(b) => Some(Some(*b)),
        Reading::Unreadable(_) => Some(None),
    }
}

/// Why a Configuration the policy cannot read is refused, given what an
/// `enable` it cannot see would mean.
fn unreadable(found: &Found, consequence: &str) -> String {
    let (name, group) = (found.controller.name(), found.controller.group());
    let Reading::Unreadable(why) = &found.reading else {
        return String::new();
    };
    format!(
        "the value names a {name} Configuration ({group}) that the policy cannot read as \
         {name} would: {why}; internalCertManagement.enable is unknown, and {consequence}, \
         so the value is refused; write the Configuration as plain YAML, without what \
         could not be read"
    )
}

/// X4 in auto mode (KEP-4377): internal certificate management (`enable`
/// true, or unknown) beside cert-manager's metrics certificates in the
/// namespace, which only lookups can see.
fn x4_auto(
    found: &Found,
    enable: Option<bool>,
    path: &FieldPath,
    namespace: &str,
    settings: &Settings,
    lookups: Option<&Lookups>,
    report: &mut Report,
) {
    let name = found.controller.name();
    let Some(lookups) = lookups else { return };
    let Some(certs) = metrics_certificates(lookups, namespace, path, settings) else {
        return;
    };
    if certs.is_empty() {
        return;
    }
    let certs = certs.join(", ");
    let detail = if enable.is_some() {
        format!(
            "the {name} Configuration has internalCertManagement.enable true (absent \
             means true) while cert-manager issues metrics certificates in namespace \
             {namespace:?} ({certs}): internal certificate management together with \
             cert-manager metrics certificates is the unsupported combination of \
             KEP-4377; set internalCertManagement: {{enable: false}}, or delete those \
             Certificates"
        )
    } else {
        unreadable(
            found,
            &format!(
                "true next to cert-manager's metrics certificates in namespace \
                 {namespace:?} ({certs}) is KEP-4377's unsupported combination"
            ),
        )
    };
    report.invalid(Rule::X4, path.clone(), detail);
}

/// Reviews a ConfigMap: every `data` and `binaryData` value that holds a
/// Configuration of the family, within one reading budget for the request.
pub(crate) fn review(object: &Obj, ctx: &Ctx, lookups: Option<&Lookups>, report: &mut Report) {
    let (settings, request_namespace) = (ctx.settings, ctx.request_namespace);
    let mut budget = Budget::new();
    let mut found = Vec::new();
    for (field, binary) in [("data", false), ("binaryData", true)] {
        let Some(values) = object.get(field).and_then(|d| d.as_object()) else {
            continue;
        };
        for (key, value) in values {
            // Only a value that can hold a Configuration is read (and type-checked).
            let Some(text) = value.as_str() else {
                continue;
            };
            let here = if binary {
                binary_configurations(text, &mut budget)
            } else {
                configurations(text, &mut budget)
            };
            for f in here {
                found.push((object.path_of(field).key(key), f));
            }
        }
    }
    if found.is_empty() {
        return;
    }
    let mut scratch = Report::new();
    let namespace = object
        .obj("metadata", &mut scratch)
        .and_then(|m| m.str("namespace", &mut scratch))
        .filter(|ns| !ns.is_empty())
        .unwrap_or(request_namespace);
    for (path, f) in &found {
        x4_mode(f, path, namespace, settings, lookups, report);
    }
}

#[cfg(test)]
mod tests;
