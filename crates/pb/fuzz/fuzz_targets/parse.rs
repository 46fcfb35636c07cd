//! Fuzzes the `.pb` parser: it must never panic; whatever it accepts must survive a
//! write/parse round trip, and small accepted elections must run through every rule. The
//! checks live in `parse_check.rs`, which `cargo test` also runs on the corpus
//! (`crates/pb/tests/fuzz_corpus.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "parse_check.rs"]
mod check;

fuzz_target!(|data: &[u8]| check::check(data));
