//! The interface declarations of a TypeScript declaration file, as plain facts
//! (names, members, byte spans, comments), for editing someone else's `env.d.ts`
//! by byte ranges. Parsed exactly as the config is (`super::parse_swc`); swc
//! types never leave this file.
//!
//! Only declarations that can be a Worker's bindings interface are reported:
//! those at the top level of the file and those directly inside a top-level
//! `declare global { … }`. Interfaces inside `declare module "…"` or a namespace
//! declare something else and are skipped, so the walk is two levels deep at most.

use swc_common::comments::{CommentKind, SingleThreadedComments};
use swc_ecma_ast as swc;

use super::{Failure, lower::Lowerer, parse_swc};
use crate::span::{FileId, Span};

/// What the file declares.
#[derive(Debug, Clone, PartialEq)]
pub struct Declarations {
    /// Whether the file is an ES module (has a top-level `import` or `export`),
    /// so its top-level declarations are not global.
    pub is_module: bool,
    /// In file order.
    pub interfaces: Vec<Interface>,
    /// Every comment of the file, in file order.
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Copy)]
pub enum Scope {
    /// At the top level of the file (exported or not).
    TopLevel,
    /// Directly inside a top-level `declare global { … }`.
    Global,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    pub name: String,
    pub scope: Scope,
    /// The declaration, from `export`/`interface` to its closing brace.
    pub span: Span,
    /// The interface's name.
    pub name_span: Span,
    /// The body, braces included.
    pub body: Span,
    /// In file order.
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Eq, Copy)]
pub enum MemberKind {
    /// `name?: Type`: the only kind a binding can be.
    Property,
    /// Methods, getters and setters.
    Method,
    /// Index, call and construct signatures (they have no name).
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The property's name: an identifier or a string-literal key
    /// (`"KV"`, `["KV"]`); `None` for any other key.
    pub name: Option<String>,
    pub kind: MemberKind,
    /// The whole member as swc reports it (a trailing `;` or `,` may or may not
    /// be included: callers look at the text).
    pub span: Span,
    /// The key, quotes and a computed key's closing bracket included.
    pub key_span: Span,
    pub optional: bool,
    /// The annotated type, without the colon.
    pub type_span: Option<Span>,
    /// The annotated type's text, as written.
    pub type_text: Option<String>,
    /// The comments between the previous member (or the body's `{`) and this
    /// member, in order: the last one is directly above it.
    pub leading_comments: Vec<Comment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// `/* … */` (including `/** … */`) rather than `// …`.
    pub block: bool,
    /// The comment, delimiters included.
    pub span: Span,
    /// The text between the delimiters.
    pub text: String,
}

