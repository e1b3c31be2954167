//! Lowering expressions: literals, names, lists, tuples, unary and binary operators, indexing.
//! Calls are in `call.rs`. Shape rules come from `shapes.rs`; a mismatch is reported here with
//! both shapes, an unknown shape propagates silently.

use super::{Binding, Cx, Hover, Val, MAX_DEPTH};
use crate::diag::{Code, Diagnostic};
use crate::shapes::{self, IndexShape, ShapeError};
use crate::SymbolKind;
use mpcc_grammar::ast::{self, BinOp, ExprKind, IndexArg, UnOp};
use mpcc_grammar::Span;
use mpcc_ir::{shape_text, BinaryOp, DType, IndexItem, Op, Shape, Tensor, UnaryOp, ValueId, ValueInfo};

impl<'a> Cx<'a> {
    /// Lowers an expression.
    pub(crate) fn expr(&mut self, e: &'a ast::Expr) -> Val {
        if self.depth >= MAX_DEPTH {
            self.report(
                Diagnostic::error(Code::E0114, e.span, "nested too deeply")
                    .message(format!("expression nested more than {MAX_DEPTH} levels deep"))
                    .help("split it into several `let` bindings"),
            );
            return Val::Err;
        }
        self.depth += 1;
        let v = self.expr_inner(e);
        self.depth -= 1;
        v
    }

    fn expr_inner(&mut self, e: &'a ast::Expr) -> Val {
        match &e.kind {
            ExprKind::Number(x) => Val::T(self.constant(Tensor::scalar(*x), e.span)),
            ExprKind::Str(s) => Val::Str(s.clone()),
            ExprKind::Bool(b) => Val::Bool(*b),
            ExprKind::Name(id) => self.name(id),
            ExprKind::List(items) => self.list(items, e.span),
            ExprKind::Tuple(items) => Val::Tuple(items.iter().map(|i| self.expr(i)).collect()),
            ExprKind::Unary { op: UnOp::Neg, operand } => {
                let v = self.expr(operand);
                let Some(x) = self.tensor(v, operand.span) else {
                    return Val::Err;
                };
                if let Some(Op::Const(t)) = self.op(x) {
                    let t = Tensor { shape: t.shape.clone(), data: t.data.iter().map(|d| -d).collect() };
                    return Val::T(self.constant(t, e.span));
                }
                let info = self.info(x);
                let dtype = if info.dtype == DType::Bool { DType::Int } else { info.dtype };
                let witness = if info.label.is_public() { None } else { Some(x) };
                Val::T(self.emit(Op::Unary(UnaryOp::Neg, x), ValueInfo { dtype, witness, ..info }, e.span))
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let a = self.expr(lhs);
                let b = self.expr(rhs);
                let (Some(a), Some(b)) = (self.tensor(a, lhs.span), self.tensor(b, rhs.span)) else {
                    return Val::Err;
                };
                let bop = match op {
                    BinOp::MatMul => return self.matmul(a, b, e.span, lhs.span, rhs.span).map_or(Val::Err, Val::T),
                    BinOp::Add => BinaryOp::Add,
                    BinOp::Sub => BinaryOp::Sub,
                    BinOp::Mul => BinaryOp::Mul,
                    BinOp::Div => BinaryOp::Div,
                    BinOp::Lt => BinaryOp::Lt,
                    BinOp::Le => BinaryOp::Le,
                    BinOp::Gt => BinaryOp::Gt,
                    BinOp::Ge => BinaryOp::Ge,
                    BinOp::Eq => BinaryOp::Eq,
                    BinOp::Ne => BinaryOp::Ne,
                };
                self.binary(bop, a, b, e.span, lhs.span, rhs.span).map_or(Val::Err, Val::T)
            }
            ExprKind::Call { callee, args } => self.call(callee, args, e.span),
            ExprKind::Index { base, indices } => self.index(base, indices, e.span),
            ExprKind::Error => Val::Err,
        }
    }

    /// A public constant.
    pub(crate) fn constant(&mut self, t: Tensor, span: Span) -> ValueId {
        let dtype = if t.data.iter().all(|x| x.fract() == 0.0) { DType::Int } else { DType::Real };
        let shape = Shape::known(&t.shape);
        self.emit(Op::Const(t), ValueInfo::public(dtype, shape), span)
    }

