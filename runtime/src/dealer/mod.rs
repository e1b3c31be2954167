//! The trusted dealer (CrypTen's trusted third party): correlated randomness for the protocols.
//!
//! Seed compression: the dealer shares one ChaCha12 seed with each party (ChaCha12, not 20: the
//! streams are the bulk of the engine's work; the choice is argued in docs/performance.md). Every party draws the
//! *free* parts of a correlation (e.g. Beaver's `a` and `b` shares) from that seed; parties 1..N-1
//! also draw the *corrected* parts (e.g. `c`); party 0 alone receives its corrected parts as
//! explicit values, computed by the dealer so that the shares add up. Only those explicit values
//! cross the wire (8 bytes per corrected element), and `DealerStats` counts them.
//!
//! The dealer is a role behind `DealerLink` (what party 0 calls); `local.rs` runs it inline or
//! on its own thread. This file holds the request kinds, the draw order both sides rely on,
//! the dealer's arithmetic and the party-side client. It does not open anything.

pub mod local;

pub use local::{spawn_dealer_thread, ThreadDealerLink};

use crate::plain::conv::{conv_dims, ConvMap};
use crate::ring::matmul::matmul_shape;
use mpcc_ir::Window2d;
use rand::SeedableRng;

/// The generator of the dealer streams (one per party, seeded with that party's dealer seed).
pub type DealerRng = rand_chacha::ChaCha12Rng;

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
    /// Random bits shared twice: binary (XOR of bit 0) and arithmetic.
    Bits { n: usize },
    /// Binary (XOR) Beaver triple on 64-bit words: `a`, `b`, `c = a & b`.
    BinTriple { n: usize },
}

/// How shares of a part combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Combine {
    Add,
    Xor,
    /// XOR of bit 0 (random bits).
    XorBit,
}

impl Request {
    /// The free parts (drawn by every party): length and how shares combine.
    fn free_parts(&self) -> Vec<(usize, Combine)> {
        match self {
            Request::Triple { n } => vec![(*n, Combine::Add), (*n, Combine::Add)],
            Request::MatTriple { a, b } | Request::ConvTriple { a, b, .. } => {
                vec![(a.iter().product(), Combine::Add), (b.iter().product(), Combine::Add)]
            }
            Request::Square { n } | Request::Trunc { n, .. } => vec![(*n, Combine::Add)],
            Request::Bits { n } => vec![(*n, Combine::XorBit)],
            Request::BinTriple { n } => vec![(*n, Combine::Xor), (*n, Combine::Xor)],
        }
    }

    /// The corrected parts (explicit for party 0): length and how shares combine.
    fn corrected_parts(&self) -> Result<Vec<(usize, Combine)>, DealerError> {
        Ok(match self {
            Request::Triple { n } | Request::Square { n } | Request::Bits { n } => {
                vec![(*n, Combine::Add)]
            }
            Request::MatTriple { a, b } => {
                let (c, ..) = matmul_shape(a, b).map_err(|e| DealerError::BadRequest(e.to_string()))?;
                vec![(c.iter().product(), Combine::Add)]
            }
            Request::ConvTriple { map, a, b, target, win } => {
                let c = conv_dims(*map, a, b, target, win).map_err(|e| DealerError::BadRequest(e.message))?;
                vec![(c.iter().product(), Combine::Add)]
            }
            Request::Trunc { n, .. } => vec![(*n, Combine::Add), (*n, Combine::Add)],
            Request::BinTriple { n } => vec![(*n, Combine::Xor)],
        })
    }

    /// The number of explicit elements party 0 receives.
    pub fn explicit_len(&self) -> Result<usize, DealerError> {
        Ok(self.corrected_parts()?.iter().map(|p| p.0).sum())
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
    #[error("party {party} has no link to the dealer (only party 0 talks to it)")]
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
    queued: bool,
    parts: Vec<Vec<u64>>,
    /// Every part is here already (OT preprocessing generates them at `begin`).
    complete: bool,
}

impl Pending {
    /// Free part `i` (e.g. Beaver's `a` for 0 and `b` for 1), available before `finish`.
    pub fn free(&self, i: usize) -> &[u64] {
        self.parts.get(i).map_or(&[], Vec::as_slice)
    }
}

/// Counters of correlated randomness one party consumed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
}

/// Fills `out` with the next words of `rng` (in order: the order both holders of a seed rely on),
/// keeping bit 0 only for random bits.
fn draw_into(rng: &mut DealerRng, out: &mut [u64], combine: Combine) {
    rand::Rng::fill(rng, out);
    if combine == Combine::XorBit {
        out.iter_mut().for_each(|x| *x &= 1);
    }
}

fn draw(rng: &mut DealerRng, len: usize, combine: Combine) -> Vec<u64> {
    let mut v = vec![0; len];
    draw_into(rng, &mut v, combine);
    v
}

/// The trusted dealer's state: one generator per party, each in step with that party's client.
pub struct TrustedDealer {
    rngs: Vec<DealerRng>,
    /// Reused for every draw of parties after the first (no fresh allocation per request).
    scratch: Vec<u64>,
}

impl TrustedDealer {
    /// A dealer for the parties whose dealer seeds are `seeds` (index = party).
    pub fn new(seeds: &[[u8; 32]]) -> Self {
        TrustedDealer { rngs: seeds.iter().map(|s| DealerRng::from_seed(*s)).collect(), scratch: Vec::new() }
    }

