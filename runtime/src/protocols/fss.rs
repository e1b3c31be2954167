//! Comparisons in one round from distributed comparison functions (2 parties): the sign bit
//! `msb(x)` of arithmetic shares, and with it `x·msb(x)` (for `relu`, `abs`, `maximum` and the
//! max tree), from dealer DCF keys (`dealer::Request::DcfKeys`, `fss::dcf`).
//!
//! The dealer draws a uniform mask `r` in Z_2^64 (its shares come from the parties' dealer
//! streams) and DCF keys for `[z < r mod 2^63]` with output `β = (1 - 2·msb(r))·(1, r)`. The
//! parties open `y = x + r`, which is uniform whatever `x` is (a one-time pad in the ring), then
//! evaluate locally. Writing `y'`, `r'` for the low 63 bits and `y_h`, `r_h` for the top bits,
//! `x = y - r` gives `msb(x) = y_h ⊕ r_h ⊕ [y' < r']` for every `x` (no range condition): with
//! `t = r_h ⊕ [y' < r'] = r_h + (1 - 2·r_h)·[y' < r']` (shares: the dealer's shares of `r_h`
//! plus the DCF output), `msb(x) = y_h + (1 - 2·y_h)·t`, linear in `t` since `y_h` is public;
//! and `x·msb(x) = y·msb(x) - r·msb(x)` with `r·msb(x) = y_h·r + (1 - 2·y_h)·r·t`, whose
//! `r·t = r·r_h + (1 - 2·r_h)·r·[y' < r']` comes from the dealer's shares of `r·r_h` and the
//! DCF's second output word.
//!
//! `msb(x)·v` for another private factor `v` (`msb_dcf_times`) is the same with a second mask
//! `s` for `v` in place of `r`: the parties open `y = x + r` and `w = v + s` in the one round, the
//! keys output `(1 - 2·msb(r))·(1, s)`, and `msb(x)·v = w·msb(x) - s·msb(x)`, with `s·msb(x)`
//! from the dealer's shares of `s·r_h` and the DCF's second word exactly as `r·msb(x)` above. A
//! selection by a comparison (`where(x < y, a, b)`, `sign(z) * y`) so takes the comparison's one
//! round and no round of its own.
//!
//! Cost: 1 round; each party sends 8 bytes per element (16 for `msb_dcf_times`); the dealer sends party 0 8·193 bytes per
//! element for `msb` (8·258 with the product) and party 1 8·192 (8·256): the DCF correction
//! words go to both, and party 0 also gets its shares of `r_h` (and `r·r_h`).

use crate::dealer::{DcfOut, Pending, Request};
use crate::fss::{self, Prg};
use crate::mpc_error::MpcError;
use crate::party::Party;

/// Elements per dealer request: 2^12 keys for `msb` are 6.3 MB, small enough for the allocator to
/// reuse its buffers, and the parties walk one request's keys while the dealer makes the next
/// (2^16 took 1.5× the time of 2^12 for 10^5 comparisons: docs/performance.md).
const CHUNK: usize = 1 << 12;

/// The low 63 bits.
const LOW: u64 = (1 << 63) - 1;

/// One element's share of `msb(x)`, from the opened `y = x + r`, the dealer's share `z` of
/// `msb(r)` and the key's first output `o` (`one`: 1 on party 0): `msb(x) = y_h + (1 - 2·y_h)·t`.
#[inline]
fn msb_share(y: u64, z: u64, o: u64, one: u64) -> u64 {
    let t = z.wrapping_add(o);
    if y >> 63 == 1 {
        one.wrapping_sub(t)
    } else {
        t
    }
}

/// One element's share of `msb(x)·(w - pay)` for an opened `w`: `w·msb(x) - pay·msb(x)`, with `c`
/// the share of `msb(x)`, `pay` this party's share of the key's payload, `zp` the dealer's share
/// of `pay·msb(r)` and `o` the key's second output (`pay·t = pay·r_h + (1 - 2·r_h)·pay·[y' < r']`).
#[inline]
fn times_share(y: u64, c: u64, w: u64, pay: u64, zp: u64, o: u64) -> u64 {
    let t = zp.wrapping_add(o);
    let pc = if y >> 63 == 1 { pay.wrapping_sub(t) } else { t };
    w.wrapping_mul(c).wrapping_sub(pc)
}

