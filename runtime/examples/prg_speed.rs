//! Fill speed of the generators behind masks and shares, in one run: ChaCha20, ChaCha12 and
//! ChaCha8 (`rand_chacha`) against AES-128-CTR (`csprng::AesCtrRng`), each filling a 16 MiB
//! buffer of words 30 times, fastest kept (docs/performance.md, "Why ChaCha12, and then
//! AES-128-CTR").
//!
//! `cargo run --release -p mpcc-runtime --example prg_speed`

use mpcc_runtime::csprng::AesCtrRng;
use rand::{Rng, RngCore, SeedableRng};
use std::time::Instant;

fn best(out: &mut [u64], rng: &mut dyn RngCore) -> f64 {
    (0..30)
        .map(|_| {
            let t = Instant::now();
            rng.fill(out);
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let mut out = vec![1u64; 1 << 21];
    let bytes = (out.len() * 8) as f64;
    let gens: Vec<(&str, Box<dyn RngCore>)> = vec![
        ("ChaCha20", Box::new(rand_chacha::ChaCha20Rng::from_seed([1; 32]))),
        ("ChaCha12", Box::new(rand_chacha::ChaCha12Rng::from_seed([1; 32]))),
        ("ChaCha8", Box::new(rand_chacha::ChaCha8Rng::from_seed([1; 32]))),
        ("AES-128-CTR", Box::new(AesCtrRng::from_seed([1; 32]))),
    ];
    for (name, mut rng) in gens {
        let s = best(&mut out, rng.as_mut());
        println!("{name:<12} {:>7.2} ms for 16 MiB = {:.2} GB/s", s * 1e3, bytes / s / 1e9);
    }
}
