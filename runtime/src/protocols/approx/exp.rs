//! `exp(x)` on private values: a degree-8 Chebyshev polynomial of e^t for t = x/16 in [-1, 1],
//! then four squarings: e^x = (e^(x/16))^16.
//!
//! Domain: x in [-16, 16] (x/16 is exact: a reinterpretation of the encoding's scale). Below it,
//! down to about -40, the result is still 0 within 2^-16; from about -44 down the polynomial is
//! used too far outside [-1, 1] and the result is wrong, and above about 18 the squarings
//! overflow. Callers that may see very negative inputs clamp first (softmax, sigmoid do). The squarings run at
//! falling scales (28, 27, 24, 18 fractional bits for the domain's upper end) so that every raw
//! square stays below the truncation limit 2^62 while small values keep their relative precision.
//! Cost: 7 rounds (polynomial) + 4·2 (square, truncate) = 15 rounds for any N, no comparisons.

use super::kernels::{shaped, square_raw, to_scale};
use super::poly;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::share::Shared;

/// The working scale of the polynomial argument.
pub const W: u32 = 28;
/// Squarings: e^x = (e^(x / 2^SQUARINGS))^(2^SQUARINGS).
pub const SQUARINGS: u32 = 4;
/// The degree of the polynomial for e^t on [-1, 1].
pub const DEGREE: usize = 8;
/// The documented input domain.
pub const DOMAIN: (f64, f64) = (-16.0, 16.0);

/// `e^x` at the run's precision (x's scale). Domain: [-16, 16].
pub fn exp(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let out = x.scale;
    let t = unit_arg(party, x, SQUARINGS)?;
    exp_of_unit(party, &t, DOMAIN.1, out)
}

/// `x / 2^k` at scale `W` (exact when x's scale + k ≤ W: a reinterpretation and a shift).
pub(super) fn unit_arg(party: &mut Party, x: &Shared, k: u32) -> Result<Shared, MpcError> {
    let as_div = Shared::new(x.data.clone(), x.scale + k);
    to_scale(party, &as_div, W)
}

/// `e^(16·t)` for a private t in [-1, 1] at scale `W`, where 16·t ≤ `x_max`, at `out_scale`.
/// Cost: 15 rounds.
pub(super) fn exp_of_unit(party: &mut Party, t: &Shared, x_max: f64, out_scale: u32) -> Result<Shared, MpcError> {
    let shape = t.shape().to_vec();
    let coeffs = poly::chebyshev_fit(f64::exp, DEGREE);
    // The scale of each squaring's input: 2·s + 2·log2(max value) ≤ 61, capped at W.
    let steps = 1u32 << SQUARINGS;
    let scale_of = |j: u32| -> u32 {
        let max_log2 = (x_max * f64::from(1u32 << j) / f64::from(steps)).max(0.0) * std::f64::consts::LOG2_E;
        (((61.0 - 2.0 * max_log2) / 2.0).floor() as u32).min(W)
    };
    let mut y = poly::eval(party, t, &coeffs, None, scale_of(0))?;
    for j in 0..SQUARINGS {
        let target = if j + 1 < SQUARINGS { scale_of(j + 1) } else { out_scale };
        let sq = square_raw(party, &y)?;
        y = to_scale(party, &sq, target)?;
    }
    shaped(y, &shape)
}
