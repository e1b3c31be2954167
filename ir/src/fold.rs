//! Truncations and comparisons merged into the ops around them (`plan`).
//!
//! Truncations: a private product (`*` or `@` of two private values) whose every use, in the
//! same block, truncates it or passes it on raw is left at its raw scale (`truncations`): a
//! multiplication by a public `2^-k` or a division by a public scalar truncates once (by `f + k`
//! bits, or dividing by `d·2^f`) instead of twice. With `fuse_products` (a dealer makes the
//! correlations) also a factor of a private×private elementwise product (the consumer opens the
//! truncation with its own Beaver opening, `runtime::protocols::fused`), `mean`, a relabelling
//! `2^-k·p`, and with `pending_matmul` the left factor of a private matrix product
//! (`runtime::protocols::fused_matmul`).
//!
//! Comparisons, with `lazy_compare` (DCF keys): a private `<`, `<=`, `>`, `>=` or `sign` whose only
//! use is a factor of a private×private elementwise product, or the condition of a `where` with a
//! private branch, is not computed on its own: the executor keeps the difference whose sign bit
//! it is, and the consumer computes the comparison times its factor in the comparison's one round
//! (`runtime::protocols::fss::msb_dcf_times`). A sum `p ± c` of a private product and a ready value
//! whose only use is a comparison or a `relu` is kept as a pair, and the comparison opens `p`'s
//! truncation with its own opening (`fss::msb_dcf_pending`).
//!
//! Exact in the sense of fixed point: `⌊⌊p/2^f⌋/2^k⌋ = ⌊p/2^(f+k)⌋` (nested floor division), the
//! division's own error bound holds for the raw product, and a folded comparison sees the
//! truncation's own `trunc(p)`; all need only `|p| < 2^62`, which the product's own truncation
//! needed, and a product by a 0/1 or ±1 condition needs no truncation. Only the consumers named
//! read a raw product, so no other op ever sees a value above the run's scale.

use crate::{Block, Label, Op, Program, Stmt, ValueId};

/// How a folded comparison's result follows from the sign bit `m` of its difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpForm {
    /// `m` (`<`, `>`).
    Bit,
    /// `1 - m` (`<=`, `>=`).
    NotBit,
    /// `1 - 2·m` (`sign`).
    Sign,
}

/// What one value's op does under the round-saving folds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fold {
    /// Computed as usual.
    #[default]
    None,
    /// A product left at its raw scale: its consumer truncates it.
    Raw,
    /// `p + c`, `c + p`, `p - c` or `c - p` for a `Raw` product `p`, whose one use is a
    /// comparison: kept as the pair `(±p, ±c)` meaning `trunc(±p) ± c`, so that the comparison
    /// opens the truncation with its own opening.
    Pair,
    /// A comparison left to its consumer: only the difference whose sign bit it is (a pair when
    /// its operand `pair` is a `Pair`).
    Lazy { pair: Option<ValueId> },
    /// A product or `where` that computes the `Lazy` comparison `cond` (in `form`, reading the
    /// `Pair` operand `pair` if any) times its factor in one round.
    Select { cond: ValueId, form: CmpForm, pair: Option<ValueId> },
    /// A comparison (not lazy) or a `relu` of the `Pair` operand `pair`: the truncation and the
    /// comparison in one round.
    Compare { pair: ValueId },
}

/// A comparison's form and the difference `first - second` whose sign bit decides it (`second`
/// is `None` for `sign`).
pub fn comparison_parts(op: &Op) -> Option<(CmpForm, ValueId, Option<ValueId>)> {
    use crate::BinaryOp as B;
    Some(match op {
        Op::Binary(B::Lt, a, b) => (CmpForm::Bit, *a, Some(*b)),
        Op::Binary(B::Ge, a, b) => (CmpForm::NotBit, *a, Some(*b)),
        Op::Binary(B::Gt, a, b) => (CmpForm::Bit, *b, Some(*a)),
        Op::Binary(B::Le, a, b) => (CmpForm::NotBit, *b, Some(*a)),
        Op::Unary(crate::UnaryOp::Sign, z) => (CmpForm::Sign, *z, None),
        _ => return None,
    })
}

