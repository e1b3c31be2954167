//! Tests of binary sharing, A2B/B2A, comparisons, sign/abs/relu, where, maximum and the tree
//! reductions max/min/argmax/argmin.

use super::*;
use crate::protocols::compare::{abs, compare, relu, sign, CmpOp, CompareMode};
use crate::protocols::convert::{a2b, b2a_bit};
use crate::protocols::select::{maximum, minimum, reduce_extreme, where_, Extreme};
use crate::protocols::{binary, convert};
use crate::share::{reveal_bin, share_bin_from, BinShared};
use ndarray::{arr1, IxDyn};

const ULP: f64 = 1.0 / 65536.0;

fn as_bits(v: &ArrayD<f64>) -> ArrayD<f64> {
    v.clone()
}

/// Comparisons are exact on encodings; the reference compares the encoded values.
fn enc(v: f64) -> i64 {
    (v * 65536.0).round() as i64
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn comparisons_match_reference((x, y) in tensor_pair(1000.0), eq_mask in prop::collection::vec(any::<bool>(), 125)) {
        // Make some entries equal so == and != see both outcomes.
        let mut y = y;
        for (i, v) in y.iter_mut().enumerate() {
            if eq_mask[i % eq_mask.len()] { *v = x.as_slice().unwrap()[i]; }
        }
        for (n, mode) in COMPARE_CASES {
            for (op, f) in [
                (CmpOp::Lt, (|a, b| a < b) as fn(i64, i64) -> bool),
                (CmpOp::Le, |a, b| a <= b),
                (CmpOp::Gt, |a, b| a > b),
                (CmpOp::Ge, |a, b| a >= b),
                (CmpOp::Eq, |a, b| a == b),
                (CmpOp::Ne, |a, b| a != b),
            ] {
                let got = run_op_mode(n, Some(mode), &[x.clone(), y.clone()], |party, s| {
                    let c = compare(party, op, &s[0], &s[1])?;
                    Ok(crate::protocols::arith::upscale(&c, 16))
                });
                let want = ndarray::Zip::from(&x).and(&y).map_collect(|&a, &b| f(enc(a), enc(b)) as u8 as f64);
                assert_close(&as_bits(&got), &want, 0.0);
            }
        }
    }

    #[test]
    fn sign_abs_relu((x, _y) in tensor_pair(1000.0)) {
        for (n, mode) in COMPARE_CASES {
            let got = run_op_mode(n, Some(mode), std::slice::from_ref(&x), |party, s| Ok(crate::protocols::arith::upscale(&sign(party, &s[0])?, 16)));
            assert_close(&got, &x.mapv(|v| if enc(v) >= 0 { 1.0 } else { -1.0 }), 0.0);
            let got = run_op_mode(n, Some(mode), std::slice::from_ref(&x), |party, s| abs(party, &s[0]));
            assert_close(&got, &x.mapv(f64::abs), ULP);
            let got = run_op_mode(n, Some(mode), std::slice::from_ref(&x), |party, s| relu(party, &s[0]));
            assert_close(&got, &x.mapv(|v| v.max(0.0)), ULP);
        }
    }

    #[test]
    fn where_and_elementwise_extremes((x, y) in tensor_pair(500.0)) {
        for (n, mode) in COMPARE_CASES {
            let got = run_op_mode(n, Some(mode), &[x.clone(), y.clone()], |party, s| {
                let c = compare(party, CmpOp::Gt, &s[0], &s[1])?;
                where_(party, &c, &s[0], &s[1])
            });
            assert_close(&got, &ndarray::Zip::from(&x).and(&y).map_collect(|a, b| a.max(*b)), ULP);
            let got = run_op_mode(n, Some(mode), &[x.clone(), y.clone()], |party, s| maximum(party, &s[0], &s[1]));
            assert_close(&got, &ndarray::Zip::from(&x).and(&y).map_collect(|a, b| a.max(*b)), ULP);
            let got = run_op_mode(n, Some(mode), &[x.clone(), y.clone()], |party, s| minimum(party, &s[0], &s[1]));
            assert_close(&got, &ndarray::Zip::from(&x).and(&y).map_collect(|a, b| a.min(*b)), ULP);
        }
    }

    #[test]
    fn a_comparison_times_a_factor_in_its_own_round((x, y) in tensor_pair(500.0)) {
        // msb(x - y)·y and sign(x)·y: the selection of `where(x < y, y, 0)` and of `sign(x) * y`.
        for (n, mode) in COMPARE_CASES {
            let got = run_op_mode(n, Some(mode), &[x.clone(), y.clone()], |party, s| {
                let d = crate::protocols::arith::sub(&s[0], &s[1])?;
                crate::protocols::compare::msb_times(party, &d, &s[1])
            });
            let want = ndarray::Zip::from(&x).and(&y).map_collect(|&a, &b| if enc(a) < enc(b) { b } else { 0.0 });
            assert_close(&got, &want, ULP);
            let got = run_op_mode(n, Some(mode), &[x.clone(), y.clone()], |party, s| {
                let m = crate::protocols::compare::msb_times(party, &s[0], &s[1])?;
                crate::protocols::arith::sub(&s[1], &crate::share::Shared { data: crate::ring::scale(&m.data, 2), scale: m.scale })
            });
            let want = ndarray::Zip::from(&x).and(&y).map_collect(|&a, &b| if enc(a) < 0 { -b } else { b });
            assert_close(&got, &want, ULP);
        }
    }

    #[test]
    fn a_comparison_of_a_product_still_to_be_truncated_plus_a_value((x, y) in tensor_pair(100.0)) {
        // u = trunc(x·y) + y: sign(u) and sign(u)·x, the truncation in the comparison's round.
        for (n, mode) in COMPARE_CASES {
            let signs = run_op_mode(n, Some(mode), &[x.clone(), y.clone()], |party, s| {
                let raw = crate::protocols::mul::mul_raw(party, &s[0], &s[1])?;
                let m = crate::protocols::compare::pending(party, &raw, &s[1], crate::protocols::compare::OfPending::Msb)?;
                Ok(crate::protocols::arith::upscale(&m, 16))
            });
            let times = run_op_mode(n, Some(mode), &[x.clone(), y.clone()], |party, s| {
                let raw = crate::protocols::mul::mul_raw(party, &s[0], &s[1])?;
                crate::protocols::compare::pending(party, &raw, &s[1], crate::protocols::compare::OfPending::Times(&s[0]))
            });
            let u = ndarray::Zip::from(&x).and(&y).map_collect(|&a, &b| {
                let (ea, eb) = (enc(a) as i128, enc(b) as i128);
                (ea * eb).div_euclid(65536) + eb
            });
            let relus = run_op_mode(n, Some(mode), &[x.clone(), y.clone()], |party, s| {
                let raw = crate::protocols::mul::mul_raw(party, &s[0], &s[1])?;
                crate::protocols::compare::pending(party, &raw, &s[1], crate::protocols::compare::OfPending::Relu)
            });
            for (&r, &u) in relus.iter().zip(&u) {
                // relu of u within the truncation's unit.
                let want = (u.max(0)) as f64 / 65536.0;
                assert!((r - want).abs() <= 1.0 / 65536.0 + 1e-12, "{n} parties, {mode:?}: relu {r} for u = {u}");
            }
            // The truncation may add one unit: a sum of 0 or -1 can go either way.
            for (((&got, &t), &u), &a) in signs.iter().zip(&times).zip(&u).zip(&x) {
                if u == 0 || u == -1 { continue; }
                let neg = u < 0;
                assert_eq!(got, if neg { 1.0 } else { 0.0 }, "{n} parties, {mode:?}: u = {u}");
                assert!((t - if neg { a } else { 0.0 }).abs() <= ULP, "{n} parties: {t} for u = {u}, x = {a}");
            }
        }
    }

    #[test]
    fn tree_reductions((x, _y) in tensor_pair(500.0), axis_pick in 0usize..3) {
        let axis = axis_pick % x.ndim();
        for (n, mode) in COMPARE_CASES {
            for which in [Extreme::Max, Extreme::Min] {
                let got = run_op_mode(n, Some(mode), std::slice::from_ref(&x), |party, s| Ok(reduce_extreme(party, &s[0], Some(axis), which, false)?.values));
                let want = x.map_axis(ndarray::Axis(axis), |lane| lane.iter().copied().fold(
                    if which == Extreme::Max { f64::MIN } else { f64::MAX },
                    |a, b| if which == Extreme::Max { a.max(b) } else { a.min(b) }));
                assert_close(&got, &want, ULP);
                let got = run_op_mode(n, Some(mode), std::slice::from_ref(&x), |party, s| Ok(reduce_extreme(party, &s[0], Some(axis), which, true)?.index.unwrap()));
                let want = x.map_axis(ndarray::Axis(axis), |lane| {
                    let mut best = 0;
                    for (i, &v) in lane.iter().enumerate() {
                        let better = if which == Extreme::Max { enc(v) > enc(lane[best]) } else { enc(v) < enc(lane[best]) };
                        if better { best = i; }
                    }
                    best as f64
                });
                // The index is an unscaled integer share; `reveal` decodes it at scale 0.
                assert_close(&got, &want, 0.0);
            }
        }
    }
}

