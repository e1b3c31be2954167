//! The trusted dealer (CrypTen's trusted third party): correlated randomness for the protocols.
//!
//! Seed compression: the dealer shares one generator seed with each party (AES-128-CTR, `csprng.rs`: the
//! streams are the bulk of the engine's work; the choice is argued in docs/performance.md). Every party draws the
//! *free* parts of a correlation (e.g. Beaver's `a` and `b` shares) from that seed; parties 1..N-1
//! also draw the *corrected* parts (e.g. `c`); party 0 alone receives its corrected parts as
//! explicit values, computed by the dealer so that the shares add up. Only those explicit values
//! cross the wire (8 bytes per corrected element), and `DealerStats` counts them. The one
//! exception is DCF keys (`Request::DcfKeys`): their correction words are common to both keys and
//! depend on both parties' root seeds and the secret mask, so no seed can produce them; the dealer
//! sends the same words to party 0 and party 1 (2 parties only).
//!
//! The dealer is a role behind `DealerLink` (what party 0 calls); `local.rs` runs it inline or
//! on its own thread. This file holds the request kinds, the draw order both sides rely on,
//! the dealer's arithmetic and the party-side client. It does not open anything.

pub mod client;
mod dcf;
pub mod local;
pub mod products;
pub use dcf::DcfOut;

pub use client::{DealerClient, DealerProxy};
pub use local::{spawn_dealer_thread, PushedLink, ThreadDealerLink};

use crate::plain::conv::{conv_dims, ConvMap};
use crate::ring::matmul::matmul_shape;
use mpcc_ir::Window2d;
use rand::SeedableRng;

/// The generator of the dealer streams (one per party, seeded with that party's dealer seed).
pub type DealerRng = crate::csprng::AesCtrRng;

/// One request for correlated randomness. Lengths count ring elements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Elementwise Beaver triple: `a`, `b`, `c = a·b` (operands are broadcast before asking).
    Triple { n: usize },
    /// Matrix triple: `A` of shape `a`, `B` of shape `b`, `C = A @ B` (NumPy `matmul` shapes).
    MatTriple { a: Vec<usize>, b: Vec<usize> },
    /// Convolution triple: `A` of shape `a`, `B` of shape `b`, `C = map(A, B)` of `conv2d` or one
    /// of its adjoints (`target`: the result's `x` or `w` shape for an adjoint), in the ring.
    ConvTriple { map: ConvMap, a: Vec<usize>, b: Vec<usize>, target: Vec<usize>, win: Window2d },
    /// Square pair: `a`, `a²`.
    Square { n: usize },
    /// Truncation pair for a shift by `bits`: `r` uniform, `msb(r)` and `(r mod 2^63) >> bits`.
    Trunc { n: usize, bits: u32 },
    /// Division pair for a floor division by the public integer `d` (2 ≤ d < 2^62): `r`
    /// uniform, `msb(r)` and `(r mod 2^63) / d` (a truncation pair when `d` is `2^bits`).
    DivPair { n: usize, d: u64 },
    /// Beaver products of factors of `n` elements, some still to be truncated (`pending[i]`
    /// bits; 0: ready), the truncations opened with the products (`products.rs`,
    /// `protocols::fused`): one mask per factor (free), then `msb(r)` and `⌊r_low/2^bits⌋` per
    /// pending factor and each pair's variant products (corrected).
    Products { n: usize, pending: Vec<u32>, pairs: Vec<[u32; 2]> },
    /// Random bits shared twice: binary (XOR of bit 0) and arithmetic.
    Bits { n: usize },
    /// Binary (XOR) Beaver triple on 64-bit words: `a`, `b`, `c = a & b`.
    BinTriple { n: usize },
    /// A matrix triple whose left (`side` 0) or right (`side` 1) mask is kept by the dealer under
    /// `id` (`fixed` false: a fresh triple, the mask then kept), or is the one kept under `id`
    /// (`fixed` true: only the other mask is drawn; the parties hold their shares of the kept one
    /// from its first use). Lets a value that is multiplied again and again (a data matrix in every
    /// epoch) be masked and opened once (`protocols::matmul::matmul_reuse`).
    MatTripleReuse { a: Vec<usize>, b: Vec<usize>, side: u8, id: u64, fixed: bool },
    /// Keys of a distributed comparison function (`fss::dcf`, 2 parties only) for `n` random
    /// masks `r`: each party's share of `r` and its root seeds (free), shares of `msb(r)` (and,
    /// with `relu`, of `r·msb(r)`), and the correction words common to both keys, which both
    /// parties receive explicitly (`fss::key_words` per mask). The DCF compares with
    /// `α = r mod 2^63` and outputs `β = (1 - 2·msb(r))·(1, r)` (the second word with `relu`).
    DcfKeys { n: usize, relu: bool },
    /// DCF keys as `DcfKeys`, for a comparison times another private factor
    /// (`fss::msb_dcf_times`): a second free mask `s` (the factor's), shares of `msb(r)` and of
    /// `s·msb(r)`, and keys with output `β = (1 - 2·msb(r))·(1, s)`.
    DcfTimes { n: usize },
    /// DCF keys for a comparison of `trunc(p) + q`, `p` still to be truncated by `bits`
    /// (`fss::msb_dcf_pending`): free parts `r` (the truncation mask of `p`), the root seeds of
    /// two keys per element, `r'` (the mask of `q`) and with `times` a mask `s` of a factor;
    /// corrected parts `msb(r)`, `⌊r_low/2^bits⌋`, then for each variant `σ` of the truncation
    /// shares of `msb(m_σ)` (and `s·msb(m_σ)`), where `m_σ = r' - S_σ` is the mask of the sum;
    /// common parts: the keys for `m_0`, then for `m_1`. `out`: what the keys' second output
    /// multiplies (with `Relu` each key's own mask `m_σ`, as `DcfKeys` with `relu` does).
    DcfPending { n: usize, bits: u32, out: DcfOut },
    /// A matrix product `x @ y` whose left factor `x` (2-D, shape `a`) still waits for its
    /// truncation by `bits`, and whose right factor's mask is the one kept under `id` (shape `b`):
    /// free part `r` (the truncation mask); corrected parts `msb(r)`, `⌊r_low/2^bits⌋`,
    /// `K = S_0 @ B` and `W[i,k,:] = msb(r)[i,k]·B[k,:]` (`protocols::fused_matmul`).
    MatPending { a: Vec<usize>, b: Vec<usize>, bits: u32, id: u64 },
}

