//! The TOML half of the wrangler layer: `toml_edit` parses `wrangler.toml` and
//! gives its tree to the core as [`Node`]s (with byte ranges), and the core's
//! operations are applied as byte-range splices of the original text. Nothing
//! the compiler does not touch is ever re-printed, so every other byte (comments,
//! spacing, CRLF line ends, a byte order mark) stays exactly as it was, and the
//! edit is linear in the size of the file.

use std::ops::Range;

use toml_edit::{Array, Document, InlineTable, Item, Table, TableLike, Value};

use super::{
    ENV, KV_NAMESPACES, Key, KeyValue, KvEntry, MARKER_PROBE, Marker, Node, Op, ScopeEdit, Shape,
    newline_of,
};
use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// What a new wrangler.toml is created with.
pub struct Scaffold<'a> {
    pub header: &'a str,
    pub name: &'a str,
    pub compatibility_date: &'a str,
}

/// A parsed `wrangler.toml`, ready to be read and edited.
pub struct Parsed {
    doc: Document<String>,
}

pub fn parse(file: FileId, text: &str) -> Result<Parsed, Diagnostic> {
    let doc = Document::parse(text.to_string()).map_err(|e| {
        let range = e.span().unwrap_or(0..0);
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Diagnostic::new(
            Code::WranglerInvalid,
            "wrangler.toml is not valid TOML",
            Span::new(file, at(range.start), at(range.end)),
            e.message().trim().to_string(),
        )
        .with_help("fix the TOML syntax; quickback-kv never rewrites a file it cannot parse")
    })?;
    Ok(Parsed { doc })
}

impl Parsed {
    pub fn root(&self) -> TomlNode<'_> {
        TomlNode {
            text: self.doc.raw(),
            kind: Kind::Table(self.doc.as_table()),
            in_inline_table: false,
        }
    }
}

/// A node of a parsed `wrangler.toml`.
#[derive(Clone, Copy)]
pub struct TomlNode<'a> {
    text: &'a str,
    kind: Kind<'a>,
    /// Inside an inline table, where no comment (so no marker) can be written.
    in_inline_table: bool,
}

