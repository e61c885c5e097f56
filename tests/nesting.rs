//! Every construct swc recurses on is counted by the depth pre-scan
//! (`syntax::depth`), checked on generated inputs, construct by construct:
//!
//! - nested far past any limit, the pre-scan refuses it (so the parser never
//!   sees it);
//! - nested as deep as the pre-scan lets through, the whole compile finishes on
//!   a thread with `syntax::STACK_BYTES` of stack;
//! - nested as deep as `syntax::SMALL_NESTING` allows, it finishes on a thread
//!   with `syntax::SMALL_STACK_BYTES`, the stack the CLI then compiles on
//!   (its main thread's, 8 MiB by default).
//!
//! A construct the pre-scan missed would pass the first check's scan and then
//! overflow the stack: the test process aborts, which fails loudly.

use std::collections::BTreeMap;

use quickback_kv::compile::{Contents, FileInput, Inputs, Options, compile};
use quickback_kv::syntax::depth::{self, TooDeep};
use quickback_kv::syntax::{SMALL_NESTING, SMALL_STACK_BYTES, STACK_BYTES};

/// One construct: `lead + open×n + core + close×n + tail`.
struct Construct {
    name: &'static str,
    lead: &'static str,
    open: &'static str,
    core: &'static str,
    close: &'static str,
    tail: &'static str,
    path: &'static str,
}

const fn c(
    name: &'static str,
    lead: &'static str,
    open: &'static str,
    core: &'static str,
    close: &'static str,
) -> Construct {
    Construct {
        name,
        lead,
        open,
        core,
        close,
        tail: ";\nexport default {};\n",
        path: "quickback.config.ts",
    }
}

const CONSTRUCTS: &[Construct] = &[
    c("parens", "const x = ", "(", "1", ")"),
    c("arrays", "const x = ", "[", "1", "]"),
    c("objects", "const x = ", "{a:", "1", "}"),
    c("calls", "const x = ", "f(", "1", ")"),
    c("template substitutions", "const x = ", "`${", "1", "}`"),
    c("nested templates", "const x = ", "`a${`b", "", "`}`"),
    c("not", "const x = ", "!", "1", ""),
    c("minus", "const x = ", "-", "1", ""),
    c("plus plus", "let x = ", "++", "a", ""),
    c("typeof", "const x = ", "typeof ", "a", ""),
    c("void", "const x = ", "void ", "a", ""),
    c("delete", "const x = ", "delete ", "a", ""),
    c("await", "const x = ", "await ", "a", ""),
    c("new", "const x = ", "new ", "A", ""),
    c("new with arguments", "const x = ", "new A(", "1", ")"),
    c("conditional", "const x = ", "a ? b : ", "c", ""),
    c(
        "conditional in the middle",
        "const x = ",
        "a ? ",
        "b",
        " : c",
    ),
    c("assignment", "let x; ", "x = ", "1", ""),
    c("exponent", "const x = ", "a ** ", "1", ""),
    c("arrow", "const x = ", "x => ", "1", ""),
    c("async arrow", "const x = ", "async x => ", "1", ""),
    c("arrow with parameters", "const x = ", "(a, b) => ", "1", ""),
    c("member", "const x = a", "", "", ".b"),
    c("call chain", "const x = f", "", "", "()"),
    c("as", "const x = a", "", "", " as T"),
    c("non-null", "const x = a", "", "", "!"),
    c(
        "comparison and conditional",
        "const x = ",
        "a < b ? c : d > ",
        "e",
        "",
    ),
    c(
        "regex then parens",
        "const r = /\"/; const x = ",
        "(",
        "1",
        ")",
    ),
    c(
        "regex with quote after paren",
        "if (a) /'/.test(b); const x = ",
        "(",
        "1",
        ")",
    ),
    c(
        "regex with backtick",
        "const r = /`/; const x = ",
        "(",
        "1",
        ")",
    ),
    c(
        "division then parens",
        "const r = a / 2; const x = ",
        "(",
        "1",
        ")",
    ),
    c("type arguments", "type T = ", "A<y, ", "x", ", y>"),
    c("type argument", "type T = ", "A<", "x", ">"),
    c("type assertion", "const x = ", "<T>", "a", ""),
    c("instantiation", "const x = ", "f<", "T", ">(1)"),
    c("keyof", "type T = ", "keyof ", "A", ""),
    c("array type", "type T = A", "", "", "[]"),
    c("union", "type T = ", "A | ", "B", ""),
    c("function type", "type T = ", "() => ", "A", ""),
    c(
        "conditional type",
        "type T = ",
        "A extends B ? ",
        "C",
        " : D",
    ),
    c("object type", "type T = ", "{ a: ", "A", " }"),
    c("tuple type", "type T = ", "[", "A", "]"),
    c("typeof type", "type T = ", "typeof ", "a", ""),
    c("while", "", "while(a)", ";", ""),
    c("if", "", "if(a)", ";", ""),
    c("for", "", "for(;;)", ";", ""),
    c("for of", "", "for (const a of b)", ";", ""),
    c("with", "", "with(a)", ";", ""),
    c("do while", "", "do ", ";", " while(a);"),
    c("labels", "", "a: ", ";", ""),
    c("else if after semicolons", "", "if(a) b; else ", "c;", ""),
    c("else if after blocks", "", "if(a){} else ", "{}", ""),
    c("blocks", "", "{", "", "}"),
    c("class extends", "const x = ", "class extends ", "A", " {}"),
    c("functions", "", "function f() {", "", "}"),
    c("generator yield", "function* g() { ", "yield ", "1", ""),
    c("spread", "const x = ", "[...", "a", "]"),
    c("destructuring", "const ", "[", "a", "]"),
    c("default parameters", "function f(", "a = (", "1", ")"),
    c("comma-separated arrows", "const x = ", "(a, ", "b", ")"),
    c("sequence in parens", "const x = ", "(a, ", "1", ")"),
    c("decorators", "", "@d ", "class A {}", ""),
    c("namespaces", "", "namespace A { ", "", "}"),
    Construct {
        name: "jsx elements",
        lead: "const x = ",
        open: "<a>;",
        core: "",
        close: "</a>",
        tail: ";\nexport default {};\n",
        path: "quickback.config.tsx",
    },
];

