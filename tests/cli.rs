//! The command line as users and pipelines see it: stdout, stderr, exit codes,
//! and what happens on disk. Runs the real binary on temporary projects.

use std::path::{Path, PathBuf};
use std::process::Command;

const CONFIG: &str = r#"import { defineConfig, defineAuth, defineStorage } from "@quickback/compiler";

export default defineConfig({
  name: "shop",
  providers: {
    storage: defineStorage("kv", { namespaceId: "0f2ac74b498b48028cb68387c421e279" }),
    auth: defineAuth("better-auth", { kvId: "0f2ac74b498b48028cb68387c421e279", session: { storage: "kv" } }),
  },
});
"#;

const WRANGLER: &str = r#"# Shop worker
name = "shop" # the worker's name
main = "src/index.ts"
compatibility_date = "2026-06-01"

[[kv_namespaces]] # hand-written
binding = "CACHE"
id = "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b"
"#;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
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

fn run(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quickback-kv"));
    command
        .args(args)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1")
        .env_remove("KV_ID");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    let clean = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes).replace(&root.display().to_string(), "<root>")
    };
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: clean(&output.stdout),
        stderr: clean(&output.stderr),
    }
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap()
}

fn mtime(path: PathBuf) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn build_writes_outputs_then_changes_nothing() {
    let dir = project(CONFIG, Some(WRANGLER));
    let root = dir.path();
    let first = run(root, &["build"], &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(first.stderr, "");
    insta::assert_snapshot!("build_first_stdout", first.stdout);
    let wrangler = read(root, "wrangler.toml");
    assert!(
        wrangler.starts_with(WRANGLER),
        "every line the compiler does not own is unchanged:\n{wrangler}"
    );
    assert!(read(root, "src/env.d.ts").contains("KV: KVNamespace;"));
    assert!(read(root, "src/lib/kv-session-storage.ts").contains("SecondaryStorage"));

    let outputs = [
        "wrangler.toml",
        "src/env.d.ts",
        "src/lib/kv-session-storage.ts",
    ];
    let before: Vec<_> = outputs
        .iter()
        .map(|p| (read(root, p), mtime(root.join(p))))
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = run(root, &["build"], &[]);
    assert_eq!(second.code, 0);
    assert!(second.stdout.ends_with("unchanged wrangler.toml\nunchanged src/env.d.ts\nunchanged src/lib/kv-session-storage.ts\n"), "{}", second.stdout);
    let after: Vec<_> = outputs
        .iter()
        .map(|p| (read(root, p), mtime(root.join(p))))
        .collect();
    assert_eq!(before, after, "a second build changes no byte and no mtime");

    let check = run(root, &["check", "--quiet"], &[]);
    assert_eq!(
        (check.code, check.stdout.as_str(), check.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn check_reports_stale_outputs_with_a_diff_and_writes_nothing() {
    let dir = project(CONFIG, Some(WRANGLER));
    let root = dir.path();
    assert_eq!(run(root, &["build", "-q"], &[]).code, 0);
    let changed = CONFIG.replace(
        "0f2ac74b498b48028cb68387c421e279",
        "1f2ac74b498b48028cb68387c421e279",
    );
    std::fs::write(root.join("quickback/quickback.config.ts"), changed).unwrap();
    let wrangler_before = read(root, "wrangler.toml");
    let check = run(root, &["check", "--quiet"], &[]);
    assert_eq!(check.code, 1);
    insta::assert_snapshot!("check_stale_stdout", check.stdout);
    assert_eq!(
        read(root, "wrangler.toml"),
        wrangler_before,
        "check writes nothing"
    );
}

/// Before: a missing adapter was shown as a diff adding all of its ~400 lines.
#[test]
fn check_says_in_one_line_that_an_output_is_missing_and_what_writes_it() {
    let dir = project(CONFIG, Some(WRANGLER));
    let root = dir.path();
    assert_eq!(run(root, &["build", "-q"], &[]).code, 0);
    std::fs::remove_file(root.join("src/lib/kv-session-storage.ts")).unwrap();
    let check = run(root, &["check", "--quiet"], &[]);
    assert_eq!(check.code, 1);
    assert_eq!(
        check.stdout,
        "src/lib/kv-session-storage.ts is missing; `quickback-kv build` writes it\n\
         stale     src/lib/kv-session-storage.ts\n"
    );
    assert!(!root.join("src/lib/kv-session-storage.ts").exists());
}

#[test]
fn errors_are_reported_with_spans_and_nothing_is_written() {
    let config = CONFIG.replacen(
        "0f2ac74b498b48028cb68387c421e279",
        "d1d7a6b0-5e8f-4c2a-9b1e-2f3a4b5c6d7e",
        1,
    );
    let dir = project(&config, Some(WRANGLER));
    let root = dir.path();
    let result = run(root, &["build"], &[]);
    assert_eq!(result.code, 1);
    assert_eq!(result.stdout, "");
    insta::assert_snapshot!("error_human_stderr", result.stderr);
    assert_eq!(
        read(root, "wrangler.toml"),
        WRANGLER,
        "nothing is written when there are errors"
    );
    assert!(!root.join("src").exists());
}

#[test]
fn json_format_is_versioned_with_ranges_in_bytes_and_utf16() {
    // The id's line starts with a character outside the BMP, so UTF-16 and byte columns differ.
    let config = CONFIG
        .replace(
            "storage: defineStorage(\"kv\", { namespaceId: \"0f2ac74b498b48028cb68387c421e279\" })",
            "storage: defineStorage(\"kv\", { /* 🗝 */ namespaceId: \"TODO\" })",
        )
        .replace("kvId: \"0f2ac74b498b48028cb68387c421e279\", ", "");
    let dir = project(&config, Some(WRANGLER));
    let result = run(dir.path(), &["check", "--message-format", "json"], &[]);
    let doc: serde_json::Value = serde_json::from_str(&result.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "kv::placeholder-namespace-id");
    let start = &d["range"]["start"];
    let line = config
        .lines()
        .nth(start["line"].as_u64().unwrap() as usize)
        .unwrap();
    let byte_col = line.find("\"TODO\"").unwrap();
    assert_eq!(
        start["offset"].as_u64().unwrap() as usize,
        config.find("\"TODO\"").unwrap()
    );
    assert_eq!(
        start["character"].as_u64().unwrap() as usize,
        line[..byte_col].encode_utf16().count()
    );
    let statuses: Vec<_> = doc["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["path"].as_str().unwrap(), o["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("wrangler.toml", "stale"),
            ("src/env.d.ts", "stale"),
            ("src/lib/kv-session-storage.ts", "stale")
        ]
    );
    assert!(
        doc["outputs"][0]["diff"]
            .as_str()
            .unwrap()
            .contains("+id = \"TODO\"")
    );
    insta::assert_json_snapshot!(
        "json_check",
        serde_json::json!({ "diagnostics": doc["diagnostics"], "bindings": doc["bindings"] })
    );
}

#[test]
fn github_format_prints_workflow_commands() {
    let config = CONFIG.replace(
        "0f2ac74b498b48028cb68387c421e279",
        "00000000000000000000000000000004",
    );
    let dir = project(&config, Some(WRANGLER));
    let result = run(
        dir.path(),
        &["build", "--message-format", "github", "--quiet"],
        &[],
    );
    assert_eq!(result.code, 0, "warnings do not fail a build");
    let first = result.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("::warning file=quickback/quickback.config.ts,line=6,col="),
        "{first}"
    );
    assert!(
        first.contains("title=kv%3A%3Aplaceholder-namespace-id::"),
        "{first}"
    );
}

#[test]
fn deny_warnings_fails_and_writes_nothing() {
    let config = CONFIG.replace(
        "0f2ac74b498b48028cb68387c421e279",
        "00000000000000000000000000000004",
    );
    let dir = project(&config, Some(WRANGLER));
    let result = run(dir.path(), &["build", "--deny-warnings"], &[]);
    assert_eq!(result.code, 1);
    assert!(
        result.stderr.contains("kv::placeholder-namespace-id"),
        "{}",
        result.stderr
    );
    assert!(
        result.stderr.contains("warnings are denied"),
        "{}",
        result.stderr
    );
    assert_eq!(read(dir.path(), "wrangler.toml"), WRANGLER);
}

#[test]
fn environment_variables_feed_ids_and_missing_ones_are_named() {
    let config = CONFIG.replace("\"0f2ac74b498b48028cb68387c421e279\"", "process.env.KV_ID");
    let dir = project(&config, Some(WRANGLER));
    let missing = run(dir.path(), &["build"], &[]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("config::missing-env-var")
            && missing.stderr.contains("`KV_ID` is not set"),
        "{}",
        missing.stderr
    );
    let set = run(
        dir.path(),
        &["build"],
        &[("KV_ID", "2f2ac74b498b48028cb68387c421e279")],
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert!(
        set.stdout
            .contains("id from providers.storage.namespaceId via environment variable KV_ID"),
        "{}",
        set.stdout
    );
    assert!(
        read(dir.path(), "wrangler.toml").contains("id = \"2f2ac74b498b48028cb68387c421e279\"")
    );
}

#[test]
fn json_wrangler_config_is_edited_in_place_not_shadowed_by_a_new_toml() {
    let dir = project(CONFIG, None);
    let jsonc =
        "{\n  // Shop worker\n  \"name\": \"shop\",\n  \"main\": \"src/index.ts\", // entry\n}\n";
    std::fs::write(dir.path().join("wrangler.jsonc"), jsonc).unwrap();
    let result = run(dir.path(), &["build", "--quiet"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(!dir.path().join("wrangler.toml").exists());
    let edited = read(dir.path(), "wrangler.jsonc");
    assert!(
        edited.starts_with(
            "{\n  // Shop worker\n  \"name\": \"shop\",\n  \"main\": \"src/index.ts\", // entry\n"
        ),
        "{edited}"
    );
    assert!(
        edited.contains("// Managed by quickback-kv")
            && edited.contains("\"id\": \"0f2ac74b498b48028cb68387c421e279\""),
        "{edited}"
    );
    // wrangler.json comes first in wrangler's lookup order: that one is edited, strictly as JSON.
    std::fs::write(dir.path().join("wrangler.json"), "{\"name\": \"shop\"}\n").unwrap();
    let result = run(dir.path(), &["build", "--quiet"], &[]);
    assert_eq!(result.code, 0, "{}", result.stderr);
    let json = read(dir.path(), "wrangler.json");
    let value: serde_json::Value =
        serde_json::from_str(&json).expect("wrangler.json stays strict JSON");
    assert_eq!(value["kv_namespaces"][0]["binding"], "KV", "{json}");
    assert_eq!(
        read(dir.path(), "wrangler.jsonc"),
        edited,
        "the file wrangler does not read is left alone"
    );
}

/// SPEC: changing one id changes one line, in JSONC too.
#[test]
fn changing_one_id_changes_one_line_of_wrangler_jsonc() {
    let dir = project(ENVIRONMENTS_CONFIG, None);
    std::fs::write(
        dir.path().join("wrangler.jsonc"),
        "{\n  \"name\": \"shop\", // the worker\n  \"env\": { \"staging\": {} },\n}\n",
    )
    .unwrap();
    assert_eq!(run(dir.path(), &["build", "--quiet"], &[]).code, 0);
    let before = read(dir.path(), "wrangler.jsonc");
    let (old, new) = (
        "5b3f0e2d8c1a4f6e9d7b2a0c4e6f8a1b",
        "5b3f0e2d8c1a4f6e9d7b2a0c4e6f8a1c",
    );
    std::fs::write(
        dir.path().join("quickback/quickback.config.ts"),
        ENVIRONMENTS_CONFIG.replace(old, new),
    )
    .unwrap();
    let r = run(dir.path(), &["build", "--quiet"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let changed = changed_lines(&before, &read(dir.path(), "wrangler.jsonc"));
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].0.replace(old, new), changed[0].1);
}

#[test]
fn io_failures_exit_2() {
    // The config path is a directory: unreadable.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("quickback/quickback.config.ts")).unwrap();
    let result = run(dir.path(), &["build"], &[]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(
        result.stderr.contains("config::unreadable"),
        "{}",
        result.stderr
    );

    // An output path cannot be used: `src` is a file, so `src/env.d.ts` can be neither read nor created.
    let dir = project(CONFIG, Some(WRANGLER));
    std::fs::write(dir.path().join("src"), "not a directory").unwrap();
    let result = run(dir.path(), &["build", "--quiet"], &[]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(
        result.stderr.contains("src/env.d.ts: Not a directory"),
        "{}",
        result.stderr
    );
    assert_eq!(
        read(dir.path(), "wrangler.toml"),
        WRANGLER,
        "nothing is written when an output fails"
    );
}

#[test]
fn missing_config_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let result = run(dir.path(), &["check"], &[]);
    assert_eq!(result.code, 1);
    assert!(
        result.stderr.contains("config::not-found"),
        "{}",
        result.stderr
    );
}

#[test]
fn oversized_and_pathological_configs_get_diagnostics_not_crashes() {
    let cases: [(&str, String); 4] = [
        (
            "config::too-large",
            format!("export default {{}};\n//{}", "x".repeat(10 * 1024 * 1024)),
        ),
        (
            "syntax::too-deeply-nested",
            format!("export default {};", "[".repeat(5_000_000)),
        ),
        (
            "syntax::too-deeply-nested",
            format!(
                "const x = {}1;\nexport default {{}};",
                "!".repeat(5_000_000)
            ),
        ),
        (
            "syntax::too-deeply-nested",
            format!(
                "const x = {}1;\nexport default {{}};",
                "a ? b : ".repeat(1_000_000)
            ),
        ),
    ];
    for (code, config) in cases {
        let dir = project(&config, None);
        let result = run(dir.path(), &["check", "--message-format", "json"], &[]);
        assert_eq!(result.code, 1, "{code}: {}", result.stderr);
        let doc: serde_json::Value = serde_json::from_str(&result.stdout).unwrap();
        assert_eq!(doc["diagnostics"][0]["code"], code);
    }
}

#[test]
fn explain_knows_every_code() {
    let dir = tempfile::tempdir().unwrap();
    let explain = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (code, list) = explain(&["explain"]);
    assert_eq!(code, 0);
    for c in quickback_kv::diagnostics::Code::ALL {
        assert!(
            list.contains(c.as_str()),
            "{} missing from the list",
            c.as_str()
        );
        let (code, text) = explain(&["explain", c.as_str()]);
        assert_eq!(code, 0);
        assert!(text.len() > 80, "{} has a real explanation", c.as_str());
    }
    insta::assert_snapshot!(
        "explain_invalid_id",
        explain(&["explain", "kv::invalid-namespace-id"]).1
    );
    assert_eq!(explain(&["explain", "kv::nope"]).0, 1);
}

#[test]
fn the_bundled_example_is_up_to_date() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("example");
    let output = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
        .args(["check", "--quiet", "--root"])
        .arg(&example)
        .env_remove("KV_NAMESPACE_ID")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

const ENVIRONMENTS_CONFIG: &str = r#"import { defineConfig, defineStorage } from "@quickback/compiler";

export default defineConfig({
  providers: {
    storage: defineStorage("kv", {
      namespaceId: "0f2ac74b498b48028cb68387c421e279",
      previewId: "1e4b7c0a9d2f4e8b8c6a5d3f2e1b0a9c",
      namespaces: [{ binding: "RATE", namespaceId: "8e6c3b5a1f4d4c9b0a2e5d7f9b1c4e6a" }],
      environments: {
        staging: { namespaceId: "5b3f0e2d8c1a4f6e9d7b2a0c4e6f8a1b" },
        production: { namespaceId: "7d5b2a4f0e3c4b8a9f1d4c6e8a0b3d5f" },
      },
    }),
  },
});
"#;

/// Lines that differ between two texts of the same length in lines.
fn changed_lines(before: &str, after: &str) -> Vec<(String, String)> {
    assert_eq!(
        before.lines().count(),
        after.lines().count(),
        "line count changed:\n{before}\n---\n{after}"
    );
    before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// SPEC: changing one id in the config changes one line of the wrangler file.
#[test]
fn changing_one_id_changes_one_line_of_wrangler_toml() {
    let dir = project(ENVIRONMENTS_CONFIG, Some(WRANGLER));
    assert_eq!(run(dir.path(), &["build", "--quiet"], &[]).code, 0);
    let before = read(dir.path(), "wrangler.toml");
    for (old, new) in [
        (
            "5b3f0e2d8c1a4f6e9d7b2a0c4e6f8a1b",
            "5b3f0e2d8c1a4f6e9d7b2a0c4e6f8a1c",
        ), // staging's own id
        (
            "8e6c3b5a1f4d4c9b0a2e5d7f9b1c4e6a",
            "8e6c3b5a1f4d4c9b0a2e5d7f9b1c4e6b",
        ), // a `namespaces` entry
    ] {
        let config = ENVIRONMENTS_CONFIG.replace(old, new);
        std::fs::write(dir.path().join("quickback/quickback.config.ts"), &config).unwrap();
        let r = run(dir.path(), &["build", "--quiet"], &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let after = read(dir.path(), "wrangler.toml");
        let changed = changed_lines(&before, &after);
        // `RATE` shares its top-level id with both environments (with a warning), so its
        // id appears once per scope; staging's own id appears once.
        let expected = if old.starts_with("8e6c") { 3 } else { 1 };
        assert_eq!(changed.len(), expected, "{changed:?}");
        assert!(
            changed
                .iter()
                .all(|(a, b)| a.contains(old) && b.contains(new) && a.replace(old, new) == *b),
            "{changed:?}"
        );
        std::fs::write(
            dir.path().join("quickback/quickback.config.ts"),
            ENVIRONMENTS_CONFIG,
        )
        .unwrap();
        assert_eq!(run(dir.path(), &["build", "--quiet"], &[]).code, 0);
        assert_eq!(
            read(dir.path(), "wrangler.toml"),
            before,
            "building the old config again restores the file"
        );
    }
}
