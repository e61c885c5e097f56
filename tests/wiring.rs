//! Wiring KV sessions into the app's auth module, as a pipeline runs it:
//! `quickback compile && quickback-kv build`, again and again. Runs the real
//! binary on a copy of `fixtures/valid-auth-module-quickback/input`, whose
//! `src/lib/auth.ts` has the shape Quickback generates.

use std::path::{Path, PathBuf};
use std::process::Command;

const AUTH: &str = "src/lib/auth.ts";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A fresh Quickback-shaped project, as `quickback compile` leaves it.
fn quickback_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo("fixtures/valid-auth-module-quickback/input"),
        dir.path(),
    );
    dir
}

/// The auth module exactly as Quickback generates it.
fn quickback_auth() -> Vec<u8> {
    std::fs::read(repo("fixtures/valid-auth-module-quickback/input").join(AUTH)).unwrap()
}

fn run(root: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
        .args(args)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let clean = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes).replace(&root.display().to_string(), "<root>")
    };
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: clean(&output.stdout),
        stderr: clean(&output.stderr),
    }
}

fn auth(root: &Path) -> Vec<u8> {
    std::fs::read(root.join(AUTH)).unwrap()
}

fn mtime(path: PathBuf) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn wiring_converges_after_every_regeneration() {
    let dir = quickback_project();
    let root = dir.path();
    let first = run(root, &["build"]);
    assert_eq!((first.code, first.stderr.as_str()), (0, ""));
    insta::assert_snapshot!("wired_quickback_stdout", first.stdout);
    let wired = auth(root);
    assert_ne!(wired, quickback_auth());

    // `quickback compile` writes its own auth.ts again; the next build wires it identically.
    std::fs::write(root.join(AUTH), quickback_auth()).unwrap();
    let second = run(root, &["build", "--quiet"]);
    assert_eq!((second.code, second.stderr.as_str()), (0, ""));
    assert_eq!(
        String::from_utf8(auth(root)).unwrap(),
        String::from_utf8(wired.clone()).unwrap()
    );

    // And a build on its own output changes nothing, not even the mtime.
    let before = mtime(root.join(AUTH));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let third = run(root, &["build"]);
    assert_eq!(third.code, 0);
    assert!(
        third.stdout.ends_with("unchanged src/lib/auth.ts\n"),
        "{}",
        third.stdout
    );
    assert_eq!(auth(root), wired);
    assert_eq!(mtime(root.join(AUTH)), before);
    let check = run(root, &["check", "--quiet"]);
    assert_eq!((check.code, check.stdout.as_str()), (0, ""));
}

#[test]
fn an_older_wiring_is_updated_in_place_and_converges_back() {
    let dir = quickback_project();
    let root = dir.path();
    assert_eq!(run(root, &["build", "-q"]).code, 0);
    let wired = auth(root);

    let moved = run(root, &["build", "--session-adapter", "src/kv/sessions.ts"]);
    assert_eq!(moved.code, 0, "{}", moved.stderr);
    let text = String::from_utf8(auth(root)).unwrap();
    assert!(
        text.contains("import { KV_VERIFICATION_OPTIONS, kvSecondaryStorage } from \"../kv/sessions\"; // quickback-kv: sessions in Workers KV\n"),
        "{text}"
    );
    assert_eq!(
        text.lines().count(),
        String::from_utf8(wired.clone()).unwrap().lines().count(),
        "the import is updated in place, not added again"
    );
    assert!(moved.stdout.contains("updated   src/lib/auth.ts"));

    assert_eq!(run(root, &["build", "-q"]).code, 0);
    assert_eq!(auth(root), wired);
}

#[test]
fn turning_kv_sessions_off_gives_quickback_its_bytes_back() {
    let dir = quickback_project();
    let root = dir.path();
    assert_eq!(run(root, &["build", "-q"]).code, 0);
    let config = root.join("quickback/quickback.config.ts");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "session: { expiresInDays",
        "session: { storage: \"database\", expiresInDays",
    );
    std::fs::write(&config, text).unwrap();
    let off = run(root, &["build"]);
    assert_eq!((off.code, off.stderr.as_str()), (0, ""));
    assert!(
        off.stdout
            .contains("sessions wiring removed from src/lib/auth.ts (KV sessions are off)\n"),
        "{}",
        off.stdout
    );
    assert_eq!(auth(root), quickback_auth());
    // Nothing of quickback-kv's is left, so the next build leaves the file alone.
    let again = run(root, &["build"]);
    assert!(
        !again.stdout.contains("src/lib/auth.ts"),
        "{}",
        again.stdout
    );
}

