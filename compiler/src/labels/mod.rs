//! Labels: who may know each value.
//!
//! [`analyse`] computes the label of every value and variable of a [`Program`] as the least
//! fixpoint of the flow equations over the IR (explicit flows through operands and assignments,
//! implicit flows from the conditions and bounds that decide whether an assignment runs). The
//! lowering feeds the variables' labels back into its next pass, and [`check`] compares a
//! program's annotations with a fresh analysis after every pass. [`explain`] turns witnesses
//! into the provenance notes of diagnostics and the hover text.

mod analyse;
mod explain;

pub use analyse::{analyse, check, LabelTable, Mislabel};
pub use explain::{hover_text, operands, provenance, LineIndex, Names, Provenance};

#[cfg(test)]
mod tests;
