//! Renders diagnostics as text, each label in its own file, with `codespan-reporting`, in colour or plain (plain for snapshots).
//!
//! This is the only place that formats a diagnostic for people; the binary's JSON output converts
//! [`Diagnostic`] values itself.

use super::{Diagnostic, Severity};
use crate::sources::Sources;
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor, Config, Styles, StylesWriter};

fn to_codespan(diag: &Diagnostic, sources: &Sources) -> cs::Diagnostic<usize> {
    let clamp = |span: mpcc_grammar::Span| sources.locate(span);
    let severity = match diag.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    // A diagnostic about the command line (`--set`) has no place in the source: no label.
    let mut labels = Vec::new();
    if !diag.label.is_empty() {
        labels.push(
            {
                let (file, range) = clamp(diag.span);
                cs::Label::primary(file, range)
            }
            .with_message(&diag.label),
        );
    }
    for (span, message) in &diag.secondary {
        let (file, range) = clamp(*span);
        labels.push(cs::Label::secondary(file, range).with_message(message));
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

/// Renders every diagnostic against the files of a compilation; ANSI colours when `color`.
pub fn render(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut file = SimpleFiles::new();
    for f in sources.files() {
        file.add(f.name.as_str(), f.text.as_str());
    }
    let config = Config::default();
    let mut out = String::new();
    for diag in diags {
        let cs_diag = to_codespan(diag, sources);
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
