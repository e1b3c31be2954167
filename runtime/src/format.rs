//! The one tensor formatter every engine uses for `print` and `output`, so that plaintext and
//! MPC runs print byte-identical text for equal values.
//!
//! It follows NumPy's `str(array)` (`np.array2string` with `floatmode='maxprec'`), so a user reads
//! the numbers as NumPy would show them; docs/language.md states the rules:
//! - each number has at most `precision` fractional digits (default [`DEFAULT_PRECISION`], set with
//!   `--print-precision`), fewer when fewer show it exactly (`0.95`, `1.`); a tensor pads its
//!   numbers to one width;
//! - a tensor switches to scientific notation (`5.e-05`, `1.2346e+09`) when a nonzero magnitude is
//!   below 1e-4 or at least 1e8, or the largest is over 1000 times the smallest;
//! - elements are separated by spaces, rows by newlines (a blank line per extra axis), lines
//!   wrap at [`LINE_WIDTH`] characters;
//! - a tensor of more than [`THRESHOLD`] elements shows the first and last [`EDGE_ITEMS`] entries
//!   of every long axis with `...` between them;
//! - a scalar prints like a Python float capped at `precision` digits (`0.95`, `1.0`, `5e-05`);
//! - NaN prints `nan`, infinities `inf` / `-inf`; a value that rounds to zero prints without a
//!   sign (NumPy would print `-0.`: a fixed-point engine has no negative zero to show).
//!
//! This module only formats; it does not write anywhere.

use ndarray::{ArrayViewD, Axis};

/// Fractional digits shown by default: a 16-bit fixed-point fraction resolves about 4.8 decimal
/// digits, so NumPy's 8 would show encoding noise (`0.94999695` for 0.95).
pub const DEFAULT_PRECISION: usize = 4;
/// The largest `--print-precision` (an `f64` has 17 significant digits).
pub const MAX_PRECISION: usize = 17;
/// Tensors with more elements than this are summarised (NumPy's `threshold`).
pub const THRESHOLD: usize = 1000;
/// Entries shown at each end of a summarised axis (NumPy's `edgeitems`).
pub const EDGE_ITEMS: usize = 3;
/// Line width before wrapping (NumPy's `linewidth`).
pub const LINE_WIDTH: usize = 75;

/// How `print` and `output` show numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrintOptions {
    /// At most this many fractional digits (of the mantissa, in scientific notation).
    pub precision: usize,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions { precision: DEFAULT_PRECISION }
    }
}

/// Formats one number as a scalar with the default precision (for warnings and errors).
pub fn format_number(x: f64) -> String {
    format_scalar(x, DEFAULT_PRECISION)
}

/// Formats a scalar like Python's `repr` of a float, with at most `precision` fractional digits:
/// positional from 1e-4 up to 1e16, scientific outside.
pub fn format_scalar(x: f64, precision: usize) -> String {
    if let Some(text) = non_finite(x) {
        return text.to_string();
    }
    let a = x.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let s = scientific(x, precision);
        let mantissa = s.mantissa.trim_end_matches('.');
        return format!("{}{mantissa}e{}{:02}", sign(x, &s.mantissa), exp_sign(s.exp), s.exp.unsigned_abs());
    }
    let p = positional(x, precision);
    let frac = if p.frac.is_empty() { "0" } else { p.frac.as_str() };
    format!("{}{}.{frac}", sign(x, &format!("{}{}", p.int, p.frac)), p.int)
}

/// Formats a tensor (a 0-d tensor as a scalar).
pub fn format_tensor(value: ArrayViewD<'_, f64>, options: PrintOptions) -> String {
    if value.ndim() == 0 {
        return value.iter().next().map(|x| format_scalar(*x, options.precision)).unwrap_or_default();
    }
    if value.is_empty() {
        return "[]".to_string();
    }
    let summarise = value.len() > THRESHOLD;
    let mut shown = Vec::new();
    collect_shown(value.view(), summarise, &mut shown);
    let format = FloatFormat::fit(&shown, options.precision);
    let mut printer = Printer { format: &format, summarise };
    let body = printer.array(value, " ", LINE_WIDTH);
    format!("[{}]", body.get(1..).unwrap_or_default())
}

