//! Lowering `grad(loss, [w, b, …])`: checks the arguments (E0501 names, E0502 scalar loss) and
//! emits one placeholder per name, `zeros(shape(name))` labelled as the loss, plus a
//! [`GradRequest`] that `passes::grad` expands into the backward computation. One name gives
//! one tensor, several names a tuple. Nothing is differentiated here.

use super::call::Bound;
use super::{ir_span, Cx, Val};
use crate::diag::{Code, Diagnostic};
use crate::passes::grad::{GradRequest, GradTarget, Wrt};
use mpcc_grammar::ast::ExprKind;
use mpcc_grammar::Span;
use mpcc_ir::{shape_text, DType, Dim, Op, Shape, ValueInfo};

impl<'a> Cx<'a> {
    pub(super) fn grad(&mut self, b: &Bound<'a>, span: Span) -> Val {
        let (Some(le), Some(we)) = (b.get("loss"), b.get("wrt")) else {
            return Val::Err;
        };
        let Some(loss) = self.arg_tensor(le) else {
            return Val::Err;
        };
        let bad_list = |d: Diagnostic| {
            d.message("`grad` takes a list of the names to differentiate by")
                .note("Each name is a variable or a `let` binding of a tensor, e.g. a weight matrix.")
                .help("let (gw, gb) = grad(loss, [w, b]);")
        };
        let items = match &we.kind {
            ExprKind::List(items) if !items.is_empty() => items,
            _ => {
                let _ = self.expr(we);
                self.report(bad_list(Diagnostic::error(Code::E0501, we.span, "not a list of names")));
                return Val::Err;
            }
        };
        let shape = self.info(loss).shape;
        if matches!(&shape, Shape::Ranked(d) if !d.is_empty()) {
            self.report(
                Diagnostic::error(Code::E0502, le.span, format!("this has shape {}", shape_text(&shape)))
                    .message("`grad` of a loss that is not a scalar")
                    .note("The gradient is defined for one number; reduce the loss first.")
                    .help("grad(mean(loss), [w])"),
            );
            return Val::Err;
        }
        let mut targets = Vec::new();
        let mut reads = Vec::new();
        for item in items {
            let ExprKind::Name(id) = &item.kind else {
                let _ = self.expr(item);
                self.report(bad_list(Diagnostic::error(Code::E0501, item.span, "not a name")));
                return Val::Err;
            };
            let Some(v) = self.arg_tensor(item) else {
                return Val::Err;
            };
            let wrt = match self.op(v) {
                Some(Op::Var(var)) => Wrt::Var(*var),
                _ => Wrt::Value(v),
            };
            targets.push(GradTarget { wrt, name: id.name.clone(), span: ir_span(item.span) });
            reads.push(v);
        }
        let info = self.info(loss);
        let witness = if info.label.is_public() { None } else { Some(loss) };
        let mut values = Vec::new();
        for v in reads {
            let rank = match self.info(v).shape.rank() {
                Some(r) => Shape::known(&[r]),
                None => Shape::Ranked(vec![Dim::Unknown]),
            };
            let s = self.emit(Op::Shape(v), ValueInfo::public(DType::Int, rank), span);
            let g = ValueInfo { label: info.label, dtype: DType::Real, shape: self.info(v).shape, witness };
            values.push(self.emit(Op::Zeros { shape: s }, g, span));
        }
        self.grads.push(GradRequest { loss, targets, values: values.clone(), span: ir_span(span) });
        match values.as_slice() {
            [one] => Val::T(*one),
            many => Val::Tuple(many.iter().map(|v| Val::T(*v)).collect()),
        }
    }
}