/// How shares of a part combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Combine {
    Add,
    Xor,
    /// XOR of bit 0 (random bits).
    XorBit,
    /// Not combined: each party's own words (DCF root seeds).
    Own,
}

impl Request {
    /// The free parts (drawn by every party): length and how shares combine.
    fn free_parts(&self) -> Vec<(usize, Combine)> {
        match self {
            Request::Triple { n } => vec![(*n, Combine::Add), (*n, Combine::Add)],
            Request::MatTriple { a, b } | Request::ConvTriple { a, b, .. } => {
                vec![(a.iter().product(), Combine::Add), (b.iter().product(), Combine::Add)]
            }
            Request::Square { n } | Request::Trunc { n, .. } | Request::DivPair { n, .. } => vec![(*n, Combine::Add)],
            Request::Bits { n } => vec![(*n, Combine::XorBit)],
            Request::BinTriple { n } => vec![(*n, Combine::Xor), (*n, Combine::Xor)],
            Request::DcfKeys { n, .. } => vec![(*n, Combine::Add), (2 * n, Combine::Own)],
            Request::DcfTimes { n } => vec![(*n, Combine::Add), (2 * n, Combine::Own), (*n, Combine::Add)],
            Request::DcfPending { n, out, .. } => {
                let mut parts = vec![(*n, Combine::Add), (4 * n, Combine::Own), (*n, Combine::Add)];
                if *out == DcfOut::Times {
                    parts.push((*n, Combine::Add));
                }
                parts
            }
            Request::Products { n, pending, .. } => vec![(*n, Combine::Add); pending.len()],
            Request::MatPending { a, .. } => vec![(a.iter().product(), Combine::Add)],
            Request::MatTripleReuse { a, b, side, fixed, .. } => {
                let (la, lb) = (a.iter().product(), b.iter().product());
                match (fixed, side) {
                    (false, _) => vec![(la, Combine::Add), (lb, Combine::Add)],
                    (true, 1) => vec![(la, Combine::Add)],
                    (true, _) => vec![(lb, Combine::Add)],
                }
            }
        }
    }

