//! The secure protocols, one file per family. Each function runs one party's side over a
//! `&mut Party` and returns this party's share; the same code runs simulated, networked or
//! counted. Kernels are named after their operands' labels (`*_public` takes one public operand).
//!
//! Rounds and bytes per element are in each function's doc comment and collected in
//! `docs/protocols.md`. No protocol logs or opens anything but the masked values its doc names.

pub mod arith;
pub mod binary;
pub mod compare;
pub mod convert;
pub mod matmul;
pub mod mul;
pub mod select;
pub mod trunc;

#[cfg(test)]
mod tests;

use crate::mpc_error::MpcError;
use crate::ring::{broadcast_shape, broadcast_to, RingTensor};

/// Both operands broadcast to their common shape (standard layout).
pub(crate) fn broadcast_pair(
    op: &'static str,
    a: &RingTensor,
    b: &RingTensor,
) -> Result<(RingTensor, RingTensor), MpcError> {
    let shape = broadcast_shape(op, a.shape(), b.shape())?;
    Ok((broadcast_to(op, a, &shape)?, broadcast_to(op, b, &shape)?))
}
