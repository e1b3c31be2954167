//! The untyped syntax tree, exactly as written. No names are resolved and nothing is checked here.
//!
//! Where the parser recovered from an error it leaves an `Error` node (`ExprKind::Error`,
//! `StmtKind::Error`) so that later phases keep going and report more problems.
//!
//! Spans are byte offsets into the source, and each covers exactly the node's text:
//! - an [`Ident`]'s covers the name only; a call's covers `f(…)` whole; an index's `x[…]` whole;
//! - a statement's includes its trailing `;` (`let x = 1;`), a block's its braces, an item's all
//!   of it (`fn f() { … }`, `param p = 1;`); the [`Program`]'s is the whole source;
//! - `(e)` is the node of `e` with `e`'s span (parentheses excluded); a `Tuple`'s span includes its
//!   parentheses; a [`Pattern::Tuple`]'s too;
//! - the `else` block of an `else if` has no braces: its span is that of the `if` it holds;
//! - an `Error` statement covers the text the parser skipped (with its `;` if it ate one); an
//!   `Error` expression that replaced a too-deep one keeps that expression's span.
//!
//! No tree the parser returns is taller than `MAX_NESTING` (statements and expressions counted
//! together, from any statement down), so later phases may walk it recursively.

use crate::span::Span;

/// A name as written, with where.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole source file.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub items: Vec<Item>,
    pub span: Span,
}

/// A top-level item. Statements may appear at top level; they form the program's main body.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `parties ALICE, BOB;`
    Parties { names: Vec<Ident>, span: Span },
    /// `param epochs = 50;` — the value should be a literal (possibly negated); the compiler checks.
    Param { name: Ident, value: Expr, span: Span },
    /// `fn name(a, b) { … }`
    Fn(FnDecl),
    /// `use "layers.mpc";`: the `fn`s of that file (a path relative to this one) callable here.
    /// `path_span` covers the string literal with its quotes.
    Use { path: String, path_span: Span, span: Span },
    /// A statement of the main body.
    Stmt(Stmt),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FnDecl {
    pub name: Ident,
    pub params: Vec<Ident>,
    pub body: Block,
    pub span: Span,
}

/// `{ stmt; stmt; … }`
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

/// The left side of `let` and of a tuple assignment: `x` or `(w, b)` (nested allowed).
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    Name(Ident),
    Tuple(Vec<Pattern>, Span),
}

impl Pattern {
    pub fn span(&self) -> Span {
        match self {
            Pattern::Name(id) => id.span,
            Pattern::Tuple(_, span) => *span,
        }
    }
}

/// `=`, `+=`, `-=`, `*=`, `/=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    Set,
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `let pattern = value;`
    Let {
        pattern: Pattern,
        value: Expr,
    },
    /// `x = e;`, `x += e;` …, or `(a, b) = e;` (only with `=`).
    Assign {
        target: Pattern,
        op: AssignOp,
        value: Expr,
    },
    /// An expression evaluated for its effect: `print(x);`, `output(w, to=ALICE);`.
    Expr(Expr),
    /// `if cond { … } else { … }`; `else if` is an `else` block holding one `If` statement.
    If {
        cond: Expr,
        then_block: Block,
        else_block: Option<Block>,
    },
    /// `for var in start..end { … }`
    For {
        var: Ident,
        start: Expr,
        end: Expr,
        body: Block,
    },
    /// `while cond { … }`
    While {
        cond: Expr,
        body: Block,
    },
    /// `return;` or `return e;` (a tuple is `return (a, b);`).
    Return(Option<Expr>),
    Break,
    Continue,
    /// The parser recovered from a syntax error here.
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `@`
    MatMul,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
}

/// One argument of a call: positional (`name: None`) or keyword (`axis=0`).
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}

/// One position inside `x[…]`.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexArg {
    /// `x[i]`
    At(Expr),
    /// `x[a:b]`, `x[:b]`, `x[a:]`, `x[:]`
    Slice { start: Option<Expr>, end: Option<Expr>, span: Span },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `3`, `-2.5` is `Unary(Neg, Number(2.5))`, `1e-3`.
    Number(f64),
    /// `"features.npy"`, with escapes already processed.
    Str(String),
    /// `true` / `false` (for flags such as `one_hot=true`).
    Bool(bool),
    /// A variable, function or party name.
    Name(Ident),
    /// `[a, b, c]`: a tensor literal, or a list of tensors for `cat`/`stack`.
    List(Vec<Expr>),
    /// `(a, b)` — at least two elements, or one with a trailing comma. `(e)` is just `e`.
    Tuple(Vec<Expr>),
    Unary {
        op: UnOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `f(args…)` — only names can be called.
    Call {
        callee: Ident,
        args: Vec<Arg>,
    },
    /// `x[…]`
    Index {
        base: Box<Expr>,
        indices: Vec<IndexArg>,
    },
    /// The parser recovered from a syntax error here.
    Error,
}
