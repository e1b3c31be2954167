//! Spans are exact byte ranges: each node's text, in pre-order, is what the tests expect.

use crate::ast::{Block, Expr, ExprKind, IndexArg, Item, Pattern, Stmt, StmtKind};
use crate::parse;

/// Every node of `src` as `kind: text`, in pre-order.
fn spans(src: &str) -> Vec<String> {
    let (program, errors) = parse(src);
    assert!(errors.is_empty(), "errors in {src:?}: {errors:?}");
    assert_eq!(program.span.range(), 0..src.len());
    let mut out = Vec::new();
    let mut text = |kind: &str, span: crate::Span| {
        out.push(format!("{kind}: {}", src.get(span.range()).unwrap_or("<bad span>")));
    };
    for item in &program.items {
        match item {
            Item::Parties { names, span } => {
                text("parties", *span);
                names.iter().for_each(|n| text("name", n.span));
            }
            Item::Param { name, value, span } => {
                text("param", *span);
                text("name", name.span);
                expr(value, &mut text);
            }
            Item::Fn(f) => {
                text("fn", f.span);
                text("name", f.name.span);
                f.params.iter().for_each(|n| text("name", n.span));
                block(&f.body, &mut text);
            }
            Item::Use { path_span, span, .. } => {
                text("use", *span);
                text("path", *path_span);
            }
            Item::Stmt(s) => stmt(s, &mut text),
        }
    }
    out
}

fn block(b: &Block, text: &mut impl FnMut(&str, crate::Span)) {
    text("block", b.span);
    b.stmts.iter().for_each(|s| stmt(s, text));
}

fn pattern(p: &Pattern, text: &mut impl FnMut(&str, crate::Span)) {
    text("pattern", p.span());
    if let Pattern::Tuple(items, _) = p {
        items.iter().for_each(|p| pattern(p, text));
    }
}

fn stmt(s: &Stmt, text: &mut impl FnMut(&str, crate::Span)) {
    text("stmt", s.span);
    match &s.kind {
        StmtKind::Let { pattern: p, value } | StmtKind::Assign { target: p, value, .. } => {
            pattern(p, text);
            expr(value, text);
        }
        StmtKind::Expr(e) | StmtKind::Return(Some(e)) => expr(e, text),
        StmtKind::If { cond, then_block, else_block } => {
            expr(cond, text);
            block(then_block, text);
            if let Some(b) = else_block {
                block(b, text);
            }
        }
        StmtKind::For { var, start, end, body } => {
            text("name", var.span);
            expr(start, text);
            expr(end, text);
            block(body, text);
        }
        StmtKind::While { cond, body } => {
            expr(cond, text);
            block(body, text);
        }
        StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue | StmtKind::Error => {}
    }
}

fn expr(e: &Expr, text: &mut impl FnMut(&str, crate::Span)) {
    text("expr", e.span);
    match &e.kind {
        ExprKind::Name(n) => text("name", n.span),
        ExprKind::List(items) | ExprKind::Tuple(items) => items.iter().for_each(|e| expr(e, text)),
        ExprKind::Unary { operand, .. } => expr(operand, text),
        ExprKind::Binary { lhs, rhs, .. } => {
            expr(lhs, text);
            expr(rhs, text);
        }
        ExprKind::Call { callee, args } => {
            text("name", callee.span);
            for a in args {
                text("arg", a.span);
                if let Some(n) = &a.name {
                    text("name", n.span);
                }
                expr(&a.value, text);
            }
        }
        ExprKind::Index { base, indices } => {
            expr(base, text);
            for i in indices {
                match i {
                    IndexArg::At(e) => expr(e, text),
                    IndexArg::Slice { start, end, span } => {
                        text("slice", *span);
                        start.iter().chain(end.iter()).for_each(|e| expr(e, text));
                    }
                }
            }
        }
        ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Error => {}
    }
}

#[track_caller]
fn check(src: &str, expected: &[&str]) {
    assert_eq!(spans(src), expected, "in {src:?}");
}

