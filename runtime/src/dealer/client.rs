//! One party's side of the dealer ([`DealerClient`]): its seeded generator, party 0's link (and
//! party 1's, for DCF keys), or the two-party OT preprocessing when there is no dealer.
//!
//! Requests are begun in one order, and the dealer's replies arrive in that order. They may be
//! finished in any order: finishing a request fetches the replies of requests begun before it
//! that are still open and keeps them until those are finished. (Protocols run side by side,
//! `crate::merge`, finish their requests interleaved.) A client may also be a *proxy* that hands
//! every request to another thread's client (`DealerProxy`).

use super::{draw, DealerError, DealerLink, DealerRng, DealerStats, Pending, Request};
use rand::SeedableRng;
use std::collections::{HashMap, VecDeque};

/// Serves a client's requests elsewhere (a branch of `crate::merge` asks the run's client).
pub trait DealerProxy: Send {
    fn begin(&mut self, req: &Request) -> Result<Pending, DealerError>;
    fn finish(&mut self, pending: Pending) -> Result<Vec<Vec<u64>>, DealerError>;
}

/// One party's side of the dealer: its seeded generator and, for party 0, the link — or, with
/// no dealer at all, the two-party OT preprocessing (`crate::preprocessing`).
pub struct DealerClient {
    party: usize,
    rng: DealerRng,
    link: Option<Box<dyn DealerLink>>,
    stats: DealerStats,
    ot: Option<crate::preprocessing::OtPreprocessor>,
    proxy: Option<Box<dyn DealerProxy>>,
    /// Whether the correlations come from a dealer (which can make division pairs), not from
    /// OT preprocessing; a proxy says what its owner's client says.
    dealt: bool,
    /// The next `begin`'s sequence number.
    next_seq: u64,
    /// Begun requests whose reply is still on the link, in begin order: (seq, request, queued).
    open: VecDeque<(u64, Request, bool)>,
    /// Replies fetched ahead of their `finish`.
    early: HashMap<u64, Vec<u64>>,
}

impl DealerClient {
    /// The client of `party`, drawing from `seed` (shared with the dealer); party 0 needs `link`.
    pub fn new(party: usize, seed: [u8; 32], link: Option<Box<dyn DealerLink>>) -> Self {
        DealerClient {
            party,
            rng: DealerRng::from_seed(seed),
            link,
            stats: DealerStats::default(),
            ot: None,
            proxy: None,
            dealt: true,
            next_seq: 0,
            open: VecDeque::new(),
            early: HashMap::new(),
        }
    }

    /// The client of `party` with no dealer: every correlation comes from `ot`.
    pub fn from_ot(party: usize, ot: crate::preprocessing::OtPreprocessor) -> Self {
        DealerClient { ot: Some(ot), dealt: false, ..DealerClient::new(party, [0; 32], None) }
    }

    /// A client that hands every request to `proxy` (and counts nothing itself); `dealt` as
    /// [`DealerClient::dealt`] of the client behind the proxy.
    pub fn proxied(party: usize, proxy: Box<dyn DealerProxy>, dealt: bool) -> Self {
        DealerClient { proxy: Some(proxy), dealt, ..DealerClient::new(party, [0; 32], None) }
    }

    /// Whether a dealer makes the correlations (so `Request::DivPair` is available); false with
    /// OT preprocessing.
    pub fn dealt(&self) -> bool {
        self.dealt
    }

    /// The OT preprocessing's counters, when this client has no dealer.
    pub fn preprocessing(&self) -> Option<&crate::preprocessing::OtPreprocessor> {
        self.ot.as_ref()
    }

    /// Counters so far.
    pub fn stats(&self) -> DealerStats {
        self.stats
    }

    /// This party's shares of one correlation: the free parts, then the corrected parts.
    pub fn get(&mut self, req: &Request) -> Result<Vec<Vec<u64>>, DealerError> {
        let pending = self.begin(req)?;
        self.finish(pending)
    }

