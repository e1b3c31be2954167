//! Structural tensor ops, generic over the element type (`ArrayD<T>`, `T: Clone`) so the MPC
//! engine reuses them on `u64` shares: reshape (one `-1`), transpose (reverse the axes),
//! flatten, cat, stack, index/slice and broadcast_to.
//!
//! Index semantics (as Python/NumPy): an integer index may be negative (counted from the end)
//! and removes its axis; out of range is a typed error. A slice `start:end` has open or negative
//! bounds and, as in Python, bounds past either end are clamped (`x[:100]` of 5 entries is all 5,
//! `x[3:1]` is empty). Axes not named are kept whole. More items than axes is an error.
//! These functions take resolved integer indices; reading them from IR values is the executor's job.

use super::resolve_axis;
use crate::error::{dims_text, RunError};
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Slice};

/// One resolved item of an indexing expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexSpec {
    At(i64),
    Slice { start: Option<i64>, end: Option<i64> },
}

fn collect<T: Clone>(x: &ArrayD<T>, dims: &[usize]) -> Result<ArrayD<T>, RunError> {
    let data: Vec<T> = x.iter().cloned().collect();
    ArrayD::from_shape_vec(IxDyn(dims), data).map_err(|e| RunError::shape(e.to_string()))
}

/// `reshape(x, spec)`: `spec` may hold one `-1`, inferred from the element count.
pub fn reshape<T: Clone>(x: &ArrayD<T>, spec: &[i64]) -> Result<ArrayD<T>, RunError> {
    let bad = |why: &str| {
        RunError::shape(format!("cannot reshape a tensor of shape {} to {:?}: {why}", dims_text(x.shape()), spec))
    };
    let mut dims = Vec::with_capacity(spec.len());
    let mut infer: Option<usize> = None;
    let mut known: usize = 1;
    for (i, &d) in spec.iter().enumerate() {
        if d == -1 {
            if infer.is_some() {
                return Err(bad("more than one -1"));
            }
            infer = Some(i);
            dims.push(0);
        } else if d < 0 {
            return Err(bad("a negative dimension"));
        } else {
            let d = usize::try_from(d).map_err(|_| bad("a dimension too large"))?;
            known = known.checked_mul(d).ok_or_else(|| bad("too many elements"))?;
            dims.push(d);
        }
    }
    if let Some(i) = infer {
        if known == 0 || x.len() / known * known != x.len() {
            return Err(bad("the element count does not divide"));
        }
        if let Some(slot) = dims.get_mut(i) {
            *slot = x.len() / known;
        }
    } else if known != x.len() {
        return Err(bad(&format!("{} elements cannot become {known}", x.len())));
    }
    collect(x, &dims)
}

/// `transpose(x)`: the axes reversed.
pub fn transpose<T: Clone>(x: &ArrayD<T>) -> ArrayD<T> {
    x.t().as_standard_layout().into_owned()
}

/// `flatten(x)`: to 1-D, row-major.
pub fn flatten<T: Clone>(x: &ArrayD<T>) -> ArrayD<T> {
    let data: Vec<T> = x.iter().cloned().collect();
    ndarray::Array1::from(data).into_dyn()
}

/// `flatten(x, start)`: the axes `start..` merged into one (`start` may be negative, from the
/// end; a scalar flattens to `[1]`).
pub fn flatten_from<T: Clone>(x: &ArrayD<T>, start: i64) -> Result<ArrayD<T>, RunError> {
    let rank = x.ndim();
    let s = if start < 0 { start + rank as i64 } else { start };
    let Some(s) = usize::try_from(s).ok().filter(|s| *s < rank || *s == 0) else {
        return Err(RunError::index(format!("`flatten` from axis {start} of a tensor of rank {rank}")));
    };
    let mut dims: Vec<usize> = x.shape().iter().take(s).copied().collect();
    dims.push(x.shape().iter().skip(s).product());
    collect(x, &dims)
}

/// `cat(xs, axis)`: concatenation along an existing axis; the other dimensions must agree.
pub fn cat<T: Clone>(xs: &[&ArrayD<T>], axis: i64) -> Result<ArrayD<T>, RunError> {
    let Some(first) = xs.first() else {
        return Err(RunError::shape("`cat` of an empty list"));
    };
    let ax = resolve_axis(axis, first.ndim())?;
    for x in xs {
        let same_rank = x.ndim() == first.ndim();
        let agree = same_rank && x.shape().iter().zip(first.shape()).enumerate().all(|(i, (a, b))| i == ax || a == b);
        if !agree {
            return Err(RunError::shape(format!(
                "`cat` along axis {axis}: shapes {} and {} differ off that axis",
                dims_text(first.shape()),
                dims_text(x.shape())
            )));
        }
    }
    let views: Vec<ArrayViewD<'_, T>> = xs.iter().map(|x| x.view()).collect();
    ndarray::concatenate(Axis(ax), &views).map_err(|e| RunError::shape(format!("`cat`: {e}")))
}

