//! Lowering from the AST to IR, with name resolution, inlining, label and shape analysis and
//! every check that needs them (E01xx–E04xx), in one walk per pass.
//!
//! Variable facts (label, dtype, shape) are the join of every assignment, so the walk runs to a
//! fixpoint: each pass starts from the variable summaries of the previous one, joined with the
//! labels that [`labels::analyse`] finds on the previous pass's IR (which solves any chain of
//! assignments at once), and only the last pass's values and diagnostics are kept (the walk is
//! deterministic, so variable ids match across passes). Summaries only go up a finite lattice, so
//! the passes end; [`pass_limit`] is that lattice's height, and reaching it is an internal error.
//! Private `if`s are lowered as `Stmt::If` on a private condition; `passes::oblivious` rewrites
//! them. Files: `stmt.rs` (statements, functions), `expr.rs` (expressions), `call.rs` (builtins).
//! Nothing here does IO or prints.

mod call;
mod effects;
mod expr;
mod grad;
mod nn;
mod stmt;

use crate::diag::{Diagnostic, Diagnostics};
use crate::labels;
use crate::shapes;
use crate::{CompileOptions, SymbolInfo, SymbolKind};
use mpcc_grammar::ast;
use mpcc_grammar::Span;
use mpcc_ir::{Block, DType, Label, Op, PartyId, Program, Shape, Stmt, ValueDef, ValueId, ValueInfo, VarDef, VarId};
use std::collections::{HashMap, HashSet};

/// The deepest expression nesting the walker follows (E0114 beyond). The parser already bounds one
/// expression to 256 levels; inlining can nest expressions deeper.
pub(crate) const MAX_DEPTH: usize = 400;
/// The deepest chain of inlined calls (E0114 beyond). The parser already bounds one
/// expression to 256 levels; inlining can nest expressions deeper.
pub(crate) const MAX_CALL_DEPTH: usize = 64;

/// What an expression gives.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    T(ValueId),
    Tuple(Vec<Val>),
    Str(String),
    Bool(bool),
    Party(PartyId),
    /// A call of a function without `return`, or of `print`/`output`/`save`.
    Unit,
    /// An error was already reported.
    Err,
}

#[derive(Clone, Debug)]
pub(crate) enum Binding {
    Val(Val, Span),
    Var(VarId),
}

/// One inlined function body (or the main body): its scopes, loops and assigned names.
#[derive(Default)]
pub(crate) struct Frame {
    pub scopes: Vec<HashMap<String, Binding>>,
    pub loop_depth: usize,
    /// Names assigned somewhere in this body: their `let`s create variables.
    pub assigned: HashSet<String>,
}

/// A private condition being lowered: both branches will run.
#[derive(Clone, Debug)]
pub(crate) struct PrivCtx {
    pub cond: ValueId,
    pub span: Span,
    /// `frames.len()` and the loop depth when entered, and the first variable created inside.
    pub frame: usize,
    pub loop_depth: usize,
    pub call_depth: usize,
    pub first_var: usize,
}

/// A recorded name: (span, definition, name, kind, what its hover text describes).
pub(crate) type SymbolUse = (Span, Option<Span>, String, SymbolKind, Hover);

/// What a recorded name's hover text describes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Hover {
    None,
    /// The value the name stands for (or, for a call, the value the call gives).
    Value(ValueId),
    /// Text known without a value (a loop counter).
    Text(String),
}

impl From<Option<ValueId>> for Hover {
    fn from(value: Option<ValueId>) -> Hover {
        value.map_or(Hover::None, Hover::Value)
    }
}

/// The variable facts carried from one pass to the next.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct VarSummary {
    pub label: Label,
    pub dtype: Option<DType>,
    pub shape: Option<Shape>,
}

