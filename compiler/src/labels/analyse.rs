//! The label analysis: the least fixpoint of the flow equations over the IR, by a worklist.
//!
//! Equations (the label rules of `mpcc_ir::Op`, plus control):
//! - a value's label is its op's rule over its operands' labels (`Share` private, `Load` at P
//!   `Local(P)`, `Reveal`/`Shape`/constructors public, `Var` the variable's, otherwise the join);
//! - a variable's label is the join of every value assigned to it and of the conditions of the
//!   `If`s that decide whether the assignment runs (for the variables declared before the `If`:
//!   the ones the oblivious pass merges).
//!
//! Loop bounds, `while` conditions and the conditions of `If`s that hold a `break`/`continue`
//! also decide how often assignments run; they carry no flow here because the IR validator
//! requires them to be public (a private one is already an error, E0302/E0303/E0404, and
//! flowing it would only add cascading errors). The analysis plus the validator is the proof.
//!
//! Labels only go up and the lattice has height 2, so every value and variable changes at most
//! twice: the worklist ends after O(values + edges) steps, for any chain of assignments, any
//! nesting of loops and ifs, and any inlining, with no pass limit.

use mpcc_ir::{Block, Label, Op, Program, Span, Stmt, ValueId, VarId};
use std::collections::HashSet;

/// The analysed label of every value and variable of a program.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelTable {
    pub values: Vec<Label>,
    pub vars: Vec<Label>,
    /// For a non-public variable: the value (assigned, or a deciding condition) that raised it.
    pub var_witness: Vec<Option<ValueId>>,
}

impl LabelTable {
    pub fn value(&self, v: ValueId) -> Label {
        self.values.get(v.index()).copied().unwrap_or(Label::Public)
    }
    pub fn var(&self, v: VarId) -> Label {
        self.vars.get(v.index()).copied().unwrap_or(Label::Public)
    }
}

/// Who depends on whom.
#[derive(Default)]
struct Graph {
    /// value → the values that read it as an operand.
    users: Vec<Vec<ValueId>>,
    /// value → the variables it flows into (assigned, or deciding an assignment).
    flows_to: Vec<Vec<VarId>>,
    /// variable → the values that read it (`Op::Var`).
    readers: Vec<Vec<ValueId>>,
}

impl Graph {
    fn new(program: &Program) -> Graph {
        let n = program.values.len();
        let mut g = Graph {
            users: vec![Vec::new(); n],
            flows_to: vec![Vec::new(); n],
            readers: vec![Vec::new(); program.vars.len()],
        };
        for (i, def) in program.values.iter().enumerate() {
            let id = ValueId(i as u32);
            for o in def.op.operands() {
                if let Some(u) = g.users.get_mut(o.index()) {
                    u.push(id);
                }
            }
            if let Op::Var(var) = def.op {
                if let Some(r) = g.readers.get_mut(var.index()) {
                    r.push(id);
                }
            }
        }
        g.block(&program.body, &mut Vec::new(), &mut HashSet::new());
        g
    }

    fn flow(&mut self, from: ValueId, to: VarId) {
        if let Some(f) = self.flows_to.get_mut(from.index()) {
            f.push(to);
        }
    }

    /// Records that every condition in `control` that affects `var` flows into it.
    fn controlled(&mut self, var: VarId, control: &[Deciding]) {
        for c in control {
            if c.vars.contains(&var) {
                self.flow(c.value, var);
            }
        }
    }

    /// Records the assignments of `block`. `control` holds each enclosing `If` condition with
    /// the variables it can affect: those declared before it (the ones the oblivious pass
    /// merges; a variable declared inside a branch is recomputed whichever way the condition
    /// goes).
    fn block(&mut self, block: &Block, control: &mut Vec<Deciding>, declared: &mut HashSet<VarId>) {
        for stmt in &block.0 {
            match stmt {
                Stmt::Assign { var, value } => {
                    self.flow(*value, *var);
                    self.controlled(*var, control);
                    declared.insert(*var);
                }
                Stmt::If { cond, then_block, else_block, .. } => {
                    control.push(Deciding { value: *cond, vars: declared.clone() });
                    self.block(then_block, control, &mut declared.clone());
                    self.block(else_block, control, &mut declared.clone());
                    control.pop();
                }
                Stmt::For { var, body, .. } => {
                    declared.insert(*var);
                    self.block(body, control, &mut declared.clone());
                }
                Stmt::While { cond_block, body, .. } => {
                    self.block(cond_block, control, declared);
                    self.block(body, control, &mut declared.clone());
                }
                Stmt::Eval(_)
                | Stmt::Break { .. }
                | Stmt::Continue { .. }
                | Stmt::Print { .. }
                | Stmt::Save { .. }
                | Stmt::Output { .. } => {}
            }
        }
    }
}

