//! The wire-leak test of the OT preprocessing (`--preprocessing ot`): every byte the two parties
//! send each other to generate correlations is recorded during a run with a private input (a
//! product, a comparison and a matrix product, so every kind of correlation is made), and no
//! message may contain the input's encoding or either party's share of it, at any alignment; the
//! messages past the base OTs must look uniform (bit balance, χ² of the top byte).

use super::*;
use crate::preprocessing::Preprocessing;
use crate::protocols::{compare, matmul, mul};
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

fn words_of(bytes: &[u8]) -> Vec<u64> {
    bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect()
}

#[test]
fn no_ot_message_carries_an_input_or_a_share_in_the_clear() {
    const N: usize = 64;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(21);
    let x: Vec<f64> = (0..N * N).map(|_| rng.random_range(-1000.0..1000.0)).collect();
    let x = ArrayD::from_shape_vec(vec![N, N], x).unwrap();
    let enc = FixedPoint::default().encode(&x).unwrap();
    let mut cfg = SimConfig::new(2, Some(78));
    cfg.record = true;
    cfg.preprocessing = Preprocessing::Ot;
    let reports = simulate(&cfg, |party| {
        let s = share_from(party, 0, (party.id() == 0).then_some(&enc), &[N, N], 16)?;
        let sq = mul::mul(party, &s, &s)?;
        let pos = compare::relu(party, &s)?;
        let mm = matmul::matmul(party, &s, &s)?;
        let sum = crate::protocols::arith::add(&crate::protocols::arith::add(&sq, &pos)?, &mm)?;
        let _ = reveal(party, &sum)?;
        Ok(crate::ring::to_vec(&s.data))
    })
    .unwrap();
    let mut secret: HashSet<u64> = enc.iter().copied().collect();
    for r in &reports {
        secret.extend(r.output.iter().copied());
        assert!(r.preprocessing.is_some_and(|p| p.transfers > 0), "the run used OT preprocessing");
    }
    let mut sample: Vec<u64> = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        assert!(r.preprocessing_recorded.len() > 10, "party {i} sent OT messages");
        for (_, msg) in &r.preprocessing_recorded {
            for off in 0..8.min(msg.len()) {
                for w in words_of(&msg[off..]) {
                    assert!(!secret.contains(&w), "party {i}: an input or a share crossed the wire in the OT phase");
                }
            }
            // The base OTs' Ristretto points (32 bytes, 128·32 bytes) are encodings, not uniform words.
            if msg.len() != 32 && msg.len() != 32 * 128 && sample.len() < 1 << 21 {
                sample.extend(words_of(msg));
            }
        }
    }
    let mut counts = [0f64; 256];
    sample.iter().for_each(|w| counts[(w >> 56) as usize] += 1.0);
    let expect = sample.len() as f64 / 256.0;
    let chi: f64 = counts.iter().map(|c| (c - expect) * (c - expect) / expect).sum();
    // 255 degrees of freedom: mean 255, sd ≈ 22.6; 400 is beyond 6 sd.
    assert!(chi < 400.0, "OT messages not uniform: χ² {chi}");
    for b in 0..64 {
        let ones = sample.iter().filter(|w| (*w >> b) & 1 == 1).count() as f64 / sample.len() as f64;
        assert!((ones - 0.5).abs() < 0.01, "bit {b} of OT messages biased: {ones}");
    }
}
