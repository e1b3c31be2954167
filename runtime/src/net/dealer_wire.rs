//! The dealer's messages on the wire: a request (bincode, mirroring `dealer::Request`), a reply
//! (a status byte, then party 0's explicit values as little-endian `u64` words, or an error
//! message), and the size check the dealer makes before serving.
//!
//! Frame tags on a dealer link: 0 hello, 1 welcome (the dealer seed), 2.. requests and replies
//! (request `k` has tag `k + 1`), [`BYE_TAG`] for a clean end. No IO here.

use crate::dealer::{DcfOut, Request};
use crate::plain::conv::{conv_dims, ConvMap};
use crate::ring::matmul::matmul_shape;
use crate::wire::control_config;
use crate::wire::{decode_u64s, encode_u64s};
use serde::{Deserialize, Serialize};

/// Why a dealer message was refused or could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DealerWireError {
    #[error("not a dealer request ({0})")]
    NotARequest(String),
    #[error("not a dealer request (trailing bytes)")]
    TrailingBytes,
    #[error("not a dealer request (convolution map {0})")]
    BadConvMap(u8),
    #[error("size {0} does not fit this machine")]
    TooLargeForMachine(u64),
    #[error("the request for {kind} ({request}) needs more than {limit} {what}, the dealer's limit per request")]
    OverLimit { kind: &'static str, request: String, limit: u64, what: &'static str },
    #[error("{0}")]
    BadShapes(String),
    #[error("the dealer's reply is not a reply")]
    NotAReply,
    #[error("the dealer's reply: {0}")]
    BadReply(String),
    #[error("a dealer request could not be encoded: {0}")]
    Encode(String),
}

/// The tag of the dealer's welcome, which carries the 32-byte dealer seed.
pub const WELCOME_TAG: u64 = 1;
/// The tag with which party 0 says it needs nothing more.
pub const BYE_TAG: u64 = u64::MAX - 1;

/// The frame tag of the `k`-th request (counted from 1).
pub fn request_tag(k: u64) -> u64 {
    k + 1
}

#[derive(Serialize, Deserialize)]
enum WireRequest {
    Triple { n: u64 },
    MatTriple { a: Vec<u64>, b: Vec<u64> },
    Square { n: u64 },
    Trunc { n: u64, bits: u32 },
    Bits { n: u64 },
    BinTriple { n: u64 },
    ConvTriple { map: u8, a: Vec<u64>, b: Vec<u64>, target: Vec<u64>, stride: [u32; 2], padding: [u32; 2] },
    DcfKeys { n: u64, relu: bool },
    MatTripleReuse { a: Vec<u64>, b: Vec<u64>, side: u8, id: u64, fixed: bool },
    DivPair { n: u64, d: u64 },
    Products { n: u64, pending: Vec<u32>, pairs: Vec<[u32; 2]> },
    DcfTimes { n: u64 },
    DcfPending { n: u64, bits: u32, out: u8 },
    MatPending { a: Vec<u64>, b: Vec<u64>, bits: u32, id: u64 },
}

fn map_to_wire(map: ConvMap) -> u8 {
    match map {
        ConvMap::Forward => 0,
        ConvMap::GradX => 1,
        ConvMap::GradW => 2,
    }
}

fn map_from_wire(map: u8) -> Result<ConvMap, DealerWireError> {
    match map {
        0 => Ok(ConvMap::Forward),
        1 => Ok(ConvMap::GradX),
        2 => Ok(ConvMap::GradW),
        _ => Err(DealerWireError::BadConvMap(map)),
    }
}

fn dims_to_wire(d: &[usize]) -> Vec<u64> {
    d.iter().map(|&x| x as u64).collect()
}

