//! `matmul::matmul_reuse_raw`: a factor's mask kept by the dealer and reused, on either side,
//! gives the products of a fresh triple, and a reused factor is not sent again.

use super::{assert_close, PARTY_COUNTS};
use crate::fixed::FixedPoint;
use crate::protocols::matmul::{matmul, matmul_reuse_raw, Reuse};
use crate::protocols::trunc::rescale;
use crate::share::{reveal, share_from};
use crate::simulate::{simulate, SimConfig};
use ndarray::{ArrayD, IxDyn};

fn t(shape: &[usize], f: impl Fn(usize) -> f64) -> ArrayD<f64> {
    let n: usize = shape.iter().product();
    ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(f).collect()).unwrap()
}

fn dot(a: &ArrayD<f64>, b: &ArrayD<f64>) -> ArrayD<f64> {
    let a2 = a.clone().into_dimensionality::<ndarray::Ix2>().unwrap();
    let b2 = b.clone().into_dimensionality::<ndarray::Ix2>().unwrap();
    a2.dot(&b2).into_dyn()
}

#[test]
fn a_kept_mask_gives_the_same_products_on_either_side_and_is_not_sent_again() {
    let fixed = FixedPoint::default();
    let x = t(&[3, 4], |i| i as f64 * 0.25 - 1.0);
    let w1 = t(&[2, 3], |i| 0.5 - i as f64 * 0.3);
    let w2 = t(&[2, 3], |i| (i as f64 * 0.7).sin());
    let y1 = t(&[4, 2], |i| i as f64 * 0.1);
    let y2 = t(&[4, 2], |i| 1.0 - i as f64 * 0.2);
    let enc: Vec<_> = [&x, &w1, &w2, &y1, &y2].iter().map(|v| fixed.encode(v).unwrap()).collect();
    for n in PARTY_COUNTS {
        let reports = simulate(&SimConfig::new(n, Some(9)), |party| {
            let mut s = Vec::new();
            for (i, e) in enc.iter().enumerate() {
                let src = i % n;
                s.push(share_from(party, src, (party.id() == src).then_some(e), e.shape(), fixed.frac_bits)?);
            }
            let (x, w1, w2, y1, y2) = (&s[0], &s[1], &s[2], &s[3], &s[4]);
            let sent = |p: &crate::party::Party| p.comm_stats().bytes_sent;
            // x as the right factor: kept, then reused.
            let (z1, kept) = matmul_reuse_raw(party, w1, x, Reuse::Keep { side: 1, id: 1 })?;
            let kept = kept.expect("a kept mask");
            let before = sent(party);
            let (z2, none) = matmul_reuse_raw(party, w2, x, Reuse::Fixed { side: 1, mask: &kept })?;
            let fixed_bytes = sent(party) - before;
            assert!(none.is_none());
            // x as the left factor.
            let (z3, kept_left) = matmul_reuse_raw(party, x, y1, Reuse::Keep { side: 0, id: 2 })?;
            let kept_left = kept_left.expect("a kept mask");
            let (z4, _) = matmul_reuse_raw(party, x, y2, Reuse::Fixed { side: 0, mask: &kept_left })?;
            let plain = matmul(party, w2, x)?;
            let mut out = Vec::new();
            for z in [z1, z2, z3, z4] {
                let z = rescale(party, z, fixed.frac_bits)?;
                out.push(reveal(party, &z)?.decode());
            }
            out.push(reveal(party, &plain)?.decode());
            Ok((out, fixed_bytes))
        })
        .unwrap();
        for r in &reports {
            let (out, fixed_bytes) = &r.output;
            let want = [dot(&w1, &x), dot(&w2, &x), dot(&x, &y1), dot(&x, &y2), dot(&w2, &x)];
            for (got, want) in out.iter().zip(&want) {
                assert_close(got, want, 1e-3);
            }
            // Only w2 (6 words) went to each peer, not x (12 more).
            assert_eq!(*fixed_bytes, 8 * 6 * (n as u64 - 1), "{n} parties");
        }
    }
}

#[test]
fn a_reused_mask_the_dealer_does_not_have_is_an_error() {
    let fixed = FixedPoint::default();
    let x = fixed.encode(&t(&[2, 2], |i| i as f64)).unwrap();
    let result = simulate(&SimConfig::new(2, Some(1)), |party| {
        let s = share_from(party, 0, (party.id() == 0).then_some(&x), x.shape(), fixed.frac_bits)?;
        let mask = crate::protocols::matmul::KeptMask { id: 99, opened: s.data.clone(), share: s.data.clone() };
        matmul_reuse_raw(party, &s, &s, Reuse::Fixed { side: 1, mask: &mask }).map(|_| ())
    });
    let err = result.map(|_| ()).expect_err("no mask 99 was kept").to_string();
    assert!(err.contains("no mask kept under id 99"), "{err}");
    // The same for a product with a pending left factor.
    let result = simulate(&SimConfig::new(2, Some(1)), |party| {
        let s = share_from(party, 0, (party.id() == 0).then_some(&x), x.shape(), fixed.frac_bits)?;
        let mask = crate::protocols::matmul::KeptMask { id: 98, opened: s.data.clone(), share: s.data.clone() };
        let raw = crate::share::Shared { data: s.data.clone(), scale: 32 };
        crate::protocols::fused_matmul::matmul_pending_fixed(party, &raw, 16, &s, &mask).map(|_| ())
    });
    let err = result.map(|_| ()).expect_err("no mask 98 was kept").to_string();
    assert!(err.contains("no mask kept under id 98"), "{err}");
}

/// `fused_matmul::matmul_pending_fixed`: `trunc(a·b) @ y` with `y`'s mask kept, in one round,
/// against f64 (each output sums 4 products of a value within one unit of the exact one).
#[test]
fn a_pending_left_factor_times_a_kept_mask_in_one_round() {
    let a = t(&[3, 4], |i| i as f64 * 0.25 - 1.4);
    let b = t(&[3, 4], |i| (i as f64 * 0.9).cos() * 2.0);
    let y = t(&[4, 5], |i| 1.0 - i as f64 * 0.15);
    let want = dot(&(&a * &b), &y);
    for n in PARTY_COUNTS {
        let got = super::run_op(n, &[a.clone(), b.clone(), y.clone()], |party, s| {
            let (a, b, y) = (&s[0], &s[1], &s[2]);
            // The first product keeps y's mask; the second reuses it with a raw left factor.
            let x0 = crate::protocols::mul::mul(party, a, b)?;
            let (_, kept) = matmul_reuse_raw(party, &x0, y, Reuse::Keep { side: 1, id: 7 })?;
            let kept = kept.expect("a kept mask");
            let raw = crate::protocols::mul::mul_raw(party, a, b)?;
            let before = party.comm_stats();
            let z = crate::protocols::fused_matmul::matmul_pending_fixed(party, &raw, 16, y, &kept)?;
            let after = party.comm_stats();
            assert_eq!(after.rounds - before.rounds, 1);
            assert_eq!(after.bytes_sent - before.bytes_sent, (n as u64 - 1) * 8 * 12);
            rescale(party, z, 16)
        });
        assert_close(&got, &want, 4.0 * 5.0 / 65536.0 + 1e-9);
    }
}
