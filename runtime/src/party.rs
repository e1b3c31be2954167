//! `Party`: one party's context for the secure protocols. It owns the transport (`Comm`), the
//! dealer client, the generators it shares pairwise with each peer, its own generator, the
//! fixed-point format and its counters. Every protocol is a function `f(&mut Party, …)` that runs
//! this party's side, so the same code runs simulated, networked or counted.
//!
//! Also here: the run's seeds (`Seeds`) and the openings every protocol builds on (`open`,
//! `open_xor`, `open_to`). The openings are the only place where this module sends shares. It
//! does not know tensors' meaning; `share.rs` decides what to open.

use crate::comm::{Comm, CommError, CommStats};
use crate::csprng::AesCtrRng;
use crate::dealer::{DealerClient, DealerStats};
use crate::fixed::FixedPoint;
use crate::mpc_error::MpcError;
use crate::protocols::compare::CompareMode;
use crate::wire::{encode_u64s, fold_u64s, WireError};
use rand::{RngCore, SeedableRng};

/// The seeds of one party.
#[derive(Clone, Debug)]
pub struct PartySeeds {
    /// `pairwise[p]`: the seed shared with peer `p` (own slot unused).
    pub pairwise: Vec<[u8; 32]>,
    /// The seed shared with the dealer.
    pub dealer: [u8; 32],
    /// A seed known to this party alone.
    pub own: [u8; 32],
}

/// All seeds of a run: each party's, and the dealer's copy of every party's dealer seed.
///
/// In a simulated run one generator makes them all. A networked run agrees the pairwise seeds by
/// key exchange and receives the dealer seed from the dealer; the protocols cannot tell.
#[derive(Clone, Debug)]
pub struct Seeds {
    pub parties: Vec<PartySeeds>,
    pub dealer: Vec<[u8; 32]>,
}

impl Seeds {
    /// Seeds for `n_parties`, from `run_seed` (reproducible runs, tests) or OS entropy (`None`).
    pub fn generate(n_parties: usize, run_seed: Option<u64>) -> Seeds {
        let mut master = match run_seed {
            Some(s) => AesCtrRng::seed_from_u64(s),
            None => AesCtrRng::from_seed(rand::random::<[u8; 32]>()),
        };
        let mut seed = || {
            let mut s = [0u8; 32];
            master.fill_bytes(&mut s);
            s
        };
        let mut pairwise = vec![vec![[0u8; 32]; n_parties]; n_parties];
        for i in 0..n_parties {
            for j in i + 1..n_parties {
                let s = seed();
                for (a, b) in [(i, j), (j, i)] {
                    if let Some(slot) = pairwise.get_mut(a).and_then(|row| row.get_mut(b)) {
                        *slot = s;
                    }
                }
            }
        }
        let dealer: Vec<[u8; 32]> = (0..n_parties).map(|_| seed()).collect();
        let parties = pairwise
            .into_iter()
            .zip(&dealer)
            .map(|(pairwise, d)| PartySeeds { pairwise, dealer: *d, own: seed() })
            .collect();
        Seeds { parties, dealer }
    }
}

/// Counters of what the protocols did on this party.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProtocolStats {
    /// Openings (to all or to one party) and the elements they opened: the masked openings inside
    /// protocols plus the reveals.
    pub openings: u64,
    pub opened_elements: u64,
    /// Of those, the openings of unmasked values (`share::reveal`, `reveal_to`, `reveal_bin`), the
    /// only ones that show a value; an executor checks them against the program's `Reveal`/`Output`.
    pub reveals: u64,
    pub revealed_elements: u64,
}

impl ProtocolStats {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &ProtocolStats) {
        self.openings += other.openings;
        self.opened_elements += other.opened_elements;
        self.reveals += other.reveals;
        self.revealed_elements += other.revealed_elements;
    }
}

/// One party's context.
pub struct Party {
    id: usize,
    n_parties: usize,
    /// The fixed-point format of this run.
    pub fixed: FixedPoint,
    comm: Box<dyn Comm>,
    dealer: DealerClient,
    pair_rngs: Vec<Option<AesCtrRng>>,
    own_rng: AesCtrRng,
    stats: ProtocolStats,
    compare: CompareMode,
}

impl Party {
    /// The context of the party `comm.party()`, from its seeds and dealer client.
    pub fn new(comm: Box<dyn Comm>, seeds: &PartySeeds, dealer: DealerClient, fixed: FixedPoint) -> Party {
        let id = comm.party();
        let n_parties = comm.n_parties();
        let pair_rngs = (0..n_parties)
            .map(|p| (p != id).then(|| seeds.pairwise.get(p).map(|s| AesCtrRng::from_seed(*s))).flatten())
            .collect();
        Party {
            id,
            n_parties,
            fixed,
            comm,
            dealer,
            pair_rngs,
            own_rng: AesCtrRng::from_seed(seeds.own),
            stats: ProtocolStats::default(),
            compare: CompareMode::default_for(n_parties),
        }
    }

