//! Prints the accuracy table of docs/accuracy.md: every private nonlinear function by mpcc's
//! method and by CrypTen 0.4.1's default, against f64 on a dense grid of its domain, with the
//! rounds and bytes the simulated engine counted.
//!
//! Run: `cargo run --release -p mpcc-runtime --example accuracy [-- N_PARTIES [POINTS]]`
//! (defaults: 2 parties, 10001 points per domain).

use mpcc_runtime::protocols::approx::accuracy::report;

fn main() {
    let mut args = std::env::args().skip(1);
    let n_parties = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let points = args.next().and_then(|a| a.parse().ok()).unwrap_or(10001);
    match report(n_parties, points) {
        Ok(table) => print!("{table}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
