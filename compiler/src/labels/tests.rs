//! Tests of the label analysis and of the checks that run after every pass.

use super::{analyse, check};
use crate::diag::Diagnostics;
use crate::{compile, passes, Code, CompileOptions};
use mpcc_ir::{Label, Op, Stage};

fn codes(src: &str) -> Vec<&'static str> {
    compile(src, &CompileOptions::default()).diagnostics.iter().map(|d| d.code.as_str()).collect()
}

/// A loop that moves a secret one variable along per iteration, `n` variables long.
fn chain(n: usize) -> String {
    let mut src = String::from("parties A, B;\nlet s = private(src=A, 1);\n");
    for i in 1..=n {
        src.push_str(&format!("let v{i} = 0;\n"));
    }
    src.push_str("for i in 0..3 {\n");
    for i in 1..n {
        src.push_str(&format!("  v{i} = v{};\n", i + 1));
    }
    src.push_str(&format!("  v{n} = s;\n}}\nprint(v1);\n"));
    src
}

#[test]
fn chains_of_any_length_are_private() {
    for n in [1, 2, 9, 10, 11, 40, 300] {
        assert_eq!(codes(&chain(n)), ["E0301"], "chain of {n}");
    }
    // Reversed order: the secret reaches v1 in one iteration; still private.
    let src =
        "parties A;\nlet s = private(src=A, 1);\nlet a = 0; let b = 0;\nfor i in 0..2 { b = s; a = b; }\nprint(a);";
    assert_eq!(codes(src), ["E0301"]);
}

#[test]
fn a_chain_that_never_reaches_a_print_is_accepted() {
    let src = chain(30).replace("print(v1);", "print(reveal(v1));");
    assert!(codes(&src).is_empty(), "{:?}", codes(&src));
}

#[test]
fn implicit_flows_reach_variables_declared_before_the_if_only() {
    let src = "parties A;
let s = private(src=A, 1);
let out = 0;
for i in 0..3 {
    if s > 0 {
        let inner = 5;
        inner = inner + 1;
        out = inner;
    }
}
print(reveal(out));";
    let c = compile(src, &CompileOptions::default());
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    // `out` is private (merged after the `if`); `inner` is public (recomputed in both branches).
    let p = c.program.as_ref().map(analyse).unwrap_or_default();
    let program = c.program.as_ref().expect("compiled");
    let var = |name: &str| program.vars.iter().position(|v| v.name == name).map(|i| p.vars[i]);
    assert_eq!(var("out"), Some(Label::Private));
    assert_eq!(var("inner"), Some(Label::Public));
}

#[test]
fn the_checks_after_a_pass_reject_a_mislabelled_program() {
    let src = "parties A;\nlet s = private(src=A, 1);\nlet y = s * 2;\nprint(reveal(y));";
    let mut program = compile(src, &CompileOptions::default()).program.expect("compiled");
    assert!(check(&program, &analyse(&program)).is_ok());
    // Pretend a pass forgot that `s * 2` is private.
    let mul = program.values.iter().position(|d| matches!(d.op, Op::Binary(..))).expect("a product");
    program.values[mul].info.label = Label::Public;
    let errs = check(&program, &analyse(&program)).expect_err("mislabelled");
    assert!(errs.iter().any(|e| e.message.contains("labelled Public but depends on a Private value")), "{errs:?}");
    let mut diags = Diagnostics::default();
    assert!(!passes::verify(&program, &analyse(&program), Stage::Final, "test", &mut diags));
    let diags = diags.finish();
    assert!(diags.iter().all(|d| d.code == Code::E0901), "{diags:?}");
    let first = diags.first().expect("a diagnostic");
    assert!(first.message.starts_with("internal compiler error: after test"), "{}", first.message);
    // The primary label points at `s * 2`.
    assert_eq!(&src[first.span.start as usize..first.span.end as usize], "s * 2", "{first:?}");
}

#[test]
fn a_private_if_left_after_the_passes_is_an_internal_error() {
    let src = "parties A;\nlet s = private(src=A, 1);\nlet y = 0;\nif s > 0 { y = 1; }\nprint(reveal(y));";
    let lowered = crate::compile_until(src, &CompileOptions::default(), Some("oblivious"));
    assert!(lowered.program.is_some());
    // Lower without the oblivious pass by hand: the `If` stays, which `Stage::Final` rejects.
    let (ast, _) = mpcc_grammar::parse(src);
    let mut diags = Diagnostics::default();
    let lowered = crate::lower::lower(&crate::Sources::new("t.mpc", src), &ast, &CompileOptions::default(), &mut diags);
    let (program, table) = (lowered.program, lowered.labels);
    assert_eq!(table, analyse(&program), "the lowering's table is the analysis of its IR");
    assert!(passes::verify(&program, &table, Stage::Lowered, "lowering", &mut diags));
    assert!(!passes::verify(&program, &table, Stage::Final, "lowering", &mut diags));
    let diags = diags.finish();
    assert!(
        diags.iter().any(|d| d.code == Code::E0901 && d.message.contains("oblivious pass must remove it")),
        "{diags:?}"
    );
}
