//! One party's walk over the IR in an MPC run: statements (control flow on public values only),
//! value storage, and the choice, per op, between the plaintext path (all operands public: every
//! party computes the same tensor), the local path (operands public or local to one party P:
//! P computes, the others hold nothing) and the private path (any private operand, or local
//! operands of different parties: locals are shared first, then [`super::ops`] runs).
//!
//! Openings happen only at `reveal` and `output`, each recorded in the [`AuditLog`].
//! `print` and `save` take public values and happen once (party 0; `save` once per distinct
//! data folder), so a simulated run's console looks like the plaintext engine's.

use super::audit::AuditLog;
use super::ops::{planned_op, Counters, PoolOneHots};
use super::values::{local_shape, mpc_err, share_local, Opd, Val};
use crate::error::{ErrorKind, RunError};
use crate::exec::eval::{self, non_finite};
use crate::exec::origin::{Origin, Origins};
use crate::exec::plain::operands;
use crate::exec::walk::{self, Walk};
use crate::exec::{Event, RunConfig};
use crate::format::format_tensor;
use crate::io;
use crate::party::Party;
use crate::plain::{construct, Tensor};
use crate::share::{reveal, reveal_to, share_from, Shared};
use mpcc_ir::{Op, PartyId, Program, Span, ValueDef, ValueId, VarId};
use std::collections::HashSet;
use std::path::PathBuf;

/// Where an op's operands put it.
enum Path3 {
    Public,
    Local(usize),
    Private,
}

/// One party's executor state.
pub struct Machine<'a> {
    pub program: &'a Program,
    pub cfg: &'a RunConfig,
    pub party: &'a mut Party,
    /// Receives every event with the number of the statement that made it.
    pub emit: &'a mut dyn FnMut(u64, Event),
    pub values: Vec<Option<Val>>,
    pub vars: Vec<Option<Val>>,
    pub seq: u64,
    pub warned: HashSet<ValueId>,
    pub audit: AuditLog,
    pub counters: Counters,
    /// Forward max-pool one-hots kept for the gradients that read them.
    pub pools: PoolOneHots,
    pub values_computed: u64,
    pub warnings: usize,
    pub files_written: Vec<PathBuf>,
    /// The data file each value came from, to name it in shape errors.
    pub origins: Origins,
    /// What each op or statement that communicated cost this party, by source span.
    pub by_span: std::collections::HashMap<Span, SpanCounts>,
    /// The round-merging plan of each block run so far.
    pub plans: crate::exec::walk::Plans,
    /// The threads that run a wave's ops side by side.
    pub merge_pool: crate::merge::Pool,
    /// Per value: its truncation is merged into its one consumer (`mpcc_ir::fold`).
    pub deferred: Vec<mpcc_ir::fold::Fold>,
    /// Per private value and variable: the identity of its shares (`masks`).
    pub idents: Vec<u64>,
    pub var_idents: Vec<u64>,
    pub next_ident: u64,
    /// Matrix masks kept for reuse; `None` when masks are not reused (no dealer, `--no-merge`).
    pub masks: Option<super::masks::MaskCache>,
}

/// What one source span cost one party: rounds, bytes sent, dealer bytes received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpanCounts {
    pub rounds: u64,
    pub bytes_sent: u64,
    pub dealer_bytes: u64,
}

/// A value's shape where this party knows it.
pub(super) fn dims_of(v: &Val) -> Option<Vec<usize>> {
    match v {
        Val::Public(t) | Val::Local { data: Some(t), .. } => Some(t.shape().to_vec()),
        Val::Private(s) => Some(s.shape().to_vec()),
        Val::Local { data: None, .. } => None,
    }
}

fn internal(msg: impl Into<String>) -> RunError {
    RunError::new(ErrorKind::Internal, msg)
}

