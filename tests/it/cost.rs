//! The cost model (`mpcc cost`, `mpcc_runtime::cost`) against measured runs: for every
//! `tests/golden/accept/*.mpc`, with 2 parties (both comparison protocols) and with 3, the
//! model's rounds, bytes sent per party and dealer bytes must equal exactly what a simulated run
//! counts, in total and per source span (the runtime's per-span counters).

use crate::golden_run::scratch_copy;
use mpcc_runtime::cost::estimate;
use mpcc_runtime::exec::{run_mpc, RunConfig, VecSink};
use mpcc_runtime::protocols::compare::CompareMode;
use std::path::Path;

fn golden_programs() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/accept");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("golden folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mpc"))
        .collect();
    files.sort();
    files
}

#[test]
fn cost_model_equals_measured_runs_on_every_golden_program() {
    let mut failures = Vec::new();
    let mut exact = 0;
    for path in golden_programs() {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let src = std::fs::read_to_string(&path).expect("read");
        let Some(program) = crate::golden::compile_golden(&path, &src).0.program else {
            failures.push(format!("{name}: does not compile"));
            continue;
        };
        for (n, compare) in [(2, CompareMode::Fss), (2, CompareMode::Tree), (3, CompareMode::Tree)] {
            // The DCF is for 2 parties; a program naming 3 runs with 3 only.
            if n < program.parties.len() {
                continue;
            }
            let dir = scratch_copy(&format!("cost-{name}-{compare:?}"), n);
            let mut cfg = RunConfig::with_dir(&dir, n);
            cfg.seed = Some(5);
            cfg.compare = Some(compare);
            let predicted = match estimate(&program, n, &cfg) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{name} ({n}, {compare:?}): the model failed: {e}"));
                    continue;
                }
            };
            let measured = match run_mpc(&program, n, &cfg, &mut VecSink::default()) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{name} ({n}, {compare:?}): the run failed: {e}"));
                    continue;
                }
            };
            let sent: Vec<u64> = measured.parties.iter().map(|p| p.bytes_sent).collect();
            let got = (predicted.total.rounds, predicted.total.bytes_sent.clone(), predicted.total.dealer_bytes);
            let want = (measured.rounds, sent, measured.dealer_bytes);
            if got != want {
                failures.push(format!(
                    "{name} ({n} parties, {compare:?}): predicted (rounds, sent, dealer) {got:?}, measured {want:?}"
                ));
                continue;
            }
            if predicted.by_span != measured.by_span {
                let diff: Vec<String> = predicted
                    .by_span
                    .iter()
                    .filter(|p| !measured.by_span.contains(p))
                    .map(|(s, c)| format!("  predicted at {}..{}: {c:?}", s.start, s.end))
                    .chain(
                        measured
                            .by_span
                            .iter()
                            .filter(|m| !predicted.by_span.contains(m))
                            .map(|(s, c)| format!("  measured at {}..{}: {c:?}", s.start, s.end)),
                    )
                    .collect();
                failures.push(format!("{name} ({n}, {compare:?}): per-span costs differ:\n{}", diff.join("\n")));
                continue;
            }
            let mut sum = mpcc_runtime::cost::Cost::zero(n);
            predicted.by_span.iter().for_each(|(_, c)| sum.add(c));
            if sum != predicted.total {
                failures.push(format!("{name} ({n}, {compare:?}): the per-span costs do not sum to the total"));
                continue;
            }
            exact += 1;
        }
    }
    assert!(failures.is_empty(), "{} exact; failures:\n{}", exact, failures.join("\n"));
    assert!(exact >= 60, "only {exact} configurations checked");
}
