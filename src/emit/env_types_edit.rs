//! Editing an env types file someone else wrote (Quickback's `src/env.d.ts`):
//! the bindings interface (`CloudflareBindings`, else `Env`) is made to declare
//! every KV binding of [`Wanted`], by byte-range splices; every other byte is kept.
//!
//! Ownership: a member the compiler added carries a JSDoc containing
//! [`MEMBER_MARKER`] directly above it; it is updated in place and removed (with
//! its JSDoc) when no longer wanted. Every other member is the user's: one that
//! already declares the binding right is left exactly as written, one with the
//! binding's name but a wrong type or optionality gets its annotation or `?`
//! corrected in place, and none is ever removed. Environment interfaces the file
//! lacks are appended between [`REGION_BEGIN`] and [`REGION_END`] line comments,
//! which the compiler rewrites or removes as a whole.

use std::collections::{HashMap, HashSet};

use super::Header;
use super::env_types::Wanted;
use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, Span};
use crate::syntax::Failure;
use crate::syntax::interfaces::{Comment, Declarations, Interface, Member, MemberKind, interfaces};

/// In the JSDoc above every member the compiler added.
pub const MEMBER_MARKER: &str = "Added by quickback-kv";
/// Line comments around the environment interfaces the compiler appended.
pub const REGION_BEGIN: &str = "quickback-kv: begin";
pub const REGION_END: &str = "quickback-kv: end";
/// How the begin comment the compiler writes ends. A `// quickback-kv: begin` a
/// person wrote without it is not a region: the lines after it stay theirs.
const REGION_BEGIN_TAIL: &str = ": change the Quickback config, not these lines.";
/// The bindings interface's names, in order of preference.
pub const INTERFACE_NAMES: [&str; 2] = ["CloudflareBindings", "Env"];
/// Env types files larger than this are refused (as configs are).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

const MEMBER_NOTE: &str = "Added by quickback-kv: change the Quickback config, not this member.";
const TYPE: &str = "KVNamespace";

/// What became of a foreign env types file.
#[derive(Debug, Clone, PartialEq)]
pub enum Foreign {
    /// The file's new text: equal to the old one when it already says everything.
    Edited(String),
    /// It declares no bindings interface, so it is not the compiler's to touch.
    NoInterface,
    /// Errors pointing into the file; nothing may be written.
    Invalid(Vec<Diagnostic>),
}

/// Edits the file `file` at `path` (its `bytes`, registered in the compilation's
/// files as `text`) to declare what `wanted` says.
pub fn edit(
    file: FileId,
    path: &str,
    bytes: &[u8],
    text: &str,
    wanted: &Wanted,
    header: &Header,
) -> Foreign {
    if let Some(problem) = unreadable(file, path, bytes) {
        return Foreign::Invalid(vec![problem]);
    }
    let declarations = match interfaces(file, path, text) {
        Ok(d) => d,
        Err(failure) => return Foreign::Invalid(parse_failure(path, failure)),
    };
    Editor::new(file, path, text, &declarations).run(wanted, header)
}

/// Too large, or not UTF-8: the file cannot be edited without losing bytes.
fn unreadable(file: FileId, path: &str, bytes: &[u8]) -> Option<Diagnostic> {
    if bytes.len() > MAX_BYTES {
        return Some(
            Diagnostic::new(
                Code::OutputInvalidEnvTypes,
                format!("{path} is larger than 10 MiB"),
                Span::file_start(file),
                "this file is too large to edit",
            )
            .with_help("an env types file is a few kilobytes; check that the right file is used"),
        );
    }
    let error = std::str::from_utf8(bytes).err()?;
    let at = error.valid_up_to() as u32;
    // The registered text shows the bad bytes as one U+FFFD (3 bytes).
    let width = '\u{fffd}'.len_utf8() as u32;
    Some(
        Diagnostic::new(
            Code::OutputInvalidEnvTypes,
            format!("{path} is not valid UTF-8"),
            Span::new(file, at, at + width),
            "invalid byte sequence here",
        )
        .with_help("re-save the file with UTF-8 encoding"),
    )
}

