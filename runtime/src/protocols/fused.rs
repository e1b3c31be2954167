//! Truncations merged into the next product's opening: Beaver products of several factors in
//! one round, where a factor may be a raw product still to be truncated (`Factor::Pending`).
//!
//! A ready factor `x` is opened as `x - A` (its Beaver mask). A pending one is opened as
//! `x + 2^62 + r`, exactly as `trunc::truncate` opens it; the truncated value is then
//! `E + S_σ` with `E` public and `S_σ` a share of one of two dealer-known values, chosen by the
//! opened top bit `σ` (`dealer::products`). `S_σ` serves as the factor's Beaver mask, so the
//! factor minus its mask is `E`, known without a second opening, and the product's other factor
//! is opened in the same round. Each factor is masked and opened once however many products it
//! enters. Result: a product `trunc(p)·y` costs one round where a truncation and then a product
//! took two, with the truncation's exact semantics (`⌊p/2^bits⌋` or one more, |p| < 2^62).
//!
//! What is opened: per factor one word per element, uniform (masked by a fresh uniform `A` or
//! `r`); nothing else. Needs the dealer (`Request::Products`); callers check
//! `DealerClient::dealt` and fall back to truncation then product under OT preprocessing.

use crate::dealer::{products::variants, Request};
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::protocols::trunc::split_opened;

const TWO_62: u64 = 1 << 62;

