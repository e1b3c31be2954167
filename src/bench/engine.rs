//! The engine benchmark behind `mpcc bench`: each secure operation timed against the same
//! plaintext operation in the same run, with the rounds and bytes it cost, plus a whole-program
//! row (`program_bench`) and renderers (Markdown, plain).
//!
//! Measured per operation (simulated parties, one thread each, the dealer on its own thread):
//! the plaintext time (fastest of `repetitions`), each party's wall time for the protocol call
//! (the slowest party, fastest repetition) and that thread's CPU time (Linux
//! `/proc/thread-self/schedstat`; `None` elsewhere), rounds, bytes sent by each party and the
//! dealer's explicit bytes, all per call. This module asserts nothing about time; it is not a
//! test. It does not print. It lives in the binary, not in the engine: it only calls the
//! runtime's public protocols and executors.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

use super::Want;
use mpcc_ir::{PoolOp, UnaryOp, Window2d};
use mpcc_runtime::error::RunError;
use mpcc_runtime::exec::{run_mpc, run_plain, RunConfig, VecSink};
use mpcc_runtime::mpc_error::MpcError;
use mpcc_runtime::party::Party;
use mpcc_runtime::plain::conv::{pool2d as plain_pool2d, ConvMap};
use mpcc_runtime::protocols::compare::{compare, CmpOp, CompareMode};
use mpcc_runtime::protocols::conv::{conv_priv_priv, pool2d, ring_conv};
use mpcc_runtime::protocols::{approx, matmul, mul};
use mpcc_runtime::ring::{self, RingTensor};
use mpcc_runtime::share::{share_from, Shared};
use mpcc_runtime::simulate::{simulate, SimConfig};
use ndarray::Zip;
use rand::SeedableRng;
use std::time::{Duration, Instant};

/// One measured operation.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchRow {
    /// What was measured, e.g. `mul 10^6 (private × private)`.
    pub op: String,
    /// What the plaintext baseline is, e.g. `wrapping u64 mul`.
    pub baseline: String,
    /// Plaintext time (fastest repetition).
    pub plain: Duration,
    /// Secure wall time of the slowest party (fastest repetition).
    pub secure_wall: Duration,
    /// Secure CPU time of the busiest party thread, when the OS reports it (dealer excluded).
    pub secure_cpu: Option<Duration>,
    /// Communication rounds (the most any party took).
    pub rounds: u64,
    /// Bytes sent by each party (the most any party sent).
    pub bytes_per_party: u64,
    /// Bytes of explicit values the dealer sent (to party 0, and to party 1 for DCF keys).
    pub dealer_bytes: u64,
    /// Why the row has no secure figures (an operation that failed), else `None`.
    pub error: Option<String>,
}

impl BenchRow {
    /// Secure wall time over plaintext time.
    pub fn wall_ratio(&self) -> f64 {
        ratio(self.secure_wall, self.plain)
    }

