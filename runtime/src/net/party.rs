//! Running one party over the network: [`run_networked`] binds (or takes) the party's listening
//! socket, connects the mesh and the dealer, builds the same `Party` context a simulated run
//! uses (over [`TcpComm`] and a [`RemoteDealer`]), runs the party's work on it, and flushes.
//!
//! On any failure the party tells its peers why (so they stop at once rather than at their
//! timeout) and returns the most precise error it has: the network's detailed [`NetError`]
//! (peer, phase) in preference to the protocol error it caused. No output leaves a failed run.

use crate::comm::{CommStats, CountingComm};
use crate::dealer::{DealerClient, DealerLink, DealerStats};
use crate::fixed::FixedPoint;
use crate::net::dealer_client::connect_dealer;
use crate::net::error::{NetError, NetErrorKind};
use crate::net::handshake::Hello;
use crate::net::keys::{Identity, PeerCerts};
use crate::net::link::PEER_FAILED;
use crate::net::mesh::{connect_mesh, MeshSpec};
use crate::net::tcp_comm::TcpComm;
use crate::net::NetConfig;
use crate::party::{Party, PartySeeds, Seeds};
use crate::preprocessing::{OtPreprocessor, PreprocStats, Preprocessing};
use sha2::{Digest, Sha256};
use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// Who this party is and whom it talks to.
#[derive(Clone, Debug)]
pub struct PartySpec {
    pub rank: usize,
    /// Party names by rank (the program's `parties` line).
    pub names: Vec<String>,
    /// Every party's address by rank (this party listens on its own).
    pub peers: Vec<SocketAddr>,
    /// The dealer's address, and the name of its certificate in `certs` (`DEALER`).
    pub dealer: SocketAddr,
    pub dealer_name: String,
    pub identity: Identity,
    /// The certificates of the other parties and of the dealer.
    pub certs: Arc<PeerCerts>,
    /// `Program::fingerprint` of the program run (all parties must agree).
    pub fingerprint: [u8; 32],
    pub fixed: FixedPoint,
    /// A run seed makes every random choice reproducible and predictable to anyone who knows it:
    /// every party can then compute every other party's masks (`--insecure-seed`, tests and
    /// demonstrations only; the hello says so, and every peer and the dealer must run so too).
    /// `None` draws pairwise seeds from OS entropy and lets the dealer draw the dealer seed.
    pub seed: Option<u64>,
    /// `Ot`: no dealer (`dealer` and `dealer_name` are unused); the two parties open a second
    /// link between them, with the same TLS identities and hello checks, for the OT
    /// preprocessing (`crate::preprocessing`), whose bytes are counted apart.
    pub preprocessing: Preprocessing,
}

/// A party's result and counters after a networked run.
#[derive(Debug)]
pub struct NetReport<T> {
    pub output: T,
    pub comm: CommStats,
    pub dealer: DealerStats,
    /// The OT preprocessing's counters (`Preprocessing::Ot` only).
    pub preprocessing: Option<PreprocStats>,
}

/// Why a networked party failed: the network (detailed), or its own work.
#[derive(Clone, Debug, PartialEq)]
pub enum NetRunError<E> {
    Net(NetError),
    Local(E),
}

