//! The private half of the MPC executor's op dispatch: one `match` on [`Op`] for ops with at
//! least one private operand (local operands were shared before this is called), producing this
//! party's share. Arithmetic with mixed operands is in [`super::mixed`]; structural ops apply
//! the generic `crate::plain::structural` functions to the share tensors (local, no rounds).
//!
//! Comparison counts (elements compared) are added to [`Counters`]. Nothing here opens a value.

use super::mixed;
use super::values::{as_shared, at_precision, encode_factor, mpc_err, Opd};
use crate::error::{ErrorKind, RunError};
use crate::exec::eval::{index_specs, reshape_spec};
use crate::party::Party;
use crate::plain::conv::{conv_dims, ConvMap};
use crate::plain::{construct, reduce, resolve_axis, scalar_int, structural, Tensor};
use crate::protocols::pairwise::{self, PAIRWISE_ROWS};
use crate::protocols::select::{reduce_extreme, Extreme};
use crate::protocols::{approx, arith, conv, matmul};
use crate::share::Shared;
use mpcc_ir::fold::Fold;
use mpcc_ir::{ArgOp, BinaryOp, Op, PoolOp, ReduceOp, UnaryOp, ValueId, Window2d};

/// What the executor counts on one party beyond the transport and dealer counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Elements compared (each a most-significant-bit extraction).
    pub comparisons: u64,
    /// Private values computed.
    pub private_ops: u64,
}

/// Forward max-pool one-hots kept for their gradients: which `(input, window)` pairs a
/// `Pool2dGrad` of the program reads, and, per input value, the one-hot its forward pool made
/// with a copy of the input's shares (a gradient reuses the one-hot only for those same shares,
/// so a loop that recomputes the input never reuses a stale one).
#[derive(Debug, Default)]
pub struct PoolOneHots {
    pub wanted: Vec<(ValueId, [u32; 2], mpcc_ir::Window2d)>,
    pub kept: std::collections::HashMap<ValueId, (crate::ring::RingTensor, [u32; 2], mpcc_ir::Window2d, Shared)>,
}

impl PoolOneHots {
    /// The pairs `program`'s max-pool gradients read.
    pub fn for_program(program: &mpcc_ir::Program) -> PoolOneHots {
        let wanted = program
            .values
            .iter()
            .filter_map(|d| match &d.op {
                Op::Pool2dGrad { op: PoolOp::Max, x, k, win, .. } => Some((*x, *k, *win)),
                _ => None,
            })
            .collect();
        PoolOneHots { wanted, kept: Default::default() }
    }
}

/// The operand getter the dispatch reads from.
pub type Get<'g, 't> = &'g dyn Fn(ValueId) -> Result<Opd<'t>, RunError>;

fn internal(msg: impl Into<String>) -> RunError {
    RunError::new(ErrorKind::Internal, msg)
}

fn share<'t>(get: Get<'_, 't>, id: ValueId) -> Result<&'t Shared, RunError> {
    match get(id)? {
        Opd::S(s) => Ok(s),
        Opd::P(_) => Err(internal(format!("operand {id} was expected to be private"))),
    }
}

fn public<'t>(get: Get<'_, 't>, id: ValueId) -> Result<&'t Tensor, RunError> {
    match get(id)? {
        Opd::P(t) => Ok(t),
        Opd::S(_) => Err(internal(format!("operand {id} must be public (a shape, index or count)"))),
    }
}

fn with_data(x: &Shared, data: ndarray::ArrayD<u64>) -> Shared {
    Shared { data, scale: x.scale }
}