    /// Starts a request: the free parts are drawn now (party 0 also sends the request, so the
    /// dealer can work while the parties communicate).
    pub fn begin(&mut self, req: &Request) -> Result<Pending, DealerError> {
        if let Some(proxy) = self.proxy.as_mut() {
            return proxy.begin(req);
        }
        self.stats.count(req);
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(ot) = self.ot.as_mut() {
            return Ok(Pending { req: req.clone(), parts: ot.generate(req)?, complete: true, seq });
        }
        let mut parts: Vec<Vec<u64>> =
            req.free_parts().iter().map(|&(len, comb)| draw(&mut self.rng, len, comb)).collect();
        if self.party == 0 {
            let link = self.link.as_mut().ok_or(DealerError::NoLink { party: 0 })?;
            let queued = link.submit(req)?;
            self.open.push_back((seq, req.clone(), queued));
        } else {
            parts.extend(req.corrected_parts()?.iter().map(|&(len, comb)| draw(&mut self.rng, len, comb)));
            if req.explicit_len_for(self.party)? > 0 {
                self.open.push_back((seq, req.clone(), false));
            }
        }
        Ok(Pending { req: req.clone(), parts, complete: false, seq })
    }

    /// The next reply on the link, for the oldest open request `req`.
    fn fetch(&mut self, req: &Request, queued: bool) -> Result<Vec<u64>, DealerError> {
        let link = self.link.as_mut().ok_or(DealerError::NoLink { party: self.party })?;
        if queued {
            link.collect()
        } else {
            link.request(req)
        }
    }

    /// The explicit values of the request begun as `seq`: fetched now, after the replies of the
    /// open requests begun before it (kept for their own `finish`).
    fn explicit(&mut self, seq: u64) -> Result<Vec<u64>, DealerError> {
        if let Some(v) = self.early.remove(&seq) {
            return Ok(v);
        }
        while let Some((s, req, queued)) = self.open.pop_front() {
            let reply = self.fetch(&req, queued)?;
            if s == seq {
                return Ok(reply);
            }
            self.early.insert(s, reply);
        }
        Err(DealerError::BadRequest(format!("request #{seq} was not begun on this client")))
    }

    /// Completes a begun request: the free parts, then the corrected parts.
    pub fn finish(&mut self, pending: Pending) -> Result<Vec<Vec<u64>>, DealerError> {
        if let Some(proxy) = self.proxy.as_mut() {
            return proxy.finish(pending);
        }
        let Pending { req, mut parts, complete, seq } = pending;
        if complete {
            return Ok(parts);
        }
        if self.party != 0 {
            // Party 1 receives the common parts (DCF correction words) pushed by the dealer.
            let expected = req.explicit_len_for(self.party)?;
            if expected == 0 {
                return Ok(parts);
            }
            let explicit = self.explicit(seq)?;
            if explicit.len() != expected {
                return Err(DealerError::Malformed { expected, got: explicit.len() });
            }
            self.stats.bytes_received += 8 * expected as u64;
            parts.push(explicit);
            return Ok(parts);
        }
        let explicit = self.explicit(seq)?;
        let expected = req.explicit_len()?;
        if explicit.len() != expected {
            return Err(DealerError::Malformed { expected, got: explicit.len() });
        }
        self.stats.bytes_received += 8 * expected as u64;
        // Split the explicit values into the corrected parts, moving the last part (no copy
        // for the common single-part case). The common parts (DCF keys, large) come first on the
        // wire, so they are moved rather than copied, and go after the corrected parts.
        let lens: Vec<usize> = req.corrected_parts()?.iter().map(|p| p.0).collect();
        let common: usize = req.common_parts().iter().sum();
        let mut rest = explicit;
        let mut split: Vec<Vec<u64>> = Vec::with_capacity(lens.len() + 1);
        for &len in lens.iter().rev() {
            let at = rest.len().checked_sub(len).ok_or(DealerError::Malformed { expected, got: rest.len() })?;
            split.push(rest.split_off(at));
        }
        parts.extend(split.into_iter().rev());
        if common > 0 {
            parts.push(rest);
        }
        Ok(parts)
    }
}
