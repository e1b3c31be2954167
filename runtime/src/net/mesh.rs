//! Opening connections: [`dial`] (connect with bounded retries while the peer comes up, then TLS),
//! [`accept`] (wait for one TLS client within a deadline), and [`connect_mesh`], which links every
//! pair of parties once (the lower rank dials the higher one) and runs the hello on each link.
//!
//! Every wait is bounded by the start-up deadline; a failure on any connection fails the whole
//! mesh with an error naming the peer. No round traffic happens here.

use crate::net::error::{seconds, NetError, NetErrorKind, Phase};
use crate::net::handshake::{self, Hello};
use crate::net::keys::{Identity, PeerCerts};
use crate::net::link::Link;
use crate::net::{tls, NetConfig};
use rustls::pki_types::CertificateDer;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Connects to `addr` (retrying every `cfg.retry_every` until `deadline`), then runs TLS as a
/// client that accepts only `expected` as `name`'s certificate.
pub fn dial(
    me: &Identity,
    name: &str,
    addr: SocketAddr,
    expected: &CertificateDer<'static>,
    deadline: Instant,
    cfg: &NetConfig,
    give_up: &dyn Fn() -> Option<NetError>,
) -> Result<Link, NetError> {
    let mut sock = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let attempt = TcpStream::connect_timeout(&addr, left.clamp(Duration::from_millis(1), Duration::from_secs(1)));
        match attempt {
            Ok(sock) => break sock,
            Err(e) => {
                if let Some(reason) = give_up() {
                    return Err(reason);
                }
                if Instant::now() + cfg.retry_every >= deadline {
                    return Err(NetError::new(
                        NetErrorKind::Unreachable,
                        Phase::Connect,
                        format!("could not connect within {} (the start-up timeout): {e}", seconds(cfg.startup)),
                    )
                    .with_peer(name)
                    .with_addr(addr));
                }
                std::thread::sleep(cfg.retry_every);
            }
        }
    };
    let on_peer = |e: NetError| e.with_peer(name).with_addr(addr);
    set_timeouts(&sock, cfg.startup).map_err(on_peer)?;
    let (mut conn, rejection) = tls::client(me, name, expected)?;
    tls::handshake(&mut conn, &mut sock, &rejection, cfg.startup).map_err(on_peer)?;
    Link::new(name, addr, conn, sock, cfg.timeout, cfg.max_frame)
}

fn set_timeouts(sock: &TcpStream, timeout: Duration) -> Result<(), NetError> {
    let io = |e: std::io::Error| NetError::from_io(&e, Phase::Connect, timeout);
    sock.set_nonblocking(false).map_err(io)?;
    sock.set_read_timeout(Some(timeout)).map_err(io)?;
    sock.set_write_timeout(Some(timeout)).map_err(io)?;
    sock.set_nodelay(true).map_err(io)
}

/// Waits (until `deadline`) for one client on `listener`, then runs TLS as a server accepting the
/// certificates in `known`. Returns the link (named after the certificate's file) and the name.
pub fn accept(
    listener: &TcpListener,
    me: &Identity,
    known: &Arc<PeerCerts>,
    deadline: Instant,
    cfg: &NetConfig,
    waiting_for: &str,
    give_up: &dyn Fn() -> Option<NetError>,
) -> Result<(Link, String), NetError> {
    let setup = |e: std::io::Error| NetError::new(NetErrorKind::Io, Phase::Connect, format!("cannot listen: {e}"));
    listener.set_nonblocking(true).map_err(setup)?;
    let (mut sock, addr) = loop {
        match listener.accept() {
            Ok(pair) => break pair,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if let Some(reason) = give_up() {
                    return Err(reason);
                }
                if Instant::now() >= deadline {
                    return Err(NetError::new(
                        NetErrorKind::Unreachable,
                        Phase::Connect,
                        format!("{waiting_for} did not connect within {} (the start-up timeout)", seconds(cfg.startup)),
                    ));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(setup(e)),
        }
    };
    let on_peer = |e: NetError| e.with_addr(addr);
    set_timeouts(&sock, cfg.startup).map_err(on_peer)?;
    let (mut conn, rejection) = tls::server(me, known)?;
    tls::handshake(&mut conn, &mut sock, &rejection, cfg.startup).map_err(on_peer)?;
    let cert = conn.peer_certificates().and_then(|c| c.first()).map(|c| c.as_ref().to_vec());
    let name = cert.as_deref().and_then(|c| known.name_of(c)).unwrap_or("?").to_string();
    let link = Link::new(&name, addr, conn, sock, cfg.timeout, cfg.max_frame)?;
    Ok((link, name))
}

/// What a party needs to join the mesh.
pub struct MeshSpec<'a> {
    pub me: &'a Identity,
    pub certs: &'a Arc<PeerCerts>,
    /// Party names, by rank (the program's `parties` line).
    pub names: &'a [String],
    /// Every party's address, by rank (ours is where `listener` listens).
    pub addrs: &'a [SocketAddr],
    pub rank: usize,
    /// Our hello (its `seed` is ignored: `seeds_to_send` says what to hand each higher rank).
    pub hello: Hello,
}

