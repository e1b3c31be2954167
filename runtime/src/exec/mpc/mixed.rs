//! Elementwise arithmetic over operands that are public or private ([`Opd`]), dispatching to the
//! protocol kernels: a public operand is encoded at the run's precision (a public multiplier
//! that holds only integers at scale 0, so the product needs no truncation), public×private
//! products are local and then truncated, private×private ones use a Beaver triple.
//!
//! At least one operand of every function here is private (all-public ops run on the plain
//! engine); the result is a share. Nothing here opens a value.

use super::values::{as_shared, at_precision, encode, encode_factor, mpc_err, Opd};
use crate::error::{ErrorKind, RunError};
use crate::party::Party;
use crate::plain::{elementwise, Tensor};
use crate::protocols::compare::CmpOp;
use crate::protocols::fused::{self, Factor};
use crate::protocols::{approx, arith, compare, mul, select, trunc};
use crate::ring;
use crate::share::Shared;
use mpcc_ir::{BinaryOp, UnaryOp};

fn no_private() -> RunError {
    RunError::new(ErrorKind::Internal, "a private operation without a private operand")
}

/// `a + b`.
pub fn add(party: &mut Party, a: Opd, b: Opd) -> Result<Shared, RunError> {
    let f = party.fixed.frac_bits;
    match (a, b) {
        (Opd::S(x), Opd::S(y)) => arith::add(x, y).map_err(mpc_err),
        (Opd::S(x), Opd::P(p)) | (Opd::P(p), Opd::S(x)) => arith::add_public(party, x, &encode(p, f)?).map_err(mpc_err),
        _ => Err(no_private()),
    }
}

/// `a - b`.
pub fn sub(party: &mut Party, a: Opd, b: Opd) -> Result<Shared, RunError> {
    let f = party.fixed.frac_bits;
    match (a, b) {
        (Opd::S(x), Opd::S(y)) => arith::sub(x, y).map_err(mpc_err),
        (Opd::S(x), Opd::P(p)) => arith::sub_public(party, x, &encode(p, f)?).map_err(mpc_err),
        (Opd::P(p), Opd::S(x)) => arith::public_sub(party, &encode(p, f)?, x).map_err(mpc_err),
        _ => Err(no_private()),
    }
}

/// `a * b` (broadcasting).
pub fn mul(party: &mut Party, a: Opd, b: Opd) -> Result<Shared, RunError> {
    let f = party.fixed.frac_bits;
    match (a, b) {
        (Opd::S(x), Opd::S(y)) => {
            let raw = product_raw(party, x, y)?;
            let target = x.scale.min(f).max(y.scale.min(f));
            trunc::rescale(party, raw, target).map_err(mpc_err)
        }
        // A raw product (`mpcc_ir::fold`) times 2^j: the same words at j fewer fractional bits
        // (exact; its consumer truncates).
        (Opd::S(x), Opd::P(p)) | (Opd::P(p), Opd::S(x)) if x.scale > f && pow2_multiplier(p).is_some() => {
            let j = pow2_multiplier(p).unwrap_or(0);
            if j > x.scale - f {
                return Err(RunError::new(ErrorKind::Internal, "a raw product times too large a power of two"));
            }
            Ok(Shared { data: x.data.clone(), scale: x.scale - j })
        }
        // A raw product (`mpcc_ir::fold`) times 2^-k: one truncation by all the bits.
        (Opd::S(x), Opd::P(p)) | (Opd::P(p), Opd::S(x)) if x.scale > f => {
            let k = pow2_exponent(p)
                .ok_or_else(|| RunError::new(ErrorKind::Internal, "a raw product times a non-power of two"))?;
            // The words are x·2^-k at the run's scale (the truncation's label would say f - k).
            let mut t = trunc::truncate(party, x, x.scale - f + k).map_err(mpc_err)?;
            t.scale = f;
            Ok(t)
        }
        (Opd::S(x), Opd::P(p)) | (Opd::P(p), Opd::S(x)) => {
            mul::mul_public(party, x, &encode_factor(p, f)?).map_err(mpc_err)
        }
        _ => Err(no_private()),
    }
}

