//! Applies the desired `kv_namespaces` entries to a parsed wrangler JSON file
//! through jsonc-parser's CST, which keeps every comment and every space.

use jsonc_parser::cst::{
    CstArray, CstComment, CstInputValue, CstNewlineKind, CstNode, CstObject, CstRootNode,
    TrailingCommaMode,
};

use super::{Parsed, Scope, read};
use crate::emit::{Desired, KV_NAMESPACES, KvEntry, MARKER_TEXT};

/// The keys of an entry the compiler writes, in the order it writes them.
const KEYS: [&str; 4] = ["binding", "id", "preview_id", "remote"];

pub(super) fn edit(parsed: Parsed, desired: &Desired) -> String {
    let Parsed {
        text,
        strict_json,
        scopes,
        ..
    } = parsed;
    // `parse` accepted this text with the same parser and options, so neither
    // can fail; if one ever did, leaving the file as it is is the safe answer.
    let Ok(root) = CstRootNode::parse(&text, &read::options()) else {
        return text;
    };
    let Some(top) = root.object_value() else {
        return text;
    };

    // Containers this edit creates follow the file's habit on trailing commas;
    // jsonc-parser can only infer it from the container being inserted into.
    let mut editor = Editor {
        strict_json,
        trailing_commas: top.uses_trailing_commas(),
        added: Vec::new(),
    };
    for scope in &scopes {
        let object = match &scope.environment {
            None => Some(top.clone()),
            Some(name) => top
                .object_value("env")
                .and_then(|env| env.object_value(name)),
        };
        if let Some(object) = object {
            editor.scope(&object, scope, desired.scope(scope.environment.as_deref()));
        }
    }
    let mut new_env = None;
    for (name, entries) in &desired.environments {
        let exists = top
            .object_value("env")
            .is_some_and(|env| env.get(name).is_some());
        if entries.is_empty() || exists {
            continue;
        }
        let env = match top.object_value("env") {
            Some(env) => env,
            None => match top
                .append("env", CstInputValue::Object(Vec::new()))
                .object_value()
            {
                Some(env) => new_env.insert(env).clone(),
                None => continue,
            },
        };
        if let Some(object) = env
            .append(name, CstInputValue::Object(Vec::new()))
            .object_value()
        {
            let scope = Scope {
                environment: Some(name.clone()),
                entries: Vec::new(),
            };
            editor.scope(&object, &scope, entries);
            editor.created(&object);
        }
    }
    if let Some(env) = new_env {
        editor.created(&env);
    }

    if !strict_json {
        let newline = match root.newline_kind() {
            CstNewlineKind::LineFeed => "\n",
            CstNewlineKind::CarriageReturnLineFeed => "\r\n",
            CstNewlineKind::CarriageReturn => "\r",
        };
        for entry in &editor.added {
            mark(entry, newline);
        }
    }
    root.to_string()
}

struct Editor {
    strict_json: bool,
    /// Whether the file ends its multi-line objects and arrays with a comma.
    trailing_commas: bool,
    /// Entries appended by this edit; they get the marker once every insertion is done.
    added: Vec<CstNode>,
}

