//! `mpcc import` end to end against onnxruntime: the committed fixtures of
//! `tests/fixtures/onnx/` (built by `make_fixtures.py`, with onnxruntime's outputs on fixed
//! inputs) are imported with the binary, run in plaintext and secret-shared with 2 and 3 parties,
//! and BOB's `output.npy` is compared with onnxruntime's.
//!
//! Tolerances: plaintext within 1e-5 relative (plus 1e-7 absolute: onnxruntime computes in f32,
//! mpcc's reference in f64); secret-shared within the fixed-point tolerance below, with the same
//! argmax in every row.

use ndarray::{ArrayD, Axis};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Secret-shared runs: fixed-point encoding and truncation (docs/numbers.md) and, for `bn`, the
/// softmax approximation (docs/accuracy.md). Measured on these fixtures: at most 2.4e-5 absolute
/// (lenet); the bound leaves a margin of 20×.
const MPC_ABS: f64 = 5e-4;
const MPC_REL: f64 = 1e-3;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mpcc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mpcc")).args(args).current_dir(root()).output().expect("the mpcc binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpcc-onnx-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/onnx").join(name)
}

fn read(path: &Path) -> ArrayD<f64> {
    ndarray_npy::read_npy(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Imports `NAME.onnx` into a scratch folder with BOB's input; returns the folder.
fn import(name: &str) -> PathBuf {
    let dir = scratch(name);
    let model = fixture(&format!("{name}.onnx"));
    let out = mpcc(&["import", &model.display().to_string(), "--out", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
    std::fs::create_dir_all(dir.join("bob")).expect("bob's folder");
    std::fs::copy(fixture(&format!("{name}_input.npy")), dir.join("bob/input.npy")).expect("input");
    dir
}

/// Runs the imported program (`engine`: `--plaintext` or `--parties N`); returns BOB's output.
fn run(dir: &Path, engine: &[&str]) -> ArrayD<f64> {
    let _ = std::fs::remove_file(dir.join("bob/output.npy"));
    let main = dir.join("main.mpc").display().to_string();
    let alice = format!("ALICE={}", dir.join("alice").display());
    let bob = format!("BOB={}", dir.join("bob").display());
    let mut args = vec!["run", &main, "--data", &alice, "--data", &bob, "--seed", "5"];
    args.extend(engine);
    let out = mpcc(&args);
    assert_eq!(out.status.code(), Some(0), "{main} {engine:?}: {}", text(&out.stderr));
    // ALICE learns nothing: her folder holds only her model.
    let alice_files: Vec<_> =
        std::fs::read_dir(dir.join("alice")).expect("alice").flatten().map(|e| e.file_name()).collect();
    assert_eq!(alice_files, ["model.npz"]);
    read(&dir.join("bob/output.npy"))
}

fn argmax_rows(a: &ArrayD<f64>) -> Vec<usize> {
    a.axis_iter(Axis(0))
        .map(|row| row.iter().enumerate().fold((0, f64::MIN), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0)
        .collect()
}

fn check_model(name: &str) {
    let dir = import(name);
    let expected = read(&fixture(&format!("{name}_expected.npy")));
    let plain = run(&dir, &["--plaintext"]);
    assert_eq!(plain.shape(), expected.shape(), "{name}");
    for (a, b) in plain.iter().zip(&expected) {
        assert!((a - b).abs() <= 1e-5 * b.abs() + 1e-7, "{name} plaintext: {a} vs onnxruntime {b}");
    }
    for parties in ["2", "3"] {
        let mpc = run(&dir, &["--parties", parties]);
        assert_eq!(mpc.shape(), expected.shape(), "{name}");
        let worst = mpc.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        for (a, b) in mpc.iter().zip(&expected) {
            assert!((a - b).abs() <= MPC_ABS + MPC_REL * b.abs(), "{name}, {parties} parties: {a} vs {b}");
        }
        assert_eq!(argmax_rows(&mpc), argmax_rows(&expected), "{name}, {parties} parties (max error {worst:.2e})");
        eprintln!("{name}: {parties} parties, max |error| {worst:.2e}");
    }
}

#[test]
fn mlp_as_pytorch_exports_it_matches_onnxruntime() {
    check_model("mlp");
}

#[test]
fn tutorial_cnn_matches_onnxruntime() {
    check_model("cnn");
}

#[test]
fn lenet_matches_onnxruntime() {
    check_model("lenet");
}

#[test]
fn batchnorm_and_softmax_model_matches_onnxruntime() {
    check_model("bn");
}

#[test]
fn zero_pad_read_by_a_linear_layer_matches_onnxruntime() {
    check_model("pad");
}

#[test]
fn unsupported_ops_and_truncated_files_are_clear_errors() {
    let dir = scratch("errors");
    let out =
        mpcc(&["import", &fixture("unsupported_op.onnx").display().to_string(), "--out", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("node `/Erf` (Erf): the op `Erf` is not supported"), "{err}");
    assert!(err.contains("supported ops: Add, AveragePool, BatchNormalization"), "{err}");
    assert!(!dir.join("model.mpc").exists(), "nothing is written");
    let out = mpcc(&["import", &fixture("truncated.onnx").display().to_string(), "--out", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("truncated.onnx`: malformed model file: not a valid ONNX protobuf"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// The MNIST example reached through `mpcc import`: ALICE's committed model written as ONNX by
/// `programs/mnist/export_onnx.py` (float32, as PyTorch would), imported, and run on BOB's first
/// 50 test images with 2 parties, predicts what `programs/mnist/mnist_inference.mpc` predicts
/// from the f64 `.npy` weights.
#[test]
fn mnist_example_through_import_predicts_as_the_hand_written_program() {
    let dir = scratch("mnist");
    let out = mpcc(&["import", "programs/mnist/mnist_mlp.onnx", "--out", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let generated = dir.join("generated");
    let out = mpcc(&["gen-data", "mnist", "--out", &generated.display().to_string(), "--images", "50"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bob = dir.join("bob");
    std::fs::create_dir_all(&bob).expect("bob's folder");
    for file in ["images.npy", "labels.npy"] {
        std::fs::copy(generated.join("bob").join(file), bob.join(file)).expect("bob's data");
    }
    std::fs::copy(bob.join("images.npy"), bob.join("input.npy")).expect("input");
    let logits = run(&dir, &["--parties", "2"]);
    assert_eq!(logits.shape(), &[50, 10]);
    let hand = mpcc(&[
        "run",
        "programs/mnist/mnist_inference.mpc",
        "--parties",
        "2",
        "--data",
        "ALICE=programs/mnist/alice",
        "--data",
        &format!("BOB={}", bob.display()),
    ]);
    assert_eq!(hand.status.code(), Some(0), "{}", text(&hand.stderr));
    let predicted: Vec<usize> = read(&bob.join("predictions.npy")).iter().map(|&v| v as usize).collect();
    assert_eq!(argmax_rows(&logits), predicted);
    let labels: Vec<usize> = read(&bob.join("labels.npy")).iter().map(|&v| v as usize).collect();
    let right = predicted.iter().zip(&labels).filter(|(p, l)| p == l).count();
    assert!(right >= 48, "{right} of 50 right");
}
