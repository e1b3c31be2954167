//! Secret-shared tensors and the sharing/revealing protocols.
//!
//! `Shared`: additive shares over Z_2^64 (the value is the sum of all parties' shares) with a
//! fixed-point `scale` (fractional bits; 0 for integers and 0/1 comparison results, which then
//! multiply without truncation). `BinShared`: XOR shares of 64-bit words. `Public`: a plaintext
//! ring tensor with its scale, known to every party.
//!
//! Sharing from a source party costs no communication: each other party `j` draws its share from
//! the generator it shares with the source, and the source keeps `x - Σ_j x_j`. Nothing crosses
//! the wire; the other parties learn only the shape (public by the language's rules). Revealing is
//! one round (see `Party::open`). Nothing here logs a share.

use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::{self, random_vec, RingTensor};
use ndarray::{ArrayD, IxDyn};

/// One party's additive share of a fixed-point tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub data: RingTensor,
    /// Fractional bits of the shared value.
    pub scale: u32,
}

/// One party's XOR share of a tensor of 64-bit words.
#[derive(Clone, Debug, PartialEq)]
pub struct BinShared {
    pub data: RingTensor,
}

/// A public ring tensor with its fixed-point scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Public {
    pub data: RingTensor,
    pub scale: u32,
}

impl Shared {
    pub fn new(data: RingTensor, scale: u32) -> Shared {
        Shared { data, scale }
    }

    pub fn shape(&self) -> &[usize] {
        self.data.shape()
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// A share of a public value: party 0 holds it, the others hold zeros (no communication).
    pub fn from_public(party: &Party, value: &Public) -> Shared {
        let data = if party.id() == 0 { value.data.clone() } else { ArrayD::zeros(value.data.raw_dim()) };
        Shared { data, scale: value.scale }
    }
}

impl Public {
    pub fn new(data: RingTensor, scale: u32) -> Public {
        Public { data, scale }
    }

    /// Reals encoded at `scale` fractional bits.
    pub fn encode(x: &ArrayD<f64>, scale: u32) -> Result<Public, MpcError> {
        Ok(Public { data: crate::fixed::encode_tensor(x, scale)?, scale })
    }

    /// The reals this tensor encodes.
    pub fn decode(&self) -> ArrayD<f64> {
        crate::fixed::decode_tensor(&self.data, self.scale)
    }
}

/// Party `src` secret-shares `value` (given on `src` only) of `shape` at `scale`. No
/// communication: the other parties derive their shares from the generators they share with `src`.
pub fn share_from(
    party: &mut Party,
    src: usize,
    value: Option<&RingTensor>,
    shape: &[usize],
    scale: u32,
) -> Result<Shared, MpcError> {
    if src >= party.n_parties() {
        return Err(party.invalid("private", format!("no party {src} among {}", party.n_parties())));
    }
    let n: usize = shape.iter().product();
    if party.id() != src {
        let data = random_vec(party.pair_rng(src)?, n);
        return Ok(Shared { data: ring::from_vec("private", shape, data)?, scale });
    }
    let value = value.ok_or_else(|| party.invalid("private", "the source party has no value to share"))?;
    if value.shape() != shape {
        return Err(party.invalid("private", format!("value of shape {:?}, declared {:?}", value.shape(), shape)));
    }
    let mut mine = ring::to_vec(value);
    for peer in 0..party.n_parties() {
        if peer != src {
            let theirs = random_vec(party.pair_rng(peer)?, n);
            mine.iter_mut().zip(theirs).for_each(|(m, t)| *m = m.wrapping_sub(t));
        }
    }
    Ok(Shared { data: ring::from_vec("private", shape, mine)?, scale })
}

/// Party `src` XOR-shares words `value`, as `share_from`.
pub fn share_bin_from(
    party: &mut Party,
    src: usize,
    value: Option<&RingTensor>,
    shape: &[usize],
) -> Result<BinShared, MpcError> {
    let n: usize = shape.iter().product();
    if party.id() != src {
        let data = random_vec(party.pair_rng(src)?, n);
        return Ok(BinShared { data: ring::from_vec("private", shape, data)? });
    }
    let value = value.ok_or_else(|| party.invalid("private", "the source party has no value to share"))?;
    let mut mine = ring::to_vec(value);
    for peer in 0..party.n_parties() {
        if peer != src {
            let theirs = random_vec(party.pair_rng(peer)?, n);
            mine.iter_mut().zip(theirs).for_each(|(m, t)| *m ^= t);
        }
    }
    Ok(BinShared { data: ring::from_vec("private", shape, mine)? })
}

/// Opens `x` to every party (one round).
pub fn reveal(party: &mut Party, x: &Shared) -> Result<Public, MpcError> {
    party.note_reveal(x.len());
    let words = party.open(&ring::to_vec(&x.data))?;
    Ok(Public { data: ring::from_vec("reveal", x.shape(), words)?, scale: x.scale })
}

/// Opens `x` to party `to` only (one round); `None` on the other parties.
pub fn reveal_to(party: &mut Party, to: usize, x: &Shared) -> Result<Option<Public>, MpcError> {
    party.note_reveal(x.len());
    match party.open_to(to, &ring::to_vec(&x.data))? {
        Some(words) => Ok(Some(Public { data: ring::from_vec("reveal", x.shape(), words)?, scale: x.scale })),
        None => Ok(None),
    }
}

/// Opens XOR shares to every party (one round).
pub fn reveal_bin(party: &mut Party, x: &BinShared) -> Result<RingTensor, MpcError> {
    party.note_reveal(x.data.len());
    let words = party.open_xor(&ring::to_vec(&x.data))?;
    Ok(ring::from_vec("reveal", x.data.shape(), words)?)
}

/// A zero-filled share of `shape` (useful as a reduction start).
pub fn zeros(shape: &[usize], scale: u32) -> Shared {
    Shared { data: ArrayD::zeros(IxDyn(shape)), scale }
}
