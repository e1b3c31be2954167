//! Base OTs: Chou and Orlandi's "simplest OT" (LATINCRYPT 2015) over the Ristretto group
//! (`curve25519-dalek`), batched: one sender message `A = aG` for all transfers, one point
//! `B_i = b_iG + c_iA` per transfer from the receiver. Keys are `SHA-256(tag, i, A, B_i, P)` with
//! `P = aB_i` or `a(B_i − A)` for the sender and `b_iA` for the receiver.
//!
//! The known fixes: hashing the transcript `(A, B_i)` and the index `i` into every key (the
//! repair of Hauck and Loss, ePrint 2017/1011, and of Genç, Iovino and Rial, ePrint 2017/370, for
//! the proof gap of the original), a prime-order group (Ristretto: no cofactor, no small-subgroup
//! points), and refusing `A` = identity or a point that does not decode. The result is a random
//! OT: the sender gets two 32-byte keys per transfer, the receiver the key of its choice.

use super::{OtError, KAPPA};
use crate::comm::Comm;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A 32-byte base-OT key.
pub type Key = [u8; 32];

fn random_scalar(rng: &mut impl RngCore) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    Scalar::from_bytes_mod_order_wide(&wide)
}

fn kdf(i: usize, a: &CompressedRistretto, b: &CompressedRistretto, p: &RistrettoPoint) -> Key {
    let mut h = Sha256::new();
    h.update(b"mpcc base ot v1");
    h.update((i as u64).to_le_bytes());
    h.update(a.as_bytes());
    h.update(b.as_bytes());
    h.update(p.compress().as_bytes());
    h.finalize().into()
}

fn decode(bytes: &[u8], peer: usize, what: &str) -> Result<(CompressedRistretto, RistrettoPoint), OtError> {
    let bad = || OtError::Malformed { peer, what: format!("{what}: not a Ristretto point") };
    let c = CompressedRistretto::from_slice(bytes).map_err(|_| bad())?;
    let p = c.decompress().ok_or_else(bad)?;
    Ok((c, p))
}

/// The sender of `KAPPA` random OTs with `peer`: both keys of every transfer.
pub fn send(comm: &mut dyn Comm, peer: usize, rng: &mut impl RngCore) -> Result<Vec<(Key, Key)>, OtError> {
    let a = random_scalar(rng);
    let big_a = RistrettoPoint::mul_base(&a);
    let a_c = big_a.compress();
    comm.send(peer, a_c.as_bytes().to_vec())?;
    let msg = comm.recv(peer)?;
    if msg.len() != 32 * KAPPA {
        return Err(OtError::Malformed { peer, what: format!("base OT points: {} bytes", msg.len()) });
    }
    let a_big_a = a * big_a;
    msg.chunks_exact(32)
        .enumerate()
        .map(|(i, chunk)| {
            let (b_c, b) = decode(chunk, peer, "base OT receiver point")?;
            let p0 = a * b;
            Ok((kdf(i, &a_c, &b_c, &p0), kdf(i, &a_c, &b_c, &(p0 - a_big_a))))
        })
        .collect()
}

/// The receiver of `KAPPA` random OTs with `peer`, choosing `choices` (bit `i` for transfer `i`).
pub fn receive(comm: &mut dyn Comm, peer: usize, choices: u128, rng: &mut impl RngCore) -> Result<Vec<Key>, OtError> {
    let msg = comm.recv(peer)?;
    let (a_c, big_a) = decode(&msg, peer, "base OT sender point")?;
    if big_a == RistrettoPoint::identity() {
        return Err(OtError::Malformed { peer, what: "base OT sender point is the identity".into() });
    }
    let mut out = Vec::with_capacity(32 * KAPPA);
    let mut bs = Vec::with_capacity(KAPPA);
    for i in 0..KAPPA {
        let b = random_scalar(rng);
        let mut point = RistrettoPoint::mul_base(&b);
        if (choices >> i) & 1 == 1 {
            point += big_a;
        }
        let c = point.compress();
        out.extend_from_slice(c.as_bytes());
        bs.push((b, c));
    }
    comm.send(peer, out)?;
    Ok(bs.iter().enumerate().map(|(i, (b, c))| kdf(i, &a_c, c, &(b * big_a))).collect())
}
