//! The full fault-injection campaign of `tests/it/faults.rs`: networked runs on loopback in which
//! a random party or the dealer is killed, stopped, drips bytes, sends garbage, presents a wrong
//! certificate, or has strangers on its port.
//!
//! `cargo build --release && cargo run --release --example faults -- [RUNS] [SEED] [TIMEOUT_S]`
//! (default 100 runs, seed 1, 3 s) prints each run and then the figures; it exits 1 if any run
//! broke the rules (with `VERBOSE=1`, each failed process's error line too). It starts the `mpcc` binary next to this example (`target/release/mpcc`), or
//! the one `MPCC` names.

#[allow(dead_code)]
#[path = "../tests/it/fault_harness.rs"]
mod fault_harness;

use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100);
    let seed: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let timeout: f64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3.0);
    let verbose = std::env::var_os("VERBOSE").is_some();
    let exe = std::env::var_os("MPCC").map(PathBuf::from).unwrap_or_else(|| {
        let me = std::env::current_exe().unwrap_or_default();
        me.parent().and_then(|d| d.parent()).map(|d| d.join("mpcc")).unwrap_or_default()
    });
    if !exe.exists() {
        eprintln!("error: no mpcc binary at {} (run `cargo build --release` first, or set MPCC)", exe.display());
        std::process::exit(2);
    }
    let dir = fault_harness::scratch("example");
    let campaign =
        match fault_harness::Campaign::new(exe, fault_harness::repo(), dir.clone(), Duration::from_secs_f64(timeout)) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        };
    let start = Instant::now();
    let outcomes = campaign.run_many(runs, seed, |o| {
        println!(
            "run {:3}: {} parties, {:?} of {}: {} in {:.2} s{}",
            o.run,
            o.n,
            o.fault,
            o.victim,
            if o.completed { "completed" } else { "failed cleanly" },
            o.time_to_exit.as_secs_f64(),
            if o.problems.is_empty() { String::new() } else { format!(" — PROBLEM: {}", o.problems.join("; ")) }
        );
        if verbose {
            o.errors.iter().for_each(|e| println!("    {e}"));
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    println!("\n{}", fault_harness::summary(&outcomes));
    println!("wall time: {:.1} s", start.elapsed().as_secs_f64());
    if outcomes.iter().any(|o| !o.problems.is_empty()) {
        std::process::exit(1);
    }
}