/// Per value (by index): its fold. `fuse_products` and `lazy_compare` as in the module's text;
/// `pending_matmul`: a private matrix product's left factor may stay raw (`truncations`).
pub fn plan(program: &Program, fuse_products: bool, lazy_compare: bool, pending_matmul: bool) -> Vec<Fold> {
    let n = program.values.len();
    let mut uses = vec![0usize; n];
    let mut home: Vec<Option<usize>> = vec![None; n];
    count(program, &program.body, &mut uses, &mut home);
    let mut out = vec![Fold::None; n];
    if lazy_compare {
        pairs(program, &uses, &home, &mut out);
        lazy_comparisons(program, &uses, &home, &mut out);
    }
    let raw = truncations(program, fuse_products, pending_matmul, &uses, &home, &out);
    for (o, r) in out.iter_mut().zip(raw) {
        if r && *o == Fold::None {
            *o = Fold::Raw;
        }
    }
    out
}

fn is_private(program: &Program, id: ValueId) -> bool {
    program.value(id).is_some_and(|d| d.info.label == Label::Private)
}

/// Used once, in one block, and that block is `at`'s.
fn single_use_beside(uses: &[usize], home: &[Option<usize>], v: ValueId, at: usize) -> bool {
    uses.get(v.index()) == Some(&1)
        && home.get(v.index()).copied().flatten().is_some()
        && home.get(v.index()) == home.get(at)
}

fn set(out: &mut [Fold], v: usize, fold: Fold) {
    if let Some(slot) = out.get_mut(v) {
        *slot = fold;
    }
}

/// `Lazy` comparisons and their `Select` consumers (after `pairs`: a comparison of a pair keeps
/// reading it).
fn lazy_comparisons(program: &Program, uses: &[usize], home: &[Option<usize>], out: &mut [Fold]) {
    let private = |id: ValueId| is_private(program, id);
    let comparison = |id: ValueId| program.value(id).and_then(|d| comparison_parts(&d.op));
    for (i, def) in program.values.iter().enumerate() {
        // The candidate condition and whether the rest of the consumer qualifies.
        let (c, rest_ok) = match &def.op {
            Op::Binary(crate::BinaryOp::Mul, a, b) if a != b => {
                if comparison(*a).is_some() {
                    (*a, private(*b))
                } else {
                    (*b, private(*a))
                }
            }
            Op::Where(c, a, b) => (*c, *a != *c && *b != *c && (private(*a) || private(*b))),
            _ => continue,
        };
        let Some((form, ..)) = comparison(c) else { continue };
        if rest_ok && private(c) && single_use_beside(uses, home, c, i) {
            let pair = match (out.get(c.index()), out.get(i)) {
                (Some(Fold::None), Some(Fold::None)) => None,
                (Some(Fold::Compare { pair }), Some(Fold::None)) => Some(*pair),
                _ => continue,
            };
            set(out, c.index(), Fold::Lazy { pair });
            set(out, i, Fold::Select { cond: c, form, pair });
        }
    }
}

/// `Pair` sums under comparisons: the sum's product `Raw`, the comparison `Compare`
/// (`lazy_comparisons` may then make it `Lazy`).
fn pairs(program: &Program, uses: &[usize], home: &[Option<usize>], out: &mut [Fold]) {
    let private = |id: ValueId| is_private(program, id);
    // A private product of two distinct factors, used once beside `at`, not folded yet (with a
    // public factor the raw product is local).
    let product = |p: ValueId, at: usize, out: &[Fold]| {
        let Some(pdef) = program.value(p) else { return false };
        let factors = match &pdef.op {
            Op::Binary(crate::BinaryOp::Mul, x, y) | Op::MatMul(x, y) => [*x, *y],
            _ => return false,
        };
        private(p)
            && factors.iter().any(|&x| private(x))
            && factors[0] != factors[1]
            && single_use_beside(uses, home, p, at)
            && out.get(p.index()) == Some(&Fold::None)
    };
    for (i, def) in program.values.iter().enumerate() {
        // A comparison, or a `relu` (its operand a `Pair` too).
        let parts = match &def.op {
            Op::Unary(crate::UnaryOp::Relu, z) => Some((*z, None)),
            op => comparison_parts(op).map(|(_, first, second)| (first, second)),
        };
        let Some((first, second)) = parts else { continue };
        if !private(ValueId(i as u32)) {
            continue;
        }
        for x in std::iter::once(first).chain(second) {
            let Some(xdef) = program.value(x) else { continue };
            let (a, b) = match &xdef.op {
                Op::Binary(crate::BinaryOp::Add | crate::BinaryOp::Sub, a, b) if a != b => (*a, *b),
                _ => continue,
            };
            let sum_ok = private(x) && single_use_beside(uses, home, x, i) && out.get(x.index()) == Some(&Fold::None);
            let p = if product(a, x.index(), out) {
                a
            } else if product(b, x.index(), out) {
                b
            } else {
                continue;
            };
            if !sum_ok {
                continue;
            }
            set(out, p.index(), Fold::Raw);
            set(out, x.index(), Fold::Pair);
            set(out, i, Fold::Compare { pair: x });
            break;
        }
    }
}

