//! `mpcc lsp`: a Language Server Protocol server over stdio for `.mpc` files.
//!
//! It publishes the diagnostics of `mpcc check` as the user types (full and incremental sync),
//! shows a name's label, dtype and shape on hover (and a builtin's rule), and jumps to the
//! definition of variables, functions, params and parties. Layout: [`server`] is the loop and
//! dispatch, [`documents`] the open texts, [`convert`] compiler values → LSP values, [`position`]
//! byte offsets ↔ UTF-16 positions. The compiler does the analysis; nothing here checks programs.

mod convert;
mod documents;
mod position;
mod server;

use lsp_server::Connection;

/// Serves on stdin/stdout until `exit`; returns the process exit code (0 after a `shutdown`).
pub fn run() -> u8 {
    let (connection, io_threads) = Connection::stdio();
    let outcome = server::serve(&connection);
    // Dropping the connection lets the writer thread flush and stop.
    drop(connection);
    match outcome {
        server::Outcome::Exited(code) => {
            let _ = io_threads.join();
            code
        }
        server::Outcome::Failed => {
            eprintln!("mpcc lsp: the session ended before `initialize` and `initialized` completed");
            1
        }
    }
}
