//! LeNet-5 in plaintext `f64` and its reproducible trainer: the model ALICE holds in
//! `programs/mnist/lenet_inference.mpc`.
//!
//! The network (PyTorch semantics, NCHW): `conv 1→6 k5 pad 2 → ReLU → max-pool 2 → conv 6→16 k5
//! → ReLU → max-pool 2 → flatten → 400→120 → ReLU → 120→84 → ReLU → 84→10`. The convolutions and
//! poolings are the plaintext engine's own kernels ([`mpcc_runtime::plain::conv`]), so the trainer and
//! `mpcc run --plaintext` compute the same functions. Training is mini-batch SGD with classical
//! momentum on the mean softmax cross-entropy; every source of randomness is a ChaCha20 generator
//! seeded from [`LenetConfig::seed`] (He-normal initial weights, zero biases, one shuffle of the
//! training examples per epoch), so a run is repeatable on one machine. Nothing here reads data
//! files; [`super::mnist`] feeds the trainer.

use super::error::DatasetError;
use super::folders::{read_array, write_array};
use super::mlp::{argmax, softmax_grad, TrainEvent};
use mpcc_ir::{PoolOp, Window2d};
use mpcc_runtime::error::RunError;
use mpcc_runtime::plain::conv::{conv2d_grad_w, conv2d_grad_x, conv2d_plain, pool2d, pool2d_grad, Arith};
use mpcc_runtime::plain::Tensor;
use ndarray::{Array2, ArrayView2, Axis, Ix2, IxDyn};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use std::path::{Path, PathBuf};

/// The parameter files, in the order of [`Lenet::params`]: the two convolutions' kernels
/// `[out, in, 5, 5]` and biases, then the three dense layers' `w [in, out]` and `b [out]`.
pub const LENET_FILES: [&str; 10] = [
    "conv1_w.npy",
    "conv1_b.npy",
    "conv2_w.npy",
    "conv2_b.npy",
    "fc1_w.npy",
    "fc1_b.npy",
    "fc2_w.npy",
    "fc2_b.npy",
    "fc3_w.npy",
    "fc3_b.npy",
];

/// The parameters' shapes, in the order of [`LENET_FILES`].
const SHAPES: [&[usize]; 10] =
    [&[6, 1, 5, 5], &[6], &[16, 6, 5, 5], &[16], &[400, 120], &[120], &[120, 84], &[84], &[84, 10], &[10]];

/// LeNet-5's ten parameter tensors, in the order of [`LENET_FILES`].
#[derive(Debug, Clone, PartialEq)]
pub struct Lenet {
    pub params: Vec<Tensor>,
}

/// The trainer's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LenetConfig {
    pub epochs: usize,
    pub batch: usize,
    /// The learning rate of the first epoch; it is multiplied by `lr_decay` after each epoch.
    pub lr: f64,
    pub lr_decay: f64,
    pub momentum: f64,
    pub seed: u64,
}

impl Default for LenetConfig {
    /// The documented model: 4 epochs of batch 64, rate 0.03 × 0.7 per epoch, momentum 0.9,
    /// seed 2024.
    fn default() -> LenetConfig {
        LenetConfig { epochs: 4, batch: 64, lr: 0.03, lr_decay: 0.7, momentum: 0.9, seed: 2024 }
    }
}

fn err(e: RunError) -> DatasetError {
    DatasetError::Train { message: e.to_string() }
}

/// What the backward pass needs of a forward pass: the inputs and pre-activations of each layer.
struct Trace {
    x: Tensor,
    z1: Tensor,
    a1: Tensor,
    p1: Tensor,
    z2: Tensor,
    a2: Tensor,
    f: Array2<f64>,
    h: Vec<Array2<f64>>,
}

fn param(params: &[Tensor], i: usize) -> Result<&Tensor, DatasetError> {
    params.get(i).ok_or_else(|| DatasetError::Train { message: format!("LeNet parameter {i} is missing") })
}

fn matrix(t: &Tensor) -> Result<ArrayView2<'_, f64>, DatasetError> {
    t.view().into_dimensionality::<Ix2>().map_err(|e| DatasetError::Train { message: e.to_string() })
}

/// `z + b` with `b [c]` added along axis 1 of `z [n, c, h, w]`.
fn add_channel_bias(z: &mut Tensor, b: &Tensor) {
    for (mut plane, &bias) in z.axis_iter_mut(Axis(1)).zip(b.iter()) {
        plane += bias;
    }
}

fn relu(z: &Tensor) -> Tensor {
    z.mapv(|v| v.max(0.0))
}

