//! Distributed comparison functions (Boyle, Chandran, Gilboa, Gupta, Ishai, Kumar, Rathee:
//! "Function Secret Sharing for Mixed-Mode and Fixed-Point Secure Computation", Eurocrypt 2021,
//! figure 3): two keys for `f(x) = β if x < α else 0` on 63-bit inputs, with `β` in
//! `(Z_2^64)^k` for `k` = 1 or 2 output words. Each key alone is pseudorandom; evaluating both on
//! the same public `x` gives additive shares of `f(x)`.
//!
//! A key is the party's 127-bit root seed plus correction words common to both parties:
//! per level (most significant bit first) the seed correction (2 words) and `k` value
//! corrections, then two words of control-bit corrections (bit `i` of the first for the left
//! child at level `i`, of the second for the right one), then `k` final words:
//! [`key_words`]`(k)` = 63·(2+k) + 2 + k words (192 for k = 1, 256 for k = 2). The words of a
//! batch are stored level-major by chunks of 64 instances (`Layout`), so that evaluating a chunk
//! level by level reads its keys front to back.
//!
//! Work: generating one pair of keys hashes 2·(2+k) blocks per level; evaluating one key hashes
//! 2 blocks per level. Both run over batches of instances so that AES-NI pipelines the blocks.
//! The root seeds come from the caller (the dealer streams); nothing here draws randomness.

use super::prg::{hi, lo, Prg};

/// Input bits of the comparison (the low 63 bits of a word).
pub const DCF_BITS: usize = 63;

/// Instances processed together (one AES call per level for all of them).
const CHUNK: usize = 64;

/// Points walked together by `eval_points` (a level's frontier of at most this many nodes).
const POINT_BATCH: usize = 1024;

/// The low 63 bits (the input domain).
const LOW: u64 = (1 << 63) - 1;

/// Correction words common to both keys of one instance with `outputs` output words.
pub fn key_words(outputs: usize) -> usize {
    DCF_BITS * (2 + outputs) + 2 + outputs
}

/// Where the words of instance `j` sit among the keys of a chunk of `len` instances (at most
/// `CHUNK`; chunks follow each other): level-major, so that one level of the whole chunk is
/// contiguous and a walk over the chunk reads the keys front to back.
struct Layout {
    len: usize,
    k: usize,
}

impl Layout {
    fn level(&self, level: usize, j: usize) -> std::ops::Range<usize> {
        let stride = 2 + self.k;
        let at = (level * self.len + j) * stride;
        at..at + stride
    }

    /// The control-bit words (left, right) of instance `j`.
    fn tbits(&self, j: usize) -> std::ops::Range<usize> {
        let at = DCF_BITS * self.len * (2 + self.k) + 2 * j;
        at..at + 2
    }

    /// The final words of instance `j`.
    fn fin(&self, j: usize) -> std::ops::Range<usize> {
        let at = DCF_BITS * self.len * (2 + self.k) + 2 * self.len + j * self.k;
        at..at + self.k
    }
}

/// A malformed call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DcfError {
    #[error("a DCF has 1 or 2 output words, not {0}")]
    Outputs(usize),
    #[error("DCF {what}: expected {expected} words, got {got}")]
    Length { what: &'static str, expected: usize, got: usize },
    #[error("a DCF key belongs to party 0 or 1, not {0}")]
    Party(usize),
}

/// A root seed from two dealer words (bit 0 cleared: it is the control bit's place).
pub fn root_seed(lo: u64, hi: u64) -> u128 {
    (((hi as u128) << 64) | lo as u128) & !1
}

/// The root seeds of a run of instances from their words as a dealer stream draws them (two
/// per seed, low word first).
pub fn root_seeds(words: &[u64]) -> Vec<u128> {
    words
        .chunks_exact(2)
        .map(|w| match w {
            [lo, hi] => root_seed(*lo, *hi),
            _ => 0,
        })
        .collect()
}

fn neg_if(negate: bool, x: u64) -> u64 {
    if negate {
        x.wrapping_neg()
    } else {
        x
    }
}

/// Value word `m` of child `dir` from the value block(s) of a seed: with one output word both
/// children's words share one block (low, high); with two, child `dir` has its own block.
fn v_word(block: u128, outputs: usize, dir: usize, m: usize) -> u64 {
    let low = if outputs == 1 { dir == 0 } else { m == 0 };
    if low {
        lo(block)
    } else {
        hi(block)
    }
}

