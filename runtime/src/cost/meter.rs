//! The cost of the protocol primitives, counted without running them: [`Cost`] (rounds, bytes
//! each party sends, dealer bytes) and the [`Meter`] that adds up what each primitive of
//! `crate::protocols` would do on tensors of a given size — one function per primitive, each
//! mirroring its protocol's openings and dealer requests call for call.
//!
//! The dealer's bytes come from the very [`Request`]s the protocols ask for
//! (`Request::explicit_len_for`), so the two cannot drift apart; openings are counted as
//! `Party::open` (every party sends its words to each peer) and `Party::open_to` (every party
//! but the recipient sends its words to it) do. Every opening is one round for every party.

use crate::dealer::{DcfOut, DealerStats, Request};
use crate::error::{ErrorKind, RunError};
use crate::protocols::compare::CompareMode;
use crate::protocols::convert::{csa_layers, msb_and_words};

/// What a run (or a part of it) costs.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Cost {
    /// Communication rounds (every party takes part in every round).
    pub rounds: u64,
    /// Bytes each party sends, by rank.
    pub bytes_sent: Vec<u64>,
    /// Bytes of explicit values the dealer sends (to party 0, and to party 1 for DCF keys).
    pub dealer_bytes: u64,
}

impl Cost {
    /// Nothing, for `n` parties.
    pub fn zero(n: usize) -> Cost {
        Cost { rounds: 0, bytes_sent: vec![0; n], dealer_bytes: 0 }
    }

    /// Adds `other` to this cost.
    pub fn add(&mut self, other: &Cost) {
        self.rounds += other.rounds;
        self.dealer_bytes += other.dealer_bytes;
        if self.bytes_sent.len() < other.bytes_sent.len() {
            self.bytes_sent.resize(other.bytes_sent.len(), 0);
        }
        self.bytes_sent.iter_mut().zip(&other.bytes_sent).for_each(|(a, b)| *a += b);
    }

    /// Adds `other` as run side by side with this cost (`crate::merge`): the rounds of the longer,
    /// the bytes of both.
    pub fn beside(&mut self, other: &Cost) {
        let rounds = self.rounds.max(other.rounds);
        self.add(other);
        self.rounds = rounds;
    }

    /// Whether it costs nothing at all.
    pub fn is_zero(&self) -> bool {
        self.rounds == 0 && self.dealer_bytes == 0 && self.bytes_sent.iter().all(|&b| b == 0)
    }

    /// The most bytes any one party sends.
    pub fn max_sent(&self) -> u64 {
        self.bytes_sent.iter().copied().max().unwrap_or(0)
    }
}

/// Adds up the cost of protocol primitives for one run configuration.
#[derive(Clone, Debug)]
pub struct Meter {
    /// The number of parties.
    pub n: usize,
    /// The comparison protocol.
    pub mode: CompareMode,
    /// The run's fractional bits.
    pub f: u32,
    /// What was counted so far.
    pub cost: Cost,
    /// The correlated randomness asked for so far, counted as the dealer client counts it.
    pub needs: DealerStats,
}

fn dealer_err(e: crate::dealer::DealerError) -> RunError {
    RunError::new(ErrorKind::Internal, format!("cost model: {e}"))
}

impl Meter {
    pub fn new(n: usize, mode: CompareMode, f: u32) -> Meter {
        Meter { n, mode, f, cost: Cost::zero(n), needs: DealerStats::default() }
    }

    /// Takes what was counted since the last call.
    pub fn take(&mut self) -> Cost {
        std::mem::replace(&mut self.cost, Cost::zero(self.n))
    }

    /// `Party::open` of `words` words: one round, each party sends them to every peer.
    pub fn open(&mut self, words: usize) {
        self.cost.rounds += 1;
        let bytes = 8 * words as u64 * (self.n as u64).saturating_sub(1);
        self.cost.bytes_sent.iter_mut().for_each(|b| *b += bytes);
    }

    /// `Party::open_to(to, …)` of `words` words: one round, every other party sends them to `to`.
    pub fn open_to(&mut self, to: usize, words: usize) {
        self.cost.rounds += 1;
        for (p, b) in self.cost.bytes_sent.iter_mut().enumerate() {
            if p != to {
                *b += 8 * words as u64;
            }
        }
    }

    /// `values::local_shape` when the program does not know the shape: the owner sends the rank
    /// and the dimensions to every peer in one round.
    pub fn shape_message(&mut self, owner: usize, rank: usize) {
        self.shape_messages(&[(owner, rank)]);
    }

