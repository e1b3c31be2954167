//! Flat kernels the approximation families share: products of several operand pairs in one
//! Beaver round, linear combinations of one-hot bit shares with public real coefficients, and shape helpers.
//!
//! Everything works on flat `Vec<u64>` shares of equal length; the families reshape at the end.
//! Nothing here opens anything but the masked values of the protocols it calls.

use crate::fixed::encode_scaled;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::compare::below_thresholds;
use crate::protocols::mul::mul_raw;
use crate::ring::{from_vec, to_vec};
use crate::share::Shared;

/// A flat share at `scale` (1-D, for the kernels below).
pub(crate) fn flat(data: Vec<u64>, scale: u32) -> Result<Shared, MpcError> {
    let n = data.len();
    Ok(Shared::new(from_vec("approx", &[n], data)?, scale))
}

/// `x` with `shape` (the element count must match).
pub(super) fn shaped(x: Shared, shape: &[usize]) -> Result<Shared, MpcError> {
    let scale = x.scale;
    Ok(Shared::new(from_vec("approx", shape, to_vec(&x.data))?, scale))
}

/// The raw products `l_i · r_i` of every pair, all in one Beaver round (no truncation; the
/// caller knows each product's scale). Cost: 1 round, 16·(N-1) bytes per product per party,
/// 8 dealer bytes per product.
pub(crate) fn products_raw(party: &mut Party, pairs: &[(&[u64], &[u64])]) -> Result<Vec<Vec<u64>>, MpcError> {
    let mut left = Vec::new();
    let mut right = Vec::new();
    for (l, r) in pairs {
        if l.len() != r.len() {
            return Err(party.invalid("approx", "operand lengths differ"));
        }
        left.extend_from_slice(l);
        right.extend_from_slice(r);
    }
    let prod = to_vec(&mul_raw(party, &flat(left, 0)?, &flat(right, 0)?)?.data);
    let mut out = Vec::with_capacity(pairs.len());
    let mut at = 0;
    for (l, _) in pairs {
        let part = prod.get(at..at + l.len()).ok_or_else(|| party.invalid("approx", "too few products"))?;
        out.push(part.to_vec());
        at += l.len();
    }
    Ok(out)
}

/// Where each element of `x` lies among ascending public `thresholds` (at least two), from one
/// batched comparison (`compare::below_thresholds`), as unscaled 0/1 shares: `below` = [x < t_0],
/// `onehot[k]` = [t_k ≤ x < t_(k+1)] and `above` = [x ≥ t_last].
pub(super) struct Intervals {
    pub below: Vec<u64>,
    pub onehot: Vec<Vec<u64>>,
    pub above: Vec<u64>,
}

/// The [`Intervals`] of `x` among `thresholds` (encoded at `x`'s scale). Cost: one
/// `below_thresholds`.
pub(super) fn intervals(party: &mut Party, x: &Shared, thresholds: &[f64]) -> Result<Intervals, MpcError> {
    let n = x.len();
    let encoded = thresholds.iter().map(|t| encode_scaled(*t, x.scale)).collect::<Result<Vec<u64>, _>>()?;
    // lt[k][i] = [x_i < threshold k].
    let lt_all = below_thresholds(party, x, &encoded)?;
    let lt: Vec<&[u64]> = lt_all.chunks(n.max(1)).collect();
    let (Some(first), Some(last)) = (lt.first(), lt.last()) else {
        return Err(party.invalid("approx", "no comparison bits"));
    };
    if lt.len() != thresholds.len() || thresholds.len() < 2 {
        return Err(party.invalid("approx", "too few comparison bits"));
    }
    let onehot = lt
        .windows(2)
        .map(|w| match w {
            [lo, hi] => hi.iter().zip(lo.iter()).map(|(h, l)| h.wrapping_sub(*l)).collect(),
            _ => Vec::new(),
        })
        .collect();
    let is_p0 = party.id() == 0;
    let above = last.iter().map(|l| if is_p0 { 1u64.wrapping_sub(*l) } else { l.wrapping_neg() }).collect();
    Ok(Intervals { below: first.to_vec(), onehot, above })
}

/// `Σ_j coef(j) · bits[j]` at `scale`: a local linear combination of unscaled 0/1 shares with
/// public real coefficients (each encoded at `scale`, so exact for powers of two ≥ 2^-scale).
pub(super) fn combine_bits(
    bits: &[Vec<u64>],
    n: usize,
    coef: impl Fn(usize) -> f64,
    scale: u32,
) -> Result<Vec<u64>, MpcError> {
    let mut acc = vec![0u64; n];
    for (j, b) in bits.iter().enumerate() {
        let c = encode_scaled(coef(j), scale)?;
        if c == 0 {
            continue;
        }
        acc.iter_mut().zip(b).for_each(|(a, &bit)| *a = a.wrapping_add(bit.wrapping_mul(c)));
    }
    Ok(acc)
}

/// `a·x + c` elementwise for a public integer `a` and a public ring constant `c` (party 0 adds
/// it). Local.
pub(super) fn affine(party: &Party, x: &[u64], a: i64, c: u64) -> Vec<u64> {
    let is_p0 = party.id() == 0;
    x.iter()
        .map(|&v| {
            let y = v.wrapping_mul(a as u64);
            if is_p0 {
                y.wrapping_add(c)
            } else {
                y
            }
        })
        .collect()
}
