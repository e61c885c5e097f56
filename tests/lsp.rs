//! The language server as an editor sees it: the real binary, spoken to over
//! stdio with Content-Length framing, on temporary projects.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Only a guard against a hung server; no test measures time.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A conflict between the auth `kvId` (first loser) and the database
/// `kvNamespaceId`, with non-ASCII text before the loser on its line.
const CONFLICT: &str = r#"import { defineConfig, defineAuth, defineDatabase, defineStorage } from "@quickback/compiler";

// Schlüssel 🔑 for sessions
export default defineConfig({
  name: "notes-api",
  providers: {
    database: defineDatabase("cloudflare-d1", { binding: "DB", kvNamespaceId: "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b" }),
    auth: defineAuth("better-auth", { /* 🔑 ü */ kvId: "3c9e5a1f7b2d4e6f8a0b1c2d3e4f5a6b", session: { storage: "kv" } }),
    storage: defineStorage("kv", { namespaceId: "0f2ac74b498b48028cb68387c421e279" }),
  },
});
"#;

const VALID: &str = r#"import { defineConfig, defineStorage } from "@quickback/compiler";

export default defineConfig({
  providers: { storage: defineStorage("kv", { namespaceId: "0f2ac74b498b48028cb68387c421e279" }) },
});
"#;

/// `KV` is already the Workers AI binding: the config's KV binding collides with it.
const WRANGLER_WITH_KV: &str = r#"name = "notes-api"
main = "src/index.ts"
compatibility_date = "2026-06-01"

[ai]
binding = "KV"
"#;

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications that arrived while waiting for something else.
    pending: Vec<Value>,
}

impl Client {
    fn start(root: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
            .arg("lsp")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start quickback-kv lsp");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, incoming) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_frame(&mut reader) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            next_id: 0,
            pending: Vec::new(),
        }
    }

    /// Starts the server and completes the handshake.
    fn initialized(root: &Path) -> Client {
        Client::initialized_with(root, Value::Null)
    }

    /// The handshake with `initializationOptions` (the editor's settings).
    fn initialized_with(root: &Path, options: Value) -> Client {
        let mut client = Client::start(root);
        let response = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {}, "initializationOptions": options }),
        );
        let capabilities = &response["result"]["capabilities"];
        assert_eq!(
            capabilities["textDocumentSync"]["change"], 2,
            "incremental sync: {response}"
        );
        assert_eq!(capabilities["hoverProvider"], true);
        client.notify("initialized", json!({}));
        client
    }

    fn send_raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send_raw(&json!({ "jsonrpc": "2.0", "method": method, "params": params }).to_string());
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send_raw(
            &json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string(),
        );
        self.response(json!(id))
    }

    fn response(&mut self, id: Value) -> Value {
        loop {
            let message = self.recv();
            if message.get("method").is_none() && message["id"] == id {
                return message;
            }
            self.pending.push(message);
        }
    }

    fn recv(&mut self) -> Value {
        match self.incoming.recv_timeout(TIMEOUT) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => {
                panic!("no message from the server within {TIMEOUT:?}")
            }
            Err(RecvTimeoutError::Disconnected) => panic!(
                "the server closed its output; exit status {:?}",
                self.child.try_wait()
            ),
        }
    }

    /// The next `publishDiagnostics` params for `uri`, in arrival order.
    fn diagnostics(&mut self, uri: &str) -> Value {
        let is_it = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        if let Some(i) = self.pending.iter().position(is_it) {
            return self.pending.remove(i)["params"].take();
        }
        loop {
            let mut message = self.recv();
            if is_it(&message) {
                return message["params"].take();
            }
            self.pending.push(message);
        }
    }

    fn open(&mut self, uri: &str, language: &str, version: i64, text: &str) {
        let document =
            json!({ "uri": uri, "languageId": language, "version": version, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": document }));
    }

    fn change(&mut self, uri: &str, version: i64, changes: Value) {
        self.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes }));
    }

    fn shutdown_and_exit(mut self) -> ExitStatus {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null, "{response}");
        self.notify("exit", Value::Null);
        self.wait()
    }

    fn wait(mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the server") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_frame(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn project(config: &str, wrangler: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("quickback")).expect("mkdir");
    std::fs::write(dir.path().join("quickback/quickback.config.ts"), config).expect("write config");
    if let Some(w) = wrangler {
        std::fs::write(dir.path().join("wrangler.toml"), w).expect("write wrangler.toml");
    }
    dir
}