pub(crate) struct Cx<'a> {
    /// Every file's text ([`crate::Sources::text`]): what a span indexes.
    pub src: &'a str,
    pub sources: &'a crate::Sources,
    pub values: Vec<ValueDef>,
    pub vars: Vec<VarDef>,
    pub summaries: Vec<VarSummary>,
    pub prev: Vec<VarSummary>,
    /// The flow-sensitive shape of each variable (for E0405).
    pub cur_shape: HashMap<VarId, Shape>,
    pub diags: Diagnostics,
    /// Diagnostics whose provenance notes are added once the pass is over: (diag, values).
    pub pending: Vec<(Diagnostic, Vec<(ValueId, String)>)>,
    pub symbols: Vec<SymbolUse>,
    pub parties: Vec<ast::Ident>,
    pub params: HashMap<String, (f64, Span)>,
    pub param_list: Vec<(String, f64)>,
    pub fns: HashMap<String, &'a ast::FnDecl>,
    pub frames: Vec<Frame>,
    pub blocks: Vec<Vec<Stmt>>,
    pub call_stack: Vec<(String, Span)>,
    pub private: Vec<PrivCtx>,
    /// `Some(Some(P))` inside `private(src=P, …)`, `Some(None)` inside `public(…)`.
    pub load_ctx: Option<Option<PartyId>>,
    pub depth: usize,
    /// Inside a `private(…)` already reported as an input under a private condition.
    pub quiet_inputs: bool,
    /// Values bound to a name by `let` without a variable, for provenance notes.
    pub names: labels::Names,
    /// The `grad` calls, for `passes::grad`.
    pub grads: Vec<crate::passes::grad::GradRequest>,
}

/// What the lowering gives: the IR before the passes, its symbols, the `grad` calls, and the
/// label analysis of that IR (computed by the last pass of the fixpoint, so the check after
/// the lowering need not repeat it).
pub(crate) struct Lowered {
    pub program: Program,
    pub symbols: Vec<SymbolInfo>,
    pub grads: Vec<crate::passes::grad::GradRequest>,
    pub labels: labels::LabelTable,
}

/// Lowers a parsed program, reporting into `diags`.
pub(crate) fn lower(
    sources: &crate::Sources,
    ast: &ast::Program,
    options: &CompileOptions,
    diags: &mut Diagnostics,
) -> Lowered {
    let mut prev: Vec<VarSummary> = Vec::new();
    let mut pass = 0;
    loop {
        pass += 1;
        let mut cx = Cx::new(sources, prev.clone());
        cx.program(ast, options);
        let table = labels::analyse(&cx.snapshot());
        let next = cx.next_summaries(&prev, &table);
        let converged = next == prev;
        if !converged && pass >= pass_limit(&next) {
            cx.report(crate::diag::internal(
                Span::new(0, 0),
                format!("the label and shape analysis did not converge in {pass} passes"),
            ));
        } else if !converged {
            prev = next;
            continue;
        }
        let (program, symbols, grads) = cx.finish(diags);
        return Lowered { program, symbols, grads, labels: table };
    }
}

/// The most passes the fixpoint can take: one more than the number of steps the summaries can
/// rise (label 2, dtype 2, shape: unknown → known → one dimension at a time → unknown rank).
fn pass_limit(summaries: &[VarSummary]) -> usize {
    let steps: usize = summaries
        .iter()
        .map(|s| match &s.shape {
            Some(Shape::Ranked(dims)) => 6 + dims.len(),
            _ => 6,
        })
        .sum();
    steps + 2
}

impl VarSummary {
    fn join(&self, other: &VarSummary) -> VarSummary {
        VarSummary {
            label: self.label.join(other.label),
            dtype: match (self.dtype, other.dtype) {
                (Some(a), Some(b)) => Some(dtype_join(a, b)),
                (a, b) => a.or(b),
            },
            shape: match (&self.shape, &other.shape) {
                (Some(a), Some(b)) => Some(shapes::join(a, b)),
                (a, b) => a.clone().or_else(|| b.clone()),
            },
        }
    }
}