/// Parses `text` (a `.d.ts` or `.ts` file; `path` decides which) and returns its
/// interface declarations, or why it could not be parsed. Run on a thread with
/// `compile::STACK_BYTES` of stack, as every parse.
pub(crate) fn interfaces(file: FileId, path: &str, text: &str) -> Result<Declarations, Failure> {
    let comments = SingleThreadedComments::default();
    let module = match parse_swc(file, path, text, Some(&comments)) {
        Ok(module) => module,
        Err(failure) => return Err(better_failure(file, path, text, failure)),
    };
    let lowerer = Lowerer::new(file);
    let (leading, trailing) = comments.take_all();
    let mut all: Vec<Comment> = leading
        .take()
        .values()
        .chain(trailing.take().values())
        .flatten()
        .map(|c| comment(&lowerer, text, c))
        .collect();
    all.sort_by_key(|c| c.span.start);
    all.dedup_by_key(|c| c.span.start);
    // Comments are attributed by position, not by swc's leading/trailing split
    // (which gives a comment on the previous token's line to that token).
    let between = |from: u32, to: u32| -> Vec<Comment> {
        let first = all.partition_point(|c| c.span.start < from);
        all[first..]
            .iter()
            .take_while(|c| c.span.end <= to)
            .cloned()
            .collect()
    };
    let mut out = Declarations {
        is_module: false,
        interfaces: Vec::new(),
        comments: Vec::new(),
    };
    for item in &module.body {
        let (decl, span) = match item {
            swc::ModuleItem::ModuleDecl(decl) => {
                // `import`, `export` (also `export {}`, `export =`): an ES module.
                out.is_module = true;
                match decl {
                    swc::ModuleDecl::ExportDecl(export) => (&export.decl, export.span),
                    swc::ModuleDecl::ExportDefaultDecl(export) => {
                        if let swc::DefaultDecl::TsInterfaceDecl(interface) = &export.decl {
                            out.interfaces.push(lower_interface(
                                &lowerer,
                                text,
                                interface,
                                export.span,
                                Scope::TopLevel,
                                &between,
                            ));
                        }
                        continue;
                    }
                    _ => continue,
                }
            }
            swc::ModuleItem::Stmt(swc::Stmt::Decl(decl)) => (decl, swc_common::Spanned::span(decl)),
            swc::ModuleItem::Stmt(_) => continue,
        };
        match decl {
            swc::Decl::TsInterface(interface) => out.interfaces.push(lower_interface(
                &lowerer,
                text,
                interface,
                span,
                Scope::TopLevel,
                &between,
            )),
            swc::Decl::TsModule(module) if module.global => {
                let Some(swc::TsNamespaceBody::TsModuleBlock(block)) = &module.body else {
                    continue;
                };
                for item in &block.body {
                    let (decl, span) = match item {
                        swc::ModuleItem::ModuleDecl(swc::ModuleDecl::ExportDecl(export)) => {
                            (&export.decl, export.span)
                        }
                        swc::ModuleItem::Stmt(swc::Stmt::Decl(decl)) => {
                            (decl, swc_common::Spanned::span(decl))
                        }
                        _ => continue,
                    };
                    if let swc::Decl::TsInterface(interface) = decl {
                        out.interfaces.push(lower_interface(
                            &lowerer,
                            text,
                            interface,
                            span,
                            Scope::Global,
                            &between,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    super::drop_in_background(module, text.len());
    out.comments = all;
    Ok(out)
}

/// swc reports an error inside `export interface X { … }` at `interface`
/// ("Expected '{'"), after backtracking from `export { … }`. Parsing once more
/// with that `export` blanked out (same length, so offsets hold) finds the
/// real error; when that parse has none, the first answer stands.
fn better_failure(file: FileId, path: &str, text: &str, failure: Failure) -> Failure {
    let Failure::Syntax(errors) = &failure else {
        return failure;
    };
    let Some(at) = errors.first().map(|(span, _)| span.start as usize) else {
        return failure;
    };
    let before = text.get(..at).unwrap_or("").trim_end();
    let Some(export) = before.strip_suffix("export").map(str::len) else {
        return failure;
    };
    let (Some(head), Some(tail)) = (text.get(..export), text.get(export + 6..)) else {
        return failure;
    };
    let blanked = format!("{head}      {tail}");
    match parse_swc(file, path, &blanked, None) {
        Err(again @ Failure::Syntax(_)) => again,
        _ => failure,
    }
}

fn comment(lowerer: &Lowerer, text: &str, c: &swc_common::comments::Comment) -> Comment {
    let span = lowerer.span(c.span);
    Comment {
        block: c.kind == CommentKind::Block,
        span,
        text: text.get(span.range()).map_or_else(
            || c.text.to_string(),
            |whole| {
                let inner = whole.get(2..).unwrap_or("");
                match c.kind {
                    CommentKind::Block => inner.strip_suffix("*/").unwrap_or(inner),
                    CommentKind::Line => inner,
                }
                .to_string()
            },
        ),
    }
}

fn lower_interface(
    lowerer: &Lowerer,
    text: &str,
    interface: &swc::TsInterfaceDecl,
    span: swc_common::Span,
    scope: Scope,
    between: &dyn Fn(u32, u32) -> Vec<Comment>,
) -> Interface {
    let body = lowerer.span(interface.body.span);
    let mut previous_end = body.start + 1;
    let members = interface
        .body
        .body
        .iter()
        .map(|element| {
            let member = lower_member(lowerer, text, element, previous_end, between);
            previous_end = member.span.end;
            member
        })
        .collect();
    Interface {
        name: interface.id.sym.to_string(),
        scope,
        span: lowerer.span(span),
        name_span: lowerer.span(interface.id.span),
        body,
        members,
    }
}

fn lower_member(
    lowerer: &Lowerer,
    text: &str,
    element: &swc::TsTypeElement,
    previous_end: u32,
    between: &dyn Fn(u32, u32) -> Vec<Comment>,
) -> Member {
    let span = swc_common::Spanned::span(element);
    let (key, computed, kind, optional, type_ann) = match element {
        swc::TsTypeElement::TsPropertySignature(p) => (
            Some(&p.key),
            p.computed,
            MemberKind::Property,
            p.optional,
            p.type_ann.as_deref(),
        ),
        swc::TsTypeElement::TsMethodSignature(m) => (
            Some(&m.key),
            m.computed,
            MemberKind::Method,
            m.optional,
            None,
        ),
        swc::TsTypeElement::TsGetterSignature(g) => {
            (Some(&g.key), g.computed, MemberKind::Method, false, None)
        }
        swc::TsTypeElement::TsSetterSignature(s) => {
            (Some(&s.key), s.computed, MemberKind::Method, false, None)
        }
        swc::TsTypeElement::TsCallSignatureDecl(_)
        | swc::TsTypeElement::TsConstructSignatureDecl(_)
        | swc::TsTypeElement::TsIndexSignature(_) => (None, false, MemberKind::Other, false, None),
    };
    let name = key.and_then(|key| match &**key {
        swc::Expr::Ident(ident) => Some(ident.sym.to_string()),
        swc::Expr::Lit(swc::Lit::Str(s)) => s.value.as_str().map(str::to_string),
        _ => None,
    });
    let mut key_span = key.map_or(lowerer.span(span), |key| {
        lowerer.span(swc_common::Spanned::span(&**key))
    });
    if computed {
        // `["KV"]`: the key ends after its bracket.
        let rest = text.get(key_span.end as usize..).unwrap_or("");
        let spaces = rest.len() - rest.trim_start().len();
        if rest[spaces..].starts_with(']') {
            key_span.end += spaces as u32 + 1;
        }
    }
    let type_span = type_ann.map(|ann| lowerer.span(swc_common::Spanned::span(&*ann.type_ann)));
    let span = lowerer.span(span);
    Member {
        name,
        kind,
        span,
        key_span,
        optional,
        type_span,
        type_text: type_span.and_then(|s| text.get(s.range()).map(str::to_string)),
        leading_comments: between(previous_end, span.start),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Declarations {
        match interfaces(FileId(0), "src/env.d.ts", text) {
            Ok(d) => d,
            Err(_) => panic!("did not parse: {text}"),
        }
    }

    fn slice(text: &str, span: Span) -> &str {
        &text[span.range()]
    }

    #[test]
    fn members_names_types_and_comments() {
        let text = "/// <reference types=\"x\" />\nexport interface CloudflareBindings {\n  // Storage\n  KV: KVNamespace;\n  /** doc */\n  \"CACHE\"?: KVNamespace<string>,\n  meta?: { id: string; tag: string };\n  [key: string]: unknown;\n  run(): void\n}\ndeclare module \"cloudflare:test\" {\n  interface ProvidedEnv extends CloudflareBindings {}\n}\n";
        let d = parse(text);
        assert!(d.is_module);
        assert_eq!(
            d.interfaces.len(),
            1,
            "the one in `declare module` is skipped"
        );
        let i = &d.interfaces[0];
        assert_eq!(i.name, "CloudflareBindings");
        assert_eq!(i.scope, Scope::TopLevel);
        assert!(slice(text, i.span).starts_with("export interface"));
        assert!(slice(text, i.body).starts_with('{') && slice(text, i.body).ends_with('}'));
        let names: Vec<Option<&str>> = i.members.iter().map(|m| m.name.as_deref()).collect();
        assert_eq!(
            names,
            [Some("KV"), Some("CACHE"), Some("meta"), None, Some("run")]
        );
        let kv = &i.members[0];
        assert_eq!(kv.type_text.as_deref(), Some("KVNamespace"));
        assert!(!kv.optional);
        assert_eq!(kv.leading_comments.len(), 1);
        assert_eq!(kv.leading_comments[0].text, " Storage");
        assert!(!kv.leading_comments[0].block);
        let cache = &i.members[1];
        assert!(cache.optional);
        assert_eq!(slice(text, cache.key_span), "\"CACHE\"");
        assert_eq!(cache.type_text.as_deref(), Some("KVNamespace<string>"));
        assert_eq!(cache.leading_comments[0].text, "* doc ");
        assert!(cache.leading_comments[0].block);
        assert_eq!(
            i.members[2].type_text.as_deref(),
            Some("{ id: string; tag: string }")
        );
        assert_eq!(i.members[3].kind, MemberKind::Other);
        assert_eq!(i.members[4].kind, MemberKind::Method);
        assert_eq!(d.comments.len(), 3);
    }

    #[test]
    fn scripts_global_blocks_and_byte_order_marks() {
        let d = parse("\u{feff}interface Env {\r\n  KV: KVNamespace;\r\n}\r\n");
        assert!(!d.is_module);
        assert_eq!(d.interfaces[0].name, "Env");
        let text = "\u{feff}interface Env {\r\n  KV: KVNamespace;\r\n}\r\n";
        assert_eq!(
            slice(text, d.interfaces[0].members[0].span).trim_end_matches(';'),
            "KV: KVNamespace"
        );

        let text = "export {};\ndeclare global {\n  interface Env { KV: KVNamespace }\n  namespace X { interface Env {} }\n}\n";
        let d = parse(text);
        assert!(d.is_module);
        assert_eq!(d.interfaces.len(), 1);
        assert_eq!(d.interfaces[0].scope, Scope::Global);
    }

    #[test]
    fn errors_and_deep_input_are_failures_not_panics() {
        let text = "export interface A {\n  X: string;\n  KV: ;\n}\n";
        let Err(Failure::Syntax(errors)) = interfaces(FileId(0), "src/env.d.ts", text) else {
            panic!("accepted a syntax error");
        };
        // At the real error, not at `interface` where swc first stops.
        assert_eq!(&text[errors[0].0.range()], ";");
        let deep = format!("type T = {}", "[".repeat(100_000));
        assert!(matches!(
            interfaces(FileId(0), "src/env.d.ts", &deep),
            Err(Failure::TooDeep(..))
        ));
    }
}
