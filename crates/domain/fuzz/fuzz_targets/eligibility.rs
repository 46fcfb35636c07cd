//! Fuzzes the eligibility language: `Program::compile` must never panic (nor overflow the
//! stack: the parser's length and nesting limits bound every recursion), and whatever it
//! accepts must evaluate on a small snapshot, with both evaluators agreeing. The checks
//! live in `eligibility_check.rs`, which `cargo test` also runs on the corpus
//! (`crates/domain/tests/fuzz_corpus.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "eligibility_check.rs"]
mod check;

fuzz_target!(|data: &[u8]| check::check(data));
