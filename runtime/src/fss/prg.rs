//! The length-doubling generator of the DCF tree: fixed-key AES-128 (VAES or AES-NI, detected at
//! run time: `aes_wide.rs`) in the Matyas–Meyer–Oseas form `H(x) = AES_K(x) ⊕ x`, with a
//! small tweak per output block.
//!
//! A 128-bit seed `s` (bit 0 always clear) expands to
//! - `H(s ⊕ 0)`: the left child, whose bit 0 is the child's control bit `t` and whose other 127
//!   bits are the child's seed;
//! - `H(s ⊕ 1)`: the right child, likewise;
//! - `H(s ⊕ 2)`, `H(s ⊕ 3)`: the value words (`v` of the left and right child, one or two 64-bit
//!   words each, see [`value_blocks`]).
//!
//! `K` is a public constant: with a fixed key AES is modelled as a random permutation, and
//! `π(x) ⊕ x` is the correlation-robust hash the FSS implementations (LLAMA, Orca, SIGMA) use
//! for this tree. The seeds are 127 bits (the 128th is the control bit). Nothing here is secret
//! but the seeds the caller passes; nothing is logged.

/// The fixed public AES key (the first 128 bits of the fractional part of π).
const FIXED_KEY: [u8; 16] =
    [0x24, 0x3f, 0x6a, 0x88, 0x85, 0xa3, 0x08, 0xd3, 0x13, 0x19, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x44];

/// Blocks that hold the value words of both children: one block (two words) for one output
/// word per child, two blocks for two.
pub fn value_blocks(outputs: usize) -> usize {
    outputs.max(1)
}

/// Fixed-key AES as a hash `H(x) = AES_K(x) ⊕ x`, batched.
pub struct Prg {
    aes: crate::aes_wide::Aes128Wide,
}

impl Default for Prg {
    fn default() -> Self {
        Prg::new()
    }
}

impl Prg {
    pub fn new() -> Prg {
        Prg { aes: crate::aes_wide::Aes128Wide::new(&FIXED_KEY) }
    }

    /// `out[i] = H(inputs[i])`; `out` is resized to the inputs' length. The blocks go through
    /// AES in one call, so they are pipelined (16 at a time with VAES, `aes_wide`).
    pub fn hash(&mut self, inputs: &[u128], out: &mut Vec<u128>) {
        out.clear();
        out.extend_from_slice(inputs);
        self.aes.encrypt(out);
        out.iter_mut().zip(inputs).for_each(|(o, x)| *o ^= x);
    }
}

/// The low 64 bits of a block.
pub fn lo(x: u128) -> u64 {
    x as u64
}

/// The high 64 bits of a block.
pub fn hi(x: u128) -> u64 {
    (x >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::generic_array::GenericArray;
    use aes::cipher::{BlockEncrypt, KeyInit};
    use aes::Aes128;

    #[test]
    fn the_hash_is_aes_of_the_fips_vector_xored_with_its_input() {
        // FIPS-197 appendix B: key 2b7e1516…, plaintext 3243f6a8… → 3925841d…; with our key the
        // check is that H is deterministic, injective on a sample, and AES ⊕ input.
        let mut prg = Prg::new();
        let inputs: Vec<u128> = (0..100u128).map(|i| i * 0x9e37_79b9_7f4a_7c15).collect();
        let mut a = Vec::new();
        let mut b = Vec::new();
        prg.hash(&inputs, &mut a);
        prg.hash(&inputs, &mut b);
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), inputs.len());
        let aes = Aes128::new(&GenericArray::from(FIXED_KEY));
        let mut block = GenericArray::from(inputs[7].to_le_bytes());
        aes.encrypt_block(&mut block);
        assert_eq!(a[7], u128::from_le_bytes(block.into()) ^ inputs[7]);
    }

    #[test]
    fn the_fixed_key_encrypts_as_aes_128() {
        // FIPS-197 appendix C.1 with its own key, to pin that `Aes128` is the standard cipher.
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let pt: [u8; 16] = core::array::from_fn(|i| (i as u8) * 0x11);
        let aes = Aes128::new(&GenericArray::from(key));
        let mut block = GenericArray::from(pt);
        aes.encrypt_block(&mut block);
        let want = [0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a];
        assert_eq!(<[u8; 16]>::from(block), want);
    }
}
