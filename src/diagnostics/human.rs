//! Renders diagnostics for people, through miette, plus a one-line-per-label
//! `short` form used by fixtures and by terminals that want less.
//!
//! Text from input files reaches a terminal here, so control characters in it
//! (an ESC starting an escape sequence, a lone carriage return) are shown as
//! visible escapes, never written raw ([`escape_controls`]). A label on a line
//! longer than [`MAX_SNIPPET_LINE`] bytes is shown as `path:line:col` instead
//! of a source snippet (miette cannot draw columns past 65,535, and such a line
//! is unreadable anyway).
//!
//! A [`Renderer`] escapes and indexes each file once, however many diagnostics
//! point into it, so rendering is linear in the files' size plus the output.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};

use super::source::Source;
use super::{Diagnostic, Severity};
use crate::span::{FileId, Files, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
}

/// Labels on longer lines are listed as locations, without a source snippet.
pub const MAX_SNIPPET_LINE: usize = 1_000;

/// `text` with every control character but newline and tab (and the carriage
/// return of a CRLF) replaced by a visible escape such as `\u{1b}`.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let (escaped, _) = escape_with_offsets(text);
    escaped
}

fn is_raw_control(text: &str, at: usize, c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        '\r' => text.as_bytes().get(at + 1) != Some(&b'\n'),
        c => c.is_control(),
    }
}

/// [`escape_controls`], plus (when anything changed) the offset in the escaped
/// text of every original offset that starts a character, to move spans along.
fn escape_with_offsets(text: &str) -> (Cow<'_, str>, Option<Vec<(u32, u32)>>) {
    if !text
        .char_indices()
        .any(|(at, c)| is_raw_control(text, at, c))
    {
        return (Cow::Borrowed(text), None);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut moves = Vec::new();
    for (at, c) in text.char_indices() {
        if is_raw_control(text, at, c) {
            moves.push((at as u32, out.len() as u32));
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
            moves.push(((at + c.len_utf8()) as u32, out.len() as u32));
        } else {
            out.push(c);
        }
    }
    (Cow::Owned(out), Some(moves))
}

/// Where `offset` of the original text is in the escaped one.
fn moved(moves: &Option<Vec<(u32, u32)>>, offset: u32) -> u32 {
    let Some(moves) = moves else {
        return offset;
    };
    match moves.binary_search_by_key(&offset, |m| m.0) {
        Ok(i) => moves[i].1,
        // Shifted by the last escape before it.
        Err(0) => offset,
        Err(i) => moves[i - 1].1 + (offset - moves[i - 1].0),
    }
}

/// Whether every label sits on a line short enough for a source snippet.
fn snippets_fit(diagnostic: &Diagnostic, files: &Files) -> bool {
    diagnostic.labels.iter().all(|label| {
        let (file, span) = (label.span.file, label.span);
        let index = files.line_index(file);
        let text = files.text(file);
        let first = index.line_range(text, index.line_of(span.start));
        let last = index.line_range(text, index.line_of(span.end.max(span.start)));
        match (first, last) {
            (Some(first), Some(last)) => {
                let end = last.end - usize::from(text[..last.end].ends_with('\n'));
                end - first.start <= MAX_SNIPPET_LINE
            }
            _ => true,
        }
    })
}

/// A file's escaped text (with how escaping moved offsets), made once per file.
struct Escaped {
    source: Source,
    moves: Option<Vec<(u32, u32)>>,
}

/// Renders diagnostics of one compilation, escaping and indexing each file once.
pub struct Renderer<'a> {
    files: &'a Files,
    options: HumanOptions,
    escaped: HashMap<FileId, Escaped>,
}

