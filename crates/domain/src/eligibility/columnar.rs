//! The columnar snapshot and its evaluator.
//!
//! Households and persons are held as column vectors; the persons of household
//! `h` are rows `offsets[h]..offsets[h + 1]` of the person columns (CSR layout).
//! An expression is evaluated over blocks of households at a time: every node of
//! the checked program turns whole columns of the block into a column of results,
//! and member quantifiers reduce a person column over each household's range.

use super::check::{CodeRef, Num, Pred, Program};
use super::fields::{HNum, KEPALA, PCode, PNum};
use super::parser::ArithOp;
use super::row::{HouseholdRow, arith, code_test, compare, in_set};
use crate::region::RegionCode;

/// No head in the household.
pub const NO_HEAD: u32 = u32::MAX;
/// Missing age.
pub const NO_AGE: i16 = i16::MIN;

/// Households per evaluation block.
const BLOCK: usize = 4096;

/// Households and their members in columns.
///
/// Coded columns hold 0 for a missing value and `k` for the k-th value of the
/// column's code list (see [`super::fields::code_index`]). Build it with
/// [`Snapshot::push_household`] and [`Snapshot::push_member`], or from rows with
/// [`Snapshot::from_rows`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Village codes; households refer to them by index.
    pub villages: Vec<RegionCode>,
    /// Per household: index into `villages`.
    pub village: Vec<u32>,
    /// Per household: decile 1–10, 0 when not ranked.
    pub desil: Vec<u8>,
    /// Per household: PMT score, `NaN` when not scored.
    pub skor_pmt: Vec<f64>,
    /// Per household: reported monthly consumption.
    pub pengeluaran_bulanan: Vec<i64>,
    /// Per household: coded housing fields in [`super::fields::HOUSEHOLD_CODES`] order.
    pub housing: [Vec<u8>; 8],
    /// Per household: index of its head in the person columns, [`NO_HEAD`] when none.
    pub head: Vec<u32>,
    /// `households + 1` offsets into the person columns.
    pub offsets: Vec<u32>,
    /// Per person: age in whole years, [`NO_AGE`] when unknown.
    pub umur: Vec<i16>,
    /// Per person: coded fields in [`super::fields::MEMBER_CODES`] order.
    pub person_codes: [Vec<u8>; 6],
}

impl Snapshot {
    /// An empty snapshot.
    pub fn new() -> Snapshot {
        Snapshot {
            offsets: vec![0],
            ..Snapshot::default()
        }
    }

    /// Number of households.
    pub fn households(&self) -> usize {
        self.village.len()
    }

    /// Number of persons.
    pub fn persons(&self) -> usize {
        self.umur.len()
    }

    /// Members of household `h` (a range of person rows).
    pub fn members(&self, h: usize) -> std::ops::Range<usize> {
        self.offsets[h] as usize..self.offsets[h + 1] as usize
    }

    /// Adds a village code and returns its index.
    pub fn add_village(&mut self, code: RegionCode) -> u32 {
        self.villages.push(code);
        (self.villages.len() - 1) as u32
    }

