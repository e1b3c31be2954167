//! One row per builtin: name, positional parameters, keyword-only parameters, the label and shape
//! rule in words, and which lowering applies ([`Kind`]). Resolution, checking and lowering
//! (`lower/call.rs`) all read this table; nothing else lists builtin names.
//!
//! Axis rule: an axis may be given by position or as `axis=` (`sum(x, 0)` = `sum(x, axis=0)`),
//! except for `max`/`min`, where a second positional argument is a second tensor
//! (`max(a, b)` is the elementwise maximum) and the axis is given only as `axis=`.

use mpcc_ir::{ArgOp, PoolOp, ReduceOp, UnaryOp};

/// How a builtin lowers to IR.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Unary(UnaryOp),
    Reduce(ReduceOp),
    /// `max`/`min`: a reduction with one tensor, elementwise with two.
    MaxMin(ReduceOp),
    Arg(ArgOp),
    Softmax,
    LogSoftmax,
    CrossEntropy,
    Zeros,
    Ones,
    Eye,
    Rand,
    Randn,
    OneHot,
    Shape,
    Reshape,
    Transpose,
    Flatten,
    Cat,
    Stack,
    Pow,
    Where,
    Load,
    Private,
    Public,
    Reveal,
    Output,
    Print,
    Save,
    /// `conv2d(x, w, stride, padding, bias=)`.
    Conv2d,
    /// `max_pool2d` / `avg_pool2d(x, k, stride, padding)`.
    Pool(PoolOp),
    /// `grad(loss, [names])`: placeholders expanded by `passes::grad`.
    Grad,
}

/// One builtin.
#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    pub name: &'static str,
    /// Positional parameters in order; each may also be passed by keyword.
    pub params: &'static [&'static str],
    /// How many of `params` are required.
    pub required: usize,
    /// Keyword-only parameters (`seed=`, `src=`, `to=`, `one_hot=`, `file=`).
    pub kwonly: &'static [&'static str],
    /// Takes any number of positional arguments (`print`).
    pub variadic: bool,
    pub kind: Kind,
    /// The label and shape rule, for docs and hover.
    pub rule: &'static str,
}

const fn row(
    name: &'static str,
    params: &'static [&'static str],
    required: usize,
    kwonly: &'static [&'static str],
    kind: Kind,
    rule: &'static str,
) -> Builtin {
    Builtin { name, params, required, kwonly, variadic: false, kind, rule }
}

const X: &[&str] = &["x"];
const X_AXIS: &[&str] = &["x", "axis"];
const ELEMENTWISE: &str = "elementwise; shape and label as `x`";

