//! End-to-end runs of the seed workloads on reduced sizes: the four SVM data-sharing programs
//! (programs/svm/) on CrypTen's synthetic set and the real breast-cancer data, and private MNIST
//! inference (programs/mnist/) on the first 200 test images with ALICE's committed model.
//!
//! The data comes from the same recipes `mpcc gen-data` runs, written into a temporary folder;
//! results are checked against the plaintext f64 references in `mpcc_runtime::datasets`.

use mpcc_compiler::{compile, CompileOptions};
use mpcc_runtime::datasets::folders::read_array;
use mpcc_runtime::datasets::{self, Mlp, RecipeOptions};
use mpcc_runtime::exec::{run_plain, Event, RunConfig, VecSink};
use ndarray::{Array1, Array2, Ix1, Ix2};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpcc-workloads-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Compiles `programs/<rel>` with `--set` overrides, failing the test on any diagnostic.
fn compile_program(rel: &str, params: &[(&str, &str)]) -> mpcc_ir::Program {
    let path = root().join("programs").join(rel);
    let src = std::fs::read_to_string(&path).unwrap();
    let options = CompileOptions {
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let compiled = compile(&src, &options);
    match compiled.program {
        Some(program) => program,
        None => panic!("{rel} does not compile: {:#?}", compiled.diagnostics),
    }
}

/// Runs a compiled program on the plaintext engine with ALICE's and BOB's folders.
fn run_plaintext(program: &mpcc_ir::Program, alice: &Path, bob: &Path) -> Vec<Event> {
    let cfg = RunConfig {
        data_dirs: vec![alice.to_path_buf(), bob.to_path_buf()],
        ..RunConfig::default()
    };
    let mut sink = VecSink::default();
    if let Err(e) = run_plain(program, &cfg, &mut sink) {
        panic!("plaintext run failed: {e}");
    }
    sink.events
}

/// The number at the end of the last `print` or `output` line.
fn last_number(events: &[Event]) -> f64 {
    let text = events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Print { text } | Event::Output { text, .. } => Some(text.clone()),
            Event::Warning { .. } => None,
        })
        .unwrap_or_default();
    let last = text.split_whitespace().last().unwrap_or_default();
    last.parse()
        .unwrap_or_else(|_| panic!("no number at the end of `{text}`"))
}

fn party_dirs(base: &Path, scenario: &str) -> (PathBuf, PathBuf) {
    (
        base.join(scenario).join("alice"),
        base.join(scenario).join("bob"),
    )
}

/// Runs the three training scenarios and model hiding in plaintext on `base`'s folders; returns
/// the training scenarios' test accuracy (equal across them, since they train on the same data).
fn check_svm_scenarios(base: &Path, epochs: &str) -> f64 {
    let mut accuracies = Vec::new();
    for scenario in ["data_labeling", "feature_aggregation", "data_augmentation"] {
        let program = compile_program(&format!("svm/{scenario}.mpc"), &[("epochs", epochs)]);
        let (alice, bob) = party_dirs(base, scenario);
        accuracies.push(last_number(&run_plaintext(&program, &alice, &bob)));
    }
    assert!(
        accuracies.iter().all(|&a| a == accuracies[0]),
        "the scenarios split the same data, so plaintext accuracies must agree: {accuracies:?}"
    );
    // Model hiding: BOB's predictions equal the f64 reference of ALICE's model.
    let program = compile_program("svm/model_hiding.mpc", &[]);
    let (alice, bob) = party_dirs(base, "model_hiding");
    let events = run_plaintext(&program, &alice, &bob);
    assert!(
        events.iter().all(|e| !matches!(e, Event::Print { .. })),
        "model hiding prints nothing to all"
    );
    let w = read_array::<Ix2>(&alice.join("w.npy")).unwrap();
    let b = read_array::<Ix1>(&alice.join("b.npy")).unwrap();
    let x = read_array::<Ix2>(&bob.join("test_x.npy")).unwrap();
    let y = read_array::<Ix2>(&bob.join("test_y.npy")).unwrap();
    let model = datasets::svm::SvmModel { w, b };
    let pred = read_array::<Ix2>(&bob.join("predictions.npy")).unwrap();
    assert_eq!(pred, model.predict(&x));
    assert!((last_number(&events) - model.accuracy(&x, &y)).abs() < 1e-4);
    accuracies[0]
}

#[test]
fn svm_scenarios_on_synthetic_data_agree_in_plaintext() {
    let base = temp_dir("svm-synthetic");
    datasets::write_svm_scenarios(&base, 2024).unwrap();
    let acc = check_svm_scenarios(&base, "50");
    eprintln!("plaintext test accuracy: {acc}");
    assert!(acc > 0.7, "synthetic test accuracy after 50 epochs: {acc}");
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn svm_scenarios_on_breast_cancer_agree_in_plaintext() {
    let base = temp_dir("svm-breast-cancer");
    datasets::write_breast_cancer(&base, 2024, &datasets::default_data_dir()).unwrap();
    let acc = check_svm_scenarios(&base, "50");
    eprintln!("plaintext test accuracy: {acc}");
    assert!(
        acc > 0.85,
        "breast-cancer test accuracy after 50 epochs: {acc}"
    );
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn mnist_inference_on_200_images_matches_the_reference_in_plaintext() {
    let base = temp_dir("mnist");
    let options = RecipeOptions {
        mnist_images: 200,
        ..RecipeOptions::default()
    };
    datasets::write_recipe("mnist", &base, 0, &options, &mut |_| {}).unwrap();
    let (alice, bob) = (base.join("alice"), base.join("bob"));
    let program = compile_program("mnist/mnist_inference.mpc", &[]);
    let events = run_plaintext(&program, &alice, &bob);
    let model = Mlp::load(&alice, 3).unwrap();
    let images: Array2<f64> = read_array(&bob.join("images.npy")).unwrap();
    let labels: Array1<f64> = read_array(&bob.join("labels.npy")).unwrap();
    let expected: Array1<f64> = model
        .predict(images.view())
        .iter()
        .map(|&p| p as f64)
        .collect();
    let pred: Array1<f64> = read_array(&bob.join("predictions.npy")).unwrap();
    assert_eq!(pred, expected);
    let hits = pred
        .iter()
        .zip(labels.iter())
        .filter(|(p, l)| p == l)
        .count();
    assert!(hits >= 190, "{hits}/200 correct");
    assert!((last_number(&events) - hits as f64 / 200.0).abs() < 1e-4);
    std::fs::remove_dir_all(&base).unwrap();
}
