//! [`TcpComm`]: the `Comm` transport over a mesh of TLS links, one per peer.
//!
//! `send` never blocks on the receiver: each peer has a writer thread fed by a queue, so a round
//! in which every party sends before it receives is full duplex and cannot deadlock, whatever
//! the message size. Frames are tagged with the per-peer message number, so a lost or extra
//! message is caught as "out of step". The first failure is kept as a detailed [`NetError`]
//! (peer name, address, round); the `CommError` the trait returns is its coarse form.
//! This file does not connect (see `mesh.rs`).

use crate::comm::{Comm, CommError};
use crate::net::error::{NetError, NetErrorKind, Phase};
use crate::net::link::Link;
use crate::wire::WireError;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The first detailed failure of a transport, shared with its writer threads.
pub type FailureSlot = Arc<Mutex<Option<NetError>>>;

/// Keeps the first failure, except that a peer's own failure notice (which says why it stopped)
/// replaces the broken connection it caused.
fn note(slot: &FailureSlot, err: &NetError) {
    if let Ok(mut s) = slot.lock() {
        let replace = match s.as_ref() {
            None => true,
            Some(old) => err.kind == NetErrorKind::PeerFailed && old.kind != NetErrorKind::PeerFailed,
        };
        if replace {
            *s = Some(err.clone());
        }
    }
}

struct Writer {
    queue: Sender<(u64, u64, Vec<u8>)>,
    thread: JoinHandle<()>,
}

/// One party's end of a networked mesh.
pub struct TcpComm {
    me: usize,
    n_parties: usize,
    links: Vec<Option<Arc<Link>>>,
    writers: Vec<Option<Writer>>,
    sent: Vec<u64>,
    received: Vec<u64>,
    /// Rounds started so far (a send after a receive, or an exchange, starts one).
    round: u64,
    sending: bool,
    timeout: Duration,
    failure: FailureSlot,
    /// The longest message the current round expects (`expect_at_most`), if the caller said.
    limit: Option<usize>,
}

impl TcpComm {
    /// The transport of party `me` over `links` (`links[p]` for each peer `p`).
    pub fn new(me: usize, links: Vec<Option<Arc<Link>>>, timeout: Duration) -> TcpComm {
        let n_parties = links.len();
        let failure = FailureSlot::default();
        let writers = links
            .iter()
            .map(|link| {
                let link = link.clone()?;
                let slot = failure.clone();
                let (queue, rx) = channel::<(u64, u64, Vec<u8>)>();
                let thread = std::thread::spawn(move || {
                    while let Ok((tag, round, msg)) = rx.recv() {
                        if let Err(e) = link.send(tag, &msg, Phase::Round(round)) {
                            note(&slot, &e);
                            break;
                        }
                    }
                });
                Some(Writer { queue, thread })
            })
            .collect();
        TcpComm {
            me,
            n_parties,
            links,
            writers,
            sent: vec![0; n_parties],
            received: vec![0; n_parties],
            round: 0,
            sending: false,
            timeout,
            failure,
            limit: None,
        }
    }

    /// The first detailed failure, if any.
    pub fn failure(&self) -> Option<NetError> {
        self.failure.lock().ok().and_then(|s| s.clone())
    }

    /// A handle that can tell every peer that this party failed, usable after the transport was
    /// handed to a `Party`.
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle { links: self.links.iter().flatten().cloned().collect(), failure: self.failure.clone() }
    }

    /// Waits until every queued message is written (bounded by the timeout), then closes the links.
    pub fn finish(&mut self) -> Result<(), NetError> {
        for writer in self.writers.iter_mut().filter_map(Option::take) {
            drop(writer.queue);
            let _ = writer.thread.join();
        }
        for link in self.links.iter().flatten() {
            link.close();
        }
        match self.failure() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn coarse(&self, err: &NetError, peer: usize) -> CommError {
        match err.kind {
            NetErrorKind::Timeout => CommError::Timeout { peer, secs: self.timeout.as_secs() },
            NetErrorKind::Malformed => CommError::Malformed { peer, source: WireError::Length { expected: 0, got: 0 } },
            _ => CommError::PeerHungUp { peer },
        }
    }

    fn no_peer(&self, peer: usize) -> CommError {
        CommError::NoSuchPeer { peer, me: self.me, n: self.n_parties }
    }
}

impl Drop for TcpComm {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

impl Comm for TcpComm {
    fn party(&self) -> usize {
        self.me
    }

    fn n_parties(&self) -> usize {
        self.n_parties
    }

    fn send(&mut self, to: usize, msg: Vec<u8>) -> Result<(), CommError> {
        if !self.sending {
            self.round += 1;
            self.sending = true;
        }
        let writer = self.writers.get(to).and_then(Option::as_ref).ok_or_else(|| self.no_peer(to))?;
        let Some(count) = self.sent.get_mut(to) else {
            return Err(self.no_peer(to));
        };
        *count += 1;
        if writer.queue.send((*count, self.round, msg)).is_err() {
            let err = self.failure().unwrap_or_else(|| {
                NetError::new(NetErrorKind::Closed, Phase::Round(self.round), "the connection is gone")
            });
            return Err(self.coarse(&err, to));
        }
        Ok(())
    }

    fn recv(&mut self, from: usize) -> Result<Vec<u8>, CommError> {
        self.sending = false;
        let link = self.links.get(from).and_then(Option::clone).ok_or_else(|| self.no_peer(from))?;
        let Some(count) = self.received.get_mut(from) else {
            return Err(self.no_peer(from));
        };
        *count += 1;
        let round = self.round.max(1);
        let limit = self.limit.unwrap_or(usize::MAX);
        link.recv_limited(*count, Phase::Round(round), limit).map_err(|e| {
            note(&self.failure, &e);
            self.coarse(&e, from)
        })
    }

    fn exchange(&mut self, out: Vec<Option<Vec<u8>>>, expect: &[bool]) -> Result<Vec<Option<Vec<u8>>>, CommError> {
        self.sending = false;
        self.round += 1;
        self.sending = true;
        for (to, msg) in out.into_iter().enumerate() {
            if let Some(msg) = msg {
                if to != self.me {
                    self.send(to, msg)?;
                }
            }
        }
        let mut got = vec![None; self.n_parties];
        let received = got.iter_mut().enumerate().try_for_each(|(from, slot)| {
            if from != self.me && expect.get(from).copied().unwrap_or(false) {
                *slot = Some(self.recv(from)?);
            }
            Ok(())
        });
        self.limit = None;
        received?;
        self.sending = false;
        Ok(got)
    }

    fn expect_at_most(&mut self, bytes: usize) {
        self.limit = Some(bytes);
    }
}

/// Tells every peer that this party failed (see [`TcpComm::abort_handle`]).
#[derive(Clone)]
pub struct AbortHandle {
    links: Vec<Arc<Link>>,
    failure: FailureSlot,
}

impl AbortHandle {
    /// Sends `message` to every peer as a failure notice and closes the links (best effort).
    pub fn abort(&self, message: &str) {
        for link in &self.links {
            link.abort(message);
        }
    }
    /// The transport's first detailed failure, if any.
    pub fn failure(&self) -> Option<NetError> {
        self.failure.lock().ok().and_then(|s| s.clone())
    }
}
