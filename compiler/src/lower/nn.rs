//! Lowering the layers of convolutional networks: `conv2d` (with `bias=` as an added
//! `reshape(b, [1, -1, 1, 1])`), `max_pool2d`, `avg_pool2d` and `flatten(x, start)`.
//!
//! Stride, padding and window sizes are compile-time integers (a literal, a `param`, or a pair
//! `[h, w]` of them) and live in the op. Where the shapes are known the geometry is checked here
//! (E0208: a rank other than 4, a channel mismatch, a window larger than the padded input, a zero
//! stride, a pooling padding over half the window); otherwise the run time checks it.

use super::{Cx, Val};
use crate::builtins::Kind;
use crate::diag::{Code, Diagnostic};
use mpcc_grammar::ast::{self, ExprKind};
use mpcc_grammar::Span;
use mpcc_ir::{shape_text, BinaryOp, DType, Dim, Op, PoolOp, Shape, Tensor, ValueId, ValueInfo, Window2d};

use super::call::Bound;

/// The output size along one axis when everything is known.
/// The shape `[lead.., oh, ow]` of a window slid over the last two axes `hw` of an input.
fn windowed(lead: [Dim; 2], hw: [Dim; 2], k: [Dim; 2], win: &Window2d) -> Shape {
    let [h, w] = hw;
    let [kh, kw] = k;
    let [sh, sw] = win.stride;
    let [ph, pw] = win.padding;
    Shape::Ranked(vec![lead[0], lead[1], out_dim(h, kh, sh, ph), out_dim(w, kw, sw, pw)])
}

fn out_dim(h: Dim, k: Dim, stride: u32, pad: u32) -> Dim {
    match (h, k) {
        (Dim::Known(h), Dim::Known(k)) if h.saturating_add(2 * pad as usize) >= k && stride > 0 => {
            Dim::Known((h.saturating_add(2 * pad as usize) - k) / stride as usize + 1)
        }
        _ => Dim::Unknown,
    }
}

