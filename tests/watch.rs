//! `build --watch` on the real binary: a change to the config rebuilds, a broken
//! config prints its diagnostic and writes nothing, fixing it recovers, a hand edit
//! of the wrangler file is repaired, the build's own writes start no new build, and
//! SIGINT ends it with exit code 0. It keeps building while other processes read
//! the project, rebuilds when the auth module loses its wiring, sees a config saved
//! by rename into a directory made after it started, opens nothing while idle, and
//! exits when its parent is killed.

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
        Watch::spawn(root, "exec \"$0\" build --watch --root \"$1\" 2>&1")
    }

    /// `script` gets the binary as `$0` and the root as `$1`.
    fn spawn(root: &Path, script: &str) -> Watch {
        let mut child = Command::new("sh")
            .args(["-c", script, BIN])
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

    /// The next build whose output contains `wanted` (after a save written in place,
    /// a first build may have seen the file half written).
    fn build_with(&mut self, wanted: &str) -> String {
        loop {
            let build = self.next_build();
            if build.contains(wanted) {
                return build;
            }
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

/// Saves as most editors do: a new file renamed over the old one, so the watcher
/// can never see it half written (`write_in_place` is the other way).
fn write(root: &Path, file: &str, contents: &str) {
    let path = root.join(file);
    let temp = path.with_extension("save-tmp");
    std::fs::write(&temp, contents).expect("write");
    std::fs::rename(&temp, &path).expect("rename");
}

/// Truncates and writes the file: a watcher that looks between the two (a stalled
/// writer on a busy machine) builds twice, the second time with the whole file.
fn write_in_place(root: &Path, file: &str, contents: &str) {
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

fn fixture_project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .join("input");
    copy_dir(&input, dir.path());
    dir
}

fn stop(mut watch: Watch) -> Vec<String> {
    let status = Command::new("kill")
        .args(["-INT", &watch.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let status = watch.child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "{:#?}", watch.seen);
    let rest: Vec<_> = watch.lines.try_iter().collect();
    watch.seen.extend(rest);
    watch.seen
}

fn rebuilds(seen: &[String]) -> usize {
    seen.iter()
        .filter(|l| *l == "change detected: building again")
        .count()
}

/// Before: a process opening a file every 80 ms (an editor, `tsc --watch`) held
/// every build off (each open was a change, and a build waited for a quiet
/// window), and the auth module was not watched at all.
#[test]
fn watch_builds_every_save_while_readers_open_files_and_watches_the_auth_module() {
    let dir = fixture_project("valid-auth-module-quickback");
    let root = dir.path().to_path_buf();
    write(&root, "package.json", "{}\n");
    let config = read(&root, CONFIG);
    let unwired = read(&root, "src/lib/auth.ts");
    const ID: &str = "5c1e7d2a9b4f4e8a8d3c6b1a0f9e2d7c";

    let mut watch = Watch::start(&root);
    let first = watch.next_build();
    assert!(
        read(&root, "src/lib/auth.ts").contains("kvSecondaryStorage(env)"),
        "{first}"
    );

    let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let reader = {
        let (reading, root) = (reading.clone(), root.clone());
        std::thread::spawn(move || {
            while reading.load(std::sync::atomic::Ordering::Relaxed) {
                for file in ["package.json", "wrangler.toml", "src/lib/auth.ts", CONFIG] {
                    let _ = std::fs::read(root.join(file));
                }
                std::thread::sleep(Duration::from_millis(80));
            }
        })
    };
    for (i, id) in [
        OLD_ID,
        NEW_ID,
        FIXED_ID,
        "2a3b4c5d6e7f40718293a4b5c6d7e8f9",
        "9f8e7d6c5b4a43928170f6e5d4c3b2a1",
    ]
    .iter()
    .enumerate()
    {
        // Saved in place and by rename, in turn.
        if i % 2 == 0 {
            write_in_place(&root, CONFIG, &config.replace(ID, id));
        } else {
            write(&root, CONFIG, &config.replace(ID, id));
        }
        let build = watch.build_with(&format!("namespace {id}"));
        assert!(
            build.contains(&format!("namespace {id}")),
            "save {i}: {build}"
        );
        assert!(read(&root, "wrangler.toml").contains(id), "save {i}");
    }

    // Quickback regenerates the auth module without the wiring: it comes back.
    write(&root, "src/lib/auth.ts", &unwired);
    let rewired = watch.next_build();
    assert!(rewired.contains("src/lib/auth.ts"), "{rewired}");
    assert!(read(&root, "src/lib/auth.ts").contains("kvSecondaryStorage(env)"));

    reading.store(false, std::sync::atomic::Ordering::Relaxed);
    reader.join().unwrap();
    let seen = stop(watch);
    // One per change, and perhaps one more for a save caught half written.
    assert!((6..=9).contains(&rebuilds(&seen)), "{seen:#?}");
}

/// Before: a directory that did not exist when watching started (`quickback/`) was
/// never watched, so a config saved into it later went unseen.
#[test]
fn watch_sees_a_config_saved_by_rename_into_a_directory_made_later() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("example"), root);
    let config = read(root, CONFIG);
    std::fs::remove_dir_all(root.join("quickback")).unwrap();

    let mut watch = Watch::start(root);
    let first = watch.next_build();
    assert!(first.contains("config::not-found"), "{first}");

    std::fs::create_dir(root.join("quickback")).unwrap();
    // Let the watcher see the directory before the file lands in it.
    std::thread::sleep(Duration::from_millis(300));
    // An editor's save: write a temporary file, rename it over the target.
    write(
        root,
        "quickback/.quickback.config.ts.swp",
        &config.replace(OLD_ID, NEW_ID),
    );
    std::fs::rename(
        root.join("quickback/.quickback.config.ts.swp"),
        root.join(CONFIG),
    )
    .unwrap();
    let built = watch.next_build();
    assert!(built.contains(&format!("namespace {NEW_ID}")), "{built}");
    assert!(read(root, "wrangler.toml").contains(NEW_ID));
    stop(watch);
}

/// Before: hashing the watched files opened them, each open was an event, and the
/// watcher hashed again: about ten times a second, forever. Counted with inotify's
/// IN_OPEN over two seconds of idleness: the only opens allowed are the one look
/// (one open per file) that the rebuild's own writes cause; before, ~20 per file.
#[cfg(target_os = "linux")]
#[test]
fn watch_opens_no_file_while_idle() {
    use inotify::{Inotify, WatchMask};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("example"), root);
    let config = read(root, CONFIG);
    let mut watch = Watch::start(root);
    watch.next_build();
    // One change, so the idle time that follows comes after a rebuild and its writes.
    write(root, CONFIG, &config.replace(OLD_ID, NEW_ID));
    watch.next_build();

    let mut inotify = Inotify::init().expect("inotify");
    for dir in [".", "quickback", "src", "src/lib"] {
        inotify
            .watches()
            .add(root.join(dir), WatchMask::OPEN)
            .expect("inotify watch");
    }
    std::thread::sleep(Duration::from_secs(2));
    let mut buffer = vec![0u8; 1 << 20];
    let mut opened: Vec<String> = match inotify.read_events(&mut buffer) {
        Ok(events) => events.map(|e| format!("{:?}", e.name)).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Vec::new(),
        Err(e) => panic!("inotify: {e}"),
    };
    let all = opened.len();
    opened.sort();
    opened.dedup();
    assert_eq!(
        all,
        opened.len(),
        "a file opened twice while idle: {opened:?}"
    );
    let seen = stop(watch);
    assert_eq!(rebuilds(&seen), 1, "{seen:#?}");
}

/// Before: when the process that started it was killed (npm receiving SIGTERM does
/// not pass it on), the watcher was orphaned and kept running.
#[cfg(unix)]
#[test]
fn watch_exits_when_its_parent_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("example"), root);
    // The shell stays the watcher's parent (no exec) and prints its pid.
    let mut watch = Watch::spawn(
        root,
        "\"$0\" build --watch --root \"$1\" 2>&1 & echo \"pid $!\"; wait",
    );
    let pid_line = watch.lines.recv_timeout(HANG).expect("pid line");
    let pid: i32 = pid_line
        .strip_prefix("pid ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{pid_line}"));
    watch.next_build();

    Command::new("kill")
        .args(["-KILL", &watch.child.id().to_string()])
        .status()
        .expect("run kill");
    watch.child.wait().expect("wait for the shell");
    let gone = std::time::Instant::now() + HANG;
    while alive(pid) {
        assert!(
            std::time::Instant::now() < gone,
            "the orphaned watcher still runs"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A process that exited but was not reaped yet (a zombie) counts as gone.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}
