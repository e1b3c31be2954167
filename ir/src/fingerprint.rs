//! The fingerprint of a run: SHA-256 of a canonical binary encoding of the whole program (every
//! constant in full, the params' values, parties, variables, spans) together with what the
//! caller says every party must also agree on: the protocol version, the precision and the
//! party count. Two parties with the same fingerprint run the same computation.
//!
//! The encoding is bincode 2 over the IR's serde derives, with fixed-width little-endian
//! integers (`usize` as 8 bytes), lengths before every sequence, enum variants by index and
//! `f64` as its raw IEEE bits (so `-0.0` and `0.0`, or two NaN payloads, differ). It is canonical:
//! the IR holds only vectors, options, enums, strings and numbers, never a map or set whose
//! iteration order could vary, so equal programs encode to equal bytes on every platform. The
//! bytes are streamed into the hash; nothing is kept. This file does no IO.

use crate::Program;
use bincode::enc::write::Writer;
use bincode::error::EncodeError;
use sha2::{Digest, Sha256};

/// Prepended to the hashed bytes so that a fingerprint cannot collide with another SHA-256 use.
const DOMAIN: &[u8] = b"mpcc program fingerprint\0";

/// What a run must agree on besides the program; the executor, not the IR, knows these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunContext {
    /// The version of the wire protocol (the runtime's `PROTOCOL_VERSION`).
    pub protocol_version: u32,
    /// Fixed-point precision: fractional bits.
    pub frac_bits: u32,
    /// How many parties run the program.
    pub n_parties: u64,
}

/// The one bincode configuration of the canonical encoding (see the module doc).
fn canonical_config() -> impl bincode::config::Config {
    bincode::config::standard().with_fixed_int_encoding().with_little_endian()
}

/// A bincode writer that feeds the hash.
struct HashWriter(Sha256);

impl Writer for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.0.update(bytes);
        Ok(())
    }
}

impl Program {
    /// SHA-256 of the canonical encoding of `context` and the whole program (see the module
    /// doc). Equal fingerprints mean equal programs, params, precision, party count and protocol.
    ///
    /// Encoding cannot fail for the IR's types (no map, no unsized sequence, an infallible
    /// writer); the error is returned rather than assumed away.
    pub fn fingerprint(&self, context: &RunContext) -> Result<[u8; 32], EncodeError> {
        let mut writer = HashWriter(Sha256::new());
        writer.write(DOMAIN)?;
        writer.write(&context.protocol_version.to_le_bytes())?;
        writer.write(&context.frac_bits.to_le_bytes())?;
        writer.write(&context.n_parties.to_le_bytes())?;
        bincode::serde::encode_into_writer(self, &mut writer, canonical_config())?;
        Ok(writer.0.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Block, DType, Op, Span, Stmt, Tensor, ValueDef, ValueId, ValueInfo};

    /// A program printing one constant of `n` elements, the `i`-th of them set to `x`.
    fn literal_program(n: usize, i: usize, x: f64) -> Program {
        let mut data: Vec<f64> = (0..n).map(|k| k as f64 * 0.5).collect();
        if let Some(slot) = data.get_mut(i) {
            *slot = x;
        }
        let value = ValueDef {
            op: Op::Const(Tensor { shape: vec![n], data }),
            info: ValueInfo::public(DType::Real, crate::Shape::known(&[n])),
            span: Span::new(0, 10),
        };
        Program {
            parties: vec!["ALICE".to_string(), "BOB".to_string()],
            params: vec![("lr".to_string(), 0.1)],
            values: vec![value],
            vars: Vec::new(),
            body: Block(vec![Stmt::Eval(ValueId(0))]),
        }
    }

    const CONTEXT: RunContext = RunContext { protocol_version: 2, frac_bits: 16, n_parties: 2 };

    fn check(a: &Program, ca: &RunContext, b: &Program, cb: &RunContext, same: bool) {
        assert_eq!(a.fingerprint(ca).unwrap() == b.fingerprint(cb).unwrap(), same);
    }

    #[test]
    fn every_constant_and_the_run_context_count() {
        let base = literal_program(1000, 499, 249.5);
        check(&base, &CONTEXT, &literal_program(1000, 499, 249.5), &CONTEXT, true);
        check(&base, &CONTEXT, &literal_program(1000, 499, 250.0), &CONTEXT, false);
        check(&base, &CONTEXT, &literal_program(1000, 999, 1.0), &CONTEXT, false);
        check(&literal_program(4, 0, 0.0), &CONTEXT, &literal_program(4, 0, -0.0), &CONTEXT, false);
        check(&base, &CONTEXT, &base, &RunContext { frac_bits: 20, ..CONTEXT }, false);
        check(&base, &CONTEXT, &base, &RunContext { n_parties: 3, ..CONTEXT }, false);
        check(&base, &CONTEXT, &base, &RunContext { protocol_version: 3, ..CONTEXT }, false);
        let mut other_param = base.clone();
        other_param.params = vec![("lr".to_string(), 0.2)];
        check(&base, &CONTEXT, &other_param, &CONTEXT, false);
    }
}