/// This party's connections: `links[p]` for every peer `p` (none for itself), and the seeds the
/// lower ranks handed over (`None` where they sent none).
pub struct Mesh {
    pub links: Vec<Option<Arc<Link>>>,
    pub received_seeds: Vec<Option<[u8; 32]>>,
}

/// Connects to every other party: accepts the lower ranks on `listener` while dialing the higher
/// ranks, and runs the hello on each link. `seeds_to_send[p]` (for `p` > rank) goes in the hello
/// to `p`. Fails on the first connection that fails.
pub fn connect_mesh(
    spec: &MeshSpec<'_>,
    listener: &TcpListener,
    seeds_to_send: &[Option<[u8; 32]>],
    cfg: &NetConfig,
) -> Result<Mesh, NetError> {
    let n = spec.names.len();
    if spec.addrs.len() != n || spec.rank >= n {
        return Err(NetError::config(format!(
            "{} peer addresses for {n} parties (rank {}): give one address per party, in rank order",
            spec.addrs.len(),
            spec.rank
        )));
    }
    let deadline = Instant::now() + cfg.startup;
    let failed = AtomicBool::new(false);
    let mut accepted: Accepted = Vec::new();
    let mut dialed: Vec<(usize, Link)> = Vec::new();
    let (accept_result, dial_result) = std::thread::scope(|scope| {
        let acceptor = scope.spawn(|| {
            let r = accept_lower(spec, listener, deadline, cfg, &failed, &mut accepted);
            if r.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            r
        });
        let dial_result = dial_higher(spec, seeds_to_send, deadline, cfg, &failed, &mut dialed);
        if dial_result.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
        let accept_result = acceptor
            .join()
            .unwrap_or_else(|_| Err(NetError::new(NetErrorKind::Io, Phase::Connect, "the connection thread panicked")));
        (accept_result, dial_result)
    });
    // Report the root cause (a refusal beats the timeout it caused on the other thread), and tell
    // the peers already connected why this party stops.
    let failure = match (accept_result, dial_result) {
        (Ok(()), Ok(())) => None,
        (Err(a), Err(d)) => Some(if a.kind == NetErrorKind::Unreachable { d } else { a }),
        (Err(e), _) | (_, Err(e)) => Some(e),
    };
    if let Some(e) = failure {
        let me = spec.names.get(spec.rank).map(String::as_str).unwrap_or("?");
        let notice = format!("{me} stopped: {e}");
        accepted
            .iter()
            .map(|(_, link, _)| link)
            .chain(dialed.iter().map(|(_, link)| link))
            .for_each(|l| l.abort(&notice));
        return Err(e);
    }
    let mut links: Vec<Option<Arc<Link>>> = (0..n).map(|_| None).collect();
    let mut received_seeds = vec![None; n];
    // Every rank was checked against `n` in the handshake (`check_identity`).
    for (rank, link, seed) in accepted {
        if let (Some(slot), Some(seed_slot)) = (links.get_mut(rank), received_seeds.get_mut(rank)) {
            *slot = Some(Arc::new(link));
            *seed_slot = seed;
        }
    }
    for (rank, link) in dialed {
        if let Some(slot) = links.get_mut(rank) {
            *slot = Some(Arc::new(link));
        }
    }
    Ok(Mesh { links, received_seeds })
}

