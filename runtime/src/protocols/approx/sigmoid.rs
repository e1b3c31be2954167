//! `sigmoid(x)` and `tanh(x)` on private values, as piecewise polynomials selected by one
//! batched comparison (`piecewise.rs`).
//!
//! sigmoid: 16 pieces of width 2 on [-16, 16], 0 below and 1 above (1 - sigmoid(16) ≈ 1.1e-7).
//! tanh: 16 pieces of width 1 on [-8, 8] (tanh's poles at ±iπ/2 are nearer the real axis, so the
//! pieces are narrower), -1 below and 1 above (1 - tanh(8) ≈ 2.3e-7). On each piece a degree-8
//! Chebyshev interpolant is accurate to better than 1e-7, so the result is within one unit in
//! the last place plus the truncation's rounding. No exp and no reciprocal are needed.
//!
//! Domain: every x that encodes. Cost: L + 13 rounds (13 for N = 2, 14 for N = 3; 6 with the DCF); per element
//! 17 comparisons and 15 products (7 for the powers, 8 for the coefficients).

use super::piecewise::{eval, Pieces};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::share::Shared;

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `1 / (1 + e^-x)`, at x's scale.
pub fn sigmoid(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let spec = Pieces { g: logistic, lo: -16.0, width: 2.0, pieces: 16, below: 0.0, above: 1.0 };
    eval(party, x, &spec)
}

/// `tanh(x)`, at x's scale.
pub fn tanh(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let spec = Pieces { g: f64::tanh, lo: -8.0, width: 1.0, pieces: 16, below: -1.0, above: 1.0 };
    eval(party, x, &spec)
}
