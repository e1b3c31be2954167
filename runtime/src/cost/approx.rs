//! The cost of the private approximations (`crate::protocols::approx`) and of the reductions by
//! comparison (`crate::protocols::select::reduce_extreme`, the pairwise maximum of `softmax`),
//! counted on element counts: each function below follows its protocol's sequence of
//! comparisons, products and truncations, reading the protocol's public constants (degrees,
//! working scales, thresholds) rather than restating them where they are exported.
//!
//! Every function takes the input at the run's precision `f` (the executor's `at_precision`
//! brings it there first) and returns nothing: the results are at scale `f`.

use super::meter::Meter;
use crate::dealer::Request;
use crate::error::{ErrorKind, RunError};
use crate::protocols::approx::bits::{NORM_BITS, WORD_BITS};
use crate::protocols::approx::{exp as exp_p, poly};
use crate::protocols::arith::FACTOR_BITS;
use crate::protocols::compare::CompareMode;
use mpcc_ir::UnaryOp;

/// The working scale of `piecewise.rs` (its `W`) and of its selected coefficients (`C_SCALE`).
const PIECE_W: u32 = 28;
const PIECE_C_SCALE: u32 = 30;
/// The degree of every Chebyshev fit the families use (`poly::chebyshev_fit(…, 8)`).
const FIT_DEGREE: usize = 8;
/// Rows up to this length take the piecewise functions in `softmax.rs` (`PIECEWISE_ROWS`).
const PIECEWISE_ROWS: usize = 64;

fn invalid(op: &str, why: String) -> RunError {
    RunError::new(ErrorKind::Internal, format!("{op}: {why}"))
}

/// `arith::div_public` of `n` elements at `scale` by the public `d`; returns the result's scale.
pub fn div_public(m: &mut Meter, n: usize, scale: u32, d: f64) -> Result<u32, RunError> {
    if d == 0.0 || !d.is_finite() {
        return Err(invalid("div", format!("division by {d}")));
    }
    let target = scale.max(m.f);
    let (mut a, mut e) = (d.abs(), 0i32);
    while a >= 2.0 {
        a /= 2.0;
        e += 1;
    }
    while a < 1.0 {
        a *= 2.0;
        e -= 1;
    }
    if e < 0 {
        if e.unsigned_abs() >= 62 {
            return Err(invalid("div", format!("division by {d}: the quotient is out of range")));
        }
        e = 0;
    }
    let e = e.unsigned_abs();
    let p = FACTOR_BITS;
    // From 2^62 on the quotient is below one unit in the last place: zeros, no truncation.
    if e < 62 {
        if a == 1.0 {
            m.truncate(n, e)?;
        } else if let Some(d) = crate::protocols::arith::integer_divisor(d) {
            // The model assumes the dealer, which makes division pairs.
            m.open_masked(&Request::DivPair { n, d }, n)?;
        } else if e >= p + 2 {
            m.truncate(n, e)?;
            m.truncate(n, p + 1)?;
        } else {
            m.truncate(n, p + 1 + e)?;
            m.truncate(n, p + 1 + e)?;
        }
    }
    Ok(target)
}

/// `poly::powers_fused` of `n` elements up to degree `d` at scale `w` (the model assumes the
/// dealer): one fused-products request and opening per level; returns the powers left pending.
fn powers_fused(m: &mut Meter, n: usize, d: usize, w: u32) -> Result<Vec<usize>, RunError> {
    let (levels, left) = poly::power_levels(d);
    for level in &levels {
        let pending = level.factors.iter().map(|&(_, p)| if p { w } else { 0 }).collect();
        let pairs = level.pairs.iter().map(|&[i, j]| [i as u32, j as u32]).collect();
        m.open_masked(&Request::Products { n, pending, pairs }, level.factors.len() * n)?;
    }
    Ok(left)
}