    /// The corrected parts (explicit for party 0): length and how shares combine.
    fn corrected_parts(&self) -> Result<Vec<(usize, Combine)>, DealerError> {
        Ok(match self {
            Request::Triple { n } | Request::Square { n } | Request::Bits { n } => {
                vec![(*n, Combine::Add)]
            }
            Request::MatTriple { a, b } | Request::MatTripleReuse { a, b, .. } => {
                let (c, ..) = matmul_shape(a, b).map_err(|e| DealerError::BadRequest(e.to_string()))?;
                vec![(c.iter().product(), Combine::Add)]
            }
            Request::ConvTriple { map, a, b, target, win } => {
                let c = conv_dims(*map, a, b, target, win).map_err(|e| DealerError::BadRequest(e.message))?;
                vec![(c.iter().product(), Combine::Add)]
            }
            Request::Trunc { n, .. } | Request::DivPair { n, .. } => vec![(*n, Combine::Add), (*n, Combine::Add)],
            Request::BinTriple { n } => vec![(*n, Combine::Xor)],
            Request::DcfKeys { n, relu } => vec![(*n, Combine::Add); if *relu { 2 } else { 1 }],
            Request::DcfTimes { n } => vec![(*n, Combine::Add); 2],
            Request::DcfPending { n, out, .. } => vec![(*n, Combine::Add); 2 + 2 * out.outputs()],
            Request::MatPending { a, b, .. } => {
                let [m, k] = a.as_slice() else { return Err(DealerError::BadRequest(format!("{self:?}"))) };
                let [k2, p] = b.as_slice() else { return Err(DealerError::BadRequest(format!("{self:?}"))) };
                if k != k2 {
                    return Err(DealerError::BadRequest(format!("{self:?}")));
                }
                vec![(m * k, Combine::Add), (m * k, Combine::Add), (m * p, Combine::Add), (m * k * p, Combine::Add)]
            }
            Request::Products { n, pending, pairs } => {
                products::check(pending, pairs).map_err(DealerError::BadRequest)?;
                products::corrected_lens(*n, pending, pairs).into_iter().map(|l| (l, Combine::Add)).collect()
            }
        })
    }

    /// The parts both party 0 and party 1 receive explicitly (the same words): a DCF's
    /// correction words.
    fn common_parts(&self) -> Vec<usize> {
        match self {
            Request::DcfKeys { n, relu } => vec![n * crate::fss::key_words(DcfOut::keys(*relu).outputs())],
            Request::DcfTimes { n } => vec![n * crate::fss::key_words(2)],
            Request::DcfPending { n, out, .. } => vec![2 * n * crate::fss::key_words(out.outputs())],
            _ => Vec::new(),
        }
    }

    /// The number of explicit elements party 0 receives.
    pub fn explicit_len(&self) -> Result<usize, DealerError> {
        self.explicit_len_for(0)
    }

    /// The number of explicit elements `party` receives: party 0 its corrected parts and the
    /// common parts, party 1 the common parts, the others nothing.
    pub fn explicit_len_for(&self, party: usize) -> Result<usize, DealerError> {
        let common: usize = self.common_parts().iter().sum();
        Ok(match party {
            0 => self.corrected_parts()?.iter().map(|p| p.0).sum::<usize>() + common,
            1 => common,
            _ => 0,
        })
    }
}

/// A dealer failure.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DealerError {
    #[error("the dealer is gone")]
    Gone,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("expected {expected} explicit values from the dealer, got {got}")]
    Malformed { expected: usize, got: usize },
    #[error("party {party} has no link to the dealer (only party 0 talks to it, and party 1 for DCF keys)")]
    NoLink { party: usize },
    #[error("OT preprocessing failed: {0}")]
    Preprocessing(String),
}

/// What party 0 uses to reach the dealer: one request, party 0's explicit values back.
///
/// A link may also queue requests (`submit`, answered in order by `collect`) so that the dealer
/// works while the parties open their masked values; links that do not queue keep the defaults.
pub trait DealerLink: Send {
    fn request(&mut self, req: &Request) -> Result<Vec<u64>, DealerError>;

