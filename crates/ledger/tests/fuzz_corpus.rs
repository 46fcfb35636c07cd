//! Replays the ledger fuzz corpus (`crates/ledger/fuzz/corpus/ledger`) through the fuzz
//! target's own checks: `crates/ledger/fuzz/fuzz_targets/ledger_check.rs`, the one copy that
//! the fuzz target includes too. `cargo test` never runs libFuzzer, so without this a
//! regression on a known input (a panic, or accepted input that does not round-trip) would go unnoticed.

#[path = "../fuzz/fuzz_targets/ledger_check.rs"]
mod check;

#[test]
fn ledger_fuzz_corpus_replays() {
    sejahtera_testkit::replay_corpus(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        "ledger",
        check::check,
    );
}
