//! The body of the fuzz targets (`fuzz/fuzz_targets/`): decodes an input into
//! a `validate` payload and checks every answer with [`oracle`].
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
//! The [`Limits`] turn the size byte into how large a repeated list, a long
//! string or a nesting gets. [`Limits::FAST`] keeps every input under about
//! 64 KB, so the `validate` target runs thousands of inputs a second and
//! explores the rules; [`Limits::HOSTILE`] (the `validate_hostile` target)
//! builds objects up to 4 MB, milliseconds each, to look for what only size
//! breaks (quadratic work, deep recursion, memory).

use super::mutate::{self, Mutated, Op, Path, Seg};
use super::{oracle, Fixture};
use serde_json::Value;
use std::sync::OnceLock;

/// How large the structured mode lets an input grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Copies per size unit of a repeated value ...
    pub repeat_per_unit: usize,
    /// ... and at most this many bytes of copies.
    pub repeat_bytes: usize,
    /// Bytes per size unit of a long string.
    pub string_per_unit: usize,
}

impl Limits {
    pub const FAST: Limits = Limits {
        repeat_per_unit: 2,
        repeat_bytes: 64 * 1024,
        string_per_unit: 64,
    };
    pub const HOSTILE: Limits = Limits {
        repeat_per_unit: 16,
        repeat_bytes: 4_000_000,
        string_per_unit: 4096,
    };
}

/// A fixture with the nodes of its three regions listed once.
pub struct Prepared {
    pub fixture: Fixture,
    /// Nodes under `request.object`, under `request`, under `settings`.
    regions: [Vec<Path>; 3],
}

impl Prepared {
    pub fn new(fixture: Fixture) -> Prepared {
        let key = |k: &str| Seg::Key(k.to_string());
        let regions = [
            vec![key("request"), key("object")],
            vec![key("request")],
            vec![key("settings")],
        ]
        .map(|prefix| mutate::paths_under(&fixture.envelope, &prefix));
        Prepared { fixture, regions }
    }
}

/// Every fixture of the policy's source tree, prepared once per process.
pub fn corpus() -> &'static [Prepared] {
    static FIXTURES: OnceLock<Vec<Prepared>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        // The fuzz crate sits in `fuzz/`; the proptest suite at the root.
        let root = if root.ends_with("fuzz") {
            root.join("..")
        } else {
            root.to_path_buf()
        };
        let found: Vec<Prepared> = super::fixtures(&root)
            .into_iter()
            .map(Prepared::new)
            .collect();
        assert!(
            !found.is_empty(),
            "no fixtures found for the structured mode"
        );
        found
    })
}

/// Runs one fuzz input; a broken property panics with the reason.
pub fn run(data: &[u8], limits: Limits) {
    match data.split_first() {
        Some((&op, rest)) if op < 8 => {
            if let Some(payload) = structured(op, rest, corpus(), limits) {
                check(&payload.0);
                if let Some(settings) = payload.1 {
                    settings_check(&settings);
                }
            }
        }
        _ => {
            check(data);
            settings_check(data);
        }
    }
}

fn check(payload: &[u8]) {
    let first = oracle::validate(payload).unwrap_or_else(|e| panic!("{e}"));
    oracle::reapply(payload, &first).unwrap_or_else(|e| panic!("{e}"));
}

fn settings_check(payload: &[u8]) {
    oracle::validate_settings(payload).unwrap_or_else(|e| panic!("{e}"));
}

/// The `validate` payload (and the `validate_settings` payload, when the
/// envelope has settings) that a structured input stands for; `None` when
/// the input is too short.
pub fn structured(
    op: u8,
    data: &[u8],
    fixtures: &[Prepared],
    limits: Limits,
) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let [fixture, region, hi, lo, size, rest @ ..] = data else {
        return None;
    };
    let prepared = fixtures.get(usize::from(*fixture) % fixtures.len().max(1))?;
    let value: Value = serde_json::from_slice(rest)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(rest).into_owned()));
    let paths = &prepared.regions[match region % 8 {
        0..=5 => 0,
        6 => 1,
        _ => 2,
    }];
    let path = paths.get(usize::from(u16::from_be_bytes([*hi, *lo])) % paths.len().max(1))?;
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
            let bytes = value.to_string().len() + 1;
            Op::Repeat {
                value,
                times: (size * limits.repeat_per_unit).min(limits.repeat_bytes / bytes),
            }
        }
        5 => Op::Nest { depth: size },
        6 => Op::LongString {
            unit: match value {
                Value::String(s) => s,
                other => other.to_string(),
            },
            len: size * limits.string_per_unit,
        },
        _ => Op::DuplicateKey(value),
    };
    let mut doc = Mutated::new(prepared.fixture.envelope.clone());
    doc.apply(path, op);
    let payload = doc.render();
    let settings = doc
        .doc
        .get("settings")
        .and_then(|s| serde_json::to_vec(s).ok());
    Some((payload, settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast limits keep an input small whatever its size byte: at most
    /// the fixture plus 64 KB of copies or 16 KB of string.
    #[test]
    fn fast_limits_bound_the_payload() {
        let fixtures = corpus();
        let largest = fixtures
            .iter()
            .map(|f| f.fixture.envelope.to_string().len())
            .max()
            .unwrap();
        for op in [4u8, 6] {
            for (i, _) in fixtures.iter().enumerate() {
                let input = [&[i as u8, 0, 0, 1, 255][..], br#"{"name": "x"}"#].concat();
                let (payload, _) = structured(op, &input, fixtures, Limits::FAST).unwrap();
                assert!(
                    payload.len() <= largest + 80 * 1024,
                    "op {op} on fixture {i}: {} bytes",
                    payload.len()
                );
            }
        }
        let input = [&[0u8, 0, 0, 1, 255][..], b"\"abc\""].concat();
        let (big, _) = structured(6, &input, fixtures, Limits::HOSTILE).unwrap();
        assert!(big.len() > 1_000_000);
    }

    #[test]
    fn short_inputs_are_skipped_and_every_mode_runs() {
        assert!(structured(0, &[1, 2], corpus(), Limits::FAST).is_none());
        run(b"", Limits::FAST);
        run(br#"{"request": {}, "settings": {}}"#, Limits::FAST);
        for op in 0..8u8 {
            run(&[op, 3, 0, 0, 7, 8, b'1'], Limits::FAST);
        }
    }
}
