//! Edits `wrangler.toml` in place with `toml_edit`, or creates a minimal one.
//!
//! The compiler owns only the `kv_namespaces` entries it marks with
//! [`MARKER_TEXT`] (a `#` comment above the entry), at top level and in `[env.NAME]`.
//! It updates their keys in place, appends the ones that are missing (creating
//! an environment's entries when the file has none) and removes marked ones the
//! config no longer asks for. Every other byte of the file is left as it was.

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, TableLike, Value};

use super::{
    Desired, Environment, Existing, ExistingBinding, KV_NAMESPACES, KvEntry, MARKER_PROBE,
    MARKER_TEXT,
};
use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// The key holding wrangler's environments.
const ENV: &str = "env";

/// What a new wrangler.toml is created with.
pub struct Scaffold<'a> {
    pub header: &'a str,
    pub name: &'a str,
    pub compatibility_date: &'a str,
}

/// Where a scope's `kv_namespaces` entries live, as written by the user.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Form {
    Absent,
    Tables,
    Inline,
}

/// The `kv_namespaces` of one scope: top level (`environment: None`) or `env.NAME`.
#[derive(Debug)]
struct Scope {
    environment: Option<String>,
    form: Form,
    /// For each entry in order: its binding (if a string) and whether it is marked.
    entries: Vec<(Option<String>, bool)>,
}

/// The parsed file: what the edit needs to know, with spans for diagnostics.
pub struct Parsed {
    doc: DocumentMut,
    scopes: Vec<Scope>,
    pub existing: Existing,
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
    let reader = Reader { file, text };
    let mut existing = Existing::default();
    let mut scopes = vec![reader.scope(document.as_table(), None, &mut existing)?];
    if let Some(envs) = document.get(ENV) {
        let Some(envs) = envs.as_table_like() else {
            return Err(reader.invalid(
                envs.span(),
                "`env` must be a table of environments",
                "write each environment as an `[env.NAME]` table",
            ));
        };
        for (name, item) in envs.iter() {
            let key_span = envs
                .key(name)
                .and_then(|k| k.span())
                .or_else(|| item.span());
            let Some(table) = item.as_table_like() else {
                return Err(reader.invalid(
                    key_span,
                    "this environment is not a table",
                    "write the environment as an `[env.NAME]` table",
                ));
            };
            existing.environments.push(Environment {
                name: name.to_string(),
                span: reader.span(key_span),
            });
            scopes.push(reader.scope(table, Some(name), &mut existing)?);
        }
    }
    Ok(Parsed {
        doc: document.into_mut(),
        scopes,
        existing,
    })
}

/// Reads spans and markers out of the parsed document.
struct Reader<'a> {
    file: FileId,
    text: &'a str,
}

