//! The `grad` pass: reverse-mode differentiation of the IR.
//!
//! The lowering turns `grad(loss, [w, b])` into one placeholder value per name (zeros of the
//! name's shape) and a [`GradRequest`]. This pass walks the statements in order and, at the
//! first placeholder of a request, emits the backward computation and turns each placeholder
//! into `reshape(gradient, shape(name))`, so no placeholder survives.
//!
//! What is differentiated: the value graph of `loss` (operands of pure values), followed through
//! reads of variables to the value last assigned to them in straight-line code (a `let`
//! rebound by assignment, the merges of a private `if`, inlined function bodies). A read of a
//! named variable, or the named value itself, is a leaf: the gradient is taken with respect to
//! the values the names hold where the loss computation reads them (several reads add up).
//! A read of another variable whose value comes from around a loop or a public `if` is a
//! constant unless the named tensors flow into that variable, which is E0504. The condition of
//! `where` (and of a private `if`), shapes and indices carry no gradient. Comparisons, `sign`,
//! `argmax`/`argmin` and `one_hot` on the path are E0503; a loss of known non-scalar shape was
//! already E0502 in the lowering; a name the loss does not depend on gets a zero gradient and
//! warning W0501. Rules per op: `rules.rs`; shape plumbing: `build.rs`.

mod build;
mod rules;

use crate::diag::{Code, Diagnostic, Diagnostics};
use build::Builder;
use mpcc_ir::{validate::operands, BinaryOp, Block, Label, Op, PartyId, Program, Span, Stmt, ValueId, VarId};
use std::collections::{BTreeSet, HashMap, HashSet};

/// What a name in `grad(loss, [names])` stands for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Wrt {
    /// A variable: every read of it in the loss computation is a leaf.
    Var(VarId),
    /// A value bound by `let` (or a function parameter).
    Value(ValueId),
}

/// One name of a `grad` call.
#[derive(Clone, Debug)]
pub struct GradTarget {
    pub wrt: Wrt,
    pub name: String,
    pub span: Span,
}

/// One `grad(loss, [names])` call, recorded by the lowering.
#[derive(Clone, Debug)]
pub struct GradRequest {
    pub loss: ValueId,
    pub targets: Vec<GradTarget>,
    /// The placeholder value of each target, in order.
    pub values: Vec<ValueId>,
    /// The call.
    pub span: Span,
}

fn gspan(s: Span) -> mpcc_grammar::Span {
    mpcc_grammar::Span::new(s.start as usize, s.end as usize)
}

/// Expands every request.
pub fn run(mut program: Program, grads: &[GradRequest], diags: &mut Diagnostics) -> Program {
    if grads.is_empty() {
        return program;
    }
    let mut placeholders = HashMap::new();
    for (r, req) in grads.iter().enumerate() {
        for (i, v) in req.values.iter().enumerate() {
            placeholders.insert(*v, (r, i));
        }
    }
    let assigns = program.body.assignments();
    let body = std::mem::take(&mut program.body);
    let mut pass = Pass { program, grads, placeholders, alias: HashMap::new(), assigns, diags };
    let body = pass.block(body, &mut HashMap::new(), &mut HashMap::new());
    let mut program = pass.program;
    program.body = body;
    program
}

fn assigned_in(b: &Block, out: &mut BTreeSet<VarId>) {
    out.extend(b.assignments().into_iter().map(|(v, _)| v));
}

/// The value a variable holds, when straight-line code says which.
type Reaching = HashMap<VarId, Option<ValueId>>;

struct Pass<'a> {
    program: Program,
    grads: &'a [GradRequest],
    placeholders: HashMap<ValueId, (usize, usize)>,
    /// For each read of a variable: the value it reads, if known.
    alias: HashMap<ValueId, Option<ValueId>>,
    assigns: Vec<(VarId, ValueId)>,
    diags: &'a mut Diagnostics,
}

