//! The cost of one private op, mirroring the secure executor's dispatch (`exec::mpc::ops` and
//! `exec::mpc::mixed`) branch for branch: given each operand as a public tensor or a private
//! (shape, scale), it counts what the protocols would do into the [`Meter`] and returns the
//! result's shape and fixed-point scale. Public operands are read where the executor reads them
//! (a multiplier's integrality decides whether a product is truncated; a divisor's value decides
//! how many truncations `div_public` needs).

use super::approx::{self, div_public, reduce_extreme};
use super::meter::Meter;
use crate::dealer::DcfOut;
use crate::error::{ErrorKind, RunError};
use crate::exec::eval::{index_specs, reshape_spec};
use crate::exec::mpc::masks::MaskPlan;
use crate::plain::conv::{conv_dims, out_size, window, ConvMap};
use crate::plain::{broadcast_shape, construct, reduce, resolve_axis, scalar_int, structural, Tensor};
use mpcc_ir::fold::{comparison_parts, Fold};
use mpcc_ir::{BinaryOp, Op, PoolOp, ReduceOp, UnaryOp, ValueId, Window2d};
use ndarray::{ArrayD, IxDyn};
use std::collections::HashMap;

/// A private value as the model holds it: its shape and fixed-point scale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sh {
    pub dims: Vec<usize>,
    pub scale: u32,
}

impl Sh {
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An operand: public (its value) or private.
#[derive(Clone, Copy, Debug)]
pub enum Md<'a> {
    P(&'a Tensor),
    S(&'a Sh),
}

impl Md<'_> {
    fn dims(&self) -> Vec<usize> {
        match self {
            Md::P(t) => t.shape().to_vec(),
            Md::S(s) => s.dims.clone(),
        }
    }
    /// `values::as_shared`: a public operand enters at the run's precision.
    fn shared(&self, f: u32) -> Sh {
        match self {
            Md::P(t) => Sh { dims: t.shape().to_vec(), scale: f },
            Md::S(s) => (*s).clone(),
        }
    }
}

/// Forward max-pool one-hots the gradients reuse (`ops::PoolOneHots`): which `(input, window)`
/// pairs a gradient reads, and per input the identity of the shares its forward pool saw.
#[derive(Debug, Default)]
pub struct Pools {
    pub wanted: Vec<(ValueId, [u32; 2], Window2d)>,
    pub kept: HashMap<ValueId, (u64, [u32; 2], Window2d, Vec<usize>)>,
}

/// The operand getter, and the identity of a private operand's shares (equal identities mean
/// equal shares: the model's stand-in for the executor's comparison of share tensors).
pub struct Operands<'g, 't> {
    pub get: &'g dyn Fn(ValueId) -> Result<Md<'t>, RunError>,
    pub ident: &'g dyn Fn(ValueId) -> Option<u64>,
}

fn internal(msg: impl Into<String>) -> RunError {
    RunError::new(ErrorKind::Internal, msg)
}

fn share<'t>(get: &dyn Fn(ValueId) -> Result<Md<'t>, RunError>, id: ValueId) -> Result<&'t Sh, RunError> {
    match get(id)? {
        Md::S(s) => Ok(s),
        Md::P(_) => Err(internal(format!("operand {id} was expected to be private"))),
    }
}

fn public<'t>(get: &dyn Fn(ValueId) -> Result<Md<'t>, RunError>, id: ValueId) -> Result<&'t Tensor, RunError> {
    match get(id)? {
        Md::P(t) => Ok(t),
        Md::S(_) => Err(internal(format!("operand {id} must be public (a shape, index or count)"))),
    }
}

/// A placeholder array of `dims` (zero-sized elements) for the structural ops' shape rules.
fn unit(dims: &[usize]) -> ArrayD<()> {
    ArrayD::from_elem(IxDyn(dims), ())
}

/// `values::encode_factor`'s scale: 0 for small integers, else the run's precision.
pub fn factor_scale(t: &Tensor, f: u32) -> u32 {
    let integral = t.iter().all(|v| v.fract() == 0.0 && v.abs() < 2f64.powi(30));
    if integral {
        0
    } else {
        f
    }
}

fn bcast(a: &[usize], b: &[usize]) -> Result<(Vec<usize>, usize), RunError> {
    let dims = broadcast_shape(a, b)?;
    let n = dims.iter().product();
    Ok((dims, n))
}

