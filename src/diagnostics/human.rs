//! Renders diagnostics for people, through miette, plus a one-line-per-label
//! `short` form used by fixtures and by terminals that want less.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

use super::{Diagnostic, Severity};
use crate::span::{Files, LineIndex, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
}

/// Renders one diagnostic as miette's graphical report.
pub fn render(diagnostic: &Diagnostic, files: &Files, options: HumanOptions) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .with_urls(false);
    let report = Report::new(diagnostic, files);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // miette only fails when a span is out of range; fall back rather than lose the message.
        out = render_short(diagnostic, files);
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
        diagnostic.message
    ));
    for label in &diagnostic.labels {
        out.push_str(&format!(
            "  {}: {}\n",
            location_range(files, label.span),
            label.message
        ));
    }
    if let Some(help) = &diagnostic.help {
        out.push_str(&format!("  help: {}\n", help.replace('\n', "\n        ")));
    }
    if let Some(fix) = &diagnostic.fix {
        out.push_str(&format!("  fix: {}\n", fix.message));
    }
    out
}

fn location(files: &Files, span: Span) -> String {
    let text = files.text(span.file);
    let pos = LineIndex::new(text).position(text, span.start);
    format!(
        "{}:{}:{}",
        files.path(span.file),
        pos.line + 1,
        pos.char_col + 1
    )
}

fn location_range(files: &Files, span: Span) -> String {
    let text = files.text(span.file);
    let index = LineIndex::new(text);
    let (start, end) = (
        index.position(text, span.start),
        index.position(text, span.end),
    );
    format!(
        "{}:{}:{}-{}:{}",
        files.path(span.file),
        start.line + 1,
        start.char_col + 1,
        end.line + 1,
        end.char_col + 1
    )
}

/// Adapts one of our diagnostics to miette. Labels in files other than the
/// primary label's are shown as related reports, each with its own source.
struct Report {
    message: String,
    code: &'static str,
    severity: miette::Severity,
    help: Option<String>,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(diagnostic: &Diagnostic, files: &Files) -> Report {
        let primary_file = diagnostic.primary().span.file;
        let mut report = Report::for_file(
            files,
            primary_file,
            diagnostic.message.clone(),
            diagnostic.code.as_str(),
        );
        report.severity = match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        report.help = diagnostic.help.clone();
        if let Some(fix) = &diagnostic.fix {
            let help = report
                .help
                .take()
                .map(|h| format!("{h}\n"))
                .unwrap_or_default();
            report.help = Some(format!("{help}fix available: {}", fix.message));
        }
        for (i, label) in diagnostic.labels.iter().enumerate() {
            let target = if label.span.file == primary_file {
                &mut report
            } else {
                let index = match report
                    .related
                    .iter()
                    .position(|r| r.source.name() == files.path(label.span.file))
                {
                    Some(index) => index,
                    None => {
                        let mut related = Report::for_file(
                            files,
                            label.span.file,
                            format!("in {}", files.path(label.span.file)),
                            "",
                        );
                        related.severity = miette::Severity::Advice;
                        report.related.push(related);
                        report.related.len() - 1
                    }
                };
                &mut report.related[index]
            };
            let span = (label.span.start as usize, label.span.len() as usize);
            let label_text = Some(label.message.clone());
            target.labels.push(if i == 0 {
                LabeledSpan::new_primary_with_span(label_text, span)
            } else {
                LabeledSpan::new_with_span(label_text, span)
            });
        }
        report
    }

    fn for_file(
        files: &Files,
        file: crate::span::FileId,
        message: String,
        code: &'static str,
    ) -> Report {
        Report {
            message,
            code,
            severity: miette::Severity::Error,
            help: None,
            source: NamedSource::new(files.path(file), files.text(file).to_string()),
            labels: Vec::new(),
            related: Vec::new(),
        }
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
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
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
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