/// A private op under the run's round-saving choices (`RunConfig::merge_rounds`): a matrix
/// product with a mask plan (`masks`), a product whose truncation its consumer does
/// (`mpcc_ir::fold`, `Fold::Raw`), a comparison left to its consumer or that consumer
/// (`Fold::Lazy`, `Fold::Select`: `super::lazy`), else [`private_op`]. Returns the share and, for a `Keep` plan, the
/// mask to keep. The machine and a wave's tasks both run ops through here.
#[allow(clippy::too_many_arguments)]
pub fn planned_op<'t>(
    party: &mut Party,
    op: &Op,
    get: Get<'_, 't>,
    plan: Option<&super::masks::Planned>,
    fold: Fold,
    counters: &mut Counters,
    pools: &mut PoolOneHots,
) -> Result<(Shared, Option<crate::protocols::matmul::KeptMask>), RunError> {
    match fold {
        Fold::Lazy { pair } => {
            counters.private_ops += 1;
            let d = super::lazy::difference(party, op, get, pair)?;
            counters.comparisons += (if pair.is_some() { d.len() / 2 } else { d.len() }) as u64;
            return Ok((d, None));
        }
        Fold::Select { cond, form, pair } => {
            counters.private_ops += 1;
            return super::lazy::select(party, op, get, cond, form, pair.is_some()).map(|z| (z, None));
        }
        Fold::Pair => {
            counters.private_ops += 1;
            return super::lazy::pair(party, op, get).map(|z| (z, None));
        }
        Fold::Compare { pair } => {
            counters.private_ops += 1;
            let c = super::lazy::compare_pair(party, op, get, pair)?;
            counters.comparisons += c.len() as u64;
            return Ok((c, None));
        }
        Fold::None | Fold::Raw => {}
    }
    let defer = fold == Fold::Raw;
    if let Some(r) = plan.and_then(|p| super::masks::with_masks(party, op, get, p, defer)) {
        counters.private_ops += 1;
        return r;
    }
    if defer {
        if let Some(r) = raw_product(party, op, get, counters) {
            return r.map(|z| (z, None));
        }
    }
    private_op(party, op, get, counters, pools).map(|z| (z, None))
}

/// A product with a private operand left at its raw scale (`mpcc_ir::fold`: its consumer
/// truncates it); `None` when the op is not such a product here (then `private_op` runs it). A
/// public factor makes it local: the product of the shares with the factor's encoding.
fn raw_product<'t>(
    party: &mut Party,
    op: &Op,
    get: Get<'_, 't>,
    counters: &mut Counters,
) -> Option<Result<Shared, RunError>> {
    let (a, b) = match op {
        Op::Binary(BinaryOp::Mul, a, b) | Op::MatMul(a, b) => (get(*a).ok()?, get(*b).ok()?),
        _ => return None,
    };
    let f = party.fixed.frac_bits;
    let matmul = matches!(op, Op::MatMul(..));
    let local = |x: &Shared, p: &Tensor, public_left: bool| -> Result<Shared, RunError> {
        let e = encode_factor(p, f)?;
        let data = match (matmul, public_left) {
            (true, true) => crate::ring::matmul(&e.data, &x.data),
            (true, false) => crate::ring::matmul(&x.data, &e.data),
            (false, _) => crate::ring::mul(&x.data, &e.data),
        }
        .map_err(|e| mpc_err(e.into()))?;
        Ok(Shared { data, scale: x.scale + e.scale })
    };
    let out = match (a, b) {
        (Opd::S(x), Opd::S(y)) if matmul => {
            ready_left(party, x).and_then(|x| matmul::matmul_raw(party, &x, y).map_err(mpc_err))
        }
        // A raw value times 2^-k or 2^j, itself left raw: the same words at k more (j fewer) bits.
        (Opd::S(x), Opd::P(p)) | (Opd::P(p), Opd::S(x)) if x.scale > f && !matmul => relabel(x, p, f),
        (Opd::S(x), Opd::S(y)) => super::mixed::product_raw(party, x, y),
        (Opd::S(x), Opd::P(p)) if x.scale <= f => local(x, p, false),
        (Opd::P(p), Opd::S(x)) if x.scale <= f => local(x, p, true),
        _ => return None,
    };
    counters.private_ops += 1;
    Some(out)
}

/// `x` (a raw product times a public power of two, `mpcc_ir::fold`) relabelled: `2^-k·x` is
/// the same words at `k` more fractional bits, `2^j·x` at `j` fewer. Exact.
fn relabel(x: &Shared, p: &Tensor, f: u32) -> Result<Shared, RunError> {
    Ok(Shared { data: x.data.clone(), scale: mixed::relabelled_scale(x.scale, p, f)? })
}

/// A matrix product's left factor at most at the run's scale: a raw one (`mpcc_ir::fold`) is
/// truncated first, unless a kept mask lets the product open its truncation (`super::masks`).
pub(crate) fn ready_left<'s>(party: &mut Party, x: &'s Shared) -> Result<std::borrow::Cow<'s, Shared>, RunError> {
    let f = party.fixed.frac_bits;
    if x.scale <= f {
        return Ok(std::borrow::Cow::Borrowed(x));
    }
    let mut t = crate::protocols::trunc::truncate(party, x, x.scale - f).map_err(mpc_err)?;
    t.scale = f;
    Ok(std::borrow::Cow::Owned(t))
}