fn text(construct: &Construct, n: usize) -> String {
    format!(
        "{}{}{}{}{}",
        construct.lead,
        construct.open.repeat(n),
        construct.core,
        construct.close.repeat(n),
        construct.tail
    )
}

fn scan(construct: &Construct, n: usize) -> Result<depth::Depth, TooDeep> {
    depth::scan(&text(construct, n), construct.path.ends_with(".tsx"))
}

/// At least a megabyte of nesting: far past any limit.
fn huge(construct: &Construct) -> usize {
    1_000_000 / (construct.open.len() + construct.close.len()).max(1)
}

/// The largest `n` up to [`huge`] for which `accepts` holds (it holds for 0 and is monotone).
fn largest(construct: &Construct, mut accepts: impl FnMut(usize) -> bool) -> usize {
    let limit = huge(construct);
    if accepts(limit) {
        return limit;
    }
    let (mut low, mut high) = (0usize, limit);
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if accepts(mid) {
            low = mid;
        } else {
            high = mid;
        }
    }
    low
}

/// The stack the CLI compiles a text on, given what the pre-scan says.
fn stack_for(nesting: usize) -> usize {
    if nesting > SMALL_NESTING {
        STACK_BYTES
    } else {
        SMALL_STACK_BYTES
    }
}

/// Compiles on a thread with `stack` bytes of stack; an overflow aborts the process.
fn compile_on(stack: usize, construct: &Construct, n: usize) {
    // Names the construct before a possible abort.
    eprintln!(
        "{}: {n} levels on {} KiB of stack",
        construct.name,
        stack / 1024
    );
    let inputs = Inputs {
        config: FileInput {
            path: construct.path.to_string(),
            contents: Contents::Bytes(text(construct, n).into_bytes()),
        },
        wrangler: Vec::new(),
        existing_outputs: Vec::new(),
        auth_module: FileInput {
            path: "src/lib/auth.ts".to_string(),
            contents: Contents::Missing,
        },
        env: BTreeMap::new(),
        packages: Vec::new(),
        clock: None,
    };
    let options = Options {
        env_types_path: "src/env.d.ts".into(),
        session_adapter_path: "src/lib/kv-session-storage.ts".into(),
        auth_module_path: "src/lib/auth.ts".into(),
        command: "quickback-kv build".into(),
    };
    let finished = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let c = compile(&inputs, &options);
            c.diagnostics.len()
        })
        .unwrap()
        .join();
    assert!(finished.is_ok(), "{}: n = {n} panicked", construct.name);
}

#[test]
fn every_construct_nested_past_the_limits_is_refused_or_harmless() {
    for construct in CONSTRUCTS {
        let n = huge(construct);
        // Not recursive in swc (a loop), so it may pass, on the stack the scan implies.
        if let Ok(d) = scan(construct, n) {
            compile_on(stack_for(d.nesting), construct, n);
        }
    }
}

#[test]
fn every_construct_as_deep_as_accepted_compiles_on_the_large_stack() {
    for construct in CONSTRUCTS {
        let n = largest(construct, |n| scan(construct, n).is_ok());
        compile_on(STACK_BYTES, construct, n);
    }
}

#[test]
fn every_construct_below_the_small_bound_compiles_on_the_small_stack() {
    for construct in CONSTRUCTS {
        let n = largest(construct, |n| {
            scan(construct, n).is_ok_and(|d| d.nesting <= SMALL_NESTING)
        });
        assert!(n > 0, "{}: one level is already too deep", construct.name);
        compile_on(SMALL_STACK_BYTES, construct, n);
    }
}
