//! Linear operations on additive shares: add/sub/neg of private operands, with a public operand
//! (added by party 0 only), scale alignment, sums and means along an axis, and division by a
//! public number. All are local (0 rounds) except where a truncation is named.

use super::trunc::rescale;
use crate::fixed::encode_scaled;
use crate::mpc_error::MpcError;
use crate::party::Party;
use crate::ring::{self, RingTensor};
use crate::share::{Public, Shared};
use ndarray::{ArrayD, Axis};

/// `x` re-expressed at a scale of at least `to` (a local left shift; exact).
pub fn upscale(x: &Shared, to: u32) -> Shared {
    if x.scale >= to {
        return x.clone();
    }
    Shared { data: ring::shl(&x.data, to - x.scale), scale: to }
}

fn upscale_public(p: &Public, to: u32) -> Public {
    if p.scale >= to {
        return p.clone();
    }
    Public { data: ring::shl(&p.data, to - p.scale), scale: to }
}

/// `x + y`, both private (broadcasting; the lower scale is raised). Local.
pub fn add(x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let s = x.scale.max(y.scale);
    Ok(Shared { data: ring::add(&upscale(x, s).data, &upscale(y, s).data)?, scale: s })
}

/// `x - y`, both private. Local.
pub fn sub(x: &Shared, y: &Shared) -> Result<Shared, MpcError> {
    let s = x.scale.max(y.scale);
    Ok(Shared { data: ring::sub(&upscale(x, s).data, &upscale(y, s).data)?, scale: s })
}

/// `-x`. Local.
pub fn neg(x: &Shared) -> Shared {
    Shared { data: ring::neg(&x.data), scale: x.scale }
}

/// The public tensor as it enters a share: itself on party 0, zeros elsewhere.
fn public_part(party: &Party, p: &Public) -> RingTensor {
    if party.id() == 0 {
        p.data.clone()
    } else {
        ArrayD::zeros(p.data.raw_dim())
    }
}

/// `x + p` for a public `p` (party 0 adds it; the others only broadcast). Local.
pub fn add_public(party: &Party, x: &Shared, p: &Public) -> Result<Shared, MpcError> {
    let s = x.scale.max(p.scale);
    let pp = public_part(party, &upscale_public(p, s));
    Ok(Shared { data: ring::add(&upscale(x, s).data, &pp)?, scale: s })
}

/// `x - p` for a public `p`. Local.
pub fn sub_public(party: &Party, x: &Shared, p: &Public) -> Result<Shared, MpcError> {
    let s = x.scale.max(p.scale);
    let pp = public_part(party, &upscale_public(p, s));
    Ok(Shared { data: ring::sub(&upscale(x, s).data, &pp)?, scale: s })
}

/// `p - x` for a public `p`. Local.
pub fn public_sub(party: &Party, p: &Public, x: &Shared) -> Result<Shared, MpcError> {
    Ok(neg(&sub_public(party, x, p)?))
}

/// `x · k` for a public integer `k` (no truncation). Local.
pub fn mul_int(x: &Shared, k: i64) -> Shared {
    Shared { data: ring::scale(&x.data, k as u64), scale: x.scale }
}

/// The sum over `axis` (or over everything, giving a 0-d tensor). Local.
pub fn sum(party: &Party, x: &Shared, axis: Option<usize>) -> Result<Shared, MpcError> {
    let data = match axis {
        None => ArrayD::from_elem(ndarray::IxDyn(&[]), x.data.iter().fold(0u64, |a, &b| a.wrapping_add(b))),
        Some(ax) => {
            if ax >= x.data.ndim() {
                return Err(party.invalid("sum", format!("axis {ax} of a {}-d tensor", x.data.ndim())));
            }
            x.data.fold_axis(Axis(ax), 0u64, |a, &b| a.wrapping_add(b))
        }
    };
    Ok(Shared { data, scale: x.scale })
}

/// The mean over `axis` (or everything): a sum, then division by the public count.
/// Cost: as `div_public` (1 round of truncation).
pub fn mean(party: &mut Party, x: &Shared, axis: Option<usize>) -> Result<Shared, MpcError> {
    let count = match axis {
        None => x.len(),
        Some(ax) => x.shape().get(ax).copied().unwrap_or(1),
    };
    let s = sum(party, x, axis)?;
    div_public(party, &s, count as f64)
}

/// `x / d` for a public nonzero real `d`: multiplication by `1/d` encoded with
/// `k = f + max(0, ⌈log2 |d|⌉)` fractional bits (relative error of the factor ≤ 2^-(f+1)), then a
/// truncation back to scale `max(scale, f)` (so an unscaled input, e.g. a count of 0/1 results,
/// gets a fractional result). Range: |x · 2^scale · 2^k / d| < 2^62. Cost: 1 round (`truncate`).
pub fn div_public(party: &mut Party, x: &Shared, d: f64) -> Result<Shared, MpcError> {
    if d == 0.0 || !d.is_finite() {
        return Err(party.invalid("div", format!("division by {d}")));
    }
    let f = party.fixed.frac_bits;
    let target = x.scale.max(f);
    let extra = d.abs().log2().ceil().max(0.0) as u32;
    let k = (f + extra).min(62u32.saturating_sub(x.scale)).max(target - x.scale);
    let factor = encode_scaled(1.0 / d, k)?;
    let raw = Shared { data: ring::scale(&x.data, factor), scale: x.scale + k };
    rescale(party, raw, target)
}

/// Brings a product-scale value back to the run's precision (`rescale` to `frac_bits`).
pub fn to_precision(party: &mut Party, x: Shared) -> Result<Shared, MpcError> {
    let f = party.fixed.frac_bits;
    rescale(party, x, f)
}
