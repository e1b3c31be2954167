//! Polynomials on private values: Chebyshev interpolation of a function on [-1, 1] (computed in
//! f64 when a family needs its coefficients; near-minimax: within a small factor of the best
//! uniform error for smooth functions), converted to monomial coefficients, and their evaluation
//! on a share by a power tree.
//!
//! Evaluation of degree d: the powers u^2..u^d in ⌈log2 d⌉ levels, each level one round of fused
//! products (`protocols::fused`: a level's opening also truncates the powers the level before
//! made), one truncation of the last level's powers, then the public-coefficient sum at a wide
//! scale and one truncation to the output scale: ⌈log2 d⌉ + 2 rounds (5 for d = 5..8). Without
//! a dealer each level is a product and a truncation: 2·⌈log2 d⌉ + 1 rounds (7).
//! The argument must lie in [-1, 1] (the families map their range onto it), so every power
//! stays in [-1, 1] and no product overflows.

use super::kernels::flat;
use crate::fixed::encode_scaled;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::fused::{products, Factor};
use crate::protocols::mul::mul;
use crate::protocols::trunc::{truncate, truncate_batch};
use crate::ring::to_vec;
use crate::share::Shared;

/// Fractional bits of the public coefficients in the final sum.
pub const COEF_BITS: u32 = 24;

/// Monomial coefficients (constant first) of the degree-`deg` polynomial interpolating `f` at the
/// `deg + 1` Chebyshev nodes of [-1, 1].
pub fn chebyshev_fit(f: impl Fn(f64) -> f64, deg: usize) -> Vec<f64> {
    let n = deg + 1;
    let nodes: Vec<f64> = (0..n).map(|k| std::f64::consts::PI * (k as f64 + 0.5) / n as f64).collect();
    let values: Vec<f64> = nodes.iter().map(|t| f(t.cos())).collect();
    // Chebyshev coefficients c_j = 2/n Σ_k f(u_k) T_j(u_k), with c_0 halved.
    let cheb: Vec<f64> = (0..n)
        .map(|j| {
            let s: f64 = nodes.iter().zip(&values).map(|(t, v)| v * (j as f64 * t).cos()).sum();
            let c = 2.0 * s / n as f64;
            if j == 0 {
                c / 2.0
            } else {
                c
            }
        })
        .collect();
    // T_0 = 1, T_1 = u, T_{j+1} = 2u·T_j - T_{j-1}, as monomial coefficient vectors.
    let mut out = vec![0.0; n];
    let mut prev = vec![0.0; n];
    let mut cur = vec![0.0; n];
    if let Some(p) = prev.first_mut() {
        *p = 1.0;
    }
    if let Some(c) = cur.get_mut(1) {
        *c = 1.0;
    }
    for (j, c) in cheb.iter().enumerate() {
        let t = if j == 0 { &prev } else { &cur };
        out.iter_mut().zip(t).for_each(|(o, t)| *o += c * t);
        if j >= 1 && j + 1 < n {
            let mut next = vec![0.0; n];
            for (x, c) in next.iter_mut().skip(1).zip(&cur) {
                *x += 2.0 * c;
            }
            next.iter_mut().zip(&prev).for_each(|(x, p)| *x -= p);
            prev = std::mem::replace(&mut cur, next);
        }
    }
    out
}

/// The polynomial with monomial coefficients `coeffs` (constant first) in f64 (tests, docs).
pub fn eval_f64(coeffs: &[f64], u: f64) -> f64 {
    coeffs.iter().rev().fold(0.0, |acc, c| acc * u + c)
}

/// One level of the power tree: the powers that enter it as factors (`(k, pending)`: u^k, still
/// at the raw scale when `pending`) and its products (positions among the factors); the level
/// makes the next powers in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Level {
    pub factors: Vec<(usize, bool)>,
    pub pairs: Vec<[usize; 2]>,
}

/// The power tree for u^1..u^d, with fused products (`protocols::fused`): level by level, the
/// highest power so far times each of u^1..u^count, where the factors made by an earlier level
/// are still pending (their truncation rides on this level's opening). Also returns the powers
/// still pending after the last level.
pub fn power_levels(d: usize) -> (Vec<Level>, Vec<usize>) {
    let mut pending = vec![false; d.max(1) + 1];
    let mut levels = Vec::new();
    let mut have = 1;
    while have < d {
        let count = have.min(d - have);
        let mut ks: Vec<usize> = (1..=count).collect();
        if have > count {
            ks.push(have);
        }
        let top = ks.len() - 1;
        let factors: Vec<(usize, bool)> = ks.iter().map(|&k| (k, pending.get(k).copied().unwrap_or(false))).collect();
        for &k in &ks {
            if let Some(p) = pending.get_mut(k) {
                *p = false;
            }
        }
        for k in have + 1..=have + count {
            if let Some(p) = pending.get_mut(k) {
                *p = true;
            }
        }
        levels.push(Level { factors, pairs: (0..count).map(|i| [top, i]).collect() });
        have += count;
    }
    let left = (1..=d).filter(|&k| pending.get(k).copied().unwrap_or(false)).collect();
    (levels, left)
}

