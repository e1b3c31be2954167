//! Coverage-guided fuzzing of parse + compile: any bytes give diagnostics or a program whose IR
//! validates, never a panic or a hang. Run with `fuzz/run.sh` (see docs/soundness.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpcc_compiler::{compile, render, CompileOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let compiled = compile(src, &CompileOptions::default());
    if let Some(program) = &compiled.program {
        // The pipeline already verified it; a second opinion costs little here.
        if let Err(errs) = mpcc_ir::validate(program) {
            panic!("accepted a program whose IR does not validate: {errs:?}");
        }
        let _ = mpcc_ir::print_program(program, true);
    }
    let _ = render(&compiled.diagnostics, "fuzz.mpc", src, false);
});
