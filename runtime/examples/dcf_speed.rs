//! Single-thread speed of DCF key generation and evaluation (`fss::gen`, `fss::eval`), the work
//! behind `--compare fss`: the fastest of 5 runs for 10^5 instances with one and with two output
//! words, in ns per instance, in requests of 4096 instances as the protocols make them. No
//! parties, no dealer.
//!
//! Run: `cargo run --release -p mpcc-runtime --example dcf_speed [-- INSTANCES]`.

use mpcc_runtime::fss::{eval, gen, root_seed, Prg};
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

fn best(mut f: impl FnMut()) -> Duration {
    (0..5)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(1);
    let alphas: Vec<u64> = (0..n).map(|_| rng.random()).collect();
    let xs: Vec<u64> = (0..n).map(|_| rng.random()).collect();
    let r0: Vec<_> = (0..n).map(|_| root_seed(rng.random(), rng.random())).collect();
    let r1: Vec<_> = (0..n).map(|_| root_seed(rng.random(), rng.random())).collect();
    let mut prg = Prg::new();
    println!("{n} instances, one thread, fastest of 5");
    for outputs in [1, 2] {
        let betas: Vec<u64> = (0..n * outputs).map(|_| rng.random()).collect();
        let Ok(keys) = gen(&mut prg, outputs, &alphas, &betas, [&r0, &r1]) else {
            eprintln!("error: gen failed");
            std::process::exit(1);
        };
        const REQ: usize = 4096;
        let g = best(|| {
            let parts = alphas.chunks(REQ).zip(betas.chunks(REQ * outputs)).zip(r0.chunks(REQ).zip(r1.chunks(REQ)));
            for ((a, b), (s0, s1)) in parts {
                drop(gen(&mut prg, outputs, a, b, [s0, s1]));
            }
        });
        let words = keys.len() / n.max(1);
        let e = best(|| {
            for ((x, s0), k) in xs.chunks(REQ).zip(r0.chunks(REQ)).zip(keys.chunks(REQ * words)) {
                drop(eval(&mut prg, 0, outputs, s0, k, x));
            }
        });
        let per = |d: Duration| d.as_secs_f64() * 1e9 / n as f64;
        println!(
            "{outputs} output word(s): gen {:7.1} ns/instance ({:.1} ms), eval {:6.1} ns/instance ({:.1} ms), key {} bytes",
            per(g),
            g.as_secs_f64() * 1e3,
            per(e),
            e.as_secs_f64() * 1e3,
            keys.len() / n * 8
        );
    }
}