/// The `file://` URI of a path in the project (temp paths need no escaping).
fn uri(root: &Path, path: &str) -> String {
    format!("file://{}/{path}", root.display())
}

/// Where `needle` starts in `text`, as 0-based line and UTF-16 character.
fn position(text: &str, needle: &str) -> (u64, u64) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the text"));
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() as u64,
        before[line_start..].encode_utf16().count() as u64,
    )
}

fn range_start(range: &Value) -> (u64, u64) {
    (
        range["start"]["line"].as_u64().expect("line"),
        range["start"]["character"].as_u64().expect("character"),
    )
}

/// Byte offset of an LSP position (UTF-16 character).
fn offset(text: &str, line: u64, character: u64) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line as usize)
        .map(str::len)
        .sum();
    let mut units = 0;
    for (i, c) in text[line_start..].char_indices() {
        if units >= character || c == '\n' {
            return line_start + i;
        }
        units += c.len_utf16() as u64;
    }
    text.len()
}

/// Applies `TextEdit`s the way an editor does (later edits first, so offsets stay valid).
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            let r = &e["range"];
            let at = |p: &Value| {
                offset(
                    text,
                    p["line"].as_u64().expect("line"),
                    p["character"].as_u64().expect("character"),
                )
            };
            (
                at(&r["start"]),
                at(&r["end"]),
                e["newText"].as_str().expect("newText"),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new_text) in spans {
        out.replace_range(start..end, new_text);
    }
    out
}

