//! The tokens of the language (a `logos` lexer) and the token stream the parser reads.
//!
//! Lexical errors (a character that starts no token, an unterminated string or comment, a bad
//! number or escape) are collected as [`ParseError`]s and never reach the parser: the stream
//! goes on after them (a bad number is read as `0`, an unterminated string as a string). This module does not know the grammar; it only checks bracket nesting
//! ([`too_deep_bracket`]) so that deeply nested input is rejected before anything recurses on it.

use std::borrow::Cow;
use std::cell::Cell;

use logos::{FilterResult, Logos};

use crate::error::{ParseError, ParseErrorKind};
use crate::span::Span;
use crate::MAX_ERRORS;

/// Why `logos` could not produce a token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LexErrorKind {
    /// No token starts here.
    #[default]
    Invalid,
    /// `/*` whose `*/` never comes.
    UnterminatedComment,
    /// A number that does not parse or is not finite.
    InvalidNumber,
}

/// One token. Strings keep their raw text (without the quotes) until [`Tokens`] unescapes them.
#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(error = LexErrorKind)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r"//[^\n]*", allow_greedy = true))]
pub enum Tok<'a> {
    #[token("parties")]
    Parties,
    #[token("param")]
    Param,
    #[token("fn")]
    Fn,
    #[token("use")]
    Use,
    #[token("let")]
    Let,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("while")]
    While,
    #[token("return")]
    Return,
    #[token("break")]
    Break,
    #[token("continue")]
    Continue,
    #[token("true")]
    True,
    #[token("false")]
    False,

    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident(&'a str),
    /// `3`, `2.5`, `.5`, `1e-3`. A sign is never part of the number.
    #[regex(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?", number)]
    #[regex(r"\.[0-9]+([eE][+-]?[0-9]+)?", number)]
    #[regex(r"[0-9]+(\.[0-9]+)?[eE][+-]?", bad_number)]
    Num(f64),
    /// A string literal; the parser sees the unescaped contents.
    #[regex(r#""([^"\\\n]|\\[^\n])*""#, |lex| Cow::Borrowed(quoted(lex.slice(), true)))]
    Str(Cow<'a, str>),
    /// A string literal missing its closing `"` on the same line; reported, then read as a string.
    #[regex(r#""([^"\\\n]|\\[^\n])*\\?"#, |lex| quoted(lex.slice(), false))]
    UnterminatedStr(&'a str),

    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("@")]
    At,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("==")]
    EqEq,
    #[token("!=")]
    Ne,
    #[token("=")]
    Assign,
    #[token("+=")]
    PlusAssign,
    #[token("-=")]
    MinusAssign,
    #[token("*=")]
    StarAssign,
    #[token("/=")]
    SlashAssign,
    #[token("..")]
    DotDot,

    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,

    /// `/* … */`, nested; never emitted (skipped, or an error when unterminated).
    #[token("/*", block_comment)]
    BlockComment,
}

fn number<'a>(lex: &mut logos::Lexer<'a, Tok<'a>>) -> Result<f64, LexErrorKind> {
    match lex.slice().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(LexErrorKind::InvalidNumber),
    }
}

fn bad_number<'a>(_: &mut logos::Lexer<'a, Tok<'a>>) -> Result<f64, LexErrorKind> {
    Err(LexErrorKind::InvalidNumber)
}

/// The text between the quotes of a string literal (closed or not).
fn quoted(slice: &str, closed: bool) -> &str {
    let inner = slice.strip_prefix('"').unwrap_or(slice);
    if closed {
        inner.strip_suffix('"').unwrap_or(inner)
    } else {
        inner
    }
}

/// Skips a (nested) block comment; the opening `/*` has been matched.
fn block_comment<'a>(lex: &mut logos::Lexer<'a, Tok<'a>>) -> FilterResult<(), LexErrorKind> {
    let rest = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while let Some(&b) = rest.get(i) {
        let next = rest.get(i + 1).copied();
        if b == b'*' && next == Some(b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                lex.bump(i);
                return FilterResult::Skip;
            }
        } else if b == b'/' && next == Some(b'*') {
            depth += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    lex.bump(rest.len());
    FilterResult::Error(LexErrorKind::UnterminatedComment)
}