/// Per value (by index): whether its truncation is merged into its consumer (no comparison is
/// folded).
pub fn deferred_truncations(program: &Program, fuse_products: bool) -> Vec<bool> {
    plan(program, fuse_products, false, false).into_iter().map(|f| f == Fold::Raw).collect()
}

/// The `Raw` folds, given the comparison folds in `folded` (a `Select` consumer reads no raw
/// factor, and is not left raw itself).
///
/// A value stays raw when it is a private product of two distinct private factors (or `2^j·p`,
/// and with `fuse_products` also `2^-k·p`, for a raw `p`: the executor relabels the scale) and
/// every use of it, in its own block, truncates it or passes it on raw: a multiplication by
/// `2^-k`, a division by a public scalar, a multiplication by `2^j` that stays raw itself, and
/// with `fuse_products` a factor of a private×private elementwise product, the left factor of a
/// private matrix product, and `mean`. Computed as a fixpoint: candidates that fail are
/// dropped until none does.
fn truncations(
    program: &Program,
    fuse_products: bool,
    pending_matmul: bool,
    uses: &[usize],
    home: &[Option<usize>],
    folded: &[Fold],
) -> Vec<bool> {
    let n = program.values.len();
    let private = |id: ValueId| is_private(program, id);
    let select = |v: usize| matches!(folded.get(v), Some(Fold::Select { .. }));
    // The ops that read each value (once per operand slot), among the evaluated ones.
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, def) in program.values.iter().enumerate() {
        if home.get(i).copied().flatten().is_some() {
            for o in def.op.operands() {
                if let Some(r) = readers.get_mut(o.index()) {
                    r.push(i);
                }
            }
        }
    }
    // What a candidate is: a product, or a relabelling of the raw value `p`.
    let candidate = |v: usize| -> Option<Option<ValueId>> {
        let def = program.values.get(v)?;
        if !private(ValueId(v as u32)) || select(v) || folded.get(v) != Some(&Fold::None) {
            return None;
        }
        match &def.op {
            Op::Binary(crate::BinaryOp::Mul, x, y) | Op::MatMul(x, y) if private(*x) && private(*y) && x != y => {
                Some(None)
            }
            Op::Binary(crate::BinaryOp::Mul, ..) => {
                let v = ValueId(v as u32);
                scaled_product(program, v).or_else(|| halved_product(program, v).filter(|_| fuse_products)).map(Some)
            }
            _ => None,
        }
    };
    let mut raw: Vec<bool> = (0..n).map(|v| candidate(v).is_some()).collect();
    loop {
        let mut changed = false;
        for v in 0..n {
            if !raw.get(v).copied().unwrap_or(false) {
                continue;
            }
            let id = ValueId(v as u32);
            let source_ok = match candidate(v) {
                Some(Some(p)) => raw.get(p.index()).copied().unwrap_or(false) && home.get(p.index()) == home.get(v),
                Some(None) => true,
                None => false,
            };
            let rs = readers.get(v).map(Vec::as_slice).unwrap_or_default();
            // Every use is an op's (no statement reads it), in the value's block, and passes.
            let all_ops = uses.get(v).copied().unwrap_or(0) == rs.len() && !rs.is_empty();
            let single_home = home.get(v).copied().flatten().is_some_and(|h| h != usize::MAX);
            let ok = source_ok
                && all_ops
                && single_home
                && rs.iter().all(|&c| {
                    home.get(c) == home.get(v) && passes(program, fuse_products, pending_matmul, c, id, &raw, select)
                });
            if !ok {
                if let Some(slot) = raw.get_mut(v) {
                    *slot = false;
                }
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    raw
}

/// Whether the op `c` reading the raw value `v` truncates it or passes it on raw (see
/// `truncations`).
fn passes(
    program: &Program,
    fuse: bool,
    pending_matmul: bool,
    c: usize,
    v: ValueId,
    raw: &[bool],
    select: impl Fn(usize) -> bool,
) -> bool {
    let private = |id: ValueId| is_private(program, id);
    let Some(def) = program.values.get(c) else { return false };
    let cid = ValueId(c as u32);
    match &def.op {
        Op::Binary(crate::BinaryOp::Mul, a, b) => {
            if pow2_scaled(program, *a, *b) == Some(v) || pow2_scaled(program, *b, *a) == Some(v) {
                return true;
            }
            if scaled_product(program, cid) == Some(v) {
                return raw.get(c).copied().unwrap_or(false);
            }
            fuse && private(*a) && private(*b) && a != b && !select(c)
        }
        Op::Binary(crate::BinaryOp::Div, a, b) => *a == v && *b != v && public_scalar(program, *b),
        Op::MatMul(a, b) => fuse && pending_matmul && *a == v && *b != v && private(*b),
        Op::Reduce { op: crate::ReduceOp::Mean, .. } => fuse,
        _ => false,
    }
}

/// `p` when `v = p · 2^-k` or `2^-k · p` for a public scalar constant with `1 ≤ k ≤ 40`.
fn halved_product(program: &Program, v: ValueId) -> Option<ValueId> {
    let Op::Binary(crate::BinaryOp::Mul, a, b) = &program.value(v)?.op else { return None };
    pow2_scaled(program, *a, *b).or_else(|| pow2_scaled(program, *b, *a))
}

/// `p` when `v = 2^j · p` or `p · 2^j` for a public scalar constant with `1 ≤ j ≤ 8`.
fn scaled_product(program: &Program, v: ValueId) -> Option<ValueId> {
    let Op::Binary(crate::BinaryOp::Mul, a, b) = &program.value(v)?.op else { return None };
    let doubling = |c: ValueId| public_const(program, c).and_then(pow2_multiplier).is_some();
    if doubling(*b) {
        Some(*a)
    } else if doubling(*a) {
        Some(*b)
    } else {
        None
    }
}

/// `j` when `v = 2^j` for an integer `1 ≤ j ≤ 8` (a factor a raw product's scale can absorb at
/// every precision the runtime accepts, 8 to 20 bits).
pub fn pow2_multiplier(v: f64) -> Option<u32> {
    let j = v.log2();
    (v > 0.0 && (1.0..=8.0).contains(&j) && j.fract() == 0.0).then_some(j as u32)
}

/// `x` when `c` is a public scalar constant `2^-k` with `1 ≤ k ≤ 40`.
fn pow2_scaled(program: &Program, x: ValueId, c: ValueId) -> Option<ValueId> {
    pow2_exponent(public_const(program, c)?).map(|_| x)
}

/// `k` when `v = 2^-k` for an integer `1 ≤ k ≤ 40` (the multipliers a truncation absorbs).
pub fn pow2_exponent(v: f64) -> Option<u32> {
    let k = -v.log2();
    (v > 0.0 && (1.0..=40.0).contains(&k) && k.fract() == 0.0).then_some(k as u32)
}

/// Whether `c` is public and a scalar by its type (a constant, or a count like `shape(x)[1]`).
fn public_scalar(program: &Program, c: ValueId) -> bool {
    program.value(c).is_some_and(|d| d.info.label == Label::Public && d.info.shape == crate::Shape::scalar())
}

/// The value of a public scalar constant, if `c` is one (nonzero and finite).
fn public_const(program: &Program, c: ValueId) -> Option<f64> {
    match &program.value(c)?.op {
        Op::Const(t) if t.shape.is_empty() => t.data.first().copied().filter(|v| *v != 0.0 && v.is_finite()),
        _ => None,
    }
}

fn count(program: &Program, block: &Block, uses: &mut [usize], home: &mut [Option<usize>]) {
    let key = block as *const Block as usize;
    for s in &block.0 {
        let mut reads = s.reads();
        if let Stmt::Eval(id) = s {
            if let Some(h) = home.get_mut(id.index()) {
                // A value evaluated in two places has no single home.
                *h = if h.is_none() { Some(key) } else { Some(usize::MAX) };
            }
            reads.extend(program.value(*id).map(|d| d.op.operands()).unwrap_or_default());
        }
        for v in reads {
            if let Some(u) = uses.get_mut(v.index()) {
                *u += 1;
            }
        }
        for inner in s.blocks() {
            count(program, inner, uses, home);
        }
    }
}
