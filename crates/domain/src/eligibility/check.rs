//! Type checking: resolves names against the known fields and turns the syntax
//! tree into the typed program both evaluators run.

use super::error::{ExprError, Span};
use super::fields::*;
use super::parser::{ArithOp, Ast, AstKind, CmpOp, Literal, parse};
use crate::region::RegionCode;

/// A numeric expression of a checked program. Missing values are `NaN`.
#[derive(Debug, Clone, PartialEq)]
pub enum Num {
    /// A constant.
    Const(f64),
    /// A household field.
    House(HNum),
    /// A member field (inside a quantifier).
    Member(PNum),
    /// A field of the household's head (`kepala.umur`).
    Head(PNum),
    /// Arithmetic.
    Arith(ArithOp, Box<Num>, Box<Num>),
    /// Negation.
    Neg(Box<Num>),
    /// `count(anggota, p)`: members for which `p` holds.
    Count(Box<Pred>),
}

/// Where a coded value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRef {
    /// A household field.
    House(HCode),
    /// A member field (inside a quantifier).
    Member(PCode),
    /// The head's field (`kepala.jenis_kelamin`).
    Head(PCode),
}

impl CodeRef {
    fn name(self) -> String {
        match self {
            CodeRef::House(c) => c.name().to_string(),
            CodeRef::Member(c) => c.name().to_string(),
            CodeRef::Head(c) => format!("kepala.{}", c.name()),
        }
    }
    fn values(self) -> Vec<&'static str> {
        match self {
            CodeRef::House(c) => c.values(),
            CodeRef::Member(c) | CodeRef::Head(c) => c.values(),
        }
    }
}

/// A condition of a checked program.
#[derive(Debug, Clone, PartialEq)]
pub enum Pred {
    /// `true` / `false`.
    Const(bool),
    /// A numeric comparison (false when either side is missing).
    Cmp(CmpOp, Num, Num),
    /// `x in [..]` / `x not in [..]` on numbers (false when `x` is missing).
    NumIn {
        /// The tested value.
        value: Num,
        /// The list.
        set: Vec<f64>,
        /// `not in`.
        negated: bool,
    },
    /// `field == "v"`, `!=`, `in`, `not in` on a coded field (false when missing).
    /// Bit `k` of `set` stands for the stored code `k`.
    Code {
        /// The field.
        field: CodeRef,
        /// The allowed codes.
        set: u64,
        /// `!=` / `not in`.
        negated: bool,
    },
    /// Both.
    And(Box<Pred>, Box<Pred>),
    /// Either.
    Or(Box<Pred>, Box<Pred>),
    /// Negation.
    Not(Box<Pred>),
    /// Some member satisfies it (false for a household without members).
    Any(Box<Pred>),
    /// Every member satisfies it (true for a household without members).
    All(Box<Pred>),
    /// The household lives in the region (by index into [`Program::regions`]).
    InRegion(usize),
}

/// A checked eligibility expression, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    source: String,
    root: Pred,
    regions: Vec<RegionCode>,
}

