//! The adjoint rule of every differentiable op: given the gradient `g` of an op's result, the
//! gradient contributed to each of its operands (already summed back to the operand's shape).
//! Which ops are differentiable, and which operands carry no gradient (a `where` condition,
//! shape arguments, indices), is decided in `mod.rs`; this file only emits the arithmetic.
//!
//! `cross_entropy(z, t)` uses the fused form `(softmax(z) - t) / rows`, which in MPC costs one
//! softmax and no logarithm or division by a private value.

use super::build::Builder;
use mpcc_ir::{ArgOp, BinaryOp, DType, Dim, IndexItem, Op, ReduceOp, Shape, UnaryOp, ValueId};

/// Why a rule could not be applied.
pub(super) enum RuleError {
    /// The compiler must know the operand's rank (a negative axis of `cat`/`stack`, `@` of
    /// operands above rank 2).
    Rank,
}

/// The gradient contributions of value `v` (an op over operands) whose result has gradient `g`.
/// Only operands for which `active` holds get a contribution.
pub(super) fn backprop(
    b: &mut Builder,
    v: ValueId,
    g: ValueId,
    active: &dyn Fn(ValueId) -> bool,
) -> Result<Vec<(ValueId, ValueId)>, RuleError> {
    let Some(def) = b.program.value(v).cloned() else {
        return Ok(Vec::new());
    };
    let out_shape = def.info.shape.clone();
    let mut acc: Vec<(ValueId, ValueId)> = Vec::new();
    let acc_ = &mut acc;
    let push = |b: &mut Builder, x: ValueId, gx: ValueId, shape: &Shape| {
        let gx = b.unbroadcast(gx, shape, x);
        (x, gx)
    };
    // A broadcasting op (binary, `where`): its operands may be smaller than its result.
    let bcast = |b: &mut Builder, x: ValueId, gx: ValueId, shape: &Shape| {
        let gx = b.sum_to_operand(gx, shape, x);
        (x, gx)
    };
    let unknown = Shape::Unknown;
    match def.op {
        Op::Share { value, .. } | Op::Reveal(value) => acc_.push(push(b, value, g, &out_shape)),
        Op::Var(_) => {}
        Op::Binary(op, x, y) => {
            let (ax, ay) = (active(x), active(y));
            match op {
                BinaryOp::Add => {
                    if ax {
                        acc_.push(bcast(b, x, g, &out_shape));
                    }
                    if ay {
                        acc_.push(bcast(b, y, g, &out_shape));
                    }
                }
                BinaryOp::Sub => {
                    if ax {
                        acc_.push(bcast(b, x, g, &out_shape));
                    }
                    if ay {
                        let n = b.unary(UnaryOp::Neg, g, out_shape.clone());
                        acc_.push(bcast(b, y, n, &out_shape));
                    }
                }
                BinaryOp::Mul => {
                    if ax {
                        let gx = b.mul(g, y, out_shape.clone());
                        acc_.push(bcast(b, x, gx, &out_shape));
                    }
                    if ay {
                        let gy = b.mul(g, x, out_shape.clone());
                        acc_.push(bcast(b, y, gy, &out_shape));
                    }
                }
                BinaryOp::Div => {
                    if ax {
                        let gx = b.binary(BinaryOp::Div, g, y, out_shape.clone());
                        acc_.push(bcast(b, x, gx, &out_shape));
                    }
                    if ay {
                        // d(x/y)/dy = -(x/y)/y
                        let q = b.binary(BinaryOp::Div, v, y, out_shape.clone());
                        let t = b.mul(g, q, out_shape.clone());
                        let gy = b.unary(UnaryOp::Neg, t, out_shape.clone());
                        acc_.push(bcast(b, y, gy, &out_shape));
                    }
                }
                BinaryOp::Maximum | BinaryOp::Minimum => {
                    let cmp = if op == BinaryOp::Maximum { BinaryOp::Ge } else { BinaryOp::Le };
                    let m = b.binary(cmp, x, y, out_shape.clone());
                    let gx = b.mul(g, m, out_shape.clone());
                    if ax {
                        acc_.push(bcast(b, x, gx, &out_shape));
                    }
                    if ay {
                        let gy = b.binary(BinaryOp::Sub, g, gx, out_shape.clone());
                        acc_.push(bcast(b, y, gy, &out_shape));
                    }
                }
                _ => {}
            }
        }
        Op::Unary(op, x) => {
            let s = out_shape.clone();
            let gx = match op {
                UnaryOp::Neg => b.unary(UnaryOp::Neg, g, s),
                UnaryOp::Square => {
                    let t = b.scale(x, 2.0, s.clone());
                    b.mul(g, t, s)
                }
                UnaryOp::Abs => {
                    let t = b.unary(UnaryOp::Sign, x, s.clone());
                    b.mul(g, t, s)
                }
                UnaryOp::Relu => {
                    let zero = b.constant(0.0);
                    let m = b.binary(BinaryOp::Gt, x, zero, s.clone());
                    b.mul(g, m, s)
                }
                UnaryOp::Exp => b.mul(g, v, s),
                UnaryOp::Log => b.binary(BinaryOp::Div, g, x, s),
                UnaryOp::Sqrt => {
                    let t = b.scale(v, 2.0, s.clone());
                    b.binary(BinaryOp::Div, g, t, s)
                }
                UnaryOp::InvSqrt => {
                    let c = b.emit(Op::Pow(v, 3), DType::Real, s.clone());
                    let t = b.scale(c, -0.5, s.clone());
                    b.mul(g, t, s)
                }
                UnaryOp::Reciprocal => {
                    let sq = b.unary(UnaryOp::Square, v, s.clone());
                    let t = b.mul(g, sq, s.clone());
                    b.unary(UnaryOp::Neg, t, s)
                }
                UnaryOp::Sigmoid => {
                    let sq = b.unary(UnaryOp::Square, v, s.clone());
                    let d = b.binary(BinaryOp::Sub, v, sq, s.clone());
                    b.mul(g, d, s)
                }
                UnaryOp::Tanh => {
                    let sq = b.unary(UnaryOp::Square, v, s.clone());
                    let one = b.constant(1.0);
                    let d = b.binary(BinaryOp::Sub, one, sq, s.clone());
                    b.mul(g, d, s)
                }
                UnaryOp::Sign => return Ok(Vec::new()),
            };
            acc_.push(push(b, x, gx, &out_shape));
        }
        Op::Pow(_, 0) => {}
        Op::Pow(x, k) => {
            let s = out_shape.clone();
            let gx = match k - 1 {
                0 => g,
                1 => b.mul(g, x, s.clone()),
                e => {
                    let p = b.emit(Op::Pow(x, e), DType::Real, s.clone());
                    b.mul(g, p, s.clone())
                }
            };
            let gx = if k == 1 { gx } else { b.scale(gx, f64::from(k), s) };
            acc_.push(push(b, x, gx, &out_shape));
        }
        Op::MatMul(x, y) => matmul(b, x, y, g, active, acc_)?,
        Op::Where(c, x, y) => {
            let gx = b.mul(g, c, out_shape.clone());
            if active(x) {
                acc_.push(bcast(b, x, gx, &out_shape));
            }
            if active(y) {
                let gy = b.binary(BinaryOp::Sub, g, gx, out_shape.clone());
                acc_.push(bcast(b, y, gy, &out_shape));
            }
        }
        Op::Reduce { op, x, axis } => {
            let gx = match op {
                ReduceOp::Sum => b.expand(g, x, axis),
                ReduceOp::Mean => {
                    let n = b.count(x, axis);
                    let q = b.binary(BinaryOp::Div, g, n, out_shape.clone());
                    b.expand(q, x, axis)
                }
                ReduceOp::Max | ReduceOp::Min => {
                    let arg = if op == ReduceOp::Max { ArgOp::ArgMax } else { ArgOp::ArgMin };
                    let m = b.emit(Op::Arg { op: arg, x, axis, one_hot: true }, DType::Bool, b.shape(x));
                    let e = match axis {
                        Some(a) => b.keepdims(g, x, a),
                        None => g,
                    };
                    b.mul(m, e, b.shape(x))
                }
            };
            acc_.push((x, gx));
        }
        Op::Softmax { x, axis } => {
            // y * (g - sum(g * y, axis))
            let gy = b.mul(g, v, out_shape.clone());
            let s = b.sum(gy, Some(axis), unknown.clone());
            let s = b.keepdims(s, x, axis);
            let d = b.binary(BinaryOp::Sub, g, s, out_shape.clone());
            let gx = b.mul(v, d, out_shape.clone());
            acc_.push((x, gx));
        }
        Op::LogSoftmax { x, axis } => {
            // g - softmax(x) * sum(g, axis)
            let p = b.emit(Op::Softmax { x, axis }, DType::Real, out_shape.clone());
            let s = b.sum(g, Some(axis), unknown.clone());
            let s = b.keepdims(s, x, axis);
            let t = b.mul(p, s, out_shape.clone());
            let gx = b.binary(BinaryOp::Sub, g, t, out_shape.clone());
            acc_.push((x, gx));
        }
        Op::CrossEntropy { logits, targets } => {
            let ls = b.shape(logits);
            let all = b.count(logits, None);
            let classes = b.count(logits, Some(-1));
            let rows = b.binary(BinaryOp::Div, all, classes, Shape::scalar());
            let per_row = b.binary(BinaryOp::Div, g, rows, Shape::scalar());
            if active(logits) {
                let p = b.emit(Op::Softmax { x: logits, axis: -1 }, DType::Real, ls.clone());
                let d = b.binary(BinaryOp::Sub, p, targets, ls.clone());
                let gl = b.mul(d, per_row, ls.clone());
                acc_.push(push(b, logits, gl, &ls));
            }
            if active(targets) {
                let l = b.emit(Op::LogSoftmax { x: logits, axis: -1 }, DType::Real, ls.clone());
                let t = b.mul(l, per_row, ls.clone());
                let gt = b.unary(UnaryOp::Neg, t, ls.clone());
                acc_.push(push(b, targets, gt, &ls));
            }
        }
        Op::Reshape { x, .. } | Op::Flatten { x, .. } => {
            let gx = b.reshape_like(g, x);
            acc_.push((x, gx));
        }
        Op::Conv2d { x, w, win } => {
            // Bilinear: each operand's gradient is the adjoint map applied to `g` and the other.
            if active(x) {
                let x_shape = b.shape_of(x);
                let gx = b.emit(Op::Conv2dGradX { dy: g, w, x_shape, win }, DType::Real, b.shape(x));
                acc_.push((x, gx));
            }
            if active(w) {
                let w_shape = b.shape_of(w);
                let gw = b.emit(Op::Conv2dGradW { x, dy: g, w_shape, win }, DType::Real, b.shape(w));
                acc_.push((w, gw));
            }
        }
        Op::Pool2d { op, x, k, win } => {
            // Max: `g` onto each window's first maximum; avg: `g / (kh·kw)` onto the whole window.
            let gx = b.emit(Op::Pool2dGrad { op, x, dy: g, k, win }, DType::Real, b.shape(x));
            acc_.push((x, gx));
        }
        Op::SumTo { x, .. } => {
            // The adjoint of summing to a shape is broadcasting back (a `grad` of a `grad`).
            let gx = b.expand(g, x, None);
            acc_.push((x, gx));
        }
        Op::Transpose(x) => {
            let gx = b.emit(Op::Transpose(g), DType::Real, b.shape(x));
            acc_.push((x, gx));
        }
        Op::Cat { xs, axis } => {
            let k = resolve(axis, out_shape.rank())?;
            let mut offset: Option<ValueId> = None;
            for x in xs {
                let len = b.count(x, Some(k));
                let end = match offset {
                    Some(o) => b.binary(BinaryOp::Add, o, len, Shape::scalar()),
                    None => len,
                };
                if active(x) {
                    let mut items = vec![IndexItem::Slice { start: None, end: None }; k as usize];
                    items.push(IndexItem::Slice { start: offset, end: Some(end) });
                    let gx = b.emit(Op::Index { x: g, items }, DType::Real, b.shape(x));
                    acc_.push((x, gx));
                }
                offset = Some(end);
            }
        }
        Op::Stack { xs, axis } => {
            let k = resolve(axis, out_shape.rank())?;
            for (i, x) in xs.into_iter().enumerate() {
                if active(x) {
                    let at = b.constant(i as f64);
                    let mut items = vec![IndexItem::Slice { start: None, end: None }; k as usize];
                    items.push(IndexItem::At(at));
                    let gx = b.emit(Op::Index { x: g, items }, DType::Real, b.shape(x));
                    acc_.push((x, gx));
                }
            }
        }
        Op::Index { x, items } => {
            let gx = index(b, x, &items, g);
            acc_.push((x, gx));
        }
        // Not differentiable, or no differentiable operand: `mod.rs` never asks.
        _ => {}
    }
    Ok(acc)
}

