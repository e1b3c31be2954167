//! Lowering statements: `let`, assignment, `if` (public and private), `for`, `while`,
//! `break`/`continue`, `return`, and inlining function calls.
//!
//! Scoping: a block opens a scope; a name is visible from its `let` to the end of the block,
//! and a `let` of the same name shadows. A function body sees only its parameters, the params,
//! the parties and the functions, never its caller's variables.

use super::{dtype_join, Binding, Cx, Frame, Hover, PrivCtx, Val, VarSummary};
use crate::diag::{Code, Diagnostic};
use crate::shapes;
use crate::SymbolKind;
use mpcc_grammar::ast::{self, AssignOp, Pattern, StmtKind};
use mpcc_grammar::Span;
use mpcc_ir::{BinaryOp, Block, DType, Label, Op, Shape, Stmt, ValueId, VarId};
use std::collections::{HashMap, HashSet};

/// Adds every name assigned (not `let`) anywhere in `stmt` to `out`.
pub(crate) fn collect_assigned(stmt: &ast::Stmt, out: &mut HashSet<String>) {
    fn pattern(p: &Pattern, out: &mut HashSet<String>) {
        match p {
            Pattern::Name(id) => {
                out.insert(id.name.clone());
            }
            Pattern::Tuple(ps, _) => ps.iter().for_each(|p| pattern(p, out)),
        }
    }
    fn block(b: &ast::Block, out: &mut HashSet<String>) {
        b.stmts.iter().for_each(|s| collect_assigned(s, out));
    }
    match &stmt.kind {
        StmtKind::Assign { target, .. } => pattern(target, out),
        StmtKind::If { then_block, else_block, .. } => {
            block(then_block, out);
            if let Some(b) = else_block {
                block(b, out);
            }
        }
        StmtKind::For { body, .. } | StmtKind::While { body, .. } => block(body, out),
        _ => {}
    }
}

impl<'a> Cx<'a> {
    fn frame(&mut self) -> Option<&mut Frame> {
        self.frames.last_mut()
    }

    pub(crate) fn bind(&mut self, name: &str, binding: Binding) {
        if let Some(scope) = self.frames.last_mut().and_then(|f| f.scopes.last_mut()) {
            scope.insert(name.to_string(), binding);
        }
    }

    pub(crate) fn lookup_local(&self, name: &str) -> Option<Binding> {
        let frame = self.frames.last()?;
        frame.scopes.iter().rev().find_map(|s| s.get(name).cloned())
    }

    /// Lowers `block` into a fresh IR block in a fresh scope.
    pub(crate) fn block(&mut self, block: &'a ast::Block) -> Block {
        self.blocks.push(Vec::new());
        if let Some(f) = self.frame() {
            f.scopes.push(HashMap::new());
        }
        for s in &block.stmts {
            self.stmt(s, false);
        }
        if let Some(f) = self.frame() {
            f.scopes.pop();
        }
        Block(self.blocks.pop().unwrap_or_default())
    }

    /// Lowers one statement; `tail` says it is the last statement of a function body.
    pub(crate) fn stmt(&mut self, stmt: &'a ast::Stmt, tail: bool) -> Option<Val> {
        match &stmt.kind {
            StmtKind::Let { pattern, value } => {
                let v = self.expr(value);
                self.bind_pattern(pattern, v, value.span, true);
            }
            StmtKind::Assign { target, op, value } => self.assign_stmt(target, *op, value, stmt.span),
            StmtKind::Expr(e) => {
                let _ = self.expr(e);
            }
            StmtKind::If { cond, then_block, else_block } => {
                self.if_stmt(cond, then_block, else_block.as_ref(), stmt.span)
            }
            StmtKind::For { var, start, end, body } => self.for_stmt(var, start, end, body, stmt.span),
            StmtKind::While { cond, body } => self.while_stmt(cond, body, stmt.span),
            StmtKind::Break | StmtKind::Continue => self.loop_control(stmt),
            StmtKind::Return(e) => return self.return_stmt(e.as_ref(), stmt.span, tail),
            StmtKind::Error => {}
        }
        None
    }

