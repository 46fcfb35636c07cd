//! Limits of the eligibility language (security issue #13): hostile expressions are refused
//! with a positioned error instead of overflowing the stack, and everything the parser accepts
//! can be checked, evaluated (both evaluators) and dropped on a small stack.
//!
//! Every test runs on a thread with a 1 MiB stack (half the default of a test or tokio
//! thread), so a recursion that the limits do not bound really aborts the test: in a debug
//! build one level of parentheses costs the parser about 20 KiB of stack, so the thousand
//! levels of the original report would need about 20 MiB.

use sejahtera_domain::RegionCode;
use sejahtera_domain::eligibility::parser::{MAX_DEPTH, MAX_SOURCE_LEN};
use sejahtera_domain::eligibility::{
    ExprError, HouseholdRow, MemberRow, Program, Snapshot, eval_household,
};

const SMALL_STACK: usize = 1024 * 1024;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the thread must not panic or overflow")
}

fn household() -> HouseholdRow {
    HouseholdRow {
        village: RegionCode::parse("53.71.02.1001").unwrap(),
        desil: Some(3),
        skor_pmt: Some(-0.5),
        pengeluaran_bulanan: 1_500_000,
        housing: [1; 8],
        members: vec![
            MemberRow {
                umur: Some(34),
                codes: [2, 1, 0, 0, 0, 0],
            },
            MemberRow {
                umur: Some(7),
                codes: [1, 3, 0, 0, 0, 0],
            },
        ],
    }
}

/// Compiles `src` and, when accepted, evaluates it with both evaluators (which must agree).
fn compile_and_eval(src: String) -> Result<bool, ExprError> {
    on_small_stack(move || {
        let p = Program::compile(&src)?;
        let h = household();
        let naive = eval_household(&p, &h);
        let columnar = Snapshot::from_rows(&[h]).matches(&p);
        assert_eq!(columnar, vec![naive], "{src}");
        Ok(naive)
    })
}

fn too_deep(src: String) -> ExprError {
    let e = compile_and_eval(src).unwrap_err();
    assert_eq!(
        e.message,
        format!("expression nested deeper than {MAX_DEPTH} levels")
    );
    e
}

#[test]
fn thousand_open_parens_is_an_error_not_a_stack_overflow() {
    let e = too_deep("(".repeat(1000));
    // The 65th `(` opens the 65th level.
    assert_eq!((e.line, e.column), (1, MAX_DEPTH + 1));
    let e = too_deep(format!(
        "{}desil <= 4{}",
        "(".repeat(1000),
        ")".repeat(1000)
    ));
    assert_eq!(e.column, MAX_DEPTH + 1);
}

#[test]
fn ten_thousand_nots_is_an_error_not_a_stack_overflow() {
    // 40 KB: refused by the length limit before lexing.
    let e = compile_and_eval(format!("{}desil <= 4", "not ".repeat(10_000))).unwrap_err();
    assert!(
        e.message
            .contains(&format!("at most {MAX_SOURCE_LEN} bytes are accepted")),
        "{}",
        e.message
    );
    // 8 KB, under the length limit: refused by the depth limit at the 65th `not`.
    let e = too_deep(format!("{}desil <= 4", "not ".repeat(2000)));
    assert_eq!(e.column, 4 * MAX_DEPTH + 1);
}

#[test]
fn thousands_of_unary_minuses_are_an_error_not_a_stack_overflow() {
    let e = too_deep(format!("desil > {}1", "-".repeat(8000)));
    assert_eq!(e.column, 9 + MAX_DEPTH);
}

#[test]
fn long_arithmetic_chain_is_an_error_not_a_deep_tree() {
    // `1+1+…` parses in a loop, but builds a left-deep tree the checker and evaluators recurse on.
    let e = too_deep(format!("desil < 1{}", "+1".repeat(4000)));
    assert_eq!(e.line, 1);
    let e = too_deep(format!("desil < 1{}", "*1".repeat(4000)));
    assert_eq!(e.line, 1);
    // A chain just under the limit is fine.
    assert!(compile_and_eval(format!("desil < 1{}", "+1".repeat(MAX_DEPTH - 2))).unwrap());
}

