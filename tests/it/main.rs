//! The root package's one integration-test binary: golden files, the CLI and repository tidiness.

mod cli;
mod golden;
mod net;
mod tidy;
mod workloads;
