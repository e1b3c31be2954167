//! A compact s-expression printing of the AST and of errors, for the tests' expectations.

use crate::ast::{AssignOp, BinOp, Block, Expr, ExprKind, IndexArg, Item, Pattern, Program, Stmt, StmtKind};
use crate::error::{ParseError, ParseErrorKind};

pub fn program(p: &Program) -> String {
    p.items.iter().map(item).collect::<Vec<_>>().join("\n")
}

fn item(i: &Item) -> String {
    match i {
        Item::Parties { names, .. } => {
            let names: Vec<_> = names.iter().map(|n| n.name.as_str()).collect();
            format!("(parties {})", names.join(" "))
        }
        Item::Param { name, value, .. } => format!("(param {} {})", name.name, expr(value)),
        Item::Fn(f) => {
            let params: Vec<_> = f.params.iter().map(|n| n.name.as_str()).collect();
            format!("(fn {} ({}) {})", f.name.name, params.join(" "), block(&f.body))
        }
        Item::Use { path, .. } => format!("(use {path:?})"),
        Item::Stmt(s) => stmt(s),
    }
}

fn block(b: &Block) -> String {
    let stmts: Vec<_> = b.stmts.iter().map(stmt).collect();
    format!("{{{}}}", stmts.join(" "))
}

pub fn stmt(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Let { pattern: p, value } => format!("(let {} {})", pattern(p), expr(value)),
        StmtKind::Assign { target, op, value } => {
            let op = match op {
                AssignOp::Set => "=",
                AssignOp::Add => "+=",
                AssignOp::Sub => "-=",
                AssignOp::Mul => "*=",
                AssignOp::Div => "/=",
            };
            format!("({op} {} {})", pattern(target), expr(value))
        }
        StmtKind::Expr(e) => expr(e),
        StmtKind::If { cond, then_block, else_block } => match else_block {
            Some(e) => format!("(if {} {} {})", expr(cond), block(then_block), block(e)),
            None => format!("(if {} {})", expr(cond), block(then_block)),
        },
        StmtKind::For { var, start, end, body } => {
            format!("(for {} {} {} {})", var.name, expr(start), expr(end), block(body))
        }
        StmtKind::While { cond, body } => format!("(while {} {})", expr(cond), block(body)),
        StmtKind::Return(None) => "(return)".to_string(),
        StmtKind::Return(Some(e)) => format!("(return {})", expr(e)),
        StmtKind::Break => "break".to_string(),
        StmtKind::Continue => "continue".to_string(),
        StmtKind::Error => "error".to_string(),
    }
}

fn pattern(p: &Pattern) -> String {
    match p {
        Pattern::Name(n) => n.name.clone(),
        Pattern::Tuple(items, _) => {
            let items: Vec<_> = items.iter().map(pattern).collect();
            format!("({})", items.join(" "))
        }
    }
}

fn binop(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::MatMul => "@",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
    }
}

pub fn expr(e: &Expr) -> String {
    let join = |es: &[Expr]| es.iter().map(expr).collect::<Vec<_>>().join(" ");
    match &e.kind {
        ExprKind::Number(x) => format!("{x}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Bool(b) => format!("{b}"),
        ExprKind::Name(n) => n.name.clone(),
        ExprKind::List(items) => format!("[{}]", join(items)),
        ExprKind::Tuple(items) => format!("(tuple {})", join(items)),
        ExprKind::Unary { operand, .. } => format!("(neg {})", expr(operand)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", binop(*op), expr(lhs), expr(rhs))
        }
        ExprKind::Call { callee, args } => {
            let mut out = format!("({}", callee.name);
            for a in args {
                match &a.name {
                    Some(n) => out += &format!(" {}={}", n.name, expr(&a.value)),
                    None => out += &format!(" {}", expr(&a.value)),
                }
            }
            out + ")"
        }
        ExprKind::Index { base, indices } => {
            let mut out = format!("(index {}", expr(base));
            for i in indices {
                match i {
                    IndexArg::At(e) => out += &format!(" {}", expr(e)),
                    IndexArg::Slice { start, end, .. } => {
                        let s = start.as_ref().map(expr).unwrap_or_default();
                        let e = end.as_ref().map(expr).unwrap_or_default();
                        out += &format!(" {s}:{e}");
                    }
                }
            }
            out + ")"
        }
        ExprKind::Error => "error".to_string(),
    }
}

/// `start..end: message`, with the offending text quoted where it helps.
pub fn error(src: &str, e: &ParseError) -> String {
    let text = src.get(e.span.range()).unwrap_or("<bad span>");
    let msg = match &e.kind {
        ParseErrorKind::InvalidToken => format!("invalid token `{text}`"),
        ParseErrorKind::UnterminatedComment => "unterminated comment".to_string(),
        ParseErrorKind::UnterminatedString => "unterminated string".to_string(),
        ParseErrorKind::InvalidNumber => format!("invalid number `{text}`"),
        ParseErrorKind::UnexpectedToken { found, expected } => {
            format!("unexpected {found}, expected {}", expected.join(", "))
        }
        ParseErrorKind::UnexpectedEof { expected } => {
            format!("unexpected end, expected {}", expected.join(", "))
        }
        ParseErrorKind::TooDeep { limit } => format!("too deep ({limit})"),
    };
    format!("{}..{}: {msg}", e.span.start, e.span.end)
}
