//! The pipeline `quickback compile && quickback-kv build` on projects shaped like
//! Quickback v0.10's output (`fixtures/valid-quickback-*`): Quickback rewrites its
//! files on every compile, without quickback-kv's changes, and the next build must
//! put back exactly the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files the config does not produce: everything in the project but `quickback/`.
fn quickback_files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            if relative.starts_with("quickback") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn copy(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn quickback_kv(root: &Path, command: &str) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
        .args([command, "--quiet", "--root"])
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn projects() -> Vec<PathBuf> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("valid-quickback-"))
        })
        .map(|p| p.join("input"))
        .collect();
    found.sort();
    assert!(
        found.len() >= 6,
        "the Quickback-shaped fixtures are missing"
    );
    found
}

/// build → Quickback regenerates its files → build gives the same bytes; a third
/// build changes nothing, and `check` agrees.
#[test]
fn build_converges_after_every_regeneration() {
    for input in projects() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        copy(&input, root);
        let generated_by_quickback = quickback_files(root);

        let (code, stderr) = quickback_kv(root, "build");
        assert_eq!(code, 0, "{}: {stderr}", input.display());
        let first = quickback_files(root);

        // `quickback compile` again: its own files come back as it writes them.
        for (path, bytes) in &generated_by_quickback {
            std::fs::write(root.join(path), bytes).unwrap();
        }
        let (code, stderr) = quickback_kv(root, "build");
        assert_eq!(code, 0, "{}: {stderr}", input.display());
        let second = quickback_files(root);
        assert!(
            first == second,
            "{}: the build after a regeneration differs from the first",
            input.display()
        );

        let (code, stderr) = quickback_kv(root, "build");
        assert_eq!(code, 0, "{stderr}");
        assert!(
            quickback_files(root) == second,
            "{}: a third build changed files",
            input.display()
        );
        let (code, stderr) = quickback_kv(root, "check");
        assert_eq!(code, 0, "{}: check after build: {stderr}", input.display());
    }
}

/// Every byte of Quickback's `wrangler.toml` outside the KV entries survives:
/// the edit only adds lines (the markers and new entries).
#[test]
fn quickback_lines_survive_in_order() {
    for input in projects() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        copy(&input, root);
        let before = std::fs::read_to_string(root.join("wrangler.toml")).unwrap();
        let (code, stderr) = quickback_kv(root, "build");
        assert_eq!(code, 0, "{stderr}");
        let after = std::fs::read_to_string(root.join("wrangler.toml")).unwrap();
        // Lines of the original that are not part of a KV entry, in order, in the result.
        let mut rest = after.split_inclusive('\n');
        let mut in_kv = false;
        for line in before.split_inclusive('\n') {
            if line.starts_with("[[") || line.starts_with('[') {
                in_kv = line.contains("kv_namespaces");
            }
            if in_kv || line.contains("Managed by quickback-kv") {
                continue;
            }
            assert!(
                rest.any(|l| l == line),
                "{}: the line {line:?} is gone or out of order:\n{after}",
                input.display()
            );
        }
    }
}