    fn return_stmt(&mut self, e: Option<&'a ast::Expr>, span: Span, tail: bool) -> Option<Val> {
        let frame = self.frames.len();
        if let Some(ctx) = self.private.iter().rev().find(|c| c.frame == frame).cloned() {
            let d = Diagnostic::error(Code::E0403, span, "`return` under a private condition")
                .secondary(ctx.span, "this condition is private, so both branches run")
                .help("assign the result to a variable in the branch and `return` it as the function's last statement");
            self.report_with_provenance(d, vec![(ctx.cond, "the condition".into())]);
        } else if !tail {
            let (label, help) = if self.call_stack.is_empty() {
                ("`return` outside a function", "remove it; the main body ends by itself")
            } else {
                ("`return` before the end of the function", "let r = …; … return r;  // as the last statement")
            };
            self.report(
                Diagnostic::error(Code::E0106, span, label)
                    .note("Functions are inlined, so `return` may only be a function's last statement.")
                    .help(help),
            );
        }
        let v = match e {
            Some(e) => self.expr(e),
            None => Val::Unit,
        };
        tail.then_some(v)
    }

    fn loop_control(&mut self, stmt: &ast::Stmt) {
        let word = if matches!(stmt.kind, StmtKind::Break) { "break" } else { "continue" };
        let frame = self.frames.len();
        let loop_depth = self.frames.last().map(|f| f.loop_depth).unwrap_or(0);
        if loop_depth == 0 {
            self.report(
                Diagnostic::error(Code::E0112, stmt.span, format!("`{word}` outside a loop"))
                    .help("remove it, or put it inside `for` or `while`"),
            );
            return;
        }
        if let Some(ctx) = self.private.iter().rev().find(|c| c.frame == frame && c.loop_depth == loop_depth).cloned() {
            let d = Diagnostic::error(Code::E0404, stmt.span, format!("`{word}` under a private condition"))
                .secondary(ctx.span, "this condition is private, so both branches run")
                .note("The number of iterations is public; leaving the loop early would reveal the condition.")
                .help("keep a private flag instead: `done = max(done, cond); y = where(done, y, y_next);`");
            self.report_with_provenance(d, vec![(ctx.cond, "the condition".into())]);
            return;
        }
        let span = super::ir_span(stmt.span);
        self.push_stmt(if word == "break" { Stmt::Break { span } } else { Stmt::Continue { span } });
    }

    /// Binds `pattern` to `v`: a name that is assigned later becomes a variable, any other name
    /// is bound to the value directly.
    pub(crate) fn bind_pattern(&mut self, pattern: &Pattern, v: Val, span: Span, is_let: bool) {
        match pattern {
            Pattern::Name(id) => {
                if matches!(v, Val::Unit) {
                    self.report(
                        Diagnostic::error(Code::E0107, span, "this gives no value")
                            .message(format!("`{}` is bound to something that gives no value", id.name))
                            .note("A function without `return`, and `print`, `output` and `save`, give no value.")
                            .help("return a value from the function: `return x;`"),
                    );
                }
                let v = if matches!(v, Val::Unit) { Val::Err } else { v };
                let mutable = self.frames.last().map(|f| f.assigned.contains(&id.name)).unwrap_or(false);
                match (mutable, &v) {
                    (true, Val::T(value)) => {
                        let value = *value;
                        let var = self.new_var(&id.name, id.span);
                        self.assign(var, value, id.span);
                        self.bind(&id.name, Binding::Var(var));
                        self.symbols.push((
                            id.span,
                            Some(id.span),
                            id.name.clone(),
                            SymbolKind::Var,
                            Some(value).into(),
                        ));
                    }
                    _ => {
                        let hover = if let Val::T(value) = v { Some(value) } else { None };
                        if let Some(value) = hover {
                            self.names.entry(value).or_insert((id.name.clone(), super::ir_span(id.span)));
                        }
                        self.symbols.push((id.span, Some(id.span), id.name.clone(), SymbolKind::Var, hover.into()));
                        self.bind(&id.name, Binding::Val(v, id.span));
                    }
                }
                let _ = is_let;
            }
            Pattern::Tuple(ps, tspan) => match v {
                Val::Tuple(vs) if vs.len() == ps.len() => {
                    for (p, v) in ps.iter().zip(vs) {
                        self.bind_pattern(p, v, span, is_let);
                    }
                }
                Val::Err => ps.iter().for_each(|p| self.bind_pattern(p, Val::Err, span, is_let)),
                other => {
                    let got = match &other {
                        Val::Tuple(vs) => format!("a tuple of {}", vs.len()),
                        Val::Unit => "no value".to_string(),
                        _ => "one value".to_string(),
                    };
                    self.report(
                        Diagnostic::error(Code::E0107, span, format!("this gives {got}"))
                            .message(format!("a pattern of {} names is bound to {got}", ps.len()))
                            .secondary(*tspan, format!("expects a tuple of {}", ps.len()))
                            .help("make the names match the tuple: `let (w, b) = f(x);` with `return (w, b);`"),
                    );
                    ps.iter().for_each(|p| self.bind_pattern(p, Val::Err, span, is_let));
                }
            },
        }
    }

