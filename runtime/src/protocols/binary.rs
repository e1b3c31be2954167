//! Binary (XOR) sharing of 64-bit words: local XOR/NOT/shifts and the AND gate with dealer binary
//! Beaver triples. The flat `and_words` is what the adders in `convert.rs` batch their gates into.

use super::{open_masked, Opening};
use crate::dealer::Request;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::{self, from_vec};
use crate::share::BinShared;

/// `x ⊕ y`. Local.
pub fn xor(x: &BinShared, y: &BinShared) -> Result<BinShared, MpcError> {
    Ok(BinShared { data: ring::xor(&x.data, &y.data)? })
}

/// `x ⊕ k` for public words `k` (party 0 applies it). Local.
pub fn xor_public(party: &Party, x: &BinShared, k: &ring::RingTensor) -> Result<BinShared, MpcError> {
    if party.id() == 0 {
        Ok(BinShared { data: ring::xor(&x.data, k)? })
    } else {
        Ok(BinShared { data: ring::xor(&x.data, &ndarray::ArrayD::zeros(k.raw_dim()))? })
    }
}

/// `x & k` for public words `k` (every party masks its share). Local.
pub fn and_public(x: &BinShared, k: &ring::RingTensor) -> Result<BinShared, MpcError> {
    Ok(BinShared { data: ring::and(&x.data, k)? })
}

/// Bit `i` of every word, moved to bit 0. Local.
pub fn bit(x: &BinShared, i: u32) -> BinShared {
    BinShared { data: x.data.mapv(|w| (w >> (i & 63)) & 1) }
}

/// `x & y` (bitwise on 64-bit words).
///
/// Beaver for AND: with a binary triple `(a, b, c = a & b)` open `e = x ⊕ a`, `f = y ⊕ b`, then
/// `z = c ⊕ (e & b) ⊕ (f & a) (⊕ e & f on party 0)`.
/// Cost: 1 round; each party sends 2·(N-1)·8 bytes per word; the dealer sends party 0 8 bytes
/// per word.
pub fn and(party: &mut Party, x: &BinShared, y: &BinShared) -> Result<BinShared, MpcError> {
    let (xd, yd) = super::broadcast_pair("and", &x.data, &y.data)?;
    let xs: Vec<u64> = xd.iter().copied().collect();
    let ys: Vec<u64> = yd.iter().copied().collect();
    let z = and_words(party, &xs, &ys)?;
    Ok(BinShared { data: from_vec("and", xd.shape(), z)? })
}

/// The AND gate on flat word vectors of equal length (one round, batched).
pub fn and_words(party: &mut Party, x: &[u64], y: &[u64]) -> Result<Vec<u64>, MpcError> {
    if x.len() != y.len() {
        return Err(party.invalid("and", format!("{} words and {} words", x.len(), y.len())));
    }
    let n = x.len();
    let (opened, [a, b, c]) = open_masked(party, "and", &Request::BinTriple { n }, Opening::Xor, 2 * n, |p| {
        let mut masked = Vec::with_capacity(2 * n);
        masked.extend(x.iter().zip(p.free(0)).map(|(x, a)| x ^ a));
        masked.extend(y.iter().zip(p.free(1)).map(|(y, b)| y ^ b));
        masked
    })?;
    let (e, f) = opened.split_at(n);
    if a.len() != n || b.len() != n || c.len() != n || f.len() != n {
        return Err(party.invalid("and", "bad dealer reply"));
    }
    // z = c ⊕ (e & b) ⊕ (f & a) (⊕ e & f on party 0), written into c's buffer.
    let mut z = c;
    let is_p0 = party.id() == 0;
    let public = if is_p0 { u64::MAX } else { 0 };
    z.iter_mut().zip(e.iter().zip(f)).zip(a.iter().zip(&b)).for_each(|((z, (&e, &f)), (&a, &b))| {
        *z ^= (e & b) ^ (f & a) ^ (e & f & public);
    });
    Ok(z)
}
