//! The plaintext reference engine: executes the IR on `f64` tensors, the oracle every MPC run
//! is compared against.
//!
//! Semantics (the IR docs in `mpcc_ir` are the spec):
//! - `Stmt::Eval` computes a value and stores it, replacing an earlier result (loops re-run).
//! - Labels do not matter, except for where files live: `Load { at: Some(P) }` reads party P's
//!   folder, `Load { at: None }` party 0's (each party has its own copy; the plaintext engine
//!   reads one). `Share` and `Reveal` are the identity.
//! - `Print` emits [`Event::Print`]; `Output { to: P }` emits [`Event::Output`] labelled with
//!   P's name and writes `path` into P's folder if given; `Save` writes into party 0's folder.
//! - Domain checks: `log`/`inv_sqrt` of x ≤ 0, `sqrt` of x < 0, `reciprocal` of |x| < 1e-12
//!   and division by |b| < 1e-12 emit [`Event::Warning`] at the op's span (the IEEE result,
//!   NaN or inf, is kept); with `strict_domains` they are errors.
//! - After every op whose operands are all finite, a NaN or infinite result is likewise a
//!   warning (or an error when strict), e.g. `exp` overflowing. Non-finite values coming from
//!   an operand are not re-reported downstream.
//! - With `trace_loops`, every finished loop emits [`Event::Loop`] with its trip count.
//! - Each op warns at most once per run (a warning inside a loop is not repeated every
//!   iteration).
//! - A `while` loop has no iteration limit: a runaway loop is the program's problem.
//!
//! Does not: check labels (the compiler did), simulate parties, or print anything itself.

use super::origin::{Origin, Origins};
use super::ranges::Observer;
use super::walk::{self, Walk};
use super::{eval, Event, RunConfig, RunReport, Sink};
use crate::error::{ErrorKind, RunError};
use crate::format::format_tensor;
use crate::io;
use crate::plain::Tensor;
use mpcc_ir::{Op, PartyId, Program, Span, UnaryOp, ValueDef, ValueId, VarId};
use std::collections::HashSet;
use std::time::Instant;

/// Runs a program; see the module doc. An `observer` sees (and may rewrite) every value.
pub fn run<'a>(
    program: &'a Program,
    cfg: &'a RunConfig,
    sink: &'a mut dyn Sink,
    observer: Option<&'a mut dyn Observer>,
) -> Result<RunReport, RunError> {
    let start = Instant::now();
    let mut machine = Machine {
        program,
        cfg,
        sink,
        values: vec![None; program.values.len()],
        vars: vec![None; program.vars.len()],
        warned: HashSet::new(),
        origins: Origins::new(program.values.len(), program.vars.len()),
        report: RunReport::default(),
        observer,
    };
    walk::block(&mut machine, &program.body)?;
    let mut report = machine.report;
    report.wall = start.elapsed();
    Ok(report)
}

struct Machine<'a> {
    program: &'a Program,
    cfg: &'a RunConfig,
    sink: &'a mut dyn Sink,
    values: Vec<Option<Tensor>>,
    vars: Vec<Option<Tensor>>,
    warned: HashSet<ValueId>,
    origins: Origins,
    report: RunReport,
    observer: Option<&'a mut dyn Observer>,
}

impl Walk for Machine<'_> {
    fn program(&self) -> &Program {
        self.program
    }

    fn cfg(&self) -> &RunConfig {
        self.cfg
    }

    fn public(&self, id: ValueId, _what: &str) -> Result<&Tensor, RunError> {
        self.get(id)
    }

    fn eval(&mut self, id: ValueId) -> Result<(), RunError> {
        Machine::eval(self, id)
    }

    fn assign(&mut self, var: VarId, value: ValueId) -> Result<(), RunError> {
        let v = self.get(value)?.clone();
        let slot = self
            .vars
            .get_mut(var.index())
            .ok_or_else(|| RunError::new(ErrorKind::Internal, format!("unknown variable #{}", var.0)))?;
        *slot = Some(v);
        self.origins.on_assign(var, value);
        Ok(())
    }

    fn set_counter(&mut self, var: VarId, i: i64) {
        if let Some(slot) = self.vars.get_mut(var.index()) {
            *slot = Some(Tensor::from_elem(ndarray::IxDyn(&[]), i as f64));
        }
    }

    fn print_line(&mut self, text: String) {
        self.sink.event(Event::Print { text });
    }

    fn save(&mut self, path: &str, value: ValueId, span: Span) -> Result<(), RunError> {
        let dir = walk::data_dir(self.cfg, self.program, PartyId(0), span)?;
        let written = io::save(dir, path, self.get(value)?)
            .map_err(|e| e.with_party(self.program.party_name(PartyId(0))).with_span(span))?;
        self.report.files_written.push(written);
        Ok(())
    }

    fn output(&mut self, value: ValueId, to: PartyId, path: Option<&str>, span: Span) -> Result<(), RunError> {
        let party = self.program.party_name(to);
        let text = format_tensor(self.get(value)?.view(), self.cfg.print);
        self.sink.event(Event::Output { party: party.clone(), text });
        if let Some(path) = path {
            let dir = walk::data_dir(self.cfg, self.program, to, span)?;
            let written = io::save(dir, path, self.get(value)?).map_err(|e| e.with_party(party).with_span(span))?;
            self.report.files_written.push(written);
        }
        Ok(())
    }

    fn loop_done(&mut self, span: Span, iterations: u64) {
        if self.cfg.trace_loops {
            self.sink.event(Event::Loop { span, iterations });
        }
    }
}

