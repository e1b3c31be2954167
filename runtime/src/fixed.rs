//! Fixed-point encoding of reals into Z_2^64: `x ↦ round(x · 2^f)` as a two's-complement integer,
//! with `f` fractional bits (default 16).
//!
//! Encoding a value that does not fit (or is not finite) is a typed error carrying the value; it
//! never wraps silently. Decoding reads a ring element as signed and divides by 2^scale. This file
//! only converts plaintext; it does no sharing.

use crate::ring::RingTensor;
use ndarray::ArrayD;

/// The default number of fractional bits.
pub const DEFAULT_FRAC_BITS: u32 = 16;

/// The fewest fractional bits a run may use. Below 8 the nonlinear approximations (docs/accuracy.md)
/// lose their meaning (their inputs and results are coarser than 1/256).
pub const MIN_FRAC_BITS: u32 = 8;

/// The most fractional bits a run may use. A product of two encodings must fit the truncation's
/// range, |x·y|·2^(2f) < 2^62, so at f bits two values of magnitude up to 2^(31-f) multiply;
/// at 20 bits that is 2048 (|x·y| < 2^22), and division's factor (2^-20 relative error) no
/// longer gains from more bits. docs/numbers.md has the table.
pub const MAX_FRAC_BITS: u32 = 20;

/// The largest magnitude an encoded integer may have: 2^62. Keeping one bit of headroom below the
/// ring's sign bit lets a difference of two encodings (comparisons) and the truncation protocol's
/// shift by 2^62 stay exact.
pub const MAX_ENCODED: f64 = 4_611_686_018_427_387_904.0; // 2^62

/// A value that cannot be encoded.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FixedError {
    #[error("value {value} is outside the fixed-point range ±{limit} ({frac_bits} fractional bits)")]
    OutOfRange { value: f64, limit: f64, frac_bits: u32 },
    #[error("value {value} is not a finite number")]
    NotFinite { value: f64 },
    #[error("{frac_bits} fractional bits is outside the supported range {min}..={max} (a product of two values must fit the ring; see docs/numbers.md)", min = MIN_FRAC_BITS, max = MAX_FRAC_BITS)]
    BadPrecision { frac_bits: u32 },
}

/// A fixed-point format: the number of fractional bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedPoint {
    pub frac_bits: u32,
}

impl Default for FixedPoint {
    fn default() -> Self {
        FixedPoint { frac_bits: DEFAULT_FRAC_BITS }
    }
}

impl FixedPoint {
    /// A format with `frac_bits` fractional bits, in `MIN_FRAC_BITS..=MAX_FRAC_BITS` (so that
    /// products of two encodings of moderate values fit the ring).
    pub fn new(frac_bits: u32) -> Result<Self, FixedError> {
        if !(MIN_FRAC_BITS..=MAX_FRAC_BITS).contains(&frac_bits) {
            return Err(FixedError::BadPrecision { frac_bits });
        }
        Ok(FixedPoint { frac_bits })
    }

    /// The largest magnitude of a real that encodes at this precision.
    pub fn limit(&self) -> f64 {
        MAX_ENCODED / self.unit()
    }

    /// 2^f as a float.
    pub fn unit(&self) -> f64 {
        (1u64 << self.frac_bits) as f64
    }

    /// One real to a ring element at this format's scale.
    pub fn encode_one(&self, value: f64) -> Result<u64, FixedError> {
        encode_scaled(value, self.frac_bits)
    }

    /// A tensor of reals to ring elements.
    pub fn encode(&self, x: &ArrayD<f64>) -> Result<RingTensor, FixedError> {
        encode_tensor(x, self.frac_bits)
    }

    /// Ring elements at this format's scale back to reals.
    pub fn decode(&self, x: &RingTensor) -> ArrayD<f64> {
        decode_tensor(x, self.frac_bits)
    }
}

/// One real at `scale` fractional bits (scale 0 encodes integers and 0/1 bits).
pub fn encode_scaled(value: f64, scale: u32) -> Result<u64, FixedError> {
    if !value.is_finite() {
        return Err(FixedError::NotFinite { value });
    }
    let unit = (1u64 << scale.min(62)) as f64;
    let scaled = (value * unit).round();
    if scaled.abs() >= MAX_ENCODED {
        return Err(FixedError::OutOfRange { value, limit: MAX_ENCODED / unit, frac_bits: scale });
    }
    Ok(scaled as i64 as u64)
}

/// A tensor of reals at `scale` fractional bits.
pub fn encode_tensor(x: &ArrayD<f64>, scale: u32) -> Result<RingTensor, FixedError> {
    let mut out = ArrayD::<u64>::zeros(x.raw_dim());
    for (o, &v) in out.iter_mut().zip(x.iter()) {
        *o = encode_scaled(v, scale)?;
    }
    Ok(out)
}

/// Ring elements at `scale` fractional bits back to reals.
pub fn decode_tensor(x: &RingTensor, scale: u32) -> ArrayD<f64> {
    let unit = (1u64 << scale.min(62)) as f64;
    x.mapv(|v| (v as i64) as f64 / unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_within_half_ulp() {
        let fp = FixedPoint::default();
        for &v in &[0.0, 1.0, -1.0, 1.23456, -2.5e-5, 1e9, -1e9] {
            let back = decode_tensor(&ndarray::arr0(fp.encode_one(v).unwrap()).into_dyn(), 16)[[]];
            assert!((back - v).abs() <= 0.5 / 65536.0 + 1e-12, "{v} -> {back}");
        }
    }

    #[test]
    fn precision_outside_its_range_is_a_typed_error() {
        for f in [0, 7, 21, 24, 31, 40, 64] {
            assert_eq!(FixedPoint::new(f), Err(FixedError::BadPrecision { frac_bits: f }));
        }
        for f in MIN_FRAC_BITS..=MAX_FRAC_BITS {
            assert_eq!(FixedPoint::new(f).map(|p| p.frac_bits), Ok(f));
        }
        let message = FixedError::BadPrecision { frac_bits: 24 }.to_string();
        assert!(message.contains("24") && message.contains("8..=20"), "{message}");
    }

    #[test]
    fn out_of_range_is_an_error_with_the_value() {
        let fp = FixedPoint::default();
        match fp.encode_one(1e14) {
            Err(FixedError::OutOfRange { value, .. }) => assert_eq!(value, 1e14),
            other => panic!("expected an out-of-range error, got {other:?}"),
        }
        assert!(matches!(fp.encode_one(f64::NAN), Err(FixedError::NotFinite { .. })));
        assert!(fp.encode_one(fp.limit() * 0.99).is_ok());
        assert!(fp.encode_one(-fp.limit()).is_err());
    }
}
