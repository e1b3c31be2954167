//! TCP+TLS against the in-process transport (not a timed test): the same protocol calls (private
//! elementwise multiplication of 10^6 elements, a 256×256×256 private matmul, 10^5 comparisons)
//! run once over `simulate` (channels, dealer thread) and once over `run_networked` (every party
//! on its own thread, loopback TCP with mutually authenticated TLS 1.3, the dealer as a TLS
//! server thread), with the same seed, so both runs do identical work.
//!
//! Run: `cargo run --release -p mpcc-runtime --example net_bench [-- N_PARTIES]`.
//! Each figure is the wall time of the protocol call, the slowest party, the fastest of 3
//! repetitions; rounds and bytes are per party per call.

use mpcc_runtime::fixed::FixedPoint;
use mpcc_runtime::mpc_error::MpcError;
use mpcc_runtime::net::dealer_server::{run_dealer, DealerMode};
use mpcc_runtime::net::party::{run_networked, PartySpec};
use mpcc_runtime::net::{keygen, Identity, NetConfig, PeerCerts};
use mpcc_runtime::party::Party;
use mpcc_runtime::protocols::compare::{compare, CmpOp};
use mpcc_runtime::protocols::{matmul, mul};
use mpcc_runtime::ring::{self, RingTensor};
use mpcc_runtime::share::{share_from, Shared};
use mpcc_runtime::simulate::{simulate, SimConfig};
use rand::SeedableRng;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

const REPS: usize = 3;
type Op = dyn Fn(&mut Party, &Shared, &Shared) -> Result<Shared, MpcError> + Sync;

/// Shares the operands, then times `op` (best of `REPS`); returns (wall, rounds, bytes sent).
fn timed(party: &mut Party, x: &RingTensor, y: &RingTensor, op: &Op) -> Result<(Duration, u64, u64), MpcError> {
    let a = share_from(party, 0, (party.id() == 0).then_some(x), x.shape(), 16)?;
    let b = share_from(party, 1, (party.id() == 1).then_some(y), y.shape(), 16)?;
    let c0 = party.comm_stats();
    let mut best = Duration::MAX;
    for _ in 0..REPS {
        let t0 = Instant::now();
        op(party, &a, &b)?;
        best = best.min(t0.elapsed());
    }
    let c1 = party.comm_stats();
    let per = REPS as u64;
    Ok((best, (c1.rounds - c0.rounds) / per, (c1.bytes_sent - c0.bytes_sent) / per))
}

fn in_process(n: usize, x: &RingTensor, y: &RingTensor, op: &Op) -> (Duration, u64, u64) {
    let mut cfg = SimConfig::new(n, Some(1));
    cfg.dealer_thread = true;
    let reports = simulate(&cfg, |party| timed(party, x, y, op)).expect("the simulated run failed");
    slowest(reports.into_iter().map(|r| r.output).collect())
}

fn slowest(per_party: Vec<(Duration, u64, u64)>) -> (Duration, u64, u64) {
    let wall = per_party.iter().map(|p| p.0).max().unwrap_or_default();
    let (_, rounds, bytes) = per_party.first().copied().unwrap_or_default();
    (wall, rounds, bytes)
}

fn networked(n: usize, keys: &std::path::Path, x: &RingTensor, y: &RingTensor, op: &Op) -> (Duration, u64, u64) {
    let names: Vec<String> = ["ALICE", "BOB", "CAROL", "DAVE", "ERIN"][..n].iter().map(|s| s.to_string()).collect();
    let certs = Arc::new(PeerCerts::load_dir(keys).expect("certificates"));
    let listeners: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").expect("bind")).collect();
    let peers: Vec<_> = listeners.iter().map(|l| l.local_addr().expect("addr")).collect();
    let dealer = TcpListener::bind("127.0.0.1:0").expect("bind");
    let dealer_addr = dealer.local_addr().expect("addr");
    let cfg = NetConfig::default();
    let dealer_id = Identity::load(keys, "DEALER").expect("dealer key");
    let results = std::thread::scope(|scope| {
        let dealer_thread =
            scope.spawn(|| run_dealer(&dealer, &dealer_id, &certs, &cfg, DealerMode { insecure_seed: true }));
        let handles: Vec<_> = listeners
            .into_iter()
            .enumerate()
            .map(|(rank, listener)| {
                let spec = PartySpec {
                    rank,
                    names: names.clone(),
                    peers: peers.clone(),
                    dealer: dealer_addr,
                    dealer_name: "DEALER".to_string(),
                    identity: Identity::load(keys, &names[rank]).expect("party key"),
                    certs: certs.clone(),
                    fingerprint: [0; 32],
                    fixed: FixedPoint::default(),
                    seed: Some(1),
                    preprocessing: mpcc_runtime::preprocessing::Preprocessing::Dealer,
                };
                let cfg = &cfg;
                scope.spawn(move || run_networked(&spec, Some(listener), cfg, |party| timed(party, x, y, op)))
            })
            .collect();
        let out: Vec<_> = handles.into_iter().map(|h| h.join().expect("party thread")).collect();
        dealer_thread.join().expect("dealer thread").expect("the dealer failed");
        out
    });
    slowest(results.into_iter().map(|r| r.expect("the networked run failed").output).collect())
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2).clamp(2, 5);
    let keys = std::env::temp_dir().join(format!("mpcc-net-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&keys);
    for name in ["ALICE", "BOB", "CAROL", "DAVE", "ERIN", "DEALER"] {
        keygen(name, &keys).expect("keygen");
    }
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let small = |rng: &mut rand_chacha::ChaCha20Rng, shape: &[usize]| {
        ring::random(rng, shape).mapv(|v| ((v >> 40) as i64 - (1 << 23)) as u64)
    };
    let (x1, y1) = (small(&mut rng, &[1_000_000]), small(&mut rng, &[1_000_000]));
    let (xm, ym) = (small(&mut rng, &[256, 256]), small(&mut rng, &[256, 256]));
    let (xc, yc) = (small(&mut rng, &[100_000]), small(&mut rng, &[100_000]));
    let mul_op: &Op = &|p, a, b| mul::mul(p, a, b);
    let matmul_op: &Op = &|p, a, b| matmul::matmul(p, a, b);
    let cmp_op: &Op = &|p, a, b| compare(p, CmpOp::Lt, a, b);
    let cases: [(&str, &RingTensor, &RingTensor, &Op); 3] =
        [("mul 10^6", &x1, &y1, mul_op), ("matmul 256^3", &xm, &ym, matmul_op), ("lt 10^5", &xc, &yc, cmp_op)];
    println!("{n} parties; slowest party, best of {REPS}");
    println!("{:<14} {:>12} {:>12} {:>7} {:>8} {:>12}", "op", "in-process", "TCP+TLS", "ratio", "rounds", "sent/party");
    for (name, x, y, op) in cases {
        let (local, rounds, bytes) = in_process(n, x, y, op);
        let (net, net_rounds, net_bytes) = networked(n, &keys, x, y, op);
        assert_eq!((rounds, bytes), (net_rounds, net_bytes), "the transports did different work");
        println!(
            "{:<14} {:>9.1} ms {:>9.1} ms {:>6.2}x {:>8} {:>9.1} MB",
            name,
            local.as_secs_f64() * 1e3,
            net.as_secs_f64() * 1e3,
            net.as_secs_f64() / local.as_secs_f64(),
            rounds,
            bytes as f64 / 1e6
        );
    }
    let _ = std::fs::remove_dir_all(&keys);
}