/// Output word `m` of a leaf seed.
fn convert(s: u128, m: usize) -> u64 {
    if m == 0 {
        hi(s)
    } else {
        lo(s)
    }
}

fn check_outputs(outputs: usize) -> Result<(), DcfError> {
    if outputs == 1 || outputs == 2 {
        Ok(())
    } else {
        Err(DcfError::Outputs(outputs))
    }
}

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<(), DcfError> {
    if expected == got {
        Ok(())
    } else {
        Err(DcfError::Length { what, expected, got })
    }
}

/// The correction words of `n` instances (`n = alphas.len()`): instance `j` compares with
/// `alphas[j] mod 2^63` and outputs `betas[j·k..(j+1)·k]`; `roots[b][j]` is party `b`'s root seed.
/// Returns `n · key_words(k)` words.
pub fn gen(
    prg: &mut Prg,
    outputs: usize,
    alphas: &[u64],
    betas: &[u64],
    roots: [&[u128]; 2],
) -> Result<Vec<u64>, DcfError> {
    check_outputs(outputs)?;
    let n = alphas.len();
    check_len("betas", n * outputs, betas.len())?;
    check_len("root seeds of party 0", n, roots[0].len())?;
    check_len("root seeds of party 1", n, roots[1].len())?;
    let mut keys = vec![0u64; n * key_words(outputs)];
    if outputs == 1 {
        gen_keys::<1>(prg, alphas, betas, roots, &mut keys);
    } else {
        gen_keys::<2>(prg, alphas, betas, roots, &mut keys);
    }
    Ok(keys)
}