impl Walk for Machine<'_> {
    fn program(&self) -> &Program {
        self.program
    }

    fn cfg(&self) -> &RunConfig {
        self.cfg
    }

    fn public(&self, id: ValueId, what: &str) -> Result<&Tensor, RunError> {
        Machine::public(self, id, what)
    }

    fn eval(&mut self, id: ValueId) -> Result<(), RunError> {
        Machine::eval_one(self, id)
    }

    fn plan(&mut self, block: &mpcc_ir::Block) -> Option<std::rc::Rc<Vec<mpcc_ir::schedule::Item>>> {
        self.cfg.merge_rounds.then(|| self.plans.get(self.program, block)).flatten()
    }

    fn eval_wave(&mut self, chains: &[Vec<ValueId>]) -> Result<(), RunError> {
        self.wave(chains)
    }

    fn assign(&mut self, var: VarId, value: ValueId) -> Result<(), RunError> {
        let v = self.get(value)?.clone();
        let slot = self.vars.get_mut(var.index()).ok_or_else(|| internal(format!("unknown variable #{}", var.0)))?;
        *slot = Some(v);
        let ident = self.idents.get(value.index()).copied().unwrap_or(0);
        if let Some(slot) = self.var_idents.get_mut(var.index()) {
            *slot = ident;
        }
        self.origins.on_assign(var, value);
        Ok(())
    }

    fn set_counter(&mut self, var: VarId, i: i64) {
        if let Some(slot) = self.vars.get_mut(var.index()) {
            *slot = Some(Val::Public(Tensor::from_elem(ndarray::IxDyn(&[]), i as f64)));
        }
    }

    /// Every party sees the line (a networked party prints it in its own terminal); the
    /// simulated engine keeps party 0's copy only.
    fn print_line(&mut self, text: String) {
        (self.emit)(self.seq, Event::Print { text });
    }

    fn save(&mut self, path: &str, value: ValueId, span: Span) -> Result<(), RunError> {
        let t = self.public(value, "save").map_err(|e| e.with_span(span))?;
        let me = self.me();
        let dirs = &self.cfg.data_dirs;
        // Party 0 always saves (an error if it has no folder); the others only into a folder no
        // lower rank writes.
        let first_with_dir =
            me == 0 || dirs.get(me).is_some_and(|d| dirs.get(..me).is_some_and(|lower| !lower.contains(d)));
        if first_with_dir {
            let dir = walk::data_dir(self.cfg, self.program, PartyId(me as u32), span)?;
            let name = self.program.party_name(PartyId(me as u32));
            let written = io::save(dir, path, t).map_err(|e| e.with_party(name).with_span(span))?;
            self.files_written.push(written);
        }
        Ok(())
    }

    fn output(&mut self, value: ValueId, to: PartyId, path: Option<&str>, span: Span) -> Result<(), RunError> {
        let before = self.counts();
        let result = self.output_value(value, to, path, span);
        self.count_since(span, before);
        result
    }

    fn before_stmt(&mut self) {
        self.seq += 1;
    }

    fn reports_progress(&self) -> bool {
        self.me() == 0
    }
}