#[test]
fn argmax_one_hot_and_ties_go_first() {
    let x =
        ArrayD::from_shape_vec(IxDyn(&[2, 5]), vec![1.0, 7.0, 7.0, -2.0, 3.0, -1.0, -1.0, -5.0, -1.0, -3.0]).unwrap();
    for (n, mode) in COMPARE_CASES {
        let got = run_op_mode(n, Some(mode), std::slice::from_ref(&x), |party, s| {
            let r = reduce_extreme(party, &s[0], Some(1), Extreme::Max, true)?;
            Ok(crate::protocols::arith::upscale(&r.one_hot.unwrap(), 16))
        });
        let want = ArrayD::from_shape_vec(IxDyn(&[2, 5]), vec![0., 1., 0., 0., 0., 1., 0., 0., 0., 0.]).unwrap();
        assert_close(&got, &want, 0.0);
        let got = run_op_mode(n, Some(mode), std::slice::from_ref(&x), |party, s| {
            Ok(reduce_extreme(party, &s[0], None, Extreme::Min, true)?.values)
        });
        assert_close(&got, &ArrayD::from_elem(IxDyn(&[]), -5.0), 0.0);
    }
}

/// argmax/argmin with one-hot and index over rows of odd and even lengths (blocks of unequal
/// sizes merge at every level), against the plaintext engine's `arg`.
#[test]
fn argmax_matches_plaintext_on_odd_lengths() {
    use crate::plain::reduce;
    for len in [1usize, 2, 3, 5, 6, 7, 13] {
        let x = ArrayD::from_shape_fn(IxDyn(&[3, len]), |i| (((i[0] * 31 + i[1] * 17) % 11) as f64) - 5.0);
        for (which, op) in [(Extreme::Max, mpcc_ir::ArgOp::ArgMax), (Extreme::Min, mpcc_ir::ArgOp::ArgMin)] {
            for (n, mode) in COMPARE_CASES {
                let got = run_op_mode(n, Some(mode), std::slice::from_ref(&x), |party, s| {
                    let r = reduce_extreme(party, &s[0], Some(1), which, true)?;
                    let oh = crate::protocols::arith::upscale(&r.one_hot.unwrap(), 16);
                    let idx = crate::protocols::arith::upscale(&r.index.unwrap(), 16);
                    let idx = Shared { data: idx.data.insert_axis(ndarray::Axis(1)), scale: 16 };
                    Ok(Shared { data: ndarray::concatenate![ndarray::Axis(1), oh.data, idx.data], scale: 16 })
                });
                let oh = reduce::arg(op, &x, Some(1), true).unwrap();
                let idx = reduce::arg(op, &x, Some(1), false).unwrap().insert_axis(ndarray::Axis(1));
                let want = ndarray::concatenate![ndarray::Axis(1), oh, idx];
                assert_close(&got, &want, 0.0);
            }
        }
    }
}

