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
use super::{Event, RunConfig, RunReport, Sink};
use crate::error::{dims_text, ErrorKind, RunError};
use crate::format::{format_tensor, join_print, PrintPiece};
use crate::io;
use crate::plain::structural::IndexSpec;
use crate::plain::{construct, conv, elementwise, linalg, nn, reduce, scalar_int, structural, Tensor};
use mpcc_ir::{Block, IndexItem, Op, PartyId, PrintArg, Program, Span, Stmt, UnaryOp, ValueDef, ValueId};
use std::collections::HashSet;
use std::path::Path;
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
    machine.block(&program.body)?;
    let mut report = machine.report;
    report.wall = start.elapsed();
    Ok(report)
}

/// What a statement tells the enclosing loop.
enum Flow {
    Next,
    Break,
    Continue,
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

impl Machine<'_> {
    fn block(&mut self, block: &Block) -> Result<Flow, RunError> {
        for stmt in &block.0 {
            match self.stmt(stmt)? {
                Flow::Next => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Next)
    }

    fn stmt(&mut self, stmt: &Stmt) -> Result<Flow, RunError> {
        match stmt {
            Stmt::Eval(id) => self.eval(*id)?,
            Stmt::Assign { var, value } => {
                let v = self.get(*value)?.clone();
                let slot = self
                    .vars
                    .get_mut(var.index())
                    .ok_or_else(|| RunError::new(ErrorKind::Internal, format!("unknown variable #{}", var.0)))?;
                *slot = Some(v);
                self.origins.on_assign(*var, *value);
            }
            Stmt::If { cond, then_block, else_block, span } => {
                return if self.truth(*cond, *span)? { self.block(then_block) } else { self.block(else_block) };
            }
            Stmt::For { var, start, end, body, span } => {
                let from = self.int(*start, "a loop bound", *span)?;
                let to = self.int(*end, "a loop bound", *span)?;
                let tick = super::Progress::is_outermost(self.program, *span);
                let mut iterations = 0;
                for i in from..to {
                    if let Some(slot) = self.vars.get_mut(var.index()) {
                        *slot = Some(Tensor::from_elem(ndarray::IxDyn(&[]), i as f64));
                    }
                    iterations += 1;
                    if let Flow::Break = self.block(body)? {
                        break;
                    }
                    if tick {
                        self.cfg.progress.tick(*span, (i - from + 1) as u64, (to - from) as u64);
                    }
                }
                self.loop_done(*span, iterations);
            }
            Stmt::While { cond_block, cond, body, span } => {
                let mut iterations = 0;
                loop {
                    self.block(cond_block)?;
                    if !self.truth(*cond, *span)? {
                        break;
                    }
                    iterations += 1;
                    if let Flow::Break = self.block(body)? {
                        break;
                    }
                }
                self.loop_done(*span, iterations);
            }
            Stmt::Break { .. } => return Ok(Flow::Break),
            Stmt::Continue { .. } => return Ok(Flow::Continue),
            Stmt::Print { args, span } => {
                let mut pieces = Vec::with_capacity(args.len());
                for arg in args {
                    pieces.push(match arg {
                        PrintArg::Str(text) => PrintPiece::Text(text),
                        PrintArg::Value(id) => PrintPiece::Value(self.get(*id).map_err(|e| e.with_span(*span))?.view()),
                    });
                }
                let text = join_print(&pieces, self.cfg.print);
                self.sink.event(Event::Print { text });
            }
            Stmt::Save { path, value, span } => {
                let dir = self.data_dir(PartyId(0), *span)?;
                let written = io::save(dir, path, self.get(*value)?)
                    .map_err(|e| e.with_party(self.program.party_name(PartyId(0))).with_span(*span))?;
                self.report.files_written.push(written);
            }
            Stmt::Output { value, to, path, span } => {
                let party = self.program.party_name(*to);
                let text = format_tensor(self.get(*value)?.view(), self.cfg.print);
                self.sink.event(Event::Output { party: party.clone(), text });
                if let Some(path) = path {
                    let dir = self.data_dir(*to, *span)?;
                    let written =
                        io::save(dir, path, self.get(*value)?).map_err(|e| e.with_party(party).with_span(*span))?;
                    self.report.files_written.push(written);
                }
            }
        }
        Ok(Flow::Next)
    }

    fn get(&self, id: ValueId) -> Result<&Tensor, RunError> {
        match self.values.get(id.index()) {
            Some(Some(v)) => Ok(v),
            _ => Err(RunError::new(ErrorKind::Internal, format!("value {id} is used before it is computed"))),
        }
    }

    fn truth(&self, cond: ValueId, span: Span) -> Result<bool, RunError> {
        let v = self.get(cond)?;
        if v.len() != 1 {
            return Err(RunError::shape(format!("a condition must be a scalar, found shape {}", dims_text(v.shape())))
                .with_span(span));
        }
        Ok(v.iter().any(|&x| x != 0.0))
    }

    fn loop_done(&mut self, span: Span, iterations: u64) {
        if self.cfg.trace_loops {
            self.sink.event(Event::Loop { span, iterations });
        }
    }

    fn int(&self, id: ValueId, what: &str, span: Span) -> Result<i64, RunError> {
        scalar_int(self.get(id)?, what).map_err(|e| e.with_span(span))
    }

    fn data_dir(&self, party: PartyId, span: Span) -> Result<&Path, RunError> {
        self.cfg.data_dirs.get(party.index()).map(|p| p.as_path()).ok_or_else(|| {
            RunError::new(
                ErrorKind::Config,
                format!("no data folder was given for party {} (rank {})", self.program.party_name(party), party.0),
            )
            .with_party(self.program.party_name(party))
            .with_span(span)
        })
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
        let bad = value.iter().filter(|v| !v.is_finite()).count();
        if bad == 0 {
            return None;
        }
        let operands_finite =
            operands(op).iter().all(|&o| self.get(o).map(|t| t.iter().all(|v| v.is_finite())).unwrap_or(true));
        operands_finite.then(|| {
            format!(
                "the result holds {bad} NaN or infinite value{} (from finite operands)",
                if bad == 1 { "" } else { "s" }
            )
        })
    }

    /// Computes one value and, for ops with a domain, the warning its input deserves.
    fn compute(&self, def: &ValueDef) -> Result<(Tensor, Option<String>), RunError> {
        let mut domain = None;
        let value = match &def.op {
            Op::Const(t) => Tensor::from_shape_vec(ndarray::IxDyn(&t.shape), t.data.clone())
                .map_err(|e| RunError::new(ErrorKind::Internal, format!("bad constant: {e}")))?,
            Op::Var(var) => match self.vars.get(var.index()) {
                Some(Some(v)) => v.clone(),
                _ => {
                    let name = self.program.var(*var).map_or("?", |v| v.name.as_str());
                    return Err(RunError::new(
                        ErrorKind::Internal,
                        format!("variable `{name}` is read before it is assigned"),
                    ));
                }
            },
            Op::Load { path, at } => {
                let party = at.unwrap_or(PartyId(0));
                let dir = self.data_dir(party, def.span)?;
                io::load_checked(dir, path, &self.program.party_name(party), &def.info.shape)?
            }
            Op::Share { value, .. } | Op::Reveal(value) => self.get(*value)?.clone(),
            Op::Binary(op, a, b) => {
                let divisor_private = !self.program.value(*b).is_some_and(|d| d.info.label.is_public());
                let (a, b) = (self.get(*a)?, self.get(*b)?);
                if *op == mpcc_ir::BinaryOp::Div {
                    domain = elementwise::div_domain(b).map(|d| d.message());
                    if divisor_private {
                        domain = domain.or_else(|| private_domain_message(UnaryOp::Reciprocal, b, self.cfg.precision));
                    }
                }
                elementwise::binary(*op, a, b)?
            }
            Op::Unary(op, x) => {
                let x_private = !self.program.value(*x).is_some_and(|d| d.info.label.is_public());
                let x = self.get(*x)?;
                domain = elementwise::unary_domain(*op, x).map(|d| d.message());
                if x_private {
                    domain = domain.or_else(|| private_domain_message(*op, x, self.cfg.precision));
                }
                elementwise::unary(*op, x)
            }
            Op::Pow(x, k) => elementwise::pow(self.get(*x)?, *k),
            Op::MatMul(a, b) => linalg::matmul(self.get(*a)?, self.get(*b)?)?,
            Op::Where(c, a, b) => elementwise::where_(self.get(*c)?, self.get(*a)?, self.get(*b)?)?,
            Op::Reduce { op, x, axis } => reduce::reduce(*op, self.get(*x)?, *axis)?,
            Op::Arg { op, x, axis, one_hot } => reduce::arg(*op, self.get(*x)?, *axis, *one_hot)?,
            Op::Softmax { x, axis } => nn::softmax(self.get(*x)?, *axis)?,
            Op::LogSoftmax { x, axis } => nn::log_softmax(self.get(*x)?, *axis)?,
            Op::CrossEntropy { logits, targets } => nn::cross_entropy(self.get(*logits)?, self.get(*targets)?)?,
            Op::Zeros { shape } => construct::zeros(&construct::dims_from_tensor(self.get(*shape)?, "zeros")?),
            Op::Ones { shape } => construct::ones(&construct::dims_from_tensor(self.get(*shape)?, "ones")?),
            Op::Eye { n } => {
                let n = scalar_int(self.get(*n)?, "the size given to `eye`")?;
                let n = usize::try_from(n).map_err(|_| RunError::shape(format!("`eye` of a negative size ({n})")))?;
                construct::eye(n)?
            }
            Op::Rand { shape, seed } => {
                construct::rand(&construct::dims_from_tensor(self.get(*shape)?, "rand")?, *seed)?
            }
            Op::Randn { shape, seed } => {
                construct::randn(&construct::dims_from_tensor(self.get(*shape)?, "randn")?, *seed)?
            }
            Op::OneHot { labels, classes } => {
                let classes = scalar_int(self.get(*classes)?, "the class count of `one_hot`")?;
                nn::one_hot(self.get(*labels)?, classes)?
            }
            Op::Shape(x) => construct::shape_of(self.get(*x)?.shape()),
            Op::Reshape { x, shape } => {
                let spec = self.get(*shape)?;
                if spec.ndim() > 1 {
                    return Err(RunError::shape("the shape given to `reshape` must be 1-D"));
                }
                let spec: Vec<i64> = spec
                    .iter()
                    .map(|&d| crate::plain::as_int(d, "a dimension given to `reshape`"))
                    .collect::<Result<_, _>>()?;
                structural::reshape(self.get(*x)?, &spec)?
            }
            Op::SumTo { x, shape } => {
                let to = construct::dims_from_tensor(self.get(*shape)?, "sum_to")?;
                reduce::sum_to(self.get(*x)?, &to, 0.0, |a, b| a + b)?
            }
            Op::Transpose(x) => structural::transpose(self.get(*x)?),
            Op::Flatten { x, start } => structural::flatten_from(self.get(*x)?, *start)?,
            Op::Conv2d { x, w, win } => conv::conv2d_plain(self.get(*x)?, self.get(*w)?, win)?,
            Op::Conv2dGradX { dy, w, x_shape, win } => {
                conv::conv2d_grad_x_plain(self.get(*dy)?, self.get(*w)?, self.get(*x_shape)?, win)?
            }
            Op::Conv2dGradW { x, dy, w_shape, win } => {
                conv::conv2d_grad_w_plain(self.get(*x)?, self.get(*dy)?, self.get(*w_shape)?, win)?
            }
            Op::Pool2d { op, x, k, win } => conv::pool2d(*op, self.get(*x)?, *k, win)?,
            Op::Pool2dGrad { op, x, dy, k, win } => conv::pool2d_grad(*op, self.get(*x)?, self.get(*dy)?, *k, win)?,
            Op::Cat { xs, axis } => structural::cat(&self.all(xs)?, *axis)?,
            Op::Stack { xs, axis } => structural::stack(&self.all(xs)?, *axis)?,
            Op::Index { x, items } => {
                let specs = items.iter().map(|item| self.index_spec(item)).collect::<Result<Vec<_>, _>>()?;
                structural::index(self.get(*x)?, &specs)?
            }
        };
        Ok((value, domain))
    }

    fn all(&self, ids: &[ValueId]) -> Result<Vec<&Tensor>, RunError> {
        ids.iter().map(|&id| self.get(id)).collect()
    }

    fn index_spec(&self, item: &IndexItem) -> Result<IndexSpec, RunError> {
        let bound = |id: &Option<ValueId>| -> Result<Option<i64>, RunError> {
            id.map(|id| scalar_int(self.get(id)?, "a slice bound")).transpose()
        };
        Ok(match item {
            IndexItem::At(id) => IndexSpec::At(scalar_int(self.get(*id)?, "an index")?),
            IndexItem::Slice { start, end } => IndexSpec::Slice { start: bound(start)?, end: bound(end)? },
        })
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
