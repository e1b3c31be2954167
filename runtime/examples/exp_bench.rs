//! Local CPU of private `exp` with 2 parties and the DCF comparisons: the fine reduction (`exp`,
//! 8 rounds) against the coarse one it replaced (`exp_coarse`, 10 rounds), on the same shares.
//! Each party runs on its own thread, the dealer on a third; printed per method: the fastest
//! wall time and the CPU time of the busiest party thread in that repetition (Linux
//! `/proc/thread-self/schedstat`), rounds, bytes sent per party and dealer bytes, all per call.
//!
//! Run: `cargo run --release -p mpcc-runtime --example exp_bench [-- ELEMENTS [REPS]]`
//! (defaults: 10^5 elements uniform on [-8, 8], 5 repetitions).

use std::time::{Duration, Instant};

use mpcc_runtime::mpc_error::MpcError;
use mpcc_runtime::party::Party;
use mpcc_runtime::protocols::approx::exp::{exp, exp_coarse};
use mpcc_runtime::protocols::compare::CompareMode;
use mpcc_runtime::share::{share_from, Shared};
use mpcc_runtime::simulate::{simulate, SimConfig};

type Op = fn(&mut Party, &Shared) -> Result<Shared, MpcError>;

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
    // A deterministic spread over [-8, 8] at 16 fractional bits.
    let enc: Vec<u64> =
        (0..n).map(|i| ((-8.0 + 16.0 * ((i * 7919) % n) as f64 / n as f64) * 65536.0).round() as i64 as u64).collect();
    let Ok(x) = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[n]), enc) else {
        eprintln!("error: bad shape");
        std::process::exit(1);
    };
    println!("{n} elements on [-8, 8], 2 parties, --compare fss, fastest of {reps}");
    for (name, op) in [("exp (fine, new)", exp as Op), ("exp_coarse (old)", exp_coarse as Op)] {
        let mut cfg = SimConfig::new(2, Some(1));
        cfg.dealer_thread = true;
        cfg.compare = Some(CompareMode::Fss);
        let reports = simulate(&cfg, |party| {
            let a = share_from(party, 0, (party.id() == 0).then_some(&x), x.shape(), 16)?;
            let (c0, d0) = (party.comm_stats(), party.dealer_stats());
            let mut best: Option<(Duration, Duration)> = None;
            for _ in 0..reps {
                let cpu0 = thread_cpu().unwrap_or_default();
                let t0 = Instant::now();
                let out = op(party, &a)?;
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
                    "{name:18} wall {:8.1} ms  cpu/party {:8.1} ms  rounds {rounds:2}  sent/party {:6.1} B/elem  dealer {:7.1} B/elem",
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