impl Program {
    /// Parses and checks an expression.
    ///
    /// ```
    /// use sejahtera_domain::eligibility::Program;
    /// let p = Program::compile(r#"desil <= 4 and kepala.jenis_kelamin == "P""#).unwrap();
    /// assert!(p.uses_welfare());
    /// let e = Program::compile("desil <= 4 and umr > 3").unwrap_err();
    /// assert_eq!(e.column, 16);
    /// ```
    pub fn compile(src: &str) -> Result<Program, ExprError> {
        let ast = parse(src)?;
        let mut c = Checker {
            src,
            in_members: false,
            regions: Vec::new(),
        };
        let root = match c.expr(&ast)? {
            Typed::Bool(p) => p,
            other => {
                return Err(c.err(
                    ast.span,
                    format!(
                        "the expression must be a condition (true or false), not {}",
                        other.describe()
                    ),
                ));
            }
        };
        Ok(Program {
            source: src.to_string(),
            root,
            regions: c.regions,
        })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The checked condition.
    pub fn root(&self) -> &Pred {
        &self.root
    }

    /// The regions named in `di_wilayah(..)`, in order of appearance.
    pub fn regions(&self) -> &[RegionCode] {
        &self.regions
    }

    /// Whether the expression reads `desil` or `skor_pmt` (which need a stored PMT ranking).
    pub fn uses_welfare(&self) -> bool {
        fn num(n: &Num) -> bool {
            match n {
                Num::House(HNum::Desil | HNum::SkorPmt) => true,
                Num::Arith(_, a, b) => num(a) || num(b),
                Num::Neg(a) => num(a),
                Num::Count(p) => pred(p),
                _ => false,
            }
        }
        fn pred(p: &Pred) -> bool {
            match p {
                Pred::Cmp(_, a, b) => num(a) || num(b),
                Pred::NumIn { value, .. } => num(value),
                Pred::And(a, b) | Pred::Or(a, b) => pred(a) || pred(b),
                Pred::Not(a) | Pred::Any(a) | Pred::All(a) => pred(a),
                _ => false,
            }
        }
        pred(&self.root)
    }
}

enum Typed {
    Num(Num),
    Bool(Pred),
    Code(CodeRef),
    Str(String),
}

impl Typed {
    fn describe(&self) -> String {
        match self {
            Typed::Num(_) => "a number".into(),
            Typed::Bool(_) => "a condition".into(),
            Typed::Code(c) => format!("the coded field `{}`", c.name()),
            Typed::Str(s) => format!("the text {s:?}"),
        }
    }
}

struct Checker<'a> {
    src: &'a str,
    in_members: bool,
    regions: Vec<RegionCode>,
}

const FUNCTIONS: &str =
    "any(anggota, …), all(anggota, …), count(anggota[, …]), di_wilayah(\"kode\")";

