//! `grad` of tensors whose shapes the compiler does not know: weights and biases loaded from
//! `.npy` files, so a bias's broadcast over the batch must be summed away at run time
//! (`sum_to`). Each case writes its fixtures into a temp folder, runs the program in plaintext
//! and with 2 and 3 simulated parties, and compares the saved gradients with central finite
//! differences of the same loss computed here in `f64`. Also: a `sum_to` whose shapes do not
//! broadcast is a run-time error at the op's span, in both engines.

use mpcc_compiler::{compile, CompileOptions, Severity};
use mpcc_datasets::folders::read_array;
use mpcc_ir::{
    print_program, Block, DType, Label, Op, PartyId, Program, Shape, Span, Stmt, Tensor, ValueDef, ValueId, ValueInfo,
};
use mpcc_runtime::error::ErrorKind;
use mpcc_runtime::exec::{run_mpc, run_plain, RunConfig, VecSink};
use ndarray::IxDyn;
use std::path::{Path, PathBuf};

/// A tensor of the test: shape and row-major values.
type Array = (Vec<usize>, Vec<f64>);

/// A differentiated name: its file (in ALICE's folder), shape and values.
struct Param {
    name: &'static str,
    value: Array,
}

struct Case {
    name: &'static str,
    params: Vec<Param>,
    /// Files in BOB's folder: name (without `.npy`) and value.
    data: Vec<(&'static str, Array)>,
    /// Statements defining `loss` from the loaded names.
    body: &'static str,
    /// The same loss in `f64`, from the params' values (in order) and the data (in order).
    loss: fn(&[Vec<f64>], &[Array]) -> f64,
}

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

fn array(shape: &[usize], seed: u64) -> Array {
    (shape.to_vec(), values(shape.iter().product(), seed))
}

fn save(dir: &Path, name: &str, (shape, data): &Array) {
    let t = ndarray::ArrayD::from_shape_vec(IxDyn(shape), data.clone()).expect("a tensor");
    mpcc_runtime::io::save(dir, &format!("{name}.npy"), &t).expect("fixture written");
}

fn read(dir: &Path, file: &str) -> Array {
    let a = read_array::<IxDyn>(&dir.join(file)).expect("saved array");
    (a.shape().to_vec(), a.iter().copied().collect())
}

fn source(case: &Case) -> String {
    let mut s = String::from("parties ALICE, BOB;\n");
    for (name, _) in &case.data {
        s += &format!("let {name} = private(src=BOB, load(\"{name}.npy\"));\n");
    }
    for p in &case.params {
        s += &format!("let {0} = private(src=ALICE, load(\"{0}.npy\"));\n", p.name);
    }
    s += case.body;
    let names: Vec<&str> = case.params.iter().map(|p| p.name).collect();
    let gs: Vec<String> = (0..names.len()).map(|i| format!("g{i}")).collect();
    s += &format!("\nlet ({}) = grad(loss, [{}]);\n", gs.join(", "), names.join(", "));
    s += "save(\"loss.npy\", reveal(loss));\n";
    for g in &gs {
        s += &format!("save(\"{g}.npy\", reveal({g}));\n");
    }
    s
}

fn compile_ok(src: &str) -> Program {
    let compiled = compile(src, &CompileOptions::default());
    let errors: Vec<_> = compiled.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{src}\n{errors:#?}");
    let program = compiled.program.expect("a program");
    mpcc_ir::validate(&program).expect("valid IR");
    program
}

/// Central differences of `case.loss` in `f64`, one list per param.
fn finite_differences(case: &Case) -> Vec<Vec<f64>> {
    let params: Vec<Vec<f64>> = case.params.iter().map(|p| p.value.1.clone()).collect();
    let data: Vec<Array> = case.data.iter().map(|d| d.1.clone()).collect();
    let h = 1e-6;
    (0..params.len())
        .map(|i| {
            (0..params[i].len())
                .map(|j| {
                    let at = |delta: f64| {
                        let mut p = params.clone();
                        p[i][j] += delta;
                        (case.loss)(&p, &data)
                    };
                    (at(h) - at(-h)) / (2.0 * h)
                })
                .collect()
        })
        .collect()
}

/// Runs `case` on `parties` simulated parties (0: plaintext) and checks every gradient entry
/// within `abs + rel * |fd|`.
fn check(case: &Case, parties: usize, abs: f64, rel: f64) {
    let dir = crate::support::fresh_dir(&format!("grad-loaded-{}-{parties}", case.name));
    let dirs: Vec<PathBuf> = ["alice", "bob", "carol"].iter().map(|n| dir.join(n)).collect();
    for d in &dirs {
        std::fs::create_dir_all(d).expect("a party folder");
    }
    for p in &case.params {
        save(&dirs[0], p.name, &p.value);
    }
    for (name, value) in &case.data {
        save(&dirs[1], name, value);
    }
    let src = source(case);
    let program = compile_ok(&src);
    // The loaded shapes are unknown to the compiler: the reduction is decided at run time.
    assert!(print_program(&program, false).contains("sum_to"), "{}", print_program(&program, false));
    let data_dirs = dirs.iter().take(parties.max(2)).cloned().collect();
    let cfg = RunConfig { data_dirs, seed: Some(7), ..RunConfig::default() };
    let mut sink = VecSink::default();
    let res = if parties == 0 {
        run_plain(&program, &cfg, &mut sink).map(|_| ())
    } else {
        run_mpc(&program, parties, &cfg, &mut sink).map(|_| ())
    };
    res.unwrap_or_else(|e| panic!("{src}\n{parties} parties: run failed: {e}"));
    let fds = finite_differences(case);
    for (i, (p, fd)) in case.params.iter().zip(&fds).enumerate() {
        let (shape, g) = read(&dirs[0], &format!("g{i}.npy"));
        assert_eq!(shape, p.value.0, "{}: the gradient of `{}` has the shape of `{}`", case.name, p.name, p.name);
        for (j, (g, fd)) in g.iter().zip(fd).enumerate() {
            assert!(
                (g - fd).abs() <= abs + rel * fd.abs(),
                "{} ({parties} parties): d loss / d {}[{j}] = {g} by grad, {fd} by finite differences",
                case.name,
                p.name
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn check_all(case: &Case) {
    check(case, 0, 1e-6, 1e-6);
    check(case, 2, 1e-2, 1e-2);
    check(case, 3, 1e-2, 1e-2);
}

const N: usize = 6;
const D: usize = 4;
const K: usize = 3;

/// `s * (x @ w)[i, k] + bias(k)` for `x` of [N, D], `w` of [D, K].
fn affine(x: &[f64], w: &[f64], s: f64, bias: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut z = vec![0.0; N * K];
    for i in 0..N {
        for k in 0..K {
            let dot: f64 = (0..D).map(|j| x[i * D + j] * w[j * K + k]).sum();
            z[i * K + k] = s * dot + bias(k);
        }
    }
    z
}

fn mse(z: &[f64], y: &[f64]) -> f64 {
    z.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / z.len() as f64
}

#[test]
fn loaded_weights_and_bias_under_a_squared_loss() {
    check_all(&Case {
        name: "mse",
        params: vec![Param { name: "w", value: array(&[D, K], 1) }, Param { name: "b", value: array(&[K], 2) }],
        data: vec![("x", array(&[N, D], 3)), ("y", array(&[N, K], 4))],
        body: "let loss = mean(square(x @ w + b - y));",
        loss: |p, d| {
            let z = affine(&d[0].1, &p[0], 1.0, |k| p[1][k]);
            mse(&z, &d[1].1)
        },
    });
}

#[test]
fn loaded_weights_and_bias_under_cross_entropy() {
    // One-hot targets: row i is class i % K.
    let t: Vec<f64> = (0..N * K).map(|e| if e % K == (e / K) % K { 1.0 } else { 0.0 }).collect();
    check_all(&Case {
        name: "xent",
        params: vec![Param { name: "w", value: array(&[D, K], 5) }, Param { name: "b", value: array(&[K], 6) }],
        data: vec![("x", array(&[N, D], 7)), ("t", (vec![N, K], t))],
        body: "let loss = cross_entropy(x @ w + b, t);",
        loss: |p, d| {
            let z = affine(&d[0].1, &p[0], 1.0, |k| p[1][k]);
            let t = &d[1].1;
            let mut total = 0.0;
            for i in 0..N {
                let row = &z[i * K..(i + 1) * K];
                let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let lse = m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
                total -= (0..K).map(|k| t[i * K + k] * (row[k] - lse)).sum::<f64>();
            }
            total / N as f64
        },
    });
}

#[test]
fn loaded_scalar_and_one_element_tensors_broadcast() {
    // `s` is 0-d and `c` has shape [1]: both broadcast over [N, K].
    check_all(&Case {
        name: "scalar",
        params: vec![
            Param { name: "w", value: array(&[D, K], 8) },
            Param { name: "s", value: (Vec::new(), vec![0.8]) },
            Param { name: "c", value: (vec![1], vec![-0.3]) },
        ],
        data: vec![("x", array(&[N, D], 9)), ("y", array(&[N, K], 10))],
        body: "let loss = mean(square((x @ w) * s + c - y));",
        loss: |p, d| {
            let z = affine(&d[0].1, &p[0], p[1][0], |_| p[2][0]);
            mse(&z, &d[1].1)
        },
    });
}

/// `sum_to` of a [2, 3] constant (shared first when `private`) to the shape [2], which does
/// not broadcast to [2, 3]; the `sum_to` has span 20..31.
fn bad_sum_to(private: bool) -> Program {
    let info = |label: Label| ValueInfo { label, dtype: DType::Real, shape: Shape::Unknown, witness: None };
    let x_label = if private { Label::Private } else { Label::Public };
    let mut values = vec![
        ValueDef {
            op: Op::Const(Tensor { shape: vec![2, 3], data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0] }),
            info: info(Label::Public),
            span: Span::new(0, 5),
        },
        ValueDef {
            op: Op::Const(Tensor { shape: vec![1], data: vec![2.0] }),
            info: info(Label::Public),
            span: Span::new(6, 9),
        },
    ];
    let mut x = ValueId(0);
    if private {
        values.push(ValueDef {
            op: Op::Share { src: PartyId(0), value: ValueId(0) },
            info: info(Label::Private),
            span: Span::new(0, 5),
        });
        x = ValueId(2);
    }
    values.push(ValueDef { op: Op::SumTo { x, shape: ValueId(1) }, info: info(x_label), span: Span::new(20, 31) });
    let body = (0..values.len() as u32).map(|i| Stmt::Eval(ValueId(i))).collect();
    Program {
        parties: vec!["ALICE".into(), "BOB".into()],
        params: Vec::new(),
        values,
        vars: Vec::new(),
        body: Block(body),
    }
}

#[test]
fn sum_to_of_shapes_that_do_not_broadcast_is_a_run_time_error_at_its_span() {
    let expected = "cannot sum a tensor of shape [2, 3] to shape [2]: the shapes do not broadcast";
    for private in [false, true] {
        let program = bad_sum_to(private);
        mpcc_ir::validate(&program).expect("valid IR");
        let cfg = RunConfig::default();
        let plain = run_plain(&program, &cfg, &mut VecSink::default()).err();
        let mpc = run_mpc(&program, 2, &cfg, &mut VecSink::default()).err();
        for err in [plain, mpc] {
            let err = err.expect("an error, not a panic");
            assert_eq!(err.kind, ErrorKind::Shape, "{err}");
            assert_eq!(err.span, Some(Span::new(20, 31)), "{err}");
            assert!(err.message.contains(expected), "{}", err.message);
        }
    }
}
