//! The plaintext engine's observer for `mpcc run --plaintext --ranges/--fixed`: it records, per
//! op span, the largest magnitude each private value takes and the bits of headroom left before
//! the ring's limits at the run's precision (docs/numbers.md), and with `fixed` rewrites each
//! private value as the secure engine would hold it (fixed point, wrapped mod 2^64, products
//! truncated from 2f bits).
//!
//! Limits of the emulation: it works on the `f64` result of each op, so it is exact while scaled
//! values stay below 2^53; nonlinear approximations (`exp`, `reciprocal`, …) are computed in
//! `f64`, not with the secure engine's iterations; a truncation whose input is beyond 2^62 is
//! emulated as a plain floor, while the secure engine's result there is wrong in a random way.
//! Does not print: the binary renders `RangeReport::lines`.

use crate::plain::Tensor;
use mpcc_ir::{BinaryOp, Label, Op, Span, UnaryOp, ValueDef};
use std::collections::BTreeMap;

/// Told about every value the plaintext engine computes, before it is stored.
pub trait Observer {
    /// `value` may be rewritten (the `--fixed` emulation does).
    fn value(&mut self, def: &ValueDef, value: &mut Tensor);
}

/// Whether the secure engine truncates the op's result from 2f fractional bits.
pub fn is_product(op: &Op) -> bool {
    matches!(op, Op::Binary(BinaryOp::Mul, ..) | Op::MatMul(..) | Op::Pow(..) | Op::Unary(UnaryOp::Square, _))
}

/// The largest magnitude seen at one op, and its headroom.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeEntry {
    pub span: Span,
    /// A product (its limit is |x·y| < 2^(62-2f)) rather than a plain value (|x| < 2^(62-f)).
    pub product: bool,
    pub max_abs: f64,
    /// log2(limit / max_abs): bits left before the limit (negative: over it).
    pub headroom_bits: f64,
}

/// The observer behind `--ranges` and `--fixed`.
#[derive(Clone, Debug)]
pub struct RangeReport {
    pub frac_bits: u32,
    /// Rewrite private values as the secure engine holds them.
    pub fixed: bool,
    entries: BTreeMap<(u32, u32), RangeEntry>,
}

impl RangeReport {
    pub fn new(frac_bits: u32, fixed: bool) -> RangeReport {
        RangeReport { frac_bits, fixed, entries: BTreeMap::new() }
    }

    /// The limit on a value's magnitude: 2^(62-f), or 2^(62-2f) for a product.
    pub fn limit(&self, product: bool) -> f64 {
        let bits = if product { 62 - 2 * self.frac_bits as i32 } else { 62 - self.frac_bits as i32 };
        2f64.powi(bits)
    }

    /// One entry per op span that computed a private value, in source order.
    pub fn entries(&self) -> impl Iterator<Item = &RangeEntry> {
        self.entries.values()
    }
}

impl Observer for RangeReport {
    fn value(&mut self, def: &ValueDef, value: &mut Tensor) {
        if def.info.label != Label::Private || matches!(def.op, Op::Var(_) | Op::Reveal(_)) {
            return;
        }
        let product = is_product(&def.op);
        let max_abs = value.iter().filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs()));
        let limit = self.limit(product);
        let headroom_bits = if max_abs > 0.0 { (limit / max_abs).log2() } else { f64::INFINITY };
        let entry = self.entries.entry((def.span.start, def.span.end)).or_insert(RangeEntry {
            span: def.span,
            product,
            max_abs: 0.0,
            headroom_bits: f64::INFINITY,
        });
        if max_abs > entry.max_abs {
            entry.max_abs = max_abs;
            entry.headroom_bits = headroom_bits;
        }
        if self.fixed {
            let f = self.frac_bits;
            value.mapv_inplace(|v| if product { truncate(wrap(v, 2 * f), f) } else { decode(wrap(v, f), f) });
        }
    }
}

const TWO_64: f64 = 18_446_744_073_709_551_616.0;

/// `round(v·2^scale)` wrapped into the ring and read as signed, as an `i64`.
fn wrap(v: f64, scale: u32) -> i64 {
    if !v.is_finite() {
        return 0;
    }
    let scaled = (v * 2f64.powi(scale as i32)).round().rem_euclid(TWO_64);
    // scaled is in [0, 2^64); as u64 it is exact for values below 2^53 and wraps like the ring.
    (scaled as u64) as i64
}

/// A ring element at `scale` back to a real.
fn decode(x: i64, scale: u32) -> f64 {
    x as f64 / 2f64.powi(scale as i32)
}

/// A product at scale 2f truncated to f bits (floor, as the secure truncation within its range).
fn truncate(x: i64, f: u32) -> f64 {
    decode(x >> f, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_emulates_the_ring() {
        // 65536² at 16 bits: 2^32 · 2^32 = 2^64 wraps to 0, as a Beaver product does.
        assert_eq!(truncate(wrap(65536.0 * 65536.0, 32), 16), 0.0);
        assert_eq!(truncate(wrap(1.5 * 2.25, 32), 16), 3.375);
        assert_eq!(decode(wrap(-3.25, 16), 16), -3.25);
        // Just over the encoding range: wraps to the negative side.
        assert!(decode(wrap(2f64.powi(47) + 1.0, 16), 16) < 0.0);
    }
}
