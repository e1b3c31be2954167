//! Unit tests of the whole compiler through `check(src, expected)`: the expected text is the
//! printed IR (accepted) or the codes and messages of the diagnostics (rejected).

use crate::{compile, CompileOptions};

/// Compiles `src`; returns the IR text, or one line per diagnostic `CODE message`.
pub(crate) fn run(src: &str) -> String {
    let c = compile(src, &CompileOptions::default());
    let mut out = String::new();
    for d in &c.diagnostics {
        out.push_str(&format!("{} {}\n", d.code.as_str(), d.message));
    }
    if let Some(p) = &c.program {
        if let Err(errs) = mpcc_ir::validate(p) {
            out.push_str(&format!("INVALID {errs:?}\n"));
        }
        out.push_str(&mpcc_ir::print_program(p, false));
    }
    out
}

fn check(src: &str, expected: &str) {
    let got = run(src);
    assert_eq!(got.trim(), expected.trim(), "\n--- got ---\n{got}");
}

#[test]
fn dump_golden() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/golden/accept");
    let Ok(which) = std::env::var("MPCC_DUMP") else {
        return;
    };
    let src = std::fs::read_to_string(format!("{dir}/{which}")).unwrap_or_default();
    println!("{}", run(&src));
}