#[derive(Clone, Copy)]
enum Kind<'a> {
    Item(&'a Item),
    Value(&'a Value),
    Table(&'a Table),
}

impl<'a> TomlNode<'a> {
    fn at(&self, kind: Kind<'a>) -> TomlNode<'a> {
        TomlNode {
            text: self.text,
            kind,
            in_inline_table: self.in_inline_table,
        }
    }

    fn item(&self, item: &'a Item) -> TomlNode<'a> {
        self.at(match item {
            Item::Table(t) => Kind::Table(t),
            Item::Value(v) => Kind::Value(v),
            other => Kind::Item(other),
        })
    }

    fn marker_in(&self, decor: Option<&toml_edit::RawString>) -> Option<Marker> {
        decor
            .and_then(|p| p.span())
            .and_then(|r| self.text.get(r))
            .and_then(Marker::find)
    }
}

impl Node for TomlNode<'_> {
    fn shape(&self) -> Shape<Self> {
        match self.kind {
            Kind::Table(t) => Shape::Table(
                t.iter()
                    .map(|(k, item)| {
                        let range = t.key(k).and_then(|k| k.span());
                        (key(k, range), self.item(item))
                    })
                    .collect(),
            ),
            Kind::Item(Item::ArrayOfTables(tables)) => {
                Shape::Array(tables.iter().map(|t| self.at(Kind::Table(t))).collect())
            }
            Kind::Item(_) => Shape::Other,
            Kind::Value(value) => match value {
                Value::String(s) => Shape::String(s.value().clone()),
                Value::Boolean(b) => Shape::Bool(*b.value()),
                Value::Array(a) => {
                    Shape::Array(a.iter().map(|v| self.at(Kind::Value(v))).collect())
                }
                Value::InlineTable(t) => Shape::Table(
                    t.iter()
                        .map(|(k, value)| {
                            let range = t.key(k).and_then(|k| k.span());
                            let mut node = self.at(Kind::Value(value));
                            node.in_inline_table = true;
                            (key(k, range), node)
                        })
                        .collect(),
                ),
                _ => Shape::Other,
            },
        }
    }

    fn range(&self) -> Option<Range<usize>> {
        match self.kind {
            Kind::Item(item) => item.span(),
            Kind::Value(value) => value.span(),
            Kind::Table(table) => table.span(),
        }
    }

    fn can_mark(&self) -> bool {
        !self.in_inline_table
    }

    fn marked(&self) -> Option<Marker> {
        match self.kind {
            Kind::Table(t) => self.marker_in(t.decor().prefix()),
            Kind::Value(v) => self.marker_in(v.decor().prefix()),
            Kind::Item(_) => None,
        }
    }
}

fn key(name: &str, range: Option<Range<usize>>) -> Key {
    Key {
        name: name.to_string(),
        range,
    }
}

// ---- applying the core's operations ---------------------------------------------------

/// One replacement of a byte range of the original text; applied back to front.
struct Splice {
    range: Range<usize>,
    text: String,
}

/// Applies the operations to the file and returns the new text.
pub fn edit(parsed: &Parsed, edits: &[ScopeEdit]) -> String {
    let text = parsed.doc.raw();
    let mut editor = Editor {
        text,
        nl: newline_of(text),
        splices: Vec::new(),
        starts: table_starts(parsed.doc.as_table()),
        trailing: parsed.doc.trailing().span().map_or(text.len(), |r| r.start),
    };
    for edit in edits {
        editor.scope(parsed.doc.as_table(), edit);
    }
    editor.finish()
}

/// A new wrangler.toml for a project that has none.
pub fn scaffold(scaffold: &Scaffold, edits: &[ScopeEdit]) -> String {
    let mut doc = toml_edit::DocumentMut::new();
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
    let text = doc.to_string();
    match Document::parse(text.clone()) {
        Ok(doc) => edit(&Parsed { doc }, edits),
        // Printed by toml_edit a moment ago; it always parses.
        Err(_) => text,
    }
}

struct Editor<'t> {
    text: &'t str,
    nl: &'static str,
    splices: Vec<Splice>,
    /// Where every table with a header starts (its leading comments included), sorted.
    starts: Vec<usize>,
    /// Where the document's trailing comments and blank lines begin.
    trailing: usize,
}

impl Editor<'_> {
    fn splice(&mut self, range: Range<usize>, text: String) {
        self.splices.push(Splice { range, text });
    }

    fn insert(&mut self, at: usize, text: String) {
        self.splice(at..at, text);
    }

    fn finish(mut self) -> String {
        // Stable: insertions at one point keep the order they were made in.
        self.splices.sort_by_key(|s| (s.range.start, s.range.end));
        let mut out = String::with_capacity(self.text.len() + 256);
        let mut at = 0;
        for splice in &self.splices {
            if splice.range.start < at {
                continue; // overlapping: cannot happen for the operations the core makes
            }
            out.push_str(self.text.get(at..splice.range.start).unwrap_or(""));
            out.push_str(&splice.text);
            at = splice.range.end;
        }
        out.push_str(self.text.get(at..).unwrap_or(""));
        out
    }

    /// Where the content of a table whose header starts at `header` ends: at the
    /// next table (with its leading comments), or the document's trailing comments.
    fn content_end(&self, header: usize) -> usize {
        let next = self.starts.partition_point(|&s| s <= header);
        let end = self
            .starts
            .get(next)
            .copied()
            .unwrap_or(self.trailing)
            .max(header);
        self.before_blank_lines(end, header)
    }

    /// `at` moved back over the blank lines that end the text before it (but not
    /// before `floor`): what is inserted there goes right after the content, and
    /// the blank lines keep separating it from what follows.
    fn before_blank_lines(&self, mut at: usize, floor: usize) -> usize {
        while at > floor {
            let start = self.line_start(at.saturating_sub(1));
            let line = self.text.get(start..at).unwrap_or("");
            if start < floor || !line.trim().is_empty() || !line.ends_with('\n') {
                break;
            }
            at = start;
        }
        at
    }

    fn line_start(&self, at: usize) -> usize {
        self.text
            .get(..at)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1)
    }

    /// Just past the line break that ends the line holding `at` (or the end of the text).
    fn line_end(&self, at: usize) -> usize {
        self.text
            .get(at..)
            .and_then(|t| t.find('\n'))
            .map_or(self.text.len(), |i| at + i + 1)
    }

    fn indent_of(&self, at: usize) -> &str {
        let start = self.line_start(at);
        let line = self.text.get(start..at).unwrap_or("");
        &line[..line.len() - line.trim_start().len()]
    }

    /// A line break first, unless `at` already starts a line.
    fn break_before(&self, at: usize) -> &'static str {
        if at == 0 || self.text.get(..at).is_some_and(|t| t.ends_with('\n')) {
            ""
        } else {
            self.nl
        }
    }

    fn scope(&mut self, root: &Table, edit: &ScopeEdit) {
        let path = match &edit.environment {
            None => KV_NAMESPACES.to_string(),
            Some(name) => format!(
                "{ENV}.{}.{KV_NAMESPACES}",
                toml_edit::Key::new(name.as_str())
            ),
        };
        let container: Option<&dyn TableLike> = match &edit.environment {
            None => Some(root),
            Some(name) => root
                .get(ENV)
                .and_then(Item::as_table_like)
                .and_then(|envs| envs.get(name))
                .and_then(Item::as_table_like),
        };
        let list = container.and_then(|c| c.get(KV_NAMESPACES));
        let mut appends = Vec::new();
        for op in &edit.ops {
            match (op, list) {
                (Op::Update { index, entry, mark }, Some(Item::ArrayOfTables(tables))) => {
                    if let Some(table) = tables.get(*index) {
                        self.update_table(table, entry, *mark);
                    }
                }
                (Op::Update { index, entry, mark }, Some(Item::Value(Value::Array(array)))) => {
                    if let Some(value) = array.get(*index) {
                        self.update_inline(value, entry, *mark);
                    }
                }
                (Op::Remove { index }, Some(Item::ArrayOfTables(tables))) => {
                    if let Some(table) = tables.get(*index) {
                        self.remove_table(table);
                    }
                }
                (Op::Remove { .. }, _) => {}
                (Op::Append(entry), _) => appends.push(entry),
                (Op::Update { .. }, _) => {}
            }
        }
        if let Some(Item::Value(Value::Array(array))) = list {
            let removed: Vec<usize> = edit
                .ops
                .iter()
                .filter_map(|op| match op {
                    Op::Remove { index } => Some(*index),
                    _ => None,
                })
                .collect();
            self.inline_removals_and_appends(container, array, &removed, &appends);
            return;
        }
        if appends.is_empty() {
            return;
        }
        match (list, container) {
            (Some(Item::ArrayOfTables(tables)), _) => {
                let at = tables
                    .iter()
                    .filter_map(Table::span)
                    .map(|r| self.content_end(r.start))
                    .max()
                    .unwrap_or(self.trailing);
                self.append_tables(at, &path, &appends);
            }
            (_, Some(container))
                if let Some(end) = inline_end(root, edit.environment.as_deref()) =>
            {
                self.append_to_inline_table(container, end, &appends);
            }
            (_, _) => {
                let at = match &edit.environment {
                    // Before the first environment, so the top-level bindings read first.
                    None => {
                        let at = self.first_environment(root).unwrap_or(self.trailing);
                        self.before_blank_lines(at, 0)
                    }
                    // After the environment's last table (`[env.NAME]`, `[[env.NAME.d1_databases]]`, …).
                    Some(name) => root
                        .get(ENV)
                        .and_then(Item::as_table_like)
                        .and_then(|envs| envs.get(name))
                        .and_then(|item| header_starts(item).into_iter().max())
                        .map_or_else(
                            || self.before_blank_lines(self.trailing, 0),
                            |start| self.content_end(start),
                        ),
                };
                self.append_tables(at, &path, &appends);
            }
        }
    }

    /// Where the first `[env.NAME]`-style table starts, with its leading comments.
    fn first_environment(&self, root: &Table) -> Option<usize> {
        root.get(ENV)
            .and_then(|env| header_starts(env).into_iter().min())
    }

    fn append_tables(&mut self, at: usize, path: &str, entries: &[&KvEntry]) {
        let nl = self.nl;
        let mut text = String::from(self.break_before(at));
        for entry in entries {
            let marker = entry.marker.text();
            text.push_str(&format!("{nl}# {marker}{nl}[[{path}]]{nl}"));
            for (key, value) in entry.keys() {
                if let Some(value) = value {
                    text.push_str(&format!("{key} = {}{nl}", repr(value)));
                }
            }
        }
        self.insert(at, text);
    }

    /// An environment written as an inline table cannot hold comments or
    /// `[[…]]` headers: the entries go in as an inline array, unmarked (they are
    /// owned by name on the next run, so its outputs are the same).
    fn append_to_inline_table(
        &mut self,
        container: &dyn TableLike,
        end: usize,
        entries: &[&KvEntry],
    ) {
        let list: Vec<String> = entries.iter().map(|e| inline_entry(e)).collect();
        let separator = if container.is_empty() { " " } else { ", " };
        self.insert(
            end,
            format!("{separator}{KV_NAMESPACES} = [{}] ", list.join(", ")),
        );
    }

    fn update_table(&mut self, table: &Table, entry: &KvEntry, mark: Option<Marker>) {
        let Some(header) = table.span() else { return };
        let nl = self.nl;
        // Where a missing key goes: after the line of the key before it, indented alike.
        let mut after = self.line_end(header.start);
        let mut indent = String::new();
        for (key, wanted) in entry.keys() {
            let current = table.get(key).and_then(Item::as_value);
            match (current, wanted) {
                (Some(old), Some(new)) => {
                    if let Some(r) = old.span() {
                        after = self.line_end(r.end);
                        if let Some(k) = table.key(key).and_then(|k| k.span()) {
                            indent = self.indent_of(k.start).to_string();
                        }
                        if !holds(old, new) {
                            self.splice(r, repr(new));
                        }
                    }
                }
                (Some(old), None) => {
                    if let (Some(k), Some(r)) = (table.key(key).and_then(|k| k.span()), old.span())
                    {
                        let start = self.line_start(k.start);
                        let end = self.line_end(r.end);
                        self.splice(start..end, String::new());
                    }
                }
                (None, Some(new)) => {
                    let text = format!(
                        "{}{indent}{key} = {}{nl}",
                        self.break_before(after),
                        repr(new)
                    );
                    self.insert(after, text);
                }
                (None, None) => {}
            }
        }
        if let Some(marker) = mark
            && !self.replace_marker(table.decor().prefix(), marker)
        {
            let start = self.line_start(header.start);
            self.insert(start, format!("# {}{nl}", marker.text()));
        }
    }

    fn update_inline(&mut self, value: &Value, entry: &KvEntry, mark: Option<Marker>) {
        let Some(table) = value.as_inline_table() else {
            return;
        };
        let mut after: Option<usize> = None;
        for (key, wanted) in entry.keys() {
            let current = table.get(key);
            match (current, wanted) {
                (Some(old), Some(new)) => {
                    if let Some(r) = old.span() {
                        after = Some(r.end);
                        if !holds(old, new) {
                            self.splice(r, repr(new));
                        }
                    }
                }
                (Some(old), None) => {
                    if let Some(r) = self.inline_key_range(table, key, old) {
                        self.splice(r, String::new());
                    }
                }
                (None, Some(new)) => {
                    let at = after.or_else(|| last_value_end(table));
                    if let Some(at) = at {
                        self.insert(at, format!(", {key} = {}", repr(new)));
                    }
                }
                (None, None) => {}
            }
        }
        if let Some(marker) = mark
            && !self.replace_marker(value.decor().prefix(), marker)
            && let Some(r) = value.span()
        {
            let text = marker.text();
            let start = self.line_start(r.start);
            let nl = self.nl;
            if self
                .text
                .get(start..r.start)
                .is_some_and(|t| t.trim().is_empty())
            {
                let indent = self.indent_of(r.start).to_string();
                self.insert(start, format!("{indent}# {text}{nl}"));
            } else {
                let outer = self.indent_of(r.start).to_string();
                let indent = format!("{outer}  ");
                self.insert(r.start, format!("{nl}{indent}# {text}{nl}{indent}"));
                // `[{ … }]` on one line: its closing bracket goes on a line of its own.
                let line_end = self.line_end(r.end);
                let rest = self.text.get(r.end..line_end).unwrap_or("");
                let after = rest.trim_start_matches([' ', '\t']);
                if after.starts_with(']') {
                    let gap = rest.len() - after.len();
                    self.splice(r.end..r.end + gap, format!(",{nl}{outer}"));
                }
            }
        }
    }

    /// Rewrites the marker comment in `prefix` as `marker`; false when there is none.
    fn replace_marker(&mut self, prefix: Option<&toml_edit::RawString>, marker: Marker) -> bool {
        let Some(range) = prefix.and_then(|p| p.span()) else {
            return false;
        };
        let Some(at) = self
            .text
            .get(range.clone())
            .and_then(|t| t.rfind(MARKER_PROBE))
        else {
            return false;
        };
        let start = range.start + at;
        let line_end = self.line_end(start);
        let rest = self.text.get(start..line_end).unwrap_or("");
        let end = start + rest.trim_end_matches(['\n', '\r']).len();
        self.splice(start..end, marker.text().to_string());
        true
    }

    /// `key = value` with the separator that joins it to its neighbours.
    fn inline_key_range(
        &self,
        table: &InlineTable,
        key: &str,
        value: &Value,
    ) -> Option<Range<usize>> {
        let key_span = table.key(key)?.span()?;
        let value_span = value.span()?;
        let keys: Vec<(usize, usize)> = table
            .iter()
            .filter_map(|(k, v)| Some((table.key(k)?.span()?.start, v.span()?.end)))
            .collect();
        let previous_end = keys
            .iter()
            .filter(|(_, end)| *end <= key_span.start)
            .map(|(_, end)| *end)
            .max();
        let next_start = keys
            .iter()
            .filter(|(start, _)| *start >= value_span.end)
            .map(|(start, _)| *start)
            .min();
        Some(match (previous_end, next_start) {
            (Some(prev), _) => prev..value_span.end,
            (None, Some(next)) => key_span.start..next,
            (None, None) => key_span.start..value_span.end,
        })
    }

    fn remove_table(&mut self, table: &Table) {
        let Some(header) = table.span() else { return };
        let end = self.content_end(header.start);
        let mut start = self.line_start(header.start);
        // The marker (and the one blank line the compiler writes before it) go too.
        if let Some(prefix) = table.decor().prefix().and_then(|p| p.span())
            && let Some(text) = self.text.get(prefix.clone())
            && let Some(marker) = text.rfind(MARKER_PROBE)
        {
            start = self.line_start(prefix.start + marker);
            let before = self.line_start(start.saturating_sub(1));
            if start > prefix.start
                && before >= prefix.start
                && self
                    .text
                    .get(before..start)
                    .is_some_and(|l| l.trim().is_empty())
            {
                start = before;
            }
        }
        self.splice(start..end, String::new());
    }

    fn inline_removals_and_appends(
        &mut self,
        container: Option<&dyn TableLike>,
        array: &Array,
        removed: &[usize],
        appends: &[&KvEntry],
    ) {
        let remaining = array.len() - removed.len().min(array.len());
        if remaining == 0 && appends.is_empty() && !removed.is_empty() {
            // Emptied by this edit: no `kv_namespaces = []` left behind.
            if let Some(container) = container
                && let Some(key) = container.key(KV_NAMESPACES).and_then(|k| k.span())
                && let Some(value) = array.span()
            {
                let start = self.line_start(key.start);
                let end = self.line_end(value.end);
                self.splice(start..end, String::new());
            }
            return;
        }
        for &index in removed {
            let Some(value) = array.get(index) else {
                continue;
            };
            let Some(r) = value.span() else { continue };
            let mut start = self.line_start(r.start);
            if let Some(prefix) = value.decor().prefix().and_then(|p| p.span())
                && let Some(text) = self.text.get(prefix.clone())
                && let Some(marker) = text.find(MARKER_PROBE)
            {
                start = start.min(self.line_start(prefix.start + marker));
            }
            // Through the comma that follows and the rest of the line.
            let mut end = r.end;
            let rest = self.text.get(end..).unwrap_or("");
            let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            end += skipped;
            if self.text.get(end..).is_some_and(|t| t.starts_with(',')) {
                end += 1;
            }
            let line_end = self.line_end(end);
            if self
                .text
                .get(end..line_end)
                .is_some_and(|t| t.trim().is_empty() || t.trim_start().starts_with('#'))
            {
                end = line_end;
            }
            self.splice(start..end, String::new());
        }
        if appends.is_empty() {
            return;
        }
        let nl = self.nl;
        let Some(span) = array.span() else { return };
        let kept_last = (0..array.len())
            .rev()
            .find(|i| !removed.contains(i))
            .and_then(|i| array.get(i))
            .and_then(Value::span);
        let entries: Vec<(String, &str)> = appends
            .iter()
            .map(|e| (inline_entry(e), e.marker.text()))
            .collect();
        match kept_last {
            Some(last) => {
                let indent = match self.text.get(self.line_start(last.start)..last.start) {
                    Some(t) if t.trim().is_empty() => t.to_string(),
                    _ => format!("{}  ", self.indent_of(span.start)),
                };
                let line_end = self.line_end(last.end);
                let rest = self.text.get(last.end..line_end).unwrap_or("");
                let after = rest.trim_start_matches([' ', '\t']);
                if let Some(comma) = after.strip_prefix(',')
                    && (comma.trim().is_empty() || comma.trim_start().starts_with('#'))
                {
                    // `{ … },  # comment` ends its line: the new entries go on the lines after.
                    let mut text = String::from(self.break_before(line_end));
                    for (entry, marker) in &entries {
                        text.push_str(&format!("{indent}# {marker}{nl}{indent}{entry},{nl}"));
                    }
                    self.insert(line_end, text);
                } else if after.starts_with(']') {
                    // `[ { … } ]` on one line: the array opens onto lines.
                    let mut text = String::new();
                    for (entry, marker) in &entries {
                        text.push_str(&format!(",{nl}{indent}# {marker}{nl}{indent}{entry}"));
                    }
                    text.push(',');
                    text.push_str(nl);
                    let gap = rest.len() - after.len();
                    self.splice(last.end..last.end + gap, text);
                } else {
                    let mut text = String::new();
                    for (entry, marker) in &entries {
                        text.push_str(&format!(",{nl}{indent}# {marker}{nl}{indent}{entry}"));
                    }
                    self.insert(last.end, text);
                }
            }
            None => {
                // An empty array (or one emptied now): the entries go after `[`.
                let indent = format!("{}  ", self.indent_of(span.start));
                let mut text = String::new();
                for (entry, marker) in &entries {
                    text.push_str(&format!("{nl}{indent}# {marker}{nl}{indent}{entry},"));
                }
                text.push_str(nl);
                self.insert(span.start + 1, text);
            }
        }
    }
}