impl Reader<'_> {
    fn span(&self, range: Option<std::ops::Range<usize>>) -> Span {
        let r = range.unwrap_or(0..0);
        Span::new(self.file, r.start as u32, r.end as u32)
    }

    fn marked(&self, prefix: Option<&toml_edit::RawString>) -> bool {
        prefix
            .and_then(|p| p.span())
            .and_then(|r| self.text.get(r))
            .is_some_and(|p| p.contains(MARKER_PROBE))
    }

    fn invalid(
        &self,
        range: Option<std::ops::Range<usize>>,
        label: &str,
        help: &str,
    ) -> Diagnostic {
        let what = if help == KV_HELP {
            "`kv_namespaces`"
        } else {
            "`env`"
        };
        Diagnostic::new(
            Code::WranglerInvalid,
            format!("{what} in wrangler.toml has an unexpected shape"),
            self.span(range),
            label,
        )
        .with_help(help)
    }

    /// One scope's KV entries, and every binding it declares into `existing`.
    fn scope(
        &self,
        table: &dyn TableLike,
        environment: Option<&str>,
        existing: &mut Existing,
    ) -> Result<Scope, Diagnostic> {
        let env = environment.map(str::to_string);
        let mut entries = Vec::new();
        let mut push_kv =
            |binding: Option<&Value>, managed: bool, existing: &mut Existing| match binding {
                Some(Value::String(s)) => {
                    existing.bindings.push(ExistingBinding {
                        name: s.value().clone(),
                        span: self.span(s.span()),
                        managed,
                        kind: KV_NAMESPACES.into(),
                        environment: env.clone(),
                    });
                    entries.push((Some(s.value().clone()), managed));
                }
                _ => entries.push((None, managed)),
            };
        let form = match table.get(KV_NAMESPACES) {
            None => Form::Absent,
            Some(Item::ArrayOfTables(tables)) => {
                for t in tables.iter() {
                    push_kv(
                        t.get("binding").and_then(Item::as_value),
                        self.marked(t.decor().prefix()),
                        existing,
                    );
                }
                Form::Tables
            }
            Some(Item::Value(Value::Array(array))) => {
                for value in array.iter() {
                    let Some(t) = value.as_inline_table() else {
                        return Err(self.invalid(
                            value.span(),
                            "this entry is not a table",
                            KV_HELP,
                        ));
                    };
                    push_kv(
                        t.get("binding"),
                        self.marked(value.decor().prefix()),
                        existing,
                    );
                }
                Form::Inline
            }
            Some(other) => {
                return Err(self.invalid(
                    other.span(),
                    "`kv_namespaces` must be a list of tables",
                    KV_HELP,
                ));
            }
        };

        // Other kinds of bindings share `env` with KV namespaces.
        for (key, item) in table.iter() {
            if key == KV_NAMESPACES || (key == ENV && environment.is_none()) {
                continue;
            }
            let mut push = |name: String, span: Option<std::ops::Range<usize>>| {
                existing.bindings.push(ExistingBinding {
                    name,
                    span: self.span(span),
                    managed: false,
                    kind: key.to_string(),
                    environment: env.clone(),
                });
            };
            if key == "vars" {
                if let Some(vars) = item.as_table_like() {
                    for (name, _) in vars.iter() {
                        push(name.to_string(), vars.key(name).and_then(|k| k.span()));
                    }
                }
                continue;
            }
            let mut push_binding = |binding: Option<&Value>| {
                if let Some(Value::String(s)) = binding {
                    push(s.value().clone(), s.span());
                }
            };
            match item {
                Item::ArrayOfTables(tables) => tables
                    .iter()
                    .for_each(|t| push_binding(t.get("binding").and_then(Item::as_value))),
                Item::Value(Value::Array(array)) => array
                    .iter()
                    .filter_map(Value::as_inline_table)
                    .for_each(|t| push_binding(t.get("binding"))),
                _ => {}
            }
        }
        Ok(Scope {
            environment: env,
            form,
            entries,
        })
    }
}

const KV_HELP: &str = "write each namespace as a `[[kv_namespaces]]` table with `binding` and `id`";

impl Parsed {
    /// For a new file: an empty document with the scaffold's keys.
    fn empty(doc: DocumentMut) -> Parsed {
        let top = Scope {
            environment: None,
            form: Form::Absent,
            entries: Vec::new(),
        };
        Parsed {
            doc,
            scopes: vec![top],
            existing: Existing::default(),
        }
    }
}

/// Applies the desired entries to a parsed file and returns the new text.
pub fn edit(parsed: Parsed, desired: &Desired) -> String {
    let Parsed {
        mut doc, scopes, ..
    } = parsed;
    for scope in &scopes {
        let wanted = desired.scope(scope.environment.as_deref());
        if let Some((container, inline)) = scope_mut(&mut doc, scope.environment.as_deref()) {
            edit_scope(container, inline, scope.form, &scope.entries, wanted);
        }
    }
    place_new_top_level_entries(&mut doc, &scopes);
    // Environments the file does not have yet.
    for (name, wanted) in &desired.environments {
        if wanted.is_empty()
            || scopes
                .iter()
                .any(|s| s.environment.as_deref() == Some(name))
        {
            continue;
        }
        if let Some((container, inline)) = create_environment(&mut doc, name) {
            edit_scope(container, inline, Form::Absent, &[], wanted);
        }
    }
    doc.to_string()
}

