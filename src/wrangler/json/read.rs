//! Reads a wrangler JSON file into the core's [`Node`] view: jsonc-parser's AST
//! with byte ranges, and its token list to find marker comments.

use std::ops::Range;

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::errors::ParseError;
use jsonc_parser::tokens::{Token, TokenAndRange};
use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions, parse_to_ast};

use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, Span};
use crate::wrangler::{Facts, Format, Key, Marker, Node, Shape, read};

/// JSONC as wrangler reads it: comments and trailing commas, nothing from JSON5.
pub(super) fn options() -> ParseOptions {
    ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// `offset`: where `text` starts in the file (after a byte order mark).
pub(super) fn facts(
    file: FileId,
    text: &str,
    offset: usize,
    format: Format,
) -> Result<Facts, Diagnostic> {
    let collect = CollectOptions {
        comments: CommentCollectionStrategy::AsTokens,
        tokens: true,
    };
    let result = parse_to_ast(text, &collect, &options())
        .map_err(|e| syntax_error(file, offset, format, &e))?;
    let context = Context {
        text,
        offset,
        tokens: result.tokens.unwrap_or_default(),
    };
    match &result.value {
        Some(value) => read(
            &JsonNode {
                value,
                context: &context,
            },
            file,
            format,
        ),
        None => Err(Diagnostic::new(
            Code::WranglerInvalid,
            format!("{} is empty", format.file_name()),
            Span::file_start(file),
            "expected an object here",
        )
        .with_help("write the configuration as one object: `{ \"name\": \"my-worker\", ... }`")),
    }
}

fn syntax_error(file: FileId, offset: usize, format: Format, error: &ParseError) -> Diagnostic {
    let range = error.range();
    let language = if format == Format::Json {
        "JSON"
    } else {
        "JSONC"
    };
    let at = |n: usize| u32::try_from(n + offset).unwrap_or(u32::MAX);
    Diagnostic::new(
        Code::WranglerInvalid,
        format!("{} is not valid {language}", format.file_name()),
        Span::new(file, at(range.start), at(range.end)),
        lower_first(&error.kind().to_string()),
    )
    .with_help("fix the JSON syntax; quickback-kv never rewrites a file it cannot parse")
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

struct Context<'t> {
    text: &'t str,
    offset: usize,
    /// Every token of the file, comments included, in order.
    tokens: Vec<TokenAndRange<'t>>,
}

impl Context<'_> {
    fn range(&self, start: usize, end: usize) -> Range<usize> {
        start + self.offset..end + self.offset
    }

    /// Whether a comment on the lines directly above the element starting at
    /// `start` carries the marker. "Above" is what lies between the previous
    /// token that is not a comment (`[` or the previous entry's comma) and the
    /// element, after the end of that token's line: a comment sharing the
    /// previous entry's line belongs to that entry.
    fn marked(&self, start: usize) -> Option<Marker> {
        let before = self.tokens.partition_point(|t| t.range.start < start);
        let previous_end = self.tokens[..before]
            .iter()
            .rev()
            .find(|t| !matches!(t.token, Token::CommentLine(_) | Token::CommentBlock(_)))
            .map_or(0, |t| t.range.end);
        let gap = self.text.get(previous_end..start).unwrap_or("");
        gap.find(['\n', '\r'])
            .and_then(|line_end| gap.get(line_end..))
            .and_then(Marker::find)
    }
}

#[derive(Clone, Copy)]
struct JsonNode<'v, 't> {
    value: &'v Value<'t>,
    context: &'v Context<'t>,
}

impl<'v, 't> JsonNode<'v, 't> {
    fn at(&self, value: &'v Value<'t>) -> JsonNode<'v, 't> {
        JsonNode {
            value,
            context: self.context,
        }
    }
}

impl Node for JsonNode<'_, '_> {
    fn shape(&self) -> Shape<Self> {
        match self.value {
            Value::Object(object) => Shape::Table(
                object
                    .properties
                    .iter()
                    .map(|prop| {
                        let r = match &prop.name {
                            ObjectPropName::String(s) => s.range,
                            ObjectPropName::Word(w) => w.range,
                        };
                        let key = Key {
                            name: prop.name.as_str().to_string(),
                            range: Some(self.context.range(r.start, r.end)),
                        };
                        (key, self.at(&prop.value))
                    })
                    .collect(),
            ),
            Value::Array(array) => {
                Shape::Array(array.elements.iter().map(|v| self.at(v)).collect())
            }
            Value::StringLit(s) => Shape::String(s.value.to_string()),
            Value::BooleanLit(b) => Shape::Bool(b.value),
            _ => Shape::Other,
        }
    }

    fn range(&self) -> Option<Range<usize>> {
        let r = self.value.range();
        Some(self.context.range(r.start, r.end))
    }

    fn marked(&self) -> Option<Marker> {
        self.context.marked(self.value.range().start)
    }
}
