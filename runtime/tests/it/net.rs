//! Networked runs over loopback TCP with TLS: parties as threads (and, for the crash test, a
//! child process), the dealer as a server thread, checked against the simulated engine bit for
//! bit, and the faults: a wrong certificate, a different program, garbage bytes, a stalled peer,
//! a failing party and a killed one. Every test is bounded by a short `--timeout`.

use mpcc_runtime::fixed::FixedPoint;
use mpcc_runtime::mpc_error::MpcError;
use mpcc_runtime::net::dealer_client::connect_dealer;
use mpcc_runtime::net::dealer_server::{run_dealer, run_dealer_process, DealerMode, DealerSummary};
use mpcc_runtime::net::handshake::Hello;
use mpcc_runtime::net::local::{run_local_network, LocalChild, LocalNetSpec};
use mpcc_runtime::net::party::{run_networked, NetReport, NetRunError, PartySpec};
use mpcc_runtime::net::{keygen, Identity, NetConfig, NetError, NetErrorKind, PeerCerts, Phase};
use mpcc_runtime::party::Party;
use mpcc_runtime::protocols::{arith, compare, matmul, mul};
use mpcc_runtime::ring::to_vec;
use mpcc_runtime::share::{reveal, share_from};
use mpcc_runtime::simulate::{simulate, SimConfig};
use ndarray::{ArrayD, IxDyn};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const NAMES: [&str; 3] = ["ALICE", "BOB", "CAROL"];
const CHILD_ENV: &str = "MPCC_NET_TEST_CHILD";
const CLI_ENV: &str = "MPCC_NET_TEST_CLI";

/// Keys for `n` parties and the dealer in a fresh folder.
struct Fixture {
    dir: PathBuf,
    names: Vec<String>,
    certs: Arc<PeerCerts>,
}

