//! Renders diagnostics as text with `codespan-reporting`, in colour or plain (plain for snapshots).
//!
//! This is the only place that formats a diagnostic for people; the binary's JSON output converts
//! [`Diagnostic`] values itself.

use super::{Diagnostic, Severity};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor, Config, Styles, StylesWriter};

fn to_codespan(diag: &Diagnostic, src_len: usize) -> cs::Diagnostic<()> {
    let clamp = |span: mpcc_grammar::Span| {
        let start = (span.start as usize).min(src_len);
        let end = (span.end as usize).clamp(start, src_len);
        start..end
    };
    let severity = match diag.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    // A diagnostic about the command line (`--set`) has no place in the source: no label.
    let mut labels = Vec::new();
    if !diag.label.is_empty() {
        labels.push(cs::Label::primary((), clamp(diag.span)).with_message(&diag.label));
    }
    for (span, message) in &diag.secondary {
        labels.push(cs::Label::secondary((), clamp(*span)).with_message(message));
    }
    let mut notes: Vec<String> = diag.notes.iter().map(|n| format!("note: {n}")).collect();
    if let Some(help) = &diag.help {
        notes.push(format!("help: {help}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(diag.code.as_str())
        .with_message(&diag.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// Renders every diagnostic against the source `src` of `file_name`; ANSI colours when `color`.
pub fn render(diags: &[Diagnostic], file_name: &str, src: &str, color: bool) -> String {
    let file = SimpleFile::new(file_name, src);
    let config = Config::default();
    let mut out = String::new();
    for diag in diags {
        let cs_diag = to_codespan(diag, src.len());
        if color {
            let styles = Styles::default();
            let mut buffer = termcolor::Ansi::new(Vec::new());
            let mut writer = StylesWriter::new(&mut buffer, &styles);
            if term::emit_to_write_style(&mut writer, &config, &file, &cs_diag).is_ok() {
                out.push_str(&String::from_utf8_lossy(&buffer.into_inner()));
            }
        } else {
            let mut text = String::new();
            if term::emit_to_string(&mut text, &config, &file, &cs_diag).is_ok() {
                out.push_str(&text);
            }
        }
    }
    out
}
