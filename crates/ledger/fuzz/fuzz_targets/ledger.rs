//! Fuzzes what the ledger parses from untrusted input: events (`Event::parse_json`), tile
//! paths (`TileId::parse`), entry bundles (`parse_bundle`), hashes (`parse_hash`), signed
//! checkpoints (`verify_checkpoint`), verifier keys and origins, and proofs
//! (`verify_inclusion` / `verify_consistency`). Nothing may panic; accepted input must
//! round-trip. The first byte picks the parser. The checks live in `ledger_check.rs`,
//! which `cargo test` also runs on the corpus (`crates/ledger/tests/fuzz_corpus.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "ledger_check.rs"]
mod check;

fuzz_target!(|data: &[u8]| check::check(data));
