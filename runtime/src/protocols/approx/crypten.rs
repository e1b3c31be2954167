//! CrypTen 0.4.1's default approximations (crypten/common/functions/approximations.py with
//! configs/default.yaml), re-implemented on this engine so that the accuracy table measures them
//! in the same run as mpcc's methods. Used only by `accuracy.rs` and the tests; the executor
//! never calls them.
//!
//! Defaults reproduced: 16 fractional bits; exp by (1 + x/2^8)^(2^8); reciprocal by sign
//! (`reciprocal_all_pos: False`), then 10 Newton–Raphson iterations from 3·exp(1 - 2x) + 0.003;
//! log from x/120 - 20·exp(-2x - 1) + 3 by 2 Householder iterations of order 8 (exp with 8
//! iterations inside); inv_sqrt by 3 Newton iterations from 2.2·exp(-(x/2 + 0.2)) + 0.2 - x/1024,
//! sqrt = x·inv_sqrt(x); sigmoid by the "reciprocal" method (sign, exp, 3 NR iterations from
//! 0.75); tanh = 2·sigmoid(2x) - 1; softmax/log_softmax with max subtraction (max by the same
//! tree reduction as mpcc, without argmax). Each CrypTen operation maps onto this engine's
//! protocol of the same kind (a division by a public integer is one truncation round, a product
//! two, a comparison one MSB), so the measured rounds are what CrypTen's algorithm costs here.

use super::kernels::{affine, flat};
use crate::fixed::encode_scaled;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::arith::{self, div_public, mul_int};
use crate::protocols::compare::{msb, sign};
use crate::protocols::mul::{mul, mul_public, square};
use crate::protocols::select::{reduce_extreme, where_, Extreme};
use crate::ring::{self, to_vec};
use crate::share::{Public, Shared};
use ndarray::{ArrayD, Axis, IxDyn};

/// `x + c` for a public real c. Local.
fn add_const(party: &Party, x: &Shared, c: f64) -> Result<Shared, MpcError> {
    let e = encode_scaled(c, x.scale)?;
    let data = affine(party, &to_vec(&x.data), 1, e);
    Ok(Shared::new(ring::from_vec("crypten", x.shape(), data)?, x.scale))
}

/// `x · c` for a public real c (CrypTen encodes c and truncates: 1 round).
fn mul_const(party: &mut Party, x: &Shared, c: f64) -> Result<Shared, MpcError> {
    let p = Public::new(ArrayD::from_elem(IxDyn(&[]), encode_scaled(c, x.scale)?), x.scale);
    mul_public(party, x, &p)
}

/// exp by the limit (1 + x/2^iters)^(2^iters). Cost: 1 + 2·iters rounds.
pub fn exp_iters(party: &mut Party, x: &Shared, iters: u32) -> Result<Shared, MpcError> {
    let t = div_public(party, x, f64::from(1u32 << iters))?;
    let mut y = add_const(party, &t, 1.0)?;
    for _ in 0..iters {
        y = square(party, &y)?;
    }
    Ok(y)
}

/// CrypTen's default exp (8 iterations): 17 rounds.
pub fn exp(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    exp_iters(party, x, 8)
}

/// CrypTen's reciprocal with its options (`all_pos`, NR iterations, a public initial guess).
pub fn reciprocal_with(
    party: &mut Party,
    x: &Shared,
    all_pos: bool,
    nr_iters: usize,
    initial: Option<f64>,
) -> Result<Shared, MpcError> {
    if !all_pos {
        let sgn = sign(party, x)?;
        let pos = mul(party, &sgn, x)?;
        let r = reciprocal_with(party, &pos, true, nr_iters, initial)?;
        return mul(party, &sgn, &r);
    }
    let mut iters = nr_iters;
    let mut result = match initial {
        None => {
            let arg = add_const(party, &mul_int(x, -2), 1.0)?;
            let e = exp(party, &arg)?;
            add_const(party, &mul_int(&e, 3), 0.003)?
        }
        Some(c) => {
            // The first iteration with a public guess: 2c - c²·x (one public product).
            if iters == 0 {
                return add_const(party, &mul_int(x, 0), c);
            }
            iters -= 1;
            let cx = mul_const(party, x, c * c)?;
            add_const(party, &arith::neg(&cx), 2.0 * c)?
        }
    };
    for _ in 0..iters {
        let sq = square(party, &result)?;
        let p = mul(party, &sq, x)?;
        result = arith::sub(&mul_int(&result, 2), &p)?;
    }
    Ok(result)
}

/// CrypTen's default reciprocal: sign, then 10 NR iterations from 3·exp(1 - 2x) + 0.003.
pub fn reciprocal(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    reciprocal_with(party, x, false, 10, None)
}

/// CrypTen's default log: 2 Householder iterations of order 8.
pub fn log(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let term1 = div_public(party, x, 120.0)?;
    let arg = arith::neg(&add_const(party, &mul_int(x, 2), 1.0)?);
    let term2 = mul_int(&exp(party, &arg)?, 20);
    let mut y = add_const(party, &arith::sub(&term1, &term2)?, 3.0)?;
    let coeffs: Vec<f64> = (0..8).map(|i| 1.0 / (i as f64 + 1.0)).collect();
    for _ in 0..2 {
        let e = exp(party, &arith::neg(&y))?;
        let xe = mul(party, x, &e)?;
        let h = add_const(party, &arith::neg(&xe), 1.0)?;
        let p = crypten_polynomial(party, &h, &coeffs)?;
        y = arith::sub(&y, &p)?;
    }
    Ok(y)
}