/// When `env.NAME` is written as an inline table: where its closing brace is.
fn inline_end(root: &Table, environment: Option<&str>) -> Option<usize> {
    let span = root
        .get(ENV)?
        .as_table_like()?
        .get(environment?)?
        .as_value()?
        .as_inline_table()?
        .span()?;
    // The span covers `{ … }`; its last byte is the brace.
    span.end.checked_sub(1)
}

fn header_start(table: &Table) -> Option<usize> {
    if table.is_implicit() {
        return None;
    }
    let header = table.span()?;
    Some(
        table
            .decor()
            .prefix()
            .and_then(|p| p.span())
            .map_or(header.start, |p| p.start.min(header.start)),
    )
}

/// Where every table with a header begins (its leading comments included), sorted.
fn table_starts(root: &Table) -> Vec<usize> {
    let mut starts: Vec<usize> = root
        .iter()
        .flat_map(|(_, item)| header_starts(item))
        .collect();
    starts.sort_unstable();
    starts
}

/// Where the tables with a header in `item`'s subtree begin, in no order.
/// An explicit stack, not recursion: the nesting of a file is the user's.
fn header_starts(item: &Item) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut stack: Vec<&Item> = vec![item];
    while let Some(item) = stack.pop() {
        match item {
            Item::Table(t) => {
                starts.extend(header_start(t));
                stack.extend(t.iter().map(|(_, i)| i));
            }
            Item::ArrayOfTables(tables) => {
                for t in tables.iter() {
                    starts.extend(header_start(t));
                    stack.extend(t.iter().map(|(_, i)| i));
                }
            }
            _ => {}
        }
    }
    starts
}

fn last_value_end(table: &InlineTable) -> Option<usize> {
    table
        .iter()
        .filter_map(|(_, v)| v.span())
        .map(|r| r.end)
        .max()
}

fn holds(old: &Value, new: KeyValue) -> bool {
    match (old, new) {
        (Value::String(s), KeyValue::String(n)) => s.value() == n,
        (Value::Boolean(b), KeyValue::True) => *b.value(),
        _ => false,
    }
}

/// A value as TOML writes it (`toml_edit` chooses the quoting and escapes).
fn repr(value: KeyValue) -> String {
    match value {
        KeyValue::String(s) => Value::from(s).to_string(),
        KeyValue::True => Value::from(true).to_string(),
    }
}

fn inline_entry(entry: &KvEntry) -> String {
    let keys: Vec<String> = entry
        .keys()
        .into_iter()
        .filter_map(|(key, value)| Some(format!("{key} = {}", repr(value?))))
        .collect();
    format!("{{ {} }}", keys.join(", "))
}
