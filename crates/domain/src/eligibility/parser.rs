//! The syntax tree and the recursive-descent parser (grammar in `docs/eligibility.md`).

use super::error::{ExprError, Span};
use super::lexer::{Tok, Token, lex};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl ArithOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }
}

/// A literal in an `in [..]` list.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A number.
    Number(f64),
    /// A text.
    Str(String),
}

/// A node of the syntax tree, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ast {
    /// The node.
    pub kind: AstKind,
    /// Where it is in the source.
    pub span: Span,
}

/// The kinds of syntax-tree nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum AstKind {
    /// A number literal.
    Number(f64),
    /// A text literal.
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// A field: `desil`, or `kepala.umur` (`prefix` = `kepala`).
    Field {
        /// `kepala` in `kepala.umur`.
        prefix: Option<(String, Span)>,
        /// The field name.
        name: String,
    },
    /// A function call `name(args)`.
    Call {
        /// Function name.
        name: String,
        /// Span of the name.
        name_span: Span,
        /// Arguments.
        args: Vec<Ast>,
    },
    /// `not x`
    Not(Box<Ast>),
    /// `-x`
    Neg(Box<Ast>),
    /// `a and b`
    And(Box<Ast>, Box<Ast>),
    /// `a or b`
    Or(Box<Ast>, Box<Ast>),
    /// `a op b` (comparison)
    Cmp(CmpOp, Box<Ast>, Box<Ast>),
    /// `a op b` (arithmetic)
    Arith(ArithOp, Box<Ast>, Box<Ast>),
    /// `a in [..]` or `a not in [..]`
    In {
        /// The tested value.
        value: Box<Ast>,
        /// The list, each item with its span.
        list: Vec<(Literal, Span)>,
        /// `not in`.
        negated: bool,
    },
}

/// The longest expression accepted, in bytes (checked before lexing).
pub const MAX_SOURCE_LEN: usize = 8 * 1024;

/// The deepest nesting accepted (32 keeps the debug-build worst case under 1 MiB of stack): no syntax tree is deeper than this and the parser never
/// recurses deeper (see `docs/eligibility.md`, "Limits"). Everything downstream (checking,
/// both evaluators, dropping the tree) recurses along the tree, so this bounds them too.
pub const MAX_DEPTH: usize = 32;

/// Parses an expression into its syntax tree.
///
/// Refuses, before doing the work, a source longer than [`MAX_SOURCE_LEN`] bytes and any
/// nesting deeper than [`MAX_DEPTH`] levels: parentheses, `not`, unary minus and function
/// calls each open a level, every operator node is one level of the tree (a chain of
/// arithmetic operators counts one level per operator), and a chain of `and` / `or` is
/// built as a balanced tree, so it counts about log2 of its length.
pub fn parse(src: &str) -> Result<Ast, ExprError> {
    if src.len() > MAX_SOURCE_LEN {
        let mut at = MAX_SOURCE_LEN;
        while !src.is_char_boundary(at) {
            at -= 1;
        }
        return Err(ExprError::new(
            src,
            Span::new(at, src.len()),
            format!(
                "the expression is {} bytes long; at most {MAX_SOURCE_LEN} bytes are accepted",
                src.len()
            ),
        ));
    }
    let toks = lex(src)?;
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        depth: 0,
    };
    if p.peek() == &Tok::Eof {
        return Err(p.error_here("the expression is empty"));
    }
    let e = p.or()?.ast;
    if p.peek() != &Tok::Eof {
        let t = p.peek().clone();
        let hint = match t {
            Tok::Ident(_) | Tok::Number(_) | Tok::Str(_) | Tok::LParen => {
                "; combine conditions with `and` or `or`"
            }
            Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge | Tok::Eq | Tok::Ne => {
                "; comparisons cannot be chained, write `a <= x and x <= b`"
            }
            _ => "",
        };
        return Err(p.error_here(&format!("unexpected {}{hint}", t.describe())));
    }
    Ok(e)
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// How many nested constructs (`(`, `not`, `-`, calls) the parser is inside.
    depth: usize,
}

/// A subtree with its height (a leaf has height 1).
struct Node {
    ast: Ast,
    height: usize,
}

