//! Convolution and pooling over `[n, c, h, w]` tensors (PyTorch semantics, NCHW), generic over
//! the element type so the MPC engine runs the same code on `u64` shares and the dealer on its
//! reconstructed masks: `im2col` gathers every window into a row, a matrix product (a closure:
//! `linalg::matmul` for `f64`, the ring kernel for `u64`) does the arithmetic, and `col2im`
//! scatters rows back, adding where windows overlap.
//!
//! Geometry: along an axis of size `h` with window `k`, stride `s` and padding `p` the output has
//! `(h + 2p − k) / s + 1` entries; a zero stride or a window larger than the padded input is a
//! typed shape error. Nothing here knows about labels, parties or fixed point.

use super::{linalg, reduce, Tensor};
use crate::error::{dims_text, RunError};
use mpcc_ir::{ArgOp, PoolOp, ReduceOp, Window2d};
use ndarray::{ArrayD, IxDyn};

/// A (batched) matrix product of the element type.
pub type MatMul<'f, T> = &'f dyn Fn(&ArrayD<T>, &ArrayD<T>) -> Result<ArrayD<T>, RunError>;

/// The element arithmetic a convolution needs: zero, addition and the matrix product. The same
/// kernels run on `f64` (plaintext, [`Arith::plain`]) and on ring shares (the dealer's and the
/// parties' products).
pub struct Arith<'f, T> {
    pub zero: T,
    pub add: &'f dyn Fn(&T, &T) -> T,
    pub mm: MatMul<'f, T>,
}

impl Arith<'static, f64> {
    /// Plaintext `f64` arithmetic.
    pub fn plain() -> Arith<'static, f64> {
        Arith { zero: 0.0, add: &|a, b| a + b, mm: &plain_mm }
    }
}

/// The output size along one axis, or why there is none.
pub fn out_size(h: usize, k: usize, stride: u32, pad: u32, what: &str) -> Result<usize, RunError> {
    if stride == 0 {
        return Err(RunError::shape(format!("`{what}` with stride 0")));
    }
    let padded = h.saturating_add(2 * pad as usize);
    if k == 0 || k > padded {
        return Err(RunError::shape(format!(
            "`{what}` window of size {k} does not fit an input of size {h} padded by {pad} on each side"
        )));
    }
    Ok((padded - k) / stride as usize + 1)
}

fn dims4(dims: &[usize], what: &str, name: &str) -> Result<[usize; 4], RunError> {
    match dims {
        [a, b, c, d] => Ok([*a, *b, *c, *d]),
        _ => {
            Err(RunError::shape(format!("`{what}` needs a 4-D `{name}` [n, c, h, w], found shape {}", dims_text(dims))))
        }
    }
}

fn from_vec<T>(dims: &[usize], data: Vec<T>) -> Result<ArrayD<T>, RunError> {
    ArrayD::from_shape_vec(IxDyn(dims), data).map_err(|e| RunError::shape(e.to_string()))
}

fn contiguous<T: Clone>(x: &ArrayD<T>) -> Vec<T> {
    x.iter().cloned().collect()
}

/// The input position of output `o`, window offset `k`, or `None` in the padding.
fn src(o: usize, k: usize, stride: u32, pad: u32, size: usize) -> Option<usize> {
    (o * stride as usize + k).checked_sub(pad as usize).filter(|i| *i < size)
}

/// The positions of `x [n, c, h, w]` (flat, or `None` for padding) in `im2col` order:
/// `n`, output row, output column, channel, window row, window column.
fn window_positions(x: [usize; 4], k: [usize; 2], win: &Window2d, out: [usize; 2]) -> Vec<Option<usize>> {
    let [n, c, h, w] = x;
    let [sh, sw] = win.stride;
    let [ph, pw] = win.padding;
    let mut pos = Vec::with_capacity(n * out[0] * out[1] * c * k[0] * k[1]);
    for b in 0..n {
        for oy in 0..out[0] {
            for ox in 0..out[1] {
                for ch in 0..c {
                    let base = (b * c + ch) * h;
                    for ky in 0..k[0] {
                        let row = src(oy, ky, sh, ph, h);
                        for kx in 0..k[1] {
                            pos.push(row.zip(src(ox, kx, sw, pw, w)).map(|(iy, ix)| (base + iy) * w + ix));
                        }
                    }
                }
            }
        }
    }
    pos
}

