//! Shapes known up to the batch size: a dimension is a number or `k × batch` (the model's
//! dynamic dimension, `?` in comments, `-1` in a `reshape`), with the rules the translation
//! needs (broadcasting, reshape targets, matrix products).

use std::fmt;

/// One dimension: known, or `k` times the batch size (`Batch(1)`: the batch itself). In a shape
/// list being built by `Concat` (a `Reshape` target), `Batch(0)` stands for a `-1` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dim {
    N(usize),
    Batch(usize),
}

pub(crate) type Shape = Vec<Dim>;

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::N(n) => write!(f, "{n}"),
            Dim::Batch(1) => write!(f, "?"),
            Dim::Batch(k) => write!(f, "{k}·?"),
        }
    }
}

/// `[?, 784]`.
pub(crate) fn text(shape: &[Dim]) -> String {
    let dims: Vec<String> = shape.iter().map(Dim::to_string).collect();
    format!("[{}]", dims.join(", "))
}

pub(crate) fn known(dims: &[usize]) -> Shape {
    dims.iter().map(|&d| Dim::N(d)).collect()
}

/// The size as (known factor, whether the batch is a factor).
fn size(shape: &[Dim]) -> (usize, bool) {
    shape.iter().fold((1, false), |(k, b), d| match d {
        Dim::N(n) => (k.saturating_mul(*n), b),
        Dim::Batch(m) => (k.saturating_mul(*m), true),
    })
}

/// NumPy broadcasting of two shapes; `None` if they do not broadcast.
pub(crate) fn broadcast(a: &[Dim], b: &[Dim]) -> Option<Shape> {
    let rank = a.len().max(b.len());
    let at = |s: &[Dim], i: usize| -> Dim {
        let pad = rank - s.len();
        if i < pad {
            Dim::N(1)
        } else {
            s.get(i - pad).copied().unwrap_or(Dim::N(1))
        }
    };
    (0..rank)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y => Some(x),
            (Dim::N(1), y) => Some(y),
            (x, Dim::N(1)) => Some(x),
            _ => None,
        })
        .collect()
}

/// The shape of `a @ b` (NumPy's `matmul` for ranks 1 and 2, and batched for more).
pub(crate) fn matmul(a: &[Dim], b: &[Dim]) -> Option<Shape> {
    match (a, b) {
        ([k1], [k2]) if k1 == k2 => Some(Vec::new()),
        ([k1], [rest @ .., k2, n]) if k1 == k2 => Some(rest.iter().copied().chain([*n]).collect()),
        ([rest @ .., m, k1], [k2]) if k1 == k2 => Some(rest.iter().copied().chain([*m]).collect()),
        ([ra @ .., m, k1], [rb @ .., k2, n]) if k1 == k2 => {
            let mut out = broadcast(ra, rb)?;
            out.extend([*m, *n]);
            Some(out)
        }
        _ => None,
    }
}

/// One entry of an ONNX `Reshape` target: a number (0: copy the input's, −1: infer) or a
/// dimension read from a shape (`Shape` → `Gather` → `Concat`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Target {
    Value(i64),
    Dim(Dim),
}

/// The output shape of a `Reshape` of `input` to `target`, or why not.
pub(crate) fn reshape(input: &[Dim], target: &[Target]) -> Result<Shape, String> {
    let mut out: Vec<Option<Dim>> = Vec::new();
    for (i, t) in target.iter().enumerate() {
        out.push(match *t {
            Target::Dim(d) => Some(d),
            Target::Value(0) => Some(*input.get(i).ok_or("a 0 in the target past the input's rank")?),
            Target::Value(-1) => None,
            Target::Value(v) => Some(Dim::N(usize::try_from(v).map_err(|_| format!("target dimension {v}"))?)),
        });
    }
    let unknown = out.iter().filter(|d| d.is_none()).count();
    if unknown > 1 {
        return Err("more than one -1 in the target".into());
    }
    let (in_k, in_b) = size(input);
    let rest: Shape = out.iter().flatten().copied().collect();
    let (k, b) = size(&rest);
    let fill = match (in_b, b) {
        _ if k == 0 || in_k % k != 0 => None,
        (true, false) => Some(Dim::Batch(in_k / k)),
        (false, false) | (true, true) => Some(Dim::N(in_k / k)),
        (false, true) => None,
    };
    let shape: Shape = out
        .into_iter()
        .map(|d| d.or(fill))
        .collect::<Option<_>>()
        .ok_or_else(|| format!("cannot reshape {} to {} entries", text(input), target.len()))?;
    let (sk, sb) = size(&shape);
    if (sk, sb) != (in_k, in_b) {
        return Err(format!("cannot reshape {} to {}", text(input), text(&shape)));
    }
    Ok(shape)
}

/// The `reshape` argument for mpcc: numbers, with the one batch-dependent entry as −1.
pub(crate) fn mpc_list(shape: &[Dim]) -> String {
    let dims: Vec<String> = shape
        .iter()
        .map(|d| match d {
            Dim::N(n) => n.to_string(),
            Dim::Batch(_) => "-1".to_string(),
        })
        .collect();
    format!("[{}]", dims.join(", "))
}

/// An axis attribute (possibly negative) as an index into a rank.
pub(crate) fn axis(axis: i64, rank: usize) -> Option<usize> {
    let r = i64::try_from(rank).ok()?;
    let a = if axis < 0 { axis + r } else { axis };
    (0..r).contains(&a).then_some(a as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Dim::{Batch, N};

    #[test]
    fn reshape_targets_keep_the_batch() {
        let x = [Batch(1), N(16), N(4), N(4)];
        assert_eq!(reshape(&x, &[Target::Dim(Batch(1)), Target::Value(-1)]), Ok(vec![Batch(1), N(256)]));
        assert_eq!(reshape(&x, &[Target::Value(0), Target::Value(-1)]), Ok(vec![Batch(1), N(256)]));
        assert_eq!(reshape(&x, &[Target::Value(-1)]), Ok(vec![Batch(256)]));
        assert_eq!(reshape(&x, &[Target::Value(-1), Target::Value(16)]), Ok(vec![Batch(16), N(16)]));
        assert!(reshape(&x, &[Target::Value(3), Target::Value(-1)]).is_err());
        assert_eq!(mpc_list(&[Batch(16), N(16)]), "[-1, 16]");
    }

    #[test]
    fn broadcasting_and_matmul() {
        assert_eq!(broadcast(&[Batch(1), N(10)], &[N(10)]), Some(vec![Batch(1), N(10)]));
        assert_eq!(broadcast(&[N(3)], &[N(4)]), None);
        assert_eq!(matmul(&[Batch(1), N(784)], &[N(784), N(128)]), Some(vec![Batch(1), N(128)]));
        assert_eq!(matmul(&[Batch(1), N(784)], &[N(78), N(128)]), None);
    }
}
