//! Edits `wrangler.jsonc` / `wrangler.json` in place with jsonc-parser's concrete
//! syntax tree.
//!
//! Wrangler reads both files as JSONC (comments and trailing commas allowed), so
//! both are parsed that way; anything else JSON5 would accept (single quotes,
//! unquoted keys, hex numbers) is a syntax error here as it is for wrangler.
//!
//! Scopes: the top-level `kv_namespaces` and `env.<name>.kv_namespaces` of every
//! environment. In each scope the compiler updates the entries it owns in place
//! (only `binding`, `id`, `preview_id` and `remote`, each value changed on its
//! own, so a new id changes one line), appends the desired entries that are
//! missing, and removes owned entries nobody asks for any more. An environment
//! the compiler wants but the file lacks is created under `env`. An environment
//! the caller does not list wants no entries: its hand-written entries stay, its
//! owned ones go, like the top level's when KV is no longer in use. Every other
//! byte of the file stays as it was; the one exception is jsonc-parser's own
//! layout rule for a container it inserts into (a single-line object or array
//! becomes multi-line, blank lines directly inside its brackets go).
//!
//! Ownership differs by file:
//! - `wrangler.jsonc`: an entry is owned when a comment on the lines directly
//!   above it (after the previous entry, in the array) contains [`MARKER_PROBE`];
//!   new entries get `// ` + [`MARKER_TEXT`] above them.
//! - `wrangler.json`: the compiler writes no comments, because other tools may
//!   read the file with `JSON.parse`. An entry is owned when its binding is one
//!   of the names the config manages (`adopt`). Such entries are updated but
//!   never removed: without a marker, an entry with a managed name may as well
//!   have been written by hand, so dropping it could lose someone's namespace.
//!   An emptied `kv_namespaces` can therefore only come from a JSONC file.
//!
//! [`parse`] reads the file with jsonc-parser's AST (which has byte ranges) to
//! check its shape and find every binding; [`edit`] parses the same text into the
//! CST and changes it. Both use the same parser on the same text, so the n-th
//! element of an array in one is the n-th in the other.

mod read;
mod write;

#[cfg(test)]
mod tests;

use super::{Desired, Existing};
use crate::diagnostics::Diagnostic;
use crate::span::FileId;

/// A wrangler JSON file that [`parse`] accepted, ready for [`edit`].
pub struct Parsed {
    pub existing: Existing,
    text: String,
    strict_json: bool,
    /// The top level first, then every environment in file order.
    scopes: Vec<Scope>,
}

/// One scope's `kv_namespaces` as the file has it.
struct Scope {
    /// `None`: top level.
    environment: Option<String>,
    /// The array's elements in order (empty when the key is absent).
    entries: Vec<Entry>,
}

struct Entry {
    binding: String,
    managed: bool,
}

/// Reads a wrangler JSON file. `strict_json` is true for `wrangler.json` (no
/// comments written, ownership by name through `adopt`), false for `wrangler.jsonc`
/// (ownership by marker comment; `adopt` is not read).
pub fn parse(
    file: FileId,
    text: &str,
    strict_json: bool,
    adopt: &[String],
) -> Result<Parsed, Diagnostic> {
    read::parse(file, text, strict_json, adopt)
}

/// Applies the desired entries to a parsed file and returns the new text.
pub fn edit(parsed: Parsed, desired: &Desired) -> String {
    write::edit(parsed, desired)
}