/// Powers u^0..u^d (flat words; `words[0]` is empty) and which are still pending: at scale
/// `2·w`, to be truncated by `w` bits (the last level's products, with `powers_fused`).
pub struct Powers {
    pub words: Vec<Vec<u64>>,
    pub pending: Vec<bool>,
}

impl Powers {
    /// u^k as a factor of fused products: pending (by `w` bits, the powers' scale) or ready.
    pub fn factor(&self, k: usize, w: u32) -> Factor<'_> {
        let words = self.words.get(k).map(Vec::as_slice).unwrap_or_default();
        Factor::new(words, if self.pending.get(k).copied().unwrap_or(false) { w } else { 0 })
    }
}

/// u^1..u^d for a private u in [-1, 1] at scale w, by the power tree with fused products: one
/// round per level (⌈log2 d⌉), each level's opening also truncating the powers the level before
/// made; the last level's powers are returned pending. Without a dealer (OT preprocessing),
/// each level is a product and a truncation (2 rounds) and nothing is left pending.
pub fn powers_fused(party: &mut Party, u: &Shared, d: usize) -> Result<Powers, MpcError> {
    let w = u.scale;
    let missing = |party: &Party| party.invalid("approx", "missing power");
    let mut words: Vec<Vec<u64>> = vec![Vec::new(), to_vec(&u.data)];
    if !party.dealer().dealt() {
        let mut have = 1;
        while have < d {
            let count = have.min(d - have);
            let n = u.len();
            let mut left = Vec::with_capacity(count * n);
            let mut right = Vec::with_capacity(count * n);
            let highest = words.get(have).ok_or_else(|| missing(party))?;
            for p in words.iter().skip(1).take(count) {
                left.extend_from_slice(highest);
                right.extend_from_slice(p);
            }
            let prod = to_vec(&mul(party, &flat(left, w)?, &flat(right, w)?)?.data);
            words.extend(prod.chunks(n.max(1)).take(count).map(<[u64]>::to_vec));
            have += count;
        }
        let pending = vec![false; words.len()];
        return Ok(Powers { words, pending });
    }
    let (levels, left) = power_levels(d);
    for level in &levels {
        let factors: Vec<Factor> = level
            .factors
            .iter()
            .map(|&(k, pending)| {
                Factor::new(words.get(k).map(Vec::as_slice).unwrap_or_default(), if pending { w } else { 0 })
            })
            .collect();
        let fused = products(party, &factors, &level.pairs)?;
        for (&(k, _), t) in level.factors.iter().zip(fused.truncated) {
            if let (Some(t), Some(slot)) = (t, words.get_mut(k)) {
                *slot = t;
            }
        }
        words.extend(fused.products);
    }
    if words.len() != d.max(1) + 1 {
        return Err(missing(party));
    }
    let pending = (0..words.len()).map(|k| left.contains(&k)).collect();
    Ok(Powers { words, pending })
}

/// `powers[k]` = u^k for k in 1..=d at u's scale, flat (`powers[0]` is empty), for a private u in
/// [-1, 1]. Cost: ⌈log2 d⌉ + 1 rounds with a dealer (`powers_fused`, then one truncation of the
/// powers left pending), 2·⌈log2 d⌉ without.
pub fn powers(party: &mut Party, u: &Shared, d: usize) -> Result<Vec<Vec<u64>>, MpcError> {
    let w = u.scale;
    let Powers { mut words, pending } = powers_fused(party, u, d)?;
    let raw: Vec<(usize, Shared)> = pending
        .iter()
        .enumerate()
        .filter(|(_, &p)| p)
        .map(|(k, _)| Ok((k, flat(words.get(k).cloned().unwrap_or_default(), 2 * w)?)))
        .collect::<Result<_, MpcError>>()?;
    let parts: Vec<(&Shared, u32)> = raw.iter().map(|(_, s)| (s, w)).collect();
    for ((k, _), t) in raw.iter().zip(truncate_batch(party, &parts)?) {
        if let Some(slot) = words.get_mut(*k) {
            *slot = to_vec(&t.data);
        }
    }
    Ok(words)
}

/// `Σ_k coeffs[k]·u^k (+ addend)` at `out_scale`, for a private `u` in [-1, 1].
///
/// `addend`, if given, is added before the final truncation and must be at scale
/// `u.scale + COEF_BITS` (a family folds a local term in for free this way).
/// Requires `u.scale + COEF_BITS ≤ 61 - log2(Σ|coeffs| + |addend|)` and `out_scale ≤ u.scale +
/// COEF_BITS`. Cost: ⌈log2 d⌉ + 2 rounds for degree d ≥ 2 with a dealer (`powers`), 2·⌈log2 d⌉ + 1
/// without; per element each level's distinct factors at 8·(N-1) bytes, the pending powers'
/// truncation, then one truncation at 8·(N-1).
pub fn eval(
    party: &mut Party,
    u: &Shared,
    coeffs: &[f64],
    addend: Option<&[u64]>,
    out_scale: u32,
) -> Result<Shared, MpcError> {
    eval_with(party, u, coeffs, addend, out_scale, COEF_BITS)
}

