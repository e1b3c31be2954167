//! `a @ b` with NumPy `matmul` rules: a 1-D left operand is a row (its axis dropped from the
//! result), a 1-D right operand a column (likewise), operands of rank ≥ 3 are stacks of
//! matrices whose batch dimensions broadcast. Scalars are rejected (as NumPy does).
//!
//! The batching is written once, generically over the 2-D product ([`matmul_with`]), so the MPC
//! engine can reuse it with its own ring product.

use super::{broadcast_shape, Tensor};
use crate::error::{dims_text, RunError};
use ndarray::{Array2, ArrayD, ArrayView2, Axis, Ix2, IxDyn};

/// `a @ b` on `f64` tensors.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor, RunError> {
    matmul_with(a, b, |x, y| x.dot(&y))
}

/// The result shape of `a @ b` (NumPy rules), or a shape error.
pub fn matmul_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, RunError> {
    let plan = Plan::new(a, b)?;
    Ok(plan.out_shape)
}

struct Plan {
    /// `a` and `b` with 1-D operands promoted to matrices.
    a2: Vec<usize>,
    b2: Vec<usize>,
    batch: Vec<usize>,
    m: usize,
    k: usize,
    n: usize,
    out_shape: Vec<usize>,
}

impl Plan {
    fn new(a: &[usize], b: &[usize]) -> Result<Plan, RunError> {
        let rank_error = || {
            RunError::shape(format!(
                "`@` needs operands of rank ≥ 1, found shapes {} and {}",
                dims_text(a),
                dims_text(b)
            ))
        };
        let a2: Vec<usize> = match a {
            [] => return Err(rank_error()),
            [k] => vec![1, *k],
            _ => a.to_vec(),
        };
        let b2: Vec<usize> = match b {
            [] => return Err(rank_error()),
            [k] => vec![*k, 1],
            _ => b.to_vec(),
        };
        let ([a_batch @ .., m, ka], [b_batch @ .., kb, n]) = (a2.as_slice(), b2.as_slice()) else {
            return Err(rank_error());
        };
        let (m, ka, kb, n) = (*m, *ka, *kb, *n);
        if ka != kb {
            return Err(RunError::shape(format!(
                "`@` of shapes {} and {}: the inner dimensions {ka} and {kb} differ",
                dims_text(a),
                dims_text(b)
            )));
        }
        let batch = broadcast_shape(a_batch, b_batch).map_err(|_| {
            RunError::shape(format!(
                "`@` of shapes {} and {}: the batch dimensions do not broadcast",
                dims_text(a),
                dims_text(b)
            ))
        })?;
        let mut out_shape = batch.clone();
        if a.len() > 1 {
            out_shape.push(m);
        }
        if b.len() > 1 {
            out_shape.push(n);
        }
        Ok(Plan { a2, b2, batch, m, k: ka, n, out_shape })
    }
}

