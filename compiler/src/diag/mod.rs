//! Diagnostics: the plain [`Diagnostic`] value every check produces, and the [`Diagnostics`] sink.
//!
//! A diagnostic has a stable [`Code`], one primary label on the exact span, secondary labels that
//! say why, notes (full sentences, e.g. the provenance chain) and at most one `help:` line with
//! concrete code. Rendering lives in [`render`]; JSON lives in the binary, not here.

pub mod codes;
pub mod render;

pub use codes::Code;
use mpcc_grammar::Span;

/// Error or warning. Only errors stop a program from compiling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// One reported problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// Lowercase, no trailing period, code in backticks.
    pub message: String,
    /// The exact offending source.
    pub span: Span,
    /// What is wrong at `span`; empty for a problem with no place in the source (a bad `--set`),
    /// which is then rendered without a source snippet.
    pub label: String,
    /// Other places that explain why: (span, message).
    pub secondary: Vec<(Span, String)>,
    /// Sentences: the provenance chain, the call chain.
    pub notes: Vec<String>,
    /// One line of concrete code that fixes the problem.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error whose primary label is `label` at `span`; the message is the code's summary
    /// unless [`Diagnostic::message`] replaces it.
    pub fn error(code: Code, span: Span, label: impl Into<String>) -> Diagnostic {
        let label = label.into();
        Diagnostic {
            code,
            severity: Severity::Error,
            message: label.clone(),
            span,
            label,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }
    pub fn warning(code: Code, span: Span, label: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, span, label) }
    }
    pub fn message(mut self, message: impl Into<String>) -> Diagnostic {
        self.message = message.into();
        self
    }
    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push((span, message.into()));
        self
    }
    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
    pub fn notes(mut self, notes: impl IntoIterator<Item = String>) -> Diagnostic {
        self.notes.extend(notes);
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// An internal error (E0901): a pass produced IR that its checks reject. Nothing runs.
pub fn internal(span: Span, what: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::E0901, span, "the compiler's checks failed here")
        .message(format!("internal compiler error: {}", what.into()))
        .note("This is a bug in mpcc, not in your program; the program was not run.")
        .help("report it with this file; meanwhile, rewriting the statement at this line may avoid it")
}

/// Collects diagnostics; [`Diagnostics::finish`] deduplicates (an inlined function reports each
/// problem once, not once per call) and sorts them by span.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diag: Diagnostic) {
        self.items.push(diag);
    }
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Keeps only the diagnostics for which `keep` is true.
    pub fn retain(&mut self, keep: impl FnMut(&Diagnostic) -> bool) {
        self.items.retain(keep);
    }
    /// Drops everything reported after the first `len` diagnostics.
    pub fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }
    pub fn finish(mut self) -> Vec<Diagnostic> {
        let mut seen = std::collections::HashSet::new();
        self.items.retain(|d| seen.insert((d.code, d.span, d.message.clone())));
        self.items.sort_by_key(|d| (d.span.start, d.span.end, d.code));
        self.items
    }
}
