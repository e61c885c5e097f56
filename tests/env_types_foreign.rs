//! Quickback's own `src/env.d.ts` through real `build` runs: a second namespace
//! is added to it and removed again, environments come and go, and every time the
//! file ends byte for byte where it started; a further build changes nothing.
//! The projects are the `fixtures/valid-quickback-env-*` inputs.

use std::path::{Path, PathBuf};
use std::process::Command;

const ENV_TYPES: &str = "src/env.d.ts";
const CONFIG: &str = "quickback/quickback.config.ts";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .join("input")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Runs `build` and returns its stdout; it must succeed.
fn build(root: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
        .args(["build", "--root"])
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "build failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn read(root: &Path, path: &str) -> Vec<u8> {
    std::fs::read(root.join(path)).unwrap()
}

/// The file as text, for readable failures (the bytes are UTF-8).
fn text(root: &Path, path: &str) -> String {
    text_of(&read(root, path))
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The config of another fixture, copied over this project's.
fn use_config(root: &Path, fixture_name: &str) {
    std::fs::copy(fixture(fixture_name).join(CONFIG), root.join(CONFIG)).unwrap();
}

#[test]
fn a_quickback_env_types_file_comes_back_to_its_own_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(&fixture("valid-quickback-env-kv-only"), root);
    let original = read(root, ENV_TYPES);

    // KV only: Quickback's file already says it.
    let out = build(root);
    assert!(out.contains("unchanged src/env.d.ts"), "{out}");
    assert_eq!(text(root, ENV_TYPES), text_of(&original));

    // A second namespace: one marked member more, nothing else changes.
    use_config(root, "valid-quickback-env-second-namespace");
    let out = build(root);
    assert!(out.contains("updated   src/env.d.ts"), "{out}");
    let added = String::from_utf8(read(root, ENV_TYPES)).unwrap();
    assert!(added.contains("Added by quickback-kv"));
    assert!(added.contains("\n  CACHE: KVNamespace;\n}\n"));
    assert!(build(root).contains("unchanged src/env.d.ts"));

    // Environments on top: their interfaces are appended.
    use_config(root, "valid-quickback-env-environments");
    build(root);
    let environments = String::from_utf8(read(root, ENV_TYPES)).unwrap();
    assert!(environments.contains("export interface StagingEnv {\n  KV: KVNamespace;\n}"));
    assert!(!environments.contains("CACHE"), "{environments}");
    assert!(build(root).contains("unchanged src/env.d.ts"));

    // Environments stay while the wrangler file has them (each gets the binding)...
    use_config(root, "valid-quickback-env-kv-only");
    build(root);
    assert_eq!(read(root, ENV_TYPES), environments.as_bytes());
    // ...and go with them: byte for byte what Quickback wrote.
    std::fs::copy(
        fixture("valid-quickback-env-kv-only").join("wrangler.toml"),
        root.join("wrangler.toml"),
    )
    .unwrap();
    build(root);
    assert_eq!(text(root, ENV_TYPES), text_of(&original));
    assert!(build(root).contains("unchanged src/env.d.ts"));
}

#[test]
fn crlf_and_a_byte_order_mark_survive_a_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(&fixture("valid-quickback-env-crlf-bom"), root);
    let original = read(root, ENV_TYPES);
    build(root);
    let added = read(root, ENV_TYPES);
    assert!(added.starts_with("\u{feff}".as_bytes()));
    let added = text_of(&added);
    assert_eq!(added.matches('\n').count(), added.matches("\r\n").count());
    use_config(root, "valid-quickback-env-kv-only");
    build(root);
    assert_eq!(text(root, ENV_TYPES), text_of(&original));
}

/// Two fixtures are one project before and after: removing the namespace gives
/// back exactly the file the KV-only fixture starts from.
#[test]
fn the_removal_fixture_ends_at_the_original_bytes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    assert_eq!(
        std::fs::read(
            root.join("valid-quickback-env-namespace-removed/expected")
                .join(ENV_TYPES)
        )
        .unwrap(),
        std::fs::read(
            root.join("valid-quickback-env-kv-only/input")
                .join(ENV_TYPES)
        )
        .unwrap()
    );
}

/// Quickback rewrites `src/env.d.ts` on every `quickback compile`: building again
/// after it restored its own bytes gives exactly the file of the first build.
#[test]
fn building_after_quickback_regenerates_gives_the_same_bytes() {
    for config in [
        "valid-quickback-env-second-namespace",
        "valid-quickback-env-environments",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        copy_tree(&fixture("valid-quickback-env-kv-only"), root);
        use_config(root, config);
        let quickback = read(root, ENV_TYPES);
        build(root);
        let first = text(root, ENV_TYPES);
        assert_ne!(first, text_of(&quickback), "{config}: nothing was added");
        std::fs::write(root.join(ENV_TYPES), &quickback).unwrap();
        build(root);
        assert_eq!(text(root, ENV_TYPES), first, "{config}");
        assert!(build(root).contains("unchanged src/env.d.ts"), "{config}");
    }
}
