//! The round-merging schedule: an order for a block's straight-line statements in which
//! independent private operations run together, so that their openings share rounds.
//!
//! A *segment* is a maximal run of `Eval` and `Assign` statements (control flow, `print`, `save`,
//! `output` and `reveal` end one, so openings stay in program order). Within a segment the statements form a dependency graph: an `Eval`
//! depends on the evaluations of its operands and, for a variable read, on the assignment it
//! reads; an `Assign` depends on its value and on every earlier read and assignment of its
//! variable (and an evaluation on every earlier reader of the value it replaces). The plan lists
//! the statements level by level: first every statement that is ready and does not communicate,
//! then every ready *mergeable* private operation as one [`Item::Wave`]. An executor runs the
//! members of a wave side by side and sends their messages of the same round together, so a wave
//! costs the rounds of its longest member instead of the sum.
//!
//! Chains: when every op of the next wave would depend (within the segment) only on statements
//! run before this wave and on one member of it, each is appended to that member's chain (or
//! starts a chain of its own) and runs in this wave, right after it. A chain of a 1-round op and
//! its 1-round consumer beside a 2-round op then takes 2 rounds, not 3; and since the whole next
//! wave joins, the wave never takes longer than the two did.
//!
//! Mergeable: a `share` of a party's value (the shapes the other parties need travel in one
//! message for the whole wave), or a private value whose operands are all public or private (no value local to one
//! party, which the executor would share first with a one-sided message) and whose op is not a
//! max-pool or its gradient (those keep state between the forward and backward ops). Which ops
//! communicate is decided conservatively: an op listed as communicating that turns out free just
//! takes part in a wave without rounds. Every order the plan gives respects the dependencies, so
//! an executor that runs it (or ignores it) computes the same values.

use crate::{Block, Label, Op, PoolOp, Program, ReduceOp, Stmt, ValueId, VarId};
use std::collections::HashMap;

/// One step of a block's plan: a statement of the block (by index), or a wave of independent
/// *chains* of private `Eval`s (statement indices) to run together: the chains side by side, the
/// statements of one chain one after the other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Stmt(usize),
    Wave(Vec<Vec<usize>>),
}

/// How a statement takes part in the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Local work only (public or local values, private linear ops, assignments).
    Free,
    /// A private op that may communicate and may run in a wave.
    Merge,
    /// Communicates but runs alone (sharing, revealing, local operands, pooling state).
    Solo,
    /// Not part of a segment (control flow and effects).
    Barrier,
}

/// Whether a private op may communicate. Errs on the side of `true`.
fn may_communicate(op: &Op) -> bool {
    !matches!(
        op,
        Op::Const(_)
            | Op::Var(_)
            | Op::Binary(crate::BinaryOp::Add | crate::BinaryOp::Sub, ..)
            | Op::Unary(crate::UnaryOp::Neg, _)
            | Op::Reduce { op: ReduceOp::Sum, .. }
            | Op::Shape(_)
            | Op::Reshape { .. }
            | Op::SumTo { .. }
            | Op::Transpose(_)
            | Op::Flatten { .. }
            | Op::Cat { .. }
            | Op::Stack { .. }
            | Op::Index { .. }
    )
}

fn kind(program: &Program, stmt: &Stmt) -> Kind {
    let id = match stmt {
        Stmt::Eval(id) => *id,
        Stmt::Assign { .. } => return Kind::Free,
        _ => return Kind::Barrier,
    };
    let Some(def) = program.value(id) else { return Kind::Solo };
    // A reveal keeps its place: openings happen in program order.
    if matches!(def.op, Op::Reveal(_)) {
        return Kind::Barrier;
    }
    if def.info.label != Label::Private {
        return Kind::Free;
    }
    match &def.op {
        // Shares of one wave send the shapes the program does not know in one message.
        Op::Share { .. } => Kind::Merge,
        Op::Load { .. } => Kind::Solo,
        Op::Pool2d { op: PoolOp::Max, .. } | Op::Pool2dGrad { op: PoolOp::Max, .. } => Kind::Solo,
        op if !may_communicate(op) => Kind::Free,
        op => {
            let local_operand =
                op.operands().iter().any(|o| program.value(*o).is_none_or(|d| matches!(d.info.label, Label::Local(_))));
            if local_operand {
                Kind::Solo
            } else {
                Kind::Merge
            }
        }
    }
}

/// Whether `stmt` is a private op that may communicate (in a wave or alone).
pub fn communicates(program: &Program, stmt: &Stmt) -> bool {
    matches!(kind(program, stmt), Kind::Merge | Kind::Solo)
        || matches!(stmt, Stmt::Eval(id) if program.value(*id).is_some_and(|d| matches!(d.op, Op::Reveal(_))))
}

