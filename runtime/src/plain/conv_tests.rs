//! `conv.rs` against independently computed values: `tests/fixtures/conv/reference.json`, written
//! by `tests/fixtures/conv/make_reference.py` (direct NumPy loops, no im2col), so no Python runs here.

use super::*;
use mpcc_ir::Window2d;
use serde_json::Value;

const REFERENCE: &str = include_str!("../../../tests/fixtures/conv/reference.json");

fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f64> = v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap()).collect();
    Tensor::from_shape_vec(IxDyn(&shape), data).unwrap()
}

fn pair(v: &Value) -> [u32; 2] {
    let a = v.as_array().unwrap();
    [a[0].as_u64().unwrap() as u32, a[1].as_u64().unwrap() as u32]
}

fn close(got: &Tensor, want: &Tensor, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (g, w) in got.iter().zip(want.iter()) {
        assert!((g - w).abs() < 1e-9, "{what}: {g} vs {w}");
    }
}

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_str(REFERENCE).unwrap();
    v["cases"].as_array().unwrap().clone()
}

#[test]
fn conv2d_and_its_adjoints_match_numpy() {
    let mut seen = 0;
    for case in cases().iter().filter(|c| c["op"] == "conv2d") {
        let win = Window2d { stride: pair(&case["stride"]), padding: pair(&case["padding"]) };
        let (x, w, dy) = (tensor(&case["x"]), tensor(&case["w"]), tensor(&case["dy"]));
        close(&conv2d_plain(&x, &w, &win).unwrap(), &tensor(&case["y"]), "conv2d");
        let xs = super::super::construct::shape_of(x.shape());
        let ws = super::super::construct::shape_of(w.shape());
        close(&conv2d_grad_x_plain(&dy, &w, &xs, &win).unwrap(), &tensor(&case["gx"]), "grad x");
        close(&conv2d_grad_w_plain(&x, &dy, &ws, &win).unwrap(), &tensor(&case["gw"]), "grad w");
        seen += 1;
    }
    assert_eq!(seen, 3);
}

#[test]
fn pooling_matches_numpy() {
    let mut seen = 0;
    for case in cases().iter().filter(|c| c["op"] == "max" || c["op"] == "avg") {
        let op = if case["op"] == "max" { PoolOp::Max } else { PoolOp::Avg };
        let win = Window2d { stride: pair(&case["stride"]), padding: pair(&case["padding"]) };
        let got = pool2d(op, &tensor(&case["x"]), pair(&case["k"]), &win).unwrap();
        close(&got, &tensor(&case["y"]), &format!("{:?}", case["op"]));
        seen += 1;
    }
    assert_eq!(seen, 6);
}

#[test]
fn pool_adjoint_is_the_transpose_of_pooling() {
    // <avg_pool(x), dy> = <x, avg_pool_grad(dy)> for the linear pooling; for max pooling the
    // gradient puts each dy on the window's first maximum.
    let win = Window2d { stride: [1, 1], padding: [1, 1] };
    let x = Tensor::from_shape_fn(IxDyn(&[1, 1, 3, 3]), |i| ((i[2] * 3 + i[3]) as f64 * 0.7).sin());
    let y = pool2d(PoolOp::Avg, &x, [3, 3], &win).unwrap();
    let dy = Tensor::from_shape_fn(IxDyn(y.shape()), |i| 1.0 + (i[2] * 3 + i[3]) as f64);
    let gx = pool2d_grad(PoolOp::Avg, &x, &dy, [3, 3], &win).unwrap();
    let lhs: f64 = y.iter().zip(dy.iter()).map(|(a, b)| a * b).sum();
    let rhs: f64 = x.iter().zip(gx.iter()).map(|(a, b)| a * b).sum();
    assert!((lhs - rhs).abs() < 1e-9);
    let x = Tensor::from_shape_vec(IxDyn(&[1, 1, 2, 2]), vec![1.0, 5.0, 5.0, 2.0]).unwrap();
    let g = pool2d_grad(
        PoolOp::Max,
        &x,
        &Tensor::from_elem(IxDyn(&[1, 1, 1, 1]), 3.0),
        [2, 2],
        &Window2d { stride: [2, 2], padding: [0, 0] },
    )
    .unwrap();
    assert_eq!(g.iter().copied().collect::<Vec<_>>(), vec![0.0, 3.0, 0.0, 0.0]);
}

#[test]
fn bad_geometry_is_a_shape_error() {
    let x = Tensor::zeros(IxDyn(&[1, 2, 3, 3]));
    let win = Window2d { stride: [1, 1], padding: [0, 0] };
    let e = conv2d_plain(&x, &Tensor::zeros(IxDyn(&[1, 3, 2, 2])), &win).unwrap_err();
    assert!(e.message.contains("2 channels"), "{}", e.message);
    let e = conv2d_plain(&x, &Tensor::zeros(IxDyn(&[1, 2, 4, 2])), &win).unwrap_err();
    assert!(e.message.contains("does not fit"), "{}", e.message);
    let e = conv2d_plain(&x, &Tensor::zeros(IxDyn(&[1, 2, 1, 1])), &Window2d { stride: [0, 1], padding: [0, 0] });
    assert!(e.unwrap_err().message.contains("stride 0"));
    assert!(conv2d_plain(&Tensor::zeros(IxDyn(&[2, 3])), &x, &win).is_err());
}

#[test]
fn flatten_from_merges_the_trailing_axes() {
    let x = Tensor::zeros(IxDyn(&[2, 3, 4, 5]));
    assert_eq!(crate::plain::structural::flatten_from(&x, 1).unwrap().shape(), &[2, 60]);
    assert_eq!(crate::plain::structural::flatten_from(&x, -1).unwrap().shape(), &[2, 3, 4, 5]);
    assert_eq!(crate::plain::structural::flatten_from(&x, 0).unwrap().shape(), &[120]);
    assert!(crate::plain::structural::flatten_from(&x, 4).is_err());
    assert_eq!(crate::plain::structural::flatten_from(&Tensor::zeros(IxDyn(&[])), 0).unwrap().shape(), &[1]);
}
