//! Repository hygiene: every diagnostic code has an explanation and a reject golden file; every
//! `.rs` file starts with a `//!` doc and has at most 800 lines; no test is ignored or expected
//! to panic.

use mpcc_compiler::Code;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_code_is_explained_and_has_a_reject_file() {
    let reject: Vec<String> = std::fs::read_dir(root().join("tests/golden/reject"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect())
        .unwrap_or_default();
    let mut missing = Vec::new();
    for code in Code::ALL {
        let text = code.explanation();
        if !text.starts_with(code.as_str()) || text.len() < 80 {
            missing.push(format!("{}: explanation", code.as_str()));
        }
        // An internal error has no program that should trigger it; the compiler's unit tests
        // feed the checks broken IR instead (compiler/src/tests.rs).
        let internal = code.as_str().starts_with("E09");
        if !internal && !reject.iter().any(|f| f.starts_with(&format!("{}_", code.as_str())) && f.ends_with(".mpc")) {
            missing.push(format!("{}: tests/golden/reject/{}_<what>.mpc", code.as_str(), code.as_str()));
        }
    }
    assert!(missing.is_empty(), "missing: {missing:#?}");
}

#[test]
fn rust_files_are_documented_short_and_run_every_test() {
    let mut files = Vec::new();
    rust_files(&root(), &mut files);
    assert!(files.len() > 10, "found only {} .rs files", files.len());
    let banned = [concat!("#[", "ignore"), concat!("#[", "should_panic")];
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let shown = file.strip_prefix(root()).unwrap_or(&file).display().to_string();
        if !text.starts_with("//!") {
            problems.push(format!("{shown}: does not start with a `//!` doc"));
        }
        let lines = text.lines().count();
        if lines > 800 {
            problems.push(format!("{shown}: {lines} lines (at most 800)"));
        }
        for b in banned {
            if text.contains(b) {
                problems.push(format!("{shown}: uses {b}]"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