impl Checker<'_> {
    fn err(&self, span: Span, msg: impl Into<String>) -> ExprError {
        ExprError::new(self.src, span, msg)
    }

    fn num(&mut self, a: &Ast) -> Result<Num, ExprError> {
        match self.expr(a)? {
            Typed::Num(n) => Ok(n),
            other => Err(self.err(
                a.span,
                format!("expected a number, found {}", other.describe()),
            )),
        }
    }

    fn pred(&mut self, a: &Ast) -> Result<Pred, ExprError> {
        match self.expr(a)? {
            Typed::Bool(p) => Ok(p),
            other => Err(self.err(
                a.span,
                format!(
                    "expected a condition (true or false), found {}",
                    other.describe()
                ),
            )),
        }
    }

    fn field(
        &mut self,
        prefix: &Option<(String, Span)>,
        name: &str,
        span: Span,
    ) -> Result<Typed, ExprError> {
        let house_num = HOUSEHOLD_NUMBERS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f);
        let house_code = HOUSEHOLD_CODES.iter().find(|c| c.name() == name).copied();
        let member_code = MEMBER_CODES.iter().find(|c| c.name() == name).copied();
        let member_num = (name == "umur").then_some(PNum::Umur);
        match prefix {
            Some((p, pspan)) if p == "kepala" => {
                if let Some(n) = member_num {
                    return Ok(Typed::Num(Num::Head(n)));
                }
                if let Some(c) = member_code {
                    return Ok(Typed::Code(CodeRef::Head(c)));
                }
                let _ = pspan;
                Err(self.err(
                    span,
                    format!(
                        "unknown member field `{name}` after `kepala.`; member fields: {}",
                        member_field_names().join(", ")
                    ),
                ))
            }
            Some((p, pspan)) => Err(self.err(
                *pspan,
                format!("unknown `{p}.`: only `kepala.` (the head of the household) takes a field"),
            )),
            None => {
                if let Some(n) = house_num {
                    return Ok(Typed::Num(Num::House(n)));
                }
                if let Some(c) = house_code {
                    return Ok(Typed::Code(CodeRef::House(c)));
                }
                if member_num.is_some() || member_code.is_some() {
                    if !self.in_members {
                        return Err(self.err(
                            span,
                            format!(
                                "`{name}` is a member field: use it inside any(anggota, …), all(anggota, …) or count(anggota, …), or as kepala.{name}"
                            ),
                        ));
                    }
                    return Ok(match (member_num, member_code) {
                        (Some(n), _) => Typed::Num(Num::Member(n)),
                        (_, Some(c)) => Typed::Code(CodeRef::Member(c)),
                        _ => unreachable!("checked above"),
                    });
                }
                if name == "anggota" {
                    return Err(self.err(
                        span,
                        "`anggota` is the list of members: use it as any(anggota, …), all(anggota, …) or count(anggota, …)",
                    ));
                }
                if name == "kepala" {
                    return Err(self.err(
                        span,
                        "`kepala` needs a field, e.g. kepala.umur or kepala.jenis_kelamin",
                    ));
                }
                Err(self.err(
                    span,
                    format!(
                        "unknown field `{name}`; household fields: {}; member fields (inside any/all/count, or after kepala.): {}",
                        household_field_names().join(", "),
                        member_field_names().join(", ")
                    ),
                ))
            }
        }
    }

    fn code_value(&self, field: CodeRef, value: &str, span: Span) -> Result<u64, ExprError> {
        let values = field.values();
        match values
            .iter()
            .position(|v| v.eq_ignore_ascii_case(value.trim()))
        {
            Some(i) => Ok(1u64 << (i + 1)),
            None => Err(self.err(
                span,
                format!(
                    "unknown value {value:?} for `{}` (allowed: {})",
                    field.name(),
                    values.join(", ")
                ),
            )),
        }
    }

    fn call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Ast],
        span: Span,
    ) -> Result<Typed, ExprError> {
        match name {
            "any" | "all" | "count" => {
                if self.in_members {
                    return Err(self.err(
                        name_span,
                        format!("`{name}` cannot be nested inside another any/all/count"),
                    ));
                }
                let Some(first) = args.first() else {
                    return Err(self.err(span, format!("`{name}` needs `anggota` as its first argument, e.g. {name}(anggota, umur >= 18)")));
                };
                if !matches!(&first.kind, AstKind::Field { prefix: None, name } if name == "anggota")
                {
                    return Err(self.err(
                        first.span,
                        format!("the first argument of `{name}` must be `anggota` (the household's members)"),
                    ));
                }
                let wanted = if name == "count" { 1..=2 } else { 2..=2 };
                if !wanted.contains(&args.len()) {
                    return Err(self.err(
                        span,
                        format!(
                            "`{name}` takes {} arguments, got {}",
                            if name == "count" { "1 or 2" } else { "2" },
                            args.len()
                        ),
                    ));
                }
                let inner = match args.get(1) {
                    None => Pred::Const(true),
                    Some(a) => {
                        self.in_members = true;
                        let r = self.pred(a);
                        self.in_members = false;
                        r?
                    }
                };
                Ok(match name {
                    "any" => Typed::Bool(Pred::Any(Box::new(inner))),
                    "all" => Typed::Bool(Pred::All(Box::new(inner))),
                    _ => Typed::Num(Num::Count(Box::new(inner))),
                })
            }
            "di_wilayah" => {
                let [arg] = args else {
                    return Err(self.err(
                        span,
                        "`di_wilayah` takes one region code, e.g. di_wilayah(\"53.71.02\")",
                    ));
                };
                let AstKind::Str(code) = &arg.kind else {
                    return Err(self.err(
                        arg.span,
                        "`di_wilayah` takes a quoted region code, e.g. di_wilayah(\"53.71.02\")",
                    ));
                };
                let code = RegionCode::parse(code).map_err(|_| {
                    self.err(
                        arg.span,
                        format!("{code:?} is not a region code (e.g. \"53.71\", \"53.71.02\" or \"53.71.02.1001\")"),
                    )
                })?;
                self.regions.push(code);
                Ok(Typed::Bool(Pred::InRegion(self.regions.len() - 1)))
            }
            _ => Err(self.err(
                name_span,
                format!("unknown function `{name}`; functions: {FUNCTIONS}"),
            )),
        }
    }

    fn expr(&mut self, a: &Ast) -> Result<Typed, ExprError> {
        Ok(match &a.kind {
            AstKind::Number(n) => Typed::Num(Num::Const(*n)),
            AstKind::Str(s) => Typed::Str(s.clone()),
            AstKind::Bool(b) => Typed::Bool(Pred::Const(*b)),
            AstKind::Field { prefix, name } => self.field(prefix, name, a.span)?,
            AstKind::Call {
                name,
                name_span,
                args,
            } => self.call(name, *name_span, args, a.span)?,
            AstKind::Not(x) => Typed::Bool(Pred::Not(Box::new(self.pred(x)?))),
            AstKind::Neg(x) => Typed::Num(Num::Neg(Box::new(self.num(x)?))),
            AstKind::And(x, y) => {
                Typed::Bool(Pred::And(Box::new(self.pred(x)?), Box::new(self.pred(y)?)))
            }
            AstKind::Or(x, y) => {
                Typed::Bool(Pred::Or(Box::new(self.pred(x)?), Box::new(self.pred(y)?)))
            }
            AstKind::Arith(op, x, y) => Typed::Num(Num::Arith(
                *op,
                Box::new(self.num(x)?),
                Box::new(self.num(y)?),
            )),
            AstKind::Cmp(op, x, y) => {
                let l = self.expr(x)?;
                let r = self.expr(y)?;
                match (l, r) {
                    (Typed::Num(l), Typed::Num(r)) => Typed::Bool(Pred::Cmp(*op, l, r)),
                    (Typed::Code(f), Typed::Str(s)) | (Typed::Str(s), Typed::Code(f)) => {
                        let negated = match op {
                            CmpOp::Eq => false,
                            CmpOp::Ne => true,
                            _ => {
                                return Err(self.err(
                                    a.span,
                                    format!(
                                        "`{}` is coded: compare it with ==, != or in [..], not {}",
                                        f.name(),
                                        op.symbol()
                                    ),
                                ));
                            }
                        };
                        let lit_span = if matches!(x.kind, AstKind::Str(_)) {
                            x.span
                        } else {
                            y.span
                        };
                        let set = self.code_value(f, &s, lit_span)?;
                        Typed::Bool(Pred::Code {
                            field: f,
                            set,
                            negated,
                        })
                    }
                    (Typed::Code(f), Typed::Num(_)) | (Typed::Num(_), Typed::Code(f)) => {
                        return Err(self.err(
                            a.span,
                            format!(
                                "`{}` is coded, not a number: compare it with a quoted value ({})",
                                f.name(),
                                f.values().join(", ")
                            ),
                        ));
                    }
                    (l, r) => {
                        return Err(self.err(
                            a.span,
                            format!("cannot compare {} with {}", l.describe(), r.describe()),
                        ));
                    }
                }
            }
            AstKind::In {
                value,
                list,
                negated,
            } => match self.expr(value)? {
                Typed::Num(n) => {
                    let mut set = Vec::with_capacity(list.len());
                    for (lit, span) in list {
                        match lit {
                            Literal::Number(x) => set.push(*x),
                            Literal::Str(s) => {
                                return Err(self.err(
                                    *span,
                                    format!("the list holds numbers, but {s:?} is a text"),
                                ));
                            }
                        }
                    }
                    Typed::Bool(Pred::NumIn {
                        value: n,
                        set,
                        negated: *negated,
                    })
                }
                Typed::Code(f) => {
                    let mut set = 0u64;
                    for (lit, span) in list {
                        match lit {
                            Literal::Str(s) => set |= self.code_value(f, s, *span)?,
                            Literal::Number(x) => {
                                return Err(self.err(
                                    *span,
                                    format!("`{}` is coded: the list holds quoted values, not the number {x}", f.name()),
                                ));
                            }
                        }
                    }
                    Typed::Bool(Pred::Code {
                        field: f,
                        set,
                        negated: *negated,
                    })
                }
                other => {
                    return Err(self.err(
                        value.span,
                        format!(
                            "`in` tests a number or a coded field, not {}",
                            other.describe()
                        ),
                    ));
                }
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> ExprError {
        Program::compile(src).unwrap_err()
    }

    #[test]
    fn the_issue_example_checks() {
        let p = Program::compile(
            "desil <= 4 and kepala.jenis_kelamin == \"P\" and any(anggota, umur >= 18 and umur <= 55)",
        )
        .unwrap();
        assert!(p.uses_welfare());
        let p =
            Program::compile("count(anggota, umur < 15) >= 2 and di_wilayah(\"5371\")").unwrap();
        assert!(!p.uses_welfare());
        assert_eq!(p.regions()[0].as_str(), "53.71");
    }

    #[test]
    fn unknown_fields_list_the_allowed_ones() {
        let e = err("desil <= 4 and umr >= 18");
        assert_eq!((e.line, e.column), (1, 16));
        assert!(
            e.message.starts_with("unknown field `umr`"),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("household fields: desil, skor_pmt"),
            "{}",
            e.message
        );
        assert!(e.message.contains("member fields"), "{}", e.message);
        assert!(e.message.contains("umur, jenis_kelamin"), "{}", e.message);

        let e = err("kepala.umr > 3");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("after `kepala.`"), "{}", e.message);
        let e = err("istri.umur > 3");
        assert!(e.message.contains("only `kepala.`"), "{}", e.message);
    }

    #[test]
    fn member_fields_outside_a_quantifier_are_refused() {
        let e = err("umur >= 18");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("member field"), "{}", e.message);
        let e = err("any(anggota, any(anggota, umur > 1))");
        assert_eq!(e.column, 14);
        assert!(e.message.contains("nested"), "{}", e.message);
        let e = err("any(orang, umur > 1)");
        assert_eq!(e.column, 5);
    }

    #[test]
    fn coded_values_are_checked() {
        let e = err("lantai == \"marmer\"");
        assert_eq!(e.column, 11);
        assert!(
            e.message.contains("tanah, bambu, kayu, semen, keramik"),
            "{}",
            e.message
        );
        let e = err("lantai < \"kayu\"");
        assert!(e.message.contains("==, != or in"), "{}", e.message);
        let e = err("lantai in [\"tanah\", 3]");
        assert_eq!(e.column, 21);
        let e = err("kepala.jenis_kelamin == 1");
        assert!(e.message.contains("quoted value (L, P)"), "{}", e.message);
        // case-insensitive
        Program::compile("kepala.jenis_kelamin == \"p\" and lantai in [\"TANAH\"]").unwrap();
    }

    #[test]
    fn type_errors() {
        let e = err("desil + 1");
        assert!(e.message.contains("must be a condition"), "{}", e.message);
        let e = err("desil and true");
        assert!(e.message.contains("expected a condition"), "{}", e.message);
        let e = err("desil == \"4\"");
        assert!(
            e.message.contains("cannot compare a number with the text"),
            "{}",
            e.message
        );
        let e = err("di_wilayah(\"53.7\")");
        assert_eq!(e.column, 12);
        let e = err("foo(1)");
        assert!(
            e.message.contains("unknown function `foo`"),
            "{}",
            e.message
        );
        let e = err("any(anggota)");
        assert!(e.message.contains("takes 2 arguments"), "{}", e.message);
    }
}
