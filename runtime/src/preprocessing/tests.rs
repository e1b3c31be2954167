//! Every correlation from OT against its definition: the two parties' shares, combined, must
//! satisfy the relation exactly (ring arithmetic, no tolerance), over many random instances.

use super::*;
use crate::comm::LocalComm;
use crate::plain::conv::ConvMap;
use mpcc_ir::Window2d;

/// One party's shares of every request: per request, its parts.
type Shares = Vec<Vec<Vec<u64>>>;

/// A convolution case: map, `a`'s shape, `b`'s shape, target shape.
type ConvCase = (ConvMap, Vec<usize>, Vec<usize>, Vec<usize>);

/// Both parties' shares of every request, in order.
fn run_both(reqs: &[Request], seed: u8) -> (Shares, Shares, [PreprocStats; 2]) {
    let mut ends = LocalComm::mesh(2).into_iter();
    let mut p0 = OtPreprocessor::new(Box::new(ends.next().unwrap()), [seed; 32]).unwrap();
    let mut p1 = OtPreprocessor::new(Box::new(ends.next().unwrap()), [seed.wrapping_add(1); 32]).unwrap();
    std::thread::scope(|s| {
        let h = s.spawn(|| {
            let got: Vec<_> = reqs.iter().map(|r| p1.generate(r).unwrap()).collect();
            (got, p1.stats())
        });
        let got0: Vec<_> = reqs.iter().map(|r| p0.generate(r).unwrap()).collect();
        let (got1, st1) = h.join().unwrap();
        (got0, got1, [p0.stats(), st1])
    })
}

fn add(a: &[u64], b: &[u64]) -> Vec<u64> {
    a.iter().zip(b).map(|(x, y)| x.wrapping_add(*y)).collect()
}

fn xor(a: &[u64], b: &[u64]) -> Vec<u64> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