/// `exec::mpc::ops::raw_product`: a product with a private operand without its truncation
/// (local with a public factor); `None` when the op is not such a product.
pub fn raw_product(m: &mut Meter, op: &Op, opd: &Operands<'_, '_>) -> Option<Result<Sh, RunError>> {
    let get = opd.get;
    let (a, b) = match op {
        Op::Binary(BinaryOp::Mul, a, b) | Op::MatMul(a, b) => (get(*a).ok()?, get(*b).ok()?),
        _ => return None,
    };
    let f = m.f;
    let dims = |x: &[usize], y: &[usize]| -> Result<Vec<usize>, RunError> {
        if let Op::MatMul(..) = op {
            Ok(crate::ring::matmul_shape(x, y).map_err(|e| RunError::shape(e.to_string()))?.0)
        } else {
            Ok(bcast(x, y)?.0)
        }
    };
    match (a, b) {
        (Md::S(x), Md::P(p)) | (Md::P(p), Md::S(x)) if x.scale > f && !matches!(op, Op::MatMul(..)) => Some(
            relabel(x, p, f)
                .map(|scale| Sh { dims: x.dims.clone(), scale })
                .and_then(|sh| Ok(Sh { dims: bcast(&sh.dims, p.shape())?.0, scale: sh.scale })),
        ),
        (Md::S(x), Md::S(y)) => Some((|| {
            if let Op::MatMul(..) = op {
                let x = ready_left(m, x)?;
                let z = dims(&x.dims, &y.dims)?;
                let req = crate::dealer::Request::MatTriple { a: x.dims.clone(), b: y.dims.clone() };
                m.open_masked(&req, x.len() + y.len())?;
                return Ok(Sh { dims: z, scale: x.scale + y.scale });
            }
            let (dims, n) = bcast(&x.dims, &y.dims)?;
            let scale = product_raw(m, n, x.scale, y.scale)?;
            Ok(Sh { dims, scale })
        })()),
        (Md::S(x), Md::P(p)) if x.scale <= f => {
            Some(dims(&x.dims, p.shape()).map(|d| Sh { dims: d, scale: x.scale + factor_scale(p, f) }))
        }
        (Md::P(p), Md::S(x)) if x.scale <= f => {
            Some(dims(p.shape(), &x.dims).map(|d| Sh { dims: d, scale: x.scale + factor_scale(p, f) }))
        }
        _ => None,
    }
}

/// `ops::ready_left`: a raw left factor of a matrix product truncated first.
fn ready_left<'s>(m: &mut Meter, x: &'s Sh) -> Result<std::borrow::Cow<'s, Sh>, RunError> {
    if x.scale <= m.f {
        return Ok(std::borrow::Cow::Borrowed(x));
    }
    m.truncate(x.len(), x.scale - m.f)?;
    Ok(std::borrow::Cow::Owned(Sh { dims: x.dims.clone(), scale: m.f }))
}

/// `ops::relabel`: the scale of a raw value times 2^-k (k more bits) or 2^j (j fewer).
fn relabel(x: &Sh, p: &Tensor, f: u32) -> Result<u32, RunError> {
    crate::exec::mpc::mixed::relabelled_scale(x.scale, p, f)
}