impl<'a> Cx<'a> {
    /// A stride, padding or window argument: a constant integer or a pair `[h, w]` of them.
    fn pair_arg(&mut self, e: Option<&'a ast::Expr>, default: [u32; 2], what: &str) -> Option<[u32; 2]> {
        let Some(e) = e else {
            return Some(default);
        };
        let one = |cx: &mut Self, e: &ast::Expr| {
            cx.literal_number(e).filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x < 1e6).map(|x| x as u32)
        };
        let got = match &e.kind {
            ExprKind::List(items) => match items.as_slice() {
                [a, b] => one(self, a).zip(one(self, b)).map(|(a, b)| [a, b]),
                _ => None,
            },
            _ => one(self, e).map(|a| [a, a]),
        };
        if got.is_none() {
            let _ = self.expr(e);
            self.report(
                Diagnostic::error(Code::E0108, e.span, format!("the {what} must be a constant non-negative integer or a pair"))
                    .message(format!("{what} is not a compile-time integer"))
                    .note("Window sizes, strides and paddings are fixed when the program is compiled: use literals or `param`s.")
                    .help(format!("write `{what}=2` or `{what}=[2, 1]`")),
            );
        }
        got
    }

    /// The four dimensions of an `[n, c, h, w]` operand, `None` if its rank is unknown; a known
    /// rank other than 4 is reported (E0208).
    fn dims4(&mut self, v: ValueId, span: Span, fname: &str, name: &str) -> Result<Option<[Dim; 4]>, ()> {
        match self.info(v).shape {
            Shape::Unknown => Ok(None),
            Shape::Ranked(d) => match d.as_slice() {
                [a, b, c, e] => Ok(Some([*a, *b, *c, *e])),
                _ => {
                    let s = shape_text(&Shape::Ranked(d.clone()));
                    self.report(
                        Diagnostic::error(Code::E0208, span, format!("`{name}` has shape {s}, not 4 axes"))
                            .message(format!("`{fname}` needs a 4-D `{name}`"))
                            .note("Images are laid out as [n, c, h, w] (PyTorch's NCHW); kernels as [o, c, kh, kw].")
                            .help(format!("reshape it first, e.g. `reshape({name}, [n, 1, h, w])`")),
                    );
                    Err(())
                }
            },
        }
    }

    fn geometry_error(&mut self, span: Span, label: String, message: &str, help: &str) {
        self.report(Diagnostic::error(Code::E0208, span, label).message(message.to_string()).help(help.to_string()));
    }

    /// Checks stride (and, for pooling, padding against the window); reports E0208.
    fn check_window(&mut self, win: &Window2d, k: Option<[u32; 2]>, b: &Bound<'a>, span: Span) -> Result<(), ()> {
        if win.stride.contains(&0) {
            let at = b.get("stride").map_or(span, |e| e.span);
            self.geometry_error(at, "a stride of 0".into(), "the stride must be at least 1", "stride=1");
            return Err(());
        }
        if let Some(k) = k {
            if k.contains(&0) || win.padding.iter().zip(k).any(|(p, k)| 2 * p > k) {
                let at = b.get("padding").or(b.get("k")).map_or(span, |e| e.span);
                self.geometry_error(
                    at,
                    format!("window {k:?} with padding {:?}", win.padding),
                    "the padding of a pooling must be at most half the window (and the window at least 1)",
                    &format!("padding={}", k.iter().min().copied().unwrap_or(0) / 2),
                );
                return Err(());
            }
        }
        Ok(())
    }

    /// Reports a window larger than the padded input along an axis.
    fn check_fit(&mut self, h: [Dim; 2], k: [Dim; 2], win: &Window2d, span: Span, what: &str) -> Result<(), ()> {
        for axis in 0..2 {
            let (hd, kd, pad) = (h.get(axis), k.get(axis), win.padding.get(axis).copied().unwrap_or(0));
            if let (Some(Dim::Known(h)), Some(Dim::Known(k))) = (hd, kd) {
                if *k > h.saturating_add(2 * pad as usize) {
                    self.geometry_error(
                        span,
                        format!("a window of {k} does not fit an input of {h} padded by {pad}"),
                        &format!("the `{what}` window is larger than the padded input"),
                        "use a smaller kernel or more padding, e.g. `padding=1`",
                    );
                    return Err(());
                }
            }
        }
        Ok(())
    }

    pub(super) fn conv2d(&mut self, b: &Bound<'a>, span: Span) -> Val {
        let (Some(xe), Some(we)) = (b.get("x"), b.get("w")) else {
            return Val::Err;
        };
        let (Some(x), Some(w)) = (self.arg_tensor(xe), self.arg_tensor(we)) else {
            return Val::Err;
        };
        let (Some(stride), Some(padding)) =
            (self.pair_arg(b.get("stride"), [1, 1], "stride"), self.pair_arg(b.get("padding"), [0, 0], "padding"))
        else {
            return Val::Err;
        };
        let win = Window2d { stride, padding };
        if self.check_window(&win, None, b, span).is_err() {
            return Val::Err;
        }
        let (Ok(xd), Ok(wd)) = (self.dims4(x, xe.span, "conv2d", "x"), self.dims4(w, we.span, "conv2d", "w")) else {
            return Val::Err;
        };
        let shape = match (xd, wd) {
            (Some(xd), Some(wd)) => {
                if let (Dim::Known(c), Dim::Known(c2)) = (xd[1], wd[1]) {
                    if c != c2 {
                        self.report(
                            Diagnostic::error(Code::E0208, span, format!("{c} input channels, a kernel for {c2}"))
                                .message("`conv2d` channels do not match")
                                .secondary(xe.span, format!("shape {}", shape_text(&self.info(x).shape)))
                                .secondary(we.span, format!("shape {}", shape_text(&self.info(w).shape)))
                                .help("the kernel's second axis must equal the input's channels: w [o, c, kh, kw]"),
                        );
                        return Val::Err;
                    }
                }
                if self.check_fit([xd[2], xd[3]], [wd[2], wd[3]], &win, span, "conv2d").is_err() {
                    return Val::Err;
                }
                windowed([xd[0], wd[0]], [xd[2], xd[3]], [wd[2], wd[3]], &win)
            }
            (Some(xd), None) => Shape::Ranked(vec![xd[0], Dim::Unknown, Dim::Unknown, Dim::Unknown]),
            (None, Some(wd)) => Shape::Ranked(vec![Dim::Unknown, wd[0], Dim::Unknown, Dim::Unknown]),
            (None, None) => Shape::Ranked(vec![Dim::Unknown; 4]),
        };
        let (label, witness) = self.join_labels(&[x, w]);
        let y = self.emit(Op::Conv2d { x, w, win }, ValueInfo { label, dtype: DType::Real, shape, witness }, span);
        let Some(be) = b.get("bias") else {
            return Val::T(y);
        };
        let Some(bias) = self.arg_tensor(be) else {
            return Val::Err;
        };
        let o = match self.info(bias).shape {
            Shape::Ranked(d) if d.len() == 1 => d.first().copied().unwrap_or(Dim::Unknown),
            Shape::Unknown => Dim::Unknown,
            other => {
                self.geometry_error(
                    be.span,
                    format!("a bias of shape {}", shape_text(&other)),
                    "`bias=` must be 1-D, one entry per output channel",
                    "bias=reshape(b, [-1])",
                );
                return Val::Err;
            }
        };
        let spec = self.constant(Tensor { shape: vec![4], data: vec![1.0, -1.0, 1.0, 1.0] }, be.span);
        let info = self.info(bias);
        let witness = if info.label.is_public() { None } else { Some(bias) };
        let shape = Shape::Ranked(vec![Dim::Known(1), o, Dim::Known(1), Dim::Known(1)]);
        let rb = self.emit(
            Op::Reshape { x: bias, shape: spec },
            ValueInfo { label: info.label, dtype: info.dtype, shape, witness },
            be.span,
        );
        self.binary(BinaryOp::Add, y, rb, span, span, be.span).map_or(Val::Err, Val::T)
    }

    pub(super) fn pool2d(&mut self, kind: Kind, b: &Bound<'a>, span: Span) -> Val {
        let op = if kind == Kind::Pool(PoolOp::Max) { PoolOp::Max } else { PoolOp::Avg };
        let fname = mpcc_ir::pool_name(op);
        let Some(xe) = b.get("x") else {
            return Val::Err;
        };
        let Some(x) = self.arg_tensor(xe) else {
            return Val::Err;
        };
        let Some(k) = self.pair_arg(b.get("k"), [1, 1], "k") else {
            return Val::Err;
        };
        let (Some(stride), Some(padding)) =
            (self.pair_arg(b.get("stride"), k, "stride"), self.pair_arg(b.get("padding"), [0, 0], "padding"))
        else {
            return Val::Err;
        };
        let win = Window2d { stride, padding };
        if self.check_window(&win, Some(k), b, span).is_err() {
            return Val::Err;
        }
        let Ok(xd) = self.dims4(x, xe.span, fname, "x") else {
            return Val::Err;
        };
        let kd = [Dim::Known(k[0] as usize), Dim::Known(k[1] as usize)];
        let shape = match xd {
            Some(xd) => {
                if self.check_fit([xd[2], xd[3]], kd, &win, span, fname).is_err() {
                    return Val::Err;
                }
                windowed([xd[0], xd[1]], [xd[2], xd[3]], kd, &win)
            }
            None => Shape::Ranked(vec![Dim::Unknown; 4]),
        };
        let info = self.info(x);
        let witness = if info.label.is_public() { None } else { Some(x) };
        let dtype = if op == PoolOp::Max { info.dtype } else { DType::Real };
        Val::T(self.emit(Op::Pool2d { op, x, k, win }, ValueInfo { label: info.label, dtype, shape, witness }, span))
    }

    pub(super) fn flatten(&mut self, b: &Bound<'a>, span: Span) -> Val {
        let Some(x) = b.get("x").and_then(|e| self.arg_tensor(e)) else {
            return Val::Err;
        };
        let start = match b.get("start") {
            Some(e) => match self.const_int(e, "axis") {
                Some(s) => s,
                None => return Val::Err,
            },
            None => 0,
        };
        let info = self.info(x);
        let shape = match &info.shape {
            Shape::Unknown if start == 0 => Shape::Ranked(vec![Dim::Unknown]),
            Shape::Unknown => Shape::Unknown,
            Shape::Ranked(d) => {
                let rank = d.len() as i64;
                let s = if start < 0 { start + rank } else { start };
                if !(0..rank).contains(&s) && s != 0 {
                    self.shape_error(
                        Code::E0203,
                        crate::shapes::ShapeError::Axis { axis: start, rank: d.len() },
                        span,
                        "",
                        std::slice::from_ref(&info.shape),
                    );
                    return Val::Err;
                }
                let s = s as usize;
                let rest = d.iter().skip(s).try_fold(1usize, |acc, d| match d {
                    Dim::Known(n) => acc.checked_mul(*n),
                    Dim::Unknown => None,
                });
                let mut dims: Vec<Dim> = d.iter().take(s).copied().collect();
                dims.push(rest.map_or(Dim::Unknown, Dim::Known));
                Shape::Ranked(dims)
            }
        };
        let witness = if info.label.is_public() { None } else { Some(x) };
        Val::T(self.emit(
            Op::Flatten { x, start },
            ValueInfo { label: info.label, dtype: info.dtype, shape, witness },
            span,
        ))
    }
}