impl Pass<'_> {
    fn block(&mut self, b: Block, cur: &mut Reaching, done: &mut HashMap<usize, Vec<ValueId>>) -> Block {
        let mut out = Vec::with_capacity(b.0.len());
        for stmt in b.0 {
            match stmt {
                Stmt::Eval(v) => {
                    if let Some(&(r, i)) = self.placeholders.get(&v) {
                        let finals = match done.get(&r) {
                            Some(f) => f.clone(),
                            None => {
                                let f = self.differentiate(r, &mut out);
                                done.insert(r, f.clone());
                                f
                            }
                        };
                        if let Some(f) = finals.get(i) {
                            self.fill(v, *f, &mut out);
                        }
                    } else if let Some(Op::Var(x)) = self.program.value(v).map(|d| &d.op) {
                        let reach = cur.get(x).copied().flatten();
                        self.alias.insert(v, reach);
                    }
                    out.push(Stmt::Eval(v));
                }
                Stmt::Assign { var, value } => {
                    cur.insert(var, Some(value));
                    out.push(Stmt::Assign { var, value });
                }
                Stmt::For { var, start, end, body, span } => {
                    let mut changed = BTreeSet::from([var]);
                    assigned_in(&body, &mut changed);
                    forget(cur, &changed);
                    let body = self.block(body, &mut cur.clone(), &mut done.clone());
                    forget(cur, &changed);
                    out.push(Stmt::For { var, start, end, body, span });
                }
                Stmt::While { cond_block, cond, body, span } => {
                    let mut changed = BTreeSet::new();
                    assigned_in(&cond_block, &mut changed);
                    assigned_in(&body, &mut changed);
                    forget(cur, &changed);
                    let cond_block = self.block(cond_block, &mut cur.clone(), &mut done.clone());
                    let body = self.block(body, &mut cur.clone(), &mut done.clone());
                    forget(cur, &changed);
                    out.push(Stmt::While { cond_block, cond, body, span });
                }
                Stmt::If { cond, then_block, else_block, span } => {
                    let mut changed = BTreeSet::new();
                    assigned_in(&then_block, &mut changed);
                    assigned_in(&else_block, &mut changed);
                    let then_block = self.block(then_block, &mut cur.clone(), &mut done.clone());
                    let else_block = self.block(else_block, &mut cur.clone(), &mut done.clone());
                    forget(cur, &changed);
                    out.push(Stmt::If { cond, then_block, else_block, span });
                }
                other => out.push(other),
            }
        }
        Block(out)
    }

    /// Turns placeholder `v` into `reshape(f, shape(name))`, sharing `f` first if the
    /// placeholder (labelled as the loss) is private and `f` is not.
    fn fill(&mut self, v: ValueId, f: ValueId, out: &mut Vec<Stmt>) {
        let Some(def) = self.program.value(v).cloned() else { return };
        let Op::Zeros { shape } = def.op else { return };
        let fl = self.program.value(f).map_or(Label::Public, |d| d.info.label);
        let mut f = f;
        if def.info.label == Label::Private && fl != Label::Private {
            let src = match fl {
                Label::Local(p) => p,
                _ => PartyId(0),
            };
            let mut b = Builder::new(&mut self.program, def.span);
            f = b.emit(Op::Share { src, value: f }, def.info.dtype, def.info.shape.clone());
            out.append(&mut b.out);
        }
        let label = def.info.label.join(self.program.value(f).map_or(Label::Public, |d| d.info.label));
        if let Some(d) = self.program.values.get_mut(v.index()) {
            d.op = Op::Reshape { x: f, shape };
            d.info.label = label;
            if !label.is_public() && d.info.witness.is_none() {
                d.info.witness = Some(f);
            }
        }
    }

    fn leaf_of(&self, req: &GradRequest, v: ValueId) -> Option<usize> {
        let op = self.program.value(v).map(|d| &d.op);
        req.targets.iter().position(|t| match t.wrt {
            Wrt::Var(x) => op == Some(&Op::Var(x)),
            Wrt::Value(u) => u == v,
        })
    }

    /// Emits the backward computation of request `r` into `out`; returns the gradient of each target.
    fn differentiate(&mut self, r: usize, out: &mut Vec<Stmt>) -> Vec<ValueId> {
        let grads = self.grads;
        let Some(req) = grads.get(r) else { return Vec::new() };
        let tainted = self.tainted(req);
        let mut graph = Graph { active: HashMap::new(), order: Vec::new(), errors: Vec::new() };
        graph.visit(self, req, &tainted, req.loss);
        let errors = std::mem::take(&mut graph.errors);
        let quiet = !errors.is_empty();
        for (code, v) in errors {
            self.report(code, v, req);
        }
        for &v in &graph.order {
            self.share_relu_mask(v, out);
        }
        let mut b = Builder::new(&mut self.program, req.span);
        let mut adj: HashMap<ValueId, ValueId> = HashMap::new();
        let mut leaves: Vec<Vec<ValueId>> = vec![Vec::new(); req.targets.len()];
        if graph.is_active(req.loss) {
            let seed = b.constant(1.0);
            adj.insert(req.loss, seed);
        }
        let mut rank_error = None;
        for &v in graph.order.iter().rev() {
            let Some(g) = adj.get(&v).copied() else { continue };
            let op = b.program.value(v).map(|d| d.op.clone());
            let is_leaf = req.targets.iter().position(|t| match t.wrt {
                Wrt::Var(x) => op == Some(Op::Var(x)),
                Wrt::Value(u) => u == v,
            });
            if let Some(t) = is_leaf {
                if let Some(l) = leaves.get_mut(t) {
                    l.push(g);
                }
            }
            if let Some(Op::Var(_)) = op {
                if let Some(Some(u)) = self.alias.get(&v) {
                    if is_leaf.is_none() && graph.is_active(*u) {
                        accumulate(&mut b, &mut adj, *u, g);
                    }
                }
                continue;
            }
            let active = |x: ValueId| graph.is_active(x);
            match rules::backprop(&mut b, v, g, &active) {
                Ok(contribs) => {
                    for (x, gx) in contribs {
                        accumulate(&mut b, &mut adj, x, gx);
                    }
                }
                Err(rules::RuleError::Rank) => rank_error = Some(v),
            }
        }
        let mut finals = Vec::new();
        let mut missing = Vec::new();
        for (t, gs) in req.targets.iter().zip(leaves) {
            let mut it = gs.into_iter();
            let total = match it.next() {
                Some(first) => it.fold(first, |a, g| b.binary(BinaryOp::Add, a, g, mpcc_ir::Shape::Unknown)),
                None => {
                    missing.push(t.clone());
                    let target = match t.wrt {
                        Wrt::Value(u) => u,
                        Wrt::Var(x) => {
                            let info = match b.program.var(x) {
                                Some(d) => mpcc_ir::ValueInfo {
                                    label: d.label,
                                    dtype: d.dtype,
                                    shape: d.shape.clone(),
                                    witness: d.witness,
                                },
                                None => mpcc_ir::ValueInfo::public(mpcc_ir::DType::Real, mpcc_ir::Shape::Unknown),
                            };
                            let id = ValueId(b.program.values.len() as u32);
                            b.program.values.push(mpcc_ir::ValueDef { op: Op::Var(x), info, span: t.span });
                            b.out.push(Stmt::Eval(id));
                            id
                        }
                    };
                    b.zeros_like(target)
                }
            };
            finals.push(total);
        }
        out.append(&mut b.out);
        if let Some(v) = rank_error {
            self.report(Code::E0505, v, req);
            return finals;
        }
        for t in missing.into_iter().filter(|_| !quiet) {
            let d = Diagnostic::warning(Code::W0501, gspan(t.span), "the loss does not depend on this")
                .message(format!("`{}` does not affect the loss: its gradient is zero", t.name))
                .secondary(gspan(req.span), "differentiated here")
                .note("The gradient is taken through the values the loss computation reads; nothing it reads depends on this name.")
                .help("remove it from the list, or use it in the loss");
            self.diags.push(d);
        }
        finals
    }

    /// A `relu(x)` evaluated earlier in the current block becomes `x * m` with `m = x > 0`
    /// evaluated just before it, so that its gradient `g * m` reuses the forward comparison
    /// (in MPC, `relu` is a comparison and a product anyway; this saves the second comparison).
    fn share_relu_mask(&mut self, v: ValueId, out: &mut Vec<Stmt>) {
        let Some(def) = self.program.value(v).cloned() else { return };
        let Op::Unary(mpcc_ir::UnaryOp::Relu, x) = def.op else { return };
        let Some(at) = out.iter().position(|s| *s == Stmt::Eval(v)) else { return };
        let zero = ValueId(self.program.values.len() as u32);
        let info = mpcc_ir::ValueInfo::public(mpcc_ir::DType::Int, mpcc_ir::Shape::scalar());
        self.program.values.push(mpcc_ir::ValueDef {
            op: Op::Const(mpcc_ir::Tensor::scalar(0.0)),
            info,
            span: def.span,
        });
        let m = ValueId(self.program.values.len() as u32);
        let info = mpcc_ir::ValueInfo { dtype: mpcc_ir::DType::Bool, ..def.info.clone() };
        self.program.values.push(mpcc_ir::ValueDef { op: Op::Binary(BinaryOp::Gt, x, zero), info, span: def.span });
        out.insert(at, Stmt::Eval(m));
        out.insert(at, Stmt::Eval(zero));
        if let Some(d) = self.program.values.get_mut(v.index()) {
            d.op = Op::Binary(BinaryOp::Mul, x, m);
        }
    }

    fn report(&mut self, code: Code, v: ValueId, req: &GradRequest) {
        let span = self.program.value(v).map_or(req.span, |d| d.span);
        let what = self.program.value(v).map_or_else(String::new, |d| op_name(&self.program, &d.op));
        let d = match code {
            Code::E0503 if self.program.value(v).is_some_and(|d| is_layer_adjoint(&d.op)) => {
                Diagnostic::error(code, gspan(span), format!("`{what}` has no gradient"))
                    .message("the loss depends on a differentiated name through the gradient of a convolution or pooling layer")
                    .secondary(gspan(req.span), "differentiated here")
                    .note("`grad` differentiates `conv2d`, `max_pool2d` and `avg_pool2d` once: the adjoints it emits for them have no gradient rule, so a `grad` of a `grad` through such a layer (a second derivative) is not supported.")
                    .help("take the `grad` of a loss that uses the layer's output, not the gradient of another `grad`")
            }
            Code::E0503 => Diagnostic::error(code, gspan(span), format!("`{what}` has no gradient"))
                .message("the loss depends on a differentiated name through an operation that has no gradient")
                .secondary(gspan(req.span), "differentiated here")
                .note("Comparisons, `sign`, `argmax`, `argmin` and `one_hot` are piecewise constant: their gradient is zero or undefined.")
                .help("express the choice with `where(c, a, b)`, `relu` or `max(a, b)`, whose gradients are defined"),
            Code::E0504 => Diagnostic::error(code, gspan(span), format!("{what} is assigned in a loop or branch from the differentiated names"))
                .message("the gradient would have to flow through a loop-carried variable")
                .secondary(gspan(req.span), "differentiated here")
                .note("`grad` follows values through straight-line code only; a variable assigned in a loop or a public `if` hides which value the loss read.")
                .help("compute the loss from the names directly in the loop body, e.g. `let loss = mean(square(x @ w - y));`"),
            _ => Diagnostic::error(code, gspan(span), format!("an operand of this `{what}` has a rank above 2 or unknown"))
                .message("the compiler needs the rank of this operand to differentiate it")
                .secondary(gspan(req.span), "differentiated here")
                .note("`@` is differentiated for operands of rank 1 or 2; a negative axis of `cat`/`stack` needs a known rank.")
                .help("give the tensor a known shape, e.g. `reshape(x, [-1, 784])`, or use a non-negative axis"),
        };
        self.diags.push(d);
    }

    /// The variables into which a named tensor may flow (a fixpoint over every assignment).
    fn tainted(&self, req: &GradRequest) -> HashSet<VarId> {
        let targets_var: HashSet<VarId> =
            req.targets.iter().filter_map(|t| if let Wrt::Var(x) = t.wrt { Some(x) } else { None }).collect();
        let targets_val: HashSet<ValueId> =
            req.targets.iter().filter_map(|t| if let Wrt::Value(u) = t.wrt { Some(u) } else { None }).collect();
        let mut tainted: HashSet<VarId> = HashSet::new();
        loop {
            let mut memo: HashMap<ValueId, bool> = HashMap::new();
            let mut grew = false;
            for (x, u) in &self.assigns {
                if targets_var.contains(x) || tainted.contains(x) {
                    continue;
                }
                if reaches(&self.program, *u, &targets_var, &targets_val, &tainted, &mut memo) {
                    tainted.insert(*x);
                    grew = true;
                }
            }
            if !grew {
                return tainted;
            }
        }
    }
}