impl<'a> Cx<'a> {
    fn new(sources: &'a crate::Sources, prev: Vec<VarSummary>) -> Cx<'a> {
        Cx {
            src: sources.text(),
            sources,
            values: Vec::new(),
            vars: Vec::new(),
            summaries: Vec::new(),
            prev,
            cur_shape: HashMap::new(),
            diags: Diagnostics::default(),
            pending: Vec::new(),
            symbols: Vec::new(),
            parties: Vec::new(),
            params: HashMap::new(),
            param_list: Vec::new(),
            fns: HashMap::new(),
            frames: Vec::new(),
            blocks: Vec::new(),
            call_stack: Vec::new(),
            private: Vec::new(),
            load_ctx: None,
            depth: 0,
            quiet_inputs: false,
            names: labels::Names::new(),
            grads: Vec::new(),
        }
    }

    /// Reports a diagnostic now.
    pub fn report(&mut self, diag: Diagnostic) {
        self.diags.push(diag);
    }

    /// Reports a diagnostic whose notes explain why each of `values` is not public, each
    /// introduced by its subject (e.g. "the condition").
    pub fn report_with_provenance(&mut self, diag: Diagnostic, values: Vec<(ValueId, String)>) {
        self.pending.push((diag, values));
    }

    /// The program lowered so far (the main body), for the label analysis between passes.
    fn snapshot(&self) -> Program {
        Program {
            parties: self.parties.iter().map(|p| p.name.clone()).collect(),
            params: self.param_list.clone(),
            values: self.values.clone(),
            vars: self.vars.clone(),
            body: Block(self.blocks.last().cloned().unwrap_or_default()),
        }
    }

    /// The summaries the next pass starts from: this pass's joined with the previous ones and
    /// with the analysed labels.
    fn next_summaries(&self, prev: &[VarSummary], table: &labels::LabelTable) -> Vec<VarSummary> {
        self.summaries
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let analysed = VarSummary { label: table.var(VarId(i as u32)), dtype: None, shape: None };
                let joined = s.join(&analysed);
                match prev.get(i) {
                    Some(p) => joined.join(p),
                    None => joined,
                }
            })
            .collect()
    }

    fn finish(mut self, diags: &mut Diagnostics) -> (Program, Vec<SymbolInfo>, Vec<crate::passes::grad::GradRequest>) {
        let body = Block(self.blocks.pop().unwrap_or_default());
        let program = Program {
            parties: self.parties.iter().map(|p| p.name.clone()).collect(),
            params: std::mem::take(&mut self.param_list),
            values: std::mem::take(&mut self.values),
            vars: std::mem::take(&mut self.vars),
            body,
        };
        let lines = labels::LineIndex::new(self.sources);
        for (mut diag, values) in std::mem::take(&mut self.pending) {
            for (value, subject) in values {
                if let Some(p) = labels::provenance(&program, &self.names, &lines, value, &subject) {
                    diag.notes.push(p.note);
                    if let Some((span, msg)) = p.source {
                        if span != diag.span && !diag.secondary.iter().any(|(s, _)| *s == span) {
                            diag.secondary.push((span, msg));
                        }
                    }
                }
            }
            self.diags.push(diag);
        }
        for d in std::mem::take(&mut self.diags).finish() {
            diags.push(d);
        }
        // A name inside a function is recorded once per inlined call: one symbol, whose hover
        // lists each call's labels when they differ.
        let mut index: HashMap<(Span, String), usize> = HashMap::new();
        let mut symbols: Vec<SymbolInfo> = Vec::new();
        let mut infos: Vec<Vec<String>> = Vec::new();
        for (span, def_span, name, kind, hover) in std::mem::take(&mut self.symbols) {
            let info = match hover {
                Hover::None => None,
                Hover::Value(v) => labels::hover_text(&program, &self.names, v),
                Hover::Text(text) => Some(text),
            };
            let at = *index.entry((span, name.clone())).or_insert_with(|| {
                symbols.push(SymbolInfo { span, def_span, name, kind, info: None });
                infos.push(Vec::new());
                symbols.len() - 1
            });
            if let (Some(info), Some(list)) = (info, infos.get_mut(at)) {
                if !list.contains(&info) {
                    list.push(info);
                }
            }
        }
        for (symbol, list) in symbols.iter_mut().zip(infos) {
            symbol.info = match list.len() {
                0 => None,
                1 => list.into_iter().next(),
                _ => Some(format!("in one call of its function: {}", list.join("; in another: "))),
            };
        }
        symbols.sort_by_key(|s| (s.span.start, s.span.end));
        (program, symbols, std::mem::take(&mut self.grads))
    }

    /// Collects the parties, params and functions, then lowers the main body and every
    /// function that is never called (so that its problems are reported too).
    fn program(&mut self, program: &'a ast::Program, options: &CompileOptions) {
        self.blocks.push(Vec::new());
        self.declarations(program, options);
        let main: Vec<&ast::Stmt> = program
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Stmt(s) => Some(s),
                _ => None,
            })
            .collect();
        let mut frame = Frame::default();
        for s in &main {
            stmt::collect_assigned(s, &mut frame.assigned);
        }
        frame.scopes.push(HashMap::new());
        self.frames.push(frame);
        for s in &main {
            self.stmt(s, false);
        }
        self.frames.pop();
        let called: HashSet<String> = self.called_names();
        let mut uncalled: Vec<&'a ast::FnDecl> =
            self.fns.values().copied().filter(|f| !called.contains(&f.name.name)).collect();
        uncalled.sort_by_key(|f| f.span.start);
        for f in uncalled {
            self.blocks.push(Vec::new());
            let args: Vec<(Val, Span)> = f.params.iter().map(|p| (Val::T(self.opaque(p.span)), p.span)).collect();
            self.inline_fn(f, args, f.name.span);
            self.blocks.pop();
        }
    }

    fn called_names(&self) -> HashSet<String> {
        self.symbols.iter().filter(|s| s.3 == SymbolKind::Fn && s.1 != Some(s.0)).map(|s| s.2.clone()).collect()
    }

    /// A public value of unknown shape standing for a parameter of a function that is never
    /// called; it is evaluated in a detached block, never run.
    fn opaque(&mut self, span: Span) -> ValueId {
        let info = ValueInfo::public(DType::Real, Shape::Unknown);
        self.emit(Op::Load { path: String::new(), at: None }, info, span)
    }

    fn declarations(&mut self, program: &'a ast::Program, options: &CompileOptions) {
        use crate::diag::Code;
        for item in &program.items {
            match item {
                ast::Item::Parties { names, span } => {
                    if !self.parties.is_empty() {
                        self.report(
                            Diagnostic::error(Code::E0113, *span, "second `parties` declaration")
                                .help("declare every party in one line: `parties ALICE, BOB;`"),
                        );
                        continue;
                    }
                    for name in names {
                        if let Some(first) = self.parties.iter().find(|p| p.name == name.name) {
                            let first = first.span;
                            self.report(
                                Diagnostic::error(
                                    Code::E0113,
                                    name.span,
                                    format!("party `{}` declared twice", name.name),
                                )
                                .secondary(first, "first declared here")
                                .help("remove the second one"),
                            );
                            continue;
                        }
                        self.symbols.push((
                            name.span,
                            Some(name.span),
                            name.name.clone(),
                            SymbolKind::Party,
                            Hover::None,
                        ));
                        self.parties.push(name.clone());
                    }
                }
                ast::Item::Param { name, value, span } => self.param(name, value, *span),
                ast::Item::Fn(f) => {
                    if let Some(first) = self.fns.get(&f.name.name) {
                        let first = first.name.span;
                        self.report(
                            Diagnostic::error(
                                Code::E0113,
                                f.name.span,
                                format!("function `{}` defined twice", f.name.name),
                            )
                            .secondary(first, "first defined here")
                            .help(format!("rename one of them, e.g. `fn {}_2(…)`", f.name.name)),
                        );
                        continue;
                    }
                    self.symbols.push((
                        f.name.span,
                        Some(f.name.span),
                        f.name.name.clone(),
                        SymbolKind::Fn,
                        Hover::None,
                    ));
                    self.fns.insert(f.name.name.clone(), f);
                }
                // Read before the lowering (`uses::expand`); its functions are items of `program`.
                ast::Item::Use { .. } | ast::Item::Stmt(_) => {}
            }
        }
        self.apply_overrides(program, options);
    }

    fn param(&mut self, name: &ast::Ident, value: &ast::Expr, span: Span) {
        use crate::diag::Code;
        if let Some((_, first)) = self.params.get(&name.name) {
            let first = *first;
            self.report(
                Diagnostic::error(Code::E0113, name.span, format!("param `{}` declared twice", name.name))
                    .secondary(first, "first declared here")
                    .help("remove the second one"),
            );
            return;
        }
        let number = match &value.kind {
            ast::ExprKind::Number(x) => Some(*x),
            ast::ExprKind::Unary { op: ast::UnOp::Neg, operand } => match operand.kind {
                ast::ExprKind::Number(x) => Some(-x),
                _ => None,
            },
            ast::ExprKind::Error => return,
            _ => None,
        };
        let Some(number) = number else {
            self.report(
                Diagnostic::error(Code::E0104, value.span, "not a number literal")
                    .message(format!("param `{}` must be a number literal", name.name))
                    .note("Params are set before the program runs, so their value is a literal (or `--set`).")
                    .help(format!("param {} = 1;", name.name)),
            );
            return;
        };
        let _ = span;
        self.symbols.push((name.span, Some(name.span), name.name.clone(), SymbolKind::Param, Hover::None));
        self.params.insert(name.name.clone(), (number, name.span));
        self.param_list.push((name.name.clone(), number));
    }

    fn apply_overrides(&mut self, program: &ast::Program, options: &CompileOptions) {
        use crate::diag::Code;
        let at = Span::new(0, 0);
        for (name, raw) in &options.params {
            let Some(entry) = self.params.get_mut(name) else {
                let declared: Vec<String> = self.param_list.iter().map(|(n, _)| format!("`{n}`")).collect();
                let known = if declared.is_empty() { "none".to_string() } else { declared.join(", ") };
                self.report(
                    Diagnostic::error(Code::E0104, at, "")
                        .message(format!("`--set {name}=…` names no param"))
                        .note(format!("The program declares these params: {known}."))
                        .help(format!("declare it: `param {name} = {raw};`")),
                );
                continue;
            };
            match raw.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => {
                    entry.0 = x;
                    if let Some(p) = self.param_list.iter_mut().find(|(n, _)| n == name) {
                        p.1 = x;
                    }
                }
                _ => {
                    let decl = entry.1;
                    self.report(
                        Diagnostic::error(Code::E0104, decl, "declared here")
                            .message(format!("`--set {name}={raw}` is not a number"))
                            .help(format!("--set {name}=1")),
                    );
                }
            }
        }
        let _ = program;
    }

    // ---- emission -------------------------------------------------------------------------

    /// Adds a value to the arena and evaluates it in the current block.
    pub fn emit(&mut self, op: Op, info: ValueInfo, span: Span) -> ValueId {
        let id = ValueId(self.values.len() as u32);
        self.values.push(ValueDef { op, info, span: ir_span(span) });
        self.push_stmt(Stmt::Eval(id));
        id
    }

    pub fn push_stmt(&mut self, stmt: Stmt) {
        if let Some(block) = self.blocks.last_mut() {
            block.push(stmt);
        }
    }

    pub fn info(&self, v: ValueId) -> ValueInfo {
        self.values
            .get(v.index())
            .map(|d| d.info.clone())
            .unwrap_or_else(|| ValueInfo::public(DType::Real, Shape::Unknown))
    }

    pub fn op(&self, v: ValueId) -> Option<&Op> {
        self.values.get(v.index()).map(|d| &d.op)
    }

    /// The label of an op over `operands`, with the witness: the first operand that has it.
    pub fn join_labels(&self, operands: &[ValueId]) -> (Label, Option<ValueId>) {
        let mut label = Label::Public;
        for v in operands {
            label = label.join(self.info(*v).label);
        }
        let witness = if label.is_public() {
            None
        } else {
            operands
                .iter()
                .find(|v| self.info(**v).label == label)
                .or_else(|| operands.iter().find(|v| !self.info(**v).label.is_public()))
                .copied()
        };
        (label, witness)
    }

    /// Creates a variable, starting from the previous pass's summary of it.
    pub fn new_var(&mut self, name: &str, span: Span) -> VarId {
        let id = VarId(self.vars.len() as u32);
        let prev = self.prev.get(id.index()).cloned();
        let summary = prev.unwrap_or(VarSummary { label: Label::Public, dtype: None, shape: None });
        self.vars.push(VarDef {
            name: name.to_string(),
            label: summary.label,
            dtype: summary.dtype.unwrap_or(DType::Real),
            shape: summary.shape.clone().unwrap_or(Shape::Unknown),
            witness: None,
            span: ir_span(span),
        });
        self.summaries.push(VarSummary { label: Label::Public, dtype: None, shape: None });
        id
    }

    /// Reads a variable: label, dtype and shape are the variable's (the join of all assignments).
    pub fn read_var(&mut self, var: VarId, span: Span) -> ValueId {
        let (label, dtype, shape, witness) = match self.vars.get(var.index()) {
            Some(d) => (d.label, d.dtype, d.shape.clone(), d.witness),
            None => (Label::Public, DType::Real, Shape::Unknown, None),
        };
        let info = ValueInfo { label, dtype, shape, witness };
        self.emit(Op::Var(var), info, span)
    }
}

/// The compiler's spans are the grammar's; the IR has its own identical type.
pub(crate) fn ir_span(span: Span) -> mpcc_ir::Span {
    mpcc_ir::Span::new(span.start, span.end)
}

pub(crate) fn dtype_join(a: DType, b: DType) -> DType {
    match (a, b) {
        (x, y) if x == y => x,
        (DType::Bool, DType::Int) | (DType::Int, DType::Bool) => DType::Int,
        _ => DType::Real,
    }
}