/// `x [n, c, h, w]` to `[n, oh·ow, c·kh·kw]`, `pad` outside; also gives `[oh, ow]`.
pub fn im2col<T: Clone>(
    x: &ArrayD<T>,
    k: [usize; 2],
    win: &Window2d,
    pad: &T,
    what: &str,
) -> Result<(ArrayD<T>, [usize; 2]), RunError> {
    let d = dims4(x.shape(), what, "x")?;
    let out = [
        out_size(d[2], k[0], win.stride[0], win.padding[0], what)?,
        out_size(d[3], k[1], win.stride[1], win.padding[1], what)?,
    ];
    let flat = contiguous(x);
    let data: Vec<T> = window_positions(d, k, win, out)
        .into_iter()
        .map(|p| p.and_then(|i| flat.get(i)).unwrap_or(pad).clone())
        .collect();
    Ok((from_vec(&[d[0], out[0] * out[1], d[1] * k[0] * k[1]], data)?, out))
}

/// The adjoint of [`im2col`]: `cols [n, oh·ow, c·kh·kw]` back to `x_dims [n, c, h, w]`, adding
/// entries that land on the same position and dropping the padding.
pub fn col2im<T: Clone>(
    cols: &ArrayD<T>,
    x_dims: [usize; 4],
    k: [usize; 2],
    win: &Window2d,
    zero: &T,
    add: &dyn Fn(&T, &T) -> T,
    what: &str,
) -> Result<ArrayD<T>, RunError> {
    let [n, c, h, w] = x_dims;
    let out = [
        out_size(h, k[0], win.stride[0], win.padding[0], what)?,
        out_size(w, k[1], win.stride[1], win.padding[1], what)?,
    ];
    let want = [n, out[0] * out[1], c * k[0] * k[1]];
    if cols.shape() != want {
        return Err(RunError::shape(format!(
            "`{what}`: the gradient has shape {}, expected {} for an input of shape {}",
            dims_text(cols.shape()),
            dims_text(&want),
            dims_text(&x_dims)
        )));
    }
    let mut acc = vec![zero.clone(); n * c * h * w];
    for (p, v) in window_positions(x_dims, k, win, out).into_iter().zip(cols.iter()) {
        if let Some(slot) = p.and_then(|i| acc.get_mut(i)) {
            *slot = add(slot, v);
        }
    }
    from_vec(&x_dims, acc)
}

/// `[a, b, c]` to `[a, c, b]`, in standard layout.
fn swap_last<T: Clone>(x: ArrayD<T>) -> Result<ArrayD<T>, RunError> {
    let rank = x.ndim();
    if rank < 2 {
        return Err(RunError::shape("swap of the last two axes of a tensor of rank < 2"));
    }
    let mut axes: Vec<usize> = (0..rank).collect();
    axes.swap(rank - 2, rank - 1);
    let t = x.permuted_axes(IxDyn(&axes));
    let dims = t.shape().to_vec();
    from_vec(&dims, t.iter().cloned().collect())
}

fn reshape<T: Clone>(x: &ArrayD<T>, dims: &[usize]) -> Result<ArrayD<T>, RunError> {
    from_vec(dims, contiguous(x))
}

/// `conv2d(x, w)`: `x [n, c, h, w]`, `w [o, c, kh, kw]` → `[n, o, oh, ow]`, zero padding.
pub fn conv2d<T: Clone>(x: &ArrayD<T>, w: &ArrayD<T>, win: &Window2d, ar: &Arith<T>) -> Result<ArrayD<T>, RunError> {
    let xd = dims4(x.shape(), "conv2d", "x")?;
    let [o, c, kh, kw] = dims4(w.shape(), "conv2d", "w")?;
    if xd[1] != c {
        return Err(RunError::shape(format!(
            "`conv2d` of an input with {} channels ({}) by a kernel for {c} channels ({})",
            xd[1],
            dims_text(x.shape()),
            dims_text(w.shape())
        )));
    }
    let (cols, out) = im2col(x, [kh, kw], win, &ar.zero, "conv2d")?;
    let wt = swap_last(reshape(w, &[1, o, c * kh * kw])?)?;
    let wt = reshape(&wt, &[c * kh * kw, o])?;
    let y = swap_last((ar.mm)(&cols, &wt)?)?;
    reshape(&y, &[xd[0], o, out[0], out[1]])
}

/// The adjoint of [`conv2d`] in `x`: `dy [n, o, oh, ow]`, `w [o, c, kh, kw]` → `x_dims`.
pub fn conv2d_grad_x<T: Clone>(
    dy: &ArrayD<T>,
    w: &ArrayD<T>,
    x_dims: &[usize],
    win: &Window2d,
    ar: &Arith<T>,
) -> Result<ArrayD<T>, RunError> {
    let [n, o, oh, ow] = dims4(dy.shape(), "conv2d", "dy")?;
    let [o2, c, kh, kw] = dims4(w.shape(), "conv2d", "w")?;
    let xd = dims4(x_dims, "conv2d", "x")?;
    if o != o2 || xd[0] != n || xd[1] != c {
        return Err(RunError::shape(format!(
            "`conv2d` gradient: dy {}, w {} and x {} do not fit",
            dims_text(dy.shape()),
            dims_text(w.shape()),
            dims_text(x_dims)
        )));
    }
    let dym = swap_last(reshape(dy, &[n, o, oh * ow])?)?;
    let wm = reshape(w, &[o, c * kh * kw])?;
    col2im(&(ar.mm)(&dym, &wm)?, xd, [kh, kw], win, &ar.zero, ar.add, "conv2d")
}

