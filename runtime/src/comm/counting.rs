//! A `Comm` wrapper that counts rounds, messages and bytes for its party, and optionally records
//! every message it sends (for the wire-leak tests).
//!
//! Definition of a round: each `exchange` is one round; a `send` after this party last received
//! (or as its first action) also starts a round. Receives alone do not count. It never alters a
//! message.

use super::{Comm, CommError, CommStats};

/// Counts (and optionally records) the traffic of an inner transport.
pub struct CountingComm<C: Comm> {
    inner: C,
    stats: CommStats,
    sending: bool,
    record: Option<Vec<(usize, Vec<u8>)>>,
}

impl<C: Comm> CountingComm<C> {
    /// Counts the traffic of `inner`.
    pub fn new(inner: C) -> Self {
        CountingComm { inner, stats: CommStats::default(), sending: false, record: None }
    }

    /// Counts and also keeps a copy of every message sent.
    pub fn recording(inner: C) -> Self {
        CountingComm { record: Some(Vec::new()), ..Self::new(inner) }
    }

    fn note_send(&mut self, to: usize, msg: &[u8]) {
        self.stats.bytes_sent += msg.len() as u64;
        self.stats.messages_sent += 1;
        if let Some(rec) = &mut self.record {
            rec.push((to, msg.to_vec()));
        }
    }
}

impl<C: Comm> Comm for CountingComm<C> {
    fn party(&self) -> usize {
        self.inner.party()
    }

    fn n_parties(&self) -> usize {
        self.inner.n_parties()
    }

    fn send(&mut self, to: usize, msg: Vec<u8>) -> Result<(), CommError> {
        if !self.sending {
            self.stats.rounds += 1;
            self.sending = true;
        }
        self.note_send(to, &msg);
        self.inner.send(to, msg)
    }

    fn recv(&mut self, from: usize) -> Result<Vec<u8>, CommError> {
        self.sending = false;
        let msg = self.inner.recv(from)?;
        self.stats.bytes_received += msg.len() as u64;
        Ok(msg)
    }

    fn expect_at_most(&mut self, bytes: usize) {
        self.inner.expect_at_most(bytes)
    }

    fn exchange(&mut self, out: Vec<Option<Vec<u8>>>, expect: &[bool]) -> Result<Vec<Option<Vec<u8>>>, CommError> {
        self.stats.rounds += 1;
        let me = self.party();
        for (to, msg) in out.iter().enumerate() {
            if let Some(msg) = msg {
                if to != me {
                    self.note_send(to, msg);
                }
            }
        }
        let got = self.inner.exchange(out, expect)?;
        for msg in got.iter().flatten() {
            self.stats.bytes_received += msg.len() as u64;
        }
        self.sending = false;
        Ok(got)
    }

    fn stats(&self) -> Option<CommStats> {
        Some(self.stats)
    }

    fn recorded(&self) -> Vec<(usize, Vec<u8>)> {
        self.record.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comm::LocalComm;

    #[test]
    fn counts_rounds_and_bytes() {
        let mut ends = LocalComm::mesh(2);
        let b = ends.pop().unwrap();
        let a = ends.pop().unwrap();
        let mut a = CountingComm::recording(a);
        let mut b = CountingComm::new(b);
        a.send(1, vec![0; 8]).unwrap();
        a.send(1, vec![0; 4]).unwrap();
        b.recv(0).unwrap();
        b.recv(0).unwrap();
        b.exchange(vec![Some(vec![1; 3]), None], &[false, false]).unwrap();
        let got = a.exchange(vec![None, Some(vec![2; 5])], &[false, true]).unwrap();
        assert_eq!(got[1].as_deref(), Some(&[1u8; 3][..]));
        assert_eq!(b.recv(0).unwrap(), vec![2u8; 5]);
        let sa = a.stats().unwrap();
        assert_eq!((sa.rounds, sa.bytes_sent, sa.messages_sent, sa.bytes_received), (2, 17, 3, 3));
        assert_eq!(b.stats().unwrap().rounds, 1);
        assert_eq!(a.recorded().len(), 3);
    }
}
