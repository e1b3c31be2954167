//! Data files: loading `.npy`, `.npz` entries (`file.npz:entry`), `.csv`, ONNX initializers
//! (`model.onnx:fc1.weight`) and safetensors entries (`w.safetensors:fc1.weight`, both read by
//! `mpcc_import`) into `f64` tensors, and saving `.npy` / `.csv`, for the engines' `load`, `save`
//! and `output(…, path)`.
//!
//! Paths are relative to a party's data folder and must stay inside it: an absolute path or one
//! with a `..` component is rejected (a program, agreed on by all parties, must not read or
//! write files elsewhere on a party's machine). The format comes from the extension.
//!
//! Every failure is a [`RunError`] naming the file (the resolved path): missing, malformed
//! (with the reason: truncated data, bad header, the CSV row and column of a bad cell),
//! NaN/infinite values (with the position of the first), or a shape other than the program
//! needs ([`check_shape`]). [`load_checked`] adds the party and the expected shape.
//! Nothing here panics on a bad file.

pub mod csv;
pub mod npy;

use crate::error::{dims_text, ErrorKind, RunError};
use crate::plain::Tensor;
use mpcc_ir::{Dim, Shape};
use std::path::{Component, Path, PathBuf};

/// The on-disk format of a data file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    Npy,
    /// An `.npz` archive and the entry named after `:` (`None`: the archive's only entry).
    Npz {
        entry: Option<String>,
    },
    Csv,
    /// An ONNX model's initializer, by name.
    Onnx {
        entry: String,
    },
    /// A safetensors file's entry, by name.
    Safetensors {
        entry: String,
    },
}

/// The formats that hold named entries (`file.EXT:name`).
const ARCHIVES: &[&str] = &[".npz", ".onnx", ".safetensors"];

/// Splits `file.npz:entry`, checks that `path` stays inside `dir`, and finds the format.
pub fn resolve(dir: &Path, path: &str) -> Result<(PathBuf, Format), RunError> {
    // The first `:` after an archive's extension: entry names may hold `:` (`onnx::Conv_12`).
    let split = path.match_indices(':').map(|(i, _)| i).find(|&i| {
        let file = path.get(..i).unwrap_or("").to_ascii_lowercase();
        ARCHIVES.iter().any(|ext| file.ends_with(ext))
    });
    let (file, entry) = match split {
        Some(i) => (path.get(..i).unwrap_or(path), path.get(i + 1..).map(str::to_string)),
        None => (path, None),
    };
    let rel = Path::new(file);
    let escapes = rel.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    if file.is_empty() || escapes {
        return Err(RunError::new(
            ErrorKind::Config,
            format!("the path `{path}` must be relative to the party's data folder and stay inside it (no `..`, no absolute path)"),
        )
        .with_file(rel));
    }
    let full = dir.join(rel);
    let ext = rel.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    let format = match ext.as_str() {
        "npy" => Format::Npy,
        "npz" => Format::Npz { entry: entry.filter(|e| !e.is_empty()) },
        "csv" => Format::Csv,
        "onnx" | "safetensors" => {
            let Some(entry) = entry.filter(|e| !e.is_empty()) else {
                return Err(RunError::new(
                    ErrorKind::Config,
                    format!("name the tensor to read: `{file}:NAME` (e.g. `{file}:fc1.weight`)"),
                )
                .with_file(&full));
            };
            if ext == "onnx" {
                Format::Onnx { entry }
            } else {
                Format::Safetensors { entry }
            }
        }
        _ => {
            return Err(RunError::new(
                ErrorKind::Config,
                "unknown data format: the file name must end in .npy, .npz, .csv, .onnx or .safetensors",
            )
            .with_file(&full))
        }
    };
    Ok((full, format))
}

/// Loads a data file from `dir` (see the module doc), checking that every value is finite.
pub fn load(dir: &Path, path: &str) -> Result<Tensor, RunError> {
    let (file, format) = resolve(dir, path)?;
    let read = || {
        std::fs::read(&file)
            .map_err(|e| RunError::new(ErrorKind::MissingFile, format!("cannot read the file: {e}")).with_file(&file))
    };
    let malformed = |e: npy::NpyError| RunError::new(ErrorKind::MalformedFile, e.to_string()).with_file(&file);
    let value = match format {
        Format::Npy => npy::decode_npy(&read()?).map_err(malformed)?,
        Format::Csv => csv::decode_csv(&read()?).map_err(|e| e.with_file(&file))?,
        Format::Npz { entry } => {
            let bytes = read()?;
            let mut archive = npy::open_npz(std::io::Cursor::new(bytes)).map_err(malformed)?;
            npy::read_npz_entry(&mut archive, entry.as_deref()).map_err(malformed)?
        }
        Format::Onnx { entry } => mpcc_import::read_onnx_initializer(&read()?, &entry)
            .map_err(|e| RunError::new(ErrorKind::MalformedFile, e.to_string()).with_file(&file))?,
        Format::Safetensors { entry } => mpcc_import::read_safetensors_entry(&read()?, &entry)
            .map_err(|e| RunError::new(ErrorKind::MalformedFile, e.to_string()).with_file(&file))?,
    };
    check_finite(&value).map_err(|e| e.with_file(&file))?;
    Ok(value)
}