#[test]
fn an_auth_module_it_cannot_edit_gets_a_warning_and_stays_untouched() {
    let dir = quickback_project();
    let root = dir.path();
    let original = String::from_utf8(quickback_auth()).unwrap().replace(
        "        basePath: '/auth/v1',\n",
        "        basePath: '/auth/v1',\n        ...sharedOptions,\n",
    );
    std::fs::write(root.join(AUTH), &original).unwrap();
    let result = run(root, &["build"]);
    assert_eq!(result.code, 0, "a warning does not fail the build");
    insta::assert_snapshot!("not_wired_stdout", result.stdout);
    insta::assert_snapshot!("not_wired_stderr", result.stderr);
    assert_eq!(std::fs::read_to_string(root.join(AUTH)).unwrap(), original);
    assert!(
        root.join("wrangler.toml").exists() && root.join("src/env.d.ts").exists(),
        "the other outputs are written"
    );

    let json = run(root, &["build", "--message-format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["wiring"]["status"], "not-wired");
    assert_eq!(doc["wiring"]["range"]["start"]["line"], 19);
    assert_eq!(doc["diagnostics"][0]["code"], "auth::cannot-wire");

    // Denied warnings: nothing is written at all.
    let fresh = quickback_project();
    std::fs::write(fresh.path().join(AUTH), &original).unwrap();
    let denied = run(fresh.path(), &["build", "--deny-warnings", "-q"]);
    assert_eq!(denied.code, 1);
    assert!(!fresh.path().join("src/env.d.ts").exists());
}

#[test]
fn no_auth_module_is_said_and_another_path_can_be_given() {
    let dir = quickback_project();
    let root = dir.path();
    std::fs::rename(root.join(AUTH), root.join("src/auth.ts")).unwrap();
    let missing = run(root, &["build"]);
    assert_eq!((missing.code, missing.stderr.as_str()), (0, ""));
    assert!(
        missing.stdout.contains(
            "sessions not wired: no auth module at src/lib/auth.ts (--auth-module PATH names another)\n"
        ),
        "{}",
        missing.stdout
    );
    let elsewhere = run(root, &["build", "--auth-module", "src/auth.ts"]);
    assert_eq!(elsewhere.code, 0, "{}", elsewhere.stderr);
    let text = std::fs::read_to_string(root.join("src/auth.ts")).unwrap();
    assert!(
        text.contains("from \"./lib/kv-session-storage\"; // quickback-kv"),
        "{text}"
    );
    assert!(
        std::fs::read_to_string(root.join("src/lib/kv-session-storage.ts"))
            .unwrap()
            .contains("quickback-kv build --auth-module src/auth.ts"),
        "the regenerate command names the flag"
    );
}

/// Issue 17.1: KV turned off entirely while the auth module still imports the
/// adapter (a hand-written import the compiler does not own): the adapter stays.
#[test]
fn an_adapter_the_auth_module_imports_is_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &repo("fixtures/valid-kv-no-longer-used-adapter-imported/input"),
        dir.path(),
    );
    let adapter = dir.path().join("src/lib/kv-session-storage.ts");
    let before = std::fs::read(&adapter).unwrap();
    let r = run(dir.path(), &["build"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(std::fs::read(&adapter).ok(), Some(before), "{}", r.stdout);
    // Without the import it goes, as before.
    std::fs::write(dir.path().join(AUTH), "export const x = 1;\n").unwrap();
    let r = run(dir.path(), &["build"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!adapter.exists(), "{}", r.stdout);
}

/// SOURCE_DATE_EPOCH makes a new session key period reproducible: two fresh
/// projects built with it get byte-identical adapters (and the stamp it gives).
#[test]
fn source_date_epoch_gives_reproducible_adapters() {
    let build = || {
        let dir = quickback_project();
        let output = Command::new(env!("CARGO_BIN_EXE_quickback-kv"))
            .args(["build", "--quiet", "--root"])
            .arg(dir.path())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        std::fs::read_to_string(dir.path().join("src/lib/kv-session-storage.ts")).unwrap()
    };
    let first = build();
    assert!(
        first.contains("export const KV_SESSION_KEY_PREFIX: string = \"session:1700000000:\";")
    );
    assert_eq!(first, build());
}
