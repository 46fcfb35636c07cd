//! Fuzzes the table readers (`sejahtera_app::input`): arbitrary bytes read as CSV, as
//! .xlsx and as .xlsb must never panic, and memory stays bounded by the readers' limits
//! (run with `-rss_limit_mb` and `-malloc_limit_mb`). The first byte picks the format.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../src/input.rs"]
#[allow(dead_code)]
mod input;

use input::read_table_bytes;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let name = match sel % 4 {
        0 | 1 => "fuzz.csv",
        2 => "fuzz.xlsx",
        _ => "fuzz.xlsb",
    };
    let Ok(table) = read_table_bytes(name, body.to_vec()) else {
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
});
