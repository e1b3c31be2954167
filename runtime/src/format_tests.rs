//! `format.rs` against NumPy's own text: `tests/fixtures/format/reference.json`, written by
//! `tests/fixtures/format/make_reference.py` (NumPy's `str(array)` at precisions 2, 4 and 8, and
//! Python's float `repr` capped at the precision for scalars).

use super::*;
use ndarray::{arr0, ArrayD, IxDyn};
use serde_json::Value;

const REFERENCE: &str = include_str!("../../tests/fixtures/format/reference.json");

fn decode(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "nan" => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        other => other.as_f64().unwrap_or(f64::NAN),
    }
}

#[test]
fn matches_numpy_on_every_reference_case() {
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() > 60, "the reference file lost its cases");
    let mut failures = Vec::new();
    for case in cases {
        let shape: Vec<usize> =
            case["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
        let values: Vec<f64> = case["values"].as_array().unwrap().iter().map(decode).collect();
        let precision = case["precision"].as_u64().unwrap() as usize;
        let tensor = ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap();
        let got = format_tensor(tensor.view(), PrintOptions { precision });
        let want = case["text"].as_str().unwrap();
        if got != want {
            failures.push(format!("{} (precision {precision}):\n  want {want:?}\n  got  {got:?}", case["name"]));
        }
    }
    assert!(failures.is_empty(), "{} cases differ from NumPy:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn default_precision_hides_fixed_point_noise() {
    // 0.95 encoded with 16 fractional bits is 0.94999694…; it prints as the user wrote it.
    let x = 62259.0 / 65536.0;
    assert_eq!(format_tensor(arr0(x).into_dyn().view(), PrintOptions::default()), "0.95");
    assert_eq!(format_number(x), "0.95");
    assert_eq!(format_number(-0.00001), "-1e-05");
    assert_eq!(format_scalar(-0.00001, 2), "-1e-05");
    assert_eq!(format_scalar(-0.001, 2), "0.0");
    assert_eq!(format_number(f64::NAN), "nan");
}

#[test]
fn values_rounding_to_zero_have_no_sign() {
    let v = ArrayD::from_shape_vec(IxDyn(&[2]), vec![-0.001, 1.0]).unwrap();
    assert_eq!(format_tensor(v.view(), PrintOptions { precision: 2 }), "[0. 1.]");
    assert_eq!(format_scalar(-0.0, 4), "0.0");
}

#[test]
fn print_joins_with_spaces() {
    let a = arr0(1.5).into_dyn();
    let pieces = [PrintPiece::Value(a.view()), PrintPiece::Text("loss"), PrintPiece::Value(a.view())];
    assert_eq!(join_print(&pieces, PrintOptions::default()), "1.5 loss 1.5");
}
