//! The fuzz target's checks, one copy for two callers: the fuzz target
//! (`fuzz_targets/eligibility.rs`) and the corpus replay of `cargo test`
//! (`crates/domain/tests/fuzz_corpus.rs`), which include this file with `#[path]`.
//! `Program::compile` must never panic (nor overflow the stack: the parser's length and
//! nesting limits bound every recursion), and whatever it accepts must evaluate on a small
//! snapshot, with both evaluators agreeing.

use std::sync::OnceLock;

use sejahtera_domain::RegionCode;
use sejahtera_domain::eligibility::{HouseholdRow, MemberRow, Program, Snapshot, eval_household};

fn rows() -> &'static Vec<HouseholdRow> {
    static ROWS: OnceLock<Vec<HouseholdRow>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let v = |s| RegionCode::parse(s).unwrap();
        vec![
            HouseholdRow {
                village: v("53.71.02.1001"),
                desil: Some(3),
                skor_pmt: Some(-0.75),
                pengeluaran_bulanan: 1_500_000,
                housing: [1, 2, 3, 1, 2, 1, 2, 1],
                members: vec![
                    MemberRow {
                        umur: Some(34),
                        codes: [2, 1, 3, 2, 0, 2],
                    },
                    MemberRow {
                        umur: Some(7),
                        codes: [1, 3, 1, 0, 0, 1],
                    },
                    MemberRow {
                        umur: None,
                        codes: [0; 6],
                    },
                ],
            },
            HouseholdRow {
                village: v("15.03.01.2001"),
                desil: None,
                skor_pmt: None,
                pengeluaran_bulanan: 0,
                housing: [0; 8],
                members: vec![],
            },
            HouseholdRow {
                village: v("53.71.01.1002"),
                desil: Some(10),
                skor_pmt: Some(2.5),
                pengeluaran_bulanan: 9_000_000,
                housing: [5, 4, 3, 2, 1, 2, 3, 2],
                members: vec![MemberRow {
                    umur: Some(80),
                    codes: [1, 1, 6, 9, 1, 4],
                }],
            },
        ]
    })
}

/// Runs the checks on one input; panics if one fails.
pub fn check(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = Program::compile(src) else { return };
    let rows = rows();
    let naive: Vec<bool> = rows.iter().map(|h| eval_household(&p, h)).collect();
    let snap = Snapshot::from_rows(rows);
    assert_eq!(snap.matches(&p), naive, "{src}");
    let _ = p.uses_welfare();
}
