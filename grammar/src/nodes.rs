//! The constructors that the grammar's actions call to build the AST.
//!
//! Every expression and statement is built together with the height of its tree, so that no tree
//! taller than [`MAX_NESTING`] is ever built: the node where the height first passes the limit
//! is reported once as `TooDeep` and replaced by an `Error` node (an expression that contains it
//! becomes `Error` as well, without a second report). Dropping, cloning, printing and walking the
//! AST recursively is therefore safe. This module does not parse; `grammar.lalrpop` does.

use crate::ast::{Arg, AssignOp, BinOp, Block, Expr, ExprKind, Ident, IndexArg, Pattern, Stmt, StmtKind, UnOp};
use crate::error::{ParseError, ParseErrorKind};
use crate::span::Span;
use crate::MAX_NESTING;

const LIMIT: u32 = MAX_NESTING as u32;

fn too_deep(span: Span) -> ParseError {
    ParseError { kind: ParseErrorKind::TooDeep { limit: MAX_NESTING }, span }
}

/// An expression with the height of its tree; `poisoned` marks the `Error` node that replaced a
/// too-deep expression (already reported).
pub struct E {
    pub expr: Expr,
    pub height: u32,
    pub poisoned: bool,
}

/// A statement with the height of its tree.
pub struct S {
    pub stmt: Stmt,
    pub height: u32,
}

/// A block with the height of its tree.
pub struct B {
    pub block: Block,
    pub height: u32,
}

/// One argument of a call, before its height is folded into the call's.
pub struct A {
    pub name: Option<Ident>,
    pub value: E,
    pub span: Span,
}

/// One position of an index, before its height is folded into the index's.
pub enum I {
    At(E),
    Slice { start: Option<E>, end: Option<E>, span: Span },
}

/// The `else if … else …` part of an `if`: the `else if`s innermost (last written) first.
#[derive(Default)]
pub struct Tail {
    pub elifs: Vec<(usize, E, B, usize)>,
    pub els: Option<B>,
}

pub fn ident(name: &str, l: usize, r: usize) -> Ident {
    Ident { name: name.to_string(), span: Span::new(l, r) }
}

pub fn leaf(kind: ExprKind, l: usize, r: usize) -> E {
    E { expr: Expr { kind, span: Span::new(l, r) }, height: 1, poisoned: false }
}

/// Builds a node over children of the given heights, or the `Error` node that replaces it.
fn finish(
    errors: &mut Vec<ParseError>,
    kind: ExprKind,
    span: Span,
    children: impl IntoIterator<Item = (u32, bool)>,
) -> E {
    let (mut height, mut poisoned) = (0, false);
    for (h, p) in children {
        height = height.max(h);
        poisoned |= p;
    }
    height += 1;
    if !poisoned && height > LIMIT {
        errors.push(too_deep(span));
        poisoned = true;
    }
    if poisoned {
        // `kind`'s children are at most `LIMIT` high: dropping them recursively is fine.
        return E { expr: Expr { kind: ExprKind::Error, span }, height: 1, poisoned };
    }
    E { expr: Expr { kind, span }, height, poisoned }
}

fn hp(e: &E) -> (u32, bool) {
    (e.height, e.poisoned)
}

pub fn unary(errors: &mut Vec<ParseError>, op: UnOp, operand: E, l: usize, r: usize) -> E {
    let kids = [hp(&operand)];
    let kind = ExprKind::Unary { op, operand: Box::new(operand.expr) };
    finish(errors, kind, Span::new(l, r), kids)
}

pub fn binary(errors: &mut Vec<ParseError>, op: BinOp, lhs: E, rhs: E, l: usize, r: usize) -> E {
    let kids = [hp(&lhs), hp(&rhs)];
    let kind = ExprKind::Binary { op, lhs: Box::new(lhs.expr), rhs: Box::new(rhs.expr) };
    finish(errors, kind, Span::new(l, r), kids)
}

pub fn list(errors: &mut Vec<ParseError>, items: Vec<E>, l: usize, r: usize) -> E {
    let kids: Vec<_> = items.iter().map(hp).collect();
    let kind = ExprKind::List(items.into_iter().map(|e| e.expr).collect());
    finish(errors, kind, Span::new(l, r), kids)
}

pub fn tuple(errors: &mut Vec<ParseError>, items: Vec<E>, l: usize, r: usize) -> E {
    let kids: Vec<_> = items.iter().map(hp).collect();
    let kind = ExprKind::Tuple(items.into_iter().map(|e| e.expr).collect());
    finish(errors, kind, Span::new(l, r), kids)
}

pub fn call(errors: &mut Vec<ParseError>, callee: Ident, args: Vec<A>, l: usize, r: usize) -> E {
    let kids: Vec<_> = args.iter().map(|a| hp(&a.value)).collect();
    let args = args.into_iter().map(|a| Arg { name: a.name, value: a.value.expr, span: a.span }).collect();
    finish(errors, ExprKind::Call { callee, args }, Span::new(l, r), kids)
}

pub fn index(errors: &mut Vec<ParseError>, base: E, indices: Vec<I>, l: usize, r: usize) -> E {
    let mut kids = vec![hp(&base)];
    let mut out = Vec::with_capacity(indices.len());
    for index in indices {
        match index {
            I::At(e) => {
                kids.push(hp(&e));
                out.push(IndexArg::At(e.expr));
            }
            I::Slice { start, end, span } => {
                kids.extend(start.iter().chain(end.iter()).map(hp));
                let (start, end) = (start.map(|e| e.expr), end.map(|e| e.expr));
                out.push(IndexArg::Slice { start, end, span });
            }
        }
    }
    let kind = ExprKind::Index { base: Box::new(base.expr), indices: out };
    finish(errors, kind, Span::new(l, r), kids)
}

