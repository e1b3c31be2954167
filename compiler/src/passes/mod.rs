//! The IR-to-IR passes, in order. Each pass is `fn(Program, &PassInput, &mut Diagnostics) -> Program`;
//! `--emit ir --after <name>` and the tests refer to passes by the names in [`PASSES`].
//! After the lowering and after every pass, [`verify`] re-checks the IR (`mpcc_ir::validate_at`
//! and a fresh [`labels::analyse`] against the annotations); a failure is E0901 and stops the
//! pipeline, so nothing that fails a check is ever run.

pub mod grad;
pub mod oblivious;

use crate::diag::{internal, Diagnostics};
use crate::labels;
use mpcc_ir::{Program, Stage};

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

/// Runs the passes in order, stopping after the one named `after` if given. `None` if a pass
/// reported an error or its output failed [`verify`].
pub fn run(mut program: Program, input: &PassInput, diags: &mut Diagnostics, after: Option<&str>) -> Option<Program> {
    for (name, pass) in PASSES {
        program = pass(program, input, diags);
        if diags.has_errors() || !verify(&program, &labels::analyse(&program), Stage::Final, name, diags) {
            return None;
        }
        if Some(*name) == after {
            break;
        }
    }
    Some(program)
}

/// How many violations of one check are reported (the first few say enough).
const SHOWN: usize = 5;

/// Re-checks `program` after the step named `step`: the IR invariants at `stage`, and `table`,
/// a fresh label analysis of `program`, which must find no value or variable more secret than
/// its annotation. Reports each failure as E0901 and returns whether all passed.
pub fn verify(
    program: &Program,
    table: &labels::LabelTable,
    stage: Stage,
    step: &str,
    diags: &mut Diagnostics,
) -> bool {
    let span = |s: mpcc_ir::Span| mpcc_grammar::Span::new(s.start as usize, s.end as usize);
    let mut ok = true;
    if let Err(violations) = mpcc_ir::validate_at(program, stage) {
        ok = false;
        for v in violations.iter().take(SHOWN) {
            diags.push(internal(span(v.span), format!("after {step}, the IR validator: {}", v.message)));
        }
    }
    if let Err(mislabels) = labels::check(program, table) {
        ok = false;
        for m in mislabels.iter().take(SHOWN) {
            diags.push(internal(span(m.span), format!("after {step}, the label analysis: {}", m.message)));
        }
    }
    ok
}