impl<'a> Renderer<'a> {
    pub fn new(files: &'a Files, options: HumanOptions) -> Renderer<'a> {
        Renderer {
            files,
            options,
            escaped: HashMap::new(),
        }
    }

    /// Renders one diagnostic as miette's graphical report.
    pub fn render(&mut self, diagnostic: &Diagnostic) -> String {
        let files = self.files;
        for label in &diagnostic.labels {
            self.escaped.entry(label.span.file).or_insert_with(|| {
                let (text, moves) = escape_with_offsets(files.text(label.span.file));
                Escaped {
                    source: Source::new(
                        escape_controls(files.path(label.span.file)).into_owned(),
                        text.into_owned(),
                    ),
                    moves,
                }
            });
        }
        render(diagnostic, files, &self.escaped, self.options)
    }
}

fn render(
    diagnostic: &Diagnostic,
    files: &Files,
    escaped: &HashMap<FileId, Escaped>,
    options: HumanOptions,
) -> String {
    if !snippets_fit(diagnostic, files) {
        return render_without_snippets(diagnostic, files, escaped, options);
    }
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .with_urls(false);
    let report = Report::new(diagnostic, files, escaped);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // miette only fails when a span is out of range; fall back rather than lose the message.
        out = render_short(diagnostic, files);
    }
    out
}

/// The graphical header, message and help, with each label as a location line.
fn render_without_snippets(
    diagnostic: &Diagnostic,
    files: &Files,
    escaped: &HashMap<FileId, Escaped>,
    options: HumanOptions,
) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .with_urls(false);
    let mut report = Report::new(diagnostic, files, escaped);
    report.strip_sources();
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        return render_short(diagnostic, files);
    }
    for label in &diagnostic.labels {
        out.push_str(&format!(
            "  at {}: {}\n",
            escape_controls(&location_range(files, label.span)),
            escape_controls(&label.message)
        ));
    }
    out
}

/// `path:line:col: severity[code]: message`, then one indented line per further
/// label and the help. Lines and columns are 1-based (columns count chars).
pub fn render_short(diagnostic: &Diagnostic, files: &Files) -> String {
    let mut out = String::new();
    let primary = diagnostic.primary();
    out.push_str(&format!(
        "{}: {}[{}]: {}\n",
        location(files, primary.span),
        diagnostic.severity.as_str(),
        diagnostic.code.as_str(),
        escape_controls(&diagnostic.message)
    ));
    for label in &diagnostic.labels {
        out.push_str(&format!(
            "  {}: {}\n",
            location_range(files, label.span),
            escape_controls(&label.message)
        ));
    }
    if let Some(help) = &diagnostic.help {
        out.push_str(&format!(
            "  help: {}\n",
            escape_controls(help).replace('\n', "\n        ")
        ));
    }
    if let Some(fix) = &diagnostic.fix {
        out.push_str(&format!("  fix: {}\n", escape_controls(&fix.message)));
    }
    out
}

fn location(files: &Files, span: Span) -> String {
    let pos = files.position(span.file, span.start);
    format!(
        "{}:{}:{}",
        escape_controls(files.path(span.file)),
        pos.line + 1,
        pos.char_col + 1
    )
}

fn location_range(files: &Files, span: Span) -> String {
    let (start, end) = (
        files.position(span.file, span.start),
        files.position(span.file, span.end),
    );
    format!(
        "{}:{}:{}-{}:{}",
        escape_controls(files.path(span.file)),
        start.line + 1,
        start.char_col + 1,
        end.line + 1,
        end.char_col + 1
    )
}

/// Adapts one of our diagnostics to miette. Labels in files other than the
/// primary label's are shown as related reports, each with its own source.
struct Report<'a> {
    message: String,
    code: &'static str,
    severity: miette::Severity,
    help: Option<String>,
    /// The file's escaped text and how escaping moved its offsets.
    escaped: &'a Escaped,
    labels: Vec<LabeledSpan>,
    related: Vec<Report<'a>>,
    /// False when snippets are left out.
    show_source: bool,
}

