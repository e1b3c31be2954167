//! The wrapping u64 matrix product (NumPy `matmul` shapes: 1-D operands promoted, batch dimensions
//! broadcast) and its cache-blocked kernel.
//!
//! `ndarray`'s `.dot()` on `u64` takes a slow generic path, so this file has its own kernel: a
//! 4×16 register tile accumulated over a block of `k`, written once in portable Rust and compiled
//! twice — plainly, and inside a `#[target_feature(enable = "avx512f,avx512dq")]` function chosen
//! at run time with `is_x86_feature_detected!`, where LLVM turns the tile loops into `vpmullq`.
//! Nothing here needs `target-cpu=native`. It does no sharing and knows no fixed-point scale.

use super::{broadcast_shape, RingTensor, ShapeError};
use ndarray::{ArrayD, IxDyn};

/// Rows of the register tile.
const MR: usize = 4;
/// Columns of the register tile (two 512-bit vectors of u64).
const NR: usize = 16;
/// Block of the shared dimension kept hot in cache.
const KB: usize = 128;
/// Block of output columns.
const NB: usize = 256;

/// The shape of `a @ b` with NumPy `matmul` rules, plus the (m, k, n) of each product.
pub fn matmul_shape(a: &[usize], b: &[usize]) -> Result<(Vec<usize>, usize, usize, usize), ShapeError> {
    let err = || ShapeError { op: "matmul", lhs: a.to_vec(), rhs: b.to_vec() };
    let (a2, a_vec) = match a {
        [] => return Err(err()),
        [k] => (vec![1, *k], true),
        _ => (a.to_vec(), false),
    };
    let (b2, b_vec) = match b {
        [] => return Err(err()),
        [k] => (vec![*k, 1], true),
        _ => (b.to_vec(), false),
    };
    let ([a_batch @ .., m, k], [b_batch @ .., k2, n]) = (a2.as_slice(), b2.as_slice()) else {
        return Err(err());
    };
    let (m, k, k2, n) = (*m, *k, *k2, *n);
    if k != k2 {
        return Err(err());
    }
    let batch = broadcast_shape("matmul", a_batch, b_batch).map_err(|_| err())?;
    let mut out = batch;
    if !a_vec {
        out.push(m);
    }
    if !b_vec {
        out.push(n);
    }
    Ok((out, m, k, n))
}

/// `a @ b` over Z_2^64 with NumPy `matmul` shapes.
pub fn matmul(a: &RingTensor, b: &RingTensor) -> Result<RingTensor, ShapeError> {
    let (out_shape, m, k, n) = matmul_shape(a.shape(), b.shape())?;
    let err = || ShapeError { op: "matmul", lhs: a.shape().to_vec(), rhs: b.shape().to_vec() };
    let batch_a: usize = a.shape().iter().rev().skip(2).product();
    let batch_b: usize = b.shape().iter().rev().skip(2).product();
    let same_batch = a.ndim() <= 2 && b.ndim() <= 2
        || a.shape().get(..a.ndim().saturating_sub(2)) == b.shape().get(..b.ndim().saturating_sub(2));
    let n_batch: usize = out_shape.iter().product::<usize>() / (m * n).max(1);
    let mut out = vec![0u64; n_batch * m * n];
    if same_batch && batch_a == batch_b && m * n > 0 {
        // Fast path: no broadcasting; borrow standard-layout data without copying.
        let a_std = a.as_standard_layout();
        let b_std = b.as_standard_layout();
        let a_sl = a_std.as_slice().ok_or_else(err)?;
        let b_sl = b_std.as_slice().ok_or_else(err)?;
        batched_into(a_sl, b_sl, &mut out, n_batch, (m, k, n)).ok_or_else(err)?;
        return ArrayD::from_shape_vec(IxDyn(&out_shape), out).map_err(|_| err());
    }
    let a3 = as_batched(a, true);
    let b3 = as_batched(b, false);
    let batch_of = |x: &RingTensor| x.shape().get(..x.ndim().saturating_sub(2)).unwrap_or_default().to_vec();
    let batch = broadcast_shape("matmul", &batch_of(&a3), &batch_of(&b3))?;
    let mut full_a = batch.clone();
    full_a.extend([m, k]);
    let mut full_b = batch.clone();
    full_b.extend([k, n]);
    let a_std = super::broadcast_to("matmul", &a3, &full_a)?;
    let b_std = super::broadcast_to("matmul", &b3, &full_b)?;
    let a_sl = a_std.as_slice().ok_or_else(err)?;
    let b_sl = b_std.as_slice().ok_or_else(err)?;
    batched_into(a_sl, b_sl, &mut out, n_batch, (m, k, n)).ok_or_else(err)?;
    ArrayD::from_shape_vec(IxDyn(&out_shape), out).map_err(|_| err())
}

