//! Where a value's data came from: the party data file it was loaded from, followed through
//! `private(…)`, `reveal(…)` and variables. When an op fails on shapes, [`Origins::explain`]
//! names the file, the party and the shape the op needed of it (e.g. the `[100, ?]` a matmul
//! needs of `test_x.npy`), because the compiler cannot know a file's shape before the run.
//!
//! Only identity-like steps carry an origin; a value computed from a file (`x + 1`) has none.

use crate::error::{dims_text, ErrorKind, RunError};
use mpcc_ir::{Op, ValueId, VarId};
use std::path::PathBuf;

/// A party's data file.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    pub party: String,
    pub file: PathBuf,
}

/// The origin of every value and variable, kept in step with the executor.
pub struct Origins {
    values: Vec<Option<Origin>>,
    vars: Vec<Option<Origin>>,
}

impl Origins {
    pub fn new(n_values: usize, n_vars: usize) -> Origins {
        Origins { values: vec![None; n_values], vars: vec![None; n_vars] }
    }

    fn value(&self, id: ValueId) -> Option<&Origin> {
        self.values.get(id.index()).and_then(Option::as_ref)
    }

    /// Records the origin of a value just computed by `op` (`load` gives the loaded file).
    pub fn on_eval(&mut self, id: ValueId, op: &Op, load: Option<Origin>) {
        let origin = match op {
            Op::Load { .. } => load,
            Op::Share { value, .. } | Op::Reveal(value) => self.value(*value).cloned(),
            Op::Var(var) => self.vars.get(var.index()).cloned().flatten(),
            _ => None,
        };
        if let Some(slot) = self.values.get_mut(id.index()) {
            *slot = origin;
        }
    }

    /// Records `var = value`.
    pub fn on_assign(&mut self, var: VarId, value: ValueId) {
        let origin = self.value(value).cloned();
        if let Some(slot) = self.vars.get_mut(var.index()) {
            *slot = origin;
        }
    }

    /// Adds the file, party and needed shape to a shape error of `op` whose operand came from a
    /// file; other errors pass through. `dims` gives an operand's current shape.
    pub fn explain(&self, op: &Op, err: RunError, dims: impl Fn(ValueId) -> Option<Vec<usize>>) -> RunError {
        if err.kind != ErrorKind::Shape || err.file.is_some() {
            return err;
        }
        let mut operands = super::plain::operands(op);
        // `@` of a 0-d operand: blame the 0-d one, whichever side it is on.
        if matches!(op, Op::MatMul(..)) {
            operands.sort_by_key(|o| !dims(*o).is_some_and(|d| d.is_empty()));
        }
        let Some((&from_file, origin)) = operands.iter().find_map(|o| self.value(*o).map(|origin| (o, origin))) else {
            return err;
        };
        let Some(file_dims) = dims(from_file) else {
            return err;
        };
        let mut err = RunError {
            message: format!("{}; the file's tensor has shape {}", err.message, dims_text(&file_dims)),
            ..err
        }
        .with_party(origin.party.clone())
        .with_file(&origin.file);
        if let Some(expected) = needed(op, from_file, &dims) {
            err = err.with_expected_shape(expected);
        }
        err
    }
}

/// What `op` needed of its operand `from_file`, as text, when the other operands say it.
fn needed(op: &Op, from_file: ValueId, dims: &impl Fn(ValueId) -> Option<Vec<usize>>) -> Option<String> {
    match op {
        Op::MatMul(a, b) if *b == from_file => {
            let a = dims(*a)?;
            let k = *a.last()?;
            Some(format!("[{k}, ?]"))
        }
        Op::MatMul(a, b) if *a == from_file => {
            let b = dims(*b)?;
            // A 1-D `b` is a column; a 0-d `b` needs nothing of `a` (the error says `@` needs rank ≥ 1).
            let k = match b.as_slice() {
                [k] | [.., k, _] => *k,
                [] => return None,
            };
            Some(format!("[?, {k}]"))
        }
        Op::Binary(_, a, b) | Op::Where(_, a, b) => {
            let other = if *a == from_file { *b } else { *a };
            Some(format!("broadcastable with {}", dims_text(&dims(other)?)))
        }
        _ => None,
    }
}
