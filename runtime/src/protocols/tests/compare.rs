//! Tests of binary sharing, A2B/B2A, comparisons, sign/abs/relu, where, maximum and the tree
//! reductions max/min/argmax/argmin.

use super::*;
use crate::protocols::compare::{abs, compare, relu, sign, CmpOp};
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
        for n in PARTY_COUNTS {
            for (op, f) in [
                (CmpOp::Lt, (|a, b| a < b) as fn(i64, i64) -> bool),
                (CmpOp::Le, |a, b| a <= b),
                (CmpOp::Gt, |a, b| a > b),
                (CmpOp::Ge, |a, b| a >= b),
                (CmpOp::Eq, |a, b| a == b),
                (CmpOp::Ne, |a, b| a != b),
            ] {
                let got = run_op(n, &[x.clone(), y.clone()], |party, s| {
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
        for n in PARTY_COUNTS {
            let got = run_op(n, std::slice::from_ref(&x), |party, s| Ok(crate::protocols::arith::upscale(&sign(party, &s[0])?, 16)));
            assert_close(&got, &x.mapv(|v| if enc(v) >= 0 { 1.0 } else { -1.0 }), 0.0);
            let got = run_op(n, std::slice::from_ref(&x), |party, s| abs(party, &s[0]));
            assert_close(&got, &x.mapv(f64::abs), ULP);
            let got = run_op(n, std::slice::from_ref(&x), |party, s| relu(party, &s[0]));
            assert_close(&got, &x.mapv(|v| v.max(0.0)), ULP);
        }
    }

    #[test]
    fn where_and_elementwise_extremes((x, y) in tensor_pair(500.0)) {
        for n in PARTY_COUNTS {
            let got = run_op(n, &[x.clone(), y.clone()], |party, s| {
                let c = compare(party, CmpOp::Gt, &s[0], &s[1])?;
                where_(party, &c, &s[0], &s[1])
            });
            assert_close(&got, &ndarray::Zip::from(&x).and(&y).map_collect(|a, b| a.max(*b)), ULP);
            let got = run_op(n, &[x.clone(), y.clone()], |party, s| maximum(party, &s[0], &s[1]));
            assert_close(&got, &ndarray::Zip::from(&x).and(&y).map_collect(|a, b| a.max(*b)), ULP);
            let got = run_op(n, &[x.clone(), y.clone()], |party, s| minimum(party, &s[0], &s[1]));
            assert_close(&got, &ndarray::Zip::from(&x).and(&y).map_collect(|a, b| a.min(*b)), ULP);
        }
    }

    #[test]
    fn tree_reductions((x, _y) in tensor_pair(500.0), axis_pick in 0usize..3) {
        let axis = axis_pick % x.ndim();
        for n in PARTY_COUNTS {
            for which in [Extreme::Max, Extreme::Min] {
                let got = run_op(n, std::slice::from_ref(&x), |party, s| Ok(reduce_extreme(party, &s[0], Some(axis), which, false)?.values));
                let want = x.map_axis(ndarray::Axis(axis), |lane| lane.iter().copied().fold(
                    if which == Extreme::Max { f64::MIN } else { f64::MAX },
                    |a, b| if which == Extreme::Max { a.max(b) } else { a.min(b) }));
                assert_close(&got, &want, ULP);
                let got = run_op(n, std::slice::from_ref(&x), |party, s| Ok(reduce_extreme(party, &s[0], Some(axis), which, true)?.index.unwrap()));
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
    for n in PARTY_COUNTS {
        let got = run_op(n, std::slice::from_ref(&x), |party, s| {
            let r = reduce_extreme(party, &s[0], Some(1), Extreme::Max, true)?;
            Ok(crate::protocols::arith::upscale(&r.one_hot.unwrap(), 16))
        });
        let want = ArrayD::from_shape_vec(IxDyn(&[2, 5]), vec![0., 1., 0., 0., 0., 1., 0., 0., 0., 0.]).unwrap();
        assert_close(&got, &want, 0.0);
        let got = run_op(n, std::slice::from_ref(&x), |party, s| {
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
            for n in PARTY_COUNTS {
                let got = run_op(n, std::slice::from_ref(&x), |party, s| {
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
        let reports = simulate(&SimConfig::new(n, Some(5)), |party| {
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
    for n in PARTY_COUNTS {
        let v = ring_of(&words);
        let reports = simulate(&SimConfig::new(n, Some(8)), |party| {
            let s = share_from(party, n - 1, (party.id() == n - 1).then_some(&v), &[words.len()], 0)?;
            let m = crate::protocols::compare::msb(party, &s)?;
            reveal(party, &m)
        })
        .unwrap();
        let want: Vec<u64> = words.iter().map(|w| w >> 63).collect();
        assert_eq!(crate::ring::to_vec(&reports[0].output.data), want, "{n} parties");
    }
}
