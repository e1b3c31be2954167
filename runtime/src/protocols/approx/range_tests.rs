//! Property tests over the whole encodable range (16 fractional bits: |x| < 2^46 ≈ 7.04e13), for
//! 2, 3 and 5 parties against f64: inputs log-uniform across the encodable magnitudes, both signs
//! where the function takes them. The tolerance of each function is the one docs/accuracy.md
//! states for the whole range; the reference is f64 at the encoded input.

use super::{exp, log, reciprocal, sigmoid, softmax, sqrt};
use crate::protocols::tests::{config, run_op, PARTY_COUNTS};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

/// One unit in the last place at 16 fractional bits.
const ULP: f64 = 1.0 / 65536.0;
/// The largest real that encodes at 16 fractional bits, 2^46.
const LIMIT: f64 = 70_368_744_177_664.0;

/// The encoded value of `v` (round to the 2^-16 grid), so that the reference sees what the
/// parties see.
fn encoded(v: f64) -> f64 {
    (v / ULP).round() * ULP
}

/// Magnitudes log-uniform in [2^-15, 2^46) (the smallest positive encodable values excluded, so
/// that the input's rounding does not dominate), as a tensor of up to 8 elements.
fn magnitudes(signed: bool) -> impl Strategy<Value = Vec<f64>> {
    let one = (-15.0f64..45.99, any::<bool>())
        .prop_map(move |(e, neg)| encoded(if signed && neg { -(2f64.powf(e)) } else { 2f64.powf(e) }));
    prop::collection::vec(one, 1..=8)
}

fn tensor(v: &[f64]) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0])))
}

type Op =
    fn(&mut crate::party::Party, &crate::share::Shared) -> Result<crate::share::Shared, crate::mpc_error::MpcError>;

/// Runs `op` for 2, 3 and 5 parties; |got - f(x)| ≤ abs + rel·|f(x)| everywhere.
fn check(xs: &[f64], op: Op, f: impl Fn(f64) -> f64, abs: f64, rel: f64) {
    let x = tensor(xs);
    for n in PARTY_COUNTS {
        let got = run_op(n, std::slice::from_ref(&x), |party, s| op(party, &s[0]));
        assert_eq!(got.len(), xs.len());
        for (g, v) in got.iter().zip(xs) {
            let want = f(*v);
            let tol = abs + rel * want.abs();
            assert!((g - want).abs() <= tol, "{n} parties: f({v}) = {g}, want {want} (tolerance {tol})");
        }
    }
}

/// exp's reference: 0 below the underflow point (within the tolerance), the saturated value from
/// the (encoded) overflow point on.
fn exp_ref(x: f64) -> f64 {
    if x >= encoded(exp::overflow_point(16)) {
        exp::saturated(16)
    } else {
        x.exp()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn exp_on_every_encodable_input(
        near in prop::collection::vec(-45.0f64..40.0, 1..=6),
        far in magnitudes(true),
    ) {
        let xs: Vec<f64> = near.iter().map(|v| encoded(*v)).chain(far).collect();
        check(&xs, exp::exp, exp_ref, 3.0 * ULP, 1e-7);
    }

    #[test]
    fn log_on_every_positive_encodable_input(xs in magnitudes(false)) {
        check(&xs, log::log, f64::ln, 2.0 * ULP, 0.0);
    }

    #[test]
    fn reciprocal_on_every_encodable_input(xs in magnitudes(true)) {
        check(&xs, reciprocal::reciprocal, f64::recip, 2.0 * ULP, 1e-6);
    }

    #[test]
    fn roots_on_every_positive_encodable_input(xs in magnitudes(false)) {
        check(&xs, sqrt::sqrt, f64::sqrt, 2.0 * ULP, 1e-6);
        check(&xs, sqrt::inv_sqrt, |v| 1.0 / v.sqrt(), 2.0 * ULP, 1e-6);
    }

    #[test]
    fn sigmoid_and_tanh_on_every_encodable_input(xs in magnitudes(true)) {
        check(&xs, sigmoid::sigmoid, |v| 1.0 / (1.0 + (-v).exp()), 2.0 * ULP, 0.0);
        check(&xs, sigmoid::tanh, f64::tanh, 2.0 * ULP, 0.0);
    }

    #[test]
    fn softmax_for_any_spread_of_logits(row in prop::collection::vec(-1.0f64..1.0, 2..=6), spread in 0.0f64..40.0) {
        // Logits spread over up to ±2^spread (2^40 ≈ 1.1e12 apart at most).
        let scale = 2f64.powf(spread);
        let xs: Vec<f64> = row.iter().map(|v| encoded(v * scale)).collect();
        let x = ArrayD::from_shape_vec(IxDyn(&[1, xs.len()]), xs.clone()).unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0])));
        let max = xs.iter().copied().fold(f64::MIN, f64::max);
        let lse = max + xs.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        for n in PARTY_COUNTS {
            let soft = run_op(n, std::slice::from_ref(&x), |party, s| softmax::softmax(party, &s[0], 1));
            let logs = run_op(n, std::slice::from_ref(&x), |party, s| softmax::log_softmax(party, &s[0], 1));
            for ((v, s), l) in xs.iter().zip(soft.iter()).zip(logs.iter()) {
                let want_l = v - lse;
                prop_assert!((s - want_l.exp()).abs() <= 4.0 * ULP, "{n} parties: softmax {v} in {xs:?}: {s}");
                prop_assert!((l - want_l).abs() <= 4.0 * ULP + 1e-12 * want_l.abs(), "{n} parties: log_softmax {v} in {xs:?}: {l}, want {want_l}");
            }
        }
    }
}

