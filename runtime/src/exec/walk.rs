//! The one statement walker both engines use: blocks, `if`, `for`, `while`, `break`/`continue`,
//! assignments, `print`, and the calls out to the engine for what differs (computing a value,
//! storing a variable, `save`, `output`). Control flow reads public values only, so the walk is
//! the same in plaintext and on every party of a secure run.
//!
//! An engine implements [`Walk`]; [`block`] runs a block. Does no IO itself.

use super::RunConfig;
use crate::error::{dims_text, ErrorKind, RunError};
use crate::format::{join_print, PrintPiece};
use crate::plain::{scalar_int, Tensor};
use mpcc_ir::schedule::{self, Item};
use mpcc_ir::{Block, PartyId, PrintArg, Program, Span, Stmt, ValueId, VarId};
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

/// What a statement tells the enclosing loop.
pub enum Flow {
    Next,
    Break,
    Continue,
}

/// What the walker needs of an engine.
pub trait Walk {
    fn program(&self) -> &Program;
    fn cfg(&self) -> &RunConfig;
    /// A value that must be public here (conditions, loop bounds, `print`); `what` names the use.
    fn public(&self, id: ValueId, what: &str) -> Result<&Tensor, RunError>;
    /// Computes and stores one value (`Stmt::Eval`).
    fn eval(&mut self, id: ValueId) -> Result<(), RunError>;
    /// Stores `value` into `var`.
    fn assign(&mut self, var: VarId, value: ValueId) -> Result<(), RunError>;
    /// Sets a `for` loop's counter.
    fn set_counter(&mut self, var: VarId, i: i64);
    /// Emits one line of `print`.
    fn print_line(&mut self, text: String);
    fn save(&mut self, path: &str, value: ValueId, span: Span) -> Result<(), RunError>;
    fn output(&mut self, value: ValueId, to: PartyId, path: Option<&str>, span: Span) -> Result<(), RunError>;
    /// Called before each statement (the secure engine numbers its events by statement).
    fn before_stmt(&mut self) {}
    /// The order to run `block` in (`mpcc_ir::schedule`), or `None` for the block's own order.
    fn plan(&mut self, _block: &Block) -> Option<Rc<Vec<Item>>> {
        None
    }
    /// Computes the values of one wave of the plan: independent chains of private ops, each
    /// chain in order (default: one chain after the other).
    fn eval_wave(&mut self, chains: &[Vec<ValueId>]) -> Result<(), RunError> {
        chains.iter().flatten().try_for_each(|&id| self.eval(id))
    }
    /// Whether this engine tells `RunConfig::progress` about outermost loops.
    fn reports_progress(&self) -> bool {
        true
    }
    /// A loop finished after `iterations` runs of its body.
    fn loop_done(&mut self, _span: Span, _iterations: u64) {}
}

/// Runs the statements of `block` in order (or in the engine's plan), stopping at a `break` or
/// `continue`.
pub fn block<W: Walk + ?Sized>(w: &mut W, block: &Block) -> Result<Flow, RunError> {
    let Some(plan) = w.plan(block) else {
        for s in &block.0 {
            match stmt(w, s)? {
                Flow::Next => {}
                flow => return Ok(flow),
            }
        }
        return Ok(Flow::Next);
    };
    for item in plan.iter() {
        match item {
            Item::Stmt(i) => {
                let s =
                    block.0.get(*i).ok_or_else(|| RunError::new(ErrorKind::Internal, "a plan outside its block"))?;
                match stmt(w, s)? {
                    Flow::Next => {}
                    flow => return Ok(flow),
                }
            }
            Item::Wave(chains) => {
                let mut ids = Vec::with_capacity(chains.len());
                for chain in chains {
                    let mut c = Vec::with_capacity(chain.len());
                    for i in chain {
                        w.before_stmt();
                        match block.0.get(*i) {
                            Some(Stmt::Eval(id)) => c.push(*id),
                            _ => return Err(RunError::new(ErrorKind::Internal, "a wave member is not an evaluation")),
                        }
                    }
                    ids.push(c);
                }
                w.eval_wave(&ids)?;
            }
        }
    }
    Ok(Flow::Next)
}

