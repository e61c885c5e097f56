//! The documents the editor has open, with their unsaved text. Edits arrive as
//! UTF-16 line/character ranges (the protocol's default position encoding).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::{TextDocumentContentChangeEvent, Uri};

use super::uri;
use crate::span::LineIndex;

#[derive(Debug, Clone)]
pub struct Document {
    pub uri: Uri,
    /// `None` for documents that are not local files (`untitled:`); they take no part in compiling.
    pub path: Option<PathBuf>,
    pub version: i32,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Documents {
    open: HashMap<Uri, Document>,
}

impl Documents {
    pub fn open(&mut self, uri: Uri, version: i32, text: String) -> &Document {
        let path = uri::to_path(&uri);
        let document = Document {
            uri: uri.clone(),
            path,
            version,
            text,
        };
        self.open.insert(uri.clone(), document);
        &self.open[&uri]
    }

    /// Applies edits in order, as the protocol says (each range refers to the
    /// text after the previous edit). `Err` names a document that is not open.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Result<&Document, String> {
        let document = self
            .open
            .get_mut(uri)
            .ok_or_else(|| format!("{} is not open", uri.as_str()))?;
        for change in changes {
            apply(&mut document.text, change);
        }
        document.version = version;
        Ok(document)
    }

    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
        self.open.remove(uri)
    }

    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.open.get(uri)
    }

    /// The open document for a local file, if any.
    pub fn by_path(&self, path: &Path) -> Option<&Document> {
        self.open.values().find(|d| d.path.as_deref() == Some(path))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Document> {
        self.open.values()
    }
}

/// One content change: a range replacement, or the whole text when there is no range.
pub fn apply(text: &mut String, change: TextDocumentContentChangeEvent) {
    let Some(range) = change.range else {
        *text = change.text;
        return;
    };
    let index = LineIndex::new(text);
    let start = index.offset(text, range.start.line, range.start.character) as usize;
    let end = index.offset(text, range.end.line, range.end.character) as usize;
    // A reversed range from a confused client replaces nothing rather than panicking.
    let (start, end) = (start.min(end), end.max(start));
    text.replace_range(start..end, &change.text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};

    fn edit(start: (u32, u32), end: (u32, u32), text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(
                Position::new(start.0, start.1),
                Position::new(end.0, end.1),
            )),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn incremental_edits_count_utf16_units() {
        // "😀" is two UTF-16 units and four bytes; "é" one unit and two bytes.
        let mut text = String::from("const a = \"😀é\";\nconst b = 1;\n");
        apply(&mut text, edit((0, 13), (0, 14), "e"));
        assert_eq!(text, "const a = \"😀e\";\nconst b = 1;\n");
        apply(&mut text, edit((0, 11), (0, 13), ""));
        assert_eq!(text, "const a = \"e\";\nconst b = 1;\n");
        apply(&mut text, edit((1, 10), (1, 11), "ü2"));
        assert_eq!(text, "const a = \"e\";\nconst b = ü2;\n");
    }

    #[test]
    fn edits_apply_in_order_and_may_span_lines() {
        let mut text = String::from("a\nb\nc\n");
        let mut documents = Documents::default();
        let uri: Uri = "file:///p/quickback.config.ts".parse().expect("test URI");
        documents.open(uri.clone(), 1, std::mem::take(&mut text));
        let changes = vec![edit((0, 1), (2, 0), " "), edit((0, 0), (0, 0), "x")];
        let document = documents.change(&uri, 2, changes).expect("open");
        assert_eq!(document.text, "xa c\n");
        assert_eq!(document.version, 2);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let mut text = String::from("ab\ncd");
        apply(&mut text, edit((0, 99), (7, 0), "!"));
        assert_eq!(text, "ab!");
        let full = TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: "new".into(),
        };
        apply(&mut text, full);
        assert_eq!(text, "new");
    }

    #[test]
    fn changing_a_closed_document_is_an_error() {
        let uri: Uri = "file:///p/x.ts".parse().expect("test URI");
        assert!(Documents::default().change(&uri, 1, Vec::new()).is_err());
    }
}