    /// Secure CPU time of the busiest party over plaintext time.
    pub fn cpu_ratio(&self) -> Option<f64> {
        self.secure_cpu.map(|c| ratio(c, self.plain))
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

/// This thread's CPU time, when the kernel reports it (Linux).
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// What one party measured.
struct PartyMeasure {
    wall: Duration,
    cpu: Option<Duration>,
    rounds: u64,
    sent: u64,
    dealer: u64,
}

/// A binary secure operation on two shared operands.
type SecureOp<'a> = &'a (dyn Fn(&mut Party, &Shared, &Shared) -> Result<Shared, MpcError> + Sync);

/// Shares `x` (from party 0) and `y` (from party 1) at `scale`, then times `op` on every party.
fn secure(
    n: usize,
    reps: usize,
    x: &RingTensor,
    y: &RingTensor,
    scale: u32,
    op: SecureOp<'_>,
) -> Result<Vec<PartyMeasure>, MpcError> {
    secure_with(n, reps, x, y, scale, None, op)
}

/// As `secure`, with the comparison protocol `compare` (`None`: the default for `n`).
fn secure_with(
    n: usize,
    reps: usize,
    x: &RingTensor,
    y: &RingTensor,
    scale: u32,
    compare: Option<CompareMode>,
    op: SecureOp<'_>,
) -> Result<Vec<PartyMeasure>, MpcError> {
    let mut cfg = SimConfig::new(n, Some(1));
    cfg.dealer_thread = true;
    cfg.compare = compare;
    let reports = simulate(&cfg, |party| {
        let a = share_from(party, 0, (party.id() == 0).then_some(x), x.shape(), scale)?;
        let b = share_from(party, 1, (party.id() == 1).then_some(y), y.shape(), scale)?;
        let (c0, d0) = (party.comm_stats(), party.dealer_stats());
        let mut best: Option<(Duration, Option<Duration>)> = None;
        for _ in 0..reps {
            let cpu0 = thread_cpu();
            let t0 = Instant::now();
            let out = op(party, &a, &b)?;
            let wall = t0.elapsed();
            let cpu = thread_cpu().zip(cpu0).map(|(a, b)| a.saturating_sub(b));
            drop(out);
            if best.is_none_or(|(w, _)| wall < w) {
                best = Some((wall, cpu));
            }
        }
        let (wall, cpu) = best.unwrap_or_default();
        let (c1, d1) = (party.comm_stats(), party.dealer_stats());
        let per = reps as u64;
        Ok(PartyMeasure {
            wall,
            cpu,
            rounds: (c1.rounds - c0.rounds) / per,
            sent: (c1.bytes_sent - c0.bytes_sent) / per,
            dealer: (d1.bytes_received - d0.bytes_received) / per,
        })
    })?;
    Ok(reports.into_iter().map(|r| r.output).collect())
}

/// The fastest of `reps` runs of `f` (one warm-up run first).
fn time_plain<T>(reps: usize, f: impl Fn() -> T) -> Duration {
    drop(f());
    let mut best = Duration::MAX;
    for _ in 0..reps {
        let t0 = Instant::now();
        let out = f();
        best = best.min(t0.elapsed());
        drop(out);
    }
    best
}

fn row(op: &str, baseline: &str, plain: Duration, ms: Result<Vec<PartyMeasure>, MpcError>) -> BenchRow {
    let mut row = BenchRow {
        op: op.to_string(),
        baseline: baseline.to_string(),
        plain,
        secure_wall: Duration::ZERO,
        secure_cpu: None,
        rounds: 0,
        bytes_per_party: 0,
        dealer_bytes: 0,
        error: None,
    };
    match ms {
        Ok(ms) => {
            row.secure_wall = ms.iter().map(|m| m.wall).max().unwrap_or_default();
            row.secure_cpu = ms.iter().map(|m| m.cpu).collect::<Option<Vec<_>>>().and_then(|c| c.into_iter().max());
            row.rounds = ms.iter().map(|m| m.rounds).max().unwrap_or(0);
            row.bytes_per_party = ms.iter().map(|m| m.sent).max().unwrap_or(0);
            row.dealer_bytes = ms.iter().map(|m| m.dealer).sum();
        }
        Err(e) => row.error = Some(e.to_string()),
    }
    row
}

/// An approximation to measure: name, op, input range `[lo, hi)`, the plaintext function.
type ApproxCase = (&'static str, UnaryOp, f64, f64, fn(f64) -> f64);

/// Small signed ring values (|v| < 2^24), as fixed-point data at 16 bits would be.
fn small(rng: &mut rand_chacha::ChaCha20Rng, shape: &[usize]) -> RingTensor {
    ring::random(rng, shape).mapv(|v| (v >> 40) ^ ((v & 1).wrapping_neg() & !0xff_ffff))
}

/// Reals drawn uniformly from `[lo, hi)`, encoded at 16 fractional bits.
fn reals(rng: &mut rand_chacha::ChaCha20Rng, n: usize, lo: f64, hi: f64) -> (Vec<f64>, RingTensor) {
    let words = ring::random_vec(rng, n);
    let xs: Vec<f64> = words.iter().map(|w| lo + (hi - lo) * ((w >> 11) as f64 / (1u64 << 53) as f64)).collect();
    let enc = xs.iter().map(|x| (x * 65536.0).round() as i64 as u64).collect();
    let t = ring::from_vec("bench", &[n], enc).unwrap_or_else(|_| RingTensor::zeros(ndarray::IxDyn(&[n])));
    (xs, t)
}

/// Runs the engine benchmark with `n_parties` simulated parties, each measurement the fastest
/// of `repetitions` (at least 1): private×private mul of 10^6 elements, a 256×256×256 matmul,
/// 10^5 comparisons, a convolution of a `[100, 1, 28, 28]` batch with 16 5×5 kernels and a 2×2
/// max-pool of its `[100, 16, 24, 24]` output, and 10^5 each of exp, reciprocal and sigmoid (their rows carry an error
/// instead of figures if the approximation fails). Errors only if the core protocols fail.
pub fn engine_bench(n_parties: usize, repetitions: usize, want: Want<'_>) -> Result<Vec<BenchRow>, MpcError> {
    let reps = repetitions.max(1);
    let n = n_parties;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    let mut rows = Vec::new();

    let (x, y) = (small(&mut rng, &[1_000_000]), small(&mut rng, &[1_000_000]));
    let name = "mul 10^6 (private × private, truncated)";
    if want.row(name) {
        let plain = time_plain(reps, || ring::mul(&x, &y));
        let ms = secure(n, reps, &x, &y, 16, &|p: &mut Party, a: &Shared, b: &Shared| mul::mul(p, a, b))?;
        rows.push(row(name, "wrapping u64 mul", plain, Ok(ms)));
    }

    let (x, y) = (small(&mut rng, &[256, 256]), small(&mut rng, &[256, 256]));
    let name = "matmul 256×256×256 (private, truncated)";
    if want.row(name) {
        let plain = time_plain(reps, || ring::matmul(&x, &y));
        let ms = secure(n, reps, &x, &y, 16, &|p: &mut Party, a: &Shared, b: &Shared| matmul::matmul(p, a, b))?;
        rows.push(row(name, "wrapping u64 matmul", plain, Ok(ms)));
    }

    let (x, y) = (small(&mut rng, &[100_000]), small(&mut rng, &[100_000]));
    let plain = time_plain(reps, || Zip::from(&x).and(&y).map_collect(|&a, &b| ((a as i64) < (b as i64)) as u64));
    // Both comparison protocols where both run (2 parties), so that one run shows the trade.
    let modes: &[CompareMode] = if n == 2 { &[CompareMode::Tree, CompareMode::Fss] } else { &[CompareMode::Tree] };
    for &mode in modes {
        let name = format!("compare 10^5 (x < y, --compare {})", mode.name());
        if want.row(&name) {
            let lt = &|p: &mut Party, a: &Shared, b: &Shared| compare(p, CmpOp::Lt, a, b);
            let ms = secure_with(n, reps, &x, &y, 16, Some(mode), lt)?;
            rows.push(row(&name, "i64 <", plain, Ok(ms)));
        }
    }
    let plain = time_plain(reps, || x.mapv(|a| if (a as i64) < 0 { 0 } else { a }));
    for &mode in modes {
        let name = format!("relu 10^5 (--compare {})", mode.name());
        if want.row(&name) {
            let relu = &|p: &mut Party, a: &Shared, _: &Shared| mpcc_runtime::protocols::compare::relu(p, a);
            let ms = secure_with(n, reps, &x, &y, 16, Some(mode), relu)?;
            rows.push(row(&name, "i64 max(x, 0)", plain, Ok(ms)));
        }
    }

    // A CNN's first layer: 16 5×5 kernels over a [100, 1, 28, 28] batch, then a 2×2 max-pool of
    // the [100, 16, 24, 24] output.
    let valid = Window2d { stride: [1, 1], padding: [0, 0] };
    let (x, w) = (small(&mut rng, &[100, 1, 28, 28]), small(&mut rng, &[16, 1, 5, 5]));
    let name = "conv2d [100,1,28,28] * [16,1,5,5] (private, truncated)";
    if want.row(name) {
        let plain = time_plain(reps, || ring_conv(ConvMap::Forward, &x, &w, &[], &valid));
        let ms = secure(n, reps, &x, &w, 16, &|p: &mut Party, a: &Shared, b: &Shared| {
            conv_priv_priv(p, ConvMap::Forward, a, b, &[], &valid)
        })?;
        rows.push(row(name, "wrapping u64 conv2d", plain, Ok(ms)));
    }

    let pool = Window2d { stride: [2, 2], padding: [0, 0] };
    let (xs, x) = reals(&mut rng, 100 * 16 * 24 * 24, -4.0, 4.0);
    let dims = [100, 16, 24, 24];
    let x = x.into_shape_with_order(ndarray::IxDyn(&dims)).unwrap_or_else(|_| RingTensor::zeros(ndarray::IxDyn(&dims)));
    let xf = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&dims), xs)
        .unwrap_or_else(|_| ndarray::ArrayD::zeros(ndarray::IxDyn(&dims)));
    let name = "max_pool2d 2×2 of [100,16,24,24]";
    if want.row(name) {
        let plain = time_plain(reps, || plain_pool2d(PoolOp::Max, &xf, [2, 2], &pool));
        let ms = secure(n, reps, &x, &x, 16, &|p: &mut Party, a: &Shared, _: &Shared| {
            pool2d(p, PoolOp::Max, a, [2, 2], &pool)
        })?;
        rows.push(row(name, "f64 max_pool2d", plain, Ok(ms)));
    }

    // Name, op, input range, the plaintext function.
    let approx_cases: [ApproxCase; 3] = [
        ("exp 10^5", UnaryOp::Exp, -8.0, 4.0, f64::exp),
        ("reciprocal 10^5", UnaryOp::Reciprocal, 0.5, 100.0, |v| 1.0 / v),
        ("sigmoid 10^5", UnaryOp::Sigmoid, -8.0, 8.0, |v| 1.0 / (1.0 + (-v).exp())),
    ];
    for (name, op, lo, hi, f) in approx_cases {
        let (xs, x) = reals(&mut rng, 100_000, lo, hi);
        if !want.row(name) {
            continue;
        }
        let plain = time_plain(reps, || xs.iter().map(|&v| f(v)).collect::<Vec<f64>>());
        let ms = secure(n, reps, &x, &x, 16, &|p: &mut Party, a: &Shared, _: &Shared| approx::unary(p, op, a));
        rows.push(row(name, "f64", plain, ms));
    }
    Ok(rows)
}

/// One whole program, secure (`n_parties`, simulated) against the plaintext engine, each the
/// fastest of `repetitions` wall-clock runs. CPU time is not measured for programs.
pub fn program_bench(
    name: &str,
    program: &mpcc_ir::Program,
    cfg: &RunConfig,
    n_parties: usize,
    repetitions: usize,
) -> Result<BenchRow, RunError> {
    let reps = repetitions.max(1);
    let mut plain = Duration::MAX;
    for _ in 0..reps {
        let t0 = Instant::now();
        run_plain(program, cfg, &mut VecSink::default())?;
        plain = plain.min(t0.elapsed());
    }
    let mut best: Option<(Duration, mpcc_runtime::exec::MpcReport)> = None;
    for _ in 0..reps {
        let t0 = Instant::now();
        let report = run_mpc(program, n_parties, cfg, &mut VecSink::default())?;
        let wall = t0.elapsed();
        if best.as_ref().is_none_or(|(w, _)| wall < *w) {
            best = Some((wall, report));
        }
    }
    let (wall, report) = best.unwrap_or_default();
    Ok(BenchRow {
        op: name.to_string(),
        baseline: "mpcc run --plaintext".to_string(),
        plain,
        secure_wall: wall,
        secure_cpu: None,
        rounds: report.rounds,
        bytes_per_party: report.parties.iter().map(|p| p.bytes_sent).max().unwrap_or(0),
        dealer_bytes: report.dealer_bytes,
        error: None,
    })
}

fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1e3;
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn bytes(b: u64) -> String {
    mpcc_runtime::exec::mpc::stats::bytes_text(b)
}

/// The cells of one row, in the order of `HEADERS`.
fn cells(r: &BenchRow) -> Vec<String> {
    if let Some(e) = &r.error {
        let mut c = vec![r.op.clone(), format!("{} ({})", ms(r.plain), r.baseline)];
        c.push(format!("failed: {e}"));
        c.extend(std::iter::repeat_n(String::new(), HEADERS.len() - 3));
        return c;
    }
    vec![
        r.op.clone(),
        format!("{} ({})", ms(r.plain), r.baseline),
        ms(r.secure_wall),
        r.secure_cpu.map_or("–".into(), ms),
        format!("{:.1}×", r.wall_ratio()),
        r.cpu_ratio().map_or("–".into(), |c| format!("{c:.1}×")),
        r.rounds.to_string(),
        bytes(r.bytes_per_party),
        bytes(r.dealer_bytes),
    ]
}

const HEADERS: [&str; 9] = [
    "op",
    "plaintext ms (baseline)",
    "secure wall ms",
    "secure CPU ms/party",
    "ratio (wall)",
    "ratio (CPU)",
    "rounds",
    "sent/party",
    "dealer",
];

/// The rows as a Markdown table.
pub fn render_markdown(rows: &[BenchRow]) -> String {
    let mut out = format!("| {} |\n", HEADERS.join(" | "));
    out += &format!("|{}\n", "---|".repeat(HEADERS.len()));
    for r in rows {
        out += &format!("| {} |\n", cells(r).join(" | "));
    }
    out
}

/// The rows as aligned plain text.
pub fn render_text(rows: &[BenchRow]) -> String {
    let table: Vec<Vec<String>> =
        std::iter::once(HEADERS.iter().map(|h| h.to_string()).collect()).chain(rows.iter().map(cells)).collect();
    let widths: Vec<usize> = (0..HEADERS.len())
        .map(|i| table.iter().map(|r| r.get(i).map_or(0, |c| c.chars().count())).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &table {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = w - c.chars().count();
                if i == 0 {
                    format!("{c}{}", " ".repeat(pad))
                } else {
                    format!("{}{c}", " ".repeat(pad))
                }
            })
            .collect();
        out += line.join("  ").trim_end();
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(error: Option<String>) -> BenchRow {
        BenchRow {
            op: "mul".into(),
            baseline: "u64".into(),
            plain: Duration::from_millis(2),
            secure_wall: Duration::from_millis(10),
            secure_cpu: Some(Duration::from_millis(6)),
            rounds: 2,
            bytes_per_party: 24_000_000,
            dealer_bytes: 8_000,
            error,
        }
    }

    #[test]
    fn ratios_and_rendering() {
        let r = sample(None);
        assert!((r.wall_ratio() - 5.0).abs() < 1e-9);
        assert!((r.cpu_ratio().unwrap() - 3.0).abs() < 1e-9);
        let md = render_markdown(&[r.clone(), sample(Some("boom".into()))]);
        assert_eq!(md.lines().count(), 4);
        assert!(md.contains("| mul | 2.00 (u64) | 10.0 | 6.00 | 5.0× | 3.0× | 2 |"), "{md}");
        assert!(md.contains("failed: boom"));
        let text = render_text(&[r]);
        assert_eq!(text.lines().count(), 2);
        assert!(text.lines().nth(1).unwrap().ends_with(&bytes(8_000)));
    }

    #[test]
    fn secure_rows_report_the_protocol_costs() {
        // A small matmul: the figures are counts, not times, so they are exact.
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let (x, y) = (small(&mut rng, &[4, 8]), small(&mut rng, &[8, 3]));
        let ms = secure(2, 2, &x, &y, 16, &|p: &mut Party, a: &Shared, b: &Shared| matmul::matmul(p, a, b)).unwrap();
        let r = row("matmul", "u64", Duration::from_millis(1), Ok(ms));
        assert_eq!(r.error, None);
        assert_eq!(r.rounds, 2);
        // Masked operands (32 + 24 words) and the truncation opening (12 words), 8 bytes each.
        assert_eq!(r.bytes_per_party, 8 * (32 + 24 + 12));
        assert!(r.dealer_bytes > 0);
    }
}
