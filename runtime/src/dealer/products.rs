//! The dealer's side of `Request::Products`: Beaver products whose factors may still wait for
//! their truncation, so that the truncation's opening and the product's opening are one round
//! (`protocols::fused`).
//!
//! Every factor has one mask, drawn by all parties: a Beaver mask `A` for a ready factor, the
//! truncation mask `r` for a pending one (a factor at a raw scale, to be shifted right by `bits`).
//! Opening `x + 2^62 + r` gives the truncated value as `E + S_σ`: `E` public and `S_σ` a share
//! that depends on the opened top bit `σ` only through a sign,
//!
//!   `S_0 = msb(r)·2^(63-bits) - ⌊r_low/2^bits⌋`,  `S_1 = -msb(r)·2^(63-bits) - ⌊r_low/2^bits⌋`.
//!
//! `S_σ` is the factor's Beaver mask: the factor minus its mask is `E`, public without a further
//! opening. The dealer deals `msb(r)` and `⌊r_low/2^bits⌋` (so the parties hold shares of both
//! variants) and, per product, `V_i·V_j` for every variant pair the two factors can take.
//! Corrected parts, in order: `[msb(r), ⌊r_low/2^bits⌋]` per pending factor, then per pair its
//! variant products (σ of the first factor major).

use super::DealerError;

/// The most factors one request may have.
pub const MAX_FACTORS: usize = 64;

/// The mask variants of a factor: 1 when ready (`bits` 0), 2 when pending.
pub fn variants(bits: u32) -> usize {
    if bits == 0 {
        1
    } else {
        2
    }
}

/// The variant products of pair `[i, j]` (of `i`'s variants times `j`'s; a square only pairs
/// equal variants).
pub fn pair_variants(pending: &[u32], pair: [u32; 2]) -> usize {
    let v = |i: u32| pending.get(i as usize).map_or(1, |&b| variants(b));
    if pair[0] == pair[1] {
        v(pair[0])
    } else {
        v(pair[0]) * v(pair[1])
    }
}

/// Checks a request's shape: 1..=`MAX_FACTORS` factors, shifts of at most 62 bits, pairs of
/// existing factors.
pub fn check(pending: &[u32], pairs: &[[u32; 2]]) -> Result<(), String> {
    if pending.is_empty() || pending.len() > MAX_FACTORS {
        return Err(format!("{} factors (1 to {MAX_FACTORS})", pending.len()));
    }
    if let Some(b) = pending.iter().find(|&&b| b > 62) {
        return Err(format!("a truncation by {b} bits (at most 62)"));
    }
    if let Some(p) = pairs.iter().find(|p| p.iter().any(|&i| i as usize >= pending.len())) {
        return Err(format!("the pair {p:?} of {} factors", pending.len()));
    }
    Ok(())
}

/// Lengths of the corrected parts (see the module doc).
pub fn corrected_lens(n: usize, pending: &[u32], pairs: &[[u32; 2]]) -> Vec<usize> {
    let mut lens: Vec<usize> = pending.iter().filter(|&&b| b > 0).flat_map(|_| [n, n]).collect();
    lens.extend(pairs.iter().map(|&p| n * pair_variants(pending, p)));
    lens
}

/// The variants of factor `i`'s mask, from its reconstructed free part.
fn masks(free: &[u64], bits: u32) -> Vec<Vec<u64>> {
    if bits == 0 {
        return vec![free.to_vec()];
    }
    let high = 1u64 << (63 - bits);
    let parts = |r: u64| super::mask_parts(r, |v| v >> bits);
    let s0 = free.iter().map(|&r| parts(r)).map(|(m, t)| m.wrapping_mul(high).wrapping_sub(t)).collect();
    let s1 = free.iter().map(|&r| parts(r)).map(|(m, t)| m.wrapping_mul(high).wrapping_neg().wrapping_sub(t)).collect();
    vec![s0, s1]
}