/// Shares of `msb(x)` for every element of `x` (unscaled 0/1), and with `product` also of
/// `x·msb(x)` (at `x`'s scale; empty otherwise). One round.
pub fn msb_dcf(party: &mut Party, x: &[u64], product: bool) -> Result<(Vec<u64>, Vec<u64>), MpcError> {
    msb_dcf_at(party, x, &[0], product)
}

/// Shares of `msb(x - c)` for every public `c` of `offsets` and every element of `x`,
/// offset-major (all elements for `offsets[0]`, then for `offsets[1]`, …): one key and one
/// opened word per element, whatever the number of offsets, since `x - c` is masked by the
/// same `r` (the parties evaluate the key at `y - c` for each `c`; a DCF key may be evaluated
/// at any number of public points). One round. With `product` (one offset only) also
/// `(x - c)·msb(x - c)`.
pub fn msb_dcf_at(
    party: &mut Party,
    x: &[u64],
    offsets: &[u64],
    product: bool,
) -> Result<(Vec<u64>, Vec<u64>), MpcError> {
    if product && offsets.len() != 1 {
        return Err(party.invalid("compare", "a product needs exactly one offset"));
    }
    if party.n_parties() != 2 {
        return Err(party.invalid("compare", format!("DCF comparisons are for 2 parties, not {}", party.n_parties())));
    }
    let b = party.id();
    // Begin every request (their masks come from the dealer streams), open all masked words in
    // one round, then finish the requests in order.
    let mut pending: Vec<Pending> = Vec::with_capacity(x.len().div_ceil(CHUNK));
    let mut masked = Vec::with_capacity(x.len());
    for xs in x.chunks(CHUNK) {
        let p = party.dealer().begin(&Request::DcfKeys { n: xs.len(), relu: product })?;
        let r = p.free(0);
        if r.len() != xs.len() {
            return Err(party.invalid("compare", "bad dealer reply"));
        }
        masked.extend(xs.iter().zip(r).map(|(x, r)| x.wrapping_add(*r)));
        pending.push(p);
    }
    let opened = party.open_owned(masked, false)?;
    let mut prg = Prg::new();
    // msb[k][i] for offset k, element i (filled chunk by chunk).
    let mut msb = vec![Vec::with_capacity(x.len()); offsets.len()];
    let mut prod = Vec::with_capacity(if product { x.len() } else { 0 });
    let outputs = if product { 2 } else { 1 };
    for (p, opened) in pending.into_iter().zip(opened.chunks(CHUNK)) {
        let parts = party.dealer().finish(p)?;
        let (r, seeds, z, zr, keys) = match parts.as_slice() {
            [r, seeds, z, keys] if !product => (r, seeds, z, None, keys),
            [r, seeds, z, zr, keys] if product => (r, seeds, z, Some(zr), keys),
            _ => return Err(party.invalid("compare", "bad dealer reply")),
        };
        let roots: Vec<u128> = fss::root_seeds(seeds);
        if r.len() != opened.len() || z.len() != opened.len() || zr.is_some_and(|zr| zr.len() != opened.len()) {
            return Err(party.invalid("compare", "bad dealer reply"));
        }
        if !product && offsets.len() > 1 {
            // Many offsets: one walk per key that shares the points' common prefixes.
            let m = offsets.len();
            let points: Vec<u64> =
                opened.iter().flat_map(|y| offsets.iter().map(move |c| y.wrapping_sub(*c))).collect();
            let out = fss::eval_points(&mut prg, b, &roots, keys, &points, m)
                .map_err(|e| party.invalid("compare", format!("DCF keys: {e}")))?;
            let one = if b == 0 { 1u64 } else { 0 };
            for ((ys, os), &zj) in points.chunks(m).zip(out.chunks(m)).zip(z) {
                for ((&y, &o), msb) in ys.iter().zip(os).zip(msb.iter_mut()) {
                    msb.push(msb_share(y, zj, o, one));
                }
            }
            continue;
        }
        for (&off, msb) in offsets.iter().zip(msb.iter_mut()) {
            let ys: Vec<u64> = opened.iter().map(|y| y.wrapping_sub(off)).collect();
            let low: Vec<u64> = ys.iter().map(|y| y & LOW).collect();
            let out = fss::eval(&mut prg, b, outputs, &roots, keys, &low)
                .map_err(|e| party.invalid("compare", format!("DCF keys: {e}")))?;
            let one = if b == 0 { 1u64 } else { 0 };
            for (j, ((&y, o), &zj)) in ys.iter().zip(out.chunks_exact(outputs)).zip(z).enumerate() {
                let (o1, o2) = match o {
                    [o1] => (*o1, 0),
                    [o1, o2] => (*o1, *o2),
                    _ => (0, 0),
                };
                let c = msb_share(y, zj, o1, one);
                msb.push(c);
                if let Some(zr) = zr {
                    let (Some(&zrj), Some(&rj)) = (zr.get(j), r.get(j)) else {
                        return Err(party.invalid("compare", "bad dealer reply"));
                    };
                    // x·msb(x) = y·msb(x) - r·msb(x).
                    prod.push(times_share(y, c, y, rj, zrj, o2));
                }
            }
        }
    }
    Ok((msb.concat(), prod))
}

