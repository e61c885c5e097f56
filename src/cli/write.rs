//! Writing a run's outputs all or nothing, and the project lock.
//!
//! **Stage, then replace.** Every new content is first written to an exclusive
//! temporary file (`tempfile`: `O_EXCL`, a random name, never following a
//! planted link) in the directory of the file it replaces, with that file's
//! permissions and, where the OS allows, its owner; so is a backup of every file
//! that will be replaced or deleted. Only when everything is staged are the
//! temporary files renamed over their targets (atomic on one file system). If a
//! rename or a deletion fails, the ones already done are undone from the
//! backups, so a failure anywhere leaves every file as it was. New content for
//! a file someone else wrote (the wrangler config, the auth module, Quickback's
//! env.d.ts) is flushed to disk before its rename; generated files and backups
//! are not (a rebuild restores them, and a flush costs more than the build).
//!
//! **A save during the build.** After staging, and immediately before the first
//! rename, every target is read again and compared with the bytes the compile
//! read; if any differs (a user saved `wrangler.toml` or `auth.ts` meanwhile),
//! nothing is replaced and the run fails, so the save survives. POSIX has no
//! compare-and-rename, so a window remains: a save landing between that last
//! read and the renames (microseconds: a few `rename` calls), or written in place
//! into the old file after its rename, is still replaced. Staging (the slow part:
//! directories, temporary files, flushes) happens before the check, outside it.
//!
//! **Symlinks.** An output that is a symlink (a wrangler.toml shared by several
//! workers) is written through: its target is replaced, the link stays. A
//! dangling link is followed only while the file it would create stays inside
//! the project root (unless `--allow-outside-root`): a stale link must not make
//! the build create files and directories elsewhere. Two outputs that are one
//! file (through links) are refused.
//!
//! **Debris and signals.** Temporary names and removing a killed build's debris:
//! `debris.rs`; SIGINT/SIGTERM/SIGHUP during the writes: `signals.rs` (they
//! stop the writes at the next step, which are then undone as after a failure).
//!
//! **Lock.** A run holds an advisory lock on the project root directory itself
//! (`flock` on the directory; a `.quickback-kv.lock` file in the root where
//! directories cannot be locked): `build` exclusively, `check` shared. Two
//! builds on one root therefore run one after the other, and `check` never sees
//! a half-updated set of outputs. Nothing else takes the lock.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::{debris, signals};

/// Where a run may write: inside `root`, unless the user typed `--allow-outside-root`.
pub struct Confine<'a> {
    pub root: &'a Path,
    pub allow_outside_root: bool,
}

impl Confine<'_> {
    pub fn within(root: &Path) -> Confine<'_> {
        Confine {
            root,
            allow_outside_root: false,
        }
    }
}

/// What to do at one path.
pub enum Change<'a> {
    Write(&'a [u8]),
    Delete,
}

/// A failure, with the path it happened at.
#[derive(Debug)]
pub struct Failure {
    pub path: PathBuf,
    pub error: io::Error,
}

/// One change, staged.
struct Staged {
    /// The file that is replaced: the output path with symlinks resolved.
    target: PathBuf,
    /// The new content, for a write.
    new: Option<NamedTempFile>,
    /// The old content, when the target exists.
    backup: Option<NamedTempFile>,
}