/// One factor's words (flat, all factors of a call the same length).
#[derive(Clone, Copy)]
pub enum Factor<'a> {
    /// Used as it is.
    Ready(&'a [u64]),
    /// Still to be truncated by `bits` (1 ≤ bits ≤ 62); |words| < 2^62 as signed words.
    Pending(&'a [u64], u32),
}

impl<'a> Factor<'a> {
    /// `words`, still to be truncated by `bits` (ready when `bits` is 0).
    pub fn new(words: &'a [u64], bits: u32) -> Factor<'a> {
        if bits == 0 {
            Factor::Ready(words)
        } else {
            Factor::Pending(words, bits)
        }
    }

    fn words(&self) -> &[u64] {
        match self {
            Factor::Ready(w) | Factor::Pending(w, _) => w,
        }
    }

    fn bits(&self) -> u32 {
        match self {
            Factor::Ready(_) => 0,
            Factor::Pending(_, b) => *b,
        }
    }
}

/// What [`products`] returns: every pending factor truncated (`None` for ready ones), and the
/// raw products (at the sum of the factors' scales after truncation).
pub struct Fused {
    pub truncated: Vec<Option<Vec<u64>>>,
    pub products: Vec<Vec<u64>>,
}

/// A factor after the opening: `x = [party 0]·public + share`, the share being the selected
/// variant of its mask (`sel[e]` per element).
struct Opened {
    public: Vec<u64>,
    share: Vec<u64>,
    sel: Vec<u8>,
}

/// `products[k] = f[pairs[k][0]] · f[pairs[k][1]]` for the factors `f` with every pending factor
/// truncated first, all in one round. A pair may repeat a factor (a square).
///
/// Cost: 1 round; each party sends (N-1)·8 bytes per element of every factor; the dealer sends
/// party 0 per element 16 bytes for each pending factor and 8 for each variant product (1 for
/// two ready factors, 2 with one pending factor or a pending square, 4 with two pending).
pub fn products(party: &mut Party, factors: &[Factor], pairs: &[[usize; 2]]) -> Result<Fused, MpcError> {
    let n = factors.first().map_or(0, |f| f.words().len());
    if factors.iter().any(|f| f.words().len() != n) {
        return Err(party.invalid("fused products", "factors of different lengths"));
    }
    if factors.iter().any(|f| f.bits() > 62) || pairs.iter().flatten().any(|&i| i >= factors.len()) {
        return Err(party.invalid("fused products", "a bad factor or pair"));
    }
    let req = Request::Products {
        n,
        pending: factors.iter().map(Factor::bits).collect(),
        pairs: pairs.iter().map(|&[i, j]| [i as u32, j as u32]).collect(),
    };
    let is_p0 = party.id() == 0;
    let pending = party.dealer().begin(&req)?;
    let mut masked = Vec::with_capacity(n * factors.len());
    for (i, f) in factors.iter().enumerate() {
        let mask = pending.free(i);
        if mask.len() != n {
            return Err(party.invalid("fused products", "bad dealer reply"));
        }
        match f {
            Factor::Ready(x) => masked.extend(x.iter().zip(mask).map(|(x, a)| x.wrapping_sub(*a))),
            Factor::Pending(x, _) => {
                let shift = if is_p0 { TWO_62 } else { 0 };
                masked.extend(x.iter().zip(mask).map(|(x, r)| x.wrapping_add(*r).wrapping_add(shift)));
            }
        }
    }
    let opened = party.open_owned(masked, false)?;
    let mut parts = party.dealer().finish(pending)?.into_iter();
    let masks: Vec<Vec<u64>> = parts.by_ref().take(factors.len()).collect();
    let mut rest = parts;
    let bad = |party: &Party| party.invalid("fused products", "bad dealer reply");
    let mut done: Vec<Opened> = Vec::with_capacity(factors.len());
    for ((f, mask), c) in factors.iter().zip(masks).zip(opened.chunks_exact(n.max(1))) {
        match f {
            Factor::Ready(_) => done.push(Opened { public: c.to_vec(), share: mask, sel: vec![0; n] }),
            Factor::Pending(_, bits) => {
                let (Some(m), Some(t)) = (rest.next(), rest.next()) else { return Err(bad(party)) };
                if m.len() != n || t.len() != n {
                    return Err(bad(party));
                }
                let (high, offset) = (1u64 << (63 - bits), TWO_62 >> bits);
                let mut public = Vec::with_capacity(n);
                let mut share = Vec::with_capacity(n);
                let mut sel = Vec::with_capacity(n);
                for ((&c, &m), &t) in c.iter().zip(&m).zip(&t) {
                    let (e, s) = split_opened(c, m, t, high, offset, |v| v >> bits);
                    public.push(e);
                    share.push(s);
                    sel.push((c >> 63) as u8);
                }
                done.push(Opened { public, share, sel });
            }
        }
    }
    if n > 0 && opened.len() != n * factors.len() {
        return Err(bad(party));
    }
    let mut products = Vec::with_capacity(pairs.len());
    for &[i, j] in pairs {
        let (Some(x), Some(y), Some(c)) = (done.get(i), done.get(j), rest.next()) else { return Err(bad(party)) };
        let vj = variants(factors.get(j).map_or(0, Factor::bits));
        let count = if i == j { variants(factors.get(i).map_or(0, Factor::bits)) } else { 0 };
        let width = if i == j { count } else { variants(factors.get(i).map_or(0, Factor::bits)) * vj };
        if c.len() != n * width {
            return Err(bad(party));
        }
        let blocks: Vec<&[u64]> = c.chunks_exact(n.max(1)).collect();
        let xs = x.public.iter().zip(&x.share).zip(&x.sel);
        let ys = y.public.iter().zip(&y.share).zip(&y.sel);
        let mut z = Vec::with_capacity(n);
        for (e, (((&ex, &vx), &sx), ((&ey, &vy), &sy))) in xs.zip(ys).enumerate() {
            let k = if i == j { usize::from(sx) } else { usize::from(sx) * vj + usize::from(sy) };
            let cv = blocks.get(k).and_then(|b| b.get(e)).copied().ok_or_else(|| bad(party))?;
            let mut v = cv.wrapping_add(ex.wrapping_mul(vy)).wrapping_add(vx.wrapping_mul(ey));
            if is_p0 {
                v = v.wrapping_add(ex.wrapping_mul(ey));
            }
            z.push(v);
        }
        products.push(z);
    }
    let truncated = factors
        .iter()
        .zip(done)
        .map(|(f, o)| match f {
            Factor::Ready(_) => None,
            Factor::Pending(..) => Some(if is_p0 {
                o.public.iter().zip(&o.share).map(|(p, s)| p.wrapping_add(*s)).collect()
            } else {
                o.share
            }),
        })
        .collect();
    Ok(Fused { truncated, products })
}