impl<E: fmt::Display> fmt::Display for NetRunError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetRunError::Net(e) => write!(f, "{e}"),
            NetRunError::Local(e) => write!(f, "{e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for NetRunError<E> {}

/// This party's seeds and what it hands over: the pairwise seed for each higher rank, and the
/// dealer seed it proposes.
fn initial_seeds(spec: &PartySpec) -> (PartySeeds, Option<[u8; 32]>) {
    let n = spec.names.len();
    match spec.seed {
        Some(run_seed) => {
            let mut all = Seeds::generate(n, Some(run_seed));
            let mine = all.parties.swap_remove(spec.rank.min(n.saturating_sub(1)));
            let dealer = mine.dealer;
            (mine, Some(dealer))
        }
        None => {
            let pairwise = (0..n).map(|_| rand::random::<[u8; 32]>()).collect();
            (PartySeeds { pairwise, dealer: [0; 32], own: rand::random() }, None)
        }
    }
}

/// Connects party `spec.rank` to its peers and the dealer, then runs `work` on its `Party`.
/// `listener`, if given, is the already bound socket for `spec.peers[spec.rank]`.
pub fn run_networked<T, E>(
    spec: &PartySpec,
    listener: Option<TcpListener>,
    cfg: &NetConfig,
    work: impl FnOnce(&mut Party) -> Result<T, E>,
) -> Result<NetReport<T>, NetRunError<E>> {
    let n = spec.names.len();
    let (me, my_addr) = match (spec.names.get(spec.rank), spec.peers.get(spec.rank)) {
        (Some(me), Some(addr)) if n >= 2 && spec.peers.len() == n => (me, *addr),
        _ => {
            return Err(NetRunError::Net(NetError::config(format!(
                "party rank {} with {} addresses for {n} parties: give one address per party, in rank order",
                spec.rank,
                spec.peers.len()
            ))))
        }
    };
    let listener = match listener {
        Some(l) => l,
        None => TcpListener::bind(my_addr)
            .map_err(|e| NetRunError::Net(NetError::config(format!("cannot listen on {my_addr}: {e}"))))?,
    };
    let hello = Hello {
        insecure_seed: spec.seed.is_some(),
        ..Hello::party(me, spec.rank, n, spec.fingerprint, spec.fixed.frac_bits).with_names(&spec.names)
    };
    let (mut seeds, dealer_proposal) = initial_seeds(spec);
    let mesh_spec = MeshSpec {
        me: &spec.identity,
        certs: &spec.certs,
        names: &spec.names,
        addrs: &spec.peers,
        rank: spec.rank,
        hello: hello.clone(),
    };
    let to_send: Vec<Option<[u8; 32]>> =
        seeds.pairwise.iter().enumerate().map(|(p, s)| (p > spec.rank).then_some(*s)).collect();
    let mesh = connect_mesh(&mesh_spec, &listener, &to_send, cfg).map_err(NetRunError::Net)?;
    let ot_comm = if spec.preprocessing == Preprocessing::Ot {
        // A second link for the OT traffic, after the first (the lower rank dials again once its
        // first link is up; the listener's backlog holds the connection until the higher rank
        // accepts it). Its hello carries a derived fingerprint, so the two links cannot be mixed up.
        let fingerprint =
            Sha256::new().chain_update(hello.fingerprint).chain_update(b"ot preprocessing link").finalize();
        let ot_spec = MeshSpec { hello: Hello { fingerprint: fingerprint.into(), ..hello.clone() }, ..mesh_spec };
        match connect_mesh(&ot_spec, &listener, &vec![None; n], cfg) {
            Ok(m) => Some(TcpComm::new(spec.rank, m.links, cfg.timeout)),
            Err(e) => {
                TcpComm::new(spec.rank, mesh.links, cfg.timeout).abort_handle().abort(&format!("{me} stopped: {e}"));
                return Err(NetRunError::Net(e));
            }
        }
    } else {
        None
    };
    drop(listener);
    for (peer, received) in mesh.received_seeds.iter().enumerate() {
        if let (Some(seed), Some(slot)) = (received, seeds.pairwise.get_mut(peer)) {
            *slot = *seed;
        }
    }
    let comm = TcpComm::new(spec.rank, mesh.links, cfg.timeout);
    let abort = comm.abort_handle();
    if let Some(ot_comm) = ot_comm {
        let ot_abort = ot_comm.abort_handle();
        let ot = match OtPreprocessor::new(Box::new(ot_comm), seeds.own) {
            Ok(ot) => ot,
            Err(e) => {
                let notice = format!("{me} stopped: {e}");
                abort.abort(&notice);
                ot_abort.abort(&notice);
                return Err(NetRunError::Net(NetError::config(e.to_string())));
            }
        };
        let client = DealerClient::from_ot(spec.rank, ot);
        let mut party = Party::new(Box::new(CountingComm::new(comm)), &seeds, client, spec.fixed);
        let result = work(&mut party);
        let (comm_stats, dealer_stats) = (party.comm_stats(), party.dealer_stats());
        let preprocessing = party.preprocessing_stats();
        let failure = || abort.failure().or_else(|| ot_abort.failure());
        return match result {
            Ok(output) => {
                drop(party);
                match failure() {
                    Some(e) => Err(NetRunError::Net(e)),
                    None => Ok(NetReport { output, comm: comm_stats, dealer: dealer_stats, preprocessing }),
                }
            }
            Err(local) => {
                let err = match failure() {
                    Some(net) => NetRunError::Net(net),
                    None => NetRunError::Local(local),
                };
                let notice = stop_notice(me, &err);
                abort.abort(&notice);
                ot_abort.abort(&notice);
                drop(party);
                Err(err)
            }
        };
    }
    let dealer_hello = Hello { seed: dealer_proposal, ..hello };
    let connected = connect_dealer(&spec.identity, &spec.dealer_name, spec.dealer, &spec.certs, &dealer_hello, cfg);
    let (dealer_seed, remote) = match connected {
        Ok(pair) => pair,
        Err(e) => {
            abort.abort(&format!("{me} could not reach the dealer: {e}"));
            return Err(NetRunError::Net(e));
        }
    };
    seeds.dealer = dealer_seed;
    let dealer_handle = remote.as_ref().map(|r| r.handle());
    let link = remote.map(|r| Box::new(r) as Box<dyn DealerLink>);
    let client = DealerClient::new(spec.rank, dealer_seed, link);
    let mut party = Party::new(Box::new(CountingComm::new(comm)), &seeds, client, spec.fixed);
    let result = work(&mut party);
    let (comm_stats, dealer_stats) = (party.comm_stats(), party.dealer_stats());
    let network_failure = || abort.failure().or_else(|| dealer_handle.as_ref().and_then(|h| h.failure()));
    match result {
        Ok(output) => {
            // Dropping the party flushes every queued message.
            drop(party);
            if let Some(handle) = &dealer_handle {
                if let Err(e) = handle.bye() {
                    return Err(NetRunError::Net(e));
                }
            }
            match network_failure() {
                Some(e) => Err(NetRunError::Net(e)),
                None => Ok(NetReport { output, comm: comm_stats, dealer: dealer_stats, preprocessing: None }),
            }
        }
        Err(local) => {
            let err = match network_failure() {
                Some(net) => NetRunError::Net(net),
                None => NetRunError::Local(local),
            };
            let notice = stop_notice(me, &err);
            abort.abort(&notice);
            if let Some(handle) = &dealer_handle {
                handle.abort(&notice);
            }
            drop(party);
            Err(err)
        }
    }
}

/// What a failed party tells its peers.
fn stop_notice<E>(me: &str, err: &NetRunError<E>) -> String {
    match err {
        // Pass a peer's notice on as it is, so that every party names the root cause.
        NetRunError::Net(e) if e.kind == NetErrorKind::PeerFailed => {
            e.message.strip_prefix(PEER_FAILED).unwrap_or(&e.message).to_string()
        }
        NetRunError::Net(e) => format!("{me} stopped: {e}"),
        NetRunError::Local(_) => format!("{me} stopped: its computation failed"),
    }
}