#[test]
fn statements_include_their_semicolon() {
    check(
        "let x = f(a, axis = 0)[1] + 2 ;",
        &[
            "stmt: let x = f(a, axis = 0)[1] + 2 ;",
            "pattern: x",
            "expr: f(a, axis = 0)[1] + 2",
            "expr: f(a, axis = 0)[1]",
            "expr: f(a, axis = 0)",
            "name: f",
            "arg: a",
            "expr: a",
            "name: a",
            "arg: axis = 0",
            "name: axis",
            "expr: 0",
            "expr: 1",
            "expr: 2",
        ],
    );
}

#[test]
fn items_and_blocks() {
    check(
        "parties A, B;\nparam p = -1;\nfn f(a) { return; }",
        &[
            "parties: parties A, B;",
            "name: A",
            "name: B",
            "param: param p = -1;",
            "name: p",
            "expr: -1",
            "expr: 1",
            "fn: fn f(a) { return; }",
            "name: f",
            "name: a",
            "block: { return; }",
            "stmt: return;",
        ],
    );
}

#[test]
fn control_flow_and_else_if() {
    check(
        "if a {} else if b {} else { break; }",
        &[
            "stmt: if a {} else if b {} else { break; }",
            "expr: a",
            "name: a",
            "block: {}",
            "block: if b {} else { break; }",
            "stmt: if b {} else { break; }",
            "expr: b",
            "name: b",
            "block: {}",
            "block: { break; }",
            "stmt: break;",
        ],
    );
    check("for i in 0..n {}", &["stmt: for i in 0..n {}", "name: i", "expr: 0", "expr: n", "name: n", "block: {}"]);
}

#[test]
fn patterns_tuples_parens_and_slices() {
    check(
        "let (a, (b, c)) = ((x), -y,);",
        &[
            "stmt: let (a, (b, c)) = ((x), -y,);",
            "pattern: (a, (b, c))",
            "pattern: a",
            "pattern: (b, c)",
            "pattern: b",
            "pattern: c",
            "expr: ((x), -y,)",
            "expr: x",
            "name: x",
            "expr: -y",
            "expr: y",
            "name: y",
        ],
    );
    check(
        "x[:, 1 :];",
        &["stmt: x[:, 1 :];", "expr: x[:, 1 :]", "expr: x", "name: x", "slice: :", "slice: 1 :", "expr: 1"],
    );
    check(
        "(a + b) * c;",
        &[
            "stmt: (a + b) * c;",
            "expr: (a + b) * c",
            "expr: a + b",
            "expr: a",
            "name: a",
            "expr: b",
            "name: b",
            "expr: c",
            "name: c",
        ],
    );
}

#[test]
fn spans_are_bytes_not_chars() {
    check("/* é */ x;", &["stmt: x;", "expr: x", "name: x"]);
}

#[test]
fn use_items_cover_the_path_with_its_quotes() {
    check("use \"lib/a.mpc\";", &["use: use \"lib/a.mpc\";", "path: \"lib/a.mpc\""]);
}

#[test]
fn shifting_moves_every_span_by_the_offset() {
    let src = "use \"a.mpc\";\nfn f(a) { let (b, c) = g(a, k=x[1:2]); return b; }\nf(1);";
    let (mut program, errors) = parse(src);
    assert!(errors.is_empty());
    let before = spans(src);
    program.shift_spans(7);
    // The shifted tree read against the text with 7 bytes in front gives the same node texts.
    let padded = format!("{}{src}", " ".repeat(7));
    let mut after = Vec::new();
    let mut text = |kind: &str, span: crate::Span| {
        after.push(format!("{kind}: {}", padded.get(span.range()).unwrap_or("<bad span>")));
    };
    for item in &program.items {
        match item {
            Item::Use { path_span, span, .. } => {
                text("use", *span);
                text("path", *path_span);
            }
            Item::Fn(f) => {
                text("fn", f.span);
                text("name", f.name.span);
                f.params.iter().for_each(|n| text("name", n.span));
                block(&f.body, &mut text);
            }
            Item::Stmt(s) => stmt(s, &mut text),
            Item::Parties { .. } | Item::Param { .. } => {}
        }
    }
    assert_eq!(before, after);
    assert_eq!(program.span.range(), 7..7 + src.len());
}
