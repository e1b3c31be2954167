//! `sqrt(x)` and `inv_sqrt(x)` on private values by range reduction (as `reciprocal.rs`):
//! x = m·2^(p+1-f) with m in [0.5, 1]; a degree-8 Chebyshev polynomial gives m^(±1/2) and the
//! factor 2^(±(p+1-f)/2) is a local combination of the one-hot bits of p (half-integer powers
//! included, so no parity case split). One product and a truncation finish.
//!
//! Domain: x in [2^-f, 2^(28-f)), i.e. [1.5e-5, 4096) at f = 16 (`sqrt(0)` gives 0; negative
//! inputs are outside the domain). Cost: L + 23 rounds (23 for N = 2), as `reciprocal`.
//!
//! `pow(x, k)` for a public integer k ≥ 0 is repeated squaring in the executor (⌊log2 k⌋
//! squarings and popcount(k) - 1 products, 2 rounds each); a negative k is `reciprocal` first.

use super::bits::{decompose, NORM_BITS};
use super::kernels::{combine_bits, flat, products_raw, shaped};
use super::poly;
use super::reciprocal::{on_m, unit_of_m};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::trunc::truncate;
use crate::share::Shared;

/// The documented input domain (at f = 16).
pub const DOMAIN: (f64, f64) = (1.0 / 65536.0, 4096.0);

/// `sqrt(x)`, at x's scale.
pub fn sqrt(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    root(party, x, 0.5)
}

/// `1/sqrt(x)`, at x's scale.
pub fn inv_sqrt(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    root(party, x, -0.5)
}

/// x^e for e = ±1/2.
fn root(party: &mut Party, x: &Shared, e: f64) -> Result<Shared, MpcError> {
    let f = x.scale;
    let n = x.len();
    let b = NORM_BITS;
    // The largest factor 2^(e·(j+1-f)) over j in 0..B, and the largest m^e (√2 or 1).
    let g_max = (0..b).map(|j| e * (f64::from(j) + 1.0 - f64::from(f))).fold(f64::MIN, f64::max);
    let p_max = if e < 0.0 { 0.5 } else { 0.0 };
    let s = (61.0 - f64::from(b) - p_max - g_max).floor().max(1.0) as u32;
    let dec = decompose(party, x, |_, _, _| Ok(vec![]))?;
    let g = combine_bits(&dec.onehot, n, |j| 2f64.powf(e * (j as f64 + 1.0 - f64::from(f))), s)?;
    let u = unit_of_m(party, &dec.m)?;
    let coeffs = poly::chebyshev_fit(on_m(|m| m.powf(e)), 8);
    let p = poly::eval(party, &u, &coeffs, None, b)?;
    let p = crate::ring::to_vec(&p.data);
    let raw = products_raw(party, &[(&p, &g)])?.remove(0);
    let out = truncate(party, &flat(raw, b + s)?, b + s - f)?;
    shaped(out, x.shape())
}
