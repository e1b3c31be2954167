//! Plaintext tensor operations on `ndarray::ArrayD<f64>` with NumPy semantics: the reference
//! the MPC engine is compared against.
//!
//! Split by family: [`elementwise`] (broadcasting binary and unary ops, `pow`, `where`),
//! [`reduce`] (sum/mean/max/min, argmax/argmin), [`linalg`] (matmul), [`nn`] (softmax,
//! log_softmax, cross_entropy, one_hot), [`construct`] (zeros/ones/eye, seeded rand/randn, shape
//! tensors) and [`structural`] (reshape, transpose, flatten, cat, stack, index, broadcast_to —
//! generic over the element type, so the MPC engine reuses them on `u64` shares).
//!
//! Every shape or index problem is a typed [`RunError`]; nothing here panics on user data.
//! Nothing here knows about labels, parties or files.

pub mod construct;
pub mod conv;
pub mod elementwise;
pub mod linalg;
pub mod nn;
pub mod reduce;
pub mod structural;

use crate::error::{dims_text, RunError};

/// The plaintext tensor type.
pub type Tensor = ndarray::ArrayD<f64>;

/// Resolves a possibly negative `axis` against `rank` (NumPy: `-1` is the last axis).
pub fn resolve_axis(axis: i64, rank: usize) -> Result<usize, RunError> {
    let r = rank as i64;
    let resolved = if axis < 0 { axis + r } else { axis };
    if resolved < 0 || resolved >= r {
        return Err(RunError::index(format!("axis {axis} is out of range for a tensor of rank {rank}")));
    }
    Ok(resolved as usize)
}

/// The NumPy broadcast of two shapes.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, RunError> {
    crate::broadcast::shape(a, b)
        .ok_or_else(|| RunError::shape(format!("shapes {} and {} do not broadcast", dims_text(a), dims_text(b))))
}

/// Reads a 0-d (or one-element) tensor as an integer, for indices, bounds and counts.
pub fn scalar_int(value: &Tensor, what: &str) -> Result<i64, RunError> {
    if value.len() != 1 {
        return Err(RunError::index(format!("{what} must be a scalar, found shape {}", dims_text(value.shape()))));
    }
    let x = value.iter().next().copied().unwrap_or(f64::NAN);
    as_int(x, what)
}

/// An `f64` that must hold an integer (within 1e-9), as `i64`.
pub fn as_int(x: f64, what: &str) -> Result<i64, RunError> {
    let rounded = x.round();
    if !x.is_finite() || (x - rounded).abs() > 1e-9 || rounded.abs() > 9.0e15 {
        return Err(RunError::index(format!("{what} must be an integer, found {x}")));
    }
    Ok(rounded as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_resolve_from_the_end() {
        assert_eq!(resolve_axis(-1, 3).ok(), Some(2));
        assert_eq!(resolve_axis(0, 1).ok(), Some(0));
        assert!(resolve_axis(3, 3).is_err());
        assert!(resolve_axis(-4, 3).is_err());
        assert!(resolve_axis(0, 0).is_err());
    }

    #[test]
    fn broadcast_follows_numpy() {
        assert_eq!(broadcast_shape(&[2, 1, 3], &[4, 1]).ok(), Some(vec![2, 4, 3]));
        assert_eq!(broadcast_shape(&[], &[5]).ok(), Some(vec![5]));
        assert_eq!(broadcast_shape(&[0], &[1]).ok(), Some(vec![0]));
        let err = broadcast_shape(&[2, 3], &[4]).err().map(|e| e.message);
        assert_eq!(err.as_deref(), Some("shapes [2, 3] and [4] do not broadcast"));
    }

    #[test]
    fn integers_are_checked() {
        assert_eq!(as_int(3.0, "i").ok(), Some(3));
        assert_eq!(as_int(-2.0000000001, "i").ok(), Some(-2));
        assert!(as_int(2.5, "i").is_err());
        assert!(as_int(f64::NAN, "i").is_err());
    }
}
