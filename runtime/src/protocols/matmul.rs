//! Matrix products of shares (NumPy `matmul` shapes, batched): private@private with a dealer
//! matrix triple, and private@public / public@private locally. Each party's work is two (or one)
//! calls of the ring kernel in `ring/matmul.rs`.

use super::trunc::rescale;
use super::{flat, open_masked, Opening};
use crate::dealer::Request;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::{self, from_vec, RingTensor};
use crate::share::{Public, Shared};

/// `x @ y` for two private operands.
///
/// Beaver for matrices: with a triple `(A, B, C = A@B)` open `E = x - A`, `F = y - B` together,
/// then `Z = C + E@B + (A + E on party 0)@F` — two local matrix products per party.
/// Cost: 1 round (plus 1 of truncation); each party sends (N-1)·8·(|x| + |y|) bytes, and the
/// truncation (N-1)·8·|z|; the dealer sends party 0 8·|z| bytes (plus 16·|z| for truncation).
pub fn matmul(party: &mut Party, x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let z = matmul_raw(party, x, y)?;
    rescale(party, z, x.scale.max(y.scale))
}

/// The Beaver matrix product without truncation: scale `sx + sy`, 1 round.
pub fn matmul_raw(party: &mut Party, x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    // A shape error is the op's, before anything is asked of the dealer.
    ring::matmul_shape(x.shape(), y.shape())?;
    let req = Request::MatTriple { a: x.shape().to_vec(), b: y.shape().to_vec() };
    // The dealer computes C while the parties open E and F.
    let m = open_bilinear(party, "matmul", &req, x, y)?;
    Ok(Shared { data: combine(party, [&m.e, &m.b, &m.left, &m.f], &m.c)?, scale: x.scale + y.scale })
}

/// `Z = C + E@B + left@F` from `[E, B, left, F]`: two local matrix products.
fn combine(party: &Party, [e, b, left, f]: [&RingTensor; 4], c: &[u64]) -> Result<RingTensor, MpcError> {
    let mut z = ring::matmul(e, b)?;
    let af = ring::matmul(left, f)?;
    if c.len() != z.len() || af.len() != z.len() {
        return Err(party.invalid("matmul", "bad dealer reply"));
    }
    // Both products are fresh standard-layout arrays, so these are plain slices.
    if let (Some(zs), Some(afs)) = (z.as_slice_mut(), af.as_slice()) {
        for ((z, af), c) in zs.iter_mut().zip(afs).zip(c) {
            *z = z.wrapping_add(*af).wrapping_add(*c);
        }
    } else {
        let shape = z.shape().to_vec();
        z = ring::add(&ring::add(&z, &af)?, &from_vec("matmul", &shape, c.to_vec())?)?;
    }
    Ok(z)
}

/// A matrix operand's mask kept for reuse (`Request::MatTripleReuse`): the dealer's id, the
/// opened masked operand (public) and this party's share of the mask.
#[derive(Clone, Debug)]
pub struct KeptMask {
    pub id: u64,
    pub opened: RingTensor,
    pub share: RingTensor,
}

/// How [`matmul_reuse_raw`] uses a kept mask; `side` 0 is the left operand, 1 the right one.
pub enum Reuse<'a> {
    /// A fresh triple whose `side` mask the dealer keeps under `id`.
    Keep { side: u8, id: u64 },
    /// The `side` operand was masked and opened before with `mask`: only the other is opened.
    Fixed { side: u8, mask: &'a KeptMask },
}