/// A request as bytes.
pub fn encode_request(req: &Request) -> Result<Vec<u8>, DealerWireError> {
    let wire = match req {
        Request::Triple { n } => WireRequest::Triple { n: *n as u64 },
        Request::MatTriple { a, b } => WireRequest::MatTriple { a: dims_to_wire(a), b: dims_to_wire(b) },
        Request::Square { n } => WireRequest::Square { n: *n as u64 },
        Request::Trunc { n, bits } => WireRequest::Trunc { n: *n as u64, bits: *bits },
        Request::DivPair { n, d } => WireRequest::DivPair { n: *n as u64, d: *d },
        Request::Products { n, pending, pairs } => {
            WireRequest::Products { n: *n as u64, pending: pending.clone(), pairs: pairs.clone() }
        }
        Request::Bits { n } => WireRequest::Bits { n: *n as u64 },
        Request::BinTriple { n } => WireRequest::BinTriple { n: *n as u64 },
        Request::DcfKeys { n, relu } => WireRequest::DcfKeys { n: *n as u64, relu: *relu },
        Request::DcfTimes { n } => WireRequest::DcfTimes { n: *n as u64 },
        Request::DcfPending { n, bits, out } => {
            let out = match out {
                DcfOut::Msb => 0,
                DcfOut::Relu => 1,
                DcfOut::Times => 2,
            };
            WireRequest::DcfPending { n: *n as u64, bits: *bits, out }
        }
        Request::MatPending { a, b, bits, id } => {
            WireRequest::MatPending { a: dims_to_wire(a), b: dims_to_wire(b), bits: *bits, id: *id }
        }
        Request::MatTripleReuse { a, b, side, id, fixed } => {
            WireRequest::MatTripleReuse { a: dims_to_wire(a), b: dims_to_wire(b), side: *side, id: *id, fixed: *fixed }
        }
        Request::ConvTriple { map, a, b, target, win } => WireRequest::ConvTriple {
            map: map_to_wire(*map),
            a: dims_to_wire(a),
            b: dims_to_wire(b),
            target: dims_to_wire(target),
            stride: win.stride,
            padding: win.padding,
        },
    };
    bincode::serde::encode_to_vec(&wire, control_config()).map_err(|e| DealerWireError::Encode(e.to_string()))
}

fn to_usize(x: u64) -> Result<usize, DealerWireError> {
    usize::try_from(x).map_err(|_| DealerWireError::TooLargeForMachine(x))
}

/// The largest request accepted, in bytes (a request is a kind and a few dimensions).
pub const MAX_REQUEST_BYTES: usize = 4096;

/// What one request may cost the dealer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Ring elements the dealer holds to serve it: every part, free and corrected.
    pub elements: u64,
    /// Multiply-adds of a matrix triple's product.
    pub mul_adds: u64,
}

impl Limits {
    /// The limits of a dealer whose replies are at most `max_frame` bytes: at most 2^27 elements
    /// (1 GiB of parts) and 2^36 multiply-adds (about a minute of work) per request.
    pub fn for_frame(max_frame: usize) -> Limits {
        Limits { elements: ((max_frame / 8) as u64).min(1 << 27), mul_adds: 1 << 36 }
    }
}

