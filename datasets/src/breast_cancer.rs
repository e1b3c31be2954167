//! The Wisconsin breast-cancer data (`data/digits/breast_cancer.csv.gz`): a reader, and the
//! documented train/test split with standardization that the `breast-cancer` recipe uses.
//!
//! The split: the 569 rows are shuffled by a ChaCha20 generator seeded with the recipe's seed;
//! the first [`BREAST_CANCER_TRAIN`] (455) rows are the training set, the other 114 the test set.
//! Each feature is standardized with the mean and (population) standard deviation of the training
//! rows only; labels become `2 * label - 1` (malignant = -1, benign = +1). Nothing here writes files.

use super::error::DatasetError;
use super::idx::read_maybe_gz;
use super::svm::SvmData;
use ndarray::{Array1, Array2, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::path::{Path, PathBuf};

/// The number of features per row.
pub const BREAST_CANCER_FEATURES: usize = 30;
/// The number of rows in the training split (the other 114 of 569 are the test split).
pub const BREAST_CANCER_TRAIN: usize = 455;

/// The raw data: `[rows, 30]` unscaled features and labels in {0, 1} (0 = malignant).
#[derive(Debug, Clone)]
pub struct BreastCancer {
    pub features: Array2<f64>,
    pub labels: Vec<f64>,
}

/// The path of the CSV under `data_dir` (the repository's `data/` folder).
pub fn breast_cancer_path(data_dir: &Path) -> PathBuf {
    data_dir.join("digits").join("breast_cancer.csv.gz")
}

/// Reads the CSV (optionally `.gz`): a header row, then 30 numeric features and a 0/1 label.
pub fn read_breast_cancer(path: &Path) -> Result<BreastCancer, DatasetError> {
    let text = read_maybe_gz(path)?;
    parse_breast_cancer(&text, path)
}

/// Parses the CSV bytes; `path` only labels errors.
pub fn parse_breast_cancer(text: &[u8], path: &Path) -> Result<BreastCancer, DatasetError> {
    let csv_error = |line: u64, message: String| DatasetError::Csv { path: path.to_path_buf(), line, message };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text);
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            csv_error(line, e.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != BREAST_CANCER_FEATURES + 1 {
            return Err(csv_error(
                line,
                format!(
                    "expected {} columns (30 features and a label), found {}",
                    BREAST_CANCER_FEATURES + 1,
                    record.len()
                ),
            ));
        }
        for (col, cell) in record.iter().enumerate() {
            let value: f64 = cell
                .trim()
                .parse()
                .map_err(|_| csv_error(line, format!("column {}: `{cell}` is not a number", col + 1)))?;
            if !value.is_finite() {
                return Err(csv_error(line, format!("column {}: `{cell}` is not finite", col + 1)));
            }
            if col == BREAST_CANCER_FEATURES {
                if value != 0.0 && value != 1.0 {
                    return Err(csv_error(line, format!("label `{cell}` is not 0 or 1")));
                }
                labels.push(value);
            } else {
                features.push(value);
            }
        }
    }
    let rows = labels.len();
    let features = Array2::from_shape_vec((rows, BREAST_CANCER_FEATURES), features)
        .map_err(|e| DatasetError::Inconsistent { message: format!("`{}`: {e}", path.display()) })?;
    Ok(BreastCancer { features, labels })
}

/// Splits, standardizes and transposes the data into the SVM layout (`x: [30, n]`, `y: [1, n]`
/// in {-1, +1}), as documented at the top of this module. `train` rows go to the training split.
pub fn breast_cancer_svm(data: &BreastCancer, seed: u64, train: usize) -> Result<SvmData, DatasetError> {
    let rows = data.labels.len();
    if train == 0 || train >= rows {
        return Err(DatasetError::BadOption {
            message: format!("the training split must hold 1..{rows} rows, not {train}"),
        });
    }
    let mut order: Vec<usize> = (0..rows).collect();
    order.shuffle(&mut ChaCha20Rng::seed_from_u64(seed));
    let (train_rows, test_rows) = order.split_at(train);
    let x_train = data.features.select(Axis(0), train_rows);
    let x_test = data.features.select(Axis(0), test_rows);
    let mean = x_train.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(BREAST_CANCER_FEATURES));
    let std = x_train.std_axis(Axis(0), 0.0).mapv(|s| if s > 1e-12 { s } else { 1.0 });
    let standardize = |x: Array2<f64>| ((x - &mean) / &std).reversed_axes();
    let labels = |rows: &[usize]| {
        let y: Vec<f64> = rows.iter().map(|&r| 2.0 * data.labels.get(r).copied().unwrap_or(0.0) - 1.0).collect();
        Array2::from_shape_vec((1, rows.len()), y)
    };
    let shape_error = |e: ndarray::ShapeError| DatasetError::Inconsistent { message: e.to_string() };
    Ok(SvmData {
        x_train: standardize(x_train).as_standard_layout().to_owned(),
        y_train: labels(train_rows).map_err(shape_error)?,
        x_test: standardize(x_test).as_standard_layout().to_owned(),
        y_test: labels(test_rows).map_err(shape_error)?,
    })
}