    /// Converts a value to a tensor, reporting other kinds (strings, parties, tuples, nothing).
    pub(crate) fn tensor(&mut self, v: Val, span: Span) -> Option<ValueId> {
        let what = match v {
            Val::T(id) => return Some(id),
            Val::Err => return None,
            Val::Str(_) => "a string",
            Val::Bool(_) => "`true`/`false`",
            Val::Party(_) => "a party",
            Val::Tuple(vs) => {
                self.report(
                    Diagnostic::error(Code::E0107, span, format!("this is a tuple of {}", vs.len()))
                        .message("expected one tensor, found a tuple")
                        .help("take it apart first: `let (a, b) = f(x);`"),
                );
                return None;
            }
            Val::Unit => {
                self.report(
                    Diagnostic::error(Code::E0107, span, "this gives no value")
                        .message("a value is needed but this gives none")
                        .note("A function without `return`, and `print`, `output` and `save`, give no value.")
                        .help("return a value from the function: `return x;`"),
                );
                return None;
            }
        };
        let help = "pass a tensor here, e.g. `x` or `[1, 2]`";
        self.report(
            Diagnostic::error(Code::E0111, span, format!("this is {what}"))
                .message(format!("expected a tensor, found {what}"))
                .help(help),
        );
        None
    }

    fn name(&mut self, id: &ast::Ident) -> Val {
        match self.lookup_local(&id.name) {
            Some(Binding::Var(var)) => {
                let def = self.vars.get(var.index()).map(|d| Span::new(d.span.start as usize, d.span.end as usize));
                let v = self.read_var(var, id.span);
                self.symbols.push((id.span, def, id.name.clone(), SymbolKind::Var, Some(v).into()));
                return Val::T(v);
            }
            Some(Binding::Val(v, def)) => {
                let hover = if let Val::T(x) = v { Some(x) } else { None };
                self.symbols.push((id.span, Some(def), id.name.clone(), SymbolKind::Var, hover.into()));
                return v;
            }
            None => {}
        }
        if let Some((x, def)) = self.params.get(&id.name).copied() {
            let v = self.constant(Tensor::scalar(x), id.span);
            self.symbols.push((id.span, Some(def), id.name.clone(), SymbolKind::Param, Some(v).into()));
            return Val::T(v);
        }
        if let Some(rank) = self.parties.iter().position(|p| p.name == id.name) {
            let def = self.parties.get(rank).map(|p| p.span);
            self.symbols.push((id.span, def, id.name.clone(), SymbolKind::Party, Hover::None));
            return Val::Party(mpcc_ir::PartyId(rank as u32));
        }
        if let Some(f) = self.fns.get(&id.name) {
            let def = f.name.span;
            self.report(
                Diagnostic::error(Code::E0111, id.span, "this is a function")
                    .message(format!("function `{}` used as a value", id.name))
                    .secondary(def, "defined here")
                    .help(format!("call it: `{}(…)`", id.name)),
            );
            return Val::Err;
        }
        let mut d = Diagnostic::error(Code::E0101, id.span, "not found in this scope")
            .message(format!("cannot find `{}`", id.name));
        d = match self.similar_name(&id.name) {
            Some(s) => d.help(format!("a name with a similar spelling exists: `{s}`")),
            None => d.help(format!("define it first: `let {} = …;`", id.name)),
        };
        if !self.call_stack.is_empty() {
            d = d.note("A function body sees only its parameters, params, parties and functions.");
        }
        self.report(d);
        Val::Err
    }

    /// A visible name at edit distance 1 or 2, for "did you mean".
    fn similar_name(&self, name: &str) -> Option<String> {
        let mut candidates: Vec<String> = Vec::new();
        if let Some(f) = self.frames.last() {
            for s in &f.scopes {
                candidates.extend(s.keys().cloned());
            }
        }
        candidates.extend(self.params.keys().cloned());
        candidates.extend(self.parties.iter().map(|p| p.name.clone()));
        candidates.sort();
        candidates.into_iter().find(|c| c != name && edit_distance(c, name) <= 2 && name.len() > 2)
    }

    fn list(&mut self, items: &'a [ast::Expr], span: Span) -> Val {
        if let Some(t) = literal_tensor(items) {
            return match t {
                Ok(t) => Val::T(self.constant(t, span)),
                Err(()) => {
                    self.report(
                        Diagnostic::error(Code::E0206, span, "rows of different lengths")
                            .message("ragged tensor literal")
                            .help("give every row the same length: `[[1, 2], [3, 4]]`"),
                    );
                    Val::Err
                }
            };
        }
        let mut xs = Vec::new();
        for item in items {
            let v = self.expr(item);
            match self.tensor(v, item.span) {
                Some(x) => xs.push(x),
                None => return Val::Err,
            }
        }
        self.stack_values(xs, 0, span).map_or(Val::Err, Val::T)
    }

