//! Function secret sharing: the distributed comparison function (`dcf.rs`) and the fixed-key AES
//! generator it expands seeds with (`prg.rs`). The dealer generates DCF keys
//! (`dealer::Request::DcfKeys`); `protocols/compare.rs` evaluates them after opening a masked
//! input. Pure computation: no IO, no randomness of its own, nothing opened.

pub mod dcf;
pub mod prg;

pub use dcf::{eval, eval_points, eval_where, gen, key_words, root_seed, root_seeds, DcfError, DCF_BITS};
pub use prg::Prg;
