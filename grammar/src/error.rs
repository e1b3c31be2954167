//! Syntax errors. The compiler turns each into a coded diagnostic (E00xx).

use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    /// The exact offending text (for end of input: an empty span just after the last token).
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ParseErrorKind {
    /// Text that is no token of the language (e.g. `$` or `#`).
    InvalidToken,
    /// `/*` without `*/`.
    UnterminatedComment,
    /// `"` without a closing `"`.
    UnterminatedString,
    /// A number literal that does not parse (e.g. `1e`), or overflows f64.
    InvalidNumber,
    /// A token where it cannot stand; `expected` lists what could (as written, e.g. "`;`", "identifier").
    UnexpectedToken { found: String, expected: Vec<String> },
    /// The input ended in the middle of something.
    UnexpectedEof { expected: Vec<String> },
    /// Brackets, braces or parentheses nested deeper than `limit`: rejected before parsing so that
    /// no later phase recurses too deep.
    TooDeep { limit: usize },
}
