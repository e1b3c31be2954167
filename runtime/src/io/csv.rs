//! `.csv` reading and writing.
//!
//! Reading: comma-separated numbers, cells trimmed, blank lines and a UTF-8 BOM skipped. The first row is a
//! header (and skipped) when *none* of its cells is a number; a first row with some numbers and
//! some text is a malformed-data error, so a typo is not mistaken for a header. Every row must
//! have the same number of cells. The result is always 2-D `[rows, columns]` (a single column
//! gives `[n, 1]`; `reshape` or `flatten` it in the program if needed). A NaN or infinite cell
//! is an error naming its row and column (1-based, counting the file's lines).
//!
//! Writing: a scalar is one cell, a 1-D tensor one column (it loads back as `[n, 1]`), a 2-D
//! tensor one line per row; numbers are written in Rust's shortest round-trip form, so a saved
//! file loads back bit-exactly. Higher ranks are an error (save them as `.npy`).

use crate::error::{dims_text, ErrorKind, RunError};
use crate::plain::Tensor;
use ndarray::IxDyn;

fn parse_cell(cell: &str) -> Option<f64> {
    cell.parse::<f64>().ok()
}

/// Decodes CSV text into a `[rows, columns]` tensor.
pub fn decode_csv(bytes: &[u8]) -> Result<Tensor, RunError> {
    let malformed = |msg: String| RunError::new(ErrorKind::MalformedFile, msg);
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader =
        ::csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(::csv::Trim::All).from_reader(bytes);
    let mut data: Vec<f64> = Vec::new();
    let mut columns: Option<usize> = None;
    let mut rows = 0usize;
    for (k, record) in reader.records().enumerate() {
        let record = record.map_err(|e| malformed(format!("not valid CSV: {e}")))?;
        let line = record.position().map_or(k as u64 + 1, |p| p.line());
        if k == 0 && record.iter().all(|c| parse_cell(c).is_none()) {
            continue;
        }
        let width = record.len();
        match columns {
            None => columns = Some(width),
            Some(c) if c != width => {
                return Err(malformed(format!("row {line} has {width} cells but earlier rows have {c}")))
            }
            Some(_) => {}
        }
        for (j, cell) in record.iter().enumerate() {
            let Some(v) = parse_cell(cell) else {
                return Err(malformed(format!("row {line}, column {}: `{cell}` is not a number", j + 1)));
            };
            if !v.is_finite() {
                return Err(RunError::new(
                    ErrorKind::NonFinite,
                    format!("row {line}, column {}: `{cell}` is not a finite number", j + 1),
                ));
            }
            data.push(v);
        }
        rows += 1;
    }
    let Some(cols) = columns else {
        return Err(malformed("the file holds no rows of numbers".to_string()));
    };
    Tensor::from_shape_vec(IxDyn(&[rows, cols]), data).map_err(|e| malformed(format!("inconsistent rows: {e}")))
}

/// Encodes a tensor of rank ≤ 2 as CSV text.
pub fn encode_csv(value: &Tensor) -> Result<String, RunError> {
    let cell = |v: &f64| format!("{v}");
    let mut out = String::new();
    match value.ndim() {
        0 | 1 => {
            for v in value.iter() {
                out.push_str(&cell(v));
                out.push('\n');
            }
        }
        2 => {
            for row in value.rows() {
                let cells: Vec<String> = row.iter().map(cell).collect();
                out.push_str(&cells.join(","));
                out.push('\n');
            }
        }
        _ => {
            return Err(RunError::shape(format!(
                "a tensor of shape {} has rank > 2 and cannot be written as CSV (use .npy)",
                dims_text(value.shape())
            )))
        }
    }
    Ok(out)
}