/// `g` set to zero where `z ≤ 0` (the ReLU's adjoint at `z`).
fn relu_back(mut g: Tensor, z: &Tensor) -> Tensor {
    g.zip_mut_with(z, |g, &z| {
        if z <= 0.0 {
            *g = 0.0;
        }
    });
    g
}

fn pool2() -> ([u32; 2], Window2d) {
    ([2, 2], Window2d { stride: [2, 2], padding: [0, 0] })
}

impl Lenet {
    /// He-normal weights (`N(0, 2 / fan_in)`) and zero biases, drawn from `rng` layer by layer.
    pub fn init(rng: &mut ChaCha20Rng) -> Lenet {
        let params = SHAPES
            .iter()
            .map(|&dims| {
                if dims.len() == 1 {
                    return Tensor::zeros(IxDyn(dims));
                }
                let fan_in: usize =
                    if dims.len() == 4 { dims.iter().skip(1).product() } else { dims.first().copied().unwrap_or(1) };
                let scale = (2.0 / fan_in.max(1) as f64).sqrt();
                Tensor::from_shape_simple_fn(IxDyn(dims), || {
                    let z: f64 = StandardNormal.sample(&mut *rng);
                    scale * z
                })
            })
            .collect();
        Lenet { params }
    }

    fn forward(&self, x: Tensor) -> Result<(Trace, Array2<f64>), DatasetError> {
        let p = &self.params;
        let n = x.shape().first().copied().unwrap_or(0);
        let (k, pool) = pool2();
        let mut z1 = conv2d_plain(&x, param(p, 0)?, &Window2d { stride: [1, 1], padding: [2, 2] }).map_err(err)?;
        add_channel_bias(&mut z1, param(p, 1)?);
        let a1 = relu(&z1);
        let p1 = pool2d(PoolOp::Max, &a1, k, &pool).map_err(err)?;
        let mut z2 = conv2d_plain(&p1, param(p, 2)?, &Window2d { stride: [1, 1], padding: [0, 0] }).map_err(err)?;
        add_channel_bias(&mut z2, param(p, 3)?);
        let a2 = relu(&z2);
        let p2 = pool2d(PoolOp::Max, &a2, k, &pool).map_err(err)?;
        let f = p2
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order((n, 400))
            .map_err(|e| DatasetError::Train { message: e.to_string() })?;
        let mut h: Vec<Array2<f64>> = Vec::with_capacity(3);
        for layer in 0..3 {
            let w = matrix(param(p, 4 + 2 * layer)?)?;
            let b = param(p, 5 + 2 * layer)?;
            let input = h.last().unwrap_or(&f);
            let mut z = input.dot(&w);
            for mut row in z.rows_mut() {
                row.zip_mut_with(b, |v, &b| *v += b);
            }
            if layer < 2 {
                z.mapv_inplace(|v| v.max(0.0));
            }
            h.push(z);
        }
        let logits = h.pop().unwrap_or_default();
        Ok((Trace { x, z1, a1, p1, z2, a2, f, h }, logits))
    }

    /// The logits `[n, 10]` of images `x [n, 1, 28, 28]`.
    pub fn logits(&self, x: Tensor) -> Result<Array2<f64>, DatasetError> {
        Ok(self.forward(x)?.1)
    }

    /// The predicted digit of each row of `images [n, 784]` (the first maximal logit), in chunks
    /// of 500 images.
    pub fn predict(&self, images: ArrayView2<'_, f64>) -> Result<Vec<usize>, DatasetError> {
        let mut out = Vec::with_capacity(images.nrows());
        for chunk in images.axis_chunks_iter(Axis(0), 500) {
            let logits = self.logits(as_images(chunk)?)?;
            out.extend(logits.rows().into_iter().map(|row| argmax(row.iter().copied())));
        }
        Ok(out)
    }

    /// The fraction of rows of `images` whose prediction equals `labels`.
    pub fn accuracy(&self, images: ArrayView2<'_, f64>, labels: &[u8]) -> Result<f64, DatasetError> {
        let pred = self.predict(images)?;
        let hits = pred.iter().zip(labels).filter(|(p, l)| **p == usize::from(**l)).count();
        Ok(hits as f64 / labels.len().max(1) as f64)
    }

