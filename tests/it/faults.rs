//! Fault injection over loopback, reduced: 12 networked runs of `programs/svm.mpc` (2 or 3
//! parties), two of each fault kind of `fault_harness.rs`, with a 2 s `--timeout`. Every run must
//! complete with the simulated result or fail cleanly (an error naming the peer and the phase)
//! within the timeout + 5 s; no panic, no hang. The full campaign is
//! `cargo run --release --example faults -- 100`.

use crate::fault_harness::{repo, scratch, summary, Campaign};
use std::path::PathBuf;
use std::time::Duration;

#[test]
fn networked_runs_survive_or_fail_cleanly_under_injected_faults() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_mpcc"));
    let dir = scratch("it");
    let campaign = Campaign::new(exe, repo(), dir.clone(), Duration::from_secs(2)).unwrap();
    let outcomes = campaign.run_many(12, 12, |o| {
        eprintln!(
            "run {}: {} parties, {:?} of {}: {:?} after the fault",
            o.run, o.n, o.fault, o.victim, o.time_to_exit
        );
        o.errors.iter().for_each(|e| eprintln!("    {e}"));
    });
    let _ = std::fs::remove_dir_all(&dir);
    let text = summary(&outcomes);
    eprintln!("{text}");
    assert!(outcomes.iter().all(|o| o.problems.is_empty()), "{text}");
    assert!(outcomes.iter().any(|o| o.completed) && outcomes.iter().any(|o| !o.completed), "{text}");
}
