//! The fuzz target's checks, one copy for two callers: the fuzz target
//! (`fuzz_targets/input.rs`, which compiles `crates/app/src/input.rs` itself as `mod input`)
//! and the corpus replay of `cargo test` (`crates/app/tests/fuzz_corpus.rs`, where `input`
//! is `sejahtera_app::input`), which include this file with `#[path]`. Both name the
//! readers `crate::input`. Arbitrary bytes read as CSV, as .xlsx and as .xlsb must never
//! panic; the first byte picks the format.

use crate::input;

/// Runs the checks on one input; panics if one fails.
pub fn check(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let name = match sel % 4 {
        0 | 1 => "fuzz.csv",
        2 => "fuzz.xlsx",
        _ => "fuzz.xlsb",
    };
    let Ok(table) = input::read_table_bytes(name, body.to_vec()) else {
        return;
    };
    let width = table.header.len();
    assert!(width <= input::MAX_COLUMNS);
    let mut last = 0;
    for row in table.take(100_000) {
        let Ok(row) = row else { break };
        // Lines never go back (two records share a line when a lone CR ends the first),
        // and a row's raw rendering works.
        assert!(row.line >= last, "line {} after {last}", row.line);
        last = row.line;
        let _ = row.raw(b',');
        let _ = row.is_blank();
    }
}