#[test]
fn conflict_is_published_explained_hovered_and_fixed() {
    // On disk the config is valid: the diagnostics can only come from the unsaved text.
    let dir = project(VALID, None);
    let root = dir.path();
    let config = uri(root, "quickback/quickback.config.ts");
    let mut client = Client::initialized(root);
    client.open(&config, "typescript", 1, CONFLICT);

    let published = client.diagnostics(&config);
    assert_eq!(published["version"], 1);
    let diagnostics = published["diagnostics"].as_array().expect("a list");
    assert_eq!(diagnostics.len(), 1, "{published:#}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "kv::conflicting-namespace-ids");
    assert_eq!(d["severity"], 1, "error");
    assert_eq!(d["source"], "quickback-kv");
    assert!(
        d["message"]
            .as_str()
            .expect("message")
            .contains("help: make every location give the same id"),
        "{d:#}"
    );
    // The range counts UTF-16 units: "🔑" is two of them (and four bytes), "ü" one (two bytes).
    let expected = position(CONFLICT, "\"3c9e");
    assert_eq!(range_start(&d["range"]), expected);
    let line = CONFLICT.lines().nth(expected.0 as usize).expect("line");
    assert_ne!(
        line.find("\"3c9e").map(|b| b as u64),
        Some(expected.1),
        "the test line must contain multi-byte text"
    );
    assert_eq!(
        d["range"]["end"]["character"].as_u64(),
        Some(expected.1 + 34)
    );
    let href = d["codeDescription"]["href"]
        .as_str()
        .expect("a link to the explanation");
    assert!(
        href.ends_with("docs/diagnostics.md#kv-conflicting-namespace-ids"),
        "{href}"
    );
    let related = d["relatedInformation"]
        .as_array()
        .expect("secondary labels");
    assert_eq!(related.len(), 2, "{d:#}");
    assert!(
        related
            .iter()
            .all(|r| r["location"]["uri"] == config.as_str())
    );
    assert_eq!(
        range_start(&related[0]["location"]["range"]),
        position(CONFLICT, "\"9a8b")
    );
    assert_eq!(
        range_start(&related[1]["location"]["range"]),
        position(CONFLICT, "\"0f2a")
    );
    assert!(
        related[1]["message"]
            .as_str()
            .expect("message")
            .contains("would win")
    );

    // Hover on the `kvId` key: the resolved binding, the winner, and every location with its line.
    let (line, character) = position(CONFLICT, "kvId");
    let hover = client.request("textDocument/hover", json!({ "textDocument": { "uri": config }, "position": { "line": line, "character": character + 1 } }));
    let markdown = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("hover markdown: {hover}"));
    assert!(
        markdown.contains(
            "`providers.auth.kvId` gives `3c9e5a1f7b2d4e6f8a0b1c2d3e4f5a6b`, **which conflicts**"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("**KV binding `KV`** → namespace `0f2ac74b498b48028cb68387c421e279`"),
        "{markdown}"
    );
    assert!(
        markdown.contains("1. `providers.storage.namespaceId` (line 9): wins"),
        "{markdown}"
    );
    assert!(
        markdown.contains("3. `providers.database.kvNamespaceId` (line 7)"),
        "{markdown}"
    );

    // The quick fix, applied as an editor would, resolves the conflict.
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": config }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    let actions = actions["result"]
        .as_array()
        .unwrap_or_else(|| panic!("code actions: {actions}"))
        .clone();
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(
        actions[0]["title"],
        "use \"0f2ac74b498b48028cb68387c421e279\" everywhere"
    );
    let edits = actions[0]["edit"]["changes"][config.as_str()]
        .as_array()
        .expect("edits to the config")
        .clone();
    assert_eq!(edits.len(), 2, "both losers are replaced");
    let fixed = apply_edits(CONFLICT, &edits);
    assert_eq!(
        fixed.matches("0f2ac74b498b48028cb68387c421e279").count(),
        3,
        "{fixed}"
    );
    // Sent as incremental edits: the server applies the same UTF-16 ranges.
    let mut sorted = edits.clone();
    sorted.sort_by_key(|e| std::cmp::Reverse(range_start(&e["range"])));
    let changes: Vec<Value> = sorted
        .iter()
        .map(|e| json!({ "range": e["range"], "text": e["newText"] }))
        .collect();
    client.change(&config, 2, Value::Array(changes));
    let published = client.diagnostics(&config);
    assert_eq!(published["version"], 2);
    assert_eq!(
        published["diagnostics"],
        json!([]),
        "fixed: diagnostics clear"
    );

    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn wrangler_diagnostics_are_published_on_the_wrangler_file_and_cleared() {
    // The `[ai]` binding `KV` collides with the binding the config asks for.
    let dir = project(VALID, Some(WRANGLER_WITH_KV));
    let root = dir.path();
    let config = uri(root, "quickback/quickback.config.ts");
    let wrangler = uri(root, "wrangler.toml");
    let mut client = Client::initialized(root);
    client.open(&config, "typescript", 1, VALID);

    let on_wrangler = client.diagnostics(&wrangler);
    assert_eq!(
        on_wrangler["version"],
        Value::Null,
        "wrangler.toml is not open in the editor"
    );
    let d = &on_wrangler["diagnostics"][0];
    assert_eq!(d["code"], "kv::duplicate-binding", "{on_wrangler:#}");
    assert_eq!(
        range_start(&d["range"]).0,
        position(WRANGLER_WITH_KV, "binding = \"KV\"").0
    );
    assert_eq!(
        d["relatedInformation"][0]["location"]["uri"],
        config.as_str(),
        "the related label points at the config"
    );
    assert_eq!(client.diagnostics(&config)["diagnostics"], json!([]));

    // Renaming the binding in the config removes the collision: the wrangler file is cleared.
    let renamed = VALID.replace("namespaceId:", "binding: \"SESSIONS\", namespaceId:");
    client.change(&config, 2, json!([{ "text": renamed }]));
    assert_eq!(client.diagnostics(&wrangler)["diagnostics"], json!([]));
    assert_eq!(client.diagnostics(&config)["version"], 2);

    // An open wrangler buffer is read instead of the disk: broken TOML is reported with its version.
    client.open(
        &wrangler,
        "toml",
        7,
        "name = \"notes-api\"\n[[kv_namespaces]\n",
    );
    let broken = client.diagnostics(&wrangler);
    assert_eq!(broken["version"], 7);
    assert_eq!(
        broken["diagnostics"][0]["code"], "wrangler::invalid-config",
        "{broken:#}"
    );

    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn an_open_wrangler_file_alone_is_checked_with_the_config_on_disk() {
    let dir = project(VALID, Some(WRANGLER_WITH_KV));
    let root = dir.path();
    let wrangler = uri(root, "wrangler.toml");
    let mut client = Client::initialized(root);
    client.open(&wrangler, "toml", 3, WRANGLER_WITH_KV);
    let published = client.diagnostics(&wrangler);
    assert_eq!(published["version"], 3);
    assert_eq!(
        published["diagnostics"][0]["code"], "kv::duplicate-binding",
        "{published:#}"
    );
    // Renaming the AI binding in the buffer resolves it.
    let (line, character) = position(WRANGLER_WITH_KV, "KV\"");
    let rename = json!({ "range": { "start": { "line": line, "character": character }, "end": { "line": line, "character": character + 2 } }, "text": "CACHE" });
    client.change(&wrangler, 4, json!([rename]));
    let published = client.diagnostics(&wrangler);
    assert_eq!(
        (
            published["version"].clone(),
            published["diagnostics"].clone()
        ),
        (json!(4), json!([]))
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_misspelt_key_is_renamed_by_its_quick_fix() {
    let text = r#"import { defineConfig, defineStorage } from "@quickback/compiler";

export default defineConfig({
  providers: {
    storage: defineStorage("kv", { namspaceId: "0f2ac74b498b48028cb68387c421e279" }),
  },
});
"#;
    let dir = project(text, None);
    let root = dir.path();
    let config = uri(root, "quickback/quickback.config.ts");
    let mut client = Client::initialized(root);
    client.open(&config, "typescript", 1, text);
    let published = client.diagnostics(&config);
    let diagnostics = published["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .clone();
    let d = diagnostics
        .iter()
        .find(|d| d["code"] == "config::unknown-key")
        .unwrap_or_else(|| panic!("no unknown-key warning: {diagnostics:#?}"))
        .clone();
    assert_eq!(d["severity"], 2, "a warning");
    assert_eq!(range_start(&d["range"]), position(text, "namspaceId"));
    assert!(
        d["message"]
            .as_str()
            .unwrap_or("")
            .contains("did you mean `namespaceId`?"),
        "{d}"
    );

    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": config }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    let actions = actions["result"].as_array().expect("code actions").clone();
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["title"], "rename to `namespaceId`");
    let edits = actions[0]["edit"]["changes"][config.as_str()]
        .as_array()
        .expect("edits to the config")
        .clone();
    let fixed = apply_edits(text, &edits);
    assert!(fixed.contains("{ namespaceId: \"0f2a"), "{fixed}");
    let changes: Vec<Value> = edits
        .iter()
        .map(|e| json!({ "range": e["range"], "text": e["newText"] }))
        .collect();
    client.change(&config, 2, Value::Array(changes));
    let published = client.diagnostics(&config);
    assert_eq!(published["version"], 2);
    assert_eq!(
        published["diagnostics"],
        json!([]),
        "fixed: no warning left"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));

    // The fixed config builds without the warning.
    std::fs::write(root.join("quickback/quickback.config.ts"), &fixed).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
        .args(["build", "--deny-warnings", "--quiet", "--root"])
        .arg(root)
        .output()
        .expect("run build");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_requests_get_error_responses_and_the_server_lives_on() {
    let dir = project(VALID, None);
    let root = dir.path();
    let config = uri(root, "quickback/quickback.config.ts");
    let mut client = Client::start(root);

    let early = client.request("textDocument/hover", json!({}));
    assert_eq!(
        early["error"]["code"], -32002,
        "not initialized yet: {early}"
    );
    client.request("initialize", json!({ "capabilities": {} }));
    client.notify("initialized", json!({}));
    client.open(&config, "typescript", 1, VALID);
    client.diagnostics(&config);

    let bad_params = client.request("textDocument/hover", json!({ "textDocument": 42 }));
    assert_eq!(bad_params["error"]["code"], -32602, "{bad_params}");
    let unknown = client.request("textDocument/formatting", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    client.send_raw("{ this is not json");
    let parse_error = client.response(Value::Null);
    assert_eq!(parse_error["error"]["code"], -32700, "{parse_error}");
    client.send_raw("[1]");
    let not_a_message = client.response(Value::Null);
    assert_eq!(
        not_a_message["error"]["code"], -32600,
        "JSON, but no message: {not_a_message}"
    );
    // A notification with bad params is ignored; a change to an unopened file too.
    client.notify("textDocument/didChange", json!({ "textDocument": "nope" }));
    client.change(&uri(root, "other.ts"), 1, json!([{ "text": "x" }]));

    // Still alive and still right.
    let broken = VALID.replace("defineConfig({", "defineConfig({ oops");
    client.change(&config, 2, json!([{ "text": broken }]));
    let published = client.diagnostics(&config);
    assert_eq!(published["version"], 2);
    assert_eq!(
        published["diagnostics"][0]["code"], "syntax::parse-error",
        "{published:#}"
    );
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": config }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(hover["result"], Value::Null, "{hover}");

    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn closing_the_config_clears_its_diagnostics() {
    let dir = project(VALID, None);
    let root = dir.path();
    let config = uri(root, "quickback/quickback.config.ts");
    let mut client = Client::initialized(root);
    client.open(&config, "typescript", 1, CONFLICT);
    assert_eq!(
        client.diagnostics(&config)["diagnostics"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": config } }),
    );
    let cleared = client.diagnostics(&config);
    assert_eq!(cleared["diagnostics"], json!([]));
    assert_eq!(
        cleared["version"],
        Value::Null,
        "the document is no longer open"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn exit_without_shutdown_is_an_error_exit() {
    let dir = project(VALID, None);
    let mut client = Client::initialized(dir.path());
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(1));
}

#[test]
fn requests_after_shutdown_are_refused() {
    let dir = project(VALID, None);
    let mut client = Client::initialized(dir.path());
    client.request("shutdown", Value::Null);
    let after = client.request("textDocument/hover", json!({}));
    assert_eq!(after["error"]["code"], -32600, "{after}");
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(0));
}

#[test]
fn rapid_edits_never_publish_an_older_version_after_a_newer_one() {
    let dir = project(VALID, None);
    let root = dir.path();
    let config = uri(root, "quickback/quickback.config.ts");
    let mut client = Client::initialized(root);
    client.open(&config, "typescript", 1, VALID);
    // Alternate between a broken and a valid text, without waiting in between.
    let last = 41;
    for version in 2..=last {
        let text = if version % 2 == 0 {
            VALID.replace("kv", "kv\" + ")
        } else {
            VALID.to_string()
        };
        client.change(&config, version, json!([{ "text": text }]));
    }
    let mut versions = Vec::new();
    loop {
        let published = client.diagnostics(&config);
        let version = published["version"].as_i64().expect("a version");
        versions.push(version);
        if version == last {
            assert_eq!(
                published["diagnostics"],
                json!([]),
                "the newest text is valid"
            );
            break;
        }
    }
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]),
        "published versions only grow: {versions:?}"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn the_auth_module_gets_its_wiring_warning_and_the_hover_says_where_sessions_are_wired() {
    let config_text = r#"import { defineConfig, defineAuth, defineStorage } from "@quickback/compiler";

export default defineConfig({
  providers: {
    storage: defineStorage("kv", { namespaceId: "0f2ac74b498b48028cb68387c421e279" }),
    auth: defineAuth("better-auth", { session: { expiresInDays: 7 } }),
  },
});
"#;
    let wired = "import { betterAuth } from \"better-auth\";\n\nexport function createAuth(env: Env) {\n  return betterAuth({\n    secret: \"s\",\n  });\n}\n";
    let spread = wired.replace("    secret: \"s\",\n", "    secret: \"s\",\n    ...more,\n");
    let dir = project(config_text, None);
    let root = dir.path();
    std::fs::create_dir_all(root.join("src/lib")).expect("mkdir");
    std::fs::write(root.join("src/lib/auth.ts"), &spread).expect("write auth.ts");
    let config = uri(root, "quickback/quickback.config.ts");
    let auth = uri(root, "src/lib/auth.ts");
    let mut client = Client::initialized(root);
    client.open(&config, "typescript", 1, config_text);

    let on_auth = client.diagnostics(&auth);
    let d = &on_auth["diagnostics"][0];
    assert_eq!(d["code"], "auth::cannot-wire", "{on_auth:#}");
    assert_eq!(d["severity"], 2, "a warning");
    assert_eq!(range_start(&d["range"]), position(&spread, "...more"));
    assert_eq!(client.diagnostics(&config)["diagnostics"], json!([]));

    let hover_session = |client: &mut Client| {
        let (line, character) = position(config_text, "session:");
        let hover = client.request("textDocument/hover", json!({ "textDocument": { "uri": config }, "position": { "line": line, "character": character + 1 } }));
        hover["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("hover markdown: {hover}"))
            .to_string()
    };
    let markdown = hover_session(&mut client);
    assert!(
        markdown.contains("- **not wired** into `src/lib/auth.ts`: see the warning on line 6\n"),
        "{markdown}"
    );

    // The editor's unsaved text of the auth module is what counts: fixed, the warning goes.
    client.open(&auth, "typescript", 3, wired);
    assert_eq!(client.diagnostics(&auth)["diagnostics"], json!([]));
    let markdown = hover_session(&mut client);
    assert!(
        markdown.contains("- wired into `betterAuth` in `src/lib/auth.ts` line 4\n"),
        "{markdown}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("src/lib/auth.ts")).expect("read"),
        spread,
        "the language server writes nothing"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

/// The settings an editor passes are the CLI's flags: with `authModule` the server
/// reads the auth module the CLI reads with `--auth-module`, and reports what
/// `check --auth-module` reports, at the same place; changing the setting
/// (`workspace/didChangeConfiguration`) goes back to the default and clears it.
#[test]
fn the_editor_settings_are_the_cli_flags() {
    let config_text = r#"import { defineConfig, defineAuth, defineStorage } from "@quickback/compiler";

export default defineConfig({
  providers: {
    storage: defineStorage("kv", { namespaceId: "0f2ac74b498b48028cb68387c421e279" }),
    auth: defineAuth("better-auth", { session: { expiresInDays: 7 } }),
  },
});
"#;
    let spread = "import { betterAuth } from \"better-auth\";\n\nexport function createAuth(env: Env) {\n  return betterAuth({\n    secret: \"s\",\n    ...more,\n  });\n}\n";
    let dir = project(config_text, None);
    let root = dir.path();
    std::fs::create_dir_all(root.join("app")).expect("mkdir");
    std::fs::write(root.join("app/auth.ts"), spread).expect("write app/auth.ts");

    let cli = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
        .args([
            "check",
            "--auth-module",
            "app/auth.ts",
            "--message-format",
            "json",
        ])
        .current_dir(root)
        .output()
        .expect("run check");
    let cli: Value = serde_json::from_slice(&cli.stdout).expect("check's JSON");
    let from_cli = &cli["diagnostics"][0];
    assert_eq!(from_cli["code"], "auth::cannot-wire", "{cli:#}");
    assert_eq!(from_cli["file"], "app/auth.ts");

    let config = uri(root, "quickback/quickback.config.ts");
    let auth = uri(root, "app/auth.ts");
    let mut client = Client::initialized_with(root, json!({ "authModule": "app/auth.ts" }));
    client.open(&config, "typescript", 1, config_text);
    let on_auth = client.diagnostics(&auth);
    let d = &on_auth["diagnostics"][0];
    assert_eq!(
        on_auth["diagnostics"].as_array().map(Vec::len),
        Some(1),
        "{on_auth:#}"
    );
    assert_eq!(d["code"], from_cli["code"]);
    let start = &from_cli["range"]["start"];
    assert_eq!(
        range_start(&d["range"]),
        (
            start["line"].as_u64().expect("line"),
            start["character"].as_u64().expect("character")
        ),
        "the CLI's place"
    );
    assert_eq!(range_start(&d["range"]), position(spread, "...more"));

    // VS Code's client sends its whole section; the default path has no auth module.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "quickbackKv": { "authModule": null, "path": "" } } }),
    );
    assert_eq!(client.diagnostics(&auth)["diagnostics"], json!([]));
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

/// A lone `\r` ends a line for the protocol, as `\n` and `\r\n` do: an edit on the
/// fourth line of a config written with `\r` line ends lands there, and the
/// diagnostic it causes is published on that line.
#[test]
fn lines_ending_in_a_lone_cr_are_lines() {
    let dir = project(VALID, None);
    let root = dir.path();
    let config = uri(root, "quickback/quickback.config.ts");
    let mut client = Client::initialized(root);
    let text = VALID.replace('\n', "\r");
    client.open(&config, "typescript", 1, &text);
    assert_eq!(client.diagnostics(&config)["diagnostics"], json!([]));

    // Line 3 (0-based) is the providers line; replace the id's first two characters.
    let line = &text.split('\r').nth(3).expect("the providers line");
    let character = line.find("0f2a").expect("the id") as u64;
    client.change(
        &config,
        2,
        json!([{ "range": { "start": { "line": 3, "character": character }, "end": { "line": 3, "character": character + 2 } }, "text": "zz" }]),
    );
    let published = client.diagnostics(&config);
    assert_eq!(published["version"], 2);
    let d = &published["diagnostics"][0];
    assert_eq!(d["code"], "kv::invalid-namespace-id", "{published:#}");
    assert_eq!(range_start(&d["range"]).0, 3, "{published:#}");
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
