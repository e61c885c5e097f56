//! Documentation that states facts about the implementation is checked against
//! it: the JSON and GitHub examples in `docs/json-format.md` are real output,
//! `docs/diagnostics.md` is the code registry rendered, and the README's sample
//! output is what `build` prints on `example/`.
//! `UPDATE_EXPECT=1 cargo test --test docs` rewrites `docs/diagnostics.md`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// The body of the first fenced block with this info string after `after`.
fn block<'a>(doc: &'a str, after: &str, info: &str) -> &'a str {
    let from = doc
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} not in the doc"));
    let fence = format!("```{info}\n");
    let start = doc[from..]
        .find(&fence)
        .map(|i| from + i + fence.len())
        .unwrap_or_else(|| panic!("no ```{info} block"));
    let end = doc[start..]
        .find("```\n")
        .map(|i| start + i)
        .expect("the block is closed");
    &doc[start..end]
}

/// Runs `build` with these flags on a fresh copy of the documented example project.
fn build_example(format: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&repo("docs/examples/json-format"), dir.path());
    let output = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
        .args(["build", "--quiet", "--message-format", format, "--root"])
        .arg(dir.path())
        .env_remove("KV_NAMESPACE_ID")
        .output()
        .expect("run quickback-kv");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read example dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn json_format_example_is_real_output() {
    let doc = read("docs/json-format.md");
    let documented: serde_json::Value =
        serde_json::from_str(block(&doc, "# `--message-format json`", "json"))
            .expect("the example is JSON");
    let actual: serde_json::Value =
        serde_json::from_str(&build_example("json")).expect("the output is JSON");
    assert_eq!(
        documented, actual,
        "docs/json-format.md's example differs from the output; update the doc:\n{actual:#}"
    );
}

#[test]
fn github_format_example_is_real_output() {
    let doc = read("docs/json-format.md");
    assert_eq!(
        block(&doc, "# `--message-format github`", "text"),
        build_example("github")
    );
}

#[test]
fn diagnostics_reference_is_the_code_registry() {
    let expected = quickback_kv::lsp::explain::reference();
    let path = repo(quickback_kv::lsp::explain::DOC_PATH);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &expected).expect("write docs/diagnostics.md");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/diagnostics.md is out of date; run `UPDATE_EXPECT=1 cargo test --test docs`"
    );
}

#[test]
fn readme_build_output_is_what_the_example_prints() {
    let readme = read("README.md");
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&repo("example"), dir.path());
    let output = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
        .args(["build", "--root"])
        .arg(dir.path())
        .env_remove("KV_NAMESPACE_ID")
        .env("NO_COLOR", "1")
        .output()
        .expect("run quickback-kv");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        block(&readme, "## First build", "text"),
        String::from_utf8_lossy(&output.stdout),
        "README's sample output differs from `build` on example/; update the README"
    );
}

/// The README is the user's path (maintainer material lives in docs/ and
/// CONTRIBUTING.md), and nothing a user copies holds a placeholder to fill in.
#[test]
fn readme_is_short_and_snippets_have_no_placeholders() {
    let readme = read("README.md");
    assert!(readme.lines().count() <= 350, "README over 350 lines");
    assert!(
        readme.contains("\n./test.sh\n")
            && readme.contains("cargo run --release -- build --root example")
    );
    for doc in [
        "README.md",
        "docs/reference.md",
        "docs/editors.md",
        "docs/releasing.md",
        "CONTRIBUTING.md",
    ] {
        assert!(
            !read(doc).contains("OWNER/"),
            "{doc} has an OWNER/ placeholder"
        );
    }
}

/// The README's table of diagnostics names every code of the registry, with the
/// registry's severity, so a new code cannot be left out of it.
#[test]
fn readme_lists_every_diagnostic_code() {
    let readme = read("README.md");
    let table = &readme[readme.find("| code | severity |").expect("the table")..];
    let table = &table[..table.find("\n\n").unwrap_or(table.len())];
    let out = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
        .arg("explain")
        .output()
        .expect("run explain");
    let list = String::from_utf8_lossy(&out.stdout);
    for line in list.lines() {
        let mut words = line.split_whitespace();
        let (Some(code), Some(severity)) = (words.next(), words.next()) else {
            continue;
        };
        let row = table
            .lines()
            .find(|row| row.contains(&format!("`{code}`")))
            .unwrap_or_else(|| panic!("README's diagnostics table has no `{code}`"));
        assert!(
            row.trim_end().ends_with(&format!("| {severity} |")),
            "`{code}` is listed as other than {severity}: {row}"
        );
    }
}
