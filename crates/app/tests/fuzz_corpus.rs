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

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

const TARGET: &str = "input";

/// Every file of `fuzz/corpus/<target>`, sorted by name; panics if the directory is missing
/// or empty (a moved or emptied corpus must not turn this test into a no-op).
fn corpus(root: &Path) -> Vec<PathBuf> {
    let dir = root.join("fuzz/corpus").join(TARGET);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fuzz corpus {} unreadable: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "fuzz corpus {} is empty", dir.display());
    files
}

fn panic_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(non-text panic)"
    }
}

#[test]
fn input_fuzz_corpus_replays() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = corpus(root);
    let mut failed = Vec::new();
    for path in &files {
        let name = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| check::check(&data))) {
            failed.push(format!("{name}: {}", panic_text(&*payload)));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} {TARGET} corpus files fail the fuzz checks:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}
