//! safetensors files (read by the `safetensors` crate): one entry as an `f64` array, as
//! `load("weights.safetensors:fc1.weight")` reads it.

use crate::{Array, ImportError};
use safetensors::{Dtype, SafeTensors};

/// The entry `name` of a safetensors file's bytes.
pub fn read_safetensors_entry(bytes: &[u8], name: &str) -> Result<Array, ImportError> {
    let file =
        SafeTensors::deserialize(bytes).map_err(|e| ImportError::Malformed(format!("not a safetensors file ({e})")))?;
    let view = file.tensor(name).map_err(|_| {
        let mut names: Vec<String> = file.names().into_iter().map(|n| n.to_string()).collect();
        names.sort();
        ImportError::NoEntry { name: name.to_string(), names }
    })?;
    let data = view.data();
    let values: Vec<f64> = match view.dtype() {
        Dtype::F64 => data.chunks_exact(8).map(|c| f64::from_le_bytes(bytes8(c))).collect(),
        Dtype::F32 => data.chunks_exact(4).map(|c| f64::from(f32::from_le_bytes(bytes4(c)))).collect(),
        Dtype::I64 => data.chunks_exact(8).map(|c| i64::from_le_bytes(bytes8(c)) as f64).collect(),
        Dtype::I32 => data.chunks_exact(4).map(|c| f64::from(i32::from_le_bytes(bytes4(c)))).collect(),
        Dtype::U8 => data.iter().map(|&b| f64::from(b)).collect(),
        other => {
            return Err(ImportError::Model(format!(
                "entry `{name}`: element type {other:?} is not supported (F64, F32, I64, I32 and U8 are)"
            )))
        }
    };
    Array::from_shape_vec(ndarray::IxDyn(view.shape()), values)
        .map_err(|e| ImportError::Malformed(format!("entry `{name}`: {e}")))
}

fn bytes8(c: &[u8]) -> [u8; 8] {
    let mut b = [0u8; 8];
    b.copy_from_slice(c);
    b
}

fn bytes4(c: &[u8]) -> [u8; 4] {
    let mut b = [0u8; 4];
    b.copy_from_slice(c);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use safetensors::tensor::TensorView;

    fn file() -> Vec<u8> {
        let w: Vec<u8> = [1.0f32, 2.0, 3.0, 4.5, 5.0, 6.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let b: Vec<u8> = [0.5f64, -1.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let h: Vec<u8> = vec![0, 0x3c];
        let views = [
            ("fc1.weight", TensorView::new(Dtype::F32, vec![2, 3], &w).unwrap()),
            ("fc1.bias", TensorView::new(Dtype::F64, vec![2], &b).unwrap()),
            ("half", TensorView::new(Dtype::F16, vec![1], &h).unwrap()),
        ];
        safetensors::serialize(views, None).unwrap()
    }

    #[test]
    fn entries_read_as_f64_in_their_shape() {
        let bytes = file();
        let w = read_safetensors_entry(&bytes, "fc1.weight").unwrap();
        assert_eq!(w.shape(), &[2, 3]);
        assert_eq!(w[[1, 0]], 4.5);
        assert_eq!(read_safetensors_entry(&bytes, "fc1.bias").unwrap().as_slice().unwrap(), &[0.5, -1.0]);
    }

    #[test]
    fn missing_entries_bad_types_and_truncated_files_are_errors() {
        let bytes = file();
        let e = read_safetensors_entry(&bytes, "fc2.weight").unwrap_err().to_string();
        assert!(e.contains("no tensor `fc2.weight`") && e.contains("`fc1.bias`"), "{e}");
        let e = read_safetensors_entry(&bytes, "half").unwrap_err().to_string();
        assert!(e.contains("F16 is not supported"), "{e}");
        for cut in [0, 7, 20, bytes.len() - 1] {
            let e = read_safetensors_entry(bytes.get(..cut).unwrap(), "fc1.bias").unwrap_err();
            assert!(matches!(e, ImportError::Malformed(_)), "cut at {cut}: {e}");
        }
    }
}
