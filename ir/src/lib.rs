//! The typed tensor IR of mpcc: the one contract between the compiler and the runtime.
//!
//! A [`Program`] is an arena of pure values ([`ValueDef`], addressed by [`ValueId`]) and a
//! statement tree ([`Block`] of [`Stmt`]) that says when each value is computed and holds all
//! effects and control flow. Variables ([`VarId`]) are mutable slots; `Op::Var` reads one.
//!
//! Execution model: an executor walks `body`; `Stmt::Eval(v)` computes value `v` from operands
//! computed earlier (in this block or an enclosing one) and stores it, replacing any earlier
//! result of `v` (loops re-run their body's `Eval`s every iteration).
//!
//! Every value carries a [`ValueInfo`]: its security [`Label`], [`DType`], [`Shape`] where known,
//! and, for a non-public value, the *witness* operand that made it non-public.
//! This crate does no IO and knows nothing of the surface syntax.

mod fingerprint;
pub mod fold;
mod op;
mod print;
pub mod schedule;
pub mod validate;

pub use fingerprint::RunContext;
pub use op::*;
pub use print::{binary_name, info_text, pool_name, print_program, shape_text, unary_name};
pub use validate::{validate, validate_at, Stage, Violation};

use serde::{Deserialize, Serialize};
use std::fmt;

/// A byte range in the source file (`start..end`), carried so that late checks can point at code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }
}

/// Index of a value in [`Program::values`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ValueId(pub u32);

/// Index of a variable in [`Program::vars`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VarId(pub u32);

/// A party's rank: the position of its name in `parties …;` (ALICE = 0, BOB = 1, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PartyId(pub u32);

impl ValueId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
impl VarId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
impl PartyId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ValueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// Who knows a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Label {
    /// Every party holds the same value.
    Public,
    /// Only this party holds the value (e.g. its own `load`, inside `private(src=P, …)`).
    /// The other parties know only its shape once it is shared.
    Local(PartyId),
    /// Secret-shared among all parties; no party knows it.
    Private,
}

impl Label {
    /// The label of an operation over operands with labels `self` and `other`.
    /// `Local(P)` joined with `Local(Q)` for P ≠ Q, or with `Private`, is `Private`
    /// (the executor shares the local operand first).
    pub fn join(self, other: Label) -> Label {
        match (self, other) {
            (Label::Public, l) | (l, Label::Public) => l,
            (Label::Local(p), Label::Local(q)) if p == q => Label::Local(p),
            _ => Label::Private,
        }
    }
    pub fn is_public(self) -> bool {
        self == Label::Public
    }
}

/// Element type. Every element is a real number; the dtype records what is known of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DType {
    /// A real number (fixed-point when private).
    Real,
    /// 0 or 1: the result of a comparison.
    Bool,
    /// An integer, e.g. an index from `argmax` or a loop counter.
    Int,
}

/// One dimension of a shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dim {
    Known(usize),
    Unknown,
}

/// A tensor's shape as far as the compiler knows it (data files are read only at run time).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Shape {
    /// Not even the rank is known.
    Unknown,
    /// Rank known; each dimension known or not. `Ranked(vec![])` is a scalar.
    Ranked(Vec<Dim>),
}

impl Shape {
    pub fn scalar() -> Shape {
        Shape::Ranked(Vec::new())
    }
    pub fn known(dims: &[usize]) -> Shape {
        Shape::Ranked(dims.iter().map(|&d| Dim::Known(d)).collect())
    }
    /// The dimensions if every one is known.
    pub fn as_known(&self) -> Option<Vec<usize>> {
        match self {
            Shape::Unknown => None,
            Shape::Ranked(dims) => dims
                .iter()
                .map(|d| match d {
                    Dim::Known(n) => Some(*n),
                    Dim::Unknown => None,
                })
                .collect(),
        }
    }
    pub fn rank(&self) -> Option<usize> {
        match self {
            Shape::Unknown => None,
            Shape::Ranked(dims) => Some(dims.len()),
        }
    }
}