/// A request from bytes, refused if serving it would exceed `limits` (so that one request cannot
/// make the dealer allocate or compute without bound).
pub fn decode_request(bytes: &[u8], limits: &Limits) -> Result<Request, DealerWireError> {
    let (wire, used): (WireRequest, usize) = bincode::serde::decode_from_slice(bytes, control_config())
        .map_err(|e| DealerWireError::NotARequest(e.to_string()))?;
    if used != bytes.len() {
        return Err(DealerWireError::TrailingBytes);
    }
    let dims = |d: Vec<u64>| d.into_iter().map(to_usize).collect::<Result<Vec<usize>, DealerWireError>>();
    let req = match wire {
        WireRequest::Triple { n } => Request::Triple { n: to_usize(n)? },
        WireRequest::MatTriple { a, b } => Request::MatTriple { a: dims(a)?, b: dims(b)? },
        WireRequest::Square { n } => Request::Square { n: to_usize(n)? },
        WireRequest::Trunc { n, bits } => Request::Trunc { n: to_usize(n)?, bits },
        WireRequest::DivPair { n, d } if (2..1 << 62).contains(&d) => Request::DivPair { n: to_usize(n)?, d },
        WireRequest::Products { n, pending, pairs } => {
            crate::dealer::products::check(&pending, &pairs).map_err(DealerWireError::BadShapes)?;
            Request::Products { n: to_usize(n)?, pending, pairs }
        }
        WireRequest::DivPair { d, .. } => {
            return Err(DealerWireError::BadShapes(format!("a division pair by {d} (the divisor must be in 2..2^62)")))
        }
        WireRequest::Bits { n } => Request::Bits { n: to_usize(n)? },
        WireRequest::BinTriple { n } => Request::BinTriple { n: to_usize(n)? },
        WireRequest::DcfKeys { n, relu } => Request::DcfKeys { n: to_usize(n)?, relu },
        WireRequest::DcfTimes { n } => Request::DcfTimes { n: to_usize(n)? },
        WireRequest::DcfPending { bits, .. } if !(1..=62).contains(&bits) => {
            return Err(DealerWireError::BadShapes(format!("DCF keys after a truncation by {bits} bits (1 to 62)")))
        }
        WireRequest::DcfPending { n, bits, out } => {
            let out = match out {
                0 => DcfOut::Msb,
                1 => DcfOut::Relu,
                2 => DcfOut::Times,
                _ => return Err(DealerWireError::BadShapes(format!("DCF keys of an unknown output kind {out}"))),
            };
            Request::DcfPending { n: to_usize(n)?, bits, out }
        }
        WireRequest::MatPending { bits, .. } if !(1..=62).contains(&bits) => {
            return Err(DealerWireError::BadShapes(format!(
                "a matrix product after a truncation by {bits} bits (1 to 62)"
            )))
        }
        WireRequest::MatPending { a, b, bits, id } => {
            let (a, b) = (dims(a)?, dims(b)?);
            if a.len() != 2 || b.len() != 2 || a.get(1) != b.first() {
                return Err(DealerWireError::BadShapes(format!("a pending matrix product of {a:?} and {b:?}")));
            }
            Request::MatPending { a, b, bits, id }
        }
        WireRequest::MatTripleReuse { a, b, side, id, fixed } => {
            Request::MatTripleReuse { a: dims(a)?, b: dims(b)?, side, id, fixed }
        }
        WireRequest::ConvTriple { map, a, b, target, stride, padding } => Request::ConvTriple {
            map: map_from_wire(map)?,
            a: dims(a)?,
            b: dims(b)?,
            target: dims(target)?,
            win: mpcc_ir::Window2d { stride, padding },
        },
    };
    check_size(&req, limits)?;
    Ok(req)
}

fn product(dims: &[usize]) -> Option<u64> {
    dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
}

