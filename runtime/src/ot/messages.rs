//! Correlations on top of IKNP's correlated OT, each one message from the sender:
//!
//! - additive: the sender gives a vector `c_j` (of `len` words) per transfer; it keeps
//!   `s_j = G(H(j, q_j))` and sends `τ_j = G(H(j, q_j ⊕ Δ)) − s_j − c_j`; the receiver computes
//!   `G(H(j, t_j)) − r_j·τ_j = s_j + r_j·c_j` (Asharov et al., CCS 2013, §5.4 "C-OT").
//!   `G` is the hash itself for one or two words, an AES-128-CTR stream (`csprng.rs`) seeded by it for longer
//!   vectors. Shares of `r_j·c_j`: `−s_j` (sender) and the receiver's result.
//! - XOR of bits: as above with one bit per transfer (`τ_j` one bit, packed 64 to a word).
//!
//! The sender's correction `τ_j` is masked by the hash of a value the receiver does not know
//! (`q_j ⊕ Δ` when `r_j = 0`, `q_j` when `r_j = 1`), so it shows nothing of `c_j`.

use super::block::Tccr;
use super::iknp::{CotReceiver, CotSender};
use super::{recv_words, send_words, OtError};
use crate::comm::Comm;
use crate::csprng::AesCtrRng;
use rand::{Rng, SeedableRng};

/// Expands a hash value into `out`.
fn expand(h: u128, out: &mut [u64]) {
    match out {
        [a] => *a = h as u64,
        [a, b] => {
            *a = h as u64;
            *b = (h >> 64) as u64;
        }
        _ => {
            let mut seed = [0u8; 32];
            let (low, _) = seed.split_at_mut(16);
            low.copy_from_slice(&h.to_le_bytes());
            AesCtrRng::from_seed(seed).fill(out);
        }
    }
}

/// Sender of `corr.len() / len` additive transfers: returns `s` (the receiver gets `s_j + r_j·c_j`).
pub fn send_add(
    ot: &mut CotSender,
    hash: &mut Tccr,
    comm: &mut dyn Comm,
    peer: usize,
    len: usize,
    corr: &[u64],
) -> Result<Vec<u64>, OtError> {
    let m = corr.len().checked_div(len).unwrap_or(0);
    let (tweak0, q) = ot.extend(comm, peer, m)?;
    let delta = ot.delta();
    let (mut h0, mut h1) = (Vec::new(), Vec::new());
    hash.hash(tweak0, &q, &mut h0);
    let q1: Vec<u128> = q.iter().map(|x| x ^ delta).collect();
    hash.hash(tweak0, &q1, &mut h1);
    let mut s = vec![0u64; corr.len()];
    let mut tau = vec![0u64; corr.len()];
    let len1 = len.max(1);
    for (((sj, tj), cj), (a, b)) in
        s.chunks_exact_mut(len1).zip(tau.chunks_exact_mut(len1)).zip(corr.chunks_exact(len1)).zip(h0.iter().zip(&h1))
    {
        expand(*a, sj);
        expand(*b, tj);
        for ((t, s), c) in tj.iter_mut().zip(sj.iter()).zip(cj) {
            *t = t.wrapping_sub(*s).wrapping_sub(*c);
        }
    }
    send_words(comm, peer, &tau)?;
    Ok(s)
}

/// The first half of an additive transfer on the receiver's side: the IKNP columns for `m`
/// transfers choosing the bits of `choices` (sent now, so both parties can send before receiving).
pub struct PendingRecv {
    tweak0: u64,
    t: Vec<u128>,
    choices: Vec<u64>,
}

/// Sends the receiver's columns for `m` transfers (choice `j` is bit `j % 64` of `choices[j / 64]`).
pub fn start_recv(
    ot: &mut CotReceiver,
    comm: &mut dyn Comm,
    peer: usize,
    choices: Vec<u64>,
    m: usize,
) -> Result<PendingRecv, OtError> {
    let (tweak0, t) = ot.extend(comm, peer, &choices, m)?;
    Ok(PendingRecv { tweak0, t, choices })
}

fn choice(choices: &[u64], j: usize) -> u64 {
    choices.get(j / 64).map_or(0, |w| (w >> (j % 64)) & 1)
}

/// Completes an additive transfer of `len`-word vectors: `s_j + r_j·c_j` per transfer.
pub fn finish_recv_add(
    p: PendingRecv,
    hash: &mut Tccr,
    comm: &mut dyn Comm,
    peer: usize,
    len: usize,
) -> Result<Vec<u64>, OtError> {
    let total = p.t.len() * len;
    let tau = recv_words(comm, peer, total, "OT corrections")?;
    let mut h = Vec::new();
    hash.hash(p.tweak0, &p.t, &mut h);
    let mut out = vec![0u64; total];
    for (j, ((oj, tj), hj)) in out.chunks_exact_mut(len.max(1)).zip(tau.chunks_exact(len.max(1))).zip(&h).enumerate() {
        expand(*hj, oj);
        let r = choice(&p.choices, j).wrapping_neg();
        oj.iter_mut().zip(tj).for_each(|(o, t)| *o = o.wrapping_sub(t & r));
    }
    Ok(out)
}

/// Sender of `m` bit transfers with correlations `corr` (bit `j % 64` of word `j / 64`): returns
/// its XOR shares `s` packed the same way (the receiver gets `s_j ⊕ r_j·c_j`).
pub fn send_xor(
    ot: &mut CotSender,
    hash: &mut Tccr,
    comm: &mut dyn Comm,
    peer: usize,
    corr: &[u64],
    m: usize,
) -> Result<Vec<u64>, OtError> {
    let (tweak0, q) = ot.extend(comm, peer, m)?;
    let delta = ot.delta();
    let (mut h0, mut h1) = (Vec::new(), Vec::new());
    hash.hash(tweak0, &q, &mut h0);
    let q1: Vec<u128> = q.iter().map(|x| x ^ delta).collect();
    hash.hash(tweak0, &q1, &mut h1);
    let words = m.div_ceil(64);
    let mut s = vec![0u64; words];
    let mut tau = vec![0u64; words];
    for (j, (a, b)) in h0.iter().zip(&h1).enumerate() {
        let (bit0, bit1) = ((*a & 1) as u64, (*b & 1) as u64);
        if let (Some(sw), Some(tw)) = (s.get_mut(j / 64), tau.get_mut(j / 64)) {
            *sw |= bit0 << (j % 64);
            *tw |= (bit0 ^ bit1 ^ choice(corr, j)) << (j % 64);
        }
    }
    send_words(comm, peer, &tau)?;
    Ok(s)
}

/// Completes `m` bit transfers: `s_j ⊕ r_j·c_j`, packed as the choices.
pub fn finish_recv_xor(p: PendingRecv, hash: &mut Tccr, comm: &mut dyn Comm, peer: usize) -> Result<Vec<u64>, OtError> {
    let words = p.t.len().div_ceil(64);
    let tau = recv_words(comm, peer, words, "OT bit corrections")?;
    let mut h = Vec::new();
    hash.hash(p.tweak0, &p.t, &mut h);
    let mut out = vec![0u64; words];
    for (j, hj) in h.iter().enumerate() {
        let bit = ((*hj & 1) as u64) ^ (choice(&p.choices, j) & choice(&tau, j));
        if let Some(w) = out.get_mut(j / 64) {
            *w |= bit << (j % 64);
        }
    }
    Ok(out)
}
