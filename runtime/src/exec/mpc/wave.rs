//! A wave of the round-merging plan on one party (`mpcc_ir::schedule`): independent private
//! ops computed side by side by [`crate::merge::side_by_side`], their messages of each round
//! sent together.
//!
//! A member runs alone, before the others, when its operands here are not all public or private
//! (a value local to one party would be shared with a one-sided message first). What the wave
//! costs is counted on the span of its first merged member; the cost model does the same.

use super::machine::Machine;
use super::ops::{private_op, Counters, PoolOneHots};
use super::values::{mpc_err, Opd, Val};
use crate::error::{ErrorKind, RunError};
use crate::merge::{side_by_side, Task};
use crate::party::Party;
use crate::share::Shared;
use mpcc_ir::{Op, ValueId};
use std::sync::Arc;

fn internal(msg: impl Into<String>) -> RunError {
    RunError::new(ErrorKind::Internal, msg)
}

/// Whether an op of a wave can share rounds given its operands' values here.
pub(crate) fn mergeable(op: &Op, operand: &dyn Fn(ValueId) -> Option<MergeOperand>) -> bool {
    if matches!(op, Op::Var(_) | Op::Load { .. } | Op::Share { .. } | Op::Reveal(_) | Op::Shape(_)) {
        return false;
    }
    let mut private = false;
    for o in op.operands() {
        match operand(o) {
            Some(MergeOperand::Public) => {}
            Some(MergeOperand::Private) => private = true,
            _ => return false,
        }
    }
    private
}

/// What [`mergeable`] needs to know of an operand.
pub(crate) enum MergeOperand {
    Public,
    Private,
    Local,
}

type Outcome = (Result<Shared, RunError>, Counters);

impl Machine<'_> {
    /// Computes a wave's values (see the module doc).
    pub(super) fn wave(&mut self, ids: &[ValueId]) -> Result<(), RunError> {
        let program = self.program;
        let mut merged = Vec::with_capacity(ids.len());
        for &id in ids {
            let def = program.value(id).ok_or_else(|| internal(format!("unknown value {id}")))?;
            let values = &self.values;
            let operand = |o: ValueId| match values.get(o.index()) {
                Some(Some(Val::Public(_))) => Some(MergeOperand::Public),
                Some(Some(Val::Private(_))) => Some(MergeOperand::Private),
                Some(Some(Val::Local { .. })) => Some(MergeOperand::Local),
                _ => None,
            };
            if mergeable(&def.op, &operand) {
                merged.push((id, def));
            } else {
                self.eval_one(id)?;
            }
        }
        if merged.len() < 2 {
            return merged.iter().try_for_each(|(id, _)| self.eval_one(*id));
        }
        let first_span = merged.first().map(|(_, d)| d.span).unwrap_or_default();
        let before = self.counts();
        // The operands are lent to the tasks (moved out of the value store, shared, put back).
        let mut lent: Vec<(ValueId, Arc<Val>)> = Vec::new();
        for (_, def) in &merged {
            for o in def.op.operands() {
                if lent.iter().any(|(id, _)| *id == o) {
                    continue;
                }
                let v = self.values.get_mut(o.index()).and_then(Option::take);
                let v = v.ok_or_else(|| internal(format!("operand {o} is not available")))?;
                lent.push((o, Arc::new(v)));
            }
        }
        let tasks: Vec<Task<Outcome>> = merged
            .iter()
            .map(|(_, def)| {
                let op = def.op.clone();
                let operands: Vec<(ValueId, Arc<Val>)> =
                    lent.iter().filter(|(id, _)| op.operands().contains(id)).cloned().collect();
                let task = move |party: &mut Party| {
                    let get = |o: ValueId| -> Result<Opd<'_>, RunError> {
                        match operands.iter().find(|(id, _)| *id == o).map(|(_, v)| v.as_ref()) {
                            Some(Val::Public(t)) => Ok(Opd::P(t)),
                            Some(Val::Private(s)) => Ok(Opd::S(s)),
                            _ => Err(internal(format!("operand {o} is not available"))),
                        }
                    };
                    let mut counters = Counters::default();
                    let r = private_op(party, &op, &get, &mut counters, &mut PoolOneHots::default());
                    (r, counters)
                };
                Box::new(task) as Task<Outcome>
            })
            .collect();
        let outcomes = side_by_side(self.party, &mut self.merge_pool, tasks);
        // Every task has ended: the operands come back (a copy only if a task kept one).
        for (id, v) in lent {
            let v = Arc::try_unwrap(v).unwrap_or_else(|shared| (*shared).clone());
            if let Some(slot) = self.values.get_mut(id.index()) {
                *slot = Some(v);
            }
        }
        let outcomes = outcomes.map_err(|e| mpc_err(e).with_span(first_span))?;
        self.count_since(first_span, before);
        for ((id, def), (result, counters)) in merged.into_iter().zip(outcomes) {
            self.counters.comparisons += counters.comparisons;
            self.counters.private_ops += counters.private_ops;
            let s = result
                .map_err(|e| {
                    let dims = |v: ValueId| self.get(v).ok().and_then(super::machine::dims_of);
                    self.origins.explain(&def.op, e, dims)
                })
                .map_err(|e| e.with_span(def.span))?;
            self.store(id, def, Val::Private(s));
        }
        Ok(())
    }
}
