//! Fuzzes `validate` and `validate_settings` (`make fuzz`).
//!
//! Two modes, chosen by the first byte:
//! - raw (any first byte from 8 up, which includes every JSON text): the
//!   whole input is the `validate` payload, the settings+request envelope,
//!   and also the `validate_settings` payload;
//! - structured (first byte 0-7, the operation): the input is spliced into a
//!   fixture of `test_data/` or `examples/requests/`. Byte 1 picks the
//!   fixture, byte 2 the region (mostly the object, sometimes the rest of the
//!   request or the settings), bytes 3-4 the node, byte 5 a size; the rest is
//!   the value (parsed as JSON, else taken as a string).
//!
//! Every answer is checked by `oracle`: no panic, a response that decodes, a
//! message on every rejection, a mutation that keeps the received object and
//! does not mutate again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use secure_metrics_policy_fuzz::mutate::{self, Mutated, Op, Seg};
use secure_metrics_policy_fuzz::{fixtures, oracle, Fixture};
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

fn corpus() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let found = fixtures(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
        assert!(
            !found.is_empty(),
            "no fixtures found for the structured mode"
        );
        found
    })
}

fn check(payload: &[u8]) {
    match oracle::validate(payload) {
        Ok(first) => {
            if let Err(e) = oracle::reapply(payload, &first) {
                panic!("{e}");
            }
        }
        Err(e) => panic!("{e}"),
    }
}

fn raw(data: &[u8]) {
    check(data);
    if let Err(e) = oracle::validate_settings(data) {
        panic!("{e}");
    }
}

fn structured(op: u8, data: &[u8]) {
    let [fixture, region, hi, lo, size, rest @ ..] = data else {
        return;
    };
    let fixtures = corpus();
    let fixture = &fixtures[usize::from(*fixture) % fixtures.len()];
    let value: Value = serde_json::from_slice(rest)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(rest).into_owned()));
    let prefix: Vec<Seg> = match region % 8 {
        0..=5 => vec![Seg::Key("request".into()), Seg::Key("object".into())],
        6 => vec![Seg::Key("request".into())],
        _ => vec![Seg::Key("settings".into())],
    };
    let paths = mutate::paths_under(&fixture.envelope, &prefix);
    let Some(path) = paths.get(usize::from(u16::from_be_bytes([*hi, *lo])) % paths.len().max(1))
    else {
        return;
    };
    let size = usize::from(*size);
    let op = match op {
        0 => Op::Replace(value),
        1 => match value {
            // The key from the input, the value a fixed one.
            Value::String(key) => Op::InsertKey(key, Value::Bool(true)),
            other => Op::InsertKey("x-fuzz".into(), other),
        },
        2 => Op::Append(value),
        3 => Op::Delete,
        4 => {
            // At most ~4 MB of copies, so memory stays bounded.
            let bytes = value.to_string().len() + 1;
            Op::Repeat {
                value,
                times: (size * 16).min(4_000_000 / bytes),
            }
        }
        5 => Op::Nest { depth: size },
        6 => Op::LongString {
            unit: match value {
                Value::String(s) => s,
                other => other.to_string(),
            },
            len: size * 4096,
        },
        _ => Op::DuplicateKey(value),
    };
    let mut doc = Mutated::new(fixture.envelope.clone());
    doc.apply(path, op);
    let payload = doc.render();
    check(&payload);
    if let Some(settings) = doc.doc.get("settings") {
        if let Ok(bytes) = serde_json::to_vec(settings) {
            if let Err(e) = oracle::validate_settings(&bytes) {
                panic!("{e}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((&op, rest)) if op < 8 => structured(op, rest),
        _ => raw(data),
    }
});
