//! The cost model's walk over the IR: the statement walker of `exec::walk` over a value store
//! where public values are real tensors (computed with the public evaluator, so loop bounds and
//! conditions are exact), values local to one party are tensors of the right shape (zeros
//! unless the run reads data in full) and private values are only a shape and a fixed-point
//! scale. Per op it routes as the secure executor's `Machine` does (public, local, private;
//! local operands shared first) and counts the private path with [`super::ops`].
//!
//! A value opened by `reveal` is known only in shape. Where the walk needs its contents (a
//! condition, a loop bound, a shape argument, a multiplier whose integrality matters) it stops
//! and says so ([`Model::needs`]); the caller may then walk again with `plain` set, carrying
//! every private value's plaintext alongside (from the data files read in full).

use super::meter::{Cost, Meter};
use super::ops::{masked_matmul, private_op, raw_product, Md, Operands, Pools, Sh};
use crate::error::{ErrorKind, RunError};
use crate::exec::eval;
use crate::exec::mpc::masks::MaskCache;
use crate::exec::mpc::values::known_shape;
use crate::exec::mpc::wave::{after_shares, local_shares, round_savings, split_chains, MergeOperand};
use crate::exec::walk::{self, Walk};
use crate::exec::RunConfig;
use crate::io;
use crate::plain::{construct, Tensor};
use mpcc_ir::{BinaryOp, IndexItem, Op, PartyId, Program, Shape, Span, ValueDef, ValueId, VarId};
use std::cell::RefCell;
use std::collections::HashMap;

/// One value as the model holds it.
#[derive(Clone, Debug)]
enum MVal {
    /// `known`: the contents are the real ones (false for what a `reveal` opened, and what was
    /// computed from it, when the run does not follow the plaintext).
    Public { t: Tensor, known: bool },
    /// Held by `owner`; `t` has the real shape (and the real contents with `plain`).
    Local { owner: usize, t: Tensor },
    /// Shares: shape and scale; `ident` names the shares (equal idents, equal shares); `plain`
    /// holds the plaintext when the walk follows it.
    Private { sh: Sh, ident: u64, plain: Option<Tensor> },
}

impl MVal {
    /// As `exec::mpc::wave` sees the executor's value.
    fn merge_operand(&self) -> MergeOperand {
        match self {
            MVal::Public { .. } => MergeOperand::Public,
            MVal::Private { .. } => MergeOperand::Private,
            MVal::Local { .. } => MergeOperand::Local,
        }
    }
}

/// The walk's state.
pub struct Model<'a> {
    program: &'a Program,
    cfg: &'a RunConfig,
    meter: Meter,
    /// Follow the plaintext (data files read in full): every revealed value is known.
    plain: bool,
    values: Vec<Option<MVal>>,
    vars: Vec<Option<MVal>>,
    pools: Pools,
    next_ident: u64,
    /// The cost of each op or statement that communicates, by source span.
    pub by_span: HashMap<Span, Cost>,
    /// The rounds in the order they happen: each op or statement that communicates with its
    /// rounds (consecutive entries of one span merged).
    pub schedule: Vec<(Span, u64)>,
    /// The waves that merged rounds: the first member's span and the others' (each wave once).
    pub side_by_side: Vec<(Span, Vec<Span>)>,
    /// Why the walk stopped for want of a revealed value's contents.
    pub needs: RefCell<Option<String>>,
    /// The round-merging plan of each block walked so far.
    plans: crate::exec::walk::Plans,
    /// Per value: its truncation is merged into its one consumer (`mpcc_ir::fold`).
    deferred: Vec<mpcc_ir::fold::Fold>,
    /// The matrix masks the executor would keep (`exec::mpc::masks`); `None` when it keeps none.
    masks: Option<MaskCache>,
}

fn internal(msg: impl Into<String>) -> RunError {
    RunError::new(ErrorKind::Internal, msg)
}

fn zeros(dims: &[usize]) -> Tensor {
    construct::zeros(dims)
}

