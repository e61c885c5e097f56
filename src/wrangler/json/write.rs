//! Applies the desired `kv_namespaces` entries to a parsed wrangler JSON file
//! through jsonc-parser's CST, which keeps every comment and every space.

use jsonc_parser::cst::{
    CstArray, CstComment, CstInputValue, CstNewlineKind, CstNode, CstObject, CstRootNode,
    TrailingCommaMode,
};

use super::read;
use crate::wrangler::{
    ENTRY_KEYS, ENV, Format, KV_NAMESPACES, KeyValue, KvEntry, MARKER_PROBE, Marker, Op, ScopeEdit,
};

/// The keys of an entry the compiler writes, in the order it writes them.
const KEYS: [&str; 4] = ENTRY_KEYS;

pub(super) fn edit(text: &str, format: Format, edits: &[ScopeEdit]) -> String {
    // `parse` accepted this text with the same parser and options, so neither
    // can fail; if one ever did, leaving the file as it is is the safe answer.
    let Ok(root) = CstRootNode::parse(text, &read::options()) else {
        return text.to_string();
    };
    let Some(top) = root.object_value() else {
        return text.to_string();
    };

    // Containers this edit creates follow the file's habit on trailing commas;
    // jsonc-parser can only infer it from the container being inserted into.
    let mut editor = Editor {
        trailing_commas: top.uses_trailing_commas(),
        marked: Vec::new(),
    };
    let mut new_env = None;
    for edit in edits {
        let object = match (&edit.environment, edit.exists) {
            (None, _) => Some(top.clone()),
            (Some(name), true) => top.object_value(ENV).and_then(|env| env.object_value(name)),
            (Some(name), false) => {
                let env = match top.object_value(ENV) {
                    Some(env) => Some(env),
                    None => top
                        .append(ENV, CstInputValue::Object(Vec::new()))
                        .object_value()
                        .map(|env| new_env.insert(env).clone()),
                };
                let created = env.and_then(|env| {
                    env.append(name, CstInputValue::Object(Vec::new()))
                        .object_value()
                });
                if let Some(object) = &created {
                    editor.scope(object, &edit.ops);
                    editor.created(object);
                }
                continue;
            }
        };
        if let Some(object) = object {
            editor.scope(&object, &edit.ops);
        }
    }
    if let Some(env) = new_env {
        editor.created(&env);
    }

    if format.marks() {
        let newline = match root.newline_kind() {
            CstNewlineKind::LineFeed => "\n",
            CstNewlineKind::CarriageReturnLineFeed => "\r\n",
            CstNewlineKind::CarriageReturn => "\r",
        };
        for (entry, marker) in &editor.marked {
            mark(entry, *marker, newline);
        }
    }
    root.to_string()
}

struct Editor {
    /// Whether the file ends its multi-line objects and arrays with a comma.
    trailing_commas: bool,
    /// Entries appended or adopted by this edit; they get the marker once every insertion is done.
    marked: Vec<(CstNode, Marker)>,
}

impl Editor {
    /// Applies one scope's operations to its object.
    fn scope(&mut self, object: &CstObject, ops: &[Op]) {
        let prop = object.get(KV_NAMESPACES);
        let array = prop.as_ref().and_then(|p| p.array_value());
        let elements = array.as_ref().map(CstArray::elements).unwrap_or_default();

        let mut removed = false;
        let mut missing = Vec::new();
        let mut adopted = Vec::new();
        for op in ops {
            match op {
                Op::Update { index, entry, mark } => {
                    if let Some(element) = elements.get(*index) {
                        if let Some(object) = element.as_object() {
                            update(&object, entry);
                        }
                        if let Some(marker) = mark
                            && !replace_marker(element, *marker)
                        {
                            adopted.push((element.clone(), *marker));
                        }
                    }
                }
                Op::Remove { index } => {
                    if let Some(element) = elements.get(*index) {
                        remove_entry(element.clone());
                        removed = true;
                    }
                }
                Op::Append(entry) => missing.push(entry),
            }
        }
        if !adopted.is_empty()
            && let Some(array) = &array
        {
            // A marker needs a line of its own above the entry.
            array.ensure_multiline();
        }
        self.marked.extend(adopted);

        if !missing.is_empty() {
            let created = array.is_none();
            let Some(array) = array.or_else(|| create(object)) else {
                return;
            };
            // `[{ … }]` on one line would get the new entries glued to its brackets.
            array.ensure_multiline();
            for entry in missing {
                self.marked.push((array.append(value(entry)), entry.marker));
            }
            if created && self.trailing_commas {
                array.set_trailing_commas(TrailingCommaMode::IfMultiline);
            }
        } else if removed
            && let (Some(prop), Some(array)) = (prop, array)
            && array.elements().is_empty()
            && !array.children().iter().any(CstNode::is_comment)
        {
            // Emptied by this edit and holding no comment of the user's: no `"kv_namespaces": []` left behind.
            prop.remove();
        }
    }

    /// Gives an object this edit filled trailing commas when the file uses them.
    /// Only for objects whose properties are all the compiler's (a new `env`
    /// or environment): the change reaches every container inside.
    fn created(&self, object: &CstObject) {
        if self.trailing_commas {
            object.set_trailing_commas(TrailingCommaMode::IfMultiline);
        }
    }
}

