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
    let (out_shape, ..) = ring::matmul_shape(x.shape(), y.shape())?;
    let req = Request::MatTriple { a: x.shape().to_vec(), b: y.shape().to_vec() };
    // The dealer computes C while the parties open E and F.
    let Masked { e: e_t, b: b_t, left: left_t, f: f_t, c } = open_bilinear(party, "matmul", &req, x, y)?;
    let mut z = ring::matmul(&e_t, &b_t)?;
    let af = ring::matmul(&left_t, &f_t)?;
    if c.len() != z.len() || af.len() != z.len() {
        return Err(party.invalid("matmul", "bad dealer reply"));
    }
    // Both products are fresh standard-layout arrays, so these are plain slices.
    if let (Some(zs), Some(afs)) = (z.as_slice_mut(), af.as_slice()) {
        for ((z, af), c) in zs.iter_mut().zip(afs).zip(&c) {
            *z = z.wrapping_add(*af).wrapping_add(*c);
        }
    } else {
        z = ring::add(&ring::add(&z, &af)?, &from_vec("matmul", &out_shape, c)?)?;
    }
    Ok(Shared { data: z, scale: x.scale + y.scale })
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
