//! mpcc's example data, outside the engine: readers of the real data sets in `data/` (MNIST's IDX
//! files, the breast-cancer CSV), CrypTen's synthetic SVM set, the per-party folders of the four
//! SVM data-sharing scenarios, the plaintext trainers of the models ALICE holds (a linear SVM, an
//! MNIST MLP and a LeNet-5), and the small deterministic sets of the example programs
//! ([`datagen`]). The engine (`mpcc-runtime`) knows none of this; it reads whatever files a
//! program names. The binary wires both recipe tables into `mpcc gen-data`.
//!
//! Recipes (each `write_<recipe>` returns the files it wrote; [`write_recipe`] dispatches by name
//! for `mpcc gen-data`):
//! - `svm-scenarios` ([`write_svm_scenarios`]) and `breast-cancer` ([`write_breast_cancer`]):
//!   `<out>/<scenario>/{alice,bob}/*.npy`, laid out as [`scenarios`] documents;
//! - `mnist` ([`write_mnist`]): BOB's test images and labels, ALICE's committed weights;
//! - `mnist-model` ([`write_mnist_model`]): trains ALICE's MLP (about a minute per epoch);
//! - `lenet-model` ([`write_lenet_model`]): trains ALICE's LeNet-5 for
//!   `programs/mnist/lenet_inference.mpc`;
//! - `mnist-split` ([`mnist_split::write_mnist_split`]): images split by rows between ALICE
//!   (top 20 rows, labels) and BOB (bottom 8), for `programs/mnist/train_split.mpc`;
//! - `svm` and `basics` ([`datagen::generate`]): the data of `programs/svm.mpc` and
//!   `programs/basics.mpc`.
//!
//! Every failure is a [`DatasetError`] (the [`datagen`] recipes: the engine's `RunError`); nothing
//! here panics on a malformed file. This crate does not parse or run programs.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod breast_cancer;
pub mod datagen;
pub mod error;
pub mod folders;
pub mod idx;
pub mod lenet;
pub mod mlp;
pub mod mnist;
pub mod mnist_split;
pub mod scenarios;
pub mod svm;

#[cfg(test)]
mod tests;

pub use error::{DatasetError, IdxError};
pub use lenet::{train_lenet, Lenet, LenetConfig};
pub use mlp::{train_mlp, Mlp, MlpConfig, TrainEvent};
pub use mnist::{
    train_lenet_model, train_mnist_model, write_lenet_model, write_mnist, write_mnist_model, MnistTrainReport,
};
pub use scenarios::{write_breast_cancer, write_svm_scenarios, Scenario};

use std::path::{Path, PathBuf};

/// The recipes this module provides, for `mpcc gen-data`'s help and errors.
pub const RECIPES: [&str; 6] = ["svm-scenarios", "breast-cancer", "mnist", "mnist-model", "mnist-split", "lenet-model"];

/// Options some recipes take besides the output folder and the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct RecipeOptions {
    /// The folder holding the real data sets (`mnist/`, `digits/`); see [`default_data_dir`].
    pub data_dir: PathBuf,
    /// `mnist`: how many test images BOB gets (10 000 is the full set; CI uses 200).
    pub mnist_images: usize,
    /// `mnist`: the folder of ALICE's weights to copy (see [`default_mnist_model_dir`]).
    pub mnist_model_dir: Option<PathBuf>,
    /// `mnist-model`: the trainer's settings (its seed is replaced by the recipe's seed).
    pub mlp: MlpConfig,
    /// `lenet-model`: the trainer's settings (its seed is replaced by the recipe's seed).
    pub lenet: LenetConfig,
}

impl Default for RecipeOptions {
    fn default() -> RecipeOptions {
        RecipeOptions {
            data_dir: default_data_dir(),
            mnist_images: mnist::MNIST_TEST,
            mnist_model_dir: Some(default_mnist_model_dir()),
            mlp: MlpConfig::default(),
            lenet: LenetConfig::default(),
        }
    }
}

/// Runs the recipe `name`, writing into `out_dir`; `on_event` sees the MLP trainer's progress.
pub fn write_recipe(
    name: &str,
    out_dir: &Path,
    seed: u64,
    options: &RecipeOptions,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<Vec<PathBuf>, DatasetError> {
    match name {
        "svm-scenarios" => write_svm_scenarios(out_dir, seed),
        "breast-cancer" => write_breast_cancer(out_dir, seed, &options.data_dir),
        "mnist" => write_mnist(out_dir, &options.data_dir, options.mnist_images, options.mnist_model_dir.as_deref()),
        "mnist-model" => {
            write_mnist_model(out_dir, seed, &options.data_dir, &options.mlp, on_event).map(|(files, _)| files)
        }
        "lenet-model" => {
            write_lenet_model(out_dir, seed, &options.data_dir, &options.lenet, on_event).map(|(files, _)| files)
        }
        // `--images n`: the number of training examples; all 10 000 test images.
        "mnist-split" => {
            mnist_split::write_mnist_split(out_dir, &options.data_dir, options.mnist_images, mnist::MNIST_TEST)
        }
        _ => Err(DatasetError::UnknownRecipe { name: name.to_string(), known: RECIPES.join(", ") }),
    }
}

/// The repository's root, as known when this crate was built.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The real data sets' folder: `$MPCC_DATA_DIR` if set, else `./data` if it holds `mnist/`, else
/// the `data/` folder of the repository this crate was built from.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MPCC_DATA_DIR") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("data");
    if local.join("mnist").is_dir() {
        return local;
    }
    repo_root().join("data")
}

/// ALICE's committed MNIST weights: `./programs/mnist/alice` if present, else that folder in the
/// repository this crate was built from.
pub fn default_mnist_model_dir() -> PathBuf {
    let local = PathBuf::from("programs/mnist/alice");
    if local.join("w1.npy").is_file() {
        return local;
    }
    repo_root().join("programs/mnist/alice")
}
