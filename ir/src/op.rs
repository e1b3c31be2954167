//! The operations of the IR: one [`Op`] per value, and the statements ([`Stmt`]) that order them.
//!
//! Each variant's doc is its spec: meaning, shape rule, label rule. Labels: unless said
//! otherwise, an op's label is the [`crate::Label::join`] of its operands' labels.
//! Shape rules follow NumPy (elementwise ops broadcast). Axis arguments may be negative
//! (counted from the end) and are resolved against the operand's rank at run time.

use crate::{Block, PartyId, Span, ValueId, VarId};
use serde::{Deserialize, Serialize};

/// A constant tensor: row-major `data` of the given `shape` (`[]` for a scalar).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

impl Tensor {
    pub fn scalar(x: f64) -> Tensor {
        Tensor { shape: Vec::new(), data: vec![x] }
    }
}

/// Elementwise binary operations. Shape: the broadcast of both operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`. Private×private cost: one Beaver triple and one round.
    Mul,
    /// `a / b`. A private divisor uses `reciprocal`.
    Div,
    /// `a < b`, 0 or 1 (dtype Bool). Private cost: one comparison.
    Lt,
    /// `a <= b`.
    Le,
    /// `a > b`.
    Gt,
    /// `a >= b`.
    Ge,
    /// `a == b`.
    Eq,
    /// `a != b`.
    Ne,
    /// `maximum(a, b)`, elementwise.
    Maximum,
    /// `minimum(a, b)`, elementwise.
    Minimum,
}

/// Elementwise unary operations. Shape: as the operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnaryOp {
    /// `-x`.
    Neg,
    /// `x * x`. Private cost: one square pair.
    Square,
    /// +1 where x ≥ 0, −1 where x < 0.
    Sign,
    /// `|x|`.
    Abs,
    /// `max(x, 0)`. Private cost: one comparison and one product.
    Relu,
    /// `e^x`.
    Exp,
    /// Natural logarithm, domain x > 0.
    Log,
    /// Square root, domain x ≥ 0.
    Sqrt,
    /// `1 / sqrt(x)`, domain x > 0.
    InvSqrt,
    /// `1 / x`, domain x ≠ 0.
    Reciprocal,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
}

/// Reductions over one axis, or over every element when `axis` is `None` (giving a scalar).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReduceOp {
    Sum,
    Mean,
    /// Private cost: a tree of comparisons, log2(n) rounds of them.
    Max,
    Min,
}

/// Index-finding reductions (`argmax`, `argmin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ArgOp {
    ArgMax,
    ArgMin,
}

/// The pooling of [`Op::Pool2d`] and [`Op::Pool2dGrad`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PoolOp {
    /// `max_pool2d`: padding counts as −∞.
    Max,
    /// `avg_pool2d`: padding counts as 0 and the divisor is the full window (`count_include_pad`).
    Avg,
}

/// The compile-time geometry of a 2-D window over the last two axes of `[n, c, h, w]`: the
/// step `stride = [sh, sw]` (each ≥ 1) and the zero (or −∞) border `padding = [ph, pw]`. The
/// output size along an axis of input size `h` and window size `k` is `(h + 2p − k) / s + 1`
/// (floor), which must be ≥ 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Window2d {
    pub stride: [u32; 2],
    pub padding: [u32; 2],
}

/// One position of an indexing expression `x[…]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum IndexItem {
    /// A single public integer index (negative counts from the end); removes the axis.
    At(ValueId),
    /// A slice `start:end`; open ends are `None`; negative bounds count from the end.
    Slice { start: Option<ValueId>, end: Option<ValueId> },
}

