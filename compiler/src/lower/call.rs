//! Lowering calls: user functions (inlined, `stmt.rs`) and builtins, one arm per
//! [`crate::builtins::Kind`]. Arguments are bound to the row's parameters here, so arity and
//! keyword errors (E0102, E0103) are reported the same way for every builtin.

use super::{Cx, Hover, Val};
use crate::builtins::{self, Builtin, Kind};
use crate::diag::{Code, Diagnostic};
use crate::shapes;
use crate::SymbolKind;
use mpcc_grammar::ast::{self, ExprKind};
use mpcc_grammar::Span;
use mpcc_ir::{shape_text, BinaryOp, DType, Dim, Op, Shape, ValueId, ValueInfo};
use std::collections::HashMap;

/// Arguments bound to a builtin's parameter names.
pub(super) struct Bound<'a> {
    pub(super) named: HashMap<&'static str, &'a ast::Expr>,
    pub(super) rest: Vec<&'a ast::Expr>,
}

impl<'a> Bound<'a> {
    pub(super) fn get(&self, name: &str) -> Option<&'a ast::Expr> {
        self.named.get(name).copied()
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl<'a> Cx<'a> {
    pub(crate) fn call(&mut self, callee: &ast::Ident, args: &'a [ast::Arg], span: Span) -> Val {
        if let Some(f) = self.fns.get(&callee.name).copied() {
            let at = self.symbols.len();
            self.symbols.push((callee.span, Some(f.name.span), callee.name.clone(), SymbolKind::Fn, Hover::None));
            let result = self.call_fn(f, callee, args, span);
            if let (Val::T(value), Some(symbol)) = (&result, self.symbols.get_mut(at)) {
                symbol.4 = Hover::Value(*value);
            }
            return result;
        }
        let Some(row) = builtins::lookup(&callee.name) else {
            if self.lookup_local(&callee.name).is_some() || self.params.contains_key(&callee.name) {
                self.report(
                    Diagnostic::error(Code::E0111, callee.span, "this is a variable, not a function")
                        .message(format!("`{}` is not a function", callee.name))
                        .help("index a tensor with brackets: `x[0]`"),
                );
            } else {
                self.report(
                    Diagnostic::error(Code::E0101, callee.span, "no function or builtin of this name")
                        .message(format!("cannot find function `{}`", callee.name))
                        .help(format!("define it: `fn {}(x) {{ return x; }}`", callee.name)),
                );
            }
            for a in args {
                let _ = self.expr(&a.value);
            }
            return Val::Err;
        };
        let Some(bound) = self.bind_args(row, args, span) else {
            return Val::Err;
        };
        self.builtin(row, bound, span)
    }

    fn call_fn(&mut self, f: &'a ast::FnDecl, callee: &ast::Ident, args: &'a [ast::Arg], span: Span) -> Val {
        let mut vals = Vec::new();
        for a in args {
            if let Some(name) = &a.name {
                self.report(
                    Diagnostic::error(Code::E0103, name.span, "functions take positional arguments only")
                        .message(format!("keyword argument `{}` in a call of `{}`", name.name, callee.name))
                        .help("pass the argument by position"),
                );
            }
            vals.push((self.expr(&a.value), a.value.span));
        }
        if vals.len() != f.params.len() {
            self.report(
                Diagnostic::error(Code::E0102, span, format!("{} argument{} given", vals.len(), plural(vals.len())))
                    .message(format!("`{}` takes {} argument{}", callee.name, f.params.len(), plural(f.params.len())))
                    .secondary(f.name.span, "defined here")
                    .help(format!(
                        "{}({})",
                        callee.name,
                        f.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                    )),
            );
            return Val::Err;
        }
        self.inline_fn(f, vals, span)
    }

    fn bind_args(&mut self, row: &'static Builtin, args: &'a [ast::Arg], span: Span) -> Option<Bound<'a>> {
        let mut bound = Bound { named: HashMap::new(), rest: Vec::new() };
        let mut ok = true;
        let mut position = 0;
        let signature = || {
            let mut parts: Vec<String> = row.params.iter().map(|p| p.to_string()).collect();
            parts.extend(row.kwonly.iter().map(|k| format!("{k}=…")));
            format!("{}({})", row.name, parts.join(", "))
        };
        // `private(ALICE, e)` / `output(x, ALICE)`: the party given by position.
        let positional: Vec<&ast::Arg> = args.iter().filter(|a| a.name.is_none()).collect();
        for (fname, kw, party_pos) in [("private", "src", 0), ("output", "to", 1)] {
            let has_kw = args.iter().any(|a| a.name.as_ref().is_some_and(|n| n.name == kw));
            if row.name == fname && !has_kw && positional.len() == 2 {
                let Some(party) = positional.get(party_pos) else { continue };
                let text = self.src.get(party.span.range()).unwrap_or("P");
                self.report(
                    Diagnostic::error(Code::E0103, party.span, format!("write `{kw}={text}`"))
                        .message(format!("`{fname}` takes its party as `{kw}=`"))
                        .help(if fname == "private" {
                            format!("private(src={text}, …)")
                        } else {
                            format!("output(x, to={text})")
                        }),
                );
                return None;
            }
        }
        for a in args {
            match &a.name {
                None => {
                    if row.variadic {
                        bound.rest.push(&a.value);
                    } else if let Some(p) = row.params.get(position) {
                        bound.named.insert(p, &a.value);
                    } else {
                        self.report(
                            Diagnostic::error(Code::E0102, a.span, "unexpected argument")
                                .message(format!(
                                    "`{}` takes at most {} positional argument{}",
                                    row.name,
                                    row.params.len(),
                                    plural(row.params.len())
                                ))
                                .help(signature()),
                        );
                        ok = false;
                    }
                    position += 1;
                }
                Some(name) => {
                    let Some(p) = row.params.iter().chain(row.kwonly).find(|p| **p == name.name) else {
                        self.report(
                            Diagnostic::error(Code::E0103, name.span, "unknown keyword")
                                .message(format!("`{}` has no argument `{}`", row.name, name.name))
                                .help(signature()),
                        );
                        ok = false;
                        continue;
                    };
                    if bound.named.insert(p, &a.value).is_some() {
                        self.report(
                            Diagnostic::error(Code::E0103, name.span, "given twice")
                                .message(format!("argument `{}` of `{}` given twice", name.name, row.name))
                                .help(signature()),
                        );
                        ok = false;
                    }
                }
            }
        }
        let missing: Vec<&str> =
            row.params.iter().take(row.required).filter(|p| !bound.named.contains_key(*p)).copied().collect();
        if !missing.is_empty() {
            self.report(
                Diagnostic::error(Code::E0102, span, format!("missing `{}`", missing.join("`, `")))
                    .message(format!("`{}` takes {} argument{}", row.name, row.required, plural(row.required)))
                    .note(format!("`{}`: {}.", row.name, row.rule))
                    .help(signature()),
            );
            ok = false;
        }
        for kw in [("private", "src"), ("output", "to")] {
            if row.name == kw.0 && !bound.named.contains_key(kw.1) {
                let first = self.parties.first().map(|p| p.name.clone()).unwrap_or_else(|| "ALICE".into());
                let help = if kw.0 == "private" {
                    format!("private(src={first}, …)")
                } else {
                    format!("output(x, to={first})")
                };
                self.report(
                    Diagnostic::error(Code::E0103, span, format!("missing `{}=`", kw.1))
                        .message(format!("`{}` needs `{}=` to name a party", kw.0, kw.1))
                        .help(help),
                );
                ok = false;
            }
        }
        ok.then_some(bound)
    }

