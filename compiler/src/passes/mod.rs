//! The IR-to-IR passes, in order. Each pass is `fn(Program, &PassInput, &mut Diagnostics) -> Program`;
//! `--emit ir --after <name>` and the tests refer to passes by the names in [`PASSES`].
//! After every pass, tests and debug builds re-check the IR with `mpcc_ir::validate`.

pub mod grad;
pub mod oblivious;

use crate::diag::Diagnostics;
use mpcc_ir::Program;

/// What the lowering hands the passes besides the IR: the `grad` calls to expand.
#[derive(Clone, Debug, Default)]
pub struct PassInput {
    pub grads: Vec<grad::GradRequest>,
}

/// A pass: a function from IR to IR.
pub type Pass = fn(Program, &PassInput, &mut Diagnostics) -> Program;

fn oblivious_pass(program: Program, _input: &PassInput, diags: &mut Diagnostics) -> Program {
    oblivious::run(program, diags)
}

fn grad_pass(program: Program, input: &PassInput, diags: &mut Diagnostics) -> Program {
    grad::run(program, &input.grads, diags)
}

/// Every pass, in the order they run. `grad` runs after `oblivious`, so that it differentiates
/// through the `where`s that private `if`s became.
pub const PASSES: &[(&str, Pass)] = &[("oblivious", oblivious_pass), ("grad", grad_pass)];

/// Runs the passes in order, stopping after the one named `after` if given.
pub fn run(mut program: Program, input: &PassInput, diags: &mut Diagnostics, after: Option<&str>) -> Program {
    for (name, pass) in PASSES {
        program = pass(program, input, diags);
        if Some(*name) == after {
            break;
        }
    }
    program
}