/// The operation that defines a value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// A constant. Label: public.
    Const(Tensor),
    /// The current value of a variable. Label and shape: the variable's.
    Var(VarId),
    /// `load(path)`: a `.npy`, `.npz` (`file.npz:entry`) or `.csv` file from a party's data folder.
    /// `at: Some(P)`: read by party P alone (inside `private(src=P, …)`); label `Local(P)`.
    /// `at: None`: every party reads its own copy (inside `public(…)`); label public.
    Load { path: String, at: Option<PartyId> },
    /// `private(src=P, x)`: party P secret-shares `x` (public or `Local(P)`). Label: private.
    /// The other parties learn only the shape.
    Share { src: PartyId, value: ValueId },
    /// `reveal(x)`: opens `x` to every party. Label: public. Recorded in the audit log.
    Reveal(ValueId),
    /// An elementwise binary operation (broadcasting).
    Binary(BinaryOp, ValueId, ValueId),
    /// An elementwise unary operation.
    Unary(UnaryOp, ValueId),
    /// `pow(x, k)` for a public integer `k` (k ≥ 0; negative k uses `reciprocal`).
    Pow(ValueId, i32),
    /// `a @ b`: matrix product. Shapes as NumPy `matmul` (1-D operands promoted, batch dims broadcast).
    /// Private×private cost: one matrix triple and one round.
    MatMul(ValueId, ValueId),
    /// `where(c, a, b)`: `c * a + (1 - c) * b` for `c` of 0/1 entries; broadcasting.
    /// The oblivious pass produces it from a private `if`.
    Where(ValueId, ValueId, ValueId),
    /// `sum`/`mean`/`max`/`min`, over `axis` or everything.
    Reduce { op: ReduceOp, x: ValueId, axis: Option<i64> },
    /// `argmax`/`argmin` over `axis` (or the flattened tensor). Dtype Int; with `one_hot`, a 0/1
    /// tensor of `x`'s shape with a single 1 along the axis (the first maximum).
    Arg { op: ArgOp, x: ValueId, axis: Option<i64>, one_hot: bool },
    /// `softmax(x, axis)`.
    Softmax { x: ValueId, axis: i64 },
    /// `log_softmax(x, axis)`.
    LogSoftmax { x: ValueId, axis: i64 },
    /// `cross_entropy(logits, targets)`: mean over rows of `-sum(targets * log_softmax(logits, -1), -1)`.
    /// `targets` is one-hot, of the shape of `logits` (`[n, classes]`). Shape: scalar.
    CrossEntropy { logits: ValueId, targets: ValueId },
    /// `zeros(shape)`: `shape` is a public 1-D tensor of non-negative integers. Label: public.
    Zeros { shape: ValueId },
    /// `ones(shape)`. Label: public.
    Ones { shape: ValueId },
    /// `eye(n)`: the n×n identity. Label: public.
    Eye { n: ValueId },
    /// `rand(shape, seed=s)`: uniform on [0, 1), from a generator seeded with `seed`, so every
    /// party and every engine computes the same tensor. Label: public.
    Rand { shape: ValueId, seed: u64 },
    /// `randn(shape, seed=s)`: standard normal, seeded as `Rand`. Label: public.
    Randn { shape: ValueId, seed: u64 },
    /// `one_hot(labels, classes)`: labels of shape S (integers in 0..classes) give S + [classes].
    OneHot { labels: ValueId, classes: ValueId },
    /// `shape(x)`: a public 1-D tensor of `x`'s dimensions (shapes are always public).
    Shape(ValueId),
    /// `reshape(x, shape)`: `shape` public 1-D; one entry may be -1.
    Reshape { x: ValueId, shape: ValueId },
    /// "Sum `x` to the shape `shape`": the adjoint of broadcasting `shape` up to `x`'s shape,
    /// emitted by the `grad` pass when the compiler does not know both shapes. `shape` is a
    /// public 1-D tensor of non-negative integers (typically `shape(y)`). The axes `x` has in
    /// front of `shape`'s rank are summed away, and so are the aligned axes (counted from the
    /// end) where `shape` has 1 and `x` does not; the other aligned dimensions must be equal.
    /// Shape: `shape`. Label: the join of the operands' (the shape is public, so `x`'s).
    /// It is a run-time error if `shape` does not broadcast to `x`'s shape (a longer rank, or an
    /// aligned dimension that is neither 1 nor equal). Private cost: local (shares are summed),
    /// no communication.
    SumTo { x: ValueId, shape: ValueId },
    /// `transpose(x)`: reverses the axes (swaps them for a matrix).
    Transpose(ValueId),
    /// `flatten(x, start)`: the axes `start..` (a non-negative axis, or negative from the end)
    /// merged into one; `start = 0` gives 1-D. Shape: `x`'s first `start` dimensions, then their
    /// product. Private cost: local.
    Flatten { x: ValueId, start: i64 },
    /// `conv2d(x, w, stride, padding)` (PyTorch, NCHW, no bias: the lowering adds `bias=` as
    /// `+ reshape(b, [1, o, 1, 1])`): `x [n, c, h, w]`, `w [o, c, kh, kw]` give
    /// `[n, o, (h + 2ph − kh) / sh + 1, (w + 2pw − kw) / sw + 1]`, zero padding. It is a run-time
    /// shape error if a rank is not 4, the channels differ or the window is larger than the
    /// padded input. Private×private cost: one convolution triple, one opening of `|x| + |w|`
    /// elements and one truncation (as a matmul); with a public operand, local plus the truncation.
    Conv2d { x: ValueId, w: ValueId, win: Window2d },
    /// The adjoint of [`Op::Conv2d`] in `x` (a transposed convolution), emitted by `grad`:
    /// `dy [n, o, oh, ow]` and `w [o, c, kh, kw]` give `[n, c, h, w]` where `x_shape` (public
    /// 1-D, typically `shape(x)`) supplies `h` and `w`. Bilinear in `(dy, w)`; costs as `Conv2d`.
    Conv2dGradX { dy: ValueId, w: ValueId, x_shape: ValueId, win: Window2d },
    /// The adjoint of [`Op::Conv2d`] in `w`, emitted by `grad`: `x [n, c, h, w]` and
    /// `dy [n, o, oh, ow]` give `[o, c, kh, kw]` where `w_shape` (public 1-D, typically
    /// `shape(w)`) supplies `kh` and `kw`. Bilinear in `(x, dy)`; costs as `Conv2d`.
    Conv2dGradW { x: ValueId, dy: ValueId, w_shape: ValueId, win: Window2d },
    /// `max_pool2d` / `avg_pool2d(x, k, stride, padding)` over the last two axes of
    /// `x [n, c, h, w]`, window `k = [kh, kw]`: `[n, c, (h + 2ph − kh) / sh + 1, …]`.
    /// The padding is at most half the window (PyTorch's rule), so every window holds an element
    /// of `x`. Private cost: `Max`, a comparison tree over the `kh·kw` window (⌈log2(kh·kw)⌉
    /// levels, every window in one batch per level); `Avg`, a local sum and a public division.
    Pool2d { op: PoolOp, x: ValueId, k: [u32; 2], win: Window2d },
    /// The adjoint of [`Op::Pool2d`], emitted by `grad`: `dy` (the pooled shape) spread back to
    /// `x`'s shape: for `Max` onto the first maximum of each window (a one-hot from the comparison
    /// tree, recomputed from `x`, then a product with `dy`), for `Avg` evenly (`dy / (kh·kw)` to every
    /// element of the window). Overlapping windows add. `x` is read for its values (`Max`) or only
    /// its shape (`Avg`).
    Pool2dGrad { op: PoolOp, x: ValueId, dy: ValueId, k: [u32; 2], win: Window2d },
    /// `cat([a, b, …], axis)`: concatenation along an existing axis.
    Cat { xs: Vec<ValueId>, axis: i64 },
    /// `stack([a, b, …], axis)`: stacking along a new axis. A list expression `[a, b]` whose
    /// entries are not all literals lowers to `Stack` with axis 0.
    Stack { xs: Vec<ValueId>, axis: i64 },
    /// `x[i, a:b, …]`: indices and bounds are public; trailing axes not named are kept whole.
    Index { x: ValueId, items: Vec<IndexItem> },
}

