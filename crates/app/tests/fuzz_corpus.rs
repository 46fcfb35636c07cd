//! Replays the input fuzz corpus (`crates/app/fuzz/corpus/input`) through the fuzz
//! target's own checks: `crates/app/fuzz/fuzz_targets/input_check.rs`, the one copy that
//! the fuzz target includes too. `cargo test` never runs libFuzzer, so without this a
//! regression on a known input (a panic, a header wider than `MAX_COLUMNS`, or line numbers
//! going back) would go unnoticed.

// The check names the readers `crate::input`: here the app crate's module, in the fuzz
// target the same source file compiled on its own.
use sejahtera_app::input;

#[path = "../fuzz/fuzz_targets/input_check.rs"]
mod check;

#[test]
fn input_fuzz_corpus_replays() {
    sejahtera_testkit::replay_corpus(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        "input",
        check::check,
    );
}
