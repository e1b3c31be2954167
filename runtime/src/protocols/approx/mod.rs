//! Private approximations of nonlinear functions: exp, log, sqrt, inv_sqrt, reciprocal,
//! sigmoid, tanh, softmax, log_softmax, and division by a private value.
//!
//! This module is the entry point the MPC executor dispatches to; each family lives in its own
//! file (`exp.rs`, `log.rs`, `sqrt.rs`, `reciprocal.rs`, `sigmoid.rs`, `softmax.rs`), on top of
//! the shared pieces `poly.rs` (Chebyshev fits, power-tree evaluation), `bits.rs` (range reduction
//! by a private bit decomposition), `piecewise.rs` (piecewise polynomials selected by one batched
//! comparison) and `kernels.rs`. `crypten.rs` holds CrypTen 0.4.1's default
//! methods, used only by the accuracy table (`accuracy.rs`) and the tests. Domains, methods,
//! rounds and bytes per element are in docs/accuracy.md.

pub mod accuracy;
pub mod bits;
pub mod crypten;
pub mod exp;
pub(crate) mod kernels;
pub mod log;
mod piecewise;
pub mod poly;
pub mod reciprocal;
pub mod sigmoid;
pub mod softmax;
pub mod sqrt;

#[cfg(test)]
mod range_tests;
#[cfg(test)]
mod tests;

use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::share::Shared;
use mpcc_ir::UnaryOp;

/// `op(x)` elementwise for the approximated unary ops (`Exp`, `Log`, `Sqrt`, `InvSqrt`,
/// `Reciprocal`, `Sigmoid`, `Tanh`). Other ops are the caller's business.
pub fn unary(party: &mut Party, op: UnaryOp, x: &Shared) -> Result<Shared, MpcError> {
    match op {
        UnaryOp::Exp => exp::exp(party, x),
        UnaryOp::Log => log::log(party, x),
        UnaryOp::Sqrt => sqrt::sqrt(party, x),
        UnaryOp::InvSqrt => sqrt::inv_sqrt(party, x),
        UnaryOp::Reciprocal => reciprocal::reciprocal(party, x),
        UnaryOp::Sigmoid => sigmoid::sigmoid(party, x),
        UnaryOp::Tanh => sigmoid::tanh(party, x),
        _ => Err(party.invalid("approx", format!("`{}` is not an approximated op", mpcc_ir::unary_name(op)))),
    }
}

/// The input range on which `op`'s private approximation meets its documented error bound
/// (docs/accuracy.md), for `frac_bits` fractional bits; `None` for ops that take every
/// encodable input (sigmoid, tanh) or are not approximated. The plaintext engine's domain
/// warnings use it, so a program that leaves it is found before running privately.
pub fn private_domain(op: UnaryOp, frac_bits: u32) -> Option<PrivateDomain> {
    let ulp = 2f64.powi(-(frac_bits as i32));
    // The bit decomposition covers every encodable input, |x·2^f| < 2^62.
    let top = 2f64.powi(bits::WORD_BITS as i32 - frac_bits as i32) - ulp;
    let (lo, hi, on_magnitude) = match op {
        // Below the underflow point the result is 0, which is right; from the overflow point on it
        // saturates at the largest encodable value.
        UnaryOp::Exp => (f64::NEG_INFINITY, exp::overflow_point(frac_bits) - ulp, false),
        UnaryOp::Log | UnaryOp::InvSqrt => (ulp, top, false),
        UnaryOp::Sqrt => (0.0, top, false),
        UnaryOp::Reciprocal => (ulp, top, true),
        _ => return None,
    };
    Some(PrivateDomain { lo, hi, on_magnitude })
}

/// A closed input range `[lo, hi]`, on x or on |x|.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrivateDomain {
    pub lo: f64,
    pub hi: f64,
    /// The bounds apply to |x| (reciprocal and division: both signs).
    pub on_magnitude: bool,
}

impl PrivateDomain {
    /// Whether `x` lies in the range.
    pub fn contains(&self, x: f64) -> bool {
        let v = if self.on_magnitude { x.abs() } else { x };
        v >= self.lo && v <= self.hi
    }
}

/// `softmax(x)` along `axis` (already resolved against `x`'s rank).
pub fn softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    softmax::softmax(party, x, axis)
}

/// `log_softmax(x)` along `axis` (already resolved against `x`'s rank).
pub fn log_softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    softmax::log_softmax(party, x, axis)
}