    pub(super) fn arg_tensor(&mut self, e: &'a ast::Expr) -> Option<ValueId> {
        let v = self.expr(e);
        self.tensor(v, e.span)
    }

    /// A compile-time integer argument (axis, seed, exponent).
    /// A number written as a literal (possibly negated) or a param, read without emitting IR.
    pub(super) fn literal_number(&mut self, e: &ast::Expr) -> Option<f64> {
        match &e.kind {
            ExprKind::Number(x) => Some(*x),
            ExprKind::Unary { op: ast::UnOp::Neg, operand } => self.literal_number(operand).map(|x| -x),
            ExprKind::Name(id) if self.lookup_local(&id.name).is_none() => {
                let (x, def) = self.params.get(&id.name).copied()?;
                self.symbols.push((id.span, Some(def), id.name.clone(), SymbolKind::Param, Hover::None));
                Some(x)
            }
            _ => None,
        }
    }

    pub(super) fn const_int(&mut self, e: &'a ast::Expr, what: &str) -> Option<i64> {
        if let Some(x) = self.literal_number(e).filter(|x| x.fract() == 0.0 && x.abs() < 1e15) {
            return Some(x as i64);
        }
        let v = self.arg_tensor(e)?;
        match self.known_scalar(v) {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => Some(x as i64),
            _ => {
                let code = if self.info(v).label.is_public() { Code::E0108 } else { Code::E0305 };
                self.report(
                    Diagnostic::error(code, e.span, format!("the {what} must be a constant integer"))
                        .message(format!("{what} is not a compile-time integer"))
                        .note("Axes, seeds and exponents are fixed when the program is compiled: use a literal or a `param`.")
                        .help(format!("write it as a literal, e.g. `{}`", if what == "seed" { "seed=1" } else { "0" })),
                );
                None
            }
        }
    }

