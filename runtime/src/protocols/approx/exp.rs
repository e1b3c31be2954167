//! `exp(x)` on private values, right on every input the encoding admits.
//!
//! Both methods reduce the range by one batched comparison of x with public thresholds: the
//! underflow point lo = -(f+1)·ln 2 (below it e^x < 2^-(f+1) rounds to 0), points in between,
//! and the overflow point hi = (62-f)·ln 2 (from it on e^x does not encode). Differences of
//! neighbouring bits give the one-hot of x's interval (local), and with it, as local linear
//! combinations with public coefficients, the reduced argument and the multiplier. Which method
//! runs depends on what a threshold costs (`party.compare_mode()`).
//!
//! **Fine reduction** ([`exp_fine`], `CompareMode::Fss`, 2 parties), where any number of
//! thresholds costs one DCF key and one opened word per element. Centres c = e·ln 2 + ln(q/64) for
//! every octave e and the four mantissas q/64 of `MANTISSAS` (1.09375 … 1.84375), so that the
//! multiplier e^c = q·2^(e-6) is a dyadic rational with 6 fractional bits; the thresholds are the
//! midpoints between neighbouring centres (about 4·63 = 253 cells between lo and hi; the largest
//! gap between centres is 0.176, so |u| = |x - c| ≤ 0.0881). u at scale 32 (exact but for the
//! centre's rounding, 2^-33), a degree-4 Chebyshev interpolant of e^u on |u| ≤ 0.0881 + 2^-f
//! (relative error 3.0e-9 at f = 16; coefficients at 28 fractional bits, the sum at scale 60)
//! gives P = e^u at scale 32 after 2 power levels and the sum's truncation. Then e^x = P·q·2^(e-6)
//! in three groups of octaves, each a product P × (one-hot combination of the multipliers
//! q·2^(e-6+s), integers): for the large results (e ≥ 6 + 32 - f) s = f - 32 and the product lands
//! at scale f with no truncation, keeping P's relative precision up to the largest encodable
//! result; the two groups below (about 23 octaves each: e in [-1, 21] and [-18, -2] at f = 16) take
//! the largest s that keeps their raw products below 2^62 (s = 7 and 30 at f = 16) and are
//! truncated by 32 + s - f bits (23 and 46), both in one batched truncation round. Every multiplier
//! is exact, so the error is P's (about 3.5e-9 relative) plus one truncation's unit in the last
//! place for results below 2^(38-f) (a group whose multiplier is 0 truncates an exact 0 to 0).
//!
//! **Coarse reduction** ([`exp_coarse`], `CompareMode::Tree`), where every threshold is a
//! comparison of its own: thresholds at every multiple m·D of D = 2·ln 2 (about 34). x1 = x - m·D
//! lies in [0, D), a degree-8 Chebyshev polynomial gives P = e^x1 in [1, 4] at scale `P_SCALE`,
//! and e^x = P·4^m: for large m, 4^m·2^(f - P_SCALE) is an integer and the product needs no
//! truncation (so results up to 2^(62-f) keep P's relative precision); for small and negative m
//! the product with 4^m·2^S (S = -2·m_lo) is truncated. Both products share one Beaver round; one
//! truncation follows.
//!
//! Outside [lo, hi) (both methods): below lo every multiplier is 0 and the result is 0; from hi on
//! the result is the largest encodable value (2^62 - 1)·2^-f (2^46 at f = 16), saturated, not
//! wrapped. The polynomial of an out-of-range element sees a meaningless argument, but its product
//! with a zero multiplier is exactly 0 (and so is the truncation of an exact 0).
//!
//! Cost, per element for N = 2 (bytes each party sends; dealer bytes to both parties):
//! - fine (DCF): comparison (1) + polynomial (2 levels of fused products, the last level's
//!   truncation, the sum's: 4) + products (1) + batched truncation (1) = 7 rounds; 120 bytes
//!   (`docs/accuracy.md`); dealer 3240 bytes: 3080 for the DCF key, the rest for the fused
//!   products' masks and variant products, the truncation pairs, 3 triples. Local CPU: the key is evaluated at 254
//!   points (34 for the coarse method), about 5× the coarse method's CPU (`examples/exp_bench.rs`).
//! - coarse (carry tree): comparison (L + 8) + polynomial (5) + product (1) + truncation (1) =
//!   L + 15 rounds (15 for N = 2, 16 for N = 3, 18 for N = 5); about 2 + (62 + 1)/2 comparisons per
//!   element, so the bytes per element are those of some 34 comparisons. (With the DCF the coarse
//!   method took 10 rounds, 224 bytes and 3296 dealer bytes.)

