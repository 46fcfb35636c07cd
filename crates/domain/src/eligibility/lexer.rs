//! Tokens of the eligibility language.

use super::error::{ExprError, Span};

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A name: a field, a function or `anggota`.
    Ident(String),
    /// A number literal (digits, optional `_` separators, optional fraction).
    Number(f64),
    /// A string literal between double quotes.
    Str(String),
    /// `and`
    And,
    /// `or`
    Or,
    /// `not`
    Not,
    /// `in`
    In,
    /// `true`
    True,
    /// `false`
    False,
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
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// End of the input.
    Eof,
}

impl Tok {
    /// How the token is named in error messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Number(n) => format!("the number {n}"),
            Tok::Str(s) => format!("the text {s:?}"),
            Tok::Eof => "the end of the expression".into(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::In => "in",
            Tok::True => "true",
            Tok::False => "false",
            Tok::Eq => "==",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::Ident(_) | Tok::Number(_) | Tok::Str(_) | Tok::Eof => "",
        }
    }
}

/// A token with its place in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The kind.
    pub tok: Tok,
    /// Where it is.
    pub span: Span,
}

/// Splits the source into tokens; `#` starts a comment to the end of the line.
pub fn lex(src: &str) -> Result<Vec<Token>, ExprError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0usize;
    let err = |s: usize, e: usize, m: String| ExprError::new(src, Span::new(s, e), m);
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        let two = |x: u8| b.get(i + 1) == Some(&x);
        let (tok, len) = match c {
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'[' => (Tok::LBracket, 1),
            b']' => (Tok::RBracket, 1),
            b',' => (Tok::Comma, 1),
            b'.' => (Tok::Dot, 1),
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'*' => (Tok::Star, 1),
            b'/' => (Tok::Slash, 1),
            b'=' if two(b'=') => (Tok::Eq, 2),
            b'=' => {
                return Err(err(
                    start,
                    start + 1,
                    "`=` is not an operator; compare with `==`".into(),
                ));
            }
            b'!' if two(b'=') => (Tok::Ne, 2),
            b'!' => {
                return Err(err(
                    start,
                    start + 1,
                    "`!` is not an operator; negate with `not`".into(),
                ));
            }
            b'<' if two(b'=') => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b'>' if two(b'=') => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'&' => {
                return Err(err(
                    start,
                    start + if two(b'&') { 2 } else { 1 },
                    "use `and` to combine conditions".into(),
                ));
            }
            b'|' => {
                return Err(err(
                    start,
                    start + if two(b'|') { 2 } else { 1 },
                    "use `or` to combine conditions".into(),
                ));
            }
            b'"' => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match src[j..].chars().next() {
                        None => return Err(err(start, j, "this text has no closing `\"`".into())),
                        Some('"') => {
                            j += 1;
                            break;
                        }
                        Some('\\') => match src[j + 1..].chars().next() {
                            Some(e @ ('"' | '\\')) => {
                                s.push(e);
                                j += 2;
                            }
                            _ => {
                                return Err(err(
                                    j,
                                    j + 2,
                                    "only `\\\"` and `\\\\` escapes are allowed in text".into(),
                                ));
                            }
                        },
                        Some('\n') => {
                            return Err(err(
                                start,
                                j,
                                "this text has no closing `\"` on its line".into(),
                            ));
                        }
                        Some(ch) => {
                            s.push(ch);
                            j += ch.len_utf8();
                        }
                    }
                }
                (Tok::Str(s), j - i)
            }
            b'0'..=b'9' => {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'_') {
                    j += 1;
                }
                if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
                    j += 1;
                    while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'_') {
                        j += 1;
                    }
                }
                if j < b.len() && (b[j].is_ascii_alphabetic() || b[j] == b'_') {
                    return Err(err(start, j + 1, "a number cannot run into a name".into()));
                }
                let text: String = src[i..j].chars().filter(|&c| c != '_').collect();
                let n: f64 = text
                    .parse()
                    .map_err(|_| err(start, j, format!("`{}` is not a number", &src[i..j])))?;
                (Tok::Number(n), j - i)
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let word = &src[i..j];
                let tok = match word {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "in" => Tok::In,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    w => Tok::Ident(w.to_string()),
                };
                (tok, j - i)
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(err(
                    start,
                    start + ch.len_utf8(),
                    format!("unexpected character `{ch}`"),
                ));
            }
        };
        i += len;
        out.push(Token {
            tok,
            span: Span::new(start, i),
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span::new(b.len(), b.len()),
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_of_the_example() {
        assert_eq!(
            kinds("desil <= 4 and kepala.jenis_kelamin == \"P\" # comment\n"),
            vec![
                Tok::Ident("desil".into()),
                Tok::Le,
                Tok::Number(4.0),
                Tok::And,
                Tok::Ident("kepala".into()),
                Tok::Dot,
                Tok::Ident("jenis_kelamin".into()),
                Tok::Eq,
                Tok::Str("P".into()),
                Tok::Eof
            ]
        );
        assert_eq!(kinds("645_346.5")[0], Tok::Number(645_346.5));
    }

    #[test]
    fn lexical_errors_are_positioned() {
        let e = lex("desil = 4").unwrap_err();
        assert_eq!((e.column, e.span), (7, Span::new(6, 7)));
        assert!(e.message.contains("=="), "{}", e.message);
        let e = lex("a && b").unwrap_err();
        assert_eq!(e.column, 3);
        assert!(e.message.contains("and"));
        let e = lex("x == \"abc").unwrap_err();
        assert_eq!(e.column, 6);
        let e = lex("4kali").unwrap_err();
        assert_eq!(e.column, 1);
        let e = lex("umur ≥ 18").unwrap_err();
        assert_eq!(
            (e.column, e.message.as_str()),
            (6, "unexpected character `≥`")
        );
    }
}