/// Refuses a request whose parts together would hold more than `limits.elements` ring elements,
/// or whose matrix product would take more than `limits.mul_adds` multiply-adds.
pub fn check_size(req: &Request, limits: &Limits) -> Result<(), DealerWireError> {
    let kind = match req {
        Request::Triple { .. } => "a Beaver triple",
        Request::MatTriple { .. } | Request::MatTripleReuse { .. } | Request::MatPending { .. } => "a matrix triple",
        Request::Square { .. } => "a square pair",
        Request::Trunc { .. } => "a truncation pair",
        Request::DivPair { .. } => "a division pair",
        Request::Products { .. } => "fused products",
        Request::Bits { .. } => "random bits",
        Request::BinTriple { .. } => "a binary triple",
        Request::ConvTriple { .. } => "a convolution triple",
        Request::DcfKeys { .. } | Request::DcfTimes { .. } | Request::DcfPending { .. } => "DCF keys",
    };
    let too_big =
        |what: &'static str, limit: u64| DealerWireError::OverLimit { kind, request: format!("{req:?}"), limit, what };
    let (elements, mul_adds) = match req {
        Request::Triple { n } | Request::BinTriple { n } => ((*n as u64).checked_mul(3), Some(0)),
        Request::Trunc { n, .. } | Request::DivPair { n, .. } => ((*n as u64).checked_mul(3), Some(0)),
        // The masks, the truncation parts and every pair's variant products.
        Request::Products { n, pending, pairs } => {
            let per = pending.len() + crate::dealer::products::corrected_lens(1, pending, pairs).iter().sum::<usize>();
            ((*n as u64).checked_mul(per as u64), (*n as u64).checked_mul(pairs.len() as u64))
        }
        Request::Square { n } | Request::Bits { n } => ((*n as u64).checked_mul(2), Some(0)),
        // Both parties' masks, root seeds and corrected parts, and two copies of the keys.
        Request::DcfKeys { n, relu } => {
            let per = 2 * (1 + 2 + 2) + 2 * crate::fss::key_words(if *relu { 2 } else { 1 });
            ((*n as u64).checked_mul(per as u64), Some(0))
        }
        // Both parties' masks and seeds, the corrected parts and two copies of two key sets.
        Request::DcfPending { n, out, .. } => {
            let k = out.outputs();
            let per = 2 * (1 + 4 + 1 + usize::from(*out == DcfOut::Times)) + (2 + 2 * k) + 4 * crate::fss::key_words(k);
            ((*n as u64).checked_mul(per as u64), Some(0))
        }
        // As `DcfKeys` with a product, plus both parties' second mask.
        Request::DcfTimes { n } => {
            let per = 2 * (1 + 2 + 1 + 2) + 2 * crate::fss::key_words(2);
            ((*n as u64).checked_mul(per as u64), Some(0))
        }
        // The mask, its two truncation parts, K (m·p) and W (m·k·p).
        Request::MatPending { a, b, .. } => {
            let (Some(pa), Some(pb)) = (product(a), product(b)) else {
                return Err(too_big("ring elements", limits.elements));
            };
            let p = b.last().copied().unwrap_or(0) as u64;
            let m = a.first().copied().unwrap_or(0) as u64;
            let elements = pa
                .checked_mul(3)
                .and_then(|e| e.checked_add(m.checked_mul(p)?))
                .and_then(|e| e.checked_add(pa.checked_mul(p)?));
            (elements.and_then(|e| e.checked_add(pb)), pa.checked_mul(p))
        }
        Request::MatTriple { a, b } | Request::MatTripleReuse { a, b, .. } => {
            let (c, ..) = matmul_shape(a, b).map_err(|e| DealerWireError::BadShapes(e.to_string()))?;
            let parts = [product(a), product(b), product(&c)];
            let elements = parts.iter().try_fold(0u64, |acc, p| p.and_then(|p| acc.checked_add(p)));
            // Each element of C is a dot product of the shared dimension.
            let inner = a.last().copied().unwrap_or(1) as u64;
            (elements, product(&c).and_then(|c| c.checked_mul(inner)))
        }
        Request::ConvTriple { map, a, b, target, win } => {
            let (Some(pa), Some(pb)) = (product(a), product(b)) else {
                return Err(too_big("ring elements", limits.elements));
            };
            if pa > limits.elements || pb > limits.elements || product(target).is_none_or(|t| t > limits.elements) {
                return Err(too_big("ring elements", limits.elements));
            }
            let c = conv_dims(*map, a, b, target, win).map_err(|e| DealerWireError::BadShapes(e.message))?;
            let pc = product(&c);
            let elements = pc.and_then(|pc| pa.checked_add(pb)?.checked_add(pc));
            // Each output element sums at most as many products as the smaller operand holds
            // (the kernel for the forward map and the input gradient; for the weight gradient,
            // the batch and output positions, which fit in either operand).
            (elements, pc.and_then(|pc| pc.checked_mul(pa.min(pb))))
        }
    };
    match (elements, mul_adds) {
        (Some(e), _) if e > limits.elements => Err(too_big("ring elements", limits.elements)),
        (None, _) => Err(too_big("ring elements", limits.elements)),
        (_, Some(m)) if m > limits.mul_adds => Err(too_big("multiply-adds", limits.mul_adds)),
        (_, None) => Err(too_big("multiply-adds", limits.mul_adds)),
        _ => Ok(()),
    }
}

