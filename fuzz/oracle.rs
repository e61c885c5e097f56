//! The fuzzing oracle, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`)
//! and the deterministic smoke test on stable Rust (`tests/fuzz_smoke.rs`).
//! It uses only the public API: `compile::compile` with `Inputs`/`Options`, the
//! language server's `transport::read` and `server::Server`, and the binary.
//!
//! A case is one byte string: the first byte picks the wrangler file (none,
//! `wrangler.toml`, `wrangler.jsonc`, `wrangler.json`), then the config text, a
//! NUL byte, and the wrangler file's text.
//!
//! What is checked beyond "no panic, no abort, no hang":
//! - a compile with an error has no outputs (nothing would be written);
//! - what the compiler does not own in the wrangler file is still in its output,
//!   in order: every line of a `wrangler.toml` outside `kv_namespaces` tables and
//!   arrays ([`kept_lines`]), every token of a JSON(C) file outside
//!   `kv_namespaces` arrays ([`kept_json_tokens`]);
//! - building again on the outputs changes nothing and reports no error;
//! - through the binary: the exit code is 0, 1 or 2; after a failed run every
//!   file is as it was; after a successful one a second `build` changes no byte
//!   and `check` passes.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use quickback_kv::compile::{
    Action, Compilation, Contents, FileInput, Inputs, Options, compile_on_large_stack,
};

pub const CONFIG_PATH: &str = "quickback.config.ts";
pub const ENV_TYPES: &str = "src/env.d.ts";
pub const SESSION_ADAPTER: &str = "src/lib/kv-session-storage.ts";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    None,
    Toml,
    Jsonc,
    Json,
}