/// The plans of a program's blocks, computed once per block (keyed by the block's address in
/// the program, which outlives the walk).
#[derive(Default)]
pub struct Plans {
    /// `None` for a block the plan leaves in its own order.
    map: HashMap<usize, Option<Rc<Vec<Item>>>>,
}

impl Plans {
    /// `block`'s plan; `None` when it keeps its own order (no wave).
    pub fn get(&mut self, program: &Program, block: &Block) -> Option<Rc<Vec<Item>>> {
        let key = block as *const Block as usize;
        self.map
            .entry(key)
            .or_insert_with(|| {
                let plan = schedule::plan(program, block);
                plan.iter().any(|item| matches!(item, Item::Wave(_))).then(|| Rc::new(plan))
            })
            .clone()
    }
}

fn stmt<W: Walk + ?Sized>(w: &mut W, stmt: &Stmt) -> Result<Flow, RunError> {
    w.before_stmt();
    match stmt {
        Stmt::Eval(id) => w.eval(*id)?,
        Stmt::Assign { var, value } => w.assign(*var, *value)?,
        Stmt::If { cond, then_block, else_block, span } => {
            return if truth(w, *cond, *span)? { block(w, then_block) } else { block(w, else_block) };
        }
        Stmt::For { var, start, end, body, span } => {
            let from = int(w, *start, "a loop bound", *span)?;
            let to = int(w, *end, "a loop bound", *span)?;
            let tick = w.reports_progress() && super::Progress::is_outermost(w.program(), *span);
            let mut iterations = 0;
            for i in from..to {
                w.set_counter(*var, i);
                iterations += 1;
                if let Flow::Break = block(w, body)? {
                    break;
                }
                if tick {
                    w.cfg().progress.tick(*span, (i - from + 1) as u64, (to - from) as u64);
                }
            }
            w.loop_done(*span, iterations);
        }
        Stmt::While { cond_block, cond, body, span } => {
            let mut iterations = 0;
            loop {
                block(w, cond_block)?;
                if !truth(w, *cond, *span)? {
                    break;
                }
                iterations += 1;
                if let Flow::Break = block(w, body)? {
                    break;
                }
            }
            w.loop_done(*span, iterations);
        }
        Stmt::Break { .. } => return Ok(Flow::Break),
        Stmt::Continue { .. } => return Ok(Flow::Continue),
        Stmt::Print { args, span } => {
            let text = {
                let mut pieces = Vec::with_capacity(args.len());
                for arg in args {
                    pieces.push(match arg {
                        PrintArg::Str(text) => PrintPiece::Text(text),
                        PrintArg::Value(id) => {
                            PrintPiece::Value(w.public(*id, "print").map_err(|e| e.with_span(*span))?.view())
                        }
                    });
                }
                join_print(&pieces, w.cfg().print)
            };
            w.print_line(text);
        }
        Stmt::Save { path, value, span } => w.save(path, *value, *span)?,
        Stmt::Output { value, to, path, span } => w.output(*value, *to, path.as_deref(), *span)?,
    }
    Ok(Flow::Next)
}

/// A public scalar condition: nonzero is true.
fn truth<W: Walk + ?Sized>(w: &W, cond: ValueId, span: Span) -> Result<bool, RunError> {
    let v = w.public(cond, "a condition").map_err(|e| e.with_span(span))?;
    if v.len() != 1 {
        return Err(RunError::shape(format!("a condition must be a scalar, found shape {}", dims_text(v.shape())))
            .with_span(span));
    }
    Ok(v.iter().any(|&x| x != 0.0))
}

/// A public integer (a loop bound).
fn int<W: Walk + ?Sized>(w: &W, id: ValueId, what: &str, span: Span) -> Result<i64, RunError> {
    let t = w.public(id, what).map_err(|e| e.with_span(span))?;
    scalar_int(t, what).map_err(|e| e.with_span(span))
}

/// Party `party`'s data folder, or a configuration error at `span`.
pub fn data_dir<'c>(cfg: &'c RunConfig, program: &Program, party: PartyId, span: Span) -> Result<&'c Path, RunError> {
    cfg.data_dirs.get(party.index()).map(|p| p.as_path()).ok_or_else(|| {
        let name = program.party_name(party);
        RunError::new(ErrorKind::Config, format!("no data folder was given for party {name} (rank {})", party.0))
            .with_party(name)
            .with_span(span)
    })
}
