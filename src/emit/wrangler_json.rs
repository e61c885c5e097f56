//! Edits `wrangler.jsonc` / `wrangler.json` in place (not implemented yet).

use super::{Desired, Existing};
use crate::diagnostics::Diagnostic;
use crate::span::FileId;

pub struct Parsed {
    pub existing: Existing,
}

pub fn parse(_file: FileId, _text: &str, _strict_json: bool, _adopt: &[String]) -> Result<Parsed, Diagnostic> {
    Ok(Parsed { existing: Existing::default() })
}

pub fn edit(_parsed: Parsed, _desired: &Desired) -> String {
    String::new()
}
