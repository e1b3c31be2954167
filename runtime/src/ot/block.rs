//! 128-bit blocks: the bit-matrix transpose IKNP needs, and the correlation-robust hash.
//!
//! The hash is the tweakable circular correlation-robust (TCCR) hash of Guo, Katz, Wang and Yu
//! (IEEE S&P 2020, "Efficient and secure multiparty computation from fixed-key block ciphers"),
//! §7.4: `H(i, x) = π(π(x) ⊕ i) ⊕ π(x)`, `π` AES-128 under a fixed public key. The `aes` crate
//! picks AES-NI at run time when the CPU has it; blocks are hashed in batches so that the
//! pipelined instructions are used.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::{Aes128, Block};

/// The public fixed key of `π` (any constant: the hash is secure with the key known to all).
const FIXED_KEY: [u8; 16] = *b"mpcc ot tccr key";

/// Transposes a 128×128 bit matrix in place: bit `c` of `rows[r]` becomes bit `r` of `rows[c]`
/// (bit 0 the least significant). The recursive block swap of Hacker's Delight §7-3.
pub fn transpose128(rows: &mut [u128; 128]) {
    let mut width = 64usize;
    let mut mask: u128 = u128::from(u64::MAX);
    while width != 0 {
        for pair in rows.chunks_exact_mut(2 * width) {
            let (top, bottom) = pair.split_at_mut(width);
            for (a, b) in top.iter_mut().zip(bottom.iter_mut()) {
                let t = ((*a >> width) ^ *b) & mask;
                *a ^= t << width;
                *b ^= t;
            }
        }
        width >>= 1;
        mask ^= mask << width;
    }
}

/// The TCCR hash, reusable across calls (the key schedule runs once).
pub struct Tccr {
    pi: Aes128,
    ys: Vec<Block>,
    zs: Vec<Block>,
}

impl Default for Tccr {
    fn default() -> Self {
        Tccr { pi: Aes128::new(&FIXED_KEY.into()), ys: Vec::new(), zs: Vec::new() }
    }
}

impl Tccr {
    /// `out[j] = H(tweak0 + j, xs[j])` for every `j`.
    pub fn hash(&mut self, tweak0: u64, xs: &[u128], out: &mut Vec<u128>) {
        self.ys.clear();
        self.ys.extend(xs.iter().map(|x| Block::from(x.to_le_bytes())));
        self.pi.encrypt_blocks(&mut self.ys);
        self.zs.clear();
        self.zs.extend(self.ys.iter().enumerate().map(|(j, y)| {
            let tweak = u128::from(tweak0.wrapping_add(j as u64));
            Block::from((block_u128(y) ^ tweak).to_le_bytes())
        }));
        self.pi.encrypt_blocks(&mut self.zs);
        out.clear();
        out.extend(self.ys.iter().zip(&self.zs).map(|(y, z)| block_u128(y) ^ block_u128(z)));
    }
}

fn block_u128(b: &Block) -> u128 {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(b.as_slice());
    u128::from_le_bytes(bytes)
}