/// [`gen`] with `K` output words, into `keys` (zeroed, `n · key_words(K)` words). Per level,
/// both parties' seeds of a chunk are hashed in one batch; the rest is branch-free per instance.
fn gen_keys<const K: usize>(prg: &mut Prg, alphas: &[u64], betas: &[u64], roots: [&[u128]; 2], keys: &mut [u64]) {
    let words = key_words(K);
    let stride = 2 + K;
    // Blocks hashed per instance and party: left, right, then the value blocks.
    let per_party = 2 + K;
    let mut inputs: Vec<u128> = Vec::with_capacity(CHUNK * 2 * per_party);
    let mut hashed: Vec<u128> = Vec::with_capacity(CHUNK * 2 * per_party);
    let (mut s, mut t, mut va): (Vec<[u128; 2]>, Vec<[u64; 2]>, Vec<u64>) = (Vec::new(), Vec::new(), Vec::new());
    let [roots0, roots1] = roots;
    let chunks = alphas
        .chunks(CHUNK)
        .zip(betas.chunks(CHUNK * K))
        .zip(roots0.chunks(CHUNK).zip(roots1.chunks(CHUNK)))
        .zip(keys.chunks_mut(CHUNK * words));
    for (((alpha, beta), (r0, r1)), key) in chunks {
        let len = alpha.len();
        s.clear();
        s.extend(r0.iter().zip(r1).map(|(&a, &b)| [a & !1, b & !1]));
        // Control bits as masks (all ones or zero): party 0's starts at 0, party 1's at 1.
        t.clear();
        t.resize(len, [0, u64::MAX]);
        va.clear();
        va.resize(len * K, 0);
        let (levels, rest) = key.split_at_mut((DCF_BITS * len * stride).min(key.len()));
        let (tbits, fin) = rest.split_at_mut((2 * len).min(rest.len()));
        for (level, level_keys) in levels.chunks_exact_mut(len * stride).enumerate() {
            inputs.clear();
            for pair in &s {
                for seed in pair {
                    inputs.extend([*seed, seed ^ 1]);
                    inputs.extend((0..K).map(|d| seed ^ (2 + d as u128)));
                }
            }
            prg.hash(&inputs, &mut hashed);
            let shift = DCF_BITS - 1 - level;
            let per = alpha.iter().zip(beta.chunks_exact(K)).zip(s.iter_mut().zip(t.iter_mut()));
            let out = level_keys.chunks_exact_mut(stride).zip(tbits.chunks_exact_mut(2));
            let state = va.chunks_exact_mut(K).zip(hashed.chunks_exact(2 * per_party));
            for ((((&alpha, beta), (s, t)), (cw, tw)), (va, h)) in per.zip(out).zip(state) {
                let (h0, h1) = h.split_at(per_party);
                let ([l0, r0, v0 @ ..], [l1, r1, v1 @ ..], [s_lo, s_hi, vcws @ ..], [tl, tr]) = (h0, h1, cw, tw) else {
                    continue;
                };
                let a = (alpha >> shift) & 1;
                let amask = a.wrapping_neg();
                let wide = |m: u64| u128::from(m) | (u128::from(m) << 64);
                // The children on α's path (keep) and off it (lose), per party, selected without
                // a branch (α's bits are random: a branch would be mispredicted half the time).
                let pick = wide(amask);
                let (keep0, keep1) = ((r0 & pick) | (l0 & !pick), (r1 & pick) | (l1 & !pick));
                let (lose0, lose1) = (l0 ^ r0 ^ keep0, l1 ^ r1 ^ keep1);
                let s_cw = (lose0 ^ lose1) & !1;
                let t1 = t[1];
                let neg1 = |x: u64| (x ^ t1).wrapping_sub(t1);
                *s_lo = s_cw as u64;
                *s_hi = (s_cw >> 64) as u64;
                for (m, (va, (vcw_out, &beta))) in va.iter_mut().zip(vcws.iter_mut().zip(beta)).enumerate() {
                    // Value word m of child dir: one output word: both children's words in one
                    // block (left low, right high); two: the child's own block (word m).
                    let word = |v: &[u128], dir: u64| -> u64 {
                        let (block, half) = if K == 1 { (v.first(), dir) } else { (v.get(dir as usize), m as u64) };
                        block.map_or(0, |b| (b >> (64 * half)) as u64)
                    };
                    let (lose_dir, keep_dir) = (1 - a, a);
                    let mut vcw = neg1(word(v1, lose_dir).wrapping_sub(word(v0, lose_dir)).wrapping_sub(*va));
                    // With α_i = 1 the left subtree (x_i = 0 < α_i) lies wholly below α.
                    vcw = vcw.wrapping_add(neg1(beta) & amask);
                    *va = va.wrapping_sub(word(v1, keep_dir)).wrapping_add(word(v0, keep_dir)).wrapping_add(neg1(vcw));
                    *vcw_out = vcw;
                }
                let bit = |x: u128| (x as u64) & 1;
                let t_cw = [bit(*l0) ^ bit(*l1) ^ a ^ 1, bit(*r0) ^ bit(*r1) ^ a];
                *tl |= t_cw[0] << level;
                *tr |= t_cw[1] << level;
                let t_keep = (t_cw[0] ^ ((t_cw[0] ^ t_cw[1]) & a)).wrapping_neg();
                for (b, kept) in [keep0, keep1].into_iter().enumerate() {
                    let (Some(s), Some(t)) = (s.get_mut(b), t.get_mut(b)) else { continue };
                    *s = (kept & !1) ^ (s_cw & wide(*t));
                    *t = bit(kept).wrapping_neg() ^ (*t & t_keep);
                }
            }
        }
        for ((s, t), (va, fin)) in s.iter().zip(&t).zip(va.chunks_exact(K).zip(fin.chunks_exact_mut(K))) {
            for (m, (f, va)) in fin.iter_mut().zip(va).enumerate() {
                let v = convert(s[1], m).wrapping_sub(convert(s[0], m)).wrapping_sub(*va);
                *f = (v ^ t[1]).wrapping_sub(t[1]);
            }
        }
    }
}

/// Party `party`'s shares of `f(xs[j])` for every instance `j` (`xs[j] mod 2^63`), from its root
/// seeds and the common correction words: `n · k` words, instance-major.
pub fn eval(
    prg: &mut Prg,
    party: usize,
    outputs: usize,
    roots: &[u128],
    keys: &[u64],
    xs: &[u64],
) -> Result<Vec<u64>, DcfError> {
    eval_where(prg, party, outputs, roots, keys, xs, None)
}

/// As [`eval`], walking only the instances `j` with `keep[j]` (the others' words are 0): a party
/// that holds two key sets per element and needs one of them per element walks each set once
/// for the elements that use it.
pub fn eval_where(
    prg: &mut Prg,
    party: usize,
    outputs: usize,
    roots: &[u128],
    keys: &[u64],
    xs: &[u64],
    keep: Option<&[bool]>,
) -> Result<Vec<u64>, DcfError> {
    check_outputs(outputs)?;
    if let Some(keep) = keep {
        check_len("kept instances", xs.len(), keep.len())?;
    }
    if party > 1 {
        return Err(DcfError::Party(party));
    }
    let n = xs.len();
    check_len("root seeds", n, roots.len())?;
    check_len("keys", n * key_words(outputs), keys.len())?;
    let mut out = vec![0u64; n * outputs];
    if outputs == 1 {
        walk::<1>(prg, party, roots, keys, xs, keep, &mut out)?;
    } else {
        walk::<2>(prg, party, roots, keys, xs, keep, &mut out)?;
    }
    Ok(out)
}

