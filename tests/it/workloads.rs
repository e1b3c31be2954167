//! End-to-end runs of the seed workloads on reduced sizes: the four SVM data-sharing programs
//! (programs/svm/) on CrypTen's synthetic set and the real breast-cancer data, and private MNIST
//! inference (programs/mnist/) on the first 200 test images with ALICE's committed MLP and on the
//! first 8 with her committed LeNet-5 (2 and 3 parties).
//!
//! The data comes from the same recipes `mpcc gen-data` runs, written into a temporary folder;
//! results are checked against the plaintext f64 references in `mpcc_datasets`, and the
//! 2-party MPC runs (simulated, seeded) against the plaintext engine's.

use mpcc_compiler::{compile, CompileOptions};
use mpcc_datasets::folders::read_array;
use mpcc_datasets::{self as datasets, Lenet, Mlp, RecipeOptions};
use mpcc_runtime::exec::{run_mpc, run_plain, Event, RunConfig, VecSink};
use ndarray::{Array1, Array2, Ix1, Ix2};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles `programs/<rel>` with `--set` overrides, failing the test on any diagnostic.
fn compile_program(rel: &str, params: &[(&str, &str)]) -> mpcc_ir::Program {
    let path = root().join("programs").join(rel);
    let src = std::fs::read_to_string(&path).unwrap();
    let options = CompileOptions { params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let compiled = compile(&src, &options);
    match compiled.program {
        Some(program) => program,
        None => panic!("{rel} does not compile: {:#?}", compiled.diagnostics),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Engine {
    Plaintext,
    Mpc,
}

/// Runs a compiled program with ALICE's and BOB's folders on the plaintext engine, or secret-shared
/// between two simulated parties (share randomness seeded, so the run is reproducible).
fn run_with(engine: Engine, program: &mpcc_ir::Program, alice: &Path, bob: &Path) -> Vec<Event> {
    let cfg =
        RunConfig { data_dirs: vec![alice.to_path_buf(), bob.to_path_buf()], seed: Some(7), ..RunConfig::default() };
    let mut sink = VecSink::default();
    let result = match engine {
        Engine::Plaintext => run_plain(program, &cfg, &mut sink).map(|_| ()),
        Engine::Mpc => run_mpc(program, 2, &cfg, &mut sink).map(|_| ()),
    };
    if let Err(e) = result {
        panic!("{engine:?} run failed: {e}");
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
            Event::Warning { .. } | Event::Loop { .. } => None,
        })
        .unwrap_or_default();
    let last = text.split_whitespace().last().unwrap_or_default();
    last.parse().unwrap_or_else(|_| panic!("no number at the end of `{text}`"))
}

fn party_dirs(base: &Path, scenario: &str) -> (PathBuf, PathBuf) {
    (base.join(scenario).join("alice"), base.join(scenario).join("bob"))
}

/// Runs the three training scenarios and model hiding on `base`'s folders; returns the training
/// scenarios' test accuracy (equal across them, since they train on the same data).
fn check_svm_scenarios(engine: Engine, base: &Path, epochs: &str) -> f64 {
    let mut accuracies = Vec::new();
    for scenario in ["data_labeling", "feature_aggregation", "data_augmentation"] {
        let program = compile_program(&format!("svm/{scenario}.mpc"), &[("epochs", epochs)]);
        let (alice, bob) = party_dirs(base, scenario);
        accuracies.push(last_number(&run_with(engine, &program, &alice, &bob)));
    }
    assert!(
        accuracies.iter().all(|&a| a == accuracies[0]),
        "the scenarios split the same data, so their accuracies must agree: {accuracies:?}"
    );
    // Model hiding: BOB's predictions equal the f64 reference of ALICE's model.
    let program = compile_program("svm/model_hiding.mpc", &[]);
    let (alice, bob) = party_dirs(base, "model_hiding");
    let events = run_with(engine, &program, &alice, &bob);
    assert!(
        events.iter().all(|e| matches!(e, Event::Output { party, .. } if party == "BOB")),
        "model hiding reveals to BOB alone: {events:?}"
    );
    let w = read_array::<Ix2>(&alice.join("w.npy")).unwrap();
    let b = read_array::<Ix1>(&alice.join("b.npy")).unwrap();
    let x = read_array::<Ix2>(&bob.join("test_x.npy")).unwrap();
    let y = read_array::<Ix2>(&bob.join("test_y.npy")).unwrap();
    let model = datasets::svm::SvmModel { w, b };
    let pred = read_array::<Ix2>(&bob.join("predictions.npy")).unwrap();
    let reference = model.predict(&x);
    let differ = pred.iter().zip(reference.iter()).filter(|(p, r)| p != r).count();
    // Plaintext must agree exactly; fixed point may flip an example that sits on the hyperplane.
    let allowed = if engine == Engine::Plaintext { 0 } else { 1 };
    assert!(differ <= allowed, "{differ} predictions differ from the f64 reference");
    let accuracy = last_number(&events);
    assert!((accuracy - model.accuracy(&x, &y)).abs() <= allowed as f64 / y.len() as f64 + 1e-4);
    accuracies[0]
}

/// The MPC runs reach the plaintext engine's accuracy within one point (few epochs, to stay fast).
fn check_mpc_matches_plaintext(base: &Path) {
    let plain = check_svm_scenarios(Engine::Plaintext, base, "10");
    let mpc = check_svm_scenarios(Engine::Mpc, base, "10");
    assert!((plain - mpc).abs() <= 0.01, "plaintext {plain}, MPC {mpc}");
}

#[test]
fn svm_scenarios_on_synthetic_data_agree_in_plaintext_and_mpc() {
    let base = crate::support::fresh_dir("workloads-svm-synthetic");
    datasets::write_svm_scenarios(&base, 2024).unwrap();
    let acc = check_svm_scenarios(Engine::Plaintext, &base, "50");
    assert!(acc > 0.8, "synthetic test accuracy after 50 epochs: {acc}");
    check_mpc_matches_plaintext(&base);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn svm_scenarios_on_breast_cancer_agree_in_plaintext_and_mpc() {
    let base = crate::support::fresh_dir("workloads-svm-breast-cancer");
    datasets::write_breast_cancer(&base, 2024, &datasets::default_data_dir()).unwrap();
    let acc = check_svm_scenarios(Engine::Plaintext, &base, "50");
    assert!(acc > 0.9, "breast-cancer test accuracy after 50 epochs: {acc}");
    check_mpc_matches_plaintext(&base);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn mnist_inference_on_200_images_matches_the_reference() {
    let base = crate::support::fresh_dir("workloads-mnist");
    let options = RecipeOptions { mnist_images: 200, ..RecipeOptions::default() };
    datasets::write_recipe("mnist", &base, 0, &options, &mut |_| {}).unwrap();
    let (alice, bob) = (base.join("alice"), base.join("bob"));
    let program = compile_program("mnist/mnist_inference.mpc", &[]);
    let model = Mlp::load(&alice, 3).unwrap();
    let images: Array2<f64> = read_array(&bob.join("images.npy")).unwrap();
    let labels: Array1<f64> = read_array(&bob.join("labels.npy")).unwrap();
    let expected: Array1<f64> = model.predict(images.view()).iter().map(|&p| p as f64).collect();
    for (engine, allowed) in [(Engine::Plaintext, 0), (Engine::Mpc, 1)] {
        let events = run_with(engine, &program, &alice, &bob);
        assert!(
            events.iter().all(|e| matches!(e, Event::Output { party, .. } if party == "BOB")),
            "only BOB learns anything: {events:?}"
        );
        let pred: Array1<f64> = read_array(&bob.join("predictions.npy")).unwrap();
        let differ = pred.iter().zip(expected.iter()).filter(|(p, e)| p != e).count();
        assert!(differ <= allowed, "{engine:?}: {differ} of 200 predictions differ from f64");
        let hits = pred.iter().zip(labels.iter()).filter(|(p, l)| p == l).count();
        assert!(hits >= 190, "{engine:?}: {hits}/200 correct");
        assert_eq!(events.len(), 1, "one output, the predictions: {events:?}");
        std::fs::remove_file(bob.join("predictions.npy")).unwrap();
    }
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn lenet_inference_on_8_images_matches_plaintext_with_2_and_3_parties() {
    // programs/mnist/lenet_inference.mpc, reduced to 8 images (the README measures all 10 000).
    let base = crate::support::fresh_dir("workloads-lenet");
    let options = RecipeOptions { mnist_images: 8, mnist_model_dir: None, ..RecipeOptions::default() };
    datasets::write_recipe("mnist", &base, 0, &options, &mut |_| {}).unwrap();
    let (alice, bob) = (root().join("programs/mnist/lenet"), base.join("bob"));
    let program = compile_program("mnist/lenet_inference.mpc", &[]);
    let images: Array2<f64> = read_array(&bob.join("images.npy")).unwrap();
    let labels: Array1<f64> = read_array(&bob.join("labels.npy")).unwrap();
    // The f64 reference: the trainer's own forward pass of ALICE's committed weights.
    let expected: Array1<f64> =
        Lenet::load(&alice).unwrap().predict(images.view()).unwrap().iter().map(|&p| p as f64).collect();
    assert_eq!(expected, labels, "the committed LeNet classifies the first 8 test images correctly");
    let cfg = RunConfig { data_dirs: vec![alice.clone(), bob.clone()], seed: Some(3), ..RunConfig::default() };
    let mut plain_sink = VecSink::default();
    run_plain(&program, &cfg, &mut plain_sink).unwrap();
    let plain: Array1<f64> = read_array(&bob.join("predictions.npy")).unwrap();
    assert_eq!(plain, expected, "the plaintext engine computes the trainer's function");
    for parties in [2, 3] {
        std::fs::remove_file(bob.join("predictions.npy")).unwrap();
        let mut sink = VecSink::default();
        let report = run_mpc(&program, parties, &cfg, &mut sink).unwrap();
        assert!(
            sink.events.len() == 1 && matches!(&sink.events[0], Event::Output { party, .. } if party == "BOB"),
            "{parties} parties: only BOB learns anything: {:?}",
            sink.events
        );
        let pred: Array1<f64> = read_array(&bob.join("predictions.npy")).unwrap();
        assert_eq!(pred, plain, "{parties} parties: the private predictions equal the plaintext engine's");
        // The program's only opening: the predictions, to BOB.
        let opened: Vec<(&str, &str)> = report.audit.entries.iter().map(|e| (e.kind.as_str(), e.to.as_str())).collect();
        assert_eq!(opened, [("output", "BOB")], "{parties} parties");
    }
    std::fs::remove_dir_all(&base).unwrap();
}