/// A row of 10^4 elements: the one-hot used to take rows·len² words (10^8 words, 800 MB per
/// party plus as much again for the products); now it is linear.
#[test]
fn argmax_of_a_long_row_is_linear_in_memory() {
    let len = 10_000;
    let x = ArrayD::from_shape_fn(IxDyn(&[len]), |i| (((i[0] * 7919) % 10_007) as f64) / 8.0 - 600.0);
    let got = run_op(2, std::slice::from_ref(&x), |party, s| {
        let r = reduce_extreme(party, &s[0], None, Extreme::Max, true)?;
        let idx = crate::protocols::arith::upscale(&r.index.unwrap(), 16);
        let oh = crate::protocols::arith::upscale(&r.one_hot.unwrap(), 16);
        let idx = Shared { data: idx.data.into_shape_with_order(vec![1]).unwrap(), scale: 16 };
        Ok(Shared { data: ndarray::concatenate![ndarray::Axis(0), oh.data, idx.data], scale: 16 })
    });
    let want_idx = crate::plain::reduce::arg(mpcc_ir::ArgOp::ArgMax, &x, None, false).unwrap();
    let want_oh = crate::plain::reduce::arg(mpcc_ir::ArgOp::ArgMax, &x, None, true).unwrap();
    let want = ndarray::concatenate![ndarray::Axis(0), want_oh, want_idx.into_shape_with_order(vec![1]).unwrap()];
    assert_close(&got, &want, 0.0);
}

