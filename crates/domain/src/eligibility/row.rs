//! The naive evaluator: one household at a time, one member at a time.
//!
//! It is the reference the columnar evaluator is tested against (property tests),
//! and serves single-household checks where no snapshot is at hand.

use super::check::{CodeRef, Num, Pred, Program};
use super::fields::{HNum, KEPALA, PCode, PNum};
use super::parser::{ArithOp, CmpOp};
use crate::region::RegionCode;

/// One member as the evaluators see it.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRow {
    /// Age in whole years at the reference date.
    pub umur: Option<i16>,
    /// Coded fields in [`super::fields::MEMBER_CODES`] order (0 = missing).
    pub codes: [u8; 6],
}

/// One household with its members as the evaluators see it.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdRow {
    /// The village.
    pub village: RegionCode,
    /// Welfare decile 1–10, if ranked.
    pub desil: Option<u8>,
    /// PMT score, if scored.
    pub skor_pmt: Option<f64>,
    /// Reported monthly consumption, Rupiah.
    pub pengeluaran_bulanan: i64,
    /// Coded housing fields in [`super::fields::HOUSEHOLD_CODES`] order (0 = missing).
    pub housing: [u8; 8],
    /// Members.
    pub members: Vec<MemberRow>,
}

impl HouseholdRow {
    /// The head: the first member whose `hubungan` is `kepala`.
    pub fn head(&self) -> Option<&MemberRow> {
        self.members
            .iter()
            .find(|m| m.codes[PCode::Hubungan.index()] == KEPALA)
    }
}

/// `a op b` with the language's rules: division by zero gives a missing value.
pub fn arith(op: ArithOp, a: f64, b: f64) -> f64 {
    match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div => {
            if b == 0.0 {
                f64::NAN
            } else {
                a / b
            }
        }
    }
}

/// `a op b` with the language's rules: false when either side is missing.
pub fn compare(op: CmpOp, a: f64, b: f64) -> bool {
    match op {
        CmpOp::Eq => a == b,
        // false, not true, when either side is missing (NaN)
        CmpOp::Ne => a != b && !a.is_nan() && !b.is_nan(),
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

/// `a in set` / `a not in set`: false when `a` is missing.
pub fn in_set(a: f64, set: &[f64], negated: bool) -> bool {
    !a.is_nan() && (set.contains(&a) != negated)
}

/// A coded test: false when the value is missing.
pub fn code_test(code: u8, set: u64, negated: bool) -> bool {
    code != 0 && (((set >> code) & 1 == 1) != negated)
}

/// An age as a number (missing → `NaN`).
pub fn age(umur: Option<i16>) -> f64 {
    umur.map_or(f64::NAN, f64::from)
}

/// Evaluates `program` on one household.
pub fn eval_household(program: &Program, h: &HouseholdRow) -> bool {
    let regions = program.regions();
    pred(program.root(), h, None, regions)
}

fn house_num(f: HNum, h: &HouseholdRow) -> f64 {
    match f {
        HNum::Desil => h.desil.map_or(f64::NAN, f64::from),
        HNum::SkorPmt => h.skor_pmt.unwrap_or(f64::NAN),
        HNum::PengeluaranBulanan => h.pengeluaran_bulanan as f64,
        HNum::PengeluaranPerKapita => arith(
            ArithOp::Div,
            h.pengeluaran_bulanan as f64,
            h.members.len() as f64,
        ),
        HNum::JumlahAnggota => h.members.len() as f64,
    }
}

fn member_num(f: PNum, m: Option<&MemberRow>) -> f64 {
    match f {
        PNum::Umur => m.map_or(f64::NAN, |m| age(m.umur)),
    }
}

fn num(n: &Num, h: &HouseholdRow, m: Option<&MemberRow>, regions: &[RegionCode]) -> f64 {
    match n {
        Num::Const(c) => *c,
        Num::House(f) => house_num(*f, h),
        Num::Member(f) => member_num(*f, m),
        Num::Head(f) => member_num(*f, h.head()),
        Num::Arith(op, a, b) => arith(*op, num(a, h, m, regions), num(b, h, m, regions)),
        Num::Neg(a) => -num(a, h, m, regions),
        Num::Count(p) => h
            .members
            .iter()
            .filter(|x| pred(p, h, Some(x), regions))
            .count() as f64,
    }
}

fn code(f: CodeRef, h: &HouseholdRow, m: Option<&MemberRow>) -> u8 {
    match f {
        CodeRef::House(c) => h.housing[c.index()],
        CodeRef::Member(c) => m.map_or(0, |m| m.codes[c.index()]),
        CodeRef::Head(c) => h.head().map_or(0, |m| m.codes[c.index()]),
    }
}

fn pred(p: &Pred, h: &HouseholdRow, m: Option<&MemberRow>, regions: &[RegionCode]) -> bool {
    match p {
        Pred::Const(b) => *b,
        Pred::Cmp(op, a, b) => compare(*op, num(a, h, m, regions), num(b, h, m, regions)),
        Pred::NumIn {
            value,
            set,
            negated,
        } => in_set(num(value, h, m, regions), set, *negated),
        Pred::Code {
            field,
            set,
            negated,
        } => code_test(code(*field, h, m), *set, *negated),
        Pred::And(a, b) => pred(a, h, m, regions) && pred(b, h, m, regions),
        Pred::Or(a, b) => pred(a, h, m, regions) || pred(b, h, m, regions),
        Pred::Not(a) => !pred(a, h, m, regions),
        Pred::Any(a) => h.members.iter().any(|x| pred(a, h, Some(x), regions)),
        Pred::All(a) => h.members.iter().all(|x| pred(a, h, Some(x), regions)),
        Pred::InRegion(i) => {
            let r = &regions[*i];
            h.village == *r || h.village.is_under(r)
        }
    }
}
