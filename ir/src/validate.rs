//! Re-checks the invariants of a [`Program`] after any pass, trusting no pass.
//!
//! Checked: ids in range; every operand evaluated before use (in its block or an enclosing
//! one); no `If` on a non-public condition; `For` bounds, `While` conditions, indices and shape
//! arguments public; only `Reveal` (and `Output`) turn a non-public value into one that someone
//! else sees, i.e. no op is public with a non-public operand except `Reveal` and `Shape`
//! (shapes are public), and `Print`/`Save` take public values only; a variable's label covers
//! every value assigned to it; no `break`/`continue` under a non-public condition. Before the
//! oblivious pass ([`Stage::Lowered`]) an `If` may have a private condition; the implicit flows
//! it causes are checked by the compiler's label analysis, which knows which variables the
//! oblivious pass will merge. This module reports problems; it does not repair them.

use crate::{Block, IndexItem, Label, Op, PrintArg, Program, Span, Stmt, ValueId, VarId};
use std::collections::HashSet;

/// Where in the pipeline a program is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Straight from the lowering: an `If` may still have a private condition (the oblivious
    /// pass removes it).
    Lowered,
    /// After the oblivious pass: no `If` on a non-public condition.
    Final,
}

/// One broken invariant: where (the span of the statement or value checked) and what.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub span: Span,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Violation {
    /// Whether the message contains `text` (for tests and filters).
    pub fn contains(&self, text: &str) -> bool {
        self.message.contains(text)
    }
}

/// Checks a program after every pass (`Stage::Final`); on failure, one entry per violation.
pub fn validate(program: &Program) -> Result<(), Vec<Violation>> {
    validate_at(program, Stage::Final)
}

/// Checks `program` as it should be at `stage`; on failure, one message per violation.
pub fn validate_at(program: &Program, stage: Stage) -> Result<(), Vec<Violation>> {
    let mut v = Validator { program, stage, control: Vec::new(), at: Span::default(), errors: Vec::new() };
    v.block(&program.body, &mut HashSet::new());
    if v.errors.is_empty() {
        Ok(())
    } else {
        Err(v.errors)
    }
}

/// One enclosing construct that decides whether the statements inside it run.
#[derive(Clone, Copy)]
enum Control {
    /// The condition of an `If`, or a loop's bound or condition.
    Decides(Label),
    /// The start of a loop body (for `break`/`continue`).
    Loop,
}

struct Validator<'a> {
    program: &'a Program,
    stage: Stage,
    control: Vec<Control>,
    /// The span of the statement or value being checked.
    at: Span,
    errors: Vec<Violation>,
}

fn covers(outer: Label, inner: Label) -> bool {
    outer.join(inner) == outer
}