/// New `[[kv_namespaces]]` tables of a file that had none would print after the
/// `[env.NAME]` sections (toml_edit places unpositioned tables after the last
/// table it visited); put them just before the first environment instead.
fn place_new_top_level_entries(doc: &mut DocumentMut, scopes: &[Scope]) {
    if scopes.first().is_none_or(|top| top.form != Form::Absent) {
        return;
    }
    let first_env = doc.get(ENV).and_then(Item::as_table).and_then(|envs| {
        envs.iter()
            .filter_map(|(_, item)| item.as_table())
            .filter_map(Table::position)
            .chain(envs.position())
            .min()
    });
    let (Some(first_env), Some(tables)) = (
        first_env,
        doc.get_mut(KV_NAMESPACES)
            .and_then(Item::as_array_of_tables_mut),
    ) else {
        return;
    };
    for table in tables.iter_mut() {
        table.set_position(Some(first_env - 1));
    }
}

/// A new wrangler.toml for a project that has none.
pub fn scaffold(scaffold: &Scaffold, desired: &Desired) -> String {
    let mut doc = DocumentMut::new();
    doc.insert("name", toml_edit::value(scaffold.name));
    doc.insert("main", toml_edit::value("src/index.ts"));
    doc.insert(
        "compatibility_date",
        toml_edit::value(scaffold.compatibility_date),
    );
    doc.insert(
        "compatibility_flags",
        toml_edit::value(Array::from_iter(["nodejs_compat"])),
    );
    if let Some((mut key, _)) = doc.as_table_mut().get_key_value_mut("name") {
        key.leaf_decor_mut().set_prefix(scaffold.header);
    }
    edit(Parsed::empty(doc), desired)
}

/// The table holding a scope's `kv_namespaces`, and whether it is an inline table.
fn scope_mut<'d>(
    doc: &'d mut DocumentMut,
    environment: Option<&str>,
) -> Option<(&'d mut dyn TableLike, bool)> {
    let Some(name) = environment else {
        return Some((doc.as_table_mut(), false));
    };
    let item = doc.get_mut(ENV)?.as_table_like_mut()?.get_mut(name)?;
    let inline = item.is_inline_table();
    Some((item.as_table_like_mut()?, inline))
}

/// Adds an empty `env.NAME` (implicit, so only its entries' headers show).
fn create_environment<'d>(
    doc: &'d mut DocumentMut,
    name: &str,
) -> Option<(&'d mut dyn TableLike, bool)> {
    let root = doc.as_table_mut();
    if !root.contains_key(ENV) {
        let mut envs = Table::new();
        envs.set_implicit(true);
        root.insert(ENV, Item::Table(envs));
    }
    let envs = root.get_mut(ENV)?;
    if envs.is_inline_table() {
        let envs = envs.as_inline_table_mut()?;
        envs.insert(name, Value::InlineTable(InlineTable::new()));
    } else {
        let mut env = Table::new();
        env.set_implicit(true);
        envs.as_table_like_mut()?.insert(name, Item::Table(env));
    }
    scope_mut(doc, Some(name))
}

/// Brings one scope's owned entries in line with `wanted`.
fn edit_scope(
    container: &mut dyn TableLike,
    inline_container: bool,
    form: Form,
    entries: &[(Option<String>, bool)],
    wanted: &[KvEntry],
) {
    let mut done = vec![false; wanted.len()];
    let mut remove = Vec::new();
    for (index, (binding, managed)) in entries.iter().enumerate() {
        if !managed {
            continue;
        }
        match wanted
            .iter()
            .position(|d| Some(&d.binding) == binding.as_ref())
        {
            Some(d) if !done[d] => {
                done[d] = true;
                if let Some(entry) = entry_mut(container, form, index) {
                    update(entry, &wanted[d]);
                }
            }
            _ => remove.push(index),
        }
    }
    for &index in remove.iter().rev() {
        match container.get_mut(KV_NAMESPACES) {
            Some(Item::ArrayOfTables(tables)) => {
                tables.remove(index);
            }
            Some(Item::Value(Value::Array(array))) => {
                array.remove(index);
            }
            _ => {}
        }
    }
    let missing: Vec<&KvEntry> = wanted
        .iter()
        .zip(&done)
        .filter(|(_, done)| !**done)
        .map(|(d, _)| d)
        .collect();
    if !missing.is_empty() {
        let as_inline = form == Form::Inline || (form == Form::Absent && inline_container);
        if form == Form::Absent {
            let empty = if as_inline {
                Item::Value(Value::Array(Array::new()))
            } else {
                Item::ArrayOfTables(ArrayOfTables::new())
            };
            container.insert(KV_NAMESPACES, empty);
        }
        match container.get_mut(KV_NAMESPACES) {
            Some(Item::ArrayOfTables(tables)) => missing
                .into_iter()
                .for_each(|entry| tables.push(new_table(entry))),
            Some(Item::Value(Value::Array(array))) => missing
                .into_iter()
                .for_each(|entry| append_inline(array, entry)),
            _ => {}
        }
    }
    // An emptied list leaves no `kv_namespaces = []` or dangling key behind.
    let emptied = match container.get(KV_NAMESPACES) {
        Some(Item::ArrayOfTables(t)) => t.is_empty(),
        Some(Item::Value(Value::Array(a))) => {
            a.is_empty() && (form == Form::Absent || !remove.is_empty())
        }
        _ => false,
    };
    if emptied {
        container.remove(KV_NAMESPACES);
    }
}

