//! Selection: `where(c, a, b)`, elementwise `maximum`/`minimum`, and the reductions `max`/`min`/
//! `argmax`/`argmin` along an axis by a tree of comparisons (log2(n) levels).
//!
//! The condition `c` is an unscaled 0/1 share, so `c·(a - b)` needs no truncation. Ties in
//! `argmax`/`argmin` go to the first position, as in NumPy.

use super::arith::{self, upscale};
use super::compare::{compare, CmpOp};
use super::mul::{mul, mul_raw};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::{from_vec, to_vec};
use crate::share::Shared;
use ndarray::IxDyn;

/// `c ? a : b` = `b + c·(a - b)` (broadcasting). `c` must be an unscaled 0/1 share.
/// Cost: one product: 1 round, no truncation.
pub fn where_(party: &mut Party, c: &Shared, a: &Shared, b: &Shared) -> Result<Shared, MpcError> {
    if c.scale != 0 {
        return Err(
            party.invalid("where", format!("the condition has scale {}; expected an unscaled 0/1 share", c.scale))
        );
    }
    let diff = arith::sub(a, b)?;
    let picked = mul(party, c, &diff)?;
    arith::add(b, &picked)
}

/// Elementwise `max(x, y)`. Cost: one comparison and one product (no truncation).
pub fn maximum(party: &mut Party, x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let c = compare(party, CmpOp::Lt, x, y)?;
    where_(party, &c, y, x)
}

/// Elementwise `min(x, y)`. Cost: one comparison and one product (no truncation).
pub fn minimum(party: &mut Party, x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let c = compare(party, CmpOp::Lt, y, x)?;
    where_(party, &c, y, x)
}

/// Which extreme a reduction looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extreme {
    Max,
    Min,
}

/// The result of a tree reduction: the extreme values and the one-hot positions.
pub struct Reduced {
    /// Shape: `x` without the reduced axis (0-d for `axis = None`).
    pub values: Shared,
    /// Shape: as `x` (for `axis = None`: as `x` too); unscaled 0/1, a single 1 along the axis.
    pub one_hot: Option<Shared>,
    /// Shape: as `values`; unscaled integer index along the axis.
    pub index: Option<Shared>,
}

