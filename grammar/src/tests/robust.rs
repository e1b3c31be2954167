//! Hostile input: no panic, no stack overflow, no slowness. Trees are dropped, cloned and printed
//! on a thread with a 2 MiB stack (the default for spawned threads), as later phases would.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::{check_errors, print};
use crate::ast::{Expr, ExprKind, IndexArg, Item, Program, Stmt, StmtKind};
use crate::{parse, MAX_NESTING};

/// Runs `f` on a thread with a 2 MiB stack and returns its result.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = std::thread::Builder::new().stack_size(2 << 20).spawn(f);
    handle.and_then(|h| h.join().map_err(|_| std::io::Error::other("thread panicked"))).unwrap()
}

/// The height of the tallest statement or expression tree, computed without recursion.
fn height(program: &Program) -> usize {
    enum Node<'a> {
        S(&'a Stmt),
        E(&'a Expr),
    }
    let mut stack: Vec<(Node, usize)> = Vec::new();
    for item in &program.items {
        match item {
            Item::Stmt(s) => stack.push((Node::S(s), 1)),
            Item::Param { value, .. } => stack.push((Node::E(value), 1)),
            Item::Fn(f) => stack.extend(f.body.stmts.iter().map(|s| (Node::S(s), 1))),
            Item::Parties { .. } | Item::Use { .. } => {}
        }
    }
    let mut max = 0;
    while let Some((node, h)) = stack.pop() {
        max = max.max(h);
        match node {
            Node::S(s) => match &s.kind {
                StmtKind::Let { value, .. } | StmtKind::Assign { value, .. } => {
                    stack.push((Node::E(value), h + 1));
                }
                StmtKind::Expr(e) | StmtKind::Return(Some(e)) => stack.push((Node::E(e), h + 1)),
                StmtKind::If { cond, then_block, else_block } => {
                    stack.push((Node::E(cond), h + 1));
                    let blocks = std::iter::once(then_block).chain(else_block.iter());
                    for b in blocks {
                        stack.extend(b.stmts.iter().map(|s| (Node::S(s), h + 2)));
                    }
                }
                StmtKind::For { start, end, body, .. } => {
                    stack.push((Node::E(start), h + 1));
                    stack.push((Node::E(end), h + 1));
                    stack.extend(body.stmts.iter().map(|s| (Node::S(s), h + 2)));
                }
                StmtKind::While { cond, body } => {
                    stack.push((Node::E(cond), h + 1));
                    stack.extend(body.stmts.iter().map(|s| (Node::S(s), h + 2)));
                }
                StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue | StmtKind::Error => {}
            },
            Node::E(e) => match &e.kind {
                ExprKind::List(v) | ExprKind::Tuple(v) => {
                    stack.extend(v.iter().map(|e| (Node::E(e), h + 1)));
                }
                ExprKind::Unary { operand, .. } => stack.push((Node::E(operand), h + 1)),
                ExprKind::Binary { lhs, rhs, .. } => {
                    stack.push((Node::E(lhs), h + 1));
                    stack.push((Node::E(rhs), h + 1));
                }
                ExprKind::Call { args, .. } => {
                    stack.extend(args.iter().map(|a| (Node::E(&a.value), h + 1)));
                }
                ExprKind::Index { base, indices } => {
                    stack.push((Node::E(base), h + 1));
                    for i in indices {
                        match i {
                            IndexArg::At(e) => stack.push((Node::E(e), h + 1)),
                            IndexArg::Slice { start, end, .. } => {
                                stack.extend(start.iter().chain(end.iter()).map(|e| (Node::E(e), h + 1)))
                            }
                        }
                    }
                }
                _ => {}
            },
        }
    }
    max
}

/// Parses, checks the invariants every result must have, then clones, prints and drops the tree,
/// all on a small stack. Returns the printed errors.
fn parse_hostile(src: String) -> Vec<String> {
    on_small_stack(move || {
        let (program, errors) = parse(&src);
        invariants(&src, &program, &errors);
        let copy = program.clone();
        assert_eq!(copy, program);
        assert!(!format!("{program:?}").is_empty());
        assert!(format!("{program:#?}").len() >= format!("{program:?}").len());
        drop(copy);
        drop(program);
        errors.iter().map(|e| print::error(&src, e)).collect()
    })
}

/// What every parse result satisfies: a short tree, spans inside the source and sorted errors.
fn invariants(src: &str, program: &Program, errors: &[crate::ParseError]) {
    assert!(height(program) <= MAX_NESTING, "tree too tall");
    assert_eq!(program.span.range(), 0..src.len());
    for e in errors {
        assert!(e.span.start <= e.span.end && (e.span.end as usize) <= src.len());
        assert!(src.is_char_boundary(e.span.start as usize));
        assert!(src.is_char_boundary(e.span.end as usize));
    }
    assert!(errors.windows(2).all(|w| w[0].span.start <= w[1].span.start), "unsorted errors");
}

fn too_deep_count(errors: &[String]) -> usize {
    errors.iter().filter(|e| e.ends_with("too deep (256)")).count()
}

#[test]
fn empty_and_blank_sources() {
    assert_eq!(parse_hostile(String::new()), Vec::<String>::new());
    assert_eq!(parse_hostile(" \n\t// c\n/* */".to_string()), Vec::<String>::new());
}

#[test]
fn every_prefix_of_a_program_parses() {
    let src = "parties A, B;\nparam p = -1.5e-3;\nfn f(x, y) {\n  let (a, b) = g(x[1:, :-1], axis=0);\n  if a < b { a += 1; } else if b { b = \"s\\n\"; } else { return (a, b); }\n  for i in 0..n { while c { break; } }\n}\n/* c */ output(f([1, 2], [[3]]), to=A);\n";
    let mut complete = 0;
    for end in (0..=src.len()).filter(|&i| src.is_char_boundary(i)) {
        let prefix = src.get(..end).unwrap_or_default();
        let (program, errors) = parse(prefix);
        invariants(prefix, &program, &errors);
        complete += usize::from(errors.is_empty());
    }
    // The whole text and a few of its prefixes (ending after an item) parse cleanly.
    let (_, errors) = parse(src);
    assert_eq!(errors, vec![]);
    assert!(complete >= 4, "{complete} prefixes parsed cleanly");
}

#[test]
fn deep_brackets_are_rejected_before_parsing() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}"), ("f(", ")")] {
        let src = format!("x = {}1{};", open.repeat(10_000), close.repeat(10_000));
        let errors = parse_hostile(src.clone());
        // The 257th bracket, after `x = ` and 256 openings.
        let at = 4 + open.len() * MAX_NESTING + open.len() - 1;
        assert_eq!(errors, [format!("{at}..{}: too deep (256)", at + 1)], "{open}");
        assert_eq!(parse(&src).0.items, vec![], "{open}");
    }
    // Unbalanced: only opening brackets.
    assert_eq!(parse_hostile("{".repeat(100_000)), ["256..257: too deep (256)"]);
}

