//! File-system access for the CLI: finding and reading inputs, atomic writes.

use std::io::Read;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use crate::compile::{Contents, FileInput, Inputs, MAX_CONFIG_BYTES, WRANGLER_FILES};

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
        },
        display,
    )
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

/// The current text of an output, `None` when absent.
pub fn read_existing(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes through a temporary file in the same directory and a rename, so a
/// reader never sees half a file and a failed write leaves the old one intact.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp: PathBuf = dir.join(format!(".{name}.quickback-kv-{}.tmp", std::process::id()));
    let result = (|| {
        std::fs::write(&temp, text)?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