/// The adjoint of [`conv2d`] in `w`: `x [n, c, h, w]`, `dy [n, o, oh, ow]` → `w_dims`.
pub fn conv2d_grad_w<T: Clone>(
    x: &ArrayD<T>,
    dy: &ArrayD<T>,
    w_dims: &[usize],
    win: &Window2d,
    ar: &Arith<T>,
) -> Result<ArrayD<T>, RunError> {
    let [n, o, oh, ow] = dims4(dy.shape(), "conv2d", "dy")?;
    let [o2, c, kh, kw] = dims4(w_dims, "conv2d", "w")?;
    let (cols, out) = im2col(x, [kh, kw], win, &ar.zero, "conv2d")?;
    if o != o2 || x.shape().first() != Some(&n) || x.shape().get(1) != Some(&c) || out != [oh, ow] {
        return Err(RunError::shape(format!(
            "`conv2d` gradient: x {}, dy {} and w {} do not fit",
            dims_text(x.shape()),
            dims_text(dy.shape()),
            dims_text(w_dims)
        )));
    }
    let per_image = (ar.mm)(&reshape(dy, &[n, o, oh * ow])?, &cols)?;
    let size = o * c * kh * kw;
    let flat = contiguous(&per_image);
    let mut acc = vec![ar.zero.clone(); size];
    for chunk in flat.chunks(size.max(1)) {
        for (a, v) in acc.iter_mut().zip(chunk) {
            *a = (ar.add)(a, v);
        }
    }
    from_vec(w_dims, acc)
}

/// The windows of `x [n, c, h, w]` as `[n, c, oh, ow, kh·kw]`, `pad` outside.
pub fn pool_gather<T: Clone>(
    x: &ArrayD<T>,
    k: [usize; 2],
    win: &Window2d,
    pad: &T,
    what: &str,
) -> Result<ArrayD<T>, RunError> {
    let [n, c, h, w] = dims4(x.shape(), what, "x")?;
    let (cols, out) = im2col(&reshape(x, &[n * c, 1, h, w])?, k, win, pad, what)?;
    reshape(&cols, &[n, c, out[0], out[1], k[0] * k[1]])
}

/// The adjoint of [`pool_gather`]: `[n, c, oh, ow, kh·kw]` back to `x_dims`, adding overlaps.
pub fn pool_scatter<T: Clone>(
    g: &ArrayD<T>,
    x_dims: &[usize],
    k: [usize; 2],
    win: &Window2d,
    zero: &T,
    add: &dyn Fn(&T, &T) -> T,
    what: &str,
) -> Result<ArrayD<T>, RunError> {
    let [n, c, h, w] = dims4(x_dims, what, "x")?;
    let rows = g.len() / (n * c * k[0] * k[1]).max(1);
    let x = col2im(&reshape(g, &[n * c, rows, k[0] * k[1]])?, [n * c, 1, h, w], k, win, zero, add, what)?;
    reshape(&x, x_dims)
}

/// `k` as sizes.
pub fn window(k: [u32; 2]) -> [usize; 2] {
    [k[0] as usize, k[1] as usize]
}

/// `max_pool2d` / `avg_pool2d` of a plaintext tensor.
pub fn pool2d(op: PoolOp, x: &Tensor, k: [u32; 2], win: &Window2d) -> Result<Tensor, RunError> {
    let what = mpcc_ir::pool_name(op);
    match op {
        PoolOp::Max => {
            reduce::reduce(ReduceOp::Max, &pool_gather(x, window(k), win, &f64::NEG_INFINITY, what)?, Some(-1))
        }
        PoolOp::Avg => reduce::reduce(ReduceOp::Mean, &pool_gather(x, window(k), win, &0.0, what)?, Some(-1)),
    }
}

/// The adjoint of [`pool2d`] at `x`, applied to `dy`.
pub fn pool2d_grad(op: PoolOp, x: &Tensor, dy: &Tensor, k: [u32; 2], win: &Window2d) -> Result<Tensor, RunError> {
    let what = mpcc_ir::pool_name(op);
    let kk = window(k);
    let g = dy.clone().insert_axis(ndarray::Axis(dy.ndim()));
    let spread = match op {
        PoolOp::Max => {
            let one_hot =
                reduce::arg(ArgOp::ArgMax, &pool_gather(x, kk, win, &f64::NEG_INFINITY, what)?, Some(-1), true)?;
            super::elementwise::binary(mpcc_ir::BinaryOp::Mul, &one_hot, &g)?
        }
        PoolOp::Avg => {
            let ones = Tensor::from_elem(IxDyn(&[kk[0] * kk[1]]), 1.0 / (kk[0] * kk[1]) as f64);
            super::elementwise::binary(mpcc_ir::BinaryOp::Mul, &ones, &g)?
        }
    };
    pool_scatter(&spread, x.shape(), kk, win, &0.0, &|a, b| a + b, what)
}