    /// Queues `req`; `Ok(false)` if this link does not queue (then `request` is called later).
    fn submit(&mut self, _req: &Request) -> Result<bool, DealerError> {
        Ok(false)
    }

    /// The reply to the oldest queued request.
    fn collect(&mut self) -> Result<Vec<u64>, DealerError> {
        Err(DealerError::Gone)
    }
}

/// A correlation asked for with `DealerClient::begin`, to be completed with `finish`.
#[must_use = "a begun correlation must be finished"]
pub struct Pending {
    req: Request,
    parts: Vec<Vec<u64>>,
    /// Every part is here already (OT preprocessing generates them at `begin`).
    complete: bool,
    /// The order of `begin` (the dealer's replies come in that order).
    seq: u64,
}

impl Pending {
    /// Free part `i` (e.g. Beaver's `a` for 0 and `b` for 1), available before `finish`.
    pub fn free(&self, i: usize) -> &[u64] {
        self.parts.get(i).map_or(&[], Vec::as_slice)
    }
}

/// Counters of correlated randomness one party consumed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DealerStats {
    pub requests: u64,
    /// Bytes of explicit values received from the dealer (party 0 only; 0 elsewhere).
    pub bytes_received: u64,
    pub triples: u64,
    pub matrix_triples: u64,
    pub squares: u64,
    pub trunc_pairs: u64,
    pub random_bits: u64,
    pub binary_triples: u64,
    /// DCF keys (one per compared element).
    pub dcf_keys: u64,
}

/// Fills `out` with the next words of `rng` (in order: the order both holders of a seed rely on),
/// keeping bit 0 only for random bits.
fn draw_into(rng: &mut DealerRng, out: &mut [u64], combine: Combine) {
    rand::Rng::fill(rng, out);
    if combine == Combine::XorBit {
        out.iter_mut().for_each(|x| *x &= 1);
    }
}

/// `len` fresh words, drawn through a small buffer so that the vector is written once (not
/// zero-filled first); the stream is consumed exactly as by one `draw_into` of `len` words.
fn draw(rng: &mut DealerRng, len: usize, combine: Combine) -> Vec<u64> {
    const STEP: usize = 512;
    let mut v = Vec::with_capacity(len);
    let mut buf = [0u64; STEP];
    for at in (0..len).step_by(STEP) {
        let (part, _) = buf.split_at_mut((len - at).min(STEP));
        draw_into(rng, part, combine);
        v.extend_from_slice(part);
    }
    v
}

/// The trusted dealer's state: one generator per party, each in step with that party's client.
pub struct TrustedDealer {
    rngs: Vec<DealerRng>,
    /// Reused for every draw of parties after the first (no fresh allocation per request).
    scratch: Vec<u64>,
    /// The generator of DCF keys.
    prg: crate::fss::Prg,
    /// Where party 1's explicit values go when the dealer runs in-process (`peer_link`).
    peer_out: Option<std::sync::mpsc::Sender<Result<Vec<u64>, DealerError>>>,
    /// The masks kept for `Request::MatTripleReuse`, by id (reconstructed).
    kept: std::collections::HashMap<u64, crate::ring::RingTensor>,
}

impl TrustedDealer {
    /// A dealer for the parties whose dealer seeds are `seeds` (index = party).
    pub fn new(seeds: &[[u8; 32]]) -> Self {
        TrustedDealer {
            rngs: seeds.iter().map(|s| DealerRng::from_seed(*s)).collect(),
            scratch: Vec::new(),
            prg: crate::fss::Prg::new(),
            peer_out: None,
            kept: std::collections::HashMap::new(),
        }
    }

    /// Party 1's link for an in-process dealer: `serve` pushes party 1's explicit values (DCF
    /// correction words) into it, in request order.
    pub fn peer_link(&mut self) -> PushedLink {
        let (tx, rx) = std::sync::mpsc::channel();
        self.peer_out = Some(tx);
        PushedLink::new(rx)
    }

    /// Serves one request: draws every party's shares and returns party 0's explicit values;
    /// party 1's, if any, go to its `peer_link` (the error too, so that it does not wait).
    pub fn serve(&mut self, req: &Request) -> Result<Vec<u64>, DealerError> {
        let res = self.serve_all(req);
        if req.explicit_len_for(1).is_ok_and(|n| n > 0) {
            if let Some(tx) = &self.peer_out {
                // A party 1 that is gone no longer needs its values.
                let _ = tx.send(res.as_ref().map(|(_, p1)| p1.clone()).map_err(Clone::clone));
            }
        }
        res.map(|(p0, _)| p0)
    }