impl Format {
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            Format::None => None,
            Format::Toml => Some("wrangler.toml"),
            Format::Jsonc => Some("wrangler.jsonc"),
            Format::Json => Some("wrangler.json"),
        }
    }

    fn byte(self) -> u8 {
        match self {
            Format::None => 0,
            Format::Toml => 1,
            Format::Jsonc => 2,
            Format::Json => 3,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Case {
    pub format: Format,
    pub config: Vec<u8>,
    pub wrangler: Vec<u8>,
}

impl Case {
    pub fn from_bytes(data: &[u8]) -> Case {
        let (first, rest) = data.split_first().unwrap_or((&0, &[]));
        let format = match first % 4 {
            0 => Format::None,
            1 => Format::Toml,
            2 => Format::Jsonc,
            _ => Format::Json,
        };
        let (config, wrangler) = match rest.iter().position(|&b| b == 0) {
            Some(nul) => (&rest[..nul], &rest[nul + 1..]),
            None => (rest, &[][..]),
        };
        Case {
            format,
            config: config.to_vec(),
            wrangler: wrangler.to_vec(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.format.byte()];
        out.extend_from_slice(&self.config);
        out.push(0);
        out.extend_from_slice(&self.wrangler);
        out
    }
}

pub fn options() -> Options {
    Options {
        env_types_path: ENV_TYPES.to_string(),
        session_adapter_path: SESSION_ADAPTER.to_string(),
        auth_module_path: "src/lib/auth.ts".to_string(),
        command: "quickback-kv build".to_string(),
    }
}

fn inputs(case: &Case) -> Inputs {
    let wrangler = case
        .format
        .file_name()
        .map(|name| FileInput {
            path: name.to_string(),
            contents: Contents::Bytes(case.wrangler.clone()),
        })
        .into_iter()
        .collect();
    Inputs {
        config: FileInput {
            path: CONFIG_PATH.to_string(),
            contents: Contents::Bytes(case.config.clone()),
        },
        wrangler,
        existing_outputs: Vec::new(),
        auth_module: FileInput {
            path: "src/lib/auth.ts".to_string(),
            contents: Contents::Missing,
        },
        env: BTreeMap::new(),
    }
}

fn run(inputs: Inputs) -> Result<Compilation, String> {
    compile_on_large_stack(inputs, options()).map_err(|_| "the compiler panicked".to_string())
}

/// The in-process oracle: compile, check the outputs, build again on them.
pub fn check_compile(case: &Case) -> Result<(), String> {
    let first_inputs = inputs(case);
    let first = run(first_inputs.clone())?;
    if first.has_errors() {
        return if first.outputs.is_empty() {
            Ok(())
        } else {
            Err("a compile with errors has outputs".into())
        };
    }
    if let Some(name) = case.format.file_name() {
        let output = first.outputs.iter().find(|o| o.path == name);
        if let (Some(output), Ok(input)) = (output, std::str::from_utf8(&case.wrangler)) {
            let Action::Write(text) = &output.action else {
                return Err(format!("{name} would be deleted"));
            };
            check_kept(case.format, input, text)?;
        }
    }
    // The second build sees the first one's outputs where they were written.
    let mut second_inputs = first_inputs;
    for output in &first.outputs {
        let contents = match &output.action {
            Action::Write(text) => Contents::Bytes(text.clone().into_bytes()),
            Action::Delete => Contents::Missing,
        };
        let input = FileInput {
            path: output.path.clone(),
            contents,
        };
        if output.path == ENV_TYPES || output.path == SESSION_ADAPTER {
            second_inputs.existing_outputs.push(input);
        } else if output.path == CONFIG_PATH {
            return Err("the config is an output".into());
        } else {
            second_inputs.wrangler.retain(|f| f.path != output.path);
            second_inputs.wrangler.push(input);
        }
    }
    let second = run(second_inputs.clone())?;
    if second.has_errors() {
        return Err(format!(
            "the second build has errors: {:?}",
            second
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.code.as_str(), d.message))
                .collect::<Vec<_>>()
        ));
    }
    for output in &second.outputs {
        let before = second_inputs
            .wrangler
            .iter()
            .chain(&second_inputs.existing_outputs)
            .find(|f| f.path == output.path)
            .map(|f| &f.contents);
        let same = match (&output.action, before) {
            (Action::Write(text), Some(Contents::Bytes(bytes))) => text.as_bytes() == &bytes[..],
            (Action::Delete, None | Some(Contents::Missing)) => true,
            _ => false,
        };
        if !same {
            return Err(format!("the second build changes {}", output.path));
        }
    }
    Ok(())
}

/// The lines of a `wrangler.toml` the compiler does not own, trimmed: all but
/// blank lines, the `kv_namespaces` tables and arrays (every line from one
/// naming `kv_namespaces` until its brackets balance, and `[[…kv_namespaces]]`
/// tables up to the next table header), and the ownership marker.
pub fn kept_lines(text: &str) -> Vec<String> {
    let mut kept = Vec::new();
    let mut kv_table = false;
    let mut open_array = 0i64;
    for line in text.lines() {
        let t = line.trim();
        if open_array > 0 {
            open_array += brackets(t);
            continue;
        }
        if t.starts_with('[') {
            kv_table = t.starts_with("[[") && t.contains("kv_namespaces");
        }
        if kv_table {
            continue;
        }
        if t.contains("kv_namespaces") {
            open_array = brackets(t).max(0);
            continue;
        }
        if t.is_empty() || t.contains("Managed by quickback-kv") {
            continue;
        }
        kept.push(t.to_string());
    }
    kept
}

/// Opening minus closing brackets on a line (strings and comments included: a rough count).
fn brackets(line: &str) -> i64 {
    line.bytes()
        .map(|b| match b {
            b'[' | b'{' => 1,
            b']' | b'}' => -1,
            _ => 0,
        })
        .sum()
}

/// The tokens of a JSON(C) text (strings, comments, punctuation, other runs),
/// without commas (adding a member after the last one adds one) and without the
/// `kv_namespaces` arrays and ownership markers the compiler owns. Whitespace
/// is not compared: the compiler may open a one-line object onto lines.
pub fn kept_json_tokens(text: &str) -> Vec<String> {
    let tokens = json_tokens(text);
    let mut kept = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        if t == "\"kv_namespaces\"" && tokens.get(i + 1) == Some(&":") {
            // Skip the value: one token, or a bracketed group.
            let mut j = i + 2;
            let mut depth = 0i64;
            while j < tokens.len() {
                match tokens[j] {
                    "[" | "{" => depth += 1,
                    "]" | "}" => depth -= 1,
                    _ => {}
                }
                j += 1;
                if depth <= 0 {
                    break;
                }
            }
            i = j;
            continue;
        }
        if t != "," && !t.contains("Managed by quickback-kv") {
            kept.push(t.to_string());
        }
        i += 1;
    }
    kept
}