/// Computes a private value. `get` yields each operand as public or private.
pub fn private_op<'t>(
    party: &mut Party,
    op: &Op,
    get: Get<'_, 't>,
    counters: &mut Counters,
    pools: &mut PoolOneHots,
) -> Result<Shared, RunError> {
    counters.private_ops += 1;
    let f = party.fixed.frac_bits;
    match op {
        Op::Binary(bop, a, b) => {
            let (a, b) = (get(*a)?, get(*b)?);
            if !matches!(bop, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div) {
                let n: usize = crate::plain::broadcast_shape(a.shape(), b.shape())?.iter().product();
                let times = if matches!(bop, BinaryOp::Eq | BinaryOp::Ne) { 2 } else { 1 };
                counters.comparisons += (n * times) as u64;
            }
            mixed::binary(party, *bop, a, b)
        }
        Op::Unary(uop, x) => {
            let x = share(get, *x)?;
            if matches!(uop, UnaryOp::Sign | UnaryOp::Abs | UnaryOp::Relu) {
                counters.comparisons += x.len() as u64;
            }
            mixed::unary(party, *uop, x)
        }
        Op::Pow(x, k) => mixed::pow(party, share(get, *x)?, *k),
        Op::MatMul(a, b) => match (get(*a)?, get(*b)?) {
            (Opd::S(x), Opd::S(y)) => {
                let x = ready_left(party, x)?;
                matmul::matmul(party, &x, y).map_err(mpc_err)
            }
            (Opd::S(x), Opd::P(p)) => matmul::matmul_public(party, x, &encode_factor(p, f)?).map_err(mpc_err),
            (Opd::P(p), Opd::S(y)) => matmul::public_matmul(party, &encode_factor(p, f)?, y).map_err(mpc_err),
            _ => Err(internal("a private matmul without a private operand")),
        },
        Op::Where(c, a, b) => mixed::where_(party, get(*c)?, get(*a)?, get(*b)?),
        Op::Reduce { op, x, axis } => {
            let x = share(get, *x)?;
            let ax = axis.map(|a| resolve_axis(a, x.data.ndim())).transpose()?;
            match op {
                ReduceOp::Sum => arith::sum(party, x, ax).map_err(mpc_err),
                ReduceOp::Mean if x.scale > f => {
                    // A raw product (`mpcc_ir::fold`): its sum divided by the count·2^(extra bits).
                    let count = ax.map_or(x.len(), |a| x.shape().get(a).copied().unwrap_or(1));
                    let mut s = arith::sum(party, x, ax).map_err(mpc_err)?;
                    let d = count as f64 * 2f64.powi((s.scale - f) as i32);
                    s.scale = f;
                    arith::div_public(party, &s, d).map_err(mpc_err)
                }
                ReduceOp::Mean => {
                    // A 0/1 or integer share (scale 0) is raised first: the mean is fractional.
                    let x = arith::upscale(x, f);
                    arith::mean(party, &x, ax).map_err(mpc_err)
                }
                ReduceOp::Max | ReduceOp::Min => {
                    counters.comparisons += x.len() as u64;
                    let which = if *op == ReduceOp::Max { Extreme::Max } else { Extreme::Min };
                    Ok(reduce_extreme(party, x, ax, which, false).map_err(mpc_err)?.values)
                }
            }
        }
        Op::Arg { op, x, axis, one_hot } => {
            let x = share(get, *x)?;
            let ax = axis.map(|a| resolve_axis(a, x.data.ndim())).transpose()?;
            counters.comparisons += x.len() as u64;
            let which = if *op == ArgOp::ArgMax { Extreme::Max } else { Extreme::Min };
            let len = ax.map_or(x.len(), |a| x.shape().get(a).copied().unwrap_or(0));
            if (2..=PAIRWISE_ROWS).contains(&len) {
                // Short rows: all pairs at once (fewer rounds than the tree).
                let (index, hot) = pairwise::arg_extreme(party, x, ax, which).map_err(mpc_err)?;
                return Ok(if *one_hot { hot } else { index });
            }
            let r = reduce_extreme(party, x, ax, which, true).map_err(mpc_err)?;
            let picked = if *one_hot { r.one_hot } else { r.index };
            picked.ok_or_else(|| internal("the reduction lost the positions"))
        }
        Op::Softmax { x, axis } => {
            let x = at_precision(party, share(get, *x)?)?;
            let ax = resolve_axis(*axis, x.data.ndim())?;
            approx::softmax(party, &x, ax).map_err(mpc_err)
        }
        Op::LogSoftmax { x, axis } => {
            let x = at_precision(party, share(get, *x)?)?;
            let ax = resolve_axis(*axis, x.data.ndim())?;
            approx::log_softmax(party, &x, ax).map_err(mpc_err)
        }
        Op::CrossEntropy { logits, targets } => cross_entropy(party, get(*logits)?, get(*targets)?),
        Op::OneHot { labels, classes } => {
            let labels = share(get, *labels)?;
            let classes = scalar_int(public(get, *classes)?, "the class count of `one_hot`")?;
            let classes =
                usize::try_from(classes).map_err(|_| RunError::index(format!("`one_hot` with {classes} classes")))?;
            let mut dims = labels.shape().to_vec();
            dims.push(1);
            let col = with_data(labels, structural::reshape(&labels.data, &to_i64(&dims))?);
            let range = Tensor::from_shape_fn(ndarray::IxDyn(&[classes]), |i| i[0] as f64);
            counters.comparisons += (labels.len() * classes * 2) as u64;
            mixed::compare_op(party, BinaryOp::Eq, Opd::S(&col), Opd::P(&range))
        }
        Op::Reshape { x, shape } => {
            let x = share(get, *x)?;
            let spec = reshape_spec(public(get, *shape)?)?;
            Ok(with_data(x, structural::reshape(&x.data, &spec)?))
        }
        Op::SumTo { x, shape } => {
            // Summing shares is summing the secret: local, no communication.
            let x = share(get, *x)?;
            let to = construct::dims_from_tensor(public(get, *shape)?, "sum_to")?;
            Ok(with_data(x, reduce::sum_to(&x.data, &to, 0u64, |a, b| a.wrapping_add(*b))?))
        }
        Op::Transpose(x) => {
            let x = share(get, *x)?;
            Ok(with_data(x, structural::transpose(&x.data)))
        }
        Op::Flatten { x, start } => {
            let x = share(get, *x)?;
            Ok(with_data(x, structural::flatten_from(&x.data, *start)?))
        }
        Op::Conv2d { x, w, win } => conv_op(party, ConvMap::Forward, get(*x)?, get(*w)?, &[], win),
        Op::Conv2dGradX { dy, w, x_shape, win } => {
            let target = construct::dims_from_tensor(public(get, *x_shape)?, "conv2d")?;
            conv_op(party, ConvMap::GradX, get(*dy)?, get(*w)?, &target, win)
        }
        Op::Conv2dGradW { x, dy, w_shape, win } => {
            let target = construct::dims_from_tensor(public(get, *w_shape)?, "conv2d")?;
            conv_op(party, ConvMap::GradW, get(*x)?, get(*dy)?, &target, win)
        }
        Op::Pool2d { op, x: x_id, k, win } => {
            let x = as_shared(party, get(*x_id)?, f)?;
            check_pool(x.shape(), *k, win, *op)?;
            if *op == PoolOp::Max {
                counters.comparisons += x.len() as u64;
            }
            let wanted = pools.wanted.contains(&(*x_id, *k, *win));
            if *op == PoolOp::Max && wanted {
                let (values, one_hot) = conv::max_pool2d_tracked(party, &x, *k, win).map_err(mpc_err)?;
                pools.kept.insert(*x_id, (x.data.clone(), *k, *win, one_hot));
                return Ok(values);
            }
            conv::pool2d(party, *op, &x, *k, win).map_err(mpc_err)
        }
        Op::Pool2dGrad { op, x: x_id, dy, k, win } => {
            let x = as_shared(party, get(*x_id)?, f)?;
            let dy = as_shared(party, get(*dy)?, f)?;
            check_pool(x.shape(), *k, win, *op)?;
            // The forward pool's one-hot, if it pooled these very shares with this window.
            let kept = pools.kept.get(x_id);
            let one_hot = kept.filter(|(xs, kk, w, _)| *xs == x.data && kk == k && w == win).map(|(.., h)| h);
            if *op == PoolOp::Max && one_hot.is_none() {
                counters.comparisons += x.len() as u64;
            }
            conv::pool2d_grad(party, *op, &x, &dy, *k, win, one_hot).map_err(mpc_err)
        }
        Op::Index { x, items } => {
            let x = share(get, *x)?;
            let get_public = |id: ValueId| public(get, id);
            let specs = index_specs(items, &get_public)?;
            Ok(with_data(x, structural::index(&x.data, &specs)?))
        }
        Op::Cat { xs, axis } | Op::Stack { xs, axis } => {
            let mut shares = Vec::with_capacity(xs.len());
            for &id in xs {
                shares.push(as_shared(party, get(id)?, f)?.into_owned());
            }
            let scale = shares.iter().map(|s| s.scale).max().unwrap_or(f);
            let shares: Vec<Shared> = shares.iter().map(|s| arith::upscale(s, scale)).collect();
            let datas: Vec<&ndarray::ArrayD<u64>> = shares.iter().map(|s| &s.data).collect();
            let data = if matches!(op, Op::Cat { .. }) {
                structural::cat(&datas, *axis)?
            } else {
                structural::stack(&datas, *axis)?
            };
            Ok(Shared { data, scale })
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

/// A convolution map with at least one private operand; shapes are checked first so that a bad
/// shape is a shape error with the op's span, not a protocol failure.
fn conv_op(
    party: &mut Party,
    map: ConvMap,
    a: Opd,
    b: Opd,
    target: &[usize],
    win: &Window2d,
) -> Result<Shared, RunError> {
    let target = conv_dims(map, a.shape(), b.shape(), target, win)?;
    let f = party.fixed.frac_bits;
    match (a, b) {
        (Opd::S(x), Opd::S(y)) => conv::conv_priv_priv(party, map, x, y, &target, win).map_err(mpc_err),
        (Opd::S(x), Opd::P(p)) => {
            conv::conv_public(party, map, x, &encode_factor(p, f)?, false, &target, win).map_err(mpc_err)
        }
        (Opd::P(p), Opd::S(y)) => {
            conv::conv_public(party, map, y, &encode_factor(p, f)?, true, &target, win).map_err(mpc_err)
        }
        _ => Err(internal("a private convolution without a private operand")),
    }
}

/// The plaintext shape checks of a pooling (the gather would report them as protocol failures).
fn check_pool(x: &[usize], k: [u32; 2], win: &Window2d, op: PoolOp) -> Result<(), RunError> {
    let what = mpcc_ir::pool_name(op);
    let [_, _, h, w] = x else {
        return Err(RunError::shape(format!(
            "`{what}` needs a 4-D `x` [n, c, h, w], found shape {}",
            crate::error::dims_text(x)
        )));
    };
    let kk = crate::plain::conv::window(k);
    crate::plain::conv::out_size(*h, kk[0], win.stride[0], win.padding[0], what)?;
    crate::plain::conv::out_size(*w, kk[1], win.stride[1], win.padding[1], what)?;
    Ok(())
}

fn to_i64(dims: &[usize]) -> Vec<i64> {
    dims.iter().map(|&d| d as i64).collect()
}

/// `cross_entropy(logits, targets)` = mean over rows of `-sum(targets · log_softmax(logits), -1)`.
fn cross_entropy(party: &mut Party, logits: Opd, targets: Opd) -> Result<Shared, RunError> {
    let ls_public;
    let ls_shared;
    let ls = match logits {
        Opd::P(t) => {
            ls_public = crate::plain::nn::log_softmax(t, -1)?;
            Opd::P(&ls_public)
        }
        Opd::S(x) => {
            let x = at_precision(party, x)?;
            let ax = resolve_axis(-1, x.data.ndim())?;
            ls_shared = approx::log_softmax(party, &x, ax).map_err(mpc_err)?;
            Opd::S(&ls_shared)
        }
    };
    if logits.shape() != targets.shape() {
        return Err(RunError::shape(format!(
            "`cross_entropy` needs targets of the logits' shape {}, found {}",
            crate::error::dims_text(logits.shape()),
            crate::error::dims_text(targets.shape())
        )));
    }
    let prod = mixed::mul(party, targets, ls)?;
    let ax = resolve_axis(-1, prod.data.ndim())?;
    let rows = arith::sum(party, &prod, Some(ax)).map_err(mpc_err)?;
    let mean = arith::mean(party, &rows, None).map_err(mpc_err)?;
    Ok(arith::neg(&mean))
}