/// Applies every change or none (see the module comment). `old` gives the
/// current bytes of each path (`None`: absent), as the run read them once.
pub fn apply(
    changes: &[(PathBuf, Change, Option<&[u8]>)],
    confine: &Confine,
) -> Result<(), Failure> {
    let targets = targets(changes, confine)?;
    let mut staged = Vec::new();
    for ((path, change, old), target) in changes.iter().zip(targets) {
        let fail = |error| Failure {
            path: path.clone(),
            error,
        };
        let dir = parent(&target);
        if let Change::Write(_) = change {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let current = std::fs::metadata(&target).ok();
        // A backup lives only for this run: it is never flushed.
        let backup = match (old, &current) {
            (Some(bytes), Some(meta)) => {
                Some(stage(dir, &target, bytes, Some(meta), false).map_err(fail)?)
            }
            _ => None,
        };
        // New bytes replacing someone else's file (the wrangler config, the auth
        // module, Quickback's env.d.ts) are flushed before the rename, so a crash
        // leaves the old file or the whole new one. A file the compiler generated
        // (or creates) is not: the next build rewrites it, and each flush costs
        // about a millisecond, more than the rest of a typical build.
        let durable =
            old.is_some_and(|bytes| !crate::emit::is_generated(&crate::project::text(bytes)));
        let new = match change {
            Change::Write(bytes) => {
                Some(stage(dir, &target, bytes, current.as_ref(), durable).map_err(fail)?)
            }
            Change::Delete => None,
        };
        staged.push(Staged {
            target,
            new,
            backup,
        });
        if signals::interrupted() {
            return Err(fail(interrupted()));
        }
    }
    for (s, (path, _, old)) in staged.iter().zip(changes) {
        unchanged_since_read(&s.target, *old).map_err(|error| Failure {
            path: path.clone(),
            error,
        })?;
    }
    // Everything is staged: replace, undoing on the first failure.
    let mut done: Vec<&mut Staged> = Vec::new();
    let mut failure = None;
    for (s, (path, _, _)) in staged.iter_mut().zip(changes) {
        let result = match s.new.take() {
            _ if signals::interrupted() => Err(interrupted()),
            Some(new) => new.persist(&s.target).map(drop).map_err(|e| e.error),
            None => match std::fs::remove_file(&s.target) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
        };
        match result {
            Ok(()) => done.push(s),
            Err(error) => {
                failure = Some(Failure {
                    path: path.clone(),
                    error,
                });
                break;
            }
        }
    }
    let Some(failure) = failure else {
        // The backups are temporary files: dropping them deletes them.
        return Ok(());
    };
    for s in done.into_iter().rev() {
        match s.backup.take() {
            Some(backup) => {
                let _ = backup.persist(&s.target);
            }
            None => {
                let _ = std::fs::remove_file(&s.target);
            }
        }
    }
    Err(failure)
}

/// The file a write to `path` replaces: the final target of a symlink, else `path`.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            // Follow the chain by hand, so a dangling link is written through too.
            let mut target = path.to_path_buf();
            for _ in 0..40 {
                let link = std::fs::read_link(&target)?;
                target = parent(&target).join(link);
                match std::fs::symlink_metadata(&target) {
                    Ok(m) if m.file_type().is_symlink() => continue,
                    _ => return Ok(target),
                }
            }
            Err(io::Error::other("too many levels of symbolic links"))
        }
        _ => Ok(path.to_path_buf()),
    }
}

/// Each change's target ([`resolve`]), refusing a dangling link that leads out
/// of the root and two changes to one file.
fn targets(
    changes: &[(PathBuf, Change, Option<&[u8]>)],
    confine: &Confine,
) -> Result<Vec<PathBuf>, Failure> {
    let root = std::fs::canonicalize(confine.root).unwrap_or_else(|_| confine.root.into());
    let mut seen = std::collections::HashMap::new();
    let mut targets = Vec::new();
    for (path, _, _) in changes {
        let fail = |error| Failure {
            path: path.clone(),
            error,
        };
        let target = resolve(path).map_err(fail)?;
        let created = std::fs::symlink_metadata(&target).is_err();
        if created && &target != path && !confine.allow_outside_root && !inside(&target, &root) {
            return Err(fail(io::Error::other(
                "it is a dangling symbolic link leading out of the project root \
                 (--allow-outside-root follows it)",
            )));
        }
        let key = std::fs::canonicalize(&target).unwrap_or_else(|_| target.clone());
        if let Some(other) = seen.insert(key, path.clone()) {
            return Err(fail(io::Error::other(format!(
                "it is the same file as {} (through a symbolic link)",
                other.display()
            ))));
        }
        targets.push(target);
    }
    Ok(targets)
}

/// Whether `path` (which need not exist) lies inside the canonical `root`: its
/// nearest existing ancestor, resolved, is in the root, and the part that does
/// not exist yet has no `..`.
fn inside(path: &Path, root: &Path) -> bool {
    let mut existing = path;
    let mut rest = Vec::new();
    while std::fs::symlink_metadata(existing).is_err() {
        let (Some(up), Some(name)) = (existing.parent(), existing.file_name()) else {
            return false;
        };
        rest.push(name);
        existing = up;
    }
    let Ok(real) = std::fs::canonicalize(if existing.as_os_str().is_empty() {
        Path::new(".")
    } else {
        existing
    }) else {
        return false;
    };
    real.starts_with(root) && rest.iter().all(|c| *c != "..")
}