    /// `values::local_shapes` of values `(owner, rank)` whose shapes the program does not know:
    /// one round in which each owner sends every peer the rank and dimensions of each.
    pub fn shape_messages(&mut self, values: &[(usize, usize)]) {
        if values.is_empty() {
            return;
        }
        self.cost.rounds += 1;
        for &(owner, rank) in values {
            if let Some(b) = self.cost.bytes_sent.get_mut(owner) {
                *b += 8 * (1 + rank as u64) * (self.n as u64).saturating_sub(1);
            }
        }
    }

    /// The dealer's explicit values for `req` (party 0's, and party 1's common parts).
    pub fn dealer(&mut self, req: &Request) -> Result<(), RunError> {
        self.needs.count(req);
        for p in 0..self.n.min(2) {
            let bytes = 8 * req.explicit_len_for(p).map_err(dealer_err)? as u64;
            self.cost.dealer_bytes += bytes;
            if p == 0 {
                self.needs.bytes_received += bytes;
            }
        }
        Ok(())
    }

    /// `protocols::open_masked`: the request, then one opening of `len` words.
    pub fn open_masked(&mut self, req: &Request, len: usize) -> Result<(), RunError> {
        self.dealer(req)?;
        self.open(len);
        Ok(())
    }

    /// `trunc::truncate` of `n` elements by `bits` (free when `bits` is 0).
    pub fn truncate(&mut self, n: usize, bits: u32) -> Result<(), RunError> {
        self.truncate_batch(&[(n, bits)])
    }

    /// `trunc::truncate_batch` of parts of `(elements, bits)`: one request per part that drops
    /// bits, all masked words opened in one round (nothing when no part drops bits).
    pub fn truncate_batch(&mut self, parts: &[(usize, u32)]) -> Result<(), RunError> {
        let mut words = 0;
        for &(n, bits) in parts.iter().filter(|(_, bits)| *bits > 0) {
            self.dealer(&Request::Trunc { n, bits })?;
            words += n;
        }
        if parts.iter().any(|(_, bits)| *bits > 0) {
            self.open(words);
        }
        Ok(())
    }

    /// `trunc::rescale` of `n` elements at `scale` down to `target`; returns the new scale.
    pub fn rescale(&mut self, n: usize, scale: u32, target: u32) -> Result<u32, RunError> {
        if scale <= target {
            return Ok(scale);
        }
        self.truncate(n, scale - target)?;
        Ok(target)
    }

    /// `values::at_precision`: a local shift up, or a truncation down to the run's precision.
    pub fn at_precision(&mut self, n: usize, scale: u32) -> Result<u32, RunError> {
        if scale <= self.f {
            return Ok(self.f);
        }
        self.rescale(n, scale, self.f)
    }

    /// `mul::mul_raw` of `n` (broadcast) elements: a Beaver triple, one opening of 2n words.
    pub fn mul_raw(&mut self, n: usize) -> Result<(), RunError> {
        self.open_masked(&Request::Triple { n }, 2 * n)
    }

    /// `mul::mul` of `n` elements at scales `sx`, `sy`; returns the result's scale.
    pub fn mul(&mut self, n: usize, sx: u32, sy: u32) -> Result<u32, RunError> {
        self.mul_raw(n)?;
        self.rescale(n, sx + sy, sx.max(sy))
    }

    /// `mul::mul_public` (and the public matmul/convolution kernels): local, then a rescale of
    /// the `n` result elements from `sx + sp` to `max(sx, sp)`.
    pub fn mul_public(&mut self, n: usize, sx: u32, sp: u32) -> Result<u32, RunError> {
        self.rescale(n, sx + sp, sx.max(sp))
    }

    /// `mul::square` of `n` elements at scale `s`.
    pub fn square(&mut self, n: usize, s: u32) -> Result<u32, RunError> {
        self.open_masked(&Request::Square { n }, n)?;
        self.rescale(n, 2 * s, s)
    }

    /// `binary::and_words` of `n` words.
    pub fn and_words(&mut self, n: usize) -> Result<(), RunError> {
        self.open_masked(&Request::BinTriple { n }, 2 * n)
    }

    /// `convert::b2a_bit_words` of `n` bits.
    pub fn b2a_bits(&mut self, n: usize) -> Result<(), RunError> {
        self.open_masked(&Request::Bits { n }, n)
    }

    /// The carry-save layers of `convert::two_summands` for `n` elements.
    fn two_summands(&mut self, n: usize) -> Result<(), RunError> {
        let mut summands = self.n;
        while summands > 2 {
            let groups = summands / 3;
            self.and_words(groups * n)?;
            summands -= groups;
        }
        Ok(())
    }

