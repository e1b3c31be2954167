//! The dealer as a server process: [`run_dealer`] accepts every party (TLS, hello), hands each
//! its dealer seed, then serves party 0's requests for correlated randomness with the in-process
//! `TrustedDealer` until party 0 says goodbye.
//!
//! The dealer does not need the program: it checks that every party runs the same one (same
//! fingerprint, precision and party count) and refuses a party that differs, telling it why.
//! Each party's rank is bound to its certificate: rank `r` must present the certificate of the
//! `r`-th party name, each rank comes once, and party 0's explicit values go only to the party
//! that proved it is rank 0. The dealer draws every dealer seed, unless it runs in
//! `--insecure-seed` mode, where it takes the seed each party proposes (reproducible runs).

use crate::dealer::TrustedDealer;
use crate::net::dealer_wire::{self, request_tag, BYE_TAG, WELCOME_TAG};
use crate::net::error::{NetError, NetErrorKind, Phase};
use crate::net::handshake::{self, Hello, Role, PROTOCOL_VERSION};
use crate::net::keys::{Identity, PeerCerts};
use crate::net::link::Link;
use crate::net::mesh::Acceptor;
use crate::net::NetConfig;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a dealer did in a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealerSummary {
    /// The parties served, by rank.
    pub parties: Vec<String>,
    /// Requests served.
    pub requests: u64,
    /// Ring elements sent to party 0 (and to party 1: DCF correction words).
    pub elements_sent: u64,
}

fn dealer_hello(me: &Identity, first: Option<&Hello>, insecure_seed: bool) -> Hello {
    Hello {
        magic: *b"mpcc",
        version: PROTOCOL_VERSION,
        role: Role::Dealer,
        name: me.name.clone(),
        rank: 0,
        n_parties: first.map_or(0, |h| h.n_parties),
        fingerprint: first.map_or([0; 32], |h| h.fingerprint),
        frac_bits: first.map_or(0, |h| h.frac_bits),
        seed: None,
        insecure_seed,
        names: Vec::new(),
    }
}

/// Checks a party's hello against the first one and the certificate it presented: it must be a
/// party, run what the first one runs (program, precision, party count, party names, seed mode),
/// claim a free rank, and be the party of that rank by name and by certificate.
fn admit(
    theirs: &Hello,
    first: Option<&Hello>,
    cert_name: &str,
    taken: &[Option<(Link, String)>],
    insecure_seed: bool,
) -> Result<(), NetError> {
    let refuse =
        |kind: NetErrorKind, message: String| NetError::new(kind, Phase::Handshake, message).with_peer(cert_name);
    if theirs.role != Role::Party {
        return Err(refuse(NetErrorKind::Mismatch, "a dealer connected to the dealer".to_string()));
    }
    handshake::check_seed_mode(&Hello { insecure_seed, ..theirs.clone() }, theirs, cert_name)?;
    if let Some(first) = first {
        handshake::check_same_run(first, theirs, cert_name)?;
    } else if theirs.n_parties < 2 || theirs.n_parties > MAX_PARTIES {
        return Err(refuse(
            NetErrorKind::Mismatch,
            format!("{} parties; a run needs at least 2 and at most {MAX_PARTIES}", theirs.n_parties),
        ));
    }
    let names = &theirs.names;
    let distinct = names.iter().enumerate().all(|(i, a)| names.iter().skip(i + 1).all(|b| a != b));
    if names.len() != theirs.n_parties as usize || !distinct {
        return Err(refuse(
            NetErrorKind::Mismatch,
            format!("the hello names {} distinct parties for a run of {}", names.len(), theirs.n_parties),
        ));
    }
    let rank = theirs.rank as usize;
    let Some(expected) = names.get(rank) else {
        return Err(refuse(
            NetErrorKind::Mismatch,
            format!("rank {rank} is out of range for {} parties", theirs.n_parties),
        ));
    };
    if theirs.name != *expected || cert_name != expected {
        return Err(refuse(
            NetErrorKind::Certificate,
            format!(
                "rank {rank} is {expected}, but the peer says it is {} and presented {cert_name}'s certificate",
                theirs.name
            ),
        ));
    }
    match taken.get(rank) {
        Some(Some((_, name))) => Err(refuse(NetErrorKind::Mismatch, format!("rank {rank} is already taken by {name}"))),
        _ => Ok(()),
    }
}

