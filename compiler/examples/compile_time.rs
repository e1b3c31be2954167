//! Times the compiler: `cargo run --release -p mpcc-compiler --example compile_time -- FILE... [--repeat N]`
//! compiles each file N times (default 200) and prints the median time per compilation.

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut repeat = 200usize;
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--repeat" {
            repeat = it.next().and_then(|n| n.parse().ok()).unwrap_or(repeat);
        } else {
            files.push(a.clone());
        }
    }
    for file in files {
        let Ok(src) = std::fs::read_to_string(&file) else {
            eprintln!("cannot read {file}");
            std::process::exit(2);
        };
        let mut times = Vec::with_capacity(repeat);
        for _ in 0..repeat.max(1) {
            let start = Instant::now();
            let compiled = mpcc_compiler::compile(&src, &mpcc_compiler::CompileOptions::default());
            times.push(start.elapsed().as_secs_f64());
            std::hint::black_box(compiled);
        }
        times.sort_by(f64::total_cmp);
        let median = times.get(times.len() / 2).copied().unwrap_or_default();
        println!("{file}: median {:.1} µs over {} compilations", median * 1e6, times.len());
    }
}