/// A non-negative axis for a tensor of rank `rank`.
fn resolve(axis: i64, rank: Option<usize>) -> Result<i64, RuleError> {
    if axis >= 0 {
        return Ok(axis);
    }
    match rank {
        Some(r) if r as i64 + axis >= 0 => Ok(r as i64 + axis),
        _ => Err(RuleError::Rank),
    }
}

/// `x @ y` for operands of rank 1 or 2 (a rank the compiler does not know is taken to be 2).
fn matmul(
    b: &mut Builder,
    x: ValueId,
    y: ValueId,
    g: ValueId,
    active: &dyn Fn(ValueId) -> bool,
    acc: &mut Vec<(ValueId, ValueId)>,
) -> Result<(), RuleError> {
    let (rx, ry) = (b.shape(x).rank().unwrap_or(2), b.shape(y).rank().unwrap_or(2));
    if rx > 2 || ry > 2 || rx == 0 || ry == 0 {
        return Err(RuleError::Rank);
    }
    let (sx, sy) = (b.shape(x), b.shape(y));
    let t = |b: &mut Builder, v: ValueId| {
        let s = match b.shape(v) {
            Shape::Ranked(mut d) => {
                d.reverse();
                Shape::Ranked(d)
            }
            Shape::Unknown => Shape::Unknown,
        };
        b.emit(Op::Transpose(v), DType::Real, s)
    };
    // A column [n, 1] or a row [1, n] from a vector.
    let as_matrix = |b: &mut Builder, v: ValueId, column: bool| {
        let dims = if column { [-1.0, 1.0] } else { [1.0, -1.0] };
        let c =
            b.emit(Op::Const(mpcc_ir::Tensor { shape: vec![2], data: dims.to_vec() }), DType::Int, Shape::known(&[2]));
        b.emit(Op::Reshape { x: v, shape: c }, DType::Real, Shape::Ranked(vec![Dim::Unknown, Dim::Unknown]))
    };
    match (rx, ry) {
        (2, 2) => {
            if active(x) {
                let yt = t(b, y);
                acc.push((x, b.emit(Op::MatMul(g, yt), DType::Real, sx)));
            }
            if active(y) {
                let xt = t(b, x);
                acc.push((y, b.emit(Op::MatMul(xt, g), DType::Real, sy)));
            }
        }
        (1, 2) => {
            // [k] @ [k, n] -> [n]
            if active(x) {
                acc.push((x, b.emit(Op::MatMul(y, g), DType::Real, sx)));
            }
            if active(y) {
                let (xc, gr) = (as_matrix(b, x, true), as_matrix(b, g, false));
                acc.push((y, b.emit(Op::MatMul(xc, gr), DType::Real, sy)));
            }
        }
        (2, 1) => {
            // [m, k] @ [k] -> [m]
            if active(x) {
                let (gc, yr) = (as_matrix(b, g, true), as_matrix(b, y, false));
                acc.push((x, b.emit(Op::MatMul(gc, yr), DType::Real, sx)));
            }
            if active(y) {
                acc.push((y, b.emit(Op::MatMul(g, x), DType::Real, sy)));
            }
        }
        _ => {
            // [k] @ [k] -> []
            if active(x) {
                acc.push((x, b.mul(g, y, sx)));
            }
            if active(y) {
                acc.push((y, b.mul(g, x, sy)));
            }
        }
    }
    Ok(())
}

