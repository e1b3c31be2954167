//! `mpcc import MODEL.onnx --out DIR`: the model translated by `mpcc_import` into
//! `DIR/model.mpc` and `DIR/main.mpc`, and its weights into `DIR/<owner>/model.npz` (f64), the
//! owner's folder named after the owner in lower case (`alice`).

use crate::console::{usage_error, FAIL, OK};
use ndarray_npy::NpzWriter;
use std::path::Path;

fn is_party_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn import(model: &Path, out: &Path, owner: &str, user: &str) -> u8 {
    for name in [owner, user] {
        if !is_party_name(name) {
            return usage_error(&format!("`{name}` is not a party name (letters, digits and `_`, e.g. ALICE)"));
        }
    }
    let bytes = match std::fs::read(model) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", model.display());
            return FAIL;
        }
    };
    let source_name = model.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let options = mpcc_import::Options { owner: owner.into(), user: user.into(), source_name };
    let imported = match mpcc_import::import_onnx(&bytes, &options) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: cannot import `{}`: {e}", model.display());
            return FAIL;
        }
    };
    match write(out, owner, &imported) {
        Ok(()) => {
            let folder = out.join(owner.to_lowercase());
            eprintln!(
                "wrote {}, {} and {} ({} weights)",
                out.join("model.mpc").display(),
                out.join("main.mpc").display(),
                folder.join("model.npz").display(),
                imported.weights.len()
            );
            eprintln!(
                "run: mpcc run {} --parties 2 --data {owner}={} --data {user}=<folder with input.npy>",
                out.join("main.mpc").display(),
                folder.display()
            );
            OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            FAIL
        }
    }
}

fn write(out: &Path, owner: &str, imported: &mpcc_import::Imported) -> Result<(), String> {
    let folder = out.join(owner.to_lowercase());
    std::fs::create_dir_all(&folder).map_err(|e| format!("cannot create `{}`: {e}", folder.display()))?;
    for (name, text) in [("model.mpc", &imported.model_mpc), ("main.mpc", &imported.main_mpc)] {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    let path = folder.join("model.npz");
    let file = std::fs::File::create(&path).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    let mut npz = NpzWriter::new(file);
    for (name, array) in &imported.weights {
        npz.add_array(name.as_str(), array).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    npz.finish().map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    Ok(())
}
