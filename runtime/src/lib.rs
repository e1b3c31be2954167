//! placeholder
pub mod error;
pub mod format;
pub mod plain;
pub mod datasets;
