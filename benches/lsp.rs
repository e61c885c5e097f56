//! Language-server re-check latency (SPEC §5: under 5 ms for a typical config).
//! Run with `cargo bench --bench lsp`.
//!
//! Starts the release binary's `quickback-kv lsp` on a copy of `example/`, opens
//! its config, then times, one edit at a time, from writing a `didChange` (an
//! incremental edit, as editors send) to reading the `publishDiagnostics` for that
//! version: the whole path an editor waits for (framing, JSON, applying the edit,
//! reading the wrangler file and outputs from disk, compiling, converting, writing).
//! Edits alternate between making the config conflict (one error with related
//! information) and fixing it again (no diagnostics), so both kinds of publish
//! are measured. For comparison it also times the in-process `compile::compile`
//! of the same text.
//!
//! `LSP_BENCH_QUICK=1` runs a few iterations only (a smoke run).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use quickback_kv::compile::{self, Contents, FileInput, Inputs, Options};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_quickback-kv");
/// In `example/quickback/quickback.config.ts`: the storage provider's id, swapped for a conflicting literal.
const ORIGINAL: &str = "namespaceId: IDS.kv";
const CONFLICTING: &str = "namespaceId: \"3c9e5a1f7b2d4e6f8a0b1c2d3e4f5a6b\"";

fn main() {
    let quick = std::env::var_os("LSP_BENCH_QUICK").is_some();
    let (warmup, runs) = if quick { (5, 20) } else { (50, 1000) };
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("example");
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&example, dir.path());
    let config_path = dir.path().join("quickback/quickback.config.ts");
    let text = std::fs::read_to_string(&config_path).expect("read the example config");
    let uri = format!("file://{}", config_path.display());
    let (line, character) = position(&text, ORIGINAL);

    let mut child = Command::new(BIN)
        .arg("lsp")
        .env_remove("KV_NAMESPACE_ID")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start quickback-kv lsp");
    let mut input = child.stdin.take().expect("stdin");
    let mut output = BufReader::new(child.stdout.take().expect("stdout"));
    send(
        &mut input,
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "capabilities": {} } }),
    );
    receive(&mut output);
    send(
        &mut input,
        json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }),
    );
    let document = json!({ "uri": uri, "languageId": "typescript", "version": 1, "text": text });
    send(
        &mut input,
        json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": document } }),
    );
    published(&mut output, 1);

    // Each edit replaces the current value with the other one.
    let mut current = ORIGINAL;
    let mut times = Vec::with_capacity(runs);
    for i in 0..warmup + runs {
        let version = i as i64 + 2;
        let next = if current == ORIGINAL {
            CONFLICTING
        } else {
            ORIGINAL
        };
        let end = character + current.encode_utf16().count() as u64;
        let change = json!({ "range": { "start": { "line": line, "character": character }, "end": { "line": line, "character": end } }, "text": next });
        let params = json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] });
        let started = Instant::now();
        send(
            &mut input,
            json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": params }),
        );
        let diagnostics = published(&mut output, version);
        let elapsed = started.elapsed();
        assert_eq!(
            diagnostics,
            usize::from(next == CONFLICTING),
            "the edit was applied"
        );
        if i >= warmup {
            times.push(elapsed);
        }
        current = next;
    }
    send(
        &mut input,
        json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown" }),
    );
    receive(&mut output);
    send(&mut input, json!({ "jsonrpc": "2.0", "method": "exit" }));
    let status = child.wait().expect("wait for the server");
    assert!(status.success(), "the server exits cleanly: {status}");

    let mut compile_times =
        in_process_compiles(dir.path(), &text.replace(ORIGINAL, CONFLICTING), runs);
    println!();
    println!(
        "Measured with `cargo bench --bench lsp` ({runs} edits after {warmup} warm-up edits)."
    );
    println!();
    println!("| measurement | input | median | p90 | max |");
    println!("|---|---|---:|---:|---:|");
    row(
        "re-check after an edit: `didChange` → `publishDiagnostics`, over a pipe",
        &mut times,
    );
    row(
        "in-process `compile::compile` of the same text (for comparison)",
        &mut compile_times,
    );
    let median = percentile(&mut times, 50);
    println!();
    println!(
        "SPEC §5 target (re-check under 5 ms): {} (median {:.2} ms)",
        if median < Duration::from_millis(5) {
            "met"
        } else {
            "NOT met"
        },
        ms(median)
    );
}

fn row(label: &str, times: &mut [Duration]) {
    println!(
        "| {label} | `example/` config | {:.2} ms | {:.2} ms | {:.2} ms |",
        ms(percentile(times, 50)),
        ms(percentile(times, 90)),
        ms(percentile(times, 100))
    );
}

fn in_process_compiles(root: &Path, text: &str, runs: usize) -> Vec<Duration> {
    let wrangler = std::fs::read(root.join("wrangler.toml")).expect("read wrangler.toml");
    let inputs = Inputs {
        config: FileInput {
            path: "quickback/quickback.config.ts".into(),
            contents: Contents::Bytes(text.as_bytes().to_vec()),
        },
        wrangler: vec![FileInput {
            path: "wrangler.toml".into(),
            contents: Contents::Bytes(wrangler),
        }],
        existing_outputs: Vec::new(),
        auth_module: FileInput {
            path: "src/lib/auth.ts".into(),
            contents: Contents::Missing,
        },
        env: Default::default(),
        packages: Vec::new(),
        clock: None,
    };
    let options = Options {
        env_types_path: "src/env.d.ts".into(),
        session_adapter_path: "src/lib/kv-session-storage.ts".into(),
        auth_module_path: "src/lib/auth.ts".into(),
        command: "quickback-kv build".into(),
    };
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            let c = compile::compile(&inputs, &options);
            let elapsed = started.elapsed();
            assert!(c.has_errors(), "the conflicting text has an error");
            elapsed
        })
        .collect()
}

fn percentile(times: &mut [Duration], p: usize) -> Duration {
    times.sort();
    times[((times.len() - 1) * p) / 100]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn send(input: &mut ChildStdin, message: Value) {
    let body = message.to_string();
    write!(input, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write to the server");
    input.flush().expect("flush");
}

fn receive(output: &mut BufReader<ChildStdout>) -> Value {
    let mut length = 0;
    loop {
        let mut line = String::new();
        assert!(
            output.read_line(&mut line).expect("read from the server") > 0,
            "the server closed its output"
        );
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse().expect("Content-Length");
        }
    }
    let mut body = vec![0; length];
    output.read_exact(&mut body).expect("read the body");
    serde_json::from_slice(&body).expect("JSON body")
}

/// Waits for the config's diagnostics of `version`; returns how many there are.
fn published(output: &mut BufReader<ChildStdout>, version: i64) -> usize {
    loop {
        let message = receive(output);
        if message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["version"] == version
        {
            return message["params"]["diagnostics"]
                .as_array()
                .map_or(0, Vec::len);
        }
    }
}

/// 0-based line and UTF-16 character of `needle`.
fn position(text: &str, needle: &str) -> (u64, u64) {
    let at = text
        .find(needle)
        .expect("the edited text is in the example config");
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() as u64,
        before[line_start..].encode_utf16().count() as u64,
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