#[test]
fn elementwise_correlations_hold() {
    let reqs = [
        Request::Triple { n: 1000 },
        Request::Triple { n: 1 },
        Request::Square { n: 777 },
        Request::Bits { n: 3000 },
        Request::Trunc { n: 500, bits: 16 },
        Request::Trunc { n: 50, bits: 0 },
        Request::Trunc { n: 50, bits: 63 },
        Request::BinTriple { n: 1500 },
        Request::Triple { n: 0 },
    ];
    for seed in [1u8, 9] {
        let (g0, g1, _) = run_both(&reqs, seed);
        for ((req, s0), s1) in reqs.iter().zip(&g0).zip(&g1) {
            match req {
                Request::Triple { n } => {
                    let (a, b, c) = (add(&s0[0], &s1[0]), add(&s0[1], &s1[1]), add(&s0[2], &s1[2]));
                    assert_eq!(c.len(), *n);
                    for i in 0..*n {
                        assert_eq!(c[i], a[i].wrapping_mul(b[i]), "triple {i}");
                    }
                    if *n > 1 {
                        assert_ne!(s0[0], s1[0], "shares are independent");
                    }
                }
                Request::Square { n } => {
                    let (a, s) = (add(&s0[0], &s1[0]), add(&s0[1], &s1[1]));
                    assert_eq!(s.len(), *n);
                    (0..*n).for_each(|i| assert_eq!(s[i], a[i].wrapping_mul(a[i])));
                }
                Request::Bits { n } => {
                    let (x, a) = (xor(&s0[0], &s1[0]), add(&s0[1], &s1[1]));
                    assert_eq!(a.len(), *n);
                    assert!(s0[0].iter().all(|b| *b <= 1));
                    (0..*n).for_each(|i| assert_eq!(a[i], x[i]));
                    let ones = x.iter().sum::<u64>() as f64 / *n as f64;
                    assert!((ones - 0.5).abs() < 0.05, "bits are balanced: {ones}");
                }
                Request::Trunc { n, bits } => {
                    let (r, m, t) = (add(&s0[0], &s1[0]), add(&s0[1], &s1[1]), add(&s0[2], &s1[2]));
                    for i in 0..*n {
                        assert_eq!(m[i], r[i] >> 63);
                        assert_eq!(t[i], (r[i] << 1 >> 1) >> bits.min(&63));
                    }
                }
                Request::BinTriple { n } => {
                    let (a, b, c) = (xor(&s0[0], &s1[0]), xor(&s0[1], &s1[1]), xor(&s0[2], &s1[2]));
                    (0..*n).for_each(|i| assert_eq!(c[i], a[i] & b[i]));
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn matrix_triples_hold_for_every_shape_kind() {
    let shapes: [(&[usize], &[usize]); 7] = [
        (&[3, 4], &[4, 5]),
        (&[6, 4], &[4, 2]),
        (&[2, 3, 4], &[4, 2]),
        (&[4], &[4, 3]),
        (&[3, 4], &[4]),
        (&[2, 1, 3, 4], &[3, 4, 2]),
        (&[1, 1], &[1, 1]),
    ];
    let reqs: Vec<Request> = shapes.iter().map(|(a, b)| Request::MatTriple { a: a.to_vec(), b: b.to_vec() }).collect();
    let (g0, g1, _) = run_both(&reqs, 5);
    for (((a_shape, b_shape), s0), s1) in shapes.iter().zip(&g0).zip(&g1) {
        let a = crate::ring::from_vec("t", a_shape, add(&s0[0], &s1[0])).unwrap();
        let b = crate::ring::from_vec("t", b_shape, add(&s0[1], &s1[1])).unwrap();
        let want = crate::ring::to_vec(&crate::ring::matmul(&a, &b).unwrap());
        assert_eq!(add(&s0[2], &s1[2]), want, "{a_shape:?} @ {b_shape:?}");
    }
}

#[test]
fn convolution_triples_hold_for_every_map() {
    let win = Window2d { stride: [2, 1], padding: [1, 0] };
    // (map, a, b, target): forward x ⊛ w; GradX dy, w → x; GradW x, dy → w.
    let cases: Vec<ConvCase> = vec![
        (ConvMap::Forward, vec![2, 2, 5, 4], vec![3, 2, 3, 2], vec![]),
        (ConvMap::GradX, vec![2, 3, 3, 3], vec![3, 2, 3, 2], vec![2, 2, 5, 4]),
        (ConvMap::GradW, vec![2, 2, 5, 4], vec![2, 3, 3, 3], vec![3, 2, 3, 2]),
    ];
    let reqs: Vec<Request> = cases
        .iter()
        .map(|(map, a, b, target)| Request::ConvTriple {
            map: *map,
            a: a.clone(),
            b: b.clone(),
            target: target.clone(),
            win,
        })
        .collect();
    let (g0, g1, _) = run_both(&reqs, 7);
    for (((map, a_shape, b_shape, target), s0), s1) in cases.iter().zip(&g0).zip(&g1) {
        let a = crate::ring::from_vec("t", a_shape, add(&s0[0], &s1[0])).unwrap();
        let b = crate::ring::from_vec("t", b_shape, add(&s0[1], &s1[1])).unwrap();
        let want = crate::protocols::conv::ring_conv(*map, &a, &b, target, &win).unwrap();
        assert_eq!(add(&s0[2], &s1[2]), crate::ring::to_vec(&want), "{map:?}");
    }
}

#[test]
fn costs_are_counted_and_symmetric() {
    let (_, _, st) = run_both(&[Request::Triple { n: 1000 }], 3);
    for s in &st {
        // 128 transfers per triple: 16 bytes of IKNP columns and 8 of correction per transfer
        // received, split evenly, plus the base OTs (under 9 KB).
        assert_eq!(s.transfers, 128_000);
        let per_triple = (s.bytes_sent as f64 - 9000.0) / 1000.0;
        assert!((1400.0..=1600.0).contains(&per_triple), "{per_triple} bytes sent per triple");
        assert!(s.seconds > 0.0);
    }
    assert_eq!(st[0].bytes_sent, st[1].bytes_received);
    assert_eq!(st[1].bytes_sent, st[0].bytes_received);
}

#[test]
fn three_parties_are_refused() {
    let ends = LocalComm::mesh(3);
    let c = ends.into_iter().next().unwrap();
    assert!(OtPreprocessor::new(Box::new(c), [0; 32]).is_err());
}
