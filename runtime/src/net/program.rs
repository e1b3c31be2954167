//! `mpcc run prog.mpc --party I --peers … --dealer …` and `mpcc dealer …`: one party of a
//! compiled program over the network ([`run_party`]), on top of `run_networked` and the MPC
//! executor's per-party entry point (`exec::mpc::run_party`).
//!
//! The party's events (`print`, `output`) are delivered to the sink after its part of the run,
//! as a simulated run delivers them; a failed run delivers what ran before the failure and then
//! returns the error. Network failures become `RunError`s naming this party, the peer and the
//! phase. This file parses no command line and prints nothing.

use crate::error::{ErrorKind, RunError};
use crate::exec::mpc::{run_party as run_executor, PartyReport};
use crate::exec::{Event, RunConfig, Sink};
use crate::net::error::NetError;
use crate::net::handshake::PROTOCOL_VERSION;
use crate::net::keys::{Identity, PeerCerts};
use crate::net::party::{run_networked, NetRunError, PartySpec};
use crate::net::NetConfig;
use crate::preprocessing::Preprocessing;
use mpcc_ir::{PartyId, Program, RunContext};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Where one networked party finds its peers, its key and the certificates it trusts.
#[derive(Clone, Debug)]
pub struct NetPartyOptions {
    /// This party's rank (`--party I`).
    pub rank: usize,
    /// Every party's address by rank (`--peers h0:p0,h1:p1,…`); this party listens on its own.
    pub peers: Vec<SocketAddr>,
    /// The dealer's address (`--dealer h:p`).
    pub dealer: SocketAddr,
    /// The folder holding this party's `NAME.key` and `NAME.crt` (`--keys`).
    pub keys: PathBuf,
    /// The folder of trusted certificates, one `NAME.crt` per party and the dealer's (`--certs`).
    pub certs: PathBuf,
    /// The dealer's certificate name (default `DEALER`).
    pub dealer_name: String,
    pub net: NetConfig,
    /// `--insecure-seed`: allow the run configuration's `seed`, from which every pairwise and
    /// dealer seed is derived (so anyone who knows it can compute every party's masks).
    pub insecure_seed: bool,
}

impl NetPartyOptions {
    pub fn new(
        rank: usize,
        peers: Vec<SocketAddr>,
        dealer: SocketAddr,
        keys: PathBuf,
        certs: PathBuf,
    ) -> NetPartyOptions {
        NetPartyOptions {
            rank,
            peers,
            dealer,
            keys,
            certs,
            dealer_name: "DEALER".to_string(),
            net: NetConfig::default(),
            insecure_seed: false,
        }
    }
}

/// A network error as a run error of party `name`.
pub fn net_run_error(err: NetError, name: &str) -> RunError {
    let kind = match err.kind {
        crate::net::NetErrorKind::Config => ErrorKind::Config,
        _ => ErrorKind::Io,
    };
    RunError::new(kind, err.to_string()).with_party(name)
}

/// Runs party `opts.rank` of `program` over the network; `cfg` is the same run configuration a
/// simulated run takes (precision, seed, data folders). Every party must run the same program
/// with the same precision, which the handshake checks.
pub fn run_party(
    program: &Program,
    opts: &NetPartyOptions,
    cfg: &RunConfig,
    sink: &mut dyn Sink,
) -> Result<PartyReport, RunError> {
    let n = opts.peers.len();
    if cfg.seed.is_some() && !opts.insecure_seed {
        return Err(RunError::new(
            ErrorKind::Config,
            "a networked party refuses a run seed: every party could compute every other party's masks from it (allow it, for tests only, with `--insecure-seed`)",
        ));
    }
    let names: Vec<String> = (0..n).map(|r| program.party_name(PartyId(r as u32))).collect();
    let me = names.get(opts.rank).cloned().ok_or_else(|| {
        RunError::new(
            ErrorKind::Config,
            format!("--party {} but only {n} peer addresses: give one address per party, in rank order", opts.rank),
        )
    })?;
    let fixed = crate::exec::fixed_point(cfg)?;
    // The comparison protocol is part of what every party must agree on: it enters the
    // fingerprint through the protocol version (odd with the DCF), so a party that compares
    // differently is refused at the handshake.
    let fss = crate::exec::compare_mode(cfg, n)? == crate::protocols::compare::CompareMode::Fss;
    let protocol_version = PROTOCOL_VERSION * 2 + u32::from(fss);
    let context = RunContext { protocol_version, frac_bits: fixed.frac_bits, n_parties: n as u64 };
    let mut fingerprint = program.fingerprint(&context).map_err(|e| {
        RunError::new(ErrorKind::Internal, format!("cannot encode the program for its fingerprint: {e}"))
            .with_party(&me)
    })?;
    if !cfg.merge_rounds {
        // Merged rounds, folded truncations and kept masks change every message: a party that
        // runs `--no-merge` must meet only parties that do.
        use sha2::Digest;
        fingerprint = sha2::Sha256::new().chain_update(fingerprint).chain_update(b"merge=off").finalize().into();
    } else if cfg.dealer_folds.is_some_and(|on| on != fss) {
        // So do the dealer-byte folds (their dealer requests and openings), when not the mode's own.
        use sha2::Digest;
        let tag: &[u8] = if fss { b"dealer-folds=off" } else { b"dealer-folds=on" };
        fingerprint = sha2::Sha256::new().chain_update(fingerprint).chain_update(tag).finalize().into();
    }
    let ot = cfg.preprocessing == Preprocessing::Ot;
    if ot {
        if n != 2 {
            return Err(RunError::new(
                ErrorKind::Config,
                format!("`--preprocessing ot` runs between exactly 2 parties, not {n}: use the dealer for more"),
            )
            .with_party(&me));
        }
        // Both parties must run without a dealer: the mode is part of what the hello compares.
        use sha2::Digest;
        fingerprint = sha2::Sha256::new().chain_update(fingerprint).chain_update(b"preprocessing=ot").finalize().into();
    }
    let as_run_error = |e: NetError| net_run_error(e, &me);
    let identity = Identity::load(&opts.keys, &me).map_err(as_run_error)?;
    let certs = Arc::new(PeerCerts::load_dir(&opts.certs).map_err(as_run_error)?);
    let dealer_name = (!ot).then_some(&opts.dealer_name);
    for name in names.iter().chain(dealer_name) {
        if name != &me {
            certs.require(name).map_err(as_run_error)?;
        }
    }
    let spec = PartySpec {
        rank: opts.rank,
        names,
        peers: opts.peers.clone(),
        dealer: opts.dealer,
        dealer_name: opts.dealer_name.clone(),
        identity,
        certs,
        fingerprint,
        fixed,
        seed: cfg.seed,
        preprocessing: cfg.preprocessing,
    };
    let mut events: Vec<Event> = Vec::new();
    let result = run_networked(&spec, None, &opts.net, |party| {
        let mut buffer = crate::exec::VecSink::default();
        let report = run_executor(program, party, cfg, &mut buffer);
        events = buffer.events;
        report
    });
    for event in events {
        sink.event(event);
    }
    match result {
        Ok(report) => Ok(report.output),
        Err(NetRunError::Net(e)) => Err(as_run_error(e)),
        Err(NetRunError::Local(e)) => Err(e),
    }
}