fn too_deep(src: &str, span: Span) -> ExprError {
    ExprError::new(
        src,
        span,
        format!("expression nested deeper than {MAX_DEPTH} levels"),
    )
}

fn leaf(kind: AstKind, span: Span) -> Node {
    Node {
        ast: Ast { kind, span },
        height: 1,
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }
    fn span(&self) -> Span {
        self.toks[self.pos].span
    }
    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    /// A node over `children` (their heights), refused when it would be too deep.
    /// `at` is where the error points (the operator).
    fn node(
        &self,
        kind: AstKind,
        span: Span,
        children: usize,
        at: Span,
    ) -> Result<Node, ExprError> {
        let height = children + 1;
        if height > MAX_DEPTH {
            return Err(too_deep(self.src, at));
        }
        Ok(Node {
            ast: Ast { kind, span },
            height,
        })
    }
    /// Opens one level of nesting at `at`, before recursing into it.
    fn enter(&mut self, at: Span) -> Result<(), ExprError> {
        if self.depth >= MAX_DEPTH {
            return Err(too_deep(self.src, at));
        }
        self.depth += 1;
        Ok(())
    }
    fn leave(&mut self) {
        self.depth -= 1;
    }
    fn error_here(&self, msg: &str) -> ExprError {
        ExprError::new(self.src, self.span(), msg)
    }
    fn expect(&mut self, want: Tok, what: &str) -> Result<Token, ExprError> {
        if *self.peek() == want {
            Ok(self.bump())
        } else {
            Err(self.error_here(&format!(
                "expected {what}, found {}",
                self.peek().describe()
            )))
        }
    }

    fn or(&mut self) -> Result<Node, ExprError> {
        let mut items = vec![self.and()?];
        let mut ops = Vec::new();
        while self.peek() == &Tok::Or {
            ops.push(self.bump().span);
            items.push(self.and()?);
        }
        self.balanced(items, &ops, AstKind::Or)
    }

    fn and(&mut self) -> Result<Node, ExprError> {
        let mut items = vec![self.not()?];
        let mut ops = Vec::new();
        while self.peek() == &Tok::And {
            ops.push(self.bump().span);
            items.push(self.not()?);
        }
        self.balanced(items, &ops, AstKind::And)
    }

    /// Joins `items` (separated by the operators at `ops`) into a balanced tree, so a long
    /// chain of `and` / `or` stays shallow. Both are associative and evaluation has no side
    /// effects, so the shape does not change the result; the order of the operands (and so
    /// of the errors the checker reports) is kept.
    fn balanced(
        &self,
        mut items: Vec<Node>,
        ops: &[Span],
        join: fn(Box<Ast>, Box<Ast>) -> AstKind,
    ) -> Result<Node, ExprError> {
        // Pairwise rounds: each round halves the number of items, and no recursion is used.
        let mut ops = ops.to_vec();
        while items.len() > 1 {
            let mut next = Vec::with_capacity(items.len().div_ceil(2));
            let mut next_ops = Vec::with_capacity(ops.len() / 2);
            let mut it = items.into_iter();
            let mut op = ops.iter().copied();
            while let Some(left) = it.next() {
                let Some(right) = it.next() else {
                    next.push(left);
                    break;
                };
                let at = op.next().expect("one operator between two items");
                let span = left.ast.span.to(right.ast.span);
                let h = left.height.max(right.height);
                next.push(self.node(join(Box::new(left.ast), Box::new(right.ast)), span, h, at)?);
                if let Some(between) = op.next() {
                    next_ops.push(between);
                }
            }
            items = next;
            ops = next_ops;
        }
        Ok(items.pop().expect("at least one item"))
    }

    fn not(&mut self) -> Result<Node, ExprError> {
        if self.peek() == &Tok::Not {
            let start = self.span();
            self.enter(start)?;
            self.bump();
            let inner = self.not()?;
            self.leave();
            let span = start.to(inner.ast.span);
            return self.node(AstKind::Not(Box::new(inner.ast)), span, inner.height, start);
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Node, ExprError> {
        let left = self.sum()?;
        let op = match self.peek() {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            Tok::In => return self.in_list(left, false),
            Tok::Not if matches!(self.toks.get(self.pos + 1).map(|t| &t.tok), Some(Tok::In)) => {
                self.bump();
                return self.in_list(left, true);
            }
            _ => return Ok(left),
        };
        let at = self.bump().span;
        let right = self.sum()?;
        let span = left.ast.span.to(right.ast.span);
        let h = left.height.max(right.height);
        self.node(
            AstKind::Cmp(op, Box::new(left.ast), Box::new(right.ast)),
            span,
            h,
            at,
        )
    }

    fn in_list(&mut self, value: Node, negated: bool) -> Result<Node, ExprError> {
        let at = self.bump().span; // `in`
        self.expect(Tok::LBracket, "`[` to start the list after `in`")?;
        let mut list = Vec::new();
        loop {
            if self.peek() == &Tok::RBracket {
                break;
            }
            let start = self.span();
            let neg = if self.peek() == &Tok::Minus {
                self.bump();
                true
            } else {
                false
            };
            let t = self.bump();
            let lit = match t.tok {
                Tok::Number(n) => Literal::Number(if neg { -n } else { n }),
                Tok::Str(s) if !neg => Literal::Str(s),
                other => {
                    return Err(ExprError::new(
                        self.src,
                        t.span,
                        format!(
                            "a list after `in` holds numbers or quoted texts, found {}",
                            other.describe()
                        ),
                    ));
                }
            };
            list.push((lit, start.to(t.span)));
            if self.peek() == &Tok::Comma {
                self.bump();
            } else if self.peek() != &Tok::RBracket {
                return Err(self.error_here(&format!(
                    "expected `,` or `]` in the list, found {}",
                    self.peek().describe()
                )));
            }
        }
        let end = self.bump().span;
        let span = value.ast.span.to(end);
        self.node(
            AstKind::In {
                value: Box::new(value.ast),
                list,
                negated,
            },
            span,
            value.height,
            at,
        )
    }

    fn sum(&mut self) -> Result<Node, ExprError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => ArithOp::Add,
                Tok::Minus => ArithOp::Sub,
                _ => return Ok(left),
            };
            let at = self.bump().span;
            let right = self.product()?;
            let span = left.ast.span.to(right.ast.span);
            let h = left.height.max(right.height);
            left = self.node(
                AstKind::Arith(op, Box::new(left.ast), Box::new(right.ast)),
                span,
                h,
                at,
            )?;
        }
    }

    fn product(&mut self) -> Result<Node, ExprError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Star => ArithOp::Mul,
                Tok::Slash => ArithOp::Div,
                _ => return Ok(left),
            };
            let at = self.bump().span;
            let right = self.unary()?;
            let span = left.ast.span.to(right.ast.span);
            let h = left.height.max(right.height);
            left = self.node(
                AstKind::Arith(op, Box::new(left.ast), Box::new(right.ast)),
                span,
                h,
                at,
            )?;
        }
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        if self.peek() == &Tok::Minus {
            let start = self.span();
            self.enter(start)?;
            self.bump();
            let inner = self.unary()?;
            self.leave();
            let span = start.to(inner.ast.span);
            return self.node(AstKind::Neg(Box::new(inner.ast)), span, inner.height, start);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Node, ExprError> {
        let t = self.bump();
        match t.tok {
            Tok::Number(n) => Ok(leaf(AstKind::Number(n), t.span)),
            Tok::Str(s) => Ok(leaf(AstKind::Str(s), t.span)),
            Tok::True => Ok(leaf(AstKind::Bool(true), t.span)),
            Tok::False => Ok(leaf(AstKind::Bool(false), t.span)),
            Tok::LParen => {
                self.enter(t.span)?;
                let inner = self.or()?;
                self.leave();
                let close = self.expect(Tok::RParen, "`)` to close the `(`")?;
                Ok(Node {
                    ast: Ast {
                        kind: inner.ast.kind,
                        span: t.span.to(close.span),
                    },
                    height: inner.height,
                })
            }
            Tok::Ident(name) => {
                if self.peek() == &Tok::LParen {
                    let open = self.bump().span;
                    self.enter(open)?;
                    let mut args = Vec::new();
                    let mut h = 0;
                    if self.peek() != &Tok::RParen {
                        loop {
                            let a = self.or()?;
                            h = h.max(a.height);
                            args.push(a.ast);
                            if self.peek() == &Tok::Comma {
                                self.bump();
                            } else {
                                break;
                            }
                        }
                    }
                    self.leave();
                    let close = self.expect(Tok::RParen, "`,` or `)` in the call")?;
                    return self.node(
                        AstKind::Call {
                            name,
                            name_span: t.span,
                            args,
                        },
                        t.span.to(close.span),
                        h,
                        t.span,
                    );
                }
                if self.peek() == &Tok::Dot {
                    self.bump();
                    let f = self.bump();
                    let Tok::Ident(field) = f.tok else {
                        return Err(ExprError::new(
                            self.src,
                            f.span,
                            format!(
                                "expected a field name after `{name}.`, found {}",
                                f.tok.describe()
                            ),
                        ));
                    };
                    return Ok(leaf(
                        AstKind::Field {
                            prefix: Some((name, t.span)),
                            name: field,
                        },
                        t.span.to(f.span),
                    ));
                }
                Ok(leaf(AstKind::Field { prefix: None, name }, t.span))
            }
            other => Err(ExprError::new(
                self.src,
                t.span,
                format!(
                    "expected a value, a field or `(`, found {}",
                    other.describe()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> ExprError {
        parse(src).unwrap_err()
    }

    #[test]
    fn precedence_and_or_not_cmp_arith() {
        let a = parse("not a or b and c < 1 + 2 * 3").unwrap();
        let AstKind::Or(l, r) = a.kind else { panic!() };
        assert!(matches!(l.kind, AstKind::Not(_)));
        let AstKind::And(_, c) = r.kind else { panic!() };
        let AstKind::Cmp(CmpOp::Lt, _, sum) = c.kind else {
            panic!()
        };
        let AstKind::Arith(ArithOp::Add, _, prod) = sum.kind else {
            panic!()
        };
        assert!(matches!(prod.kind, AstKind::Arith(ArithOp::Mul, _, _)));
    }

    #[test]
    fn the_issue_example_parses() {
        let src = "desil <= 4 and kepala.jenis_kelamin == \"P\" and any(anggota, umur >= 18 and umur <= 55)";
        let a = parse(src).unwrap();
        assert_eq!(a.span, Span::new(0, src.len()));
    }

    #[test]
    fn in_lists_and_not_in() {
        let a = parse("lantai not in [\"tanah\", \"bambu\",] and desil in [1, -2]").unwrap();
        let AstKind::And(l, r) = a.kind else { panic!() };
        assert!(matches!(l.kind, AstKind::In { negated: true, ref list, .. } if list.len() == 2));
        assert!(
            matches!(r.kind, AstKind::In { negated: false, ref list, .. } if list[1].0 == Literal::Number(-2.0))
        );
    }

    #[test]
    fn errors_point_at_the_position() {
        let e = err("desil <= ");
        assert_eq!((e.line, e.column), (1, 10));
        assert!(e.message.contains("end of the expression"), "{}", e.message);

        let e = err("desil <= 4 and (umur > 3");
        assert_eq!(e.column, 25);
        assert!(e.message.contains("`)`"), "{}", e.message);

        let e = err("desil <= 4 lantai == \"tanah\"");
        assert_eq!(e.column, 12);
        assert!(e.message.contains("and"), "{}", e.message);

        let e = err("1 < desil < 5");
        assert_eq!(e.column, 11);
        assert!(e.message.contains("chained"), "{}", e.message);

        let e = err("desil in [1, umur]");
        assert_eq!(e.column, 14);

        let e = err("desil in 1");
        assert_eq!(e.column, 10);
        assert!(e.message.contains("`[`"), "{}", e.message);

        let e = err("kepala.\n  == 2");
        assert_eq!((e.line, e.column), (2, 3));

        let e = err("  ");
        assert_eq!(e.message, "the expression is empty");
    }
}
