//! Conversions between arithmetic and binary sharing.
//!
//! A2B: every party's arithmetic share is already a binary sharing of itself (that party holds
//! it, the others hold 0), so x = Σ_i x_i is a sum of N binary-shared words. Carry-save adders
//! (one batched AND round each layer) reduce N summands to 2, then a Kogge–Stone parallel-prefix
//! adder adds them: one round for the generate bits and one batched round per prefix level
//! (distances 1, 2, 4, …, 32). B2A of a bit uses a dealer random bit shared both ways.

use super::binary::and_words;
use super::{open_masked, Opening};
use crate::dealer::Request;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::{from_vec, to_vec};
use crate::share::{BinShared, Shared};

/// Carry-save layers needed to reduce `n` summands to 2.
pub fn csa_layers(mut n: usize) -> usize {
    let mut layers = 0;
    while n > 2 {
        n -= n / 3;
        layers += 1;
    }
    layers
}

/// Carry-save adders (3-to-2 groups) in all layers for `n` summands.
pub fn csa_adders(mut n: usize) -> usize {
    let mut adders = 0;
    while n > 2 {
        adders += n / 3;
        n -= n / 3;
    }
    adders
}

/// Arithmetic to binary sharing of 64-bit words.
///
/// Cost: `csa_layers(N) + 7` rounds (0 + 7 for N = 2, 1 + 7 for N = 3, 3 + 7 for N = 5). Per
/// element each party sends (N-1)·8 bytes ×: 2 per carry-save adder, 2 for the generate round,
/// 4 for each of the first five prefix levels and 2 for the last.
pub fn a2b(party: &mut Party, x: &Shared) -> Result<BinShared, MpcError> {
    let words = a2b_words(party, &to_vec(&x.data))?;
    Ok(BinShared { data: from_vec("a2b", x.shape(), words)? })
}

/// `a2b` on a flat vector.
pub fn a2b_words(party: &mut Party, x: &[u64]) -> Result<Vec<u64>, MpcError> {
    let (a, b) = two_summands(party, x)?;
    kogge_stone(party, &a, &b)
}

/// The parties' arithmetic shares of `x` as N binary-shared summands, reduced to two by
/// carry-save layers (`csa_layers(N)` rounds).
fn two_summands(party: &mut Party, x: &[u64]) -> Result<(Vec<u64>, Vec<u64>), MpcError> {
    let n = x.len();
    let me = party.id();
    let mut summands: Vec<Vec<u64>> =
        (0..party.n_parties()).map(|i| if i == me { x.to_vec() } else { vec![0; n] }).collect();
    while summands.len() > 2 {
        summands = csa_layer(party, summands)?;
    }
    let b = summands.pop().unwrap_or_else(|| vec![0; n]);
    let a = summands.pop().unwrap_or_else(|| vec![0; n]);
    Ok((a, b))
}

/// Bit 63 of `x = Σ shares` as a binary share in bit 0 (1 where x < 0 as a signed integer).
///
/// Only the carry into bit 63 of `a + b` is needed, so instead of a full prefix adder this runs a
/// tree over the (generate, propagate) pairs of bits 0..62: one round for `g = a & b`, then six
/// levels, each halving the active bits and packing what remains of all elements densely into
/// words, so level j's AND gates cost 2^-(j-1) words per element.
/// Cost: `csa_layers(N) + 7` rounds; `msb_and_words(n)` AND words (each opening 2 words) for n
/// elements after the carry-save layers.
pub fn msb_words(party: &mut Party, x: &[u64]) -> Result<Vec<u64>, MpcError> {
    const TOP: u64 = 1 << 63;
    let (a, b) = two_summands(party, x)?;
    let is_p0 = party.id() == 0;
    // Position 63 is set to (g = 0, p = 1), so the tree's total generate is the carry out of 0..62.
    let mut g = and_words(party, &a, &b)?;
    let mut p: Vec<u64> = a.iter().zip(&b).map(|(a, b)| (a ^ b) & !TOP).collect();
    for (gi, pi) in g.iter_mut().zip(p.iter_mut()) {
        *gi &= !TOP;
        if is_p0 {
            *pi |= TOP;
        }
    }
    let mut width = 64u32;
    while width > 1 {
        let k = width / 2;
        let (left, right) = split_level(&g, &p, k);
        let prod = and_words(party, &left, &right)?;
        merge_level(&mut g, &mut p, &prod, k);
        width = k;
    }
    Ok(a.iter().zip(&b).zip(&g).map(|((a, b), g)| ((a ^ b) >> 63) ^ (g & 1)).collect())
}

/// AND words `msb_words` uses after the carry-save layers, for `n` elements.
pub fn msb_and_words(n: usize) -> usize {
    n + [64usize, 32, 16, 8, 4, 1].iter().map(|bits| (n * bits).div_ceil(64)).sum::<usize>()
}

/// The even-position bits of `w`, compressed into the low 32 bits (a fixed bit permutation, so it
/// maps XOR shares to XOR shares).
#[inline(always)]
fn even_bits(w: u64) -> u64 {
    let mut x = w & EVEN;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x >> 4)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x >> 8)) & 0x0000_ffff_0000_ffff;
    (x | (x >> 16)) & 0x0000_0000_ffff_ffff
}

