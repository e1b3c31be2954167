//! AES-128 encryption of many blocks at once, with VAES (four blocks per AVX-512 instruction,
//! sixteen in flight) when the CPU has it, detected at run time; otherwise the `aes` crate
//! (AES-NI or its constant-time software fallback). Both give the standard cipher (FIPS-197): the
//! tests compare them block for block and against the FIPS vectors.
//!
//! Used where the engine spends its time on AES: the counter-mode generator of every mask and
//! dealer stream (`csprng.rs`) and the fixed-key hash of the DCF tree (`fss/prg.rs`). Blocks are
//! `u128`s whose little-endian bytes are the AES block (the byte order of `u128::to_le_bytes`).
//!
//! The VAES kernels are `unsafe` only for the intrinsics, which need the `vaes` and `avx512f`
//! features; [`Aes128Wide::new`] checks both once, and every load and store is unaligned and
//! within the slices' bounds (whole chunks of 16 blocks; the rest goes through the `aes` crate).

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;

/// Blocks per VAES iteration: four registers of four blocks.
const WIDE: usize = 16;

/// An AES-128 key, ready for batches of blocks.
#[derive(Clone)]
pub struct Aes128Wide {
    fallback: Aes128,
    /// The 11 round keys when VAES is available.
    round_keys: Option<[u128; 11]>,
}

impl Aes128Wide {
    /// The cipher under `key`; VAES is used if this CPU has it.
    pub fn new(key: &[u8; 16]) -> Aes128Wide {
        let fallback = Aes128::new(&GenericArray::from(*key));
        Aes128Wide { fallback, round_keys: vaes_available().then(|| expand_key(key)) }
    }

    /// The same cipher without VAES (tests compare the two).
    pub fn without_vaes(key: &[u8; 16]) -> Aes128Wide {
        Aes128Wide { fallback: Aes128::new(&GenericArray::from(*key)), round_keys: None }
    }

    /// `blocks[i] = AES_K(blocks[i])`.
    pub fn encrypt(&self, blocks: &mut [u128]) {
        let mut rest: &mut [u128] = blocks;
        if let Some(rk) = &self.round_keys {
            let whole = rest.len() / WIDE * WIDE;
            let (head, tail) = rest.split_at_mut(whole);
            // SAFETY: `round_keys` is `Some` only when `vaes_available()` said both features are
            // present; `encrypt_wide` reads and writes whole chunks of `head` only.
            unsafe { encrypt_wide(rk, head) };
            rest = tail;
        }
        for b in rest.iter_mut() {
            let mut block = GenericArray::from(b.to_le_bytes());
            self.fallback.encrypt_block(&mut block);
            *b = u128::from_le_bytes(block.into());
        }
    }

    /// Counter mode: `out[i] = AES_K(counter + i)` (wrapping), the counter's little-endian bytes
    /// as the block.
    pub fn ctr(&self, counter: u128, out: &mut [u128]) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = counter.wrapping_add(i as u128);
        }
        self.encrypt(out);
    }
}

fn vaes_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("vaes")
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("aes")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The AES S-box (FIPS-197, figure 7), for the key schedule.
const SBOX: [u8; 256] = [
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76, 0xca, 0x82, 0xc9,
    0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0, 0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f,
    0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15, 0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07,
    0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75, 0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3,
    0x29, 0xe3, 0x2f, 0x84, 0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58,
    0xcf, 0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8, 0x51, 0xa3,
    0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2, 0xcd, 0x0c, 0x13, 0xec, 0x5f,
    0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73, 0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88,
    0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb, 0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac,
    0x62, 0x91, 0x95, 0xe4, 0x79, 0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a,
    0xae, 0x08, 0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a, 0x70,
    0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e, 0xe1, 0xf8, 0x98, 0x11,
    0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf, 0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42,
    0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
];