/// How much longer than `--timeout` the dealer waits for party 0's next request.
const REQUEST_GRACE: Duration = Duration::from_secs(2);

/// The most parties a dealer serves.
const MAX_PARTIES: u32 = 1024;

/// How `mpcc dealer` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DealerMode {
    /// `--insecure-seed`: take the dealer seed each party proposes (derived from its `--seed`),
    /// so that a run is reproducible; and refuse parties that do not run so. Without it, the
    /// dealer draws every party's seed and refuses parties that run with `--insecure-seed`.
    pub insecure_seed: bool,
}

/// `mpcc dealer`: loads the dealer's key (`keys/NAME.key`, `keys/NAME.crt`) and the parties'
/// certificates (`certs/*.crt`), listens on `listen`, and runs [`run_dealer`].
pub fn run_dealer_process(
    listen: SocketAddr,
    keys: &Path,
    name: &str,
    certs: &Path,
    cfg: &NetConfig,
    mode: DealerMode,
) -> Result<DealerSummary, NetError> {
    let me = Identity::load(keys, name)?;
    let certs = Arc::new(PeerCerts::load_dir(certs)?);
    let listener =
        TcpListener::bind(listen).map_err(|e| NetError::config(format!("cannot listen on {listen}: {e}")))?;
    run_dealer(&listener, &me, &certs, cfg, mode)
}