/// `a @ b` for any element type, given the 2-D product `mul` (called once per batch entry with
/// an `[m, k]` and a `[k, n]` matrix, returning `[m, n]`).
pub fn matmul_with<T: Clone>(
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    mul: impl Fn(ArrayView2<'_, T>, ArrayView2<'_, T>) -> Array2<T>,
) -> Result<ArrayD<T>, RunError> {
    let plan = Plan::new(a.shape(), b.shape())?;
    let a_view = a.view().into_shape_with_order(IxDyn(&plan.a2));
    let b_view = b.view().into_shape_with_order(IxDyn(&plan.b2));
    let (a_std, b_std) = (a.as_standard_layout(), b.as_standard_layout());
    let a_view = a_view.or_else(|_| a_std.view().into_shape_with_order(IxDyn(&plan.a2)));
    let b_view = b_view.or_else(|_| b_std.view().into_shape_with_order(IxDyn(&plan.b2)));
    let (Ok(a_view), Ok(b_view)) = (a_view, b_view) else {
        return Err(RunError::shape("`@`: cannot view the operands as matrices"));
    };
    let mut a_full = plan.batch.clone();
    a_full.extend([plan.m, plan.k]);
    let mut b_full = plan.batch.clone();
    b_full.extend([plan.k, plan.n]);
    let (Some(a_b), Some(b_b)) = (a_view.broadcast(IxDyn(&a_full)), b_view.broadcast(IxDyn(&b_full))) else {
        return Err(RunError::shape("`@`: the batch dimensions do not broadcast"));
    };
    let batch_len: usize = plan.batch.iter().product();
    let a3: Vec<T> = a_b.iter().cloned().collect();
    let b3: Vec<T> = b_b.iter().cloned().collect();
    let a3 = ArrayD::from_shape_vec(IxDyn(&[batch_len, plan.m, plan.k]), a3);
    let b3 = ArrayD::from_shape_vec(IxDyn(&[batch_len, plan.k, plan.n]), b3);
    let (Ok(a3), Ok(b3)) = (a3, b3) else {
        return Err(RunError::shape("`@`: operand sizes are inconsistent"));
    };
    let mut out: Vec<T> = Vec::with_capacity(batch_len * plan.m * plan.n);
    for i in 0..batch_len {
        let x = a3.index_axis(Axis(0), i).into_dimensionality::<Ix2>();
        let y = b3.index_axis(Axis(0), i).into_dimensionality::<Ix2>();
        let (Ok(x), Ok(y)) = (x, y) else {
            return Err(RunError::shape("`@`: operand ranks are inconsistent"));
        };
        let prod = mul(x, y);
        if prod.shape() != [plan.m, plan.n] {
            return Err(RunError::shape("`@`: the matrix product returned a wrong shape"));
        }
        out.extend(prod.iter().cloned());
    }
    ArrayD::from_shape_vec(IxDyn(&plan.out_shape), out).map_err(|e| RunError::shape(format!("`@`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr0, arr1, arr2, arr3};

    #[test]
    fn matrix_times_matrix_and_vectors() {
        let a = arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn();
        let b = arr2(&[[5.0, 6.0], [7.0, 8.0]]).into_dyn();
        assert_eq!(matmul(&a, &b).ok(), Some(arr2(&[[19.0, 22.0], [43.0, 50.0]]).into_dyn()));
        let v = arr1(&[1.0, 1.0]).into_dyn();
        assert_eq!(matmul(&a, &v).ok(), Some(arr1(&[3.0, 7.0]).into_dyn()));
        assert_eq!(matmul(&v, &a).ok(), Some(arr1(&[4.0, 6.0]).into_dyn()));
        assert_eq!(matmul(&v, &v).ok(), Some(arr0(2.0).into_dyn()));
    }

    #[test]
    fn batched_and_broadcast_batches() {
        let a = arr3(&[[[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 2.0]]]).into_dyn();
        let b = arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn();
        let want = arr3(&[[[1.0, 2.0], [3.0, 4.0]], [[2.0, 4.0], [6.0, 8.0]]]).into_dyn();
        assert_eq!(matmul(&a, &b).ok(), Some(want));
        assert_eq!(matmul_shape(&[5, 1, 2, 3], &[4, 3, 7]).ok(), Some(vec![5, 4, 2, 7]));
        assert_eq!(matmul_shape(&[3], &[2, 3, 4]).ok(), Some(vec![2, 4]));
    }

    #[test]
    fn transposed_operands_and_errors() {
        let a = arr2(&[[1.0, 2.0, 3.0]]).into_dyn();
        let at = a.t().to_owned();
        assert_eq!(matmul(&a, &at).ok(), Some(arr2(&[[14.0]]).into_dyn()));
        let err = matmul(&a, &a).err().map(|e| e.message);
        assert_eq!(err.as_deref(), Some("`@` of shapes [1, 3] and [1, 3]: the inner dimensions 3 and 1 differ"));
        assert!(matmul(&arr0(1.0).into_dyn(), &a).is_err());
        assert!(matmul_shape(&[2, 2, 3], &[3, 3, 1]).is_err());
    }

    #[test]
    fn generic_over_u64() {
        let a = arr2(&[[1u64, 2], [3, 4]]).into_dyn();
        let got = matmul_with(&a, &a, |x, y| x.dot(&y)).ok();
        assert_eq!(got, Some(arr2(&[[7u64, 10], [15, 22]]).into_dyn()));
    }
}
