//! The IR-to-IR passes, in order. Each pass is `fn(Program, &mut Diagnostics) -> Program`;
//! `--emit ir --after <name>` and the tests refer to passes by the names in [`PASSES`].
//! After every pass, tests and debug builds re-check the IR with `mpcc_ir::validate`.

pub mod oblivious;

use crate::diag::Diagnostics;
use mpcc_ir::Program;

/// A pass: a function from IR to IR.
pub type Pass = fn(Program, &mut Diagnostics) -> Program;

/// Every pass, in the order they run.
pub const PASSES: &[(&str, Pass)] = &[("oblivious", oblivious::run)];

/// Runs the passes in order, stopping after the one named `after` if given.
pub fn run(mut program: Program, diags: &mut Diagnostics, after: Option<&str>) -> Program {
    for (name, pass) in PASSES {
        program = pass(program, diags);
        if Some(*name) == after {
            break;
        }
    }
    program
}