/// CrypTen's `polynomial`: terms [h, h²], then repeatedly all terms times the highest, then
/// `terms.mul(coeffs).sum(0)` (each term truncated after its public coefficient).
fn crypten_polynomial(party: &mut Party, h: &Shared, coeffs: &[f64]) -> Result<Shared, MpcError> {
    let n = h.len();
    let mut terms: Vec<Vec<u64>> = vec![to_vec(&h.data), to_vec(&square(party, h)?.data)];
    while terms.len() < coeffs.len() {
        let highest = terms.last().cloned().unwrap_or_default();
        let left: Vec<u64> = terms.concat();
        let right: Vec<u64> = (0..terms.len()).flat_map(|_| highest.clone()).collect();
        let prod = to_vec(&mul(party, &flat(left, h.scale)?, &flat(right, h.scale)?)?.data);
        let k = terms.len();
        for i in 0..k {
            terms.push(
                prod.get(i * n..(i + 1) * n).ok_or_else(|| party.invalid("approx", "too few products"))?.to_vec(),
            );
        }
    }
    terms.truncate(coeffs.len());
    let stacked = flat(terms.concat(), h.scale)?;
    let mut cs = Vec::with_capacity(n * coeffs.len());
    for c in coeffs {
        let e = encode_scaled(*c, h.scale)?;
        cs.extend(std::iter::repeat_n(e, n));
    }
    let weights = Public::new(ring::from_vec("crypten", &[cs.len()], cs)?, h.scale);
    let weighted = to_vec(&mul_public(party, &stacked, &weights)?.data);
    let mut sum = vec![0u64; n];
    for chunk in weighted.chunks(n) {
        sum.iter_mut().zip(chunk).for_each(|(s, v)| *s = s.wrapping_add(*v));
    }
    Ok(Shared::new(ring::from_vec("crypten", h.shape(), sum)?, h.scale))
}

/// CrypTen's default inv_sqrt: 3 Newton iterations from 2.2·exp(-(x/2 + 0.2)) + 0.2 - x/1024.
pub fn inv_sqrt(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let half = div_public(party, x, 2.0)?;
    let arg = arith::neg(&add_const(party, &half, 0.2)?);
    let e = exp(party, &arg)?;
    let scaled = mul_const(party, &e, 2.2)?;
    let y0 = add_const(party, &scaled, 0.2)?;
    let small = div_public(party, x, 1024.0)?;
    let mut y = arith::sub(&y0, &small)?;
    for _ in 0..3 {
        let y2 = square(party, &y)?;
        let xy2 = mul(party, x, &y2)?;
        let t = add_const(party, &arith::neg(&xy2), 3.0)?;
        let yt = mul(party, &y, &t)?;
        y = div_public(party, &yt, 2.0)?;
    }
    Ok(y)
}

/// CrypTen's default sqrt: inv_sqrt(x)·x.
pub fn sqrt(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let r = inv_sqrt(party, x)?;
    mul(party, &r, x)
}

/// CrypTen's default sigmoid ("reciprocal" method).
pub fn sigmoid(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let ltz = msb(party, x)?;
    let bit_share = |party: &Party, a: i64| -> Result<Shared, MpcError> {
        let data = affine(party, &to_vec(&ltz.data), a, 1);
        Ok(Shared::new(ring::from_vec("crypten", x.shape(), data)?, 0))
    };
    let sgn = bit_share(party, -2)?;
    let pos = mul(party, x, &sgn)?;
    let e = exp(party, &arith::neg(&pos))?;
    let den = add_const(party, &e, 1.0)?;
    let pos_out = reciprocal_with(party, &den, true, 3, Some(0.75))?;
    let not_ltz = bit_share(party, -1)?;
    let flipped = add_const(party, &arith::neg(&pos_out), 1.0)?;
    where_(party, &not_ltz, &pos_out, &flipped)
}

/// CrypTen's default tanh: 2·sigmoid(2x) - 1.
pub fn tanh(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let s = sigmoid(party, &mul_int(x, 2))?;
    add_const(party, &mul_int(&s, 2), -1.0)
}

fn keep_axis(x: Shared, axis: usize) -> Shared {
    let scale = x.scale;
    Shared::new(x.data.insert_axis(Axis(axis)), scale)
}

/// CrypTen's softmax: max subtraction, exp, sum, reciprocal (all_pos), product.
pub fn softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    let max = reduce_extreme(party, x, Some(axis), Extreme::Max, false)?.values;
    let logits = arith::sub(x, &keep_axis(max, axis))?;
    let num = exp(party, &logits)?;
    let total = arith::sum(party, &num, Some(axis))?;
    let inv = reciprocal_with(party, &total, true, 10, None)?;
    mul(party, &num, &keep_axis(inv, axis))
}

/// CrypTen's log_softmax: logits - log(Σ exp(logits)).
pub fn log_softmax(party: &mut Party, x: &Shared, axis: usize) -> Result<Shared, MpcError> {
    let max = reduce_extreme(party, x, Some(axis), Extreme::Max, false)?.values;
    let logits = arith::sub(x, &keep_axis(max, axis))?;
    let e = exp(party, &logits)?;
    let total = arith::sum(party, &e, Some(axis))?;
    let l = log(party, &total)?;
    arith::sub(&logits, &keep_axis(l, axis))
}
