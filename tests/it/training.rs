//! Training with `grad`, on reduced sizes: the SVM written with `grad` trains the same model as
//! the hand-written gradient of programs/svm.mpc, and programs/mnist/train_split.mpc learns the
//! zero / non-zero task on 100 split images, in plaintext and secret-shared between two parties,
//! and a reduced programs/mnist/train_cnn.mpc trains the same in both engines.
//! The full-size runs are documented commands (programs/mnist/README.md).

use mpcc_datasets::folders::read_array;
use mpcc_datasets::{default_data_dir, mnist_split::write_mnist_split};
use mpcc_runtime::exec::{run_mpc, run_plain, RunConfig, VecSink};
use ndarray::IxDyn;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> Vec<f64> {
    read_array::<IxDyn>(path).expect("a saved array").iter().copied().collect()
}

/// Runs programs/svm.mpc or svm_grad.mpc for `epochs` on the committed SVM data, saving the
/// model instead of sending it to ALICE; returns (w, b).
fn train_svm(file: &str, epochs: &str, dir: &Path) -> (Vec<f64>, Vec<f64>) {
    let src = std::fs::read_to_string(root().join("programs").join(file)).expect("program");
    let src = src.replace("output(w, to=ALICE);", "save(\"w.npy\", reveal(w)); save(\"b.npy\", reveal(b));");
    assert!(src.contains("save(\"w.npy\""), "{file} no longer outputs w as expected");
    let program = crate::support::compile_clean(&src, &[("epochs", epochs)]);
    for f in ["features.npy", "labels.npy", "test_x.npy", "test_y.npy"] {
        std::fs::copy(root().join("programs").join(f), dir.join(f)).expect("copy data");
    }
    let cfg = RunConfig { data_dirs: vec![dir.to_path_buf(), dir.to_path_buf()], ..RunConfig::default() };
    run_plain(&program, &cfg, &mut VecSink::default()).expect("plaintext run");
    (read(&dir.join("w.npy")), read(&dir.join("b.npy")))
}

#[test]
fn svm_with_grad_trains_the_hand_written_model() {
    let dir = crate::support::fresh_dir("training-svm");
    let (w_hand, b_hand) = train_svm("svm.mpc", "20", &dir);
    let (w_grad, b_grad) = train_svm("svm_grad.mpc", "20", &dir);
    assert_eq!(w_hand.len(), 100);
    assert_eq!(w_hand.len(), w_grad.len());
    let moved = w_hand.iter().zip(&w_grad).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(moved < 1e-9, "w differs by up to {moved}");
    assert!((b_hand[0] - b_grad[0]).abs() < 1e-9, "b: {} by hand, {} by grad", b_hand[0], b_grad[0]);
    // The model did train: the bias moved away from its zero start.
    assert!(b_hand[0] != 0.0);
    let _ = std::fs::remove_dir_all(&dir);
}

fn accuracy(lines: &[String]) -> f64 {
    let line = lines.iter().find(|l| l.starts_with("test accuracy")).expect("an accuracy line");
    line.split_whitespace().last().and_then(|x| x.parse().ok()).expect("a number")
}

fn epoch_losses(lines: &[String]) -> Vec<f64> {
    lines
        .iter()
        .filter(|l| l.starts_with("epoch"))
        .filter_map(|l| l.split_whitespace().last().and_then(|x| x.parse().ok()))
        .collect()
}

/// Runs `program` on ALICE's and BOB's folders under `dir`, in plaintext and with 2 parties;
/// returns the printed lines of each.
fn run_both(program: &mpcc_ir::Program, dir: &Path, seed: u64) -> (Vec<String>, Vec<String>) {
    let cfg =
        RunConfig { data_dirs: vec![dir.join("alice"), dir.join("bob")], seed: Some(seed), ..RunConfig::default() };
    let mut sink = VecSink::default();
    run_plain(program, &cfg, &mut sink).expect("plaintext run");
    let plain = sink.prints();
    let mut sink = VecSink::default();
    run_mpc(program, 2, &cfg, &mut sink).expect("MPC run");
    (plain, sink.prints())
}

#[test]
fn mnist_split_training_learns_zero_or_not_in_plaintext_and_mpc() {
    let dir = crate::support::fresh_dir("training-mnist");
    write_mnist_split(&dir, &default_data_dir(), 100, 200).expect("split data");
    let src = std::fs::read_to_string(root().join("programs/mnist/train_split.mpc")).expect("program");
    let program = crate::support::compile_clean(&src, &[("epochs", "5")]);
    let (plain, mpc) = run_both(&program, &dir, 3);
    let (acc_plain, acc_mpc) = (accuracy(&plain), accuracy(&mpc));
    // A model that learned nothing scores the share of non-zeros by always answering "not zero"
    // (about 0.9); the trained one must do clearly better.
    let labels = read(&dir.join("alice/test_labels.npy"));
    let baseline = labels.iter().filter(|&&l| l != 0.0).count() as f64 / labels.len() as f64;
    assert!(acc_plain > baseline + 0.04, "plaintext accuracy {acc_plain}, baseline {baseline}: {plain:?}");
    assert!((acc_plain - acc_mpc).abs() <= 0.01, "plaintext {acc_plain} vs MPC {acc_mpc}");
    let (lp, lm) = (epoch_losses(&plain), epoch_losses(&mpc));
    assert_eq!(lp.len(), 5);
    assert!(lp[4] < lp[0], "the loss falls: {lp:?}");
    for (a, b) in lp.iter().zip(&lm) {
        assert!((a - b).abs() < 0.02, "per-epoch losses agree: {lp:?} vs {lm:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mnist_cnn_training_agrees_between_plaintext_and_mpc() {
    // programs/mnist/train_cnn.mpc, reduced (4 channels, 16 hidden units, 40 images, one epoch):
    // the secret-shared run follows the plaintext one (the full-size run is in the README).
    let dir = crate::support::fresh_dir("training-mnist-cnn");
    write_mnist_split(&dir, &default_data_dir(), 40, 40).expect("split data");
    let src = std::fs::read_to_string(root().join("programs/mnist/train_cnn.mpc")).expect("program");
    // The 40 test images are scored in two batches of 20 (the program's test loop).
    let params =
        [("epochs", "1"), ("channels", "4"), ("hidden", "16"), ("tests", "40"), ("tbatch", "20"), ("lr", "0.2")];
    let program = crate::support::compile_clean(&src, &params);
    let (plain, mpc) = run_both(&program, &dir, 5);
    let (acc_plain, acc_mpc) = (accuracy(&plain), accuracy(&mpc));
    assert!((acc_plain - acc_mpc).abs() <= 0.05, "plaintext {acc_plain} vs MPC {acc_mpc}");
    let (lp, lm) = (epoch_losses(&plain), epoch_losses(&mpc));
    assert_eq!(lp.len(), 1);
    assert!((lp[0] - lm[0]).abs() < 0.02, "losses agree: {lp:?} vs {lm:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