#[test]
fn a2b_b2a_and_gates_round_trip() {
    let words: Vec<u64> = vec![0, 1, u64::MAX, 1 << 63, 0x0123_4567_89ab_cdef, 42];
    let other: Vec<u64> = vec![5, 3, 1, u64::MAX, 0xff00_ff00_ff00_ff00, 0];
    for n in PARTY_COUNTS {
        let reports = simulate(&SimConfig::new(n, Some(3)), |party| {
            let v = ring_of(&words);
            let w = ring_of(&other);
            let s = share_from(party, 0, (party.id() == 0).then_some(&v), &[6], 0)?;
            let b = a2b(party, &s)?;
            let opened = reveal_bin(party, &b)?;
            let bw = share_bin_from(party, n - 1, (party.id() == n - 1).then_some(&w), &[6])?;
            let and = binary::and(party, &b, &bw)?;
            let anded = reveal_bin(party, &and)?;
            let low: BinShared = binary::bit(&b, 0);
            let arith = b2a_bit(party, &low)?;
            let back = reveal(party, &arith)?;
            Ok((opened, anded, back))
        })
        .unwrap();
        let (opened, anded, back) = &reports[0].output;
        assert_eq!(crate::ring::to_vec(opened), words);
        let want_and: Vec<u64> = words.iter().zip(&other).map(|(a, b)| a & b).collect();
        assert_eq!(crate::ring::to_vec(anded), want_and);
        assert_eq!(crate::ring::to_vec(&back.data), words.iter().map(|w| w & 1).collect::<Vec<_>>());
    }
}

