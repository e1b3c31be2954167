//! The dealer's messages on the wire: a request (bincode, mirroring `dealer::Request`), a reply
//! (a status byte, then party 0's explicit values as little-endian `u64` words, or an error
//! message), and the size check the dealer makes before serving.
//!
//! Frame tags on a dealer link: 0 hello, 1 welcome (the dealer seed), 2.. requests and replies
//! (request `k` has tag `k + 1`), [`BYE_TAG`] for a clean end. No IO here.

use crate::dealer::Request;
use crate::plain::conv::{conv_dims, ConvMap};
use crate::ring::matmul::matmul_shape;
use crate::wire::control_config;
use crate::wire::{decode_u64s, encode_u64s};
use serde::{Deserialize, Serialize};

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
}

fn map_to_wire(map: ConvMap) -> u8 {
    match map {
        ConvMap::Forward => 0,
        ConvMap::GradX => 1,
        ConvMap::GradW => 2,
    }
}

fn map_from_wire(map: u8) -> Result<ConvMap, String> {
    match map {
        0 => Ok(ConvMap::Forward),
        1 => Ok(ConvMap::GradX),
        2 => Ok(ConvMap::GradW),
        _ => Err(format!("not a dealer request (convolution map {map})")),
    }
}

fn dims_to_wire(d: &[usize]) -> Vec<u64> {
    d.iter().map(|&x| x as u64).collect()
}

/// A request as bytes.
pub fn encode_request(req: &Request) -> Vec<u8> {
    let wire = match req {
        Request::Triple { n } => WireRequest::Triple { n: *n as u64 },
        Request::MatTriple { a, b } => WireRequest::MatTriple { a: dims_to_wire(a), b: dims_to_wire(b) },
        Request::Square { n } => WireRequest::Square { n: *n as u64 },
        Request::Trunc { n, bits } => WireRequest::Trunc { n: *n as u64, bits: *bits },
        Request::Bits { n } => WireRequest::Bits { n: *n as u64 },
        Request::BinTriple { n } => WireRequest::BinTriple { n: *n as u64 },
        Request::ConvTriple { map, a, b, target, win } => WireRequest::ConvTriple {
            map: map_to_wire(*map),
            a: dims_to_wire(a),
            b: dims_to_wire(b),
            target: dims_to_wire(target),
            stride: win.stride,
            padding: win.padding,
        },
    };
    bincode::serde::encode_to_vec(&wire, control_config()).unwrap_or_default()
}

fn to_usize(x: u64) -> Result<usize, String> {
    usize::try_from(x).map_err(|_| format!("size {x} does not fit this machine"))
}

/// A request from bytes, refused if any of its parts would exceed `max_elements` ring elements
/// (so a bad request cannot make the dealer allocate without bound).
pub fn decode_request(bytes: &[u8], max_elements: usize) -> Result<Request, String> {
    let (wire, used): (WireRequest, usize) = bincode::serde::decode_from_slice(bytes, control_config())
        .map_err(|e| format!("not a dealer request ({e})"))?;
    if used != bytes.len() {
        return Err("not a dealer request (trailing bytes)".to_string());
    }
    let dims = |d: Vec<u64>| d.into_iter().map(to_usize).collect::<Result<Vec<usize>, String>>();
    let req = match wire {
        WireRequest::Triple { n } => Request::Triple { n: to_usize(n)? },
        WireRequest::MatTriple { a, b } => Request::MatTriple { a: dims(a)?, b: dims(b)? },
        WireRequest::Square { n } => Request::Square { n: to_usize(n)? },
        WireRequest::Trunc { n, bits } => Request::Trunc { n: to_usize(n)?, bits },
        WireRequest::Bits { n } => Request::Bits { n: to_usize(n)? },
        WireRequest::BinTriple { n } => Request::BinTriple { n: to_usize(n)? },
        WireRequest::ConvTriple { map, a, b, target, stride, padding } => Request::ConvTriple {
            map: map_from_wire(map)?,
            a: dims(a)?,
            b: dims(b)?,
            target: dims(target)?,
            win: mpcc_ir::Window2d { stride, padding },
        },
    };
    check_size(&req, max_elements)?;
    Ok(req)
}

