//! Convolutions and pooling of shares.
//!
//! A convolution is bilinear, so Beaver's trick works for it as for a matrix product: with a
//! dealer *convolution triple* `(A, B, C = conv(A, B))` the parties open `E = x − A` and
//! `F = w − B` once and compute `Z = C + conv(E, B) + conv(A + E on party 0, F)` locally. The
//! same holds for the two adjoints of `conv2d` (in `x` and in `w`), which `grad` emits, so one
//! protocol serves the three maps ([`ConvMap`]). The local products are `im2col` plus the ring
//! matmul kernel, so the wire carries `|x| + |w|` elements, not the `im2col` expansion.
//!
//! Pooling: `max_pool2d` gathers the windows (local) and runs the comparison tree of
//! `select::reduce_extreme` over the last axis, every window in one batch per level;
//! `avg_pool2d` gathers with zero padding and takes the mean (a local sum, a public division).
//! The padding of a max pool is a public very negative value, held by party 0's share.

use super::matmul::{open_bilinear, Masked};
use super::select::{reduce_extreme, Extreme};
use super::trunc::rescale;
use super::{arith, mul};
use crate::dealer::Request;
use crate::error::RunError;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::plain::conv::{conv_apply, pool_gather, pool_scatter, window, Arith, ConvMap};
use crate::ring::{self, from_vec, RingTensor};
use crate::share::{Public, Shared};
use mpcc_ir::{PoolOp, Window2d};

/// The ring matrix product as the kernel's `MatMul`.
pub fn ring_mm(a: &RingTensor, b: &RingTensor) -> Result<RingTensor, RunError> {
    ring::matmul(a, b).map_err(|e| RunError::shape(e.to_string()))
}

/// `map(a, b)` on ring tensors (wrapping arithmetic).
pub fn ring_conv(
    map: ConvMap,
    a: &RingTensor,
    b: &RingTensor,
    target: &[usize],
    win: &Window2d,
) -> Result<RingTensor, RunError> {
    let ar = Arith { zero: 0u64, add: &|x: &u64, y: &u64| x.wrapping_add(*y), mm: &ring_mm };
    conv_apply(map, a, b, target, win, &ar)
}

fn local(party: &Party, e: RunError) -> MpcError {
    party.invalid("conv2d", e.message)
}

/// `map(x, y)` for two private operands: one opening of `|x| + |y|` elements, then truncation.
/// Cost: 2 rounds (the opening and the truncation); each party sends (N-1)·8·(|x| + |y| + |z|)
/// bytes; the dealer sends party 0 8·|z| (plus 16·|z| for the truncation).
pub fn conv_priv_priv(
    party: &mut Party,
    map: ConvMap,
    x: &Shared,
    y: &Shared,
    target: &[usize],
    win: &Window2d,
) -> Result<Shared, MpcError> {
    let req =
        Request::ConvTriple { map, a: x.shape().to_vec(), b: y.shape().to_vec(), target: target.to_vec(), win: *win };
    let Masked { e: e_t, b: b_t, left: left_t, f: f_t, c } = open_bilinear(party, "conv2d", &req, x, y)?;
    let eb = ring_conv(map, &e_t, &b_t, target, win).map_err(|e| local(party, e))?;
    let af = ring_conv(map, &left_t, &f_t, target, win).map_err(|e| local(party, e))?;
    let z = ring::add(&eb, &af)?;
    let c = from_vec("conv2d", z.shape(), c)?;
    let z = ring::add(&z, &c)?;
    rescale(party, Shared { data: z, scale: x.scale + y.scale }, x.scale.max(y.scale))
}

/// `map(x, p)` (or `map(p, x)` with `public_left`) for one public operand: local, then truncation.
/// Cost: 1 round, (N-1)·8·|z| bytes per party.
pub fn conv_public(
    party: &mut Party,
    map: ConvMap,
    x: &Shared,
    p: &Public,
    public_left: bool,
    target: &[usize],
    win: &Window2d,
) -> Result<Shared, MpcError> {
    let z = if public_left {
        ring_conv(map, &p.data, &x.data, target, win)
    } else {
        ring_conv(map, &x.data, &p.data, target, win)
    }
    .map_err(|e| local(party, e))?;
    rescale(party, Shared { data: z, scale: x.scale + p.scale }, x.scale.max(p.scale))
}

