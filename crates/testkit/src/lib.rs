//! Test helpers shared by the Sejahtera crates; a dev-dependency only.
#![warn(missing_docs)]

pub mod db;
pub mod pg;

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Every file of `<crate_dir>/fuzz/corpus/<target>`, sorted by name; panics if the
/// directory is missing or empty (a moved or emptied corpus must not turn a replay
/// into a no-op).
pub fn corpus(crate_dir: &Path, target: &str) -> Vec<PathBuf> {
    let dir = crate_dir.join("fuzz/corpus").join(target);
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

/// Runs `check` — the fuzz target's own checks — on every file of the corpus of
/// `target` under `crate_dir`, and fails naming every file whose check panicked.
/// `cargo test` never runs libFuzzer: this is how a regression on a known input
/// shows in the ordinary test suite.
pub fn replay_corpus(crate_dir: &Path, target: &str, check: impl Fn(&[u8])) {
    let files = corpus(crate_dir, target);
    let mut failed = Vec::new();
    for path in &files {
        let name = path
            .strip_prefix(crate_dir)
            .unwrap_or(path)
            .display()
            .to_string();
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            failed.push(format!("{name}: {}", panic_text(&*payload)));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} {target} corpus files fail the fuzz checks:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
}
