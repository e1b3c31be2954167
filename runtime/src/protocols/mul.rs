//! Elementwise multiplication: private×public (local, then truncation) and private×private
//! (Beaver triples), and squaring (square pairs). Operands are broadcast to a common shape
//! before a triple is requested, so the dealer only deals same-shape triples.
//!
//! Scales: the raw product has scale `sx + sy`; the result is truncated to `max(sx, sy)`, so a
//! 0/1 (scale 0) operand multiplies without truncation.

use super::trunc::rescale;
use super::{broadcast_pair, flat, open_masked, Opening};
use crate::dealer::Request;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::{self, from_vec};
use crate::share::{Public, Shared};

/// `x · y` for two private operands (broadcasting).
///
/// Beaver: open `e = x - a` and `f = y - b` together, then
/// `z = c + e·b + f·a (+ e·f on party 0)`.
/// Cost: 1 round for the product, plus 1 round of truncation when both scales are nonzero.
/// Each party sends 2·(N-1)·8 bytes per element (plus the truncation's (N-1)·8); the dealer
/// sends party 0 8 bytes per element (c) (plus 16 for truncation).
pub fn mul(party: &mut Party, x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let raw = mul_raw(party, x, y)?;
    rescale(party, raw, x.scale.max(y.scale))
}

/// The Beaver product without truncation: scale `sx + sy`.
pub fn mul_raw(party: &mut Party, x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let (xd, yd) = broadcast_pair("mul", &x.data, &y.data)?;
    let shape = xd.shape().to_vec();
    let n = xd.len();
    // The dealer works on c while the parties open e and f.
    let (opened, [a, b, c]) = open_masked(party, "mul", &Request::Triple { n }, Opening::Add, 2 * n, |p| {
        let mut masked = Vec::with_capacity(2 * n);
        masked.extend(flat(&xd).iter().zip(p.free(0)).map(|(x, a)| x.wrapping_sub(*a)));
        masked.extend(flat(&yd).iter().zip(p.free(1)).map(|(y, b)| y.wrapping_sub(*b)));
        masked
    })?;
    let (e, f) = opened.split_at(n);
    if a.len() != n || b.len() != n || c.len() != n || f.len() != n {
        return Err(party.invalid("mul", "bad dealer reply"));
    }
    // z = c + e·b + f·a (+ e·f on party 0), written into c's buffer (no fresh allocation).
    let mut z = c;
    let ef = z.iter_mut().zip(e.iter().zip(f));
    if party.id() == 0 {
        ef.zip(a.iter().zip(&b)).for_each(|((z, (&e, &f)), (&a, &b))| {
            *z = z.wrapping_add(e.wrapping_mul(b)).wrapping_add(f.wrapping_mul(a)).wrapping_add(e.wrapping_mul(f));
        });
    } else {
        ef.zip(a.iter().zip(&b)).for_each(|((z, (&e, &f)), (&a, &b))| {
            *z = z.wrapping_add(e.wrapping_mul(b)).wrapping_add(f.wrapping_mul(a));
        });
    }
    Ok(Shared { data: from_vec("mul", &shape, z)?, scale: x.scale + y.scale })
}

/// `x · p` for a public `p` (broadcasting): local, then truncation.
/// Cost: 0 rounds if either scale is 0, else as `truncate`.
pub fn mul_public(party: &mut Party, x: &Shared, p: &Public) -> Result<Shared, MpcError> {
    let raw = Shared { data: ring::mul(&x.data, &p.data)?, scale: x.scale + p.scale };
    rescale(party, raw, x.scale.max(p.scale))
}

/// `x²` with a dealer square pair `(a, a²)`: open `e = x - a`, `x² = a² + 2·e·a (+ e² on party 0)`.
/// Cost: 1 round (plus truncation); each party sends (N-1)·8 bytes per element (half of `mul`);
/// the dealer sends party 0 8 bytes per element.
pub fn square(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let n = x.len();
    let (e, [a, s]) = open_masked(party, "square", &Request::Square { n }, Opening::Add, n, |p| {
        flat(&x.data).iter().zip(p.free(0)).map(|(x, a)| x.wrapping_sub(*a)).collect()
    })?;
    let is_p0 = party.id() == 0;
    let z: Vec<u64> = s
        .iter()
        .zip(&e)
        .zip(&a)
        .map(|((&s, &e), &a)| {
            let mut z = s.wrapping_add(e.wrapping_mul(a).wrapping_mul(2));
            if is_p0 {
                z = z.wrapping_add(e.wrapping_mul(e));
            }
            z
        })
        .collect();
    let raw = Shared { data: from_vec("square", x.shape(), z)?, scale: 2 * x.scale };
    rescale(party, raw, x.scale)
}