/// The gradient of `x[items]`: `g` with the removed axes put back and padded with zeros to `x`'s
/// shape, one indexed axis at a time from the last.
fn index(b: &mut Builder, x: ValueId, items: &[IndexItem], g: ValueId) -> ValueId {
    let mut cur = g;
    for (j, item) in items.iter().enumerate().rev() {
        // Where axis j of `x` sits in `cur`: after the kept axes of the items before it.
        let p = items.iter().take(j).filter(|i| matches!(i, IndexItem::Slice { .. })).count() as i64;
        let (before, after) = match item {
            IndexItem::At(i) => {
                cur = b.unsqueeze(cur, p);
                let i = b.normalize(*i, x, j as i64);
                let n = b.dim(x, j as i64);
                let one = b.constant(1.0);
                let rest = b.binary(BinaryOp::Sub, n, i, Shape::scalar());
                let rest = b.binary(BinaryOp::Sub, rest, one, Shape::scalar());
                (Some(i), Some(rest))
            }
            IndexItem::Slice { start, end } => {
                let before = start.map(|s| b.normalize(s, x, j as i64));
                let after = end.map(|e| {
                    let e = b.normalize(e, x, j as i64);
                    let n = b.dim(x, j as i64);
                    b.binary(BinaryOp::Sub, n, e, Shape::scalar())
                });
                (before, after)
            }
        };
        cur = b.pad(cur, p, before, after);
    }
    cur
}