/// `exec::mpc::lazy`: a comparison left to its consumer (`Fold::Lazy`: its difference, local),
/// that consumer (`Fold::Select`: the comparison times the factor in one round), a `Pair` sum
/// (local) and a comparison of one (`Fold::Compare`: the truncation and the comparison in one
/// round); `None` for the other folds. A pair is `[2, …]` at its raw part's scale.
pub fn folded_comparison(m: &mut Meter, op: &Op, opd: &Operands<'_, '_>, fold: Fold) -> Option<Result<Sh, RunError>> {
    let get = opd.get;
    let f = m.f;
    // The difference of the comparison `op` (`lazy::diff`), with the pair operand `pair`:
    // (dims, scale, whether a pair).
    let diff = |op: &Op, pair: Option<ValueId>| -> Result<(Vec<usize>, u32, bool), RunError> {
        let (_, first, second) =
            comparison_parts(op).ok_or_else(|| internal("a lazy value that is not a comparison"))?;
        let ops: Vec<Sh> =
            std::iter::once(first).chain(second).map(|x| get(x).map(|o| o.shared(f))).collect::<Result<_, _>>()?;
        let at = pair.and_then(|p| std::iter::once(first).chain(second).position(|x| x == p));
        match (at, ops.as_slice()) {
            (Some(k), _) => {
                let pair = ops.get(k).ok_or_else(|| internal("a pair operand"))?;
                let mut dims = pair.dims.get(1..).unwrap_or_default().to_vec();
                if let Some(other) = ops.get(1 - k) {
                    dims = bcast(&dims, &other.dims)?.0;
                }
                Ok((dims, pair.scale, true))
            }
            (None, [x]) => Ok((x.dims.clone(), x.scale, false)),
            (None, [x, y]) => Ok((bcast(&x.dims, &y.dims)?.0, x.scale.max(y.scale), false)),
            _ => Err(internal("a comparison of no operands")),
        }
    };
    let stacked = |dims: &[usize]| std::iter::once(2).chain(dims.iter().copied()).collect::<Vec<usize>>();
    match fold {
        Fold::Lazy { pair } => Some(diff(op, pair).map(|(dims, scale, is_pair)| Sh {
            dims: if is_pair { stacked(&dims) } else { dims },
            scale: if is_pair { scale.max(f) } else { scale },
        })),
        Fold::Pair => Some((|| {
            let Op::Binary(_, a, b) = op else { return Err(internal("a pair that is not a sum")) };
            let (a, b) = (get(*a)?.shared(f), get(*b)?.shared(f));
            let p = if b.scale > f && a.scale <= f { &b } else { &a };
            let (dims, n) = bcast(&a.dims, &b.dims)?;
            let mut scale = p.scale.max(f);
            if n > crate::exec::mpc::lazy::FOLD_MAX && scale > f {
                m.truncate(p.len(), scale - f)?;
                scale = f;
            }
            Ok(Sh { dims: stacked(&dims), scale })
        })()),
        Fold::Compare { pair } => Some((|| {
            if let Op::Unary(UnaryOp::Relu, z) = op {
                let d = share(get, *z)?;
                let dims = d.dims.get(1..).unwrap_or_default().to_vec();
                let n = dims.iter().product();
                if d.scale > f {
                    m.pending(n, d.scale - f, DcfOut::Relu)?;
                } else {
                    m.msb_and_product(n)?;
                }
                return Ok(Sh { dims, scale: f });
            }
            let (dims, scale, _) = diff(op, Some(pair))?;
            let n = dims.iter().product();
            if scale > f {
                m.pending(n, scale - f, DcfOut::Msb)?;
            } else {
                m.msb(n)?;
            }
            Ok(Sh { dims, scale: 0 })
        })()),
        Fold::Select { cond, pair, .. } => Some((|| {
            let d = share(get, cond)?;
            let (v, b) = match op {
                Op::Binary(BinaryOp::Mul, a, b) => (get(if *a == cond { *b } else { *a })?.shared(f), None),
                Op::Where(_, a, b) => {
                    let (a, b) = (get(*a)?.shared(f), get(*b)?.shared(f));
                    let (dims, _) = bcast(&a.dims, &b.dims)?;
                    (Sh { dims, scale: a.scale.max(b.scale) }, Some(b))
                }
                _ => return Err(internal("a comparison folded into an op that is not a product or `where`")),
            };
            let inner = if pair.is_some() { d.dims.get(1..).unwrap_or_default() } else { &d.dims[..] };
            let (dims, n) = bcast(inner, &v.dims)?;
            if n > crate::exec::mpc::lazy::FOLD_MAX {
                m.msb(n)?;
                m.mul_raw(n)?;
            } else if pair.is_some() && d.scale > f {
                m.pending(n, d.scale - f, DcfOut::Times)?;
            } else {
                m.msb_times(n)?;
            }
            Ok(match b {
                None => Sh { dims, scale: v.scale },
                Some(b) => Sh { dims: bcast(&b.dims, &dims)?.0, scale: b.scale.max(v.scale) },
            })
        })()),
        Fold::None | Fold::Raw => None,
    }
}

