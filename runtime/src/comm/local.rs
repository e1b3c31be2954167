//! In-process transport: one `std::sync::mpsc` channel per ordered pair of parties, for N parties
//! running as N threads.
//!
//! A receive waits at most a fixed timeout (so a protocol bug shows up as a `Timeout` error, not a
//! hung test). It does no counting (wrap it in `CountingComm`).

use super::{Comm, CommError};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::Duration;

/// How long a receive waits before giving up.
const RECV_TIMEOUT: Duration = Duration::from_secs(120);

/// One party's end of an in-process mesh.
pub struct LocalComm {
    me: usize,
    to: Vec<Option<Sender<Vec<u8>>>>,
    from: Vec<Option<Receiver<Vec<u8>>>>,
}

impl LocalComm {
    /// A fully connected mesh of `n` parties; element `i` is party `i`'s end.
    pub fn mesh(n: usize) -> Vec<LocalComm> {
        let mut ends: Vec<LocalComm> = (0..n)
            .map(|me| LocalComm { me, to: (0..n).map(|_| None).collect(), from: (0..n).map(|_| None).collect() })
            .collect();
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    let (tx, rx) = channel();
                    if let Some(slot) = ends.get_mut(i).and_then(|end| end.to.get_mut(j)) {
                        *slot = Some(tx);
                    }
                    if let Some(slot) = ends.get_mut(j).and_then(|end| end.from.get_mut(i)) {
                        *slot = Some(rx);
                    }
                }
            }
        }
        ends
    }

    fn no_peer(&self, peer: usize) -> CommError {
        CommError::NoSuchPeer { peer, me: self.me, n: self.to.len() }
    }
}

impl Comm for LocalComm {
    fn party(&self) -> usize {
        self.me
    }

    fn n_parties(&self) -> usize {
        self.to.len()
    }

    fn send(&mut self, to: usize, msg: Vec<u8>) -> Result<(), CommError> {
        let tx = self.to.get(to).and_then(Option::as_ref).ok_or_else(|| self.no_peer(to))?;
        tx.send(msg).map_err(|_| CommError::PeerHungUp { peer: to })
    }

    fn recv(&mut self, from: usize) -> Result<Vec<u8>, CommError> {
        let rx = self.from.get(from).and_then(Option::as_ref).ok_or_else(|| self.no_peer(from))?;
        recv_polling(rx, Some(RECV_TIMEOUT)).map_err(|e| match e {
            RecvTimeoutError::Timeout => CommError::Timeout { peer: from, secs: RECV_TIMEOUT.as_secs() },
            RecvTimeoutError::Disconnected => CommError::PeerHungUp { peer: from },
        })
    }
}

/// Polls before blocking on an in-process receive.
const POLLS: usize = 64;

/// The next message of `rx`, polled `POLLS` times (yielding the core in between) before blocking,
/// for up to `timeout` if one is given. A round's reply usually comes within microseconds, while
/// being woken from a blocked receive costs tens of them (docs/performance.md, session 7).
pub(crate) fn recv_polling<T>(rx: &Receiver<T>, timeout: Option<Duration>) -> Result<T, RecvTimeoutError> {
    for _ in 0..POLLS {
        match rx.try_recv() {
            Ok(msg) => return Ok(msg),
            Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) => std::thread::yield_now(),
        }
    }
    match timeout {
        Some(t) => rx.recv_timeout(t),
        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_arrive_in_order_and_hangups_are_errors() {
        let mut ends = LocalComm::mesh(3);
        let mut c = ends.pop().unwrap();
        let b = ends.pop().unwrap();
        let mut a = ends.pop().unwrap();
        a.send(2, vec![1]).unwrap();
        a.send(2, vec![2, 3]).unwrap();
        assert_eq!(c.recv(0).unwrap(), vec![1]);
        assert_eq!(c.recv(0).unwrap(), vec![2, 3]);
        assert!(matches!(a.send(0, vec![]), Err(CommError::NoSuchPeer { .. })));
        drop(b);
        assert_eq!(c.recv(1), Err(CommError::PeerHungUp { peer: 1 }));
        assert_eq!(a.send(1, vec![0]), Err(CommError::PeerHungUp { peer: 1 }));
    }
}