/// The plaintext matrix product as a [`MatMul`].
pub fn plain_mm(a: &Tensor, b: &Tensor) -> Result<Tensor, RunError> {
    linalg::matmul(a, b)
}

/// Reads a public 1-D shape tensor as dimensions.
pub fn dims_of(shape: &Tensor, what: &str) -> Result<Vec<usize>, RunError> {
    super::construct::dims_from_tensor(shape, what)
}

/// `conv2d` and its adjoints on plaintext tensors.
pub fn conv2d_plain(x: &Tensor, w: &Tensor, win: &Window2d) -> Result<Tensor, RunError> {
    conv2d(x, w, win, &Arith::plain())
}

/// The adjoint in `x` on plaintext tensors.
pub fn conv2d_grad_x_plain(dy: &Tensor, w: &Tensor, x_shape: &Tensor, win: &Window2d) -> Result<Tensor, RunError> {
    conv2d_grad_x(dy, w, &dims_of(x_shape, "conv2d")?, win, &Arith::plain())
}

/// The adjoint in `w` on plaintext tensors.
pub fn conv2d_grad_w_plain(x: &Tensor, dy: &Tensor, w_shape: &Tensor, win: &Window2d) -> Result<Tensor, RunError> {
    conv2d_grad_w(x, dy, &dims_of(w_shape, "conv2d")?, win, &Arith::plain())
}

/// Which bilinear map of two tensors a convolution triple is for: `conv2d(x, w)`, its adjoint in
/// `x` (`(dy, w)` to `x`'s shape) or its adjoint in `w` (`(x, dy)` to `w`'s shape).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvMap {
    Forward,
    GradX,
    GradW,
}

/// The shape of `map(a, b)` with result dimensions `target` (`x`'s for `GradX`, `w`'s for
/// `GradW`, ignored for `Forward`), or the shape error that the map would raise.
pub fn conv_dims(
    map: ConvMap,
    a: &[usize],
    b: &[usize],
    target: &[usize],
    win: &Window2d,
) -> Result<Vec<usize>, RunError> {
    let size = |h: usize, k: usize, axis: usize| {
        out_size(
            h,
            k,
            win.stride.get(axis).copied().unwrap_or(1),
            win.padding.get(axis).copied().unwrap_or(0),
            "conv2d",
        )
    };
    let bad = || {
        RunError::shape(format!(
            "`conv2d`: shapes {}, {} and {} do not fit",
            dims_text(a),
            dims_text(b),
            dims_text(target)
        ))
    };
    let (x, w, y) = match map {
        ConvMap::Forward => (dims4(a, "conv2d", "x")?, dims4(b, "conv2d", "w")?, None),
        ConvMap::GradX => (dims4(target, "conv2d", "x")?, dims4(b, "conv2d", "w")?, Some(dims4(a, "conv2d", "dy")?)),
        ConvMap::GradW => (dims4(a, "conv2d", "x")?, dims4(target, "conv2d", "w")?, Some(dims4(b, "conv2d", "dy")?)),
    };
    if x[1] != w[1] {
        return Err(RunError::shape(format!(
            "`conv2d` of an input with {} channels ({}) by a kernel for {} channels ({})",
            x[1],
            dims_text(&x),
            w[1],
            dims_text(&w)
        )));
    }
    let out = vec![x[0], w[0], size(x[2], w[2], 0)?, size(x[3], w[3], 1)?];
    match y {
        Some(y) if y.as_slice() != out.as_slice() => Err(bad()),
        Some(_) => Ok(target.to_vec()),
        None => Ok(out),
    }
}

/// `map(a, b)` for any element type (the dealer's and the parties' ring products).
pub fn conv_apply<T: Clone>(
    map: ConvMap,
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    target: &[usize],
    win: &Window2d,
    ar: &Arith<T>,
) -> Result<ArrayD<T>, RunError> {
    // Each map checks its operands' shapes itself.
    match map {
        ConvMap::Forward => conv2d(a, b, win, ar),
        ConvMap::GradX => conv2d_grad_x(a, b, target, win, ar),
        ConvMap::GradW => conv2d_grad_w(a, b, target, win, ar),
    }
}

#[cfg(test)]
#[path = "conv_tests.rs"]
mod tests;
