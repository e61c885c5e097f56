//! The compiler's spans and diagnostics in the protocol's terms: files as URIs,
//! byte spans as UTF-16 line/character ranges (through the same `LineIndex` the
//! JSON format uses), labels as related information.

use std::collections::BTreeMap;
use std::path::Path;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Position, Range, Uri,
};

use super::documents::Documents;
use super::explain::Links;
use super::uri;
use crate::diagnostics::{Diagnostic, Severity, json};
use crate::span::{FileId, Files, Span};

/// Converts spans of one compilation, caching each file's line index.
pub struct Convert<'a> {
    files: &'a Files,
    root: &'a Path,
    documents: &'a Documents,
    ranges: json::Ranges<'a>,
}

impl<'a> Convert<'a> {
    pub fn new(files: &'a Files, root: &'a Path, documents: &'a Documents) -> Convert<'a> {
        Convert {
            files,
            root,
            documents,
            ranges: json::Ranges::new(files),
        }
    }

    /// The file's URI: the one the editor opened it under, else built from its path.
    pub fn uri(&self, file: FileId) -> Option<Uri> {
        let path = self.root.join(self.files.path(file));
        match self.documents.by_path(&path) {
            Some(document) => Some(document.uri.clone()),
            None => uri::from_path(&path),
        }
    }

    pub fn range(&mut self, span: Span) -> Range {
        let range = self.ranges.range(span);
        Range::new(
            Position::new(range.start.line, range.start.character),
            Position::new(range.end.line, range.end.character),
        )
    }

    /// The message shows the primary label and the help too: editors show only the
    /// message in place, and related information is not shown by every client.
    pub fn diagnostic(&mut self, d: &Diagnostic, links: &Links) -> lsp_types::Diagnostic {
        let primary = d.primary();
        let mut message = d.message.clone();
        if !primary.message.is_empty() {
            message.push_str(&format!("\n{}", primary.message));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let related: Vec<DiagnosticRelatedInformation> = d.labels[1..]
            .iter()
            .filter_map(|label| {
                let uri = self.uri(label.span.file)?;
                Some(DiagnosticRelatedInformation {
                    location: Location::new(uri, self.range(label.span)),
                    message: label.message.clone(),
                })
            })
            .collect();
        lsp_types::Diagnostic {
            range: self.range(primary.span),
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(d.code.as_str().to_string())),
            code_description: links.href(d.code).map(|href| CodeDescription { href }),
            source: Some("quickback-kv".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags: None,
            data: None,
        }
    }

    /// Diagnostics grouped by the file of their primary label. A diagnostic whose
    /// file has no URI (a path that is not UTF-8) goes to `fallback` at its start.
    pub fn by_uri(
        &mut self,
        diagnostics: &[Diagnostic],
        links: &Links,
        fallback: &Uri,
    ) -> BTreeMap<Uri, Vec<lsp_types::Diagnostic>> {
        let mut out: BTreeMap<Uri, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
        for d in diagnostics {
            let mut converted = self.diagnostic(d, links);
            let uri = match self.uri(d.primary().span.file) {
                Some(uri) => uri,
                None => {
                    converted.range = Range::default();
                    fallback.clone()
                }
            };
            out.entry(uri).or_default().push(converted);
        }
        out
    }
}

/// Whether two ranges share at least a position (touching counts, as a cursor
/// right after a token still means that token).
pub fn overlaps(a: Range, b: Range) -> bool {
    let key = |p: Position| (p.line, p.character);
    key(a.start) <= key(b.end) && key(b.start) <= key(a.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;

    #[test]
    fn ranges_count_utf16_and_labels_become_related_information() {
        let mut files = Files::default();
        let text = "const s = \"😀\"; // é\nconst id = \"x\";\n";
        let file = files.add("quickback/quickback.config.ts", text);
        let id = text.find("\"x\"").expect("literal") as u32;
        let emoji = text.find('"').expect("literal") as u32;
        let d = Diagnostic::new(
            Code::KvInvalidNamespaceId,
            "bad id",
            Span::new(file, id, id + 3),
            "not 32 hex characters",
        )
        .with_label(Span::new(file, emoji, emoji + 6), "the emoji")
        .with_help("use the id wrangler prints");
        let documents = Documents::default();
        let mut convert = Convert::new(&files, Path::new("/p"), &documents);
        let converted = convert.diagnostic(&d, &Links::default());
        assert_eq!(
            converted.range,
            Range::new(Position::new(1, 11), Position::new(1, 14))
        );
        assert_eq!(
            converted.message,
            "bad id\nnot 32 hex characters\nhelp: use the id wrangler prints"
        );
        let related = converted.related_information.expect("one secondary label");
        assert_eq!(
            related[0].location.uri.as_str(),
            "file:///p/quickback/quickback.config.ts"
        );
        // `"😀"` is 4 UTF-16 units (two of them the emoji) and 6 bytes.
        assert_eq!(
            related[0].location.range,
            Range::new(Position::new(0, 10), Position::new(0, 14))
        );
        assert_eq!(
            converted.code,
            Some(NumberOrString::String("kv::invalid-namespace-id".into()))
        );
    }

    #[test]
    fn touching_ranges_overlap() {
        let r = |a, b, c, d| Range::new(Position::new(a, b), Position::new(c, d));
        assert!(overlaps(r(1, 5, 1, 5), r(1, 2, 1, 5)));
        assert!(overlaps(r(0, 0, 9, 0), r(1, 2, 1, 5)));
        assert!(!overlaps(r(1, 6, 1, 8), r(1, 2, 1, 5)));
    }
}