/// The even bit positions.
const EVEN: u64 = 0x5555_5555_5555_5555;

/// Whether this CPU has BMI2's `pext`, which extracts the even bits in one instruction (the
/// shift-and-mask ladder of [`even_bits`] takes eleven). Detected once, at run time.
fn has_pext() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("bmi2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// How a prefix level at half-width `k` packs its AND operands: whether it is the last level
/// (`k = 1`, only `g`), the bits per element (`chunk`) and the elements per word.
fn packing(k: u32) -> (bool, u32, usize) {
    let last = k == 1;
    let chunk = if last { 1 } else { 2 * k };
    (last, chunk, (64 / chunk) as usize)
}

/// One prefix level's AND operands for the `(g, p)` pairs at half-width `k`: left `p_hi` (twice),
/// right `g_lo` and `p_lo`, `k` bits each (only `g` on the last level, `k = 1`); each element's
/// bits packed densely, `64 / chunk` elements to a word, in the pass that splits them.
fn split_level(g: &[u64], p: &[u64], k: u32) -> (Vec<u64>, Vec<u64>) {
    #[cfg(target_arch = "x86_64")]
    if has_pext() {
        // SAFETY: the CPU has BMI2 (checked just above).
        return unsafe { split_level_pext(g, p, k) };
    }
    split_with(g, p, k, even_bits)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "bmi2")]
unsafe fn split_level_pext(g: &[u64], p: &[u64], k: u32) -> (Vec<u64>, Vec<u64>) {
    split_with(g, p, k, |w| core::arch::x86_64::_pext_u64(w, EVEN))
}

#[inline(always)]
fn split_with(g: &[u64], p: &[u64], k: u32, even: impl Fn(u64) -> u64) -> (Vec<u64>, Vec<u64>) {
    let (last, chunk, per) = packing(k);
    let n = g.len();
    let mut left = Vec::with_capacity(n.div_ceil(per));
    let mut right = Vec::with_capacity(n.div_ceil(per));
    for (gc, pc) in g.chunks(per).zip(p.chunks(per)) {
        let (mut lw, mut rw) = (0u64, 0u64);
        for (slot, (&gw, &pw)) in gc.iter().zip(pc).enumerate() {
            let p_hi = even(pw >> 1);
            let (l, r) = if last { (p_hi, even(gw)) } else { (p_hi | (p_hi << k), even(gw) | (even(pw) << k)) };
            let shift = slot as u32 * chunk;
            lw |= l << shift;
            rw |= r << shift;
        }
        left.push(lw);
        right.push(rw);
    }
    (left, right)
}

/// The next level's `(g, p)` from this level's AND products (`split_level`'s packing):
/// `g = g_hi ⊕ p_hi·g_lo`, `p = p_hi·p_lo`.
fn merge_level(g: &mut [u64], p: &mut [u64], prod: &[u64], k: u32) {
    #[cfg(target_arch = "x86_64")]
    if has_pext() {
        // SAFETY: the CPU has BMI2 (checked just above).
        return unsafe { merge_level_pext(g, p, prod, k) };
    }
    merge_with(g, p, prod, k, even_bits)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "bmi2")]
unsafe fn merge_level_pext(g: &mut [u64], p: &mut [u64], prod: &[u64], k: u32) {
    merge_with(g, p, prod, k, |w| core::arch::x86_64::_pext_u64(w, EVEN))
}

#[inline(always)]
fn merge_with(g: &mut [u64], p: &mut [u64], prod: &[u64], k: u32, even: impl Fn(u64) -> u64) {
    let (last, chunk, per) = packing(k);
    let mask = (1u64 << k) - 1;
    let chunk_mask = if chunk == 64 { u64::MAX } else { (1u64 << chunk) - 1 };
    for ((gc, pc), &word) in g.chunks_mut(per).zip(p.chunks_mut(per)).zip(prod) {
        for (slot, (gw, pw)) in gc.iter_mut().zip(pc.iter_mut()).enumerate() {
            let pr = (word >> (slot as u32 * chunk)) & chunk_mask;
            *gw = even(*gw >> 1) ^ (pr & mask);
            if !last {
                *pw = (pr >> k) & mask;
            }
        }
    }
}

/// One carry-save layer: every three summands become two (`a⊕b⊕c` and `maj(a,b,c) << 1`), with
/// all majorities of the layer in one AND round; leftovers pass through.
fn csa_layer(party: &mut Party, mut summands: Vec<Vec<u64>>) -> Result<Vec<Vec<u64>>, MpcError> {
    let groups = summands.len() / 3;
    let rest = summands.split_off(groups * 3);
    let n = summands.first().map_or(0, Vec::len);
    // maj(a, b, c) = ((a ⊕ c) & (b ⊕ c)) ⊕ c.
    let mut left = Vec::with_capacity(groups * n);
    let mut right = Vec::with_capacity(groups * n);
    for g in summands.chunks_exact(3) {
        let [a, b, c] = g else { continue };
        left.extend(a.iter().zip(c).map(|(a, c)| a ^ c));
        right.extend(b.iter().zip(c).map(|(b, c)| b ^ c));
    }
    let prod = and_words(party, &left, &right)?;
    let mut out = Vec::with_capacity(2 * groups + rest.len());
    for (gi, g) in summands.chunks_exact(3).enumerate() {
        let [a, b, c] = g else { continue };
        let majority = prod.get(gi * n..(gi + 1) * n).ok_or_else(|| party.invalid("add", "too few products"))?;
        let sum: Vec<u64> = a.iter().zip(b).zip(c).map(|((a, b), c)| a ^ b ^ c).collect();
        let carry: Vec<u64> = majority.iter().zip(c).map(|(m, c)| (m ^ c) << 1).collect();
        out.push(sum);
        out.push(carry);
    }
    out.extend(rest);
    Ok(out)
}

