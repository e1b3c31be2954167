//! The secure protocols, one file per family. Each function runs one party's side over a
//! `&mut Party` and returns this party's share; the same code runs simulated, networked or
//! counted. Kernels are named after their operands' labels (`*_public` takes one public operand).
//!
//! Rounds and bytes per element are in each function's doc comment and collected in
//! `docs/protocols.md`. No protocol logs or opens anything but the masked values its doc names.
//!
//! Where each IR op's private kernel lives (a public operand enters as `Shared::from_public`, or
//! through the `*_public` kernel where one exists):
//!
//! | IR op | kernel |
//! |---|---|
//! | `Share`, `Reveal`, `Output(to=P)` | `share::share_from`, `share::reveal`, `share::reveal_to` |
//! | `Add`, `Sub`, `Neg` | `arith::{add, sub, neg, add_public, sub_public, public_sub}` |
//! | `Mul` | `mul::mul` (private×private), `mul::mul_public` |
//! | `Div` by a public value | `arith::div_public` |
//! | `Square`, `Pow(x, k)` | `mul::square`, repeated `mul::square`/`mul::mul` |
//! | `MatMul` | `matmul::{matmul, matmul_public, public_matmul}` |
//! | `Lt`…`Ne` | `compare::compare` with a `CmpOp` (0/1 result at scale 0) |
//! | `Sign`, `Abs`, `Relu` | `compare::{sign, abs, relu}` (`fss::msb_dcf` or the carry tree, per `CompareMode`) |
//! | `Where` | `select::where_` (condition at scale 0) |
//! | `Maximum`, `Minimum` | `select::{maximum, minimum}` |
//! | `Reduce{Sum, Mean}` | `arith::{sum, mean}` |
//! | `Reduce{Max, Min}`, `Arg{…}` | `select::reduce_extreme` (values, index, one-hot) |
//! | exp, log, sqrt, reciprocal, sigmoid, tanh, softmax | `approx` |
//!
//! A comparison result (scale 0) mixed with scaled values is raised with `arith::upscale`.

pub mod approx;
pub mod arith;
pub mod binary;
pub mod compare;
pub mod conv;
pub mod convert;
pub mod fss;
pub mod fused;
pub mod fused_matmul;
pub mod matmul;
pub mod mul;
pub mod pairwise;
pub mod select;
pub mod trunc;

#[cfg(test)]
mod tests;

use crate::dealer::{Pending, Request};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::{broadcast_shape, broadcast_to, RingTensor};
use ndarray::{CowArray, IxDyn};

/// A ring tensor borrowed when possible.
pub(crate) type CowRing<'a> = CowArray<'a, u64, IxDyn>;

/// Both operands broadcast to their common shape (standard layout).
pub(crate) fn broadcast_pair<'a>(
    op: &'static str,
    a: &'a RingTensor,
    b: &'a RingTensor,
) -> Result<(CowRing<'a>, CowRing<'a>), MpcError> {
    if a.shape() == b.shape() {
        // No copy when the shapes agree (a copy only for non-standard layouts).
        return Ok((a.as_standard_layout(), b.as_standard_layout()));
    }
    let shape = broadcast_shape(op, a.shape(), b.shape())?;
    Ok((broadcast_to(op, a, &shape)?.into(), broadcast_to(op, b, &shape)?.into()))
}

/// A tensor's elements in standard order as one slice: borrowed when the layout is standard
/// (the common case: a plain slice loop vectorises; `ndarray`'s n-d iterator does not).
pub(crate) fn flat<S: ndarray::Data<Elem = u64>>(a: &ndarray::ArrayBase<S, IxDyn>) -> std::borrow::Cow<'_, [u64]> {
    match a.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.iter().copied().collect()),
    }
}

/// How a masked message is opened.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opening {
    Add,
    Xor,
}

/// The common shape of dealer-assisted protocols: begin `req` (party 0's dealer starts working),
/// mask this party's inputs with the free parts (`mask` must return `len` words), open the masked
/// words in one round, then finish the request. Returns the opened words and all `K` parts.
pub(crate) fn open_masked<const K: usize>(
    party: &mut Party,
    op: &'static str,
    req: &Request,
    opening: Opening,
    len: usize,
    mask: impl FnOnce(&Pending) -> Vec<u64>,
) -> Result<(Vec<u64>, [Vec<u64>; K]), MpcError> {
    let pending = party.dealer().begin(req)?;
    let masked = mask(&pending);
    if masked.len() != len {
        return Err(party.invalid(op, "bad dealer reply"));
    }
    let opened = party.open_owned(masked, opening == Opening::Xor)?;
    let parts = party.dealer().finish(pending)?;
    let parts = <[Vec<u64>; K]>::try_from(parts).map_err(|_| party.invalid(op, "bad dealer reply"))?;
    Ok((opened, parts))
}
