//! Edits `wrangler.toml` in place with `toml_edit`, or creates a minimal one.
//!
//! The compiler owns only the `kv_namespaces` entries it marks with
//! [`MARKER`] (a comment above the entry). It updates their keys in place,
//! appends the ones that are missing and removes marked ones the config no
//! longer asks for. Every other byte of the file is left as it was.

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use super::{ExistingBinding, KV_NAMESPACES, KvEntry, MARKER_PROBE};
use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// Marks an entry the compiler owns. Detection looks for this text in the
/// comments directly above an entry.
pub const MARKER: &str = "# Managed by quickback-kv: change the Quickback config, not this entry.";

/// What a new wrangler.toml is created with.
pub struct Scaffold<'a> {
    pub header: &'a str,
    pub name: &'a str,
    pub compatibility_date: &'a str,
}

/// Where `kv_namespaces` entries live, as written by the user.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Absent,
    Tables,
    Inline,
}

/// The parsed file: what the edit needs to know, with spans for diagnostics.
pub struct Parsed {
    doc: DocumentMut,
    form: Form,
    /// For each `kv_namespaces` entry in order: its binding (if a string) and whether it is marked.
    entries: Vec<(Option<String>, bool)>,
    pub bindings: Vec<ExistingBinding>,
}

pub fn parse(file: FileId, text: &str) -> Result<Parsed, Diagnostic> {
    let document = toml_edit::Document::parse(text).map_err(|e| {
        let range = e.span().unwrap_or(0..0);
        Diagnostic::new(
            Code::WranglerInvalid,
            "wrangler.toml is not valid TOML",
            Span::new(file, range.start as u32, range.end as u32),
            e.message().trim().to_string(),
        )
        .with_help("fix the TOML syntax; quickback-kv never rewrites a file it cannot parse")
    })?;
    let span = |range: Option<std::ops::Range<usize>>| {
        let r = range.unwrap_or(0..0);
        Span::new(file, r.start as u32, r.end as u32)
    };
    let marked = |prefix: Option<&toml_edit::RawString>| {
        prefix.and_then(|p| p.span()).and_then(|r| text.get(r)).is_some_and(|p| p.contains(MARKER_PROBE))
    };

    let mut entries = Vec::new();
    let mut bindings = Vec::new();
    let form = match document.get(KV_NAMESPACES) {
        None => Form::Absent,
        Some(Item::ArrayOfTables(tables)) => {
            for table in tables.iter() {
                let managed = marked(table.decor().prefix());
                entries.push(entry_binding(table.get("binding").and_then(Item::as_value), managed, span, &mut bindings));
            }
            Form::Tables
        }
        Some(Item::Value(Value::Array(array))) => {
            for value in array.iter() {
                let Some(table) = value.as_inline_table() else {
                    return Err(invalid_shape(span(value.span()), "this entry is not a table"));
                };
                let managed = marked(value.decor().prefix());
                entries.push(entry_binding(table.get("binding"), managed, span, &mut bindings));
            }
            Form::Inline
        }
        Some(other) => return Err(invalid_shape(span(other.span()), "`kv_namespaces` must be a list of tables")),
    };

    // Other kinds of bindings share `env` with KV namespaces.
    for (key, item) in document.iter() {
        if key == KV_NAMESPACES {
            continue;
        }
        if key == "vars" {
            if let Some(vars) = item.as_table_like() {
                for (name, _) in vars.iter() {
                    let key_span = vars.key(name).and_then(|k| k.span());
                    bindings.push(ExistingBinding { name: name.to_string(), span: span(key_span), managed: false, kind: "vars".into(), environment: None });
                }
            }
            continue;
        }
        let mut push = |binding: Option<&Value>| {
            if let Some(Value::String(s)) = binding {
                bindings.push(ExistingBinding { name: s.value().clone(), span: span(s.span()), managed: false, kind: key.to_string(), environment: None });
            }
        };
        match item {
            Item::ArrayOfTables(tables) => tables.iter().for_each(|t| push(t.get("binding").and_then(Item::as_value))),
            Item::Value(Value::Array(array)) => {
                array.iter().filter_map(Value::as_inline_table).for_each(|t| push(t.get("binding")))
            }
            _ => {}
        }
    }

    Ok(Parsed { doc: document.into_mut(), form, entries, bindings })
}

fn entry_binding(
    binding: Option<&Value>,
    managed: bool,
    span: impl Fn(Option<std::ops::Range<usize>>) -> Span,
    bindings: &mut Vec<ExistingBinding>,
) -> (Option<String>, bool) {
    match binding {
        Some(Value::String(s)) => {
            bindings.push(ExistingBinding { name: s.value().clone(), span: span(s.span()), managed, kind: KV_NAMESPACES.into(), environment: None });
            (Some(s.value().clone()), managed)
        }
        _ => (None, managed),
    }
}

fn invalid_shape(span: Span, label: &str) -> Diagnostic {
    Diagnostic::new(Code::WranglerInvalid, "`kv_namespaces` in wrangler.toml has an unexpected shape", span, label)
        .with_help("write each namespace as a `[[kv_namespaces]]` table with `binding` and `id`")
}

impl Parsed {
    /// KV bindings the user wrote by hand (not owned by the compiler).
    pub fn hand_written_kv(&self) -> impl Iterator<Item = &str> {
        self.bindings.iter().filter(|b| b.kind == KV_NAMESPACES && !b.managed).map(|b| b.name.as_str())
    }
}

