//! Reductions (`sum`, `mean`, `max`, `min` over one axis or everything) and index-finding
//! reductions (`argmax`, `argmin`, as indices or one-hot), with NumPy semantics, and
//! [`sum_to`], the adjoint of broadcasting (generic over the element type).
//!
//! An axis may be negative. Over everything, the result is a scalar. `max`/`min`/`argmax`/
//! `argmin`/`mean` of an empty tensor (or along an empty axis) is a typed error (NumPy raises or
//! gives NaN); `sum` of nothing is 0. NaN propagates through `max`/`min`.

use super::{resolve_axis, Tensor};
use crate::error::{dims_text, RunError};
use mpcc_ir::{ArgOp, ReduceOp};
use ndarray::{ArrayD, ArrayView1, ArrayViewD, Axis, IxDyn, Zip};

fn op_name(op: ReduceOp) -> &'static str {
    match op {
        ReduceOp::Sum => "sum",
        ReduceOp::Mean => "mean",
        ReduceOp::Max => "max",
        ReduceOp::Min => "min",
    }
}

fn reduce_lane<'a>(op: ReduceOp, lane: impl Iterator<Item = &'a f64>) -> f64 {
    let mut n = 0usize;
    let mut acc = match op {
        ReduceOp::Sum | ReduceOp::Mean => 0.0,
        ReduceOp::Max => f64::NEG_INFINITY,
        ReduceOp::Min => f64::INFINITY,
    };
    for &v in lane {
        n += 1;
        acc = match op {
            ReduceOp::Sum | ReduceOp::Mean => acc + v,
            _ if v.is_nan() => return f64::NAN,
            ReduceOp::Max => acc.max(v),
            ReduceOp::Min => acc.min(v),
        };
    }
    match op {
        ReduceOp::Mean => acc / n as f64,
        _ => acc,
    }
}

/// `sum`/`mean`/`max`/`min` over `axis` (removed from the shape) or over everything (a scalar).
pub fn reduce(op: ReduceOp, x: &Tensor, axis: Option<i64>) -> Result<Tensor, RunError> {
    let needs_elements = op != ReduceOp::Sum;
    match axis {
        None => {
            if needs_elements && x.is_empty() {
                return Err(RunError::shape(format!("`{}` of an empty tensor", op_name(op))));
            }
            Ok(Tensor::from_elem(IxDyn(&[]), reduce_lane(op, x.iter())))
        }
        Some(axis) => {
            let ax = resolve_axis(axis, x.ndim())?;
            if needs_elements && x.len_of(Axis(ax)) == 0 {
                return Err(RunError::shape(format!("`{}` along axis {axis}, which is empty", op_name(op))));
            }
            Ok(x.map_axis(Axis(ax), |lane| reduce_lane(op, lane.iter())))
        }
    }
}

/// The position of the first maximum (or minimum) of a lane; NaN counts as the extreme.
fn arg_lane(op: ArgOp, lane: ArrayView1<'_, f64>) -> usize {
    let mut best = 0usize;
    let mut best_v = f64::NAN;
    for (i, &v) in lane.iter().enumerate() {
        if i == 0 {
            best_v = v;
            continue;
        }
        if best_v.is_nan() {
            break;
        }
        let better = match op {
            ArgOp::ArgMax => v > best_v || v.is_nan(),
            ArgOp::ArgMin => v < best_v || v.is_nan(),
        };
        if better {
            best = i;
            best_v = v;
        }
    }
    best
}

