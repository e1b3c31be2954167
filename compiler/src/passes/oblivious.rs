//! The oblivious-execution pass: every `if` on a private condition becomes selection.
//!
//! For `if c { T } else { E }` with private `c`, both branches run; each variable `v` declared
//! before the `if` and assigned in either branch is merged afterwards:
//!
//! ```text
//! v_old = v;  T;  v_then = v;  v = v_old;  E;  v_else = v;  v = where(c, v_then, v_else)
//! ```
//!
//! (`v_then`/`v_else` is `v_old` when that branch does not assign `v`; the restore is skipped
//! when the else branch is empty.) Nested private `if`s are rewritten innermost first, so an
//! `else if` chain and ifs inside loops or inlined functions need nothing special. An `if`
//! without `else` keeps the old value where `c` is 0. The condition must be 0/1 (`x > 0` is the
//! idiom; the lowering warns with W0401 otherwise). Rejections (effects, `break`, shape changes
//! under a private condition) are reported by the lowering, before this pass runs.

use crate::diag::Diagnostics;
use mpcc_ir::{Block, DType, Label, Op, Program, Span, Stmt, ValueDef, ValueId, ValueInfo, VarId};
use std::collections::{BTreeSet, HashSet};

/// Rewrites every private `If` in `program`.
pub fn run(mut program: Program, _diags: &mut Diagnostics) -> Program {
    let body = std::mem::take(&mut program.body);
    let mut declared = HashSet::new();
    program.body = block(&mut program, body, &mut declared);
    program
}

fn block(program: &mut Program, b: Block, declared: &mut HashSet<VarId>) -> Block {
    let mut out = Vec::with_capacity(b.0.len());
    for stmt in b.0 {
        match stmt {
            Stmt::Assign { var, value } => {
                declared.insert(var);
                out.push(Stmt::Assign { var, value });
            }
            Stmt::For { var, start, end, body, span } => {
                declared.insert(var);
                let body = block(program, body, &mut declared.clone());
                out.push(Stmt::For { var, start, end, body, span });
            }
            Stmt::While { cond_block, cond, body, span } => {
                let cond_block = block(program, cond_block, declared);
                let body = block(program, body, &mut declared.clone());
                out.push(Stmt::While { cond_block, cond, body, span });
            }
            Stmt::If { cond, then_block, else_block, span } => {
                let then_block = block(program, then_block, &mut declared.clone());
                let else_block = block(program, else_block, &mut declared.clone());
                let private = program.value(cond).is_some_and(|d| !d.info.label.is_public());
                if private {
                    select(program, cond, then_block, else_block, span, declared, &mut out);
                } else {
                    out.push(Stmt::If { cond, then_block, else_block, span });
                }
            }
            other => out.push(other),
        }
    }
    Block(out)
}

/// Every variable assigned anywhere in `b`.
fn assigned(b: &Block, out: &mut BTreeSet<VarId>) {
    out.extend(b.assignments().into_iter().map(|(var, _)| var));
}

fn new_value(program: &mut Program, op: Op, info: ValueInfo, span: Span, out: &mut Vec<Stmt>) -> ValueId {
    let id = ValueId(program.values.len() as u32);
    program.values.push(ValueDef { op, info, span });
    out.push(Stmt::Eval(id));
    id
}

fn read(program: &mut Program, var: VarId, span: Span, out: &mut Vec<Stmt>) -> ValueId {
    let info = match program.var(var) {
        Some(d) => ValueInfo { label: d.label, dtype: d.dtype, shape: d.shape.clone(), witness: d.witness },
        None => ValueInfo::public(DType::Real, mpcc_ir::Shape::Unknown),
    };
    new_value(program, Op::Var(var), info, span, out)
}

fn select(
    program: &mut Program,
    cond: ValueId,
    then_block: Block,
    else_block: Block,
    span: Span,
    declared: &HashSet<VarId>,
    out: &mut Vec<Stmt>,
) {
    let (mut in_then, mut in_else) = (BTreeSet::new(), BTreeSet::new());
    assigned(&then_block, &mut in_then);
    assigned(&else_block, &mut in_else);
    let merged: Vec<VarId> = in_then.union(&in_else).copied().filter(|v| declared.contains(v)).collect();
    let old: Vec<ValueId> = merged.iter().map(|v| read(program, *v, span, out)).collect();
    out.extend(then_block.0);
    let mut then_vals = Vec::new();
    for (var, old) in merged.iter().zip(&old) {
        then_vals.push(if in_then.contains(var) { read(program, *var, span, out) } else { *old });
    }
    if !else_block.0.is_empty() {
        for (var, old) in merged.iter().zip(&old) {
            if in_then.contains(var) {
                out.push(Stmt::Assign { var: *var, value: *old });
            }
        }
    }
    out.extend(else_block.0);
    let mut else_vals = Vec::new();
    for (var, old) in merged.iter().zip(&old) {
        else_vals.push(if in_else.contains(var) { read(program, *var, span, out) } else { *old });
    }
    for ((var, t), e) in merged.iter().zip(then_vals).zip(else_vals) {
        let Some(def) = program.var(*var) else {
            continue;
        };
        let info = ValueInfo { label: Label::Private, dtype: def.dtype, shape: def.shape.clone(), witness: Some(cond) };
        let w = new_value(program, Op::Where(cond, t, e), info, span, out);
        out.push(Stmt::Assign { var: *var, value: w });
    }
}
