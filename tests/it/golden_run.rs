//! Golden runs: every `tests/golden/accept/*.mpc` runs on the plaintext engine, its output
//! snapshotted as `--- source ---` + `--- output ---` (`print` lines, `[PARTY]` outputs and
//! warnings); then it runs with 2 (with `--compare fss` and `tree`) and 3 simulated parties,
//! whose numbers must match the
//! plaintext ones within the tolerance stated below.
//!
//! Each run reads a fresh copy of `tests/golden/accept/data/`, so `save` never writes into the
//! repository. Update snapshots as for `golden.rs`.

use mpcc_runtime::exec::{run_mpc, run_plain, Event, RunConfig, VecSink};
use mpcc_runtime::protocols::compare::CompareMode;
use std::path::{Path, PathBuf};

/// Absolute tolerance for arithmetic at 16 fractional bits, relative one for approximations.
pub(crate) const ABS_TOL: f64 = 2e-2;
pub(crate) const REL_TOL: f64 = 2e-2;

pub(crate) fn scratch_copy(name: &str, n: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpcc-golden-run-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("temp dir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/accept/data");
    for entry in std::fs::read_dir(src).expect("golden data folder").flatten() {
        std::fs::copy(entry.path(), data.join(entry.file_name())).expect("copy golden data");
    }
    dir
}

pub(crate) fn transcript(events: &[Event]) -> String {
    let mut out = String::new();
    for e in events {
        match e {
            Event::Print { text } => out += &format!("{text}\n"),
            Event::Output { party, text } => out += &format!("[{party}] {text}\n"),
            Event::Warning { message, .. } => out += &format!("warning: {message}\n"),
            Event::Loop { .. } => {}
        }
    }
    out
}

/// Every number in the text, in order (`[ALICE]` and words are skipped).
pub(crate) fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e'))
        .filter_map(|t| t.parse::<f64>().ok())
        .collect()
}

#[test]
fn golden_accept_runs_match_across_engines() {
    let failures = std::cell::RefCell::new(Vec::new());
    insta::glob!("../golden/accept", "*.mpc", |path| {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let src = std::fs::read_to_string(path).unwrap_or_default();
        let Some(program) = crate::golden::compile_golden(path, &src).0.program else {
            failures.borrow_mut().push(format!("{name}: does not compile"));
            return;
        };
        let dir = scratch_copy(&name, 1);
        let mut sink = VecSink::default();
        let plain = run_plain(&program, &RunConfig::with_dir(&dir, program.parties.len()), &mut sink);
        let plain_text = match plain {
            Ok(_) => transcript(&sink.events),
            Err(e) => format!("{}error: {e}\n", transcript(&sink.events)),
        };
        let text = format!("--- source ---\n{src}\n--- output ---\n{plain_text}");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../golden/accept/snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_snapshot!("out", text));

        // Two parties with each comparison protocol (the DCF one only runs with exactly 2), and 3.
        for (n, compare) in [(2, CompareMode::Fss), (2, CompareMode::Tree), (3, CompareMode::Tree)] {
            if compare == CompareMode::Fss && program.parties.len() > 2 {
                continue;
            }
            // With the round-merging plan (the default) and without it: the same numbers within
            // the tolerance, and never more rounds merged.
            let mut rounds = Vec::new();
            for merge in [true, false] {
                let dir = scratch_copy(&name, n);
                let mut cfg = RunConfig::with_dir(&dir, n.max(program.parties.len()));
                cfg.seed = Some(11);
                cfg.compare = Some(compare);
                cfg.merge_rounds = merge;
                let mut sink = VecSink::default();
                let mpc_text = match run_mpc(&program, n.max(program.parties.len()), &cfg, &mut sink) {
                    Ok(report) => {
                        rounds.push(report.rounds);
                        transcript(&sink.events)
                    }
                    Err(e) => format!("{}error: {e}\n", transcript(&sink.events)),
                };
                let (a, b) = (numbers(&plain_text), numbers(&mpc_text));
                let close =
                    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= ABS_TOL + REL_TOL * x.abs());
                if !close {
                    failures.borrow_mut().push(format!(
                        "{name} with {n} parties ({compare:?}, merge {merge}) differs from plaintext:\n--- plaintext\n{plain_text}--- mpc\n{mpc_text}"
                    ));
                }
            }
            if let [merged, unmerged] = rounds[..] {
                if merged > unmerged {
                    failures
                        .borrow_mut()
                        .push(format!("{name} ({n}, {compare:?}): {merged} rounds merged > {unmerged}"));
                }
            }
        }
    });
    let failures = failures.into_inner();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