use super::kernels::{combine_bits, flat, intervals, products_raw, shaped, Intervals};
use super::poly;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::compare::CompareMode;
use crate::protocols::trunc::{truncate, truncate_batch};
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

/// `e^x` at the run's precision (x's scale), for every encodable x (see the module doc): the
/// fine reduction with the DCF comparisons (2 parties, 7 rounds), the coarse one with the carry
/// tree (where every threshold is a comparison of its own).
pub fn exp(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    match party.compare_mode() {
        CompareMode::Fss => exp_fine(party, x),
        CompareMode::Tree => exp_coarse(party, x),
    }
}

/// The coarse reduction (intervals of width 2·ln 2, multipliers 4^m, degree 8): the method with
/// the carry tree, and with the DCF comparisons until the fine one replaced it (kept public for
/// the comparison in `examples/exp_bench.rs`). Any comparison mode.
pub fn exp_coarse(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
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
    let Intervals { onehot, above: over, .. } = intervals(party, x, &thresholds)?;
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

/// Fine reduction: the scale of the argument u = x - centre (|u| < 0.09).
const FINE_W: u32 = 32;
/// Fine reduction: the degree of the polynomial for e^u.
pub const FINE_DEGREE: usize = 4;
/// Fine reduction: the scale of P = e^u (in [0.91, 1.1]).
const FINE_P_SCALE: u32 = 32;
/// Fine reduction: the coefficients' scale in the polynomial's sum (at scale 32 + 28 = 60).
const FINE_COEF_BITS: u32 = 28;
/// Fine reduction: fractional bits of the multiplier mantissas.
const MANTISSA_BITS: u32 = 6;
/// Fine reduction: the mantissas q/2^6 of the four centres ln(q/64) + e·ln 2 in each octave
/// (1.09375, 1.296875, 1.546875, 1.84375): among the 6-bit dyadic rationals in [1, 2), the four
/// whose logarithms leave the smallest largest gap between neighbouring centres (0.176, so
/// |u| ≤ 0.0881; the ideal spacing ln 2/4 = 0.173).
const MANTISSAS: [u64; 4] = [70, 83, 99, 118];
/// The largest raw product of a truncated multiplier group, as a power of two: below the
/// truncation's 2^62 range (P·μ < 1.1·1.85 < 2^1.02, so 2^(e + 2) bounds P·M for octave e).
const RAW_PRODUCT_BITS: i64 = 62;

/// One cell of the fine reduction: x in it is reduced to u = x - centre, with the multiplier
/// e^centre = q·2^(e - MANTISSA_BITS) exactly (centre = e·ln 2 + ln(q/2^6)).
#[derive(Clone, Copy, Debug)]
struct Cell {
    e: i64,
    q: u64,
    centre: f64,
}

/// The multipliers of the octaves `lo..=hi` at scale `scale` (each q·2^(e - 6 + scale), an
/// integer), their products with P (scale 32) truncated by `bits` to the output scale (none for
/// the large results' group, `bits` = 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Group {
    lo: i64,
    hi: i64,
    scale: i64,
    bits: u32,
}

/// The public layout of the fine reduction at `f` fractional bits.
#[derive(Debug)]
struct FinePlan {
    /// Ascending: lo, the midpoints between neighbouring centres, hi.
    thresholds: Vec<f64>,
    /// Cell k lies between thresholds k and k + 1.
    cells: Vec<Cell>,
    /// The largest |x - centre| in a cell.
    half_width: f64,
    /// From the largest results down: the untruncated group, then the truncated ones.
    groups: Vec<Group>,
}

