//! Replays the parse fuzz corpus (`crates/pb/fuzz/corpus/parse`) through the fuzz
//! target's own checks: `crates/pb/fuzz/fuzz_targets/parse_check.rs`, the one copy that
//! the fuzz target includes too. `cargo test` never runs libFuzzer, so without this a
//! regression on a known input (a panic, a failed round trip, or a rule spending over the budget) would go unnoticed.

#[path = "../fuzz/fuzz_targets/parse_check.rs"]
mod check;

#[test]
fn parse_fuzz_corpus_replays() {
    sejahtera_testkit::replay_corpus(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        "parse",
        check::check,
    );
}
