//! Networked runs: one process per party over TCP with mutually authenticated TLS, and the dealer
//! as a process of its own.
//!
//! Layers, bottom up: `keys` (key pairs, pinned certificates), `tls` (rustls configurations and
//! the TLS handshake), `link` (one framed TLS connection), `handshake` (the mpcc hello: program
//! fingerprint, precision, party count, rank), `mesh` (connecting every pair of parties, with
//! retries while peers come up), `tcp_comm` (the `Comm` transport over the mesh), `dealer_server`
//! and `dealer_client` (the dealer over the wire), `party` (one party's run over all that),
//! `program` (one party of a compiled program: `mpcc run --party`) and `local` (every party and
//! the dealer as child processes: `mpcc run --network`). Nothing here knows a protocol or an op.

pub mod dealer_client;
pub mod dealer_server;
pub mod dealer_wire;
pub mod error;
pub mod handshake;
pub mod keys;
pub mod link;
pub mod local;
pub mod mesh;
pub mod party;
pub mod program;
pub mod tcp_comm;
pub mod tls;

pub use error::{NetError, NetErrorKind, Phase};
pub use keys::{keygen, Identity, KeyFiles, PeerCerts};

use std::time::Duration;

/// The default I/O timeout (`--timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How a networked run waits and how large a message may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetConfig {
    /// Every read and write during the run is bounded by this (`--timeout`).
    pub timeout: Duration,
    /// Connecting (peers coming up, TLS, the hello, the dealer's wait for the parties) is bounded
    /// by this; `--timeout` sets both.
    pub startup: Duration,
    /// The pause between connection attempts while a peer is not yet listening.
    pub retry_every: Duration,
    /// The largest message accepted, in bytes.
    pub max_frame: usize,
}

impl Default for NetConfig {
    fn default() -> NetConfig {
        NetConfig {
            timeout: DEFAULT_TIMEOUT,
            startup: DEFAULT_TIMEOUT,
            retry_every: Duration::from_millis(100),
            max_frame: 1 << 31,
        }
    }
}

impl NetConfig {
    /// The default configuration with another timeout (for the run and the start-up).
    pub fn with_timeout(timeout: Duration) -> NetConfig {
        NetConfig { timeout, startup: timeout, ..NetConfig::default() }
    }
}