/// One argument of `print`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PrintArg {
    Str(String),
    Value(ValueId),
}

/// Statements: when values are computed, and every effect and control-flow construct.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Stmt {
    /// Compute this value now (its operands were computed earlier).
    Eval(ValueId),
    /// `var = value`.
    Assign { var: VarId, value: ValueId },
    /// `if cond { … } else { … }` on a public scalar `cond` (nonzero is true). No private `If`
    /// survives the oblivious pass.
    If { cond: ValueId, then_block: Block, else_block: Block, span: Span },
    /// `for var in start..end { body }`: public integer bounds, evaluated once before the loop.
    For { var: VarId, start: ValueId, end: ValueId, body: Block, span: Span },
    /// `while cond { body }`: runs `cond_block`, then tests the public scalar `cond`.
    While { cond_block: Block, cond: ValueId, body: Block, span: Span },
    /// Leaves the innermost loop.
    Break { span: Span },
    /// Next iteration of the innermost loop.
    Continue { span: Span },
    /// `print(…)`: public arguments only; printed once.
    Print { args: Vec<PrintArg>, span: Span },
    /// `save(path, value)`: a public value, written as `.npy` (or `.csv`) into each party's folder.
    Save { path: String, value: ValueId, span: Span },
    /// `output(value, to=P)`: opens `value` to party P alone, which prints it labelled with its
    /// name (and writes it to `path` in its folder if given). Recorded in the audit log.
    Output { value: ValueId, to: PartyId, path: Option<String>, span: Span },
}

