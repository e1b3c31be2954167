//! [`DatasetError`]: every way reading a real data set or writing a party's folder can fail.
//!
//! Each variant names the file involved, so a user can tell which download or folder is at fault.
//! Nothing here reads or writes; the readers and writers build these values.

use std::path::PathBuf;
use thiserror::Error;

/// A failure of a data-set reader, a recipe, or a per-party folder writer.
#[derive(Debug, Error)]
pub enum DatasetError {
    /// A file could not be opened, read or created.
    #[error("cannot access `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `.gz` file is not valid gzip (or is cut short).
    #[error("`{path}` is not a valid gzip file: {source}")]
    Gzip {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An IDX buffer (MNIST's format) is malformed.
    #[error("`{path}`: {source}")]
    Idx {
        path: PathBuf,
        #[source]
        source: IdxError,
    },
    /// A CSV file is malformed: a short row, a non-numeric cell, a label outside {0, 1}.
    #[error("`{path}` line {line}: {message}")]
    Csv { path: PathBuf, line: u64, message: String },
    /// Two files that must agree do not (e.g. 60 000 images but 59 999 labels).
    #[error("{message}")]
    Inconsistent { message: String },
    /// Writing a `.npy` file failed.
    #[error("cannot write `{path}`: {message}")]
    Npy { path: PathBuf, message: String },
    /// Reading a `.npy` file failed.
    #[error("cannot read `{path}`: {message}")]
    NpyRead { path: PathBuf, message: String },
    /// A recipe name that does not exist.
    #[error("unknown data recipe `{name}` (known: {known})")]
    UnknownRecipe { name: String, known: String },
    /// A recipe option out of range (e.g. more MNIST test images than there are).
    #[error("{message}")]
    BadOption { message: String },
    /// A trainer's computation failed (a shape that does not fit the model).
    #[error("training failed: {message}")]
    Train { message: String },
}

/// What is wrong inside an IDX buffer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdxError {
    /// The first two bytes must be zero; the found 4-byte magic is shown.
    #[error("bad IDX magic number 0x{found:08x} (the first two bytes must be 0)")]
    BadMagic { found: u32 },
    /// Only unsigned bytes (type code 0x08) are supported; MNIST uses nothing else.
    #[error("unsupported IDX element type 0x{code:02x} (only 0x08, unsigned byte, is supported)")]
    UnsupportedType { code: u8 },
    /// The magic number is valid but says a different number of dimensions than the caller needs.
    #[error("expected an IDX file with {expected} dimension(s), found {found}")]
    WrongRank { expected: usize, found: usize },
    /// The buffer ends before the header or the data does.
    #[error("truncated IDX data: needs {expected} bytes, has {found}")]
    Truncated { expected: usize, found: usize },
    /// Bytes after the data (a corrupted or concatenated file).
    #[error("IDX data has {extra} unexpected trailing byte(s)")]
    TrailingBytes { extra: usize },
    /// The dimensions' product does not fit in memory addresses.
    #[error("IDX dimensions {dims:?} are too large")]
    TooLarge { dims: Vec<u32> },
}