    fn assign_stmt(&mut self, target: &Pattern, op: AssignOp, value: &'a ast::Expr, span: Span) {
        let Pattern::Name(id) = target else {
            let v = self.expr(value);
            self.assign_tuple(target, v, value.span);
            return;
        };
        let Some(var) = self.assignable(id) else {
            let _ = self.expr(value);
            return;
        };
        let rhs = self.expr(value);
        let Some(rhs) = self.tensor(rhs, value.span) else {
            return;
        };
        let new = match op {
            AssignOp::Set => rhs,
            _ => {
                let bop = match op {
                    AssignOp::Add => BinaryOp::Add,
                    AssignOp::Sub => BinaryOp::Sub,
                    AssignOp::Mul => BinaryOp::Mul,
                    _ => BinaryOp::Div,
                };
                let old = self.read_var(var, id.span);
                match self.binary(bop, old, rhs, span, id.span, value.span) {
                    Some(v) => v,
                    None => return,
                }
            }
        };
        self.assign(var, new, span);
    }

    fn assign_tuple(&mut self, target: &Pattern, v: Val, span: Span) {
        match (target, v) {
            (Pattern::Name(id), Val::T(value)) => {
                if let Some(var) = self.assignable(id) {
                    self.assign(var, value, span);
                }
            }
            (Pattern::Tuple(ps, _), Val::Tuple(vs)) if ps.len() == vs.len() => {
                for (p, v) in ps.iter().zip(vs) {
                    self.assign_tuple(p, v, span);
                }
            }
            (_, Val::Err) => {}
            (p, _) => self.report(
                Diagnostic::error(Code::E0107, span, "this value does not fit the names assigned")
                    .secondary(p.span(), "assigned here")
                    .help("(w, b) = f(x);  // with `return (w, b);` in `f`"),
            ),
        }
    }

    /// The variable named by an assignment target, or a reported error.
    fn assignable(&mut self, id: &ast::Ident) -> Option<VarId> {
        match self.lookup_local(&id.name) {
            Some(Binding::Var(var)) => {
                let def = self
                    .vars
                    .get(var.index())
                    .map(|d| mpcc_grammar::Span::new(d.span.start as usize, d.span.end as usize));
                self.symbols.push((id.span, def, id.name.clone(), SymbolKind::Var, Hover::None));
                Some(var)
            }
            Some(Binding::Val(..)) => None,
            None => {
                let what = if self.params.contains_key(&id.name) {
                    "a param, which cannot be assigned"
                } else {
                    "not a variable in scope"
                };
                self.report(
                    Diagnostic::error(Code::E0101, id.span, format!("`{}` is {what}", id.name))
                        .message(format!("cannot assign to `{}`", id.name))
                        .help(format!("let {} = …;", id.name)),
                );
                None
            }
        }
    }