    /// A branch of this party for `crate::merge`: the same rank, format and comparison
    /// protocol over `comm` and `dealer`, with generators seeded from this party's (the pairwise
    /// ones from the generator shared with that peer, so both ends fork the same stream when
    /// they branch in the same order) and fresh counters.
    pub fn branch(&mut self, comm: Box<dyn Comm>, dealer: DealerClient) -> Party {
        let seed = |rng: &mut AesCtrRng| {
            let mut s = [0u8; 32];
            rng.fill_bytes(&mut s);
            s
        };
        let pair_rngs = self.pair_rngs.iter_mut().map(|r| r.as_mut().map(|r| AesCtrRng::from_seed(seed(r)))).collect();
        let own_rng = AesCtrRng::from_seed(seed(&mut self.own_rng));
        Party {
            id: self.id,
            n_parties: self.n_parties,
            fixed: self.fixed,
            comm,
            dealer,
            pair_rngs,
            own_rng,
            stats: ProtocolStats::default(),
            compare: self.compare,
        }
    }

    /// Replaces this party's transport and dealer client, returning the old ones (`crate::merge`
    /// lends them to the calls it runs side by side).
    pub fn swap_transport(&mut self, comm: Box<dyn Comm>, dealer: DealerClient) -> (Box<dyn Comm>, DealerClient) {
        (std::mem::replace(&mut self.comm, comm), std::mem::replace(&mut self.dealer, dealer))
    }

    /// Adds a branch's opening counters to this party's.
    pub fn absorb(&mut self, branch: ProtocolStats) {
        self.stats.add(&branch);
    }

    /// The comparison protocol (default: `CompareMode::default_for` the party count).
    pub fn compare_mode(&self) -> CompareMode {
        self.compare
    }

    /// Chooses the comparison protocol; every party of a run must choose the same.
    pub fn set_compare(&mut self, mode: CompareMode) {
        self.compare = mode;
    }

    /// This party's index.
    pub fn id(&self) -> usize {
        self.id
    }

    /// The number of parties.
    pub fn n_parties(&self) -> usize {
        self.n_parties
    }

    /// The dealer client.
    pub fn dealer(&mut self) -> &mut DealerClient {
        &mut self.dealer
    }

    /// The generator shared with `peer`.
    pub fn pair_rng(&mut self, peer: usize) -> Result<&mut AesCtrRng, MpcError> {
        let (id, n) = (self.id, self.n_parties);
        self.pair_rngs.get_mut(peer).and_then(Option::as_mut).ok_or(MpcError::Comm(CommError::NoSuchPeer {
            peer,
            me: id,
            n,
        }))
    }

    /// This party's private generator.
    pub fn own_rng(&mut self) -> &mut AesCtrRng {
        &mut self.own_rng
    }

    /// The transport.
    pub fn comm(&mut self) -> &mut dyn Comm {
        self.comm.as_mut()
    }

    /// Transport counters (when the transport counts).
    pub fn comm_stats(&self) -> CommStats {
        self.comm.stats().unwrap_or_default()
    }

    /// Dealer counters.
    pub fn dealer_stats(&self) -> DealerStats {
        self.dealer.stats()
    }

    /// Opening counters.
    pub fn protocol_stats(&self) -> ProtocolStats {
        self.stats
    }

    /// The OT preprocessing's counters, when this party has no dealer.
    pub fn preprocessing_stats(&self) -> Option<crate::preprocessing::PreprocStats> {
        self.dealer.preprocessing().map(|p| p.stats())
    }

    /// Every message the OT preprocessing recorded (tests).
    pub fn preprocessing_recorded(&self) -> Vec<(usize, Vec<u8>)> {
        self.dealer.preprocessing().map(|p| p.recorded()).unwrap_or_default()
    }

    /// Every message the transport recorded (tests).
    pub fn recorded(&self) -> Vec<(usize, Vec<u8>)> {
        self.comm.recorded()
    }

    /// Records that the next opening shows a value unmasked (called by `share::reveal*` only).
    pub(crate) fn note_reveal(&mut self, len: usize) {
        self.stats.reveals += 1;
        self.stats.revealed_elements += len as u64;
    }

    /// An error raised by this party.
    pub fn invalid(&self, op: &'static str, reason: impl Into<String>) -> MpcError {
        MpcError::Invalid { party: self.id, op, reason: reason.into() }
    }

