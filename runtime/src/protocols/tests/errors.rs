//! Failure paths and the dealer thread: a malformed message is a typed error (not a panic or a
//! hang), a protocol run with the dealer on its own thread agrees with the inline dealer, and
//! comparisons with a public operand work through `Shared::from_public`.

use super::*;
use crate::comm::CommError;
use crate::protocols::compare::{compare, relu, CmpOp};
use crate::share::Public;
use crate::wire::WireError;
use ndarray::{arr1, IxDyn};

#[test]
fn a_malformed_message_is_a_typed_error() {
    let err = simulate(&SimConfig::new(2, Some(1)), |party| {
        if party.id() == 1 {
            party.comm().send(0, vec![1, 2, 3])?;
            // Stay until party 0's share arrives, so its send cannot meet a hung-up peer.
            party.comm().recv(0)?;
            return Ok(());
        }
        party.open(&[5, 6]).map(|_| ())
    })
    .unwrap_err();
    assert_eq!(
        err,
        MpcError::Comm(CommError::Malformed { peer: 1, source: WireError::Length { expected: 16, got: 3 } })
    );
}

#[test]
fn a_party_that_leaves_makes_the_others_fail_not_hang() {
    let err = simulate(&SimConfig::new(3, Some(1)), |party| {
        if party.id() == 2 {
            return Err(party.invalid("test", "party 2 gives up"));
        }
        party.open(&[1]).map(|_| ())
    })
    .unwrap_err();
    assert_eq!(err, MpcError::Invalid { party: 2, op: "test", reason: "party 2 gives up".into() });
}

#[test]
fn the_dealer_thread_gives_the_same_results() {
    let x = arr1(&[-3.5, 0.0, 2.25, 7.0, -0.125]).into_dyn();
    for n in PARTY_COUNTS {
        for dealer_thread in [false, true] {
            let mut cfg = SimConfig::new(n, Some(4));
            cfg.dealer_thread = dealer_thread;
            let reports = simulate(&cfg, |party| {
                let e = party.fixed.encode(&x)?;
                let s = share_from(party, 0, (party.id() == 0).then_some(&e), &[5], 16)?;
                let r = relu(party, &s)?;
                let sq = crate::protocols::mul::mul(party, &r, &s)?;
                Ok(reveal(party, &sq)?.decode())
            })
            .unwrap();
            assert_close(&reports[0].output, &x.mapv(|v| v.max(0.0) * v), 1e-4);
        }
    }
}

#[test]
fn comparison_with_a_public_operand() {
    let x = arr1(&[-1.0, 0.5, 2.0, 3.0]).into_dyn();
    for n in PARTY_COUNTS {
        let got = run_op(n, std::slice::from_ref(&x), |party, s| {
            let two = Public::encode(&ArrayD::from_elem(IxDyn(&[]), 2.0), 16)?;
            let c = compare(party, CmpOp::Ge, &s[0], &Shared::from_public(party, &two))?;
            Ok(crate::protocols::arith::upscale(&c, 16))
        });
        assert_close(&got, &arr1(&[0.0, 0.0, 1.0, 1.0]).into_dyn(), 0.0);
    }
}

#[test]
fn only_reveals_count_as_unmasked_openings() {
    let x = arr1(&[1.0, -2.0, 3.0]).into_dyn();
    for n in PARTY_COUNTS {
        let reports = simulate(&SimConfig::new(n, Some(6)), |party| {
            let e = party.fixed.encode(&x)?;
            let s = share_from(party, 0, (party.id() == 0).then_some(&e), &[3], 16)?;
            let y = crate::protocols::mul::mul(party, &s, &s)?;
            let z = relu(party, &y)?;
            reveal(party, &z).map(|_| ())
        })
        .unwrap();
        for r in &reports {
            assert_eq!((r.protocol.reveals, r.protocol.revealed_elements), (1, 3));
            // mul: the Beaver opening and the truncation; relu: at least one masked opening.
            assert!(r.protocol.openings >= 4, "the protocols' masked openings are counted too");
        }
    }
}