#[test]
fn comparison_rounds_match_the_documented_counts() {
    let x = arr1(&[1.0, -2.0, 3.5]).into_dyn();
    for n in PARTY_COUNTS {
        let mut cfg = SimConfig::new(n, Some(5));
        cfg.compare = Some(CompareMode::Tree);
        let reports = simulate(&cfg, |party| {
            let e = party.fixed.encode(&x)?;
            let s = share_from(party, 0, (party.id() == 0).then_some(&e), &[3], 16)?;
            crate::protocols::compare::msb(party, &s)
        })
        .unwrap();
        let want = convert::csa_layers(n) as u64 + 8;
        let g = convert::csa_adders(n) as u64;
        for r in &reports {
            assert_eq!(r.comm.rounds, want, "{n} parties");
            let and_words = convert::msb_and_words(3) as u64 + 3 * g;
            assert_eq!(r.comm.bytes_sent, (n as u64 - 1) * 8 * (2 * and_words + 3), "{n} parties");
        }
        assert_eq!(reports[0].dealer.bytes_received, 8 * (convert::msb_and_words(3) as u64 + 3 * g + 3));
    }
    // The DCF protocol (2 parties): one round of 8 bytes per element and party; the dealer
    // sends the correction words (192 words, 256 with the product) to both parties and party 0
    // its shares of msb(r) (and r·msb(r)).
    for product in [false, true] {
        let reports = simulate(&SimConfig::new(2, Some(5)), |party| {
            let e = party.fixed.encode(&x)?;
            let s = share_from(party, 0, (party.id() == 0).then_some(&e), &[3], 16)?;
            let (c0, d0) = (party.comm_stats(), party.dealer_stats());
            if product {
                crate::protocols::compare::msb_and_product(party, &s)?;
            } else {
                crate::protocols::compare::msb(party, &s)?;
            }
            let (c1, d1) = (party.comm_stats(), party.dealer_stats());
            Ok((c1.rounds - c0.rounds, c1.bytes_sent - c0.bytes_sent, d1.bytes_received - d0.bytes_received))
        })
        .unwrap();
        let (keys, corrected) = if product { (256, 2) } else { (192, 1) };
        assert_eq!(reports[0].output, (1, 8 * 3, 8 * 3 * (keys + corrected)));
        assert_eq!(reports[1].output, (1, 8 * 3, 8 * 3 * keys));
    }
    // A comparison times another factor: the same round, two opened words per element, and the
    // keys and corrections of the product.
    let reports = simulate(&SimConfig::new(2, Some(5)), |party| {
        let e = party.fixed.encode(&x)?;
        let s = share_from(party, 0, (party.id() == 0).then_some(&e), &[3], 16)?;
        let (c0, d0) = (party.comm_stats(), party.dealer_stats());
        crate::protocols::compare::msb_times(party, &s, &s)?;
        let (c1, d1) = (party.comm_stats(), party.dealer_stats());
        Ok((c1.rounds - c0.rounds, c1.bytes_sent - c0.bytes_sent, d1.bytes_received - d0.bytes_received))
    })
    .unwrap();
    assert_eq!(reports[0].output, (1, 8 * 6, 8 * 3 * (256 + 2)));
    assert_eq!(reports[1].output, (1, 8 * 6, 8 * 3 * 256));
    // A comparison of a product still to be truncated plus a value (and times a factor): one
    // round, two (three) opened words per element, two key sets and the truncation's parts.
    for times in [false, true] {
        let reports = simulate(&SimConfig::new(2, Some(5)), |party| {
            let e = party.fixed.encode(&x)?;
            let s = share_from(party, 0, (party.id() == 0).then_some(&e), &[3], 16)?;
            let raw = crate::share::Shared { data: s.data.clone(), scale: 32 };
            let (c0, d0) = (party.comm_stats(), party.dealer_stats());
            if times {
                crate::protocols::compare::pending(party, &raw, &s, crate::protocols::compare::OfPending::Times(&s))?;
            } else {
                crate::protocols::compare::pending(party, &raw, &s, crate::protocols::compare::OfPending::Msb)?;
            }
            let (c1, d1) = (party.comm_stats(), party.dealer_stats());
            Ok((c1.rounds - c0.rounds, c1.bytes_sent - c0.bytes_sent, d1.bytes_received - d0.bytes_received))
        })
        .unwrap();
        let (words, keys, corrected) = if times { (3, 2 * 256, 6) } else { (2, 2 * 192, 4) };
        assert_eq!(reports[0].output, (1, 8 * 3 * words, 8 * 3 * (keys + corrected)));
        assert_eq!(reports[1].output, (1, 8 * 3 * words, 8 * 3 * keys));
    }
}

/// Comparisons, relu, maximum and sign at the edges of the encodable range (|encoding| < 2^62)
/// and around 0, with both protocols, against integer comparison of the encodings.
#[test]
fn the_range_limits_compare_exactly() {
    let top = (1i64 << 62) - 1;
    let points = [0i64, 1, -1, 2, -2, top, -top, top - 1, -top + 1, 1 << 61, -(1 << 61), 65536, -65536];
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for &a in &points {
        for &b in &points {
            xs.push(a as u64);
            ys.push(b as u64);
        }
    }
    let len = xs.len();
    for (n, mode) in COMPARE_CASES {
        let (xv, yv) = (ring_of(&xs), ring_of(&ys));
        let mut cfg = SimConfig::new(n, Some(9));
        cfg.compare = Some(mode);
        let reports = simulate(&cfg, |party| {
            let a = share_from(party, 0, (party.id() == 0).then_some(&xv), &[len], 16)?;
            let b = share_from(party, 1, (party.id() == 1).then_some(&yv), &[len], 16)?;
            let lt = compare(party, CmpOp::Lt, &a, &b)?;
            let eq = compare(party, CmpOp::Eq, &a, &b)?;
            let r = relu(party, &a)?;
            let m = maximum(party, &a, &b)?;
            let s = sign(party, &a)?;
            Ok([reveal(party, &lt)?, reveal(party, &eq)?, reveal(party, &r)?, reveal(party, &m)?, reveal(party, &s)?])
        })
        .unwrap();
        let out: Vec<Vec<u64>> = reports[0].output.iter().map(|t| crate::ring::to_vec(&t.data)).collect();
        for j in 0..len {
            let (a, b) = (xs[j] as i64, ys[j] as i64);
            let ctx = format!("{n} parties, {mode:?}, x = {a}, y = {b}");
            assert_eq!(out[0][j], (a < b) as u64, "<: {ctx}");
            assert_eq!(out[1][j], (a == b) as u64, "==: {ctx}");
            assert_eq!(out[2][j] as i64, a.max(0), "relu: {ctx}");
            assert_eq!(out[3][j] as i64, a.max(b), "maximum: {ctx}");
            assert_eq!(out[4][j] as i64, if a >= 0 { 1 } else { -1 }, "sign: {ctx}");
        }
    }
}

