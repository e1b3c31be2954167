//! `sqrt(x)` and `inv_sqrt(x)` on private values by range reduction (as `reciprocal.rs`):
//! x = m·2^(p+1-f) with m in [0.5, 1]; a degree-8 Chebyshev polynomial gives m^(±1/2) and the
//! factor 2^(±(p+1-f)/2) is a local combination of the one-hot bits of p (half-integer powers
//! included, so no parity case split). One product and a truncation finish.
//!
//! Domain: every positive encodable x, [2^-f, 2^(62-f)) (`sqrt(0)` gives 0; negative inputs are
//! outside the domain). Cost: L + 22 rounds for inv_sqrt, as `reciprocal`; L + 23 for sqrt (its
//! factor spans two scales, see `root`).
//!
//! `pow(x, k)` for a public integer k ≥ 0 is repeated squaring in the executor (⌊log2 k⌋
//! squarings and popcount(k) - 1 products, 2 rounds each); a negative k is `reciprocal` first.

use super::bits::{decompose, NORM_BITS, WORD_BITS};
use super::kernels::{combine_bits, flat, products_raw, shaped};
use super::poly;
use super::reciprocal::{on_m, unit_of_m};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::trunc::truncate;
use crate::share::Shared;

/// The documented input domain (at f = 16).
pub const DOMAIN: (f64, f64) = (1.0 / 65536.0, 70_368_744_177_664.0);

/// `sqrt(x)`, at x's scale.
pub fn sqrt(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    root(party, x, 0.5)
}

/// `1/sqrt(x)`, at x's scale.
pub fn inv_sqrt(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    root(party, x, -0.5)
}

/// x^e for e = ±1/2.
///
/// The factor g(p) = 2^(e·(p+1-f)) spans up to 2^31 over the 62 positions, too wide for one
/// fixed-point scale next to P at scale B. So the one-hot splits in two halves by the size of
/// g: each half's product P·g_half has its own scale (every raw product below 2^61) and its own
/// truncation to f. For inv_sqrt the large half is empty (g ≤ 2^((f-1)/2)) and one truncation
/// suffices; sqrt needs two (one more round).
fn root(party: &mut Party, x: &Shared, e: f64) -> Result<Shared, MpcError> {
    let f = x.scale;
    let n = x.len();
    let b = NORM_BITS;
    let exponent = |j: usize| e * (j as f64 + 1.0 - f64::from(f));
    // The largest m^e (√2 for e < 0, else 1) and the scale that keeps P·g below 2^61.
    let p_max = if e < 0.0 { 0.5 } else { 0.0 };
    let scale_for = |g_max_log2: f64| (61.0 - f64::from(b) - p_max - g_max_log2).floor().clamp(1.0, 40.0) as u32;
    // Small half: g ≤ 2^SPLIT; large half: the rest.
    const SPLIT: f64 = 12.0;
    let small_max = (0..WORD_BITS as usize).map(exponent).filter(|&v| v <= SPLIT).fold(f64::MIN, f64::max);
    let large_max = (0..WORD_BITS as usize).map(exponent).filter(|&v| v > SPLIT).fold(f64::MIN, f64::max);
    let s_small = scale_for(small_max);
    let dec = decompose(party, x, |_, _, _| Ok(vec![]))?;
    let g_small =
        combine_bits(&dec.onehot, n, |j| if exponent(j) <= SPLIT { 2f64.powf(exponent(j)) } else { 0.0 }, s_small)?;
    let u = unit_of_m(party, &dec.m)?;
    let coeffs = poly::chebyshev_fit(on_m(|m| m.powf(e)), 8);
    let p = poly::eval(party, &u, &coeffs, None, b)?;
    let p = crate::ring::to_vec(&p.data);
    if large_max == f64::MIN {
        let raw = products_raw(party, &[(&p, &g_small)])?.remove(0);
        let out = truncate(party, &flat(raw, b + s_small)?, b + s_small - f)?;
        return shaped(out, x.shape());
    }
    let s_large = scale_for(large_max);
    let g_large =
        combine_bits(&dec.onehot, n, |j| if exponent(j) > SPLIT { 2f64.powf(exponent(j)) } else { 0.0 }, s_large)?;
    let mut raws = products_raw(party, &[(&p, &g_small), (&p, &g_large)])?;
    let large = raws.pop().unwrap_or_default();
    let small = raws.pop().unwrap_or_default();
    let small = truncate(party, &flat(small, b + s_small)?, b + s_small - f)?;
    let large = truncate(party, &flat(large, b + s_large)?, b + s_large - f)?;
    let out: Vec<u64> = crate::ring::to_vec(&small.data)
        .iter()
        .zip(crate::ring::to_vec(&large.data))
        .map(|(a, b)| a.wrapping_add(b))
        .collect();
    shaped(flat(out, f)?, x.shape())
}
