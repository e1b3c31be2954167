//! The example programs `programs/basics.mpc` and `programs/svm.mpc` on the data `mpcc gen-data`
//! writes for them (`mpcc_datasets::datagen`): the secure engine with 2 and 3 simulated parties
//! against the plaintext engine.

use mpcc_runtime::exec::mpc::run_mpc;
use mpcc_runtime::exec::{run_plain, Event, RunConfig, VecSink};
use std::path::Path;

/// Asserts that two event streams agree: same kinds, parties and words, numbers within `tol`.
fn assert_events_close(plain: &[Event], mpc: &[Event], tol: f64, what: &str) {
    assert_eq!(plain.len(), mpc.len(), "{what}: event counts differ:\n{plain:?}\n{mpc:?}");
    for (p, m) in plain.iter().zip(mpc) {
        let (pt, mt) = match (p, m) {
            (Event::Print { text: a }, Event::Print { text: b }) => (a, b),
            (Event::Output { party: pa, text: a }, Event::Output { party: pb, text: b }) => {
                assert_eq!(pa, pb, "{what}: output to different parties");
                (a, b)
            }
            _ => panic!("{what}: different events {p:?} and {m:?}"),
        };
        let (pn, mn) = (crate::golden_run::numbers(pt), crate::golden_run::numbers(mt));
        assert_eq!(pn.len(), mn.len(), "{what}: `{pt}` vs `{mt}`");
        for (a, b) in pn.iter().zip(&mn) {
            assert!((a - b).abs() <= tol, "{what}: `{pt}` vs `{mt}` ({a} vs {b})");
        }
    }
}

fn run_both(recipe: &str, src_file: &str, params: &[(&str, &str)], parties: &[usize]) -> Vec<(Vec<Event>, Vec<Event>)> {
    let dir = crate::support::fresh_dir(&format!("example-data-{recipe}"));
    mpcc_datasets::datagen::generate(recipe, &dir, 1).expect("datagen");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs").join(src_file);
    let src = std::fs::read_to_string(&path).expect("program source");
    let program = crate::support::compile_clean(&src, params);
    let mut plain = VecSink::default();
    run_plain(&program, &RunConfig::with_dir(&dir, 3), &mut plain).expect("plaintext run");
    parties
        .iter()
        .map(|&n| {
            let mut sink = VecSink::default();
            run_mpc(&program, n, &RunConfig { seed: Some(9), ..RunConfig::with_dir(&dir, n) }, &mut sink)
                .unwrap_or_else(|e| panic!("{n} parties: {e}"));
            (plain.events.clone(), sink.events)
        })
        .collect()
}

#[test]
fn basics_matches_plaintext_with_2_and_3_parties() {
    for (plain, mpc) in run_both("basics", "basics.mpc", &[], &[2, 3]) {
        // `reciprocal` is an approximation: 1e-2 on values in [0.25, 2].
        assert_events_close(&plain, &mpc, 1e-2, "basics");
    }
}

#[test]
fn svm_accuracy_matches_plaintext_with_2_and_3_parties() {
    for (plain, mpc) in run_both("svm", "svm.mpc", &[("epochs", "10")], &[2, 3]) {
        let acc = |events: &[Event]| -> f64 {
            events
                .iter()
                .rev()
                .find_map(|e| match e {
                    Event::Print { text } => crate::golden_run::numbers(text).first().copied(),
                    _ => None,
                })
                .unwrap_or(f64::NAN)
        };
        let (a, b) = (acc(&plain), acc(&mpc));
        assert!((a - b).abs() <= 0.01 + 1e-9, "accuracy {a} (plaintext) vs {b} (MPC)");
        assert!(a > 0.6, "the plaintext SVM should learn something ({a})");
        // ALICE alone receives the model.
        let outputs: Vec<&str> = mpc
            .iter()
            .filter_map(|e| match e {
                Event::Output { party, .. } => Some(party.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(outputs, vec!["ALICE"]);
    }
}
