//! The noninterference check of `tests/it/noninterference.rs` over many more random programs.
//!
//! `cargo run --release --example noninterference -- [COUNT] [FIRST_SEED]` checks programs
//! `FIRST_SEED..FIRST_SEED+COUNT` (default 1 000 000 from 0) and prints the counts, how often
//! each error code rejected a program, and every violation; it exits 1 if there was any.

#[allow(dead_code)]
#[path = "../tests/it/ni_gen.rs"]
mod ni_gen;

use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.replace('_', "").parse().ok()).collect();
    let count = args.first().copied().unwrap_or(1_000_000);
    let first = args.get(1).copied().unwrap_or(0);
    let start = Instant::now();
    let chunk = 10_000.min(count.max(1));
    let (mut programs, mut accepted, mut violations) = (0u64, 0u64, Vec::new());
    let (mut private_var, mut private_if) = (0u64, 0u64);
    let mut codes: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut seed = first;
    while seed < first + count {
        let end = (seed + chunk).min(first + count);
        let tally = ni_gen::run(seed..end);
        programs += tally.programs;
        accepted += tally.accepted;
        private_var += tally.private_var;
        private_if += tally.private_if;
        violations.extend(tally.violations);
        // Rejection statistics on a sample (one program in a hundred).
        for s in (seed..end).step_by(100) {
            for c in ni_gen::rejection_codes(s) {
                *codes.entry(c).or_default() += 1;
            }
        }
        seed = end;
        eprintln!(
            "{programs} programs, {accepted} accepted, {} violations, {:.0} s",
            violations.len(),
            start.elapsed().as_secs_f64()
        );
    }
    println!("programs checked: {programs}");
    println!("accepted (run twice, views compared): {accepted}");
    println!("  of which a variable holds a private value: {private_var}");
    println!("  of which a private `if` was rewritten: {private_if}");
    println!("violations: {}", violations.len());
    println!("rejecting codes in a 1% sample: {codes:?}");
    println!("time: {:.1} s", start.elapsed().as_secs_f64());
    for v in &violations {
        println!("\n{v}");
    }
    if !violations.is_empty() {
        std::process::exit(1);
    }
}
