//! Re-checks the invariants of a [`Program`] after any pass, trusting no pass.
//!
//! Checked: ids in range; every operand evaluated before use (in its block or an enclosing
//! one); no `If` on a non-public condition; `For` bounds, `While` conditions, indices and shape
//! arguments public; only `Reveal` (and `Output`) turn a non-public value into one that someone
//! else sees, i.e. no op is public with a non-public operand except `Reveal` and `Shape`
//! (shapes are public), and `Print`/`Save` take public values only; a variable's label covers
//! every value assigned to it. This module reports problems; it does not repair them.

use crate::{Block, IndexItem, Label, Op, PrintArg, Program, Stmt, ValueId, VarId};
use std::collections::HashSet;

/// Checks `program`; on failure, one message per violation.
pub fn validate(program: &Program) -> Result<(), Vec<String>> {
    let mut v = Validator { program, errors: Vec::new() };
    v.block(&program.body, &mut HashSet::new());
    if v.errors.is_empty() {
        Ok(())
    } else {
        Err(v.errors)
    }
}

struct Validator<'a> {
    program: &'a Program,
    errors: Vec<String>,
}

fn covers(outer: Label, inner: Label) -> bool {
    outer.join(inner) == outer
}

impl Validator<'_> {
    fn label(&self, v: ValueId) -> Label {
        self.program.value(v).map_or(Label::Public, |d| d.info.label)
    }

    fn use_value(&mut self, v: ValueId, done: &HashSet<ValueId>, what: &str) {
        if self.program.value(v).is_none() {
            self.errors.push(format!("{what}: value {v} out of range"));
        } else if !done.contains(&v) {
            self.errors.push(format!("{what}: value {v} used before it is evaluated"));
        }
    }

    fn public(&mut self, v: ValueId, what: &str) {
        if !self.label(v).is_public() {
            self.errors.push(format!("{what}: value {v} is not public"));
        }
    }

    fn var(&mut self, var: VarId, what: &str) -> bool {
        if self.program.var(var).is_none() {
            self.errors.push(format!("{what}: variable {} out of range", var.0));
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
                        self.errors.push(format!("assign: variable {} is less secret than value {value}", var.0));
                    }
                }
            }
            Stmt::If { cond, then_block, else_block, .. } => {
                self.use_value(*cond, done, "if");
                if !self.label(*cond).is_public() {
                    self.errors.push(format!("if: condition {cond} is private (the oblivious pass must remove it)"));
                }
                self.block(then_block, &mut done.clone());
                self.block(else_block, &mut done.clone());
            }
            Stmt::For { var, start, end, body, .. } => {
                self.use_value(*start, done, "for");
                self.use_value(*end, done, "for");
                self.public(*start, "for bound");
                self.public(*end, "for bound");
                self.var(*var, "for");
                self.block(body, &mut done.clone());
            }
            Stmt::While { cond_block, cond, body, .. } => {
                let mut inner = done.clone();
                self.block(cond_block, &mut inner);
                self.use_value(*cond, &inner, "while");
                self.public(*cond, "while condition");
                self.block(body, &mut inner);
            }
            Stmt::Break { .. } | Stmt::Continue { .. } => {}
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
        let Some(def) = self.program.value(v) else {
            self.errors.push(format!("eval: value {v} out of range"));
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
                    self.errors.push(format!("{what}: read of variable {} with a different label", var.0));
                }
            }
            Op::Const(t) if Some(t.data.len()) != t.shape.iter().try_fold(1usize, |a, d| a.checked_mul(*d)) => {
                self.errors.push(format!("{what}: constant data does not fit its shape"));
            }
            Op::Load { at, .. } => {
                let expected = at.map_or(Label::Public, Label::Local);
                if label != expected {
                    self.errors.push(format!("{what}: load labelled {label:?}, expected {expected:?}"));
                }
            }
            Op::Share { value, src } => {
                let l = self.label(*value);
                if !(l.is_public() || l == Label::Local(*src)) {
                    self.errors.push(format!("{what}: share of a value its source does not hold"));
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
            Op::Eye { n } => self.public(*n, "eye size"),
            Op::OneHot { classes, .. } => self.public(*classes, "one_hot classes"),
            _ => {}
        }
        if !matches!(def.op, Op::Reveal(_) | Op::Shape(_) | Op::Var(_)) {
            for operand in operands(&def.op) {
                if !covers(label, self.label(operand)) {
                    self.errors
                        .push(format!("{what}: labelled {label:?} but operand {operand} is {:?}", self.label(operand)));
                }
            }
        }
    }
}

/// The operands of an op, in order (see [`Op::operands`]).
pub fn operands(op: &Op) -> Vec<ValueId> {
    op.operands()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BinaryOp, DType, PartyId, Shape, Span, Tensor, ValueDef, ValueInfo, VarDef};

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
