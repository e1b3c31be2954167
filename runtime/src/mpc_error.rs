//! `MpcError`, the one error type of the secure engine (sharing, dealer, protocols), with the
//! party that raised it where known. Lower layers' errors (`CommError`, `DealerError`,
//! `FixedError`, `ShapeError`) convert into it.

use crate::comm::CommError;
use crate::dealer::DealerError;
use crate::fixed::FixedError;
use crate::ring::ShapeError;

/// A failure of a secure protocol on one party.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MpcError {
    #[error("transport: {0}")]
    Comm(#[from] CommError),
    #[error("dealer: {0}")]
    Dealer(#[from] DealerError),
    #[error("fixed point: {0}")]
    Fixed(#[from] FixedError),
    #[error("shape: {0}")]
    Shape(#[from] ShapeError),
    #[error("party {party}: `{op}`: {reason}")]
    Invalid { party: usize, op: &'static str, reason: String },
    #[error("party {party} panicked or was lost")]
    PartyLost { party: usize },
}
