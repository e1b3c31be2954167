//! [`Link`]: one TLS connection to one peer, carrying length-prefixed, tagged frames, usable from
//! two threads at once (one sending, one receiving) so that a round's exchange is full duplex.
//!
//! Frame: `u32` little-endian payload length, `u64` little-endian tag (the round or request
//! number the sender is in), then the payload. The tag [`ABORT_TAG`] carries a peer's failure
//! message instead of data. Every read and write is bounded by the link's timeout; a closed,
//! stalled or garbled connection gives a [`NetError`] naming the peer, never a hang or a panic.
//! This file knows nothing of rounds, ranks or programs.

use crate::net::error::{seconds, NetError, NetErrorKind, Phase};
use crate::net::tls;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The tag of a frame that says the sender failed; its payload is the sender's message (UTF-8).
pub const ABORT_TAG: u64 = u64::MAX;
/// How a peer's failure notice starts in the message of a [`NetErrorKind::PeerFailed`] error.
pub const PEER_FAILED: &str = "the peer failed: ";
/// The largest failure notice accepted, in bytes.
const MAX_NOTICE: usize = 64 * 1024;
/// Frame header size: length (4 bytes) and tag (8 bytes).
const HEADER: usize = 12;
/// Plaintext is handed to TLS in pieces of this size, so that sending and receiving interleave.
const CHUNK: usize = 256 * 1024;

/// Locks a mutex, taking the data even if another thread panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct ReadSide {
    sock: TcpStream,
    /// Decrypted bytes not yet returned as frames; `plain[start..]` is pending.
    plain: Vec<u8>,
    start: usize,
    raw: Vec<u8>,
    /// Bytes read from the socket so far.
    raw_bytes: u64,
    closed: bool,
}

/// A framed TLS connection to one named peer.
pub struct Link {
    peer: String,
    addr: SocketAddr,
    timeout: Duration,
    max_frame: usize,
    tls: Mutex<rustls::Connection>,
    reader: Mutex<ReadSide>,
    writer: Mutex<TcpStream>,
}

impl Link {
    /// Wraps a connection whose TLS handshake is complete.
    pub fn new(
        peer: &str,
        addr: SocketAddr,
        mut conn: rustls::Connection,
        sock: TcpStream,
        timeout: Duration,
        max_frame: usize,
    ) -> Result<Link, NetError> {
        conn.set_buffer_limit(None);
        let io = |e: std::io::Error| NetError::from_io(&e, Phase::Connect, timeout).with_peer(peer);
        sock.set_nodelay(true).map_err(io)?;
        sock.set_write_timeout(Some(timeout)).map_err(io)?;
        let read_sock = sock.try_clone().map_err(io)?;
        Ok(Link {
            peer: peer.to_string(),
            addr,
            timeout,
            max_frame,
            tls: Mutex::new(conn),
            reader: Mutex::new(ReadSide {
                sock: read_sock,
                plain: Vec::new(),
                start: 0,
                raw: vec![0; 64 * 1024],
                raw_bytes: 0,
                closed: false,
            }),
            writer: Mutex::new(sock),
        })
    }

