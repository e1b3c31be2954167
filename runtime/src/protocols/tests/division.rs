//! Division by a public number and `mean` at the ends of the range the encoding admits
//! (|x·2^16| < 2^62, i.e. |x| < 2^46), for divisors from 2^-10 to 2^40 and beyond, against `f64`.
//!
//! Stated tolerance (docs/protocols.md): a relative error of 2^-20 (the factor `1/d`) plus
//! 2 units in the last place, plus the input's own encoding error (ULP/2) divided by |d|.

use super::*;
use crate::protocols::arith;
use ndarray::IxDyn;

const ULP: f64 = 1.0 / 65536.0;
/// The largest real that encodes at 16 fractional bits, 2^46.
const LIMIT: f64 = 70_368_744_177_664.0;

fn tolerance(want: f64, d: f64) -> f64 {
    want.abs() * 2f64.powi(-20) + 2.0 * ULP + 0.5 * ULP / d.abs() + want.abs() * 1e-15
}

fn check_div(got: &ArrayD<f64>, x: &ArrayD<f64>, d: f64) {
    for (g, v) in got.iter().zip(x.iter()) {
        let want = v / d;
        let tol = tolerance(want, d);
        assert!((g - want).abs() <= tol, "{v} / {d}: got {g}, want {want} (tolerance {tol})");
    }
}

/// Dividends near ±2^46 and small ones, mixed in one tensor.
fn dividends() -> impl Strategy<Value = ArrayD<f64>> {
    let big = prop_oneof![0.5f64..0.999_999, -0.999_999f64..-0.5].prop_map(|u| u * LIMIT);
    let any = prop_oneof![big, -1000.0f64..1000.0, -1.0f64..1.0];
    prop::collection::vec(any, 1..=8).prop_map(|v| ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).unwrap())
}

/// Divisors log-uniform in [1, 2^40] with either sign, and exact powers of two.
fn divisor() -> impl Strategy<Value = f64> {
    let log = (0.0f64..40.0).prop_map(|e| 2f64.powf(e));
    let pow2 = (0i32..=40).prop_map(|e| 2f64.powi(e));
    (prop_oneof![log, pow2, 1.0f64..3.0], any::<bool>()).prop_map(|(d, neg)| if neg { -d } else { d })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn div_public_over_the_whole_encoding_range(x in dividends(), d in divisor()) {
        for n in PARTY_COUNTS {
            let got = run_op(n, std::slice::from_ref(&x), |party, s| arith::div_public(party, &s[0], d));
            check_div(&got, &x, d);
        }
    }

    #[test]
    fn div_public_by_less_than_one(e in 1.0f64..10.0, neg in any::<bool>(), x in dividends()) {
        // |d| < 1: the quotient must itself encode with a bit to spare (|x/d| < 2^45).
        let d = if neg { -(2f64.powf(-e)) } else { 2f64.powf(-e) };
        let x = x.mapv(|v| v * d.abs() * 0.49);
        for n in PARTY_COUNTS {
            let got = run_op(n, std::slice::from_ref(&x), |party, s| arith::div_public(party, &s[0], d));
            check_div(&got, &x, d);
        }
    }
}

#[test]
fn div_by_huge_divisors_rounds_to_zero() {
    let x = arr(&[LIMIT * 0.99, -LIMIT * 0.99, 1.0]);
    for d in [2f64.powi(46), 3.0e14, 1e20, -1e300] {
        for n in PARTY_COUNTS {
            let got = run_op(n, std::slice::from_ref(&x), |party, s| arith::div_public(party, &s[0], d));
            check_div(&got, &x, d);
        }
    }
}

#[test]
fn div_by_ten_to_the_twelve_keeps_its_relative_error() {
    // The review's case: 1/10^12 used to be encoded as 70 units of 2^-56 instead of 70.37.
    let x = arr(&[LIMIT * 0.9, 5e13, -3.3e13]);
    for n in PARTY_COUNTS {
        let got = run_op(n, std::slice::from_ref(&x), |party, s| arith::div_public(party, &s[0], 1e12));
        check_div(&got, &x, 1e12);
    }
}

fn arr(v: &[f64]) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap()
}

/// The mean of `len` values around `centre` (a deterministic spread of ±10%).
fn spread(len: usize, centre: f64) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(&[len]), |i| centre * (1.0 + 0.2 * (((i[0] * 7919) % 1000) as f64 / 1000.0 - 0.5)))
}

fn check_mean(got: &ArrayD<f64>, x: &ArrayD<f64>) {
    let want = x.mean().unwrap();
    let g = got[[]];
    // The sum is exact in the ring; the encoding of each value errs by ≤ ULP/2.
    let tol = tolerance(want, 1.0);
    assert!((g - want).abs() <= tol, "mean of {} values: got {g}, want {want} (tolerance {tol})", x.len());
}

