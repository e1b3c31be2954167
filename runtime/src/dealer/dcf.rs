//! The dealer's DCF keys (`Request::DcfKeys`, `DcfTimes`, `DcfPending`): the masks and root
//! seeds drawn in the order the parties' clients draw them, the keys generated from both
//! parties' root seeds (`fss::gen`), and party 0's corrected parts. The keys are common parts:
//! both parties receive them.

use super::{draw, mask_parts, Combine, DealerError, DealerRng, TrustedDealer};

/// What a DCF request's second output word multiplies (`TrustedDealer::serve_dcf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DcfOut {
    /// No second word (`msb` only).
    Msb,
    /// The mask itself (`relu`: `x·msb(x)`).
    Relu,
    /// A second mask (`DcfTimes`).
    Times,
}

impl TrustedDealer {
    /// DCF keys for `n` masks: draws both parties' parts in the order their clients draw them
    /// (`r`, root seeds, with `Times` the second mask `s`; party 1 also its corrected parts), then
    /// generates the correction words.
    pub(super) fn serve_dcf(&mut self, n: usize, out: DcfOut) -> Result<(Vec<u64>, Vec<u64>), DealerError> {
        let [rng0, rng1] = self.rngs.as_mut_slice() else {
            return Err(DealerError::BadRequest(format!(
                "DCF keys are for 2 parties, not {} (use the carry tree for more)",
                self.rngs.len()
            )));
        };
        let times = out == DcfOut::Times;
        let outputs = if out == DcfOut::Msb { 1 } else { 2 };
        let draw_free = |rng: &mut DealerRng| {
            let r = draw(rng, n, Combine::Add);
            let seeds = draw(rng, 2 * n, Combine::Own);
            let s = if times { draw(rng, n, Combine::Add) } else { Vec::new() };
            (r, seeds, s)
        };
        let (r0, s0, m0) = draw_free(rng0);
        let (r1, s1, m1) = draw_free(rng1);
        let z1 = draw(rng1, n, Combine::Add);
        let zr1 = if outputs == 2 { draw(rng1, n, Combine::Add) } else { Vec::new() };
        let add = |a: &[u64], b: &[u64]| a.iter().zip(b).map(|(a, b)| a.wrapping_add(*b)).collect::<Vec<u64>>();
        let r = add(&r0, &r1);
        // The second output's multiplier: the mask itself (relu) or the second mask.
        let pay = if times { add(&m0, &m1) } else { r.clone() };
        let top = |r: u64| r >> 63;
        // β = (1 - 2·msb(r))·(1, pay): ±1 and ±pay.
        let betas: Vec<u64> = r
            .iter()
            .zip(&pay)
            .flat_map(|(&r, &p)| {
                let sign = 1u64.wrapping_sub(2 * top(r));
                [sign, sign.wrapping_mul(p)].into_iter().take(outputs)
            })
            .collect();
        let roots = |s: &[u64]| {
            s.chunks_exact(2)
                .map(|w| match w {
                    [lo, hi] => crate::fss::root_seed(*lo, *hi),
                    _ => 0,
                })
                .collect::<Vec<u128>>()
        };
        let (roots0, roots1) = (roots(&s0), roots(&s1));
        let keys = crate::fss::gen(&mut self.prg, outputs, &r, &betas, [&roots0, &roots1])
            .map_err(|e| DealerError::BadRequest(e.to_string()))?;
        // Party 0's explicit values: the common parts first (see `DealerClient::finish`).
        let mut p0 = keys.clone();
        p0.extend(r.iter().zip(&z1).map(|(&r, z)| top(r).wrapping_sub(*z)));
        if outputs == 2 {
            p0.extend(r.iter().zip(&pay).zip(&zr1).map(|((&r, &p), z)| p.wrapping_mul(top(r)).wrapping_sub(*z)));
        }
        Ok((p0, keys))
    }

