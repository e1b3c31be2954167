//! Fixed-point truncation of additive shares, correct for any number of parties.
//!
//! The protocol (after Escudero et al., "Improved primitives for MPC over mixed arithmetic-binary
//! circuits", 2020) opens `c = x + 2^62 + r` for a dealer pair (r uniform in Z_2^64, shared with
//! its top bit `msb(r)` and `(r mod 2^63) >> d`). Because `x + 2^62` lies in `[0, 2^63)`, the
//! carry into bit 63 of the sum is `msb(c) ⊕ msb(r)`, which is linear in the shared `msb(r)` once
//! `c` is public, so the wrap-around is accounted for exactly. No 2-party-only local trick is
//! used; nothing here fails for N > 2.

use super::flat;
use crate::dealer::{Pending, Request};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::from_vec;
use crate::share::Shared;

const TWO_62: u64 = 1 << 62;
const LOW_63: u64 = (1 << 63) - 1;

/// `x / 2^bits` (the scale drops by `bits`).
///
/// Input range: the shared value, read as a signed 64-bit integer, must satisfy |x| < 2^62
/// (for a product of two values at 16 fractional bits: |real| < 2^30). Within that range it never
/// fails (failure probability 0) and the result is `floor(x / 2^bits)` or one more (an error of at
/// most one unit in the last place, 2^-scale; a shared 0 gives exactly 0). Outside it the result
/// is wrong (by ±2^(63-bits)). Opens only `x + 2^62 + r` with r uniform, which is uniform.
///
/// Cost: 1 round; each party sends (N-1)·8 bytes per element; the dealer sends party 0
/// 16 bytes per element (msb(r) and the shifted r).
pub fn truncate(party: &mut Party, x: &Shared, bits: u32) -> Result<Shared, MpcError> {
    let mut out = truncate_batch(party, &[(x, bits)])?;
    out.pop().ok_or_else(|| party.invalid("truncate", "no result"))
}

/// Several truncations in one round: `parts[i].0 / 2^parts[i].1` for every `i`, each as
/// [`truncate`] (same range condition and error), with one dealer request per part and every
/// masked word opened in a single message. Parts with `bits = 0` are returned unchanged; no
/// round at all when every part has `bits = 0`.
///
/// Cost: 1 round; per element of every truncated part, (N-1)·8 bytes from each party and 16
/// dealer bytes to party 0.
pub fn truncate_batch(party: &mut Party, parts: &[(&Shared, u32)]) -> Result<Vec<Shared>, MpcError> {
    for (x, bits) in parts {
        if *bits > 62 || *bits > x.scale {
            return Err(party.invalid("truncate", format!("cannot drop {bits} bits from a value at scale {}", x.scale)));
        }
    }
    let active: Vec<(&Shared, Divisor)> =
        parts.iter().filter(|(_, bits)| *bits > 0).map(|(x, bits)| (*x, Divisor::Shift(*bits))).collect();
    let mut done = open_divided(party, "truncate", &active)?.into_iter().zip(&active);
    parts
        .iter()
        .map(|(x, bits)| {
            if *bits == 0 {
                return Ok((*x).clone());
            }
            let (words, _) = done.next().ok_or_else(|| party.invalid("truncate", "too few results"))?;
            Ok(Shared { data: from_vec("truncate", x.shape(), words)?, scale: x.scale - bits })
        })
        .collect()
}

/// `⌊x / d⌋` for a public integer `2 ≤ d < 2^62`, at the same scale (the words are divided), in
/// one round with a dealer's division pair (`Request::DivPair`); the same protocol as
/// [`truncate`] with `2^bits` replaced by `d`.
///
/// Input range: as `truncate`, |x| < 2^62 as a signed word. Within it the result is `⌊x/d⌋ + e`
/// with `e ∈ {-1, 0, 1, 2}` (the three remainders that the opened word, the mask and the offset
/// 2^62 leave behind; `e ∈ {0, 1}` when `d` is a power of two); failure probability 0.
///
/// Needs a dealer: OT preprocessing cannot make division pairs (`DealerClient::dealt`); callers
/// fall back to truncations there.
///
/// Cost: 1 round; per element (N-1)·8 bytes from each party and 16 dealer bytes to party 0.
pub fn divide(party: &mut Party, x: &Shared, d: u64) -> Result<Shared, MpcError> {
    if !(2..1 << 62).contains(&d) {
        return Err(party.invalid("divide", format!("division by {d} (the divisor must be in 2..2^62)")));
    }
    let mut out = open_divided(party, "divide", &[(x, Divisor::By(d))])?;
    let words = out.pop().ok_or_else(|| party.invalid("divide", "no result"))?;
    Ok(Shared { data: from_vec("divide", x.shape(), words)?, scale: x.scale })
}

/// The public divisor of one part: `2^bits` (a truncation pair) or an integer (a division pair).
#[derive(Clone, Copy)]
enum Divisor {
    Shift(u32),
    By(u64),
}

impl Divisor {
    fn request(self, n: usize) -> Request {
        match self {
            Divisor::Shift(bits) => Request::Trunc { n, bits },
            Divisor::By(d) => Request::DivPair { n, d },
        }
    }

    /// `⌊v / D⌋`.
    fn apply(self, v: u64) -> u64 {
        match self {
            Divisor::Shift(bits) => v >> bits.min(63),
            Divisor::By(d) => v / d.max(1),
        }
    }
}

