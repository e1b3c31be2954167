//! Ring tensors over Z_2^64: `ndarray::ArrayD<u64>` with wrapping arithmetic, NumPy-style
//! broadcasting, shifts and uniform sampling from a seeded generator.
//!
//! Every function here is pure and local: no sharing, no communication, no fixed-point scale
//! (see `fixed.rs` for encoding and `share.rs` for shares). The matrix product lives in
//! `ring/matmul.rs`.

pub mod matmul;

use ndarray::{ArrayD, IxDyn};
use rand::RngCore;

pub use matmul::{matmul, matmul_shape};

/// A tensor of ring elements (integers mod 2^64).
pub type RingTensor = ArrayD<u64>;

/// A shape error in a ring operation: the operand shapes that did not fit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{op}`: shapes {lhs:?} and {rhs:?} do not fit")]
pub struct ShapeError {
    pub op: &'static str,
    pub lhs: Vec<usize>,
    pub rhs: Vec<usize>,
}

/// The NumPy broadcast of two shapes.
pub fn broadcast_shape(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>, ShapeError> {
    crate::broadcast::shape(a, b).ok_or_else(|| ShapeError { op, lhs: a.to_vec(), rhs: b.to_vec() })
}

/// `a` broadcast to `shape` as an owned, standard-layout tensor.
pub fn broadcast_to(op: &'static str, a: &RingTensor, shape: &[usize]) -> Result<RingTensor, ShapeError> {
    if a.shape() == shape {
        return Ok(a.as_standard_layout().into_owned());
    }
    let err = || ShapeError { op, lhs: a.shape().to_vec(), rhs: shape.to_vec() };
    let view = a.broadcast(IxDyn(shape)).ok_or_else(err)?;
    Ok(view.as_standard_layout().into_owned())
}

/// Elementwise `f(a, b)` with broadcasting.
pub fn zip_with(
    op: &'static str,
    a: &RingTensor,
    b: &RingTensor,
    f: impl Fn(u64, u64) -> u64,
) -> Result<RingTensor, ShapeError> {
    crate::broadcast::zip_with(a, b, f).ok_or_else(|| ShapeError {
        op,
        lhs: a.shape().to_vec(),
        rhs: b.shape().to_vec(),
    })
}

/// `a + b` mod 2^64, broadcasting.
pub fn add(a: &RingTensor, b: &RingTensor) -> Result<RingTensor, ShapeError> {
    zip_with("add", a, b, u64::wrapping_add)
}

/// `a - b` mod 2^64, broadcasting.
pub fn sub(a: &RingTensor, b: &RingTensor) -> Result<RingTensor, ShapeError> {
    zip_with("sub", a, b, u64::wrapping_sub)
}

/// `a * b` mod 2^64, broadcasting.
pub fn mul(a: &RingTensor, b: &RingTensor) -> Result<RingTensor, ShapeError> {
    zip_with("mul", a, b, u64::wrapping_mul)
}

/// `a ^ b`, broadcasting (binary shares).
pub fn xor(a: &RingTensor, b: &RingTensor) -> Result<RingTensor, ShapeError> {
    zip_with("xor", a, b, |x, y| x ^ y)
}

/// `a & b`, broadcasting.
pub fn and(a: &RingTensor, b: &RingTensor) -> Result<RingTensor, ShapeError> {
    zip_with("and", a, b, |x, y| x & y)
}

/// `-a` mod 2^64.
pub fn neg(a: &RingTensor) -> RingTensor {
    a.mapv(u64::wrapping_neg)
}

/// `a * k` mod 2^64 for a ring constant `k`.
pub fn scale(a: &RingTensor, k: u64) -> RingTensor {
    a.mapv(|x| x.wrapping_mul(k))
}

/// `a << bits` (multiplication by 2^bits mod 2^64); `bits` ≥ 64 gives zeros.
pub fn shl(a: &RingTensor, bits: u32) -> RingTensor {
    a.mapv(|x| x.checked_shl(bits).unwrap_or(0))
}

/// Arithmetic (sign-extending) shift right of each element read as a signed integer.
/// Only meaningful on plaintext values; shares must use the truncation protocol.
pub fn shr_signed(a: &RingTensor, bits: u32) -> RingTensor {
    a.mapv(|x| ((x as i64) >> bits.min(63)) as u64)
}

/// A tensor of `shape` with independent uniform ring elements drawn from `rng`.
pub fn random(rng: &mut impl RngCore, shape: &[usize]) -> RingTensor {
    let n: usize = shape.iter().product();
    let data = random_vec(rng, n);
    // The length equals the shape's product, so this cannot fail.
    ArrayD::from_shape_vec(IxDyn(shape), data).unwrap_or_else(|_| ArrayD::zeros(IxDyn(shape)))
}

/// `n` uniform ring elements from `rng`, in order (the order both holders of a seed rely on).
pub fn random_vec(rng: &mut impl RngCore, n: usize) -> Vec<u64> {
    // `fill` draws 8·n bytes and reads each 8 as a little-endian word.
    let mut v = vec![0u64; n];
    rand::Rng::fill(rng, &mut v[..]);
    v
}

/// A flat vector reshaped to `shape`, or a shape error naming `op`.
pub fn from_vec(op: &'static str, shape: &[usize], data: Vec<u64>) -> Result<RingTensor, ShapeError> {
    let len = data.len();
    ArrayD::from_shape_vec(IxDyn(shape), data).map_err(|_| ShapeError { op, lhs: shape.to_vec(), rhs: vec![len] })
}

/// The elements of `a` in standard (row-major) order.
pub fn to_vec(a: &RingTensor) -> Vec<u64> {
    a.iter().copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr2;

    #[test]
    fn broadcasting_add_wraps() {
        let a = arr2(&[[u64::MAX], [1]]).into_dyn();
        let b = ndarray::arr1(&[1u64, 2, 3]).into_dyn();
        let c = add(&a, &b).unwrap();
        assert_eq!(c.shape(), &[2, 3]);
        assert_eq!(to_vec(&c), vec![0, 1, 2, 2, 3, 4]);
    }

    #[test]
    fn bad_broadcast_is_an_error() {
        let a = ArrayD::<u64>::zeros(IxDyn(&[2, 3]));
        let b = ArrayD::<u64>::zeros(IxDyn(&[4]));
        assert!(add(&a, &b).is_err());
    }

    #[test]
    fn signed_shift_keeps_sign() {
        let a = ndarray::arr1(&[(-8i64) as u64, 8]).into_dyn();
        assert_eq!(to_vec(&shr_signed(&a, 2)), vec![(-2i64) as u64, 2]);
    }
}
