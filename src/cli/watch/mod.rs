//! `build --watch`: run the ordinary `build` again whenever one of its files changes.
//!
//! Watched files are exactly the ones a build reads (`files::watched`): the config,
//! the wrangler files, the env types, the adapter and the auth module. The nearest
//! existing directory of each is watched, not recursively (editors save by renaming
//! a new file over the old one; a big `node_modules` costs nothing), and a directory
//! that appears later is watched as soon as its creation is seen.
//!
//! Only events that can change a file's bytes count: create, write, rename, delete.
//! Opening or reading a file (an editor, `tsc --watch`, `wrangler dev`, this
//! program's own hashing) is ignored, so readers can neither hold up a build nor
//! wake the watcher while it is idle. After the first counted event, the watcher
//! waits until none has come for `DEBOUNCE` (one window, no second quiet period;
//! only events that count extend it), then every watched file is hashed and the
//! build runs only if some hash differs from the last one known. The hashes known
//! after a build are those of what the build left on disk, so the events of its own
//! writes find nothing new. The config is the exception: the build never writes it,
//! so its hash is the one taken *before* the build, and a save that lands while a
//! build runs still triggers the next one.
//!
//! Errors in between are just builds with diagnostics (nothing is written, as
//! always); the next change builds again. Ctrl-C (SIGINT, and SIGTERM/SIGHUP) and
//! the end of the parent process (`parent.rs`) stop the loop with exit code 0.

mod files;
mod parent;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{Event, EventKind, RecursiveMode, Watcher};

use super::{CommonArgs, EXIT_FAILURE, EXIT_OK, Mode};
use files::{Hashes, Watched};

/// A change is over when no counted event has come for this long. Editors' saves
/// (write in place, or write a temporary file and rename it over) take well under a
/// millisecond; a save slower than this builds twice, the second time right.
const DEBOUNCE: Duration = Duration::from_millis(10);

/// A file written without pause (never one of a build's inputs in practice) still
/// gets a build this often.
const LONGEST_WAIT: Duration = Duration::from_secs(1);

/// Printed (to stderr) after every build: the next change builds again.
const WATCHING: &str = "watching for changes (Ctrl-C to stop)";

enum Message {
    Event(notify::Result<Event>),
    Stop,
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
    let orphaned = tx.clone();
    parent::stop_with_parent(move || {
        let _ = orphaned.send(Message::Stop);
    });
    let mut watcher = match notify::recommended_watcher(move |event| {
        let _ = tx.send(Message::Event(event));
    }) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: cannot watch files: {e}");
            return EXIT_FAILURE;
        }
    };

    let files = files::watched(args);
    let mut dirs = BTreeSet::new();
    // Watching starts before the first build, so no save is missed in between.
    if let Err(e) = watch_dirs(&mut watcher, &files, &mut dirs) {
        eprintln!("error: cannot watch files: {e}");
        return EXIT_FAILURE;
    }
    let mut known = build(args, &files);
    eprintln!("{WATCHING}");

    while let Ok(message) = rx.recv() {
        match message {
            Message::Stop => break,
            Message::Event(event) if !counts(&event, &files) => continue,
            Message::Event(_) => {}
        }
        if !debounce(&rx, &files) {
            break;
        }
        // A directory may have appeared (`src/lib`), or one been removed and made again.
        if let Err(e) = watch_dirs(&mut watcher, &files, &mut dirs) {
            eprintln!("warning: cannot watch a new directory: {e}");
        }
        if files::hashes(&files) == known {
            continue;
        }
        eprintln!("change detected: building again");
        known = build(args, &files);
        if let Err(e) = watch_dirs(&mut watcher, &files, &mut dirs) {
            eprintln!("warning: cannot watch a new directory: {e}");
        }
        eprintln!("{WATCHING}");
    }
    EXIT_OK
}

/// Lets the rest of a save arrive: returns once no counted event has come for
/// `DEBOUNCE` (reads never count, so readers cannot hold a build off), or after
/// `LONGEST_WAIT` whatever comes; `false` on Ctrl-C.
fn debounce(rx: &mpsc::Receiver<Message>, files: &[Watched]) -> bool {
    let start = Instant::now();
    let mut quiet_from = start;
    loop {
        let until = (quiet_from + DEBOUNCE).min(start + LONGEST_WAIT);
        match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(Message::Event(event)) if counts(&event, files) => quiet_from = Instant::now(),
            Ok(Message::Event(_)) => {}
            Ok(Message::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            Err(mpsc::RecvTimeoutError::Timeout) => return true,
        }
    }
}

/// Whether an event may have changed a watched file's bytes, or made a directory
/// on the way to one.
fn counts(event: &notify::Result<Event>, files: &[Watched]) -> bool {
    let event = match event {
        Ok(event) => event,
        Err(e) => {
            eprintln!("warning: file watching: {e}");
            return false;
        }
    };
    if event.need_rescan() {
        return true;
    }
    if !changes_content(&event.kind) {
        return false;
    }
    event.paths.iter().any(|path| {
        files.iter().any(|file| {
            path.file_name() == file.path.file_name()
                || (matches!(event.kind, EventKind::Create(_)) && file.path.starts_with(path))
        })
    })
}

/// Create, write, rename, delete; never open, read, close after reading or a
/// change of metadata (`touch`, `chmod`).
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) | EventKind::Any => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other => false,
    }
}

/// Runs the ordinary build; returns the hashes to compare later changes with.
fn build(args: &CommonArgs, files: &[Watched]) -> Hashes {
    let before = files::hashes(files);
    // The exit code matters only to a one-shot build; the summary is printed.
    let _ = super::run(args, Mode::Build);
    let after = files::hashes(files);
    files
        .iter()
        .zip(before.into_iter().zip(after))
        .map(|(file, (before, after))| if file.never_written { before } else { after })
        .collect()
}

/// Watches the nearest existing directory of every watched file, forgetting
/// directories that are gone (their watch went with them).
fn watch_dirs(
    watcher: &mut impl Watcher,
    files: &[Watched],
    dirs: &mut BTreeSet<PathBuf>,
) -> notify::Result<()> {
    dirs.retain(|dir| dir.is_dir());
    for file in files {
        let Some(dir) = nearest_dir(&file.path) else {
            continue;
        };
        if dirs.contains(&dir) {
            continue;
        }
        watcher.watch(&dir, RecursiveMode::NonRecursive)?;
        dirs.insert(dir);
    }
    Ok(())
}

fn nearest_dir(file: &Path) -> Option<PathBuf> {
    file.ancestors().skip(1).find_map(|dir| {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        dir.is_dir().then(|| dir.to_path_buf())
    })
}
