//! The elementwise correlations from OT. Party `i` draws its free shares locally; the corrected
//! parts come from the cross products of [`cross`](super::cross):
//!
//! - Beaver triple: `c_i = a_i·b_i + ⟨a_0·b_1 + a_1·b_0⟩_i` (two Gilboa products, 128 transfers);
//! - square pair: `s_i = a_i² + 2·⟨a_0·a_1⟩_i` (one product, 64 transfers);
//! - random bit: `b = b_0 ⊕ b_1 = b_0 + b_1 − 2·b_0·b_1`, so `b_i − 2·⟨b_0·b_1⟩_i` is an additive
//!   share of the bit whose XOR shares are `b_i` (one transfer);
//! - truncation pair: `r = Σ_j 2^j·β_j` from 64 random bits `β_j` shared both ways, so `r` is
//!   uniform, `msb(r) = β_63` and `(r mod 2^63) >> k = Σ_{k≤j<63} 2^{j−k}·β_j` are linear in the
//!   arithmetic shares of the bits (64 transfers);
//! - AND triple on 64-bit words: `c_i = a_i & b_i ⊕ ⟨a_0 & b_1 ⊕ a_1 & b_0⟩_i` (128 bit transfers).

use super::cross::{cross, cross_and, Dir, OtCtx};
use crate::csprng::AesCtrRng;
use crate::ot::OtError;
use rand::Rng;

fn random_words(rng: &mut AesCtrRng, n: usize) -> Vec<u64> {
    let mut v = vec![0u64; n];
    rng.fill(v.as_mut_slice());
    v
}

/// Shares of the products `x_0·y_1 (+ x_1·y_0)` elementwise, `width` bits of `y` used.
fn products(ctx: &mut OtCtx, dir: Dir, x: &[u64], y: &[u64], width: u32) -> Result<Vec<u64>, OtError> {
    let mut out = vec![0u64; y.len()];
    cross(
        ctx,
        dir,
        y,
        width,
        1,
        |e, v| {
            if let Some(slot) = v.first_mut() {
                *slot = x.get(e).copied().unwrap_or(0);
            }
        },
        |e, sh| {
            if let (Some(o), Some(s)) = (out.get_mut(e), sh.first()) {
                *o = *s;
            }
        },
    )?;
    Ok(out)
}

/// `n` Beaver triples: `[a, b, c]`.
pub fn triples(ctx: &mut OtCtx, rng: &mut AesCtrRng, n: usize) -> Result<Vec<Vec<u64>>, OtError> {
    let (a, b) = (random_words(rng, n), random_words(rng, n));
    let mut c = products(ctx, Dir::Both, &a, &b, 64)?;
    c.iter_mut().zip(a.iter().zip(&b)).for_each(|(c, (a, b))| *c = c.wrapping_add(a.wrapping_mul(*b)));
    Ok(vec![a, b, c])
}

/// `n` square pairs: `[a, a²]`.
pub fn squares(ctx: &mut OtCtx, rng: &mut AesCtrRng, n: usize) -> Result<Vec<Vec<u64>>, OtError> {
    let a = random_words(rng, n);
    let mut s = products(ctx, Dir::ZeroToOne, &a, &a, 64)?;
    s.iter_mut().zip(&a).for_each(|(s, a)| *s = s.wrapping_mul(2).wrapping_add(a.wrapping_mul(*a)));
    Ok(vec![a, s])
}

/// `n` random bits, this party's XOR share (bit 0) and additive share.
fn shared_bits(ctx: &mut OtCtx, rng: &mut AesCtrRng, n: usize) -> Result<(Vec<u64>, Vec<u64>), OtError> {
    let mut b = random_words(rng, n.div_ceil(64));
    b.truncate(n.div_ceil(64));
    let bits: Vec<u64> = (0..n).map(|j| b.get(j / 64).map_or(0, |w| (w >> (j % 64)) & 1)).collect();
    let prod = products(ctx, Dir::ZeroToOne, &bits, &bits, 1)?;
    let arith = bits.iter().zip(&prod).map(|(b, p)| b.wrapping_sub(p.wrapping_mul(2))).collect();
    Ok((bits, arith))
}

/// `n` random bits: `[XOR share (bit 0), additive share]`.
pub fn bits(ctx: &mut OtCtx, rng: &mut AesCtrRng, n: usize) -> Result<Vec<Vec<u64>>, OtError> {
    let (x, a) = shared_bits(ctx, rng, n)?;
    Ok(vec![x, a])
}

/// `n` truncation pairs for a shift by `bits`: `[r, msb(r), (r mod 2^63) >> bits]`.
pub fn trunc_pairs(ctx: &mut OtCtx, rng: &mut AesCtrRng, n: usize, bits: u32) -> Result<Vec<Vec<u64>>, OtError> {
    let (_, beta) = shared_bits(ctx, rng, 64 * n)?;
    let (mut r, mut msb, mut t) = (vec![0u64; n], vec![0u64; n], vec![0u64; n]);
    let shift = bits.min(63) as usize;
    for (e, bs) in beta.chunks_exact(64).enumerate() {
        let (mut re, mut te) = (0u64, 0u64);
        for (j, b) in bs.iter().enumerate() {
            re = re.wrapping_add(b << j);
            if j >= shift && j < 63 {
                te = te.wrapping_add(b << (j - shift));
            }
        }
        if let (Some(rs), Some(ms), Some(ts)) = (r.get_mut(e), msb.get_mut(e), t.get_mut(e)) {
            *rs = re;
            *ms = bs.last().copied().unwrap_or(0);
            *ts = te;
        }
    }
    Ok(vec![r, msb, t])
}

/// `n` AND triples on 64-bit words: `[a, b, c]` XOR-shared.
pub fn and_triples(ctx: &mut OtCtx, rng: &mut AesCtrRng, n: usize) -> Result<Vec<Vec<u64>>, OtError> {
    let (a, b) = (random_words(rng, n), random_words(rng, n));
    let mut c = cross_and(ctx, &a, &b)?;
    c.iter_mut().zip(a.iter().zip(&b)).for_each(|(c, (a, b))| *c ^= a & b);
    Ok(vec![a, b, c])
}