/// As [`eval`] with the coefficients at `coef_bits` fractional bits (the sum at scale
/// `u.scale + coef_bits`): for a short argument range, where the sum's bound allows more
/// coefficient bits than `COEF_BITS` (exp's reduced argument, |u| < 0.09, at scale 32 with 28).
/// Requires |Σ_k coeffs[k]·u^k + addend| < 2^(61 - u.scale - coef_bits) on the argument's range
/// and every power u^k·2^(2·u.scale) below 2^62 (the products before their truncation).
pub fn eval_with(
    party: &mut Party,
    u: &Shared,
    coeffs: &[f64],
    addend: Option<&[u64]>,
    out_scale: u32,
    coef_bits: u32,
) -> Result<Shared, MpcError> {
    let n = u.len();
    let d = coeffs.len().saturating_sub(1);
    let w = u.scale;
    let powers = powers(party, u, d)?;
    let sum_scale = w + coef_bits;
    let mut acc: Vec<u64> = match addend {
        Some(a) if a.len() == n => a.to_vec(),
        Some(_) => return Err(party.invalid("approx", "addend of the wrong length")),
        None => vec![0; n],
    };
    if party.id() == 0 {
        let c0 = encode_scaled(coeffs.first().copied().unwrap_or(0.0), sum_scale)?;
        acc.iter_mut().for_each(|a| *a = a.wrapping_add(c0));
    }
    for (p, &coef) in powers.iter().zip(coeffs).skip(1).take(d) {
        let c = encode_scaled(coef, coef_bits)?;
        acc.iter_mut().zip(p).for_each(|(a, &v)| *a = a.wrapping_add(v.wrapping_mul(c)));
    }
    let raw = flat(acc, sum_scale)?;
    let out = truncate(party, &raw, sum_scale - out_scale.min(sum_scale))?;
    super::kernels::shaped(out, u.shape())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_power_tree_makes_every_power_once_in_log2_levels() {
        for d in 1..=16usize {
            let (levels, left) = power_levels(d);
            let want_levels = if d <= 1 { 0 } else { (d as f64).log2().ceil() as usize };
            assert_eq!(levels.len(), want_levels, "d = {d}");
            // Replay: which powers exist, and which are still at the raw scale.
            let mut exists = vec![false; d + 1];
            let mut pending = vec![false; d + 1];
            exists[1] = true;
            let mut next = 2;
            for level in &levels {
                for &(k, p) in &level.factors {
                    assert!(exists[k], "d = {d}: u^{k} used before it exists");
                    assert_eq!(pending[k], p, "d = {d}: u^{k}'s pending flag");
                    pending[k] = false;
                }
                for &[a, b] in &level.pairs {
                    let (ka, kb) = (level.factors[a].0, level.factors[b].0);
                    assert_eq!(ka + kb, next, "d = {d}");
                    exists[next] = true;
                    pending[next] = true;
                    next += 1;
                }
            }
            assert_eq!(next, d.max(1) + 1, "d = {d}: every power made once");
            let still: Vec<usize> = (1..=d).filter(|&k| pending[k]).collect();
            assert_eq!(still, left, "d = {d}");
        }
    }

    #[test]
    fn chebyshev_fit_is_accurate_for_smooth_functions() {
        let p = chebyshev_fit(f64::exp, 8);
        let worst =
            (0..=200).map(|i| -1.0 + i as f64 / 100.0).map(|u| (eval_f64(&p, u) - u.exp()).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-7, "worst {worst}");
        // A cubic is reproduced exactly.
        let q = chebyshev_fit(|u| 1.0 - 2.0 * u + 0.5 * u * u * u, 3);
        for (got, want) in q.iter().zip([1.0, -2.0, 0.0, 0.5]) {
            assert!((got - want).abs() < 1e-12, "{q:?}");
        }
    }

    #[test]
    fn range_reduced_fits_are_below_a_tenth_of_an_ulp() {
        // Measured: 1/m 5.2e-7, ln m 3.9e-8, √m 3.2e-9, 1/√m 7.9e-8 (2^-16 ≈ 1.5e-5).
        let on_m = |f: fn(f64) -> f64| move |u: f64| f((u + 3.0) / 4.0);
        let fs: [fn(f64) -> f64; 4] = [f64::recip, f64::ln, f64::sqrt, |m| 1.0 / m.sqrt()];
        for f in fs {
            let p = chebyshev_fit(on_m(f), 8);
            let worst = (0..=400)
                .map(|i| -1.0 + i as f64 / 200.0)
                .map(|u| (eval_f64(&p, u) - on_m(f)(u)).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-6, "worst {worst}");
        }
    }
}
