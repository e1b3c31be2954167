//! Fused products (`protocols::fused`): factors ready or still to be truncated, squares and
//! pairs of two pending factors, against `f64` for 2, 3 and 5 parties. Tolerance: each pending
//! factor's truncation errs by at most one unit (2^-16), so a product by at most
//! 2^-16·(|other factor| + 1) plus the encodings' half units.

use super::*;
use crate::fixed::encode_tensor;
use crate::protocols::fused::{products, Factor};
use crate::ring::to_vec;
use ndarray::IxDyn;

const F: u32 = 16;

/// Runs `products` on three vectors shared by parties 0, 1, 2 % n: `a` ready at scale 16,
/// `b` and `c` at scale 32 (pending, truncated by 16 bits). Returns the opened truncated `b`,
/// `c` and the opened products of `pairs`, decoded.
fn run(n: usize, a: &[f64], b: &[f64], c: &[f64], pairs: &[[usize; 2]]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let len = a.len();
    let arr = |v: &[f64]| ArrayD::from_shape_vec(IxDyn(&[len]), v.to_vec()).unwrap();
    let enc = [
        encode_tensor(&arr(a), F).unwrap(),
        encode_tensor(&arr(b), 2 * F).unwrap(),
        encode_tensor(&arr(c), 2 * F).unwrap(),
    ];
    let cfg = SimConfig::new(n, Some(19 + n as u64));
    let reports = simulate(&cfg, |party| {
        let mut words = Vec::new();
        for (i, (x, scale)) in enc.iter().zip([F, 2 * F, 2 * F]).enumerate() {
            let src = i % n;
            let s = share_from(party, src, (party.id() == src).then_some(x), &[len], scale)?;
            words.push(to_vec(&s.data));
        }
        let factors = [Factor::Ready(&words[0]), Factor::Pending(&words[1], F), Factor::Pending(&words[2], F)];
        let fused = products(party, &factors, pairs)?;
        let mut open = |w: &[u64], scale: u32| -> Result<Vec<f64>, MpcError> {
            let opened = party.open(w)?;
            Ok(opened.iter().map(|&v| v as i64 as f64 / 2f64.powi(scale as i32)).collect())
        };
        let mut truncated = Vec::new();
        for t in fused.truncated.iter().flatten() {
            truncated.push(open(t, F)?);
        }
        let mut prods = Vec::new();
        for p in &fused.products {
            prods.push(open(p, 2 * F)?);
        }
        Ok((truncated, prods))
    })
    .unwrap();
    reports[0].output.clone()
}

fn values(len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-100.0f64..100.0, len)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fused_products_match_f64(
        (a, b, c) in (1usize..20).prop_flat_map(|len| (values(len), values(len), values(len))),
    ) {
        let pairs = [[0, 1], [1, 1], [1, 2], [0, 0], [2, 0], [2, 2]];
        let ulp = 2f64.powi(-(F as i32));
        for n in PARTY_COUNTS {
            let (truncated, prods) = run(n, &a, &b, &c, &pairs);
            prop_assert_eq!(truncated.len(), 2);
            for (got, want) in truncated.iter().zip([&b, &c]) {
                for (g, w) in got.iter().zip(want.iter()) {
                    prop_assert!((g - w).abs() <= 1.5 * ulp, "truncated {w}: got {g}");
                }
            }
            let f = [&a, &b, &c];
            for (p, [i, j]) in prods.iter().zip(pairs) {
                for (e, g) in p.iter().enumerate() {
                    let (x, y) = (f[i][e], f[j][e]);
                    let tol = 2.0 * ulp * (x.abs() + y.abs() + 1.0);
                    prop_assert!((g - x * y).abs() <= tol, "{n} parties, {x}·{y} (pair {i},{j}): got {g}");
                }
            }
        }
    }
}

#[test]
fn fused_products_take_one_round_and_the_stated_bytes() {
    // a ready factor and two pending ones, 7 elements, the six pairs above.
    let len = 7usize;
    let pairs = [[0usize, 1], [1, 1], [1, 2], [0, 0], [2, 0], [2, 2]];
    for n in PARTY_COUNTS {
        let cfg = SimConfig::new(n, Some(5));
        let reports = simulate(&cfg, |party| {
            let w = vec![0u64; len];
            products(party, &[Factor::Ready(&w), Factor::Pending(&w, F), Factor::Pending(&w, F)], &pairs).map(|_| ())
        })
        .unwrap();
        for r in &reports {
            assert_eq!((r.comm.rounds, r.comm.bytes_sent), (1, (n as u64 - 1) * 8 * 3 * len as u64), "{n} parties");
        }
        // Party 0's dealer words: 2 per pending factor, then 2 + 2 + 4 + 1 + 2 + 2 variant products.
        assert_eq!(reports[0].dealer.bytes_received, 8 * len as u64 * (4 + 13), "{n} parties");
    }
}

#[test]
fn bad_factors_are_refused() {
    let cfg = SimConfig::new(2, Some(5));
    let out = simulate(&cfg, |party| {
        let (a, b) = (vec![0u64; 3], vec![0u64; 4]);
        let lengths = products(party, &[Factor::Ready(&a), Factor::Ready(&b)], &[[0, 1]]).is_err();
        let pair = products(party, &[Factor::Ready(&a)], &[[0, 1]]).is_err();
        let bits = products(party, &[Factor::Pending(&a, 63)], &[[0, 0]]).is_err();
        Ok([lengths, pair, bits])
    })
    .unwrap();
    assert_eq!(out[0].output, [true, true, true]);
}
