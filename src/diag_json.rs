//! `--message-format json`: one JSON object per diagnostic, the shape editors consume.
//!
//! Fields: file, severity, code, message, byte range, 1-based line/column range, labels (primary
//! first, each with its own ranges), notes, help. The compiler knows nothing of JSON; this
//! module converts its plain `Diagnostic`.

use crate::source::Source;
use mpcc_compiler::diag::{Diagnostic, Severity};
use mpcc_grammar::Span;
use serde_json::{json, Value};

/// Byte offsets are into the file the span falls in (see `Source::position`).
fn range(source: &Source, span: Span) -> Value {
    let (line, column) = source.line_col(span.start as usize);
    let (end_line, end_column) = source.line_col(span.end as usize);
    let base = span.start as usize - source.byte_in_file(span.start as usize);
    json!({
        "file": source.name_at(span.start as usize),
        "byte_start": span.start as usize - base,
        "byte_end": (span.end as usize).saturating_sub(base),
        "line_start": line,
        "column_start": column,
        "line_end": end_line,
        "column_end": end_column,
    })
}

/// One diagnostic as a single-line JSON object.
pub fn to_json(source: &Source, diag: &Diagnostic) -> Value {
    let mut labels = vec![json!({ "primary": true, "message": diag.label, "range": range(source, diag.span) })];
    labels.extend(
        diag.secondary
            .iter()
            .map(|(span, message)| json!({ "primary": false, "message": message, "range": range(source, *span) })),
    );
    json!({
        "file": source.name_at(diag.span.start as usize),
        "severity": match diag.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "code": diag.code.as_str(),
        "message": diag.message,
        "range": range(source, diag.span),
        "labels": labels,
        "notes": diag.notes,
        "help": diag.help,
    })
}
