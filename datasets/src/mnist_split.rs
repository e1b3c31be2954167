//! The `mnist-split` recipe, for `programs/mnist/train_split.mpc`: MNIST with each image split
//! between the parties by rows. ALICE holds the top 20 rows of every 28×28 image (560 pixels)
//! and the labels; BOB holds the bottom 8 rows (224 pixels).
//!
//! Layout under the output folder: `alice/{train_top,test_top}.npy` `[n, 560]`,
//! `alice/{train_labels,test_labels}.npy` `[n]` (0..=9 as `f64`), and
//! `bob/{train_bottom,test_bottom}.npy` `[n, 224]`; pixels are divided by 255. The examples are
//! the first `n` of each split (no sampling, so no seed). Nothing here runs a program.

use super::error::DatasetError;
use super::folders::write_array;
use super::idx::{load_mnist, MnistSplit};
use ndarray::{s, Array1};
use std::path::{Path, PathBuf};

/// The pixels of the top 20 rows of a 28×28 image.
pub const TOP_PIXELS: usize = 20 * 28;
/// The number of MNIST training images.
pub const MNIST_TRAIN: usize = 60_000;

/// Writes the first `n_train` training and `n_test` test examples, split by rows.
pub fn write_mnist_split(
    out_dir: &Path,
    data_dir: &Path,
    n_train: usize,
    n_test: usize,
) -> Result<Vec<PathBuf>, DatasetError> {
    if n_train == 0 || n_train > MNIST_TRAIN || n_test == 0 || n_test > super::mnist::MNIST_TEST {
        return Err(DatasetError::BadOption {
            message: format!(
                "mnist-split needs 1..={MNIST_TRAIN} training and 1..={} test images, not {n_train} and {n_test}",
                super::mnist::MNIST_TEST
            ),
        });
    }
    let (alice, bob) = (out_dir.join("alice"), out_dir.join("bob"));
    let mut files = Vec::new();
    for (split, n, name) in [(MnistSplit::Train, n_train, "train"), (MnistSplit::Test, n_test, "test")] {
        let data = load_mnist(data_dir, split, Some(n))?;
        let top = data.images.slice(s![.., ..TOP_PIXELS]);
        let bottom = data.images.slice(s![.., TOP_PIXELS..]);
        let labels: Array1<f64> = data.labels.iter().map(|&l| f64::from(l)).collect();
        files.push(write_array(&alice, &format!("{name}_top.npy"), &top)?);
        files.push(write_array(&alice, &format!("{name}_labels.npy"), &labels)?);
        files.push(write_array(&bob, &format!("{name}_bottom.npy"), &bottom)?);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::folders::read_array;
    use ndarray::{Ix1, Ix2};

    #[test]
    fn halves_put_back_together_are_the_images() {
        let dir = std::env::temp_dir().join(format!("mpcc-mnist-split-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let data_dir = crate::default_data_dir();
        let files = write_mnist_split(&dir, &data_dir, 30, 20).expect("written");
        assert_eq!(files.len(), 6);
        let top: ndarray::Array2<f64> = read_array::<Ix2>(&dir.join("alice/train_top.npy")).expect("top");
        let bottom: ndarray::Array2<f64> = read_array::<Ix2>(&dir.join("bob/train_bottom.npy")).expect("bottom");
        let labels = read_array::<Ix1>(&dir.join("alice/test_labels.npy")).expect("labels");
        assert_eq!((top.dim(), bottom.dim(), labels.len()), ((30, 560), (30, 224), 20));
        let whole = load_mnist(&data_dir, MnistSplit::Train, Some(30)).expect("mnist");
        assert_eq!(top, whole.images.slice(s![.., ..560]));
        assert_eq!(bottom, whole.images.slice(s![.., 560..]));
        assert!(write_mnist_split(&dir, &data_dir, 0, 20).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
