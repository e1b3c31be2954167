//! Helpers the integration tests share: a fresh scratch folder and a compile that must succeed.

use mpcc_compiler::{compile, CompileOptions};
use std::path::PathBuf;

/// An empty scratch folder `mpcc-<name>-<pid>` under the system's temporary folder.
pub(crate) fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpcc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `src` compiled with `--set` overrides `params`; the test fails on any diagnostic.
pub(crate) fn compile_clean(src: &str, params: &[(&str, &str)]) -> mpcc_ir::Program {
    let options = CompileOptions { params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
    let compiled = compile(src, &options);
    match compiled.program {
        Some(p) if compiled.diagnostics.is_empty() => p,
        _ => panic!("does not compile cleanly: {:#?}", compiled.diagnostics),
    }
}
