//! ONNX tensors (`TensorProto`) as `f64` arrays: the element types a model's weights and
//! constants come in, from `raw_data` (little-endian) or the typed fields.

use crate::proto::onnx::{tensor_proto::DataType, TensorProto};
use crate::{Array, ImportError};

/// The `f64` array of a tensor; `what` names it in errors (e.g. "initializer `fc1.weight`").
pub(crate) fn to_array(t: &TensorProto, what: &str) -> Result<Array, ImportError> {
    let bad = |why: String| ImportError::Model(format!("{what}: {why}"));
    if !t.external_data.is_empty() || t.data_location == Some(1) {
        return Err(bad("its data is in an external file, which mpcc does not read; save the model with \
                        the weights inside (`onnx.save(model, path, save_as_external_data=False)`)"
            .into()));
    }
    let dims: Vec<usize> = t
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| bad(format!("negative dimension {d}"))))
        .collect::<Result<_, _>>()?;
    let count =
        dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or_else(|| bad("too many elements".into()))?;
    let dtype = DataType::try_from(t.data_type()).unwrap_or(DataType::Undefined);
    let raw = t.raw_data.as_deref();
    let values: Vec<f64> = match (dtype, raw) {
        (DataType::Float, Some(raw)) => le::<4>(raw, count, what)?.map(|b| f64::from(f32::from_le_bytes(b))).collect(),
        (DataType::Double, Some(raw)) => le::<8>(raw, count, what)?.map(f64::from_le_bytes).collect(),
        (DataType::Int64, Some(raw)) => le::<8>(raw, count, what)?.map(|b| i64::from_le_bytes(b) as f64).collect(),
        (DataType::Int32, Some(raw)) => le::<4>(raw, count, what)?.map(|b| f64::from(i32::from_le_bytes(b))).collect(),
        (DataType::Float, None) => t.float_data.iter().map(|&v| f64::from(v)).collect(),
        (DataType::Double, None) => t.double_data.clone(),
        (DataType::Int64, None) => t.int64_data.iter().map(|&v| v as f64).collect(),
        (DataType::Int32, None) => t.int32_data.iter().map(|&v| f64::from(v)).collect(),
        (other, _) => {
            return Err(bad(format!(
                "element type {} is not supported (FLOAT, DOUBLE, INT64 and INT32 are)",
                other.as_str_name()
            )))
        }
    };
    if values.len() != count {
        return Err(bad(format!("{} values for dimensions {:?} ({count} expected)", values.len(), dims)));
    }
    Array::from_shape_vec(ndarray::IxDyn(&dims), values).map_err(|e| bad(e.to_string()))
}

/// `count` little-endian elements of `N` bytes from `raw`, checked for length.
fn le<'r, const N: usize>(
    raw: &'r [u8],
    count: usize,
    what: &str,
) -> Result<impl Iterator<Item = [u8; N]> + 'r, ImportError> {
    if raw.len() != count.saturating_mul(N) {
        return Err(ImportError::Model(format!(
            "{what}: raw data of {} bytes for {count} elements of {N} bytes (truncated or corrupted)",
            raw.len()
        )));
    }
    Ok(raw.chunks_exact(N).map(|c| {
        let mut b = [0u8; N];
        b.copy_from_slice(c);
        b
    }))
}

/// The initializer `name` of an ONNX model file's bytes, as `load("model.onnx:NAME")` reads it.
pub fn read_onnx_initializer(bytes: &[u8], name: &str) -> Result<Array, ImportError> {
    let model = crate::proto::decode_model(bytes)?;
    let graph = model.graph.unwrap_or_default();
    match graph.initializer.iter().find(|t| t.name() == name) {
        Some(t) => to_array(t, &format!("initializer `{name}`")),
        None => Err(ImportError::NoEntry {
            name: name.to_string(),
            names: graph.initializer.iter().map(|t| t.name().to_string()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(dims: &[i64], data_type: DataType, raw: Option<Vec<u8>>) -> TensorProto {
        TensorProto { dims: dims.to_vec(), data_type: Some(data_type as i32), raw_data: raw, ..Default::default() }
    }

    #[test]
    fn raw_and_typed_data_of_every_supported_type() {
        let raw: Vec<u8> = [1.5f32, -2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let a = to_array(&tensor(&[2], DataType::Float, Some(raw)), "t").unwrap();
        assert_eq!(a.as_slice().unwrap(), &[1.5, -2.0]);
        let raw: Vec<u8> = [3i64, -4].iter().flat_map(|v| v.to_le_bytes()).collect();
        let a = to_array(&tensor(&[1, 2], DataType::Int64, Some(raw)), "t").unwrap();
        assert_eq!(a.shape(), &[1, 2]);
        assert_eq!(a.as_slice().unwrap(), &[3.0, -4.0]);
        let mut t = tensor(&[], DataType::Double, None);
        t.double_data = vec![0.25];
        assert_eq!(to_array(&t, "t").unwrap().ndim(), 0);
    }

    #[test]
    fn short_data_and_unsupported_types_are_errors() {
        let e = to_array(&tensor(&[3], DataType::Float, Some(vec![0; 8])), "initializer `w`").unwrap_err();
        assert!(e.to_string().contains("initializer `w`: raw data of 8 bytes for 3 elements"), "{e}");
        let e = to_array(&tensor(&[1], DataType::Float16, Some(vec![0; 2])), "t").unwrap_err();
        assert!(e.to_string().contains("FLOAT16 is not supported"), "{e}");
        let e = to_array(&tensor(&[-1], DataType::Float, None), "t").unwrap_err();
        assert!(e.to_string().contains("negative dimension"), "{e}");
    }
}
