//! Private approximations of nonlinear functions: exp, log, sqrt, inv_sqrt, reciprocal,
//! sigmoid, tanh, softmax, log_softmax, and division by a private value.
//!
//! This module is the entry point the MPC executor dispatches to; each family lives in its own
//! file. Domains, methods, rounds and bytes per element are in docs/accuracy.md.

use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::share::Shared;
use mpcc_ir::UnaryOp;

/// `op(x)` elementwise for the approximated unary ops (`Exp`, `Log`, `Sqrt`, `InvSqrt`,
/// `Reciprocal`, `Sigmoid`, `Tanh`). Other ops are the caller's business.
pub fn unary(party: &mut Party, op: UnaryOp, x: &Shared) -> Result<Shared, MpcError> {
    let _ = x;
    Err(party.invalid(
        "approx",
        format!(
            "`{}` is not available on private values yet",
            mpcc_ir::unary_name(op)
        ),
    ))
}

/// `softmax(x)` along `axis` (already resolved against `x`'s rank).
pub fn softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    let _ = (x, axis);
    Err(party.invalid("softmax", "not available on private values yet"))
}

/// `log_softmax(x)` along `axis` (already resolved against `x`'s rank).
pub fn log_softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    let _ = (x, axis);
    Err(party.invalid("log_softmax", "not available on private values yet"))
}
