//! Turns LALRPOP's errors into [`ParseError`]s with short, readable lists of what was expected.
//!
//! LALRPOP names every terminal it would have accepted (`"\";\""`, `Ident`, …). Here those names
//! become "`;`", "identifier", …, and well-known groups collapse into one word: every token that
//! can start an expression becomes "expression", every binary operator "operator", every
//! statement keyword (with the expression starts) "statement". Nothing here parses.

use std::cell::Cell;

use crate::error::{ParseError, ParseErrorKind};
use crate::span::Span;
use crate::token::Tok;
use crate::MAX_ERRORS;

type LalrpopError<'a> = lalrpop_util::ParseError<usize, Tok<'a>, ParseError>;

/// The longest source text quoted as the `found` of an unexpected token.
const MAX_FOUND: usize = 24;

/// Records a syntax error, unless [`MAX_ERRORS`] have been recorded already.
pub fn record(errors: &mut Vec<ParseError>, count: &Cell<usize>, src: &str, error: LalrpopError<'_>) {
    if count.get() < MAX_ERRORS {
        count.set(count.get() + 1);
        errors.push(convert(src, error));
    }
}

pub fn convert(src: &str, error: LalrpopError<'_>) -> ParseError {
    match error {
        lalrpop_util::ParseError::UnrecognizedToken { token: (l, _, r), expected } => ParseError {
            kind: ParseErrorKind::UnexpectedToken { found: found(src, l, r), expected: readable(&expected) },
            span: Span::new(l, r),
        },
        lalrpop_util::ParseError::UnrecognizedEof { location, expected } => ParseError {
            kind: ParseErrorKind::UnexpectedEof { expected: readable(&expected) },
            span: Span::new(location, location),
        },
        lalrpop_util::ParseError::ExtraToken { token: (l, _, r) } => ParseError {
            kind: ParseErrorKind::UnexpectedToken {
                found: found(src, l, r),
                expected: vec!["end of input".to_string()],
            },
            span: Span::new(l, r),
        },
        lalrpop_util::ParseError::InvalidToken { location } => {
            ParseError { kind: ParseErrorKind::InvalidToken, span: Span::new(location, location) }
        }
        lalrpop_util::ParseError::User { error } => error,
    }
}

/// The text of the token at `l..r`, in backticks, shortened if long.
fn found(src: &str, l: usize, r: usize) -> String {
    let text = src.get(l..r).unwrap_or("");
    match text.char_indices().nth(MAX_FOUND) {
        Some((cut, _)) => format!("`{}…`", text.get(..cut).unwrap_or("")),
        None => format!("`{text}`"),
    }
}

const EXPRESSION: &[&str] = &["Ident", "Num", "Str", "\"(\"", "\"[\"", "\"-\"", "\"true\"", "\"false\""];
const OPERATOR: &[&str] =
    &["\"+\"", "\"-\"", "\"*\"", "\"/\"", "\"@\"", "\"<\"", "\"<=\"", "\">\"", "\">=\"", "\"==\"", "\"!=\""];
const STATEMENT: &[&str] = &["\"let\"", "\"if\"", "\"for\"", "\"while\"", "\"return\"", "\"break\"", "\"continue\""];
const ASSIGNMENT: &[&str] = &["\"=\"", "\"+=\"", "\"-=\"", "\"*=\"", "\"/=\""];

/// LALRPOP's terminal names, as a short list for people.
fn readable(expected: &[String]) -> Vec<String> {
    let has_all = |group: &[&str]| group.iter().all(|g| expected.iter().any(|e| e == g));
    // Groups in order of precedence: a token already covered by a group is not listed again.
    let mut groups: Vec<(&[&str], &str)> = Vec::new();
    if has_all(STATEMENT) && has_all(EXPRESSION) {
        groups.push((STATEMENT, "statement"));
        groups.push((EXPRESSION, "statement"));
    } else if has_all(EXPRESSION) {
        groups.push((EXPRESSION, "expression"));
    }
    if has_all(OPERATOR) {
        groups.push((OPERATOR, "operator"));
    }
    if has_all(ASSIGNMENT) {
        groups.push((ASSIGNMENT, "assignment"));
    }
    let mut out: Vec<String> = Vec::new();
    for name in expected {
        let word = match groups.iter().find(|(members, _)| members.contains(&name.as_str())) {
            Some((_, word)) => (*word).to_string(),
            None => terminal(name),
        };
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

/// One terminal's name for people: "`;`", "identifier", "number", "string".
fn terminal(name: &str) -> String {
    match name {
        "Ident" => "identifier".to_string(),
        "Num" => "number".to_string(),
        "Str" => "string".to_string(),
        _ => {
            let bare = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(name);
            format!("`{bare}`")
        }
    }
}
