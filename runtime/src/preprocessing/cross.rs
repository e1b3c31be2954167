//! Gilboa's products from correlated OT (Gilboa, CRYPTO 1999), batched and generalised to
//! bilinear maps: the receiver chooses with the `width` low bits of each of its elements `y_e`,
//! the sender's correlation for bit `l` of element `e` is `2^l·v_e` (a vector of `len` words that
//! depends on the sender's own operand), so the receiver's sums and the sender's negated sums are
//! additive shares of `Σ_l y_{e,l}·2^l·v_e = y_e·v_e`.
//!
//! [`cross`] runs both directions at once (each party sender in one, receiver in the other:
//! shares of `x_0·y_1 + x_1·y_0`), [`one_way`] only party 0 → party 1 (shares of `x_0·y_1`).
//! Work is cut into chunks of at most [`CHUNK_WORDS`] correlation words to bound memory.

use crate::comm::Comm;
use crate::ot::block::Tccr;
use crate::ot::iknp::{CotReceiver, CotSender};
use crate::ot::{messages, OtError};

/// At most this many correlation words in one batch of transfers (16 MiB).
pub const CHUNK_WORDS: usize = 1 << 21;

/// At most this many transfers in one batch: the batch's buffers stay small and are reused by
/// the allocator instead of being mapped afresh (2^11 measured fastest, docs/performance.md).
pub const CHUNK_TRANSFERS: usize = 1 << 11;

/// One party's end of the two IKNP instances and the hash.
pub struct OtCtx {
    pub party: usize,
    pub peer: usize,
    pub comm: Box<dyn Comm>,
    pub sender: CotSender,
    pub receiver: CotReceiver,
    pub hash: Tccr,
    /// Transfers run so far (as sender and as receiver).
    pub transfers: u64,
}

/// Which directions run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Both parties send and receive: shares of `x_0·y_1 + x_1·y_0`.
    Both,
    /// Party 0 sends, party 1 receives: shares of `x_0·y_1`.
    ZeroToOne,
}

/// Shares of the cross products over `n` elements. This party's receiver elements are `recv`
/// (`n` words, their low `width` bits used); `vector(e, out)` writes its sender vector for element
/// `e` (`len` words); `add(e, share)` receives its share of element `e`'s product (`len` words).
pub fn cross(
    ctx: &mut OtCtx,
    dir: Dir,
    recv: &[u64],
    width: u32,
    len: usize,
    mut vector: impl FnMut(usize, &mut [u64]),
    mut add: impl FnMut(usize, &[u64]),
) -> Result<(), OtError> {
    let (n, width) = (recv.len(), width.clamp(1, 64) as usize);
    let len = len.max(1);
    let sends = dir == Dir::Both || ctx.party == 0;
    let receives = dir == Dir::Both || ctx.party == 1;
    let per_chunk = (CHUNK_WORDS / (width * len)).min(CHUNK_TRANSFERS / width).max(1);
    let mut v = vec![0u64; len];
    let mut start = 0;
    while start < n {
        let end = (start + per_chunk).min(n);
        let m = (end - start) * width;
        let pending = if receives {
            let chosen = recv.get(start..end).unwrap_or(&[]);
            Some(messages::start_recv(&mut ctx.receiver, ctx.comm.as_mut(), ctx.peer, choices(chosen, width), m)?)
        } else {
            None
        };
        let mut share = vec![0u64; (end - start) * len];
        if sends {
            let mut corr = Vec::with_capacity(m * len);
            for e in start..end {
                vector(e, &mut v);
                for l in 0..width {
                    corr.extend(v.iter().map(|w| w << l));
                }
            }
            let s = messages::send_add(&mut ctx.sender, &mut ctx.hash, ctx.comm.as_mut(), ctx.peer, len, &corr)?;
            fold(&mut share, &s, width, len, true);
            ctx.transfers += m as u64;
        }
        if let Some(p) = pending {
            let o = messages::finish_recv_add(p, &mut ctx.hash, ctx.comm.as_mut(), ctx.peer, len)?;
            fold(&mut share, &o, width, len, false);
            ctx.transfers += m as u64;
        }
        for (e, sh) in (start..end).zip(share.chunks_exact(len)) {
            add(e, sh);
        }
        start = end;
    }
    Ok(())
}

/// Adds (or subtracts, `negate`) the `width` transfers of each element into its share.
fn fold(share: &mut [u64], got: &[u64], width: usize, len: usize, negate: bool) {
    for (sh, g) in share.chunks_exact_mut(len).zip(got.chunks_exact(width * len)) {
        for t in g.chunks_exact(len) {
            for (a, b) in sh.iter_mut().zip(t) {
                *a = if negate { a.wrapping_sub(*b) } else { a.wrapping_add(*b) };
            }
        }
    }
}

/// The choice bits of `elems`, `width` per element, packed 64 to a word.
fn choices(elems: &[u64], width: usize) -> Vec<u64> {
    if width == 64 {
        return elems.to_vec();
    }
    let mut out = vec![0u64; (elems.len() * width).div_ceil(64)];
    for (e, x) in elems.iter().enumerate() {
        for l in 0..width {
            let j = e * width + l;
            if let Some(w) = out.get_mut(j / 64) {
                *w |= ((x >> l) & 1) << (j % 64);
            }
        }
    }
    out
}

/// Shares of `x_0 ⊕ … ` bitwise cross ANDs `x_0 & y_1 ⊕ x_1 & y_0` of 64-bit words (one bit
/// transfer per bit and direction), for AND triples.
pub fn cross_and(ctx: &mut OtCtx, x: &[u64], y: &[u64]) -> Result<Vec<u64>, OtError> {
    let per_chunk = (CHUNK_TRANSFERS / 64).max(1);
    let mut out = Vec::with_capacity(x.len());
    for (xs, ys) in x.chunks(per_chunk).zip(y.chunks(per_chunk)) {
        let m = 64 * xs.len();
        let pending = messages::start_recv(&mut ctx.receiver, ctx.comm.as_mut(), ctx.peer, ys.to_vec(), m)?;
        let s = messages::send_xor(&mut ctx.sender, &mut ctx.hash, ctx.comm.as_mut(), ctx.peer, xs, m)?;
        let o = messages::finish_recv_xor(pending, &mut ctx.hash, ctx.comm.as_mut(), ctx.peer)?;
        out.extend(s.iter().zip(&o).map(|(a, b)| a ^ b));
        ctx.transfers += 2 * m as u64;
    }
    Ok(out)
}