/// `poly::powers`: the fused levels, then one truncation of the powers left pending.
fn powers(m: &mut Meter, n: usize, d: usize, w: u32) -> Result<(), RunError> {
    let left = powers_fused(m, n, d, w)?;
    let parts: Vec<(usize, u32)> = left.iter().map(|_| (n, w)).collect();
    m.truncate_batch(&parts)
}

/// `poly::eval` of degree `d` on `n` elements at scale `w`, to `out_scale`.
fn poly_eval(m: &mut Meter, n: usize, d: usize, w: u32, out_scale: u32) -> Result<(), RunError> {
    powers(m, n, d, w)?;
    let sum_scale = w + poly::COEF_BITS;
    m.truncate(n, sum_scale - out_scale.min(sum_scale))
}

/// `piecewise::eval` of `n` elements at scale `f` with `pieces` pieces.
fn piecewise(m: &mut Meter, n: usize, f: u32, pieces: usize) -> Result<(), RunError> {
    if f > PIECE_W {
        return Err(invalid("approx", format!("input at scale {f} > {PIECE_W}")));
    }
    m.below_thresholds(n, pieces + 1)?;
    let left = powers_fused(m, n, FIT_DEGREE, PIECE_W)?;
    // Each power times its selected coefficient, the pending powers truncated by that opening.
    let pending =
        (1..=FIT_DEGREE).map(|k| if left.contains(&k) { PIECE_W } else { 0 }).chain([0; FIT_DEGREE]).collect();
    let pairs = (0..FIT_DEGREE).map(|k| [k as u32, (FIT_DEGREE + k) as u32]).collect();
    m.open_masked(&Request::Products { n, pending, pairs }, 2 * FIT_DEGREE * n)?;
    m.truncate(n, PIECE_W + PIECE_C_SCALE - f)
}

/// `exp::exp` of `n` elements at scale `f`: one batched comparison with the thresholds, the
/// polynomial, one round of two products, one truncation — the calls of `exp::exp` in order
/// (`below_thresholds`, `poly::eval`, `products_raw` of two pairs, `truncate`). A change to that
/// sequence must be made here too: `tests/it/cost.rs` fails until it is.
pub fn exp(m: &mut Meter, n: usize, f: u32) -> Result<(), RunError> {
    if m.mode == CompareMode::Fss {
        return exp_fine(m, n, f);
    }
    let w = exp_p::W;
    if f + 8 > w {
        return Err(invalid("exp", format!("input at scale {f} > {}", w - 8)));
    }
    // The interval width D = 2·ln 2 of the range reduction (multipliers 4^m).
    let d = 2.0 * std::f64::consts::LN_2;
    let m_lo = (exp_p::underflow_point(f) / d).floor() as i64;
    let m_hi = (exp_p::overflow_point(f) / d).ceil() as i64 - 1;
    let thresholds = usize::try_from(m_hi - m_lo + 2).unwrap_or(0);
    m.below_thresholds(n, thresholds)?;
    let sp = if (w - f).is_multiple_of(2) { w } else { w - 1 };
    poly_eval(m, n, exp_p::DEGREE, w, sp)?;
    m.mul_raw(2 * n)?;
    let s_a = u32::try_from(-2 * m_lo.min(0)).unwrap_or(0);
    m.truncate(n, sp + s_a - f)
}

/// `exp::exp_fine` (the DCF comparisons): the calls of `exp_fine` in order, with the plan's
/// figures from `exp::fine_shape` — one batched comparison, the polynomial (`poly::eval_with`),
/// one round of one product per multiplier group, one batched truncation.
fn exp_fine(m: &mut Meter, n: usize, f: u32) -> Result<(), RunError> {
    let shape = exp_p::fine_shape(f).map_err(|e| invalid("exp", e))?;
    m.below_thresholds(n, shape.thresholds)?;
    powers(m, n, shape.degree, shape.w)?;
    let sum_scale = shape.w + shape.coef_bits;
    m.truncate(n, sum_scale - shape.p_scale.min(sum_scale))?;
    m.mul_raw(shape.group_bits.len() * n)?;
    let parts: Vec<(usize, u32)> = shape.group_bits.iter().map(|&bits| (n, bits)).collect();
    m.truncate_batch(&parts)
}

