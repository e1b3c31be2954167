//! The dealer as a server process: [`run_dealer`] accepts every party (TLS, hello), hands each
//! its dealer seed, then serves party 0's requests for correlated randomness with the in-process
//! `TrustedDealer` until party 0 says goodbye.
//!
//! The dealer does not need the program: it checks that every party runs the same one (same
//! fingerprint, precision and party count) and refuses a party that differs, telling it why. A
//! party may propose its dealer seed (reproducible runs); otherwise the dealer draws one.

use crate::dealer::TrustedDealer;
use crate::net::dealer_wire::{self, request_tag, BYE_TAG, WELCOME_TAG};
use crate::net::error::{NetError, NetErrorKind, Phase};
use crate::net::handshake::{self, Hello, Role, PROTOCOL_VERSION};
use crate::net::keys::{Identity, PeerCerts};
use crate::net::link::Link;
use crate::net::mesh::accept;
use crate::net::NetConfig;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// What a dealer did in a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealerSummary {
    /// The parties served, by rank.
    pub parties: Vec<String>,
    /// Requests served.
    pub requests: u64,
    /// Ring elements sent to party 0.
    pub elements_sent: u64,
}

fn dealer_hello(me: &Identity, first: Option<&Hello>) -> Hello {
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
    }
}

/// Checks a party's hello against the first one and the certificate it presented.
fn admit(
    theirs: &Hello,
    first: Option<&Hello>,
    cert_name: &str,
    taken: &[Option<(Link, String)>],
) -> Result<(), NetError> {
    let refuse =
        |kind: NetErrorKind, message: String| NetError::new(kind, Phase::Handshake, message).with_peer(cert_name);
    if theirs.role != Role::Party {
        return Err(refuse(NetErrorKind::Mismatch, "a dealer connected to the dealer".to_string()));
    }
    if theirs.name != cert_name {
        return Err(refuse(
            NetErrorKind::Certificate,
            format!("the peer says it is {} but presented {cert_name}'s certificate", theirs.name),
        ));
    }
    if let Some(first) = first {
        handshake::check_same_run(first, theirs, &theirs.name)?;
    } else if theirs.n_parties < 2 {
        return Err(refuse(NetErrorKind::Mismatch, format!("{} parties; a run needs at least 2", theirs.n_parties)));
    }
    let rank = theirs.rank as usize;
    match taken.get(rank) {
        None => {
            Err(refuse(NetErrorKind::Mismatch, format!("rank {rank} is out of range for {} parties", theirs.n_parties)))
        }
        Some(Some((_, name))) => Err(refuse(NetErrorKind::Mismatch, format!("rank {rank} is already taken by {name}"))),
        Some(None) => Ok(()),
    }
}

/// `mpcc dealer`: loads the dealer's key (`keys/NAME.key`, `keys/NAME.crt`) and the parties'
/// certificates (`certs/*.crt`), listens on `listen`, and runs [`run_dealer`].
pub fn run_dealer_process(
    listen: SocketAddr,
    keys: &Path,
    name: &str,
    certs: &Path,
    cfg: &NetConfig,
) -> Result<DealerSummary, NetError> {
    let me = Identity::load(keys, name)?;
    let certs = Arc::new(PeerCerts::load_dir(certs)?);
    let listener =
        TcpListener::bind(listen).map_err(|e| NetError::config(format!("cannot listen on {listen}: {e}")))?;
    run_dealer(&listener, &me, &certs, cfg)
}

/// Runs the dealer on `listener` until party 0 is done. Fails (after telling the parties it can
/// still reach) if a party is refused, does not come within the timeout, or breaks off.
pub fn run_dealer(
    listener: &TcpListener,
    me: &Identity,
    certs: &Arc<PeerCerts>,
    cfg: &NetConfig,
) -> Result<DealerSummary, NetError> {
    let deadline = Instant::now() + cfg.startup;
    let mut first: Option<Hello> = None;
    let mut parties: Vec<Option<(Link, String)>> = Vec::new();
    let mut seeds: Vec<[u8; 32]> = Vec::new();
    let result = (|| {
        while first.is_none() || parties.iter().any(Option::is_none) {
            let missing: Vec<String> =
                parties.iter().enumerate().filter(|(_, p)| p.is_none()).map(|(r, _)| format!("rank {r}")).collect();
            let waiting_for =
                if first.is_none() { "no party".to_string() } else { format!("party {}", missing.join(", ")) };
            let (link, cert_name) = accept(listener, me, certs, deadline, cfg, &waiting_for, &|| None)?;
            let theirs = handshake::exchange(&link, &dealer_hello(me, first.as_ref()))?;
            if first.is_none() {
                parties = (0..theirs.n_parties.min(1024)).map(|_| None).collect();
                seeds = vec![[0; 32]; parties.len()];
            }
            if let Err(e) = admit(&theirs, first.as_ref(), &cert_name, &parties) {
                let e = e.with_addr(link.addr());
                link.abort(&format!("the dealer refused this party: {}", e.message));
                return Err(e);
            }
            let rank = theirs.rank as usize;
            let seed = theirs.seed.unwrap_or_else(rand::random::<[u8; 32]>);
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
    let mut links = parties.into_iter().flatten();
    let Some((link0, _)) = links.next() else {
        return Err(NetError::new(NetErrorKind::Config, Phase::Handshake, "no party connected"));
    };
    for (link, _) in links {
        link.close();
    }
    let served = serve(&link0, &mut TrustedDealer::new(&seeds), cfg);
    match served {
        Ok((requests, elements_sent)) => {
            link0.close();
            Ok(DealerSummary { parties: names, requests, elements_sent })
        }
        Err(e) => {
            link0.abort(&format!("the dealer failed: {e}"));
            Err(e)
        }
    }
}

/// Serves party 0's requests until it says goodbye; returns (requests, elements sent).
fn serve(link: &Link, dealer: &mut TrustedDealer, cfg: &NetConfig) -> Result<(u64, u64), NetError> {
    let max_elements = cfg.max_frame / 8;
    let mut served = 0u64;
    let mut elements = 0u64;
    loop {
        let phase = Phase::Dealer(served + 1);
        let (tag, payload) = link.recv_any(phase)?;
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
        let req = dealer_wire::decode_request(&payload, max_elements).map_err(&fail)?;
        let values = dealer.serve(&req).map_err(|e| fail(e.to_string()))?;
        link.send(tag, &dealer_wire::encode_reply(&values), phase)?;
        served += 1;
        elements += values.len() as u64;
    }
}