/// Adds an empty `kv_namespaces` to a scope: before `env` (only the top level
/// has one), so the top-level bindings read first, else at the end.
fn create(object: &CstObject) -> Option<CstArray> {
    let empty = CstInputValue::Array(Vec::new());
    let env = object.get(ENV);
    let prop = match env {
        Some(env) => object.insert(env.property_index(), KV_NAMESPACES, empty),
        None => object.append(KV_NAMESPACES, empty),
    };
    prop.array_value()
}

/// A new entry, keys in [`KEYS`] order, optional ones only when wanted.
fn value(entry: &KvEntry) -> CstInputValue {
    CstInputValue::Object(
        entry
            .keys()
            .into_iter()
            .filter_map(|(key, wanted)| Some((key.to_string(), input(wanted?))))
            .collect(),
    )
}

/// Brings an owned entry up to date, one key at a time: an unchanged value is
/// not rewritten, so its spelling and the rest of its line stay.
fn update(entry: &CstObject, wanted: &KvEntry) {
    // `binding` matched already: it is how the entry was found.
    for (key, value) in wanted.keys().into_iter().skip(1) {
        set(entry, key, value);
    }
}

fn set(entry: &CstObject, key: &str, wanted: Option<KeyValue>) {
    match (entry.get(key), wanted) {
        (Some(prop), Some(wanted)) => {
            let value = prop.value();
            let holds = match &wanted {
                KeyValue::String(s) => value
                    .and_then(|v| v.as_string_lit())
                    .and_then(|v| v.decoded_value().ok())
                    .is_some_and(|v| v == *s),
                KeyValue::True => value
                    .and_then(|v| v.as_boolean_lit())
                    .is_some_and(|v| v.value()),
            };
            if !holds {
                prop.set_value(input(wanted));
            }
        }
        (Some(prop), None) => prop.remove(),
        (None, Some(wanted)) => {
            entry.insert(key_index(entry, key), key, input(wanted));
        }
        (None, None) => {}
    }
}

fn input(wanted: KeyValue) -> CstInputValue {
    match wanted {
        KeyValue::String(s) => s.into(),
        KeyValue::True => true.into(),
    }
}

/// Where a missing key goes: after the last key that precedes it in [`KEYS`].
fn key_index(entry: &CstObject, key: &str) -> usize {
    let earlier = KEYS
        .iter()
        .position(|k| *k == key)
        .map_or(&KEYS[..0], |i| &KEYS[..i]);
    entry
        .properties()
        .iter()
        .rposition(|p| {
            p.decoded_name()
                .is_some_and(|name| earlier.contains(&name.as_str()))
        })
        .map_or(0, |i| i + 1)
}

/// Removes an owned entry with the comments on the lines above it (the marker
/// and anything else written about the entry), so none is left to mark the
/// entry that follows.
fn remove_entry(element: CstNode) {
    let comments = leading_comments(&element);
    element.remove();
    for comment in comments {
        remove_comment_line(comment);
    }
}

/// The comments on the lines directly above a node: those between the previous
/// non-trivia node and it, after the end of that node's line. The same rule
/// decides ownership in `read::Reader::marked`.
fn leading_comments(node: &CstNode) -> Vec<CstComment> {
    let mut run: Vec<CstNode> = node
        .previous_siblings()
        .take_while(CstNode::is_trivia)
        .collect();
    run.reverse();
    let above = run
        .iter()
        .position(CstNode::is_newline)
        .map_or(run.len(), |i| i + 1);
    run.into_iter()
        .skip(above)
        .filter_map(|n| n.as_comment())
        .collect()
}

/// Removes a comment that sits on its own line, with the indentation and line
/// break before it, as jsonc-parser already does for line comments.
fn remove_comment_line(comment: CstComment) {
    if !comment.is_line_comment() {
        for node in comment.previous_siblings() {
            let whitespace = node.is_whitespace();
            if whitespace || node.is_newline() {
                node.remove();
            }
            if !whitespace {
                break;
            }
        }
    }
    comment.remove();
}

/// Writes the ownership marker on its own line above a new entry.
///
/// jsonc-parser's CST has no public way to create a comment node. A new
/// multi-line element always sits on a fresh line after a whitespace leaf (its
/// indentation), which is printed verbatim, so the comment line goes into that
/// leaf. This runs after every insertion, because the library reads the
/// indentation of existing elements to indent new ones; the text is re-parsed
/// from scratch by the next run, where the comment is an ordinary comment.
fn mark(entry: &CstNode, marker: Marker, newline: &str) {
    let Some(indent) = entry.previous_sibling().and_then(|n| n.as_whitespace()) else {
        return;
    };
    let indent_text = indent.value();
    indent.set_value(format!(
        "{indent_text}// {}{newline}{indent_text}",
        marker.text()
    ));
}

/// Rewrites the marker comment above an owned entry as `marker`; false when it has none.
fn replace_marker(element: &CstNode, marker: Marker) -> bool {
    let Some(comment) = leading_comments(element)
        .into_iter()
        .rev()
        .find(|c| c.raw_value().contains(MARKER_PROBE))
    else {
        return false;
    };
    let raw = comment.raw_value();
    let at = raw.find(MARKER_PROBE).unwrap_or(0);
    let head = raw.get(..at).unwrap_or("");
    let tail = if comment.is_line_comment() {
        ""
    } else {
        raw.get(at..)
            .and_then(|t| t.find("*/").map(|i| &t[i..]))
            .unwrap_or("")
    };
    comment.set_raw_value(format!("{head}{}{tail}", marker.text()));
    true
}
