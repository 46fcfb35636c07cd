//! Fuzzes the table readers (`sejahtera_app::input`): arbitrary bytes read as CSV, as
//! .xlsx and as .xlsb must never panic, and memory stays bounded by the readers' limits
//! (run with `-rss_limit_mb` and `-malloc_limit_mb`). The first byte picks the format. The
//! checks live in `input_check.rs`, which `cargo test` also runs on the corpus
//! (`crates/app/tests/fuzz_corpus.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../src/input.rs"]
#[allow(dead_code)]
mod input;

#[path = "input_check.rs"]
mod check;

fuzz_target!(|data: &[u8]| check::check(data));