fn json_tokens(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        match b[i] {
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(b.len());
            }
            b'{' | b'}' | b'[' | b']' | b':' | b',' => i += 1,
            _ => {
                while i < b.len() && !b[i].is_ascii_whitespace() && !b"{}[]:,\"/".contains(&b[i]) {
                    i += 1;
                }
                i = i.max(start + 1);
            }
        }
        // Token boundaries are ASCII, so these are character boundaries.
        if let Some(token) = text.get(start..i) {
            out.push(token);
        }
    }
    out
}

fn check_kept(format: Format, input: &str, output: &str) -> Result<(), String> {
    let (kept, out) = match format {
        Format::Json | Format::Jsonc => (kept_json_tokens(input), kept_json_tokens(output)),
        _ => (
            kept_lines(input),
            output.lines().map(|l| l.trim().to_string()).collect(),
        ),
    };
    let mut out = out.iter();
    for item in kept {
        if !out.any(|o| *o == item) {
            return Err(format!(
                "user bytes the compiler does not own are lost: {item:?}"
            ));
        }
    }
    Ok(())
}

/// Every file under `dir`, with its bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                let name = path.strip_prefix(dir).unwrap_or(&path);
                files.insert(name.to_string_lossy().into_owned(), bytes);
            }
        }
    }
    files
}

/// Runs the binary on `root` with `args`; `None` when it did not end within `limit`
/// (a generous guard that turns a hang into a failure).
pub fn run_binary(
    bin: &Path,
    root: &Path,
    args: &[&str],
    limit: std::time::Duration,
) -> Option<std::process::Output> {
    let mut child = std::process::Command::new(bin)
        .args(args)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    // Read both pipes while waiting, so a long output cannot block the child.
    let mut stdout = child.stdout.take()?;
    let mut stderr = child.stderr.take()?;
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut bytes);
        bytes
    });
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < limit => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    Some(std::process::Output {
        status,
        stdout: out.join().ok()?,
        stderr: err.join().ok()?,
    })
}

/// The oracle through the binary, on a project in `dir` (emptied first).
pub fn check_cli(case: &Case, bin: &Path, dir: &Path) -> Result<(), String> {
    let limit = std::time::Duration::from_secs(120);
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join(CONFIG_PATH), &case.config).map_err(|e| e.to_string())?;
    if let Some(name) = case.format.file_name() {
        std::fs::write(dir.join(name), &case.wrangler).map_err(|e| e.to_string())?;
    }
    let before = snapshot(dir);
    let first = run_binary(bin, dir, &["build", "--message-format", "json"], limit)
        .ok_or("build did not end")?;
    let code = first.status.code();
    let after = snapshot(dir);
    match code {
        Some(0) => {}
        Some(1 | 2) => {
            return if after == before {
                Ok(())
            } else {
                Err(format!("build failed with {code:?} and changed files"))
            };
        }
        _ => {
            return Err(format!(
                "build exited with {code:?}: {}",
                String::from_utf8_lossy(&first.stderr)
            ));
        }
    }
    let second = run_binary(bin, dir, &["build", "--message-format", "json"], limit)
        .ok_or("the second build did not end")?;
    if second.status.code() != Some(0) || snapshot(dir) != after {
        return Err(format!(
            "the second build exited with {:?} or changed files",
            second.status.code()
        ));
    }
    let check = run_binary(bin, dir, &["check", "--quiet"], limit).ok_or("check did not end")?;
    if check.status.code() != Some(0) {
        return Err(format!(
            "check after build exited with {:?}: {}",
            check.status.code(),
            String::from_utf8_lossy(&check.stdout)
        ));
    }
    Ok(())
}

/// The language-server oracle: frames read from `data` are handled in batches of
/// at most `batch` messages; no panic, and the server keeps answering.
pub fn check_lsp(data: &[u8]) -> Result<(), String> {
    use quickback_kv::lsp::server::{Flow, Server};
    use quickback_kv::lsp::transport;
    let mut input = std::io::Cursor::new(data);
    let mut messages = Vec::new();
    while let Ok(Some(incoming)) = transport::read(&mut input) {
        messages.push(incoming);
        if messages.len() >= 64 {
            break;
        }
    }
    let mut out = Vec::new();
    let mut server = Server::new(&mut out, BTreeMap::new());
    // One message per batch: each request is answered before the next arrives.
    for incoming in messages {
        match server.batch(vec![incoming]) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Exit(_)) => break,
            Err(e) => return Err(format!("the server could not write: {e}")),
        }
    }
    Ok(())
}
