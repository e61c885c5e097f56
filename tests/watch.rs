//! `build --watch` on the real binary: a change to the config rebuilds, a broken
//! config prints its diagnostic and writes nothing, fixing it recovers, a hand edit
//! of the wrangler file is repaired, the build's own writes start no new build, and
//! SIGINT ends it with exit code 0.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_quickback-kv");
const CONFIG: &str = "quickback/quickback.config.ts";
const WATCHING: &str = "watching for changes (Ctrl-C to stop)";
const OLD_ID: &str = "0f2ac74b498b48028cb68387c421e279";
const NEW_ID: &str = "1e4b7c0a9d2f4e8b8c6a5d3f2e1b0a9c";
const FIXED_ID: &str = "7d5b2a4f0e3c4b8a9f1d4c6e8a0b3d5f";
/// Only against a hang: a build takes milliseconds.
const HANG: Duration = Duration::from_secs(60);

struct Watch {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    /// stdout and stderr into one pipe (`2>&1`), so their lines arrive in the
    /// order they were written; `exec` makes the binary itself the child.
    fn start(root: &Path) -> Watch {
        let mut child = Command::new("sh")
            .args(["-c", "exec \"$0\" build --watch --root \"$1\" 2>&1", BIN])
            .arg(root)
            .env_remove("KV_NAMESPACE_ID")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start quickback-kv build --watch");
        let (tx, lines) = mpsc::channel();
        let output = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Watch {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Everything printed up to and including the next "watching" line (the end of a build).
    fn next_build(&mut self) -> String {
        let mut build = String::new();
        loop {
            let line = self.lines.recv_timeout(HANG).unwrap_or_else(|_| {
                panic!(
                    "no end of build within {HANG:?}; output so far: {:#?}",
                    self.seen
                )
            });
            self.seen.push(line.clone());
            build.push_str(&line);
            build.push('\n');
            if line == WATCHING {
                return build;
            }
        }
    }
}

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).expect("read")
}

fn write(root: &Path, file: &str, contents: &str) {
    std::fs::write(root.join(file), contents).expect("write");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn watch_rebuilds_survives_errors_ignores_its_own_writes_and_stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("example"), root);
    std::fs::remove_file(root.join("src/env.d.ts")).unwrap();
    let config = read(root, CONFIG);

    let mut watch = Watch::start(root);
    let first = watch.next_build();
    assert!(first.contains("created   src/env.d.ts"), "{first}");

    // A change to the config: the outputs follow, with the same summary as `build`.
    write(root, CONFIG, &config.replace(OLD_ID, NEW_ID));
    let changed = watch.next_build();
    assert!(
        changed.contains(&format!("KV binding `KV` → namespace {NEW_ID}")),
        "{changed}"
    );
    assert!(changed.contains("updated   wrangler.toml"), "{changed}");
    assert!(read(root, "wrangler.toml").contains(NEW_ID));
    assert!(read(root, "src/env.d.ts").contains("KVNamespace"));

    // A broken config: the diagnostic, and no file written.
    let before: Vec<String> = [
        "wrangler.toml",
        "src/env.d.ts",
        "src/lib/kv-session-storage.ts",
    ]
    .iter()
    .map(|f| read(root, f))
    .collect();
    write(
        root,
        CONFIG,
        &format!("{}\nbroken(", config.replace(OLD_ID, FIXED_ID)),
    );
    let broken = watch.next_build();
    assert!(broken.contains("syntax::parse-error"), "{broken}");
    assert!(
        !broken.contains("wrangler.toml\n"),
        "no summary of files: {broken}"
    );
    let after: Vec<String> = [
        "wrangler.toml",
        "src/env.d.ts",
        "src/lib/kv-session-storage.ts",
    ]
    .iter()
    .map(|f| read(root, f))
    .collect();
    assert_eq!(before, after, "nothing was written");

    // Fixed: it recovers.
    write(root, CONFIG, &config.replace(OLD_ID, FIXED_ID));
    let fixed = watch.next_build();
    assert!(fixed.contains(&format!("namespace {FIXED_ID}")), "{fixed}");
    assert!(read(root, "wrangler.toml").contains(FIXED_ID));

    // A hand edit of the managed entry in the wrangler file is repaired.
    write(
        root,
        "wrangler.toml",
        &read(root, "wrangler.toml").replace(FIXED_ID, NEW_ID),
    );
    let repaired = watch.next_build();
    assert!(repaired.contains("updated   wrangler.toml"), "{repaired}");
    assert!(read(root, "wrangler.toml").contains(FIXED_ID));

    // SIGINT (Ctrl-C): exit code 0.
    let status = Command::new("kill")
        .args(["-INT", &watch.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let status = watch.child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "{:#?}", watch.seen);

    // Every build was started by one of the four changes above: the watcher's own
    // writes (several files per build) started none.
    let rest: Vec<_> = watch.lines.try_iter().collect();
    watch.seen.extend(rest);
    let rebuilds = watch
        .seen
        .iter()
        .filter(|l| *l == "change detected: building again")
        .count();
    assert_eq!(rebuilds, 4, "{:#?}", watch.seen);
}
