//! Emitting the backward computation: a [`Builder`] appends new values (and their `Eval`s) to
//! the program, labelling each one with the join of its operands, and provides the shape
//! plumbing every adjoint rule needs: summing a broadcast gradient back to an operand's shape
//! (at compile time when the operand's shape is known, else with `Op::SumTo` at run time),
//! re-inserting a reduced axis, padding a slice back to the sliced tensor. Shapes the compiler
//! does not know are read at run time with `Op::Shape` (shapes are public, so all of this is
//! public arithmetic). The adjoint rules themselves are in `rules.rs`.

use mpcc_ir::{
    validate::operands, BinaryOp, DType, Dim, IndexItem, Label, Op, Program, ReduceOp, Shape, Span, Stmt, Tensor,
    UnaryOp, ValueDef, ValueId, ValueInfo,
};
use std::collections::HashMap;

/// Appends values to `program` and their `Eval`s to `out`.
pub(super) struct Builder<'p> {
    pub program: &'p mut Program,
    pub out: Vec<Stmt>,
    pub span: Span,
    shapes: HashMap<ValueId, ValueId>,
}

impl<'p> Builder<'p> {
    pub fn new(program: &'p mut Program, span: Span) -> Builder<'p> {
        Builder { program, out: Vec::new(), span, shapes: HashMap::new() }
    }

    pub fn info(&self, v: ValueId) -> ValueInfo {
        self.program.value(v).map_or_else(|| ValueInfo::public(DType::Real, Shape::Unknown), |d| d.info.clone())
    }

    pub fn shape(&self, v: ValueId) -> Shape {
        self.info(v).shape
    }

    /// A new value of `op`; its label is the join of its operands'.
    pub fn emit(&mut self, op: Op, dtype: DType, shape: Shape) -> ValueId {
        let mut label = Label::Public;
        let mut witness = None;
        for o in operands(&op) {
            let l = self.info(o).label;
            if !l.is_public() && witness.is_none() {
                witness = Some(o);
            }
            label = label.join(l);
        }
        match op {
            Op::Shape(_) | Op::Reveal(_) => (label, witness) = (Label::Public, None),
            Op::Share { value, .. } => (label, witness) = (Label::Private, Some(value)),
            _ => {}
        }
        let id = ValueId(self.program.values.len() as u32);
        self.program.values.push(ValueDef { op, info: ValueInfo { label, dtype, shape, witness }, span: self.span });
        self.out.push(Stmt::Eval(id));
        id
    }

    pub fn constant(&mut self, x: f64) -> ValueId {
        let dtype = if x.fract() == 0.0 { DType::Int } else { DType::Real };
        self.emit(Op::Const(Tensor::scalar(x)), dtype, Shape::scalar())
    }

    fn vector(&mut self, xs: &[f64]) -> ValueId {
        let t = Tensor { shape: vec![xs.len()], data: xs.to_vec() };
        self.emit(Op::Const(t), DType::Int, Shape::known(&[xs.len()]))
    }

    pub fn binary(&mut self, op: BinaryOp, a: ValueId, b: ValueId, shape: Shape) -> ValueId {
        let dtype = match op {
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne => DType::Bool,
            _ => DType::Real,
        };
        self.emit(Op::Binary(op, a, b), dtype, shape)
    }

    pub fn mul(&mut self, a: ValueId, b: ValueId, shape: Shape) -> ValueId {
        self.binary(BinaryOp::Mul, a, b, shape)
    }

    /// `a * c` for a constant `c`.
    pub fn scale(&mut self, a: ValueId, c: f64, shape: Shape) -> ValueId {
        let k = self.constant(c);
        self.mul(a, k, shape)
    }

    pub fn unary(&mut self, op: UnaryOp, x: ValueId, shape: Shape) -> ValueId {
        self.emit(Op::Unary(op, x), DType::Real, shape)
    }

    /// `shape(x)` at run time (one per `x`).
    pub fn shape_of(&mut self, x: ValueId) -> ValueId {
        if let Some(s) = self.shapes.get(&x) {
            return *s;
        }
        let rank = match self.shape(x).rank() {
            Some(r) => Shape::known(&[r]),
            None => Shape::Ranked(vec![Dim::Unknown]),
        };
        let s = self.emit(Op::Shape(x), DType::Int, rank);
        self.shapes.insert(x, s);
        s
    }

    /// `zeros(shape(x))`.
    pub fn zeros_like(&mut self, x: ValueId) -> ValueId {
        let s = self.shape_of(x);
        self.emit(Op::Zeros { shape: s }, DType::Real, self.shape(x))
    }

    /// `reshape(g, shape(x))`.
    pub fn reshape_like(&mut self, g: ValueId, x: ValueId) -> ValueId {
        let s = self.shape_of(x);
        self.emit(Op::Reshape { x: g, shape: s }, DType::Real, self.shape(x))
    }

    pub fn sum(&mut self, g: ValueId, axis: Option<i64>, shape: Shape) -> ValueId {
        self.emit(Op::Reduce { op: ReduceOp::Sum, x: g, axis }, DType::Real, shape)
    }

    /// `s[start:end]` of a 1-D public `s`, with constant bounds.
    fn slice(&mut self, s: ValueId, start: Option<i64>, end: Option<i64>) -> ValueId {
        let start = start.map(|x| self.constant(x as f64));
        let end = end.map(|x| self.constant(x as f64));
        self.emit(
            Op::Index { x: s, items: vec![IndexItem::Slice { start, end }] },
            DType::Int,
            Shape::Ranked(vec![Dim::Unknown]),
        )
    }

    /// The shape vector of `x` with the entry at `axis` replaced by the public scalar `n`
    /// (or removed when `n` is `None`, or given as a constant by `k`).
    fn shape_with(&mut self, x: ValueId, axis: i64, n: Option<ValueId>) -> ValueId {
        let s = self.shape_of(x);
        let mut parts = Vec::new();
        if axis != 0 {
            parts.push(self.slice(s, Some(0), Some(axis)));
        }
        if let Some(n) = n {
            let one = self.emit(Op::Stack { xs: vec![n], axis: 0 }, DType::Int, Shape::known(&[1]));
            parts.push(one);
        }
        if axis != -1 {
            parts.push(self.slice(s, Some(axis + 1), None));
        }
        self.emit(Op::Cat { xs: parts, axis: 0 }, DType::Int, Shape::Ranked(vec![Dim::Unknown]))
    }

    /// `s` (`x` reduced over `axis`) reshaped to `x`'s rank, with a 1 at `axis`.
    pub fn keepdims(&mut self, s: ValueId, x: ValueId, axis: i64) -> ValueId {
        let one = self.constant(1.0);
        let target = self.shape_with(x, axis, Some(one));
        let shape = match self.shape(x) {
            Shape::Ranked(mut d) => {
                let k = if axis < 0 { d.len() as i64 + axis } else { axis };
                if let Some(slot) = usize::try_from(k).ok().and_then(|k| d.get_mut(k)) {
                    *slot = Dim::Known(1);
                }
                Shape::Ranked(d)
            }
            Shape::Unknown => Shape::Unknown,
        };
        self.emit(Op::Reshape { x: s, shape: target }, DType::Real, shape)
    }

    /// `s` (reduced over `axis`, or over everything) broadcast back to `x`'s shape.
    pub fn expand(&mut self, s: ValueId, x: ValueId, axis: Option<i64>) -> ValueId {
        let s = match axis {
            Some(a) => self.keepdims(s, x, a),
            None => s,
        };
        let z = self.zeros_like(x);
        self.binary(BinaryOp::Add, z, s, self.shape(x))
    }

    /// How many elements `x` has along `axis` (or in all), as a public scalar.
    pub fn count(&mut self, x: ValueId, axis: Option<i64>) -> ValueId {
        let shape = self.shape(x);
        let known = match (axis, &shape) {
            (None, s) => s.as_known().map(|d| d.iter().product::<usize>()),
            (Some(a), Shape::Ranked(d)) => {
                let k = if a < 0 { d.len() as i64 + a } else { a };
                match usize::try_from(k).ok().and_then(|k| d.get(k)) {
                    Some(Dim::Known(n)) => Some(*n),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(n) = known {
            return self.constant(n as f64);
        }
        match axis {
            Some(a) => self.dim(x, a),
            None => {
                let s = self.shape_of(x);
                let ones = self.emit(Op::Ones { shape: s }, DType::Real, shape);
                self.sum(ones, None, Shape::scalar())
            }
        }
    }

    /// `shape(x)[axis]` at run time.
    pub fn dim(&mut self, x: ValueId, axis: i64) -> ValueId {
        let s = self.shape_of(x);
        let k = self.constant(axis as f64);
        self.emit(Op::Index { x: s, items: vec![IndexItem::At(k)] }, DType::Int, Shape::scalar())
    }

    /// Sums `g`, the gradient of a broadcasting op's result (of shape `gshape`), back to the
    /// shape of its operand `x`. When the compiler knows every dimension of `x`, which axes to
    /// sum is decided here ([`Builder::unbroadcast`]: `g`'s rank or a run-time fold gives the
    /// leading axes). Otherwise a dimension of `x` may turn out to be 1, or its rank to be
    /// smaller, only at run time, so the decision is left to `sum_to g, shape(x)`.
    pub fn sum_to_operand(&mut self, g: ValueId, gshape: &Shape, x: ValueId) -> ValueId {
        let xs = self.shape(x);
        if xs.as_known().is_some() {
            return self.unbroadcast(g, gshape, x);
        }
        let s = self.shape_of(x);
        self.emit(Op::SumTo { x: g, shape: s }, DType::Real, xs)
    }

    /// Sums `g` (of shape `gshape`, the broadcast of `x` with other operands) back to `x`'s shape.
    /// Axes `g` has in front of `x`'s are summed; so are the axes where `x` has a known 1.
    /// When the compiler knows neither rank, `x` is taken to have `g`'s shape: only right for an
    /// op whose operand has its result's shape; a broadcasting op uses [`Builder::sum_to_operand`].
    pub fn unbroadcast(&mut self, g: ValueId, gshape: &Shape, x: ValueId) -> ValueId {
        let xs = self.shape(x);
        let Shape::Ranked(xd) = &xs else {
            return g;
        };
        let rx = xd.len();
        let ones: Vec<usize> = xd.iter().enumerate().filter(|(_, d)| **d == Dim::Known(1)).map(|(i, _)| i).collect();
        let mut cur = g;
        match gshape {
            Shape::Ranked(gd) if gd.len() >= rx => {
                let lead = gd.len() - rx;
                let ones: Vec<usize> = ones.into_iter().filter(|i| gd.get(lead + i) != Some(&Dim::Known(1))).collect();
                if lead == 0 && ones.is_empty() {
                    return g;
                }
                for i in ones.iter().rev() {
                    cur = self.sum(cur, Some((lead + i) as i64), Shape::Unknown);
                }
                for _ in 0..lead {
                    cur = self.sum(cur, Some(0), Shape::Unknown);
                }
                if ones.is_empty() {
                    return self.reshape_like(cur, x);
                }
            }
            _ => {
                if rx == 0 {
                    return self.sum(g, None, Shape::scalar());
                }
                // g's rank is not known: fold every leading axis into one and sum it.
                let gs = self.shape_of(g);
                let tail = self.slice(gs, Some(-(rx as i64)), None);
                let minus = self.vector(&[-1.0]);
                let target = self.emit(Op::Cat { xs: vec![minus, tail], axis: 0 }, DType::Int, Shape::Unknown);
                cur = self.emit(Op::Reshape { x: cur, shape: target }, DType::Real, Shape::Unknown);
                cur = self.sum(cur, Some(0), Shape::Unknown);
                for i in ones.iter().rev() {
                    cur = self.sum(cur, Some(*i as i64), Shape::Unknown);
                }
            }
        }
        self.reshape_like(cur, x)
    }

    /// `g` padded with zeros along `axis` (non-negative): `before` zeros in front, `after` behind.
    /// A bound that is `None` adds nothing.
    pub fn pad(&mut self, g: ValueId, axis: i64, before: Option<ValueId>, after: Option<ValueId>) -> ValueId {
        let mut parts = Vec::new();
        if let Some(n) = before {
            let s = self.shape_with(g, axis, Some(n));
            parts.push(self.emit(Op::Zeros { shape: s }, DType::Real, Shape::Unknown));
        }
        parts.push(g);
        if let Some(n) = after {
            let s = self.shape_with(g, axis, Some(n));
            parts.push(self.emit(Op::Zeros { shape: s }, DType::Real, Shape::Unknown));
        }
        if parts.len() == 1 {
            return g;
        }
        self.emit(Op::Cat { xs: parts, axis }, DType::Real, Shape::Unknown)
    }

    /// `g` with a new axis of size 1 at `axis` (non-negative).
    pub fn unsqueeze(&mut self, g: ValueId, axis: i64) -> ValueId {
        let s = self.shape_of(g);
        let one = self.constant(1.0);
        let mut parts = Vec::new();
        if axis != 0 {
            parts.push(self.slice(s, Some(0), Some(axis)));
        }
        parts.push(self.emit(Op::Stack { xs: vec![one], axis: 0 }, DType::Int, Shape::known(&[1])));
        parts.push(self.slice(s, Some(axis), None));
        let target = self.emit(Op::Cat { xs: parts, axis: 0 }, DType::Int, Shape::Unknown);
        self.emit(Op::Reshape { x: g, shape: target }, DType::Real, Shape::Unknown)
    }

    /// A public index or bound `i` made non-negative for an axis of length `n`: `i + n * (i < 0)`.
    pub fn normalize(&mut self, i: ValueId, x: ValueId, axis: i64) -> ValueId {
        if let Some(Op::Const(t)) = self.program.value(i).map(|d| d.op.clone()) {
            if t.data.first().is_some_and(|v| *v >= 0.0) {
                return i;
            }
        }
        let n = self.dim(x, axis);
        let zero = self.constant(0.0);
        let neg = self.binary(BinaryOp::Lt, i, zero, Shape::scalar());
        let shift = self.mul(n, neg, Shape::scalar());
        self.binary(BinaryOp::Add, i, shift, Shape::scalar())
    }
}
