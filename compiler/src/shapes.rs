//! Shape rules at compile time: broadcasting, matmul, reductions, cat/stack, reshape, indexing.
//!
//! Every function works on what is known: an unknown dimension or rank propagates silently and
//! never causes an error; `Err` means the known parts contradict each other. Nothing here
//! reports diagnostics (the lowering does, with both shapes in the message).

use mpcc_ir::{Dim, Shape};

/// Why a shape rule failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ShapeError {
    /// The shapes do not fit the rule.
    Mismatch,
    /// `axis` is out of range for an operand of rank `rank`.
    Axis { axis: i64, rank: usize },
}

fn dim_eq(a: Dim, b: Dim) -> Option<bool> {
    match (a, b) {
        (Dim::Known(x), Dim::Known(y)) => Some(x == y),
        _ => None,
    }
}

/// NumPy broadcasting of two shapes.
pub fn broadcast(a: &Shape, b: &Shape) -> Result<Shape, ShapeError> {
    let (Shape::Ranked(a), Shape::Ranked(b)) = (a, b) else {
        return Ok(Shape::Unknown);
    };
    let n = a.len().max(b.len());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let da = if i < n - a.len() { Dim::Known(1) } else { a.get(i + a.len() - n).copied().unwrap_or(Dim::Unknown) };
        let db = if i < n - b.len() { Dim::Known(1) } else { b.get(i + b.len() - n).copied().unwrap_or(Dim::Unknown) };
        let d = match (da, db) {
            (Dim::Known(1), d) | (d, Dim::Known(1)) => d,
            (Dim::Known(x), Dim::Known(y)) if x == y => Dim::Known(x),
            (Dim::Known(_), Dim::Known(_)) => return Err(ShapeError::Mismatch),
            (Dim::Known(x), Dim::Unknown) | (Dim::Unknown, Dim::Known(x)) => Dim::Known(x),
            (Dim::Unknown, Dim::Unknown) => Dim::Unknown,
        };
        out.push(d);
    }
    Ok(Shape::Ranked(out))
}

/// `a @ b` as NumPy `matmul`: 1-D operands are promoted, batch dimensions broadcast.
pub fn matmul(a: &Shape, b: &Shape) -> Result<Shape, ShapeError> {
    let (Shape::Ranked(a), Shape::Ranked(b)) = (a, b) else {
        return Ok(Shape::Unknown);
    };
    let (a_vec, b_vec) = (a.len() == 1, b.len() == 1);
    let a2: Vec<Dim> = if a_vec { [&[Dim::Known(1)], a.as_slice()].concat() } else { a.clone() };
    let b2: Vec<Dim> = if b_vec { [b.as_slice(), &[Dim::Known(1)]].concat() } else { b.clone() };
    let (Some((a_batch, [n, k1])), Some((b_batch, [k2, m]))) = (split_last2(&a2), split_last2(&b2)) else {
        return Err(ShapeError::Mismatch);
    };
    let (n, m) = (*n, *m);
    if dim_eq(*k1, *k2) == Some(false) {
        return Err(ShapeError::Mismatch);
    }
    let batch = broadcast(&Shape::Ranked(a_batch.to_vec()), &Shape::Ranked(b_batch.to_vec()))?;
    let Shape::Ranked(mut out) = batch else {
        return Ok(Shape::Unknown);
    };
    if !a_vec {
        out.push(n);
    }
    if !b_vec {
        out.push(m);
    }
    Ok(Shape::Ranked(out))
}

/// The number of elements of a shape, if it fits in a `usize`.
pub fn numel(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, d| acc.checked_mul(*d))
}

/// Splits off the last two dimensions (the matrix) from the batch dimensions.
fn split_last2(dims: &[Dim]) -> Option<(&[Dim], &[Dim; 2])> {
    let at = dims.len().checked_sub(2)?;
    let (batch, last) = dims.split_at(at);
    Some((batch, last.try_into().ok()?))
}

/// Resolves a possibly negative axis against a rank.
pub fn axis_index(axis: i64, rank: usize) -> Result<usize, ShapeError> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        return Err(ShapeError::Axis { axis, rank });
    }
    Ok(a as usize)
}

/// A reduction over `axis` (removed) or over everything (a scalar).
pub fn reduce(x: &Shape, axis: Option<i64>) -> Result<Shape, ShapeError> {
    let Some(axis) = axis else {
        return Ok(Shape::scalar());
    };
    let Shape::Ranked(dims) = x else {
        return Ok(Shape::Unknown);
    };
    let a = axis_index(axis, dims.len())?;
    let mut out = dims.clone();
    out.remove(a);
    Ok(Shape::Ranked(out))
}

