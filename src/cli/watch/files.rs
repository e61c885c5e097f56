//! The files watch mode watches (exactly those a build reads) and their hashes.
//!
//! A file is hashed only if it is a regular file, and never beyond the read limit
//! plus one byte (as much as a build reads to tell a file is too large): a FIFO at
//! an input path cannot block the watcher, a config linked to `/dev/zero` cannot
//! grow its memory. The file is opened by `project::open_regular`, as a build
//! opens its inputs: without blocking, and checked again on the open handle.

use std::fs::File;
use std::hash::{DefaultHasher, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::CommonArgs;
use crate::compile::{MAX_CONFIG_BYTES, WRANGLER_FILES};
use crate::project;

/// One watched file; `never_written`: the build only reads it (the config).
pub struct Watched {
    pub path: PathBuf,
    pub never_written: bool,
}

/// What a watched file holds, as far as a change is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Missing,
    /// A directory, FIFO, device or socket (not read), or a file that cannot be opened.
    NotReadable,
    /// The hash of its first `MAX_CONFIG_BYTES + 1` bytes.
    Bytes(u64),
}

pub type Hashes = Vec<State>;

/// The config (the one `--config` names, else both default locations), the three
/// wrangler files, the env types, the session adapter and the auth module.
pub fn watched(args: &CommonArgs) -> Vec<Watched> {
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let configs: Vec<PathBuf> = match &args.config {
        Some(path) => vec![path.clone()],
        None => project::CONFIG_CANDIDATES
            .iter()
            .map(|c| root.join(c))
            .collect(),
    };
    let written = WRANGLER_FILES
        .iter()
        .copied()
        .chain([
            args.env_types.as_str(),
            args.session_adapter.as_str(),
            args.cache_module.as_str(),
            args.memory_kv.as_str(),
            args.auth_module.as_str(),
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

pub fn hashes(files: &[Watched]) -> Hashes {
    files.iter().map(|f| state(&f.path)).collect()
}

pub fn state(path: &Path) -> State {
    match project::open_regular(path) {
        Ok(file) => hash(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::Missing,
        Err(_) => State::NotReadable,
    }
}

fn hash(file: File) -> State {
    let mut hasher = DefaultHasher::new();
    let mut limited = file.take(MAX_CONFIG_BYTES as u64 + 1);
    let mut buffer = [0u8; 64 * 1024];
    loop {
        match limited.read(&mut buffer) {
            Ok(0) => return State::Bytes(hasher.finish()),
            Ok(n) => hasher.write(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return State::NotReadable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_hashed_by_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ts");
        assert_eq!(state(&path), State::Missing);
        std::fs::write(&path, "one").unwrap();
        let one = state(&path);
        std::fs::write(&path, "two").unwrap();
        assert!(matches!(one, State::Bytes(_)));
        assert_ne!(state(&path), one);
        std::fs::write(&path, "one").unwrap();
        assert_eq!(state(&path), one);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_not_read_and_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo.ts");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("mkfifo");
        assert!(status.success());
        // Opening it for reading without O_NONBLOCK would wait for a writer forever.
        assert_eq!(state(&path), State::NotReadable);
        assert_eq!(
            project::open_regular(&path).err().map(|e| e.kind()),
            Some(std::io::ErrorKind::InvalidInput)
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_an_endless_device_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quickback.config.ts");
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        assert_eq!(state(&path), State::NotReadable);
    }

    #[test]
    fn reads_stop_after_the_limit_plus_one_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.ts");
        let limit = MAX_CONFIG_BYTES + 1;
        std::fs::write(&path, vec![b'a'; limit]).unwrap();
        let at_limit = state(&path);
        std::fs::write(&path, vec![b'a'; limit + 4096]).unwrap();
        // Bytes past the limit are never read, so they cannot change the hash.
        assert_eq!(state(&path), at_limit);
    }
}