impl Editor {
    /// Brings one scope's `kv_namespaces` to `desired`. `scope` is what `parse`
    /// read there (nothing for an environment created by this edit).
    fn scope(&mut self, object: &CstObject, scope: &Scope, desired: &[KvEntry]) {
        let prop = object.get(KV_NAMESPACES);
        let array = prop.as_ref().and_then(|p| p.array_value());
        let elements = array.as_ref().map(CstArray::elements).unwrap_or_default();
        if elements.len() != scope.entries.len() || (prop.is_some() && array.is_none()) {
            return; // not the tree `parse` read; unreachable for the same text
        }

        // A binding listed twice counts once (the caller reports the duplicate);
        // counting both would append another entry on every run.
        let mut done: Vec<bool> = desired
            .iter()
            .enumerate()
            .map(|(i, d)| desired.iter().take(i).any(|e| e.binding == d.binding))
            .collect();
        let mut removed = false;
        for (element, entry) in elements.iter().zip(&scope.entries) {
            if !entry.managed {
                continue;
            }
            let wanted = desired
                .iter()
                .zip(done.iter_mut())
                .find(|(d, _)| d.binding == entry.binding);
            match wanted {
                Some((wanted, done)) if !*done => {
                    *done = true;
                    if let Some(object) = element.as_object() {
                        update(&object, wanted);
                    }
                }
                _ if self.strict_json => {}
                _ => {
                    remove_entry(element.clone());
                    removed = true;
                }
            }
        }

        let missing: Vec<&KvEntry> = desired
            .iter()
            .zip(&done)
            .filter(|(_, done)| !**done)
            .map(|(d, _)| d)
            .collect();
        if !missing.is_empty() {
            let created = array.is_none();
            let Some(array) = array.or_else(|| create(object, scope.environment.is_none())) else {
                return;
            };
            // `[{ … }]` on one line would get the new entries glued to its brackets.
            array.ensure_multiline();
            for entry in missing {
                self.added.push(array.append(value(entry)));
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

/// Adds an empty `kv_namespaces` to a scope: at the top level before `env`, so
/// the top-level bindings read first, else at the end.
fn create(object: &CstObject, top_level: bool) -> Option<CstArray> {
    let empty = CstInputValue::Array(Vec::new());
    let env = if top_level { object.get("env") } else { None };
    let prop = match env {
        Some(env) => object.insert(env.property_index(), KV_NAMESPACES, empty),
        None => object.append(KV_NAMESPACES, empty),
    };
    prop.array_value()
}

/// A new entry, keys in [`KEYS`] order, optional ones only when wanted.
fn value(entry: &KvEntry) -> CstInputValue {
    let mut keys = vec![(
        "binding".to_string(),
        CstInputValue::from(entry.binding.as_str()),
    )];
    if let Some(id) = &entry.id {
        keys.push(("id".to_string(), id.as_str().into()));
    }
    if let Some(preview_id) = &entry.preview_id {
        keys.push(("preview_id".to_string(), preview_id.as_str().into()));
    }
    if entry.remote {
        keys.push(("remote".to_string(), true.into()));
    }
    CstInputValue::Object(keys)
}

/// A value the compiler wants for one key of an owned entry.
enum Wanted<'a> {
    String(&'a str),
    True,
}

/// Brings an owned entry up to date, one key at a time: an unchanged value is
/// not rewritten, so its spelling and the rest of its line stay.
fn update(entry: &CstObject, wanted: &KvEntry) {
    set(entry, "id", wanted.id.as_deref().map(Wanted::String));
    set(
        entry,
        "preview_id",
        wanted.preview_id.as_deref().map(Wanted::String),
    );
    set(entry, "remote", wanted.remote.then_some(Wanted::True));
}

fn set(entry: &CstObject, key: &str, wanted: Option<Wanted>) {
    match (entry.get(key), wanted) {
        (Some(prop), Some(wanted)) => {
            let value = prop.value();
            let holds = match &wanted {
                Wanted::String(s) => value
                    .and_then(|v| v.as_string_lit())
                    .and_then(|v| v.decoded_value().ok())
                    .is_some_and(|v| v == *s),
                Wanted::True => value
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

fn input(wanted: Wanted) -> CstInputValue {
    match wanted {
        Wanted::String(s) => s.into(),
        Wanted::True => true.into(),
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
fn mark(entry: &CstNode, newline: &str) {
    let Some(indent) = entry.previous_sibling().and_then(|n| n.as_whitespace()) else {
        return;
    };
    let indent_text = indent.value();
    indent.set_value(format!(
        "{indent_text}// {MARKER_TEXT}{newline}{indent_text}"
    ));
}
