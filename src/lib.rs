//! quickback-kv: compiles the Workers KV part of a Quickback config.
//!
//! The modules follow the pipeline: `syntax` → `eval` → `resolve` (building the
//! `model`) → `validate` → `emit` → `diagnostics`; `compile` ties them together
//! without doing I/O; `cli` and the language server `lsp` are the only parts that
//! touch the file system.

// Diagnostics travel in `Err` on cold paths; boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod adopt;
pub mod better_auth_version;
pub mod cli;
pub mod compile;
pub mod diagnostics;
pub mod emit;
pub mod eval;
pub mod lsp;
pub mod model;
pub mod plan;
pub mod project;
pub mod report;
pub mod resolve;
pub mod span;
pub mod syntax;
pub mod validate;
pub mod wrangler;