/// Checks that `axis` exists in `x` (softmax, one-hot argmax); the shape is unchanged.
pub fn check_axis(x: &Shape, axis: i64) -> Result<(), ShapeError> {
    match x.rank() {
        Some(rank) => axis_index(axis, rank).map(|_| ()),
        None => Ok(()),
    }
}

fn join_dims(a: Dim, b: Dim) -> Dim {
    if a == b {
        a
    } else {
        Dim::Unknown
    }
}

/// What is known of a value that may have either shape (e.g. a variable assigned twice).
pub fn join(a: &Shape, b: &Shape) -> Shape {
    match (a, b) {
        (Shape::Ranked(x), Shape::Ranked(y)) if x.len() == y.len() => {
            Shape::Ranked(x.iter().zip(y).map(|(p, q)| join_dims(*p, *q)).collect())
        }
        _ => Shape::Unknown,
    }
}

/// `cat(xs, axis)`: equal ranks, equal dimensions except `axis`, which adds up.
pub fn cat(xs: &[Shape], axis: i64) -> Result<Shape, ShapeError> {
    let mut acc: Option<Vec<Dim>> = None;
    let mut idx = 0;
    for x in xs {
        let Shape::Ranked(dims) = x else {
            return Ok(Shape::Unknown);
        };
        match &mut acc {
            None => {
                idx = axis_index(axis, dims.len())?;
                acc = Some(dims.clone());
            }
            Some(out) => {
                if out.len() != dims.len() {
                    return Err(ShapeError::Mismatch);
                }
                for (i, (o, d)) in out.iter_mut().zip(dims).enumerate() {
                    if i == idx {
                        *o = match (*o, *d) {
                            (Dim::Known(p), Dim::Known(q)) => p.checked_add(q).map_or(Dim::Unknown, Dim::Known),
                            _ => Dim::Unknown,
                        };
                    } else if dim_eq(*o, *d) == Some(false) {
                        return Err(ShapeError::Mismatch);
                    } else if *o == Dim::Unknown {
                        *o = *d;
                    }
                }
            }
        }
    }
    Ok(acc.map(Shape::Ranked).unwrap_or(Shape::Unknown))
}

/// `stack(xs, axis)`: equal shapes, a new axis of length `xs.len()`.
pub fn stack(xs: &[Shape], axis: i64) -> Result<Shape, ShapeError> {
    let mut acc: Option<Shape> = None;
    for x in xs {
        acc = Some(match acc {
            None => x.clone(),
            Some(prev) => {
                if let (Shape::Ranked(p), Shape::Ranked(q)) = (&prev, x) {
                    if p.len() != q.len() || p.iter().zip(q).any(|(a, b)| dim_eq(*a, *b) == Some(false)) {
                        return Err(ShapeError::Mismatch);
                    }
                }
                join(&prev, x)
            }
        });
    }
    let Some(Shape::Ranked(mut dims)) = acc else {
        return Ok(Shape::Unknown);
    };
    let a = axis_index(axis, dims.len() + 1)?;
    dims.insert(a, Dim::Known(xs.len()));
    Ok(Shape::Ranked(dims))
}

/// `reshape(x, target)`: the known element counts must agree; one `-1` entry is inferred.
/// `target` holds `Some(n)` for a known entry (n may be -1) and `None` for an unknown one.
pub fn reshape(x: &Shape, target: &[Option<i64>]) -> Result<Shape, ShapeError> {
    let total = x.as_known().and_then(|d| numel(&d));
    let known: Option<Vec<i64>> = target.iter().copied().collect();
    let mut dims: Vec<Dim> = target
        .iter()
        .map(|t| match t {
            Some(n) if *n >= 0 => Dim::Known(*n as usize),
            _ => Dim::Unknown,
        })
        .collect();
    if let (Some(total), Some(known)) = (total, known) {
        let Some(product) = known.iter().filter(|n| **n >= 0).try_fold(1i64, |acc, n| acc.checked_mul(*n)) else {
            return Ok(Shape::Ranked(dims));
        };
        let inferred = known.iter().position(|n| *n < 0);
        match inferred {
            None if product as usize != total => return Err(ShapeError::Mismatch),
            Some(i) => {
                if product == 0 || total % product as usize != 0 {
                    return Err(ShapeError::Mismatch);
                }
                if let Some(d) = dims.get_mut(i) {
                    *d = Dim::Known(total / product as usize);
                }
            }
            None => {}
        }
    }
    Ok(Shape::Ranked(dims))
}