#[test]
fn brackets_at_the_limit_are_accepted() {
    let src = format!("x = {}1{};", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    check_errors(&src, "(= x 1)\n--");
}

#[test]
fn long_operator_chains_are_cut_once() {
    for op in ["+", "*", "@", "-"] {
        let src = format!("let x = 1{};\ny = 2;", format!("{op}1").repeat(100_000));
        let errors = parse_hostile(src.clone());
        assert_eq!(too_deep_count(&errors), 1, "{op}: {errors:?}");
        assert_eq!(errors.len(), 1);
        // The error is where the chain first grew too tall; the rest of the file is intact.
        assert_eq!(errors.first().map(String::as_str), Some("8..521: too deep (256)"));
        on_small_stack(move || {
            let (program, _) = parse(&src);
            assert_eq!(print::program(&program), "(let x error)\n(= y 2)");
        });
    }
}

#[test]
fn other_long_chains_are_cut_once() {
    let cases = [
        format!("{}x;", "-".repeat(300_000)),
        format!("x{};", "[0]".repeat(100_000)),
        format!("f(x){};", "[0]".repeat(100_000)),
        format!("if c {{}}{} else {{}}", " else if c {}".repeat(100_000)),
        format!("fn f() {{ return 1{}; }}", "+1".repeat(100_000)),
        format!("x = [{}];", "1 + 1 + 1, ".repeat(10_000)),
    ];
    for src in cases {
        let errors = parse_hostile(src.clone());
        assert!(too_deep_count(&errors) >= 1 || src.starts_with("x = ["), "{errors:?}");
        assert!(too_deep_count(&errors) <= 1, "{}", errors.len());
    }
}

#[test]
fn tall_but_allowed_trees_survive_a_small_stack() {
    let terms = MAX_NESTING - 2;
    let src = format!("let x = 1{};", "+1".repeat(terms - 1));
    assert_eq!(parse_hostile(src), Vec::<String>::new());
    let src = format!("x = {}1{};", "[".repeat(200), "]".repeat(200));
    assert_eq!(parse_hostile(src), Vec::<String>::new());
    let nested_ifs = format!("{}x = 1;{}", "if c { ".repeat(100), " }".repeat(100));
    assert_eq!(parse_hostile(nested_ifs), Vec::<String>::new());
}

#[test]
fn statements_nested_too_deep_are_cut() {
    // Each `if` adds a statement and a block, so 200 of them are taller than the limit.
    let src = format!("{}x = 1;{}", "if c { ".repeat(200), " }".repeat(200));
    let errors = parse_hostile(src);
    assert_eq!(too_deep_count(&errors), 1, "{errors:?}");
}

#[test]
fn a_long_source_parses_quickly() {
    let unit = "fn f(x, y) {\n    let w = randn([1, 4], seed=1); // weights\n    for e in 0..10 { w = w - 0.5 * (x @ transpose(y)) / 4; }\n    return (w, x[1:, :-1]);\n}\nlet (a, b) = f(private(src=ALICE, load(\"x.npy\")), [[1, 2], [3, 4]]);\n/* a block comment */ output(a, to=ALICE);\n";
    let src = unit.repeat(10_000_000 / unit.len() + 1);
    assert!(src.len() >= 10_000_000);
    let start = Instant::now();
    let (program, errors) = parse(&src);
    let took = start.elapsed();
    assert_eq!(errors, vec![]);
    assert_eq!(program.items.len(), 3 * (10_000_000 / unit.len() + 1));
    // Generous: a few seconds are expected even on a slow machine.
    assert!(took < Duration::from_secs(30), "took {took:?}");
    eprintln!("10 MB parsed in {took:?}");
}

#[test]
fn a_long_garbage_source_does_not_blow_up() {
    let src = "$ ) let = ( ; } x [ , \"a ".repeat(200_000);
    let start = Instant::now();
    let (_, errors) = parse(&src);
    assert!(!errors.is_empty());
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?}", start.elapsed());
}

