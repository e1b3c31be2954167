//! Matrix and convolution triples from OT: `C = f(A, B)` for a bilinear `f`, with
//! `f(A, B) = f(A_0, B_0) + f(A_1, B_1) + f(A_0, B_1) + f(A_1, B_0)`; each party computes its own
//! term locally and the two cross terms are Gilboa products over the elements of the smaller
//! operand (the receiver's, 64 transfers each) with vector correlations `2^l·f(X_i, e_q)`.
//!
//! Matrix (`A` m×k, `B` k×n, batches broadcast): with `B` as the receiver's, element `B[p, j]`'s
//! vector is column `p` of the sender's `A` (m words, landing in column `j` of `C`); with `A`,
//! element `A[i, p]`'s is row `p` of `B` (n words, row `i` of `C`). `B` receives when `n ≤ m`.
//! Per cross term that is 64·k·n transfers of m words (or 64·m·k of n): both cross terms
//! together send `2·64·k·min(m,n)·(8·max(m,n) + 16)` bytes, about `1 KiB · m·k·n` — as much as
//! `m·k·n` scalar Beaver triples' corrections, where the dealer sends `8·m·n` bytes
//! (docs/performance.md has the measured figures).
//!
//! Convolution: the vector of element `q` is `f(X_i, e_q)` (|C| words) computed by the sender
//! with one convolution per element of the receiver's operand, the smaller of the two.

use super::cross::{cross, Dir, OtCtx};
use crate::csprng::AesCtrRng;
use crate::dealer::DealerError;
use crate::plain::conv::{conv_dims, ConvMap};
use crate::protocols::conv::ring_conv;
use crate::ring::{self, matmul::matmul_shape, RingTensor};
use mpcc_ir::Window2d;
use rand::Rng;

fn bad(e: impl std::fmt::Display) -> DealerError {
    DealerError::BadRequest(e.to_string())
}

fn random_words(rng: &mut AesCtrRng, n: usize) -> Vec<u64> {
    let mut v = vec![0u64; n];
    rng.fill(v.as_mut_slice());
    v
}

/// For every index of the broadcast batch shape `out`, the flat index into the batch shape `src`
/// (right-aligned, dimensions of 1 repeated).
fn broadcast_offsets(src: &[usize], out: &[usize]) -> Vec<usize> {
    let total: usize = out.iter().product();
    let pad = out.len().saturating_sub(src.len());
    (0..total)
        .map(|flat| {
            let (mut rest, mut idx, mut stride) = (flat, 0usize, 1usize);
            for (d, &od) in out.iter().enumerate().rev() {
                let i = rest % od.max(1);
                rest /= od.max(1);
                let sd = if d >= pad { src.get(d - pad).copied().unwrap_or(1) } else { 1 };
                if sd != 1 {
                    idx += i * stride;
                }
                stride *= sd;
            }
            idx
        })
        .collect()
}

fn batch_dims(shape: &[usize]) -> &[usize] {
    shape.get(..shape.len().saturating_sub(2)).unwrap_or(&[])
}

