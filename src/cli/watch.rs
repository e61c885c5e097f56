//! `build --watch`: run the ordinary `build` again whenever one of its files changes.
//!
//! Watched files: the config (the one `--config` names, else both default
//! locations), the three wrangler files and the two generated outputs. Their
//! directories are watched (not the files: editors save by renaming a new file
//! over the old one), without recursion, so a big `node_modules` costs nothing.
//! Events are debounced; after a batch, every watched file is hashed and the build
//! runs only if some hash differs from the last one known. The hashes known after
//! a build are those of what the build left on disk, so the events of its own
//! writes find nothing new and are ignored. The config is the exception: the build
//! never writes it, so its hash is the one taken *before* the build, and a save
//! that lands while a build runs still triggers the next one.
//!
//! Errors in between are just builds with diagnostics (nothing is written, as
//! always); the next change builds again. Ctrl-C (SIGINT, and SIGTERM/SIGHUP)
//! stops the loop with exit code 0.

use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{DebounceEventResult, new_debouncer};

use super::{CommonArgs, EXIT_FAILURE, EXIT_OK, Mode};
use crate::project;

/// Saves within this window are one change (editors write a file in several steps).
const DEBOUNCE: Duration = Duration::from_millis(100);

/// Printed (to stderr) after every build: the next change builds again.
const WATCHING: &str = "watching for changes (Ctrl-C to stop)";

enum Message {
    Changed(DebounceEventResult),
    Stop,
}

/// One watched file; `never_written`: the build only reads it (the config).
struct Watched {
    path: PathBuf,
    never_written: bool,
}

pub fn run(args: &CommonArgs) -> u8 {
    let (tx, rx) = mpsc::channel();
    let stop = tx.clone();
    if let Err(e) = ctrlc::set_handler(move || {
        let _ = stop.send(Message::Stop);
    }) {
        eprintln!("error: cannot handle Ctrl-C for --watch: {e}");
        return EXIT_FAILURE;
    }
    let mut debouncer = match new_debouncer(DEBOUNCE, move |event| {
        let _ = tx.send(Message::Changed(event));
    }) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot watch files: {e}");
            return EXIT_FAILURE;
        }
    };

    let files = watched_files(args);
    let mut dirs = BTreeSet::new();
    let mut watch_dirs = |dirs: &mut BTreeSet<PathBuf>| {
        watch_new_dirs(&files, dirs, |dir| {
            debouncer.watcher().watch(dir, RecursiveMode::NonRecursive)
        })
    };
    // Watching starts before the first build, so no save is missed in between.
    if let Err(e) = watch_dirs(&mut dirs) {
        eprintln!("error: cannot watch files: {e}");
        return EXIT_FAILURE;
    }
    let mut known = build(args, &files);
    // A build may have created a directory (`src/lib`): watch it too.
    if let Err(e) = watch_dirs(&mut dirs) {
        eprintln!("warning: cannot watch a new directory: {e}");
    }
    eprintln!("{WATCHING}");

    while let Ok(message) = rx.recv() {
        match message {
            Message::Stop => break,
            Message::Changed(Err(e)) => eprintln!("warning: file watching: {e}"),
            Message::Changed(Ok(_)) => {
                if hashes(&files) == known {
                    continue;
                }
                // The batch may be of other files while one is half written (its
                // own events still inside the debounce window): wait until no
                // event has come for a whole window, then look again.
                if !settle(&rx) {
                    break;
                }
                if hashes(&files) == known {
                    continue;
                }
                eprintln!("change detected: building again");
                known = build(args, &files);
                if let Err(e) = watch_dirs(&mut dirs) {
                    eprintln!("warning: cannot watch a new directory: {e}");
                }
                eprintln!("{WATCHING}");
            }
        }
    }
    EXIT_OK
}

/// Waits until no file event has come for one debounce window; `false` on Ctrl-C.
fn settle(rx: &mpsc::Receiver<Message>) -> bool {
    loop {
        match rx.recv_timeout(DEBOUNCE) {
            Ok(Message::Changed(_)) => {}
            Ok(Message::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            Err(mpsc::RecvTimeoutError::Timeout) => return true,
        }
    }
}

/// Runs the ordinary build; returns the hashes to compare later changes with.
fn build(args: &CommonArgs, files: &[Watched]) -> Vec<Option<u64>> {
    let before = hashes(files);
    // The exit code matters only to a one-shot build; the summary is printed.
    let _ = super::run(args, Mode::Build);
    let after = hashes(files);
    files
        .iter()
        .zip(before.into_iter().zip(after))
        .map(|(file, (before, after))| if file.never_written { before } else { after })
        .collect()
}

fn watched_files(args: &CommonArgs) -> Vec<Watched> {
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let configs: Vec<PathBuf> = match &args.config {
        Some(path) => vec![path.clone()],
        None => project::CONFIG_CANDIDATES
            .iter()
            .map(|c| root.join(c))
            .collect(),
    };
    let written = crate::compile::WRANGLER_FILES
        .iter()
        .copied()
        .chain([
            args.env_types.as_str(),
            args.session_adapter.as_str(),
            args.cache_module.as_str(),
            args.memory_kv.as_str(),
        ])
        .map(|p| root.join(p));
    configs
        .into_iter()
        .map(|path| Watched {
            path,
            never_written: true,
        })
        .chain(written.map(|path| Watched {
            path,
            never_written: false,
        }))
        .collect()
}

fn hashes(files: &[Watched]) -> Vec<Option<u64>> {
    files
        .iter()
        .map(|f| {
            std::fs::read(&f.path).ok().map(|bytes| {
                let mut hasher = DefaultHasher::new();
                bytes.hash(&mut hasher);
                hasher.finish()
            })
        })
        .collect()
}

/// Starts watching every existing directory of a watched file not watched yet.
fn watch_new_dirs<E>(
    files: &[Watched],
    dirs: &mut BTreeSet<PathBuf>,
    mut watch: impl FnMut(&Path) -> Result<(), E>,
) -> Result<(), E> {
    for file in files {
        let dir = match file.path.parent() {
            Some(p) if p.as_os_str().is_empty() => PathBuf::from("."),
            Some(p) => p.to_path_buf(),
            None => continue,
        };
        if dirs.contains(&dir) || !dir.is_dir() {
            continue;
        }
        watch(&dir)?;
        dirs.insert(dir);
    }
    Ok(())
}
