//! Range reduction by a private bit decomposition: for a share `x` (scale f, any encodable value:
//! |x·2^f| < 2^62), one A2B gives x's bits; a prefix OR over them gives the position p of the
//! leading bit of |x| as a one-hot word; one opening (two words per element) converts the one-hot
//! bits, the bits of |x| and the sign to arithmetic 0/1 shares. Then any public function of p is
//! a *local* linear combination `Σ_j g(j)·onehot_j` (e.g. 2^-p, 2^(-p/2), p·ln 2), and
//! m = |x|·2^(27-p) is x normalised into [0.5, 1] at scale 28 (`NORM_BITS`): for p ≤ 27 one
//! product |x|·Σ_j onehot_j·2^(27-j); for p > 27 the products onehot_j·⌊v/2^(j-27)⌋, with the
//! shifted values local combinations of the bits (exact shifts, no truncation round; the
//! missing +1 of a negative x's |x| = v + 1 is at most 2^-28 of m). All in one Beaver round.
//!
//! Also `b2a_bits`: many bits of one binary-shared word to arithmetic 0/1 shares with a single
//! opened word (the dealer's random bits form the mask word). Nothing here opens anything but
//! words masked by dealer randomness.

use super::kernels::{combine_bits, products_raw};
use crate::dealer::Request;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::binary::and_words;
use crate::protocols::convert::a2b_words;
use crate::protocols::{open_masked, Opening};
use crate::ring::to_vec;
use crate::share::Shared;

/// The working scale of the normalised value m in [0.5, 1].
pub const NORM_BITS: u32 = 28;

/// The bits the decomposition covers: every encodable input, |x·2^f| < 2^62.
pub const WORD_BITS: u32 = 62;

/// Prefix-OR levels: shifts 1, 2, …, 32 spread the leading bit over 63 ≥ `WORD_BITS` positions.
const PREFIX_LEVELS: [u32; 6] = [1, 2, 4, 8, 16, 32];

/// What the decomposition gives, per element (flat, in `x`'s standard order).
pub struct Decomposed {
    /// `onehot[j][i]` = 1 iff the leading bit of |x_i|'s encoding is bit j (unscaled 0/1 shares;
    /// all zero for x = 0).
    pub onehot: Vec<Vec<u64>>,
    /// `sign[i]` = 1 iff x_i < 0 (unscaled 0/1 share).
    pub sign: Vec<u64>,
    /// x normalised into [0.5, 1] at scale `NORM_BITS`: |x|·2^(B - 1 - p) (0 for x = 0).
    pub m: Vec<u64>,
    /// The products of the caller's side pairs, computed in the same round as `m`.
    pub side: Vec<Vec<u64>>,
}