    /// Appends a household (without members yet: add them with [`Snapshot::push_member`]).
    pub fn push_household(
        &mut self,
        village: u32,
        desil: Option<u8>,
        skor_pmt: Option<f64>,
        pengeluaran_bulanan: i64,
        housing: [u8; 8],
    ) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.village.push(village);
        self.desil.push(desil.unwrap_or(0));
        self.skor_pmt.push(skor_pmt.unwrap_or(f64::NAN));
        self.pengeluaran_bulanan.push(pengeluaran_bulanan);
        for (col, v) in self.housing.iter_mut().zip(housing) {
            col.push(v);
        }
        self.head.push(NO_HEAD);
        let end = *self.offsets.last().unwrap_or(&0);
        self.offsets.push(end);
    }

    /// Appends a member to the last household; the first member whose `hubungan`
    /// is `kepala` becomes its head.
    pub fn push_member(&mut self, umur: Option<i16>, codes: [u8; 6]) {
        let index = self.umur.len() as u32;
        self.umur.push(umur.unwrap_or(NO_AGE));
        for (col, v) in self.person_codes.iter_mut().zip(codes) {
            col.push(v);
        }
        if let Some(end) = self.offsets.last_mut() {
            *end += 1;
        }
        if codes[PCode::Hubungan.index()] == KEPALA
            && let Some(head) = self.head.last_mut()
            && *head == NO_HEAD
        {
            *head = index;
        }
    }

    /// Builds a snapshot from rows (villages are added as they appear).
    pub fn from_rows(rows: &[HouseholdRow]) -> Snapshot {
        let mut s = Snapshot::new();
        let mut index = std::collections::HashMap::new();
        for h in rows {
            let v = *index
                .entry(h.village.clone())
                .or_insert_with(|| s.add_village(h.village.clone()));
            s.push_household(v, h.desil, h.skor_pmt, h.pengeluaran_bulanan, h.housing);
            for m in &h.members {
                s.push_member(m.umur, m.codes);
            }
        }
        s
    }

    /// Which households satisfy `program`, one `bool` per household.
    pub fn matches(&self, program: &Program) -> Vec<bool> {
        self.matches_threads(program, 1)
    }

    /// [`Snapshot::matches`] on `threads` threads (contiguous ranges of households).
    pub fn matches_threads(&self, program: &Program, threads: usize) -> Vec<bool> {
        let n = self.households();
        let masks: Vec<Vec<bool>> = program
            .regions()
            .iter()
            .map(|r| {
                self.villages
                    .iter()
                    .map(|v| v == r || v.is_under(r))
                    .collect()
            })
            .collect();
        let mut out = vec![false; n];
        let threads = threads.clamp(1, n.div_ceil(BLOCK).max(1));
        let per = n.div_ceil(threads).div_ceil(BLOCK) * BLOCK;
        let work = |start: usize, dst: &mut [bool]| {
            let mut h0 = start;
            for block in dst.chunks_mut(BLOCK) {
                let c = Block::new(self, h0, h0 + block.len(), &masks);
                block.copy_from_slice(&c.pred_h(program.root()));
                h0 += block.len();
            }
        };
        if threads == 1 || per == 0 {
            work(0, &mut out);
        } else {
            std::thread::scope(|s| {
                for (i, dst) in out.chunks_mut(per).enumerate() {
                    let work = &work;
                    s.spawn(move || work(i * per, dst));
                }
            });
        }
        out
    }

    /// Households and persons among the matches, per group: `group_of_village[v]`
    /// is the group (`< groups`) of village `v`.
    pub fn count_by(
        &self,
        matches: &[bool],
        group_of_village: &[u32],
        groups: usize,
    ) -> Vec<(u64, u64)> {
        let mut out = vec![(0u64, 0u64); groups];
        for (h, &m) in matches.iter().enumerate() {
            if m {
                let g = &mut out[group_of_village[self.village[h] as usize] as usize];
                g.0 += 1;
                g.1 += u64::from(self.offsets[h + 1] - self.offsets[h]);
            }
        }
        out
    }
}

/// One block of households and the range of their persons.
struct Block<'a> {
    s: &'a Snapshot,
    h0: usize,
    h1: usize,
    p0: usize,
    p1: usize,
    masks: &'a [Vec<bool>],
}