/// `max`/`min` over `axis` (or everything), optionally with the position (`argmax`/`argmin`).
///
/// Tree reduction: each level compares neighbours pairwise in one batched comparison, then
/// selects the values (and, with `track`, the one-hot position blocks) in one batched product.
/// Cost: ⌈log2 n⌉ levels, each one comparison of n/2^level elements plus 1 round of products.
pub fn reduce_extreme(
    party: &mut Party,
    x: &Shared,
    axis: Option<usize>,
    which: Extreme,
    track: bool,
) -> Result<Reduced, MpcError> {
    let ndim = x.data.ndim();
    let (rows, len, out_shape, perm) = match axis {
        None => (1, x.len(), vec![], None),
        Some(ax) if ax < ndim => {
            let mut perm: Vec<usize> = (0..ndim).filter(|&d| d != ax).collect();
            perm.push(ax);
            let shape: Vec<usize> = x.shape().iter().enumerate().filter(|&(d, _)| d != ax).map(|(_, &s)| s).collect();
            (shape.iter().product(), x.shape()[ax], shape, Some(perm))
        }
        Some(ax) => return Err(party.invalid("max", format!("axis {ax} of a {ndim}-d tensor"))),
    };
    if len == 0 {
        return Err(party.invalid("max", "reduction over an empty axis"));
    }
    let moved = match &perm {
        Some(p) => x.data.view().permuted_axes(IxDyn(p)).as_standard_layout().into_owned(),
        None => x.data.clone(),
    };
    // vals[r][j]; oh[r][j][k] (one-hot over the original positions k).
    let mut vals = to_vec(&moved);
    let mut m = len;
    let mut oh: Vec<u64> = if track {
        let mut v = vec![0u64; rows * len * len];
        let one = if party.id() == 0 { 1 } else { 0 };
        for r in 0..rows {
            for j in 0..len {
                v[(r * len + j) * len + j] = one;
            }
        }
        v
    } else {
        Vec::new()
    };
    while m > 1 {
        let half = m / 2;
        let next = m - half;
        let mut left = Vec::with_capacity(rows * half);
        let mut right = Vec::with_capacity(rows * half);
        for r in 0..rows {
            for j in 0..half {
                left.push(vals[r * m + 2 * j]);
                right.push(vals[r * m + 2 * j + 1]);
            }
        }
        let ls = Shared { data: from_vec("max", &[rows * half], left.clone())?, scale: x.scale };
        let rs = Shared { data: from_vec("max", &[rows * half], right.clone())?, scale: x.scale };
        // c = 1 where the right candidate wins strictly (ties keep the left one).
        let c = match which {
            Extreme::Max => compare(party, CmpOp::Lt, &ls, &rs)?,
            Extreme::Min => compare(party, CmpOp::Lt, &rs, &ls)?,
        };
        let cv = to_vec(&c.data);
        // One batched product: c·(right - left) for values, and for every one-hot entry.
        let mut factors = cv.clone();
        let mut diffs: Vec<u64> = right.iter().zip(&left).map(|(r, l)| r.wrapping_sub(*l)).collect();
        if track {
            for r in 0..rows {
                for j in 0..half {
                    let (lo, ro) = (((r * m + 2 * j) * len), ((r * m + 2 * j + 1) * len));
                    for k in 0..len {
                        factors.push(cv[r * half + j]);
                        diffs.push(oh[ro + k].wrapping_sub(oh[lo + k]));
                    }
                }
            }
        }
        let total = factors.len();
        let fs = Shared { data: from_vec("max", &[total], factors)?, scale: 0 };
        let ds = Shared { data: from_vec("max", &[total], diffs)?, scale: 0 };
        let prod = to_vec(&mul_raw(party, &fs, &ds)?.data);
        let mut new_vals = Vec::with_capacity(rows * next);
        let mut new_oh = Vec::with_capacity(if track { rows * next * len } else { 0 });
        for r in 0..rows {
            for j in 0..half {
                new_vals.push(left[r * half + j].wrapping_add(prod[r * half + j]));
                if track {
                    let lo = (r * m + 2 * j) * len;
                    let po = rows * half + (r * half + j) * len;
                    for k in 0..len {
                        new_oh.push(oh[lo + k].wrapping_add(prod[po + k]));
                    }
                }
            }
            if m % 2 == 1 {
                new_vals.push(vals[r * m + m - 1]);
                if track {
                    let lo = (r * m + m - 1) * len;
                    new_oh.extend_from_slice(&oh[lo..lo + len]);
                }
            }
        }
        vals = new_vals;
        oh = new_oh;
        m = next;
    }
    let values = Shared { data: from_vec("max", &out_shape, vals)?, scale: x.scale };
    if !track {
        return Ok(Reduced { values, one_hot: None, index: None });
    }
    let index: Vec<u64> = (0..rows)
        .map(|r| (0..len).fold(0u64, |acc, k| acc.wrapping_add((k as u64).wrapping_mul(oh[r * len + k]))))
        .collect();
    let index = Shared { data: from_vec("argmax", &out_shape, index)?, scale: 0 };
    // One-hot back in x's axis order.
    let mut moved_shape = out_shape.clone();
    moved_shape.push(len);
    let oh_t = from_vec("argmax", &moved_shape, oh)?;
    let one_hot = match &perm {
        Some(p) => {
            let mut inv = vec![0; p.len()];
            for (i, &d) in p.iter().enumerate() {
                inv[d] = i;
            }
            oh_t.view().permuted_axes(IxDyn(&inv)).as_standard_layout().into_owned()
        }
        None => from_vec("argmax", x.shape(), oh_t.iter().copied().collect())?,
    };
    Ok(Reduced { values, one_hot: Some(Shared { data: one_hot, scale: 0 }), index: Some(index) })
}

/// Aligns `x` to `scale` (for callers mixing 0/1 shares with values). Local.
pub fn at_scale(x: &Shared, scale: u32) -> Shared {
    upscale(x, scale)
}