/// Decomposes `x` (see the module doc); `side` computes extra raw product pairs from the one-hot
/// and sign bits, multiplied in the same round as the normalisation.
///
/// Cost: A2B (L + 7 rounds), 6 AND rounds of the prefix OR, 1 round of B2A (two words per
/// element), 1 Beaver round: L + 15 rounds (15 for N = 2). Per element each party sends
/// 8·(N-1)·(24 + 2G) (A2B) + 6·16·(N-1) (prefix OR) + 16·(N-1) (B2A) + 16·(N-1) per product
/// (35 for the normalisation, plus the caller's).
pub fn decompose(
    party: &mut Party,
    x: &Shared,
    side: impl FnOnce(&Party, &[Vec<u64>], &[u64]) -> Result<Vec<(Vec<u64>, Vec<u64>)>, MpcError>,
) -> Result<Decomposed, MpcError> {
    let b = NORM_BITS;
    let wb = WORD_BITS;
    if x.scale >= b {
        return Err(party.invalid("approx", format!("input at scale {} ≥ {b}", x.scale)));
    }
    let n = x.len();
    let low = (1u64 << wb) - 1;
    let w = a2b_words(party, &to_vec(&x.data))?;
    // v = |x| for x ≥ 0 and |x| - 1 (= !x) for x < 0: XOR with the sign broadcast (local).
    let s_mask: Vec<u64> = w.iter().map(|&v| ((v as i64) >> 63) as u64).collect();
    let v: Vec<u64> = w.iter().zip(&s_mask).map(|(w, s)| (w ^ s) & low).collect();
    // Prefix OR towards bit 0: y |= y >> d, with a | b = a ⊕ b ⊕ (a & b).
    let mut y = v.clone();
    for d in PREFIX_LEVELS {
        let shifted: Vec<u64> = y.iter().map(|y| y >> d).collect();
        let both = and_words(party, &y, &shifted)?;
        for ((y, s), b) in y.iter_mut().zip(&shifted).zip(&both) {
            *y ^= s ^ b;
        }
    }
    // Word 1: the leading bit alone (bits 0..WB). Word 2: v (bits 0..WB) and the sign at WB.
    // Shares of y are full random words: keep each field's share inside its bits.
    let mut packed: Vec<u64> = y.iter().map(|&y| (y ^ (y >> 1)) & low).collect();
    packed.extend(v.iter().zip(&s_mask).map(|(&v, &s_mask)| v ^ ((s_mask & 1) << wb)));
    let positions: Vec<u32> = (0..=wb).collect();
    let bits = b2a_bits(party, &packed, &positions)?;
    let mut onehot = Vec::with_capacity(wb as usize);
    let mut v_bits = Vec::with_capacity(wb as usize);
    for field in bits.iter().take(wb as usize) {
        let (h, vb) = field.split_at_checked(n).ok_or_else(|| party.invalid("approx", "too few bits"))?;
        onehot.push(h.to_vec());
        v_bits.push(vb.to_vec());
    }
    let sign =
        bits.get(wb as usize).and_then(|f| f.get(n..)).ok_or_else(|| party.invalid("approx", "no sign bit"))?.to_vec();
    // |x| = v + sign; for p < B: the normaliser c = Σ_{j<B} onehot_j · 2^(B-1-j).
    let v_arith = combine_bits(&v_bits, n, |j| (1u64 << j) as f64, 0)?;
    let abs: Vec<u64> = v_arith.iter().zip(&sign).map(|(v, s)| v.wrapping_add(*s)).collect();
    let c = combine_bits(&onehot, n, |j| if j < b as usize { (1u64 << (b as usize - 1 - j)) as f64 } else { 0.0 }, 0)?;
    let mut pairs: Vec<(Vec<u64>, Vec<u64>)> = vec![(abs, c)];
    // For p ≥ B: onehot_p · ⌊v / 2^(p+1-B)⌋ (at scale B: the top B bits of v).
    for (j, h) in onehot.iter().enumerate().skip(b as usize) {
        let k = j + 1 - b as usize;
        let shifted = combine_bits(v_bits.get(k..).unwrap_or_default(), n, |i| (1u64 << i) as f64, 0)?;
        pairs.push((h.clone(), shifted));
    }
    let n_norm = pairs.len();
    let extra = side(party, &onehot, &sign)?;
    pairs.extend(extra);
    let refs: Vec<(&[u64], &[u64])> = pairs.iter().map(|(l, r)| (l.as_slice(), r.as_slice())).collect();
    let mut prods = products_raw(party, &refs)?;
    let side_prods = prods.split_off(n_norm);
    let mut m = vec![0u64; n];
    for p in &prods {
        m.iter_mut().zip(p).for_each(|(m, p)| *m = m.wrapping_add(*p));
    }
    Ok(Decomposed { onehot, sign, m, side: side_prods })
}

/// Bits `positions` of binary-shared words `words` as unscaled arithmetic 0/1 shares
/// (`out[k][i]` = bit `positions[k]` of word i).
///
/// With dealer random bits r (shared both ways), open `(word & mask) ⊕ r_word` (one word per
/// element, where r_word carries one random bit at each position), then each bit is
/// `c + r - 2·c·r` locally. Cost: 1 round; each party sends 8·(N-1) bytes per element; the
/// dealer sends party 0 8 bytes per bit.
pub fn b2a_bits(party: &mut Party, words: &[u64], positions: &[u32]) -> Result<Vec<Vec<u64>>, MpcError> {
    let n = words.len();
    let q = positions.len();
    if q > 64 || positions.iter().any(|&p| p > 63) {
        return Err(party.invalid("b2a", "bad bit positions"));
    }
    let mask = positions.iter().fold(0u64, |m, &p| m | (1 << p));
    let req = Request::Bits { n: n * q };
    let (opened, [rb, ra]) = open_masked(party, "b2a", &req, Opening::Xor, n, |pend| {
        let r = pend.free(0);
        words
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let r_i = r.get(i * q..(i + 1) * q).unwrap_or_default();
                let rw = positions.iter().zip(r_i).fold(0u64, |acc, (&p, &rk)| acc | ((rk & 1) << p));
                (w & mask) ^ rw
            })
            .collect()
    })?;
    let _ = rb;
    let is_p0 = party.id() == 0;
    Ok(positions
        .iter()
        .enumerate()
        .map(|(k, &p)| {
            // `ra[i·q + k]` for each element i (q ≥ 1 here: k is one of the q positions).
            opened
                .iter()
                .zip(ra.iter().skip(k).step_by(q))
                .map(|(&o, &r)| {
                    let c = (o >> p) & 1;
                    let v = r.wrapping_mul(1u64.wrapping_sub(2 * c));
                    if is_p0 {
                        v.wrapping_add(c)
                    } else {
                        v
                    }
                })
                .collect()
        })
        .collect())
}