/// `exec::mpc::masks::with_masks`: a product of two private matrices under a `Keep` or `Fixed`
/// mask plan (a `Fixed` one opens only the fresh factor), truncated unless `defer`.
pub fn masked_matmul(m: &mut Meter, x: &Sh, y: &Sh, plan: &MaskPlan, defer: bool) -> Result<Sh, RunError> {
    let (z, ..) = crate::ring::matmul_shape(&x.dims, &y.dims).map_err(|e| RunError::shape(e.to_string()))?;
    let f = m.f;
    // `masks::with_masks`: a raw left factor against a kept right mask opens its truncation as
    // the product's opening (`fused_matmul`); otherwise it is truncated first.
    if let (MaskPlan::Fixed { side: 1, id }, true) = (plan, x.scale > f && x.dims.len() == 2 && y.dims.len() == 2) {
        let req =
            crate::dealer::Request::MatPending { a: x.dims.clone(), b: y.dims.clone(), bits: x.scale - f, id: *id };
        m.open_masked(&req, x.len())?;
        let raw = f + y.scale;
        let scale = if defer { raw } else { m.rescale(z.iter().product(), raw, f.max(y.scale))? };
        return Ok(Sh { dims: z, scale });
    }
    let x = &*ready_left(m, x)?;
    let (a, b) = (x.dims.clone(), y.dims.clone());
    let (req, words) = match plan {
        MaskPlan::Plain => (crate::dealer::Request::MatTriple { a, b }, x.len() + y.len()),
        MaskPlan::Keep { side, id } => {
            (crate::dealer::Request::MatTripleReuse { a, b, side: *side, id: *id, fixed: false }, x.len() + y.len())
        }
        MaskPlan::Fixed { side, id } => {
            let fresh = if *side == 1 { x.len() } else { y.len() };
            (crate::dealer::Request::MatTripleReuse { a, b, side: *side, id: *id, fixed: true }, fresh)
        }
    };
    m.open_masked(&req, words)?;
    let nz: usize = z.iter().product();
    let raw = x.scale + y.scale;
    let scale = if defer { raw } else { m.rescale(nz, raw, x.scale.max(y.scale))? };
    Ok(Sh { dims: z, scale })
}

