//! The JSON half of the wrangler layer: `wrangler.jsonc` / `wrangler.json`.
//!
//! Wrangler reads both files as JSONC (comments and trailing commas allowed), so
//! both are parsed that way; anything else JSON5 would accept (single quotes,
//! unquoted keys, hex numbers) is a syntax error here as it is for wrangler.
//!
//! [`parse`] reads the file with jsonc-parser's AST (which has byte ranges) and
//! hands it to the core as [`Node`](super::Node)s; [`edit`] parses the same text
//! into the CST and applies the core's operations to it. Both use the same
//! parser on the same text, so the n-th element of an array in one is the n-th
//! in the other. Every byte the compiler does not own stays as it was; the one
//! exception is jsonc-parser's own layout rule for a container it inserts into
//! (a single-line object or array becomes multi-line, blank lines directly
//! inside its brackets go).
//!
//! In `wrangler.jsonc` an entry is marked by a comment on the lines directly
//! above it (after the previous entry, in the array) containing
//! [`MARKER_PROBE`](super::MARKER_PROBE); new and adopted entries get
//! `// ` + [`MARKER_TEXT`](super::MARKER_TEXT) above them. A strict
//! `wrangler.json` gets no comments (other tools may read it with `JSON.parse`).
//! A UTF-8 byte order mark is set aside before parsing and put back after.

mod read;
mod write;

#[cfg(test)]
mod tests;

use super::{BOM, Facts, Format, ScopeEdit};
use crate::diagnostics::Diagnostic;
use crate::span::FileId;

/// A wrangler JSON file that [`parse`] accepted, ready for [`edit`].
pub struct Parsed {
    /// The text after the byte order mark, if any.
    text: String,
    bom: bool,
    format: Format,
}

/// Reads a wrangler JSON file: its facts for the core, or why it cannot be edited.
pub fn parse(file: FileId, text: &str, format: Format) -> Result<(Parsed, Facts), Diagnostic> {
    let (bom, body) = match text.strip_prefix(BOM) {
        Some(body) => (true, body),
        None => (false, text),
    };
    let offset = if bom { BOM.len() } else { 0 };
    let facts = read::facts(file, body, offset, format)?;
    let parsed = Parsed {
        text: body.to_string(),
        bom,
        format,
    };
    Ok((parsed, facts))
}

/// Applies the core's operations and returns the new text.
pub fn edit(parsed: &Parsed, edits: &[ScopeEdit]) -> String {
    let body = write::edit(&parsed.text, parsed.format, edits);
    if parsed.bom {
        format!("{BOM}{body}")
    } else {
        body
    }
}
