//! Comparisons of arithmetic shares as the most significant bit of a difference:
//! `x < y ⇔ msb(x - y) = 1`. Results are unscaled 0/1 shares (scale 0), so multiplying by them
//! needs no truncation. Also `sign`, `abs` and `relu`, built on the same MSB extraction.
//!
//! Range requirement: the difference of the two encodings must lie in (-2^63, 2^63); this holds
//! for any two values that encode (|encoding| < 2^62, see `fixed.rs`). Comparisons are exact
//! within that range (no failure probability).
//!
//! Two protocols extract the bit ([`CompareMode`]): the carry tree of `convert.rs` (any number of
//! parties, 8 rounds for 2, few dealer bytes) and the DCF protocol of `fss.rs` (2 parties,
//! 1 round, about 1.5 KB of dealer keys per element and party). With the DCF, `relu`, `abs` and
//! `maximum` take their product from the same round (`x·msb(x)`).

use super::arith::{self, upscale};
use super::convert::{self, b2a_bit_words};
use super::fss::{msb_dcf, msb_dcf_at, msb_dcf_pending, msb_dcf_times, PendingProduct};
use super::mul::mul;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::{self, from_vec, to_vec};
use crate::share::Shared;

/// The protocol that extracts sign bits (`mpcc run --compare`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareMode {
    /// One round from dealer DCF keys (2 parties only).
    Fss,
    /// The binary carry tree over dealer triples (any number of parties).
    Tree,
}

impl CompareMode {
    /// The default: `Fss` for 2 parties (a DCF is a 2-party object), `Tree` otherwise.
    pub fn default_for(n_parties: usize) -> CompareMode {
        if n_parties == 2 {
            CompareMode::Fss
        } else {
            CompareMode::Tree
        }
    }

