//! `quickback-kv lsp`: a language server over stdio on the same diagnostics the
//! CLI prints (no second analysis path). It compiles the open
//! `quickback.config.ts` from its unsaved text on every change and publishes the
//! diagnostics, shows on hover where each KV value came from, and offers the
//! compiler's fixes as quick fixes.
//!
//! `transport` frames messages, `server` owns the loop and the order of events
//! (see its module comment), `documents` keeps the editor's text, `project` turns
//! it into compiler inputs (with the paths from
//! `settings`, the CLI's flags as the editor's settings), `convert` maps spans and diagnostics to the protocol,
//! `hover` is the only reader of the KV model, `actions` offers fixes, and
//! `explain` links each code to `docs/diagnostics.md`.

// `lsp_types::Uri` hashes and orders by its text; clippy sees the parse cache
// fluent-uri keeps inside as interior mutability, which cannot change that text.
#![allow(clippy::mutable_key_type)]

mod actions;
mod convert;
pub mod documents;
pub mod explain;
mod hover;
mod project;
pub mod server;
mod settings;
pub mod transport;
mod uri;

use std::io::BufReader;

use crate::project::process_env;
use crate::syntax::STACK_BYTES;

/// Serves on stdin/stdout until `exit`; returns the process exit code (0 after a
/// clean `shutdown`, 1 when the client exits or disappears without one, 2 when the
/// server itself could not run).
pub fn run() -> u8 {
    let env = process_env();
    let incoming = match transport::spawn_reader(BufReader::new(std::io::stdin())) {
        Ok(incoming) => incoming,
        Err(e) => {
            eprintln!("quickback-kv lsp: cannot start the reader thread: {e}");
            return 2;
        }
    };
    // Compiles run on this thread, so it gets the stack a deep config needs.
    let server = std::thread::Builder::new()
        .name("quickback-kv-lsp".into())
        .stack_size(STACK_BYTES)
        .spawn(move || server::serve(incoming, std::io::stdout().lock(), env));
    match server.map(std::thread::JoinHandle::join) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => {
            eprintln!("quickback-kv lsp: the server failed internally (this is a bug)");
            2
        }
        Err(e) => {
            eprintln!("quickback-kv lsp: cannot start the server thread: {e}");
            2
        }
    }
}
