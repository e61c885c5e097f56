//! Reads a wrangler JSON file: checks the shape of the parts the compiler edits,
//! lists every binding and environment with its span, and decides which
//! `kv_namespaces` entries the compiler owns.

use std::collections::HashMap;

use jsonc_parser::ast::{Object, ObjectProp, ObjectPropName, StringLit, Value};
use jsonc_parser::common::{Range, Ranged};
use jsonc_parser::errors::ParseError;
use jsonc_parser::tokens::{Token, TokenAndRange};
use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions, parse_to_ast};

use super::{Entry, Parsed, Scope};
use crate::diagnostics::{Code, Diagnostic};
use crate::emit::{Environment, Existing, ExistingBinding, KV_NAMESPACES, MARKER_PROBE};
use crate::span::{FileId, Span};

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

/// The file's name as users see it, for messages.
pub(super) fn file_name(strict_json: bool) -> &'static str {
    if strict_json {
        "wrangler.json"
    } else {
        "wrangler.jsonc"
    }
}

const KV_HELP: &str = "write `kv_namespaces` as an array of objects such as `{ \"binding\": \"KV\", \"id\": \"<namespace id>\" }`";
const ENV_HELP: &str =
    "write `env` as an object with one object per environment: `\"env\": { \"staging\": { ... } }`";

pub(super) fn parse(
    file: FileId,
    text: &str,
    strict_json: bool,
    adopt: &[String],
) -> Result<Parsed, Diagnostic> {
    let name = file_name(strict_json);
    let collect = CollectOptions {
        comments: CommentCollectionStrategy::AsTokens,
        tokens: true,
    };
    let result =
        parse_to_ast(text, &collect, &options()).map_err(|e| syntax_error(file, name, &e))?;
    let mut reader = Reader {
        file,
        text,
        name,
        strict_json,
        adopt,
        tokens: result.tokens.unwrap_or_default(),
        existing: Existing::default(),
        scopes: Vec::new(),
    };
    match &result.value {
        Some(Value::Object(root)) => reader.scope(root, None)?,
        Some(other) => {
            return Err(Diagnostic::new(
                Code::WranglerInvalid,
                format!("{name} must hold a JSON object"),
                reader.span(other.range()),
                "this is not an object",
            )
            .with_help(
                "write the configuration as one object: `{ \"name\": \"my-worker\", ... }`",
            ));
        }
        None => {
            return Err(Diagnostic::new(
                Code::WranglerInvalid,
                format!("{name} is empty"),
                Span::file_start(file),
                "expected an object here",
            )
            .with_help(
                "write the configuration as one object: `{ \"name\": \"my-worker\", ... }`",
            ));
        }
    }
    Ok(Parsed {
        existing: reader.existing,
        text: text.to_string(),
        strict_json,
        scopes: reader.scopes,
    })
}

