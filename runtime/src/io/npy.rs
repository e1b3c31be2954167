//! `.npy` and `.npz` reading (any of f64, f32, i64, i32, i16, i8, u64, u32, u16, u8, bool,
//! converted to `f64`) and `.npy` writing (little-endian f64, C order).
//!
//! Before decoding, the header is pre-scanned so that a file whose header promises more data
//! than it holds is reported as truncated instead of allocating for the promise.
//! Errors are [`NpyError`]s, which do not name the file; [`super`] attaches the file and party.

use crate::plain::Tensor;
use ndarray::ArrayD;
use ndarray_npy::{ReadNpyError, ReadNpyExt, WriteNpyExt};
use std::io::{Read, Seek};
use thiserror::Error;

const MAGIC: &[u8] = b"\x93NUMPY";

/// A failure to read or write an `.npy` file or an `.npz` archive (the file is named by the
/// caller).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum NpyError {
    #[error("not a .npy file (it does not start with the \\x93NUMPY magic string)")]
    NotNpy,
    #[error("truncated: the header is cut off")]
    HeaderCutOff,
    #[error("unsupported .npy format version {0}")]
    UnsupportedVersion(u8),
    #[error("truncated: the header says shape {shape} ({need} bytes of data) but the file holds {have} bytes")]
    Truncated { shape: String, need: usize, have: usize },
    #[error("bad .npy header: the shape overflows")]
    ShapeOverflow,
    #[error("truncated: the file ends before all the data its header describes")]
    DataCutOff,
    #[error("{0} unexpected bytes after the data")]
    ExtraBytes(usize),
    #[error("bad .npy header: {0}")]
    BadHeader(String),
    #[error("bad .npy file: {0}")]
    BadFile(String),
    #[error("unsupported element type {0} (supported: float64, float32, int64/32/16/8, uint64/32/16/8, bool)")]
    UnsupportedType(String),
    #[error("not a valid .npz (zip) archive: {0}")]
    NotZip(String),
    /// No entry named, and the archive holds several.
    #[error("the archive holds {} arrays ({}); name one as `file.npz:{}`", .names.len(), .names.join(", "), .names.first().map_or("entry", String::as_str))]
    WhichEntry { names: Vec<String> },
    #[error("the archive has no array `{name}` (it holds: {})", .names.join(", "))]
    NoEntry { name: String, names: Vec<String> },
    #[error("cannot read `{name}`: {message}")]
    EntryUnreadable { name: String, message: String },
    #[error("cannot read array `{name}`: {message}")]
    EntryCutOff { name: String, message: String },
    #[error("array `{name}`: {source}")]
    InEntry { name: String, source: Box<NpyError> },
    #[error("cannot encode .npy: {0}")]
    Encode(String),
}

/// Decodes a whole `.npy` file held in memory.
pub fn decode_npy(bytes: &[u8]) -> Result<Tensor, NpyError> {
    prescan(bytes)?;
    macro_rules! attempt {
        ($($ty:ty),*) => {
            $(
                match <ArrayD<$ty>>::read_npy(bytes) {
                    Ok(array) => return Ok(array.mapv(to_f64)),
                    Err(ReadNpyError::WrongDescriptor(_)) => {}
                    Err(err) => return Err(describe(err)),
                }
            )*
        };
    }
    attempt!(f64, f32, i64, i32, i16, i8, u64, u32, u16, u8);
    match <ArrayD<bool>>::read_npy(bytes) {
        Ok(array) => Ok(array.mapv(|b| if b { 1.0 } else { 0.0 })),
        Err(ReadNpyError::WrongDescriptor(desc)) => Err(NpyError::UnsupportedType(desc.to_string())),
        Err(err) => Err(describe(err)),
    }
}

fn describe(err: ReadNpyError) -> NpyError {
    match err {
        ReadNpyError::MissingData => NpyError::DataCutOff,
        ReadNpyError::ExtraBytes(n) => NpyError::ExtraBytes(n),
        ReadNpyError::ParseHeader(e) => NpyError::BadHeader(e.to_string()),
        ReadNpyError::Io(e) => NpyError::BadFile(e.to_string()),
        other => NpyError::BadFile(other.to_string()),
    }
}

/// The shape a `.npy` file's header declares, from the file's first bytes (the header alone:
/// the data is not read). `Ok(None)` when `bytes` stops inside the header.
pub fn header_dims(bytes: &[u8]) -> Result<Option<Vec<usize>>, NpyError> {
    if bytes.len() < 10 || !bytes.starts_with(MAGIC) {
        return Err(NpyError::NotNpy);
    }
    let (header_len, header_start) = match bytes {
        [_, _, _, _, _, _, 1, _, l0, l1, ..] => (u16::from_le_bytes([*l0, *l1]) as usize, 10),
        [_, _, _, _, _, _, 2 | 3, _, l0, l1, l2, l3, ..] => (u32::from_le_bytes([*l0, *l1, *l2, *l3]) as usize, 12),
        [_, _, _, _, _, _, major, ..] if !matches!(major, 2 | 3) => return Err(NpyError::UnsupportedVersion(*major)),
        _ => return Ok(None),
    };
    let Some(header) = bytes.get(header_start..header_start + header_len) else {
        return Ok(None);
    };
    let header = String::from_utf8_lossy(header);
    header_shape(&header).map(Some).ok_or_else(|| NpyError::BadHeader("no shape".to_string()))
}

