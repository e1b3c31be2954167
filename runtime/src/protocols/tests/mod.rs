//! Protocol tests: encode, share, run the protocol on every party, reveal, decode, and compare
//! with an `f64` reference within a stated tolerance, for 2, 3 and 5 parties, with proptest
//! inputs. `run_op` is the one helper all of them go through.

mod arith;
mod compare;
mod conv;
mod costs;
mod division;
mod errors;
mod fused;
mod merge;
mod reuse;
mod wire;
mod wire_ot;

use crate::fixed::FixedPoint;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::compare::CompareMode;
use crate::share::{reveal, share_from, Shared};
use crate::simulate::{simulate, SimConfig};
use ndarray::ArrayD;
use proptest::prelude::*;

/// The party counts every protocol is tested with.
pub const PARTY_COUNTS: [usize; 3] = [2, 3, 5];

/// The comparison protocols tested per party count: both for 2 parties, the tree for more.
pub const COMPARE_CASES: [(usize, CompareMode); 4] =
    [(2, CompareMode::Fss), (2, CompareMode::Tree), (3, CompareMode::Tree), (5, CompareMode::Tree)];

/// Shares input `i` from party `i % n`, runs `op` on every party, reveals the result to all and
/// decodes it; checks that all parties decoded the same tensor.
pub fn run_op(
    n: usize,
    inputs: &[ArrayD<f64>],
    op: impl Fn(&mut Party, &[Shared]) -> Result<Shared, MpcError> + Sync,
) -> ArrayD<f64> {
    run_op_mode(n, None, inputs, op)
}

/// As `run_op`, comparing with `mode` (`None`: the default for `n`).
pub fn run_op_mode(
    n: usize,
    mode: Option<CompareMode>,
    inputs: &[ArrayD<f64>],
    op: impl Fn(&mut Party, &[Shared]) -> Result<Shared, MpcError> + Sync,
) -> ArrayD<f64> {
    let fixed = FixedPoint::default();
    let encoded: Vec<_> = inputs.iter().map(|x| fixed.encode(x).unwrap()).collect();
    let mut cfg = SimConfig::new(n, Some(42 + n as u64));
    cfg.compare = mode;
    let reports = simulate(&cfg, |party| {
        let mut shares = Vec::new();
        for (i, x) in encoded.iter().enumerate() {
            let src = i % n;
            let value = (party.id() == src).then_some(x);
            shares.push(share_from(party, src, value, x.shape(), fixed.frac_bits)?);
        }
        let out = op(party, &shares)?;
        Ok(reveal(party, &out)?.decode())
    })
    .unwrap();
    let first = reports[0].output.clone();
    for r in &reports {
        assert_eq!(r.output, first, "parties disagree");
    }
    first
}

/// Asserts `got ≈ want` elementwise within `tol` (absolute).
pub fn assert_close(got: &ArrayD<f64>, want: &ArrayD<f64>, tol: f64) {
    assert_eq!(got.shape(), want.shape(), "shape");
    for (g, w) in got.iter().zip(want.iter()) {
        assert!((g - w).abs() <= tol, "got {g}, want {w} (tolerance {tol})\n got: {got}\nwant: {want}");
    }
}

/// A shape of 1–3 dimensions of 1–5 each.
pub fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=5, 1..=3)
}

/// A tensor of `shape` with values in `[-bound, bound]`.
pub fn tensor(shape: Vec<usize>, bound: f64) -> impl Strategy<Value = ArrayD<f64>> {
    let n: usize = shape.iter().product();
    prop::collection::vec(-bound..=bound, n).prop_map(move |v| ArrayD::from_shape_vec(shape.clone(), v).unwrap())
}

/// Two tensors of the same random shape.
pub fn tensor_pair(bound: f64) -> impl Strategy<Value = (ArrayD<f64>, ArrayD<f64>)> {
    shape().prop_flat_map(move |s| (tensor(s.clone(), bound), tensor(s, bound)))
}

/// Proptest settings for protocol tests: few cases (each spawns threads).
pub fn config() -> ProptestConfig {
    ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() }
}