    /// The gradients of the batch's mean cross-entropy with respect to every parameter, in the
    /// order of [`LENET_FILES`], and the batch's summed loss.
    fn gradients(&self, x: Tensor, labels: &[u8]) -> Result<(Vec<Tensor>, f64), DatasetError> {
        let p = &self.params;
        let (trace, mut delta) = self.forward(x)?;
        let loss = softmax_grad(&mut delta, labels);
        let mut grads: Vec<Tensor> = vec![Tensor::zeros(IxDyn(&[0])); 10];
        for layer in (0..3).rev() {
            let input = match layer {
                0 => &trace.f,
                _ => trace.h.get(layer - 1).unwrap_or(&trace.f),
            };
            set(&mut grads, 4 + 2 * layer, input.t().dot(&delta).into_dyn());
            set(&mut grads, 5 + 2 * layer, delta.sum_axis(Axis(0)).into_dyn());
            let mut back = delta.dot(&matrix(param(p, 4 + 2 * layer)?)?.t());
            if layer > 0 {
                back.zip_mut_with(input, |g, &a| {
                    if a <= 0.0 {
                        *g = 0.0;
                    }
                });
            }
            delta = back;
        }
        let (k, pool) = pool2();
        let ar = Arith::plain();
        let dp2 = delta
            .into_dyn()
            .into_shape_with_order(IxDyn(&[trace.f.nrows(), 16, 5, 5]))
            .map_err(|e| DatasetError::Train { message: e.to_string() })?;
        let dz2 = relu_back(pool2d_grad(PoolOp::Max, &trace.a2, &dp2, k, &pool).map_err(err)?, &trace.z2);
        let valid = Window2d { stride: [1, 1], padding: [0, 0] };
        set(&mut grads, 2, conv2d_grad_w(&trace.p1, &dz2, SHAPES[2], &valid, &ar).map_err(err)?);
        set(&mut grads, 3, dz2.sum_axis(Axis(3)).sum_axis(Axis(2)).sum_axis(Axis(0)));
        let dp1 = conv2d_grad_x(&dz2, param(p, 2)?, trace.p1.shape(), &valid, &ar).map_err(err)?;
        let dz1 = relu_back(pool2d_grad(PoolOp::Max, &trace.a1, &dp1, k, &pool).map_err(err)?, &trace.z1);
        let same = Window2d { stride: [1, 1], padding: [2, 2] };
        set(&mut grads, 0, conv2d_grad_w(&trace.x, &dz1, SHAPES[0], &same, &ar).map_err(err)?);
        set(&mut grads, 1, dz1.sum_axis(Axis(3)).sum_axis(Axis(2)).sum_axis(Axis(0)));
        Ok((grads, loss))
    }

    /// Writes the ten parameter files ([`LENET_FILES`]) into `dir` (`f64`).
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
        LENET_FILES.iter().zip(&self.params).map(|(name, t)| write_array(dir, name, t)).collect()
    }

    /// Reads the parameter files written by [`Lenet::save`], checking their shapes.
    pub fn load(dir: &Path) -> Result<Lenet, DatasetError> {
        let mut params = Vec::with_capacity(LENET_FILES.len());
        for (name, dims) in LENET_FILES.iter().zip(SHAPES) {
            let t = read_array::<IxDyn>(&dir.join(name))?;
            if t.shape() != dims {
                return Err(DatasetError::Inconsistent {
                    message: format!("`{}` has shape {:?}, LeNet needs {dims:?}", dir.join(name).display(), t.shape()),
                });
            }
            params.push(t);
        }
        Ok(Lenet { params })
    }
}

fn set(grads: &mut [Tensor], i: usize, g: Tensor) {
    if let Some(slot) = grads.get_mut(i) {
        *slot = g;
    }
}

/// Rows of 784 pixels as images `[n, 1, 28, 28]`.
pub fn as_images(rows: ArrayView2<'_, f64>) -> Result<Tensor, DatasetError> {
    let n = rows.nrows();
    rows.as_standard_layout()
        .into_owned()
        .into_shape_with_order(IxDyn(&[n, 1, 28, 28]))
        .map_err(|e| DatasetError::Train { message: format!("MNIST rows of {} pixels: {e}", rows.ncols()) })
}