/// `stack(xs, axis)`: stacking equal shapes along a new axis (`-1` appends it last).
pub fn stack<T: Clone>(xs: &[&ArrayD<T>], axis: i64) -> Result<ArrayD<T>, RunError> {
    let Some(first) = xs.first() else {
        return Err(RunError::shape("`stack` of an empty list"));
    };
    let ax = resolve_axis(axis, first.ndim() + 1)?;
    if let Some(x) = xs.iter().find(|x| x.shape() != first.shape()) {
        return Err(RunError::shape(format!(
            "`stack` needs equal shapes, found {} and {}",
            dims_text(first.shape()),
            dims_text(x.shape())
        )));
    }
    let views: Vec<ArrayViewD<'_, T>> = xs.iter().map(|x| x.view()).collect();
    ndarray::stack(Axis(ax), &views).map_err(|e| RunError::shape(format!("`stack`: {e}")))
}

/// Resolves a Python slice bound against a length `n`: negative counts from the end, clamped.
fn clamp_bound(bound: i64, n: usize) -> usize {
    let n_i = n as i64;
    let b = if bound < 0 { bound + n_i } else { bound };
    b.clamp(0, n_i) as usize
}

/// `x[items…]`, as described in the module doc.
pub fn index<T: Clone>(x: &ArrayD<T>, items: &[IndexSpec]) -> Result<ArrayD<T>, RunError> {
    if items.len() > x.ndim() {
        return Err(RunError::index(format!(
            "{} indices for a tensor of rank {} (shape {})",
            items.len(),
            x.ndim(),
            dims_text(x.shape())
        )));
    }
    let mut view = x.view();
    let mut ax = 0usize;
    for (pos, item) in items.iter().enumerate() {
        let n = view.len_of(Axis(ax));
        match *item {
            IndexSpec::At(i) => {
                let n_i = n as i64;
                let resolved = if i < 0 { i + n_i } else { i };
                if resolved < 0 || resolved >= n_i {
                    return Err(RunError::index(format!(
                        "index {i} is out of range for axis {pos} of length {n} (shape {})",
                        dims_text(x.shape())
                    )));
                }
                view = view.index_axis_move(Axis(ax), resolved as usize);
            }
            IndexSpec::Slice { start, end } => {
                let s = start.map_or(0, |b| clamp_bound(b, n));
                let e = end.map_or(n, |b| clamp_bound(b, n)).max(s);
                view.slice_axis_inplace(Axis(ax), Slice::from(s..e));
                ax += 1;
            }
        }
    }
    Ok(view.as_standard_layout().into_owned())
}

