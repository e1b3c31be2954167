//! Unit tests of the whole compiler through `check(src, expected)`: the expected text is the
//! printed IR (accepted) or one `CODE message` line per diagnostic (rejected).

use crate::{compile, explain, render, CompileOptions, SymbolKind};

/// Compiles `src`; returns one line per diagnostic `CODE message`, then the IR text.
fn run_with(src: &str, options: &CompileOptions) -> String {
    let c = compile(src, options);
    let mut out = String::new();
    for d in &c.diagnostics {
        out.push_str(&format!("{} {}\n", d.code.as_str(), d.message));
    }
    if let Some(p) = &c.program {
        if let Err(errs) = mpcc_ir::validate(p) {
            out.push_str(&format!("INVALID {errs:?}\n"));
        }
        out.push_str(&mpcc_ir::print_program(p, false));
    }
    out
}

fn check(src: &str, expected: &str) {
    let got = run_with(src, &CompileOptions::default());
    assert_eq!(got.trim(), expected.trim(), "\n--- got ---\n{got}");
}

/// Checks only the diagnostics' codes, in order.
fn check_codes(src: &str, expected: &[&str]) {
    let c = compile(src, &CompileOptions::default());
    let codes: Vec<&str> = c.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, expected, "{:#?}", c.diagnostics);
}

#[test]
fn private_if_without_else_keeps_the_old_value() {
    check(
        "parties A;\nlet x = private(src=A, 1);\nlet y = 0;\nif x > 0 { y = 2; }\nprint(reveal(y));",
        "
parties A
%0 = const 1 : public int []
%1 = share %0 src=A : private int []
%2 = const 0 : public int []
$y.0 = %2
%3 = const 0 : public int []
%4 = gt %1, %3 : private bool []
%5 = var $y.0 : private int []
%6 = const 2 : public int []
$y.0 = %6
%7 = var $y.0 : private int []
%8 = where %4, %7, %5 : private int []
$y.0 = %8
%9 = var $y.0 : private int []
%10 = reveal %9 : public int []
print %10",
    );
}

#[test]
fn public_if_stays_a_branch() {
    check(
        "parties A;\nlet y = 0;\nif 1 > 0 { y = 2; } else { y = 3; }\nprint(y);",
        "
parties A
%0 = const 0 : public int []
$y.0 = %0
%1 = const 1 : public int []
%2 = const 0 : public int []
%3 = gt %1, %2 : public bool []
if %3 {
  %4 = const 2 : public int []
  $y.0 = %4
} else {
  %5 = const 3 : public int []
  $y.0 = %5
}
%6 = var $y.0 : public int []
print %6",
    );
}

#[test]
fn a_variable_is_as_secret_as_its_most_secret_assignment() {
    // The loop makes `s` private on the second iteration; the fixpoint sees it.
    check_codes(
        "parties A;\nlet x = private(src=A, 1);\nlet s = 0;\nfor i in 0..3 { print(s); s = s + x; }",
        &["E0301"],
    );
    // The label of a variable is the join of all its assignments, also later ones.
    check_codes("parties A;\nlet s = 0;\nprint(s);\ns = private(src=A, 1);", &["E0301"]);
}

#[test]
fn params_are_constants_and_set_overrides_them() {
    let src = "parties A;\nparam n = 3;\nprint(n);";
    let set = |name: &str, value: &str| CompileOptions { params: vec![(name.into(), value.into())] };
    check(src, "parties A\nparam n = 3\n%0 = const 3 : public int []\nprint %0");
    assert_eq!(run_with(src, &set("n", "5")), "parties A\nparam n = 5\n%0 = const 5 : public int []\nprint %0\n");
    assert_eq!(run_with(src, &set("m", "5")).lines().next(), Some("E0104 `--set m=…` names no param"));
    assert_eq!(run_with(src, &set("n", "five")).lines().next(), Some("E0104 `--set n=five` is not a number"));
}

