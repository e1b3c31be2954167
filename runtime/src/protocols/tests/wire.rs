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