/// The walked instances of one chunk, dense: their index in the chunk, input, seed, control bit
/// (as a mask: all ones or zero), control-bit correction words and `K` accumulated values.
#[derive(Default)]
struct Walk {
    j: Vec<usize>,
    x: Vec<u64>,
    s: Vec<u128>,
    t: Vec<u64>,
    tw: Vec<[u64; 2]>,
    acc: Vec<u64>,
}

impl Walk {
    fn clear(&mut self) {
        self.j.clear();
        self.x.clear();
        self.s.clear();
        self.t.clear();
        self.tw.clear();
        self.acc.clear();
    }
}

/// [`eval_where`]'s walk with `K` output words, into `out` (zeros where not walked). The
/// per-instance work of a level is branch-free and reads the chunk's keys front to back; the
/// hashes of a level go through AES in one batch.
fn walk<const K: usize>(
    prg: &mut Prg,
    party: usize,
    roots: &[u128],
    keys: &[u64],
    xs: &[u64],
    keep: Option<&[bool]>,
    out: &mut [u64],
) -> Result<(), DcfError> {
    let words = key_words(K);
    let stride = 2 + K;
    let bad = |got: usize| DcfError::Length { what: "key", expected: words, got };
    let mut w = Walk::default();
    let mut inputs: Vec<u128> = Vec::with_capacity(2 * CHUNK);
    let mut hashed: Vec<u128> = Vec::with_capacity(2 * CHUNK);
    let chunks =
        xs.chunks(CHUNK).zip(roots.chunks(CHUNK)).zip(keys.chunks(CHUNK * words)).zip(out.chunks_mut(CHUNK * K));
    for (c, (((x, root), key), out)) in chunks.enumerate() {
        let layout = Layout { len: x.len(), k: K };
        w.clear();
        for (j, (&x, &r)) in x.iter().zip(root).enumerate() {
            let kept = keep.is_none_or(|keep| keep.get(c * CHUNK + j).copied().unwrap_or(false));
            if !kept {
                continue;
            }
            let Some(&[tl, tr]) = key.get(layout.tbits(j)) else { return Err(bad(key.len())) };
            w.j.push(j);
            w.x.push(x);
            w.s.push(r & !1);
            w.t.push(if party == 1 { u64::MAX } else { 0 });
            w.tw.push([tl, tr]);
        }
        w.acc.resize(w.j.len() * K, 0);
        let level_len = x.len() * stride;
        for level in 0..DCF_BITS {
            let shift = DCF_BITS - 1 - level;
            let Some(level_keys) = key.get(level * level_len..(level + 1) * level_len) else {
                return Err(bad(key.len()));
            };
            inputs.clear();
            inputs.resize(2 * w.j.len(), 0);
            for ((pair, &s), &x) in inputs.chunks_exact_mut(2).zip(&w.s).zip(&w.x) {
                let dir = (x >> shift) & 1;
                if let [child, value] = pair {
                    *child = s ^ u128::from(dir);
                    *value = s ^ if K == 1 { 2 } else { 2 + u128::from(dir) };
                }
            }
            prg.hash(&inputs, &mut hashed);
            let state = w.j.iter().zip(&w.x).zip(w.s.iter_mut().zip(w.t.iter_mut())).zip(&w.tw);
            for ((((&j, &x), (s, t)), tw), (acc, h)) in state.zip(w.acc.chunks_exact_mut(K).zip(hashed.chunks_exact(2)))
            {
                let dir = (x >> shift) & 1;
                let (Some([s_lo, s_hi, vcw @ ..]), [child, vblock]) = (level_keys.get(j * stride..(j + 1) * stride), h)
                else {
                    return Err(bad(key.len()));
                };
                let tmask = *t;
                for (m, (a, &vcw)) in acc.iter_mut().zip(vcw).enumerate() {
                    // One output word: both children's words in one block (left low, right
                    // high); two: the child's own block (word m).
                    let half = if K == 1 { dir } else { m as u64 };
                    let v = (vblock >> (64 * half)) as u64;
                    *a = a.wrapping_add(v).wrapping_add(vcw & tmask);
                }
                let t_cw = (if dir == 0 { tw[0] } else { tw[1] } >> level) & 1;
                let s_cw = (u128::from(*s_hi) << 64) | u128::from(*s_lo);
                let wide = u128::from(tmask) | (u128::from(tmask) << 64);
                *s = (child & !1) ^ (s_cw & wide);
                *t = ((*child as u64) & 1).wrapping_neg() ^ (tmask & t_cw.wrapping_neg());
            }
        }
        let state = w.j.iter().zip(&w.s).zip(&w.t).zip(w.acc.chunks_exact(K));
        for (((&j, &s), &t), acc) in state {
            let (Some(fin), Some(o)) = (key.get(layout.fin(j)), out.get_mut(j * K..(j + 1) * K)) else {
                return Err(bad(key.len()));
            };
            for (m, ((o, &a), &f)) in o.iter_mut().zip(acc).zip(fin).enumerate() {
                let v = a.wrapping_add(convert(s, m)).wrapping_add(f & t);
                *o = if party == 1 { v.wrapping_neg() } else { v };
            }
        }
    }
    Ok(())
}