/// Counts a private op; returns the result's shape and scale.
pub fn private_op(m: &mut Meter, pools: &mut Pools, op: &Op, opd: &Operands<'_, '_>) -> Result<Sh, RunError> {
    let get = opd.get;
    let f = m.f;
    match op {
        Op::Binary(bop, a, b) => binary(m, *bop, get(*a)?, get(*b)?),
        Op::Unary(uop, x) => unary(m, *uop, share(get, *x)?),
        Op::Pow(x, k) => pow(m, share(get, *x)?, *k),
        Op::MatMul(a, b) => {
            let (a, b) = (get(*a)?, get(*b)?);
            let (z, ..) =
                crate::ring::matmul_shape(&a.dims(), &b.dims()).map_err(|e| RunError::shape(e.to_string()))?;
            let nz: usize = z.iter().product();
            let scale = match (a, b) {
                (Md::S(x), Md::S(y)) => {
                    let x = ready_left(m, x)?;
                    let req = crate::dealer::Request::MatTriple { a: x.dims.clone(), b: y.dims.clone() };
                    m.open_masked(&req, x.len() + y.len())?;
                    m.rescale(nz, x.scale + y.scale, x.scale.max(y.scale))?
                }
                (Md::S(x), Md::P(p)) | (Md::P(p), Md::S(x)) => m.mul_public(nz, x.scale, factor_scale(p, f))?,
                _ => return Err(internal("a private matmul without a private operand")),
            };
            Ok(Sh { dims: z, scale })
        }
        Op::Where(c, a, b) => where_(m, get(*c)?, get(*a)?, get(*b)?),
        Op::Reduce { op, x, axis } => {
            let x = share(get, *x)?;
            let ax = axis.map(|a| resolve_axis(a, x.dims.len())).transpose()?;
            let out: Vec<usize> = match ax {
                None => Vec::new(),
                Some(a) => x.dims.iter().enumerate().filter(|&(d, _)| d != a).map(|(_, &s)| s).collect(),
            };
            let n_out: usize = out.iter().product();
            let scale = match op {
                ReduceOp::Sum => x.scale,
                ReduceOp::Mean if x.scale > f => {
                    // `ops::private_op`: a raw product's sum divided by count·2^(extra bits).
                    let count = ax.map_or(x.len(), |a| x.dims.get(a).copied().unwrap_or(1));
                    div_public(m, n_out, f, count as f64 * 2f64.powi((x.scale - f) as i32))?
                }
                ReduceOp::Mean => {
                    let count = ax.map_or(x.len(), |a| x.dims.get(a).copied().unwrap_or(1));
                    div_public(m, n_out, x.scale.max(f), count as f64)?
                }
                ReduceOp::Max | ReduceOp::Min => {
                    let len = ax.map_or(x.len(), |a| x.dims.get(a).copied().unwrap_or(1));
                    reduce_extreme(m, n_out, len, false)?;
                    x.scale
                }
            };
            Ok(Sh { dims: out, scale })
        }
        Op::Arg { x, axis, one_hot, .. } => {
            let x = share(get, *x)?;
            let ax = axis.map(|a| resolve_axis(a, x.dims.len())).transpose()?;
            let (out, len): (Vec<usize>, usize) = match ax {
                None => (Vec::new(), x.len()),
                Some(a) => (
                    x.dims.iter().enumerate().filter(|&(d, _)| d != a).map(|(_, &s)| s).collect(),
                    x.dims.get(a).copied().unwrap_or(1),
                ),
            };
            approx::arg_extreme(m, out.iter().product(), len)?;
            Ok(Sh { dims: if *one_hot { x.dims.clone() } else { out }, scale: 0 })
        }
        Op::Softmax { x, axis } | Op::LogSoftmax { x, axis } => {
            let x = share(get, *x)?;
            m.at_precision(x.len(), x.scale)?;
            let ax = resolve_axis(*axis, x.dims.len())?;
            approx::softmax(m, &x.dims, ax, f, matches!(op, Op::LogSoftmax { .. }))?;
            Ok(Sh { dims: x.dims.clone(), scale: f })
        }
        Op::CrossEntropy { logits, targets } => cross_entropy(m, get(*logits)?, get(*targets)?),
        Op::OneHot { labels, classes } => {
            let labels = share(get, *labels)?;
            let classes = scalar_int(public(get, *classes)?, "the class count of `one_hot`")?;
            let classes =
                usize::try_from(classes).map_err(|_| RunError::index(format!("`one_hot` with {classes} classes")))?;
            m.msb(2 * labels.len() * classes)?;
            let mut dims = labels.dims.clone();
            dims.push(classes);
            Ok(Sh { dims, scale: 0 })
        }
        Op::Reshape { x, shape } => {
            let x = share(get, *x)?;
            let spec = reshape_spec(public(get, *shape)?)?;
            Ok(Sh { dims: structural::reshape(&unit(&x.dims), &spec)?.shape().to_vec(), scale: x.scale })
        }
        Op::SumTo { x, shape } => {
            let x = share(get, *x)?;
            let to = construct::dims_from_tensor(public(get, *shape)?, "sum_to")?;
            let dims = reduce::sum_to(&unit(&x.dims), &to, (), |_, _| ())?.shape().to_vec();
            Ok(Sh { dims, scale: x.scale })
        }
        Op::Transpose(x) => {
            let x = share(get, *x)?;
            Ok(Sh { dims: x.dims.iter().rev().copied().collect(), scale: x.scale })
        }
        Op::Flatten { x, start } => {
            let x = share(get, *x)?;
            Ok(Sh { dims: structural::flatten_from(&unit(&x.dims), *start)?.shape().to_vec(), scale: x.scale })
        }
        Op::Conv2d { x, w, win } => conv(m, ConvMap::Forward, get(*x)?, get(*w)?, &[], win),
        Op::Conv2dGradX { dy, w, x_shape, win } => {
            let target = construct::dims_from_tensor(public(get, *x_shape)?, "conv2d")?;
            conv(m, ConvMap::GradX, get(*dy)?, get(*w)?, &target, win)
        }
        Op::Conv2dGradW { x, dy, w_shape, win } => {
            let target = construct::dims_from_tensor(public(get, *w_shape)?, "conv2d")?;
            conv(m, ConvMap::GradW, get(*x)?, get(*dy)?, &target, win)
        }
        Op::Pool2d { op, x: x_id, k, win } => {
            let x = get(*x_id)?.shared(f);
            let (pooled, len) = pool_dims(&x.dims, *k, win, *op)?;
            let rows: usize = pooled.iter().product();
            match op {
                PoolOp::Max => {
                    let wanted = pools.wanted.contains(&(*x_id, *k, *win));
                    reduce_extreme(m, rows, len, wanted)?;
                    if wanted {
                        if let Some(ident) = (opd.ident)(*x_id) {
                            pools.kept.insert(*x_id, (ident, *k, *win, pooled.clone()));
                        }
                    }
                    Ok(Sh { dims: pooled, scale: x.scale })
                }
                PoolOp::Avg => {
                    let scale = div_public(m, rows, x.scale.max(f), len as f64)?;
                    Ok(Sh { dims: pooled, scale })
                }
            }
        }
        Op::Pool2dGrad { op, x: x_id, dy, k, win } => {
            let x = get(*x_id)?.shared(f);
            let dy = get(*dy)?.shared(f);
            let (pooled, len) = pool_dims(&x.dims, *k, win, *op)?;
            let n = dy.len() * len;
            let scale = match op {
                PoolOp::Max => {
                    let ident = (opd.ident)(*x_id);
                    let reuse = pools.kept.get(x_id).is_some_and(|(i, kk, w, p)| {
                        Some(*i) == ident && kk == k && w == win && *p == dy.dims && pooled == dy.dims
                    });
                    if !reuse {
                        reduce_extreme(m, pooled.iter().product(), len, true)?;
                    }
                    m.mul(n, 0, dy.scale)?
                }
                PoolOp::Avg => div_public(m, n, dy.scale, len as f64)?,
            };
            Ok(Sh { dims: x.dims, scale })
        }
        Op::Index { x, items } => {
            let x = share(get, *x)?;
            let get_public = |id: ValueId| public(get, id);
            let specs = index_specs(items, &get_public)?;
            Ok(Sh { dims: structural::index(&unit(&x.dims), &specs)?.shape().to_vec(), scale: x.scale })
        }
        Op::Cat { xs, axis } | Op::Stack { xs, axis } => {
            let shares: Vec<Sh> = xs.iter().map(|&id| Ok(get(id)?.shared(f))).collect::<Result<_, RunError>>()?;
            let scale = shares.iter().map(|s| s.scale).max().unwrap_or(f);
            let units: Vec<ArrayD<()>> = shares.iter().map(|s| unit(&s.dims)).collect();
            let refs: Vec<&ArrayD<()>> = units.iter().collect();
            let data = if matches!(op, Op::Cat { .. }) {
                structural::cat(&refs, *axis)?
            } else {
                structural::stack(&refs, *axis)?
            };
            Ok(Sh { dims: data.shape().to_vec(), scale })
        }
        Op::Const(_)
        | Op::Var(_)
        | Op::Load { .. }
        | Op::Share { .. }
        | Op::Reveal(_)
        | Op::Zeros { .. }
        | Op::Ones { .. }
        | Op::Eye { .. }
        | Op::Rand { .. }
        | Op::Randn { .. }
        | Op::Shape(_) => Err(internal("this op never has a private result")),
    }
}