fn forget(cur: &mut Reaching, vars: &BTreeSet<VarId>) {
    for v in vars {
        cur.insert(*v, None);
    }
}

fn accumulate(b: &mut Builder, adj: &mut HashMap<ValueId, ValueId>, x: ValueId, g: ValueId) {
    let total = match adj.get(&x) {
        Some(prev) => {
            let shape = b.shape(x);
            b.binary(BinaryOp::Add, *prev, g, shape)
        }
        None => g,
    };
    adj.insert(x, total);
}

/// Whether value `v` depends on a named tensor (through any operand).
fn reaches(
    p: &Program,
    v: ValueId,
    vars: &HashSet<VarId>,
    vals: &HashSet<ValueId>,
    tainted: &HashSet<VarId>,
    memo: &mut HashMap<ValueId, bool>,
) -> bool {
    if let Some(r) = memo.get(&v) {
        return *r;
    }
    memo.insert(v, false);
    let r = vals.contains(&v)
        || match p.value(v).map(|d| &d.op) {
            Some(Op::Var(x)) => vars.contains(x) || tainted.contains(x),
            Some(op) => diff_operands(op)
                .unwrap_or_else(|| operands(op))
                .into_iter()
                .any(|o| reaches(p, o, vars, vals, tainted, memo)),
            None => false,
        };
    memo.insert(v, r);
    r
}

