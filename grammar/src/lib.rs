//! The mpcc grammar: tokens (`logos`), the parser (`lalrpop`), the AST and spans.
//!
//! Text in, values out: this crate does no IO. [`parse`] never panics and always returns a
//! tree, with `Error` nodes where it recovered, together with every syntax error it found.
//! No tree it returns is taller than [`MAX_NESTING`], so later phases may walk it recursively.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod ast;
pub mod error;
mod nodes;
mod shift;
pub mod span;
mod syntax_error;
pub mod token;

#[cfg(test)]
mod tests;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, clippy::unwrap_used, clippy::expect_used)]
    #[allow(clippy::indexing_slicing, clippy::panic, unused_qualifications)]
    grammar
);

pub use error::{ParseError, ParseErrorKind};
pub use span::Span;

/// The deepest nesting of `(`, `[` and `{`, and the tallest expression or statement tree, that
/// the parser accepts.
pub const MAX_NESTING: usize = 256;

/// After this many lexical and syntax errors, parsing stops: the rest of the source is not read.
/// (`TooDeep` errors do not count; there can be at most one per few hundred tokens.)
pub const MAX_ERRORS: usize = 1000;

/// Parses a whole source file. The errors come sorted by where they start.
///
/// Input nested deeper than [`MAX_NESTING`] brackets gives one `TooDeep` error at the first
/// bracket past the limit and an empty program: nothing else is parsed. After [`MAX_ERRORS`]
/// errors the rest of the source is ignored.
pub fn parse(src: &str) -> (ast::Program, Vec<ParseError>) {
    let whole = Span::new(0, src.len());
    if let Some(span) = token::too_deep_bracket(src, MAX_NESTING) {
        let error = ParseError { kind: ParseErrorKind::TooDeep { limit: MAX_NESTING }, span };
        return (ast::Program { items: Vec::new(), span: whole }, vec![error]);
    }
    let mut lex_errors = Vec::new();
    let mut errors = Vec::new();
    let count = std::cell::Cell::new(0);
    let tokens = token::Tokens::new(src, &mut lex_errors, &count);
    let items = match grammar::ProgramParser::new().parse(src, &mut errors, &count, tokens) {
        Ok(items) => items,
        Err(error) => {
            // Recovery at top level accepts any error before the end of input, so this is not
            // expected; report it rather than lose it.
            errors.push(syntax_error::convert(src, error));
            Vec::new()
        }
    };
    errors.extend(lex_errors);
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    (ast::Program { items, span: whole }, errors)
}