/// Party 0's explicit values from the other parties' sums of the corrected parts (`others`, in
/// place) and the reconstructed free parts (one mask per factor).
pub fn correct(
    pending: &[u32],
    pairs: &[[u32; 2]],
    free: &[Vec<u64>],
    others: &mut [Vec<u64>],
) -> Result<(), DealerError> {
    let bad = |why: &str| DealerError::BadRequest(format!("products: {why}"));
    check(pending, pairs).map_err(|e| bad(&e))?;
    if free.len() != pending.len() {
        return Err(bad("one free part per factor"));
    }
    let variants: Vec<Vec<Vec<u64>>> = free.iter().zip(pending).map(|(f, &b)| masks(f, b)).collect();
    let mut out = others.iter_mut();
    let mut sub_from = |target: &mut dyn Iterator<Item = u64>| -> Result<(), DealerError> {
        let part = out.next().ok_or_else(|| bad("too few corrected parts"))?;
        part.iter_mut().zip(target).for_each(|(o, t)| *o = t.wrapping_sub(*o));
        Ok(())
    };
    for (f, &bits) in free.iter().zip(pending).filter(|(_, &b)| b > 0) {
        sub_from(&mut f.iter().map(|&r| super::mask_parts(r, |v| v >> bits).0))?;
        sub_from(&mut f.iter().map(|&r| super::mask_parts(r, |v| v >> bits).1))?;
    }
    for &[i, j] in pairs {
        let (Some(vi), Some(vj)) = (variants.get(i as usize), variants.get(j as usize)) else {
            return Err(bad("a pair of missing factors"));
        };
        // One part per pair: its variant products one after the other.
        let targets = vi.iter().enumerate().flat_map(|(s, a)| {
            vj.iter()
                .enumerate()
                .filter(move |(t, _)| i != j || s == *t)
                .flat_map(move |(_, b)| a.iter().zip(b).map(|(a, b)| a.wrapping_mul(*b)))
        });
        sub_from(&mut targets.into_iter())?;
    }
    Ok(())
}

/// Party 0's explicit values of `Request::MatPending` (in place over the other parties' sums
/// `others`): `msb(r)`, `⌊r_low/2^bits⌋`, `K = S_0 @ B` and `W[i,k,:] = msb(r)[i,k]·B[k,:]`, for
/// the left factor's truncation mask `r` (shape `a`, reconstructed in `free`) and the kept right
/// mask `b`. `S_0 = msb(r)·2^(63-bits) - ⌊r_low/2^bits⌋` is the truncated factor's mask variant
/// 0; variant 1 differs by `-2·msb(r)·2^(63-bits)`, which the parties apply with `W`.
pub fn correct_pending_matmul(
    a: &[usize],
    b: &crate::ring::RingTensor,
    bits: u32,
    free: &[Vec<u64>],
    others: &mut [Vec<u64>],
) -> Result<(), DealerError> {
    let bad = |what: &str| DealerError::BadRequest(format!("a pending matrix product: {what}"));
    let ([m, k], [k2, p]) = (a, b.shape()) else { return Err(bad("not two matrices")) };
    let (m, k, p) = (*m, *k, *p);
    if k != *k2 || !(1..=62).contains(&bits) {
        return Err(bad("shapes or bits"));
    }
    let r = free.first().filter(|r| r.len() == m * k).ok_or_else(|| bad("the mask"))?;
    let bw: Vec<u64> = b.iter().copied().collect();
    let high = 1u64 << (63 - bits);
    let parts: Vec<(u64, u64)> = r.iter().map(|&r| super::mask_parts(r, |v| v >> bits)).collect();
    let s0: Vec<u64> = parts.iter().map(|&(mb, t)| mb.wrapping_mul(high).wrapping_sub(t)).collect();
    let mut k_part = vec![0u64; m * p];
    let mut w_part = vec![0u64; m * k * p];
    for i in 0..m {
        for kk in 0..k {
            let (Some(&s), Some(&(mb, _))) = (s0.get(i * k + kk), parts.get(i * k + kk)) else { continue };
            let brow = bw.get(kk * p..(kk + 1) * p).unwrap_or_default();
            if let Some(out) = k_part.get_mut(i * p..(i + 1) * p) {
                out.iter_mut().zip(brow).for_each(|(o, b)| *o = o.wrapping_add(s.wrapping_mul(*b)));
            }
            if let Some(out) = w_part.get_mut((i * k + kk) * p..(i * k + kk + 1) * p) {
                out.iter_mut().zip(brow).for_each(|(o, b)| *o = mb.wrapping_mul(*b));
            }
        }
    }
    let targets =
        [parts.iter().map(|x| x.0).collect::<Vec<u64>>(), parts.iter().map(|x| x.1).collect(), k_part, w_part];
    if others.len() != targets.len() {
        return Err(bad("parts"));
    }
    for (o, t) in others.iter_mut().zip(&targets) {
        if o.len() != t.len() {
            return Err(bad("part lengths"));
        }
        o.iter_mut().zip(t).for_each(|(o, t)| *o = t.wrapping_sub(*o));
    }
    Ok(())
}
