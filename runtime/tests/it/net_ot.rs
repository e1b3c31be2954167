//! OT preprocessing over TCP+TLS (`Preprocessing::Ot`, no dealer): two party threads make Beaver
//! triples over their second TLS link, and the shares add up; a party that fails in the middle of
//! the preprocessing stops the other at once (its notice travels on both links), not at the
//! timeout.

use mpcc_runtime::dealer::Request;
use mpcc_runtime::fixed::FixedPoint;
use mpcc_runtime::mpc_error::MpcError;
use mpcc_runtime::net::error::NetErrorKind;
use mpcc_runtime::net::party::{run_networked, NetRunError, PartySpec};
use mpcc_runtime::net::{keygen, Identity, NetConfig, PeerCerts};
use mpcc_runtime::preprocessing::Preprocessing;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Each request's parts, in order.
type Shares = Vec<Vec<Vec<u64>>>;
type Outcome = Result<Shares, NetRunError<MpcError>>;
type Work = dyn Fn(usize, &mut mpcc_runtime::party::Party) -> Result<Shares, MpcError> + Sync;

/// Runs `work(rank, party)` on both parties of a dealer-free networked run.
fn run_pair(tag: &str, timeout: Duration, work: &Work) -> (Vec<Outcome>, Duration) {
    let dir = std::env::temp_dir().join(format!("mpcc-net-ot-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let names: Vec<String> = vec!["ALICE".into(), "BOB".into()];
    for n in &names {
        keygen(n, &dir).unwrap();
    }
    let certs = Arc::new(PeerCerts::load_dir(&dir).unwrap());
    let listeners: Vec<TcpListener> = (0..2).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    let peers: Vec<SocketAddr> = listeners.iter().map(|l| l.local_addr().unwrap()).collect();
    let cfg = NetConfig {
        retry_every: Duration::from_millis(20),
        startup: Duration::from_secs(10),
        ..NetConfig::with_timeout(timeout)
    };
    let start = Instant::now();
    let results = std::thread::scope(|s| {
        let handles: Vec<_> = listeners
            .into_iter()
            .enumerate()
            .map(|(rank, listener)| {
                let spec = PartySpec {
                    rank,
                    names: names.clone(),
                    peers: peers.clone(),
                    dealer: SocketAddr::from(([0, 0, 0, 0], 0)),
                    dealer_name: "DEALER".into(),
                    identity: Identity::load(&dir, &names[rank]).unwrap(),
                    certs: certs.clone(),
                    fingerprint: [3; 32],
                    fixed: FixedPoint::default(),
                    seed: None,
                    preprocessing: Preprocessing::Ot,
                };
                s.spawn(move || run_networked(&spec, Some(listener), &cfg, |p| work(rank, p)).map(|r| r.output))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let _ = std::fs::remove_dir_all(&dir);
    (results, start.elapsed())
}

#[test]
fn triples_made_over_tls_add_up() {
    let (results, _) = run_pair("triples", Duration::from_secs(30), &|_, p| {
        (0..3).map(|_| p.dealer().get(&Request::Triple { n: 5000 }).map_err(MpcError::from)).collect()
    });
    let [Ok(a), Ok(b)] = &results[..] else { panic!("{results:?}") };
    for (sa, sb) in a.iter().zip(b) {
        for i in 0..5000 {
            let sum = |k: usize| sa[k][i].wrapping_add(sb[k][i]);
            assert_eq!(sum(2), sum(0).wrapping_mul(sum(1)));
        }
    }
}

#[test]
fn a_party_failing_during_preprocessing_stops_the_other_at_once() {
    let (results, elapsed) = run_pair("fail", Duration::from_secs(20), &|rank, p| {
        let mut out = Vec::new();
        for i in 0..20 {
            if rank == 1 && i == 2 {
                return Err(MpcError::PartyLost { party: 1 });
            }
            out.push(p.dealer().get(&Request::Triple { n: 2000 })?);
        }
        Ok(out)
    });
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert!(matches!(results[1], Err(NetRunError::Local(MpcError::PartyLost { party: 1 }))), "{:?}", results[1]);
    match &results[0] {
        Err(NetRunError::Net(e)) => {
            assert_eq!(e.kind, NetErrorKind::PeerFailed, "{e}");
            assert!(e.message.contains("BOB stopped"), "{e}");
        }
        other => panic!("ALICE should hear BOB's failure: {other:?}"),
    }
}