    /// Serves one request: party 0's explicit values and party 1's (empty unless the request has
    /// common parts).
    pub fn serve_all(&mut self, req: &Request) -> Result<(Vec<u64>, Vec<u64>), DealerError> {
        match req {
            Request::DcfKeys { n, relu } => return self.serve_dcf(*n, DcfOut::keys(*relu)),
            Request::DcfTimes { n } => return self.serve_dcf(*n, DcfOut::Times),
            Request::DcfPending { n, bits, out } => return self.serve_dcf_pending(*n, *bits, *out),
            _ => {}
        }
        let free = req.free_parts();
        let corrected = req.corrected_parts()?;
        // Party 0's draw of each free part (and party 1's of each corrected part) goes straight
        // into the sums; later parties' draws go through the scratch buffer.
        let mut free_sum: Vec<Vec<u64>> = free.iter().map(|&(len, _)| vec![0; len]).collect();
        let mut corr_sum: Vec<Vec<u64>> = corrected.iter().map(|&(len, _)| vec![0; len]).collect();
        let scratch = &mut self.scratch;
        for (i, rng) in self.rngs.iter_mut().enumerate() {
            // Party 0 draws no corrected part: party 0 receives those explicitly.
            draw_parts(rng, &mut free_sum, &free, i == 0, scratch);
            if i > 0 {
                draw_parts(rng, &mut corr_sum, &corrected, i == 1, scratch);
            }
        }
        if let Request::MatTriple { .. } | Request::MatTripleReuse { .. } = req {
            self.correct_matrix(req, free_sum, &mut corr_sum)?;
        } else if let Request::MatPending { a, b, bits, id } = req {
            let kept = self.kept_mask(*id, b)?;
            products::correct_pending_matmul(a, kept, *bits, &free_sum, &mut corr_sum)?;
        } else if let Request::Products { pending, pairs, .. } = req {
            products::correct(pending, pairs, &free_sum, &mut corr_sum)?;
        } else {
            correct(req, &free_sum, &mut corr_sum)?;
        }
        if corr_sum.len() == 1 {
            return Ok((corr_sum.pop().unwrap_or_default(), Vec::new()));
        }
        Ok((corr_sum.concat(), Vec::new()))
    }

    /// The mask kept under `id`, which must have `shape`.
    fn kept_mask(&self, id: u64, shape: &[usize]) -> Result<&crate::ring::RingTensor, DealerError> {
        let kept = self.kept.get(&id).ok_or_else(|| DealerError::BadRequest(format!("no mask kept under id {id}")))?;
        if kept.shape() != shape {
            return Err(DealerError::BadRequest(format!("the mask kept under id {id} has shape {:?}", kept.shape())));
        }
        Ok(kept)
    }

    /// `correct` for a matrix triple, taking the drawn masks by value (no copy): `C = A @ B`; for
    /// a `MatTripleReuse` the kept mask joins the drawn one, or the drawn one is kept.
    fn correct_matrix(
        &mut self,
        req: &Request,
        mut free: Vec<Vec<u64>>,
        others: &mut [Vec<u64>],
    ) -> Result<(), DealerError> {
        let (a, b, side, id, fixed, keep) = match req {
            Request::MatTriple { a, b } => (a, b, &0u8, &0u64, &false, false),
            Request::MatTripleReuse { a, b, side, id, fixed } => (a, b, side, id, fixed, true),
            _ => return Err(DealerError::BadRequest(format!("{req:?}"))),
        };
        let bad = |e: crate::ring::ShapeError| DealerError::BadRequest(e.to_string());
        let (kept_shape, fresh_shape) = if *side == 1 { (b, a) } else { (a, b) };
        // The drawn masks become tensors without a copy; the kept one is used in place.
        let c = if *fixed {
            let fresh = crate::ring::from_vec("matmul", fresh_shape, free.pop().unwrap_or_default()).map_err(bad)?;
            let kept = self.kept_mask(*id, kept_shape)?;
            let (x, y) = if *side == 1 { (&fresh, kept) } else { (kept, &fresh) };
            crate::ring::matmul(x, y).map_err(bad)?
        } else {
            let fb = crate::ring::from_vec("matmul", b, free.pop().unwrap_or_default()).map_err(bad)?;
            let fa = crate::ring::from_vec("matmul", a, free.pop().unwrap_or_default()).map_err(bad)?;
            let c = crate::ring::matmul(&fa, &fb).map_err(bad)?;
            if keep {
                self.kept.insert(*id, if *side == 1 { fb } else { fa });
            }
            c
        };
        match (others, c.as_slice()) {
            ([out], Some(c)) if out.len() == c.len() => {
                out.iter_mut().zip(c).for_each(|(o, t)| *o = t.wrapping_sub(*o));
                Ok(())
            }
            _ => Err(DealerError::BadRequest(format!("{req:?}"))),
        }
    }
}