#[test]
fn exp_ends_of_the_range() {
    // The documented behaviour at the ends: 0 below the underflow point, the largest encodable
    // value from the overflow point on, for every encodable input magnitude.
    let xs = [-LIMIT + 1.0, -1e6, -40.0, -12.0, 31.8, 31.9, 40.0, 1e6, LIMIT - 1.0].map(encoded);
    check(&xs, exp::exp, exp_ref, 3.0 * ULP, 1e-7);
}

/// Runs `op` with 2 parties on `xs` encoded at `frac_bits`; returns the encoded inputs and the
/// decoded outputs.
fn at_precision(frac_bits: u32, xs: &[f64], op: Op) -> (Vec<f64>, Vec<f64>) {
    use crate::fixed::FixedPoint;
    use crate::share::{reveal, share_from};
    use crate::simulate::{simulate, SimConfig};
    let fixed = FixedPoint::new(frac_bits).unwrap();
    let enc = fixed.encode(&tensor(xs)).unwrap();
    let input: Vec<f64> = fixed.decode(&enc).iter().copied().collect();
    let shape = [xs.len()];
    let reports = simulate(&SimConfig::new(2, Some(3)), |party| {
        let share = share_from(party, 0, (party.id() == 0).then_some(&enc), &shape, frac_bits)?;
        let out = op(party, &share)?;
        Ok(reveal(party, &out)?.decode().iter().copied().collect::<Vec<f64>>())
    })
    .unwrap();
    let got = reports[0].output.clone();
    assert_eq!(got.len(), xs.len());
    (input, got)
}

#[test]
fn wide_range_at_the_precision_limits() {
    // f = 8 and f = 20: the ends move (exp's overflow point is 54·ln 2 and 42·ln 2; the largest
    // encodable magnitude 2^54 and 2^42), the methods do not.
    for f in [8u32, 20] {
        let ulp = 2f64.powi(-(f as i32));
        let limit = 2f64.powi(62 - f as i32);
        let hi_enc = (exp::overflow_point(f) / ulp).round() * ulp;
        let xs = [-1e6, -30.0, -5.0, 0.0, 3.0, 20.0, hi_enc - 0.5, hi_enc, 100.0];
        let (input, got) = at_precision(f, &xs, exp::exp);
        for (x, g) in input.iter().zip(&got) {
            let want = if *x >= hi_enc { exp::saturated(f) } else { x.exp() };
            assert!((g - want).abs() <= 3.0 * ulp + 1e-7 * want, "f = {f}: exp({x}) = {g}, want {want}");
        }
        let xs = [ulp, 3.0 * ulp, 0.1, 1.0, 1e3, 1e6, limit * 0.99];
        let (input, got) = at_precision(f, &xs, reciprocal::reciprocal);
        for (x, g) in input.iter().zip(&got) {
            assert!((g - 1.0 / x).abs() <= 2.0 * ulp + 1e-6 / x, "f = {f}: 1/{x} = {g}");
        }
        let (input, got) = at_precision(f, &xs, sqrt::sqrt);
        for (x, g) in input.iter().zip(&got) {
            assert!((g - x.sqrt()).abs() <= 2.0 * ulp + 2e-6 * x.sqrt(), "f = {f}: sqrt({x}) = {g}");
        }
        let (input, got) = at_precision(f, &xs, log::log);
        for (x, g) in input.iter().zip(&got) {
            assert!((g - x.ln()).abs() <= 2.0 * ulp, "f = {f}: ln({x}) = {g}");
        }
    }
}

#[test]
fn softmax_with_ties_and_a_lone_logit() {
    // Ties: the all-pairs maximum gives ties to the first position, so exactly one element wins.
    for row in [vec![1.0, 1.0, 1.0, 1.0], vec![5.0, 5.0, -3.0], vec![-2.0, 7.5, 7.5, 7.5, 0.0], vec![3.0]] {
        let x = ArrayD::from_shape_vec(IxDyn(&[1, row.len()]), row.clone()).unwrap();
        let max = row.iter().copied().fold(f64::MIN, f64::max);
        let total: f64 = row.iter().map(|v| (v - max).exp()).sum();
        for n in PARTY_COUNTS {
            let got = run_op(n, std::slice::from_ref(&x), |party, s| softmax::softmax(party, &s[0], 1));
            assert_eq!(got.len(), row.len());
            for (g, v) in got.iter().zip(&row) {
                let want = (v - max).exp() / total;
                assert!((g - want).abs() <= 4.0 * ULP, "{n} parties: softmax {row:?}: {g}, want {want}");
            }
        }
    }
}