/// Every part's words divided by its divisor (each > 1), all masked words opened in one round:
/// `c = x + 2^62 + r`, then `⌊x/D⌋ ≈ ⌊c_low/D⌋ + carry·⌊2^63/D⌋ - ⌊r_low/D⌋ - ⌊2^62/D⌋` with
/// `c_low`, `r_low` the low 63 bits and `carry = msb(c) ⊕ msb(r)` linear in the shared `msb(r)`.
fn open_divided(party: &mut Party, op: &'static str, parts: &[(&Shared, Divisor)]) -> Result<Vec<Vec<u64>>, MpcError> {
    let is_p0 = party.id() == 0;
    let shift = if is_p0 { TWO_62 } else { 0 };
    // Begin every request (the dealer starts on all of them), mask, open all masked words in one
    // round, then finish the requests in order.
    let mut pending: Vec<Pending> = Vec::with_capacity(parts.len());
    let mut masked = Vec::with_capacity(parts.iter().map(|(x, _)| x.len()).sum());
    for (x, div) in parts {
        let p = party.dealer().begin(&div.request(x.len()))?;
        let r = p.free(0);
        if r.len() != x.len() {
            return Err(party.invalid(op, "bad dealer reply"));
        }
        masked.extend(flat(&x.data).iter().zip(r).map(|(&xi, &ri)| xi.wrapping_add(ri).wrapping_add(shift)));
        pending.push(p);
    }
    let mut opened = if parts.is_empty() { Vec::new() } else { party.open_owned(masked, false)? };
    // Each part's opened words, split off from the end (the single-part case keeps the buffer).
    let mut chunks: Vec<Vec<u64>> = Vec::with_capacity(parts.len());
    for (x, _) in parts.iter().rev() {
        let at = opened.len().checked_sub(x.len()).ok_or_else(|| party.invalid(op, "too few opened words"))?;
        chunks.push(if at == 0 { std::mem::take(&mut opened) } else { opened.split_off(at) });
    }
    chunks.reverse();
    let mut done = Vec::with_capacity(parts.len());
    for ((p, c), (_, div)) in pending.into_iter().zip(chunks).zip(parts) {
        let [_r, m, t] =
            <[Vec<u64>; 3]>::try_from(party.dealer().finish(p)?).map_err(|_| party.invalid(op, "bad dealer reply"))?;
        if m.len() != c.len() || t.len() != c.len() {
            return Err(party.invalid(op, "bad dealer reply"));
        }
        let (high, offset) = (div.apply(1 << 63), div.apply(TWO_62));
        // Written into the opened buffer (no fresh allocation); the divisor's kind is matched once.
        let mut out = c;
        match *div {
            Divisor::Shift(bits) => finish(&mut out, &m, &t, is_p0, high, offset, |v| v >> bits.min(63)),
            Divisor::By(d) => finish(&mut out, &m, &t, is_p0, high, offset, |v| v / d.max(1)),
        }
        done.push(out);
    }
    Ok(done)
}

/// Each opened word of `out` replaced by this party's share of `⌊x/D⌋` (see [`split_opened`]).
fn finish(out: &mut [u64], m: &[u64], t: &[u64], is_p0: bool, high: u64, offset: u64, div: impl Fn(u64) -> u64 + Copy) {
    out.iter_mut().zip(m.iter().zip(t)).for_each(|(ci, (&mi, &ti))| {
        let (public, share) = split_opened(*ci, mi, ti, high, offset, div);
        *ci = if is_p0 { public.wrapping_add(share) } else { share };
    });
}

/// One opened word `c = x + 2^62 + r` of a truncation (or division) by `D`, with this party's
/// shares `m` of `msb(r)` and `t` of `⌊r_low/D⌋`: `⌊x/D⌋ ≈ E + S`, where the public part `E`
/// (added by party 0) is `⌊c_low/D⌋ - ⌊2^62/D⌋ + msb(c)·⌊2^63/D⌋` and the share `S` is
/// `±m·⌊2^63/D⌋ - t`, the sign given by `msb(c)` (the carry `msb(c) ⊕ msb(r)` is linear in `m`
/// once `c` is public). `high` = ⌊2^63/D⌋, `offset` = ⌊2^62/D⌋, `div` = ⌊·/D⌋. `protocols::fused`
/// uses `S` as the truncated factor's Beaver mask.
#[inline]
pub(crate) fn split_opened(c: u64, m: u64, t: u64, high: u64, offset: u64, div: impl Fn(u64) -> u64) -> (u64, u64) {
    let top = c >> 63;
    let public = div(c & LOW_63).wrapping_sub(offset).wrapping_add(top.wrapping_mul(high));
    let signed_m = if top == 0 { m } else { m.wrapping_neg() };
    (public, signed_m.wrapping_mul(high).wrapping_sub(t))
}

/// Brings `x` down to at most `target` fractional bits (no-op when already there).
/// Cost: as `truncate` when it truncates, else nothing.
pub fn rescale(party: &mut Party, x: Shared, target: u32) -> Result<Shared, MpcError> {
    if x.scale <= target {
        return Ok(x);
    }
    let bits = x.scale - target;
    truncate(party, &x, bits)
}
