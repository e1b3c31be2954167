//! `exp(x)` on private values, right on every input the encoding admits.
//!
//! Range reduction by comparisons: one batched MSB compares x with the underflow point
//! lo = -(f+1)·ln 2 (below it e^x < 2^-(f+1) rounds to 0), with every multiple m·D of D = 2·ln 2
//! in between, and with the overflow point hi = (62-f)·ln 2 (from it on e^x does not encode).
//! Differences of neighbouring bits give the one-hot of the interval m with x in [m·D, (m+1)·D)
//! (local). Then x1 = x - m·D lies in [0, D) (a local combination of the one-hot bits at the
//! working scale), a degree-8 Chebyshev polynomial gives P = e^x1 in [1, 4] at scale
//! `P_SCALE`, and e^x = P·4^m: for large m, 4^m·2^(f - P_SCALE) is an integer and the product
//! needs no truncation (so results up to 2^(62-f) keep P's relative precision); for small and
//! negative m the product with 4^m·2^S (S = -2·m_lo) is truncated. Both products share one Beaver
//! round; one truncation follows.
//!
//! Outside [lo, hi): below lo every multiplier is 0 and the result is 0 (within one unit in the
//! last place, the truncation's rounding); from hi on the result is the largest encodable value
//! (2^62 - 1)·2^-f (2^46 at f = 16), saturated, not wrapped. The polynomial of an out-of-range
//! element sees a meaningless argument, but its product with a zero multiplier is exactly 0.
//!
//! Cost: comparison (L + 8) + polynomial (7) + product (1) + truncation (1) = L + 17 rounds
//! (17 for N = 2, 18 for N = 3). About 2 + (62 + 1)/2 comparisons per element, so the bytes
//! per element are those of some 34 comparisons.

use super::kernels::{combine_bits, flat, products_raw, shaped};
use super::poly;
use crate::fixed::encode_scaled;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::compare::below_thresholds;
use crate::protocols::trunc::truncate;
use crate::ring::to_vec;
use crate::share::Shared;

/// The working scale of the polynomial argument.
pub const W: u32 = 28;
/// The degree of the polynomial.
pub const DEGREE: usize = 8;
/// The interval width of the range reduction: 2·ln 2 (multipliers 4^m).
const D: f64 = 2.0 * std::f64::consts::LN_2;

/// The underflow point lo = -(f+1)·ln 2: below it e^x < 2^-(f+1) and the result is 0.
pub fn underflow_point(frac_bits: u32) -> f64 {
    -(f64::from(frac_bits) + 1.0) * std::f64::consts::LN_2
}

/// The overflow point hi = (62 - f)·ln 2: from it on e^x does not encode and the result is the
/// largest encodable value.
pub fn overflow_point(frac_bits: u32) -> f64 {
    f64::from(62u32.saturating_sub(frac_bits)) * std::f64::consts::LN_2
}

/// The value `exp` returns from the overflow point on: (2^62 - 1)·2^-f.
pub fn saturated(frac_bits: u32) -> f64 {
    ((1u64 << 62) - 1) as f64 / 2f64.powi(frac_bits as i32)
}

/// The scale of P = e^x1: the largest ≤ W with P_SCALE - f even (so that 4^m·2^(f - P_SCALE) is
/// a power of two for the untruncated products).
fn p_scale(f: u32) -> u32 {
    if (W - f).is_multiple_of(2) {
        W
    } else {
        W - 1
    }
}

/// `e^x` at the run's precision (x's scale), for every encodable x (see the module doc).
pub fn exp(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let f = x.scale;
    if f + 8 > W {
        return Err(party.invalid("exp", format!("input at scale {f} > {}", W - 8)));
    }
    let n = x.len();
    let lo = underflow_point(f);
    let hi = overflow_point(f);
    let m_lo = (lo / D).floor() as i64;
    let m_hi = (hi / D).ceil() as i64 - 1;
    // Thresholds, ascending: lo, (m_lo + 1)·D, …, m_hi·D, hi. Interval k (between thresholds k
    // and k + 1) has m = m_lo + k.
    let mut thresholds = vec![lo];
    thresholds.extend((m_lo + 1..=m_hi).map(|m| m as f64 * D));
    thresholds.push(hi);
    let xs = to_vec(&x.data);
    let encoded = thresholds.iter().map(|t| encode_scaled(*t, f)).collect::<Result<Vec<u64>, _>>()?;
    // lt[k][i] = [x_i < threshold k] (unscaled 0/1).
    let lt_all = below_thresholds(party, x, &encoded)?;
    let lt: Vec<&[u64]> = lt_all.chunks(n.max(1)).collect();
    let intervals = thresholds.len() - 1;
    // onehot[k] = lt[k + 1] - lt[k]; over = 1 - lt[last].
    let mut onehot = Vec::with_capacity(intervals);
    for k in 0..intervals {
        let (Some(a), Some(b)) = (lt.get(k + 1), lt.get(k)) else {
            return Err(party.invalid("exp", "too few comparison bits"));
        };
        onehot.push(a.iter().zip(b.iter()).map(|(a, b)| a.wrapping_sub(*b)).collect::<Vec<u64>>());
    }
    let last = lt.last().ok_or_else(|| party.invalid("exp", "no comparison bits"))?;
    let is_p0 = party.id() == 0;
    let over: Vec<u64> = last.iter().map(|l| if is_p0 { 1u64.wrapping_sub(*l) } else { l.wrapping_neg() }).collect();
    // t = x - m·D - D/2 in [-D/2, D/2] at scale W.
    let m_of = |k: usize| m_lo + k as i64;
    let shift = combine_bits(&onehot, n, |k| m_of(k) as f64 * D + D / 2.0, W)?;
    let t: Vec<u64> = xs.iter().zip(&shift).map(|(v, s)| (v << (W - f)).wrapping_sub(*s)).collect();
    let coeffs = poly::chebyshev_fit(|t| (t + D / 2.0).exp(), DEGREE);
    let sp = p_scale(f);
    let p = to_vec(&poly::eval(party, &flat(t, W)?, &coeffs, None, sp)?.data);
    // Multipliers: B side (no truncation) for 2m ≥ sp - f, A side (scale s_a) below.
    let s_a = u32::try_from(-2 * m_lo.min(0)).unwrap_or(0);
    let b_from = (i64::from(sp) - i64::from(f)) / 2;
    let mult_a = combine_bits(&onehot, n, |k| if m_of(k) < b_from { 4f64.powi(m_of(k) as i32) } else { 0.0 }, s_a)?;
    let mult_b = combine_bits(
        &onehot,
        n,
        |k| if m_of(k) >= b_from { 2f64.powi(2 * m_of(k) as i32 + f as i32 - sp as i32) } else { 0.0 },
        0,
    )?;
    let mut prods = products_raw(party, &[(&p, &mult_a), (&p, &mult_b)])?;
    let b_side = prods.pop().unwrap_or_default();
    let a_side = prods.pop().unwrap_or_default();
    let a_out = to_vec(&truncate(party, &flat(a_side, sp + s_a)?, sp + s_a - f)?.data);
    let max = (1u64 << 62) - 1;
    let out: Vec<u64> = a_out
        .iter()
        .zip(&b_side)
        .zip(&over)
        .map(|((a, b), o)| a.wrapping_add(*b).wrapping_add(o.wrapping_mul(max)))
        .collect();
    shaped(flat(out, f)?, x.shape())
}
