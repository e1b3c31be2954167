//! The networked runtime's error type, [`NetError`]: what went wrong, with which peer, in which
//! phase of the run (connect, TLS, handshake, round N, dealer request N).
//!
//! Every failure of a socket, a certificate, a handshake or a frame becomes a `NetError`; nothing
//! in `net/` or `net/tcp_comm.rs` panics or hangs on what a peer sends. This file does no IO.

use std::fmt;
use std::io;
use std::time::Duration;

/// When in a networked run an error happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Loading keys and certificates, binding the listening port.
    Setup,
    /// Opening TCP connections (with retries while peers come up).
    Connect,
    /// The TLS handshake (certificates checked here).
    Tls,
    /// The mpcc handshake (program fingerprint, precision, party count, rank).
    Handshake,
    /// The `n`-th round of messages between parties (counted from 1).
    Round(u64),
    /// The `n`-th request to the dealer (counted from 1).
    Dealer(u64),
    /// Closing connections at the end of the run.
    Shutdown,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Phase::Setup => write!(f, "setup"),
            Phase::Connect => write!(f, "connect"),
            Phase::Tls => write!(f, "TLS handshake"),
            Phase::Handshake => write!(f, "handshake"),
            Phase::Round(n) => write!(f, "round {n}"),
            Phase::Dealer(n) => write!(f, "dealer request {n}"),
            Phase::Shutdown => write!(f, "shutdown"),
        }
    }
}

/// What went wrong, coarsely; the message says the details.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NetErrorKind {
    /// A key, certificate or address is missing or unreadable, or the options do not fit.
    Config,
    /// A peer could not be reached before the start-up timeout.
    Unreachable,
    /// A peer sent nothing (or too little) before the I/O timeout.
    Timeout,
    /// A peer closed its connection (it exited or crashed).
    Closed,
    /// A peer's certificate is not the one we know for it, or it refused ours.
    Certificate,
    /// TLS failed for another reason (a corrupted record, a protocol violation).
    Tls,
    /// The peers do not run the same thing (program, precision, party count, rank).
    Mismatch,
    /// A peer sent bytes that are not a valid mpcc frame or message.
    Malformed,
    /// A peer reported that it failed, with its own message.
    PeerFailed,
    /// Another socket error.
    Io,
}

impl NetErrorKind {
    /// A short kebab-case name, stable for tests and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            NetErrorKind::Config => "config",
            NetErrorKind::Unreachable => "unreachable",
            NetErrorKind::Timeout => "timeout",
            NetErrorKind::Closed => "closed",
            NetErrorKind::Certificate => "certificate",
            NetErrorKind::Tls => "tls",
            NetErrorKind::Mismatch => "mismatch",
            NetErrorKind::Malformed => "malformed",
            NetErrorKind::PeerFailed => "peer-failed",
            NetErrorKind::Io => "io",
        }
    }
}

/// A networked-run error: its kind, the peer involved (its name, and its address when known),
/// the phase, and a message.
///
/// Display: `peer BOB (127.0.0.1:4001), round 17: connection closed`, with the peer part present
/// only when one is involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetError {
    pub kind: NetErrorKind,
    pub phase: Phase,
    /// The peer's name (`BOB`, `DEALER`), when the error concerns one peer.
    pub peer: Option<String>,
    /// The peer's address, when known.
    pub addr: Option<String>,
    pub message: String,
}

impl NetError {
    pub fn new(kind: NetErrorKind, phase: Phase, message: impl Into<String>) -> NetError {
        NetError { kind, phase, peer: None, addr: None, message: message.into() }
    }
    /// Shorthand for a [`NetErrorKind::Config`] error during [`Phase::Setup`].
    pub fn config(message: impl Into<String>) -> NetError {
        NetError::new(NetErrorKind::Config, Phase::Setup, message)
    }
    pub fn with_peer(mut self, peer: impl Into<String>) -> NetError {
        self.peer = Some(peer.into());
        self
    }
    pub fn with_addr(mut self, addr: impl fmt::Display) -> NetError {
        self.addr = Some(addr.to_string());
        self
    }
    /// Sets the phase (used when a lower layer does not know it).
    pub fn in_phase(mut self, phase: Phase) -> NetError {
        self.phase = phase;
        self
    }

    /// Classifies a socket error: timeouts, closed connections and the rest.
    pub fn from_io(err: &io::Error, phase: Phase, timeout: Duration) -> NetError {
        use io::ErrorKind as K;
        match err.kind() {
            K::WouldBlock | K::TimedOut => {
                NetError::new(NetErrorKind::Timeout, phase, format!("no data for {} (the timeout)", seconds(timeout)))
            }
            K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
                NetError::new(NetErrorKind::Closed, phase, format!("connection closed ({err})"))
            }
            K::InvalidData => NetError::new(NetErrorKind::Malformed, phase, err.to_string()),
            _ => NetError::new(NetErrorKind::Io, phase, err.to_string()),
        }
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.peer, &self.addr) {
            (Some(peer), Some(addr)) => write!(f, "peer {peer} ({addr}), ")?,
            (Some(peer), None) => write!(f, "peer {peer}, ")?,
            (None, Some(addr)) => write!(f, "peer at {addr}, ")?,
            (None, None) => {}
        }
        write!(f, "{}: {}", self.phase, self.message)
    }
}

impl std::error::Error for NetError {}

/// A duration as `30 s` or `250 ms`.
pub fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// The first bytes of a digest as lowercase hex (`ab12…`), for messages.
pub fn short_hex(bytes: &[u8]) -> String {
    let mut text: String = bytes.iter().take(6).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 6 {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_peer_address_and_phase() {
        let err = NetError::new(NetErrorKind::Closed, Phase::Round(17), "connection closed")
            .with_peer("BOB")
            .with_addr("127.0.0.1:4001");
        assert_eq!(err.to_string(), "peer BOB (127.0.0.1:4001), round 17: connection closed");
    }

    #[test]
    fn io_errors_are_classified() {
        let t = Duration::from_millis(250);
        let timeout = io::Error::from(io::ErrorKind::WouldBlock);
        assert_eq!(NetError::from_io(&timeout, Phase::Connect, t).kind, NetErrorKind::Timeout);
        assert!(NetError::from_io(&timeout, Phase::Connect, t).message.contains("250 ms"));
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert_eq!(NetError::from_io(&eof, Phase::Tls, t).kind, NetErrorKind::Closed);
        assert_eq!(short_hex(&[0xab, 0x12, 0, 1, 2, 3, 4]), "ab1200010203…");
    }
}
