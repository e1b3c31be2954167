//! A party's side of the dealer process: [`connect_dealer`] (TLS, hello, receive the dealer seed)
//! and [`RemoteDealer`], party 0's `DealerLink` over the wire, which the in-process
//! `DealerClient` uses exactly as it uses an in-process dealer, with its [`DealerHandle`] to end
//! the session (goodbye or failure notice).
//!
//! A failed request becomes a `DealerError` for the protocols; its detailed [`NetError`] (peer,
//! request number) is kept in a failure slot for the run's report. No protocol logic here.

use crate::dealer::{DealerError, DealerLink, Request};
use crate::net::dealer_wire::{self, request_tag, BYE_TAG, WELCOME_TAG};
use crate::net::error::{NetError, NetErrorKind, Phase};
use crate::net::handshake::{self, Hello, Role};
use crate::net::keys::{Identity, PeerCerts};
use crate::net::link::Link;
use crate::net::mesh::dial;
use crate::net::tcp_comm::FailureSlot;
use crate::net::NetConfig;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Connects to the dealer named `dealer_name` at `addr`, proposing `hello.seed` as this party's
/// dealer seed. Returns the dealer seed to use and, for party 0, the link for requests; in a
/// 2-party run party 1 keeps a link too, on which the dealer pushes the DCF correction words
/// (other parties close theirs).
pub fn connect_dealer(
    me: &Identity,
    dealer_name: &str,
    addr: SocketAddr,
    certs: &PeerCerts,
    hello: &Hello,
    cfg: &NetConfig,
) -> Result<([u8; 32], Option<RemoteDealer>), NetError> {
    let cert = certs.require(dealer_name)?;
    let link = dial(me, dealer_name, addr, cert, Instant::now() + cfg.startup, cfg, &|| None)?;
    let theirs = handshake::exchange(&link, hello)?;
    if theirs.role != Role::Dealer {
        return Err(NetError::new(
            NetErrorKind::Mismatch,
            Phase::Handshake,
            format!("expected the dealer, reached party {}: check the dealer address", theirs.name),
        )
        .with_peer(dealer_name)
        .with_addr(addr));
    }
    handshake::check_seed_mode(hello, &theirs, dealer_name).map_err(|e| {
        link.abort(&format!("the party refused the dealer: {}", e.message));
        e.with_addr(addr)
    })?;
    let welcome = link.recv_limited(WELCOME_TAG, Phase::Handshake, 32)?;
    let seed: [u8; 32] = welcome.as_slice().try_into().map_err(|_| {
        NetError::new(
            NetErrorKind::Malformed,
            Phase::Handshake,
            format!("the dealer's welcome has {} bytes, not 32", welcome.len()),
        )
        .with_peer(dealer_name)
        .with_addr(addr)
    })?;
    let pushed = hello.rank == 1 && hello.n_parties == 2;
    if hello.rank != 0 && !pushed {
        link.close();
        return Ok((seed, None));
    }
    Ok((
        seed,
        Some(RemoteDealer {
            link: Arc::new(link),
            served: 0,
            queued: VecDeque::new(),
            failure: FailureSlot::default(),
            pushed,
        }),
    ))
}

/// Party 0's link to the dealer process. Dropping it closes the link without a goodbye (the
/// dealer then reports that party 0 broke off); end a run with [`DealerHandle::bye`].
pub struct RemoteDealer {
    link: Arc<Link>,
    /// Replies received so far (the number of the last request answered).
    served: u64,
    /// Requests sent and not yet answered, oldest first (party 0 sends a request when the
    /// protocol begins and reads the reply when it finishes, so the dealer's round trip overlaps
    /// the parties' own round).
    queued: VecDeque<Request>,
    failure: FailureSlot,
    /// Party 1's link: it sends nothing and receives the values pushed for requests with common
    /// parts (`served` then counts those).
    pushed: bool,
}

/// Ends party 0's session with the dealer, after the `RemoteDealer` was handed to a `Party`.
#[derive(Clone)]
pub struct DealerHandle {
    link: Arc<Link>,
    failure: FailureSlot,
    pushed: bool,
}

