//! Tests of sharing, revealing, add/sub, mul, square, matmul, truncation, sum/mean and division.

use super::*;
use crate::protocols::{arith, matmul, mul, trunc};
use crate::share::{reveal_to, Public};
use ndarray::{arr1, arr2, IxDyn};

/// One fixed-point unit at 16 bits.
const ULP: f64 = 1.0 / 65536.0;

proptest! {
    #![proptest_config(config())]

    #[test]
    fn add_sub_and_public_ops((x, y) in tensor_pair(1000.0), p in -50.0f64..50.0) {
        for n in PARTY_COUNTS {
            let got = run_op(n, &[x.clone(), y.clone()], |_, s| arith::add(&s[0], &s[1]));
            assert_close(&got, &(&x + &y), 2.0 * ULP);
            let got = run_op(n, &[x.clone(), y.clone()], |_, s| arith::sub(&s[0], &s[1]));
            assert_close(&got, &(&x - &y), 2.0 * ULP);
            let got = run_op(n, std::slice::from_ref(&x), |party, s| {
                let pub_ = Public::encode(&ArrayD::from_elem(IxDyn(&[]), p), 16)?;
                arith::public_sub(party, &pub_, &arith::add_public(party, &s[0], &pub_)?)
            });
            assert_close(&got, &x.mapv(|v| -v), 2.0 * ULP);
        }
    }

    #[test]
    fn mul_matches_reference((x, y) in tensor_pair(100.0)) {
        // Error: input rounding (|y|+|x|)·ULP/2 plus one truncation ULP.
        let want = &x * &y;
        for n in PARTY_COUNTS {
            let got = run_op(n, &[x.clone(), y.clone()], |party, s| mul::mul(party, &s[0], &s[1]));
            assert_close(&got, &want, 110.0 * ULP);
        }
    }

    #[test]
    fn square_matches_reference(x in shape().prop_flat_map(|s| tensor(s, 100.0))) {
        for n in PARTY_COUNTS {
            let got = run_op(n, std::slice::from_ref(&x), |party, s| mul::square(party, &s[0]));
            assert_close(&got, &x.mapv(|v| v * v), 110.0 * ULP);
        }
    }

    #[test]
    fn matmul_matches_reference(m in 1usize..6, k in 1usize..9, nn in 1usize..6, seed in 0u64..1000) {
        let xs: Vec<f64> = (0..m * k).map(|i| (((i as u64 * 7919 + seed) % 200) as f64 - 100.0) / 10.0).collect();
        let ys: Vec<f64> = (0..k * nn).map(|i| (((i as u64 * 104729 + seed * 3) % 200) as f64 - 100.0) / 10.0).collect();
        let x = ArrayD::from_shape_vec(IxDyn(&[m, k]), xs).unwrap();
        let y = ArrayD::from_shape_vec(IxDyn(&[k, nn]), ys).unwrap();
        let want = x.clone().into_dimensionality::<ndarray::Ix2>().unwrap()
            .dot(&y.clone().into_dimensionality::<ndarray::Ix2>().unwrap()).into_dyn();
        for n in PARTY_COUNTS {
            let got = run_op(n, &[x.clone(), y.clone()], |party, s| matmul::matmul(party, &s[0], &s[1]));
            // k products of inputs up to 10, each input rounded by ULP/2.
            assert_close(&got, &want, (k as f64) * 11.0 * ULP + ULP);
        }
    }

    #[test]
    fn sum_mean_div((x, _y) in tensor_pair(100.0), d in prop_oneof![-7.0f64..-0.5, 0.5f64..1000.0]) {
        for n in PARTY_COUNTS {
            let got = run_op(n, std::slice::from_ref(&x), |party, s| arith::sum(party, &s[0], Some(0)));
            assert_close(&got, &x.sum_axis(ndarray::Axis(0)), x.len() as f64 * ULP);
            let got = run_op(n, std::slice::from_ref(&x), |party, s| arith::mean(party, &s[0], None));
            // Division by a public d: the factor 1/d carries a relative error ≤ 2^-17.
            let m = x.mean().unwrap();
            assert_close(&got, &ArrayD::from_elem(IxDyn(&[]), m), 2.0 * ULP + m.abs() * ULP);
            let got = run_op(n, std::slice::from_ref(&x), |party, s| arith::div_public(party, &s[0], d));
            assert_close(&got, &x.mapv(|v| v / d), 2.0 * ULP + 100.0 / d.abs() * ULP);
        }
    }
}

#[test]
fn batched_and_vector_matmul_shapes() {
    let x = ArrayD::from_shape_fn(IxDyn(&[2, 3, 4]), |i| (i[0] * 12 + i[1] * 4 + i[2]) as f64 / 8.0 - 1.0);
    let y = ArrayD::from_shape_fn(IxDyn(&[4]), |i| i[0] as f64 - 1.5);
    for n in PARTY_COUNTS {
        let got = run_op(n, &[x.clone(), y.clone()], |party, s| matmul::matmul(party, &s[0], &s[1]));
        assert_eq!(got.shape(), &[2, 3]);
        for b in 0..2 {
            for i in 0..3 {
                let want: f64 = (0..4).map(|k| x[[b, i, k]] * y[[k]]).sum();
                assert!((got[[b, i]] - want).abs() < 4.0 * ULP, "{} vs {want}", got[[b, i]]);
            }
        }
    }
}

