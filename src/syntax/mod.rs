//! Parsing: TypeScript text → swc → the compiler's own [`ast::Module`].
//! swc types never leave this module.

pub mod ast;
pub mod auth_module;
pub mod depth;
pub mod interfaces;
pub mod lower;

use swc_common::{BytePos, FileName, SourceFile};
use swc_ecma_ast::EsVersion;
use swc_ecma_parser::{Syntax, TsSyntax, parse_file_as_module};

use crate::diagnostics::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// The stack of threads that parse or free syntax trees whose pre-scan nesting
/// is above [`SMALL_NESTING`]: enough for the deepest tree `depth` lets through
/// (about `MAX_CHAIN + MAX_DEPTH` levels) with a wide margin. Only the pages a
/// parse touches are ever committed.
pub const STACK_BYTES: usize = 256 * 1024 * 1024;

/// The stack any text whose pre-scan nesting is at most [`SMALL_NESTING`] needs,
/// at most, to be parsed, lowered, evaluated and freed (debug builds included):
/// half of the 8 MiB a main thread gets by default. `tests/robustness.rs`
/// runs the deepest such input of every nesting construct on a thread this size.
pub const SMALL_STACK_BYTES: usize = 4 * 1024 * 1024;

/// The pre-scan nesting up to which [`SMALL_STACK_BYTES`] suffice. Real configs
/// stay far below (brackets under 20, a few operators between commas).
pub const SMALL_NESTING: usize = 100;

/// Whether compiling `text` (the config at `path`) needs a thread with
/// [`STACK_BYTES`] of stack: true when the pre-scan finds nesting above
/// [`SMALL_NESTING`]. A text the pre-scan refuses is refused before any
/// recursion, so it needs none.
pub fn needs_large_stack(path: &str, text: &str) -> bool {
    depth::scan(text, is_tsx(path)).is_ok_and(|d| d.nesting > SMALL_NESTING)
}

fn is_tsx(path: &str) -> bool {
    path.ends_with(".tsx")
}

/// At most this many syntax errors are reported: rendering each one costs time
/// in the file's length, and a garbled file can have one per token.
pub const MAX_SYNTAX_ERRORS: usize = 100;

/// Inputs at least this large have their swc tree freed off the critical path.
const BACKGROUND_DROP_BYTES: usize = 256 * 1024;

/// Freeing swc's tree costs about as much as building it (measured by
/// `benches/speed.rs`). For large inputs it is freed on a detached thread, which a
/// CLI process simply outlives; its stack is as large as the compile thread's,
/// since dropping a deep tree recurses as deeply as parsing it.
pub(crate) fn drop_in_background(module: swc_ecma_ast::Module, len: usize) {
    if len < BACKGROUND_DROP_BYTES {
        return;
    }
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(module)));
    let theirs = slot.clone();
    let spawned = std::thread::Builder::new()
        .name("quickback-kv-drop".into())
        .stack_size(STACK_BYTES)
        .spawn(move || drop(theirs.lock().map(|mut m| m.take())));
    if spawned.is_err() {
        // No thread: free it here, as for small inputs.
        drop(slot.lock().map(|mut m| m.take()));
    }
}

/// Parses a config. Syntax errors, including those swc recovered from, are
/// diagnostics; the module is returned only when there are none.
pub fn parse(file: FileId, path: &str, text: &str) -> Result<ast::Module, Vec<Diagnostic>> {
    let module = parse_swc(file, path, text, None).map_err(|failure| match failure {
        Failure::TooDeep(span, message) => vec![
            Diagnostic::new(
                Code::SyntaxTooDeep,
                message,
                span,
                "the limit is passed here",
            )
            .with_help("flatten the expression; a real config is never nested this deeply"),
        ],
        Failure::Syntax(errors) => errors
            .into_iter()
            .map(|(span, message)| {
                Diagnostic::new(
                    Code::SyntaxParse,
                    "the config is not valid TypeScript",
                    span,
                    message,
                )
                .with_help("fix the syntax error; `npx tsc --noEmit` reports it too")
            })
            .collect(),
    })?;
    let lowered = lower::Lowerer::new(file).module(&module);
    drop_in_background(module, text.len());
    Ok(lowered)
}

/// Why a file could not be parsed, before it becomes diagnostics: each caller
/// words them for its own file (the config, the env types file).
pub(crate) enum Failure {
    /// The depth pre-scan refused the input: where, and which limit.
    TooDeep(Span, String),
    /// swc's errors, including recovered ones: where, and swc's message.
    Syntax(Vec<(Span, String)>),
}

/// The one way TypeScript text reaches swc: the depth pre-scan first (swc
/// recurses and would overflow the stack), then swc's TypeScript parser
/// (declaration-file syntax for `.d.ts`). Recovered errors count as errors.
/// Callers run on a thread with `compile::STACK_BYTES` of stack.
pub(crate) fn parse_swc(
    file: FileId,
    path: &str,
    text: &str,
    comments: Option<&dyn swc_common::comments::Comments>,
) -> Result<swc_ecma_ast::Module, Failure> {
    if let Err(too_deep) = depth::scan(text, is_tsx(path)) {
        let (offset, message) = match too_deep {
            depth::TooDeep::Brackets(at) => (
                at,
                format!("brackets nested more than {} levels deep", depth::MAX_DEPTH),
            ),
            depth::TooDeep::Chain(at) => (
                at,
                format!(
                    "an expression chains more than {} operators",
                    depth::MAX_CHAIN
                ),
            ),
            depth::TooDeep::Angles(at) => (
                at,
                format!(
                    "more than {} `<` are open at once, or open in more than {} nested brackets (possible type arguments)",
                    depth::MAX_ANGLES,
                    depth::MAX_ANGLE_LEVELS
                ),
            ),
        };
        let end = text
            .get(offset..)
            .and_then(|rest| rest.chars().next())
            .map_or(offset, |c| offset + c.len_utf8());
        return Err(Failure::TooDeep(
            Span::new(file, offset as u32, end as u32),
            message,
        ));
    }
    let name = swc_common::sync::Lrc::new(FileName::Custom(path.to_string()));
    let source = SourceFile::new(
        name.clone(),
        false,
        name,
        text.to_string().into(),
        BytePos(1),
    );
    let syntax = Syntax::Typescript(TsSyntax {
        tsx: is_tsx(path),
        dts: path.ends_with(".d.ts"),
        ..Default::default()
    });
    let mut recovered = Vec::new();
    let result = parse_file_as_module(
        &source,
        syntax,
        EsVersion::latest(),
        comments,
        &mut recovered,
    );
    let lowerer = lower::Lowerer::new(file);
    let describe = |error: swc_ecma_parser::error::Error| {
        let span = lowerer.span(swc_common::Spanned::span(&error));
        (span, error.kind().msg().into_owned())
    };
    match result {
        Ok(module) if recovered.is_empty() => Ok(module),
        Ok(module) => {
            drop_in_background(module, text.len());
            Err(Failure::Syntax(
                recovered
                    .into_iter()
                    .take(MAX_SYNTAX_ERRORS)
                    .map(describe)
                    .collect(),
            ))
        }
        Err(error) => Err(Failure::Syntax(
            std::iter::once(error)
                .chain(recovered)
                .take(MAX_SYNTAX_ERRORS)
                .map(describe)
                .collect(),
        )),
    }
}
