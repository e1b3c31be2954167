//! A matrix product whose left factor still waits for its truncation, in the product's one
//! round: the truncation of `x` (a raw product, `mpcc_ir::fold`) opened as `x @ y`'s Beaver
//! opening, with `y`'s mask kept from an earlier product (`Request::MatTripleReuse`), as in every
//! epoch of a training loop after the first two.
//!
//! As in `protocols::fused`: opening `x + 2^62 + r` gives the truncated `x` as `E + S_σ`, with
//! `E` public and `S_σ` a share of one of two dealer-known values chosen per element by the
//! opened top bit `σ` (`S_1 = S_0 - 2·msb(r)·2^(63-bits)`). With the kept `y = F + B` (`F`
//! opened before, `B` the kept mask): `trunc(x) @ y = E@F + E@B + S_σ@F + S_σ@B`, and
//! `S_σ@B = S_0@B - 2·2^(63-bits)·Σ_k σ[i,k]·msb(r)[i,k]·B[k,:]`: the dealer deals `K = S_0@B`
//! and `W[i,k,:] = msb(r)[i,k]·B[k,:]` (`dealer::products::correct_pending_matmul`), and the
//! parties sum the rows of `W` that the public `σ` picks. Only `x`'s masked words are opened.
//!
//! Cost: 1 round; each party sends (N-1)·8 bytes per element of `x`; the dealer sends party 0
//! 8·(2·m·k + m·p + m·k·p) bytes for `x` of shape [m, k] and `y` of shape [k, p].

use crate::dealer::Request;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::matmul::KeptMask;
use crate::protocols::trunc::split_opened;
use crate::ring::{self, from_vec};
use crate::share::Shared;

const TWO_62: u64 = 1 << 62;

/// `trunc(x, bits) @ y` without the product's own truncation (at `x.scale - bits + y.scale`), for
/// 2-D `x` (|x| < 2^62 as signed words) and `y`, whose mask `mask` is kept: one round.
pub fn matmul_pending_fixed(
    party: &mut Party,
    x: &Shared,
    bits: u32,
    y: &Shared,
    mask: &KeptMask,
) -> Result<Shared, MpcError> {
    let (&[m, k], &[k2, p]) = (x.shape(), y.shape()) else {
        return Err(party.invalid("matmul", "a pending matrix product of matrices only"));
    };
    if k != k2 || mask.opened.shape() != y.shape() || mask.share.shape() != y.shape() || !(1..=62).contains(&bits) {
        return Err(party.invalid("matmul", "a pending matrix product of mismatched parts"));
    }
    if bits > x.scale {
        return Err(party.invalid("matmul", format!("cannot drop {bits} bits from a value at scale {}", x.scale)));
    }
    let req = Request::MatPending { a: vec![m, k], b: vec![k, p], bits, id: mask.id };
    let is_p0 = party.id() == 0;
    let pending = party.dealer().begin(&req)?;
    let r = pending.free(0);
    let xs = ring::to_vec(&x.data);
    if r.len() != xs.len() {
        return Err(party.invalid("matmul", "bad dealer reply"));
    }
    let shift = if is_p0 { TWO_62 } else { 0 };
    let masked: Vec<u64> = xs.iter().zip(r).map(|(x, r)| x.wrapping_add(*r).wrapping_add(shift)).collect();
    let opened = party.open_owned(masked, false)?;
    let parts = party.dealer().finish(pending)?;
    let [_, mb, low, kp, w] = parts.as_slice() else { return Err(party.invalid("matmul", "bad dealer reply")) };
    if [mb.len(), low.len(), opened.len()].iter().any(|&l| l != m * k) || kp.len() != m * p || w.len() != m * k * p {
        return Err(party.invalid("matmul", "bad dealer reply"));
    }
    let (high, offset) = (1u64 << (63 - bits), TWO_62 >> bits);
    let mut e = Vec::with_capacity(m * k);
    let mut s = Vec::with_capacity(m * k);
    let mut sel = Vec::with_capacity(m * k);
    for ((&c, &mv), &t) in opened.iter().zip(mb).zip(low) {
        let (pe, sh) = split_opened(c, mv, t, high, offset, |v| v >> bits);
        e.push(pe);
        s.push(sh);
        sel.push(c >> 63 == 1);
    }
    let e = from_vec("matmul", &[m, k], e)?;
    let s = from_vec("matmul", &[m, k], s)?;
    // K + E@B + S@F (+ E@F on party 0), then the rows of W that σ picks, times -2·2^(63-bits).
    let mut z = ring::add(&ring::matmul(&e, &mask.share)?, &ring::matmul(&s, &mask.opened)?)?;
    if is_p0 {
        z = ring::add(&z, &ring::matmul(&e, &mask.opened)?)?;
    }
    let mut words = ring::to_vec(&z);
    let factor = high.wrapping_mul(2).wrapping_neg();
    for (i, row) in words.chunks_mut(p.max(1)).enumerate() {
        if let Some(ks) = kp.get(i * p..(i + 1) * p) {
            row.iter_mut().zip(ks).for_each(|(z, k)| *z = z.wrapping_add(*k));
        }
        for kk in 0..k {
            if sel.get(i * k + kk) != Some(&true) {
                continue;
            }
            if let Some(ws) = w.get((i * k + kk) * p..(i * k + kk + 1) * p) {
                row.iter_mut().zip(ws).for_each(|(z, w)| *z = z.wrapping_add(factor.wrapping_mul(*w)));
            }
        }
    }
    Ok(Shared { data: from_vec("matmul", &[m, p], words)?, scale: x.scale - bits + y.scale })
}