/// A successful reply.
pub fn encode_reply(values: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + values.len() * 8);
    out.push(0);
    out.extend_from_slice(&encode_u64s(values));
    out
}

/// The largest refusal a party accepts, in bytes.
pub const MAX_REFUSAL_BYTES: usize = 4096;

/// A failed reply.
pub fn encode_refusal(message: &str) -> Vec<u8> {
    let mut out = vec![1];
    let mut end = message.len().min(MAX_REFUSAL_BYTES - 1);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    out.extend_from_slice(message.as_bytes().get(..end).unwrap_or_default());
    out
}

/// A well-formed reply of the dealer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The explicit values asked for.
    Values(Vec<u64>),
    /// The dealer refused the request; its message (text from the peer, not an error of ours).
    Refused(String),
}

/// A reply from bytes, or `Err` if malformed.
pub fn decode_reply(bytes: &[u8], expected: usize) -> Result<Reply, DealerWireError> {
    match bytes.split_first() {
        Some((0, rest)) => {
            decode_u64s(rest, expected).map(Reply::Values).map_err(|e| DealerWireError::BadReply(e.to_string()))
        }
        Some((1, rest)) => Ok(Reply::Refused(String::from_utf8_lossy(rest).into_owned())),
        _ => Err(DealerWireError::NotAReply),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(req: &Request) -> Vec<u8> {
        encode_request(req).unwrap()
    }

    #[test]
    fn requests_round_trip_and_oversized_ones_are_refused() {
        let reqs = [
            Request::Triple { n: 5 },
            Request::MatTriple { a: vec![2, 3], b: vec![3, 4] },
            Request::MatTripleReuse { a: vec![1, 3], b: vec![3, 4], side: 1, id: 7, fixed: true },
            Request::Trunc { n: 7, bits: 16 },
            Request::DivPair { n: 7, d: 1000 },
            Request::Products { n: 5, pending: vec![0, 16, 28], pairs: vec![[0, 1], [1, 1], [1, 2]] },
            Request::Bits { n: 1 },
            Request::ConvTriple {
                map: ConvMap::GradW,
                a: vec![1, 2, 4, 3],
                b: vec![1, 2, 2, 2],
                target: vec![2, 2, 3, 2],
                win: mpcc_ir::Window2d { stride: [2, 1], padding: [1, 0] },
            },
        ];
        let limits = Limits { elements: 100, mul_adds: 1000 };
        for req in reqs {
            assert_eq!(decode_request(&enc(&req), &limits).unwrap(), req);
        }
        let huge = Request::MatTriple { a: vec![usize::MAX, 2], b: vec![2, 2] };
        assert!(decode_request(&enc(&huge), &limits).unwrap_err().to_string().contains("more than 100 ring elements"));
        // 3·34 elements: each part fits, the whole does not.
        // DCF keys: 522 elements per mask with relu; one fits 1000, four do not.
        let dcf = Request::DcfKeys { n: 1, relu: true };
        assert_eq!(decode_request(&enc(&dcf), &Limits { elements: 1000, mul_adds: 0 }).unwrap(), dcf);
        let err = decode_request(&enc(&Request::DcfKeys { n: 4, relu: true }), &Limits { elements: 1000, mul_adds: 0 })
            .unwrap_err()
            .to_string();
        assert!(err.contains("DCF keys") && err.contains("more than 1000 ring elements"), "{err}");
        let err = decode_request(&enc(&Request::Triple { n: 34 }), &limits).unwrap_err().to_string();
        assert!(err.contains("Beaver triple") && err.contains("more than 100 ring elements"), "{err}");
        // 1200 elements but 8000 multiply-adds.
        let work = Limits { elements: 1 << 20, mul_adds: 1000 };
        let big_product = Request::MatTriple { a: vec![20, 20], b: vec![20, 20] };
        let err = decode_request(&enc(&big_product), &work).unwrap_err().to_string();
        assert!(err.contains("more than 1000 multiply-adds"), "{err}");
        // The default limits refuse the ~8 GiB request a full frame limit allowed.
        let defaults = Limits::for_frame(1 << 31);
        let eight_gib = Request::MatTriple { a: vec![16384, 16384], b: vec![16384, 16384] };
        assert!(decode_request(&enc(&eight_gib), &defaults).is_err());
        assert!(decode_request(&[99, 9, 9], &limits).is_err());
        // A division pair by 0, 1 or 2^62 and more is refused.
        for d in [0, 1, 1 << 62] {
            let bad = WireRequest::DivPair { n: 1, d };
            let bytes = bincode::serde::encode_to_vec(&bad, control_config()).unwrap();
            assert!(decode_request(&bytes, &limits).is_err(), "{d}");
        }
        // A convolution triple whose shapes do not fit is refused before the dealer computes.
        let bad = Request::ConvTriple {
            map: ConvMap::Forward,
            a: vec![1, 2, 4, 4],
            b: vec![1, 3, 2, 2],
            target: vec![],
            win: mpcc_ir::Window2d { stride: [1, 1], padding: [0, 0] },
        };
        assert!(decode_request(&enc(&bad), &limits).unwrap_err().to_string().contains("channels"));
        // The folded comparisons' and the pending matrix product's requests round-trip, within
        // their size checks; bad bits, an unknown output kind and mismatched shapes are refused.
        let big = Limits { elements: 1 << 20, mul_adds: 1 << 20 };
        for req in [
            Request::DcfTimes { n: 3 },
            Request::DcfPending { n: 3, bits: 16, out: DcfOut::Times },
            Request::DcfPending { n: 3, bits: 17, out: DcfOut::Relu },
            Request::MatPending { a: vec![1, 4], b: vec![4, 3], bits: 16, id: 9 },
        ] {
            assert_eq!(decode_request(&enc(&req), &big).unwrap(), req);
        }
        let err = decode_request(&enc(&Request::DcfPending { n: 1, bits: 16, out: DcfOut::Times }), &limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("DCF keys") && err.contains("more than 100 ring elements"), "{err}");
        for bad in [
            WireRequest::DcfPending { n: 1, bits: 0, out: 0 },
            WireRequest::DcfPending { n: 1, bits: 63, out: 0 },
            WireRequest::DcfPending { n: 1, bits: 16, out: 3 },
            WireRequest::MatPending { a: vec![1, 4], b: vec![5, 3], bits: 16, id: 1 },
            WireRequest::MatPending { a: vec![1, 4], b: vec![4, 3], bits: 0, id: 1 },
            WireRequest::MatPending { a: vec![4], b: vec![4, 3], bits: 16, id: 1 },
        ] {
            let bytes = bincode::serde::encode_to_vec(&bad, control_config()).unwrap();
            assert!(decode_request(&bytes, &big).is_err());
        }
        assert_eq!(decode_reply(&encode_reply(&[1, 2]), 2), Ok(Reply::Values(vec![1, 2])));
        assert_eq!(decode_reply(&encode_refusal("no"), 2), Ok(Reply::Refused("no".to_string())));
        assert!(decode_reply(&encode_reply(&[1]), 2).is_err());
        assert!(decode_reply(&[], 0).is_err());
    }
}