    pub(crate) fn stack_values(&mut self, xs: Vec<ValueId>, axis: i64, span: Span) -> Option<ValueId> {
        let shapes_: Vec<Shape> = xs.iter().map(|x| self.info(*x).shape).collect();
        let shape = match shapes::stack(&shapes_, axis) {
            Ok(s) => s,
            Err(err) => {
                self.shape_error(Code::E0206, err, span, "cannot stack these", &shapes_);
                return None;
            }
        };
        let (label, witness) = self.join_labels(&xs);
        let dtype = xs.iter().map(|x| self.info(*x).dtype).reduce(super::dtype_join).unwrap_or(DType::Real);
        Some(self.emit(Op::Stack { xs, axis }, ValueInfo { label, dtype, shape, witness }, span))
    }

    /// Reports a shape error listing the operand shapes.
    pub(crate) fn shape_error(&mut self, code: Code, err: ShapeError, span: Span, what: &str, shapes_: &[Shape]) {
        let list: Vec<String> = shapes_.iter().map(shape_text).collect();
        let (code, label) = match err {
            ShapeError::Mismatch => (code, format!("{what}: shapes {}", list.join(" and "))),
            ShapeError::Axis { axis, rank } => (Code::E0203, format!("axis {axis} is out of range for rank {rank}")),
        };
        let help = match code {
            Code::E0203 => "use an axis between -rank and rank - 1, e.g. `axis=0`".to_string(),
            Code::E0206 => "make every operand agree on the other axes, e.g. with `reshape`".to_string(),
            _ => "make the shapes agree, e.g. with `reshape(x, [...])` or `transpose(x)`".to_string(),
        };
        self.report(Diagnostic::error(code, span, label.clone()).message(label).help(help));
    }

    /// An elementwise binary op with broadcasting; `lhs`/`rhs` spans label the operands.
    pub(crate) fn binary(
        &mut self,
        op: BinaryOp,
        a: ValueId,
        b: ValueId,
        span: Span,
        lhs: Span,
        rhs: Span,
    ) -> Option<ValueId> {
        let (ia, ib) = (self.info(a), self.info(b));
        let shape = match shapes::broadcast(&ia.shape, &ib.shape) {
            Ok(s) => s,
            Err(_) => {
                let name = mpcc_ir::binary_name(op);
                self.report(
                    Diagnostic::error(
                        Code::E0201,
                        span,
                        format!("shapes {} and {} do not broadcast", shape_text(&ia.shape), shape_text(&ib.shape)),
                    )
                    .message(format!("`{name}` of incompatible shapes"))
                    .secondary(lhs, format!("shape {}", shape_text(&ia.shape)))
                    .secondary(rhs, format!("shape {}", shape_text(&ib.shape)))
                    .note("Dimensions are compared from the last; each pair must be equal or contain a 1.")
                    .help("make the shapes agree, e.g. with `reshape(x, [...])` or `transpose(x)`"),
                );
                return None;
            }
        };
        let dtype = match op {
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne => DType::Bool,
            BinaryOp::Div => DType::Real,
            BinaryOp::Mul if ia.dtype == DType::Bool && ib.dtype == DType::Bool => DType::Bool,
            BinaryOp::Maximum | BinaryOp::Minimum if ia.dtype == ib.dtype => ia.dtype,
            _ if ia.dtype != DType::Real && ib.dtype != DType::Real => DType::Int,
            _ => DType::Real,
        };
        let (label, witness) = self.join_labels(&[a, b]);
        Some(self.emit(Op::Binary(op, a, b), ValueInfo { label, dtype, shape, witness }, span))
    }

    fn matmul(&mut self, a: ValueId, b: ValueId, span: Span, lhs: Span, rhs: Span) -> Option<ValueId> {
        let (ia, ib) = (self.info(a), self.info(b));
        let shape = match shapes::matmul(&ia.shape, &ib.shape) {
            Ok(s) => s,
            Err(_) => {
                self.report(
                    Diagnostic::error(
                        Code::E0202,
                        span,
                        format!("cannot multiply {} by {}", shape_text(&ia.shape), shape_text(&ib.shape)),
                    )
                    .message("matrix product of incompatible shapes")
                    .secondary(lhs, format!("shape {}", shape_text(&ia.shape)))
                    .secondary(rhs, format!("shape {}", shape_text(&ib.shape)))
                    .note("`a @ b` needs the last dimension of `a` to equal the second-to-last of `b`.")
                    .help("transpose one operand, e.g. `a @ transpose(b)`"),
                );
                return None;
            }
        };
        let (label, witness) = self.join_labels(&[a, b]);
        Some(self.emit(Op::MatMul(a, b), ValueInfo { label, dtype: DType::Real, shape, witness }, span))
    }

