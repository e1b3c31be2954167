//! Piecewise polynomials selected by one batched comparison: for a bounded smooth g (sigmoid,
//! tanh) on [lo, hi], one MSB compares x with every breakpoint lo + i·w at once; neighbouring
//! bits differ only at x's piece, so the piece's one-hot is local, and so are t = x - centre
//! (at scale `W`) and the piece's coefficients `C_k = Σ_i onehot_i·c_ik` (public coefficients,
//! private selection). Below lo and from hi on, the constant `below`/`above` is selected instead.
//! The powers t^2..t^8 take 3 levels of fused products (`protocols::fused`: each level's opening
//! also truncates the powers the level before made); one more round multiplies each power by its
//! selected coefficient, truncating the last level's powers on the way, and one truncation brings
//! the sum to the output scale.
//!
//! Error: a degree-8 Chebyshev interpolant on each piece (g analytic in a strip around the real
//! axis wider than the half-width, so about 1e-7 or better), plus one unit in the last place.
//! Outside [lo, hi] the powers of a meaningless t multiply exactly-zero coefficients.
//! Cost: comparison (L + 8) + powers (3) + products (1) + truncation (1) = L + 13 rounds; per
//! element one MSB per breakpoint and 8 products (without a dealer: powers 6 and one more
//! truncation, L + 16).

use super::kernels::{combine_bits, flat, intervals, products_raw, shaped, Intervals};
use super::poly;
use crate::fixed::encode_scaled;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::fused::{products, Factor};
use crate::protocols::trunc::truncate;
use crate::ring::to_vec;
use crate::share::Shared;

/// The working scale of t and its powers.
const W: u32 = 28;
/// The scale of the selected coefficients.
const C_SCALE: u32 = 30;
/// The degree on each piece.
const DEGREE: usize = 8;

/// A bounded function given piecewise on [lo, lo + pieces·width), constant outside.
pub(super) struct Pieces {
    pub g: fn(f64) -> f64,
    pub lo: f64,
    pub width: f64,
    pub pieces: usize,
    pub below: f64,
    pub above: f64,
}

/// `g(x)` at x's scale (see the module doc).
pub(super) fn eval(party: &mut Party, x: &Shared, spec: &Pieces) -> Result<Shared, MpcError> {
    let f = x.scale;
    if f > W {
        return Err(party.invalid("approx", format!("input at scale {f} > {W}")));
    }
    let n = x.len();
    let xs = to_vec(&x.data);
    let breaks: Vec<f64> = (0..=spec.pieces).map(|i| spec.lo + i as f64 * spec.width).collect();
    let Intervals { below, onehot, above } = intervals(party, x, &breaks)?;
    let centre = |i: usize| spec.lo + (i as f64 + 0.5) * spec.width;
    let shift = combine_bits(&onehot, n, centre, W)?;
    let t: Vec<u64> = xs.iter().zip(&shift).map(|(v, s)| (v << (W - f)).wrapping_sub(*s)).collect();
    // Coefficients of each piece in t: fit in v = 2t/width on [-1, 1], then a_k·(2/width)^k.
    let fits: Vec<Vec<f64>> = (0..spec.pieces)
        .map(|i| {
            let c = centre(i);
            let half = spec.width / 2.0;
            let g = spec.g;
            poly::chebyshev_fit(move |v| g(c + v * half), DEGREE)
                .into_iter()
                .enumerate()
                .map(|(k, a)| a / half.powi(k as i32))
                .collect()
        })
        .collect();
    let coef = |i: usize, k: usize| fits.get(i).and_then(|c| c.get(k)).copied().unwrap_or(0.0);
    let powers = poly::powers_fused(party, &flat(t, W)?, DEGREE)?;
    let selected: Vec<Vec<u64>> =
        (1..=DEGREE).map(|k| combine_bits(&onehot, n, |i| coef(i, k), C_SCALE)).collect::<Result<_, _>>()?;
    // One round: each power times its selected coefficient, the powers the tree left pending
    // truncated by the same opening.
    let mut factors: Vec<Factor> = (1..=DEGREE).map(|k| powers.factor(k, W)).collect();
    factors.extend(selected.iter().map(|c| Factor::Ready(c)));
    let prods = if party.dealer().dealt() {
        let pairs: Vec<[usize; 2]> = (0..DEGREE).map(|k| [k, DEGREE + k]).collect();
        products(party, &factors, &pairs)?.products
    } else {
        let pairs: Vec<(&[u64], &[u64])> =
            powers.words.iter().skip(1).zip(&selected).map(|(p, c)| (p.as_slice(), c.as_slice())).collect();
        products_raw(party, &pairs)?
    };
    // The constant term at scale W + C_SCALE: the pieces' c_i0, and the constants outside.
    let sum_scale = W + C_SCALE;
    let mut acc = combine_bits(&onehot, n, |i| coef(i, 0), sum_scale)?;
    let (b, a) = (encode_scaled(spec.below, sum_scale)?, encode_scaled(spec.above, sum_scale)?);
    acc.iter_mut().zip(below.iter().zip(&above)).for_each(|(acc, (lb, la))| {
        *acc = acc.wrapping_add(lb.wrapping_mul(b)).wrapping_add(la.wrapping_mul(a));
    });
    for p in &prods {
        acc.iter_mut().zip(p).for_each(|(acc, p)| *acc = acc.wrapping_add(*p));
    }
    let out = truncate(party, &flat(acc, sum_scale)?, sum_scale - f)?;
    shaped(out, x.shape())
}