/// `x·y` of two shares (broadcasting), without the final truncation: a Beaver product, or, when
/// a factor is a raw product left for this op to truncate (`mpcc_ir::fold`, scale above the run's),
/// fused products (`protocols::fused`): that truncation is opened with this product's own
/// opening. The result's scale is the factors' after truncation, summed.
pub fn product_raw(party: &mut Party, x: &Shared, y: &Shared) -> Result<Shared, RunError> {
    let f = party.fixed.frac_bits;
    if x.scale <= f && y.scale <= f {
        return mul::mul_raw(party, x, y).map_err(mpc_err);
    }
    let shape = crate::plain::broadcast_shape(x.shape(), y.shape())?;
    let (xw, yw) = (ring::to_vec(&broadcast(x, &shape)?.data), ring::to_vec(&broadcast(y, &shape)?.data));
    let factors: Vec<Factor> =
        [(&xw, x.scale), (&yw, y.scale)].into_iter().map(|(w, s)| Factor::new(w, s.saturating_sub(f))).collect();
    let fused = fused::products(party, &factors, &[[0, 1]]).map_err(mpc_err)?;
    let z = fused.products.into_iter().next().unwrap_or_default();
    let data = ring::from_vec("mul", &shape, z).map_err(|e| mpc_err(e.into()))?;
    Ok(Shared { data, scale: x.scale.min(f) + y.scale.min(f) })
}

/// `j` when the public scalar `p` is `2^j` for an integer `1 ≤ j ≤ 8` (`mpcc_ir::fold`).
pub fn pow2_multiplier(p: &Tensor) -> Option<u32> {
    scalar(p).and_then(mpcc_ir::fold::pow2_multiplier)
}

/// The scale of a raw value at `scale` times the public power of two `p`, relabelled (`2^-k`: `k`
/// more fractional bits, `2^j`: `j` fewer; exact): the executor's and the cost model's rule.
pub fn relabelled_scale(scale: u32, p: &Tensor, f: u32) -> Result<u32, RunError> {
    match (pow2_exponent(p), pow2_multiplier(p)) {
        (Some(k), _) if scale + k <= 62 => Ok(scale + k),
        (_, Some(j)) if j <= scale.saturating_sub(f) => Ok(scale - j),
        _ => Err(RunError::new(ErrorKind::Internal, "a raw product relabelled by a factor that is not a power of two")),
    }
}

/// The value of a one-element tensor.
fn scalar(p: &Tensor) -> Option<f64> {
    (p.len() == 1).then(|| p.iter().next().copied()).flatten()
}

/// `k` when the public scalar `p` is `2^-k` for an integer `k ≥ 1`.
pub fn pow2_exponent(p: &Tensor) -> Option<u32> {
    scalar(p).and_then(mpcc_ir::fold::pow2_exponent)
}

/// `a / b`: by a public scalar with `div_public`, by a public tensor as a product with its
/// reciprocal, by a private divisor as a product with `reciprocal(b)`.
pub fn div(party: &mut Party, a: Opd, b: Opd) -> Result<Shared, RunError> {
    // A 0/1 or integer share (scale 0) is raised first: the quotient is fractional.
    let raised;
    let a = match a {
        Opd::S(x) if x.scale < party.fixed.frac_bits => {
            raised = arith::upscale(x, party.fixed.frac_bits);
            Opd::S(&raised)
        }
        other => other,
    };
    match (a, b) {
        (Opd::S(x), Opd::P(p)) if p.len() == 1 => {
            let mut d = p.iter().next().copied().unwrap_or(f64::NAN);
            let shape = crate::plain::broadcast_shape(x.shape(), p.shape())?;
            let mut x = broadcast(x, &shape)?;
            // A raw product (`mpcc_ir::fold`): its words divided by d·2^(extra bits) are the
            // quotient at the run's scale.
            let f = party.fixed.frac_bits;
            if x.scale > f {
                d *= 2f64.powi((x.scale - f) as i32);
                x.scale = f;
            }
            arith::div_public(party, &x, d).map_err(mpc_err)
        }
        (Opd::S(x), Opd::P(p)) => {
            // x · (1/p) with 1/p encoded with extra bits for large divisors, then truncated.
            let f = party.fixed.frac_bits;
            let big = p.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            let k = (f + big.log2().ceil().max(0.0) as u32).min(62 - x.scale.min(62)).max(1);
            let inv = encode(&p.mapv(|v| 1.0 / v), k)?;
            let raw =
                Shared { data: ring::mul(&x.data, &inv.data).map_err(|e| mpc_err(e.into()))?, scale: x.scale + k };
            trunc::truncate(party, &raw, k).map_err(mpc_err)
        }
        (_, Opd::S(y)) => {
            let r = unary_approx(party, UnaryOp::Reciprocal, y)?;
            mul(party, a, Opd::S(&r))
        }
        _ => Err(no_private()),
    }
}

/// A share broadcast to `shape` (local).
pub fn broadcast(x: &Shared, shape: &[usize]) -> Result<Shared, RunError> {
    Ok(Shared { data: ring::broadcast_to("broadcast", &x.data, shape).map_err(|e| mpc_err(e.into()))?, scale: x.scale })
}

