//! Admission as the API server applies it (SPEC section 8), as properties over
//! every request fixture of `test_data/` and `examples/requests/`:
//!
//! - a client-set `metadata.deletionTimestamp` on a CREATE changes nothing in
//!   the answer (the API server clears it after mutating admission, so the
//!   object is stored as a live object: skipping it was a bypass of every rule);
//! - an UPDATE that changes only metadata other than `secure-metrics/*`
//!   annotations (labels, finalizers, ordinary annotations) is a plain accept:
//!   no message, no warning, no patch;
//! - an UPDATE whose `oldObject` is terminating is a plain accept.
//!
//! Metadata edits are generated (proptest) on top of every fixture.

#[allow(dead_code, unreachable_pub)]
#[path = "../fuzz/src/lib.rs"]
mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use std::path::Path;
use support::Fixture;

fn corpus() -> Vec<Fixture> {
    let found = support::fixtures(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(found.len() >= 50, "found only {} fixtures", found.len());
    found
}

fn answer(envelope: &Value) -> Value {
    let raw =
        secure_metrics_policy::validate(envelope.to_string().as_bytes()).expect("validate answers");
    serde_json::from_slice(&raw).expect("a JSON response")
}

/// The request's object as a JSON object with a `metadata` object, if it has one.
fn object_metadata(envelope: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
    envelope
        .pointer_mut("/request/object")?
        .as_object_mut()?
        .entry("metadata")
        .or_insert_with(|| json!({}))
        .as_object_mut()
}

/// A metadata edit that no rule reads: labels, an ordinary annotation,
/// finalizers, a resourceVersion.
#[derive(Clone, Debug)]
struct MetaEdit {
    label: (String, String),
    annotation: Option<(String, String)>,
    finalizer: Option<String>,
    resource_version: u32,
}

fn meta_edit() -> impl Strategy<Value = MetaEdit> {
    (
        ("[a-z]{1,8}(/[a-z]{1,8})?", "[a-z0-9]{0,12}"),
        proptest::option::of((
            "(example\\.com|app\\.kubernetes\\.io)/[a-z]{1,10}",
            "[ -~]{0,20}",
        )),
        proptest::option::of("[a-z]{1,8}\\.io/[a-z]{1,8}"),
        any::<u32>(),
    )
        .prop_map(
            |(label, annotation, finalizer, resource_version)| MetaEdit {
                label,
                annotation,
                finalizer,
                resource_version,
            },
        )
}

fn apply(edit: &MetaEdit, meta: &mut serde_json::Map<String, Value>) {
    let labels = meta.entry("labels").or_insert_with(|| json!({}));
    if let Some(l) = labels.as_object_mut() {
        l.insert(edit.label.0.clone(), json!(edit.label.1));
    }
    if let Some((k, v)) = &edit.annotation {
        let ann = meta.entry("annotations").or_insert_with(|| json!({}));
        if let Some(a) = ann.as_object_mut() {
            a.insert(k.clone(), json!(v));
        }
    }
    if let Some(f) = &edit.finalizer {
        meta.insert("finalizers".into(), json!([f]));
    }
    meta.insert(
        "resourceVersion".into(),
        json!(edit.resource_version.to_string()),
    );
}

fn is_plain_accept(resp: &Value) -> bool {
    resp["accepted"] == json!(true)
        && resp.get("message").is_none_or(Value::is_null)
        && resp.get("mutated_object").is_none_or(Value::is_null)
        && resp.get("warnings").is_none_or(Value::is_null)
}

/// CREATE with a client-set deletionTimestamp: the same answer as without.
#[test]
fn deletion_timestamp_on_create_changes_nothing() {
    let mut checked = 0;
    for f in corpus() {
        let mut create = f.envelope.clone();
        create["request"]["operation"] = json!("CREATE");
        if !create["request"]["object"].is_object() {
            continue;
        }
        let want = answer(&create);
        let mut marked = create.clone();
        let Some(meta) = object_metadata(&mut marked) else {
            continue;
        };
        meta.insert("deletionTimestamp".into(), json!("2026-11-23T10:00:00Z"));
        meta.insert("deletionGracePeriodSeconds".into(), json!(0));
        // A repaired object carries the request's metadata back; compare it
        // without the two fields added here.
        let mut got = answer(&marked);
        if let Some(m) = got
            .pointer_mut("/mutated_object/metadata")
            .and_then(Value::as_object_mut)
        {
            m.remove("deletionTimestamp");
            m.remove("deletionGracePeriodSeconds");
        }
        assert_eq!(got, want, "{}", f.name);
        checked += 1;
    }
    assert!(checked >= 50, "checked only {checked} fixtures");
}

/// Any metadata-only UPDATE (generated edits on top of every fixture) and any
/// UPDATE of a terminating object is a plain accept.
#[test]
fn metadata_only_and_terminating_updates_are_plain_accepts() {
    let fixtures = corpus();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(0..fixtures.len(), meta_edit()), |(i, edit)| {
            let f = &fixtures[i];
            let mut update = f.envelope.clone();
            if !update["request"]["object"].is_object() {
                return Ok(());
            }
            update["request"]["operation"] = json!("UPDATE");
            let old = update["request"]["object"].clone();
            update["request"]["oldObject"] = old.clone();
            if let Some(meta) = object_metadata(&mut update) {
                apply(&edit, meta);
            }
            let resp = answer(&update);
            prop_assert!(is_plain_accept(&resp), "{} {edit:?}: {resp}", f.name);

            // The stored object is terminating: its finalizers may go, and
            // even a spec change is not judged (it is on its way out).
            let mut leaving = update.clone();
            leaving["request"]["oldObject"]["metadata"]["deletionTimestamp"] =
                json!("2026-11-23T10:00:00Z");
            leaving["request"]["object"]["spec"] = json!({"changed": true});
            let resp = answer(&leaving);
            prop_assert!(is_plain_accept(&resp), "{} terminating: {resp}", f.name);
            Ok(())
        })
        .unwrap();
}

/// Every fixture, updated with only labels changed: a plain accept (each
/// fixture once, beside the generated cases above).
#[test]
fn every_fixture_relabelled_is_a_plain_accept() {
    for f in corpus() {
        let mut update = f.envelope.clone();
        if !update["request"]["object"].is_object() {
            continue;
        }
        update["request"]["operation"] = json!("UPDATE");
        update["request"]["oldObject"] = update["request"]["object"].clone();
        if let Some(meta) = object_metadata(&mut update) {
            meta.insert("labels".into(), json!({"relabelled": "yes"}));
        }
        let resp = answer(&update);
        assert!(is_plain_accept(&resp), "{}: {resp}", f.name);
    }
}
