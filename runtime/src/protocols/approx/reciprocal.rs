//! `1/x` on private values by range reduction: the bit decomposition (`bits.rs`) gives
//! x = ±m·2^(p+1-f) with m in [0.5, 1] and the one-hot of p; a degree-8 Chebyshev polynomial
//! gives 1/m, and the factor ±2^(f-1-p) is a local combination of the one-hot bits (its sign
//! folded in during the normalisation's own product round). One product and a truncation finish.
//!
//! Domain: every encodable 2^-f ≤ |x| < 2^(62-f), both signs, except x = -2^-f (which gives 0). The
//! polynomial's error on [0.5, 1] is below 6e-7 (tested in `poly.rs`), so the result is within
//! about one unit in the last place plus 1e-6 relative. Cost: decomposition (L + 15) + polynomial (5) + product and
//! truncation (2) = L + 22 rounds (22 for N = 2, 23 for N = 3).
//!
//! Division by a private value (`a / b`) is `a · reciprocal(b)` in the executor: the same domain
//! for b, plus one private product (2 rounds).

use super::bits::{decompose, NORM_BITS};
use super::kernels::{affine, combine_bits, flat, products_raw, shaped};
use super::poly;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::trunc::truncate;
use crate::share::Shared;

/// The documented input domain of |x| (at f = 16).
pub const DOMAIN: (f64, f64) = (1.0 / 65536.0, 70_368_744_177_664.0);

/// The normalised argument u = 4m - 3 in [-1, 1] at scale B, from m in [0.5, 1] at scale B.
pub(super) fn unit_of_m(party: &Party, m: &[u64]) -> Result<Shared, MpcError> {
    flat(affine(party, m, 4, (3u64 << NORM_BITS).wrapping_neg()), NORM_BITS)
}

/// f(m) for u = 4m - 3: the function a family fits on [-1, 1].
pub(super) fn on_m(f: impl Fn(f64) -> f64) -> impl Fn(f64) -> f64 {
    move |u| f((u + 3.0) / 4.0)
}

/// `1/x`, at x's scale.
pub fn reciprocal(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let f = x.scale;
    let n = x.len();
    // P ≤ 2 at scale B times |g| ≤ 2^(f-1) at scale S stays below 2^61.
    let s = (61 - NORM_BITS - 1).saturating_sub(f.saturating_sub(1)).max(1);
    let dec = decompose(party, x, |party, onehot, sign| {
        let g = combine_bits(onehot, n, |j| 2f64.powi(f as i32 - 1 - j as i32), s)?;
        Ok(vec![(affine(party, sign, -2, 1), g)])
    })?;
    let u = unit_of_m(party, &dec.m)?;
    let coeffs = poly::chebyshev_fit(on_m(|m| 1.0 / m), 8);
    let p = poly::eval(party, &u, &coeffs, None, NORM_BITS)?;
    let p = crate::ring::to_vec(&p.data);
    let g = dec.side.first().cloned().unwrap_or_default();
    let raw = products_raw(party, &[(&p, &g)])?.remove(0);
    let out = truncate(party, &flat(raw, NORM_BITS + s)?, NORM_BITS + s - f)?;
    shaped(out, x.shape())
}
