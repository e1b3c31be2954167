
mod workloads;
