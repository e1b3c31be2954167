//! `merge::side_by_side`: independent protocol calls in shared rounds give the same values as
//! one after another, in the rounds of the longest call and the bytes of all; a failing or
//! panicking call ends the batch with an error and leaves the party usable.

use super::{assert_close, config, tensor_pair, COMPARE_CASES};
use crate::fixed::FixedPoint;
use crate::merge::{side_by_side, Pool, Task};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::{compare, mul};
use crate::share::{reveal, share_from, Shared};
use crate::simulate::{simulate, SimConfig};
use ndarray::ArrayD;
use proptest::prelude::*;

type Out = Result<Shared, MpcError>;

/// The three calls: a product, a relu (9 rounds with the tree, 1 with the DCF) and a square.
fn tasks(x: &Shared, y: &Shared) -> Vec<Task<Out>> {
    let (a, b, c, d) = (x.clone(), y.clone(), y.clone(), x.clone());
    vec![
        Box::new(move |p: &mut Party| mul::mul(p, &a, &b)),
        Box::new(move |p: &mut Party| compare::relu(p, &c)),
        Box::new(move |p: &mut Party| mul::square(p, &d)),
    ]
}

/// (rounds, bytes sent) spent by `f` on `party`.
fn spent<T>(party: &mut Party, f: impl FnOnce(&mut Party) -> T) -> (T, u64, u64) {
    let before = party.comm_stats();
    let out = f(party);
    let after = party.comm_stats();
    (out, after.rounds - before.rounds, after.bytes_sent - before.bytes_sent)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn side_by_side_equals_one_after_another((x, y) in tensor_pair(20.0)) {
        let fixed = FixedPoint::default();
        let (ex, ey) = (fixed.encode(&x).unwrap(), fixed.encode(&y).unwrap());
        for (n, mode) in COMPARE_CASES {
            let mut cfg = SimConfig::new(n, Some(7));
            cfg.compare = Some(mode);
            let reports = simulate(&cfg, |party| {
                let sx = share_from(party, 0, (party.id() == 0).then_some(&ex), ex.shape(), fixed.frac_bits)?;
                let sy = share_from(party, 1 % n, (party.id() == 1 % n).then_some(&ey), ey.shape(), fixed.frac_bits)?;
                let mut pool = Pool::default();
                let (merged, rounds, bytes) = spent(party, |p| side_by_side(p, &mut pool, tasks(&sx, &sy)));
                let mut alone = Vec::new();
                let (mut max_rounds, mut sum_bytes) = (0, 0);
                for t in tasks(&sx, &sy) {
                    let (out, r, b) = spent(party, t);
                    alone.push(out?);
                    max_rounds = max_rounds.max(r);
                    sum_bytes += b;
                }
                let mut opened = Vec::new();
                for s in merged?.into_iter().collect::<Result<Vec<_>, _>>()?.iter().chain(&alone) {
                    opened.push(reveal(party, s)?.decode());
                }
                Ok((opened, rounds, max_rounds, bytes, sum_bytes))
            })
            .unwrap();
            for r in &reports {
                let (opened, rounds, max_rounds, bytes, sum_bytes) = &r.output;
                prop_assert_eq!(rounds, max_rounds, "{} parties, {:?}", n, mode);
                prop_assert_eq!(bytes, sum_bytes, "{} parties, {:?}", n, mode);
                let want: [ArrayD<f64>; 3] = [&x * &y, y.mapv(|v| v.max(0.0)), &x * &x];
                for (i, w) in want.iter().enumerate() {
                    // Products: 2 ulps of truncation; relu exact up to the input's encoding.
                    assert_close(&opened[i], w, 2e-4 * (1.0 + w.iter().fold(0.0f64, |m, v| m.max(v.abs()))));
                    assert_close(&opened[i + 3], w, 2e-4 * (1.0 + w.iter().fold(0.0f64, |m, v| m.max(v.abs()))));
                }
            }
        }
    }
}

#[test]
fn a_failing_or_panicking_call_ends_the_batch_and_the_party_goes_on() {
    let fixed = FixedPoint::default();
    let x = ArrayD::from_shape_vec(vec![3], vec![1.5, -2.0, 0.25]).unwrap();
    let ex = fixed.encode(&x).unwrap();
    let reports = simulate(&SimConfig::new(2, Some(3)), |party| {
        let sx = share_from(party, 0, (party.id() == 0).then_some(&ex), ex.shape(), fixed.frac_bits)?;
        let mut pool = Pool::default();
        // A shape error before any message, beside a product: the product still completes.
        let bad = Shared { data: ndarray::ArrayD::zeros(vec![2]), scale: 16 };
        let (a, b, c) = (sx.clone(), sx.clone(), bad);
        let tasks: Vec<Task<Out>> = vec![
            Box::new(move |p: &mut Party| mul::mul(p, &a, &b)),
            Box::new(move |p: &mut Party| mul::mul(p, &a_copy(&c), &c)),
        ];
        let results = side_by_side(party, &mut pool, tasks)?;
        let failed = results.iter().filter(|r| r.is_err()).count();
        // A panicking call: the batch fails, nothing hangs.
        let s = sx.clone();
        let panics: Vec<Task<Out>> =
            vec![Box::new(move |p: &mut Party| mul::mul(p, &s, &s)), Box::new(|_: &mut Party| panic!("a test panic"))];
        let panicked = side_by_side(party, &mut pool, panics).is_err();
        // The party's transport and dealer are back: a plain product works.
        let after = mul::mul(party, &sx, &sx)?;
        let ok = results.into_iter().next().unwrap()?;
        Ok((failed, panicked, reveal(party, &ok)?.decode(), reveal(party, &after)?.decode()))
    });
    let reports = reports.unwrap();
    for r in &reports {
        let (failed, panicked, ok, after) = &r.output;
        assert_eq!(*failed, 1);
        assert!(*panicked);
        assert_close(ok, &(&x * &x), 1e-3);
        assert_close(after, &(&x * &x), 1e-3);
    }
}

/// A share of a different shape than `c` (for the shape error).
fn a_copy(c: &Shared) -> Shared {
    Shared { data: ndarray::ArrayD::zeros(vec![c.len() + 1]), scale: c.scale }
}
