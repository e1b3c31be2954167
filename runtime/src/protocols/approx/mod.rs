//! Private approximations of nonlinear functions: exp, log, sqrt, inv_sqrt, reciprocal,
//! sigmoid, tanh, softmax, log_softmax, and division by a private value.
//!
//! This module is the entry point the MPC executor dispatches to; each family lives in its own
//! file (`exp.rs`, `log.rs`, `sqrt.rs`, `reciprocal.rs`, `sigmoid.rs`, `softmax.rs`), on top of
//! the shared pieces `poly.rs` (Chebyshev fits, power-tree evaluation), `bits.rs` (range reduction
//! by a private bit decomposition) and `kernels.rs`. `crypten.rs` holds CrypTen 0.4.1's default
//! methods, used only by the accuracy table (`accuracy.rs`) and the tests. Domains, methods,
//! rounds and bytes per element are in docs/accuracy.md.

pub mod accuracy;
pub mod bits;
pub mod crypten;
pub mod exp;
mod kernels;
pub mod log;
pub mod poly;
pub mod reciprocal;
pub mod sigmoid;
pub mod softmax;
pub mod sqrt;

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

/// `softmax(x)` along `axis` (already resolved against `x`'s rank).
pub fn softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    softmax::softmax(party, x, axis)
}

/// `log_softmax(x)` along `axis` (already resolved against `x`'s rank).
pub fn log_softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    softmax::log_softmax(party, x, axis)
}