/// One argument of `print`, already evaluated.
pub enum PrintPiece<'a> {
    Text(&'a str),
    Value(ArrayViewD<'a, f64>),
}

/// Joins `print`'s arguments with one space, formatting values with [`format_tensor`].
pub fn join_print(pieces: &[PrintPiece<'_>], options: PrintOptions) -> String {
    let parts: Vec<String> = pieces
        .iter()
        .map(|piece| match piece {
            PrintPiece::Text(text) => (*text).to_string(),
            PrintPiece::Value(value) => format_tensor(value.view(), options),
        })
        .collect();
    parts.join(" ")
}

fn non_finite(x: f64) -> Option<&'static str> {
    if x.is_nan() {
        Some("nan")
    } else if x.is_infinite() {
        Some(if x > 0.0 { "inf" } else { "-inf" })
    } else {
        None
    }
}

/// `-` for a negative number whose shown digits are not all zero.
fn sign(x: f64, digits: &str) -> &'static str {
    if x < 0.0 && digits.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    }
}

fn exp_sign(exp: i32) -> char {
    if exp < 0 {
        '-'
    } else {
        '+'
    }
}

/// `|x|` rounded to `precision` fractional digits, trailing zeros dropped (NumPy's unique digits,
/// capped): integer and fraction digits.
struct Positional {
    int: String,
    frac: String,
}

fn positional(x: f64, precision: usize) -> Positional {
    let text = format!("{:.precision$}", x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
    Positional { int: int.to_string(), frac: frac.trim_end_matches('0').to_string() }
}

/// `|x|`'s mantissa rounded to `precision` fractional digits with trailing zeros dropped
/// (`"5."`, `"1.25"`), and its decimal exponent.
struct Scientific {
    mantissa: String,
    exp: i32,
}

fn scientific(x: f64, precision: usize) -> Scientific {
    let text = format!("{:.precision$e}", x.abs());
    let (mantissa, exp) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    Scientific { mantissa: format!("{int}.{}", frac.trim_end_matches('0')), exp: exp.parse().unwrap_or(0) }
}

/// The elements that will be shown (all, or the edges of every long axis when summarising).
fn collect_shown(value: ArrayViewD<'_, f64>, summarise: bool, out: &mut Vec<f64>) {
    if value.ndim() == 0 {
        out.extend(value.iter().copied());
        return;
    }
    for i in shown_indices(value.len_of(Axis(0)), summarise).into_iter().flatten() {
        collect_shown(value.index_axis(Axis(0), i), summarise, out);
    }
}

/// The indices shown along an axis of `len`; `None` marks the `...`.
fn shown_indices(len: usize, summarise: bool) -> Vec<Option<usize>> {
    if summarise && len > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS).map(Some).chain(std::iter::once(None)).chain((len - EDGE_ITEMS..len).map(Some)).collect()
    } else {
        (0..len).map(Some).collect()
    }
}

/// One format for every element of a tensor (NumPy's `FloatingFormat`).
struct FloatFormat {
    exp: bool,
    /// Fractional digits: at most (positional) or exactly (scientific).
    precision: usize,
    pad_left: usize,
    pad_right: usize,
    /// Exponent digits (scientific).
    exp_digits: usize,
}

