//! The wire-leak test: record every byte the transport carries in a run with a private input and
//! check that no message contains the input's encoding, and that shares and messages look uniform
//! (bit balance of every bit position; chi-square of the top byte).

use super::*;
use crate::protocols::{compare, mul};
use rand::{Rng, SeedableRng};

/// χ² of the top bytes of `words` against the uniform distribution over 256 values.
fn chi_square_top_byte(words: &[u64]) -> f64 {
    let mut counts = [0f64; 256];
    for w in words {
        counts[(w >> 56) as usize] += 1.0;
    }
    let expect = words.len() as f64 / 256.0;
    counts.iter().map(|c| (c - expect) * (c - expect) / expect).sum()
}

/// The largest deviation from 1/2 of the frequency of ones over the 64 bit positions.
fn worst_bit_bias(words: &[u64]) -> f64 {
    (0..64)
        .map(|b| {
            let ones = words.iter().filter(|w| (*w >> b) & 1 == 1).count() as f64;
            (ones / words.len() as f64 - 0.5).abs()
        })
        .fold(0.0, f64::max)
}

fn words_of(bytes: &[u8]) -> Vec<u64> {
    bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect()
}

#[test]
fn the_input_never_crosses_the_wire_and_shares_look_uniform() {
    const N_ELEM: usize = 8192;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
    let x: Vec<f64> = (0..N_ELEM).map(|_| rng.random_range(-1000.0..1000.0)).collect();
    let x = ArrayD::from_shape_vec(vec![N_ELEM], x).unwrap();
    let fixed = FixedPoint::default();
    let enc = fixed.encode(&x).unwrap();
    let secret: std::collections::HashSet<u64> = enc.iter().copied().collect();
    for n in PARTY_COUNTS {
        let mut cfg = SimConfig::new(n, Some(77));
        cfg.record = true;
        let reports = simulate(&cfg, |party| {
            let s = share_from(party, 0, (party.id() == 0).then_some(&enc), &[N_ELEM], 16)?;
            let sq = mul::mul(party, &s, &s)?;
            let pos = compare::relu(party, &s)?;
            let _ = reveal(party, &crate::protocols::arith::add(&sq, &pos)?)?;
            Ok(crate::ring::to_vec(&s.data))
        })
        .unwrap();
        for r in &reports {
            assert!(!r.recorded.is_empty());
            for (_, msg) in &r.recorded {
                // Every alignment, not only word boundaries.
                for off in 0..8.min(msg.len()) {
                    for w in words_of(&msg[off..]) {
                        assert!(!secret.contains(&w), "{n} parties: an input encoding crossed the wire");
                    }
                }
            }
        }
        // The opened masked values of the arithmetic protocols (binary openings of bits are not
        // uniform words, so take the first message: the Beaver opening of the square).
        let first: Vec<u64> = words_of(&reports[0].recorded[0].1);
        // χ² with 255 degrees of freedom: mean 255, sd ≈ 22.6; 400 is beyond 6 sd.
        assert!(chi_square_top_byte(&first) < 400.0, "masked values not uniform");
        for (i, r) in reports.iter().enumerate() {
            assert!(chi_square_top_byte(&r.output) < 400.0, "party {i}'s shares: top byte not uniform");
            // 8192 samples: sd of a bit frequency ≈ 0.0055; 0.035 is beyond 6 sd.
            assert!(worst_bit_bias(&r.output) < 0.035, "party {i}'s shares: biased bits");
        }
        // The encodings themselves fail the same test (the test can fail).
        assert!(chi_square_top_byte(&crate::ring::to_vec(&enc)) > 10_000.0);
    }
}

/// The folded protocols (a comparison times a factor, a comparison and a relu of a product still
/// to be truncated, a matrix product with a pending left factor): no input or raw product crosses
/// the wire, and every message of their rounds is uniform words.
#[test]
fn the_folded_protocols_open_only_uniform_words() {
    const N_ELEM: usize = 8192;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(12);
    let mut draw = || -> ArrayD<f64> {
        let v: Vec<f64> = (0..N_ELEM).map(|_| rng.random_range(-100.0..100.0)).collect();
        ArrayD::from_shape_vec(vec![N_ELEM], v).unwrap()
    };
    let (x, y) = (draw(), draw());
    let fixed = FixedPoint::default();
    let (ex, ey) = (fixed.encode(&x).unwrap(), fixed.encode(&y).unwrap());
    let mut secret: std::collections::HashSet<u64> = ex.iter().chain(ey.iter()).copied().collect();
    // The raw products x·y at scale 32 too.
    secret.extend(ex.iter().zip(ey.iter()).map(|(a, b)| a.wrapping_mul(*b)));
    let mut cfg = SimConfig::new(2, Some(78));
    cfg.compare = Some(CompareMode::Fss);
    cfg.record = true;
    let reports = simulate(&cfg, |party| {
        let xs = share_from(party, 0, (party.id() == 0).then_some(&ex), &[N_ELEM], 16)?;
        let ys = share_from(party, 1, (party.id() == 1).then_some(&ey), &[N_ELEM], 16)?;
        let skip = party.comm_stats().rounds;
        let d = crate::protocols::arith::sub(&xs, &ys)?;
        compare::msb_times(party, &d, &ys)?;
        let raw = mul::mul_raw(party, &xs, &ys)?;
        compare::pending(party, &raw, &ys, compare::OfPending::Times(&xs))?;
        compare::pending(party, &raw, &ys, compare::OfPending::Relu)?;
        // A [1, N] pending factor times a kept [N, 1] mask: keep it first, then reuse it.
        let row =
            crate::share::Shared { data: raw.data.clone().into_shape_with_order(vec![1, N_ELEM]).unwrap(), scale: 32 };
        let col =
            crate::share::Shared { data: ys.data.clone().into_shape_with_order(vec![N_ELEM, 1]).unwrap(), scale: 16 };
        let ready =
            crate::share::Shared { data: xs.data.clone().into_shape_with_order(vec![1, N_ELEM]).unwrap(), scale: 16 };
        let (_, kept) = crate::protocols::matmul::matmul_reuse_raw(
            party,
            &ready,
            &col,
            crate::protocols::matmul::Reuse::Keep { side: 1, id: 3 },
        )?;
        let kept = kept.expect("a kept mask");
        crate::protocols::fused_matmul::matmul_pending_fixed(party, &row, 16, &col, &kept)?;
        Ok(skip)
    })
    .unwrap();
    for r in &reports {
        // The first messages share the inputs; the rest are the protocols' openings.
        let opened: Vec<&Vec<u8>> = r.recorded.iter().skip(r.output as usize).map(|(_, m)| m).collect();
        assert!(opened.len() >= 5, "{} messages", opened.len());
        for msg in &opened {
            for off in 0..8.min(msg.len()) {
                for w in words_of(&msg[off..]) {
                    assert!(!secret.contains(&w), "an input or a raw product crossed the wire");
                }
            }
            let words = words_of(msg);
            if words.len() >= 4096 {
                assert!(chi_square_top_byte(&words) < 400.0, "a message of {} words is not uniform", words.len());
            }
        }
    }
}