#[test]
fn truncation_at_the_ends_of_its_range() {
    // Values at scale 32 with |x| just under 2^62, i.e. reals just under 2^30.
    let limit = (1u64 << 62) as f64 / (1u64 << 32) as f64;
    let xs = arr1(&[limit - 1.0, -(limit - 1.0), 0.0, ULP * ULP, -ULP * ULP, 12345.678]).into_dyn();
    for n in PARTY_COUNTS {
        let reports = simulate(&SimConfig::new(n, Some(9)), |party| {
            let enc = crate::fixed::encode_tensor(&xs, 32)?;
            let s = share_from(party, 0, (party.id() == 0).then_some(&enc), xs.shape(), 32)?;
            let t = trunc::truncate(party, &s, 16)?;
            Ok(reveal(party, &t)?.decode())
        })
        .unwrap();
        assert_close(&reports[0].output, &xs, ULP);
    }
}

#[test]
fn reveal_to_one_party_only() {
    for n in PARTY_COUNTS {
        let target = n - 1;
        let reports = simulate(&SimConfig::new(n, None), |party| {
            let v = arr2(&[[1.5, -2.25]]).into_dyn();
            let enc = party.fixed.encode(&v)?;
            let s = share_from(party, 0, (party.id() == 0).then_some(&enc), &[1, 2], 16)?;
            Ok(reveal_to(party, target, &s)?.map(|p| p.decode()))
        })
        .unwrap();
        for (i, r) in reports.iter().enumerate() {
            if i == target {
                assert_eq!(r.output.as_ref().unwrap(), &arr2(&[[1.5, -2.25]]).into_dyn());
                assert_eq!(r.comm.bytes_sent, 0);
            } else {
                assert!(r.output.is_none());
                assert_eq!(r.comm.bytes_sent, 16);
            }
        }
    }
}

#[test]
fn mul_costs_one_round_plus_truncation_and_dealer_bytes() {
    let x = ArrayD::from_elem(IxDyn(&[10]), 1.5);
    for n in PARTY_COUNTS {
        let reports = simulate(&SimConfig::new(n, Some(1)), |party| {
            let enc = party.fixed.encode(&x)?;
            let a = share_from(party, 0, (party.id() == 0).then_some(&enc), &[10], 16)?;
            let b = share_from(party, 1, (party.id() == 1).then_some(&enc), &[10], 16)?;
            mul::mul(party, &a, &b)
        })
        .unwrap();
        for r in &reports {
            assert_eq!(r.comm.rounds, 2, "Beaver + truncation");
            assert_eq!(r.comm.bytes_sent, (n as u64 - 1) * 8 * 30);
        }
        assert_eq!(reports[0].dealer.bytes_received, 8 * 10 + 16 * 10);
        assert_eq!(reports[1].dealer.bytes_received, 0);
    }
}

#[test]
fn shares_in_non_standard_layout() {
    // Transposed views (as the structural ops produce) must give the same results.
    let x = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| i[0] as f64 - 0.5 * i[1] as f64);
    let xt = x.t().to_owned();
    for n in PARTY_COUNTS {
        let got = run_op(n, std::slice::from_ref(&x), |party, s| {
            let t = Shared { data: s[0].data.t().to_owned(), scale: s[0].scale };
            let sq = mul::mul(party, &t, &t)?;
            let mm = matmul::matmul(party, &t, &s[0])?;
            let tr = trunc::truncate(party, &crate::protocols::arith::upscale(&t, 20), 4)?;
            let mm = Shared { data: mm.data.slice(ndarray::s![.., 0..3]).to_owned().into_dyn(), scale: mm.scale };
            arith::add(&arith::add(&sq, &mm)?, &tr)
        });
        let want = &xt * &xt
            + xt.clone()
                .into_dimensionality::<ndarray::Ix2>()
                .unwrap()
                .dot(&x.clone().into_dimensionality::<ndarray::Ix2>().unwrap())
                .slice(ndarray::s![.., 0..3])
            + &xt;
        assert_close(&got, &want.into_dyn(), 20.0 * ULP);
    }
}

#[test]
fn mean_of_unscaled_bits_is_fractional() {
    let x = arr1(&[1.0, -2.0, 3.0, 0.5]).into_dyn();
    for n in PARTY_COUNTS {
        let got = run_op(n, std::slice::from_ref(&x), |party, s| {
            let zero = Shared::from_public(party, &Public::encode(&ArrayD::from_elem(IxDyn(&[]), 0.0), 16)?);
            let positive =
                crate::protocols::compare::compare(party, crate::protocols::compare::CmpOp::Gt, &s[0], &zero)?;
            let m = arith::mean(party, &positive, None)?;
            assert_eq!(m.scale, 16);
            Ok(m)
        });
        assert_close(&got, &ArrayD::from_elem(IxDyn(&[]), 0.75), 2.0 * ULP);
    }
}
