//! Golden-file tests: every `tests/golden/accept/*.mpc` compiles without diagnostics to IR that
//! validates, snapshotted as `--- source ---` + `--- ir ---`; every `tests/golden/reject/*.mpc`
//! is rejected with exactly the codes its first line declares (`// expect: E0301, E0302`),
//! snapshotted as `--- source ---` + `--- diagnostics ---` (rendered without colour).
//!
//! A golden file may `use` files of `tests/golden/{accept,reject}/used/` (not cases themselves).
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test -p mpcc --test it golden`, then read
//! the diff. The code check means a wrong snapshot cannot be accepted blindly.

use mpcc_compiler::{compile_files, render_sources, CompileOptions, Compiled, Loader, Severity};
use std::collections::BTreeSet;
use std::path::Path;

fn file_label(path: &Path) -> String {
    let dir = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    format!("{dir}/{name}")
}

/// Reads used files under `tests/golden/` (the compiler names them as the root is named:
/// `reject/used/x.mpc`).
struct GoldenFiles;

impl Loader for GoldenFiles {
    fn load(&self, path: &str) -> Result<String, String> {
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        std::fs::read_to_string(golden.join(path)).map_err(|e| e.to_string())
    }
}

pub(crate) fn compile_golden(path: &Path, src: &str) -> (Compiled, String) {
    let compiled = compile_files(&file_label(path), src, &GoldenFiles, &CompileOptions::default(), None);
    let rendered = render_sources(&compiled.diagnostics, &compiled.sources, false);
    (compiled, rendered)
}

#[test]
fn golden_accept() {
    insta::glob!("../golden/accept", "*.mpc", |path| {
        let src = std::fs::read_to_string(path).unwrap_or_default();
        let (compiled, rendered) = compile_golden(path, &src);
        assert!(compiled.diagnostics.is_empty(), "{}: unexpected diagnostics\n{rendered}", file_label(path));
        let Some(program) = compiled.program else {
            panic!("{}: no program", file_label(path));
        };
        if let Err(errs) = mpcc_ir::validate(&program) {
            panic!("{}: invalid IR: {errs:?}", file_label(path));
        }
        let text = format!("--- source ---\n{src}\n--- ir ---\n{}", mpcc_ir::print_program(&program, false));
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../golden/accept/snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!("ir", text));
    });
}

#[test]
fn golden_reject() {
    let failures = std::cell::RefCell::new(Vec::new());
    insta::glob!("../golden/reject", "*.mpc", |path| {
        let src = std::fs::read_to_string(path).unwrap_or_default();
        let declared: BTreeSet<String> = src
            .lines()
            .next()
            .and_then(|l| l.trim().strip_prefix("// expect:"))
            .map(|codes| codes.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect())
            .unwrap_or_default();
        assert!(!declared.is_empty(), "{}: first line must be `// expect: E0xxx`", file_label(path));
        let (compiled, rendered) = compile_golden(path, &src);
        let emitted: BTreeSet<String> = compiled.diagnostics.iter().map(|d| d.code.as_str().to_string()).collect();
        if emitted != declared {
            failures
                .borrow_mut()
                .push(format!("{}: emitted {emitted:?}, declared {declared:?}\n{rendered}", file_label(path)));
        }
        let has_error = compiled.diagnostics.iter().any(|d| d.severity == Severity::Error);
        if compiled.program.is_none() != has_error {
            failures
                .borrow_mut()
                .push(format!("{}: a program must exist exactly when there is no error", file_label(path)));
        }
        let text = format!("--- source ---\n{src}\n--- diagnostics ---\n{rendered}");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../golden/reject/snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!("diagnostics", text));
    });
    let failures = failures.into_inner();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
