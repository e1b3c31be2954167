//! The MNIST recipes: `mnist` (BOB's private test images and labels, plus ALICE's model copied
//! from the committed weights), `mnist-model` (train ALICE's MLP on the real training set) and
//! `lenet-model` (train ALICE's LeNet-5 for `programs/mnist/lenet_inference.mpc`).
//!
//! Layout under the output folder: `bob/images.npy` `[n, 784]` (pixels / 255), `bob/labels.npy`
//! `[n]` (0..=9, as `f64`), and `alice/{w1,b1,w2,b2,w3,b3}.npy` (`w1: [784, 128]`, …, `b3: [10]`).
//! BOB's `n` images are the first `n` of the 10 000 test images (no sampling, so the seed plays no
//! part). Nothing here runs a program.

use super::error::DatasetError;
use super::folders::{copy_file, write_array};
use super::idx::{load_mnist, MnistSplit};
use super::lenet::{train_lenet, Lenet, LenetConfig};
use super::mlp::{train_mlp, Mlp, MlpConfig, TrainEvent};
use ndarray::{Array1, ArrayView2};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The number of MNIST test images.
pub const MNIST_TEST: usize = 10_000;
/// The names of ALICE's weight files, in layer order.
pub const MNIST_MODEL_FILES: [&str; 6] = ["w1.npy", "b1.npy", "w2.npy", "b2.npy", "w3.npy", "b3.npy"];

/// The `mnist` recipe: BOB's first `n` test images and labels in `out_dir/bob`, and, when
/// `model_dir` is given and differs from `out_dir/alice`, ALICE's weight files copied from it.
pub fn write_mnist(
    out_dir: &Path,
    data_dir: &Path,
    n: usize,
    model_dir: Option<&Path>,
) -> Result<Vec<PathBuf>, DatasetError> {
    if n == 0 || n > MNIST_TEST {
        return Err(DatasetError::BadOption {
            message: format!("the number of MNIST test images must be 1..={MNIST_TEST}, not {n}"),
        });
    }
    let test = load_mnist(data_dir, MnistSplit::Test, Some(n))?;
    let bob = out_dir.join("bob");
    let labels: Array1<f64> = test.labels.iter().map(|&l| f64::from(l)).collect();
    let mut files = vec![write_array(&bob, "images.npy", &test.images)?, write_array(&bob, "labels.npy", &labels)?];
    let alice = out_dir.join("alice");
    if let Some(model_dir) = model_dir {
        let same = match (model_dir.canonicalize(), alice.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same {
            for name in MNIST_MODEL_FILES {
                files.push(copy_file(&model_dir.join(name), &alice.join(name))?);
            }
        }
    }
    Ok(files)
}

/// What a training run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct MnistTrainReport {
    /// Accuracy on the 10 000 test images.
    pub test_accuracy: f64,
    /// Accuracy on the 60 000 training images.
    pub train_accuracy: f64,
    /// The mean loss of each epoch.
    pub epoch_losses: Vec<f64>,
    /// Wall-clock seconds of training (loading the data excluded).
    pub seconds: f64,
}

/// Trains ALICE's MLP on the MNIST training set and measures it on the test set.
pub fn train_mnist_model(
    data_dir: &Path,
    config: &MlpConfig,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<(Mlp, MnistTrainReport), DatasetError> {
    train_and_measure(
        data_dir,
        on_event,
        |images, labels, on_event| train_mlp(images, labels, config, on_event),
        |model, images, labels| Ok(model.accuracy(images, labels)),
    )
}

/// Loads both MNIST splits, trains a model with `train` (counting the epochs' losses and the
/// seconds spent) and measures it with `accuracy` on the test and training sets.
fn train_and_measure<M>(
    data_dir: &Path,
    on_event: &mut dyn FnMut(TrainEvent),
    train: impl FnOnce(ArrayView2<'_, f64>, &[u8], &mut dyn FnMut(TrainEvent)) -> Result<M, DatasetError>,
    accuracy: impl Fn(&M, ArrayView2<'_, f64>, &[u8]) -> Result<f64, DatasetError>,
) -> Result<(M, MnistTrainReport), DatasetError> {
    let train_set = load_mnist(data_dir, MnistSplit::Train, None)?;
    let test = load_mnist(data_dir, MnistSplit::Test, None)?;
    let start = Instant::now();
    let mut epoch_losses = Vec::new();
    let model = train(train_set.images.view(), &train_set.labels, &mut |event| {
        if let TrainEvent::Epoch { loss, .. } = &event {
            epoch_losses.push(*loss);
        }
        on_event(event);
    })?;
    let seconds = start.elapsed().as_secs_f64();
    let report = MnistTrainReport {
        test_accuracy: accuracy(&model, test.images.view(), &test.labels)?,
        train_accuracy: accuracy(&model, train_set.images.view(), &train_set.labels)?,
        epoch_losses,
        seconds,
    };
    Ok((model, report))
}

/// The `mnist-model` recipe: trains with `config` (its seed replaced by `seed`) and writes the
/// weights into `out_dir`.
pub fn write_mnist_model(
    out_dir: &Path,
    seed: u64,
    data_dir: &Path,
    config: &MlpConfig,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<(Vec<PathBuf>, MnistTrainReport), DatasetError> {
    let config = MlpConfig { seed, ..config.clone() };
    let (model, report) = train_mnist_model(data_dir, &config, on_event)?;
    Ok((model.save(out_dir)?, report))
}

/// Trains LeNet-5 ([`super::lenet`]) on the MNIST training set and measures it on the test set.
pub fn train_lenet_model(
    data_dir: &Path,
    config: &LenetConfig,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<(Lenet, MnistTrainReport), DatasetError> {
    train_and_measure(
        data_dir,
        on_event,
        |images, labels, on_event| train_lenet(images, labels, config, on_event),
        |model, images, labels| model.accuracy(images, labels),
    )
}

/// The `lenet-model` recipe: trains LeNet-5 with `config` (its seed replaced by `seed`) and
/// writes its ten parameter files into `out_dir`.
pub fn write_lenet_model(
    out_dir: &Path,
    seed: u64,
    data_dir: &Path,
    config: &LenetConfig,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<(Vec<PathBuf>, MnistTrainReport), DatasetError> {
    let config = LenetConfig { seed, ..config.clone() };
    let (model, report) = train_lenet_model(data_dir, &config, on_event)?;
    Ok((model.save(out_dir)?, report))
}
