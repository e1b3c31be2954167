//! Unit tests of the grammar: every construct, precedence, spans, errors and recovery, and
//! robustness on hostile input. Expectations are compact s-expressions (see `print.rs`).

mod errors;
mod lexer;
mod print;
mod robust;
mod spans;
mod syntax;

use crate::parse;

/// Parses `src`, which must have no errors, and compares its printing with `expected`.
#[track_caller]
fn check(src: &str, expected: &str) {
    let (program, errors) = parse(src);
    let errors: Vec<_> = errors.iter().map(|e| print::error(src, e)).collect();
    assert_eq!(errors, Vec::<String>::new(), "unexpected errors in {src:?}");
    assert_eq!(print::program(&program), expected.trim(), "in {src:?}");
}

/// Parses `src` and compares the printed tree and the printed errors with `expected`:
/// the tree, a line `--`, then one error per line.
#[track_caller]
fn check_errors(src: &str, expected: &str) {
    let (program, errors) = parse(src);
    let errors: Vec<_> = errors.iter().map(|e| print::error(src, e)).collect();
    let actual = format!("{}\n--\n{}", print::program(&program), errors.join("\n"));
    assert_eq!(actual.trim(), expected.trim(), "in {src:?}");
}