    /// Serves one request: draws every party's shares and returns party 0's explicit values.
    pub fn serve(&mut self, req: &Request) -> Result<Vec<u64>, DealerError> {
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
        correct(req, &free_sum, &mut corr_sum)?;
        if corr_sum.len() == 1 {
            return Ok(corr_sum.pop().unwrap_or_default());
        }
        Ok(corr_sum.concat())
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
        Combine::Xor | Combine::XorBit => acc.iter_mut().zip(part).for_each(|(a, &p)| *a ^= p),
    }
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
        (Request::MatTriple { .. }, [c]) => {
            let target = mat_target(req, free)?;
            sub_from(c, &mut target.into_iter());
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
            let low = (1u64 << 63) - 1;
            sub_from(m, &mut r.iter().map(|x| x >> 63));
            sub_from(t, &mut r.iter().map(|x| (x & low) >> bits.min(&63)));
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

/// `A @ B` of a matrix triple, from the reconstructed `A` and `B`.
fn mat_target(req: &Request, free: &[Vec<u64>]) -> Result<Vec<u64>, DealerError> {
    let Request::MatTriple { a, b } = req else {
        return Err(DealerError::BadRequest(format!("{req:?}")));
    };
    let bad = |e: crate::ring::ShapeError| DealerError::BadRequest(e.to_string());
    let (fa, fb) = match free {
        [fa, fb] => (fa.clone(), fb.clone()),
        _ => return Err(DealerError::BadRequest(format!("{req:?}"))),
    };
    let at = crate::ring::from_vec("matmul", a, fa).map_err(bad)?;
    let bt = crate::ring::from_vec("matmul", b, fb).map_err(bad)?;
    let c = crate::ring::matmul(&at, &bt).map_err(bad)?;
    Ok(crate::ring::to_vec(&c))
}

/// One party's side of the dealer: its seeded generator and, for party 0, the link — or, with
/// no dealer at all, the two-party OT preprocessing (`crate::preprocessing`).
pub struct DealerClient {
    party: usize,
    rng: DealerRng,
    link: Option<Box<dyn DealerLink>>,
    stats: DealerStats,
    ot: Option<crate::preprocessing::OtPreprocessor>,
}

impl DealerClient {
    /// The client of `party`, drawing from `seed` (shared with the dealer); party 0 needs `link`.
    pub fn new(party: usize, seed: [u8; 32], link: Option<Box<dyn DealerLink>>) -> Self {
        DealerClient { party, rng: DealerRng::from_seed(seed), link, stats: DealerStats::default(), ot: None }
    }

    /// The client of `party` with no dealer: every correlation comes from `ot`.
    pub fn from_ot(party: usize, ot: crate::preprocessing::OtPreprocessor) -> Self {
        DealerClient { ot: Some(ot), ..DealerClient::new(party, [0; 32], None) }
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
    /// dealer can work while the parties communicate). Begun requests must be finished in the
    /// order they were begun.
    pub fn begin(&mut self, req: &Request) -> Result<Pending, DealerError> {
        self.count(req);
        if let Some(ot) = self.ot.as_mut() {
            return Ok(Pending { req: req.clone(), queued: false, parts: ot.generate(req)?, complete: true });
        }
        let mut parts: Vec<Vec<u64>> =
            req.free_parts().iter().map(|&(len, comb)| draw(&mut self.rng, len, comb)).collect();
        let mut queued = false;
        if self.party == 0 {
            let link = self.link.as_mut().ok_or(DealerError::NoLink { party: 0 })?;
            queued = link.submit(req)?;
        } else {
            parts.extend(req.corrected_parts()?.iter().map(|&(len, comb)| draw(&mut self.rng, len, comb)));
        }
        Ok(Pending { req: req.clone(), queued, parts, complete: false })
    }

    /// Completes a begun request: the free parts, then the corrected parts.
    pub fn finish(&mut self, pending: Pending) -> Result<Vec<Vec<u64>>, DealerError> {
        let Pending { req, queued, mut parts, complete } = pending;
        if self.party != 0 || complete {
            return Ok(parts);
        }
        let link = self.link.as_mut().ok_or(DealerError::NoLink { party: 0 })?;
        let explicit = if queued { link.collect()? } else { link.request(&req)? };
        let expected = req.explicit_len()?;
        if explicit.len() != expected {
            return Err(DealerError::Malformed { expected, got: explicit.len() });
        }
        self.stats.bytes_received += 8 * expected as u64;
        // Split the explicit values into the corrected parts, moving the last part (no copy
        // for the common single-part case).
        let lens: Vec<usize> = req.corrected_parts()?.iter().map(|p| p.0).collect();
        let mut rest = explicit;
        let mut split: Vec<Vec<u64>> = Vec::with_capacity(lens.len());
        for &len in lens.iter().rev() {
            split.push(rest.split_off(rest.len() - len));
        }
        parts.extend(split.into_iter().rev());
        Ok(parts)
    }

    fn count(&mut self, req: &Request) {
        self.stats.requests += 1;
        match req {
            Request::Triple { n } => self.stats.triples += *n as u64,
            Request::MatTriple { .. } | Request::ConvTriple { .. } => self.stats.matrix_triples += 1,
            Request::Square { n } => self.stats.squares += *n as u64,
            Request::Trunc { n, .. } => self.stats.trunc_pairs += *n as u64,
            Request::Bits { n } => self.stats.random_bits += *n as u64,
            Request::BinTriple { n } => self.stats.binary_triples += *n as u64,
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
