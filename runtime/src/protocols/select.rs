//! Selection: `where(c, a, b)`, elementwise `maximum`/`minimum`, and the reductions `max`/`min`/
//! `argmax`/`argmin` along an axis by a tree of comparisons (log2(n) levels).
//!
//! The condition `c` is an unscaled 0/1 share, so `c·(a - b)` needs no truncation. Ties in
//! `argmax`/`argmin` go to the first position, as in NumPy.

use super::arith::{self, upscale};
use super::compare::{compare, msb_and_product, CmpOp, CompareMode};
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

/// Elementwise `max(x, y)` = `x - d·msb(d)` with `d = x - y`. Cost: one `msb_and_product`
/// (1 round with the DCF; a comparison and one product, no truncation, with the tree).
pub fn maximum(party: &mut Party, x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let s = x.scale.max(y.scale);
    let (x, y) = (upscale(x, s), upscale(y, s));
    let (_, dm) = msb_and_product(party, &arith::sub(&x, &y)?)?;
    arith::sub(&x, &dm)
}

/// Elementwise `min(x, y)` = `x + d·msb(d)` with `d = y - x`. Cost: as `maximum`.
pub fn minimum(party: &mut Party, x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let s = x.scale.max(y.scale);
    let (x, y) = (upscale(x, s), upscale(y, s));
    let (_, dm) = msb_and_product(party, &arith::sub(&y, &x)?)?;
    arith::add(&x, &dm)
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

/// A tensor's lanes along `axis` (or everything, as one lane), the axis moved last.
pub(crate) struct Lanes {
    pub rows: usize,
    pub len: usize,
    /// The shape without the axis (0-d for `axis = None`).
    pub out_shape: Vec<usize>,
    /// The permutation that moved the axis last (`None` for `axis = None`).
    pub perm: Option<Vec<usize>>,
    /// The words, rows × len in row order.
    pub moved: crate::ring::RingTensor,
}

/// [`Lanes`] of `x` (`op` names the reduction in an error).
pub(crate) fn lanes(party: &Party, x: &Shared, axis: Option<usize>, op: &'static str) -> Result<Lanes, MpcError> {
    let ndim = x.data.ndim();
    let (rows, len, out_shape, perm) = match axis {
        None => (1, x.len(), vec![], None),
        Some(ax) => {
            let Some(&len) = x.shape().get(ax) else {
                return Err(party.invalid(op, format!("axis {ax} of a {ndim}-d tensor")));
            };
            let mut perm: Vec<usize> = (0..ndim).filter(|&d| d != ax).collect();
            perm.push(ax);
            let shape: Vec<usize> = x.shape().iter().enumerate().filter(|&(d, _)| d != ax).map(|(_, &s)| s).collect();
            (shape.iter().product(), len, shape, Some(perm))
        }
    };
    let moved = match &perm {
        Some(p) => x.data.view().permuted_axes(IxDyn(p)).as_standard_layout().into_owned(),
        None => x.data.clone(),
    };
    Ok(Lanes { rows, len, out_shape, perm, moved })
}

/// `max`/`min` over `axis` (or everything), optionally with the position (`argmax`/`argmin`).
///
/// Tree reduction: each level compares neighbours pairwise in one batched comparison, then
/// selects the values (and, with `track`, the one-hot words of both candidates' blocks of
/// positions) in one batched product. Memory: O(rows · len).
/// Cost with the carry tree: ⌈log2 n⌉ levels, each one comparison of n/2^level elements plus
/// 1 round of products (with `track`, at most `len` more products per row and level). With the
/// DCF (`CompareMode::Fss`): each level is one `msb_and_product` round that gives the values, plus
/// with `track` one round of one-hot products.
pub fn reduce_extreme(
    party: &mut Party,
    x: &Shared,
    axis: Option<usize>,
    which: Extreme,
    track: bool,
) -> Result<Reduced, MpcError> {
    let Lanes { rows, len, out_shape, perm, moved } = lanes(party, x, axis, "max")?;
    if len == 0 {
        return Err(party.invalid("max", "reduction over an empty axis"));
    }
    // vals[r][j]: rows × m candidates. With `track`, oh[r][k]: rows × len, one word per original
    // position k. Candidate j owns the contiguous block `blocks[j]` of positions (its subtree of
    // the tree), holding its one-hot restricted to that block; merging two neighbours scales the
    // left block by 1 - c and the right one by c, so memory stays rows × len (not rows × len²).
    let mut vals = to_vec(&moved);
    let mut m = len;
    let mut oh: Vec<u64> = if track { vec![if party.id() == 0 { 1 } else { 0 }; rows * len] } else { Vec::new() };
    let mut blocks: Vec<usize> = vec![1; len];
    while m > 1 {
        let half = m / 2;
        let next = m - half;
        let mut left = Vec::with_capacity(rows * half);
        let mut right = Vec::with_capacity(rows * half);
        // vals is rows × m (m ≥ 2 here).
        for row in vals.chunks_exact(m) {
            for pair in row.chunks_exact(2) {
                if let [l, r] = pair {
                    left.push(*l);
                    right.push(*r);
                }
            }
        }
        let ls = Shared { data: from_vec("max", &[rows * half], left.clone())?, scale: x.scale };
        let rs = Shared { data: from_vec("max", &[rows * half], right.clone())?, scale: x.scale };
        // c = 1 where the right candidate wins strictly (ties keep the left one). With the DCF,
        // c = msb(d) and c·d come from one round for d = left - right (max) or right - left
        // (min), and c·(right - left) = ∓c·d; the tree compares, then multiplies below.
        let fss = party.compare_mode() == CompareMode::Fss;
        let (cv, selected) = if fss {
            let d = match which {
                Extreme::Max => arith::sub(&ls, &rs)?,
                Extreme::Min => arith::sub(&rs, &ls)?,
            };
            let (c, cd) = msb_and_product(party, &d)?;
            let cd = to_vec(&cd.data);
            let sel: Vec<u64> = match which {
                Extreme::Max => cd.iter().map(|v| v.wrapping_neg()).collect(),
                Extreme::Min => cd,
            };
            (to_vec(&c.data), Some(sel))
        } else {
            let c = match which {
                Extreme::Max => compare(party, CmpOp::Lt, &ls, &rs)?,
                Extreme::Min => compare(party, CmpOp::Lt, &rs, &ls)?,
            };
            (to_vec(&c.data), None)
        };
        // One batched product: c·(right - left) for the values (tree only), and c·w for every
        // one-hot word w of both blocks of each pair.
        let mut factors = if fss { Vec::new() } else { cv.clone() };
        let mut diffs: Vec<u64> =
            if fss { Vec::new() } else { right.iter().zip(&left).map(|(r, l)| r.wrapping_sub(*l)).collect() };
        // Positions covered by the pairs (the odd last candidate's block is carried as is).
        let paired: usize = blocks.get(..2 * half).map_or(0, |b| b.iter().sum());
        if track {
            for (row_oh, row_c) in oh.chunks_exact(len).zip(cv.chunks_exact(half)) {
                let mut at = 0;
                for (sizes, &c) in blocks.chunks_exact(2).zip(row_c) {
                    let size: usize = sizes.iter().sum();
                    factors.extend(std::iter::repeat_n(c, size));
                    diffs.extend_from_slice(row_oh.get(at..at + size).unwrap_or_default());
                    at += size;
                }
            }
        }
        let total = factors.len();
        let prod = if total > 0 {
            let fs = Shared { data: from_vec("max", &[total], factors)?, scale: 0 };
            let ds = Shared { data: from_vec("max", &[total], diffs)?, scale: 0 };
            to_vec(&mul_raw(party, &fs, &ds)?.data)
        } else {
            Vec::new()
        };
        let mut new_vals = Vec::with_capacity(rows * next);
        // prod: rows × half selected value differences (tree only), then rows × paired one-hot
        // products.
        let (prod_vals, prod_oh) = match &selected {
            Some(sel) => (sel.as_slice(), prod.as_slice()),
            None => prod.split_at_checked(rows * half).unwrap_or((&prod, &[])),
        };
        for ((row, lrow), prow) in vals.chunks_exact(m).zip(left.chunks_exact(half)).zip(prod_vals.chunks_exact(half)) {
            new_vals.extend(lrow.iter().zip(prow).map(|(l, p)| l.wrapping_add(*p)));
            if m % 2 == 1 {
                new_vals.extend(row.last());
            }
        }
        if track && paired > 0 {
            for (row_oh, prow) in oh.chunks_exact_mut(len).zip(prod_oh.chunks_exact(paired)) {
                let mut at = 0;
                for sizes in blocks.chunks_exact(2) {
                    if let [a, b] = *sizes {
                        // Left block: w - c·w; right block: c·w.
                        let (Some(words), Some(prods)) = (row_oh.get_mut(at..at + a + b), prow.get(at..at + a + b))
                        else {
                            return Err(party.invalid("argmax", "one-hot block out of range"));
                        };
                        let (lw, rw) = words.split_at_mut(a);
                        let (lp, rp) = prods.split_at(a);
                        lw.iter_mut().zip(lp).for_each(|(w, p)| *w = w.wrapping_sub(*p));
                        rw.copy_from_slice(rp);
                        at += a + b;
                    }
                }
            }
        }
        blocks = blocks.chunks(2).map(|b| b.iter().sum()).collect();
        vals = new_vals;
        m = next;
    }
    let values = Shared { data: from_vec("max", &out_shape, vals)?, scale: x.scale };
    if !track {
        return Ok(Reduced { values, one_hot: None, index: None });
    }
    let index: Vec<u64> = oh
        .chunks_exact(len)
        .map(|row| row.iter().enumerate().fold(0u64, |acc, (k, &o)| acc.wrapping_add((k as u64).wrapping_mul(o))))
        .collect();
    let index = Shared { data: from_vec("argmax", &out_shape, index)?, scale: 0 };
    let one_hot = one_hot_in_place(&oh, &out_shape, len, perm.as_deref(), x.shape())?;
    Ok(Reduced { values, one_hot: Some(Shared { data: one_hot, scale: 0 }), index: Some(index) })
}

/// A one-hot of rows × `len` (rows in the order of `out_shape`, the reduced axis last) back in
/// the input's axis order: `perm` is the permutation that moved the axis last (`None`: the whole
/// tensor was one row, `shape` is the input's).
pub(crate) fn one_hot_in_place(
    oh: &[u64],
    out_shape: &[usize],
    len: usize,
    perm: Option<&[usize]>,
    shape: &[usize],
) -> Result<crate::ring::RingTensor, MpcError> {
    let mut moved_shape = out_shape.to_vec();
    moved_shape.push(len);
    let oh_t = from_vec("argmax", &moved_shape, oh.to_vec())?;
    Ok(match perm {
        Some(p) => {
            let mut inv = vec![0; p.len()];
            for (i, &d) in p.iter().enumerate() {
                if let Some(slot) = inv.get_mut(d) {
                    *slot = i;
                }
            }
            oh_t.view().permuted_axes(IxDyn(&inv)).as_standard_layout().into_owned()
        }
        None => from_vec("argmax", shape, oh_t.iter().copied().collect())?,
    })
}

/// Aligns `x` to `scale` (for callers mixing 0/1 shares with values). Local.
pub fn at_scale(x: &Shared, scale: u32) -> Shared {
    upscale(x, scale)
}
