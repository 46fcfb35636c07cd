//! Errors of the eligibility language, positioned in the source text.

use std::fmt;

/// A byte range of the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte (equal to `start` for the end of the input).
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// An error in an eligibility expression: what is wrong and where.
///
/// `line` and `column` are 1-based; `column` counts characters (not bytes)
/// from the start of the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ExprError {
    /// Where in the source.
    pub span: Span,
    /// 1-based line of `span.start`.
    pub line: usize,
    /// 1-based column (in characters) of `span.start`.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The source line holding the error (without its newline).
    pub source_line: String,
}

impl ExprError {
    /// An error at `span` of `src`.
    pub fn new(src: &str, span: Span, message: impl Into<String>) -> ExprError {
        let start = span.start.min(src.len());
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let line = src[..start].matches('\n').count() + 1;
        let column = src[line_start..start].chars().count() + 1;
        ExprError {
            span,
            line,
            column,
            message: message.into(),
            source_line: src[line_start..line_end].to_string(),
        }
    }

    /// The error with the source line and a caret under the faulty part:
    ///
    /// ```text
    /// line 1, column 12: unknown field `desl` (household fields: …)
    ///   desil <= 4 and desl > 2
    ///                  ^^^^
    /// ```
    pub fn render(&self) -> String {
        let width = {
            let line_start_col = self.column - 1;
            let rest: String = self.source_line.chars().skip(line_start_col).collect();
            let len = self.span.end.saturating_sub(self.span.start);
            // Count the characters of the span that lie on this line (at least one caret).
            let mut n = 0usize;
            let mut bytes = 0usize;
            for c in rest.chars() {
                if bytes >= len {
                    break;
                }
                bytes += c.len_utf8();
                n += 1;
            }
            n.max(1)
        };
        format!(
            "{self}\n  {}\n  {}{}",
            self.source_line,
            " ".repeat(self.column - 1),
            "^".repeat(width)
        )
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let src = "desil <= 4\nand kepala.jenis_kelamin == \"é\" and umr";
        let at = src.rfind("umr").unwrap();
        let e = ExprError::new(src, Span::new(at, at + 3), "unknown field `umr`");
        assert_eq!((e.line, e.column), (2, 37));
        assert_eq!(
            e.render(),
            "line 2, column 37: unknown field `umr`\n  and kepala.jenis_kelamin == \"é\" and umr\n                                      ^^^"
        );
    }

    #[test]
    fn end_of_input_gets_one_caret() {
        let e = ExprError::new("desil <=", Span::new(8, 8), "expected a value");
        assert_eq!((e.line, e.column), (1, 9));
        assert!(e.render().ends_with("\n          ^"), "{}", e.render());
    }
}
