//! IKNP OT extension (Ishai, Kilian, Nissim and Petrank, CRYPTO 2003), in the correlated-OT form
//! of Asharov, Lindell, Schneider and Zohner (CCS 2013): `KAPPA` base OTs with the roles swapped
//! give any number of transfers where the sender holds `q_i` and the receiver, choosing `r_i`,
//! holds `t_i = q_i ⊕ r_i·Δ`, for the sender's global offset `Δ`.
//!
//! Each batch of `m` transfers costs the receiver one message of `KAPPA·m` bits (16 bytes per
//! transfer) and both sides a PRG stream of `m` bits per column (AES-128-CTR, `csprng.rs`, seeded by the base-OT
//! keys) and a 128×128 transpose per 128 transfers. Semi-honest: no consistency check.
//! The hash tweak of transfer `i` is its index in the session, the same on both sides.

use super::base::{self, Key};
use super::block::transpose128;
use super::{recv_words, send_words, OtError, KAPPA};
use crate::comm::Comm;
use crate::csprng::AesCtrRng;
use rand::{Rng, RngCore, SeedableRng};

/// Words of the bit columns for `m` transfers: two per 128 transfers.
fn column_words(m: usize) -> usize {
    2 * m.div_ceil(KAPPA)
}

/// Transposes `KAPPA` columns of `words` words each (column `j` at `j*words..`) into one 128-bit
/// row per transfer, keeping the first `m`.
fn rows_of(columns: &[u64], words: usize, m: usize) -> Vec<u128> {
    let mut rows = Vec::with_capacity(words / 2 * KAPPA);
    let mut block = [0u128; 128];
    for b in 0..words / 2 {
        for (j, slot) in block.iter_mut().enumerate() {
            let lo = columns.get(j * words + 2 * b).copied().unwrap_or(0);
            let hi = columns.get(j * words + 2 * b + 1).copied().unwrap_or(0);
            *slot = u128::from(lo) | (u128::from(hi) << 64);
        }
        transpose128(&mut block);
        rows.extend_from_slice(&block);
    }
    rows.truncate(m);
    rows
}

fn prg(key: &Key) -> AesCtrRng {
    AesCtrRng::from_seed(*key)
}

/// The extension's sender: the global offset and one PRG per column.
pub struct CotSender {
    delta: u128,
    prgs: Vec<AesCtrRng>,
    next_tweak: u64,
}

impl CotSender {
    /// Runs the base OTs with `peer` (as their receiver, choosing the bits of `Δ`).
    pub fn setup(comm: &mut dyn Comm, peer: usize, rng: &mut impl RngCore) -> Result<CotSender, OtError> {
        let delta: u128 = rng.random();
        let keys = base::receive(comm, peer, delta, rng)?;
        Ok(CotSender { delta, prgs: keys.iter().map(prg).collect(), next_tweak: 0 })
    }

    /// The global offset `Δ`.
    pub fn delta(&self) -> u128 {
        self.delta
    }

    /// Receives the receiver's columns for `m` transfers and returns `(tweak0, q)`: transfer `j`
    /// has hash tweak `tweak0 + j` and the receiver holds `q_j ⊕ r_j·Δ`.
    pub fn extend(&mut self, comm: &mut dyn Comm, peer: usize, m: usize) -> Result<(u64, Vec<u128>), OtError> {
        let words = column_words(m);
        let mut cols = recv_words(comm, peer, KAPPA * words, "IKNP columns")?;
        let mut stream = vec![0u64; words];
        for (j, (col, prg)) in cols.chunks_exact_mut(words.max(1)).zip(&mut self.prgs).enumerate() {
            let keep = if (self.delta >> j) & 1 == 1 { u64::MAX } else { 0 };
            prg.fill(stream.as_mut_slice());
            for (w, s) in col.iter_mut().zip(&stream) {
                *w = (*w & keep) ^ s;
            }
        }
        let tweak0 = self.next_tweak;
        self.next_tweak = self.next_tweak.wrapping_add(m as u64);
        Ok((tweak0, rows_of(&cols, words, m)))
    }
}

/// The extension's receiver: two PRGs per column.
pub struct CotReceiver {
    prgs: Vec<(AesCtrRng, AesCtrRng)>,
    next_tweak: u64,
}

impl CotReceiver {
    /// Runs the base OTs with `peer` (as their sender).
    pub fn setup(comm: &mut dyn Comm, peer: usize, rng: &mut impl RngCore) -> Result<CotReceiver, OtError> {
        let pairs = base::send(comm, peer, rng)?;
        Ok(CotReceiver { prgs: pairs.iter().map(|(k0, k1)| (prg(k0), prg(k1))).collect(), next_tweak: 0 })
    }

    /// Sends the columns for `m` transfers choosing bit `j % 64` of `choices[j / 64]`, and returns
    /// `(tweak0, t)` with `t_j = q_j ⊕ r_j·Δ`.
    pub fn extend(
        &mut self,
        comm: &mut dyn Comm,
        peer: usize,
        choices: &[u64],
        m: usize,
    ) -> Result<(u64, Vec<u128>), OtError> {
        let words = column_words(m);
        let mut t = vec![0u64; KAPPA * words];
        let mut u = vec![0u64; KAPPA * words];
        let r: Vec<u64> = (0..words).map(|w| choices.get(w).copied().unwrap_or(0) & low_mask(m, w)).collect();
        for ((tc, uc), (g0, g1)) in
            t.chunks_exact_mut(words.max(1)).zip(u.chunks_exact_mut(words.max(1))).zip(&mut self.prgs)
        {
            g0.fill(tc);
            g1.fill(uc);
            for ((uw, tw), rw) in uc.iter_mut().zip(tc.iter()).zip(&r) {
                *uw ^= tw ^ rw;
            }
        }
        send_words(comm, peer, &u)?;
        let tweak0 = self.next_tweak;
        self.next_tweak = self.next_tweak.wrapping_add(m as u64);
        Ok((tweak0, rows_of(&t, words, m)))
    }
}

/// The bits of choice word `w` that are transfers (below `m`).
fn low_mask(m: usize, w: usize) -> u64 {
    let used = m.saturating_sub(64 * w);
    if used >= 64 {
        u64::MAX
    } else {
        (1u64 << used) - 1
    }
}
