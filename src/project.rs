//! A project's inputs on disk: where the config is, and reading everything a
//! compilation needs, each file once per run. Shared by the CLI and the language
//! server (which lays its open buffers over what is read here); writing is
//! `cli/write.rs`.

use std::io::Read;
use std::path::Path;

use std::collections::BTreeMap;

use crate::compile::{Contents, FileInput, Inputs, MAX_CONFIG_BYTES, WRANGLER_FILES};

/// The auth module `build` wires sessions into unless `--auth-module` names another.
pub const DEFAULT_AUTH_MODULE: &str = "src/lib/auth.ts";

/// Where the config is looked for under the project root, in order.
pub const CONFIG_CANDIDATES: [&str; 2] = ["quickback/quickback.config.ts", "quickback.config.ts"];

/// Where a project's inputs are, as the command line gives them.
pub struct ProjectPaths<'a> {
    pub root: &'a Path,
    pub config: Option<&'a Path>,
    pub env_types: &'a str,
    pub session_adapter: &'a str,
    /// The app's auth module, which `build` wires KV sessions into.
    pub auth_module: &'a str,
}

/// Reads everything a compilation needs; returns the inputs and the config's display path.
pub fn read_inputs(paths: &ProjectPaths, env: BTreeMap<String, String>) -> (Inputs, String) {
    let root = paths.root;
    let (config_path, display) = match paths.config {
        Some(path) => (path.to_path_buf(), display_path(root, path)),
        None => {
            let found = CONFIG_CANDIDATES
                .iter()
                .find(|c| root.join(c).exists())
                .unwrap_or(&CONFIG_CANDIDATES[0]);
            (root.join(found), found.to_string())
        }
    };
    let config = FileInput {
        path: display.clone(),
        contents: read(&config_path, MAX_CONFIG_BYTES + 1),
    };
    let wrangler = WRANGLER_FILES
        .iter()
        .map(|name| FileInput {
            path: name.to_string(),
            contents: read(&root.join(name), MAX_CONFIG_BYTES + 1),
        })
        .collect();
    let existing_outputs = [paths.env_types, paths.session_adapter]
        .into_iter()
        .map(|p| FileInput {
            path: p.to_string(),
            contents: read(&root.join(p), MAX_CONFIG_BYTES + 1),
        })
        .collect();
    let auth_module = FileInput {
        path: paths.auth_module.to_string(),
        contents: read(&root.join(paths.auth_module), MAX_CONFIG_BYTES + 1),
    };
    (
        Inputs {
            config,
            wrangler,
            existing_outputs,
            auth_module,
            env,
            packages: read_packages(root),
            clock: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_secs()),
        },
        display,
    )
}

/// The files that may say which Better Auth is installed (those that exist).
/// `bun.lockb` is binary: only its presence is recorded.
fn read_packages(root: &Path) -> Vec<FileInput> {
    use crate::better_auth_version::{BUN_BINARY, INSTALLED, LOCKFILES, MANIFEST};
    let mut files = Vec::new();
    for path in std::iter::once(INSTALLED)
        .chain(LOCKFILES)
        .chain([MANIFEST, BUN_BINARY])
    {
        let contents = match read(&root.join(path), MAX_CONFIG_BYTES + 1) {
            Contents::Missing => continue,
            Contents::Bytes(_) if path == BUN_BINARY => Contents::Bytes(Vec::new()),
            contents => contents,
        };
        files.push(FileInput {
            path: path.to_string(),
            contents,
        });
    }
    files
}

/// The process environment, for `process.env` reads in the config.
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// The path as users should see it: relative to the root when inside it.
fn display_path(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative.to_string_lossy().replace('\\', "/")
}

/// Reads at most `limit` bytes (enough to tell a file is too large).
fn read(path: &Path, limit: usize) -> Contents {
    match std::fs::File::open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Contents::Missing,
        Err(e) => Contents::Unreadable(e.to_string()),
        Ok(file) => {
            let mut bytes = Vec::new();
            match file.take(limit as u64).read_to_end(&mut bytes) {
                Ok(_) => Contents::Bytes(bytes),
                Err(e) => Contents::Unreadable(e.to_string()),
            }
        }
    }
}

/// The bytes each possible output had when the inputs were read (`None`:
/// absent), so a run reads every file once and compares and backs up exactly
/// what it compiled from. Unreadable files are left out: the compile reports them.
pub fn current_outputs(inputs: &Inputs) -> BTreeMap<String, Option<Vec<u8>>> {
    inputs
        .wrangler
        .iter()
        .chain(&inputs.existing_outputs)
        .chain(std::iter::once(&inputs.auth_module))
        .filter_map(|f| match &f.contents {
            Contents::Bytes(bytes) => Some((f.path.clone(), Some(bytes.clone()))),
            Contents::Missing => Some((f.path.clone(), None)),
            Contents::Unreadable(_) => None,
        })
        .collect()
}

/// Bytes as text: no copy when they are UTF-8, invalid sequences replaced otherwise.
pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}
