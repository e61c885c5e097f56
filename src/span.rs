//! One span type for the whole compiler: a byte range in one of the compilation's files.
//!
//! Spans are converted from swc in exactly one place (`syntax::lower`). Line and
//! column are computed only when rendering, through [`LineIndex`], built at most
//! once per file ([`Files::position`]) so rendering stays linear in the file's size.
//! Lines end at `\n`, `\r\n` or a lone `\r`, as the Language Server Protocol
//! counts them (and as editors show them).

use std::cell::Cell;
use std::sync::OnceLock;

/// Index of a file in [`Files`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A half-open byte range `start..end` in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: u32, end: u32) -> Span {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }

    /// An empty span at the start of a file, for problems with the file as a whole.
    pub fn file_start(file: FileId) -> Span {
        Span::new(file, 0, 0)
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A file taking part in a compilation: the config, the wrangler file, an output.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the project root, with `/` separators, as shown to users.
    pub path: String,
    pub text: String,
    /// Built on first use.
    index: OnceLock<LineIndex>,
}

/// Every file of one compilation, addressed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct Files {
    files: Vec<SourceFile>,
}

impl Files {
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile {
            path: path.into(),
            text: text.into(),
            index: OnceLock::new(),
        });
        FileId((self.files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn path(&self, id: FileId) -> &str {
        &self.get(id).path
    }

    pub fn text(&self, id: FileId) -> &str {
        &self.get(id).text
    }

    /// The file's line index, built the first time it is asked for.
    pub fn line_index(&self, id: FileId) -> &LineIndex {
        let file = self.get(id);
        file.index.get_or_init(|| LineIndex::new(&file.text))
    }

    /// The position of a byte offset of a file (see [`LineIndex::position`]).
    pub fn position(&self, id: FileId, offset: u32) -> Position {
        self.line_index(id).position(self.text(id), offset)
    }
}

thread_local! {
    static BUILDS: Cell<usize> = const { Cell::new(0) };
}

/// A position for people and editors: 0-based line, and 0-based column counted
/// both in UTF-16 code units (as the Language Server Protocol counts) and in chars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub utf16_col: u32,
    pub char_col: u32,
}

/// Line starts of one text, for turning byte offsets into [`Position`]s.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        BUILDS.with(|b| b.set(b.get() + 1));
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
                .map(|(i, _)| i as u32 + 1),
        );
        LineIndex { line_starts }
    }

    /// How many indexes this thread has built: tests count work with it, never time.
    pub fn builds_on_this_thread() -> usize {
        BUILDS.with(Cell::get)
    }

    /// The 0-based line holding a byte offset (a line break belongs to the line it ends).
    pub fn line_of(&self, offset: u32) -> usize {
        self.line_starts.partition_point(|&s| s <= offset) - 1
    }

    /// The byte range of a 0-based line with its line break, if the line exists.
    pub fn line_range(&self, text: &str, line: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(line)? as usize;
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(text.len(), |&next| next as usize);
        Some(start..end)
    }

    /// The number of lines (a text ending in a line break has an empty last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The position of a byte offset; offsets inside a character or past the end are clamped.
    pub fn position(&self, text: &str, offset: u32) -> Position {
        let mut offset = (offset as usize).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset as u32);
        let start = self.line_starts[line] as usize;
        let prefix = &text[start..offset];
        Position {
            line: line as u32,
            utf16_col: prefix.encode_utf16().count() as u32,
            char_col: prefix.chars().count() as u32,
        }
    }

    /// The byte offset of a 0-based line and UTF-16 column, the inverse of
    /// [`LineIndex::position`]. As the Language Server Protocol asks, a column past
    /// the line's end means the end of the line, and a line past the last means the
    /// end of the text; a column inside a surrogate pair goes to the character's start.
    pub fn offset(&self, text: &str, line: u32, utf16_col: u32) -> u32 {
        let Some(range) = self.line_range(text, line as usize) else {
            return text.len() as u32;
        };
        let start = range.start;
        let line_text = text.get(range).unwrap_or("");
        // The end of the line is before its break (`\n`, `\r\n` or `\r`).
        let line_text = line_text.strip_suffix('\n').unwrap_or(line_text);
        let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
        let mut units = 0;
        for (i, c) in line_text.char_indices() {
            units += c.len_utf16() as u32;
            if units > utf16_col {
                return (start + i) as u32;
            }
        }
        (start + line_text.len()) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "ab\n😀x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(
            index.position(text, x),
            Position {
                line: 1,
                utf16_col: 2,
                char_col: 1
            }
        );
        assert_eq!(
            index.position(text, 0),
            Position {
                line: 0,
                utf16_col: 0,
                char_col: 0
            }
        );
    }

    #[test]
    fn offsets_invert_positions() {
        let text = "a😀é\r\nx\n\nlast";
        let index = LineIndex::new(text);
        for (offset, _) in text
            .char_indices()
            .filter(|&(i, _)| text.as_bytes()[i] != b'\n' && i != 7)
        {
            let p = index.position(text, offset as u32);
            assert_eq!(
                index.offset(text, p.line, p.utf16_col),
                offset as u32,
                "at {offset}"
            );
        }
        assert_eq!(index.offset(text, 0, 1), 1, "before the emoji");
        assert_eq!(
            index.offset(text, 0, 2),
            1,
            "inside the surrogate pair: the emoji's start"
        );
        assert_eq!(index.offset(text, 0, 3), 5, "after the emoji");
        assert_eq!(
            index.offset(text, 0, 99),
            7,
            "past the end of a CRLF line: before the \\r"
        );
        assert_eq!(index.offset(text, 3, 4), text.len() as u32);
        assert_eq!(
            index.offset(text, 9, 0),
            text.len() as u32,
            "past the last line"
        );
    }

    /// A lone `\r` ends a line, as in the Language Server Protocol and in editors.
    #[test]
    fn lines_end_at_lf_crlf_and_a_lone_cr() {
        let text = "a\rb\r\nc\nd\r";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 5);
        for (c, line) in [('a', 0), ('b', 1), ('c', 2), ('d', 3)] {
            let offset = text.find(c).unwrap() as u32;
            assert_eq!(index.position(text, offset).line, line, "{c}");
            assert_eq!(index.offset(text, line, 0), offset, "{c}");
            assert_eq!(
                index.offset(text, line, 9),
                offset + 1,
                "end of the line of {c}"
            );
        }
        assert_eq!(index.offset(text, 4, 0), text.len() as u32);
    }

    #[test]
    fn a_file_is_indexed_once() {
        let mut files = Files::default();
        let id = files.add("f", "x\n".repeat(100));
        let before = LineIndex::builds_on_this_thread();
        for offset in 0..200 {
            assert_eq!(files.position(id, offset).line, offset / 2);
        }
        assert_eq!(LineIndex::builds_on_this_thread() - before, 1);
    }

    #[test]
    fn offsets_inside_a_character_are_clamped() {
        let text = "😀";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 2).utf16_col, 0);
        assert_eq!(index.position(text, 99).utf16_col, 2);
    }
}
