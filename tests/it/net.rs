//! Networked runs of compiled programs: every party (threads here, one `run_party` each) and the
//! dealer (`run_dealer_process`) over loopback TCP with TLS, checked against the simulated engine
//! bit for bit under the same seed; and the handshake refusing a party that compiled the program
//! with other parameters. Bounded by a short `--timeout`.

use mpcc_compiler::{compile, CompileOptions};
use mpcc_runtime::error::RunError;
use mpcc_runtime::exec::mpc::run_mpc;
use mpcc_runtime::exec::{Event, RunConfig, VecSink};
use mpcc_runtime::net::dealer_server::{run_dealer_process, DealerMode};
use mpcc_runtime::net::local::free_ports;
use mpcc_runtime::net::program::{run_party, NetPartyOptions};
use mpcc_runtime::net::{keygen, NetConfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn compile_program(rel: &str, params: &[(&str, &str)]) -> mpcc_ir::Program {
    let src = std::fs::read_to_string(root().join("programs").join(rel)).unwrap();
    compile_source(rel, &src, params)
}

fn compile_source(what: &str, src: &str, params: &[(&str, &str)]) -> mpcc_ir::Program {
    let params = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let compiled = compile(src, &CompileOptions { params });
    match compiled.program {
        Some(program) => program,
        None => panic!("{what} does not compile: {:#?}", compiled.diagnostics),
    }
}

/// Keys for `names` and the dealer in a fresh folder.
fn keys(tag: &str, names: &[String]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpcc-it-net-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for name in names.iter().map(String::as_str).chain(["DEALER"]) {
        keygen(name, &dir).unwrap();
    }
    dir
}

/// Runs each party's `program` (one per party: they may differ) over the network with the
/// dealer; returns each party's events and result.
fn run_network(
    programs: &[mpcc_ir::Program],
    keys: &Path,
    cfg: &RunConfig,
    timeout: Duration,
) -> Vec<(Vec<Event>, Result<(), RunError>)> {
    run_network_with(programs, keys, &vec![cfg.clone(); programs.len()], timeout)
}

/// As `run_network`, party `r` running with `cfgs[r]`.
fn run_network_with(
    programs: &[mpcc_ir::Program],
    keys: &Path,
    cfgs: &[RunConfig],
    timeout: Duration,
) -> Vec<(Vec<Event>, Result<(), RunError>)> {
    let cfg = &cfgs[0];
    let n = programs.len();
    let addrs = free_ports(n + 1).unwrap();
    let (peers, dealer) = (addrs[..n].to_vec(), addrs[n]);
    let net = NetConfig { retry_every: Duration::from_millis(20), ..NetConfig::with_timeout(timeout) };
    std::thread::scope(|scope| {
        let mode = DealerMode { insecure_seed: cfg.seed.is_some() };
        let dealer_thread = scope.spawn(move || run_dealer_process(dealer, keys, "DEALER", keys, &net, mode));
        let parties: Vec<_> = programs
            .iter()
            .enumerate()
            .map(|(rank, program)| {
                let mut opts = NetPartyOptions::new(rank, peers.clone(), dealer, keys.into(), keys.into());
                opts.net = net;
                opts.insecure_seed = cfg.seed.is_some();
                let cfg = &cfgs[rank];
                scope.spawn(move || {
                    let mut sink = VecSink::default();
                    let result = run_party(program, &opts, cfg, &mut sink).map(|_| ());
                    (sink.events, result)
                })
            })
            .collect();
        let out = parties.into_iter().map(|h| h.join().unwrap()).collect();
        let _ = dealer_thread.join().unwrap();
        out
    })
}

#[test]
fn basics_over_tls_matches_the_simulated_engine_for_2_and_3_parties() {
    let program = compile_program("basics.mpc", &[]);
    for n in [2, 3] {
        let cfg = RunConfig { data_dirs: vec![root().join("programs"); n], seed: Some(11), ..RunConfig::default() };
        let mut simulated = VecSink::default();
        run_mpc(&program, n, &cfg, &mut simulated).unwrap();
        let names: Vec<String> = (0..n).map(|r| program.party_name(mpcc_ir::PartyId(r as u32))).collect();
        let dir = keys(&format!("basics{n}"), &names);
        let programs = vec![program.clone(); n];
        let results = run_network(&programs, &dir, &cfg, Duration::from_secs(20));
        let _ = std::fs::remove_dir_all(&dir);
        let prints = |events: &[Event]| -> Vec<Event> {
            events.iter().filter(|e| matches!(e, Event::Print { .. })).cloned().collect()
        };
        let outputs_of = |events: &[Event], who: &str| -> Vec<Event> {
            events.iter().filter(|e| matches!(e, Event::Output { party, .. } if party == who)).cloned().collect()
        };
        for (rank, (events, result)) in results.iter().enumerate() {
            if let Err(e) = result {
                panic!("{n} parties, party {rank}: {e}");
            }
            assert_eq!(
                outputs_of(events, &names[rank]),
                outputs_of(&simulated.events, &names[rank]),
                "{n} parties, party {rank}"
            );
        }
        let party0 = &results[0].0;
        assert!(!prints(party0).is_empty());
        assert_eq!(prints(party0), prints(&simulated.events), "{n} parties: the printed values differ");
    }
}

#[test]
fn a_party_that_compiled_other_parameters_is_refused() {
    let names = vec!["ALICE".to_string(), "BOB".to_string()];
    let dir = keys("params", &names);
    let programs = vec![compile_program("svm.mpc", &[("epochs", "1")]), compile_program("svm.mpc", &[("epochs", "2")])];
    let cfg = RunConfig { data_dirs: vec![root().join("programs"); 2], seed: Some(1), ..RunConfig::default() };
    let results = run_network(&programs, &dir, &cfg, Duration::from_secs(1));
    let _ = std::fs::remove_dir_all(&dir);
    let alice = results[0].1.as_ref().unwrap_err().to_string();
    assert!(alice.starts_with("[party ALICE] peer BOB"), "{alice}");
    assert!(alice.contains("handshake: party BOB runs a different program (fingerprint "), "{alice}");
    let bob = results[1].1.as_ref().unwrap_err().to_string();
    assert!(bob.contains("party ALICE runs a different program"), "{bob}");
    assert!(results.iter().all(|(events, _)| events.is_empty()));
}

/// A program whose public 1000-element literal has `x` as its 500th element.
fn literal_program(x: &str) -> mpcc_ir::Program {
    let elements: Vec<String> = (0..1000).map(|i| if i == 499 { x.to_string() } else { format!("{i}.0") }).collect();
    let src = format!(
        "parties ALICE, BOB;\nlet w = [{}];\nlet s = private(src=ALICE, sum(w));\nprint(reveal(s));\n",
        elements.join(", ")
    );
    compile_source("the literal program", &src, &[])
}

#[test]
fn parties_that_compare_differently_are_refused() {
    use mpcc_runtime::protocols::compare::CompareMode;
    let program = compile_program("basics.mpc", &[]);
    let names = vec!["ALICE".to_string(), "BOB".to_string()];
    let dir = keys("compare", &names);
    let base = RunConfig { data_dirs: vec![root().join("programs"); 2], seed: Some(3), ..RunConfig::default() };
    let cfgs = [
        RunConfig { compare: Some(CompareMode::Fss), ..base.clone() },
        RunConfig { compare: Some(CompareMode::Tree), ..base },
    ];
    let results = run_network_with(&[program.clone(), program.clone()], &dir, &cfgs, Duration::from_secs(1));
    let alice = results[0].1.as_ref().unwrap_err().to_string();
    assert!(alice.contains("runs a different program") && alice.contains("`--compare`"), "{alice}");
    assert!(results.iter().all(|(events, _)| events.is_empty()));
    // So are parties of which one merges rounds and the other does not (`--no-merge`).
    let base = RunConfig { data_dirs: vec![root().join("programs"); 2], seed: Some(3), ..RunConfig::default() };
    let cfgs = [base.clone(), RunConfig { merge_rounds: false, ..base }];
    let results = run_network_with(&[program.clone(), program], &dir, &cfgs, Duration::from_secs(1));
    let _ = std::fs::remove_dir_all(&dir);
    let alice = results[0].1.as_ref().unwrap_err().to_string();
    assert!(alice.contains("runs a different program") && alice.contains("`--no-merge`"), "{alice}");
    assert!(results.iter().all(|(events, _)| events.is_empty()));
}

#[test]
fn a_party_whose_literal_differs_deep_inside_is_refused() {
    let (a, b) = (literal_program("499.25"), literal_program("499.5"));
    assert_eq!(
        mpcc_ir::print_program(&a, false),
        mpcc_ir::print_program(&b, false),
        "the printed IR elides the literal"
    );
    let names = vec!["ALICE".to_string(), "BOB".to_string()];
    let dir = keys("literal", &names);
    let cfg = RunConfig { data_dirs: vec![root().join("programs"); 2], seed: Some(3), ..RunConfig::default() };
    let results = run_network(&[a, b], &dir, &cfg, Duration::from_secs(1));
    let _ = std::fs::remove_dir_all(&dir);
    let alice = results[0].1.as_ref().unwrap_err().to_string();
    assert!(alice.starts_with("[party ALICE] peer BOB"), "{alice}");
    assert!(alice.contains("handshake: party BOB runs a different program (fingerprint "), "{alice}");
    assert!(alice.contains("compile the same file with the same parameters"), "{alice}");
    let bob = results[1].1.as_ref().unwrap_err().to_string();
    assert!(bob.contains("party ALICE runs a different program"), "{bob}");
    assert!(results.iter().all(|(events, _)| events.is_empty()));
}