/// The operands through which a gradient flows, or `None` for an op with no gradient.
fn diff_operands(op: &Op) -> Option<Vec<ValueId>> {
    Some(match op {
        Op::Const(_) | Op::Load { .. } | Op::Shape(_) | Op::Zeros { .. } | Op::Ones { .. } | Op::Eye { .. } => {
            Vec::new()
        }
        Op::Rand { .. } | Op::Randn { .. } => Vec::new(),
        Op::Var(_) => Vec::new(),
        Op::Binary(op, a, b) => match op {
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne => return None,
            _ => vec![*a, *b],
        },
        Op::Unary(mpcc_ir::UnaryOp::Sign, _) | Op::Arg { .. } | Op::OneHot { .. } => return None,
        // The adjoints themselves (a `grad` of a `grad` through a layer) have no rule yet.
        Op::Conv2dGradX { .. } | Op::Conv2dGradW { .. } | Op::Pool2dGrad { .. } => return None,
        Op::Where(_, a, b) => vec![*a, *b],
        Op::Reshape { x, .. } | Op::SumTo { x, .. } | Op::Index { x, .. } => vec![*x],
        other => operands(other),
    })
}

/// The adjoints a first `grad` emits for a convolution or pooling layer (no rule of their own).
fn is_layer_adjoint(op: &Op) -> bool {
    matches!(op, Op::Conv2dGradX { .. } | Op::Conv2dGradW { .. } | Op::Pool2dGrad { .. })
}

