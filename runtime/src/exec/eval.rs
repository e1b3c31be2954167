//! The one evaluator of plaintext values: the plaintext engine computes every value this way,
//! and in an MPC run every party computes public values this way, identically (the same
//! `crate::plain` functions), and the owner of a local value computes it this way too.
//!
//! Also the domain check that goes with it (the plaintext engine's warnings). Does not share,
//! open or load anything: `load` is the machine's business (it knows which party reads).

use crate::error::{ErrorKind, RunError};
use crate::plain::structural::IndexSpec;
use crate::plain::{construct, conv, elementwise, linalg, nn, reduce, scalar_int, structural, Tensor};
use mpcc_ir::{IndexItem, Op, ValueId};

/// Computes `op` on plaintext operands given by `get`; also returns the domain warning the
/// plaintext engine would give. `Var`, `Load`, `Share` and `Reveal` are not handled here.
pub fn compute<'t>(
    op: &Op,
    get: &dyn Fn(ValueId) -> Result<&'t Tensor, RunError>,
) -> Result<(Tensor, Option<String>), RunError> {
    let mut domain = None;
    let value = match op {
        Op::Const(t) => Tensor::from_shape_vec(ndarray::IxDyn(&t.shape), t.data.clone())
            .map_err(|e| RunError::new(ErrorKind::Internal, format!("bad constant: {e}")))?,
        Op::Var(_) | Op::Load { .. } | Op::Share { .. } | Op::Reveal(_) => {
            return Err(RunError::new(ErrorKind::Internal, "not a plaintext op"))
        }
        Op::Binary(op, a, b) => {
            let (a, b) = (get(*a)?, get(*b)?);
            if *op == mpcc_ir::BinaryOp::Div {
                domain = elementwise::div_domain(b).map(|d| d.message());
            }
            elementwise::binary(*op, a, b)?
        }
        Op::Unary(op, x) => {
            let x = get(*x)?;
            domain = elementwise::unary_domain(*op, x).map(|d| d.message());
            elementwise::unary(*op, x)
        }
        Op::Pow(x, k) => elementwise::pow(get(*x)?, *k),
        Op::MatMul(a, b) => linalg::matmul(get(*a)?, get(*b)?)?,
        Op::Where(c, a, b) => elementwise::where_(get(*c)?, get(*a)?, get(*b)?)?,
        Op::Reduce { op, x, axis } => reduce::reduce(*op, get(*x)?, *axis)?,
        Op::Arg { op, x, axis, one_hot } => reduce::arg(*op, get(*x)?, *axis, *one_hot)?,
        Op::Softmax { x, axis } => nn::softmax(get(*x)?, *axis)?,
        Op::LogSoftmax { x, axis } => nn::log_softmax(get(*x)?, *axis)?,
        Op::CrossEntropy { logits, targets } => nn::cross_entropy(get(*logits)?, get(*targets)?)?,
        Op::Zeros { shape } => construct::zeros(&construct::dims_from_tensor(get(*shape)?, "zeros")?),
        Op::Ones { shape } => construct::ones(&construct::dims_from_tensor(get(*shape)?, "ones")?),
        Op::Eye { n } => {
            let n = scalar_int(get(*n)?, "the size given to `eye`")?;
            let n = usize::try_from(n).map_err(|_| RunError::shape(format!("`eye` of a negative size ({n})")))?;
            construct::eye(n)?
        }
        Op::Rand { shape, seed } => construct::rand(&construct::dims_from_tensor(get(*shape)?, "rand")?, *seed)?,
        Op::Randn { shape, seed } => construct::randn(&construct::dims_from_tensor(get(*shape)?, "randn")?, *seed)?,
        Op::OneHot { labels, classes } => {
            let classes = scalar_int(get(*classes)?, "the class count of `one_hot`")?;
            nn::one_hot(get(*labels)?, classes)?
        }
        Op::Shape(x) => construct::shape_of(get(*x)?.shape()),
        Op::Reshape { x, shape } => structural::reshape(get(*x)?, &reshape_spec(get(*shape)?)?)?,
        Op::SumTo { x, shape } => {
            let to = construct::dims_from_tensor(get(*shape)?, "sum_to")?;
            reduce::sum_to(get(*x)?, &to, 0.0, |a, b| a + b)?
        }
        Op::Transpose(x) => structural::transpose(get(*x)?),
        Op::Flatten { x, start } => structural::flatten_from(get(*x)?, *start)?,
        Op::Conv2d { x, w, win } => conv::conv2d_plain(get(*x)?, get(*w)?, win)?,
        Op::Conv2dGradX { dy, w, x_shape, win } => conv::conv2d_grad_x_plain(get(*dy)?, get(*w)?, get(*x_shape)?, win)?,
        Op::Conv2dGradW { x, dy, w_shape, win } => conv::conv2d_grad_w_plain(get(*x)?, get(*dy)?, get(*w_shape)?, win)?,
        Op::Pool2d { op, x, k, win } => conv::pool2d(*op, get(*x)?, *k, win)?,
        Op::Pool2dGrad { op, x, dy, k, win } => conv::pool2d_grad(*op, get(*x)?, get(*dy)?, *k, win)?,
        Op::Cat { xs, axis } => {
            let xs = xs.iter().map(|&id| get(id)).collect::<Result<Vec<_>, _>>()?;
            structural::cat(&xs, *axis)?
        }
        Op::Stack { xs, axis } => {
            let xs = xs.iter().map(|&id| get(id)).collect::<Result<Vec<_>, _>>()?;
            structural::stack(&xs, *axis)?
        }
        Op::Index { x, items } => structural::index(get(*x)?, &index_specs(items, get)?)?,
    };
    Ok((value, domain))
}

/// The public shape argument of `reshape` as integers.
pub fn reshape_spec(spec: &Tensor) -> Result<Vec<i64>, RunError> {
    if spec.ndim() > 1 {
        return Err(RunError::shape("the shape given to `reshape` must be 1-D"));
    }
    spec.iter().map(|&d| crate::plain::as_int(d, "a dimension given to `reshape`")).collect()
}

/// The public items of an indexing expression, resolved to integers.
pub fn index_specs<'t>(
    items: &[IndexItem],
    get: &dyn Fn(ValueId) -> Result<&'t Tensor, RunError>,
) -> Result<Vec<IndexSpec>, RunError> {
    let bound = |id: &Option<ValueId>| -> Result<Option<i64>, RunError> {
        id.map(|id| scalar_int(get(id)?, "a slice bound")).transpose()
    };
    items
        .iter()
        .map(|item| {
            Ok(match item {
                IndexItem::At(id) => IndexSpec::At(scalar_int(get(*id)?, "an index")?),
                IndexItem::Slice { start, end } => IndexSpec::Slice { start: bound(start)?, end: bound(end)? },
            })
        })
        .collect()
}

/// A message if `value` holds NaN/inf while every operand is finite (the plaintext engine's rule).
pub fn non_finite(value: &Tensor, operands_finite: bool) -> Option<String> {
    let bad = value.iter().filter(|v| !v.is_finite()).count();
    (bad > 0 && operands_finite).then(|| {
        format!(
            "the result holds {bad} NaN or infinite value{} (from finite operands)",
            if bad == 1 { "" } else { "s" }
        )
    })
}