    /// Opens additive shares to every party: one round, each party sends its `len` words to each
    /// peer ((N-1)·8 bytes per element sent).
    pub fn open(&mut self, share: &[u64]) -> Result<Vec<u64>, MpcError> {
        self.open_with(share, |a, b| a.wrapping_add(b))
    }

    /// Opens XOR shares to every party, as `open`.
    pub fn open_xor(&mut self, share: &[u64]) -> Result<Vec<u64>, MpcError> {
        self.open_with(share, |a, b| a ^ b)
    }

    /// As `open` (`xor` false) or `open_xor` (`xor` true), folding the peers' shares into
    /// `share`'s own buffer (no fresh result vector): for protocols that own their masked words.
    pub(crate) fn open_owned(&mut self, mut share: Vec<u64>, xor: bool) -> Result<Vec<u64>, MpcError> {
        let got = self.send_share(&share)?;
        for (peer, msg) in got.into_iter().enumerate() {
            let Some(msg) = msg else { continue };
            let folded = if xor {
                fold_u64s(&msg, &mut share, |a, b| a ^ b)
            } else {
                fold_u64s(&msg, &mut share, u64::wrapping_add)
            };
            folded.map_err(|source| CommError::Malformed { peer, source })?;
        }
        Ok(share)
    }

    fn open_with(&mut self, share: &[u64], f: impl Fn(u64, u64) -> u64) -> Result<Vec<u64>, MpcError> {
        let got = self.send_share(share)?;
        fold_messages(share, got, f)
    }

    /// The sending half of an opening to all: `share` to every peer, every peer's message back.
    fn send_share(&mut self, share: &[u64]) -> Result<Vec<Option<Vec<u8>>>, MpcError> {
        self.stats.openings += 1;
        self.stats.opened_elements += share.len() as u64;
        // One copy of the message per peer; the last peer gets the original.
        let last_peer =
            if self.id + 1 == self.n_parties { self.n_parties.saturating_sub(2) } else { self.n_parties - 1 };
        let mut bytes = Some(encode_u64s(share));
        let out = (0..self.n_parties)
            .map(|p| match p {
                _ if p == self.id => None,
                _ if p == last_peer => bytes.take(),
                _ => bytes.clone(),
            })
            .collect();
        let expect: Vec<bool> = (0..self.n_parties).map(|p| p != self.id).collect();
        // Every peer's share is as long as ours.
        self.comm.expect_at_most(share.len().saturating_mul(8));
        Ok(self.comm.exchange(out, &expect)?)
    }

    /// Opens additive shares to party `to` alone: one round, each other party sends 8 bytes per
    /// element to `to`. Returns the value on `to` and `None` elsewhere.
    pub fn open_to(&mut self, to: usize, share: &[u64]) -> Result<Option<Vec<u64>>, MpcError> {
        if to >= self.n_parties {
            return Err(self.invalid("reveal", format!("no party {to} among {}", self.n_parties)));
        }
        self.stats.openings += 1;
        self.stats.opened_elements += share.len() as u64;
        if self.id != to {
            let out: Vec<Option<Vec<u8>>> =
                (0..self.n_parties).map(|p| (p == to).then(|| encode_u64s(share))).collect();
            self.comm.exchange(out, &vec![false; self.n_parties])?;
            return Ok(None);
        }
        let expect: Vec<bool> = (0..self.n_parties).map(|p| p != self.id).collect();
        self.comm.expect_at_most(share.len().saturating_mul(8));
        let got = self.comm.exchange(vec![None; self.n_parties], &expect)?;
        fold_messages(share, got, u64::wrapping_add).map(Some)
    }
}

/// `share` combined with every peer's message by `f`. The first message is decoded and combined
/// in the same pass that makes the result (no separate copy of `share`).
fn fold_messages(share: &[u64], got: Vec<Option<Vec<u8>>>, f: impl Fn(u64, u64) -> u64) -> Result<Vec<u64>, MpcError> {
    let mut acc: Option<Vec<u64>> = None;
    for (peer, msg) in got.into_iter().enumerate() {
        let Some(msg) = msg else { continue };
        let malformed = |source| MpcError::Comm(CommError::Malformed { peer, source });
        match acc.as_mut() {
            Some(acc) => fold_u64s(&msg, acc, &f).map_err(malformed)?,
            None => {
                if msg.len() != share.len() * 8 {
                    return Err(malformed(WireError::Length { expected: share.len() * 8, got: msg.len() }));
                }
                acc =
                    Some(share.iter().zip(msg.chunks_exact(8)).map(|(&s, c)| f(s, crate::wire::le_word(c))).collect());
            }
        }
    }
    Ok(acc.unwrap_or_else(|| share.to_vec()))
}
