//! placeholder
pub mod error;
pub mod format;
pub mod plain;
pub mod datasets;
pub mod io;
pub mod exec;
pub mod comm;
pub mod dealer;
pub mod fixed;
pub mod mpc_error;
pub mod net;
pub mod party;
pub mod protocols;
pub mod ring;
pub mod share;
pub mod simulate;
pub mod wire;