/// Builds a statement over children `height` high, or the `Error` statement that replaces it.
fn stmt(errors: &mut Vec<ParseError>, kind: StmtKind, span: Span, height: u32) -> S {
    checked_stmt(kind, span, height).unwrap_or_else(|| {
        errors.push(too_deep(span));
        S { stmt: Stmt { kind: StmtKind::Error, span }, height: 1 }
    })
}

/// The statement, unless it would be taller than the limit.
fn checked_stmt(kind: StmtKind, span: Span, height: u32) -> Option<S> {
    (height < LIMIT).then(|| S { stmt: Stmt { kind, span }, height: height + 1 })
}

pub fn error_stmt(l: usize, r: usize) -> S {
    S { stmt: Stmt { kind: StmtKind::Error, span: Span::new(l, r) }, height: 1 }
}

pub fn block(stmts: Vec<S>, l: usize, r: usize) -> B {
    let height = 1 + stmts.iter().map(|s| s.height).max().unwrap_or(0);
    let stmts = stmts.into_iter().map(|s| s.stmt).collect();
    B { block: Block { stmts, span: Span::new(l, r) }, height }
}

pub fn let_(errors: &mut Vec<ParseError>, pattern: Pattern, value: E, l: usize, r: usize) -> S {
    let h = value.height;
    stmt(errors, StmtKind::Let { pattern, value: value.expr }, Span::new(l, r), h)
}

pub fn expr_stmt(errors: &mut Vec<ParseError>, e: E, l: usize, r: usize) -> S {
    let h = e.height;
    stmt(errors, StmtKind::Expr(e.expr), Span::new(l, r), h)
}

pub fn return_(errors: &mut Vec<ParseError>, e: Option<E>, l: usize, r: usize) -> S {
    let h = e.as_ref().map_or(0, |e| e.height);
    stmt(errors, StmtKind::Return(e.map(|e| e.expr)), Span::new(l, r), h)
}

pub fn simple(kind: StmtKind, l: usize, r: usize) -> S {
    S { stmt: Stmt { kind, span: Span::new(l, r) }, height: 1 }
}

/// `target op value;`. The target was parsed as an expression; it must be a name, or a tuple of
/// names with `=`. Otherwise the operator is reported as unexpected and the statement is `Error`.
#[allow(clippy::too_many_arguments)]
pub fn assign(
    errors: &mut Vec<ParseError>,
    target: E,
    op: AssignOp,
    op_span: (usize, usize, &str),
    value: E,
    l: usize,
    r: usize,
) -> S {
    let poisoned = target.poisoned;
    let expected = match pattern(target.expr) {
        Some(target @ Pattern::Name(_)) => Ok(target),
        Some(target @ Pattern::Tuple(..)) if op == AssignOp::Set => Ok(target),
        Some(Pattern::Tuple(..)) => Err("`=`"),
        None => Err("`;`"),
    };
    match expected {
        Ok(target) => {
            let h = value.height;
            stmt(errors, StmtKind::Assign { target, op, value: value.expr }, Span::new(l, r), h)
        }
        Err(expected) => {
            if !poisoned {
                errors.push(ParseError {
                    kind: ParseErrorKind::UnexpectedToken {
                        found: format!("`{}`", op_span.2),
                        expected: vec![expected.to_string()],
                    },
                    span: Span::new(op_span.0, op_span.1),
                });
            }
            error_stmt(l, r)
        }
    }
}

/// The pattern an assignment target expression stands for, if any.
fn pattern(expr: Expr) -> Option<Pattern> {
    match expr.kind {
        ExprKind::Name(id) => Some(Pattern::Name(id)),
        ExprKind::Tuple(items) => {
            let items = items.into_iter().map(pattern).collect::<Option<Vec<_>>>()?;
            Some(Pattern::Tuple(items, expr.span))
        }
        _ => None,
    }
}

pub fn for_(errors: &mut Vec<ParseError>, var: Ident, (start, end): (E, E), body: B, l: usize, r: usize) -> S {
    let h = start.height.max(end.height).max(body.height);
    let kind = StmtKind::For { var, start: start.expr, end: end.expr, body: body.block };
    stmt(errors, kind, Span::new(l, r), h)
}

pub fn while_(errors: &mut Vec<ParseError>, cond: E, body: B, l: usize, r: usize) -> S {
    let h = cond.height.max(body.height);
    stmt(errors, StmtKind::While { cond: cond.expr, body: body.block }, Span::new(l, r), h)
}

fn if_stmt(cond: E, then: B, els: Option<B>, l: usize, r: usize) -> Option<S> {
    let h = cond.height.max(then.height).max(els.as_ref().map_or(0, |b| b.height));
    let kind = StmtKind::If { cond: cond.expr, then_block: then.block, else_block: els.map(|b| b.block) };
    checked_stmt(kind, Span::new(l, r), h)
}

/// `if cond then else if … else …`: the `else if`s nest, innermost first. A chain too tall is
/// reported once, at the `if` where it passed the limit, and the whole statement is `Error`.
pub fn if_chain(errors: &mut Vec<ParseError>, (cond, then): (E, B), tail: Tail, l: usize, r: usize) -> S {
    let mut els = tail.els;
    for (el, c, b, er) in tail.elifs {
        let Some(s) = if_stmt(c, b, els, el, er) else {
            errors.push(too_deep(Span::new(el, er)));
            return error_stmt(l, r);
        };
        let block = Block { span: s.stmt.span, stmts: vec![s.stmt] };
        els = Some(B { block, height: s.height + 1 });
    }
    if_stmt(cond, then, els, l, r).unwrap_or_else(|| {
        errors.push(too_deep(Span::new(l, r)));
        error_stmt(l, r)
    })
}