    /// `var = value`, joining the value's facts into the variable's.
    pub(crate) fn assign(&mut self, var: VarId, value: ValueId, span: Span) {
        let info = self.info(value);
        let mut label = info.label;
        let mut witness = if label.is_public() { None } else { Some(value) };
        if let Some(ctx) = self.private.last() {
            if var.index() < ctx.first_var {
                label = label.join(Label::Private);
                witness = witness.or(Some(ctx.cond));
                self.check_shape_kept(var, &info.shape, span, ctx.clone());
            }
        }
        self.cur_shape.insert(var, info.shape.clone());
        let prev = self.prev.get(var.index()).cloned();
        if let Some(s) = self.summaries.get_mut(var.index()) {
            s.label = s.label.join(label);
            s.dtype = Some(s.dtype.map_or(info.dtype, |d| dtype_join(d, info.dtype)));
            s.shape = Some(match &s.shape {
                Some(old) => shapes::join(old, &info.shape),
                None => info.shape.clone(),
            });
            let merged = match prev {
                Some(VarSummary { label: pl, dtype: pd, shape: ps }) => VarSummary {
                    label: pl.join(s.label),
                    dtype: Some(pd.map_or(info.dtype, |d| dtype_join(d, s.dtype.unwrap_or(d)))),
                    shape: Some(match (&ps, &s.shape) {
                        (Some(a), Some(b)) => shapes::join(a, b),
                        (None, Some(b)) => b.clone(),
                        (Some(a), None) => a.clone(),
                        (None, None) => Shape::Unknown,
                    }),
                },
                None => s.clone(),
            };
            if let Some(def) = self.vars.get_mut(var.index()) {
                def.label = merged.label;
                def.dtype = merged.dtype.unwrap_or(DType::Real);
                def.shape = merged.shape.unwrap_or(Shape::Unknown);
                if def.witness.is_none() && !label.is_public() {
                    def.witness = witness;
                }
            }
        }
        self.push_stmt(Stmt::Assign { var, value });
    }

    fn check_shape_kept(&mut self, var: VarId, new: &Shape, span: Span, ctx: PrivCtx) {
        let Some(old) = self.cur_shape.get(&var).cloned() else {
            return;
        };
        // The merge `where(c, new, old)` broadcasts against the condition too.
        let cond_shape = self.info(ctx.cond).shape;
        let merged = shapes::broadcast(&cond_shape, new).unwrap_or_else(|_| new.clone());
        let new = &merged;
        let differs = match (&old, new) {
            (Shape::Ranked(a), Shape::Ranked(b)) => {
                a.len() != b.len()
                    || a.iter()
                        .zip(b)
                        .any(|(x, y)| matches!((x, y), (mpcc_ir::Dim::Known(p), mpcc_ir::Dim::Known(q)) if p != q))
            }
            _ => false,
        };
        if differs {
            let name = self.vars.get(var.index()).map(|d| d.name.clone()).unwrap_or_default();
            let d = Diagnostic::error(
                Code::E0405,
                span,
                format!(
                    "`{name}` would change from shape {} to {}",
                    mpcc_ir::shape_text(&old),
                    mpcc_ir::shape_text(new)
                ),
            )
            .message(format!("`{name}` changes shape under a private condition"))
            .secondary(ctx.span, "this condition is private, so both branches run and are merged elementwise")
            .help(format!("assign a value of shape {} to `{name}` in this branch", mpcc_ir::shape_text(&old)));
            self.report_with_provenance(d, vec![(ctx.cond, "the condition".into())]);
        }
    }