/// The table.
pub const BUILTINS: &[Builtin] = &[
    row("zeros", &["shape"], 1, &[], Kind::Zeros, "public; shape given by a public 1-D shape"),
    row("ones", &["shape"], 1, &[], Kind::Ones, "public; shape given by a public 1-D shape"),
    row("eye", &["n"], 1, &[], Kind::Eye, "public [n, n] identity; `n` public"),
    row("rand", &["shape"], 1, &["seed"], Kind::Rand, "public uniform [0, 1); `seed` a constant"),
    row("randn", &["shape"], 1, &["seed"], Kind::Randn, "public standard normal; `seed` a constant"),
    row("one_hot", &["labels", "classes"], 2, &[], Kind::OneHot, "shape of labels + [classes]; label of labels"),
    row("shape", X, 1, &[], Kind::Shape, "public 1-D Int tensor of the dimensions"),
    row("reshape", &["x", "shape"], 2, &[], Kind::Reshape, "label of `x`; same number of elements"),
    row("transpose", X, 1, &[], Kind::Transpose, "axes reversed; label of `x`"),
    row("flatten", &["x", "start"], 1, &[], Kind::Flatten, "axes `start..` (default 0) merged into one; label of `x`"),
    row("cat", &["xs", "axis"], 1, &[], Kind::Cat, "concatenation along `axis` (default 0); join of labels"),
    row("stack", &["xs", "axis"], 1, &[], Kind::Stack, "stacking along a new `axis` (default 0); join of labels"),
    row("sum", X_AXIS, 1, &[], Kind::Reduce(ReduceOp::Sum), "over `axis` or everything; label of `x`"),
    row("mean", X_AXIS, 1, &[], Kind::Reduce(ReduceOp::Mean), "over `axis` or everything; label of `x`"),
    row("square", X, 1, &[], Kind::Unary(UnaryOp::Square), ELEMENTWISE),
    row("pow", &["x", "k"], 2, &[], Kind::Pow, "elementwise; `k` a constant integer"),
    row("where", &["c", "a", "b"], 3, &[], Kind::Where, "c * a + (1 - c) * b, broadcast; join of labels"),
    row("sign", X, 1, &[], Kind::Unary(UnaryOp::Sign), ELEMENTWISE),
    row("abs", X, 1, &[], Kind::Unary(UnaryOp::Abs), ELEMENTWISE),
    row("relu", X, 1, &[], Kind::Unary(UnaryOp::Relu), ELEMENTWISE),
    row(
        "max",
        &["x", "y"],
        1,
        &["axis"],
        Kind::MaxMin(ReduceOp::Max),
        "max(x[, axis=k]) reduces; max(a, b) elementwise",
    ),
    row(
        "min",
        &["x", "y"],
        1,
        &["axis"],
        Kind::MaxMin(ReduceOp::Min),
        "min(x[, axis=k]) reduces; min(a, b) elementwise",
    ),
    row("argmax", X_AXIS, 1, &["one_hot"], Kind::Arg(ArgOp::ArgMax), "Int indices, or one-hot of x's shape"),
    row("argmin", X_AXIS, 1, &["one_hot"], Kind::Arg(ArgOp::ArgMin), "Int indices, or one-hot of x's shape"),
    row("exp", X, 1, &[], Kind::Unary(UnaryOp::Exp), ELEMENTWISE),
    row("log", X, 1, &[], Kind::Unary(UnaryOp::Log), ELEMENTWISE),
    row("sqrt", X, 1, &[], Kind::Unary(UnaryOp::Sqrt), ELEMENTWISE),
    row("inv_sqrt", X, 1, &[], Kind::Unary(UnaryOp::InvSqrt), ELEMENTWISE),
    row("reciprocal", X, 1, &[], Kind::Unary(UnaryOp::Reciprocal), ELEMENTWISE),
    row("sigmoid", X, 1, &[], Kind::Unary(UnaryOp::Sigmoid), ELEMENTWISE),
    row("tanh", X, 1, &[], Kind::Unary(UnaryOp::Tanh), ELEMENTWISE),
    row("softmax", X_AXIS, 1, &[], Kind::Softmax, "along `axis` (default -1); shape and label of `x`"),
    row("log_softmax", X_AXIS, 1, &[], Kind::LogSoftmax, "along `axis` (default -1); shape and label of `x`"),
    row("cross_entropy", &["logits", "targets"], 2, &[], Kind::CrossEntropy, "scalar; join of labels"),
    row("load", &["path"], 1, &[], Kind::Load, "inside private(src=P, …): held by P; inside public(…): public"),
    row("private", &["value"], 1, &["src"], Kind::Private, "secret-shared by `src`"),
    row("public", &["value"], 1, &[], Kind::Public, "a value every party holds"),
    row("reveal", X, 1, &[], Kind::Reveal, "opens `x` to every party; public"),
    row("output", &["x"], 1, &["to", "file"], Kind::Output, "opens `x` to party `to` alone"),
    Builtin {
        name: "print",
        params: &[],
        required: 0,
        kwonly: &[],
        variadic: true,
        kind: Kind::Print,
        rule: "public values and strings",
    },
    row("save", &["path", "x"], 2, &[], Kind::Save, "a public value to a file in each party's folder"),
    row(
        "conv2d",
        &["x", "w", "stride", "padding"],
        2,
        &["bias"],
        Kind::Conv2d,
        "x [n, c, h, w], w [o, c, kh, kw] → [n, o, oh, ow]; stride/padding constant (or pairs); join of labels",
    ),
    row(
        "max_pool2d",
        &["x", "k", "stride", "padding"],
        2,
        &[],
        Kind::Pool(PoolOp::Max),
        "windows k over the last two axes of [n, c, h, w]; stride defaults to k; label of `x`",
    ),
    row(
        "avg_pool2d",
        &["x", "k", "stride", "padding"],
        2,
        &[],
        Kind::Pool(PoolOp::Avg),
        "mean over windows k (padding counts as 0); stride defaults to k; label of `x`",
    ),
    row(
        "grad",
        &["loss", "wrt"],
        2,
        &[],
        Kind::Grad,
        "gradients of a scalar loss w.r.t. a list of names; label of the loss",
    ),
];

/// The row of a builtin by name.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_of_the_language_has_a_row() {
        let names = "zeros ones eye rand randn one_hot shape reshape transpose flatten cat stack sum mean \
                     square pow where sign abs relu max min argmax argmin exp log sqrt inv_sqrt reciprocal \
                     sigmoid tanh softmax log_softmax cross_entropy load private public reveal output print \
                     save conv2d avg_pool2d max_pool2d grad";
        for name in names.split_whitespace() {
            assert!(lookup(name).is_some(), "no row for `{name}`");
        }
        assert_eq!(BUILTINS.len(), names.split_whitespace().count());
        assert!(lookup("matmul").is_none());
    }
}