impl Fixture {
    fn new(tag: &str, n: usize) -> Fixture {
        let dir = std::env::temp_dir().join(format!("mpcc-net-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let names: Vec<String> = NAMES[..n].iter().map(|s| s.to_string()).collect();
        for name in names.iter().map(String::as_str).chain(["DEALER"]) {
            keygen(name, &dir).unwrap();
        }
        let certs = Arc::new(PeerCerts::load_dir(&dir).unwrap());
        Fixture { dir, names, certs }
    }
    fn identity(&self, name: &str) -> Identity {
        Identity::load(&self.dir, name).unwrap()
    }
    fn spec(&self, rank: usize, peers: &[SocketAddr], dealer: SocketAddr, seed: Option<u64>) -> PartySpec {
        PartySpec {
            rank,
            names: self.names.clone(),
            peers: peers.to_vec(),
            dealer,
            dealer_name: "DEALER".to_string(),
            identity: self.identity(&self.names[rank]),
            certs: self.certs.clone(),
            fingerprint: [7; 32],
            fixed: FixedPoint::default(),
            seed,
            preprocessing: mpcc_runtime::preprocessing::Preprocessing::Dealer,
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn bind_n(n: usize) -> (Vec<TcpListener>, Vec<SocketAddr>) {
    let listeners: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    let addrs = listeners.iter().map(|l| l.local_addr().unwrap()).collect();
    (listeners, addrs)
}

/// A short I/O timeout, with a start-up bound that tolerates a loaded machine.
fn cfg(timeout_ms: u64) -> NetConfig {
    NetConfig {
        retry_every: Duration::from_millis(20),
        startup: Duration::from_secs(10),
        ..NetConfig::with_timeout(Duration::from_millis(timeout_ms))
    }
}

type PartyResult<T> = Result<NetReport<T>, NetRunError<MpcError>>;

/// Runs every party of `specs` on its own thread (with its listener) and the dealer on another.
fn run_network<T: Send>(
    fx: &Fixture,
    specs: Vec<(PartySpec, TcpListener)>,
    dealer: TcpListener,
    cfg: &NetConfig,
    work: &(dyn Fn(&mut Party) -> Result<T, MpcError> + Sync),
) -> (Vec<PartyResult<T>>, Result<DealerSummary, NetError>) {
    let dealer_id = fx.identity("DEALER");
    let mode = DealerMode { insecure_seed: specs.iter().any(|(spec, _)| spec.seed.is_some()) };
    std::thread::scope(|scope| {
        let dealer = scope.spawn(|| run_dealer(&dealer, &dealer_id, &fx.certs, cfg, mode));
        let parties: Vec<_> = specs
            .into_iter()
            .map(|(spec, listener)| scope.spawn(move || run_networked(&spec, Some(listener), cfg, work)))
            .collect();
        let results = parties.into_iter().map(|h| h.join().unwrap()).collect();
        (results, dealer.join().unwrap())
    })
}

/// Shares a 2×3 matrix from ALICE and a 3×2 one from BOB, multiplies them, squares the product
/// elementwise, takes a ReLU (comparisons: many rounds) and reveals. Returns this party's share
/// of the ReLU and the revealed words.
fn workload(party: &mut Party) -> Result<(Vec<u64>, Vec<u64>), MpcError> {
    let fixed = party.fixed;
    let x = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1.5, -2.0, 0.25, 3.0, 0.5, -1.0]).unwrap();
    let y = ArrayD::from_shape_vec(IxDyn(&[3, 2]), vec![0.5, 1.0, -1.5, 2.0, 4.0, -0.75]).unwrap();
    let (xe, ye) = (fixed.encode(&x)?, fixed.encode(&y)?);
    let id = party.id();
    let xs = share_from(party, 0, (id == 0).then_some(&xe), &[2, 3], fixed.frac_bits)?;
    let ys = share_from(party, 1, (id == 1).then_some(&ye), &[3, 2], fixed.frac_bits)?;
    let z = matmul::matmul(party, &xs, &ys)?;
    let w = mul::mul(party, &z, &z)?;
    let r = compare::relu(party, &arith::sub(&w, &z)?)?;
    let open = reveal(party, &r)?;
    Ok((to_vec(&r.data), to_vec(&open.data)))
}

#[test]
fn two_and_three_parties_over_tls_match_the_simulation_bit_for_bit() {
    for n in [2, 3] {
        let seed = 40 + n as u64;
        let simulated = simulate(&SimConfig::new(n, Some(seed)), workload).unwrap();
        let fx = Fixture::new(&format!("match{n}"), n);
        let (listeners, addrs) = bind_n(n);
        let dealer = TcpListener::bind("127.0.0.1:0").unwrap();
        let dealer_addr = dealer.local_addr().unwrap();
        let specs =
            listeners.into_iter().enumerate().map(|(r, l)| (fx.spec(r, &addrs, dealer_addr, Some(seed)), l)).collect();
        let (results, dealer) = run_network(&fx, specs, dealer, &cfg(10_000), &workload);
        let summary = dealer.unwrap();
        assert_eq!(summary.parties, fx.names);
        for (rank, (net, sim)) in results.into_iter().zip(&simulated).enumerate() {
            let net = net.unwrap_or_else(|e| panic!("party {rank}: {e}"));
            assert_eq!(net.output, sim.output, "party {rank} of {n}: shares or opened values differ");
            assert_eq!(net.comm.rounds, sim.comm.rounds);
            assert_eq!(net.comm.bytes_sent, sim.comm.bytes_sent);
            assert_eq!(net.dealer, sim.dealer);
        }
        assert_eq!(summary.requests, simulated[0].dealer.requests);
        // The relu of w - z where w = z²: decode and compare with the plaintext.
        let opened = &simulated[0].output.1;
        assert!(opened.iter().any(|&v| v != 0));
    }
}

fn expect_net_err<T>(r: &PartyResult<T>) -> &NetError {
    match r {
        Err(NetRunError::Net(e)) => e,
        Err(NetRunError::Local(e)) => panic!("expected a network error, got a local one: {e}"),
        Ok(_) => panic!("expected a network error, the party succeeded"),
    }
}

/// Runs the parties of `specs` (no dealer: they are expected to fail before they need it).
fn run_parties_only(specs: Vec<(PartySpec, TcpListener)>, timeout_ms: u64) -> Vec<PartyResult<()>> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .into_iter()
            .map(|(spec, l)| {
                scope.spawn(move || run_networked(&spec, Some(l), &cfg(timeout_ms), |_: &mut Party| Ok(())))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn specs_for(fx: &Fixture, n: usize) -> Vec<(PartySpec, TcpListener)> {
    let (listeners, addrs) = bind_n(n);
    // No dealer runs: its address is never reached.
    let dealer_addr = addrs[0];
    listeners.into_iter().enumerate().map(|(r, l)| (fx.spec(r, &addrs, dealer_addr, Some(1)), l)).collect()
}

#[test]
fn a_wrong_certificate_is_refused_naming_it() {
    let fx = Fixture::new("wrongcert", 2);
    let impostor_dir = fx.dir.join("impostor");
    keygen("BOB", &impostor_dir).unwrap();
    let mut specs = specs_for(&fx, 2);
    specs[1].0.identity = Identity::load(&impostor_dir, "BOB").unwrap();
    let start = Instant::now();
    let net = NetConfig { startup: Duration::from_secs(2), ..cfg(2_000) };
    let results: Vec<PartyResult<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .into_iter()
            .map(|(spec, l)| scope.spawn(move || run_networked(&spec, Some(l), &net, |_: &mut Party| Ok(()))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(start.elapsed() < Duration::from_secs(5));
    let alice = expect_net_err(&results[0]);
    assert_eq!(alice.kind, NetErrorKind::Certificate, "{alice}");
    assert_eq!(alice.phase, Phase::Tls);
    assert_eq!(alice.peer.as_deref(), Some("BOB"));
    assert!(alice.message.contains("presented certificate `BOB` (sha256"), "{alice}");
    assert!(alice.message.contains("which is not BOB's certificate `BOB.crt`"), "{alice}");
    // The impostor cannot tell a refusal from a stranger's probe: it waits out the start-up
    // timeout for ALICE, and says what happened to the connection it ignored.
    let bob = expect_net_err(&results[1]);
    assert_eq!(bob.kind, NetErrorKind::Unreachable, "{bob}");
    assert!(bob.message.contains("party ALICE did not connect within 2 s"), "{bob}");
    assert!(bob.message.contains("refused our certificate"), "{bob}");
}

#[test]
fn a_different_program_or_precision_is_refused_saying_what_differs() {
    let fx = Fixture::new("mismatch2", 2);
    let mut specs = specs_for(&fx, 2);
    specs[1].0.fingerprint = [0xab; 32];
    let results = run_parties_only(specs, 2_000);
    let alice = expect_net_err(&results[0]);
    assert_eq!(alice.kind, NetErrorKind::Mismatch, "{alice}");
    assert_eq!(alice.phase, Phase::Handshake);
    assert!(
        alice
            .message
            .starts_with("party BOB runs a different program (fingerprint abababababab… vs ours 070707070707…)"),
        "{alice}"
    );
    let bob = expect_net_err(&results[1]);
    assert!(
        bob.message
            .starts_with("party ALICE runs a different program (fingerprint 070707070707… vs ours abababababab…)"),
        "{bob}"
    );

    // Three parties, CAROL with another precision: CAROL says so, the others stop (they may learn
    // it from CAROL's notice rather than from their own check, depending on who connects first).
    let fx = Fixture::new("mismatch3", 3);
    let mut specs = specs_for(&fx, 3);
    specs[2].0.fixed = FixedPoint::new(20).unwrap();
    let start = Instant::now();
    let results = run_parties_only(specs, 3_000);
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}: {results:?}", start.elapsed());
    let carol = expect_net_err(&results[2]);
    assert_eq!(carol.kind, NetErrorKind::Mismatch, "{carol}");
    assert!(carol.message.ends_with("uses 16 fractional bits of precision, we use 20"), "{carol}");
    for rank in [0, 1] {
        let err = expect_net_err(&results[rank]);
        assert!(err.to_string().contains("fractional bits") || err.kind != NetErrorKind::Mismatch, "{err}");
    }
}

#[test]
fn strangers_on_the_ports_delay_nobody() {
    // Before the parties start: on BOB's port and the dealer's, a silent connection, junk bytes,
    // a port scan (connect and close) and a TLS client that sends a byte a second.
    let fx = Fixture::new("garbage", 2);
    let (listeners, addrs) = bind_n(2);
    let dealer = TcpListener::bind("127.0.0.1:0").unwrap();
    let dealer_addr = dealer.local_addr().unwrap();
    let mut strangers = Vec::new();
    for addr in [addrs[1], dealer_addr] {
        strangers.push(TcpStream::connect(addr).unwrap());
        let mut junk = TcpStream::connect(addr).unwrap();
        let _ = junk.write_all(b"GET / HTTP/1.1\r\nHost: mpcc\r\n\r\n\x00\xff\xfe garbage garbage garbage");
        strangers.push(junk);
        drop(TcpStream::connect(addr).unwrap());
        let mut drip = TcpStream::connect(addr).unwrap();
        let _ = drip.write_all(&[0x16, 3, 1, 2, 0]);
        strangers.push(drip);
    }
    let specs = listeners.into_iter().enumerate().map(|(r, l)| (fx.spec(r, &addrs, dealer_addr, Some(3)), l)).collect();
    let start = Instant::now();
    let (results, dealer) = run_network(&fx, specs, dealer, &cfg(4_000), &workload);
    assert!(start.elapsed() < Duration::from_secs(3), "took {:?}", start.elapsed());
    for r in results {
        r.unwrap_or_else(|e| panic!("{e}"));
    }
    dealer.unwrap();
    drop(strangers);
}

#[test]
fn a_share_longer_than_ours_is_refused_before_it_is_read() {
    let fx = Fixture::new("framelimit", 2);
    // ALICE opens one word, BOB (out of step) three. BOB fails too (ALICE's share is short); he
    // waits before giving up, so that his failure notice (or his closed connection) cannot reach
    // ALICE before his long share does.
    let work = |p: &mut Party| {
        let opened = p.open(&vec![1u64; 1 + 2 * p.id()]);
        if opened.is_err() && p.id() == 1 {
            std::thread::sleep(Duration::from_millis(500));
        }
        opened.map(|_| ())
    };
    let (listeners, addrs) = bind_n(2);
    let dealer = TcpListener::bind("127.0.0.1:0").unwrap();
    let dealer_addr = dealer.local_addr().unwrap();
    let specs = listeners.into_iter().enumerate().map(|(r, l)| (fx.spec(r, &addrs, dealer_addr, Some(3)), l)).collect();
    let (results, _) = run_network(&fx, specs, dealer, &cfg(2_000), &work);
    let alice = expect_net_err(&results[0]);
    assert_eq!(alice.kind, NetErrorKind::Malformed, "{alice}");
    assert_eq!(alice.phase, Phase::Round(1), "{alice}");
    assert!(alice.message.contains("a message of 24 bytes, over the limit of 8 bytes"), "{alice}");
}

#[test]
fn a_peer_that_drips_bytes_is_timed_out_per_message() {
    // A TLS client that sends one byte every 100 ms never goes silent for the timeout; its TLS
    // handshake is still cut off at the per-connection deadline and ignored.
    let fx = Fixture::new("drip", 2);
    let (mut listeners, addrs) = bind_n(2);
    let bob_listener = listeners.pop().unwrap();
    let spec = fx.spec(1, &addrs, addrs[0], Some(1));
    let net = NetConfig { startup: Duration::from_millis(2_500), ..cfg(1_000) };
    let start = Instant::now();
    let result: PartyResult<()> = std::thread::scope(|scope| {
        let bob = scope.spawn(|| run_networked(&spec, Some(bob_listener), &net, |_: &mut Party| Ok(())));
        let mut sock = TcpStream::connect(addrs[1]).unwrap();
        // A TLS record header announcing 512 bytes of handshake, then the bytes, one at a time.
        let mut bytes = [0x16u8, 3, 1, 2, 0].into_iter().chain(std::iter::repeat(0));
        while !bob.is_finished() && start.elapsed() < Duration::from_secs(5) {
            let _ = sock.write_all(&[bytes.next().unwrap_or(0)]);
            std::thread::sleep(Duration::from_millis(100));
        }
        bob.join().unwrap()
    });
    assert!(start.elapsed() < Duration::from_secs(4), "took {:?}", start.elapsed());
    let err = expect_net_err(&result);
    assert_eq!(err.kind, NetErrorKind::Unreachable, "{err}");
    assert!(err.message.contains("did not complete the TLS handshake in time"), "{err}");
}

/// Runs `n` parties with the dealer where `work` may misbehave; returns results and elapsed time.
fn run_faulty(
    tag: &str,
    n: usize,
    timeout_ms: u64,
    work: &(dyn Fn(&mut Party) -> Result<u64, MpcError> + Sync),
) -> (Vec<PartyResult<u64>>, Result<DealerSummary, NetError>, Duration) {
    let fx = Fixture::new(tag, n);
    let (listeners, addrs) = bind_n(n);
    let dealer = TcpListener::bind("127.0.0.1:0").unwrap();
    let dealer_addr = dealer.local_addr().unwrap();
    let specs = listeners.into_iter().enumerate().map(|(r, l)| (fx.spec(r, &addrs, dealer_addr, Some(3)), l)).collect();
    let start = Instant::now();
    let (results, dealer) = run_network(&fx, specs, dealer, &cfg(timeout_ms), work);
    (results, dealer, start.elapsed())
}

/// `rounds` private multiplications of a shared vector; `hook(party, i)` runs before each.
fn mul_loop(
    party: &mut Party,
    rounds: u64,
    hook: &dyn Fn(usize, u64) -> Result<(), MpcError>,
) -> Result<u64, MpcError> {
    let fixed = party.fixed;
    let one = fixed.encode(&ArrayD::from_elem(IxDyn(&[4]), 1.0))?;
    let id = party.id();
    let mut x = share_from(party, 0, (id == 0).then_some(&one), &[4], fixed.frac_bits)?;
    for i in 0..rounds {
        hook(id, i)?;
        x = mul::mul(party, &x, &x)?;
    }
    Ok(to_vec(&reveal(party, &x)?.data)[0])
}

#[test]
fn a_stalled_peer_times_out_naming_it_and_the_round() {
    let stall = |id: usize, i: u64| {
        if id == 1 && i == 3 {
            std::thread::sleep(Duration::from_millis(1_500));
        }
        Ok(())
    };
    let (results, dealer, elapsed) = run_faulty("stall", 3, 600, &|p| mul_loop(p, 6, &stall));
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    for rank in [0, 2] {
        let err = expect_net_err(&results[rank]);
        assert_eq!(err.peer.as_deref(), Some("BOB"), "{err}");
        assert_eq!(err.kind, NetErrorKind::Timeout, "{err}");
        assert!(matches!(err.phase, Phase::Round(r) if r > 3), "{err}");
        assert!(err.to_string().contains("sent nothing for 600 ms (the timeout)"), "{err}");
    }
    assert!(results[1].is_err());
    assert!(dealer.is_err());
}

#[test]
fn a_failing_party_tells_the_others_at_once() {
    let fail = |id: usize, i: u64| {
        if id == 1 && i == 2 {
            Err(MpcError::PartyLost { party: 1 })
        } else {
            Ok(())
        }
    };
    let (results, dealer, elapsed) = run_faulty("fail", 3, 5_000, &|p| mul_loop(p, 5, &fail));
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert!(matches!(results[1], Err(NetRunError::Local(MpcError::PartyLost { party: 1 }))));
    // ALICE hears it from BOB; CAROL from BOB, or from ALICE passing BOB's notice on.
    for rank in [0, 2] {
        let err = expect_net_err(&results[rank]);
        assert_eq!(err.kind, NetErrorKind::PeerFailed, "{err}");
        assert_eq!(err.message, "the peer failed: BOB stopped: its computation failed", "{err}");
    }
    assert_eq!(expect_net_err(&results[0]).peer.as_deref(), Some("BOB"));
    let dealer_err = dealer.unwrap_err();
    assert!(dealer_err.to_string().contains("stopped"), "{dealer_err}");
}

/// In the child process of the crash test: BOB, multiplying until it is killed.
fn child_party(config: &str) {
    let parts: Vec<&str> = config.split(';').collect();
    let [dir, peers, dealer] = parts[..] else { panic!("bad child config {config}") };
    let peers: Vec<SocketAddr> = peers.split(',').map(|a| a.parse().unwrap()).collect();
    let certs = Arc::new(PeerCerts::load_dir(std::path::Path::new(dir)).unwrap());
    let spec = PartySpec {
        rank: 1,
        names: vec!["ALICE".into(), "BOB".into()],
        peers,
        dealer: dealer.parse().unwrap(),
        dealer_name: "DEALER".into(),
        identity: Identity::load(std::path::Path::new(dir), "BOB").unwrap(),
        certs,
        fingerprint: [7; 32],
        fixed: FixedPoint::default(),
        seed: Some(9),
        preprocessing: mpcc_runtime::preprocessing::Preprocessing::Dealer,
    };
    let _ = run_networked(&spec, None, &cfg(10_000), |p: &mut Party| mul_loop(p, u64::MAX, &|_, _| Ok(())));
}

struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_killed_party_stops_the_others_at_once() {
    if let Ok(config) = std::env::var(CHILD_ENV) {
        child_party(&config);
        return;
    }
    let fx = Fixture::new("kill", 2);
    let alice_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let bob_addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let dealer = TcpListener::bind("127.0.0.1:0").unwrap();
    let addrs = vec![alice_listener.local_addr().unwrap(), bob_addr];
    let dealer_addr = dealer.local_addr().unwrap();
    let config = format!("{};{},{};{dealer_addr}", fx.dir.display(), addrs[0], addrs[1]);
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "net::a_killed_party_stops_the_others_at_once", "--test-threads=1"])
        .env(CHILD_ENV, config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let progress = AtomicU64::new(0);
    let spec = fx.spec(0, &addrs, dealer_addr, Some(9));
    let dealer_id = fx.identity("DEALER");
    let net = cfg(10_000);
    let (alice, killed_at) = std::thread::scope(|scope| {
        let dealer =
            scope.spawn(|| run_dealer(&dealer, &dealer_id, &fx.certs, &net, DealerMode { insecure_seed: true }));
        let progress = &progress;
        let tick = move |_: usize, i: u64| {
            progress.store(i, Ordering::Relaxed);
            Ok(())
        };
        let alice = scope.spawn(move || {
            run_networked(&spec, Some(alice_listener), &net, |p: &mut Party| mul_loop(p, u64::MAX, &tick))
        });
        // Kill BOB once the run is under way (ALICE has done a few rounds with it).
        let deadline = Instant::now() + Duration::from_secs(10);
        while progress.load(Ordering::Relaxed) < 5 && Instant::now() < deadline && !alice.is_finished() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.0.kill();
        let killed_at = Instant::now();
        let r = alice.join().unwrap();
        let _ = dealer.join().unwrap();
        (r, killed_at)
    });
    assert!(progress.load(Ordering::Relaxed) >= 5, "the run never got under way: {:?}", alice.err());
    assert!(killed_at.elapsed() < Duration::from_secs(5), "ALICE took {:?} to notice", killed_at.elapsed());
    let err = expect_net_err(&alice);
    assert_eq!(err.peer.as_deref(), Some("BOB"), "{err}");
    assert_eq!(err.kind, NetErrorKind::Closed, "{err}");
    assert!(matches!(err.phase, Phase::Round(r) if r > 5), "{err}");
}

/// A party's hello to the dealer, as `run_networked` makes it.
fn party_hello(fx: &Fixture, rank: usize, fingerprint: u8, seed: Option<[u8; 32]>) -> Hello {
    let hello = Hello::party(&fx.names[rank], rank, fx.names.len(), [fingerprint; 32], 16).with_names(&fx.names);
    Hello { seed, insecure_seed: seed.is_some(), ..hello }
}

#[test]
fn the_dealer_keeps_a_proposed_seed_and_refuses_a_party_that_runs_something_else() {
    let fx = Fixture::new("dealer", 2);
    let dealer = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dealer.local_addr().unwrap();
    let dealer_id = fx.identity("DEALER");
    let net = cfg(2_000);
    std::thread::scope(|scope| {
        let server =
            scope.spawn(|| run_dealer(&dealer, &dealer_id, &fx.certs, &net, DealerMode { insecure_seed: true }));
        let alice = party_hello(&fx, 0, 7, Some([1; 32]));
        let (seed, link) = connect_dealer(&fx.identity("ALICE"), "DEALER", addr, &fx.certs, &alice, &net).unwrap();
        assert_eq!(seed, [1; 32]);
        assert!(link.is_some(), "party 0 keeps its link for requests");
        let bob = party_hello(&fx, 1, 9, Some([2; 32]));
        let err = connect_dealer(&fx.identity("BOB"), "DEALER", addr, &fx.certs, &bob, &net).err().unwrap();
        assert_eq!(err.kind, NetErrorKind::PeerFailed, "{err}");
        assert!(err.message.contains("the dealer refused this party: party BOB runs a different program"), "{err}");
        let dealer_err = server.join().unwrap().unwrap_err();
        assert_eq!(dealer_err.kind, NetErrorKind::Mismatch, "{dealer_err}");
        drop(link);
    });
}

#[test]
fn a_dealer_without_insecure_seed_refuses_seeded_parties_and_draws_its_own_seeds() {
    let fx = Fixture::new("dealer-seed", 2);
    let net = cfg(2_000);
    let dealer_id = fx.identity("DEALER");
    // A seeded party and a secure dealer refuse each other, both saying why.
    let dealer = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dealer.local_addr().unwrap();
    std::thread::scope(|scope| {
        let server = scope.spawn(|| run_dealer(&dealer, &dealer_id, &fx.certs, &net, DealerMode::default()));
        let alice = party_hello(&fx, 0, 7, Some([1; 32]));
        let err = connect_dealer(&fx.identity("ALICE"), "DEALER", addr, &fx.certs, &alice, &net).err().unwrap();
        assert_eq!(err.kind, NetErrorKind::Mismatch, "{err}");
        assert!(err.message.contains("with `--insecure-seed`"), "{err}");
        let dealer_err = server.join().unwrap().unwrap_err();
        assert_eq!(dealer_err.kind, NetErrorKind::Mismatch, "{dealer_err}");
        assert!(dealer_err.message.contains("ALICE runs with `--insecure-seed`"), "{dealer_err}");
    });
    // A secure dealer ignores a seed that a secure party sends anyway.
    let dealer = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dealer.local_addr().unwrap();
    std::thread::scope(|scope| {
        let server = scope.spawn(|| run_dealer(&dealer, &dealer_id, &fx.certs, &net, DealerMode::default()));
        let alice = Hello { seed: Some([1; 32]), ..party_hello(&fx, 0, 7, None) };
        let (seed, link) = connect_dealer(&fx.identity("ALICE"), "DEALER", addr, &fx.certs, &alice, &net).unwrap();
        assert_ne!(seed, [1; 32], "the dealer took a seed it was offered");
        let bob = party_hello(&fx, 1, 7, None);
        let (bob_seed, _) = connect_dealer(&fx.identity("BOB"), "DEALER", addr, &fx.certs, &bob, &net).unwrap();
        assert_ne!(seed, bob_seed);
        link.unwrap().handle().bye().unwrap();
        assert_eq!(server.join().unwrap().unwrap().parties, ["ALICE", "BOB"]);
    });
}

#[test]
fn the_dealer_binds_each_rank_to_its_certificate_and_each_rank_comes_once() {
    let fx = Fixture::new("dealer-identity", 3);
    let net = cfg(2_000);
    let dealer_id = fx.identity("DEALER");
    let cases: [(&str, usize, &str); 3] = [
        // BOB, with its own certificate, says it is rank 0 (ALICE) to get party 0's values.
        ("BOB", 0, "rank 0 is ALICE, but the peer says it is ALICE and presented BOB's certificate"),
        // BOB says it is BOB at rank 0.
        ("BOB", 0, "rank 0 is ALICE, but the peer says it is BOB and presented BOB's certificate"),
        // ALICE twice.
        ("ALICE", 0, "rank 0 is already taken by ALICE"),
    ];
    for (i, (cert, rank, expected)) in cases.into_iter().enumerate() {
        let dealer = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = dealer.local_addr().unwrap();
        std::thread::scope(|scope| {
            let server = scope.spawn(|| run_dealer(&dealer, &dealer_id, &fx.certs, &net, DealerMode::default()));
            if i == 2 {
                let alice = party_hello(&fx, 0, 7, None);
                connect_dealer(&fx.identity("ALICE"), "DEALER", addr, &fx.certs, &alice, &net).unwrap();
            }
            let claimed_name = if i == 1 { "BOB" } else { "ALICE" };
            let hello = Hello { name: claimed_name.to_string(), ..party_hello(&fx, rank, 7, None) };
            let err = connect_dealer(&fx.identity(cert), "DEALER", addr, &fx.certs, &hello, &net).err().unwrap();
            assert!(err.message.contains(expected), "case {i}: {err}");
            let dealer_err = server.join().unwrap().unwrap_err();
            assert!(dealer_err.message.contains(expected), "case {i}: {dealer_err}");
            assert_eq!(dealer_err.phase, Phase::Handshake, "case {i}: {dealer_err}");
        });
    }
}

/// In a child that `run_local_network` started through the wrapper script: acts as
/// `mpcc dealer …` or `mpcc run … --party I …`, with a protocol workload standing in for the
/// program (`--crash-rank R` makes party R exit abruptly mid-run).
fn child_cli(args: &str) -> ! {
    let args: Vec<&str> = args.split_whitespace().collect();
    let get = |flag: &str| args.iter().position(|a| *a == flag).and_then(|i| args.get(i + 1)).copied();
    let timeout = Duration::from_secs_f64(get("--timeout").unwrap().parse().unwrap());
    let net = NetConfig { retry_every: Duration::from_millis(20), ..NetConfig::with_timeout(timeout) };
    let (keys, certs) = (std::path::Path::new(get("--keys").unwrap()), std::path::Path::new(get("--certs").unwrap()));
    let code = match args.first().copied() {
        Some("dealer") => {
            let listen = get("--listen").unwrap().parse().unwrap();
            let mode = DealerMode { insecure_seed: true };
            match run_dealer_process(listen, keys, get("--name").unwrap(), certs, &net, mode) {
                Ok(_) => 0,
                Err(e) => {
                    eprintln!("error: {e}");
                    1
                }
            }
        }
        Some("run") => {
            let rank: usize = get("--party").unwrap().parse().unwrap();
            let peers: Vec<SocketAddr> = get("--peers").unwrap().split(',').map(|a| a.parse().unwrap()).collect();
            let names: Vec<String> = NAMES[..peers.len()].iter().map(|s| s.to_string()).collect();
            let crash_rank: Option<usize> = get("--crash-rank").map(|r| r.parse().unwrap());
            let spec = PartySpec {
                rank,
                identity: Identity::load(keys, &names[rank]).unwrap(),
                names,
                peers,
                dealer: get("--dealer").unwrap().parse().unwrap(),
                dealer_name: "DEALER".into(),
                certs: Arc::new(PeerCerts::load_dir(certs).unwrap()),
                fingerprint: [7; 32],
                fixed: FixedPoint::default(),
                seed: Some(5),
                preprocessing: mpcc_runtime::preprocessing::Preprocessing::Dealer,
            };
            let crash = |id: usize, i: u64| {
                if Some(id) == crash_rank && i == 5 {
                    std::process::exit(3);
                }
                Ok(())
            };
            match run_networked(&spec, None, &net, |p: &mut Party| mul_loop(p, 20, &crash)) {
                Ok(report) => {
                    println!("{} revealed {}", spec.names[rank], report.output);
                    0
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    1
                }
            }
        }
        _ => 2,
    };
    std::process::exit(code)
}

#[test]
fn local_network_runs_every_child_and_reports_a_crashed_one() {
    if let Ok(args) = std::env::var(CLI_ENV) {
        child_cli(&args);
    }
    let dir = std::env::temp_dir().join(format!("mpcc-net-localnet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The children are this test binary, standing in for `mpcc` (see `child_cli`).
    let script = dir.join("mpcc.sh");
    let exe = std::env::current_exe().unwrap();
    let body = format!(
        "#!/bin/sh\n{CLI_ENV}=\"$*\" exec '{}' --exact net::local_network_runs_every_child_and_reports_a_crashed_one --test-threads=1 --nocapture\n",
        exe.display()
    );
    std::fs::write(&script, body).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let spec = LocalNetSpec {
        exe: script,
        names: vec!["ALICE".into(), "BOB".into()],
        timeout: Duration::from_secs(5),
        dealer: true,
    };
    // The children's command lines, in the flags `child_cli` reads.
    let args = |crash_rank: Option<usize>| {
        move |child: LocalChild<'_>| -> Vec<std::ffi::OsString> {
            let mut out: Vec<String> = match child {
                LocalChild::Dealer { listen, keys } => {
                    let keys = keys.display().to_string();
                    vec!["dealer".into(), "--listen".into(), listen.to_string(), "--keys".into(), keys.clone()]
                        .into_iter()
                        .chain(["--name".into(), "DEALER".into(), "--certs".into(), keys])
                        .collect()
                }
                LocalChild::Party { rank, peers, dealer, keys } => {
                    let peers: Vec<String> = peers.iter().map(|a| a.to_string()).collect();
                    let keys = keys.display().to_string();
                    let dealer = dealer.map(|d| d.to_string()).unwrap_or_default();
                    vec!["run".into(), "--party".into(), rank.to_string(), "--peers".into(), peers.join(",")]
                        .into_iter()
                        .chain(["--keys".into(), keys.clone(), "--certs".into(), keys, "--dealer".into(), dealer])
                        .collect()
                }
            };
            out.extend(["--timeout".into(), "5".into()]);
            if let Some(r) = crash_rank {
                out.extend(["--crash-rank".into(), r.to_string()]);
            }
            out.into_iter().map(Into::into).collect()
        }
    };
    let start = Instant::now();
    let outcomes = run_local_network(&spec, &args(None)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcomes.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["ALICE", "BOB"]);
    for child in &outcomes {
        // 1.0 squared 20 times is 1.0: 2^16 at 16 fractional bits.
        assert!(child.stdout.contains(&format!("{} revealed 65536", child.name)), "{child:?}");
    }

    let err = run_local_network(&spec, &args(Some(1))).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(8), "took {:?}", start.elapsed());
    let failed: Vec<(&str, Option<i32>)> = err.failed.iter().map(|c| (c.name.as_str(), c.code)).collect();
    assert_eq!(failed, [("ALICE", Some(1)), ("BOB", Some(3)), ("DEALER", Some(1))], "{err}");
    assert!(err.failed[0].stderr.contains("peer BOB"), "{err}");
    assert!(err.to_string().starts_with("the networked run failed (ALICE, BOB, DEALER failed)"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