/// The pooled dimensions `[n, c, oh, ow]` and the window size, with `ops::check_pool`'s errors.
fn pool_dims(x: &[usize], k: [u32; 2], win: &Window2d, op: PoolOp) -> Result<(Vec<usize>, usize), RunError> {
    let what = mpcc_ir::pool_name(op);
    let [n, c, h, w] = x else {
        return Err(RunError::shape(format!(
            "`{what}` needs a 4-D `x` [n, c, h, w], found shape {}",
            crate::error::dims_text(x)
        )));
    };
    let kk = window(k);
    let oh = out_size(*h, kk[0], win.stride[0], win.padding[0], what)?;
    let ow = out_size(*w, kk[1], win.stride[1], win.padding[1], what)?;
    Ok((vec![*n, *c, oh, ow], kk[0] * kk[1]))
}

fn conv(m: &mut Meter, map: ConvMap, a: Md, b: Md, target: &[usize], win: &Window2d) -> Result<Sh, RunError> {
    let z = conv_dims(map, &a.dims(), &b.dims(), target, win)?;
    let nz: usize = z.iter().product();
    let scale = match (a, b) {
        (Md::S(x), Md::S(y)) => {
            let req = crate::dealer::Request::ConvTriple {
                map,
                a: x.dims.clone(),
                b: y.dims.clone(),
                target: z.clone(),
                win: *win,
            };
            m.open_masked(&req, x.len() + y.len())?;
            m.rescale(nz, x.scale + y.scale, x.scale.max(y.scale))?
        }
        (Md::S(x), Md::P(p)) | (Md::P(p), Md::S(x)) => m.mul_public(nz, x.scale, factor_scale(p, m.f))?,
        _ => return Err(internal("a private convolution without a private operand")),
    };
    Ok(Sh { dims: z, scale })
}

/// `mixed::add`/`sub`: local; a public operand enters at the run's precision.
fn linear(f: u32, a: Md, b: Md) -> Result<Sh, RunError> {
    let (dims, _) = bcast(&a.dims(), &b.dims())?;
    let scale = match (a, b) {
        (Md::S(x), Md::S(y)) => x.scale.max(y.scale),
        (Md::S(x), Md::P(_)) | (Md::P(_), Md::S(x)) => x.scale.max(f),
        _ => return Err(internal("a private operation without a private operand")),
    };
    Ok(Sh { dims, scale })
}

/// `mixed::product_raw` of `n` elements (after broadcasting) at scales `sx`, `sy`: a Beaver
/// product, or fused products when a factor is a raw product above the run's scale. Returns the
/// raw result's scale.
fn product_raw(m: &mut Meter, n: usize, sx: u32, sy: u32) -> Result<u32, RunError> {
    let f = m.f;
    if sx <= f && sy <= f {
        m.mul_raw(n)?;
        return Ok(sx + sy);
    }
    let bits = |s: u32| s.saturating_sub(f);
    let req = crate::dealer::Request::Products { n, pending: vec![bits(sx), bits(sy)], pairs: vec![[0, 1]] };
    m.open_masked(&req, 2 * n)?;
    Ok(sx.min(f) + sy.min(f))
}

