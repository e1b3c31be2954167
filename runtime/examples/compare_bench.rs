//! Local CPU of a private `msb` (the comparison's core) with 2 parties: the DCF (`--compare fss`)
//! against the carry tree, on the same shares. Each party runs on its own thread, the dealer on a
//! third; printed per mode: the fastest wall time and the CPU time of the busiest party thread in
//! that repetition (Linux `/proc/thread-self/schedstat`), rounds, bytes sent per party and dealer
//! bytes, all per call. Meant for profiling (`perf record` on this example).
//!
//! Run: `cargo run --release -p mpcc-runtime --example compare_bench [-- ELEMENTS [REPS [fss|tree]]]`
//! (defaults: 10^5 elements, 5 repetitions, both modes).

use std::time::{Duration, Instant};

use mpcc_runtime::protocols::compare::{msb, CompareMode};
use mpcc_runtime::share::share_from;
use mpcc_runtime::simulate::{simulate, SimConfig};

/// This thread's CPU time, when the kernel reports it (Linux).
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let reps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5).max(1);
    let only = args.next();
    let enc: Vec<u64> = (0..n).map(|i| (((i * 7919) % n) as i64 - (n as i64) / 2) as u64).collect();
    let Ok(x) = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[n]), enc) else {
        eprintln!("error: bad shape");
        std::process::exit(1);
    };
    println!("msb of {n} elements, 2 parties, fastest of {reps}");
    for mode in [CompareMode::Fss, CompareMode::Tree] {
        if only.as_deref().is_some_and(|o| o != mode.name()) {
            continue;
        }
        let mut cfg = SimConfig::new(2, Some(1));
        cfg.dealer_thread = true;
        cfg.compare = Some(mode);
        let reports = simulate(&cfg, |party| {
            let a = share_from(party, 0, (party.id() == 0).then_some(&x), x.shape(), 16)?;
            let (c0, d0) = (party.comm_stats(), party.dealer_stats());
            let mut best: Option<(Duration, Duration)> = None;
            for _ in 0..reps {
                let cpu0 = thread_cpu().unwrap_or_default();
                let t0 = Instant::now();
                let out = msb(party, &a)?;
                let wall = t0.elapsed();
                let cpu = thread_cpu().unwrap_or_default().saturating_sub(cpu0);
                drop(out);
                if best.is_none_or(|(w, _)| wall < w) {
                    best = Some((wall, cpu));
                }
            }
            let (c1, d1) = (party.comm_stats(), party.dealer_stats());
            let per = reps as u64;
            Ok((
                best.unwrap_or_default(),
                (c1.rounds - c0.rounds) / per,
                (c1.bytes_sent - c0.bytes_sent) / per,
                (d1.bytes_received - d0.bytes_received) / per,
            ))
        });
        match reports {
            Ok(r) => {
                let wall = r.iter().map(|p| p.output.0 .0).max().unwrap_or_default();
                let cpu = r.iter().map(|p| p.output.0 .1).max().unwrap_or_default();
                let rounds = r.iter().map(|p| p.output.1).max().unwrap_or_default();
                let sent = r.iter().map(|p| p.output.2).max().unwrap_or_default();
                let dealer: u64 = r.iter().map(|p| p.output.3).sum();
                println!(
                    "{:5} wall {:8.1} ms  cpu/party {:8.1} ms  rounds {rounds:2}  sent/party {:6.1} B/elem  dealer {:7.1} B/elem",
                    mode.name(),
                    wall.as_secs_f64() * 1e3,
                    cpu.as_secs_f64() * 1e3,
                    sent as f64 / n as f64,
                    dealer as f64 / n as f64
                );
            }
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }
}
