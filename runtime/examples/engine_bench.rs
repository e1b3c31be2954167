//! A quick measurement of the secure engine (not a timed test): prints the table of
//! `mpcc_runtime::bench::engine_bench` (the same one `mpcc bench` prints).
//!
//! Run: `cargo run --release -p mpcc-runtime --example engine_bench [-- N_PARTIES [REPS]]`.

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(2);
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    println!("{n} parties, 16 fractional bits, fastest of {reps}\n");
    match mpcc_runtime::bench::engine_bench(n, reps) {
        Ok(rows) => print!("{}", mpcc_runtime::bench::render_text(&rows)),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