fn syntax_error(file: FileId, name: &str, error: &ParseError) -> Diagnostic {
    let range = error.range();
    let language = if name.ends_with("jsonc") {
        "JSONC"
    } else {
        "JSON"
    };
    Diagnostic::new(
        Code::WranglerInvalid,
        format!("{name} is not valid {language}"),
        span(file, range),
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

fn span(file: FileId, range: Range) -> Span {
    let offset = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Span::new(file, offset(range.start), offset(range.end))
}

fn name_range(name: &ObjectPropName) -> Range {
    match name {
        ObjectPropName::String(s) => s.range,
        ObjectPropName::Word(w) => w.range,
    }
}

/// The string field `field` of `value`, when `value` is an object that has one.
fn string_field<'v, 'a>(value: &'v Value<'a>, field: &str) -> Option<&'v StringLit<'a>> {
    match value {
        Value::Object(object) => object.get_string(field),
        _ => None,
    }
}

struct Reader<'t> {
    file: FileId,
    text: &'t str,
    name: &'static str,
    strict_json: bool,
    adopt: &'t [String],
    /// Every token of the file, comments included, in order.
    tokens: Vec<TokenAndRange<'t>>,
    existing: Existing,
    scopes: Vec<Scope>,
}

impl Reader<'_> {
    fn span(&self, range: Range) -> Span {
        span(self.file, range)
    }

    fn shape(&self, range: Range, message: String, label: &str, help: &str) -> Diagnostic {
        Diagnostic::new(Code::WranglerInvalid, message, self.span(range), label).with_help(help)
    }

    /// The top level (`environment` is `None`) or one `env.<name>` object.
    fn scope(&mut self, object: &Object, environment: Option<&str>) -> Result<(), Diagnostic> {
        self.unique(object, KV_NAMESPACES)?;
        if environment.is_none() {
            self.unique(object, "env")?;
        }
        let mut entries = Vec::new();
        for prop in &object.properties {
            let key = prop.name.as_str();
            match key {
                KV_NAMESPACES => entries = self.kv_namespaces(&prop.value, environment)?,
                "env" if environment.is_none() => self.environments(&prop.value)?,
                "vars" => self.vars(&prop.value, environment),
                // Maps of user-chosen names, not bindings.
                "define" | "alias" => {}
                _ => self.other_bindings(key, &prop.value, environment),
            }
        }
        self.scopes.push(Scope {
            environment: environment.map(str::to_string),
            entries,
        });
        Ok(())
    }

    /// A key the compiler navigates through must be written once: wrangler reads
    /// the last one, jsonc-parser's tree would hand us the first.
    fn unique(&self, object: &Object, key: &str) -> Result<(), Diagnostic> {
        let mut props = object.properties.iter().filter(|p| p.name.as_str() == key);
        match (props.next(), props.next()) {
            (Some(first), Some(again)) => Err(self.duplicate(first, again, &format!("`{key}`"))),
            _ => Ok(()),
        }
    }

    fn duplicate(&self, first: &ObjectProp, again: &ObjectProp, what: &str) -> Diagnostic {
        Diagnostic::new(
            Code::WranglerInvalid,
            format!("{what} is written twice in {}", self.name),
            self.span(name_range(&again.name)),
            "written again here",
        )
        .with_label(self.span(name_range(&first.name)), "first written here")
        .with_help("keep one of them; wrangler reads only the last")
    }

    fn kv_namespaces(
        &mut self,
        value: &Value,
        environment: Option<&str>,
    ) -> Result<Vec<Entry>, Diagnostic> {
        let name = self.name;
        let message = || match environment {
            None => format!("`kv_namespaces` in {name} has an unexpected shape"),
            Some(env) => format!("`env.{env}.kv_namespaces` in {name} has an unexpected shape"),
        };
        let Value::Array(array) = value else {
            return Err(self.shape(value.range(), message(), "this is not an array", KV_HELP));
        };
        let mut entries = Vec::new();
        for element in &array.elements {
            let Value::Object(entry) = element else {
                return Err(self.shape(
                    element.range(),
                    message(),
                    "this entry is not an object",
                    KV_HELP,
                ));
            };
            let binding = match entry.get("binding") {
                Some(ObjectProp {
                    value: Value::StringLit(binding),
                    ..
                }) => binding,
                Some(prop) => {
                    return Err(self.shape(
                        prop.value.range(),
                        message(),
                        "`binding` must be a string",
                        KV_HELP,
                    ));
                }
                None => {
                    return Err(self.shape(
                        entry.range,
                        message(),
                        "this entry has no `binding`",
                        KV_HELP,
                    ));
                }
            };
            let managed = if self.strict_json {
                self.adopt.iter().any(|name| *name == binding.value)
            } else {
                self.marked(entry.range.start)
            };
            self.push(binding, managed, KV_NAMESPACES, environment);
            entries.push(Entry {
                binding: binding.value.to_string(),
                managed,
            });
        }
        Ok(entries)
    }

    /// Whether a comment on the lines directly above the element starting at
    /// `start` carries the marker. "Above" is what lies between the previous
    /// token that is not a comment (`[` or the previous entry's comma) and the
    /// element, after the end of that token's line: a comment sharing the
    /// previous entry's line belongs to that entry.
    fn marked(&self, start: usize) -> bool {
        let before = self.tokens.partition_point(|t| t.range.start < start);
        let previous_end = self.tokens[..before]
            .iter()
            .rev()
            .find(|t| !matches!(t.token, Token::CommentLine(_) | Token::CommentBlock(_)))
            .map_or(0, |t| t.range.end);
        let gap = self.text.get(previous_end..start).unwrap_or("");
        gap.find(['\n', '\r'])
            .and_then(|line_end| gap.get(line_end..))
            .is_some_and(|above| above.contains(MARKER_PROBE))
    }

    fn environments(&mut self, value: &Value) -> Result<(), Diagnostic> {
        let Value::Object(env) = value else {
            return Err(self.shape(
                value.range(),
                format!("`env` in {} has an unexpected shape", self.name),
                "this is not an object",
                ENV_HELP,
            ));
        };
        let mut seen: HashMap<&str, &ObjectProp> = HashMap::new();
        for prop in &env.properties {
            let name = prop.name.as_str();
            if let Some(first) = seen.insert(name, prop) {
                return Err(self.duplicate(first, prop, &format!("environment `{name}`")));
            }
            self.existing.environments.push(Environment {
                name: name.to_string(),
                span: self.span(name_range(&prop.name)),
            });
            let Value::Object(body) = &prop.value else {
                return Err(self.shape(
                    prop.value.range(),
                    format!(
                        "environment `{name}` in {} has an unexpected shape",
                        self.name
                    ),
                    "this is not an object",
                    ENV_HELP,
                ));
            };
            self.scope(body, Some(name))?;
        }
        Ok(())
    }

    /// Every key of `vars` is a binding on `env`.
    fn vars(&mut self, value: &Value, environment: Option<&str>) {
        let Value::Object(vars) = value else { return };
        for prop in &vars.properties {
            self.existing.bindings.push(ExistingBinding {
                name: prop.name.as_str().to_string(),
                span: self.span(name_range(&prop.name)),
                managed: false,
                kind: "vars".to_string(),
                environment: environment.map(str::to_string),
            });
        }
    }

    /// Bindings of other kinds: arrays of objects with a `binding` (`d1_databases`,
    /// `r2_buckets`, `services`, …), objects with one (`ai`, `browser`, `assets`, …),
    /// and the few kinds that name the binding elsewhere.
    fn other_bindings(&mut self, key: &str, value: &Value, environment: Option<&str>) {
        let (list, field) = match (key, value) {
            ("durable_objects", Value::Object(object)) => (object.get_array("bindings"), "name"),
            ("queues", Value::Object(object)) => (object.get_array("producers"), "binding"),
            ("send_email", Value::Array(array)) => (Some(array), "name"),
            (_, Value::Array(array)) => (Some(array), "binding"),
            (_, Value::Object(object)) => {
                if let Some(binding) = object.get_string("binding") {
                    self.push(binding, false, key, environment);
                }
                return;
            }
            _ => return,
        };
        for element in list.map(|l| l.elements.as_slice()).unwrap_or_default() {
            if let Some(binding) = string_field(element, field) {
                self.push(binding, false, key, environment);
            }
        }
    }

    fn push(&mut self, binding: &StringLit, managed: bool, kind: &str, environment: Option<&str>) {
        self.existing.bindings.push(ExistingBinding {
            name: binding.value.to_string(),
            span: self.span(binding.range),
            managed,
            kind: kind.to_string(),
            environment: environment.map(str::to_string),
        });
    }
}