/// Runs the dealer on `listener` until party 0 is done. Connections that fail TLS are logged and
/// dropped; a party that proved who it is but is refused (another program, a rank that is not
/// its own), a party that does not come within the timeout, or one that breaks off, fails the
/// dealer (after it told the parties it can still reach).
pub fn run_dealer(
    listener: &TcpListener,
    me: &Identity,
    certs: &Arc<PeerCerts>,
    cfg: &NetConfig,
    mode: DealerMode,
) -> Result<DealerSummary, NetError> {
    let deadline = Instant::now() + cfg.startup;
    let mut first: Option<Hello> = None;
    let mut parties: Vec<Option<(Link, String)>> = Vec::new();
    let mut seeds: Vec<[u8; 32]> = Vec::new();
    let result = (|| {
        let mut acceptor = Acceptor::new(listener, me, certs, cfg, "the dealer")?;
        while first.is_none() || parties.iter().any(Option::is_none) {
            let names = first.as_ref().map(|h| h.names.clone()).unwrap_or_default();
            let missing: Vec<String> = parties
                .iter()
                .enumerate()
                .filter(|(_, p)| p.is_none())
                .map(|(r, _)| names.get(r).cloned().unwrap_or_else(|| format!("rank {r}")))
                .collect();
            let waiting_for =
                if first.is_none() { "the first party".to_string() } else { format!("party {}", missing.join(", ")) };
            let (link, cert_name) = acceptor.next(deadline, &waiting_for, &|| None)?;
            let theirs = handshake::exchange(&link, &dealer_hello(me, first.as_ref(), mode.insecure_seed))?;
            if let Err(e) = admit(&theirs, first.as_ref(), &cert_name, &parties, mode.insecure_seed) {
                let e = e.with_addr(link.addr());
                link.abort(&format!("the dealer refused this party: {}", e.message));
                return Err(e);
            }
            if first.is_none() {
                parties = (0..theirs.n_parties).map(|_| None).collect();
                seeds = vec![[0; 32]; parties.len()];
            }
            let rank = theirs.rank as usize;
            // Only in `--insecure-seed` mode does a party choose its dealer seed.
            let seed = match (mode.insecure_seed, theirs.seed) {
                (true, Some(proposed)) => proposed,
                _ => rand::random::<[u8; 32]>(),
            };
            link.send(WELCOME_TAG, &seed, Phase::Handshake)?;
            if let (Some(slot), Some(s)) = (parties.get_mut(rank), seeds.get_mut(rank)) {
                *slot = Some((link, theirs.name.clone()));
                *s = seed;
            }
            if first.is_none() {
                first = Some(theirs);
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (link, _) in parties.iter().flatten() {
            link.abort(&format!("the dealer failed: {e}"));
        }
        return Err(e);
    }
    let names: Vec<String> = parties.iter().flatten().map(|(_, name)| name.clone()).collect();
    let two_parties = parties.len() == 2;
    let mut links = parties.into_iter();
    // Rank 0's explicit values go to the party that proved it is rank 0, and to no one else;
    // in a 2-party run, the DCF correction words also go to the party that proved it is rank 1.
    let Some(Some((link0, _))) = links.next() else {
        return Err(NetError::new(NetErrorKind::Config, Phase::Handshake, "no party connected"));
    };
    let link1 = if two_parties { links.next().flatten().map(|(link, _)| link) } else { None };
    for (link, _) in links.flatten() {
        link.close();
    }
    let served = serve(&link0, link1.as_ref(), &mut TrustedDealer::new(&seeds), cfg);
    match served {
        Ok((requests, elements_sent)) => {
            link0.close();
            if let Some(link1) = &link1 {
                link1.close();
            }
            Ok(DealerSummary { parties: names, requests, elements_sent })
        }
        Err(e) => {
            link0.abort(&format!("the dealer failed: {e}"));
            if let Some(link1) = &link1 {
                link1.abort(&format!("the dealer failed: {e}"));
            }
            Err(e)
        }
    }
}

/// Serves party 0's requests until it says goodbye, pushing party 1's explicit values (DCF
/// correction words) on `link1`; returns (requests, elements sent).
fn serve(
    link: &Link,
    link1: Option<&Link>,
    dealer: &mut TrustedDealer,
    cfg: &NetConfig,
) -> Result<(u64, u64), NetError> {
    let limits = dealer_wire::Limits::for_frame(cfg.max_frame);
    let mut served = 0u64;
    let mut pushed = 0u64;
    let mut elements = 0u64;
    loop {
        let phase = Phase::Dealer(served + 1);
        // Party 0 may be waiting the timeout for a stalled peer: wait a little longer, so that its
        // notice (naming the peer) ends the dealer rather than a timeout of its own.
        let (tag, payload) = link.recv_any_within(phase, dealer_wire::MAX_REQUEST_BYTES, REQUEST_GRACE)?;
        if tag == BYE_TAG {
            return Ok((served, elements));
        }
        let fail = |message: String| {
            link.send(tag, &dealer_wire::encode_refusal(&message), phase).ok();
            NetError::new(NetErrorKind::Malformed, phase, message).with_peer(link.peer()).with_addr(link.addr())
        };
        if tag != request_tag(served + 1) {
            return Err(fail(format!("out of step: expected request {}, got message {tag}", served + 1)));
        }
        let req = dealer_wire::decode_request(&payload, &limits).map_err(|e| fail(e.to_string()))?;
        let for_party1 = req.explicit_len_for(1).map_err(|e| fail(e.to_string()))? > 0;
        let (values, values1) = match dealer.serve_all(&req) {
            Ok(v) => v,
            Err(e) => {
                if let (true, Some(link1)) = (for_party1, link1) {
                    link1.send(request_tag(pushed + 1), &dealer_wire::encode_refusal(&e.to_string()), phase).ok();
                }
                return Err(fail(e.to_string()));
            }
        };
        if for_party1 {
            let Some(link1) = link1 else {
                return Err(fail("DCF keys are for 2-party runs, where party 1 keeps its dealer link".to_string()));
            };
            pushed += 1;
            link1.send(request_tag(pushed), &dealer_wire::encode_reply(&values1), phase)?;
        }
        link.send(tag, &dealer_wire::encode_reply(&values), phase)?;
        served += 1;
        elements += (values.len() + values1.len()) as u64;
    }
}