/// Shares of `msb(x)·v` (at `v`'s scale) for every element of `x` and of `v` (same length),
/// in one round: `x + r` and `v + s` are opened together (`dealer::Request::DcfTimes`).
pub fn msb_dcf_times(party: &mut Party, x: &[u64], v: &[u64]) -> Result<Vec<u64>, MpcError> {
    if party.n_parties() != 2 {
        return Err(party.invalid("compare", format!("DCF comparisons are for 2 parties, not {}", party.n_parties())));
    }
    if x.len() != v.len() {
        return Err(party.invalid("compare", "a comparison and its factor differ in length"));
    }
    let b = party.id();
    let mut pending: Vec<Pending> = Vec::with_capacity(x.len().div_ceil(CHUNK));
    // Per chunk: the masked x, then the masked v.
    let mut masked = Vec::with_capacity(2 * x.len());
    for (xs, vs) in x.chunks(CHUNK).zip(v.chunks(CHUNK)) {
        let p = party.dealer().begin(&Request::DcfTimes { n: xs.len() })?;
        let (r, s) = (p.free(0), p.free(2));
        if r.len() != xs.len() || s.len() != vs.len() {
            return Err(party.invalid("compare", "bad dealer reply"));
        }
        masked.extend(xs.iter().zip(r).map(|(x, r)| x.wrapping_add(*r)));
        masked.extend(vs.iter().zip(s).map(|(v, s)| v.wrapping_add(*s)));
        pending.push(p);
    }
    let opened = party.open_owned(masked, false)?;
    let mut prg = Prg::new();
    let mut out = Vec::with_capacity(x.len());
    let one = if b == 0 { 1u64 } else { 0 };
    for (p, opened) in pending.into_iter().zip(opened.chunks(2 * CHUNK)) {
        let parts = party.dealer().finish(p)?;
        let [_, seeds, s, z, zs, keys] = parts.as_slice() else {
            return Err(party.invalid("compare", "bad dealer reply"));
        };
        let (ys, ws) =
            opened.split_at_checked(opened.len() / 2).ok_or_else(|| party.invalid("compare", "bad opening"))?;
        if [s.len(), z.len(), zs.len(), ws.len()].iter().any(|&l| l != ys.len()) {
            return Err(party.invalid("compare", "bad dealer reply"));
        }
        let roots: Vec<u128> = fss::root_seeds(seeds);
        let low: Vec<u64> = ys.iter().map(|y| y & LOW).collect();
        let evals = fss::eval(&mut prg, b, 2, &roots, keys, &low)
            .map_err(|e| party.invalid("compare", format!("DCF keys: {e}")))?;
        for (((((&y, &w), o), &zj), &zsj), &sj) in ys.iter().zip(ws).zip(evals.chunks_exact(2)).zip(z).zip(zs).zip(s) {
            let [o1, o2] = o else { continue };
            let c = msb_share(y, zj, *o1, one);
            out.push(times_share(y, c, w, sj, zsj, *o2));
        }
    }
    if out.len() != x.len() {
        return Err(party.invalid("compare", "bad DCF evaluation"));
    }
    Ok(out)
}

/// What [`msb_dcf_pending`] computes besides `msb(u)`.
#[derive(Clone, Copy)]
pub enum PendingProduct<'a> {
    /// Nothing.
    None,
    /// `msb(u)·v` for this factor `v`.
    Times(&'a [u64]),
    /// `relu(u) = u - u·msb(u)`.
    Relu,
}

