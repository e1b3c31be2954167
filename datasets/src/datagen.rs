//! Deterministic data for the example programs (`mpcc gen-data`): `.npy` files written from a
//! seeded ChaCha20 stream, so the same recipe and seed always give the same bytes.
//!
//! Recipes:
//! - `svm`: CrypTen's synthetic linear-SVM set for `programs/svm.mpc`, drawn by
//!   [`crate::svm::synthetic_svm`] (the seed workloads' generator, so both agree):
//!   `features.npy` `[100, 1000]` (features × examples, N(0, 1)), `labels.npy` `[1, 1000]` =
//!   `sign(w_true @ x + b_true)` in {-1, +1} with `w_true` `[1, 100]` and `b_true` N(0, 1), and
//!   a test set from the same hyperplane, `test_x.npy` `[100, 100]` and `test_y.npy` `[1, 100]`;
//! - `basics`: for `programs/basics.mpc`, `a.npy` and `b.npy` `[2, 3]` uniform in [-4, 4] and
//!   `v.npy` `[4]` uniform in [0.5, 4], all rounded to 2 decimals (readable prints), drawn in that
//!   order from [`mpcc_runtime::plain::construct::Stream`].
//!
//! Files are float64 `.npy`; the output folder is created if missing. Nothing else is written.

use mpcc_runtime::error::{ErrorKind, RunError};
use mpcc_runtime::io::{npy::encode_npy, write_file};
use mpcc_runtime::plain::construct::Stream;
use mpcc_runtime::plain::Tensor;
use ndarray::IxDyn;
use std::path::{Path, PathBuf};

/// The recipe names [`generate`] accepts.
pub const RECIPES: [&str; 2] = ["svm", "basics"];

