//! A file's text as miette reads it for snippets, found through a [`LineIndex`]
//! built once: miette's own `SourceCode` for strings scans from the file's start
//! on every read, so rendering one diagnostic cost time in proportion to the
//! file, and a file with thousands of diagnostics took quadratic time. Reads
//! here cost the lines they return and a binary search. What they return is
//! exactly what miette's string source returns for the reads its graphical
//! handler makes (as many context lines after as before; a test compares the two).

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::span::LineIndex;

/// A named text with its line index.
#[derive(Debug)]
pub struct Source {
    name: String,
    text: String,
    index: LineIndex,
}

impl Source {
    pub fn new(name: String, text: String) -> Source {
        let index = LineIndex::new(&text);
        Source { name, text, index }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The contents miette's `context_info` returns for `span` with that many
    /// context lines, without its scan from the file's start.
    fn contents(
        &self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<MietteSpanContents<'_>, MietteError> {
        let bytes = self.text.as_bytes();
        let len = bytes.len();
        let offset = span.offset().min(len);
        let last = (span.offset() + span.len()).saturating_sub(1);
        if last > len {
            return Err(MietteError::OutOfBounds);
        }
        let line_of = |at: usize| self.index.line_of(at as u32);
        let first_line = line_of(offset);
        let (start, line, column) = if before == 0 {
            let line_start = self
                .index
                .line_range(&self.text, first_line)
                .map_or(0, |r| r.start);
            // Between the `\r` and `\n` of a line's break, the `\r` is not a column.
            let in_break = offset > line_start && bytes[offset - 1] == b'\r';
            (
                offset,
                first_line,
                offset - line_start - usize::from(in_break),
            )
        } else {
            let line = first_line.saturating_sub(before);
            let start = self
                .index
                .line_range(&self.text, line)
                .map_or(0, |r| r.start);
            (start, line, 0)
        };
        let end = if after == 0 {
            // Through the character at `last` (both bytes of a `\r\n`).
            let crlf = bytes.get(last) == Some(&b'\r') && bytes.get(last + 1) == Some(&b'\n');
            (last + 1 + usize::from(crlf)).min(len)
        } else if last >= len {
            len
        } else {
            // miette's scan: the line break at `last` (the span's last byte, or the
            // byte before an empty span) does not end the span's last line.
            let last_line = line_of(last) + usize::from(matches!(bytes[last], b'\n' | b'\r'));
            self.index
                .line_range(&self.text, last_line + after)
                .map_or(len, |r| r.end)
        };
        let end = end.max(start);
        Ok(MietteSpanContents::new_named(
            self.name.clone(),
            &bytes[start..end],
            (start, end - start).into(),
            line,
            column,
            line_of(end),
        ))
    }
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        Ok(Box::new(self.contents(
            span,
            context_lines_before,
            context_lines_after,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every span of every short text over line breaks of each kind and
    /// multi-byte characters reads the same as through miette's string source,
    /// with the context lines miette's graphical handler asks for.
    #[test]
    fn reads_like_miettes_string_source() {
        let pieces = ["a", "é", "\n", "\r\n", "\r", "bc"];
        let mut texts = vec![String::new()];
        // Every text of up to four pieces.
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}")))
                .collect();
            texts.extend(longer);
        }
        texts.sort();
        texts.dedup();
        let mut compared = 0;
        for text in &texts {
            let source = Source::new("f".into(), text.clone());
            let boundaries: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            for &start in &boundaries {
                for &end in boundaries.iter().filter(|&&e| e >= start) {
                    let span = SourceSpan::from((start, end - start));
                    for (before, after) in [(0, 0), (1, 1), (2, 2), (3, 3)] {
                        let ours = source.contents(&span, before, after).unwrap();
                        let theirs = text.as_str().read_span(&span, before, after).unwrap();
                        let at = format!("{text:?} {start}..{end} ({before}, {after})");
                        assert_eq!(ours.data(), theirs.data(), "{at} data");
                        assert_eq!(ours.span(), theirs.span(), "{at} span");
                        assert_eq!(ours.line(), theirs.line(), "{at} line");
                        assert_eq!(ours.column(), theirs.column(), "{at} column");
                        assert_eq!(ours.line_count(), theirs.line_count(), "{at} line_count");
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 10_000, "{compared}");
    }
}
