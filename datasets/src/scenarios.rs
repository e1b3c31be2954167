//! The four data-sharing scenarios of CrypTen's SVM tutorial, written as one folder per party per
//! scenario, and the `svm-scenarios` and `breast-cancer` recipes that fill them.
//!
//! Layout under the recipe's output folder (`x` is `[d, n]`, labels `[1, n]` in {-1, +1}):
//!
//! | scenario | `alice/` | `bob/` |
//! |---|---|---|
//! | `data_labeling` | `features.npy` `[d, n]` | `labels.npy` `[1, n]` |
//! | `feature_aggregation` | `features.npy` `[d/2, n]` (the first rows) | `features.npy` `[d - d/2, n]` (the last rows), `labels.npy` |
//! | `data_augmentation` | `features.npy` `[d, n/2]`, `labels.npy` `[1, n/2]` (the first examples) | the other `n - n/2` examples and labels |
//! | `model_hiding` | `w.npy` `[1, d]`, `b.npy` `[1]` (trained in plaintext) | `test_x.npy`, `test_y.npy` (private to BOB) |
//!
//! In the three training scenarios both folders also hold the public test set `test_x.npy`
//! `[d, n_test]` and `test_y.npy` `[1, n_test]`, since `public(load(…))` reads each party's own copy.
//! Nothing here runs a program.

use super::breast_cancer::{breast_cancer_path, breast_cancer_svm, read_breast_cancer, BREAST_CANCER_TRAIN};
use super::error::DatasetError;
use super::folders::write_array;
use super::svm::{synthetic_svm, train_svm, SvmData, SvmModel, SYNTHETIC_FEATURES, SYNTHETIC_TEST, SYNTHETIC_TRAIN};
use ndarray::{s, Axis};
use std::path::{Path, PathBuf};

/// Epochs and learning rate of ALICE's model in `model_hiding` (`programs/svm.mpc`'s defaults).
pub const MODEL_EPOCHS: usize = 50;
pub const MODEL_LR: f64 = 0.5;

/// One of the four data-sharing scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    DataLabeling,
    FeatureAggregation,
    DataAugmentation,
    ModelHiding,
}

impl Scenario {
    pub const ALL: [Scenario; 4] =
        [Scenario::DataLabeling, Scenario::FeatureAggregation, Scenario::DataAugmentation, Scenario::ModelHiding];

    /// The folder and program name (`data_labeling`, …).
    pub fn name(self) -> &'static str {
        match self {
            Scenario::DataLabeling => "data_labeling",
            Scenario::FeatureAggregation => "feature_aggregation",
            Scenario::DataAugmentation => "data_augmentation",
            Scenario::ModelHiding => "model_hiding",
        }
    }
}

/// Writes one scenario's two party folders under `out_dir/<scenario>/{alice,bob}`.
pub fn write_scenario(
    out_dir: &Path,
    scenario: Scenario,
    data: &SvmData,
    model: &SvmModel,
) -> Result<Vec<PathBuf>, DatasetError> {
    let dir = out_dir.join(scenario.name());
    let (alice, bob) = (dir.join("alice"), dir.join("bob"));
    let d = data.x_train.len_of(Axis(0));
    let n = data.x_train.len_of(Axis(1));
    let mut files = Vec::new();
    match scenario {
        Scenario::DataLabeling => {
            files.push(write_array(&alice, "features.npy", &data.x_train)?);
            files.push(write_array(&bob, "labels.npy", &data.y_train)?);
        }
        Scenario::FeatureAggregation => {
            let half = d / 2;
            files.push(write_array(&alice, "features.npy", &data.x_train.slice(s![..half, ..]))?);
            files.push(write_array(&bob, "features.npy", &data.x_train.slice(s![half.., ..]))?);
            files.push(write_array(&bob, "labels.npy", &data.y_train)?);
        }
        Scenario::DataAugmentation => {
            let half = n / 2;
            files.push(write_array(&alice, "features.npy", &data.x_train.slice(s![.., ..half]))?);
            files.push(write_array(&alice, "labels.npy", &data.y_train.slice(s![.., ..half]))?);
            files.push(write_array(&bob, "features.npy", &data.x_train.slice(s![.., half..]))?);
            files.push(write_array(&bob, "labels.npy", &data.y_train.slice(s![.., half..]))?);
        }
        Scenario::ModelHiding => {
            files.push(write_array(&alice, "w.npy", &model.w)?);
            files.push(write_array(&alice, "b.npy", &model.b)?);
            files.push(write_array(&bob, "test_x.npy", &data.x_test)?);
            files.push(write_array(&bob, "test_y.npy", &data.y_test)?);
            return Ok(files);
        }
    }
    for party in [&alice, &bob] {
        files.push(write_array(party, "test_x.npy", &data.x_test)?);
        files.push(write_array(party, "test_y.npy", &data.y_test)?);
    }
    Ok(files)
}

/// Writes all four scenarios for `data`; ALICE's model-hiding model is trained here in plaintext
/// ([`MODEL_EPOCHS`] epochs, rate [`MODEL_LR`], initial `w` seeded with `seed`).
pub fn write_all_scenarios(out_dir: &Path, data: &SvmData, seed: u64) -> Result<Vec<PathBuf>, DatasetError> {
    let model = train_svm(&data.x_train, &data.y_train, MODEL_EPOCHS, MODEL_LR, seed);
    let mut files = Vec::new();
    for scenario in Scenario::ALL {
        files.extend(write_scenario(out_dir, scenario, data, &model)?);
    }
    Ok(files)
}

/// The `svm-scenarios` recipe: CrypTen's synthetic set (100 features, 1000 training and 100 test
/// examples) in the four scenarios.
pub fn write_svm_scenarios(out_dir: &Path, seed: u64) -> Result<Vec<PathBuf>, DatasetError> {
    let data = synthetic_svm(seed, SYNTHETIC_FEATURES, SYNTHETIC_TRAIN, SYNTHETIC_TEST);
    write_all_scenarios(out_dir, &data, seed)
}

/// The `breast-cancer` recipe: the real Wisconsin data (30 features), split 455 / 114 and
/// standardized as [`super::breast_cancer`] documents, in the four scenarios.
pub fn write_breast_cancer(out_dir: &Path, seed: u64, data_dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let raw = read_breast_cancer(&breast_cancer_path(data_dir))?;
    let data = breast_cancer_svm(&raw, seed, BREAST_CANCER_TRAIN)?;
    write_all_scenarios(out_dir, &data, seed)
}
