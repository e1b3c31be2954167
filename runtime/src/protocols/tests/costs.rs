//! The cost table of `docs/protocols.md`, checked: rounds and bytes sent per party and dealer
//! bytes per element for each protocol, for 2, 3 and 5 parties.

use super::*;
use crate::protocols::compare::{compare, relu, CmpOp, CompareMode};
use crate::protocols::convert::{a2b, b2a_bit, csa_adders, csa_layers, msb_and_words};
use crate::protocols::select::{reduce_extreme, where_, Extreme};
use crate::protocols::{arith, binary, matmul, mul, trunc};
use crate::share::BinShared;

const N_ELEM: usize = 12;

/// (rounds, bytes sent by party 1, dealer bytes to party 0) of `op` on two 12-element inputs,
/// comparing with the carry tree.
fn cost(n: usize, op: impl Fn(&mut Party, &Shared, &Shared) -> Result<(), MpcError> + Sync) -> (u64, u64, u64) {
    cost_with(n, CompareMode::Tree, op)
}

/// As `cost`, comparing with `mode`.
fn cost_with(
    n: usize,
    mode: CompareMode,
    op: impl Fn(&mut Party, &Shared, &Shared) -> Result<(), MpcError> + Sync,
) -> (u64, u64, u64) {
    let x = ArrayD::from_shape_fn(vec![N_ELEM], |i| i[0] as f64 - 5.5);
    let mut cfg = SimConfig::new(n, Some(2));
    cfg.compare = Some(mode);
    let reports = simulate(&cfg, |party| {
        let e = party.fixed.encode(&x)?;
        let a = share_from(party, 0, (party.id() == 0).then_some(&e), &[N_ELEM], 16)?;
        let b = share_from(party, 1, (party.id() == 1).then_some(&e), &[N_ELEM], 16)?;
        op(party, &a, &b)
    })
    .unwrap();
    (reports[1].comm.rounds, reports[1].comm.bytes_sent, reports[0].dealer.bytes_received)
}

/// The DCF rows of docs/protocols.md (2 parties): per element, 1 round and 8 bytes per party; the
/// dealer sends party 0 193 words (258 with the product) and party 1 192 (256).
#[test]
fn documented_dcf_costs_hold() {
    let e = N_ELEM as u64;
    let fss = |op: &(dyn Fn(&mut Party, &Shared, &Shared) -> Result<(), MpcError> + Sync)| {
        let c = cost_with(2, CompareMode::Fss, op);
        (c.0, c.1 / e, c.2 / e)
    };
    assert_eq!(fss(&|p, a, b| compare(p, CmpOp::Lt, a, b).map(|_| ())), (1, 8, 8 * 193));
    assert_eq!(fss(&|p, a, b| compare(p, CmpOp::Eq, a, b).map(|_| ())), (1, 16, 16 * 193));
    assert_eq!(fss(&|p, a, _| relu(p, a).map(|_| ())), (1, 8, 8 * 258));
    assert_eq!(fss(&|p, a, b| crate::protocols::select::maximum(p, a, b).map(|_| ())), (1, 8, 8 * 258));
    // A 12-element max: ⌈log2 12⌉ = 4 levels of one round each.
    assert_eq!(fss(&|p, a, _| reduce_extreme(p, a, None, Extreme::Max, false).map(|_| ())).0, 4);
}

#[test]
fn documented_costs_hold() {
    for n in PARTY_COUNTS {
        let k = n as u64 - 1;
        let (l, g) = (csa_layers(n) as u64, csa_adders(n) as u64);
        let e = N_ELEM as u64;
        let per = |c: (u64, u64, u64)| (c.0, c.1 / e, c.2 / e);
        // `cost` includes the two `share_from` calls, so these totals also show that sharing is free.
        assert_eq!(per(cost(n, |p, a, _| reveal(p, a).map(|_| ()))), (1, 8 * k, 0));
        assert_eq!(per(cost(n, |p, a, _| trunc::truncate(p, a, 8).map(|_| ()))), (1, 8 * k, 16));
        assert_eq!(per(cost(n, |p, a, b| mul::mul(p, a, b).map(|_| ()))), (2, 24 * k, 24));
        assert_eq!(per(cost(n, |p, a, _| mul::square(p, a).map(|_| ()))), (2, 16 * k, 24));
        assert_eq!(per(cost(n, |p, a, _| arith::div_public(p, a, 2.5).map(|_| ()))), (2, 16 * k, 32));
        assert_eq!(per(cost(n, |p, a, _| arith::div_public(p, a, 3.0).map(|_| ()))), (1, 8 * k, 16));
        assert_eq!(per(cost(n, |p, a, _| arith::div_public(p, a, 4.0).map(|_| ()))), (1, 8 * k, 16));
        assert_eq!(
            per(cost(n, |p, a, b| binary::and(
                p,
                &BinShared { data: a.data.clone() },
                &BinShared { data: b.data.clone() }
            )
            .map(|_| ()))),
            (1, 16 * k, 8)
        );
        assert_eq!(per(cost(n, |p, a, _| a2b(p, a).map(|_| ()))), (l + 7, 8 * k * (24 + 2 * g), 8 * (12 + g)));
        assert_eq!(per(cost(n, |p, a, _| b2a_bit(p, &BinShared { data: a.data.clone() }).map(|_| ()))), (1, 8 * k, 8));
        // MSB extraction of m elements: the carry tree's AND words plus the carry-save adders,
        // two opened words each, then one B2A word; the dealer deals one word per AND word and bit.
        let msb = |m: u64| {
            let and_words = msb_and_words(m as usize) as u64 + g * m;
            (l + 8, k * 8 * (2 * and_words + m), 8 * (and_words + m))
        };
        assert_eq!(cost(n, |p, a, b| compare(p, CmpOp::Lt, a, b).map(|_| ())), msb(e));
        assert_eq!(cost(n, |p, a, b| compare(p, CmpOp::Eq, a, b).map(|_| ())), msb(2 * e));
        let (r, s, d) = msb(e);
        assert_eq!(cost(n, |p, a, _| relu(p, a).map(|_| ())), (r + 1, s + 16 * k * e, d + 8 * e));
        assert_eq!(
            per(cost(n, |p, a, b| {
                let c = compare(p, CmpOp::Lt, a, b)?;
                let before = p.comm_stats().bytes_sent;
                where_(p, &c, a, b)?;
                assert_eq!(p.comm_stats().bytes_sent - before, 16 * k * N_ELEM as u64);
                Ok(())
            }))
            .0,
            l + 9
        );
        // A 12-element max: ⌈log2 12⌉ = 4 levels, each a comparison and one round of products.
        assert_eq!(cost(n, |p, a, _| reduce_extreme(p, a, None, Extreme::Max, false).map(|_| ())).0, 4 * (l + 9));
        // Matmul (1×12)@(12×1): the opening carries |x| + |y| = 24 words, the truncation |z| = 1.
        let c = cost(n, |p, a, b| {
            let x = Shared { data: a.data.clone().into_shape_with_order(vec![1, N_ELEM]).unwrap(), scale: 16 };
            let y = Shared { data: b.data.clone().into_shape_with_order(vec![N_ELEM, 1]).unwrap(), scale: 16 };
            matmul::matmul(p, &x, &y).map(|_| ())
        });
        assert_eq!(c, (2, 8 * k * (2 * e + 1), 24));
    }
}