fn entry_mut(
    container: &mut dyn TableLike,
    form: Form,
    index: usize,
) -> Option<&mut dyn TableLike> {
    let item = container.get_mut(KV_NAMESPACES)?;
    match form {
        Form::Tables => Some(item.as_array_of_tables_mut()?.get_mut(index)?),
        Form::Inline => Some(item.as_array_mut()?.get_mut(index)?.as_inline_table_mut()?),
        Form::Absent => None,
    }
}

/// Sets `key` to `value` unless it already holds it, keeping the line's comment.
fn set(table: &mut dyn TableLike, key: &str, value: Option<Value>) {
    match (table.get_mut(key), value) {
        (Some(Item::Value(old)), Some(new)) if same(old, &new) => {}
        (Some(Item::Value(old)), Some(mut new)) => {
            *new.decor_mut() = old.decor().clone();
            *old = new;
        }
        (_, Some(new)) => {
            table.insert(key, Item::Value(new));
        }
        (Some(_), None) => {
            table.remove(key);
        }
        (None, None) => {}
    }
}

fn same(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::String(a), Value::String(b)) => a.value() == b.value(),
        (Value::Boolean(a), Value::Boolean(b)) => a.value() == b.value(),
        _ => false,
    }
}

/// The keys of an entry, in the order they are written.
fn keys(entry: &KvEntry) -> [(&'static str, Option<Value>); 4] {
    [
        ("binding", Some(Value::from(entry.binding.as_str()))),
        ("id", entry.id.as_deref().map(Value::from)),
        ("preview_id", entry.preview_id.as_deref().map(Value::from)),
        ("remote", entry.remote.then(|| Value::from(true))),
    ]
}

/// Brings an owned entry (a `[[kv_namespaces]]` table or an inline table) up to date.
fn update(table: &mut dyn TableLike, entry: &KvEntry) {
    for (key, value) in keys(entry) {
        set(table, key, value);
    }
}

fn new_table(entry: &KvEntry) -> Table {
    let mut table = Table::new();
    table.decor_mut().set_prefix(format!("\n# {MARKER_TEXT}\n"));
    for (key, value) in keys(entry) {
        if let Some(value) = value {
            table.insert(key, Item::Value(value));
        }
    }
    table
}

fn append_inline(array: &mut Array, entry: &KvEntry) {
    // The comma joining the new entry follows the last one directly: `} ,` would look broken.
    if let Some(last) = array.iter_mut().last()
        && last
            .decor()
            .suffix()
            .and_then(|s| s.as_str())
            .is_some_and(|s| s.trim().is_empty())
    {
        last.decor_mut().set_suffix("");
    }
    let mut table = InlineTable::new();
    for (key, value) in keys(entry) {
        if let Some(value) = value {
            table.insert(key, value);
        }
    }
    // A comment after the last entry stays there, above the new one.
    let trailing = array.trailing().as_str().unwrap_or("");
    let prefix = if trailing.contains('#') {
        format!("{}\n  # {MARKER_TEXT}\n  ", trailing.trim_end())
    } else {
        format!("\n  # {MARKER_TEXT}\n  ")
    };
    let mut value = Value::InlineTable(table);
    value.decor_mut().set_prefix(prefix);
    array.push_formatted(value);
    array.set_trailing("\n");
    array.set_trailing_comma(true);
}
