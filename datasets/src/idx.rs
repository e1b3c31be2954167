//! The IDX format (MNIST's): a parser for in-memory buffers and a reader of `.gz` IDX files,
//! plus [`load_mnist`], which returns one MNIST split as `f64` images scaled to [0, 1].
//!
//! Format: a 4-byte magic `00 00 <type> <ndims>`, then `ndims` big-endian `u32` sizes, then the
//! elements in row-major order. Only unsigned bytes (type `0x08`) are supported. Malformed input
//! is an [`IdxError`], never a panic. Nothing here writes files.

use super::error::{DatasetError, IdxError};
use flate2::read::GzDecoder;
use ndarray::Array2;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The IDX element type code of unsigned bytes.
pub const IDX_UBYTE: u8 = 0x08;

/// A parsed IDX tensor of unsigned bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The sizes, outermost first (MNIST images: `[count, 28, 28]`).
    pub dims: Vec<u32>,
    /// The elements, row-major; `data.len()` is the product of `dims`.
    pub data: Vec<u8>,
}

fn read_u32(buf: &[u8], at: usize) -> Result<u32, IdxError> {
    let bytes = buf.get(at..at + 4).ok_or(IdxError::Truncated { expected: at + 4, found: buf.len() })?;
    let mut word = [0u8; 4];
    word.copy_from_slice(bytes);
    Ok(u32::from_be_bytes(word))
}

/// Parses an IDX buffer holding unsigned bytes.
pub fn parse_idx(buf: &[u8]) -> Result<IdxArray, IdxError> {
    let magic = read_u32(buf, 0)?;
    let [zero0, zero1, code, ndims] = magic.to_be_bytes();
    if zero0 != 0 || zero1 != 0 {
        return Err(IdxError::BadMagic { found: magic });
    }
    if code != IDX_UBYTE {
        return Err(IdxError::UnsupportedType { code });
    }
    let ndims = usize::from(ndims);
    let mut dims = Vec::with_capacity(ndims);
    for i in 0..ndims {
        dims.push(read_u32(buf, 4 + 4 * i)?);
    }
    let header = 4 + 4 * ndims;
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize))
        .and_then(|n| n.checked_add(header))
        .ok_or_else(|| IdxError::TooLarge { dims: dims.clone() })?;
    if buf.len() < count {
        return Err(IdxError::Truncated { expected: count, found: buf.len() });
    }
    if buf.len() > count {
        return Err(IdxError::TrailingBytes { extra: buf.len() - count });
    }
    let data = buf.get(header..).ok_or(IdxError::Truncated { expected: count, found: buf.len() })?.to_vec();
    Ok(IdxArray { dims, data })
}

/// Reads a whole file, gunzipping it when its name ends in `.gz`.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DatasetError> {
    let raw = std::fs::read(path).map_err(|source| DatasetError::Io { path: path.to_path_buf(), source })?;
    if path.extension().is_some_and(|ext| ext == "gz") {
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|source| DatasetError::Gzip { path: path.to_path_buf(), source })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Reads an IDX file (optionally `.gz`) and checks its rank.
pub fn read_idx(path: &Path, rank: usize) -> Result<IdxArray, DatasetError> {
    let wrap = |source| DatasetError::Idx { path: path.to_path_buf(), source };
    let array = parse_idx(&read_maybe_gz(path)?).map_err(wrap)?;
    if array.dims.len() != rank {
        return Err(wrap(IdxError::WrongRank { expected: rank, found: array.dims.len() }));
    }
    Ok(array)
}

/// Which MNIST split to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MnistSplit {
    /// The 60 000 training images (`train-*`).
    Train,
    /// The 10 000 test images (`t10k-*`).
    Test,
}

impl MnistSplit {
    fn prefix(self) -> &'static str {
        match self {
            MnistSplit::Train => "train",
            MnistSplit::Test => "t10k",
        }
    }
}

/// One MNIST split: images flattened to 784 pixels scaled to [0, 1], and labels 0..=9.
#[derive(Debug, Clone)]
pub struct Mnist {
    /// `[count, 784]`, row-major pixels divided by 255.
    pub images: Array2<f64>,
    /// `count` labels.
    pub labels: Vec<u8>,
}

/// The path of one MNIST file under `data_dir` (the repository's `data/` folder).
pub fn mnist_path(data_dir: &Path, split: MnistSplit, images: bool) -> PathBuf {
    let kind = if images { "images-idx3" } else { "labels-idx1" };
    data_dir.join("mnist").join(format!("{}-{kind}-ubyte.gz", split.prefix()))
}

/// Loads one MNIST split from `data_dir/mnist/`, keeping the first `limit` examples if given.
pub fn load_mnist(data_dir: &Path, split: MnistSplit, limit: Option<usize>) -> Result<Mnist, DatasetError> {
    let images_path = mnist_path(data_dir, split, true);
    let labels_path = mnist_path(data_dir, split, false);
    let images = read_idx(&images_path, 3)?;
    let labels = read_idx(&labels_path, 1)?;
    let &[count, rows, cols] = images.dims.as_slice() else {
        return Err(DatasetError::Idx {
            path: images_path,
            source: IdxError::WrongRank { expected: 3, found: images.dims.len() },
        });
    };
    let (count, rows, cols) = (count as usize, rows as usize, cols as usize);
    if labels.data.len() != count {
        return Err(DatasetError::Inconsistent {
            message: format!(
                "`{}` has {count} images but `{}` has {} labels",
                images_path.display(),
                labels_path.display(),
                labels.data.len()
            ),
        });
    }
    if let Some(bad) = labels.data.iter().find(|&&l| l > 9) {
        return Err(DatasetError::Inconsistent {
            message: format!("`{}` holds label {bad}, outside 0..=9", labels_path.display()),
        });
    }
    let keep = limit.map_or(count, |n| n.min(count));
    let pixels = rows * cols;
    let short = |path: &Path| DatasetError::Inconsistent {
        message: format!("`{}` holds fewer than {keep} entries", path.display()),
    };
    let kept_images = images.data.get(..keep * pixels).ok_or_else(|| short(&images_path))?;
    let kept_labels = labels.data.get(..keep).ok_or_else(|| short(&labels_path))?.to_vec();
    let scaled: Vec<f64> = kept_images.iter().map(|&p| f64::from(p) / 255.0).collect();
    let images = Array2::from_shape_vec((keep, pixels), scaled)
        .map_err(|e| DatasetError::Inconsistent { message: format!("`{}`: {e}", images_path.display()) })?;
    Ok(Mnist { images, labels: kept_labels })
}