/// Shares of `msb(u)` for `u = trunc(p) + q` elementwise, where `p` still waits for its
/// truncation by `bits` (|p| < 2^62, `trunc::truncate`'s semantics), and of `product` (empty for
/// `None`): one round for the truncation and the comparison (`dealer::Request::DcfPending`).
///
/// The parties open `p + 2^62 + r` as the truncation does, `q + r'` and `v + s` together. The
/// truncated `p` is then `E + S_σ` (`trunc::split_opened`: `E` public, `S_σ` a share of one of
/// two dealer-known values chosen by the opened top bit `σ`), so `X = E + (q + r')` is public
/// and `u = X - m_σ` with `m_σ = r' - S_σ`, a uniform mask the dealer knows for both `σ`: the
/// comparison is `msb_dcf_at`'s with the key of the variant that was opened. The parties hold
/// shares of `m_σ` (`r'` minus their share of `S_σ`), and the dealer's shares of `msb(m_σ)`
/// (and `s·msb(m_σ)`, or for `relu` `m_σ·msb(m_σ)`) per variant; `u·msb(u) = X·msb(u) -
/// m_σ·msb(u)` then follows as `relu`'s product does in `msb_dcf_at`. What is opened is uniform:
/// two or three one-time pads.
///
/// Each party walks, per element, only the key set of the variant that was opened.
///
/// Cost: 1 round; each party sends 16 bytes per element (24 with `v`); the dealer sends both
/// parties two key sets (8·2·192 bytes per element, 8·2·256 with `v`) and party 0 32 bytes per
/// element (48 with `v`).
pub fn msb_dcf_pending(
    party: &mut Party,
    p: &[u64],
    bits: u32,
    q: &[u64],
    product: PendingProduct<'_>,
) -> Result<(Vec<u64>, Vec<u64>), MpcError> {
    let (v, relu) = match product {
        PendingProduct::None => (None, false),
        PendingProduct::Times(v) => (Some(v), false),
        PendingProduct::Relu => (None, true),
    };
    if party.n_parties() != 2 {
        return Err(party.invalid("compare", format!("DCF comparisons are for 2 parties, not {}", party.n_parties())));
    }
    if q.len() != p.len() || v.is_some_and(|v| v.len() != p.len()) || !(1..=62).contains(&bits) {
        return Err(party.invalid("compare", "a pending comparison of mismatched parts"));
    }
    let b = party.id();
    let is_p0 = b == 0;
    let times = v.is_some();
    let words = if times { 3 } else { 2 };
    let mut pending: Vec<Pending> = Vec::with_capacity(p.len().div_ceil(CHUNK));
    let mut masked = Vec::with_capacity(words * p.len());
    for (k, (ps, qs)) in p.chunks(CHUNK).zip(q.chunks(CHUNK)).enumerate() {
        let out = match product {
            PendingProduct::None => DcfOut::Msb,
            PendingProduct::Times(_) => DcfOut::Times,
            PendingProduct::Relu => DcfOut::Relu,
        };
        let req = Request::DcfPending { n: ps.len(), bits, out };
        let pend = party.dealer().begin(&req)?;
        let (r, rq) = (pend.free(0), pend.free(2));
        if r.len() != ps.len() || rq.len() != ps.len() {
            return Err(party.invalid("compare", "bad dealer reply"));
        }
        let shift = if is_p0 { 1u64 << 62 } else { 0 };
        masked.extend(ps.iter().zip(r).map(|(x, r)| x.wrapping_add(*r).wrapping_add(shift)));
        masked.extend(qs.iter().zip(rq).map(|(x, r)| x.wrapping_add(*r)));
        if let Some(v) = v {
            let vs = v.get(k * CHUNK..k * CHUNK + ps.len()).unwrap_or_default();
            let s = pend.free(3);
            if s.len() != vs.len() || vs.len() != ps.len() {
                return Err(party.invalid("compare", "bad dealer reply"));
            }
            masked.extend(vs.iter().zip(s).map(|(x, s)| x.wrapping_add(*s)));
        }
        pending.push(pend);
    }
    let opened = party.open_owned(masked, false)?;
    let mut prg = Prg::new();
    let second = times || relu;
    let (mut msb, mut prod) = (Vec::with_capacity(p.len()), Vec::with_capacity(if second { p.len() } else { 0 }));
    let one = if is_p0 { 1u64 } else { 0 };
    let (high, offset) = (1u64 << (63 - bits), (1u64 << 62) >> bits);
    let outputs = if second { 2 } else { 1 };
    let mut at = 0;
    for pend in pending {
        let parts = party.dealer().finish(pend)?;
        let bad = |party: &Party| party.invalid("compare", "bad dealer reply");
        let (rq, seeds, s, rest) = match parts.as_slice() {
            [r, seeds, rq, s, rest @ ..] if times => (rq, seeds, Some(s), (r.len(), rest)),
            [r, seeds, rq, rest @ ..] if !times => (rq, seeds, None, (r.len(), rest)),
            _ => return Err(bad(party)),
        };
        let (n, rest) = rest;
        let (mb, low, z, keys) = match rest {
            [mb, low, z0, zs0, z1, zs1, keys] if second => (mb, low, [(z0, Some(zs0)), (z1, Some(zs1))], keys),
            [mb, low, z0, z1, keys] if !second => (mb, low, [(z0, None), (z1, None)], keys),
            _ => return Err(bad(party)),
        };
        let chunk = opened.get(at..at + words * n).ok_or_else(|| bad(party))?;
        at += words * n;
        let (c1, rest_open) = chunk.split_at_checked(n).ok_or_else(|| bad(party))?;
        let (c2, c3) = rest_open.split_at_checked(n).ok_or_else(|| bad(party))?;
        if [mb.len(), low.len(), rq.len(), seeds.len() / 4, keys.len() / 2 / crate::fss::key_words(outputs)]
            .iter()
            .any(|&l| l != n)
        {
            return Err(bad(party));
        }
        // The public sum X, the variant σ and this party's share of m_σ, per element.
        let mut xs = Vec::with_capacity(n);
        let mut sel = Vec::with_capacity(n);
        // This party's share of m_σ = r' - S_σ (read by relu).
        let mut m_share = Vec::with_capacity(if relu { n } else { 0 });
        for (((&c, &m), &t), &r) in c1.iter().zip(mb).zip(low).zip(rq) {
            let (e, sh) = crate::protocols::trunc::split_opened(c, m, t, high, offset, |w| w >> bits);
            xs.push(e);
            sel.push((c >> 63) as usize);
            if relu {
                m_share.push(r.wrapping_sub(sh));
            }
        }
        xs.iter_mut().zip(c2).for_each(|(x, cq)| *x = x.wrapping_add(*cq));
        let low_x: Vec<u64> = xs.iter().map(|y| y & LOW).collect();
        let kw = n * crate::fss::key_words(outputs);
        let mut evals = Vec::with_capacity(2);
        for set in 0..2 {
            let roots: Vec<u128> = fss::root_seeds(seeds.get(2 * n * set..2 * n * (set + 1)).unwrap_or_default());
            let set_keys = keys.get(kw * set..kw * (set + 1)).ok_or_else(|| bad(party))?;
            // Each element needs the key set of its opened variant only.
            let keep: Vec<bool> = sel.iter().map(|&s| s == set).collect();
            evals.push(
                fss::eval_where(&mut prg, b, outputs, &roots, set_keys, &low_x, Some(&keep))
                    .map_err(|e| party.invalid("compare", format!("DCF keys: {e}")))?,
            );
        }
        for (j, (&y, &sg)) in xs.iter().zip(&sel).enumerate() {
            let (Some(ev), Some((zv, zs))) = (evals.get(sg), z.get(sg)) else { return Err(bad(party)) };
            let o = ev.get(j * outputs..(j + 1) * outputs).ok_or_else(|| bad(party))?;
            let zj = zv.get(j).copied().ok_or_else(|| bad(party))?;
            let o2 = o.get(1).copied().unwrap_or(0);
            let c = msb_share(y, zj, o.first().copied().unwrap_or(0), one);
            msb.push(c);
            if let (Some(zs), Some(s), Some(&w)) = (zs, s, c3.get(j)) {
                let (Some(&zsj), Some(&sj)) = (zs.get(j), s.get(j)) else { return Err(bad(party)) };
                prod.push(times_share(y, c, w, sj, zsj, o2));
            } else if let (true, Some(zs), Some(&mj)) = (relu, zs, m_share.get(j)) {
                // u·msb(u) = X·msb(u) - m_σ·msb(u); relu(u) = u - u·msb(u), u = [p0]·X - m_σ.
                let zsj = zs.get(j).copied().ok_or_else(|| bad(party))?;
                let u = if is_p0 { y.wrapping_sub(mj) } else { mj.wrapping_neg() };
                prod.push(u.wrapping_sub(times_share(y, c, y, mj, zsj, o2)));
            }
        }
    }
    if msb.len() != p.len() || prod.len() != if second { p.len() } else { 0 } {
        return Err(party.invalid("compare", "bad DCF evaluation"));
    }
    Ok((msb, prod))
}
