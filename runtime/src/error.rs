//! The runtime's run-time error type, [`RunError`]: a kind, a message, and the context that
//! makes it actionable (the party, the file, the op's source span, the shape the program needs).
//!
//! Every failure the runtime can meet on user input (a bad data file, a shape mismatch, an
//! out-of-range index) becomes a `RunError`; nothing here renders source lines (the binary does
//! that from [`RunError::span`]).

use mpcc_ir::Span;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What went wrong, coarsely; the message says the details.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A data file does not exist (or cannot be opened).
    MissingFile,
    /// A data file exists but cannot be parsed (truncated `.npy`, bad header, non-numeric CSV cell).
    MalformedFile,
    /// A data file holds NaN or infinite values.
    NonFinite,
    /// A loaded value's shape differs from the one the program needs.
    ShapeMismatch,
    /// An operation's operands have incompatible shapes (broadcasting, matmul, cat, reshape…).
    Shape,
    /// An index or axis is out of range, or an integer argument is not an integer.
    Index,
    /// An out-of-domain input (`log` of a value ≤ 0, division by ~0) under `strict_domains`,
    /// or a non-finite result.
    Domain,
    /// Writing a file failed.
    Io,
    /// The fixed-point precision is outside `fixed::MIN_FRAC_BITS..=fixed::MAX_FRAC_BITS`.
    Precision,
    /// The run was set up wrongly (missing data folder, unknown datagen recipe, bad path).
    Config,
    /// The IR broke one of its invariants (a value used before it was computed, …).
    Internal,
}

impl ErrorKind {
    /// A short kebab-case name, stable for tests and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::MissingFile => "missing-file",
            ErrorKind::MalformedFile => "malformed-file",
            ErrorKind::NonFinite => "non-finite",
            ErrorKind::ShapeMismatch => "shape-mismatch",
            ErrorKind::Shape => "shape",
            ErrorKind::Index => "index",
            ErrorKind::Domain => "domain",
            ErrorKind::Io => "io",
            ErrorKind::Precision => "precision",
            ErrorKind::Config => "config",
            ErrorKind::Internal => "internal",
        }
    }
}

/// A run-time error with its context. Build with [`RunError::new`] and the `with_*` methods.
///
/// Display: `[party ALICE] file `features.npy`: <message> (expected shape [100, ?])`, with each
/// bracketed piece present only when known. The span is not displayed: the binary renders it with
/// the source line.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}", self.render())]
pub struct RunError {
    pub kind: ErrorKind,
    pub message: String,
    /// The party whose file or value is involved (its name, e.g. `ALICE`).
    pub party: Option<String>,
    /// The source code of the operation that failed.
    pub span: Option<Span>,
    /// The data file involved.
    pub file: Option<PathBuf>,
    /// The shape the program needs, as text (`[100, ?]`: `?` is a dimension the program leaves open).
    pub expected_shape: Option<String>,
    /// The secure protocol's own error, when that is what failed (a hung-up or silent peer, a
    /// malformed message, the dealer gone): callers match on it, never on the message text.
    pub protocol: Option<Box<crate::mpc_error::MpcError>>,
}

impl RunError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> RunError {
        RunError {
            kind,
            message: message.into(),
            party: None,
            span: None,
            file: None,
            expected_shape: None,
            protocol: None,
        }
    }
    /// Shorthand for a [`ErrorKind::Shape`] error.
    pub fn shape(message: impl Into<String>) -> RunError {
        RunError::new(ErrorKind::Shape, message)
    }
    /// Shorthand for an [`ErrorKind::Index`] error.
    pub fn index(message: impl Into<String>) -> RunError {
        RunError::new(ErrorKind::Index, message)
    }
    pub fn with_party(mut self, party: impl Into<String>) -> RunError {
        self.party = Some(party.into());
        self
    }
    /// Sets the span unless one is already set (the innermost op wins).
    pub fn with_span(mut self, span: Span) -> RunError {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }
    pub fn with_file(mut self, file: &Path) -> RunError {
        self.file = Some(file.to_path_buf());
        self
    }
    pub fn with_expected_shape(mut self, shape: impl Into<String>) -> RunError {
        self.expected_shape = Some(shape.into());
        self
    }
}

impl RunError {
    /// The displayed text (see the type's doc).
    fn render(&self) -> String {
        let mut f = String::new();
        if let Some(party) = &self.party {
            let _ = write!(f, "[party {party}] ");
        }
        if let Some(file) = &self.file {
            let _ = write!(f, "file `{}`: ", file.display());
        }
        let _ = write!(f, "{}", self.message);
        if let Some(shape) = &self.expected_shape {
            let _ = write!(f, " (expected shape {shape})");
        }
        f
    }
}

/// Formats a shape as `[2, 3]` (`[]` for a scalar).
pub fn dims_text(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_party_file_and_expected_shape() {
        let err = RunError::new(ErrorKind::ShapeMismatch, "the file holds shape [2, 3]")
            .with_party("ALICE")
            .with_file(Path::new("data/x.npy"))
            .with_expected_shape("[3, ?]");
        assert_eq!(
            err.to_string(),
            "[party ALICE] file `data/x.npy`: the file holds shape [2, 3] (expected shape [3, ?])"
        );
    }

    #[test]
    fn innermost_span_wins() {
        let err = RunError::shape("x").with_span(Span::new(1, 2)).with_span(Span::new(5, 9));
        assert_eq!(err.span, Some(Span::new(1, 2)));
    }
}