/// The shape of a data file's tensor without reading its data where the format allows: the
/// header of a `.npy` file or `.npz` entry; a `.csv` or model file is parsed whole. For the cost
/// model (`crate::cost`), which needs the shapes of private inputs but not their values.
pub fn load_shape(dir: &Path, path: &str) -> Result<Vec<usize>, RunError> {
    let (file, format) = resolve(dir, path)?;
    let malformed = |msg: String| RunError::new(ErrorKind::MalformedFile, msg).with_file(&file);
    let missing = |e: std::io::Error| {
        RunError::new(ErrorKind::MissingFile, format!("cannot read the file: {e}")).with_file(&file)
    };
    // Reads growing prefixes of a reader until the header is complete.
    let from_reader = |reader: &mut dyn std::io::Read| -> Result<Vec<usize>, RunError> {
        let mut bytes = Vec::new();
        let mut want = 1024u64;
        loop {
            let before = bytes.len();
            std::io::Read::read_to_end(&mut std::io::Read::take(&mut *reader, want), &mut bytes)
                .map_err(|e| malformed(format!("cannot read: {e}")))?;
            if let Some(dims) = npy::header_dims(&bytes).map_err(|e| malformed(e.to_string()))? {
                return Ok(dims);
            }
            if bytes.len() == before {
                return Err(malformed("truncated: the header is cut off".into()));
            }
            want *= 4;
        }
    };
    match format {
        Format::Npy => {
            let mut f = std::fs::File::open(&file).map_err(missing)?;
            from_reader(&mut f)
        }
        Format::Npz { entry } => {
            let f = std::fs::File::open(&file).map_err(missing)?;
            let mut archive = npy::open_npz(std::io::BufReader::new(f)).map_err(|e| malformed(e.to_string()))?;
            let names = npy::npz_names(&mut archive);
            let name = match entry {
                Some(name) => name,
                None if names.len() == 1 => names.first().cloned().unwrap_or_default(),
                None => return load(dir, path).map(|t| t.shape().to_vec()),
            };
            let with_suffix = format!("{name}.npy");
            let raw = if archive.file_names().any(|n| n == with_suffix) { with_suffix } else { name.clone() };
            let Ok(mut entry) = archive.by_name(&raw) else {
                return load(dir, path).map(|t| t.shape().to_vec());
            };
            from_reader(&mut entry)
        }
        Format::Csv | Format::Onnx { .. } | Format::Safetensors { .. } => load(dir, path).map(|t| t.shape().to_vec()),
    }
}

/// [`load`], then [`check_shape`] against what the program needs; errors name `party` and,
/// when the program knows anything of the shape, the expected shape.
pub fn load_checked(dir: &Path, path: &str, party: &str, expected: &Shape) -> Result<Tensor, RunError> {
    let with_context = |e: RunError| {
        let e = e.with_party(party);
        match expected {
            Shape::Unknown => e,
            shape => e.with_expected_shape(mpcc_ir::shape_text(shape)),
        }
    };
    let value = load(dir, path).map_err(with_context)?;
    check_shape(&value, expected).map_err(|e| {
        let file = resolve(dir, path).map(|(f, _)| f).unwrap_or_else(|_| dir.join(path));
        with_context(e.with_file(&file))
    })?;
    Ok(value)
}

/// Fails with a NonFinite error at the first NaN or infinite element (its multi-index).
pub fn check_finite(value: &Tensor) -> Result<(), RunError> {
    let Some(flat) = value.iter().position(|v| !v.is_finite()) else {
        return Ok(());
    };
    let count = value.iter().filter(|v| !v.is_finite()).count();
    let mut index = vec![0usize; value.ndim()];
    let mut rest = flat;
    for (slot, &d) in index.iter_mut().zip(value.shape()).rev() {
        *slot = rest % d.max(1);
        rest /= d.max(1);
    }
    let first = value.iter().nth(flat).copied().unwrap_or(f64::NAN);
    Err(RunError::new(
        ErrorKind::NonFinite,
        format!(
            "the data holds {count} NaN or infinite value{} (first: {} at index {})",
            if count == 1 { "" } else { "s" },
            crate::format::format_number(first),
            dims_text(&index)
        ),
    ))
}

/// Checks a loaded value against the shape the program needs (rank, and every known dimension).
pub fn check_shape(value: &Tensor, expected: &Shape) -> Result<(), RunError> {
    let Shape::Ranked(dims) = expected else {
        return Ok(());
    };
    let fits = value.ndim() == dims.len()
        && dims.iter().zip(value.shape()).all(|(d, &n)| match d {
            Dim::Known(k) => *k == n,
            Dim::Unknown => true,
        });
    if fits {
        return Ok(());
    }
    Err(RunError::new(
        ErrorKind::ShapeMismatch,
        format!("the file holds a tensor of shape {}", dims_text(value.shape())),
    )
    .with_expected_shape(mpcc_ir::shape_text(expected)))
}

/// Saves `value` to `path` inside `dir` as `.npy` or `.csv` (creating folders inside `dir`);
/// returns the file written.
pub fn save(dir: &Path, path: &str, value: &Tensor) -> Result<PathBuf, RunError> {
    let (file, format) = resolve(dir, path)?;
    let bytes = match format {
        Format::Npy => {
            npy::encode_npy(value).map_err(|e| RunError::new(ErrorKind::Io, e.to_string()).with_file(&file))?
        }
        Format::Csv => csv::encode_csv(value).map_err(|e| e.with_file(&file))?.into_bytes(),
        Format::Npz { .. } | Format::Onnx { .. } | Format::Safetensors { .. } => {
            return Err(RunError::new(
                ErrorKind::Config,
                "saving .npz, .onnx or .safetensors is not supported (use .npy or .csv)",
            )
            .with_file(&file))
        }
    };
    write_file(&file, &bytes)?;
    Ok(file)
}

/// Writes bytes to a file, creating its parent folders.
pub fn write_file(file: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let io_err =
        |e: std::io::Error| RunError::new(ErrorKind::Io, format!("cannot write the file: {e}")).with_file(file);
    if let Some(parent) = file.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(io_err)?;
        }
    }
    std::fs::write(file, bytes).map_err(io_err)
}

#[cfg(test)]
mod tests;