/// The operands whose contents decide a shape, an index or a count.
fn shape_operands(op: &Op) -> Vec<ValueId> {
    match op {
        Op::Zeros { shape } | Op::Ones { shape } | Op::Rand { shape, .. } | Op::Randn { shape, .. } => vec![*shape],
        Op::Eye { n } => vec![*n],
        Op::OneHot { classes, .. } => vec![*classes],
        Op::Reshape { shape, .. } | Op::SumTo { shape, .. } => vec![*shape],
        Op::Conv2dGradX { x_shape, .. } => vec![*x_shape],
        Op::Conv2dGradW { w_shape, .. } => vec![*w_shape],
        Op::Index { items, .. } => items
            .iter()
            .flat_map(|item| match item {
                IndexItem::At(i) => vec![*i],
                IndexItem::Slice { start, end } => start.iter().chain(end.iter()).copied().collect(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a private op's cost depends on the contents of its public operands (a multiplier's
/// integrality, a divisor's value).
fn reads_public_values(op: &Op) -> bool {
    matches!(
        op,
        Op::Binary(BinaryOp::Mul | BinaryOp::Div, ..)
            | Op::MatMul(..)
            | Op::Where(..)
            | Op::CrossEntropy { .. }
            | Op::Conv2d { .. }
            | Op::Conv2dGradX { .. }
            | Op::Conv2dGradW { .. }
    )
}

impl Walk for Model<'_> {
    fn program(&self) -> &Program {
        self.program
    }

    fn cfg(&self) -> &RunConfig {
        self.cfg
    }

    fn public(&self, id: ValueId, what: &str) -> Result<&Tensor, RunError> {
        match self.get(id)? {
            Val2 { t, known: true } => Ok(t),
            // `print` shows it, which costs nothing.
            Val2 { t, known: false } if what == "print" => Ok(t),
            Val2 { .. } => Err(self.need(format!("{what} depends on a revealed value"))),
        }
    }

    fn eval(&mut self, id: ValueId) -> Result<(), RunError> {
        let def = self.program.value(id).ok_or_else(|| internal(format!("unknown value {id}")))?;
        let value = self.compute(id, def).map_err(|e| e.with_span(def.span))?;
        self.record(def.span);
        if let Some(slot) = self.values.get_mut(id.index()) {
            *slot = Some(value);
        }
        Ok(())
    }

    fn plan(&mut self, block: &mpcc_ir::Block) -> Option<std::rc::Rc<Vec<mpcc_ir::schedule::Item>>> {
        self.cfg.merge_rounds.then(|| self.plans.get(self.program, block)).flatten()
    }

    /// As the executor's wave (`exec::mpc::wave`): chains that cannot share rounds are walked
    /// alone first; the others cost the rounds of the longest chain (a chain's ops one after
    /// the other) and the sum of the bytes, counted on the first merged op's span.
    fn eval_wave(&mut self, chains: &[Vec<ValueId>]) -> Result<(), RunError> {
        let chains = after_shares(chains, |heads| self.share_wave(heads))?;
        let values = &self.values;
        let operand = |o: ValueId| values.get(o.index()).and_then(Option::as_ref).map(MVal::merge_operand);
        let (solo, merged) = split_chains(self.program, &chains, &operand)?;
        solo.iter().try_for_each(|&id| self.eval(id))?;
        if merged.is_empty() {
            return Ok(());
        }
        let mut wave = Cost::zero(self.meter.n);
        let mut spans: Vec<Span> = Vec::new();
        for chain in &merged {
            let mut cost = Cost::zero(self.meter.n);
            for &(id, def) in chain {
                let value = self.compute(id, def).map_err(|e| e.with_span(def.span))?;
                if let Some(slot) = self.values.get_mut(id.index()) {
                    *slot = Some(value);
                }
                cost.add(&self.meter.take());
                spans.push(def.span);
            }
            wave.beside(&cost);
        }
        let first = spans.first().copied().unwrap_or_default();
        self.note_side_by_side(&spans);
        self.meter.cost = wave;
        self.record(first);
        Ok(())
    }

    fn assign(&mut self, var: VarId, value: ValueId) -> Result<(), RunError> {
        let v = self.val(value)?.clone();
        let slot = self.vars.get_mut(var.index()).ok_or_else(|| internal(format!("unknown variable #{}", var.0)))?;
        *slot = Some(v);
        Ok(())
    }

    fn set_counter(&mut self, var: VarId, i: i64) {
        if let Some(slot) = self.vars.get_mut(var.index()) {
            *slot = Some(MVal::Public { t: Tensor::from_elem(ndarray::IxDyn(&[]), i as f64), known: true });
        }
    }

    fn print_line(&mut self, _text: String) {}

    fn save(&mut self, _path: &str, _value: ValueId, _span: Span) -> Result<(), RunError> {
        Ok(())
    }

    fn output(&mut self, value: ValueId, to: PartyId, _path: Option<&str>, span: Span) -> Result<(), RunError> {
        let known = self.shape_info(value);
        match self.val(value)?.clone() {
            MVal::Public { .. } => {}
            MVal::Local { owner, .. } if owner == to.index() => {}
            MVal::Local { owner, t } => {
                self.share_local(owner, t.shape(), &known).map_err(|e| e.with_span(span))?;
                self.meter.open_to(to.index(), t.len());
            }
            MVal::Private { sh, .. } => self.meter.open_to(to.index(), sh.len()),
        }
        self.record(span);
        Ok(())
    }

    fn reports_progress(&self) -> bool {
        false
    }
}

/// A public value's contents and whether they are the real ones (what [`Walk::public`] reads).
struct Val2<'t> {
    t: &'t Tensor,
    known: bool,
}

impl<'a> Model<'a> {
    /// The correlated randomness the walk asked for so far.
    pub fn correlations(&self) -> crate::dealer::DealerStats {
        self.meter.needs
    }

    pub fn new(program: &'a Program, cfg: &'a RunConfig, meter: Meter, plain: bool) -> Model<'a> {
        let wanted = crate::exec::mpc::ops::PoolOneHots::for_program(program).wanted;
        let (deferred, masks) = round_savings(program, cfg, meter.mode);
        Model {
            program,
            cfg,
            meter,
            plain,
            values: vec![None; program.values.len()],
            vars: vec![None; program.vars.len()],
            pools: Pools { wanted, kept: HashMap::new() },
            next_ident: 0,
            by_span: HashMap::new(),
            schedule: Vec::new(),
            side_by_side: Vec::new(),
            needs: RefCell::new(None),
            plans: Default::default(),
            deferred,
            masks,
        }
    }

    /// Walks the program.
    pub fn run(&mut self) -> Result<(), RunError> {
        let body = &self.program.body;
        walk::block(self, body).map(|_| ())
    }

    /// As the executor's `share_wave`: two or more shares of local values agree the shapes the
    /// program does not know in one round; returns the other members.
    fn share_wave(&mut self, ids: &[ValueId]) -> Result<Vec<ValueId>, RunError> {
        let values = &self.values;
        let owner_of = |v: ValueId| match values.get(v.index()) {
            Some(Some(MVal::Local { owner, .. })) => Some(*owner),
            _ => None,
        };
        let shares = local_shares(self.program, ids, &owner_of);
        if shares.len() < 2 {
            return Ok(ids.to_vec());
        }
        let f = self.meter.f;
        let mut messages = Vec::new();
        let mut made = Vec::with_capacity(shares.len());
        for &(id, owner) in &shares {
            let def = self.program.value(id).ok_or_else(|| internal(format!("unknown value {id}")))?;
            let Op::Share { value, .. } = &def.op else { continue };
            let MVal::Local { t, .. } = self.val(*value)?.clone() else { continue };
            if known_shape(Some(t.shape()), &self.shape_info(*value)).map_err(|e| e.with_span(def.span))?.is_none() {
                messages.push((owner, t.ndim()));
            }
            made.push((id, t));
        }
        self.meter.shape_messages(&messages);
        for (id, t) in made {
            let ident = self.fresh();
            let sh = Sh { dims: t.shape().to_vec(), scale: f };
            let plain = self.plain.then_some(t);
            if let Some(slot) = self.values.get_mut(id.index()) {
                *slot = Some(MVal::Private { sh, ident, plain });
            }
        }
        let spans: Vec<Span> = shares.iter().filter_map(|(id, _)| self.program.value(*id)).map(|d| d.span).collect();
        let first = spans.first().copied().unwrap_or_default();
        self.note_side_by_side(&spans);
        self.record(first);
        Ok(ids.iter().filter(|id| !shares.iter().any(|(s, _)| s == *id)).copied().collect())
    }

    /// Notes that the ops at `spans` ran side by side (counted on the first), once per wave.
    fn note_side_by_side(&mut self, spans: &[Span]) {
        if let Some((first, others)) = spans.split_first() {
            if !self.side_by_side.iter().any(|(f, o)| f == first && o.as_slice() == others) {
                self.side_by_side.push((*first, others.to_vec()));
            }
        }
    }

    fn need(&self, why: String) -> RunError {
        let err = RunError::new(ErrorKind::Config, format!("the cost depends on private data: {why}"));
        self.needs.borrow_mut().get_or_insert(why);
        err
    }

    fn record(&mut self, span: Span) {
        let cost = self.meter.take();
        if cost.rounds > 0 {
            match self.schedule.last_mut() {
                Some((last, rounds)) if *last == span => *rounds += cost.rounds,
                _ => self.schedule.push((span, cost.rounds)),
            }
        }
        if !cost.is_zero() {
            self.by_span.entry(span).or_insert_with(|| Cost::zero(self.meter.n)).add(&cost);
        }
    }

    fn fresh(&mut self) -> u64 {
        self.next_ident += 1;
        self.next_ident
    }

    fn val(&self, id: ValueId) -> Result<&MVal, RunError> {
        match self.values.get(id.index()) {
            Some(Some(v)) => Ok(v),
            _ => Err(internal(format!("value {id} is used before it is computed"))),
        }
    }

    fn get(&self, id: ValueId) -> Result<Val2<'_>, RunError> {
        match self.val(id)? {
            MVal::Public { t, known } => Ok(Val2 { t, known: *known }),
            _ => Err(internal(format!("a non-public value {id} where a public one is needed"))),
        }
    }

    fn shape_info(&self, id: ValueId) -> Shape {
        self.program.value(id).map_or(Shape::Unknown, |d| d.info.shape.clone())
    }

    /// `values::share_local`'s communication: the shape message when the program does not know
    /// the shape (sharing itself is free).
    fn share_local(&mut self, owner: usize, dims: &[usize], known: &Shape) -> Result<(), RunError> {
        if known_shape(Some(dims), known)?.is_none() {
            self.meter.shape_message(owner, dims.len());
        }
        Ok(())
    }

    /// Fails when an operand that decides a shape (or, for `values`, any public operand) is a
    /// revealed value whose contents are not known.
    fn check_known(&self, def: &ValueDef, ids: &[ValueId]) -> Result<(), RunError> {
        for &o in ids {
            if let Some(MVal::Public { known: false, .. }) = self.values.get(o.index()).and_then(Option::as_ref) {
                return Err(self.need(format!("`{}` reads a revealed value", def.op.name())));
            }
        }
        Ok(())
    }

    fn load(&mut self, def: &ValueDef, path: &str, at: Option<PartyId>) -> Result<MVal, RunError> {
        let who = at.unwrap_or(PartyId(0));
        let dir = walk::data_dir(self.cfg, self.program, who, def.span)?;
        let name = self.program.party_name(who);
        let Some(owner) = at else {
            let t = io::load_checked(dir, path, &name, &def.info.shape)?;
            return Ok(MVal::Public { t, known: true });
        };
        let t = if self.plain {
            io::load_checked(dir, path, &name, &def.info.shape)?
        } else {
            let dims = io::load_shape(dir, path).map_err(|e| e.with_party(name.clone()))?;
            let t = zeros(&dims);
            io::check_shape(&t, &def.info.shape).map_err(|e| e.with_party(name))?;
            t
        };
        Ok(MVal::Local { owner: owner.index(), t })
    }

    fn compute(&mut self, id: ValueId, def: &ValueDef) -> Result<MVal, RunError> {
        let f = self.meter.f;
        match &def.op {
            Op::Var(var) => {
                return match self.vars.get(var.index()) {
                    Some(Some(v)) => Ok(v.clone()),
                    _ => Err(internal(format!("variable #{} is read before it is assigned", var.0))),
                }
            }
            Op::Load { path, at } => return self.load(def, path, *at),
            Op::Share { src, value } => {
                let known = self.shape_info(*value);
                return match self.val(*value)?.clone() {
                    MVal::Public { t, .. } => {
                        let ident = self.fresh();
                        let sh = Sh { dims: t.shape().to_vec(), scale: f };
                        Ok(MVal::Private { sh, ident, plain: self.plain.then_some(t) })
                    }
                    MVal::Local { owner, t } if owner == src.index() => {
                        self.share_local(owner, t.shape(), &known)?;
                        let ident = self.fresh();
                        let sh = Sh { dims: t.shape().to_vec(), scale: f };
                        Ok(MVal::Private { sh, ident, plain: self.plain.then_some(t) })
                    }
                    MVal::Local { owner, .. } => {
                        Err(internal(format!("party {} shares a value local to party {owner}", src.0)))
                    }
                    private @ MVal::Private { .. } => Ok(private),
                };
            }
            Op::Reveal(x) => {
                let known = self.shape_info(*x);
                return match self.val(*x)?.clone() {
                    public @ MVal::Public { .. } => Ok(public),
                    MVal::Local { owner, t } => {
                        self.share_local(owner, t.shape(), &known)?;
                        self.meter.open(t.len());
                        Ok(MVal::Public { t, known: self.plain })
                    }
                    MVal::Private { sh, plain, .. } => {
                        self.meter.open(sh.len());
                        Ok(match plain {
                            Some(t) => MVal::Public { t, known: true },
                            None => MVal::Public { t: zeros(&sh.dims), known: false },
                        })
                    }
                };
            }
            Op::Shape(x) => {
                let known = self.shape_info(*x);
                let dims = match self.val(*x)?.clone() {
                    MVal::Public { t, .. } => t.shape().to_vec(),
                    MVal::Private { sh, .. } => sh.dims,
                    MVal::Local { owner, t } => {
                        self.share_local(owner, t.shape(), &known)?;
                        t.shape().to_vec()
                    }
                };
                return Ok(MVal::Public { t: construct::shape_of(&dims), known: true });
            }
            _ => {}
        }
        self.check_known(def, &shape_operands(&def.op))?;
        let ops = def.op.operands();
        let mut owner: Option<usize> = None;
        let mut private = false;
        for &o in &ops {
            match self.val(o)? {
                MVal::Public { .. } => {}
                MVal::Private { .. } => private = true,
                MVal::Local { owner: p, .. } => match owner {
                    Some(q) if q != *p => private = true,
                    _ => owner = Some(*p),
                },
            }
        }
        if !private {
            let known =
                ops.iter().all(|&o| matches!(self.values.get(o.index()), Some(Some(MVal::Public { known: true, .. }))));
            let values = &self.values;
            let get = |o: ValueId| -> Result<&Tensor, RunError> {
                match values.get(o.index()) {
                    Some(Some(MVal::Public { t, .. } | MVal::Local { t, .. })) => Ok(t),
                    _ => Err(internal(format!("operand {o} is not public"))),
                }
            };
            let (t, _) = eval::compute(&def.op, &get)?;
            return Ok(match owner {
                Some(owner) => MVal::Local { owner, t },
                None => MVal::Public { t, known: known || self.plain },
            });
        }
        if reads_public_values(&def.op) {
            self.check_known(def, &ops)?;
        }
        // Local operands are shared first (fresh shares), in operand order.
        let mut shared: Vec<(ValueId, Sh, u64)> = Vec::new();
        for &o in &ops {
            if shared.iter().any(|(id, ..)| *id == o) {
                continue;
            }
            if let MVal::Local { owner, t } = self.val(o)?.clone() {
                let known = self.shape_info(o);
                self.share_local(owner, t.shape(), &known)?;
                let ident = self.fresh();
                shared.push((o, Sh { dims: t.shape().to_vec(), scale: f }, ident));
            }
        }
        let before = self.meter.cost.clone();
        // As `Machine::fold_of`.
        let held = |v: ValueId| matches!(self.values.get(v.index()), Some(Some(MVal::Private { .. })));
        let fold = crate::exec::mpc::wave::effective_fold(&self.deferred, id, &held);
        let defer = fold == mpcc_ir::fold::Fold::Raw;
        // A product of two private matrices under the executor's mask plan.
        if let (Op::MatMul(a, b), Some(cache)) = (&def.op, self.masks.as_mut()) {
            if let (
                Some(Some(MVal::Private { sh: x, ident: ix, .. })),
                Some(Some(MVal::Private { sh: y, ident: iy, .. })),
            ) = (self.values.get(a.index()), self.values.get(b.index()))
            {
                let plan = cache.plan(*ix, *iy);
                let sh = masked_matmul(&mut self.meter, x, y, &plan, defer)?;
                let ident = self.fresh();
                let plain = if self.plain { Some(self.plaintext(def, &shared)?) } else { None };
                return Ok(MVal::Private { sh, ident, plain });
            }
        }
        let sh = {
            let values = &self.values;
            let shared = &shared;
            let get = |o: ValueId| -> Result<Md<'_>, RunError> {
                if let Some((_, s, _)) = shared.iter().find(|(id, ..)| *id == o) {
                    return Ok(Md::S(s));
                }
                match values.get(o.index()) {
                    Some(Some(MVal::Public { t, .. })) => Ok(Md::P(t)),
                    Some(Some(MVal::Private { sh, .. })) => Ok(Md::S(sh)),
                    _ => Err(internal(format!("operand {o} is not available"))),
                }
            };
            let ident = |o: ValueId| -> Option<u64> {
                if let Some((.., i)) = shared.iter().find(|(id, ..)| *id == o) {
                    return Some(*i);
                }
                match values.get(o.index()) {
                    Some(Some(MVal::Private { ident, .. })) => Some(*ident),
                    _ => None,
                }
            };
            let opd = Operands { get: &get, ident: &ident };
            let folded = super::ops::folded_comparison(&mut self.meter, &def.op, &opd, fold);
            let raw = if defer { raw_product(&mut self.meter, &def.op, &opd) } else { None };
            match folded.or(raw) {
                Some(sh) => sh?,
                None => private_op(&mut self.meter, &mut self.pools, &def.op, &opd)?,
            }
        };
        // Shares made without communication are a function of the operands' shares.
        // As the executor decides (`exec::mpc::identity`): fresh when the op took rounds.
        let ident =
            if self.meter.cost.rounds == before.rounds { self.derived_ident(id, &ops, &shared) } else { self.fresh() };
        let plain = if self.plain { Some(self.plaintext(def, &shared)?) } else { None };
        Ok(MVal::Private { sh, ident, plain })
    }

    /// The identity of shares computed locally from the operands' shares.
    fn derived_ident(&self, id: ValueId, ops: &[ValueId], shared: &[(ValueId, Sh, u64)]) -> u64 {
        use crate::exec::mpc::masks::{derived, Identity};
        let mut operands = Vec::with_capacity(ops.len());
        for o in ops {
            if let Some((.., i)) = shared.iter().find(|(s, ..)| s == o) {
                operands.push(Identity::Private(*i));
                continue;
            }
            match self.values.get(o.index()) {
                Some(Some(MVal::Private { ident, .. })) => operands.push(Identity::Private(*ident)),
                Some(Some(MVal::Public { t, .. } | MVal::Local { t, .. })) => operands.push(Identity::Public(t)),
                _ => {}
            }
        }
        derived(id.0, &operands)
    }

    /// The op's plaintext result, from every operand's plaintext.
    fn plaintext(&self, def: &ValueDef, _shared: &[(ValueId, Sh, u64)]) -> Result<Tensor, RunError> {
        let values = &self.values;
        let get = |o: ValueId| -> Result<&Tensor, RunError> {
            match values.get(o.index()) {
                Some(Some(MVal::Public { t, .. } | MVal::Local { t, .. })) => Ok(t),
                Some(Some(MVal::Private { plain: Some(t), .. })) => Ok(t),
                _ => Err(internal(format!("operand {o} has no plaintext"))),
            }
        };
        Ok(eval::compute(&def.op, &get)?.0)
    }
}
