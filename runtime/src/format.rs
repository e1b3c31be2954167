//! The one tensor formatter every engine uses for `print` and `output`, so that plaintext and
//! MPC runs print byte-identical text for equal values.
//!
//! Rules:
//! - every number has 4 decimals (`0.9500`, `-2.0000`); a value that rounds to zero prints
//!   `0.0000` (never `-0.0000`); NaN prints `nan`, infinities `inf` / `-inf`;
//! - a scalar prints as its number; a tensor as nested lists, one line:
//!   `[[1.0000, 2.0000], [3.0000, 4.0000]]`; an empty axis prints `[]`;
//! - an axis longer than [`ELIDE_ABOVE`] entries shows its first 3 and last 3 entries with
//!   `...` between them (`[0.0000, 1.0000, 2.0000, ..., 9.0000, 10.0000, 11.0000]`), at every level;
//! - `print(a, "text", b)` joins its arguments with one space ([`join_print`]).
//!
//! This module only formats; it does not write anywhere.

use ndarray::{ArrayViewD, Axis};

/// Axes with more entries than this are elided.
pub const ELIDE_ABOVE: usize = 10;
/// How many entries are shown at each end of an elided axis.
pub const ELIDE_KEEP: usize = 3;

/// Formats one number with 4 decimals.
pub fn format_number(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".to_string() } else { "-inf".to_string() };
    }
    let text = format!("{x:.4}");
    if text == "-0.0000" {
        "0.0000".to_string()
    } else {
        text
    }
}

/// Formats a tensor (a 0-d tensor as a bare number).
pub fn format_tensor(value: ArrayViewD<'_, f64>) -> String {
    let mut out = String::new();
    write_tensor(&mut out, value);
    out
}

fn write_tensor(out: &mut String, value: ArrayViewD<'_, f64>) {
    if value.ndim() == 0 {
        if let Some(x) = value.iter().next() {
            out.push_str(&format_number(*x));
        }
        return;
    }
    let len = value.len_of(Axis(0));
    out.push('[');
    let shown: Vec<Option<usize>> = if len > ELIDE_ABOVE {
        (0..ELIDE_KEEP).map(Some).chain(std::iter::once(None)).chain((len - ELIDE_KEEP..len).map(Some)).collect()
    } else {
        (0..len).map(Some).collect()
    };
    for (k, entry) in shown.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        match entry {
            Some(i) => write_tensor(out, value.index_axis(Axis(0), *i)),
            None => out.push_str("..."),
        }
    }
    out.push(']');
}

/// One argument of `print`, already evaluated.
pub enum PrintPiece<'a> {
    Text(&'a str),
    Value(ArrayViewD<'a, f64>),
}

/// Joins `print`'s arguments with one space, formatting values with [`format_tensor`].
pub fn join_print(pieces: &[PrintPiece<'_>]) -> String {
    let parts: Vec<String> = pieces
        .iter()
        .map(|piece| match piece {
            PrintPiece::Text(text) => (*text).to_string(),
            PrintPiece::Value(value) => format_tensor(value.view()),
        })
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr0, arr2, ArrayD, IxDyn};

    #[test]
    fn numbers_have_four_decimals() {
        assert_eq!(format_number(0.95), "0.9500");
        assert_eq!(format_number(-2.0), "-2.0000");
        assert_eq!(format_number(-0.00001), "0.0000");
        assert_eq!(format_number(f64::NAN), "nan");
        assert_eq!(format_number(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn scalars_and_matrices() {
        assert_eq!(format_tensor(arr0(0.95).into_dyn().view()), "0.9500");
        let m = arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn();
        assert_eq!(format_tensor(m.view()), "[[1.0000, 2.0000], [3.0000, 4.0000]]");
    }

    #[test]
    fn long_axes_are_elided_at_every_level() {
        let v = ArrayD::from_shape_fn(IxDyn(&[12]), |i| i[0] as f64);
        assert_eq!(format_tensor(v.view()), "[0.0000, 1.0000, 2.0000, ..., 9.0000, 10.0000, 11.0000]");
        let m = ArrayD::from_shape_fn(IxDyn(&[11, 1]), |i| i[0] as f64);
        assert_eq!(format_tensor(m.view()), "[[0.0000], [1.0000], [2.0000], ..., [8.0000], [9.0000], [10.0000]]");
        let ten = ArrayD::<f64>::zeros(IxDyn(&[10]));
        assert!(!format_tensor(ten.view()).contains("..."));
    }

    #[test]
    fn empty_and_print_join() {
        let e = ArrayD::<f64>::zeros(IxDyn(&[0]));
        assert_eq!(format_tensor(e.view()), "[]");
        let a = arr0(1.5).into_dyn();
        let pieces = [PrintPiece::Value(a.view()), PrintPiece::Text("loss"), PrintPiece::Value(a.view())];
        assert_eq!(join_print(&pieces), "1.5000 loss 1.5000");
    }
}