    fn opt_axis(&mut self, bound: &Bound<'a>, default: Option<i64>) -> Result<Option<i64>, ()> {
        match bound.get("axis") {
            Some(e) => self.const_int(e, "axis").map(Some).ok_or(()),
            None => Ok(default),
        }
    }

    /// Requires a public shape/size argument (E0305); returns whether it is public.
    fn public_shape_arg(&mut self, v: ValueId, span: Span, fname: &str) -> bool {
        if self.info(v).label.is_public() {
            return true;
        }
        let d = Diagnostic::error(Code::E0305, span, "this size is private")
            .message(format!("private shape argument to `{fname}`"))
            .note("Shapes are public: every party must know them.")
            .help("use a public size, e.g. `shape(x)` or a param");
        self.report_with_provenance(d, vec![(v, "the size".into())]);
        false
    }

    /// What a 1-D shape argument says about the shape it describes.
    fn shape_from_arg(&self, v: ValueId) -> Shape {
        let info = self.info(v);
        match self.op(v) {
            Some(Op::Const(t)) if t.shape.len() <= 1 => Shape::Ranked(
                t.data.iter().map(|x| if *x >= 0.0 { Dim::Known(*x as usize) } else { Dim::Unknown }).collect(),
            ),
            Some(Op::Stack { xs, axis: 0 }) => Shape::Ranked(
                xs.iter()
                    .map(|x| match self.known_scalar(*x) {
                        Some(n) if n >= 0.0 => Dim::Known(n as usize),
                        _ => Dim::Unknown,
                    })
                    .collect(),
            ),
            Some(Op::Shape(x)) => self.info(*x).shape,
            _ => match info.shape.as_known().as_deref() {
                Some([n]) => Shape::Ranked(vec![Dim::Unknown; *n]),
                _ => Shape::Unknown,
            },
        }
    }