/// Writes the files of `recipe` into `out_dir`; returns their paths in writing order.
pub fn generate(recipe: &str, out_dir: &Path, seed: u64) -> Result<Vec<PathBuf>, RunError> {
    let files: Vec<(&str, Tensor)> = match recipe {
        "svm" => {
            let d = crate::svm::synthetic_svm(seed, 100, 1000, 100);
            vec![
                ("features.npy", d.x_train.into_dyn()),
                ("labels.npy", d.y_train.into_dyn()),
                ("test_x.npy", d.x_test.into_dyn()),
                ("test_y.npy", d.y_test.into_dyn()),
            ]
        }
        "basics" => {
            let mut stream = Stream::new(seed);
            let mut draw = |dims: &[usize], lo: f64, hi: f64| {
                Tensor::from_shape_simple_fn(IxDyn(dims), || {
                    let x = lo + (hi - lo) * stream.uniform();
                    (x * 100.0).round() / 100.0
                })
            };
            let a = draw(&[2, 3], -4.0, 4.0);
            let b = draw(&[2, 3], -4.0, 4.0);
            let v = draw(&[4], 0.5, 4.0);
            vec![("a.npy", a), ("b.npy", b), ("v.npy", v)]
        }
        _ => {
            return Err(RunError::new(
                ErrorKind::Config,
                format!("unknown data recipe `{recipe}` (known: {})", RECIPES.join(", ")),
            ))
        }
    };
    let mut written = Vec::with_capacity(files.len());
    for (name, value) in files {
        let path = out_dir.join(name);
        let bytes = encode_npy(&value).map_err(|e| RunError::new(ErrorKind::Io, e.to_string()).with_file(&path))?;
        write_file(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpcc_ir::{BinaryOp, ReduceOp, UnaryOp};
    use mpcc_runtime::io::load;
    use mpcc_runtime::plain::{construct, elementwise, linalg, reduce, structural};

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mpcc-datagen-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn bytes(files: &[PathBuf]) -> Vec<Vec<u8>> {
        files.iter().map(|f| std::fs::read(f).unwrap_or_default()).collect()
    }

    #[test]
    fn same_seed_same_bytes() {
        for recipe in RECIPES {
            let (d1, d2, d3) =
                (temp_dir(&format!("{recipe}1")), temp_dir(&format!("{recipe}2")), temp_dir(&format!("{recipe}3")));
            let f1 = generate(recipe, &d1, 7).unwrap_or_default();
            let f2 = generate(recipe, &d2, 7).unwrap_or_default();
            let f3 = generate(recipe, &d3, 8).unwrap_or_default();
            assert!(!f1.is_empty());
            assert_eq!(bytes(&f1), bytes(&f2), "{recipe}");
            assert_ne!(bytes(&f1), bytes(&f3), "{recipe}");
        }
        let e = generate("nope", &temp_dir("nope"), 1).err();
        assert_eq!(e.map(|e| e.kind), Some(ErrorKind::Config));
    }

    #[test]
    fn basics_files_have_their_shapes_and_ranges() {
        let dir = temp_dir("basics");
        assert!(generate("basics", &dir, 3).is_ok());
        let a = load(&dir, "a.npy").unwrap_or_default();
        let v = load(&dir, "v.npy").unwrap_or_default();
        assert_eq!(a.shape(), &[2, 3]);
        assert!(a.iter().all(|x| (-4.0..=4.0).contains(x)));
        assert_eq!(v.shape(), &[4]);
        assert!(v.iter().all(|x| (0.5..=4.0).contains(x)));
    }

    /// `programs/svm.mpc`'s training loop in plain ops: `w = randn([1, d], seed=1)`, `b = 0`,
    /// full-batch hinge-loss subgradient steps; returns (train, test) accuracy.
    fn train_like_svm_mpc(x: &Tensor, y: &Tensor, tx: &Tensor, ty: &Tensor, epochs: usize, lr: f64) -> (f64, f64) {
        let bin = |op, a: &Tensor, b: &Tensor| elementwise::binary(op, a, b).unwrap_or_default();
        let s = |v: f64| Tensor::from_elem(IxDyn(&[]), v);
        let n = x.shape()[1] as f64;
        let mut w = construct::randn(&[1, x.shape()[0]], 1).unwrap_or_default();
        let mut b = construct::zeros(&[1]);
        let xt = structural::transpose(x);
        let predict = |w: &Tensor, b: &Tensor, x: &Tensor| {
            elementwise::unary(UnaryOp::Sign, &bin(BinaryOp::Add, &linalg::matmul(w, x).unwrap_or_default(), b))
        };
        for _ in 0..epochs {
            let correct = bin(BinaryOp::Mul, &predict(&w, &b, x), y);
            let g = bin(
                BinaryOp::Mul,
                &bin(BinaryOp::Mul, &elementwise::unary(UnaryOp::Neg, y), &bin(BinaryOp::Sub, &s(1.0), &correct)),
                &s(0.5),
            );
            let step =
                bin(BinaryOp::Div, &bin(BinaryOp::Mul, &s(lr), &linalg::matmul(&g, &xt).unwrap_or_default()), &s(n));
            w = bin(BinaryOp::Sub, &w, &step);
            let gm = reduce::reduce(ReduceOp::Mean, &g, None).unwrap_or_default();
            b = bin(BinaryOp::Sub, &b, &bin(BinaryOp::Mul, &s(lr), &gm));
        }
        let accuracy = |x: &Tensor, y: &Tensor| {
            let right = bin(BinaryOp::Eq, &predict(&w, &b, x), y);
            reduce::reduce(ReduceOp::Mean, &right, None).unwrap_or_default().sum()
        };
        (accuracy(x, y), accuracy(tx, ty))
    }

    /// The SVM set has ±1 labels from one hyperplane: training long enough separates the
    /// training set exactly (a perceptron converges only on separable data).
    #[test]
    fn svm_labels_are_signs_of_one_hyperplane() {
        let dir = temp_dir("svm");
        let files = generate("svm", &dir, 1).unwrap_or_default();
        assert_eq!(files.len(), 4);
        let x = load(&dir, "features.npy").unwrap_or_default();
        let y = load(&dir, "labels.npy").unwrap_or_default();
        let tx = load(&dir, "test_x.npy").unwrap_or_default();
        let ty = load(&dir, "test_y.npy").unwrap_or_default();
        assert_eq!(
            (x.shape(), y.shape(), tx.shape(), ty.shape()),
            (&[100, 1000][..], &[1, 1000][..], &[100, 100][..], &[1, 100][..])
        );
        assert!(y.iter().chain(ty.iter()).all(|&l| l == 1.0 || l == -1.0));
        assert!(y.iter().any(|&l| l == 1.0) && y.iter().any(|&l| l == -1.0));
        let (train, test) = train_like_svm_mpc(&x, &y, &tx, &ty, 300, 2.0);
        assert_eq!(train, 1.0, "test accuracy {test}");
        assert!(test >= 0.9, "test accuracy {test}");
    }
}
