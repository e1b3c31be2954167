//! Opening connections: [`dial`] (connect with bounded retries while the peer comes up, then TLS),
//! [`Acceptor`] (incoming TLS handshakes, each on its own thread with its own deadline), and
//! [`connect_mesh`], which links every pair of parties once (the lower rank dials the higher one)
//! and runs the hello on each link.
//!
//! Every wait is bounded by the start-up deadline. An incoming connection that fails TLS (a
//! stranger) is logged and dropped; any other failure (a peer we dialed, or one that proved who
//! it is and then differs) fails the whole mesh with an error naming the peer. No round traffic
//! happens here.

use crate::net::error::{seconds, NetError, NetErrorKind, Phase};
use crate::net::handshake::{self, Hello};
use crate::net::keys::{Identity, PeerCerts};
use crate::net::link::Link;
use crate::net::{tls, NetConfig};
use rustls::pki_types::CertificateDer;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
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
    set_timeouts(&sock, cfg.timeout).map_err(on_peer)?;
    let (mut conn, rejection) = tls::client(me, name, expected)?;
    let own_deadline = (Instant::now() + cfg.timeout).min(deadline.max(Instant::now() + Duration::from_millis(100)));
    tls::handshake(&mut conn, &mut sock, &rejection, own_deadline).map_err(on_peer)?;
    Link::new(name, addr, conn, sock, cfg.timeout, cfg.max_frame)
}

fn set_timeouts(sock: &TcpStream, timeout: Duration) -> Result<(), NetError> {
    let io = |e: std::io::Error| NetError::from_io(&e, Phase::Connect, timeout);
    sock.set_nonblocking(false).map_err(io)?;
    sock.set_read_timeout(Some(timeout)).map_err(io)?;
    sock.set_write_timeout(Some(timeout)).map_err(io)?;
    sock.set_nodelay(true).map_err(io)
}

/// At most this many incoming TLS handshakes run at once; further connections wait in the
/// listener's backlog.
const MAX_HANDSHAKES: usize = 32;

type Handshaken = Result<(Link, String), (SocketAddr, NetError)>;

/// Incoming connections, each running its TLS handshake on a thread of its own within a deadline
/// of its own (`--timeout`), so that a port scan, junk bytes or a silent connection delays nobody.
/// A connection whose TLS handshake fails (no certificate of the folder, not TLS, too slow) is
/// logged on stderr with its address and dropped; the wait goes on for the peers that can prove
/// who they are.
pub struct Acceptor<'a> {
    listener: &'a TcpListener,
    me: &'a Identity,
    known: &'a Arc<PeerCerts>,
    cfg: NetConfig,
    /// Who accepts, for the log (`ALICE`, `the dealer`).
    who: String,
    done_tx: Sender<Handshaken>,
    done_rx: Receiver<Handshaken>,
    running: Arc<AtomicUsize>,
    /// Connections ignored so far, and the last one's error (for the timeout's message).
    ignored: usize,
    last_ignored: Option<NetError>,
}

