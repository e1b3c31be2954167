//! What can go wrong reading a model: a malformed file, a missing entry, or something the
//! translation does not support (naming the node, its op type and the reason).

use std::fmt;

/// An import or read failure.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportError {
    /// The bytes are not a model of the expected format (truncated, corrupted, not ONNX).
    Malformed(String),
    /// The file has no tensor of that name; `names` lists (some of) those it has.
    NoEntry { name: String, names: Vec<String> },
    /// A node the translation cannot express, or an attribute value or data type it does not
    /// support.
    Unsupported { node: String, op: String, reason: String },
    /// A model-level problem: no graph, an input of an unsupported type, a dangling name.
    Model(String),
}

impl ImportError {
    pub(crate) fn unsupported(node: &str, op: &str, reason: impl Into<String>) -> ImportError {
        ImportError::Unsupported { node: node.to_string(), op: op.to_string(), reason: reason.into() }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Malformed(why) => write!(f, "malformed model file: {why}"),
            ImportError::NoEntry { name, names } => {
                let shown: Vec<String> = names.iter().take(12).map(|n| format!("`{n}`")).collect();
                let more = if names.len() > 12 { format!(" and {} more", names.len() - 12) } else { String::new() };
                write!(f, "the file has no tensor `{name}` (it has {}{more})", shown.join(", "))
            }
            ImportError::Unsupported { node, op, reason } => {
                write!(f, "node `{node}` ({op}): {reason}\nsupported ops: {}", crate::graph::SUPPORTED_OPS.join(", "))
            }
            ImportError::Model(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for ImportError {}
