//! NumPy broadcasting, written once for every element type: the ring tensors of shares
//! (`ring::zip_with`) and the `f64` tensors of the plaintext engine (`plain::elementwise`) both
//! call it and only wrap its `None` in their own error types.

use ndarray::{ArrayD, IxDyn, Zip};

/// The NumPy broadcast of two shapes (dimensions right-aligned; 1 stretches), or `None`.
pub fn shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    // The `k`-th dimension counted from the end (0 = last), 1 past the rank.
    let from_end = |dims: &[usize], k: usize| dims.iter().rev().nth(k).copied().unwrap_or(1);
    (0..rank)
        .rev()
        .map(|k| match (from_end(a, k), from_end(b, k)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// `f` applied elementwise over the broadcast of `a` and `b` (a new standard-layout tensor), or
/// `None` if the shapes do not broadcast.
pub fn zip_with<A: Copy, B: Copy, C>(a: &ArrayD<A>, b: &ArrayD<B>, f: impl Fn(A, B) -> C) -> Option<ArrayD<C>> {
    if a.shape() == b.shape() {
        return Some(Zip::from(a).and(b).map_collect(|&x, &y| f(x, y)));
    }
    let shape = shape(a.shape(), b.shape())?;
    let av = a.broadcast(IxDyn(&shape))?;
    let bv = b.broadcast(IxDyn(&shape))?;
    Some(Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_broadcast_as_numpy_does() {
        assert_eq!(shape(&[2, 3], &[3]), Some(vec![2, 3]));
        assert_eq!(shape(&[4, 1, 5], &[2, 1]), Some(vec![4, 2, 5]));
        assert_eq!(shape(&[], &[2, 2]), Some(vec![2, 2]));
        assert_eq!(shape(&[2, 3], &[2]), None);
    }

    #[test]
    fn one_zip_for_rings_and_reals() {
        let ring = ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![u64::MAX, 1]).unwrap();
        let row = ArrayD::from_shape_vec(IxDyn(&[3]), vec![1u64, 2, 3]).unwrap();
        let sum = zip_with(&ring, &row, u64::wrapping_add).unwrap();
        assert_eq!(sum.shape(), &[2, 3]);
        assert_eq!(sum.iter().copied().collect::<Vec<_>>(), vec![0, 1, 2, 2, 3, 4]);
        let real = ArrayD::from_shape_vec(IxDyn(&[2]), vec![1.5, -1.0]).unwrap();
        assert_eq!(
            zip_with(&real, &real, |x: f64, y: f64| x * y).unwrap().into_raw_vec_and_offset().0,
            vec![2.25, 1.0]
        );
        assert!(zip_with(&real, &row, |x: f64, y: u64| x + y as f64).is_none());
    }
}
