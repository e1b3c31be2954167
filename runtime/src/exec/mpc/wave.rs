//! A wave of the round-merging plan on one party (`mpcc_ir::schedule`): independent private
//! ops computed side by side by [`crate::merge::side_by_side`], their messages of each round
//! sent together.
//!
//! A member runs alone, before the others, when its operands here are not all public or private
//! (a value local to one party would be shared with a one-sided message first). What the wave
//! costs is counted on the span of its first merged member; the cost model does the same.

use super::machine::Machine;
use super::masks::MaskCache;
use super::ops::{planned_op, Counters, PoolOneHots};
use super::values::{local_shapes, mpc_err, share_local_as, Opd, Val};
use crate::error::{ErrorKind, RunError};
use crate::merge::{side_by_side, Task};
use crate::party::Party;
use crate::plain::Tensor;
use crate::share::Shared;
use mpcc_ir::{Op, ValueId};
use std::sync::Arc;

fn internal(msg: impl Into<String>) -> RunError {
    RunError::new(ErrorKind::Internal, msg)
}

/// Whether an op of a wave can share rounds given its operands' values here.
fn mergeable(op: &Op, operand: &dyn Fn(ValueId) -> Option<MergeOperand>) -> bool {
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

/// The members of a wave that share rounds, with their definitions.
pub(crate) type Members<'p> = Vec<(ValueId, &'p mpcc_ir::ValueDef)>;

/// A wave's members split into those that run alone (first, in order) and those that share
/// rounds (none when fewer than two can): `operand` says what each operand is here.
pub(crate) fn split_wave<'p>(
    program: &'p mpcc_ir::Program,
    ids: &[ValueId],
    operand: &dyn Fn(ValueId) -> Option<MergeOperand>,
) -> Result<(Vec<ValueId>, Members<'p>), RunError> {
    let (mut alone, mut merged) = (Vec::new(), Vec::new());
    for &id in ids {
        let def = program.value(id).ok_or_else(|| internal(format!("unknown value {id}")))?;
        if mergeable(&def.op, operand) {
            merged.push((id, def));
        } else {
            alone.push(id);
        }
    }
    if merged.len() < 2 {
        alone.extend(merged.drain(..).map(|(id, _)| id));
    }
    Ok((alone, merged))
}

/// The chains of a wave left once its shares are done: `share` gets the one-op chains (a share
/// is only ever a chain of its own), shares those it can in one batch and returns the others.
pub(crate) fn after_shares(
    chains: &[Vec<ValueId>],
    share: impl FnOnce(&[ValueId]) -> Result<Vec<ValueId>, RunError>,
) -> Result<Vec<&Vec<ValueId>>, RunError> {
    let singles: Vec<ValueId> = chains.iter().filter(|c| c.len() == 1).flatten().copied().collect();
    let kept = share(&singles)?;
    Ok(chains.iter().filter(|c| c.len() > 1 || c.first().is_some_and(|h| kept.contains(h))).collect())
}

/// The ops of a wave's chains that share rounds.
pub(crate) type Chains<'p> = Vec<Members<'p>>;

