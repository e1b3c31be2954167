//! Range reduction by a private bit decomposition: for a share `x` (scale f, |x| < 2^(B - f)),
//! one A2B gives x's bits; a prefix OR over them gives the position p of the leading bit of |x|
//! as a one-hot word; one opening converts the one-hot bits, the bits of |x| and the sign to
//! arithmetic 0/1 shares. Then any public function of p is a *local* linear combination
//! `Σ_j g(j)·onehot_j` (e.g. 2^-p, 2^(-p/2), p·ln 2), and `|x|·2^(B-1-p)` is x normalised into
//! [0.5, 1] at scale B.
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

/// B: the bits the decomposition covers. Inputs need |x·2^f| < 2^B, i.e. |x| < 2^(28 - f)
/// (4096 at f = 16); the normalised value comes out at scale B.
pub const NORM_BITS: u32 = 28;

/// Prefix-OR levels: shifts 1, 2, 4, 8, 16 spread the leading bit over 31 ≥ B positions.
const PREFIX_LEVELS: [u32; 5] = [1, 2, 4, 8, 16];

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
/// Cost: A2B (L + 7 rounds), 5 AND rounds of the prefix OR, 1 round of B2A (one word per
/// element), 1 Beaver round: L + 14 rounds (14 for N = 2). Per element each party sends
/// 8·(N-1)·(24 + 2G) (A2B) + 5·16·(N-1) (prefix OR) + 8·(N-1) (B2A) + 16·(N-1) per product.
pub fn decompose(
    party: &mut Party,
    x: &Shared,
    side: impl FnOnce(&Party, &[Vec<u64>], &[u64]) -> Result<Vec<(Vec<u64>, Vec<u64>)>, MpcError>,
) -> Result<Decomposed, MpcError> {
    let b = NORM_BITS;
    if x.scale >= b {
        return Err(party.invalid("approx", format!("input at scale {} ≥ {b}", x.scale)));
    }
    let n = x.len();
    let low = (1u64 << b) - 1;
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
    // The leading bit alone; bits 0..B of it, bits B..2B of v, the sign at 2B.
    let packed: Vec<u64> = y
        .iter()
        .zip(&v)
        .zip(&s_mask)
        .map(|((&y, &v), &s_mask)| {
            // Shares of y are full random words: keep each field's share inside its bits.
            let h = (y ^ (y >> 1)) & low;
            h ^ (v << b) ^ ((s_mask & 1) << (2 * b))
        })
        .collect();
    let positions: Vec<u32> = (0..=2 * b).collect();
    let bits = b2a_bits(party, &packed, &positions)?;
    let fields = bits.split_at_checked(b as usize).and_then(|(onehot, rest)| {
        let (v_bits, rest) = rest.split_at_checked(b as usize)?;
        Some((onehot.to_vec(), v_bits, rest.first()?.clone()))
    });
    let Some((onehot, v_bits, sign)) = fields else {
        return Err(party.invalid("approx", "too few bits"));
    };
    // |x| = v + sign; the normaliser c = Σ_j onehot_j · 2^(B-1-j).
    let v_arith = combine_bits(v_bits, n, |j| (1u64 << j) as f64, 0)?;
    let abs: Vec<u64> = v_arith.iter().zip(&sign).map(|(v, s)| v.wrapping_add(*s)).collect();
    let c = combine_bits(&onehot, n, |j| (1u64 << (b as usize - 1 - j)) as f64, 0)?;
    let extra = side(party, &onehot, &sign)?;
    let mut pairs: Vec<(&[u64], &[u64])> = vec![(&abs, &c)];
    pairs.extend(extra.iter().map(|(l, r)| (l.as_slice(), r.as_slice())));
    let mut prods = products_raw(party, &pairs)?;
    let m = prods.remove(0);
    // |x|·c is at scale f + 0; read at scale B it is |x|·2^(B-1-p)/2^B·… ∈ [0.5, 1]: the integer
    // |X|·2^(B-1-p) lies in [2^(B-1), 2^B].
    Ok(Decomposed { onehot, sign, m, side: prods })
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
