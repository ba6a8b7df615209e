//! Fuzzes `validate` and `validate_settings` with inputs kept small
//! (`harness::Limits::FAST`), thousands a second: `make fuzz`. The input
//! format and the properties are described in `fuzz/src/harness.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use secure_metrics_policy_fuzz::harness::{self, Limits};

fuzz_target!(|data: &[u8]| harness::run(data, Limits::FAST));