/// A wave's chains split into the ops that run alone (first, chain after chain) and the chains
/// that share rounds (none when fewer than two can). A chain runs alone when its first op cannot
/// share rounds (`split_wave`) or a later op reads a value neither public nor private here.
pub(crate) fn split_chains<'p>(
    program: &'p mpcc_ir::Program,
    chains: &[&Vec<ValueId>],
    operand: &dyn Fn(ValueId) -> Option<MergeOperand>,
) -> Result<(Vec<ValueId>, Chains<'p>), RunError> {
    let heads: Vec<ValueId> = chains.iter().filter_map(|c| c.first().copied()).collect();
    let (_, merged_heads) = split_wave(program, &heads, operand)?;
    let follows = |c: &[ValueId]| {
        c.iter().skip(1).all(|id| {
            program.value(*id).is_some_and(|d| {
                d.op.operands()
                    .iter()
                    .all(|o| c.contains(o) || matches!(operand(*o), Some(MergeOperand::Public | MergeOperand::Private)))
            })
        })
    };
    let mut merged: Chains<'p> = Vec::new();
    let mut solo: Vec<ValueId> = Vec::new();
    for c in chains {
        let head = c.first().copied();
        if merged_heads.iter().any(|(h, _)| Some(*h) == head) && follows(c) {
            let defs = c.iter().map(|&id| program.value(id).map(|d| (id, d))).collect::<Option<Vec<_>>>();
            merged.push(defs.ok_or_else(|| internal("unknown value in a wave"))?);
        } else {
            solo.extend(c.iter().copied());
        }
    }
    if merged.len() < 2 {
        // Every chain in order, each chain's ops after one another.
        solo = chains.iter().flat_map(|c| c.iter().copied()).collect();
        merged.clear();
    }
    Ok((solo, merged))
}

/// What [`mergeable`] needs to know of an operand.
pub(crate) enum MergeOperand {
    Public,
    Private,
    Local,
}

impl Val {
    fn merge_operand(&self) -> MergeOperand {
        match self {
            Val::Public(_) => MergeOperand::Public,
            Val::Private(_) => MergeOperand::Private,
            Val::Local { .. } => MergeOperand::Local,
        }
    }
}

/// The round-saving choices of a run (`RunConfig::merge_rounds`), for the executor and the cost
/// model alike: per value, its fold (`mpcc_ir::fold`: a truncation or a comparison left to its
/// consumer; comparisons only with the DCF, `mode`), and the matrix-mask cache when masks are
/// kept (only with a dealer: `masks`).
pub(crate) fn round_savings(
    program: &mpcc_ir::Program,
    cfg: &crate::exec::RunConfig,
    mode: crate::protocols::compare::CompareMode,
) -> (Vec<mpcc_ir::fold::Fold>, Option<MaskCache>) {
    if !cfg.merge_rounds {
        return (Vec::new(), None);
    }
    let masks = (cfg.preprocessing == crate::preprocessing::Preprocessing::Dealer).then(MaskCache::default);
    let fuse = masks.is_some();
    let folds = fuse && cfg.dealer_folds(mode);
    let lazy = folds && mode == crate::protocols::compare::CompareMode::Fss;
    (mpcc_ir::fold::plan(program, fuse, lazy, folds), masks)
}

/// The fold of `id` as planned, adjusted to what ran: a comparison's folds assume that their
/// operands ran on the private path (a lazy comparison holds a difference, a `Pair` a pair), but
/// operands local to one party run on that party's path and hold plain values. `held(v)`: `v`
/// holds shares computed on the private path. A `Select` whose comparison was not left lazy runs
/// as usual; a comparison whose pair operand is a plain value compares it as usual.
pub(crate) fn effective_fold(
    planned: &[mpcc_ir::fold::Fold],
    id: ValueId,
    held: &dyn Fn(ValueId) -> bool,
) -> mpcc_ir::fold::Fold {
    use mpcc_ir::fold::Fold;
    let pair_held = |x: Option<ValueId>| x.filter(|&x| held(x));
    match planned.get(id.index()).copied().unwrap_or_default() {
        Fold::Select { cond, form, pair } => {
            if held(cond) {
                Fold::Select { cond, form, pair: pair_held(pair) }
            } else {
                Fold::None
            }
        }
        Fold::Lazy { pair } => Fold::Lazy { pair: pair_held(pair) },
        Fold::Compare { pair } if !held(pair) => Fold::None,
        fold => fold,
    }
}

/// What a task returns: per op of its chain (up to the first that failed) the result and whether
/// it communicated, and the counters.
type Outcome = (Vec<(OpResult, bool)>, Counters);