impl<'a> Block<'a> {
    fn new(s: &'a Snapshot, h0: usize, h1: usize, masks: &'a [Vec<bool>]) -> Block<'a> {
        Block {
            s,
            h0,
            h1,
            p0: s.offsets[h0] as usize,
            p1: s.offsets[h1] as usize,
            masks,
        }
    }

    fn nh(&self) -> usize {
        self.h1 - self.h0
    }

    /// Repeats each household's value for each of its members.
    fn broadcast<T: Copy>(&self, v: &[T]) -> Vec<T> {
        let mut out = Vec::with_capacity(self.p1 - self.p0);
        let off = &self.s.offsets[self.h0..=self.h1];
        for (i, x) in v.iter().enumerate() {
            let n = (off[i + 1] - off[i]) as usize;
            out.extend(std::iter::repeat_n(*x, n));
        }
        out
    }

    /// Member ranges of the block's households, relative to `p0`.
    fn ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let p0 = self.p0 as u32;
        self.s.offsets[self.h0..=self.h1]
            .windows(2)
            .map(move |w| (w[0] - p0) as usize..(w[1] - p0) as usize)
    }

    fn head_code(&self, c: PCode) -> Vec<u8> {
        let col = &self.s.person_codes[c.index()];
        self.s.head[self.h0..self.h1]
            .iter()
            .map(|&i| if i == NO_HEAD { 0 } else { col[i as usize] })
            .collect()
    }

    fn ages(umur: &[i16]) -> Vec<f64> {
        umur.iter()
            .map(|&a| if a == NO_AGE { f64::NAN } else { f64::from(a) })
            .collect()
    }

    fn head_num(&self, f: PNum) -> Vec<f64> {
        match f {
            PNum::Umur => self.s.head[self.h0..self.h1]
                .iter()
                .map(|&i| {
                    if i == NO_HEAD {
                        f64::NAN
                    } else {
                        let a = self.s.umur[i as usize];
                        if a == NO_AGE { f64::NAN } else { f64::from(a) }
                    }
                })
                .collect(),
        }
    }

    fn house_num(&self, f: HNum) -> Vec<f64> {
        let (h0, h1) = (self.h0, self.h1);
        let size = || {
            self.s.offsets[h0..=h1]
                .windows(2)
                .map(|w| f64::from(w[1] - w[0]))
        };
        match f {
            HNum::Desil => self.s.desil[h0..h1]
                .iter()
                .map(|&d| if d == 0 { f64::NAN } else { f64::from(d) })
                .collect(),
            HNum::SkorPmt => self.s.skor_pmt[h0..h1].to_vec(),
            HNum::PengeluaranBulanan => self.s.pengeluaran_bulanan[h0..h1]
                .iter()
                .map(|&x| x as f64)
                .collect(),
            HNum::PengeluaranPerKapita => self.s.pengeluaran_bulanan[h0..h1]
                .iter()
                .zip(size())
                .map(|(&x, n)| arith(ArithOp::Div, x as f64, n))
                .collect(),
            HNum::JumlahAnggota => size().collect(),
        }
    }

    fn num_h(&self, n: &Num) -> Vec<f64> {
        match n {
            Num::Const(c) => vec![*c; self.nh()],
            Num::House(f) => self.house_num(*f),
            Num::Head(f) => self.head_num(*f),
            Num::Member(_) => {
                debug_assert!(
                    false,
                    "member field outside a quantifier passed the checker"
                );
                vec![f64::NAN; self.nh()]
            }
            Num::Arith(op, a, b) => zip_num(self.num_h(a), &self.num_h(b), *op),
            Num::Neg(a) => neg(self.num_h(a)),
            Num::Count(p) => {
                let m = self.pred_p(p);
                self.ranges()
                    .map(|r| m[r].iter().filter(|&&x| x).count() as f64)
                    .collect()
            }
        }
    }

    fn num_p(&self, n: &Num) -> Vec<f64> {
        match n {
            Num::Const(c) => vec![*c; self.p1 - self.p0],
            Num::Member(PNum::Umur) => Self::ages(&self.s.umur[self.p0..self.p1]),
            Num::Arith(op, a, b) => zip_num(self.num_p(a), &self.num_p(b), *op),
            Num::Neg(a) => neg(self.num_p(a)),
            // Household-level values are the same for every member.
            Num::House(_) | Num::Head(_) | Num::Count(_) => self.broadcast(&self.num_h(n)),
        }
    }

    fn code_h(&self, f: CodeRef) -> Vec<u8> {
        match f {
            CodeRef::House(c) => self.s.housing[c.index()][self.h0..self.h1].to_vec(),
            CodeRef::Head(c) => self.head_code(c),
            CodeRef::Member(_) => {
                debug_assert!(
                    false,
                    "member field outside a quantifier passed the checker"
                );
                vec![0; self.nh()]
            }
        }
    }

    fn pred_h(&self, p: &Pred) -> Vec<bool> {
        match p {
            Pred::Const(b) => vec![*b; self.nh()],
            Pred::Cmp(op, a, b) => cmp_cols(*op, a, b, |n| self.num_h(n)),
            Pred::NumIn {
                value,
                set,
                negated,
            } => self
                .num_h(value)
                .into_iter()
                .map(|x| in_set(x, set, *negated))
                .collect(),
            Pred::Code {
                field,
                set,
                negated,
            } => self
                .code_h(*field)
                .into_iter()
                .map(|c| code_test(c, *set, *negated))
                .collect(),
            Pred::And(a, b) => and(self.pred_h(a), &self.pred_h(b)),
            Pred::Or(a, b) => or(self.pred_h(a), &self.pred_h(b)),
            Pred::Not(a) => not(self.pred_h(a)),
            Pred::Any(a) => {
                let m = self.pred_p(a);
                self.ranges().map(|r| m[r].iter().any(|&x| x)).collect()
            }
            Pred::All(a) => {
                let m = self.pred_p(a);
                self.ranges().map(|r| m[r].iter().all(|&x| x)).collect()
            }
            Pred::InRegion(i) => {
                let mask = &self.masks[*i];
                self.s.village[self.h0..self.h1]
                    .iter()
                    .map(|&v| mask[v as usize])
                    .collect()
            }
        }
    }

    fn pred_p(&self, p: &Pred) -> Vec<bool> {
        match p {
            Pred::Const(b) => vec![*b; self.p1 - self.p0],
            Pred::Cmp(op, a, b) => {
                // Fast path: a member's age against a constant, straight on the i16 column.
                if let (Num::Member(PNum::Umur), Num::Const(c)) = (a, b) {
                    let c = *c;
                    return self.s.umur[self.p0..self.p1]
                        .iter()
                        .map(|&x| x != NO_AGE && compare(*op, f64::from(x), c))
                        .collect();
                }
                cmp_cols(*op, a, b, |n| self.num_p(n))
            }
            Pred::NumIn {
                value,
                set,
                negated,
            } => self
                .num_p(value)
                .into_iter()
                .map(|x| in_set(x, set, *negated))
                .collect(),
            Pred::Code {
                field: CodeRef::Member(c),
                set,
                negated,
            } => self.s.person_codes[c.index()][self.p0..self.p1]
                .iter()
                .map(|&c| code_test(c, *set, *negated))
                .collect(),
            Pred::And(a, b) => and(self.pred_p(a), &self.pred_p(b)),
            Pred::Or(a, b) => or(self.pred_p(a), &self.pred_p(b)),
            Pred::Not(a) => not(self.pred_p(a)),
            // Household-level conditions are the same for every member.
            Pred::Code { .. } | Pred::Any(_) | Pred::All(_) | Pred::InRegion(_) => {
                self.broadcast(&self.pred_h(p))
            }
        }
    }
}