/// Checks the magic string, the header length and that the data is as long as the header's
/// shape and item size say (when they can be read; otherwise the decoder reports it).
fn prescan(bytes: &[u8]) -> Result<(), NpyError> {
    if bytes.len() < 10 || !bytes.starts_with(MAGIC) {
        return Err(NpyError::NotNpy);
    }
    // Magic (6 bytes), major and minor version, then the header length (2 or 4 bytes).
    let (header_len, header_start) = match bytes {
        [_, _, _, _, _, _, 1, _, l0, l1, ..] => (u16::from_le_bytes([*l0, *l1]) as usize, 10),
        [_, _, _, _, _, _, 2 | 3, _, l0, l1, l2, l3, ..] => (u32::from_le_bytes([*l0, *l1, *l2, *l3]) as usize, 12),
        [_, _, _, _, _, _, 2 | 3, ..] => return Err(NpyError::HeaderCutOff),
        [_, _, _, _, _, _, major, ..] => return Err(NpyError::UnsupportedVersion(*major)),
        _ => return Err(NpyError::HeaderCutOff),
    };
    let data_start = header_start + header_len;
    let Some(header) = bytes.get(header_start..data_start) else {
        return Err(NpyError::HeaderCutOff);
    };
    let header = String::from_utf8_lossy(header);
    let (Some(dims), Some(item)) = (header_shape(&header), header_item_size(&header)) else {
        return Ok(());
    };
    let need = dims.iter().try_fold(item, |acc, &d| acc.checked_mul(d));
    let have = bytes.len() - data_start;
    match need {
        Some(need) if need <= have => Ok(()),
        Some(need) => Err(NpyError::Truncated { shape: crate::error::dims_text(&dims), need, have }),
        None => Err(NpyError::ShapeOverflow),
    }
}

/// The tuple after `'shape':` in a header dict, e.g. `(2, 3)`.
fn header_shape(header: &str) -> Option<Vec<usize>> {
    let after = &header[header.find("'shape'")? + 7..];
    let open = after.find('(')?;
    let close = after.find(')')?;
    let inner = after.get(open + 1..close)?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('L').parse::<usize>().ok())
        .collect()
}

/// The item size from a descriptor like `'<f8'` or `'|b1'`.
fn header_item_size(header: &str) -> Option<usize> {
    let after = &header[header.find("'descr'")? + 7..];
    let start = after.find('\'')? + 1;
    let rest = after.get(start..)?;
    let desc = rest.get(..rest.find('\'')?)?;
    let digits: String = desc.chars().skip_while(|c| !c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// Lossless-enough conversion of every supported element type to `f64`.
trait ToF64: Copy {
    fn to_f64(self) -> f64;
}
macro_rules! to_f64_as {
    ($($ty:ty),*) => { $(impl ToF64 for $ty { fn to_f64(self) -> f64 { self as f64 } })* };
}
to_f64_as!(f64, f32, i64, i32, i16, i8, u64, u32, u16, u8);

fn to_f64<T: ToF64>(v: T) -> f64 {
    v.to_f64()
}

/// The names of the arrays in an `.npz` archive (a trailing `.npy` stripped, as NumPy does).
pub fn npz_names<R: Read + Seek>(archive: &mut zip::ZipArchive<R>) -> Vec<String> {
    archive.file_names().map(|n| n.strip_suffix(".npy").unwrap_or(n).to_string()).collect()
}

/// Opens an `.npz` (zip) archive.
pub fn open_npz<R: Read + Seek>(reader: R) -> Result<zip::ZipArchive<R>, NpyError> {
    zip::ZipArchive::new(reader).map_err(|e| NpyError::NotZip(e.to_string()))
}

/// Reads one entry of an `.npz` archive: `entry`, or the only entry when `None`.
pub fn read_npz_entry<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    entry: Option<&str>,
) -> Result<Tensor, NpyError> {
    let mut names = npz_names(archive);
    names.sort();
    let name = match entry {
        Some(name) => name.to_string(),
        None if names.len() == 1 => names.first().cloned().unwrap_or_default(),
        None => return Err(NpyError::WhichEntry { names }),
    };
    if !names.contains(&name) {
        return Err(NpyError::NoEntry { name, names });
    }
    let with_suffix = format!("{name}.npy");
    let raw_name = if archive.file_names().any(|n| n == with_suffix) { with_suffix } else { name.clone() };
    let mut file = archive
        .by_name(&raw_name)
        .map_err(|e| NpyError::EntryUnreadable { name: name.clone(), message: e.to_string() })?;
    let limit = file.size();
    let mut bytes = Vec::with_capacity(limit.min(1 << 30) as usize);
    file.read_to_end(&mut bytes).map_err(|e| NpyError::EntryCutOff { name: name.clone(), message: e.to_string() })?;
    decode_npy(&bytes).map_err(|e| NpyError::InEntry { name, source: Box::new(e) })
}

/// Encodes a tensor as `.npy` bytes (f64 tensors as little-endian float64, C order).
pub fn encode_npy<T: ndarray_npy::WritableElement + Clone>(value: &ArrayD<T>) -> Result<Vec<u8>, NpyError> {
    let mut out = Vec::new();
    value.as_standard_layout().write_npy(&mut out).map_err(|e| NpyError::Encode(e.to_string()))?;
    Ok(out)
}
