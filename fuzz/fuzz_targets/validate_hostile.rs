//! Fuzzes `validate` and `validate_settings` with megabyte objects
//! (`harness::Limits::HOSTILE`: lists and strings up to 4 MB):
//! `make fuzz FUZZ_TARGET=validate_hostile`. Same input format and
//! properties as the `validate` target (`fuzz/src/harness.rs`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use secure_metrics_policy_fuzz::harness::{self, Limits};

fuzz_target!(|data: &[u8]| harness::run(data, Limits::HOSTILE));