/// The cells covering [lo, hi) and the multiplier groups (see the module doc).
fn fine_plan(f: u32) -> Result<FinePlan, String> {
    let ln2 = std::f64::consts::LN_2;
    let (lo, hi) = (underflow_point(f), overflow_point(f));
    let b = i64::from(MANTISSA_BITS);
    let unit = 2f64.powi(MANTISSA_BITS as i32);
    // Every centre of the octaves around [lo, hi), ascending.
    let (e_from, e_to) = ((lo / ln2).floor() as i64 - 1, (hi / ln2).ceil() as i64 + 1);
    let all: Vec<Cell> = (e_from..=e_to)
        .flat_map(|e| MANTISSAS.iter().map(move |&q| Cell { e, q, centre: e as f64 * ln2 + (q as f64 / unit).ln() }))
        .collect();
    let mids: Vec<f64> = all.windows(2).map(|w| w.iter().map(|c| c.centre).sum::<f64>() / 2.0).collect();
    let mut thresholds = vec![lo];
    let mut cells = Vec::new();
    let mut half_width = 0f64;
    // Cell i of `all` spans [mids[i - 1], mids[i]).
    for (i, cell) in all.iter().enumerate() {
        let (Some(&below), Some(&above)) = (i.checked_sub(1).and_then(|j| mids.get(j)), mids.get(i)) else {
            continue;
        };
        if above <= lo || below >= hi {
            continue;
        }
        if below <= lo && !cells.is_empty() {
            return Err("two cells below the underflow point".into());
        }
        if below > lo && cells.is_empty() {
            return Err("the first cell does not reach the underflow point".into());
        }
        let (from, to) = (below.max(lo), above.min(hi));
        half_width = half_width.max(cell.centre - from).max(to - cell.centre);
        if to < hi {
            thresholds.push(to);
        }
        cells.push(*cell);
    }
    thresholds.push(hi);
    let (Some(first), Some(last)) = (cells.first(), cells.last()) else {
        return Err("no cells".into());
    };
    // Untruncated: q·2^(e - 6)·2^(f - 32) an integer. Then groups of octaves, from the top down,
    // at the largest scale that keeps their raw products below 2^62.
    let sp = i64::from(FINE_P_SCALE);
    let fi = i64::from(f);
    let b_from = b + sp - fi;
    let mut groups = vec![Group { lo: b_from, hi: last.e, scale: fi - sp, bits: 0 }];
    let mut top = b_from - 1;
    while top >= first.e {
        let scale = RAW_PRODUCT_BITS - 2 - sp - top;
        let bits = u32::try_from(sp + scale - fi).map_err(|_| "a negative truncation")?;
        if bits == 0 || bits > 62 {
            return Err(format!("a truncation by {bits} bits"));
        }
        // Exact multipliers: e - 6 + scale ≥ 0.
        let lo = (b - scale).max(first.e);
        groups.push(Group { lo, hi: top, scale, bits });
        top = lo - 1;
    }
    Ok(FinePlan { thresholds, cells, half_width, groups })
}

/// What the fine reduction at `f` fractional bits asks of the protocols, in the order
/// [`exp_fine`] asks it (the cost model, `crate::cost::approx`, follows this).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FineShape {
    /// Public thresholds of the one batched comparison.
    pub thresholds: usize,
    /// The polynomial: degree, argument scale, output scale, coefficient bits.
    pub degree: usize,
    pub w: u32,
    pub p_scale: u32,
    pub coef_bits: u32,
    /// Each multiplier group's truncation in the batched round (0: none), one product each.
    pub group_bits: Vec<u32>,
}

/// The [`FineShape`] at `f` fractional bits, or why the fine reduction cannot run there.
pub fn fine_shape(f: u32) -> Result<FineShape, String> {
    if f + 12 > FINE_W {
        return Err(format!("input at scale {f} > {}", FINE_W - 12));
    }
    let plan = fine_plan(f)?;
    Ok(FineShape {
        thresholds: plan.thresholds.len(),
        degree: FINE_DEGREE,
        w: FINE_W,
        p_scale: FINE_P_SCALE,
        coef_bits: FINE_COEF_BITS,
        group_bits: plan.groups.iter().map(|g| g.bits).collect(),
    })
}

/// The monomial coefficients (in u) of the degree-4 Chebyshev interpolant of e^u on [-h, h],
/// h = the plan's half-width plus 2^-f (the encoded thresholds move a cell's ends by at most
/// 2^-(f+1)).
fn fine_coeffs(plan: &FinePlan, f: u32) -> Vec<f64> {
    let h = plan.half_width + 2f64.powi(-(f as i32));
    poly::chebyshev_fit(|t| (t * h).exp(), FINE_DEGREE).iter().zip(0i32..).map(|(c, k)| c / h.powi(k)).collect()
}

