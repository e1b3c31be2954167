//! Construction ops: `zeros`, `ones`, `eye`, seeded `rand`/`randn`, and `shape(x)`; and the
//! reading of a shape argument (a public 1-D tensor of non-negative integers) into dimensions.
//!
//! The generator, exactly (the MPC engine calls these same functions for its public values, and
//! results must not depend on platform or engine):
//! - the stream is ChaCha20 (`rand_chacha::ChaCha20Rng`) with the 32-byte key
//!   `seed.to_le_bytes() ‖ [0; 24]`, nonce 0, block counter from 0, read as 64-bit words
//!   (`next_u64`: two consecutive little-endian 32-bit keystream words, low word first);
//! - uniform `u = (word >> 11) · 2⁻⁵³`, in [0, 1);
//! - normals by Box–Muller on consecutive uniform pairs `(u1, u2)`:
//!   `r = sqrt(-2 ln(1 - u1))`, `z0 = r cos(2π u2)`, `z1 = r sin(2π u2)`, emitted `z0, z1`;
//!   for an odd count the last `z1` is dropped;
//! - tensors are filled in row-major order.

use super::{as_int, Tensor};
use crate::error::{dims_text, RunError};
use ndarray::IxDyn;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// The largest tensor a constructor will build (elements), so a typo cannot exhaust memory.
pub const MAX_ELEMENTS: usize = 1 << 28;

/// Reads a shape argument: a 1-D tensor (or a scalar, taken as a one-entry shape) of
/// non-negative integers.
pub fn dims_from_tensor(shape: &Tensor, what: &str) -> Result<Vec<usize>, RunError> {
    if shape.ndim() > 1 {
        return Err(RunError::shape(format!(
            "the shape given to `{what}` must be 1-D, found shape {}",
            dims_text(shape.shape())
        )));
    }
    let mut dims = Vec::with_capacity(shape.len());
    for &d in shape.iter() {
        let d = as_int(d, &format!("a dimension given to `{what}`"))?;
        let d = usize::try_from(d)
            .map_err(|_| RunError::shape(format!("a dimension given to `{what}` is negative ({d})")))?;
        dims.push(d);
    }
    check_size(&dims, what)?;
    Ok(dims)
}

/// Rejects shapes with more than [`MAX_ELEMENTS`] elements.
pub fn check_size(dims: &[usize], what: &str) -> Result<usize, RunError> {
    let n = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match n {
        Some(n) if n <= MAX_ELEMENTS => Ok(n),
        _ => Err(RunError::shape(format!(
            "`{what}` of shape {} is too large (limit {MAX_ELEMENTS} elements)",
            dims_text(dims)
        ))),
    }
}

pub fn zeros(dims: &[usize]) -> Tensor {
    Tensor::zeros(IxDyn(dims))
}

pub fn ones(dims: &[usize]) -> Tensor {
    Tensor::ones(IxDyn(dims))
}

/// The `n`×`n` identity.
pub fn eye(n: usize) -> Result<Tensor, RunError> {
    check_size(&[n, n], "eye")?;
    Ok(Tensor::from_shape_fn(IxDyn(&[n, n]), |i| if i[0] == i[1] { 1.0 } else { 0.0 }))
}

/// `shape(x)`: a 1-D tensor of `x`'s dimensions.
pub fn shape_of(dims: &[usize]) -> Tensor {
    ndarray::Array1::from_iter(dims.iter().map(|&d| d as f64)).into_dyn()
}

/// The seeded stream described in the module doc.
pub struct Stream {
    rng: ChaCha20Rng,
    spare: Option<f64>,
}

impl Stream {
    pub fn new(seed: u64) -> Stream {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        Stream { rng: ChaCha20Rng::from_seed(key), spare: None }
    }
    /// The next 64-bit word of the keystream.
    pub fn word(&mut self) -> u64 {
        self.rng.next_u64()
    }
    /// Uniform on [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.word() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Standard normal (Box–Muller, two per pair of uniforms).
    pub fn normal(&mut self) -> f64 {
        if let Some(z1) = self.spare.take() {
            return z1;
        }
        let u1 = self.uniform();
        let u2 = self.uniform();
        let r = (-2.0 * (1.0 - u1).ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u2;
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

/// `rand(shape, seed)`: uniform on [0, 1).
pub fn rand(dims: &[usize], seed: u64) -> Result<Tensor, RunError> {
    check_size(dims, "rand")?;
    let mut stream = Stream::new(seed);
    Ok(Tensor::from_shape_simple_fn(IxDyn(dims), || stream.uniform()))
}

/// `randn(shape, seed)`: standard normal.
pub fn randn(dims: &[usize], seed: u64) -> Result<Tensor, RunError> {
    check_size(dims, "randn")?;
    let mut stream = Stream::new(seed);
    Ok(Tensor::from_shape_simple_fn(IxDyn(dims), || stream.normal()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr0, arr1, arr2};

    #[test]
    fn constructors() {
        assert_eq!(zeros(&[2, 1]), arr2(&[[0.0], [0.0]]).into_dyn());
        assert_eq!(ones(&[]), arr0(1.0).into_dyn());
        assert_eq!(eye(2).ok(), Some(arr2(&[[1.0, 0.0], [0.0, 1.0]]).into_dyn()));
        assert_eq!(shape_of(&[3, 4]), arr1(&[3.0, 4.0]).into_dyn());
    }

    #[test]
    fn shape_arguments_are_checked() {
        assert_eq!(dims_from_tensor(&arr1(&[2.0, 3.0]).into_dyn(), "zeros").ok(), Some(vec![2, 3]));
        assert_eq!(dims_from_tensor(&arr0(4.0).into_dyn(), "zeros").ok(), Some(vec![4]));
        assert!(dims_from_tensor(&arr1(&[2.5]).into_dyn(), "zeros").is_err());
        assert!(dims_from_tensor(&arr1(&[-1.0]).into_dyn(), "zeros").is_err());
        assert!(dims_from_tensor(&arr2(&[[1.0]]).into_dyn(), "zeros").is_err());
        assert!(dims_from_tensor(&arr1(&[1e6, 1e6]).into_dyn(), "ones").is_err());
    }

    #[test]
    fn rand_is_seeded_uniform_and_pinned() {
        let a = rand(&[1000], 7).ok().unwrap_or_default();
        assert_eq!(Some(&a), rand(&[1000], 7).ok().as_ref());
        assert_ne!(Some(&a), rand(&[1000], 8).ok().as_ref());
        assert!(a.iter().all(|&u| (0.0..1.0).contains(&u)));
        let mean = a.sum() / 1000.0;
        assert!((mean - 0.5).abs() < 0.05, "mean {mean}");
        // The first word of ChaCha20 with an all-zero key is the published keystream
        // 76 b8 e0 ad a0 f1 3d 90 (RFC 7539 test vector with zero key and nonce).
        assert_eq!(Stream::new(0).word(), 0x903d_f1a0_ade0_b876);
    }

    #[test]
    fn randn_has_unit_moments_and_row_major_fill() {
        let z = randn(&[4000], 1).ok().unwrap_or_default();
        let mean = z.sum() / 4000.0;
        let var = z.mapv(|v| (v - mean) * (v - mean)).sum() / 4000.0;
        assert!(mean.abs() < 0.08 && (var - 1.0).abs() < 0.1, "mean {mean} var {var}");
        let m = randn(&[2, 3], 1).ok().unwrap_or_default();
        let flat: Vec<f64> = m.iter().copied().collect();
        let first: Vec<f64> = z.iter().take(6).copied().collect();
        assert_eq!(flat, first);
    }
}