/// One op's result in a wave's task: the share and, for a `Keep` mask plan, the mask to keep.
type OpResult = Result<(Shared, Option<crate::protocols::matmul::KeptMask>), RunError>;

/// The wave's members that share a value local to their source party: `(value, owner)`.
pub(crate) fn local_shares(
    program: &mpcc_ir::Program,
    ids: &[ValueId],
    owner_of: &dyn Fn(ValueId) -> Option<usize>,
) -> Vec<(ValueId, usize)> {
    ids.iter()
        .filter_map(|&id| match program.value(id).map(|d| &d.op) {
            Some(Op::Share { src, value }) => owner_of(*value).filter(|&o| o == src.index()).map(|o| (id, o)),
            _ => None,
        })
        .collect()
}

impl Machine<'_> {
    /// Shares the wave's local values when there are at least two, agreeing every shape the
    /// program does not know in one round (`values::local_shapes`); returns the other members.
    fn share_wave(&mut self, ids: &[ValueId]) -> Result<Vec<ValueId>, RunError> {
        let program = self.program;
        let values = &self.values;
        let owner_of = |v: ValueId| match values.get(v.index()) {
            Some(Some(Val::Local { owner, .. })) => Some(*owner),
            _ => None,
        };
        let shares = local_shares(program, ids, &owner_of);
        if shares.len() < 2 {
            return Ok(ids.to_vec());
        }
        let first_span = shares.first().and_then(|(id, _)| program.value(*id)).map(|d| d.span).unwrap_or_default();
        let before = self.counts();
        let mut items: Vec<(usize, Option<Tensor>, mpcc_ir::Shape)> = Vec::with_capacity(shares.len());
        for &(id, owner) in &shares {
            let Some(Op::Share { value, .. }) = program.value(id).map(|d| &d.op) else { continue };
            let data = match self.get(*value)? {
                Val::Local { data, .. } => data.clone(),
                _ => None,
            };
            items.push((owner, data, self.shape_info(*value)));
        }
        let refs: Vec<(usize, Option<&Tensor>, &mpcc_ir::Shape)> =
            items.iter().map(|(o, d, k)| (*o, d.as_ref(), k)).collect();
        let shapes = local_shapes(self.party, &refs).map_err(|e| e.with_span(first_span))?;
        for ((&(id, owner), (_, data, _)), shape) in shares.iter().zip(&items).zip(&shapes) {
            let def = program.value(id).ok_or_else(|| internal(format!("unknown value {id}")))?;
            let s = share_local_as(self.party, owner, data.as_ref(), shape).map_err(|e| e.with_span(def.span))?;
            let value = Val::Private(s);
            self.note_ident(id, def, &value, true);
            self.store(id, def, value);
        }
        self.count_since(first_span, before);
        Ok(ids.iter().filter(|id| !shares.iter().any(|(s, _)| s == *id)).copied().collect())
    }

    /// Computes a wave's values (see the module doc): its chains side by side, each chain's ops
    /// one after the other inside its task.
    pub(super) fn wave(&mut self, chains: &[Vec<ValueId>]) -> Result<(), RunError> {
        let program = self.program;
        let chains = after_shares(chains, |heads| self.share_wave(heads))?;
        let values = &self.values;
        let operand = |o: ValueId| values.get(o.index()).and_then(Option::as_ref).map(Val::merge_operand);
        let (solo, merged) = split_chains(program, &chains, &operand)?;
        solo.iter().try_for_each(|&id| self.eval_one(id))?;
        if merged.is_empty() {
            return Ok(());
        }
        let first_span = merged.first().and_then(|c| c.first()).map(|(_, d)| d.span).unwrap_or_default();
        let before = self.counts();
        // The mask plans of the chains' heads (their followers are never matrix products), in
        // chain order as the cost model decides them, before the operands are lent out.
        let plans: Vec<_> = merged.iter().map(|c| c.first().and_then(|(_, def)| self.mask_plan(&def.op))).collect();
        // Each chain's folds, read before the operands leave the value store.
        let mut folds = merged
            .iter()
            .map(|c| {
                let ids: Vec<ValueId> = c.iter().map(|(id, _)| *id).collect();
                ids.iter()
                    .enumerate()
                    .map(|(k, id)| self.fold_of(*id, ids.get(..k).unwrap_or_default()))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
            .into_iter();
        // The operands are lent to the tasks (moved out of the value store, shared, put back).
        let mut lent: Vec<(ValueId, Arc<Val>)> = Vec::new();
        for c in &merged {
            for (_, def) in c {
                for o in def.op.operands() {
                    if lent.iter().any(|(id, _)| *id == o) || c.iter().any(|(id, _)| *id == o) {
                        continue;
                    }
                    let v = self.values.get_mut(o.index()).and_then(Option::take);
                    let v = v.ok_or_else(|| internal(format!("operand {o} is not available")))?;
                    lent.push((o, Arc::new(v)));
                }
            }
        }
        let tasks: Vec<Task<Outcome>> = merged
            .iter()
            .zip(plans)
            .map(|(c, plan)| {
                let ops: Vec<(ValueId, Op, mpcc_ir::fold::Fold)> = c
                    .iter()
                    .zip(folds.next().unwrap_or_default())
                    .map(|((id, def), f)| (*id, def.op.clone(), f))
                    .collect();
                let reads: Vec<ValueId> = ops.iter().flat_map(|(_, op, _)| op.operands()).collect();
                let operands: Vec<(ValueId, Arc<Val>)> =
                    lent.iter().filter(|(id, _)| reads.contains(id)).cloned().collect();
                let task = move |party: &mut Party| {
                    let mut counters = Counters::default();
                    let mut pools = PoolOneHots::default();
                    // Earlier ops' results are read in place (results[k] is ops[k]'s).
                    let mut results: Vec<(OpResult, bool)> = Vec::with_capacity(ops.len());
                    let mut plan = plan;
                    for (_, op, fold) in &ops {
                        let get = |o: ValueId| -> Result<Opd<'_>, RunError> {
                            let earlier = ops.iter().zip(&results).find(|((m, ..), _)| *m == o);
                            if let Some((_, (Ok((s, _)), _))) = earlier {
                                return Ok(Opd::S(s));
                            }
                            match operands.iter().find(|(id, _)| *id == o).map(|(_, v)| v.as_ref()) {
                                Some(Val::Public(t)) => Ok(Opd::P(t)),
                                Some(Val::Private(s)) => Ok(Opd::S(s)),
                                _ => Err(internal(format!("operand {o} is not available"))),
                            }
                        };
                        let opened = party.protocol_stats().openings;
                        let r = planned_op(party, op, &get, plan.take().as_ref(), *fold, &mut counters, &mut pools);
                        let communicated = party.protocol_stats().openings != opened;
                        let failed = r.is_err();
                        results.push((r, communicated));
                        if failed {
                            break;
                        }
                    }
                    (results, counters)
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
        for (chain, (results, counters)) in merged.into_iter().zip(outcomes) {
            self.counters.comparisons += counters.comparisons;
            self.counters.private_ops += counters.private_ops;
            if results.len() != chain.len() && results.last().is_none_or(|(r, _)| r.is_ok()) {
                return Err(internal("a chain of a wave ended early"));
            }
            for ((id, def), (result, communicated)) in chain.into_iter().zip(results) {
                let (s, kept) = result
                    .map_err(|e| {
                        let dims = |v: ValueId| self.get(v).ok().and_then(super::machine::dims_of);
                        self.origins.explain(&def.op, e, dims)
                    })
                    .map_err(|e| e.with_span(def.span))?;
                self.keep_mask(kept);
                let value = Val::Private(s);
                self.note_ident(id, def, &value, communicated);
                self.store(id, def, value);
            }
        }
        Ok(())
    }
}
