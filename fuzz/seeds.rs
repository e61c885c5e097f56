//! Writes the seed corpora from `fixtures/`: `<out>/compile/<case>` (a case as
//! `fuzz/oracle.rs` reads it) and `<out>/lsp/<case>` (a framed session that
//! opens the config, edits it, hovers, asks for fixes and shuts down).
//! Usage: `cargo run --manifest-path fuzz/Cargo.toml --bin seeds -- OUT_DIR`.

#[path = "oracle.rs"]
#[allow(dead_code)]
mod oracle;

use std::path::Path;

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into());
    let out = Path::new(&out);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut cases: Vec<_> = std::fs::read_dir(&fixtures)
        .expect("fixtures/")
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    std::fs::create_dir_all(out.join("compile")).unwrap();
    std::fs::create_dir_all(out.join("lsp")).unwrap();
    let mut written = 0;
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let Some(seed) = seed(&case.join("input")) else {
            continue;
        };
        std::fs::write(out.join("compile").join(&name), seed.to_bytes()).unwrap();
        let config = String::from_utf8_lossy(&seed.config);
        std::fs::write(out.join("lsp").join(&name), session(&config)).unwrap();
        written += 1;
    }
    eprintln!("seeds: {written} cases in {}", out.display());
}

/// A fixture's config and wrangler file as a fuzz case.
pub fn seed(input: &Path) -> Option<oracle::Case> {
    let config = ["quickback/quickback.config.ts", "quickback.config.ts"]
        .iter()
        .find_map(|p| std::fs::read(input.join(p)).ok())?;
    let (format, wrangler) = [
        (oracle::Format::Json, "wrangler.json"),
        (oracle::Format::Jsonc, "wrangler.jsonc"),
        (oracle::Format::Toml, "wrangler.toml"),
    ]
    .iter()
    .find_map(|(f, name)| Some((*f, std::fs::read(input.join(name)).ok()?)))
    .unwrap_or((oracle::Format::None, Vec::new()));
    Some(oracle::Case {
        format,
        config,
        wrangler,
    })
}

fn frame(body: serde_json::Value) -> String {
    let text = body.to_string();
    format!("Content-Length: {}\r\n\r\n{text}", text.len())
}

fn session(config: &str) -> Vec<u8> {
    use serde_json::json;
    let uri = "file:///tmp/quickback-kv-fuzz/quickback.config.ts";
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": config}}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": uri}, "position": {"line": 3, "character": 10}}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 4}}, "text": "(("}]}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/codeAction", "params": {"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}, "context": {"diagnostics": []}}}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "shutdown"}),
        json!({"jsonrpc": "2.0", "method": "exit"}),
    ];
    messages.into_iter().map(frame).collect::<String>().into_bytes()
}
