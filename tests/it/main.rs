//! The root package's one integration-test binary: golden files, the CLI and repository tidiness.

mod accuracy_doc;
mod cli;
mod cost;
mod example_data;
mod fault_harness;
mod faults;
mod fold_gen;
mod golden;
mod golden_run;
mod grad;
mod grad_loaded;
mod lsp;
mod net;
mod ni_gen;
mod noninterference;
mod nvim;
mod onnx;
mod preprocessing;
mod schedule;
mod support;
mod tidy;
mod training;
mod workloads;