    fn if_stmt(
        &mut self,
        cond: &'a ast::Expr,
        then_block: &'a ast::Block,
        else_block: Option<&'a ast::Block>,
        span: Span,
    ) {
        let c = self.expr(cond);
        let Some(c) = self.tensor(c, cond.span) else {
            let _ = self.block(then_block);
            if let Some(b) = else_block {
                let _ = self.block(b);
            }
            return;
        };
        let info = self.info(c);
        let private = !info.label.is_public();
        if !private {
            self.check_scalar_condition(c, cond.span, "if");
        }
        if private {
            if info.dtype != DType::Bool {
                self.report(
                    Diagnostic::warning(Code::W0401, cond.span, "this private condition may not be 0 or 1")
                        .message("private `if` condition is not a comparison")
                        .note(
                            "A private `if` becomes `c * then + (1 - c) * else`, which is right only for c in {0, 1}.",
                        )
                        .help("compare explicitly, e.g. `if x > 0 { … }`"),
                );
            }
            let loop_depth = self.frames.last().map(|f| f.loop_depth).unwrap_or(0);
            self.private.push(PrivCtx {
                cond: c,
                span: cond.span,
                frame: self.frames.len(),
                loop_depth,
                call_depth: self.call_stack.len(),
                first_var: self.vars.len(),
            });
        }
        let saved = self.cur_shape.clone();
        let then_ir = self.block(then_block);
        let after_then = std::mem::replace(&mut self.cur_shape, saved);
        let else_ir = match else_block {
            Some(b) => self.block(b),
            None => Block::default(),
        };
        for (var, shape) in after_then {
            let joined = match self.cur_shape.get(&var) {
                Some(s) => shapes::join(s, &shape),
                None => shape,
            };
            self.cur_shape.insert(var, joined);
        }
        if private {
            self.private.pop();
        }
        self.push_stmt(Stmt::If { cond: c, then_block: then_ir, else_block: else_ir, span: super::ir_span(span) });
    }

    /// A public condition decides one branch, so it must hold a single element (E0207).
    fn check_scalar_condition(&mut self, c: ValueId, span: Span, keyword: &str) {
        let shape = self.info(c).shape;
        let Some(dims) = shape.as_known() else { return };
        if shapes::numel(&dims) == Some(1) {
            return;
        }
        self.report(
            Diagnostic::error(Code::E0207, span, format!("this condition has shape {}", mpcc_ir::shape_text(&shape)))
                .message(format!("`{keyword}` condition is not a single value"))
                .note("A public condition picks one branch for the whole tensor; elementwise choice is `where`.")
                .help("reduce it, e.g. `if sum(c) > 0 { … }`, or select elementwise: `y = where(c, a, b);`"),
        );
    }

    fn public_bound(&mut self, v: ValueId, span: Span, code: Code, what: &str, help: &str) -> bool {
        if self.info(v).label.is_public() {
            return true;
        }
        let d = Diagnostic::error(code, span, format!("this {what} is private"))
            .message(format!("private {what}"))
            .note("Everyone sees how many times a loop runs, so this would reveal the private value.")
            .help(help.to_string());
        self.report_with_provenance(d, vec![(v, format!("the {what}"))]);
        false
    }

    fn for_stmt(
        &mut self,
        var: &ast::Ident,
        start: &'a ast::Expr,
        end: &'a ast::Expr,
        body: &'a ast::Block,
        span: Span,
    ) {
        let s = self.expr(start);
        let e = self.expr(end);
        let (s, e) = (self.tensor(s, start.span), self.tensor(e, end.span));
        let (Some(s), Some(e)) = (s, e) else {
            return;
        };
        let help = "loop over a public bound, e.g. `for i in 0..n` with `param n = 10;`, or `reveal` the bound";
        self.public_bound(s, start.span, Code::E0302, "loop bound", help);
        self.public_bound(e, end.span, Code::E0302, "loop bound", help);
        let loop_var = self.new_var(&var.name, var.span);
        if let Some(def) = self.vars.get_mut(loop_var.index()) {
            def.label = Label::Public;
            def.dtype = DType::Int;
            def.shape = Shape::scalar();
        }
        if let Some(sum) = self.summaries.get_mut(loop_var.index()) {
            sum.dtype = Some(DType::Int);
            sum.shape = Some(Shape::scalar());
        }
        let counter = "public int [] (the counter of this `for` loop: its bounds are public)".to_string();
        self.symbols.push((var.span, Some(var.span), var.name.clone(), SymbolKind::Var, Hover::Text(counter)));
        if let Some(f) = self.frame() {
            f.loop_depth += 1;
            f.scopes.push(HashMap::new());
        }
        self.bind(&var.name, Binding::Var(loop_var));
        let body_ir = self.block(body);
        if let Some(f) = self.frame() {
            f.loop_depth -= 1;
            f.scopes.pop();
        }
        self.push_stmt(Stmt::For { var: loop_var, start: s, end: e, body: body_ir, span: super::ir_span(span) });
    }

