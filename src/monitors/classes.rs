//! The `scrapeClasses` setting (SPEC sections 1, 10 and 13): reading it,
//! validating it, and finding the class of a monitor.
//!
//! The setting repeats the `spec.scrapeClasses` of the cluster's Prometheus
//! and PrometheusAgent objects, each `{name, default, tlsConfig,
//! authorization}` (other fields are allowed and ignored). prometheus-operator
//! applies a monitor's class when it generates the scrape configuration; the
//! policy resolves it once per endpoint (see [`super::endpoint`]) so the
//! rules judge what Prometheus will actually do.

use super::kinds::{ScrapeKind, PO_TLS};
use super::relabel::{scheme_rewrite, Dialect};
use super::rules;
use super::tls::{read_tls, sets_anything, Class, ClassRef};
use crate::report::{FieldPath, Report};
use crate::rule::Rule;
use crate::settings::{ScrapeClassSetting, Settings};
use crate::view::{List, Obj};

/// Checks the classes as prometheus-operator and the rules would: unique
/// names, at most one default, and each `tlsConfig` read as M1, M2, M3 and M7
/// read it (an `insecureSkipVerify: true` class is refused unless
/// `certManagement: internal` with `allowInsecureSkipVerify: true`).
pub(crate) fn validate(settings: &Settings, errors: &mut Report) {
    let classes = &settings.scrape_classes;
    let at = FieldPath::root().child("scrapeClasses");
    for (i, c) in classes.iter().enumerate() {
        if classes[..i].iter().any(|o| o.name == c.name) && !c.name.is_empty() {
            errors.invalid(
                Rule::Settings,
                at.index(i).child("name"),
                format!(
                "{:?} is declared twice; prometheus-operator refuses duplicate scrape class names",
                c.name
            ),
            );
        }
    }
    let defaults: Vec<&str> = classes
        .iter()
        .filter(|c| c.default)
        .map(|c| c.name.as_str())
        .collect();
    if defaults.len() > 1 {
        errors.invalid(
            Rule::Settings,
            at.clone(),
            format!(
                "more than one default class ({}); prometheus-operator allows one",
                defaults.join(", ")
            ),
        );
    }
    for (i, c) in classes.iter().enumerate() {
        // The relabelings' wrong types, as a monitor's would be reported.
        if let Some(serde_json::Value::Array(items)) = &c.relabelings {
            let mut report = Report::new();
            let path = at.index(i).child("relabelings");
            scheme_rewrite(
                &List { items, path },
                Dialect::Prometheus,
                None,
                &mut report,
            );
            for v in report.violations {
                errors.push(Rule::Settings, v.path, v.kind, v.detail);
            }
        }
        let Some(tls) = &c.tls_config else { continue };
        let mut report = Report::new();
        let path = FieldPath::root()
            .child("scrapeClasses")
            .index(i)
            .child("tlsConfig");
        let Some(o) = Obj::at(tls, path, &mut report) else {
            continue;
        };
        let view = read_tls(&o, PO_TLS, &mut report);
        rules::check_tls_source(&view, settings, true, &mut report);
        // A settings problem: reported under `settings`, naming the rule
        // whose reading the class breaks.
        for v in report.violations {
            let detail = format!("{} (as {} reads it)", v.detail, v.rule);
            errors.push(Rule::Settings, v.path, v.kind, detail);
        }
    }
}

/// The class of a monitor: the one `spec.scrapeClass` names, else the
/// `default: true` one, both looked up in the setting. Only
/// prometheus-operator kinds have classes.
pub(crate) fn resolve<'a>(
    spec: &Obj<'a>,
    kind: &ScrapeKind,
    settings: &'a Settings,
    report: &mut Report,
) -> ClassRef<'a> {
    if !kind.scrape_classes {
        return ClassRef::None;
    }
    let named = spec.str("scrapeClass", report).filter(|s| !s.is_empty());
    let found = match named {
        Some(n) => settings.scrape_classes.iter().find(|c| c.name == n),
        None => settings.scrape_classes.iter().find(|c| c.default),
    };
    match (named, found) {
        (_, Some(c)) => ClassRef::Declared(Box::new(read_class(c))),
        (Some(n), None) => ClassRef::Undeclared(n),
        (None, None) => ClassRef::None,
    }
}

fn read_class(c: &ScrapeClassSetting) -> Class<'_> {
    // Validated with the settings: nothing is reported here.
    let mut scratch = Report::new();
    let path = FieldPath::root()
        .child("scrapeClasses")
        .key(&c.name)
        .child("tlsConfig");
    let tls = c
        .tls_config
        .as_ref()
        .and_then(|v| Obj::at(v, path, &mut scratch))
        .map(|o| read_tls(&o, PO_TLS, &mut scratch));
    let at = FieldPath::root()
        .child("scrapeClasses")
        .key(&c.name)
        .child("relabelings");
    let scheme_rewrite = match &c.relabelings {
        Some(serde_json::Value::Array(items)) => scheme_rewrite(
            &List { items, path: at },
            Dialect::Prometheus,
            Some(&c.name),
            &mut scratch,
        ),
        _ => None,
    };
    Class {
        name: &c.name,
        tls,
        authorization: c.authorization.as_ref().is_some_and(sets_anything),
        scheme_rewrite,
    }
}
