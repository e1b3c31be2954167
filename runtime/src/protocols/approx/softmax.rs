//! `softmax(x, axis)` and `log_softmax(x, axis)` on private values.
//!
//! d = x - max(x) along the axis (the tree reduction of `select.rs`: ⌈log2 n⌉ levels of a
//! comparison and a selection), clamped at -16 by one `relu` (so that far-below-max entries give
//! e^-16 ≈ 1e-7 instead of leaving exp's domain), e = exp(d) (15 rounds). Then
//! softmax = e · reciprocal(Σ e) (the sum lies in [1, n]; `reciprocal` needs n < 4096), and
//! log_softmax = d - log(Σ e) (the unclamped d, so large negative outputs stay exact).
//!
//! Cost (N = 2): ⌈log2 n⌉·9 + 9 + 15 + 23 + 2 rounds for softmax, ⌈log2 n⌉·9 + 9 + 15 + 21 for
//! log_softmax (plus one round per comparison for N = 3).

use super::exp::{exp_of_unit, unit_arg};
use super::kernels::{affine, flat, shaped};
use super::{log::log, reciprocal::reciprocal};
use crate::fixed::encode_scaled;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::arith;
use crate::protocols::compare::relu;
use crate::protocols::mul::mul;
use crate::protocols::select::{reduce_extreme, Extreme};
use crate::ring::to_vec;
use crate::share::Shared;
use ndarray::Axis;

/// Where d = x - max is clamped before exp.
const CLAMP: f64 = 16.0;

/// `softmax(x)` along `axis`.
pub fn softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    let (_, e) = shifted_exp(party, x, axis)?;
    let total = arith::sum(party, &e, Some(axis))?;
    let inv = keep_axis(reciprocal(party, &total)?, axis);
    mul(party, &e, &inv)
}

/// `log_softmax(x)` along `axis`.
pub fn log_softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    let (d, e) = shifted_exp(party, x, axis)?;
    let total = arith::sum(party, &e, Some(axis))?;
    let l = keep_axis(log(party, &total)?, axis);
    arith::sub(&d, &l)
}

/// `x` with a length-1 axis inserted at `axis` (for broadcasting against the input).
fn keep_axis(x: Shared, axis: usize) -> Shared {
    let scale = x.scale;
    Shared::new(x.data.insert_axis(Axis(axis)), scale)
}

/// d = x - max(x, axis) and e = exp(max(d, -16)), both of x's shape.
fn shifted_exp(party: &mut Party, x: &Shared, axis: usize) -> Result<(Shared, Shared), MpcError> {
    if axis >= x.data.ndim() {
        return Err(party.invalid("softmax", format!("axis {axis} of a {}-d tensor", x.data.ndim())));
    }
    let f = x.scale;
    let max = reduce_extreme(party, x, Some(axis), Extreme::Max, false)?.values;
    let d = arith::sub(x, &keep_axis(max, axis))?;
    let c = encode_scaled(CLAMP, f)?;
    let lifted = flat(affine(party, &to_vec(&d.data), 1, c), f)?;
    let clamped = relu(party, &lifted)?;
    let clamped = flat(affine(party, &to_vec(&clamped.data), 1, c.wrapping_neg()), f)?;
    let t = unit_arg(party, &clamped, 4)?;
    let e = exp_of_unit(party, &t, 0.0, f)?;
    Ok((d.clone(), shaped(e, d.shape())?))
}
