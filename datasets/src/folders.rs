//! Writing and reading the `.npy` files of per-party data folders (`<out>/<scenario>/alice/…`).
//!
//! Every array is written as little-endian `f64` in C order, the layout every `load` accepts.
//! Nothing here decides what goes into a folder; the recipes do.

use super::error::DatasetError;
use ndarray::{Array, ArrayBase, Data, Dimension};
use ndarray_npy::{read_npy, write_npy};
use std::path::{Path, PathBuf};

/// Creates `dir` (and its parents) if missing.
pub fn create_dir(dir: &Path) -> Result<(), DatasetError> {
    std::fs::create_dir_all(dir).map_err(|source| DatasetError::Io { path: dir.to_path_buf(), source })
}

/// Writes `array` as `dir/name` (`f64`, C order), creating `dir`; returns the file's path.
pub fn write_array<S, D>(dir: &Path, name: &str, array: &ArrayBase<S, D>) -> Result<PathBuf, DatasetError>
where
    S: Data<Elem = f64>,
    D: Dimension,
{
    create_dir(dir)?;
    let path = dir.join(name);
    let standard = array.as_standard_layout();
    write_npy(&path, &standard).map_err(|e| DatasetError::Npy { path: path.clone(), message: e.to_string() })?;
    Ok(path)
}

/// Reads an `f64` `.npy` file of a known rank.
pub fn read_array<D: Dimension>(path: &Path) -> Result<Array<f64, D>, DatasetError> {
    read_npy(path).map_err(|e| DatasetError::NpyRead { path: path.to_path_buf(), message: e.to_string() })
}

/// Copies `from` to `to`, creating `to`'s folder.
pub fn copy_file(from: &Path, to: &Path) -> Result<PathBuf, DatasetError> {
    if let Some(parent) = to.parent() {
        create_dir(parent)?;
    }
    std::fs::copy(from, to).map_err(|source| DatasetError::Io { path: from.to_path_buf(), source })?;
    Ok(to.to_path_buf())
}