type Accepted = Vec<(usize, Link, Option<[u8; 32]>)>;

/// Why to stop waiting for the remaining peers: the other thread failed (its error is reported),
/// or a connected peer gave up (its notice or hang-up is the error).
fn stop_reason<'a>(failed: &AtomicBool, links: impl Iterator<Item = &'a Link>) -> Option<NetError> {
    if failed.load(Ordering::Relaxed) {
        return Some(NetError::new(NetErrorKind::Unreachable, Phase::Connect, "stopped: another connection failed"));
    }
    links.filter_map(Link::poll_gone).next()
}

fn accept_lower(
    spec: &MeshSpec<'_>,
    listener: &TcpListener,
    deadline: Instant,
    cfg: &NetConfig,
    failed: &AtomicBool,
    got: &mut Accepted,
) -> Result<(), NetError> {
    while got.len() < spec.rank {
        let missing: Vec<&str> = (0..spec.rank)
            .filter(|r| !got.iter().any(|(g, ..)| g == r))
            .filter_map(|r| spec.names.get(r).map(String::as_str))
            .collect();
        let waiting_for = format!("party {}", missing.join(", "));
        let give_up = || stop_reason(failed, got.iter().map(|(_, link, _)| link));
        let (link, cert_name) = accept(listener, spec.me, spec.certs, deadline, cfg, &waiting_for, &give_up)?;
        let theirs = handshake::exchange(&link, &Hello { seed: None, ..spec.hello.clone() })?;
        let claimed = theirs.rank as usize;
        let who = spec.names.get(claimed).map(String::as_str).unwrap_or(&cert_name).to_string();
        let at_addr = |e: NetError| {
            link.abort(&format!("the peer refused us: {}", e.message));
            e.with_addr(link.addr())
        };
        handshake::check_same_run(&spec.hello, &theirs, &who).map_err(at_addr)?;
        if claimed >= spec.rank || got.iter().any(|(g, ..)| *g == claimed) {
            return Err(at_addr(NetError::new(
                NetErrorKind::Mismatch,
                Phase::Handshake,
                format!(
                    "{} says it is rank {claimed}, but only ranks below ours ({}) connect to us, once each: check the order of the peer addresses",
                    theirs.name, spec.rank
                ),
            )));
        }
        handshake::check_identity(&theirs, claimed, spec.names, &cert_name).map_err(at_addr)?;
        got.push((claimed, link, theirs.seed));
    }
    Ok(())
}

fn dial_higher(
    spec: &MeshSpec<'_>,
    seeds_to_send: &[Option<[u8; 32]>],
    deadline: Instant,
    cfg: &NetConfig,
    failed: &AtomicBool,
    out: &mut Vec<(usize, Link)>,
) -> Result<(), NetError> {
    for (rank, (name, &addr)) in spec.names.iter().zip(spec.addrs).enumerate().skip(spec.rank + 1) {
        let cert = spec.certs.require(name)?;
        let give_up = || stop_reason(failed, out.iter().map(|(_, link)| link));
        let link = dial(spec.me, name, addr, cert, deadline, cfg, &give_up)?;
        let hello = Hello { seed: seeds_to_send.get(rank).copied().flatten(), ..spec.hello.clone() };
        let theirs = handshake::exchange(&link, &hello)?;
        let at_addr = |e: NetError| {
            link.abort(&format!("the peer refused us: {}", e.message));
            e.with_addr(link.addr())
        };
        handshake::check_same_run(&spec.hello, &theirs, name).map_err(at_addr)?;
        handshake::check_identity(&theirs, rank, spec.names, name).map_err(at_addr)?;
        out.push((rank, link));
    }
    Ok(())
}