fn parse_failure(path: &str, failure: Failure) -> Vec<Diagnostic> {
    let help = "fix it (`npx tsc --noEmit` reports it too) so quickback-kv can add the KV bindings, or move the file away and let quickback-kv generate it";
    match failure {
        Failure::TooDeep(span, message) => vec![
            Diagnostic::new(
                Code::OutputInvalidEnvTypes,
                format!("{path} nests too deeply to be edited safely"),
                span,
                message,
            )
            .with_help(help),
        ],
        Failure::Syntax(errors) => errors
            .into_iter()
            .map(|(span, message)| {
                Diagnostic::new(
                    Code::OutputInvalidEnvTypes,
                    format!("{path} is not valid TypeScript"),
                    span,
                    message,
                )
                .with_help(help)
            })
            .collect(),
    }
}

/// One member the compiler wants in an interface.
struct WantedMember<'a> {
    name: &'a str,
    optional: bool,
    /// Comment-safe JSDoc lines after the marker line.
    doc: Vec<String>,
}

/// A replacement of `start..end` (empty: an insertion). Splices never overlap;
/// several insertions at one offset keep the order they were made in.
struct Splice {
    start: usize,
    end: usize,
    text: String,
}

struct Editor<'a> {
    file: FileId,
    path: &'a str,
    text: &'a str,
    declarations: &'a Declarations,
    /// The file's own line ending.
    nl: &'static str,
    /// The compiler's appended regions: (begin comment start, end comment end).
    regions: Vec<(usize, usize)>,
    /// The interfaces outside those regions, by name, in file order.
    by_name: HashMap<&'a str, Vec<&'a Interface>>,
    splices: Vec<Splice>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Editor<'a> {
    fn new(file: FileId, path: &'a str, text: &'a str, declarations: &'a Declarations) -> Self {
        let nl = match text.find('\n') {
            Some(i) if i > 0 && text.as_bytes().get(i - 1) == Some(&b'\r') => "\r\n",
            _ => "\n",
        };
        let regions = regions(&declarations.comments);
        let mut by_name: HashMap<&str, Vec<&Interface>> = HashMap::new();
        for interface in &declarations.interfaces {
            let at = interface.span.start as usize;
            // Regions are in file order and disjoint: the last one starting before `at`.
            let inside = regions
                .partition_point(|&(b, _)| b <= at)
                .checked_sub(1)
                .and_then(|i| regions.get(i))
                .is_some_and(|&(_, e)| at < e);
            if !inside {
                by_name.entry(&interface.name).or_default().push(interface);
            }
        }
        Editor {
            file,
            path,
            text,
            declarations,
            nl,
            regions,
            by_name,
            splices: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    fn run(mut self, wanted: &Wanted, header: &Header) -> Foreign {
        let Some(bindings) = INTERFACE_NAMES
            .iter()
            .map(|name| self.declared(name))
            .find(|found| !found.is_empty())
        else {
            return Foreign::NoInterface;
        };
        let Some(bindings) = self.one(&bindings) else {
            return Foreign::Invalid(self.diagnostics);
        };
        let members: Vec<WantedMember> = wanted
            .bindings
            .iter()
            .map(|b| WantedMember {
                name: &b.name,
                optional: b.optional,
                doc: b
                    .doc
                    .iter()
                    .cloned()
                    .chain(
                        b.optional
                            .then(|| "Not bound in every environment.".to_string()),
                    )
                    .collect(),
            })
            .collect();
        self.edit_interface(bindings, &members);

        let mut appended = Vec::new();
        for environment in &wanted.environments {
            let members: Vec<WantedMember> = environment
                .bindings
                .iter()
                .map(|name| WantedMember {
                    name,
                    optional: false,
                    doc: Vec::new(),
                })
                .collect();
            let found = self.declared(&environment.interface);
            if found.is_empty() {
                appended.push(environment);
            } else if let Some(interface) = self.one(&found) {
                self.edit_interface(interface, &members);
            }
        }
        if !self.diagnostics.is_empty() {
            return Foreign::Invalid(self.diagnostics);
        }
        // Members the compiler added to interfaces it no longer edits (an
        // environment that is gone) go too.
        let edited: HashSet<&str> = std::iter::once(bindings.name.as_str())
            .chain(wanted.environments.iter().map(|e| e.interface.as_str()))
            .collect();
        let mut others: Vec<&Interface> = self
            .by_name
            .iter()
            .filter(|(name, _)| !edited.contains(*name))
            .flat_map(|(_, found)| found.iter().copied())
            .collect();
        others.sort_by_key(|i| i.span.start);
        for interface in others {
            self.edit_interface(interface, &[]);
        }
        let indent = bindings
            .members
            .first()
            .and_then(|m| self.indent_before(m.span.start as usize))
            .unwrap_or("  ");
        let region = (!appended.is_empty()).then(|| {
            let mut lines = vec![format!(
                "// {REGION_BEGIN}. Added from {}{REGION_BEGIN_TAIL}",
                header.config_path
            )];
            let export = if self.declarations.is_module {
                "export "
            } else {
                ""
            };
            for (i, environment) in appended.iter().enumerate() {
                if i > 0 {
                    lines.push(String::new());
                }
                lines.push(format!(
                    "/** The KV bindings of `wrangler deploy --env {}`. */",
                    environment.name
                ));
                lines.push(format!("{export}interface {} {{", environment.interface));
                for binding in &environment.bindings {
                    lines.push(format!("{indent}{binding}: {TYPE};"));
                }
                lines.push("}".to_string());
            }
            lines.push(format!("// {REGION_END}"));
            lines.join(self.nl)
        });
        self.edit_regions(region);
        match apply(self.text, self.splices) {
            Some(text) => Foreign::Edited(text),
            None => Foreign::Invalid(vec![Diagnostic::new(
                Code::InternalError,
                format!("could not edit {}: overlapping edits", self.path),
                Span::file_start(self.file),
                "while editing this file",
            )]),
        }
    }

    /// Declarations of `name` that may be the one to edit: not inside the
    /// compiler's own appended region.
    fn declared(&self, name: &str) -> Vec<&'a Interface> {
        self.by_name.get(name).cloned().unwrap_or_default()
    }

    /// The single declaration, or a diagnostic: with several, the compiler
    /// cannot know which one the app's types come from (they merge).
    fn one(&mut self, found: &[&'a Interface]) -> Option<&'a Interface> {
        match found {
            [one] => Some(one),
            [first, again, ..] => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::OutputAmbiguousInterface,
                        format!("{} declares `{}` more than once", self.path, first.name),
                        again.name_span,
                        "declared again here",
                    )
                    .with_label(first.name_span, "first declared here")
                    .with_help(format!(
                        "merge the declarations of `{}` into one, so quickback-kv knows where the KV bindings go",
                        first.name
                    )),
                );
                None
            }
            [] => None,
        }
    }

    /// Linear in members plus wanted: members are grouped by name once.
    fn edit_interface(&mut self, interface: &Interface, wanted: &[WantedMember]) {
        let mut by_name: HashMap<&str, (Option<&Member>, Vec<&Member>)> = HashMap::new();
        for member in &interface.members {
            let Some(name) = member.name.as_deref() else {
                if is_owned(member) {
                    self.remove(member);
                }
                continue;
            };
            let (theirs, ours) = by_name.entry(name).or_default();
            if is_owned(member) {
                ours.push(member);
            } else if theirs.is_none() {
                *theirs = Some(member);
            }
        }
        let mut inserts = Vec::new();
        for w in wanted {
            let (theirs, ours) = by_name.remove(w.name).unwrap_or_default();
            let mut ours = ours.into_iter();
            match theirs {
                Some(member) => self.correct(member, w),
                None => match ours.next() {
                    Some(member) => self.update(member, w),
                    None => inserts.push(w),
                },
            }
            for member in ours {
                self.remove(member);
            }
        }
        // What is left is not wanted: the compiler's members go.
        let mut unwanted: Vec<&Member> = by_name.into_values().flat_map(|(_, ours)| ours).collect();
        unwanted.sort_by_key(|m| m.span.start);
        for member in unwanted {
            self.remove(member);
        }
        if !inserts.is_empty() {
            self.insert(interface, &inserts);
        }
    }

    /// Makes a member of the user's declare `KVNamespace` with the wanted optionality.
    fn correct(&mut self, member: &Member, w: &WantedMember) {
        let question = if w.optional { "?" } else { "" };
        if member.kind != MemberKind::Property {
            // A method named like the binding: the member becomes the property.
            let (start, mut end) = (member.span.start as usize, member.span.end as usize);
            if self
                .text
                .get(..end)
                .is_some_and(|t| t.ends_with([';', ',']))
            {
                end -= 1;
            }
            self.splice(start, end, format!("{}{question}: {TYPE}", w.name));
            return;
        }
        let key_end = member.key_span.end as usize;
        let mark = member
            .optional
            .then(|| self.question_mark(key_end))
            .flatten();
        if member.optional != w.optional {
            match mark {
                Some(at) => self.splice(at, at + 1, String::new()),
                None if w.optional => self.splice(key_end, key_end, "?".to_string()),
                None => {}
            }
        }
        let right = member.type_text.as_deref().is_some_and(is_kv_namespace);
        match member.type_span {
            Some(_) if right => {}
            Some(span) => self.splice(span.start as usize, span.end as usize, TYPE.to_string()),
            None => {
                let at = mark.map_or(key_end, |at| at + 1);
                self.splice(at, at, format!(": {TYPE}"));
            }
        }
    }

    /// Rewrites one of the compiler's members when its text is not what it would write now.
    fn update(&mut self, member: &Member, w: &WantedMember) {
        let Some(marker) = member.leading_comments.last() else {
            return;
        };
        let start = marker.span.start as usize;
        let end = self.end_of(member);
        let wanted = if self.on_own_lines(start, end) {
            let indent = self.indent_before(start).unwrap_or("");
            self.member_lines(w, indent)
        } else {
            member_inline(w)
        };
        if self.text.get(start..end) != Some(wanted.as_str()) {
            self.splice(start, end, wanted);
        }
    }

    /// Removes one of the compiler's members with its JSDoc (and its lines, when it has its own).
    fn remove(&mut self, member: &Member) {
        let Some(marker) = member.leading_comments.last() else {
            return;
        };
        let (start, end) = (marker.span.start as usize, self.end_of(member));
        if self.on_own_lines(start, end) {
            let line_start = start - self.indent_before(start).map_or(0, str::len);
            let rest = self.text.get(end..).unwrap_or("");
            let trailing = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            let newline = if rest[trailing..].starts_with("\r\n") {
                2
            } else {
                usize::from(rest[trailing..].starts_with('\n'))
            };
            self.splice(line_start, end + trailing + newline, String::new());
        } else {
            let space =
                usize::from(start > 0 && self.text.as_bytes().get(start - 1) == Some(&b' '));
            self.splice(start - space, end, String::new());
        }
    }

    /// Adds members: on their own lines before the closing brace's line, with
    /// the indentation of the last member; or, in a body whose closing brace
    /// shares a line with something else, on one line right after `{`.
    fn insert(&mut self, interface: &Interface, wanted: &[&WantedMember]) {
        let close = (interface.body.end as usize).saturating_sub(1);
        match self.indent_before(close) {
            Some(brace_indent) if close - brace_indent.len() > interface.body.start as usize => {
                let line_start = close - brace_indent.len();
                let indent = interface
                    .members
                    .last()
                    .and_then(|m| self.indent_before(m.span.start as usize))
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        let unit = if brace_indent.contains('\t') {
                            "\t"
                        } else {
                            "  "
                        };
                        format!("{brace_indent}{unit}")
                    });
                for w in wanted {
                    let block = format!("{indent}{}{}", self.member_lines(w, &indent), self.nl);
                    self.splice(line_start, line_start, block);
                }
            }
            _ => self.insert_inline(interface, wanted),
        }
    }

    fn insert_inline(&mut self, interface: &Interface, wanted: &[&WantedMember]) {
        let at = interface.body.start as usize + 1;
        for w in wanted {
            self.splice(at, at, format!(" {}", member_inline(w)));
        }
    }

    /// The member with its JSDoc, from `/**` to `;`, continuation lines indented by `indent`.
    fn member_lines(&self, w: &WantedMember, indent: &str) -> String {
        let nl = self.nl;
        let mut out = format!("/**{nl}{indent} * {MEMBER_NOTE}{nl}");
        for line in &w.doc {
            out.push_str(&format!("{indent} * {line}{nl}"));
        }
        let question = if w.optional { "?" } else { "" };
        out.push_str(&format!(
            "{indent} */{nl}{indent}{}{question}: {TYPE};",
            w.name
        ));
        out
    }

    /// Replaces the compiler's regions: the first becomes `region` (or goes),
    /// any others go; with none, `region` is appended at the end of the file.
    fn edit_regions(&mut self, region: Option<String>) {
        let regions = self.regions.clone();
        let mut region = region;
        for (b, e) in regions {
            match region.take() {
                Some(text) => {
                    if self.text.get(b..e) != Some(text.as_str()) {
                        self.splice(b, e, text);
                    }
                }
                None => {
                    let nl = self.nl;
                    let before = self.text.get(..b).unwrap_or("");
                    let blank = before.ends_with(&format!("{nl}{nl}"));
                    let (start, end) = if e == self.text.len() {
                        (if blank { b - 2 * nl.len() } else { b }, e)
                    } else if self.text.get(e..).is_some_and(|t| t.starts_with(nl)) {
                        (if blank { b - nl.len() } else { b }, e + nl.len())
                    } else {
                        (b, e)
                    };
                    self.splice(start, end, String::new());
                }
            }
        }
        if let Some(text) = region {
            let nl = self.nl;
            let end = self.text.len();
            let appended = if self.text.ends_with(nl) {
                format!("{nl}{text}{nl}")
            } else {
                format!("{nl}{nl}{text}")
            };
            self.splice(end, end, appended);
        }
    }

    fn splice(&mut self, start: usize, end: usize, text: String) {
        self.splices.push(Splice { start, end, text });
    }

    /// The whitespace between the start of `at`'s line and `at`, if only whitespace.
    /// Looks back over that whitespace only, so a long line costs nothing.
    fn indent_before(&self, at: usize) -> Option<&'a str> {
        let before = self.text.get(..at)?;
        let rest = before.trim_end_matches([' ', '\t']);
        (rest.is_empty() || rest.ends_with('\n')).then(|| &before[rest.len()..])
    }

    /// Whether `start..end` has its lines to itself: only indentation before,
    /// only spaces and a line break (or the end) after.
    fn on_own_lines(&self, start: usize, end: usize) -> bool {
        let rest = self.text.get(end..).unwrap_or("");
        let rest = rest.trim_start_matches([' ', '\t']);
        self.indent_before(start).is_some()
            && (rest.is_empty() || rest.starts_with('\n') || rest.starts_with("\r\n"))
    }

    /// The end of a member including its `;` or `,`, when it has one on its line.
    fn end_of(&self, member: &Member) -> usize {
        let end = member.span.end as usize;
        let rest = self.text.get(end..).unwrap_or("");
        let trimmed = rest.trim_start_matches([' ', '\t']);
        let has_separator = self
            .text
            .get(..end)
            .is_some_and(|t| t.ends_with([';', ',']));
        if !has_separator && (trimmed.starts_with(';') || trimmed.starts_with(',')) {
            end + (rest.len() - trimmed.len()) + 1
        } else {
            end
        }
    }

    /// The offset of the `?` after a key, skipping whitespace and comments.
    fn question_mark(&self, from: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut i = from;
        loop {
            match bytes.get(i)? {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'?' => return Some(i),
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    i += 2 + self.text.get(i + 2..)?.find("*/")? + 2;
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    i += self.text.get(i..)?.find('\n')? + 1;
                }
                _ => return None,
            }
        }
    }
}

