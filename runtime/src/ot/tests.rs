//! Each OT layer against its definition, over many random instances, with the two parties as
//! threads over an in-process mesh.

use super::block::{transpose128, Tccr};
use super::iknp::{CotReceiver, CotSender};
use super::*;
use crate::comm::LocalComm;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Runs `f0` as party 0 and `f1` as party 1 over a fresh two-party mesh.
fn two<A: Send, B: Send>(
    f0: impl FnOnce(&mut dyn Comm) -> A + Send,
    f1: impl FnOnce(&mut dyn Comm) -> B + Send,
) -> (A, B) {
    let mut ends = LocalComm::mesh(2).into_iter();
    let (mut c0, mut c1) = (ends.next().unwrap(), ends.next().unwrap());
    std::thread::scope(|s| {
        let h = s.spawn(move || f1(&mut c1));
        let a = f0(&mut c0);
        (a, h.join().unwrap())
    })
}

#[test]
#[allow(clippy::needless_range_loop)]
fn transpose_matches_the_bitwise_definition() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for _ in 0..20 {
        let orig: [u128; 128] = std::array::from_fn(|_| rng.random());
        let mut t = orig;
        transpose128(&mut t);
        for r in 0..128 {
            for c in 0..128 {
                assert_eq!((t[c] >> r) & 1, (orig[r] >> c) & 1);
            }
        }
        transpose128(&mut t);
        assert_eq!(t, orig);
    }
}

#[test]
fn the_hash_depends_on_tweak_and_input() {
    let mut h = Tccr::default();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    h.hash(0, &[5, 5, 6], &mut a);
    h.hash(1, &[5, 5], &mut b);
    assert_ne!(a[0], a[1], "same input, different tweaks");
    assert_eq!(a[1], b[0], "same tweak and input");
    assert_ne!(a[1], a[2]);
}

#[test]
fn base_ots_give_the_receiver_the_chosen_key_only() {
    for seed in 0..8u64 {
        let choices: u128 = ChaCha20Rng::seed_from_u64(100 + seed).random();
        let (pairs, got) = two(
            |c| base::send(c, 1, &mut ChaCha20Rng::seed_from_u64(seed)).unwrap(),
            |c| base::receive(c, 0, choices, &mut ChaCha20Rng::seed_from_u64(seed + 50)).unwrap(),
        );
        assert_eq!(pairs.len(), KAPPA);
        for (i, ((k0, k1), k)) in pairs.iter().zip(&got).enumerate() {
            let (chosen, other) = if (choices >> i) & 1 == 1 { (k1, k0) } else { (k0, k1) };
            assert_eq!(k, chosen);
            assert_ne!(k, other);
        }
    }
}

#[test]
fn iknp_rows_differ_by_delta_exactly_where_chosen() {
    for (seed, m) in [(1u64, 1usize), (2, 63), (3, 128), (4, 129), (5, 1000), (6, 4096)] {
        let choices: Vec<u64> = {
            let mut r = ChaCha20Rng::seed_from_u64(seed * 7);
            (0..m.div_ceil(64)).map(|_| r.random()).collect()
        };
        let ch = choices.clone();
        let ((delta, q1, q2), (t1, t2)) = two(
            |c| {
                let mut s = CotSender::setup(c, 1, &mut ChaCha20Rng::seed_from_u64(seed)).unwrap();
                let a = s.extend(c, 1, m).unwrap();
                let b = s.extend(c, 1, m).unwrap();
                (s.delta(), a, b)
            },
            |c| {
                let mut r = CotReceiver::setup(c, 0, &mut ChaCha20Rng::seed_from_u64(seed + 1)).unwrap();
                (r.extend(c, 0, &ch, m).unwrap(), r.extend(c, 0, &ch, m).unwrap())
            },
        );
        let second_tweak = q2.0;
        for ((tw0, q), (tw1, t)) in [(q1, t1), (q2, t2)] {
            assert_eq!(tw0, tw1);
            assert_eq!(q.len(), m);
            for j in 0..m {
                let r = (choices[j / 64] >> (j % 64)) & 1;
                assert_eq!(t[j], q[j] ^ if r == 1 { delta } else { 0 }, "m {m} transfer {j}");
            }
        }
        assert_eq!(second_tweak, m as u64, "tweaks advance by the batch");
    }
}

fn setup_pair(seed: u64) -> (CotSender, CotReceiver) {
    two(
        |c| CotSender::setup(c, 1, &mut ChaCha20Rng::seed_from_u64(seed)).unwrap(),
        |c| CotReceiver::setup(c, 0, &mut ChaCha20Rng::seed_from_u64(seed ^ 99)).unwrap(),
    )
}

#[test]
fn additive_transfers_share_the_chosen_correlation() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (mut snd, mut rcv) = setup_pair(3);
    for (m, len) in [(1usize, 1usize), (64, 1), (300, 2), (130, 5), (64 * 40, 1), (77, 33)] {
        let corr: Vec<u64> = (0..m * len).map(|_| rng.random()).collect();
        let choices: Vec<u64> = (0..m.div_ceil(64)).map(|_| rng.random()).collect();
        let (c2, ch2) = (corr.clone(), choices.clone());
        let (s, o) = two(
            |c| {
                let mut h = Tccr::default();
                messages::send_add(&mut snd, &mut h, c, 1, len, &c2).unwrap()
            },
            |c| {
                let mut h = Tccr::default();
                let p = messages::start_recv(&mut rcv, c, 0, ch2, m).unwrap();
                messages::finish_recv_add(p, &mut h, c, 0, len).unwrap()
            },
        );
        for j in 0..m {
            let r = (choices[j / 64] >> (j % 64)) & 1;
            for k in 0..len {
                let i = j * len + k;
                assert_eq!(o[i], s[i].wrapping_add(r.wrapping_mul(corr[i])), "m {m} len {len} transfer {j}");
            }
        }
        // The receiver's result for a 0 choice does not depend on the correlation.
        assert!(s.iter().any(|&x| x != 0));
    }
}

#[test]
fn bit_transfers_share_the_chosen_bit() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let (mut snd, mut rcv) = setup_pair(4);
    for m in [1usize, 64, 65, 640, 5000] {
        let corr: Vec<u64> = (0..m.div_ceil(64)).map(|_| rng.random()).collect();
        let choices: Vec<u64> = (0..m.div_ceil(64)).map(|_| rng.random()).collect();
        let (c2, ch2) = (corr.clone(), choices.clone());
        let (s, o) = two(
            |c| messages::send_xor(&mut snd, &mut Tccr::default(), c, 1, &c2, m).unwrap(),
            |c| {
                let p = messages::start_recv(&mut rcv, c, 0, ch2, m).unwrap();
                messages::finish_recv_xor(p, &mut Tccr::default(), c, 0).unwrap()
            },
        );
        for j in 0..m {
            let bit = |v: &[u64]| (v[j / 64] >> (j % 64)) & 1;
            assert_eq!(bit(&o), bit(&s) ^ (bit(&choices) & bit(&corr)), "m {m} transfer {j}");
        }
    }
}