/// `mixed::mul`.
fn mul(m: &mut Meter, a: Md, b: Md) -> Result<Sh, RunError> {
    let (dims, n) = bcast(&a.dims(), &b.dims())?;
    let scale = match (a, b) {
        (Md::S(x), Md::S(y)) => {
            let raw = product_raw(m, n, x.scale, y.scale)?;
            m.rescale(n, raw, x.scale.min(m.f).max(y.scale.min(m.f)))?
        }
        // A raw product (`mpcc_ir::fold`) times 2^j: relabelled, no communication.
        (Md::S(x), Md::P(p)) | (Md::P(p), Md::S(x))
            if x.scale > m.f && crate::exec::mpc::mixed::pow2_multiplier(p).is_some() =>
        {
            let j = crate::exec::mpc::mixed::pow2_multiplier(p).unwrap_or(0);
            if j > x.scale - m.f {
                return Err(internal("a raw product times too large a power of two"));
            }
            x.scale - j
        }
        // A raw product (`mpcc_ir::fold`) times 2^-k: one truncation by all the bits.
        (Md::S(x), Md::P(p)) | (Md::P(p), Md::S(x)) if x.scale > m.f => {
            let k = crate::exec::mpc::mixed::pow2_exponent(p)
                .ok_or_else(|| internal("a raw product times a non-power of two"))?;
            m.truncate(x.len(), x.scale - m.f + k)?;
            m.f
        }
        (Md::S(x), Md::P(p)) | (Md::P(p), Md::S(x)) => m.mul_public(n, x.scale, factor_scale(p, m.f))?,
        _ => return Err(internal("a private operation without a private operand")),
    };
    Ok(Sh { dims, scale })
}

/// `mixed::div`.
fn div(m: &mut Meter, a: Md, b: Md) -> Result<Sh, RunError> {
    let f = m.f;
    let raised;
    let a = match a {
        Md::S(x) if x.scale < f => {
            raised = Sh { dims: x.dims.clone(), scale: f };
            Md::S(&raised)
        }
        other => other,
    };
    match (a, b) {
        (Md::S(x), Md::P(p)) if p.len() == 1 => {
            let d = p.iter().next().copied().unwrap_or(f64::NAN);
            let (dims, n) = bcast(&x.dims, p.shape())?;
            // A raw product (`mpcc_ir::fold`): divided by d·2^(extra bits) at the run's scale.
            let (scale, d) = if x.scale > f { (f, d * 2f64.powi((x.scale - f) as i32)) } else { (x.scale, d) };
            let scale = div_public(m, n, scale, d)?;
            Ok(Sh { dims, scale })
        }
        (Md::S(x), Md::P(p)) => {
            let big = p.iter().fold(1.0f64, |acc, v| acc.max(v.abs()));
            let k = (f + big.log2().ceil().max(0.0) as u32).min(62 - x.scale.min(62)).max(1);
            let (dims, n) = bcast(&x.dims, p.shape())?;
            m.truncate(n, k)?;
            Ok(Sh { dims, scale: x.scale })
        }
        (_, Md::S(y)) => {
            let r = unary_approx(m, UnaryOp::Reciprocal, y)?;
            mul(m, a, Md::S(&r))
        }
        _ => Err(internal("a private operation without a private operand")),
    }
}

/// `mixed::compare_op`.
fn compare(m: &mut Meter, op: BinaryOp, a: Md, b: Md) -> Result<Sh, RunError> {
    let (x, y) = (a.shared(m.f), b.shared(m.f));
    let (dims, n) = bcast(&x.dims, &y.dims)?;
    match op {
        BinaryOp::Maximum | BinaryOp::Minimum => {
            m.msb_and_product(n)?;
            Ok(Sh { dims, scale: x.scale.max(y.scale) })
        }
        BinaryOp::Eq | BinaryOp::Ne => {
            m.msb(2 * n)?;
            Ok(Sh { dims, scale: 0 })
        }
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            m.msb(n)?;
            Ok(Sh { dims, scale: 0 })
        }
        _ => Err(internal("not a comparison")),
    }
}

fn binary(m: &mut Meter, op: BinaryOp, a: Md, b: Md) -> Result<Sh, RunError> {
    match op {
        BinaryOp::Add | BinaryOp::Sub => linear(m.f, a, b),
        BinaryOp::Mul => mul(m, a, b),
        BinaryOp::Div => div(m, a, b),
        _ => compare(m, op, a, b),
    }
}

