//! `softmax(x, axis)` and `log_softmax(x, axis)` on private values.
//!
//! d = x - max(x) along the axis, e = exp(d), then softmax = e · (1/Σ e) and
//! log_softmax = d - ln(Σ e) (the unclamped d, so large negative outputs stay exact).
//!
//! For rows of 2 ≤ n ≤ 64 (n is public): the maximum from all pairwise comparisons in one batched
//! MSB with the carry tree (`all_pairs_max`, L + 8 + ⌈log2(n-1)⌉ + 1 rounds), by the tree with the
//! DCF (⌈log2 n⌉ rounds); e^d for d ≤ 0 and 1/s, ln s for the row
//! sum s in [1, n] as piecewise polynomials selected by one batched comparison (`piecewise.rs`,
//! L + 13 rounds each). Longer rows: the tree reduction of `select.rs` (⌈log2 n⌉·(L + 9)), the
//! wide-range `exp` (L + 15) and `reciprocal`/`log` (L + 22 / L + 20).
//! exp gives 0 below the underflow point, so any spread of logits is right.
//!
//! Cost (2 ≤ n ≤ 64): (L + 9 + ⌈log2(n-1)⌉) + 2·(L + 13) + 2 rounds for softmax, 2 fewer for
//! log_softmax with the carry tree (N = 2, n = 8: 40 and 38). With the DCF the maximum is the
//! tree's ⌈log2 n⌉ rounds (each level one `msb_and_product`): n = 8, 17 and 15.

use super::exp::exp;
use super::kernels::products_raw;
use super::piecewise;
use super::{log::log, reciprocal::reciprocal};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::arith;
use crate::protocols::mul::mul;
use crate::protocols::select::{reduce_extreme, Extreme};
use crate::ring::{from_vec, to_vec};
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
    let n = x.shape().get(axis).copied().unwrap_or(1);
    // With the DCF the tree's levels are one round each (the comparison gives the selected value
    // too), fewer than all pairs' 2 + ⌈log2(n - 1)⌉; with the carry tree all pairs take fewer.
    let fss = party.compare_mode() == crate::protocols::compare::CompareMode::Fss;
    let max = if (2..=PIECEWISE_ROWS).contains(&n) && !fss {
        all_pairs_max(party, x, axis, n)?
    } else {
        reduce_extreme(party, x, Some(axis), Extreme::Max, false)?.values
    };
    let d = arith::sub(x, &keep_axis(max, axis))?;
    let e = if n <= PIECEWISE_ROWS { piecewise::eval(party, &d, &nonpositive_exp(d.scale))? } else { exp(party, &d)? };
    Ok((d, e))
}

/// e^d for d ≤ 0 as a piecewise polynomial: pieces of width 1 from the first integer below the
/// underflow point up to 0; 0 below, 1 at d = 0 (the row's maximum).
fn nonpositive_exp(frac_bits: u32) -> piecewise::Pieces {
    let pieces = (-super::exp::underflow_point(frac_bits)).ceil().max(1.0) as usize;
    piecewise::Pieces { g: f64::exp, lo: -(pieces as f64), width: 1.0, pieces, below: 0.0, above: 1.0 }
}

/// The maximum along `axis` (length n ≥ 2) from all pairwise comparisons at once: the winner's
/// indicator (`pairwise::winners`: one batched MSB and ⌈log2(n - 1)⌉ rounds of products of 0/1
/// shares), and the maximum is Σ_i winner_i·x_i (one more round). Cost: L + 8 + ⌈log2(n - 1)⌉ + 1 rounds,
/// against ⌈log2 n⌉·(L + 9) for the tree; n(n - 1)/2 comparisons per row.
fn all_pairs_max(party: &mut Party, x: &Shared, axis: usize, n: usize) -> Result<Shared, MpcError> {
    let ndim = x.data.ndim();
    let mut perm: Vec<usize> = (0..ndim).filter(|&a| a != axis).collect();
    perm.push(axis);
    let out_shape: Vec<usize> = perm.iter().take(ndim - 1).map(|&a| x.shape().get(a).copied().unwrap_or(1)).collect();
    let vals = to_vec(&x.data.clone().permuted_axes(perm));
    let winner = crate::protocols::pairwise::winners(party, &vals, n, x.scale, Extreme::Max)?;
    let prod = products_raw(party, &[(&winner, &vals)])?.remove(0);
    let max: Vec<u64> = prod.chunks(n).map(|c| c.iter().fold(0u64, |a, v| a.wrapping_add(*v))).collect();
    let data = from_vec("softmax", &out_shape, max)?;
    Ok(Shared::new(data, x.scale))
}