/// `a + b` mod 2^64 on binary shares with a Kogge–Stone prefix adder (7 rounds).
pub fn kogge_stone(party: &mut Party, a: &[u64], b: &[u64]) -> Result<Vec<u64>, MpcError> {
    let n = a.len();
    let p0: Vec<u64> = a.iter().zip(b).map(|(a, b)| a ^ b).collect();
    let mut g = and_words(party, a, b)?;
    let mut p = p0.clone();
    let mut d = 1u32;
    while d < 64 {
        let last = d == 32;
        // g ← g ⊕ (p & (g << d)); p ← p & (p << d), both in one round.
        let mut left = p.clone();
        let mut right: Vec<u64> = g.iter().map(|g| g << d).collect();
        if !last {
            left.extend_from_slice(&p);
            right.extend(p.iter().map(|p| p << d));
        }
        let prod = and_words(party, &left, &right)?;
        for (g, q) in g.iter_mut().zip(&prod) {
            *g ^= q;
        }
        if !last {
            for (p, q) in p.iter_mut().zip(prod.iter().skip(n)) {
                *p = *q;
            }
        }
        d *= 2;
    }
    Ok(p0.iter().zip(&g).map(|(p, g)| p ^ (g << 1)).collect())
}

/// Binary to arithmetic sharing of the bit 0 of each word (the other bits are ignored); the result
/// is an unscaled 0/1 share.
///
/// With a dealer bit `r` shared in both forms, open `c = b ⊕ r` and compute
/// `b = c + r - 2·c·r` locally. Cost: 1 round; each party sends (N-1)·8 bytes per element; the
/// dealer sends party 0 8 bytes per element.
pub fn b2a_bit(party: &mut Party, b: &BinShared) -> Result<Shared, MpcError> {
    let words = b2a_bit_words(party, &to_vec(&b.data))?;
    Ok(Shared { data: from_vec("b2a", b.data.shape(), words)?, scale: 0 })
}

/// `b2a_bit` on a flat vector.
pub fn b2a_bit_words(party: &mut Party, b: &[u64]) -> Result<Vec<u64>, MpcError> {
    let n = b.len();
    let (c, [_rb, ra]) = open_masked(party, "b2a", &Request::Bits { n }, Opening::Xor, n, |p| {
        b.iter().zip(p.free(0)).map(|(b, r)| (b & 1) ^ r).collect()
    })?;
    let is_p0 = party.id() == 0;
    Ok(c.iter()
        .zip(&ra)
        .map(|(&c, &r)| {
            let ci = c & 1;
            let v = r.wrapping_mul(1u64.wrapping_sub(2 * ci));
            if is_p0 {
                v.wrapping_add(ci)
            } else {
                v
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_even_bits_ladder_is_an_even_bit_extraction() {
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(9);
        for w in [0, u64::MAX, EVEN, !EVEN, 1, 1 << 62, 1 << 63].into_iter().chain((0..1000).map(|_| rng.random())) {
            let want = (0..32).fold(0u64, |acc, i| acc | (((w >> (2 * i)) & 1) << i));
            assert_eq!(even_bits(w), want, "{w:#x}");
        }
    }

    #[test]
    fn the_pext_levels_equal_the_portable_ones() {
        // Whatever this CPU has, both paths of every level agree word for word.
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(10);
        let pext = |w: u64| (0..32).fold(0u64, |acc, i| acc | (((w >> (2 * i)) & 1) << i));
        for n in [1, 7, 64, 1000] {
            let g: Vec<u64> = (0..n).map(|_| rng.random()).collect();
            let p: Vec<u64> = (0..n).map(|_| rng.random()).collect();
            for k in [32, 16, 8, 4, 2, 1] {
                let (l, r) = split_level(&g, &p, k);
                assert_eq!((l.clone(), r.clone()), split_with(&g, &p, k, pext), "split n={n} k={k}");
                let prod: Vec<u64> = l.iter().zip(&r).map(|(a, b)| a & b).collect();
                let (mut g1, mut p1, mut g2, mut p2) = (g.clone(), p.clone(), g.clone(), p.clone());
                merge_level(&mut g1, &mut p1, &prod, k);
                merge_with(&mut g2, &mut p2, &prod, k, pext);
                assert_eq!((g1, p1), (g2, p2), "merge n={n} k={k}");
            }
        }
    }
}
