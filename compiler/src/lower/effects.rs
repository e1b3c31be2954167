//! Lowering the builtins that move values between parties or out of the program: `load`,
//! `private`, `public`, `reveal`, `output`, `print`, `save`, with their label checks (E0109,
//! E0301, E0306, E0307) and the oblivious-branch rejections (E0401, E0402) with the call chain.

use super::call::Bound;
use super::{Cx, Val};
use crate::builtins::Kind;
use crate::diag::{Code, Diagnostic};
use mpcc_grammar::ast;
use mpcc_grammar::Span;
use mpcc_ir::{DType, Label, Op, PartyId, PrintArg, Shape, Stmt, ValueId, ValueInfo};

impl<'a> Cx<'a> {
    pub(super) fn effect(&mut self, kind: Kind, b: &Bound<'a>, span: Span) -> Val {
        let x = b.get("x");
        match kind {
            Kind::Load => self.load(b, span),
            Kind::Private => {
                let (Some(se), Some(ve)) = (b.get("src"), b.get("value")) else {
                    return Val::Err;
                };
                let Some(src) = self.party_arg(se, "src") else {
                    return Val::Err;
                };
                let in_branch = !self.check_not_private_branch(Code::E0402, span, "`private(…)`");
                let saved = self.load_ctx.replace(Some(src));
                // A `load` inside an already reported `private(…)` is not reported again.
                let quiet = std::mem::replace(&mut self.quiet_inputs, in_branch);
                let v = self.arg_tensor(ve);
                self.quiet_inputs = quiet;
                self.load_ctx = saved;
                let Some(v) = v else { return Val::Err };
                let info = self.info(v);
                if !(info.label.is_public() || info.label == Label::Local(src)) {
                    let pname = self.parties.get(src.index()).map(|p| p.name.clone()).unwrap_or_default();
                    let d = Diagnostic::error(Code::E0307, ve.span, format!("{pname} does not hold this value"))
                        .message(format!("`private(src={pname}, …)` of a value {pname} does not hold"))
                        .help(format!(
                            "share each input from the party that loads it: `private(src={pname}, load(\"x.npy\"))`"
                        ));
                    self.report_with_provenance(d, vec![(v, "the value".into())]);
                    return Val::Err;
                }
                let info = ValueInfo { label: Label::Private, dtype: info.dtype, shape: info.shape, witness: None };
                Val::T(self.emit(Op::Share { src, value: v }, info, span))
            }
            Kind::Public => {
                let Some(ve) = b.get("value") else {
                    return Val::Err;
                };
                let saved = self.load_ctx.replace(None);
                let v = self.arg_tensor(ve);
                self.load_ctx = saved;
                let Some(v) = v else { return Val::Err };
                if !self.info(v).label.is_public() {
                    let d = Diagnostic::error(Code::E0306, ve.span, "this value is not public")
                        .message("`public(…)` of a value that is not public")
                        .note("`public` declares a value every party holds; it does not declassify.")
                        .help("declassify explicitly: `reveal(x)`");
                    self.report_with_provenance(d, vec![(v, "the value".into())]);
                    return Val::Err;
                }
                Val::T(v)
            }
            Kind::Reveal => {
                let Some(xv) = x.and_then(|e| self.arg_tensor(e)) else {
                    return Val::Err;
                };
                self.check_not_private_branch(Code::E0401, span, "`reveal`");
                let info = self.info(xv);
                Val::T(self.emit(Op::Reveal(xv), ValueInfo::public(info.dtype, info.shape), span))
            }
            Kind::Output => {
                let xv = x.and_then(|e| self.arg_tensor(e));
                let to = b.get("to").and_then(|e| self.party_arg(e, "to"));
                let (Some(xv), Some(to)) = (xv, to) else {
                    return Val::Err;
                };
                let path = match b.get("file") {
                    Some(e) => match self.str_arg(e, "file name") {
                        Some(p) => Some(p),
                        None => return Val::Err,
                    },
                    None => None,
                };
                self.check_not_private_branch(Code::E0401, span, "`output`");
                self.push_stmt(Stmt::Output { value: xv, to, path, span: super::ir_span(span) });
                Val::Unit
            }
            Kind::Print => {
                let mut args = Vec::new();
                for e in b.rest.clone() {
                    match self.expr(e) {
                        Val::Str(s) => args.push(PrintArg::Str(s)),
                        v => {
                            let Some(t) = self.tensor(v, e.span) else {
                                continue;
                            };
                            self.require_public_print(t, e.span, "print");
                            args.push(PrintArg::Value(t));
                        }
                    }
                }
                self.check_not_private_branch(Code::E0401, span, "`print`");
                self.push_stmt(Stmt::Print { args, span: super::ir_span(span) });
                Val::Unit
            }
            Kind::Save => {
                let (Some(pe), Some(xe)) = (b.get("path"), x) else {
                    return Val::Err;
                };
                let Some(path) = self.str_arg(pe, "path") else {
                    return Val::Err;
                };
                let Some(xv) = self.arg_tensor(xe) else {
                    return Val::Err;
                };
                self.require_public_print(xv, xe.span, "save");
                self.check_not_private_branch(Code::E0401, span, "`save`");
                self.push_stmt(Stmt::Save { path, value: xv, span: super::ir_span(span) });
                Val::Unit
            }
            _ => Val::Err,
        }
    }

