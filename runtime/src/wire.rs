//! The wire format of messages between parties: ring tensors as raw little-endian `u64` words.
//!
//! Decoding checks the length against what the receiver expects and returns a typed error on a
//! mismatch; it never panics on a bad message. Control messages (the handshake's hello, the
//! dealer's requests) are bincode 2 with the one configuration of [`control_config`]. (The
//! program fingerprint has its own canonical encoding, in `mpcc_ir`.)

/// The bincode configuration of every control message: bincode's standard (variable-width)
/// integers, and a 4 KiB limit so that a bad message cannot make the receiver allocate.
pub fn control_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<4096>()
}

/// A message that does not have the expected form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("malformed message: expected {expected} bytes, got {got}")]
    Length { expected: usize, got: usize },
}

/// One little-endian word from a chunk of `chunks_exact(8)` (always 8 bytes; the conversion
/// compiles to a plain load).
#[inline(always)]
pub fn le_word(chunk: &[u8]) -> u64 {
    <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes)
}

/// Ring elements as little-endian bytes.
pub fn encode_u64s(words: &[u64]) -> Vec<u8> {
    // Appending (rather than zero-filling first) writes each byte once.
    let mut out = Vec::with_capacity(words.len() * 8);
    for w in words {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out
}

/// Exactly `expected` ring elements from little-endian bytes.
pub fn decode_u64s(bytes: &[u8], expected: usize) -> Result<Vec<u64>, WireError> {
    if bytes.len() != expected * 8 {
        return Err(WireError::Length { expected: expected * 8, got: bytes.len() });
    }
    Ok(bytes.chunks_exact(8).map(le_word).collect())
}

/// Folds exactly `acc.len()` little-endian words from `bytes` into `acc` with `f`, in one pass
/// (how openings combine the peers' shares without a temporary vector).
pub fn fold_u64s(bytes: &[u8], acc: &mut [u64], f: impl Fn(u64, u64) -> u64) -> Result<(), WireError> {
    if bytes.len() != acc.len() * 8 {
        return Err(WireError::Length { expected: acc.len() * 8, got: bytes.len() });
    }
    for (a, c) in acc.iter_mut().zip(bytes.chunks_exact(8)) {
        *a = f(*a, le_word(c));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_length() {
        let w = vec![0, 1, u64::MAX, 0x0102_0304_0506_0708];
        let b = encode_u64s(&w);
        assert_eq!(b.len(), 32);
        assert_eq!(b[24], 0x08);
        assert_eq!(decode_u64s(&b, 4).unwrap(), w);
        assert_eq!(decode_u64s(&b[..31], 4), Err(WireError::Length { expected: 32, got: 31 }));
    }
}
