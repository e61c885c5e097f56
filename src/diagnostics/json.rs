//! Machine-readable renderers: the versioned JSON format (documented in
//! `docs/json-format.md`) and GitHub Actions workflow commands.

use serde::Serialize;

use super::Diagnostic;
use crate::span::{Files, Span};

/// Bumped whenever a field changes meaning or disappears; adding fields is not a bump.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct JsonPosition {
    /// Byte offset into the file.
    pub offset: u32,
    /// 0-based line.
    pub line: u32,
    /// 0-based column in UTF-16 code units, as the Language Server Protocol counts.
    pub character: u32,
}

#[derive(Debug, Serialize)]
pub struct JsonRange {
    pub start: JsonPosition,
    pub end: JsonPosition,
}

#[derive(Debug, Serialize)]
pub struct JsonLabel {
    pub file: String,
    pub range: JsonRange,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct JsonEdit {
    pub file: String,
    pub range: JsonRange,
    pub new_text: String,
}

#[derive(Debug, Serialize)]
pub struct JsonFix {
    pub message: String,
    pub edits: Vec<JsonEdit>,
}

#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub file: String,
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub range: JsonRange,
    /// The primary label's text.
    pub label: String,
    /// Secondary labels, possibly in other files.
    pub related: Vec<JsonLabel>,
    pub help: Option<String>,
    pub fix: Option<JsonFix>,
}

/// Turns spans into JSON ranges (each file's line index is built once, by [`Files`]).
pub struct Ranges<'a> {
    files: &'a Files,
}

impl<'a> Ranges<'a> {
    pub fn new(files: &'a Files) -> Ranges<'a> {
        Ranges { files }
    }

    pub fn range(&mut self, span: Span) -> JsonRange {
        let position = |offset: u32| {
            let p = self.files.position(span.file, offset);
            JsonPosition {
                offset,
                line: p.line,
                character: p.utf16_col,
            }
        };
        JsonRange {
            start: position(span.start),
            end: position(span.end),
        }
    }
}

pub fn to_json(diagnostic: &Diagnostic, ranges: &mut Ranges) -> JsonDiagnostic {
    let files = ranges.files;
    let primary = diagnostic.primary();
    JsonDiagnostic {
        file: files.path(primary.span.file).to_string(),
        code: diagnostic.code.as_str(),
        severity: diagnostic.severity.as_str(),
        message: diagnostic.message.clone(),
        range: ranges.range(primary.span),
        label: primary.message.clone(),
        related: diagnostic.labels[1..]
            .iter()
            .map(|l| JsonLabel {
                file: files.path(l.span.file).to_string(),
                range: ranges.range(l.span),
                message: l.message.clone(),
            })
            .collect(),
        help: diagnostic.help.clone(),
        fix: diagnostic.fix.as_ref().map(|fix| JsonFix {
            message: fix.message.clone(),
            edits: fix
                .edits
                .iter()
                .map(|e| JsonEdit {
                    file: files.path(e.span.file).to_string(),
                    range: ranges.range(e.span),
                    new_text: e.replacement.clone(),
                })
                .collect(),
        }),
    }
}

/// One GitHub Actions workflow command (`::error file=…,line=…::message`).
pub fn render_github(diagnostic: &Diagnostic, files: &Files) -> String {
    let primary = diagnostic.primary();
    let (start, end) = (
        files.position(primary.span.file, primary.span.start),
        files.position(primary.span.file, primary.span.end),
    );
    let mut message = format!("{}: {}", diagnostic.message, primary.message);
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    format!(
        "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        diagnostic.severity.as_str(),
        escape_property(files.path(primary.span.file)),
        start.line + 1,
        start.char_col + 1,
        end.line + 1,
        end.char_col + 1,
        escape_property(diagnostic.code.as_str()),
        escape_data(&message)
    )
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
