//! Neural-network helpers: numerically stable `softmax`/`log_softmax` along an axis,
//! `cross_entropy(logits, one-hot targets)` and `one_hot(labels, classes)`.

use super::{as_int, reduce::max_keepdims, resolve_axis, Tensor};
use crate::error::{dims_text, RunError};
use ndarray::{Axis, IxDyn};

/// `x - max(x, axis)` (keeping the axis), the shift that keeps `exp` from overflowing.
fn shifted(x: &Tensor, ax: usize) -> Tensor {
    let max = max_keepdims(x.view(), ax);
    x - &max
}

fn check_axis(x: &Tensor, axis: i64, what: &str) -> Result<usize, RunError> {
    let ax = resolve_axis(axis, x.ndim())?;
    if x.len_of(Axis(ax)) == 0 {
        return Err(RunError::shape(format!("`{what}` along axis {axis}, which is empty")));
    }
    Ok(ax)
}

/// `softmax(x, axis)`: `exp(x - max) / sum(exp(x - max))` along `axis`.
pub fn softmax(x: &Tensor, axis: i64) -> Result<Tensor, RunError> {
    let ax = check_axis(x, axis, "softmax")?;
    let e = shifted(x, ax).mapv(f64::exp);
    let sum = e.sum_axis(Axis(ax)).insert_axis(Axis(ax));
    Ok(&e / &sum)
}

/// `log_softmax(x, axis)`: `(x - max) - ln(sum(exp(x - max)))` along `axis`.
pub fn log_softmax(x: &Tensor, axis: i64) -> Result<Tensor, RunError> {
    let ax = check_axis(x, axis, "log_softmax")?;
    let s = shifted(x, ax);
    let lse = s.mapv(f64::exp).sum_axis(Axis(ax)).mapv(f64::ln).insert_axis(Axis(ax));
    Ok(&s - &lse)
}

/// `cross_entropy(logits, targets)`: the mean over rows of
/// `-sum(targets * log_softmax(logits, -1), -1)`; `targets` has the shape of `logits`.
/// A 1-D `logits` is one row. The result is a scalar.
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor, RunError> {
    if logits.ndim() == 0 || logits.shape() != targets.shape() {
        return Err(RunError::shape(format!(
            "`cross_entropy` needs logits of rank ≥ 1 and one-hot targets of the same shape, found {} and {}",
            dims_text(logits.shape()),
            dims_text(targets.shape())
        )));
    }
    let lsm = log_softmax(logits, -1)?;
    let last = Axis(logits.ndim() - 1);
    let per_row = (targets * &lsm).sum_axis(last).mapv(|v| -v);
    let rows = per_row.len().max(1) as f64;
    Ok(Tensor::from_elem(IxDyn(&[]), per_row.sum() / rows))
}

/// `one_hot(labels, classes)`: labels of shape S (integers in `0..classes`) give S + [classes].
pub fn one_hot(labels: &Tensor, classes: i64) -> Result<Tensor, RunError> {
    let classes = usize::try_from(classes)
        .map_err(|_| RunError::index(format!("`one_hot` needs classes ≥ 0, found {classes}")))?;
    let mut dims = labels.shape().to_vec();
    dims.push(classes);
    super::construct::check_size(&dims, "one_hot")?;
    let mut out = Tensor::zeros(IxDyn(&dims));
    let flat_labels: Vec<f64> = labels.iter().copied().collect();
    for (row, (&label, mut lane)) in flat_labels.iter().zip(out.lanes_mut(Axis(dims.len() - 1))).enumerate() {
        let k = as_int(label, "a `one_hot` label")?;
        match usize::try_from(k).ok().and_then(|k| lane.get_mut(k)) {
            Some(slot) => *slot = 1.0,
            None => {
                return Err(RunError::index(format!("`one_hot` label {k} (flat index {row}) is outside 0..{classes}")))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr0, arr1, arr2};

    fn close(a: &Tensor, b: &Tensor) -> bool {
        a.shape() == b.shape() && a.iter().zip(b.iter()).all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn softmax_is_stable_and_sums_to_one() {
        let x = arr2(&[[1000.0, 1000.0], [0.0, 2f64.ln()]]).into_dyn();
        let s = softmax(&x, -1).ok().unwrap_or_default();
        assert!(close(&s, &arr2(&[[0.5, 0.5], [1.0 / 3.0, 2.0 / 3.0]]).into_dyn()));
        let c = softmax(&x, 0).ok().unwrap_or_default();
        assert!(close(&c.sum_axis(Axis(0)), &arr1(&[1.0, 1.0]).into_dyn()));
        let l = log_softmax(&x, 1).ok().unwrap_or_default();
        assert!(close(&l, &s.mapv(f64::ln)));
        assert!(softmax(&x, 2).is_err());
    }

    #[test]
    fn cross_entropy_of_uniform_logits_is_ln_classes() {
        let logits = arr2(&[[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]).into_dyn();
        let targets = arr2(&[[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]).into_dyn();
        let ce = cross_entropy(&logits, &targets).ok().unwrap_or_default();
        assert!(close(&ce, &arr0(4f64.ln()).into_dyn()));
        assert!(cross_entropy(&logits, &arr1(&[1.0]).into_dyn()).is_err());
    }

    #[test]
    fn one_hot_appends_an_axis() {
        let got = one_hot(&arr1(&[2.0, 0.0]).into_dyn(), 3).ok();
        assert_eq!(got, Some(arr2(&[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]).into_dyn()));
        assert_eq!(one_hot(&arr0(1.0).into_dyn(), 2).ok(), Some(arr1(&[0.0, 1.0]).into_dyn()));
        assert!(one_hot(&arr1(&[3.0]).into_dyn(), 3).is_err());
        assert!(one_hot(&arr1(&[-1.0]).into_dyn(), 3).is_err());
        assert!(one_hot(&arr1(&[0.5]).into_dyn(), 3).is_err());
    }
}