impl FloatFormat {
    fn fit(values: &[f64], precision: usize) -> FloatFormat {
        let finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let nonzero: Vec<f64> = finite.iter().map(|x| x.abs()).filter(|a| *a != 0.0).collect();
        let exp = match (nonzero.iter().copied().reduce(f64::min), nonzero.iter().copied().reduce(f64::max)) {
            (Some(min), Some(max)) => max >= 1e8 || min < 1e-4 || max / min > 1000.0,
            _ => false,
        };
        let mut format = FloatFormat { exp, precision, pad_left: 0, pad_right: 0, exp_digits: 0 };
        if finite.is_empty() {
            // nothing to fit
        } else if exp {
            let parts: Vec<Scientific> = finite.iter().map(|x| scientific(*x, precision)).collect();
            let frac_len = |s: &Scientific| s.mantissa.split_once('.').map_or(0, |(_, f)| f.len());
            format.precision = parts.iter().map(frac_len).max().unwrap_or(0);
            format.exp_digits = parts.iter().map(|s| s.exp.unsigned_abs().to_string().len()).max().unwrap_or(0).max(2);
            format.pad_left =
                finite.iter().zip(&parts).map(|(x, s)| 1 + sign(*x, &s.mantissa).len()).max().unwrap_or(1);
            format.pad_right = format.exp_digits + 2 + format.precision;
        } else {
            let parts: Vec<Positional> = finite.iter().map(|x| positional(*x, precision)).collect();
            format.pad_left = finite
                .iter()
                .zip(&parts)
                .map(|(x, p)| p.int.len() + sign(*x, &format!("{}{}", p.int, p.frac)).len())
                .max()
                .unwrap_or(1);
            format.pad_right = parts.iter().map(|p| p.frac.len()).max().unwrap_or(0);
        }
        if finite.len() != values.len() {
            let widest: usize = if values.contains(&f64::NEG_INFINITY) { 4 } else { 3 };
            format.pad_left = format.pad_left.max(widest.saturating_sub(format.pad_right + 1));
        }
        format
    }

    fn format(&self, x: f64) -> String {
        let width = self.pad_left + self.pad_right + 1;
        if let Some(text) = non_finite(x) {
            return format!("{text:>width$}");
        }
        if self.exp {
            let s = scientific(x, self.precision);
            let (int, frac) = s.mantissa.split_once('.').unwrap_or((s.mantissa.as_str(), ""));
            let int = format!("{}{int}", sign(x, &s.mantissa));
            let digits = self.exp_digits;
            let (pad, precision) = (self.pad_left, self.precision);
            format!("{int:>pad$}.{frac:0<precision$}e{}{:0digits$}", exp_sign(s.exp), s.exp.unsigned_abs())
        } else {
            let p = positional(x, self.precision);
            let int = format!("{}{}", sign(x, &format!("{}{}", p.int, p.frac)), p.int);
            let (pad, right) = (self.pad_left, self.pad_right);
            format!("{int:>pad$}.{:<right$}", p.frac)
        }
    }
}

/// NumPy's `_formatArray` with `str`'s separator: nested brackets, wrapped rows.
struct Printer<'a> {
    format: &'a FloatFormat,
    summarise: bool,
}

impl Printer<'_> {
    /// The text of `value` (rank ≥ 1) starting with `hanging` in place of its `[`, without brackets.
    fn array(&mut self, value: ArrayViewD<'_, f64>, hanging: &str, width: usize) -> String {
        let len = value.len_of(Axis(0));
        let indices = shown_indices(len, self.summarise);
        let next_hanging = format!("{hanging} ");
        let next_width = width.saturating_sub(1);
        let mut s = String::new();
        if value.ndim() == 1 {
            let elem_width = width.saturating_sub(1);
            let mut line = hanging.to_string();
            for (k, index) in indices.iter().enumerate() {
                let word = match index {
                    Some(i) => value.get(*i).map(|x| self.format.format(*x)).unwrap_or_default(),
                    None => "...".to_string(),
                };
                let needs_wrap = line.len() + word.len() > elem_width && line.len() > hanging.len();
                if needs_wrap {
                    s.push_str(line.trim_end());
                    s.push('\n');
                    line = hanging.to_string();
                }
                line.push_str(&word);
                if k + 1 < indices.len() {
                    line.push(' ');
                }
            }
            s.push_str(&line);
        } else {
            let separator = "\n".repeat(value.ndim() - 1);
            for (k, index) in indices.iter().enumerate() {
                s.push_str(hanging);
                match index {
                    Some(i) => {
                        let nested = self.array(value.index_axis(Axis(0), *i), &next_hanging, next_width);
                        s.push('[');
                        s.push_str(nested.get(next_hanging.len()..).unwrap_or_default());
                        s.push(']');
                    }
                    None => s.push_str("..."),
                }
                if k + 1 < indices.len() {
                    s.push_str(&separator);
                }
            }
        }
        s
    }
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