/// The member on one line, for a body that is not laid out on lines.
fn member_inline(w: &WantedMember) -> String {
    let question = if w.optional { "?" } else { "" };
    format!("/** {MEMBER_NOTE} */ {}{question}: {TYPE};", w.name)
}

/// A member is the compiler's when the comment directly above it is a JSDoc
/// carrying the marker.
fn is_owned(member: &Member) -> bool {
    member
        .leading_comments
        .last()
        .is_some_and(|c| c.block && c.text.starts_with('*') && c.text.contains(MEMBER_MARKER))
}

/// `KVNamespace` or `KVNamespace<string>`, however spaced: the types that
/// already say what `wrangler types` says.
fn is_kv_namespace(type_text: &str) -> bool {
    let compact: String = type_text.chars().filter(|c| !c.is_whitespace()).collect();
    compact == TYPE || compact == "KVNamespace<string>"
}

/// The compiler's regions: each end comment closes the nearest begin before it.
fn regions(comments: &[Comment]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut begin = None;
    for c in comments.iter().filter(|c| !c.block) {
        let text = c.text.trim_start();
        if text.starts_with(&format!("{REGION_BEGIN}. Added from "))
            && text.trim_end().ends_with(REGION_BEGIN_TAIL)
        {
            begin = Some(c.span.start as usize);
        } else if text.starts_with(REGION_END)
            && let Some(b) = begin.take()
        {
            out.push((b, c.span.end as usize));
        }
    }
    out
}