impl DealerLink for TrustedDealer {
    fn request(&mut self, req: &Request) -> Result<Vec<u64>, DealerError> {
        self.serve(req)
    }
}

/// Adds one party's draw of each part to the sums: straight into them for the first party
/// that draws (`first`), through the reused `scratch` buffer for the others.
fn draw_parts(
    rng: &mut DealerRng,
    sums: &mut [Vec<u64>],
    parts: &[(usize, Combine)],
    first: bool,
    scratch: &mut Vec<u64>,
) {
    for (acc, &(len, comb)) in sums.iter_mut().zip(parts) {
        if first {
            draw_into(rng, acc, comb);
        } else {
            scratch.resize(len, 0);
            draw_into(rng, scratch, comb);
            accumulate(acc, scratch, comb);
        }
    }
}

fn accumulate(acc: &mut [u64], part: &[u64], comb: Combine) {
    match comb {
        Combine::Add => acc.iter_mut().zip(part).for_each(|(a, &p)| *a = a.wrapping_add(p)),
        Combine::Xor | Combine::XorBit | Combine::Own => acc.iter_mut().zip(part).for_each(|(a, &p)| *a ^= p),
    }
}

/// `msb(r)` and `⌊r_low/D⌋` of a truncation (or division) mask `r` (`div` = ⌊·/D⌋): what a
/// `Trunc`, a `DivPair` and a pending factor of `Products` deal (`protocols::trunc`).
pub(crate) fn mask_parts(r: u64, div: impl Fn(u64) -> u64) -> (u64, u64) {
    (r >> 63, div(r & ((1 << 63) - 1)))
}

/// Turns the other parties' sums of the corrected parts (`others`) into party 0's explicit
/// values in place: `target - others` (or `target ^ others`), with the targets computed from the
/// reconstructed free parts in the same pass.
fn correct(req: &Request, free: &[Vec<u64>], others: &mut [Vec<u64>]) -> Result<(), DealerError> {
    let bad = || DealerError::BadRequest(format!("{req:?}"));
    let part = |i: usize| free.get(i).map(Vec::as_slice).ok_or_else(bad);
    let sub_from = |out: &mut [u64], target: &mut dyn Iterator<Item = u64>| {
        out.iter_mut().zip(target).for_each(|(o, t)| *o = t.wrapping_sub(*o));
    };
    match (req, others) {
        (Request::Triple { .. }, [c]) => {
            let (a, b) = (part(0)?, part(1)?);
            sub_from(c, &mut a.iter().zip(b).map(|(a, b)| a.wrapping_mul(*b)));
        }
        (Request::ConvTriple { map, a, b, target, win }, [c]) => {
            let bad = |e: crate::ring::ShapeError| DealerError::BadRequest(e.to_string());
            let at = crate::ring::from_vec("conv2d", a, part(0)?.to_vec()).map_err(bad)?;
            let bt = crate::ring::from_vec("conv2d", b, part(1)?.to_vec()).map_err(bad)?;
            let z = crate::protocols::conv::ring_conv(*map, &at, &bt, target, win)
                .map_err(|e| DealerError::BadRequest(e.message))?;
            sub_from(c, &mut z.iter().copied());
        }
        (Request::Square { .. }, [s]) => sub_from(s, &mut part(0)?.iter().map(|a| a.wrapping_mul(*a))),
        (Request::Trunc { bits, .. }, [m, t]) => {
            let r = part(0)?;
            sub_from(m, &mut r.iter().map(|&x| mask_parts(x, |v| v >> bits.min(&63)).0));
            sub_from(t, &mut r.iter().map(|&x| mask_parts(x, |v| v >> bits.min(&63)).1));
        }
        (Request::DivPair { d, .. }, [m, t]) => {
            let r = part(0)?;
            let d = (*d).max(1);
            sub_from(m, &mut r.iter().map(|&x| mask_parts(x, |v| v / d).0));
            sub_from(t, &mut r.iter().map(|&x| mask_parts(x, |v| v / d).1));
        }
        (Request::Bits { .. }, [a]) => sub_from(a, &mut part(0)?.iter().copied()),
        (Request::BinTriple { .. }, [c]) => {
            let (a, b) = (part(0)?, part(1)?);
            c.iter_mut().zip(a.iter().zip(b)).for_each(|(c, (a, b))| *c ^= a & b);
        }
        _ => return Err(bad()),
    }
    Ok(())
}