/// What the compiler knows of a value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValueInfo {
    pub label: Label,
    pub dtype: DType,
    pub shape: Shape,
    /// For a non-public value: the operand (or variable read) that made it non-public.
    /// Following witnesses leads back to a `Share`/`Load`, which gives the provenance note.
    pub witness: Option<ValueId>,
}

impl ValueInfo {
    pub fn public(dtype: DType, shape: Shape) -> ValueInfo {
        ValueInfo { label: Label::Public, dtype, shape, witness: None }
    }
}

/// One entry of the value arena.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValueDef {
    pub op: Op,
    pub info: ValueInfo,
    /// The source code this value came from.
    pub span: Span,
}

/// One variable: a mutable slot, assigned by `Stmt::Assign` and read by `Op::Var`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VarDef {
    /// The surface name (not unique: inlining and shadowing create several `x`).
    pub name: String,
    /// The join of the labels of every value ever assigned to it (a fixpoint over loops).
    pub label: Label,
    pub dtype: DType,
    /// The shape, if every assignment agrees on it.
    pub shape: Shape,
    /// For a non-public variable: the assigned value that made it non-public.
    pub witness: Option<ValueId>,
    /// Where it was declared.
    pub span: Span,
}

/// A sequence of statements.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Block(pub Vec<Stmt>);

impl Block {
    /// Every `var = value` in this block and the blocks nested in it, in statement order.
    pub fn assignments(&self) -> Vec<(VarId, ValueId)> {
        let mut out = Vec::new();
        collect_assignments(self, &mut out);
        out
    }
}

impl Stmt {
    /// The blocks nested directly in this statement, in order (an `if`'s two, a `while`'s
    /// condition block and body, a `for`'s body).
    pub fn blocks(&self) -> Vec<&Block> {
        match self {
            Stmt::If { then_block, else_block, .. } => vec![then_block, else_block],
            Stmt::For { body, .. } => vec![body],
            Stmt::While { cond_block, body, .. } => vec![cond_block, body],
            _ => Vec::new(),
        }
    }

    /// The values this statement reads itself (not those of nested blocks, nor an `Eval`'s
    /// operands, which are its op's): an assignment's value, a condition, loop bounds, what
    /// `print`, `save` and `output` take.
    pub fn reads(&self) -> Vec<ValueId> {
        match self {
            Stmt::Eval(_) | Stmt::Break { .. } | Stmt::Continue { .. } => Vec::new(),
            Stmt::Assign { value, .. } | Stmt::Save { value, .. } | Stmt::Output { value, .. } => vec![*value],
            Stmt::If { cond, .. } | Stmt::While { cond, .. } => vec![*cond],
            Stmt::For { start, end, .. } => vec![*start, *end],
            Stmt::Print { args, .. } => args
                .iter()
                .filter_map(|a| match a {
                    PrintArg::Value(v) => Some(*v),
                    PrintArg::Str(_) => None,
                })
                .collect(),
        }
    }
}

fn collect_assignments(block: &Block, out: &mut Vec<(VarId, ValueId)>) {
    for stmt in &block.0 {
        if let Stmt::Assign { var, value } = stmt {
            out.push((*var, *value));
        }
        for inner in stmt.blocks() {
            collect_assignments(inner, out);
        }
    }
}

/// A whole checked program, all functions inlined.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// Party names in rank order.
    pub parties: Vec<String>,
    /// Parameter values used (after `--set`), substituted into the program as constants;
    /// recorded so that networked parties can check they run the same thing.
    pub params: Vec<(String, f64)>,
    pub values: Vec<ValueDef>,
    pub vars: Vec<VarDef>,
    pub body: Block,
}

impl Program {
    pub fn value(&self, id: ValueId) -> Option<&ValueDef> {
        self.values.get(id.index())
    }
    pub fn var(&self, id: VarId) -> Option<&VarDef> {
        self.vars.get(id.index())
    }
    /// The name of a party by rank; ranks past the named parties are `P<rank>`.
    pub fn party_name(&self, party: PartyId) -> String {
        match self.parties.get(party.index()) {
            Some(name) => name.clone(),
            None => format!("P{}", party.0),
        }
    }
}