/// `argmax`/`argmin` over `axis` or over the flattened tensor; indices as `f64`, or, with
/// `one_hot`, a 0/1 tensor of `x`'s shape with one 1 per lane (everything: one 1 in total)
/// at the first extreme.
pub fn arg(op: ArgOp, x: &Tensor, axis: Option<i64>, one_hot: bool) -> Result<Tensor, RunError> {
    let name = match op {
        ArgOp::ArgMax => "argmax",
        ArgOp::ArgMin => "argmin",
    };
    match axis {
        None => {
            if x.is_empty() {
                return Err(RunError::shape(format!("`{name}` of an empty tensor")));
            }
            let flat: Vec<f64> = x.iter().copied().collect();
            let best = arg_lane(op, ArrayView1::from(&flat[..]));
            if one_hot {
                let mut out = Tensor::zeros(x.raw_dim());
                if let Some(slot) = out.iter_mut().nth(best) {
                    *slot = 1.0;
                }
                Ok(out)
            } else {
                Ok(Tensor::from_elem(IxDyn(&[]), best as f64))
            }
        }
        Some(axis) => {
            let ax = resolve_axis(axis, x.ndim())?;
            if x.len_of(Axis(ax)) == 0 {
                return Err(RunError::shape(format!("`{name}` along axis {axis}, which is empty")));
            }
            if one_hot {
                let mut out = Tensor::zeros(x.raw_dim());
                Zip::from(out.lanes_mut(Axis(ax))).and(x.lanes(Axis(ax))).for_each(|mut o, l| {
                    let best = arg_lane(op, l);
                    if let Some(slot) = o.get_mut(best) {
                        *slot = 1.0;
                    }
                });
                Ok(out)
            } else {
                Ok(x.map_axis(Axis(ax), |lane| arg_lane(op, lane) as f64))
            }
        }
    }
}

/// `x` summed to the shape `to` (the IR's `SumTo`, the adjoint of broadcasting `to` up to `x`'s
/// shape): the axes `x` has in front of `to`'s rank are summed away, and so are the aligned axes
/// (counted from the end) where `to` has 1 and `x` does not. The other aligned dimensions must
/// be equal, else it is a typed error. Generic over the element type, with `zero` and `add`, so
/// the MPC engine sums `u64` shares (wrapping) with the same code.
pub fn sum_to<T: Clone>(
    x: &ArrayD<T>,
    to: &[usize],
    zero: T,
    add: impl Fn(&T, &T) -> T + Copy,
) -> Result<ArrayD<T>, RunError> {
    let dims = x.shape();
    let bad = || {
        RunError::shape(format!(
            "cannot sum a tensor of shape {} to shape {}: the shapes do not broadcast",
            dims_text(dims),
            dims_text(to)
        ))
    };
    let lead = dims.len().checked_sub(to.len()).ok_or_else(bad)?;
    let mut summed = Vec::new();
    for (i, (&d, &t)) in dims.iter().skip(lead).zip(to).enumerate() {
        match (d, t) {
            _ if d == t => {}
            (_, 1) => summed.push(lead + i),
            _ => return Err(bad()),
        }
    }
    let mut cur = x.clone();
    for &ax in summed.iter().rev() {
        cur = cur.fold_axis(Axis(ax), zero.clone(), add).insert_axis(Axis(ax));
    }
    for _ in 0..lead {
        cur = cur.fold_axis(Axis(0), zero.clone(), add);
    }
    Ok(cur)
}