    fn party_arg(&mut self, e: &'a ast::Expr, what: &str) -> Option<PartyId> {
        match self.expr(e) {
            Val::Party(p) => Some(p),
            Val::Err => None,
            _ => {
                let names: Vec<String> = self.parties.iter().map(|p| p.name.clone()).collect();
                let help = match names.first() {
                    Some(first) => format!("{what}={first}"),
                    None => "declare the parties first: `parties ALICE, BOB;`".into(),
                };
                self.report(
                    Diagnostic::error(Code::E0111, e.span, "not a party")
                        .message(format!("`{what}=` must name a party"))
                        .note(format!(
                            "The parties are: {}.",
                            if names.is_empty() { "none declared".into() } else { names.join(", ") }
                        ))
                        .help(help),
                );
                None
            }
        }
    }

    fn str_arg(&mut self, e: &'a ast::Expr, what: &str) -> Option<String> {
        match self.expr(e) {
            Val::Str(s) => Some(s),
            Val::Err => None,
            _ => {
                self.report(
                    Diagnostic::error(Code::E0111, e.span, "not a string")
                        .message(format!("the {what} must be a string literal"))
                        .help(format!("{what} as a string: \"data.npy\"")),
                );
                None
            }
        }
    }

    /// Reports an effect under a private condition (E0401/E0402) with the call chain.
    fn check_not_private_branch(&mut self, code: Code, span: Span, what: &str) -> bool {
        let Some(ctx) = self.private.last().cloned() else {
            return true;
        };
        let mut d = Diagnostic::error(code, span, format!("{what} under a private condition"))
            .secondary(ctx.span, "this condition is private, so both branches run");
        let chain: Vec<(String, Span)> = self.call_stack.iter().skip(ctx.call_depth).cloned().collect();
        for (name, call) in &chain {
            d = d.secondary(*call, format!("`{name}` is called here, inside the branch"));
        }
        if !chain.is_empty() {
            let names: Vec<String> = chain.iter().map(|(n, _)| format!("`{n}`")).collect();
            d = d.note(format!("It is reached through the call chain {}.", names.join(" → ")));
        }
        d = d.help(match code {
            Code::E0402 => "read the input before the `if`: `let y = private(src=P, load(\"y.npy\"));`",
            _ => "select obliviously and open after the `if`: `let y = where(c, a, b); print(reveal(y));`",
        });
        self.report_with_provenance(d, vec![(ctx.cond, "the condition".into())]);
        false
    }

    fn require_public_print(&mut self, v: ValueId, span: Span, fname: &str) {
        if self.info(v).label.is_public() {
            return;
        }
        let text = self.src.get(span.range()).unwrap_or("x").to_string();
        let d = Diagnostic::error(Code::E0301, span, "this value is private")
            .message(format!("private value passed to `{fname}`"))
            .note(format!("`{fname}` runs on every party and accepts public values only."))
            .help(if fname == "print" {
                format!("print(reveal({text}))")
            } else {
                format!("save(\"…\", reveal({text}))")
            });
        self.report_with_provenance(d, vec![(v, format!("`{text}`"))]);
    }

    fn load(&mut self, b: &Bound<'a>, span: Span) -> Val {
        let Some(pe) = b.get("path") else {
            return Val::Err;
        };
        let Some(path) = self.str_arg(pe, "path") else {
            return Val::Err;
        };
        let Some(at) = self.load_ctx else {
            let first = self.parties.first().map(|p| p.name.clone()).unwrap_or_else(|| "ALICE".into());
            self.report(
                Diagnostic::error(Code::E0109, span, "whose file is this?")
                    .message("`load` outside `private(src=…)` or `public(…)`")
                    .note("Each party reads its own data folder, so a load must say who reads it.")
                    .help(format!("private(src={first}, load({path:?}))  // or public(load({path:?})) if every party has the file")),
            );
            return Val::Err;
        };
        if !self.quiet_inputs {
            self.check_not_private_branch(Code::E0402, span, "`load`");
        }
        let label = match at {
            Some(p) => Label::Local(p),
            None => Label::Public,
        };
        let info = ValueInfo { label, dtype: DType::Real, shape: Shape::Unknown, witness: None };
        Val::T(self.emit(Op::Load { path, at }, info, span))
    }
}