/// The padding of a private max pool: −2^61 in the ring (below any encodable value by a margin
/// that keeps every comparison exact), held by party 0; the others hold 0.
fn max_pad(party: &Party) -> u64 {
    if party.id() == 0 {
        (1u64 << 61).wrapping_neg()
    } else {
        0
    }
}

/// `max_pool2d` / `avg_pool2d` of a share.
/// Cost: `Max`, ⌈log2(kh·kw)⌉ levels of (comparison + selection) over all windows at once;
/// `Avg`, one truncation (the division by kh·kw).
pub fn pool2d(party: &mut Party, op: PoolOp, x: &Shared, k: [u32; 2], win: &Window2d) -> Result<Shared, MpcError> {
    let what = mpcc_ir::pool_name(op);
    let kk = window(k);
    let pad = if op == PoolOp::Max { max_pad(party) } else { 0 };
    let cols = pool_gather(&x.data, kk, win, &pad, what).map_err(|e| party.invalid("pool2d", e.message))?;
    let cols = Shared { data: cols, scale: x.scale };
    let axis = Some(cols.data.ndim().saturating_sub(1));
    match op {
        PoolOp::Max => Ok(reduce_extreme(party, &cols, axis, Extreme::Max, false)?.values),
        PoolOp::Avg => arith::mean(party, &arith::upscale(&cols, party.fixed.frac_bits), axis),
    }
}

/// `max_pool2d` of a share and the one-hot of each window's chosen element (for its gradient),
/// from one comparison tree: ⌈log2(kh·kw)⌉ levels of (comparison + selection), as [`pool2d`].
pub fn max_pool2d_tracked(
    party: &mut Party,
    x: &Shared,
    k: [u32; 2],
    win: &Window2d,
) -> Result<(Shared, Shared), MpcError> {
    let what = mpcc_ir::pool_name(PoolOp::Max);
    let cols =
        pool_gather(&x.data, window(k), win, &max_pad(party), what).map_err(|e| party.invalid("pool2d", e.message))?;
    let cols = Shared { data: cols, scale: x.scale };
    let axis = Some(cols.data.ndim().saturating_sub(1));
    let reduced = reduce_extreme(party, &cols, axis, Extreme::Max, true)?;
    let one_hot = reduced.one_hot.ok_or_else(|| party.invalid("pool2d", "the comparison tree lost the positions"))?;
    Ok((reduced.values, one_hot))
}

/// The adjoint of [`pool2d`] at `x`, applied to `dy` (both private, or `x` only for its shape
/// with `Avg`). Cost: `Max`, the comparison tree with its one-hot — none when `one_hot` comes
/// from the forward pass ([`max_pool2d_tracked`]) — plus one product of a 0/1 share by `dy` per
/// window element; `Avg`, one truncation.
pub fn pool2d_grad(
    party: &mut Party,
    op: PoolOp,
    x: &Shared,
    dy: &Shared,
    k: [u32; 2],
    win: &Window2d,
    one_hot: Option<&Shared>,
) -> Result<Shared, MpcError> {
    let what = mpcc_ir::pool_name(op);
    let kk = window(k);
    let g_shape: Vec<usize> = dy.shape().iter().copied().chain([kk[0] * kk[1]]).collect();
    let dy_b = ring::broadcast_to("pool2d", &dy.data.clone().insert_axis(ndarray::Axis(dy.data.ndim())), &g_shape)?;
    let spread = match op {
        PoolOp::Max => {
            let computed;
            let one_hot = match one_hot {
                Some(h) if h.shape() == g_shape.as_slice() => h,
                _ => {
                    computed = max_pool2d_tracked(party, x, k, win)?.1;
                    &computed
                }
            };
            mul::mul(party, one_hot, &Shared { data: dy_b, scale: dy.scale })?
        }
        PoolOp::Avg => arith::div_public(party, &Shared { data: dy_b, scale: dy.scale }, (kk[0] * kk[1]) as f64)?,
    };
    let data = pool_scatter(&spread.data, x.shape(), kk, win, &0u64, &|a: &u64, b: &u64| a.wrapping_add(*b), what)
        .map_err(|e| party.invalid("pool2d", e.message))?;
    Ok(Shared { data, scale: spread.scale })
}