fn product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Refuses a request whose parts would hold more than `max` ring elements.
pub fn check_size(req: &Request, max: usize) -> Result<(), String> {
    let too_big = || format!("{req:?} asks for more than {max} elements at once");
    let parts: Vec<usize> = match req {
        Request::Triple { n }
        | Request::Square { n }
        | Request::Trunc { n, .. }
        | Request::Bits { n }
        | Request::BinTriple { n } => {
            vec![*n]
        }
        Request::MatTriple { a, b } => {
            let (c, ..) = matmul_shape(a, b).map_err(|e| e.to_string())?;
            vec![product(a).ok_or_else(too_big)?, product(b).ok_or_else(too_big)?, product(&c).ok_or_else(too_big)?]
        }
        Request::ConvTriple { map, a, b, target, win } => {
            let (pa, pb) = (product(a).ok_or_else(too_big)?, product(b).ok_or_else(too_big)?);
            if pa > max || pb > max || product(target).is_none_or(|t| t > max) {
                return Err(too_big());
            }
            let c = conv_dims(*map, a, b, target, win).map_err(|e| e.message)?;
            vec![pa, pb, product(&c).ok_or_else(too_big)?]
        }
    };
    if parts.iter().any(|&p| p > max) {
        return Err(too_big());
    }
    Ok(())
}

/// A successful reply.
pub fn encode_reply(values: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + values.len() * 8);
    out.push(0);
    out.extend_from_slice(&encode_u64s(values));
    out
}

/// A failed reply.
pub fn encode_refusal(message: &str) -> Vec<u8> {
    let mut out = vec![1];
    out.extend_from_slice(message.as_bytes());
    out
}

/// A reply from bytes: `Ok(Ok(values))`, `Ok(Err(dealer's message))`, or `Err` if malformed.
pub fn decode_reply(bytes: &[u8], expected: usize) -> Result<Result<Vec<u64>, String>, String> {
    match bytes.split_first() {
        Some((0, rest)) => decode_u64s(rest, expected).map(Ok).map_err(|e| e.to_string()),
        Some((1, rest)) => Ok(Err(String::from_utf8_lossy(rest).into_owned())),
        _ => Err("the dealer's reply is not a reply".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_oversized_ones_are_refused() {
        let reqs = [
            Request::Triple { n: 5 },
            Request::MatTriple { a: vec![2, 3], b: vec![3, 4] },
            Request::Trunc { n: 7, bits: 16 },
            Request::Bits { n: 1 },
            Request::ConvTriple {
                map: ConvMap::GradW,
                a: vec![1, 2, 4, 3],
                b: vec![1, 2, 2, 2],
                target: vec![2, 2, 3, 2],
                win: mpcc_ir::Window2d { stride: [2, 1], padding: [1, 0] },
            },
        ];
        for req in reqs {
            assert_eq!(decode_request(&encode_request(&req), 100).unwrap(), req);
        }
        let huge = Request::MatTriple { a: vec![usize::MAX, 2], b: vec![2, 2] };
        assert!(decode_request(&encode_request(&huge), 100).unwrap_err().contains("more than 100"));
        assert!(decode_request(&[9, 9, 9], 100).is_err());
        // A convolution triple whose shapes do not fit is refused before the dealer computes.
        let bad = Request::ConvTriple {
            map: ConvMap::Forward,
            a: vec![1, 2, 4, 4],
            b: vec![1, 3, 2, 2],
            target: vec![],
            win: mpcc_ir::Window2d { stride: [1, 1], padding: [0, 0] },
        };
        assert!(decode_request(&encode_request(&bad), 100).unwrap_err().contains("channels"));
        assert_eq!(decode_reply(&encode_reply(&[1, 2]), 2), Ok(Ok(vec![1, 2])));
        assert_eq!(decode_reply(&encode_refusal("no"), 2), Ok(Err("no".to_string())));
        assert!(decode_reply(&encode_reply(&[1]), 2).is_err());
        assert!(decode_reply(&[], 0).is_err());
    }
}
