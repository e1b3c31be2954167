//! The mpcc runtime: executes the compiler's IR, in plaintext (`f64`, the reference) or with
//! every private value additively secret-shared among N parties.
//!
//! Layers, bottom up: ring tensors and fixed-point encoding (`ring`, `fixed`), shares (`share`),
//! transports (`comm`, `net`), the trusted dealer (`dealer`), one party's context (`party`), the
//! protocols (`protocols`), and the executors (`exec`). `plain` holds the `f64` tensor ops, `io`
//! the data files. The example data and its trainers live in `mpcc-datasets`, the engine
//! benchmark in the binary (`mpcc bench`).
//! Nothing here parses source code, and no protocol logs or opens a share except as its doc says.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod aes_wide;
pub mod broadcast;
pub mod comm;
pub mod cost;
pub mod csprng;
pub mod dealer;
pub mod error;
pub mod exec;
pub mod fixed;
pub mod format;
pub mod fss;
pub mod io;
pub mod merge;
pub mod mpc_error;
pub mod net;
pub mod ot;
pub mod party;
pub mod plain;
pub mod preprocessing;
pub mod protocols;
pub mod ring;
pub mod share;
pub mod simulate;
pub mod wire;
