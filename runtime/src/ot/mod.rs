//! Oblivious transfer between two parties, for the dealer-free preprocessing
//! (`crate::preprocessing`): base OTs over Ristretto ([`base`], Chou–Orlandi), IKNP extension to
//! correlated OT with a global 128-bit offset ([`iknp`]), and the messages built on it — additive
//! correlations in Z_2^64 (scalars and vectors) and XOR correlations of bits ([`messages`]).
//! [`block`] holds the bit-matrix transpose and the fixed-key-AES correlation-robust hash.
//!
//! Everything here talks to one peer through a [`Comm`]; messages are opaque, uniformly random
//! looking words (base-OT points, IKNP columns masked by a PRG, corrections masked by the hash):
//! none contains a share or an input. docs/protocols.md ("Dealer-free preprocessing") cites the
//! papers and argues the choices.

pub mod base;
pub mod block;
pub mod iknp;
pub mod messages;

#[cfg(test)]
mod tests;

use crate::comm::{Comm, CommError};

/// The security parameter: base OTs, IKNP columns and the global offset have this many bits.
pub const KAPPA: usize = 128;

/// A failure of an OT protocol.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OtError {
    #[error(transparent)]
    Comm(#[from] CommError),
    #[error("malformed OT message from party {peer}: {what}")]
    Malformed { peer: usize, what: String },
}

/// Sends `words` (little-endian, 8 bytes each) to `peer`.
pub(crate) fn send_words(comm: &mut dyn Comm, peer: usize, words: &[u64]) -> Result<(), OtError> {
    let mut bytes = Vec::with_capacity(8 * words.len());
    words.iter().for_each(|w| bytes.extend_from_slice(&w.to_le_bytes()));
    Ok(comm.send(peer, bytes)?)
}

/// Receives exactly `len` words from `peer`.
pub(crate) fn recv_words(comm: &mut dyn Comm, peer: usize, len: usize, what: &str) -> Result<Vec<u64>, OtError> {
    let bytes = comm.recv(peer)?;
    if bytes.len() != 8 * len {
        return Err(OtError::Malformed {
            peer,
            what: format!("{what}: expected {} bytes, got {}", 8 * len, bytes.len()),
        });
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            u64::from_le_bytes(w)
        })
        .collect())
}
