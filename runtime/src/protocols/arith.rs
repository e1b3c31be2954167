//! Linear operations on additive shares: add/sub/neg of private operands, with a public operand
//! (added by party 0 only), scale alignment, sums and means along an axis, and division by a
//! public number. All are local (0 rounds) except where a truncation is named.

use super::trunc::{divide, rescale, truncate};
use crate::fixed::encode_scaled;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::{self, RingTensor};
use crate::share::{Public, Shared};
use ndarray::{ArrayD, Axis};

/// `x` re-expressed at a scale of at least `to` (a local left shift; exact).
pub fn upscale(x: &Shared, to: u32) -> Shared {
    if x.scale >= to {
        return x.clone();
    }
    Shared { data: ring::shl(&x.data, to - x.scale), scale: to }
}

fn upscale_public(p: &Public, to: u32) -> Public {
    if p.scale >= to {
        return p.clone();
    }
    Public { data: ring::shl(&p.data, to - p.scale), scale: to }
}

/// `x + y`, both private (broadcasting; the lower scale is raised). Local.
pub fn add(x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let s = x.scale.max(y.scale);
    Ok(Shared { data: ring::add(&upscale(x, s).data, &upscale(y, s).data)?, scale: s })
}

/// `x - y`, both private. Local.
pub fn sub(x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let s = x.scale.max(y.scale);
    Ok(Shared { data: ring::sub(&upscale(x, s).data, &upscale(y, s).data)?, scale: s })
}

/// `-x`. Local.
pub fn neg(x: &Shared) -> Shared {
    Shared { data: ring::neg(&x.data), scale: x.scale }
}

/// The public tensor as it enters a share: itself on party 0, zeros elsewhere.
fn public_part(party: &Party, p: &Public) -> RingTensor {
    if party.id() == 0 {
        p.data.clone()
    } else {
        ArrayD::zeros(p.data.raw_dim())
    }
}

/// `x + p` for a public `p` (party 0 adds it; the others only broadcast). Local.
pub fn add_public(party: &Party, x: &Shared, p: &Public) -> Result<Shared, MpcError> {
    let s = x.scale.max(p.scale);
    let pp = public_part(party, &upscale_public(p, s));
    Ok(Shared { data: ring::add(&upscale(x, s).data, &pp)?, scale: s })
}

/// `x - p` for a public `p`. Local.
pub fn sub_public(party: &Party, x: &Shared, p: &Public) -> Result<Shared, MpcError> {
    let s = x.scale.max(p.scale);
    let pp = public_part(party, &upscale_public(p, s));
    Ok(Shared { data: ring::sub(&upscale(x, s).data, &pp)?, scale: s })
}

/// `p - x` for a public `p`. Local.
pub fn public_sub(party: &Party, p: &Public, x: &Shared) -> Result<Shared, MpcError> {
    Ok(neg(&sub_public(party, x, p)?))
}

/// `x · k` for a public integer `k` (no truncation). Local.
pub fn mul_int(x: &Shared, k: i64) -> Shared {
    Shared { data: ring::scale(&x.data, k as u64), scale: x.scale }
}

/// The sum over `axis` (or over everything, giving a 0-d tensor). Local.
pub fn sum(party: &Party, x: &Shared, axis: Option<usize>) -> Result<Shared, MpcError> {
    let data = match axis {
        None => ArrayD::from_elem(ndarray::IxDyn(&[]), x.data.iter().fold(0u64, |a, &b| a.wrapping_add(b))),
        Some(ax) => {
            if ax >= x.data.ndim() {
                return Err(party.invalid("sum", format!("axis {ax} of a {}-d tensor", x.data.ndim())));
            }
            x.data.fold_axis(Axis(ax), 0u64, |a, &b| a.wrapping_add(b))
        }
    };
    Ok(Shared { data, scale: x.scale })
}

/// The mean over `axis` (or everything): a sum, then division by the public count.
/// Cost: as `div_public` (2 rounds of truncation; 1 when the count is a power of two).
pub fn mean(party: &mut Party, x: &Shared, axis: Option<usize>) -> Result<Shared, MpcError> {
    let count = match axis {
        None => x.len(),
        Some(ax) => x.shape().get(ax).copied().unwrap_or(1),
    };
    let s = sum(party, x, axis)?;
    div_public(party, &s, count as f64)
}

/// Significant bits of the factor `1/a'` in `div_public` (a' in [1, 2)): its relative error is at
/// most 2^-(FACTOR_BITS+1). 19 is the most for which the low part's product in the split below
/// stays under 2^62 (see `div_public`).
pub const FACTOR_BITS: u32 = 19;

