//! `softmax(x, axis)` and `log_softmax(x, axis)` on private values.
//!
//! d = x - max(x) along the axis (the tree reduction of `select.rs`: ⌈log2 n⌉ levels of a
//! comparison and a selection), e = exp(d) (`exp.rs`, L + 17 rounds: right for every d, and 0
//! below the underflow point, so any spread of logits is fine). Then
//! softmax = e · reciprocal(Σ e) (the sum lies in [1, n]), and
//! log_softmax = d - log(Σ e) (the unclamped d, so large negative outputs stay exact).
//!
//! Cost: ⌈log2 n⌉·(L + 9) + (L + 17) + (L + 24) + 2 rounds for softmax, ⌈log2 n⌉·(L + 9) +
//! (L + 17) + (L + 22) for log_softmax (N = 2, n = 8: 70 and 66).

use super::exp::exp;
use super::{log::log, reciprocal::reciprocal};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::arith;
use crate::protocols::mul::mul;
use crate::protocols::select::{reduce_extreme, Extreme};
use crate::share::Shared;
use ndarray::Axis;

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

/// d = x - max(x, axis) and e = exp(d), both of x's shape.
fn shifted_exp(party: &mut Party, x: &Shared, axis: usize) -> Result<(Shared, Shared), MpcError> {
    if axis >= x.data.ndim() {
        return Err(party.invalid("softmax", format!("axis {axis} of a {}-d tensor", x.data.ndim())));
    }
    let max = reduce_extreme(party, x, Some(axis), Extreme::Max, false)?.values;
    let d = arith::sub(x, &keep_axis(max, axis))?;
    let e = exp(party, &d)?;
    Ok((d, e))
}
