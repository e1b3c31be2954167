//! The token stream: numbers, strings, operators, comments and lexical errors.

use super::print;
use crate::token::Tokens;

/// The tokens of `src` (`Debug`, space-separated), then `|` and the printed errors.
#[track_caller]
fn check(src: &str, expected: &str) {
    let mut errors = Vec::new();
    let count = std::cell::Cell::new(0);
    let tokens: Vec<String> = Tokens::new(src, &mut errors, &count)
        .map(|t| match t {
            Ok((_, tok, _)) => format!("{tok:?}"),
            Err(e) => format!("ERR {e:?}"),
        })
        .collect();
    let errors: Vec<_> = errors.iter().map(|e| print::error(src, e)).collect();
    let actual = format!("{} | {}", tokens.join(" "), errors.join("; "));
    assert_eq!(actual.trim(), expected, "in {src:?}");
}

#[test]
fn numbers_and_ranges() {
    check("0..n", "Num(0.0) DotDot Ident(\"n\") |");
    check("1.5..2.5", "Num(1.5) DotDot Num(2.5) |");
    check(".5 1e-3 2E+3 7", "Num(0.5) Num(0.001) Num(2000.0) Num(7.0) |");
    check("1.5.3", "Num(1.5) Num(0.3) |");
    check("1.", "Num(1.0) | 1..2: invalid token `.`");
    check("2x", "Num(2.0) Ident(\"x\") |");
    check("1e+ 3", "Num(0.0) Num(3.0) | 0..3: invalid number `1e+`");
}

#[test]
fn keywords_operators_punctuation() {
    check(
        "parties param fn use let if else for in while return break continue true false",
        "Parties Param Fn Use Let If Else For In While Return Break Continue True False |",
    );
    check(
        "+ - * / @ < <= > >= == != = += -= *= /= ..",
        "Plus Minus Star Slash At Lt Le Gt Ge EqEq Ne Assign PlusAssign MinusAssign StarAssign \
         SlashAssign DotDot |",
    );
    check("()[]{},;:", "LParen RParen LBracket RBracket LBrace RBrace Comma Semi Colon |");
    check("a<=b==c", "Ident(\"a\") Le Ident(\"b\") EqEq Ident(\"c\") |");
    check("_x1 X_", "Ident(\"_x1\") Ident(\"X_\") |");
}

#[test]
fn comments() {
    check("a // b\nc", "Ident(\"a\") Ident(\"c\") |");
    check("a/b/*c*/d//e", "Ident(\"a\") Slash Ident(\"b\") Ident(\"d\") |");
    check("/* a /* b */ c */ d", "Ident(\"d\") |");
    check("/**/x/***/", "Ident(\"x\") |");
    check("x /* a /* b */", "Ident(\"x\") | 2..4: unterminated comment");
    check("x /", "Ident(\"x\") Slash |");
}

#[test]
fn strings() {
    check(r#""a b""#, "Str(\"a b\") |");
    check(r#""\n\t\r\0\\\"\'""#, "Str(\"\\n\\t\\r\\0\\\\\\\"'\") |");
    check(r#""a\zb""#, "Str(\"azb\") | 2..4: invalid token `\\z`");
    check("\"ab\ncd", "Str(\"ab\") Ident(\"cd\") | 0..3: unterminated string");
    check("\"ab\\", "Str(\"ab\") | 0..4: unterminated string");
    check("\"é\"", "Str(\"é\") |");
}

#[test]
fn invalid_characters() {
    check("a $$$ b", "Ident(\"a\") Ident(\"b\") | 2..5: invalid token `$$$`");
    check("$ $", "| 0..1: invalid token `$`; 2..3: invalid token `$`");
    check("é!", "| 0..3: invalid token `é!`");
    check("a.b", "Ident(\"a\") Ident(\"b\") | 1..2: invalid token `.`");
}