/// The plan of `block`: every statement index exactly once, segments reordered by level with
/// waves of mergeable ops. A block without two independent mergeable ops keeps its order.
pub fn plan(program: &Program, block: &Block) -> Vec<Item> {
    let stmts = &block.0;
    let kinds: Vec<Kind> = stmts.iter().map(|s| kind(program, s)).collect();
    let mut items = Vec::with_capacity(stmts.len());
    let mut start = 0;
    while start < stmts.len() {
        if kinds.get(start) == Some(&Kind::Barrier) {
            items.push(Item::Stmt(start));
            start += 1;
            continue;
        }
        let end = (start..stmts.len()).find(|&i| kinds.get(i) == Some(&Kind::Barrier)).unwrap_or(stmts.len());
        plan_segment(program, stmts, &kinds, start, end, &mut items);
        start = end;
    }
    items
}

/// The values a statement reads and the variable or value it defines.
fn reads_writes(program: &Program, stmt: &Stmt) -> (Vec<Slot>, Option<Slot>) {
    match stmt {
        Stmt::Eval(id) => {
            let mut reads: Vec<Slot> = Vec::new();
            if let Some(def) = program.value(*id) {
                if let Op::Var(v) = &def.op {
                    reads.push(Slot::Var(*v));
                }
                reads.extend(def.op.operands().into_iter().map(Slot::Value));
            }
            (reads, Some(Slot::Value(*id)))
        }
        Stmt::Assign { var, value } => (vec![Slot::Value(*value)], Some(Slot::Var(*var))),
        _ => (Vec::new(), None),
    }
}

/// A storage slot statements read and write: a value or a variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Slot {
    Value(ValueId),
    Var(VarId),
}

fn plan_segment(program: &Program, stmts: &[Stmt], kinds: &[Kind], start: usize, end: usize, items: &mut Vec<Item>) {
    let n = end - start;
    // deps[i]: the segment statements (relative indices) that must run before statement i.
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut last_write: HashMap<Slot, usize> = HashMap::new();
    let mut readers: HashMap<Slot, Vec<usize>> = HashMap::new();
    for (i, stmt) in stmts.iter().enumerate().take(end).skip(start) {
        let rel = i - start;
        let (reads, write) = reads_writes(program, stmt);
        let Some(d) = deps.get_mut(rel) else { continue };
        for r in &reads {
            if let Some(&w) = last_write.get(r) {
                d.push(w);
            }
        }
        if let Some(w) = write {
            if let Some(&prev) = last_write.get(&w) {
                d.push(prev);
            }
            if let Some(rs) = readers.remove(&w) {
                d.extend(rs.into_iter().filter(|&r| r != rel));
            }
            last_write.insert(w, rel);
        }
        for r in reads {
            readers.entry(r).or_default().push(rel);
        }
    }
    let mut done = vec![false; n];
    let mut left = n;
    let ready = |i: usize, done: &[bool]| deps.get(i).is_some_and(|d| d.iter().all(|&j| done.get(j) == Some(&true)));
    let kind_of = |i: usize| kinds.get(start + i).copied().unwrap_or(Kind::Solo);
    // Ops that may follow another in a chain: not a share (shared in a batch of their own) and
    // not a matrix product (its mask plan is decided before the wave runs).
    let chainable = |i: usize| {
        matches!(stmts.get(start + i), Some(Stmt::Eval(id))
            if program.value(*id).is_some_and(|d| d.info.label == Label::Private
                && !matches!(d.op, Op::Share { .. } | Op::MatMul(..) | Op::Var(_))))
    };
    while left > 0 {
        // Everything free that is ready, repeatedly, in block order.
        let mut progressed = true;
        while progressed {
            progressed = false;
            for i in 0..n {
                if !done[i] && kind_of(i) == Kind::Free && ready(i, &done) {
                    done[i] = true;
                    left -= 1;
                    items.push(Item::Stmt(start + i));
                    progressed = true;
                }
            }
        }
        // Then one statement that communicates alone, if one is ready; else the ready wave.
        if let Some(i) = (0..n).find(|&i| !done[i] && kind_of(i) == Kind::Solo && ready(i, &done)) {
            done[i] = true;
            left -= 1;
            items.push(Item::Stmt(start + i));
            continue;
        }
        let wave: Vec<usize> = (0..n).filter(|&i| !done[i] && kind_of(i) == Kind::Merge && ready(i, &done)).collect();
        match wave.as_slice() {
            [] => {
                // Unreachable for a well-formed block; keep the rest in block order.
                for (i, d) in done.iter_mut().enumerate() {
                    if !*d {
                        *d = true;
                        items.push(Item::Stmt(start + i));
                    }
                }
                left = 0;
            }
            [one] => {
                done[*one] = true;
                left -= 1;
                items.push(Item::Stmt(start + one));
            }
            _ => {
                let before = done.clone();
                for &i in &wave {
                    done[i] = true;
                }
                left -= wave.len();
                let mut chains: Vec<Vec<usize>> = wave.iter().map(|&i| vec![i]).collect();
                left -= extend_chains(&deps, &kind_of, &chainable, &before, &mut done, &mut chains);
                items
                    .push(Item::Wave(chains.into_iter().map(|c| c.into_iter().map(|i| start + i).collect()).collect()));
            }
        }
    }
}

