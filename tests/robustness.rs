//! Never crash, never hang, never half-write: every reproducer of issue 11 (the
//! parts outside the wrangler editors) ends in a diagnostic or a correct build.
//! Runs the real binary; a generous wall-clock guard turns a hang into a failure
//! (it is no timing threshold: a correct run ends orders of magnitude sooner).

#[path = "../fuzz/oracle.rs"]
mod oracle;

use std::path::{Path, PathBuf};
use std::time::Duration;

use quickback_kv::cli::write::{self, Change, LockKind};

/// Only to fail instead of hanging forever.
const GUARD: Duration = Duration::from_secs(300);

const CONFIG: &str = r#"import { defineConfig, defineStorage } from "@quickback/compiler";

export default defineConfig({
  name: "shop",
  providers: {
    storage: defineStorage("kv", { namespaceId: "0f2ac74b498b48028cb68387c421e279" }),
  },
});
"#;

const WRANGLER: &str = "# Shop worker\nname = \"shop\"\nmain = \"src/index.ts\"\ncompatibility_date = \"2026-06-01\"\n";

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_quickback-kv"))
}

fn project(config: &str, wrangler: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("quickback")).unwrap();
    std::fs::write(dir.path().join("quickback/quickback.config.ts"), config).unwrap();
    if let Some(w) = wrangler {
        std::fs::write(dir.path().join("wrangler.toml"), w).unwrap();
    }
    dir
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(root: &Path, args: &[&str]) -> Run {
    let output = oracle::run_binary(bin(), root, args, GUARD)
        .unwrap_or_else(|| panic!("`{}` did not end within {GUARD:?}", args.join(" ")));
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `check` in JSON: the exit code and the first diagnostic's code.
fn first_code(config: &str) -> (Option<i32>, String) {
    let dir = project(config, None);
    let r = run(dir.path(), &["check", "--message-format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", r.stdout, r.stderr));
    (
        r.code,
        doc["diagnostics"][0]["code"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

// ---- 1. stack overflows in the depth pre-scan's blind spots --------------------

#[test]
fn deep_nesting_behind_a_regex_with_a_quote_is_refused() {
    let config = format!(
        "const r = /\"/; const x = {}1{};\nexport default {{}};",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert_eq!(
        first_code(&config),
        (Some(1), "syntax::too-deeply-nested".into())
    );
}

#[test]
fn deep_type_arguments_separated_by_commas_are_refused() {
    let config = format!(
        "type T = {}x{};",
        "A<y, ".repeat(150_000),
        ", y>".repeat(150_000)
    );
    assert_eq!(
        first_code(&config),
        (Some(1), "syntax::too-deeply-nested".into())
    );
}

#[test]
fn chained_statement_bodies_are_refused() {
    let config = format!("{};", "while(a)".repeat(300_000));
    assert_eq!(
        first_code(&config),
        (Some(1), "syntax::too-deeply-nested".into())
    );
}

// ---- 2. the parser's backtracking on `<` --------------------------------------

#[test]
fn type_argument_backtracking_ends_with_a_diagnostic() {
    for levels in [2_000, 8_000] {
        let config = format!(
            "export default [{}#{}x{}];",
            "A<y, ".repeat(levels),
            "A<y, ".repeat(levels),
            ", y>".repeat(2 * levels)
        );
        assert_eq!(
            first_code(&config),
            (Some(1), "syntax::too-deeply-nested".into()),
            "{levels} levels"
        );
    }
}

#[test]
fn many_shallow_type_argument_groups_still_parse() {
    // The bound is on `<` open at once, not on how many there are.
    let groups = "Map<string, Array<Record<string, number>>>, ".repeat(2_000);
    let config = format!("type T = [{groups}];\n{CONFIG}");
    let dir = project(&config, Some(WRANGLER));
    let r = run(dir.path(), &["build"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

// ---- 3. human output with columns past 65,535 ---------------------------------

#[test]
fn an_error_past_column_65535_is_rendered_without_a_panic() {
    let config = format!("export default {}@;", " ".repeat(70_000));
    let dir = project(&config, None);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("syntax::parse-error"), "{}", r.stderr);
    assert!(r.stderr.contains(":1:70016"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn a_warning_on_one_very_long_line_still_builds() {
    let one_line = CONFIG
        .replace('\n', " ")
        .replace(
            "0f2ac74b498b48028cb68387c421e279",
            "00000000000000000000000000000000",
        )
        .replace(
            "export default",
            &format!("{}export default", " ".repeat(70_000)),
        );
    let dir = project(&one_line, Some(WRANGLER));
    let r = run(dir.path(), &["build"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("kv::placeholder-namespace-id"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

// ---- 5. all or nothing across files --------------------------------------------

#[test]
fn a_failure_while_staging_leaves_every_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("a.txt"), "old a").unwrap();
    std::fs::write(root.join("blocker"), "a file where a directory is needed").unwrap();
    let before = oracle::snapshot(root);
    let changes = [
        (
            root.join("a.txt"),
            Change::Write(b"new a"),
            Some(&b"old a"[..]),
        ),
        (root.join("b.txt"), Change::Write(b"new b"), None),
        (root.join("blocker/c.txt"), Change::Write(b"new c"), None),
    ];
    let failure = write::apply(&changes, &write::Confine::within(root)).unwrap_err();
    assert_eq!(failure.path, root.join("blocker/c.txt"));
    assert_eq!(
        oracle::snapshot(root),
        before,
        "nothing changed, no temporary file left"
    );
}

#[test]
fn a_failure_while_replacing_undoes_the_replacements_already_done() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("a.txt"), "old a").unwrap();
    std::fs::write(root.join("gone.txt"), "old gone").unwrap();
    // A non-empty directory where the last file goes: staging works, the rename fails.
    std::fs::create_dir_all(root.join("c.txt/inside")).unwrap();
    let before = oracle::snapshot(root);
    let changes = [
        (
            root.join("a.txt"),
            Change::Write(b"new a"),
            Some(&b"old a"[..]),
        ),
        (root.join("b.txt"), Change::Write(b"new b"), None),
        (
            root.join("gone.txt"),
            Change::Delete,
            Some(&b"old gone"[..]),
        ),
        (root.join("c.txt"), Change::Write(b"new c"), None),
    ];
    let failure = write::apply(&changes, &write::Confine::within(root)).unwrap_err();
    assert_eq!(failure.path, root.join("c.txt"));
    assert_eq!(oracle::snapshot(root), before, "every file as it was");
}

#[cfg(unix)]
#[test]
fn a_write_failure_in_the_cli_writes_nothing_and_exits_2() {
    let dir = project(CONFIG, Some(WRANGLER));
    let root = dir.path();
    // `src/` is a dangling link: the outputs under it read as absent, but their
    // directory cannot be created, so writing fails after wrangler.toml's turn.
    std::os::unix::fs::symlink("/nonexistent-quickback-kv/src", root.join("src")).unwrap();
    let before = oracle::snapshot(root);
    let r = run(root, &["build"]);
    assert_eq!(r.code, Some(2), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no file was changed"), "{}", r.stderr);
    assert_eq!(oracle::snapshot(root), before, "wrangler.toml is as it was");
    assert_eq!(
        std::fs::read_to_string(root.join("wrangler.toml")).unwrap(),
        WRANGLER
    );
}

// ---- 6. symlinks and permissions -----------------------------------------------

#[cfg(unix)]
#[test]
fn a_symlinked_wrangler_file_is_written_through_and_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(CONFIG, None);
    let root = dir.path();
    let shared = root.join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(shared.join("wrangler.toml"), WRANGLER).unwrap();
    std::fs::set_permissions(
        shared.join("wrangler.toml"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    std::os::unix::fs::symlink("shared/wrangler.toml", root.join("wrangler.toml")).unwrap();
    let r = run(root, &["build"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let link = std::fs::symlink_metadata(root.join("wrangler.toml")).unwrap();
    assert!(link.file_type().is_symlink(), "the link stays a link");
    let shared_text = std::fs::read_to_string(shared.join("wrangler.toml")).unwrap();
    assert!(shared_text.starts_with(WRANGLER), "{shared_text}");
    assert!(shared_text.contains("[[kv_namespaces]]"), "{shared_text}");
    let mode = std::fs::metadata(shared.join("wrangler.toml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    let leftovers: Vec<PathBuf> = std::fs::read_dir(&shared)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(".tmp"))
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(run(root, &["check", "--quiet"]).code, Some(0));
}

// ---- 7. temporary files --------------------------------------------------------

#[cfg(unix)]
#[test]
fn planted_symlinks_next_to_an_output_are_never_followed() {
    let dir = project(CONFIG, Some(WRANGLER));
    let root = dir.path();
    let victim = root.join("victim");
    std::fs::write(&victim, "keep me").unwrap();
    // The old scheme's names (`.<name>.quickback-kv-<pid>.tmp`) for every pid the
    // child may get soon, and the new scheme's prefix: none may be written through.
    let here = std::process::id();
    for pid in here..here + 2_000 {
        let planted = root.join(format!(".wrangler.toml.quickback-kv-{pid}.tmp"));
        std::os::unix::fs::symlink(&victim, planted).unwrap();
    }
    let r = run(root, &["build"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
}

// ---- 8. concurrent builds ------------------------------------------------------

#[test]
fn concurrent_builds_with_different_configs_never_mix_their_outputs() {
    let other = CONFIG
        .replace(
            "0f2ac74b498b48028cb68387c421e279",
            "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b",
        )
        .replace(
            "storage: defineStorage(\"kv\", {",
            "storage: defineStorage(\"kv\", { binding: \"CACHE\",",
        );
    let dir = project(CONFIG, Some(WRANGLER));
    let root = dir.path();
    std::fs::write(root.join("other.config.ts"), &other).unwrap();
    let config_a = root.join("quickback/quickback.config.ts");
    let config_b = root.join("other.config.ts");
    let a = config_a.to_string_lossy().into_owned();
    let b = config_b.to_string_lossy().into_owned();
    // What each alone produces from the same starting point.
    let start = oracle::snapshot(root);
    let alone = |config: &str| {
        restore(root, &start);
        assert_eq!(run(root, &["build", "--config", config]).code, Some(0));
        oracle::snapshot(root)
    };
    let (only_a, only_b) = (alone(&a), alone(&b));
    for round in 0..12 {
        restore(root, &start);
        let first = std::thread::spawn({
            let (root, a) = (root.to_path_buf(), a.clone());
            move || run(&root, &["build", "--config", &a]).code
        });
        let second = run(root, &["build", "--config", &b]).code;
        let first = first.join().unwrap();
        assert_eq!((first, second), (Some(0), Some(0)), "round {round}");
        let after = oracle::snapshot(root);
        // Whichever ran last wins; each ran on the other's finished outputs or the start.
        let a_then_b = {
            restore(root, &only_a);
            assert_eq!(run(root, &["build", "--config", &b]).code, Some(0));
            oracle::snapshot(root)
        };
        let b_then_a = {
            restore(root, &only_b);
            assert_eq!(run(root, &["build", "--config", &a]).code, Some(0));
            oracle::snapshot(root)
        };
        assert!(
            after == a_then_b || after == b_then_a,
            "round {round}: the outputs mix two runs"
        );
    }
}

/// Makes `root` hold exactly `files`.
fn restore(root: &Path, files: &std::collections::BTreeMap<String, Vec<u8>>) {
    for name in oracle::snapshot(root).keys() {
        if !files.contains_key(name) {
            std::fs::remove_file(root.join(name)).unwrap();
        }
    }
    for (name, bytes) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

#[test]
fn check_waits_while_a_build_holds_the_lock() {
    let dir = project(CONFIG, Some(WRANGLER));
    let root = dir.path();
    assert_eq!(run(root, &["build", "--quiet"]).code, Some(0));
    let held = write::lock(root, LockKind::Exclusive).unwrap();
    let mut check = std::process::Command::new(bin())
        .args(["check", "--quiet", "--root"])
        .arg(root)
        .spawn()
        .unwrap();
    // While the lock is held, check cannot have finished (it may simply be slow:
    // this direction needs no timing assumption).
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        check.try_wait().unwrap().is_none(),
        "check ran during a build"
    );
    drop(held);
    assert_eq!(check.wait().unwrap().code(), Some(0));
}

// ---- 9. size limit, control bytes, compatibilityDate ---------------------------

#[test]
fn an_output_past_the_read_limit_is_refused() {
    // Just under the 10 MiB read limit; the added entry would push it over.
    let mut wrangler = String::from(WRANGLER);
    let filler = format!("# {}\n", "x".repeat(1_000));
    let target = 10 * 1024 * 1024 - 10;
    while wrangler.len() + filler.len() < target {
        wrangler.push_str(&filler);
    }
    wrangler.push_str(&format!("#{}\n", "y".repeat(target - wrangler.len() - 2)));
    assert_eq!(wrangler.len(), target);
    let dir = project(CONFIG, Some(&wrangler));
    let root = dir.path();
    let before = oracle::snapshot(root);
    let r = run(root, &["build", "--message-format", "json"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["diagnostics"][0]["code"], "output::too-large");
    assert_eq!(oracle::snapshot(root), before);
}

#[test]
fn control_bytes_from_the_config_are_escaped_in_human_output() {
    for format in [&[][..], &["--message-format", "human"][..]] {
        let config = CONFIG.replace(
            "0f2ac74b498b48028cb68387c421e279",
            "ab\u{1b}[2J\u{1b}]0;owned\u{7}\u{9b}31m",
        );
        let dir = project(&config, Some(WRANGLER));
        let mut args = vec!["check"];
        args.extend_from_slice(format);
        let r = run(dir.path(), &args);
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        assert!(
            r.stderr.contains("kv::invalid-namespace-id"),
            "{}",
            r.stderr
        );
        for raw in ['\u{1b}', '\u{7}', '\r', '\u{9b}'] {
            assert!(!r.stderr.contains(raw), "raw {raw:?} in {:?}", r.stderr);
        }
        assert!(r.stderr.contains("\\u{1b}"), "{}", r.stderr);
    }
}

#[test]
fn a_compatibility_date_that_is_not_a_date_is_refused() {
    for date in [
        "2026-07-01\\nmain = \\\"evil.js\\\"",
        "</script>",
        "2026-02-30",
        "26-07-01",
    ] {
        let config = CONFIG
            .replace("{ defineConfig,", "{ defineConfig, defineRuntime,")
            .replace(
                "providers: {",
                &format!("providers: {{\n    runtime: defineRuntime(\"cloudflare\", {{ compatibilityDate: \"{date}\" }}),"),
            );
        let dir = project(&config, None);
        let r = run(dir.path(), &["build", "--message-format", "json"]);
        assert_eq!(r.code, Some(1), "{date}: {}", r.stderr);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            doc["diagnostics"][0]["code"], "config::invalid-value",
            "{date}"
        );
        assert!(!dir.path().join("wrangler.toml").exists());
    }
}

// ---- the language server -------------------------------------------------------

#[test]
fn the_language_server_answers_after_a_pathological_text() {
    use quickback_kv::lsp::server::Server;
    use quickback_kv::lsp::transport;
    let levels = 8_000;
    let text = format!(
        "export default [{}#{}x{}];\n{}",
        "A<y, ".repeat(levels),
        "A<y, ".repeat(levels),
        ", y>".repeat(2 * levels),
        "(".repeat(300_000)
    );
    let uri = "file:///tmp/quickback-kv-robustness/quickback.config.ts";
    let messages = [
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": text}}}),
        serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 3}}}),
    ];
    let framed: String = messages
        .iter()
        .map(|m| {
            let body = m.to_string();
            format!("Content-Length: {}\r\n\r\n{body}", body.len())
        })
        .collect();
    let mut input = std::io::Cursor::new(framed.into_bytes());
    let incoming: Vec<_> =
        std::iter::from_fn(|| transport::read(&mut input).ok().flatten()).collect();
    // On a thread with the stack `lsp::run` gives the server; the guard only turns
    // a hang into a failure.
    let (done, finished) = std::sync::mpsc::channel();
    let out = Shared::default();
    let theirs = out.clone();
    std::thread::Builder::new()
        .stack_size(quickback_kv::syntax::STACK_BYTES)
        .spawn(move || {
            let mut server = Server::new(theirs, Default::default());
            for message in incoming {
                server.batch(vec![message]).unwrap();
            }
            let _ = done.send(());
        })
        .unwrap();
    finished
        .recv_timeout(GUARD)
        .expect("the server did not answer within the guard");
    let out = out.0.lock().unwrap().clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("syntax::too-deeply-nested"), "{out}");
    assert!(out.contains("\"id\":2"), "the hover is answered: {out}");
}

/// An output the test reads after the server thread wrote it.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// ---- found by fuzzing ----------------------------------------------------------

#[test]
fn a_parenthesized_list_before_an_arrow_is_a_syntax_error() {
    // swc's debug assertion on `(a, b.c => d)` (see Cargo.toml) must not fire.
    let config = "const x = (\"kv\", process.env => KV_ID ?? \"x\");\nexport default {};\n";
    assert_eq!(first_code(config), (Some(1), "syntax::parse-error".into()));
}