impl DealerHandle {
    /// Tells the dealer the run is over (it then exits successfully) and closes the link.
    pub fn bye(&self) -> Result<(), NetError> {
        if self.pushed {
            // Party 1 never asked for anything: only party 0's goodbye ends the dealer.
            self.link.close();
            return Ok(());
        }
        let sent = self.link.send(BYE_TAG, &[], Phase::Shutdown);
        self.link.close();
        sent
    }
    /// Tells the dealer the run failed, and why.
    pub fn abort(&self, message: &str) {
        self.link.abort(message);
    }
    /// The detailed failure of a request, if one failed.
    pub fn failure(&self) -> Option<NetError> {
        self.failure.lock().ok().and_then(|s| s.clone())
    }
}

impl RemoteDealer {
    /// A handle to end the session once the run is over.
    pub fn handle(&self) -> DealerHandle {
        DealerHandle { link: self.link.clone(), failure: self.failure.clone(), pushed: self.pushed }
    }

    fn fail(&self, err: NetError) -> DealerError {
        let coarse = match err.kind {
            NetErrorKind::PeerFailed => DealerError::BadRequest(err.message.clone()),
            _ => DealerError::Gone,
        };
        if let Ok(mut slot) = self.failure.lock() {
            if slot.is_none() {
                *slot = Some(err);
            }
        }
        coarse
    }
}

impl RemoteDealer {
    /// Sends request number `k` (party 0 only).
    fn send_request(&self, k: u64, req: &Request) -> Result<(), DealerError> {
        let phase = Phase::Dealer(k);
        let bytes = dealer_wire::encode_request(req)
            .map_err(|e| self.fail(NetError::new(NetErrorKind::Config, phase, e.to_string())))?;
        self.link.send(request_tag(k), &bytes, phase).map_err(|e| self.fail(e))
    }

    /// Reads the reply to request number `served + 1`, which was `req`.
    fn read_reply(&mut self, req: &Request) -> Result<Vec<u64>, DealerError> {
        let k = self.served + 1;
        let phase = Phase::Dealer(k);
        let expected = req.explicit_len_for(if self.pushed { 1 } else { 0 })?;
        let tag = request_tag(k);
        // The reply's size follows from the request: a status byte and the explicit values (or a
        // short refusal).
        let limit = expected.saturating_mul(8).saturating_add(1).max(dealer_wire::MAX_REFUSAL_BYTES);
        let reply = self.link.recv_limited(tag, phase, limit).map_err(|e| self.fail(e))?;
        let malformed = |message: String| {
            NetError::new(NetErrorKind::Malformed, phase, message)
                .with_peer(self.link.peer())
                .with_addr(self.link.addr())
        };
        match dealer_wire::decode_reply(&reply, expected) {
            Ok(dealer_wire::Reply::Values(values)) => {
                self.served = k;
                Ok(values)
            }
            Ok(dealer_wire::Reply::Refused(refusal)) => Err(self.fail(
                NetError::new(NetErrorKind::PeerFailed, phase, format!("the dealer refused: {refusal}"))
                    .with_peer(self.link.peer()),
            )),
            Err(error) => Err(self.fail(malformed(error.to_string()))),
        }
    }
}

impl DealerLink for RemoteDealer {
    fn request(&mut self, req: &Request) -> Result<Vec<u64>, DealerError> {
        if self.pushed {
            return self.read_reply(req);
        }
        self.submit(req)?;
        self.collect()
    }

    /// Party 0 sends the request at once; the reply is read by `collect`.
    fn submit(&mut self, req: &Request) -> Result<bool, DealerError> {
        if self.pushed {
            return Ok(false);
        }
        let k = self.served + self.queued.len() as u64 + 1;
        self.send_request(k, req)?;
        self.queued.push_back(req.clone());
        Ok(true)
    }

    fn collect(&mut self) -> Result<Vec<u64>, DealerError> {
        let req = self.queued.pop_front().ok_or(DealerError::Gone)?;
        self.read_reply(&req)
    }
}