/// `bits::decompose` of `n` elements with `side` extra product pairs.
fn decompose(m: &mut Meter, n: usize, f: u32, side: usize) -> Result<(), RunError> {
    if f >= NORM_BITS {
        return Err(invalid("approx", format!("input at scale {f} ≥ {NORM_BITS}")));
    }
    m.a2b(n)?;
    for _ in 0..6 {
        m.and_words(n)?;
    }
    // `b2a_bits` of 2n words at WORD_BITS + 1 positions: one opened word per element.
    let positions = WORD_BITS as usize + 1;
    m.open_masked(&crate::dealer::Request::Bits { n: 2 * n * positions }, 2 * n)?;
    let norm_pairs = 1 + (WORD_BITS - NORM_BITS) as usize;
    m.mul_raw((norm_pairs + side) * n)
}

/// `log::log`.
fn log(m: &mut Meter, n: usize, f: u32) -> Result<(), RunError> {
    decompose(m, n, f, 0)?;
    poly_eval(m, n, FIT_DEGREE, NORM_BITS, f)
}

/// `sqrt::root` for the exponent `e` (±1/2).
fn root(m: &mut Meter, n: usize, f: u32, e: f64) -> Result<(), RunError> {
    let b = NORM_BITS;
    let exponent = |j: usize| e * (j as f64 + 1.0 - f64::from(f));
    let p_max = if e < 0.0 { 0.5 } else { 0.0 };
    let scale_for = |g: f64| (61.0 - f64::from(b) - p_max - g).floor().clamp(1.0, 40.0) as u32;
    const SPLIT: f64 = 12.0;
    let small_max = (0..WORD_BITS as usize).map(exponent).filter(|&v| v <= SPLIT).fold(f64::MIN, f64::max);
    let large_max = (0..WORD_BITS as usize).map(exponent).filter(|&v| v > SPLIT).fold(f64::MIN, f64::max);
    let s_small = scale_for(small_max);
    decompose(m, n, f, 0)?;
    poly_eval(m, n, FIT_DEGREE, b, b)?;
    if large_max == f64::MIN {
        m.mul_raw(n)?;
        return m.truncate(n, b + s_small - f);
    }
    let s_large = scale_for(large_max);
    m.mul_raw(2 * n)?;
    m.truncate(n, b + s_small - f)?;
    m.truncate(n, b + s_large - f)
}

/// `reciprocal::reciprocal`.
pub fn reciprocal(m: &mut Meter, n: usize, f: u32) -> Result<(), RunError> {
    let s = (61 - NORM_BITS - 1).saturating_sub(f.saturating_sub(1)).max(1);
    decompose(m, n, f, 1)?;
    poly_eval(m, n, FIT_DEGREE, NORM_BITS, NORM_BITS)?;
    m.mul_raw(n)?;
    m.truncate(n, NORM_BITS + s - f)
}

/// `approx::unary` of `n` elements at scale `f` (the run's precision).
pub fn unary(m: &mut Meter, op: UnaryOp, n: usize, f: u32) -> Result<(), RunError> {
    match op {
        UnaryOp::Exp => exp(m, n, f),
        UnaryOp::Log => log(m, n, f),
        UnaryOp::Sqrt => root(m, n, f, 0.5),
        UnaryOp::InvSqrt => root(m, n, f, -0.5),
        UnaryOp::Reciprocal => reciprocal(m, n, f),
        UnaryOp::Sigmoid | UnaryOp::Tanh => piecewise(m, n, f, 16),
        _ => Err(invalid("approx", format!("`{}` is not an approximated op", mpcc_ir::unary_name(op)))),
    }
}

