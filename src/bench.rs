//! `mpcc bench`: prints the engine benchmark ([`engine`]) as a table, then the MLP-forward and
//! training workloads on generated data ([`workloads`]) and one whole-program row (a program,
//! default `programs/svm.mpc`, secure against `--plaintext`). Measuring is
//! [`engine`]'s business; this file only compiles the program, calls it and prints.

mod engine;
mod workloads;

use crate::console::out;
use engine::{engine_bench, program_bench, render_markdown, render_text, BenchRow};
use mpcc_compiler::{compile, CompileOptions};
use mpcc_runtime::exec::RunConfig;
use std::path::Path;

/// Runs the benchmark with `parties` simulated parties, each figure the fastest of `reps`;
/// `program` (if it exists) gives the whole-program row; with `only`, just the rows whose name
/// contains it are measured. Exit code 0, 1 on a failed run, 2 on bad arguments.
pub fn bench(parties: usize, reps: usize, program: &Path, markdown: bool, only: Option<&str>) -> u8 {
    if parties < 2 {
        eprintln!("error: `--parties {parties}`: a secure run needs at least 2 parties");
        return 2;
    }
    if reps == 0 {
        eprintln!("error: `--reps 0`: at least one repetition is needed");
        return 2;
    }
    eprintln!("mpcc bench: {parties} parties, 16 fractional bits, fastest of {reps} (this takes a while)");
    let want = Want(only);
    let mut rows = match engine_bench(parties, reps, want) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    match workloads::workload_rows(parties, reps, want) {
        Ok(w) => rows.extend(w),
        Err(m) => eprintln!("note: no MLP and training rows: {m}"),
    }
    let name = program_name(program);
    if want.row(&name) {
        match program_row(program, &name, parties, reps) {
            Ok(row) => rows.push(row),
            Err(m) => eprintln!("note: no whole-program row: {m}"),
        }
    }
    if rows.is_empty() {
        eprintln!("error: no row's name contains `{}`", only.unwrap_or_default());
        return 2;
    }
    let table = if markdown { render_markdown(&rows) } else { render_text(&rows) };
    out!("{table}");
    0
}

/// Which rows to measure: all, or those whose name contains a text (`--only`).
#[derive(Clone, Copy)]
pub struct Want<'a>(Option<&'a str>);

impl Want<'_> {
    /// Whether the row named `name` is measured.
    pub fn row(self, name: &str) -> bool {
        self.0.is_none_or(|o| name.contains(o))
    }
}

/// The whole-program row's name: the program's file name.
fn program_name(program: &Path) -> String {
    let name = program.file_name().map_or("program".into(), |n| n.to_string_lossy().into_owned());
    format!("{name} (whole program)")
}

/// The whole-program row: `program` compiled, its data read from its own folder.
fn program_row(program: &Path, name: &str, parties: usize, reps: usize) -> Result<BenchRow, String> {
    let text = std::fs::read_to_string(program).map_err(|e| format!("cannot read {}: {e}", program.display()))?;
    let compiled = compile(&text, &CompileOptions::default());
    let ir = compiled.program.ok_or_else(|| format!("{} does not compile", program.display()))?;
    let dir = program.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let cfg = RunConfig { seed: Some(1), ..RunConfig::with_dir(dir, parties.max(ir.parties.len())) };
    program_bench(name, &ir, &cfg, parties, reps.min(3)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_are_usage_errors_before_anything_runs() {
        let missing = Path::new("no/such/program.mpc");
        assert_eq!(bench(1, 5, missing, false, None), 2);
        assert_eq!(bench(2, 0, missing, false, None), 2);
        // A filter that matches no row measures nothing and says so.
        assert_eq!(bench(2, 1, missing, false, Some("no such row")), 2);
    }

    #[test]
    fn only_picks_rows_by_a_part_of_their_name() {
        assert!(Want(None).row("mul 10^6"));
        assert!(Want(Some("mul")).row("mul 10^6 (private × private, truncated)"));
        assert!(!Want(Some("mul")).row("compare 10^5 (x < y, --compare fss)"));
        assert_eq!(program_name(Path::new("programs/svm.mpc")), "svm.mpc (whole program)");
    }

    #[test]
    fn a_missing_program_has_no_row_and_says_why() {
        let err = program_row(Path::new("no/such/program.mpc"), "p", 2, 1).unwrap_err();
        assert!(err.contains("cannot read no/such/program.mpc"), "{err}");
    }
}