    pub fn peer(&self) -> &str {
        &self.peer
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The DER certificate the peer presented.
    pub fn peer_cert(&self) -> Option<Vec<u8>> {
        let conn = lock(&self.tls);
        conn.peer_certificates().and_then(|c| c.first()).map(|c| c.as_ref().to_vec())
    }

    fn err(&self, kind: NetErrorKind, phase: Phase, message: impl Into<String>) -> NetError {
        NetError::new(kind, phase, message).with_peer(&self.peer).with_addr(self.addr)
    }
    fn io_err(&self, e: &std::io::Error, phase: Phase) -> NetError {
        NetError::from_io(e, phase, self.timeout).with_peer(&self.peer).with_addr(self.addr)
    }

    /// Sends one frame.
    pub fn send(&self, tag: u64, payload: &[u8], phase: Phase) -> Result<(), NetError> {
        if payload.len() > self.max_frame || u32::try_from(payload.len()).is_err() {
            return Err(self.err(
                NetErrorKind::Config,
                phase,
                format!("a message of {} bytes is over the frame limit of {} bytes", payload.len(), self.max_frame),
            ));
        }
        let mut header = [0u8; HEADER];
        header[..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        header[4..].copy_from_slice(&tag.to_le_bytes());
        let mut sock = lock(&self.writer);
        let mut out = Vec::with_capacity(CHUNK + 1024);
        // The header travels with the first chunk: one TLS write and one socket write for a
        // message of up to CHUNK bytes (with Nagle off, a separate header would be a packet).
        let mut pieces = payload.chunks(CHUNK);
        let mut first = true;
        loop {
            let piece = pieces.next();
            if piece.is_none() && !first {
                break;
            }
            out.clear();
            {
                let mut conn = lock(&self.tls);
                if first {
                    conn.writer().write_all(&header).map_err(|e| self.io_err(&e, phase))?;
                }
                if let Some(piece) = piece {
                    conn.writer().write_all(piece).map_err(|e| self.io_err(&e, phase))?;
                }
                while conn.wants_write() {
                    conn.write_tls(&mut out).map_err(|e| self.io_err(&e, phase))?;
                }
            }
            sock.write_all(&out).map_err(|e| self.io_err(&e, phase))?;
            first = false;
        }
        Ok(())
    }

    /// Receives one frame, which must carry `tag` (an [`ABORT_TAG`] frame becomes a
    /// [`NetErrorKind::PeerFailed`] error with the peer's message).
    pub fn recv(&self, tag: u64, phase: Phase) -> Result<Vec<u8>, NetError> {
        self.recv_limited(tag, phase, self.max_frame)
    }

    /// As [`Link::recv`], refusing a frame of more than `limit` bytes (the expected length of a
    /// control message), whatever the link's own limit.
    pub fn recv_limited(&self, tag: u64, phase: Phase, limit: usize) -> Result<Vec<u8>, NetError> {
        let (got, payload) = self.recv_any_limited(phase, limit)?;
        if got != tag {
            return Err(self.err(
                NetErrorKind::Malformed,
                phase,
                format!("out of step: expected message {tag}, the peer sent message {got}"),
            ));
        }
        Ok(payload)
    }

    /// Receives the next frame, whatever its tag (an [`ABORT_TAG`] frame is an error, as in `recv`).
    pub fn recv_any(&self, phase: Phase) -> Result<(u64, Vec<u8>), NetError> {
        self.recv_any_limited(phase, self.max_frame)
    }

    /// As [`Link::recv_any`], with a frame limit of `limit` bytes (at most the link's own).
    ///
    /// The timeout bounds the whole message, not each arrival of bytes: a peer that sends a byte
    /// at a time cannot hold the receiver longer than the timeout.
    pub fn recv_any_limited(&self, phase: Phase, limit: usize) -> Result<(u64, Vec<u8>), NetError> {
        self.recv_any_within(phase, limit, Duration::ZERO)
    }

    /// As [`Link::recv_any_limited`], waiting `grace` longer than the timeout (for a peer that may
    /// itself be waiting the timeout for someone else, so that its failure notice comes first).
    pub fn recv_any_within(&self, phase: Phase, limit: usize, grace: Duration) -> Result<(u64, Vec<u8>), NetError> {
        let deadline = Instant::now() + self.timeout + grace;
        let limit = limit.min(self.max_frame);
        let mut side = lock(&self.reader);
        let seen = side.raw_bytes;
        loop {
            if let Some((got, payload)) = self.take_frame(&mut side, phase, limit)? {
                if got == ABORT_TAG {
                    let text = String::from_utf8_lossy(&payload).into_owned();
                    return Err(self.err(NetErrorKind::PeerFailed, phase, format!("{PEER_FAILED}{text}")));
                }
                return Ok((got, payload));
            }
            if side.closed {
                return Err(self.err(NetErrorKind::Closed, phase, "the peer closed the connection"));
            }
            if let Err(mut e) = self.fill(&mut side, deadline, phase) {
                if e.kind == NetErrorKind::Timeout && side.raw_bytes != seen {
                    e.message = format!("sent only part of a message within {} (the timeout)", seconds(self.timeout));
                }
                return Err(e);
            }
        }
    }

    /// A complete frame from the decrypted bytes, if one is there.
    fn take_frame(&self, side: &mut ReadSide, phase: Phase, limit: usize) -> Result<Option<(u64, Vec<u8>)>, NetError> {
        let pending = side.plain.get(side.start..).unwrap_or_default();
        let Some((len, tag)) = frame_header(pending) else {
            return Ok(None);
        };
        // A failure notice may be longer than a small control message; it is text, kept short.
        let limit = if tag == ABORT_TAG { limit.max(MAX_NOTICE) } else { limit };
        if len > limit {
            return Err(self.err(
                NetErrorKind::Malformed,
                phase,
                format!("the peer announced a message of {len} bytes, over the limit of {limit} bytes"),
            ));
        }
        let Some(payload) = pending.get(HEADER..HEADER + len).map(<[u8]>::to_vec) else {
            // Grow towards the announced size as bytes arrive, at most 64 MiB ahead of them.
            let want = (side.start + HEADER + len).min(side.plain.len() + (64 << 20));
            if side.plain.capacity() < want {
                side.plain.reserve(want - side.plain.len());
            }
            return Ok(None);
        };
        side.start += HEADER + len;
        if side.start == side.plain.len() {
            side.plain.clear();
            side.start = 0;
        } else if side.start > side.plain.len() / 2 {
            side.plain.drain(..side.start);
            side.start = 0;
        }
        Ok(Some((tag, payload)))
    }

    /// Moves the plaintext rustls holds into `plain`; returns how many bytes moved. (The TLS
    /// handshake may already have read the peer's first message, so this runs before any read.)
    fn drain(
        &self,
        conn: &mut rustls::Connection,
        plain: &mut Vec<u8>,
        closed: &mut bool,
        phase: Phase,
    ) -> Result<usize, NetError> {
        let mut buf = [0u8; 16 * 1024];
        let mut moved = 0;
        loop {
            match conn.reader().read(&mut buf) {
                Ok(0) => {
                    *closed = true;
                    return Ok(moved);
                }
                Ok(k) => {
                    plain.extend_from_slice(buf.get(..k).unwrap_or_default());
                    moved += k;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(moved),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    *closed = true;
                    return Ok(moved);
                }
                Err(e) => return Err(self.io_err(&e, phase)),
            }
        }
    }

    /// Reads from the socket once (bounded by the deadline) and decrypts what arrived.
    fn fill(&self, side: &mut ReadSide, deadline: Instant, phase: Phase) -> Result<(), NetError> {
        let ReadSide { sock, plain, raw, closed, raw_bytes, .. } = side;
        {
            let mut conn = lock(&self.tls);
            if self.drain(&mut conn, plain, closed, phase)? > 0 {
                return Ok(());
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(self.err(
                NetErrorKind::Timeout,
                phase,
                format!("sent nothing for {} (the timeout)", seconds(self.timeout)),
            ));
        }
        sock.set_read_timeout(Some(left)).map_err(|e| self.io_err(&e, phase))?;
        let n = match sock.read(raw) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => {
                let mut err = self.io_err(&e, phase);
                if err.kind == NetErrorKind::Timeout {
                    err.message = format!("sent nothing for {} (the timeout)", seconds(self.timeout));
                }
                return Err(err);
            }
        };
        if n == 0 {
            *closed = true;
            return Ok(());
        }
        *raw_bytes += n as u64;
        let mut input = raw.get(..n).unwrap_or_default();
        let mut conn = lock(&self.tls);
        while !input.is_empty() {
            conn.read_tls(&mut input).map_err(|e| self.io_err(&e, phase))?;
            let state = conn.process_new_packets().map_err(|e| {
                let mut err = tls::classify(&e, phase).with_peer(&self.peer).with_addr(self.addr);
                err.phase = phase;
                err
            })?;
            self.drain(&mut conn, plain, closed, phase)?;
            if state.peer_has_closed() {
                *closed = true;
            }
        }
        Ok(())
    }

    /// Without waiting: the peer's failure notice, or its hang-up, if one has arrived (used while
    /// connecting to the other peers, to stop early when this one has given up). Any other frame
    /// that arrived (a peer that is done connecting may start the first round) stays buffered for
    /// `recv`.
    pub fn poll_gone(&self) -> Option<NetError> {
        let mut side = lock(&self.reader);
        if !side.closed {
            side.sock.set_read_timeout(Some(Duration::from_millis(1))).ok()?;
            let mut byte = [0u8; 1];
            if side.sock.peek(&mut byte).is_ok() {
                if let Err(e) = self.fill(&mut side, Instant::now() + Duration::from_millis(100), Phase::Connect) {
                    return Some(e);
                }
            }
        }
        let pending = side.plain.get(side.start..).unwrap_or_default();
        let abort_first = frame_header(pending).is_some_and(|(_, tag)| tag == ABORT_TAG);
        if abort_first {
            return match self.take_frame(&mut side, Phase::Connect, MAX_NOTICE) {
                Ok(Some((_, payload))) => {
                    let text = String::from_utf8_lossy(&payload).into_owned();
                    Some(self.err(NetErrorKind::PeerFailed, Phase::Connect, format!("{PEER_FAILED}{text}")))
                }
                Ok(None) => None,
                Err(e) => Some(e),
            };
        }
        if side.closed && pending.len() < HEADER {
            return Some(self.err(NetErrorKind::Closed, Phase::Connect, "the peer closed the connection"));
        }
        None
    }

    /// Tells the peer that we failed (best effort, bounded by a short timeout).
    pub fn abort(&self, message: &str) {
        if let Ok(sock) = lock(&self.writer).try_clone() {
            let _ = sock.set_write_timeout(Some(self.timeout.min(Duration::from_secs(2))));
        }
        let _ = self.send(ABORT_TAG, message.as_bytes(), Phase::Shutdown);
        self.close();
    }

    /// Closes the connection: TLS close-notify, then TCP shutdown (best effort).
    pub fn close(&self) {
        let mut out = Vec::new();
        {
            let mut conn = lock(&self.tls);
            conn.send_close_notify();
            while conn.wants_write() {
                if conn.write_tls(&mut out).is_err() {
                    break;
                }
            }
        }
        let mut sock = lock(&self.writer);
        let _ = sock.write_all(&out);
        let _ = sock.shutdown(Shutdown::Write);
    }
}
/// The payload length and tag of the frame at the start of `pending` (`HEADER` bytes: a `u32`
/// length and a `u64` tag, little-endian), if the header is complete.
fn frame_header(pending: &[u8]) -> Option<(usize, u64)> {
    let (len, rest) = pending.split_first_chunk::<4>()?;
    let (tag, _) = rest.split_first_chunk::<8>()?;
    Some((u32::from_le_bytes(*len) as usize, u64::from_le_bytes(*tag)))
}