    /// The flag's spelling.
    pub fn name(self) -> &'static str {
        match self {
            CompareMode::Fss => "fss",
            CompareMode::Tree => "tree",
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// `msb(x)` of each element as an unscaled 0/1 share (1 where x < 0).
///
/// Cost with `CompareMode::Fss`: 1 round, see `fss::msb_dcf`. With `CompareMode::Tree`: the carry tree of `convert::msb_words` (`csa_layers(N) + 7` rounds) plus B2A (1 round):
/// 8 rounds for N = 2, 9 for N = 3, 11 for N = 5. For large n each party sends about
/// (N-1)·8·(2·(2.95 + G) + 1) bytes per element, where G is the number of carry-save adders
/// (0, 1, 3 for N = 2, 3, 5): ≈ 55, 142 and 413 bytes. The dealer sends party 0 about
/// 8·(3.95 + G) bytes per element (binary triples and one random bit).
pub fn msb(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let words = msb_words(party, &to_vec(&x.data))?;
    Ok(Shared { data: from_vec("compare", x.shape(), words)?, scale: 0 })
}

fn msb_words(party: &mut Party, x: &[u64]) -> Result<Vec<u64>, MpcError> {
    match party.compare_mode() {
        CompareMode::Fss => Ok(msb_dcf(party, x, false)?.0),
        CompareMode::Tree => {
            let bits = convert::msb_words(party, x)?;
            b2a_bit_words(party, &bits)
        }
    }
}

/// `[x < c]` for every public threshold `c` (encodings at `x`'s scale) and every element of `x`,
/// as unscaled 0/1 words, threshold-major (all elements for `thresholds[0]`, then the next…).
///
/// Cost: with `CompareMode::Fss` 1 round and one DCF key per element whatever the number of
/// thresholds (each key is evaluated at `y - c` for every `c`); with the tree one `msb` of
/// `thresholds.len()·n` elements.
pub fn below_thresholds(party: &mut Party, x: &Shared, thresholds: &[u64]) -> Result<Vec<u64>, MpcError> {
    let xs = to_vec(&x.data);
    match party.compare_mode() {
        CompareMode::Fss => Ok(msb_dcf_at(party, &xs, thresholds, false)?.0),
        CompareMode::Tree => {
            let is_p0 = party.id() == 0;
            let mut all = Vec::with_capacity(thresholds.len() * xs.len());
            for &c in thresholds {
                all.extend(xs.iter().map(|v| v.wrapping_sub(if is_p0 { c } else { 0 })));
            }
            msb_words(party, &all)
        }
    }
}

/// `(msb(x), x·msb(x))` elementwise: one DCF round with `CompareMode::Fss`, one `msb` and one
/// product (no truncation) with `CompareMode::Tree`. The product is at `x`'s scale.
pub fn msb_and_product(party: &mut Party, x: &Shared) -> Result<(Shared, Shared), MpcError> {
    match party.compare_mode() {
        CompareMode::Fss => {
            let (m, p) = msb_dcf(party, &to_vec(&x.data), true)?;
            Ok((
                Shared { data: from_vec("compare", x.shape(), m)?, scale: 0 },
                Shared { data: from_vec("compare", x.shape(), p)?, scale: x.scale },
            ))
        }
        CompareMode::Tree => {
            let m = msb(party, x)?;
            let p = mul(party, x, &m)?;
            Ok((m, p))
        }
    }
}

/// `msb(d)·v` elementwise (same shapes), at `v`'s scale: one DCF round with `CompareMode::Fss`
/// (`fss::msb_dcf_times`: the comparison and the product share the round), one `msb` and one
/// product (no truncation) with `CompareMode::Tree`.
pub fn msb_times(party: &mut Party, d: &Shared, v: &Shared) -> Result<Shared, MpcError> {
    if d.shape() != v.shape() {
        return Err(party.invalid("compare", "a comparison and its factor differ in shape"));
    }
    match party.compare_mode() {
        CompareMode::Fss => {
            let words = msb_dcf_times(party, &to_vec(&d.data), &to_vec(&v.data))?;
            Ok(Shared { data: from_vec("compare", v.shape(), words)?, scale: v.scale })
        }
        CompareMode::Tree => msb_then_times(party, d, v),
    }
}

/// `msb(d)·v` as a comparison and then a product without truncation (two steps, whatever the
/// protocol): the tree's way, and the DCF's for tensors too large to fold.
pub fn msb_then_times(party: &mut Party, d: &Shared, v: &Shared) -> Result<Shared, MpcError> {
    let m = msb(party, d)?;
    super::mul::mul_raw(party, &m, v)
}

/// What [`pending`] computes of `u = trunc(p) + q`.
#[derive(Clone, Copy)]
pub enum OfPending<'a> {
    /// `msb(u)`, unscaled.
    Msb,
    /// `msb(u)·v`, at `v`'s scale (`v` of `p`'s shape).
    Times(&'a Shared),
    /// `relu(u)`, at `q`'s scale.
    Relu,
}

/// `what` of `u = trunc(p) + q` (`p` a raw value above `q`'s scale, truncated down to it; `p`,
/// `q` of one shape): the truncation and the comparison in one DCF round with `CompareMode::Fss`
/// (`fss::msb_dcf_pending`); with `CompareMode::Tree` the truncation, then `msb`, `msb_times` or
/// `relu`.
pub fn pending(party: &mut Party, p: &Shared, q: &Shared, what: OfPending<'_>) -> Result<Shared, MpcError> {
    let v_shape_ok = match what {
        OfPending::Times(v) => v.shape() == p.shape(),
        _ => true,
    };
    if p.shape() != q.shape() || !v_shape_ok || p.scale <= q.scale {
        return Err(party.invalid("compare", "a pending comparison of mismatched parts"));
    }
    let bits = p.scale - q.scale;
    match party.compare_mode() {
        CompareMode::Fss => {
            let vw;
            let product = match what {
                OfPending::Msb => PendingProduct::None,
                OfPending::Relu => PendingProduct::Relu,
                OfPending::Times(v) => {
                    vw = to_vec(&v.data);
                    PendingProduct::Times(&vw)
                }
            };
            let (m, prod) = msb_dcf_pending(party, &to_vec(&p.data), bits, &to_vec(&q.data), product)?;
            let (words, scale) = match what {
                OfPending::Msb => (m, 0),
                OfPending::Times(v) => (prod, v.scale),
                OfPending::Relu => (prod, q.scale),
            };
            Ok(Shared { data: from_vec("compare", p.shape(), words)?, scale })
        }
        CompareMode::Tree => {
            let u = arith::add(&super::trunc::truncate(party, p, bits)?, q)?;
            match what {
                OfPending::Msb => msb(party, &u),
                OfPending::Times(v) => msb_times(party, &u, v),
                OfPending::Relu => relu(party, &u),
            }
        }
    }
}

/// `1 - b` for an unscaled 0/1 share (party 0 adds the 1). Local.
pub fn not(party: &Party, b: &Shared) -> Shared {
    let mut data = ring::neg(&b.data);
    if party.id() == 0 {
        data.mapv_inplace(|v| v.wrapping_add(1));
    }
    Shared { data, scale: 0 }
}

/// `x op y` elementwise (broadcasting) as unscaled 0/1 shares. A public operand enters as
/// `Shared::from_public`.
///
/// Cost: one `msb` for `<`, `<=`, `>`, `>=`; `==` and `!=` open `msb(x-y)` and `msb(y-x)` in the
/// same batched rounds (one `msb` on twice the elements) and combine them locally
/// (`== ⇔ 1 - lt - gt`).
pub fn compare(party: &mut Party, op: CmpOp, x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let s = x.scale.max(y.scale);
    let d = arith::sub(&upscale(x, s), &upscale(y, s))?;
    match op {
        CmpOp::Lt => msb(party, &d),
        CmpOp::Ge => {
            let lt = msb(party, &d)?;
            Ok(not(party, &lt))
        }
        CmpOp::Gt => msb(party, &arith::neg(&d)),
        CmpOp::Le => {
            let gt = msb(party, &arith::neg(&d))?;
            Ok(not(party, &gt))
        }
        CmpOp::Eq | CmpOp::Ne => {
            let n = d.len();
            let mut both = to_vec(&d.data);
            both.extend(to_vec(&arith::neg(&d).data));
            let m = msb_words(party, &both)?;
            let (pos, neg) = m.split_at_checked(n).ok_or_else(|| party.invalid("compare", "too few sign bits"))?;
            let ne: Vec<u64> = pos.iter().zip(neg).map(|(p, q)| p.wrapping_add(*q)).collect();
            let ne = Shared { data: from_vec("compare", d.shape(), ne)?, scale: 0 };
            Ok(if op == CmpOp::Ne { ne } else { not(party, &ne) })
        }
    }
}

/// +1 where x ≥ 0, −1 where x < 0, unscaled. Cost: one `msb`.
pub fn sign(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let m = msb(party, x)?;
    Ok(sign_of_msb(party, &m))
}

/// `1 - 2·m` for an unscaled 0/1 share `m` (the sign of a value whose sign bit is `m`). Local.
pub fn sign_of_msb(party: &Party, m: &Shared) -> Shared {
    let mut data = ring::scale(&m.data, (-2i64) as u64);
    if party.id() == 0 {
        data.mapv_inplace(|v| v.wrapping_add(1));
    }
    Shared { data, scale: 0 }
}

/// `|x|` = x - 2·x·msb(x). Cost: one `msb_and_product` (1 round with the DCF; one `msb` and one
/// product without truncation with the tree).
pub fn abs(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let (_, xm) = msb_and_product(party, x)?;
    arith::sub(x, &Shared { data: ring::scale(&xm.data, 2), scale: xm.scale })
}

/// `max(x, 0)` = x - x·msb(x). Cost: one `msb_and_product`.
pub fn relu(party: &mut Party, x: &Shared) -> Result<Shared, MpcError> {
    let (_, xm) = msb_and_product(party, x)?;
    arith::sub(x, &xm)
}
