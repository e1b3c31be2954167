//! The dealer's DCF keys (`Request::DcfKeys`, `DcfTimes`, `DcfPending`): the masks and root
//! seeds drawn in the order the parties' clients draw them, the keys generated from both
//! parties' root seeds (`fss::gen`), and party 0's corrected parts. The keys are common parts:
//! both parties receive them.

use super::{draw, mask_parts, Combine, DealerError, DealerRng, TrustedDealer};

/// What a DCF key's second output word multiplies (none for `Msb`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DcfOut {
    /// No second word (`msb` only).
    Msb,
    /// The key's own mask (`relu`: `x·msb(x)`).
    Relu,
    /// A second mask drawn for a factor (`msb(x)·v`).
    Times,
}

impl DcfOut {
    /// A `DcfKeys` request's: `Relu` with `relu`, else `Msb`.
    pub fn keys(relu: bool) -> DcfOut {
        if relu {
            DcfOut::Relu
        } else {
            DcfOut::Msb
        }
    }

    /// Output words per key.
    pub fn outputs(self) -> usize {
        if self == DcfOut::Msb {
            1
        } else {
            2
        }
    }
}

/// The keys of one set: masks `m` (the comparison's `α = m mod 2^63`), output
/// `β = (1 - 2·msb(m))·(1, pay)` with `pay` the masks themselves (`Relu`) or `factor` (`Times`),
/// and the targets of party 0's corrected parts, `msb(m)` (and `pay·msb(m)`).
fn key_set(
    prg: &mut crate::fss::Prg,
    out: DcfOut,
    m: &[u64],
    factor: &[u64],
    seeds: [&[u64]; 2],
) -> Result<(Vec<u64>, Vec<Vec<u64>>), DealerError> {
    let top = |r: u64| r >> 63;
    let pay = if out == DcfOut::Relu { m } else { factor };
    let betas: Vec<u64> = m
        .iter()
        .zip(pay.iter().chain(std::iter::repeat(&0)))
        .flat_map(|(&m, &p)| {
            let sign = 1u64.wrapping_sub(2 * top(m));
            [sign, sign.wrapping_mul(p)].into_iter().take(out.outputs())
        })
        .collect();
    let roots = seeds.map(crate::fss::root_seeds);
    let keys = crate::fss::gen(prg, out.outputs(), m, &betas, [&roots[0], &roots[1]])
        .map_err(|e| DealerError::BadRequest(e.to_string()))?;
    let mut targets = vec![m.iter().map(|&m| top(m)).collect::<Vec<u64>>()];
    if out != DcfOut::Msb {
        targets.push(m.iter().zip(pay).map(|(&m, &p)| p.wrapping_mul(top(m))).collect());
    }
    Ok((keys, targets))
}

/// Party 0's explicit values: the common parts (the keys) first, then each target minus party
/// 1's drawn share (see `DealerClient::finish`).
fn explicit(keys: &[u64], targets: &[Vec<u64>], corrected: &[Vec<u64>]) -> Vec<u64> {
    let mut p0 = Vec::with_capacity(keys.len() + targets.iter().map(Vec::len).sum::<usize>());
    p0.extend_from_slice(keys);
    for (t, c) in targets.iter().zip(corrected) {
        p0.extend(t.iter().zip(c).map(|(t, c)| t.wrapping_sub(*c)));
    }
    p0
}

fn sum(a: &[u64], b: &[u64]) -> Vec<u64> {
    a.iter().zip(b).map(|(a, b)| a.wrapping_add(*b)).collect()
}

impl TrustedDealer {
    /// Both parties' dealer streams: DCF keys are a 2-party object.
    fn two_streams(&mut self) -> Result<(&mut DealerRng, &mut DealerRng), DealerError> {
        let n = self.rngs.len();
        match self.rngs.as_mut_slice() {
            [rng0, rng1] => Ok((rng0, rng1)),
            _ => Err(DealerError::BadRequest(format!(
                "DCF keys are for 2 parties, not {n} (use the carry tree for more)"
            ))),
        }
    }

