//! `log(x)` on private values by range reduction: x = m·2^(p+1-f) with m in [0.5, 1] (see
//! `bits.rs`), so ln x = ln m + (p + 1 - f)·ln 2. A degree-8 Chebyshev polynomial gives ln m;
//! the exponent term is a local combination of the one-hot bits of p, added inside the
//! polynomial's final sum, so it costs nothing.
//!
//! Domain: every positive encodable x, [2^-f, 2^(62-f)). Cost: decomposition (L + 15) +
//! polynomial (5) = L + 20 rounds (20 for N = 2).

use super::bits::{decompose, NORM_BITS};
use super::kernels::combine_bits;
use super::poly::{self, COEF_BITS};
use super::reciprocal::{on_m, unit_of_m};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::share::Shared;

/// The documented input domain (at f = 16).
pub const DOMAIN: (f64, f64) = (1.0 / 65536.0, 70_368_744_177_664.0);

/// `ln(x)`, at x's scale.
pub fn log(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let f = x.scale;
    let n = x.len();
    let dec = decompose(party, x, |_, _, _| Ok(vec![]))?;
    let exponent = combine_bits(
        &dec.onehot,
        n,
        |j| (j as f64 + 1.0 - f64::from(f)) * std::f64::consts::LN_2,
        NORM_BITS + COEF_BITS,
    )?;
    let u = unit_of_m(party, &dec.m)?;
    let coeffs = poly::chebyshev_fit(on_m(f64::ln), 8);
    let out = poly::eval(party, &u, &coeffs, Some(&exponent), f)?;
    super::kernels::shaped(out, x.shape())
}
