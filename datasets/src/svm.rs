//! Linear-SVM data in the layout `programs/svm.mpc` uses, CrypTen's synthetic set, and a plaintext
//! `f64` trainer that runs the same hinge-loss SGD as the program (used to give ALICE a trained
//! model in the model-hiding scenario, and as a reference accuracy).
//!
//! The synthetic set ([`synthetic_svm`]) follows CrypTen's `mpc_linear_svm` example: a ChaCha20
//! generator seeded with the recipe's seed draws, in this order, `w_true: [1, d]` and `b_true`
//! (standard normal), the training features `[d, n]` and the test features `[d, n_test]`
//! (standard normal, row-major); labels are `sign(w_true @ x + b_true)` with `sign(0) = +1`.
//! Nothing here reads or writes files.

use ndarray::{Array1, Array2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};

/// A training and a test set: features `[d, n]` (one column per example), labels `[1, n]` in {-1, +1}.
#[derive(Debug, Clone, PartialEq)]
pub struct SvmData {
    pub x_train: Array2<f64>,
    pub y_train: Array2<f64>,
    pub x_test: Array2<f64>,
    pub y_test: Array2<f64>,
}

/// CrypTen's sizes: 100 features, 1000 training and 100 test examples.
pub const SYNTHETIC_FEATURES: usize = 100;
pub const SYNTHETIC_TRAIN: usize = 1000;
pub const SYNTHETIC_TEST: usize = 100;

/// `+1` where `v >= 0`, `-1` elsewhere (CrypTen's and the language's `sign`).
pub fn sign(v: f64) -> f64 {
    if v >= 0.0 {
        1.0
    } else {
        -1.0
    }
}

fn normal_matrix(rng: &mut ChaCha20Rng, rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(rng))
}

/// CrypTen's synthetic set with `d` features, `n` training and `n_test` test examples.
pub fn synthetic_svm(seed: u64, d: usize, n: usize, n_test: usize) -> SvmData {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let w_true = normal_matrix(&mut rng, 1, d);
    let b_true: f64 = StandardNormal.sample(&mut rng);
    let x_train = normal_matrix(&mut rng, d, n);
    let x_test = normal_matrix(&mut rng, d, n_test);
    let label = |x: &Array2<f64>| (w_true.dot(x) + b_true).mapv(sign);
    SvmData { y_train: label(&x_train), y_test: label(&x_test), x_train, x_test }
}

/// A linear model: `w: [1, d]`, `b: [1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SvmModel {
    pub w: Array2<f64>,
    pub b: Array1<f64>,
}

impl SvmModel {
    /// `sign(w @ x + b)`: `[1, n]` predictions in {-1, +1}.
    pub fn predict(&self, x: &Array2<f64>) -> Array2<f64> {
        let b = self.b.first().copied().unwrap_or(0.0);
        (self.w.dot(x) + b).mapv(sign)
    }

    /// The fraction of examples whose predicted sign equals the label.
    pub fn accuracy(&self, x: &Array2<f64>, y: &Array2<f64>) -> f64 {
        let pred = self.predict(x);
        let hits = pred.iter().zip(y.iter()).filter(|(p, l)| p == l).count();
        hits as f64 / y.len().max(1) as f64
    }
}

/// Trains like `programs/svm.mpc`: `w` starts standard normal (ChaCha20 seeded with `init_seed`),
/// `b` at 0; each epoch is one full-batch step of the hinge-loss subgradient
/// `g = -y * (1 - sign(w @ x + b) * y) * 0.5`, `w -= lr * (g @ xᵀ) / n`, `b -= lr * mean(g)`.
pub fn train_svm(x: &Array2<f64>, y: &Array2<f64>, epochs: usize, lr: f64, init_seed: u64) -> SvmModel {
    let d = x.len_of(Axis(0));
    let n = x.len_of(Axis(1)).max(1) as f64;
    let mut rng = ChaCha20Rng::seed_from_u64(init_seed);
    let mut w = normal_matrix(&mut rng, 1, d);
    let mut b = 0.0;
    for _ in 0..epochs {
        let correct = (w.dot(x) + b).mapv(sign) * y;
        let g = (1.0 - correct) * y * -0.5;
        w = w - g.dot(&x.t()) * (lr / n);
        b -= lr * g.mean().unwrap_or(0.0);
    }
    SvmModel { w, b: Array1::from_elem(1, b) }
}
