//! Comparisons folded into their consumer (`mpcc_ir::fold`, `Fold::Lazy` and `Fold::Select`):
//! a lazy comparison keeps only the difference whose sign bit decides it (local), and its one
//! consumer, `c * v` or `where(c, a, b)`, computes `c·v` (or `c·(a - b)`) in the comparison's
//! own round (`compare::msb_times`). The values are those of the unfolded ops: the same sign
//! bits, and products by a 0/1 or ±1 condition need no truncation.

use super::mixed;
use super::values::{as_shared, mpc_err, Opd};
use crate::error::{ErrorKind, RunError};
use crate::party::Party;
use crate::protocols::{arith, compare};
use crate::share::Shared;
use mpcc_ir::fold::{comparison_parts, CmpForm};
use mpcc_ir::{BinaryOp, Op, ValueId};

fn internal(msg: impl Into<String>) -> RunError {
    RunError::new(ErrorKind::Internal, msg)
}

/// The lazy comparison `op`'s difference (as `compare::compare` forms it: both operands at the
/// larger scale). Local.
pub fn difference<'t>(party: &Party, op: &Op, get: super::ops::Get<'_, 't>) -> Result<Shared, RunError> {
    let (_, first, second) = comparison_parts(op).ok_or_else(|| internal("a lazy value that is not a comparison"))?;
    let f = party.fixed.frac_bits;
    let x = as_shared(party, get(first)?, f)?;
    match second {
        None => Ok(x.into_owned()),
        Some(b) => {
            let y = as_shared(party, get(b)?, f)?;
            let s = x.scale.max(y.scale);
            arith::sub(&arith::upscale(&x, s), &arith::upscale(&y, s)).map_err(mpc_err)
        }
    }
}

/// The consumer `op` of the lazy comparison `cond` (read as its difference), in `form`.
pub fn select<'t>(
    party: &mut Party,
    op: &Op,
    get: super::ops::Get<'_, 't>,
    cond: ValueId,
    form: CmpForm,
) -> Result<Shared, RunError> {
    let Opd::S(d) = get(cond)? else { return Err(internal("a lazy comparison without its difference")) };
    let f = party.fixed.frac_bits;
    match op {
        Op::Binary(BinaryOp::Mul, a, b) => {
            let other = if *a == cond { *b } else { *a };
            let v = as_shared(party, get(other)?, f)?;
            times(party, form, d, &v)
        }
        Op::Where(_, a, b) => {
            let (a, b) = (as_shared(party, get(*a)?, f)?, as_shared(party, get(*b)?, f)?);
            let diff = arith::sub(&a, &b).map_err(mpc_err)?;
            let picked = times(party, form, d, &diff)?;
            arith::add(&b, &picked).map_err(mpc_err)
        }
        _ => Err(internal("a comparison folded into an op that is not a product or `where`")),
    }
}

/// The comparison (sign bit of `d`, in `form`) times `v`, both broadcast to their common shape:
/// one round. At `v`'s scale.
fn times(party: &mut Party, form: CmpForm, d: &Shared, v: &Shared) -> Result<Shared, RunError> {
    if v.scale > party.fixed.frac_bits {
        return Err(internal("a folded comparison times a product still to be truncated"));
    }
    let shape = crate::plain::broadcast_shape(d.shape(), v.shape())?;
    let (d, v) = (mixed::broadcast(d, &shape)?, mixed::broadcast(v, &shape)?);
    let m = compare::msb_times(party, &d, &v).map_err(mpc_err)?;
    match form {
        CmpForm::Bit => Ok(m),
        CmpForm::NotBit => arith::sub(&v, &m).map_err(mpc_err),
        CmpForm::Sign => {
            let twice = Shared { data: crate::ring::scale(&m.data, 2), scale: m.scale };
            arith::sub(&v, &twice).map_err(mpc_err)
        }
    }
}
