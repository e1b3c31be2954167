//! A small fully-connected ReLU network in plaintext `f64`, and its reproducible trainer:
//! the model ALICE holds in the private-MNIST-inference example.
//!
//! Training is mini-batch SGD with classical momentum on the mean softmax cross-entropy. Every
//! source of randomness is a ChaCha20 generator seeded from [`MlpConfig::seed`]: He-normal
//! initial weights (zero biases), then one shuffle of the training examples per epoch. The
//! matrix products use ndarray's single-threaded `dot`, so a run is bit-for-bit repeatable on one
//! machine. Nothing here reads data files; [`super::mnist`] feeds the trainer.

use super::error::DatasetError;
use super::folders::{read_array, write_array};
use ndarray::{Array1, Array2, ArrayView2, Axis, Ix1, Ix2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use std::path::{Path, PathBuf};

/// One affine layer `x @ w + b` with `w: [inputs, outputs]`, `b: [outputs]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    pub w: Array2<f64>,
    pub b: Array1<f64>,
}

/// Affine layers with ReLU between them (none after the last): `logits = relu(relu(x@w1+b1)@w2+b2)@w3+b3`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    pub layers: Vec<Dense>,
}

/// The trainer's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpConfig {
    /// Layer widths, input first: `[784, 128, 128, 10]`.
    pub widths: Vec<usize>,
    pub epochs: usize,
    pub batch: usize,
    /// The learning rate of the first epoch; it is multiplied by `lr_decay` after each epoch.
    pub lr: f64,
    pub lr_decay: f64,
    pub momentum: f64,
    pub seed: u64,
}

impl Default for MlpConfig {
    /// The documented MNIST model: 784-128-128-10, 10 epochs of batch 64, rate 0.05 × 0.8 per
    /// epoch, momentum 0.9, seed 2024.
    fn default() -> MlpConfig {
        MlpConfig {
            widths: vec![784, 128, 128, 10],
            epochs: 10,
            batch: 64,
            lr: 0.05,
            lr_decay: 0.8,
            momentum: 0.9,
            seed: 2024,
        }
    }
}

/// What the trainer reports to its caller (to draw a progress bar or log lines).
#[derive(Debug, Clone, PartialEq)]
pub enum TrainEvent {
    /// A mini-batch finished: `batch` of `batches` in `epoch` (both counted from 1).
    Batch { epoch: usize, batch: usize, batches: usize },
    /// An epoch finished, with its mean training loss.
    Epoch { epoch: usize, epochs: usize, loss: f64 },
}

impl Mlp {
    /// He-normal weights (`N(0, 2 / inputs)`) and zero biases, drawn from `rng` layer by layer.
    pub fn init(widths: &[usize], rng: &mut ChaCha20Rng) -> Mlp {
        let layers = widths
            .iter()
            .zip(widths.iter().skip(1))
            .map(|(&inputs, &outputs)| {
                let scale = (2.0 / inputs.max(1) as f64).sqrt();
                let w = Array2::from_shape_simple_fn((inputs, outputs), || {
                    let z: f64 = StandardNormal.sample(&mut *rng);
                    scale * z
                });
                Dense { w, b: Array1::zeros(outputs) }
            })
            .collect();
        Mlp { layers }
    }

    /// Every layer's output, the last being the logits (ReLU applied to all but the last).
    fn activations(&self, x: ArrayView2<'_, f64>) -> Vec<Array2<f64>> {
        let mut outs: Vec<Array2<f64>> = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let mut z = match outs.last() {
                Some(prev) => prev.dot(&layer.w),
                None => x.dot(&layer.w),
            };
            z += &layer.b;
            if i + 1 < self.layers.len() {
                z.mapv_inplace(|v| v.max(0.0));
            }
            outs.push(z);
        }
        outs
    }

    /// The logits `[n, classes]` of the rows of `x`.
    pub fn logits(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        self.activations(x).pop().unwrap_or_else(|| x.to_owned())
    }

    /// The predicted class of each row of `x` (the first maximal logit), in chunks of 1000 rows.
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Vec<usize> {
        let mut out = Vec::with_capacity(x.nrows());
        for chunk in x.axis_chunks_iter(Axis(0), 1000) {
            let logits = self.logits(chunk);
            out.extend(logits.rows().into_iter().map(|row| argmax(row.iter().copied())));
        }
        out
    }

    /// The fraction of rows of `x` whose prediction equals `labels`.
    pub fn accuracy(&self, x: ArrayView2<'_, f64>, labels: &[u8]) -> f64 {
        let pred = self.predict(x);
        let hits = pred.iter().zip(labels).filter(|(p, l)| **p == usize::from(**l)).count();
        hits as f64 / labels.len().max(1) as f64
    }

    /// Writes `w1.npy, b1.npy, w2.npy, …` into `dir` (`f64`).
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
        let mut files = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            files.push(write_array(dir, &format!("w{}.npy", i + 1), &layer.w)?);
            files.push(write_array(dir, &format!("b{}.npy", i + 1), &layer.b)?);
        }
        Ok(files)
    }

    /// Reads `layers` layers saved by [`Mlp::save`], checking that consecutive widths agree.
    pub fn load(dir: &Path, layers: usize) -> Result<Mlp, DatasetError> {
        let mut out: Vec<Dense> = Vec::with_capacity(layers);
        for i in 1..=layers {
            let w = read_array::<Ix2>(&dir.join(format!("w{i}.npy")))?;
            let b = read_array::<Ix1>(&dir.join(format!("b{i}.npy")))?;
            let inputs_ok = out.last().is_none_or(|prev| prev.w.ncols() == w.nrows());
            if !inputs_ok || b.len() != w.ncols() {
                return Err(DatasetError::Inconsistent {
                    message: format!(
                        "`{}`: layer {i} has w {:?} and b {:?}, which do not chain",
                        dir.display(),
                        w.shape(),
                        b.shape()
                    ),
                });
            }
            out.push(Dense { w, b });
        }
        Ok(Mlp { layers: out })
    }
}