/// Trains a [`Lenet`] on `images: [n, 784]` and `labels` (0..=9), reporting each batch and epoch
/// to `on_event`.
pub fn train_lenet(
    images: ArrayView2<'_, f64>,
    labels: &[u8],
    config: &LenetConfig,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<Lenet, DatasetError> {
    let n = images.nrows();
    if images.ncols() != 784 || labels.len() != n || config.batch == 0 || labels.iter().any(|&l| l > 9) {
        return Err(DatasetError::BadOption {
            message: format!(
                "LeNet trains on rows of 784 pixels with labels 0..=9 and a positive batch, not {:?} with {} labels",
                images.dim(),
                labels.len()
            ),
        });
    }
    let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
    let mut model = Lenet::init(&mut rng);
    let mut velocity: Vec<Tensor> = model.params.iter().map(|t| Tensor::zeros(t.raw_dim())).collect();
    let mut order: Vec<usize> = (0..n).collect();
    let batches = n.div_ceil(config.batch);
    let mut lr = config.lr;
    for epoch in 1..=config.epochs {
        order.shuffle(&mut rng);
        let mut total_loss = 0.0;
        for (batch_idx, rows) in order.chunks(config.batch).enumerate() {
            let x = as_images(images.select(Axis(0), rows).view())?;
            let y: Vec<u8> = rows.iter().filter_map(|&r| labels.get(r).copied()).collect();
            let (grads, loss) = model.gradients(x, &y)?;
            total_loss += loss;
            for ((w, v), g) in model.params.iter_mut().zip(&mut velocity).zip(&grads) {
                if g.shape() != v.shape() {
                    return Err(DatasetError::Train {
                        message: format!("gradient of shape {:?} for a parameter of shape {:?}", g.shape(), v.shape()),
                    });
                }
                v.zip_mut_with(g, |v, &g| *v = config.momentum * *v - lr * g);
                *w += &*v;
            }
            on_event(TrainEvent::Batch { epoch, batch: batch_idx + 1, batches });
        }
        on_event(TrainEvent::Epoch { epoch, epochs: config.epochs, loss: total_loss / n.max(1) as f64 });
        lr *= config.lr_decay;
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_loss(model: &Lenet, x: &Tensor, labels: &[u8]) -> f64 {
        let mut logits = model.logits(x.clone()).unwrap();
        softmax_grad(&mut logits, labels) / labels.len() as f64
    }

    #[test]
    fn gradients_match_central_differences() {
        // Two random images: every parameter tensor's gradient, at a few entries, against
        // (L(p + h) − L(p − h)) / 2h of the mean cross-entropy.
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let model = Lenet::init(&mut rng);
        let x = Tensor::from_shape_simple_fn(IxDyn(&[2, 1, 28, 28]), || {
            let z: f64 = StandardNormal.sample(&mut rng);
            z.abs().min(1.0)
        });
        let labels = [3u8, 7];
        let (grads, _) = model.gradients(x.clone(), &labels).unwrap();
        let h = 1e-5;
        for (p, g) in grads.iter().enumerate() {
            assert_eq!(g.shape(), model.params[p].shape());
            let len = g.len();
            for i in [0, len / 3, len / 2, len - 1] {
                let mut plus = model.clone();
                let mut minus = model.clone();
                *plus.params[p].iter_mut().nth(i).unwrap() += h;
                *minus.params[p].iter_mut().nth(i).unwrap() -= h;
                let numeric = (mean_loss(&plus, &x, &labels) - mean_loss(&minus, &x, &labels)) / (2.0 * h);
                let analytic = *g.iter().nth(i).unwrap();
                assert!(
                    (numeric - analytic).abs() <= 1e-6 + 1e-4 * numeric.abs(),
                    "{} entry {i}: analytic {analytic}, numeric {numeric}",
                    LENET_FILES[p]
                );
            }
        }
    }

    #[test]
    fn saves_loads_and_rejects_wrong_shapes() {
        let dir = std::env::temp_dir().join(format!("mpcc-lenet-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let model = Lenet::init(&mut ChaCha20Rng::seed_from_u64(1));
        assert_eq!(model.save(&dir).unwrap().len(), 10);
        assert_eq!(Lenet::load(&dir).unwrap(), model);
        write_array(&dir, "fc3_b.npy", &ndarray::Array1::<f64>::zeros(9)).unwrap();
        assert!(matches!(Lenet::load(&dir), Err(DatasetError::Inconsistent { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn training_is_repeatable_and_lowers_the_loss() {
        // 256 real training images, 2 epochs of batch 32: the same seed gives the same weights,
        // and the second epoch's mean loss is below the first's.
        let data =
            crate::idx::load_mnist(&crate::default_data_dir(), crate::idx::MnistSplit::Train, Some(256)).unwrap();
        let config = LenetConfig { epochs: 2, batch: 32, ..LenetConfig::default() };
        let mut losses = Vec::new();
        let a = train_lenet(data.images.view(), &data.labels, &config, &mut |e| {
            if let TrainEvent::Epoch { loss, .. } = e {
                losses.push(loss);
            }
        })
        .unwrap();
        let b = train_lenet(data.images.view(), &data.labels, &config, &mut |_| {}).unwrap();
        assert_eq!(a, b);
        assert!(losses[1] < losses[0], "{losses:?}");
        assert!(train_lenet(data.images.view(), &data.labels[1..], &config, &mut |_| {}).is_err());
    }
}