    fn builtin(&mut self, row: &'static Builtin, b: Bound<'a>, span: Span) -> Val {
        let x = b.get("x");
        let simple = |cx: &mut Self, op: Op, x: ValueId, shape: Shape, dtype: DType| -> Val {
            let info = cx.info(x);
            let witness = if info.label.is_public() { None } else { Some(x) };
            Val::T(cx.emit(op, ValueInfo { label: info.label, dtype, shape, witness }, span))
        };
        match row.kind {
            Kind::Conv2d => self.conv2d(&b, span),
            Kind::Pool(_) => self.pool2d(row.kind, &b, span),
            Kind::Flatten => self.flatten(&b, span),
            Kind::Unary(op) => {
                let Some(x) = x.and_then(|e| self.arg_tensor(e)) else {
                    return Val::Err;
                };
                let info = self.info(x);
                let dtype = match op {
                    mpcc_ir::UnaryOp::Sign
                    | mpcc_ir::UnaryOp::Abs
                    | mpcc_ir::UnaryOp::Relu
                    | mpcc_ir::UnaryOp::Square
                        if info.dtype == DType::Int =>
                    {
                        DType::Int
                    }
                    _ => DType::Real,
                };
                simple(self, Op::Unary(op, x), x, info.shape, dtype)
            }
            Kind::Reduce(op) => {
                let Some(xv) = x.and_then(|e| self.arg_tensor(e)) else {
                    return Val::Err;
                };
                let Ok(axis) = self.opt_axis(&b, None) else {
                    return Val::Err;
                };
                self.reduce(op, xv, axis, span)
            }
            Kind::MaxMin(op) => {
                let Some(xv) = x.and_then(|e| self.arg_tensor(e)) else {
                    return Val::Err;
                };
                if let Some(y) = b.get("y") {
                    let Some(yv) = self.arg_tensor(y) else {
                        return Val::Err;
                    };
                    let bop = if op == mpcc_ir::ReduceOp::Max { BinaryOp::Maximum } else { BinaryOp::Minimum };
                    let xs = x.map(|e| e.span).unwrap_or(span);
                    return self.binary(bop, xv, yv, span, xs, y.span).map_or(Val::Err, Val::T);
                }
                let Ok(axis) = self.opt_axis(&b, None) else {
                    return Val::Err;
                };
                self.reduce(op, xv, axis, span)
            }
            Kind::Arg(op) => {
                let Some(xv) = x.and_then(|e| self.arg_tensor(e)) else {
                    return Val::Err;
                };
                let Ok(axis) = self.opt_axis(&b, None) else {
                    return Val::Err;
                };
                let one_hot = match b.get("one_hot") {
                    None => false,
                    Some(e) => match self.expr(e) {
                        Val::Bool(v) => v,
                        Val::Err => return Val::Err,
                        _ => {
                            self.report(
                                Diagnostic::error(Code::E0108, e.span, "not `true` or `false`")
                                    .message("`one_hot=` must be `true` or `false`")
                                    .help("argmax(x, axis=1, one_hot=true)"),
                            );
                            return Val::Err;
                        }
                    },
                };
                let xshape = self.info(xv).shape;
                let shape = if one_hot {
                    match axis.map(|a| shapes::check_axis(&xshape, a)) {
                        Some(Err(err)) => {
                            self.shape_error(Code::E0203, err, span, "", &[xshape]);
                            return Val::Err;
                        }
                        _ => xshape,
                    }
                } else {
                    match shapes::reduce(&xshape, axis) {
                        Ok(s) => s,
                        Err(err) => {
                            self.shape_error(Code::E0203, err, span, "", &[xshape]);
                            return Val::Err;
                        }
                    }
                };
                let dtype = if one_hot { DType::Bool } else { DType::Int };
                simple(self, Op::Arg { op, x: xv, axis, one_hot }, xv, shape, dtype)
            }
            Kind::Softmax | Kind::LogSoftmax => {
                let Some(xv) = x.and_then(|e| self.arg_tensor(e)) else {
                    return Val::Err;
                };
                let Ok(Some(axis)) = self.opt_axis(&b, Some(-1)) else {
                    return Val::Err;
                };
                let shape = self.info(xv).shape;
                if let Err(err) = shapes::check_axis(&shape, axis) {
                    self.shape_error(Code::E0203, err, span, "", &[shape]);
                    return Val::Err;
                }
                let op = if row.kind == Kind::Softmax {
                    Op::Softmax { x: xv, axis }
                } else {
                    Op::LogSoftmax { x: xv, axis }
                };
                simple(self, op, xv, shape, DType::Real)
            }
            Kind::CrossEntropy => {
                let (Some(l), Some(t)) = (b.get("logits"), b.get("targets")) else {
                    return Val::Err;
                };
                let (Some(lv), Some(tv)) = (self.arg_tensor(l), self.arg_tensor(t)) else {
                    return Val::Err;
                };
                let (ls, ts) = (self.info(lv).shape, self.info(tv).shape);
                if shapes::broadcast(&ls, &ts).is_err()
                    || (ls.as_known().is_some() && ts.as_known().is_some() && ls != ts)
                {
                    self.report(
                        Diagnostic::error(
                            Code::E0201,
                            span,
                            format!("logits {} and targets {}", shape_text(&ls), shape_text(&ts)),
                        )
                        .message("`cross_entropy` of mismatched shapes")
                        .secondary(l.span, format!("shape {}", shape_text(&ls)))
                        .secondary(t.span, format!("shape {}", shape_text(&ts)))
                        .help("pass one-hot targets of the logits' shape: `cross_entropy(z, one_hot(y, classes))`"),
                    );
                    return Val::Err;
                }
                let (label, witness) = self.join_labels(&[lv, tv]);
                let info = ValueInfo { label, dtype: DType::Real, shape: Shape::scalar(), witness };
                Val::T(self.emit(Op::CrossEntropy { logits: lv, targets: tv }, info, span))
            }
            Kind::Zeros | Kind::Ones | Kind::Rand | Kind::Randn => {
                let Some(se) = b.get("shape") else {
                    return Val::Err;
                };
                let Some(sv) = self.arg_tensor(se) else {
                    return Val::Err;
                };
                if !self.public_shape_arg(sv, se.span, row.name) {
                    return Val::Err;
                }
                let shape = self.shape_from_arg(sv);
                let op = match row.kind {
                    Kind::Zeros => Op::Zeros { shape: sv },
                    Kind::Ones => Op::Ones { shape: sv },
                    _ => {
                        // Without `seed=`, the seed is the byte offset of the call in the file.
                        let seed = match b.get("seed") {
                            Some(e) => match self.const_int(e, "seed") {
                                Some(s) => s as u64,
                                None => return Val::Err,
                            },
                            None => u64::from(span.start),
                        };
                        if row.kind == Kind::Rand {
                            Op::Rand { shape: sv, seed }
                        } else {
                            Op::Randn { shape: sv, seed }
                        }
                    }
                };
                Val::T(self.emit(op, ValueInfo::public(DType::Real, shape), span))
            }
            Kind::Eye => {
                let Some(ne) = b.get("n") else {
                    return Val::Err;
                };
                let Some(nv) = self.arg_tensor(ne) else {
                    return Val::Err;
                };
                if !self.public_shape_arg(nv, ne.span, "eye") {
                    return Val::Err;
                }
                let d = match self.known_scalar(nv) {
                    Some(n) if n >= 0.0 => Dim::Known(n as usize),
                    _ => Dim::Unknown,
                };
                Val::T(self.emit(Op::Eye { n: nv }, ValueInfo::public(DType::Real, Shape::Ranked(vec![d, d])), span))
            }
            Kind::OneHot => {
                let (Some(le), Some(ce)) = (b.get("labels"), b.get("classes")) else {
                    return Val::Err;
                };
                let (Some(lv), Some(cv)) = (self.arg_tensor(le), self.arg_tensor(ce)) else {
                    return Val::Err;
                };
                if !self.public_shape_arg(cv, ce.span, "one_hot") {
                    return Val::Err;
                }
                let d = match self.known_scalar(cv) {
                    Some(n) if n >= 0.0 => Dim::Known(n as usize),
                    _ => Dim::Unknown,
                };
                let shape = match self.info(lv).shape {
                    Shape::Ranked(mut dims) => {
                        dims.push(d);
                        Shape::Ranked(dims)
                    }
                    Shape::Unknown => Shape::Unknown,
                };
                simple(self, Op::OneHot { labels: lv, classes: cv }, lv, shape, DType::Bool)
            }
            Kind::Shape => {
                let Some(xv) = x.and_then(|e| self.arg_tensor(e)) else {
                    return Val::Err;
                };
                let shape = match self.info(xv).shape.rank() {
                    Some(r) => Shape::known(&[r]),
                    None => Shape::Ranked(vec![Dim::Unknown]),
                };
                Val::T(self.emit(Op::Shape(xv), ValueInfo::public(DType::Int, shape), span))
            }
            Kind::Reshape => {
                let (Some(xe), Some(se)) = (x, b.get("shape")) else {
                    return Val::Err;
                };
                let (Some(xv), Some(sv)) = (self.arg_tensor(xe), self.arg_tensor(se)) else {
                    return Val::Err;
                };
                if !self.public_shape_arg(sv, se.span, "reshape") {
                    return Val::Err;
                }
                let target: Vec<Option<i64>> = match self.op(sv) {
                    Some(Op::Const(t)) => t.data.iter().map(|x| Some(*x as i64)).collect(),
                    Some(Op::Stack { xs, .. }) => {
                        xs.clone().iter().map(|x| self.known_scalar(*x).map(|n| n as i64)).collect()
                    }
                    _ => match self.shape_from_arg(sv) {
                        Shape::Ranked(d) => {
                            d.iter().map(|d| if let Dim::Known(n) = d { Some(*n as i64) } else { None }).collect()
                        }
                        Shape::Unknown => {
                            return simple(
                                self,
                                Op::Reshape { x: xv, shape: sv },
                                xv,
                                Shape::Unknown,
                                self.info(xv).dtype,
                            )
                        }
                    },
                };
                let xshape = self.info(xv).shape;
                let shape = match shapes::reshape(&xshape, &target) {
                    Ok(s) => s,
                    Err(_) => {
                        let t: Vec<String> = target.iter().map(|t| t.map_or("?".into(), |n| n.to_string())).collect();
                        self.report(
                            Diagnostic::error(
                                Code::E0204,
                                se.span,
                                format!("[{}] does not hold the elements of {}", t.join(", "), shape_text(&xshape)),
                            )
                            .message("`reshape` changes the number of elements")
                            .secondary(xe.span, format!("shape {}", shape_text(&xshape)))
                            .help("keep the element count, or let one dimension be inferred: `reshape(x, [-1])`"),
                        );
                        return Val::Err;
                    }
                };
                let dtype = self.info(xv).dtype;
                simple(self, Op::Reshape { x: xv, shape: sv }, xv, shape, dtype)
            }
            Kind::Transpose => {
                let Some(xv) = x.and_then(|e| self.arg_tensor(e)) else {
                    return Val::Err;
                };
                let info = self.info(xv);
                let shape = match info.shape {
                    Shape::Ranked(mut d) => {
                        d.reverse();
                        Shape::Ranked(d)
                    }
                    Shape::Unknown => Shape::Unknown,
                };
                simple(self, Op::Transpose(xv), xv, shape, info.dtype)
            }
            Kind::Cat | Kind::Stack => self.cat_stack(row, &b, span),
            Kind::Grad => self.grad(&b, span),
            Kind::Load | Kind::Private | Kind::Public | Kind::Reveal | Kind::Output | Kind::Print | Kind::Save => {
                self.effect(row.kind, &b, span)
            }
            Kind::Pow => {
                let (Some(xe), Some(ke)) = (x, b.get("k")) else {
                    return Val::Err;
                };
                let Some(xv) = self.arg_tensor(xe) else {
                    return Val::Err;
                };
                let Some(k) = self.const_int(ke, "exponent") else {
                    return Val::Err;
                };
                let info = self.info(xv);
                simple(self, Op::Pow(xv, k.clamp(-1000, 1000) as i32), xv, info.shape, DType::Real)
            }
            Kind::Where => {
                let (Some(ce), Some(ae), Some(be)) = (b.get("c"), b.get("a"), b.get("b")) else {
                    return Val::Err;
                };
                let (Some(c), Some(a), Some(bv)) = (self.arg_tensor(ce), self.arg_tensor(ae), self.arg_tensor(be))
                else {
                    return Val::Err;
                };
                let (sc, sa, sb) = (self.info(c).shape, self.info(a).shape, self.info(bv).shape);
                let shape = match shapes::broadcast(&sa, &sb).and_then(|s| shapes::broadcast(&sc, &s)) {
                    Ok(s) => s,
                    Err(_) => {
                        self.shape_error(
                            Code::E0201,
                            shapes::ShapeError::Mismatch,
                            span,
                            "`where` operands do not broadcast",
                            &[sc, sa, sb],
                        );
                        return Val::Err;
                    }
                };
                let (label, witness) = self.join_labels(&[c, a, bv]);
                let dtype = super::dtype_join(self.info(a).dtype, self.info(bv).dtype);
                Val::T(self.emit(Op::Where(c, a, bv), ValueInfo { label, dtype, shape, witness }, span))
            }
        }
    }

