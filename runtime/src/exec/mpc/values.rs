//! The values one party holds during an MPC run ([`Val`]): public (an `f64` tensor every party
//! computes identically), local to one party (the data exists only there) or private (this
//! party's additive share), plus the conversions between them and the mapping of protocol
//! errors ([`MpcError`]) into the executor's [`RunError`].
//!
//! Nothing here communicates except [`local_shape`], which sends a local value's shape (public
//! by the language's rules) from its owner to the other parties when the program does not know it.

use crate::comm::CommError;
use crate::error::{dims_text, ErrorKind, RunError};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::plain::Tensor;
use crate::share::{Public, Shared};
use crate::wire::decode_u64s;
use mpcc_ir::Shape;
use std::borrow::Cow;

/// One value as a party holds it.
#[derive(Clone, Debug)]
pub enum Val {
    /// Known to every party, identical everywhere.
    Public(Tensor),
    /// Known to `owner` alone: `Some` there, `None` on the other parties.
    Local { owner: usize, data: Option<Tensor> },
    /// This party's share of a secret-shared value.
    Private(Shared),
}

impl Val {
    /// The label class, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Val::Public(_) => "public",
            Val::Local { .. } => "local",
            Val::Private(_) => "private",
        }
    }
}

/// An operand of a private operation once local values are shared: public or private.
#[derive(Clone, Copy, Debug)]
pub enum Opd<'a> {
    P(&'a Tensor),
    S(&'a Shared),
}

impl Opd<'_> {
    pub fn shape(&self) -> &[usize] {
        match self {
            Opd::P(t) => t.shape(),
            Opd::S(s) => s.shape(),
        }
    }
}

/// Converts a protocol error into a run error (shape problems stay shape errors; a value outside
/// the fixed-point range is a domain error; the rest are transport or internal failures).
pub fn mpc_err(e: MpcError) -> RunError {
    let kind = match &e {
        MpcError::Shape(_) => ErrorKind::Shape,
        MpcError::Fixed(_) => ErrorKind::Domain,
        _ => ErrorKind::Internal,
    };
    let mut err = RunError::new(kind, e.to_string());
    err.protocol = Some(Box::new(e));
    err
}

/// Whether an error is only the echo of another party stopping (a hung-up peer).
pub fn is_hang_up(e: &RunError) -> bool {
    matches!(e.protocol.as_deref(), Some(MpcError::Comm(CommError::PeerHungUp { .. })))
}

/// Encodes a public tensor at `scale` fractional bits; a value out of range is an error naming it.
pub fn encode(t: &Tensor, scale: u32) -> Result<Public, RunError> {
    Public::encode(t, scale).map_err(|e| {
        RunError::new(ErrorKind::Domain, format!("a public operand cannot be encoded in fixed point: {e}"))
    })
}

/// Encodes a public multiplier: at scale 0 when every entry is a small integer (the product then
/// needs no truncation and is exact), else at `frac_bits`.
pub fn encode_factor(t: &Tensor, frac_bits: u32) -> Result<Public, RunError> {
    let integral = t.iter().all(|v| v.fract() == 0.0 && v.abs() < 2f64.powi(30));
    encode(t, if integral { 0 } else { frac_bits })
}

/// A public tensor as a share (party 0 holds it; no communication).
pub fn public_share(party: &Party, t: &Tensor, scale: u32) -> Result<Shared, RunError> {
    Ok(Shared::from_public(party, &encode(t, scale)?))
}

/// An operand as a share (public ones encoded at `frac_bits`).
pub fn as_shared<'a>(party: &Party, x: Opd<'a>, frac_bits: u32) -> Result<Cow<'a, Shared>, RunError> {
    match x {
        Opd::S(s) => Ok(Cow::Borrowed(s)),
        Opd::P(t) => Ok(Cow::Owned(public_share(party, t, frac_bits)?)),
    }
}

/// A share brought to `frac_bits` fractional bits (a local shift up, or a truncation down).
pub fn at_precision(party: &mut Party, x: &Shared) -> Result<Shared, RunError> {
    let f = party.fixed.frac_bits;
    if x.scale <= f {
        Ok(crate::protocols::arith::upscale(x, f))
    } else {
        crate::protocols::trunc::rescale(party, x.clone(), f).map_err(mpc_err)
    }
}

/// The shape of a local value on every party. The owner knows it; the others take it from the
/// program when every dimension is known there (no communication), else from one message the
/// owner sends to everyone (the shape is public; the data never moves).
pub fn local_shape(
    party: &mut Party,
    owner: usize,
    data: Option<&Tensor>,
    known: &Shape,
) -> Result<Vec<usize>, RunError> {
    let mut shapes = local_shapes(party, &[(owner, data, known)])?;
    shapes.pop().ok_or_else(|| RunError::new(ErrorKind::Internal, "no shape"))
}