/// A node of the multi-point walk: instance `j` of the chunk, its seed, control bit and the
/// value accumulated so far, and the points below it (a range of the chunk's sorted points).
#[derive(Clone, Copy)]
struct Node {
    j: usize,
    s: u128,
    t: bool,
    acc: u64,
    lo: usize,
    hi: usize,
}

/// A node of the multi-point walk with a single point below it (its index `at` among the chunk's
/// sorted points): walked on its own, with no splitting.
#[derive(Clone, Copy)]
struct Single {
    j: usize,
    s: u128,
    t: bool,
    acc: u64,
    at: usize,
    point: u64,
}

/// As [`eval`] with one output word, at `m` points per instance (`points[j·m + k]`, `mod 2^63`):
/// `out[j·m + k]` is the share of `f_j(points[j·m + k])`. Points of one instance that share a
/// prefix share its evaluation: the walk visits each distinct prefix once, so `m` nearby points
/// (exp's thresholds lie within 2^22 of each other) cost little more than one.
pub fn eval_points(
    prg: &mut Prg,
    party: usize,
    roots: &[u128],
    keys: &[u64],
    points: &[u64],
    m: usize,
) -> Result<Vec<u64>, DcfError> {
    if party > 1 {
        return Err(DcfError::Party(party));
    }
    let n = roots.len();
    let words = key_words(1);
    check_len("keys", n * words, keys.len())?;
    check_len("points", n * m, points.len())?;
    let negate = party == 1;
    let mut out = vec![0u64; n * m];
    let mut inputs = Vec::new();
    let mut hashed = Vec::new();
    // The frontier of the current level and the next one, and the splits (buffers reused).
    let (mut frontier, mut next, mut splits): (Vec<Node>, Vec<Node>, Vec<usize>) = (Vec::new(), Vec::new(), Vec::new());
    // Nodes with one point left, and their hashes (buffers reused).
    let (mut singles, mut single_inputs, mut single_hashed): (Vec<Single>, Vec<u128>, Vec<u128>) =
        (Vec::new(), Vec::new(), Vec::new());
    let chunks = roots.chunks(CHUNK).zip(keys.chunks(CHUNK * words)).zip(points.chunks(CHUNK * m.max(1)));
    for (chunk, ((root, key), pts)) in chunks.enumerate() {
        // Each instance's points sorted ascending, with their index k.
        let mut sorted: Vec<(u64, usize)> = Vec::with_capacity(pts.len());
        for row in pts.chunks(m.max(1)) {
            let start = sorted.len();
            sorted.extend(row.iter().enumerate().map(|(k, &p)| (p & LOW, k)));
            if let Some(s) = sorted.get_mut(start..) {
                s.sort_unstable();
            }
        }
        let layout = Layout { len: root.len(), k: 1 };
        // The chunk's instances in batches of about POINT_BATCH points, so that a level's
        // frontier stays in cache (exp's 254 thresholds: 4 instances at a time).
        let per = (POINT_BATCH / m.max(1)).clamp(1, CHUNK);
        for from in (0..root.len()).step_by(per) {
            frontier.clear();
            singles.clear();
            frontier.extend(
                root.iter()
                    .enumerate()
                    .skip(from)
                    .take(per)
                    .map(|(j, &r)| Node { j, s: r & !1, t: party == 1, acc: 0, lo: j * m, hi: (j + 1) * m })
                    .filter(|node| node.lo < node.hi),
            );
            for level in 0..DCF_BITS {
                let shift = DCF_BITS - 1 - level;
                // The single-point nodes first: the value block and the point's child.
                single_inputs.clear();
                for sg in &singles {
                    single_inputs.push(sg.s ^ 2);
                    single_inputs.push(sg.s ^ u128::from((sg.point >> shift) & 1));
                }
                prg.hash(&single_inputs, &mut single_hashed);
                for (sg, hashes) in singles.iter_mut().zip(single_hashed.chunks_exact(2)) {
                    let (Some(&[s_lo, s_hi, vcw]), Some(&[t_l, t_r]), [vblock, child]) =
                        (key.get(layout.level(level, sg.j)), key.get(layout.tbits(sg.j)), hashes)
                    else {
                        return Err(DcfError::Length { what: "key", expected: words, got: key.len() });
                    };
                    let dir = ((sg.point >> shift) & 1) as usize;
                    let v = v_word(*vblock, 1, dir, 0).wrapping_add(if sg.t { vcw } else { 0 });
                    let t_cw = ((if dir == 0 { t_l } else { t_r }) >> level) & 1 == 1;
                    let s_cw = ((s_hi as u128) << 64) | s_lo as u128;
                    sg.s = (child & !1) ^ if sg.t { s_cw } else { 0 };
                    sg.t = (child & 1 == 1) ^ (sg.t & t_cw);
                    sg.acc = sg.acc.wrapping_add(neg_if(negate, v));
                }
                // Per node: the split of its points by this level's bit, and the blocks to hash:
                // the value block, then each child that has points.
                splits.clear();
                inputs.clear();
                for node in &frontier {
                    let below = sorted.get(node.lo..node.hi).unwrap_or_default();
                    let split = node.lo + below.partition_point(|&(p, _)| (p >> shift) & 1 == 0);
                    splits.push(split);
                    inputs.push(node.s ^ 2);
                    if node.lo < split {
                        inputs.push(node.s);
                    }
                    if split < node.hi {
                        inputs.push(node.s ^ 1);
                    }
                }
                prg.hash(&inputs, &mut hashed);
                next.clear();
                let mut h = hashed.iter();
                for (node, &split) in frontier.iter().zip(&splits) {
                    let Some(&vblock) = h.next() else {
                        return Err(DcfError::Length { what: "hashes", expected: inputs.len(), got: hashed.len() });
                    };
                    let (Some(&[s_lo, s_hi, vcw]), Some(&[t_l, t_r])) =
                        (key.get(layout.level(level, node.j)), key.get(layout.tbits(node.j)))
                    else {
                        return Err(DcfError::Length { what: "key", expected: words, got: key.len() });
                    };
                    let s_cw = ((s_hi as u128) << 64) | s_lo as u128;
                    for (dir, lo, hi, tw) in [(0usize, node.lo, split, t_l), (1, split, node.hi, t_r)] {
                        if lo >= hi {
                            continue;
                        }
                        let Some(&child) = h.next() else {
                            return Err(DcfError::Length { what: "hashes", expected: inputs.len(), got: hashed.len() });
                        };
                        let v = v_word(vblock, 1, dir, 0).wrapping_add(if node.t { vcw } else { 0 });
                        let t_cw = (tw >> level) & 1 == 1;
                        let (s, t) = ((child & !1) ^ if node.t { s_cw } else { 0 }, (child & 1 == 1) ^ (node.t & t_cw));
                        let acc = node.acc.wrapping_add(neg_if(negate, v));
                        match sorted.get(lo) {
                            Some(&(point, _)) if hi == lo + 1 => {
                                singles.push(Single { j: node.j, s, t, acc, at: lo, point })
                            }
                            _ => next.push(Node { j: node.j, s, t, acc, lo, hi }),
                        }
                    }
                }
                std::mem::swap(&mut frontier, &mut next);
            }
            let first = chunk * CHUNK * m;
            let single_nodes =
                singles.iter().map(|sg| Node { j: sg.j, s: sg.s, t: sg.t, acc: sg.acc, lo: sg.at, hi: sg.at + 1 });
            for node in frontier.iter().copied().chain(single_nodes) {
                let Some(&[fin]) = key.get(layout.fin(node.j)) else {
                    return Err(DcfError::Length { what: "key", expected: words, got: key.len() });
                };
                let v = convert(node.s, 0).wrapping_add(if node.t { fin } else { 0 });
                let value = node.acc.wrapping_add(neg_if(negate, v));
                for &(_, k) in sorted.get(node.lo..node.hi).unwrap_or_default() {
                    if let Some(o) = out.get_mut(first + node.j * m + k) {
                        *o = value;
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};

    const TOP: u64 = LOW;

    /// Generates keys for the instances, evaluates both at `xs`, returns the reconstructed outputs.
    fn reconstruct(outputs: usize, alphas: &[u64], betas: &[u64], xs: &[u64], seed: u64) -> Vec<u64> {
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(seed);
        let n = alphas.len();
        let r0: Vec<u128> = (0..n).map(|_| root_seed(rng.random(), rng.random())).collect();
        let r1: Vec<u128> = (0..n).map(|_| root_seed(rng.random(), rng.random())).collect();
        let mut prg = Prg::new();
        let keys = gen(&mut prg, outputs, alphas, betas, [&r0, &r1]).unwrap();
        assert_eq!(keys.len(), n * key_words(outputs));
        let y0 = eval(&mut prg, 0, outputs, &r0, &keys, xs).unwrap();
        let y1 = eval(&mut prg, 1, outputs, &r1, &keys, xs).unwrap();
        y0.iter().zip(&y1).map(|(a, b)| a.wrapping_add(*b)).collect()
    }

    fn want(outputs: usize, alphas: &[u64], betas: &[u64], xs: &[u64]) -> Vec<u64> {
        let mut out = Vec::new();
        for (j, (&a, &x)) in alphas.iter().zip(xs).enumerate() {
            for m in 0..outputs {
                out.push(if (x & TOP) < (a & TOP) { betas[j * outputs + m] } else { 0 });
            }
        }
        out
    }

    #[test]
    fn many_points_per_key_agree_with_one_point_evaluations() {
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(11);
        let (n, m) = (150, 37);
        let alphas: Vec<u64> = (0..n).map(|_| rng.random()).collect();
        let betas: Vec<u64> = (0..n).map(|_| rng.random()).collect();
        let r0: Vec<u128> = (0..n).map(|_| root_seed(rng.random(), rng.random())).collect();
        let r1: Vec<u128> = (0..n).map(|_| root_seed(rng.random(), rng.random())).collect();
        let mut prg = Prg::new();
        let keys = gen(&mut prg, 1, &alphas, &betas, [&r0, &r1]).unwrap();
        // Per instance: points around α (as exp's thresholds lie around x), duplicates, the
        // domain's ends and random words.
        let mut points = Vec::new();
        for &a in &alphas {
            for k in 0..m as u64 {
                points.push(match k % 4 {
                    0 => a.wrapping_add(k * 90_000).wrapping_sub(1_500_000),
                    1 => a,
                    2 => [0, LOW, u64::MAX][(k as usize / 4) % 3],
                    _ => rng.random(),
                });
            }
        }
        // The same instances repeated m times, one point each: gen is deterministic in the roots.
        let rep = |v: &[u64]| v.iter().flat_map(|x| std::iter::repeat_n(*x, m)).collect::<Vec<u64>>();
        let rep_roots = |v: &[u128]| v.iter().flat_map(|x| std::iter::repeat_n(*x, m)).collect::<Vec<u128>>();
        let (rr0, rr1) = (rep_roots(&r0), rep_roots(&r1));
        let rep_keys = gen(&mut prg, 1, &rep(&alphas), &rep(&betas), [&rr0, &rr1]).unwrap();
        for (b, roots, rep_roots) in [(0, &r0, &rr0), (1, &r1, &rr1)] {
            let many = eval_points(&mut prg, b, roots, &keys, &points, m).unwrap();
            let one = eval(&mut prg, b, 1, rep_roots, &rep_keys, &points).unwrap();
            assert_eq!(many, one, "party {b}");
        }
        assert_eq!(eval_points(&mut prg, 0, &[], &[], &[], 0).unwrap(), Vec::<u64>::new());
    }

    #[test]
    fn walking_only_kept_instances_gives_their_words_and_zeros() {
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(12);
        let n = 300;
        let alphas: Vec<u64> = (0..n).map(|_| rng.random()).collect();
        let betas: Vec<u64> = (0..2 * n).map(|_| rng.random()).collect();
        let r0: Vec<u128> = (0..n).map(|_| root_seed(rng.random(), rng.random())).collect();
        let r1: Vec<u128> = (0..n).map(|_| root_seed(rng.random(), rng.random())).collect();
        let xs: Vec<u64> = (0..n).map(|_| rng.random()).collect();
        let keep: Vec<bool> = (0..n).map(|j| j % 3 != 1).collect();
        let mut prg = Prg::new();
        let keys = gen(&mut prg, 2, &alphas, &betas, [&r0, &r1]).unwrap();
        for (b, roots) in [(0, &r0), (1, &r1)] {
            let all = eval(&mut prg, b, 2, roots, &keys, &xs).unwrap();
            let some = eval_where(&mut prg, b, 2, roots, &keys, &xs, Some(&keep)).unwrap();
            for j in 0..n {
                let want = if keep[j] { &all[2 * j..2 * j + 2] } else { &[0, 0][..] };
                assert_eq!(&some[2 * j..2 * j + 2], want, "party {b}, instance {j}");
            }
        }
        assert!(eval_where(&mut prg, 0, 2, &r0, &keys, &xs, Some(&keep[1..])).is_err());
    }

    #[test]
    fn key_sizes() {
        assert_eq!(key_words(1), 192);
        assert_eq!(key_words(2), 256);
    }

    #[test]
    fn edges_of_the_domain() {
        // α and x at 0, 1, the middle and the top of [0, 2^63), every pair, both output widths.
        let points = [0, 1, 2, (1 << 62) - 1, 1 << 62, (1 << 62) + 1, TOP - 1, TOP, u64::MAX];
        for outputs in [1, 2] {
            let (mut alphas, mut xs, mut betas) = (Vec::new(), Vec::new(), Vec::new());
            for &a in &points {
                for &x in &points {
                    alphas.push(a);
                    xs.push(x);
                    betas.extend((0..outputs as u64).map(|m| 0xdead_beef ^ (a.wrapping_mul(3) + m)));
                }
            }
            assert_eq!(reconstruct(outputs, &alphas, &betas, &xs, 1), want(outputs, &alphas, &betas, &xs));
        }
    }

    #[test]
    fn a_key_alone_looks_random() {
        // Party 1's outputs over many x for one α: no value repeats (shares of 0 and β are fresh).
        let alphas = vec![1u64 << 40; 200];
        let betas = vec![1u64; 200];
        let xs: Vec<u64> = (0..200u64).map(|i| (1 << 40) - 100 + i).collect();
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(3);
        let r0: Vec<u128> = (0..200).map(|_| root_seed(rng.random(), rng.random())).collect();
        let r1: Vec<u128> = (0..200).map(|_| root_seed(rng.random(), rng.random())).collect();
        let mut prg = Prg::new();
        let keys = gen(&mut prg, 1, &alphas, &betas, [&r0, &r1]).unwrap();
        let mut y1 = eval(&mut prg, 1, 1, &r1, &keys, &xs).unwrap();
        y1.sort_unstable();
        y1.dedup();
        assert_eq!(y1.len(), 200);
    }

    #[test]
    fn bad_calls_are_errors() {
        let mut prg = Prg::new();
        assert_eq!(gen(&mut prg, 3, &[], &[], [&[], &[]]), Err(DcfError::Outputs(3)));
        assert!(matches!(gen(&mut prg, 1, &[1], &[], [&[0], &[0]]), Err(DcfError::Length { .. })));
        assert!(matches!(eval(&mut prg, 0, 1, &[0], &[0; 3], &[5]), Err(DcfError::Length { .. })));
        assert_eq!(eval(&mut prg, 2, 1, &[], &[], &[]), Err(DcfError::Party(2)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_instances_reconstruct_to_the_comparison(
            outputs in 1usize..=2,
            raw in prop::collection::vec((any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>(), 0u32..64), 1..150),
            seed in any::<u64>(),
        ) {
            // Half the x's are near α (differ only below a random bit), so deep paths are hit.
            let alphas: Vec<u64> = raw.iter().map(|r| r.0).collect();
            let xs: Vec<u64> = raw
                .iter()
                .map(|&(a, x, _, _, low)| if x % 2 == 0 { x } else { (a & !((1u64 << low) - 1)) | (x >> (64 - low.max(1))) })
                .collect();
            let betas: Vec<u64> = raw.iter().flat_map(|r| [r.2, r.3].into_iter().take(outputs)).collect();
            prop_assert_eq!(reconstruct(outputs, &alphas, &betas, &xs, seed), want(outputs, &alphas, &betas, &xs));
        }
    }
}