fn cmp_cols(
    op: super::parser::CmpOp,
    a: &Num,
    b: &Num,
    eval: impl Fn(&Num) -> Vec<f64>,
) -> Vec<bool> {
    if let Num::Const(c) = b {
        return eval(a).into_iter().map(|x| compare(op, x, *c)).collect();
    }
    let (x, y) = (eval(a), eval(b));
    x.into_iter()
        .zip(y)
        .map(|(x, y)| compare(op, x, y))
        .collect()
}

fn zip_num(mut a: Vec<f64>, b: &[f64], op: ArithOp) -> Vec<f64> {
    for (x, y) in a.iter_mut().zip(b) {
        *x = arith(op, *x, *y);
    }
    a
}

fn neg(mut a: Vec<f64>) -> Vec<f64> {
    for x in &mut a {
        *x = -*x;
    }
    a
}

fn and(mut a: Vec<bool>, b: &[bool]) -> Vec<bool> {
    for (x, y) in a.iter_mut().zip(b) {
        *x &= *y;
    }
    a
}

fn or(mut a: Vec<bool>, b: &[bool]) -> Vec<bool> {
    for (x, y) in a.iter_mut().zip(b) {
        *x |= *y;
    }
    a
}

fn not(mut a: Vec<bool>) -> Vec<bool> {
    for x in &mut a {
        *x = !*x;
    }
    a
}