/// The shape the program knows for a local value, checked against its actual shape where this
/// party holds it; `None` when the program does not know it (the owner must send it).
pub(crate) fn known_shape(actual: Option<&[usize]>, known: &Shape) -> Result<Option<Vec<usize>>, RunError> {
    let Some(dims) = known.as_known() else { return Ok(None) };
    match actual {
        Some(a) if a != dims.as_slice() => Err(RunError::new(
            ErrorKind::ShapeMismatch,
            format!("the value has shape {}, the program expects {}", dims_text(a), dims_text(&dims)),
        )),
        _ => Ok(Some(dims)),
    }
}

/// The shapes of several local values, as [`local_shape`] each, with every message in one round:
/// each owner sends every peer `[rank, dims…]` of each of its values the program does not know
/// the shape of, in order. No round when the program knows every shape.
pub fn local_shapes(
    party: &mut Party,
    items: &[(usize, Option<&Tensor>, &Shape)],
) -> Result<Vec<Vec<usize>>, RunError> {
    let (me, n) = (party.id(), party.n_parties());
    let mut out: Vec<Option<Vec<usize>>> = Vec::with_capacity(items.len());
    let mut mine: Vec<u64> = Vec::new();
    let mut expect = vec![false; n];
    let mut pending = 0;
    for &(owner, data, known) in items {
        if let Some(dims) = known_shape(data.map(|t| t.shape()), known)? {
            out.push(Some(dims));
            continue;
        }
        if owner == me {
            let t =
                data.ok_or_else(|| RunError::new(ErrorKind::Internal, "the owner of a local value does not hold it"))?;
            mine.push(t.ndim() as u64);
            mine.extend(t.shape().iter().map(|&d| d as u64));
            out.push(Some(t.shape().to_vec()));
        } else {
            if let Some(slot) = expect.get_mut(owner) {
                *slot = true;
            }
            pending += 1;
            out.push(None);
        }
    }
    if out.len() == items.len() && pending == 0 && mine.is_empty() {
        return Ok(out.into_iter().flatten().collect());
    }
    let bytes = (!mine.is_empty()).then(|| crate::wire::encode_u64s(&mine));
    let send = (0..n).map(|p| if p != me { bytes.clone() } else { None }).collect();
    if pending > 0 {
        // A rank and at most 1023 dimensions per value.
        party.comm().expect_at_most(8 * 1024 * pending);
    }
    let got = party.comm().exchange(send, &expect).map_err(|e| mpc_err(e.into()))?;
    let mut words: Vec<std::collections::VecDeque<u64>> = Vec::with_capacity(n);
    for (p, msg) in got.into_iter().enumerate() {
        let w = match msg {
            Some(m) => decode_u64s(&m, m.len() / 8)
                .map_err(|e| RunError::new(ErrorKind::Internal, format!("a malformed shape from party {p}: {e}")))?,
            None => Vec::new(),
        };
        words.push(w.into());
    }
    let malformed = |p: usize| RunError::new(ErrorKind::Internal, format!("a malformed shape from party {p}"));
    let mut shapes = Vec::with_capacity(items.len());
    for (slot, &(owner, ..)) in out.into_iter().zip(items) {
        if let Some(dims) = slot {
            shapes.push(dims);
            continue;
        }
        let queue = words.get_mut(owner).ok_or_else(|| malformed(owner))?;
        let rank = queue.pop_front().ok_or_else(|| malformed(owner))? as usize;
        if rank > queue.len() {
            return Err(malformed(owner));
        }
        shapes.push(queue.drain(..rank).map(|d| d as usize).collect());
    }
    if words.iter().any(|q| !q.is_empty()) {
        return Err(RunError::new(ErrorKind::Internal, "a shape message longer than its values"));
    }
    Ok(shapes)
}

/// Party `owner` secret-shares its local value (encoded at the run's precision).
pub fn share_local(party: &mut Party, owner: usize, data: Option<&Tensor>, known: &Shape) -> Result<Shared, RunError> {
    let shape = local_shape(party, owner, data, known)?;
    share_local_as(party, owner, data, &shape)
}

/// As [`share_local`], with the shape already agreed (`local_shapes`): no communication.
pub fn share_local_as(
    party: &mut Party,
    owner: usize,
    data: Option<&Tensor>,
    shape: &[usize],
) -> Result<Shared, RunError> {
    let f = party.fixed.frac_bits;
    let encoded = match data {
        Some(t) if party.id() == owner => Some(encode(t, f)?.data),
        _ => None,
    };
    crate::share::share_from(party, owner, encoded.as_ref(), shape, f).map_err(mpc_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hang_up_is_known_by_its_type_not_its_words() {
        assert!(is_hang_up(&mpc_err(MpcError::Comm(CommError::PeerHungUp { peer: 1 }))));
        assert!(!is_hang_up(&mpc_err(MpcError::Comm(CommError::Timeout { peer: 1, secs: 5 }))));
        // A message that merely says so is not one.
        assert!(!is_hang_up(&RunError::new(ErrorKind::Internal, "party 1 hung up")));
        // The cause survives the context added on the way up.
        let e = mpc_err(MpcError::Comm(CommError::PeerHungUp { peer: 0 })).with_party("BOB");
        assert!(is_hang_up(&e));
    }
}