#[test]
fn errors_stop_at_the_limit() {
    for unit in [";", "1 1;", "$ ", "1e ", "\"\\q\" ", "x = );\n"] {
        let src = unit.repeat(2_000_000 / unit.len());
        let start = Instant::now();
        let (_, errors) = parse(&src);
        assert_eq!(errors.len(), crate::MAX_ERRORS, "{unit:?}");
        assert!(start.elapsed() < Duration::from_secs(5), "{unit:?} took {:?}", start.elapsed());
    }
    // Below the limit, every error is reported.
    let (_, errors) = parse(&";".repeat(crate::MAX_ERRORS - 1));
    assert_eq!(errors.len(), crate::MAX_ERRORS - 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn arbitrary_token_soup_never_panics(
        parts in proptest::collection::vec(
            prop::sample::select(vec![
                "let", "x", "=", "1", "2.5", "+", "-", "*", "@", "<", "==", "(", ")", "[", "]",
                "{", "}", ",", ";", ":", "..", "if", "else", "for", "in", "while", "fn",
                "return", "f", "\"s\"", "/*", "*/", "//", "\n", "$", "é", "1e", "\"", "+=",
            ]),
            0..200,
        )
    ) {
        parse_hostile(parts.join(" "));
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,300}") {
        parse_hostile(src);
    }
}