/// `n_batch` products of `[m, k] @ [k, n]` matrices stored one after another in `a`, `b` and
/// `out`; `None` if a slice is shorter than that.
fn batched_into(a: &[u64], b: &[u64], out: &mut [u64], n_batch: usize, (m, k, n): (usize, usize, usize)) -> Option<()> {
    for bi in 0..n_batch {
        let (ao, bo, co) = (bi * m * k, bi * k * n, bi * m * n);
        let (a_bi, b_bi) = (a.get(ao..ao + m * k)?, b.get(bo..bo + k * n)?);
        matmul_into(a_bi, b_bi, out.get_mut(co..co + m * n)?, m, k, n);
    }
    Some(())
}

/// 1-D operands promoted to matrices (a row for the left, a column for the right).
fn as_batched(x: &RingTensor, left: bool) -> RingTensor {
    if x.ndim() != 1 {
        return x.clone();
    }
    let len = x.len();
    let shape = if left { vec![1, len] } else { vec![len, 1] };
    x.clone().into_shape_with_order(IxDyn(&shape)).unwrap_or_else(|_| ArrayD::zeros(IxDyn(&shape)))
}

/// `c += a @ b` for row-major `a` (m×k), `b` (k×n), `c` (m×n), wrapping.
pub fn matmul_into(a: &[u64], b: &[u64], c: &mut [u64], m: usize, k: usize, n: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512dq") {
            // SAFETY: the CPU supports the features the function is compiled for (checked above).
            unsafe { kernel_avx512(a, b, c, m, k, n) };
            return;
        }
    }
    kernel_body(a, b, c, m, k, n);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn kernel_avx512(a: &[u64], b: &[u64], c: &mut [u64], m: usize, k: usize, n: usize) {
    kernel_body(a, b, c, m, k, n);
}

#[inline(always)]
fn kernel_body(a: &[u64], b: &[u64], c: &mut [u64], m: usize, k: usize, n: usize) {
    if a.len() < m * k || b.len() < k * n || c.len() < m * n {
        return;
    }
    let mut jb = 0;
    while jb < n {
        let je = (jb + NB).min(n);
        let mut kb = 0;
        while kb < k {
            let ke = (kb + KB).min(k);
            let mut i = 0;
            while i + MR <= m {
                let mut j = jb;
                while j + NR <= je {
                    tile(a, b, c, i, j, kb, ke, k, n);
                    j += NR;
                }
                edge(a, b, c, i, i + MR, j, je, kb, ke, k, n);
                i += MR;
            }
            edge(a, b, c, i, m, jb, je, kb, ke, k, n);
            kb = ke;
        }
        jb = je;
    }
}

/// One MR×NR tile of `c`, accumulated in registers over `kb..ke`.
///
/// Indexing, not `.get()`: this is the innermost loop of every matrix product. The indices are in
/// bounds by construction: `kernel_body` checked `a.len() ≥ m·k`, `b.len() ≥ k·n`,
/// `c.len() ≥ m·n`, and calls this only with `i + MR ≤ m`, `j + NR ≤ n`, `kb ≤ kk < ke ≤ k`.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::indexing_slicing)]
fn tile(a: &[u64], b: &[u64], c: &mut [u64], i: usize, j: usize, kb: usize, ke: usize, k: usize, n: usize) {
    let mut acc = [[0u64; NR]; MR];
    for kk in kb..ke {
        let Ok(brow) = <&[u64; NR]>::try_from(&b[kk * n + j..kk * n + j + NR]) else {
            return;
        };
        for (r, acc_row) in acc.iter_mut().enumerate() {
            let av = a[(i + r) * k + kk];
            for cc in 0..NR {
                acc_row[cc] = acc_row[cc].wrapping_add(av.wrapping_mul(brow[cc]));
            }
        }
    }
    for (r, acc_row) in acc.iter().enumerate() {
        let Ok(crow) = <&mut [u64; NR]>::try_from(&mut c[(i + r) * n + j..(i + r) * n + j + NR]) else {
            return;
        };
        for cc in 0..NR {
            crow[cc] = crow[cc].wrapping_add(acc_row[cc]);
        }
    }
}

