//! Property tests: the columnar evaluator agrees with the naive row-by-row
//! evaluator on random well-typed expressions and random registries.

use proptest::prelude::*;

use super::fields::{HOUSEHOLD_CODES, MEMBER_CODES};
use super::*;
use crate::region::RegionCode;

const VILLAGES: &[&str] = &[
    "53.71.01.1001",
    "53.71.01.1002",
    "53.71.02.1001",
    "15.03.01.2001",
];
const REGIONS: &[&str] = &["53.71", "53.71.01", "53.71.02", "15.03.01.2001", "15.03.02"];

fn member() -> impl Strategy<Value = MemberRow> {
    let codes: Vec<BoxedStrategy<u8>> = MEMBER_CODES
        .iter()
        .map(|c| (0..=c.values().len() as u8).boxed())
        .collect();
    (prop::option::weighted(0.9, 0i16..95), codes).prop_map(|(umur, codes)| MemberRow {
        umur,
        codes: codes.try_into().unwrap(),
    })
}

fn household() -> impl Strategy<Value = HouseholdRow> {
    let housing: Vec<BoxedStrategy<u8>> = HOUSEHOLD_CODES
        .iter()
        .map(|c| (0..=c.values().len() as u8).boxed())
        .collect();
    (
        0..VILLAGES.len(),
        prop::option::weighted(0.8, 1u8..=10),
        prop::option::weighted(0.8, (-20i32..20).prop_map(|x| f64::from(x) / 4.0)),
        prop_oneof![Just(0i64), 0i64..5_000_000],
        housing,
        prop::collection::vec(member(), 0..7),
    )
        .prop_map(
            |(v, desil, skor_pmt, pengeluaran_bulanan, housing, members)| HouseholdRow {
                village: RegionCode::parse(VILLAGES[v]).unwrap(),
                desil,
                skor_pmt,
                pengeluaran_bulanan,
                housing: housing.try_into().unwrap(),
                members,
            },
        )
}

fn number() -> BoxedStrategy<String> {
    prop_oneof![
        (-3i32..20).prop_map(|x| x.to_string()),
        (0i32..40).prop_map(|x| format!("{}.5", x)),
        Just("0".to_string()),
        Just("645_346".to_string()),
    ]
    .boxed()
}

/// A numeric expression; `member` allows member fields.
fn num(depth: u32, member: bool) -> BoxedStrategy<String> {
    let mut leaves = vec![
        number(),
        Just("desil".to_string()).boxed(),
        Just("skor_pmt".to_string()).boxed(),
        Just("pengeluaran_bulanan / 100000".to_string()).boxed(),
        Just("pengeluaran_per_kapita / 100000".to_string()).boxed(),
        Just("jumlah_anggota".to_string()).boxed(),
        Just("kepala.umur".to_string()).boxed(),
    ];
    if member {
        leaves.push(Just("umur".to_string()).boxed());
        leaves.push(Just("umur".to_string()).boxed());
    }
    let leaf = prop::strategy::Union::new(leaves).boxed();
    if depth == 0 {
        return leaf;
    }
    let sub = num(depth - 1, member);
    let mut options = vec![
        leaf.clone(),
        leaf,
        (
            sub.clone(),
            prop::sample::select(vec!["+", "-", "*", "/"]),
            sub.clone(),
        )
            .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
            .boxed(),
        sub.prop_map(|a| format!("-{a}")).boxed(),
    ];
    if !member {
        options.push(
            pred(depth - 1, true)
                .prop_map(|p| format!("count(anggota, {p})"))
                .boxed(),
        );
        options.push(Just("count(anggota)".to_string()).boxed());
    }
    prop::strategy::Union::new(options).boxed()
}