/// A matrix triple for `a @ b` (NumPy `matmul` shapes): `[A, B, C]`.
pub fn matrix_triple(
    ctx: &mut OtCtx,
    rng: &mut AesCtrRng,
    a_shape: &[usize],
    b_shape: &[usize],
) -> Result<Vec<Vec<u64>>, DealerError> {
    let (_, m, k, n) = matmul_shape(a_shape, b_shape).map_err(bad)?;
    let a_batch = if a_shape.len() >= 2 { batch_dims(a_shape) } else { &[] };
    let b_batch = if b_shape.len() >= 2 { batch_dims(b_shape) } else { &[] };
    let out_batch = ring::broadcast_shape("matmul", a_batch, b_batch).map_err(bad)?;
    let a_off = broadcast_offsets(a_batch, &out_batch);
    let b_off = broadcast_offsets(b_batch, &out_batch);
    let a = random_words(rng, a_shape.iter().product());
    let b = random_words(rng, b_shape.iter().product());
    let at = ring::from_vec("matmul", a_shape, a.clone()).map_err(bad)?;
    let bt = ring::from_vec("matmul", b_shape, b.clone()).map_err(bad)?;
    let mut c = ring::to_vec(&ring::matmul(&at, &bt).map_err(bad)?);
    let get = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    let off = |v: &[usize], i: usize| v.get(i).copied().unwrap_or(0);
    let batches = a_off.len();
    if n <= m {
        // The receiver's elements are B's (batch-expanded), e = (β·k + p)·n + j.
        let recv: Vec<u64> =
            (0..batches * k * n).map(|e| get(&b, off(&b_off, e / (k * n)) * k * n + e % (k * n))).collect();
        cross(
            ctx,
            Dir::Both,
            &recv,
            64,
            m,
            |e, v| {
                let (beta, p) = (e / (k * n), (e / n) % k);
                let base = off(&a_off, beta) * m * k + p;
                v.iter_mut().enumerate().for_each(|(i, w)| *w = get(&a, base + i * k));
            },
            |e, sh| {
                let (beta, j) = (e / (k * n), e % n);
                for (i, s) in sh.iter().enumerate() {
                    if let Some(cw) = c.get_mut(beta * m * n + i * n + j) {
                        *cw = cw.wrapping_add(*s);
                    }
                }
            },
        )?;
    } else {
        // The receiver's elements are A's, e = (β·m + i)·k + p.
        let recv: Vec<u64> =
            (0..batches * m * k).map(|e| get(&a, off(&a_off, e / (m * k)) * m * k + e % (m * k))).collect();
        cross(
            ctx,
            Dir::Both,
            &recv,
            64,
            n,
            |e, v| {
                let (beta, p) = (e / (m * k), e % k);
                let base = off(&b_off, beta) * k * n + p * n;
                v.iter_mut().enumerate().for_each(|(j, w)| *w = get(&b, base + j));
            },
            |e, sh| {
                let (beta, i) = (e / (m * k), (e / k) % m);
                let row = beta * m * n + i * n;
                if let Some(cs) = c.get_mut(row..row + n) {
                    cs.iter_mut().zip(sh).for_each(|(cw, s)| *cw = cw.wrapping_add(*s));
                }
            },
        )?;
    }
    Ok(vec![a, b, c])
}

/// A convolution triple for `map(A, B)`: `[A, B, C]`.
pub fn conv_triple(
    ctx: &mut OtCtx,
    rng: &mut AesCtrRng,
    map: ConvMap,
    a_shape: &[usize],
    b_shape: &[usize],
    target: &[usize],
    win: &Window2d,
) -> Result<Vec<Vec<u64>>, DealerError> {
    let c_shape = conv_dims(map, a_shape, b_shape, target, win).map_err(|e| DealerError::BadRequest(e.message))?;
    let c_len: usize = c_shape.iter().product();
    let a = random_words(rng, a_shape.iter().product());
    let b = random_words(rng, b_shape.iter().product());
    let at = ring::from_vec("conv2d", a_shape, a.clone()).map_err(bad)?;
    let bt = ring::from_vec("conv2d", b_shape, b.clone()).map_err(bad)?;
    let conv = |x: &RingTensor, y: &RingTensor| ring_conv(map, x, y, target, win).map_err(|e| bad(e.message));
    let mut c = ring::to_vec(&conv(&at, &bt)?);
    // The receiver's operand is the smaller one; the sender's vector for its element q is the
    // map applied to the sender's other operand and the unit tensor e_q.
    let recv_b = b.len() <= a.len();
    let (recv, unit_shape) = if recv_b { (&b, b_shape) } else { (&a, a_shape) };
    let mut failure: Option<DealerError> = None;
    cross(
        ctx,
        Dir::Both,
        recv,
        64,
        c_len,
        |q, v| {
            let mut unit = vec![0u64; recv.len()];
            if let Some(u) = unit.get_mut(q) {
                *u = 1;
            }
            let got = ring::from_vec("conv2d", unit_shape, unit).map_err(bad).and_then(|e| {
                if recv_b {
                    conv(&at, &e)
                } else {
                    conv(&e, &bt)
                }
            });
            match got {
                Ok(t) => v.iter_mut().zip(t.iter()).for_each(|(w, x)| *w = *x),
                Err(e) => failure = Some(e),
            }
        },
        |_, sh| c.iter_mut().zip(sh).for_each(|(cw, s)| *cw = cw.wrapping_add(*s)),
    )?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(vec![a, b, c])
}
