//! Comparisons folded into their neighbours (`mpcc_ir::fold`): a lazy comparison keeps only
//! the difference whose sign bit decides it (local), and its one consumer, `c * v` or
//! `where(c, a, b)`, computes `c·v` (or `c·(a - b)`) in the comparison's own round
//! (`compare::msb_times`). A `Pair` sum `p ± c` of a raw product keeps `(±p, ±c)`, meaning
//! `trunc(±p) ± c`, stacked on a leading axis of 2 at `p`'s scale (`c` at the run's), so that the
//! comparison of it opens the truncation with its own opening (`compare::pending`). The values
//! are those of the unfolded ops: the same sign bits up to the truncation's own unit, and
//! products by a 0/1 or ±1 condition need no truncation.

use super::values::{as_shared, mpc_err, Opd};
use crate::error::{ErrorKind, RunError};
use crate::party::Party;
use crate::protocols::{arith, compare};
use crate::ring;
use crate::share::Shared;
use mpcc_ir::fold::{comparison_parts, CmpForm};
use mpcc_ir::{BinaryOp, Op, ValueId};
use std::borrow::Cow;

/// The most elements a folded comparison takes: above it a pair's product is truncated first and
/// a comparison and its product take their own rounds, as unfolded. The folds trade a round for
/// dealer bytes (a second key set, a second output word: about 1–4 KB per element); on a large
/// tensor the bytes cost more than the round on any network (a test set's 10^6 activations would
/// be gigabytes of keys for one round).
pub const FOLD_MAX: usize = 1 << 16;

fn internal(msg: impl Into<String>) -> RunError {
    RunError::new(ErrorKind::Internal, msg)
}

/// A difference: plain, or a pair `(P, Q)` meaning `trunc(P) + Q`.
enum Diff {
    Plain(Shared),
    Pair(Shared, Shared),
}

/// `(P, Q)` stacked (both broadcast to one shape; `P` at least at the run's scale, `Q` at it).
fn stack(party: &Party, p: &Shared, q: &Shared) -> Result<Shared, RunError> {
    let f = party.fixed.frac_bits;
    if q.scale > f {
        return Err(internal("a pair whose second part is still to be truncated"));
    }
    let shape = crate::plain::broadcast_shape(p.shape(), q.shape())?;
    let p = arith::upscale(&super::mixed::broadcast(p, &shape)?, f);
    let q = arith::upscale(&super::mixed::broadcast(q, &shape)?, f);
    let mut words = ring::to_vec(&p.data);
    words.extend(ring::to_vec(&q.data));
    let mut dims = vec![2];
    dims.extend(shape);
    Ok(Shared { data: ring::from_vec("pair", &dims, words).map_err(|e| mpc_err(e.into()))?, scale: p.scale })
}

/// The two parts of a stacked pair.
fn unstack(party: &Party, d: &Shared) -> Result<(Shared, Shared), RunError> {
    if d.shape().first() != Some(&2) {
        return Err(internal("a pair without its two parts"));
    }
    let part = |k: usize| d.data.index_axis(ndarray::Axis(0), k).to_owned();
    Ok((Shared { data: part(0), scale: d.scale }, Shared { data: part(1), scale: party.fixed.frac_bits }))
}

/// The `Pair` sum `op` (`a ± b`, one of them a raw product): stacked `(±P, ±Q)`. Local.
pub fn pair<'t>(party: &mut Party, op: &Op, get: super::ops::Get<'_, 't>) -> Result<Shared, RunError> {
    let f = party.fixed.frac_bits;
    let (sub, a, b) = match op {
        Op::Binary(BinaryOp::Add, a, b) => (false, *a, *b),
        Op::Binary(BinaryOp::Sub, a, b) => (true, *a, *b),
        _ => return Err(internal("a pair that is not a sum")),
    };
    let (a, b) = (as_shared(party, get(a)?, f)?, as_shared(party, get(b)?, f)?);
    // The raw one is P (when neither is raw, nothing is pending and either will do).
    let (p, q) = if b.scale > f && a.scale <= f {
        (if sub { arith::neg(&b) } else { b.into_owned() }, a.into_owned())
    } else {
        (a.into_owned(), if sub { arith::neg(&b) } else { b.into_owned() })
    };
    let n: usize = crate::plain::broadcast_shape(p.shape(), q.shape())?.iter().product();
    if n > FOLD_MAX && p.scale > f {
        let mut t = crate::protocols::trunc::truncate(party, &p, p.scale - f).map_err(mpc_err)?;
        t.scale = f;
        return stack(party, &t, &q);
    }
    stack(party, &p, &q)
}

/// The lazy comparison `op`'s difference (as `compare::compare` forms it: both operands at the
/// larger scale), a pair when its operand `pair` is one. Local.
pub fn difference<'t>(
    party: &Party,
    op: &Op,
    get: super::ops::Get<'_, 't>,
    pair: Option<ValueId>,
) -> Result<Shared, RunError> {
    match diff(party, op, get, pair)? {
        Diff::Plain(d) => Ok(d),
        Diff::Pair(p, q) => stack(party, &p, &q),
    }
}

