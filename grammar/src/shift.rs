//! Moving every span of a tree by a fixed offset, so that several files parsed one at a time can
//! share one offset space (the compiler lays the files of a `use` end to end).

use crate::ast::{Arg, Block, Expr, ExprKind, FnDecl, Ident, IndexArg, Item, Pattern, Program, Stmt, StmtKind};
use crate::error::ParseError;
use crate::span::Span;

fn span(s: &mut Span, by: u32) {
    s.start = s.start.saturating_add(by);
    s.end = s.end.saturating_add(by);
}

impl Program {
    /// Adds `by` to every span in the tree.
    pub fn shift_spans(&mut self, by: u32) {
        span(&mut self.span, by);
        for item in &mut self.items {
            item_(item, by);
        }
    }
}

impl ParseError {
    /// Adds `by` to the error's span.
    pub fn shift_span(&mut self, by: u32) {
        span(&mut self.span, by);
    }
}

fn ident(i: &mut Ident, by: u32) {
    span(&mut i.span, by);
}

fn item_(item: &mut Item, by: u32) {
    match item {
        Item::Parties { names, span: s } => {
            span(s, by);
            names.iter_mut().for_each(|n| ident(n, by));
        }
        Item::Param { name, value, span: s } => {
            span(s, by);
            ident(name, by);
            expr(value, by);
        }
        Item::Fn(FnDecl { name, params, body, span: s }) => {
            span(s, by);
            ident(name, by);
            params.iter_mut().for_each(|p| ident(p, by));
            block(body, by);
        }
        Item::Use { path_span, span: s, .. } => {
            span(s, by);
            span(path_span, by);
        }
        Item::Stmt(s) => stmt(s, by),
    }
}

fn block(b: &mut Block, by: u32) {
    span(&mut b.span, by);
    b.stmts.iter_mut().for_each(|s| stmt(s, by));
}

fn pattern(p: &mut Pattern, by: u32) {
    match p {
        Pattern::Name(i) => ident(i, by),
        Pattern::Tuple(ps, s) => {
            span(s, by);
            ps.iter_mut().for_each(|p| pattern(p, by));
        }
    }
}

fn stmt(s: &mut Stmt, by: u32) {
    span(&mut s.span, by);
    match &mut s.kind {
        StmtKind::Let { pattern: p, value } => {
            pattern(p, by);
            expr(value, by);
        }
        StmtKind::Assign { target, value, .. } => {
            pattern(target, by);
            expr(value, by);
        }
        StmtKind::Expr(e) => expr(e, by),
        StmtKind::If { cond, then_block, else_block } => {
            expr(cond, by);
            block(then_block, by);
            if let Some(b) = else_block {
                block(b, by);
            }
        }
        StmtKind::For { var, start, end, body } => {
            ident(var, by);
            expr(start, by);
            expr(end, by);
            block(body, by);
        }
        StmtKind::While { cond, body } => {
            expr(cond, by);
            block(body, by);
        }
        StmtKind::Return(e) => {
            if let Some(e) = e {
                expr(e, by);
            }
        }
        StmtKind::Break | StmtKind::Continue | StmtKind::Error => {}
    }
}

/// Recursive like every walker of the tree: the parser bounds its height (`MAX_NESTING`).
fn expr(e: &mut Expr, by: u32) {
    span(&mut e.span, by);
    match &mut e.kind {
        ExprKind::Number(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Error => {}
        ExprKind::Name(i) => ident(i, by),
        ExprKind::List(xs) | ExprKind::Tuple(xs) => xs.iter_mut().for_each(|x| expr(x, by)),
        ExprKind::Unary { operand, .. } => expr(operand, by),
        ExprKind::Binary { lhs, rhs, .. } => {
            expr(lhs, by);
            expr(rhs, by);
        }
        ExprKind::Call { callee, args } => {
            ident(callee, by);
            for Arg { name, value, span: s } in args {
                span(s, by);
                if let Some(n) = name {
                    ident(n, by);
                }
                expr(value, by);
            }
        }
        ExprKind::Index { base, indices } => {
            expr(base, by);
            for i in indices {
                match i {
                    IndexArg::At(e) => expr(e, by),
                    IndexArg::Slice { start, end, span: s } => {
                        span(s, by);
                        if let Some(e) = start {
                            expr(e, by);
                        }
                        if let Some(e) = end {
                            expr(e, by);
                        }
                    }
                }
            }
        }
    }
}