/// A comparison or `maximum`/`minimum` (results of comparisons are unscaled 0/1 shares).
pub fn compare_op(party: &mut Party, op: BinaryOp, a: Opd, b: Opd) -> Result<Shared, RunError> {
    let f = party.fixed.frac_bits;
    let x = as_shared(party, a, f)?;
    let y = as_shared(party, b, f)?;
    let cmp = match op {
        BinaryOp::Lt => CmpOp::Lt,
        BinaryOp::Le => CmpOp::Le,
        BinaryOp::Gt => CmpOp::Gt,
        BinaryOp::Ge => CmpOp::Ge,
        BinaryOp::Eq => CmpOp::Eq,
        BinaryOp::Ne => CmpOp::Ne,
        BinaryOp::Maximum => return select::maximum(party, &x, &y).map_err(mpc_err),
        BinaryOp::Minimum => return select::minimum(party, &x, &y).map_err(mpc_err),
        _ => return Err(RunError::new(ErrorKind::Internal, "not a comparison")),
    };
    compare::compare(party, cmp, &x, &y).map_err(mpc_err)
}

/// Any elementwise binary op with at least one private operand.
pub fn binary(party: &mut Party, op: BinaryOp, a: Opd, b: Opd) -> Result<Shared, RunError> {
    match op {
        BinaryOp::Add => add(party, a, b),
        BinaryOp::Sub => sub(party, a, b),
        BinaryOp::Mul => mul(party, a, b),
        BinaryOp::Div => div(party, a, b),
        _ => compare_op(party, op, a, b),
    }
}

/// An approximated unary op (exp, log, …) on a share, at the run's precision.
pub fn unary_approx(party: &mut Party, op: UnaryOp, x: &Shared) -> Result<Shared, RunError> {
    let x = at_precision(party, x)?;
    approx::unary(party, op, &x).map_err(mpc_err)
}

/// An elementwise unary op on a share.
pub fn unary(party: &mut Party, op: UnaryOp, x: &Shared) -> Result<Shared, RunError> {
    match op {
        UnaryOp::Neg => Ok(arith::neg(x)),
        UnaryOp::Square => mul::square(party, x).map_err(mpc_err),
        UnaryOp::Sign => compare::sign(party, x).map_err(mpc_err),
        UnaryOp::Abs => compare::abs(party, x).map_err(mpc_err),
        UnaryOp::Relu => compare::relu(party, x).map_err(mpc_err),
        _ => unary_approx(party, op, x),
    }
}

/// `x^k` by repeated squaring (a negative `k` through `reciprocal`).
pub fn pow(party: &mut Party, x: &Shared, k: i32) -> Result<Shared, RunError> {
    let f = party.fixed.frac_bits;
    if k == 0 {
        let ones = Tensor::ones(ndarray::IxDyn(x.shape()));
        return super::values::public_share(party, &ones, f);
    }
    let mut base = if k < 0 { unary_approx(party, UnaryOp::Reciprocal, x)? } else { x.clone() };
    let mut e = k.unsigned_abs();
    let mut acc: Option<Shared> = None;
    loop {
        if e & 1 == 1 {
            acc = Some(match acc {
                None => base.clone(),
                Some(a) => mul::mul(party, &a, &base).map_err(mpc_err)?,
            });
        }
        e >>= 1;
        if e == 0 {
            break;
        }
        base = mul::square(party, &base).map_err(mpc_err)?;
    }
    acc.ok_or_else(|| RunError::new(ErrorKind::Internal, "pow without a factor"))
}

/// `where(c, a, b)` = `b + c·(a - b)`; an unscaled private 0/1 condition (a comparison result)
/// makes the product exact, without truncation.
pub fn where_(party: &mut Party, c: Opd, a: Opd, b: Opd) -> Result<Shared, RunError> {
    let f = party.fixed.frac_bits;
    if let Opd::S(cs) = c {
        if cs.scale == 0 {
            let a = as_shared(party, a, f)?;
            let b = as_shared(party, b, f)?;
            return select::where_(party, cs, &a, &b).map_err(mpc_err);
        }
    }
    let diff_public;
    let diff_shared;
    let diff = match (a, b) {
        (Opd::P(pa), Opd::P(pb)) => {
            diff_public = elementwise::binary(BinaryOp::Sub, pa, pb)?;
            Opd::P(&diff_public)
        }
        _ => {
            diff_shared = sub(party, a, b)?;
            Opd::S(&diff_shared)
        }
    };
    let picked = mul(party, c, diff)?;
    add(party, Opd::S(&picked), b)
}
