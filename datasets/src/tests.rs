//! Unit tests of the data-set readers, the recipes' folders and the plaintext trainers.
//! They read the small real files in `data/` (the MNIST test split, the breast-cancer CSV) but
//! never the 60 000-image training set, so they stay fast.

use super::breast_cancer::{breast_cancer_path, breast_cancer_svm, parse_breast_cancer, read_breast_cancer};
use super::folders::read_array;
use super::idx::{load_mnist, parse_idx, read_idx, IdxArray, MnistSplit};
use super::mlp::{train_mlp, Mlp, MlpConfig};
use super::scenarios::{write_all_scenarios, Scenario};
use super::svm::{synthetic_svm, train_svm};
use super::*;
use ndarray::{concatenate, Array1, Array2, Axis, Ix1, Ix2};
use std::io::Write;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mpcc-datasets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn idx_buffer(code: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut buf = vec![0, 0, code, dims.len() as u8];
    for d in dims {
        buf.extend_from_slice(&d.to_be_bytes());
    }
    buf.extend_from_slice(data);
    buf
}

#[test]
fn idx_parses_a_hand_made_buffer() {
    let buf = idx_buffer(0x08, &[2, 1, 3], &[1, 2, 3, 4, 5, 255]);
    let parsed = parse_idx(&buf).unwrap();
    assert_eq!(parsed, IdxArray { dims: vec![2, 1, 3], data: vec![1, 2, 3, 4, 5, 255] });
}

#[test]
fn idx_rejects_bad_magic_and_truncation() {
    let mut bad = idx_buffer(0x08, &[1], &[7]);
    bad[0] = 0x1f;
    assert!(matches!(parse_idx(&bad), Err(IdxError::BadMagic { found: 0x1f00_0801 })));
    assert_eq!(parse_idx(&[0, 0]), Err(IdxError::Truncated { expected: 4, found: 2 }));
    // The header promises 3 dims but holds 2.
    let short_header = vec![0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1];
    assert!(matches!(parse_idx(&short_header), Err(IdxError::Truncated { expected: 16, .. })));
    let short_data = idx_buffer(0x08, &[2, 2], &[1, 2, 3]);
    assert_eq!(parse_idx(&short_data), Err(IdxError::Truncated { expected: 16, found: 15 }));
    let long_data = idx_buffer(0x08, &[2], &[1, 2, 3]);
    assert_eq!(parse_idx(&long_data), Err(IdxError::TrailingBytes { extra: 1 }));
    assert_eq!(parse_idx(&idx_buffer(0x0d, &[1], &[0, 0, 0, 0])), Err(IdxError::UnsupportedType { code: 0x0d }));
    let huge = idx_buffer(0x08, &[u32::MAX, u32::MAX, u32::MAX], &[]);
    assert!(matches!(parse_idx(&huge), Err(IdxError::TooLarge { .. }) | Err(IdxError::Truncated { .. })));
}