    /// `Request::DcfPending`: the truncation parts of `r`, and two DCF key sets, one per variant
    /// `σ` of the truncated value's share (`products` module doc: `S_0`, `S_1`), for the masks
    /// `m_σ = r' - S_σ` of `trunc(p) + q`.
    pub(super) fn serve_dcf_pending(
        &mut self,
        n: usize,
        bits: u32,
        times: bool,
        relu: bool,
    ) -> Result<(Vec<u64>, Vec<u64>), DealerError> {
        if !(1..=62).contains(&bits) {
            return Err(DealerError::BadRequest(format!("a truncation by {bits} bits (1 to 62)")));
        }
        let [rng0, rng1] = self.rngs.as_mut_slice() else {
            return Err(DealerError::BadRequest(format!(
                "DCF keys are for 2 parties, not {} (use the carry tree for more)",
                self.rngs.len()
            )));
        };
        if times && relu {
            return Err(DealerError::BadRequest("DCF keys for a product and a relu at once".into()));
        }
        let outputs = if times || relu { 2 } else { 1 };
        let draw_free = |rng: &mut DealerRng| {
            let r = draw(rng, n, Combine::Add);
            let seeds = draw(rng, 4 * n, Combine::Own);
            let q = draw(rng, n, Combine::Add);
            let s = if times { draw(rng, n, Combine::Add) } else { Vec::new() };
            (r, seeds, q, s)
        };
        let (r0, seeds0, q0, s0) = draw_free(rng0);
        let (r1, seeds1, q1, s1) = draw_free(rng1);
        let corrected: Vec<Vec<u64>> = (0..2 + 2 * outputs).map(|_| draw(rng1, n, Combine::Add)).collect();
        let add = |a: &[u64], b: &[u64]| a.iter().zip(b).map(|(a, b)| a.wrapping_add(*b)).collect::<Vec<u64>>();
        let (r, q) = (add(&r0, &r1), add(&q0, &q1));
        let s = if times { add(&s0, &s1) } else { vec![0; n] };
        let high = 1u64 << (63 - bits);
        let parts: Vec<(u64, u64)> = r.iter().map(|&r| mask_parts(r, |v| v >> bits)).collect();
        // m_σ = r' - S_σ with S_0 = msb(r)·2^(63-bits) - ⌊r_low/2^bits⌋ and S_1 = -msb(r)·… - ….
        let masks = |sigma: u64| -> Vec<u64> {
            parts
                .iter()
                .zip(&q)
                .map(|(&(m, t), &q)| {
                    let hm = m.wrapping_mul(high);
                    let s_sigma = if sigma == 0 { hm } else { hm.wrapping_neg() }.wrapping_sub(t);
                    q.wrapping_sub(s_sigma)
                })
                .collect()
        };
        let roots = |seeds: &[u64], set: usize| {
            seeds
                .get(2 * n * set..2 * n * (set + 1))
                .unwrap_or_default()
                .chunks_exact(2)
                .map(|w| match w {
                    [lo, hi] => crate::fss::root_seed(*lo, *hi),
                    _ => 0,
                })
                .collect::<Vec<u128>>()
        };
        let top = |r: u64| r >> 63;
        let mut keys = Vec::with_capacity(2 * n * crate::fss::key_words(outputs));
        let mut targets: Vec<Vec<u64>> = vec![parts.iter().map(|p| p.0).collect(), parts.iter().map(|p| p.1).collect()];
        for set in 0..2 {
            let m = masks(set as u64);
            // The second output's multiplier: the factor's mask, or (relu) the key's own mask.
            let pay = if relu { m.clone() } else { s.clone() };
            let betas: Vec<u64> = m
                .iter()
                .zip(&pay)
                .flat_map(|(&m, &s)| {
                    let sign = 1u64.wrapping_sub(2 * top(m));
                    [sign, sign.wrapping_mul(s)].into_iter().take(outputs)
                })
                .collect();
            let (ra, rb) = (roots(&seeds0, set), roots(&seeds1, set));
            keys.extend(
                crate::fss::gen(&mut self.prg, outputs, &m, &betas, [&ra, &rb])
                    .map_err(|e| DealerError::BadRequest(e.to_string()))?,
            );
            targets.push(m.iter().map(|&m| top(m)).collect());
            if outputs == 2 {
                targets.push(m.iter().zip(&pay).map(|(&m, &s)| s.wrapping_mul(top(m))).collect());
            }
        }
        // Party 0's explicit values: the common parts first (see `DealerClient::finish`).
        let mut p0 = keys.clone();
        for (t, c) in targets.iter().zip(&corrected) {
            p0.extend(t.iter().zip(c).map(|(t, c)| t.wrapping_sub(*c)));
        }
        Ok((p0, keys))
    }
}
