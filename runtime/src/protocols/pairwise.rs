//! Extremes of short rows from all pairwise comparisons at once: one batched MSB of
//! `x_i - x_j` for every pair `i < j` of a row (the rounds of one comparison), then each
//! element's indicator of winning all its `n - 1` comparisons as a product tree of 0/1 shares
//! (⌈log2(n - 1)⌉ rounds, no truncation). Ties go to the first position, so exactly one element
//! of a row wins. Against the tree of `select::reduce_extreme` (⌈log2 n⌉ levels, each a
//! comparison and a round of products), this takes fewer rounds for the one-hot of the winner
//! (`argmax`, `argmin`; softmax's maximum) at `n(n - 1)/2` comparisons per row instead of `n - 1`.

use super::approx::kernels::{flat, products_raw};
use super::compare::msb;
use super::select::{lanes, Extreme, Lanes};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::{from_vec, to_vec};
use crate::share::Shared;

/// The longest rows `argmax`/`argmin` reduce pairwise (120 comparisons per row); longer rows take
/// the tree.
pub const PAIRWISE_ROWS: usize = 16;

/// The pairs `(i, j)`, `i < j`, of a row of `n`, in the order their comparisons are batched.
fn pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect()
}

/// The winner indicator of every row of `n` candidates (`vals`: rows × n words at `scale`, row
/// major): rows × n unscaled 0/1 shares, a single 1 per row at the first maximum (`Max`) or
/// minimum (`Min`). Cost: one MSB of rows·n(n-1)/2 elements, then ⌈log2(n - 1)⌉ rounds of
/// products of 0/1 shares.
pub fn winners(party: &mut Party, vals: &[u64], n: usize, scale: u32, which: Extreme) -> Result<Vec<u64>, MpcError> {
    if n < 2 || !vals.len().is_multiple_of(n) {
        return Err(party.invalid("pairwise", format!("rows of {n} from {} values", vals.len())));
    }
    let rows = vals.len() / n;
    let pairs = pairs(n);
    let mut diffs = Vec::with_capacity(rows * pairs.len());
    for row in vals.chunks_exact(n) {
        for &(i, j) in &pairs {
            let (Some(a), Some(b)) = (row.get(i), row.get(j)) else {
                return Err(party.invalid("pairwise", "short row"));
            };
            // Max: [x_i < x_j] (j wins); Min: [x_j < x_i] (j wins). i wins the tie either way.
            diffs.push(match which {
                Extreme::Max => a.wrapping_sub(*b),
                Extreme::Min => b.wrapping_sub(*a),
            });
        }
    }
    // j_wins[r·P + p] for pair p = (i, j) of row r.
    let j_wins = to_vec(&msb(party, &flat(diffs, scale)?)?.data);
    let is_p0 = party.id() == 0;
    // bits[k][r·n + i]: the k-th comparison of element i of row r, won (1) or lost (0).
    let mut bits: Vec<Vec<u64>> = vec![vec![0; rows * n]; n - 1];
    let mut filled = vec![0usize; n];
    for (p, &(i, j)) in pairs.iter().enumerate() {
        let (ki, kj) = (filled.get(i).copied().unwrap_or(0), filled.get(j).copied().unwrap_or(0));
        for r in 0..rows {
            let l = j_wins.get(r * pairs.len() + p).copied().unwrap_or(0);
            if let Some(b) = bits.get_mut(ki).and_then(|v| v.get_mut(r * n + i)) {
                *b = if is_p0 { 1u64.wrapping_sub(l) } else { l.wrapping_neg() };
            }
            if let Some(b) = bits.get_mut(kj).and_then(|v| v.get_mut(r * n + j)) {
                *b = l;
            }
        }
        for k in [i, j] {
            if let Some(f) = filled.get_mut(k) {
                *f += 1;
            }
        }
    }
    // AND of the n - 1 bits by a product tree.
    while bits.len() > 1 {
        let half = bits.len() / 2;
        let refs: Vec<(&[u64], &[u64])> =
            (0..half).filter_map(|k| Some((bits.get(2 * k)?.as_slice(), bits.get(2 * k + 1)?.as_slice()))).collect();
        let mut next = products_raw(party, &refs)?;
        if bits.len() % 2 == 1 {
            next.extend(bits.pop());
        }
        bits = next;
    }
    Ok(bits.pop().unwrap_or_default())
}

/// `argmax`/`argmin` of `x` along `axis` (or everything) for rows of 2 to [`PAIRWISE_ROWS`]:
/// the position (unscaled, `x` without the axis) and the one-hot (unscaled 0/1, `x`'s shape).
/// Cost: as [`winners`]; the position is a local combination of the one-hot.
pub fn arg_extreme(
    party: &mut Party,
    x: &Shared,
    axis: Option<usize>,
    which: Extreme,
) -> Result<(Shared, Shared), MpcError> {
    let Lanes { len, out_shape, perm, moved, .. } = lanes(party, x, axis, "argmax")?;
    let oh = winners(party, &to_vec(&moved), len, x.scale, which)?;
    let index: Vec<u64> = oh
        .chunks_exact(len)
        .map(|row| row.iter().enumerate().fold(0u64, |acc, (k, &o)| acc.wrapping_add((k as u64).wrapping_mul(o))))
        .collect();
    let index = Shared { data: from_vec("argmax", &out_shape, index)?, scale: 0 };
    let one_hot = super::select::one_hot_in_place(&oh, &out_shape, len, perm.as_deref(), x.shape())?;
    Ok((index, Shared { data: one_hot, scale: 0 }))
}