/// Removes killed builds' temporary files next to every path a build may write
/// (`debris.rs`), in the directories of their targets that lie inside `root`.
/// Call it holding the exclusive lock.
pub fn remove_debris(paths: &[PathBuf], root: &Path) {
    let Ok(root) = std::fs::canonicalize(root) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = paths
        .iter()
        .filter_map(|p| resolve(p).ok())
        .filter_map(|t| std::fs::canonicalize(parent(&t)).ok())
        .filter(|d| d.starts_with(&root))
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        debris::remove_stale(&dir);
    }
}

/// Fails when `target` no longer holds `old` (`None`: absent), the bytes the
/// compile read: someone saved it during the build.
fn unchanged_since_read(target: &Path, old: Option<&[u8]>) -> io::Result<()> {
    let now = match crate::project::read_regular(target, crate::compile::MAX_CONFIG_BYTES + 1) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if now.as_deref() == old {
        Ok(())
    } else {
        Err(io::Error::other(
            "it changed after this build read it (saved meanwhile?); run the build again",
        ))
    }
}

fn interrupted() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "interrupted by a signal")
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to a new exclusive temporary file next to `target`, with the
/// permissions (and owner, where allowed) of `like`; `durable`: flushed to disk.
fn stage(
    dir: &Path,
    target: &Path,
    bytes: &[u8],
    like: Option<&std::fs::Metadata>,
    durable: bool,
) -> io::Result<NamedTempFile> {
    let prefix = debris::prefix(target);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(debris::SUFFIX);
    #[cfg(unix)]
    let default_mode = {
        use std::os::unix::fs::PermissionsExt;
        // As `File::create` would: 0o666 less the umask.
        std::fs::Permissions::from_mode(0o666)
    };
    #[cfg(unix)]
    if like.is_none() {
        builder.permissions(default_mode);
    }
    let mut file = builder.tempfile_in(dir)?;
    file.write_all(bytes)?;
    if let Some(meta) = like {
        file.as_file().set_permissions(meta.permissions())?;
        keep_owner(file.as_file(), meta);
    }
    if durable {
        file.as_file().sync_all()?;
    }
    Ok(file)
}

/// Gives `file` the owner and group of `meta` where the OS allows (as root, or
/// the group when the user belongs to it); otherwise it keeps the running user's.
#[cfg(unix)]
fn keep_owner(file: &File, meta: &std::fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    if std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).is_err() {
        let _ = std::os::unix::fs::fchown(file, None, Some(meta.gid()));
    }
}

#[cfg(not(unix))]
fn keep_owner(_file: &File, _meta: &std::fs::Metadata) {}

/// The project lock, held until dropped.
pub struct Lock {
    _file: Option<File>,
}

/// How a run locks the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// `build`: one at a time.
    Exclusive,
    /// `check`: any number, never during a `build`.
    Shared,
}

/// Waits for the lock on the project `root` (see the module comment). A root
/// that does not exist or cannot be locked is not an error for `check` (there is
/// nothing it could see half-written); `build` reports it.
pub fn lock(root: &Path, kind: LockKind) -> io::Result<Lock> {
    let file = match open_lock_file(root, kind) {
        Ok(file) => file,
        Err(e) if kind == LockKind::Shared || e.kind() == io::ErrorKind::NotFound => {
            return Ok(Lock { _file: None });
        }
        Err(e) => return Err(e),
    };
    let locked = match kind {
        LockKind::Exclusive => file.lock(),
        LockKind::Shared => file.lock_shared(),
    };
    match locked {
        Ok(()) => Ok(Lock { _file: Some(file) }),
        // A file system without locks: run unlocked rather than not at all.
        Err(e) if e.kind() == io::ErrorKind::Unsupported => Ok(Lock { _file: None }),
        Err(e) => Err(e),
    }
}

/// The root directory itself; `O_DIRECTORY` and `O_NONBLOCK` so a root that is
/// a FIFO fails at once instead of blocking.
#[cfg(unix)]
fn open_lock_file(root: &Path, _kind: LockKind) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NONBLOCK)
        .open(root)
}

#[cfg(not(unix))]
fn open_lock_file(root: &Path, kind: LockKind) -> io::Result<File> {
    let path = root.join(".quickback-kv.lock");
    match kind {
        LockKind::Exclusive => std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path),
        LockKind::Shared => File::open(path),
    }
}
