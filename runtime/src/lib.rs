//! placeholder
pub mod error;
pub mod format;
pub mod plain;
pub mod datasets;
pub mod io;
pub mod exec;
