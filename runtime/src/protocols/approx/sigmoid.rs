//! `sigmoid(x)` and `tanh(x)` on private values.
//!
//! Both start with one batched comparison of x against 0, +T and -T (three MSBs in the same
//! rounds) and one product without truncation, giving s = [x < 0] and y = min(|x|, T). Then
//! e = exp(-k·y) in [e^-16, 1] (`exp.rs`'s `exp_of_unit`, 15 rounds), and a degree-8 Chebyshev polynomial in e
//! gives 1/(1 + e) (sigmoid of |x|) or (1 - e)/(1 + e) (tanh of |x|) directly at the output
//! scale, with no reciprocal. A last product with the sign bit restores negative inputs:
//! sigmoid(x) = r + s·(1 - 2r), tanh(x) = r·(1 - 2s).
//!
//! Domain: every x that encodes (the clamp at T = 16 for sigmoid, T = 8 for tanh, makes the
//! result exact to within e^-16 ≈ 1.1e-7 beyond T). Cost: comparison (L + 8) + 1 + 15 + 7 + 1
//! = L + 32 rounds (32 for N = 2, 33 for N = 3).

use super::exp::{exp_of_unit, unit_arg, W};
use super::kernels::{affine, flat, products_raw, shaped};
use super::poly;
use crate::fixed::encode_scaled;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::compare::msb;
use crate::ring::to_vec;
use crate::share::Shared;

/// `1 / (1 + e^-x)`, at x's scale.
pub fn sigmoid(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let f = x.scale;
    let (s, y) = sign_and_clamped_abs(party, x, 16.0)?;
    // e = exp(-y) with -y/16 in [-1, 0].
    let t = unit_arg(party, &Shared::new(y.data.clone(), y.scale), 4)?;
    let e = exp_of_unit(party, &negate(&t), 0.0, W)?;
    let u = unit_of_e(party, &e)?;
    let coeffs = poly::chebyshev_fit(|u| 1.0 / (1.0 + (u + 1.0) / 2.0), 8);
    let r = to_vec(&poly::eval(party, &u, &coeffs, None, f)?.data);
    // r + s·(1 - 2r): the product of an unscaled bit needs no truncation.
    let one = encode_scaled(1.0, f)?;
    let flip = affine(party, &r, -2, one);
    let sf = products_raw(party, &[(&s, &flip)])?.remove(0);
    let out: Vec<u64> = r.iter().zip(&sf).map(|(a, b)| a.wrapping_add(*b)).collect();
    shaped(flat(out, f)?, x.shape())
}

/// `tanh(x)`, at x's scale.
pub fn tanh(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let f = x.scale;
    let (s, y) = sign_and_clamped_abs(party, x, 8.0)?;
    // e = exp(-2y) with -2y/16 = -y/8 in [-1, 0].
    let t = unit_arg(party, &Shared::new(y.data.clone(), y.scale), 3)?;
    let e = exp_of_unit(party, &negate(&t), 0.0, W)?;
    let u = unit_of_e(party, &e)?;
    let coeffs = poly::chebyshev_fit(
        |u| {
            let e = (u + 1.0) / 2.0;
            (1.0 - e) / (1.0 + e)
        },
        8,
    );
    let r = to_vec(&poly::eval(party, &u, &coeffs, None, f)?.data);
    // r·(1 - 2s).
    let sigma = affine(party, &s, -2, 1);
    let out = products_raw(party, &[(&sigma, &r)])?.remove(0);
    shaped(flat(out, f)?, x.shape())
}

fn negate(t: &Shared) -> Shared {
    crate::protocols::arith::neg(t)
}

/// u = 2e - 1 in [-1, 1] at scale W, for e in [0, 1] at scale W.
fn unit_of_e(party: &Party, e: &Shared) -> Result<Shared, MpcError> {
    flat(affine(party, &to_vec(&e.data), 2, (1u64 << W).wrapping_neg()), W)
}

/// s = [x < 0] (unscaled 0/1, flat) and y = min(|x|, T) at x's scale.
///
/// One batched MSB of (x, x - T, x + T) gives s, a = [x < T], b = [x < -T]. With big = 1 - a + b
/// (|x| ≥ T), and since b implies s and s implies a, the factor (1 - 2s)(1 - big) equals the
/// linear 1 - 2s - big + 2b, so y = x·(1 - 2s - big + 2b) + T·big takes one product (no
/// truncation). Cost: L + 8 + 1 rounds.
pub(super) fn sign_and_clamped_abs(party: &mut Party, x: &Shared, bound: f64) -> Result<(Vec<u64>, Shared), MpcError> {
    let n = x.len();
    let xs = to_vec(&x.data);
    let t = encode_scaled(bound, x.scale)?;
    let minus = affine(party, &xs, 1, t.wrapping_neg());
    let plus = affine(party, &xs, 1, t);
    let mut all = xs.clone();
    all.extend_from_slice(&minus);
    all.extend_from_slice(&plus);
    let bits = to_vec(&msb(party, &flat(all, x.scale)?)?.data);
    let (s, rest) = bits.split_at(n);
    let (a, b) = rest.split_at(n);
    let is_p0 = party.id() == 0;
    let big: Vec<u64> = b
        .iter()
        .zip(a)
        .map(|(&b, &a)| {
            let v = b.wrapping_sub(a);
            if is_p0 {
                v.wrapping_add(1)
            } else {
                v
            }
        })
        .collect();
    let factor: Vec<u64> = s
        .iter()
        .zip(&big)
        .zip(b)
        .map(|((&s, &big), &b)| {
            let v = s.wrapping_mul(2).wrapping_add(big).wrapping_sub(b.wrapping_mul(2)).wrapping_neg();
            if is_p0 {
                v.wrapping_add(1)
            } else {
                v
            }
        })
        .collect();
    let prod = products_raw(party, &[(&xs, &factor)])?.remove(0);
    let y: Vec<u64> = prod.iter().zip(&big).map(|(p, g)| p.wrapping_add(g.wrapping_mul(t))).collect();
    Ok((s.to_vec(), flat(y, x.scale)?))
}