    /// Checks that an index value is public, reporting E0304.
    fn public_index(&mut self, v: ValueId, span: Span) {
        if self.info(v).label.is_public() {
            return;
        }
        let d = Diagnostic::error(Code::E0304, span, "this index is private")
            .message("indexing with a private index")
            .note("Which element is read would reveal the index.")
            .help("select obliviously instead: `sum(x * one_hot(i, n))`");
        self.report_with_provenance(d, vec![(v, "the index".into())]);
    }

    fn index(&mut self, base: &'a ast::Expr, indices: &'a [IndexArg], span: Span) -> Val {
        let b = self.expr(base);
        let Some(x) = self.tensor(b, base.span) else {
            return Val::Err;
        };
        let mut items = Vec::new();
        let mut known = Vec::new();
        for arg in indices {
            match arg {
                IndexArg::At(e) => {
                    let v = self.expr(e);
                    let Some(i) = self.tensor(v, e.span) else {
                        return Val::Err;
                    };
                    self.public_index(i, e.span);
                    known.push(IndexShape::At(self.known_scalar(i).map(|k| k as i64)));
                    items.push(IndexItem::At(i));
                }
                IndexArg::Slice { start, end, .. } => {
                    let bound = |cx: &mut Self, e: &'a Option<ast::Expr>| -> Result<Option<ValueId>, ()> {
                        let Some(e) = e else {
                            return Ok(None);
                        };
                        let v = cx.expr(e);
                        let i = cx.tensor(v, e.span).ok_or(())?;
                        cx.public_index(i, e.span);
                        Ok(Some(i))
                    };
                    let (Ok(s), Ok(t)) = (bound(self, start), bound(self, end)) else {
                        return Val::Err;
                    };
                    let k = |cx: &Self, v: Option<ValueId>| v.map(|v| cx.known_scalar(v).map(|k| k as i64));
                    known.push(IndexShape::Slice { start: k(self, s), end: k(self, t) });
                    items.push(IndexItem::Slice { start: s, end: t });
                }
            }
        }
        let info = self.info(x);
        let shape = match shapes::index(&info.shape, &known) {
            Ok(s) => s,
            Err(ShapeError::Axis { axis, rank }) => {
                self.report(
                    Diagnostic::error(
                        Code::E0205,
                        span,
                        format!("index {axis} is out of range for a dimension of {rank}"),
                    )
                    .message("index out of range")
                    .secondary(base.span, format!("shape {}", shape_text(&info.shape)))
                    .help(format!(
                        "use an index between {} and {}",
                        -(rank as i64),
                        rank as i64 - 1
                    )),
                );
                return Val::Err;
            }
            Err(ShapeError::Mismatch) => {
                self.report(
                    Diagnostic::error(
                        Code::E0205,
                        span,
                        format!("{} indices for a tensor of shape {}", indices.len(), shape_text(&info.shape)),
                    )
                    .message("too many indices")
                    .secondary(base.span, format!("shape {}", shape_text(&info.shape)))
                    .help("give at most one index per axis"),
                );
                return Val::Err;
            }
        };
        let witness = if info.label.is_public() { None } else { Some(x) };
        Val::T(self.emit(Op::Index { x, items }, ValueInfo { shape, witness, ..info }, span))
    }
}

/// A list of number literals (possibly negated, possibly nested) as a constant tensor;
/// `None` if some entry is not a literal, `Some(Err)` if the rows are ragged.
fn literal_tensor(items: &[ast::Expr]) -> Option<Result<Tensor, ()>> {
    fn number(e: &ast::Expr) -> Option<f64> {
        match &e.kind {
            ExprKind::Number(x) => Some(*x),
            ExprKind::Unary { op: UnOp::Neg, operand } => number(operand).map(|x| -x),
            _ => None,
        }
    }
    if items.is_empty() {
        return Some(Ok(Tensor { shape: vec![0], data: Vec::new() }));
    }
    if let Some(data) = items.iter().map(number).collect::<Option<Vec<f64>>>() {
        return Some(Ok(Tensor { shape: vec![data.len()], data }));
    }
    let mut rows = Vec::new();
    for item in items {
        let ExprKind::List(inner) = &item.kind else {
            return None;
        };
        rows.push(literal_tensor(inner)?);
    }
    let mut data = Vec::new();
    let mut inner_shape: Option<Vec<usize>> = None;
    for row in rows {
        let Ok(row) = row else {
            return Some(Err(()));
        };
        match &inner_shape {
            None => inner_shape = Some(row.shape.clone()),
            Some(s) if *s != row.shape => return Some(Err(())),
            Some(_) => {}
        }
        data.extend(row.data);
    }
    let mut shape = vec![items.len()];
    shape.extend(inner_shape.unwrap_or_default());
    Some(Ok(Tensor { shape, data }))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}
