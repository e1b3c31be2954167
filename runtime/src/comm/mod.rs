//! The transport between parties: the `Comm` trait (send/receive bytes to/from one peer, and an
//! all-to-all exchange that is one round), its statistics, and its errors.
//!
//! Implementations: `local` (in-process channels, one thread per party) and `counting` (a wrapper
//! that counts rounds and bytes and can record every message for tests); `crate::net::tcp_comm`
//! is the TCP+TLS one. A `Comm` moves opaque bytes; it never sees a value's meaning.

pub mod counting;
pub mod local;

pub use counting::CountingComm;
pub use local::LocalComm;

use crate::wire::WireError;

/// A failure of the transport.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommError {
    #[error("party {peer} hung up")]
    PeerHungUp { peer: usize },
    #[error("no message from party {peer} within {secs} s")]
    Timeout { peer: usize, secs: u64 },
    #[error("party {peer} is not a peer of party {me} ({n} parties)")]
    NoSuchPeer { peer: usize, me: usize, n: usize },
    #[error("from party {peer}: {source}")]
    Malformed { peer: usize, source: WireError },
}

/// Counters a transport may keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommStats {
    /// Communication rounds this party took part in (see `CountingComm` for the definition).
    pub rounds: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub messages_sent: u64,
}

/// One party's end of the network among `n_parties` parties.
pub trait Comm: Send {
    /// This party's index, in `0..n_parties`.
    fn party(&self) -> usize;
    /// The number of parties.
    fn n_parties(&self) -> usize;
    /// Sends `msg` to party `to` (never blocks on the receiver).
    fn send(&mut self, to: usize, msg: Vec<u8>) -> Result<(), CommError>;
    /// Receives the next message from party `from`, in order.
    fn recv(&mut self, from: usize) -> Result<Vec<u8>, CommError>;

    /// One round: sends `out[p]` to every peer `p` with `Some`, then receives one message from every
    /// peer `p` with `expect[p]`. Returns the received messages indexed by sender.
    fn exchange(&mut self, out: Vec<Option<Vec<u8>>>, expect: &[bool]) -> Result<Vec<Option<Vec<u8>>>, CommError> {
        let me = self.party();
        for (to, msg) in out.into_iter().enumerate() {
            if let Some(msg) = msg {
                if to != me {
                    self.send(to, msg)?;
                }
            }
        }
        let mut got = vec![None; self.n_parties()];
        for (from, slot) in got.iter_mut().enumerate() {
            if from != me && expect.get(from).copied().unwrap_or(false) {
                *slot = Some(self.recv(from)?);
            }
        }
        Ok(got)
    }

    /// Says that no message of the next round is longer than `bytes` (the caller knows the
    /// lengths: an opening's shares are as long as its own). A transport that can check it refuses
    /// a longer one before reading it; the others ignore it. The next `exchange` clears it.
    fn expect_at_most(&mut self, _bytes: usize) {}

    /// Counters, when this transport keeps them.
    fn stats(&self) -> Option<CommStats> {
        None
    }

    /// Every message this transport sent, when it records them (tests only).
    fn recorded(&self) -> Vec<(usize, Vec<u8>)> {
        Vec::new()
    }
}

impl Comm for Box<dyn Comm> {
    fn party(&self) -> usize {
        (**self).party()
    }
    fn n_parties(&self) -> usize {
        (**self).n_parties()
    }
    fn send(&mut self, to: usize, msg: Vec<u8>) -> Result<(), CommError> {
        (**self).send(to, msg)
    }
    fn recv(&mut self, from: usize) -> Result<Vec<u8>, CommError> {
        (**self).recv(from)
    }
    fn exchange(&mut self, out: Vec<Option<Vec<u8>>>, expect: &[bool]) -> Result<Vec<Option<Vec<u8>>>, CommError> {
        (**self).exchange(out, expect)
    }
    fn expect_at_most(&mut self, bytes: usize) {
        (**self).expect_at_most(bytes)
    }
    fn stats(&self) -> Option<CommStats> {
        (**self).stats()
    }
    fn recorded(&self) -> Vec<(usize, Vec<u8>)> {
        (**self).recorded()
    }
}
