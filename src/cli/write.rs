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
//! **Symlinks.** An output that is a symlink (a wrangler.toml shared by several
//! workers) is written through: its target is replaced, the link stays.
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
pub fn apply(changes: &[(PathBuf, Change, Option<&[u8]>)]) -> Result<(), Failure> {
    let mut staged = Vec::new();
    for (path, change, old) in changes {
        let fail = |error| Failure {
            path: path.clone(),
            error,
        };
        let target = resolve(path).map_err(fail)?;
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
    }
    // Everything is staged: replace, undoing on the first failure.
    let mut done: Vec<&mut Staged> = Vec::new();
    let mut failure = None;
    for (s, (path, _, _)) in staged.iter_mut().zip(changes) {
        let result = match s.new.take() {
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
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".quickback-kv.tmp");
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

#[cfg(unix)]
fn open_lock_file(root: &Path, _kind: LockKind) -> io::Result<File> {
    File::open(root)
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
