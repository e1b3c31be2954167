//! Fixed-point truncation of additive shares, correct for any number of parties.
//!
//! The protocol (after Escudero et al., "Improved primitives for MPC over mixed arithmetic-binary
//! circuits", 2020) opens `c = x + 2^62 + r` for a dealer pair (r uniform in Z_2^64, shared with
//! its top bit `msb(r)` and `(r mod 2^63) >> d`). Because `x + 2^62` lies in `[0, 2^63)`, the
//! carry into bit 63 of the sum is `msb(c) ⊕ msb(r)`, which is linear in the shared `msb(r)` once
//! `c` is public, so the wrap-around is accounted for exactly. No 2-party-only local trick is
//! used; nothing here fails for N > 2.

use super::{flat, open_masked, Opening};
use crate::dealer::Request;
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
/// most one unit in the last place, 2^-scale). Outside it the result is wrong (by ±2^(63-bits)).
/// Opens only `x + 2^62 + r` with r uniform, which is uniform.
///
/// Cost: 1 round; each party sends (N-1)·8 bytes per element; the dealer sends party 0
/// 16 bytes per element (msb(r) and the shifted r).
pub fn truncate(party: &mut Party, x: &Shared, bits: u32) -> Result<Shared, MpcError> {
    if bits == 0 {
        return Ok(x.clone());
    }
    if bits > 62 || bits > x.scale {
        return Err(party.invalid("truncate", format!("cannot drop {bits} bits from a value at scale {}", x.scale)));
    }
    let n = x.len();
    let is_p0 = party.id() == 0;
    let req = Request::Trunc { n, bits };
    let (c, [_r, m, t]) = open_masked(party, "truncate", &req, Opening::Add, n, |p| {
        let shift = if is_p0 { TWO_62 } else { 0 };
        flat(&x.data).iter().zip(p.free(0)).map(|(&xi, &ri)| xi.wrapping_add(ri).wrapping_add(shift)).collect()
    })?;
    let high_unit = 1u64 << (63 - bits);
    let offset = TWO_62 >> bits;
    if m.len() != n || t.len() != n {
        return Err(party.invalid("truncate", "bad dealer reply"));
    }
    // Written into the opened buffer (no fresh allocation).
    let mut out = c;
    out.iter_mut().zip(m.iter().zip(&t)).for_each(|(ci, (&mi, &ti))| {
        // carry = c63 ⊕ r63 = c63 + m - 2·c63·m, with the public part on party 0.
        let carry = if *ci >> 63 == 0 { mi } else { (is_p0 as u64).wrapping_sub(mi) };
        let mut y = carry.wrapping_mul(high_unit).wrapping_sub(ti);
        if is_p0 {
            y = y.wrapping_add((*ci & LOW_63) >> bits).wrapping_sub(offset);
        }
        *ci = y;
    });
    Ok(Shared { data: from_vec("truncate", x.shape(), out)?, scale: x.scale - bits })
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
