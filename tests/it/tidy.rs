//! Repository hygiene: every diagnostic code has an explanation and a reject golden file; every
//! `.rs` file starts with a `//!` doc and has at most 800 lines; no test is ignored or expected
//! to panic; the library crates that read untrusted input deny `unwrap`, `expect`, indexing
//! and `panic!` outside tests; every golden snapshot belongs to a golden program; the golden folders hold only
//! programs, snapshots and committed inputs (nothing a test run wrote); the editor grammar names
//! exactly the builtins of the compiler's table.

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

#[test]
fn the_library_crates_deny_panicking_shortcuts() {
    let header = "#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, \
                  clippy::indexing_slicing, clippy::panic))]";
    let mut missing = Vec::new();
    for lib in ["grammar", "compiler", "import", "runtime", "datasets"].map(|c| format!("{c}/src/lib.rs")) {
        let text = std::fs::read_to_string(root().join(&lib)).unwrap_or_default();
        if !text.lines().any(|l| l == header) {
            missing.push(lib);
        }
    }
    assert!(missing.is_empty(), "without the crate-level lint header `{header}`: {missing:?}");
}

/// The files directly in `dir` (names), or none.
fn names_in(dir: &Path) -> Vec<(String, bool)> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| (e.file_name().to_string_lossy().to_string(), e.path().is_dir())).collect())
        .unwrap_or_default()
}

#[test]
fn every_golden_snapshot_belongs_to_a_golden_program() {
    let mut orphans = Vec::new();
    for kind in ["accept", "reject"] {
        let dir = root().join("tests/golden").join(kind);
        for (name, _) in names_in(&dir.join("snapshots")) {
            // insta names a globbed snapshot `<assertion>@<program>.snap`.
            let program = name.strip_suffix(".snap").and_then(|n| n.split_once('@')).map(|(_, p)| p.to_string());
            if !program.is_some_and(|p| dir.join(p).is_file()) {
                orphans.push(format!("tests/golden/{kind}/snapshots/{name}"));
            }
        }
    }
    assert!(orphans.is_empty(), "snapshots of no golden program (delete them): {orphans:#?}");
}

#[test]
fn golden_folders_hold_programs_snapshots_and_inputs_only() {
    let mut strays = Vec::new();
    for kind in ["accept", "reject"] {
        for (name, is_dir) in names_in(&root().join("tests/golden").join(kind)) {
            // `used/` holds the files the golden programs' `use` items read.
            let inputs = name == "used" || (kind == "accept" && name == "data");
            let allowed = name.ends_with(".mpc") || (is_dir && (name == "snapshots" || inputs));
            if !allowed {
                strays.push(format!("tests/golden/{kind}/{name}"));
            }
        }
    }
    assert!(
        strays.is_empty(),
        "files a test run wrote (tests must write into a scratch copy; delete these): {strays:#?}"
    );
}

#[test]
fn the_editor_grammar_names_exactly_the_builtins() {
    let path = root().join("editors/vscode/syntaxes/mpc.tmLanguage.json");
    let grammar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default()).unwrap_or_default();
    let patterns = grammar["repository"]["builtins"]["patterns"].as_array().cloned().unwrap_or_default();
    // Each pattern is `\\b(name|name|…)\\b(?=…)`: the words inside the first group.
    let mut in_grammar: Vec<String> = patterns
        .iter()
        .filter_map(|p| p["match"].as_str())
        .filter_map(|m| {
            m.split_once('(').and_then(|(_, rest)| rest.split_once(')')).map(|(group, _)| group.to_string())
        })
        .flat_map(|group| group.split('|').map(str::to_string).collect::<Vec<_>>())
        .collect();
    in_grammar.sort();
    let mut in_table: Vec<String> = mpcc_compiler::builtins::BUILTINS.iter().map(|b| b.name.to_string()).collect();
    in_table.sort();
    assert!(in_grammar.len() > 20, "the grammar's builtin patterns were not found: {in_grammar:?}");
    let missing: Vec<&String> = in_table.iter().filter(|n| !in_grammar.contains(n)).collect();
    let extra: Vec<&String> = in_grammar.iter().filter(|n| !in_table.contains(n)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "editors/vscode/syntaxes/mpc.tmLanguage.json differs from compiler/src/builtins.rs: \
         missing {missing:?}, not builtins {extra:?}"
    );
}