/// `x @ y` without truncation, keeping or reusing one operand's mask. With `Keep` it is
/// [`matmul_raw`] and returns the kept mask; with `Fixed` only the other operand is masked and
/// opened (its words alone cross the wire), and the product uses the kept opening and share.
/// The caller must pass `Fixed` only for the very shares that were opened under that mask.
/// Cost: 1 round; each party sends (N-1)·8 bytes per element of the operands opened.
pub fn matmul_reuse_raw(
    party: &mut Party,
    x: &Shared,
    y: &Shared,
    reuse: Reuse<'_>,
) -> Result<(Shared, Option<KeptMask>), MpcError> {
    ring::matmul_shape(x.shape(), y.shape())?;
    let (a, b) = (x.shape().to_vec(), y.shape().to_vec());
    let is_p0 = party.id() == 0;
    let scale = x.scale + y.scale;
    match reuse {
        Reuse::Keep { side, id } => {
            let req = Request::MatTripleReuse { a, b, side, id, fixed: false };
            let m = open_bilinear(party, "matmul", &req, x, y)?;
            let z = combine(party, [&m.e, &m.b, &m.left, &m.f], &m.c)?;
            let kept = if side == 1 {
                KeptMask { id, opened: m.f, share: m.b }
            } else {
                // `left` is A + E on party 0.
                let share = if is_p0 { ring::sub(&m.left, &m.e)? } else { m.left };
                KeptMask { id, opened: m.e, share }
            };
            Ok((Shared { data: z, scale }, Some(kept)))
        }
        Reuse::Fixed { side, mask } => {
            let fresh = if side == 1 { x } else { y };
            let kept_shape = if side == 1 { y.shape() } else { x.shape() };
            if mask.opened.shape() != kept_shape || mask.share.shape() != kept_shape {
                return Err(party.invalid("matmul", "a kept mask of another shape"));
            }
            let req = Request::MatTripleReuse { a, b, side, id: mask.id, fixed: true };
            let n = fresh.len();
            let (opened, [r, c]) = open_masked(party, "matmul", &req, Opening::Add, n, |p| {
                flat(&fresh.data).iter().zip(p.free(0)).map(|(v, r)| v.wrapping_sub(*r)).collect()
            })?;
            let opened = from_vec("matmul", fresh.shape(), opened)?;
            let r = from_vec("matmul", fresh.shape(), r)?;
            let z = if side == 1 {
                let left = if is_p0 { ring::add(&r, &opened)? } else { r };
                combine(party, [&opened, &mask.share, &left, &mask.opened], &c)?
            } else if is_p0 {
                let left = ring::add(&mask.share, &mask.opened)?;
                combine(party, [&mask.opened, &r, &left, &opened], &c)?
            } else {
                combine(party, [&mask.opened, &r, &mask.share, &opened], &c)?
            };
            Ok((Shared { data: z, scale }, None))
        }
    }
}

/// The opened half of a bilinear Beaver protocol (a matrix product, a convolution): `E = x - A`
/// and `F = y - B` opened together in one round, with this party's shares of `B` and `C`, and
/// `A + E` on party 0 (`A` elsewhere), so that `Z = C + op(E, B) + op(left, F)`.
pub(crate) struct Masked {
    pub e: RingTensor,
    pub b: RingTensor,
    pub left: RingTensor,
    pub f: RingTensor,
    pub c: Vec<u64>,
}

/// Asks the dealer for the triple `req` of `x`'s and `y`'s shapes and opens `x - A`, `y - B`.
pub(crate) fn open_bilinear(
    party: &mut Party,
    op: &'static str,
    req: &Request,
    x: &Shared,
    y: &Shared,
) -> Result<Masked, MpcError> {
    let nx = x.len();
    let (opened, [a, b, c]) = open_masked(party, op, req, Opening::Add, nx + y.len(), |p| {
        let mut masked = Vec::with_capacity(nx + y.len());
        masked.extend(flat(&x.data).iter().zip(p.free(0)).map(|(x, a)| x.wrapping_sub(*a)));
        masked.extend(flat(&y.data).iter().zip(p.free(1)).map(|(y, b)| y.wrapping_sub(*b)));
        masked
    })?;
    let mut e = opened;
    let f = e.split_off(nx);
    let left: Vec<u64> = if party.id() == 0 { a.iter().zip(&e).map(|(a, e)| a.wrapping_add(*e)).collect() } else { a };
    Ok(Masked {
        e: from_vec(op, x.shape(), e)?,
        b: from_vec(op, y.shape(), b)?,
        left: from_vec(op, x.shape(), left)?,
        f: from_vec(op, y.shape(), f)?,
        c,
    })
}

/// `x @ p` for a public right operand: local product, then truncation.
pub fn matmul_public(party: &mut Party, x: &Shared, p: &Public) -> Result<Shared, MpcError> {
    let z = ring::matmul(&x.data, &p.data)?;
    rescale(party, Shared { data: z, scale: x.scale + p.scale }, x.scale.max(p.scale))
}

/// `p @ x` for a public left operand: local product, then truncation.
pub fn public_matmul(party: &mut Party, p: &Public, x: &Shared) -> Result<Shared, MpcError> {
    let z = ring::matmul(&p.data, &x.data)?;
    rescale(party, Shared { data: z, scale: x.scale + p.scale }, x.scale.max(p.scale))
}
