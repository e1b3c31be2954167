//! `softmax(x, axis)` and `log_softmax(x, axis)` on private values.
//!
//! d = x - max(x) along the axis (the tree reduction of `select.rs`: ⌈log2 n⌉ levels of a
//! comparison and a selection), e = exp(d) (`exp.rs`, L + 17 rounds: right for every d, and 0
//! below the underflow point, so any spread of logits is fine). Then
//! softmax = e · (1/Σ e) and log_softmax = d - ln(Σ e) (the unclamped d, so large negative
//! outputs stay exact). The sum lies in [1, n] for rows of n, so for n ≤ 64 1/s and ln s are
//! piecewise polynomials on [1, n] selected by one batched comparison (`piecewise.rs`, L + 16
//! rounds); longer rows use `reciprocal`/`log` (bit decomposition, L + 24 / L + 22).
//!
//! Cost (n ≤ 64): ⌈log2 n⌉·(L + 9) + (L + 17) + (L + 16) + 2 rounds for softmax,
//! ⌈log2 n⌉·(L + 9) + (L + 17) + (L + 16) for log_softmax (N = 2, n = 8: 62 and 60).

use super::exp::exp;
use super::piecewise;
use super::{log::log, reciprocal::reciprocal};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::arith;
use crate::protocols::mul::mul;
use crate::protocols::select::{reduce_extreme, Extreme};
use crate::share::Shared;
use ndarray::Axis;

/// Rows up to this length take the piecewise reciprocal/log of their sum (one piece per unit of
/// [1, n]); longer rows the bit-decomposition ones.
const PIECEWISE_ROWS: usize = 64;

/// `softmax(x)` along `axis`.
pub fn softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    let (_, e) = shifted_exp(party, x, axis)?;
    let n = x.shape().get(axis).copied().unwrap_or(1);
    let total = arith::sum(party, &e, Some(axis))?;
    let inv = if n <= PIECEWISE_ROWS {
        piecewise::eval(party, &total, &on_row_sums(f64::recip, n))?
    } else {
        reciprocal(party, &total)?
    };
    mul(party, &e, &keep_axis(inv, axis))
}

/// `log_softmax(x)` along `axis`.
pub fn log_softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    let (d, e) = shifted_exp(party, x, axis)?;
    let n = x.shape().get(axis).copied().unwrap_or(1);
    let total = arith::sum(party, &e, Some(axis))?;
    let l = if n <= PIECEWISE_ROWS {
        piecewise::eval(party, &total, &on_row_sums(f64::ln, n))?
    } else {
        log(party, &total)?
    };
    arith::sub(&d, &keep_axis(l, axis))
}

/// `g` on a row sum in [1, n]: pieces of width 1 (g = 1/s or ln s is analytic with its
/// singularity at 0, at least three half-widths from every piece's centre), g(1) below and g(n)
/// above (a sum computed a unit in the last place outside [1, n]).
fn on_row_sums(g: fn(f64) -> f64, n: usize) -> piecewise::Pieces {
    let pieces = n.saturating_sub(1).max(1);
    piecewise::Pieces { g, lo: 1.0, width: 1.0, pieces, below: g(1.0), above: g((1 + pieces) as f64) }
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