/// `|d|` when it is an integer from 3 to below 2^62 and not a power of two: a divisor
/// `div_public` divides by with one division pair (with a dealer); the cost model asks the same.
pub fn integer_divisor(d: f64) -> Option<u64> {
    let whole = d.abs();
    let fits = whole.fract() == 0.0 && (3.0..4_611_686_018_427_387_904.0).contains(&whole);
    (fits && !(whole as u64).is_power_of_two()).then_some(whole as u64)
}

/// `x / d` for a public nonzero real `d`, correct for every dividend the truncation admits
/// (|x·2^scale| < 2^62), at scale `T = max(scale, f)` (an unscaled input, e.g. a count of 0/1
/// results, gets a fractional result).
///
/// Write |d| = 2^m·a with a in [1, 2) (for |d| < 1, m < 0: `x` is first shifted left by -m, which
/// needs |x/d|·2^T < 2^61). With `F = round(2^(p+1)/a)`, p = `FACTOR_BITS`:
/// - a = 1 (d a power of two): one truncation by m bits.
/// - |d| an integer below 2^62, with a dealer: one division pair (`trunc::divide`): error at
///   most 2 units in the last place, no relative error.
/// - m ≥ p + 2: `x' = trunc(x, m)`, then `trunc(x'·F, p + 1)` (|x'·F| ≤ 2^61).
/// - otherwise, with k = p + 1 + m: the split `x = x_hi·2^k + x_lo` (`x_hi = trunc(x, k)`,
///   `x_lo` computed locally, |x_lo| ≤ 2^k); the result is `x_hi·F + trunc(x_lo·F, k)`
///   (|x_hi·F| ≤ 2^(62-m) needs no truncation; |x_lo·F| ≤ 2^(2p+m+2) ≤ 2^60).
///
/// Error: relative 2^-(p+1) = 2^-20 (the factor) plus at most 2 units in the last place.
/// Cost: 2 rounds (two truncations), 1 when |d| ≥ 1 is a power of two or (with a dealer) an
/// integer, 0 for ±1.
pub fn div_public(party: &mut Party, x: &Shared, d: f64) -> Result<Shared, MpcError> {
    if d == 0.0 || !d.is_finite() {
        return Err(party.invalid("div", format!("division by {d}")));
    }
    let f = party.fixed.frac_bits;
    let target = x.scale.max(f);
    // |d| = 2^m · a, a in [1, 2); exact in floating point.
    let (mut a, mut m) = (d.abs(), 0i32);
    while a >= 2.0 {
        a /= 2.0;
        m += 1;
    }
    while a < 1.0 {
        a *= 2.0;
        m -= 1;
    }
    let mut data = upscale(x, target).data;
    if m < 0 {
        let j = m.unsigned_abs();
        if j >= 62 {
            return Err(party.invalid("div", format!("division by {d}: the quotient is out of range")));
        }
        data = ring::shl(&data, j);
        m = 0;
    }
    let m = m.unsigned_abs();
    let p = FACTOR_BITS;
    let quotient = if let Some(whole) = integer_divisor(d).filter(|_| party.dealer().dealt()) {
        // An integer divisor: one division pair (exact up to 2 units, no factor error).
        divide(party, &Shared { data, scale: target }, whole)?.data
    } else if m >= 62 {
        // |x/d| < 2^62 / 2^62: below one unit in the last place.
        ArrayD::zeros(data.raw_dim())
    } else if a == 1.0 {
        trunc_raw(party, &data, m)?
    } else if m >= p + 2 {
        let f_factor = encode_scaled(1.0 / a, p + 1)?;
        let reduced = trunc_raw(party, &data, m)?;
        trunc_raw(party, &ring::scale(&reduced, f_factor), p + 1)?
    } else {
        let k = p + 1 + m;
        let f_factor = encode_scaled(1.0 / a, p + 1)?;
        let hi = trunc_raw(party, &data, k)?;
        let lo = ring::sub(&data, &ring::shl(&hi, k))?;
        let lo_q = trunc_raw(party, &ring::scale(&lo, f_factor), k)?;
        ring::add(&ring::scale(&hi, f_factor), &lo_q)?
    };
    let quotient = if d < 0.0 { ring::neg(&quotient) } else { quotient };
    Ok(Shared { data: quotient, scale: target })
}

/// `data / 2^bits` for shares whose scale is tracked by the caller. Cost: as `truncate`.
fn trunc_raw(party: &mut Party, data: &RingTensor, bits: u32) -> Result<RingTensor, MpcError> {
    Ok(truncate(party, &Shared { data: data.clone(), scale: bits }, bits)?.data)
}

/// Brings a product-scale value back to the run's precision (`rescale` to `frac_bits`).
pub fn to_precision(party: &mut Party, x: Shared) -> Result<Shared, MpcError> {
    let f = party.fixed.frac_bits;
    rescale(party, x, f)
}