#[test]
fn functions_are_inlined_and_tuples_destructured() {
    check(
        "parties A;\nfn f(a) { return (a + 1, a * 2); }\nlet (p, q) = f(3);\nprint(p, q);",
        "
parties A
%0 = const 3 : public int []
%1 = const 1 : public int []
%2 = add %0, %1 : public int []
%3 = const 2 : public int []
%4 = mul %0, %3 : public int []
print %2, %4",
    );
}

#[test]
fn every_error_in_a_file_is_reported() {
    check_codes(
        "parties A;\nlet x = private(src=A, 1);\nprint(x);\nlet y = nope;\nfor i in 0..x { }\nprint(zeros([2]) + zeros([3]));",
        &["E0301", "E0101", "E0302", "E0201"],
    );
}

#[test]
fn uncalled_functions_are_checked_too() {
    check_codes("parties A;\nfn f(a) { return a + missing; }", &["E0101"]);
}

#[test]
fn effects_through_a_called_function_are_rejected_with_the_chain() {
    let src =
        "parties A;\nfn g(v) { print(reveal(v)); }\nfn f(v) { g(v); }\nlet x = private(src=A, 1);\nif x > 0 { f(x); }";
    let c = compile(src, &CompileOptions::default());
    let d = c.diagnostics.iter().find(|d| d.message == "`print` under a private condition");
    let Some(d) = d else { panic!("{:#?}", c.diagnostics) };
    assert!(d.notes.iter().any(|n| n.contains("`f` → `g`")), "{:#?}", d.notes);
    assert_eq!(d.secondary.len(), 4, "condition, two calls, the input: {:#?}", d.secondary);
}

#[test]
fn provenance_names_the_variable_and_the_party() {
    let src = "parties ALICE;\nlet x = private(src=ALICE, 1);\nlet w = x * 2;\nlet c = w + 1;\nprint(c);";
    let c = compile(src, &CompileOptions::default());
    let notes: Vec<&String> = c.diagnostics.iter().flat_map(|d| &d.notes).collect();
    assert!(
        notes.iter().any(|n| *n
            == "`c` is private because it depends on `x` (line 2), which ALICE supplies (line 2). \
                It gets there through `w` (line 3)."),
        "{notes:#?}"
    );
}

#[test]
fn symbols_give_definitions_and_labels() {
    let src = "parties ALICE;\nlet x = private(src=ALICE, zeros([2, 3]));\nprint(reveal(x));";
    let c = compile(src, &CompileOptions::default());
    let uses: Vec<_> = c.symbols.iter().filter(|s| s.name == "x").collect();
    assert_eq!(uses.len(), 2, "{uses:#?}");
    let (def, usage) = (uses[0], uses[1]);
    assert_eq!(usage.def_span, Some(def.span));
    assert_eq!(usage.kind, SymbolKind::Var);
    assert_eq!(usage.info.as_deref(), Some("private (from ALICE) real [2, 3]"));
    assert!(c.symbols.iter().any(|s| s.name == "ALICE" && s.kind == SymbolKind::Party && s.def_span != Some(s.span)));
}

#[test]
fn bad_input_gets_diagnostics_not_panics() {
    check("", "parties");
    check_codes("let x = (1 + ;", &["E0005"]);
    let deep = format!("let x = {}1{};", "(".repeat(5000), ")".repeat(5000));
    check_codes(&deep, &["E0007"]);
    // Each function's expression is within the parser's bound, but inlining nests them deeper.
    let terms = vec!["1"; 200].join(" + ");
    let chain = format!(
        "parties A;\nfn f(x) {{ return g(x) + {terms}; }}\nfn g(x) {{ return h(x) + {terms}; }}\nfn h(x) {{ return x + {terms}; }}\nprint(f(1));"
    );
    let c = compile(&chain, &CompileOptions::default());
    assert!(
        !c.diagnostics.is_empty() && c.diagnostics.iter().all(|d| d.code.as_str() == "E0114"),
        "{:#?}",
        c.diagnostics
    );
}