/// The AES-128 key schedule (FIPS-197 §5.2): 11 round keys, each as the `u128` of its bytes.
fn expand_key(key: &[u8; 16]) -> [u128; 11] {
    let mut w = [[0u8; 4]; 44];
    for (i, word) in w.iter_mut().take(4).enumerate() {
        for (j, b) in word.iter_mut().enumerate() {
            *b = key.get(4 * i + j).copied().unwrap_or(0);
        }
    }
    let mut rcon = 1u8;
    for i in 4..44 {
        let mut t = w.get(i - 1).copied().unwrap_or_default();
        if i % 4 == 0 {
            let [a, b, c, d] = t.map(|b| SBOX.get(b as usize).copied().unwrap_or(0));
            t = [b ^ rcon, c, d, a];
            rcon = (rcon << 1) ^ if rcon & 0x80 != 0 { 0x1b } else { 0 };
        }
        let [p0, p1, p2, p3] = w.get(i - 4).copied().unwrap_or_default();
        let [t0, t1, t2, t3] = t;
        if let Some(slot) = w.get_mut(i) {
            *slot = [p0 ^ t0, p1 ^ t1, p2 ^ t2, p3 ^ t3];
        }
    }
    let mut keys = [0u128; 11];
    for (r, k) in keys.iter_mut().enumerate() {
        let mut bytes = [0u8; 16];
        for (j, b) in bytes.iter_mut().enumerate() {
            *b = w.get(4 * r + j / 4).and_then(|word| word.get(j % 4)).copied().unwrap_or(0);
        }
        *k = u128::from_le_bytes(bytes);
    }
    keys
}

/// Encrypts `blocks` (a whole number of chunks of [`WIDE`]) with VAES.
///
/// # Safety
/// The CPU must have the `vaes`, `avx512f` and `aes` features.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,vaes,aes")]
unsafe fn encrypt_wide(round_keys: &[u128; 11], blocks: &mut [u128]) {
    use std::arch::x86_64::*;
    // Each round key in all four 128-bit lanes.
    let [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10] = round_keys.map(|k| {
        let lo = k as u64 as i64;
        let hi = (k >> 64) as u64 as i64;
        _mm512_set_epi64(hi, lo, hi, lo, hi, lo, hi, lo)
    });
    let middle = [r1, r2, r3, r4, r5, r6, r7, r8, r9];
    for chunk in blocks.chunks_exact_mut(WIDE) {
        let p = chunk.as_mut_ptr() as *mut __m512i;
        // SAFETY: `chunk` holds 16 u128s = 256 bytes = four unaligned 64-byte vectors.
        let mut s: [__m512i; 4] = core::array::from_fn(|i| unsafe { _mm512_loadu_si512(p.add(i)) });
        for v in s.iter_mut() {
            *v = _mm512_xor_si512(*v, r0);
        }
        for k in &middle {
            for v in s.iter_mut() {
                *v = _mm512_aesenc_epi128(*v, *k);
            }
        }
        for (i, v) in s.iter().enumerate() {
            let out = _mm512_aesenclast_epi128(*v, r10);
            // SAFETY: as the loads.
            unsafe { _mm512_storeu_si512(p.add(i), out) };
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn encrypt_wide(_round_keys: &[u128; 11], _blocks: &mut [u128]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_paths_encrypt_as_fips_197_and_agree_block_for_block() {
        // FIPS-197 appendix C.1.
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let pt: [u8; 16] = core::array::from_fn(|i| (i as u8) * 0x11);
        let want: [u8; 16] =
            [0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a];
        // Appendix A.1's last round key of the key 2b7e1516…: d014f9a8 c9ee2589 e13f0cc8 b6630ca6.
        let ka: [u8; 16] =
            [0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c];
        let last: [u8; 16] =
            [0xd0, 0x14, 0xf9, 0xa8, 0xc9, 0xee, 0x25, 0x89, 0xe1, 0x3f, 0x0c, 0xc8, 0xb6, 0x63, 0x0c, 0xa6];
        assert_eq!(expand_key(&ka)[10], u128::from_le_bytes(last));
        for cipher in [Aes128Wide::new(&key), Aes128Wide::without_vaes(&key)] {
            // 40 blocks: two VAES chunks and a remainder (or all by the fallback).
            let mut blocks = vec![u128::from_le_bytes(pt); 40];
            cipher.encrypt(&mut blocks);
            assert!(blocks.iter().all(|b| *b == u128::from_le_bytes(want)));
        }
        let inputs: Vec<u128> =
            (0..1000u128).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)).collect();
        let (mut a, mut b) = (inputs.clone(), inputs);
        Aes128Wide::new(&ka).encrypt(&mut a);
        Aes128Wide::without_vaes(&ka).encrypt(&mut b);
        assert_eq!(a, b);
        let (mut c, mut d) = (vec![0u128; 77], vec![0u128; 77]);
        Aes128Wide::new(&ka).ctr(u128::MAX - 5, &mut c);
        Aes128Wide::without_vaes(&ka).ctr(u128::MAX - 5, &mut d);
        assert_eq!(c, d);
    }
}