/// The maximum over `axis`, keeping the axis with length 1 (for stable softmax).
pub fn max_keepdims(x: ArrayViewD<'_, f64>, ax: usize) -> Tensor {
    x.map_axis(Axis(ax), |lane| reduce_lane(ReduceOp::Max, lane.iter())).insert_axis(Axis(ax))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr0, arr1, arr2};

    fn m() -> Tensor {
        arr2(&[[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]]).into_dyn()
    }

    #[test]
    fn reductions_over_everything_and_axes() {
        let x = m();
        assert_eq!(reduce(ReduceOp::Sum, &x, None).ok(), Some(arr0(21.0).into_dyn()));
        assert_eq!(reduce(ReduceOp::Mean, &x, None).ok(), Some(arr0(3.5).into_dyn()));
        assert_eq!(reduce(ReduceOp::Sum, &x, Some(0)).ok(), Some(arr1(&[5.0, 7.0, 9.0]).into_dyn()));
        assert_eq!(reduce(ReduceOp::Mean, &x, Some(-1)).ok(), Some(arr1(&[3.0, 4.0]).into_dyn()));
        assert_eq!(reduce(ReduceOp::Max, &x, Some(1)).ok(), Some(arr1(&[5.0, 6.0]).into_dyn()));
        assert_eq!(reduce(ReduceOp::Min, &x, Some(-2)).ok(), Some(arr1(&[1.0, 2.0, 3.0]).into_dyn()));
        assert!(reduce(ReduceOp::Sum, &x, Some(2)).is_err());
    }

    #[test]
    fn empty_and_nan_cases() {
        let e = Tensor::zeros(IxDyn(&[0]));
        assert_eq!(reduce(ReduceOp::Sum, &e, None).ok(), Some(arr0(0.0).into_dyn()));
        assert!(reduce(ReduceOp::Max, &e, None).is_err());
        assert!(reduce(ReduceOp::Mean, &e, Some(0)).is_err());
        let n = arr1(&[1.0, f64::NAN, 3.0]).into_dyn();
        let got = reduce(ReduceOp::Max, &n, None).ok().and_then(|t| t.iter().next().copied());
        assert!(got.is_some_and(f64::is_nan));
    }

    #[test]
    fn sum_to_undoes_broadcasting() {
        let add = |a: &f64, b: &f64| a + b;
        let x = m();
        assert_eq!(sum_to(&x, &[3], 0.0, add).ok(), Some(arr1(&[5.0, 7.0, 9.0]).into_dyn()));
        assert_eq!(sum_to(&x, &[2, 1], 0.0, add).ok(), Some(arr2(&[[9.0], [12.0]]).into_dyn()));
        assert_eq!(sum_to(&x, &[1, 3], 0.0, add).ok(), Some(arr2(&[[5.0, 7.0, 9.0]]).into_dyn()));
        assert_eq!(sum_to(&x, &[1], 0.0, add).ok(), Some(arr1(&[21.0]).into_dyn()));
        assert_eq!(sum_to(&x, &[], 0.0, add).ok(), Some(arr0(21.0).into_dyn()));
        assert_eq!(sum_to(&x, &[2, 3], 0.0, add).ok(), Some(x.clone()));
        // On wrapping u64 shares.
        let s = ndarray::arr2(&[[u64::MAX, 1], [2, 3]]).into_dyn();
        let got = sum_to(&s, &[2], 0u64, |a: &u64, b: &u64| a.wrapping_add(*b)).ok();
        assert_eq!(got, Some(ndarray::arr1(&[1u64, 4]).into_dyn()));
        // Shapes that do not broadcast.
        let err = sum_to(&x, &[2], 0.0, add).err().map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some("cannot sum a tensor of shape [2, 3] to shape [2]: the shapes do not broadcast")
        );
        assert!(sum_to(&x, &[1, 2, 3], 0.0, add).is_err());
        assert!(sum_to(&arr1(&[1.0, 2.0]).into_dyn(), &[3, 1], 0.0, add).is_err());
    }

    #[test]
    fn argmax_takes_the_first_extreme() {
        let x = arr2(&[[1.0, 7.0, 7.0], [9.0, 2.0, 9.0]]).into_dyn();
        assert_eq!(arg(ArgOp::ArgMax, &x, None, false).ok(), Some(arr0(3.0).into_dyn()));
        assert_eq!(arg(ArgOp::ArgMax, &x, Some(1), false).ok(), Some(arr1(&[1.0, 0.0]).into_dyn()));
        assert_eq!(arg(ArgOp::ArgMin, &x, Some(-2), false).ok(), Some(arr1(&[0.0, 1.0, 0.0]).into_dyn()));
        let oh = arg(ArgOp::ArgMax, &x, Some(-1), true).ok();
        assert_eq!(oh, Some(arr2(&[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]).into_dyn()));
        let all = arg(ArgOp::ArgMin, &x, None, true).ok();
        assert_eq!(all, Some(arr2(&[[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]).into_dyn()));
        assert!(arg(ArgOp::ArgMax, &Tensor::zeros(IxDyn(&[2, 0])), Some(1), false).is_err());
    }
}