impl<'a> Machine<'a> {
    pub fn new(
        program: &'a Program,
        cfg: &'a RunConfig,
        party: &'a mut Party,
        emit: &'a mut dyn FnMut(u64, Event),
    ) -> Machine<'a> {
        let (deferred, masks) = super::wave::round_savings(program, cfg, party.compare_mode());
        Machine {
            program,
            cfg,
            party,
            emit,
            values: vec![None; program.values.len()],
            vars: vec![None; program.vars.len()],
            seq: 0,
            warned: HashSet::new(),
            audit: AuditLog::default(),
            counters: Counters::default(),
            pools: PoolOneHots::for_program(program),
            values_computed: 0,
            warnings: 0,
            files_written: Vec::new(),
            origins: Origins::new(program.values.len(), program.vars.len()),
            by_span: Default::default(),
            plans: Default::default(),
            merge_pool: Default::default(),
            deferred,
            idents: vec![0; program.values.len()],
            var_idents: vec![0; program.vars.len()],
            next_ident: 0,
            masks,
        }
    }

    /// This party's counters now.
    pub(super) fn counts(&self) -> SpanCounts {
        let comm = self.party.comm_stats();
        SpanCounts {
            rounds: comm.rounds,
            bytes_sent: comm.bytes_sent,
            dealer_bytes: self.party.dealer_stats().bytes_received,
        }
    }

    /// Adds what was spent since `before` to `span`'s counts.
    pub(super) fn count_since(&mut self, span: Span, before: SpanCounts) {
        let now = self.counts();
        let delta = SpanCounts {
            rounds: now.rounds.saturating_sub(before.rounds),
            bytes_sent: now.bytes_sent.saturating_sub(before.bytes_sent),
            dealer_bytes: now.dealer_bytes.saturating_sub(before.dealer_bytes),
        };
        if delta != SpanCounts::default() {
            let slot = self.by_span.entry(span).or_default();
            slot.rounds += delta.rounds;
            slot.bytes_sent += delta.bytes_sent;
            slot.dealer_bytes += delta.dealer_bytes;
        }
    }

    pub fn run(&mut self) -> Result<(), RunError> {
        let body = &self.program.body;
        walk::block(self, body).map(|_| ())
    }

    fn me(&self) -> usize {
        self.party.id()
    }

    fn output_value(&mut self, value: ValueId, to: PartyId, path: Option<&str>, span: Span) -> Result<(), RunError> {
        let name = self.program.party_name(to);
        let known = self.shape_info(value);
        let opened: Option<Tensor> = match self.get(value)?.clone() {
            Val::Public(t) => (self.me() == to.index()).then_some(t),
            Val::Local { owner, data } if owner == to.index() => data,
            Val::Local { owner, data } => {
                let s = share_local(self.party, owner, data.as_ref(), &known).map_err(|e| e.with_span(span))?;
                self.open_to(value, &s, to, span)?
            }
            Val::Private(s) => self.open_to(value, &s, to, span)?,
        };
        if self.me() == to.index() {
            let t = opened.ok_or_else(|| internal("the output's party did not receive the value"))?;
            (self.emit)(self.seq, Event::Output { party: name.clone(), text: format_tensor(t.view(), self.cfg.print) });
            if let Some(path) = path {
                let dir = walk::data_dir(self.cfg, self.program, to, span)?;
                let written = io::save(dir, path, &t).map_err(|e| e.with_party(name).with_span(span))?;
                self.files_written.push(written);
            }
        }
        Ok(())
    }

    fn open_to(&mut self, value: ValueId, s: &Shared, to: PartyId, span: Span) -> Result<Option<Tensor>, RunError> {
        let name = self.program.party_name(to);
        self.audit.record(self.program, "output", &name, value, s.shape(), span);
        let opened = reveal_to(self.party, to.index(), s).map_err(|e| mpc_err(e).with_span(span))?;
        Ok(opened.map(|p| p.decode()))
    }

    pub(super) fn get(&self, id: ValueId) -> Result<&Val, RunError> {
        match self.values.get(id.index()) {
            Some(Some(v)) => Ok(v),
            _ => Err(internal(format!("value {id} is used before it is computed"))),
        }
    }

    /// A value that must be public here (print, save, conditions, bounds).
    fn public(&self, id: ValueId, what: &str) -> Result<&Tensor, RunError> {
        match self.get(id)? {
            Val::Public(t) => Ok(t),
            other => Err(internal(format!(
                "{what} of a {} value reached the MPC executor (the IR validator rejects this)",
                other.kind()
            ))),
        }
    }

    pub(super) fn shape_info(&self, id: ValueId) -> mpcc_ir::Shape {
        self.program.value(id).map_or(mpcc_ir::Shape::Unknown, |d| d.info.shape.clone())
    }

    pub(super) fn eval_one(&mut self, id: ValueId) -> Result<(), RunError> {
        let program = self.program;
        let def = program.value(id).ok_or_else(|| internal(format!("unknown value {id}")))?;
        let before = self.counts();
        let value = self
            .compute(id, def)
            .map_err(|e| {
                let dims = |v: ValueId| self.get(v).ok().and_then(dims_of);
                self.origins.explain(&def.op, e, dims)
            })
            .map_err(|e| e.with_span(def.span))?;
        // Rounds only: every party counts them alike (dealer bytes reach party 0 alone).
        let communicated = self.counts().rounds != before.rounds;
        self.count_since(def.span, before);
        self.note_ident(id, def, &value, communicated);
        self.store(id, def, value);
        Ok(())
    }

    /// Stores a computed value, with its origin.
    pub(super) fn store(&mut self, id: ValueId, def: &ValueDef, value: Val) {
        let program = self.program;
        let load = match &def.op {
            Op::Load { path, at } => {
                let party = at.unwrap_or(PartyId(self.me() as u32));
                let dir = self.cfg.data_dirs.get(party.index());
                let file = dir.and_then(|dir| io::resolve(dir, path).ok()).map(|(file, _)| file);
                file.map(|file| Origin { party: program.party_name(party), file })
            }
            _ => None,
        };
        self.origins.on_eval(id, &def.op, load);
        self.values_computed += 1;
        if let Some(slot) = self.values.get_mut(id.index()) {
            *slot = Some(value);
        }
    }

    /// A warning, once per value, emitted by `shown_by` only; an error under `strict_domains`.
    fn problem(&mut self, id: ValueId, span: Span, message: String, shown_by: usize) -> Result<(), RunError> {
        if self.cfg.strict_domains {
            return Err(RunError::new(ErrorKind::Domain, message).with_span(span));
        }
        if self.warned.insert(id) && self.me() == shown_by {
            self.warnings += 1;
            (self.emit)(self.seq, Event::Warning { span, message });
        }
        Ok(())
    }

    fn route(&self, op: &Op) -> Result<Path3, RunError> {
        let mut owner: Option<usize> = None;
        for o in operands(op) {
            match self.get(o)? {
                Val::Public(_) => {}
                Val::Private(_) => return Ok(Path3::Private),
                Val::Local { owner: p, .. } => match owner {
                    Some(q) if q != *p => return Ok(Path3::Private),
                    _ => owner = Some(*p),
                },
            }
        }
        Ok(owner.map_or(Path3::Public, Path3::Local))
    }

    fn compute(&mut self, id: ValueId, def: &ValueDef) -> Result<Val, RunError> {
        let f = self.party.fixed.frac_bits;
        match &def.op {
            Op::Var(var) => {
                return match self.vars.get(var.index()) {
                    Some(Some(v)) => Ok(v.clone()),
                    _ => {
                        let name = self.program.var(*var).map_or("?", |v| v.name.as_str());
                        Err(internal(format!("variable `{name}` is read before it is assigned")))
                    }
                }
            }
            Op::Load { path, at } => {
                let reader = at.map_or(self.me(), |p| p.index());
                if reader != self.me() {
                    return Ok(Val::Local { owner: reader, data: None });
                }
                let who = PartyId(reader as u32);
                let dir = walk::data_dir(self.cfg, self.program, who, def.span)?;
                let t = io::load_checked(dir, path, &self.program.party_name(who), &def.info.shape)?;
                return Ok(match at {
                    Some(_) => Val::Local { owner: reader, data: Some(t) },
                    None => Val::Public(t),
                });
            }
            Op::Share { src, value } => {
                let known = self.shape_info(*value);
                return match self.get(*value)?.clone() {
                    Val::Public(t) => {
                        let enc = (self.me() == src.index())
                            .then(|| super::values::encode(&t, f))
                            .transpose()?
                            .map(|p| p.data);
                        let s = share_from(self.party, src.index(), enc.as_ref(), t.shape(), f).map_err(mpc_err)?;
                        Ok(Val::Private(s))
                    }
                    Val::Local { owner, data } if owner == src.index() => {
                        Ok(Val::Private(share_local(self.party, owner, data.as_ref(), &known)?))
                    }
                    Val::Local { owner, .. } => {
                        Err(internal(format!("party {} shares a value local to party {owner}", src.0)))
                    }
                    Val::Private(s) => Ok(Val::Private(s)),
                };
            }
            Op::Reveal(x) => {
                let known = self.shape_info(*x);
                let s = match self.get(*x)?.clone() {
                    Val::Public(t) => return Ok(Val::Public(t)),
                    Val::Local { owner, data } => share_local(self.party, owner, data.as_ref(), &known)?,
                    Val::Private(s) => s,
                };
                self.audit.record(self.program, "reveal", "all", *x, s.shape(), def.span);
                let opened = reveal(self.party, &s).map_err(mpc_err)?;
                return Ok(Val::Public(opened.decode()));
            }
            Op::Shape(x) => {
                let known = self.shape_info(*x);
                let dims = match self.get(*x)?.clone() {
                    Val::Public(t) => t.shape().to_vec(),
                    Val::Private(s) => s.shape().to_vec(),
                    Val::Local { owner, data } => local_shape(self.party, owner, data.as_ref(), &known)?,
                };
                return Ok(Val::Public(construct::shape_of(&dims)));
            }
            _ => {}
        }
        match self.route(&def.op)? {
            Path3::Public => {
                let values = &self.values;
                let get = |o: ValueId| -> Result<&Tensor, RunError> {
                    match values.get(o.index()) {
                        Some(Some(Val::Public(t))) => Ok(t),
                        _ => Err(internal(format!("operand {o} is not public"))),
                    }
                };
                let (t, domain) = eval::compute(&def.op, &get)?;
                self.check(id, def, &t, domain, 0)?;
                Ok(Val::Public(t))
            }
            Path3::Local(owner) => {
                if owner != self.me() {
                    return Ok(Val::Local { owner, data: None });
                }
                let values = &self.values;
                let get = |o: ValueId| -> Result<&Tensor, RunError> {
                    match values.get(o.index()) {
                        Some(Some(Val::Public(t))) | Some(Some(Val::Local { data: Some(t), .. })) => Ok(t),
                        _ => Err(internal(format!("operand {o} is not held here"))),
                    }
                };
                let (t, domain) = eval::compute(&def.op, &get)?;
                self.check(id, def, &t, domain, owner)?;
                Ok(Val::Local { owner, data: Some(t) })
            }
            Path3::Private => {
                let fold = self.fold_of(id, &[]);
                let plan = self.mask_plan(&def.op);
                // Share the local operands first (in operand order, the same on every party).
                let mut shared: Vec<(ValueId, Shared)> = Vec::new();
                for o in operands(&def.op) {
                    if shared.iter().any(|(id, _)| *id == o) {
                        continue;
                    }
                    if let Val::Local { owner, data } = self.get(o)?.clone() {
                        let known = self.shape_info(o);
                        shared.push((o, share_local(self.party, owner, data.as_ref(), &known)?));
                    }
                }
                let values = &self.values;
                let shared = &shared;
                let get = |o: ValueId| -> Result<Opd<'_>, RunError> {
                    if let Some((_, s)) = shared.iter().find(|(id, _)| *id == o) {
                        return Ok(Opd::S(s));
                    }
                    match values.get(o.index()) {
                        Some(Some(Val::Public(t))) => Ok(Opd::P(t)),
                        Some(Some(Val::Private(s))) => Ok(Opd::S(s)),
                        _ => Err(internal(format!("operand {o} is not available"))),
                    }
                };
                let (s, kept) =
                    planned_op(self.party, &def.op, &get, plan.as_ref(), fold, &mut self.counters, &mut self.pools)?;
                self.keep_mask(kept);
                Ok(Val::Private(s))
            }
        }
    }

    /// The op's fold as this run can take it (`wave::effective_fold`). `earlier`: ops of the same
    /// chain computed before it (always on the private path).
    pub(crate) fn fold_of(&self, id: ValueId, earlier: &[ValueId]) -> mpcc_ir::fold::Fold {
        let held =
            |v: ValueId| earlier.contains(&v) || matches!(self.values.get(v.index()), Some(Some(Val::Private(_))));
        super::wave::effective_fold(&self.deferred, id, &held)
    }

    /// The plaintext engine's domain and non-finite checks, shown by party `shown_by`.
    fn check(
        &mut self,
        id: ValueId,
        def: &ValueDef,
        t: &Tensor,
        domain: Option<String>,
        shown_by: usize,
    ) -> Result<(), RunError> {
        if let Some(message) = domain {
            return self.problem(id, def.span, message, shown_by);
        }
        if matches!(def.op, Op::Const(_)) {
            return Ok(());
        }
        let finite = operands(&def.op).iter().all(|&o| match self.values.get(o.index()) {
            Some(Some(Val::Public(x))) | Some(Some(Val::Local { data: Some(x), .. })) => {
                x.iter().all(|v| v.is_finite())
            }
            _ => true,
        });
        if let Some(message) = non_finite(t, finite) {
            self.problem(id, def.span, message, shown_by)?;
        }
        Ok(())
    }
}