#[test]
fn mean_of_a_million_values_of_three_thousand() {
    // The review's case: failed with probability ≈ 97% (off by 4096) with k = f + ⌈log2 d⌉.
    let x = spread(1_000_000, 3000.0);
    for n in PARTY_COUNTS {
        check_mean(&run_op(n, std::slice::from_ref(&x), |party, s| arith::mean(party, &s[0], None)), &x);
    }
}

#[test]
fn mean_whose_sum_is_at_the_encoding_limit() {
    // 100 003 values whose sum is 0.95·2^46, and the same negated.
    let len = 100_003;
    for sign in [1.0, -1.0] {
        let x = spread(len, sign * 0.95 * LIMIT / 1.1 / len as f64);
        assert!(x.sum().abs() < LIMIT);
        for n in PARTY_COUNTS {
            check_mean(&run_op(n, std::slice::from_ref(&x), |party, s| arith::mean(party, &s[0], None)), &x);
        }
    }
}

#[test]
fn mean_along_an_axis_of_large_values() {
    let x = ArrayD::from_shape_fn(IxDyn(&[3, 1000]), |i| (i[0] as f64 - 1.0) * 6e10 + i[1] as f64);
    let want = x.mean_axis(ndarray::Axis(1)).unwrap();
    for n in PARTY_COUNTS {
        let got = run_op(n, std::slice::from_ref(&x), |party, s| arith::mean(party, &s[0], Some(1)));
        for (g, w) in got.iter().zip(want.iter()) {
            assert!((g - w).abs() <= tolerance(*w, 1.0), "got {g}, want {w}");
        }
    }
}

/// Runs `trunc::divide` by `d` on words shared by party 0 and returns the opened words.
fn divide_words(n: usize, words: &[u64], d: u64) -> Vec<u64> {
    let x = crate::ring::from_vec("test", &[words.len()], words.to_vec()).unwrap();
    let cfg = SimConfig::new(n, Some(7 + n as u64));
    let reports = crate::simulate::simulate(&cfg, |party| {
        let value = (party.id() == 0).then_some(&x);
        let s = crate::share::share_from(party, 0, value, x.shape(), 16)?;
        let q = crate::protocols::trunc::divide(party, &s, d)?;
        Ok(crate::ring::to_vec(&crate::share::reveal(party, &q)?.data))
    })
    .unwrap();
    reports[0].output.clone()
}

/// Signed words over the whole input range |x| < 2^62, near its ends and near 0.
fn range_words() -> impl Strategy<Value = Vec<u64>> {
    const LIM: i64 = 1 << 62;
    let w = prop_oneof![(-LIM + 1)..LIM, (LIM - 1_000_000)..LIM, (-LIM + 1)..(-LIM + 1_000_000), -100_000i64..100_000];
    prop::collection::vec(w.prop_map(|v| v as u64), 1..=16)
}

/// Integer divisors: small, log-uniform up to 2^61, and powers of two.
fn int_divisor() -> impl Strategy<Value = u64> {
    prop_oneof![2u64..20, (1.0f64..61.0).prop_map(|e| 2f64.powf(e) as u64), (1u32..62).prop_map(|e| 1u64 << e)]
}

proptest! {
    #![proptest_config(config())]

    /// One division pair gives ⌊x/d⌋ + e with e in {-1, 0, 1, 2} (e in {0, 1} for d = 2^k), for
    /// every word the truncation admits, checked exactly in 128-bit integers.
    #[test]
    fn divide_by_an_integer_is_the_floor_within_its_stated_error(words in range_words(), d in int_divisor()) {
        for n in PARTY_COUNTS {
            let got = divide_words(n, &words, d);
            for (&g, &x) in got.iter().zip(&words) {
                let want = (x as i64 as i128).div_euclid(d as i128);
                let e = g as i64 as i128 - want;
                let allowed = if d.is_power_of_two() { 0..=1 } else { -1..=2 };
                prop_assert!(allowed.contains(&e), "{} / {d} with {n} parties: got {}, floor {want}", x as i64, g as i64);
            }
        }
    }

    /// `div_public` by integers (one division pair with the dealer) over the whole encoding range.
    #[test]
    fn div_public_by_integers_over_the_whole_encoding_range(x in dividends(), d in 2u64..100_000, neg in any::<bool>()) {
        let d = if neg { -(d as f64) } else { d as f64 };
        for n in PARTY_COUNTS {
            let got = run_op(n, std::slice::from_ref(&x), |party, s| arith::div_public(party, &s[0], d));
            check_div(&got, &x, d);
        }
    }
}

#[test]
fn divide_refuses_divisors_outside_its_range() {
    for d in [0u64, 1, 1 << 62, u64::MAX] {
        let cfg = SimConfig::new(2, Some(3));
        let err = crate::simulate::simulate(&cfg, |party| {
            let s = Shared::new(crate::ring::from_vec("t", &[1], vec![0]).unwrap(), 16);
            crate::protocols::trunc::divide(party, &s, d).map(|_| ())
        });
        assert!(err.is_err(), "divide by {d} was accepted");
    }
}
