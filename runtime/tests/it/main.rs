//! The runtime's integration tests, in one binary (one link instead of one per file): the secure
//! engine against the plaintext one on compiled programs (`mpc_exec`) and on hand-built IR
//! (`mpc_exec_ir`), the networked runtime over loopback TLS (`net`), and OT preprocessing over it (`net_ot`).

mod mpc_exec;
mod mpc_exec_ir;
mod net;
mod net_ot;
