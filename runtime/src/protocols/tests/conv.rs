//! Tests of the secure convolution maps and pooling against the plaintext kernels of
//! `plain/conv.rs` (themselves checked against NumPy), for 2, 3 and 5 parties, and of their cost:
//! the opening carries `|x| + |w|` elements, not the `im2col` expansion.

use super::*;
use crate::fixed::FixedPoint;
use crate::plain::conv::{self as pc, ConvMap};
use crate::protocols::conv;
use crate::share::Public;
use mpcc_ir::{PoolOp, Window2d};
use ndarray::IxDyn;

/// Fixed-point tolerance: each product is exact up to the final truncation (1 ulp), plus the
/// encoding error of the operands (2^-17 each) times the sum of the other operand's magnitudes.
const TOL: f64 = 2e-3;

fn ramp(dims: &[usize], a: f64, b: f64) -> ArrayD<f64> {
    let mut k = 0.0f64;
    ArrayD::from_shape_simple_fn(IxDyn(dims), || {
        k += 1.0;
        ((k * a).sin() * b * 100.0).round() / 100.0
    })
}

const WIN: Window2d = Window2d { stride: [2, 1], padding: [1, 0] };

#[test]
fn private_convolution_maps_match_plaintext() {
    let x = ramp(&[2, 3, 6, 5], 0.37, 1.5);
    let w = ramp(&[4, 3, 3, 2], 0.91, 1.0);
    let y = pc::conv2d_plain(&x, &w, &WIN).unwrap();
    let dy = ramp(y.shape(), 0.53, 1.0);
    let (xd, wd) = (x.shape().to_vec(), w.shape().to_vec());
    let want_gx = pc::conv2d_grad_x(&dy, &w, &xd, &WIN, &pc::Arith::plain()).unwrap();
    let want_gw = pc::conv2d_grad_w(&x, &dy, &wd, &WIN, &pc::Arith::plain()).unwrap();
    for n in PARTY_COUNTS {
        let yd = y.shape().to_vec();
        let got = run_op(n, &[x.clone(), w.clone()], |p, s| {
            conv::conv_priv_priv(p, ConvMap::Forward, &s[0], &s[1], &yd, &WIN)
        });
        assert_close(&got, &y, TOL);
        let got = run_op(n, &[dy.clone(), w.clone()], |p, s| {
            conv::conv_priv_priv(p, ConvMap::GradX, &s[0], &s[1], &xd, &WIN)
        });
        assert_close(&got, &want_gx, TOL);
        let got = run_op(n, &[x.clone(), dy.clone()], |p, s| {
            conv::conv_priv_priv(p, ConvMap::GradW, &s[0], &s[1], &wd, &WIN)
        });
        assert_close(&got, &want_gw, 4.0 * TOL);
        // A public kernel needs no triple.
        let pw = Public::encode(&w, 16).unwrap();
        let got = run_op(n, std::slice::from_ref(&x), |p, s| {
            conv::conv_public(p, ConvMap::Forward, &s[0], &pw, false, &yd, &WIN)
        });
        assert_close(&got, &y, TOL);
        let px = Public::encode(&x, 16).unwrap();
        let got = run_op(n, std::slice::from_ref(&w), |p, s| {
            conv::conv_public(p, ConvMap::Forward, &s[0], &px, true, &yd, &WIN)
        });
        assert_close(&got, &y, TOL);
    }
}

#[test]
fn private_pooling_and_its_adjoint_match_plaintext() {
    let x = ramp(&[2, 2, 5, 6], 0.77, 2.0);
    let win = Window2d { stride: [2, 2], padding: [1, 1] };
    for op in [PoolOp::Max, PoolOp::Avg] {
        let y = pc::pool2d(op, &x, [3, 2], &win).unwrap();
        let dy = ramp(y.shape(), 0.29, 1.0);
        let gx = pc::pool2d_grad(op, &x, &dy, [3, 2], &win).unwrap();
        for n in PARTY_COUNTS {
            let got = run_op(n, std::slice::from_ref(&x), |p, s| conv::pool2d(p, op, &s[0], [3, 2], &win));
            assert_close(&got, &y, TOL);
            let got =
                run_op(n, &[x.clone(), dy.clone()], |p, s| conv::pool2d_grad(p, op, &s[0], &s[1], [3, 2], &win, None));
            assert_close(&got, &gx, TOL);
        }
    }
}

#[test]
fn convolution_opens_its_operands_not_the_im2col_expansion() {
    // x [1, 2, 8, 8], w [4, 2, 3, 3], stride 1, padding 1: z [1, 4, 8, 8]; im2col would be 64×18.
    let fixed = FixedPoint::default();
    let x = fixed.encode(&ramp(&[1, 2, 8, 8], 0.3, 1.0)).unwrap();
    let w = fixed.encode(&ramp(&[4, 2, 3, 3], 0.7, 1.0)).unwrap();
    let win = Window2d { stride: [1, 1], padding: [1, 1] };
    let (nx, nw, nz) = (128u64, 72u64, 256u64);
    for n in PARTY_COUNTS {
        let k = n as u64 - 1;
        let reports = simulate(&SimConfig::new(n, Some(3)), |party| {
            let a = share_from(party, 0, (party.id() == 0).then_some(&x), x.shape(), 16)?;
            let b = share_from(party, 1 % n, (party.id() == 1).then_some(&w), w.shape(), 16)?;
            conv::conv_priv_priv(party, ConvMap::Forward, &a, &b, &[1, 4, 8, 8], &win).map(|_| ())
        })
        .unwrap();
        assert_eq!(reports[1].comm.rounds, 2);
        assert_eq!(reports[1].comm.bytes_sent, 8 * k * (nx + nw + nz));
        assert_eq!(reports[0].dealer.bytes_received, 8 * nz + 16 * nz);
    }
}

#[test]
fn pooling_rounds_are_those_of_the_documented_rows() {
    // max_pool2d over K = 4 (2×2): ⌈log2 4⌉ = 2 levels of (L + 9) rounds, every window at once;
    // avg_pool2d: one round (the division).
    let fixed = FixedPoint::default();
    let x = fixed.encode(&ramp(&[2, 3, 8, 8], 0.45, 1.0)).unwrap();
    let win = Window2d { stride: [2, 2], padding: [0, 0] };
    // With the DCF (2 parties) each level is one round.
    use crate::protocols::compare::CompareMode;
    for (n, mode) in COMPARE_CASES {
        let l = crate::protocols::convert::csa_layers(n) as u64;
        let level = if mode == CompareMode::Fss { 1 } else { l + 9 };
        for (op, want) in [(PoolOp::Max, 2 * level), (PoolOp::Avg, 1)] {
            let mut cfg = SimConfig::new(n, Some(4));
            cfg.compare = Some(mode);
            let reports = simulate(&cfg, |party| {
                let a = share_from(party, 0, (party.id() == 0).then_some(&x), x.shape(), 16)?;
                conv::pool2d(party, op, &a, [2, 2], &win).map(|_| ())
            })
            .unwrap();
            assert_eq!(reports[1].comm.rounds, want, "{op:?} with {n} parties, {mode:?}");
        }
    }
}