impl Validator<'_> {
    fn fail(&mut self, message: String) {
        self.errors.push(Violation { span: self.at, message });
    }

    fn label(&self, v: ValueId) -> Label {
        self.program.value(v).map_or(Label::Public, |d| d.info.label)
    }

    fn use_value(&mut self, v: ValueId, done: &HashSet<ValueId>, what: &str) {
        if self.program.value(v).is_none() {
            self.fail(format!("{what}: value {v} out of range"));
        } else if !done.contains(&v) {
            self.fail(format!("{what}: value {v} used before it is evaluated"));
        }
    }

    fn public(&mut self, v: ValueId, what: &str) {
        if !self.label(v).is_public() {
            self.fail(format!("{what}: value {v} is not public"));
        }
    }

    fn var(&mut self, var: VarId, what: &str) -> bool {
        if self.program.var(var).is_none() {
            self.fail(format!("{what}: variable {} out of range", var.0));
            return false;
        }
        true
    }

    fn block(&mut self, block: &Block, done: &mut HashSet<ValueId>) {
        for stmt in &block.0 {
            self.stmt(stmt, done);
        }
    }

    fn stmt(&mut self, stmt: &Stmt, done: &mut HashSet<ValueId>) {
        if let Some(span) = stmt_span(self.program, stmt) {
            self.at = span;
        }
        match stmt {
            Stmt::Eval(v) => {
                self.eval(*v, done);
                done.insert(*v);
            }
            Stmt::Assign { var, value } => {
                self.use_value(*value, done, "assign");
                if self.var(*var, "assign") {
                    let var_label = self.program.var(*var).map_or(Label::Public, |d| d.label);
                    if !covers(var_label, self.label(*value)) {
                        self.fail(format!("assign: variable {} is less secret than value {value}", var.0));
                    }
                }
            }
            Stmt::If { cond, then_block, else_block, .. } => {
                self.use_value(*cond, done, "if");
                let label = self.label(*cond);
                if self.stage == Stage::Final && !label.is_public() {
                    self.fail(format!("if: condition {cond} is private (the oblivious pass must remove it)"));
                }
                self.control.push(Control::Decides(label));
                self.block(then_block, &mut done.clone());
                self.block(else_block, &mut done.clone());
                self.control.pop();
            }
            Stmt::For { var, start, end, body, .. } => {
                self.use_value(*start, done, "for");
                self.use_value(*end, done, "for");
                self.public(*start, "for bound");
                self.public(*end, "for bound");
                self.var(*var, "for");
                let bounds = self.label(*start).join(self.label(*end));
                self.control.extend([Control::Decides(bounds), Control::Loop]);
                self.block(body, &mut done.clone());
                self.control.truncate(self.control.len().saturating_sub(2));
            }
            Stmt::While { cond_block, cond, body, .. } => {
                let mut inner = done.clone();
                self.control.push(Control::Loop);
                self.block(cond_block, &mut inner);
                self.use_value(*cond, &inner, "while");
                self.public(*cond, "while condition");
                self.control.push(Control::Decides(self.label(*cond)));
                self.block(body, &mut inner);
                self.control.truncate(self.control.len().saturating_sub(2));
            }
            Stmt::Break { .. } | Stmt::Continue { .. } => {
                let in_loop = self.control.iter().rev().take_while(|c| !matches!(c, Control::Loop));
                let label = in_loop.fold(Label::Public, |acc, c| match c {
                    Control::Decides(l) => acc.join(*l),
                    Control::Loop => acc,
                });
                if !label.is_public() {
                    self.fail("break/continue under a private condition".to_string());
                }
            }
            Stmt::Print { args, .. } => {
                for a in args {
                    if let PrintArg::Value(v) = a {
                        self.use_value(*v, done, "print");
                        self.public(*v, "print");
                    }
                }
            }
            Stmt::Save { value, .. } => {
                self.use_value(*value, done, "save");
                self.public(*value, "save");
            }
            Stmt::Output { value, .. } => self.use_value(*value, done, "output"),
        }
    }

    fn eval(&mut self, v: ValueId, done: &HashSet<ValueId>) {
        if let Some(def) = self.program.value(v) {
            self.at = def.span;
        }
        let Some(def) = self.program.value(v) else {
            self.fail(format!("eval: value {v} out of range"));
            return;
        };
        let what = format!("value {v}");
        for operand in operands(&def.op) {
            self.use_value(operand, done, &what);
        }
        let label = def.info.label;
        match &def.op {
            Op::Var(var) if self.var(*var, &what) => {
                let var_label = self.program.var(*var).map_or(Label::Public, |d| d.label);
                if var_label != label {
                    self.fail(format!("{what}: read of variable {} with a different label", var.0));
                }
            }
            Op::Const(t) if Some(t.data.len()) != t.shape.iter().try_fold(1usize, |a, d| a.checked_mul(*d)) => {
                self.fail(format!("{what}: constant data does not fit its shape"));
            }
            Op::Load { at, .. } => {
                let expected = at.map_or(Label::Public, Label::Local);
                if label != expected {
                    self.fail(format!("{what}: load labelled {label:?}, expected {expected:?}"));
                }
            }
            Op::Share { value, src } => {
                let l = self.label(*value);
                if !(l.is_public() || l == Label::Local(*src)) {
                    self.fail(format!("{what}: share of a value its source does not hold"));
                }
            }
            Op::Reveal(_) | Op::Shape(_) => {}
            Op::Index { items, .. } => {
                for item in items {
                    let ids: Vec<ValueId> = match item {
                        IndexItem::At(i) => vec![*i],
                        IndexItem::Slice { start, end } => start.iter().chain(end.iter()).copied().collect(),
                    };
                    for i in ids {
                        self.public(i, "index");
                    }
                }
            }
            Op::Zeros { shape }
            | Op::Ones { shape }
            | Op::Rand { shape, .. }
            | Op::Randn { shape, .. }
            | Op::Reshape { shape, .. }
            | Op::SumTo { shape, .. } => {
                self.public(*shape, "shape argument");
            }
            Op::Conv2dGradX { x_shape: shape, .. } | Op::Conv2dGradW { w_shape: shape, .. } => {
                self.public(*shape, "shape argument");
            }
            Op::Conv2d { .. } => {}
            Op::Pool2d { k, win, .. } | Op::Pool2dGrad { k, win, .. }
                if k.contains(&0) || win.padding.iter().zip(k).any(|(p, k)| 2 * u64::from(*p) > u64::from(*k)) =>
            {
                self.fail(format!("{what}: pooling window {k:?} with padding {:?}", win.padding));
            }
            Op::Eye { n } => self.public(*n, "eye size"),
            Op::OneHot { classes, .. } => self.public(*classes, "one_hot classes"),
            _ => {}
        }
        if let Op::Conv2d { win, .. }
        | Op::Conv2dGradX { win, .. }
        | Op::Conv2dGradW { win, .. }
        | Op::Pool2d { win, .. }
        | Op::Pool2dGrad { win, .. } = &def.op
        {
            if win.stride.contains(&0) {
                self.fail(format!("{what}: stride {:?} has a zero", win.stride));
            }
        }
        if !matches!(def.op, Op::Reveal(_) | Op::Shape(_) | Op::Var(_)) {
            for operand in operands(&def.op) {
                if !covers(label, self.label(operand)) {
                    let message =
                        format!("{what}: labelled {label:?} but operand {operand} is {:?}", self.label(operand));
                    self.fail(message);
                }
            }
        }
    }
}