/// `x` broadcast to `shape` (NumPy rules), as a new tensor.
pub fn broadcast_to<T: Clone>(x: &ArrayD<T>, shape: &[usize]) -> Result<ArrayD<T>, RunError> {
    match x.broadcast(IxDyn(shape)) {
        Some(view) => Ok(view.as_standard_layout().into_owned()),
        None => {
            Err(RunError::shape(format!("cannot broadcast shape {} to {}", dims_text(x.shape()), dims_text(shape))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr0, arr1, arr2, arr3};

    fn m() -> ArrayD<u64> {
        arr2(&[[1u64, 2, 3], [4, 5, 6]]).into_dyn()
    }

    #[test]
    fn reshape_transpose_flatten_on_u64() {
        let x = m();
        assert_eq!(reshape(&x, &[3, -1]).ok(), Some(arr2(&[[1u64, 2], [3, 4], [5, 6]]).into_dyn()));
        assert_eq!(reshape(&x, &[6]).ok(), Some(arr1(&[1u64, 2, 3, 4, 5, 6]).into_dyn()));
        assert!(reshape(&x, &[4, -1]).is_err());
        assert!(reshape(&x, &[-1, -1]).is_err());
        assert!(reshape(&x, &[5]).is_err());
        let t = transpose(&x);
        assert_eq!(t, arr2(&[[1u64, 4], [2, 5], [3, 6]]).into_dyn());
        assert_eq!(flatten(&t), arr1(&[1u64, 4, 2, 5, 3, 6]).into_dyn());
        assert_eq!(reshape(&arr0(7u64).into_dyn(), &[1, 1]).ok(), Some(arr2(&[[7u64]]).into_dyn()));
    }

    #[test]
    fn cat_and_stack() {
        let x = m();
        let got = cat(&[&x, &x], -1).ok();
        assert_eq!(got.map(|g| g.shape().to_vec()), Some(vec![2, 6]));
        let rows = cat(&[&x, &arr2(&[[7u64, 8, 9]]).into_dyn()], 0).ok();
        assert_eq!(rows, Some(arr2(&[[1u64, 2, 3], [4, 5, 6], [7, 8, 9]]).into_dyn()));
        assert!(cat(&[&x, &arr2(&[[7u64, 8]]).into_dyn()], 0).is_err());
        let a = arr1(&[1.0, 2.0]).into_dyn();
        let b = arr1(&[3.0, 4.0]).into_dyn();
        assert_eq!(stack(&[&a, &b], 0).ok(), Some(arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn()));
        assert_eq!(stack(&[&a, &b], -1).ok(), Some(arr2(&[[1.0, 3.0], [2.0, 4.0]]).into_dyn()));
        assert!(stack(&[&a, &arr1(&[1.0]).into_dyn()], 0).is_err());
        assert!(stack::<f64>(&[], 0).is_err());
    }

    #[test]
    fn index_and_slice_like_python() {
        let x = m();
        let at = |i| IndexSpec::At(i);
        let sl = |s, e| IndexSpec::Slice { start: s, end: e };
        assert_eq!(index(&x, &[at(1)]).ok(), Some(arr1(&[4u64, 5, 6]).into_dyn()));
        assert_eq!(index(&x, &[at(-1), at(-3)]).ok(), Some(arr0(4u64).into_dyn()));
        assert_eq!(index(&x, &[sl(None, None), at(0)]).ok(), Some(arr1(&[1u64, 4]).into_dyn()));
        assert_eq!(index(&x, &[sl(None, None), sl(Some(1), None)]).ok(), Some(arr2(&[[2u64, 3], [5, 6]]).into_dyn()));
        assert_eq!(index(&x, &[sl(None, Some(-1))]).ok(), Some(arr2(&[[1u64, 2, 3]]).into_dyn()));
        assert_eq!(index(&x, &[sl(Some(0), Some(100))]).ok().map(|t| t.shape().to_vec()), Some(vec![2, 3]));
        assert_eq!(index(&x, &[sl(Some(2), Some(1))]).ok().map(|t| t.shape().to_vec()), Some(vec![0, 3]));
        let err = index(&x, &[at(2)]).err().map(|e| e.message);
        assert_eq!(err.as_deref(), Some("index 2 is out of range for axis 0 of length 2 (shape [2, 3])"));
        assert!(index(&x, &[at(0), at(-4)]).is_err());
        assert!(index(&x, &[at(0), at(0), at(0)]).is_err());
    }

    #[test]
    fn broadcast_to_numpy_rules() {
        let x = arr1(&[1u64, 2]).into_dyn();
        assert_eq!(broadcast_to(&x, &[2, 2]).ok(), Some(arr2(&[[1u64, 2], [1, 2]]).into_dyn()));
        assert!(broadcast_to(&x, &[3]).is_err());
        let y = arr3(&[[[1.0]]]).into_dyn();
        assert_eq!(broadcast_to(&y, &[1, 2, 2]).ok().map(|t| t.len()), Some(4));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        #[test]
        fn reshape_transpose_and_slices_agree_with_indices(rows in 1usize..5, cols in 1usize..5, lo in -6i64..6, hi in -6i64..6) {
            let x = ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |i| (i[0] * 10 + i[1]) as u64);
            let t = transpose(&x);
            proptest::prop_assert_eq!(transpose(&t), x.clone());
            let back = reshape(&flatten(&x), &[rows as i64, -1]).ok();
            proptest::prop_assert_eq!(back, Some(x.clone()));
            let s = index(&x, &[IndexSpec::Slice { start: Some(lo), end: Some(hi) }]).ok();
            let n = rows as i64;
            let norm = |b: i64| (if b < 0 { b + n } else { b }).clamp(0, n) as usize;
            let (a, z) = (norm(lo), norm(hi).max(norm(lo)));
            let want: Vec<u64> = (a..z).flat_map(|r| (0..cols).map(move |c| (r * 10 + c) as u64)).collect();
            let got: Option<Vec<u64>> = s.map(|s| s.iter().copied().collect());
            proptest::prop_assert_eq!(got, Some(want));
        }
    }
}
