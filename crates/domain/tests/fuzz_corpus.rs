//! Replays the eligibility fuzz corpus (`crates/domain/fuzz/corpus/eligibility`) through the fuzz
//! target's own checks: `crates/domain/fuzz/fuzz_targets/eligibility_check.rs`, the one copy that
//! the fuzz target includes too. `cargo test` never runs libFuzzer, so without this a
//! regression on a known input (a panic, or the two evaluators disagreeing) would go unnoticed.

#[path = "../fuzz/fuzz_targets/eligibility_check.rs"]
mod check;

#[test]
fn eligibility_fuzz_corpus_replays() {
    sejahtera_testkit::replay_corpus(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        "eligibility",
        check::check,
    );
}