/// The text with every splice applied, in one forward pass (linear); `None` if
/// two splices overlap or one does not fall on character boundaries.
fn apply(text: &str, mut splices: Vec<Splice>) -> Option<String> {
    // Stable: insertions at one offset keep their order.
    splices.sort_by_key(|s| (s.start, s.end));
    let mut out =
        String::with_capacity(text.len() + splices.iter().map(|s| s.text.len()).sum::<usize>());
    let mut cursor = 0;
    for s in &splices {
        if s.start < cursor || s.end < s.start {
            return None;
        }
        out.push_str(text.get(cursor..s.start)?);
        out.push_str(&s.text);
        cursor = s.end;
    }
    out.push_str(text.get(cursor..)?);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::env_types::{WantedBinding, WantedEnvironment};

    const QUICKBACK: &str = "/**\n * Generated by quickback.dev\n */\n\n/// <reference types=\"@cloudflare/workers-types\" />\n\nexport interface CloudflareBindings {\n  // Database bindings\n  AUTH_DB: D1Database;\n\n  KV: KVNamespace;\n  ASSETS: Fetcher;\n  ACCESS_ORIGINS?: string;\n  CF_VERSION_METADATA?: { id: string; tag: string };\n}\n\ndeclare module \"cloudflare:test\" {\n  interface ProvidedEnv extends CloudflareBindings {}\n}\n";

    fn binding(name: &str, optional: bool) -> WantedBinding {
        WantedBinding {
            name: name.to_string(),
            optional,
            doc: vec![format!("Workers KV namespace for `{name}`.")],
        }
    }

    fn wanted(bindings: &[(&str, bool)], environments: &[(&str, &[&str])]) -> Wanted {
        Wanted {
            bindings: bindings.iter().map(|&(n, o)| binding(n, o)).collect(),
            environments: environments
                .iter()
                .map(|&(name, bindings)| WantedEnvironment {
                    name: name.to_string(),
                    interface: crate::validate::environment_interface(name),
                    bindings: bindings.iter().map(|b| b.to_string()).collect(),
                })
                .collect(),
        }
    }

    fn header() -> Header {
        Header::new("quickback/quickback.config.ts", "quickback-kv build")
    }

    fn run(text: &str, wanted: &Wanted) -> Foreign {
        edit(
            FileId(0),
            "src/env.d.ts",
            text.as_bytes(),
            text,
            wanted,
            &header(),
        )
    }

    /// Edits, then edits the result again: the second edit must change nothing.
    fn converged(text: &str, wanted: &Wanted) -> String {
        let Foreign::Edited(once) = run(text, wanted) else {
            panic!("not edited: {:?}", run(text, wanted));
        };
        let Foreign::Edited(twice) = run(&once, wanted) else {
            panic!("the edited file no longer edits:\n{once}");
        };
        assert_eq!(once, twice, "a second edit changed the file");
        once
    }

    #[test]
    fn a_member_that_already_says_the_right_thing_is_left_as_written() {
        assert_eq!(
            converged(QUICKBACK, &wanted(&[("KV", false)], &[])),
            QUICKBACK
        );
        let spaced = QUICKBACK.replace("KV: KVNamespace;", "KV :  KVNamespace < string >");
        assert_eq!(converged(&spaced, &wanted(&[("KV", false)], &[])), spaced);
    }

    #[test]
    fn added_members_are_marked_updated_and_removed_back_to_the_original_bytes() {
        let added = converged(QUICKBACK, &wanted(&[("CACHE", false), ("KV", false)], &[]));
        let expected_member = "  CF_VERSION_METADATA?: { id: string; tag: string };\n  /**\n   * Added by quickback-kv: change the Quickback config, not this member.\n   * Workers KV namespace for `CACHE`.\n   */\n  CACHE: KVNamespace;\n}\n";
        assert!(added.contains(expected_member), "{added}");
        // A new doc line is an update in place.
        let mut changed = wanted(&[("CACHE", true), ("KV", false)], &[]);
        changed.bindings[0].doc = vec!["Another id.".into()];
        let updated = converged(&added, &changed);
        assert!(updated.contains("   * Another id.\n   * Not bound in every environment.\n   */\n  CACHE?: KVNamespace;\n}"), "{updated}");
        assert_eq!(updated.matches(MEMBER_MARKER).count(), 1);
        // No longer configured: the file goes back to Quickback's bytes.
        assert_eq!(
            converged(&updated, &wanted(&[("KV", false)], &[])),
            QUICKBACK
        );
        assert_eq!(converged(&added, &Wanted::default()), QUICKBACK);
    }

    #[test]
    fn members_the_user_wrote_are_corrected_in_place_and_never_removed() {
        let text = "export interface Env {\n  KV?: string; // mine\n  CACHE;\n  OTHER(): void;\n  OPT: KVNamespace;\n}\n";
        let w = wanted(
            &[
                ("CACHE", false),
                ("KV", false),
                ("OPT", true),
                ("OTHER", false),
            ],
            &[],
        );
        let edited = converged(text, &w);
        assert_eq!(
            edited,
            "export interface Env {\n  KV: KVNamespace; // mine\n  CACHE: KVNamespace;\n  OTHER: KVNamespace;\n  OPT?: KVNamespace;\n}\n"
        );
        assert_eq!(converged(&edited, &Wanted::default()), edited);
    }

    #[test]
    fn quoted_and_computed_keys_are_members_too() {
        let text = "export interface Env {\n  \"KV\": string;\n  [\"CACHE\"]: KVNamespace;\n  ['X' ] /* x */ ?: number;\n}\n";
        let w = wanted(&[("CACHE", true), ("KV", false), ("X", false)], &[]);
        assert_eq!(
            converged(text, &w),
            "export interface Env {\n  \"KV\": KVNamespace;\n  [\"CACHE\"]?: KVNamespace;\n  ['X' ] /* x */ : KVNamespace;\n}\n"
        );
    }

    #[test]
    fn a_member_the_user_adds_replaces_the_compilers() {
        let added = converged(QUICKBACK, &wanted(&[("CACHE", false), ("KV", false)], &[]));
        let theirs = added.replace(
            "  ASSETS: Fetcher;\n",
            "  ASSETS: Fetcher;\n  CACHE: KVNamespace;\n",
        );
        let edited = converged(&theirs, &wanted(&[("CACHE", false), ("KV", false)], &[]));
        assert_eq!(
            edited,
            QUICKBACK.replace(
                "  ASSETS: Fetcher;\n",
                "  ASSETS: Fetcher;\n  CACHE: KVNamespace;\n"
            )
        );
    }

    #[test]
    fn environments_edit_existing_interfaces_and_append_the_others() {
        let text = format!("{QUICKBACK}\nexport interface StagingEnv {{\n\tDB: D1Database;\n}}\n");
        let w = wanted(
            &[("CACHE", true), ("KV", false)],
            &[("staging", &["KV"]), ("production", &["CACHE", "KV"])],
        );
        let edited = converged(&text, &w);
        assert!(edited.contains("export interface StagingEnv {\n\tDB: D1Database;\n\t/**\n\t * Added by quickback-kv: change the Quickback config, not this member.\n\t */\n\tKV: KVNamespace;\n}\n"), "{edited}");
        assert!(edited.ends_with("}\n\n// quickback-kv: begin. Added from quickback/quickback.config.ts: change the Quickback config, not these lines.\n/** The KV bindings of `wrangler deploy --env production`. */\nexport interface ProductionEnv {\n  CACHE: KVNamespace;\n  KV: KVNamespace;\n}\n// quickback-kv: end\n"), "{edited}");
        // Environments gone: the file goes back to what it was.
        assert_eq!(converged(&edited, &wanted(&[("KV", false)], &[])), text);
    }

    #[test]
    fn appended_region_without_a_final_newline_and_in_a_script() {
        let text = "interface Env {\n    KV: KVNamespace\n}";
        let w = wanted(&[("KV", false)], &[("staging", &["KV"])]);
        let edited = converged(text, &w);
        assert!(edited.ends_with("}\n\n// quickback-kv: begin. Added from quickback/quickback.config.ts: change the Quickback config, not these lines.\n/** The KV bindings of `wrangler deploy --env staging`. */\ninterface StagingEnv {\n    KV: KVNamespace;\n}\n// quickback-kv: end"), "{edited}");
        assert_eq!(converged(&edited, &wanted(&[("KV", false)], &[])), text);
    }

    #[test]
    fn crlf_and_byte_order_mark_are_kept() {
        let text = format!("\u{feff}{}", QUICKBACK.replace('\n', "\r\n"));
        let w = wanted(
            &[("CACHE", false), ("KV", false)],
            &[("staging", &["CACHE", "KV"])],
        );
        let edited = converged(&text, &w);
        assert!(edited.starts_with('\u{feff}'));
        assert_eq!(
            edited.matches('\n').count(),
            edited.matches("\r\n").count(),
            "{edited:?}"
        );
        assert!(edited.contains("  /**\r\n   * Added by quickback-kv"));
        assert_eq!(converged(&edited, &wanted(&[("KV", false)], &[])), text);
    }

    #[test]
    fn one_line_bodies_get_one_line_members() {
        let text = "export interface Env { KV: KVNamespace }\nexport interface Empty {}\n";
        let edited = converged(text, &wanted(&[("CACHE", false), ("KV", false)], &[]));
        assert_eq!(
            edited,
            "export interface Env { /** Added by quickback-kv: change the Quickback config, not this member. */ CACHE: KVNamespace; KV: KVNamespace }\nexport interface Empty {}\n"
        );
        assert_eq!(converged(&edited, &wanted(&[("KV", false)], &[])), text);
    }

    #[test]
    fn an_empty_multi_line_body_is_indented_from_its_brace() {
        let text = "declare global {\n  interface CloudflareBindings {\n  }\n}\nexport {};\n";
        let edited = converged(text, &wanted(&[("KV", false)], &[]));
        assert!(edited.contains("  interface CloudflareBindings {\n    /**\n     * Added by quickback-kv: change the Quickback config, not this member.\n     * Workers KV namespace for `KV`.\n     */\n    KV: KVNamespace;\n  }\n"), "{edited}");
    }

    #[test]
    fn cloudflare_bindings_wins_over_env_and_other_scopes_do_not_count() {
        let text = "export interface Env { A: string }\nexport interface CloudflareBindings {\n  KV: KVNamespace;\n}\ndeclare module \"x\" {\n  interface CloudflareBindings { B: string }\n}\n";
        let edited = converged(text, &wanted(&[("CACHE", false), ("KV", false)], &[]));
        assert!(edited.starts_with("export interface Env { A: string }\nexport interface CloudflareBindings {\n  KV: KVNamespace;\n  /**"), "{edited}");
    }

    #[test]
    fn no_bindings_interface_is_not_the_compilers_file() {
        let text = "type Env = { KV: KVNamespace };\ninterface Other {}\n";
        assert_eq!(
            run(text, &wanted(&[("KV", false)], &[])),
            Foreign::NoInterface
        );
    }

    #[test]
    fn two_declarations_or_bad_syntax_are_errors_pointing_into_the_file() {
        let two = "export interface CloudflareBindings { KV: KVNamespace }\ndeclare global {\n  interface CloudflareBindings { X: string }\n}\n";
        let Foreign::Invalid(d) = run(two, &wanted(&[("KV", false)], &[])) else {
            panic!("accepted two declarations");
        };
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::OutputAmbiguousInterface);
        assert_eq!(&two[d[0].labels[0].span.range()], "CloudflareBindings");
        assert!(d[0].labels[0].span.start > d[0].labels[1].span.start);

        let bad = "export interface CloudflareBindings {\n  KV: \n}\n";
        let Foreign::Invalid(d) = run(bad, &wanted(&[("KV", false)], &[])) else {
            panic!("accepted bad syntax");
        };
        assert!(d.iter().all(|d| d.code == Code::OutputInvalidEnvTypes));

        let bytes = b"export interface Env { KV: \xff }";
        let lossy = String::from_utf8_lossy(bytes);
        let Foreign::Invalid(d) = edit(
            FileId(0),
            "src/env.d.ts",
            bytes,
            &lossy,
            &Wanted::default(),
            &header(),
        ) else {
            panic!("accepted bytes that are not UTF-8");
        };
        assert_eq!(d[0].code, Code::OutputInvalidEnvTypes);
        assert_eq!(d[0].labels[0].span.start, 27);
    }

    #[test]
    fn a_hand_written_begin_and_end_keep_the_lines_between() {
        let text = "export interface CloudflareBindings {\n  KV: KVNamespace;\n}\n// quickback-kv: begin\nexport const mine = 1;\n// quickback-kv: end\n";
        let w = wanted(&[("KV", false)], &[("staging", &["KV"])]);
        let edited = converged(text, &w);
        assert!(edited.starts_with(text), "{edited}");
        assert_eq!(converged(&edited, &wanted(&[("KV", false)], &[])), text);
    }

    #[test]
    fn a_begin_without_an_end_is_not_a_region() {
        let text = "export interface CloudflareBindings {\n  KV: KVNamespace;\n}\n// quickback-kv: begin (left by hand)\nexport const x = 1;\n";
        let w = wanted(&[("KV", false)], &[("staging", &["KV"])]);
        let edited = converged(text, &w);
        assert!(edited.starts_with(text));
        assert_eq!(converged(&edited, &wanted(&[("KV", false)], &[])), text);
    }
}