fn code_test(member: bool) -> BoxedStrategy<String> {
    let mut fields: Vec<(String, Vec<&'static str>)> = HOUSEHOLD_CODES
        .iter()
        .map(|c| (c.name().to_string(), c.values()))
        .chain(
            MEMBER_CODES
                .iter()
                .map(|c| (format!("kepala.{}", c.name()), c.values())),
        )
        .collect();
    if member {
        fields.extend(
            MEMBER_CODES
                .iter()
                .map(|c| (c.name().to_string(), c.values())),
        );
    }
    (
        prop::sample::select(fields),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        0..4,
    )
        .prop_map(|((f, values), i, j, form)| {
            let a = values[i.index(values.len())];
            let b = values[j.index(values.len())];
            match form {
                0 => format!("{f} == \"{a}\""),
                1 => format!("{f} != \"{a}\""),
                2 => format!("{f} in [\"{a}\", \"{b}\"]"),
                _ => format!("{f} not in [\"{a}\"]"),
            }
        })
        .boxed()
}

/// A condition; `member` allows member fields (inside a quantifier).
fn pred(depth: u32, member: bool) -> BoxedStrategy<String> {
    let cmp = (
        num(depth.min(1), member),
        prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]),
        num(depth.min(1), member),
    )
        .prop_map(|(a, op, b)| format!("{a} {op} {b}"))
        .boxed();
    let numin = (
        num(0, member),
        prop::collection::vec(-2i32..12, 0..4),
        any::<bool>(),
    )
        .prop_map(|(a, xs, neg)| {
            let list: Vec<String> = xs.iter().map(|x| x.to_string()).collect();
            format!(
                "{a} {}in [{}]",
                if neg { "not " } else { "" },
                list.join(", ")
            )
        })
        .boxed();
    let region = prop::sample::select(REGIONS.to_vec())
        .prop_map(|r| format!("di_wilayah(\"{r}\")"))
        .boxed();
    let leaf = prop_oneof![
        3 => cmp,
        1 => numin,
        2 => code_test(member),
        1 => region,
        1 => prop::sample::select(vec!["true", "false"]).prop_map(str::to_string),
    ]
    .boxed();
    if depth == 0 {
        return leaf;
    }
    let sub = pred(depth - 1, member);
    let mut options = vec![
        leaf.clone(),
        leaf,
        (sub.clone(), sub.clone())
            .prop_map(|(a, b)| format!("({a} and {b})"))
            .boxed(),
        (sub.clone(), sub.clone())
            .prop_map(|(a, b)| format!("({a} or {b})"))
            .boxed(),
        sub.prop_map(|a| format!("not {a}")).boxed(),
    ];
    if !member {
        let inner = pred(depth - 1, true);
        options.push(
            inner
                .clone()
                .prop_map(|p| format!("any(anggota, {p})"))
                .boxed(),
        );
        options.push(inner.prop_map(|p| format!("all(anggota, {p})")).boxed());
    }
    prop::strategy::Union::new(options).boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn columnar_agrees_with_naive(
        src in pred(3, false),
        rows in prop::collection::vec(household(), 0..60),
        threads in 1usize..4,
    ) {
        let program = Program::compile(&src).map_err(|e| TestCaseError::fail(format!("{src}: {}", e.render())))?;
        let naive: Vec<bool> = rows.iter().map(|h| eval_household(&program, h)).collect();
        let snapshot = Snapshot::from_rows(&rows);
        prop_assert_eq!(snapshot.matches_threads(&program, threads), naive, "{}", src);
    }
}

/// Blocks of 4096 households: a registry larger than one block, with threads.
#[test]
fn columnar_agrees_across_blocks_and_threads() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let rows: Vec<HouseholdRow> = (0..9000)
        .map(|_| household().new_tree(&mut runner).unwrap().current())
        .collect();
    let snapshot = Snapshot::from_rows(&rows);
    for src in [
        "desil <= 4 and kepala.jenis_kelamin == \"P\" and any(anggota, umur >= 18 and umur <= 55)",
        "count(anggota, umur < 15) >= 2 or di_wilayah(\"53.71.02\")",
        "all(anggota, pendidikan in [\"sd\", \"smp\"] and desil > 2)",
    ] {
        let p = Program::compile(src).unwrap();
        let naive: Vec<bool> = rows.iter().map(|h| eval_household(&p, h)).collect();
        for threads in [1, 2, 3] {
            assert_eq!(
                snapshot.matches_threads(&p, threads),
                naive,
                "{src} threads {threads}"
            );
        }
        let groups: Vec<u32> = (0..snapshot.villages.len() as u32).map(|v| v % 2).collect();
        let counts = snapshot.count_by(&naive, &groups, 2);
        let total: u64 = counts.iter().map(|c| c.0).sum();
        assert_eq!(total, naive.iter().filter(|&&m| m).count() as u64);
    }
}
