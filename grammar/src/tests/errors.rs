//! Every error kind, the readable expected lists, and recovery that reports several errors.

use super::check_errors;

#[test]
fn lexical_errors() {
    check_errors("x = 1; $$$ y = 2;", "(= x 1)\n(= y 2)\n--\n7..10: invalid token `$$$`");
    check_errors("a #;\nb;", "a\nb\n--\n2..3: invalid token `#`");
    check_errors("let e = \"a\\qb\";", "(let e \"aqb\")\n--\n10..12: invalid token `\\q`");
    check_errors("let n = 1e;", "(let n 0)\n--\n8..10: invalid number `1e`");
    check_errors("let n = 2.5E+;", "(let n 0)\n--\n8..13: invalid number `2.5E+`");
    check_errors("let n = 1e999;", "(let n 0)\n--\n8..13: invalid number `1e999`");
    check_errors(
        "let s = \"abc);\nlet t = 1;",
        "error\n(let t 1)\n--\n8..14: unterminated string\n15..18: unexpected `let`, expected operator, `[`, `;`",
    );
    check_errors("x; /* never /* closed */", "x\n--\n3..5: unterminated comment");
}

#[test]
fn unexpected_tokens() {
    check_errors("let x = 3 4;", "error\n--\n10..11: unexpected `4`, expected operator, `[`, `;`");
    check_errors("let = 3;", "error\n--\n4..5: unexpected `=`, expected identifier, `(`");
    check_errors("param p;", "error\n--\n7..8: unexpected `;`, expected `=`");
    check_errors("x[];", "error\n--\n2..3: unexpected `]`, expected expression, `:`");
    check_errors("f(x)(y);", "error\n--\n4..5: unexpected `(`, expected operator, assignment, `[`, `;`");
    check_errors("let x = [1, 2;", "error\n--\n13..14: unexpected `;`, expected `]`, `,`");
    check_errors(";", "error\n--\n0..1: unexpected `;`, expected `parties`, `param`, `fn`, `use`, statement");
    check_errors("if x { y = }", "(if x {error})\n--\n11..12: unexpected `}`, expected expression");
}

#[test]
fn comparisons_do_not_chain() {
    check_errors("a < b < c;", "error\n--\n6..7: unexpected `<`, expected `+`, `-`, assignment, `;`");
}

#[test]
fn bad_assignment_targets() {
    check_errors("f(x) = 3; y = 1;", "error\n(= y 1)\n--\n5..6: unexpected `=`, expected `;`");
    check_errors("x[0] += 3;", "error\n--\n5..7: unexpected `+=`, expected `;`");
    check_errors("(a, b) += 1;", "error\n--\n7..9: unexpected `+=`, expected `=`");
    check_errors("(a, 1) = e;", "error\n--\n7..8: unexpected `=`, expected `;`");
}

#[test]
fn unexpected_end() {
    check_errors("let x =", "error\n--\n7..7: unexpected end, expected expression");
    check_errors("let x", "error\n--\n5..5: unexpected end, expected `=`");
    check_errors("f(x", "error\n--\n3..3: unexpected end, expected operator, `=`, `(`, `)`, `[`, `,`");
    check_errors("if x {", "error\n--\n6..6: unexpected end, expected statement, `}`");
    check_errors("let x = 1 + // more\n", "error\n--\n11..11: unexpected end, expected expression");
}

#[test]
fn recovery_reports_every_statement_error() {
    // After `;`, after a missing `;` before a keyword, and at a block's `}`.
    let src = "let a = 1 2;\nlet b = 3\nlet c = 4;\nfn f() { x = ; y = 1; return }\nlet d = );\n";
    check_errors(
        src,
        "error
error
(let c 4)
(fn f () {error (= y 1) error})
error
--
10..11: unexpected `2`, expected operator, `[`, `;`
23..26: unexpected `let`, expected operator, `[`, `;`
47..48: unexpected `;`, expected expression
63..64: unexpected `}`, expected expression, `;`
73..74: unexpected `)`, expected expression",
    );
}

#[test]
fn recovery_keeps_the_statements_around_errors() {
    check_errors(
        "x = 1;\nwhile c { y = ; break; }\nz = 2;",
        "(= x 1)\n(while c {error break})\n(= z 2)\n--\n21..22: unexpected `;`, expected expression",
    );
    // An error in a header loses the item; the following ones are still parsed.
    check_errors("fn f(1) { }\nlet a = 1;", "error\n(let a 1)\n--\n5..6: unexpected `1`, expected identifier, `)`");
}

#[test]
fn errors_in_headers_keep_the_block() {
    check_errors(
        "if x == { y = 1; } else { y = 2; }\nz = 3;",
        "(if error {(= y 1)} {(= y 2)})\n(= z 3)\n--\n8..9: unexpected `{`, expected expression",
    );
    check_errors("while (a { b = 1; }", "(while error {(= b 1)})\n--\n9..10: unexpected `{`, expected `)`, `,`");
    check_errors(
        "for i in 0 { } if a {} else if b c {}",
        "(for i error error {})\n(if a {} {(if error {})})\n--\n11..12: unexpected `{`, expected `..`\n33..34: unexpected `c`, expected operator, `(`, `[`, `{`",
    );
    // The condition's error spans the condition.
    let src = "while a b { }";
    let (program, _) = crate::parse(src);
    let Some(crate::ast::Item::Stmt(s)) = program.items.first() else { panic!("no statement") };
    let crate::ast::StmtKind::While { cond, .. } = &s.kind else { panic!("not a while") };
    assert_eq!(src.get(cond.span.range()), Some("a b"));
}

#[test]
fn error_statement_spans() {
    let src = "let a = 1 2; b;";
    let (program, _) = crate::parse(src);
    let spans: Vec<_> = program
        .items
        .iter()
        .map(|i| match i {
            crate::ast::Item::Stmt(s) => src.get(s.span.range()).unwrap_or("?"),
            _ => "?",
        })
        .collect();
    assert_eq!(spans, ["let a = 1 2;", "b;"]);
}