#[test]
fn explanations_and_rendering() {
    assert!(explain("E0301").is_some_and(|t| t.contains("reveal")));
    assert!(explain("e0405").is_some());
    assert_eq!(explain("E9999"), None);
    let src = "parties A;\nlet x = private(src=A, 1);\nprint(x);";
    let c = compile(src, &CompileOptions::default());
    let text = render(&c.diagnostics, "t.mpc", src, false);
    assert!(text.starts_with("error[E0301]: private value passed to `print`"), "{text}");
    assert!(text.contains("help: print(reveal(x))"), "{text}");
    assert!(!text.contains('\u{1b}'), "plain text has no escapes");
    assert!(render(&c.diagnostics, "t.mpc", src, true).contains('\u{1b}'));
}

/// Compiles a program that must be accepted; returns its IR text (validated).
fn accepted(src: &str) -> String {
    let out = run_with(src, &CompileOptions::default());
    assert!(out.starts_with("parties"), "not accepted:\n{out}");
    out
}

#[test]
fn loops_inside_private_ifs_and_private_ifs_inside_loops() {
    let ir = accepted(
        "parties A;
let x = private(src=A, [1, 2, 3]);
let acc = zeros([3]);
let k = zeros([3]);
if x > 1 {
    for i in 0..3 {
        acc = acc + x;
        if i == 1 { continue; }
    }
    let m = 0;
    while m < 2 { m = m + 1; k = k + 1; }
}
let j = 0;
while j < 2 {
    if sum(x) > 3 { acc = acc * 2; }
    j = j + 1;
}
print(reveal(acc), reveal(k));",
    );
    // Only the public `if i == 1` survives; both private ifs became selections.
    assert_eq!(ir.matches("if %").count(), 1, "{ir}");
    assert_eq!(ir.matches("where").count(), 3, "acc and k after the first if, acc in the loop:\n{ir}");
}

#[test]
fn a_tensor_condition_may_not_grow_a_scalar_variable() {
    check_codes("parties A;\nlet x = private(src=A, [1, 2]);\nlet k = 0;\nif x > 1 { k = 1; }", &["E0405"]);
}

#[test]
fn huge_shapes_do_not_overflow() {
    let src = "parties A;\nlet z = zeros([1e18, 1e18, 1e18]);\nlet f = flatten(z);\nlet r = reshape(z, [1e18, 1e18, -1]);\nlet c = cat([z, z], 0);\nprint(f, r, c);";
    assert!(compile(src, &CompileOptions::default()).diagnostics.is_empty());
    let src =
        "parties A;\nlet z = zeros([1, 1, 1e19, 1e19]);\nlet y = conv2d(z, zeros([1, 1, 3, 3]), padding=999999);\n\
               let m = max_pool2d(z, [2, 3], stride=[999999, 1]);\nprint(flatten(y, 1), flatten(m, -2));";
    assert!(compile(src, &CompileOptions::default()).diagnostics.is_empty());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// Any sequence of the language's tokens compiles to diagnostics or IR, never a panic.
    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(proptest::sample::select(vec![
        "parties", "A", "B", ",", ";", "param", "n", "=", "3", "-1.5", "fn", "f", "(", ")", "{", "}",
        "let", "x", "y", "if", "else", "for", "in", "0", "..", "while", "return", "break", "continue",
        "+", "-", "*", "/", "@", "<", ">=", "==", "[", "]", ":", "private", "src", "public", "load",
        "\"x.npy\"", "reveal", "print", "output", "to", "zeros", "sum", "axis", "max", "cat", "true",
        "conv2d", "max_pool2d", "avg_pool2d", "flatten", "stride", "padding", "bias",
    ]), 0..60)) {
        let src = tokens.join(" ");
        let c = compile(&src, &CompileOptions::default());
        if let Some(p) = &c.program {
            proptest::prop_assert!(mpcc_ir::validate(p).is_ok(), "{}", src);
        }
        let _ = render(&c.diagnostics, "t.mpc", &src, false);
    }
}

#[test]
fn a_syntax_error_does_not_cascade_into_unknown_names() {
    check_codes("parties A;\nlet x = 1 +;\nprint(x);", &["E0005"]);
}