impl<'a> Acceptor<'a> {
    pub fn new(
        listener: &'a TcpListener,
        me: &'a Identity,
        known: &'a Arc<PeerCerts>,
        cfg: &NetConfig,
        who: &str,
    ) -> Result<Acceptor<'a>, NetError> {
        listener
            .set_nonblocking(true)
            .map_err(|e| NetError::new(NetErrorKind::Io, Phase::Connect, format!("cannot listen: {e}")))?;
        let (done_tx, done_rx) = channel();
        Ok(Acceptor {
            listener,
            me,
            known,
            cfg: *cfg,
            who: who.to_string(),
            done_tx,
            done_rx,
            running: Arc::new(AtomicUsize::new(0)),
            ignored: 0,
            last_ignored: None,
        })
    }

    fn log(&self, err: &NetError) {
        eprintln!("warning: {} ignored a connection: {err}", self.who);
    }

    fn ignore(&mut self, err: NetError) {
        self.log(&err);
        self.ignored += 1;
        self.last_ignored = Some(err);
    }

    /// Starts the TLS handshake of one incoming connection on its own thread.
    fn start(&self, sock: TcpStream, addr: SocketAddr, deadline: Instant) {
        let (conn, rejection) = match tls::server(self.me, self.known) {
            Ok(pair) => pair,
            Err(e) => return self.log(&e.with_addr(addr)),
        };
        let (tx, known, cfg, running) = (self.done_tx.clone(), self.known.clone(), self.cfg, self.running.clone());
        running.fetch_add(1, Ordering::SeqCst);
        let spawned = std::thread::Builder::new().name("mpcc-accept".into()).spawn(move || {
            let result = handshake_incoming(sock, addr, conn, &rejection, &known, deadline, &cfg);
            running.fetch_sub(1, Ordering::SeqCst);
            let _ = tx.send(result.map_err(|e| (addr, e.with_addr(addr))));
        });
        if let Err(e) = spawned {
            self.running.fetch_sub(1, Ordering::SeqCst);
            self.log(
                &NetError::new(NetErrorKind::Io, Phase::Connect, format!("cannot start a thread: {e}")).with_addr(addr),
            );
        }
    }

    /// The next connection whose TLS handshake succeeded (its link, named after its certificate,
    /// and the name), waiting until `deadline`; `waiting_for` names who is missing in the timeout
    /// message, and `give_up` may end the wait early.
    pub fn next(
        &mut self,
        deadline: Instant,
        waiting_for: &str,
        give_up: &dyn Fn() -> Option<NetError>,
    ) -> Result<(Link, String), NetError> {
        loop {
            while self.running.load(Ordering::SeqCst) < MAX_HANDSHAKES {
                match self.listener.accept() {
                    Ok((sock, addr)) => {
                        let own_deadline = (Instant::now() + self.cfg.timeout).min(deadline);
                        self.start(sock, addr, own_deadline);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        // A connection reset before it was accepted, or no file descriptor left:
                        // nothing to do with the peers we wait for.
                        self.log(&NetError::new(NetErrorKind::Io, Phase::Connect, format!("accept failed: {e}")));
                        break;
                    }
                }
            }
            match self.done_rx.recv_timeout(Duration::from_millis(10)) {
                Ok(Ok(pair)) => return Ok(pair),
                Ok(Err((_, e))) => self.ignore(e),
                Err(_) => {}
            }
            if let Some(reason) = give_up() {
                return Err(reason);
            }
            if Instant::now() >= deadline {
                let mut message = format!(
                    "{waiting_for} did not connect within {} (the start-up timeout)",
                    seconds(self.cfg.startup)
                );
                if let Some(last) = &self.last_ignored {
                    message +=
                        &format!("; {} connection(s) failed their TLS handshake, the last: {last}", self.ignored);
                }
                return Err(NetError::new(NetErrorKind::Unreachable, Phase::Connect, message));
            }
        }
    }
}

/// One incoming connection's TLS handshake (on its own thread).
fn handshake_incoming(
    mut sock: TcpStream,
    addr: SocketAddr,
    mut conn: rustls::Connection,
    rejection: &tls::Rejection,
    known: &PeerCerts,
    deadline: Instant,
    cfg: &NetConfig,
) -> Result<(Link, String), NetError> {
    set_timeouts(&sock, cfg.timeout)?;
    tls::handshake(&mut conn, &mut sock, rejection, deadline)?;
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
    if spec.rank == 0 {
        return Ok(());
    }
    let me = spec.names.get(spec.rank).map(String::as_str).unwrap_or("?");
    let mut acceptor = Acceptor::new(listener, spec.me, spec.certs, cfg, me)?;
    while got.len() < spec.rank {
        let missing: Vec<&str> = (0..spec.rank)
            .filter(|r| !got.iter().any(|(g, ..)| g == r))
            .filter_map(|r| spec.names.get(r).map(String::as_str))
            .collect();
        let waiting_for = format!("party {}", missing.join(", "));
        let give_up = || stop_reason(failed, got.iter().map(|(_, link, _)| link));
        let (link, cert_name) = acceptor.next(deadline, &waiting_for, &give_up)?;
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
