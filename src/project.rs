//! A project's inputs on disk: where the config is, and reading everything a
//! compilation needs, each file once per run. Shared by the CLI and the language
//! server (which lays its open buffers over what is read here); writing is
//! `cli/write.rs`.

use std::io::Read;
use std::path::Path;

use std::collections::BTreeMap;

use crate::compile::{Contents, FileInput, Inputs, MAX_CONFIG_BYTES, WRANGLER_FILES};

/// The Env types file `build` writes unless `--env-types` names another.
pub const DEFAULT_ENV_TYPES: &str = "src/env.d.ts";
/// The session storage adapter `build` writes unless `--session-adapter` names another.
pub const DEFAULT_SESSION_ADAPTER: &str = "src/lib/kv-session-storage.ts";
/// The auth module `build` wires sessions into unless `--auth-module` names another.
pub const DEFAULT_AUTH_MODULE: &str = "src/lib/auth.ts";
/// Where the typed cache module goes unless `--cache-module` says otherwise.
pub const DEFAULT_CACHE_MODULE: &str = "src/lib/kv-cache.ts";
/// Where the memory KV goes unless `--memory-kv` says otherwise.
pub const DEFAULT_MEMORY_KV: &str = "src/lib/kv-memory.ts";

/// Where the config is looked for under the project root, in order.
pub const CONFIG_CANDIDATES: [&str; 2] = ["quickback/quickback.config.ts", "quickback.config.ts"];

/// Where a project's inputs are, as the command line gives them.
pub struct ProjectPaths<'a> {
    pub root: &'a Path,
    pub config: Option<&'a Path>,
    pub env_types: &'a str,
    pub session_adapter: &'a str,
    pub cache_module: &'a str,
    pub memory_kv: &'a str,
    /// The app's auth module, which `build` wires KV sessions into.
    pub auth_module: &'a str,
}

/// The regenerate command written into headers: `build` plus the paths that are
/// not the defaults (`config_display` when the config was named explicitly).
/// The CLI and the language server both use it, so their outputs are the same.
pub fn regenerate_command(paths: &ProjectPaths, config_display: Option<&str>) -> String {
    let mut command = String::from("quickback-kv build");
    if let Some(config) = config_display {
        command.push_str(&format!(" --config {config}"));
    }
    for (flag, value, default) in [
        ("--env-types", paths.env_types, DEFAULT_ENV_TYPES),
        (
            "--session-adapter",
            paths.session_adapter,
            DEFAULT_SESSION_ADAPTER,
        ),
        ("--cache-module", paths.cache_module, DEFAULT_CACHE_MODULE),
        ("--memory-kv", paths.memory_kv, DEFAULT_MEMORY_KV),
        ("--auth-module", paths.auth_module, DEFAULT_AUTH_MODULE),
    ] {
        if value != default {
            command.push_str(&format!(" {flag} {value}"));
        }
    }
    command
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
    let existing_outputs = [
        paths.env_types,
        paths.session_adapter,
        paths.cache_module,
        paths.memory_kv,
    ]
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
    match read_regular(path, limit) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Contents::Missing,
        Err(e) => Contents::Unreadable(e.to_string()),
        Ok(bytes) => Contents::Bytes(bytes),
    }
}

/// The one way a project file is read (by `build`, `check`, the language server
/// and watch mode): only a regular file (after following links), never more than
/// `limit` bytes. A FIFO, a device such as `/dev/zero`, a socket or a directory
/// is an error (`InvalidInput`, "not a regular file"), found without blocking:
/// the file is opened non-blocking and checked with `fstat` on the open handle,
/// so a path swapped for a FIFO between the two cannot hang the run either.
pub fn read_regular(path: &Path, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_regular(path)?
        .take(limit as u64)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Opens a regular file for reading without blocking (`O_NONBLOCK`, so even a
/// FIFO swapped in after the first check returns at once), checked again on the
/// open handle; anything else is an `InvalidInput` error. Watch mode hashes
/// through it too.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let not_regular =
        || std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file");
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
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