/// `mixed::unary_approx`: to the run's precision, then the approximation.
fn unary_approx(m: &mut Meter, op: UnaryOp, x: &Sh) -> Result<Sh, RunError> {
    m.at_precision(x.len(), x.scale)?;
    approx::unary(m, op, x.len(), m.f)?;
    Ok(Sh { dims: x.dims.clone(), scale: m.f })
}

fn unary(m: &mut Meter, op: UnaryOp, x: &Sh) -> Result<Sh, RunError> {
    let n = x.len();
    match op {
        UnaryOp::Neg => Ok(x.clone()),
        UnaryOp::Square => Ok(Sh { dims: x.dims.clone(), scale: m.square(n, x.scale)? }),
        UnaryOp::Sign => {
            m.msb(n)?;
            Ok(Sh { dims: x.dims.clone(), scale: 0 })
        }
        UnaryOp::Abs | UnaryOp::Relu => {
            m.msb_and_product(n)?;
            Ok(x.clone())
        }
        _ => unary_approx(m, op, x),
    }
}

/// `mixed::pow`: repeated squaring.
fn pow(m: &mut Meter, x: &Sh, k: i32) -> Result<Sh, RunError> {
    if k == 0 {
        return Ok(Sh { dims: x.dims.clone(), scale: m.f });
    }
    let n = x.len();
    let mut base = if k < 0 { unary_approx(m, UnaryOp::Reciprocal, x)?.scale } else { x.scale };
    let mut e = k.unsigned_abs();
    let mut acc: Option<u32> = None;
    loop {
        if e & 1 == 1 {
            acc = Some(match acc {
                None => base,
                Some(a) => m.mul(n, a, base)?,
            });
        }
        e >>= 1;
        if e == 0 {
            break;
        }
        base = m.square(n, base)?;
    }
    let scale = acc.ok_or_else(|| internal("pow without a factor"))?;
    Ok(Sh { dims: x.dims.clone(), scale })
}

/// `mixed::where_`.
fn where_(m: &mut Meter, c: Md, a: Md, b: Md) -> Result<Sh, RunError> {
    let f = m.f;
    if let Md::S(cs) = c {
        if cs.scale == 0 {
            let (a, b) = (a.shared(f), b.shared(f));
            let (diff, _) = bcast(&a.dims, &b.dims)?;
            let ds = a.scale.max(b.scale);
            let (picked, n) = bcast(&cs.dims, &diff)?;
            m.mul(n, 0, ds)?;
            let (dims, _) = bcast(&b.dims, &picked)?;
            return Ok(Sh { dims, scale: b.scale.max(ds) });
        }
    }
    let diff_public;
    let diff_shared;
    let diff = match (a, b) {
        (Md::P(pa), Md::P(pb)) => {
            diff_public = crate::plain::elementwise::binary(BinaryOp::Sub, pa, pb)?;
            Md::P(&diff_public)
        }
        _ => {
            diff_shared = linear(f, a, b)?;
            Md::S(&diff_shared)
        }
    };
    let picked = mul(m, c, diff)?;
    linear(f, Md::S(&picked), b)
}

/// `ops::cross_entropy`.
fn cross_entropy(m: &mut Meter, logits: Md, targets: Md) -> Result<Sh, RunError> {
    let f = m.f;
    let ls_public;
    let ls_shared;
    let ls = match logits {
        Md::P(t) => {
            ls_public = crate::plain::nn::log_softmax(t, -1)?;
            Md::P(&ls_public)
        }
        Md::S(x) => {
            m.at_precision(x.len(), x.scale)?;
            let ax = resolve_axis(-1, x.dims.len())?;
            approx::softmax(m, &x.dims, ax, f, true)?;
            ls_shared = Sh { dims: x.dims.clone(), scale: f };
            Md::S(&ls_shared)
        }
    };
    if logits.dims() != targets.dims() {
        return Err(RunError::shape(format!(
            "`cross_entropy` needs targets of the logits' shape {}, found {}",
            crate::error::dims_text(&logits.dims()),
            crate::error::dims_text(&targets.dims())
        )));
    }
    let prod = mul(m, targets, ls)?;
    let rows = prod.dims.len().checked_sub(1).and_then(|last| prod.dims.get(..last)).unwrap_or_default();
    let count: usize = rows.iter().product();
    let scale = div_public(m, 1, prod.scale, count as f64)?;
    Ok(Sh { dims: Vec::new(), scale })
}