/// The index of the first maximum (0 for an empty sequence).
pub fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// Row-wise softmax minus the one-hot labels, divided by the batch size (the gradient of the
/// mean cross-entropy with respect to the logits), and the batch's summed loss.
pub(super) fn softmax_grad(logits: &mut Array2<f64>, labels: &[u8]) -> f64 {
    let scale = 1.0 / logits.nrows().max(1) as f64;
    let mut loss = 0.0;
    for (mut row, &label) in logits.rows_mut().into_iter().zip(labels) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        row.mapv_inplace(|v| (v - max).exp());
        let total = row.sum();
        row.mapv_inplace(|v| v / total);
        if let Some(p) = row.get_mut(usize::from(label)) {
            loss -= p.max(1e-300).ln();
            *p -= 1.0;
        }
        row.mapv_inplace(|v| v * scale);
    }
    loss
}

/// Trains an [`Mlp`] on `images: [n, widths[0]]` and `labels` (classes `0..widths.last()`),
/// reporting each batch and epoch to `on_event`.
pub fn train_mlp(
    images: ArrayView2<'_, f64>,
    labels: &[u8],
    config: &MlpConfig,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<Mlp, DatasetError> {
    let (n, inputs) = images.dim();
    let classes = config.widths.last().copied().unwrap_or(0);
    if config.widths.len() < 2 || config.widths.first() != Some(&inputs) || labels.len() != n {
        return Err(DatasetError::BadOption {
            message: format!(
                "widths {:?} do not fit {n} examples of {inputs} inputs with {} labels",
                config.widths,
                labels.len()
            ),
        });
    }
    if labels.iter().any(|&l| usize::from(l) >= classes) || config.batch == 0 {
        return Err(DatasetError::BadOption {
            message: format!("labels must lie in 0..{classes} and the batch must be positive"),
        });
    }
    let mut rng = ChaCha20Rng::seed_from_u64(config.seed);
    let mut model = Mlp::init(&config.widths, &mut rng);
    let mut velocity: Vec<Dense> = model
        .layers
        .iter()
        .map(|l| Dense { w: Array2::zeros(l.w.raw_dim()), b: Array1::zeros(l.b.raw_dim()) })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    let batches = n.div_ceil(config.batch);
    let mut lr = config.lr;
    for epoch in 1..=config.epochs {
        order.shuffle(&mut rng);
        let mut total_loss = 0.0;
        for (batch_idx, rows) in order.chunks(config.batch).enumerate() {
            let x = images.select(Axis(0), rows);
            let y: Vec<u8> = rows.iter().filter_map(|&r| labels.get(r).copied()).collect();
            let mut acts = model.activations(x.view());
            let Some(mut delta) = acts.pop() else {
                break;
            };
            total_loss += softmax_grad(&mut delta, &y);
            for (l, (layer, vel)) in model.layers.iter_mut().zip(&mut velocity).enumerate().rev() {
                let prev = l.checked_sub(1).and_then(|p| acts.get(p));
                let input = prev.map_or_else(|| x.view(), |a| a.view());
                let grad_w = input.t().dot(&delta);
                let grad_b = delta.sum_axis(Axis(0));
                if let Some(prev) = prev {
                    let mut back = delta.dot(&layer.w.t());
                    back.zip_mut_with(prev, |g, &a| {
                        if a <= 0.0 {
                            *g = 0.0;
                        }
                    });
                    delta = back;
                }
                vel.w.zip_mut_with(&grad_w, |v, &g| *v = config.momentum * *v - lr * g);
                vel.b.zip_mut_with(&grad_b, |v, &g| *v = config.momentum * *v - lr * g);
                layer.w += &vel.w;
                layer.b += &vel.b;
            }
            on_event(TrainEvent::Batch { epoch, batch: batch_idx + 1, batches });
        }
        on_event(TrainEvent::Epoch { epoch, epochs: config.epochs, loss: total_loss / n.max(1) as f64 });
        lr *= config.lr_decay;
    }
    Ok(model)
}
