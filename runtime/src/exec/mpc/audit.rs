//! The audit log of an MPC run: one entry per program statement that opened a secret
//! (`reveal(…)` to every party, `output(…, to=P)` to one), saying what was opened — the opened
//! value's op and shape, never its contents —, to whom, from which source span, and how many
//! times (a statement inside a loop opens once per iteration).
//!
//! The protocols' own openings (masked values) are not program openings and are not listed here;
//! they are counted in the report. Nothing in this file ever holds a value.

use mpcc_ir::{Op, Program, Span, ValueId};
use serde::Serialize;

/// One opening statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// `reveal` or `output`.
    pub kind: String,
    /// `all`, or the name of the one party that learns the value.
    pub to: String,
    /// The opened value's id in the IR (e.g. `%12`).
    pub value: String,
    /// What it is: its op, and the variable it was read from when there is one.
    pub what: String,
    /// Its shape, e.g. `[2, 3]`.
    pub shape: String,
    /// The source span of the opening (`start..end` bytes).
    pub span: Span,
    /// How many times the statement opened a value (loop iterations).
    pub times: u64,
}

/// The log, in order of first opening.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
}

impl AuditLog {
    /// One line per opening (`opened: …`), or `opened: nothing`; for stderr and `--audit`.
    /// Spans are shown as byte ranges; see [`AuditLog::render_with`] to show lines.
    pub fn render(&self) -> String {
        self.render_with(&|span| format!("{}..{}", span.start, span.end))
    }

    /// As [`AuditLog::render`], with `locate` turning a span into text (e.g. `svm.mpc:27:1`).
    pub fn render_with(&self, locate: &dyn Fn(Span) -> String) -> String {
        if self.entries.is_empty() {
            return "  opened: nothing\n".to_string();
        }
        let mut out = String::new();
        for e in &self.entries {
            let times = if e.times == 1 { String::new() } else { format!(" ×{}", e.times) };
            out += &format!(
                "  opened: {} of {} {} {} to {} at {}{}\n",
                e.kind,
                e.value,
                e.what,
                e.shape,
                e.to,
                locate(e.span),
                times
            );
        }
        out
    }

    /// Records that `value` (of shape `dims`) was opened to `to` by a `kind` statement at `span`.
    pub fn record(&mut self, program: &Program, kind: &str, to: &str, value: ValueId, dims: &[usize], span: Span) {
        let id = value.to_string();
        if let Some(e) =
            self.entries.iter_mut().find(|e| e.kind == kind && e.to == to && e.value == id && e.span == span)
        {
            e.times += 1;
            return;
        }
        self.entries.push(AuditEntry {
            kind: kind.to_string(),
            to: to.to_string(),
            value: id,
            what: describe(program, value),
            shape: crate::error::dims_text(dims),
            span,
            times: 1,
        });
    }
}

/// A short description of a value: its op (and the variable it reads). Never its contents.
pub fn describe(program: &Program, id: ValueId) -> String {
    let Some(def) = program.value(id) else {
        return "an unknown value".to_string();
    };
    match &def.op {
        Op::Var(var) => match program.var(*var) {
            Some(v) => format!("variable `{}`", v.name),
            None => "a variable".to_string(),
        },
        Op::Const(_) => "a constant".to_string(),
        Op::Load { path, .. } => format!("load(\"{path}\")"),
        Op::Share { .. } => "private(…)".to_string(),
        Op::Pow(_, k) => format!("pow(…, {k})"),
        Op::MatMul(..) => "`@`".to_string(),
        Op::Reduce { axis, .. } => match axis {
            Some(a) => format!("{}(…, axis={a})", def.op.name()),
            None => format!("{}(…)", def.op.name()),
        },
        Op::Arg { axis, one_hot, .. } => {
            let oh = if *one_hot { ", one-hot" } else { "" };
            match axis {
                Some(a) => format!("{}(…, axis={a}){oh}", def.op.name()),
                None => format!("{}(…){oh}", def.op.name()),
            }
        }
        // The adjoints `grad` emits are described as the layer they differentiate.
        Op::Conv2dGradX { .. } | Op::Conv2dGradW { .. } => "conv2d(…)".to_string(),
        Op::Pool2dGrad { op, .. } => format!("{}(…)", mpcc_ir::pool_name(*op)),
        Op::Index { .. } => "an index `x[…]`".to_string(),
        Op::Zeros { .. } | Op::Ones { .. } | Op::Eye { .. } | Op::Rand { .. } | Op::Randn { .. } | Op::Shape(_) => {
            "a public constructor".to_string()
        }
        op => format!("{}(…)", op.name()),
    }
}