/// An `If` condition enclosing some assignments.
struct Deciding {
    value: ValueId,
    /// The variables it affects.
    vars: HashSet<VarId>,
}

/// The label of `op` given the current labels.
fn transfer(op: &Op, values: &[Label], vars: &[Label]) -> Label {
    let of = |v: &ValueId| values.get(v.index()).copied().unwrap_or(Label::Public);
    match op {
        Op::Const(_)
        | Op::Reveal(_)
        | Op::Shape(_)
        | Op::Zeros { .. }
        | Op::Ones { .. }
        | Op::Eye { .. }
        | Op::Rand { .. }
        | Op::Randn { .. } => Label::Public,
        Op::Load { at, .. } => at.map_or(Label::Public, Label::Local),
        Op::Share { .. } => Label::Private,
        Op::Var(var) => vars.get(var.index()).copied().unwrap_or(Label::Public),
        other => other.operands().iter().map(of).fold(Label::Public, Label::join),
    }
}

/// Computes the least labels that satisfy the flow equations (see the module doc).
pub fn analyse(program: &Program) -> LabelTable {
    let graph = Graph::new(program);
    let n = program.values.len();
    let mut table = LabelTable {
        values: vec![Label::Public; n],
        vars: vec![Label::Public; program.vars.len()],
        var_witness: vec![None; program.vars.len()],
    };
    let mut queued = vec![true; n];
    let mut work: Vec<ValueId> = (0..n as u32).rev().map(ValueId).collect();
    while let Some(v) = work.pop() {
        if let Some(q) = queued.get_mut(v.index()) {
            *q = false;
        }
        let Some(def) = program.value(v) else { continue };
        let old = table.value(v);
        let new = old.join(transfer(&def.op, &table.values, &table.vars));
        if new != old {
            if let Some(slot) = table.values.get_mut(v.index()) {
                *slot = new;
            }
            let users = graph.users.get(v.index()).map(Vec::as_slice).unwrap_or(&[]);
            enqueue(users, &mut work, &mut queued);
        }
        if new.is_public() {
            continue;
        }
        for var in graph.flows_to.get(v.index()).map(Vec::as_slice).unwrap_or(&[]) {
            let before = table.var(*var);
            let after = before.join(new);
            if after == before {
                continue;
            }
            if let Some(slot) = table.vars.get_mut(var.index()) {
                *slot = after;
            }
            if let Some(w) = table.var_witness.get_mut(var.index()) {
                *w = w.or(Some(v));
            }
            let readers = graph.readers.get(var.index()).map(Vec::as_slice).unwrap_or(&[]);
            enqueue(readers, &mut work, &mut queued);
        }
    }
    table
}

fn enqueue(ids: &[ValueId], work: &mut Vec<ValueId>, queued: &mut [bool]) {
    for id in ids {
        if let Some(q) = queued.get_mut(id.index()) {
            if !*q {
                *q = true;
                work.push(*id);
            }
        }
    }
}

/// One place where a program's annotations claim less secrecy than the analysis finds.
#[derive(Clone, Debug, PartialEq)]
pub struct Mislabel {
    pub span: Span,
    pub message: String,
}

/// Checks that every value's and variable's annotated label covers the one in `table`, the
/// program's [`analyse`] (an annotation may be more secret than needed, never less).
pub fn check(program: &Program, table: &LabelTable) -> Result<(), Vec<Mislabel>> {
    let covers = |outer: Label, inner: Label| outer.join(inner) == outer;
    let mut out = Vec::new();
    for (i, def) in program.values.iter().enumerate() {
        let found = table.value(ValueId(i as u32));
        if !covers(def.info.label, found) {
            out.push(Mislabel {
                span: def.span,
                message: format!("value %{i} is labelled {:?} but depends on a {found:?} value", def.info.label),
            });
        }
    }
    for (i, def) in program.vars.iter().enumerate() {
        let found = table.var(VarId(i as u32));
        if !covers(def.label, found) {
            out.push(Mislabel {
                span: def.span,
                message: format!("variable `{}` is labelled {:?} but receives a {found:?} value", def.name, def.label),
            });
        }
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(out)
    }
}