impl Machine<'_> {
    fn get(&self, id: ValueId) -> Result<&Tensor, RunError> {
        match self.values.get(id.index()) {
            Some(Some(v)) => Ok(v),
            _ => Err(RunError::new(ErrorKind::Internal, format!("value {id} is used before it is computed"))),
        }
    }

    fn eval(&mut self, id: ValueId) -> Result<(), RunError> {
        let program = self.program;
        let def = program.value(id).ok_or_else(|| RunError::new(ErrorKind::Internal, format!("unknown value {id}")))?;
        let span = def.span;
        let (mut value, domain) = self
            .compute(def)
            .map_err(|e| {
                let dims = |v: ValueId| self.get(v).ok().map(|t| t.shape().to_vec());
                self.origins.explain(&def.op, e, dims)
            })
            .map_err(|e| e.with_span(span))?;
        let load = match &def.op {
            Op::Load { path, at } => {
                let party = at.unwrap_or(PartyId(0));
                let file = self
                    .cfg
                    .data_dirs
                    .get(party.index())
                    .and_then(|dir| io::resolve(dir, path).ok())
                    .map(|(file, _)| file);
                file.map(|file| Origin { party: program.party_name(party), file })
            }
            _ => None,
        };
        self.origins.on_eval(id, &def.op, load);
        self.report.values_computed += 1;
        if let Some(message) = domain {
            self.problem(id, span, message)?;
        } else if !matches!(def.op, Op::Load { .. } | Op::Var(_) | Op::Const(_)) {
            if let Some(message) = self.new_non_finite(&def.op, &value) {
                self.problem(id, span, message)?;
            }
        }
        if let Some(observer) = self.observer.as_deref_mut() {
            observer.value(def, &mut value);
        }
        if let Some(slot) = self.values.get_mut(id.index()) {
            *slot = Some(value);
        }
        Ok(())
    }

    /// A warning, once per value, or an error under `strict_domains`.
    fn problem(&mut self, id: ValueId, span: Span, message: String) -> Result<(), RunError> {
        if self.cfg.strict_domains {
            return Err(RunError::new(ErrorKind::Domain, message).with_span(span));
        }
        if self.warned.insert(id) {
            self.report.warnings += 1;
            self.sink.event(Event::Warning { span, message });
        }
        Ok(())
    }

    /// A message if `value` holds NaN/inf while every operand of `op` is finite.
    fn new_non_finite(&self, op: &Op, value: &Tensor) -> Option<String> {
        let operands_finite =
            operands(op).iter().all(|&o| self.get(o).map(|t| t.iter().all(|v| v.is_finite())).unwrap_or(true));
        eval::non_finite(value, operands_finite)
    }

    /// Computes one value and, for ops with a domain, the warning its input deserves: the
    /// shared evaluator of public values ([`super::eval`]), plus what only this engine has
    /// (variables, files, and the warning where a private run's approximation would be wrong).
    fn compute(&self, def: &ValueDef) -> Result<(Tensor, Option<String>), RunError> {
        match &def.op {
            Op::Var(var) => match self.vars.get(var.index()) {
                Some(Some(v)) => Ok((v.clone(), None)),
                _ => {
                    let name = self.program.var(*var).map_or("?", |v| v.name.as_str());
                    Err(RunError::new(ErrorKind::Internal, format!("variable `{name}` is read before it is assigned")))
                }
            },
            Op::Load { path, at } => {
                let party = at.unwrap_or(PartyId(0));
                let dir = walk::data_dir(self.cfg, self.program, party, def.span)?;
                Ok((io::load_checked(dir, path, &self.program.party_name(party), &def.info.shape)?, None))
            }
            Op::Share { value, .. } | Op::Reveal(value) => Ok((self.get(*value)?.clone(), None)),
            op => {
                let (value, domain) = eval::compute(op, &|id| self.get(id))?;
                let private = |id: ValueId| !self.program.value(id).is_some_and(|d| d.info.label.is_public());
                let domain = domain.or_else(|| match op {
                    Op::Binary(mpcc_ir::BinaryOp::Div, _, b) if private(*b) => {
                        private_domain_message(UnaryOp::Reciprocal, self.get(*b).ok()?, self.cfg.precision)
                    }
                    Op::Unary(u, x) if private(*x) => {
                        private_domain_message(*u, self.get(*x).ok()?, self.cfg.precision)
                    }
                    _ => None,
                });
                Ok((value, domain))
            }
        }
    }
}

/// The operand values of an op (for the non-finite check and error provenance).
pub(super) fn operands(op: &Op) -> Vec<ValueId> {
    op.operands()
}

/// A sentence when some element of `x` lies outside the input range on which `op`'s private
/// approximation meets its documented bound (docs/accuracy.md), at `frac_bits` fractional bits:
/// the plaintext run then warns where a private run would silently be wrong.
fn private_domain_message(op: UnaryOp, x: &Tensor, frac_bits: u32) -> Option<String> {
    let range = crate::protocols::approx::private_domain(op, frac_bits)?;
    let mut bad = x.iter().enumerate().filter(|(_, v)| !range.contains(**v));
    let (index, value) = bad.next()?;
    let count = 1 + bad.count();
    let on = if range.on_magnitude { "|x| in " } else { "" };
    let consequence = if op == UnaryOp::Exp {
        "a private run gives the largest encodable value there, not e^x"
    } else {
        "a private run computes a wrong value there"
    };
    Some(format!(
        "`{}` outside its private domain {on}[{}, {}] ({count} element{}; first: {value:.4} at flat index {index}); {consequence}",
        mpcc_ir::unary_name(op),
        range.lo,
        range.hi,
        if count == 1 { "" } else { "s" }
    ))
}