impl Op {
    /// The op's name: the one spelling the printed IR, the audit log, `grad`'s diagnostics and
    /// run-time errors use (the surface builtin's name where there is one).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Const(_) => "const",
            Op::Var(_) => "var",
            Op::Load { .. } => "load",
            Op::Share { .. } => "share",
            Op::Reveal(_) => "reveal",
            Op::Binary(op, ..) => crate::binary_name(*op),
            Op::Unary(op, _) => crate::unary_name(*op),
            Op::Pow(..) => "pow",
            Op::MatMul(..) => "matmul",
            Op::Where(..) => "where",
            Op::Reduce { op, .. } => match op {
                ReduceOp::Sum => "sum",
                ReduceOp::Mean => "mean",
                ReduceOp::Max => "max",
                ReduceOp::Min => "min",
            },
            Op::Arg { op: ArgOp::ArgMax, .. } => "argmax",
            Op::Arg { op: ArgOp::ArgMin, .. } => "argmin",
            Op::Softmax { .. } => "softmax",
            Op::LogSoftmax { .. } => "log_softmax",
            Op::CrossEntropy { .. } => "cross_entropy",
            Op::Zeros { .. } => "zeros",
            Op::Ones { .. } => "ones",
            Op::Eye { .. } => "eye",
            Op::Rand { .. } => "rand",
            Op::Randn { .. } => "randn",
            Op::OneHot { .. } => "one_hot",
            Op::Shape(_) => "shape",
            Op::Reshape { .. } => "reshape",
            Op::SumTo { .. } => "sum_to",
            Op::Transpose(_) => "transpose",
            Op::Flatten { .. } => "flatten",
            Op::Conv2d { .. } => "conv2d",
            Op::Conv2dGradX { .. } => "conv2d_grad_x",
            Op::Conv2dGradW { .. } => "conv2d_grad_w",
            Op::Pool2d { op, .. } => crate::pool_name(*op),
            Op::Pool2dGrad { op: PoolOp::Max, .. } => "max_pool2d_grad",
            Op::Pool2dGrad { op: PoolOp::Avg, .. } => "avg_pool2d_grad",
            Op::Cat { .. } => "cat",
            Op::Stack { .. } => "stack",
            Op::Index { .. } => "index",
        }
    }

    /// The values this op reads, in order (index bounds included).
    pub fn operands(&self) -> Vec<ValueId> {
        let op = self;
        match op {
            Op::Const(_) | Op::Var(_) | Op::Load { .. } => Vec::new(),
            Op::Share { value, .. } => vec![*value],
            Op::Reveal(x)
            | Op::Unary(_, x)
            | Op::Pow(x, _)
            | Op::Shape(x)
            | Op::Transpose(x)
            | Op::Flatten { x, .. } => {
                vec![*x]
            }
            Op::Binary(_, a, b) | Op::MatMul(a, b) => vec![*a, *b],
            Op::Where(c, a, b) => vec![*c, *a, *b],
            Op::Reduce { x, .. } | Op::Arg { x, .. } | Op::Softmax { x, .. } | Op::LogSoftmax { x, .. } => vec![*x],
            Op::CrossEntropy { logits, targets } => vec![*logits, *targets],
            Op::Zeros { shape } | Op::Ones { shape } | Op::Rand { shape, .. } | Op::Randn { shape, .. } => vec![*shape],
            Op::Eye { n } => vec![*n],
            Op::OneHot { labels, classes } => vec![*labels, *classes],
            Op::Reshape { x, shape } | Op::SumTo { x, shape } => vec![*x, *shape],
            Op::Cat { xs, .. } | Op::Stack { xs, .. } => xs.clone(),
            Op::Conv2d { x, w, .. } => vec![*x, *w],
            Op::Conv2dGradX { dy, w, x_shape, .. } => vec![*dy, *w, *x_shape],
            Op::Conv2dGradW { x, dy, w_shape, .. } => vec![*x, *dy, *w_shape],
            Op::Pool2d { x, .. } => vec![*x],
            Op::Pool2dGrad { x, dy, .. } => vec![*x, *dy],
            Op::Index { x, items } => {
                let mut v = vec![*x];
                for item in items {
                    match item {
                        IndexItem::At(i) => v.push(*i),
                        IndexItem::Slice { start, end } => v.extend(start.iter().chain(end.iter()).copied()),
                    }
                }
                v
            }
        }
    }
}