fn diff<'t>(party: &Party, op: &Op, get: super::ops::Get<'_, 't>, pair: Option<ValueId>) -> Result<Diff, RunError> {
    let (_, first, second) = comparison_parts(op).ok_or_else(|| internal("a lazy value that is not a comparison"))?;
    let f = party.fixed.frac_bits;
    let operand = |id: ValueId| -> Result<Cow<'t, Shared>, RunError> { as_shared(party, get(id)?, f) };
    match (pair, second) {
        (Some(x), _) if x == first => {
            let (p, q) = unstack(party, operand(first)?.as_ref())?;
            match second {
                None => Ok(Diff::Pair(p, q)),
                Some(s) => Ok(Diff::Pair(p, arith::sub(&q, operand(s)?.as_ref()).map_err(mpc_err)?)),
            }
        }
        (Some(x), Some(s)) if x == s => {
            // first - trunc(P) - Q = trunc(-P) + (first - Q), up to the truncation's unit.
            let (p, q) = unstack(party, operand(s)?.as_ref())?;
            Ok(Diff::Pair(arith::neg(&p), arith::sub(operand(first)?.as_ref(), &q).map_err(mpc_err)?))
        }
        (Some(_), _) => Err(internal("a pair that is not the comparison's operand")),
        (None, None) => Ok(Diff::Plain(operand(first)?.into_owned())),
        // `arith::sub` raises the lower scale, as `compare::compare` does.
        (None, Some(s)) => {
            Ok(Diff::Plain(arith::sub(operand(first)?.as_ref(), operand(s)?.as_ref()).map_err(mpc_err)?))
        }
    }
}

/// A comparison (not lazy) of a pair (`Fold::Compare`): its 0/1 or ±1 result, unscaled; or a
/// `relu` of a pair, at the run's scale.
pub fn compare_pair<'t>(
    party: &mut Party,
    op: &Op,
    get: super::ops::Get<'_, 't>,
    pair: ValueId,
) -> Result<Shared, RunError> {
    if let Op::Unary(mpcc_ir::UnaryOp::Relu, z) = op {
        let Opd::S(d) = get(*z)? else { return Err(internal("a relu of a pair without the pair")) };
        let (p, q) = unstack(party, d)?;
        return if p.scale > q.scale {
            compare::pending(party, &p, &q, compare::OfPending::Relu).map_err(mpc_err)
        } else {
            compare::relu(party, &arith::add(&p, &q).map_err(mpc_err)?).map_err(mpc_err)
        };
    }
    let (form, ..) =
        comparison_parts(op).ok_or_else(|| internal("a pair compared by an op that is not a comparison"))?;
    let m = match diff(party, op, get, Some(pair))? {
        Diff::Pair(p, q) if p.scale > q.scale => {
            compare::pending(party, &p, &q, compare::OfPending::Msb).map_err(mpc_err)?
        }
        Diff::Pair(p, q) => compare::msb(party, &arith::add(&p, &q).map_err(mpc_err)?).map_err(mpc_err)?,
        Diff::Plain(d) => compare::msb(party, &d).map_err(mpc_err)?,
    };
    Ok(match form {
        CmpForm::Bit => m,
        CmpForm::NotBit => compare::not(party, &m),
        CmpForm::Sign => compare::sign_of_msb(party, &m),
    })
}

/// The consumer `op` of the lazy comparison `cond` (read as its difference, a pair with
/// `pair`), in `form`.
pub fn select<'t>(
    party: &mut Party,
    op: &Op,
    get: super::ops::Get<'_, 't>,
    cond: ValueId,
    form: CmpForm,
    pair: bool,
) -> Result<Shared, RunError> {
    let Opd::S(d) = get(cond)? else { return Err(internal("a lazy comparison without its difference")) };
    let d = if pair {
        let (p, q) = unstack(party, d)?;
        Diff::Pair(p, q)
    } else {
        Diff::Plain(d.clone())
    };
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

/// The comparison (sign bit of `d`, in `form`) times `v`, all broadcast to their common shape:
/// one round. At `v`'s scale.
fn times(party: &mut Party, form: CmpForm, d: Diff, v: &Shared) -> Result<Shared, RunError> {
    if v.scale > party.fixed.frac_bits {
        return Err(internal("a folded comparison times a product still to be truncated"));
    }
    let b = |x: &Shared, shape: &[usize]| super::mixed::broadcast(x, shape);
    let inner = match &d {
        Diff::Plain(d) => d.shape().to_vec(),
        Diff::Pair(p, _) => p.shape().to_vec(),
    };
    let big = crate::plain::broadcast_shape(&inner, v.shape())?.iter().product::<usize>() > FOLD_MAX;
    let (m, v) = match d {
        // Too large to fold: the comparison, then the product (no truncation), as unfolded.
        _ if big => {
            let d = match d {
                Diff::Plain(d) => d,
                Diff::Pair(p, q) => arith::add(&p, &q).map_err(mpc_err)?,
            };
            let shape = crate::plain::broadcast_shape(d.shape(), v.shape())?;
            let (d, v) = (b(&d, &shape)?, b(v, &shape)?);
            (compare::msb_then_times(party, &d, &v).map_err(mpc_err)?, v)
        }
        Diff::Plain(d) => {
            let shape = crate::plain::broadcast_shape(d.shape(), v.shape())?;
            let v = b(v, &shape)?;
            (compare::msb_times(party, &b(&d, &shape)?, &v).map_err(mpc_err)?, v)
        }
        Diff::Pair(p, q) => {
            let shape = crate::plain::broadcast_shape(p.shape(), v.shape())?;
            let (p, q, v) = (b(&p, &shape)?, b(&q, &shape)?, b(v, &shape)?);
            let m = if p.scale > q.scale {
                compare::pending(party, &p, &q, compare::OfPending::Times(&v)).map_err(mpc_err)?
            } else {
                compare::msb_times(party, &arith::add(&p, &q).map_err(mpc_err)?, &v).map_err(mpc_err)?
            };
            (m, v)
        }
    };
    match form {
        CmpForm::Bit => Ok(m),
        CmpForm::NotBit => arith::sub(&v, &m).map_err(mpc_err),
        CmpForm::Sign => {
            let twice = Shared { data: ring::scale(&m.data, 2), scale: m.scale };
            arith::sub(&v, &twice).map_err(mpc_err)
        }
    }
}
