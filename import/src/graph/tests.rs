//! The translation on the committed fixtures (`tests/fixtures/onnx/`): what it writes, what it
//! rejects, and that no truncated or corrupted file makes it panic.

use super::{import_onnx, Options};
use crate::ImportError;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/onnx").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn options() -> Options {
    Options { owner: "ALICE".into(), user: "BOB".into(), source_name: "m.onnx".into() }
}

#[test]
fn imported_programs_compile_and_load_every_weight_they_write() {
    for name in ["mlp", "cnn", "lenet", "bn"] {
        let imported = import_onnx(&fixture(&format!("{name}.onnx")), &options()).unwrap();
        for (key, _) in &imported.weights {
            assert!(imported.model_mpc.contains(&format!("load(\"model.npz:{key}\")")), "{name}: {key}");
        }
        let files = Files(imported.model_mpc.clone());
        let c = mpcc_compiler::compile_files("main.mpc", &imported.main_mpc, &files, &Default::default(), None);
        let text = mpcc_compiler::render_sources(&c.diagnostics, &c.sources, false);
        assert!(c.diagnostics.is_empty() && c.program.is_some(), "{name}:\n{text}\n{}", imported.model_mpc);
    }
}

struct Files(String);

impl mpcc_compiler::Loader for Files {
    fn load(&self, path: &str) -> Result<String, String> {
        if path == "model.mpc" {
            Ok(self.0.clone())
        } else {
            Err("no such file".into())
        }
    }
}

#[test]
fn batch_norms_are_folded_into_the_layer_before_them() {
    let imported = import_onnx(&fixture("bn.onnx"), &options()).unwrap();
    let text = &imported.model_mpc;
    // bn1 follows the Conv and bn3 the Gemm: folded; bn2 follows a ReLU: an affine step.
    assert!(text.contains("(BatchNormalization folded in)"), "{text}");
    assert!(text.contains("transposed to [in, out], BatchNormalization folded in"), "{text}");
    assert_eq!(text.matches("(BatchNormalization)").count(), 1, "{text}");
    assert!(!imported.weights.iter().any(|(k, _)| k.starts_with("bn1") || k.starts_with("bn3")));
}

#[test]
fn unsupported_ops_name_the_node_and_list_the_supported_ones() {
    let e = import_onnx(&fixture("unsupported_op.onnx"), &options()).unwrap_err();
    assert!(matches!(&e, ImportError::Unsupported { node, op, .. } if node == "/Erf" && op == "Erf"), "{e}");
    assert!(e.to_string().contains("supported ops: Add, AveragePool"), "{e}");
}

/// Every prefix of a model and many one-byte corruptions: an error or a translation, never a
/// panic (the test fails on any panic).
#[test]
fn truncated_and_corrupted_files_never_panic() {
    for name in ["mlp.onnx", "cnn.onnx", "truncated.onnx"] {
        let bytes = fixture(name);
        let mut errors = 0;
        for cut in 0..bytes.len() {
            if import_onnx(bytes.get(..cut).unwrap_or_default(), &options()).is_err() {
                errors += 1;
            }
        }
        assert!(errors > bytes.len() / 2, "{name}: most prefixes are rejected ({errors} of {})", bytes.len());
        let mut state = 0x9e37_79b9_u64;
        for _ in 0..2000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let mut corrupted = bytes.clone();
            let at = (state >> 33) as usize % corrupted.len();
            if let Some(b) = corrupted.get_mut(at) {
                *b ^= (state >> 16) as u8 | 1;
            }
            let _ = import_onnx(&corrupted, &options());
            let _ = crate::read_onnx_initializer(&corrupted, "fc1.weight");
        }
    }
    let e = import_onnx(&fixture("truncated.onnx"), &options()).unwrap_err();
    assert!(matches!(e, ImportError::Malformed(_)), "{e}");
    let e = import_onnx(b"", &options()).unwrap_err();
    assert!(e.to_string().contains("holds no graph"), "{e}");
}