/// One position of an index expression as far as known: an integer (`Some(i)`) or unknown
/// index, or a slice with optional known bounds.
#[derive(Clone, Copy, Debug)]
pub enum IndexShape {
    At(Option<i64>),
    Slice { start: Option<Option<i64>>, end: Option<Option<i64>> },
}

fn bound(b: i64, n: usize) -> usize {
    let n = n as i64;
    (if b < 0 { b + n } else { b }).clamp(0, n) as usize
}

/// `x[items]`: each `At` removes an axis, each slice keeps one (shortened); the rest are kept.
pub fn index(x: &Shape, items: &[IndexShape]) -> Result<Shape, ShapeError> {
    let Shape::Ranked(dims) = x else {
        return Ok(Shape::Unknown);
    };
    if items.len() > dims.len() {
        return Err(ShapeError::Mismatch);
    }
    let mut out = Vec::new();
    for (i, d) in dims.iter().enumerate() {
        match items.get(i) {
            None => out.push(*d),
            Some(IndexShape::At(k)) => {
                if let (Some(k), Dim::Known(n)) = (k, d) {
                    if *k >= *n as i64 || *k < -(*n as i64) {
                        return Err(ShapeError::Axis { axis: *k, rank: *n });
                    }
                }
            }
            Some(IndexShape::Slice { start, end }) => {
                let Dim::Known(n) = d else {
                    out.push(Dim::Unknown);
                    continue;
                };
                let s = match start {
                    None => Some(0),
                    Some(Some(b)) => Some(bound(*b, *n)),
                    Some(None) => None,
                };
                let e = match end {
                    None => Some(*n),
                    Some(Some(b)) => Some(bound(*b, *n)),
                    Some(None) => None,
                };
                out.push(match (s, e) {
                    (Some(s), Some(e)) => Dim::Known(e.saturating_sub(s)),
                    _ => Dim::Unknown,
                });
            }
        }
    }
    Ok(Shape::Ranked(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(dims: &[usize]) -> Shape {
        Shape::known(dims)
    }

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast(&s(&[2, 3]), &s(&[3])), Ok(s(&[2, 3])));
        assert_eq!(broadcast(&s(&[2, 1]), &s(&[1, 4])), Ok(s(&[2, 4])));
        assert_eq!(broadcast(&s(&[2, 3]), &s(&[4])), Err(ShapeError::Mismatch));
        assert_eq!(broadcast(&s(&[2]), &Shape::Unknown), Ok(Shape::Unknown));
    }

    #[test]
    fn matmul_checks_inner_dimensions() {
        assert_eq!(matmul(&s(&[2, 3]), &s(&[3, 5])), Ok(s(&[2, 5])));
        assert_eq!(matmul(&s(&[3]), &s(&[3, 5])), Ok(s(&[5])));
        assert_eq!(matmul(&s(&[2, 3]), &s(&[2, 3])), Err(ShapeError::Mismatch));
    }

    #[test]
    fn structural_rules() {
        assert_eq!(cat(&[s(&[2, 3]), s(&[4, 3])], 0), Ok(s(&[6, 3])));
        assert_eq!(cat(&[s(&[2, 3]), s(&[2, 4])], 0), Err(ShapeError::Mismatch));
        assert_eq!(stack(&[s(&[3]), s(&[3])], 0), Ok(s(&[2, 3])));
        assert_eq!(reshape(&s(&[2, 3]), &[Some(-1)]), Ok(s(&[6])));
        assert_eq!(reshape(&s(&[2, 3]), &[Some(4), Some(2)]), Err(ShapeError::Mismatch));
        assert_eq!(reduce(&s(&[2, 3]), Some(-1)), Ok(s(&[2])));
        assert_eq!(reduce(&s(&[2, 3]), Some(2)), Err(ShapeError::Axis { axis: 2, rank: 2 }));
        let items = [IndexShape::At(Some(0)), IndexShape::Slice { start: Some(Some(1)), end: None }];
        assert_eq!(index(&s(&[2, 3]), &items), Ok(s(&[2])));
        assert_eq!(index(&s(&[2]), &[IndexShape::Slice { start: None, end: Some(Some(-1)) }]), Ok(s(&[1])));
    }
}