/// Appends the next waves to `chains` (see the module doc) while every op of the next wave can
/// join: it depends only on statements done `before` the wave and on one chain. Local private
/// ops in between (a transpose, a sum) that depend on one chain join it too, so that the next
/// wave's ops can. Nothing joins when a next-wave op needs anything else that runs after the
/// wave (an assignment, a public computation). Returns how many statements joined (marked in
/// `done`).
fn extend_chains(
    deps: &[Vec<usize>],
    kind_of: &dyn Fn(usize) -> Kind,
    chainable: &dyn Fn(usize) -> bool,
    before: &[bool],
    done: &mut [bool],
    chains: &mut Vec<Vec<usize>>,
) -> usize {
    let n = done.len();
    let ready = |i: usize, done: &[bool]| deps.get(i).is_some_and(|d| d.iter().all(|&j| done.get(j) == Some(&true)));
    // The chain `i` would join: the one it depends on (outside `before`), if only one.
    let owner = |i: usize, chains: &[Vec<usize>]| -> Option<Option<usize>> {
        let mut owner = None;
        for &d in deps.get(i).map(Vec::as_slice).unwrap_or_default() {
            if before.get(d) == Some(&true) {
                continue;
            }
            match chains.iter().position(|c| c.contains(&d)) {
                Some(c) if owner.is_none_or(|o| o == c) => owner = Some(c),
                _ => return None,
            }
        }
        Some(owner)
    };
    let mut joined = 0;
    loop {
        let mut trial = chains.clone();
        let mut sim = done.to_vec();
        let mut added = Vec::new();
        // Local private ops that hang off one chain join it (repeatedly).
        let mut progressed = true;
        while progressed {
            progressed = false;
            for i in 0..n {
                if sim.get(i) == Some(&false) && kind_of(i) == Kind::Free && chainable(i) && ready(i, &sim) {
                    if let Some(Some(c)) = owner(i, &trial) {
                        if let Some(chain) = trial.get_mut(c) {
                            chain.push(i);
                        }
                        if let Some(d) = sim.get_mut(i) {
                            *d = true;
                        }
                        added.push(i);
                        progressed = true;
                    }
                }
            }
        }
        // The rest that becomes ready (assignments, public work) runs after the wave, as before;
        // a next-wave op that needs any of it cannot join (its owner is not a chain).
        progressed = true;
        while progressed {
            progressed = false;
            for i in 0..n {
                if sim.get(i) == Some(&false) && kind_of(i) == Kind::Free && ready(i, &sim) {
                    if let Some(d) = sim.get_mut(i) {
                        *d = true;
                    }
                    progressed = true;
                }
            }
        }
        let next: Vec<usize> =
            (0..n).filter(|&i| sim.get(i) == Some(&false) && kind_of(i) == Kind::Merge && ready(i, &sim)).collect();
        if next.is_empty() {
            return joined;
        }
        let mut placed = Vec::with_capacity(next.len());
        for &x in &next {
            match owner(x, &trial) {
                Some(o) if chainable(x) => placed.push((x, o)),
                _ => return joined,
            }
        }
        for (x, o) in placed {
            match o.and_then(|c| trial.get_mut(c)) {
                Some(chain) => chain.push(x),
                None => trial.push(vec![x]),
            }
            added.push(x);
        }
        for &i in &added {
            if let Some(d) = done.get_mut(i) {
                *d = true;
            }
        }
        joined += added.len();
        *chains = trial;
    }
}

/// Every block of `program` with its plan, outermost first (for display and tests).
pub fn plans(program: &Program) -> Vec<(&Block, Vec<Item>)> {
    let mut out = Vec::new();
    collect(program, &program.body, &mut out);
    out
}

fn collect<'p>(program: &'p Program, block: &'p Block, out: &mut Vec<(&'p Block, Vec<Item>)>) {
    out.push((block, plan(program, block)));
    for s in &block.0 {
        for inner in s.blocks() {
            collect(program, inner, out);
        }
    }
}