/// Applies the desired entries to a parsed file and returns the new text.
pub fn edit(parsed: Parsed, desired: &[KvEntry]) -> String {
    let Parsed { mut doc, form, entries, .. } = parsed;
    let mut done = vec![false; desired.len()];
    let mut remove = Vec::new();
    for (index, (binding, managed)) in entries.iter().enumerate() {
        if !managed {
            continue;
        }
        match desired.iter().position(|d| Some(&d.binding) == binding.as_ref()) {
            Some(d) if !done[d] => {
                done[d] = true;
                match form {
                    Form::Tables => {
                        if let Some(table) = doc[KV_NAMESPACES].as_array_of_tables_mut().and_then(|t| t.get_mut(index)) {
                            update(table, &desired[d]);
                        }
                    }
                    Form::Inline => {
                        if let Some(table) = doc[KV_NAMESPACES].as_array_mut().and_then(|a| a.get_mut(index)).and_then(Value::as_inline_table_mut) {
                            update(table, &desired[d]);
                        }
                    }
                    Form::Absent => {}
                }
            }
            _ => remove.push(index),
        }
    }
    for &index in remove.iter().rev() {
        match form {
            Form::Tables => {
                if let Some(t) = doc[KV_NAMESPACES].as_array_of_tables_mut() {
                    t.remove(index);
                }
            }
            Form::Inline => {
                if let Some(a) = doc[KV_NAMESPACES].as_array_mut() {
                    a.remove(index);
                }
            }
            Form::Absent => {}
        }
    }
    let missing: Vec<&KvEntry> = desired.iter().zip(&done).filter(|(_, done)| !**done).map(|(d, _)| d).collect();
    match form {
        Form::Inline => {
            if let Some(array) = doc[KV_NAMESPACES].as_array_mut() {
                for entry in missing {
                    append_inline(array, entry);
                }
            }
        }
        Form::Tables | Form::Absent => {
            if !missing.is_empty() {
                if form == Form::Absent {
                    doc.insert(KV_NAMESPACES, Item::ArrayOfTables(ArrayOfTables::new()));
                }
                if let Some(tables) = doc[KV_NAMESPACES].as_array_of_tables_mut() {
                    for entry in missing {
                        tables.push(new_table(entry));
                    }
                }
            }
        }
    }
    // An emptied list leaves no `kv_namespaces = []` or dangling key behind.
    let empty = match doc.get(KV_NAMESPACES) {
        Some(Item::ArrayOfTables(t)) => t.is_empty(),
        Some(Item::Value(Value::Array(a))) => a.is_empty() && form == Form::Absent,
        _ => false,
    };
    if empty {
        doc.remove(KV_NAMESPACES);
    }
    doc.to_string()
}

/// A new wrangler.toml for a project that has none.
pub fn scaffold(scaffold: &Scaffold, desired: &[KvEntry]) -> String {
    let mut doc = DocumentMut::new();
    doc.insert("name", toml_edit::value(scaffold.name));
    doc.insert("main", toml_edit::value("src/index.ts"));
    doc.insert("compatibility_date", toml_edit::value(scaffold.compatibility_date));
    doc.insert("compatibility_flags", toml_edit::value(Array::from_iter(["nodejs_compat"])));
    if let Some((mut key, _)) = doc.as_table_mut().get_key_value_mut("name") {
        key.leaf_decor_mut().set_prefix(scaffold.header);
    }
    let parsed = Parsed { doc, form: Form::Absent, entries: Vec::new(), bindings: Vec::new() };
    edit(parsed, desired)
}

/// Sets `key` to `value` unless it already holds it, keeping the line's comment.
fn set_string(table: &mut dyn toml_edit::TableLike, key: &str, value: Option<&str>) {
    match (table.get_mut(key), value) {
        (Some(Item::Value(Value::String(old))), Some(new)) if old.value() == new => {}
        (Some(Item::Value(old)), Some(new)) => {
            let decor = old.decor().clone();
            let mut replacement = Value::from(new);
            *replacement.decor_mut() = decor;
            *old = replacement;
        }
        (_, Some(new)) => {
            table.insert(key, toml_edit::value(new));
        }
        (Some(_), None) => {
            table.remove(key);
        }
        (None, None) => {}
    }
}

/// Brings an owned entry (a `[[kv_namespaces]]` table or an inline table) up to date.
fn update(table: &mut dyn toml_edit::TableLike, entry: &KvEntry) {
    set_string(table, "binding", Some(&entry.binding));
    set_string(table, "id", entry.id.as_deref());
}

fn new_table(entry: &KvEntry) -> Table {
    let mut table = Table::new();
    table.decor_mut().set_prefix(format!("\n{MARKER}\n"));
    table.insert("binding", toml_edit::value(entry.binding.as_str()));
    if let Some(id) = &entry.id {
        table.insert("id", toml_edit::value(id.as_str()));
    }
    table
}

fn append_inline(array: &mut Array, entry: &KvEntry) {
    // The comma joining the new entry follows the last one directly: `} ,` would look broken.
    if let Some(last) = array.iter_mut().last()
        && last.decor().suffix().and_then(|s| s.as_str()).is_some_and(|s| s.trim().is_empty())
    {
        last.decor_mut().set_suffix("");
    }
    let mut table = InlineTable::new();
    table.insert("binding", Value::from(entry.binding.as_str()));
    if let Some(id) = &entry.id {
        table.insert("id", Value::from(id.as_str()));
    }
    let mut value = Value::InlineTable(table);
    value.decor_mut().set_prefix(format!("\n  {MARKER}\n  "));
    array.push_formatted(value);
    array.set_trailing("\n");
    array.set_trailing_comma(true);
}