/// The fine reduction with the DCF comparisons (module doc): one comparison with about 4 public
/// thresholds per octave, a degree-4 polynomial, one product round, one batched truncation.
pub fn exp_fine(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let f = x.scale;
    if f + 12 > FINE_W {
        return Err(party.invalid("exp", format!("input at scale {f} > {}", FINE_W - 12)));
    }
    let plan = fine_plan(f).map_err(|e| party.invalid("exp", e))?;
    let n = x.len();
    let xs = to_vec(&x.data);
    let Intervals { onehot, above: over, .. } = intervals(party, x, &plan.thresholds)?;
    if onehot.len() != plan.cells.len() {
        return Err(party.invalid("exp", "too few comparison bits"));
    }
    // u = x - centre at scale FINE_W.
    let centre = combine_bits(&onehot, n, |k| plan.cells.get(k).map_or(0.0, |c| c.centre), FINE_W)?;
    let u: Vec<u64> = xs.iter().zip(&centre).map(|(v, c)| (v << (FINE_W - f)).wrapping_sub(*c)).collect();
    let coeffs = fine_coeffs(&plan, f);
    let p = to_vec(&poly::eval_with(party, &flat(u, FINE_W)?, &coeffs, None, FINE_P_SCALE, FINE_COEF_BITS)?.data);
    // One multiplier per group: q·2^(e - 6 + scale) in the group's octaves, 0 elsewhere.
    let mults = plan
        .groups
        .iter()
        .map(|g| {
            let coef = |k: usize| match plan.cells.get(k) {
                Some(c) if (g.lo..=g.hi).contains(&c.e) => {
                    c.q as f64 * 2f64.powi((c.e - i64::from(MANTISSA_BITS) + g.scale) as i32)
                }
                _ => 0.0,
            };
            combine_bits(&onehot, n, coef, 0)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let pairs: Vec<(&[u64], &[u64])> = mults.iter().map(|m| (p.as_slice(), m.as_slice())).collect();
    let prods = products_raw(party, &pairs)?;
    let raw = plan.groups.iter().zip(prods).map(|(g, v)| flat(v, f + g.bits)).collect::<Result<Vec<_>, _>>()?;
    let parts: Vec<(&Shared, u32)> = raw.iter().zip(&plan.groups).map(|(r, g)| (r, g.bits)).collect();
    let outs = truncate_batch(party, &parts)?;
    let max = (1u64 << 62) - 1;
    let mut out: Vec<u64> = over.iter().map(|o| o.wrapping_mul(max)).collect();
    for o in &outs {
        out.iter_mut().zip(to_vec(&o.data)).for_each(|(a, b)| *a = a.wrapping_add(b));
    }
    shaped(flat(out, f)?, x.shape())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::{MAX_FRAC_BITS, MIN_FRAC_BITS};

    #[test]
    fn fine_plans_are_exact_and_fit_the_ring_at_every_precision() {
        for f in MIN_FRAC_BITS..=MAX_FRAC_BITS {
            let plan = fine_plan(f).unwrap();
            assert!(plan.half_width < 0.0882, "f = {f}: half-width {}", plan.half_width);
            assert_eq!(plan.thresholds.len(), plan.cells.len() + 1, "f = {f}");
            assert!(plan.thresholds.windows(2).all(|w| w[0] < w[1]), "f = {f}");
            // At most four cells per octave: 4·63 + 1 at any f.
            assert!(plan.cells.len() <= 4 * 63 + 1, "f = {f}: {} cells", plan.cells.len());
            // The untruncated group and at most two truncated ones, so 3 products per element.
            assert!(plan.groups.len() <= 3, "f = {f}: {:?}", plan.groups);
            for (k, c) in plan.cells.iter().enumerate() {
                let groups: Vec<&Group> = plan.groups.iter().filter(|g| (g.lo..=g.hi).contains(&c.e)).collect();
                assert_eq!(groups.len(), 1, "f = {f}: octave {} in {:?}", c.e, plan.groups);
                let g = groups[0];
                // An exact integer multiplier.
                assert!(c.e - i64::from(MANTISSA_BITS) + g.scale >= 0, "f = {f}: {c:?} in {g:?}");
                assert_eq!(i64::from(FINE_P_SCALE) + g.scale, i64::from(f + g.bits), "f = {f}: {g:?}");
                // The raw product P·M·2^(f + bits) stays below 2^62 (P·M ≤ e^x below the cell's
                // upper end, within the polynomial's error; the top cell ends at the overflow point).
                let upper = plan.thresholds[k + 1] - 2f64.powi(-(f as i32));
                let raw = upper.exp() * (1.0 + 1e-7) * 2f64.powi((f + g.bits) as i32);
                assert!(raw < 2f64.powi(62), "f = {f}: {c:?} in {g:?}: raw product 2^{}", raw.log2());
                assert!((c.centre - (c.q as f64 * 2f64.powi(c.e as i32 - 6)).ln()).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn fine_polynomial_is_within_a_few_parts_per_billion() {
        for f in [MIN_FRAC_BITS, 16, MAX_FRAC_BITS] {
            let plan = fine_plan(f).unwrap();
            let coeffs = fine_coeffs(&plan, f);
            let h = plan.half_width + 2f64.powi(-(f as i32));
            let worst = (0..=1000)
                .map(|i| -h + 2.0 * h * i as f64 / 1000.0)
                .map(|u| (poly::eval_f64(&coeffs, u) / u.exp() - 1.0).abs())
                .fold(0.0, f64::max);
            // Measured: 3.7e-9 at f = 8, 3.0e-9 at f = 16 and 20.
            assert!(worst < if f == 16 { 3.2e-9 } else { 4e-9 }, "f = {f}: relative error {worst}");
        }
    }
}
