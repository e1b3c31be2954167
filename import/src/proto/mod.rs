//! ONNX's protobuf messages ([`onnx`], generated) and decoding a model from bytes.

#[allow(clippy::all, clippy::pedantic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
pub mod onnx;

use crate::ImportError;
use prost::Message;

/// Decodes a `ModelProto`; a truncated or corrupted file is [`ImportError::Malformed`].
pub fn decode_model(bytes: &[u8]) -> Result<onnx::ModelProto, ImportError> {
    let model = onnx::ModelProto::decode(bytes)
        .map_err(|e| ImportError::Malformed(format!("not a valid ONNX protobuf ({e})")))?;
    if model.graph.is_none() {
        return Err(ImportError::Malformed("the file decodes, but holds no graph: not an ONNX model".into()));
    }
    Ok(model)
}