/// The source span of a statement (an assignment's is its value's).
fn stmt_span(program: &Program, stmt: &Stmt) -> Option<Span> {
    match stmt {
        Stmt::Eval(v) | Stmt::Assign { value: v, .. } => program.value(*v).map(|d| d.span),
        Stmt::If { span, .. }
        | Stmt::For { span, .. }
        | Stmt::While { span, .. }
        | Stmt::Break { span }
        | Stmt::Continue { span }
        | Stmt::Print { span, .. }
        | Stmt::Save { span, .. }
        | Stmt::Output { span, .. } => Some(*span),
    }
}

/// The operands of an op, in order (see [`Op::operands`]).
pub fn operands(op: &Op) -> Vec<ValueId> {
    op.operands()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BinaryOp, DType, PartyId, Shape, Tensor, ValueDef, ValueInfo, VarDef};

    fn value(op: Op, label: Label) -> ValueDef {
        ValueDef {
            op,
            info: ValueInfo { label, dtype: DType::Real, shape: Shape::scalar(), witness: None },
            span: Span::default(),
        }
    }

    fn program(values: Vec<ValueDef>, body: Vec<Stmt>) -> Program {
        let var = VarDef {
            name: "x".into(),
            label: Label::Private,
            dtype: DType::Real,
            shape: Shape::scalar(),
            witness: None,
            span: Span::default(),
        };
        Program { parties: vec!["ALICE".into()], params: Vec::new(), values, vars: vec![var], body: Block(body) }
    }

    /// %0 = const 1 (public), %1 = load at ALICE (local), %2 = share %1 (private).
    fn base() -> Vec<ValueDef> {
        vec![
            value(Op::Const(Tensor::scalar(1.0)), Label::Public),
            value(Op::Load { path: "x.npy".into(), at: Some(PartyId(0)) }, Label::Local(PartyId(0))),
            value(Op::Share { src: PartyId(0), value: ValueId(1) }, Label::Private),
        ]
    }

    fn check(values: Vec<ValueDef>, body: Vec<Stmt>, expected: &str) {
        let res = validate(&program(values, body));
        match (res, expected) {
            (Ok(()), "") => {}
            (Ok(()), e) => panic!("expected an error containing {e:?}, got none"),
            (Err(errs), "") => panic!("expected no error, got {errs:?}"),
            (Err(errs), e) => assert!(errs.iter().any(|m| m.contains(e)), "{errs:?} lacks {e:?}"),
        }
    }

    fn evals(n: u32) -> Vec<Stmt> {
        (0..n).map(|i| Stmt::Eval(ValueId(i))).collect()
    }

    #[test]
    fn accepts_a_well_formed_program() {
        let mut values = base();
        values.push(value(Op::Binary(BinaryOp::Add, ValueId(2), ValueId(0)), Label::Private));
        values.push(value(Op::Reveal(ValueId(3)), Label::Public));
        let mut body = evals(5);
        body.push(Stmt::Print { args: vec![PrintArg::Value(ValueId(4))], span: Span::default() });
        body.push(Stmt::Assign { var: VarId(0), value: ValueId(3) });
        check(values, body, "");
    }

    #[test]
    fn rejects_a_private_if() {
        let mut body = evals(3);
        body.push(Stmt::If {
            cond: ValueId(2),
            then_block: Block::default(),
            else_block: Block::default(),
            span: Span::default(),
        });
        check(base(), body, "is private");
    }

    #[test]
    fn rejects_printing_or_saving_a_private_value() {
        let mut body = evals(3);
        body.push(Stmt::Print { args: vec![PrintArg::Value(ValueId(2))], span: Span::default() });
        check(base(), body.clone(), "print");
        body.pop();
        body.push(Stmt::Save { path: "x.npy".into(), value: ValueId(2), span: Span::default() });
        check(base(), body, "save");
    }

    #[test]
    fn rejects_an_opening_that_is_not_reveal() {
        let mut values = base();
        values.push(value(Op::Unary(crate::UnaryOp::Neg, ValueId(2)), Label::Public));
        check(values, evals(4), "operand");
    }

    #[test]
    fn rejects_private_bounds_and_indices() {
        let mut body = evals(3);
        body.push(Stmt::For {
            var: VarId(0),
            start: ValueId(0),
            end: ValueId(2),
            body: Block::default(),
            span: Span::default(),
        });
        check(base(), body, "for bound");
        let mut values = base();
        values.push(value(Op::Index { x: ValueId(0), items: vec![IndexItem::At(ValueId(2))] }, Label::Public));
        check(values, evals(4), "index");
    }

    #[test]
    fn sum_to_needs_a_public_shape_and_keeps_the_label_of_x() {
        // %3 = sum_to %2, %0: private x, public shape.
        let mut values = base();
        values.push(value(Op::SumTo { x: ValueId(2), shape: ValueId(0) }, Label::Private));
        check(values, evals(4), "");
        // A private shape argument is rejected.
        let mut values = base();
        values.push(value(Op::SumTo { x: ValueId(0), shape: ValueId(2) }, Label::Private));
        check(values, evals(4), "shape argument");
        // A public result of a private x opens it.
        let mut values = base();
        values.push(value(Op::SumTo { x: ValueId(2), shape: ValueId(0) }, Label::Public));
        check(values, evals(4), "operand");
    }

    #[test]
    fn windows_need_a_nonzero_stride_and_poolings_at_most_half_padding() {
        let win = |s: u32, p: u32| crate::Window2d { stride: [s, 1], padding: [p, 0] };
        let mut values = base();
        values.push(value(Op::Conv2d { x: ValueId(2), w: ValueId(2), win: win(1, 3) }, Label::Private));
        check(values, evals(4), "");
        let mut values = base();
        values.push(value(Op::Conv2d { x: ValueId(2), w: ValueId(2), win: win(0, 0) }, Label::Private));
        check(values, evals(4), "stride");
        let mut values = base();
        values.push(value(
            Op::Pool2d { op: crate::PoolOp::Max, x: ValueId(2), k: [2, 2], win: win(2, 2) },
            Label::Private,
        ));
        check(values, evals(4), "pooling window");
        // The shape argument of an adjoint is public.
        let mut values = base();
        let op = Op::Conv2dGradX { dy: ValueId(2), w: ValueId(2), x_shape: ValueId(2), win: win(1, 0) };
        values.push(value(op, Label::Private));
        check(values, evals(4), "shape argument");
    }

    #[test]
    fn rejects_use_before_evaluation_and_bad_ids() {
        let mut values = base();
        values.push(value(Op::Binary(BinaryOp::Add, ValueId(0), ValueId(0)), Label::Public));
        check(values.clone(), vec![Stmt::Eval(ValueId(3))], "before it is evaluated");
        let mut body = evals(1);
        body.push(Stmt::Assign { var: VarId(7), value: ValueId(0) });
        check(base(), body, "out of range");
        // A value evaluated inside a loop body is not available after the loop.
        let body = vec![
            Stmt::Eval(ValueId(0)),
            Stmt::For {
                var: VarId(0),
                start: ValueId(0),
                end: ValueId(0),
                body: Block(vec![Stmt::Eval(ValueId(1))]),
                span: Span::default(),
            },
            Stmt::Eval(ValueId(2)),
        ];
        check(base(), body, "before it is evaluated");
    }

    #[test]
    fn rejects_a_variable_less_secret_than_its_value() {
        let mut prog = program(base(), evals(3));
        if let Some(v) = prog.vars.get_mut(0) {
            v.label = Label::Public;
        }
        prog.body.0.push(Stmt::Assign { var: VarId(0), value: ValueId(2) });
        let errs = validate(&prog).err().unwrap_or_default();
        assert!(errs.iter().any(|e| e.contains("less secret")), "{errs:?}");
    }
}