/// The DCF protocol is for 2 parties; asking for it with 3 is an error, not a wrong result.
#[test]
fn dcf_comparisons_refuse_three_parties() {
    let mut cfg = SimConfig::new(3, Some(1));
    cfg.compare = Some(CompareMode::Fss);
    let v = ring_of(&[5]);
    let err = simulate(&cfg, |party| {
        let s = share_from(party, 0, (party.id() == 0).then_some(&v), &[1], 0)?;
        crate::protocols::compare::msb(party, &s)
    })
    .err()
    .unwrap();
    assert!(err.to_string().contains("2 parties"), "{err}");
}

fn ring_of(v: &[u64]) -> crate::ring::RingTensor {
    ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap()
}

#[test]
fn msb_of_arbitrary_ring_elements() {
    // Full-range words (and carry-chain edge cases) exercise every level of the carry tree.
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(21);
    let mut words: Vec<u64> = (0..2000).map(|_| rng.random()).collect();
    words.extend([0, 1, u64::MAX, 1 << 63, (1 << 63) - 1, (1 << 62), u64::MAX - 1, 0x7fff_0000_0000_0000]);
    for (n, mode) in COMPARE_CASES {
        let v = ring_of(&words);
        let mut cfg = SimConfig::new(n, Some(8));
        cfg.compare = Some(mode);
        let reports = simulate(&cfg, |party| {
            let s = share_from(party, n - 1, (party.id() == n - 1).then_some(&v), &[words.len()], 0)?;
            let m = crate::protocols::compare::msb(party, &s)?;
            reveal(party, &m)
        })
        .unwrap();
        let want: Vec<u64> = words.iter().map(|w| w >> 63).collect();
        assert_eq!(crate::ring::to_vec(&reports[0].output.data), want, "{n} parties, {mode:?}");
    }
}

/// `pairwise::arg_extreme` (argmax/argmin of short rows from all pairs at once) against the
/// plaintext engine's `arg`: one-hot and index, rows of 2 to 16 with ties (values from a small
/// set), along either axis and over everything, for every comparison case.
#[test]
fn pairwise_argmax_matches_plaintext_with_ties() {
    use crate::plain::reduce;
    use crate::protocols::pairwise::arg_extreme;
    for len in [2usize, 3, 4, 9, 10, 16] {
        let x = ArrayD::from_shape_fn(IxDyn(&[3, len]), |i| (((i[0] * 31 + i[1] * 17) % 5) as f64) - 2.0);
        for (which, op) in [(Extreme::Max, mpcc_ir::ArgOp::ArgMax), (Extreme::Min, mpcc_ir::ArgOp::ArgMin)] {
            for axis in [Some(1), Some(0), None] {
                if axis.is_none() && len > 5 {
                    continue; // 3·len elements in one row: more than 16 for the larger rows
                }
                for (n, mode) in COMPARE_CASES {
                    let got = run_op_mode(n, Some(mode), std::slice::from_ref(&x), |party, s| {
                        let (idx, oh) = arg_extreme(party, &s[0], axis, which)?;
                        let oh = crate::protocols::arith::upscale(&oh, 16);
                        let idx = crate::protocols::arith::upscale(&idx, 16);
                        let flat = |d: ndarray::ArrayD<u64>| d.iter().copied().collect::<Vec<_>>();
                        let mut words = flat(oh.data);
                        words.extend(flat(idx.data));
                        Ok(Shared { data: crate::ring::from_vec("t", &[words.len()], words)?, scale: 16 })
                    });
                    let oh = reduce::arg(op, &x, axis.map(|a| a as i64), true).unwrap();
                    let idx = reduce::arg(op, &x, axis.map(|a| a as i64), false).unwrap();
                    let want: Vec<f64> = oh.iter().chain(idx.iter()).copied().collect();
                    let want = ArrayD::from_shape_vec(IxDyn(&[want.len()]), want).unwrap();
                    assert_close(&got, &want, 0.0);
                }
            }
        }
    }
}