    fn while_stmt(&mut self, cond: &'a ast::Expr, body: &'a ast::Block, span: Span) {
        self.blocks.push(Vec::new());
        let c = self.expr(cond);
        let c = self.tensor(c, cond.span);
        let cond_block = Block(self.blocks.pop().unwrap_or_default());
        let Some(c) = c else {
            return;
        };
        if self.info(c).label.is_public() {
            self.check_scalar_condition(c, cond.span, "while");
        }
        self.public_bound(
            c,
            cond.span,
            Code::E0303,
            "`while` condition",
            "loop a public number of times: `for i in 0..n { … }`, or test `reveal(cond)`",
        );
        if let Some(f) = self.frame() {
            f.loop_depth += 1;
        }
        let body_ir = self.block(body);
        if let Some(f) = self.frame() {
            f.loop_depth -= 1;
        }
        self.push_stmt(Stmt::While { cond_block, cond: c, body: body_ir, span: super::ir_span(span) });
    }

    /// Inlines a call of `f` with the given arguments; `call` is the call's span.
    pub(crate) fn inline_fn(&mut self, f: &'a ast::FnDecl, args: Vec<(Val, Span)>, call: Span) -> Val {
        if let Some(pos) = self.call_stack.iter().position(|(n, _)| *n == f.name.name) {
            let mut chain: Vec<String> = self.call_stack.iter().skip(pos).map(|(n, _)| format!("`{n}`")).collect();
            chain.push(format!("`{}`", f.name.name));
            let mut d = Diagnostic::error(Code::E0105, call, format!("`{}` calls itself", f.name.name))
                .message(format!("recursive call of `{}`", f.name.name))
                .secondary(f.name.span, "defined here")
                .note(format!("The cycle is {}.", chain.join(" → ")))
                .note("Functions are inlined, so they cannot call themselves.")
                .help("write the repetition as a loop: `for i in 0..n { … }`");
            for (name, span) in self.call_stack.iter().skip(pos + 1) {
                d = d.secondary(*span, format!("`{name}` is called here"));
            }
            self.report(d);
            return Val::Err;
        }
        if self.call_stack.len() >= super::MAX_CALL_DEPTH {
            let d = Diagnostic::error(Code::E0114, call, "too many nested calls")
                .message(format!("functions nested more than {} calls deep", super::MAX_CALL_DEPTH))
                .note("Functions are inlined; a chain of calls this deep is too large to inline.")
                .help("merge some of the functions, or compute in a loop");
            self.report(d);
            return Val::Err;
        }
        let mut frame = Frame::default();
        for s in &f.body.stmts {
            collect_assigned(s, &mut frame.assigned);
        }
        frame.scopes.push(HashMap::new());
        self.frames.push(frame);
        self.call_stack.push((f.name.name.clone(), call));
        for (param, (v, span)) in f.params.iter().zip(args) {
            let pattern = Pattern::Name(param.clone());
            let _ = span;
            self.bind_pattern(&pattern, v, param.span, true);
        }
        let mut result = Val::Unit;
        let n = f.body.stmts.len();
        for (i, s) in f.body.stmts.iter().enumerate() {
            if let Some(v) = self.stmt(s, i + 1 == n) {
                result = v;
            }
        }
        self.call_stack.pop();
        self.frames.pop();
        result
    }

    /// The value of a public scalar constant, if the compiler knows it.
    pub(crate) fn known_scalar(&self, v: ValueId) -> Option<f64> {
        match self.op(v)? {
            Op::Const(t) if t.data.len() == 1 => t.data.first().copied(),
            Op::Index { x, items } => {
                let [mpcc_ir::IndexItem::At(i)] = items.as_slice() else {
                    return None;
                };
                let Op::Shape(of) = self.op(*x)? else {
                    return None;
                };
                let dims = match self.info(*of).shape {
                    Shape::Ranked(d) => d,
                    Shape::Unknown => return None,
                };
                let i = self.known_scalar(*i)? as i64;
                let i = shapes::axis_index(i, dims.len()).ok()?;
                match dims.get(i)? {
                    mpcc_ir::Dim::Known(n) => Some(*n as f64),
                    mpcc_ir::Dim::Unknown => None,
                }
            }
            _ => None,
        }
    }
}