    /// `convert::a2b_words` of `n` elements (carry-save layers, then the Kogge–Stone adder).
    pub fn a2b(&mut self, n: usize) -> Result<(), RunError> {
        self.two_summands(n)?;
        self.and_words(n)?;
        let mut d = 1u32;
        while d < 64 {
            self.and_words(if d == 32 { n } else { 2 * n })?;
            d *= 2;
        }
        Ok(())
    }

    /// `convert::msb_words` of `n` elements: the carry-save layers, the generate round and the
    /// six levels of the packed carry tree.
    fn msb_tree_words(&mut self, n: usize) -> Result<(), RunError> {
        self.two_summands(n)?;
        let before = self.cost.dealer_bytes;
        self.and_words(n)?;
        let mut width = 64usize;
        while width > 1 {
            let k = width / 2;
            let chunk = if k == 1 { 1 } else { 2 * k };
            self.and_words(n.div_ceil(64 / chunk))?;
            width = k;
        }
        // The levels above are `msb_and_words` (checked so that a change there is noticed).
        if self.cost.dealer_bytes - before != 8 * msb_and_words(n) as u64 {
            return Err(RunError::new(ErrorKind::Internal, "cost model: the carry tree's AND count drifted"));
        }
        Ok(())
    }

    /// `compare::msb` (and `msb_words`) of `n` elements: one DCF round, or the carry tree and B2A.
    pub fn msb(&mut self, n: usize) -> Result<(), RunError> {
        match self.mode {
            CompareMode::Fss => self.dcf(Request::DcfKeys { n, relu: false }, n),
            CompareMode::Tree => {
                self.msb_tree_words(n)?;
                self.b2a_bits(n)
            }
        }
    }

    /// `fss::msb_dcf_at` and `fss::msb_dcf_times`: the keys of `req` and one opening of `words`.
    fn dcf(&mut self, req: Request, words: usize) -> Result<(), RunError> {
        if self.n != 2 {
            return Err(RunError::new(
                ErrorKind::Config,
                format!("--compare fss needs exactly 2 parties, not {} (use --compare tree)", self.n),
            ));
        }
        // One request per chunk of `fss::CHUNK`; the explicit lengths are linear in n.
        self.open_masked(&req, words)
    }

    /// `compare::msb_and_product` of `n` elements (the product needs no truncation).
    pub fn msb_and_product(&mut self, n: usize) -> Result<(), RunError> {
        match self.mode {
            CompareMode::Fss => self.dcf(Request::DcfKeys { n, relu: true }, n),
            CompareMode::Tree => {
                self.msb(n)?;
                self.mul_raw(n)
            }
        }
    }

    /// `compare::msb_times` of `n` elements: one DCF round opening two words per element, or
    /// the carry tree, B2A and a product without truncation.
    pub fn msb_times(&mut self, n: usize) -> Result<(), RunError> {
        match self.mode {
            CompareMode::Fss => self.dcf(Request::DcfTimes { n }, 2 * n),
            CompareMode::Tree => {
                self.msb(n)?;
                self.mul_raw(n)
            }
        }
    }

    /// `compare::pending` of `n` elements whose raw part drops `bits`, computing `out` (`Msb`,
    /// `Times` a factor, `Relu`): one DCF round opening two words per element (three with a
    /// factor), or a truncation and `msb`, `msb_times` or `msb_and_product`.
    pub fn pending(&mut self, n: usize, bits: u32, out: DcfOut) -> Result<(), RunError> {
        match self.mode {
            CompareMode::Fss => {
                let words = if out == DcfOut::Times { 3 } else { 2 };
                self.dcf(Request::DcfPending { n, bits, out }, words * n)
            }
            CompareMode::Tree => {
                self.truncate(n, bits)?;
                match out {
                    DcfOut::Msb => self.msb(n),
                    DcfOut::Times => self.msb_times(n),
                    DcfOut::Relu => self.msb_and_product(n),
                }
            }
        }
    }

    /// `compare::below_thresholds` of `n` elements against `t` thresholds.
    pub fn below_thresholds(&mut self, n: usize, t: usize) -> Result<(), RunError> {
        match self.mode {
            CompareMode::Fss => self.dcf(Request::DcfKeys { n, relu: false }, n),
            CompareMode::Tree => self.msb(t * n),
        }
    }

    /// The carry-save layers `csa_layers` counts, for the docs' round formula.
    pub fn csa_layers(&self) -> usize {
        csa_layers(self.n)
    }
}
