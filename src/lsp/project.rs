//! Which projects the open documents belong to, and their compiler inputs:
//! the CLI's own file reading, with every open document's unsaved text laid over it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::documents::Documents;
use crate::compile::{Contents, Inputs, Options, WRANGLER_FILES};
use crate::project::{self, ProjectPaths};

pub const CONFIG_FILE: &str = "quickback.config.ts";
/// The CLI's default output paths; the server has no flags to change them.
const ENV_TYPES_PATH: &str = "src/env.d.ts";
const SESSION_ADAPTER_PATH: &str = "src/lib/kv-session-storage.ts";
const AUTH_MODULE_PATH: &str = crate::project::DEFAULT_AUTH_MODULE;

/// The project root of a config: its directory, or that directory's parent when
/// it is called `quickback` (SPEC §1.1: `quickback/quickback.config.ts` under the root).
pub fn root_of_config(config: &Path) -> Option<PathBuf> {
    let dir = config.parent()?;
    match dir.file_name() {
        Some(name) if name == "quickback" => dir.parent().map(Path::to_path_buf),
        _ => Some(dir.to_path_buf()),
    }
}

pub fn is_config(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == CONFIG_FILE)
}

fn is_wrangler(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| WRANGLER_FILES.iter().any(|w| n == *w))
}

/// The configs to analyse, with their roots: every open config, and for an open
/// wrangler file whose project has no open config, the project's config on disk
/// (found as the CLI finds it), so the wrangler file's diagnostics show too.
pub fn live_configs(documents: &Documents) -> BTreeMap<PathBuf, PathBuf> {
    let mut configs = BTreeMap::new();
    let paths: Vec<&Path> = documents.iter().filter_map(|d| d.path.as_deref()).collect();
    for path in paths.iter().filter(|p| is_config(p)) {
        if let Some(root) = root_of_config(path) {
            configs.insert(path.to_path_buf(), root);
        }
    }
    let roots: BTreeSet<PathBuf> = configs.values().cloned().collect();
    for dir in paths
        .iter()
        .filter(|p| is_wrangler(p))
        .filter_map(|p| p.parent())
    {
        if roots.contains(dir) {
            continue;
        }
        if let Some(config) = project::CONFIG_CANDIDATES
            .iter()
            .map(|c| dir.join(c))
            .find(|c| c.is_file())
        {
            configs.insert(config, dir.to_path_buf());
        }
    }
    configs
}

/// Whether a change to the file at `path` can change the compile of `config`:
/// the config itself, a wrangler file, or an output (the compiler refuses to
/// overwrite outputs it did not generate). Edits elsewhere cost nothing.
pub fn affects(config: &Path, root: &Path, path: &Path) -> bool {
    path == config
        || WRANGLER_FILES
            .iter()
            .chain(&[ENV_TYPES_PATH, SESSION_ADAPTER_PATH, AUTH_MODULE_PATH])
            .any(|f| root.join(f) == path)
}

/// What the CLI would read for this config, with open documents' text instead of the disk's.
pub fn inputs(
    config: &Path,
    root: &Path,
    documents: &Documents,
    env: &BTreeMap<String, String>,
) -> Inputs {
    let paths = ProjectPaths {
        root,
        config: Some(config),
        env_types: ENV_TYPES_PATH,
        session_adapter: SESSION_ADAPTER_PATH,
        cache_module: project::DEFAULT_CACHE_MODULE,
        memory_kv: project::DEFAULT_MEMORY_KV,
        auth_module: AUTH_MODULE_PATH,
    };
    let (mut inputs, _) = project::read_inputs(&paths, env.clone());
    let files = std::iter::once(&mut inputs.config)
        .chain(&mut inputs.wrangler)
        .chain(&mut inputs.existing_outputs)
        .chain(std::iter::once(&mut inputs.auth_module));
    for file in files {
        if let Some(document) = documents.by_path(&root.join(&file.path)) {
            file.contents = Contents::Bytes(document.text.clone().into_bytes());
        }
    }
    inputs
}

pub fn options() -> Options {
    Options {
        env_types_path: ENV_TYPES_PATH.to_string(),
        session_adapter_path: SESSION_ADAPTER_PATH.to_string(),
        cache_module_path: project::DEFAULT_CACHE_MODULE.to_string(),
        memory_kv_path: project::DEFAULT_MEMORY_KV.to_string(),
        auth_module_path: AUTH_MODULE_PATH.to_string(),
        command: "quickback-kv build".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_skips_a_quickback_directory() {
        assert_eq!(
            root_of_config(Path::new("/p/quickback/quickback.config.ts")),
            Some(PathBuf::from("/p"))
        );
        assert_eq!(
            root_of_config(Path::new("/p/quickback.config.ts")),
            Some(PathBuf::from("/p"))
        );
        assert_eq!(
            root_of_config(Path::new("/p/app/quickback.config.ts")),
            Some(PathBuf::from("/p/app"))
        );
    }

    #[test]
    fn only_inputs_affect_a_compile() {
        let (config, root) = (
            Path::new("/p/quickback/quickback.config.ts"),
            Path::new("/p"),
        );
        for input in [
            "/p/quickback/quickback.config.ts",
            "/p/wrangler.toml",
            "/p/wrangler.jsonc",
            "/p/src/env.d.ts",
            "/p/src/lib/auth.ts",
        ] {
            assert!(affects(config, root, Path::new(input)), "{input}");
        }
        for other in [
            "/p/src/index.ts",
            "/p/quickback.config.ts",
            "/q/wrangler.toml",
        ] {
            assert!(!affects(config, root, Path::new(other)), "{other}");
        }
    }
}
