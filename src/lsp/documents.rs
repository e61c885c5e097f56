//! The documents the editor has open, with their unsaved text. Edits arrive as
//! UTF-16 line/character ranges (the protocol's default position encoding);
//! lines end at `\n`, `\r\n` or a lone `\r`, as the protocol counts them.
//! A `didChange`'s edits are applied to a rope in one pass (each edit costs the
//! logarithm of the text's size, not a re-index of the whole text).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::{TextDocumentContentChangeEvent, Uri};
use ropey::Rope;

use super::uri;

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
        apply(&mut document.text, changes);
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

/// Content changes in order: range replacements, or the whole text when there
/// is no range. Everything before the last whole text is skipped.
pub fn apply(text: &mut String, mut changes: Vec<TextDocumentContentChangeEvent>) {
    if let Some(last_whole) = changes.iter().rposition(|c| c.range.is_none()) {
        *text = std::mem::take(&mut changes[last_whole].text);
        changes.drain(..=last_whole);
    }
    if changes.is_empty() {
        return;
    }
    let mut rope = Rope::from_str(text);
    for change in changes {
        let Some(range) = change.range else {
            continue;
        };
        let start = char_at(&rope, range.start.line, range.start.character);
        let end = char_at(&rope, range.end.line, range.end.character);
        // A reversed range from a confused client replaces nothing rather than panicking.
        let (start, end) = (start.min(end), end.max(start));
        rope.remove(start..end);
        rope.insert(start, &change.text);
    }
    *text = rope.to_string();
}

/// The char index of a 0-based line and UTF-16 column. As the protocol asks, a
/// column past the line's end means the end of the line (before its break), a
/// line past the last means the end of the text, and a column inside a
/// surrogate pair goes to the character's start.
fn char_at(rope: &Rope, line: u32, utf16_col: u32) -> usize {
    let line = line as usize;
    if line >= rope.len_lines() {
        return rope.len_chars();
    }
    let start = rope.line_to_char(line);
    let mut end = rope.line_to_char(line + 1);
    for brk in ['\n', '\r'] {
        if end > start && rope.char(end - 1) == brk {
            end -= 1;
        }
    }
    let start_units = rope.char_to_utf16_cu(start);
    let end_units = rope.char_to_utf16_cu(end);
    rope.utf16_cu_to_char((start_units + utf16_col as usize).min(end_units))
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
        apply(&mut text, vec![edit((0, 13), (0, 14), "e")]);
        assert_eq!(text, "const a = \"😀e\";\nconst b = 1;\n");
        apply(&mut text, vec![edit((0, 11), (0, 13), "")]);
        assert_eq!(text, "const a = \"e\";\nconst b = 1;\n");
        apply(&mut text, vec![edit((1, 10), (1, 11), "ü2")]);
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
        apply(&mut text, vec![edit((0, 99), (7, 0), "!")]);
        assert_eq!(text, "ab!");
        let full = TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: "new".into(),
        };
        apply(&mut text, vec![full.clone()]);
        assert_eq!(text, "new");
        // Edits before a whole text are replaced by it; edits after it apply to it.
        apply(
            &mut text,
            vec![edit((0, 0), (0, 1), "z"), full, edit((0, 0), (0, 0), ">")],
        );
        assert_eq!(text, ">new");
    }

    /// A lone `\r` ends a line, as does `\r\n`; the end of a line is before its break.
    #[test]
    fn lines_end_at_lf_crlf_and_a_lone_cr() {
        let mut text = String::from("a\rb\r\nc\nd");
        apply(
            &mut text,
            vec![
                edit((3, 0), (3, 0), "3"),
                edit((2, 0), (2, 0), "2"),
                edit((1, 9), (1, 9), "!"),
                edit((0, 9), (0, 9), "?"),
            ],
        );
        assert_eq!(text, "a?\rb!\r\n2c\n3d");
    }

    /// Thousands of edits in one change, each on the text the previous one left,
    /// give what applying them one at a time gives.
    #[test]
    fn many_edits_in_one_change_apply_in_order() {
        let original: String = (0..200).map(|i| format!("line {i} é😀\r\n")).collect();
        let edits: Vec<_> = (0..2_000u32)
            .map(|i| {
                let line = (i * 7) % 190;
                edit(
                    (line, i % 9),
                    (line + (i % 3), i % 5),
                    ["", "x", "\n", "é\r"][i as usize % 4],
                )
            })
            .collect();
        let mut one_pass = original.clone();
        apply(&mut one_pass, edits.clone());
        let mut one_by_one = original;
        for e in edits {
            one_by_one = reference(&one_by_one, e);
        }
        assert_eq!(one_pass, one_by_one);
    }

    /// The previous implementation: the text re-indexed for every edit.
    fn reference(text: &str, change: TextDocumentContentChangeEvent) -> String {
        let range = change.range.expect("ranged");
        let index = crate::span::LineIndex::new(text);
        let start = index.offset(text, range.start.line, range.start.character) as usize;
        let end = index.offset(text, range.end.line, range.end.character) as usize;
        let (start, end) = (start.min(end), end.max(start));
        let mut out = text.to_string();
        out.replace_range(start..end, &change.text);
        out
    }

    #[test]
    fn changing_a_closed_document_is_an_error() {
        let uri: Uri = "file:///p/x.ts".parse().expect("test URI");
        assert!(Documents::default().change(&uri, 1, Vec::new()).is_err());
    }
}