    /// DCF keys for `n` masks: draws both parties' parts in the order their clients draw them
    /// (`r`, root seeds, with `Times` the factor's mask `s`; party 1 also its corrected parts),
    /// then generates the correction words.
    pub(super) fn serve_dcf(&mut self, n: usize, out: DcfOut) -> Result<(Vec<u64>, Vec<u64>), DealerError> {
        let times = out == DcfOut::Times;
        let (rng0, rng1) = self.two_streams()?;
        let draw_free = |rng: &mut DealerRng| {
            let r = draw(rng, n, Combine::Add);
            let seeds = draw(rng, 2 * n, Combine::Own);
            let s = if times { draw(rng, n, Combine::Add) } else { Vec::new() };
            (r, seeds, s)
        };
        let (r0, seeds0, s0) = draw_free(rng0);
        let (r1, seeds1, s1) = draw_free(rng1);
        let corrected: Vec<Vec<u64>> = (0..out.outputs()).map(|_| draw(rng1, n, Combine::Add)).collect();
        let (r, s) = (sum(&r0, &r1), sum(&s0, &s1));
        let (keys, targets) = key_set(&mut self.prg, out, &r, &s, [&seeds0, &seeds1])?;
        Ok((explicit(&keys, &targets, &corrected), keys))
    }

    /// `Request::DcfPending`: the truncation parts of `r`, and two DCF key sets, one per variant
    /// `σ` of the truncated value's share (`products` module doc: `S_0`, `S_1`), for the masks
    /// `m_σ = r' - S_σ` of `trunc(p) + q`.
    pub(super) fn serve_dcf_pending(
        &mut self,
        n: usize,
        bits: u32,
        out: DcfOut,
    ) -> Result<(Vec<u64>, Vec<u64>), DealerError> {
        if !(1..=62).contains(&bits) {
            return Err(DealerError::BadRequest(format!("a truncation by {bits} bits (1 to 62)")));
        }
        let times = out == DcfOut::Times;
        let (rng0, rng1) = self.two_streams()?;
        let draw_free = |rng: &mut DealerRng| {
            let r = draw(rng, n, Combine::Add);
            let seeds = draw(rng, 4 * n, Combine::Own);
            let q = draw(rng, n, Combine::Add);
            let s = if times { draw(rng, n, Combine::Add) } else { Vec::new() };
            (r, seeds, q, s)
        };
        let (r0, seeds0, q0, s0) = draw_free(rng0);
        let (r1, seeds1, q1, s1) = draw_free(rng1);
        let corrected: Vec<Vec<u64>> = (0..2 + 2 * out.outputs()).map(|_| draw(rng1, n, Combine::Add)).collect();
        let (r, q, s) = (sum(&r0, &r1), sum(&q0, &q1), sum(&s0, &s1));
        let high = 1u64 << (63 - bits);
        let parts: Vec<(u64, u64)> = r.iter().map(|&r| mask_parts(r, |v| v >> bits)).collect();
        let mut keys = Vec::with_capacity(2 * n * crate::fss::key_words(out.outputs()));
        let mut targets: Vec<Vec<u64>> = vec![parts.iter().map(|p| p.0).collect(), parts.iter().map(|p| p.1).collect()];
        for set in 0..2 {
            // m_σ = r' - S_σ with S_0 = msb(r)·2^(63-bits) - ⌊r_low/2^bits⌋ and S_1 = -msb(r)·… - ….
            let m: Vec<u64> = parts
                .iter()
                .zip(&q)
                .map(|(&(mb, t), &q)| {
                    let hm = mb.wrapping_mul(high);
                    q.wrapping_sub(if set == 0 { hm } else { hm.wrapping_neg() }.wrapping_sub(t))
                })
                .collect();
            let seeds =
                |all: &[u64]| -> Vec<u64> { all.get(2 * n * set..2 * n * (set + 1)).unwrap_or_default().to_vec() };
            let (set_keys, set_targets) = key_set(&mut self.prg, out, &m, &s, [&seeds(&seeds0), &seeds(&seeds1)])?;
            keys.extend(set_keys);
            targets.extend(set_targets);
        }
        Ok((explicit(&keys, &targets, &corrected), keys))
    }
}