#[test]
fn idx_reads_gzip_files_and_reports_bad_ones() {
    let dir = temp_dir("gz");
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("labels-idx1-ubyte.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&idx_buffer(0x08, &[3], &[4, 5, 6])).unwrap();
    std::fs::write(&good, enc.finish().unwrap()).unwrap();
    assert_eq!(read_idx(&good, 1).unwrap().data, vec![4, 5, 6]);
    assert!(matches!(
        read_idx(&good, 3),
        Err(DatasetError::Idx { source: IdxError::WrongRank { expected: 3, found: 1 }, .. })
    ));
    let corrupt = dir.join("corrupt.gz");
    std::fs::write(&corrupt, b"not gzip at all").unwrap();
    assert!(matches!(read_idx(&corrupt, 1), Err(DatasetError::Gzip { .. })));
    assert!(matches!(read_idx(&dir.join("missing.gz"), 1), Err(DatasetError::Io { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mnist_test_split_matches_the_published_facts() {
    let test = load_mnist(&default_data_dir(), MnistSplit::Test, None).unwrap();
    assert_eq!(test.images.dim(), (10_000, 784));
    let mut counts = [0usize; 10];
    for &l in &test.labels {
        counts[usize::from(l)] += 1;
    }
    assert_eq!(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    assert_eq!(&test.labels[..5], &[7, 2, 1, 0, 4]);
    assert!(test.images.iter().all(|&p| (0.0..=1.0).contains(&p)));
    assert_eq!(test.images.iter().cloned().fold(0.0, f64::max), 1.0);
    let few = load_mnist(&default_data_dir(), MnistSplit::Test, Some(3)).unwrap();
    assert_eq!(few.images.dim(), (3, 784));
    assert_eq!(few.images.row(2), test.images.row(2));
}

#[test]
fn breast_cancer_reads_and_splits_as_documented() {
    let raw = read_breast_cancer(&breast_cancer_path(&default_data_dir())).unwrap();
    assert_eq!(raw.features.dim(), (569, 30));
    assert_eq!(raw.labels.iter().filter(|&&l| l == 0.0).count(), 212);
    let data = breast_cancer_svm(&raw, 7, 455).unwrap();
    assert_eq!(data.x_train.dim(), (30, 455));
    assert_eq!(data.y_train.dim(), (1, 455));
    assert_eq!(data.x_test.dim(), (30, 114));
    assert_eq!(data.y_test.dim(), (1, 114));
    // Every row lands in exactly one split: the label counts add up.
    let benign = data.y_train.iter().chain(data.y_test.iter()).filter(|&&y| y == 1.0).count();
    let malignant = data.y_train.iter().chain(data.y_test.iter()).filter(|&&y| y == -1.0).count();
    assert_eq!((benign, malignant), (357, 212));
    // Standardized with the training rows' statistics.
    for row in data.x_train.rows() {
        assert!(row.mean().unwrap().abs() < 1e-9);
        assert!((row.std(0.0) - 1.0).abs() < 1e-9);
    }
    assert_eq!(breast_cancer_svm(&raw, 7, 455).unwrap(), data);
    assert_ne!(breast_cancer_svm(&raw, 8, 455).unwrap().y_test, data.y_test);
    assert!(matches!(breast_cancer_svm(&raw, 7, 569), Err(DatasetError::BadOption { .. })));
}

#[test]
fn breast_cancer_csv_errors_name_the_line() {
    let path = Path::new("bc.csv");
    let header = (0..30).map(|i| format!("f{i}")).collect::<Vec<_>>().join(",") + ",label\n";
    let row = |label: &str| (0..30).map(|_| "1.5").collect::<Vec<_>>().join(",") + "," + label + "\n";
    let good = format!("{header}{}{}", row("0"), row("1"));
    assert_eq!(parse_breast_cancer(good.as_bytes(), path).unwrap().labels, vec![0.0, 1.0]);
    let bad_label = format!("{header}{}{}", row("0"), row("3"));
    assert!(matches!(parse_breast_cancer(bad_label.as_bytes(), path), Err(DatasetError::Csv { line: 3, .. })));
    let bad_cell = format!("{header}{}", row("x"));
    assert!(matches!(parse_breast_cancer(bad_cell.as_bytes(), path), Err(DatasetError::Csv { line: 2, .. })));
    let short = format!("{header}1,2,3\n");
    assert!(matches!(parse_breast_cancer(short.as_bytes(), path), Err(DatasetError::Csv { .. })));
}

#[test]
fn synthetic_svm_is_deterministic_and_separable() {
    let data = synthetic_svm(5, 100, 1000, 100);
    assert_eq!(data.x_train.dim(), (100, 1000));
    assert_eq!(data.y_train.dim(), (1, 1000));
    assert_eq!(data.x_test.dim(), (100, 100));
    assert!(data.y_train.iter().all(|&y| y == 1.0 || y == -1.0));
    assert_eq!(synthetic_svm(5, 100, 1000, 100), data);
    assert_ne!(synthetic_svm(6, 100, 1000, 100).x_train, data.x_train);
    let model = train_svm(&data.x_train, &data.y_train, 50, 0.5, 5);
    assert!(model.accuracy(&data.x_train, &data.y_train) > 0.85);
    assert!(model.accuracy(&data.x_test, &data.y_test) > 0.8);
}

#[test]
fn scenario_folders_split_and_cover_the_data() {
    let dir = temp_dir("scenarios");
    let data = synthetic_svm(1, 10, 30, 7);
    let files = write_all_scenarios(&dir, &data, 1).unwrap();
    assert!(files.iter().all(|f| f.is_file()));
    let read2 =
        |s: Scenario, party: &str, name: &str| read_array::<Ix2>(&dir.join(s.name()).join(party).join(name)).unwrap();
    let labeling = Scenario::DataLabeling;
    assert_eq!(read2(labeling, "alice", "features.npy"), data.x_train);
    assert_eq!(read2(labeling, "bob", "labels.npy"), data.y_train);
    let agg = Scenario::FeatureAggregation;
    let (a, b) = (read2(agg, "alice", "features.npy"), read2(agg, "bob", "features.npy"));
    assert_eq!((a.dim(), b.dim()), ((5, 30), (5, 30)));
    assert_eq!(concatenate(Axis(0), &[a.view(), b.view()]).unwrap(), data.x_train);
    let aug = Scenario::DataAugmentation;
    let (a, b) = (read2(aug, "alice", "features.npy"), read2(aug, "bob", "features.npy"));
    assert_eq!((a.dim(), b.dim()), ((10, 15), (10, 15)));
    assert_eq!(concatenate(Axis(1), &[a.view(), b.view()]).unwrap(), data.x_train);
    let (ya, yb) = (read2(aug, "alice", "labels.npy"), read2(aug, "bob", "labels.npy"));
    assert_eq!(concatenate(Axis(1), &[ya.view(), yb.view()]).unwrap(), data.y_train);
    for s in [labeling, agg, aug] {
        for party in ["alice", "bob"] {
            assert_eq!(read2(s, party, "test_x.npy"), data.x_test);
            assert_eq!(read2(s, party, "test_y.npy"), data.y_test);
        }
    }
    let hiding = Scenario::ModelHiding;
    let w = read2(hiding, "alice", "w.npy");
    let b = read_array::<Ix1>(&dir.join("model_hiding/alice/b.npy")).unwrap();
    assert_eq!(w, train_svm(&data.x_train, &data.y_train, 50, 0.5, 1).w);
    assert_eq!(b.len(), 1);
    assert_eq!(read2(hiding, "bob", "test_x.npy"), data.x_test);
    assert!(!dir.join("model_hiding/alice/test_x.npy").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn recipes_dispatch_by_name() {
    let dir = temp_dir("recipes");
    let options = RecipeOptions { mnist_images: 4, mnist_model_dir: None, ..RecipeOptions::default() };
    let files = write_recipe("mnist", &dir, 0, &options, &mut |_| {}).unwrap();
    assert_eq!(files.len(), 2);
    let images = read_array::<Ix2>(&dir.join("bob/images.npy")).unwrap();
    let labels = read_array::<Ix1>(&dir.join("bob/labels.npy")).unwrap();
    assert_eq!(images.dim(), (4, 784));
    assert_eq!(labels, Array1::from(vec![7.0, 2.0, 1.0, 0.0]));
    let bc = write_recipe("breast-cancer", &dir.join("bc"), 3, &options, &mut |_| {}).unwrap();
    assert_eq!(bc.len(), 6 + 7 + 8 + 4);
    let bob_agg = read_array::<Ix2>(&dir.join("bc/feature_aggregation/bob/features.npy")).unwrap();
    assert_eq!(bob_agg.dim(), (15, 455));
    assert!(matches!(write_recipe("nope", &dir, 0, &options, &mut |_| {}), Err(DatasetError::UnknownRecipe { .. })));
    let too_many = RecipeOptions { mnist_images: 10_001, ..options };
    assert!(matches!(write_recipe("mnist", &dir, 0, &too_many, &mut |_| {}), Err(DatasetError::BadOption { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mlp_learns_a_tiny_problem_deterministically_and_round_trips() {
    // Two classes split by the sign of the first input, 3 inputs.
    let x = Array2::from_shape_fn((200, 3), |(i, j)| ((i * 7 + j * 13) % 17) as f64 / 8.0 - 1.0);
    let labels: Vec<u8> = x.rows().into_iter().map(|r| u8::from(r[0] > 0.0)).collect();
    let config =
        MlpConfig { widths: vec![3, 8, 2], epochs: 30, batch: 16, lr: 0.1, lr_decay: 1.0, momentum: 0.9, seed: 3 };
    let mut events = 0;
    let model = train_mlp(x.view(), &labels, &config, &mut |_| events += 1).unwrap();
    assert_eq!(events, 30 * (13 + 1));
    assert!(model.accuracy(x.view(), &labels) > 0.95);
    assert_eq!(train_mlp(x.view(), &labels, &config, &mut |_| {}).unwrap(), model);
    let dir = temp_dir("mlp");
    assert_eq!(model.save(&dir).unwrap().len(), 4);
    assert_eq!(Mlp::load(&dir, 2).unwrap(), model);
    assert!(matches!(Mlp::load(&dir, 3), Err(DatasetError::NpyRead { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
    let bad = MlpConfig { widths: vec![4, 2], ..config };
    assert!(matches!(train_mlp(x.view(), &labels, &bad, &mut |_| {}), Err(DatasetError::BadOption { .. })));
}