/// The rows `i0..i1` × columns `j0..j1` left over by the tiles, in plain i-k-j order.
///
/// Indexing, not `.get()`, in the kernel's inner loop; in bounds by construction as for
/// [`tile`]: `i1 ≤ m`, `j1 ≤ n`, `ke ≤ k` and the lengths checked in `kernel_body`.
#[inline(always)]
#[allow(clippy::too_many_arguments, clippy::indexing_slicing)]
fn edge(
    a: &[u64],
    b: &[u64],
    c: &mut [u64],
    i0: usize,
    i1: usize,
    j0: usize,
    j1: usize,
    kb: usize,
    ke: usize,
    k: usize,
    n: usize,
) {
    if j0 >= j1 {
        return;
    }
    for i in i0..i1 {
        for kk in kb..ke {
            let av = a[i * k + kk];
            let brow = &b[kk * n + j0..kk * n + j1];
            let crow = &mut c[i * n + j0..i * n + j1];
            for (x, &y) in crow.iter_mut().zip(brow) {
                *x = x.wrapping_add(av.wrapping_mul(y));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The textbook triple loop, the reference the tests compare the kernel with.
    fn matmul_naive(a: &[u64], b: &[u64], m: usize, k: usize, n: usize) -> Vec<u64> {
        let mut c = vec![0u64; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0u64;
                for kk in 0..k {
                    s = s.wrapping_add(a[i * k + kk].wrapping_mul(b[kk * n + j]));
                }
                c[i * n + j] = s;
            }
        }
        c
    }

    #[test]
    fn kernel_matches_naive_on_odd_shapes() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        for &(m, k, n) in &[(1, 1, 1), (5, 3, 17), (9, 130, 33), (4, 16, 16), (13, 257, 270)] {
            let a = crate::ring::random_vec(&mut rng, m * k);
            let b = crate::ring::random_vec(&mut rng, k * n);
            let mut c = vec![0u64; m * n];
            matmul_into(&a, &b, &mut c, m, k, n);
            assert_eq!(c, matmul_naive(&a, &b, m, k, n), "shape {m}x{k}x{n}");
        }
    }

    #[test]
    fn numpy_shapes() {
        assert_eq!(matmul_shape(&[3], &[3]).unwrap().0, Vec::<usize>::new());
        assert_eq!(matmul_shape(&[2, 3], &[3]).unwrap().0, vec![2]);
        assert_eq!(matmul_shape(&[3], &[3, 4]).unwrap().0, vec![4]);
        assert_eq!(matmul_shape(&[5, 2, 3], &[3, 4]).unwrap().0, vec![5, 2, 4]);
        assert_eq!(matmul_shape(&[5, 1, 2, 3], &[7, 3, 4]).unwrap().0, vec![5, 7, 2, 4]);
        assert!(matmul_shape(&[2, 3], &[4, 5]).is_err());
    }

    #[test]
    fn batched_matmul_matches_per_batch() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        let a = crate::ring::random(&mut rng, &[3, 2, 5]);
        let b = crate::ring::random(&mut rng, &[5, 4]);
        let c = matmul(&a, &b).unwrap();
        assert_eq!(c.shape(), &[3, 2, 4]);
        let bv = crate::ring::to_vec(&b);
        for bi in 0..3 {
            let av: Vec<u64> = a.index_axis(ndarray::Axis(0), bi).iter().copied().collect();
            let cv: Vec<u64> = c.index_axis(ndarray::Axis(0), bi).iter().copied().collect();
            assert_eq!(cv, matmul_naive(&av, &bv, 2, 5, 4));
        }
    }
}
