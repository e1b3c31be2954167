//! `grad` against finite differences: each case is a small program whose named tensors are
//! literals; the compiled gradient (saved with `save`, run on the plaintext engine) must match
//! central differences of the loss computed by re-running the program with one entry nudged.
//! Together the cases cover every differentiable op, broadcasting, and the `where`s of a
//! private `if`.

use mpcc_compiler::{compile, CompileOptions, Severity};
use mpcc_datasets::folders::read_array;
use mpcc_runtime::exec::{run_plain, RunConfig, VecSink};
use ndarray::IxDyn;
use std::path::{Path, PathBuf};

/// A named tensor of a case: name, shape, values.
type Param = (&'static str, Vec<usize>, Vec<f64>);

struct Case {
    name: &'static str,
    params: Vec<Param>,
    /// Statements defining `loss` from the params (and anything else).
    body: &'static str,
}

fn literal(shape: &[usize], data: &[f64]) -> String {
    match shape {
        [] => format!("{:.17}", data.first().copied().unwrap_or(0.0)),
        [_, rest @ ..] => {
            let step: usize = rest.iter().product();
            let items: Vec<String> = data.chunks(step.max(1)).map(|c| literal(rest, c)).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

fn source(case: &Case, values: &[Vec<f64>], with_grad: bool) -> String {
    let mut s = String::from("parties ALICE, BOB;\n");
    for ((name, shape, _), v) in case.params.iter().zip(values) {
        // `0 + literal` keeps a rank-0 or integer-looking literal a real tensor.
        s += &format!("let {name} = {} + 0.0;\n", literal(shape, v));
    }
    s += case.body;
    s += "\nsave(\"loss.npy\", reveal(loss));\n";
    if with_grad {
        let names: Vec<&str> = case.params.iter().map(|p| p.0).collect();
        let gs: Vec<String> = (0..names.len()).map(|i| format!("g{i}")).collect();
        if gs.len() == 1 {
            s += &format!("let g0 = grad(loss, [{}]);\n", names.join(", "));
        } else {
            s += &format!("let ({}) = grad(loss, [{}]);\n", gs.join(", "), names.join(", "));
        }
        for g in &gs {
            s += &format!("save(\"{g}.npy\", reveal({g}));\n");
        }
    }
    s
}

fn run(src: &str, dir: &Path) {
    let compiled = compile(src, &CompileOptions::default());
    let errors: Vec<_> = compiled.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{src}\n{errors:#?}");
    let program = compiled.program.expect("a program");
    mpcc_ir::validate(&program).expect("valid IR");
    let bob = dir.join("bob");
    std::fs::create_dir_all(&bob).expect("bob's folder");
    let cfg = RunConfig { data_dirs: vec![dir.to_path_buf(), bob], ..RunConfig::default() };
    run_plain(&program, &cfg, &mut VecSink::default()).unwrap_or_else(|e| panic!("{src}\nrun failed: {e}"));
}

fn read(dir: &std::path::Path, file: &str) -> Vec<f64> {
    read_array::<IxDyn>(&dir.join(file)).expect("saved array").iter().copied().collect()
}

fn check(case: &Case) {
    let dir = std::env::temp_dir().join(format!("mpcc-grad-{}-{}", case.name, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let values: Vec<Vec<f64>> = case.params.iter().map(|p| p.2.clone()).collect();
    run(&source(case, &values, true), &dir);
    let h = 1e-5;
    for (i, (name, _, v)) in case.params.iter().enumerate() {
        let g = read(&dir, &format!("g{i}.npy"));
        assert_eq!(g.len(), v.len(), "{}: gradient of `{name}` has {} entries", case.name, g.len());
        for j in 0..v.len() {
            let loss_at = |delta: f64| {
                let mut vals = values.clone();
                vals[i][j] += delta;
                run(&source(case, &vals, false), &dir);
                read(&dir, "loss.npy")[0]
            };
            let fd = (loss_at(h) - loss_at(-h)) / (2.0 * h);
            let tol = 1e-5 * (1.0 + fd.abs());
            assert!(
                (g[j] - fd).abs() < tol,
                "{}: d loss / d {name}[{j}] = {} by grad, {fd} by finite differences",
                case.name,
                g[j]
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn p(name: &'static str, shape: &[usize], data: &[f64]) -> Param {
    (name, shape.to_vec(), data.to_vec())
}

const W6: [f64; 6] = [0.3, -0.7, 1.1, 0.45, -0.25, 0.8];

#[test]
fn linear_layers_and_broadcasting() {
    check(&Case {
        name: "linear",
        params: vec![p("w", &[2, 3], &W6), p("b", &[3], &[0.1, -0.2, 0.3]), p("s", &[], &[0.7])],
        body: "let x = private(src=ALICE, [[1.0, 2.0], [-0.5, 0.3], [0.2, 0.9], [1.5, -1.0]]);\n\
               let y = [[1.0, 0.0, 0.5], [0.0, 1.0, 0.2], [0.3, 0.3, 0.3], [1.0, 1.0, 0.0]];\n\
               let u = [[0.5, -1.0, 2.0]];\n\
               let loss = mean(square(x @ w + b - y)) + sum(w * u) * s + sum((x @ w) * s);",
    });
}

#[test]
fn arithmetic_and_powers() {
    check(&Case {
        name: "arith",
        params: vec![p("w", &[2, 3], &W6), p("v", &[2, 3], &[1.2, 0.9, -0.4, 0.6, 2.0, -1.3])],
        body: "let loss = sum((w * v - w) / (v * v + 3.0)) + sum(-w) + sum(pow(w, 3)) + sum(pow(v, 2) * w) \
               + sum(1.0 / (w + 2.0)) + sum(abs(v) * w) + sum(pow(w + 2.0, -2));",
    });
}

#[test]
fn elementwise_nonlinear_functions() {
    check(&Case {
        name: "nonlinear",
        params: vec![p("w", &[2, 3], &W6)],
        body: "let loss = sum(relu(w) + sigmoid(w) * tanh(w) + exp(w * 0.5)) + sum(log(w * w + 1.0)) \
               + sum(sqrt(w * w + 2.0)) + sum(inv_sqrt(w * w + 1.0)) + sum(reciprocal(w + 3.0));",
    });
}

#[test]
fn softmax_and_cross_entropy() {
    check(&Case {
        name: "softmax",
        params: vec![p("w", &[2, 3], &W6), p("b", &[3], &[0.1, -0.2, 0.3])],
        body: "let x = private(src=BOB, [[1.0, 2.0], [-0.5, 0.3], [0.2, 0.9], [1.5, -1.0]]);\n\
               let c = [[1.0, -2.0, 0.5], [0.3, 0.7, -1.0], [2.0, 0.0, 1.0], [-1.0, 1.0, 0.5]];\n\
               let z = x @ w + b;\n\
               let t = one_hot([0, 2, 1, 2], 3);\n\
               let loss = cross_entropy(z, t) + sum(softmax(z) * c) + sum(log_softmax(z, 0) * c) \
               + sum(softmax(z, 0) * c) * 0.5;",
    });
}

#[test]
fn reductions_over_axes() {
    check(&Case {
        name: "reduce",
        params: vec![p("w", &[2, 3], &W6)],
        body:
            "let loss = sum(mean(square(w), 0) * [1.0, 2.0, -1.0]) + sum(sum(w, 1) * [0.5, -2.0]) \
               + mean(w, -1)[1] + sum(max(w, axis=1)) + min(w) + max(w) * 2.0 + sum(min(w, axis=0) * [1.0, 3.0, -2.0]);",
    });
}

#[test]
fn structural_ops() {
    check(&Case {
        name: "structural",
        params: vec![p("w", &[2, 3], &W6), p("v", &[2, 2], &[0.5, -1.5, 2.5, 0.25])],
        body: "let m = [[1.0, 0.5], [-1.0, 2.0], [0.3, 0.3], [2.0, -0.5], [1.0, 1.0]];\n\
               let loss = sum(reshape(w, [3, 2]) @ transpose(v)) + sum(flatten(w) * [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) \
               + sum(square(cat([w, v], 1) @ m)) + sum(stack([w[:, 0:2], v], 0) * 1.5) \
               + sum(square(cat([w, w], 0)));",
    });
}

#[test]
fn indexing_and_slicing() {
    check(&Case {
        name: "index",
        params: vec![p("w", &[2, 3], &W6)],
        body: "let loss = sum(square(w[1:, 0:2])) + sum(w[0] * [1.0, -2.0, 3.0]) + sum(w[-1, 1:]) * 2.0 \
               + w[1, 2] * w[0, 0] + sum(w[:, -2:] * 0.5) + sum(square(w[:1]));",
    });
}

#[test]
fn elementwise_max_min_and_private_if() {
    check(&Case {
        name: "where",
        params: vec![p("w", &[2, 3], &W6), p("v", &[2, 3], &[1.2, 0.9, -0.4, 0.6, 2.0, -1.3])],
        body: "let c = private(src=ALICE, [[1.0, -1.0, 2.0], [-3.0, 0.5, 1.0]]);\n\
               let z = w * 2.0;\n\
               if c > 0 { z = square(w) + v; } else { z = z * v; }\n\
               let loss = sum(z) + sum(max(w, v) + min(w, 0.5)) + sum(where(c > 0, w * v, w));",
    });
}

#[test]
fn matrix_vector_products_and_inlined_functions() {
    check(&Case {
        name: "matvec",
        params: vec![p("w", &[3], &[0.3, -0.7, 1.1]), p("m", &[2, 3], &W6)],
        body: "fn layer(a, x) { let h = a @ x; return tanh(h); }\n\
               let x = [[1.0, 2.0, 0.5], [-0.5, 0.3, 1.0]];\n\
               let loss = sum(layer(x, w)) + sum([1.0, 2.0] @ m) + sum(m @ w) + w @ w;",
    });
}

const CNN_BODY: &str = "let y = conv2d(x, w, stride=[1, 2], padding=1, bias=b);\n\
    let m = max_pool2d(y, 2, stride=1);\n\
    let a = avg_pool2d(y, [2, 3], stride=1, padding=1);\n\
    let e = conv2d(x, [[[[0.5, -1.0], [0.25, 1.0]], [[1.0, 0.0], [-0.5, 0.75]]]], stride=2);\n\
    let loss = sum(square(flatten(m, 1)) * 0.5) + sum(a * a) + sum(flatten(y, 2)[:, :, 0]) + sum(square(e));";

fn cnn_case() -> Case {
    let x: Vec<f64> = (0..32).map(|i| ((i as f64) * 0.73).sin() * 1.3).collect();
    let w: Vec<f64> = (0..16).map(|i| ((i as f64) * 1.91 + 0.4).cos() * 0.6).collect();
    Case {
        name: "cnn",
        params: vec![p("x", &[1, 2, 4, 4], &x), p("w", &[2, 2, 2, 2], &w), p("b", &[2], &[0.3, -0.2])],
        body: CNN_BODY,
    }
}

#[test]
fn convolution_pooling_and_flatten() {
    check(&cnn_case());
}

#[test]
fn convolution_gradients_agree_with_two_parties() {
    // The same gradient program, with the named tensors secret-shared by ALICE, run on 2 parties:
    // every gradient entry within fixed-point tolerance of the plaintext one (checked above
    // against finite differences).
    let case = cnn_case();
    let values: Vec<Vec<f64>> = case.params.iter().map(|p| p.2.clone()).collect();
    // Make x and w private: `let x = private(src=ALICE, <literal> + 0.0);`.
    let src = source(&case, &values, true)
        .replace("let x = ", "let x = private(src=ALICE, ")
        .replace("let w = ", "let w = private(src=BOB, ");
    let src = fix_private_lines(&src);
    let compiled = compile(&src, &CompileOptions::default());
    assert!(compiled.diagnostics.iter().all(|d| d.severity != Severity::Error), "{src}");
    let program = compiled.program.expect("a program");
    let dirs: Vec<PathBuf> = ["plain", "alice", "bob"]
        .iter()
        .map(|p| std::env::temp_dir().join(format!("mpcc-grad-cnn2-{}-{p}", std::process::id())))
        .collect();
    for d in &dirs {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).expect("temp dir");
    }
    let plain_cfg = RunConfig { data_dirs: vec![dirs[0].clone(), dirs[0].clone()], ..RunConfig::default() };
    run_plain(&program, &plain_cfg, &mut VecSink::default()).expect("plaintext run");
    let mpc_cfg = RunConfig { data_dirs: vec![dirs[1].clone(), dirs[2].clone()], ..RunConfig::default() };
    mpcc_runtime::exec::run_mpc(&program, 2, &mpc_cfg, &mut VecSink::default()).expect("2-party run");
    for g in ["g0", "g1", "g2", "loss"] {
        let want = read(&dirs[0], &format!("{g}.npy"));
        let got = read(&dirs[1], &format!("{g}.npy"));
        assert_eq!(want.len(), got.len());
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 2e-2 + 2e-2 * b.abs(), "{g}: {a} with 2 parties, {b} in plaintext");
        }
    }
    for d in &dirs {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Closes the `private(` opened before a literal: `private(src=P, [..] + 0.0;` → `…0.0);`.
fn fix_private_lines(src: &str) -> String {
    src.lines()
        .map(|l| {
            if l.contains("private(src=") && l.ends_with(" + 0.0;") {
                l.replace(" + 0.0;", " + 0.0);")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