impl std::fmt::Display for DealerStats {
    /// `100000 triples, 99 matrix triples, …` (the kinds used; `none` if nothing).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds = [
            (self.triples, "triples"),
            (self.matrix_triples, "matrix triples"),
            (self.squares, "square pairs"),
            (self.trunc_pairs, "truncation pairs"),
            (self.random_bits, "random bits"),
            (self.binary_triples, "binary triples"),
            (self.dcf_keys, "DCF keys"),
        ];
        let parts: Vec<String> = kinds.iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} {what}")).collect();
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

impl DealerStats {
    /// Counts one request (what `DealerClient::begin` does; the cost model counts with it too,
    /// so predicted and consumed correlations are counted alike).
    pub fn count(&mut self, req: &Request) {
        self.requests += 1;
        match req {
            Request::Triple { n } => self.triples += *n as u64,
            Request::MatTriple { .. } | Request::ConvTriple { .. } | Request::MatTripleReuse { .. } => {
                self.matrix_triples += 1
            }
            Request::Square { n } => self.squares += *n as u64,
            Request::Trunc { n, .. } | Request::DivPair { n, .. } => self.trunc_pairs += *n as u64,
            Request::Bits { n } => self.random_bits += *n as u64,
            Request::BinTriple { n } => self.binary_triples += *n as u64,
            Request::DcfKeys { n, .. } | Request::DcfTimes { n } => self.dcf_keys += *n as u64,
            Request::DcfPending { n, .. } => self.dcf_keys += 2 * *n as u64,
            Request::MatPending { .. } => self.matrix_triples += 1,
            Request::Products { n, pending, pairs } => {
                self.triples += (*n * pairs.len()) as u64;
                self.trunc_pairs += (*n * pending.iter().filter(|&&b| b > 0).count()) as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clients(n: usize) -> Vec<DealerClient> {
        let seeds: Vec<[u8; 32]> = (0..n).map(|i| [i as u8 + 1; 32]).collect();
        let dealer = TrustedDealer::new(&seeds);
        let mut link: Option<Box<dyn DealerLink>> = Some(Box::new(dealer));
        (0..n).map(|i| DealerClient::new(i, seeds[i], if i == 0 { link.take() } else { None })).collect()
    }

    fn sum(parts: &[Vec<Vec<u64>>], idx: usize) -> Vec<u64> {
        let mut acc = vec![0u64; parts[0][idx].len()];
        parts.iter().for_each(|p| accumulate(&mut acc, &p[idx], Combine::Add));
        acc
    }

    #[test]
    fn triples_and_trunc_pairs_add_up() {
        for n in [2, 3, 5] {
            let mut cs = clients(n);
            let got: Vec<_> = cs.iter_mut().map(|c| c.get(&Request::Triple { n: 10 }).unwrap()).collect();
            let (a, b, c) = (sum(&got, 0), sum(&got, 1), sum(&got, 2));
            for i in 0..10 {
                assert_eq!(c[i], a[i].wrapping_mul(b[i]));
            }
            let got: Vec<_> = cs.iter_mut().map(|c| c.get(&Request::Trunc { n: 10, bits: 16 }).unwrap()).collect();
            let (r, m, t) = (sum(&got, 0), sum(&got, 1), sum(&got, 2));
            for i in 0..10 {
                assert_eq!(m[i], r[i] >> 63);
                assert_eq!(t[i], (r[i] << 1 >> 1) >> 16);
            }
            assert_eq!(cs[0].stats().bytes_received, 8 * 30);
            assert_eq!(cs[1].stats().bytes_received, 0);
        }
    }

    #[test]
    fn dcf_keys_compare_with_the_mask_and_go_to_both_parties() {
        let seeds = [[7u8; 32], [9u8; 32]];
        let mut dealer = TrustedDealer::new(&seeds);
        let peer = dealer.peer_link();
        let mut c0 = DealerClient::new(0, seeds[0], Some(Box::new(dealer)));
        let mut c1 = DealerClient::new(1, seeds[1], Some(Box::new(peer)));
        let n = 40;
        for relu in [false, true] {
            let req = Request::DcfKeys { n, relu };
            let (p0, p1) = (c0.get(&req).unwrap(), c1.get(&req).unwrap());
            assert_eq!(p0.len(), p1.len());
            let k = if relu { 2 } else { 1 };
            let keys = p0.last().unwrap();
            assert_eq!(keys, p1.last().unwrap());
            assert_eq!(keys.len(), n * crate::fss::key_words(k));
            let mut prg = crate::fss::Prg::new();
            let roots =
                |p: &Vec<Vec<u64>>| p[1].chunks_exact(2).map(|w| crate::fss::root_seed(w[0], w[1])).collect::<Vec<_>>();
            for delta in [0u64, 1, 2, 1 << 40] {
                let r: Vec<u64> = p0[0].iter().zip(&p1[0]).map(|(a, b)| a.wrapping_add(*b)).collect();
                let low = (1u64 << 63) - 1;
                // x just below α, at α, and far below it.
                let xs: Vec<u64> = r.iter().map(|r| (r & low).wrapping_sub(delta) & low).collect();
                let y0 = crate::fss::eval(&mut prg, 0, k, &roots(&p0), keys, &xs).unwrap();
                let y1 = crate::fss::eval(&mut prg, 1, k, &roots(&p1), keys, &xs).unwrap();
                for j in 0..n {
                    let below = (xs[j] < (r[j] & low)) as u64;
                    let sign = 1u64.wrapping_sub(2 * (r[j] >> 63));
                    assert_eq!(y0[j * k].wrapping_add(y1[j * k]), sign.wrapping_mul(below));
                    assert_eq!(p0[2][j].wrapping_add(p1[2][j]), r[j] >> 63);
                    if relu {
                        assert_eq!(
                            y0[j * k + 1].wrapping_add(y1[j * k + 1]),
                            sign.wrapping_mul(below).wrapping_mul(r[j])
                        );
                        assert_eq!(p0[3][j].wrapping_add(p1[3][j]), r[j].wrapping_mul(r[j] >> 63));
                    }
                }
            }
        }
        assert_eq!(c0.stats().bytes_received, 8 * (n as u64 * (192 + 256 + 3)));
        assert_eq!(c1.stats().bytes_received, 8 * (n as u64 * (192 + 256)));
        // Three parties: refused, and party 1 is told too.
        let seeds3 = [[1u8; 32], [2u8; 32], [3u8; 32]];
        let mut dealer = TrustedDealer::new(&seeds3);
        let peer = dealer.peer_link();
        let mut c1 = DealerClient::new(1, seeds3[1], Some(Box::new(peer)));
        assert!(dealer.serve(&Request::DcfKeys { n: 1, relu: false }).is_err());
        assert!(c1.get(&Request::DcfKeys { n: 1, relu: false }).is_err());
        let mut lonely = DealerClient::new(1, seeds3[1], None);
        assert_eq!(lonely.get(&Request::DcfKeys { n: 1, relu: false }), Err(DealerError::NoLink { party: 1 }));
    }

    #[test]
    fn random_bits_agree_in_both_sharings() {
        let mut cs = clients(3);
        let got: Vec<_> = cs.iter_mut().map(|c| c.get(&Request::Bits { n: 64 }).unwrap()).collect();
        let arith = sum(&got, 1);
        for i in 0..64 {
            let bin = got.iter().fold(0, |acc, p| acc ^ p[0][i]);
            assert!(bin <= 1);
            assert_eq!(arith[i], bin);
        }
    }
}