#[test]
fn nested_calls_are_an_error_not_a_stack_overflow() {
    let e = too_deep(format!("{}1{}", "f(".repeat(2000), ")".repeat(2000)));
    assert_eq!(e.column, 2 * MAX_DEPTH + 2);
}

#[test]
fn mixed_nesting_is_an_error_not_a_stack_overflow() {
    let e = too_deep(format!("{}desil", "(not -".repeat(1000)));
    assert_eq!(e.line, 1);
}

#[test]
fn an_over_long_expression_is_refused_before_lexing() {
    let src = format!("desil <= 4{}", " or desil == 9".repeat(1000));
    let e = compile_and_eval(src.clone()).unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "the expression is {} bytes long; at most {MAX_SOURCE_LEN} bytes are accepted",
            src.len()
        )
    );
    assert_eq!(e.span.start, MAX_SOURCE_LEN);
    // A multi-byte character across the limit does not split.
    let src = format!("{}\"{}\"", " ".repeat(MAX_SOURCE_LEN - 2), "é".repeat(4));
    let e = Program::compile(&src).unwrap_err();
    assert!(e.message.contains("bytes long"), "{}", e.message);
}

#[test]
fn hundreds_of_conditions_joined_by_or_and_and_are_fine() {
    // 500 conditions: `and`/`or` chains are balanced, so they stay shallow.
    let src = format!("desil == 99{}", " or desil == 3".repeat(500));
    assert!(src.len() <= MAX_SOURCE_LEN);
    assert!(compile_and_eval(src).unwrap());
    let src = format!("desil == 3{}", " and desil < 9".repeat(500));
    assert!(compile_and_eval(src).unwrap());
    let src = format!("desil == 3{}", " and desil > 9".repeat(500));
    assert!(!compile_and_eval(src).unwrap());
    // Errors still come in source order.
    let e = compile_and_eval(format!(
        "desil == 3{} and umr > 1 and desl > 1",
        " and desil < 9".repeat(100)
    ))
    .unwrap_err();
    assert!(
        e.message.starts_with("unknown field `umr`"),
        "{}",
        e.message
    );
}

#[test]
fn the_deepest_accepted_expressions_check_and_evaluate_on_a_small_stack() {
    let d = MAX_DEPTH;
    // MAX_DEPTH parentheses.
    let src = format!("{}desil <= 4{}", "(".repeat(d), ")".repeat(d));
    assert!(compile_and_eval(src).unwrap());
    // `not` over a comparison: a tree of MAX_DEPTH levels, and one more is refused.
    let src = format!("{}desil <= 4", "not ".repeat(d - 2));
    assert_eq!(compile_and_eval(src).unwrap(), d.is_multiple_of(2));
    let e = too_deep(format!("{}desil <= 4", "not ".repeat(d - 1)));
    assert_eq!(e.line, 1);
    // Nesting inside a quantifier and inside count.
    let src = format!("any(anggota, {}umur > 30)", "not ".repeat(d - 4));
    assert!(compile_and_eval(src).unwrap());
    let src = format!("count(anggota, {}umur > 30) == 1", "not ".repeat(d - 6));
    assert!(compile_and_eval(src).unwrap());
    // Negations, arithmetic in parentheses and a parenthesised chain of `and`.
    let src = format!("desil == {}3", "-".repeat(d - 2));
    assert!(compile_and_eval(src).unwrap());
    let src = format!("desil == {}3{}", "(1 * ".repeat(d - 2), ")".repeat(d - 2));
    assert!(compile_and_eval(src).unwrap());
    let src = format!(
        "{}desil == 3{}",
        "(desil < 9 and ".repeat(d - 8),
        ")".repeat(d - 8)
    );
    assert!(compile_and_eval(src).unwrap());
}