/// The token stream the parser reads: `(start, token, end)` triples, lexical errors left out and
/// pushed to `errors` instead. `count` counts the errors of the whole parse (lexical and
/// syntactic): once it reaches [`MAX_ERRORS`], the stream ends early.
pub struct Tokens<'a, 'e> {
    lexer: logos::Lexer<'a, Tok<'a>>,
    errors: &'e mut Vec<ParseError>,
    count: &'e Cell<usize>,
}

impl<'a, 'e> Tokens<'a, 'e> {
    pub fn new(src: &'a str, errors: &'e mut Vec<ParseError>, count: &'e Cell<usize>) -> Self {
        Tokens { lexer: Tok::lexer(src), errors, count }
    }

    fn error(&mut self, kind: ParseErrorKind, span: Span) {
        // A run of invalid characters is one error.
        if kind == ParseErrorKind::InvalidToken {
            if let Some(last) = self.errors.last_mut() {
                if last.kind == ParseErrorKind::InvalidToken && last.span.end == span.start {
                    last.span.end = span.end;
                    return;
                }
            }
        }
        if self.count.get() < MAX_ERRORS {
            self.count.set(self.count.get() + 1);
            self.errors.push(ParseError { kind, span });
        }
    }

    /// Processes the escapes of a string whose contents start at byte `start`.
    fn unescape(&mut self, raw: &'a str, start: usize) -> Cow<'a, str> {
        if !raw.contains('\\') {
            return Cow::Borrowed(raw);
        }
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((j, e)) = chars.next() else {
                break; // A lone trailing `\` of an unterminated string.
            };
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                '\\' | '"' | '\'' => out.push(e),
                _ => {
                    let span = Span::new(start + i, start + j + e.len_utf8());
                    self.error(ParseErrorKind::InvalidToken, span);
                    out.push(e);
                }
            }
        }
        Cow::Owned(out)
    }
}

impl<'a> Iterator for Tokens<'a, '_> {
    type Item = Result<(usize, Tok<'a>, usize), ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.count.get() >= MAX_ERRORS {
                return None;
            }
            let token = self.lexer.next()?;
            let range = self.lexer.span();
            let span = Span::new(range.start, range.end);
            match token {
                Ok(Tok::Str(Cow::Borrowed(raw))) => {
                    let text = self.unescape(raw, range.start + 1);
                    return Some(Ok((range.start, Tok::Str(text), range.end)));
                }
                Ok(Tok::UnterminatedStr(raw)) => {
                    self.error(ParseErrorKind::UnterminatedString, span);
                    let text = self.unescape(raw, range.start + 1);
                    return Some(Ok((range.start, Tok::Str(text), range.end)));
                }
                Ok(tok) => return Some(Ok((range.start, tok, range.end))),
                Err(LexErrorKind::Invalid) => self.error(ParseErrorKind::InvalidToken, span),
                Err(LexErrorKind::InvalidNumber) => {
                    // Reported, then read as a number so that the statement still parses.
                    self.error(ParseErrorKind::InvalidNumber, span);
                    return Some(Ok((range.start, Tok::Num(0.0), range.end)));
                }
                Err(LexErrorKind::UnterminatedComment) => {
                    let opening = Span::new(range.start, range.start + 2);
                    self.error(ParseErrorKind::UnterminatedComment, opening);
                }
            }
        }
    }
}

/// The first `(`, `[` or `{` nested deeper than `limit`, if any. Lexical errors are ignored here.
pub fn too_deep_bracket(src: &str, limit: usize) -> Option<Span> {
    let mut lexer = Tok::lexer(src);
    let mut depth = 0usize;
    while let Some(token) = lexer.next() {
        match token {
            Ok(Tok::LParen | Tok::LBracket | Tok::LBrace) => {
                depth += 1;
                if depth > limit {
                    let range = lexer.span();
                    return Some(Span::new(range.start, range.end));
                }
            }
            Ok(Tok::RParen | Tok::RBracket | Tok::RBrace) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}