/// `select::reduce_extreme` over `rows` rows of `len` candidates, with the one-hot (`track`).
pub fn reduce_extreme(m: &mut Meter, rows: usize, len: usize, track: bool) -> Result<(), RunError> {
    if len == 0 {
        return Err(invalid("max", "reduction over an empty axis".into()));
    }
    let fss = m.mode == CompareMode::Fss;
    let mut count = len;
    let mut blocks: Vec<usize> = vec![1; len];
    while count > 1 {
        let half = count / 2;
        let pairs = rows * half;
        if fss {
            m.msb_and_product(pairs)?;
        } else {
            m.msb(pairs)?;
        }
        let paired: usize = blocks.get(..2 * half).map_or(0, |b| b.iter().sum());
        let total = if fss { 0 } else { pairs } + if track { rows * paired } else { 0 };
        if total > 0 {
            m.mul_raw(total)?;
        }
        blocks = blocks.chunks(2).map(|b| b.iter().sum()).collect();
        count -= half;
    }
    Ok(())
}

/// `pairwise::winners` over `rows` rows of `n` ≥ 2.
fn pairwise_winners(m: &mut Meter, rows: usize, n: usize) -> Result<(), RunError> {
    m.msb(rows * n * (n - 1) / 2)?;
    let mut bits = n - 1;
    while bits > 1 {
        let half = bits / 2;
        m.mul_raw(half * rows * n)?;
        bits = half + bits % 2;
    }
    Ok(())
}

/// `argmax`/`argmin` over `rows` rows of `len` (`exec::mpc::ops`): pairwise for short rows, else
/// the tree with the one-hot.
pub fn arg_extreme(m: &mut Meter, rows: usize, len: usize) -> Result<(), RunError> {
    if (2..=crate::protocols::pairwise::PAIRWISE_ROWS).contains(&len) {
        pairwise_winners(m, rows, len)
    } else {
        reduce_extreme(m, rows, len, true)
    }
}

/// `softmax::all_pairs_max` over `rows` rows of `n` ≥ 2.
fn all_pairs_max(m: &mut Meter, rows: usize, n: usize) -> Result<(), RunError> {
    pairwise_winners(m, rows, n)?;
    m.mul_raw(rows * n)
}

/// `softmax::shifted_exp` of a tensor of `total` elements in `rows` rows of `n` (scale `f`).
fn shifted_exp(m: &mut Meter, total: usize, rows: usize, n: usize, f: u32) -> Result<(), RunError> {
    if (2..=PIECEWISE_ROWS).contains(&n) && m.mode != CompareMode::Fss {
        all_pairs_max(m, rows, n)?;
    } else {
        reduce_extreme(m, rows, n, false)?;
    }
    if n <= PIECEWISE_ROWS {
        let pieces = (-exp_p::underflow_point(f)).ceil().max(1.0) as usize;
        piecewise(m, total, f, pieces)
    } else {
        exp(m, total, f)
    }
}

/// `softmax::softmax` (`log` false) or `log_softmax` (`log` true) of `dims` along `axis`, at
/// scale `f`.
pub fn softmax(m: &mut Meter, dims: &[usize], axis: usize, f: u32, log_of: bool) -> Result<(), RunError> {
    let Some(&n) = dims.get(axis) else {
        return Err(invalid("softmax", format!("axis {axis} of a {}-d tensor", dims.len())));
    };
    let total: usize = dims.iter().product();
    let rows: usize = dims.iter().enumerate().filter(|&(a, _)| a != axis).map(|(_, d)| d).product();
    shifted_exp(m, total, rows, n, f)?;
    let pieces = n.saturating_sub(1).max(1);
    if log_of {
        return if n <= PIECEWISE_ROWS { piecewise(m, rows, f, pieces) } else { log(m, rows, f) };
    }
    if n <= PIECEWISE_ROWS {
        piecewise(m, rows, f, pieces)?;
    } else {
        reciprocal(m, rows, f)?;
    }
    m.mul(total, f, f).map(|_| ())
}