fn op_name(p: &Program, op: &Op) -> String {
    match op {
        // Comparisons and `@` as the user wrote them.
        Op::Binary(b, ..) => match b {
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            _ => op.name(),
        }
        .to_string(),
        Op::MatMul(..) => "@".into(),
        Op::Var(x) => p.var(*x).map_or_else(|| "this variable".into(), |d| format!("`{}`", d.name)),
        Op::Unary(..)
        | Op::Arg { .. }
        | Op::OneHot { .. }
        | Op::Conv2dGradX { .. }
        | Op::Conv2dGradW { .. }
        | Op::Pool2dGrad { .. }
        | Op::Cat { .. }
        | Op::Stack { .. } => op.name().into(),
        _ => "operation".into(),
    }
}

/// The part of the value graph that depends on a named tensor, in topological order.
struct Graph {
    active: HashMap<ValueId, bool>,
    order: Vec<ValueId>,
    errors: Vec<(Code, ValueId)>,
}

impl Graph {
    fn is_active(&self, v: ValueId) -> bool {
        self.active.get(&v).copied().unwrap_or(false)
    }

    /// Depth-first over the dependency graph (iterative: graphs of inlined loops can be deep).
    fn visit(&mut self, pass: &Pass, req: &GradRequest, tainted: &HashSet<VarId>, root: ValueId) {
        // (value, children pushed?)
        let mut stack = vec![(root, false)];
        while let Some((v, expanded)) = stack.pop() {
            if !expanded {
                if self.active.contains_key(&v) {
                    continue;
                }
                self.active.insert(v, false);
                stack.push((v, true));
                for c in self.children(pass, req, tainted, v) {
                    if !self.active.contains_key(&c) {
                        stack.push((c, false));
                    }
                }
                continue;
            }
            let leaf = pass.leaf_of(req, v).is_some();
            let children = self.children(pass, req, tainted, v);
            let any = children.iter().any(|c| self.is_active(*c));
            let op = pass.program.value(v).map(|d| &d.op);
            let nondiff = op.is_some_and(|op| diff_operands(op).is_none());
            let active = if nondiff {
                let through = op.map(operands).unwrap_or_default().into_iter().any(|c| {
                    let mut memo = HashMap::new();
                    let vars: HashSet<VarId> = req
                        .targets
                        .iter()
                        .filter_map(|t| if let Wrt::Var(x) = t.wrt { Some(x) } else { None })
                        .collect();
                    let vals: HashSet<ValueId> = req
                        .targets
                        .iter()
                        .filter_map(|t| if let Wrt::Value(u) = t.wrt { Some(u) } else { None })
                        .collect();
                    reaches(&pass.program, c, &vars, &vals, tainted, &mut memo)
                });
                if through && !leaf {
                    self.errors.push((Code::E0503, v));
                }
                leaf
            } else {
                leaf || any
            };
            self.active.insert(v, active);
            if active {
                self.order.push(v);
            }
        }
    }

    fn children(&mut self, pass: &Pass, req: &GradRequest, tainted: &HashSet<VarId>, v: ValueId) -> Vec<ValueId> {
        let Some(op) = pass.program.value(v).map(|d| &d.op) else { return Vec::new() };
        if let Op::Var(x) = op {
            if pass.leaf_of(req, v).is_some() {
                return Vec::new();
            }
            return match pass.alias.get(&v) {
                Some(Some(u)) => vec![*u],
                _ => {
                    if tainted.contains(x) && !self.errors.iter().any(|(_, e)| *e == v) {
                        self.errors.push((Code::E0504, v));
                    }
                    Vec::new()
                }
            };
        }
        diff_operands(op).unwrap_or_default()
    }
}