    fn reduce(&mut self, op: mpcc_ir::ReduceOp, x: ValueId, axis: Option<i64>, span: Span) -> Val {
        let info = self.info(x);
        let shape = match shapes::reduce(&info.shape, axis) {
            Ok(s) => s,
            Err(err) => {
                self.shape_error(Code::E0203, err, span, "", &[info.shape]);
                return Val::Err;
            }
        };
        let dtype = match op {
            mpcc_ir::ReduceOp::Mean => DType::Real,
            _ => info.dtype,
        };
        let witness = if info.label.is_public() { None } else { Some(x) };
        Val::T(self.emit(Op::Reduce { op, x, axis }, ValueInfo { label: info.label, dtype, shape, witness }, span))
    }

    fn cat_stack(&mut self, row: &'static Builtin, b: &Bound<'a>, span: Span) -> Val {
        let Some(xs_e) = b.get("xs") else {
            return Val::Err;
        };
        let ExprKind::List(items) = &xs_e.kind else {
            let _ = self.expr(xs_e);
            self.report(
                Diagnostic::error(Code::E0111, xs_e.span, "not a list")
                    .message(format!("`{}` takes a list of tensors", row.name))
                    .help(format!("{}([a, b], 0)", row.name)),
            );
            return Val::Err;
        };
        let Ok(Some(axis)) = self.opt_axis(b, Some(0)) else {
            return Val::Err;
        };
        let mut xs = Vec::new();
        for item in items {
            let Some(v) = self.arg_tensor(item) else {
                return Val::Err;
            };
            xs.push(v);
        }
        if row.kind == Kind::Stack {
            return self.stack_values(xs, axis, span).map_or(Val::Err, Val::T);
        }
        let shapes_: Vec<Shape> = xs.iter().map(|x| self.info(*x).shape).collect();
        let shape = match shapes::cat(&shapes_, axis) {
            Ok(s) => s,
            Err(err) => {
                self.shape_error(Code::E0206, err, span, "cannot concatenate", &shapes_);
                return Val::Err;
            }
        };
        let (label, witness) = self.join_labels(&xs);
        let dtype = xs.iter().map(|x| self.info(*x).dtype).reduce(super::dtype_join).unwrap_or(DType::Real);
        Val::T(self.emit(Op::Cat { xs, axis }, ValueInfo { label, dtype, shape, witness }, span))
    }
}