impl<'a> Report<'a> {
    fn new(
        diagnostic: &Diagnostic,
        files: &Files,
        escaped: &'a HashMap<FileId, Escaped>,
    ) -> Report<'a> {
        let primary_file = diagnostic.primary().span.file;
        let mut report = Report::for_file(
            &escaped[&primary_file],
            escape_controls(&diagnostic.message).into_owned(),
            diagnostic.code.as_str(),
        );
        report.severity = match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        report.help = diagnostic
            .help
            .as_deref()
            .map(|h| escape_controls(h).into_owned());
        if let Some(fix) = &diagnostic.fix {
            let help = report
                .help
                .take()
                .map(|h| format!("{h}\n"))
                .unwrap_or_default();
            report.help = Some(format!(
                "{help}fix available: {}",
                escape_controls(&fix.message)
            ));
        }
        for (i, label) in diagnostic.labels.iter().enumerate() {
            let target = if label.span.file == primary_file {
                &mut report
            } else {
                let file = &escaped[&label.span.file];
                let index = match report
                    .related
                    .iter()
                    .position(|r| std::ptr::eq(r.escaped, file))
                {
                    Some(index) => index,
                    None => {
                        let mut related = Report::for_file(
                            file,
                            format!("in {}", escape_controls(files.path(label.span.file))),
                            "",
                        );
                        related.severity = miette::Severity::Advice;
                        report.related.push(related);
                        report.related.len() - 1
                    }
                };
                &mut report.related[index]
            };
            let start = moved(&target.escaped.moves, label.span.start);
            let end = moved(&target.escaped.moves, label.span.end).max(start);
            let span = (start as usize, (end - start) as usize);
            let label_text = Some(escape_controls(&label.message).into_owned());
            target.labels.push(if i == 0 {
                LabeledSpan::new_primary_with_span(label_text, span)
            } else {
                LabeledSpan::new_with_span(label_text, span)
            });
        }
        report
    }

    fn for_file(escaped: &'a Escaped, message: String, code: &'static str) -> Report<'a> {
        Report {
            message,
            code,
            severity: miette::Severity::Error,
            help: None,
            escaped,
            labels: Vec::new(),
            related: Vec::new(),
            show_source: true,
        }
    }

    /// Leaves out source snippets (and so labels), here and in related reports.
    fn strip_sources(&mut self) {
        self.show_source = false;
        self.labels.clear();
        for related in &mut self.related {
            related.strip_sources();
        }
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.show_source
            .then_some(&self.escaped.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.show_source {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;
    use crate::span::LineIndex;

    /// However many diagnostics point into a file, it is escaped and indexed once:
    /// the work per diagnostic is its lines, not the file.
    #[test]
    fn a_file_is_indexed_once_for_every_diagnostic() {
        let mut files = Files::default();
        let text: String = (0..2_000)
            .map(|i| format!("k{i} = \"\u{1b}v\"\n"))
            .collect();
        let file = files.add("wrangler.toml", text.clone());
        let options = HumanOptions {
            color: false,
            width: 100,
        };
        let mut renderer = Renderer::new(&files, options);
        let before = LineIndex::builds_on_this_thread();
        let mut out = String::new();
        for line in (0..2_000).step_by(10) {
            let start = text
                .match_indices('\n')
                .nth(line)
                .map_or(0, |(i, _)| i as u32 + 1);
            let d = Diagnostic::new(
                Code::WranglerInvalid,
                "bad",
                Span::new(file, start, start + 2),
                "here",
            );
            out.push_str(&renderer.render(&d));
        }
        // The file's index (locations, snippet widths) and its escaped text's.
        assert_eq!(LineIndex::builds_on_this_thread() - before, 2);
        assert!(
            out.contains("1991 │ k1990 = \"\\u{1b}v\""),
            "{}",
            &out[out.len() - 600..]
        );
    }

    #[test]
    fn controls_are_escaped_and_offsets_follow() {
        assert_eq!(escape_controls("a\tb\r\nc"), "a\tb\r\nc");
        let text = "a\u{1b}[2Jb\rc\u{9b}d";
        let (escaped, moves) = escape_with_offsets(text);
        assert_eq!(escaped, "a\\u{1b}[2Jb\\u{d}c\\u{9b}d");
        // Every original character boundary maps onto the same character.
        for (at, c) in text.char_indices().filter(|(_, c)| !c.is_control()) {
            let to = moved(&moves, at as u32) as usize;
            assert_eq!(escaped[to..].chars().next(), Some(c), "{at}");
        }
        assert_eq!(moved(&moves, text.len() as u32) as usize, escaped.len());
    }
}
